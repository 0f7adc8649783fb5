//! Mail: every notice, digest and password reset is written to `mail_outbox` with the change that
//! causes it, and sent from there by the mail worker ([`Postman`]) under a lease, with retries and
//! backoff as AURA calls have. A mail's Message-ID comes from what it is about, so a resend after a
//! crash is recognisable as the same mail; a permanent refusal (5xx) is recorded, not retried.
//!
//! Mail goes out through SMTP (`SMTP_URL`, with `lettre`: TLS or STARTTLS, authentication,
//! timeouts), or, in demo mode without `SMTP_URL`, to the built-in catcher: a page listing what
//! was sent, so the whole product runs on one machine.

mod digest;
mod render;
mod signed;
mod worker;

use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::db::{self, CaughtMail, Db};
use crate::outbox::{Clock, SendPolicy, SystemClock};

pub use digest::{DigestPlan, plan_digests};
pub use render::Rendered;
pub use signed::{UNSUBSCRIBE_PATH, Unsubscribe, UnsubscribeScope, signing_key};
pub use worker::Delivered;

/// Where mail goes.
#[derive(Clone)]
pub enum Transport {
    /// An SMTP server (`SMTP_URL`).
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// The built-in catcher (demo mode without `SMTP_URL`): kept in the database, listed at
    /// `/mail`.
    Catcher,
    /// No mail configured: notices reach inboxes only; mail waits, unsent, until a transport is
    /// configured.
    Off,
}

#[cfg(test)]
mod tests {
    use super::Transport;
    use std::time::Duration;

    // Building the transport starts its connection pool's task: inside a runtime, as `serve` is.
    #[tokio::test]
    async fn smtp_urls_are_read_or_refused_with_a_reason() {
        let t = Duration::from_secs(5);
        assert!(matches!(
            Transport::smtp("smtp://127.0.0.1:2525", t),
            Ok(Transport::Smtp(_))
        ));
        assert!(matches!(
            Transport::smtp("smtp://user:p%40ss@mail.example.com:587", t),
            Ok(Transport::Smtp(_))
        ));
        assert!(matches!(
            Transport::smtp("smtps://user:pass@mail.example.com:465", t),
            Ok(Transport::Smtp(_))
        ));
        for bad in [
            "http://mail.example.com",
            "mail.example.com:25",
            "smtp://",
            "",
        ] {
            let e = Transport::smtp(bad, t).err().unwrap_or_default();
            assert!(e.starts_with("SMTP_URL"), "{bad}: {e}");
        }
    }
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::Smtp(_) => "Smtp",
            Transport::Catcher => "Catcher",
            Transport::Off => "Off",
        })
    }
}

impl Transport {
    /// The SMTP server `url` names: `smtp://host:port` (plain; for a local relay), with
    /// `?tls=required` for STARTTLS, or `smtps://` for TLS from the start; `user:password@` to
    /// authenticate (on `smtp://`, STARTTLS is then required unless `tls=` says otherwise). Every
    /// command waits at most `timeout`.
    pub fn smtp(url: &str, timeout: Duration) -> Result<Transport, String> {
        let parsed = url::Url::parse(url.trim()).map_err(|e| format!("SMTP_URL: {e}"))?;
        if !matches!(parsed.scheme(), "smtp" | "smtps") || parsed.host_str().is_none() {
            return Err(
                "SMTP_URL: give smtp://host:port (add ?tls=required for STARTTLS) or smtps://host:port, with user:password@ to sign in"
                    .into(),
            );
        }
        // A user and password never travel in clear: `smtp://` with credentials and no `tls`
        // setting means STARTTLS, required (the usual submission port 587).
        let mut effective = parsed.clone();
        if parsed.scheme() == "smtp"
            && !parsed.username().is_empty()
            && !parsed.query_pairs().any(|(k, _)| k == "tls")
        {
            effective.query_pairs_mut().append_pair("tls", "required");
        }
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(effective.as_str())
            .map_err(|e| format!("SMTP_URL: {e}"))?
            .timeout(Some(timeout));
        if !parsed.username().is_empty() {
            let user = percent_encoding::percent_decode_str(parsed.username())
                .decode_utf8_lossy()
                .into_owned();
            let password = percent_encoding::percent_decode_str(parsed.password().unwrap_or(""))
                .decode_utf8_lossy()
                .into_owned();
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Transport::Smtp(builder.build()))
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Transport::Smtp(_) => "SMTP",
            Transport::Catcher => "the built-in catcher (demo mode)",
            Transport::Off => "nowhere: SMTP_URL is not set",
        }
    }
}

/// How mail is addressed and where its links point.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `MAIL_FROM`: the sender, e.g. `AURA dashboard <dashboard@example.com>`.
    pub from: Mailbox,
    /// `PUBLIC_URL`: the address links in mail point to, without a trailing slash.
    pub public_url: String,
    pub transport: Transport,
}

impl MailConfig {
    /// The domain Message-IDs are made in: the sender's.
    pub fn id_domain(&self) -> &str {
        self.from.email.domain()
    }

    /// A mail's Message-ID from its key: the same key, the same id, however often it is sent.
    pub fn message_id(&self, key: &str) -> String {
        format!("<{key}@{}>", self.id_domain())
    }
}

/// What the SMTP server (or the catcher) said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handed {
    /// Taken: the server's answer.
    Taken(String),
    /// Not taken this time (server down, 4xx, timeout): try again later.
    Again(String),
    /// Refused for good (5xx, or an address no server can take).
    Refused(String),
}

/// One mail, rendered, ready to hand over.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub message_id: String,
    pub to: String,
    pub rendered: Rendered,
    /// The one-click unsubscribe link (RFC 8058), for mail a person chose to receive.
    pub unsubscribe: Option<String>,
}

impl Outgoing {
    /// The message as sent: multipart plain text and HTML, its Message-ID, and the unsubscribe
    /// headers.
    pub fn message(&self, from: &Mailbox) -> Result<Message, String> {
        let to: Mailbox = self
            .to
            .parse()
            .map_err(|e| format!("the address {:?} cannot be mailed: {e}", self.to))?;
        let mut builder = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(self.rendered.subject.clone())
            .message_id(Some(self.message_id.clone()))
            .date_now();
        if let Some(link) = &self.unsubscribe {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{link}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_string(),
                ));
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                self.rendered.text.clone(),
                self.rendered.html.clone(),
            ))
            .map_err(|e| e.to_string())
    }
}

/// Hands `mail` to the transport.
pub async fn hand_over(
    config: &MailConfig,
    db: &Db,
    mail: &Outgoing,
    now: chrono::DateTime<chrono::Utc>,
) -> Handed {
    let message = match mail.message(&config.from) {
        Ok(m) => m,
        Err(e) => return Handed::Refused(e),
    };
    match &config.transport {
        Transport::Off => Handed::Again("no SMTP_URL is configured".into()),
        Transport::Catcher => {
            let headers =
                String::from_utf8_lossy(&message.headers().to_string().into_bytes()).into_owned();
            let caught = CaughtMail {
                id: 0,
                message_id: mail.message_id.clone(),
                to_address: mail.to.clone(),
                subject: mail.rendered.subject.clone(),
                text_body: mail.rendered.text.clone(),
                html_body: mail.rendered.html.clone(),
                headers,
                caught_at: now,
            };
            match db::catch_mail(db, &caught).await {
                Ok(id) => Handed::Taken(format!("caught by the built-in catcher as #{id}")),
                Err(e) => Handed::Again(format!("the catcher could not keep it: {e}")),
            }
        }
        Transport::Smtp(smtp) => match smtp.send(message).await {
            Ok(response) => {
                Handed::Taken(answer_text(response.code().to_string(), response.message()))
            }
            Err(e) if e.is_permanent() => Handed::Refused(e.to_string()),
            Err(e) => Handed::Again(e.to_string()),
        },
    }
}

fn answer_text<'a>(code: String, lines: impl Iterator<Item = &'a str>) -> String {
    let text = lines.collect::<Vec<_>>().join(" ");
    format!("{code} {text}").trim().to_string()
}

/// The mail worker: sends what is due, writes each morning's digests, and tells administrators
/// when AURA has been unreachable for a while. Shares the AURA worker's retry policy and clock.
pub struct Postman<C = SystemClock> {
    pub db: Db,
    pub config: Arc<MailConfig>,
    pub clock: Arc<C>,
    pub policy: SendPolicy,
    /// How often it looks for due mail (mail written by any process is found within this).
    pub poll: Duration,
    /// The key unsubscribe links are signed with, read from the database once.
    pub keys: Arc<tokio::sync::OnceCell<Vec<u8>>>,
}

/// How many mails one process hands to SMTP at once (each on its own SMTP connection).
pub const SENDING_AT_ONCE: usize = 4;

impl<C> Clone for Postman<C> {
    fn clone(&self) -> Self {
        Postman {
            db: self.db.clone(),
            config: self.config.clone(),
            clock: self.clock.clone(),
            policy: self.policy.clone(),
            poll: self.poll,
            keys: self.keys.clone(),
        }
    }
}

impl<C: Clock> Postman<C> {
    /// A mail worker on `db` with `config`, on `clock`, retrying by `policy`.
    pub fn new(db: Db, config: Arc<MailConfig>, clock: Arc<C>, policy: SendPolicy) -> Self {
        Postman {
            db,
            config,
            clock,
            policy,
            poll: Duration::from_secs(2),
            keys: Default::default(),
        }
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// The unsubscribe links' signing key.
    async fn signing_key(&self) -> Result<&[u8], crate::db::DbError> {
        self.keys
            .get_or_try_init(|| signed::signing_key(&self.db))
            .await
            .map(Vec::as_slice)
    }
}
