//! Configuration from the environment. Every variable is documented in the README.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use app::server::aura::secret::Secret;
use app::server::aura::wire::ServiceCatalog;
use app::server::auth::SecurityConfig;

use crate::sandbox::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TOKEN_TTL, SandboxConfig};

/// Where the dashboard sends AURA calls.
#[derive(Debug, Clone)]
pub enum AuraTarget {
    /// A real AURA (or a standalone sandbox) at this base URL.
    Remote { base_url: String },
    /// The sandbox served by this process under `/sandbox`.
    Embedded,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub site_addr: SocketAddr,
    pub site_root: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub aura: AuraTarget,
    pub client_id: String,
    pub client_secret: Secret,
    pub aura_timeout: Duration,
    pub services: ServiceCatalog,
    pub security: SecurityConfig,
    pub demo: bool,
    /// The demo accounts' password (demo mode only); random per start when unset.
    pub demo_password: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn parsed<T: std::str::FromStr>(name: &str, default: T) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|e| ConfigError(format!("{name}={v:?} is not valid: {e}"))),
    }
}

fn services_from_env() -> Result<ServiceCatalog, ConfigError> {
    match var("AURA_SERVICE_TYPES") {
        None => Ok(ServiceCatalog::default()),
        Some(spec) => ServiceCatalog::parse(&spec)
            .map_err(|e| ConfigError(format!("AURA_SERVICE_TYPES: {e}"))),
    }
}

impl Config {
    pub fn from_env(demo: bool) -> Result<Config, ConfigError> {
        let site_addr = parsed("LEPTOS_SITE_ADDR", SocketAddr::from(([127, 0, 0, 1], 3000)))?;
        let data_dir = PathBuf::from(var("DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = var("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("dashboard.db").display()));
        let aura = match var("AURA_BASE_URL") {
            Some(base_url) => AuraTarget::Remote { base_url },
            None => AuraTarget::Embedded,
        };
        let (client_id, client_secret) =
            match (&aura, var("AURA_CLIENT_ID"), var("AURA_CLIENT_SECRET")) {
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
        let services = services_from_env()?;
        let public_origin = var("DASHBOARD_PUBLIC_URL")
            .map(|url| public_origin(&url))
            .transpose()?;
        let secure_cookies = match var("DASHBOARD_SECURE_COOKIES") {
            Some(v) => flag("DASHBOARD_SECURE_COOKIES", &v)?,
            None => public_origin
                .as_deref()
                .is_some_and(|o| o.starts_with("https://")),
        };
        let trust_forwarded_for = var("DASHBOARD_TRUST_PROXY")
            .map(|v| flag("DASHBOARD_TRUST_PROXY", &v))
            .transpose()?
            .unwrap_or(false);
        Ok(Config {
            site_addr,
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            data_dir,
            database_url,
            aura,
            client_id,
            client_secret,
            aura_timeout: Duration::from_secs(parsed("AURA_TIMEOUT_SECS", 10u64)?),
            services,
            security: SecurityConfig {
                public_origin,
                trust_forwarded_for,
                secure_cookies,
            },
            demo: demo || var("DEMO").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
            demo_password: var("DEMO_PASSWORD"),
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

fn flag(name: &str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(ConfigError(format!("{name}={value:?}: use 1 or 0"))),
    }
}

/// `https://dash.example.com/` → `https://dash.example.com` (scheme, host and port only).
fn public_origin(url: &str) -> Result<String, ConfigError> {
    let bad = || {
        ConfigError(format!(
            "DASHBOARD_PUBLIC_URL={url:?}: give the address people open, e.g. https://dash.example.com"
        ))
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    if scheme != "http" && scheme != "https" {
        return Err(bad());
    }
    let host = rest
        .split('/')
        .next()
        .filter(|h| !h.is_empty())
        .ok_or_else(bad)?;
    Ok(format!("{scheme}://{host}"))
}

/// The sandbox's own settings: the credentials it accepts, token lifetime and service types.
pub fn sandbox_config_from_env() -> Result<SandboxConfig, ConfigError> {
    Ok(SandboxConfig {
        client_id: var("AURA_CLIENT_ID").unwrap_or_else(|| DEFAULT_CLIENT_ID.into()),
        client_secret: var("AURA_CLIENT_SECRET").unwrap_or_else(|| DEFAULT_CLIENT_SECRET.into()),
        token_ttl: Duration::from_secs(parsed(
            "AURA_SANDBOX_TOKEN_TTL_SECS",
            DEFAULT_TOKEN_TTL.as_secs(),
        )?),
        services: services_from_env()?,
        expose_tokens: var("AURA_SANDBOX_EXPOSE_TOKENS")
            .map(|v| flag("AURA_SANDBOX_EXPOSE_TOKENS", &v))
            .transpose()?
            .unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_url_is_reduced_to_its_origin() {
        assert_eq!(
            public_origin("https://dash.example.com/").expect("ok"),
            "https://dash.example.com"
        );
        assert_eq!(
            public_origin("http://10.0.0.5:8080/app").expect("ok"),
            "http://10.0.0.5:8080"
        );
        assert!(public_origin("dash.example.com").is_err());
        assert!(public_origin("ftp://dash.example.com").is_err());
        assert!(public_origin("https://").is_err());
    }

    #[test]
    fn flags_take_one_or_zero() {
        assert!(flag("X", "1").expect("ok"));
        assert!(flag("X", "TRUE").expect("ok"));
        assert!(!flag("X", "0").expect("ok"));
        assert!(flag("X", "maybe").is_err());
    }
}
