//! The public REST API's vocabulary and wire shapes (`/api/v1`, JSON in camelCase like AURA's
//! own): what a key may do (`Scope`), which webhook each history entry sends (`HookEvent`), and
//! every body the API reads or writes. The server builds its OpenAPI document from these types
//! (feature `openapi`); the same `Booking` shape is in API answers and in webhooks.

use chrono::{DateTime, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::fields::Field;
use crate::keyed::keyed_enum;
use crate::lifecycle::{ChangeKind, ChangeStatus, EventKind, SyncStatus};
use crate::model::StatusGroup;
use crate::service::{ArmedPreference, PairRole, RepeatKind, ServiceType};

keyed_enum! {
    /// What an API key may do.
    #[derive(PartialOrd, Ord)]
    pub enum Scope {
        /// Read bookings, sites and windows.
        Read = "read",
        /// Make bookings and add sites.
        Book = "book",
        /// Cancel bookings.
        Cancel = "cancel",
        /// Manage webhook endpoints.
        Webhooks = "webhooks",
    }
}

impl Scope {
    /// Scopes as given on the command line or in a form: `read,book` (spaces allowed). Empty:
    /// none; a word that names no scope is an error naming it.
    pub fn parse_list(text: &str) -> Result<Vec<Scope>, String> {
        let mut scopes = Vec::new();
        for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let scope = word.parse::<Scope>().map_err(|_| {
                format!("{word:?} is not a scope: use read, book, cancel or webhooks")
            })?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        scopes.sort();
        Ok(scopes)
    }

    /// `read,book`: how a list is stored and shown.
    pub fn join(scopes: &[Scope]) -> String {
        scopes.iter().map(|s| s.key()).collect::<Vec<_>>().join(",")
    }
}

/// The longest name an API key may have.
pub const MAX_KEY_NAME_CHARS: usize = 100;

keyed_enum! {
    /// Through which door a change came.
    pub enum Channel {
        /// A person on the dashboard's pages.
        Page = "page",
        /// An API key.
        Api = "api",
        /// The dashboard's own worker (AURA's answers, retries, lapses).
        Worker = "worker",
    }
}

keyed_enum! {
    /// A webhook's event type: one per change of a booking's state.
    #[derive(PartialOrd, Ord)]
    pub enum HookEvent {
        Created = "booking.created",
        Confirmed = "booking.confirmed",
        Refused = "booking.refused",
        Lapsed = "booking.lapsed",
        Unknown = "booking.unknown",
        Resolved = "booking.resolved",
        Cancelled = "booking.cancelled",
        /// The booking was replaced by a new version (its `replacedBy`); not a cancellation.
        Changed = "booking.changed",
        /// Some of the booking's dates were skipped: the windows kept are new bookings (its
        /// `replacedBy`); not a cancellation.
        Skipped = "booking.skipped",
    }
}

impl HookEvent {
    /// The webhook a history entry sends, if any: exactly one per change of state, whichever
    /// channel caused it. Entries that leave the state as it was (an attempt that did not get
    /// through, a refused cancel, a cancel asked and not yet done) send none.
    pub fn of(kind: EventKind) -> Option<HookEvent> {
        match kind {
            EventKind::Saved => Some(HookEvent::Created),
            EventKind::Confirmed => Some(HookEvent::Confirmed),
            EventKind::Rejected => Some(HookEvent::Refused),
            EventKind::Lapsed => Some(HookEvent::Lapsed),
            EventKind::OutcomeUnknown => Some(HookEvent::Unknown),
            EventKind::ResolvedHeld | EventKind::ResolvedNotHeld => Some(HookEvent::Resolved),
            EventKind::CancelledLocally | EventKind::AuraCancel | EventKind::Cancelled => {
                Some(HookEvent::Cancelled)
            }
            EventKind::Changed => Some(HookEvent::Changed),
            EventKind::Skipped => Some(HookEvent::Skipped),
            EventKind::NotSent
            | EventKind::Rescheduled
            | EventKind::LateAnswer
            | EventKind::CancelRequested
            | EventKind::CancelFailed
            | EventKind::CancelRefused
            | EventKind::DatesKept
            | EventKind::ChangeAsked
            | EventKind::ChangeRefused
            | EventKind::ChangeStuck => None,
        }
    }

    /// The webhook a history entry sends, given the status it left the booking in: as
    /// [`HookEvent::of`], except that a refused cancel which leaves the booking's outcome unknown
    /// (an earlier attempt may have cancelled it) is that change, `booking.unknown`.
    pub fn after(kind: EventKind, status: SyncStatus) -> Option<HookEvent> {
        match (kind, status) {
            (EventKind::CancelRefused, SyncStatus::Unknown) => Some(HookEvent::Unknown),
            _ => HookEvent::of(kind),
        }
    }

    /// Whether a history entry of this kind may send a webhook (in some status).
    pub fn may_follow(kind: EventKind) -> bool {
        HookEvent::of(kind).is_some() || kind == EventKind::CancelRefused
    }

    /// What it tells, for pages.
    pub fn meaning(self) -> &'static str {
        match self {
            HookEvent::Created => "a booking was made",
            HookEvent::Confirmed => "AURA confirmed it",
            HookEvent::Refused => "AURA refused it",
            HookEvent::Lapsed => "it could not be sent before its first window",
            HookEvent::Unknown => "AURA may hold it: a person checks",
            HookEvent::Resolved => "a person checked with AURA",
            HookEvent::Cancelled => "it was cancelled",
            HookEvent::Changed => "it was replaced by a new version",
            HookEvent::Skipped => "some of its dates were skipped",
        }
    }

    /// `booking.created,booking.cancelled`: how a list is stored.
    pub fn join(events: &[HookEvent]) -> String {
        events.iter().map(|e| e.key()).collect::<Vec<_>>().join(",")
    }

    /// A stored list back (unknown words are skipped: a list stored by a later version).
    pub fn split(text: &str) -> Vec<HookEvent> {
        text.split(',').filter_map(|w| w.parse().ok()).collect()
    }
}

keyed_enum! {
    /// A day of the week, as the API names it.
    pub enum Day {
        Monday = "monday",
        Tuesday = "tuesday",
        Wednesday = "wednesday",
        Thursday = "thursday",
        Friday = "friday",
        Saturday = "saturday",
        Sunday = "sunday",
    }
}

impl From<Day> for Weekday {
    fn from(day: Day) -> Weekday {
        match day {
            Day::Monday => Weekday::Mon,
            Day::Tuesday => Weekday::Tue,
            Day::Wednesday => Weekday::Wed,
            Day::Thursday => Weekday::Thu,
            Day::Friday => Weekday::Fri,
            Day::Saturday => Weekday::Sat,
            Day::Sunday => Weekday::Sun,
        }
    }
}

impl From<Weekday> for Day {
    fn from(day: Weekday) -> Day {
        match day {
            Weekday::Mon => Day::Monday,
            Weekday::Tue => Day::Tuesday,
            Weekday::Wed => Day::Wednesday,
            Weekday::Thu => Day::Thursday,
            Weekday::Fri => Day::Friday,
            Weekday::Sat => Day::Saturday,
            Weekday::Sun => Day::Sunday,
        }
    }
}

/// A whole number in JSON, also when written with a zero fraction (`25.0`): JSON Schema's
/// `integer` admits both.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let n = serde_json_number(d)?;
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Ok(n as i64)
    } else {
        Err(serde::de::Error::custom(format!(
            "invalid value: {n}, expected a whole number"
        )))
    }
}

/// A JSON number, whole or not.
fn serde_json_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    struct Number;
    impl serde::de::Visitor<'_> for Number {
        type Value = f64;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a number")
        }
        fn visit_i64<E>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_u64<E>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_f64<E>(self, v: f64) -> Result<f64, E> {
            Ok(v)
        }
    }
    d.deserialize_any(Number)
}

/// Where a form's field is in the API's bodies: the name a problem's `errors[].field` gives.
pub fn field_name(field: Field) -> String {
    match field {
        Field::ServiceType => "serviceType".into(),
        Field::Name => "name".into(),
        Field::SpecialInstructions => "specialInstructions".into(),
        Field::NumberOfGuards => "details.numberOfGuards".into(),
        Field::ArmedPreference => "details.armedPreference".into(),
        Field::Contacts => "details.contacts".into(),
        Field::ContactName(i) => format!("details.contacts[{i}].name"),
        Field::ContactMobile(i) => format!("details.contacts[{i}].mobile"),
        Field::Site => "siteId".into(),
        Field::Address => "location.formattedAddress".into(),
        Field::Latitude => "location.latitude".into(),
        Field::Longitude => "location.longitude".into(),
        Field::Timezone => "location.timeZone".into(),
        Field::FirstDate => "dateFrom".into(),
        Field::LastDate => "dateTo".into(),
        Field::Repeat => "repeats.kind".into(),
        Field::Days => "repeats.days".into(),
        Field::StartTime => "repeats.startTime".into(),
        Field::WindowMinutes => "repeats.windowMinutes".into(),
        Field::UnlockTime => "unlockTime".into(),
        Field::CancelReason => "reason".into(),
        Field::HookUrl => "url".into(),
        Field::HookEvents => "events".into(),
        Field::SkipFrom => "from".into(),
        Field::SkipTo => "to".into(),
        other => other.name(),
    }
}

// --- Bodies the API reads. ---

/// A booking to make (`POST /api/v1/bookings`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewBooking {
    /// One of the services this deployment offers.
    pub service_type: ServiceType,
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 120, pattern = r"\S")
    )]
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub special_instructions: Option<String>,
    pub details: Details,
    /// A saved site of the key's customer; or give `location`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub site_id: Option<i64>,
    #[serde(default)]
    pub location: Option<NewLocation>,
    /// The first day, in the site's zone.
    pub date_from: NaiveDate,
    /// The last day (the same as `dateFrom` for a single window).
    pub date_to: NaiveDate,
    pub repeats: Repeats,
    /// A lock booked with its unlock the next morning: the unlock's start time (`HH:MM`).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    )]
    pub unlock_time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Details {
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 50))]
    #[serde(deserialize_with = "whole_number")]
    pub number_of_guards: i64,
    #[serde(default)]
    pub armed_preference: ArmedPreference,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    pub contacts: Vec<Contact>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Contact {
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 100, pattern = r"\S")
    )]
    pub name: String,
    /// 7 to 15 digits; `+`, spaces, dashes, dots and brackets allowed.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 7, max_length = 32, pattern = r"^\+?[0-9 ().-]{7,31}$")
    )]
    pub mobile: String,
}

/// A place given by address, coordinates or both, with its IANA zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewLocation {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 300))]
    pub formatted_address: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = -90, maximum = 90))]
    pub latitude: Option<f64>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = -180, maximum = 180))]
    pub longitude: Option<f64>,
    /// An IANA zone, e.g. `Europe/London`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 64,
            pattern = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$"
        )
    )]
    pub time_zone: String,
}

/// When: once, daily or on chosen weekdays, from `startTime` for `windowMinutes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Repeats {
    pub kind: RepeatKind,
    /// The days (weekly only).
    #[serde(default)]
    pub days: Vec<Day>,
    /// Local time at the site, `HH:MM`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    )]
    pub start_time: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1440))]
    #[serde(deserialize_with = "whole_number")]
    pub window_minutes: i64,
}

/// A site to save (`POST /api/v1/sites`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewSite {
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 100, pattern = r"\S")
    )]
    pub name: String,
    pub location: NewLocation,
}

/// Why a booking is cancelled (`DELETE /api/v1/bookings/{id}`; or `?reason=`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelBody {
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 500, pattern = r"\S")
    )]
    pub reason: String,
}

/// Dates of a booking to skip (`POST /api/v1/bookings/{id}/skip`): local dates in the booking's
/// zone, both included; one date: `from` = `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SkipBody {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date, example = "2027-12-24"))]
    pub from: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date, example = "2027-12-26"))]
    pub to: String,
}

/// A change of plans: a new version of a booking, or some of its dates skipped. AURA has no
/// update, so it is carried out as new bookings (`parts`, sent first) and then the cancel of the
/// original (once AURA holds every part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub id: i64,
    pub kind: ChangeKind,
    /// `booking`: the parts are being sent; `cancelling`: AURA holds them, the original's cancel
    /// is being sent; `done`; `refused`: a part was refused or not sent, the original stands;
    /// `stuck`: AURA refused to cancel the original, a person decides.
    pub status: ChangeStatus,
    /// The booking changed.
    pub original: i64,
    /// The new bookings, in order.
    pub parts: Vec<i64>,
    /// The dates skipped, for a skip.
    pub skipped_from: Option<NaiveDate>,
    pub skipped_to: Option<NaiveDate>,
    /// What it does, in words.
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

/// The answer to a change or a skip: the change, and the bookings it concerns as they stand (the
/// original first, then the parts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChangeResult {
    pub change: Change,
    pub bookings: Vec<Booking>,
}

/// A webhook endpoint to add (`POST /api/v1/webhooks`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewWebhook {
    /// `https://` (or `http://`) address that receives the events.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 2000, pattern = r"^https?://[^\s/?#@]+[^\s]*$")
    )]
    pub url: String,
    /// The events it receives; empty: all of them.
    #[serde(default)]
    pub events: Vec<HookEvent>,
}

// --- What the API answers. ---

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub formatted_address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub time_zone: String,
}

/// A booking as the dashboard records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Booking {
    pub id: i64,
    /// The customer's AURA id.
    pub customer_id: i64,
    pub customer_name: String,
    pub service_type: ServiceType,
    pub name: String,
    pub special_instructions: Option<String>,
    pub details: BookingDetails,
    pub site_id: Option<i64>,
    pub location: Location,
    pub date_from: NaiveDate,
    pub date_to: NaiveDate,
    pub repeats: Repeats,
    /// Where it stands with AURA (as the pages show it).
    pub status: SyncStatus,
    /// The pages' wording of `status`.
    pub status_label: String,
    /// The pages' class of the status (calendar filter); none once cancelled.
    pub outcome: Option<StatusGroup>,
    /// Why AURA refused it, why it was not sent, or why its outcome is unknown.
    pub problem: Option<String>,
    /// AURA's id, once AURA holds it.
    pub aura_id: Option<String>,
    /// When its next window opens, if any is left.
    pub next_window_opens: Option<DateTime<Utc>>,
    pub pair: Option<Pair>,
    pub cancellation: Option<Cancellation>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The booking this one is a new version (or a kept part) of, made by a change of plans.
    pub replaces: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BookingDetails {
    pub number_of_guards: u32,
    pub armed_preference: ArmedPreference,
    pub contacts: Vec<Contact>,
}

/// Half of a lock/unlock pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Pair {
    pub role: PairRole,
    pub other_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Cancellation {
    pub requested_at: DateTime<Utc>,
    /// Set once done (at AURA, or here when AURA never had it).
    pub cancelled_at: Option<DateTime<Utc>>,
    pub reason: String,
    pub by: String,
    pub on_behalf_of: Option<String>,
    pub removed_windows: i64,
}

/// One window of a booking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Window {
    pub booking_id: i64,
    pub name: String,
    pub service_type: ServiceType,
    pub status: SyncStatus,
    pub opens: DateTime<Utc>,
    pub closes: DateTime<Utc>,
    /// The day it opens at the site.
    pub local_date: NaiveDate,
    pub time_zone: String,
}

/// One entry of a booking's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub label: String,
    pub by: String,
    pub on_behalf_of: Option<String>,
    pub detail: String,
}

/// A booking with its next windows and its history (`GET /api/v1/bookings/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BookingWithHistory {
    pub booking: Booking,
    pub next_windows: Vec<Window>,
    pub history: Vec<HistoryEntry>,
}

/// A page of bookings, newest first; `nextCursor` fetches the next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BookingList {
    pub bookings: Vec<Booking>,
    pub next_cursor: Option<String>,
}

/// The windows in a range, soonest first; `truncated` when there were more than listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WindowList {
    pub windows: Vec<Window>,
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Site {
    pub id: i64,
    pub name: String,
    pub location: Location,
    /// Retired sites are kept for their bookings; new bookings cannot use them.
    pub retired: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SiteList {
    pub sites: Vec<Site>,
}

/// A webhook endpoint. Its secret is shown once: when it is added and when it is rotated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub events: Vec<HookEvent>,
    pub created_at: DateTime<Utc>,
    /// `whsec_…`: only in the answer that made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookList {
    pub webhooks: Vec<Webhook>,
}

keyed_enum! {
    /// Where a webhook delivery stands.
    pub enum DeliveryStatus {
        /// Waiting for its (next) attempt.
        Pending = "pending",
        /// The receiver answered 2xx.
        Delivered = "delivered",
        /// Not delivered within 24 hours of attempts.
        Failed = "failed",
    }
}

/// One event sent (or to send) to one endpoint, with the receiver's last answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: String,
    pub event: HookEvent,
    pub booking_id: i64,
    pub status: DeliveryStatus,
    pub attempts: i64,
    /// The receiver's last HTTP status, if it answered.
    pub last_status: Option<i64>,
    /// The receiver's last answer (its start), or why there was none.
    pub last_answer: Option<String>,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DeliveryList {
    pub deliveries: Vec<Delivery>,
}

/// What a webhook carries (Standard Webhooks: `type`, `timestamp`, `data`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct HookPayload {
    #[serde(rename = "type")]
    pub event: HookEvent,
    /// When the change happened.
    pub timestamp: DateTime<Utc>,
    pub data: HookData,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct HookData {
    /// The booking as it stood after the change.
    pub booking: Booking,
    pub cause: Cause,
    /// Grows with every change of any booking: a receiver keeps the highest it has seen per
    /// booking and ignores an older one arriving late.
    pub version: i64,
    /// For `booking.changed` and `booking.skipped`: the change, with the new bookings that
    /// replace this one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub change: Option<Change>,
}

/// Who made the change, for whom and through which door.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Cause {
    pub by: String,
    pub on_behalf_of: Option<String>,
    pub channel: Channel,
}

/// An error, as RFC 9457 problem details (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A URI naming the kind of problem (relative to the dashboard).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Each field that is wrong, with what is wrong with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FieldProblem {
    /// Where in the body or query: `dateFrom`, `details.contacts[0].mobile`.
    pub field: String,
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_change_sends_one_webhook_and_nothing_else_does() {
        use crate::lifecycle::EventKind;
        let sending: Vec<_> = EventKind::ALL
            .iter()
            .filter_map(|k| HookEvent::of(*k))
            .collect();
        for event in HookEvent::ALL {
            assert!(sending.contains(&event), "{event} is never sent");
        }
        assert_eq!(HookEvent::of(EventKind::NotSent), None);
        assert_eq!(HookEvent::of(EventKind::CancelRequested), None);
        // A refused cancel leaves the booking confirmed (no change), or unknown (a change).
        assert_eq!(
            HookEvent::after(EventKind::CancelRefused, SyncStatus::Confirmed),
            None
        );
        assert_eq!(
            HookEvent::after(EventKind::CancelRefused, SyncStatus::Unknown),
            Some(HookEvent::Unknown)
        );
        for kind in EventKind::ALL {
            for status in SyncStatus::ALL {
                assert!(HookEvent::after(kind, status).is_none() || HookEvent::may_follow(kind));
            }
        }
    }

    #[test]
    fn scope_lists_are_read_and_refused_by_word() {
        assert_eq!(
            Scope::parse_list(" book, read,read"),
            Ok(vec![Scope::Read, Scope::Book])
        );
        assert!(
            Scope::parse_list("read,admin")
                .unwrap_err()
                .contains("admin")
        );
        assert_eq!(Scope::join(&[Scope::Read, Scope::Cancel]), "read,cancel");
        assert_eq!(
            HookEvent::split("booking.created,booking.later,booking.cancelled"),
            vec![HookEvent::Created, HookEvent::Cancelled]
        );
    }
}
