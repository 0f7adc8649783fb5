//! Integrations: the acting customer's API keys and webhook endpoints, and each endpoint's
//! delivery log with a replay button. Plain server-rendered forms (no browser code); a new key or
//! signing secret is shown once, on the page the form comes back to.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::integrations::{
    AddWebhook, DeleteWebhook, MakeApiKey, ReplayWebhook, RevokeApiKey, RotateWebhook,
    load_deliveries, load_integrations,
};
use crate::components::feedback::{ErrorNotice, Loading};
use crate::components::form::{TextField, field_id};
use crate::pages::admin::page_flash;
use crate::pages::book::ChooseCustomer;
use domain::Field;
use domain::api::{MAX_KEY_NAME_CHARS, Scope};
use domain::model::{
    DeliveriesView, FormId, HookItem, IntegrationsStart, IntegrationsView, KeyItem, OptionalId,
    flash_for,
};

const BACK: &str = "/integrations";

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_integrations());
    view! {
        <Title text="Integrations" />
        <h1>"Integrations"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(IntegrationsStart::Ready(view)) => view! { <Integrations view=*view /> }.into_any(),
                    Ok(IntegrationsStart::ChooseCustomer(customers)) => {
                        view! { <ChooseCustomer customers back=BACK action="Integrations of " /> }.into_any()
                    }
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A secret shown once: a key, or an endpoint's signing secret.
#[component]
fn Revealed(secret: String, label: &'static str) -> impl IntoView {
    view! {
        <div class="field feed-address">
            <label for="revealed-secret">{label}</label>
            <input id="revealed-secret" type="text" readonly value=secret aria-describedby="revealed-hint" />
            <p class="hint" id="revealed-hint">"Copy it now: it is not shown again, and only its fingerprint is kept."</p>
        </div>
    }
}

#[component]
fn Integrations(view: IntegrationsView) -> impl IntoView {
    let IntegrationsView {
        customer_id,
        customer_name,
        keys,
        hooks,
        events,
        flash,
    } = view;
    let new_key = flash_for(&flash, FormId::NewKey);
    let new_hook = flash_for(&flash, FormId::NewHook);
    let revealed = flash
        .as_ref()
        .and_then(|f| f.reveal.clone().map(|r| (f.form, r)));
    let key_secret = revealed
        .clone()
        .filter(|(form, _)| *form == FormId::NewKey)
        .map(|(_, secret)| view! { <Revealed secret label="The new API key" /> });
    let hook_secret = revealed
        .filter(|(form, _)| matches!(form, FormId::NewHook | FormId::Hooks))
        .map(|(_, secret)| view! { <Revealed secret label="The endpoint's signing secret" /> });
    let key_name = new_key.value(Field::Name);
    let expires = new_key.value(Field::Expires);
    let hook_url = new_hook.value(Field::HookUrl);
    view! {
        <p class="hint">
            "Connect the systems of " <strong>{customer_name.clone()}</strong>
            " (facility management, access control, ticketing) to AURA through this dashboard: an API key lets them book, read and cancel as "
            {customer_name} " does here, and webhooks tell them of every change. See the "
            <a href="/api/v1/docs">"API reference"</a> "."
        </p>
        {page_flash(&flash, |form| matches!(form, FormId::NewKey | FormId::NewHook))}
        <section aria-labelledby="keys-h">
            <h2 id="keys-h">"API keys"</h2>
            {key_secret}
            {if keys.is_empty() {
                view! { <p class="empty">"No keys yet."</p> }.into_any()
            } else {
                view! { <KeyTable keys /> }.into_any()
            }}
        </section>
        <section aria-labelledby="new-key-h" class="admin-form">
            <h2 id="new-key-h">"Make an API key"</h2>
            {new_key.notice.clone().map(|n| view! { <p class="notice notice-error" role="alert">{n}</p> })}
            <form method="post" action=MakeApiKey::PATH class="stack">
                <input type="hidden" name="customer" value=customer_id />
                <TextField id=field_id(FormId::NewKey, Field::Name) name=Field::Name.name() label="What uses it" value=RwSignal::new(key_name) error=new_key.error(Field::Name) required=true max=MAX_KEY_NAME_CHARS />
                <fieldset aria-describedby=field_id(FormId::NewKey, Field::Scopes)>
                    <legend>"What it may do"</legend>
                    {new_key.error(Field::Scopes).map(|e| view! { <p class="field-error" id=field_id(FormId::NewKey, Field::Scopes)>{e}</p> })}
                    {Scope::ALL
                        .iter()
                        .map(|scope| {
                            let what = match scope {
                                Scope::Read => "read bookings, sites and windows",
                                Scope::Book => "book, and add sites",
                                Scope::Cancel => "cancel bookings",
                                Scope::Webhooks => "manage webhook endpoints",
                            };
                            view! {
                                <label class="check">
                                    <input type="checkbox" name=scope.key() value="true" checked=true />
                                    <span><code>{scope.key()}</code> ": " {what}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <TextField id=field_id(FormId::NewKey, Field::Expires) name=Field::Expires.name() kind="datetime-local" label="Expires (UTC; leave empty for never)" value=RwSignal::new(expires) error=new_key.error(Field::Expires) />
                <button type="submit">"Make key"</button>
            </form>
        </section>
        <section aria-labelledby="hooks-h">
            <h2 id="hooks-h">"Webhooks"</h2>
            <p class="hint">
                "Each change of a booking's state is posted once to every endpoint that takes it, signed the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature). Failed deliveries are tried again for 24 hours."
            </p>
            {hook_secret}
            {if hooks.is_empty() {
                view! { <p class="empty">"No endpoints yet."</p> }.into_any()
            } else {
                view! { <HookTable hooks /> }.into_any()
            }}
        </section>
        <section aria-labelledby="new-hook-h" class="admin-form">
            <h2 id="new-hook-h">"Add a webhook endpoint"</h2>
            {new_hook.notice.clone().map(|n| view! { <p class="notice notice-error" role="alert">{n}</p> })}
            <form method="post" action=AddWebhook::PATH class="stack">
                <input type="hidden" name="customer" value=customer_id />
                <TextField id=field_id(FormId::NewHook, Field::HookUrl) name=Field::HookUrl.name() kind="url" label="Address (https://…)" value=RwSignal::new(hook_url) error=new_hook.error(Field::HookUrl) required=true />
                <fieldset>
                    <legend>"Events (none ticked: every event)"</legend>
                    {events
                        .into_iter()
                        .map(|(key, meaning)| {
                            let name = key.trim_start_matches("booking.").to_string();
                            view! {
                                <label class="check">
                                    <input type="checkbox" name=name value="true" />
                                    <span><code>{key}</code> ": " {meaning}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <button type="submit">"Add endpoint"</button>
            </form>
        </section>
    }
}

/// The keys, newest first, each with its revoke button while it works.
#[component]
fn KeyTable(keys: Vec<KeyItem>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="admin-table">
                <caption class="visually-hidden">"API keys, newest first (times in UTC)"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Key"</th>
                        <th scope="col">"Scopes"</th>
                        <th scope="col">"Made"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col">"State"</th>
                    </tr>
                </thead>
                <tbody>
                    {keys
                        .into_iter()
                        .map(|k| {
                            let label = format!("Revoke the key {}", k.name);
                            view! {
                                <tr class=if k.usable { "" } else { "failed" }>
                                    <td>{k.name}</td>
                                    <td><code>{k.prefix} "…"</code></td>
                                    <td>{k.scopes}</td>
                                    <td>{k.created}</td>
                                    <td>{k.expires.unwrap_or_else(|| "never".into())}</td>
                                    <td class="last-used">{k.last_used.unwrap_or_else(|| "never".into())}</td>
                                    <td>
                                        {k.state}
                                        {k
                                            .usable
                                            .then(|| {
                                                view! {
                                                    <form method="post" action=RevokeApiKey::PATH class="inline">
                                                        <input type="hidden" name="key" value=k.id />
                                                        <button type="submit" class="secondary" aria-label=label>"Revoke"</button>
                                                    </form>
                                                }
                                            })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn HookTable(hooks: Vec<HookItem>) -> impl IntoView {
    view! {
        <ul class="plain site-cards">
            {hooks
                .into_iter()
                .map(|h| {
                    let log = format!("{BACK}/webhooks/{}", h.id);
                    let rotate = format!("Replace the signing secret of {}", h.url);
                    let delete = format!("Delete the endpoint {}", h.url);
                    view! {
                        <li class="site-card hook-card">
                            <p><code class="url">{h.url.clone()}</code></p>
                            <p class="hint">{format!("Takes {}. Added {}.", h.events, h.created)}</p>
                            <p class="row">
                                <A href=log>"Deliveries"</A>
                                <form method="post" action=RotateWebhook::PATH class="inline">
                                    <input type="hidden" name="endpoint" value=h.id />
                                    <button type="submit" class="secondary" aria-label=rotate>"New secret"</button>
                                </form>
                                <form method="post" action=DeleteWebhook::PATH class="inline">
                                    <input type="hidden" name="endpoint" value=h.id />
                                    <button type="submit" class="secondary danger" aria-label=delete>"Delete"</button>
                                </form>
                            </p>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

#[component]
pub fn DeliveriesPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let endpoint = params
        .read_untracked()
        .get("id")
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(0);
    let before = query
        .read_untracked()
        .get("before")
        .and_then(|b| b.parse::<i64>().ok());
    let data = Resource::new(
        move || (endpoint, before),
        |(endpoint, before)| load_deliveries(endpoint, OptionalId(before)),
    );
    view! {
        <Title text="Webhook deliveries" />
        <h1>"Webhook deliveries"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Deliveries view /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Deliveries(view: DeliveriesView) -> impl IntoView {
    let DeliveriesView {
        endpoint_id,
        url,
        customer_name,
        rows,
        older,
        flash,
    } = view;
    let older = older.map(|id| format!("{BACK}/webhooks/{endpoint_id}?before={id}"));
    view! {
        <p class="showing-for">
            "To " <code>{url}</code> " for " {customer_name} ". Times in UTC. " <A href=BACK>"Back to integrations"</A>
        </p>
        {page_flash(&flash, |_| false)}
        {if rows.is_empty() {
            view! { <p class="empty">"Nothing sent yet."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="admin-table">
                        <caption class="visually-hidden">"Deliveries, newest first"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Event"</th>
                                <th scope="col">"Booking"</th>
                                <th scope="col">"State"</th>
                                <th scope="col">"Receiver's answer"</th>
                                <th scope="col">"Again"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows
                                .into_iter()
                                .map(|r| {
                                    let booking = format!("/bookings/{}", r.booking_id);
                                    let label = format!("Send {} again", r.webhook_id);
                                    view! {
                                        <tr class=if r.failed { "failed" } else { "" }>
                                            <td>
                                                <code>{r.event}</code>
                                                <br />
                                                <span class="hint">{format!("{} · {}", r.webhook_id, r.created)}</span>
                                            </td>
                                            <td><A href=booking>{format!("#{}", r.booking_id)}</A></td>
                                            <td>
                                                {r.state}
                                                <br />
                                                <span class="hint">{format!("{} attempt(s)", r.attempts)}</span>
                                                {r.delivered.map(|d| view! { <br /> <span class="hint">{format!("delivered {d}")}</span> })}
                                                {r.next_attempt.map(|d| view! { <br /> <span class="hint">{format!("next try {d}")}</span> })}
                                            </td>
                                            <td class="pre-line">{r.answer.unwrap_or_default()}</td>
                                            <td>
                                                <form method="post" action=ReplayWebhook::PATH class="inline">
                                                    <input type="hidden" name="endpoint" value=endpoint_id />
                                                    <input type="hidden" name="delivery" value=r.id />
                                                    <button type="submit" class="secondary" aria-label=label>"Replay"</button>
                                                </form>
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            }
                .into_any()
        }}
        {older.map(|href| view! { <p><A href=href>"Older deliveries"</A></p> })}
    }
}
