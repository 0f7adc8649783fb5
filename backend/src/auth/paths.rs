//! Addresses the dashboard hands out or follows: its own origin (for a calendar feed's address),
//! the sign-in page with where to come back to, and the local paths that may be come back to.

use axum::http::{HeaderMap, header};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use crate::state::SecurityConfig;

/// The dashboard's address as people reach it: the configured public origin, else this request's
/// `Host` (over HTTPS when cookies are marked secure). For addresses handed out, like a calendar
/// feed's.
pub fn own_origin(security: &SecurityConfig, headers: &HeaderMap) -> Option<String> {
    if let Some(origin) = &security.public_origin {
        return Some(origin.ascii_serialization());
    }
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let scheme = if security.secure_cookies {
        "https"
    } else {
        "http"
    };
    let url = Url::parse(&format!("{scheme}://{host}")).ok()?;
    Some(url.origin().ascii_serialization())
}

/// What stays as it is in a query value carrying a local path: RFC 3986 unreserved characters and
/// `/`, so `?next=/bookings/4` reads as it is.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// The sign-in page, coming back to `wanted` afterwards.
pub fn sign_in_then(wanted: &str) -> String {
    format!(
        "/sign-in?next={}",
        utf8_percent_encode(&local_path(wanted), QUERY_VALUE)
    )
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

    #[test]
    fn sign_in_returns_only_to_local_paths() {
        assert_eq!(local_path("/bookings/4?x=1"), "/bookings/4?x=1");
        assert_eq!(local_path("//evil.example/"), "/");
        assert_eq!(local_path("https://evil.example/"), "/");
        assert_eq!(local_path("/\\evil.example"), "/");
        assert_eq!(local_path(""), "/");
        assert_eq!(local_path("/a\r\nSet-Cookie: x"), "/");
        assert_eq!(local_path("/caf\u{e9}"), "/");
    }

    #[test]
    fn the_sign_in_page_keeps_the_path_readable() {
        assert_eq!(sign_in_then("/bookings/4"), "/sign-in?next=/bookings/4");
        assert_eq!(
            sign_in_then("/upcoming?days=30"),
            "/sign-in?next=/upcoming%3Fdays%3D30"
        );
        assert_eq!(sign_in_then("//evil.example"), "/sign-in?next=/");
    }
}
