//! Configuration from the environment. Every variable is documented in the README.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use app::server::aura::secret::Secret;
use app::server::aura::wire::ServiceCatalog;

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
    /// AURA customerId of the customer the dashboard acts for (until accounts exist).
    pub customer_aura_id: Option<i64>,
    pub customer_name: Option<String>,
    pub customer_timezone: String,
    pub demo: bool,
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
        let customer_timezone =
            var("DASHBOARD_CUSTOMER_TIMEZONE").unwrap_or_else(|| "Europe/London".into());
        if customer_timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err(ConfigError(format!(
                "DASHBOARD_CUSTOMER_TIMEZONE={customer_timezone:?} is not an IANA zone"
            )));
        }
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
            customer_aura_id: var("DASHBOARD_CUSTOMER_ID")
                .map(|v| {
                    v.parse()
                        .map_err(|e| ConfigError(format!("DASHBOARD_CUSTOMER_ID={v:?}: {e}")))
                })
                .transpose()?,
            customer_name: var("DASHBOARD_CUSTOMER_NAME"),
            customer_timezone,
            demo: demo || var("DEMO").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
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
    })
}
