//! The AURA scheduled-services dashboard: pages, server functions and the shared booking model.
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod error;
pub mod pages;
pub mod routes;
pub mod says;
#[cfg(feature = "ssr")]
pub mod server;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

use components::nav::Header;
use pages::{
    account::AccountPage,
    admin::{AdminCustomerPage, AdminCustomersPage, AdminUsersPage},
    attention::AttentionPage,
    book::BookPage,
    booking::BookingPage,
    calendar::CalendarPage,
    closures::ClosuresPageView,
    inbox::InboxPage,
    integrations::{DeliveriesPage, IntegrationsPage},
    mail::{DeliveryLogPage, MailCatcherPage},
    not_found::NotFound,
    password::{ForgotPasswordPage, ResetPasswordPage},
    several::SeveralPage,
    sign_in::SignInPage,
    sites::SitesPage,
    unsubscribe::UnsubscribePage,
    upcoming::UpcomingPage,
};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let theme = server::prefs::current_theme();
    #[cfg(not(feature = "ssr"))]
    let theme = domain::model::Theme::System;
    provide_context(theme);
    let chosen = (theme != domain::model::Theme::System).then(|| theme.key());
    // Only pages with an island load the browser bundle; the others are plain HTML.
    #[cfg(feature = "ssr")]
    let islands = use_context::<axum::http::request::Parts>()
        .is_none_or(|parts| has_islands(parts.uri.path()));
    #[cfg(not(feature = "ssr"))]
    let islands = true;
    let nonce = leptos::nonce::use_nonce();
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(policy) = axum::http::HeaderValue::from_str(&page_csp(nonce.as_deref()))
    {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, policy);
    }
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=chosen>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="data:," />
                <AutoReload options=options.clone() />
                {islands.then(|| view! { <HydrationScripts options islands=true /> })}
                <MetaTags />
                <script nonce=nonce inner_html=REMEMBER_BROWSER_ZONE></script>
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Tells the server the browser's time zone (a cookie), for the calendar's "times in my zone".
const REMEMBER_BROWSER_ZONE: &str = "try{var z=encodeURIComponent(Intl.DateTimeFormat().resolvedOptions().timeZone);\
if(z&&document.cookie.indexOf('aura_zone='+z)<0)\
document.cookie='aura_zone='+z+';path=/;max-age=31536000;samesite=lax'+(location.protocol=='https:'?';secure':'');}catch(e){}";

/// The Content-Security-Policy of every page. Scripts: the site's own files (the browser bundle),
/// the inline scripts that carry this response's `nonce` (leptos's hydration and streaming
/// scripts, and ours), and WebAssembly compilation: no `'unsafe-inline'`, no `eval`. Styles: the
/// site's stylesheet; inline `style` attributes only (the week view places windows with CSS
/// variables), no `<style>` elements. Nothing from elsewhere, no plugins, no `<base>`, forms post
/// only here, and no page may be framed.
pub fn page_csp(nonce: Option<&str>) -> String {
    let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; style-src 'self'; \
         style-src-attr 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The Content-Security-Policy of every answer that is not a page (data, files, errors): nothing
/// may run or load, and nothing may frame it.
pub const NOTHING_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub use routes::has_islands;

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/aura-dashboard.css" />
        <Title formatter=page_title />
        <Router>
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            <Header />
            <main id="main">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=CalendarPage ssr=SsrMode::Async />
                    // Every page renders whole before it is sent: its HTTP status is then the
                    // one its data set (a booking to book again that is not there is a 404),
                    // never a race with the first streamed chunk; and pages with plain forms
                    // work without JavaScript (streamed fragments would need it to appear).
                    <Route path=path!("/book") view=BookPage ssr=SsrMode::Async />
                    <Route path=path!("/upcoming") view=UpcomingPage ssr=SsrMode::Async />
                    <Route path=path!("/attention") view=AttentionPage ssr=SsrMode::Async />
                    <Route path=path!("/bookings/:id") view=BookingPage ssr=SsrMode::Async />
                    <Route path=path!("/sign-in") view=SignInPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/sites") view=SitesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/users") view=AdminUsersPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/admin/customers")
                        view=AdminCustomersPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/customers/:id")
                        view=AdminCustomerPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/inbox") view=InboxPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/mail") view=DeliveryLogPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/forgot-password")
                        view=ForgotPasswordPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/reset-password")
                        view=ResetPasswordPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/unsubscribe") view=UnsubscribePage ssr=SsrMode::Async />
                    <Route path=path!("/mail") view=MailCatcherPage ssr=SsrMode::Async />
                    <Route path=path!("/integrations") view=IntegrationsPage ssr=SsrMode::Async />
                    <Route path=path!("/closures") view=ClosuresPageView ssr=SsrMode::Async />
                    <Route path=path!("/several") view=SeveralPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/integrations/webhooks/:id")
                        view=DeliveriesPage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
        </Router>
    }
}

/// The document title. leptos_meta writes the server-rendered `<title>` without escaping it, so a
/// booking named `</title><script>…` would become markup: escape it there. Only there: in the browser
/// the same text is assigned to `document.title`, which is plain text.
fn page_title(text: String) -> String {
    let title = format!("{text} · AURA scheduled services");
    #[cfg(feature = "ssr")]
    let title = html_escape::encode_text(&title).into_owned();
    title
}

/// The signed-in person. Pages outside islands render only on the server, where the request guard
/// has resolved who is asking; in the browser this is never called.
pub fn signed_in() -> Option<domain::model::SessionView> {
    #[cfg(feature = "ssr")]
    {
        server::context::session_view()
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// A signal that turns true once the island calling it is hydrated (false while server rendering),
/// and marks the page so browser tests know the forms are interactive.
pub fn use_hydrated() -> Signal<bool> {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| {
        hydrated.set(true);
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    hydrated.into()
}
