//! The AURA client against the sandbox over real HTTP: token caching and renewal, the 401
//! renew-and-retry, AURA's messages kept, and the error kinds the booking flow relies on.

use std::time::Duration;

use crate::common::{client_for, start_sandbox};
use backend::aura::wire::{BodyParts, CreateScheduledRequest, create_body};
use backend::aura::{AuraError, CancelOutcome, NotDelivered};
use domain::{Contact, Location, Repeat, Schedule};
use serde_json::json;
use server::sandbox::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxConfig};

/// A daily booking whose first window opens `minutes` from now in London.
fn request(name: &str, minutes: i64) -> CreateScheduledRequest {
    request_at(name, crate::common::local_in("Europe/London", minutes))
}

/// A daily booking whose first window opens at `at` (London).
fn request_at(name: &str, at: crate::common::LocalMoment) -> CreateScheduledRequest {
    let schedule = Schedule {
        date_from: at.midnight_utc.parse().expect("rfc3339"),
        date_to: "2099-12-31T23:59:59Z".parse().expect("rfc3339"),
        repeat: Repeat::Daily,
        start_time: chrono::NaiveTime::parse_from_str(&at.time, "%H:%M").expect("time"),
        window_minutes: 60,
    };
    let location = Location {
        address: Some("1 Example Street".into()),
        coordinates: Some((51.5, -0.12)),
    };
    let contacts = vec![Contact {
        name: "Ann".into(),
        mobile: "+447700900123".into(),
    }];
    create_body(
        178921,
        &BodyParts {
            name,
            special_instructions: Some("Ring twice"),
            number_of_guards: 1,
            armed_preference: domain::ArmedPreference::NoPreference,
            contacts: &contacts,
            location: &location,
            schedule: &schedule,
            timezone: "Europe/London",
        },
    )
}

#[tokio::test]
async fn create_and_cancel_round_trip() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb.base_url(), DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET);
    let created = client
        .create("patrol", &request("Round trip", 60 * 24))
        .await
        .expect("created");
    assert!(!created.id.is_empty());
    assert!(created.next_occurrence.is_some());
    assert_eq!(
        client.cancel(&created.id).await,
        Ok(CancelOutcome::Cancelled)
    );
    // A retried cancel that AURA already applied (409) counts as done.
    assert_eq!(
        client.cancel(&created.id).await,
        Ok(CancelOutcome::AlreadyCancelled)
    );
}

#[tokio::test]
async fn one_token_serves_many_calls() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb.base_url(), DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET);
    for i in 0..3 {
        client
            .create("patrol", &request(&format!("Reuse {i}"), 60 * 24))
            .await
            .expect("created");
    }
    let calls = sb.control().await.calls;
    assert_eq!(
        calls.token, 1,
        "the token is cached, not minted per request"
    );
    assert_eq!(calls.create, 3);
}

#[tokio::test]
async fn the_token_is_renewed_before_it_expires() {
    // A 2 s lifetime is renewed a tenth early: after 1.9 s a new token is fetched, and no call is
    // ever refused (a refused call would show as a second create call).
    let sb = start_sandbox(SandboxConfig {
        token_ttl: Duration::from_secs(2),
        ..SandboxConfig::default()
    })
    .await;
    let client = client_for(&sb.base_url(), DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET);
    client
        .create("patrol", &request("Before", 60 * 24))
        .await
        .expect("created");
    tokio::time::sleep(Duration::from_millis(1900)).await;
    client
        .create("patrol", &request("After", 60 * 24))
        .await
        .expect("created");
    let calls = sb.control().await.calls;
    assert_eq!(calls.token, 2);
    assert_eq!(calls.create, 2, "no call was refused for an expired token");
}

#[tokio::test]
async fn a_401_renews_the_token_and_retries_once() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb.base_url(), DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET);
    client
        .create("patrol", &request("First", 60 * 24))
        .await
        .expect("created");
    // AURA forgets every token (e.g. rotated keys): the next call gets 401 once, then succeeds.
    sb.post_control("/_control/expire-tokens", json!({})).await;
    client
        .create("patrol", &request("Second", 60 * 24))
        .await
        .expect("created after renewal");
    let snapshot = sb.control().await;
    assert_eq!(snapshot.calls.token, 2);
    assert_eq!(snapshot.calls.create, 3, "one refused call and one retry");
    assert_eq!(snapshot.requests.len(), 2);
}

#[tokio::test]
async fn a_second_401_is_not_retried_again() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb.base_url(), DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET);
    sb.post_control(
        "/_control/faults",
        json!({"operation": "create", "status": 401, "count": 5}),
    )
    .await;
    let err = client
        .create("patrol", &request("Refused", 60 * 24))
        .await
        .expect_err("refused");
    assert!(
        matches!(
            err,
            AuraError::NotDelivered(NotDelivered::Unauthorized { .. })
        ),
        "{err:?}"
    );
    assert_eq!(sb.control().await.calls.create, 2, "exactly one retry");
}

#[tokio::test]
async fn aura_400_message_is_kept() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb.base_url(), DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET);
    let err = client
        .create(
            "patrol",
            &request_at("Too soon", crate::common::local_at_most("Europe/London", 2)),
        )
        .await
        .expect_err("too soon");
    match err {
        AuraError::Refused { status, message } => {
            assert_eq!(status, 400);
            assert!(message.contains("at least 5 minutes"), "{message}");
        }
        other => panic!("expected Refused, got {other:?}"),
    }
    let err = client.cancel("sr_nope").await.expect_err("unknown id");
    assert!(
        matches!(err, AuraError::Refused { status: 400, ref message } if message.contains("sr_nope")),
        "{err:?}"
    );
}

#[tokio::test]
async fn failures_are_typed_and_never_show_the_secret() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let wrong = client_for(&sb.base_url(), DEFAULT_CLIENT_ID, "hunter2-not-the-secret");
    let err = wrong
        .create("patrol", &request("Wrong secret", 60 * 24))
        .await
        .expect_err("unauthorized");
    assert!(
        matches!(
            err,
            AuraError::NotDelivered(NotDelivered::Unauthorized { .. })
        ),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains("hunter2"));

    let client = client_for(&sb.base_url(), DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET);
    sb.post_control(
        "/_control/faults",
        json!({"operation": "create", "status": 503}),
    )
    .await;
    let err = client
        .create("patrol", &request("Down", 60 * 24))
        .await
        .expect_err("503");
    assert!(
        matches!(
            err,
            AuraError::NotDelivered(NotDelivered::Unavailable { status: 503, .. })
        ),
        "{err:?}"
    );

    sb.post_control(
        "/_control/faults",
        json!({"operation": "create", "status": 429}),
    )
    .await;
    let err = client
        .create("patrol", &request("Busy", 60 * 24))
        .await
        .expect_err("429");
    assert!(
        matches!(
            err,
            AuraError::NotDelivered(NotDelivered::RateLimited { .. })
        ) && err.retry_after() == Some(Duration::from_secs(1)),
        "{err:?}"
    );

    // Nothing listens on this port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let nowhere = client_for(
        &format!("http://{closed}/panic-api/v2"),
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
    );
    let err = nowhere
        .create("patrol", &request("Nowhere", 60 * 24))
        .await
        .expect_err("unreachable");
    assert!(
        matches!(err, AuraError::NotDelivered(NotDelivered::Unreachable(_))),
        "{err:?}"
    );
}

/// A client that gives up waiting for an answer after `millis`.
fn impatient(sb: &crate::common::RunningSandbox, millis: u64) -> backend::aura::AuraClient {
    backend::aura::AuraClient::new(backend::aura::AuraConfig {
        base_url: sb.base_url(),
        client_id: DEFAULT_CLIENT_ID.into(),
        client_secret: backend::aura::secret::Secret::new(DEFAULT_CLIENT_SECRET),
        timeout: Duration::from_millis(millis),
    })
    .expect("client")
}

/// Every way a create can go wrong after AURA did the work is "outcome unknown", never "not sent":
/// the sandbox holds the request each time.
#[tokio::test]
async fn a_lost_answer_after_the_work_is_an_unknown_outcome() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let client = impatient(&sb, 800);
    client.check_token().await.expect("token first");
    for (i, fault) in [
        json!({"operation": "create", "mode": "delay", "delayMs": 1500}),
        json!({"operation": "create", "mode": "drop"}),
        json!({"operation": "create", "mode": "garbage"}),
    ]
    .into_iter()
    .enumerate()
    {
        sb.post_control("/_control/faults", fault.clone()).await;
        let err = client
            .create("patrol", &request(&format!("Lost {i}"), 60 * 24))
            .await
            .expect_err("no usable answer");
        assert!(
            matches!(err, AuraError::OutcomeUnknown(_)),
            "{fault}: {err:?}"
        );
        assert_eq!(
            sb.control().await.requests.len(),
            i + 1,
            "{fault}: AURA holds it"
        );
    }
}

#[tokio::test]
async fn an_answer_before_the_work_is_not_delivered_and_says_when_to_retry() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb.base_url(), DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET);
    sb.post_control(
        "/_control/faults",
        json!({"operation": "create", "status": 503, "retryAfter": 7}),
    )
    .await;
    let err = client
        .create("patrol", &request("Later", 60 * 24))
        .await
        .expect_err("503");
    assert!(matches!(err, AuraError::NotDelivered(_)), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert!(sb.control().await.requests.is_empty());
    // A token endpoint that is down: the create never went out.
    sb.post_control("/_control/revoke-tokens", json!({})).await;
    sb.post_control(
        "/_control/faults",
        json!({"operation": "token", "status": 500, "count": 2}),
    )
    .await;
    let err = client
        .create("patrol", &request("No token", 60 * 24))
        .await
        .expect_err("no token");
    assert!(matches!(err, AuraError::NotDelivered(_)), "{err:?}");
    assert!(sb.control().await.requests.is_empty());
}

#[tokio::test]
async fn revoked_tokens_are_renewed_once() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb.base_url(), DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET);
    client.check_token().await.expect("token");
    sb.post_control("/_control/revoke-tokens", json!({})).await;
    client
        .create("patrol", &request("After revoke", 60 * 24))
        .await
        .expect("renewed and created");
    assert_eq!(sb.control().await.calls.token, 2);
}

#[tokio::test]
async fn the_reference_page_shape_confirms_and_cancels() {
    let sb = start_sandbox(SandboxConfig {
        answer_shape: backend::aura::wire::AnswerShape::Reference,
        ..SandboxConfig::default()
    })
    .await;
    let client = client_for(&sb.base_url(), DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET);
    let created = client
        .create("patrol", &request("Flat", 60 * 24))
        .await
        .expect("created");
    assert!(uuid::Uuid::parse_str(&created.id).is_ok(), "{}", created.id);
    assert_eq!(created.next_occurrence, None, "the flat shape gives none");
    assert_eq!(
        client.cancel(&created.id).await,
        Ok(CancelOutcome::Cancelled)
    );
}

#[tokio::test]
async fn a_cancel_whose_answer_is_lost_is_repeated_safely() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let client = impatient(&sb, 800);
    let created = client
        .create("patrol", &request("Cancel twice", 60 * 24))
        .await
        .expect("created");
    sb.post_control(
        "/_control/faults",
        json!({"operation": "cancel", "mode": "drop"}),
    )
    .await;
    let err = client.cancel(&created.id).await.expect_err("dropped");
    assert!(matches!(err, AuraError::OutcomeUnknown(_)), "{err:?}");
    assert_eq!(
        client.cancel(&created.id).await,
        Ok(CancelOutcome::AlreadyCancelled),
        "the repeat finds it cancelled"
    );
}
