use leptos::prelude::*;

use domain::model::{CancellationInfo, SyncStatus};
use domain::{LATE_CANCEL_NOTICE_HOURS, ServiceType};

/// A coloured tag naming the service type (colour is never the only signal: the text is there).
#[component]
pub fn ServiceBadge(service: ServiceType) -> impl IntoView {
    view! { <span class=format!("badge svc-{}", service.key())>{service.label()}</span> }
}

#[component]
pub fn StatusBadge(status: SyncStatus) -> impl IntoView {
    view! { <span class=format!("status status-{}", status.key())>{status.label()}</span> }
}

/// When, by whom and why a booking was cancelled, and what that removed.
#[component]
pub fn CancellationFacts(info: CancellationInfo) -> impl IntoView {
    view! {
        <dl class="facts">
            {info.change.map(|c| view! { <dt>"Why"</dt> <dd><span class="badge change-badge">{c.label()}</span> " — not a cancellation: the windows kept are booked again as new bookings"</dd> })}
            <dt>{if info.pending { "Asked" } else { "Cancelled" }}</dt>
            <dd>{info.at_label}</dd>
            <dt>"By"</dt>
            <dd>
                {info.by}
                {info.on_behalf_of.map(|c| view! { <span class="on-behalf">", for " {c}</span> })}
            </dd>
            <dt>"Reason"</dt>
            <dd class="prewrap reason">{info.reason}</dd>
            <dt>"Future windows removed"</dt>
            <dd>{info.removed_occurrences}</dd>
            {info
                .late
                .then(|| {
                    view! {
                        <dt>"Notice"</dt>
                        <dd class="late">
                            <span class="badge late-badge">"Late cancellation"</span>
                            {format!(" — asked while a window was open or less than {LATE_CANCEL_NOTICE_HOURS} hours before the next")}
                        </dd>
                    }
                })}
        </dl>
    }
}

/// One service window in a list: its date and local time with its zone, and any daylight-saving or
/// midnight notes.
#[component]
pub fn WindowItem(date_label: String, time_label: String, notes: Vec<String>) -> impl IntoView {
    view! {
        <li>
            <span class="when">{date_label} ", " {time_label}</span>
            {notes.into_iter().map(|n| view! { <span class="note">{n}</span> }).collect_view()}
        </li>
    }
}

/// Each booking's result when several were acted on at once: one line per booking, its link, and
/// what came of it (or why not). `label` names the region (its role is `status`).
#[component]
pub fn RowResults(
    rows: Vec<domain::model::RowResult>,
    heading: &'static str,
    label: &'static str,
    /// What an error's line starts with, e.g. "Not done".
    failed: &'static str,
) -> impl IntoView {
    view! {
        <section class="notice notice-ok row-results-box" role="status" aria-label=label>
            <h2>{heading}</h2>
            <ul class="row-results">
                {rows
                    .into_iter()
                    .map(|r| {
                        let (ok, said) = match &r.outcome {
                            Ok(o) => (true, crate::says::says(o)),
                            Err(e) => (false, format!("{failed}: {e}")),
                        };
                        view! {
                            <li class:row-failed=!ok>
                                {(r.booking_id > 0)
                                    .then(|| view! { <a href=format!("/bookings/{}", r.booking_id)>"Booking #" {r.booking_id}</a> " " })}
                                <strong>{r.name}</strong> ": " {said}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}
