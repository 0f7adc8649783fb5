//! What a calendar URL asks for (the view, the date, the filters, read strictly), and the windows
//! the filters look at.

use chrono::{Datelike, NaiveDate};

use crate::db::Booking;
use domain::error::AppError;
use domain::model::{CalendarMode, StatusGroup};
use domain::{Occurrence, ServiceType, read_iso_date};

/// Choices one filter may name in a URL.
pub(super) const MAX_CHOICES: usize = 200;

/// The raw calendar query of a URL, as the page passes it on.
#[derive(Debug, Clone, Default)]
pub struct RawCalendarQuery<'a> {
    pub view: &'a str,
    pub date: &'a str,
    /// "YYYY-MM": older links' way of naming a month.
    pub month: &'a str,
    /// Comma-separated lists.
    pub site: &'a str,
    pub service: &'a str,
    pub status: &'a str,
    pub customer: &'a str,
}

/// Where a window is: a saved site, or an address typed for that booking alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SiteChoice {
    Saved(i64),
    Unsaved,
}

impl SiteChoice {
    pub(super) fn key(self) -> String {
        match self {
            SiteChoice::Saved(id) => id.to_string(),
            SiteChoice::Unsaved => "none".into(),
        }
    }

    pub(super) fn of(booking: &Booking) -> SiteChoice {
        booking
            .site
            .as_ref()
            .map_or(SiteChoice::Unsaved, |s| SiteChoice::Saved(s.id))
    }
}

/// What narrows the calendar; an empty list narrows nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub sites: Vec<SiteChoice>,
    pub services: Vec<ServiceType>,
    pub statuses: Vec<StatusGroup>,
    pub customers: Vec<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Facet {
    Site,
    Service,
    Status,
    Customer,
}

impl Filters {
    pub(super) fn is_empty(&self) -> bool {
        self.sites.is_empty()
            && self.services.is_empty()
            && self.statuses.is_empty()
            && self.customers.is_empty()
    }

    /// Whether a window passes every filter but `except`.
    pub(super) fn admits(&self, w: &Window<'_>, except: Option<Facet>) -> bool {
        let passes = |facet: Facet, ok: bool| except == Some(facet) || ok;
        passes(
            Facet::Site,
            self.sites.is_empty() || self.sites.contains(&w.site),
        ) && passes(
            Facet::Service,
            self.services.is_empty() || self.services.contains(&w.booking.service_type),
        ) && passes(
            Facet::Status,
            self.statuses.is_empty() || self.statuses.contains(&w.group),
        ) && passes(
            Facet::Customer,
            self.customers.is_empty() || self.customers.contains(&w.booking.customer.id),
        )
    }

    /// The filters as URL parameters, each starting with "&".
    pub(super) fn query(&self) -> String {
        let mut q = String::new();
        for s in &self.sites {
            q.push_str(&format!("&site={}", s.key()));
        }
        for s in &self.services {
            q.push_str(&format!("&service={}", s.key()));
        }
        for s in &self.statuses {
            q.push_str(&format!("&status={}", s.key()));
        }
        for c in &self.customers {
            q.push_str(&format!("&customer={c}"));
        }
        q
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CalendarQuery {
    pub mode: CalendarMode,
    /// The day the view is around (today when absent).
    pub date: Option<NaiveDate>,
    pub filters: Filters,
}

/// The earliest and latest years the calendar pages through.
pub(super) const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

impl CalendarQuery {
    /// Reads a URL's calendar query, once; anything no link of ours makes is a 400.
    pub fn parse(raw: &RawCalendarQuery<'_>) -> Result<CalendarQuery, AppError> {
        let bad = |what: &str| AppError::BadRequest(what.to_string());
        let mode = match raw.view.trim_ascii() {
            "" => CalendarMode::Month,
            v => v
                .parse()
                .map_err(|_| bad("The view is month, week or agenda."))?,
        };
        let date = match (raw.date.trim_ascii(), raw.month.trim_ascii()) {
            ("", "") => None,
            ("", month) => Some(
                read_iso_date(&format!("{month}-01"))
                    .ok_or_else(|| bad("That is not a month; use YYYY-MM."))?,
            ),
            (date, _) => Some(
                read_iso_date(date).ok_or_else(|| bad("That is not a date; use YYYY-MM-DD."))?,
            ),
        };
        if date.is_some_and(|d| !YEARS.contains(&d.year())) {
            return Err(AppError::NotFound(
                "The calendar covers the years 1970 to 9999.".into(),
            ));
        }
        let filters = Filters {
            sites: choices(raw.site, "A site is a number or \"none\".", |s| match s {
                "none" => Some(SiteChoice::Unsaved),
                id => id.parse().ok().map(SiteChoice::Saved),
            })?,
            services: choices(raw.service, "Unknown service type.", |s| s.parse().ok())?,
            statuses: choices(raw.status, "Unknown status.", |s| s.parse().ok())?,
            customers: choices(raw.customer, "A customer is a number.", |s| s.parse().ok())?,
        };
        Ok(CalendarQuery {
            mode,
            date,
            filters,
        })
    }
}

/// A filter's comma-separated choices, each read by `read` (`refusal` if one is not), in order and
/// without repeats.
pub(super) fn choices<T: Ord>(
    text: &str,
    refusal: &str,
    read: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, AppError> {
    let bad = |what: &str| AppError::BadRequest(what.to_string());
    let mut items = text
        .split(',')
        .map(str::trim_ascii)
        .filter(|s| !s.is_empty())
        .map(|s| read(s).ok_or_else(|| bad(refusal)))
        .collect::<Result<Vec<T>, _>>()?;
    if items.len() > MAX_CHOICES {
        return Err(bad("Too many filter choices."));
    }
    items.sort_unstable();
    items.dedup();
    Ok(items)
}

/// One window of a booking in the range, with the day it is shown on and what the filters look
/// at.
pub(super) struct Window<'a> {
    pub(super) booking: &'a Booking,
    pub(super) o: Occurrence,
    /// Its local date where it is shown: the site's, or the viewer's own zone's.
    pub(super) day: NaiveDate,
    pub(super) site: SiteChoice,
    pub(super) group: StatusGroup,
}
