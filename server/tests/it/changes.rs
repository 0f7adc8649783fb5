//! Changing plans as an integrator and as AURA's failures see it: a skip and a change through the
//! API, carried out as new requests plus the cancel of the original, leave AURA holding exactly
//! the windows the dashboard (and its calendar feed) shows, each once; under every fault the
//! sandbox can inject on the new request and on the cancel of the original, the dashboard and
//! AURA never disagree silently and no window is doubled or lost.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use backend::aura::wire::{RequestStatus, ServiceCatalog};
use backend::db::{self, CustomerScope};
use chrono::{DateTime, NaiveDate, Utc};
use domain::api::{Booking, BookingWithHistory, ChangeResult};
use domain::lifecycle::{ChangeKind, ChangeStatus, EventKind};
use domain::model::SyncStatus;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::sandbox::SandboxConfig;

use crate::api::{Api, key_for};
use crate::common::raw;
use crate::common::{
    Dashboard, LocalMoment, RunningSandbox, local_in, london_site, start_dashboard_with,
    start_sandbox,
};
use crate::reliability::settle;

const TIMEOUT: Duration = Duration::from_millis(1000);

async fn setup() -> (RunningSandbox, Dashboard, Api, i64) {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard_with(&sb.base_url(), ServiceCatalog::default(), TIMEOUT).await;
    let api = Api::new(
        &dash.url(""),
        &key_for(&dash, &dash.a, "read,book,cancel").await,
    );
    let site = london_site(&dash).await;
    (sb, dash, api, site)
}

/// A daily patrol of `days` days at site `site`, first window at `at` (London).
fn daily(name: &str, site: i64, at: &LocalMoment, days: i64) -> Value {
    json!({
        "serviceType": "patrol",
        "name": name,
        "details": {"numberOfGuards": 1, "armedPreference": "unarmed", "contacts": []},
        "siteId": site,
        "dateFrom": at.date,
        "dateTo": date_after(&at.date, days - 1),
        "repeats": {"kind": "daily", "startTime": at.time, "windowMinutes": 60}
    })
}

fn date_after(date: &str, days: i64) -> String {
    let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("date");
    (d + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// The windows (opening instants) still to open that AURA holds, counted: each scheduled request
/// at AURA read through the dashboard booking with its id (AURA keeps no windows of its own to
/// read; every id must be one the dashboard knows).
async fn held_windows(sb: &RunningSandbox, dash: &Dashboard) -> BTreeMap<Window, usize> {
    let now = Utc::now();
    let bookings = all_bookings(dash).await;
    let mut held = BTreeMap::new();
    for r in sb.control().await.requests {
        if r.status != RequestStatus::Scheduled {
            continue;
        }
        // By its id; or, for a call whose answer was lost, the booking waiting to be checked.
        let b = bookings
            .iter()
            .find(|b| b.aura_id.as_deref() == Some(r.id.as_str()))
            .or_else(|| {
                bookings.iter().find(|b| {
                    b.status == SyncStatus::Unknown
                        && b.aura_id.is_none()
                        && b.name == r.scheduled_request_config.name
                })
            })
            .unwrap_or_else(|| {
                panic!(
                    "AURA holds {} and the dashboard has no booking for it",
                    r.id
                )
            });
        for o in b.schedule.occurrences_from(b.zone.tz(), now) {
            if o.opens > now {
                *held.entry((b.name.clone(), o.opens)).or_default() += 1;
            }
        }
    }
    held
}

/// A window of a booking (each test booking has its own name).
type Window = (String, DateTime<Utc>);

/// The windows still to open the dashboard shows as scheduled at AURA, or as possibly scheduled
/// (outcome unknown: a person checks).
async fn shown_windows(dash: &Dashboard) -> BTreeMap<Window, usize> {
    let now = Utc::now();
    let mut shown = BTreeMap::new();
    for b in db::active_bookings(&dash.state.db, &CustomerScope::All)
        .await
        .expect("active")
    {
        if !matches!(
            b.status,
            SyncStatus::Confirmed | SyncStatus::Cancelling | SyncStatus::Unknown
        ) {
            continue;
        }
        for o in b.schedule.occurrences_from(b.zone.tz(), now) {
            if o.opens > now {
                *shown.entry((b.name.clone(), o.opens)).or_default() += 1;
            }
        }
    }
    shown
}

async fn all_bookings(dash: &Dashboard) -> Vec<db::Booking> {
    db::active_bookings(&dash.state.db, &CustomerScope::All)
        .await
        .expect("active")
        .into_iter()
        .chain(
            db::cancelled_bookings(&dash.state.db, &CustomerScope::All, 1000, 0)
                .await
                .expect("cancelled"),
        )
        .collect()
}

/// Every window still to open of `b` (an API booking) from now.
fn windows_of(b: &db::Booking) -> BTreeSet<DateTime<Utc>> {
    let now = Utc::now();
    b.schedule
        .occurrences_from(b.zone.tz(), now)
        .map(|o| o.opens)
        .filter(|o| *o > now)
        .collect()
}

async fn stored(dash: &Dashboard, id: i64) -> db::Booking {
    db::booking_in_scope(&dash.state.db, &CustomerScope::All, id)
        .await
        .expect("db")
        .expect("booking")
}

fn once_each(name: &str, set: &BTreeSet<DateTime<Utc>>) -> BTreeMap<Window, usize> {
    set.iter().map(|w| ((name.to_string(), *w), 1)).collect()
}

#[tokio::test]
async fn a_skip_and_a_change_through_the_api_leave_aura_and_the_feed_agreeing() {
    let (sb, dash, api, site) = setup().await;
    let at = local_in("Europe/London", 24 * 60);
    let made = api
        .post("/bookings", &daily("Gatehouse patrol", site, &at, 14), None)
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let original: Booking = made.json();
    assert_eq!(original.status, SyncStatus::Confirmed);
    let before = windows_of(&stored(&dash, original.id).await);
    assert_eq!(before.len(), 14);

    // A webhook endpoint of the customer's: what it is sent names the skip and the change.
    db::insert_endpoint(
        &dash.state.db,
        &db::NewEndpoint {
            customer_id: dash.a.id,
            url: "https://hooks.example.com/plans",
            events: &[],
            secret: "whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdA==",
            created_by: "test",
            at: Utc::now(),
        },
    )
    .await
    .expect("endpoint");

    // Skip the third date: two new requests (before and after), then the original's cancel.
    let day3 = date_after(&at.date, 2);
    let skipped = api
        .post(
            &format!("/bookings/{}/skip", original.id),
            &json!({"from": day3, "to": day3}),
            Some("skip-1"),
        )
        .await;
    assert_eq!(skipped.status, StatusCode::OK, "{}", skipped.body);
    let result: ChangeResult = skipped.json();
    assert_eq!(result.change.kind, ChangeKind::Skip);
    assert_eq!(
        result.change.status,
        ChangeStatus::Done,
        "{:?}",
        result.change
    );
    assert_eq!(result.change.parts.len(), 2);
    assert_eq!(result.bookings[0].id, original.id);
    assert_eq!(result.bookings[0].status, SyncStatus::Cancelled);
    for part in &result.bookings[1..] {
        assert_eq!(part.status, SyncStatus::Confirmed);
        assert_eq!(part.replaces, Some(original.id));
    }
    // A repeat under the same key is the same skip.
    let again = api
        .post(
            &format!("/bookings/{}/skip", original.id),
            &json!({"from": day3, "to": day3}),
            Some("skip-1"),
        )
        .await;
    assert_eq!(again.json::<ChangeResult>().change.id, result.change.id);
    let skipped_opens = *before.iter().nth(2).expect("third window");
    let mut expected: BTreeSet<_> = before.clone();
    expected.remove(&skipped_opens);
    assert_eq!(
        held_windows(&sb, &dash).await,
        once_each("Gatehouse patrol", &expected)
    );
    assert_eq!(
        shown_windows(&dash).await,
        once_each("Gatehouse patrol", &expected)
    );
    let calls = sb.control().await.calls;
    assert_eq!((calls.create, calls.cancel), (3, 1));

    // The original's history names the skip; its ledger entry is the skip, not a cancellation.
    let detail: BookingWithHistory = api.get(&format!("/bookings/{}", original.id)).await.json();
    let kinds: Vec<&str> = detail.history.iter().map(|h| h.kind.key()).collect();
    assert_eq!(
        kinds,
        [
            "saved",
            "confirmed",
            "change_asked",
            "cancel_requested",
            "skipped"
        ]
    );
    let ended = stored(&dash, original.id).await;
    assert_eq!(ended.ended_by, Some(ChangeKind::Skip));
    // Its webhook (the endpoint came after it was booked): skipped, with the new bookings —
    // never "cancelled"; each new booking's: created and confirmed, naming what it replaces.
    let sent: Vec<(String, String)> = raw!(&dash.state.db, |conn, d| sqlx::query_as(&d(
        "SELECT event, payload FROM webhook_deliveries WHERE booking_id = ? ORDER BY id"
    ))
    .bind(original.id)
    .fetch_all(conn)
    .await?)
    .expect("deliveries");
    let events: Vec<&str> = sent.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(events, ["booking.skipped"]);
    let skipped_payload: Value = serde_json::from_str(&sent[0].1).expect("json");
    let part_sent: Vec<(String, String)> = raw!(&dash.state.db, |conn, d| sqlx::query_as(&d(
        "SELECT event, payload FROM webhook_deliveries WHERE booking_id = ? ORDER BY id"
    ))
    .bind(result.change.parts[0])
    .fetch_all(conn)
    .await?)
    .expect("deliveries");
    let part_events: Vec<&str> = part_sent.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(part_events, ["booking.created", "booking.confirmed"]);
    let created: Value = serde_json::from_str(&part_sent[0].1).expect("json");
    assert_eq!(created["data"]["booking"]["replaces"], json!(original.id));
    assert_eq!(
        skipped_payload["data"]["change"]["parts"],
        json!(result.change.parts)
    );

    // Change the later part: start an hour later from day 8 on. Days 4 to 7 are kept as they are.
    let later = result.change.parts[1];
    let later_booking = stored(&dash, later).await;
    let new_first = date_after(&at.date, 7);
    let new_time = {
        let t = chrono::NaiveTime::parse_from_str(&at.time, "%H:%M").expect("time");
        (t + chrono::Duration::hours(1)).format("%H:%M").to_string()
    };
    let mut body = daily("Gatehouse patrol", site, &at, 14);
    body["dateFrom"] = json!(new_first);
    body["repeats"]["startTime"] = json!(new_time);
    body["details"]["numberOfGuards"] = json!(2);
    let changed = api
        .send(
            reqwest::Client::new()
                .put(format!("{}/bookings/{later}", api.base))
                .json(&body),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let change: ChangeResult = changed.json();
    assert_eq!(change.change.kind, ChangeKind::Change);
    assert_eq!(
        change.change.status,
        ChangeStatus::Done,
        "{:?}",
        change.change
    );
    assert_eq!(
        change.change.parts.len(),
        2,
        "the days kept, then the new version"
    );
    assert!(
        change.change.detail.contains("guards 1 → 2"),
        "{}",
        change.change.detail
    );
    let kept = stored(&dash, change.change.parts[0]).await;
    let new = stored(&dash, change.change.parts[1]).await;
    assert_eq!(kept.schedule.start_time, later_booking.schedule.start_time);
    assert_eq!(new.number_of_guards, 2);
    let mut expected: BTreeSet<_> = expected
        .into_iter()
        .filter(|w| {
            w.with_timezone(&chrono_tz::Europe::London).date_naive()
                < NaiveDate::parse_from_str(&new_first, "%Y-%m-%d").expect("date")
        })
        .collect();
    expected.extend(windows_of(&new));
    assert_eq!(
        held_windows(&sb, &dash).await,
        once_each("Gatehouse patrol", &expected)
    );
    assert_eq!(
        shown_windows(&dash).await,
        once_each("Gatehouse patrol", &expected)
    );

    // The feed: one event per window AURA holds, each once; the skipped date cancelled; the windows
    // the skip kept keep the original's UIDs; the moved windows have their own.
    let http = dash.signed_in(&dash.people.customer_a).await;
    let path = crate::feed::issue_feed(&dash, &http).await;
    let (status, text) = crate::feed::read_feed(&dash, &path).await;
    assert_eq!(status, StatusCode::OK);
    let events = feed_events(&text);
    let mut uids = BTreeSet::new();
    for e in &events {
        assert!(uids.insert(e.uid.clone()), "UID {} twice", e.uid);
    }
    let confirmed: BTreeSet<DateTime<Utc>> = events
        .iter()
        .filter(|e| e.status == "CONFIRMED" && e.starts > Utc::now())
        .map(|e| e.starts)
        .collect();
    assert_eq!(confirmed, expected);
    let day3_uid = format!(
        "booking-{}-{}@aura-dashboard",
        original.id,
        day3.replace('-', "")
    );
    let day3_event = events
        .iter()
        .find(|e| e.uid == day3_uid)
        .expect("the skipped date is in the feed");
    assert_eq!(day3_event.status, "CANCELLED");
    let day4_uid = format!(
        "booking-{}-{}@aura-dashboard",
        original.id,
        date_after(&at.date, 3).replace('-', "")
    );
    assert!(
        events
            .iter()
            .any(|e| e.uid == day4_uid && e.status == "CONFIRMED"),
        "a kept window keeps its UID"
    );
    assert!(
        events
            .iter()
            .any(|e| e.uid.starts_with(&format!("booking-{}-", new.id)) && e.status == "CONFIRMED"),
        "a moved window has a UID of its own"
    );
}

/// A skip refused for what it cannot do, with the field or the reason named.
#[tokio::test]
async fn skips_and_changes_that_cannot_be_done_are_refused_clearly() {
    let (_sb, _dash, api, site) = setup().await;
    let at = local_in("Europe/London", 24 * 60);
    let b: Booking = api
        .post("/bookings", &daily("Yard patrol", site, &at, 5), None)
        .await
        .json();
    let skip = |body: Value| {
        let api = &api;
        async move {
            api.post(&format!("/bookings/{}/skip", b.id), &body, None)
                .await
        }
    };
    let bad = skip(json!({"from": "soon", "to": "2027-01-01"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(bad.fields(), ["from"]);
    let reversed = skip(json!({"from": date_after(&at.date, 3), "to": at.date})).await;
    assert_eq!(reversed.fields(), ["to"]);
    let nothing = skip(json!({"from": "2020-01-01", "to": "2020-01-02"})).await;
    assert_eq!(nothing.status, StatusCode::CONFLICT, "{}", nothing.body);
    let unknown = skip(json!({"from": at.date, "to": at.date, "extra": 1})).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let missing = api
        .post(
            "/bookings/999999/skip",
            &json!({"from": at.date, "to": at.date}),
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_skip_or_a_change_needs_the_book_and_cancel_scopes() {
    let (_sb, dash, api, site) = setup().await;
    let at = local_in("Europe/London", 24 * 60);
    let b: Booking = api
        .post("/bookings", &daily("Scoped patrol", site, &at, 5), None)
        .await
        .json();
    for scopes in ["read", "read,book", "read,cancel"] {
        let limited = Api::new(&dash.url(""), &key_for(&dash, &dash.a, scopes).await);
        let skip = limited
            .post(
                &format!("/bookings/{}/skip", b.id),
                &json!({"from": at.date, "to": at.date}),
                None,
            )
            .await;
        assert_eq!(
            skip.status,
            StatusCode::FORBIDDEN,
            "{scopes}: {}",
            skip.body
        );
        let change = limited
            .send(
                reqwest::Client::new()
                    .put(format!("{}/bookings/{}", limited.base, b.id))
                    .json(&daily("Scoped patrol", site, &at, 5)),
            )
            .await;
        assert_eq!(
            change.status,
            StatusCode::FORBIDDEN,
            "{scopes}: {}",
            change.body
        );
    }
    // Another customer's key does not see it at all.
    let other = Api::new(
        &dash.url(""),
        &key_for(&dash, &dash.b, "read,book,cancel").await,
    );
    let skip = other
        .post(
            &format!("/bookings/{}/skip", b.id),
            &json!({"from": at.date, "to": at.date}),
            None,
        )
        .await;
    assert_eq!(skip.status, StatusCode::NOT_FOUND);
}

/// One event of a feed: its UID, status and opening instant.
struct FeedEvent {
    uid: String,
    status: String,
    starts: DateTime<Utc>,
}

/// The events of a feed, read line by line (UID, STATUS and DTSTART with its TZID).
fn feed_events(text: &str) -> Vec<FeedEvent> {
    use chrono::TimeZone;
    let unfolded = text.replace("\r\n ", "");
    let mut events = Vec::new();
    for block in unfolded.split("BEGIN:VEVENT").skip(1) {
        let line = |name: &str| {
            block
                .lines()
                .find(|l| l.starts_with(name))
                .unwrap_or_else(|| panic!("{name} in {block}"))
                .to_string()
        };
        let uid = line("UID:")["UID:".len()..].trim().to_string();
        let status = line("STATUS:")["STATUS:".len()..].trim().to_string();
        let start = line("DTSTART");
        let (params, value) = start.split_once(':').expect("DTSTART value");
        let zone: chrono_tz::Tz = params
            .split(';')
            .find_map(|p| p.strip_prefix("TZID="))
            .expect("TZID")
            .parse()
            .expect("zone");
        let local = chrono::NaiveDateTime::parse_from_str(value.trim(), "%Y%m%dT%H%M%S")
            .expect("local time");
        let starts = zone
            .from_local_datetime(&local)
            .earliest()
            .expect("exists")
            .with_timezone(&Utc);
        events.push(FeedEvent {
            uid,
            status,
            starts,
        });
    }
    events
}

/// Every fault on the new request and on the cancel of the original: the person sees an honest
/// state at once, and once the worker is done AURA holds exactly the windows the dashboard shows
/// as scheduled, none twice (a stuck change shows both versions, and is under Needs attention).
#[tokio::test]
async fn every_fault_on_either_step_of_a_skip_leaves_aura_and_the_dashboard_agreeing() {
    struct Case {
        name: &'static str,
        /// Faults in force while the skip is asked (the new requests are sent first).
        faults: Vec<Value>,
        settled: ChangeStatus,
    }
    let cases = vec![
        Case {
            name: "new-503",
            faults: vec![json!({"operation": "create", "status": 503, "retryAfter": 1})],
            settled: ChangeStatus::Done,
        },
        Case {
            name: "new-400",
            faults: vec![json!({"operation": "create", "status": 400})],
            settled: ChangeStatus::Refused,
        },
        Case {
            name: "new-drop",
            faults: vec![json!({"operation": "create", "mode": "drop"})],
            settled: ChangeStatus::Booking,
        },
        Case {
            name: "old-503",
            faults: vec![json!({"operation": "cancel", "status": 503, "retryAfter": 1})],
            settled: ChangeStatus::Done,
        },
        Case {
            name: "old-drop",
            faults: vec![json!({"operation": "cancel", "mode": "drop"})],
            settled: ChangeStatus::Done,
        },
        Case {
            name: "new-429",
            faults: vec![json!({"operation": "create", "status": 429, "retryAfter": 1})],
            settled: ChangeStatus::Done,
        },
        Case {
            name: "new-garbage",
            faults: vec![json!({"operation": "create", "mode": "garbage"})],
            settled: ChangeStatus::Booking,
        },
        Case {
            name: "old-429",
            faults: vec![json!({"operation": "cancel", "status": 429, "retryAfter": 1})],
            settled: ChangeStatus::Done,
        },
        Case {
            name: "old-garbage",
            faults: vec![json!({"operation": "cancel", "mode": "garbage"})],
            settled: ChangeStatus::Done,
        },
        Case {
            name: "old-400",
            faults: vec![json!({"operation": "cancel", "status": 400})],
            settled: ChangeStatus::Stuck,
        },
    ];
    let (sb, dash, api, site) = setup().await;
    for case in cases {
        let at = local_in("Europe/London", 24 * 60);
        // Only the end is skipped: one new request, so a create fault hits it.
        let b: Booking = api
            .post("/bookings", &daily(case.name, site, &at, 6), None)
            .await
            .json();
        for f in &case.faults {
            sb.post_control("/_control/faults", f.clone()).await;
        }
        let answer = api
            .post(
                &format!("/bookings/{}/skip", b.id),
                &json!({"from": date_after(&at.date, 4), "to": date_after(&at.date, 5)}),
                None,
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{}: {}",
            case.name,
            answer.body
        );
        settle(&dash).await;
        let mut tx = dash.state.db.begin().await.expect("tx");
        let change = db::changes_of_booking(&mut tx, b.id)
            .await
            .expect("changes")
            .pop()
            .expect("a change");
        drop(tx);
        assert_eq!(change.status, case.settled, "{}", case.name);
        let original = stored(&dash, b.id).await;
        let part = stored(&dash, change.parts[0]).await;
        match case.settled {
            ChangeStatus::Done => {
                assert_eq!(original.status, SyncStatus::Cancelled, "{}", case.name);
                assert_eq!(part.status, SyncStatus::Confirmed, "{}", case.name);
            }
            ChangeStatus::Refused => {
                // The original stands; the refused part holds nothing.
                assert_eq!(original.status, SyncStatus::Confirmed, "{}", case.name);
                assert_eq!(part.status, SyncStatus::Rejected, "{}", case.name);
                let events = db::events_of_booking(&dash.state.db, b.id)
                    .await
                    .expect("events");
                assert!(events.iter().any(|e| e.kind == EventKind::ChangeRefused));
            }
            ChangeStatus::Booking => {
                // The new request's outcome is unknown: a person checks, as for any booking; the
                // original stands meanwhile.
                assert_eq!(part.status, SyncStatus::Unknown, "{}", case.name);
                assert_eq!(original.status, SyncStatus::Confirmed, "{}", case.name);
            }
            ChangeStatus::Stuck => {
                assert_eq!(original.status, SyncStatus::Confirmed, "{}", case.name);
                assert_eq!(part.status, SyncStatus::Confirmed, "{}", case.name);
                let attention = db::bookings_needing_attention(&dash.state.db, &CustomerScope::All)
                    .await
                    .expect("attention");
                assert!(attention.iter().any(|a| a.id == b.id), "{}", case.name);
            }
            ChangeStatus::Cancelling => unreachable!(),
        }
    }
    // AURA and the dashboard agree window by window. A window is held twice only where a person
    // has been told: the stuck change (AURA refused the original's cancel) and the new request
    // whose outcome is unknown (AURA may hold it); every other window is held exactly once.
    let held = held_windows(&sb, &dash).await;
    let shown = shown_windows(&dash).await;
    assert_eq!(held, shown);
    let doubled: BTreeSet<&str> = held
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|((name, _), _)| name.as_str())
        .collect();
    assert_eq!(
        doubled,
        BTreeSet::from(["new-drop", "new-garbage", "old-400"])
    );
    for name in [
        "new-503",
        "new-429",
        "old-503",
        "old-drop",
        "old-429",
        "old-garbage",
    ] {
        let windows = held.keys().filter(|(n, _)| n == name).count();
        assert_eq!(windows, 4, "{name}: the four days not skipped, once each");
    }
    // The refused skip left the original as it was: all six days, once each.
    assert_eq!(held.keys().filter(|(n, _)| n == "new-400").count(), 6);
}

/// An `.ics` body of one all-day closure on `date` (YYYY-MM-DD).
fn holiday_file(uid: &str, name: &str, date: &str) -> String {
    let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("date");
    let next = day + chrono::Duration::days(1);
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261201T000000Z\r\nDTSTART;VALUE=DATE:{}\r\nDTEND;VALUE=DATE:{}\r\nSUMMARY:{name}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        day.format("%Y%m%d"),
        next.format("%Y%m%d")
    )
}

/// Posts the import form as a browser does (multipart, the file under `ics`).
async fn import_file(dash: &Dashboard, http: &reqwest::Client, file: &str) -> reqwest::Response {
    let boundary = "----closures-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"ics\"; filename=\"holidays.ics\"\r\nContent-Type: text/calendar\r\n\r\n{file}\r\n--{boundary}--\r\n"
    );
    http.post(dash.url("/closures/import"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("import")
}

async fn closures_page(dash: &Dashboard, http: &reqwest::Client) -> domain::model::ClosuresView {
    use leptos::server_fn::ServerFn;
    let page: domain::model::ClosuresPage = crate::common::decode(
        http.get(dash.url(app::api::closures::LoadClosures::PATH))
            .send()
            .await
            .expect("closures"),
    )
    .await
    .expect("closures page");
    match page {
        domain::model::ClosuresPage::Ready(view) => *view,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_closures_file_is_imported_and_the_bookings_it_meets_are_skipped_or_kept() {
    let (sb, dash, api, site) = setup().await;
    let at = local_in("Europe/London", 24 * 60);
    let kept: Booking = api
        .post(
            "/bookings",
            &daily("Kept through the holiday", site, &at, 6),
            None,
        )
        .await
        .json();
    let skipped: Booking = api
        .post(
            "/bookings",
            &daily("Skipped on the holiday", site, &at, 6),
            None,
        )
        .await
        .json();
    let closed = date_after(&at.date, 3);
    let http = dash.signed_in(&dash.people.customer_a).await;
    let file = holiday_file("bank-holiday@example.com", "Bank holiday", &closed);
    let r = import_file(&dash, &http, &file).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    let view = closures_page(&dash, &http).await;
    let flash = view.flash.clone().expect("the import says what it did");
    assert!(
        matches!(
            flash.success,
            Some(domain::model::Outcome::ClosuresImported {
                added: 1,
                updated: 0,
                ..
            })
        ),
        "{flash:?}"
    );
    assert_eq!(view.closures.len(), 1);
    let closure = &view.closures[0];
    assert_eq!(closure.name, "Bank holiday");
    assert_eq!(closure.sites, "Every site");
    let met: BTreeSet<i64> = closure.meets.iter().map(|m| m.booking_id).collect();
    assert_eq!(met, BTreeSet::from([kept.id, skipped.id]));
    assert!(
        closure
            .meets
            .iter()
            .all(|m| m.count == 1 && m.why_not.is_none())
    );
    // The same file again updates what it added.
    import_file(&dash, &http, &file).await;
    assert_eq!(closures_page(&dash, &http).await.closures.len(), 1);
    // Not a calendar: refused at the file's field, nothing added.
    import_file(&dash, &http, "not a calendar").await;
    let view = closures_page(&dash, &http).await;
    let flash = view.flash.clone().expect("a problem");
    assert!(
        flash.errors.get(domain::Field::ClosureFile).is_some(),
        "{flash:?}"
    );
    assert_eq!(view.closures.len(), 1);

    // Skip one booking, keep the other.
    let r = http
        .post(dash.url(&format!("/closures/{}/apply", closure.id)))
        .form(&[
            ("key", view.form_key.clone()),
            ("booking", skipped.id.to_string()),
        ])
        .send()
        .await
        .expect("apply");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let after = closures_page(&dash, &http).await;
    match after.flash.and_then(|f| f.success) {
        Some(domain::model::Outcome::Several { rows }) => {
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].booking_id, skipped.id);
            assert!(
                matches!(
                    rows[0].outcome.as_deref(),
                    Ok(domain::model::Outcome::ChangeAsked {
                        status: ChangeStatus::Done,
                        ..
                    })
                ),
                "{:?}",
                rows[0].outcome
            );
        }
        other => panic!("{other:?}"),
    }
    // The closure now meets only the booking kept.
    let met: Vec<i64> = after.closures[0]
        .meets
        .iter()
        .map(|m| m.booking_id)
        .collect();
    assert_eq!(met, [kept.id]);
    let held = held_windows(&sb, &dash).await;
    let count = |name: &str| held.keys().filter(|(n, _)| n == name).count();
    assert_eq!(count("Kept through the holiday"), 6);
    assert_eq!(count("Skipped on the holiday"), 5);
    assert!(held.values().all(|n| *n == 1));

    // A closure typed in, with a problem at its field first.
    let r = http
        .post(dash.url("/closures/add"))
        .form(&[
            ("name", "Stocktake"),
            ("skip-from", "soon"),
            ("skip-to", ""),
        ])
        .send()
        .await
        .expect("add");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let view = closures_page(&dash, &http).await;
    let flash = view.flash.expect("a problem");
    assert!(
        flash.errors.get(domain::Field::SkipFrom).is_some(),
        "{flash:?}"
    );
    assert_eq!(flash.values.get(domain::Field::Name), Some("Stocktake"));
    let r = http
        .post(dash.url("/closures/add"))
        .form(&[
            ("name", "Stocktake"),
            ("skip-from", &date_after(&at.date, 4)),
            ("skip-to", ""),
            ("site", &site.to_string()),
        ])
        .send()
        .await
        .expect("add");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let view = closures_page(&dash, &http).await;
    assert_eq!(view.closures.len(), 2);
    assert_ne!(view.closures[1].sites, "Every site");
    // Another customer's user sees none of them, and cannot apply or delete them.
    let other = dash.signed_in(&dash.people.customer_b).await;
    assert!(closures_page(&dash, &other).await.closures.is_empty());
    let r = other
        .post(dash.url(&format!("/closures/{}/delete", closure.id)))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(closures_page(&dash, &http).await.closures.len(), 2);
}

/// The same service at every saved site of the customer in one submit: one booking per site, each
/// with its own key (a repeated submit books none twice), each sent on its own.
#[tokio::test]
async fn one_form_books_every_site_once_each_even_when_sent_twice() {
    let (sb, dash, _api, site) = setup().await;
    let sites: Vec<i64> = db::open_sites_for_customer(&dash.state.db, dash.a.id)
        .await
        .expect("sites")
        .iter()
        .map(|s| s.id)
        .collect();
    assert!(sites.len() >= 2, "the demo customer has two sites");
    let others: Vec<i64> = sites.iter().copied().filter(|s| *s != site).collect();
    let at = local_in("Europe/London", 24 * 60);
    let draft = crate::common::draft_at("multi-1", "Every site patrol", site, &at.date, &at.time);
    let http = dash.signed_in(&dash.people.customer_a).await;
    let send = || async {
        use leptos::server_fn::ServerFn;
        crate::common::decode::<domain::model::BookingResult>(
            http.post(dash.url(app::api::bookings::BookService::PATH))
                .json(&json!({"draft": draft, "also_sites": others}))
                .send()
                .await
                .expect("book"),
        )
        .await
        .expect("booked")
    };
    let first = send().await;
    assert_eq!(first.several.len(), sites.len());
    assert!(first.several.iter().all(|r| matches!(
        r.outcome.as_deref(),
        Ok(domain::model::Outcome::Booked {
            status: SyncStatus::Confirmed,
            ..
        })
    )));
    let again = send().await;
    let ids = |r: &domain::model::BookingResult| -> Vec<i64> {
        r.several.iter().map(|x| x.booking_id).collect()
    };
    assert_eq!(ids(&again), ids(&first), "the same bookings, not new ones");
    let control = sb.control().await;
    assert_eq!(control.calls.create as usize, sites.len());
    // Another customer's site is refused, and the form's own site is booked first.
    let foreign = db::open_sites_for_customer(&dash.state.db, dash.b.id)
        .await
        .expect("sites")[0]
        .id;
    let mixed = crate::common::decode::<domain::model::BookingResult>(
        http.post(dash.url(
            <app::api::bookings::BookService as leptos::server_fn::ServerFn>::PATH,
        ))
        .json(&json!({
            "draft": crate::common::draft_at("multi-2", "Mixed patrol", site, &at.date, &at.time),
            "also_sites": [foreign]
        }))
        .send()
        .await
        .expect("book"),
    )
    .await
    .expect("the form's own site is booked");
    assert_eq!(mixed.several.len(), 2);
    assert!(mixed.several[0].outcome.is_ok());
    assert!(mixed.several[1].outcome.is_err());
}

/// Several bookings chosen by a filter: a dry run lists what will happen (nothing is sent), then
/// the bookings ticked are skipped, each with its own result.
#[tokio::test]
async fn several_bookings_are_skipped_after_a_dry_run_each_with_its_result() {
    use leptos::server_fn::ServerFn;
    let (sb, dash, api, site) = setup().await;
    let at = local_in("Europe/London", 24 * 60);
    let a: Booking = api
        .post("/bookings", &daily("Fleet night A", site, &at, 5), None)
        .await
        .json();
    let b: Booking = api
        .post("/bookings", &daily("Fleet night B", site, &at, 5), None)
        .await
        .json();
    let _other: Booking = api
        .post("/bookings", &daily("Unrelated", site, &at, 5), None)
        .await
        .json();
    let day = date_after(&at.date, 2);
    let http = dash.signed_in(&dash.people.customer_a).await;
    let url = format!(
        "{}?name=Fleet&action=skip&from={day}&to={day}",
        app::api::closures::LoadSeveral::PATH
    );
    let view: domain::model::SeveralView =
        crate::common::decode(http.get(dash.url(&url)).send().await.expect("dry run"))
            .await
            .expect("view");
    assert!(view.dry_run);
    let listed: BTreeSet<i64> = view.rows.iter().map(|r| r.booking_id).collect();
    assert_eq!(listed, BTreeSet::from([a.id, b.id]));
    assert!(
        view.rows
            .iter()
            .all(|r| r.plan.as_ref().is_ok_and(|p| p.contains("2 new bookings"))),
        "{:?}",
        view.rows
    );
    assert_eq!(
        sb.control().await.calls.cancel,
        0,
        "a dry run sends nothing"
    );

    let r = http
        .post(dash.url("/several/apply"))
        .form(&[
            ("key", view.form_key.as_str()),
            ("action", "skip"),
            ("skip-from", day.as_str()),
            ("skip-to", day.as_str()),
            ("booking", &a.id.to_string()),
            ("booking", &b.id.to_string()),
        ])
        .send()
        .await
        .expect("apply");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let after: domain::model::SeveralView = crate::common::decode(
        http.get(dash.url(app::api::closures::LoadSeveral::PATH))
            .send()
            .await
            .expect("page"),
    )
    .await
    .expect("view");
    match after.flash.and_then(|f| f.success) {
        Some(domain::model::Outcome::Several { rows }) => {
            assert_eq!(rows.len(), 2);
            assert!(rows.iter().all(|r| r.outcome.is_ok()), "{rows:?}");
        }
        other => panic!("{other:?}"),
    }
    let held = held_windows(&sb, &dash).await;
    let count = |name: &str| held.keys().filter(|(n, _)| n == name).count();
    assert_eq!(count("Fleet night A"), 4);
    assert_eq!(count("Fleet night B"), 4);
    assert_eq!(count("Unrelated"), 5);
    assert!(held.values().all(|n| *n == 1));
}

/// A change made by an account manager on the customer's behalf reaches the customer's users (as
/// "changed on your behalf"), once for the change, not once per new booking; a change AURA refuses
/// reaches the customer and its managers.
#[tokio::test]
async fn a_change_on_the_customers_behalf_and_a_refused_change_reach_the_right_people() {
    use leptos::server_fn::ServerFn;
    let (sb, dash, _api, site) = setup().await;
    let manager = dash.signed_in(&dash.people.manager_of_a).await;
    let at = local_in("Europe/London", 24 * 60);
    let mut draft =
        crate::common::draft_at("onbehalf-1", "Managed patrol", site, &at.date, &at.time);
    draft.customer_id = Some(dash.a.id);
    let booked = crate::common::book_as(&manager, &dash.url(""), &draft)
        .await
        .expect("booked");
    let change = |key: &str, guards: &str| {
        let mut d = draft.clone();
        d.idempotency_key = key.into();
        d.number_of_guards = guards.into();
        d
    };
    let notices = |booking: i64| {
        let db = dash.state.db.clone();
        async move {
            let rows: Vec<(String, String)> = raw!(&db, |conn, d| sqlx::query_as(&d(
                "SELECT n.notice, u.email FROM notifications n JOIN users u ON u.id = n.user_id
                 WHERE n.booking_id = ? ORDER BY n.id"
            ))
            .bind(booking)
            .fetch_all(conn)
            .await?)
            .expect("notices");
            rows
        }
    };
    let before = notices(booked.booking_id).await.len();
    let r: domain::model::BookingResult = crate::common::decode(
        manager
            .post(dash.url(app::api::bookings::BookService::PATH))
            .json(&json!({"draft": change("onbehalf-2", "3"), "changing": booked.booking_id}))
            .send()
            .await
            .expect("change"),
    )
    .await
    .expect("changed");
    assert_eq!(r.change, Some(ChangeStatus::Done));
    let after = notices(booked.booking_id).await;
    let told: Vec<&(String, String)> = after[before..].iter().collect();
    assert_eq!(
        told,
        [&("on_behalf".to_string(), dash.people.customer_a.clone())],
        "the customer hears of the change once"
    );

    // A change AURA refuses: the original stands; the customer and its manager hear of it.
    let mut tx = dash.state.db.begin().await.expect("tx");
    let new_version = db::changes_of_booking(&mut tx, booked.booking_id)
        .await
        .expect("changes")[0]
        .parts[0];
    drop(tx);
    sb.post_control(
        "/_control/faults",
        json!({"operation": "create", "status": 400}),
    )
    .await;
    let r: domain::model::BookingResult = crate::common::decode(
        manager
            .post(dash.url(app::api::bookings::BookService::PATH))
            .json(&json!({"draft": change("onbehalf-3", "4"), "changing": new_version}))
            .send()
            .await
            .expect("change"),
    )
    .await
    .expect("answered");
    assert_eq!(r.change, Some(ChangeStatus::Refused));
    assert!(r.message.unwrap_or_default().contains("not carried out"));
    assert_eq!(
        stored(&dash, new_version).await.status,
        SyncStatus::Confirmed
    );
    let refused: BTreeSet<String> = notices(new_version)
        .await
        .into_iter()
        .filter(|(n, _)| n == "change_refused")
        .map(|(_, email)| email)
        .collect();
    assert_eq!(
        refused,
        BTreeSet::from([
            dash.people.customer_a.clone(),
            dash.people.manager_of_a.clone()
        ])
    );
}

/// The booking form leaves out the windows that fall on a closure when asked: the windows around
/// it are booked as runs, one booking each, and nothing is booked (or cancelled) on the closed date.
#[tokio::test]
async fn a_booking_can_leave_out_its_closed_dates_from_the_start() {
    use leptos::server_fn::ServerFn;
    let (sb, dash, _api, site) = setup().await;
    let http = dash.signed_in(&dash.people.customer_a).await;
    let at = local_in("Europe/London", 24 * 60);
    let closed = date_after(&at.date, 2);
    let r = http
        .post(dash.url("/closures/add"))
        .form(&[
            ("name", "Boiler works"),
            ("skip-from", closed.as_str()),
            ("skip-to", ""),
        ])
        .send()
        .await
        .expect("add");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut draft =
        crate::common::draft_at("around-1", "Around the works", site, &at.date, &at.time);
    draft.repeat = domain::RepeatKind::Daily;
    draft.days.clear();
    draft.last_date = date_after(&at.date, 5);
    // The preview warns.
    let preview: domain::model::SchedulePreview = crate::common::decode(
        http.post(dash.url(app::api::bookings::PreviewSchedule::PATH))
            .json(&json!({ "draft": draft }))
            .send()
            .await
            .expect("preview"),
    )
    .await
    .expect("preview");
    assert_eq!(preview.closures.len(), 1, "{:?}", preview.closures);
    assert!(preview.closures[0].starts_with("Boiler works"));
    let booked: domain::model::BookingResult = crate::common::decode(
        http.post(dash.url(app::api::bookings::BookService::PATH))
            .json(&json!({ "draft": draft, "skip_closures": true }))
            .send()
            .await
            .expect("book"),
    )
    .await
    .expect("booked");
    assert_eq!(booked.several.len(), 2, "{:?}", booked.several);
    assert!(booked.several.iter().all(|r| r.outcome.is_ok()));
    let held = held_windows(&sb, &dash).await;
    let days: BTreeSet<NaiveDate> = held
        .keys()
        .map(|(_, w)| w.with_timezone(&chrono_tz::Europe::London).date_naive())
        .collect();
    let closed_day = NaiveDate::parse_from_str(&closed, "%Y-%m-%d").expect("date");
    assert_eq!(days.len(), 5);
    assert!(!days.contains(&closed_day));
    assert_eq!(sb.control().await.calls.cancel, 0, "nothing to cancel");
    // A repeat of the same form books nothing more.
    let again: domain::model::BookingResult = crate::common::decode(
        http.post(dash.url(app::api::bookings::BookService::PATH))
            .json(&json!({ "draft": draft, "skip_closures": true }))
            .send()
            .await
            .expect("book"),
    )
    .await
    .expect("booked");
    assert_eq!(
        again
            .several
            .iter()
            .map(|r| r.booking_id)
            .collect::<Vec<_>>(),
        booked
            .several
            .iter()
            .map(|r| r.booking_id)
            .collect::<Vec<_>>()
    );
    assert_eq!(sb.control().await.calls.create, 2);
}
