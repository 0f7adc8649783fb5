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

mod cancel;
mod changes;
mod create;
mod worker;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::aura::wire::{CreateScheduledRequest, ServiceCatalog};
use crate::aura::{AuraClient, AuraError, CancelOutcome, Created};
use crate::db::{self, Actor, Booking, CustomerScope, Db, Lease, Work};
use crate::error::ServerError;
use domain::model::SyncStatus;

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

/// What sending needs from AURA: a token, a create, a cancel. [`AuraClient`] over HTTP in the
/// dashboard; a scripted fake in the worker's unit tests.
pub trait Aura: Send + Sync + 'static {
    /// A usable token in hand (fetching one sends no booking).
    fn check_token(&self) -> impl Future<Output = Result<(), AuraError>> + Send;
    /// `POST /scheduled/{service}`.
    fn create(
        &self,
        service: &str,
        body: &CreateScheduledRequest,
    ) -> impl Future<Output = Result<Created, AuraError>> + Send;
    /// `DELETE /scheduled/{aura_id}`.
    fn cancel(
        &self,
        aura_id: &str,
    ) -> impl Future<Output = Result<CancelOutcome, AuraError>> + Send;
}

impl Aura for AuraClient {
    fn check_token(&self) -> impl Future<Output = Result<(), AuraError>> + Send {
        AuraClient::check_token(self)
    }

    fn create(
        &self,
        service: &str,
        body: &CreateScheduledRequest,
    ) -> impl Future<Output = Result<Created, AuraError>> + Send {
        AuraClient::create(self, service, body)
    }

    fn cancel(
        &self,
        aura_id: &str,
    ) -> impl Future<Output = Result<CancelOutcome, AuraError>> + Send {
        AuraClient::cancel(self, aura_id)
    }
}

/// The time sending goes by: every timestamp it records and every "is it due" it asks.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The real time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Everything sending needs and nothing more: storage, AURA, the clock, the services the dashboard
/// offers (their AURA names), and this process's outbox (policy and bell). The request that saved
/// a booking and the background worker send through the same one.
pub struct Sender<A, C = SystemClock> {
    pub db: Db,
    pub aura: Arc<A>,
    pub clock: Arc<C>,
    pub services: Arc<ServiceCatalog>,
    pub outbox: Arc<Outbox>,
}

impl<A, C> Clone for Sender<A, C> {
    fn clone(&self) -> Self {
        Sender {
            db: self.db.clone(),
            aura: self.aura.clone(),
            clock: self.clock.clone(),
            services: self.services.clone(),
            outbox: self.outbox.clone(),
        }
    }
}

/// What one send came to: the booking and the status it was left in; `None` when nothing was due.
pub type Sent = Option<(i64, SyncStatus)>;

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
        // Their wish, carried out once AURA answered: it came through their door.
        channel: c.via.unwrap_or(domain::api::Channel::Worker),
    })
}

/// One claim on one booking: its own owner token (process name and a random part, so a late
/// answer from an earlier claim by the same process can never pass for this one) and expiry.
struct Claim {
    owner: String,
    until: DateTime<Utc>,
}

impl Claim {
    fn new(policy: &SendPolicy, now: DateTime<Utc>) -> Claim {
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
/// How long a worker (AURA calls, mail, webhooks) rests after a pass: until the next piece of work
/// is due (`next`; at least 50 ms, at most `poll`), or 5 s when the pass or the look-up failed
/// (logged, naming the worker).
pub(crate) fn rest_after(
    worker: &str,
    next: Result<Option<DateTime<Utc>>, String>,
    now: DateTime<Utc>,
    poll: Duration,
) -> Duration {
    match next {
        Ok(Some(due)) => (due - now)
            .to_std()
            .unwrap_or(Duration::ZERO)
            .clamp(Duration::from_millis(50), poll),
        Ok(None) => poll,
        Err(e) => {
            tracing::warn!("{worker}: {e}");
            Duration::from_secs(5)
        }
    }
}

pub(crate) fn later(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    let wait = chrono::Duration::from_std(wait.min(Duration::from_secs(86_400)))
        .unwrap_or(chrono::Duration::days(1));
    now.checked_add_signed(wait).unwrap_or(now)
}

impl<A: Aura, C: Clock> Sender<A, C> {
    async fn load(&self, id: i64) -> Result<Booking, ServerError> {
        db::booking_in_scope(&self.db, &CustomerScope::All, id)
            .await?
            .ok_or_else(|| ServerError::internal(format!("claimed booking {id} vanished")))
    }

    /// Right before a call: a token in hand (fetching one sends nothing), then the claim renewed for a
    /// full lease, so the call — bounded by `call_limit` — ends well inside it. `Err` when no token
    /// could be had (not delivered); `Ok(false)` when the claim was taken over meanwhile (send nothing).
    async fn ready_to_call(
        &self,
        id: i64,
        claim: &mut Claim,
    ) -> Result<Result<bool, AuraError>, ServerError> {
        if let Err(e) = self.aura.check_token().await {
            return Ok(Err(e));
        }
        claim.until = later(self.clock.now(), self.outbox.policy.lease);
        if !db::renew_lease(&self.db, id, claim.lease()).await? {
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
        &self,
        call: impl std::future::Future<Output = Result<T, AuraError>>,
    ) -> Result<T, AuraError> {
        let limit = self.outbox.policy.call_limit;
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
    pub async fn send_now(&self, work: Work, id: i64) -> Result<Sent, ServerError> {
        let sender = self.clone();
        tokio::spawn(async move {
            match work {
                Work::Create => sender.send_create(Some(id)).await,
                Work::Cancel => sender.send_cancel(Some(id)).await,
            }
        })
        .await
        .unwrap_or_else(|e| Err(ServerError::internal(format!("sending task failed: {e}"))))
    }
}
