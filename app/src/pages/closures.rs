//! Closures: dates the customer's sites are closed (bank holidays, shutdowns), typed in or
//! imported from a calendar file, each listing the bookings it meets with a choice per booking:
//! skip those dates, or keep it. Plain server-rendered forms (no browser code).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::closures::load_closures;
use crate::components::feedback::{ErrorNotice, Loading};
use crate::components::form::{TextField, field_id};
use crate::components::service::RowResults;
use crate::pages::admin::page_flash;
use crate::pages::book::ChooseCustomer;
use domain::Field;
use domain::model::{
    ClosureView, ClosuresPage, ClosuresView, FormId, Outcome, SiteView, flash_for,
};

const BACK: &str = "/closures";

#[component]
pub fn ClosuresPageView() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_closures());
    view! {
        <Title text="Closures" />
        <h1>"Closures"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(ClosuresPage::Ready(view)) => view! { <Closures view=*view /> }.into_any(),
                    Ok(ClosuresPage::ChooseCustomer(customers)) => {
                        view! { <ChooseCustomer customers back=BACK action="Closures of " /> }.into_any()
                    }
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The sites to tick (none ticked: every site).
#[component]
fn SiteChoice(sites: Vec<SiteView>, form: FormId) -> impl IntoView {
    view! {
        <fieldset>
            <legend>"Sites closed (none ticked: every site and address)"</legend>
            {sites
                .into_iter()
                .map(|s| {
                    let id = format!("{}-site-{}", form.key(), s.id);
                    let label_for = id.clone();
                    view! {
                        <label class="check" for=label_for>
                            <input type="checkbox" id=id name=Field::Site.name() value=s.id.to_string() />
                            " " {s.name}
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

#[component]
fn Closures(view: ClosuresView) -> impl IntoView {
    let ClosuresView {
        customer_id: _,
        customer_name,
        closures,
        sites,
        form_key,
        flash,
    } = view;
    let add = flash_for(&flash, FormId::NewClosure);
    let import = flash_for(&flash, FormId::ImportClosures);
    // Acting on several bookings at once: one line per booking.
    let rows = flash.as_ref().and_then(|f| match &f.success {
        Some(Outcome::Several { rows }) => Some(rows.clone()),
        _ => None,
    });
    let general = if rows.is_some() { None } else { flash.clone() };
    let name_value = add.value(Field::Name);
    let from_value = add.value(Field::SkipFrom);
    let to_value = add.value(Field::SkipTo);
    let add_errors = add.clone();
    view! {
        <p class="hint">
            "Dates the sites of " <strong>{customer_name}</strong>
            " are closed. A closure sends nothing to AURA by itself: each one lists the bookings it meets, and you choose which to skip on those dates (each skip is booked around the dates, as on a booking's page) and which to keep."
        </p>
        {page_flash(&general, |form| matches!(form, FormId::NewClosure | FormId::ImportClosures))}
        {rows
            .map(|rows| {
                view! { <RowResults rows heading="Done, booking by booking" label="What was done" failed="Not done" /> }
            })}
        <section aria-labelledby="closures-h">
            <h2 id="closures-h">"Coming closures"</h2>
            {if closures.is_empty() {
                view! { <p class="empty">"No closures to come."</p> }.into_any()
            } else {
                view! {
                    <ol class="plain closure-list">
                        {closures
                            .into_iter()
                            .map(|c| view! { <ClosureItem closure=c form_key=form_key.clone() /> })
                            .collect_view()}
                    </ol>
                }
                    .into_any()
            }}
        </section>
        <section aria-labelledby="new-closure-h" class="admin-form">
            <h2 id="new-closure-h">"Add a closure"</h2>
            {add.notice.clone().map(|n| view! { <p class="notice notice-error" role="alert">{n}</p> })}
            <form method="post" action="/closures/add" class="stack">
                <TextField id=field_id(FormId::NewClosure, Field::Name) name=Field::Name.name() label="Name (e.g. Christmas Day)" value=RwSignal::new(name_value) error=add_errors.error(Field::Name) required=true max=domain::MAX_NAME_CHARS />
                <TextField id=field_id(FormId::NewClosure, Field::SkipFrom) name=Field::SkipFrom.name() kind="date" label="First day closed" value=RwSignal::new(from_value) error=add_errors.error(Field::SkipFrom) required=true />
                <TextField id=field_id(FormId::NewClosure, Field::SkipTo) name=Field::SkipTo.name() kind="date" label="Last day closed (empty: one day)" value=RwSignal::new(to_value) error=add_errors.error(Field::SkipTo) />
                {add.error(Field::Site).map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                <SiteChoice sites=sites.clone() form=FormId::NewClosure />
                <button type="submit">"Add closure"</button>
            </form>
        </section>
        <section aria-labelledby="import-h" class="admin-form">
            <h2 id="import-h">"Import from a calendar file"</h2>
            <p class="hint">
                "A calendar file (.ics) of holidays or shutdowns, e.g. your country's bank holidays: each event becomes a closure of its days. Importing the same file again updates what it added."
            </p>
            {import.notice.clone().map(|n| view! { <p class="notice notice-error" role="alert">{n}</p> })}
            <form method="post" action="/closures/import" enctype="multipart/form-data" class="stack">
                <div class="field">
                    <label for=field_id(FormId::ImportClosures, Field::ClosureFile)>"Calendar file (.ics)"</label>
                    <input
                        type="file"
                        id=field_id(FormId::ImportClosures, Field::ClosureFile)
                        name=Field::ClosureFile.name()
                        accept=".ics,text/calendar"
                        required=true
                        aria-invalid=import.error(Field::ClosureFile).is_some().then_some("true")
                        aria-describedby=format!("{}-error", field_id(FormId::ImportClosures, Field::ClosureFile))
                    />
                    <p class="field-error" id=format!("{}-error", field_id(FormId::ImportClosures, Field::ClosureFile))>
                        {import.error(Field::ClosureFile)}
                    </p>
                </div>
                <SiteChoice sites form=FormId::ImportClosures />
                <button type="submit">"Import"</button>
            </form>
        </section>
    }
}

/// One closure: its dates and sites, the bookings it meets with a choice each, and delete.
#[component]
fn ClosureItem(closure: ClosureView, form_key: String) -> impl IntoView {
    let ClosureView {
        id,
        name,
        dates,
        sites,
        meets,
    } = closure;
    let skippable = meets.iter().any(|m| m.why_not.is_none());
    view! {
        <li class="closure-item" id=format!("closure-{id}")>
            <h3>{name.clone()}</h3>
            <p>{dates} " · " {sites}</p>
            {if meets.is_empty() {
                view! { <p class="hint">"It meets no booking."</p> }.into_any()
            } else {
                view! {
                    <form method="post" action=format!("/closures/{id}/apply")>
                        <input type="hidden" name="key" value=form_key />
                        <fieldset>
                            <legend>"Bookings it meets: tick those to skip on these dates; the others are kept"</legend>
                            <ul class="plain">
                                {meets
                                    .into_iter()
                                    .map(|m| {
                                        let box_id = format!("closure-{id}-booking-{}", m.booking_id);
                                        let label_for = box_id.clone();
                                        let more = m.count.saturating_sub(m.windows.len());
                                        view! {
                                            <li class="meet">
                                                <label class="check" for=label_for>
                                                    <input
                                                        type="checkbox"
                                                        id=box_id
                                                        name="booking"
                                                        value=m.booking_id.to_string()
                                                        checked=m.why_not.is_none()
                                                        disabled=m.why_not.is_some()
                                                    />
                                                    " Skip " <a href=format!("/bookings/{}", m.booking_id)>{m.name.clone()}</a>
                                                    " · " {m.place} " · " {m.count}
                                                    {if m.count == 1 { " window" } else { " windows" }}
                                                </label>
                                                <span class="hint">
                                                    {m.windows.join("; ")}
                                                    {(more > 0).then(|| format!(" …and {more} more"))}
                                                </span>
                                                {m.why_not.map(|w| view! { <span class="hint">" Cannot be skipped now: " {w}</span> })}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        </fieldset>
                        {skippable.then(|| view! { <button type="submit">"Skip the ticked bookings on these dates"</button> })}
                    </form>
                }
                    .into_any()
            }}
            <form method="post" action=format!("/closures/{id}/delete") class="inline">
                <button type="submit" class="secondary" aria-label=format!("Delete the closure {name}")>"Delete"</button>
            </form>
        </li>
    }
}
