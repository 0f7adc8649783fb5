use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use crate::api::accounts::{ChangePassword, load_account};
use crate::components::feedback::{ErrorNotice, Loading};
use crate::components::form::{FlashNotice, TextField, field_id};
use crate::domain::Field;
use crate::model::{AccountView, flash_for};

/// The signed-in person: who they are, what they may do, and changing their password.
#[component]
pub fn AccountPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_account());
    view! {
        <Title text="Your account" />
        <h1>"Your account"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Account view /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Account(view: AccountView) -> impl IntoView {
    let AccountView { session, flash } = view;
    let form = flash_for(&flash, "password");
    let customers = session
        .customers
        .iter()
        .map(|c| c.name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <FlashNotice flash=form.clone() />
        <dl class="facts">
            <dt>"Name"</dt>
            <dd>{session.name}</dd>
            <dt>"Email"</dt>
            <dd>{session.email}</dd>
            <dt>"Role"</dt>
            <dd>{session.role.label()}</dd>
            <dt>"Customers"</dt>
            <dd>{if customers.is_empty() { "None yet".to_string() } else { customers }}</dd>
        </dl>
        <section aria-labelledby="password-h" class="admin-form">
            <h2 id="password-h">"Change your password"</h2>
            <form method="post" action=ChangePassword::PATH class="stack">
                <TextField
                    id=field_id("password", Field::CurrentPassword)
                    name=Field::CurrentPassword.name()
                    label="Current password"
                    kind="password"
                    error=form.error(Field::CurrentPassword)
                    autocomplete="current-password"
                    required=true
                />
                <TextField
                    id=field_id("password", Field::Password)
                    name=Field::Password.name()
                    label="New password"
                    kind="password"
                    hint="At least 12 characters; a few unrelated words work well."
                    error=form.error(Field::Password)
                    autocomplete="new-password"
                    required=true
                />
                <TextField
                    id=field_id("password", Field::RepeatPassword)
                    name=Field::RepeatPassword.name()
                    label="New password again"
                    kind="password"
                    error=form.error(Field::RepeatPassword)
                    autocomplete="new-password"
                    required=true
                />
                <button type="submit" class="primary">
                    "Change password"
                </button>
            </form>
        </section>
    }
}
