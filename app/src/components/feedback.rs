use leptos::prelude::*;

use crate::error::{ApiError, AppError};

/// A page-level problem, phrased for the reader.
#[component]
pub fn ErrorNotice(error: ApiError) -> impl IntoView {
    let title = match &error.0 {
        AppError::NotFound(_) => "Not found",
        AppError::Aura(_) => "AURA could not do that",
        AppError::Transport(_) => "Connection problem",
        _ => "Something went wrong",
    };
    view! {
        <div class="notice notice-error" role="alert">
            <strong>{title}</strong>
            <p>{error.to_string()}</p>
        </div>
    }
}

/// The message under a form field, linked to it by `id` for screen readers.
#[component]
pub fn FieldMessage(
    #[prop(into)] id: Signal<String>,
    #[prop(into)] message: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <p class="field-error" id=move || id.get() aria-live="polite">
            {move || message.get()}
        </p>
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! {
        <p class="loading" aria-live="polite">
            "Loading…"
        </p>
    }
}
