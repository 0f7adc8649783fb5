//! Form fields, one family for every form: the booking form's inputs (bound to signals in its
//! island) and the plain server-rendered account and administration forms (posted without any
//! browser code) use the same components. Each field ties its label, hint and error message to the
//! input by id and renders its value into the HTML (so a refused submit shows what was typed, with
//! or without JavaScript). The browser owns the value from then on; a bound signal follows what is
//! typed, and hydration never overwrites it (text typed before the page became interactive stays).

use leptos::prelude::*;

use crate::components::feedback::FieldMessage;
use crate::error::FIELDS_NEED_ATTENTION;
use domain::Field;
use domain::model::FormFlash;
use domain::model::FormId;

/// What just happened: a success line, or a problem that belongs to no one field.
#[component]
pub fn FlashNotice(flash: FormFlash) -> impl IntoView {
    view! {
        {flash.success.map(|s| view! { <p class="notice notice-ok" role="status">{crate::says::says(&s)}</p> })}
        {flash.notice.map(|n| view! { <p class="notice notice-error" role="alert">{n}</p> })}
        {(!flash.errors.is_empty())
            .then(|| view! { <p class="notice notice-error" role="alert">{FIELDS_NEED_ATTENTION}</p> })}
    }
}

/// The element id of `field` in the form `form`, on pages that hold several forms.
pub fn field_id(form: FormId, field: Field) -> String {
    form.field_id(field)
}

/// `aria-describedby` of a field: its error, then its hint if it has one.
fn described_by(id: &str, has_hint: bool) -> String {
    if has_hint {
        format!("{id}-error {id}-hint")
    } else {
        format!("{id}-error")
    }
}

/// A labelled text input (any `type`) with its hint and error.
#[component]
pub fn TextField(
    #[prop(into)] id: Signal<String>,
    #[prop(into)] label: Signal<String>,
    /// Empty unless given.
    #[prop(optional)]
    value: Option<RwSignal<String>>,
    #[prop(into)] error: Signal<Option<String>>,
    /// The name a plain form posts it under.
    #[prop(optional, into)]
    name: Option<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] max: Option<usize>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] list: Option<&'static str>,
) -> impl IntoView {
    let value = value.unwrap_or_default();
    let initial = value.get_untracked();
    view! {
        <div class="field">
            <label for=move || id.get()>{move || label.get()}</label>
            {hint.map(|h| view! { <p class="hint" id=move || format!("{}-hint", id.get())>{h}</p> })}
            <input
                id=move || id.get()
                name=name
                type=kind
                inputmode=inputmode
                placeholder=placeholder
                autocomplete=autocomplete.unwrap_or("off")
                maxlength=max
                list=list
                required=required
                value=initial
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=move || described_by(&id.get(), hint.is_some())
            />
            <FieldMessage id=Signal::derive(move || format!("{}-error", id.get())) message=error />
        </div>
    }
}

/// A labelled multi-line text input with its error: starts with `value`'s text (or `text`) and keeps
/// `value`, when given, following what is typed.
#[component]
pub fn TextAreaField(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    #[prop(optional)] value: Option<RwSignal<String>>,
    #[prop(optional, into)] text: String,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional, into)] name: Option<String>,
    #[prop(default = 3)] rows: u32,
    #[prop(optional)] max: Option<usize>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let initial = value.map(|v| v.get_untracked()).unwrap_or(text);
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <textarea
                id=id
                name=name
                rows=rows
                maxlength=max
                aria-required=required.then_some("true")
                on:input=move |ev| {
                    if let Some(v) = value {
                        v.set(event_target_value(&ev));
                    }
                }
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=error_id.clone()
            >
                {initial}
            </textarea>
            <FieldMessage id=error_id message=error />
        </div>
    }
}

/// A labelled drop-down; `options` are (value, label) pairs and the current value is selected in
/// the server-rendered HTML too.
#[component]
pub fn SelectField(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    options: Vec<(String, String)>,
    #[prop(optional, into)] name: Option<String>,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let initial = value.get_untracked();
    let described = described_by(&id, hint.is_some());
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            <select
                id=id
                name=name
                on:change=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=described
            >
                {options
                    .into_iter()
                    .map(|(v, l)| {
                        let selected = v == initial;
                        view! { <option value=v selected=selected>{l}</option> }
                    })
                    .collect_view()}
            </select>
            <FieldMessage id=error_id message=error />
        </div>
    }
}

/// The IANA zones as a `<datalist>` for zone inputs (`list="zones"`).
#[component]
pub fn ZoneList(zones: Vec<String>) -> impl IntoView {
    view! {
        <datalist id="zones">
            {zones.into_iter().map(|z| view! { <option value=z></option> }).collect_view()}
        </datalist>
    }
}
