//! The AURA client against hand-written answers. Every answer AURA documents (docs/aura-contract.md)
//! is written here as literal JSON and served by a stub that knows nothing of `wire.rs` (the
//! sandbox shares it with the client, so a wire-format mistake could not show against the
//! sandbox): both create shapes, ids as string, number and UUID, `nextOccurrence` missing or null,
//! each error status, cancel's 409, both token casings. What the client sends is compared with the
//! documented request, also written out by hand.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use backend::aura::wire::CreateScheduledRequest;
use backend::aura::{AuraError, CancelOutcome, NotDelivered};
use serde_json::{Value, json};

use crate::common::client_for;

/// One answer the stub gives: status, body (sent as it is) and extra headers.
struct Answer {
    status: u16,
    body: &'static str,
    headers: Vec<(&'static str, &'static str)>,
}

fn answer(status: u16, body: &'static str) -> Answer {
    Answer {
        status,
        body,
        headers: Vec::new(),
    }
}

/// A request the stub received.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    authorization: Option<String>,
    body: Value,
}

#[derive(Clone, Default)]
struct Stub {
    token: Arc<Mutex<VecDeque<Answer>>>,
    calls: Arc<Mutex<VecDeque<Answer>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Stub {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

/// A camelCase token answer, as most of AURA's pages show it.
const TOKEN: &str = r#"{"accessToken": "token-one", "tokenType": "Bearer", "expiresIn": 3600}"#;

async fn serve_stub(
    stub: Stub,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let path = uri.path().to_string();
    stub.seen.lock().expect("lock").push(Seen {
        method,
        path: path.clone(),
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: serde_json::from_str(&body).unwrap_or(Value::Null),
    });
    let queue = if path.ends_with("/oauth/token") {
        &stub.token
    } else {
        &stub.calls
    };
    let next = queue.lock().expect("lock").pop_front();
    let Some(a) = next.or_else(|| path.ends_with("/oauth/token").then(|| answer(200, TOKEN)))
    else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the stub has no answer left",
        )
            .into_response();
    };
    let mut response = (
        StatusCode::from_u16(a.status).expect("status"),
        [("content-type", "application/json")],
        a.body,
    )
        .into_response();
    for (name, value) in a.headers {
        response
            .headers_mut()
            .insert(name, value.parse().expect("header"));
    }
    response
}

/// Starts a stub answering the token endpoint with `token` (then the camelCase default) and every
/// other call with `calls`, in order. Its base URL and its record.
async fn start(token: Vec<Answer>, calls: Vec<Answer>) -> (String, Stub) {
    let stub = Stub {
        token: Arc::new(Mutex::new(token.into())),
        calls: Arc::new(Mutex::new(calls.into())),
        seen: Arc::default(),
    };
    let router = axum::Router::new()
        .fallback(
            |State(stub): State<Stub>,
             method: Method,
             uri: Uri,
             headers: HeaderMap,
             body: String| { serve_stub(stub, method, uri, headers, body) },
        )
        .with_state(stub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("stub") });
    (format!("http://{addr}/panic-api/v2"), stub)
}

/// The documented create body (docs/aura-contract.md §3), written out by hand.
fn documented_body() -> Value {
    json!({
        "customerId": 204417,
        "scheduledRequestConfig": {
            "name": "Depot weekend guarding",
            "specialInstructions": "Gate code is with the site manager",
            "numberOfGuards": 1,
            "armedPreference": "noPreference",
            "contacts": [{ "name": "Duty manager", "mobile": "+447700900456" }],
            "dateFrom": "2027-01-01T00:00:00Z",
            "dateTo": "2027-01-31T23:59:59Z",
            "repeatsConfig": {
                "type": "weekly",
                "daysOfWeek": ["SAT", "SUN"],
                "startTime": "20:00",
                "windowPeriodMinutes": 600,
                "timezone": "Europe/London"
            }
        },
        "initialLocation": { "formattedAddress": "Unit 4, Example Trading Estate" }
    })
}

fn body() -> CreateScheduledRequest {
    serde_json::from_value(documented_body()).expect("the documented body reads as ours")
}

async fn create_with(calls: Vec<Answer>) -> (Result<backend::aura::Created, AuraError>, Stub) {
    let (base, stub) = start(Vec::new(), calls).await;
    let client = client_for(&base, "stub-client", "stub-secret");
    (client.create("guarding", &body()).await, stub)
}

async fn cancel_with(calls: Vec<Answer>) -> Result<CancelOutcome, AuraError> {
    let (base, _) = start(Vec::new(), calls).await;
    let client = client_for(&base, "stub-client", "stub-secret");
    client.cancel("sr_1").await
}

#[tokio::test]
async fn the_client_sends_the_documented_requests() {
    let (created, stub) = create_with(vec![answer(
        201,
        r#"{"message": "Scheduled request created.",
            "scheduledRequest": {"id": "sr_1", "serviceType": "guarding", "customerId": 204417,
              "status": "scheduled", "nextOccurrence": "2027-01-02T20:00:00Z"}}"#,
    )])
    .await;
    created.expect("created");
    let seen = stub.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    // The token: a JSON body with two camelCase fields, no grant_type.
    assert_eq!(seen[0].method, Method::POST);
    assert_eq!(seen[0].path, "/panic-api/v2/oauth/token");
    assert_eq!(
        seen[0].body,
        json!({"clientId": "stub-client", "clientSecret": "stub-secret"})
    );
    // The create: the service type in the path, the documented body, the bearer token.
    assert_eq!(seen[1].method, Method::POST);
    assert_eq!(seen[1].path, "/panic-api/v2/scheduled/guarding");
    assert_eq!(seen[1].authorization.as_deref(), Some("Bearer token-one"));
    assert_eq!(seen[1].body, documented_body());
    // The cancel: DELETE with the id in the path, percent-encoded.
    let (base, stub) = start(
        Vec::new(),
        vec![answer(
            200,
            r#"{"message": "Cancelled.", "scheduledRequest": {"id": "sr/1 x", "status": "cancelled"}}"#,
        )],
    )
    .await;
    let client = client_for(&base, "stub-client", "stub-secret");
    assert_eq!(client.cancel("sr/1 x").await, Ok(CancelOutcome::Cancelled));
    let seen = stub.seen();
    assert_eq!(seen[1].method, Method::DELETE);
    assert_eq!(seen[1].path, "/panic-api/v2/scheduled/sr%2F1%20x");
}

#[tokio::test]
async fn both_token_casings_are_read() {
    let (base, stub) = start(
        vec![answer(
            200,
            r#"{"access_token": "token-snake", "token_type": "Bearer", "expires_in": 3600}"#,
        )],
        vec![answer(201, r#"{"id": 7, "status": "scheduled"}"#)],
    )
    .await;
    let client = client_for(&base, "stub-client", "stub-secret");
    client.create("guarding", &body()).await.expect("created");
    assert_eq!(
        stub.seen()[1].authorization.as_deref(),
        Some("Bearer token-snake")
    );
}

/// What a create answer says of the next window: not said, said none, or said when.
type NextOccurrence = Option<Option<chrono::DateTime<chrono::Utc>>>;

#[tokio::test]
async fn both_create_shapes_and_every_id_are_read() {
    let at = |s: &str| Some(Some(s.parse().expect("instant")));
    let cases: [(&'static str, &str, NextOccurrence); 6] = [
        // Shape A, the concept page's envelope.
        (
            r#"{"message": "Scheduled request created.",
                "scheduledRequest": {"id": "sr_8f2", "status": "scheduled",
                  "nextOccurrence": "2027-01-02T20:00:00Z", "scheduledRequestConfig": {}}}"#,
            "sr_8f2",
            at("2027-01-02T20:00:00Z"),
        ),
        // Shape A with no window left.
        (
            r#"{"message": "ok", "scheduledRequest": {"id": "sr_9", "status": "scheduled",
                "nextOccurrence": null}}"#,
            "sr_9",
            Some(None),
        ),
        // Shape A without nextOccurrence: the dashboard computes it.
        (
            r#"{"scheduledRequest": {"id": "sr_10", "status": "scheduled"}}"#,
            "sr_10",
            None,
        ),
        // Shape B, the API reference's flat answer, id a UUID.
        (
            r#"{"id": "3f2c9a4e-1b7d-4c55-9e0a-2d8f6b1c7e90", "status": "scheduled"}"#,
            "3f2c9a4e-1b7d-4c55-9e0a-2d8f6b1c7e90",
            None,
        ),
        // Shape B with a numeric id.
        (r#"{"id": 481516, "status": "scheduled"}"#, "481516", None),
        // Shape B without a status.
        (r#"{"id": "sr_11"}"#, "sr_11", None),
    ];
    for (body, id, next) in cases {
        let (created, _) = create_with(vec![answer(201, body)]).await;
        let created = created.unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(created.id, id, "{body}");
        assert_eq!(created.next_occurrence, next, "{body}");
    }
    // An odd 2xx (AURA uses 285 on callouts) is read like any other.
    let (created, _) = create_with(vec![answer(
        285,
        r#"{"id": "sr_285", "status": "scheduled"}"#,
    )])
    .await;
    assert_eq!(created.expect("285").id, "sr_285");
}

#[tokio::test]
async fn a_success_that_names_no_scheduled_request_is_an_unknown_outcome() {
    for body in [
        "",
        "<html>Gateway</html>",
        r#"{"message": "ok"}"#,
        r#"{"id": "sr_1", "status": "cancelled"}"#,
        r#"{"id": null, "status": "scheduled"}"#,
        r#"{"scheduledRequest": {"id": "sr_1", "status": "scheduled", "nextOccurrence": "soon"}}"#,
    ] {
        let (created, _) = create_with(vec![answer(201, body)]).await;
        assert!(
            matches!(created, Err(AuraError::OutcomeUnknown(_))),
            "{body:?}: {created:?}"
        );
    }
}

#[tokio::test]
async fn each_error_status_is_the_kind_the_booking_flow_relies_on() {
    let (refused, _) = create_with(vec![answer(
        400,
        r#"{"message": "The first window must open at least 5 minutes from now."}"#,
    )])
    .await;
    assert_eq!(
        refused,
        Err(AuraError::Refused {
            status: 400,
            message: "The first window must open at least 5 minutes from now.".into()
        })
    );
    for status in [403, 404, 409, 422] {
        let (refused, _) = create_with(vec![answer(status, r#"{"error": "Not allowed"}"#)]).await;
        assert_eq!(
            refused,
            Err(AuraError::Refused {
                status,
                message: "Not allowed".into()
            })
        );
    }
    let (limited, _) = create_with(vec![Answer {
        status: 429,
        body: r#"{"message": "Too many requests"}"#,
        headers: vec![("retry-after", "7")],
    }])
    .await;
    let limited = limited.expect_err("429");
    assert!(
        matches!(
            limited,
            AuraError::NotDelivered(NotDelivered::RateLimited { .. })
        ),
        "{limited:?}"
    );
    assert_eq!(limited.retry_after(), Some(Duration::from_secs(7)));
    for status in [500, 502, 503] {
        let (failed, _) = create_with(vec![answer(
            status,
            r#"{"message": "Please retry shortly"}"#,
        )])
        .await;
        assert!(
            matches!(
                failed,
                Err(AuraError::NotDelivered(NotDelivered::Unavailable { status: s, .. })) if s == status
            ),
            "{status}: {failed:?}"
        );
    }
    // A 401: a new token, the call once more.
    let (retried, stub) = create_with(vec![
        answer(401, r#"{"message": "Token expired"}"#),
        answer(201, r#"{"id": "sr_after_401", "status": "scheduled"}"#),
    ])
    .await;
    assert_eq!(retried.expect("after renewal").id, "sr_after_401");
    let tokens = stub
        .seen()
        .iter()
        .filter(|s| s.path.ends_with("/oauth/token"))
        .count();
    assert_eq!(tokens, 2, "one renewal");
    // Twice: the credentials are refused, not delivered.
    let (refused, _) = create_with(vec![
        answer(401, r#"{"message": "Token expired"}"#),
        answer(401, r#"{"message": "Invalid token"}"#),
    ])
    .await;
    assert!(
        matches!(
            refused,
            Err(AuraError::NotDelivered(NotDelivered::Unauthorized { .. }))
        ),
        "{refused:?}"
    );
    // The token endpoint refusing the credentials: the same.
    let (base, _) = start(
        vec![answer(401, r#"{"message": "Unknown client"}"#)],
        Vec::new(),
    )
    .await;
    let client = client_for(&base, "stub-client", "stub-secret");
    let refused = client.create("guarding", &body()).await;
    assert!(
        matches!(
            refused,
            Err(AuraError::NotDelivered(NotDelivered::Unauthorized { .. }))
        ),
        "{refused:?}"
    );
}

#[tokio::test]
async fn cancel_answers_in_both_shapes_and_409_is_already_cancelled() {
    for body in [
        r#"{"message": "Scheduled request cancelled.",
            "scheduledRequest": {"id": "sr_1", "status": "cancelled"}}"#,
        r#"{"id": "sr_1", "status": "cancelled"}"#,
    ] {
        assert_eq!(
            cancel_with(vec![answer(200, body)]).await,
            Ok(CancelOutcome::Cancelled),
            "{body}"
        );
    }
    assert_eq!(
        cancel_with(vec![answer(409, r#"{"message": "Already cancelled"}"#)]).await,
        Ok(CancelOutcome::AlreadyCancelled)
    );
    assert_eq!(
        cancel_with(vec![answer(
            400,
            r#"{"message": "Unknown scheduled request"}"#
        )])
        .await,
        Err(AuraError::Refused {
            status: 400,
            message: "Unknown scheduled request".into()
        })
    );
    // A success that does not say cancelled: AURA may still hold it.
    let still = cancel_with(vec![answer(
        200,
        r#"{"id": "sr_1", "status": "scheduled"}"#,
    )])
    .await;
    assert!(
        matches!(still, Err(AuraError::OutcomeUnknown(_))),
        "{still:?}"
    );
}
