//! The built-in AURA sandbox: a faithful local stand-in for the scheduled-services API, following
//! `docs/aura-contract.md` with the same wire types (`backend::aura::wire`) and the same domain rules
//! as the dashboard. State is in memory.
//!
//! Served standalone (`server sandbox --addr …`) at `/panic-api/v2/...`, or nested by the dashboard
//! under `/sandbox`. Control endpoints under `/_control/` serve tests and demos only.

mod checks;

pub use checks::{CheckedCreate, check_create};

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use backend::aura::wire::{
    AnswerShape, CreateScheduledRequest, ErrorBody, FlatAnswer, RequestStatus, ScheduledRequestDto,
    ScheduledRequestEnvelope, ServiceCatalog, TokenRequest, TokenResponse,
};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use domain::{Violation, check_timing};
use serde::{Deserialize, Serialize};

pub const DEFAULT_CLIENT_ID: &str = "sandbox-client";
pub const DEFAULT_CLIENT_SECRET: &str = "sandbox-secret";
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);

#[derive(Clone)]
pub struct SandboxConfig {
    pub client_id: String,
    pub client_secret: String,
    pub token_ttl: Duration,
    pub services: ServiceCatalog,
    /// List issued tokens in `_control/requests` (for the browser tests' secrets check only).
    pub expose_tokens: bool,
    /// Which documented shape create and cancel answers take.
    pub answer_shape: AnswerShape,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            client_id: DEFAULT_CLIENT_ID.into(),
            client_secret: DEFAULT_CLIENT_SECRET.into(),
            token_ttl: DEFAULT_TOKEN_TTL,
            services: ServiceCatalog::default(),
            expose_tokens: false,
            answer_shape: AnswerShape::default(),
        }
    }
}

/// How many issued tokens the sandbox remembers for tests.
const MAX_ISSUED_KEPT: usize = 1000;

/// Counts of calls received, by kind, as `_control/requests` reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallCounts {
    pub token: u64,
    pub create: u64,
    pub cancel: u64,
}

/// A fault for the next `count` matching calls. `answer` (the default) answers `status` without
/// doing anything; the others do the work first and then lose or spoil the answer, as a network or
/// a faulty AURA would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// "token", "create", "cancel" or "any".
    pub operation: String,
    #[serde(default)]
    pub mode: FaultMode,
    /// For `answer`: the status to answer (default 503).
    #[serde(default = "unavailable")]
    pub status: u16,
    /// For `answer` with 429 or 503: the `Retry-After` header, in seconds.
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// For `delay`: how long to hold the answer back, in milliseconds.
    #[serde(default)]
    pub delay_ms: u64,
    #[serde(default = "one")]
    pub count: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultMode {
    /// Answer `status` instead; nothing is done.
    #[default]
    Answer,
    /// Do the work, then answer only after `delay_ms`.
    Delay,
    /// Do the work, then break the connection before the answer is complete.
    Drop,
    /// Do the work, then answer 2xx with a body that is not JSON.
    Garbage,
    /// Do nothing: hold the call for `delay_ms`, then answer 503 (a stalled AURA whose caller gave
    /// up waiting cannot know that nothing was done).
    Stall,
}

fn one() -> u32 {
    1
}

fn unavailable() -> u16 {
    503
}

/// What `GET _control/requests` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlSnapshot {
    pub requests: Vec<ScheduledRequestDto>,
    pub calls: CallCounts,
    /// Every access token handed out, so tests can check none leaks into pages or logs. Empty unless
    /// the sandbox was started with `AURA_SANDBOX_EXPOSE_TOKENS=1`.
    #[serde(default)]
    pub tokens: Vec<String>,
}

struct StoredRequest {
    dto: ScheduledRequestDto,
    schedule: domain::Schedule,
    tz: Tz,
}

#[derive(Default)]
struct Data {
    shape: Option<AnswerShape>,
    tokens: HashMap<String, Instant>,
    /// Every token ever issued, expired ones included.
    issued: Vec<String>,
    /// In creation order.
    requests: Vec<StoredRequest>,
    calls: CallCounts,
    faults: Vec<Fault>,
}

impl Data {
    fn request_mut(&mut self, id: &str) -> Option<&mut StoredRequest> {
        self.requests.iter_mut().find(|r| r.dto.id == id)
    }
}

#[derive(Clone)]
pub struct Sandbox {
    config: Arc<SandboxConfig>,
    data: Arc<Mutex<Data>>,
}

impl Sandbox {
    pub fn new(config: SandboxConfig) -> Self {
        tracing::info!(
            client_id = %config.client_id,
            token_ttl_secs = config.token_ttl.as_secs(),
            "AURA sandbox ready; its state is in memory only and is lost when the server stops"
        );
        Sandbox {
            config: Arc::new(config),
            data: Arc::new(Mutex::new(Data::default())),
        }
    }

    fn data(&self) -> MutexGuard<'_, Data> {
        // A panic while holding the lock cannot leave the maps half-written in a harmful way.
        self.data
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes in a request AURA already accepted under `id` (no lead-time check): how the embedded
    /// sandbox, whose memory starts empty, learns the bookings the dashboard's database says it holds.
    pub fn adopt(&self, id: &str, slug: &str, body: CreateScheduledRequest) -> Result<(), String> {
        if self.config.services.by_slug(slug).is_none() {
            return Err(format!("unknown service slug {slug}"));
        }
        let checked = check_create(&body).map_err(|v| v.message())?;
        let tz = checked
            .timezone
            .parse::<Tz>()
            .map_err(|_| format!("unknown zone {}", checked.timezone))?;
        let mut data = self.data();
        if data.requests.iter().any(|r| r.dto.id == id) {
            return Ok(());
        }
        data.requests.push(StoredRequest {
            dto: ScheduledRequestDto {
                id: id.to_string(),
                service_type: slug.to_string(),
                customer_id: body.customer_id,
                status: RequestStatus::Scheduled,
                next_occurrence: None,
                scheduled_request_config: body.scheduled_request_config,
                initial_location: body.initial_location,
            },
            schedule: checked.schedule,
            tz,
        });
        Ok(())
    }

    /// Every token issued so far (in-process tests; HTTP shows them only with `expose_tokens`).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.data().issued.clone()
    }

    pub fn snapshot(&self) -> ControlSnapshot {
        let now = Utc::now();
        let data = self.data();
        ControlSnapshot {
            requests: data.requests.iter().map(|r| current_dto(r, now)).collect(),
            calls: data.calls.clone(),
            tokens: if self.config.expose_tokens {
                data.issued.clone()
            } else {
                Vec::new()
            },
        }
    }
}

fn current_dto(r: &StoredRequest, now: DateTime<Utc>) -> ScheduledRequestDto {
    let mut dto = r.dto.clone();
    dto.next_occurrence = match dto.status {
        RequestStatus::Scheduled => r.schedule.next_occurrence(&r.tz, now),
        RequestStatus::Cancelled => None,
    };
    dto
}

/// The API and control routes, relative to where the sandbox is mounted.
pub fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/panic-api/v2/oauth/token", post(token))
        .route(
            "/panic-api/v2/scheduled/{segment}",
            post(create).delete(cancel),
        )
        .route("/_control/requests", get(control_requests))
        .route("/_control/faults", post(control_fault))
        .route("/_control/faults/clear", post(control_clear_faults))
        .route("/_control/expire-tokens", post(control_expire_tokens))
        .route("/_control/revoke-tokens", post(control_revoke_tokens))
        .route("/_control/shape", post(control_shape))
        .with_state(sandbox)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(ErrorBody::new(message))).into_response()
}

fn bad_request(v: &Violation) -> Response {
    error(StatusCode::BAD_REQUEST, v.message())
}

/// The fault pending for this operation, if any (used up one call at a time).
fn take_fault(data: &mut Data, operation: &str) -> Option<Fault> {
    let i = data
        .faults
        .iter()
        .position(|f| f.operation == operation || f.operation == "any")?;
    let fault = &mut data.faults[i];
    fault.count = fault.count.saturating_sub(1);
    let taken = fault.clone();
    if fault.count == 0 {
        data.faults.remove(i);
    }
    Some(taken)
}

/// The answer an `answer` fault gives instead of doing the work.
fn fault_answer(fault: &Fault) -> Response {
    let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut response = error(
        status,
        format!("Injected sandbox fault: HTTP {}", status.as_u16()),
    );
    let retry_after = fault
        .retry_after
        .or((status == StatusCode::TOO_MANY_REQUESTS).then_some(1));
    if let Some(seconds) = retry_after
        && let Ok(value) = header::HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Spoils or delays an answer after the work was done, as the fault says.
async fn after_work(fault: Option<Fault>, response: Response) -> Response {
    let Some(fault) = fault else {
        return response;
    };
    match fault.mode {
        FaultMode::Answer | FaultMode::Stall => response,
        FaultMode::Delay => {
            tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
            response
        }
        FaultMode::Drop => {
            // Headers go out, then the body fails: the connection is cut mid-answer.
            let broken = futures_util::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped by fault"))
            });
            (
                response.status(),
                [(header::CONTENT_TYPE, "application/json")],
                axum::body::Body::from_stream(broken),
            )
                .into_response()
        }
        FaultMode::Garbage => (
            response.status(),
            [(header::CONTENT_TYPE, "application/json")],
            "<html><body>502 Bad Gateway</body></html>",
        )
            .into_response(),
    }
}

/// A fault taken for an operation: answered at once (`answer`), or kept to apply after the work.
enum Pending {
    AnswerNow(Response),
    Stall(Fault),
    After(Option<Fault>),
}

fn pending_fault(data: &mut Data, operation: &str) -> Pending {
    match take_fault(data, operation) {
        Some(f) if f.mode == FaultMode::Answer => Pending::AnswerNow(fault_answer(&f)),
        Some(f) if f.mode == FaultMode::Stall => Pending::Stall(f),
        other => Pending::After(other),
    }
}

/// Holds the call, then answers 503 without having done anything.
async fn stall(fault: &Fault) -> Response {
    tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "Injected sandbox fault: stalled",
    )
}

async fn token(State(sb): State<Sandbox>, body: Bytes) -> Response {
    handle(&sb, "token", None, || issue_token(&sb, &body)).await
}

/// One API call: counted, its bearer token checked (all but the token call), then done — or
/// answered, delayed, cut or spoilt as a pending fault says.
async fn handle(
    sb: &Sandbox,
    operation: &str,
    headers: Option<&HeaderMap>,
    work: impl FnOnce() -> Response,
) -> Response {
    let pending = {
        let mut data = sb.data();
        match operation {
            "token" => data.calls.token += 1,
            "create" => data.calls.create += 1,
            _ => data.calls.cancel += 1,
        }
        if let Some(headers) = headers
            && let Err(why) = authorize(&data, headers)
        {
            return error(StatusCode::UNAUTHORIZED, why);
        }
        pending_fault(&mut data, operation)
    };
    match pending {
        Pending::AnswerNow(response) => response,
        Pending::Stall(fault) => stall(&fault).await,
        Pending::After(fault) => after_work(fault, work()).await,
    }
}

fn issue_token(sb: &Sandbox, body: &[u8]) -> Response {
    let mut data = sb.data();
    let Ok(request) = serde_json::from_slice::<TokenRequest>(body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Body must be JSON with clientId and clientSecret.",
        );
    };
    if request.client_id != sb.config.client_id || request.client_secret != sb.config.client_secret
    {
        return error(StatusCode::UNAUTHORIZED, "Invalid client credentials.");
    }
    let value = format!("sbx.{}", uuid::Uuid::new_v4().simple());
    let now = Instant::now();
    data.tokens.retain(|_, expires| *expires > now);
    data.tokens.insert(value.clone(), now + sb.config.token_ttl);
    if data.issued.len() < MAX_ISSUED_KEPT {
        data.issued.push(value.clone());
    }
    let body = TokenResponse {
        access_token: value,
        token_type: Some("Bearer".into()),
        expires_in: sb.config.token_ttl.as_secs(),
    };
    (StatusCode::OK, Json(body)).into_response()
}

/// Why a call gets 401, unless its bearer token is one this sandbox issued and it has not expired.
fn authorize(data: &Data, headers: &HeaderMap) -> Result<(), &'static str> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or("Missing bearer token.")?;
    match data.tokens.get(token) {
        Some(expires) if *expires > Instant::now() => Ok(()),
        Some(_) => Err("Token expired."),
        None => Err("Invalid token."),
    }
}

async fn create(
    State(sb): State<Sandbox>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(&sb, "create", Some(&headers), || {
        create_request(&sb, slug, &body)
    })
    .await
}

fn create_request(sb: &Sandbox, slug: String, body: &[u8]) -> Response {
    if sb.config.services.by_slug(&slug).is_none() {
        return bad_request(&Violation::ServiceTypeUnknown(slug));
    }
    let request: CreateScheduledRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("Body is not a valid scheduled request: {e}"),
            );
        }
    };
    let checked = match check_create(&request) {
        Ok(c) => c,
        Err(v) => return bad_request(&v),
    };
    let Ok(tz) = checked.timezone.parse::<Tz>() else {
        return bad_request(&Violation::TimezoneUnknown(checked.timezone));
    };
    let now = Utc::now();
    if let Err(v) = check_timing(&checked.schedule, &tz, now) {
        return bad_request(&v);
    }
    let mut data = sb.data();
    let shape = data.shape.unwrap_or(sb.config.answer_shape);
    // Random, so ids never repeat across restarts of an in-memory sandbox. The reference page
    // shows a UUID; the concept page an opaque string.
    let uuid = uuid::Uuid::new_v4();
    let id = match shape {
        AnswerShape::Envelope => format!("sr_{}", uuid.simple()),
        AnswerShape::Reference => uuid.to_string(),
    };
    let stored = StoredRequest {
        dto: ScheduledRequestDto {
            id: id.clone(),
            service_type: slug,
            customer_id: request.customer_id,
            status: RequestStatus::Scheduled,
            next_occurrence: None,
            scheduled_request_config: request.scheduled_request_config,
            initial_location: request.initial_location,
        },
        schedule: checked.schedule,
        tz,
    };
    let dto = current_dto(&stored, now);
    data.requests.push(stored);
    answer(
        StatusCode::CREATED,
        shape,
        "Scheduled request created.",
        dto,
    )
}

/// A create or cancel answer in the configured shape.
fn answer(
    status: StatusCode,
    shape: AnswerShape,
    message: &str,
    dto: ScheduledRequestDto,
) -> Response {
    match shape {
        AnswerShape::Envelope => (
            status,
            Json(ScheduledRequestEnvelope {
                message: message.into(),
                scheduled_request: dto,
            }),
        )
            .into_response(),
        AnswerShape::Reference => (
            status,
            Json(FlatAnswer {
                id: dto.id,
                status: dto.status,
            }),
        )
            .into_response(),
    }
}

async fn cancel(State(sb): State<Sandbox>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    handle(&sb, "cancel", Some(&headers), || cancel_request(&sb, &id)).await
}

fn cancel_request(sb: &Sandbox, id: &str) -> Response {
    let now = Utc::now();
    let mut data = sb.data();
    let shape = data.shape.unwrap_or(sb.config.answer_shape);
    let Some(stored) = data.request_mut(id) else {
        // AURA tends to answer unknown references with 400, not 404 [model].
        return error(
            StatusCode::BAD_REQUEST,
            format!("No scheduled request with id {id}."),
        );
    };
    if stored.dto.status == RequestStatus::Cancelled {
        return error(
            StatusCode::CONFLICT,
            format!("Scheduled request {id} is already cancelled."),
        );
    }
    stored.dto.status = RequestStatus::Cancelled;
    let dto = current_dto(stored, now);
    answer(StatusCode::OK, shape, "Scheduled request cancelled.", dto)
}

async fn control_requests(State(sb): State<Sandbox>) -> Json<ControlSnapshot> {
    Json(sb.snapshot())
}

async fn control_fault(State(sb): State<Sandbox>, Json(fault): Json<Fault>) -> StatusCode {
    sb.data().faults.push(fault);
    StatusCode::NO_CONTENT
}

async fn control_expire_tokens(State(sb): State<Sandbox>) -> StatusCode {
    let past = Instant::now();
    for expires in sb.data().tokens.values_mut() {
        *expires = past;
    }
    StatusCode::NO_CONTENT
}

/// Forgets every token it issued, as AURA revoking them would: the next call with one gets 401.
async fn control_revoke_tokens(State(sb): State<Sandbox>) -> StatusCode {
    sb.data().tokens.clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct ShapeChoice {
    shape: AnswerShape,
}

/// Switches the answer shape from now on (tests run the contract in both).
async fn control_shape(State(sb): State<Sandbox>, Json(choice): Json<ShapeChoice>) -> StatusCode {
    sb.data().shape = Some(choice.shape);
    StatusCode::NO_CONTENT
}

/// Drops every pending fault.
async fn control_clear_faults(State(sb): State<Sandbox>) -> StatusCode {
    sb.data().faults.clear();
    StatusCode::NO_CONTENT
}
