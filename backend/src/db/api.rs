//! The public API's storage: keys (only their hash), requests per key per minute (the rate limit
//! every process shares) and the answers kept under an `Idempotency-Key`.

use chrono::{DateTime, Utc};

use super::{BindExt, CustomerScope, DbError, Ex, on_db, sql};
use domain::api::Scope;

/// A key to store: what `keys::create` made, with only the hash of its secret.
pub struct NewKey<'a> {
    pub customer_id: i64,
    pub name: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub scopes: &'a [Scope],
    pub created_by: &'a str,
    pub created_by_user_id: Option<i64>,
    pub expires_at: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

pub async fn insert_key(ex: impl Into<Ex<'_>>, key: &NewKey<'_>) -> Result<i64, DbError> {
    on_db!(ex, |conn, d| sqlx::query_scalar(sql!(
        d,
        "INSERT INTO api_keys (customer_id, name, prefix, key_hash, scopes, created_by,
            created_by_user_id, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
    ))
    .bind(key.customer_id)
    .bind(key.name)
    .bind(key.prefix)
    .bind(key.key_hash)
    .bind(Scope::join(key.scopes))
    .bind(key.created_by)
    .bind(key.created_by_user_id)
    .bind(key.at)
    .bind(key.expires_at)
    .fetch_one(conn)
    .await?)
}

/// A stored key, as pages list it and as a request presenting it is checked.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct KeyRow {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub aura_customer_id: i64,
    pub name: String,
    pub prefix: String,
    /// `read,book`: read with [`KeyRow::scopes`].
    pub scopes: String,
    pub created_by: String,
    pub created_by_user_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl KeyRow {
    /// Its scopes (a word a later version stored and this one does not know grants nothing).
    pub fn scopes(&self) -> Vec<Scope> {
        self.scopes
            .split(',')
            .filter_map(|w| w.parse().ok())
            .collect()
    }

    /// Whether it may be used at `now`: not revoked, not expired (to the second).
    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|end| now < end)
    }
}

macro_rules! select_keys {
    ($($rest:tt)*) => {
        concat!(
            "SELECT k.id, k.customer_id, c.name AS customer_name,
                c.aura_customer_id AS aura_customer_id, k.name, k.prefix, k.scopes, k.created_by,
                k.created_by_user_id, k.created_at, k.expires_at, k.last_used_at, k.revoked_at
             FROM api_keys k JOIN customers c ON c.id = k.customer_id ",
            $($rest)*
        )
    };
}

/// The key whose secret hashes to `key_hash`, whatever its state.
pub async fn key_by_hash(ex: impl Into<Ex<'_>>, key_hash: &str) -> Result<Option<KeyRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, KeyRow>(sql!(
        d,
        select_keys!("WHERE k.key_hash = ?")
    ))
    .bind(key_hash)
    .fetch_optional(conn)
    .await?)
}

/// Every key of the customers in `scope`, newest first.
pub async fn keys_of(ex: impl Into<Ex<'_>>, scope: &CustomerScope) -> Result<Vec<KeyRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, KeyRow>(sql!(
        d,
        select_keys!(
            "WHERE (? OR k.customer_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?)))
             ORDER BY k.id DESC"
        )
    ))
    .bind_scope(scope)
    .fetch_all(conn)
    .await?)
}

pub async fn key_by_id(ex: impl Into<Ex<'_>>, id: i64) -> Result<Option<KeyRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, KeyRow>(sql!(
        d,
        select_keys!("WHERE k.id = ?")
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Revokes a key; `false` if it was already revoked.
pub async fn revoke_key(
    ex: impl Into<Ex<'_>>,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"
    ))
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Counts a request of key `key_id` in the minute `now` falls in and, on its first request of a
/// minute, marks the key used; returns the minute's count so far (this request included).
/// Earlier minutes are forgotten.
pub async fn count_request(
    ex: impl Into<Ex<'_>>,
    key_id: i64,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let minute = now.timestamp().div_euclid(60);
    on_db!(ex, |conn, d| {
        let count: i64 = sqlx::query_scalar(sql!(
            d,
            "INSERT INTO api_usage (key_id, minute, count) VALUES (?, ?, 1)
             ON CONFLICT (key_id, minute) DO UPDATE SET count = api_usage.count + 1
             RETURNING count"
        ))
        .bind(key_id)
        .bind(minute)
        .fetch_one(&mut *conn)
        .await?;
        if count == 1 {
            // The first request of a minute: the key's earlier minutes are done with, and its
            // last use is worth writing (at most once a minute per key).
            sqlx::query(sql!(
                d,
                "DELETE FROM api_usage WHERE key_id = ? AND minute < ?"
            ))
            .bind(key_id)
            .bind(minute)
            .execute(&mut *conn)
            .await?;
            sqlx::query(sql!(d, "UPDATE api_keys SET last_used_at = ? WHERE id = ?"))
                .bind(now)
                .bind(key_id)
                .execute(&mut *conn)
                .await?;
        }
        count
    })
}

/// What is kept under an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct KeptAnswer {
    pub request_hash: String,
    /// 0 while the first request is still being answered.
    pub status: i64,
    pub location: Option<String>,
    pub body: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What claiming an `Idempotency-Key` found.
#[derive(Debug, Clone, PartialEq)]
pub enum IdemClaim {
    /// Claimed now: answer the request.
    Claimed,
    /// Used before: what was kept.
    Kept(KeptAnswer),
    /// Taken and gone again between two statements (a stale claim released): try again.
    Vanished,
}

/// Claims `idem_key` for a request whose body hashes to `request_hash`. Answers kept from before
/// `forget_before` are forgotten first, every key's (a revoked key's too).
pub async fn claim_idempotency(
    ex: impl Into<Ex<'_>>,
    key_id: i64,
    idem_key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
    forget_before: DateTime<Utc>,
) -> Result<IdemClaim, DbError> {
    on_db!(ex, |conn, d| {
        sqlx::query(sql!(d, "DELETE FROM api_idempotency WHERE created_at < ?"))
            .bind(forget_before)
            .execute(&mut *conn)
            .await?;
        let claimed: Option<i64> = sqlx::query_scalar(sql!(
            d,
            "INSERT INTO api_idempotency (key_id, idem_key, request_hash, status, created_at)
             VALUES (?, ?, ?, 0, ?) ON CONFLICT (key_id, idem_key) DO NOTHING RETURNING status"
        ))
        .bind(key_id)
        .bind(idem_key)
        .bind(request_hash)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        match claimed {
            Some(_) => IdemClaim::Claimed,
            None => sqlx::query_as::<_, KeptAnswer>(sql!(
                d,
                "SELECT request_hash, status, location, body, created_at FROM api_idempotency
                 WHERE key_id = ? AND idem_key = ?"
            ))
            .bind(key_id)
            .bind(idem_key)
            .fetch_optional(&mut *conn)
            .await?
            .map_or(IdemClaim::Vanished, IdemClaim::Kept),
        }
    })
}

/// Keeps the answer given under `idem_key`.
pub async fn keep_answer(
    ex: impl Into<Ex<'_>>,
    key_id: i64,
    idem_key: &str,
    status: u16,
    location: Option<&str>,
    body: &str,
) -> Result<(), DbError> {
    on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE api_idempotency SET status = ?, location = ?, body = ?
         WHERE key_id = ? AND idem_key = ?"
    ))
    .bind(i64::from(status))
    .bind(location)
    .bind(body)
    .bind(key_id)
    .bind(idem_key)
    .execute(conn)
    .await?
    .rows_affected())?;
    Ok(())
}

/// Lets `idem_key` be used again: its request came to nothing worth repeating (a failure of
/// ours), or its claim of `claimed_at` was abandoned. Only that claim is released, never one taken
/// since.
pub async fn release_idempotency(
    ex: impl Into<Ex<'_>>,
    key_id: i64,
    idem_key: &str,
    claimed_at: Option<DateTime<Utc>>,
) -> Result<(), DbError> {
    on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "DELETE FROM api_idempotency WHERE key_id = ? AND idem_key = ? AND status = 0
            AND (? IS NULL OR created_at = ?)"
    ))
    .bind(key_id)
    .bind(idem_key)
    .bind(claimed_at)
    .bind(claimed_at)
    .execute(conn)
    .await?
    .rows_affected())?;
    Ok(())
}
