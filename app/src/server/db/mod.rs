//! SQLite storage: connection, migrations and repository functions. Every function takes an
//! executor so tests and transactions can use it alike. Rows become typed values here (enums through
//! `sqlx::Type`, contacts through `Json`, bookings through `TryFrom`); nothing above this module
//! parses stored text.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};

use crate::model::SyncStatus;

mod bookings;
mod customers;
mod dates;
mod events;
mod feeds;
mod sites;
mod status;
mod users;

pub use bookings::*;
pub use customers::*;
pub use dates::{StoredDate, StoredInstant};
pub use events::*;
pub use feeds::*;
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
    /// A foreign key named a row that does not exist.
    #[error("a row it refers to does not exist")]
    MissingReference,
}

/// The UNIQUE constraints a person can run into, by the columns SQLite names when one fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    UserEmail,
    CustomerAuraId,
    SiteName,
    BookingAuraId,
}

const UNIQUE_COLUMNS: [(&str, Unique); 4] = [
    ("bookings.aura_id", Unique::BookingAuraId),
    ("users.email", Unique::UserEmail),
    ("customers.aura_customer_id", Unique::CustomerAuraId),
    ("sites.customer_id, sites.name", Unique::SiteName),
];

/// The one place constraint failures are recognised; every write maps its errors through here.
impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(d) = &e {
            if d.is_unique_violation()
                && let Some((_, unique)) = UNIQUE_COLUMNS
                    .iter()
                    .find(|(columns, _)| d.message().ends_with(columns))
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

/// Opens (creating if needed) the database with WAL and foreign keys, and applies every migration.
/// A failed migration is an error: the server must not start on a schema it does not know.
pub async fn connect(database_url: &str) -> Result<SqlitePool, DbError> {
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
    migrate(&pool).await?;
    Ok(pool)
}

/// Opens an existing database as it is (no migrations, nothing created): for `server backup`.
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
pub async fn check_writable(pool: &SqlitePool, now: DateTime<Utc>) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO readiness (id, checked_at) VALUES (1, ?)
         ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
    )
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// A consistent, compacted copy of the database at `target` (`VACUUM INTO`, one read
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

/// Applies every migration on one connection with foreign-key enforcement off (SQLite's way to
/// rebuild a table without cascading deletes), then checks every reference still holds.
pub async fn migrate(pool: &SqlitePool) -> Result<(), DbError> {
    let mut conn = pool.acquire().await?;
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await?;
    let migrated = sqlx::migrate!("../migrations").run(&mut *conn).await;
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
        "(? OR b.customer_id IN (SELECT value FROM json_each(?)))"
    };
}

/// `WHERE` fragment: the booking's status is one of a list (bound by `BindExt::bind_statuses`).
macro_rules! status_in {
    () => {
        "b.status IN (SELECT value FROM json_each(?))"
    };
}

pub(crate) use {in_scope, status_in};

/// Binds for the fragments above: SQLite has no array parameters, so lists travel as JSON.
pub(crate) trait BindExt<'q>: Sized {
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
}

impl<'q, O> BindExt<'q> for sqlx::query::QueryAs<'q, Sqlite, O, sqlx::sqlite::SqliteArguments<'q>> {
    fn bind_json(self, json: String) -> Self {
        self.bind(json)
    }
    fn bind_flag(self, flag: bool) -> Self {
        self.bind(flag)
    }
}

impl<'q, O> BindExt<'q>
    for sqlx::query::QueryScalar<'q, Sqlite, O, sqlx::sqlite::SqliteArguments<'q>>
{
    fn bind_json(self, json: String) -> Self {
        self.bind(json)
    }
    fn bind_flag(self, flag: bool) -> Self {
        self.bind(flag)
    }
}

impl<'q> BindExt<'q> for sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    fn bind_json(self, json: String) -> Self {
        self.bind(json)
    }
    fn bind_flag(self, flag: bool) -> Self {
        self.bind(flag)
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use chrono::{DateTime, Utc};
    use sqlx::SqlitePool;
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    use std::str::FromStr;

    /// A throwaway in-memory database with the real migrations.
    pub async fn fresh() -> SqlitePool {
        let pool = empty().await;
        super::migrate(&pool).await.expect("migrate");
        pool
    }

    /// A throwaway database file with the real migrations and several connections (WAL, as the
    /// server runs it), for what must hold under concurrency. The file is left in the temp dir.
    pub async fn fresh_shared() -> SqlitePool {
        let path = std::env::temp_dir().join(format!("aura-test-{}.db", uuid::Uuid::new_v4()));
        super::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("connect")
    }

    /// A throwaway in-memory database with nothing in it (one connection: it is the database).
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
}
