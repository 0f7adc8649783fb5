//! Shared test support: real sockets on ephemeral ports, the sandbox, and a whole dashboard.

use backend::db::Db;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use backend::AppState;
use backend::aura::secret::Secret;
use backend::aura::wire::ServiceCatalog;
use backend::aura::{AuraClient, AuraConfig};
use backend::db::{self, CustomerRow};
use backend::outbox::{Outbox, SendPolicy};
use backend::state::SecurityConfig;
use backend::throttle::SignInLimiter;
use chrono::Datelike;
use domain::error::AppError;
use domain::model::{BookingFormData, BookingStart, Role};
use domain::{ArmedPreference, BookingDraft, ContactDraft, RepeatKind, ServiceType};
use leptos::config::LeptosOptions;
use serde::de::DeserializeOwned;
use server::sandbox::{ControlSnapshot, Sandbox, SandboxConfig};
use server::web;

/// Leptos's options for a dashboard under test (no built browser files are served).
pub fn site_options() -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("aura-dashboard")
        .build()
}

/// The booking form, if the page offers one (a customer is chosen).
pub fn ready(start: BookingStart) -> Option<BookingFormData> {
    match start {
        BookingStart::Ready(form) => Some(*form),
        BookingStart::ChooseCustomer(_) => None,
    }
}

/// Serves `router` on 127.0.0.1 at a free port until the test process ends.
pub async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        server::listen::serve(
            listener,
            router,
            server::listen::ConnectionLimits::default(),
            std::future::pending(),
        )
        .await
        .expect("serve")
    });
    addr
}

pub struct RunningSandbox {
    pub sandbox: Sandbox,
    pub addr: SocketAddr,
}

impl RunningSandbox {
    pub fn base_url(&self) -> String {
        format!("http://{}/panic-api/v2", self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn control(&self) -> ControlSnapshot {
        reqwest::get(self.url("/_control/requests"))
            .await
            .expect("control")
            .json()
            .await
            .expect("json")
    }

    pub async fn post_control(&self, path: &str, body: serde_json::Value) {
        let r = reqwest::Client::new()
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("control");
        assert!(
            r.status().is_success(),
            "control call {path} failed: {}",
            r.status()
        );
    }
}

pub async fn start_sandbox(config: SandboxConfig) -> RunningSandbox {
    let sandbox = Sandbox::new(config);
    let addr = serve(server::sandbox::router(sandbox.clone())).await;
    RunningSandbox { sandbox, addr }
}

pub fn client_for(base_url: &str, client_id: &str, secret: &str) -> AuraClient {
    AuraClient::new(AuraConfig {
        base_url: base_url.to_string(),
        client_id: client_id.to_string(),
        client_secret: Secret::new(secret),
        timeout: Duration::from_secs(5),
    })
    .expect("client")
}

/// The password of every test account.
pub const PASSWORD: &str = "correct horse battery staple";

/// One account of every kind the security tests need. Customer A is Northwind Estates, customer B
/// Harbourside Lofts (the demo customers).
pub struct People {
    pub customer_a: String,
    pub customer_b: String,
    pub manager_of_a: String,
    pub manager_of_b: String,
    pub admin: String,
}

/// A whole dashboard (pages, server functions) on a throwaway database, talking to `aura_base_url`.
pub struct Dashboard {
    pub addr: SocketAddr,
    pub state: AppState,
    /// Signed in as customer A's user.
    pub http: reqwest::Client,
    pub a: CustomerRow,
    pub b: CustomerRow,
    pub people: People,
    database_url: String,
    _dir: tempdir::TempDir,
}

impl Dashboard {
    /// The database this dashboard serves, for a second process on it.
    pub fn database_url(&self) -> String {
        self.database_url.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A client as a browser on the dashboard's own page would be: keeps cookies, sends the
    /// dashboard's Origin with every request. Not signed in.
    pub fn anonymous(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ORIGIN,
            reqwest::header::HeaderValue::from_str(&format!("http://{}", self.addr))
                .expect("origin"),
        );
        reqwest::Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            // A request that never ends fails its test by name instead of stalling the run.
            .timeout(Duration::from_secs(90))
            .build()
            .expect("client")
    }

    /// A client signed in as `email` (with the test password).
    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        let client = self.anonymous();
        let r = client
            .post(self.url(<app::api::accounts::SignIn as leptos::server_fn::ServerFn>::PATH))
            .form(&[("email", email), ("password", PASSWORD), ("next", "/")])
            .send()
            .await
            .expect("sign in");
        assert!(
            r.status().is_success(),
            "sign-in as {email} failed: {} {}",
            r.status(),
            r.text().await.unwrap_or_default()
        );
        client
    }
}

async fn test_password_hash() -> String {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_init(|| async {
        backend::auth::hash_password(PASSWORD.into())
            .await
            .expect("hash")
    })
    .await
    .clone()
}

pub async fn add_user(
    pool: &Db,
    email: &str,
    name: &str,
    role: Role,
    customer: Option<i64>,
) -> i64 {
    let hash = test_password_hash().await;
    db::insert_user(
        pool,
        &db::NewUser {
            email,
            name,
            password_hash: &hash,
            role,
            customer_id: customer,
        },
        chrono::Utc::now(),
    )
    .await
    .expect("user")
}

/// A new database for one test: a SQLite file in `dir`, or a database of its own on the PostgreSQL
/// server `AURA_TEST_POSTGRES` names when it is set (`scripts/test` runs the suite both ways).
pub async fn test_database(dir: &tempdir::TempDir) -> String {
    match std::env::var(db::TEST_POSTGRES_ENV) {
        Ok(server) => db::create_test_database(&server)
            .await
            .expect("a test database"),
        Err(_) => format!("sqlite://{}", dir.path.join("test.db").display()),
    }
}

pub async fn start_dashboard(aura_base_url: &str, services: ServiceCatalog) -> Dashboard {
    start_dashboard_with(aura_base_url, services, Duration::from_secs(5)).await
}

/// A dashboard whose AURA calls give up after `aura_timeout`.
pub async fn start_dashboard_with(
    aura_base_url: &str,
    services: ServiceCatalog,
    aura_timeout: Duration,
) -> Dashboard {
    start_dashboard_secured(
        aura_base_url,
        services,
        aura_timeout,
        SecurityConfig::default(),
    )
    .await
}

/// A dashboard deployed with `security` (origins, hosts, the booking rate).
pub async fn start_dashboard_secured(
    aura_base_url: &str,
    services: ServiceCatalog,
    aura_timeout: Duration,
    security: SecurityConfig,
) -> Dashboard {
    let dir = tempdir::TempDir::new();
    let database_url = test_database(&dir).await;
    let pool = db::connect(&database_url).await.expect("db");
    let (a, b) = server::demo::ensure_customers(&pool)
        .await
        .expect("customers");
    let people = People {
        customer_a: "ann@a.example".into(),
        customer_b: "bob@b.example".into(),
        manager_of_a: "maya@staff.example".into(),
        manager_of_b: "nick@staff.example".into(),
        admin: "ada@staff.example".into(),
    };
    add_user(
        &pool,
        &people.customer_a,
        "Ann Customer",
        Role::Customer,
        Some(a.id),
    )
    .await;
    add_user(
        &pool,
        &people.customer_b,
        "Bob Customer",
        Role::Customer,
        Some(b.id),
    )
    .await;
    let maya = add_user(
        &pool,
        &people.manager_of_a,
        "Maya Manager",
        Role::AccountManager,
        None,
    )
    .await;
    db::assign_customer(&pool, maya, a.id)
        .await
        .expect("assign");
    let nick = add_user(
        &pool,
        &people.manager_of_b,
        "Nick Manager",
        Role::AccountManager,
        None,
    )
    .await;
    db::assign_customer(&pool, nick, b.id)
        .await
        .expect("assign");
    add_user(&pool, &people.admin, "Ada Admin", Role::Admin, None).await;
    let aura = AuraClient::new(AuraConfig {
        base_url: aura_base_url.to_string(),
        client_id: server::sandbox::DEFAULT_CLIENT_ID.to_string(),
        client_secret: Secret::new(server::sandbox::DEFAULT_CLIENT_SECRET),
        timeout: aura_timeout,
    })
    .expect("client");
    let state = AppState {
        db: pool,
        aura: Arc::new(aura),
        services: Arc::new(services),
        sign_in_limiter: Arc::new(SignInLimiter::default()),
        security: Arc::new(security),
        outbox: Arc::new(Outbox::new(SendPolicy::new(
            aura_timeout,
            Duration::from_millis(200),
            Duration::from_secs(1),
        ))),
        mail: Arc::new(backend::mail::MailConfig {
            from: "AURA dashboard <dashboard@example.test>"
                .parse()
                .expect("sender"),
            public_url: "http://dashboard.test".into(),
            transport: backend::mail::Transport::Catcher,
        }),
        api: Arc::new(backend::api::ApiConfig::new(600, true)),
    };
    let addr = serve(web::router(state.clone(), site_options(), None).expect("router")).await;
    let mut dash = Dashboard {
        addr,
        state,
        http: reqwest::Client::new(),
        a,
        b,
        people,
        database_url,
        _dir: dir,
    };
    dash.http = dash.signed_in(&dash.people.customer_a.clone()).await;
    dash
}

/// A unique temporary directory, removed on drop (no extra crate needed).
pub mod tempdir {
    use std::path::PathBuf;

    pub struct TempDir {
        pub path: PathBuf,
    }

    impl TempDir {
        pub fn new() -> Self {
            let path =
                std::env::temp_dir().join(format!("aura-test-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&path).expect("temp dir");
            TempDir { path }
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// A local date and time in a zone, and that date's local midnight as RFC 3339 UTC: what a booking
/// opening then is made of.
pub struct LocalMoment {
    pub date: String,
    pub time: String,
    pub midnight_utc: String,
}

/// The local date and time at least `minutes` from now in `zone`, whatever the day. A wall time the
/// zone repeats (the hour after clocks go back) names two instants and a schedule reads it as the
/// earlier, an hour too soon: such a minute is moved on to the first one after the repeated hour,
/// so a booking made of it opens at least `minutes` from now.
pub fn local_in(zone: &str, minutes: i64) -> LocalMoment {
    use chrono::TimeZone;
    let tz: chrono_tz::Tz = zone.parse().expect("zone");
    let mut at = (chrono::Utc::now() + chrono::Duration::minutes(minutes)).with_timezone(&tz);
    while !matches!(
        tz.from_local_datetime(&at.naive_local()),
        chrono::LocalResult::Single(_)
    ) {
        at += chrono::Duration::minutes(1);
    }
    moment(&tz, at)
}

/// The local date and time `minutes` from now in `zone`, read by a schedule as at most that: for
/// "too soon" checks. In the repeated hour after clocks go back it is read as the earlier
/// instant, in the past, which is too soon as well.
pub fn local_at_most(zone: &str, minutes: i64) -> LocalMoment {
    let tz: chrono_tz::Tz = zone.parse().expect("zone");
    moment(
        &tz,
        (chrono::Utc::now() + chrono::Duration::minutes(minutes)).with_timezone(&tz),
    )
}

fn moment(tz: &chrono_tz::Tz, at: chrono::DateTime<chrono_tz::Tz>) -> LocalMoment {
    let (midnight, _) = domain::local_date_span(tz, at.date_naive(), at.date_naive());
    LocalMoment {
        date: at.format("%Y-%m-%d").to_string(),
        time: at.format("%H:%M").to_string(),
        midnight_utc: midnight.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

/// A weekly patrol at a saved London site, first window `minutes` from now.
pub fn draft(key: &str, name: &str, site_id: i64, minutes: i64) -> BookingDraft {
    let at = local_in("Europe/London", minutes);
    draft_at(key, name, site_id, &at.date, &at.time)
}

/// A weekly patrol at a saved London site, first window on the local `date` ("YYYY-MM-DD") at
/// `time` ("HH:MM", London).
pub fn draft_at(key: &str, name: &str, site_id: i64, date: &str, time: &str) -> BookingDraft {
    let first = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("date");
    let weekday = first.weekday();
    BookingDraft {
        idempotency_key: key.into(),
        service_type: Some(ServiceType::Patrol),
        name: name.into(),
        special_instructions: "Check the shutters".into(),
        number_of_guards: "2".into(),
        armed_preference: ArmedPreference::Unarmed,
        contacts: vec![ContactDraft {
            name: "Priya".into(),
            mobile: "+44 7700 900123".into(),
        }],
        site_id: Some(site_id),
        first_date: date.into(),
        last_date: (first + chrono::Duration::days(27))
            .format("%Y-%m-%d")
            .to_string(),
        repeat: RepeatKind::Weekly,
        days: vec![weekday],
        start_time: time.into(),
        window_minutes: "90".into(),
        ..BookingDraft::default()
    }
}

pub async fn decode<T: DeserializeOwned>(r: reqwest::Response) -> Result<T, AppError> {
    let status = r.status();
    let text = r.text().await.expect("body");
    if status.is_success() {
        Ok(serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad body {text}: {e}")))
    } else {
        Err(serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("bad error body ({status}) {text}: {e}")))
    }
}

/// Books `draft` through the dashboard at `dash_url` as `client`; the answer, or AURA's or the
/// form's refusal.
pub async fn book_as(
    client: &reqwest::Client,
    dash_url: &str,
    draft: &BookingDraft,
) -> Result<domain::model::BookingResult, AppError> {
    use leptos::server_fn::ServerFn;
    decode(
        client
            .post(format!(
                "{dash_url}{}",
                app::api::bookings::BookService::PATH
            ))
            .json(&serde_json::json!({ "draft": draft }))
            .send()
            .await
            .expect("book"),
    )
    .await
}

/// Cancels booking `id` through the dashboard at `dash_url` as `client`, with `reason` (and any
/// `extra` form fields, such as `also_pair`); nothing, or the refusal.
pub async fn cancel_as(
    client: &reqwest::Client,
    dash_url: &str,
    id: i64,
    reason: &str,
    extra: &[(&str, &str)],
) -> Result<(), AppError> {
    use leptos::server_fn::ServerFn;
    let id = id.to_string();
    let form: Vec<(&str, &str)> = [("id", id.as_str()), ("reason", reason)]
        .into_iter()
        .chain(extra.iter().copied())
        .collect();
    decode(
        client
            .post(format!(
                "{dash_url}{}",
                app::api::bookings::CancelBooking::PATH
            ))
            .form(&form)
            .send()
            .await
            .expect("cancel"),
    )
    .await
}

/// Every window a calendar answer draws (a month day's shown ones, a week's items, an agenda's).
pub fn drawn_windows(view: &domain::model::CalendarView) -> Vec<&domain::model::OccurrenceView> {
    use domain::model::CalendarBody;
    match &view.body {
        CalendarBody::Month(weeks) => weeks.iter().flatten().flat_map(|d| &d.shown).collect(),
        CalendarBody::Week(days) => days
            .iter()
            .flat_map(|d| d.items.iter().map(|i| &i.occurrence))
            .collect(),
        CalendarBody::Agenda { days, .. } => days.iter().flat_map(|d| &d.occurrences).collect(),
    }
}

/// Customer A's saved London site.
pub async fn london_site(dash: &Dashboard) -> i64 {
    db::sites_for_customer(&dash.state.db, dash.a.id)
        .await
        .expect("sites")
        .iter()
        .find(|s| s.timezone.name() == "Europe/London")
        .expect("london site")
        .id
}

/// The tests' own reading of the database (and writing, to set up a state no page makes), beside
/// the store: a witness that does not go through the code under test. `$sql` turns a statement
/// with `?` placeholders into the text this database reads (numbered for PostgreSQL). Evaluates to
/// `Result<body's value, sqlx::Error>`.
macro_rules! raw {
    ($db:expr, |$conn:ident, $sql:ident| $body:expr) => {{
        match $db {
            backend::db::Db::Sqlite(pool) => {
                async {
                    let mut held = pool.acquire().await?;
                    let $conn = &mut *held;
                    let $sql = |text: &str| text.to_string();
                    Ok::<_, sqlx::Error>($body)
                }
                .await
            }
            backend::db::Db::Postgres(pool) => {
                async {
                    let mut held = pool.acquire().await?;
                    let $conn = &mut *held;
                    let $sql = |text: &str| $crate::common::numbered(text);
                    Ok::<_, sqlx::Error>($body)
                }
                .await
            }
        }
    }};
}
pub(crate) use raw;

/// `?` placeholders numbered `$1, $2, …` (outside quoted text), as PostgreSQL reads them.
pub fn numbered(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let (mut n, mut quoted) = (0, false);
    for c in text.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                n += 1;
                out.push_str(&format!("${n}"));
            }
            _ => out.push(c),
        }
    }
    out
}

/// Starts one of the tests' Python servers (`server/tests/it/SCRIPT`, with the PyPI packages
/// `scripts/test` installs into `AURA_TEST_PYTHON`'s environment, `needs` naming them) with
/// `args`, and waits until it prints "ready".
pub async fn python_server(
    script: &str,
    args: &[&std::ffi::OsStr],
    needs: &str,
) -> std::process::Child {
    use std::io::BufRead;
    let python = std::env::var("AURA_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let path = format!("{}/tests/it/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut child = std::process::Command::new(&python)
        .arg(&path)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{python} did not run (scripts/test installs {needs}): {e}"));
    let stdout = child.stdout.take().expect("stdout");
    let ready = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).ok();
        line
    });
    let line = tokio::time::timeout(Duration::from_secs(30), ready)
        .await
        .unwrap_or_else(|_| panic!("{script} did not start in time"))
        .expect("read");
    assert_eq!(
        line.trim(),
        "ready",
        "{script} did not start ({python}; scripts/test installs {needs})"
    );
    child
}
