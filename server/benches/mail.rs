//! Mail at scale, against a real SMTP server (aiosmtpd, `server/tests/it/smtp_sink.py`):
//! 1. the morning digest for 1,000 people over 1,000 bookings: planning, composing and handing all
//!    of it to SMTP (aim: under 60 s on two cores);
//! 2. from an event to its mail handed to SMTP, with the mail worker running as it does in
//!    `server serve` (aim: 95 % within 60 s of the event).
//!
//! Run by `bench/mail` (which installs aiosmtpd and sets `AURA_TEST_PYTHON`):
//! `cargo bench -p server --bench mail -- [PEOPLE] [BOOKINGS] [EVENTS]`.

use std::io::BufRead;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backend::db::{self, Actor, CustomerFacts, Db, NewBooking, NewUser};
use backend::mail::{MailConfig, Postman, Transport, plan_digests};
use backend::outbox::{Clock, SendPolicy, SystemClock};
use backend::zone::Zone;
use chrono::{DateTime, Duration as Span, NaiveDate, NaiveTime, Utc};
use domain::model::{EventKind, Role};
use domain::{ArmedPreference, Contact, Location, Repeat, Schedule, ServiceType};

struct SetClock(Mutex<DateTime<Utc>>);

impl Clock for SetClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}

fn arg(n: usize, default: usize) -> usize {
    std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn at_local(zone: &Zone, day: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    domain::resolve_local(zone.tz(), day.and_hms_opt(h, m, 0).expect("time")).0
}

/// The SMTP server, as the mail tests run it; the number of messages it took so far.
struct Sink {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Sink {
    fn start(dir: std::path::PathBuf) -> Sink {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        let python = std::env::var("AURA_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let mut child = std::process::Command::new(&python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/it/smtp_sink.py"
            ))
            .arg(port.to_string())
            .arg(&dir)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the SMTP server (bench/mail installs aiosmtpd)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("ready");
        assert_eq!(line.trim(), "ready");
        Sink { child, port, dir }
    }

    fn taken(&self) -> usize {
        std::fs::read_dir(&self.dir)
            .map(|d| {
                d.filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "json"))
                })
                .count()
            })
            .unwrap_or(0)
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::main]
async fn main() {
    let people = arg(0, 1000);
    let bookings = arg(1, 1000);
    let events = arg(2, 100);
    let dir = std::env::temp_dir().join(format!("mail-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let sink = Sink::start(dir.join("received"));
    let database = format!("sqlite://{}", dir.join("bench.db").display());
    let db = db::connect(&database).await.expect("database");
    let now = Utc::now();
    let london: Zone = "Europe/London".parse().expect("zone");
    let new_york: Zone = "America/New_York".parse().expect("zone");

    // 20 customers (London and New York by turns); 2 % administrators, 3 % account managers
    // looking after 2 customers each, the rest customer users spread over the customers.
    let mut customers = Vec::new();
    for c in 0..20 {
        let zone = if c % 2 == 0 { london } else { new_york };
        let row = db::insert_customer(
            &db,
            &CustomerFacts {
                name: format!("Customer {c}"),
                aura_customer_id: 9000 + c,
                default_timezone: zone,
            },
            now,
        )
        .await
        .expect("customer");
        customers.push((row.id, zone));
    }
    let hash = backend::auth::hash_password("bench password, long".into())
        .await
        .expect("hash");
    let admins = (people / 50).max(1);
    let managers = (people * 3 / 100).max(1);
    for i in 0..people {
        let (role, customer) = if i < admins {
            (Role::Admin, None)
        } else if i < admins + managers {
            (Role::AccountManager, None)
        } else {
            (Role::Customer, Some(customers[i % customers.len()].0))
        };
        let id = db::insert_user(
            &db,
            &NewUser {
                email: &format!("person{i}@bench.example"),
                name: &format!("Person {i}"),
                password_hash: &hash,
                role,
                customer_id: customer,
            },
            now,
        )
        .await
        .expect("user");
        if role == Role::AccountManager {
            for k in 0..2 {
                db::assign_customer(&db, id, customers[(i + k) % customers.len()].0)
                    .await
                    .expect("assign");
            }
        }
    }
    // Bookings: daily for a month from yesterday, each at its customer's zone, start times spread.
    let mut ids = Vec::new();
    for b in 0..bookings {
        let (customer_id, zone) = customers[b % customers.len()];
        let today = now.with_timezone(zone.tz()).date_naive();
        let (first, last) = (today - Span::days(1), today + Span::days(30));
        let span = domain::local_date_span(zone.tz(), first, last);
        let start = NaiveTime::from_hms_opt(u32::try_from(b % 24).unwrap_or(0), 0, 0).expect("t");
        let id = db::insert_booking(
            &db,
            &NewBooking {
                customer_id,
                site_id: None,
                idempotency_key: format!("bench-{b}"),
                service_type: ServiceType::Patrol,
                name: format!("Patrol {b} <night> & \"gate\""),
                special_instructions: None,
                number_of_guards: 1,
                armed_preference: ArmedPreference::NoPreference,
                contacts: vec![Contact {
                    name: "Desk".into(),
                    mobile: "+447700900123".into(),
                }],
                location: Location {
                    address: Some(format!("{b} Bench Street")),
                    coordinates: None,
                },
                zone,
                first_date: first,
                last_date: last,
                schedule: Schedule {
                    date_from: span.0,
                    date_to: span.1,
                    repeat: Repeat::Daily,
                    start_time: start,
                    window_minutes: 60,
                },
                created_by_user_id: None,
                pair_role: None,
            },
            now,
        )
        .await
        .expect("booking");
        let (db::Inserted::New(id) | db::Inserted::Existing(id)) = id;
        ids.push((id, customer_id));
    }
    if let Db::Sqlite(pool) = &db {
        sqlx::query("UPDATE bookings SET status = 'confirmed', aura_id = 'aura-' || id")
            .execute(pool)
            .await
            .expect("confirm");
    }
    let config = Arc::new(MailConfig {
        from: "Bench <bench@bench.example>".parse().expect("from"),
        public_url: "https://dash.bench.example".into(),
        transport: Transport::smtp(
            &format!("smtp://127.0.0.1:{}", sink.port),
            Duration::from_secs(30),
        )
        .expect("smtp"),
    });
    let policy = SendPolicy::new(
        Duration::from_secs(10),
        Duration::from_secs(1),
        Duration::from_secs(10),
    );

    // 1. The digest: 07:05 in London, then 07:05 in New York, tomorrow morning.
    let day = now.with_timezone(london.tz()).date_naive() + Span::days(1);
    let clock = Arc::new(SetClock(Mutex::new(at_local(&london, day, 7, 5))));
    let postman = Postman::new(db.clone(), config.clone(), clock.clone(), policy.clone());
    let started = Instant::now();
    let mut planned = 0;
    let (_keep, running) = tokio::sync::watch::channel(false);
    for moment in [at_local(&london, day, 7, 5), at_local(&new_york, day, 7, 5)] {
        *clock.0.lock().expect("clock") = moment;
        planned += plan_digests(&postman).await.expect("plan").written;
        postman.drain(&running).await.expect("drain");
    }
    let digest_time = started.elapsed();
    let Db::Sqlite(pool) = &db else {
        unreachable!("the bench runs on SQLite")
    };
    let count = |status: &'static str| async move {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'digest' AND status = ?",
        )
        .bind(status)
        .fetch_one(pool)
        .await
        .expect("count") as usize
    };
    let (sent, skipped) = (count("sent").await, count("skipped").await);
    assert_eq!(sent + skipped, planned, "every digest handled");
    println!(
        "digest: {people} people, {bookings} bookings: {planned} planned, {sent} handed to SMTP, {skipped} with nothing to say, in {:.1} s ({:.1} ms per person)",
        digest_time.as_secs_f64(),
        digest_time.as_secs_f64() * 1000.0 / planned.max(1) as f64
    );
    assert_eq!(sink.taken(), sent, "the SMTP server took every digest");

    // 2. Event to mail: the worker runs as in `server serve` (real clock, 2 s poll); refusals
    // are written ten a second, each reaching its customer's users and account managers.
    let worker = Postman::new(db.clone(), config, Arc::new(SystemClock), policy);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker.run(stop_rx));
    let before = sink.taken();
    let events_started = Instant::now();
    for e in 0..events {
        let (id, _) = ids[e % ids.len()];
        let mut tx = db.begin().await.expect("tx");
        db::add_event(
            &mut tx,
            id,
            Utc::now(),
            EventKind::Rejected,
            &Actor::system("AURA"),
            "Refused by the bench",
        )
        .await
        .expect("event");
        tx.commit().await.expect("commit");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let expected: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox WHERE kind = 'notice'")
            .fetch_one(pool)
            .await
            .expect("count");
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'notice' AND status = 'pending'",
        )
        .fetch_one(pool)
        .await
        .expect("count");
        if pending == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = stop_tx.send(true);
    let _ = running.await;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.created_at, m.sent_at FROM mail_outbox m WHERE m.kind = 'notice' AND m.status = 'sent'",
    )
    .fetch_all(pool)
    .await
    .expect("rows");
    let mut waits: Vec<f64> = rows
        .iter()
        .filter_map(|(created, sent)| {
            let parse = |t: &str| {
                DateTime::parse_from_rfc3339(t)
                    .or_else(|_| DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f%:z"))
                    .ok()
            };
            Some((parse(sent)? - parse(created)?).num_milliseconds() as f64 / 1000.0)
        })
        .collect();
    waits.sort_by(f64::total_cmp);
    let pct = |p: f64| waits[((waits.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "event to mail: {events} events over {:.0} s, {} mails ({expected} written, {} taken by the SMTP server): median {:.1} s, 95th percentile {:.1} s, max {:.1} s",
        events_started.elapsed().as_secs_f64(),
        waits.len(),
        sink.taken() - before,
        pct(0.5),
        pct(0.95),
        pct(1.0)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
