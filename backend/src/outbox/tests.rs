//! The sending worker against a scripted AURA and a clock the test sets: every outcome class of a
//! create and a cancel, backoff and `Retry-After`, the lead time, leases that expire mid-call and
//! the late answers that follow, cancel wishes, an unknown outcome resolved, and stopping. No HTTP;
//! the database is a fresh in-memory one (or PostgreSQL under `AURA_TEST_POSTGRES`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use tokio::sync::{Notify, watch};

use super::{Aura, Clock, Outbox, SendPolicy, Sender};
use crate::aura::wire::{CreateScheduledRequest, ServiceCatalog};
use crate::aura::{AuraError, CancelOutcome, Created, NotDelivered};
use crate::db::test_support::{customer, fresh, new_booking};
use crate::db::{
    self, Actor, Booking, CancelRequest, CustomerScope, Db, Finding, Inserted, Lease, Work,
};
use domain::model::{EventKind, SyncStatus};

/// One scripted answer: given at once, after the test opens a gate, or never.
enum Answer<T> {
    Now(Result<T, AuraError>),
    After(Arc<Notify>, Result<T, AuraError>),
    Never,
}

impl<T> Answer<T> {
    async fn give(self) -> Result<T, AuraError> {
        match self {
            Answer::Now(answer) => answer,
            Answer::After(gate, answer) => {
                gate.notified().await;
                answer
            }
            Answer::Never => std::future::pending().await,
        }
    }
}

/// AURA as a script: each create and cancel takes the next answer queued for it; a call with none
/// queued fails the test. Every call is recorded.
#[derive(Default)]
struct ScriptedAura {
    creates: Mutex<VecDeque<Answer<Created>>>,
    cancels: Mutex<VecDeque<Answer<CancelOutcome>>>,
    /// What fetching a token answers (`None`: a token is had).
    token: Mutex<Option<AuraError>>,
    calls: Mutex<Vec<String>>,
}

impl ScriptedAura {
    fn on_create(&self, answer: Answer<Created>) {
        self.creates.lock().expect("lock").push_back(answer);
    }

    fn on_cancel(&self, answer: Answer<CancelOutcome>) {
        self.cancels.lock().expect("lock").push_back(answer);
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().expect("lock").clone()
    }
}

impl Aura for ScriptedAura {
    async fn check_token(&self) -> Result<(), AuraError> {
        match self.token.lock().expect("lock").clone() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    async fn create(
        &self,
        service: &str,
        body: &CreateScheduledRequest,
    ) -> Result<Created, AuraError> {
        self.calls.lock().expect("lock").push(format!(
            "create {service} for customer {}",
            body.customer_id
        ));
        let next = self.creates.lock().expect("lock").pop_front();
        next.expect("a create AURA was not scripted to answer")
            .give()
            .await
    }

    async fn cancel(&self, aura_id: &str) -> Result<CancelOutcome, AuraError> {
        self.calls
            .lock()
            .expect("lock")
            .push(format!("cancel {aura_id}"));
        let next = self.cancels.lock().expect("lock").pop_front();
        next.expect("a cancel AURA was not scripted to answer")
            .give()
            .await
    }
}

/// A clock that moves only when the test moves it.
struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("lock") = at;
    }

    fn advance(&self, by: Duration) {
        let mut now = self.0.lock().expect("lock");
        *now += chrono::Duration::from_std(by).expect("duration");
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("lock")
    }
}

/// The moment every test starts at: well before the sample booking's first window (Friday
/// 4 December 2026, 22:00 London).
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0)
        .single()
        .expect("time")
}

fn first_window() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 22, 0, 0)
        .single()
        .expect("time")
}

const RETRY_BASE: Duration = Duration::from_secs(10);
const RETRY_MAX: Duration = Duration::from_secs(300);

struct World {
    db: Db,
    aura: Arc<ScriptedAura>,
    clock: Arc<TestClock>,
    sender: Sender<ScriptedAura, TestClock>,
    customer_aura_id: i64,
}

async fn world() -> World {
    world_with(SendPolicy::new(
        Duration::from_secs(10),
        RETRY_BASE,
        RETRY_MAX,
    ))
    .await
}

async fn world_with(policy: SendPolicy) -> World {
    let db = fresh().await;
    let aura = Arc::new(ScriptedAura::default());
    let clock = Arc::new(TestClock(Mutex::new(start())));
    let sender = Sender {
        db: db.clone(),
        aura: aura.clone(),
        clock: clock.clone(),
        services: Arc::new(ServiceCatalog::default()),
        outbox: Arc::new(Outbox::new(policy)),
    };
    World {
        db,
        aura,
        clock,
        sender,
        customer_aura_id: 5150,
    }
}

impl World {
    /// A weekly patrol saved (status `saved`), due to be sent now.
    async fn booking(&self, key: &str) -> i64 {
        let c = customer(&self.db, "Acme Storage", self.customer_aura_id).await;
        match db::insert_booking(&self.db, &new_booking(c, key), self.clock.now())
            .await
            .expect("insert")
        {
            Inserted::New(id) => id,
            Inserted::Existing(id) => panic!("booking {id} existed"),
        }
    }

    async fn load(&self, id: i64) -> Booking {
        db::booking_in_scope(&self.db, &CustomerScope::All, id)
            .await
            .expect("load")
            .expect("booking")
    }

    async fn kinds(&self, id: i64) -> Vec<EventKind> {
        db::events_of_booking(&self.db, id)
            .await
            .expect("events")
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }

    async fn last_detail(&self, id: i64) -> String {
        db::events_of_booking(&self.db, id)
            .await
            .expect("events")
            .into_iter()
            .max_by_key(|e| e.id)
            .map(|e| e.detail)
            .unwrap_or_default()
    }

    /// A booking AURA holds as `A-<id>`.
    async fn confirmed(&self, key: &str) -> i64 {
        let id = self.booking(key).await;
        self.aura
            .on_create(Answer::Now(Ok(created(&format!("A-{id}")))));
        assert_eq!(
            self.sender.send_create(Some(id)).await.expect("send"),
            Some((id, SyncStatus::Confirmed))
        );
        id
    }

    /// Starts sending booking `id` on its own task, AURA holding its answer until the returned gate
    /// is opened; returns once the call has reached AURA.
    async fn create_held(
        &self,
        id: i64,
        answer: Result<Created, AuraError>,
    ) -> (
        Arc<Notify>,
        tokio::task::JoinHandle<Result<super::Sent, crate::error::ServerError>>,
    ) {
        let gate = Arc::new(Notify::new());
        self.aura.on_create(Answer::After(gate.clone(), answer));
        let sender = self.sender.clone();
        let call = tokio::spawn(async move { sender.send_create(Some(id)).await });
        self.reached_aura().await;
        (gate, call)
    }

    /// Waits until a call has reached AURA.
    async fn reached_aura(&self) {
        while self.aura.calls().is_empty() {
            tokio::task::yield_now().await;
        }
    }

    /// Sends the next create that is due and checks the status it left `id` in.
    async fn create_leaves(&self, id: i64, status: SyncStatus) {
        assert_eq!(
            self.sender.send_create(None).await.expect("send"),
            Some((id, status))
        );
    }

    /// Sends the next cancel that is due and checks the status it left `id` in.
    async fn cancel_leaves(&self, id: i64, status: SyncStatus) {
        assert_eq!(
            self.sender.send_cancel(None).await.expect("cancel"),
            Some((id, status))
        );
    }

    async fn ask_cancel(&self, id: i64) -> Option<SyncStatus> {
        let by = Actor::system("Desk");
        let request = CancelRequest {
            reason: "No longer needed",
            by: &by,
            at: self.clock.now(),
            removed_occurrences: 0,
        };
        db::request_cancel(&self.db, id, &request)
            .await
            .expect("cancel")
    }
}

fn created(id: &str) -> Created {
    Created {
        id: id.into(),
        next_occurrence: Some(Some(first_window())),
    }
}

fn unavailable(retry_after: Option<Duration>) -> AuraError {
    AuraError::NotDelivered(NotDelivered::Unavailable {
        status: 503,
        message: "down for maintenance".into(),
        retry_after,
    })
}

fn refused(message: &str) -> AuraError {
    AuraError::Refused {
        status: 400,
        message: message.into(),
    }
}

fn unknown() -> AuraError {
    AuraError::OutcomeUnknown("the connection dropped mid-answer".into())
}

fn seconds_between(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_milliseconds() as f64 / 1000.0
}

#[tokio::test]
async fn a_confirmed_create_records_auras_id_and_first_window() {
    let w = world().await;
    let id = w.booking("k").await;
    w.aura.on_create(Answer::Now(Ok(created("A-1"))));
    let sent = w.sender.send_create(None).await.expect("send");
    assert_eq!(sent, Some((id, SyncStatus::Confirmed)));
    let b = w.load(id).await;
    assert_eq!(b.aura_id.as_deref(), Some("A-1"));
    assert_eq!(b.next_occurrence, Some(first_window()));
    assert!(!b.next_occurrence_ours);
    assert_eq!(w.kinds(id).await.last(), Some(&EventKind::Confirmed));
    assert_eq!(w.aura.calls(), ["create patrol for customer 5150"]);
    // Nothing else is due.
    assert_eq!(w.sender.send_create(None).await.expect("send"), None);
}

#[tokio::test]
async fn an_answer_without_the_first_window_gets_ours_computed() {
    let w = world().await;
    let id = w.booking("k").await;
    w.aura.on_create(Answer::Now(Ok(Created {
        id: "A-1".into(),
        next_occurrence: None,
    })));
    w.sender.send_create(None).await.expect("send");
    let b = w.load(id).await;
    assert_eq!(b.next_occurrence, Some(first_window()));
    assert!(b.next_occurrence_ours);
}

#[tokio::test]
async fn a_refused_create_is_final_and_never_sent_again() {
    let w = world().await;
    let id = w.booking("k").await;
    w.aura
        .on_create(Answer::Now(Err(refused("customerId is not known"))));
    w.create_leaves(id, SyncStatus::Rejected).await;
    assert_eq!(w.last_detail(id).await, "customerId is not known");
    w.clock.advance(Duration::from_secs(86_400));
    assert_eq!(w.sender.send_create(None).await.expect("send"), None);
    assert_eq!(w.aura.calls().len(), 1);
}

#[tokio::test]
async fn a_create_that_did_not_reach_aura_is_sent_again_after_a_growing_wait() {
    let w = world().await;
    let id = w.booking("k").await;
    let mut waits = Vec::new();
    for attempt in 1..=3 {
        w.aura.on_create(Answer::Now(Err(unavailable(None))));
        let at = w.clock.now();
        assert_eq!(
            w.sender.send_create(None).await.expect("send"),
            Some((id, SyncStatus::NotSent)),
            "attempt {attempt}"
        );
        let b = w.load(id).await;
        assert_eq!(b.attempts, attempt);
        let due = b.next_attempt_at.expect("a retry is planned");
        waits.push(seconds_between(at, due));
        // Not a moment before it is due...
        w.clock.set(due - chrono::Duration::milliseconds(1));
        assert_eq!(w.sender.send_create(None).await.expect("send"), None);
        // ... and then it is.
        w.clock.set(due);
    }
    // 10 s, 20 s, 40 s, each within the ±20 % jitter.
    for (wait, base) in waits.iter().zip([10.0, 20.0, 40.0]) {
        assert!(
            (base * 0.8..=base * 1.2).contains(wait),
            "waited {wait} s, expected about {base} s: {waits:?}"
        );
    }
    w.aura.on_create(Answer::Now(Ok(created("A-1"))));
    w.create_leaves(id, SyncStatus::Confirmed).await;
    assert_eq!(
        w.kinds(id).await,
        [
            EventKind::NotSent,
            EventKind::NotSent,
            EventKind::NotSent,
            EventKind::Confirmed
        ]
    );
}

#[tokio::test]
async fn the_wait_between_attempts_is_capped_and_never_shorter_than_aura_asks() {
    let policy = SendPolicy::new(Duration::from_secs(10), RETRY_BASE, RETRY_MAX);
    let now = start();
    for attempts in [10, 30, i64::MAX] {
        let wait = seconds_between(now, policy.retry_at(now, attempts, None));
        assert!(
            (240.0..=360.0).contains(&wait),
            "{attempts} attempts: {wait} s"
        );
    }
    let asked = Duration::from_secs(3_600);
    let wait = seconds_between(now, policy.retry_at(now, 1, Some(asked)));
    assert_eq!(wait, 3_600.0);
    // However long AURA asks, a retry is planned within a day.
    let wait = seconds_between(now, policy.retry_at(now, 1, Some(Duration::MAX)));
    assert_eq!(wait, 86_400.0);
}

#[tokio::test]
async fn retry_after_from_aura_is_honoured() {
    let w = world().await;
    let id = w.booking("k").await;
    let asked = Duration::from_secs(600);
    w.aura.on_create(Answer::Now(Err(AuraError::NotDelivered(
        NotDelivered::RateLimited {
            message: "slow down".into(),
            retry_after: Some(asked),
        },
    ))));
    w.sender.send_create(None).await.expect("send");
    let due = w.load(id).await.next_attempt_at.expect("retry");
    assert_eq!(seconds_between(start(), due), 600.0);
    w.clock.advance(Duration::from_secs(599));
    assert_eq!(w.sender.send_create(None).await.expect("send"), None);
    w.clock.advance(Duration::from_secs(1));
    w.aura.on_create(Answer::Now(Ok(created("A-1"))));
    w.create_leaves(id, SyncStatus::Confirmed).await;
}

#[tokio::test]
async fn no_token_means_not_delivered_and_no_booking_is_sent() {
    let w = world().await;
    let id = w.booking("k").await;
    *w.aura.token.lock().expect("lock") = Some(unavailable(None));
    w.create_leaves(id, SyncStatus::NotSent).await;
    assert!(w.aura.calls().is_empty(), "{:?}", w.aura.calls());
}

#[tokio::test]
async fn an_unknown_outcome_waits_for_a_person_and_is_sent_again_once_they_find_aura_lacks_it() {
    let w = world().await;
    let id = w.booking("k").await;
    w.aura.on_create(Answer::Now(Err(unknown())));
    w.create_leaves(id, SyncStatus::Unknown).await;
    assert!(
        w.last_detail(id)
            .await
            .contains("until someone checks with AURA")
    );
    // Never guessed into sent or not sent, however long it waits.
    w.clock.advance(Duration::from_secs(3 * 86_400));
    assert_eq!(w.sender.send_create(None).await.expect("send"), None);
    assert_eq!(w.aura.calls().len(), 1);
    // A person checked: AURA does not have it. It is sent again.
    let now = w.clock.now();
    let left = db::resolve_unknown(&w.db, id, &Finding::NotHeld, now)
        .await
        .expect("resolve");
    assert_eq!(left, Some(SyncStatus::Saved));
    w.aura.on_create(Answer::Now(Ok(created("A-2"))));
    w.create_leaves(id, SyncStatus::Confirmed).await;
    assert_eq!(w.aura.calls().len(), 2);
}

#[tokio::test]
async fn an_unknown_outcome_found_held_is_confirmed_without_a_call() {
    let w = world().await;
    let id = w.booking("k").await;
    w.aura.on_create(Answer::Now(Err(unknown())));
    w.sender.send_create(None).await.expect("send");
    let finding = Finding::Held {
        aura_id: "A-9",
        next_occurrence: Some(first_window()),
    };
    let left = db::resolve_unknown(&w.db, id, &finding, w.clock.now())
        .await
        .expect("resolve");
    assert_eq!(left, Some(SyncStatus::Confirmed));
    assert_eq!(w.sender.send_create(None).await.expect("send"), None);
    assert_eq!(w.load(id).await.aura_id.as_deref(), Some("A-9"));
    assert_eq!(w.aura.calls().len(), 1);
}

#[tokio::test]
async fn a_call_past_the_call_limit_counts_as_sent_without_an_answer() {
    let mut policy = SendPolicy::new(Duration::from_secs(10), RETRY_BASE, RETRY_MAX);
    policy.call_limit = Duration::from_millis(20);
    let w = world_with(policy).await;
    let id = w.booking("k").await;
    w.aura.on_create(Answer::Never);
    w.create_leaves(id, SyncStatus::Unknown).await;
    assert!(w.last_detail(id).await.contains("no answer within"));
}

#[tokio::test]
async fn a_booking_whose_first_window_is_within_the_lead_time_lapses_without_a_call() {
    let w = world().await;
    let id = w.booking("k").await;
    // Four minutes before the first window: AURA refuses anything under five.
    w.clock.set(first_window() - chrono::Duration::minutes(4));
    w.create_leaves(id, SyncStatus::Lapsed).await;
    assert!(w.aura.calls().is_empty());
    assert!(w.last_detail(id).await.contains("Nothing was sent to AURA"));
    // Six minutes before it, the same booking would have been sent.
    let w = world().await;
    let id = w.booking("k").await;
    w.clock.set(first_window() - chrono::Duration::minutes(6));
    w.aura.on_create(Answer::Now(Ok(created("A-1"))));
    w.create_leaves(id, SyncStatus::Confirmed).await;
}

#[tokio::test]
async fn a_service_no_longer_offered_lapses_without_a_call() {
    let mut w = world().await;
    w.sender.services = Arc::new(ServiceCatalog::parse("guarding,escort").expect("catalogue"));
    let id = w.booking("k").await;
    w.create_leaves(id, SyncStatus::Lapsed).await;
    assert!(w.aura.calls().is_empty());
}

/// Another process claimed the booking and went silent mid-call: nobody takes it over while its
/// lease holds; once the lease has passed it is `unknown` (AURA may have it), never sent again
/// blindly.
#[tokio::test]
async fn a_lease_that_expires_mid_call_leaves_the_booking_unknown() {
    let w = world().await;
    let id = w.booking("k").await;
    let lease = Lease {
        owner: "another-process/1",
        until: w.clock.now() + chrono::Duration::minutes(1),
    };
    let claimed = db::claim(&w.db, Work::Create, lease, w.clock.now(), None)
        .await
        .expect("claim");
    assert_eq!(claimed, Some(id));
    assert_eq!(w.sender.send_create(None).await.expect("send"), None);
    assert_eq!(w.sender.expire_stale().await.expect("expire"), 0);
    w.clock.advance(Duration::from_secs(61));
    assert_eq!(w.sender.expire_stale().await.expect("expire"), 1);
    let b = w.load(id).await;
    assert_eq!(b.status, SyncStatus::Unknown);
    assert_eq!(w.kinds(id).await.last(), Some(&EventKind::OutcomeUnknown));
    assert_eq!(w.sender.send_create(None).await.expect("send"), None);
    assert!(w.aura.calls().is_empty());
}

/// This process's own call outlives its lease: meanwhile the booking was handed on (`unknown`).
/// A confirmation that arrives late still settles it; a refusal that arrives late changes nothing
/// and is kept in the history for the person who checks.
#[tokio::test]
async fn late_answers_after_a_takeover_settle_only_what_they_can() {
    for (answer, settled) in [
        (Ok(created("A-late")), SyncStatus::Confirmed),
        (Err(refused("too late")), SyncStatus::Unknown),
    ] {
        let w = world().await;
        let id = w.booking("k").await;
        let (gate, call) = w.create_held(id, answer).await;
        // The lease runs out while AURA has not answered; the worker hands the booking on.
        let lease = w.sender.outbox.policy.lease;
        w.clock.advance(lease + Duration::from_secs(1));
        assert_eq!(w.sender.expire_stale().await.expect("expire"), 1);
        gate.notify_one();
        let sent = call.await.expect("task").expect("send");
        assert_eq!(sent, Some((id, settled)));
        let kinds = w.kinds(id).await;
        match settled {
            SyncStatus::Confirmed => {
                assert_eq!(kinds.last(), Some(&EventKind::Confirmed));
                assert!(
                    w.last_detail(id)
                        .await
                        .contains("came late, but settles it")
                );
                assert_eq!(w.load(id).await.aura_id.as_deref(), Some("A-late"));
            }
            _ => {
                assert_eq!(kinds.last(), Some(&EventKind::LateAnswer));
                assert!(w.last_detail(id).await.contains("too late"));
            }
        }
    }
}

#[tokio::test]
async fn a_cancel_is_sent_and_recorded_as_the_requesters() {
    for (outcome, detail) in [
        (CancelOutcome::Cancelled, "AURA confirmed the cancellation."),
        (
            CancelOutcome::AlreadyCancelled,
            "AURA had it cancelled already (409).",
        ),
    ] {
        let w = world().await;
        let id = w.confirmed("k").await;
        assert_eq!(w.ask_cancel(id).await, Some(SyncStatus::Cancelling));
        w.aura.on_cancel(Answer::Now(Ok(outcome)));
        w.cancel_leaves(id, SyncStatus::Cancelled).await;
        let events = db::events_of_booking(&w.db, id).await.expect("events");
        let last = events.iter().max_by_key(|e| e.id).expect("event");
        assert_eq!(
            (last.kind, last.detail.as_str()),
            (EventKind::Cancelled, detail)
        );
        assert_eq!(last.actor, "Desk");
        assert_eq!(
            w.aura.calls().last().map(String::as_str),
            Some(&*format!("cancel A-{id}"))
        );
    }
}

#[tokio::test]
async fn a_refused_cancel_leaves_the_booking_scheduled() {
    let w = world().await;
    let id = w.confirmed("k").await;
    w.ask_cancel(id).await;
    w.aura
        .on_cancel(Answer::Now(Err(refused("already started"))));
    w.cancel_leaves(id, SyncStatus::Confirmed).await;
    assert_eq!(w.kinds(id).await.last(), Some(&EventKind::CancelRefused));
    assert!(w.last_detail(id).await.contains("still scheduled at AURA"));
    assert_eq!(w.sender.send_cancel(None).await.expect("cancel"), None);
}

/// A cancel is safe to repeat, so one that did not reach AURA, or got no usable answer, is tried
/// again after the backoff; the booking stays `cancelling` meanwhile.
#[tokio::test]
async fn a_cancel_without_an_answer_is_tried_again() {
    for failure in [unavailable(Some(Duration::from_secs(120))), unknown()] {
        let w = world().await;
        let id = w.confirmed("k").await;
        w.ask_cancel(id).await;
        w.aura.on_cancel(Answer::Now(Err(failure.clone())));
        assert_eq!(
            w.sender.send_cancel(None).await.expect("cancel"),
            Some((id, SyncStatus::Cancelling)),
            "{failure}"
        );
        assert_eq!(w.kinds(id).await.last(), Some(&EventKind::CancelFailed));
        assert_eq!(w.sender.send_cancel(None).await.expect("cancel"), None);
        let due = w.load(id).await.next_attempt_at.expect("retry");
        w.clock.set(due);
        w.aura.on_cancel(Answer::Now(Ok(CancelOutcome::Cancelled)));
        w.cancel_leaves(id, SyncStatus::Cancelled).await;
    }
}

/// Cancelling what AURA never had is done here, without a call.
#[tokio::test]
async fn a_cancel_asked_before_aura_had_the_booking_is_done_here() {
    let w = world().await;
    let id = w.booking("k").await;
    w.aura.on_create(Answer::Now(Err(unavailable(None))));
    w.sender.send_create(None).await.expect("send");
    assert_eq!(w.ask_cancel(id).await, Some(SyncStatus::Cancelled));
    w.clock.advance(Duration::from_secs(3_600));
    assert_eq!(w.sender.send_create(None).await.expect("send"), None);
    assert_eq!(w.sender.send_cancel(None).await.expect("cancel"), None);
    assert_eq!(w.aura.calls().len(), 1, "only the one create");
}

/// A cancel asked while the create is in flight waits for its answer: confirmed → the cancel is
/// sent; not delivered → cancelled here (AURA never had it); unknown → kept until a person checks.
#[tokio::test]
async fn a_cancel_asked_mid_create_follows_the_creates_answer() {
    for (answer, after_create) in [
        (Ok(created("A-1")), SyncStatus::Cancelling),
        (Err(unavailable(None)), SyncStatus::Cancelled),
        (Err(unknown()), SyncStatus::Unknown),
    ] {
        let w = world().await;
        let id = w.booking("k").await;
        let (gate, call) = w.create_held(id, answer).await;
        assert_eq!(
            w.ask_cancel(id).await,
            Some(SyncStatus::Sending),
            "the wish is kept"
        );
        gate.notify_one();
        assert_eq!(
            call.await.expect("task").expect("send"),
            Some((id, after_create))
        );
        if after_create == SyncStatus::Cancelling {
            w.aura.on_cancel(Answer::Now(Ok(CancelOutcome::Cancelled)));
            w.cancel_leaves(id, SyncStatus::Cancelled).await;
        }
        if after_create == SyncStatus::Unknown {
            assert!(
                w.last_detail(id)
                    .await
                    .contains("once someone confirms AURA has it")
            );
        }
    }
}

/// Asked to stop while a call is under way, the worker finishes that call, records its answer,
/// and sends nothing more.
#[tokio::test]
async fn the_worker_stops_between_calls() {
    let w = world().await;
    let first = w.booking("a").await;
    let second = w.booking("b").await;
    let gate = Arc::new(Notify::new());
    w.aura
        .on_create(Answer::After(gate.clone(), Ok(created("A-1"))));
    let (stop, stopped) = watch::channel(false);
    let worker = tokio::spawn(w.sender.clone().run(stopped));
    w.reached_aura().await;
    stop.send(true).expect("stop");
    gate.notify_one();
    tokio::time::timeout(Duration::from_secs(30), worker)
        .await
        .expect("the worker stops")
        .expect("task");
    assert_eq!(w.load(first).await.status, SyncStatus::Confirmed);
    assert_eq!(w.load(second).await.status, SyncStatus::Saved);
    assert_eq!(w.aura.calls().len(), 1);
}

/// Woken by new work, the worker sends it, and it goes on until nothing is due.
#[tokio::test]
async fn the_worker_sends_what_is_due_and_what_is_added() {
    let w = world().await;
    let first = w.booking("a").await;
    w.aura.on_create(Answer::Now(Ok(created("A-1"))));
    let (stop, stopped) = watch::channel(false);
    let worker = tokio::spawn(w.sender.clone().run(stopped));
    while w.load(first).await.status != SyncStatus::Confirmed {
        tokio::task::yield_now().await;
    }
    let second = w.booking("b").await;
    w.aura.on_create(Answer::Now(Ok(created("A-2"))));
    w.sender.outbox.wake();
    while w.load(second).await.status != SyncStatus::Confirmed {
        tokio::task::yield_now().await;
    }
    stop.send(true).expect("stop");
    tokio::time::timeout(Duration::from_secs(30), worker)
        .await
        .expect("the worker stops")
        .expect("task");
    assert_eq!(w.aura.calls().len(), 2);
}
