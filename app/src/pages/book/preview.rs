//! What the booking form shows beside the fields: the windows it makes, overlaps with other
//! bookings, and the time left before the lead time closes.

use leptos::prelude::*;

use crate::components::service::WindowItem;
use domain::LEAD_TIME_MINUTES;
use domain::model::{Overlap, SchedulePreview, SitePreview};

#[component]
pub(super) fn PreviewPanel(
    preview: RwSignal<Option<SchedulePreview>>,
    now_ms: RwSignal<Option<i64>>,
    /// Leave out the windows on closures (offered when some fall on one).
    skip_closures: RwSignal<bool>,
) -> impl IntoView {
    // Seconds until the first window opens, while that is under half an hour.
    let remaining = move || {
        let opens = preview.with(|p| p.as_ref().and_then(|p| p.first_opens))?;
        let secs = (opens.timestamp_millis() - now_ms.get()?) / 1000;
        (secs < 30 * 60).then_some(secs)
    };
    view! {
        <section class="preview" aria-labelledby="preview-h">
            <h3 id="preview-h">"First windows"</h3>
            {move || remaining().map(|secs| view! { <LeadTimeCountdown secs /> })}
            {move || match preview.get() {
                None => view! { <p class="hint">"Fill in the dates and start time to see the first windows."</p> }.into_any(),
                Some(p) if p.occurrences.is_empty() => {
                    view! { <p class="hint">"No windows yet: check the dates, days and start time."</p> }.into_any()
                }
                Some(p) => {
                    let more = p.total.saturating_sub(p.occurrences.len());
                    let total = if p.total >= domain::model::PREVIEW_COUNT_CAP {
                        format!("{}+ windows in all", p.total)
                    } else {
                        format!("{} window{} in all", p.total, if p.total == 1 { "" } else { "s" })
                    };
                    view! {
                        <p class="hint">"Times in " {p.timezone.clone()} ". " {total} "."</p>
                        <ol class="preview-list">
                            {p
                                .occurrences
                                .into_iter()
                                .map(|o| view! { <WindowItem date_label=o.date_label time_label=o.time_label notes=o.notes /> })
                                .collect_view()}
                        </ol>
                        {(more > 0).then(|| view! { <p class="hint">"…and " {more} " more."</p> })}
                        <OverlapWarning overlaps=p.overlaps />
                        <ClosureWarning closures=p.closures skip=skip_closures />
                        <OtherSites sites=p.other_sites />
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// Existing bookings of the same service at the same site whose windows overlap: a warning, the
/// booking can still be made.
#[component]
pub(super) fn OverlapWarning(overlaps: Vec<Overlap>) -> impl IntoView {
    (!overlaps.is_empty()).then(|| {
        view! {
            <div class="notice notice-warn overlaps" role="status">
                <p><strong>"Overlaps with bookings already made"</strong> " for this service at this site. You can still book; check it is not a duplicate."</p>
                <ul class="plain">
                    {overlaps
                        .into_iter()
                        .map(|o| {
                            view! {
                                <li>
                                    <a href=format!("/bookings/{}", o.booking_id) target="_blank">"#" {o.booking_id} " · " {o.name}</a>
                                    " (" {o.status.label()} "): first overlap " {o.first} "; "
                                    {if o.windows == 1 { "1 window".to_string() } else { format!("{} windows", o.windows) }}
                                    " of this booking overlap."
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </div>
        }
    })
}

/// Closures the new windows fall on: a warning; once booked, the booking's page offers to skip
/// those dates (and the closures page lists the booking under each).
#[component]
pub(super) fn ClosureWarning(closures: Vec<String>, skip: RwSignal<bool>) -> impl IntoView {
    (!closures.is_empty()).then(|| {
        view! {
            <div class="notice notice-warn closures-met" role="status">
                <p><strong>"Some windows fall on closures"</strong> " of this customer:"</p>
                <ul class="plain">
                    {closures.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}
                </ul>
                <label class="check">
                    <input
                        type="checkbox"
                        prop:checked=move || skip.get()
                        on:change=move |ev| skip.set(event_target_checked(&ev))
                    />
                    " Leave out the closed dates: the windows around them are booked as separate bookings, and nothing is booked on a closed date"
                </label>
            </div>
        }
    })
}

/// The same booking at the other sites ticked, each in its own zone.
#[component]
fn OtherSites(sites: Vec<SitePreview>) -> impl IntoView {
    (!sites.is_empty()).then(|| {
        view! {
            <div class="other-sites">
                <h4>"At the other sites"</h4>
                <ul class="plain">
                    {sites
                        .into_iter()
                        .map(|s| {
                            let total = format!("{} window{}", s.total, if s.total == 1 { "" } else { "s" });
                            let warn = s.problem.is_some();
                            view! {
                                <li class:notice-warn=warn>
                                    <strong>{s.site_name}</strong> ": "
                                    {s.first.map(|f| format!("first {f}; "))}
                                    {total}
                                    {s.problem.map(|p| view! { <span class="field-error">" " {p}</span> })}
                                    {(!s.closures.is_empty()).then(|| format!(" Closures: {}.", s.closures.join("; ")))}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </div>
        }
    })
}

/// How long is left to book a window that opens soon; AURA needs `LEAD_TIME_MINUTES` of notice.
#[component]
pub(super) fn LeadTimeCountdown(secs: i64) -> impl IntoView {
    let lead = LEAD_TIME_MINUTES * 60;
    let clock = |s: i64| format!("{} min {:02} s", s / 60, s % 60);
    let text = if secs <= lead {
        format!(
            "Too late for this start: the first window opens in under {LEAD_TIME_MINUTES} minutes, and AURA needs at least {LEAD_TIME_MINUTES} minutes' notice. Choose a later date or start time."
        )
    } else {
        format!(
            "The first window opens in {}. AURA needs {LEAD_TIME_MINUTES} minutes' notice, so book within {}.",
            clock(secs),
            clock(secs - lead)
        )
    };
    view! {
        <p class=if secs <= lead { "notice notice-error countdown" } else { "notice notice-warn countdown" }>
            {text}
        </p>
    }
}
