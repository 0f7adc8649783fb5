use super::*;
use domain::ServiceType;

#[test]
fn token_response_accepts_both_casings() {
    let camel: TokenResponse =
        serde_json::from_str(r#"{"accessToken":"a","tokenType":"Bearer","expiresIn":3600}"#)
            .expect("camel");
    let snake: TokenResponse =
        serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer","expires_in":3600}"#)
            .expect("snake");
    assert_eq!(
        (camel.access_token, camel.expires_in),
        (snake.access_token, snake.expires_in)
    );
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let r = TokenRequest {
        client_id: "id".into(),
        client_secret: "hunter2".into(),
    };
    assert!(!format!("{r:?}").contains("hunter2"));
    let t = TokenResponse {
        access_token: "jwt-secret".into(),
        token_type: None,
        expires_in: 1,
    };
    assert!(!format!("{t:?}").contains("jwt-secret"));
}

#[test]
fn a_create_answer_confirms_in_either_documented_shape() {
    let envelope = br#"{"message":"Scheduled request created.","scheduledRequest":{"id":"sr_1",
        "serviceType":"patrol","customerId":1,"status":"scheduled",
        "nextOccurrence":"2026-12-01T22:00:00Z"}}"#;
    let created = read_created(envelope).expect("envelope");
    assert_eq!(created.id, "sr_1");
    assert_eq!(
        created.next_occurrence,
        Some(Some("2026-12-01T22:00:00Z".parse().expect("time")))
    );
    let flat = br#"{"id":"0b6f4c1e-6d0e-4a5b-9c55-1a2b3c4d5e6f","status":"scheduled"}"#;
    let created = read_created(flat).expect("flat");
    assert_eq!(created.id, "0b6f4c1e-6d0e-4a5b-9c55-1a2b3c4d5e6f");
    assert_eq!(created.next_occurrence, None, "not given: ours to compute");
    let number = br#"{"id": 178921, "status": "scheduled"}"#;
    assert_eq!(read_created(number).expect("number").id, "178921");
    let none_left = br#"{"id":"x","status":"scheduled","nextOccurrence":null}"#;
    assert_eq!(
        read_created(none_left).expect("null").next_occurrence,
        Some(None)
    );
    let no_status = br#"{"scheduledRequest":{"id":"x"}}"#;
    assert!(read_created(no_status).is_ok());
}

#[test]
fn an_answer_that_names_no_scheduled_request_is_not_a_confirmation() {
    for body in [
        &b"<html>502</html>"[..],
        b"",
        b"{}",
        br#"{"message":"ok"}"#,
        br#"{"id":""}"#,
        br#"{"id":null,"status":"scheduled"}"#,
        br#"{"id":true}"#,
        br#"{"id":"x","status":"cancelled"}"#,
        br#"{"id":"x","nextOccurrence":"tomorrow"}"#,
        br#"{"id":"a
b"}"#,
    ] {
        assert!(
            read_created(body).is_err(),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    let long = format!(r#"{{"id":"{}"}}"#, "x".repeat(201));
    assert!(read_created(long.as_bytes()).is_err());
}

#[test]
fn a_cancel_answer_must_say_cancelled() {
    assert!(read_cancelled(br#"{"id":"x","status":"cancelled"}"#).is_ok());
    assert!(read_cancelled(br#"{"scheduledRequest":{"id":"x","status":"cancelled"}}"#).is_ok());
    assert!(read_cancelled(br#"{"id":"x","status":"scheduled"}"#).is_err());
    assert!(read_cancelled(br#"{"id":"x"}"#).is_err());
    assert!(read_cancelled(b"not json").is_err());
}

#[test]
fn paths_keep_service_type_and_id_apart_and_encoded() {
    assert_eq!(create_path("guarding"), "/scheduled/guarding");
    assert_eq!(cancel_path("a/b c"), "/scheduled/a%2Fb%20c");
}

#[test]
fn error_body_prefers_message_then_error() {
    let e: ErrorBody = serde_json::from_str(r#"{"error":"nope"}"#).expect("json");
    assert_eq!(e.text(), Some("nope"));
    let e: ErrorBody = serde_json::from_str(r#"{"message":"bad","error":"nope"}"#).expect("json");
    assert_eq!(e.text(), Some("bad"));
}

#[test]
fn catalog_parses_families_and_slugs() {
    let c = ServiceCatalog::parse("patrol, guarding=guarding-v2").expect("valid");
    assert_eq!(
        c.enabled(),
        vec![ServiceType::Patrol, ServiceType::Guarding]
    );
    assert_eq!(c.slug(ServiceType::Guarding), Some("guarding-v2"));
    assert_eq!(c.by_slug("patrol"), Some(ServiceType::Patrol));
    assert_eq!(c.slug(ServiceType::Escort), None);
    assert!(ServiceCatalog::parse("patrol,patrol").is_err());
    assert!(ServiceCatalog::parse("rocket").is_err());
    assert!(ServiceCatalog::parse("patrol=a/b").is_err());
    assert!(ServiceCatalog::parse("").is_err());
}
