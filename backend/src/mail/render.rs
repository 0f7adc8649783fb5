//! What a mail says: its subject, plain text and HTML, from templates (`backend/templates/mail`,
//! minijinja). The HTML templates escape every value (auto-escaping by file name); every time is
//! shown with its zone; every mail links to what it is about.

use std::sync::OnceLock;

use minijinja::{Environment, Value, context};
use serde::Serialize;

use super::signed::{Unsubscribe, UnsubscribeScope};
use super::{Outgoing, Postman};
use crate::db::{self, Booking, MailKind, MailRow};
use crate::outbox::Clock;
use crate::present::{instant_label, place, window_label};
use domain::notify::{Delivery, Notice};

/// A mail's three parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // `.html` escapes every value; `.txt` is plain text and escapes nothing.
        let sources = [
            (
                "layout.html",
                include_str!("../../templates/mail/layout.html"),
            ),
            (
                "notice.html",
                include_str!("../../templates/mail/notice.html"),
            ),
            (
                "notice.txt",
                include_str!("../../templates/mail/notice.txt"),
            ),
            (
                "digest.html",
                include_str!("../../templates/mail/digest.html"),
            ),
            (
                "digest.txt",
                include_str!("../../templates/mail/digest.txt"),
            ),
            (
                "reset.html",
                include_str!("../../templates/mail/reset.html"),
            ),
            ("reset.txt", include_str!("../../templates/mail/reset.txt")),
        ];
        for (name, source) in sources {
            if let Err(e) = env.add_template(name, source) {
                tracing::error!("mail template {name}: {e}");
            }
        }
        env
    })
}

/// Renders `name.txt` and `name.html` with `ctx`.
pub(super) fn render(name: &str, subject: &str, ctx: Value) -> Result<Rendered, String> {
    let env = templates();
    let subject = one_line(subject);
    let ctx = context! { subject => &subject, ..ctx };
    let part = |file: String| {
        env.get_template(&file)
            .and_then(|t| t.render(&ctx))
            .map_err(|e| format!("mail template {file}: {e}"))
    };
    Ok(Rendered {
        text: part(format!("{name}.txt"))?,
        html: part(format!("{name}.html"))?,
        subject,
    })
}

/// A subject on one line (no header can be smuggled in), at most 150 characters.
fn one_line(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 150 {
        format!("{}…", flat.chars().take(149).collect::<String>())
    } else {
        flat
    }
}

/// What composing a mail came to.
#[derive(Debug, Clone)]
pub(super) enum Composed {
    /// Ready to hand over.
    Ready(Outgoing),
    /// Nothing to say (an empty digest).
    Nothing(String),
    /// No longer to be sent (the person was disabled, the reset expired or was used).
    Void(String),
}

#[derive(Serialize)]
struct BookingFacts {
    name: String,
    customer: String,
    service: String,
    place: String,
    window: String,
    status: String,
}

fn booking_facts(b: &Booking, now: chrono::DateTime<chrono::Utc>) -> BookingFacts {
    let tz = b.zone.tz();
    let window = b
        .schedule
        .occurrences_from(tz, now)
        .find(|o| o.closes > now)
        .or_else(|| b.schedule.occurrences_from(tz, b.created_at).next())
        .map(|o| {
            format!(
                "{}, {}",
                crate::present::date_label(o.opens.with_timezone(tz).date_naive()),
                window_label(o.opens, o.closes, tz)
            )
        })
        .unwrap_or_else(|| "none left".into());
    BookingFacts {
        name: b.name.clone(),
        customer: b.customer.name.clone(),
        service: b.service_type.label().to_string(),
        place: place(b),
        window,
        status: b.status.label().to_string(),
    }
}

impl<C: Clock> Postman<C> {
    pub(super) fn link(&self, path: &str) -> String {
        format!("{}{path}", self.config.public_url)
    }

    /// The mail `row` stands for, as it reads now.
    pub(super) async fn compose(&self, row: &MailRow) -> Result<Composed, crate::ServerError> {
        let Some(person) = db::hearing_of(&self.db, row.user_id).await? else {
            return Ok(Composed::Void("the person no longer exists".into()));
        };
        if person.disabled_at.is_some() {
            return Ok(Composed::Void("the person's account is disabled".into()));
        }
        let zone = person.zone();
        let now = self.now();
        let key = self.signing_key().await?;
        let prefs_url = self.link("/account#notifications");
        let unsubscribe = |scope: UnsubscribeScope| {
            let path = Unsubscribe {
                user_id: person.id,
                scope,
            }
            .path(key);
            self.link(&path)
        };
        let message_id = self.config.message_id(&row.message_id);
        match row.kind {
            MailKind::Notice => {
                let Some(notice) = (match row.notification_id {
                    Some(id) => db::notice_by_id(&self.db, id).await?,
                    None => None,
                }) else {
                    return Ok(Composed::Void("its notice no longer exists".into()));
                };
                // Read in the person's own reach as it is now: someone no longer looking after
                // the customer is not sent its booking.
                let booking = match notice.booking_id {
                    Some(id) => {
                        let scope = super::digest::scope_of(self, &person).await?;
                        match db::booking_in_scope(&self.db, &scope, id).await? {
                            Some(b) => Some(b),
                            None => {
                                return Ok(Composed::Void(
                                    "the booking is no longer in the person's reach".into(),
                                ));
                            }
                        }
                    }
                    None => None,
                };
                // The person may have turned this mail off since it was written.
                let choice = db::preferences(&self.db, person.id)
                    .await?
                    .into_iter()
                    .find(|(n, _)| *n == notice.notice)
                    .map(|(_, d)| d);
                if choice.unwrap_or(Delivery::Instant) != Delivery::Instant {
                    return Ok(Composed::Void(format!(
                        "the person chose {} for this kind of notice",
                        choice.unwrap_or(Delivery::Off).label().to_lowercase()
                    )));
                }
                let wording = notice.notice.wording(person.role, notice.event_kind);
                let subject = match &booking {
                    Some(b) => format!("{}: {}", wording.headline, b.name),
                    None => wording.headline.to_string(),
                };
                let (link, link_text) = match &booking {
                    Some(b) => (
                        self.link(&format!("/bookings/{}", b.id)),
                        "Open the booking",
                    ),
                    None if notice.notice == Notice::AuraUnreachable => {
                        (self.link("/attention"), "See what is waiting")
                    }
                    None => (self.link("/inbox"), "Open your inbox"),
                };
                let scope = UnsubscribeScope::Notice(notice.notice);
                let ctx = context! {
                    to => &row.to_address,
                    headline => wording.headline,
                    meaning => wording.meaning,
                    action => wording.action,
                    booking => booking.as_ref().map(|b| booking_facts(b, now)),
                    detail => &notice.detail,
                    actor => notice.actor.as_deref().filter(|a| !a.is_empty()),
                    when => instant_label(notice.created_at, zone.tz()),
                    link => link,
                    link_text => link_text,
                    inbox_url => self.link("/inbox"),
                    prefs_url => &prefs_url,
                    unsubscribe_url => unsubscribe(scope),
                    unsubscribe_what => format!("mail about: {}", scope.label().to_lowercase()),
                };
                let rendered =
                    render("notice", &subject, ctx).map_err(crate::ServerError::internal)?;
                Ok(Composed::Ready(Outgoing {
                    message_id,
                    to: row.to_address.clone(),
                    rendered,
                    unsubscribe: Some(unsubscribe(scope)),
                }))
            }
            MailKind::PasswordReset => {
                let (Some(token), Some(reset_id)) = (row.token.as_deref(), row.reset_id) else {
                    return Ok(Composed::Void("its link is no longer kept".into()));
                };
                let Some(reset) = db::reset_by_id(&self.db, reset_id).await? else {
                    return Ok(Composed::Void("the reset no longer exists".into()));
                };
                if reset.used_at.is_some() || reset.expires_at <= now {
                    return Ok(Composed::Void(
                        "the reset link expired or was used before the mail could go out".into(),
                    ));
                }
                let ctx = context! {
                    to => &row.to_address,
                    link => self.link(&format!("/reset-password?token={token}")),
                    until => instant_label(reset.expires_at, zone.tz()),
                    prefs_url => &prefs_url,
                };
                let rendered = render("reset", "Reset your AURA dashboard password", ctx)
                    .map_err(crate::ServerError::internal)?;
                Ok(Composed::Ready(Outgoing {
                    message_id,
                    to: row.to_address.clone(),
                    rendered,
                    unsubscribe: None,
                }))
            }
            MailKind::Digest => {
                if !person.digest {
                    return Ok(Composed::Void("the person turned the digest off".into()));
                }
                let Some(day) = row
                    .digest_date
                    .and_then(db::StoredDate::from_days)
                    .map(|d| d.0)
                else {
                    return Ok(Composed::Void("it names no day".into()));
                };
                if day < now.with_timezone(zone.tz()).date_naive() {
                    return Ok(Composed::Void(
                        "the morning it was for has passed (the mail could not go out in time)"
                            .into(),
                    ));
                }
                let Some(ctx) = super::digest::digest_context(self, &person, &zone, day).await?
                else {
                    return Ok(Composed::Nothing("nothing to say".into()));
                };
                let scope = UnsubscribeScope::Digest;
                let ctx = context! {
                    to => &row.to_address,
                    prefs_url => &prefs_url,
                    unsubscribe_url => unsubscribe(scope),
                    unsubscribe_what => "the morning digest",
                    ..ctx
                };
                let subject = format!(
                    "Your morning digest for {}",
                    crate::present::date_label(day)
                );
                let rendered =
                    render("digest", &subject, ctx).map_err(crate::ServerError::internal)?;
                Ok(Composed::Ready(Outgoing {
                    message_id,
                    to: row.to_address.clone(),
                    rendered,
                    unsubscribe: Some(unsubscribe(scope)),
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_what_people_typed_and_text_keeps_it() {
        let r = render(
            "notice",
            "Refused: <b>x</b>\r\nBcc: evil@example.com",
            context! {
                to => "a@example.com",
                headline => "AURA refused a booking",
                meaning => "m",
                action => "",
                booking => context! { name => "<script>alert(1)</script>", customer => "A & B", service => "Patrol", place => "p", window => "w", status => "s" },
                detail => "Reason: \"too late\" <now>",
                actor => "AURA",
                when => "Fri 4 Dec 2026, 22:00 GMT",
                link => "https://dash.example.com/bookings/1",
                link_text => "Open the booking",
                inbox_url => "https://dash.example.com/inbox",
                prefs_url => "https://dash.example.com/account",
                unsubscribe_url => "https://dash.example.com/unsubscribe?u=1&n=refused&s=00",
                unsubscribe_what => "mail about: refused",
            },
        )
        .unwrap();
        assert_eq!(r.subject, "Refused: <b>x</b> Bcc: evil@example.com");
        assert!(
            r.html
                .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
                || r.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{}",
            r.html
        );
        assert!(!r.html.contains("<script>"));
        assert!(r.html.contains("A &amp; B"));
        assert!(r.html.contains("<html lang=\"en\">"));
        assert!(r.html.contains("<h1"));
        assert!(r.text.contains("<script>alert(1)</script>"));
        assert!(r.text.contains("Fri 4 Dec 2026, 22:00 GMT"));
        assert!(r.text.contains("https://dash.example.com/bookings/1"));
    }
}
