//! Bookings a person has to look at, for everyone in their own scope: sent to AURA without a usable
//! answer (AURA may hold them; account managers check), refused by AURA, or not sent because their
//! first window passed (until someone acknowledges them). Each with the actions open to the person.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use crate::api::bookings::load_attention;
use crate::api::notices::Acknowledge;
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
        for_customer,
        items,
    } = view;
    view! {
        <p class="showing-for">"Showing " {showing_for}</p>
        <p class="hint">
            {if for_customer {
                "\"Being checked\": sent to AURA without a usable answer, so AURA may hold it; your account manager is checking. "
            } else {
                "\"Being checked\": the dashboard sent these to AURA and no usable answer came back, so AURA may hold them. Ask AURA, then record the answer on the booking's page. "
            }}
            "\"Refused\" and \"Not sent\": nothing is scheduled. Book again if it is still needed, and acknowledge it once seen."
        </p>
        {if items.is_empty() {
            view! { <p class="empty">"Nothing needs attention."</p> }.into_any()
        } else {
            view! {
                <ol class="agenda attention-list">
                    {items.into_iter().map(|item| view! { <Item item show_customer for_customer /> }).collect_view()}
                </ol>
            }
                .into_any()
        }}
    }
}

#[component]
fn Item(item: AttentionItem, show_customer: bool, for_customer: bool) -> impl IntoView {
    let href = format!("/bookings/{}", item.booking_id);
    let id = item.booking_id;
    let what = match item.status {
        SyncStatus::Unknown if for_customer => {
            "Being checked with AURA; you will hear once it is settled."
        }
        SyncStatus::Unknown => "Check with AURA whether it holds this booking.",
        SyncStatus::Rejected => "Refused by AURA; nothing is scheduled.",
        _ => "Not sent; nothing is scheduled.",
    };
    let settled_here = item.status != SyncStatus::Unknown;
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
                {settled_here
                    .then(|| {
                        view! {
                            <div class="actions">
                                <a class="button secondary" href=format!("/book?again={id}")>"Book again"</a>
                                " "
                                <form method="post" action=Acknowledge::PATH class="inline">
                                    <input type="hidden" name="id" value=id.to_string() />
                                    <button type="submit">"Acknowledge"</button>
                                </form>
                            </div>
                        }
                    })}
            </div>
        </li>
    }
}
