//! The HTTP router, built by a function so tests drive it without a socket.

use app::server::AppState;
use app::{App, shell};
use axum::Router;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::compression::CompressionLayer;

use crate::sandbox::{self, Sandbox};

/// Pages, server functions and static files; the embedded sandbox under `/sandbox` if given.
pub fn router(state: AppState, sandbox: Option<Sandbox>) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let mut router = Router::new()
        .leptos_routes(&state, routes, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .with_state(state);
    if let Some(sandbox) = sandbox {
        router = router.nest("/sandbox", sandbox::router(sandbox));
    }
    router.layer(CompressionLayer::new())
}
