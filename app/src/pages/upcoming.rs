use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::bookings::load_upcoming;
use crate::components::feedback::{ErrorNotice, Loading};
use crate::components::service::{CancellationFacts, ServiceBadge, StatusBadge};
use domain::model::{CancellationView, OccurrenceView, UpcomingView};

const RANGES: [u32; 2] = [7, 30];

#[component]
pub fn UpcomingPage() -> impl IntoView {
    let query = use_query_map();
    let days = move || {
        query
            .read()
            .get("days")
            .and_then(|d| d.parse::<u32>().ok())
            .filter(|d| RANGES.contains(d))
            .unwrap_or(30)
    };
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let data = Resource::new(
        move || (days(), page()),
        |(days, page)| load_upcoming(days, page),
    );

    view! {
        <Title text="Upcoming & cancellations" />
        <h1>"Upcoming & cancellations"</h1>
        <p class="no-print"><a href="/several">"Cancel or skip several bookings at once"</a> " · " <a href="/closures">"Closures"</a></p>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Lists view /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Lists(view: UpcomingView) -> impl IntoView {
    let UpcomingView {
        days,
        occurrences,
        cancellations,
        cancelled_total,
        ledger_page,
        ledger_pages,
        showing_for,
        show_customer,
    } = view;
    let page_link = move |p: u32| format!("/upcoming?days={days}&page={p}#cancelled-h");
    view! {
        <p class="showing-for">"Showing " {showing_for}</p>
        <section aria-labelledby="upcoming-h">
            <div class="section-head">
                <h2 id="upcoming-h">"Upcoming windows, next " {days} " days"</h2>
                <a class="download" href=format!("/upcoming.csv?days={days}") download="" rel="external">
                    "Download as CSV"
                </a>
                <nav class="segmented" aria-label="Range">
                    {RANGES
                        .map(|r| {
                            view! {
                                <A href=format!("/upcoming?days={r}") attr:aria-current=(r == days).then_some("true")>
                                    {format!("{r} days")}
                                </A>
                            }
                        })
                        .collect_view()}
                </nav>
            </div>
            {if occurrences.is_empty() {
                view! { <p class="empty">"No service windows in the next " {days} " days."</p> }.into_any()
            } else {
                view! {
                    <ol class="agenda">
                        {occurrences
                            .into_iter()
                            .map(|o| view! { <UpcomingRow o show_customer /> })
                            .collect_view()}
                    </ol>
                }
                    .into_any()
            }}
        </section>
        <section aria-labelledby="cancelled-h">
            <div class="section-head">
                <h2 id="cancelled-h">"Cancellations"</h2>
                <a class="download" href="/cancellations.csv" download="" rel="external">
                    "Download as CSV"
                </a>
            </div>
            {if cancellations.is_empty() {
                view! { <p class="empty">"Nothing has been cancelled."</p> }.into_any()
            } else {
                view! {
                    <p class="hint">
                        {format!(
                            "{cancelled_total} cancellation{} in all, newest first. Page {} of {ledger_pages}; the CSV has every one.",
                            if cancelled_total == 1 { "" } else { "s" },
                            ledger_page + 1,
                        )}
                    </p>
                    <ol class="ledger">
                        {cancellations
                            .into_iter()
                            .map(|c| view! { <CancellationRow c show_customer /> })
                            .collect_view()}
                    </ol>
                    {(ledger_pages > 1)
                        .then(|| {
                            view! {
                                <nav aria-label="Cancellation pages" class="pager">
                                    {(ledger_page > 0)
                                        .then(|| view! { <a href=page_link(ledger_page - 1)>"Newer cancellations"</a> })}
                                    {(ledger_page + 1 < ledger_pages)
                                        .then(|| view! { <a href=page_link(ledger_page + 1)>"Older cancellations"</a> })}
                                </nav>
                            }
                        })}
                }
                    .into_any()
            }}
        </section>
    }
}

#[component]
fn UpcomingRow(o: OccurrenceView, show_customer: bool) -> impl IntoView {
    view! {
        <li class=format!("agenda-item svc-{}", o.service_type.key())>
            <div class="when">
                <span class="date">{o.date_label}</span>
                <span class="time">{o.time_label}</span>
                <span class="zone">{o.timezone}</span>
            </div>
            <div class="what">
                <a href=format!("/bookings/{}", o.booking_id)>{o.name}</a>
                {show_customer.then(|| view! { <span class="customer">{o.customer.clone()}</span> })}
                <span class="place">{o.place}</span>
                <span class="badges">
                    <ServiceBadge service=o.service_type />
                    " "
                    <StatusBadge status=o.status />
                </span>
                {o.notes.into_iter().map(|n| view! { <span class="note">{n}</span> }).collect_view()}
            </div>
        </li>
    }
}

#[component]
fn CancellationRow(c: CancellationView, show_customer: bool) -> impl IntoView {
    view! {
        <li class="ledger-item">
            <div class="what">
                <a href=format!("/bookings/{}", c.booking_id)>{c.name}</a>
                {show_customer.then(|| view! { <span class="customer">{c.customer.clone()}</span> })}
                <span class="place">{c.place}</span>
                <ServiceBadge service=c.service_type />
            </div>
            <CancellationFacts info=c.cancellation />
        </li>
    }
}
