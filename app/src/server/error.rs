//! A flow's error as the HTTP answer of a server function or page: its status, and `Retry-After`
//! when the person is asked to wait.

use backend::ServerError;
use backend::error::status_of;

use crate::error::{ApiError, set_status};

/// Ends a server function: internal causes logged, and the HTTP answer given the status that
/// matches the error (and `Retry-After` when it asks to wait).
pub fn with_status<T>(result: Result<T, ServerError>) -> Result<T, ApiError> {
    result.map_err(|e| {
        if let ServerError::Wait { wait, .. } = &e {
            set_retry_after(*wait);
        }
        let e = e.reported();
        set_status(status_of(&e));
        ApiError(e)
    })
}

/// Tells the client how long to wait before trying again (`Retry-After`, whole seconds), on a 429.
fn set_retry_after(wait: std::time::Duration) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        let seconds = wait.as_secs().max(1).to_string();
        if let Ok(value) = axum::http::HeaderValue::from_str(&seconds) {
            response.insert_header(axum::http::header::RETRY_AFTER, value);
        }
    }
}
