//! Bookings a person has to look at: sent to AURA without a usable answer (AURA may hold them), or
//! not sent because their first window passed. One click from the navigation for account managers
//! and administrators; each opens its page, where it is resolved.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::bookings::load_attention;
use crate::components::feedback::{ErrorNotice, Loading};
use crate::components::service::{ServiceBadge, StatusBadge};
use domain::model::{AttentionItem, AttentionView, SyncStatus};

#[component]
pub fn AttentionPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_attention());
    view! {
        <Title text="Needs attention" />
        <h1>"Needs attention"</h1>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Items view /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Items(view: AttentionView) -> impl IntoView {
    let AttentionView {
        showing_for,
        show_customer,
        items,
    } = view;
    view! {
        <p class="showing-for">"Showing " {showing_for}</p>
        <p class="hint">
            "\"Being checked\": the dashboard sent these to AURA and no usable answer came back, so AURA may hold them. "
            "Ask AURA, then record the answer on the booking's page. "
            "\"Not sent\": the first window passed before AURA could be reached; nothing is scheduled."
        </p>
        {if items.is_empty() {
            view! { <p class="empty">"Nothing needs attention."</p> }.into_any()
        } else {
            view! {
                <ol class="agenda attention-list">
                    {items.into_iter().map(|item| view! { <Item item show_customer /> }).collect_view()}
                </ol>
            }
                .into_any()
        }}
    }
}

#[component]
fn Item(item: AttentionItem, show_customer: bool) -> impl IntoView {
    let href = format!("/bookings/{}", item.booking_id);
    let what = match item.status {
        SyncStatus::Unknown => "Check with AURA whether it holds this booking.",
        _ => "Not sent; nothing is scheduled.",
    };
    view! {
        <li class="agenda-row">
            <div class="agenda-main">
                <a href=href>{item.name}</a>
                " "
                <ServiceBadge service=item.service_type />
                " "
                <StatusBadge status=item.status />
                {show_customer.then(|| view! { <span class="customer">" · " {item.customer.clone()}</span> })}
                <p class="agenda-place">{item.place} " · first window " {item.first_window} " · booked " {item.booked}</p>
                <p>{what} {item.cancel_requested.then_some(" A cancel was asked for.")}</p>
                {item.reason.map(|r| view! { <p class="hint">{r}</p> })}
            </div>
        </li>
    }
}
