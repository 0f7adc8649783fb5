//! What a server-side flow can end with: an answer meant for the person (`AppError`), or a failure
//! on our side whose cause goes to the log and never to the browser.

use axum::http::StatusCode;

use super::db::DbError;
use crate::domain::{FieldErrors, Violation};
use crate::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// What the person reads: a refused input, something not found, not allowed, or AURA's answer.
    #[error(transparent)]
    User(#[from] AppError),
    /// Storage failed, or holds something it should not.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Any other failure on our side, described for the log.
    #[error("{0}")]
    Internal(String),
}

impl From<Violation> for ServerError {
    fn from(v: Violation) -> Self {
        ServerError::User(v.into())
    }
}

impl From<FieldErrors> for ServerError {
    fn from(errors: FieldErrors) -> Self {
        ServerError::User(AppError::Invalid(errors))
    }
}

impl ServerError {
    pub fn internal(what: impl Into<String>) -> Self {
        ServerError::Internal(what.into())
    }

    /// The answer for the person. This is where internal causes are logged, once: at the edge where
    /// a flow's result becomes a response.
    pub fn reported(self) -> AppError {
        match self {
            ServerError::User(e) => e,
            ServerError::Db(e) => {
                tracing::error!(error = %e, "database failure");
                AppError::Internal
            }
            ServerError::Internal(what) => {
                tracing::error!(error = %what, "internal failure");
                AppError::Internal
            }
        }
    }
}

/// The HTTP status that matches an error, so logs, proxies and the browser's network panel tell a
/// refused input (400) from a failure (500).
pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Invalid(_) | AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
        AppError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Unauthorized => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Aura(_) => StatusCode::BAD_GATEWAY,
        AppError::Internal | AppError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Ends a server function: internal causes logged, and the HTTP answer given the status that
/// matches the error.
pub fn with_status<T>(result: Result<T, ServerError>) -> Result<T, AppError> {
    result.map_err(|e| {
        let e = e.reported();
        set_status(status_of(&e));
        e
    })
}

/// Tells the client how long to wait before trying again (`Retry-After`, whole seconds), on a 429.
pub fn set_retry_after(wait: std::time::Duration) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        let seconds = wait.as_secs().max(1).to_string();
        if let Ok(value) = axum::http::HeaderValue::from_str(&seconds) {
            response.insert_header(axum::http::header::RETRY_AFTER, value);
        }
    }
}

/// Sets the status of the server function's (or page's) HTTP answer.
pub fn set_status(status: StatusCode) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
}
