//! The state every request handler and server function shares.

use std::sync::Arc;

use super::db::Db;

use super::api::ApiConfig;
use super::aura::AuraClient;
use super::aura::wire::ServiceCatalog;
use super::error::ServerError;
use super::mail::{MailConfig, Postman};
use super::outbox::{Outbox, Sender, SystemClock};
use super::throttle::SignInLimiter;
use super::webhooks::Courier;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub aura: Arc<AuraClient>,
    pub services: Arc<ServiceCatalog>,
    /// Slows down repeated failed sign-ins.
    pub sign_in_limiter: Arc<SignInLimiter>,
    pub security: Arc<SecurityConfig>,
    /// Sending to AURA: the retry policy, this process's lease name, the worker's bell.
    pub outbox: Arc<Outbox>,
    /// Where mail goes, from whom, and where its links point.
    pub mail: Arc<MailConfig>,
    /// The public API's rate limit and where webhooks may go.
    pub api: Arc<ApiConfig>,
}

impl AppState {
    /// Sending to AURA through this state's storage, client and outbox, on the real clock.
    pub fn sender(&self) -> Sender<AuraClient> {
        Sender {
            db: self.db.clone(),
            aura: self.aura.clone(),
            clock: Arc::new(SystemClock),
            services: self.services.clone(),
            outbox: self.outbox.clone(),
        }
    }
}

impl AppState {
    /// The mail worker on this state's storage and mail settings, on the real clock, with the AURA
    /// worker's retry policy.
    pub fn postman(&self) -> Postman {
        Postman::new(
            self.db.clone(),
            self.mail.clone(),
            Arc::new(SystemClock),
            self.outbox.policy.clone(),
        )
    }
}

impl AppState {
    /// The webhook worker on this state's storage and settings, on the real clock, with the AURA
    /// worker's retry policy.
    pub fn courier(&self) -> Result<Courier, ServerError> {
        Ok(Courier {
            db: self.db.clone(),
            client: crate::webhooks::client(self.api.allow_private_hooks)?,
            allow_private: self.api.allow_private_hooks,
            clock: Arc::new(SystemClock),
            policy: self.outbox.policy.clone(),
            poll: std::time::Duration::from_secs(1),
            wake: self.api.bell(),
        })
    }
}

/// What the request guard and the session cookie need to know about the deployment.
#[derive(Debug, Clone)]
pub struct SecurityConfig {
    /// The dashboard's public origin (e.g. `https://dash.example.com`); without it, a request's own
    /// `Host` is the origin.
    pub public_origin: Option<url::Origin>,
    /// Behind a reverse proxy: take the client address from the last `X-Forwarded-For` entry.
    pub trust_forwarded_for: bool,
    /// Mark the session cookie `Secure` (the dashboard is served over HTTPS).
    pub secure_cookies: bool,
    /// The `Host` names the dashboard answers to besides the public origin's: `name` (any port)
    /// or `name:port`, lower case. See [`SecurityConfig::answers_to`].
    pub allowed_hosts: Vec<String>,
    /// Set once a request carried `X-Forwarded-For` while `trust_forwarded_for` is off (a proxy
    /// in front that the dashboard does not know about): logged once, and shown by `/readyz`.
    pub forwarded_untrusted: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The most bookings one customer may save in a minute, from everyone acting for it together;
    /// more are answered 429 with `Retry-After`, before anything is saved or sent to AURA.
    pub bookings_per_minute: u32,
}

/// [`SecurityConfig::bookings_per_minute`] by default: a busy morning's bookings for one customer
/// are a handful a minute; a runaway script is stopped within a minute.
pub const BOOKINGS_PER_MINUTE: u32 = 60;

/// Plain HTTP on this machine: no public origin, the local host names.
impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            public_origin: None,
            trust_forwarded_for: false,
            secure_cookies: false,
            allowed_hosts: Self::LOCAL_HOSTS.iter().map(|h| h.to_string()).collect(),
            forwarded_untrusted: Default::default(),
            bookings_per_minute: BOOKINGS_PER_MINUTE,
        }
    }
}

impl SecurityConfig {
    /// The host names answered to when none are configured: this machine's own.
    pub const LOCAL_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

    /// Whether a request whose `Host` header is `host` is for this dashboard: the public origin's
    /// host and port, or an entry of `allowed_hosts`. Anything else (a DNS-rebinding page's name,
    /// say) is refused before it reaches a page.
    pub fn answers_to(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        let Ok(url) = url::Url::parse(&format!("http://{host}")) else {
            return false;
        };
        let (Some(name), port) = (url.host_str(), url.port()) else {
            return false;
        };
        if let Some(url::Origin::Tuple(scheme, public_host, public_port)) = &self.public_origin {
            let default = if scheme == "https" { 443 } else { 80 };
            if name == public_host.to_string() && port.unwrap_or(default) == *public_port {
                return true;
            }
        }
        // An entry's port, if it has one ("[::1]" has none; "[::1]:3000" has).
        fn split(allowed: &str) -> (&str, Option<u16>) {
            match allowed.rsplit_once(':') {
                Some((n, p)) if !allowed.ends_with(']') => match p.parse::<u16>() {
                    Ok(p) => (n, Some(p)),
                    Err(_) => (allowed, None),
                },
                _ => (allowed, None),
            }
        }
        self.allowed_hosts.iter().any(|allowed| {
            let (allowed_name, allowed_port) = split(allowed);
            allowed_name == name && allowed_port.is_none_or(|p| port == Some(p))
        })
    }

    /// The scheme people reach the dashboard by: the public origin's, else `https` when cookies are
    /// marked secure (TLS ends at a proxy in front), else `http` (what this process serves).
    pub fn scheme(&self) -> &str {
        match &self.public_origin {
            Some(url::Origin::Tuple(scheme, _, _)) => scheme,
            _ if self.secure_cookies => "https",
            _ => "http",
        }
    }
}
