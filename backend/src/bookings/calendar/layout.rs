//! Laying windows out: the dates a view covers, a month's days, a week's columns of overlapping
//! windows, an agenda's list.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, Utc};

use super::occurrence_view_in;
use super::query::*;
use crate::db::SiteRow;
use crate::zone::Zone;
use domain::model::{
    AgendaDay, CalendarBody, CalendarLink, CalendarMode, MonthDay, WeekDay, WeekItem,
};

/// Windows a month day shows before "+N more".
pub const MONTH_DAY_SHOWN: usize = 3;

/// Windows side by side in a week day's column before "+N more".
pub const WEEK_COLUMNS: usize = 4;

/// Days an agenda page covers at most ...
pub const AGENDA_DAYS: u64 = 7;

/// ... and the windows after which it stops at the end of a day.
pub const AGENDA_WINDOWS: usize = 150;

/// The local dates a view covers, and where its links go.
pub(super) struct Range {
    /// Days whose windows are drawn (a month grid includes the edges of the weeks around it).
    pub(super) first: NaiveDate,
    pub(super) last: NaiveDate,
    /// Days whose windows are counted (the month itself, the week, the agenda's days).
    pub(super) counted: (NaiveDate, NaiveDate),
    pub(super) title: String,
    pub(super) previous: NaiveDate,
    pub(super) next: NaiveDate,
}

pub(super) fn add_days(d: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        d.checked_add_days(Days::new(n.unsigned_abs()))
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs()))
    }
    .unwrap_or(d)
}

pub(super) fn monday_of(d: NaiveDate) -> NaiveDate {
    add_days(d, -i64::from(d.weekday().num_days_from_monday()))
}

pub(super) fn range_of(mode: CalendarMode, date: NaiveDate) -> Range {
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

pub(super) fn long_date(d: NaiveDate) -> String {
    d.format("%A %-d %B %Y").to_string()
}

pub(super) fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

/// What `build` needs besides the bookings.
pub(super) struct Context {
    pub(super) shown_in: Option<Zone>,
    pub(super) mode: CalendarMode,
    pub(super) date: NaiveDate,
    pub(super) today: NaiveDate,
    pub(super) filters: Filters,
    pub(super) show_customer: bool,
    pub(super) sites: Vec<SiteRow>,
    pub(super) customers: Vec<(i64, String)>,
}

impl Context {
    pub(super) fn link(&self, mode: CalendarMode, date: Option<NaiveDate>) -> String {
        let date = date.map(|d| format!("&date={d}")).unwrap_or_default();
        format!("/?view={}{date}{}", mode.key(), self.filters.query())
    }
}

pub(super) fn month_body(
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
pub(super) struct Segment<'a> {
    pub(super) window: &'a Window<'a>,
    pub(super) start: u16,
    pub(super) end: u16,
    pub(super) from_previous_day: bool,
    pub(super) into_next_day: bool,
}

pub(super) fn week_body(
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
pub(super) fn lay_out(cx: &Context, segments: &[Segment<'_>]) -> (Vec<WeekItem>, usize) {
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
pub(super) fn columns_of(intervals: &[(u16, u16)]) -> Vec<(usize, usize)> {
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

pub(super) fn agenda_body(cx: &Context, range: &Range, shown: &[&Window<'_>]) -> CalendarBody {
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

impl Window<'_> {
    pub(super) fn view(&self, cx: &Context) -> domain::model::OccurrenceView {
        occurrence_view_in(self.booking, &self.o, cx.shown_in.as_ref())
    }

    /// The zone its times are shown in.
    pub(super) fn zone<'z>(&'z self, cx: &'z Context) -> &'z Zone {
        cx.shown_in.as_ref().unwrap_or(&self.booking.zone)
    }
}
