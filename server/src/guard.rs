//! The guard every request passes (wrong host and cross-site refusal, who is asking, sign-in
//! redirect for pages).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use backend::auth::{CurrentViewer, load_viewer, sign_in_then};
use backend::error::status_of;
use backend::state::{AppState, SecurityConfig};
use backend::{ServerError, feed};
use tower_sessions::Session;
use url::{Origin, Url};

/// Every request except the probes and the embedded sandbox passes here:
/// 1. a request for a host the dashboard does not answer to is refused (DNS rebinding), and a
///    state-changing request from another origin too (cross-site request forgery);
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
    note_untrusted_proxy(&state.security, req.headers());
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    if !host.is_some_and(|h| state.security.answers_to(h)) {
        tracing::warn!(
            host = host.unwrap_or("(none)"),
            "refused a request for another host"
        );
        return (
            StatusCode::MISDIRECTED_REQUEST,
            "This dashboard does not answer to that address. Use its own address (PUBLIC_URL, or one of DASHBOARD_ALLOWED_HOSTS).",
        )
            .into_response();
    }
    // Browsers resolve "." and ".." before sending; only a crafted request carries them, and what
    // the guard decides must be about the path that will be served.
    if has_dot_segment(&path) {
        return (
            StatusCode::BAD_REQUEST,
            "Malformed path: \".\" and \"..\" segments are not accepted.",
        )
            .into_response();
    }
    if path.starts_with("/pkg/") {
        // The stylesheet and browser bundle: public, the same for everyone.
        return next.run(req).await;
    }
    if path.starts_with(feed::FEED_PATH) {
        // Calendar feeds: their secret address is the credential (read by calendar apps, which
        // have no session). One person's data: never kept in shared caches.
        let mut response = next.run(req).await;
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
        return response;
    }
    // A one-click unsubscribe comes from a mail program, from no page at all: its signed link is
    // the credential, and all it can do is stop mail.
    let one_click = path == backend::mail::UNSUBSCRIBE_PATH;
    if is_state_changing(req.method()) && !one_click && !same_origin(req.headers(), &state.security)
    {
        tracing::warn!(%path, "refused a cross-site request");
        return (
            StatusCode::FORBIDDEN,
            "This request came from another site and was refused. Use the dashboard itself.",
        )
            .into_response();
    }
    let is_page = !path.starts_with("/api/");
    let loaded = async {
        let mut viewer = load_viewer(&state.db, &session).await?;
        if is_page && let Some(v) = viewer.as_mut() {
            v.count_attention(&state.db).await?;
        }
        Ok::<_, ServerError>(viewer)
    };
    let viewer = match loaded.await {
        Ok(v) => v.map(Arc::new),
        Err(e) => {
            let e = e.reported();
            return (status_of(&e), e.to_string()).into_response();
        }
    };
    if is_page && viewer.is_none() && app::routes::needs_sign_in(&path) {
        let wanted = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        return Redirect::to(&sign_in_then(wanted)).into_response();
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

/// Whether a path has a "." or ".." segment, also percent-encoded (`%2e`).
fn has_dot_segment(path: &str) -> bool {
    path.split('/').any(|segment| {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        decoded == "." || decoded == ".."
    })
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// What the log (once) and `/readyz` (from then on) say when requests carry `X-Forwarded-For`
/// while proxy trust is off.
pub const UNTRUSTED_PROXY_WARNING: &str = "requests carry X-Forwarded-For but DASHBOARD_TRUST_PROXY is off: behind a reverse proxy every person shares its address for sign-in throttling, and 20 failed sign-ins from anyone pause sign-in for everyone there (set DASHBOARD_TRUST_PROXY=1 if the proxy sets that header)";

/// Logs, once per process, that requests carry `X-Forwarded-For` while proxy trust is off: behind
/// a proxy every person then shares its address for sign-in throttling. `/readyz` says so too.
fn note_untrusted_proxy(security: &SecurityConfig, headers: &HeaderMap) {
    use std::sync::atomic::Ordering;
    if !security.trust_forwarded_for
        && headers.contains_key("x-forwarded-for")
        && !security.forwarded_untrusted.swap(true, Ordering::Relaxed)
    {
        tracing::warn!("{UNTRUSTED_PROXY_WARNING}");
    }
}

/// Whether the request's `Origin` (or, lacking that header, its `Referer`'s origin) is the dashboard
/// itself: scheme, host and port exactly. Browsers send `Origin` with every POST; `Origin: null`
/// and a request with neither header are refused. Without a configured public origin, the origin's
/// scheme must be the one people reach the dashboard by ([`SecurityConfig::scheme`]) and its host
/// this request's `Host`, one the dashboard answers to.
fn same_origin(headers: &HeaderMap, security: &SecurityConfig) -> bool {
    let header_url = |name| -> Option<Url> { Url::parse(headers.get(name)?.to_str().ok()?).ok() };
    let claimed = match headers.get(header::ORIGIN) {
        Some(_) => header_url(header::ORIGIN),
        None => header_url(header::REFERER),
    }
    .map(|url| url.origin());
    let Some(ref claimed @ Origin::Tuple(ref scheme, _, _)) = claimed else {
        return false;
    };
    match &security.public_origin {
        Some(origin) => claimed == origin,
        None => {
            // No configured address: the dashboard is wherever this request was sent (its Host),
            // by the scheme it is served with.
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            let own = host.and_then(|h| Url::parse(&format!("{scheme}://{h}")).ok());
            scheme == security.scheme()
                && host.is_some_and(|h| security.answers_to(h))
                && own.is_some_and(|own| &own.origin() == claimed)
        }
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
        let local = SecurityConfig {
            allowed_hosts: vec!["dash.local".into()],
            ..SecurityConfig::default()
        };
        let public = |url: &str| SecurityConfig {
            public_origin: Some(Url::parse(url).expect("url").origin()),
            ..SecurityConfig::default()
        };
        assert!(same_origin(
            &headers(&[host.clone(), (header::ORIGIN, "http://dash.local:3000")]),
            &local
        ));
        assert!(!same_origin(
            &headers(&[host.clone(), (header::ORIGIN, "http://evil.example")]),
            &local
        ));
        assert!(!same_origin(
            &headers(&[host.clone(), (header::ORIGIN, "null")]),
            &local
        ));
        // No Origin: the Referer's origin counts.
        assert!(same_origin(
            &headers(&[
                host.clone(),
                (header::REFERER, "http://dash.local:3000/book")
            ]),
            &local
        ));
        assert!(!same_origin(
            &headers(&[
                host.clone(),
                (header::REFERER, "http://dash.local:3000.evil.example/")
            ]),
            &local
        ));
        // Another scheme on the same host and port is another origin.
        assert!(!same_origin(
            &headers(&[host.clone(), (header::ORIGIN, "evil://dash.local:3000")]),
            &local
        ));
        // An opaque origin does not fall back to the Referer.
        assert!(!same_origin(
            &headers(&[
                host.clone(),
                (header::ORIGIN, "null"),
                (header::REFERER, "http://dash.local:3000/book")
            ]),
            &local
        ));
        assert!(
            !same_origin(&headers(std::slice::from_ref(&host)), &local),
            "neither header"
        );
        // Served over plain HTTP: an https Origin on the same host is another origin.
        assert!(!same_origin(
            &headers(&[host.clone(), (header::ORIGIN, "https://dash.local:3000")]),
            &local
        ));
        // DNS rebinding: the attacker's name as both Host and Origin.
        let rebound = headers(&[
            (header::HOST, "evil.example"),
            (header::ORIGIN, "http://evil.example"),
        ]);
        assert!(!same_origin(&rebound, &local));
        // Behind a proxy the configured origin decides, not Host.
        let proxied = headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "https://dash.example.com"),
        ]);
        assert!(same_origin(&proxied, &public("https://dash.example.com/")));
        assert!(!same_origin(&proxied, &public("https://other.example.com")));
    }

    #[test]
    fn the_dashboard_answers_only_to_its_own_hosts() {
        let local = SecurityConfig {
            allowed_hosts: SecurityConfig::LOCAL_HOSTS
                .iter()
                .map(|h| h.to_string())
                .chain(["dash.lan:8080".to_string()])
                .collect(),
            ..SecurityConfig::default()
        };
        for host in [
            "127.0.0.1:3000",
            "localhost:3000",
            "[::1]:3000",
            "LOCALHOST",
            "dash.lan:8080",
        ] {
            assert!(local.answers_to(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:3000",
            "dash.lan:8081",
            "dash.lan",
            "",
            "a b",
            "127.0.0.1.evil.example",
        ] {
            assert!(!local.answers_to(host), "{host}");
        }
        let public = SecurityConfig {
            public_origin: Some(
                Url::parse("https://dash.example.com")
                    .expect("url")
                    .origin(),
            ),
            allowed_hosts: Vec::new(),
            ..SecurityConfig::default()
        };
        assert!(public.answers_to("dash.example.com"));
        assert!(public.answers_to("dash.example.com:443"));
        assert!(!public.answers_to("dash.example.com:8443"));
        assert!(!public.answers_to("127.0.0.1:3000"));
        assert!(!public.answers_to("evil.example"));
        assert_eq!(public.scheme(), "https");
        assert_eq!(local.scheme(), "http");
    }
}
