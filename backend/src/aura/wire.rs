//! AURA's wire format as this project models it: every [model] choice of `docs/aura-contract.md` lives
//! here, so it can be changed in one place once AURA confirms the real shape. The AURA client and the
//! built-in sandbox both use these types.

pub use super::catalog::ServiceCatalog;

use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};

use domain::{
    ArmedPreference, Contact, Location, Repeat, Schedule, format_start_time, weekday_code,
};

/// Every path below is relative to the base URL, which ends in `/panic-api/v2` [doc].
pub const TOKEN_PATH: &str = "/oauth/token";

/// `POST /scheduled/{serviceType}`: the service type is a path segment [doc].
pub fn create_path(slug: &str) -> String {
    format!("/scheduled/{}", encode_segment(slug))
}

/// `DELETE /scheduled/{scheduledRequestId}`: the same position holds the id on cancel [doc]; kept
/// apart from `create_path` on purpose.
pub fn cancel_path(request_id: &str) -> String {
    format!("/scheduled/{}", encode_segment(request_id))
}

/// A path segment keeps only RFC 3986's unreserved characters, so an opaque id cannot change the
/// path (`/`, `?`, `#` and spaces are encoded).
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn encode_segment(s: &str) -> String {
    utf8_percent_encode(s, PATH_SEGMENT).to_string()
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequest")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// AURA's docs show both camelCase and snake_case token fields [doc]; accept either.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    #[serde(alias = "access_token")]
    pub access_token: String,
    #[serde(alias = "token_type", default)]
    pub token_type: Option<String>,
    #[serde(alias = "expires_in")]
    pub expires_in: u64,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateScheduledRequest {
    pub customer_id: i64,
    pub scheduled_request_config: ScheduledRequestConfig,
    pub initial_location: InitialLocation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledRequestConfig {
    /// Defaulted when absent so a missing name gets AURA's "name" message, not a parse error.
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub special_instructions: Option<String>,
    #[serde(default = "one")]
    pub number_of_guards: i64,
    #[serde(default = "no_preference")]
    pub armed_preference: String,
    #[serde(default)]
    pub contacts: Vec<ContactDto>,
    pub date_from: DateTime<Utc>,
    pub date_to: DateTime<Utc>,
    pub repeats_config: RepeatsConfig,
}

fn one() -> i64 {
    1
}

fn no_preference() -> String {
    ArmedPreference::NoPreference.key().to_string()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactDto {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub mobile: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepeatsConfig {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days_of_week: Vec<String>,
    pub start_time: String,
    pub window_period_minutes: i64,
    pub timezone: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitialLocation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted_address: Option<String>,
}

impl From<&Location> for InitialLocation {
    fn from(l: &Location) -> Self {
        InitialLocation {
            latitude: l.coordinates.map(|c| c.0),
            longitude: l.coordinates.map(|c| c.1),
            formatted_address: l.address.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RequestStatus {
    Scheduled,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledRequestDto {
    /// Opaque [model]: never parsed.
    pub id: String,
    pub service_type: String,
    pub customer_id: i64,
    pub status: RequestStatus,
    pub next_occurrence: Option<DateTime<Utc>>,
    pub scheduled_request_config: ScheduledRequestConfig,
    pub initial_location: InitialLocation,
}

/// The body of a successful create (201) or cancel (200) [model].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledRequestEnvelope {
    #[serde(default)]
    pub message: String,
    pub scheduled_request: ScheduledRequestDto,
}

/// The reference page's create answer [doc]: `{"id": "<uuid>", "status": "scheduled"}`, nothing else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlatAnswer {
    pub id: String,
    pub status: RequestStatus,
}

/// Which documented shape a create or cancel answer takes: the concept page's envelope (our
/// sandbox's default) or the reference page's flat `{id, status}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AnswerShape {
    #[default]
    Envelope,
    Reference,
}

impl std::str::FromStr for AnswerShape {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "envelope" => Ok(AnswerShape::Envelope),
            "reference" => Ok(AnswerShape::Reference),
            other => Err(format!("{other:?}: use envelope or reference")),
        }
    }
}

/// What a successful create tells us, from either documented shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    /// AURA's id, as text whatever its JSON type (string, number, UUID).
    pub id: String,
    /// `None` when AURA did not say (the reference shape): the caller computes it and says so.
    pub next_occurrence: Option<Option<DateTime<Utc>>>,
}

/// A request record inside either shape: only what we rely on, everything else ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AnswerRecord {
    id: AnswerId,
    #[serde(default)]
    status: Option<String>,
    #[serde(default, deserialize_with = "present")]
    next_occurrence: Option<Option<DateTime<Utc>>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum AnswerId {
    Text(String),
    Number(serde_json::Number),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Answer {
    Envelope {
        #[serde(rename = "scheduledRequest")]
        scheduled_request: AnswerRecord,
    },
    Flat(AnswerRecord),
}

/// A field that is present (even as `null`) becomes `Some(value)`; absent stays `None` (default).
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// What either shape says about the request: its id, status and next window (if given).
struct Record {
    id: String,
    status: Option<String>,
    next_occurrence: Option<Option<DateTime<Utc>>>,
}

/// The record of a create or cancel answer, in whichever shape it came.
fn read_record(body: &[u8]) -> Result<Record, String> {
    let answer: Answer = serde_json::from_slice(body)
        .map_err(|_| "the answer names no scheduled request".to_string())?;
    let (Answer::Envelope {
        scheduled_request: record,
    }
    | Answer::Flat(record)) = answer;
    let id = match record.id {
        AnswerId::Text(s) => s.trim().to_string(),
        AnswerId::Number(n) => n.to_string(),
    };
    if id.is_empty() || id.chars().count() > MAX_ID_CHARS || id.chars().any(char::is_control) {
        return Err("the answer carries no usable request id".into());
    }
    Ok(Record {
        id,
        status: record.status,
        next_occurrence: record.next_occurrence,
    })
}

/// Longer ids than this are not believed to be ids.
const MAX_ID_CHARS: usize = 200;

/// Reads a 2xx create answer. An error means the answer cannot be trusted to say what happened
/// (AURA may still hold the request): the caller treats it as an unknown outcome, never as "not sent".
pub fn read_created(body: &[u8]) -> Result<Created, String> {
    let Record {
        id,
        status,
        next_occurrence,
    } = read_record(body)?;
    match status.as_deref() {
        None | Some("scheduled") => Ok(Created {
            id,
            next_occurrence,
        }),
        Some(other) => Err(format!(
            "the answer gives request {id} the status {other:?}, not \"scheduled\""
        )),
    }
}

/// Reads a 2xx cancel answer: it must say the request is cancelled (either shape).
pub fn read_cancelled(body: &[u8]) -> Result<(), String> {
    let record = read_record(body)?;
    match record.status.as_deref() {
        Some("cancelled") => Ok(()),
        status => Err(format!(
            "the answer does not say request {} is cancelled (status {status:?})",
            record.id
        )),
    }
}

/// Error bodies carry `message`; some clients see `error` [doc]: accept both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ErrorBody {
    pub fn new(message: impl Into<String>) -> Self {
        ErrorBody {
            message: Some(message.into()),
            error: None,
        }
    }

    pub fn text(&self) -> Option<&str> {
        self.message
            .as_deref()
            .or(self.error.as_deref())
            .filter(|s| !s.trim().is_empty())
    }
}

/// What a create body is made of, however the caller holds it.
pub struct BodyParts<'a> {
    pub name: &'a str,
    pub special_instructions: Option<&'a str>,
    pub number_of_guards: u32,
    pub armed_preference: ArmedPreference,
    pub contacts: &'a [Contact],
    pub location: &'a Location,
    pub schedule: &'a Schedule,
    pub timezone: &'a str,
}

/// The `POST /scheduled/{serviceType}` body for a booking whose zone and date span are resolved.
pub fn create_body(customer_id: i64, parts: &BodyParts<'_>) -> CreateScheduledRequest {
    let schedule = parts.schedule;
    let days_of_week = match &schedule.repeat {
        Repeat::Weekly(days) => days.iter().map(|d| weekday_code(*d).to_string()).collect(),
        _ => Vec::new(),
    };
    CreateScheduledRequest {
        customer_id,
        scheduled_request_config: ScheduledRequestConfig {
            name: parts.name.to_string(),
            special_instructions: parts.special_instructions.map(str::to_string),
            number_of_guards: i64::from(parts.number_of_guards),
            armed_preference: parts.armed_preference.key().to_string(),
            contacts: parts
                .contacts
                .iter()
                .map(|c| ContactDto {
                    name: c.name.clone(),
                    mobile: c.mobile.clone(),
                })
                .collect(),
            date_from: schedule.date_from,
            date_to: schedule.date_to,
            repeats_config: RepeatsConfig {
                kind: schedule.repeat.kind().key().to_string(),
                days_of_week,
                start_time: format_start_time(schedule.start_time),
                window_period_minutes: i64::from(schedule.window_minutes),
                timezone: parts.timezone.to_string(),
            },
        },
        initial_location: InitialLocation::from(parts.location),
    }
}

#[cfg(test)]
mod tests;
