//! The booking form's fieldsets: the service, the on-site contacts, where, and when.

use leptos::prelude::*;

use crate::components::feedback::FieldMessage;
use crate::components::form::{SelectField, TextAreaField, TextField};
use domain::model::{SchedulePreview, SiteView};
use domain::{
    ArmedPreference, Field, FieldErrors, MAX_ADDRESS_CHARS, MAX_CONTACT_NAME_CHARS, MAX_CONTACTS,
    MAX_INSTRUCTIONS_CHARS, MAX_MOBILE_CHARS, MAX_NAME_CHARS, RepeatKind, ServiceType, WEEKDAYS,
    weekday_code, weekday_short_name,
};

use super::NEW_SITE;
use super::preview::PreviewPanel;
use super::state::FormState;

/// The problem shown at `field`, as a signal for its input.
pub(super) fn error_at(errors: Memo<FieldErrors>, field: Field) -> Signal<Option<String>> {
    Signal::derive(move || errors.with(|e| e.get(field).map(str::to_string)))
}

#[component]
pub(super) fn ServiceFieldset(
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
pub(super) fn ContactsFieldset(form: FormState, errors: Memo<FieldErrors>) -> impl IntoView {
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
pub(super) fn WhereFieldset(
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
            {(sites.len() > 1).then(|| view! { <AlsoSites form sites=sites.clone() /> })}
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

/// The same service at other saved sites, booked at once (one booking each, previewed in each
/// site's zone).
#[component]
fn AlsoSites(form: FormState, sites: Vec<SiteView>) -> impl IntoView {
    let is_saved = move || form.site_id().is_some();
    view! {
        <Show when=is_saved>
            <details class="also-sites" open=move || !form.also_sites.with(Vec::is_empty)>
                <summary>"Also book at other sites"</summary>
                <p class="hint">"The same service, dates and times at each site ticked: one booking per site, each in its own time zone."</p>
                {sites
                    .clone()
                    .into_iter()
                    .map(|s| {
                        let id = s.id;
                        let box_id = format!("also-site-{id}");
                        let label_for = box_id.clone();
                        let hidden = move || form.site_id() == Some(id);
                        view! {
                            <label class="check" for=label_for class:hidden=hidden>
                                <input
                                    type="checkbox"
                                    id=box_id
                                    disabled=hidden
                                    prop:checked=move || form.also_sites.with(|a| a.contains(&id))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        form.also_sites.update(|a| {
                                            a.retain(|x| *x != id);
                                            if on {
                                                a.push(id);
                                            }
                                        });
                                    }
                                />
                                " " {s.name.clone()} " (" {s.timezone.clone()} ")"
                            </label>
                        }
                    })
                    .collect_view()}
            </details>
        </Show>
    }
}

#[component]
pub(super) fn WhenFieldset(
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
            <PreviewPanel preview now_ms skip_closures=form.skip_closures />
        </fieldset>
    }
}

/// Moves keyboard focus to the first field with a problem, so keyboard and screen-reader users land
/// where the message is.
pub(super) fn focus_first_error(errors: &FieldErrors) {
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
