use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">
                    "◆"
                </span>
                " AURA scheduled services"
            </a>
            <nav aria-label="Main">
                <A href="/" exact=true>
                    "Calendar"
                </A>
                <A href="/book">"Book a service"</A>
                <A href="/upcoming">"Upcoming & cancellations"</A>
            </nav>
        </header>
    }
}
