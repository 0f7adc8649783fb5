//! Server functions for the integrations pages: API keys and webhook endpoints. The changes are
//! plain HTML form posts that come back to the page, with a new key or secret shown once.

// A plain form posts each ticked box as its own field: one argument per event.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::ApiError;
#[cfg(feature = "ssr")]
use crate::server::context;
use domain::model::{DeliveriesView, IntegrationsStart, OptionalId};

#[server(input = GetUrl, endpoint = "load_integrations")]
pub async fn load_integrations() -> Result<IntegrationsStart, ApiError> {
    use crate::server::{app_state, with_status};
    with_status(
        async {
            let (state, viewer) = (app_state()?, context::viewer()?);
            let flash = context::take_flash().await?;
            backend::integrations::integrations_view(&state, &viewer, flash, chrono::Utc::now())
                .await
        }
        .await,
    )
}

/// Makes an API key for `customer` with the scopes ticked; shown once on the page.
#[server(endpoint = "make_api_key")]
pub async fn make_api_key(
    customer: i64,
    name: String,
    #[server(default)] read: bool,
    #[server(default)] book: bool,
    #[server(default)] cancel: bool,
    #[server(default)] webhooks: bool,
    #[server(default)] expires: String,
) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    use backend::integrations::{PAGE, make_key};
    use domain::Field;
    use domain::api::Scope;
    use domain::model::{FormId, Kept};
    let scopes: Vec<Scope> = [
        (read, Scope::Read),
        (book, Scope::Book),
        (cancel, Scope::Cancel),
        (webhooks, Scope::Webhooks),
    ]
    .into_iter()
    .filter_map(|(ticked, scope)| ticked.then_some(scope))
    .collect();
    let outcome = async {
        let (state, viewer) = (app_state()?, context::viewer()?);
        make_key(
            &state,
            &viewer,
            customer,
            &name,
            &scopes,
            &expires,
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    finish_form(
        FormId::NewKey,
        PAGE,
        Kept::of(&[(Field::Name, &name), (Field::Expires, &expires)]),
        outcome,
    )
    .await
}

#[server(endpoint = "revoke_api_key")]
pub async fn revoke_api_key(key: i64) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    use backend::integrations::{PAGE, revoke_key};
    use domain::model::FormId;
    let outcome = async {
        let (state, viewer) = (app_state()?, context::viewer()?);
        revoke_key(&state, &viewer, key, chrono::Utc::now()).await
    }
    .await;
    finish_form(FormId::Keys, PAGE, Default::default(), outcome).await
}

/// Adds a webhook endpoint for `customer` taking the events ticked (none ticked: all of them);
/// its secret is shown once on the page.
#[server(endpoint = "add_webhook")]
pub async fn add_webhook(
    customer: i64,
    url: String,
    #[server(default)] created: bool,
    #[server(default)] confirmed: bool,
    #[server(default)] refused: bool,
    #[server(default)] lapsed: bool,
    #[server(default)] unknown: bool,
    #[server(default)] resolved: bool,
    #[server(default)] cancelled: bool,
    #[server(default)] changed: bool,
    #[server(default)] skipped: bool,
) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    use backend::integrations::{PAGE, add_hook};
    use domain::Field;
    use domain::api::HookEvent;
    use domain::model::{FormId, Kept};
    let events: Vec<HookEvent> = [
        (created, HookEvent::Created),
        (confirmed, HookEvent::Confirmed),
        (refused, HookEvent::Refused),
        (lapsed, HookEvent::Lapsed),
        (unknown, HookEvent::Unknown),
        (resolved, HookEvent::Resolved),
        (cancelled, HookEvent::Cancelled),
        (changed, HookEvent::Changed),
        (skipped, HookEvent::Skipped),
    ]
    .into_iter()
    .filter_map(|(ticked, event)| ticked.then_some(event))
    .collect();
    let outcome = async {
        let (state, viewer) = (app_state()?, context::viewer()?);
        add_hook(&state, &viewer, customer, &url, &events, chrono::Utc::now()).await
    }
    .await;
    finish_form(
        FormId::NewHook,
        PAGE,
        Kept::of(&[(Field::HookUrl, &url)]),
        outcome,
    )
    .await
}

#[server(endpoint = "rotate_webhook")]
pub async fn rotate_webhook(endpoint: i64) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    use backend::integrations::{PAGE, rotate_hook};
    use domain::model::FormId;
    let outcome = async {
        let (state, viewer) = (app_state()?, context::viewer()?);
        rotate_hook(&state, &viewer, endpoint, chrono::Utc::now()).await
    }
    .await;
    finish_form(FormId::Hooks, PAGE, Default::default(), outcome).await
}

#[server(endpoint = "delete_webhook")]
pub async fn delete_webhook(endpoint: i64) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    use backend::integrations::{PAGE, delete_hook};
    use domain::model::FormId;
    let outcome = async {
        let (state, viewer) = (app_state()?, context::viewer()?);
        delete_hook(&state, &viewer, endpoint).await
    }
    .await;
    finish_form(FormId::Hooks, PAGE, Default::default(), outcome).await
}

#[server(input = GetUrl, endpoint = "load_deliveries")]
pub async fn load_deliveries(
    endpoint: i64,
    before: OptionalId,
) -> Result<DeliveriesView, ApiError> {
    use crate::server::{app_state, with_status};
    with_status(
        async {
            let (state, viewer) = (app_state()?, context::viewer()?);
            let flash = context::take_flash().await?;
            backend::integrations::deliveries_view(&state, &viewer, endpoint, before.0, flash).await
        }
        .await,
    )
}

/// Sends a delivery again (same `webhook-id` and body); back to the endpoint's log.
#[server(endpoint = "replay_webhook")]
pub async fn replay_webhook(endpoint: i64, delivery: i64) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    use domain::model::FormId;
    let back = format!("{}/webhooks/{endpoint}", backend::integrations::PAGE);
    let outcome = async {
        let (state, viewer) = (app_state()?, context::viewer()?);
        backend::integrations::replay(&state, &viewer, endpoint, delivery, chrono::Utc::now()).await
    }
    .await;
    finish_form(FormId::Hooks, &back, Default::default(), outcome).await
}
