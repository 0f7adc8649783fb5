use super::*;
use crate::db::Db;
use crate::db::test_support::{customer, fresh, london, new_booking, now};
use crate::db::{
    Actor, CancelRequest, CancelResult, Finding, Lease, NewSite, SendResult, Work, add_event,
    claim, customer_by_aura_id, events_of_booking, expire_sending, finish_cancel, finish_send,
    insert_site, request_cancel, resolve_unknown, site_of_customer, sites_for_customer,
};

use domain::model::EventKind;

/// Inserts a booking that must be new, returning its id.
async fn insert_new(pool: &Db, customer_id: i64, key: &str) -> i64 {
    match insert_booking(pool, &new_booking(customer_id, key), now())
        .await
        .expect("insert")
    {
        Inserted::New(id) => id,
        Inserted::Existing(id) => panic!("booking {id} already existed"),
    }
}

#[tokio::test]
async fn a_booking_round_trips_every_field() {
    let pool = fresh().await;
    let c = customer(&pool, "Acme", 1).await;
    let new = new_booking(c, "k1");
    let Inserted::New(id) = insert_booking(&pool, &new, now()).await.expect("insert") else {
        panic!("not new")
    };
    let b = booking_in_scope(&pool, &CustomerScope::Only(vec![c]), id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(b.schedule, new.schedule);
    assert_eq!(b.contacts, new.contacts);
    assert_eq!(b.status, SyncStatus::Saved);
    assert_eq!(b.armed_preference, ArmedPreference::Unarmed);
    assert_eq!(b.zone, london());
    assert_eq!((b.first_date, b.last_date), (new.first_date, new.last_date));
    assert_eq!(b.location.address.as_deref(), Some("1 High St"));
}

#[tokio::test]
async fn stored_text_that_names_no_value_is_refused_once_at_the_edge() {
    let pool = fresh().await;
    let c = customer(&pool, "Acme", 1).await;
    let id = insert_new(&pool, c, "k").await;
    on_db!(&pool, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE bookings SET days_of_week = 'MON,XYZ' WHERE id = ?"
    ))
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected())
    .expect("update");
    let e = booking_in_scope(&pool, &CustomerScope::All, id)
        .await
        .expect_err("corrupt");
    assert!(
        matches!(e, DbError::Corrupt(ref m) if m.contains("days of week")),
        "{e}"
    );
}

#[tokio::test]
async fn the_same_form_key_inserts_once() {
    let pool = fresh().await;
    let c = customer(&pool, "Acme", 1).await;
    let first = insert_booking(&pool, &new_booking(c, "k1"), now())
        .await
        .expect("insert");
    let again = insert_booking(&pool, &new_booking(c, "k1"), now())
        .await
        .expect("insert");
    let Inserted::New(id) = first else {
        panic!("first insert must be new")
    };
    assert_eq!(again, Inserted::Existing(id));
    let other = insert_booking(&pool, &new_booking(c, "k2"), now())
        .await
        .expect("insert");
    assert!(matches!(other, Inserted::New(o) if o != id));
}

#[tokio::test]
async fn bookings_are_only_visible_to_their_customer() {
    let pool = fresh().await;
    let a = customer(&pool, "A", 1).await;
    let b = customer(&pool, "B", 2).await;
    let id = insert_new(&pool, a, "k").await;
    assert!(
        booking_in_scope(&pool, &CustomerScope::Only(vec![b]), id)
            .await
            .expect("read")
            .is_none()
    );
    let only = |id| CustomerScope::Only(vec![id]);
    let count = |scope: CustomerScope| {
        let pool = pool.clone();
        async move { active_bookings(&pool, &scope).await.expect("read").len() }
    };
    assert_eq!(count(only(b)).await, 0);
    assert_eq!(count(only(a)).await, 1);
    assert_eq!(count(CustomerScope::Only(vec![a, b])).await, 1);
    assert_eq!(count(CustomerScope::All).await, 1);
    assert_eq!(
        count(CustomerScope::Only(vec![])).await,
        0,
        "an empty scope sees nothing"
    );
}

fn at(minutes: i64) -> DateTime<Utc> {
    now() + chrono::Duration::minutes(minutes)
}

fn lease(owner: &str, minutes: i64) -> Lease<'_> {
    Lease {
        owner,
        until: at(minutes),
    }
}

async fn status_of(pool: &Db, id: i64) -> Booking {
    booking_in_scope(pool, &CustomerScope::All, id)
        .await
        .expect("read")
        .expect("found")
}

fn ann() -> Actor {
    Actor {
        name: "Ann".into(),
        user_id: None,
        on_behalf_of: Some("Acme".into()),
        channel: domain::api::Channel::Page,
    }
}

fn wish(by: &Actor, minutes: i64) -> CancelRequest<'_> {
    CancelRequest {
        reason: "Site closed",
        by,
        at: at(minutes),
        removed_occurrences: 9,
    }
}

#[tokio::test]
async fn a_booking_is_claimed_once_confirmed_then_cancelled_at_aura() {
    let pool = fresh().await;
    let c = customer(&pool, "Acme", 1).await;
    let id = insert_new(&pool, c, "k").await;
    let claimed = claim(&pool, Work::Create, lease("p1", 2), now(), None).await;
    assert_eq!(claimed.expect("claim"), Some(id));
    assert_eq!(status_of(&pool, id).await.status, SyncStatus::Sending);
    assert_eq!(status_of(&pool, id).await.attempts, 1);
    // Nobody else can claim it while it is being sent.
    let again = claim(&pool, Work::Create, lease("p2", 2), now(), None).await;
    assert_eq!(again.expect("claim"), None);
    // Only the lease holder records the answer.
    let confirmed = SendResult::Confirmed {
        aura_id: "aura-1",
        next_occurrence: Some(at(60)),
        ours: true,
    };
    assert_eq!(
        finish_send(&pool, id, "p2", &confirmed, now())
            .await
            .expect("finish"),
        None
    );
    assert_eq!(
        finish_send(&pool, id, "p1", &confirmed, now())
            .await
            .expect("finish"),
        Some(SyncStatus::Confirmed)
    );
    let b = status_of(&pool, id).await;
    assert_eq!(b.aura_id.as_deref(), Some("aura-1"));
    assert!(b.next_occurrence_ours);
    let by = ann();
    assert_eq!(
        request_cancel(&pool, id, &wish(&by, 1)).await.expect("ask"),
        Some(SyncStatus::Cancelling)
    );
    assert_eq!(
        request_cancel(&pool, id, &wish(&by, 1))
            .await
            .expect("twice"),
        None,
        "asking twice changes nothing"
    );
    assert_eq!(
        active_bookings(&pool, &CustomerScope::All)
            .await
            .expect("active")
            .len(),
        1,
        "cancelling is still active: AURA holds it until it confirms"
    );
    assert_eq!(
        claim(&pool, Work::Cancel, lease("p1", 3), at(1), None)
            .await
            .expect("claim"),
        Some(id)
    );
    let retry = CancelResult::Retry {
        reason: "timed out",
        retry_at: at(5),
        outcome_unknown: false,
    };
    assert_eq!(
        finish_cancel(&pool, id, "p1", &retry, at(1))
            .await
            .expect("retry"),
        Some(SyncStatus::Cancelling)
    );
    assert_eq!(
        claim(&pool, Work::Cancel, lease("p1", 3), at(2), None)
            .await
            .expect("early"),
        None,
        "not before its retry time"
    );
    assert_eq!(
        claim(&pool, Work::Cancel, lease("p1", 8), at(6), None)
            .await
            .expect("claim"),
        Some(id)
    );
    assert_eq!(
        finish_cancel(&pool, id, "p1", &CancelResult::Done, at(6))
            .await
            .expect("done"),
        Some(SyncStatus::Cancelled)
    );
    let b = status_of(&pool, id).await;
    let cancellation = b.cancellation.expect("cancellation");
    assert_eq!(cancellation.reason, "Site closed");
    assert_eq!(cancellation.requested_at, at(1));
    assert_eq!(cancellation.done_at, Some(at(6)));
    assert_eq!(cancellation.on_behalf_of.as_deref(), Some("Acme"));
    assert_eq!(
        cancelled_bookings(&pool, &CustomerScope::Only(vec![c]), 10, 0)
            .await
            .expect("ledger")
            .len(),
        1
    );
}

#[tokio::test]
async fn not_delivered_waits_for_its_retry_and_a_cancel_meanwhile_needs_no_call() {
    let pool = fresh().await;
    let c = customer(&pool, "Acme", 1).await;
    let id = insert_new(&pool, c, "k").await;
    claim(&pool, Work::Create, lease("p1", 2), now(), None)
        .await
        .expect("claim");
    let not_delivered = SendResult::NotDelivered {
        reason: "connection refused",
        retry_at: at(10),
    };
    assert_eq!(
        finish_send(&pool, id, "p1", &not_delivered, now())
            .await
            .expect("finish"),
        Some(SyncStatus::NotSent)
    );
    assert_eq!(
        claim(&pool, Work::Create, lease("p1", 3), at(1), None)
            .await
            .expect("early"),
        None
    );
    assert_eq!(
        claim(&pool, Work::Create, lease("p1", 12), at(10), None)
            .await
            .expect("due"),
        Some(id)
    );
    // A cancel asked while the attempt is under way is kept...
    let by = ann();
    assert_eq!(
        request_cancel(&pool, id, &wish(&by, 10))
            .await
            .expect("ask"),
        Some(SyncStatus::Sending)
    );
    // ... and, as no attempt ever reached AURA, done here when this one does not either.
    assert_eq!(
        finish_send(&pool, id, "p1", &not_delivered, at(11))
            .await
            .expect("finish"),
        Some(SyncStatus::Cancelled)
    );
}

#[tokio::test]
async fn an_unknown_outcome_is_never_claimed_again_and_waits_for_a_person() {
    let pool = fresh().await;
    let c = customer(&pool, "Acme", 1).await;
    let held = insert_new(&pool, c, "held").await;
    let not_held = insert_new(&pool, c, "not-held").await;
    for id in [held, not_held] {
        claim(&pool, Work::Create, lease("p1", 2), now(), Some(id))
            .await
            .expect("claim");
        let unknown = SendResult::Unknown {
            reason: "timed out",
        };
        assert_eq!(
            finish_send(&pool, id, "p1", &unknown, now())
                .await
                .expect("finish"),
            Some(SyncStatus::Unknown)
        );
    }
    assert_eq!(
        claim(&pool, Work::Create, lease("p1", 100), at(60), None)
            .await
            .expect("claim"),
        None,
        "never retried blindly"
    );
    assert_eq!(
        count_needing_attention(&pool, &CustomerScope::All)
            .await
            .expect("count"),
        2
    );
    // A cancel keeps the wish: it is not "cancelled here only".
    let by = ann();
    for id in [held, not_held] {
        assert_eq!(
            request_cancel(&pool, id, &wish(&by, 1)).await.expect("ask"),
            Some(SyncStatus::Unknown)
        );
    }
    let finding = Finding::Held {
        aura_id: "aura-9",
        next_occurrence: None,
    };
    assert_eq!(
        resolve_unknown(&pool, held, &finding, at(2))
            .await
            .expect("resolve"),
        Some(SyncStatus::Cancelling),
        "AURA has it and a cancel was asked: the cancel goes to AURA"
    );
    assert_eq!(
        resolve_unknown(&pool, not_held, &Finding::NotHeld, at(2))
            .await
            .expect("resolve"),
        Some(SyncStatus::Cancelled),
        "AURA never had it: cancelled here"
    );
    // The same AURA id cannot be given to two bookings.
    let third = insert_new(&pool, c, "third").await;
    claim(&pool, Work::Create, lease("p1", 2), now(), Some(third))
        .await
        .expect("claim");
    finish_send(
        &pool,
        third,
        "p1",
        &SendResult::Unknown { reason: "dropped" },
        now(),
    )
    .await
    .expect("finish");
    assert!(matches!(
        resolve_unknown(&pool, third, &finding, at(3)).await,
        Err(DbError::Taken(crate::db::Unique::BookingAuraId))
    ));
    assert_eq!(
        resolve_unknown(&pool, third, &Finding::NotHeld, at(3))
            .await
            .expect("resolve"),
        Some(SyncStatus::Saved),
        "AURA does not have it: sent again"
    );
}

#[tokio::test]
async fn an_expired_sending_lease_becomes_unknown() {
    let pool = fresh().await;
    let c = customer(&pool, "Acme", 1).await;
    let id = insert_new(&pool, c, "k").await;
    claim(&pool, Work::Create, lease("dead", 2), now(), None)
        .await
        .expect("claim");
    assert!(
        expire_sending(&pool, "stopped", at(1))
            .await
            .expect("early")
            .is_empty()
    );
    assert_eq!(
        expire_sending(&pool, "stopped", at(3))
            .await
            .expect("expire"),
        vec![id]
    );
    let b = status_of(&pool, id).await;
    assert_eq!(b.status, SyncStatus::Unknown);
    // The dead owner's late answer changes nothing.
    let late = SendResult::Confirmed {
        aura_id: "aura-1",
        next_occurrence: None,
        ours: false,
    };
    assert_eq!(
        finish_send(&pool, id, "dead", &late, at(4))
            .await
            .expect("late"),
        None
    );
}

#[tokio::test]
async fn a_booking_never_sent_is_cancelled_at_once() {
    let pool = fresh().await;
    let c = customer(&pool, "Acme", 1).await;
    let id = insert_new(&pool, c, "k").await;
    let by = ann();
    assert_eq!(
        request_cancel(&pool, id, &wish(&by, 1)).await.expect("ask"),
        Some(SyncStatus::Cancelled)
    );
    assert_eq!(
        claim(&pool, Work::Create, lease("p1", 2), at(2), None)
            .await
            .expect("claim"),
        None,
        "a cancelled booking is not sent"
    );
}

/// A SQLite database migrated up to, not including, the migration `version`: the schema that
/// rows stored before it were written in.
async fn schema_before(version: i64) -> sqlx::SqlitePool {
    let pool = crate::db::test_support::empty().await;
    let mut before = sqlx::migrate!("../migrations/sqlite");
    before.migrations = before
        .migrations
        .iter()
        .filter(|m| m.version < version)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    before.run(&pool).await.expect("old schema");
    pool
}

/// Bookings stored before the outbox migration: only calls whose error proves nothing reached
/// AURA stay "not sent"; the others, and bookings left mid-call, become "unknown" with a history
/// entry — including ones cancelled "here only" after such a call, which keep the wish.
#[tokio::test]
async fn the_outbox_migration_never_resends_what_aura_may_hold() {
    let pool = schema_before(20261127000002).await;
    let c = customer(&Db::Sqlite(pool.clone()), "Acme", 1).await;
    // (name, old status, AURA id, last error, cancelled)
    type OldRow = (
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        bool,
    );
    let rows: [OldRow; 7] = [
        ("left-mid-call", "saved", None, None, false),
        (
            "timed-out",
            "not_sent",
            None,
            Some("AURA could not be reached: timed out: operation timed out"),
            false,
        ),
        (
            "refused-connection",
            "not_sent",
            None,
            Some("AURA could not be reached: connection failed: refused"),
            false,
        ),
        (
            "aura-503",
            "not_sent",
            None,
            Some("AURA failed (503): down"),
            false,
        ),
        (
            "cancelled-after-garbage",
            "cancelled",
            None,
            Some("AURA answered unexpectedly: create answered 201 without a scheduled request"),
            true,
        ),
        ("cancelled-at-aura", "cancelled", Some("sr_1"), None, true),
        ("confirmed", "confirmed", Some("sr_2"), None, false),
    ];
    for (name, status, aura_id, error, cancelled) in rows {
        on_db!(&pool, |conn, d| sqlx::query(sql!(d, "INSERT INTO bookings (customer_id, idempotency_key, service_type, name, number_of_guards,
                armed_preference, address, timezone, first_date, last_date, date_from, date_to,
                repeat_type, start_time, window_minutes, aura_id, status, sync_error, created_at,
                updated_at, cancelled_at, cancel_reason, cancelled_by)
             VALUES (?, ?, 'patrol', ?, 1, 'unarmed', '1 High St', 'Europe/London', '2026-12-01',
                '2026-12-01', '2026-12-01T00:00:00+00:00', '2026-12-01T23:59:59+00:00', 'single',
                '22:00:00', 60, ?, ?, ?, '2026-11-26T12:00:00+00:00', '2026-11-26T12:00:00+00:00',
                ?, ?, ?)"))
        .bind(c)
        .bind(name)
        .bind(name)
        .bind(aura_id)
        .bind(status)
        .bind(error)
        .bind(cancelled.then_some("2026-11-26T13:00:00+00:00"))
        .bind(cancelled.then_some("No longer needed"))
        .bind(cancelled.then_some("Ann"))
        .execute(conn).await?.rows_affected())
        .expect("old row");
    }
    crate::db::migrate_sqlite(&pool).await.expect("migrate");
    let all = CustomerScope::All;
    let mut seen = Vec::new();
    for id in 1..=7 {
        let b = booking_in_scope(&pool, &all, id)
            .await
            .expect("read")
            .expect("kept");
        let events = events_of_booking(&pool, id).await.expect("events");
        let flagged = events.iter().any(|e| e.kind == EventKind::OutcomeUnknown);
        seen.push((b.name.clone(), b.status, flagged));
        if b.name == "cancelled-after-garbage" {
            let wish = b.cancellation.expect("the wish is kept");
            assert_eq!(wish.reason, "No longer needed");
            assert_eq!(wish.done_at, None);
        }
        if b.status == SyncStatus::NotSent {
            assert!(b.next_attempt_at.is_some(), "{} is due", b.name);
        }
    }
    let expected = [
        ("left-mid-call", SyncStatus::Unknown, true),
        ("timed-out", SyncStatus::Unknown, true),
        ("refused-connection", SyncStatus::NotSent, false),
        ("aura-503", SyncStatus::NotSent, false),
        ("cancelled-after-garbage", SyncStatus::Unknown, true),
        ("cancelled-at-aura", SyncStatus::Cancelled, false),
        ("confirmed", SyncStatus::Confirmed, false),
    ];
    let expected: Vec<(String, SyncStatus, bool)> = expected
        .iter()
        .map(|(n, s, f)| ((*n).to_string(), *s, *f))
        .collect();
    assert_eq!(seen, expected);
    // Only the two provably undelivered bookings are picked up to be sent. The migration made
    // them due "now" by the database's own clock, the real one: claim after it as well as after
    // this test's fixed moments, whatever today is.
    let when = at(60 * 24 * 365).max(Utc::now() + chrono::Duration::days(1));
    let mut sent = Vec::new();
    while let Some(id) = claim(
        &pool,
        Work::Create,
        Lease {
            owner: "p1",
            until: when + chrono::Duration::days(35),
        },
        when,
        None,
    )
    .await
    .expect("claim")
    {
        sent.push(id);
    }
    assert_eq!(sent, vec![3, 4]);
}

/// Text stored before line breaks were normalised: a carriage return, alone or before a line
/// feed, becomes one line feed in instructions and cancel reasons; other text is untouched.
#[tokio::test]
async fn the_line_break_migration_leaves_only_line_feeds() {
    let pool = schema_before(20261204000001).await;
    let c = customer(&Db::Sqlite(pool.clone()), "Acme", 1).await;
    let rows = [
        (
            "a\r\nb\rEND:VEVENT\r\n\r\nc",
            Some("x\ry"),
            "a\nb\nEND:VEVENT\n\nc",
            Some("x\ny"),
        ),
        ("plain\nlines", None, "plain\nlines", None),
    ];
    for (i, (instructions, reason, _, _)) in rows.iter().enumerate() {
        on_db!(&pool, |conn, d| sqlx::query(sql!(d, "INSERT INTO bookings (customer_id, idempotency_key, service_type, name, special_instructions,
                number_of_guards, armed_preference, address, timezone, first_date, last_date,
                date_from, date_to, repeat_type, start_time, window_minutes, status, created_at,
                updated_at, cancel_requested_at, cancel_reason, cancelled_by)
             VALUES (?, ?, 'patrol', 'Name\ron one line', ?, 1, 'unarmed', '1 High St', 'Europe/London',
                20788, 20788, 1796083200, 1796169599, 'single', '22:00:00', 60, 'saved',
                '2026-11-26T12:00:00+00:00', '2026-11-26T12:00:00+00:00', ?, ?, ?)"))
        .bind(c)
        .bind(format!("key-{i}"))
        .bind(*instructions)
        .bind(reason.map(|_| "2026-11-26T13:00:00+00:00"))
        .bind(*reason)
        .bind(reason.map(|_| "Ann"))
        .execute(conn).await?.rows_affected())
        .expect("old row");
    }
    crate::db::migrate_sqlite(&pool).await.expect("migrate");
    for (i, (_, _, instructions, reason)) in rows.iter().enumerate() {
        let id = i64::try_from(i).expect("small") + 1;
        let (kept_instructions, kept_reason, name): (Option<String>, Option<String>, String) =
            on_db!(&pool, |conn, d| sqlx::query_as(sql!(
                d,
                "SELECT special_instructions, cancel_reason, name FROM bookings WHERE id = ?"
            ))
            .bind(id)
            .fetch_one(conn)
            .await?)
            .expect("read");
        assert_eq!(kept_instructions.as_deref(), Some(*instructions));
        assert_eq!(kept_reason.as_deref(), *reason);
        assert_eq!(name, "Name\ron one line", "only multi-line text changes");
    }
}

/// Bookings stored with text dates: converted to integers, in order at any year. A date past
/// 9999 (stored before dates had a range) is kept at the end of 9999 with a history entry, and
/// the booking shows in the months it covers (as text it sorted before "2026").
#[tokio::test]
async fn the_dates_migration_keeps_every_booking_in_date_order() {
    let pool = schema_before(20261127000003).await;
    let c = customer(&Db::Sqlite(pool.clone()), "Acme", 1).await;
    // (name, first date, last date, date from, date to, next occurrence)
    let rows = [
        (
            "december",
            "2026-12-01",
            "2026-12-31",
            "2026-12-01T00:00:00+00:00",
            "2026-12-31T23:59:59+00:00",
            Some("2026-12-01T22:00:00.250+00:00"),
        ),
        (
            "far-future",
            "2026-12-01",
            "+262142-12-31",
            "2026-12-01T00:00:00+00:00",
            "+262142-12-31T23:59:59+00:00",
            None,
        ),
    ];
    for (name, first, last, from, to, next) in rows {
        on_db!(&pool, |conn, d| sqlx::query(sql!(d, "INSERT INTO bookings (customer_id, idempotency_key, service_type, name, number_of_guards,
                armed_preference, address, timezone, first_date, last_date, date_from, date_to,
                repeat_type, start_time, window_minutes, aura_id, next_occurrence, status, created_at,
                updated_at)
             VALUES (?, ?, 'patrol', ?, 1, 'unarmed', '1 High St', 'Europe/London', ?, ?, ?, ?,
                'daily', '22:00:00', 60, ?, ?, 'confirmed', '2026-11-26T12:00:00+00:00',
                '2026-11-26T12:00:00+00:00')"))
        .bind(c)
        .bind(name)
        .bind(name)
        .bind(first)
        .bind(last)
        .bind(from)
        .bind(to)
        .bind(format!("aura-{name}"))
        .bind(next)
        .execute(conn).await?.rows_affected())
        .expect("old row");
    }
    crate::db::migrate_sqlite(&pool).await.expect("migrate");
    let all = CustomerScope::All;
    let december = booking_in_scope(&pool, &all, 1)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(
        december.last_date,
        NaiveDate::from_ymd_opt(2026, 12, 31).expect("date")
    );
    assert_eq!(
        december.next_occurrence.map(|n| n.to_rfc3339()).as_deref(),
        Some("2026-12-01T22:00:00+00:00"),
        "whole seconds"
    );
    let far = booking_in_scope(&pool, &all, 2)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(
        far.last_date,
        NaiveDate::from_ymd_opt(9999, 12, 31).expect("date")
    );
    assert_eq!(
        far.schedule.date_to.to_rfc3339(),
        "9999-12-31T23:59:59+00:00"
    );
    let kinds: Vec<EventKind> = events_of_booking(&pool, 2)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, vec![EventKind::DatesKept]);
    assert!(
        events_of_booking(&pool, 1)
            .await
            .expect("events")
            .is_empty()
    );
    // Both show in December 2026; only the long one in March 2031 and in 9999.
    let month = |y: i32, m: u32| {
        let from = NaiveDate::from_ymd_opt(y, m, 1)
            .expect("date")
            .and_hms_opt(0, 0, 0)
            .expect("time")
            .and_utc();
        (from, from + chrono::Duration::days(28))
    };
    for ((y, m), expected) in [
        ((2026, 12), vec![1, 2]),
        ((2031, 3), vec![2]),
        ((9999, 12), vec![2]),
    ] {
        let (from, to) = month(y, m);
        let ids: Vec<i64> = active_bookings_between(&pool, &all, from, to)
            .await
            .expect("between")
            .iter()
            .map(|b| b.id)
            .collect();
        assert_eq!(ids, expected, "{y}-{m}");
    }
}

#[tokio::test]
async fn events_are_kept_in_order() {
    let pool = fresh().await;
    let c = customer(&pool, "Acme", 1).await;
    let id = insert_new(&pool, c, "k").await;
    let mut tx = pool.begin().await.expect("tx");
    add_event(
        &mut tx,
        id,
        now(),
        EventKind::Saved,
        &Actor::system("Ann"),
        "",
    )
    .await
    .expect("event");
    add_event(
        &mut tx,
        id,
        now(),
        EventKind::Confirmed,
        &Actor::system("AURA"),
        "id aura-1",
    )
    .await
    .expect("event");
    tx.commit().await.expect("commit");
    let kinds: Vec<EventKind> = events_of_booking(&pool, id)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, vec![EventKind::Saved, EventKind::Confirmed]);
}

#[tokio::test]
async fn sites_belong_to_one_customer() {
    let pool = fresh().await;
    let a = customer(&pool, "A", 1).await;
    let b = customer(&pool, "B", 2).await;
    let location = Location {
        address: Some("1 Road".into()),
        coordinates: None,
    };
    let site = NewSite {
        customer_id: a,
        name: "Depot",
        location: &location,
        timezone: london(),
    };
    let s = insert_site(&pool, &site, now()).await.expect("site");
    assert!(
        site_of_customer(&pool, b, s.id)
            .await
            .expect("read")
            .is_none()
    );
    assert_eq!(sites_for_customer(&pool, a).await.expect("read"), vec![s]);
    // The same name twice for one customer is a typed refusal.
    assert!(matches!(
        insert_site(&pool, &site, now()).await,
        Err(DbError::Taken(crate::db::Unique::SiteName))
    ));
    // The check constraint refuses a site with no location at all.
    let nowhere = Location {
        address: None,
        coordinates: None,
    };
    let bad = NewSite {
        location: &nowhere,
        name: "Nowhere",
        ..site
    };
    assert!(insert_site(&pool, &bad, now()).await.is_err());
    // Upsert keeps one row per AURA customer id.
    assert_eq!(customer(&pool, "A renamed", 1).await, a);
    assert_eq!(
        customer_by_aura_id(&pool, 1)
            .await
            .expect("read")
            .map(|c| c.name),
        Some("A renamed".into())
    );
}
