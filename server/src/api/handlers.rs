//! The API's operations: each reads what it was sent (typed; what is wrong is named), checks the
//! key's scope, and calls the same flow as the page that does the same thing.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use backend::AppState;
use backend::api::idempotency::{self, Begun};
use backend::api::{self, ApiError, ListParams, param};
use domain::ServiceType;
use domain::api::{
    Booking, BookingList, BookingWithHistory, CancelBody, ChangeResult, DeliveryList, HookPayload,
    NewBooking, NewSite, NewWebhook, Problem, Scope, Site, SiteList, SkipBody, Webhook,
    WebhookList, WindowList,
};
use utoipa::openapi::OpenApi;

use super::{API_PREFIX, ApiProblem, Key, read_body};

/// The document's fixed part: what the API is, and how to authenticate.
pub fn base_document() -> OpenApi {
    use utoipa::openapi::{InfoBuilder, OpenApiBuilder, Tag};
    let mut tags = Vec::new();
    for (name, what) in [
        (
            "bookings",
            "Scheduled security services: book, list, read and cancel.",
        ),
        ("sites", "The customer's saved sites."),
        ("windows", "The service windows the calendar shows."),
        (
            "webhooks",
            "Endpoints that receive signed events (Standard Webhooks).",
        ),
    ] {
        let mut tag = Tag::new(name);
        tag.description = Some(what.into());
        tags.push(tag);
    }
    let mut document = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("AURA dashboard API")
                .version("1")
                .description(Some(DESCRIPTION))
                .build(),
        )
        .tags(Some(tags))
        .build();
    document.merge(<Schemas as utoipa::OpenApi>::openapi());
    document
}

const DESCRIPTION: &str = "Book, list and cancel scheduled security services with AURA through the dashboard, as the pages do: a key acts for exactly one customer, with the same rules as the pages (the same checks, the same refusals, the same statuses).

Authenticate with `Authorization: Bearer KEY`. Keys have scopes: `read`, `book`, `cancel`, `webhooks`. A key may make a limited number of requests per minute (429 with `Retry-After` beyond it).

POSTs take an `Idempotency-Key` header: a repeat with the same key and body gets the first answer again (for 24 hours); with another body, 422.

Errors are RFC 9457 problem details (`application/problem+json`); `errors` names each field that is wrong, as `dateFrom` or `details.contacts[0].mobile`.

A booking's `status` is where it stands with AURA: `saved`, `sending`, `not_sent` (retrying), `unknown` (AURA may hold it; a person checks), `confirmed`, `rejected` (refused by AURA), `lapsed` (not sent before its first window), `cancelling`, `cancelled`. `outcome` is the calendar's class of it.

Webhooks (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`) report each change of a booking's state once, whichever door it came through (a page, the API, the dashboard's worker): `booking.created`, `booking.confirmed`, `booking.refused`, `booking.lapsed`, `booking.unknown`, `booking.resolved`, `booking.cancelled`. Each carries the booking, its cause and a version that grows with every change. Delivery is at least once: a receiver keeps the `webhook-id`s it has seen.";

fn answered(status: StatusCode, location: String, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(&location) {
        headers.insert(header::LOCATION, value);
    }
    response
}

/// A query string's parameters (first of each name; bad encoding is kept as replacement
/// characters, which then fail the parameter's own check).
fn query(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The first value of parameter `name` (an empty one is a value, and refused where a date or a
/// number is due).
fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn path_id(text: &str, name: &str) -> Result<i64, ApiProblem> {
    match text.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(ApiProblem(param(name, "A positive whole number."))),
    }
}

/// Runs a POST under its `Idempotency-Key` (if sent): a repeat gets the kept answer; a new one
/// is answered by `answer` (given the booking form key to use) and kept. `answer` gives where the
/// result is, its body, and the body to keep (without anything shown only once).
async fn idempotent<F, Fut>(
    state: &AppState,
    key: &Key,
    headers: &HeaderMap,
    path: &str,
    body: &Bytes,
    answer: F,
) -> Result<Response, ApiProblem>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<(String, String, String), ApiProblem>>,
{
    idempotent_with(state, key, headers, path, body, StatusCode::CREATED, answer).await
}

/// As [`idempotent`], answering `success` (with `Location`) rather than 201.
async fn idempotent_with<F, Fut>(
    state: &AppState,
    key: &Key,
    headers: &HeaderMap,
    path: &str,
    body: &Bytes,
    success: StatusCode,
    answer: F,
) -> Result<Response, ApiProblem>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<(String, String, String), ApiProblem>>,
{
    let idem_key =
        match headers.get("idempotency-key") {
            None => None,
            Some(v) => Some(v.to_str().map_err(|_| {
                ApiProblem(param("Idempotency-Key", "Visible ASCII characters only."))
            })?),
        };
    let now = chrono::Utc::now();
    let begun = idempotency::begin(state, key.id(), idem_key, path, body, now).await?;
    let form_key = match begun {
        Begun::Replay {
            status,
            location,
            body,
        } => {
            let mut response =
                (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            let headers = response.headers_mut();
            let kind = if status < 300 {
                "application/json"
            } else {
                "application/problem+json"
            };
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
            headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
            if let Some(value) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
                headers.insert(header::LOCATION, value);
            }
            return Ok(response);
        }
        Begun::Fresh { form_key, .. } => form_key,
    };
    let outcome = answer(form_key).await;
    let Some(idem_key) = idem_key else {
        return outcome.map(|(location, body, _)| answered(success, location, body));
    };
    match outcome {
        Ok((location, body, kept)) => {
            idempotency::finish(
                state,
                key.id(),
                idem_key,
                success.as_u16(),
                Some(&location),
                &kept,
            )
            .await?;
            Ok(answered(success, location, body))
        }
        Err(ApiProblem(e)) => {
            let (problem, wait) = e.problem();
            let body = serde_json::to_string(&problem).unwrap_or_default();
            idempotency::finish(state, key.id(), idem_key, problem.status, None, &body).await?;
            Ok(super::problem_response(&problem, wait))
        }
    }
}

fn json_text<T: serde::Serialize>(value: &T) -> Result<String, ApiProblem> {
    serde_json::to_string(value).map_err(|e| {
        ApiProblem(ApiError::Server(backend::ServerError::internal(
            e.to_string(),
        )))
    })
}

/// List the key's customer's bookings, newest first.
#[utoipa::path(
    get, path = "/bookings", tag = "bookings", operation_id = "listBookings",
    security(("apiKey" = [])),
    params(
        ("status" = Option<String>, Query, pattern = r"^[a-z_]+(,[a-z_]+)*$", description = "Only these statuses, comma-separated (e.g. `confirmed,not_sent`)."),
        ("service" = Option<ServiceType>, Query, description = "Only this service (`patrol`, `lockUnlock`, …)."),
        ("site" = Option<i64>, Query, description = "Only bookings at this saved site.", minimum = 1),
        ("from" = Option<String>, Query, format = Date, description = "Only bookings with a day on or after this date (YYYY-MM-DD)."),
        ("to" = Option<String>, Query, format = Date, description = "Only bookings with a day on or before this date (YYYY-MM-DD)."),
        ("cursor" = Option<String>, Query, pattern = r"^[1-9][0-9]{0,17}$", description = "`nextCursor` of the previous page."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "How many per page (1–100, default 50)."),
    ),
    responses((status = 200, description = "A page of bookings.", body = BookingList)),
)]
pub async fn list_bookings(
    State(state): State<AppState>,
    key: Key,
    RawQuery(raw): RawQuery,
) -> Result<Json<BookingList>, ApiProblem> {
    key.require(Scope::Read)?;
    let pairs = query(raw.as_deref());
    let params = ListParams {
        status: first(&pairs, "status"),
        service: first(&pairs, "service"),
        site: first(&pairs, "site"),
        from: first(&pairs, "from"),
        to: first(&pairs, "to"),
        cursor: first(&pairs, "cursor"),
        limit: first(&pairs, "limit"),
    };
    Ok(Json(
        api::list_bookings(&state, &key.viewer, &params).await?,
    ))
}

/// Book a service (sent to AURA at once; the answer says how far it got).
#[utoipa::path(
    post, path = "/bookings", tag = "bookings", operation_id = "createBooking",
    security(("apiKey" = [])),
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = r"^[\x21-\x7e][\x20-\x7e]*$", description = "Repeat-safe: the same key and body get the first answer again.")),
    request_body = NewBooking,
    responses((status = 201, description = "Booked; `Location` names it. Its status says whether AURA confirmed or refused it, or that it is still being sent.", body = Booking,
        headers(("Location" = String, description = "The booking's address")))),
)]
pub async fn create_booking(
    State(state): State<AppState>,
    key: Key,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiProblem> {
    key.require(Scope::Book)?;
    let new: NewBooking = read_body(&body)?;
    idempotent(
        &state,
        &key,
        &headers,
        "/bookings",
        &body,
        |form_key| async {
            let booking =
                api::create_booking(&state, &key.viewer, &new, form_key, chrono::Utc::now())
                    .await?;
            let body = json_text(&booking)?;
            Ok((
                format!("{API_PREFIX}/bookings/{}", booking.id),
                body.clone(),
                body,
            ))
        },
    )
    .await
}

/// A booking with its next windows and its history.
#[utoipa::path(
    get, path = "/bookings/{id}", tag = "bookings", operation_id = "getBooking",
    security(("apiKey" = [])),
    params(("id" = i64, Path, description = "The booking's number.", minimum = 1)),
    responses((status = 200, description = "The booking.", body = BookingWithHistory)),
)]
pub async fn get_booking(
    State(state): State<AppState>,
    key: Key,
    Path(id): Path<String>,
) -> Result<Json<BookingWithHistory>, ApiProblem> {
    key.require(Scope::Read)?;
    let id = path_id(&id, "id")?;
    Ok(Json(
        api::booking_detail(&state, &key.viewer, id, chrono::Utc::now()).await?,
    ))
}

/// Cancel a booking, with a reason (in the body or as `?reason=`).
#[utoipa::path(
    delete, path = "/bookings/{id}", tag = "bookings", operation_id = "cancelBooking",
    security(("apiKey" = [])),
    params(
        ("id" = i64, Path, description = "The booking's number.", minimum = 1),
        ("reason" = Option<String>, Query, max_length = 500, description = "Why (or give it in the body)."),
    ),
    request_body(content = Option<CancelBody>, description = "Why it is cancelled (or `?reason=`)."),
    responses((status = 200, description = "The booking after the cancel was asked: `cancelled`, or `cancelling` while AURA confirms.", body = Booking)),
)]
pub async fn cancel_booking(
    State(state): State<AppState>,
    key: Key,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Json<Booking>, ApiProblem> {
    key.require(Scope::Cancel)?;
    let id = path_id(&id, "id")?;
    let pairs = query(raw.as_deref());
    let reason = match first(&pairs, "reason") {
        Some(reason) if body.iter().all(u8::is_ascii_whitespace) => reason.to_string(),
        Some(_) => {
            return Err(ApiProblem(param(
                "reason",
                "Give the reason in the body or the query, not both.",
            )));
        }
        None if body.iter().all(u8::is_ascii_whitespace) => String::new(),
        None => read_body::<CancelBody>(&body)?.reason,
    };
    Ok(Json(
        api::cancel_booking(&state, &key.viewer, id, &reason, chrono::Utc::now()).await?,
    ))
}

/// Change a booking: the body is its new version (the create body; every rule of a new booking
/// applies). AURA has no update, so the new version is booked first (with the windows still to
/// open before its first date kept as a booking of their own), then the original is cancelled
/// once AURA holds it: cover never has a gap. If AURA refuses the new version, the original
/// stands (`change.status` = `refused`).
#[utoipa::path(
    put, path = "/bookings/{id}", tag = "bookings", operation_id = "changeBooking",
    security(("apiKey" = [])),
    params(
        ("id" = i64, Path, description = "The booking's number.", minimum = 1),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = r"^[\x21-\x7e][\x20-\x7e]*$", description = "Repeat-safe: the same key and body get the first answer again."),
    ),
    request_body = NewBooking,
    responses((status = 200, description = "The change and the bookings it concerns as they stand: the original first, then the new ones.", body = ChangeResult,
        headers(("Location" = String, description = "The new version's address")))),
)]
pub async fn change_booking(
    State(state): State<AppState>,
    key: Key,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiProblem> {
    key.require(Scope::Book)?;
    key.require(Scope::Cancel)?;
    let id = path_id(&id, "id")?;
    let new: NewBooking = read_body(&body)?;
    let path = format!("/bookings/{id}");
    idempotent_with(
        &state,
        &key,
        &headers,
        &path,
        &body,
        StatusCode::OK,
        |form_key| async {
            let result =
                api::change_booking(&state, &key.viewer, id, &new, form_key, chrono::Utc::now())
                    .await?;
            change_answer(&result)
        },
    )
    .await
}

/// Skip dates of a booking: one date (`from` = `to`) or a range, in the booking's zone. The
/// windows still to open before and after are booked again exactly as they are (at most two new
/// bookings; none when the range covers every window left), then the original is cancelled once
/// AURA holds them. Windows that have opened are never touched.
#[utoipa::path(
    post, path = "/bookings/{id}/skip", tag = "bookings", operation_id = "skipDates",
    security(("apiKey" = [])),
    params(
        ("id" = i64, Path, description = "The booking's number.", minimum = 1),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = r"^[\x21-\x7e][\x20-\x7e]*$", description = "Repeat-safe: the same key and body get the first answer again."),
    ),
    request_body = SkipBody,
    responses((status = 200, description = "The skip and the bookings it concerns as they stand: the original first, then the new ones.", body = ChangeResult,
        headers(("Location" = String, description = "The original booking's address")))),
)]
pub async fn skip_dates(
    State(state): State<AppState>,
    key: Key,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiProblem> {
    key.require(Scope::Book)?;
    key.require(Scope::Cancel)?;
    let id = path_id(&id, "id")?;
    let skip: SkipBody = read_body(&body)?;
    let path = format!("/bookings/{id}/skip");
    idempotent_with(
        &state,
        &key,
        &headers,
        &path,
        &body,
        StatusCode::OK,
        |form_key| async {
            let result =
                api::skip_dates(&state, &key.viewer, id, &skip, form_key, chrono::Utc::now())
                    .await?;
            change_answer(&result)
        },
    )
    .await
}

fn change_answer(result: &ChangeResult) -> Result<(String, String, String), ApiProblem> {
    let shown = result
        .change
        .parts
        .last()
        .copied()
        .unwrap_or(result.change.original);
    let body = json_text(result)?;
    Ok((format!("{API_PREFIX}/bookings/{shown}"), body.clone(), body))
}

/// The customer's saved sites.
#[utoipa::path(
    get, path = "/sites", tag = "sites", operation_id = "listSites",
    security(("apiKey" = [])),
    responses((status = 200, description = "Every site, retired ones marked.", body = SiteList)),
)]
pub async fn list_sites(
    State(state): State<AppState>,
    key: Key,
) -> Result<Json<SiteList>, ApiProblem> {
    key.require(Scope::Read)?;
    Ok(Json(api::list_sites(&state, &key.viewer).await?))
}

/// Save a site.
#[utoipa::path(
    post, path = "/sites", tag = "sites", operation_id = "createSite",
    security(("apiKey" = [])),
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = r"^[\x21-\x7e][\x20-\x7e]*$", description = "Repeat-safe: the same key and body get the first answer again.")),
    request_body = NewSite,
    responses((status = 201, description = "Saved.", body = Site,
        headers(("Location" = String, description = "The sites list")))),
)]
pub async fn create_site(
    State(state): State<AppState>,
    key: Key,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiProblem> {
    key.require(Scope::Book)?;
    let new: NewSite = read_body(&body)?;
    idempotent(&state, &key, &headers, "/sites", &body, |_| async {
        let site = api::create_site(&state, &key.viewer, &new, chrono::Utc::now()).await?;
        let body = json_text(&site)?;
        Ok((format!("{API_PREFIX}/sites"), body.clone(), body))
    })
    .await
}

/// The windows in a range of days, as the calendar shows them.
#[utoipa::path(
    get, path = "/windows", tag = "windows", operation_id = "listWindows",
    security(("apiKey" = [])),
    params(
        ("from" = Option<String>, Query, format = Date, description = "First day (YYYY-MM-DD, the customer's zone); default today."),
        ("to" = Option<String>, Query, format = Date, description = "Last day; default 29 days after `from`; at most 366 days in all."),
    ),
    responses((status = 200, description = "The windows, soonest first (at most 1000).", body = WindowList)),
)]
pub async fn list_windows(
    State(state): State<AppState>,
    key: Key,
    RawQuery(raw): RawQuery,
) -> Result<Json<WindowList>, ApiProblem> {
    key.require(Scope::Read)?;
    let pairs = query(raw.as_deref());
    Ok(Json(
        api::windows(
            &state,
            &key.viewer,
            first(&pairs, "from"),
            first(&pairs, "to"),
            chrono::Utc::now(),
        )
        .await?,
    ))
}

fn customer_id(key: &Key) -> Result<i64, ApiProblem> {
    Ok(api::customer(&key.viewer)?.id)
}

/// The customer's webhook endpoints (never their secrets).
#[utoipa::path(
    get, path = "/webhooks", tag = "webhooks", operation_id = "listWebhooks",
    security(("apiKey" = [])),
    responses((status = 200, description = "Every endpoint.", body = WebhookList)),
)]
pub async fn list_webhooks(
    State(state): State<AppState>,
    key: Key,
) -> Result<Json<WebhookList>, ApiProblem> {
    key.require(Scope::Webhooks)?;
    let rows = api::hooks::endpoints(&state, customer_id(&key)?).await?;
    Ok(Json(WebhookList {
        webhooks: rows.iter().map(|r| r.to_api()).collect(),
    }))
}

/// Add an endpoint; its `secret` (`whsec_…`) is in this answer only.
#[utoipa::path(
    post, path = "/webhooks", tag = "webhooks", operation_id = "createWebhook",
    security(("apiKey" = [])),
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = r"^[\x21-\x7e][\x20-\x7e]*$", description = "Repeat-safe: the same key and body get the first answer again.")),
    request_body = NewWebhook,
    responses((status = 201, description = "Added, with its secret.", body = Webhook,
        headers(("Location" = String, description = "The endpoint's deliveries")))),
)]
pub async fn create_webhook(
    State(state): State<AppState>,
    key: Key,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiProblem> {
    key.require(Scope::Webhooks)?;
    let new: NewWebhook = read_body(&body)?;
    let customer = customer_id(&key)?;
    let by = format!("API key \u{201c}{}\u{201d}", key.viewer.name);
    idempotent(&state, &key, &headers, "/webhooks", &body, |_| async {
        let hook =
            api::hooks::add_endpoint(&state, customer, &new, &by, chrono::Utc::now()).await?;
        // A repeat gets the endpoint again, never its secret: that is shown once.
        let kept = json_text(&domain::api::Webhook {
            secret: None,
            ..hook.clone()
        })?;
        Ok((
            format!("{API_PREFIX}/webhooks/{}/deliveries", hook.id),
            json_text(&hook)?,
            kept,
        ))
    })
    .await
}

/// Delete an endpoint (its deliveries go with it).
#[utoipa::path(
    delete, path = "/webhooks/{id}", tag = "webhooks", operation_id = "deleteWebhook",
    security(("apiKey" = [])),
    params(("id" = i64, Path, description = "The endpoint's number.", minimum = 1)),
    responses((status = 204, description = "Deleted.")),
)]
pub async fn delete_webhook(
    State(state): State<AppState>,
    key: Key,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiProblem> {
    key.require(Scope::Webhooks)?;
    let id = path_id(&id, "id")?;
    api::hooks::delete(&state, customer_id(&key)?, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new secret (in this answer only); the old one keeps signing for 24 hours.
#[utoipa::path(
    post, path = "/webhooks/{id}/rotate", tag = "webhooks", operation_id = "rotateWebhookSecret",
    security(("apiKey" = [])),
    params(("id" = i64, Path, description = "The endpoint's number.", minimum = 1)),
    responses((status = 200, description = "The endpoint with its new secret.", body = Webhook)),
)]
pub async fn rotate_webhook(
    State(state): State<AppState>,
    key: Key,
    Path(id): Path<String>,
) -> Result<Json<Webhook>, ApiProblem> {
    key.require(Scope::Webhooks)?;
    let id = path_id(&id, "id")?;
    Ok(Json(
        api::hooks::rotate(&state, customer_id(&key)?, id, chrono::Utc::now()).await?,
    ))
}

/// The endpoint's latest deliveries with the receiver's answers, newest first.
#[utoipa::path(
    get, path = "/webhooks/{id}/deliveries", tag = "webhooks", operation_id = "listDeliveries",
    security(("apiKey" = [])),
    params(
        ("id" = i64, Path, description = "The endpoint's number.", minimum = 1),
        ("before" = Option<i64>, Query, minimum = 1, description = "Only deliveries numbered below this (the next page)."),
    ),
    responses((status = 200, description = "Up to 100 deliveries.", body = DeliveryList)),
)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    key: Key,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<DeliveryList>, ApiProblem> {
    key.require(Scope::Webhooks)?;
    let id = path_id(&id, "id")?;
    let pairs = query(raw.as_deref());
    let before = first(&pairs, "before")
        .map(|b| path_id(b, "before"))
        .transpose()?;
    let rows = api::hooks::deliveries(&state, customer_id(&key)?, id, before).await?;
    Ok(Json(DeliveryList {
        deliveries: rows.iter().map(|r| r.to_api()).collect(),
    }))
}

/// Send a delivery again, with the same `webhook-id` and body.
#[utoipa::path(
    post, path = "/webhooks/{id}/deliveries/{delivery}/replay", tag = "webhooks",
    operation_id = "replayDelivery",
    security(("apiKey" = [])),
    params(
        ("id" = i64, Path, description = "The endpoint's number.", minimum = 1),
        ("delivery" = i64, Path, description = "The delivery's number.", minimum = 1),
    ),
    responses((status = 202, description = "It is sent again shortly.")),
)]
pub async fn replay_delivery(
    State(state): State<AppState>,
    key: Key,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<StatusCode, ApiProblem> {
    key.require(Scope::Webhooks)?;
    let id = path_id(&id, "id")?;
    let delivery = path_id(&delivery, "delivery")?;
    api::hooks::replay(&state, customer_id(&key)?, id, delivery, chrono::Utc::now()).await?;
    Ok(StatusCode::ACCEPTED)
}

// Named in the shared problem answers of every operation (see `finish_document`), and what a
// webhook carries (no operation answers it).
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(Problem, HookPayload)))]
pub struct Schemas;
