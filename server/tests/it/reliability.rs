//! Bookings stay true when AURA or the network fails: every fault the sandbox can inject, for a
//! create and for a cancel, leaves a status the user can trust, and afterwards the dashboard and
//! the sandbox agree (checked against `_control/requests`):
//! - every request AURA holds as scheduled is shown active (never "cancelled" or "not sent");
//! - every booking shown confirmed is scheduled at AURA;
//! - no booking has two AURA requests.

use crate::common::raw;
use std::collections::HashMap;
use std::time::Duration;

use crate::common::{
    Dashboard, RunningSandbox, book_as, decode, draft, london_site, start_dashboard_with,
    start_sandbox,
};
use app::api::bookings::{LoadAttention, LoadBooking, ResolveBooking};
use backend::aura::wire::{RequestStatus, ServiceCatalog};
use backend::db::{self, CustomerScope};
use domain::Field;
use domain::error::AppError;
use domain::model::{AttentionView, BookingDetail, BookingResult, EventKind, SyncStatus};
use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use server::sandbox::SandboxConfig;

/// AURA calls give up after this; delay faults answer later than it.
const TIMEOUT: Duration = Duration::from_millis(1000);
const LATE_MS: u64 = 2500;

async fn setup() -> (RunningSandbox, Dashboard, i64) {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard_with(&sb.base_url(), ServiceCatalog::default(), TIMEOUT).await;
    let site = london_site(&dash).await;
    (sb, dash, site)
}

async fn book(dash: &Dashboard, key: &str, site: i64) -> BookingResult {
    book_as(&dash.http, &dash.url(""), &draft(key, key, site, 60 * 24))
        .await
        .expect("booked")
}

async fn cancel_as(http: &reqwest::Client, dash: &Dashboard, id: i64) -> Result<(), AppError> {
    crate::common::cancel_as(http, &dash.url(""), id, "No longer needed", &[]).await
}

async fn detail_as(http: &reqwest::Client, dash: &Dashboard, id: i64) -> BookingDetail {
    decode(
        http.get(format!("{}?id={id}", dash.url(LoadBooking::PATH)))
            .send()
            .await
            .expect("detail"),
    )
    .await
    .expect("detail")
}

async fn status(dash: &Dashboard, id: i64) -> SyncStatus {
    detail_as(&dash.http, dash, id).await.status
}

async fn resolve(
    http: &reqwest::Client,
    dash: &Dashboard,
    id: i64,
    held: bool,
    aura_id: &str,
) -> Result<(), AppError> {
    let form = [
        ("id", id.to_string()),
        ("held", held.to_string()),
        ("aura_id", aura_id.to_string()),
    ];
    decode(
        http.post(dash.url(ResolveBooking::PATH))
            .form(&form)
            .send()
            .await
            .expect("resolve"),
    )
    .await
}

/// Runs the sending worker's work in this test until nothing is waiting to be sent or cancelled
/// and no change of plans can move on (retries included), or 15 s pass.
pub async fn settle(dash: &Dashboard) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let sender = dash.state.sender();
        sender.expire_stale().await.expect("expire");
        // As the worker's passes do: changes of plans moved on, creates, then cancels.
        loop {
            let moved = sender.settle_changes().await.expect("changes");
            let created = sender.send_create(None).await.expect("send").is_some();
            let cancelled = sender.send_cancel(None).await.expect("cancel").is_some();
            if moved == 0 && !created && !cancelled {
                break;
            }
        }
        let waiting = db::active_bookings(&dash.state.db, &CustomerScope::All)
            .await
            .expect("bookings")
            .iter()
            .any(|b| {
                matches!(
                    b.status,
                    SyncStatus::Saved
                        | SyncStatus::Sending
                        | SyncStatus::NotSent
                        | SyncStatus::Cancelling
                )
            });
        if !waiting {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "bookings still waiting to be sent"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The invariant, by booking name (each test booking has its own).
async fn assert_agree(sb: &RunningSandbox, dash: &Dashboard) {
    let held = sb.control().await.requests;
    let bookings = db::active_bookings(&dash.state.db, &CustomerScope::All)
        .await
        .expect("active")
        .into_iter()
        .chain(
            db::cancelled_bookings(&dash.state.db, &CustomerScope::All, 1000, 0)
                .await
                .expect("cancelled"),
        )
        .collect::<Vec<_>>();
    let mut per_name: HashMap<&str, usize> = HashMap::new();
    for r in &held {
        *per_name
            .entry(r.scheduled_request_config.name.as_str())
            .or_default() += 1;
    }
    for (name, n) in &per_name {
        assert_eq!(*n, 1, "{name} has {n} requests at AURA");
    }
    for r in held.iter().filter(|r| r.status == RequestStatus::Scheduled) {
        let name = &r.scheduled_request_config.name;
        let b = db::active_bookings(&dash.state.db, &CustomerScope::All)
            .await
            .expect("active")
            .into_iter()
            .find(|b| &b.name == name)
            .unwrap_or_else(|| panic!("AURA holds {name}, the dashboard does not show it active"));
        assert!(
            matches!(
                b.status,
                SyncStatus::Confirmed | SyncStatus::Cancelling | SyncStatus::Unknown
            ),
            "AURA holds {name}; the dashboard says {:?}",
            b.status
        );
        if let Some(id) = &b.aura_id {
            assert_eq!(id, &r.id, "{name}");
        }
    }
    for b in bookings
        .iter()
        .filter(|b| b.status == SyncStatus::Confirmed)
    {
        let at_aura = held
            .iter()
            .find(|r| Some(&r.id) == b.aura_id.as_ref())
            .unwrap_or_else(|| panic!("{} is confirmed but AURA does not have it", b.name));
        assert_eq!(at_aura.status, RequestStatus::Scheduled, "{}", b.name);
    }
}

async fn fault(sb: &RunningSandbox, fault: Value) {
    sb.post_control("/_control/faults", fault).await;
}

/// Create faults: what the person sees at once, and where the booking ends up once the worker has
/// done its retries.
#[tokio::test]
async fn every_create_fault_leaves_an_honest_status() {
    let (sb, dash, site) = setup().await;
    let cases: Vec<(&str, Value, SyncStatus, SyncStatus)> = vec![
        (
            "c-503",
            json!({"operation": "create", "status": 503, "retryAfter": 1}),
            SyncStatus::NotSent,
            SyncStatus::Confirmed,
        ),
        (
            "c-429",
            json!({"operation": "create", "status": 429}),
            SyncStatus::NotSent,
            SyncStatus::Confirmed,
        ),
        (
            "c-token-down",
            json!({"operation": "token", "status": 500, "count": 1}),
            SyncStatus::NotSent,
            SyncStatus::Confirmed,
        ),
        (
            "c-400",
            json!({"operation": "create", "status": 400}),
            SyncStatus::Rejected,
            SyncStatus::Rejected,
        ),
        (
            "c-late",
            json!({"operation": "create", "mode": "delay", "delayMs": LATE_MS}),
            SyncStatus::Unknown,
            SyncStatus::Unknown,
        ),
        (
            "c-drop",
            json!({"operation": "create", "mode": "drop"}),
            SyncStatus::Unknown,
            SyncStatus::Unknown,
        ),
        (
            "c-garbage",
            json!({"operation": "create", "mode": "garbage"}),
            SyncStatus::Unknown,
            SyncStatus::Unknown,
        ),
    ];
    let mut ids = Vec::new();
    for (key, f, at_once, _) in &cases {
        if *key == "c-token-down" {
            sb.post_control("/_control/revoke-tokens", json!({})).await;
        }
        fault(&sb, f.clone()).await;
        let result = book(&dash, key, site).await;
        assert_eq!(result.status, *at_once, "{key}: told at once");
        ids.push(result.booking_id);
        assert_agree(&sb, &dash).await;
    }
    // No waiting for the late answers: a delay fault does the work first (AURA holds the request,
    // or has cancelled it), and `settle` waits for what the dashboard shows.
    settle(&dash).await;
    for ((key, _, _, settled), id) in cases.iter().zip(&ids) {
        assert_eq!(status(&dash, *id).await, *settled, "{key}: after retries");
    }
    assert_agree(&sb, &dash).await;
    // Not-delivered attempts and unknown outcomes are in the history, in words.
    let late = detail_as(&dash.http, &dash, ids[4]).await;
    assert!(
        late.events
            .iter()
            .any(|e| e.kind == EventKind::OutcomeUnknown),
        "{:?}",
        late.events
    );
    let retried = detail_as(&dash.http, &dash, ids[0]).await;
    let kinds: Vec<EventKind> = retried.events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![EventKind::Saved, EventKind::NotSent, EventKind::Confirmed]
    );
    assert_eq!(retried.attempts, 2);
}

/// The API reference page's answer shape confirms, and the missing next window is ours.
#[tokio::test]
async fn the_reference_shape_confirms_with_our_own_next_window() {
    let (sb, dash, site) = setup().await;
    sb.post_control("/_control/shape", json!({"shape": "reference"}))
        .await;
    let result = book(&dash, "flat", site).await;
    assert_eq!(result.status, SyncStatus::Confirmed);
    let seen = detail_as(&dash.http, &dash, result.booking_id).await;
    assert!(uuid::Uuid::parse_str(seen.aura_id.as_deref().unwrap_or_default()).is_ok());
    let confirmed = seen
        .events
        .iter()
        .find(|e| e.kind == EventKind::Confirmed)
        .expect("confirmed");
    assert!(
        confirmed.detail.contains("computed by the dashboard"),
        "{}",
        confirmed.detail
    );
    cancel_as(&dash.http, &dash, result.booking_id)
        .await
        .expect("cancel");
    assert_eq!(
        status(&dash, result.booking_id).await,
        SyncStatus::Cancelled
    );
    assert_agree(&sb, &dash).await;
}

/// Cancel faults: a cancel AURA may not have taken stays "cancelling" (AURA holds the booking
/// until it confirms) and the worker finishes it; a refusal leaves the booking confirmed.
#[tokio::test]
async fn every_cancel_fault_leaves_an_honest_status() {
    let (sb, dash, site) = setup().await;
    let cases: Vec<(&str, Value, SyncStatus, SyncStatus)> = vec![
        (
            "x-503",
            json!({"operation": "cancel", "status": 503, "retryAfter": 1}),
            SyncStatus::Cancelling,
            SyncStatus::Cancelled,
        ),
        (
            "x-429",
            json!({"operation": "cancel", "status": 429}),
            SyncStatus::Cancelling,
            SyncStatus::Cancelled,
        ),
        (
            "x-late",
            json!({"operation": "cancel", "mode": "delay", "delayMs": LATE_MS}),
            SyncStatus::Cancelling,
            SyncStatus::Cancelled,
        ),
        (
            "x-drop",
            json!({"operation": "cancel", "mode": "drop"}),
            SyncStatus::Cancelling,
            SyncStatus::Cancelled,
        ),
        (
            "x-garbage",
            json!({"operation": "cancel", "mode": "garbage"}),
            SyncStatus::Cancelling,
            SyncStatus::Cancelled,
        ),
        (
            "x-revoked",
            json!({"operation": "none"}),
            SyncStatus::Cancelled,
            SyncStatus::Cancelled,
        ),
    ];
    let mut ids = Vec::new();
    for (key, f, at_once, _) in &cases {
        let id = book(&dash, key, site).await.booking_id;
        assert_eq!(status(&dash, id).await, SyncStatus::Confirmed);
        if *key == "x-revoked" {
            sb.post_control("/_control/revoke-tokens", json!({})).await;
        } else {
            fault(&sb, f.clone()).await;
        }
        cancel_as(&dash.http, &dash, id)
            .await
            .expect("the cancel is accepted");
        assert_eq!(status(&dash, id).await, *at_once, "{key}: at once");
        assert_agree(&sb, &dash).await;
        ids.push(id);
    }
    // No waiting for the late answers: a delay fault does the work first (AURA holds the request,
    // or has cancelled it), and `settle` waits for what the dashboard shows.
    settle(&dash).await;
    for ((key, _, _, settled), id) in cases.iter().zip(&ids) {
        assert_eq!(status(&dash, *id).await, *settled, "{key}: after retries");
    }
    assert_agree(&sb, &dash).await;
    assert!(
        sb.control()
            .await
            .requests
            .iter()
            .all(|r| r.status == RequestStatus::Cancelled)
    );

    // A refusal: final, AURA's message kept, the booking still confirmed and active.
    let id = book(&dash, "x-400", site).await.booking_id;
    fault(&sb, json!({"operation": "cancel", "status": 400})).await;
    let err = cancel_as(&dash.http, &dash, id).await.expect_err("refused");
    assert!(
        matches!(&err, AppError::Aura(m) if m.contains("Injected sandbox fault") && m.contains("still scheduled")),
        "{err:?}"
    );
    let seen = detail_as(&dash.http, &dash, id).await;
    assert_eq!(seen.status, SyncStatus::Confirmed);
    assert!(seen.cancellation.is_none(), "the wish is withdrawn");
    assert!(seen.can_cancel, "and can be asked again");
    assert_agree(&sb, &dash).await;
}

/// A cancel refused after an earlier cancel got no usable answer: AURA may have cancelled it then,
/// so the booking is not shown confirmed ("still scheduled") but goes to a person, wish kept.
#[tokio::test]
async fn a_refusal_after_a_lost_cancel_answer_goes_to_a_person() {
    let (sb, dash, site) = setup().await;
    let id = book(&dash, "lost-cancel", site).await.booking_id;
    fault(&sb, json!({"operation": "cancel", "mode": "drop"})).await;
    cancel_as(&dash.http, &dash, id).await.expect("asked");
    assert_eq!(status(&dash, id).await, SyncStatus::Cancelling);
    fault(&sb, json!({"operation": "cancel", "status": 400})).await;
    settle(&dash).await;
    let seen = detail_as(&dash.http, &dash, id).await;
    assert_eq!(seen.status, SyncStatus::Unknown, "{:?}", seen.events);
    assert!(seen.cancellation.as_ref().is_some_and(|c| c.pending));
    assert_agree(&sb, &dash).await;
    let maya = dash.signed_in(&dash.people.manager_of_a.clone()).await;
    resolve(&maya, &dash, id, false, "")
        .await
        .expect("resolved");
    assert_eq!(status(&dash, id).await, SyncStatus::Cancelled);
    assert_agree(&sb, &dash).await;
}

/// An unknown outcome is never retried and never cancelled "here only": a cancel keeps the wish,
/// an account manager records what AURA holds, and the wish is carried out at AURA.
#[tokio::test]
async fn an_unknown_outcome_goes_to_a_person() {
    let (sb, dash, site) = setup().await;
    fault(&sb, json!({"operation": "create", "mode": "drop"})).await;
    let lost = book(&dash, "lost", site).await;
    assert_eq!(lost.status, SyncStatus::Unknown);
    fault(&sb, json!({"operation": "create", "mode": "garbage"})).await;
    let spoilt = book(&dash, "spoilt", site).await;
    assert_eq!(spoilt.status, SyncStatus::Unknown);
    settle(&dash).await;
    assert_eq!(
        sb.control().await.calls.create,
        2,
        "never sent again by itself"
    );

    // The customer cancels: recorded, told plainly, still active (AURA may hold it).
    cancel_as(&dash.http, &dash, lost.booking_id)
        .await
        .expect("wish recorded");
    let seen = detail_as(&dash.http, &dash, lost.booking_id).await;
    assert_eq!(seen.status, SyncStatus::Unknown);
    assert!(seen.cancellation.as_ref().is_some_and(|c| c.pending));
    assert!(!seen.can_resolve, "customers cannot record what AURA holds");
    assert_agree(&sb, &dash).await;

    // The customer cannot resolve; the account manager can, from the list one click away.
    assert!(matches!(
        resolve(&dash.http, &dash, lost.booking_id, false, "").await,
        Err(AppError::Forbidden(_))
    ));
    let maya = dash.signed_in(&dash.people.manager_of_a.clone()).await;
    let list: AttentionView = decode(
        maya.get(dash.url(LoadAttention::PATH))
            .send()
            .await
            .expect("list"),
    )
    .await
    .expect("attention");
    let listed: Vec<i64> = list.items.iter().map(|i| i.booking_id).collect();
    assert_eq!(listed, vec![lost.booking_id, spoilt.booking_id]);
    let page = maya
        .get(dash.url("/upcoming"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains(r#"href="/attention""#) && page.contains(r#"class="count">2<"#),
        "the navigation counts them"
    );
    assert!(detail_as(&maya, &dash, lost.booking_id).await.can_resolve);
    // Another manager's customer is out of reach.
    let nick = dash.signed_in(&dash.people.manager_of_b.clone()).await;
    assert!(matches!(
        resolve(&nick, &dash, lost.booking_id, false, "").await,
        Err(AppError::NotFound(_))
    ));

    let held = sb.control().await.requests;
    let id_of = |name: &str| {
        held.iter()
            .find(|r| r.scheduled_request_config.name == name)
            .expect("held at AURA")
            .id
            .clone()
    };
    // "AURA has it" needs the id, refused at the field when missing.
    match resolve(&maya, &dash, lost.booking_id, true, "  ").await {
        Err(AppError::Invalid(errors)) => assert!(errors.get(Field::AuraId).is_some()),
        other => panic!("{other:?}"),
    }
    resolve(&maya, &dash, lost.booking_id, true, &id_of("lost"))
        .await
        .expect("resolved");
    settle(&dash).await;
    let seen = detail_as(&dash.http, &dash, lost.booking_id).await;
    assert_eq!(
        seen.status,
        SyncStatus::Cancelled,
        "the wish was carried out at AURA"
    );
    let resolved = seen
        .events
        .iter()
        .find(|e| e.kind == EventKind::ResolvedHeld)
        .expect("resolution in the history");
    assert_eq!(resolved.actor, "Maya Manager");

    // "AURA has it" for the other, without a cancel: confirmed and cancellable at AURA.
    resolve(&maya, &dash, spoilt.booking_id, true, &id_of("spoilt"))
        .await
        .expect("resolved");
    assert_eq!(
        status(&dash, spoilt.booking_id).await,
        SyncStatus::Confirmed
    );
    assert_agree(&sb, &dash).await;
    assert!(
        matches!(
            resolve(&maya, &dash, spoilt.booking_id, false, "").await,
            Err(AppError::Conflict(_))
        ),
        "resolved once"
    );

    // "AURA does not have it" (AURA stalled and never did the work): sent again, once.
    fault(
        &sb,
        json!({"operation": "create", "mode": "stall", "delayMs": LATE_MS}),
    )
    .await;
    let never = book(&dash, "never", site).await;
    assert_eq!(never.status, SyncStatus::Unknown);
    assert_eq!(sb.control().await.requests.len(), 2, "AURA did nothing");
    resolve(&maya, &dash, never.booking_id, false, "")
        .await
        .expect("resolved");
    settle(&dash).await;
    assert_eq!(status(&dash, never.booking_id).await, SyncStatus::Confirmed);
    assert_eq!(sb.control().await.requests.len(), 3);
    let seen = detail_as(&dash.http, &dash, never.booking_id).await;
    assert!(
        seen.events
            .iter()
            .any(|e| e.kind == EventKind::ResolvedNotHeld && e.actor == "Maya Manager")
    );
    assert_agree(&sb, &dash).await;
    let list: AttentionView = decode(
        maya.get(dash.url(LoadAttention::PATH))
            .send()
            .await
            .expect("list"),
    )
    .await
    .expect("attention");
    assert!(list.items.is_empty(), "{:?}", list.items);
}

/// A booking whose first window comes too near while it waits to be retried is not sent, and
/// says so; a repeating one can be sent from its next window.
#[tokio::test]
async fn a_booking_is_not_sent_once_its_first_window_is_too_near() {
    let (sb, dash, site) = setup().await;
    fault(&sb, json!({"operation": "create", "status": 503})).await;
    let result = book(&dash, "too-near", site).await;
    assert_eq!(result.status, SyncStatus::NotSent);
    // Time passes: pretend the first window now opens in 3 minutes (London, the site's zone).
    let soon = crate::common::local_at_most("Europe/London", 3);
    raw!(&dash.state.db, |conn, d| sqlx::query(&d(
        "UPDATE bookings SET date_from = ?, first_date = ?, start_time = ?, repeat_type = 'daily',
            days_of_week = '' WHERE id = ?"
    ))
    .bind(backend::db::StoredInstant(
        soon.midnight_utc.parse().expect("rfc3339"),
    ))
    .bind(backend::db::StoredDate(soon.date.parse().expect("date"),))
    .bind(chrono::NaiveTime::parse_from_str(&soon.time, "%H:%M").expect("time"))
    .bind(result.booking_id)
    .execute(conn)
    .await?
    .rows_affected())
    .expect("shift");
    // `settle` runs the worker until nothing waits: once the retry is due, it finds the window too
    // near and lapses the booking.
    settle(&dash).await;
    let seen = detail_as(&dash.http, &dash, result.booking_id).await;
    assert_eq!(seen.status, SyncStatus::Lapsed, "{:?}", seen.events);
    assert!(seen.can_send_again, "a daily booking has later windows");
    assert_eq!(sb.control().await.calls.create, 1, "not sent");
    let again = app::api::bookings::SendBookingAgain::PATH;
    let r = dash
        .http
        .post(dash.url(again))
        .form(&[("id", result.booking_id.to_string())])
        .send()
        .await
        .expect("again");
    assert!(r.status().is_success(), "{}", r.status());
    let seen = detail_as(&dash.http, &dash, result.booking_id).await;
    assert_eq!(seen.status, SyncStatus::Confirmed);
    assert!(seen.events.iter().any(|e| e.kind == EventKind::Rescheduled));
    assert_agree(&sb, &dash).await;
}
