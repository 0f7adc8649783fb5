//! Private calendar feeds: one per person, found by the SHA-256 of its secret (the secret itself is
//! never stored).

use chrono::{DateTime, Utc};

use super::{DbError, Ex, on_db, sql};

/// A person's feed as their account page shows it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FeedRow {
    pub created_at: DateTime<Utc>,
    pub last_read_at: Option<DateTime<Utc>>,
}

/// `WHERE` fragment: the feed was issued under its person's current session epoch. Whatever ends
/// every session of a person (a password change or reset, a role change, disabling) ends the feed.
macro_rules! current_epoch {
    () => {
        "session_epoch = (SELECT u.session_epoch FROM users u WHERE u.id = calendar_feeds.user_id)"
    };
}

/// Gives `user_id` a feed with this secret's hash, replacing any earlier one (whose address then
/// stops working).
pub async fn replace_feed(
    ex: impl Into<Ex<'_>>,
    user_id: i64,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    // Issued under the person's current session epoch (see `read_feed`).
    on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "INSERT INTO calendar_feeds (user_id, token_hash, created_at, session_epoch)
         SELECT id, ?, ?, session_epoch FROM users WHERE id = ?
         ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash,
            created_at = excluded.created_at, session_epoch = excluded.session_epoch,
            last_read_at = NULL"
    ))
    .bind(token_hash)
    .bind(now)
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected())?;
    Ok(())
}

/// Ends `user_id`'s feed; whether there was one.
pub async fn delete_feed(ex: impl Into<Ex<'_>>, user_id: i64) -> Result<bool, DbError> {
    Ok(on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "DELETE FROM calendar_feeds WHERE user_id = ?"
    ))
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected())?
        > 0)
}

pub async fn feed_of_user(ex: impl Into<Ex<'_>>, user_id: i64) -> Result<Option<FeedRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, FeedRow>(sql!(
        d,
        concat!(
            "SELECT created_at, last_read_at FROM calendar_feeds WHERE user_id = ? AND ",
            current_epoch!()
        )
    ))
    .bind(user_id)
    .fetch_optional(conn)
    .await?)
}

/// The person whose feed has this secret's hash, noting that it was read.
pub async fn read_feed(
    ex: impl Into<Ex<'_>>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_scalar(sql!(
        d,
        concat!(
            "UPDATE calendar_feeds SET last_read_at = ? WHERE token_hash = ? AND ",
            current_epoch!(),
            " RETURNING user_id"
        )
    ))
    .bind(now)
    .bind(token_hash)
    .fetch_optional(conn)
    .await?)
}
