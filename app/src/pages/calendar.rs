use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::bookings::load_month;
use crate::components::feedback::{ErrorNotice, Loading};
use crate::model::{DayCell, MonthView, OccurrenceView, SyncStatus};

#[component]
pub fn CalendarPage() -> impl IntoView {
    let query = use_query_map();
    let month = move || query.read().get("month").unwrap_or_default();
    let data = Resource::new(month, load_month);

    view! {
        <Title text="Calendar" />
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <MonthGrid month=view /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

const WEEKDAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

#[component]
fn MonthGrid(month: MonthView) -> impl IntoView {
    let MonthView {
        title,
        month: _,
        prev,
        next,
        weeks,
        showing_for,
        show_customer,
    } = month;
    let empty = weeks
        .iter()
        .flatten()
        .filter(|d| d.in_month)
        .all(|d| d.occurrences.is_empty());
    view! {
        <div class="calendar-head">
            <div>
                <h1>{title.clone()}</h1>
                <p class="showing-for">"Showing " {showing_for}</p>
            </div>
            <nav class="month-nav" aria-label="Months">
                <A href=format!("/?month={prev}")>"‹ Previous month"</A>
                <A href=format!("/?month={next}")>"Next month ›"</A>
            </nav>
        </div>
        {empty
            .then(|| {
                view! {
                    <p class="empty">
                        "Nothing is booked in " {title.clone()} ". " <a href="/book">"Book a service"</a>
                    </p>
                }
            })}
        <table class="month-grid" aria-label=format!("Bookings in {title}")>
            <thead>
                <tr>{WEEKDAY_NAMES.map(|d| view! { <th scope="col">{d}</th> }).collect_view()}</tr>
            </thead>
            <tbody>
                {weeks
                    .into_iter()
                    .map(|week| {
                        view! {
                            <tr>
                                {week
                                    .into_iter()
                                    .map(|day| view! { <Day day show_customer /> })
                                    .collect_view()}
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn Day(day: DayCell, show_customer: bool) -> impl IntoView {
    let class = match (day.in_month, day.occurrences.is_empty()) {
        (false, _) => "day outside",
        (true, true) => "day empty",
        (true, false) => "day",
    };
    let label = day.date.format("%A %-d %B").to_string();
    view! {
        <td class=class>
            <div class="day-number" aria-label=label>
                <span class="weekday">{day.date.format("%a").to_string()}</span>
                " "
                {day.date.format("%-d").to_string()}
            </div>
            <ul class="occurrences">
                {day
                    .occurrences
                    .into_iter()
                    .map(|o| view! { <OccurrenceChip o show_customer /> })
                    .collect_view()}
            </ul>
        </td>
    }
}

#[component]
fn OccurrenceChip(o: OccurrenceView, show_customer: bool) -> impl IntoView {
    let label = format!(
        "{}{} at {}, {} {} ({}), {}",
        if show_customer {
            format!("{}: ", o.customer)
        } else {
            String::new()
        },
        o.name,
        o.place,
        o.date_label,
        o.time_label,
        o.timezone,
        o.status.label()
    );
    view! {
        <li>
            <a
                class=format!("occ svc-{} status-{}", o.service_type.key(), o.status.key())
                href=format!("/bookings/{}", o.booking_id)
                aria-label=label
                title=o.notes.join(" ")
            >
                <span class="occ-time">{o.time_label}</span>
                {show_customer.then(|| view! { <span class="occ-customer">{o.customer.clone()}</span> })}
                <span class="occ-name">{o.name}</span>
                <span class="occ-place">{o.place}</span>
                {(o.status != SyncStatus::Confirmed).then(|| view! { <span class="occ-status">{o.status.short_label()}</span> })}
            </a>
        </li>
    }
}
