//! Contract tests: the built-in AURA sandbox over real HTTP, rule by rule and status by status, as
//! `docs/aura-contract.md` specifies.

use std::time::Duration;

use crate::common::{RunningSandbox, start_sandbox};
use backend::aura::wire::{AnswerShape, ServiceCatalog};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::sandbox::SandboxConfig;

async fn sandbox() -> RunningSandbox {
    start_sandbox(SandboxConfig::default()).await
}

async fn token(sb: &RunningSandbox) -> String {
    let r = reqwest::Client::new()
        .post(sb.url("/panic-api/v2/oauth/token"))
        .json(&json!({"clientId": "sandbox-client", "clientSecret": "sandbox-secret"}))
        .send()
        .await
        .expect("token");
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("json");
    body["accessToken"]
        .as_str()
        .expect("accessToken")
        .to_string()
}

/// A valid create body whose first window opens `hours_ahead` hours from now (London).
fn body(hours_ahead: i64) -> Value {
    let at = crate::common::local_in("Europe/London", hours_ahead * 60);
    json!({
        "customerId": 178921,
        "scheduledRequestConfig": {
            "name": "Warehouse night patrol",
            "specialInstructions": "Check the loading-bay shutters",
            "numberOfGuards": 2,
            "armedPreference": "unarmed",
            "contacts": [{"name": "Site manager", "mobile": "+447700900123"}],
            "dateFrom": at.midnight_utc,
            "dateTo": "2099-12-31T23:59:59Z",
            "repeatsConfig": {"type": "daily", "startTime": at.time, "windowPeriodMinutes": 90, "timezone": "Europe/London"}
        },
        "initialLocation": {"latitude": 51.5072, "longitude": -0.1276, "formattedAddress": "1 Example Street, London"}
    })
}

async fn create(sb: &RunningSandbox, token: &str, slug: &str, body: &Value) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(sb.url(&format!("/panic-api/v2/scheduled/{slug}")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("create");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn cancel(sb: &RunningSandbox, token: &str, id: &str) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .delete(sb.url(&format!("/panic-api/v2/scheduled/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("cancel");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn token_exchange_statuses() {
    let sb = sandbox().await;
    let http = reqwest::Client::new();
    let url = sb.url("/panic-api/v2/oauth/token");
    let ok = http
        .post(&url)
        .json(&json!({"clientId": "sandbox-client", "clientSecret": "sandbox-secret"}))
        .send()
        .await
        .expect("ok");
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.expect("json");
    assert_eq!(body["tokenType"], "Bearer");
    assert_eq!(body["expiresIn"], 3600);
    assert!(body["accessToken"].as_str().is_some_and(|t| !t.is_empty()));

    let bad = http
        .post(&url)
        .json(&json!({"clientId": "sandbox-client", "clientSecret": "nope"}))
        .send()
        .await
        .expect("bad");
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    let msg: Value = bad.json().await.expect("json");
    assert!(msg["message"].as_str().is_some_and(|m| !m.is_empty()));

    let malformed = http
        .post(&url)
        .body("not json")
        .send()
        .await
        .expect("malformed");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn calls_without_a_valid_token_get_401() {
    let sb = sandbox().await;
    let http = reqwest::Client::new();
    let url = sb.url("/panic-api/v2/scheduled/patrol");
    let missing = http
        .post(&url)
        .json(&body(24))
        .send()
        .await
        .expect("missing");
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = create(&sb, "forged", "patrol", &body(24)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = cancel(&sb, "forged", "sr_x").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn issued_tokens_expire_for_real() {
    let sb = start_sandbox(SandboxConfig {
        token_ttl: Duration::from_secs(1),
        ..SandboxConfig::default()
    })
    .await;
    let t = token(&sb).await;
    let (status, _) = create(&sb, &t, "patrol", &body(24)).await;
    assert_eq!(status, StatusCode::CREATED);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (status, msg) = create(&sb, &t, "patrol", &body(24)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(msg["message"], "Token expired.");
}

/// The request record inside an answer: the envelope's `scheduledRequest`, or the flat answer.
fn record(answer: &Value) -> &Value {
    answer.get("scheduledRequest").unwrap_or(answer)
}

const SHAPES: [AnswerShape; 2] = [AnswerShape::Envelope, AnswerShape::Reference];

async fn sandbox_in(shape: AnswerShape) -> RunningSandbox {
    start_sandbox(SandboxConfig {
        answer_shape: shape,
        ..SandboxConfig::default()
    })
    .await
}

#[tokio::test]
async fn create_returns_201_with_id_and_next_occurrence() {
    let sb = sandbox().await;
    let t = token(&sb).await;
    let (status, created) = create(&sb, &t, "guarding", &body(30)).await;
    assert_eq!(status, StatusCode::CREATED);
    let request = &created["scheduledRequest"];
    assert!(request["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(request["status"], "scheduled");
    assert_eq!(request["serviceType"], "guarding");
    assert_eq!(request["customerId"], 178921);
    let next: chrono::DateTime<chrono::Utc> = request["nextOccurrence"]
        .as_str()
        .expect("nextOccurrence")
        .parse()
        .expect("rfc3339");
    let ahead = next - chrono::Utc::now();
    assert!(
        ahead > chrono::Duration::minutes(29 * 60) && ahead < chrono::Duration::minutes(31 * 60),
        "{ahead}"
    );
    assert_eq!(
        request["scheduledRequestConfig"]["repeatsConfig"]["timezone"],
        "Europe/London"
    );
}

/// The API reference page's shape: `{"id": "<uuid>", "status": "scheduled"}` and nothing else.
#[tokio::test]
async fn the_reference_shape_answers_id_and_status_only() {
    let sb = sandbox_in(AnswerShape::Reference).await;
    let t = token(&sb).await;
    let (status, created) = create(&sb, &t, "guarding", &body(30)).await;
    assert_eq!(status, StatusCode::CREATED);
    let keys: Vec<&String> = created.as_object().expect("object").keys().collect();
    assert_eq!(keys, vec!["id", "status"]);
    assert!(uuid::Uuid::parse_str(created["id"].as_str().expect("id")).is_ok());
    assert_eq!(created["status"], "scheduled");
    // The shape can be switched at run time too.
    sb.post_control("/_control/shape", json!({"shape": "envelope"}))
        .await;
    let (_, created) = create(&sb, &t, "guarding", &body(30)).await;
    assert!(created["scheduledRequest"]["id"].is_string());
}

/// Every invalid body gets 400 with a message naming the problem.
#[tokio::test]
async fn every_rule_is_a_400_with_a_message() {
    let sb = start_sandbox(SandboxConfig {
        services: ServiceCatalog::parse("patrol,guarding").expect("catalog"),
        ..SandboxConfig::default()
    })
    .await;
    let t = token(&sb).await;
    let with = |path: &[&str], value: Value| {
        let mut b = body(24);
        let mut node = &mut b;
        for key in &path[..path.len() - 1] {
            node = &mut node[*key];
        }
        node[path[path.len() - 1]] = value;
        b
    };
    let config = "scheduledRequestConfig";
    let repeats = "repeatsConfig";
    let cases: Vec<(&str, Value, &str)> = vec![
        ("patrol", with(&[config, "name"], json!("  ")), "name"),
        (
            "patrol",
            with(&["initialLocation"], json!({})),
            "address, coordinates",
        ),
        (
            "patrol",
            with(&["initialLocation"], json!({"latitude": 51.5})),
            "latitude and longitude",
        ),
        (
            "patrol",
            with(&[config, "dateTo"], json!("2000-01-01T00:00:00Z")),
            "before the first date",
        ),
        (
            "patrol",
            with(&[config, repeats, "type"], json!("weekly")),
            "at least one day",
        ),
        (
            "patrol",
            with(&[config, repeats, "type"], json!("monthly")),
            "single, daily or weekly",
        ),
        (
            "patrol",
            with(&[config, repeats, "windowPeriodMinutes"], json!(0)),
            "1 to 1440",
        ),
        (
            "patrol",
            with(&[config, repeats, "windowPeriodMinutes"], json!(1441)),
            "1 to 1440",
        ),
        (
            "patrol",
            with(&[config, "numberOfGuards"], json!(0)),
            "At least one guard",
        ),
        (
            "patrol",
            with(&[config, repeats, "timezone"], json!("Mars/Olympus_Mons")),
            "not a known IANA time zone",
        ),
        (
            "patrol",
            with(&[config, repeats, "startTime"], json!("25:00")),
            "HH:MM",
        ),
        (
            "patrol",
            with(&[config, "armedPreference"], json!("heavily")),
            "Armed preference",
        ),
        ("rocket", body(24), "unknown or not enabled"),
        ("escort", body(24), "unknown or not enabled"),
        (
            "patrol",
            with(&[config, "dateFrom"], json!("yesterday")),
            "not a valid scheduled request",
        ),
    ];
    for (slug, request, expected) in cases {
        let (status, answer) = create(&sb, &t, slug, &request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{slug} {request}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(expected),
            "expected {expected:?} in {message:?}"
        );
    }
    assert!(
        sb.control().await.requests.is_empty(),
        "nothing invalid was stored"
    );
}

#[tokio::test]
async fn the_first_window_must_open_at_least_five_minutes_ahead() {
    let sb = sandbox().await;
    let t = token(&sb).await;
    let single_at = |at: crate::common::LocalMoment| {
        let mut b = body(24);
        b["scheduledRequestConfig"]["dateFrom"] = json!(at.midnight_utc);
        b["scheduledRequestConfig"]["repeatsConfig"]["type"] = json!("single");
        b["scheduledRequestConfig"]["repeatsConfig"]["startTime"] = json!(at.time);
        b
    };
    for minutes in [-60, 0, 2, 4] {
        let at = crate::common::local_at_most("Europe/London", minutes);
        let (status, answer) = create(&sb, &t, "patrol", &single_at(at)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{minutes} minutes ahead");
        assert!(
            answer["message"]
                .as_str()
                .unwrap_or_default()
                .contains("at least 5 minutes")
        );
    }
    let at = crate::common::local_in("Europe/London", 7);
    let (status, _) = create(&sb, &t, "patrol", &single_at(at)).await;
    assert_eq!(status, StatusCode::CREATED, "7 minutes ahead is accepted");
}

#[tokio::test]
async fn cancel_semantics() {
    for shape in SHAPES {
        let sb = sandbox_in(shape).await;
        let t = token(&sb).await;
        let (_, created) = create(&sb, &t, "patrol", &body(24)).await;
        let id = record(&created)["id"].as_str().expect("id").to_string();

        let (status, answer) = cancel(&sb, &t, &id).await;
        assert_eq!(status, StatusCode::OK, "{shape:?}");
        assert_eq!(record(&answer)["status"], "cancelled", "{shape:?}");
        assert_eq!(record(&answer)["id"], id.as_str(), "{shape:?}");
        if shape == AnswerShape::Envelope {
            assert_eq!(answer["scheduledRequest"]["nextOccurrence"], Value::Null);
        }

        let (status, answer) = cancel(&sb, &t, &id).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            answer["message"]
                .as_str()
                .unwrap_or_default()
                .contains("already cancelled")
        );

        let (status, answer) = cancel(&sb, &t, "sr_unknown").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            answer["message"]
                .as_str()
                .unwrap_or_default()
                .contains("sr_unknown")
        );
    }
}

#[tokio::test]
async fn control_endpoint_reports_requests_and_call_counts() {
    let sb = sandbox().await;
    let t = token(&sb).await;
    let (_, a) = create(&sb, &t, "patrol", &body(24)).await;
    create(&sb, &t, "escort", &body(48)).await;
    cancel(&sb, &t, a["scheduledRequest"]["id"].as_str().expect("id")).await;
    let snapshot = sb.control().await;
    assert_eq!(snapshot.requests.len(), 2);
    assert_eq!(snapshot.calls.token, 1);
    assert_eq!(snapshot.calls.create, 2);
    assert_eq!(snapshot.calls.cancel, 1);
    let statuses: Vec<String> = snapshot
        .requests
        .iter()
        .map(|r| {
            serde_json::to_value(r.status)
                .expect("ser")
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(statuses, vec!["cancelled", "scheduled"]);
}

#[tokio::test]
async fn injected_faults_answer_instead_of_the_real_call() {
    let sb = sandbox().await;
    let t = token(&sb).await;
    sb.post_control(
        "/_control/faults",
        json!({"operation": "create", "status": 503, "count": 1}),
    )
    .await;
    let (status, answer) = create(&sb, &t, "patrol", &body(24)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        answer["message"]
            .as_str()
            .unwrap_or_default()
            .contains("503")
    );
    let (status, _) = create(&sb, &t, "patrol", &body(24)).await;
    assert_eq!(status, StatusCode::CREATED, "the fault is used up");
}

#[tokio::test]
async fn busy_and_down_answers_say_when_to_retry() {
    let sb = sandbox().await;
    let t = token(&sb).await;
    for (status, fault) in [
        (429, json!({"operation": "create", "status": 429})),
        (
            503,
            json!({"operation": "create", "status": 503, "retryAfter": 30}),
        ),
    ] {
        sb.post_control("/_control/faults", fault).await;
        let r = reqwest::Client::new()
            .post(sb.url("/panic-api/v2/scheduled/patrol"))
            .bearer_auth(&t)
            .json(&body(24))
            .send()
            .await
            .expect("create");
        assert_eq!(r.status().as_u16(), status);
        let expected = if status == 429 { "1" } else { "30" };
        assert_eq!(r.headers()["retry-after"], expected);
    }
    assert!(sb.control().await.requests.is_empty(), "nothing was done");
}

/// Faults after the work: the request is held, and only the answer is late, cut or unreadable. A
/// stall does nothing at all.
#[tokio::test]
async fn faults_after_the_work_keep_the_request() {
    for shape in SHAPES {
        let sb = sandbox_in(shape).await;
        let t = token(&sb).await;
        let started = std::time::Instant::now();
        sb.post_control(
            "/_control/faults",
            json!({"operation": "create", "mode": "delay", "delayMs": 600}),
        )
        .await;
        let (status, created) = create(&sb, &t, "patrol", &body(24)).await;
        assert_eq!(status, StatusCode::CREATED);
        assert!(started.elapsed() >= Duration::from_millis(600));
        assert!(record(&created)["id"].is_string());

        sb.post_control(
            "/_control/faults",
            json!({"operation": "create", "mode": "drop"}),
        )
        .await;
        let dropped = reqwest::Client::new()
            .post(sb.url("/panic-api/v2/scheduled/patrol"))
            .bearer_auth(&t)
            .json(&body(24))
            .send()
            .await;
        let broken = match dropped {
            Err(_) => true,
            Ok(r) => r.bytes().await.is_err(),
        };
        assert!(broken, "the answer is cut off");

        sb.post_control(
            "/_control/faults",
            json!({"operation": "create", "mode": "garbage"}),
        )
        .await;
        let r = reqwest::Client::new()
            .post(sb.url("/panic-api/v2/scheduled/patrol"))
            .bearer_auth(&t)
            .json(&body(24))
            .send()
            .await
            .expect("garbage");
        assert!(r.status().is_success());
        assert!(serde_json::from_slice::<Value>(&r.bytes().await.expect("body")).is_err());
        assert_eq!(
            sb.control().await.requests.len(),
            3,
            "{shape:?}: all three held"
        );

        sb.post_control(
            "/_control/faults",
            json!({"operation": "create", "mode": "stall", "delayMs": 300}),
        )
        .await;
        let (status, _) = create(&sb, &t, "patrol", &body(24)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(sb.control().await.requests.len(), 3, "a stall does nothing");
    }
}

#[tokio::test]
async fn revoked_tokens_get_401() {
    let sb = sandbox().await;
    let t = token(&sb).await;
    sb.post_control("/_control/revoke-tokens", json!({})).await;
    let (status, answer) = create(&sb, &t, "patrol", &body(24)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["message"], "Invalid token.");
}

#[tokio::test]
async fn embedded_sandbox_is_mounted_under_sandbox() {
    let sandbox = server::sandbox::Sandbox::new(SandboxConfig::default());
    let router = axum::Router::new().nest("/sandbox", server::sandbox::router(sandbox));
    let addr = crate::common::serve(router).await;
    let r = reqwest::Client::new()
        .post(format!("http://{addr}/sandbox/panic-api/v2/oauth/token"))
        .json(&json!({"clientId": "sandbox-client", "clientSecret": "sandbox-secret"}))
        .send()
        .await
        .expect("token");
    assert_eq!(r.status(), StatusCode::OK);
    let control = reqwest::get(format!("http://{addr}/sandbox/_control/requests"))
        .await
        .expect("control");
    assert_eq!(control.status(), StatusCode::OK);
}
