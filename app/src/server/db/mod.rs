//! SQLite storage: connection, migrations and repository functions. Every function takes an
//! executor so tests and transactions can use it alike.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqliteExecutor, SqlitePool};

use crate::domain::{
    ArmedPreference, Contact, Location, Repeat, RepeatKind, Schedule, ServiceType, weekday_code,
    weekday_from_code,
};
use crate::model::{CustomerOption, SiteView, SyncStatus};

mod accounts;
pub use accounts::*;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

impl DbError {
    /// Whether a UNIQUE constraint on a column starting with `column_prefix` (e.g. "sites.") failed.
    pub fn is_unique_violation(&self, column_prefix: &str) -> bool {
        matches!(self, DbError::Sqlx(sqlx::Error::Database(d))
            if d.is_unique_violation() && d.message().contains(column_prefix))
    }
}

/// Opens (creating if needed) the database with WAL and foreign keys, and applies every migration.
/// A failed migration is an error: the server must not start on a schema it does not know.
pub async fn connect(database_url: &str) -> Result<SqlitePool, DbError> {
    let options = SqliteConnectOptions::from_str(database_url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    sqlx::migrate!("../migrations").run(&pool).await?;
    Ok(pool)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CustomerRow {
    pub id: i64,
    pub name: String,
    pub aura_customer_id: i64,
    pub default_timezone: String,
}

/// The columns of `CustomerRow`, from `customers c`.
const CUSTOMER_COLUMNS: &str = "c.id, c.name, c.aura_customer_id, c.default_timezone";

/// Creates the customer with this AURA id, or updates its name and zone; returns the row.
pub async fn upsert_customer(
    ex: impl SqliteExecutor<'_>,
    name: &str,
    aura_customer_id: i64,
    default_timezone: &str,
    now: DateTime<Utc>,
) -> Result<CustomerRow, DbError> {
    Ok(sqlx::query_as::<_, CustomerRow>(
        "INSERT INTO customers (name, aura_customer_id, default_timezone, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (aura_customer_id) DO UPDATE SET name = excluded.name, default_timezone = excluded.default_timezone
         RETURNING id, name, aura_customer_id, default_timezone",
    )
    .bind(name)
    .bind(aura_customer_id)
    .bind(default_timezone)
    .bind(now)
    .fetch_one(ex)
    .await?)
}

pub async fn customer_by_aura_id(
    ex: impl SqliteExecutor<'_>,
    aura_customer_id: i64,
) -> Result<Option<CustomerRow>, DbError> {
    Ok(sqlx::query_as::<_, CustomerRow>(&format!(
        "SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.aura_customer_id = ?"
    ))
    .bind(aura_customer_id)
    .fetch_optional(ex)
    .await?)
}

impl From<&CustomerRow> for CustomerOption {
    fn from(c: &CustomerRow) -> Self {
        CustomerOption {
            id: c.id,
            name: c.name.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SiteRow {
    pub id: i64,
    pub customer_id: i64,
    pub name: String,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub timezone: String,
}

impl From<SiteRow> for SiteView {
    fn from(s: SiteRow) -> Self {
        SiteView {
            id: s.id,
            name: s.name,
            address: s.address,
            timezone: s.timezone,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSite<'a> {
    pub customer_id: i64,
    pub name: &'a str,
    pub address: Option<&'a str>,
    pub coordinates: Option<(f64, f64)>,
    pub timezone: &'a str,
}

const SITE_COLUMNS: &str = "id, customer_id, name, address, latitude, longitude, timezone";

pub async fn insert_site(
    ex: impl SqliteExecutor<'_>,
    site: &NewSite<'_>,
    now: DateTime<Utc>,
) -> Result<SiteRow, DbError> {
    Ok(sqlx::query_as::<_, SiteRow>(&format!(
        "INSERT INTO sites (customer_id, name, address, latitude, longitude, timezone, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {SITE_COLUMNS}"
    ))
    .bind(site.customer_id)
    .bind(site.name)
    .bind(site.address)
    .bind(site.coordinates.map(|c| c.0))
    .bind(site.coordinates.map(|c| c.1))
    .bind(site.timezone)
    .bind(now)
    .fetch_one(ex)
    .await?)
}

pub async fn sites_for_customer(
    ex: impl SqliteExecutor<'_>,
    customer_id: i64,
) -> Result<Vec<SiteRow>, DbError> {
    Ok(sqlx::query_as::<_, SiteRow>(&format!(
        "SELECT {SITE_COLUMNS} FROM sites WHERE customer_id = ? ORDER BY name COLLATE NOCASE"
    ))
    .bind(customer_id)
    .fetch_all(ex)
    .await?)
}

/// A site, only if it belongs to this customer.
pub async fn site_of_customer(
    ex: impl SqliteExecutor<'_>,
    customer_id: i64,
    site_id: i64,
) -> Result<Option<SiteRow>, DbError> {
    Ok(sqlx::query_as::<_, SiteRow>(&format!(
        "SELECT {SITE_COLUMNS} FROM sites WHERE customer_id = ? AND id = ?"
    ))
    .bind(customer_id)
    .bind(site_id)
    .fetch_optional(ex)
    .await?)
}

/// A stored booking. Local fields are as chosen in `timezone`; instants are UTC.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RequestRow {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub customer_aura_id: i64,
    pub site_id: Option<i64>,
    pub site_name: Option<String>,
    pub idempotency_key: String,
    pub service_type: String,
    pub name: String,
    pub special_instructions: Option<String>,
    pub number_of_guards: i64,
    pub armed_preference: String,
    pub contacts_json: String,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub timezone: String,
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
    pub date_from: DateTime<Utc>,
    pub date_to: DateTime<Utc>,
    pub repeat_type: String,
    pub days_of_week: String,
    pub start_time: NaiveTime,
    pub window_minutes: i64,
    pub aura_id: Option<String>,
    pub next_occurrence: Option<DateTime<Utc>>,
    pub sync_status: String,
    pub sync_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub cancelled_by: Option<String>,
    pub cancelled_on_behalf_of: Option<String>,
    pub cancelled_occurrences: Option<i64>,
}

impl RequestRow {
    pub fn status(&self) -> Result<SyncStatus, DbError> {
        SyncStatus::from_key(&self.sync_status).ok_or_else(|| {
            DbError::Corrupt(format!(
                "request {} has status {:?}",
                self.id, self.sync_status
            ))
        })
    }

    pub fn service(&self) -> Result<ServiceType, DbError> {
        self.service_type.parse().map_err(|_| {
            DbError::Corrupt(format!(
                "request {} has service type {:?}",
                self.id, self.service_type
            ))
        })
    }

    pub fn contacts(&self) -> Result<Vec<Contact>, DbError> {
        serde_json::from_str(&self.contacts_json)
            .map_err(|e| DbError::Corrupt(format!("request {} contacts: {e}", self.id)))
    }

    pub fn schedule(&self) -> Result<Schedule, DbError> {
        let corrupt = |what: &str| DbError::Corrupt(format!("request {} {what}", self.id));
        let kind: RepeatKind = self
            .repeat_type
            .parse()
            .map_err(|_| corrupt("repeat type"))?;
        let repeat = match kind {
            RepeatKind::Single => Repeat::Single,
            RepeatKind::Daily => Repeat::Daily,
            RepeatKind::Weekly => Repeat::weekly(
                self.days_of_week
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|code| weekday_from_code(code).ok_or_else(|| corrupt("days of week")))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        Ok(Schedule {
            date_from: self.date_from,
            date_to: self.date_to,
            repeat,
            start_time: self.start_time,
            window_minutes: u32::try_from(self.window_minutes).map_err(|_| corrupt("window"))?,
        })
    }

    pub fn armed(&self) -> Result<ArmedPreference, DbError> {
        self.armed_preference.parse().map_err(|_| {
            DbError::Corrupt(format!(
                "request {} armed preference {:?}",
                self.id, self.armed_preference
            ))
        })
    }

    pub fn location(&self) -> Location {
        Location {
            address: self.address.clone(),
            coordinates: self.latitude.zip(self.longitude),
        }
    }

    /// A label for where it happens: the saved site's name, else the address or coordinates.
    pub fn place(&self) -> String {
        self.site_name
            .clone()
            .or_else(|| self.address.clone())
            .or_else(|| {
                self.latitude
                    .zip(self.longitude)
                    .map(|(lat, lon)| format!("{lat:.5}, {lon:.5}"))
            })
            .unwrap_or_default()
    }
}

const REQUEST_COLUMNS: &str = "r.id, r.customer_id, c.name AS customer_name, c.aura_customer_id AS customer_aura_id, r.site_id, s.name AS site_name, r.idempotency_key, r.service_type,
    r.name, r.special_instructions, r.number_of_guards, r.armed_preference, r.contacts_json, r.address, r.latitude,
    r.longitude, r.timezone, r.first_date, r.last_date, r.date_from, r.date_to, r.repeat_type, r.days_of_week,
    r.start_time, r.window_minutes, r.aura_id, r.next_occurrence, r.sync_status, r.sync_error, r.created_at,
    r.updated_at, r.cancelled_at, r.cancel_reason, r.cancelled_by, r.cancelled_on_behalf_of,
    r.cancelled_occurrences";

const REQUEST_FROM: &str = "scheduled_requests r JOIN customers c ON c.id = r.customer_id
    LEFT JOIN sites s ON s.id = r.site_id";

/// Whose data a query may return: every customer (administrators) or the listed ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerScope {
    All,
    Only(Vec<i64>),
}

impl CustomerScope {
    pub fn includes(&self, customer_id: i64) -> bool {
        match self {
            CustomerScope::All => true,
            CustomerScope::Only(ids) => ids.contains(&customer_id),
        }
    }

    fn is_all(&self) -> bool {
        matches!(self, CustomerScope::All)
    }

    /// The ids as a JSON array for `json_each` (SQLite has no array parameters).
    fn ids_json(&self) -> String {
        match self {
            CustomerScope::All => "[]".into(),
            CustomerScope::Only(ids) => serde_json::Value::from(ids.clone()).to_string(),
        }
    }
}

/// `WHERE` fragment: the request's customer is in scope. Binds `is_all()` then `ids_json()`.
const IN_SCOPE: &str = "(? OR r.customer_id IN (SELECT value FROM json_each(?)))";

/// A booking as first saved, before AURA is called.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRequest {
    pub customer_id: i64,
    pub site_id: Option<i64>,
    pub idempotency_key: String,
    pub service_type: ServiceType,
    pub name: String,
    pub special_instructions: Option<String>,
    pub number_of_guards: u32,
    pub armed_preference: String,
    pub contacts: Vec<Contact>,
    pub address: Option<String>,
    pub coordinates: Option<(f64, f64)>,
    pub timezone: String,
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
    pub schedule: Schedule,
    pub created_by_user_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// A new row: the caller goes on to call AURA.
    New(i64),
    /// The same form was submitted before: nothing was written.
    Existing(i64),
}

pub async fn insert_request(
    ex: impl SqliteExecutor<'_> + Copy,
    r: &NewRequest,
    now: DateTime<Utc>,
) -> Result<Inserted, DbError> {
    let days = match &r.schedule.repeat {
        Repeat::Weekly(days) => days
            .iter()
            .map(|d| weekday_code(*d))
            .collect::<Vec<_>>()
            .join(","),
        _ => String::new(),
    };
    let contacts =
        serde_json::to_string(&r.contacts).map_err(|e| DbError::Corrupt(e.to_string()))?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO scheduled_requests (customer_id, site_id, idempotency_key, service_type, name, special_instructions,
            number_of_guards, armed_preference, contacts_json, address, latitude, longitude, timezone, first_date,
            last_date, date_from, date_to, repeat_type, days_of_week, start_time, window_minutes, sync_status,
            created_by_user_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'saved', ?, ?, ?)
         ON CONFLICT (customer_id, idempotency_key) DO NOTHING
         RETURNING id",
    )
    .bind(r.customer_id)
    .bind(r.site_id)
    .bind(&r.idempotency_key)
    .bind(r.service_type.key())
    .bind(&r.name)
    .bind(&r.special_instructions)
    .bind(i64::from(r.number_of_guards))
    .bind(&r.armed_preference)
    .bind(contacts)
    .bind(&r.address)
    .bind(r.coordinates.map(|c| c.0))
    .bind(r.coordinates.map(|c| c.1))
    .bind(&r.timezone)
    .bind(r.first_date)
    .bind(r.last_date)
    .bind(r.schedule.date_from)
    .bind(r.schedule.date_to)
    .bind(r.schedule.repeat.kind().key())
    .bind(days)
    .bind(r.schedule.start_time)
    .bind(i64::from(r.schedule.window_minutes))
    .bind(r.created_by_user_id)
    .bind(now)
    .bind(now)
    .fetch_optional(ex)
    .await?;
    if let Some(id) = id {
        return Ok(Inserted::New(id));
    }
    let existing: i64 = sqlx::query_scalar(
        "SELECT id FROM scheduled_requests WHERE customer_id = ? AND idempotency_key = ?",
    )
    .bind(r.customer_id)
    .bind(&r.idempotency_key)
    .fetch_one(ex)
    .await?;
    Ok(Inserted::Existing(existing))
}

/// A request, only if its customer is in scope.
pub async fn request_in_scope(
    ex: impl SqliteExecutor<'_>,
    scope: &CustomerScope,
    id: i64,
) -> Result<Option<RequestRow>, DbError> {
    Ok(sqlx::query_as::<_, RequestRow>(&format!(
        "SELECT {REQUEST_COLUMNS} FROM {REQUEST_FROM} WHERE {IN_SCOPE} AND r.id = ?"
    ))
    .bind(scope.is_all())
    .bind(scope.ids_json())
    .bind(id)
    .fetch_optional(ex)
    .await?)
}

/// Requests whose windows belong on the calendar, oldest first.
pub async fn active_requests(
    ex: impl SqliteExecutor<'_>,
    scope: &CustomerScope,
) -> Result<Vec<RequestRow>, DbError> {
    Ok(sqlx::query_as::<_, RequestRow>(&format!(
        "SELECT {REQUEST_COLUMNS} FROM {REQUEST_FROM}
         WHERE {IN_SCOPE} AND r.sync_status IN ('saved', 'confirmed', 'not_sent') ORDER BY r.id"
    ))
    .bind(scope.is_all())
    .bind(scope.ids_json())
    .fetch_all(ex)
    .await?)
}

/// Active requests with a window overlapping `[from, to)`: a coarse filter on the stored span.
pub async fn active_requests_between(
    ex: impl SqliteExecutor<'_>,
    scope: &CustomerScope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<RequestRow>, DbError> {
    // A window opens no later than date_to and closes at most a day after it opens.
    Ok(sqlx::query_as::<_, RequestRow>(&format!(
        "SELECT {REQUEST_COLUMNS} FROM {REQUEST_FROM}
         WHERE {IN_SCOPE} AND r.sync_status IN ('saved', 'confirmed', 'not_sent')
           AND r.date_from < ? AND r.date_to >= ? ORDER BY r.id"
    ))
    .bind(scope.is_all())
    .bind(scope.ids_json())
    .bind(to)
    .bind(from - chrono::Duration::days(1))
    .fetch_all(ex)
    .await?)
}

/// The cancellation ledger, newest first.
pub async fn cancelled_requests(
    ex: impl SqliteExecutor<'_>,
    scope: &CustomerScope,
    limit: i64,
) -> Result<Vec<RequestRow>, DbError> {
    Ok(sqlx::query_as::<_, RequestRow>(&format!(
        "SELECT {REQUEST_COLUMNS} FROM {REQUEST_FROM}
         WHERE {IN_SCOPE} AND r.sync_status = 'cancelled' ORDER BY r.cancelled_at DESC, r.id DESC LIMIT ?"
    ))
    .bind(scope.is_all())
    .bind(scope.ids_json())
    .bind(limit)
    .fetch_all(ex)
    .await?)
}

/// Records AURA's acceptance. Only a request still waiting for AURA changes; returns whether it did.
pub async fn mark_confirmed(
    ex: impl SqliteExecutor<'_>,
    id: i64,
    aura_id: &str,
    next_occurrence: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE scheduled_requests SET sync_status = 'confirmed', aura_id = ?, next_occurrence = ?, sync_error = NULL,
            updated_at = ?
         WHERE id = ? AND sync_status IN ('saved', 'not_sent')",
    )
    .bind(aura_id)
    .bind(next_occurrence)
    .bind(now)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records that AURA refused (`rejected`) or could not be reached (`not_sent`), with the reason.
pub async fn mark_failed(
    ex: impl SqliteExecutor<'_>,
    id: i64,
    status: SyncStatus,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    debug_assert!(matches!(status, SyncStatus::Rejected | SyncStatus::NotSent));
    let done = sqlx::query(
        "UPDATE scheduled_requests SET sync_status = ?, sync_error = ?, updated_at = ?
         WHERE id = ? AND sync_status IN ('saved', 'not_sent')",
    )
    .bind(status.key())
    .bind(reason)
    .bind(now)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub struct Cancellation<'a> {
    pub reason: &'a str,
    pub by: &'a Actor,
    pub at: DateTime<Utc>,
    pub removed_occurrences: i64,
}

/// Marks an active request cancelled; returns false if it was not active any more.
pub async fn mark_cancelled(
    ex: impl SqliteExecutor<'_>,
    id: i64,
    c: &Cancellation<'_>,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE scheduled_requests SET sync_status = 'cancelled', cancelled_at = ?, cancel_reason = ?, cancelled_by = ?,
            cancelled_by_user_id = ?, cancelled_on_behalf_of = ?, cancelled_occurrences = ?, next_occurrence = NULL,
            updated_at = ?
         WHERE id = ? AND sync_status IN ('saved', 'confirmed', 'not_sent')",
    )
    .bind(c.at)
    .bind(c.reason)
    .bind(&c.by.name)
    .bind(c.by.user_id)
    .bind(&c.by.on_behalf_of)
    .bind(c.removed_occurrences)
    .bind(c.at)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Who did something: a signed-in person (and the customer they acted for, when acting on a
/// customer's behalf), or the system ("AURA", "Dashboard").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub user_id: Option<i64>,
    pub on_behalf_of: Option<String>,
}

impl Actor {
    pub fn system(name: &str) -> Actor {
        Actor {
            name: name.to_string(),
            user_id: None,
            on_behalf_of: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub request_id: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub actor: String,
    pub on_behalf_of: Option<String>,
    pub detail: String,
}

pub async fn add_event(
    ex: impl SqliteExecutor<'_>,
    request_id: i64,
    at: DateTime<Utc>,
    kind: &str,
    actor: &Actor,
    detail: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO request_events (request_id, at, kind, actor, actor_user_id, on_behalf_of, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(request_id)
    .bind(at)
    .bind(kind)
    .bind(&actor.name)
    .bind(actor.user_id)
    .bind(&actor.on_behalf_of)
    .bind(detail)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn events_of_request(
    ex: impl SqliteExecutor<'_>,
    request_id: i64,
) -> Result<Vec<EventRow>, DbError> {
    Ok(sqlx::query_as::<_, EventRow>(
        "SELECT id, request_id, at, kind, actor, on_behalf_of, detail FROM request_events WHERE request_id = ?
         ORDER BY id",
    )
    .bind(request_id)
    .fetch_all(ex)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    async fn fresh() -> SqlitePool {
        // A throwaway in-memory database per test, with the real migrations.
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .expect("url")
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .expect("connect");
        sqlx::migrate!("../migrations")
            .run(&pool)
            .await
            .expect("migrate");
        pool
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-26T12:00:00Z")
            .expect("time")
            .with_timezone(&Utc)
    }

    fn new_request(customer_id: i64, key: &str) -> NewRequest {
        let d = |day| NaiveDate::from_ymd_opt(2026, 12, day).expect("date");
        NewRequest {
            customer_id,
            site_id: None,
            idempotency_key: key.into(),
            service_type: ServiceType::Patrol,
            name: "Night patrol".into(),
            special_instructions: Some("Check doors".into()),
            number_of_guards: 2,
            armed_preference: "unarmed".into(),
            contacts: vec![Contact {
                name: "Ann".into(),
                mobile: "+447700900123".into(),
            }],
            address: Some("1 High St".into()),
            coordinates: Some((51.5, -0.12)),
            timezone: "Europe/London".into(),
            first_date: d(1),
            last_date: d(31),
            schedule: Schedule {
                date_from: DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
                    .expect("t")
                    .with_timezone(&Utc),
                date_to: DateTime::parse_from_rfc3339("2026-12-31T23:59:59Z")
                    .expect("t")
                    .with_timezone(&Utc),
                repeat: Repeat::weekly([Weekday::Mon, Weekday::Fri]),
                start_time: NaiveTime::from_hms_opt(22, 0, 0).expect("t"),
                window_minutes: 90,
            },
            created_by_user_id: None,
        }
    }

    /// Inserts a request that must be new, returning its id.
    async fn insert_new(pool: &SqlitePool, customer_id: i64, key: &str) -> i64 {
        match insert_request(pool, &new_request(customer_id, key), now())
            .await
            .expect("insert")
        {
            Inserted::New(id) => id,
            Inserted::Existing(id) => panic!("request {id} already existed"),
        }
    }

    #[tokio::test]
    async fn a_request_round_trips_every_field() {
        let pool = fresh().await;
        let c = upsert_customer(&pool, "Acme", 1, "Europe/London", now())
            .await
            .expect("customer");
        let new = new_request(c.id, "k1");
        let Inserted::New(id) = insert_request(&pool, &new, now()).await.expect("insert") else {
            panic!("not new")
        };
        let row = request_in_scope(&pool, &CustomerScope::Only(vec![c.id]), id)
            .await
            .expect("read")
            .expect("found");
        assert_eq!(row.schedule().expect("schedule"), new.schedule);
        assert_eq!(row.contacts().expect("contacts"), new.contacts);
        assert_eq!(row.status().expect("status"), SyncStatus::Saved);
        assert_eq!(
            (row.first_date, row.last_date),
            (new.first_date, new.last_date)
        );
        assert_eq!(row.place(), "1 High St");
    }

    #[tokio::test]
    async fn the_same_form_key_inserts_once() {
        let pool = fresh().await;
        let c = upsert_customer(&pool, "Acme", 1, "Europe/London", now())
            .await
            .expect("customer");
        let first = insert_request(&pool, &new_request(c.id, "k1"), now())
            .await
            .expect("insert");
        let again = insert_request(&pool, &new_request(c.id, "k1"), now())
            .await
            .expect("insert");
        let Inserted::New(id) = first else {
            panic!("first insert must be new")
        };
        assert_eq!(again, Inserted::Existing(id));
        let other = insert_request(&pool, &new_request(c.id, "k2"), now())
            .await
            .expect("insert");
        assert!(matches!(other, Inserted::New(o) if o != id));
    }

    #[tokio::test]
    async fn requests_are_only_visible_to_their_customer() {
        let pool = fresh().await;
        let a = upsert_customer(&pool, "A", 1, "Europe/London", now())
            .await
            .expect("a");
        let b = upsert_customer(&pool, "B", 2, "Europe/London", now())
            .await
            .expect("b");
        let id = insert_new(&pool, a.id, "k").await;
        assert!(
            request_in_scope(&pool, &CustomerScope::Only(vec![b.id]), id)
                .await
                .expect("read")
                .is_none()
        );
        let only = |id| CustomerScope::Only(vec![id]);
        assert!(
            active_requests(&pool, &only(b.id))
                .await
                .expect("read")
                .is_empty()
        );
        assert_eq!(
            active_requests(&pool, &only(a.id))
                .await
                .expect("read")
                .len(),
            1
        );
        let both = CustomerScope::Only(vec![a.id, b.id]);
        assert_eq!(active_requests(&pool, &both).await.expect("read").len(), 1);
        assert_eq!(
            active_requests(&pool, &CustomerScope::All)
                .await
                .expect("read")
                .len(),
            1
        );
        assert!(
            active_requests(&pool, &CustomerScope::Only(vec![]))
                .await
                .expect("read")
                .is_empty(),
            "an empty scope sees nothing"
        );
    }

    #[tokio::test]
    async fn status_changes_follow_the_booking_lifecycle() {
        let pool = fresh().await;
        let c = upsert_customer(&pool, "Acme", 1, "Europe/London", now())
            .await
            .expect("customer");
        let id = insert_new(&pool, c.id, "k").await;
        assert!(
            mark_failed(&pool, id, SyncStatus::NotSent, "connection refused", now())
                .await
                .expect("fail")
        );
        assert!(
            mark_confirmed(&pool, id, "aura-1", Some(now()), now())
                .await
                .expect("confirm")
        );
        // A confirmed request cannot be marked failed afterwards.
        assert!(
            !mark_failed(&pool, id, SyncStatus::Rejected, "late", now())
                .await
                .expect("no-op")
        );
        let ann = Actor {
            name: "Ann".into(),
            user_id: None,
            on_behalf_of: Some("Acme".into()),
        };
        let c1 = Cancellation {
            reason: "Site closed",
            by: &ann,
            at: now(),
            removed_occurrences: 9,
        };
        assert!(mark_cancelled(&pool, id, &c1).await.expect("cancel"));
        assert!(
            !mark_cancelled(&pool, id, &c1).await.expect("twice"),
            "cancelling twice changes nothing"
        );
        let row = request_in_scope(&pool, &CustomerScope::Only(vec![c.id]), id)
            .await
            .expect("read")
            .expect("found");
        assert_eq!(row.status().expect("status"), SyncStatus::Cancelled);
        assert_eq!(row.aura_id.as_deref(), Some("aura-1"));
        assert_eq!(row.cancel_reason.as_deref(), Some("Site closed"));
        assert_eq!(row.cancelled_occurrences, Some(9));
        assert_eq!(row.cancelled_on_behalf_of.as_deref(), Some("Acme"));
        assert_eq!(row.customer_name, "Acme");
        assert_eq!(
            cancelled_requests(&pool, &CustomerScope::Only(vec![c.id]), 10)
                .await
                .expect("ledger")
                .len(),
            1
        );
        assert!(
            active_requests(&pool, &CustomerScope::All)
                .await
                .expect("active")
                .is_empty()
        );
    }

    #[tokio::test]
    async fn events_are_kept_in_order() {
        let pool = fresh().await;
        let c = upsert_customer(&pool, "Acme", 1, "Europe/London", now())
            .await
            .expect("customer");
        let id = insert_new(&pool, c.id, "k").await;
        add_event(&pool, id, now(), "saved", &Actor::system("Ann"), "")
            .await
            .expect("event");
        add_event(
            &pool,
            id,
            now(),
            "confirmed",
            &Actor::system("AURA"),
            "id aura-1",
        )
        .await
        .expect("event");
        let kinds: Vec<String> = events_of_request(&pool, id)
            .await
            .expect("events")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, vec!["saved", "confirmed"]);
    }

    #[tokio::test]
    async fn sites_belong_to_one_customer() {
        let pool = fresh().await;
        let a = upsert_customer(&pool, "A", 1, "Europe/London", now())
            .await
            .expect("a");
        let b = upsert_customer(&pool, "B", 2, "America/New_York", now())
            .await
            .expect("b");
        let site = NewSite {
            customer_id: a.id,
            name: "Depot",
            address: Some("1 Road"),
            coordinates: None,
            timezone: "Europe/London",
        };
        let s = insert_site(&pool, &site, now()).await.expect("site");
        assert!(
            site_of_customer(&pool, b.id, s.id)
                .await
                .expect("read")
                .is_none()
        );
        assert_eq!(
            sites_for_customer(&pool, a.id).await.expect("read"),
            vec![s]
        );
        // The check constraint refuses a site with no location at all.
        let bad = NewSite {
            address: None,
            name: "Nowhere",
            ..site
        };
        assert!(insert_site(&pool, &bad, now()).await.is_err());
        // Upsert keeps one row per AURA customer id.
        let again = upsert_customer(&pool, "A renamed", 1, "Europe/London", now())
            .await
            .expect("upsert");
        assert_eq!(again.id, a.id);
        assert_eq!(
            customer_by_aura_id(&pool, 1)
                .await
                .expect("read")
                .map(|c| c.name),
            Some("A renamed".into())
        );
    }
}
