//! The calendar: a month, a week or an agenda of the windows in reach, filtered by site, service
//! type, status and customer, with counts. Built so its cost follows what is shown: every booking
//! is expanded only over the range asked for, and a window becomes a labelled view only if it is
//! drawn (a month day shows a few and counts the rest).

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, Utc};

use super::occurrence_view_in;
use crate::auth::Viewer;
use crate::blocking::EXPANSION;
use crate::db::{self, Booking, SiteRow};
use crate::error::ServerError;
use crate::state::AppState;
use crate::zone::Zone;
use domain::error::AppError;
use domain::model::{
    AgendaDay, CalendarBody, CalendarLink, CalendarMode, CalendarView, Filter, FilterOption,
    MonthDay, StatusGroup, TimesIn, WeekDay, WeekItem,
};
use domain::{Occurrence, ServiceType, read_iso_date};

/// Windows a month day shows before "+N more".
pub const MONTH_DAY_SHOWN: usize = 3;
/// Windows side by side in a week day's column before "+N more".
pub const WEEK_COLUMNS: usize = 4;
/// Days an agenda page covers at most ...
pub const AGENDA_DAYS: u64 = 7;
/// ... and the windows after which it stops at the end of a day.
pub const AGENDA_WINDOWS: usize = 150;
/// Choices one filter may name in a URL.
const MAX_CHOICES: usize = 200;

/// The viewer's own zone, as their browser reported it, and whose zone they chose to see times in.
#[derive(Debug, Clone, Copy, Default)]
pub struct ViewerZones {
    pub own: Option<Zone>,
    pub times_in: TimesIn,
}

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
    fn key(self) -> String {
        match self {
            SiteChoice::Saved(id) => id.to_string(),
            SiteChoice::Unsaved => "none".into(),
        }
    }

    fn of(booking: &Booking) -> SiteChoice {
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
enum Facet {
    Site,
    Service,
    Status,
    Customer,
}

impl Filters {
    fn is_empty(&self) -> bool {
        self.sites.is_empty()
            && self.services.is_empty()
            && self.statuses.is_empty()
            && self.customers.is_empty()
    }

    /// Whether a window passes every filter but `except`.
    fn admits(&self, w: &Window<'_>, except: Option<Facet>) -> bool {
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
    fn query(&self) -> String {
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
const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

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
fn choices<T: Ord>(
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
struct Window<'a> {
    booking: &'a Booking,
    o: Occurrence,
    /// Its local date where it is shown: the site's, or the viewer's own zone's.
    day: NaiveDate,
    site: SiteChoice,
    group: StatusGroup,
}

impl Window<'_> {
    fn view(&self, cx: &Context) -> domain::model::OccurrenceView {
        occurrence_view_in(self.booking, &self.o, cx.shown_in.as_ref())
    }

    /// The zone its times are shown in.
    fn zone<'z>(&'z self, cx: &'z Context) -> &'z Zone {
        cx.shown_in.as_ref().unwrap_or(&self.booking.zone)
    }
}

/// The local dates a view covers, and where its links go.
struct Range {
    /// Days whose windows are drawn (a month grid includes the edges of the weeks around it).
    first: NaiveDate,
    last: NaiveDate,
    /// Days whose windows are counted (the month itself, the week, the agenda's days).
    counted: (NaiveDate, NaiveDate),
    title: String,
    previous: NaiveDate,
    next: NaiveDate,
}

fn add_days(d: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        d.checked_add_days(Days::new(n.unsigned_abs()))
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs()))
    }
    .unwrap_or(d)
}

fn monday_of(d: NaiveDate) -> NaiveDate {
    add_days(d, -i64::from(d.weekday().num_days_from_monday()))
}

fn range_of(mode: CalendarMode, date: NaiveDate) -> Range {
    match mode {
        CalendarMode::Month => {
            let first = date.with_day(1).unwrap_or(date);
            let next = first.checked_add_months(Months::new(1)).unwrap_or(first);
            let previous = first.checked_sub_months(Months::new(1)).unwrap_or(first);
            let last = next.pred_opt().unwrap_or(first);
            let grid_last = add_days(last, 6 - i64::from(last.weekday().num_days_from_monday()));
            Range {
                first: monday_of(first),
                last: grid_last,
                counted: (first, last),
                title: first.format("%B %Y").to_string(),
                previous,
                next,
            }
        }
        CalendarMode::Week => {
            let first = monday_of(date);
            let last = add_days(first, 6);
            let title = if first.month() == last.month() {
                format!("{}–{}", first.format("%-d"), last.format("%-d %B %Y"))
            } else if first.year() == last.year() {
                format!("{} – {}", first.format("%-d %B"), last.format("%-d %B %Y"))
            } else {
                format!(
                    "{} – {}",
                    first.format("%-d %B %Y"),
                    last.format("%-d %B %Y")
                )
            };
            Range {
                first,
                last,
                counted: (first, last),
                title,
                previous: add_days(first, -7),
                next: add_days(first, 7),
            }
        }
        CalendarMode::Agenda => {
            let last = add_days(date, AGENDA_DAYS as i64 - 1);
            Range {
                first: date,
                last,
                counted: (date, last),
                title: format!("From {}", date.format("%A %-d %B %Y")),
                previous: add_days(date, -(AGENDA_DAYS as i64)),
                next: add_days(date, AGENDA_DAYS as i64),
            }
        }
    }
}

fn long_date(d: NaiveDate) -> String {
    d.format("%A %-d %B %Y").to_string()
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

/// Builds the calendar a viewer asked for.
/// `zones`: the viewer's own zone (if the browser told it) and whether every time is to be shown in
/// it (else each site's).
pub async fn calendar_view(
    state: &AppState,
    viewer: &Viewer,
    query: CalendarQuery,
    zones: ViewerZones,
    now: DateTime<Utc>,
) -> Result<CalendarView, ServerError> {
    let shown_in = zones.own.filter(|_| zones.times_in == TimesIn::Mine);
    let today = now
        .with_timezone(super::views::home_zone(viewer).tz())
        .date_naive();
    let date = query.date.unwrap_or(today);
    let range = range_of(query.mode, date);
    // Local dates differ from UTC ones by at most a day either way; a window crossing midnight
    // into the range began the day before it.
    let from = midnight(add_days(range.first, -2));
    let to = midnight(add_days(range.last, 3));
    let scope = viewer.view_scope();
    let bookings = db::active_bookings_between(&state.db, &scope, from, to).await?;
    let sites = db::sites_in_scope(&state.db, &scope).await?;
    let customers: Vec<(i64, String)> = viewer
        .customers
        .iter()
        .map(|c| (c.id, c.name.clone()))
        .collect();
    let context = Context {
        shown_in,
        mode: query.mode,
        date,
        today,
        filters: query.filters,
        show_customer: viewer.sees_several(),
        sites,
        customers,
    };
    let view = EXPANSION
        .run(move || build(&context, &bookings, &range, from, to))
        .await?;
    Ok(CalendarView {
        showing_for: viewer.showing_for(),
        my_zone: zones.own.map(|z| z.name().to_string()),
        ..view
    })
}

/// What `build` needs besides the bookings.
struct Context {
    shown_in: Option<Zone>,
    mode: CalendarMode,
    date: NaiveDate,
    today: NaiveDate,
    filters: Filters,
    show_customer: bool,
    sites: Vec<SiteRow>,
    customers: Vec<(i64, String)>,
}

impl Context {
    fn link(&self, mode: CalendarMode, date: Option<NaiveDate>) -> String {
        let date = date.map(|d| format!("&date={d}")).unwrap_or_default();
        format!("/?view={}{date}{}", mode.key(), self.filters.query())
    }
}

fn build(
    cx: &Context,
    bookings: &[Booking],
    range: &Range,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> CalendarView {
    // Every window of the range (and the day before, for windows crossing into it), once.
    let day_before = add_days(range.first, -1);
    let mut windows: Vec<Window<'_>> = Vec::new();
    for booking in bookings {
        let Some(group) = StatusGroup::of(booking.status) else {
            continue;
        };
        let site = SiteChoice::of(booking);
        windows.extend(
            booking
                .schedule
                .occurrences_between(booking.zone.tz(), from, to)
                .map(|o| Window {
                    booking,
                    day: match &cx.shown_in {
                        Some(z) => o.opens.with_timezone(z.tz()).date_naive(),
                        None => o.local_date,
                    },
                    o,
                    site,
                    group,
                })
                .filter(|w| w.day >= day_before && w.day <= range.last),
        );
    }
    windows.sort_by_key(|w| (w.o.opens, w.booking.id));
    let counted = |w: &Window<'_>| w.day >= range.counted.0 && w.day <= range.counted.1;

    let filters = facet_filters(cx, &windows, &counted);
    let shown: Vec<&Window<'_>> = windows
        .iter()
        .filter(|w| cx.filters.admits(w, None))
        .collect();
    let total = shown.iter().filter(|w| counted(w)).count();
    let legend: Vec<ServiceType> = {
        let present: HashSet<ServiceType> = shown
            .iter()
            .filter(|w| counted(w))
            .map(|w| w.booking.service_type)
            .collect();
        ServiceType::ALL
            .into_iter()
            .filter(|t| present.contains(t))
            .collect()
    };
    let agenda_of = |d: NaiveDate| cx.link(CalendarMode::Agenda, Some(d));
    let body = match cx.mode {
        CalendarMode::Month => month_body(cx, range, &shown, &agenda_of),
        CalendarMode::Week => week_body(cx, range, &shown, &agenda_of),
        CalendarMode::Agenda => agenda_body(cx, range, &shown),
    };
    let modes = CalendarMode::ALL
        .into_iter()
        .map(|m| CalendarLink {
            href: cx.link(m, Some(cx.date)),
            label: m.label().into(),
            current: m == cx.mode,
        })
        .collect();
    let (previous_label, next_label) = match cx.mode {
        CalendarMode::Month => ("Previous month", "Next month"),
        CalendarMode::Week => ("Previous week", "Next week"),
        CalendarMode::Agenda => ("Earlier", "Later"),
    };
    let mut keep = vec![("view".to_string(), cx.mode.key().to_string())];
    keep.push(("date".into(), cx.date.to_string()));
    CalendarView {
        mode: cx.mode,
        title: range.title.clone(),
        modes,
        previous: CalendarLink {
            href: cx.link(cx.mode, Some(range.previous)),
            label: previous_label.into(),
            current: false,
        },
        today: CalendarLink {
            href: cx.link(cx.mode, None),
            label: "Today".into(),
            current: cx.today >= range.counted.0 && cx.today <= range.counted.1,
        },
        next: CalendarLink {
            href: cx.link(cx.mode, Some(range.next)),
            label: next_label.into(),
            current: false,
        },
        filters,
        keep,
        filtered: !cx.filters.is_empty(),
        clear_filters: format!("/?view={}&date={}", cx.mode.key(), cx.date),
        total,
        legend,
        showing_for: String::new(),
        show_customer: cx.show_customer,
        times_in: if cx.shown_in.is_some() {
            TimesIn::Mine
        } else {
            TimesIn::Site
        },
        my_zone: None,
        body,
    }
}

/// Each filter's choices, counted with the other filters applied (so a count says what choosing
/// it would show).
fn facet_filters(
    cx: &Context,
    windows: &[Window<'_>],
    counted: &dyn Fn(&Window<'_>) -> bool,
) -> Vec<Filter> {
    let count = |facet: Facet| -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for w in windows.iter().filter(|w| counted(w)) {
            if cx.filters.admits(w, Some(facet)) {
                let key = match facet {
                    Facet::Site => w.site.key(),
                    Facet::Service => w.booking.service_type.key().to_string(),
                    Facet::Status => w.group.key().to_string(),
                    Facet::Customer => w.booking.customer.id.to_string(),
                };
                *counts.entry(key).or_insert(0) += 1;
            }
        }
        counts
    };
    let option =
        |counts: &BTreeMap<String, usize>, value: String, label: String, selected| FilterOption {
            count: counts.get(&value).copied().unwrap_or(0),
            value,
            label,
            selected,
        };
    let mut filters = Vec::new();
    let site_counts = count(Facet::Site);
    let mut site_options: Vec<FilterOption> = cx
        .sites
        .iter()
        .map(|s| {
            let choice = SiteChoice::Saved(s.id);
            option(
                &site_counts,
                choice.key(),
                s.name.clone(),
                cx.filters.sites.contains(&choice),
            )
        })
        .collect();
    site_options.push(option(
        &site_counts,
        SiteChoice::Unsaved.key(),
        "Other addresses".into(),
        cx.filters.sites.contains(&SiteChoice::Unsaved),
    ));
    filters.push(Filter {
        param: "site".into(),
        label: "Site".into(),
        options: site_options,
    });
    let service_counts = count(Facet::Service);
    filters.push(Filter {
        param: "service".into(),
        label: "Service".into(),
        options: ServiceType::ALL
            .into_iter()
            .map(|t| {
                option(
                    &service_counts,
                    t.key().into(),
                    t.label().into(),
                    cx.filters.services.contains(&t),
                )
            })
            .collect(),
    });
    let status_counts = count(Facet::Status);
    filters.push(Filter {
        param: "status".into(),
        label: "Status".into(),
        options: StatusGroup::ALL
            .into_iter()
            .map(|g| {
                option(
                    &status_counts,
                    g.key().into(),
                    g.label().into(),
                    cx.filters.statuses.contains(&g),
                )
            })
            .collect(),
    });
    if cx.show_customer {
        let customer_counts = count(Facet::Customer);
        filters.push(Filter {
            param: "customer".into(),
            label: "Customer".into(),
            options: cx
                .customers
                .iter()
                .map(|(id, name)| {
                    option(
                        &customer_counts,
                        id.to_string(),
                        name.clone(),
                        cx.filters.customers.contains(id),
                    )
                })
                .collect(),
        });
    }
    filters
}

fn month_body(
    cx: &Context,
    range: &Range,
    shown: &[&Window<'_>],
    agenda_of: &dyn Fn(NaiveDate) -> String,
) -> CalendarBody {
    let days = (range.last - range.first).num_days() + 1;
    let mut cells: Vec<Vec<&Window<'_>>> = (0..days).map(|_| Vec::new()).collect();
    for w in shown {
        let i = (w.day - range.first).num_days();
        if let Some(cell) = usize::try_from(i).ok().and_then(|i| cells.get_mut(i)) {
            cell.push(w);
        }
    }
    let month = range.counted.0.month();
    let days: Vec<MonthDay> = cells
        .into_iter()
        .enumerate()
        .map(|(i, ws)| {
            let date = add_days(range.first, i as i64);
            MonthDay {
                date,
                label: long_date(date),
                in_month: date.month() == month,
                today: date == cx.today,
                shown: ws
                    .iter()
                    .take(MONTH_DAY_SHOWN)
                    .map(|w| w.view(cx))
                    .collect(),
                more: ws.len().saturating_sub(MONTH_DAY_SHOWN),
                agenda: agenda_of(date),
            }
        })
        .collect();
    CalendarBody::Month(days.chunks(7).map(<[MonthDay]>::to_vec).collect())
}

/// A window's part of one local day, in minutes from that day's midnight.
struct Segment<'a> {
    window: &'a Window<'a>,
    start: u16,
    end: u16,
    from_previous_day: bool,
    into_next_day: bool,
}

fn week_body(
    cx: &Context,
    range: &Range,
    shown: &[&Window<'_>],
    agenda_of: &dyn Fn(NaiveDate) -> String,
) -> CalendarBody {
    let mut days: Vec<Vec<Segment<'_>>> = (0..7).map(|_| Vec::new()).collect();
    for w in shown {
        let tz = w.zone(cx).tz();
        let opens = w.o.opens.with_timezone(tz).naive_local();
        let closes = w.o.closes.with_timezone(tz).naive_local();
        for (i, day) in days.iter_mut().enumerate() {
            let date = add_days(range.first, i as i64);
            let (start, end) = (
                date.and_time(NaiveTime::MIN),
                add_days(date, 1).and_time(NaiveTime::MIN),
            );
            let (a, b) = (opens.max(start), closes.min(end));
            if a >= b {
                continue;
            }
            let minutes = |t: chrono::NaiveDateTime| {
                u16::try_from((t - start).num_minutes().clamp(0, 1440)).unwrap_or(0)
            };
            day.push(Segment {
                window: w,
                start: minutes(a),
                end: minutes(b).max(minutes(a) + 1),
                from_previous_day: opens < start,
                into_next_day: closes > end,
            });
        }
    }
    let days = days
        .into_iter()
        .enumerate()
        .map(|(i, mut segments)| {
            let date = add_days(range.first, i as i64);
            segments.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end), s.window.booking.id));
            let (items, more) = lay_out(cx, &segments);
            WeekDay {
                date,
                label: long_date(date),
                today: date == cx.today,
                items,
                more,
                agenda: agenda_of(date),
            }
        })
        .collect();
    CalendarBody::Week(days)
}

/// Places a day's segments (sorted by start) side by side: overlapping ones in separate columns,
/// each group of overlapping segments as wide as it needs, up to `WEEK_COLUMNS`; the rest are
/// counted, not drawn.
fn lay_out(cx: &Context, segments: &[Segment<'_>]) -> (Vec<WeekItem>, usize) {
    let placed = columns_of(
        &segments
            .iter()
            .map(|s| (s.start, s.end))
            .collect::<Vec<_>>(),
    );
    let mut items = Vec::new();
    let mut more = 0;
    for (s, (column, columns)) in segments.iter().zip(placed) {
        if column >= WEEK_COLUMNS {
            more += 1;
            continue;
        }
        items.push(WeekItem {
            occurrence: s.window.view(cx),
            start_minute: s.start,
            end_minute: s.end,
            column: u8::try_from(column).unwrap_or(u8::MAX),
            columns: u8::try_from(columns.min(WEEK_COLUMNS)).unwrap_or(u8::MAX),
            from_previous_day: s.from_previous_day,
            into_next_day: s.into_next_day,
        });
    }
    (items, more)
}

/// For intervals sorted by start: each one's column (the first free one) and how many columns its
/// group of transitively overlapping intervals uses.
fn columns_of(intervals: &[(u16, u16)]) -> Vec<(usize, usize)> {
    let mut placed = vec![(0, 1); intervals.len()];
    let mut group_start = 0;
    // The end of the interval last placed in each column of the current group.
    let mut column_ends: Vec<u16> = Vec::new();
    let mut group_end = 0;
    for (i, (start, end)) in intervals.iter().copied().enumerate() {
        if i > group_start && start >= group_end {
            let width = column_ends.len();
            for p in &mut placed[group_start..i] {
                p.1 = width;
            }
            group_start = i;
            column_ends.clear();
        }
        let column = match column_ends.iter().position(|e| *e <= start) {
            Some(c) => {
                column_ends[c] = end;
                c
            }
            None => {
                column_ends.push(end);
                column_ends.len() - 1
            }
        };
        placed[i].0 = column;
        group_end = if i == group_start {
            end
        } else {
            group_end.max(end)
        };
    }
    let width = column_ends.len().max(1);
    for p in &mut placed[group_start..] {
        p.1 = width;
    }
    placed
}

fn agenda_body(cx: &Context, range: &Range, shown: &[&Window<'_>]) -> CalendarBody {
    let mut days: Vec<AgendaDay> = Vec::new();
    let mut listed = 0;
    let mut stopped_before = None;
    let mut date = range.first;
    while date <= range.last {
        if listed >= AGENDA_WINDOWS {
            stopped_before = Some(date);
            break;
        }
        let occurrences: Vec<_> = shown
            .iter()
            .filter(|w| w.day == date)
            .map(|w| w.view(cx))
            .collect();
        listed += occurrences.len();
        days.push(AgendaDay {
            date,
            label: long_date(date),
            today: date == cx.today,
            occurrences,
        });
        date = add_days(date, 1);
    }
    CalendarBody::Agenda {
        days,
        more: stopped_before.map(|d| CalendarLink {
            href: cx.link(CalendarMode::Agenda, Some(d)),
            label: format!("More from {}", long_date(d)),
            current: false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn raw<'a>(pairs: &[(&str, &'a str)]) -> RawCalendarQuery<'a> {
        let mut q = RawCalendarQuery::default();
        for (k, v) in pairs {
            match *k {
                "view" => q.view = v,
                "date" => q.date = v,
                "month" => q.month = v,
                "site" => q.site = v,
                "service" => q.service = v,
                "status" => q.status = v,
                "customer" => q.customer = v,
                _ => unreachable!(),
            }
        }
        q
    }

    #[test]
    fn a_calendar_query_is_read_once_and_strictly() {
        let q = CalendarQuery::parse(&raw(&[
            ("view", "week"),
            ("date", "2027-03-08"),
            ("site", "3,none,3"),
            ("service", "patrol,lockUnlock"),
            ("status", "unknown"),
            ("customer", "2,1"),
        ]))
        .expect("parses");
        assert_eq!(q.mode, CalendarMode::Week);
        assert_eq!(q.date, NaiveDate::from_ymd_opt(2027, 3, 8));
        assert_eq!(
            q.filters.sites,
            vec![SiteChoice::Saved(3), SiteChoice::Unsaved]
        );
        assert_eq!(q.filters.customers, vec![1, 2]);
        let old = CalendarQuery::parse(&raw(&[("month", "2026-12")])).expect("old links");
        assert_eq!(old.mode, CalendarMode::Month);
        assert_eq!(old.date, NaiveDate::from_ymd_opt(2026, 12, 1));
        for bad in [
            raw(&[("view", "year")]),
            raw(&[("date", "2026-02-30")]),
            raw(&[("date", "+262142-01-01")]),
            raw(&[("month", "zzz")]),
            raw(&[("site", "x")]),
            raw(&[("service", "teleport")]),
            raw(&[("status", "maybe")]),
            raw(&[("customer", "1 OR 1=1")]),
        ] {
            assert!(CalendarQuery::parse(&bad).is_err(), "{bad:?}");
        }
        let many = vec!["1"; MAX_CHOICES + 1].join(",");
        assert!(CalendarQuery::parse(&raw(&[("site", &many)])).is_err());
        assert!(matches!(
            CalendarQuery::parse(&raw(&[("date", "0900-01-01")])),
            Err(AppError::NotFound(_))
        ));
    }

    #[test]
    fn ranges_cover_whole_weeks_and_name_themselves() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        let month = range_of(CalendarMode::Month, d(2026, 12, 17));
        assert_eq!((month.first, month.last), (d(2026, 11, 30), d(2027, 1, 3)));
        assert_eq!(month.counted, (d(2026, 12, 1), d(2026, 12, 31)));
        assert_eq!(month.title, "December 2026");
        let week = range_of(CalendarMode::Week, d(2026, 12, 31));
        assert_eq!((week.first, week.last), (d(2026, 12, 28), d(2027, 1, 3)));
        assert_eq!(week.title, "28 December 2026 – 3 January 2027");
        let agenda = range_of(CalendarMode::Agenda, d(2026, 12, 7));
        assert_eq!(
            (agenda.first, agenda.last),
            (d(2026, 12, 7), d(2026, 12, 13))
        );
        assert_eq!(agenda.next, d(2026, 12, 14));
    }

    #[test]
    fn overlapping_windows_sit_side_by_side() {
        // 09-11 and 10-12 overlap; 11-13 fits under the first; 14-15 stands alone.
        let placed = columns_of(&[(540, 660), (600, 720), (660, 780), (840, 900)]);
        assert_eq!(placed, vec![(0, 2), (1, 2), (0, 2), (0, 1)]);
    }

    proptest! {
        /// No two overlapping intervals share a column, and every column is within its width.
        #[test]
        fn columns_never_overlap(mut raw in proptest::collection::vec((0u16..1440, 1u16..600), 0..40)) {
            let mut intervals: Vec<(u16, u16)> = raw
                .drain(..)
                .map(|(s, len)| (s, (s + len).min(1440)))
                .filter(|(s, e)| s < e)
                .collect();
            intervals.sort();
            let placed = columns_of(&intervals);
            for (i, a) in intervals.iter().enumerate() {
                prop_assert!(placed[i].0 < placed[i].1);
                for (j, b) in intervals.iter().enumerate().skip(i + 1) {
                    if a.0 < b.1 && b.0 < a.1 {
                        prop_assert_ne!(placed[i].0, placed[j].0, "{:?} and {:?}", a, b);
                        prop_assert_eq!(placed[i].1, placed[j].1);
                    }
                }
            }
        }
    }
}
