//! Wire types between server functions and pages. Times a person reads arrive already formatted in
//! the zone they belong to (the zone database stays on the server), always naming that zone.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::{BookingDraft, FieldErrors, PairRole, ServiceType};

mod accounts;
mod calendar;
mod forms;
mod integrations;
mod notices;
mod outcome;
pub use accounts::*;
pub use calendar::*;
pub use forms::*;
pub use integrations::*;
pub use notices::*;
pub use outcome::*;

pub use crate::lifecycle::{EventKind, SyncStatus};

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
    /// Changing a booking: the form describes its new version (`None`: a new booking).
    #[serde(default)]
    pub changing: Option<i64>,
}

/// The closures page: the form for one customer, or the customers to choose from first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClosuresPage {
    Ready(Box<ClosuresView>),
    ChooseCustomer(Vec<CustomerOption>),
}

/// A customer's closures (those not yet over), each with the bookings it meets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClosuresView {
    pub customer_id: i64,
    pub customer_name: String,
    pub closures: Vec<ClosureView>,
    /// The customer's open saved sites, to close some only.
    pub sites: Vec<SiteView>,
    /// One key per page load: applying a closure twice skips once.
    pub form_key: String,
    pub flash: Option<FormFlash>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClosureView {
    pub id: i64,
    pub name: String,
    /// e.g. "Fri 25 Dec 2026 to Mon 28 Dec 2026"
    pub dates: String,
    /// "Every site", or the names of the sites it closes.
    pub sites: String,
    pub meets: Vec<MeetView>,
}

/// A booking a closure meets: the windows of it that fall on the closure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetView {
    pub booking_id: i64,
    pub name: String,
    pub place: String,
    /// The windows met (the first 10), in the booking's zone, and how many in all.
    pub windows: Vec<String>,
    pub count: usize,
    /// It can be skipped now; else why not.
    pub why_not: Option<String>,
}

/// Several bookings at once: the filter's choices, and the dry run of an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeveralView {
    pub sites: Vec<SiteView>,
    pub services: Vec<ServiceType>,
    /// Each booking the filter chooses, with what the action would do to it.
    pub rows: Vec<PlannedRow>,
    /// An action was given: `rows` is its dry run.
    pub dry_run: bool,
    pub form_key: String,
    pub flash: Option<FormFlash>,
}

/// What an action would do to one booking (in words), or why it cannot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedRow {
    pub booking_id: i64,
    pub name: String,
    pub customer: String,
    pub place: String,
    pub status: SyncStatus,
    pub plan: Result<String, String>,
}

/// One booking's result when several are acted on at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowResult {
    pub booking_id: i64,
    pub name: String,
    pub outcome: Result<Box<Outcome>, AppError>,
}

/// What skipping some dates of a booking would do, shown before it is confirmed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkipPreview {
    pub booking_id: i64,
    /// The dates as read (`YYYY-MM-DD`).
    pub from: String,
    pub to: String,
    /// The windows skipped (the first 60), in the booking's zone.
    pub skipped: Vec<String>,
    pub skipped_count: usize,
    /// How many windows stay, booked again as they are.
    pub kept_count: usize,
    /// What will be sent to AURA, in order.
    pub steps: Vec<String>,
    /// The other half of its lock/unlock pair: its role and number (offered to skip too).
    pub pair: Option<(crate::PairRole, i64)>,
    pub zone: String,
    /// One key per preview: confirming twice skips once.
    pub form_key: String,
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
    /// Closures these windows fall on, e.g. "Christmas Day (Fri 25 Dec 2026): 1 window" (a
    /// warning: once booked, they can be skipped).
    #[serde(default)]
    pub closures: Vec<String>,
    /// The other sites booked at once, each previewed in its own zone.
    #[serde(default)]
    pub other_sites: Vec<SitePreview>,
}

/// The same booking at another saved site, previewed: its first window in the site's zone and
/// how many there are, or what stops it there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SitePreview {
    pub site_id: i64,
    pub site_name: String,
    pub first: Option<String>,
    pub total: usize,
    pub problem: Option<String>,
    pub closures: Vec<String>,
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
    /// What AURA said when it refused, or why it could not be sent; for a change, what came of it.
    pub message: Option<String>,
    /// A change of a booking (`booking_id` is the original): where it stands.
    #[serde(default)]
    pub change: Option<crate::lifecycle::ChangeStatus>,
    /// The same service booked at several sites at once: each site's booking (or why not), the
    /// first site's included.
    #[serde(default)]
    pub several: Vec<RowResult>,
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
    /// Cancelled as the last step of a change of plans (a new version, or dates skipped): the
    /// ledger shows it as that change.
    #[serde(default)]
    pub change: Option<crate::lifecycle::ChangeKind>,
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
    /// Refused or not sent, and nobody has acknowledged it yet (it stays on the calendar until then).
    pub can_acknowledge: bool,
    /// Who acknowledged it and when.
    pub acknowledged: Option<String>,
    /// When the worker tries again (not yet delivered, or cancelling).
    pub next_attempt: Option<String>,
    /// How many calls were made to AURA for it.
    pub attempts: i64,
    /// What the last cancel form submit left for this page (plain form posts only).
    pub flash: Option<FormFlash>,
    /// Half of a lock/unlock pair: the other half.
    pub pair: Option<PairView>,
    /// It can be changed (a new version) or have dates skipped: AURA holds it (or it never reached
    /// AURA), nothing is cancelled and no change is under way.
    pub can_change: bool,
    /// It repeats: dates of it can be skipped.
    pub repeats: bool,
    /// Its first and last dates (`YYYY-MM-DD`), for the skip form's bounds.
    pub first_date: String,
    pub last_date: String,
    /// The changes of plans it is part of (as the original, or as a new booking), oldest first.
    pub changes: Vec<ChangeView>,
    /// The customer's closures its windows still to open fall on (offered to skip).
    pub closures: Vec<ClosureMet>,
}

/// A closure a booking's windows fall on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClosureMet {
    pub name: String,
    /// `YYYY-MM-DD`, for the skip form.
    pub from: String,
    pub to: String,
    pub dates: String,
    pub windows: usize,
}

/// A change of plans as a booking's page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeView {
    pub id: i64,
    pub kind: crate::lifecycle::ChangeKind,
    pub status: crate::lifecycle::ChangeStatus,
    pub detail: String,
    pub at_label: String,
    pub by: String,
    /// The booking changed, and the new bookings (in order).
    pub original: i64,
    pub parts: Vec<i64>,
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
    /// One page of the cancellation ledger, newest first.
    pub cancellations: Vec<CancellationView>,
    /// Every row of the ledger, on all pages.
    pub cancelled_total: i64,
    /// This page (from 0) and how many there are (at least 1).
    pub ledger_page: u32,
    pub ledger_pages: u32,
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
    /// A customer's own view: unknown outcomes are being checked by someone else.
    pub for_customer: bool,
    pub items: Vec<AttentionItem>,
}
