//! Bookings, saved before AURA is called. Instants are UTC; the local fields are as the customer
//! chose them in the booking's zone. A row becomes a `Booking` once, here.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::types::Json;

use super::{
    BindExt, CustomerScope, DbError, Ex, StoredDate, StoredInstant, in_scope, needs_attention,
    on_db, shown, sql, status_in,
};
use crate::zone::Zone;
use domain::api::Channel;
use domain::lifecycle::ChangeKind;
use domain::model::SyncStatus;
use domain::{
    ArmedPreference, Contact, Location, PairRole, Repeat, RepeatKind, Schedule, ServiceType,
};

/// A stored booking as the flows use it.
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    pub id: i64,
    pub customer: BookingCustomer,
    /// The saved site it was booked at, if any (its location is copied into `location`).
    pub site: Option<SiteRef>,
    pub service_type: ServiceType,
    pub name: String,
    pub special_instructions: Option<String>,
    pub number_of_guards: u32,
    pub armed_preference: ArmedPreference,
    pub contacts: Vec<Contact>,
    pub location: Location,
    pub zone: Zone,
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
    pub schedule: Schedule,
    pub aura_id: Option<String>,
    pub next_occurrence: Option<DateTime<Utc>>,
    /// Whether `next_occurrence` is our own computation (AURA's answer did not give one).
    pub next_occurrence_ours: bool,
    pub status: SyncStatus,
    /// Why AURA refused it, why it could not be sent, or why its outcome is unknown.
    pub sync_error: Option<String>,
    /// Calls made to AURA for it so far, and when the worker may make the next.
    pub attempts: i64,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The wish to cancel, and when it was done (`cancelling`: asked, not yet confirmed by AURA).
    pub cancellation: Option<CancellationRecord>,
    /// Half of a lock/unlock pair: which half, and the other half's booking.
    pub pair: Option<Pair>,
    /// When someone acknowledged that it was refused or not sent (it then leaves the calendar).
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// The first booking of its line of versions (itself, unless a change made it): the feed's
    /// UIDs follow it.
    pub lineage: i64,
    /// The booking it is a new version (or a kept part) of, made by a change of plans.
    pub replaces: Option<i64>,
    /// The change of plans whose last step is (or was) its cancel.
    pub ended_by: Option<ChangeKind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub role: PairRole,
    pub other: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BookingCustomer {
    pub id: i64,
    pub name: String,
    pub aura_customer_id: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SiteRef {
    pub id: i64,
    pub name: String,
}

/// Who asked to cancel a booking, when, why, how many future windows that removes, and when it was
/// done.
#[derive(Debug, Clone, PartialEq)]
pub struct CancellationRecord {
    pub requested_at: DateTime<Utc>,
    /// Set once the booking is cancelled (at AURA, or here when AURA never had it).
    pub done_at: Option<DateTime<Utc>>,
    pub reason: String,
    pub by: String,
    pub on_behalf_of: Option<String>,
    /// Through which door the wish came (not known for wishes older than the public API).
    pub via: Option<Channel>,
    pub removed_occurrences: i64,
}

#[derive(sqlx::FromRow)]
struct BookingRow {
    id: i64,
    customer_id: i64,
    customer_name: String,
    customer_aura_id: i64,
    site_id: Option<i64>,
    site_name: Option<String>,
    service_type: ServiceType,
    name: String,
    special_instructions: Option<String>,
    number_of_guards: i64,
    armed_preference: ArmedPreference,
    contacts: Json<Vec<Contact>>,
    address: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    timezone: Zone,
    first_date: StoredDate,
    last_date: StoredDate,
    date_from: StoredInstant,
    date_to: StoredInstant,
    repeat_type: RepeatKind,
    days_of_week: String,
    start_time: NaiveTime,
    window_minutes: i64,
    aura_id: Option<String>,
    next_occurrence: Option<StoredInstant>,
    next_occurrence_ours: bool,
    status: SyncStatus,
    sync_error: Option<String>,
    attempts: i64,
    next_attempt_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    cancel_requested_at: Option<DateTime<Utc>>,
    cancelled_at: Option<DateTime<Utc>>,
    cancel_reason: Option<String>,
    cancelled_by: Option<String>,
    cancelled_on_behalf_of: Option<String>,
    cancelled_via: Option<Channel>,
    removed_occurrences: Option<i64>,
    pair_role: Option<PairRole>,
    paired_booking_id: Option<i64>,
    acknowledged_at: Option<DateTime<Utc>>,
    lineage: i64,
    replaces: Option<i64>,
    ended_by: Option<ChangeKind>,
}

impl TryFrom<BookingRow> for Booking {
    type Error = DbError;

    fn try_from(r: BookingRow) -> Result<Self, DbError> {
        let corrupt = |what: &str| DbError::Corrupt(format!("booking {}: {what}", r.id));
        let repeat = Repeat::from_parts(r.repeat_type, &r.days_of_week)
            .map_err(|e| corrupt(&format!("days of week: {e}")))?;
        let window_minutes = u32::try_from(r.window_minutes).map_err(|_| corrupt("window"))?;
        let number_of_guards = u32::try_from(r.number_of_guards).map_err(|_| corrupt("guards"))?;
        let site = r
            .site_id
            .zip(r.site_name)
            .map(|(id, name)| SiteRef { id, name });
        let cancellation = match r.cancel_requested_at {
            None => None,
            Some(requested_at) => Some(CancellationRecord {
                requested_at,
                done_at: r.cancelled_at,
                reason: r.cancel_reason.unwrap_or_default(),
                by: r.cancelled_by.unwrap_or_default(),
                on_behalf_of: r.cancelled_on_behalf_of,
                via: r.cancelled_via,
                removed_occurrences: r.removed_occurrences.unwrap_or(0),
            }),
        };
        if (r.status == SyncStatus::Cancelled) != r.cancelled_at.is_some() {
            return Err(corrupt("status and cancellation time disagree"));
        }
        if matches!(r.status, SyncStatus::Cancelled | SyncStatus::Cancelling)
            && cancellation.is_none()
        {
            return Err(corrupt("cancelled without a cancel request"));
        }
        if matches!(r.status, SyncStatus::Confirmed | SyncStatus::Cancelling) && r.aura_id.is_none()
        {
            return Err(corrupt("confirmed without an AURA id"));
        }
        Ok(Booking {
            id: r.id,
            customer: BookingCustomer {
                id: r.customer_id,
                name: r.customer_name,
                aura_customer_id: r.customer_aura_id,
            },
            site,
            service_type: r.service_type,
            name: r.name,
            special_instructions: r.special_instructions,
            number_of_guards,
            armed_preference: r.armed_preference,
            contacts: r.contacts.0,
            location: Location {
                address: r.address,
                coordinates: r.latitude.zip(r.longitude),
            },
            zone: r.timezone,
            first_date: r.first_date.0,
            last_date: r.last_date.0,
            schedule: Schedule {
                date_from: r.date_from.0,
                date_to: r.date_to.0,
                repeat,
                start_time: r.start_time,
                window_minutes,
            },
            aura_id: r.aura_id,
            next_occurrence: r.next_occurrence.map(|n| n.0),
            next_occurrence_ours: r.next_occurrence_ours,
            status: r.status,
            sync_error: r.sync_error,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            created_at: r.created_at,
            cancellation,
            pair: r.pair_role.map(|role| Pair {
                role,
                other: r.paired_booking_id,
            }),
            acknowledged_at: r.acknowledged_at,
            lineage: r.lineage,
            replaces: r.replaces,
            ended_by: r.ended_by,
        })
    }
}

/// `SELECT` of every `BookingRow` column, then the rest of the statement.
macro_rules! select_bookings {
    ($($rest:tt)*) => {
        concat!(
            "SELECT b.id, b.customer_id, c.name AS customer_name, c.aura_customer_id AS customer_aura_id,
                b.site_id, s.name AS site_name, b.service_type, b.name, b.special_instructions,
                b.number_of_guards, b.armed_preference, b.contacts, b.address, b.latitude, b.longitude,
                b.timezone, b.first_date, b.last_date, b.date_from, b.date_to, b.repeat_type,
                b.days_of_week, b.start_time, b.window_minutes, b.aura_id, b.next_occurrence,
                b.next_occurrence_ours, b.status, b.sync_error, b.attempts, b.next_attempt_at,
                b.created_at, b.cancel_requested_at, b.cancelled_at, b.cancel_reason, b.cancelled_by,
                b.cancelled_on_behalf_of, b.cancelled_via, b.removed_occurrences, b.pair_role, b.paired_booking_id,
                b.acknowledged_at, COALESCE(b.lineage_id, b.id) AS lineage,
                (SELECT ch.booking_id FROM booking_change_parts p
                 JOIN booking_changes ch ON ch.id = p.change_id WHERE p.booking_id = b.id) AS replaces,
                (SELECT ended.kind FROM booking_changes ended WHERE ended.booking_id = b.id
                    AND ended.status IN ('cancelling', 'stuck', 'done')
                    ORDER BY ended.id DESC LIMIT 1) AS ended_by
             FROM bookings b JOIN customers c ON c.id = b.customer_id LEFT JOIN sites s ON s.id = b.site_id ",
            $($rest)*
        )
    };
}

fn all_typed(rows: Vec<BookingRow>) -> Result<Vec<Booking>, DbError> {
    rows.into_iter().map(Booking::try_from).collect()
}

/// A booking as first saved, before AURA is called.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBooking {
    pub customer_id: i64,
    pub site_id: Option<i64>,
    pub idempotency_key: String,
    pub service_type: ServiceType,
    pub name: String,
    pub special_instructions: Option<String>,
    pub number_of_guards: u32,
    pub armed_preference: ArmedPreference,
    pub contacts: Vec<Contact>,
    pub location: Location,
    pub zone: Zone,
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
    pub schedule: Schedule,
    pub created_by_user_id: Option<i64>,
    /// Which half of a lock/unlock pair it is (linked with `link_pair` once both are saved).
    pub pair_role: Option<PairRole>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// A new row: the caller goes on to call AURA.
    New(i64),
    /// The same form was submitted before: nothing was written.
    Existing(i64),
}

pub async fn insert_booking(
    ex: impl Into<Ex<'_>>,
    b: &NewBooking,
    now: DateTime<Utc>,
) -> Result<Inserted, DbError> {
    let coordinates = b.location.coordinates;
    on_db!(ex, |conn, d| {
        let id: Option<i64> = sqlx::query_scalar(sql!(
            d,
            "INSERT INTO bookings (customer_id, site_id, idempotency_key, service_type, name, special_instructions,
                number_of_guards, armed_preference, contacts, address, latitude, longitude, timezone, first_date,
                last_date, date_from, date_to, repeat_type, days_of_week, start_time, window_minutes, status,
                created_by_user_id, created_at, updated_at, next_attempt_at, pair_role)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (customer_id, idempotency_key) DO NOTHING
             RETURNING id"
        ))
        .bind(b.customer_id)
        .bind(b.site_id)
        .bind(&b.idempotency_key)
        .bind(b.service_type)
        .bind(&b.name)
        .bind(&b.special_instructions)
        .bind(i64::from(b.number_of_guards))
        .bind(b.armed_preference)
        .bind(Json(&b.contacts))
        .bind(&b.location.address)
        .bind(coordinates.map(|c| c.0))
        .bind(coordinates.map(|c| c.1))
        .bind(b.zone)
        .bind(StoredDate(b.first_date))
        .bind(StoredDate(b.last_date))
        .bind(StoredInstant(b.schedule.date_from))
        .bind(StoredInstant(b.schedule.date_to))
        .bind(b.schedule.repeat.kind())
        .bind(b.schedule.repeat.day_codes())
        .bind(b.schedule.start_time)
        .bind(i64::from(b.schedule.window_minutes))
        .bind(SyncStatus::Saved)
        .bind(b.created_by_user_id)
        .bind(now)
        .bind(now)
        .bind(now)
        .bind(b.pair_role)
        .fetch_optional(&mut *conn)
        .await?;
        match id {
            Some(id) => Inserted::New(id),
            None => Inserted::Existing(
                sqlx::query_scalar(sql!(
                    d,
                    "SELECT id FROM bookings WHERE customer_id = ? AND idempotency_key = ?"
                ))
                .bind(b.customer_id)
                .bind(&b.idempotency_key)
                .fetch_one(&mut *conn)
                .await?,
            ),
        }
    })
}

/// Links the two halves of a lock/unlock pair, each to the other.
pub async fn link_pair(ex: impl Into<Ex<'_>>, lock: i64, unlock: i64) -> Result<(), DbError> {
    on_db!(ex, |conn, d| {
        sqlx::query(sql!(
            d,
            "UPDATE bookings SET paired_booking_id = CASE id WHEN ? THEN ? ELSE ? END WHERE id IN (?, ?)"
        ))
        .bind(lock)
        .bind(unlock)
        .bind(lock)
        .bind(lock)
        .bind(unlock)
        .execute(conn)
        .await?
        .rows_affected()
    })?;
    Ok(())
}

/// A booking, only if its customer is in scope.
pub async fn booking_in_scope(
    ex: impl Into<Ex<'_>>,
    scope: &CustomerScope,
    id: i64,
) -> Result<Option<Booking>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, BookingRow>(sql!(
        d,
        select_bookings!("WHERE ", in_scope!(), " AND b.id = ?")
    ))
    .bind_scope(scope)
    .bind(id)
    .fetch_optional(conn)
    .await?)?
    .map(Booking::try_from)
    .transpose()
}

/// Bookings AURA holds, may hold or will be sent, oldest first.
pub async fn active_bookings(
    ex: impl Into<Ex<'_>>,
    scope: &CustomerScope,
) -> Result<Vec<Booking>, DbError> {
    all_typed(on_db!(ex, |conn, d| sqlx::query_as::<_, BookingRow>(
        sql!(
            d,
            select_bookings!(
                "WHERE ",
                in_scope!(),
                " AND ",
                status_in!(),
                " ORDER BY b.id"
            )
        )
    )
    .bind_scope(scope)
    .bind_statuses(&SyncStatus::ACTIVE)
    .fetch_all(conn)
    .await?)?)
}

/// Bookings a person has to look at (outcome unknown; refused or not sent and not yet
/// acknowledged), oldest first.
pub async fn bookings_needing_attention(
    ex: impl Into<Ex<'_>>,
    scope: &CustomerScope,
) -> Result<Vec<Booking>, DbError> {
    all_typed(on_db!(ex, |conn, d| sqlx::query_as::<_, BookingRow>(
        sql!(
            d,
            select_bookings!(
                "WHERE ",
                in_scope!(),
                " AND ",
                needs_attention!(),
                " ORDER BY b.id"
            )
        )
    )
    .bind_scope(scope)
    .bind_attention()
    .fetch_all(conn)
    .await?)?)
}

/// Bookings shown on the calendar and the upcoming list (the active ones, and refused or lapsed
/// ones not yet acknowledged, marked as such) with a window overlapping `[from, to)`.
pub async fn shown_bookings_between(
    ex: impl Into<Ex<'_>>,
    scope: &CustomerScope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Booking>, DbError> {
    all_typed(on_db!(ex, |conn, d| sqlx::query_as::<_, BookingRow>(
        sql!(
            d,
            select_bookings!(
                "WHERE ",
                in_scope!(),
                " AND ",
                shown!(),
                " AND b.date_from < ? AND b.date_to >= ? ORDER BY b.id"
            )
        )
    )
    .bind_scope(scope)
    .bind_shown()
    .bind(StoredInstant(to))
    .bind(StoredInstant(super::window_end_margin(from)))
    .fetch_all(conn)
    .await?)?)
}

/// Bookings waiting to reach AURA after a failed attempt (a create or a cancel).
pub async fn count_waiting(ex: impl Into<Ex<'_>>) -> Result<i64, DbError> {
    on_db!(ex, |conn, d| {
        sqlx::query_scalar(sql!(
        d,
        "SELECT COUNT(*) FROM bookings b WHERE b.status IN ('not_sent', 'cancelling') AND b.attempts > 0"
    ))
    .fetch_one(conn)
    .await?
    })
}

/// Active bookings with a window overlapping `[from, to)`: a coarse filter on the stored span.
pub async fn active_bookings_between(
    ex: impl Into<Ex<'_>>,
    scope: &CustomerScope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Booking>, DbError> {
    bookings_between(ex, scope, &SyncStatus::ACTIVE, from, to).await
}

/// Bookings in one of `statuses` with a window overlapping `[from, to)`: a coarse filter on the
/// stored span.
pub async fn bookings_between(
    ex: impl Into<Ex<'_>>,
    scope: &CustomerScope,
    statuses: &[SyncStatus],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Booking>, DbError> {
    all_typed(on_db!(ex, |conn, d| sqlx::query_as::<_, BookingRow>(
        sql!(
            d,
            select_bookings!(
                "WHERE ",
                in_scope!(),
                " AND ",
                status_in!(),
                " AND b.date_from < ? AND b.date_to >= ? ORDER BY b.id"
            )
        )
    )
    .bind_scope(scope)
    .bind_statuses(statuses)
    .bind(StoredInstant(to))
    .bind(StoredInstant(super::window_end_margin(from)))
    .fetch_all(conn)
    .await?)?)
}

/// A page of the cancellation ledger, newest first: `limit` rows after the first `offset`.
pub async fn cancelled_bookings(
    ex: impl Into<Ex<'_>>,
    scope: &CustomerScope,
    limit: i64,
    offset: i64,
) -> Result<Vec<Booking>, DbError> {
    all_typed(on_db!(ex, |conn, d| sqlx::query_as::<_, BookingRow>(
        sql!(
            d,
            select_bookings!(
                "WHERE ",
                in_scope!(),
                " AND ",
                status_in!(),
                " ORDER BY b.cancelled_at DESC, b.id DESC LIMIT ? OFFSET ?"
            )
        )
    )
    .bind_scope(scope)
    .bind_statuses(&[SyncStatus::Cancelled])
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await?)?)
}

/// How many rows the cancellation ledger has in scope.
pub async fn count_cancelled(ex: impl Into<Ex<'_>>, scope: &CustomerScope) -> Result<i64, DbError> {
    on_db!(ex, |conn, d| sqlx::query_scalar(sql!(
        d,
        concat!(
            "SELECT COUNT(*) FROM bookings b WHERE ",
            in_scope!(),
            " AND ",
            status_in!()
        )
    ))
    .bind_scope(scope)
    .bind_statuses(&[SyncStatus::Cancelled])
    .fetch_one(conn)
    .await?)
}

/// How many bookings in scope need a person (for the navigation's count).
pub async fn count_needing_attention(
    ex: impl Into<Ex<'_>>,
    scope: &CustomerScope,
) -> Result<i64, DbError> {
    on_db!(ex, |conn, d| sqlx::query_scalar(sql!(
        d,
        concat!(
            "SELECT COUNT(*) FROM bookings b WHERE ",
            in_scope!(),
            " AND ",
            needs_attention!()
        )
    ))
    .bind_scope(scope)
    .bind_attention()
    .fetch_one(conn)
    .await?)
}

/// What the public API's booking list is narrowed to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BookingFilter {
    /// Any of these statuses (empty: any).
    pub statuses: Vec<SyncStatus>,
    pub service: Option<ServiceType>,
    pub site: Option<i64>,
    /// Bookings with a day on or after `from` and on or before `to`.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// A page of customer `customer_id`'s bookings that `filter` keeps, newest first: `limit` of them
/// with numbers below `before`.
pub async fn bookings_page(
    ex: impl Into<Ex<'_>>,
    customer_id: i64,
    filter: &BookingFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Booking>, DbError> {
    let statuses = (!filter.statuses.is_empty()).then(|| {
        serde_json::Value::from(filter.statuses.iter().map(|s| s.key()).collect::<Vec<_>>())
            .to_string()
    });
    all_typed(on_db!(ex, |conn, d| sqlx::query_as::<_, BookingRow>(
        sql!(
            d,
            select_bookings!(
                "WHERE b.customer_id = ?
               AND (? IS NULL OR b.status IN (SELECT value FROM json_each(?)))
               AND (? IS NULL OR b.service_type = ?)
               AND (? IS NULL OR b.site_id = ?)
               AND (? IS NULL OR b.last_date >= ?)
               AND (? IS NULL OR b.first_date <= ?)
               AND (? IS NULL OR b.id < ?)
             ORDER BY b.id DESC LIMIT ?"
            )
        )
    )
    .bind(customer_id)
    .bind(statuses.clone())
    .bind(statuses.unwrap_or_else(|| "[]".into()))
    .bind(filter.service)
    .bind(filter.service)
    .bind(filter.site)
    .bind(filter.site)
    .bind(filter.from.map(StoredDate))
    .bind(filter.from.map(StoredDate))
    .bind(filter.to.map(StoredDate))
    .bind(filter.to.map(StoredDate))
    .bind(before)
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await?)?)
}

#[cfg(test)]
mod tests;
