//! Mail to send (`mail_outbox`), claimed by the sending worker under a lease as AURA calls are:
//! any number of processes share the work, one that dies mid-send leaves a lease that expires and
//! the mail is sent again under the same Message-ID. Also what the built-in catcher caught, password
//! resets, the dashboard's own secrets and AURA's reachability.

use chrono::{DateTime, Utc};

use super::{DbError, Dialect, Ex, Lease, on_db, sql};
pub use domain::notify::{MailKind, MailStatus};

pub struct NewMail<'a> {
    pub user_id: i64,
    pub to: &'a str,
    pub kind: MailKind,
    pub notification_id: Option<i64>,
    pub reset_id: Option<i64>,
    /// The digest's day, days since 1970-01-01 in the person's zone.
    pub digest_date: Option<i64>,
    /// Unique per mail, from what it is about: the Message-ID's local part.
    pub message_key: &'a str,
    /// A reset link's token, kept only until the mail is sent.
    pub token: Option<&'a str>,
    pub due: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

/// Writes a mail to send; `None` when one with the same key exists (the same digest asked twice).
pub async fn enqueue_mail(
    ex: impl Into<Ex<'_>>,
    mail: &NewMail<'_>,
) -> Result<Option<i64>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_scalar(sql!(
        d,
        "INSERT INTO mail_outbox (user_id, to_address, kind, notification_id, reset_id, digest_date,
            message_id, token, status, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
         ON CONFLICT (message_id) DO NOTHING RETURNING id"
    ))
    .bind(mail.user_id)
    .bind(mail.to)
    .bind(mail.kind)
    .bind(mail.notification_id)
    .bind(mail.reset_id)
    .bind(mail.digest_date)
    .bind(mail.message_key)
    .bind(mail.token)
    .bind(mail.due)
    .bind(mail.at)
    .fetch_optional(conn)
    .await?)
}

/// A mail as the worker sends it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MailRow {
    pub id: i64,
    pub user_id: i64,
    pub to_address: String,
    pub kind: MailKind,
    pub notification_id: Option<i64>,
    pub reset_id: Option<i64>,
    pub digest_date: Option<i64>,
    pub message_id: String,
    pub token: Option<String>,
    pub status: MailStatus,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_answer: Option<String>,
    pub subject: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

macro_rules! select_mail {
    ($($rest:tt)*) => {
        concat!(
            "SELECT id, user_id, to_address, kind, notification_id, reset_id, digest_date, message_id,
                token, status, attempts, next_attempt_at, last_answer, subject, created_at, sent_at
             FROM mail_outbox ",
            $($rest)*
        )
    };
}

/// Claims up to `limit` mails due (or only mail `only`), counting an attempt on each; the lease
/// ends before another process may take them.
pub async fn claim_mail(
    ex: impl Into<Ex<'_>>,
    lease: Lease<'_>,
    now: DateTime<Utc>,
    only: Option<i64>,
    limit: i64,
) -> Result<Vec<MailRow>, DbError> {
    macro_rules! claim_sql {
        ($lock:literal) => {
            concat!(
                "UPDATE mail_outbox SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
                 WHERE id IN (SELECT m.id FROM mail_outbox m
                    WHERE m.status = 'pending' AND m.next_attempt_at <= ?
                      AND (m.lease_until IS NULL OR m.lease_until < ?)
                      AND (? IS NULL OR m.id = ?)
                    ORDER BY m.next_attempt_at, m.id LIMIT ?",
                $lock,
                ")
                 AND (lease_until IS NULL OR lease_until < ?)
                 RETURNING id, user_id, to_address, kind, notification_id, reset_id, digest_date,
                    message_id, token, status, attempts, next_attempt_at, last_answer, subject,
                    created_at, sent_at"
            )
        };
    }
    let mut rows = on_db!(ex, |conn, d| {
        let text = match d {
            Dialect::Sqlite => sql!(d, claim_sql!("")),
            Dialect::Postgres => sql!(d, claim_sql!(" FOR UPDATE SKIP LOCKED")),
        };
        sqlx::query_as::<_, MailRow>(text)
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

/// Extends the lease on every mail `owner` still holds (a batch whose later mails would otherwise
/// outlive it).
pub async fn renew_mail_lease(
    ex: impl Into<Ex<'_>>,
    owner: &str,
    until: DateTime<Utc>,
) -> Result<u64, DbError> {
    on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE mail_outbox SET lease_until = ? WHERE lease_owner = ? AND status = 'pending'"
    ))
    .bind(until)
    .bind(owner)
    .execute(conn)
    .await?
    .rows_affected())
}

/// When the next pending mail is due (a claimed one: when its lease ends).
pub async fn next_mail_due(ex: impl Into<Ex<'_>>) -> Result<Option<DateTime<Utc>>, DbError> {
    on_db!(ex, |conn, d| {
        sqlx::query_scalar(sql!(
        d,
        "SELECT MIN(COALESCE(lease_until, next_attempt_at)) FROM mail_outbox WHERE status = 'pending'"
    ))
    .fetch_one(conn)
    .await?
    })
}

/// What one attempt to hand a mail to the SMTP server came to.
#[derive(Debug, Clone, PartialEq)]
pub enum MailResult<'a> {
    Sent {
        answer: &'a str,
    },
    /// Try again at `retry_at` (the server was down, or answered 4xx).
    Retry {
        answer: &'a str,
        retry_at: DateTime<Utc>,
    },
    /// Refused for good (5xx), or no reason to send any more.
    Failed {
        answer: &'a str,
    },
    /// Nothing to say.
    Skipped {
        why: &'a str,
    },
}

/// Records an attempt's outcome under the claim that made it; `false` when the claim was lost.
pub async fn finish_mail(
    ex: impl Into<Ex<'_>>,
    id: i64,
    owner: &str,
    subject: Option<&str>,
    result: &MailResult<'_>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let (status, answer, next, sent) = match result {
        MailResult::Sent { answer } => (MailStatus::Sent, *answer, now, Some(now)),
        MailResult::Retry { answer, retry_at } => (MailStatus::Pending, *answer, *retry_at, None),
        MailResult::Failed { answer } => (MailStatus::Failed, *answer, now, None),
        MailResult::Skipped { why } => (MailStatus::Skipped, *why, now, None),
    };
    // A token has no use once the mail is out (or will never be).
    let keep_token = status == MailStatus::Pending;
    on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE mail_outbox SET status = ?, last_answer = ?, next_attempt_at = ?,
            sent_at = COALESCE(?, sent_at), subject = COALESCE(?, subject),
            token = CASE WHEN ? THEN token ELSE NULL END,
            lease_owner = NULL, lease_until = NULL
         WHERE id = ? AND lease_owner = ?"
    ))
    .bind(status)
    .bind(answer)
    .bind(next)
    .bind(sent)
    .bind(subject)
    .bind(keep_token)
    .bind(id)
    .bind(owner)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// The delivery log: the latest mail, newest first, a page of `limit` before id `before`.
pub async fn mail_log(
    ex: impl Into<Ex<'_>>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<MailRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, MailRow>(sql!(
        d,
        select_mail!("WHERE (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?")
    ))
    .bind(before)
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// A mail the built-in catcher keeps.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CaughtMail {
    pub id: i64,
    pub message_id: String,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub headers: String,
    pub caught_at: DateTime<Utc>,
}

pub async fn catch_mail(ex: impl Into<Ex<'_>>, mail: &CaughtMail) -> Result<i64, DbError> {
    on_db!(ex, |conn, d| {
        sqlx::query_scalar(sql!(
        d,
        "INSERT INTO caught_mail (message_id, to_address, subject, text_body, html_body, headers, caught_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"
    ))
    .bind(&mail.message_id)
    .bind(&mail.to_address)
    .bind(&mail.subject)
    .bind(&mail.text_body)
    .bind(&mail.html_body)
    .bind(&mail.headers)
    .bind(mail.caught_at)
    .fetch_one(conn)
    .await?
    })
}

/// The latest caught mail, newest first.
pub async fn caught_mail(ex: impl Into<Ex<'_>>, limit: i64) -> Result<Vec<CaughtMail>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, CaughtMail>(sql!(
        d,
        "SELECT id, message_id, to_address, subject, text_body, html_body, headers, caught_at
         FROM caught_mail ORDER BY id DESC LIMIT ?"
    ))
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

pub async fn caught_mail_by_id(
    ex: impl Into<Ex<'_>>,
    id: i64,
) -> Result<Option<CaughtMail>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, CaughtMail>(sql!(
        d,
        "SELECT id, message_id, to_address, subject, text_body, html_body, headers, caught_at
         FROM caught_mail WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// A password reset: who, until when, and whether it was used.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ResetRow {
    pub id: i64,
    pub user_id: i64,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

pub async fn insert_reset(
    ex: impl Into<Ex<'_>>,
    user_id: i64,
    token_hash: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<i64, DbError> {
    on_db!(ex, |conn, d| sqlx::query_scalar(sql!(
        d,
        "INSERT INTO password_resets (user_id, token_hash, created_at, expires_at)
         VALUES (?, ?, ?, ?) RETURNING id"
    ))
    .bind(user_id)
    .bind(token_hash)
    .bind(now)
    .bind(expires)
    .fetch_one(conn)
    .await?)
}

pub async fn reset_by_hash(
    ex: impl Into<Ex<'_>>,
    token_hash: &str,
) -> Result<Option<ResetRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, ResetRow>(sql!(
        d,
        "SELECT id, user_id, expires_at, used_at FROM password_resets WHERE token_hash = ?"
    ))
    .bind(token_hash)
    .fetch_optional(conn)
    .await?)
}

pub async fn reset_by_id(ex: impl Into<Ex<'_>>, id: i64) -> Result<Option<ResetRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, ResetRow>(sql!(
        d,
        "SELECT id, user_id, expires_at, used_at FROM password_resets WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Uses a reset once: `true` only for the one caller that finds it unused and unexpired; every
/// other reset of the same person ends with it.
pub async fn use_reset(
    ex: impl Into<Ex<'_>>,
    id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    on_db!(ex, |conn, d| {
        let used = sqlx::query(sql!(
            d,
            "UPDATE password_resets SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?"
        ))
        .bind(now)
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected()
            == 1;
        if used {
            sqlx::query(sql!(
                d,
                "UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL"
            ))
            .bind(now)
            .bind(user_id)
            .execute(&mut *conn)
            .await?;
        }
        used
    })
}

/// The dashboard's own secret `name`, made from `make` the first time (by whichever process gets
/// there first: every process reads the same one).
pub async fn app_secret(
    ex: impl Into<Ex<'_>>,
    name: &str,
    make: impl FnOnce() -> String,
) -> Result<String, DbError> {
    let fresh = make();
    on_db!(ex, |conn, d| {
        sqlx::query(sql!(
            d,
            "INSERT INTO app_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"
        ))
        .bind(name)
        .bind(&fresh)
        .execute(&mut *conn)
        .await?;
        sqlx::query_scalar(sql!(d, "SELECT value FROM app_secrets WHERE name = ?"))
            .bind(name)
            .fetch_one(&mut *conn)
            .await?
    })
}

/// AURA answered (any answer that came through): the outage, if any, is over.
pub async fn aura_answered(ex: impl Into<Ex<'_>>, now: DateTime<Utc>) -> Result<(), DbError> {
    on_db!(ex, |conn, d| {
        sqlx::query(sql!(
        d,
        "UPDATE aura_health SET last_ok_at = ? WHERE id = 1 AND (last_ok_at IS NULL OR last_ok_at < ?)"
    ))
    .bind(now)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
    })?;
    Ok(())
}

/// When the current outage began, if bookings are waiting on it: the earliest failed attempt
/// since AURA last answered, among bookings still waiting to reach AURA; and whether
/// administrators were already told of this outage.
pub async fn outage(ex: impl Into<Ex<'_>>) -> Result<Option<(DateTime<Utc>, bool)>, DbError> {
    /// The earliest failed attempt since AURA last answered, and when the outage was told.
    type Since = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);
    let row: Option<Since> = on_db!(ex, |conn, d| sqlx::query_as(sql!(
        d,
        "SELECT (SELECT MIN(e.at) FROM booking_events e JOIN bookings b ON b.id = e.booking_id
                     WHERE b.status IN ('not_sent', 'cancelling')
                       AND e.kind IN ('not_sent', 'cancel_failed')
                       AND (h.last_ok_at IS NULL OR e.at > h.last_ok_at)),
                    h.alerted_at
             FROM aura_health h WHERE h.id = 1"
    ))
    .fetch_optional(conn)
    .await?)?;
    Ok(row.and_then(|(since, alerted)| {
        let since = since?;
        Some((since, alerted.is_some_and(|a| a >= since)))
    }))
}

/// Marks the outage that began at `since` as told; `true` for the one caller that does.
pub async fn mark_outage_told(
    ex: impl Into<Ex<'_>>,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    on_db!(ex, |conn, d| {
        sqlx::query(sql!(
        d,
        "UPDATE aura_health SET alerted_at = ? WHERE id = 1 AND (alerted_at IS NULL OR alerted_at < ?)"
    ))
    .bind(now)
    .bind(since)
    .execute(conn)
    .await?
    .rows_affected()
        == 1
    })
}

/// The keys of digests written for days from `first_day` on (days since 1970-01-01).
pub async fn digest_keys_since(
    ex: impl Into<Ex<'_>>,
    first_day: i64,
) -> Result<Vec<String>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_scalar(sql!(
        d,
        "SELECT message_id FROM mail_outbox WHERE kind = 'digest' AND digest_date >= ?"
    ))
    .bind(first_day)
    .fetch_all(conn)
    .await?)
}
