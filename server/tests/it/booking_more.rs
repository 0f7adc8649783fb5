//! Booking the common cases in fewer steps: "book again" fills in every field, overlapping
//! bookings are warned about (and can still be made), and a lock is booked with its unlock the
//! next morning as two linked AURA requests that can be cancelled together.

use crate::common::raw;
use chrono::{Datelike, NaiveDate};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{
    book_as, cancel_as, decode, draft, draft_at, local_in, london_site, ready, start_dashboard,
    start_sandbox,
};
use app::api::bookings::{LoadBooking, LoadBookingForm, PreviewSchedule};
use backend::aura::wire::{RequestStatus, ServiceCatalog};
use backend::db::{self, CustomerScope};
use domain::model::{BookingDetail, BookingStart, SchedulePreview, SyncStatus};
use domain::{BookingDraft, Field, PairRole, RepeatKind, ServiceType};
use server::sandbox::SandboxConfig;

#[tokio::test]
async fn book_again_fills_in_every_field_of_the_earlier_booking() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let site = london_site(&dash).await;
    let original = BookingDraft {
        service_type: Some(ServiceType::Guarding),
        armed_preference: domain::ArmedPreference::Armed,
        contacts: vec![
            domain::ContactDraft {
                name: "Priya".into(),
                mobile: "+44 7700 900123".into(),
            },
            domain::ContactDraft {
                name: "Sam".into(),
                mobile: "+44 7700 900456".into(),
            },
        ],
        ..draft("again-1", "Front gate guard", site, 600)
    };
    let booked = book_as(&dash.http, &dash.url(""), &original)
        .await
        .expect("booked");
    let start: BookingStart = decode(
        dash.http
            .get(dash.url(&format!(
                "{}?again={}",
                LoadBookingForm::PATH,
                booked.booking_id
            )))
            .send()
            .await
            .expect("form"),
    )
    .await
    .expect("form");
    let form = ready(start).expect("ready");
    let filled = form.prefill.expect("filled in");
    let stored = db::booking_in_scope(&dash.state.db, &CustomerScope::All, booked.booking_id)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(filled.service_type, Some(ServiceType::Guarding));
    assert_eq!(filled.name, "Front gate guard");
    assert_eq!(filled.special_instructions, original.special_instructions);
    assert_eq!(filled.number_of_guards, "2");
    assert_eq!(filled.armed_preference, domain::ArmedPreference::Armed);
    assert_eq!(
        filled
            .contacts
            .iter()
            .map(|c| (c.name.as_str(), c.mobile.as_str()))
            .collect::<Vec<_>>(),
        stored
            .contacts
            .iter()
            .map(|c| (c.name.as_str(), c.mobile.as_str()))
            .collect::<Vec<_>>()
    );
    assert_eq!(filled.site_id, Some(site));
    assert_eq!(filled.repeat, RepeatKind::Weekly);
    assert_eq!(filled.days, original.days);
    assert_eq!(filled.first_date, original.first_date);
    assert_eq!(filled.last_date, original.last_date);
    assert_eq!(filled.start_time, original.start_time);
    assert_eq!(filled.window_minutes, "90");
    assert!(
        form.prefill_note
            .expect("note")
            .contains(&format!("booking #{}", booked.booking_id))
    );
    // Booking the filled-in form makes a second booking.
    let again = book_as(
        &dash.http,
        &dash.url(""),
        &BookingDraft {
            idempotency_key: "again-2".into(),
            ..filled
        },
    )
    .await
    .expect("booked again");
    assert_ne!(again.booking_id, booked.booking_id);

    // Another customer's booking is not found, and nothing of it leaks.
    let b = dash.signed_in(&dash.people.customer_b).await;
    let r = b
        .get(dash.url(&format!(
            "{}?again={}",
            LoadBookingForm::PATH,
            booked.booking_id
        )))
        .send()
        .await
        .expect("form");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_overlap_is_warned_about_and_can_still_be_booked() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let site = london_site(&dash).await;
    // Fixed local times on a day at least a day ahead: no window nears midnight or a clock change,
    // and every draft reads the same day.
    let day = local_in("Europe/London", 60 * 24).date;
    let at = |key: &str, name: &str, time: &str| draft_at(key, name, site, &day, time);
    let first = book_as(
        &dash.http,
        &dash.url(""),
        &at("ov-1", "Day patrol", "12:00"),
    )
    .await
    .expect("booked");
    let preview = |d: BookingDraft| {
        let http = dash.http.clone();
        let url = dash.url(PreviewSchedule::PATH);
        async move {
            decode::<SchedulePreview>(
                http.post(url)
                    .json(&json!({ "draft": d }))
                    .send()
                    .await
                    .expect("preview"),
            )
            .await
            .expect("preview")
        }
    };
    // The same windows, same service, same site: all four overlap.
    let same = at("ov-2", "Second patrol", "12:30");
    let p = preview(same.clone()).await;
    assert_eq!(p.overlaps.len(), 1, "{p:?}");
    assert_eq!(p.overlaps[0].booking_id, first.booking_id);
    assert_eq!(p.overlaps[0].windows, 4);
    assert!(p.overlaps[0].first.contains("GMT") || p.overlaps[0].first.contains("BST"));
    // Another service at the same site, or the same service elsewhere, is no overlap.
    let p = preview(BookingDraft {
        service_type: Some(ServiceType::Guarding),
        ..same.clone()
    })
    .await;
    assert!(p.overlaps.is_empty());
    let elsewhere = db::sites_for_customer(&dash.state.db, dash.a.id)
        .await
        .expect("sites")
        .into_iter()
        .find(|s| s.id != site)
        .expect("a second site")
        .id;
    let p = preview(BookingDraft {
        site_id: Some(elsewhere),
        timezone: String::new(),
        ..same.clone()
    })
    .await;
    assert!(p.overlaps.iter().all(|o| o.booking_id != first.booking_id));
    // A window that ends when the other opens does not overlap.
    let p = preview(at("ov-3", "Earlier", "10:30")).await;
    assert!(p.overlaps.is_empty(), "{p:?}");
    // A warning, not a block.
    let second = book_as(&dash.http, &dash.url(""), &same)
        .await
        .expect("still booked");
    assert_ne!(second.booking_id, first.booking_id);
}

#[tokio::test]
async fn a_lock_is_booked_with_its_unlock_and_cancelled_together() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let site = london_site(&dash).await;
    let lock = BookingDraft {
        service_type: Some(ServiceType::LockUnlock),
        unlock_time: "07:00".into(),
        ..draft("pair-1", "Shop front", site, 600)
    };
    let booked = book_as(&dash.http, &dash.url(""), &lock)
        .await
        .expect("booked");
    // A double submit books nothing more.
    let again = book_as(&dash.http, &dash.url(""), &lock)
        .await
        .expect("same");
    assert_eq!(again.booking_id, booked.booking_id);
    let all = db::active_bookings(&dash.state.db, &CustomerScope::Only(vec![dash.a.id]))
        .await
        .expect("read");
    assert_eq!(all.len(), 2);
    let locked = all
        .iter()
        .find(|b| b.id == booked.booking_id)
        .expect("lock");
    let unlock = all
        .iter()
        .find(|b| b.id != booked.booking_id)
        .expect("unlock");
    assert_eq!(locked.name, "Shop front (lock)");
    assert_eq!(unlock.name, "Shop front (unlock)");
    assert_eq!(
        locked.pair.map(|p| (p.role, p.other)),
        Some((PairRole::Lock, Some(unlock.id)))
    );
    assert_eq!(
        unlock.pair.map(|p| (p.role, p.other)),
        Some((PairRole::Unlock, Some(locked.id)))
    );
    assert_eq!(
        unlock.first_date,
        locked.first_date.succ_opt().expect("next")
    );
    assert_eq!(unlock.last_date, locked.last_date.succ_opt().expect("next"));
    assert_eq!(unlock.schedule.start_time.to_string(), "07:00:00");
    let lock_day = NaiveDate::parse_from_str(&lock.first_date, "%Y-%m-%d")
        .expect("d")
        .weekday();
    assert_eq!(
        unlock.schedule.repeat,
        domain::Repeat::Weekly(vec![lock_day.succ()])
    );
    // Two AURA requests.
    let control = sb.control().await;
    assert_eq!(control.requests.len(), 2);
    let mut names: Vec<&str> = control
        .requests
        .iter()
        .map(|r| r.scheduled_request_config.name.as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["Shop front (lock)", "Shop front (unlock)"]);
    let unlock_request = control
        .requests
        .iter()
        .find(|r| r.scheduled_request_config.name.ends_with("(unlock)"))
        .expect("unlock at AURA");
    assert_eq!(
        unlock_request
            .scheduled_request_config
            .repeats_config
            .start_time,
        "07:00"
    );

    // The lock's page names the unlock and offers to cancel it too.
    let detail: BookingDetail = decode(
        dash.http
            .get(dash.url(&format!("{}?id={}", LoadBooking::PATH, locked.id)))
            .send()
            .await
            .expect("page"),
    )
    .await
    .expect("detail");
    let pair = detail.pair.expect("pair");
    assert_eq!(
        (pair.role, pair.other_id, pair.other_cancellable),
        (PairRole::Lock, unlock.id, true)
    );
    cancel_as(
        &dash.http,
        &dash.url(""),
        locked.id,
        "Shop closed for good",
        &[("also_pair", "true")],
    )
    .await
    .expect("both cancelled");
    let statuses: Vec<SyncStatus> = [locked.id, unlock.id]
        .iter()
        .map(|id| {
            let pool = dash.state.db.clone();
            let id = *id;
            async move {
                db::booking_in_scope(&pool, &CustomerScope::All, id)
                    .await
                    .expect("read")
                    .expect("b")
                    .status
            }
        })
        .collect::<futures_util::future::JoinAll<_>>()
        .await;
    assert_eq!(statuses, [SyncStatus::Cancelled, SyncStatus::Cancelled]);
    let control = sb.control().await;
    assert!(
        control
            .requests
            .iter()
            .all(|r| r.status == RequestStatus::Cancelled)
    );
    assert_eq!(control.calls.cancel, 2);

    // Cancelling one half alone leaves the other.
    let lock2 = BookingDraft {
        idempotency_key: "pair-2".into(),
        ..lock.clone()
    };
    let booked2 = book_as(&dash.http, &dash.url(""), &lock2)
        .await
        .expect("booked");
    cancel_as(
        &dash.http,
        &dash.url(""),
        booked2.booking_id,
        "Only the lock",
        &[],
    )
    .await
    .expect("the lock cancelled");
    let active = db::active_bookings(&dash.state.db, &CustomerScope::Only(vec![dash.a.id]))
        .await
        .expect("read");
    assert_eq!(active.len(), 1);
    assert!(active[0].name.ends_with("(unlock)"));

    // The unlock after a lock on the latest date that can be booked would fall after it.
    // The server reads London's today as well: asked again in the rare run where midnight passed
    // between our reading and its, so both read the same day.
    let london_today = || {
        chrono::Utc::now()
            .with_timezone(&chrono_tz::Europe::London)
            .date_naive()
    };
    let e = loop {
        let today = london_today();
        // The latest date that can be booked: five years from today (the same day of the month,
        // or the month's last day).
        let latest = today
            .checked_add_months(chrono::Months::new(60))
            .expect("a date");
        let late = BookingDraft {
            idempotency_key: format!("pair-late-{today}"),
            repeat: RepeatKind::Single,
            days: Vec::new(),
            first_date: latest.to_string(),
            last_date: latest.to_string(),
            ..lock.clone()
        };
        let answer = book_as(&dash.http, &dash.url(""), &late).await;
        if london_today() == today {
            break answer.expect_err("refused");
        }
    };
    assert!(
        e.field_errors()
            .and_then(|f| f.get(Field::UnlockTime))
            .is_some_and(|m| m.contains("End the locks a day earlier")),
        "{e:?}"
    );
    // Form keys are ours: `/` (kept for the unlock's key) is refused with the request.
    let slash = BookingDraft {
        idempotency_key: "pair/x".into(),
        ..lock.clone()
    };
    let r = dash
        .http
        .post(dash.url(app::api::bookings::BookService::PATH))
        .json(&json!({ "draft": slash }))
        .send()
        .await
        .expect("book");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // A bad unlock time is reported at its field; other services have none.
    let bad = BookingDraft {
        idempotency_key: "pair-3".into(),
        unlock_time: "7am".into(),
        ..lock.clone()
    };
    let e = book_as(&dash.http, &dash.url(""), &bad)
        .await
        .expect_err("refused");
    assert!(
        e.field_errors()
            .and_then(|f| f.get(Field::UnlockTime))
            .is_some(),
        "{e:?}"
    );
    let patrol = BookingDraft {
        idempotency_key: "pair-4".into(),
        service_type: Some(ServiceType::Patrol),
        unlock_time: "07:00".into(),
        ..lock
    };
    let e = book_as(&dash.http, &dash.url(""), &patrol)
        .await
        .expect_err("a patrol has no unlock");
    assert!(
        e.field_errors()
            .and_then(|f| f.get(Field::UnlockTime))
            .is_some(),
        "{e:?}"
    );
    let saved: i64 = raw!(&dash.state.db, |conn, d| sqlx::query_scalar(&d(
        "SELECT COUNT(*) FROM bookings WHERE idempotency_key LIKE 'pair-4%'"
    ))
    .fetch_one(conn)
    .await?)
    .expect("count");
    assert_eq!(saved, 0);
}
