use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use crate::api::accounts::{SignOut, SwitchCustomer};
use domain::model::{Role, SessionView};

#[component]
pub fn Header() -> impl IntoView {
    let session = crate::signed_in();
    view! {
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">
                    "◆"
                </span>
                " AURA scheduled services"
            </a>
            {session.map(|s| view! { <SignedInNav session=s /> })}
            <ThemeSwitch />
        </header>
    }
}

#[component]
fn SignedInNav(session: SessionView) -> impl IntoView {
    let is_admin = session.role == Role::Admin;
    let switcher = (session.role.spans_customers() && session.customers.len() > 1)
        .then(|| view! { <CustomerSwitcher session=session.clone() /> });
    view! {
        <nav aria-label="Main">
            <A href="/" exact=true>
                "Calendar"
            </A>
            <A href="/book">"Book a service"</A>
            <A href="/upcoming">"Upcoming & cancellations"</A>
            <A href="/sites">"Sites"</A>
            <A href="/closures">"Closures"</A>
            <A href="/integrations">"Integrations"</A>
            {session
                .needs_attention
                .map(|n| {
                    view! {
                        <A href="/attention">
                            "Needs attention"
                            {(n > 0).then(|| view! { " " <span class="count">{n}</span> })}
                        </A>
                    }
                })}
            {session
                .unread
                .map(|n| {
                    let label = if n > 0 { format!("Inbox, {n} unread") } else { "Inbox".to_string() };
                    view! {
                        <A href="/inbox" attr:aria-label=label>
                            "Inbox"
                            {(n > 0).then(|| view! { " " <span class="count">{n}</span> })}
                        </A>
                    }
                })}
            {is_admin
                .then(|| {
                    view! {
                        <A href="/admin/users">"Users"</A>
                        <A href="/admin/customers">"Customers"</A>
                        <A href="/admin/mail">"Mail"</A>
                    }
                })}
        </nav>
        <div class="account">
            {switcher}
            <a class="who" href="/account" title="Your account">
                <span class="who-name">{session.name.clone()}</span>
                <span class="who-role">{session.role.label()}</span>
            </a>
            <form method="post" action=SignOut::PATH class="inline">
                <button type="submit" class="link-button">
                    "Sign out"
                </button>
            </form>
        </div>
    }
}

/// Which customer an account manager or administrator is acting for (or all of them). A plain
/// form with a button: changing a drop-down never navigates by itself.
#[component]
fn CustomerSwitcher(session: SessionView) -> impl IntoView {
    let back = this_page();
    let selected = session.selected_customer;
    let all_label = if session.role == Role::Admin {
        "All customers"
    } else {
        "All my customers"
    };
    view! {
        <form method="post" action=SwitchCustomer::PATH class="switcher">
            <label for="switch-customer">"Acting for"</label>
            <select id="switch-customer" name="customer">
                <option value="" selected=selected.is_none()>
                    {all_label}
                </option>
                {session
                    .customers
                    .into_iter()
                    .map(|c| {
                        view! {
                            <option value=c.id.to_string() selected=selected == Some(c.id)>
                                {c.name}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <input type="hidden" name="back" value=back />
            <button type="submit">"Switch"</button>
        </form>
    }
}

/// Light, dark or the system's: three buttons of a plain form, so it works without JavaScript; the
/// choice is kept in a cookie and the page comes back in it.
#[component]
fn ThemeSwitch() -> impl IntoView {
    use crate::api::accounts::SetTheme;
    use domain::model::Theme;
    let current = use_context::<Theme>().unwrap_or_default();
    let back = this_page();
    view! {
        <form method="post" action=SetTheme::PATH class="theme-switch" aria-label="Colour theme">
            <input type="hidden" name="back" value=back />
            <span class="theme-label" aria-hidden="true">"Theme"</span>
            {Theme::ALL
                .into_iter()
                .map(|t| {
                    view! {
                        <button
                            type="submit"
                            name="theme"
                            value=t.key()
                            aria-pressed=if t == current { "true" } else { "false" }
                            aria-label=format!("{} theme", t.label())
                        >
                            {t.label()}
                        </button>
                    }
                })
                .collect_view()}
        </form>
    }
}

/// This page's path and query: where a plain form in it comes back to.
pub fn this_page() -> String {
    let location = use_location();
    format!(
        "{}{}",
        location.pathname.get_untracked(),
        location.search.get_untracked()
    )
}
