use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::bookings::{
    CancelBooking, ResolveBooking, SendBookingAgain, SkipBookingDates, load_booking,
    load_skip_preview,
};
use crate::api::notices::Acknowledge;
use crate::components::feedback::{ErrorNotice, Loading};
use crate::components::form::{FlashNotice, TextAreaField, TextField, field_id};
use crate::components::service::{CancellationFacts, ServiceBadge, StatusBadge, WindowItem};
use domain::lifecycle::ChangeStatus;
use domain::model::{
    BookingDetail, ChangeView, FormFlash, FormId, PairView, SkipPreview, SyncStatus, flash_for,
};
use domain::{Field, MAX_CANCEL_REASON_CHARS};

#[component]
pub fn BookingPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok());
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => load_booking(id).await,
            None => Err(super::not_a_number("booking")),
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
        can_resolve,
        can_send_again,
        can_acknowledge,
        acknowledged,
        next_attempt,
        attempts,
        flash: all_flash,
        map_url,
        pair,
        can_change,
        repeats,
        first_date,
        last_date,
        changes,
        closures,
    } = detail;
    let skip_flash = flash_for(&all_flash, FormId::Skip);
    let flash = flash_for(&all_flash, FormId::Cancel);
    let resolve_flash = flash_for(&all_flash, FormId::Resolve);
    let problem = sync_error.clone().unwrap_or_default();
    let retry = next_attempt
        .map(|at| format!(" Next attempt: {at}."))
        .unwrap_or_default();
    let cancel_asked = cancellation.as_ref().is_some_and(|c| c.pending);
    let status_note = match status {
        SyncStatus::NotSent => Some(format!(
            "Saved here but not yet delivered to AURA, so AURA has not scheduled it. The dashboard \
             sends it again by itself.{retry} Last problem: {problem}"
        )),
        SyncStatus::Rejected => Some(format!(
            "AURA refused this booking: {problem} It is not scheduled."
        )),
        SyncStatus::Saved | SyncStatus::Sending => {
            Some("Being sent to AURA. Reload in a moment to see its answer.".into())
        }
        SyncStatus::Unknown => Some(format!(
            "It may have reached AURA, but no usable answer came back ({problem}), so AURA may hold it and may send the service. It will not be \
             sent again until an account manager or administrator has checked with AURA.{}",
            if cancel_asked {
                " A cancel was asked for: it is applied as soon as the check is done."
            } else {
                ""
            }
        )),
        SyncStatus::Lapsed => Some(format!(
            "Not sent to AURA: {problem} Nothing is scheduled.{}",
            if can_send_again {
                " It repeats, so it can still be sent from its next window (below)."
            } else {
                ""
            }
        )),
        SyncStatus::Cancelling => Some(format!(
            "Cancelling: AURA has not confirmed the cancel yet, so it may still send this service. \
             The dashboard keeps trying.{retry}{}",
            if problem.is_empty() {
                String::new()
            } else {
                format!(" Last problem: {problem}")
            }
        )),
        SyncStatus::Confirmed if !problem.is_empty() => Some(format!(
            "AURA refused the last cancel: {problem} The booking is still scheduled."
        )),
        _ => None,
    };
    let shown = upcoming.len();
    let success_notice = all_flash
        .as_ref()
        .and_then(|f| f.success.clone().map(|success| (f.form, success)))
        .map(|(form, success)| FormFlash {
            success: Some(success),
            ..FormFlash::empty(form)
        });
    view! {
        <Title text=name.clone() />
        {success_notice.map(|flash| view! { <FlashNotice flash /> })}
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
                {can_acknowledge
                    .then(|| {
                        view! {
                            <form method="post" action=Acknowledge::PATH class="inline no-print">
                                <input type="hidden" name="id" value=id.to_string() />
                                <button type="submit">"Acknowledge"</button>
                                <span class="hint">
                                    " It stays on the calendar and under Needs attention, marked, until someone acknowledges it."
                                </span>
                            </form>
                        }
                    })}
                {acknowledged.map(|at| view! { <p class="hint">"Acknowledged " {at} "."</p> })}
                {pair
                    .clone()
                    .map(|p| {
                        let (this, other) = (p.role.label(), p.role.other().label());
                        view! {
                            <p class="pair-note">
                                "This is the " {this} " of a lock/unlock pair. The " {other} " is "
                                <a href=format!("/bookings/{}", p.other_id)>"booking #" {p.other_id} " · " {p.other_name}</a>
                                " (" {p.other_status.label()} ")."
                            </p>
                        }
                    })}
                <p class="detail-actions no-print">
                    {can_change
                        .then(|| view! { <a class="button" href=format!("/book?change={id}")>"Change"</a> " " })}
                    <a class="button secondary" href=format!("/book?again={id}")>"Book again"</a>
                    " "
                    <button type="button" class="secondary" onclick="window.print()">"Print site sheet"</button>
                </p>
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
                    {map_url.map(|url| { let shown = url.clone(); view! { <dt>"Map"</dt> <dd><a class="map-link" href=url rel="noopener noreferrer" target="_blank">"Open in a map"<span class="print-only">" " {shown}</span></a></dd> } })}
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
                    <dt>"Calls to AURA"</dt>
                    <dd>{attempts}</dd>
                </dl>
            </section>

            {can_resolve.then(|| view! { <ResolveForms id flash=resolve_flash /> })}
            {can_send_again
                .then(|| {
                    view! {
                        <section aria-labelledby="again-h" class="resolve-box">
                            <h2 id="again-h">"Send from the next window"</h2>
                            <p>"The first window has passed, but later ones have not. Send this booking to AURA starting from its next window that can still be booked."</p>
                            <form method="post" action=SendBookingAgain::PATH>
                                <input type="hidden" name="id" value=id />
                                <button type="submit">"Send from the next window"</button>
                            </form>
                        </section>
                    }
                })}

            {cancellation
                .map(|c| {
                    let heading = if c.pending { "Cancel requested" } else { "Cancelled" };
                    view! {
                        <section aria-labelledby="cancelled-h" class="cancelled-box">
                            <h2 id="cancelled-h">{heading}</h2>
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

            {(!closures.is_empty() && repeats)
                .then(|| {
                    view! {
                        <div class="notice notice-warn closures-met no-print" role="status">
                            <p><strong>"Some of its windows fall on closures"</strong> " of this customer."</p>
                            <ul class="plain">
                                {closures
                                    .into_iter()
                                    .map(|c| {
                                        let href = format!("/bookings/{id}?skip-from={}&skip-to={}#skip", c.from, c.to);
                                        let context = format!(" ({})", c.name);
                                        view! {
                                            <li>
                                                {c.name} " (" {c.dates} "): " {c.windows}
                                                {if c.windows == 1 { " window. " } else { " windows. " }}
                                                <a href=href>"Preview skipping them"<span class="visually-hidden">{context}</span></a>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        </div>
                    }
                })}
            {(!changes.is_empty()).then(|| view! { <ChangesList id changes /> })}
            {(can_change && repeats)
                .then(|| {
                    view! {
                        <SkipSection id flash=skip_flash.clone() pair=pair.clone() first_date last_date />
                    }
                })}

            {can_cancel.then(|| {
                let pair = pair.clone().filter(|p| p.other_cancellable);
                view! { <CancelForm id flash=flash.clone() pair /> }
            })}

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

/// What an account manager or administrator found when checking with AURA: two plain forms
/// (they work without JavaScript; the page comes back with the result).
#[component]
fn ResolveForms(id: i64, flash: FormFlash) -> impl IntoView {
    let error = flash.error(Field::AuraId);
    let notice = flash.notice.clone();
    view! {
        <section aria-labelledby="resolve-h" class="resolve-box">
            <h2 id="resolve-h">"Check with AURA"</h2>
            <p>
                "Ask AURA (support or the AURA console) whether it holds this booking, then record the answer. "
                "Until then it counts as possibly scheduled and is not sent again."
            </p>
            {notice.map(|n| view! { <p class="notice notice-error" role="alert">{n}</p> })}
            <form method="post" action=ResolveBooking::PATH class="stack">
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="held" value="true" />
                <TextField
                    id=field_id(FormId::Resolve, Field::AuraId)
                    name=Field::AuraId.name()
                    label="AURA id of this booking"
                    value=RwSignal::new(flash.value(Field::AuraId))
                    error=Signal::derive(move || error.clone())
                    max=200
                    required=true
                />
                <button type="submit">"AURA has it"</button>
            </form>
            <form method="post" action=ResolveBooking::PATH>
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="held" value="false" />
                <input type="hidden" name="aura_id" value="" />
                <button type="submit" class="secondary">"AURA does not have it: send it again"</button>
            </form>
        </section>
    }
}

/// Cancelling: an island, hydrated in the browser. Without JavaScript the form still posts and the
/// server answers with this page again (the cancellation, or the problem next to the reason), so
/// the button works either way.
#[island]
fn CancelForm(id: i64, flash: FormFlash, pair: Option<PairView>) -> impl IntoView {
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
                " To leave out some dates only, use “Skip dates” above; to change the time or anything else, use “Change”."
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
                {pair
                    .map(|p| {
                        view! {
                            <label class="check">
                                <input type="checkbox" name="also_pair" value="true" />
                                " Also cancel the " {p.role.other().label()} " (booking #" {p.other_id} " · " {p.other_name} ")"
                            </label>
                        }
                    })}
                {move || form_error.get().map(|e| view! { <p class="notice notice-error" role="alert">{e}</p> })}
                <button type="submit" class="danger" disabled=move || cancel.pending().get()>
                    {move || if cancel.pending().get() { "Cancelling…" } else { "Cancel booking" }}
                </button>
            </ActionForm>
        </section>
    }
}

/// The changes of plans this booking is part of, each with its steps' bookings linked.
#[component]
fn ChangesList(id: i64, changes: Vec<ChangeView>) -> impl IntoView {
    view! {
        <section aria-labelledby="changes-h" class="changes-box">
            <h2 id="changes-h">"Changes"</h2>
            <ol class="plain change-list">
                {changes
                    .into_iter()
                    .map(|c| {
                        let warn = matches!(c.status, ChangeStatus::Refused | ChangeStatus::Stuck);
                        let link = |b: i64| {
                            view! { <a href=format!("/bookings/{b}")>"booking #" {b}</a> }
                        };
                        let relation = if c.original == id {
                            match c.parts.len() {
                                0 => view! { <span>"No window was left to keep."</span> }.into_any(),
                                _ => view! {
                                    <span>
                                        "New: "
                                        {c.parts.iter().map(|p| view! { {link(*p)} " " }).collect_view()}
                                    </span>
                                }
                                    .into_any(),
                            }
                        } else {
                            view! { <span>"Made from " {link(c.original)} "."</span> }.into_any()
                        };
                        view! {
                            <li class:notice-warn=warn>
                                <strong>{c.kind.label()}</strong>
                                " · " {c.at_label} " · " {c.by}
                                <br />
                                <span class="change-status">{c.status.label()}</span>
                                " — " {c.detail}
                                <br />
                                {relation}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
    }
}

/// Skipping dates: a plain GET form that previews (the page comes back with what would be sent),
/// then a plain POST that does it. Both work without JavaScript.
#[component]
fn SkipSection(
    id: i64,
    flash: FormFlash,
    pair: Option<PairView>,
    first_date: String,
    last_date: String,
) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let asked = move || {
        let q = query.read();
        let from = q.get(&Field::SkipFrom.name()).unwrap_or_default();
        let to = q.get(&Field::SkipTo.name()).unwrap_or_default();
        (from, to)
    };
    let (from0, to0) = asked();
    let from_value = if from0.is_empty() {
        flash.value(Field::SkipFrom)
    } else {
        from0
    };
    let to_value = if to0.is_empty() {
        flash.value(Field::SkipTo)
    } else {
        to0
    };
    let preview = Resource::new(asked, move |(from, to)| async move {
        if from.is_empty() {
            None
        } else {
            Some(load_skip_preview(id, from, to).await)
        }
    });
    let flash_errors = flash.errors.clone();
    let notice = flash.notice.clone();
    view! {
        <section aria-labelledby="skip-h" class="skip-box no-print" id="skip">
            <h2 id="skip-h">"Skip dates"</h2>
            <p>
                "Leave out one date or a range (a bank holiday, a shutdown). AURA cannot cancel single dates, so the windows before and after are booked again exactly as they are, then this booking is cancelled once AURA holds them. Windows that have opened are never touched. You see what will be sent before anything is."
            </p>
            {notice.map(|n| view! { <p class="notice notice-error" role="alert">{n}</p> })}
            <Suspense fallback=Loading>
                {move || {
                    let flash_errors = flash_errors.clone();
                    let (from_value, to_value) = (from_value.clone(), to_value.clone());
                    let (first_date, last_date) = (first_date.clone(), last_date.clone());
                    let pair = pair.clone();
                    Suspend::new(async move {
                        let answer = preview.await;
                        let mut errors = flash_errors;
                        let mut problem = None;
                        let mut shown = None;
                        match answer {
                            Some(Ok(p)) => shown = Some(p),
                            Some(Err(e)) => match e.field_errors() {
                                Some(fe) => errors.merge(fe.clone()),
                                None => problem = Some(e.to_string()),
                            },
                            None => {}
                        }
                        let from_error = errors.get(Field::SkipFrom).map(str::to_string);
                        let to_error = errors.get(Field::SkipTo).map(str::to_string);
                        view! {
                            <form method="get" action=format!("/bookings/{id}#skip") class="inline-fields">
                                <TextField
                                    id=field_id(FormId::Skip, Field::SkipFrom)
                                    name=Field::SkipFrom.name()
                                    label="First date to skip"
                                    kind="date"
                                    value=RwSignal::new(from_value)
                                    error=Signal::derive(move || from_error.clone())
                                    required=true
                                />
                                <TextField
                                    id=field_id(FormId::Skip, Field::SkipTo)
                                    name=Field::SkipTo.name()
                                    label="Last date to skip (empty: one date)"
                                    kind="date"
                                    value=RwSignal::new(to_value)
                                    error=Signal::derive(move || to_error.clone())
                                />
                                <p class="hint">"The booking runs " {first_date} " to " {last_date} "."</p>
                                <button type="submit" class="secondary">"Preview the skip"</button>
                            </form>
                            {problem.map(|p| view! { <p class="notice notice-error" role="alert">{p}</p> })}
                            {shown.map(|p| view! { <SkipConfirm preview=p pair /> })}
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

/// What a skip will do, and the button that does it.
#[component]
fn SkipConfirm(preview: SkipPreview, pair: Option<PairView>) -> impl IntoView {
    let SkipPreview {
        booking_id,
        from,
        to,
        skipped,
        skipped_count,
        kept_count,
        steps,
        pair: pair_of,
        zone,
        form_key,
    } = preview;
    let more = skipped_count.saturating_sub(skipped.len());
    let pair = pair.filter(|p| p.other_cancellable && pair_of.is_some());
    view! {
        <div class="skip-preview" role="region" aria-label="What the skip will do">
            <h3>"Skipped: " {skipped_count} {if skipped_count == 1 { " window" } else { " windows" }} " (" {zone} ")"</h3>
            <ul class="plain">
                {skipped.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}
                {(more > 0).then(|| view! { <li>"…and " {more} " more"</li> })}
            </ul>
            <p>"Kept as they are: " {kept_count} {if kept_count == 1 { " window." } else { " windows." }}</p>
            <h3>"What will be sent to AURA"</h3>
            <ol>{steps.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ol>
            <form method="post" action=SkipBookingDates::PATH>
                <input type="hidden" name="id" value=booking_id />
                <input type="hidden" name="from" value=from />
                <input type="hidden" name="to" value=to />
                <input type="hidden" name="key" value=form_key />
                {pair
                    .map(|p| {
                        view! {
                            <label class="check">
                                <input type="checkbox" name="also_pair" value="true" checked=true />
                                " Also skip the same nights of the " {p.role.other().label()} " (booking #" {p.other_id} " · " {p.other_name} ")"
                            </label>
                        }
                    })}
                <button type="submit" class="primary">"Skip these dates"</button>
            </form>
        </div>
    }
}
