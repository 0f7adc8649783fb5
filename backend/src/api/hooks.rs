//! Webhook endpoints of a customer: added (the secret shown once), listed, rotated, deleted; each
//! with its delivery log and a replay. The API (a key with the `webhooks` scope) and the page (a
//! person acting for the customer) call the same functions.

use chrono::{DateTime, Duration, Utc};
use url::{Host, Url};

use crate::db::{self, EndpointRow};
use crate::error::ServerError;
use crate::state::AppState;
use crate::webhooks::{ip_is_public, new_secret};
use domain::api::{self, HookEvent};
use domain::error::AppError;
use domain::{Field, FieldErrors};

pub const MAX_URL_CHARS: usize = 2000;
/// How many endpoints one customer may have.
pub const MAX_ENDPOINTS: usize = 20;
/// How long a rotated-out secret still signs.
pub const ROTATION_OVERLAP_HOURS: i64 = 24;
/// How many deliveries the log shows at once.
pub const LOG_PAGE: i64 = 100;

/// The address webhooks go to, checked: `http(s)://host…`, no user or password in it, and (unless
/// private addresses are allowed) not a loopback, private or link-local address written as such.
/// Names are checked again after DNS, on every attempt.
pub fn check_url(text: &str, allow_private: bool) -> Result<Url, String> {
    let text = text.trim();
    if text.chars().count() > MAX_URL_CHARS {
        return Err(format!("At most {MAX_URL_CHARS} characters."));
    }
    let url = Url::parse(text).map_err(|e| format!("Not an address ({e})."))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err("Use an https:// (or http://) address.".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "Put no user name or password in the address: verify the signature instead.".into(),
        );
    }
    if url.fragment().is_some() {
        return Err("An address with a #fragment is not sent as such; remove it.".into());
    }
    let private = match url.host() {
        None => return Err("The address has no host.".into()),
        Some(Host::Ipv4(ip)) => !ip_is_public(ip.into()),
        Some(Host::Ipv6(ip)) => !ip_is_public(ip.into()),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    };
    if private && !allow_private {
        return Err("Webhooks are not sent to loopback, private or link-local addresses.".into());
    }
    Ok(url)
}

/// Adds an endpoint for customer `customer_id`; its secret is in the answer, once.
pub async fn add_endpoint(
    state: &AppState,
    customer_id: i64,
    body: &api::NewWebhook,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<api::Webhook, ServerError> {
    let url = check_url(&body.url, state.api.allow_private_hooks)
        .map_err(|e| AppError::Invalid(FieldErrors::one(Field::HookUrl, e)))?;
    let existing = db::endpoints_of(&state.db, customer_id).await?;
    if existing.len() >= MAX_ENDPOINTS {
        return Err(AppError::Conflict(format!(
            "A customer has at most {MAX_ENDPOINTS} webhook endpoints; delete one first."
        ))
        .into());
    }
    let mut events = body.events.clone();
    events.sort();
    events.dedup();
    if events.len() == HookEvent::ALL.len() {
        events.clear();
    }
    let secret = new_secret();
    let row = db::insert_endpoint(
        &state.db,
        &db::NewEndpoint {
            customer_id,
            url: url.as_str(),
            events: &events,
            secret: secret.expose(),
            created_by,
            at: now,
        },
    )
    .await?;
    tracing::info!(
        endpoint = row.id,
        customer = customer_id,
        "webhook endpoint added"
    );
    Ok(api::Webhook {
        secret: Some(secret.expose().to_string()),
        ..row.to_api()
    })
}

pub async fn endpoints(
    state: &AppState,
    customer_id: i64,
) -> Result<Vec<EndpointRow>, ServerError> {
    Ok(db::endpoints_of(&state.db, customer_id).await?)
}

pub async fn endpoint(
    state: &AppState,
    customer_id: i64,
    id: i64,
) -> Result<EndpointRow, ServerError> {
    db::endpoint_of(&state.db, customer_id, id)
        .await?
        .ok_or_else(|| AppError::NotFound("No such webhook endpoint.".into()).into())
}

/// A new secret; the old one still signs for [`ROTATION_OVERLAP_HOURS`] hours.
pub async fn rotate(
    state: &AppState,
    customer_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<api::Webhook, ServerError> {
    let row = endpoint(state, customer_id, id).await?;
    let secret = new_secret();
    db::rotate_secret(
        &state.db,
        row.id,
        secret.expose(),
        now + Duration::hours(ROTATION_OVERLAP_HOURS),
    )
    .await?;
    tracing::info!(endpoint = row.id, "webhook secret rotated");
    Ok(api::Webhook {
        secret: Some(secret.expose().to_string()),
        ..row.to_api()
    })
}

pub async fn delete(state: &AppState, customer_id: i64, id: i64) -> Result<(), ServerError> {
    let row = endpoint(state, customer_id, id).await?;
    db::delete_endpoint(&state.db, row.id).await?;
    tracing::info!(endpoint = row.id, "webhook endpoint deleted");
    Ok(())
}

/// The endpoint's latest deliveries, newest first.
pub async fn deliveries(
    state: &AppState,
    customer_id: i64,
    id: i64,
    before: Option<i64>,
) -> Result<Vec<db::DeliveryRow>, ServerError> {
    let row = endpoint(state, customer_id, id).await?;
    Ok(db::deliveries_of(&state.db, row.id, before, LOG_PAGE).await?)
}

/// Sends a delivery again, with the same `webhook-id` and body.
pub async fn replay(
    state: &AppState,
    customer_id: i64,
    id: i64,
    delivery: i64,
    now: DateTime<Utc>,
) -> Result<(), ServerError> {
    let row = endpoint(state, customer_id, id).await?;
    if !db::replay_delivery(&state.db, row.id, delivery, now).await? {
        return Err(
            AppError::NotFound("No such delivery (or it is being sent right now).".into()).into(),
        );
    }
    state.api.wake_hooks();
    Ok(())
}
