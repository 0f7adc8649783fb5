//! Sign-in attempts as the throttle counts them (`sign_in_attempts`): one row per attempt and scope
//! (account, address, account and address, everyone, a person's password change).

use std::time::Duration;

use super::{BindExt, Db, DbError};
use super::{on_db, sql};

/// A limit on one scope: its key, how many attempts, in how long a window.
pub type AttemptLimit = (String, usize, Duration);

/// What counting an attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counted {
    /// Under every limit: recorded under this attempt id, in every scope.
    Recorded(String),
    /// At a limit: nothing recorded. For each full limit, the oldest attempt that keeps it full
    /// (milliseconds since the epoch) and the limit's window.
    Full { oldest: Vec<(i64, Duration)> },
}

/// Counts an attempt against `limits` at `now_ms`, forgetting attempts at or before
/// `forget_before_ms`, in one transaction that starts by writing the one `sign_in_gate` row
/// (SQLite's write lock; a row lock on PostgreSQL): attempts made at the same moment, here or in
/// another process on the same database, are counted one after another, so together they never
/// pass a limit. `new_id` names the attempt when it is recorded.
pub async fn count_attempts(
    db: &Db,
    limits: &[AttemptLimit],
    forget_before_ms: i64,
    now_ms: i64,
    new_id: impl FnOnce() -> String,
) -> Result<Counted, DbError> {
    let mut tx = db.begin().await?;
    let counted = on_db!(&mut tx, |conn, d| {
        sqlx::query(sql!(
            d,
            "UPDATE sign_in_gate SET turns = turns + 1 WHERE id = 1"
        ))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        sqlx::query(sql!(d, "DELETE FROM sign_in_attempts WHERE at_ms <= ?"))
            .bind(forget_before_ms)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        let mut oldest = Vec::new();
        for (key, limit, window) in limits {
            // The attempts in the window, newest first, up to the limit.
            let recent: Vec<i64> = sqlx::query_scalar(sql!(
                d,
                "SELECT at_ms FROM sign_in_attempts WHERE scope_key = ? AND at_ms > ?
                 ORDER BY at_ms DESC LIMIT ?"
            ))
            .bind(key)
            .bind(now_ms - millis(*window))
            .bind(i64::try_from(*limit).unwrap_or(i64::MAX))
            .fetch_all(&mut *conn)
            .await?;
            if recent.len() >= *limit
                && let Some(at) = recent.last()
            {
                oldest.push((*at, *window));
            }
        }
        if oldest.is_empty() {
            let attempt = new_id();
            for (key, _, _) in limits {
                sqlx::query(sql!(
                    d,
                    "INSERT INTO sign_in_attempts (attempt, scope_key, at_ms) VALUES (?, ?, ?)"
                ))
                .bind(&attempt)
                .bind(key)
                .bind(now_ms)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            }
            Counted::Recorded(attempt)
        } else {
            // Refused attempts are not counted.
            Counted::Full { oldest }
        }
    })?;
    tx.commit().await?;
    Ok(counted)
}

/// Forgets every attempt under `keys`, and every scope's row of `attempt`: one statement.
pub async fn forget_attempts(
    db: &Db,
    keys: &[String],
    attempt: Option<&str>,
) -> Result<(), DbError> {
    on_db!(db, |conn, d| sqlx::query(sql!(
        d,
        "DELETE FROM sign_in_attempts
         WHERE scope_key IN (SELECT value FROM json_each(?)) OR attempt = ?"
    ))
    .bind_json(key_list(keys))
    .bind(attempt)
    .execute(conn)
    .await?
    .rows_affected())?;
    Ok(())
}

/// Forgets every attempt under `keys` and under every key starting with `prefix`: one statement.
pub async fn lift_attempts(db: &Db, keys: &[String], prefix: &str) -> Result<(), DbError> {
    on_db!(db, |conn, d| sqlx::query(sql!(
        d,
        "DELETE FROM sign_in_attempts
         WHERE scope_key IN (SELECT value FROM json_each(?)) OR substr(scope_key, 1, ?) = ?"
    ))
    .bind_json(key_list(keys))
    // An INTEGER, as PostgreSQL's substr takes it.
    .bind(i32::try_from(prefix.len()).unwrap_or(i32::MAX))
    .bind(prefix)
    .execute(conn)
    .await?
    .rows_affected())?;
    Ok(())
}

/// Keys as one parameter (SQLite has no array parameters: a list travels as JSON).
fn key_list(keys: &[String]) -> String {
    serde_json::Value::from(keys.to_vec()).to_string()
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
