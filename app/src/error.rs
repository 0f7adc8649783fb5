//! The error every server function answers with: the person-facing [`AppError`] of the `domain`
//! crate, carried as JSON between the server and the browser.

use std::ops::Deref;

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

pub use domain::error::{AppError, FIELDS_NEED_ATTENTION};

/// [`AppError`] as a server function's error (the wrapper only adds how Leptos carries it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(transparent)]
#[error(transparent)]
pub struct ApiError(pub AppError);

impl Deref for ApiError {
    type Target = AppError;

    fn deref(&self) -> &AppError {
        &self.0
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    /// On the server these errors come from decoding a request's arguments: the caller sent what no
    /// page of ours sends, which is a 400. In the browser they are failures of the call itself.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        ApiError(match value {
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Args(why) | ServerFnErrorErr::Deserialization(why) => {
                // server_fn answers every error 500; the status it cannot know is set here. The
                // request's span names the server function.
                tracing::debug!(error = %why, "malformed request refused");
                set_status(axum::http::StatusCode::BAD_REQUEST);
                AppError::BadRequest(why)
            }
            other => AppError::Transport(other.to_string()),
        })
    }
}

/// Sets the status of the server function's (or page's) HTTP answer.
#[cfg(feature = "ssr")]
pub fn set_status(status: axum::http::StatusCode) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
}
