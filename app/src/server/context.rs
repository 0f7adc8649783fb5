//! The request being served, as Leptos hands it to pages and server functions: the shared state,
//! the session, the person the request guard found, the client's address and what it accepts.

use std::sync::Arc;

use axum::http::header;
use backend::auth::{self, CurrentViewer, Viewer};
use backend::state::SecurityConfig;
use backend::{AppState, ServerError};
use domain::error::AppError;
use domain::model::{FormFlash, SessionView};
use tower_sessions::Session;

/// The state inside a server function or page (provided by the router).
pub fn app_state() -> Result<AppState, ServerError> {
    leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| ServerError::internal("AppState missing from the server function context"))
}

fn parts() -> Option<axum::http::request::Parts> {
    leptos::prelude::use_context::<axum::http::request::Parts>()
}

fn current() -> Option<Arc<Viewer>> {
    parts()
        .and_then(|parts| parts.extensions.get::<CurrentViewer>().cloned())
        .and_then(|c| c.0)
}

/// The signed-in person, or `Unauthorized`.
pub fn viewer() -> Result<Arc<Viewer>, ServerError> {
    current().ok_or(ServerError::User(AppError::Unauthorized))
}

/// The signed-in person as the header shows them (server rendering only).
pub fn session_view() -> Option<SessionView> {
    current().map(|v| v.session_view())
}

/// The session of the request being served.
pub async fn session() -> Result<Session, ServerError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| ServerError::internal(format!("session layer missing: {e}")))
}

/// The flash left by the last form submit, removed so it shows once.
pub async fn take_flash() -> Result<Option<FormFlash>, ServerError> {
    auth::take_flash(&session().await?).await
}

/// The client's address, for sign-in throttling.
pub async fn client_address(security: &SecurityConfig) -> String {
    if security.trust_forwarded_for
        && let Some(parts) = parts()
        && let Some(last) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
    {
        return last.trim().to_string();
    }
    leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .await
        .map(|info| info.0.ip().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// Whether the request is a plain HTML form submit (the browser wants a page back).
pub fn accepts_html() -> bool {
    parts()
        .and_then(|p| {
            p.headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}
