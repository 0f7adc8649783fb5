//! Wire types between server functions and pages. Times a person reads arrive already formatted in
//! the zone they belong to (the zone database stays on the server), always naming that zone.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{FieldErrors, ServiceType};

mod accounts;
pub use accounts::*;

/// Where a booking stands with AURA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    /// Saved here; the call to AURA is under way.
    Saved,
    /// AURA accepted it and gave it an id.
    Confirmed,
    /// Saved here, but AURA could not be reached or failed: not yet sent.
    NotSent,
    /// AURA refused it; it is not scheduled.
    Rejected,
    Cancelled,
}

impl SyncStatus {
    pub const ALL: [SyncStatus; 5] = [
        SyncStatus::Saved,
        SyncStatus::Confirmed,
        SyncStatus::NotSent,
        SyncStatus::Rejected,
        SyncStatus::Cancelled,
    ];

    pub fn key(self) -> &'static str {
        match self {
            SyncStatus::Saved => "saved",
            SyncStatus::Confirmed => "confirmed",
            SyncStatus::NotSent => "not_sent",
            SyncStatus::Rejected => "rejected",
            SyncStatus::Cancelled => "cancelled",
        }
    }

    pub fn from_key(key: &str) -> Option<SyncStatus> {
        SyncStatus::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            SyncStatus::Saved => "Saved, sending to AURA",
            SyncStatus::Confirmed => "Confirmed by AURA",
            SyncStatus::NotSent => "Saved, not yet sent to AURA",
            SyncStatus::Rejected => "Refused by AURA",
            SyncStatus::Cancelled => "Cancelled",
        }
    }

    /// A word or two for tight spaces; empty for the normal case (confirmed).
    pub fn short_label(self) -> &'static str {
        match self {
            SyncStatus::Saved => "Sending to AURA",
            SyncStatus::Confirmed => "",
            SyncStatus::NotSent => "Not yet sent",
            SyncStatus::Rejected => "Refused",
            SyncStatus::Cancelled => "Cancelled",
        }
    }

    /// Whether its occurrences belong on the calendar.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            SyncStatus::Saved | SyncStatus::Confirmed | SyncStatus::NotSent
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteView {
    pub id: i64,
    pub name: String,
    pub address: Option<String>,
    pub timezone: String,
}

/// What the booking page starts with: the form for one customer, or (for someone acting for
/// several customers with none chosen yet) the customers to choose from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BookingStart {
    Ready(BookingFormData),
    ChooseCustomer(Vec<CustomerOption>),
}

impl BookingStart {
    /// The form, if a customer is chosen.
    pub fn ready(self) -> Option<BookingFormData> {
        match self {
            BookingStart::Ready(form) => Some(form),
            BookingStart::ChooseCustomer(_) => None,
        }
    }
}

/// Everything the booking form needs to render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookingFormData {
    pub customer_id: i64,
    pub customer_name: String,
    pub sites: Vec<SiteView>,
    pub service_types: Vec<ServiceType>,
    pub time_zones: Vec<String>,
    pub default_timezone: String,
    /// Unique per form load; the form appends an attempt number.
    pub form_key: String,
    /// Today in the default zone, for the date pickers' minimum.
    pub today: NaiveDate,
}

/// One service window as a person reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OccurrenceView {
    pub request_id: i64,
    pub customer: String,
    pub name: String,
    pub service_type: ServiceType,
    pub status: SyncStatus,
    pub place: String,
    pub timezone: String,
    pub local_date: NaiveDate,
    pub opens: DateTime<Utc>,
    pub closes: DateTime<Utc>,
    /// e.g. "Wed 2 Dec 2026"
    pub date_label: String,
    /// e.g. "22:00–23:30 GMT"
    pub time_label: String,
    pub notes: Vec<String>,
}

/// What the form shows before submit: the first windows, computed on the server in the zone.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SchedulePreview {
    pub timezone: String,
    pub occurrences: Vec<PreviewOccurrence>,
    /// How many windows the whole booking has, capped at `PREVIEW_COUNT_CAP`.
    pub total: usize,
    /// When the first window opens, to count down to the lead-time limit.
    pub first_opens: Option<DateTime<Utc>>,
    pub errors: FieldErrors,
}

pub const PREVIEW_COUNT_CAP: usize = 1000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewOccurrence {
    pub date_label: String,
    pub time_label: String,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookingResult {
    pub request_id: i64,
    pub status: SyncStatus,
    /// What AURA said when it refused, or why it could not be sent.
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthView {
    /// e.g. "December 2026"
    pub title: String,
    /// "YYYY-MM" of this, the previous and the next month.
    pub month: String,
    pub prev: String,
    pub next: String,
    pub weeks: Vec<Vec<DayCell>>,
    /// Whose bookings these are, e.g. "Northwind Estates" or "all 3 of your customers".
    pub showing_for: String,
    /// Whether entries name their customer (the view spans several).
    pub show_customer: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayCell {
    pub date: NaiveDate,
    pub in_month: bool,
    pub occurrences: Vec<OccurrenceView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    pub at_label: String,
    pub kind: String,
    pub actor: String,
    pub on_behalf_of: Option<String>,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactView {
    pub name: String,
    pub mobile: String,
}

/// Who cancelled a booking, when, why, and how many future windows that removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CancellationInfo {
    pub at_label: String,
    pub reason: String,
    pub by: String,
    /// The customer an account manager or administrator cancelled for.
    pub on_behalf_of: Option<String>,
    pub removed_occurrences: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestDetail {
    pub id: i64,
    pub customer: String,
    pub name: String,
    pub service_type: ServiceType,
    pub status: SyncStatus,
    pub sync_error: Option<String>,
    pub aura_id: Option<String>,
    pub next_occurrence: Option<String>,
    pub site_name: Option<String>,
    pub address: Option<String>,
    pub coordinates: Option<String>,
    pub timezone: String,
    pub repeat: String,
    pub dates: String,
    pub window: String,
    pub number_of_guards: u32,
    pub armed_preference: String,
    pub contacts: Vec<ContactView>,
    pub special_instructions: Option<String>,
    pub created: String,
    pub cancellation: Option<CancellationInfo>,
    pub upcoming: Vec<OccurrenceView>,
    pub upcoming_total: usize,
    pub events: Vec<EventView>,
    pub can_cancel: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CancellationView {
    pub request_id: i64,
    pub customer: String,
    pub name: String,
    pub service_type: ServiceType,
    pub place: String,
    pub cancellation: CancellationInfo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpcomingView {
    pub days: u32,
    pub showing_for: String,
    pub show_customer: bool,
    pub occurrences: Vec<OccurrenceView>,
    pub cancellations: Vec<CancellationView>,
}
