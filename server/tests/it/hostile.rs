//! Hostile input, as a signed-in customer, an administrator and a stranger would send it: every
//! server function and page gets malformed, oversized, wrongly typed, extreme and
//! control-character input. Each must be answered (no panic, no dropped connection) with a 4xx,
//! never a 5xx; and one person's expensive requests must not hold up anybody else's page.

use crate::common::raw;
use std::time::{Duration, Instant};

use crate::common::{RunningSandbox, book_as, decode, draft, start_dashboard, start_sandbox};
use app::api::bookings::{BookService, LoadCalendar};
use backend::aura::wire::ServiceCatalog;
use backend::db::{StoredDate, StoredInstant};
use domain::model::CalendarView;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::sandbox::SandboxConfig;

/// How a server function takes its arguments.
#[derive(Clone, Copy)]
enum Input {
    Query,
    Form,
}

/// What a form or query argument holds.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Int,
    Bool,
    Role,
    Theme,
    TimesIn,
    OptionalId,
    Text,
    /// Text that may be left out (a calendar URL's parts).
    OptionalText,
    /// A number that may be left out ("book again").
    OptionalInt,
    /// A yes/no that may be left out (an unticked checkbox).
    OptionalBool,
    /// Where to go next: anything but a plain local path is replaced by "/", never followed.
    ReturnPath,
}

impl Kind {
    /// A harmless value, so the argument under test is the one that is wrong.
    fn plain(self) -> &'static str {
        match self {
            Kind::Int | Kind::OptionalInt => "987654",
            Kind::Bool | Kind::OptionalBool => "false",
            Kind::Role => "customer",
            Kind::Theme => "dark",
            Kind::TimesIn => "mine",
            Kind::OptionalId => "",
            Kind::Text | Kind::ReturnPath => "x",
            Kind::OptionalText => "",
        }
    }
}

/// A server function: its path, how it takes arguments, and its arguments.
type Function = (&'static str, Input, &'static [(&'static str, Kind)]);

/// Every server function taking form or query arguments, with its arguments.
const FUNCTIONS: &[Function] = &[
    (
        "/api/load_booking_form",
        Input::Query,
        &[("again", Kind::OptionalInt)],
    ),
    ("/api/load_booking", Input::Query, &[("id", Kind::Int)]),
    (
        "/api/cancel_booking",
        Input::Form,
        &[
            ("id", Kind::Int),
            ("reason", Kind::Text),
            ("also_pair", Kind::OptionalBool),
        ],
    ),
    (
        "/api/resolve_booking",
        Input::Form,
        &[
            ("id", Kind::Int),
            ("held", Kind::Bool),
            ("aura_id", Kind::Text),
        ],
    ),
    ("/api/send_booking_again", Input::Form, &[("id", Kind::Int)]),
    ("/api/load_attention", Input::Query, &[]),
    (
        "/api/load_calendar",
        Input::Query,
        &[
            ("view", Kind::OptionalText),
            ("date", Kind::OptionalText),
            ("month", Kind::OptionalText),
            ("site", Kind::OptionalText),
            ("service", Kind::OptionalText),
            ("status", Kind::OptionalText),
            ("customer", Kind::OptionalText),
        ],
    ),
    ("/api/load_upcoming", Input::Query, &[("days", Kind::Int)]),
    ("/api/load_sign_in", Input::Query, &[]),
    (
        "/api/sign_in",
        Input::Form,
        &[
            ("email", Kind::Text),
            ("password", Kind::Text),
            ("next", Kind::ReturnPath),
        ],
    ),
    (
        "/api/switch_customer",
        Input::Form,
        &[("customer", Kind::OptionalId), ("back", Kind::ReturnPath)],
    ),
    ("/api/load_account", Input::Query, &[]),
    ("/api/start_feed", Input::Form, &[]),
    ("/api/stop_feed", Input::Form, &[]),
    (
        "/api/change_password",
        Input::Form,
        &[
            ("current", Kind::Text),
            ("password", Kind::Text),
            ("repeat", Kind::Text),
        ],
    ),
    ("/api/load_admin_users", Input::Query, &[]),
    (
        "/api/create_user",
        Input::Form,
        &[
            ("email", Kind::Text),
            ("name", Kind::Text),
            ("role", Kind::Role),
            ("customer", Kind::OptionalId),
            ("password", Kind::Text),
        ],
    ),
    (
        "/api/change_role",
        Input::Form,
        &[
            ("user", Kind::Int),
            ("role", Kind::Role),
            ("customer", Kind::OptionalId),
        ],
    ),
    (
        "/api/set_user_disabled",
        Input::Form,
        &[("user", Kind::Int), ("disabled", Kind::Bool)],
    ),
    (
        "/api/reset_password",
        Input::Form,
        &[("user", Kind::Int), ("password", Kind::Text)],
    ),
    ("/api/load_admin_customers", Input::Query, &[]),
    (
        "/api/load_admin_customer",
        Input::Query,
        &[("id", Kind::Int)],
    ),
    (
        "/api/create_customer",
        Input::Form,
        &[
            ("name", Kind::Text),
            ("aura_customer_id", Kind::Text),
            ("default_timezone", Kind::Text),
        ],
    ),
    (
        "/api/update_customer",
        Input::Form,
        &[
            ("customer", Kind::Int),
            ("name", Kind::Text),
            ("aura_customer_id", Kind::Text),
            ("default_timezone", Kind::Text),
        ],
    ),
    (
        "/api/add_site",
        Input::Form,
        &[
            ("customer", Kind::Int),
            ("name", Kind::Text),
            ("address", Kind::Text),
            ("latitude", Kind::Text),
            ("longitude", Kind::Text),
            ("timezone", Kind::Text),
            ("back", Kind::ReturnPath),
        ],
    ),
    ("/api/load_sites", Input::Query, &[]),
    (
        "/api/rename_site",
        Input::Form,
        &[
            ("site", Kind::Int),
            ("name", Kind::Text),
            ("back", Kind::ReturnPath),
        ],
    ),
    (
        "/api/retire_site",
        Input::Form,
        &[("site", Kind::Int), ("back", Kind::ReturnPath)],
    ),
    (
        "/api/restore_site",
        Input::Form,
        &[("site", Kind::Int), ("back", Kind::ReturnPath)],
    ),
    (
        "/api/set_theme",
        Input::Form,
        &[("theme", Kind::Theme), ("back", Kind::ReturnPath)],
    ),
    (
        "/api/set_times_in",
        Input::Form,
        &[("times_in", Kind::TimesIn), ("back", Kind::ReturnPath)],
    ),
    (
        "/api/assign_manager",
        Input::Form,
        &[("customer", Kind::Int), ("manager", Kind::OptionalId)],
    ),
    (
        "/api/unassign_manager",
        Input::Form,
        &[("customer", Kind::Int), ("manager", Kind::Int)],
    ),
];

/// Values no typed argument (number, yes/no, role, optional id) accepts.
const NOT_TYPED: &[&str] = &[
    "",
    "abc",
    "-1",
    "1.5",
    "1e3",
    "NaN",
    "4294967296",
    "9223372036854775808",
    "-9223372036854775809",
    "0x10",
    "１２",
    "\u{0}",
    "1\u{0}",
    "true\r\n",
    "[]",
    "{}",
    "null",
];

/// Text no text field accepts: control characters, invisible direction overrides.
const CONTROL: &[&str] = &[
    "\u{0}",
    "a\u{0}b",
    "a\u{7}b",
    "\u{1b}[31mred",
    "\u{202e}gnp.exe",
    "a\u{2066}b",
    "\u{feff}",
    "a\u{200b}b",
    "a\u{85}b",
];

/// Text that is merely odd or extreme: refused or taken, never a failure.
const ODD: &[&str] = &[
    "+262142-12-31",
    "9999-12-31",
    "0000-01-01",
    "-0001-01-01",
    "2026-02-30",
    "25:61",
    "../../etc/passwd",
    "//evil.example/",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "🛡️",
    "Ωmega",
];

struct Suite {
    sb: RunningSandbox,
    dash: crate::common::Dashboard,
    customer: reqwest::Client,
    admin: reqwest::Client,
    stranger: reqwest::Client,
    /// Signed in as customer B, to be signed out.
    leaving: reqwest::Client,
    cases: usize,
    failures: Vec<String>,
}

/// What a case must be answered with.
#[derive(Clone, Copy, PartialEq)]
enum Expect {
    /// A 4xx: the input is wrong.
    Refused,
    /// Exactly this status.
    Status(StatusCode),
}

impl Suite {
    fn record(&mut self, what: &str, expect: Expect, answer: Result<StatusCode, reqwest::Error>) {
        self.cases += 1;
        let ok = match (&answer, expect) {
            (Ok(status), Expect::Refused) => status.is_client_error(),
            (Ok(status), Expect::Status(wanted)) => *status == wanted,
            (Err(_), _) => false,
        };
        if !ok {
            let got = match answer {
                Ok(status) => status.to_string(),
                Err(e) => format!("no answer ({e})"),
            };
            self.failures.push(format!("{what}: {got}"));
        }
    }

    fn clients(&self) -> [(&'static str, reqwest::Client); 3] {
        [
            ("customer", self.customer.clone()),
            ("admin", self.admin.clone()),
            ("stranger", self.stranger.clone()),
        ]
    }

    async fn form(
        &mut self,
        who: &str,
        client: &reqwest::Client,
        path: &str,
        input: Input,
        fields: &[(String, String)],
        expect: Expect,
    ) {
        let url = self.dash.url(path);
        let answer = match input {
            Input::Query => client.get(&url).query(fields).send().await,
            Input::Form => client.post(&url).form(fields).send().await,
        }
        .map(|r| r.status());
        let shown: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", v.escape_debug().take(40).collect::<String>()))
            .collect();
        self.record(&format!("{who} {path} {shown:?}"), expect, answer);
    }

    async fn raw(&mut self, what: &str, request: reqwest::RequestBuilder, expect: Expect) {
        let answer = request.send().await.map(|r| r.status());
        self.record(what, expect, answer);
    }
}

/// A dashboard on `sb` whose customers may each book `per_minute` services a minute.
async fn dashboard_booking_at_most(
    sb: &RunningSandbox,
    per_minute: u32,
) -> crate::common::Dashboard {
    let security = backend::state::SecurityConfig {
        bookings_per_minute: per_minute,
        ..Default::default()
    };
    crate::common::start_dashboard_secured(
        &sb.base_url(),
        ServiceCatalog::default(),
        Duration::from_secs(5),
        security,
    )
    .await
}

async fn suite() -> Suite {
    let sb = start_sandbox(SandboxConfig::default()).await;
    // Extreme but sound bookings are saved by the dozen here: the booking rate has its own test.
    let dash = dashboard_booking_at_most(&sb, 100_000).await;
    let admin = dash.signed_in(&dash.people.admin).await;
    // Signed in before the suite's wrong passwords use up this address's sign-in attempts.
    let leaving = dash.signed_in(&dash.people.customer_b).await;
    Suite {
        leaving,
        customer: dash.http.clone(),
        admin,
        stranger: dash.anonymous(),
        sb,
        dash,
        cases: 0,
        failures: Vec::new(),
    }
}

/// How `who` must be answered when calling `path` with harmless arguments: each argument's plain
/// value ([`Kind::plain`]: ids that name nothing, "x" for text) or none where it may be left out.
/// The same answer is due when only a return path is odd (it is never followed) or a free-text
/// argument holds odd text.
fn plain_answer(path: &str, who: &str) -> Expect {
    const OK: Expect = Expect::Status(StatusCode::OK);
    let status = |s| Expect::Status(s);
    match (path, who) {
        // Preferences need no account.
        ("/api/set_theme" | "/api/set_times_in", _) => OK,
        // A wrong password: 403, or 429 once this address has failed too often.
        ("/api/sign_in", _) => Expect::Refused,
        (_, "stranger") => status(StatusCode::UNAUTHORIZED),
        (
            "/api/switch_customer"
            | "/api/load_booking_form"
            | "/api/load_calendar"
            | "/api/sign_out",
            _,
        ) => OK,
        // Administration and staff-only work, asked for by a customer.
        (
            "/api/create_customer"
            | "/api/create_user"
            | "/api/reset_password"
            | "/api/resolve_booking"
            | "/api/update_customer",
            "customer",
        ) => status(StatusCode::FORBIDDEN),
        // "x" is no password, email or AURA customerId.
        ("/api/change_password" | "/api/create_customer" | "/api/create_user", _) => {
            status(StatusCode::BAD_REQUEST)
        }
        // Everything else names a booking, site, customer or user (987654) that does not exist.
        _ => status(StatusCode::NOT_FOUND),
    }
}

/// Form and query arguments: none, each missing, each twice, each wrongly typed or hostile.
async fn arguments(s: &mut Suite) {
    for (path, input, args) in FUNCTIONS {
        // Signing out or changing a password would end the clients' sessions mid-suite; they get
        // their arguments refused like everyone else's below, by a client of their own.
        let plain: Vec<(String, String)> = args
            .iter()
            .map(|(k, kind)| ((*k).to_string(), kind.plain().to_string()))
            .collect();
        for (who, client) in s.clients() {
            let optional = |kind: &Kind| {
                matches!(
                    kind,
                    Kind::OptionalText | Kind::OptionalInt | Kind::OptionalBool
                )
            };
            if !args.is_empty() {
                let expect = if args.iter().all(|(_, k)| optional(k)) {
                    plain_answer(path, who)
                } else {
                    Expect::Refused
                };
                s.form(who, &client, path, *input, &[], expect).await;
            }
            for (i, (name, kind)) in args.iter().enumerate() {
                let mut missing = plain.clone();
                missing.remove(i);
                let expect = if optional(kind) {
                    plain_answer(path, who)
                } else {
                    Expect::Refused
                };
                s.form(who, &client, path, *input, &missing, expect).await;
                let mut twice = plain.clone();
                twice.push(((*name).to_string(), kind.plain().to_string()));
                s.form(who, &client, path, *input, &twice, Expect::Refused)
                    .await;
                let hostile: Vec<(String, Expect)> = if *kind == Kind::ReturnPath {
                    CONTROL
                        .iter()
                        .chain(ODD)
                        .map(|v| ((*v).to_string(), plain_answer(path, who)))
                        .chain([("x".repeat(20_000), plain_answer(path, who))])
                        .collect()
                } else if matches!(kind, Kind::Text | Kind::OptionalText) {
                    // The calendar's arguments have a form (a view, a date, a month, ids): odd text
                    // there is refused before anything else, also to a stranger. Only a date at
                    // the end of the calendar's range is a date.
                    let odd = |v: &str| {
                        if *path != "/api/load_calendar" || (*name == "date" && v == "9999-12-31") {
                            plain_answer(path, who)
                        } else {
                            Expect::Refused
                        }
                    };
                    CONTROL
                        .iter()
                        .map(|v| ((*v).to_string(), Expect::Refused))
                        .chain(ODD.iter().map(|v| ((*v).to_string(), odd(v))))
                        .chain([("x".repeat(20_000), Expect::Refused)])
                        .collect()
                } else {
                    NOT_TYPED
                        .iter()
                        .filter(|v| {
                            !(v.is_empty() && matches!(kind, Kind::OptionalId | Kind::OptionalInt))
                        })
                        .map(|v| ((*v).to_string(), Expect::Refused))
                        .collect()
                };
                for (value, expect) in hostile {
                    let mut fields = plain.clone();
                    fields[i].1 = value;
                    s.form(who, &client, path, *input, &fields, expect).await;
                }
            }
        }
    }
    // Signing out takes no arguments; anything sent with it is refused or ignored, never a 5xx.
    let own = s.leaving.clone();
    s.form(
        "customer",
        &own,
        "/api/sign_out",
        Input::Form,
        &[("x".into(), "\u{0}".into())],
        Expect::Status(StatusCode::OK),
    )
    .await;
}

/// The booking draft's fields that hold text as typed (numbers, dates and times included: the form
/// sends what was typed, and the rules read it).
const DRAFT_TEXT: &[&str] = &[
    "name",
    "special_instructions",
    "idempotency_key",
    "number_of_guards",
    "address",
    "latitude",
    "longitude",
    "timezone",
    "first_date",
    "last_date",
    "start_time",
    "window_minutes",
    "unlock_time",
];

/// How a sound draft (a weekly patrol at a saved site) with `field` set to an odd `value` must be
/// answered. Booking (`book_service`): text is taken in free-text fields and in the place fields,
/// which are not read when a saved site is chosen; a form key is only printable ASCII without `/`;
/// no customer chosen is the person's own, a customer id that names nothing is 404; anything else
/// is refused. The live preview (`preview_schedule`) takes any text in a text field (it shows the
/// problem at the field) and any customer or site id or none (it previews without them), and
/// refuses a value of the wrong JSON type.
fn draft_answer(path: &str, field: &str, value: &Value) -> Expect {
    let (ok, bad) = (
        Expect::Status(StatusCode::OK),
        Expect::Status(StatusCode::BAD_REQUEST),
    );
    let text_field = DRAFT_TEXT.contains(&field);
    if path == BookService::PATH {
        match (field, value) {
            ("customer_id", Value::Null) => ok,
            ("customer_id", v) if v.is_i64() => Expect::Status(StatusCode::NOT_FOUND),
            ("idempotency_key", Value::String(key)) => {
                if key.chars().all(|c| c.is_ascii_graphic() && c != '/') {
                    ok
                } else {
                    bad
                }
            }
            (_, Value::String(_)) if text_field => ok,
            _ => bad,
        }
    } else {
        match (field, value) {
            ("customer_id" | "site_id" | "service_type", Value::Null) => ok,
            ("customer_id" | "site_id", v) if v.is_i64() => ok,
            (_, Value::String(_)) if text_field => ok,
            _ => bad,
        }
    }
}

/// Bodies: empty, not JSON, wrong JSON, wrong types in every field of a booking draft, too large.
async fn bodies(s: &mut Suite, site: i64) {
    let json_fns = [BookService::PATH, "/api/preview_schedule"];
    let sound = serde_json::to_value(draft("hostile", "Hostile patrol", site, 600)).expect("json");
    let garbage: &[(&str, &[u8])] = &[
        ("empty", b""),
        ("null", b"null"),
        ("array", b"[]"),
        ("NaN", b"{\"draft\": NaN}"),
        ("BOM", b"\xef\xbb\xbf{\"draft\": {}}"),
        ("truncated", b"{\"draft\": {\"name\": \"a"),
        ("not UTF-8", b"{\"draft\": \"\xff\xfe\"}"),
        ("lone surrogate", b"{\"draft\": {\"name\": \"\\ud800\"}}"),
        (
            "number overflow",
            b"{\"draft\": {\"number_of_guards\": 1e400}}",
        ),
    ];
    let deep = format!(
        "{{\"draft\": {}{}}}",
        "[".repeat(20_000),
        "]".repeat(20_000)
    );
    for path in json_fns {
        for (who, client) in s.clients() {
            let url = s.dash.url(path);
            for (name, body) in garbage {
                s.raw(
                    &format!("{who} {path} {name}"),
                    client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body.to_vec()),
                    Expect::Refused,
                )
                .await;
            }
            s.raw(
                &format!("{who} {path} nested 20,000 deep"),
                client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(deep.clone()),
                Expect::Refused,
            )
            .await;
            for (name, content_type, body) in [
                (
                    "multipart",
                    "multipart/form-data; boundary=x",
                    "--x\r\n\r\n--x--",
                ),
                ("form", "application/x-www-form-urlencoded", "draft=1"),
                ("text", "text/plain", "hello"),
            ] {
                s.raw(
                    &format!("{who} {path} {name}"),
                    client
                        .post(&url)
                        .header("content-type", content_type)
                        .body(body),
                    Expect::Refused,
                )
                .await;
            }
        }
        // Every field of a sound draft, wrongly typed or hostile (as the customer).
        let fields: Vec<String> = sound.as_object().expect("object").keys().cloned().collect();
        let customer = s.customer.clone();
        for field in fields {
            // Free text takes odd text; the place fields are not read when a saved site is chosen.
            let free_text =
                ["name", "special_instructions", "idempotency_key"].contains(&field.as_str());
            let unread = [
                "address",
                "latitude",
                "longitude",
                "timezone",
                "customer_id",
            ]
            .contains(&field.as_str());
            let mut values: Vec<(Value, Expect)> = vec![
                (json!(null), Expect::Refused),
                (json!(1.5), Expect::Refused),
                (json!(-1), Expect::Refused),
                (json!(u64::MAX), Expect::Refused),
                (json!(true), Expect::Refused),
                (json!({}), Expect::Refused),
                (json!([[[]]]), Expect::Refused),
            ];
            for c in CONTROL {
                values.push((json!(c), Expect::Refused));
            }
            values.push((json!("x".repeat(5_000)), Expect::Refused));
            for odd in ODD {
                let expect = if free_text {
                    draft_answer(path, &field, &json!(odd))
                } else {
                    Expect::Refused
                };
                values.push((json!(odd), expect));
            }
            // Optional ids accept null; a contact list accepts [] (and the string fields a string).
            for (value, mut expect) in values {
                let optional_id =
                    ["customer_id", "site_id", "service_type"].contains(&field.as_str());
                if (value.is_null() && optional_id)
                    || (unread && (value.is_string() || value == json!(-1)))
                    || (field == "contacts" && value == json!([[[]]]))
                    || (field == "days" && value.is_null())
                {
                    expect = draft_answer(path, &field, &value);
                }
                let mut tampered = sound.clone();
                tampered[&field] = value.clone();
                tampered["idempotency_key"] = json!(format!("hostile-{}", s.cases));
                if field == "idempotency_key" {
                    tampered[&field] = value.clone();
                }
                let shown = value.to_string().chars().take(40).collect::<String>();
                let request = customer
                    .post(s.dash.url(path))
                    .json(&json!({ "draft": tampered }));
                let what = format!("customer {path} {field}={shown}");
                // The preview reads only the schedule and place, and shows nothing (or the problem
                // at its field) for a value it cannot use; the form reports the rest on submit. So
                // any text, or any number where an id goes, is answered there; booking refuses it.
                if path != BookService::PATH && (value.is_string() || value.is_i64()) {
                    expect = draft_answer(path, &field, &value);
                }
                s.raw(&what, request, expect).await;
            }
        }
    }
    // Too large, declared or streamed: 413, for every server function and page.
    let big = vec![b'a'; 100 * 1024];
    for (path, _, _) in FUNCTIONS {
        s.raw(
            &format!("{path} 100 KiB body"),
            s.customer.post(s.dash.url(path)).body(big.clone()),
            Expect::Status(StatusCode::PAYLOAD_TOO_LARGE),
        )
        .await;
    }
    // Streamed in chunks with no declared length: refused once it passes the limit.
    let status = chunked_post(s.dash.addr, BookService::PATH, 100, 1024).await;
    s.record(
        "book_service 100 KiB streamed in chunks",
        Expect::Status(StatusCode::PAYLOAD_TOO_LARGE),
        Ok(status),
    );
}

/// Sends `chunks` chunks of `size` bytes as a chunked POST over a plain socket; the answer's status.
async fn chunked_post(
    addr: std::net::SocketAddr,
    path: &str,
    chunks: usize,
    size: usize,
) -> StatusCode {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await.expect("head");
    let chunk = format!("{size:x}\r\n{}\r\n", "[".repeat(size));
    for _ in 0..chunks {
        // The server may answer and close before the last chunk: that is the point.
        if socket.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = socket.write_all(b"0\r\n\r\n").await;
    let mut answer = vec![0u8; 64];
    let n = socket.read(&mut answer).await.expect("answer");
    let line = String::from_utf8_lossy(&answer[..n]).to_string();
    let code: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {line:?}"));
    StatusCode::from_u16(code).expect("status")
}

/// How `who` must be answered for `page` with an odd `query`. Pages ignore arguments they do not
/// take; the calendar refuses a month that is no month (400) or outside its range (404), the
/// upcoming export a number of days out of range.
fn page_answer(page: &str, query: &str, who: &str) -> Expect {
    let status = |s| Expect::Status(s);
    match (page, who) {
        ("/feeds/0123.ics", _) => status(StatusCode::NOT_FOUND),
        ("/sign-in", "stranger") => status(StatusCode::OK),
        (_, "stranger") => status(StatusCode::SEE_OTHER),
        ("/admin/users" | "/admin/customers", "customer") => status(StatusCode::FORBIDDEN),
        ("/", _) if query == "month=zzz" => status(StatusCode::BAD_REQUEST),
        ("/", _) if ["month=%2B262142-12", "month=0000-01"].contains(&query) => {
            status(StatusCode::NOT_FOUND)
        }
        // A booking to book again that is not there.
        ("/book", _) if query == "again=-1" => status(StatusCode::NOT_FOUND),
        ("/upcoming.csv", _) if ["days=-1", "days=4294967296"].contains(&query) => {
            status(StatusCode::BAD_REQUEST)
        }
        _ => status(StatusCode::OK),
    }
}

/// Pages with odd path parameters and query strings: 404 for what is not there, never a 5xx.
async fn pages(s: &mut Suite) {
    let ids = [
        "abc",
        "-1",
        "0",
        "1.5",
        "1e3",
        "99999999999999999999",
        "%00",
        "%FF",
        "1%0d%0a",
        "%E2%80%AE1",
    ];
    for (who, client) in s.clients() {
        for base in ["/bookings/", "/admin/customers/"] {
            for id in ids {
                let expect = if who == "stranger" {
                    Expect::Status(StatusCode::SEE_OTHER) // sent to sign in first
                } else if base == "/admin/customers/" && who == "customer" {
                    Expect::Refused
                } else {
                    Expect::Status(StatusCode::NOT_FOUND)
                };
                let url = format!("{}{base}{id}", s.dash.url(""));
                s.raw(&format!("{who} GET {base}{id}"), client.get(&url), expect)
                    .await;
            }
        }
        for page in [
            "/",
            "/book",
            "/upcoming",
            "/attention",
            "/sign-in",
            "/account",
            "/admin/users",
            "/admin/customers",
            "/sites",
            "/upcoming.csv",
            "/cancellations.csv",
            "/feeds/0123.ics",
        ] {
            for query in [
                "again=zzz",
                "again=-1",
                "again=99999999999999999999",
                "month=zzz",
                "month=%2B262142-12",
                "month=9999-12",
                "month=0000-01",
                "days=-1",
                "days=4294967296",
                "next=%00",
                "next=//evil.example/",
                "next=%0d%0aSet-Cookie:x=1",
                "x=%FF&x=%FE",
                "customer=-1",
                &"q=".repeat(2_000),
            ] {
                let url = format!("{}{page}?{query}", s.dash.url(""));
                s.raw(
                    &format!(
                        "{who} GET {page}?{}",
                        query.chars().take(40).collect::<String>()
                    ),
                    client.get(&url),
                    page_answer(page, query, who),
                )
                .await;
            }
        }
    }
}

/// Every server function and page answers hostile input with a 4xx and never fails or panics; the
/// server still works afterwards and nothing reached AURA that should not have.
#[tokio::test]
async fn hostile_input_gets_a_clean_refusal_everywhere() {
    let mut s = suite().await;
    let site = backend::db::sites_for_customer(&s.dash.state.db, s.dash.a.id)
        .await
        .expect("sites")[0]
        .id;
    arguments(&mut s).await;
    bodies(&mut s, site).await;
    pages(&mut s).await;
    let cases = s.cases;
    assert!(
        s.failures.is_empty(),
        "{} of {cases} hostile cases were not answered as they should be:\n{}",
        s.failures.len(),
        s.failures.join("\n")
    );
    println!("hostile input: {cases} cases, every one answered as expected");
    // The suite covers what it says (BENCHMARKS.md records the count).
    assert!(cases >= 2_500, "only {cases} cases");
    // Nothing reached AURA that should not have: AURA holds exactly the bookings the dashboard
    // saved and was told about (their AURA ids stored), each a create the dashboard made once, and
    // none carrying a character the forms refuse.
    let snapshot = s.sb.control().await;
    let mut held: Vec<String> = snapshot.requests.iter().map(|r| r.id.clone()).collect();
    held.sort();
    let mut sent: Vec<String> = raw!(&s.dash.state.db, |conn, d| sqlx::query_scalar(&d(
        "SELECT aura_id FROM bookings WHERE aura_id IS NOT NULL"
    ))
    .fetch_all(conn)
    .await?)
    .expect("sent");
    sent.sort();
    assert_eq!(
        held, sent,
        "AURA holds only what the dashboard recorded sending"
    );
    assert_eq!(
        snapshot.calls.create,
        u64::try_from(held.len()).expect("count"),
        "every create AURA saw is a booking the dashboard holds"
    );
    for r in &snapshot.requests {
        let config = &r.scheduled_request_config;
        let texts = std::iter::once(config.name.as_str())
            .chain(config.special_instructions.as_deref())
            .chain(config.contacts.iter().map(|c| c.name.as_str()));
        for text in texts {
            assert!(
                !domain::has_hidden_characters(text, true),
                "AURA got {text:?}"
            );
        }
    }
    // Still serving, and still booking.
    let health = reqwest::get(s.dash.url("/healthz")).await.expect("health");
    assert_eq!(health.status(), StatusCode::OK);
    let booked = book_as(
        &s.customer,
        &s.dash.url(""),
        &draft("after-the-storm", "After", site, 600),
    )
    .await
    .expect("a sound booking still works");
    assert!(booked.booking_id > 0);
    drop(s.sb);
}

/// A stored booking reaching the year 9999 (possible before dates had a range): eight parallel
/// requests for its far months do not hold up somebody else's sign-in page. Expansion runs off the
/// async threads, in a bounded number of slots: with every slot taken the far months wait for one
/// and the sign-in page is answered meanwhile; once free, each far month holds its windows
/// (expansion jumps to the month asked for). Before, each such request walked every day from the
/// first on the async threads and the sign-in page waited seconds behind them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn far_future_calendar_requests_do_not_delay_a_sign_in_page() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let site = backend::db::sites_for_customer(&dash.state.db, dash.a.id)
        .await
        .expect("sites")[0]
        .id;
    for n in 0..5 {
        let mut d = draft(&format!("far-{n}"), "Far", site, 600 + n);
        d.repeat = domain::RepeatKind::Daily;
        let booked = book_as(&dash.http, &dash.url(""), &d)
            .await
            .expect("booked");
        let end = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).expect("date");
        raw!(&dash.state.db, |conn, d| sqlx::query(&d(
            "UPDATE bookings SET last_date = ?, date_to = ? WHERE id = ?"
        ))
        .bind(StoredDate(end))
        .bind(StoredInstant(
            end.and_hms_opt(23, 59, 59).expect("time").and_utc(),
        ))
        .bind(booked.booking_id)
        .execute(conn)
        .await?
        .rows_affected())
        .expect("reach 9999");
    }
    // Both expansion slots busy (held here, so nothing depends on how fast the machine is): the
    // far months' requests queue for them ...
    let held = backend::blocking::EXPANSION.take_all(2).await;
    let calendar = |month: &'static str| {
        let (client, url) = (dash.http.clone(), dash.url(LoadCalendar::PATH));
        tokio::spawn(async move {
            let r = client
                .get(url)
                .query(&[("month", month)])
                .send()
                .await
                .expect("month");
            decode::<CalendarView>(r).await.expect("month view")
        })
    };
    let load: Vec<_> = (0..8)
        .map(|i| calendar(["9999-11", "9000-06", "5000-01", "9999-12"][i % 4]))
        .collect();
    // ... and somebody else's sign-in page is answered meanwhile: it needs no slot.
    let page = tokio::time::timeout(
        Duration::from_secs(30),
        dash.anonymous().get(dash.url("/sign-in")).send(),
    )
    .await
    .expect("the sign-in page waited for the calendar requests")
    .expect("sign-in page");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        load.iter().all(|month| !month.is_finished()),
        "a far month was answered without an expansion slot"
    );
    drop(held);
    for month in load {
        let view = month.await.expect("task");
        assert!(
            view.total >= 5 * 28,
            "{}: {} windows",
            view.title,
            view.total
        );
    }
}

/// Reads `socket` until the server closes it; how long that took, or `None` after `limit`.
async fn closed_within(socket: &mut tokio::net::TcpStream, limit: Duration) -> Option<Duration> {
    use tokio::io::AsyncReadExt;
    let started = Instant::now();
    let mut sink = Vec::new();
    match tokio::time::timeout(limit, socket.read_to_end(&mut sink)).await {
        // End of stream or a reset: closed either way.
        Ok(_) => Some(started.elapsed()),
        Err(_) => None,
    }
}

/// Slowloris: a connection that never sends a byte, one that trickles its request head a byte
/// every two seconds, and a kept-alive one left idle after its answer are each closed by the
/// dashboard's own listener (its default limits) within 30 s, while ordinary requests go on being
/// answered meanwhile.
#[tokio::test]
async fn silent_trickling_and_idle_connections_are_closed_while_others_are_served() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let limit = Duration::from_secs(30);
    let connect = || tokio::net::TcpStream::connect(dash.addr);

    let mut silent = connect().await.expect("connect");
    let silent = tokio::spawn(async move { closed_within(&mut silent, limit).await });

    let trickled = connect().await.expect("connect");
    let trickled = tokio::spawn(async move {
        let (mut read, mut write) = trickled.into_split();
        let writer = tokio::spawn(async move {
            for byte in b"GET /sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".iter() {
                if write.write_all(&[*byte]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        });
        let started = Instant::now();
        let mut sink = Vec::new();
        let closed = tokio::time::timeout(limit, read.read_to_end(&mut sink))
            .await
            .ok()
            .map(|_| started.elapsed());
        writer.abort();
        closed
    });

    let mut idle = connect().await.expect("connect");
    idle.write_all(
        format!(
            "GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: keep-alive\r\n\r\n",
            dash.addr
        )
        .as_bytes(),
    )
    .await
    .expect("request");
    let mut answer = [0u8; 512];
    let n = idle.read(&mut answer).await.expect("answer");
    assert!(
        String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer[..n])
    );
    let idle = tokio::spawn(async move { closed_within(&mut idle, limit).await });

    // Meanwhile, everyone else is answered.
    let client = dash.anonymous();
    let mut served = 0;
    while !(silent.is_finished() && trickled.is_finished() && idle.is_finished()) {
        let page = client
            .get(dash.url("/sign-in"))
            .send()
            .await
            .expect("sign-in page");
        assert_eq!(page.status(), StatusCode::OK);
        served += 1;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for (what, closed) in [("silent", silent), ("trickled", trickled), ("idle", idle)] {
        let closed = closed.await.expect("task");
        assert!(
            closed.is_some(),
            "the {what} connection was still open after {limit:?}"
        );
    }
    assert!(served > 1, "ordinary requests were answered meanwhile");
}

/// The listener holds at most `max_connections` open: with two silent connections in, a third
/// client is answered only once one of them goes.
#[tokio::test]
async fn open_connections_are_capped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok\n" }));
    let limits = server::listen::ConnectionLimits {
        header_timeout: Duration::from_secs(300),
        max_connections: 2,
        ..Default::default()
    };
    tokio::spawn(server::listen::serve(
        listener,
        router,
        limits,
        std::future::pending(),
    ));
    let first = tokio::net::TcpStream::connect(addr).await.expect("first");
    let _second = tokio::net::TcpStream::connect(addr).await.expect("second");
    let third = tokio::spawn(async move {
        let mut socket = tokio::net::TcpStream::connect(addr).await.expect("third");
        socket
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .expect("request");
        let mut answer = Vec::new();
        socket.read_to_end(&mut answer).await.expect("answer");
        String::from_utf8_lossy(&answer).to_string()
    });
    // Not answered while two are open (it cannot be: the listener does not take it).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!third.is_finished(), "a third connection was served");
    drop(first);
    let answer = tokio::time::timeout(Duration::from_secs(30), third)
        .await
        .expect("answered once a place is free")
        .expect("task");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// Every answer carries the security headers; a page's policy allows only the inline scripts that
/// carry its own nonce (a new one each time), never `'unsafe-inline'` scripts, and no framing.
#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let mut nonces = Vec::new();
    for path in [
        "/",
        "/book",
        "/sign-in",
        "/upcoming",
        "/account",
        "/no-such-page",
    ] {
        let client = if path == "/sign-in" {
            dash.anonymous()
        } else {
            dash.http.clone()
        };
        let r = client.get(dash.url(path)).send().await.expect("page");
        assert!(
            r.status().is_success() || r.status() == StatusCode::NOT_FOUND,
            "{path}"
        );
        let csp = header(&r, "content-security-policy");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header(&r, "referrer-policy"), "same-origin", "{path}");
        assert_eq!(header(&r, "x-frame-options"), "DENY", "{path}");
        let html = r.text().await.expect("html");
        let script_src = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src "))
            .unwrap_or_else(|| panic!("{path}: no script-src in {csp:?}"));
        assert!(!script_src.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        let nonce = script_src
            .split_whitespace()
            .find_map(|s| s.strip_prefix("'nonce-")?.strip_suffix('\''))
            .unwrap_or_else(|| panic!("{path}: no nonce in {csp:?}"))
            .to_string();
        // Every inline script carries it.
        let scripts = html.matches("<script").count();
        assert!(scripts >= 1, "{path}: the zone script at least");
        assert_eq!(
            html.matches(&format!("<script nonce=\"{nonce}\"")).count()
                + html
                    .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                    .count(),
            scripts,
            "{path}: {html}"
        );
        nonces.push(nonce);
    }
    let n = nonces.len();
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), n, "a new nonce for every page");

    // Data, files and probes: nothing may run or frame them.
    for path in [
        "/api/load_upcoming?days=7".to_string(),
        "/upcoming.csv".into(),
        "/cancellations.csv".into(),
        "/feeds/not-a-feed.ics".into(),
        "/healthz".into(),
    ] {
        let r = dash.http.get(dash.url(&path)).send().await.expect("get");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(
            header(&r, "content-security-policy"),
            app::NOTHING_CSP,
            "{path}"
        );
    }
}

/// DNS rebinding and forged origins: a request for another host name is refused before it reaches
/// a page, and a change whose origin is not the dashboard as served (another host, or https on the
/// plain-HTTP service) is refused too.
#[tokio::test]
async fn other_hosts_and_origins_are_refused() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let sign_in = |host: &str, origin: &str| {
        reqwest::Client::new()
            .post(dash.url(<app::api::accounts::SignIn as ServerFn>::PATH))
            .header("host", host)
            .header("origin", origin)
            .form(&[
                ("email", dash.people.customer_a.as_str()),
                ("password", crate::common::PASSWORD),
                ("next", "/"),
            ])
            .send()
    };
    let own = dash.addr.to_string();
    let served = format!("http://{own}");
    let cases = [
        (own.as_str(), served.as_str(), StatusCode::OK),
        (
            own.as_str(),
            &*format!("https://{own}"),
            StatusCode::FORBIDDEN,
        ),
        (own.as_str(), "http://evil.example", StatusCode::FORBIDDEN),
        (
            "evil.example",
            "http://evil.example",
            StatusCode::MISDIRECTED_REQUEST,
        ),
        (
            &*format!("localhost:{}", dash.addr.port()),
            &*format!("http://localhost:{}", dash.addr.port()),
            StatusCode::OK,
        ),
    ];
    for (host, origin, expected) in cases {
        let r = sign_in(host, origin).await.expect("post");
        assert_eq!(r.status(), expected, "Host {host}, Origin {origin}");
    }
    // Reading pages under another name is refused too (a rebound page would read them).
    let r = dash
        .http
        .get(dash.url("/upcoming"))
        .header("host", "evil.example")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::MISDIRECTED_REQUEST);
}

/// Every typed field of the booking form has a length limit, refused at its own field (and so
/// never sent to AURA): contact names, mobiles, the zone; and the sign-in form's fields.
#[tokio::test]
async fn oversized_fields_are_refused_at_their_field() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let site = backend::db::sites_for_customer(&dash.state.db, dash.a.id)
        .await
        .expect("sites")[0]
        .id;
    let huge = "N".repeat(6_000);
    let mut oversized = draft("huge-contact", "Huge", site, 600);
    oversized.contacts[0].name = huge.clone();
    oversized.contacts.push(domain::ContactDraft {
        name: "Sam".into(),
        mobile: format!("+44 7700{}900123", " ".repeat(40)),
    });
    let err = book_as(&dash.http, &dash.url(""), &oversized)
        .await
        .expect_err("refused");
    let domain::error::AppError::Invalid(errors) = err else {
        panic!("not a field error: {err:?}")
    };
    assert_eq!(
        errors.get(domain::Field::ContactName(0)),
        Some("Keep the contact's name to 100 characters or fewer.")
    );
    assert!(errors.get(domain::Field::ContactMobile(1)).is_some());
    let mut zone = draft("huge-zone", "Huge zone", site, 600);
    zone.site_id = None;
    zone.address = "1 High St".into();
    zone.timezone = huge.clone();
    let err = book_as(&dash.http, &dash.url(""), &zone)
        .await
        .expect_err("refused");
    let domain::error::AppError::Invalid(errors) = err else {
        panic!("not a field error: {err:?}")
    };
    let message = errors.get(domain::Field::Timezone).expect("at the zone");
    assert!(message.len() < 200, "{message}");
    assert!(
        sb.control().await.requests.is_empty(),
        "nothing reached AURA"
    );
    // Signing in: refused at the field, before any password is checked.
    let r = dash
        .anonymous()
        .post(dash.url(<app::api::accounts::SignIn as ServerFn>::PATH))
        .form(&[
            ("email", format!("{huge}@x.example").as_str()),
            ("password", huge.as_str()),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

/// A burst of bookings for one customer: the first `bookings_per_minute` are saved and sent; the
/// rest are answered 429 with `Retry-After`, saved nowhere and never sent to AURA. Another customer
/// books meanwhile.
#[tokio::test]
async fn a_burst_of_bookings_is_stopped_before_aura() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = dashboard_booking_at_most(&sb, 5).await;
    let site = backend::db::sites_for_customer(&dash.state.db, dash.a.id)
        .await
        .expect("sites")[0]
        .id;
    let burst: Vec<_> = (0..12)
        .map(|i| {
            let (client, url) = (dash.http.clone(), dash.url(BookService::PATH));
            let d = draft(&format!("burst-{i}"), &format!("Burst {i}"), site, 600 + i);
            tokio::spawn(async move {
                let r = client
                    .post(url)
                    .json(&json!({ "draft": d }))
                    .send()
                    .await
                    .expect("post");
                let retry_after = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
                (r.status(), retry_after, i)
            })
        })
        .collect();
    let mut answers = Vec::new();
    for b in burst {
        answers.push(b.await.expect("task"));
    }
    let booked = answers.iter().filter(|(s, _, _)| s.is_success()).count();
    let refused: Vec<_> = answers
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!((booked, refused.len()), (5, 7), "{answers:?}");
    assert!(
        refused
            .iter()
            .all(|(_, wait, _)| wait.is_some_and(|w| (1..=60).contains(&w))),
        "{answers:?}"
    );
    let saved: i64 = raw!(&dash.state.db, |conn, d| sqlx::query_scalar(&d(
        "SELECT COUNT(*) FROM bookings WHERE customer_id = ?"
    ))
    .bind(dash.a.id)
    .fetch_one(conn)
    .await?)
    .expect("count");
    assert_eq!(saved, 5);
    assert_eq!(
        sb.control().await.requests.len(),
        5,
        "only those reached AURA"
    );
    // The same form again is not a new booking: still answered.
    let (_, _, first) = answers
        .iter()
        .find(|(s, _, _)| s.is_success())
        .expect("one booked");
    let again = draft(
        &format!("burst-{first}"),
        &format!("Burst {first}"),
        site,
        600 + first,
    );
    assert!(book_as(&dash.http, &dash.url(""), &again).await.is_ok());
    // Another customer is not held up.
    let b = dash.signed_in(&dash.people.customer_b).await;
    let b_site = backend::db::sites_for_customer(&dash.state.db, dash.b.id)
        .await
        .expect("sites")[0]
        .id;
    book_as(&b, &dash.url(""), &draft("b-1", "Bravo", b_site, 600))
        .await
        .expect("B books");
}
