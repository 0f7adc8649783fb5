//! Wire types between server functions and pages. Times a person reads arrive already formatted in
//! the zone they belong to (the zone database stays on the server), always naming that zone.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::keyed::keyed_enum;
use crate::{BookingDraft, FieldErrors, PairRole, ServiceType};

mod accounts;
mod calendar;
mod forms;
pub use accounts::*;
pub use calendar::*;
pub use forms::*;

keyed_enum! {
    /// Where a booking stands with AURA. Every status says what AURA holds, as far as we know it.
    pub enum SyncStatus {
        /// Saved here; waiting for its turn to be sent (nothing has gone to AURA yet).
        Saved = "saved",
        /// A call to AURA has started; its answer is awaited.
        Sending = "sending",
        /// Every attempt so far did not reach AURA (or AURA answered it failed): sent again later.
        NotSent = "not_sent",
        /// A call went out and no usable answer came back: AURA may hold it. A person checks.
        Unknown = "unknown",
        /// AURA accepted it and gave it an id.
        Confirmed = "confirmed",
        /// AURA refused it; it is not scheduled.
        Rejected = "rejected",
        /// Not sent, and not going to be by itself: its first window came too near before it could
        /// be sent (or its service is no longer offered). The reason is kept.
        Lapsed = "lapsed",
        /// Cancelled here; the cancel is being delivered to AURA, which still holds it until then.
        Cancelling = "cancelling",
        Cancelled = "cancelled",
    }
}

impl SyncStatus {
    /// The statuses whose windows belong on the calendar: everything AURA holds or may hold, and
    /// everything still to be sent.
    pub const ACTIVE: [SyncStatus; 6] = [
        SyncStatus::Saved,
        SyncStatus::Sending,
        SyncStatus::NotSent,
        SyncStatus::Unknown,
        SyncStatus::Confirmed,
        SyncStatus::Cancelling,
    ];
    /// The statuses the sending worker picks up to send a create.
    pub const TO_SEND: [SyncStatus; 2] = [SyncStatus::Saved, SyncStatus::NotSent];
    /// The statuses someone may ask to cancel from a booking's page.
    pub const CANCELLABLE: [SyncStatus; 6] = [
        SyncStatus::Saved,
        SyncStatus::Sending,
        SyncStatus::NotSent,
        SyncStatus::Unknown,
        SyncStatus::Confirmed,
        SyncStatus::Lapsed,
    ];
    /// The statuses a person has to look at.
    pub const NEEDS_ATTENTION: [SyncStatus; 2] = [SyncStatus::Unknown, SyncStatus::Lapsed];

    pub fn label(self) -> &'static str {
        match self {
            SyncStatus::Saved => "Saved, sending to AURA",
            SyncStatus::Sending => "Being sent to AURA",
            SyncStatus::NotSent => "Saved, not yet sent to AURA (retrying)",
            SyncStatus::Unknown => "AURA may have scheduled this — being checked",
            SyncStatus::Confirmed => "Confirmed by AURA",
            SyncStatus::Rejected => "Refused by AURA",
            SyncStatus::Lapsed => "Not sent to AURA",
            SyncStatus::Cancelling => "Cancelling at AURA",
            SyncStatus::Cancelled => "Cancelled",
        }
    }

    /// A word or two for tight spaces; empty for the normal case (confirmed).
    pub fn short_label(self) -> &'static str {
        match self {
            SyncStatus::Saved | SyncStatus::Sending => "Sending to AURA",
            SyncStatus::Confirmed => "",
            SyncStatus::NotSent => "Not yet sent",
            SyncStatus::Unknown => "AURA may have scheduled this — being checked",
            SyncStatus::Rejected => "Refused",
            SyncStatus::Lapsed => "Not sent",
            SyncStatus::Cancelling => "Cancelling",
            SyncStatus::Cancelled => "Cancelled",
        }
    }

    /// Whether its windows belong on the calendar.
    pub fn is_active(self) -> bool {
        SyncStatus::ACTIVE.contains(&self)
    }

    /// Whether someone may ask to cancel it from its page.
    pub fn is_cancellable(self) -> bool {
        SyncStatus::CANCELLABLE.contains(&self)
    }

    pub fn needs_attention(self) -> bool {
        SyncStatus::NEEDS_ATTENTION.contains(&self)
    }
}

keyed_enum! {
    /// What happened to a booking, as its history records it.
    pub enum EventKind {
        Saved = "saved",
        Confirmed = "confirmed",
        Rejected = "rejected",
        /// An attempt that did not reach AURA (or AURA answered it failed); it is sent again.
        NotSent = "not_sent",
        /// An attempt that went out without a usable answer: AURA may hold it.
        OutcomeUnknown = "unknown",
        /// The first window passed before it could be sent.
        Lapsed = "lapsed",
        /// A person checked with AURA: AURA has it (with its id).
        ResolvedHeld = "resolved_held",
        /// A person checked with AURA: AURA does not have it.
        ResolvedNotHeld = "resolved_not_held",
        /// Sent again from a later first window.
        Rescheduled = "rescheduled",
        /// AURA answered after the booking had been handed to a person.
        LateAnswer = "late_answer",
        /// Someone asked to cancel; it is done once AURA confirms (or once it is known AURA never
        /// had it).
        CancelRequested = "cancel_requested",
        /// Cancelled before it ever reached AURA.
        CancelledLocally = "cancel",
        /// AURA reported the booking cancelled on its side (e.g. already cancelled there).
        AuraCancel = "aura_cancel",
        /// A cancel attempt that did not get through; it is tried again.
        CancelFailed = "cancel_failed",
        /// AURA refused the cancel; the booking stays confirmed.
        CancelRefused = "cancel_refused",
        Cancelled = "cancelled",
        /// Found on upgrade: dates beyond what the dashboard stores, kept at the nearest it does.
        DatesKept = "dates_kept",
    }
}

impl EventKind {
    /// How the history names it.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Saved => "Saved",
            EventKind::Confirmed => "Confirmed by AURA",
            EventKind::Rejected => "Refused by AURA",
            EventKind::NotSent => "Did not reach AURA",
            EventKind::OutcomeUnknown => "No answer from AURA; it may have scheduled this",
            EventKind::Lapsed => "Not sent to AURA",
            EventKind::ResolvedHeld => "Checked with AURA: AURA has it",
            EventKind::ResolvedNotHeld => "Checked with AURA: AURA does not have it",
            EventKind::Rescheduled => "Sent again from a later window",
            EventKind::LateAnswer => "Late answer from AURA",
            EventKind::CancelRequested => "Cancel requested",
            EventKind::CancelledLocally => "Cancelled before reaching AURA",
            EventKind::AuraCancel => "Cancelled at AURA",
            EventKind::CancelFailed => "Cancel did not reach AURA yet",
            EventKind::CancelRefused => "AURA refused to cancel",
            EventKind::Cancelled => "Cancelled",
            EventKind::DatesKept => "Dates kept within the years 0 to 9999",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteView {
    pub id: i64,
    pub name: String,
    pub address: Option<String>,
    pub timezone: String,
    /// No longer offered for new bookings.
    pub retired: bool,
}

/// What the booking page starts with: the form for one customer, or (for someone acting for
/// several customers with none chosen yet) the customers to choose from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BookingStart {
    Ready(Box<BookingFormData>),
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
    /// "Book again": the form filled in from an earlier booking, and what was changed on the way.
    pub prefill: Option<BookingDraft>,
    pub prefill_note: Option<String>,
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
    /// When shown in another zone than the site's: the window in the site's local time, e.g.
    /// "17:00–18:30 EST at the site (America/New_York)".
    pub site_time: Option<String>,
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
    /// Active bookings of the same service at the same site whose windows overlap these (a
    /// warning: booking is still possible).
    pub overlaps: Vec<Overlap>,
}

/// An existing booking whose windows overlap the ones being booked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overlap {
    pub booking_id: i64,
    pub name: String,
    pub status: SyncStatus,
    /// The first overlapping window of the existing booking, e.g. "Wed 2 Dec 2026 22:00–23:30 GMT".
    pub first: String,
    /// How many of the new windows overlap it (capped at `PREVIEW_COUNT_CAP`).
    pub windows: usize,
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
    /// Asked, not yet done (AURA's side still to be confirmed).
    pub pending: bool,
    /// Asked while a window was open or less than `LATE_CANCEL_NOTICE_HOURS` before the next.
    pub late: bool,
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
    /// The place on a public map (coordinates if known, else the address).
    pub map_url: Option<String>,
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
    /// The viewer may record what AURA holds (an account manager or administrator, outcome unknown).
    pub can_resolve: bool,
    /// A lapsed booking with a window left: it can be sent again from that window.
    pub can_send_again: bool,
    /// When the worker tries again (not yet delivered, or cancelling).
    pub next_attempt: Option<String>,
    /// How many calls were made to AURA for it.
    pub attempts: i64,
    /// What the last cancel form submit left for this page (plain form posts only).
    pub flash: Option<FormFlash>,
    /// Half of a lock/unlock pair: the other half.
    pub pair: Option<PairView>,
}

/// The other half of a lock/unlock pair, as a booking's page names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairView {
    /// This booking's half.
    pub role: PairRole,
    pub other_id: i64,
    pub other_name: String,
    pub other_status: SyncStatus,
    /// The other half can be cancelled along with this one.
    pub other_cancellable: bool,
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

/// A booking a person has to look at: its outcome at AURA is unknown, or it lapsed unsent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttentionItem {
    pub booking_id: i64,
    pub customer: String,
    pub name: String,
    pub service_type: ServiceType,
    pub status: SyncStatus,
    pub place: String,
    /// When its first window opens, in its zone.
    pub first_window: String,
    pub booked: String,
    /// What went wrong, in words.
    pub reason: Option<String>,
    pub cancel_requested: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttentionView {
    pub showing_for: String,
    pub show_customer: bool,
    pub items: Vec<AttentionItem>,
}
