//! Server-function and page tests: the whole dashboard over HTTP, against a sandbox on its own port.

use crate::common::raw;
use crate::common::{
    Dashboard, RunningSandbox, decode, draft, draft_at, drawn_windows, local_at_most, london_site,
    start_dashboard, start_sandbox,
};
use app::api::bookings::{
    BookService, CancelBooking, LoadBooking, LoadCalendar, LoadUpcoming, PreviewSchedule,
};
use backend::aura::wire::ServiceCatalog;
use backend::db::{self, CustomerScope};
use domain::error::AppError;
use domain::model::{
    BookingDetail, BookingResult, CalendarBody, CalendarView, EventKind, SchedulePreview,
    SyncStatus, UpcomingView,
};
use domain::{BookingDraft, Field, RepeatKind, ServiceType, Violation};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use serde_json::json;
use server::sandbox::SandboxConfig;

/// A refusal left nothing behind: no booking row of any status, no call to AURA.
async fn nothing_saved_or_sent(sb: &RunningSandbox, dash: &Dashboard) {
    let rows: i64 = raw!(&dash.state.db, |conn, d| sqlx::query_scalar(&d(
        "SELECT COUNT(*) FROM bookings"
    ))
    .fetch_one(conn)
    .await?)
    .expect("count");
    assert_eq!(rows, 0, "a refused booking was saved");
    let calls = sb.control().await.calls;
    assert_eq!(calls.create, 0, "a refused booking reached AURA");
}

async fn setup() -> (RunningSandbox, Dashboard) {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    (sb, dash)
}

async fn book(dash: &Dashboard, draft: &BookingDraft) -> Result<BookingResult, AppError> {
    decode(
        dash.http
            .post(dash.url(BookService::PATH))
            .json(&json!({ "draft": draft }))
            .send()
            .await
            .expect("book"),
    )
    .await
}

async fn detail(dash: &Dashboard, id: i64) -> Result<BookingDetail, AppError> {
    decode(
        dash.http
            .get(format!("{}?id={id}", dash.url(LoadBooking::PATH)))
            .send()
            .await
            .expect("detail"),
    )
    .await
}

/// A page as customer A's browser gets it.
async fn page_html(dash: &Dashboard, path: &str) -> String {
    dash.http
        .get(dash.url(path))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html")
}

async fn cancel(dash: &Dashboard, id: i64, reason: &str) -> Result<(), AppError> {
    crate::common::cancel_as(&dash.http, &dash.url(""), id, reason, &[]).await
}

#[tokio::test]
async fn booking_is_saved_sent_and_confirmed() {
    let (sb, dash) = setup().await;
    let site = london_site(&dash).await;
    let result = book(&dash, &draft("k1", "Night patrol", site, 60 * 24))
        .await
        .expect("booked");
    assert_eq!(result.status, SyncStatus::Confirmed);

    let d = detail(&dash, result.booking_id).await.expect("detail");
    let at_aura = sb.control().await.requests;
    assert_eq!(at_aura.len(), 1);
    assert_eq!(d.aura_id.as_deref(), Some(at_aura[0].id.as_str()));
    assert_eq!(d.timezone, "Europe/London");
    assert_eq!(d.contacts.len(), 1);
    assert!(
        d.next_occurrence
            .as_deref()
            .is_some_and(|n| n.ends_with("GMT") || n.ends_with("BST")),
        "{:?}",
        d.next_occurrence
    );
    let kinds: Vec<EventKind> = d.events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![EventKind::Saved, EventKind::Confirmed]);
    // Exactly what was stored went to AURA.
    let sent = &at_aura[0].scheduled_request_config;
    assert_eq!(sent.name, "Night patrol");
    assert_eq!(sent.number_of_guards, 2);
    assert_eq!(sent.repeats_config.window_period_minutes, 90);
    let row = db::booking_in_scope(&dash.state.db, &CustomerScope::All, result.booking_id)
        .await
        .expect("row")
        .expect("found");
    assert_eq!(row.next_occurrence, at_aura[0].next_occurrence);
}

#[tokio::test]
async fn the_same_form_submitted_twice_books_once() {
    let (sb, dash) = setup().await;
    let site = london_site(&dash).await;
    let d = draft("double-tap", "Double tap", site, 60 * 24);
    // Two submits racing, then a late retry of the same form.
    let (a, b) = tokio::join!(book(&dash, &d), book(&dash, &d));
    let c = book(&dash, &d).await.expect("retry");
    let (a, b) = (a.expect("a"), b.expect("b"));
    assert_eq!(a.booking_id, b.booking_id);
    assert_eq!(a.booking_id, c.booking_id);
    assert_eq!(c.status, SyncStatus::Confirmed);
    let snapshot = sb.control().await;
    assert_eq!(snapshot.calls.create, 1, "one AURA request");
    assert_eq!(snapshot.requests.len(), 1);
}

#[tokio::test]
async fn invalid_drafts_come_back_with_field_errors_and_nothing_is_saved() {
    let (sb, dash) = setup().await;
    let site = london_site(&dash).await;
    let soon = local_at_most("Europe/London", 2);
    let too_soon = draft_at("soon", "Too soon", site, &soon.date, &soon.time);
    let too_soon = BookingDraft {
        repeat: RepeatKind::Single,
        ..too_soon
    };
    let err = book(&dash, &too_soon).await.expect_err("too soon");
    let fields = err.field_errors().expect("field errors");
    assert!(
        fields
            .get(Field::StartTime)
            .is_some_and(|m| m.contains("at least 5 minutes")),
        "{fields:?}"
    );

    let blank = BookingDraft {
        name: " ".into(),
        window_minutes: "0".into(),
        ..draft("blank", "", site, 600)
    };
    let err = book(&dash, &blank).await.expect_err("blank");
    let fields = err.field_errors().expect("field errors");
    assert!(fields.get(Field::Name).is_some());
    assert!(fields.get(Field::WindowMinutes).is_some());

    let bad_zone = BookingDraft {
        site_id: None,
        address: "1 High St".into(),
        timezone: "Mars/Base".into(),
        ..draft("zone", "Zone", site, 600)
    };
    let err = book(&dash, &bad_zone).await.expect_err("zone");
    assert!(
        err.field_errors()
            .and_then(|f| f.get(Field::Timezone))
            .is_some_and(|m| m.contains("Mars/Base"))
    );

    nothing_saved_or_sent(&sb, &dash).await;
}

#[tokio::test]
async fn a_site_of_another_customer_cannot_be_used() {
    let (sb, dash) = setup().await;
    let facts = db::CustomerFacts {
        name: "Other".into(),
        aura_customer_id: 5,
        default_timezone: "Europe/London".parse().expect("zone"),
    };
    let other = db::upsert_customer(&dash.state.db, &facts, chrono::Utc::now())
        .await
        .expect("other");
    let site = db::insert_site(
        &dash.state.db,
        &db::NewSite {
            customer_id: other.id,
            name: "Theirs",
            location: &domain::Location {
                address: Some("2 Road".into()),
                coordinates: None,
            },
            timezone: facts.default_timezone,
        },
        chrono::Utc::now(),
    )
    .await
    .expect("site");
    let err = book(&dash, &draft("theirs", "Theirs", site.id, 600))
        .await
        .expect_err("refused");
    assert!(
        err.field_errors()
            .and_then(|f| f.get(Field::Site))
            .is_some(),
        "{err:?}"
    );
    nothing_saved_or_sent(&sb, &dash).await;
}

#[tokio::test]
async fn aura_refusal_is_kept_as_rejected_with_its_message_and_shown_until_acknowledged() {
    // The dashboard offers escort; this AURA does not.
    let sb = start_sandbox(SandboxConfig {
        services: ServiceCatalog::parse("patrol").expect("c"),
        ..SandboxConfig::default()
    })
    .await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let site = london_site(&dash).await;
    let d = BookingDraft {
        service_type: Some(ServiceType::Escort),
        ..draft("esc", "Escort", site, 60 * 24)
    };
    let result = book(&dash, &d).await.expect("answered");
    assert_eq!(result.status, SyncStatus::Rejected);
    assert!(
        result
            .message
            .as_deref()
            .is_some_and(|m| m.contains("escort")),
        "{result:?}"
    );
    let detail = detail(&dash, result.booking_id).await.expect("detail");
    assert_eq!(detail.status, SyncStatus::Rejected);
    assert!(!detail.can_cancel);
    assert!(detail.can_acknowledge);
    // Its first window (a day ahead) is in the coming week's agenda, marked refused, until someone
    // acknowledges it: a patrol that will not come is never just gone.
    let agenda = || async {
        decode::<CalendarView>(
            dash.http
                .get(format!("{}?view=agenda", dash.url(LoadCalendar::PATH)))
                .send()
                .await
                .expect("agenda"),
        )
        .await
        .expect("agenda")
    };
    let shown = agenda().await;
    let windows = drawn_windows(&shown);
    assert!(!windows.is_empty());
    assert!(
        windows
            .iter()
            .all(|o| o.booking_id == result.booking_id && o.status == SyncStatus::Rejected),
        "{windows:?}"
    );
    let r = dash
        .http
        .post(dash.url(<app::api::notices::Acknowledge as leptos::server_fn::ServerFn>::PATH))
        .form(&[("id", result.booking_id.to_string())])
        .send()
        .await
        .expect("acknowledge");
    assert!(r.status().is_success());
    let after = agenda().await;
    assert_eq!(after.total, 0);
    assert!(drawn_windows(&after).is_empty());
    let detail = crate::dashboard::detail(&dash, result.booking_id)
        .await
        .expect("detail");
    assert!(!detail.can_acknowledge);
    assert!(detail.acknowledged.is_some());
    // A corrected form (new attempt key) books normally.
    let fixed = BookingDraft {
        service_type: Some(ServiceType::Patrol),
        idempotency_key: "esc-1".into(),
        ..d
    };
    assert_eq!(
        book(&dash, &fixed).await.expect("booked").status,
        SyncStatus::Confirmed
    );
}

#[tokio::test]
async fn aura_unreachable_keeps_the_booking_as_not_sent() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let dash = start_dashboard(
        &format!("http://{closed}/panic-api/v2"),
        ServiceCatalog::default(),
    )
    .await;
    let site = london_site(&dash).await;
    let result = book(&dash, &draft("down", "While down", site, 60 * 24))
        .await
        .expect("saved");
    assert_eq!(result.status, SyncStatus::NotSent);
    let d = detail(&dash, result.booking_id).await.expect("detail");
    assert_eq!(d.status, SyncStatus::NotSent);
    assert!(
        d.sync_error
            .as_deref()
            .is_some_and(|e| e.contains("could not be reached"))
    );
    assert!(
        !d.upcoming.is_empty(),
        "a not-yet-sent booking still shows its windows"
    );
    // It never reached AURA, so cancelling is local and succeeds.
    cancel(&dash, result.booking_id, "Not needed")
        .await
        .expect("cancelled");
    assert_eq!(
        detail(&dash, result.booking_id)
            .await
            .expect("detail")
            .status,
        SyncStatus::Cancelled
    );
}

#[tokio::test]
async fn cancel_requires_a_reason_then_cancels_at_aura_and_in_the_ledger() {
    let (sb, dash) = setup().await;
    let site = london_site(&dash).await;
    let id = book(&dash, &draft("c1", "To cancel", site, 60 * 24))
        .await
        .expect("booked")
        .booking_id;

    let err = cancel(&dash, id, "   ").await.expect_err("reason required");
    assert!(
        err.field_errors()
            .and_then(|f| f.get(Field::CancelReason))
            .is_some()
    );
    assert_eq!(sb.control().await.calls.cancel, 0);
    let kept = detail(&dash, id).await.expect("detail");
    assert!(
        kept.cancellation.is_none() && kept.can_cancel,
        "the refused cancel saved nothing"
    );

    cancel(&dash, id, "Site closed").await.expect("cancelled");
    let snapshot = sb.control().await;
    assert_eq!(
        serde_json::to_value(snapshot.requests[0].status).expect("s"),
        "cancelled"
    );

    let d = detail(&dash, id).await.expect("detail");
    let c = d.cancellation.expect("cancellation");
    assert_eq!(c.reason, "Site closed");
    assert_eq!(c.by, "Ann Customer");
    assert_eq!(c.on_behalf_of, None, "a customer acts for itself");
    assert_eq!(
        c.removed_occurrences, 4,
        "four weekly windows were still ahead"
    );
    assert!(d.upcoming.is_empty() && !d.can_cancel);

    let err = cancel(&dash, id, "Again").await.expect_err("twice");
    assert!(matches!(err, AppError::Conflict(_)));
    assert_eq!(
        sb.control().await.calls.cancel,
        1,
        "the second was not sent"
    );
    let kept = detail(&dash, id).await.expect("detail");
    assert_eq!(
        kept.cancellation.expect("cancellation").reason,
        "Site closed",
        "the second reason was not saved"
    );

    let view: UpcomingView = decode(
        dash.http
            .get(format!("{}?days=30", dash.url(LoadUpcoming::PATH)))
            .send()
            .await
            .expect("u"),
    )
    .await
    .expect("upcoming");
    assert!(view.occurrences.iter().all(|o| o.booking_id != id));
    assert_eq!(view.cancellations.len(), 1);
    assert_eq!(view.cancellations[0].cancellation.reason, "Site closed");
}

#[tokio::test]
async fn a_cancel_aura_cannot_take_yet_is_finished_by_the_worker() {
    let (sb, dash) = setup().await;
    let site = london_site(&dash).await;
    let id = book(&dash, &draft("c2", "Stays", site, 60 * 24))
        .await
        .expect("booked")
        .booking_id;
    sb.post_control(
        "/_control/faults",
        json!({"operation": "cancel", "status": 503}),
    )
    .await;
    // Accepted as "cancelling": AURA still holds it, and the worker finishes the cancel.
    cancel(&dash, id, "Try").await.expect("cancel asked");
    let seen = detail(&dash, id).await.expect("detail");
    assert_eq!(seen.status, SyncStatus::Cancelling);
    assert!(seen.next_attempt.is_some());
    let asked = seen.cancellation.expect("the wish is kept");
    assert!(asked.pending);
    assert_eq!(asked.reason, "Try");
    assert_eq!(
        sb.control().await.requests[0].status,
        backend::aura::wire::RequestStatus::Scheduled
    );
    crate::reliability::settle(&dash).await;
    assert_eq!(
        detail(&dash, id).await.expect("detail").status,
        SyncStatus::Cancelled
    );
    assert_eq!(
        sb.control().await.requests[0].status,
        backend::aura::wire::RequestStatus::Cancelled
    );
}

#[tokio::test]
async fn upcoming_and_month_views_list_windows_in_time_order() {
    let (_sb, dash) = setup().await;
    let site = london_site(&dash).await;
    let d = BookingDraft {
        repeat: RepeatKind::Daily,
        days: vec![],
        ..draft("daily", "Daily check", site, 60 * 3)
    };
    book(&dash, &d).await.expect("booked");
    let view: UpcomingView = decode(
        dash.http
            .get(format!("{}?days=7", dash.url(LoadUpcoming::PATH)))
            .send()
            .await
            .expect("u"),
    )
    .await
    .expect("upcoming");
    assert!(view.occurrences.len() >= 7, "{}", view.occurrences.len());
    assert!(view.occurrences.windows(2).all(|w| w[0].opens < w[1].opens));
    assert!(
        view.occurrences
            .iter()
            .all(|o| o.time_label.ends_with("GMT") || o.time_label.ends_with("BST"))
    );

    let first = &view.occurrences[0];
    let month = first.local_date.format("%Y-%m").to_string();
    let m: CalendarView = decode(
        dash.http
            .get(format!("{}?month={month}", dash.url(LoadCalendar::PATH)))
            .send()
            .await
            .expect("m"),
    )
    .await
    .expect("month");
    let CalendarBody::Month(weeks) = &m.body else {
        panic!("a month")
    };
    let cell = weeks
        .iter()
        .flatten()
        .find(|c| c.date == first.local_date)
        .expect("day in grid");
    assert!(cell.shown.iter().any(|o| o.name == "Daily check"));
    assert!(weeks.iter().all(|w| w.len() == 7));
}

/// A last date thousands of years ahead, at a site behind UTC: a clear error at the field, in the
/// preview and on booking; nothing is expanded, saved or sent, and nothing panics.
#[tokio::test]
async fn far_future_dates_are_refused_at_the_field() {
    let (sb, dash) = setup().await;
    let site = db::sites_for_customer(&dash.state.db, dash.a.id)
        .await
        .expect("sites")
        .iter()
        .find(|s| s.timezone.name() == "America/New_York")
        .expect("new york site")
        .id;
    let far = BookingDraft {
        repeat: RepeatKind::Daily,
        days: vec![],
        last_date: "+262142-12-31".into(),
        ..draft("far", "Far", site, 60 * 24)
    };
    let p: SchedulePreview = decode(
        dash.http
            .post(dash.url(PreviewSchedule::PATH))
            .json(&json!({ "draft": far }))
            .send()
            .await
            .expect("preview"),
    )
    .await
    .expect("preview answers");
    assert!(
        p.errors
            .get(Field::LastDate)
            .is_some_and(|m| m.contains("5 years")),
        "{:?}",
        p.errors
    );
    assert!(p.occurrences.is_empty());
    match book(&dash, &far).await {
        Err(AppError::Invalid(errors)) => assert!(errors.get(Field::LastDate).is_some()),
        other => panic!("{other:?}"),
    }
    assert_eq!(sb.control().await.calls.create, 0);
    assert!(
        db::active_bookings(&dash.state.db, &CustomerScope::All)
            .await
            .expect("read")
            .is_empty()
    );
}

#[tokio::test]
async fn preview_shows_first_windows_and_the_lead_time_problem() {
    let (_sb, dash) = setup().await;
    let site = london_site(&dash).await;
    let p: SchedulePreview = decode(
        dash.http
            .post(dash.url(PreviewSchedule::PATH))
            .json(&json!({ "draft": draft("p", "P", site, 60 * 24) }))
            .send()
            .await
            .expect("p"),
    )
    .await
    .expect("preview");
    assert_eq!(p.timezone, "Europe/London");
    assert_eq!(p.total, 4);
    assert_eq!(p.occurrences.len(), 4);
    assert!(p.errors.is_empty());

    let at = local_at_most("Europe/London", 1);
    let soon = BookingDraft {
        repeat: RepeatKind::Single,
        ..draft_at("p2", "P", site, &at.date, &at.time)
    };
    let p: SchedulePreview = decode(
        dash.http
            .post(dash.url(PreviewSchedule::PATH))
            .json(&json!({ "draft": soon }))
            .send()
            .await
            .expect("p"),
    )
    .await
    .expect("preview");
    assert!(p.errors.get(Field::StartTime).is_some());
}

#[tokio::test]
async fn pages_render_on_the_server_with_typed_text_inert() {
    let (_sb, dash) = setup().await;
    let site = london_site(&dash).await;
    // Also closes the <title> the page's name goes into.
    let nasty = "</title><script>alert('x')</script><img src=x onerror=alert(1)>";
    let d = BookingDraft {
        special_instructions: nasty.into(),
        ..draft("xss", nasty, site, 60 * 24)
    };
    let id = book(&dash, &d).await.expect("booked").booking_id;
    for path in [
        "/".to_string(),
        "/book".into(),
        "/upcoming".into(),
        format!("/bookings/{id}"),
    ] {
        let r = dash.http.get(dash.url(&path)).send().await.expect("page");
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let html = r.text().await.expect("html");
        assert!(html.contains("AURA scheduled services"), "{path}");
        assert!(
            !html.contains("<script>alert"),
            "{path} renders typed text as markup"
        );
        assert!(
            !html.contains("<img src=x"),
            "{path} renders typed text as markup"
        );
    }
    // The server-rendered <title> holds the booking's name; look at the page several times (when
    // the page was streamed, the title only sometimes made it into the head).
    let detail_path = format!("/bookings/{id}");
    let detail_page = || page_html(&dash, &detail_path);
    for _ in 0..20 {
        let html = detail_page().await;
        assert!(
            !html.contains("</title><script>alert"),
            "the title is closed by typed text"
        );
    }
    let page = detail_page().await;
    assert!(
        page.contains("&lt;script&gt;alert"),
        "the text is shown, escaped"
    );
    let missing = dash
        .http
        .get(dash.url("/no/such/page"))
        .send()
        .await
        .expect("404");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_cancel_form_works_without_javascript() {
    let (sb, dash) = setup().await;
    let site = london_site(&dash).await;
    let id = book(&dash, &draft("no-js", "No-JS cancel", site, 600))
        .await
        .expect("booked")
        .booking_id;
    let page = format!("/bookings/{id}");
    // A browser posting the plain form: an empty reason comes back to the page, at the field.
    let post = |reason: &'static str| {
        dash.http
            .post(dash.url(CancelBooking::PATH))
            .header("accept", "text/html")
            .header("referer", dash.url(&page))
            .form(&[("id", id.to_string()), ("reason", reason.to_string())])
            .send()
    };
    let r = post("   ").await.expect("post");
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(r.headers()["location"], page.as_str());
    let html = page_html(&dash, &page).await;
    assert!(
        html.contains(&Violation::CancelReasonMissing.message()),
        "{html}"
    );
    assert_eq!(
        detail(&dash, id).await.expect("detail").status,
        SyncStatus::Confirmed
    );
    // A reason: cancelled here and at AURA, and the page says so.
    let r = post("Site sold").await.expect("post");
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(r.headers()["location"], page.as_str());
    let html = page_html(&dash, &page).await;
    assert!(
        html.contains("The booking is cancelled. AURA confirmed it."),
        "{html}"
    );
    assert_eq!(
        detail(&dash, id).await.expect("detail").status,
        SyncStatus::Cancelled
    );
    assert_eq!(sb.control().await.calls.cancel, 1);
}

#[tokio::test]
async fn the_history_names_what_happened_in_words() {
    let (_sb, dash) = setup().await;
    let site = london_site(&dash).await;
    let id = book(&dash, &draft("words", "Worded", site, 600))
        .await
        .expect("booked")
        .booking_id;
    cancel(&dash, id, "Not needed").await.expect("cancelled");
    let html = page_html(&dash, &format!("/bookings/{id}")).await;
    for label in ["Saved", "Confirmed by AURA", "Cancelled"] {
        assert!(html.contains(label), "{label}");
    }
    for key in ["confirmed<", "aura_cancel", "cancel_failed"] {
        assert!(!html.contains(key), "raw event key {key} shown");
    }
    // Old links to /requests/N land on the booking.
    let r = dash
        .http
        .get(dash.url(&format!("/requests/{id}")))
        .send()
        .await
        .expect("old link");
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(r.headers()["location"], format!("/bookings/{id}").as_str());
}

/// The theme picked in the header is kept in a cookie and the page comes back in it, signed in or
/// not; an unknown theme is a 400.
#[tokio::test]
async fn the_chosen_theme_is_kept_and_drawn_from_the_first_byte() {
    let (_sb, dash) = setup().await;
    for client in [dash.http.clone(), dash.anonymous()] {
        let r = client
            .post(dash.url(app::api::accounts::SetTheme::PATH))
            .header("accept", "text/html")
            .form(&[("theme", "dark"), ("back", "/sign-in")])
            .send()
            .await
            .expect("set");
        assert!(r.status().is_redirection(), "{}", r.status());
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("aura_theme="))
            .unwrap_or_default()
            .to_string();
        assert!(cookie.starts_with("aura_theme=dark;"), "{cookie}");
        let page = client
            .get(dash.url("/sign-in"))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        assert!(
            page.contains(r#"<html lang="en" data-theme="dark""#),
            "{}",
            &page[..200]
        );
        assert!(page.contains(r#"aria-pressed="true" aria-label="Dark theme""#));
        // Back to the system's choice: the cookie is cleared.
        let r = client
            .post(dash.url(app::api::accounts::SetTheme::PATH))
            .form(&[("theme", "system"), ("back", "/")])
            .send()
            .await
            .expect("reset");
        assert!(r.status().is_success() || r.status().is_redirection());
        let page = client
            .get(dash.url("/sign-in"))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        assert!(page.contains(r#"<html lang="en">"#), "{}", &page[..200]);
    }
    let r = dash
        .http
        .post(dash.url(app::api::accounts::SetTheme::PATH))
        .form(&[("theme", "purple"), ("back", "/")])
        .send()
        .await
        .expect("bad");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

/// Only the pages with an island (the booking form, a booking's page) load the browser bundle.
#[tokio::test]
async fn only_pages_with_an_island_load_the_bundle() {
    let (_sb, dash) = setup().await;
    let site = london_site(&dash).await;
    let id = book(&dash, &draft("bundle", "Bundle", site, 60 * 24))
        .await
        .expect("booked")
        .booking_id;
    for (path, islands) in [
        ("/".to_string(), false),
        ("/?view=week".into(), false),
        ("/upcoming".into(), false),
        ("/account".into(), false),
        ("/book".into(), true),
        (format!("/bookings/{id}"), true),
    ] {
        let html = page_html(&dash, &path).await;
        assert_eq!(html.contains(".wasm\""), islands, "{path}");
        assert_eq!(
            app::has_islands(path.split('?').next().unwrap_or("")),
            islands
        );
    }
    let sign_in = dash
        .anonymous()
        .get(dash.url("/sign-in"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(!sign_in.contains(".wasm\""));
}
