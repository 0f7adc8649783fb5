//! The integrations pages: a customer's API keys (made, shown once, revoked) and webhook endpoints
//! (added with their secret shown once, rotated, deleted; each with its delivery log and a
//! replay). Administrators reach every customer; customers and account managers those they act
//! for. The same functions as the API and the command line do the work (`api::keys`,
//! `api::hooks`).

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::api::hooks as endpoints;
use crate::api::keys::{self, KeyRequest};
use crate::auth::Viewer;
use crate::db::{self, EndpointRow, KeyRow};
use crate::error::ServerError;
use crate::forms::Done;
use crate::present::instant_label;
use crate::state::AppState;
use domain::api::{HookEvent, NewWebhook, Scope};
use domain::error::AppError;
use domain::model::{
    CustomerOption, DeliveriesView, DeliveryItem, FormFlash, HookItem, IntegrationsStart,
    IntegrationsView, KeyItem, Outcome,
};

pub const PAGE: &str = "/integrations";

fn utc(at: DateTime<Utc>) -> String {
    instant_label(at, &chrono_tz::UTC)
}

fn key_item(k: &KeyRow, now: DateTime<Utc>) -> KeyItem {
    let state = match (k.revoked_at, k.usable_at(now)) {
        (Some(at), _) => format!("Revoked {}", utc(at)),
        (None, false) => "Expired".to_string(),
        (None, true) => "Active".to_string(),
    };
    KeyItem {
        id: k.id,
        name: k.name.clone(),
        prefix: k.prefix.clone(),
        scopes: k
            .scopes()
            .iter()
            .map(|s| s.key())
            .collect::<Vec<_>>()
            .join(", "),
        created: format!("{} by {}", utc(k.created_at), k.created_by),
        expires: k.expires_at.map(utc),
        last_used: k.last_used_at.map(utc),
        usable: k.usable_at(now),
        state,
    }
}

fn hook_item(e: &EndpointRow) -> HookItem {
    let events = e.events();
    HookItem {
        id: e.id,
        url: e.url.clone(),
        events: if events.is_empty() {
            "every event".into()
        } else {
            events
                .iter()
                .map(|e| e.key())
                .collect::<Vec<_>>()
                .join(", ")
        },
        created: format!("{} by {}", utc(e.created_at), e.created_by),
    }
}

/// The page: the acting customer's keys and endpoints, or the customers to choose from first.
pub async fn integrations_view(
    state: &AppState,
    viewer: &Viewer,
    flash: Option<FormFlash>,
    now: DateTime<Utc>,
) -> Result<IntegrationsStart, ServerError> {
    let customer = match viewer.acting_customer(None) {
        Ok(customer) => customer,
        Err(AppError::Conflict(_)) => {
            let choices = viewer.customers.iter().map(CustomerOption::from).collect();
            return Ok(IntegrationsStart::ChooseCustomer(choices));
        }
        Err(e) => return Err(e.into()),
    };
    let scope = db::CustomerScope::Only(vec![customer.id]);
    let keys = db::keys_of(&state.db, &scope).await?;
    let hooks = endpoints::endpoints(state, customer.id).await?;
    Ok(IntegrationsStart::Ready(Box::new(IntegrationsView {
        customer_id: customer.id,
        customer_name: customer.name.clone(),
        keys: keys.iter().map(|k| key_item(k, now)).collect(),
        hooks: hooks.iter().map(hook_item).collect(),
        events: HookEvent::ALL
            .iter()
            .map(|e| (e.key().to_string(), e.meaning().to_string()))
            .collect(),
        flash,
    })))
}

/// The page's expiry field (`datetime-local`, read as UTC) as the key's rule reads it; anything
/// else goes on as typed, to be refused with its message.
fn expiry_text(typed: &str) -> String {
    let typed = typed.trim();
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(typed, f).ok())
        .map_or_else(|| typed.to_string(), |at| at.and_utc().to_rfc3339())
}

/// Makes a key on the page; it is shown once on the page it goes back to.
pub async fn make_key(
    state: &AppState,
    viewer: &Viewer,
    customer_id: i64,
    name: &str,
    scopes: &[Scope],
    expires: &str,
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    let scopes = Scope::join(scopes);
    let expires = expiry_text(expires);
    let request = KeyRequest {
        name,
        scopes: &scopes,
        expires_at: &expires,
    };
    let made = keys::make_key_for(state, viewer, customer_id, &request, now).await?;
    Ok(Done::to(
        PAGE,
        Outcome::KeyMade {
            name: made.row.name.clone(),
        },
    )
    .revealing(made.secret.expose().to_string()))
}

pub async fn revoke_key(
    state: &AppState,
    viewer: &Viewer,
    key_id: i64,
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    let key = keys::revoke_key_for(state, viewer, key_id, now).await?;
    Ok(Done::to(PAGE, Outcome::KeyRevoked { name: key.name }))
}

/// An endpoint of a customer in the viewer's reach; any other is "not found".
async fn endpoint_in_reach(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
) -> Result<EndpointRow, ServerError> {
    db::endpoint_by_id(&state.db, id)
        .await?
        .filter(|e| viewer.scope().includes(e.customer_id))
        .ok_or_else(|| AppError::NotFound("No such webhook endpoint.".into()).into())
}

fn deliveries_page(id: i64) -> String {
    format!("{PAGE}/webhooks/{id}")
}

/// Adds an endpoint on the page; its secret is shown once on the page it goes back to.
pub async fn add_hook(
    state: &AppState,
    viewer: &Viewer,
    customer_id: i64,
    url: &str,
    events: &[HookEvent],
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    let customer = viewer.customer(customer_id)?.id;
    let body = NewWebhook {
        url: url.to_string(),
        events: events.to_vec(),
    };
    let by = match viewer.role {
        domain::model::Role::Customer => viewer.name.clone(),
        role => format!("{} ({})", viewer.name, role.label()),
    };
    let made = endpoints::add_endpoint(state, customer, &body, &by, now).await?;
    Ok(Done::to(PAGE, Outcome::HookAdded { url: made.url })
        .revealing(made.secret.unwrap_or_default()))
}

pub async fn rotate_hook(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    let row = endpoint_in_reach(state, viewer, id).await?;
    let made = endpoints::rotate(state, row.customer_id, row.id, now).await?;
    Ok(Done::to(PAGE, Outcome::HookRotated { url: made.url })
        .revealing(made.secret.unwrap_or_default()))
}

pub async fn delete_hook(state: &AppState, viewer: &Viewer, id: i64) -> Result<Done, ServerError> {
    let row = endpoint_in_reach(state, viewer, id).await?;
    endpoints::delete(state, row.customer_id, row.id).await?;
    Ok(Done::to(PAGE, Outcome::HookDeleted { url: row.url }))
}

/// An endpoint's delivery log, a page of the newest before `before`.
pub async fn deliveries_view(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    before: Option<i64>,
    flash: Option<FormFlash>,
) -> Result<DeliveriesView, ServerError> {
    let row = endpoint_in_reach(state, viewer, id).await?;
    let customer = viewer.customer(row.customer_id)?.name.clone();
    let rows = endpoints::deliveries(state, row.customer_id, row.id, before).await?;
    let older = (rows.len() as i64 == endpoints::LOG_PAGE)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    Ok(DeliveriesView {
        endpoint_id: row.id,
        url: row.url.clone(),
        customer_name: customer,
        older,
        flash,
        rows: rows
            .iter()
            .map(|d| DeliveryItem {
                id: d.id,
                webhook_id: d.message_id.clone(),
                event: d.event.key().to_string(),
                booking_id: d.booking_id,
                state: match d.status {
                    domain::api::DeliveryStatus::Pending => "Waiting to be sent".into(),
                    domain::api::DeliveryStatus::Delivered => "Delivered".into(),
                    domain::api::DeliveryStatus::Failed => "Failed (24 hours of tries)".into(),
                },
                failed: d.status == domain::api::DeliveryStatus::Failed,
                attempts: d.attempts,
                answer: match (d.last_status, &d.last_answer) {
                    (Some(code), Some(text)) if !text.is_empty() => Some(format!("{code}: {text}")),
                    (Some(code), _) => Some(code.to_string()),
                    (None, text) => text.clone(),
                },
                created: utc(d.created_at),
                delivered: d.delivered_at.map(utc),
                next_attempt: (d.status == domain::api::DeliveryStatus::Pending)
                    .then(|| utc(d.next_attempt_at)),
            })
            .collect(),
    })
}

pub async fn replay(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    delivery: i64,
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    let row = endpoint_in_reach(state, viewer, id).await?;
    endpoints::replay(state, row.customer_id, row.id, delivery, now).await?;
    Ok(Done::to(deliveries_page(row.id), Outcome::Replayed))
}
