//! Who is asking and what they may touch: sessions, the signed-in viewer and their customers,
//! passwords, sign-in throttling, and the guard every request passes (cross-site refusal, viewer
//! resolution, sign-in redirect for pages).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::db::{self, Actor, CustomerRow, CustomerScope};
use super::state::AppState;
use crate::error::AppError;
use crate::model::{CustomerOption, FormFlash, Role, SessionView};

const SESSION_USER: &str = "user";
const SESSION_CUSTOMER: &str = "customer";
const SESSION_FLASH: &str = "flash";

/// What the session remembers about the person: who, and under which grant (`epoch` changes when
/// an administrator disables the account or changes its role or password, ending the session).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct SessionUser {
    id: i64,
    epoch: i64,
}

/// The signed-in person and the customers they may act for, resolved once per request.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Every customer in reach: the user's own, the assigned ones, or all (administrators).
    pub customers: Vec<CustomerRow>,
    /// The customer picked in the switcher, if it is still in reach.
    pub selected: Option<i64>,
}

impl Viewer {
    /// Every customer whose data this person may read or change.
    pub fn scope(&self) -> CustomerScope {
        match self.role {
            Role::Admin => CustomerScope::All,
            Role::Customer | Role::AccountManager => {
                CustomerScope::Only(self.customers.iter().map(|c| c.id).collect())
            }
        }
    }

    /// What the views show: the switcher's customer, or everything in reach.
    pub fn view_scope(&self) -> CustomerScope {
        match self.selected {
            Some(id) => CustomerScope::Only(vec![id]),
            None => self.scope(),
        }
    }

    /// Whether views span several customers (and so name the customer of each entry).
    pub fn sees_several(&self) -> bool {
        self.selected.is_none() && self.customers.len() > 1
    }

    /// "Northwind Estates", or "all 3 of your customers" (after "Showing").
    pub fn showing_for(&self) -> String {
        match (self.selected_customer(), self.customers.as_slice()) {
            (Some(c), _) | (None, [c]) => c.name.clone(),
            (None, []) => "No customers yet".into(),
            (None, all) if self.role == Role::Admin => format!("all {} customers", all.len()),
            (None, all) => format!("all {} of your customers", all.len()),
        }
    }

    pub fn selected_customer(&self) -> Option<&CustomerRow> {
        self.selected
            .and_then(|id| self.customers.iter().find(|c| c.id == id))
    }

    /// A customer in reach; anything else is "not found" (nobody learns which customers exist).
    pub fn customer(&self, id: i64) -> Result<&CustomerRow, AppError> {
        self.customers.iter().find(|c| c.id == id).ok_or_else(|| {
            AppError::NotFound("No customer with that number is yours to act for.".into())
        })
    }

    /// The customer a booking is for: the one named, else the switcher's, else the only one.
    pub fn acting_customer(&self, requested: Option<i64>) -> Result<&CustomerRow, AppError> {
        if let Some(id) = requested {
            return self.customer(id);
        }
        match (self.selected_customer(), self.customers.as_slice()) {
            (Some(c), _) | (None, [c]) => Ok(c),
            (None, []) => Err(AppError::Forbidden(
                "No customer is assigned to you yet. Ask an administrator to assign one.".into(),
            )),
            (None, _) => Err(AppError::Conflict(
                "Choose the customer this is for first.".into(),
            )),
        }
    }

    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "Only administrators can manage accounts and customers.".into(),
            ))
        }
    }

    /// The audit-trail entry for this person acting for `customer`: staff acting for a customer
    /// are recorded with that customer as well.
    pub fn actor_for(&self, customer_name: &str) -> Actor {
        Actor {
            name: self.name.clone(),
            user_id: Some(self.user_id),
            on_behalf_of: self
                .role
                .spans_customers()
                .then(|| customer_name.to_string()),
        }
    }

    pub fn session_view(&self) -> SessionView {
        SessionView {
            name: self.name.clone(),
            email: self.email.clone(),
            role: self.role,
            customers: self.customers.iter().map(CustomerOption::from).collect(),
            selected_customer: self.selected,
        }
    }
}

/// The request extension `guard` leaves for pages and server functions.
#[derive(Debug, Clone)]
pub struct CurrentViewer(pub Option<Arc<Viewer>>);

fn current() -> Option<Arc<Viewer>> {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CurrentViewer>().cloned())
        .and_then(|c| c.0)
}

/// The signed-in person, or `Unauthorized`.
pub fn viewer() -> Result<Arc<Viewer>, AppError> {
    current().ok_or(AppError::Unauthorized)
}

/// The signed-in person as the header shows them (server rendering only).
pub fn session_view() -> Option<SessionView> {
    current().map(|v| v.session_view())
}

/// The session of the request being served.
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!("session layer missing: {e}");
        AppError::Internal
    })
}

fn session_failed(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session store failed");
    AppError::Internal
}

async fn load_viewer(
    pool: &sqlx::SqlitePool,
    session: &Session,
) -> Result<Option<Viewer>, AppError> {
    let Some(su) = session
        .get::<SessionUser>(SESSION_USER)
        .await
        .map_err(session_failed)?
    else {
        return Ok(None);
    };
    let user = db::user_by_id(pool, su.id).await?;
    let Some(user) = user.filter(|u| u.disabled_at.is_none() && u.session_epoch == su.epoch) else {
        // Disabled, deleted, or its grant changed: this session is over.
        session.flush().await.map_err(session_failed)?;
        return Ok(None);
    };
    let selected = session
        .get::<i64>(SESSION_CUSTOMER)
        .await
        .map_err(session_failed)?;
    Ok(Some(Viewer::of_user(pool, user, selected).await?))
}

impl Viewer {
    /// `user` with the customers their role reaches, and `selected` if it is one of them (only
    /// people acting for several customers select one).
    pub async fn of_user(
        pool: &sqlx::SqlitePool,
        user: db::UserRow,
        selected: Option<i64>,
    ) -> Result<Viewer, AppError> {
        let role = user.role()?;
        let customers = match role {
            Role::Customer => match user.customer_id {
                Some(id) => db::customer_by_id(pool, id).await?.into_iter().collect(),
                None => Vec::new(),
            },
            Role::AccountManager => db::customers_of_manager(pool, user.id).await?,
            Role::Admin => db::all_customers(pool).await?,
        };
        let selected = selected
            .filter(|_| role.spans_customers())
            .filter(|id| customers.iter().any(|c| c.id == *id));
        Ok(Viewer {
            user_id: user.id,
            name: user.name,
            email: user.email,
            role,
            customers,
            selected,
        })
    }
}

/// Starts a signed-in session under a fresh id (so an id planted before sign-in is worthless) and
/// with nothing carried over from whoever used this browser before.
pub async fn start_session(session: &Session, user: &db::UserRow) -> Result<(), AppError> {
    session.clear().await;
    session.cycle_id().await.map_err(session_failed)?;
    session
        .insert(
            SESSION_USER,
            SessionUser {
                id: user.id,
                epoch: user.session_epoch,
            },
        )
        .await
        .map_err(session_failed)
}

pub async fn end_session(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(session_failed)
}

pub async fn select_customer(session: &Session, customer: Option<i64>) -> Result<(), AppError> {
    match customer {
        Some(id) => session.insert(SESSION_CUSTOMER, id).await,
        None => session.remove::<i64>(SESSION_CUSTOMER).await.map(|_| ()),
    }
    .map_err(session_failed)
}

pub async fn set_flash(session: &Session, flash: &FormFlash) -> Result<(), AppError> {
    session
        .insert(SESSION_FLASH, flash)
        .await
        .map_err(session_failed)
}

/// The flash left by the last form submit, removed so it shows once.
pub async fn take_flash() -> Result<Option<FormFlash>, AppError> {
    let session = session().await?;
    let flash = session
        .get::<FormFlash>(SESSION_FLASH)
        .await
        .map_err(session_failed)?;
    if flash.is_some() {
        session
            .remove_value(SESSION_FLASH)
            .await
            .map_err(session_failed)?;
    }
    Ok(flash)
}

// --- Passwords -----------------------------------------------------------------------------------

pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 256;

/// Why a new password is refused, or `None`.
pub fn new_password_problem(password: &str) -> Option<String> {
    let n = password.chars().count();
    if n < PASSWORD_MIN_CHARS {
        Some(format!(
            "Use at least {PASSWORD_MIN_CHARS} characters; a few unrelated words work well."
        ))
    } else if n > PASSWORD_MAX_CHARS {
        Some(format!("Use at most {PASSWORD_MAX_CHARS} characters."))
    } else {
        None
    }
}

/// An Argon2id hash (with its own salt and parameters) of `password`. Slow on purpose: run it off
/// the async threads.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || password_auth::generate_hash(password))
        .await
        .map_err(|e| {
            tracing::error!("password hashing failed: {e}");
            AppError::Internal
        })
}

/// Whether `password` matches `hash`. Without a hash (no such account) a dummy is checked, so
/// answers take as long whether or not the email exists. Overlong input is refused without hashing
/// it (hashing cost grows with length).
pub async fn password_matches(password: String, hash: Option<String>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if password.chars().count() > PASSWORD_MAX_CHARS {
        return false;
    }
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| {
            DUMMY
                .get_or_init(|| password_auth::generate_hash("not a real password"))
                .clone()
        });
        // Verify first, always: an unknown email must cost the same Argon2 work as a known one.
        let verified = password_auth::verify_password(password, &hash).is_ok();
        known && verified
    })
    .await
    .unwrap_or(false)
}

// --- Sign-in throttling --------------------------------------------------------------------------

/// Counts sign-in attempts per account and per address over a sliding window and says how long to
/// wait once too many failed. Each attempt is counted as a failure *before* the password is checked
/// (and forgiven if it succeeds), so a burst of parallel guesses cannot slip past the limit. In
/// memory: a restart forgets, which only ever helps a real user.
pub struct SignInLimiter {
    attempts: Mutex<HashMap<String, VecDeque<Instant>>>,
    window: Duration,
    per_account: usize,
    per_address: usize,
}

impl Default for SignInLimiter {
    fn default() -> Self {
        SignInLimiter::new(Duration::from_secs(15 * 60), 5, 20)
    }
}

/// Beyond this many tracked keys, expired ones are swept on the next attempt.
const LIMITER_SWEEP_AT: usize = 10_000;

impl SignInLimiter {
    pub fn new(window: Duration, per_account: usize, per_address: usize) -> Self {
        SignInLimiter {
            attempts: Mutex::new(HashMap::new()),
            window,
            per_account,
            per_address,
        }
    }

    fn account_key(email: &str) -> String {
        format!("account:{}", email.trim().to_lowercase())
    }

    fn address_key(address: &str) -> String {
        format!("address:{address}")
    }

    /// Starts an attempt: `Err(wait)` if this account or address is over its limit, otherwise the
    /// attempt is counted (as failed until `succeeded` says otherwise).
    pub fn begin(&self, email: &str, address: &str, now: Instant) -> Result<(), Duration> {
        let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        let window = self.window;
        let expired = |t: &Instant| now.saturating_duration_since(*t) >= window;
        if attempts.len() > LIMITER_SWEEP_AT {
            attempts.retain(|_, times| times.back().is_some_and(|t| !expired(t)));
        }
        let keys = [
            (Self::account_key(email), self.per_account),
            (Self::address_key(address), self.per_address),
        ];
        let mut wait = None;
        for (key, limit) in &keys {
            let Some(times) = attempts.get_mut(key) else {
                continue;
            };
            while times.front().is_some_and(expired) {
                times.pop_front();
            }
            if times.len() >= *limit {
                // Allowed again once the oldest attempt that keeps it at the limit leaves the window.
                let oldest = times[times.len() - limit];
                let left = window.saturating_sub(now.saturating_duration_since(oldest));
                wait = wait.max(Some(left));
            }
        }
        if let Some(wait) = wait {
            return Err(wait);
        }
        for (key, limit) in keys {
            let times = attempts.entry(key).or_default();
            times.push_back(now);
            while times.len() > limit {
                times.pop_front();
            }
        }
        Ok(())
    }

    /// The attempt begun at `at` succeeded: the account starts afresh and the address's count
    /// forgets this one.
    pub fn succeeded(&self, email: &str, address: &str, at: Instant) {
        let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        attempts.remove(&Self::account_key(email));
        let key = Self::address_key(address);
        if let Some(times) = attempts.get_mut(&key) {
            if let Some(i) = times.iter().rposition(|t| *t == at) {
                times.remove(i);
            }
            if times.is_empty() {
                attempts.remove(&key);
            }
        }
    }
}

// --- The request guard ---------------------------------------------------------------------------

/// Settings the guard needs from the deployment.
#[derive(Debug, Clone, Default)]
pub struct SecurityConfig {
    /// The dashboard's public origin (e.g. `https://dash.example.com`); without it, a request's own
    /// `Host` is the origin.
    pub public_origin: Option<String>,
    /// Behind a reverse proxy: take the client address from the last `X-Forwarded-For` entry.
    pub trust_forwarded_for: bool,
    /// Mark the session cookie `Secure` (the dashboard is served over HTTPS).
    pub secure_cookies: bool,
}

/// Every request except static files and the embedded sandbox passes here:
/// 1. a state-changing request from another origin is refused (cross-site request forgery);
/// 2. the session's person is resolved (disabled accounts and changed grants end at once) and
///    left as `CurrentViewer` for pages and server functions;
/// 3. pages need someone signed in: anyone else goes to the sign-in page.
pub async fn guard(
    State(state): State<AppState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/pkg/") {
        // The stylesheet and browser bundle: public, the same for everyone.
        return next.run(req).await;
    }
    if is_state_changing(req.method())
        && !same_origin(req.headers(), state.security.public_origin.as_deref())
    {
        tracing::warn!(%path, "refused a cross-site request");
        return (
            StatusCode::FORBIDDEN,
            "This request came from another site and was refused. Use the dashboard itself.",
        )
            .into_response();
    }
    let viewer = match load_viewer(&state.pool, &session).await {
        Ok(v) => v.map(Arc::new),
        Err(_) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side and has been logged. Please try again in a moment.",
            )
                .into_response();
        }
    };
    let is_page = !path.starts_with("/api/");
    if is_page && viewer.is_none() && path != "/sign-in" {
        let wanted = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let target = format!("/sign-in?next={}", url_encode(wanted));
        return Redirect::to(&target).into_response();
    }
    req.extensions_mut().insert(CurrentViewer(viewer));
    let mut response = next.run(req).await;
    // Pages and answers carry one person's data: never keep them in shared caches.
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("private, no-store"));
    response
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the request's `Origin` (or, lacking that, `Referer`) is the dashboard itself. Browsers
/// send `Origin` with every POST; a request with neither is refused too.
fn same_origin(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    let claimed = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| *o != "null")
        .map(str::to_string)
        .or_else(|| {
            let referer = headers.get(header::REFERER)?.to_str().ok()?;
            let after_scheme = referer.find("://")? + 3;
            let end = referer[after_scheme..]
                .find('/')
                .map_or(referer.len(), |i| after_scheme + i);
            Some(referer[..end].to_string())
        });
    let Some(claimed) = claimed else {
        return false;
    };
    match public_origin {
        Some(origin) => claimed.eq_ignore_ascii_case(origin.trim_end_matches('/')),
        None => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            let claimed_host = claimed.split_once("://").map(|(_, h)| h);
            matches!((host, claimed_host), (Some(h), Some(c)) if h.eq_ignore_ascii_case(c))
        }
    }
}

/// The client's address, for sign-in throttling.
pub async fn client_address(security: &SecurityConfig) -> String {
    if security.trust_forwarded_for
        && let Some(parts) = leptos::prelude::use_context::<axum::http::request::Parts>()
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
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|p| {
            p.headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where to go after signing in: only a path on this site (`/…`, not `//host`), else home. Only
/// printable ASCII passes, so the result is always a valid `Location` header.
pub fn local_path(next: &str) -> String {
    let next = next.trim();
    if next.starts_with('/')
        && !next.starts_with("//")
        && next.chars().all(|c| c.is_ascii_graphic() && c != '\\')
    {
        next.to_string()
    } else {
        "/".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn only_the_dashboards_own_origin_may_change_things() {
        let host = (header::HOST, "dash.local:3000");
        assert!(same_origin(
            &headers(&[host.clone(), (header::ORIGIN, "http://dash.local:3000")]),
            None
        ));
        assert!(!same_origin(
            &headers(&[host.clone(), (header::ORIGIN, "http://evil.example")]),
            None
        ));
        assert!(!same_origin(
            &headers(&[host.clone(), (header::ORIGIN, "null")]),
            None
        ));
        // No Origin: the Referer's origin counts.
        assert!(same_origin(
            &headers(&[
                host.clone(),
                (header::REFERER, "http://dash.local:3000/book")
            ]),
            None
        ));
        assert!(!same_origin(
            &headers(&[
                host.clone(),
                (header::REFERER, "http://dash.local:3000.evil.example/")
            ]),
            None
        ));
        assert!(!same_origin(&headers(&[host]), None), "neither header");
        // Behind a proxy the configured origin decides, not Host.
        let proxied = headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "https://dash.example.com"),
        ]);
        assert!(same_origin(&proxied, Some("https://dash.example.com/")));
        assert!(!same_origin(&proxied, Some("https://other.example.com")));
    }

    #[test]
    fn sign_in_returns_only_to_local_paths() {
        assert_eq!(local_path("/requests/4?x=1"), "/requests/4?x=1");
        assert_eq!(local_path("//evil.example/"), "/");
        assert_eq!(local_path("https://evil.example/"), "/");
        assert_eq!(local_path("/\\evil.example"), "/");
        assert_eq!(local_path(""), "/");
        assert_eq!(local_path("/a\r\nSet-Cookie: x"), "/");
        assert_eq!(local_path("/caf\u{e9}"), "/");
    }

    #[test]
    fn repeated_failures_are_slowed_down_per_account_and_per_address() {
        let limiter = SignInLimiter::new(Duration::from_secs(600), 3, 5);
        let t0 = Instant::now();
        let at = |s| t0 + Duration::from_secs(s);
        for i in 0..3 {
            assert_eq!(limiter.begin("Ann@x.test", "1.1.1.1", at(i)), Ok(()));
        }
        // Counted up front: the fourth attempt waits, from any address, whatever its password.
        assert_eq!(
            limiter.begin("ann@x.test", "2.2.2.2", at(10)),
            Err(Duration::from_secs(590))
        );
        // Another account from the same address goes on ...
        assert_eq!(limiter.begin("bob@x.test", "1.1.1.1", at(10)), Ok(()));
        assert_eq!(limiter.begin("cy@x.test", "1.1.1.1", at(10)), Ok(()));
        // ... until the address reaches its own limit (refused attempts are not counted).
        assert!(limiter.begin("dee@x.test", "1.1.1.1", at(10)).is_err());
        // The window slides.
        assert_eq!(limiter.begin("ann@x.test", "3.3.3.3", at(603)), Ok(()));
    }

    #[test]
    fn a_success_forgives_the_account_and_its_own_attempt() {
        let limiter = SignInLimiter::new(Duration::from_secs(600), 3, 3);
        let t0 = Instant::now();
        let at = |s| t0 + Duration::from_secs(s);
        assert_eq!(limiter.begin("ann@x.test", "1.1.1.1", at(0)), Ok(()));
        assert_eq!(limiter.begin("ann@x.test", "1.1.1.1", at(1)), Ok(()));
        assert_eq!(limiter.begin("ann@x.test", "1.1.1.1", at(2)), Ok(()));
        limiter.succeeded("ann@x.test", "1.1.1.1", at(2));
        // Two failures remain on the address, none on the account.
        assert_eq!(limiter.begin("ann@x.test", "1.1.1.1", at(3)), Ok(()));
        assert_eq!(
            limiter.begin("bob@x.test", "1.1.1.1", at(4)),
            Err(Duration::from_secs(596))
        );
    }

    #[test]
    fn new_passwords_have_a_sensible_length() {
        assert!(new_password_problem("short").is_some());
        assert!(new_password_problem("correct horse battery").is_none());
        assert!(new_password_problem(&"x".repeat(300)).is_some());
    }
}
