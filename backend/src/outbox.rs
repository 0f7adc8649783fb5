//! Sending to AURA: every booking and every cancellation is first saved as an intent (the
//! booking's status), then sent by whoever claims it first — the request that made it, at once, or
//! the background worker, later, with exponential backoff. A claim is a lease in the database, so
//! several processes can share the work and one that dies leaves nothing stuck.
//!
//! Each attempt ends in exactly one of AURA's three kinds of failure, or success, and is recorded
//! with its history entry in one transaction:
//! - not delivered → sent again later (a cancel is asked meanwhile: cancelled here, AURA never had it);
//! - refused → final, with AURA's message;
//! - outcome unknown → `unknown`, never sent again until a person has checked with AURA.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, watch};

use crate::aura::{AuraError, CancelOutcome, Created, create_body_for};
use crate::db::{self, Actor, Booking, CancelResult, CustomerScope, Lease, SendResult, Work};
use crate::error::ServerError;
use crate::present::instant_label;
use crate::state::AppState;
use domain::check_timing;
use domain::model::{EventKind, SyncStatus};

/// How the worker paces itself.
#[derive(Debug, Clone)]
pub struct SendPolicy {
    /// This process's name in leases (unique per process).
    pub owner: String,
    /// The first retry waits about this long; each further one twice as long...
    pub retry_base: Duration,
    /// ... up to this.
    pub retry_max: Duration,
    /// How long a claim holds: renewed just before each call, longer than any call can take.
    pub lease: Duration,
    /// The longest one call to AURA may take (the request and, after a 401, a new token and the
    /// request again); past it the call counts as sent without an answer.
    pub call_limit: Duration,
    /// The worker looks for due work at least this often.
    pub poll: Duration,
}

impl SendPolicy {
    /// A policy for a process whose AURA calls time out after `aura_timeout`.
    pub fn new(aura_timeout: Duration, retry_base: Duration, retry_max: Duration) -> Self {
        SendPolicy {
            owner: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            retry_base,
            retry_max: retry_max.max(retry_base),
            lease: aura_timeout * 4 + Duration::from_secs(5),
            call_limit: aura_timeout * 3 + Duration::from_secs(1),
            poll: Duration::from_secs(30),
        }
    }

    /// When to try again after `attempts` attempts: exponential, with ±20 % jitter so retries from
    /// many bookings spread out, and never sooner than AURA asked.
    pub fn retry_at(
        &self,
        now: DateTime<Utc>,
        attempts: i64,
        asked: Option<Duration>,
    ) -> DateTime<Utc> {
        let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        let backoff = self
            .retry_base
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.retry_max);
        let jittered = backoff.mul_f64(0.8 + 0.4 * fastrand::f64());
        let wait = asked.map_or(jittered, |a| a.max(jittered));
        later(now, wait)
    }
}

/// The sending side of the process: its policy and the bell that wakes the worker.
pub struct Outbox {
    pub policy: SendPolicy,
    wake: Notify,
}

impl Outbox {
    pub fn new(policy: SendPolicy) -> Self {
        Outbox {
            policy,
            wake: Notify::new(),
        }
    }

    /// New work was saved: the worker looks now rather than at its next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

fn aura() -> Actor {
    Actor::system("AURA")
}

fn dashboard() -> Actor {
    Actor::system("Dashboard")
}

/// Who asked for a booking's cancellation: the cancellation is theirs once AURA confirms it.
fn requester(booking: &Booking) -> Actor {
    booking.cancellation.as_ref().map_or_else(aura, |c| Actor {
        name: c.by.clone(),
        user_id: None,
        on_behalf_of: c.on_behalf_of.clone(),
    })
}

/// One claim on one booking: its own owner token (process name and a random part, so a late
/// answer from an earlier claim by the same process can never pass for this one) and expiry.
struct Claim {
    owner: String,
    until: DateTime<Utc>,
}

impl Claim {
    fn new(state: &AppState, now: DateTime<Utc>) -> Claim {
        let policy = &state.outbox.policy;
        Claim {
            owner: format!("{}/{}", policy.owner, uuid::Uuid::new_v4().simple()),
            until: later(now, policy.lease),
        }
    }

    fn lease(&self) -> Lease<'_> {
        Lease {
            owner: &self.owner,
            until: self.until,
        }
    }
}

/// `now + wait`, saturating at a day (no overflow whatever AURA asks for).
fn later(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    let wait = chrono::Duration::from_std(wait.min(Duration::from_secs(86_400)))
        .unwrap_or(chrono::Duration::days(1));
    now.checked_add_signed(wait).unwrap_or(now)
}

async fn load(state: &AppState, id: i64) -> Result<Booking, ServerError> {
    db::booking_in_scope(&state.db, &CustomerScope::All, id)
        .await?
        .ok_or_else(|| ServerError::internal(format!("claimed booking {id} vanished")))
}

/// Right before a call: a token in hand (fetching one sends nothing), then the claim renewed for a
/// full lease, so the call — bounded by `call_limit` — ends well inside it. `Err` when no token
/// could be had (not delivered); `Ok(false)` when the claim was taken over meanwhile (send nothing).
async fn ready_to_call(
    state: &AppState,
    id: i64,
    claim: &mut Claim,
) -> Result<Result<bool, AuraError>, ServerError> {
    if let Err(e) = state.aura.check_token().await {
        return Ok(Err(e));
    }
    claim.until = later(Utc::now(), state.outbox.policy.lease);
    if !db::renew_lease(&state.db, id, claim.lease()).await? {
        tracing::warn!(
            booking = id,
            "claim was taken over before calling AURA; nothing sent"
        );
        return Ok(Ok(false));
    }
    Ok(Ok(true))
}

/// A call to AURA that cannot outlive its claim: past `call_limit` it counts as sent without an
/// answer.
async fn within_limit<T>(
    state: &AppState,
    call: impl std::future::Future<Output = Result<T, AuraError>>,
) -> Result<T, AuraError> {
    let limit = state.outbox.policy.call_limit;
    tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
        Err(AuraError::OutcomeUnknown(format!(
            "no answer within {} s",
            limit.as_secs()
        )))
    })
}

/// Sends booking `id`'s create or cancel now, on its own task: a person who closes the page
/// (dropping the request) does not cut the call short. The result is `send_create`'s or
/// `send_cancel`'s.
pub async fn send_now(
    state: &AppState,
    work: Work,
    id: i64,
) -> Result<Option<(i64, SyncStatus)>, ServerError> {
    let state = state.clone();
    tokio::spawn(async move {
        match work {
            Work::Create => send_create(&state, Some(id)).await,
            Work::Cancel => send_cancel(&state, Some(id)).await,
        }
    })
    .await
    .unwrap_or_else(|e| Err(ServerError::internal(format!("sending task failed: {e}"))))
}

/// Claims and sends the next create that is due (or only booking `only`). Returns the booking and
/// the status it was left in, or `None` when there was nothing to claim.
pub async fn send_create(
    state: &AppState,
    only: Option<i64>,
) -> Result<Option<(i64, SyncStatus)>, ServerError> {
    let now = Utc::now();
    let mut claim = Claim::new(state, now);
    let Some(id) = db::claim(&state.db, Work::Create, claim.lease(), now, only).await? else {
        return Ok(None);
    };
    let booking = load(state, id).await?;
    let tz = booking.zone.tz();
    // Checked again before every attempt: AURA refuses a request whose first window is near.
    if let Err(v) = check_timing(&booking.schedule, tz, now) {
        let reason = format!(
            "Not sent: {} Nothing was sent to AURA.",
            v.message().trim_end_matches('.')
        );
        let result = SendResult::Lapsed { reason: &reason };
        let status = finish_send(state, &booking, &claim, &result, now).await?;
        return Ok(Some((id, status)));
    }
    let Some(slug) = state.services.slug(booking.service_type) else {
        let reason = format!(
            "Not sent: {} is no longer offered by this dashboard. Nothing was sent to AURA.",
            booking.service_type.label()
        );
        let result = SendResult::Lapsed { reason: &reason };
        return Ok(Some((
            id,
            finish_send(state, &booking, &claim, &result, now).await?,
        )));
    };
    let answer = match ready_to_call(state, id, &mut claim).await? {
        Ok(true) => within_limit(state, state.aura.create(slug, &create_body_for(&booking))).await,
        Ok(false) => return Ok(Some((id, load(state, id).await?.status))),
        Err(no_token) => Err(no_token),
    };
    let at = Utc::now().max(now);
    let status = match answer {
        Ok(created) => {
            let (next_occurrence, ours) = next_occurrence_of(&booking, &created, at);
            let result = SendResult::Confirmed {
                aura_id: &created.id,
                next_occurrence,
                ours,
            };
            finish_send(state, &booking, &claim, &result, at).await?
        }
        Err(AuraError::Refused { status, message }) => {
            tracing::info!(booking = id, status, %message, "AURA refused a booking");
            let result = SendResult::Refused { message: &message };
            finish_send(state, &booking, &claim, &result, at).await?
        }
        Err(e @ AuraError::NotDelivered(_)) => {
            tracing::warn!(booking = id, error = %e, "booking not delivered to AURA; will retry");
            let retry_at = state
                .outbox
                .policy
                .retry_at(at, booking.attempts, e.retry_after());
            let reason = e.to_string();
            let result = SendResult::NotDelivered {
                reason: &reason,
                retry_at,
            };
            finish_send(state, &booking, &claim, &result, at).await?
        }
        Err(e @ AuraError::OutcomeUnknown(_)) => {
            tracing::error!(booking = id, error = %e, "AURA may hold a booking: outcome unknown, a person must check");
            let reason = e.to_string();
            let result = SendResult::Unknown { reason: &reason };
            finish_send(state, &booking, &claim, &result, at).await?
        }
    };
    // Work is left (a retry, or a cancel to send): the worker re-plans its sleep.
    if matches!(status, SyncStatus::NotSent | SyncStatus::Cancelling) {
        state.outbox.wake();
    }
    Ok(Some((id, status)))
}

/// AURA's next window, or our own computation when its answer did not say (the reference shape).
fn next_occurrence_of(
    booking: &Booking,
    created: &Created,
    now: DateTime<Utc>,
) -> (Option<DateTime<Utc>>, bool) {
    match created.next_occurrence {
        Some(given) => (given, false),
        None => (
            booking.schedule.next_occurrence(booking.zone.tz(), now),
            true,
        ),
    }
}

/// Records a create attempt and its history together. If the claim was lost meanwhile (it took
/// longer than the lease), the answer is not thrown away: a confirmation still settles a booking
/// that is waiting to be checked, and any other answer is kept in the history for the person.
async fn finish_send(
    state: &AppState,
    booking: &Booking,
    claim: &Claim,
    result: &SendResult<'_>,
    at: DateTime<Utc>,
) -> Result<SyncStatus, ServerError> {
    let id = booking.id;
    let tz = booking.zone.tz();
    let mut tx = state.db.begin().await?;
    let Some(status) = db::finish_send(&mut tx, id, &claim.owner, result, at).await? else {
        let late = describe_send(result, tz);
        let settled = match result {
            SendResult::Confirmed {
                aura_id,
                next_occurrence,
                ..
            } => {
                let finding = db::Finding::Held {
                    aura_id,
                    next_occurrence: *next_occurrence,
                };
                db::resolve_unknown(&mut tx, id, &finding, at).await?
            }
            _ => None,
        };
        let detail = match settled {
            Some(_) => format!("AURA's answer came late, but settles it: {late}"),
            None => {
                tracing::error!(
                    booking = id,
                    "late answer from AURA after the booking was handed on: {late}"
                );
                format!(
                    "This answer came after the booking was handed on, so it changed nothing; check it against AURA: {late}"
                )
            }
        };
        let kind = if settled.is_some() {
            EventKind::Confirmed
        } else {
            EventKind::LateAnswer
        };
        db::add_event(&mut tx, id, at, kind, &aura(), &detail).await?;
        tx.commit().await?;
        let now = load(state, id).await?;
        return Ok(now.status);
    };
    let (kind, actor) = match result {
        SendResult::Confirmed { .. } => (EventKind::Confirmed, aura()),
        SendResult::NotDelivered { .. } => (EventKind::NotSent, dashboard()),
        SendResult::Refused { .. } => (EventKind::Rejected, aura()),
        SendResult::Unknown { .. } => (EventKind::OutcomeUnknown, dashboard()),
        SendResult::Lapsed { .. } => (EventKind::Lapsed, dashboard()),
    };
    let mut detail = describe_send(result, tz);
    match status {
        SyncStatus::Cancelling => {
            detail.push_str(" A cancel was asked meanwhile; it is being sent to AURA now.");
        }
        SyncStatus::Unknown if booking.cancellation.is_some() => {
            detail.push_str(
                " A cancel was asked meanwhile; it will be sent once someone confirms AURA has it.",
            );
        }
        _ => {}
    }
    db::add_event(&mut tx, id, at, kind, &actor, &detail).await?;
    if status == SyncStatus::Cancelled {
        db::add_event(
            &mut tx,
            id,
            at,
            EventKind::CancelledLocally,
            &dashboard(),
            "It never reached AURA, so the cancel asked for is done here: nothing is scheduled.",
        )
        .await?;
    }
    tx.commit().await?;
    Ok(status)
}

fn describe_send(result: &SendResult<'_>, tz: &chrono_tz::Tz) -> String {
    match result {
        SendResult::Confirmed {
            aura_id,
            next_occurrence,
            ours,
        } => {
            let next = match (next_occurrence, ours) {
                (Some(n), false) => format!(" First window opens {}.", instant_label(*n, tz)),
                (Some(n), true) => format!(
                    " First window opens {} (computed by the dashboard: AURA's answer did not say).",
                    instant_label(*n, tz)
                ),
                (None, _) => String::new(),
            };
            format!("AURA id {aura_id}.{next}")
        }
        SendResult::NotDelivered { reason, retry_at } => format!(
            "{reason}. AURA does not have it; trying again at {}.",
            instant_label(*retry_at, tz)
        ),
        SendResult::Refused { message } => (*message).to_string(),
        SendResult::Unknown { reason } => format!(
            "{reason}. AURA may have scheduled it, so it will not be sent again until someone checks with AURA."
        ),
        SendResult::Lapsed { reason } => (*reason).to_string(),
    }
}

/// Claims and sends the next cancel that is due (or only booking `only`).
pub async fn send_cancel(
    state: &AppState,
    only: Option<i64>,
) -> Result<Option<(i64, SyncStatus)>, ServerError> {
    let now = Utc::now();
    let mut claim = Claim::new(state, now);
    let Some(id) = db::claim(&state.db, Work::Cancel, claim.lease(), now, only).await? else {
        return Ok(None);
    };
    let booking = load(state, id).await?;
    let aura_id = booking.aura_id.clone().unwrap_or_default();
    let answer = match ready_to_call(state, id, &mut claim).await? {
        Ok(true) => within_limit(state, state.aura.cancel(&aura_id)).await,
        Ok(false) => return Ok(Some((id, load(state, id).await?.status))),
        Err(no_token) => Err(no_token),
    };
    let at = Utc::now().max(now);
    let tz = booking.zone.tz();
    // A cancel is safe to repeat (409 = already cancelled), so "not delivered" and "no usable
    // answer" both mean: try again.
    let error_text = answer
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default();
    let (result, kind, actor, detail) = match &answer {
        Ok(outcome) => (
            CancelResult::Done,
            EventKind::Cancelled,
            requester(&booking),
            match outcome {
                CancelOutcome::Cancelled => "AURA confirmed the cancellation.",
                CancelOutcome::AlreadyCancelled => "AURA had it cancelled already (409).",
            }
            .to_string(),
        ),
        Err(AuraError::Refused { message, .. }) => (
            CancelResult::Refused { message },
            EventKind::CancelRefused,
            aura(),
            message.clone(),
        ),
        Err(e) => {
            tracing::warn!(booking = id, error = %e, "cancel not confirmed by AURA; will retry");
            let retry_at = state
                .outbox
                .policy
                .retry_at(at, booking.attempts, e.retry_after());
            let detail = format!(
                "{error_text}. AURA still holds the booking until it confirms; trying again at {}.",
                instant_label(retry_at, tz)
            );
            (
                CancelResult::Retry {
                    reason: &error_text,
                    retry_at,
                    outcome_unknown: matches!(e, AuraError::OutcomeUnknown(_)),
                },
                EventKind::CancelFailed,
                dashboard(),
                detail,
            )
        }
    };
    let mut tx = state.db.begin().await?;
    let status = db::finish_cancel(&mut tx, id, &claim.owner, &result, at).await?;
    let (kind, detail) = match status {
        Some(SyncStatus::Unknown) => (
            kind,
            format!(
                "{detail} An earlier cancel got no usable answer, so AURA may have cancelled it \
                 then: someone checks with AURA whether it still holds the booking."
            ),
        ),
        Some(SyncStatus::Confirmed) => (
            kind,
            format!("{detail} The booking is still scheduled at AURA."),
        ),
        Some(_) => (kind, detail),
        None => (
            EventKind::LateAnswer,
            format!("This answer came after another attempt took over: {detail}"),
        ),
    };
    db::add_event(&mut tx, id, at, kind, &actor, &detail).await?;
    tx.commit().await?;
    if status == Some(SyncStatus::Cancelling) {
        state.outbox.wake();
    }
    Ok(Some((id, status.unwrap_or(booking.status))))
}

/// Turns every create attempt whose lease expired mid-call into `unknown`, with its history.
pub async fn expire_stale(state: &AppState) -> Result<usize, ServerError> {
    let now = Utc::now();
    let reason = "The dashboard stopped or stalled while sending this to AURA";
    let mut tx = state.db.begin().await?;
    let ids = db::expire_sending(&mut tx, reason, now).await?;
    for id in &ids {
        db::add_event(
            &mut tx,
            *id,
            now,
            EventKind::OutcomeUnknown,
            &dashboard(),
            &format!(
                "{reason}, so whether AURA has it is not known. It will not be sent again until someone checks with AURA."
            ),
        )
        .await?;
    }
    tx.commit().await?;
    for id in &ids {
        tracing::error!(
            booking = id,
            "a send was interrupted: outcome unknown, a person must check"
        );
    }
    Ok(ids.len())
}

/// One pass: stale claims first, then every due create and cancel, one at a time. Returns how many
/// calls were made.
async fn drain(state: &AppState, stop: &watch::Receiver<bool>) -> Result<usize, ServerError> {
    expire_stale(state).await?;
    let mut sent = 0;
    loop {
        if *stop.borrow() {
            return Ok(sent);
        }
        let created = send_create(state, None).await?;
        if *stop.borrow() {
            return Ok(sent + usize::from(created.is_some()));
        }
        let cancelled = send_cancel(state, None).await?;
        match (created, cancelled) {
            (None, None) => return Ok(sent),
            (c, x) => sent += usize::from(c.is_some()) + usize::from(x.is_some()),
        }
    }
}

/// The background worker: sends what is due, sleeps until the next thing is due (or it is woken,
/// or the poll interval passes), and stops between calls once `stop` turns true. A call under way
/// when asked to stop is finished and recorded first.
pub async fn run_worker(state: AppState, mut stop: watch::Receiver<bool>) {
    tracing::info!(owner = %state.outbox.policy.owner, "sending worker started");
    loop {
        if *stop.borrow() {
            break;
        }
        let wait = match drain(&state, &stop).await {
            Ok(_) => match db::next_due(&state.db).await {
                Ok(Some(due)) => (due - Utc::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .clamp(Duration::from_millis(50), state.outbox.policy.poll),
                Ok(None) => state.outbox.policy.poll,
                Err(e) => {
                    tracing::warn!("sending worker: {e}");
                    Duration::from_secs(5)
                }
            },
            Err(e) => {
                tracing::warn!("sending worker: {e}");
                Duration::from_secs(5)
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = state.outbox.wake.notified() => {}
            _ = stop.changed() => {}
        }
    }
    tracing::info!("sending worker stopped");
}
