//! Storage on SQLite or PostgreSQL (see `backend`): connection, migrations and repository
//! functions. Every function takes an `Ex` (the pool or a transaction) so tests and transactions
//! can use it alike. Rows become typed values here (enums through
//! `sqlx::Type`, contacts through `Json`, bookings through `TryFrom`); nothing above this module
//! parses stored text.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use domain::model::SyncStatus;

mod api;
mod attempts;
mod backend;
mod bookings;
mod changes;
mod closures;
mod copy;
mod customers;
mod dates;
mod events;
mod feeds;
mod hooks;
mod mail;
mod notices;
mod sites;
mod status;
mod users;

pub use api::*;
pub use attempts::*;
pub use backend::*;
pub use bookings::*;
pub use changes::*;
pub use closures::*;
pub use copy::*;
pub use customers::*;
pub use dates::{StoredDate, StoredInstant};
pub use events::*;
pub use feeds::*;
pub use hooks::*;
pub use mail::*;
pub use notices::*;
pub use sites::*;
pub use status::*;
pub use users::*;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sqlx(sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// A UNIQUE constraint refused the write.
    #[error("already taken: {0:?}")]
    Taken(Unique),
    /// Not done, for the reason given (e.g. copying into a database that has data).
    #[error("{0}")]
    Refused(String),
    /// A foreign key named a row that does not exist.
    #[error("a row it refers to does not exist")]
    MissingReference,
}

/// The UNIQUE constraints a person can run into: by the columns SQLite names when one fails, or
/// the constraint (or unique index) PostgreSQL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    UserEmail,
    CustomerAuraId,
    SiteName,
    BookingAuraId,
}

const UNIQUE_CONSTRAINTS: [(&str, &str, Unique); 4] = [
    (
        "bookings.aura_id",
        "bookings_aura_id_unique",
        Unique::BookingAuraId,
    ),
    ("users.email", "users_email_unique", Unique::UserEmail),
    (
        "customers.aura_customer_id",
        "customers_aura_id_unique",
        Unique::CustomerAuraId,
    ),
    (
        "sites.customer_id, sites.name",
        "sites_name_unique",
        Unique::SiteName,
    ),
];

/// The one place constraint failures are recognised; every write maps its errors through here.
impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(d) = &e {
            if d.is_unique_violation()
                && let Some((_, _, unique)) =
                    UNIQUE_CONSTRAINTS.iter().find(|(columns, constraint, _)| {
                        d.constraint() == Some(constraint) || d.message().ends_with(columns)
                    })
            {
                return DbError::Taken(*unique);
            }
            if d.is_foreign_key_violation() {
                return DbError::MissingReference;
            }
        }
        DbError::Sqlx(e)
    }
}

/// Opens the database `database_url` names (`postgres://…` or `postgresql://…`: PostgreSQL; else
/// SQLite, created if needed) and applies every migration. A failed migration is an error: the
/// server must not start on a schema it does not know.
pub async fn connect(database_url: &str) -> Result<Db, DbError> {
    if is_postgres(database_url) {
        let options = PgConnectOptions::from_str(database_url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        migrate_postgres(&pool).await?;
        return Ok(Db::Postgres(pool));
    }
    let options = SqliteConnectOptions::from_str(database_url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // Every commit reaches the disk before the next step: an attempt recorded as started
        // before AURA is called survives a power cut, not only a crash of the process.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    migrate_sqlite(&pool).await?;
    Ok(Db::Sqlite(pool))
}

/// Whether a database URL names PostgreSQL.
pub fn is_postgres(database_url: &str) -> bool {
    database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")
}

/// Opens an existing SQLite database as it is (no migrations, nothing created): for `server
/// backup` and `server migrate-to`.
pub async fn open_existing(database_url: &str) -> Result<SqlitePool, DbError> {
    let options = SqliteConnectOptions::from_str(database_url)?
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(5));
    Ok(SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?)
}

/// Proves the database takes a write (the readiness check): one row, rewritten.
pub async fn check_writable(db: &Db, now: DateTime<Utc>) -> Result<(), DbError> {
    on_db!(db, |conn, d| {
        sqlx::query(sql!(
            d,
            "INSERT INTO readiness (id, checked_at) VALUES (1, ?)
             ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at"
        ))
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected()
    })?;
    Ok(())
}

/// A consistent, compacted copy of a SQLite database at `target` (`VACUUM INTO`, one read
/// transaction: writers carry on meanwhile). Returns how many bookings the copy holds.
pub async fn back_up(pool: &SqlitePool, target: &str) -> Result<i64, DbError> {
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(pool)
        .await?;
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM bookings")
        .fetch_one(pool)
        .await?)
}

/// Applies every SQLite migration on one connection with foreign-key enforcement off (SQLite's way
/// to rebuild a table without cascading deletes), then checks every reference still holds.
pub async fn migrate_sqlite(pool: &SqlitePool) -> Result<(), DbError> {
    let mut conn = pool.acquire().await?;
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await?;
    let migrated = sqlx::migrate!("../migrations/sqlite").run(&mut *conn).await;
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *conn)
        .await?;
    migrated?;
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&mut *conn)
        .await?;
    if let Some((table,)) = broken.first() {
        return Err(DbError::Corrupt(format!(
            "after migrating, {} rows refer to missing rows (first in {table})",
            broken.len()
        )));
    }
    Ok(())
}

/// Applies every PostgreSQL migration. No advisory lock is taken (PostgreSQL-compatible distributed
/// engines have none): each migration is one transaction, so when several processes start at once
/// the ones that lose the race fail theirs, roll back, and find it applied when they try again.
pub async fn migrate_postgres(pool: &PgPool) -> Result<(), DbError> {
    let mut migrator = sqlx::migrate!("../migrations/postgres");
    migrator.set_locking(false);
    let mut tries = 0;
    loop {
        match migrator.run(pool).await {
            Ok(()) => return Ok(()),
            Err(e) if tries < 5 => {
                tries += 1;
                tracing::info!("migrating raced another process ({e}); trying again");
                tokio::time::sleep(Duration::from_millis(200 * tries)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// The earliest `date_to` of a booking that may still have a window open at `at` or later: a
/// window opens no later than `date_to` and lasts at most a day, so a booking whose `date_to` is a
/// day or more before `at` has nothing left by then.
pub(crate) fn window_end_margin(at: DateTime<Utc>) -> DateTime<Utc> {
    at.checked_sub_signed(chrono::Duration::days(1))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

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
}

/// `WHERE` fragment: the booking's customer is in scope (bound by `BindExt::bind_scope`).
macro_rules! in_scope {
    () => {
        "(? OR b.customer_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?)))"
    };
}

/// `WHERE` fragment: the booking's status is one of a list (bound by `BindExt::bind_statuses`).
macro_rules! status_in {
    () => {
        "b.status IN (SELECT value FROM json_each(?))"
    };
}

/// `WHERE` fragment: shown on the calendar and the upcoming list: an active status, or one of
/// `SyncStatus::UNTIL_ACKNOWLEDGED` not yet acknowledged (two `bind_statuses`, in that order).
macro_rules! shown {
    () => {
        "(b.status IN (SELECT value FROM json_each(?))
          OR (b.status IN (SELECT value FROM json_each(?)) AND b.acknowledged_at IS NULL))"
    };
}

/// `WHERE` fragment: needs a person (bound by `BindExt::bind_attention`).
/// A booking whose change is stuck (AURA holds it and its new version) needs a person too.
macro_rules! needs_attention {
    () => {
        "((b.status IN (SELECT value FROM json_each(?))
          AND (b.acknowledged_at IS NULL OR b.status NOT IN (SELECT value FROM json_each(?))))
          OR EXISTS (SELECT 1 FROM booking_changes stuck
                     WHERE stuck.booking_id = b.id AND stuck.status = 'stuck'))"
    };
}

pub(crate) use {in_scope, needs_attention, shown, status_in};

/// Binds for the fragments above: SQLite has no array parameters, so lists travel as JSON.
pub trait BindExt: Sized {
    fn bind_json(self, json: String) -> Self;
    fn bind_flag(self, flag: bool) -> Self;

    fn bind_scope(self, scope: &CustomerScope) -> Self {
        let ids = match scope {
            CustomerScope::All => Vec::new(),
            CustomerScope::Only(ids) => ids.clone(),
        };
        self.bind_flag(matches!(scope, CustomerScope::All))
            .bind_json(serde_json::Value::from(ids).to_string())
    }

    fn bind_statuses(self, statuses: &[SyncStatus]) -> Self {
        let keys: Vec<&str> = statuses.iter().map(|s| s.key()).collect();
        self.bind_json(serde_json::Value::from(keys).to_string())
    }

    /// Binds `shown!()`.
    fn bind_shown(self) -> Self {
        self.bind_statuses(&SyncStatus::ACTIVE)
            .bind_statuses(&SyncStatus::UNTIL_ACKNOWLEDGED)
    }

    /// Binds `needs_attention!()`.
    fn bind_attention(self) -> Self {
        self.bind_statuses(&SyncStatus::NEEDS_ATTENTION)
            .bind_statuses(&SyncStatus::UNTIL_ACKNOWLEDGED)
    }
}

impl<'q, DB: sqlx::Database, O> BindExt for sqlx::query::QueryAs<'q, DB, O, DB::Arguments<'q>>
where
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    fn bind_json(self, json: String) -> Self {
        self.bind(json)
    }
    fn bind_flag(self, flag: bool) -> Self {
        self.bind(flag)
    }
}

impl<'q, DB: sqlx::Database, O> BindExt for sqlx::query::QueryScalar<'q, DB, O, DB::Arguments<'q>>
where
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    fn bind_json(self, json: String) -> Self {
        self.bind(json)
    }
    fn bind_flag(self, flag: bool) -> Self {
        self.bind(flag)
    }
}

impl<'q, DB: sqlx::Database> BindExt for sqlx::query::Query<'q, DB, DB::Arguments<'q>>
where
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    fn bind_json(self, json: String) -> Self {
        self.bind(json)
    }
    fn bind_flag(self, flag: bool) -> Self {
        self.bind(flag)
    }
}

/// The environment variable naming a PostgreSQL server (a `postgres://` URL whose user may create
/// databases) that the tests run on, each in a database of its own; unset, they run on SQLite.
pub const TEST_POSTGRES_ENV: &str = "AURA_TEST_POSTGRES";

/// Creates an empty database with a new name on the PostgreSQL server `server_url` names, and
/// returns its URL: for tests, which each take one (the test cluster is thrown away whole).
pub async fn create_test_database(server_url: &str) -> Result<String, DbError> {
    use sqlx::{Connection, Executor};
    let name = format!("aura_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(server_url).await?;
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    conn.close().await?;
    let mut url = url::Url::parse(server_url)
        .map_err(|e| DbError::Refused(format!("test server URL: {e}")))?;
    url.set_path(&name);
    Ok(url.to_string())
}

#[cfg(test)]
pub(crate) mod test_support {
    use chrono::{DateTime, Utc};
    use sqlx::SqlitePool;
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    use std::str::FromStr;

    use super::Db;
    use super::{CustomerFacts, NewBooking, upsert_customer};
    use crate::zone::Zone;
    use chrono::{NaiveDate, NaiveTime, Weekday};
    use domain::{ArmedPreference, Contact, Location, Repeat, Schedule, ServiceType};

    /// A throwaway database with the real migrations: in memory on SQLite, or a new database on
    /// the PostgreSQL server `AURA_TEST_POSTGRES` names when it is set (`scripts/test` runs the
    /// suite both ways).
    pub async fn fresh() -> Db {
        match std::env::var(super::TEST_POSTGRES_ENV) {
            Ok(server) => fresh_postgres(&server).await,
            Err(_) => {
                let pool = empty().await;
                super::migrate_sqlite(&pool).await.expect("migrate");
                Db::Sqlite(pool)
            }
        }
    }

    /// A throwaway database with the real migrations and several connections (WAL on SQLite, as
    /// the server runs it), for what must hold under concurrency. A SQLite file is left in the
    /// temp dir.
    pub async fn fresh_shared() -> Db {
        match std::env::var(super::TEST_POSTGRES_ENV) {
            Ok(server) => fresh_postgres(&server).await,
            Err(_) => {
                let path =
                    std::env::temp_dir().join(format!("aura-test-{}.db", uuid::Uuid::new_v4()));
                super::connect(&format!("sqlite://{}", path.display()))
                    .await
                    .expect("connect")
            }
        }
    }

    async fn fresh_postgres(server: &str) -> Db {
        let url = super::create_test_database(server)
            .await
            .expect("create a test database");
        super::connect(&url).await.expect("connect")
    }

    /// A throwaway in-memory SQLite database with nothing in it (one connection: it is the
    /// database).
    pub async fn empty() -> SqlitePool {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .expect("url")
            .foreign_keys(true);
        SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .expect("connect")
    }

    pub fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-26T12:00:00Z")
            .expect("time")
            .with_timezone(&Utc)
    }

    pub fn london() -> Zone {
        "Europe/London".parse().expect("zone")
    }

    pub async fn customer(pool: &Db, name: &str, aura_id: i64) -> i64 {
        let facts = CustomerFacts {
            name: name.into(),
            aura_customer_id: aura_id,
            default_timezone: london(),
        };
        upsert_customer(pool, &facts, now())
            .await
            .expect("customer")
            .id
    }

    pub fn new_booking(customer_id: i64, key: &str) -> NewBooking {
        let d = |day| NaiveDate::from_ymd_opt(2026, 12, day).expect("date");
        NewBooking {
            customer_id,
            site_id: None,
            idempotency_key: key.into(),
            service_type: ServiceType::Patrol,
            name: "Night patrol".into(),
            special_instructions: Some("Check doors".into()),
            number_of_guards: 2,
            armed_preference: ArmedPreference::Unarmed,
            contacts: vec![Contact {
                name: "Ann".into(),
                mobile: "+447700900123".into(),
            }],
            location: Location {
                address: Some("1 High St".into()),
                coordinates: Some((51.5, -0.12)),
            },
            zone: london(),
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
            pair_role: None,
        }
    }
}
