//! The page an unsubscribe link opens (signed out too): what it unsubscribes from, and a button.
//! Mail programs post to the same address at once (RFC 8058 one-click), without this page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::notices::load_unsubscribe;
use crate::components::feedback::{ErrorNotice, Loading};

#[component]
pub fn UnsubscribePage() -> impl IntoView {
    let query = use_query_map();
    let (u, n, s, done) = query.with_untracked(|q| {
        (
            q.get("u").unwrap_or_default(),
            q.get("n").unwrap_or_default(),
            q.get("s").unwrap_or_default(),
            q.get("done"),
        )
    });
    let action = format!(
        "/unsubscribe?u={}&n={}&s={}",
        urlencode(&u),
        urlencode(&n),
        urlencode(&s)
    );
    let data = Resource::new(
        move || (u.clone(), n.clone(), s.clone(), done.clone()),
        |(u, n, s, done)| load_unsubscribe(u, n, s, done),
    );
    view! {
        <Title text="Unsubscribe" />
        <div class="sign-in">
            <h1>"Unsubscribe"</h1>
            <Suspense fallback=Loading>
                {move || {
                    let action = action.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(view) if view.done => view! {
                                <p class="notice notice-ok" role="status">
                                    "Done: " {view.email.clone()} " gets no more mail about: " {view.what.to_lowercase()} "."
                                </p>
                                <p>"Your inbox in the dashboard still has every notice. "<a href="/account#notifications">"Choose what you hear about"</a> " (sign in first)."</p>
                            }
                                .into_any(),
                            Ok(view) => view! {
                                <p>"Stop mail to " <strong>{view.email.clone()}</strong> " about: " {view.what.to_lowercase()} "?"</p>
                                <form method="post" action=action class="stack">
                                    <input type="hidden" name="confirm" value="1" />
                                    <button type="submit" class="primary">"Unsubscribe"</button>
                                </form>
                                <p class="hint">"Your inbox in the dashboard keeps every notice either way."</p>
                            }
                                .into_any(),
                            Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </div>
    }
}

/// Percent-encodes a query value (the link's parts are digits, a word and hex; anything else is
/// kept safe).
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
