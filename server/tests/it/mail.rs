//! Telling people, end to end, against a real SMTP server (`smtp_sink.py`, aiosmtpd from PyPI,
//! which `scripts/test` installs): every event mails the right people and no one else, escaped,
//! with zones and unsubscribe headers; one-click unsubscribe; the SMTP server down for a while
//! delays mail and loses none; a permanent refusal is recorded, not retried; an interrupted send
//! goes out again under the same Message-ID; the morning digest; AURA unreachable; password
//! reset by mail.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::api::bookings::{LoadAttention, LoadCalendar};
use app::api::notices::{Acknowledge, ForgotPassword, LoadInbox, MarkRead, ResetPasswordByMail};
use backend::aura::wire::ServiceCatalog;
use backend::db::{self, Lease, MailStatus};
use backend::mail::{Delivered, MailConfig, Postman, Transport, plan_digests};
use backend::outbox::{Clock, SendPolicy};
use chrono::{DateTime, Utc};
use domain::model::{AttentionView, InboxView, Role, SyncStatus};
use leptos::server_fn::ServerFn;
use serde_json::json;
use server::sandbox::SandboxConfig;

use crate::common::{
    Dashboard, RunningSandbox, add_user, book_as, decode, draft, london_site, raw,
    start_dashboard_with, start_sandbox, tempdir::TempDir,
};

/// One message as the SMTP server received it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Received {
    pub rcpt_tos: Vec<String>,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub html: String,
    pub multipart: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn to(&self) -> &str {
        self.rcpt_tos.first().map(String::as_str).unwrap_or("")
    }
}

/// A real SMTP server process, writing what it receives to a folder.
pub struct SmtpSink {
    child: Option<std::process::Child>,
    pub port: u16,
    dir: TempDir,
    /// How long each message waits for its answer, in milliseconds.
    pub delay_ms: u64,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("address")
        .port()
}

impl SmtpSink {
    /// A port nothing listens on yet (the server "down"); `start` brings it up there.
    pub fn down() -> SmtpSink {
        SmtpSink {
            child: None,
            port: free_port(),
            dir: TempDir::new(),
            delay_ms: 0,
        }
    }

    pub async fn started() -> SmtpSink {
        let mut sink = SmtpSink::down();
        sink.start().await;
        sink
    }

    pub async fn start(&mut self) {
        let child = crate::common::python_server(
            "smtp_sink.py",
            &[
                self.port.to_string().as_ref(),
                self.dir.path.as_os_str(),
                self.delay_ms.to_string().as_ref(),
            ],
            "aiosmtpd",
        )
        .await;
        self.child = Some(child);
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Every message received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        let mut files: Vec<_> = std::fs::read_dir(&self.dir.path)
            .expect("sink folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| {
                serde_json::from_str(&std::fs::read_to_string(p).expect("message"))
                    .expect("message json")
            })
            .collect()
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A clock the test sets.
pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    pub fn at(now: DateTime<Utc>) -> Arc<TestClock> {
        Arc::new(TestClock(Mutex::new(now)))
    }

    pub fn set(&self, now: DateTime<Utc>) {
        *self.0.lock().expect("clock") = now;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}

fn postman<C: Clock>(dash: &Dashboard, sink: &SmtpSink, clock: Arc<C>) -> Postman<C> {
    postman_on(dash.state.db.clone(), dash.url(""), sink, clock)
}

fn postman_on<C: Clock>(
    db: db::Db,
    public_url: String,
    sink: &SmtpSink,
    clock: Arc<C>,
) -> Postman<C> {
    Postman::new(
        db,
        Arc::new(MailConfig {
            from: "AURA dashboard <dashboard@example.test>"
                .parse()
                .expect("sender"),
            public_url,
            transport: Transport::smtp(&sink.url(), Duration::from_secs(5)).expect("smtp"),
        }),
        clock,
        SendPolicy::new(
            Duration::from_secs(2),
            Duration::from_millis(100),
            Duration::from_secs(1),
        ),
    )
}

/// Sends every mail due now; what each send came to.
async fn deliver<C: Clock>(p: &Postman<C>) -> Vec<Delivered> {
    let mut out = Vec::new();
    while let Some((_, d)) = p.send_next(None).await.expect("send") {
        out.push(d);
        assert!(out.len() < 500, "mail keeps coming");
    }
    out
}

/// The addresses the messages after the first `seen` went to.
fn new_recipients(sink: &SmtpSink, seen: &mut usize) -> BTreeSet<String> {
    let all = sink.received();
    let new: BTreeSet<String> = all[*seen..].iter().map(|m| m.to().to_string()).collect();
    *seen = all.len();
    new
}

fn set(addresses: &[&str]) -> BTreeSet<String> {
    addresses.iter().map(|a| a.to_string()).collect()
}

async fn setup() -> (RunningSandbox, Dashboard, i64) {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard_with(
        &sb.base_url(),
        ServiceCatalog::default(),
        Duration::from_millis(1000),
    )
    .await;
    let site = london_site(&dash).await;
    (sb, dash, site)
}

async fn fault(sb: &RunningSandbox, f: serde_json::Value) {
    sb.post_control("/_control/faults", f).await;
}

async fn inbox(client: &reqwest::Client, dash: &Dashboard) -> InboxView {
    decode(
        client
            .get(format!("{}?before=", dash.url(LoadInbox::PATH)))
            .send()
            .await
            .expect("inbox"),
    )
    .await
    .expect("inbox view")
}

async fn attention(client: &reqwest::Client, dash: &Dashboard) -> AttentionView {
    decode(
        client
            .get(dash.url(LoadAttention::PATH))
            .send()
            .await
            .expect("attention"),
    )
    .await
    .expect("attention view")
}

#[tokio::test]
async fn every_event_mails_the_right_people_and_no_one_else() {
    let (sb, dash, site) = setup().await;
    let sink = SmtpSink::started().await;
    let p = postman(&dash, &sink, Arc::new(backend::outbox::SystemClock));
    let people = &dash.people;
    let (ann, maya, ada) = (
        people.customer_a.as_str(),
        people.manager_of_a.as_str(),
        people.admin.as_str(),
    );
    let mut seen = 0;

    // AURA refuses a booking: the customer's users and its account managers.
    fault(&sb, json!({"operation": "create", "status": 400})).await;
    let name = "Gate <b>check</b> & \"lock\"";
    let refused = book_as(
        &dash.http,
        &dash.url(""),
        &draft("refused", name, site, 60 * 24),
    )
    .await
    .expect("booked");
    assert_eq!(refused.status, SyncStatus::Rejected);
    deliver(&p).await;
    assert_eq!(new_recipients(&sink, &mut seen), set(&[ann, maya]));
    let all = sink.received();
    let to_ann = all.iter().find(|m| m.to() == ann).expect("ann's mail");
    assert_eq!(to_ann.multipart, "multipart/alternative");
    let subject = to_ann.header("Subject").expect("subject");
    assert!(subject.contains("AURA refused a booking"), "{subject}");
    assert!(subject.contains(name), "{subject}");
    // Escaped in HTML, as typed in text; accessible HTML.
    assert!(
        to_ann
            .html
            .contains("Gate &lt;b&gt;check&lt;&#x2f;b&gt; &amp; &quot;lock&quot;")
            || to_ann
                .html
                .contains("Gate &lt;b&gt;check&lt;/b&gt; &amp; &quot;lock&quot;"),
        "{}",
        to_ann.html
    );
    assert!(!to_ann.html.contains("<b>check"));
    assert!(to_ann.html.contains("<html lang=\"en\">"));
    assert!(to_ann.text.contains(name));
    // Times with their zone: Ann's customer is in London; the window in the site's zone.
    assert!(
        to_ann.text.contains(" GMT") || to_ann.text.contains(" BST"),
        "{}",
        to_ann.text
    );
    let link = format!("{}/bookings/{}", dash.url(""), refused.booking_id);
    assert!(to_ann.text.contains(&link), "{}", to_ann.text);
    // (HTML escaping writes "/" as "&#x2f;", which reads as "/".)
    assert!(
        to_ann
            .html
            .replace("&#x2f;", "/")
            .contains(&format!("href=\"{link}\"")),
        "{}",
        to_ann.html
    );
    // Message-ID from the notice; one-click unsubscribe headers.
    let message_id = to_ann.header("Message-ID").expect("message id");
    assert!(
        message_id.starts_with("<notice-") && message_id.ends_with("@example.test>"),
        "{message_id}"
    );
    let unsubscribe = to_ann.header("List-Unsubscribe").expect("list-unsubscribe");
    assert!(
        unsubscribe.starts_with(&format!("<{}/unsubscribe?u=", dash.url(""))),
        "{unsubscribe}"
    );
    assert_eq!(
        to_ann.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );

    // The customer sees it under Needs attention and in the inbox; it stays on the calendar,
    // marked refused, until acknowledged.
    let list = attention(&dash.http, &dash).await;
    assert!(
        list.items
            .iter()
            .any(|i| i.booking_id == refused.booking_id && i.status == SyncStatus::Rejected),
        "{:?}",
        list.items
    );
    let box_ann = inbox(&dash.http, &dash).await;
    assert_eq!(box_ann.unread, 1);
    assert_eq!(box_ann.items[0].booking_id, Some(refused.booking_id));
    let shown = |cal: domain::model::CalendarView| {
        crate::common::drawn_windows(&cal)
            .iter()
            .any(|o| o.booking_id == refused.booking_id)
    };
    let calendar = |client: reqwest::Client| {
        let url = format!(
            "{}?view=agenda&date={}",
            dash.url(LoadCalendar::PATH),
            crate::common::local_in("Europe/London", 60 * 24).date
        );
        async move {
            decode::<domain::model::CalendarView>(client.get(url).send().await.expect("calendar"))
                .await
                .expect("calendar view")
        }
    };
    assert!(
        shown(calendar(dash.http.clone()).await),
        "refused stays shown"
    );

    // The outcome is unknown: account managers and administrators; the customer is told it is
    // being checked.
    fault(&sb, json!({"operation": "create", "mode": "drop"})).await;
    let dropped = book_as(
        &dash.http,
        &dash.url(""),
        &draft("dropped", "Dropped", site, 60 * 24),
    )
    .await
    .expect("booked");
    assert_eq!(dropped.status, SyncStatus::Unknown);
    deliver(&p).await;
    assert_eq!(new_recipients(&sink, &mut seen), set(&[ann, maya, ada]));
    let all = sink.received();
    let ann_unknown = all[all.len() - 3..]
        .iter()
        .find(|m| m.to() == ann)
        .expect("ann");
    assert!(
        ann_unknown.text.contains("being checked"),
        "{}",
        ann_unknown.text
    );
    let ada_unknown = all[all.len() - 3..]
        .iter()
        .find(|m| m.to() == ada)
        .expect("ada");
    assert!(ada_unknown.text.contains("a person must check"));
    // Ada has no zone of her own and no customer: UTC.
    assert!(ada_unknown.text.contains(" UTC"), "{}", ada_unknown.text);

    // Resolved by Maya: everyone told of it but Maya herself.
    let maya_http = dash.signed_in(maya).await;
    let r = maya_http
        .post(dash.url(app::api::bookings::ResolveBooking::PATH))
        .form(&[
            ("id", dropped.booking_id.to_string()),
            ("held", "false".to_string()),
            ("aura_id", String::new()),
        ])
        .send()
        .await
        .expect("resolve");
    assert!(
        r.status().is_success(),
        "{}",
        r.text().await.unwrap_or_default()
    );
    deliver(&p).await;
    assert_eq!(new_recipients(&sink, &mut seen), set(&[ann, ada]));

    // Booked on the customer's behalf: the customer's users only.
    let mut for_a = draft("behalf", "Booked by Maya", site, 60 * 3);
    for_a.customer_id = Some(dash.a.id);
    let behalf = book_as(&maya_http, &dash.url(""), &for_a)
        .await
        .expect("booked");
    assert_eq!(behalf.status, SyncStatus::Confirmed);
    deliver(&p).await;
    assert_eq!(new_recipients(&sink, &mut seen), set(&[ann]));
    let last = sink.received().pop().expect("mail");
    assert!(last.text.contains("Booked on your behalf"), "{}", last.text);

    // Ann cancels it within a day of its window: a late cancellation, for the account managers.
    crate::common::cancel_as(
        &dash.http,
        &dash.url(""),
        behalf.booking_id,
        "Plans changed",
        &[],
    )
    .await
    .expect("cancel");
    deliver(&p).await;
    assert_eq!(new_recipients(&sink, &mut seen), set(&[maya]));
    let last = sink.received().pop().expect("mail");
    assert!(last.text.contains("A late cancellation"), "{}", last.text);

    // Nothing reached customer B's people; everyone's inbox has what they were mailed.
    let bob = dash.signed_in(&people.customer_b).await;
    assert!(inbox(&bob, &dash).await.items.is_empty());
    let nick = dash.signed_in(&people.manager_of_b).await;
    assert!(inbox(&nick, &dash).await.items.is_empty());
    assert_eq!(inbox(&maya_http, &dash).await.items.len(), 3);

    // Acknowledged: it leaves the calendar and the list of what needs attention.
    let r = dash
        .http
        .post(dash.url(Acknowledge::PATH))
        .form(&[("id", refused.booking_id.to_string())])
        .send()
        .await
        .expect("acknowledge");
    assert!(
        r.status().is_success(),
        "{}",
        r.text().await.unwrap_or_default()
    );
    assert!(
        !attention(&dash.http, &dash)
            .await
            .items
            .iter()
            .any(|i| i.booking_id == refused.booking_id)
    );
    assert!(
        !shown(calendar(dash.http.clone()).await),
        "acknowledged: gone"
    );

    // Mark read: one, then all.
    let before = inbox(&dash.http, &dash).await;
    assert!(before.unread >= 2, "{before:?}");
    let r = dash
        .http
        .post(dash.url(MarkRead::PATH))
        .form(&[("id", ""), ("back", "/inbox")])
        .send()
        .await
        .expect("mark read");
    assert!(r.status().is_success());
    assert_eq!(inbox(&dash.http, &dash).await.unread, 0);
}

#[tokio::test]
async fn a_lapsed_booking_reaches_the_customer_and_its_managers() {
    let (sb, dash, site) = setup().await;
    let sink = SmtpSink::started().await;
    let p = postman(&dash, &sink, Arc::new(backend::outbox::SystemClock));
    fault(&sb, json!({"operation": "create", "status": 503})).await;
    let result = book_as(
        &dash.http,
        &dash.url(""),
        &draft("lapse", "Lapses", site, 60 * 24),
    )
    .await
    .expect("booked");
    assert_eq!(result.status, SyncStatus::NotSent);
    // Its first window now opens in 3 minutes (as in the reliability tests).
    let soon = crate::common::local_at_most("Europe/London", 3);
    raw!(&dash.state.db, |conn, d| sqlx::query(&d(
        "UPDATE bookings SET date_from = ?, first_date = ?, start_time = ?, repeat_type = 'daily',
            days_of_week = '' WHERE id = ?"
    ))
    .bind(db::StoredInstant(
        soon.midnight_utc.parse().expect("rfc3339")
    ))
    .bind(db::StoredDate(soon.date.parse().expect("date")))
    .bind(chrono::NaiveTime::parse_from_str(&soon.time, "%H:%M").expect("time"))
    .bind(result.booking_id)
    .execute(conn)
    .await?
    .rows_affected())
    .expect("shift");
    crate::reliability::settle(&dash).await;
    deliver(&p).await;
    let mut seen = 0;
    assert_eq!(
        new_recipients(&sink, &mut seen),
        set(&[&dash.people.customer_a, &dash.people.manager_of_a])
    );
}

#[tokio::test]
async fn one_click_unsubscribe_stops_that_mail_only() {
    let (sb, dash, site) = setup().await;
    let sink = SmtpSink::started().await;
    let p = postman(&dash, &sink, Arc::new(backend::outbox::SystemClock));
    fault(&sb, json!({"operation": "create", "status": 400})).await;
    book_as(
        &dash.http,
        &dash.url(""),
        &draft("r1", "First", site, 60 * 24),
    )
    .await
    .expect("booked");
    deliver(&p).await;
    let to_ann = sink
        .received()
        .into_iter()
        .find(|m| m.to() == dash.people.customer_a)
        .expect("mail");
    let link = to_ann
        .header("List-Unsubscribe")
        .expect("header")
        .trim_matches(['<', '>'])
        .to_string();

    // An altered link is refused.
    let forged = link.replacen("u=", "u=9", 1);
    let plain = reqwest::Client::new();
    let r = plain
        .post(&forged)
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 400);

    // A mail program's one-click POST: no session, no Origin.
    let r = plain
        .post(&link)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());

    // The page the link opens works signed out too.
    let page = plain.get(&link).send().await.expect("page");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("Unsubscribe"));

    fault(&sb, json!({"operation": "create", "status": 400})).await;
    book_as(
        &dash.http,
        &dash.url(""),
        &draft("r2", "Second", site, 60 * 24),
    )
    .await
    .expect("booked");
    deliver(&p).await;
    let all = sink.received();
    assert_eq!(all.len(), 3, "ann once, maya twice");
    assert_eq!(
        all.iter()
            .filter(|m| m.to() == dash.people.customer_a)
            .count(),
        1
    );
    // The inbox still has both.
    assert_eq!(inbox(&dash.http, &dash).await.items.len(), 2);
}

#[tokio::test]
async fn the_smtp_server_down_for_a_while_delays_mail_and_loses_none() {
    let (sb, dash, site) = setup().await;
    let mut sink = SmtpSink::down();
    fault(&sb, json!({"operation": "create", "status": 400})).await;
    book_as(
        &dash.http,
        &dash.url(""),
        &draft("down", "Down", site, 60 * 24),
    )
    .await
    .expect("booked");
    let clock = TestClock::at(Utc::now());
    let p = postman(&dash, &sink, clock.clone());
    let tried = deliver(&p).await;
    assert_eq!(tried, [Delivered::Retry, Delivered::Retry]);
    let log = db::mail_log(&dash.state.db, None, 10).await.expect("log");
    assert!(
        log.iter()
            .all(|m| m.status == MailStatus::Pending && m.attempts == 1)
    );
    assert!(
        log.iter()
            .all(|m| m.last_answer.as_deref().is_some_and(|a| !a.is_empty())),
        "{log:?}"
    );
    // Not due again yet: nothing is sent, however often the worker looks.
    assert!(deliver(&p).await.is_empty());

    sink.start().await;
    clock.set(Utc::now() + chrono::Duration::minutes(5));
    assert_eq!(deliver(&p).await, [Delivered::Sent, Delivered::Sent]);
    let received = sink.received();
    assert_eq!(received.len(), 2);
    let ids: BTreeSet<_> = received
        .iter()
        .map(|m| m.header("Message-ID").expect("id").to_string())
        .collect();
    let planned: BTreeSet<_> = log
        .iter()
        .map(|m| format!("<{}@example.test>", m.message_id))
        .collect();
    assert_eq!(ids, planned);
    assert!(deliver(&p).await.is_empty(), "sent once");
}

#[tokio::test]
async fn a_permanent_refusal_is_recorded_and_not_retried() {
    let (sb, dash, site) = setup().await;
    let sink = SmtpSink::started().await;
    add_user(
        &dash.state.db,
        "refuse-me@a.example",
        "Rae Refused",
        Role::Customer,
        Some(dash.a.id),
    )
    .await;
    fault(&sb, json!({"operation": "create", "status": 400})).await;
    book_as(
        &dash.http,
        &dash.url(""),
        &draft("perm", "Perm", site, 60 * 24),
    )
    .await
    .expect("booked");
    let clock = TestClock::at(Utc::now());
    let p = postman(&dash, &sink, clock.clone());
    let tried = deliver(&p).await;
    assert_eq!(tried.iter().filter(|d| **d == Delivered::Failed).count(), 1);
    clock.set(Utc::now() + chrono::Duration::hours(2));
    assert!(deliver(&p).await.is_empty(), "not retried");
    let log = db::mail_log(&dash.state.db, None, 10).await.expect("log");
    let failed = log
        .iter()
        .find(|m| m.to_address == "refuse-me@a.example")
        .expect("its mail");
    assert_eq!(failed.status, MailStatus::Failed);
    assert_eq!(failed.attempts, 1);
    assert!(
        failed
            .last_answer
            .as_deref()
            .is_some_and(|a| a.contains("550")),
        "{failed:?}"
    );
    // The others went out.
    assert_eq!(sink.received().len(), 2);
}

#[tokio::test]
async fn a_send_cut_short_goes_out_again_under_the_same_message_id() {
    let (sb, dash, site) = setup().await;
    let sink = SmtpSink::started().await;
    fault(&sb, json!({"operation": "create", "status": 400})).await;
    book_as(
        &dash.http,
        &dash.url(""),
        &draft("cut", "Cut", site, 60 * 24),
    )
    .await
    .expect("booked");
    // A process claims a mail and dies before recording anything.
    let now = Utc::now();
    let claimed = db::claim_mail(
        &dash.state.db,
        Lease {
            owner: "dead-process/1",
            until: now + chrono::Duration::seconds(30),
        },
        now,
        None,
        1,
    )
    .await
    .expect("claim")
    .pop()
    .expect("a mail");
    let clock = TestClock::at(now);
    let p = postman(&dash, &sink, clock.clone());
    // While its lease holds, nobody else sends it.
    assert_eq!(deliver(&p).await, [Delivered::Sent]);
    clock.set(now + chrono::Duration::minutes(1));
    assert_eq!(deliver(&p).await, [Delivered::Sent]);
    let received = sink.received();
    assert_eq!(received.len(), 2);
    assert!(received.iter().any(|m| m.header("Message-ID")
        == Some(format!("<{}@example.test>", claimed.message_id).as_str())));
}

#[tokio::test]
async fn the_morning_digest_goes_out_once_at_seven_in_each_zone_with_something_to_say() {
    let (_sb, dash, site) = setup().await;
    let sink = SmtpSink::started().await;
    // Ann's booking has its first window on `first.date`; the digest of the morning before
    // lists it under "tomorrow".
    let first = crate::common::local_in("Europe/London", 60 * 24);
    let booked = book_as(
        &dash.http,
        &dash.url(""),
        &crate::common::draft_at(
            "tomorrow",
            "Tomorrow's patrol",
            site,
            &first.date,
            &first.time,
        ),
    )
    .await
    .expect("booked");
    assert_eq!(booked.status, SyncStatus::Confirmed);
    let day_before = chrono::NaiveDate::parse_from_str(&first.date, "%Y-%m-%d")
        .expect("date")
        .pred_opt()
        .expect("day");
    let at = |h: u32, m: u32| {
        use chrono::TimeZone;
        chrono_tz::Europe::London
            .from_local_datetime(&day_before.and_hms_opt(h, m, 0).expect("time"))
            .earliest()
            .expect("a time in London")
            .with_timezone(&Utc)
    };
    let clock = TestClock::at(at(6, 50));
    let p = postman(&dash, &sink, clock.clone());
    assert_eq!(
        plan_digests(&p).await.expect("plan").written,
        0,
        "before 07:00 in London"
    );
    clock.set(at(7, 10));
    let planned = plan_digests(&p).await.expect("plan").written;
    assert!(planned >= 1, "{planned}");
    assert_eq!(
        plan_digests(&p).await.expect("plan").written,
        0,
        "once a day"
    );
    deliver(&p).await;
    let received = sink.received();
    let ann = received
        .iter()
        .find(|m| m.to() == dash.people.customer_a)
        .expect("ann's digest");
    assert!(
        ann.header("Subject")
            .expect("subject")
            .contains("morning digest")
    );
    assert!(ann.text.contains("Tomorrow's patrol"), "{}", ann.text);
    assert!(ann.text.contains("(Europe/London)"), "{}", ann.text);
    assert!(ann.header("List-Unsubscribe").is_some());
    // Bob (customer B) has nothing to say: no mail.
    assert!(!received.iter().any(|m| m.to() == dash.people.customer_b));
    let log = db::mail_log(&dash.state.db, None, 50).await.expect("log");
    assert!(
        log.iter()
            .any(|m| m.to_address == dash.people.customer_b && m.status == MailStatus::Skipped)
    );
}

#[tokio::test]
async fn administrators_hear_once_when_aura_is_unreachable_with_bookings_waiting() {
    let (sb, dash, site) = setup().await;
    let sink = SmtpSink::started().await;
    fault(&sb, json!({"operation": "create", "status": 503})).await;
    let r = book_as(
        &dash.http,
        &dash.url(""),
        &draft("waits", "Waits", site, 60 * 24),
    )
    .await
    .expect("booked");
    assert_eq!(r.status, SyncStatus::NotSent);
    let clock = TestClock::at(Utc::now() + chrono::Duration::minutes(14));
    let p = postman(&dash, &sink, clock.clone());
    assert!(!p.check_aura_outage().await.expect("check"), "not yet");
    clock.set(Utc::now() + chrono::Duration::minutes(16));
    assert!(p.check_aura_outage().await.expect("check"));
    assert!(
        !p.check_aura_outage().await.expect("check"),
        "once per outage"
    );
    deliver(&p).await;
    let received = sink.received();
    assert_eq!(
        received.iter().map(|m| m.to()).collect::<Vec<_>>(),
        [dash.people.admin.as_str()]
    );
    assert!(
        received[0]
            .text
            .contains("AURA has not answered for 15 minutes")
    );
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_the_mailed_link() {
    let (_sb, dash, _site) = setup().await;
    let sink = SmtpSink::started().await;
    let p = postman(&dash, &sink, Arc::new(backend::outbox::SystemClock));
    let stranger = dash.anonymous();
    let forgot = |email: &'static str| {
        let stranger = stranger.clone();
        let url = dash.url(ForgotPassword::PATH);
        async move {
            stranger
                .post(url)
                .header("Accept", "text/html")
                .form(&[("email", email)])
                .send()
                .await
                .expect("forgot")
        }
    };
    // The same answer for an address with no account; no mail for it.
    let known = forgot("ann@a.example").await;
    let unknown = forgot("nobody@a.example").await;
    assert_eq!(known.status(), unknown.status());
    assert_eq!(
        known.headers().get("location"),
        unknown.headers().get("location")
    );
    deliver(&p).await;
    let received = sink.received();
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert_eq!(mail.to(), "ann@a.example");
    assert!(mail.header("List-Unsubscribe").is_none());
    let link = mail
        .text
        .split_whitespace()
        .find(|w| w.contains("/reset-password?token="))
        .expect("a link")
        .to_string();
    let token = link.split("token=").nth(1).expect("token").to_string();
    // Only its hash is kept; the mail no longer holds it either.
    let stored = db::mail_log(&dash.state.db, None, 5).await.expect("log");
    assert!(stored.iter().all(|m| m.token.is_none()));

    let page = stranger.get(&link).send().await.expect("page");
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("Set the new password")
    );

    // Ann's open session ends with the reset.
    let before = inbox(&dash.http, &dash).await;
    assert!(before.items.is_empty());
    let new_password = "a completely new passphrase";
    let r = stranger
        .post(dash.url(ResetPasswordByMail::PATH))
        .form(&[
            ("token", token.as_str()),
            ("password", new_password),
            ("repeat", new_password),
        ])
        .send()
        .await
        .expect("reset");
    assert!(
        r.status().is_success(),
        "{}",
        r.text().await.unwrap_or_default()
    );
    let r = dash
        .http
        .get(format!("{}?before=", dash.url(LoadInbox::PATH)))
        .send()
        .await
        .expect("old session");
    assert_eq!(r.status(), 401);
    // The new password signs in; the link works once.
    let again = dash.anonymous();
    let r = again
        .post(dash.url(app::api::accounts::SignIn::PATH))
        .form(&[
            ("email", "ann@a.example"),
            ("password", new_password),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("sign in");
    assert!(r.status().is_success(), "{}", r.status());
    let r = stranger
        .post(dash.url(ResetPasswordByMail::PATH))
        .form(&[
            ("token", token.as_str()),
            ("password", "yet another passphrase!"),
            ("repeat", "yet another passphrase!"),
        ])
        .send()
        .await
        .expect("reset again");
    assert_eq!(r.status(), 400);
}

/// Several processes' mail workers on one database: each mail goes out once.
#[tokio::test]
async fn two_workers_send_each_mail_once() {
    let (sb, dash, site) = setup().await;
    let sink = SmtpSink::started().await;
    fault(
        &sb,
        json!({"operation": "create", "status": 400, "count": 10}),
    )
    .await;
    for i in 0..10 {
        book_as(
            &dash.http,
            &dash.url(""),
            &draft(&format!("twice-{i}"), "Twice", site, 60 * 24),
        )
        .await
        .expect("booked");
    }
    // A second process: its own pool on the same database.
    let other = db::connect(&dash.database_url())
        .await
        .expect("second pool");
    let (p1, p2) = (
        postman(&dash, &sink, Arc::new(backend::outbox::SystemClock)),
        postman_on(
            other,
            dash.url(""),
            &sink,
            Arc::new(backend::outbox::SystemClock),
        ),
    );
    let (a, b) = tokio::join!(deliver(&p1), deliver(&p2));
    assert_eq!(a.len() + b.len(), 20, "{a:?} {b:?}");
    let received = sink.received();
    assert_eq!(received.len(), 20);
    let ids: BTreeSet<_> = received
        .iter()
        .map(|m| m.header("Message-ID").expect("id").to_string())
        .collect();
    assert_eq!(ids.len(), 20);
}

/// Reset links are throttled per address typed (and per source, and overall), whether or not the
/// address has an account: the form can neither flood a mailbox nor tell who has an account.
#[tokio::test]
async fn reset_requests_are_throttled_per_address_the_same_for_strangers() {
    let (_sb, dash, _site) = setup().await;
    let stranger = dash.anonymous();
    for email in ["ann@a.example", "nobody@a.example"] {
        let mut statuses = Vec::new();
        for _ in 0..backend::throttle::RESETS_PER_ACCOUNT + 1 {
            let r = stranger
                .post(dash.url(ForgotPassword::PATH))
                .form(&[("email", email)])
                .send()
                .await
                .expect("forgot");
            statuses.push((r.status().as_u16(), r.headers().contains_key("retry-after")));
        }
        let mut expected = vec![(200, false); backend::throttle::RESETS_PER_ACCOUNT];
        expected.push((429, true));
        assert_eq!(statuses, expected, "{email}");
    }
    // Only the account's first three wrote mail.
    let written = db::mail_log(&dash.state.db, None, 50).await.expect("log");
    assert_eq!(written.len(), backend::throttle::RESETS_PER_ACCOUNT);
    assert!(written.iter().all(|m| m.to_address == "ann@a.example"));
}

/// Who may do what with notices: the inbox and its marks are one's own; acknowledging needs the
/// booking in reach; the delivery log is for administrators.
#[tokio::test]
async fn notices_are_each_persons_own_and_the_delivery_log_is_for_administrators() {
    use app::api::notices::LoadDeliveryLog;
    let (sb, dash, site) = setup().await;
    fault(&sb, json!({"operation": "create", "status": 400})).await;
    let refused = book_as(
        &dash.http,
        &dash.url(""),
        &draft("own", "Own", site, 60 * 24),
    )
    .await
    .expect("booked");
    let stranger = dash.anonymous();
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(
        status(
            stranger
                .get(format!("{}?before=", dash.url(LoadInbox::PATH)))
                .send()
                .await
                .expect("get")
        ),
        401
    );
    let acknowledge = |client: reqwest::Client| {
        let url = dash.url(Acknowledge::PATH);
        async move {
            client
                .post(url)
                .form(&[("id", refused.booking_id.to_string())])
                .send()
                .await
                .expect("post")
                .status()
                .as_u16()
        }
    };
    assert_eq!(acknowledge(stranger.clone()).await, 401);
    let bob = dash.signed_in(&dash.people.customer_b).await;
    assert_eq!(acknowledge(bob.clone()).await, 404, "not in Bob's reach");
    let nick = dash.signed_in(&dash.people.manager_of_b).await;
    assert_eq!(acknowledge(nick.clone()).await, 404, "not in Nick's reach");
    // Bob marking "all" read touches only his own (he has none); Ann's stay unread.
    let r = bob
        .post(dash.url(MarkRead::PATH))
        .form(&[("id", ""), ("back", "/inbox")])
        .send()
        .await
        .expect("mark");
    assert!(r.status().is_success());
    assert_eq!(inbox(&dash.http, &dash).await.unread, 1);
    // Marking Ann's notice by its id as Bob changes nothing either.
    let id = inbox(&dash.http, &dash).await.items[0].id.to_string();
    bob.post(dash.url(MarkRead::PATH))
        .form(&[("id", id.as_str()), ("back", "/inbox")])
        .send()
        .await
        .expect("mark");
    assert_eq!(inbox(&dash.http, &dash).await.unread, 1);
    let log = |client: reqwest::Client| {
        let url = format!("{}?before=", dash.url(LoadDeliveryLog::PATH));
        async move { client.get(url).send().await.expect("log").status().as_u16() }
    };
    assert_eq!(log(dash.http.clone()).await, 403);
    assert_eq!(
        log(dash.signed_in(&dash.people.manager_of_a).await).await,
        403
    );
    assert_eq!(log(dash.signed_in(&dash.people.admin).await).await, 200);
    // The catcher holds everyone's mail, reset links included: administrators only.
    let caught = |client: reqwest::Client| {
        let url = dash.url(app::api::notices::LoadMailCatcher::PATH);
        async move {
            client
                .get(url)
                .send()
                .await
                .expect("caught")
                .status()
                .as_u16()
        }
    };
    assert_eq!(caught(stranger.clone()).await, 401);
    assert_eq!(caught(dash.http.clone()).await, 403);
    assert_eq!(caught(dash.signed_in(&dash.people.admin).await).await, 200);
    // A caught mail's HTML: signed out, sent to sign in; a customer is refused.
    let html = stranger
        .get(dash.url("/mail/1/html"))
        .send()
        .await
        .expect("html");
    assert_eq!(html.status().as_u16(), 303);
    let html = dash
        .http
        .get(dash.url("/mail/1/html"))
        .send()
        .await
        .expect("html");
    assert_eq!(html.status().as_u16(), 403);
    assert_eq!(acknowledge(dash.http.clone()).await, 200);
    assert_eq!(acknowledge(dash.http.clone()).await, 409, "once");
}
