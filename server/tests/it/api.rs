//! The public REST API (`/api/v1`) as an integrator's system uses it: keys and their scopes, the
//! access matrix extended to keys, every operation, idempotent POSTs, problem details, the per-key
//! rate limit, and parity with the pages (the same input gives the same result, refusals included).

use std::sync::Arc;

use backend::api::keys::{KeyRequest, make_key};
use backend::aura::wire::ServiceCatalog;
use backend::db::{self, CustomerRow};
use domain::api::{Booking, BookingList, BookingWithHistory, Problem, SiteList, WindowList};
use domain::error::AppError;
use domain::model::SyncStatus;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::sandbox::SandboxConfig;

use crate::common::{
    Dashboard, LocalMoment, book_as, draft_at, local_in, london_site, raw, start_dashboard,
    start_sandbox,
};

/// A key for `customer` with `scopes`, made as `server api-key add` makes one.
pub async fn key_for(dash: &Dashboard, customer: &CustomerRow, scopes: &str) -> String {
    let request = KeyRequest {
        name: "Facility system",
        scopes,
        expires_at: "",
    };
    let made = make_key(
        &dash.state.db,
        customer,
        &request,
        ("test", None),
        chrono::Utc::now(),
    )
    .await
    .expect("key");
    made.secret.expose().to_string()
}

/// An answer: its status, headers and body as JSON (`Null` when empty).
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn problem(&self) -> Problem {
        assert_eq!(
            self.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{} {}",
            self.status,
            self.body
        );
        let problem: Problem = serde_json::from_value(self.body.clone()).expect("problem");
        assert_eq!(problem.status, self.status.as_u16());
        problem
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        assert!(self.status.is_success(), "{} {}", self.status, self.body);
        serde_json::from_value(self.body.clone()).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The fields a problem names.
    pub fn fields(&self) -> Vec<String> {
        self.problem().errors.into_iter().map(|e| e.field).collect()
    }
}

/// A client of the API with one key.
pub struct Api {
    pub base: String,
    pub key: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(dash_url: &str, key: &str) -> Api {
        Api {
            base: format!("{dash_url}/api/v1"),
            key: key.to_string(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(60))
                .build()
                .expect("client"),
        }
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let r = request
            .bearer_auth(&self.key)
            .send()
            .await
            .expect("request");
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("not JSON ({status}): {e}: {text}"))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    pub async fn post(&self, path: &str, body: &Value, idempotency_key: Option<&str>) -> Answer {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(k) = idempotency_key {
            request = request.header("Idempotency-Key", k);
        }
        self.send(request).await
    }

    pub async fn delete(&self, path: &str, body: Option<&Value>) -> Answer {
        let mut request = self.http.delete(format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(body);
        }
        self.send(request).await
    }
}

/// The API body of a weekly patrol at saved site `site`, first window at `at` (London), four weeks.
pub fn patrol(name: &str, site: i64, at: &LocalMoment) -> Value {
    let first = chrono::NaiveDate::parse_from_str(&at.date, "%Y-%m-%d").expect("date");
    let day = domain::api::Day::from(chrono::Datelike::weekday(&first));
    json!({
        "serviceType": "patrol",
        "name": name,
        "specialInstructions": "Check the shutters",
        "details": {"numberOfGuards": 2, "armedPreference": "unarmed",
            "contacts": [{"name": "Priya", "mobile": "+44 7700 900123"}]},
        "siteId": site,
        "dateFrom": at.date,
        "dateTo": (first + chrono::Duration::days(27)).format("%Y-%m-%d").to_string(),
        "repeats": {"kind": "weekly", "days": [day.key()], "startTime": at.time, "windowMinutes": 90}
    })
}

#[tokio::test]
async fn an_integrator_books_reads_lists_and_cancels() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let api = Api::new(
        &dash.url(""),
        &key_for(&dash, &dash.a, "read,book,cancel").await,
    );
    let site = london_site(&dash).await;
    let at = local_in("Europe/London", 24 * 60);

    // Book: 201, Location, confirmed by AURA, as stored.
    let made = api
        .post("/bookings", &patrol("Night patrol", site, &at), None)
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let booking: Booking = made.json();
    assert_eq!(
        made.headers.get("location").and_then(|v| v.to_str().ok()),
        Some(format!("/api/v1/bookings/{}", booking.id).as_str())
    );
    assert_eq!(booking.status, SyncStatus::Confirmed);
    assert!(booking.aura_id.is_some());
    assert_eq!(booking.customer_id, dash.a.aura_customer_id);
    assert_eq!(booking.site_id, Some(site));
    assert_eq!(booking.repeats.start_time, at.time);
    assert_eq!(booking.details.contacts[0].mobile, "+44 7700 900123");
    // AURA got exactly one create.
    assert_eq!(sb.control().await.calls.create, 1);

    // A new location instead of a site.
    let mut elsewhere = patrol("Depot check", site, &at);
    elsewhere["siteId"] = Value::Null;
    elsewhere["location"] = json!({"formattedAddress": "1 Dock Road, London", "latitude": 51.5,
        "longitude": -0.1, "timeZone": "Europe/London"});
    let second: Booking = api.post("/bookings", &elsewhere, None).await.json();
    assert_eq!(second.site_id, None);
    assert_eq!(second.location.time_zone, "Europe/London");
    assert_eq!(
        second.location.formatted_address.as_deref(),
        Some("1 Dock Road, London")
    );

    // Read one, with its next windows and history.
    let detail: BookingWithHistory = api.get(&format!("/bookings/{}", booking.id)).await.json();
    assert_eq!(detail.booking, booking);
    assert!(!detail.next_windows.is_empty());
    assert!(detail.next_windows.len() <= backend::api::NEXT_WINDOWS);
    assert!(
        detail
            .next_windows
            .windows(2)
            .all(|w| w[0].opens < w[1].opens)
    );
    let kinds: Vec<_> = detail.history.iter().map(|h| h.kind.key()).collect();
    assert_eq!(kinds, ["saved", "confirmed"]);
    assert_eq!(
        detail.history[0].by,
        "API key \u{201c}Facility system\u{201d}"
    );

    // List, filtered and paged.
    let all: BookingList = api.get("/bookings").await.json();
    assert_eq!(
        all.bookings.iter().map(|b| b.id).collect::<Vec<_>>(),
        [second.id, booking.id]
    );
    let page: BookingList = api.get("/bookings?limit=1").await.json();
    assert_eq!(page.bookings.len(), 1);
    let cursor = page.next_cursor.expect("a next page");
    let rest: BookingList = api
        .get(&format!("/bookings?limit=1&cursor={cursor}"))
        .await
        .json();
    assert_eq!(rest.bookings[0].id, booking.id);
    assert_eq!(rest.next_cursor, None);
    let at_site: BookingList = api.get(&format!("/bookings?site={site}")).await.json();
    assert_eq!(at_site.bookings.len(), 1);
    let none: BookingList = api.get("/bookings?status=cancelled,rejected").await.json();
    assert!(none.bookings.is_empty());
    let escorts: BookingList = api.get("/bookings?service=escort").await.json();
    assert!(escorts.bookings.is_empty());
    let before: BookingList = api.get("/bookings?to=2000-01-01").await.json();
    assert!(before.bookings.is_empty());
    let during: BookingList = api
        .get(&format!("/bookings?from={}&to={}", at.date, at.date))
        .await
        .json();
    assert_eq!(during.bookings.len(), 2);

    // The calendar's windows.
    let windows: WindowList = api
        .get(&format!("/windows?from={}&to={}", at.date, at.date))
        .await
        .json();
    assert!(!windows.truncated);
    let ids: std::collections::BTreeSet<i64> =
        windows.windows.iter().map(|w| w.booking_id).collect();
    assert_eq!(ids, [booking.id, second.id].into());

    // Sites: listed, and one added.
    let sites: SiteList = api.get("/sites").await.json();
    assert!(sites.sites.iter().any(|s| s.id == site));
    let added = api
        .post(
            "/sites",
            &json!({"name": "Wharf gate", "location": {"formattedAddress": "2 Wharf Road, London",
                "timeZone": "Europe/London"}}),
            None,
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    let taken = api
        .post(
            "/sites",
            &json!({"name": "Wharf gate", "location": {"formattedAddress": "3 Wharf Road",
                "timeZone": "Europe/London"}}),
            None,
        )
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(taken.fields(), ["name"]);

    // Cancel: a reason is required; in the body or the query.
    let no_reason = api.delete(&format!("/bookings/{}", booking.id), None).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason.fields(), ["reason"]);
    let cancelled: Booking = api
        .delete(
            &format!("/bookings/{}", booking.id),
            Some(&json!({"reason": "Site closed for refurbishment"})),
        )
        .await
        .json();
    assert_eq!(cancelled.status, SyncStatus::Cancelled);
    assert_eq!(
        cancelled.cancellation.expect("cancellation").reason,
        "Site closed for refurbishment"
    );
    let again = api
        .delete(
            &format!("/bookings/{}", booking.id),
            Some(&json!({"reason": "x"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let by_query: Booking = api
        .delete(
            &format!("/bookings/{}?reason=No%20longer%20needed", second.id),
            None,
        )
        .await
        .json();
    assert_eq!(by_query.status, SyncStatus::Cancelled);
    assert_eq!(sb.control().await.calls.cancel, 2);
}

#[tokio::test]
async fn keys_reach_their_own_customer_only_and_only_with_their_scopes() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let a = Api::new(
        &dash.url(""),
        &key_for(&dash, &dash.a, "read,book,cancel,webhooks").await,
    );
    let b = Api::new(
        &dash.url(""),
        &key_for(&dash, &dash.b, "read,book,cancel,webhooks").await,
    );
    let site = london_site(&dash).await;
    let at = local_in("Europe/London", 24 * 60);
    let booking: Booking = a
        .post("/bookings", &patrol("A's patrol", site, &at), None)
        .await
        .json();
    let hook: Value = a
        .post(
            "/webhooks",
            &json!({"url": "https://hooks.example.com/a"}),
            None,
        )
        .await
        .body;
    let hook_id = hook["id"].as_i64().expect("hook id");

    // B's key: A's booking, site and endpoint do not exist for it.
    assert_eq!(
        b.get(&format!("/bookings/{}", booking.id)).await.status,
        StatusCode::NOT_FOUND
    );
    let cancel = b
        .delete(
            &format!("/bookings/{}", booking.id),
            Some(&json!({"reason": "not mine"})),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::NOT_FOUND);
    let listed: BookingList = b.get("/bookings").await.json();
    assert!(
        listed
            .bookings
            .iter()
            .all(|x| x.customer_id == dash.b.aura_customer_id)
    );
    let sites: SiteList = b.get("/sites").await.json();
    assert!(sites.sites.iter().all(|s| s.id != site));
    let booked_at_a = b
        .post("/bookings", &patrol("At A's site", site, &at), None)
        .await;
    assert_eq!(booked_at_a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(booked_at_a.fields(), ["siteId"]);
    for path in [
        format!("/webhooks/{hook_id}/deliveries"),
        format!("/webhooks/{hook_id}/rotate"),
    ] {
        let answer = if path.ends_with("rotate") {
            b.post(&path, &json!({}), None).await
        } else {
            b.get(&path).await
        };
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        b.delete(&format!("/webhooks/{hook_id}"), None).await.status,
        StatusCode::NOT_FOUND
    );
    let b_hooks: Value = b.get("/webhooks").await.body;
    assert_eq!(b_hooks["webhooks"], json!([]));
    // Nothing of A's changed.
    let still: BookingWithHistory = a.get(&format!("/bookings/{}", booking.id)).await.json();
    assert_eq!(still.booking.status, SyncStatus::Confirmed);
    assert_eq!(
        a.get(&format!("/webhooks/{hook_id}/deliveries"))
            .await
            .status,
        StatusCode::OK
    );

    // Each scope opens its operations and no other.
    let booking_path = format!("/bookings/{}", booking.id);
    for scope in ["read", "book", "cancel", "webhooks"] {
        let key = Api::new(&dash.url(""), &key_for(&dash, &dash.a, scope).await);
        let checks: Vec<(&str, StatusCode)> = vec![
            ("read", key.get("/bookings").await.status),
            ("read", key.get(&booking_path).await.status),
            ("read", key.get("/sites").await.status),
            ("read", key.get("/windows").await.status),
            ("book", key.post("/bookings", &json!({}), None).await.status),
            ("book", key.post("/sites", &json!({}), None).await.status),
            (
                "cancel",
                key.delete("/bookings/999999", Some(&json!({"reason": "x"})))
                    .await
                    .status,
            ),
            ("webhooks", key.get("/webhooks").await.status),
            (
                "webhooks",
                key.post("/webhooks", &json!({}), None).await.status,
            ),
            (
                "webhooks",
                key.get(&format!("/webhooks/{hook_id}/deliveries"))
                    .await
                    .status,
            ),
        ];
        for (needs, status) in checks {
            if needs == scope {
                assert_ne!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{scope} key on a {needs} operation"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{scope} key on a {needs} operation"
                );
            }
        }
    }
    // Refused bookings reached nobody.
    assert_eq!(sb.control().await.calls.create, 1);
}

#[tokio::test]
async fn revoked_expired_and_unknown_keys_are_refused_at_once() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let secret = key_for(&dash, &dash.a, "read").await;
    let api = Api::new(&dash.url(""), &secret);
    assert_eq!(api.get("/bookings").await.status, StatusCode::OK);
    let key = db::key_by_hash(&dash.state.db, &backend::api::keys::hash_key(&secret))
        .await
        .expect("read")
        .expect("stored");
    assert!(key.last_used_at.is_some(), "last use is recorded");
    assert_ne!(key.prefix, secret, "only a prefix is kept in clear");
    let stored_hash: String = raw!(&dash.state.db, |conn, d| sqlx::query_scalar(&d(
        "SELECT key_hash FROM api_keys WHERE id = ?"
    ))
    .bind(key.id)
    .fetch_one(conn)
    .await?)
    .expect("hash");
    assert!(
        !stored_hash.contains(&secret[5..]),
        "the key itself is not stored"
    );

    // Revoked (as the page or the command line does): the very next request is refused.
    assert!(
        db::revoke_key(&dash.state.db, key.id, chrono::Utc::now())
            .await
            .expect("revoke")
    );
    let refused = api.get("/bookings").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.problem().detail.contains("revoked"));

    // Expired a second ago: refused; expiring in an hour: fine. (Set in the store: no waiting.)
    let now = chrono::Utc::now();
    for (offset, works) in [(-1, false), (3600, true)] {
        let secret = format!("aura_{}", uuid::Uuid::new_v4().simple());
        db::insert_key(
            &dash.state.db,
            &db::NewKey {
                customer_id: dash.a.id,
                name: "timed",
                prefix: &secret[..12],
                key_hash: &backend::api::keys::hash_key(&secret),
                scopes: &[domain::api::Scope::Read],
                created_by: "test",
                created_by_user_id: None,
                expires_at: Some(now + chrono::Duration::seconds(offset)),
                at: now,
            },
        )
        .await
        .expect("key");
        let status = Api::new(&dash.url(""), &secret)
            .get("/bookings")
            .await
            .status;
        assert_eq!(
            status == StatusCode::OK,
            works,
            "expiry {offset:+} s: {status}"
        );
    }

    // No key, a malformed one, an unknown one.
    for key in ["", "Basic abc", "aura_0000"] {
        let answer = Api::new(&dash.url(""), key).get("/bookings").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{key:?}");
        answer.problem();
    }
    let anonymous = reqwest::get(dash.url("/api/v1/bookings"))
        .await
        .expect("get");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    // The document and its page are public.
    assert_eq!(
        reqwest::get(dash.url("/api/v1/openapi.json"))
            .await
            .expect("doc")
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_repeated_post_books_once_and_another_body_is_refused() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let api = Api::new(&dash.url(""), &key_for(&dash, &dash.a, "read,book").await);
    let site = london_site(&dash).await;
    let at = local_in("Europe/London", 24 * 60);
    let body = patrol("Idempotent patrol", site, &at);

    let first = api.post("/bookings", &body, Some("order-7731")).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = api.post("/bookings", &body, Some("order-7731")).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body, first.body, "the first answer, again");
    assert_eq!(again.headers.get("location"), first.headers.get("location"));
    assert_eq!(
        again
            .headers
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let mut other = body.clone();
    other["name"] = json!("Another patrol");
    let reused = api.post("/bookings", &other, Some("order-7731")).await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reused.problem().kind.ends_with("idempotency-key-reused"));
    // Racing repeats of a new key: one booking.
    let racing = futures_util::future::join_all(
        (0..6).map(|_| api.post("/bookings", &body, Some("order-7732"))),
    )
    .await;
    let ids: std::collections::BTreeSet<i64> = racing
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .map(|a| a.body["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids.len(), 1, "one booking for one key");
    assert!(
        racing
            .iter()
            .all(|a| matches!(a.status, StatusCode::CREATED | StatusCode::CONFLICT))
    );
    // A refusal is kept too: the same bad body under its key gets the same answer.
    let mut bad = body.clone();
    bad["details"]["numberOfGuards"] = json!(0);
    let refused = api.post("/bookings", &bad, Some("order-7733")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        api.post("/bookings", &bad, Some("order-7733")).await.body,
        refused.body
    );
    // Without a key, each POST books.
    let one: Booking = api.post("/bookings", &other, None).await.json();
    let two: Booking = api.post("/bookings", &other, None).await.json();
    assert_ne!(one.id, two.id);
    let count: i64 = raw!(&dash.state.db, |conn, d| sqlx::query_scalar(&d(
        "SELECT COUNT(*) FROM bookings WHERE customer_id = ?"
    ))
    .bind(dash.a.id)
    .fetch_one(conn)
    .await?)
    .expect("count");
    assert_eq!(count, 4, "order-7731, order-7732 and two without a key");
    let bad_key = api.post("/bookings", &body, Some(&"k".repeat(300))).await;
    assert_eq!(bad_key.status, StatusCode::BAD_REQUEST);
    // An endpoint made under a key: a repeat gets the endpoint again, never its secret.
    let hooks = Api::new(&dash.url(""), &key_for(&dash, &dash.a, "webhooks").await);
    let hook = json!({"url": "https://hooks.example.com/orders"});
    let made = hooks.post("/webhooks", &hook, Some("hook-1")).await;
    assert_eq!(made.status, StatusCode::CREATED);
    assert!(
        made.body["secret"]
            .as_str()
            .is_some_and(|s| s.starts_with("whsec_"))
    );
    let repeat = hooks.post("/webhooks", &hook, Some("hook-1")).await;
    assert_eq!(repeat.status, StatusCode::CREATED);
    assert_eq!(repeat.body["id"], made.body["id"]);
    assert!(
        repeat.body.get("secret").is_none(),
        "the secret is shown once"
    );
    let kept: Vec<String> = raw!(&dash.state.db, |conn, d| sqlx::query_scalar(&d(
        "SELECT body FROM api_idempotency WHERE body IS NOT NULL"
    ))
    .fetch_all(conn)
    .await?)
    .expect("kept");
    assert!(kept.iter().all(|b| !b.contains("whsec_")));
}

#[tokio::test]
async fn the_pages_and_the_api_give_the_same_result_for_the_same_input() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let api = Api::new(
        &dash.url(""),
        &key_for(&dash, &dash.a, "read,book,cancel").await,
    );
    let site = london_site(&dash).await;
    let at = local_in("Europe/London", 24 * 60);

    // Accepted: the same booking stored either way.
    let ui = book_as(
        &dash.http,
        &dash.url(""),
        &draft_at("ui-1", "Same patrol", site, &at.date, &at.time),
    )
    .await
    .expect("booked on the page");
    let by_api: Booking = api
        .post("/bookings", &patrol("Same patrol", site, &at), None)
        .await
        .json();
    assert_eq!(ui.status, by_api.status);
    let scope = db::CustomerScope::All;
    let page_row = db::booking_in_scope(&dash.state.db, &scope, ui.booking_id)
        .await
        .expect("read")
        .expect("row");
    let api_row = db::booking_in_scope(&dash.state.db, &scope, by_api.id)
        .await
        .expect("read")
        .expect("row");
    let comparable = |b: &db::Booking| {
        let mut shown = b.to_api();
        shown.id = 0;
        shown.aura_id = None;
        shown.created_at = chrono::DateTime::UNIX_EPOCH;
        shown
    };
    assert_eq!(comparable(&page_row), comparable(&api_row));

    // Refused by the rules: the same problems at the same fields, in the same words.
    let mut draft = draft_at("ui-2", "  ", site, &at.date, &at.time);
    draft.contacts[0].mobile = "12".into();
    draft.window_minutes = "0".into();
    draft.start_time = "25:00".into();
    let Err(AppError::Invalid(page_errors)) = book_as(&dash.http, &dash.url(""), &draft).await
    else {
        panic!("the page accepted it");
    };
    let mut body = patrol("  ", site, &at);
    body["details"]["contacts"][0]["mobile"] = json!("12");
    body["repeats"]["windowMinutes"] = json!(0);
    body["repeats"]["startTime"] = json!("25:00");
    let refused = api.post("/bookings", &body, None).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut from_page: Vec<(String, String)> = page_errors
        .0
        .iter()
        .map(|e| (domain::api::field_name(e.field), e.message.clone()))
        .collect();
    let mut from_api: Vec<(String, String)> = refused
        .problem()
        .errors
        .into_iter()
        .map(|e| (e.field, e.detail))
        .collect();
    from_page.sort();
    from_api.sort();
    assert!(from_page.len() >= 3, "{from_page:?}");
    assert_eq!(from_page, from_api);

    // Refused by AURA: the same status and reason either way.
    sb.post_control(
        "/_control/faults",
        json!({"operation": "create", "status": 400, "count": 2}),
    )
    .await;
    let later = local_in("Europe/London", 3 * 24 * 60);
    let ui = book_as(
        &dash.http,
        &dash.url(""),
        &draft_at("ui-3", "Refused patrol", site, &later.date, &later.time),
    )
    .await
    .expect("answered");
    let by_api: Booking = api
        .post("/bookings", &patrol("Refused patrol", site, &later), None)
        .await
        .json();
    assert_eq!(ui.status, SyncStatus::Rejected);
    assert_eq!(by_api.status, SyncStatus::Rejected);
    assert_eq!(ui.message, by_api.problem);

    // Cancelling: the same refusal for a booking AURA refused.
    let page_cancel =
        crate::common::cancel_as(&dash.http, &dash.url(""), ui.booking_id, "Not needed", &[]).await;
    let api_cancel = api
        .delete(
            &format!("/bookings/{}", by_api.id),
            Some(&json!({"reason": "Not needed"})),
        )
        .await;
    let Err(AppError::Conflict(page_says)) = page_cancel else {
        panic!("the page cancelled a refused booking: {page_cancel:?}");
    };
    assert_eq!(api_cancel.status, StatusCode::CONFLICT);
    assert_eq!(api_cancel.problem().detail, page_says);
}

#[tokio::test]
async fn every_refusal_is_a_problem_document_naming_its_field() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let key = key_for(&dash, &dash.a, "read,book,cancel,webhooks").await;
    let api = Api::new(&dash.url(""), &key);
    let site = london_site(&dash).await;
    let at = local_in("Europe/London", 24 * 60);
    let raw_post = |body: &'static str| {
        let http = reqwest::Client::new();
        let url = dash.url("/api/v1/bookings");
        let key = key.clone();
        async move {
            let r = http
                .post(url)
                .bearer_auth(key)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("post");
            (r.status(), r.text().await.expect("text"))
        }
    };
    for (body, field) in [
        ("{", "body"),
        ("", "body"),
        ("[]", "body"),
        ("{\"serviceType\": 7}", "serviceType"),
        ("{} {}", "body"),
    ] {
        let (status, text) = raw_post(body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {text}");
        let problem: Problem = serde_json::from_str(&text).expect("problem");
        assert_eq!(problem.errors[0].field, field, "{body}: {text}");
    }
    let mut wrong = patrol("Typed", site, &at);
    wrong["details"]["numberOfGuards"] = json!("two");
    assert_eq!(
        api.post("/bookings", &wrong, None).await.fields(),
        ["details.numberOfGuards"]
    );
    let mut unknown = patrol("Typed", site, &at);
    unknown["colour"] = json!("blue");
    assert_eq!(
        api.post("/bookings", &unknown, None).await.status,
        StatusCode::BAD_REQUEST
    );
    let mut not_offered = patrol("Typed", site, &at);
    not_offered["serviceType"] = json!("teleport");
    assert_eq!(
        api.post("/bookings", &not_offered, None).await.fields(),
        ["serviceType"]
    );
    let mut bad_date = patrol("Typed", site, &at);
    bad_date["dateFrom"] = json!("2027-02-30");
    assert_eq!(
        api.post("/bookings", &bad_date, None).await.fields(),
        ["dateFrom"]
    );
    let mut both = patrol("Typed", site, &at);
    both["location"] = json!({"formattedAddress": "x", "timeZone": "Europe/London"});
    assert_eq!(
        api.post("/bookings", &both, None).await.fields(),
        ["location"]
    );
    let mut zone = patrol("Typed", site, &at);
    zone["siteId"] = Value::Null;
    zone["location"] = json!({"formattedAddress": "1 Dock Road", "timeZone": "Mars/Olympus"});
    assert_eq!(
        api.post("/bookings", &zone, None).await.fields(),
        ["location.timeZone"]
    );
    for (path, field) in [
        ("/bookings?limit=0", "limit"),
        ("/bookings?limit=1000", "limit"),
        ("/bookings?cursor=abc", "cursor"),
        ("/bookings?site=-4", "site"),
        ("/bookings?service=teleport", "service"),
        ("/bookings?from=2027-01-02&to=2027-01-01", "to"),
        ("/windows?from=2027-01-01&to=2029-01-01", "to"),
        ("/windows?from=yesterday", "from"),
        ("/bookings/abc", "id"),
        ("/bookings/99999999999999999999", "id"),
    ] {
        let answer = api.get(path).await;
        assert!(answer.status.is_client_error(), "{path}: {}", answer.status);
        assert_eq!(answer.fields(), [field], "{path}");
    }
    assert_eq!(
        api.get("/bookings/424242").await.status,
        StatusCode::NOT_FOUND
    );
    let no_route = api.get("/nothing-here").await;
    assert_eq!(no_route.status, StatusCode::NOT_FOUND);
    no_route.problem();
    let wrong_method = api
        .send(reqwest::Client::new().put(format!("{}/bookings", api.base)))
        .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    wrong_method.problem();
    let huge = "x".repeat(server::web::MAX_BODY_BYTES + 10);
    let too_large = api
        .send(
            reqwest::Client::new()
                .post(format!("{}/bookings", api.base))
                .body(huge),
        )
        .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    too_large.problem();
    let hook = api
        .post("/webhooks", &json!({"url": "ftp://example.com"}), None)
        .await;
    assert_eq!(hook.fields(), ["url"]);
}

#[tokio::test]
async fn the_rate_limit_is_per_key_and_shared_by_every_process() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    // Two processes on one database, each allowing 6 requests a minute per key.
    let limited = |state: &backend::AppState| backend::AppState {
        api: Arc::new(backend::api::ApiConfig::new(6, false)),
        ..state.clone()
    };
    let one = crate::common::serve(
        server::web::router(limited(&dash.state), crate::common::site_options(), None)
            .expect("router"),
    )
    .await;
    let two = crate::common::serve(
        server::web::router(limited(&dash.state), crate::common::site_options(), None)
            .expect("router"),
    )
    .await;
    let key = key_for(&dash, &dash.a, "read").await;
    let other = key_for(&dash, &dash.a, "read").await;
    let on = |addr: std::net::SocketAddr, key: &str| Api::new(&format!("http://{addr}"), key);
    // Requests that straddle a minute's turn would start a new count: wait past one if it is near.
    let second = chrono::Timelike::second(&chrono::Utc::now());
    if second >= 55 {
        tokio::time::sleep(std::time::Duration::from_secs(u64::from(61 - second))).await;
    }
    let mut statuses = Vec::new();
    for i in 0..8 {
        let addr = if i % 2 == 0 { one } else { two };
        statuses.push(on(addr, &key).get("/sites").await);
    }
    let ok = statuses
        .iter()
        .filter(|a| a.status == StatusCode::OK)
        .count();
    assert_eq!(ok, 6, "six across both processes");
    let busy = statuses.last().expect("answers");
    assert_eq!(busy.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = busy.headers["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait));
    busy.problem();
    // Another key is not slowed by this one.
    assert_eq!(on(one, &other).get("/sites").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_openapi_document_describes_every_operation() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let doc: Value = reqwest::get(dash.url("/api/v1/openapi.json"))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            if ["get", "post", "put", "delete"].contains(&method.as_str()) {
                operations.push(format!("{} {path}", method.to_uppercase()));
                for code in ["400", "401", "403", "404", "422", "429"] {
                    assert!(op["responses"][code].is_object(), "{method} {path} {code}");
                }
                assert!(op["operationId"].is_string());
            }
        }
    }
    operations.sort();
    assert_eq!(
        operations,
        [
            "DELETE /api/v1/bookings/{id}",
            "DELETE /api/v1/webhooks/{id}",
            "GET /api/v1/bookings",
            "GET /api/v1/bookings/{id}",
            "GET /api/v1/sites",
            "GET /api/v1/webhooks",
            "GET /api/v1/webhooks/{id}/deliveries",
            "GET /api/v1/windows",
            "POST /api/v1/bookings",
            "POST /api/v1/bookings/{id}/skip",
            "POST /api/v1/sites",
            "POST /api/v1/webhooks",
            "POST /api/v1/webhooks/{id}/deliveries/{delivery}/replay",
            "POST /api/v1/webhooks/{id}/rotate",
            "PUT /api/v1/bookings/{id}",
        ]
    );
    for schema in [
        "Booking",
        "NewBooking",
        "Problem",
        "HookPayload",
        "ServiceType",
        "SyncStatus",
        "SkipBody",
        "ChangeResult",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    assert_eq!(
        doc["components"]["schemas"]["ServiceType"]["enum"],
        json!([
            "patrol",
            "lockUnlock",
            "vacantProperty",
            "occupiedInspection",
            "guarding",
            "escort"
        ])
    );
    let page = reqwest::get(dash.url("/api/v1/docs")).await.expect("docs");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("POST</span> <code>/api/v1/bookings</code>"));
    assert!(html.contains("id=\"schema-NewBooking\""));
    assert!(!html.contains("<script"), "no script, no CDN");
}

/// A late cancel through a key reaches the customer's account managers as one on a page does; the
/// customer's own users are not told of their own system's act as if staff had done it.
#[tokio::test]
async fn a_late_cancel_through_the_api_reaches_the_account_managers() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let api = Api::new(&dash.url(""), &key_for(&dash, &dash.a, "book,cancel").await);
    let site = london_site(&dash).await;
    // The first window within the day: a cancel now is late.
    let soon = local_in("Europe/London", 3 * 60);
    let booking: Booking = api
        .post("/bookings", &patrol("Soon patrol", site, &soon), None)
        .await
        .json();
    assert_eq!(booking.status, SyncStatus::Confirmed);
    let cancelled: Booking = api
        .delete(
            &format!("/bookings/{}", booking.id),
            Some(&json!({"reason": "Changed plans"})),
        )
        .await
        .json();
    assert_eq!(cancelled.status, SyncStatus::Cancelled);
    let told: Vec<(String, String)> = raw!(&dash.state.db, |conn, d| sqlx::query_as(&d(
        "SELECT u.email, n.notice FROM notifications n JOIN users u ON u.id = n.user_id
         WHERE n.booking_id = ? ORDER BY u.email, n.notice"
    ))
    .bind(booking.id)
    .fetch_all(conn)
    .await?)
    .expect("notices");
    assert_eq!(
        told,
        [(dash.people.manager_of_a.clone(), "late_cancel".to_string())]
    );
}
