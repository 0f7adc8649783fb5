//! Webhooks end to end against a real HTTP receiver (`webhook_receiver.py`) that verifies every
//! request with the Standard Webhooks reference library from PyPI: one event per change of state
//! whichever door it came through, each delivered at least once under one `webhook-id` through a
//! slow receiver, 500s and dropped connections; the delivery log, replay and secret rotation.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use backend::aura::wire::ServiceCatalog;
use domain::api::{Booking, DeliveryList, DeliveryStatus, HookPayload};
use domain::model::SyncStatus;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::sandbox::SandboxConfig;

use crate::api::{Api, key_for, patrol};
use crate::common::tempdir::TempDir;
use crate::common::{
    book_as, cancel_as, draft_at, local_in, london_site, raw, start_dashboard, start_sandbox,
};

/// One request as the receiver got it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Got {
    pub name: String,
    pub id: Option<String>,
    pub signature: Option<String>,
    pub body: String,
    pub verified: bool,
    pub error: Option<String>,
    pub answer: Value,
}

impl Got {
    pub fn payload(&self) -> HookPayload {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// A real HTTP receiver process.
pub struct Receiver {
    child: std::process::Child,
    pub port: u16,
    dir: TempDir,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        let dir = TempDir::new();
        let child = crate::common::python_server(
            "webhook_receiver.py",
            &[port.to_string().as_ref(), dir.path.as_os_str()],
            "standardwebhooks",
        )
        .await;
        Receiver { child, port, dir }
    }

    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }

    /// Tells the receiver the secret endpoint `name` signs with.
    pub fn trust(&self, name: &str, secret: &str) {
        std::fs::write(self.dir.path.join(format!("{name}.secret")), secret).expect("secret");
    }

    /// Every request so far, in order.
    pub fn got(&self) -> Vec<Got> {
        let mut files: Vec<_> = std::fs::read_dir(&self.dir.path)
            .expect("folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| {
                serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json")
            })
            .collect()
    }

    pub fn got_by(&self, name: &str) -> Vec<Got> {
        self.got().into_iter().filter(|g| g.name == name).collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Adds an endpoint at the receiver's `name` taking `events` (all: empty), and gives the receiver
/// its secret; its number.
async fn endpoint(api: &Api, receiver: &Receiver, name: &str, events: &[&str]) -> i64 {
    let made = api
        .post(
            "/webhooks",
            &json!({"url": receiver.url(name), "events": events}),
            None,
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let secret = made.body["secret"].as_str().expect("the secret, once");
    assert!(secret.starts_with("whsec_"));
    receiver.trust(name, secret);
    let listed = api.get("/webhooks").await.body;
    assert!(
        !listed.to_string().contains(secret),
        "the secret is shown only once"
    );
    made.body["id"].as_i64().expect("id")
}

/// Waits until no delivery is pending.
async fn all_sent(db: &backend::db::Db, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let pending: i64 = raw!(db, |conn, d| sqlx::query_scalar(&d(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'"
        ))
        .fetch_one(conn)
        .await?)
        .expect("count");
        if pending == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{pending} deliveries still pending"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The distinct messages a receiver got at `name`: by webhook-id, every copy.
fn by_id(got: &[Got]) -> BTreeMap<String, Vec<Got>> {
    let mut ids: BTreeMap<String, Vec<Got>> = BTreeMap::new();
    for g in got {
        ids.entry(g.id.clone().expect("a webhook-id"))
            .or_default()
            .push(g.clone());
    }
    ids
}

#[tokio::test]
async fn every_change_reaches_a_verifying_receiver_once_whatever_its_faults() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let receiver = Receiver::start().await;
    let api = Api::new(
        &dash.url(""),
        &key_for(&dash, &dash.a, "read,book,cancel,webhooks").await,
    );
    let all = endpoint(&api, &receiver, "ok-all", &[]).await;
    endpoint(&api, &receiver, "ok-cancelled", &["booking.cancelled"]).await;
    endpoint(&api, &receiver, "fail-confirmed", &["booking.confirmed"]).await;
    endpoint(&api, &receiver, "slow-cancelled", &["booking.cancelled"]).await;
    endpoint(&api, &receiver, "drop-created", &["booking.created"]).await;
    // Customer B's endpoint hears nothing of A's.
    let b_api = Api::new(&dash.url(""), &key_for(&dash, &dash.b, "webhooks").await);
    endpoint(&b_api, &receiver, "ok-b", &[]).await;

    let stop = tokio::sync::watch::channel(false);
    let courier = tokio::spawn(dash.state.courier().expect("courier").run(stop.1.clone()));

    let site = london_site(&dash).await;
    let at = local_in("Europe/London", 24 * 60);
    // Through the API, through the page, and refused by AURA; then one cancelled on the page.
    let by_api: Booking = api
        .post("/bookings", &patrol("API patrol", site, &at), None)
        .await
        .json();
    let by_page = book_as(
        &dash.http,
        &dash.url(""),
        &draft_at("page-1", "Page patrol", site, &at.date, &at.time),
    )
    .await
    .expect("booked");
    sb.post_control(
        "/_control/faults",
        json!({"operation": "create", "status": 400, "count": 1}),
    )
    .await;
    let refused: Booking = api
        .post("/bookings", &patrol("Refused patrol", site, &at), None)
        .await
        .json();
    assert_eq!(refused.status, SyncStatus::Rejected);
    cancel_as(
        &dash.http,
        &dash.url(""),
        by_page.booking_id,
        "No longer needed",
        &[],
    )
    .await
    .expect("cancelled");

    all_sent(&dash.state.db, Duration::from_secs(120)).await;
    let got = receiver.got();
    for g in &got {
        assert!(g.verified, "{} failed verification: {:?}", g.name, g.error);
    }
    // Every copy of a message is the same message.
    for (id, copies) in by_id(&got) {
        assert!(
            copies.iter().all(|c| c.body == copies[0].body),
            "{id} changed between copies"
        );
        assert_eq!(
            copies[0].payload().data.version.to_string(),
            id.trim_start_matches("msg_")
        );
    }

    // One message per change: three created, two confirmed, one refused, one cancelled.
    let events = |name: &str| -> BTreeSet<(String, i64)> {
        by_id(&receiver.got_by(name))
            .values()
            .map(|copies| {
                let p = copies[0].payload();
                (p.event.key().to_string(), p.data.booking.id)
            })
            .collect()
    };
    let expected: BTreeSet<(String, i64)> = [
        ("booking.created", by_api.id),
        ("booking.confirmed", by_api.id),
        ("booking.created", by_page.booking_id),
        ("booking.confirmed", by_page.booking_id),
        ("booking.created", refused.id),
        ("booking.refused", refused.id),
        ("booking.cancelled", by_page.booking_id),
    ]
    .into_iter()
    .map(|(e, id)| (e.to_string(), id))
    .collect();
    assert_eq!(events("ok-all"), expected);
    assert_eq!(
        by_id(&receiver.got_by("ok-all")).len(),
        7,
        "no message twice"
    );
    assert_eq!(
        events("ok-cancelled"),
        [("booking.cancelled".to_string(), by_page.booking_id)].into()
    );
    assert!(
        receiver.got_by("ok-b").is_empty(),
        "B heard of A's bookings"
    );

    // Faults: each message came again under its id until it was taken.
    for (name, tries) in [
        ("fail-confirmed", 3),
        ("slow-cancelled", 2),
        ("drop-created", 2),
    ] {
        let ids = by_id(&receiver.got_by(name));
        assert!(!ids.is_empty(), "{name} got nothing");
        for (id, copies) in ids {
            assert_eq!(copies.len(), tries, "{name} {id}");
            let answers: Vec<&Value> = copies.iter().map(|c| &c.answer).collect();
            assert_eq!(
                answers.last(),
                Some(&&json!(200)),
                "{name} {id}: {answers:?}"
            );
            assert!(answers[..tries - 1].iter().all(|a| **a != json!(200)));
        }
    }

    // The cause: who, for whom, through which door.
    let ok = receiver.got_by("ok-all");
    let cause_of = |event: &str, booking: i64| {
        ok.iter()
            .map(Got::payload)
            .find(|p| p.event.key() == event && p.data.booking.id == booking)
            .expect("event")
            .data
            .cause
    };
    assert_eq!(cause_of("booking.created", by_api.id).channel.key(), "api");
    assert_eq!(
        cause_of("booking.created", by_page.booking_id)
            .channel
            .key(),
        "page"
    );
    assert_eq!(
        cause_of("booking.confirmed", by_api.id).channel.key(),
        "worker"
    );
    let cancel = cause_of("booking.cancelled", by_page.booking_id);
    assert_eq!(
        (cancel.channel.key(), cancel.by.as_str()),
        ("page", "Ann Customer")
    );
    let confirmed = ok
        .iter()
        .map(Got::payload)
        .find(|p| p.event.key() == "booking.confirmed" && p.data.booking.id == by_api.id)
        .expect("confirmed");
    assert_eq!(confirmed.data.booking.status, SyncStatus::Confirmed);

    // The log says what the receiver answered; a replay sends the same message again.
    let log: DeliveryList = api.get(&format!("/webhooks/{all}/deliveries")).await.json();
    assert_eq!(log.deliveries.len(), 7);
    assert!(
        log.deliveries
            .iter()
            .all(|d| d.status == DeliveryStatus::Delivered && d.last_status == Some(204))
    );
    let first = log.deliveries.last().expect("oldest");
    let replay = api
        .post(
            &format!("/webhooks/{all}/deliveries/{}/replay", first.id),
            &json!({}),
            None,
        )
        .await;
    assert_eq!(replay.status, StatusCode::ACCEPTED);
    all_sent(&dash.state.db, Duration::from_secs(30)).await;
    let again = by_id(&receiver.got_by("ok-all"));
    assert_eq!(again[&first.webhook_id].len(), 2);

    // A rotated secret: both sign for a while, so a receiver with either verifies.
    let rotated = api
        .post(&format!("/webhooks/{all}/rotate"), &json!({}), None)
        .await;
    let new_secret = rotated.body["secret"]
        .as_str()
        .expect("new secret")
        .to_string();
    api.post(
        &format!("/webhooks/{all}/deliveries/{}/replay", first.id),
        &json!({}),
        None,
    )
    .await;
    all_sent(&dash.state.db, Duration::from_secs(30)).await;
    let last = receiver.got_by("ok-all").pop().expect("sent");
    assert!(last.verified, "with the old secret: {:?}", last.error);
    assert_eq!(last.signature.expect("signature").matches("v1,").count(), 2);
    receiver.trust("ok-all", &new_secret);
    api.post(
        &format!("/webhooks/{all}/deliveries/{}/replay", first.id),
        &json!({}),
        None,
    )
    .await;
    all_sent(&dash.state.db, Duration::from_secs(30)).await;
    assert!(
        receiver.got_by("ok-all").pop().expect("sent").verified,
        "with the new secret"
    );

    // Deleted: nothing more goes there.
    let before = receiver.got_by("ok-all").len();
    assert_eq!(
        api.delete(&format!("/webhooks/{all}"), None).await.status,
        StatusCode::NO_CONTENT
    );
    let _: Booking = api
        .post("/bookings", &patrol("After delete", site, &at), None)
        .await
        .json();
    all_sent(&dash.state.db, Duration::from_secs(30)).await;
    assert_eq!(receiver.got_by("ok-all").len(), before);
    stop.0.send(true).expect("stop");
    courier.await.expect("courier");
}

#[tokio::test]
async fn webhooks_never_go_to_private_addresses_unless_allowed() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let receiver = Receiver::start().await;
    // This process allows them (the tests' receiver is on loopback); one that does not:
    let strict = backend::AppState {
        api: std::sync::Arc::new(backend::api::ApiConfig::new(600, false)),
        ..dash.state.clone()
    };
    let addr = crate::common::serve(
        server::web::router(strict.clone(), crate::common::site_options(), None).expect("router"),
    )
    .await;
    let api = Api::new(
        &format!("http://{addr}"),
        &key_for(&dash, &dash.a, "read,book,webhooks").await,
    );
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://192.168.1.20/",
    ] {
        let refused = api.post("/webhooks", &json!({"url": url}), None).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert_eq!(refused.fields(), ["url"]);
    }
    // A name that resolves to loopback is refused when sending (after DNS, on every attempt):
    // added through the permissive process, sent by a strict worker.
    let lenient = Api::new(&dash.url(""), &api.key);
    let name = format!("ok-private-{}", receiver.port);
    let made = lenient
        .post(
            "/webhooks",
            &json!({"url": format!("http://localhost.:{}/{name}", receiver.port)}),
            None,
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let site = london_site(&dash).await;
    let at = local_in("Europe/London", 24 * 60);
    let _: Booking = api
        .post("/bookings", &patrol("Private", site, &at), None)
        .await
        .json();
    let courier = strict.courier().expect("courier");
    let sent = courier.send_batch(None, 10).await.expect("send");
    assert!(!sent.is_empty());
    assert!(
        sent.iter()
            .all(|(_, s)| *s == backend::webhooks::Sent::Retry)
    );
    assert!(
        receiver.got().is_empty(),
        "a strict worker sent to loopback"
    );
    let log = raw!(&dash.state.db, |conn, d| sqlx::query_scalar::<_, String>(
        &d("SELECT last_answer FROM webhook_deliveries")
    )
    .fetch_all(conn)
    .await?)
    .expect("log");
    assert!(
        log.iter()
            .all(|a| a.contains("loopback, private or link-local")),
        "{log:?}"
    );
}
