//! Webhooks: each customer's endpoints, and one delivery per event per endpoint, written with the
//! change it reports (`add_event`) and its body fixed then, sent by the webhook worker under a
//! lease like mail. Also the public API's shape of a booking, shared by API answers and webhooks.

use chrono::{DateTime, Utc};

use super::{Actor, Booking, DbError, Dialect, Ex, Lease, SiteRow, Tx, on_db, sql};
use domain::Location;
use domain::api::{self, Cause, DeliveryStatus, HookData, HookEvent, HookPayload};
use domain::model::StatusGroup;

impl Booking {
    /// The booking as the public API and webhooks show it.
    pub fn to_api(&self) -> api::Booking {
        let days = match &self.schedule.repeat {
            domain::Repeat::Weekly(days) => days.iter().map(|d| api::Day::from(*d)).collect(),
            _ => Vec::new(),
        };
        api::Booking {
            id: self.id,
            customer_id: self.customer.aura_customer_id,
            customer_name: self.customer.name.clone(),
            service_type: self.service_type,
            name: self.name.clone(),
            special_instructions: self.special_instructions.clone(),
            details: api::BookingDetails {
                number_of_guards: self.number_of_guards,
                armed_preference: self.armed_preference,
                contacts: self
                    .contacts
                    .iter()
                    .map(|c| api::Contact {
                        name: c.name.clone(),
                        mobile: c.mobile.clone(),
                    })
                    .collect(),
            },
            site_id: self.site.as_ref().map(|s| s.id),
            location: api_location(&self.location, self.zone.name()),
            date_from: self.first_date,
            date_to: self.last_date,
            repeats: api::Repeats {
                kind: self.schedule.repeat.kind(),
                days,
                start_time: self.schedule.start_time.format("%H:%M").to_string(),
                window_minutes: i64::from(self.schedule.window_minutes),
            },
            status: self.status,
            status_label: self.status.label().to_string(),
            outcome: StatusGroup::of(self.status),
            problem: self.sync_error.clone(),
            aura_id: self.aura_id.clone(),
            next_window_opens: self.next_occurrence,
            pair: self.pair.map(|p| api::Pair {
                role: p.role,
                other_id: p.other,
            }),
            cancellation: self.cancellation.as_ref().map(|c| api::Cancellation {
                requested_at: c.requested_at,
                cancelled_at: c.done_at,
                reason: c.reason.clone(),
                by: c.by.clone(),
                on_behalf_of: c.on_behalf_of.clone(),
                removed_windows: c.removed_occurrences,
            }),
            acknowledged_at: self.acknowledged_at,
            created_at: self.created_at,
            replaces: self.replaces,
        }
    }
}

impl super::Change {
    /// The change as the public API and webhooks show it.
    pub fn to_api(&self) -> api::Change {
        api::Change {
            id: self.id,
            kind: self.kind,
            status: self.status,
            original: self.booking_id,
            parts: self.parts.clone(),
            skipped_from: self.skipped.map(|s| s.0),
            skipped_to: self.skipped.map(|s| s.1),
            detail: self.detail.clone(),
            created_at: self.created_at,
        }
    }
}

impl SiteRow {
    pub fn to_api(&self) -> api::Site {
        api::Site {
            id: self.id,
            name: self.name.clone(),
            location: api_location(&self.location(), self.timezone.name()),
            retired: self.retired_at.is_some(),
        }
    }
}

fn api_location(location: &Location, zone: &str) -> api::Location {
    api::Location {
        formatted_address: location.address.clone(),
        latitude: location.coordinates.map(|c| c.0),
        longitude: location.coordinates.map(|c| c.1),
        time_zone: zone.to_string(),
    }
}

/// A webhook endpoint as stored (its secrets included: they sign).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EndpointRow {
    pub id: i64,
    pub customer_id: i64,
    pub url: String,
    /// `booking.created,booking.cancelled`: read with [`EndpointRow::events`].
    pub events: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_until: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl EndpointRow {
    pub fn events(&self) -> Vec<HookEvent> {
        HookEvent::split(&self.events)
    }

    /// The secrets that sign at `now`: the current one, and the previous one for a while after a
    /// rotation (receivers switch over without missing an event).
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let previous = self
            .previous_secret
            .as_deref()
            .filter(|_| self.previous_until.is_some_and(|until| now < until));
        std::iter::once(self.secret.as_str())
            .chain(previous)
            .collect()
    }

    pub fn to_api(&self) -> api::Webhook {
        api::Webhook {
            id: self.id,
            url: self.url.clone(),
            events: self.events(),
            created_at: self.created_at,
            secret: None,
        }
    }
}

macro_rules! select_endpoints {
    ($($rest:tt)*) => {
        concat!(
            "SELECT id, customer_id, url, events, secret, previous_secret, previous_until,
                created_by, created_at FROM webhook_endpoints ",
            $($rest)*
        )
    };
}

pub struct NewEndpoint<'a> {
    pub customer_id: i64,
    pub url: &'a str,
    pub events: &'a [HookEvent],
    pub secret: &'a str,
    pub created_by: &'a str,
    pub at: DateTime<Utc>,
}

pub async fn insert_endpoint(
    ex: impl Into<Ex<'_>>,
    new: &NewEndpoint<'_>,
) -> Result<EndpointRow, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, EndpointRow>(sql!(
        d,
        "INSERT INTO webhook_endpoints (customer_id, url, events, secret, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?)
         RETURNING id, customer_id, url, events, secret, previous_secret, previous_until,
            created_by, created_at"
    ))
    .bind(new.customer_id)
    .bind(new.url)
    .bind(HookEvent::join(new.events))
    .bind(new.secret)
    .bind(new.created_by)
    .bind(new.at)
    .fetch_one(conn)
    .await?)
}

/// The endpoints of customer `customer_id`, oldest first.
pub async fn endpoints_of(
    ex: impl Into<Ex<'_>>,
    customer_id: i64,
) -> Result<Vec<EndpointRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, EndpointRow>(sql!(
        d,
        select_endpoints!("WHERE customer_id = ? ORDER BY id")
    ))
    .bind(customer_id)
    .fetch_all(conn)
    .await?)
}

/// Endpoint `id`, only if it is customer `customer_id`'s.
pub async fn endpoint_of(
    ex: impl Into<Ex<'_>>,
    customer_id: i64,
    id: i64,
) -> Result<Option<EndpointRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, EndpointRow>(sql!(
        d,
        select_endpoints!("WHERE customer_id = ? AND id = ?")
    ))
    .bind(customer_id)
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// A new secret for endpoint `id`; the one it replaces still signs until `previous_until`.
pub async fn rotate_secret(
    ex: impl Into<Ex<'_>>,
    id: i64,
    secret: &str,
    previous_until: DateTime<Utc>,
) -> Result<bool, DbError> {
    on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE webhook_endpoints SET previous_secret = secret, previous_until = ?, secret = ?
         WHERE id = ?"
    ))
    .bind(previous_until)
    .bind(secret)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Deletes an endpoint with its deliveries.
pub async fn delete_endpoint(ex: impl Into<Ex<'_>>, id: i64) -> Result<bool, DbError> {
    on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "DELETE FROM webhook_endpoints WHERE id = ?"
    ))
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// How long a delivery is tried before it is marked failed.
pub const DELIVERY_HOURS: i64 = 24;

/// Writes, in the transaction of history entry `event_id` (of `kind`), one delivery of the event it
/// sends (`HookEvent::after`, by the status it left) to every endpoint of the booking's customer
/// that takes it, with its body as the booking stands now.
pub async fn enqueue_hooks(
    tx: &mut Tx,
    event_id: i64,
    booking_id: i64,
    kind: domain::model::EventKind,
    actor: &Actor,
    at: DateTime<Utc>,
) -> Result<usize, DbError> {
    let endpoints: Vec<EndpointRow> =
        on_db!(&mut *tx, |conn, d| sqlx::query_as::<_, EndpointRow>(sql!(
        d,
        "SELECT e.id, e.customer_id, e.url, e.events, e.secret, e.previous_secret, e.previous_until,
            e.created_by, e.created_at
         FROM webhook_endpoints e JOIN bookings b ON b.customer_id = e.customer_id
         WHERE b.id = ? ORDER BY e.id"
    ))
        .bind(booking_id)
        .fetch_all(conn)
        .await?)?;
    if endpoints.is_empty() {
        return Ok(0);
    }
    let Some(booking) =
        super::booking_in_scope(&mut *tx, &super::CustomerScope::All, booking_id).await?
    else {
        return Ok(0);
    };
    let Some(event) = HookEvent::after(kind, booking.status) else {
        return Ok(0);
    };
    let change = match event {
        HookEvent::Changed | HookEvent::Skipped => super::changes_of_booking(tx, booking_id)
            .await?
            .into_iter()
            .rfind(|c| c.booking_id == booking_id)
            .map(|c| c.to_api()),
        _ => None,
    };
    let takers: Vec<&EndpointRow> = endpoints
        .iter()
        .filter(|e| {
            let wanted = e.events();
            wanted.is_empty() || wanted.contains(&event)
        })
        .collect();
    let payload = HookPayload {
        event,
        timestamp: at,
        data: HookData {
            booking: booking.to_api(),
            cause: Cause {
                by: actor.name.clone(),
                on_behalf_of: actor.on_behalf_of.clone(),
                channel: actor.channel,
            },
            version: event_id,
            change,
        },
    };
    let body = serde_json::to_string(&payload)
        .map_err(|e| DbError::Corrupt(format!("webhook body: {e}")))?;
    let give_up = at + chrono::Duration::hours(DELIVERY_HOURS);
    let mut written = 0;
    for endpoint in takers {
        let done = on_db!(&mut *tx, |conn, d| sqlx::query(sql!(
            d,
            "INSERT INTO webhook_deliveries (endpoint_id, event_id, booking_id, event, message_id,
                payload, status, next_attempt_at, give_up_at, created_at)
             VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT DO NOTHING"
        ))
        .bind(endpoint.id)
        .bind(event_id)
        .bind(booking_id)
        .bind(event)
        .bind(format!("msg_{event_id}"))
        .bind(&body)
        .bind(at)
        .bind(give_up)
        .bind(at)
        .execute(conn)
        .await?
        .rows_affected())?;
        written += done as usize;
    }
    Ok(written)
}

/// A delivery as the worker sends it and the log shows it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub endpoint_id: i64,
    pub event_id: i64,
    pub booking_id: i64,
    pub event: HookEvent,
    pub message_id: String,
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub give_up_at: DateTime<Utc>,
    pub last_status: Option<i64>,
    pub last_answer: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl DeliveryRow {
    pub fn to_api(&self) -> api::Delivery {
        api::Delivery {
            id: self.id,
            webhook_id: self.message_id.clone(),
            event: self.event,
            booking_id: self.booking_id,
            status: self.status,
            attempts: self.attempts,
            last_status: self.last_status,
            last_answer: self.last_answer.clone(),
            created_at: self.created_at,
            next_attempt_at: (self.status == DeliveryStatus::Pending)
                .then_some(self.next_attempt_at),
            delivered_at: self.delivered_at,
        }
    }
}

macro_rules! delivery_columns {
    () => {
        "id, endpoint_id, event_id, booking_id, event, message_id, payload, status, attempts,
         next_attempt_at, give_up_at, last_status, last_answer, created_at, delivered_at"
    };
}

/// Claims up to `limit` due deliveries (or only delivery `only`), counting an attempt on each.
pub async fn claim_deliveries(
    ex: impl Into<Ex<'_>>,
    lease: Lease<'_>,
    now: DateTime<Utc>,
    only: Option<i64>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, DbError> {
    macro_rules! claim_sql {
        ($lock:literal) => {
            concat!(
                "UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ?,
                    attempts = attempts + 1
                 WHERE id IN (SELECT w.id FROM webhook_deliveries w
                    WHERE w.status = 'pending' AND w.next_attempt_at <= ?
                      AND (w.lease_until IS NULL OR w.lease_until < ?)
                      AND (? IS NULL OR w.id = ?)
                    ORDER BY w.next_attempt_at, w.id LIMIT ?",
                $lock,
                ")
                 AND (lease_until IS NULL OR lease_until < ?)
                 RETURNING ",
                delivery_columns!()
            )
        };
    }
    let mut rows = on_db!(ex, |conn, d| {
        let text = match d {
            Dialect::Sqlite => sql!(d, claim_sql!("")),
            Dialect::Postgres => sql!(d, claim_sql!(" FOR UPDATE SKIP LOCKED")),
        };
        sqlx::query_as::<_, DeliveryRow>(text)
            .bind(lease.owner)
            .bind(lease.until)
            .bind(now)
            .bind(now)
            .bind(only)
            .bind(only)
            .bind(limit)
            .bind(now)
            .fetch_all(conn)
            .await?
    })?;
    rows.sort_by_key(|r| (r.next_attempt_at, r.id));
    Ok(rows)
}

/// What one attempt to deliver came to.
#[derive(Debug, Clone, PartialEq)]
pub enum HookResult<'a> {
    Delivered {
        status: u16,
        answer: &'a str,
    },
    /// Try again at `retry_at`.
    Retry {
        status: Option<u16>,
        answer: &'a str,
        retry_at: DateTime<Utc>,
    },
    /// Not delivered within the time allowed.
    Failed {
        status: Option<u16>,
        answer: &'a str,
    },
}

/// Records an attempt's outcome under the claim that made it; `false` when the claim was lost.
pub async fn finish_delivery(
    ex: impl Into<Ex<'_>>,
    id: i64,
    owner: &str,
    result: &HookResult<'_>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let (status, code, answer, next, delivered) = match result {
        HookResult::Delivered { status, answer } => (
            DeliveryStatus::Delivered,
            Some(*status),
            *answer,
            now,
            Some(now),
        ),
        HookResult::Retry {
            status,
            answer,
            retry_at,
        } => (DeliveryStatus::Pending, *status, *answer, *retry_at, None),
        HookResult::Failed { status, answer } => {
            (DeliveryStatus::Failed, *status, *answer, now, None)
        }
    };
    on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE webhook_deliveries SET status = ?, last_status = ?, last_answer = ?,
            next_attempt_at = ?, delivered_at = COALESCE(?, delivered_at),
            lease_owner = NULL, lease_until = NULL
         WHERE id = ? AND lease_owner = ?"
    ))
    .bind(status)
    .bind(code.map(i64::from))
    .bind(answer)
    .bind(next)
    .bind(delivered)
    .bind(id)
    .bind(owner)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Extends the lease on every delivery `owner` still holds.
pub async fn renew_delivery_lease(
    ex: impl Into<Ex<'_>>,
    owner: &str,
    until: DateTime<Utc>,
) -> Result<u64, DbError> {
    on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE webhook_deliveries SET lease_until = ? WHERE lease_owner = ? AND status = 'pending'"
    ))
    .bind(until)
    .bind(owner)
    .execute(conn)
    .await?
    .rows_affected())
}

/// When the next pending delivery is due (a claimed one: when its lease ends).
pub async fn next_delivery_due(ex: impl Into<Ex<'_>>) -> Result<Option<DateTime<Utc>>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_scalar(sql!(
        d,
        "SELECT MIN(COALESCE(lease_until, next_attempt_at)) FROM webhook_deliveries
         WHERE status = 'pending'"
    ))
    .fetch_one(conn)
    .await?)
}

/// The delivery log of endpoint `endpoint_id`: newest first, `limit` before id `before`.
pub async fn deliveries_of(
    ex: impl Into<Ex<'_>>,
    endpoint_id: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, DeliveryRow>(sql!(
        d,
        "SELECT ",
        delivery_columns!(),
        " FROM webhook_deliveries WHERE endpoint_id = ? AND (? IS NULL OR id < ?)
         ORDER BY id DESC LIMIT ?"
    ))
    .bind(endpoint_id)
    .bind(before)
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Sends delivery `id` of endpoint `endpoint_id` again (same body and `webhook-id`), for another
/// 24 hours; `false` if there is no such delivery or it is being sent right now.
pub async fn replay_delivery(
    ex: impl Into<Ex<'_>>,
    endpoint_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, give_up_at = ?,
            delivered_at = NULL
         WHERE id = ? AND endpoint_id = ? AND (lease_until IS NULL OR lease_until < ?)"
    ))
    .bind(now)
    .bind(now + chrono::Duration::hours(DELIVERY_HOURS))
    .bind(id)
    .bind(endpoint_id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// The endpoint a delivery goes to (for the worker; `None`: deleted meanwhile).
pub async fn endpoint_by_id(
    ex: impl Into<Ex<'_>>,
    id: i64,
) -> Result<Option<EndpointRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, EndpointRow>(sql!(
        d,
        select_endpoints!("WHERE id = ?")
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}
