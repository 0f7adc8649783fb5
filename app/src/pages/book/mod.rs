use leptos::prelude::*;
use leptos_meta::Title;

use leptos::server_fn::ServerFn;

use crate::api::accounts::SwitchCustomer;
use crate::api::bookings::{BookService, load_booking_form};
use crate::components::feedback::{ErrorNotice, Loading};
use crate::components::service::RowResults;
use crate::error::FIELDS_NEED_ATTENTION;
use crate::use_hydrated;
use domain::lifecycle::ChangeStatus;
use domain::model::{BookingFormData, BookingStart, CustomerOption, SchedulePreview, SyncStatus};
use domain::{BookingDraft, FieldErrors, ServiceType, validate_draft};

mod fieldsets;
mod preview;
mod state;

use fieldsets::*;
use state::*;

/// The site list's choice for an address typed for this booking alone.
const NEW_SITE: &str = "new";
#[cfg(feature = "hydrate")]
const PREVIEW_DEBOUNCE_MS: u32 = 350;

#[component]
pub fn BookPage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let number = move |name: &str| query.read().get(name).and_then(|id| id.parse::<i64>().ok());
    let asked = move || (number("again"), number("change"));
    let data = Resource::new(asked, |(again, change)| load_booking_form(again, change));
    let heading = move || match number("change") {
        Some(id) => format!("Change booking #{id}"),
        None => "Book a service".to_string(),
    };
    view! {
        <Title text=heading />
        <h1>{heading}</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(BookingStart::Ready(data)) => view! { <BookingForm data=*data /> }.into_any(),
                    Ok(BookingStart::ChooseCustomer(customers)) => {
                        view! { <ChooseCustomer customers back="/book" action="Book for " /> }.into_any()
                    }
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Account managers and administrators book (and keep sites) for one customer at a time: pick it
/// first. `action` starts each button's text, e.g. "Book for ".
#[component]
pub(crate) fn ChooseCustomer(
    customers: Vec<CustomerOption>,
    back: &'static str,
    action: &'static str,
) -> impl IntoView {
    view! {
        <p>"Which customer is this for? Choose one; you can switch at the top of any page."</p>
        <ul class="plain customer-choice">
            {customers
                .into_iter()
                .map(|c| {
                    view! {
                        <li>
                            <form method="post" action=SwitchCustomer::PATH>
                                <input type="hidden" name="customer" value=c.id.to_string() />
                                <input type="hidden" name="back" value=back />
                                <button type="submit">{action} {c.name}</button>
                            </form>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

/// The interactive form: an island, hydrated in the browser.
#[island]
fn BookingForm(data: BookingFormData) -> impl IntoView {
    let form = FormState::new(&data);
    let enabled: Vec<ServiceType> = data.service_types.clone();
    let form_key = data.form_key.clone();
    let attempt = RwSignal::new(0u32);
    let idempotency_key = move || format!("{form_key}-{}", attempt.get_untracked());
    let hydrated = use_hydrated();

    // Live schedule preview, computed on the server (it needs the zone database), debounced.
    let when_draft = Memo::new(move |_| (form.when_draft(), form.also_sites()));
    // A plain signal filled only in the browser: a LocalResource read during server rendering would
    // make the surrounding Suspense give up on the server.
    let preview = RwSignal::new(None::<SchedulePreview>);
    Effect::new(move |_| {
        let snapshot = when_draft.get();
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            // `try_`: the form may be gone (navigated away) by the time this runs.
            let unchanged = || when_draft.try_get_untracked().as_ref() == Some(&snapshot);
            gloo_timers::future::TimeoutFuture::new(PREVIEW_DEBOUNCE_MS).await;
            if !unchanged() {
                return;
            }
            let (draft, also_sites) = snapshot.clone();
            let answer = crate::api::bookings::preview_schedule(draft, also_sites).await;
            // Drop answers to drafts that changed while the server was computing them.
            if unchanged() {
                preview.try_set(answer.ok());
            }
        });
        #[cfg(not(feature = "hydrate"))]
        drop(snapshot);
    });

    // The browser's clock, once a second, for the lead-time countdown (None while server rendering).
    let now_ms = RwSignal::new(None::<i64>);
    #[cfg(feature = "hydrate")]
    if let Ok(handle) = set_interval_with_handle(
        move || {
            now_ms.try_set(Some(js_sys::Date::now() as i64));
        },
        std::time::Duration::from_secs(1),
    ) {
        on_cleanup(move || handle.clear());
    }

    // Problems shown next to fields: the live zone-free rules once a submit was tried, the server's
    // answer to the last submit while nothing changed since, and the live server preview.
    let attempted = RwSignal::new(false);
    let submitted = RwSignal::new(None::<(BookingDraft, FieldErrors)>);
    let enabled_for_check = enabled.clone();
    let errors = Memo::new(move |_| {
        let draft = form.draft(String::new());
        let mut shown = FieldErrors::default();
        if attempted.get()
            && let Err(e) = validate_draft(&draft, &enabled_for_check)
        {
            shown.merge(e);
        }
        submitted.with(|s| {
            if let Some((at, e)) = s
                && *at == draft
            {
                shown.merge(e.clone());
            }
        });
        if let Some(p) = preview.get() {
            shown.merge(p.errors);
        }
        shown
    });

    let book = ServerAction::<BookService>::new();
    let form_message = RwSignal::new(None::<String>);
    let several = RwSignal::new(Vec::<domain::model::RowResult>::new());
    Effect::new(move |_| {
        let Some(result) = book.value().get() else {
            return;
        };
        match result {
            // Several sites at once: each site's booking, listed here.
            Ok(r) if !r.several.is_empty() => {
                several.set(r.several);
                form_message.set(None);
                attempt.update(|a| *a += 1);
            }
            // A change that AURA refused: the original stands; the form stays as typed.
            Ok(r) if r.change == Some(ChangeStatus::Refused) => {
                form_message.set(r.message);
                attempt.update(|a| *a += 1);
            }
            Ok(r) if r.status == SyncStatus::Rejected => {
                form_message.set(Some(format!(
                    "AURA refused this booking: {} It is kept as refused (booking #{}) and will not be scheduled. Change the form and book again.",
                    r.message.unwrap_or_default(),
                    r.booking_id
                )));
                // The next submit is a new booking, not a repeat of the refused one.
                attempt.update(|a| *a += 1);
            }
            // The booking page is server-rendered: load it.
            Ok(r) => {
                let _ = window()
                    .location()
                    .set_href(&format!("/bookings/{}", r.booking_id));
            }
            Err(e) => match e.field_errors() {
                Some(fe) => {
                    focus_first_error(fe);
                    submitted.set(Some((form.draft(String::new()), fe.clone())));
                    form_message.set(Some(e.to_string()));
                }
                None => form_message.set(Some(e.to_string())),
            },
        }
    });

    let enabled_for_submit = enabled.clone();
    let changing = data.changing;
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if book.pending().get_untracked() {
            return;
        }
        attempted.set(true);
        let draft = form.draft(idempotency_key());
        if let Err(errors) = validate_draft(&draft, &enabled_for_submit) {
            form_message.set(Some(FIELDS_NEED_ATTENTION.into()));
            focus_first_error(&errors);
            return;
        }
        form_message.set(None);
        let also_sites = if changing.is_some() {
            Vec::new()
        } else {
            form.also_sites()
        };
        let skip_closures = changing.is_none()
            && form.skip_closures.get_untracked()
            && preview.with_untracked(|p| p.as_ref().is_some_and(|p| !p.closures.is_empty()));
        book.dispatch(BookService {
            draft,
            changing,
            also_sites,
            skip_closures,
        });
    };

    view! {
        <form class="booking-form" on:submit=on_submit novalidate>
            <p class="hint">"Booking for " <strong>{data.customer_name.clone()}</strong> ". All fields except instructions and contacts are required."</p>
            {data.prefill_note.clone().map(|n| view! { <p class="notice notice-info prefill-note" role="status">{n}</p> })}
            <ServiceFieldset form enabled errors />
            <ContactsFieldset form errors />
            <WhereFieldset form errors sites=data.sites.clone() time_zones=data.time_zones.clone() />
            <WhenFieldset form errors sites=data.sites.clone() preview now_ms />
            {move || form_message.get().map(|m| view! { <p class="notice notice-error form-message" role="alert">{m}</p> })}
            {move || {
                let rows = several.get();
                (!rows.is_empty())
                    .then(|| {
                        view! { <RowResults rows heading="Booked at each site" label="Booked at each site" failed="Not booked" /> }
                    })
            }}
            <div class="actions">
                <button type="submit" class="primary" disabled=move || !hydrated.get() || book.pending().get()>
                    {move || match (book.pending().get(), changing.is_some()) {
                        (true, false) => "Booking…",
                        (false, false) => "Book service",
                        (true, true) => "Changing…",
                        (false, true) => "Save the change",
                    }}
                </button>
            </div>
        </form>
    }
}
