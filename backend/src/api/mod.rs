//! The public REST API's flows (`/api/v1`): a key acts for its customer through the same flows as
//! the pages (booking, cancelling, sites), so the API and the pages cannot disagree. What the API
//! adds is its own: keys (`keys`), idempotent POSTs (`idempotency`), webhook endpoints (`hooks`),
//! and errors as RFC 9457 problem details ([`ApiError::problem`]).

use chrono::{DateTime, NaiveDate, Utc};

use crate::auth::Viewer;
use crate::bookings;
use crate::db::{self, BookingFilter, CustomerRow};
use crate::error::ServerError;
use crate::sites::{SiteInput, save_site};
use crate::state::AppState;
use domain::api::{self, FieldProblem, Problem, Scope, field_name};
use domain::error::AppError;
use domain::model::{Outcome, SyncStatus};
use domain::{BookingDraft, ContactDraft, ServiceType, local_date_span};

pub mod hooks;
pub mod idempotency;
pub mod keys;

/// The most bookings one page lists, and how many unless asked.
pub const MAX_PAGE: i64 = 100;
pub const DEFAULT_PAGE: i64 = 50;
/// The most windows one answer lists, and the longest range it covers.
pub const MAX_WINDOWS: usize = 1000;
pub const MAX_RANGE_DAYS: i64 = 366;
/// How many of a booking's next windows its detail lists.
pub const NEXT_WINDOWS: usize = 10;

/// The API's settings, and the webhook worker's bell.
#[derive(Debug)]
pub struct ApiConfig {
    /// `API_RATE_PER_MINUTE`: requests one key may make per minute, across every process.
    pub rate_per_minute: u32,
    /// `WEBHOOK_ALLOW_PRIVATE=1`: webhooks may go to loopback, private and link-local addresses.
    pub allow_private_hooks: bool,
    wake: std::sync::Arc<tokio::sync::Notify>,
}

impl ApiConfig {
    pub fn new(rate_per_minute: u32, allow_private_hooks: bool) -> Self {
        ApiConfig {
            rate_per_minute,
            allow_private_hooks,
            wake: Default::default(),
        }
    }

    /// Tells this process's webhook worker there is something to send now.
    pub fn wake_hooks(&self) {
        self.wake.notify_one();
    }

    pub fn bell(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.wake.clone()
    }
}

/// Why an API request was not done; each becomes a problem document.
#[derive(Debug)]
pub enum ApiError {
    /// What the flows say (their refusals are the pages' own).
    Server(ServerError),
    /// Query parameters or a body that could not be read, each with where.
    Params(Vec<FieldProblem>),
    /// The key was not accepted.
    Key(keys::KeyRefusal),
    /// The key lacks this scope.
    Scope(Scope),
    /// The same `Idempotency-Key` came with another body.
    KeyReused,
    /// The first request with this `Idempotency-Key` is still being answered.
    InProgress,
    /// No such route.
    NoRoute,
}

impl From<ServerError> for ApiError {
    fn from(e: ServerError) -> Self {
        ApiError::Server(e)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError::Server(e.into())
    }
}

impl From<db::DbError> for ApiError {
    fn from(e: db::DbError) -> Self {
        ApiError::Server(e.into())
    }
}

/// One parameter's problem.
pub fn param(field: &str, detail: impl Into<String>) -> ApiError {
    ApiError::Params(vec![FieldProblem {
        field: field.into(),
        detail: detail.into(),
    }])
}

fn problem(status: u16, kind: &str, title: &str, detail: String) -> Problem {
    Problem {
        kind: format!("/api/v1/problems/{kind}"),
        title: title.into(),
        status,
        detail,
        errors: Vec::new(),
    }
}

impl ApiError {
    /// The problem document, and how long to wait before trying again (429).
    pub fn problem(self) -> (Problem, Option<u64>) {
        use keys::KeyRefusal;
        match self {
            ApiError::Params(errors) => (
                Problem {
                    errors,
                    ..problem(
                        400,
                        "invalid-request",
                        "The request could not be read",
                        "Some parameters or body fields are malformed; see errors.".into(),
                    )
                },
                None,
            ),
            ApiError::Key(KeyRefusal::Busy(wait)) => (
                problem(
                    429,
                    "rate-limited",
                    "Too many requests",
                    KeyRefusal::Busy(wait).detail(),
                ),
                Some(wait),
            ),
            ApiError::Key(refusal) => (
                problem(
                    401,
                    "unauthorized",
                    "No valid API key",
                    refusal.detail(),
                ),
                None,
            ),
            ApiError::Scope(scope) => (
                problem(
                    403,
                    "forbidden",
                    "Not allowed for this key",
                    format!("This key lacks the \"{scope}\" scope."),
                ),
                None,
            ),
            ApiError::KeyReused => (
                problem(
                    422,
                    "idempotency-key-reused",
                    "Idempotency-Key reused",
                    "This Idempotency-Key was used with another request body. Use a new key for a new request.".into(),
                ),
                None,
            ),
            ApiError::InProgress => (
                problem(
                    409,
                    "idempotency-key-in-use",
                    "Request in progress",
                    "The first request with this Idempotency-Key is still being answered; try again in a moment.".into(),
                ),
                Some(1),
            ),
            ApiError::NoRoute => (
                problem(
                    404,
                    "not-found",
                    "Not found",
                    "There is no such API operation; see /api/v1/openapi.json.".into(),
                ),
                None,
            ),
            ApiError::Server(e) => {
                let wait = match &e {
                    ServerError::Wait { wait, .. } => Some(wait.as_secs().max(1)),
                    _ => None,
                };
                (app_problem(e.reported()), wait)
            }
        }
    }
}

/// A flow's refusal as a problem: a rule broken is 422 with each field, as the pages word it.
fn app_problem(e: AppError) -> Problem {
    let detail = e.to_string();
    match e {
        AppError::Invalid(fields) => Problem {
            errors: fields
                .0
                .iter()
                .map(|f| FieldProblem {
                    field: field_name(f.field),
                    detail: f.message.clone(),
                })
                .collect(),
            ..problem(422, "invalid-fields", "Some fields need attention", detail)
        },
        AppError::BadRequest(_) => problem(400, "invalid-request", "Malformed request", detail),
        AppError::NotFound(_) => problem(404, "not-found", "Not found", detail),
        AppError::Unauthorized => problem(401, "unauthorized", "No valid API key", detail),
        AppError::Forbidden(_) => problem(403, "forbidden", "Not allowed", detail),
        AppError::TooManyAttempts(_) => problem(429, "rate-limited", "Too many requests", detail),
        AppError::Conflict(_) => problem(409, "conflict", "Not possible now", detail),
        // AURA's refusal of an action: the state it is in does not allow it.
        AppError::Aura(_) => problem(409, "refused-by-aura", "Refused by AURA", detail),
        AppError::Internal | AppError::Transport(_) => {
            problem(500, "internal", "Something went wrong on our side", detail)
        }
    }
}

/// The customer a key acts for.
pub fn customer(viewer: &Viewer) -> Result<&CustomerRow, ApiError> {
    Ok(viewer.acting_customer(None)?)
}

/// Refuses unless the key has `scope`.
pub fn require(scopes: &[Scope], scope: Scope) -> Result<(), ApiError> {
    if scopes.contains(&scope) {
        Ok(())
    } else {
        Err(ApiError::Scope(scope))
    }
}

/// The booking list's query, as sent.
#[derive(Debug, Default)]
pub struct ListParams<'a> {
    pub status: Option<&'a str>,
    pub service: Option<&'a str>,
    pub site: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub cursor: Option<&'a str>,
    pub limit: Option<&'a str>,
}

fn read_date(field: &str, text: &str, problems: &mut Vec<FieldProblem>) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(d) if text.len() == 10 => Some(d),
        _ => {
            problems.push(FieldProblem {
                field: field.into(),
                detail: "A date as YYYY-MM-DD.".into(),
            });
            None
        }
    }
}

fn read_id(field: &str, text: &str, problems: &mut Vec<FieldProblem>) -> Option<i64> {
    match text.parse::<i64>() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            problems.push(FieldProblem {
                field: field.into(),
                detail: "A positive whole number.".into(),
            });
            None
        }
    }
}

/// A page of the key's customer's bookings, newest first.
pub async fn list_bookings(
    state: &AppState,
    viewer: &Viewer,
    params: &ListParams<'_>,
) -> Result<api::BookingList, ApiError> {
    let customer = customer(viewer)?;
    let mut problems = Vec::new();
    let mut filter = BookingFilter::default();
    for word in params.status.map(|s| s.split(',')).into_iter().flatten() {
        match word.trim().parse::<SyncStatus>() {
            Ok(s) => filter.statuses.push(s),
            Err(_) => problems.push(FieldProblem {
                field: "status".into(),
                detail: format!(
                    "Statuses are {}.",
                    SyncStatus::ALL.map(|s| s.key()).join(", ")
                ),
            }),
        }
    }
    if let Some(service) = params.service {
        match service.parse::<ServiceType>() {
            Ok(s) => filter.service = Some(s),
            Err(_) => problems.push(FieldProblem {
                field: "service".into(),
                detail: format!(
                    "Services are {}.",
                    ServiceType::ALL.map(|s| s.key()).join(", ")
                ),
            }),
        }
    }
    filter.site = params.site.and_then(|s| read_id("site", s, &mut problems));
    filter.from = params
        .from
        .and_then(|s| read_date("from", s, &mut problems));
    filter.to = params.to.and_then(|s| read_date("to", s, &mut problems));
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && to < from
    {
        problems.push(FieldProblem {
            field: "to".into(),
            detail: "The range ends before it starts.".into(),
        });
    }
    let before = params
        .cursor
        .and_then(|s| read_id("cursor", s, &mut problems));
    let limit = match params.limit {
        None => DEFAULT_PAGE,
        Some(text) => match text.parse::<i64>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                problems.push(FieldProblem {
                    field: "limit".into(),
                    detail: format!("From 1 to {MAX_PAGE}."),
                });
                DEFAULT_PAGE
            }
        },
    };
    if !problems.is_empty() {
        return Err(ApiError::Params(problems));
    }
    let mut rows = db::bookings_page(&state.db, customer.id, &filter, before, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = more
        .then(|| rows.last().map(|b| b.id.to_string()))
        .flatten();
    Ok(api::BookingList {
        bookings: rows.iter().map(db::Booking::to_api).collect(),
        next_cursor,
    })
}

async fn booking_of(state: &AppState, viewer: &Viewer, id: i64) -> Result<db::Booking, ApiError> {
    db::booking_in_scope(&state.db, &viewer.scope(), id)
        .await?
        .ok_or_else(|| AppError::NotFound("No such booking.".into()).into())
}

fn window_of(booking: &db::Booking, o: &domain::Occurrence) -> api::Window {
    api::Window {
        booking_id: booking.id,
        name: booking.name.clone(),
        service_type: booking.service_type,
        status: booking.status,
        opens: o.opens,
        closes: o.closes,
        local_date: o.local_date,
        time_zone: booking.zone.name().to_string(),
    }
}

/// A booking with its next windows and its history.
pub async fn booking_detail(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    now: DateTime<Utc>,
) -> Result<api::BookingWithHistory, ApiError> {
    let booking = booking_of(state, viewer, id).await?;
    let next_windows = if booking.status.is_active() {
        booking
            .schedule
            .occurrences_from(booking.zone.tz(), now)
            .filter(|o| o.closes > now)
            .take(NEXT_WINDOWS)
            .map(|o| window_of(&booking, &o))
            .collect()
    } else {
        Vec::new()
    };
    let history = db::events_of_booking(&state.db, id)
        .await?
        .into_iter()
        .map(|e| api::HistoryEntry {
            at: e.at,
            kind: e.kind,
            label: e.kind.label().to_string(),
            by: e.actor,
            on_behalf_of: e.on_behalf_of,
            detail: e.detail,
        })
        .collect();
    Ok(api::BookingWithHistory {
        booking: booking.to_api(),
        next_windows,
        history,
    })
}

/// The booking form's draft for an API body: the same checks then run on it as on the page's.
pub fn draft_of(body: &api::NewBooking, customer_id: i64, form_key: String) -> BookingDraft {
    let location = body.location.as_ref();
    let number = |n: Option<f64>| n.map(|v| v.to_string()).unwrap_or_default();
    BookingDraft {
        idempotency_key: form_key,
        customer_id: Some(customer_id),
        service_type: Some(body.service_type),
        name: body.name.clone(),
        special_instructions: body.special_instructions.clone().unwrap_or_default(),
        number_of_guards: body.details.number_of_guards.to_string(),
        armed_preference: body.details.armed_preference,
        contacts: body
            .details
            .contacts
            .iter()
            .map(|c| ContactDraft {
                name: c.name.clone(),
                mobile: c.mobile.clone(),
            })
            .collect(),
        site_id: body.site_id,
        address: location
            .and_then(|l| l.formatted_address.clone())
            .unwrap_or_default(),
        latitude: number(location.and_then(|l| l.latitude)),
        longitude: number(location.and_then(|l| l.longitude)),
        timezone: location.map(|l| l.time_zone.clone()).unwrap_or_default(),
        first_date: body.date_from.format("%Y-%m-%d").to_string(),
        last_date: body.date_to.format("%Y-%m-%d").to_string(),
        repeat: body.repeats.kind,
        days: body.repeats.days.iter().map(|d| (*d).into()).collect(),
        start_time: body.repeats.start_time.clone(),
        window_minutes: body.repeats.window_minutes.to_string(),
        unlock_time: body.unlock_time.clone().unwrap_or_default(),
    }
}

/// Books through the page's flow; the booking as it stands once AURA answered (or not).
pub async fn create_booking(
    state: &AppState,
    viewer: &Viewer,
    body: &api::NewBooking,
    form_key: String,
    now: DateTime<Utc>,
) -> Result<api::Booking, ApiError> {
    let customer = customer(viewer)?.id;
    if body.site_id.is_some() && body.location.is_some() {
        return Err(param("location", "Give siteId or location, not both."));
    }
    let draft = draft_of(body, customer, form_key);
    let result = bookings::book(state, viewer, &draft, now).await?;
    Ok(booking_of(state, viewer, result.booking_id).await?.to_api())
}

/// Cancels through the page's flow; the booking as it stands after.
pub async fn cancel_booking(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<api::Booking, ApiError> {
    bookings::cancel(state, viewer, id, reason, now).await?;
    Ok(booking_of(state, viewer, id).await?.to_api())
}

/// Changes a booking to the version `body` describes, through the page's flow.
pub async fn change_booking(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    body: &api::NewBooking,
    form_key: String,
    now: DateTime<Utc>,
) -> Result<api::ChangeResult, ApiError> {
    let customer = customer(viewer)?.id;
    if body.site_id.is_some() && body.location.is_some() {
        return Err(param("location", "Give siteId or location, not both."));
    }
    if body.unlock_time.is_some() {
        return Err(param(
            "unlockTime",
            "A change makes one booking: change a lock's unlock on its own.",
        ));
    }
    let draft = draft_of(body, customer, form_key);
    let outcome = bookings::change_booking(state, viewer, id, &draft, now).await?;
    change_result(state, viewer, &outcome).await
}

/// Skips dates of a booking through the page's flow.
pub async fn skip_dates(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    body: &api::SkipBody,
    form_key: String,
    now: DateTime<Utc>,
) -> Result<api::ChangeResult, ApiError> {
    let ask = bookings::SkipAsk {
        from: &body.from,
        to: &body.to,
        key: &form_key,
        also_pair: false,
    };
    let outcome = bookings::skip_dates(state, viewer, id, &ask, now).await?;
    change_result(state, viewer, &outcome).await
}

/// A change and its bookings as they stand now.
async fn change_result(
    state: &AppState,
    viewer: &Viewer,
    outcome: &Outcome,
) -> Result<api::ChangeResult, ApiError> {
    let Outcome::ChangeAsked { change_id, .. } = outcome else {
        return Err(ApiError::Server(ServerError::internal(
            "a change answered with another outcome",
        )));
    };
    let mut tx = state.db.begin().await.map_err(ServerError::from)?;
    let change = db::change_by_id(&mut tx, *change_id)
        .await
        .map_err(ServerError::from)?
        .ok_or_else(|| ServerError::internal(format!("change {change_id} vanished")))?;
    drop(tx);
    let mut bookings = Vec::new();
    for id in std::iter::once(change.booking_id).chain(change.parts.iter().copied()) {
        bookings.push(booking_of(state, viewer, id).await?.to_api());
    }
    Ok(api::ChangeResult {
        change: change.to_api(),
        bookings,
    })
}

pub async fn list_sites(state: &AppState, viewer: &Viewer) -> Result<api::SiteList, ApiError> {
    let customer = customer(viewer)?;
    let sites = db::sites_for_customer(&state.db, customer.id).await?;
    Ok(api::SiteList {
        sites: sites.iter().map(db::SiteRow::to_api).collect(),
    })
}

/// Saves a site through the page's flow.
pub async fn create_site(
    state: &AppState,
    viewer: &Viewer,
    body: &api::NewSite,
    now: DateTime<Utc>,
) -> Result<api::Site, ApiError> {
    let customer = customer(viewer)?.id;
    let number = |n: Option<f64>| n.map(|v| v.to_string()).unwrap_or_default();
    let input = SiteInput {
        name: &body.name,
        address: body.location.formatted_address.as_deref().unwrap_or(""),
        latitude: &number(body.location.latitude),
        longitude: &number(body.location.longitude),
        timezone: &body.location.time_zone,
    };
    Ok(save_site(state, viewer, customer, &input, now)
        .await?
        .to_api())
}

/// The windows from `from` to `to` (days in the customer's zone; default: the next 30 days), as
/// the calendar shows them (refused and lapsed ones until acknowledged), soonest first.
pub async fn windows(
    state: &AppState,
    viewer: &Viewer,
    from: Option<&str>,
    to: Option<&str>,
    now: DateTime<Utc>,
) -> Result<api::WindowList, ApiError> {
    let customer = customer(viewer)?;
    let tz = customer.default_timezone.tz();
    let mut problems = Vec::new();
    let from = from.and_then(|s| read_date("from", s, &mut problems));
    let to = to.and_then(|s| read_date("to", s, &mut problems));
    if !problems.is_empty() {
        return Err(ApiError::Params(problems));
    }
    let first = from.unwrap_or_else(|| now.with_timezone(tz).date_naive());
    let last = to.unwrap_or_else(|| first + chrono::Duration::days(29));
    if last < first {
        return Err(param("to", "The range ends before it starts."));
    }
    if (last - first).num_days() >= MAX_RANGE_DAYS {
        return Err(param(
            "to",
            format!("At most {MAX_RANGE_DAYS} days at once."),
        ));
    }
    let (start, end) = local_date_span(tz, first, last);
    let end = end + chrono::Duration::seconds(1);
    let scope = db::CustomerScope::Only(vec![customer.id]);
    let bookings = db::shown_bookings_between(&state.db, &scope, start, end).await?;
    let (listed, truncated) = crate::blocking::EXPANSION
        .run(move || {
            let mut found =
                crate::windows::soonest_windows(&bookings, start, end, MAX_WINDOWS + 1, |o| {
                    o.opens >= start
                });
            let truncated = found.len() > MAX_WINDOWS;
            found.truncate(MAX_WINDOWS);
            let listed: Vec<api::Window> = found
                .iter()
                .map(|(i, o)| window_of(&bookings[*i], o))
                .collect();
            (listed, truncated)
        })
        .await?;
    Ok(api::WindowList {
        windows: listed,
        truncated,
    })
}
