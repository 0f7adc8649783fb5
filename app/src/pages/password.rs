//! "Forgot your password?" and the page its mailed link opens.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::accounts::load_sign_in;
use crate::api::notices::{ForgotPassword, ResetPasswordByMail, load_reset};
use crate::components::feedback::{ErrorNotice, Loading};
use crate::components::form::{FlashNotice, TextField, field_id};
use domain::Field;
use domain::model::{FormId, flash_for};

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_sign_in());
    view! {
        <Title text="Forgot your password?" />
        <div class="sign-in">
            <h1>"Forgot your password?"</h1>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => {
                            let flash = flash_for(&view.flash, FormId::Forgot);
                            let email = flash.value(Field::Email);
                            view! {
                                <FlashNotice flash=flash.clone() />
                                <p>
                                    "Give the email address you sign in with. If it has an account, a link to choose a new password is mailed to it; the link works once, for 30 minutes."
                                </p>
                                <form method="post" action=ForgotPassword::PATH class="stack">
                                    <TextField
                                        id=field_id(FormId::Forgot, Field::Email)
                                        name=Field::Email.name()
                                        label="Email"
                                        kind="email"
                                        value=RwSignal::new(email)
                                        error=flash.error(Field::Email)
                                        autocomplete="username"
                                        required=true
                                    />
                                    <button type="submit" class="primary">"Mail me a reset link"</button>
                                </form>
                                <p><a href="/sign-in">"Back to sign in"</a></p>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let token = query.read_untracked().get("token").unwrap_or_default();
    let data = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        load_reset,
    );
    view! {
        <Title text="Choose a new password" />
        <div class="sign-in">
            <h1>"Choose a new password"</h1>
            <Suspense fallback=Loading>
                {move || {
                    let token = token.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(view) => {
                                let flash = flash_for(&view.flash, FormId::Reset);
                                if !view.works && flash.errors.is_empty() {
                                    return view! {
                                        <p class="notice notice-error" role="alert">
                                            "This reset link has expired or was already used. It works once, for 30 minutes."
                                        </p>
                                        <p><a href="/forgot-password">"Ask for a new link"</a></p>
                                    }
                                        .into_any();
                                }
                                view! {
                                    <FlashNotice flash=flash.clone() />
                                    {flash
                                        .error(Field::ResetToken)
                                        .map(|e| {
                                            view! {
                                                <p class="notice notice-error" role="alert">{e} " "<a href="/forgot-password">"Ask for a new link"</a></p>
                                            }
                                        })}
                                    <p>"Setting it signs you out everywhere else and turns off your calendar feed address."</p>
                                    <form method="post" action=ResetPasswordByMail::PATH class="stack">
                                        <input type="hidden" name="token" value=token />
                                        <TextField
                                            id=field_id(FormId::Reset, Field::Password)
                                            name=Field::Password.name()
                                            label="New password"
                                            kind="password"
                                            hint="At least 12 characters; a few unrelated words work well."
                                            error=flash.error(Field::Password)
                                            autocomplete="new-password"
                                            required=true
                                        />
                                        <TextField
                                            id=field_id(FormId::Reset, Field::RepeatPassword)
                                            name=Field::RepeatPassword.name()
                                            label="New password again"
                                            kind="password"
                                            error=flash.error(Field::RepeatPassword)
                                            autocomplete="new-password"
                                            required=true
                                        />
                                        <button type="submit" class="primary">"Set the new password"</button>
                                    </form>
                                }
                                    .into_any()
                            }
                            Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </div>
    }
}
