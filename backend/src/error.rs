//! What a server-side flow can end with: an answer meant for the person (`AppError`), or a failure
//! on our side whose cause goes to the log and never to the browser.

use axum::http::StatusCode;

use crate::db::DbError;
use domain::error::AppError;
use domain::{FieldErrors, Violation};

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// What the person reads: a refused input, something not found, not allowed, or AURA's answer.
    #[error(transparent)]
    User(#[from] AppError),
    /// Too many attempts: what the person reads, and how long they should wait before trying
    /// again (an HTTP answer's `Retry-After`).
    #[error("{answer}")]
    Wait {
        answer: AppError,
        wait: std::time::Duration,
    },
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
            ServerError::User(e) | ServerError::Wait { answer: e, .. } => e,
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
