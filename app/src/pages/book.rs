use chrono::Duration;
use leptos::prelude::*;
use leptos_meta::Title;

use leptos::server_fn::ServerFn;

use crate::api::accounts::SwitchCustomer;
use crate::api::bookings::{BookService, load_booking_form};
use crate::components::feedback::{ErrorNotice, FieldMessage, Loading};
use crate::components::form::{SelectField, TextAreaField, TextField};
use crate::components::service::WindowItem;
use crate::error::FIELDS_NEED_ATTENTION;
use crate::use_hydrated;
use domain::model::{
    BookingFormData, BookingStart, CustomerOption, Overlap, SchedulePreview, SiteView, SyncStatus,
};
use domain::{
    ArmedPreference, BookingDraft, ContactDraft, Field, FieldErrors, LEAD_TIME_MINUTES,
    MAX_ADDRESS_CHARS, MAX_CONTACT_NAME_CHARS, MAX_CONTACTS, MAX_INSTRUCTIONS_CHARS,
    MAX_MOBILE_CHARS, MAX_NAME_CHARS, RepeatKind, ServiceType, WEEKDAYS, iso_date, validate_draft,
    weekday_code, weekday_from_code, weekday_short_name,
};

const NEW_SITE: &str = "new";
#[cfg(feature = "hydrate")]
const PREVIEW_DEBOUNCE_MS: u32 = 350;

#[component]
pub fn BookPage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let again = move || {
        query
            .read()
            .get("again")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let data = Resource::new(again, load_booking_form);
    view! {
        <Title text="Book a service" />
        <h1>"Book a service"</h1>
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

/// One on-site contact row; `key` keeps a row's inputs in place when another row is removed.
#[derive(Clone, Copy)]
struct ContactRow {
    key: usize,
    name: RwSignal<String>,
    mobile: RwSignal<String>,
}

impl ContactRow {
    fn new(key: usize) -> Self {
        ContactRow {
            key,
            name: RwSignal::new(String::new()),
            mobile: RwSignal::new(String::new()),
        }
    }
}

/// Every input of the form, as typed.
#[derive(Clone, Copy)]
struct FormState {
    /// The customer the form was loaded for; the server checks it against who is asking.
    customer_id: i64,
    service_type: RwSignal<String>,
    name: RwSignal<String>,
    special_instructions: RwSignal<String>,
    number_of_guards: RwSignal<String>,
    armed_preference: RwSignal<String>,
    contacts: RwSignal<Vec<ContactRow>>,
    contact_keys: RwSignal<usize>,
    site: RwSignal<String>,
    address: RwSignal<String>,
    latitude: RwSignal<String>,
    longitude: RwSignal<String>,
    timezone: RwSignal<String>,
    first_date: RwSignal<String>,
    last_date: RwSignal<String>,
    repeat: RwSignal<String>,
    days: RwSignal<Vec<String>>,
    start_time: RwSignal<String>,
    window_minutes: RwSignal<String>,
    /// A lock booked with its unlock the next morning, at `unlock_time`.
    pair: RwSignal<bool>,
    unlock_time: RwSignal<String>,
}

/// The unlock's start time the form suggests.
const DEFAULT_UNLOCK_TIME: &str = "07:00";

impl FormState {
    fn new(data: &BookingFormData) -> Self {
        match &data.prefill {
            Some(draft) => Self::filled(data, draft),
            None => Self::blank(data),
        }
    }

    fn blank(data: &BookingFormData) -> Self {
        let first_site = data
            .sites
            .first()
            .map(|s| s.id.to_string())
            .unwrap_or_else(|| NEW_SITE.to_string());
        FormState {
            customer_id: data.customer_id,
            service_type: RwSignal::new(
                data.service_types
                    .first()
                    .map(|t| t.key().to_string())
                    .unwrap_or_default(),
            ),
            name: RwSignal::new(String::new()),
            special_instructions: RwSignal::new(String::new()),
            number_of_guards: RwSignal::new("1".into()),
            armed_preference: RwSignal::new(ArmedPreference::NoPreference.key().into()),
            contacts: RwSignal::new(vec![ContactRow::new(0)]),
            contact_keys: RwSignal::new(1),
            site: RwSignal::new(first_site),
            address: RwSignal::new(String::new()),
            latitude: RwSignal::new(String::new()),
            longitude: RwSignal::new(String::new()),
            timezone: RwSignal::new(data.default_timezone.clone()),
            first_date: RwSignal::new(iso_date(data.today)),
            last_date: RwSignal::new(iso_date(data.today + Duration::days(27))),
            repeat: RwSignal::new(RepeatKind::Single.key().into()),
            days: RwSignal::new(Vec::new()),
            start_time: RwSignal::new(String::new()),
            window_minutes: RwSignal::new("60".into()),
            pair: RwSignal::new(false),
            unlock_time: RwSignal::new(DEFAULT_UNLOCK_TIME.into()),
        }
    }

    /// Every field as `draft` has it ("book again").
    fn filled(data: &BookingFormData, draft: &BookingDraft) -> Self {
        let contacts: Vec<ContactRow> = draft
            .contacts
            .iter()
            .enumerate()
            .map(|(key, c)| ContactRow {
                key,
                name: RwSignal::new(c.name.clone()),
                mobile: RwSignal::new(c.mobile.clone()),
            })
            .collect();
        let count = contacts.len();
        let (contacts, keys) = if contacts.is_empty() {
            (vec![ContactRow::new(0)], 1)
        } else {
            (contacts, count)
        };
        FormState {
            customer_id: data.customer_id,
            service_type: RwSignal::new(
                draft
                    .service_type
                    .filter(|t| data.service_types.contains(t))
                    .or(data.service_types.first().copied())
                    .map(|t| t.key().to_string())
                    .unwrap_or_default(),
            ),
            name: RwSignal::new(draft.name.clone()),
            special_instructions: RwSignal::new(draft.special_instructions.clone()),
            number_of_guards: RwSignal::new(draft.number_of_guards.clone()),
            armed_preference: RwSignal::new(draft.armed_preference.key().into()),
            contacts: RwSignal::new(contacts),
            contact_keys: RwSignal::new(keys),
            site: RwSignal::new(
                draft
                    .site_id
                    .map(|id| id.to_string())
                    .unwrap_or_else(|| NEW_SITE.to_string()),
            ),
            address: RwSignal::new(draft.address.clone()),
            latitude: RwSignal::new(draft.latitude.clone()),
            longitude: RwSignal::new(draft.longitude.clone()),
            timezone: RwSignal::new(draft.timezone.clone()),
            first_date: RwSignal::new(draft.first_date.clone()),
            last_date: RwSignal::new(draft.last_date.clone()),
            repeat: RwSignal::new(draft.repeat.key().into()),
            days: RwSignal::new(
                draft
                    .days
                    .iter()
                    .map(|d| weekday_code(*d).to_string())
                    .collect(),
            ),
            start_time: RwSignal::new(draft.start_time.clone()),
            window_minutes: RwSignal::new(draft.window_minutes.clone()),
            pair: RwSignal::new(!draft.unlock_time.is_empty()),
            unlock_time: RwSignal::new(if draft.unlock_time.is_empty() {
                DEFAULT_UNLOCK_TIME.into()
            } else {
                draft.unlock_time.clone()
            }),
        }
    }

    fn is_lock(&self) -> bool {
        self.service_type
            .with(|t| t.parse::<ServiceType>() == Ok(ServiceType::LockUnlock))
    }

    fn site_id(&self) -> Option<i64> {
        self.site.with(|s| s.parse::<i64>().ok())
    }

    /// The draft as it stands (tracked: re-runs whoever reads it on any change).
    fn draft(&self, idempotency_key: String) -> BookingDraft {
        BookingDraft {
            idempotency_key,
            // The drop-downs only offer valid keys.
            service_type: self.service_type.with(|t| t.parse().ok()),
            name: self.name.get(),
            special_instructions: self.special_instructions.get(),
            number_of_guards: self.number_of_guards.get(),
            armed_preference: self
                .armed_preference
                .with(|a| a.parse().unwrap_or_default()),
            contacts: self
                .contacts
                .get()
                .iter()
                .map(|c| ContactDraft {
                    name: c.name.get(),
                    mobile: c.mobile.get(),
                })
                .collect(),
            unlock_time: if self.is_lock() && self.pair.get() {
                self.unlock_time.get()
            } else {
                String::new()
            },
            ..self.when_draft()
        }
    }

    /// Only what the schedule preview depends on (the service, for overlap warnings).
    fn when_draft(&self) -> BookingDraft {
        let site_id = self.site_id();
        BookingDraft {
            customer_id: Some(self.customer_id),
            service_type: self.service_type.with(|t| t.parse().ok()),
            site_id,
            address: self.address.get(),
            latitude: self.latitude.get(),
            longitude: self.longitude.get(),
            timezone: if site_id.is_some() {
                String::new()
            } else {
                self.timezone.get()
            },
            first_date: self.first_date.get(),
            last_date: self.last_date.get(),
            repeat: self.repeat.with(|r| r.parse().unwrap_or_default()),
            days: self
                .days
                .with(|codes| codes.iter().filter_map(|c| weekday_from_code(c)).collect()),
            start_time: self.start_time.get(),
            window_minutes: self.window_minutes.get(),
            ..BookingDraft::default()
        }
    }

    fn add_contact(&self) {
        let key = self.contact_keys.get_untracked();
        self.contact_keys.set(key + 1);
        self.contacts.update(|c| c.push(ContactRow::new(key)));
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
    let when_draft = Memo::new(move |_| form.when_draft());
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
            let answer = crate::api::bookings::preview_schedule(snapshot.clone()).await;
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
    Effect::new(move |_| {
        let Some(result) = book.value().get() else {
            return;
        };
        match result {
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
        book.dispatch(BookService { draft });
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
            <div class="actions">
                <button type="submit" class="primary" disabled=move || !hydrated.get() || book.pending().get()>
                    {move || if book.pending().get() { "Booking…" } else { "Book service" }}
                </button>
            </div>
        </form>
    }
}

/// The problem shown at `field`, as a signal for its input.
fn error_at(errors: Memo<FieldErrors>, field: Field) -> Signal<Option<String>> {
    Signal::derive(move || errors.with(|e| e.get(field).map(str::to_string)))
}

#[component]
fn ServiceFieldset(
    form: FormState,
    enabled: Vec<ServiceType>,
    errors: Memo<FieldErrors>,
) -> impl IntoView {
    view! {
        <fieldset>
            <legend>"Service"</legend>
            <SelectField
                id=Field::ServiceType.name()
                label="Service type"
                value=form.service_type
                error=error_at(errors, Field::ServiceType)
                options=enabled.iter().map(|t| (t.key().to_string(), t.label().to_string())).collect()
            />
            <TextField id=Field::Name.name() label="Name" value=form.name error=error_at(errors, Field::Name) max=MAX_NAME_CHARS placeholder="e.g. Warehouse night patrol" />
            <TextAreaField
                id=Field::SpecialInstructions.name()
                label="Special instructions (optional)"
                value=form.special_instructions
                error=error_at(errors, Field::SpecialInstructions)
                max=MAX_INSTRUCTIONS_CHARS
            />
            <div class="row">
                <TextField id=Field::NumberOfGuards.name() label="Number of guards" value=form.number_of_guards error=error_at(errors, Field::NumberOfGuards) kind="number" inputmode="numeric" />
                <SelectField
                    id=Field::ArmedPreference.name()
                    label="Armed preference"
                    value=form.armed_preference
                    error=error_at(errors, Field::ArmedPreference)
                    options=ArmedPreference::ALL.iter().map(|a| (a.key().to_string(), a.label().to_string())).collect()
                />
            </div>
        </fieldset>
    }
}

#[component]
fn ContactsFieldset(form: FormState, errors: Memo<FieldErrors>) -> impl IntoView {
    view! {
        <fieldset id=Field::Contacts.name()>
            <legend>"On-site contacts (optional)"</legend>
            <FieldMessage id="contacts-error" message=error_at(errors, Field::Contacts) />
            <For each=move || form.contacts.get() key=|c| c.key let:row>
                {
                    let index = move || form.contacts.with(|cs| cs.iter().position(|c| c.key == row.key).unwrap_or(0));
                    view! {
                        <div class="contact-row">
                            <TextField
                                id=Signal::derive(move || Field::ContactName(index()).name())
                                label=Signal::derive(move || format!("Contact {} name", index() + 1))
                                value=row.name
                                error=Signal::derive(move || error_at(errors, Field::ContactName(index())).get())
                                max=MAX_CONTACT_NAME_CHARS
                            />
                            <TextField
                                id=Signal::derive(move || Field::ContactMobile(index()).name())
                                label=Signal::derive(move || format!("Contact {} mobile", index() + 1))
                                value=row.mobile
                                error=Signal::derive(move || error_at(errors, Field::ContactMobile(index())).get())
                                kind="tel"
                                max=MAX_MOBILE_CHARS
                            />
                            <button
                                type="button"
                                class="link-button"
                                on:click=move |_| form.contacts.update(|cs| cs.retain(|c| c.key != row.key))
                                aria-label=move || format!("Remove contact {}", index() + 1)
                            >
                                "Remove"
                            </button>
                        </div>
                    }
                }
            </For>
            <button
                type="button"
                class="secondary"
                on:click=move |_| form.add_contact()
                disabled=move || form.contacts.with(|c| c.len() >= MAX_CONTACTS)
            >
                "Add a contact"
            </button>
        </fieldset>
    }
}

#[component]
fn WhereFieldset(
    form: FormState,
    errors: Memo<FieldErrors>,
    sites: Vec<SiteView>,
    time_zones: Vec<String>,
) -> impl IntoView {
    let is_new_site = move || form.site.with(|s| s == NEW_SITE);
    view! {
        <fieldset>
            <legend>"Where"</legend>
            <SelectField
                id=Field::Site.name()
                label="Site"
                value=form.site
                error=error_at(errors, Field::Site)
                options=sites
                    .iter()
                    .map(|s| (s.id.to_string(), format!("{} ({})", s.name, s.timezone)))
                    .chain([(NEW_SITE.to_string(), "A new location…".to_string())])
                    .collect()
            />
            <Show when=is_new_site>
                <TextField id=Field::Address.name() label="Address" value=form.address error=error_at(errors, Field::Address) max=MAX_ADDRESS_CHARS autocomplete="street-address" />
                <div class="row">
                    <TextField id=Field::Latitude.name() label="Latitude (optional)" value=form.latitude error=error_at(errors, Field::Latitude) inputmode="decimal" placeholder="51.5072" />
                    <TextField id=Field::Longitude.name() label="Longitude (optional)" value=form.longitude error=error_at(errors, Field::Longitude) inputmode="decimal" placeholder="-0.1276" />
                </div>
                <SelectField
                    id=Field::Timezone.name()
                    label="Time zone of the location"
                    value=form.timezone
                    error=error_at(errors, Field::Timezone)
                    options=time_zones.iter().map(|z| (z.clone(), z.clone())).collect()
                />
            </Show>
        </fieldset>
    }
}

#[component]
fn WhenFieldset(
    form: FormState,
    errors: Memo<FieldErrors>,
    sites: Vec<SiteView>,
    preview: RwSignal<Option<SchedulePreview>>,
    now_ms: RwSignal<Option<i64>>,
) -> impl IntoView {
    let repeat_kind = move || {
        form.repeat
            .with(|r| r.parse::<RepeatKind>().unwrap_or_default())
    };
    let zone_label = move || {
        let id = form.site_id();
        sites
            .iter()
            .find(|s| Some(s.id) == id)
            .map(|s| s.timezone.clone())
            .unwrap_or_else(|| form.timezone.get())
    };
    view! {
        <fieldset>
            <legend>"When"</legend>
            <p class="hint">"Dates and times are local to the site: " <strong>{zone_label}</strong> "."</p>
            <SelectField
                id=Field::Repeat.name()
                label="Repeats"
                value=form.repeat
                error=error_at(errors, Field::Repeat)
                options=RepeatKind::ALL.iter().map(|k| (k.key().to_string(), k.label().to_string())).collect()
            />
            <div class="row">
                <TextField
                    id=Field::FirstDate.name()
                    label=Signal::derive(move || if repeat_kind() == RepeatKind::Single { "Date".to_string() } else { "First date".to_string() })
                    value=form.first_date
                    error=error_at(errors, Field::FirstDate)
                    kind="date"
                />
                <Show when=move || repeat_kind() != RepeatKind::Single>
                    <TextField id=Field::LastDate.name() label="Last date" value=form.last_date error=error_at(errors, Field::LastDate) kind="date" />
                </Show>
            </div>
            <Show when=move || repeat_kind() == RepeatKind::Weekly>
                <fieldset class="days" id=Field::Days.name() aria-describedby="days-error">
                    <legend>"On these days"</legend>
                    {WEEKDAYS
                        .map(|d| {
                            let code = weekday_code(d);
                            view! {
                                <label class="day-toggle">
                                    <input
                                        type="checkbox"
                                        value=code
                                        prop:checked=move || form.days.with(|ds| ds.iter().any(|x| x == code))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            form.days.update(|ds| {
                                                ds.retain(|x| x != code);
                                                if on {
                                                    ds.push(code.to_string());
                                                }
                                            });
                                        }
                                    />
                                    {weekday_short_name(d)}
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
            </Show>
            <FieldMessage id="days-error" message=error_at(errors, Field::Days) />
            <div class="row">
                <TextField id=Field::StartTime.name() label="Start time" value=form.start_time error=error_at(errors, Field::StartTime) kind="time" />
                <TextField id=Field::WindowMinutes.name() label="Window length (minutes)" value=form.window_minutes error=error_at(errors, Field::WindowMinutes) kind="number" inputmode="numeric" />
            </div>
            <Show when=move || form.is_lock()>
                <div class="pair-choice">
                    <label class="check">
                        <input
                            type="checkbox"
                            id="pair"
                            prop:checked=move || form.pair.get()
                            on:change=move |ev| form.pair.set(event_target_checked(&ev))
                        />
                        " Also unlock the next morning (a second AURA request, linked to this one)"
                    </label>
                    <Show when=move || form.pair.get()>
                        <TextField id=Field::UnlockTime.name() label="Unlock time (the next morning)" value=form.unlock_time error=error_at(errors, Field::UnlockTime) kind="time" />
                        <p class="hint">"Each lock is unlocked the following day at this time, for the same window length. The two are booked, and can be cancelled, together."</p>
                    </Show>
                </div>
            </Show>
            <PreviewPanel preview now_ms />
        </fieldset>
    }
}

/// Moves keyboard focus to the first field with a problem, so keyboard and screen-reader users land
/// where the message is.
fn focus_first_error(errors: &FieldErrors) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let target = errors
            .first()
            .and_then(|field| document().get_element_by_id(&field.name()))
            .and_then(|el| el.dyn_into::<leptos::web_sys::HtmlElement>().ok());
        if let Some(el) = target {
            let _ = el.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = errors;
}

#[component]
fn PreviewPanel(
    preview: RwSignal<Option<SchedulePreview>>,
    now_ms: RwSignal<Option<i64>>,
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
fn OverlapWarning(overlaps: Vec<Overlap>) -> impl IntoView {
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

/// How long is left to book a window that opens soon; AURA needs `LEAD_TIME_MINUTES` of notice.
#[component]
fn LeadTimeCountdown(secs: i64) -> impl IntoView {
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
