//! The state every request handler and server function shares.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::SqlitePool;

use super::aura::AuraClient;
use super::aura::wire::ServiceCatalog;
use super::auth::{SecurityConfig, SignInLimiter};
use crate::error::AppError;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: SqlitePool,
    pub aura: Arc<AuraClient>,
    pub services: Arc<ServiceCatalog>,
    /// Slows down repeated failed sign-ins.
    pub sign_in_limiter: Arc<SignInLimiter>,
    pub security: Arc<SecurityConfig>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The state inside a server function (provided by `leptos_routes`).
pub fn app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

/// Gives a server function's HTTP answer the status that matches its error, so logs, proxies and
/// the browser's network panel tell a refused input (400) from a failure (500).
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result
        && let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
    {
        use axum::http::StatusCode;
        response.set_status(match e {
            AppError::Invalid(_) | AppError::InvalidForm(_) => StatusCode::BAD_REQUEST,
            AppError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Aura(_) => StatusCode::BAD_GATEWAY,
            AppError::Internal | AppError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
        });
    }
    result
}
