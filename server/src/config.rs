//! Configuration: command-line options, each also read from its environment variable (the README
//! lists every one). Values are parsed here, once; an empty variable counts as unset.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use backend::aura::secret::Secret;
use backend::aura::wire::{AnswerShape, ServiceCatalog};
use backend::mail::{MailConfig, Transport};
use backend::state::SecurityConfig;
use clap::{ArgAction, Args};
use url::{Origin, Url};

use crate::sandbox::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TOKEN_TTL, SandboxConfig};

/// The command line with every option whose environment variable is set but empty read as unset
/// (clap would take the empty text as the value): an empty variable counts as unset.
pub fn without_empty_env(command: clap::Command) -> clap::Command {
    command
        .mut_args(|arg| {
            let empty = arg
                .get_env()
                .and_then(std::env::var_os)
                .is_some_and(|value| value.is_empty());
            if empty {
                arg.env(None::<&'static str>)
            } else {
                arg
            }
        })
        .mut_subcommands(without_empty_env)
}

/// `1`/`true`/`yes` or `0`/`false`/`no`.
fn flag(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(format!("{value:?}: use 1 or 0")),
    }
}

/// `https://dash.example.com/` → its origin (scheme, host and port only).
fn public_origin(url: &str) -> Result<Origin, String> {
    let bad = || format!("{url:?}: give the address people open, e.g. https://dash.example.com");
    let parsed = Url::parse(url.trim()).map_err(|_| bad())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(bad());
    }
    Ok(parsed.origin())
}

/// Host names as `DASHBOARD_ALLOWED_HOSTS` lists them: `name` (any port) or `name:port`, lower
/// case, comma-separated.
#[derive(Debug, Clone)]
pub struct HostList(pub Vec<String>);

fn host_list(text: &str) -> Result<HostList, String> {
    let hosts: Vec<String> = text
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    for host in &hosts {
        let parsed = Url::parse(&format!("http://{host}/"));
        if !parsed
            .is_ok_and(|u| u.host_str().is_some() && u.path() == "/" && u.username().is_empty())
        {
            return Err(format!(
                "{host:?}: give host names, e.g. dash.example.com,10.0.0.5:3000"
            ));
        }
    }
    Ok(HostList(hosts))
}

/// The hosts answered to when `DASHBOARD_ALLOWED_HOSTS` is not set: with a public URL, none but
/// its own; without, this machine's names and the address listened on.
fn default_hosts(public_url: Option<&Origin>, site_addr: SocketAddr) -> Vec<String> {
    if public_url.is_some() {
        return Vec::new();
    }
    let mut hosts = SecurityConfig::default().allowed_hosts;
    if !site_addr.ip().is_unspecified() && !site_addr.ip().is_loopback() {
        hosts.push(match site_addr {
            SocketAddr::V4(a) => a.ip().to_string(),
            SocketAddr::V6(a) => format!("[{}]", a.ip()),
        });
    }
    hosts
}

fn service_catalog(spec: &str) -> Result<ServiceCatalog, String> {
    ServiceCatalog::parse(spec)
}

/// Where the database is (every command that touches it).
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Folder for the SQLite database (created if missing).
    #[arg(long, env = "DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// The database; default `sqlite://$DATA_DIR/dashboard.db`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
}

impl DatabaseArgs {
    pub fn url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("dashboard.db").display()))
    }
}

/// The AURA credentials: used by the client, and accepted by the sandbox.
#[derive(Debug, Clone, Args)]
pub struct CredentialArgs {
    #[arg(long, env = "AURA_CLIENT_ID")]
    pub aura_client_id: Option<String>,
    #[arg(long, env = "AURA_CLIENT_SECRET", hide_env_values = true)]
    pub aura_client_secret: Option<String>,
    /// Service types offered, with optional AURA slugs: `patrol,guarding=guarding-v2`.
    #[arg(long = "aura-service-types", env = "AURA_SERVICE_TYPES", value_parser = service_catalog)]
    pub services: Option<ServiceCatalog>,
}

/// `server serve`: the dashboard.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Seed the demo customers, sites, accounts and bookings.
    #[arg(long, env = "DEMO", value_parser = flag, action = ArgAction::Set, default_value = "0", num_args = 0..=1, default_missing_value = "1")]
    pub demo: bool,
    /// Password of the demo accounts (demo mode only); random per start when unset.
    #[arg(long, env = "DEMO_PASSWORD", hide_env_values = true)]
    pub demo_password: Option<String>,
    /// Address and port to listen on.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub site_addr: SocketAddr,
    /// Folder with the built browser files (`pkg/`).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// AURA API base, ending in `/panic-api/v2`.
    #[arg(long, env = "AURA_BASE_URL")]
    pub aura_base_url: Option<String>,
    /// Serve the built-in AURA sandbox under `/sandbox` and send AURA calls to it (demo mode does
    /// so too). Without this, demo mode or `AURA_BASE_URL` the server refuses to start.
    #[arg(long, env = "AURA_SANDBOX", value_parser = flag, action = ArgAction::Set, default_value = "0", num_args = 0..=1, default_missing_value = "1")]
    pub sandbox: bool,
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// Timeout of each AURA call, in seconds.
    #[arg(long, env = "AURA_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub aura_timeout_secs: u64,
    /// First wait before sending again what did not reach AURA, in seconds (doubles per attempt).
    #[arg(long, env = "AURA_RETRY_BASE_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub aura_retry_base_secs: u64,
    /// Longest wait between attempts, in seconds.
    #[arg(long, env = "AURA_RETRY_MAX_SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub aura_retry_max_secs: u64,
    /// The address people open, e.g. `https://dash.example.com`.
    #[arg(long, env = "PUBLIC_URL", value_parser = public_origin)]
    pub public_url: Option<Origin>,
    /// The `Host` names the dashboard answers to (comma-separated, `name` or `name:port`).
    #[arg(long, env = "DASHBOARD_ALLOWED_HOSTS", value_parser = host_list)]
    pub allowed_hosts: Option<HostList>,
    /// Force the session cookie's `Secure` flag on or off (default: on behind an https public URL).
    #[arg(long, env = "DASHBOARD_SECURE_COOKIES", value_parser = flag)]
    pub secure_cookies: Option<bool>,
    /// Behind a reverse proxy: take client addresses from `X-Forwarded-For`.
    #[arg(long, env = "DASHBOARD_TRUST_PROXY", value_parser = flag, action = ArgAction::Set, default_value = "0")]
    pub trust_proxy: bool,
    /// Seconds a client has to send a request's head (line and headers), counted from when the
    /// server starts waiting for it; an idle kept-alive connection is closed after as long.
    #[arg(long, env = "DASHBOARD_HEADER_TIMEOUT_SECS", default_value_t = crate::listen::HEADER_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=300))]
    pub header_timeout_secs: u64,
    /// The most bookings one customer may save in a minute (everyone acting for it together).
    #[arg(long, env = "DASHBOARD_BOOKINGS_PER_MINUTE", default_value_t = backend::state::BOOKINGS_PER_MINUTE, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub bookings_per_minute: u32,
    /// The most client connections open at once; more wait until one closes.
    #[arg(long, env = "DASHBOARD_MAX_CONNECTIONS", default_value_t = crate::listen::MAX_CONNECTIONS as u64, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
    /// The most requests one API key may make per minute, across every process (then 429 with
    /// `Retry-After`).
    #[arg(long, env = "API_RATE_PER_MINUTE", default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub api_rate_per_minute: u32,
    /// Let webhooks go to loopback, private and link-local addresses (tests, private deployments).
    #[arg(long, env = "WEBHOOK_ALLOW_PRIVATE", value_parser = flag, action = ArgAction::Set, default_value = "0")]
    pub webhook_allow_private: bool,
    #[command(flatten)]
    pub sandbox_settings: SandboxArgs,
    #[command(flatten)]
    pub mail: MailArgs,
}

/// Where mail goes and whom it is from.
#[derive(Debug, Clone, Args)]
pub struct MailArgs {
    /// The SMTP server: `smtp://host:port` (plain, for a local relay), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host:465` (TLS). Unset: in demo mode the built-in catcher
    /// (`/mail`); otherwise mail waits unsent and notices reach inboxes only.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of every mail, e.g. `AURA dashboard <dashboard@example.com>`.
    #[arg(long, env = "MAIL_FROM")]
    pub mail_from: Option<String>,
    /// The longest any one SMTP command may take, in seconds.
    #[arg(long, env = "SMTP_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub smtp_timeout_secs: u64,
}

/// The sender when `MAIL_FROM` is not set (the catcher, or no mail at all).
pub const DEFAULT_MAIL_FROM: &str = "AURA dashboard <dashboard@aura-dashboard.localhost>";

/// The sandbox's own settings (standalone, or embedded in `serve`).
#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// Lifetime of the tokens the sandbox issues, in seconds.
    #[arg(long, env = "AURA_SANDBOX_TOKEN_TTL_SECS", default_value_t = DEFAULT_TOKEN_TTL.as_secs())]
    pub sandbox_token_ttl_secs: u64,
    /// List issued tokens in `_control/requests` (only `scripts/test` sets it).
    #[arg(long, env = "AURA_SANDBOX_EXPOSE_TOKENS", value_parser = flag, action = ArgAction::Set, default_value = "0")]
    pub sandbox_expose_tokens: bool,
    /// Which documented shape the sandbox answers a create or cancel in: `envelope` (the concept
    /// page's) or `reference` (the API reference page's flat `{id, status}`).
    #[arg(long, env = "AURA_SANDBOX_ANSWER_SHAPE", default_value = "envelope")]
    pub sandbox_answer_shape: AnswerShape,
}

/// Where the dashboard sends AURA calls.
#[derive(Debug, Clone)]
pub enum AuraTarget {
    /// A real AURA (or a standalone sandbox) at this base URL.
    Remote { base_url: String },
    /// The sandbox served by this process under `/sandbox`.
    Embedded,
}

/// The dashboard's settings, checked against each other. No `Debug`: it holds the sandbox's secret.
#[derive(Clone)]
pub struct Config {
    pub site_addr: SocketAddr,
    pub site_root: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub aura: AuraTarget,
    pub client_id: String,
    pub client_secret: Secret,
    pub aura_timeout: Duration,
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub services: ServiceCatalog,
    pub security: SecurityConfig,
    pub demo: bool,
    /// The demo accounts' password (demo mode only); random per start when unset.
    pub demo_password: Option<String>,
    pub sandbox: SandboxConfig,
    pub connections: crate::listen::ConnectionLimits,
    pub mail: MailConfig,
    pub api_rate_per_minute: u32,
    pub webhook_allow_private: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

/// Why a server with neither a real AURA nor the sandbox asked for does not start: the sandbox's
/// control routes show every booking it holds to anyone, so it runs only when someone chose it.
pub const NO_AURA: &str = "no AURA to send bookings to: set AURA_BASE_URL, AURA_CLIENT_ID and \
AURA_CLIENT_SECRET for AURA, or AURA_SANDBOX=1 (or --demo) for the built-in sandbox, which lets \
anyone read what it holds at /sandbox/_control";

/// The sandbox and a real AURA are never served side by side.
pub const BOTH_AURAS: &str = "AURA_SANDBOX and AURA_BASE_URL are both set: choose one (the \
built-in sandbox is never served beside a real AURA)";

/// Mail settings: SMTP when `SMTP_URL` is set (then `MAIL_FROM` too), the catcher in demo mode
/// without it, else none. Links point to `PUBLIC_URL`, else the address listened on.
fn mail_config(
    args: &MailArgs,
    demo: bool,
    public_url: Option<&Origin>,
    site_addr: SocketAddr,
) -> Result<MailConfig, ConfigError> {
    let transport = match &args.smtp_url {
        Some(url) => Transport::smtp(url, Duration::from_secs(args.smtp_timeout_secs))
            .map_err(ConfigError)?,
        None if demo => Transport::Catcher,
        None => Transport::Off,
    };
    let from = match (&args.mail_from, &transport) {
        (Some(from), _) => from.trim().to_string(),
        (None, Transport::Smtp(_)) => {
            return Err(ConfigError(
                "MAIL_FROM: set the sender of the dashboard's mail (e.g. AURA dashboard <dashboard@example.com>) with SMTP_URL".into(),
            ));
        }
        (None, _) => DEFAULT_MAIL_FROM.to_string(),
    };
    let from = from.parse().map_err(|e| {
        ConfigError(format!(
            "MAIL_FROM: {from:?} is not an address ({e}); give e.g. AURA dashboard <dashboard@example.com>"
        ))
    })?;
    let public_url = match public_url {
        Some(origin) => origin.ascii_serialization(),
        // Listening on every interface, this process knows no address a reader could open.
        None if matches!(transport, Transport::Smtp(_)) && site_addr.ip().is_unspecified() => {
            return Err(ConfigError(format!(
                "PUBLIC_URL: set the address people open (e.g. https://dash.example.com): mail links (password reset, unsubscribe, bookings) cannot point to {site_addr}"
            )));
        }
        None => {
            if matches!(transport, Transport::Smtp(_)) {
                tracing::warn!(
                    "SMTP_URL is set but PUBLIC_URL is not: links in mail point to http://{site_addr}"
                );
            }
            format!("http://{site_addr}")
        }
    };
    Ok(MailConfig {
        from,
        public_url,
        transport,
    })
}

impl Config {
    pub fn new(args: ServeArgs) -> Result<Config, ConfigError> {
        let aura = match (args.aura_base_url, args.sandbox || args.demo) {
            (Some(_), _) if args.sandbox => return Err(ConfigError(BOTH_AURAS.into())),
            (Some(base_url), _) => AuraTarget::Remote { base_url },
            (None, true) => AuraTarget::Embedded,
            (None, false) => return Err(ConfigError(NO_AURA.into())),
        };
        let credentials = args.credentials.clone();
        let (client_id, client_secret) = match (
            &aura,
            credentials.aura_client_id,
            credentials.aura_client_secret,
        ) {
            (_, Some(id), Some(secret)) => (id, Secret::new(secret)),
            (AuraTarget::Embedded, None, None) => (
                DEFAULT_CLIENT_ID.to_string(),
                Secret::new(DEFAULT_CLIENT_SECRET),
            ),
            _ => {
                return Err(ConfigError(
                    "set both AURA_CLIENT_ID and AURA_CLIENT_SECRET (required with AURA_BASE_URL)"
                        .into(),
                ));
            }
        };
        // The old name of PUBLIC_URL still works.
        let public_url = match args.public_url {
            Some(url) => Some(url),
            None => std::env::var("DASHBOARD_PUBLIC_URL")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(|v| {
                    public_origin(&v).map_err(|e| ConfigError(format!("DASHBOARD_PUBLIC_URL: {e}")))
                })
                .transpose()?,
        };
        let secure_cookies = args.secure_cookies.unwrap_or_else(
            || matches!(&public_url, Some(Origin::Tuple(scheme, _, _)) if scheme == "https"),
        );
        let allowed_hosts = match args.allowed_hosts {
            Some(HostList(hosts)) => hosts,
            None => default_hosts(public_url.as_ref(), args.site_addr),
        };
        let mail = mail_config(&args.mail, args.demo, public_url.as_ref(), args.site_addr)?;
        Ok(Config {
            mail,
            api_rate_per_minute: args.api_rate_per_minute,
            webhook_allow_private: args.webhook_allow_private,
            site_addr: args.site_addr,
            site_root: args.site_root,
            database_url: args.database.url(),
            data_dir: args.database.data_dir,
            aura,
            client_id,
            client_secret,
            aura_timeout: Duration::from_secs(args.aura_timeout_secs),
            retry_base: Duration::from_secs(args.aura_retry_base_secs),
            retry_max: Duration::from_secs(args.aura_retry_max_secs),
            services: args.credentials.services.clone().unwrap_or_default(),
            security: SecurityConfig {
                public_origin: public_url,
                trust_forwarded_for: args.trust_proxy,
                secure_cookies,
                allowed_hosts,
                forwarded_untrusted: Default::default(),
                bookings_per_minute: args.bookings_per_minute,
            },
            demo: args.demo,
            demo_password: args.demo_password,
            sandbox: sandbox_config(&args.credentials, &args.sandbox_settings),
            connections: crate::listen::ConnectionLimits {
                header_timeout: Duration::from_secs(args.header_timeout_secs),
                max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
                ..Default::default()
            },
        })
    }

    /// The base URL the AURA client uses.
    pub fn aura_base_url(&self) -> String {
        match &self.aura {
            AuraTarget::Remote { base_url } => base_url.clone(),
            AuraTarget::Embedded => format!("http://{}/sandbox/panic-api/v2", self.site_addr),
        }
    }
}

/// The sandbox's settings: the credentials it accepts, token lifetime and service types.
pub fn sandbox_config(credentials: &CredentialArgs, sandbox: &SandboxArgs) -> SandboxConfig {
    SandboxConfig {
        client_id: credentials
            .aura_client_id
            .clone()
            .unwrap_or_else(|| DEFAULT_CLIENT_ID.into()),
        client_secret: credentials
            .aura_client_secret
            .clone()
            .unwrap_or_else(|| DEFAULT_CLIENT_SECRET.into()),
        token_ttl: Duration::from_secs(sandbox.sandbox_token_ttl_secs),
        services: credentials.services.clone().unwrap_or_default(),
        expose_tokens: sandbox.sandbox_expose_tokens,
        answer_shape: sandbox.sandbox_answer_shape,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn serve(args: &[&str]) -> Result<Config, String> {
        let parsed = Serve::try_parse_from(std::iter::once("server").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        Config::new(parsed.args).map_err(|e| e.to_string())
    }

    /// `serve` with the built-in sandbox chosen.
    fn sandboxed(args: &[&str]) -> Result<Config, String> {
        serve(&[&["--sandbox"], args].concat())
    }

    #[test]
    fn the_public_url_is_reduced_to_its_origin() {
        let origin = |url| public_origin(url).expect("ok").ascii_serialization();
        assert_eq!(
            origin("https://dash.example.com/"),
            "https://dash.example.com"
        );
        assert_eq!(origin("http://10.0.0.5:8080/app"), "http://10.0.0.5:8080");
        assert!(public_origin("dash.example.com").is_err());
        assert!(public_origin("ftp://dash.example.com").is_err());
        assert!(public_origin("https://").is_err());
    }

    #[test]
    fn flags_take_one_or_zero() {
        assert!(flag("1").expect("ok"));
        assert!(flag("TRUE").expect("ok"));
        assert!(!flag("0").expect("ok"));
        assert!(flag("maybe").is_err());
    }

    #[test]
    fn options_are_checked_together() {
        let c = sandboxed(&["--public-url", "https://dash.example.com/x"]).expect("config");
        assert!(
            c.security.secure_cookies,
            "https public URL: Secure cookies"
        );
        let c = sandboxed(&[
            "--public-url",
            "https://dash.example.com",
            "--secure-cookies",
            "0",
        ])
        .expect("config");
        assert!(!c.security.secure_cookies, "an explicit 0 wins");
        assert!(matches!(c.aura, AuraTarget::Embedded));
        assert_eq!(c.client_id, DEFAULT_CLIENT_ID);
        let Err(e) = serve(&["--aura-base-url", "https://aura.test/panic-api/v2"]) else {
            panic!("creds: accepted")
        };
        assert!(e.contains("AURA_CLIENT_ID and AURA_CLIENT_SECRET"), "{e}");
        let Err(e) = sandboxed(&["--site-addr", "nowhere"]) else {
            panic!("address: accepted")
        };
        assert!(e.contains("nowhere"), "{e}");
        let Err(e) = sandboxed(&["--aura-service-types", "patrol,teleport"]) else {
            panic!("types: accepted")
        };
        assert!(e.contains("teleport"), "{e}");
        let c = serve(&["--demo"]).expect("demo flag");
        assert!(c.demo);
        assert!(
            matches!(c.aura, AuraTarget::Embedded),
            "demo mode brings the sandbox"
        );
    }

    #[test]
    fn the_sandbox_runs_only_when_asked_and_never_beside_a_real_aura() {
        let Err(e) = serve(&[]) else {
            panic!("no AURA at all: accepted")
        };
        assert!(
            e.contains("AURA_BASE_URL") && e.contains("AURA_SANDBOX=1"),
            "{e}"
        );
        let c = serve(&["--sandbox"]).expect("sandbox");
        assert!(matches!(c.aura, AuraTarget::Embedded));
        let real = [
            "--aura-base-url",
            "https://aura.test/panic-api/v2",
            "--aura-client-id",
            "id",
            "--aura-client-secret",
            "secret",
        ];
        let c = serve(&real).expect("real AURA");
        assert!(matches!(c.aura, AuraTarget::Remote { .. }));
        let c = serve(&[&real[..], &["--demo"]].concat()).expect("demo data on a real AURA");
        assert!(matches!(c.aura, AuraTarget::Remote { .. }));
        let Err(e) = serve(&[&real[..], &["--sandbox"]].concat()) else {
            panic!("both: accepted")
        };
        assert_eq!(e, format!("configuration: {BOTH_AURAS}"));
    }

    #[test]
    fn the_hosts_answered_to_follow_the_public_url_and_the_listen_address() {
        let local = ["localhost", "127.0.0.1", "[::1]"];
        let c = sandboxed(&[]).expect("defaults");
        assert_eq!(c.security.allowed_hosts, local);
        assert_eq!(c.security.bookings_per_minute, 60);
        assert_eq!(c.connections.header_timeout, Duration::from_secs(15));
        let c = sandboxed(&["--site-addr", "10.0.0.5:3000"]).expect("lan");
        assert_eq!(c.security.allowed_hosts[3], "10.0.0.5");
        let c = sandboxed(&["--site-addr", "0.0.0.0:3000"]).expect("any");
        assert_eq!(c.security.allowed_hosts, local);
        let c = sandboxed(&["--public-url", "https://dash.example.com"]).expect("public");
        assert!(c.security.allowed_hosts.is_empty(), "only the public host");
        assert!(c.security.answers_to("dash.example.com"));
        assert!(!c.security.answers_to("127.0.0.1:3000"));
        let c = sandboxed(&["--allowed-hosts", "dash.lan:8080, Other.Example ,"]).expect("list");
        assert_eq!(c.security.allowed_hosts, ["dash.lan:8080", "other.example"]);
        for bad in ["http://x/y", "a b", "x/y", "user@x"] {
            let Err(e) = sandboxed(&["--allowed-hosts", bad]) else {
                panic!("{bad}: accepted")
            };
            assert!(e.contains("host names"), "{e}");
        }
        let Err(e) = sandboxed(&["--header-timeout-secs", "0"]) else {
            panic!("a zero timeout: accepted")
        };
        assert!(e.contains("header-timeout"), "{e}");
    }
}
