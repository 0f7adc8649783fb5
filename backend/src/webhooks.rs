//! The webhook worker: claims each due delivery under a lease (as mail and AURA calls are), signs
//! it the Standard Webhooks way (`webhook-id`, `webhook-timestamp`, `webhook-signature`: HMAC-SHA256
//! with the endpoint's `whsec_` secret) and posts it. A 2xx answer delivers it; anything else is
//! tried again with backoff for 24 hours, then marked failed. Its body and `webhook-id` were fixed
//! when the event was written, so a delivery retried after a crash is the same message.
//!
//! Never sent to loopback, private or link-local addresses (checked on every attempt: the address
//! as written, and every address its name resolves to, at connection time) unless
//! `WEBHOOK_ALLOW_PRIVATE=1`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::watch;

use crate::db::{self, DeliveryRow, HookResult, Lease};
use crate::error::ServerError;
use crate::outbox::{Clock, SendPolicy, SystemClock, later, rest_after};
use crate::secret::Secret;

/// How long one delivery attempt may take (connect, send, answer).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a receiver's answer the log keeps.
const ANSWER_KEPT_BYTES: usize = 512;
/// How many due deliveries one claim takes, and how many claims run at once.
const CLAIM_AT_ONCE: i64 = 8;
const SENDING_AT_ONCE: usize = 4;

/// A new endpoint secret: `whsec_` and 32 random bytes in base64 (two UUID v4s: 244 random bits).
pub fn new_secret() -> Secret {
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    Secret::new(format!("whsec_{}", BASE64.encode(bytes)))
}

/// The `webhook-signature` entry for one secret: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` keyed with the secret's bytes. `None` for a secret that is not
/// `whsec_` and base64.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = BASE64.decode(secret.strip_prefix("whsec_")?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    Some(format!("v1,{}", BASE64.encode(mac.finalize().into_bytes())))
}

/// Whether an address is on the public internet: not loopback, private, link-local, shared (CGNAT),
/// unspecified, multicast, broadcast, documentation or otherwise reserved (IPv4 inside IPv6 is
/// judged as IPv4).
pub fn ip_is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return ip_is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first & 0xffc0) == 0xfec0
                || first == 0x2001 && v6.segments()[1] == 0x0db8
                // NAT64 (well-known and local-use), 6to4 and IPv4-translated: they can reach
                // private IPv4 addresses.
                || (first == 0x0064 && v6.segments()[1] == 0xff9b)
                || first == 0x2002
                || v6.segments()[..6] == [0, 0, 0, 0, 0xffff, 0]
                || v6.segments()[..6] == [0, 0, 0, 0, 0, 0])
        }
    }
}

/// Resolves names as the system does, then keeps only public addresses (unless private ones are
/// allowed): checked at the moment of connecting, so a name that resolves elsewhere later is
/// caught too.
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| allow_private || ip_is_public(a.ip()))
                .collect();
            if kept.is_empty() {
                let why: Box<dyn std::error::Error + Send + Sync> = if found.is_empty() {
                    format!("{host} does not resolve").into()
                } else {
                    format!(
                        "{host} resolves only to loopback, private or link-local addresses (not sent; WEBHOOK_ALLOW_PRIVATE=1 allows them)"
                    )
                    .into()
                };
                return Err(why);
            }
            let addrs: reqwest::dns::Addrs = Box::new(kept.into_iter());
            Ok(addrs)
        })
    }
}

/// The HTTP client deliveries go through: no proxy (the address checked is the one connected to),
/// no redirects, a bounded time.
pub fn client(allow_private: bool) -> Result<reqwest::Client, ServerError> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(ATTEMPT_TIMEOUT)
        .connect_timeout(ATTEMPT_TIMEOUT)
        .user_agent(concat!(
            "aura-dashboard-webhooks/",
            env!("CARGO_PKG_VERSION")
        ))
        .dns_resolver(Arc::new(GuardedResolver { allow_private }))
        .build()
        .map_err(|e| ServerError::internal(format!("webhook client: {e}")))
}

/// What one attempt came to (for tests and the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Delivered,
    Retry,
    Failed,
    /// The endpoint was deleted, or the claim was lost meanwhile.
    Dropped,
}

/// Sends webhooks: any number of processes share the work through leases.
pub struct Courier<C = SystemClock> {
    pub db: db::Db,
    pub client: reqwest::Client,
    pub allow_private: bool,
    pub clock: Arc<C>,
    pub policy: SendPolicy,
    /// How often it looks for due deliveries when none is known to be due sooner.
    pub poll: Duration,
    pub wake: Arc<tokio::sync::Notify>,
}

impl<C: Clock> Courier<C> {
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Claims up to `limit` due deliveries (or only `only`) and sends them one after another.
    pub async fn send_batch(
        &self,
        only: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(i64, Sent)>, ServerError> {
        let now = self.now();
        let owner = format!("{}/{}", self.policy.owner, uuid::Uuid::new_v4().simple());
        let mut until = later(now, self.policy.lease.max(ATTEMPT_TIMEOUT * 2));
        let rows = db::claim_deliveries(
            &self.db,
            Lease {
                owner: &owner,
                until,
            },
            now,
            only,
            limit,
        )
        .await?;
        let mut done = Vec::with_capacity(rows.len());
        for row in rows {
            let now = self.now();
            if later(now, ATTEMPT_TIMEOUT + Duration::from_secs(5)) >= until {
                until = later(now, self.policy.lease.max(ATTEMPT_TIMEOUT * 2));
                db::renew_delivery_lease(&self.db, &owner, until).await?;
            }
            done.push((row.id, self.deliver(&row, &owner).await?));
        }
        Ok(done)
    }

    /// One attempt at one claimed delivery, recorded.
    async fn deliver(&self, row: &DeliveryRow, owner: &str) -> Result<Sent, ServerError> {
        let Some(endpoint) = db::endpoint_by_id(&self.db, row.endpoint_id).await? else {
            return Ok(Sent::Dropped);
        };
        let now = self.now();
        let timestamp = now.timestamp();
        let signatures: Vec<String> = endpoint
            .signing_secrets(now)
            .into_iter()
            .filter_map(|s| signature(s, &row.message_id, timestamp, &row.payload))
            .collect();
        let attempt = async {
            crate::api::hooks::check_url(&endpoint.url, self.allow_private)?;
            let response = self
                .client
                .post(&endpoint.url)
                .header("content-type", "application/json")
                .header("webhook-id", &row.message_id)
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", signatures.join(" "))
                .body(row.payload.clone())
                .send()
                .await
                .map_err(|e| describe(&e))?;
            let status = response.status().as_u16();
            let answer = read_start(response).await;
            Ok::<_, String>((status, answer))
        };
        let (status, answer) = match attempt.await {
            Ok((status, answer)) => (Some(status), answer),
            Err(why) => (None, why),
        };
        let now = self.now();
        let result = match status {
            Some(code) if (200..300).contains(&code) => HookResult::Delivered {
                status: code,
                answer: &answer,
            },
            _ if now >= row.give_up_at => HookResult::Failed {
                status,
                answer: &answer,
            },
            _ => HookResult::Retry {
                status,
                answer: &answer,
                retry_at: self
                    .policy
                    .retry_at(now, row.attempts, None)
                    .min(row.give_up_at),
            },
        };
        let sent = match result {
            HookResult::Delivered { .. } => Sent::Delivered,
            HookResult::Retry { .. } => Sent::Retry,
            HookResult::Failed { .. } => Sent::Failed,
        };
        if !db::finish_delivery(&self.db, row.id, owner, &result, now).await? {
            return Ok(Sent::Dropped);
        }
        match sent {
            Sent::Delivered => {
                tracing::debug!(delivery = row.id, ?status, "webhook delivered")
            }
            _ => {
                tracing::info!(delivery = row.id, ?status, %answer, ?sent, "webhook not delivered")
            }
        }
        Ok(sent)
    }

    /// Every due delivery, a few claims at once.
    pub async fn drain(&self, stop: &watch::Receiver<bool>) -> Result<usize, ServerError> {
        let one = || async {
            let mut sent = 0;
            while !*stop.borrow() {
                match self.send_batch(None, CLAIM_AT_ONCE).await?.len() {
                    0 => break,
                    n => sent += n,
                }
            }
            Ok::<usize, ServerError>(sent)
        };
        let runs = futures_util::future::join_all((0..SENDING_AT_ONCE).map(|_| one())).await;
        let mut total = 0;
        for run in runs {
            total += run?;
        }
        Ok(total)
    }

    /// The webhook worker: sends what is due, sleeps until the next is (at most `poll`), and stops
    /// between deliveries once `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(allow_private = self.allow_private, "webhook worker started");
        loop {
            if *stop.borrow() {
                break;
            }
            let next = match self.drain(&stop).await {
                Ok(_) => db::next_delivery_due(&self.db)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.reported().to_string()),
            };
            let wait = rest_after("webhook worker", next, self.now(), self.poll);
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.wake.notified() => {}
                _ = stop.changed() => {}
            }
        }
        tracing::info!("webhook worker stopped");
    }
}

/// Why an attempt got no answer, in a few words (no secrets: the address is the endpoint's own).
fn describe(e: &reqwest::Error) -> String {
    let mut why = if e.is_timeout() {
        "no answer in time".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        "the request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        why = format!("{why}: {inner}");
        source = inner.source();
    }
    why.chars().take(ANSWER_KEPT_BYTES).collect()
}

/// The start of a receiver's answer, as text, read only that far.
async fn read_start(mut response: reqwest::Response) -> String {
    let mut kept = Vec::new();
    while kept.len() < ANSWER_KEPT_BYTES {
        match tokio::time::timeout(Duration::from_secs(2), response.chunk()).await {
            Ok(Ok(Some(chunk))) => kept.extend_from_slice(&chunk),
            _ => break,
        }
    }
    kept.truncate(ANSWER_KEPT_BYTES);
    String::from_utf8_lossy(&kept).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_standard_webhooks() {
        // The example from the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(signature("not-whsec", "id", 1, "{}"), None);
    }

    #[tokio::test]
    async fn names_are_checked_after_they_resolve() {
        use reqwest::dns::Resolve;
        let name = |n: &str| n.parse::<reqwest::dns::Name>().expect("name");
        let strict = GuardedResolver {
            allow_private: false,
        };
        let refused = match strict.resolve(name("localhost")).await {
            Ok(_) => panic!("localhost resolved for a strict worker"),
            Err(e) => e.to_string(),
        };
        assert!(
            refused.contains("loopback, private or link-local"),
            "{refused}"
        );
        let lenient = GuardedResolver {
            allow_private: true,
        };
        let found: Vec<SocketAddr> = lenient
            .resolve(name("localhost"))
            .await
            .expect("resolves")
            .collect();
        assert!(found.iter().all(|a| a.ip().is_loopback()) && !found.is_empty());
    }

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::a00:1",
            "2002:a00:1::1",
            "::ffff:0:a00:1",
        ] {
            assert!(!ip_is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"] {
            assert!(ip_is_public(public.parse().unwrap()), "{public}");
        }
    }
}
