use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::accounts::{SignIn, load_sign_in};
use crate::components::feedback::{ErrorNotice, Loading};
use crate::components::form::{FlashNotice, TextField, field_id};
use domain::Field;
use domain::model::{FormId, flash_for};

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = query.read_untracked().get("next").unwrap_or_default();
    let data = Resource::new(|| (), |_| load_sign_in());
    let signed_in = crate::signed_in();
    view! {
        <Title text="Sign in" />
        <div class="sign-in">
            <h1>"Sign in"</h1>
            {signed_in
                .map(|s| {
                    view! {
                        <p class="notice notice-ok" role="status">
                            "You are signed in as " {s.name} ". " <a href="/">"Go to the calendar"</a>
                            " or sign in as someone else below."
                        </p>
                    }
                })}
            <Suspense fallback=Loading>
                {move || {
                    let next = next.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(view) => {
                                let reset = flash_for(&view.flash, FormId::Reset).success;
                                let flash = flash_for(&view.flash, FormId::SignIn);
                                let email = flash.value(Field::Email);
                                view! {
                                    {reset.map(|s| view! { <p class="notice notice-ok" role="status">{crate::says::says(&s)}</p> })}
                                    <FlashNotice flash=flash.clone() />
                                    <form method="post" action=SignIn::PATH class="stack">
                                        <TextField
                                            id=field_id(FormId::SignIn, Field::Email)
                                            name=Field::Email.name()
                                            label="Email"
                                            kind="email"
                                            value=RwSignal::new(email)
                                            error=flash.error(Field::Email)
                                            autocomplete="username"
                                            required=true
                                        />
                                        <TextField
                                            id=field_id(FormId::SignIn, Field::Password)
                                            name=Field::Password.name()
                                            label="Password"
                                            kind="password"
                                            error=flash.error(Field::Password)
                                            autocomplete="current-password"
                                            required=true
                />
                                        <input type="hidden" name="next" value=next />
                                        <button type="submit" class="primary">
                                            "Sign in"
                                        </button>
                                    </form>
                                    <p>
                                        <a href="/forgot-password">"Forgot your password?"</a>
                                    </p>
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
