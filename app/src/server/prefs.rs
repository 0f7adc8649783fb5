//! What a browser chose to keep for itself, in cookies (no account needed, works signed out): the
//! colour theme. Read once per request, where the page is rendered.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};

use crate::model::Theme;

pub const THEME_COOKIE: &str = "aura_theme";

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
    let value = match theme {
        Theme::System => format!("{THEME_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax"),
        chosen => format!(
            "{THEME_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            chosen.key()
        ),
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
}
