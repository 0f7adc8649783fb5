//! What a browser chose to keep for itself, in cookies (no account needed, works signed out): the
//! colour theme, the browser's own time zone (written by a line of script on every page) and whether
//! the calendar shows times in it. Read once per request, where they are used.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};

use backend::bookings::ViewerZones;
use backend::zone::Zone;
use domain::model::{Theme, TimesIn};

pub const THEME_COOKIE: &str = "aura_theme";
pub const TIMES_COOKIE: &str = "aura_times";
/// Set by the page's script from `Intl.DateTimeFormat().resolvedOptions().timeZone`.
pub const ZONE_COOKIE: &str = "aura_zone";

/// The theme a request's cookie names; the system's when none (or an unknown one) is named.
pub fn theme_of(headers: &HeaderMap) -> Theme {
    cookie(headers, THEME_COOKIE)
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

/// The theme of the request being rendered.
pub fn current_theme() -> Theme {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .map(|parts| theme_of(&parts.headers))
        .unwrap_or_default()
}

/// The browser's own zone (if it told a known one) and whose zone the calendar shows times in.
pub fn viewer_zones(headers: &HeaderMap) -> ViewerZones {
    let own = cookie(headers, ZONE_COOKIE)
        .map(|v| percent_encoding::percent_decode_str(v).decode_utf8_lossy())
        .and_then(|name| name.parse::<Zone>().ok());
    let times_in = cookie(headers, TIMES_COOKIE)
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    ViewerZones { own, times_in }
}

/// The zones of the request being served.
pub fn current_viewer_zones() -> ViewerZones {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .map(|parts| viewer_zones(&parts.headers))
        .unwrap_or_default()
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Keeps `theme` in the browser for a year (the system's: forgets the choice).
pub fn keep_theme(theme: Theme) {
    keep(THEME_COOKIE, (theme != Theme::System).then(|| theme.key()));
}

/// Keeps whose zone the calendar shows times in (the sites': forgets the choice).
pub fn keep_times_in(times_in: TimesIn) {
    keep(
        TIMES_COOKIE,
        (times_in != TimesIn::Site).then(|| times_in.key()),
    );
}

/// Sets a cookie for a year, or clears it; `Secure` where the session cookie is.
fn keep(name: &str, value: Option<&str>) {
    let secure = super::app_state().is_ok_and(|s| s.security.secure_cookies);
    let secure = if secure { "; Secure" } else { "" };
    let value = match value {
        None => format!("{name}=; Path=/; Max-Age=0; SameSite=Lax{secure}"),
        Some(v) => format!("{name}={v}; Path=/; Max-Age=31536000; SameSite=Lax{secure}"),
    };
    if let (Some(response), Ok(value)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&value),
    ) {
        response.append_header(SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_theme_cookie_is_read_among_others_and_unknown_values_mean_system() {
        let headers = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(COOKIE, HeaderValue::from_str(v).expect("header"));
            h
        };
        assert_eq!(theme_of(&headers("a=1; aura_theme=dark; b=2")), Theme::Dark);
        assert_eq!(theme_of(&headers("aura_theme=light")), Theme::Light);
        assert_eq!(theme_of(&headers("aura_theme=purple")), Theme::System);
        assert_eq!(theme_of(&HeaderMap::new()), Theme::System);
    }

    #[test]
    fn the_browser_zone_counts_only_when_known_and_chosen() {
        let headers = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(COOKIE, HeaderValue::from_str(v).expect("header"));
            h
        };
        let z = viewer_zones(&headers("aura_zone=Europe%2FParis; aura_times=mine"));
        assert_eq!(z.own.map(|z| z.name()), Some("Europe/Paris"));
        assert_eq!(z.times_in, TimesIn::Mine);
        let z = viewer_zones(&headers("aura_zone=Mars%2FOlympus; aura_times=mine"));
        assert_eq!(z.own, None);
        let z = viewer_zones(&headers("aura_zone=Asia/Tokyo"));
        assert_eq!(
            (z.own.map(|z| z.name()), z.times_in),
            (Some("Asia/Tokyo"), TimesIn::Site)
        );
    }
}
