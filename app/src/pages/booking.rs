use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::bookings::{CancelBooking, load_booking};
use crate::components::feedback::{ErrorNotice, Loading};
use crate::components::form::{FlashNotice, TextAreaField};
use crate::components::service::{CancellationFacts, ServiceBadge, StatusBadge, WindowItem};
use crate::domain::{Field, MAX_CANCEL_REASON_CHARS};
use crate::error::AppError;
use crate::model::{BookingDetail, FormFlash, SyncStatus, flash_for};

#[component]
pub fn BookingPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok());
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => load_booking(id).await,
            None => Err(AppError::NotFound("That is not a booking number.".into())),
        }
    });

    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(detail) => view! { <Detail detail /> }.into_any(),
                    Err(e) => view! { <Title text="Booking not found" /> <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Detail(detail: BookingDetail) -> impl IntoView {
    let BookingDetail {
        id,
        customer,
        name,
        service_type,
        status,
        sync_error,
        aura_id,
        next_occurrence,
        site_name,
        address,
        coordinates,
        timezone,
        repeat,
        dates,
        window,
        number_of_guards,
        armed_preference,
        contacts,
        special_instructions,
        created,
        cancellation,
        upcoming,
        upcoming_total,
        events,
        can_cancel,
        flash,
    } = detail;
    let flash = flash_for(&flash, "cancel");
    let status_note = match status {
        SyncStatus::NotSent => Some(format!(
            "Saved here but not yet sent to AURA, so AURA has not scheduled it. Reason: {}",
            sync_error.clone().unwrap_or_default()
        )),
        SyncStatus::Rejected => Some(format!(
            "AURA refused this booking: {}. It is not scheduled.",
            sync_error.clone().unwrap_or_default()
        )),
        SyncStatus::Saved => {
            Some("Being sent to AURA. Reload in a moment to see its answer.".into())
        }
        _ => None,
    };
    let shown = upcoming.len();
    let cancelled_notice = flash.success.is_some().then(|| FormFlash {
        success: flash.success.clone(),
        ..FormFlash::default()
    });
    view! {
        <Title text=name.clone() />
        {cancelled_notice.map(|flash| view! { <FlashNotice flash /> })}
        <article class="booking-detail">
            <header class="detail-head">
                <p class="eyebrow">"Booking #" {id} " · " {customer}</p>
                <h1>{name.clone()}</h1>
                <p class="badges">
                    <ServiceBadge service=service_type />
                    " "
                    <StatusBadge status />
                </p>
                {status_note.map(|n| view! { <p class="notice notice-warn" role="status">{n}</p> })}
            </header>

            <section aria-labelledby="sched-h">
                <h2 id="sched-h">"Schedule"</h2>
                <dl class="facts">
                    <dt>"Repeats"</dt>
                    <dd>{repeat}</dd>
                    <dt>"Dates"</dt>
                    <dd>{dates}</dd>
                    <dt>"Window"</dt>
                    <dd>{window}</dd>
                    <dt>"Time zone"</dt>
                    <dd>{timezone.clone()}</dd>
                    <dt>"Next window opens"</dt>
                    <dd>{next_occurrence.unwrap_or_else(|| "None left".into())}</dd>
                </dl>
            </section>

            <section aria-labelledby="where-h">
                <h2 id="where-h">"Where"</h2>
                <dl class="facts">
                    {site_name.map(|s| view! { <dt>"Site"</dt> <dd>{s}</dd> })}
                    {address.map(|a| view! { <dt>"Address"</dt> <dd>{a}</dd> })}
                    {coordinates.map(|c| view! { <dt>"Coordinates"</dt> <dd>{c}</dd> })}
                </dl>
            </section>

            <section aria-labelledby="details-h">
                <h2 id="details-h">"Service details"</h2>
                <dl class="facts">
                    <dt>"Guards"</dt>
                    <dd>{number_of_guards}</dd>
                    <dt>"Armed preference"</dt>
                    <dd>{armed_preference}</dd>
                    <dt>"Special instructions"</dt>
                    <dd class="prewrap">{special_instructions.unwrap_or_else(|| "None".into())}</dd>
                    <dt>"On-site contacts"</dt>
                    <dd>
                        {if contacts.is_empty() {
                            "None".into_any()
                        } else {
                            view! {
                                <ul class="plain">
                                    {contacts
                                        .into_iter()
                                        .map(|c| { let tel = format!("tel:{}", c.mobile.replace(' ', "")); view! { <li>{c.name} ": " <a href=tel>{c.mobile}</a></li> } })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }}
                    </dd>
                </dl>
            </section>

            <section aria-labelledby="aura-h">
                <h2 id="aura-h">"With AURA"</h2>
                <dl class="facts">
                    <dt>"Status"</dt>
                    <dd>{status.label()}</dd>
                    <dt>"AURA id"</dt>
                    <dd class="mono">{aura_id.unwrap_or_else(|| "Not assigned yet".into())}</dd>
                    <dt>"Booked"</dt>
                    <dd>{created}</dd>
                </dl>
            </section>

            {cancellation
                .map(|c| {
                    view! {
                        <section aria-labelledby="cancelled-h" class="cancelled-box">
                            <h2 id="cancelled-h">"Cancelled"</h2>
                            <CancellationFacts info=c />
                        </section>
                    }
                })}

            {(!upcoming.is_empty())
                .then(|| {
                    view! {
                        <section aria-labelledby="upcoming-h">
                            <h2 id="upcoming-h">"Coming windows"</h2>
                            <p class="hint">
                                {if upcoming_total > shown {
                                    format!("The next {shown} of {upcoming_total}, in {timezone}.")
                                } else {
                                    format!("All {upcoming_total}, in {timezone}.")
                                }}
                            </p>
                            <ol class="occurrence-list">
                                {upcoming
                                    .into_iter()
                                    .map(|o| view! { <WindowItem date_label=o.date_label time_label=o.time_label notes=o.notes /> })
                                    .collect_view()}
                            </ol>
                        </section>
                    }
                })}

            {can_cancel.then(|| view! { <CancelForm id flash=flash.clone() /> })}

            <section aria-labelledby="log-h">
                <h2 id="log-h">"History"</h2>
                <ol class="event-log">
                    {events
                        .into_iter()
                        .map(|e| {
                            view! {
                                <li>
                                    <span class="when">{e.at_label}</span>
                                    " · "
                                    <strong>{e.kind.label()}</strong>
                                    " · "
                                    {e.actor}
                                    {e.on_behalf_of.map(|c| view! { <span class="on-behalf">" for " {c}</span> })}
                                    {(!e.detail.is_empty()).then(|| view! { <span class="detail">{e.detail}</span> })}
                                </li>
                            }
                        })
                        .collect_view()}
                </ol>
            </section>
        </article>
    }
}

/// Cancelling: an island, hydrated in the browser. Without JavaScript the form still posts and the
/// server answers with this page again (the cancellation, or the problem next to the reason), so
/// the button works either way.
#[island]
fn CancelForm(id: i64, flash: FormFlash) -> impl IntoView {
    let cancel = ServerAction::<CancelBooking>::new();
    // Marks the page interactive (browser tests wait for it); the form works either way.
    let _ = crate::use_hydrated();
    let result = cancel.value();
    // The page around the form is server-rendered: reload it to show the cancellation.
    Effect::new(move |_| {
        if matches!(result.get(), Some(Ok(()))) {
            let _ = window().location().reload();
        }
    });
    let flash_error = flash.error(Field::CancelReason);
    let reason_error = Signal::derive(move || {
        result.with(|r| match r {
            Some(Err(e)) => e
                .field_errors()
                .and_then(|f| f.get(Field::CancelReason))
                .map(str::to_string),
            Some(Ok(())) => None,
            None => flash_error.clone(),
        })
    });
    let flash_notice = flash.notice.clone();
    let form_error = Signal::derive(move || {
        result.with(|r| match r {
            Some(Err(e)) if e.field_errors().is_none() => Some(e.to_string()),
            Some(_) => None,
            None => flash_notice.clone(),
        })
    });
    view! {
        <section aria-labelledby="cancel-h" class="cancel-box">
            <h2 id="cancel-h">"Cancel this booking"</h2>
            <p class="warning">
                <strong>"Cancelling stops every future window of this booking."</strong>
                " AURA cannot cancel a single date. To skip one date, cancel and book again."
            </p>
            <ActionForm action=cancel>
                <input type="hidden" name="id" value=id />
                <TextAreaField
                    id="cancel-reason"
                    name=Field::CancelReason.name()
                    label="Reason for cancelling (required)"
                    text=flash.value(Field::CancelReason)
                    error=reason_error
                    max=MAX_CANCEL_REASON_CHARS
                    required=true
                />
                {move || form_error.get().map(|e| view! { <p class="notice notice-error" role="alert">{e}</p> })}
                <button type="submit" class="danger" disabled=move || cancel.pending().get()>
                    {move || if cancel.pending().get() { "Cancelling…" } else { "Cancel booking" }}
                </button>
            </ActionForm>
        </section>
    }
}
