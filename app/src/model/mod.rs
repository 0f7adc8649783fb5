//! Wire types between server functions and pages. Times a person reads arrive already formatted in
//! the zone they belong to (the zone database stays on the server), always naming that zone.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{FieldErrors, ServiceType};
use crate::keyed::keyed_enum;

mod accounts;
pub use accounts::*;

keyed_enum! {
    /// Where a booking stands with AURA.
    pub enum SyncStatus {
        /// Saved here; the call to AURA is under way.
        Saved = "saved",
        /// AURA accepted it and gave it an id.
        Confirmed = "confirmed",
        /// Saved here, but AURA could not be reached or failed: not yet sent.
        NotSent = "not_sent",
        /// AURA refused it; it is not scheduled.
        Rejected = "rejected",
        Cancelled = "cancelled",
    }
}

impl SyncStatus {
    /// The statuses whose windows belong on the calendar.
    pub const ACTIVE: [SyncStatus; 3] = [
        SyncStatus::Saved,
        SyncStatus::Confirmed,
        SyncStatus::NotSent,
    ];
    /// The statuses in which AURA's answer to a create is still awaited.
    pub const AWAITING_AURA: [SyncStatus; 2] = [SyncStatus::Saved, SyncStatus::NotSent];

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

    /// Whether its windows belong on the calendar.
    pub fn is_active(self) -> bool {
        SyncStatus::ACTIVE.contains(&self)
    }

    /// Whether someone may cancel it from its page.
    pub fn is_cancellable(self) -> bool {
        matches!(self, SyncStatus::Confirmed | SyncStatus::NotSent)
    }
}

keyed_enum! {
    /// What happened to a booking, as its history records it.
    pub enum EventKind {
        Saved = "saved",
        Confirmed = "confirmed",
        Rejected = "rejected",
        NotSent = "not_sent",
        /// Cancelled before it ever reached AURA.
        CancelledLocally = "cancel",
        /// AURA reported the booking cancelled on its side (e.g. already cancelled there).
        AuraCancel = "aura_cancel",
        /// AURA refused the cancel or could not be reached; the booking stayed active.
        CancelFailed = "cancel_failed",
        Cancelled = "cancelled",
    }
}

impl EventKind {
    /// How the history names it.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Saved => "Saved",
            EventKind::Confirmed => "Confirmed by AURA",
            EventKind::Rejected => "Refused by AURA",
            EventKind::NotSent => "Not sent to AURA",
            EventKind::CancelledLocally => "Cancelled before reaching AURA",
            EventKind::AuraCancel => "Cancelled at AURA",
            EventKind::CancelFailed => "Cancel not done at AURA",
            EventKind::Cancelled => "Cancelled",
        }
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
    pub booking_id: i64,
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
    pub booking_id: i64,
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
    pub kind: EventKind,
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
pub struct BookingDetail {
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
    /// What the last cancel form submit left for this page (plain form posts only).
    pub flash: Option<FormFlash>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CancellationView {
    pub booking_id: i64,
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
