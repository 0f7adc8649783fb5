//! The state every request handler and server function shares.

use std::sync::Arc;

use super::db::Db;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::aura::AuraClient;
use super::aura::wire::ServiceCatalog;
use super::error::ServerError;
use super::outbox::Outbox;
use super::throttle::SignInLimiter;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub aura: Arc<AuraClient>,
    pub services: Arc<ServiceCatalog>,
    /// Slows down repeated failed sign-ins.
    pub sign_in_limiter: Arc<SignInLimiter>,
    pub security: Arc<SecurityConfig>,
    /// Sending to AURA: the retry policy, this process's lease name, the worker's bell.
    pub outbox: Arc<Outbox>,
}

/// What the request guard and the session cookie need to know about the deployment.
#[derive(Debug, Clone, Default)]
pub struct SecurityConfig {
    /// The dashboard's public origin (e.g. `https://dash.example.com`); without it, a request's own
    /// `Host` is the origin.
    pub public_origin: Option<url::Origin>,
    /// Behind a reverse proxy: take the client address from the last `X-Forwarded-For` entry.
    pub trust_forwarded_for: bool,
    /// Mark the session cookie `Secure` (the dashboard is served over HTTPS).
    pub secure_cookies: bool,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The state inside a server function (provided by `leptos_routes`).
pub fn app_state() -> Result<AppState, ServerError> {
    leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| ServerError::internal("AppState missing from the server function context"))
}
