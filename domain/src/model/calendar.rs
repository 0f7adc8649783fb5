//! The calendar as the page shows it: a month, a week or an agenda of windows, with its filters.
//! The server does all the work (expansion, zones, layout, counts, links); the page only draws.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{OccurrenceView, SyncStatus};
use crate::ServiceType;
use crate::keyed::keyed_enum;

keyed_enum! {
    /// Light or dark: the system's choice, or the one picked in the header (kept in a cookie).
    #[derive(Default)]
    pub enum Theme {
        #[default]
        System = "system",
        Light = "light",
        Dark = "dark",
    }
}

impl Theme {
    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "System",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }
}

keyed_enum! {
    /// Whose zone the calendar's times are shown in: each site's own (the default), or the
    /// viewer's (their browser's zone, remembered in a cookie).
    #[derive(Default)]
    pub enum TimesIn {
        #[default]
        Site = "site",
        Mine = "mine",
    }
}

keyed_enum! {
    /// Which calendar view is shown.
    pub enum CalendarMode {
        Month = "month",
        Week = "week",
        Agenda = "agenda",
    }
}

impl CalendarMode {
    pub fn label(self) -> &'static str {
        match self {
            CalendarMode::Month => "Month",
            CalendarMode::Week => "Week",
            CalendarMode::Agenda => "Agenda",
        }
    }
}

keyed_enum! {
    /// Statuses as the calendar's filter groups them: what a person asks about a window.
    #[derive(PartialOrd, Ord)]
    pub enum StatusGroup {
        Confirmed = "confirmed",
        /// Saved here, not (yet) confirmed sent: saved, sending, not sent.
        NotYetSent = "not_sent",
        /// AURA may have it; a person checks.
        BeingChecked = "unknown",
        /// Cancelled here; AURA still to confirm.
        Cancelling = "cancelling",
        /// Refused by AURA or not sent in time: nothing is scheduled. Shown until someone
        /// acknowledges it.
        NotScheduled = "not_scheduled",
    }
}

impl StatusGroup {
    pub fn of(status: SyncStatus) -> Option<StatusGroup> {
        match status {
            SyncStatus::Confirmed => Some(StatusGroup::Confirmed),
            SyncStatus::Saved | SyncStatus::Sending | SyncStatus::NotSent => {
                Some(StatusGroup::NotYetSent)
            }
            SyncStatus::Unknown => Some(StatusGroup::BeingChecked),
            SyncStatus::Cancelling => Some(StatusGroup::Cancelling),
            SyncStatus::Rejected | SyncStatus::Lapsed => Some(StatusGroup::NotScheduled),
            SyncStatus::Cancelled => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StatusGroup::Confirmed => "Confirmed by AURA",
            StatusGroup::NotYetSent => "Not yet sent to AURA",
            StatusGroup::BeingChecked => "Being checked with AURA",
            StatusGroup::Cancelling => "Cancelling at AURA",
            StatusGroup::NotScheduled => "Refused or not sent: nothing scheduled",
        }
    }
}

/// One choice of a filter: its URL value, what it is called, how many windows of the shown range
/// it has (with the other filters applied), and whether it is chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterOption {
    pub value: String,
    pub label: String,
    pub count: usize,
    pub selected: bool,
}

/// A filter: its URL parameter, its heading, and its choices (none chosen: all shown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    pub param: String,
    pub label: String,
    pub options: Vec<FilterOption>,
}

/// A link of the calendar's toolbar: the query string (with the filters) and what it says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarLink {
    pub href: String,
    pub label: String,
    /// This is the view or range shown.
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarView {
    pub mode: CalendarMode,
    /// e.g. "December 2026", "7–13 December 2026", "From Monday 7 December 2026"
    pub title: String,
    /// Month, week and agenda around the same date.
    pub modes: Vec<CalendarLink>,
    pub previous: CalendarLink,
    pub today: CalendarLink,
    pub next: CalendarLink,
    pub filters: Vec<Filter>,
    /// The filters' hidden state for the filter form (view and date), as (name, value).
    pub keep: Vec<(String, String)>,
    /// Whether any filter narrows the view; and the link that clears them.
    pub filtered: bool,
    pub clear_filters: String,
    /// Windows in the shown range after filtering.
    pub total: usize,
    /// The service types with windows in the range (the legend).
    pub legend: Vec<ServiceType>,
    pub showing_for: String,
    pub show_customer: bool,
    /// Whose zone the times are in, and the viewer's own zone (once the browser told it).
    pub times_in: TimesIn,
    pub my_zone: Option<String>,
    pub body: CalendarBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CalendarBody {
    Month(Vec<Vec<MonthDay>>),
    Week(Vec<WeekDay>),
    Agenda {
        days: Vec<AgendaDay>,
        /// Where the list goes on (more days), if it stopped early.
        more: Option<CalendarLink>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthDay {
    pub date: NaiveDate,
    /// e.g. "Monday 7 December 2026"
    pub label: String,
    pub in_month: bool,
    pub today: bool,
    /// The first few windows of the day ...
    pub shown: Vec<OccurrenceView>,
    /// ... how many more there are ...
    pub more: usize,
    /// ... and the day's agenda, which lists them all.
    pub agenda: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekDay {
    pub date: NaiveDate,
    pub label: String,
    pub today: bool,
    pub items: Vec<WeekItem>,
    /// Windows of the day not drawn (too many side by side), listed in the day's agenda.
    pub more: usize,
    pub agenda: String,
}

/// A window's part on one day of the week view, placed on the day's time axis (site-local
/// minutes from midnight) and in one of `columns` side-by-side columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekItem {
    pub occurrence: OccurrenceView,
    pub start_minute: u16,
    pub end_minute: u16,
    pub column: u8,
    pub columns: u8,
    /// It began the day before / goes on the next day (crosses midnight).
    pub from_previous_day: bool,
    pub into_next_day: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgendaDay {
    pub date: NaiveDate,
    pub label: String,
    pub today: bool,
    pub occurrences: Vec<OccurrenceView>,
}
