//! The inbox: every notice that reached this person, newest first, worded for them, with a link
//! to what it is about; unread ones marked, and read one at a time or all at once.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::notices::{MarkRead, load_inbox};
use crate::components::feedback::{ErrorNotice, Loading};
use crate::components::form::FlashNotice;
use domain::model::{FormId, InboxItem, InboxView, OptionalId, flash_for};

#[component]
pub fn InboxPage() -> impl IntoView {
    let query = use_query_map();
    let before = query
        .read_untracked()
        .get("before")
        .and_then(|b| b.parse::<i64>().ok());
    let data = Resource::new(move || before, |before| load_inbox(OptionalId(before)));
    view! {
        <Title text="Inbox" />
        <h1>"Inbox"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Inbox view /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn here(before: Option<i64>) -> String {
    match before {
        Some(b) => format!("/inbox?before={b}"),
        None => "/inbox".to_string(),
    }
}

#[component]
fn Inbox(view: InboxView) -> impl IntoView {
    let flash = flash_for(&view.flash, FormId::Inbox);
    let back = here(view.before);
    let show_customer = view.show_customer;
    view! {
        <FlashNotice flash />
        <p class="hint">
            "What needs you, as it happened: refused and unsent bookings, answers being checked with AURA, changes made on your behalf. "
            <a href="/account#notifications">"Choose what also comes by mail"</a>
            "."
        </p>
        {(view.unread > 0)
            .then(|| {
                view! {
                    <form method="post" action=MarkRead::PATH class="inline">
                        <input type="hidden" name="id" value="" />
                        <input type="hidden" name="back" value=back.clone() />
                        <button type="submit">{format!("Mark all {} read", view.unread)}</button>
                    </form>
                }
            })}
        {if view.items.is_empty() {
            view! { <p class="empty">"Nothing yet: notices that need you will appear here."</p> }.into_any()
        } else {
            view! {
                <ol class="inbox-list">
                    {view
                        .items
                        .into_iter()
                        .map(|item| view! { <Item item show_customer back=back.clone() /> })
                        .collect_view()}
                </ol>
            }
                .into_any()
        }}
        <nav aria-label="Inbox pages" class="pager">
            {view.before.map(|_| view! { <a href="/inbox">"Newest"</a> " " })}
            {view.older.map(|o| view! { <a href=format!("/inbox?before={o}")>"Older notices"</a> })}
        </nav>
    }
}

#[component]
fn Item(item: InboxItem, show_customer: bool, back: String) -> impl IntoView {
    let class = if item.read {
        "inbox-item"
    } else {
        "inbox-item unread"
    };
    let heading_id = format!("notice-{}", item.id);
    let labelled_by = heading_id.clone();
    view! {
        <li class=class aria-labelledby=labelled_by>
            <h2 id=heading_id class="inbox-headline">
                {(!item.read).then(|| view! { <span class="badge">"New"</span> " " })}
                {item.headline.clone()}
            </h2>
            <p class="inbox-meta">
                {item.at.clone()}
                {item.actor.clone().filter(|a| !a.is_empty()).map(|a| format!(" · by {a}"))}
                {show_customer.then(|| item.customer.clone()).flatten().map(|c| format!(" · {c}"))}
            </p>
            {item
                .booking_id
                .map(|id| {
                    view! {
                        <p>
                            <a href=format!("/bookings/{id}")>
                                {item.booking_name.clone().unwrap_or_else(|| format!("Booking {id}"))}
                            </a>
                        </p>
                    }
                })}
            <p>{item.meaning.clone()}</p>
            {(!item.detail.is_empty()).then(|| view! { <p class="hint pre-line">{item.detail.clone()}</p> })}
            {(!item.action.is_empty()).then(|| view! { <p><strong>{item.action.clone()}</strong></p> })}
            {(!item.read)
                .then(|| {
                    view! {
                        <form method="post" action=MarkRead::PATH class="inline">
                            <input type="hidden" name="id" value=item.id.to_string() />
                            <input type="hidden" name="back" value=back />
                            <button type="submit" class="secondary">"Mark read"</button>
                        </form>
                    }
                })}
        </li>
    }
}
