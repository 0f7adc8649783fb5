//! The HTTP router, built by a function so tests drive it without a socket.

use app::{App, shell};
use axum::extract::{FromRef, MatchedPath, Path, Request, State};
use axum::http::StatusCode;
use axum::response::Redirect;
use axum::routing::get;
use axum::{Json, Router};
use backend::AppState;
use backend::auth;
use backend::db;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::sandbox::{self, Sandbox};
use crate::sessions;
use backend::mail::UNSUBSCRIBE_PATH;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "aura_session";
/// A session ends after this long without a request.
pub const SESSION_IDLE: Duration = Duration::hours(12);

/// Pages, server functions and static files behind sessions and the request guard; the embedded
/// sandbox under `/sandbox` (outside both: it stands in for AURA) if given.
pub fn router(
    state: AppState,
    options: LeptosOptions,
    sandbox: Option<Sandbox>,
) -> Result<Router, String> {
    let routes = routes();
    let web = WebState {
        app: state.clone(),
        leptos: options.clone(),
    };
    // For load balancers and service managers: outside sessions and the guard.
    let probes = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state.clone());
    let sessions = SessionManagerLayer::new(sessions::Store::new(&state.db)?)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.security.secure_cookies)
        .with_expiry(Expiry::OnInactivity(SESSION_IDLE))
        // Signed-in sessions are written back on every request, so "idle" really means idle.
        // (Sessions with nothing in them are never stored.)
        .with_always_save(true);
    let mut router =
        Router::new()
            // Booking pages used to live at /requests/N: old links and bookmarks keep working.
            .route(
                "/requests/{id}",
                get(|Path(id): Path<i64>| async move {
                    Redirect::permanent(&format!("/bookings/{id}"))
                }),
            )
            .route("/feeds/{file}", get(calendar_feed))
            .route("/upcoming.csv", get(upcoming_csv))
            .route("/cancellations.csv", get(cancellations_csv))
            // One-click unsubscribe (RFC 8058) and the unsubscribe page's button; the page itself
            // (GET) is a Leptos route at the same path.
            .route(UNSUBSCRIBE_PATH, axum::routing::post(unsubscribe))
            .route("/mail/{id}/html", get(caught_html))
            // The closures page's forms (lists and a file: plain posts, see `closures`).
            .route("/closures/add", axum::routing::post(crate::closures::add))
            .route(
                "/closures/import",
                axum::routing::post(crate::closures::import),
            )
            .route(
                "/closures/{id}/apply",
                axum::routing::post(crate::closures::apply),
            )
            .route(
                "/closures/{id}/delete",
                axum::routing::post(crate::closures::delete),
            )
            .route(
                "/several/apply",
                axum::routing::post(crate::closures::apply_several),
            )
            .leptos_routes_with_context(
                &web,
                routes,
                {
                    let state = state.clone();
                    move || provide_context(state.clone())
                },
                move || shell(options.clone()),
            )
            .fallback(leptos_axum::file_and_error_handler_with_context::<
                WebState,
                _,
            >(
                {
                    let state = state.clone();
                    move || provide_context(state.clone())
                },
                shell,
            ))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                crate::guard::guard,
            ))
            .layer(sessions)
            .with_state(web);
    if let Some(sandbox) = sandbox {
        router = router.nest("/sandbox", sandbox::router(sandbox));
    }
    // The public API: a key is its credential (no session, no cookie, no cross-site check).
    router = router.nest(crate::api::API_PREFIX, crate::api::router(state.clone()));
    router = router.merge(probes);
    Ok(router
        .layer(axum::middleware::from_fn(bounded_body))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                // Our own failures are logged where they happen, inside this span; a 5xx the
                // sandbox was told to answer is not one.
                .on_failure(()),
        )
        .layer(CompressionLayer::new()))
}

/// What the router's handlers share: the app's state, and Leptos's options for rendering pages.
#[derive(Clone)]
pub struct WebState {
    pub app: AppState,
    pub leptos: LeptosOptions,
}

impl FromRef<WebState> for AppState {
    fn from_ref(web: &WebState) -> AppState {
        web.app.clone()
    }
}

impl FromRef<WebState> for LeptosOptions {
    fn from_ref(web: &WebState) -> LeptosOptions {
        web.leptos.clone()
    }
}

/// The app's routes, generated once per process. Generating them sets a process-wide flag in
/// leptos that parks every resource first polled meanwhile, for good (leptos-rs/leptos#4773): a
/// page rendered while another router was being built (tests build many, in parallel) never
/// finished. Once per process, before anything is served, nothing can be rendering.
fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The largest request body the dashboard reads. Its forms and JSON drafts are a few kilobytes;
/// a booking draft with every text field at its limit is under 16 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// How long a client may take to send its body once its headers are in.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Reads every request body here, before sessions, the guard and the handlers: a body declared or
/// found larger than [`MAX_BODY_BYTES`] is a 413, one that trickles in slower than
/// [`BODY_TIMEOUT`] a 408, a broken one a 400, each with a short plain message and a debug log
/// line. Handlers then see a body that is whole and small.
async fn bounded_body(request: Request, next: axum::middleware::Next) -> axum::response::Response {
    use http_body_util::{BodyExt, LengthLimitError, Limited};
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, request.uri().path());
    }
    let (parts, body) = request.into_parts();
    match tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, MAX_BODY_BYTES).collect()).await {
        Ok(Ok(whole)) => {
            let body = axum::body::Body::from(whole.to_bytes());
            next.run(Request::from_parts(parts, body)).await
        }
        Ok(Err(e)) if e.is::<LengthLimitError>() => {
            refuse(StatusCode::PAYLOAD_TOO_LARGE, parts.uri.path())
        }
        Ok(Err(_)) => refuse(StatusCode::BAD_REQUEST, parts.uri.path()),
        Err(_) => refuse(StatusCode::REQUEST_TIMEOUT, parts.uri.path()),
    }
}

/// Headers every answer carries: no sniffing of types, no framing (clickjacking), no full address
/// sent to other sites, and a Content-Security-Policy. Pages set their own (with the nonce of
/// their inline scripts, see `app::page_csp`); any other answer gets one that allows nothing, and
/// an HTML answer without one gets the pages' policy without a nonce (no inline script runs).
async fn security_headers(
    request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::HeaderValue;
    use axum::http::header;
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = if html {
            app::page_csp(None)
        } else {
            app::NOTHING_CSP.to_string()
        };
        if let Ok(policy) = HeaderValue::from_str(&policy) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    response
}

fn refuse(status: StatusCode, path: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "The request is too large (at most 64 KiB).",
        StatusCode::REQUEST_TIMEOUT => "The request arrived too slowly.",
        _ => "The request could not be read.",
    };
    tracing::debug!(path, %status, "request refused: {message}");
    if path.starts_with(crate::api::API_PREFIX) {
        return crate::api::refusal(status, message);
    }
    (
        status,
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        message,
    )
        .into_response()
}

/// Every log line of a request carries its method and route (the matched pattern, not the raw path:
/// no ids or query strings in logs).
fn request_span(request: &Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", MatchedPath::as_str);
    tracing::info_span!("request", method = %request.method(), route)
}

/// A private calendar feed (`/feeds/<secret>.ics`): iCalendar text, or a plain 404.
async fn calendar_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let origin = auth::own_origin(&state.security, &headers);
    match backend::feed::feed_calendar(&state, &file, origin, chrono::Utc::now()).await {
        Ok(text) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "inline; filename=\"aura-services.ics\"",
                ),
            ],
            text,
        )
            .into_response(),
        Err(e) => plain_error(e),
    }
}

/// The upcoming page's range: `?days=N` (30 when left out).
#[derive(serde::Deserialize)]
struct ExportQuery {
    days: Option<u32>,
}

/// The upcoming list as a spreadsheet, for the same range and customer choice as the page.
async fn upcoming_csv(
    State(state): State<AppState>,
    axum::Extension(auth::CurrentViewer(viewer)): axum::Extension<auth::CurrentViewer>,
    axum::extract::Query(query): axum::extract::Query<ExportQuery>,
) -> axum::response::Response {
    let days = query.days.unwrap_or(30);
    let Some(viewer) = viewer else {
        return csv_answer(Err(domain::error::AppError::Unauthorized.into()), "");
    };
    let csv = backend::export::upcoming_csv(&state, &viewer, days, chrono::Utc::now()).await;
    csv_answer(csv, &format!("upcoming-{days}-days.csv"))
}

/// The link's parts, as every unsubscribe link carries them.
#[derive(serde::Deserialize)]
struct UnsubscribeQuery {
    #[serde(default)]
    u: String,
    #[serde(default)]
    n: String,
    #[serde(default)]
    s: String,
}

/// Carries out a signed unsubscribe. A mail program's one-click POST (`List-Unsubscribe=One-Click`)
/// gets a plain 200; the page's button (`confirm`) is sent back to the page, which says it is done.
async fn unsubscribe(
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<UnsubscribeQuery>,
    body: String,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match backend::inbox::unsubscribe(&state, &q.u, &q.n, &q.s).await {
        Ok(_) if body.split('&').any(|pair| pair.starts_with("confirm=")) => Redirect::to(
            &format!("{UNSUBSCRIBE_PATH}?u={}&n={}&s={}&done=1", q.u, q.n, q.s),
        )
        .into_response(),
        Ok(link) => (
            StatusCode::OK,
            format!("Unsubscribed from: {}.", link.scope.label().to_lowercase()),
        )
            .into_response(),
        Err(e) => {
            let e = e.reported();
            (backend::error::status_of(&e), e.to_string()).into_response()
        }
    }
}

/// One caught mail's HTML part (demo mode's catcher, administrators), shown as sent, in a
/// sandbox: no script, no form, no request to anywhere.
async fn caught_html(
    State(state): State<AppState>,
    axum::Extension(auth::CurrentViewer(viewer)): axum::Extension<auth::CurrentViewer>,
    Path(id): Path<i64>,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let Some(viewer) = viewer else {
        return (StatusCode::UNAUTHORIZED, "Sign in first.").into_response();
    };
    match backend::inbox::caught_html(&state, &viewer, id).await {
        Ok(html) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src 'none'",
                ),
            ],
            html,
        )
            .into_response(),
        Err(e) => {
            let e = e.reported();
            (backend::error::status_of(&e), e.to_string()).into_response()
        }
    }
}

/// The cancellation ledger as a spreadsheet, for the same customer choice as the page.
async fn cancellations_csv(
    State(state): State<AppState>,
    axum::Extension(auth::CurrentViewer(viewer)): axum::Extension<auth::CurrentViewer>,
) -> axum::response::Response {
    let Some(viewer) = viewer else {
        return csv_answer(Err(domain::error::AppError::Unauthorized.into()), "");
    };
    let csv = backend::export::cancellations_csv(&state, &viewer).await;
    csv_answer(csv, "cancellations.csv")
}

fn csv_answer(csv: Result<String, backend::ServerError>, file: &str) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    match csv {
        Ok(text) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file}\""),
                ),
            ],
            text,
        )
            .into_response(),
        Err(e) => plain_error(e),
    }
}

/// A failure as a plain-text answer with its status (logged when it is ours).
fn plain_error(e: backend::ServerError) -> axum::response::Response {
    use axum::response::IntoResponse;
    let e = e.reported();
    (
        backend::error::status_of(&e),
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        e.to_string(),
    )
        .into_response()
}

/// The process is up and serving.
async fn healthz() -> &'static str {
    "ok\n"
}

/// What `/readyz` reports.
#[derive(serde::Serialize)]
struct Readiness {
    ready: bool,
    database: String,
    aura: String,
    /// Deployment problems that do not stop serving but need a person: e.g. requests carrying
    /// `X-Forwarded-For` while proxy trust is off.
    warnings: Vec<String>,
}

/// The warning `/readyz` carries once a request came with `X-Forwarded-For` and proxy trust off
/// (the guard logs the same words once).
pub use crate::guard::UNTRUSTED_PROXY_WARNING;

/// Ready to serve: the database takes a write, and an AURA token can be had (the cached one, or a
/// fresh one). 503 with the reason when not.
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let database = db::check_writable(&state.db, chrono::Utc::now())
        .await
        .map_err(|e| format!("not writable: {e}"));
    let aura =
        match tokio::time::timeout(std::time::Duration::from_secs(15), state.aura.check_token())
            .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("no token: {e}")),
            Err(_) => Err("no token: AURA did not answer in 15 s".to_string()),
        };
    let ready = database.is_ok() && aura.is_ok();
    let word = |r: Result<(), String>| r.err().unwrap_or_else(|| "ok".into());
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut warnings = Vec::new();
    if state
        .security
        .forwarded_untrusted
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        warnings.push(UNTRUSTED_PROXY_WARNING.to_string());
    }
    (
        status,
        Json(Readiness {
            ready,
            database: word(database),
            aura: word(aura),
            warnings,
        }),
    )
}

#[cfg(test)]
mod route_tests {
    /// `app::routes::PAGES` (what the shell and the guard decide by) names exactly the pages
    /// `App`'s router serves.
    #[test]
    fn the_route_table_lists_every_page_the_app_serves() {
        let mut served: Vec<String> = super::routes()
            .iter()
            .map(|r| r.path().to_string())
            .collect();
        served.sort();
        served.dedup();
        let mut table: Vec<String> = app::routes::PAGES
            .iter()
            .map(|page| {
                page.path
                    .split('/')
                    .map(|segment| match segment.strip_prefix(':') {
                        Some(name) => format!("{{{name}}}"),
                        None => segment.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .collect();
        table.sort();
        assert_eq!(served, table);
    }
}
