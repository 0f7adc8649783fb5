//! Plain server-rendered form parts for the account and administration pages: they work without any
//! browser code and show what a refused submit sent back (`FormFlash`).

use leptos::prelude::*;

use crate::model::FormFlash;

/// What just happened: a success line, or a problem that belongs to no one field.
#[component]
pub fn FlashNotice(flash: FormFlash) -> impl IntoView {
    view! {
        {flash.success.map(|s| view! { <p class="notice notice-ok" role="status">{s}</p> })}
        {flash.notice.map(|n| view! { <p class="notice notice-error" role="alert">{n}</p> })}
        {(!flash.errors.is_empty())
            .then(|| {
                view! {
                    <p class="notice notice-error" role="alert">
                        "Some fields need attention: see the messages next to them."
                    </p>
                }
            })}
    }
}

/// The ids that tie a field's label, hint and error message together.
struct FieldIds {
    id: String,
    error_id: String,
    hint_id: String,
    /// `aria-describedby`: the error, then the hint if there is one.
    described: String,
}

impl FieldIds {
    fn new(form: &str, name: &str, has_hint: bool) -> Self {
        let id = format!("{form}-{name}");
        let error_id = format!("{id}-error");
        let hint_id = format!("{id}-hint");
        let described = if has_hint {
            format!("{error_id} {hint_id}")
        } else {
            error_id.clone()
        };
        FieldIds {
            id,
            error_id,
            hint_id,
            described,
        }
    }
}

/// A labelled input with its hint and error, ids scoped by `form` so a page can hold many forms.
#[component]
pub fn InputField(
    form: String,
    name: &'static str,
    label: &'static str,
    #[prop(optional)] kind: Option<&'static str>,
    #[prop(optional)] value: String,
    #[prop(optional_no_strip)] error: Option<String>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] list: Option<&'static str>,
) -> impl IntoView {
    let FieldIds {
        id,
        error_id,
        hint_id,
        described,
    } = FieldIds::new(&form, name, hint.is_some());
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=id
                name=name
                type=kind.unwrap_or("text")
                value=value
                autocomplete=autocomplete
                list=list
                required=required
                aria-invalid=error.is_some().to_string()
                aria-describedby=described
            />
            <p class="field-error" id=error_id>
                {error}
            </p>
        </div>
    }
}

/// A labelled drop-down; `options` are (value, label) and `value` is pre-selected.
#[component]
pub fn ChoiceField(
    form: String,
    name: &'static str,
    label: &'static str,
    options: Vec<(String, String)>,
    #[prop(optional)] value: String,
    #[prop(optional_no_strip)] error: Option<String>,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let FieldIds {
        id,
        error_id,
        hint_id,
        described,
    } = FieldIds::new(&form, name, hint.is_some());
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <select
                id=id
                name=name
                aria-invalid=error.is_some().to_string()
                aria-describedby=described
            >
                {options
                    .into_iter()
                    .map(|(v, l)| {
                        let selected = v == value;
                        view! {
                            <option value=v selected=selected>
                                {l}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <p class="field-error" id=error_id>
                {error}
            </p>
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
