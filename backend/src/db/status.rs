//! Every change of a booking's status, each one conditional `UPDATE` that names the statuses it
//! starts from, so two processes (or a person and the worker) can never both apply a change. Each
//! returns the status it left the booking in, or `None` when the booking was not in a state the
//! change applies to. Callers write the matching history entry in the same transaction, after
//! the update (a transaction that starts by writing waits for the lock instead of failing).
//!
//! The sending worker's claim is a lease (owner and expiry) stored in the row, not a flag in
//! memory: any number of processes may share the database, and one that dies mid-call leaves a
//! lease that expires.

use chrono::{DateTime, NaiveDate, Utc};

use super::{
    Actor, BindExt, DbError, Dialect, Ex, StoredDate, StoredInstant, on_db, sql, status_in,
};
use domain::lifecycle::{CancelOutcome, Checked, RESCHEDULE, SendOutcome, SyncStatus};

/// Which kind of call a claim is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// `POST /scheduled/{type}`: bookings saved or not yet delivered.
    Create,
    /// `DELETE /scheduled/{id}`: bookings cancelling.
    Cancel,
}

/// A claim on one booking for one call to AURA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease<'a> {
    pub owner: &'a str,
    pub until: DateTime<Utc>,
}

/// Claims the next booking due for `work` (or only booking `only`), returning its id. A create
/// claim moves the booking to `sending` in the same statement: the attempt is recorded as started
/// before AURA is called, so after a crash it is known that it may have been sent.
pub async fn claim(
    ex: impl Into<Ex<'_>>,
    work: Work,
    lease: Lease<'_>,
    now: DateTime<Utc>,
    only: Option<i64>,
) -> Result<Option<i64>, DbError> {
    let (from, to): (&[SyncStatus], SyncStatus) = match work {
        Work::Create => (&SyncStatus::TO_SEND, SyncStatus::Sending),
        Work::Cancel => (&[SyncStatus::Cancelling], SyncStatus::Cancelling),
    };
    /// The claim, with PostgreSQL's row lock where `$lock` goes; the lease is checked again on the
    /// row being updated, so a row another process claimed meanwhile is never taken twice.
    macro_rules! claim_sql {
        ($lock:literal) => {
            concat!(
                "UPDATE bookings SET status = ?, lease_owner = ?, lease_until = ?,
                    attempts = attempts + 1, updated_at = ?
                 WHERE id = (SELECT b.id FROM bookings b WHERE ",
                status_in!(),
                " AND (b.next_attempt_at IS NULL OR b.next_attempt_at <= ?)
                      AND (b.lease_until IS NULL OR b.lease_until < ?)
                      AND (? IS NULL OR b.id = ?)
                    ORDER BY b.next_attempt_at, b.id LIMIT 1",
                $lock,
                ")
                 AND (lease_until IS NULL OR lease_until < ?)
                 RETURNING id"
            )
        };
    }
    on_db!(ex, |conn, d| {
        let text = match d {
            // One writer at a time: the subquery and the update see the same rows.
            Dialect::Sqlite => sql!(d, claim_sql!("")),
            // Several processes claim at once: each skips the rows another is claiming.
            Dialect::Postgres => sql!(d, claim_sql!(" FOR UPDATE SKIP LOCKED")),
        };
        sqlx::query_scalar(text)
            .bind(to)
            .bind(lease.owner)
            .bind(lease.until)
            .bind(now)
            .bind_statuses(from)
            .bind(now)
            .bind(now)
            .bind(only)
            .bind(only)
            .bind(now)
            .fetch_optional(conn)
            .await?
    })
}

/// Bookings whose create attempt started under a lease that has expired (its process died or hung
/// mid-call) become `unknown`: AURA may have them. Returns their ids.
pub async fn expire_sending(
    ex: impl Into<Ex<'_>>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_scalar(sql!(
        d,
        "UPDATE bookings SET status = ?, sync_error = ?, lease_owner = NULL, lease_until = NULL,
            updated_at = ?
         WHERE status = ? AND lease_until < ?
         RETURNING id"
    ))
    .bind(SyncStatus::Unknown)
    .bind(reason)
    .bind(now)
    .bind(SyncStatus::Sending)
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// What a create attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum SendResult<'a> {
    /// AURA holds it: confirmed, or `cancelling` when a cancel was asked meanwhile.
    Confirmed {
        aura_id: &'a str,
        next_occurrence: Option<DateTime<Utc>>,
        ours: bool,
    },
    /// It did not reach AURA: sent again at `retry_at`, or cancelled if a cancel was asked (every
    /// attempt so far is known not to have reached AURA).
    NotDelivered {
        reason: &'a str,
        retry_at: DateTime<Utc>,
    },
    Refused {
        message: &'a str,
    },
    Unknown {
        reason: &'a str,
    },
    /// Its first window passed before it could be sent: not sent (or cancelled, if asked).
    Lapsed {
        reason: &'a str,
    },
}

impl SendResult<'_> {
    /// Its class, as the lifecycle knows it.
    pub fn outcome(&self) -> SendOutcome {
        match self {
            SendResult::Confirmed { .. } => SendOutcome::Confirmed,
            SendResult::NotDelivered { .. } => SendOutcome::NotDelivered,
            SendResult::Refused { .. } => SendOutcome::Refused,
            SendResult::Unknown { .. } => SendOutcome::Unknown,
            SendResult::Lapsed { .. } => SendOutcome::Lapsed,
        }
    }
}

/// Records a create attempt's result, if `owner` still holds the booking's `sending` lease: the
/// status it leaves is the lifecycle's ([`SendOutcome::leaves`]).
pub async fn finish_send(
    ex: impl Into<Ex<'_>>,
    id: i64,
    owner: &str,
    result: &SendResult<'_>,
    now: DateTime<Utc>,
) -> Result<Option<SyncStatus>, DbError> {
    let (plain, wished) = result.outcome().leaves();
    // (aura id, next occurrence, ours, error, retry)
    let (aura_id, next, ours, error, retry_at) = match result {
        SendResult::Confirmed {
            aura_id,
            next_occurrence,
            ours,
        } => (Some(*aura_id), *next_occurrence, *ours, None, Some(now)),
        SendResult::NotDelivered { reason, retry_at } => {
            (None, None, false, Some(*reason), Some(*retry_at))
        }
        SendResult::Refused { message: reason }
        | SendResult::Unknown { reason }
        | SendResult::Lapsed { reason } => (None, None, false, Some(*reason), None),
    };
    on_db!(ex, |conn, d| {
        sqlx::query_scalar(sql!(d, "UPDATE bookings SET
            status = CASE WHEN cancel_requested_at IS NULL THEN ? ELSE ? END,
            cancelled_at = CASE WHEN cancel_requested_at IS NOT NULL AND ? = 'cancelled' THEN ? END,
            aura_id = COALESCE(?, aura_id), next_occurrence = ?, next_occurrence_ours = ?,
            sync_error = ?, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
         WHERE id = ? AND status = ? AND lease_owner = ?
         RETURNING status"))
    .bind(plain)
    .bind(wished)
    .bind(wished)
    .bind(now)
    .bind(aura_id)
    .bind(next.map(StoredInstant))
    .bind(ours)
    .bind(error)
    .bind(retry_at)
    .bind(now)
    .bind(id)
    .bind(SyncStatus::Sending)
    .bind(owner)
    .fetch_optional(conn).await?
    })
}

/// What a cancel attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum CancelResult<'a> {
    /// AURA cancelled it (or had it cancelled already).
    Done,
    /// No confirmation yet (not delivered, or no usable answer: a cancel is safe to repeat).
    Retry {
        reason: &'a str,
        retry_at: DateTime<Utc>,
        /// The call went out without a usable answer: AURA may have cancelled it.
        outcome_unknown: bool,
    },
    /// AURA refused: the booking stays confirmed and the cancel request is withdrawn — unless an
    /// earlier attempt's outcome was unknown (AURA may have cancelled it then): `unknown`, with
    /// the wish kept, for a person to check.
    Refused { message: &'a str },
}

impl CancelResult<'_> {
    /// Its class, as the lifecycle knows it.
    pub fn outcome(&self) -> CancelOutcome {
        match self {
            CancelResult::Done => CancelOutcome::Done,
            CancelResult::Retry { .. } => CancelOutcome::NoAnswer,
            CancelResult::Refused { .. } => CancelOutcome::Refused,
        }
    }
}

/// Records a cancel attempt's result, if `owner` still holds the booking's lease: the status it
/// leaves is the lifecycle's ([`CancelOutcome::leaves`]).
pub async fn finish_cancel(
    ex: impl Into<Ex<'_>>,
    id: i64,
    owner: &str,
    result: &CancelResult<'_>,
    now: DateTime<Utc>,
) -> Result<Option<SyncStatus>, DbError> {
    on_db!(ex, |conn, d| {
        let query = match result {
            CancelResult::Done => sqlx::query_scalar(sql!(
                d,
                "UPDATE bookings SET status = ?, cancelled_at = ?, next_occurrence = NULL, sync_error = NULL,
                    next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL, updated_at = ?
                 WHERE id = ? AND status = ? AND lease_owner = ? RETURNING status"
            ))
            .bind(CancelOutcome::Done.leaves(false))
            .bind(now)
            .bind(now),
            CancelResult::Retry {
                reason,
                retry_at,
                outcome_unknown,
            } => sqlx::query_scalar(sql!(
                d,
                "UPDATE bookings SET status = ?, sync_error = ?, next_attempt_at = ?,
                    cancel_outcome_unknown = (cancel_outcome_unknown OR ?), lease_owner = NULL,
                    lease_until = NULL, updated_at = ?
                 WHERE id = ? AND status = ? AND lease_owner = ? RETURNING status"
            ))
            .bind(CancelOutcome::NoAnswer.leaves(false))
            .bind(*reason)
            .bind(*retry_at)
            .bind(*outcome_unknown)
            .bind(now),
            CancelResult::Refused { message } => sqlx::query_scalar(sql!(
                d,
                "UPDATE bookings SET
                    status = CASE WHEN cancel_outcome_unknown THEN ? ELSE ? END,
                    sync_error = ?,
                    cancel_requested_at = CASE WHEN cancel_outcome_unknown THEN cancel_requested_at END,
                    cancel_reason = CASE WHEN cancel_outcome_unknown THEN cancel_reason END,
                    cancelled_by = CASE WHEN cancel_outcome_unknown THEN cancelled_by END,
                    cancelled_by_user_id = CASE WHEN cancel_outcome_unknown THEN cancelled_by_user_id END,
                    cancelled_on_behalf_of = CASE WHEN cancel_outcome_unknown THEN cancelled_on_behalf_of END,
                    cancelled_via = CASE WHEN cancel_outcome_unknown THEN cancelled_via END,
                    removed_occurrences = CASE WHEN cancel_outcome_unknown THEN removed_occurrences END,
                    cancel_outcome_unknown = FALSE, next_attempt_at = NULL, lease_owner = NULL,
                    lease_until = NULL, updated_at = ?
                 WHERE id = ? AND status = ? AND lease_owner = ? RETURNING status"
            ))
            .bind(CancelOutcome::Refused.leaves(true))
            .bind(CancelOutcome::Refused.leaves(false))
            .bind(*message)
            .bind(now),
        };
        query
            .bind(id)
            .bind(SyncStatus::Cancelling)
            .bind(owner)
            .fetch_optional(conn)
            .await?
    })
}

/// A wish to cancel: why, who, when, and how many future windows it removes.
pub struct CancelRequest<'a> {
    pub reason: &'a str,
    pub by: &'a Actor,
    pub at: DateTime<Utc>,
    pub removed_occurrences: i64,
}

/// Records a wish to cancel, as the lifecycle says ([`SyncStatus::on_cancel_wish`]). What it does
/// depends on what AURA holds:
/// - confirmed → `cancelling` (the cancel is sent to AURA);
/// - saved, not yet sent, lapsed → `cancelled` here (AURA is known never to have had it);
/// - sending, unknown → the wish is kept and applied once the outcome is known.
///
/// Returns the status it left, or `None` if the booking cannot be cancelled (already cancelled
/// or asked, refused by AURA).
pub async fn request_cancel(
    ex: impl Into<Ex<'_>>,
    id: i64,
    c: &CancelRequest<'_>,
) -> Result<Option<SyncStatus>, DbError> {
    // Known never to have reached AURA: cancelled here at once.
    let never_sent = SyncStatus::NEVER_SENT;
    on_db!(ex, |conn, d| sqlx::query_scalar(sql!(
        d,
        concat!(
            "UPDATE bookings AS b SET
            status = CASE
                WHEN b.status = ? THEN ?
                WHEN ",
            status_in!(),
            " THEN ?
                ELSE b.status END,
            cancelled_at = CASE WHEN ",
            status_in!(),
            " THEN ? END,
            next_occurrence = CASE WHEN ",
            status_in!(),
            " THEN NULL
                ELSE b.next_occurrence END,
            next_attempt_at = CASE WHEN b.status = ? THEN ? ELSE b.next_attempt_at END,
            cancel_requested_at = ?, cancel_reason = ?, cancelled_by = ?, cancelled_by_user_id = ?,
            cancelled_on_behalf_of = ?, cancelled_via = ?, removed_occurrences = ?,
            cancel_outcome_unknown = FALSE,
            updated_at = ?
         WHERE b.id = ? AND b.cancel_requested_at IS NULL AND ",
            status_in!(),
            " RETURNING status"
        )
    ))
    .bind(SyncStatus::Confirmed)
    .bind(SyncStatus::Cancelling)
    .bind_statuses(&never_sent)
    .bind(SyncStatus::Cancelled)
    .bind_statuses(&never_sent)
    .bind(c.at)
    .bind_statuses(&never_sent)
    .bind(SyncStatus::Confirmed)
    .bind(c.at)
    .bind(c.at)
    .bind(c.reason)
    .bind(&c.by.name)
    .bind(c.by.user_id)
    .bind(&c.by.on_behalf_of)
    .bind(c.by.channel)
    .bind(c.removed_occurrences)
    .bind(c.at)
    .bind(id)
    .bind_statuses(&SyncStatus::CANCELLABLE)
    .fetch_optional(conn)
    .await?)
}

/// A person checked with AURA about a booking whose outcome was unknown.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding<'a> {
    /// AURA has it, under this id: confirmed (or `cancelling`, if a cancel was asked).
    Held {
        aura_id: &'a str,
        next_occurrence: Option<DateTime<Utc>>,
    },
    /// AURA does not have it: sent again (or cancelled here, if a cancel was asked).
    NotHeld,
}

impl Finding<'_> {
    /// Its class, as the lifecycle knows it.
    pub fn checked(&self) -> Checked {
        match self {
            Finding::Held { .. } => Checked::Held,
            Finding::NotHeld => Checked::NotHeld,
        }
    }
}

/// Records what a person found at AURA about a booking whose outcome was unknown: the status it
/// leaves is the lifecycle's ([`Checked::leaves`]).
pub async fn resolve_unknown(
    ex: impl Into<Ex<'_>>,
    id: i64,
    finding: &Finding<'_>,
    now: DateTime<Utc>,
) -> Result<Option<SyncStatus>, DbError> {
    let (plain, wished) = finding.checked().leaves();
    let (aura_id, next, ours) = match finding {
        Finding::Held {
            aura_id,
            next_occurrence,
        } => (Some(*aura_id), *next_occurrence, true),
        Finding::NotHeld => (None, None, false),
    };
    on_db!(ex, |conn, d| sqlx::query_scalar(sql!(
        d,
        "UPDATE bookings SET
            status = CASE WHEN cancel_requested_at IS NULL THEN ? ELSE ? END,
            cancelled_at = CASE WHEN cancel_requested_at IS NOT NULL AND ? = 'cancelled' THEN ? END,
            aura_id = ?, next_occurrence = ?, next_occurrence_ours = ?, sync_error = NULL,
            cancel_outcome_unknown = FALSE, next_attempt_at = ?, updated_at = ?
         WHERE id = ? AND status = ?
         RETURNING status"
    ))
    .bind(plain)
    .bind(wished)
    .bind(wished)
    .bind(now)
    .bind(aura_id)
    .bind(next.map(StoredInstant))
    .bind(ours)
    .bind(now)
    .bind(now)
    .bind(id)
    .bind(SyncStatus::Unknown)
    .fetch_optional(conn)
    .await?)
}

/// A lapsed repeating booking sent again from a later first date.
pub async fn reschedule_lapsed(
    ex: impl Into<Ex<'_>>,
    id: i64,
    first_date: NaiveDate,
    date_from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<SyncStatus>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_scalar(sql!(
        d,
        "UPDATE bookings SET status = ?, first_date = ?, date_from = ?, sync_error = NULL,
            next_attempt_at = ?, updated_at = ?, acknowledged_at = NULL, acknowledged_by = NULL
         WHERE id = ? AND status = ? AND cancel_requested_at IS NULL
         RETURNING status"
    ))
    .bind(RESCHEDULE.1)
    .bind(StoredDate(first_date))
    .bind(StoredInstant(date_from))
    .bind(now)
    .bind(now)
    .bind(id)
    .bind(RESCHEDULE.0)
    .fetch_optional(conn)
    .await?)
}

/// Extends a claim just before calling AURA, if `owner` still holds it. A claim that was taken
/// over (its booking handed to a person as `unknown`, which clears the owner) sends nothing.
pub async fn renew_lease(
    ex: impl Into<Ex<'_>>,
    id: i64,
    lease: Lease<'_>,
) -> Result<bool, DbError> {
    let renewed: Option<i64> = on_db!(ex, |conn, d| sqlx::query_scalar(sql!(
        d,
        "UPDATE bookings SET lease_until = ? WHERE id = ? AND lease_owner = ? RETURNING id"
    ))
    .bind(lease.until)
    .bind(id)
    .bind(lease.owner)
    .fetch_optional(conn)
    .await?)?;
    Ok(renewed.is_some())
}

/// When the next booking becomes due for the worker (to sleep until then).
pub async fn next_due(ex: impl Into<Ex<'_>>) -> Result<Option<DateTime<Utc>>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_scalar(sql!(
        d,
        concat!(
            "SELECT MIN(COALESCE(b.lease_until, b.next_attempt_at)) FROM bookings b WHERE ",
            status_in!()
        )
    ))
    .bind_statuses(&[
        SyncStatus::Saved,
        SyncStatus::NotSent,
        SyncStatus::Sending,
        SyncStatus::Cancelling,
    ])
    .fetch_one(conn)
    .await?)
}

/// Whether any of bookings `ids` is claimed right now (a call to AURA for it is under way, by
/// this process or another).
pub async fn any_claimed(
    ex: impl Into<Ex<'_>>,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let ids = serde_json::Value::from(ids.to_vec()).to_string();
    let n: i64 = on_db!(ex, |conn, d| sqlx::query_scalar(sql!(
        d,
        "SELECT COUNT(*) FROM bookings
         WHERE id IN (SELECT CAST(value AS BIGINT) FROM json_each(?)) AND lease_until > ?"
    ))
    .bind(ids)
    .bind(now)
    .fetch_one(conn)
    .await?)?;
    Ok(n > 0)
}
