//! Who may see and change what: every server function and page against every kind of person —
//! signed out, customer A, customer B, A's account manager, an account manager not assigned to A,
//! and an administrator. Refusals are checked where they matter: in the database and at AURA
//! (the sandbox's `_control/requests`), not only in the HTTP status.

use crate::common::raw;
use std::collections::HashMap;

use crate::common::{
    Dashboard, PASSWORD, RunningSandbox, book_as, decode, draft, drawn_windows, ready,
    start_dashboard, start_sandbox,
};
use app::api::accounts::{
    AssignManager, ChangePassword, ChangeRole, CreateCustomer, CreateUser, LoadAdminCustomer,
    LoadAdminCustomers, LoadAdminUsers, ResetPassword, SetUserDisabled, SignIn, SignOut,
    SwitchCustomer, UnassignManager, UpdateCustomer,
};
use app::api::bookings::{
    BookService, CancelBooking, LoadAttention, LoadBooking, LoadBookingForm, LoadCalendar,
    LoadUpcoming, PreviewSchedule, ResolveBooking, SendBookingAgain,
};
use app::api::sites::{AddSite, LoadSites, RenameSite, RestoreSite, RetireSite};
use backend::accounts::SIGN_IN_REFUSED;
use backend::aura::wire::ServiceCatalog;
use backend::db::{self, CustomerScope};
use domain::Field;
use domain::error::AppError;
use domain::model::{
    AttentionView, BookingDetail, BookingResult, BookingStart, CalendarView, SchedulePreview,
    SyncStatus, UpcomingView,
};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use serde_json::json;
use server::sandbox::SandboxConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Who {
    SignedOut,
    CustomerA,
    CustomerB,
    ManagerOfA,
    ManagerNotOfA,
    Admin,
}

const EVERYONE: [Who; 6] = [
    Who::SignedOut,
    Who::CustomerA,
    Who::CustomerB,
    Who::ManagerOfA,
    Who::ManagerNotOfA,
    Who::Admin,
];

impl Who {
    fn reaches_a(self) -> bool {
        matches!(self, Who::CustomerA | Who::ManagerOfA | Who::Admin)
    }

    fn reaches_b(self) -> bool {
        // The unassigned manager looks after B.
        matches!(self, Who::CustomerB | Who::ManagerNotOfA | Who::Admin)
    }

    /// The status a refused read or change of customer A's data must have.
    fn refused_status(self) -> StatusCode {
        match self {
            Who::SignedOut => StatusCode::UNAUTHORIZED,
            _ => StatusCode::NOT_FOUND,
        }
    }
}

struct World {
    sb: RunningSandbox,
    dash: Dashboard,
    clients: HashMap<Who, reqwest::Client>,
    site_a: i64,
    site_b: i64,
    /// A booking of customer A (made by A's own user) and one of B.
    booking_a: i64,
    booking_b: i64,
    /// The months ("YYYY-MM") their first windows fall in.
    first_months: Vec<String>,
}

impl World {
    fn client(&self, who: Who) -> &reqwest::Client {
        &self.clients[&who]
    }

    fn url(&self, path: &str) -> String {
        self.dash.url(path)
    }

    async fn get(&self, who: Who, path: &str) -> reqwest::Response {
        self.client(who)
            .get(self.url(path))
            .send()
            .await
            .expect("get")
    }

    async fn post_form(&self, who: Who, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client(who)
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("post")
    }

    async fn post_json(&self, who: Who, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.client(who)
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("post")
    }

    async fn status_of(&self, id: i64) -> SyncStatus {
        db::booking_in_scope(&self.dash.state.db, &CustomerScope::All, id)
            .await
            .expect("read")
            .expect("exists")
            .status
    }

    async fn requests_of(&self, customer: i64) -> usize {
        db::active_bookings(&self.dash.state.db, &CustomerScope::Only(vec![customer]))
            .await
            .expect("read")
            .len()
    }
}

async fn world() -> World {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let site = |customer| {
        let pool = dash.state.db.clone();
        async move {
            db::sites_for_customer(&pool, customer)
                .await
                .expect("sites")
                .iter()
                .find(|s| s.timezone.name() == "Europe/London")
                .expect("site")
                .id
        }
    };
    let site_a = site(dash.a.id).await;
    let site_b = site(dash.b.id).await;
    let p = &dash.people;
    let mut clients = HashMap::new();
    clients.insert(Who::SignedOut, dash.anonymous());
    clients.insert(Who::CustomerA, dash.http.clone());
    clients.insert(Who::CustomerB, dash.signed_in(&p.customer_b).await);
    clients.insert(Who::ManagerOfA, dash.signed_in(&p.manager_of_a).await);
    clients.insert(Who::ManagerNotOfA, dash.signed_in(&p.manager_of_b).await);
    clients.insert(Who::Admin, dash.signed_in(&p.admin).await);
    let mut w = World {
        sb,
        dash,
        clients,
        site_a,
        site_b,
        booking_a: 0,
        booking_b: 0,
        first_months: Vec::new(),
    };
    let alpha = draft("a-1", "Alpha patrol", site_a, 600);
    let bravo = draft("b-1", "Bravo patrol", site_b, 600);
    w.first_months = [&alpha, &bravo]
        .map(|d| d.first_date[..7].to_string())
        .to_vec();
    w.first_months.dedup();
    let booked: BookingResult = decode(
        w.post_json(Who::CustomerA, BookService::PATH, json!({ "draft": alpha }))
            .await,
    )
    .await
    .expect("A books");
    w.booking_a = booked.booking_id;
    let booked: BookingResult = decode(
        w.post_json(Who::CustomerB, BookService::PATH, json!({ "draft": bravo }))
            .await,
    )
    .await
    .expect("B books");
    w.booking_b = booked.booking_id;
    w
}

#[tokio::test]
async fn a_request_is_read_only_by_those_who_reach_its_customer() {
    let w = world().await;
    for who in EVERYONE {
        let r = w
            .get(who, &format!("{}?id={}", LoadBooking::PATH, w.booking_a))
            .await;
        if who.reaches_a() {
            assert_eq!(r.status(), StatusCode::OK, "{who:?}");
            let detail: BookingDetail = r.json().await.expect("json");
            assert_eq!(detail.name, "Alpha patrol");
            assert_eq!(detail.customer, w.dash.a.name);
        } else {
            assert_eq!(r.status(), who.refused_status(), "{who:?}");
            let body = r.text().await.expect("body");
            assert!(!body.contains("Alpha patrol"), "{who:?} learned the name");
        }
        // The page: signed-out people are sent to sign in; others see it or nothing of it.
        let page = w.get(who, &format!("/bookings/{}", w.booking_a)).await;
        match who {
            Who::SignedOut => {
                assert_eq!(page.status(), StatusCode::SEE_OTHER);
                let to = page.headers()["location"].to_str().expect("location");
                assert_eq!(
                    to,
                    format!("/sign-in?next=/bookings/{}", w.booking_a),
                    "back to the page after signing in"
                );
            }
            _ => {
                let html = page.text().await.expect("html");
                assert_eq!(
                    html.contains("Alpha patrol"),
                    who.reaches_a(),
                    "{who:?} page"
                );
            }
        }
    }
}

#[tokio::test]
async fn calendar_and_upcoming_show_only_customers_in_reach() {
    let w = world().await;
    let this_month = &w.first_months[0];
    for who in EVERYONE {
        let upcoming = w.get(who, &format!("{}?days=30", LoadUpcoming::PATH)).await;
        if who == Who::SignedOut {
            assert_eq!(upcoming.status(), StatusCode::UNAUTHORIZED);
            let month = w
                .get(who, &format!("{}?month={this_month}", LoadCalendar::PATH))
                .await;
            assert_eq!(month.status(), StatusCode::UNAUTHORIZED);
            assert_eq!(w.get(who, "/").await.status(), StatusCode::SEE_OTHER);
            assert_eq!(
                w.get(who, "/upcoming").await.status(),
                StatusCode::SEE_OTHER
            );
            continue;
        }
        let upcoming: UpcomingView = upcoming.json().await.expect("json");
        let names: Vec<&str> = upcoming
            .occurrences
            .iter()
            .map(|o| o.name.as_str())
            .collect();
        assert_eq!(names.contains(&"Alpha patrol"), who.reaches_a(), "{who:?}");
        assert_eq!(names.contains(&"Bravo patrol"), who.reaches_b(), "{who:?}");
        assert_eq!(upcoming.show_customer, who == Who::Admin, "{who:?}");
        // The month of each booking's first window (10 hours from now) draws it.
        let mut seen = Vec::new();
        for month in &w.first_months {
            let view: CalendarView = decode(
                w.get(who, &format!("{}?month={month}", LoadCalendar::PATH))
                    .await,
            )
            .await
            .expect("month");
            seen.extend(drawn_windows(&view).into_iter().map(|o| o.name.clone()));
        }
        assert_eq!(
            seen.iter().any(|n| n == "Alpha patrol"),
            who.reaches_a(),
            "{who:?}"
        );
        assert_eq!(
            seen.iter().any(|n| n == "Bravo patrol"),
            who.reaches_b(),
            "{who:?}"
        );
        let page = w.get(who, "/upcoming").await.text().await.expect("html");
        assert_eq!(page.contains("Alpha patrol"), who.reaches_a(), "{who:?}");
    }
}

#[tokio::test]
async fn booking_for_a_customer_needs_reach_and_otherwise_changes_nothing() {
    let w = world().await;
    for (i, who) in EVERYONE.into_iter().enumerate() {
        let before = (
            w.requests_of(w.dash.a.id).await,
            w.sb.control().await.calls.create,
        );
        let mut d = draft(&format!("m-{i}"), &format!("Matrix {who:?}"), w.site_a, 600);
        d.customer_id = Some(w.dash.a.id);
        let r = w
            .post_json(who, BookService::PATH, json!({ "draft": d }))
            .await;
        let after = (
            w.requests_of(w.dash.a.id).await,
            w.sb.control().await.calls.create,
        );
        if who.reaches_a() {
            let result: BookingResult = decode(r).await.expect("booked");
            assert_eq!(result.status, SyncStatus::Confirmed, "{who:?}");
            assert_eq!(after, (before.0 + 1, before.1 + 1), "{who:?}");
            let detail: BookingDetail = decode(
                w.get(
                    who,
                    &format!("{}?id={}", LoadBooking::PATH, result.booking_id),
                )
                .await,
            )
            .await
            .expect("detail");
            let saved = &detail.events[0];
            let on_behalf = (who != Who::CustomerA).then(|| w.dash.a.name.clone());
            assert_eq!(saved.on_behalf_of, on_behalf, "{who:?} recorded for whom");
        } else {
            assert_eq!(r.status(), who.refused_status(), "{who:?}");
            assert_eq!(after, before, "{who:?} changed something");
        }
    }
    // A's saved site cannot be used to book for B either.
    let before = w.sb.control().await.calls.create;
    let err = decode::<BookingResult>(
        w.post_json(
            Who::CustomerB,
            BookService::PATH,
            json!({ "draft": draft("b-steal", "Stolen site", w.site_a, 600) }),
        )
        .await,
    )
    .await
    .expect_err("refused");
    assert!(
        err.field_errors()
            .and_then(|f| f.get(Field::Site))
            .is_some()
    );
    assert_eq!(w.sb.control().await.calls.create, before);
}

#[tokio::test]
async fn cancelling_needs_reach_and_a_refusal_changes_nothing() {
    let w = world().await;
    for who in EVERYONE.into_iter().filter(|w| !w.reaches_a()) {
        let r = w
            .post_form(
                who,
                CancelBooking::PATH,
                &[("id", &w.booking_a.to_string()), ("reason", "Not mine")],
            )
            .await;
        assert_eq!(r.status(), who.refused_status(), "{who:?}");
        assert_eq!(w.status_of(w.booking_a).await, SyncStatus::Confirmed);
    }
    assert_eq!(w.sb.control().await.calls.cancel, 0, "nothing reached AURA");

    // A's account manager cancels on A's behalf: both are on record.
    let r = w
        .post_form(
            Who::ManagerOfA,
            CancelBooking::PATH,
            &[
                ("id", &w.booking_a.to_string()),
                ("reason", "Tenant moved out"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(w.status_of(w.booking_a).await, SyncStatus::Cancelled);
    assert_eq!(w.sb.control().await.calls.cancel, 1);
    let ledger: UpcomingView = decode(
        w.get(Who::CustomerA, &format!("{}?days=7", LoadUpcoming::PATH))
            .await,
    )
    .await
    .expect("ledger");
    let entry = &ledger.cancellations[0].cancellation;
    assert_eq!(entry.by, "Maya Manager");
    assert_eq!(entry.on_behalf_of.as_deref(), Some(w.dash.a.name.as_str()));
    let detail: BookingDetail = decode(
        w.get(
            Who::CustomerA,
            &format!("{}?id={}", LoadBooking::PATH, w.booking_a),
        )
        .await,
    )
    .await
    .expect("detail");
    for kind in [
        domain::model::EventKind::CancelRequested,
        domain::model::EventKind::Cancelled,
    ] {
        let event = detail
            .events
            .iter()
            .find(|e| e.kind == kind)
            .unwrap_or_else(|| panic!("{kind:?} in {:?}", detail.events));
        assert_eq!(event.actor, "Maya Manager");
        assert_eq!(event.on_behalf_of.as_deref(), Some(w.dash.a.name.as_str()));
    }
    // B's booking is untouched throughout.
    assert_eq!(w.status_of(w.booking_b).await, SyncStatus::Confirmed);
}

/// A booking of customer A whose answer from AURA was lost (AURA holds it): "being checked".
async fn unknown_booking_of_a(w: &World, key: &str) -> i64 {
    w.sb.post_control(
        "/_control/faults",
        json!({"operation": "create", "mode": "drop"}),
    )
    .await;
    let booked: BookingResult = decode(
        w.post_json(
            Who::CustomerA,
            BookService::PATH,
            json!({ "draft": draft(key, key, w.site_a, 600) }),
        )
        .await,
    )
    .await
    .expect("A books");
    assert_eq!(booked.status, SyncStatus::Unknown);
    booked.booking_id
}

/// What AURA holds is recorded only by A's account manager or an administrator; the list of
/// bookings that need attention shows each person only what they reach.
#[tokio::test]
async fn checking_with_aura_needs_reach_and_a_staff_role() {
    let w = world().await;
    for who in EVERYONE {
        let id = unknown_booking_of_a(&w, &format!("unknown-{who:?}")).await;
        let creates = w.sb.control().await.calls.create;
        let list = w.get(who, LoadAttention::PATH).await;
        if who == Who::SignedOut {
            assert_eq!(list.status(), StatusCode::UNAUTHORIZED);
        } else {
            let list: AttentionView = list.json().await.expect("json");
            assert_eq!(
                list.items.iter().any(|i| i.booking_id == id),
                who.reaches_a(),
                "{who:?} list"
            );
        }
        let r = w
            .post_form(
                who,
                ResolveBooking::PATH,
                &[("id", &id.to_string()), ("held", "false"), ("aura_id", "")],
            )
            .await;
        let allowed = matches!(who, Who::ManagerOfA | Who::Admin);
        let expected = match who {
            Who::SignedOut => StatusCode::UNAUTHORIZED,
            Who::CustomerA | Who::CustomerB => StatusCode::FORBIDDEN,
            _ if allowed => StatusCode::OK,
            _ => StatusCode::NOT_FOUND,
        };
        assert_eq!(r.status(), expected, "{who:?} resolve");
        if allowed {
            // "AURA does not have it": queued and sent again.
            assert_ne!(w.status_of(id).await, SyncStatus::Unknown, "{who:?}");
        } else {
            assert_eq!(w.status_of(id).await, SyncStatus::Unknown, "{who:?}");
            assert_eq!(w.sb.control().await.calls.create, creates, "{who:?}");
        }
        // Sending again from the next window: only for those in reach, and only a lapsed booking.
        let r = w
            .post_form(
                who,
                SendBookingAgain::PATH,
                &[("id", &w.booking_a.to_string())],
            )
            .await;
        let expected = match who {
            _ if who.reaches_a() => StatusCode::CONFLICT,
            other => other.refused_status(),
        };
        assert_eq!(r.status(), expected, "{who:?} send again");
        assert_eq!(w.status_of(w.booking_a).await, SyncStatus::Confirmed);
    }
}

#[tokio::test]
async fn the_form_and_its_preview_offer_only_sites_in_reach() {
    let w = world().await;
    for who in EVERYONE {
        let r = w.get(who, LoadBookingForm::PATH).await;
        match who {
            Who::SignedOut => assert_eq!(r.status(), StatusCode::UNAUTHORIZED),
            // Several customers and none chosen: pick one first.
            Who::Admin => {
                let start: BookingStart = r.json().await.expect("json");
                let BookingStart::ChooseCustomer(choices) = start else {
                    panic!("the administrator must choose a customer first")
                };
                assert_eq!(choices.len(), 2);
            }
            _ => {
                let form = r.json::<BookingStart>().await.expect("json");
                let form = ready(form).expect("one customer: the form");
                let ids: Vec<i64> = form.sites.iter().map(|s| s.id).collect();
                assert_eq!(ids.contains(&w.site_a), who.reaches_a(), "{who:?}");
                assert_eq!(ids.contains(&w.site_b), who.reaches_b(), "{who:?}");
            }
        }
        let mut d = draft("p", "Preview", w.site_a, 600);
        d.customer_id = Some(w.dash.a.id);
        let r = w
            .post_json(who, PreviewSchedule::PATH, json!({ "draft": d }))
            .await;
        if who == Who::SignedOut {
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
            continue;
        }
        let preview: SchedulePreview = r.json().await.expect("json");
        if who.reaches_a() {
            assert_eq!(preview.timezone, "Europe/London", "{who:?}");
            assert!(!preview.occurrences.is_empty(), "{who:?}");
        } else {
            assert!(preview.occurrences.is_empty(), "{who:?}");
            assert!(preview.errors.get(Field::Site).is_some(), "{who:?}");
        }
    }
}

#[tokio::test]
async fn the_switcher_only_offers_customers_in_reach() {
    let w = world().await;
    let a = w.dash.a.id.to_string();
    for who in [Who::CustomerB, Who::ManagerNotOfA] {
        let r = w
            .post_form(
                who,
                SwitchCustomer::PATH,
                &[("customer", &a), ("back", "/")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{who:?}");
    }
    let r = w
        .post_form(
            Who::SignedOut,
            SwitchCustomer::PATH,
            &[("customer", &a), ("back", "/")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // The administrator narrows the views to B, then books for B without naming it.
    let b = w.dash.b.id.to_string();
    let r = w
        .post_form(
            Who::Admin,
            SwitchCustomer::PATH,
            &[("customer", &b), ("back", "/")],
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let view: UpcomingView = decode(
        w.get(Who::Admin, &format!("{}?days=30", LoadUpcoming::PATH))
            .await,
    )
    .await
    .expect("upcoming");
    assert_eq!(view.showing_for, w.dash.b.name);
    assert!(view.occurrences.iter().all(|o| o.customer == w.dash.b.name));
    let form = ready(
        decode::<BookingStart>(w.get(Who::Admin, LoadBookingForm::PATH).await)
            .await
            .expect("form"),
    )
    .expect("B chosen");
    assert_eq!(form.customer_id, w.dash.b.id);
}

/// Every administration function, as (path, form) with plausible input.
fn admin_calls(w: &World, target_user: &str) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let a = w.dash.a.id.to_string();
    let user = target_user.to_string();
    vec![
        (
            CreateUser::PATH,
            vec![
                ("email", "new@a.example".into()),
                ("name", "New Person".into()),
                ("role", "customer".into()),
                ("customer", a.clone()),
                ("password", "a long enough password".into()),
            ],
        ),
        (
            ResetPassword::PATH,
            vec![
                ("user", user.clone()),
                ("password", "another long password".into()),
            ],
        ),
        (
            CreateCustomer::PATH,
            vec![
                ("name", "Evil Corp".into()),
                ("aura_customer_id", "999".into()),
                ("default_timezone", "Europe/London".into()),
            ],
        ),
        (
            UpdateCustomer::PATH,
            vec![
                ("customer", a.clone()),
                ("name", "Renamed".into()),
                ("aura_customer_id", "1".into()),
                ("default_timezone", "Europe/Paris".into()),
            ],
        ),
        (
            AssignManager::PATH,
            vec![("customer", a.clone()), ("manager", user.clone())],
        ),
        (
            UnassignManager::PATH,
            vec![("customer", a), ("manager", user.clone())],
        ),
        (
            SetUserDisabled::PATH,
            vec![("user", user.clone()), ("disabled", "true".into())],
        ),
        (
            ChangeRole::PATH,
            vec![
                ("user", user),
                ("role", "admin".into()),
                ("customer", String::new()),
            ],
        ),
    ]
}

async fn admin_state(w: &World) -> String {
    // Everything administration can change, as one comparable text.
    type UserState = (
        i64,
        String,
        domain::model::Role,
        Option<i64>,
        i64,
        Option<chrono::DateTime<chrono::Utc>>,
        String,
    );
    let rows: Vec<UserState> = raw!(&w.dash.state.db, |conn, d| sqlx::query_as(&d(
        "SELECT id, email, role, customer_id, session_epoch, disabled_at, password_hash
         FROM users ORDER BY id"
    ))
    .fetch_all(conn)
    .await?)
    .expect("users");
    let customers: Vec<(i64, String, i64, String)> =
        raw!(&w.dash.state.db, |conn, d| sqlx::query_as(&d(
            "SELECT id, name, aura_customer_id, default_timezone FROM customers ORDER BY id"
        ))
        .fetch_all(conn)
        .await?)
        .expect("customers");
    let sites: Vec<(i64, String)> = raw!(&w.dash.state.db, |conn, d| sqlx::query_as(&d(
        "SELECT id, name FROM sites ORDER BY id"
    ))
    .fetch_all(conn)
    .await?)
    .expect("sites");
    let assignments: Vec<(i64, i64)> = raw!(&w.dash.state.db, |conn, d| sqlx::query_as(&d(
        "SELECT user_id, customer_id FROM account_manager_customers ORDER BY 1, 2"
    ))
    .fetch_all(conn)
    .await?)
    .expect("assignments");
    format!("{rows:?}{customers:?}{sites:?}{assignments:?}")
}

#[tokio::test]
async fn administration_is_for_administrators_only() {
    let w = world().await;
    let maya = db::user_by_email(&w.dash.state.db, &w.dash.people.manager_of_a)
        .await
        .expect("read")
        .expect("maya");
    let before = admin_state(&w).await;
    for who in EVERYONE.into_iter().filter(|w| *w != Who::Admin) {
        let expected = match who {
            Who::SignedOut => StatusCode::UNAUTHORIZED,
            _ => StatusCode::FORBIDDEN,
        };
        for path in [LoadAdminUsers::PATH, LoadAdminCustomers::PATH] {
            assert_eq!(w.get(who, path).await.status(), expected, "{who:?} {path}");
        }
        let one = format!("{}?id={}", LoadAdminCustomer::PATH, w.dash.a.id);
        assert_eq!(w.get(who, &one).await.status(), expected, "{who:?}");
        for (path, form) in admin_calls(&w, &maya.id.to_string()) {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = w.post_form(who, path, &form).await;
            assert_eq!(r.status(), expected, "{who:?} {path}");
        }
        for page in ["/admin/users", "/admin/customers"] {
            let html = w.get(who, page).await.text().await.expect("html");
            assert!(
                !html.contains(&w.dash.people.manager_of_a),
                "{who:?} {page}"
            );
        }
    }
    assert_eq!(
        admin_state(&w).await,
        before,
        "a refused call changed something"
    );

    // The administrator can do each of them.
    for (path, form) in admin_calls(&w, &maya.id.to_string()) {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = w.post_form(Who::Admin, path, &form).await;
        assert!(r.status().is_success(), "admin {path}: {}", r.status());
    }
    assert_ne!(admin_state(&w).await, before);
    // The created customer user can sign in and sees customer A (renamed above).
    let newcomer = w.dash.anonymous();
    let r = newcomer
        .post(w.url(SignIn::PATH))
        .form(&[
            ("email", "new@a.example"),
            ("password", "a long enough password"),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("sign in");
    assert!(r.status().is_success());
    let form = ready(
        decode::<BookingStart>(
            newcomer
                .get(w.url(LoadBookingForm::PATH))
                .send()
                .await
                .expect("form"),
        )
        .await
        .expect("form"),
    )
    .expect("a customer user's form");
    assert_eq!(form.customer_name, "Renamed");
}

#[tokio::test]
async fn administrators_get_field_errors_and_keep_their_own_access() {
    let w = world().await;
    let err = decode::<()>(
        w.post_form(
            Who::Admin,
            CreateUser::PATH,
            &[
                ("email", "not an email"),
                ("name", ""),
                ("role", "customer"),
                ("customer", ""),
                ("password", "short"),
            ],
        )
        .await,
    )
    .await
    .expect_err("refused");
    let AppError::Invalid(errors) = err else {
        panic!("field errors expected, got {err:?}")
    };
    for field in [Field::Email, Field::Name, Field::Customer, Field::Password] {
        assert!(errors.get(field).is_some(), "{field:?}: {errors:?}");
    }
    let taken = decode::<()>(
        w.post_form(
            Who::Admin,
            CreateUser::PATH,
            &[
                ("email", &w.dash.people.customer_b.to_uppercase()),
                ("name", "Copy"),
                ("role", "admin"),
                ("customer", ""),
                ("password", "a long enough password"),
            ],
        )
        .await,
    )
    .await
    .expect_err("email taken");
    assert!(matches!(taken, AppError::Invalid(e) if e.get(Field::Email).is_some()));
    let me = db::user_by_email(&w.dash.state.db, &w.dash.people.admin)
        .await
        .expect("read")
        .expect("admin");
    let r = w
        .post_form(
            Who::Admin,
            SetUserDisabled::PATH,
            &[("user", &me.id.to_string()), ("disabled", "true")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "cannot lock oneself out");
}

#[tokio::test]
async fn a_browser_form_submit_comes_back_to_the_form_with_what_was_typed() {
    let w = world().await;
    let admin = w.client(Who::Admin);
    let r = admin
        .post(w.url(CreateCustomer::PATH))
        .header("accept", "text/html")
        .form(&[
            ("name", "<b>Harbour</b> & Co"),
            ("aura_customer_id", "not a number"),
            ("default_timezone", "Mars/Olympus"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(r.headers()["location"], "/admin/customers");
    let html = admin
        .get(w.url("/admin/customers"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Harbour"), "typed name kept");
    assert!(!html.contains("<b>Harbour"), "typed name inert");
    assert!(html.contains("AURA customerId: a whole number"));
    assert!(html.contains("is not a known IANA time zone"));
    // Shown once.
    let again = admin
        .get(w.url("/admin/customers"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(!again.contains("is not a known IANA time zone"));
}

#[tokio::test]
async fn disabled_users_lose_access_at_once() {
    let w = world().await;
    let ann = db::user_by_email(&w.dash.state.db, &w.dash.people.customer_a)
        .await
        .expect("read")
        .expect("ann");
    let detail = format!("{}?id={}", LoadBooking::PATH, w.booking_a);
    assert_eq!(
        w.get(Who::CustomerA, &detail).await.status(),
        StatusCode::OK
    );
    let r = w
        .post_form(
            Who::Admin,
            SetUserDisabled::PATH,
            &[("user", &ann.id.to_string()), ("disabled", "true")],
        )
        .await;
    assert!(r.status().is_success());
    // The existing session is dead, for reads, changes and pages alike.
    assert_eq!(
        w.get(Who::CustomerA, &detail).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let cancel = w
        .post_form(
            Who::CustomerA,
            CancelBooking::PATH,
            &[("id", &w.booking_a.to_string()), ("reason", "Bye")],
        )
        .await;
    assert_eq!(cancel.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(w.status_of(w.booking_a).await, SyncStatus::Confirmed);
    assert_eq!(
        w.get(Who::CustomerA, "/").await.status(),
        StatusCode::SEE_OTHER
    );
    // Signing in again is refused with the usual message.
    let retry = w.dash.anonymous();
    let r = retry
        .post(w.url(SignIn::PATH))
        .form(&[
            ("email", ann.email.as_str()),
            ("password", PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Enabling again does not revive the old session.
    w.post_form(
        Who::Admin,
        SetUserDisabled::PATH,
        &[("user", &ann.id.to_string()), ("disabled", "false")],
    )
    .await;
    assert_eq!(
        w.get(Who::CustomerA, &detail).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let back = w.dash.signed_in(&ann.email).await;
    let r = back.get(w.url(&detail)).send().await.expect("detail");
    assert_eq!(r.status(), StatusCode::OK);
}

/// A booking page that does not exist, or is out of reach, answers 404 every time (the page is
/// rendered whole before it is sent, so the status cannot depend on streaming timing).
#[tokio::test]
async fn a_missing_booking_page_is_always_404() {
    let w = world().await;
    for _ in 0..5 {
        for path in [
            "/bookings/999999".to_string(),
            "/bookings/not-a-number".to_string(),
            "/bookings/99999999999999999999999".to_string(),
            format!("/bookings/{}", w.booking_b),
        ] {
            let r = w.get(Who::CustomerA, &path).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
            let html = r.text().await.expect("html");
            assert!(!html.contains("Bravo patrol"), "{path}");
        }
    }
}

/// A request line sent as is (HTTP clients resolve dot segments before sending).
async fn raw_status(addr: std::net::SocketAddr, target: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer}"))
}

/// `/pkg/` is exempt from the guard; a path that only starts with it cannot reach anything else.
#[tokio::test]
async fn dot_segments_cannot_slip_past_the_guard() {
    let w = world().await;
    for target in [
        "/pkg/../admin/users",
        "/pkg/%2e%2e/admin/users",
        "/pkg/%2E%2E/api/load_admin_users",
        "/./admin/users",
    ] {
        assert_eq!(raw_status(w.dash.addr, target).await, 400, "{target}");
    }
    assert_eq!(
        raw_status(w.dash.addr, "/admin/users").await,
        303,
        "signed out: to sign in"
    );
}

#[tokio::test]
async fn requests_from_other_sites_are_refused() {
    let w = world().await;
    let cookie_jar_client = w.client(Who::CustomerA);
    let id = w.booking_a.to_string();
    for origin in ["http://evil.example", "null"] {
        let r = cookie_jar_client
            .post(w.url(CancelBooking::PATH))
            .header("origin", origin)
            .form(&[("id", id.as_str()), ("reason", "Forged")])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{origin}");
    }
    // No Origin and no Referer at all: refused as well.
    let bare = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let r = bare
        .post(w.url(SignIn::PATH))
        .form(&[
            ("email", w.dash.people.customer_a.as_str()),
            ("password", PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(w.status_of(w.booking_a).await, SyncStatus::Confirmed);
    assert_eq!(w.sb.control().await.calls.cancel, 0);
}

fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{}=", server::web::SESSION_COOKIE)))
        .map(str::to_string)
}

#[tokio::test]
async fn sign_in_is_generic_throttled_and_renews_the_session() {
    let w = world().await;
    let client = w.dash.anonymous();
    let sign_in = |email: &str, password: &str| {
        client
            .post(w.url(SignIn::PATH))
            .form(&[("email", email), ("password", password), ("next", "/")])
            .send()
    };
    // Wrong password and unknown account read the same.
    let wrong: AppError = decode::<()>(
        sign_in(&w.dash.people.customer_b, "wrong password!")
            .await
            .expect("post"),
    )
    .await
    .expect_err("refused");
    let unknown: AppError = decode::<()>(
        sign_in("nobody@x.example", "wrong password!")
            .await
            .expect("post"),
    )
    .await
    .expect_err("refused");
    assert_eq!(wrong, AppError::Forbidden(SIGN_IN_REFUSED.into()));
    assert_eq!(unknown, wrong);

    // The cookie: HttpOnly, SameSite, renewed at sign-in.
    let r = sign_in(&w.dash.people.customer_b, PASSWORD)
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    let first = session_cookie(&r).expect("session cookie");
    assert!(first.contains("HttpOnly"), "{first}");
    assert!(first.contains("SameSite=Lax"), "{first}");
    assert!(!first.contains("Secure"), "plain HTTP here: {first}");
    let r = sign_in(&w.dash.people.customer_b, PASSWORD)
        .await
        .expect("post");
    let second = session_cookie(&r).expect("renewed cookie");
    let value = |c: &str| c.split(';').next().unwrap_or_default().to_string();
    assert_ne!(value(&first), value(&second), "a new session id at sign-in");
    // The old id is worthless now.
    let stale = reqwest::Client::new()
        .get(w.url(LoadUpcoming::PATH))
        .query(&[("days", "7")])
        .header("cookie", value(&first))
        .send()
        .await
        .expect("get");
    assert_eq!(stale.status(), StatusCode::UNAUTHORIZED);

    // Signing out ends the session.
    let r = client
        .post(w.url(SignOut::PATH))
        .send()
        .await
        .expect("sign out");
    assert!(r.status().is_success());
    let after = client
        .get(w.url(LoadUpcoming::PATH))
        .query(&[("days", "7")])
        .send()
        .await
        .expect("get");
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);

    // Five failures for one account: even the right password waits now.
    for _ in 0..5 {
        let r = sign_in(&w.dash.people.manager_of_b, "guess guess guess")
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    let r = sign_in(&w.dash.people.manager_of_b, PASSWORD)
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((14 * 60..=15 * 60).contains(&retry_after), "{retry_after}");
    let err: AppError = decode::<()>(r).await.expect_err("throttled");
    assert!(err.to_string().contains("Wait 15 minutes"), "{err}");
}

#[tokio::test]
async fn aura_credentials_and_tokens_never_reach_a_response() {
    let w = world().await;
    let tokens = w.sb.sandbox.issued_tokens();
    assert!(!tokens.is_empty(), "the bookings fetched a token");
    assert!(
        w.sb.control().await.tokens.is_empty(),
        "the sandbox's control endpoint does not list tokens unless asked to"
    );
    let secret = server::sandbox::DEFAULT_CLIENT_SECRET;
    let mut bodies = Vec::new();
    for who in EVERYONE {
        for path in [
            "/".to_string(),
            "/book".into(),
            "/upcoming".into(),
            format!("/bookings/{}", w.booking_a),
            "/admin/users".into(),
            "/admin/customers".into(),
            format!("{}?days=30", LoadUpcoming::PATH),
            format!("{}?id={}", LoadBooking::PATH, w.booking_a),
            LoadBookingForm::PATH.to_string(),
        ] {
            let r = w.get(who, &path).await;
            let headers = format!("{:?}", r.headers());
            bodies.push((who, path, headers + &r.text().await.expect("body")));
        }
    }
    for (who, path, body) in &bodies {
        assert!(
            !body.contains(secret),
            "{who:?} {path} shows the client secret"
        );
        for token in &tokens {
            assert!(
                !body.contains(token.as_str()),
                "{who:?} {path} shows an AURA token"
            );
        }
    }
}

#[tokio::test]
async fn typed_text_is_inert_on_every_page() {
    let w = world().await;
    const PAYLOAD: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let ok = |r: reqwest::Response| {
        assert!(r.status().is_success(), "{}", r.status());
    };
    ok(w.post_form(
        Who::Admin,
        CreateCustomer::PATH,
        &[
            ("name", PAYLOAD),
            ("aura_customer_id", "424242"),
            ("default_timezone", "Europe/London"),
        ],
    )
    .await);
    let x = db::customer_by_aura_id(&w.dash.state.db, 424242)
        .await
        .expect("read")
        .expect("created");
    let xs = x.id.to_string();
    ok(w.post_form(
        Who::Admin,
        AddSite::PATH,
        &[
            ("customer", &xs),
            ("name", PAYLOAD),
            ("address", PAYLOAD),
            ("latitude", ""),
            ("longitude", ""),
            ("timezone", "Europe/London"),
            ("back", "/sites"),
        ],
    )
    .await);
    ok(w.post_form(
        Who::Admin,
        CreateUser::PATH,
        &[
            ("email", "xss@staff.example"),
            ("name", PAYLOAD),
            ("role", "account_manager"),
            ("customer", ""),
            ("password", PASSWORD),
        ],
    )
    .await);
    let manager = db::user_by_email(&w.dash.state.db, "xss@staff.example")
        .await
        .expect("read")
        .expect("created")
        .id
        .to_string();
    for customer in [&xs, &w.dash.a.id.to_string()] {
        ok(w.post_form(
            Who::Admin,
            AssignManager::PATH,
            &[("customer", customer), ("manager", &manager)],
        )
        .await);
    }
    let am = w.dash.signed_in("xss@staff.example").await;
    let site = db::sites_for_customer(&w.dash.state.db, x.id)
        .await
        .expect("sites")[0]
        .id;
    let mut d = draft("xss", PAYLOAD, site, 600);
    d.customer_id = Some(x.id);
    d.special_instructions = PAYLOAD.into();
    d.contacts[0].name = PAYLOAD.into();
    let booked = book_as(&am, &w.url(""), &d).await.expect("booked");
    let id = booked.booking_id.to_string();
    let r = am
        .post(w.url(CancelBooking::PATH))
        .form(&[("id", id.as_str()), ("reason", PAYLOAD)])
        .send()
        .await
        .expect("cancel");
    assert!(r.status().is_success());

    let pages = [
        "/".to_string(),
        "/book".into(),
        "/upcoming".into(),
        format!("/bookings/{id}"),
        "/admin/users".into(),
        "/admin/customers".into(),
        format!("/admin/customers/{xs}"),
        "/account".into(),
    ];
    let admin = w.client(Who::Admin);
    let mut checked = 0;
    for (client, who) in [(admin, "admin"), (&am, "manager")] {
        for path in &pages {
            let r = client.get(w.url(path)).send().await.expect("page");
            if !r.status().is_success() {
                // The manager is not an administrator: those pages refuse, which is fine.
                continue;
            }
            let html = r.text().await.expect("html");
            assert!(html.contains("alert(1)"), "{who} {path}: the text is shown");
            assert!(!html.contains("<script>alert"), "{who} {path}");
            assert!(!html.contains("<img src=x"), "{who} {path}");
            checked += 1;
        }
    }
    assert_eq!(checked, 13, "every page the two may see showed the text");
}

#[tokio::test]
async fn behind_https_the_cookie_is_secure_and_only_the_public_origin_may_post() {
    let w = world().await;
    let mut state = w.dash.state.clone();
    state.security = std::sync::Arc::new(backend::state::SecurityConfig {
        public_origin: Some(
            url::Url::parse("https://dash.example.com")
                .expect("url")
                .origin(),
        ),
        trust_forwarded_for: true,
        secure_cookies: true,
        allowed_hosts: Vec::new(),
        ..Default::default()
    });
    let addr = crate::common::serve(
        server::web::router(state, crate::common::site_options(), None).expect("router"),
    )
    .await;
    // Only the public host is answered to: not the address the proxy reaches, not another name.
    for host in [addr.to_string(), "evil.example".into()] {
        let r = reqwest::Client::new()
            .get(format!("http://{addr}/sign-in"))
            .header("host", host.as_str())
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), StatusCode::MISDIRECTED_REQUEST, "{host}");
    }
    let sign_in = |origin: String| {
        reqwest::Client::new()
            .post(format!("http://{addr}{}", SignIn::PATH))
            .header("host", "dash.example.com")
            .header("origin", origin)
            .header("x-forwarded-for", "203.0.113.9")
            .form(&[
                ("email", w.dash.people.customer_a.as_str()),
                ("password", PASSWORD),
                ("next", "/"),
            ])
            .send()
    };
    // The server's own address is not the public origin behind the proxy.
    let r = sign_in(format!("http://{addr}")).await.expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = sign_in("https://dash.example.com".into())
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = session_cookie(&r).expect("cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
}

#[tokio::test]
async fn a_burst_of_parallel_guesses_gets_no_more_than_the_limit() {
    let w = world().await;
    let client = w.dash.anonymous();
    let url = w.url(SignIn::PATH);
    let email = w.dash.people.manager_of_a.clone();
    let guesses = (0..12).map(|i| {
        let (client, url, email) = (client.clone(), url.clone(), email.clone());
        async move {
            client
                .post(url)
                .form(&[
                    ("email", email.as_str()),
                    ("password", format!("guess number {i}").as_str()),
                    ("next", "/"),
                ])
                .send()
                .await
                .expect("post")
                .status()
        }
    });
    let statuses = futures_join_all(guesses).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::FORBIDDEN)
        .count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, throttled), (5, 7), "{statuses:?}");
}

/// Runs the futures concurrently on the test runtime and collects their results in order.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

#[tokio::test]
async fn signing_in_over_someone_elses_session_carries_nothing_over() {
    let w = world().await;
    let shared = w.dash.signed_in(&w.dash.people.admin).await;
    // The administrator leaves a refused form behind (its values wait in the session).
    let r = shared
        .post(w.url(CreateUser::PATH))
        .header("accept", "text/html")
        .form(&[
            ("email", "secret.hire@a.example"),
            ("name", "Secret Hire"),
            ("role", "customer"),
            ("customer", ""),
            ("password", "x"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FOUND);
    // Someone else signs in on the same browser and sees none of it.
    let r = shared
        .post(w.url(SignIn::PATH))
        .form(&[
            ("email", w.dash.people.customer_b.as_str()),
            ("password", PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("sign in");
    assert!(r.status().is_success());
    let view: domain::model::SignInView = decode(
        shared
            .get(w.url(app::api::accounts::LoadSignIn::PATH))
            .send()
            .await
            .expect("get"),
    )
    .await
    .expect("view");
    assert_eq!(view.flash, None);
    let page = shared
        .get(w.url("/upcoming"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(!page.contains("Secret Hire"));
}

#[tokio::test]
async fn an_account_manager_who_changes_role_loses_their_customers() {
    let w = world().await;
    let maya = db::user_by_email(&w.dash.state.db, &w.dash.people.manager_of_a)
        .await
        .expect("read")
        .expect("maya")
        .id
        .to_string();
    let b = w.dash.b.id.to_string();
    for (role, customer) in [("customer", b.as_str()), ("account_manager", "")] {
        let r = w
            .post_form(
                Who::Admin,
                ChangeRole::PATH,
                &[("user", &maya), ("role", role), ("customer", customer)],
            )
            .await;
        assert!(r.status().is_success(), "{role}: {}", r.status());
    }
    let customers = db::customers_of_manager(&w.dash.state.db, maya.parse().expect("id"))
        .await
        .expect("read");
    assert!(
        customers.is_empty(),
        "old assignments came back: {customers:?}"
    );
    // And the old session ended with the role change.
    let r = w
        .get(
            Who::ManagerOfA,
            &format!("{}?id={}", LoadBooking::PATH, w.booking_a),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_administrator_changing_their_own_password_stays_signed_in() {
    let w = world().await;
    let me = db::user_by_email(&w.dash.state.db, &w.dash.people.admin)
        .await
        .expect("read")
        .expect("admin");
    let other_session = w.dash.signed_in(&w.dash.people.admin).await;
    let r = w
        .post_form(
            Who::Admin,
            ResetPassword::PATH,
            &[
                ("user", &me.id.to_string()),
                ("password", "my brand new password"),
            ],
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(
        w.get(Who::Admin, LoadAdminUsers::PATH).await.status(),
        StatusCode::OK,
        "this session goes on"
    );
    let r = other_session
        .get(w.url(LoadAdminUsers::PATH))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "other sessions end");
}

#[tokio::test]
async fn people_change_only_their_own_password() {
    use app::api::accounts::{ChangePassword, LoadAccount};
    let w = world().await;
    // Signed out: nothing to change, nothing to see.
    assert_eq!(
        w.get(Who::SignedOut, LoadAccount::PATH).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = w
        .post_form(
            Who::SignedOut,
            ChangePassword::PATH,
            &[
                ("current", PASSWORD),
                ("password", "x".repeat(20).as_str()),
                ("repeat", "x".repeat(20).as_str()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let other_session = w.dash.signed_in(&w.dash.people.customer_a).await;
    let change = |current: &'static str, new: &'static str, repeat: &'static str| {
        w.client(Who::CustomerA)
            .post(w.url(ChangePassword::PATH))
            .form(&[("current", current), ("password", new), ("repeat", repeat)])
            .send()
    };
    let field_of = |e: AppError| match e {
        AppError::Invalid(errors) => errors.0.into_iter().map(|e| e.field).collect::<Vec<_>>(),
        other => panic!("field errors expected, got {other:?}"),
    };
    let wrong = decode::<()>(
        change(
            "not it at all",
            "a fresh new password",
            "a fresh new password",
        )
        .await
        .expect("post"),
    )
    .await
    .expect_err("wrong current");
    assert_eq!(field_of(wrong), vec![Field::CurrentPassword]);
    let differ = decode::<()>(
        change(PASSWORD, "a fresh new password", "a fresh new passwort")
            .await
            .expect("post"),
    )
    .await
    .expect_err("differ");
    assert_eq!(field_of(differ), vec![Field::RepeatPassword]);
    let r = change(PASSWORD, "a fresh new password", "a fresh new password")
        .await
        .expect("post");
    assert!(r.status().is_success(), "{}", r.status());

    // This session goes on; the other one ended; only the new password signs in now.
    let detail = format!("{}?id={}", LoadBooking::PATH, w.booking_a);
    assert_eq!(
        w.get(Who::CustomerA, &detail).await.status(),
        StatusCode::OK
    );
    let r = other_session.get(w.url(&detail)).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let sign_in = |password: &'static str| {
        w.dash
            .anonymous()
            .post(w.url(SignIn::PATH))
            .form(&[
                ("email", w.dash.people.customer_a.as_str()),
                ("password", password),
                ("next", "/"),
            ])
            .send()
    };
    assert_eq!(
        sign_in(PASSWORD).await.expect("post").status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        sign_in("a fresh new password")
            .await
            .expect("post")
            .status(),
        StatusCode::OK
    );
    // Nobody else's password moved.
    w.dash.signed_in(&w.dash.people.customer_b).await;
}

#[tokio::test]
async fn values_no_form_sends_are_refused_as_malformed_before_anything_runs() {
    let w = world().await;
    let before = admin_state(&w).await;
    let creates = w.sb.control().await.calls.create;
    let tampered: [(&str, &[(&str, &str)]); 6] = [
        (
            ChangeRole::PATH,
            &[("user", "1 OR 1=1"), ("role", "admin"), ("customer", "")],
        ),
        (
            ChangeRole::PATH,
            &[("user", "1"), ("role", "superuser"), ("customer", "")],
        ),
        (
            SetUserDisabled::PATH,
            &[("user", "1"), ("disabled", "maybe")],
        ),
        (AssignManager::PATH, &[("customer", "x"), ("manager", "1")]),
        (UnassignManager::PATH, &[("customer", "1"), ("manager", "")]),
        (SwitchCustomer::PATH, &[("customer", "../1"), ("back", "/")]),
    ];
    for (path, form) in tampered {
        let r = w.post_form(Who::Admin, path, form).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path} {form:?}");
        let err = decode::<()>(r).await.expect_err("refused");
        assert!(matches!(err, AppError::BadRequest(_)), "{path}: {err:?}");
    }
    // A JSON body that is not a draft at all, and drafts with a choice no list offers.
    let r = w
        .post_json(Who::CustomerA, BookService::PATH, json!({ "draft": 42 }))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    for (field, value) in [
        ("service_type", json!("teleport")),
        ("armed_preference", json!("bazooka")),
        ("repeat", json!("hourly")),
        ("days", json!(["Caturday"])),
    ] {
        let mut tampered =
            serde_json::to_value(draft("tampered", "Tampered", w.site_a, 600)).expect("json");
        tampered[field] = value;
        let r = w
            .post_json(
                Who::CustomerA,
                BookService::PATH,
                json!({ "draft": tampered }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{field}");
        let err = decode::<BookingResult>(r).await.expect_err("refused");
        assert!(matches!(err, AppError::BadRequest(_)), "{field}: {err:?}");
    }
    assert_eq!(admin_state(&w).await, before, "nothing changed");
    assert_eq!(w.sb.control().await.calls.create, creates);
}

async fn site_row(w: &World, id: i64) -> (String, bool) {
    let (name, retired): (String, Option<chrono::DateTime<chrono::Utc>>) = raw!(
        &w.dash.state.db,
        |conn, d| sqlx::query_as(&d("SELECT name, retired_at FROM sites WHERE id = ?"))
            .bind(id)
            .fetch_one(conn)
            .await?
    )
    .expect("site");
    (name, retired.is_some())
}

/// Sites are kept by whoever reaches their customer: customer A, A's account manager and
/// administrators change A's sites; B, B's account manager and strangers get "not found" (or
/// "sign in") and change nothing. A site that a booking still to happen names cannot be retired.
#[tokio::test]
async fn sites_are_kept_by_whoever_reaches_their_customer() {
    let w = world().await;
    let a = w.dash.a.id.to_string();
    let site_a = w.site_a.to_string();
    let (original, _) = site_row(&w, w.site_a).await;
    for who in EVERYONE {
        let renamed = format!("Renamed by {who:?}");
        let r = w
            .post_form(
                who,
                RenameSite::PATH,
                &[("site", &site_a), ("name", &renamed), ("back", "/sites")],
            )
            .await;
        let retire = w
            .post_form(
                who,
                RetireSite::PATH,
                &[("site", &site_a), ("back", "/sites")],
            )
            .await;
        let added = w
            .post_form(
                who,
                AddSite::PATH,
                &[
                    ("customer", &a),
                    ("name", &format!("Added by {who:?}")),
                    ("address", "2 Side Street, London"),
                    ("latitude", ""),
                    ("longitude", ""),
                    ("timezone", "Europe/London"),
                    ("back", "/sites"),
                ],
            )
            .await;
        if who.reaches_a() {
            assert!(r.status().is_success(), "{who:?} rename: {}", r.status());
            assert_eq!(site_row(&w, w.site_a).await, (renamed, false), "{who:?}");
            // Booking A names it and still has windows to come.
            assert_eq!(retire.status(), StatusCode::CONFLICT, "{who:?} retire");
            let e = decode::<()>(retire).await.expect_err("in use");
            assert!(
                e.to_string()
                    .contains("cannot be retired: 1 booking still to happen"),
                "{e}"
            );
            assert!(
                added.status().is_success(),
                "{who:?} add: {}",
                added.status()
            );
        } else {
            assert_eq!(r.status(), who.refused_status(), "{who:?} rename");
            assert_eq!(retire.status(), who.refused_status(), "{who:?} retire");
            assert_eq!(added.status(), who.refused_status(), "{who:?} add");
            assert!(!site_row(&w, w.site_a).await.0.contains(&format!("{who:?}")));
        }
        // B's site is out of reach of everyone who does not reach B.
        let b_site = w.site_b.to_string();
        let r = w
            .post_form(
                who,
                RenameSite::PATH,
                &[
                    ("site", &b_site),
                    ("name", "Taken over"),
                    ("back", "/sites"),
                ],
            )
            .await;
        if who.reaches_b() {
            assert!(r.status().is_success(), "{who:?} rename B: {}", r.status());
        } else {
            assert_eq!(r.status(), who.refused_status(), "{who:?} rename B");
        }
    }
    assert_ne!(site_row(&w, w.site_a).await.0, original);
    let added: Vec<(i64, String)> = raw!(&w.dash.state.db, |conn, d| {
        sqlx::query_as(&d("SELECT id, name FROM sites WHERE customer_id = ? AND name LIKE 'Added by %' ORDER BY id"
    ))
    .bind(w.dash.a.id)
    .fetch_all(conn)
    .await?
    })
    .expect("added");
    let names: Vec<&str> = added.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Added by CustomerA",
            "Added by ManagerOfA",
            "Added by Admin"
        ]
    );

    // A site no booking uses retires, leaves the booking form, and comes back when restored.
    let (spare, _) = added[0].clone();
    let spare_s = spare.to_string();
    let r = w
        .post_form(
            Who::CustomerA,
            RetireSite::PATH,
            &[("site", &spare_s), ("back", "/sites")],
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    assert!(site_row(&w, spare).await.1);
    let form = ready(
        decode::<BookingStart>(w.get(Who::CustomerA, LoadBookingForm::PATH).await)
            .await
            .expect("form"),
    )
    .expect("form");
    assert!(
        form.sites.iter().all(|s| s.id != spare),
        "a retired site is offered"
    );
    // Booking at it is refused, at the site field.
    let refused = w
        .post_json(
            Who::CustomerA,
            BookService::PATH,
            json!({ "draft": draft("retired-1", "At a retired site", spare, 600) }),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let e = decode::<()>(refused).await.expect_err("retired");
    assert!(
        e.field_errors().and_then(|f| f.get(Field::Site)).is_some(),
        "{e:?}"
    );
    // The sites page lists it as retired; B's person does not see it at all.
    match decode::<domain::model::SitesStart>(w.get(Who::CustomerA, LoadSites::PATH).await)
        .await
        .expect("sites")
    {
        domain::model::SitesStart::Ready(view) => {
            let item = view
                .sites
                .iter()
                .find(|s| s.site.id == spare)
                .expect("listed");
            assert!(item.site.retired);
            let used = view
                .sites
                .iter()
                .find(|s| s.site.id == w.site_a)
                .expect("A's site");
            assert_eq!(used.bookings, 1);
        }
        other => panic!("{other:?}"),
    }
    match decode::<domain::model::SitesStart>(w.get(Who::CustomerB, LoadSites::PATH).await)
        .await
        .expect("sites")
    {
        domain::model::SitesStart::Ready(view) => {
            assert!(
                view.sites
                    .iter()
                    .all(|s| s.site.id != spare && s.site.id != w.site_a)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        w.get(Who::SignedOut, LoadSites::PATH).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = w
        .post_form(
            Who::CustomerB,
            RestoreSite::PATH,
            &[("site", &spare_s), ("back", "/sites")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(site_row(&w, spare).await.1);
    let r = w
        .post_form(
            Who::CustomerA,
            RestoreSite::PATH,
            &[("site", &spare_s), ("back", "/sites")],
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    assert!(!site_row(&w, spare).await.1);

    // A name another site of the customer has is refused at the name field.
    let r = w
        .post_form(
            Who::CustomerA,
            RenameSite::PATH,
            &[
                ("site", &spare_s),
                ("name", &added[1].1),
                ("back", "/sites"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let e = decode::<()>(r).await.expect_err("taken");
    assert!(
        e.field_errors().and_then(|f| f.get(Field::Name)).is_some(),
        "{e:?}"
    );
}

/// Each person's calendar feed holds exactly the bookings their pages show: a customer's own, an
/// account manager's customers', every customer's for administrators. Nobody signed out gets one.
#[tokio::test]
async fn a_calendar_feed_has_the_scope_of_its_person() {
    use app::api::accounts::{LoadAccount, StartFeed};
    let w = world().await;
    for who in EVERYONE {
        let r = w.post_form(who, StartFeed::PATH, &[]).await;
        if who == Who::SignedOut {
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
            continue;
        }
        assert!(r.status().is_success(), "{who:?}: {}", r.status());
        let view: domain::model::AccountView = decode(w.get(who, LoadAccount::PATH).await)
            .await
            .expect("account");
        let path = view.flash.and_then(|f| f.reveal).expect("address shown");
        let text = reqwest::get(w.url(&path))
            .await
            .expect("feed")
            .text()
            .await
            .expect("text");
        let has = |id: i64| text.contains(&format!("UID:booking-{id}-"));
        assert_eq!(has(w.booking_a), who.reaches_a(), "{who:?}: {text}");
        assert_eq!(has(w.booking_b), who.reaches_b(), "{who:?}");
    }
    // Turning a feed off is each person's own: signed out, nobody's.
    use app::api::accounts::StopFeed;
    let r = w.post_form(Who::SignedOut, StopFeed::PATH, &[]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let feeds: i64 = raw!(&w.dash.state.db, |conn, d| sqlx::query_scalar(&d(
        "SELECT COUNT(*) FROM calendar_feeds"
    ))
    .fetch_one(conn)
    .await?)
    .expect("count");
    assert_eq!(feeds, 5);
    let r = w.post_form(Who::CustomerB, StopFeed::PATH, &[]).await;
    assert!(r.status().is_success());
    let left: Vec<i64> = raw!(&w.dash.state.db, |conn, d| sqlx::query_scalar(&d(
        "SELECT user_id FROM calendar_feeds ORDER BY user_id"
    ))
    .fetch_all(conn)
    .await?)
    .expect("left");
    assert_eq!(left.len(), 4, "only B's own feed ended");
}

/// A client like [`Dashboard::anonymous`] whose connections come from `from` (another loopback
/// address: another place on the network, as the dashboard sees it).
fn client_from(dash: &Dashboard, from: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ORIGIN,
        reqwest::header::HeaderValue::from_str(&format!("http://{}", dash.addr)).expect("origin"),
    );
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .local_address(from.parse::<std::net::IpAddr>().expect("address"))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(90))
        .build()
        .expect("client")
}

/// Nobody can lock a person out: twenty wrong passwords for an account from one address make that
/// address wait, but the right password from another address signs in at once; the person's own
/// password change in a session is not held up; an administrator's reset, and enabling the
/// account, lift the wait at the first address too.
#[tokio::test]
async fn failed_sign_ins_from_one_place_lock_nobody_out() {
    let w = world().await;
    let victim = w.dash.people.manager_of_b.clone();
    let sign_in = |client: reqwest::Client, password: &'static str| {
        let (url, victim) = (w.url(SignIn::PATH), victim.clone());
        async move {
            client
                .post(url)
                .form(&[
                    ("email", victim.as_str()),
                    ("password", password),
                    ("next", "/"),
                ])
                .send()
                .await
                .expect("post")
                .status()
        }
    };
    // Signed in before the attack, from elsewhere.
    let session = client_from(&w.dash, "127.0.0.3");
    assert_eq!(sign_in(session.clone(), PASSWORD).await, StatusCode::OK);
    let attacker = client_from(&w.dash, "127.0.0.2");
    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(sign_in(attacker.clone(), "guess guess guess").await);
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::FORBIDDEN)
            .count(),
        5,
        "{statuses:?}"
    );
    assert!(
        statuses[5..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS)
    );
    // The attacker's address waits, even with the right password ...
    assert_eq!(
        sign_in(attacker.clone(), PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // ... the person, from their own address, does not.
    let own = client_from(&w.dash, "127.0.0.4");
    assert_eq!(sign_in(own.clone(), PASSWORD).await, StatusCode::OK);
    // Their password change in a session has its own count, untouched by the attack.
    let r = session
        .post(w.url(ChangePassword::PATH))
        .form(&[
            ("current", PASSWORD),
            ("password", PASSWORD),
            ("repeat", PASSWORD),
        ])
        .send()
        .await
        .expect("change");
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "{}",
        r.text().await.unwrap_or_default()
    );
    // ... which is limited too: five wrong current passwords, then a wait. (The change signed out
    // the person's other sessions; this one is kept.)
    let mut changes = Vec::new();
    for _ in 0..6 {
        let r = session
            .post(w.url(ChangePassword::PATH))
            .form(&[
                ("current", "not my password"),
                ("password", "a brand new password"),
                ("repeat", "a brand new password"),
            ])
            .send()
            .await
            .expect("change");
        changes.push(r.status());
    }
    assert_eq!(changes[5], StatusCode::TOO_MANY_REQUESTS, "{changes:?}");
    assert!(
        changes[..5]
            .iter()
            .all(|s| s.is_client_error() && *s != StatusCode::TOO_MANY_REQUESTS)
    );

    // An administrator's reset lifts the wait at the attacker's address too (the person may be
    // behind it: one office, one address).
    let user = db::user_by_email(&w.dash.state.db, &victim)
        .await
        .expect("db")
        .expect("user");
    let r = w
        .post_form(
            Who::Admin,
            ResetPassword::PATH,
            &[("user", &user.id.to_string()), ("password", PASSWORD)],
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(sign_in(attacker.clone(), PASSWORD).await, StatusCode::OK);
    // So does enabling the account after it was disabled.
    for _ in 0..5 {
        sign_in(attacker.clone(), "guess guess guess").await;
    }
    assert_eq!(
        sign_in(attacker.clone(), PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    for disabled in ["true", "false"] {
        let r = w
            .post_form(
                Who::Admin,
                SetUserDisabled::PATH,
                &[("user", &user.id.to_string()), ("disabled", disabled)],
            )
            .await;
        assert!(r.status().is_success(), "{}", r.status());
    }
    assert_eq!(sign_in(attacker, PASSWORD).await, StatusCode::OK);
}

/// API keys and webhook endpoints are managed on the integrations page by whoever reaches their
/// customer: A's user, A's account manager and administrators make, see and revoke A's keys and
/// endpoints; B's people and strangers get "not found" (or "sign in") and change nothing. A key
/// made on the page is shown once, works at once, and stops at once when revoked.
#[tokio::test]
async fn keys_and_endpoints_are_managed_by_whoever_reaches_their_customer() {
    use app::api::integrations::{
        AddWebhook, DeleteWebhook, LoadIntegrations, MakeApiKey, RevokeApiKey, RotateWebhook,
    };
    use domain::model::IntegrationsStart;
    let w = world().await;
    let a = w.dash.a.id.to_string();
    for who in EVERYONE {
        let made = w
            .post_form(
                who,
                MakeApiKey::PATH,
                &[
                    ("customer", &a),
                    ("name", &format!("Key of {who:?}")),
                    ("read", "true"),
                ],
            )
            .await;
        let hooked = w
            .post_form(
                who,
                AddWebhook::PATH,
                &[
                    ("customer", &a),
                    ("url", &format!("https://hooks.example.com/{who:?}")),
                    ("cancelled", "true"),
                ],
            )
            .await;
        if who.reaches_a() {
            assert!(made.status().is_success(), "{who:?}: {}", made.status());
            assert!(hooked.status().is_success(), "{who:?}: {}", hooked.status());
        } else {
            assert_eq!(made.status(), who.refused_status(), "{who:?} key");
            assert_eq!(hooked.status(), who.refused_status(), "{who:?} hook");
        }
    }
    let keys = db::keys_of(&w.dash.state.db, &CustomerScope::All)
        .await
        .expect("keys");
    let names: Vec<&str> = keys.iter().rev().map(|k| k.name.as_str()).collect();
    assert_eq!(
        names,
        ["Key of CustomerA", "Key of ManagerOfA", "Key of Admin"]
    );
    assert!(keys.iter().all(|k| k.customer_id == w.dash.a.id));
    let hooks = db::endpoints_of(&w.dash.state.db, w.dash.a.id)
        .await
        .expect("hooks");
    assert_eq!(hooks.len(), 3);
    assert!(hooks.iter().all(|h| h.events == "booking.cancelled"));

    // The page shows the key once, and it works at once.
    let client = w.client(Who::CustomerA);
    let r = client
        .post(w.url(MakeApiKey::PATH))
        .form(&[
            ("customer", a.as_str()),
            ("name", "Ticketing"),
            ("read", "true"),
        ])
        .send()
        .await
        .expect("make");
    assert!(r.status().is_success());
    let shown = |start: IntegrationsStart| match start {
        IntegrationsStart::Ready(view) => *view,
        other => panic!("{other:?}"),
    };
    let page = shown(
        decode::<IntegrationsStart>(w.get(Who::CustomerA, LoadIntegrations::PATH).await)
            .await
            .expect("page"),
    );
    let secret = page
        .flash
        .and_then(|f| f.reveal)
        .expect("the key, shown once");
    assert!(secret.starts_with("aura_"));
    let again = shown(
        decode::<IntegrationsStart>(w.get(Who::CustomerA, LoadIntegrations::PATH).await)
            .await
            .expect("page"),
    );
    assert!(again.flash.is_none(), "shown only once");
    assert!(!format!("{again:?}").contains(&secret));
    let item = again
        .keys
        .iter()
        .find(|k| k.name == "Ticketing")
        .expect("listed");
    assert!(secret.starts_with(&item.prefix));
    let api = crate::api::Api::new(&w.url(""), &secret);
    assert_eq!(api.get("/bookings").await.status, StatusCode::OK);
    // B's people cannot revoke it; A's manager can, and it stops at once.
    let id = item.id.to_string();
    for who in [Who::CustomerB, Who::ManagerNotOfA] {
        let r = w.post_form(who, RevokeApiKey::PATH, &[("key", &id)]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{who:?}");
    }
    assert_eq!(api.get("/bookings").await.status, StatusCode::OK);
    let r = w
        .post_form(Who::ManagerOfA, RevokeApiKey::PATH, &[("key", &id)])
        .await;
    assert!(r.status().is_success());
    assert_eq!(api.get("/bookings").await.status, StatusCode::UNAUTHORIZED);

    // Endpoints: rotated and deleted only by those who reach A.
    let hook = hooks[0].id.to_string();
    for who in [Who::CustomerB, Who::ManagerNotOfA] {
        for path in [RotateWebhook::PATH, DeleteWebhook::PATH] {
            let r = w.post_form(who, path, &[("endpoint", &hook)]).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{who:?} {path}");
        }
    }
    let before = db::endpoint_by_id(&w.dash.state.db, hooks[0].id)
        .await
        .expect("read")
        .expect("there");
    assert_eq!(before.secret, hooks[0].secret);
    let r = w
        .post_form(Who::Admin, RotateWebhook::PATH, &[("endpoint", &hook)])
        .await;
    assert!(r.status().is_success());
    let rotated = db::endpoint_by_id(&w.dash.state.db, hooks[0].id)
        .await
        .expect("read")
        .expect("there");
    assert_ne!(rotated.secret, hooks[0].secret);
    assert_eq!(
        rotated.previous_secret.as_deref(),
        Some(hooks[0].secret.as_str())
    );
    let r = w
        .post_form(Who::CustomerA, DeleteWebhook::PATH, &[("endpoint", &hook)])
        .await;
    assert!(r.status().is_success());
    assert!(
        db::endpoint_by_id(&w.dash.state.db, hooks[0].id)
            .await
            .expect("read")
            .is_none()
    );
}
