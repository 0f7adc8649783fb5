//! Changing plans. AURA has no update and no per-occurrence cancel (docs/aura-contract.md,
//! "Changing a request"), so every change is carried out as new requests, then the cancel of the
//! original: this module plans which requests, from the booking's rule and the clock.
//!
//! A part is the original's rule (zone, start time, window, repeat) over tighter dates: its windows
//! are exactly the original's windows on those dates, so every window a change keeps stays exactly
//! as it was. Windows that have opened are never touched (AURA's cancel stops future windows only);
//! a window opening too soon to be booked again refuses the plan rather than losing it.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::schedule::{LEAD_TIME_MINUTES, Occurrence, Schedule, local_date_span};

/// A window must open at least this long from now to be booked again as part of a change: AURA's
/// lead time, and time for the dashboard to send it (and to retry once).
pub const REBOOK_MARGIN_MINUTES: i64 = LEAD_TIME_MINUTES + 5;

/// The longest range one skip may cover, in days (a closure of a year at most).
pub const MAX_SKIP_DAYS: i64 = 366;

/// Local dates `first..=last` of a booking's rule: one new request of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
}

impl Span {
    /// The original's rule over these dates.
    pub fn schedule<Z: TimeZone>(&self, original: &Schedule, tz: &Z) -> Schedule {
        let (date_from, date_to) = local_date_span(tz, self.first_date, self.last_date);
        Schedule {
            date_from,
            date_to,
            ..original.clone()
        }
    }
}

/// Why a change or skip cannot be planned now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanRefusal {
    /// No window that is still to open falls on the dates given.
    NothingToSkip,
    /// A window that would be kept opens too soon to be booked again (at this instant): wait until
    /// it has opened.
    TooNear(DateTime<Utc>),
}

impl PlanRefusal {
    pub fn message(self, when: impl Fn(DateTime<Utc>) -> String) -> String {
        match self {
            PlanRefusal::NothingToSkip => {
                "No window of this booking that is still to open falls on these dates.".into()
            }
            PlanRefusal::TooNear(at) => format!(
                "The window opening {} is too near to be booked again (AURA needs {LEAD_TIME_MINUTES} minutes' notice), and this would lose it. Try again once it has opened.",
                when(at)
            ),
        }
    }
}

/// A skip, planned: the new requests (none, one or two parts), the windows skipped, and how many
/// windows the parts keep. The original is cancelled once AURA holds every part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkipPlan {
    pub parts: Vec<Span>,
    pub skipped: Vec<Occurrence>,
    /// How many windows the parts hold between them.
    pub kept: usize,
}

/// The windows of `schedule` that open after `now`, before `until` (exclusive, on local dates).
fn to_open<'a, Z: TimeZone + 'a>(
    schedule: &'a Schedule,
    tz: &'a Z,
    now: DateTime<Utc>,
) -> impl Iterator<Item = Occurrence> + 'a {
    schedule
        .occurrences_from(tz, now)
        .filter(move |o| o.opens > now)
}

/// The span of the windows in `windows` (all of one booking, in time order), if any.
fn span_of(mut windows: impl Iterator<Item = Occurrence>) -> Option<(Span, usize)> {
    let first = windows.next()?;
    let (last, count) = windows.fold((first, 1), |(_, n), o| (o, n + 1));
    Some((
        Span {
            first_date: first.local_date,
            last_date: last.local_date,
        },
        count,
    ))
}

/// Refuses when a window opening after `now` but within the margin is not in `skipped`.
fn check_margin<Z: TimeZone>(
    schedule: &Schedule,
    tz: &Z,
    now: DateTime<Utc>,
    skipped: impl Fn(&Occurrence) -> bool,
) -> Result<DateTime<Utc>, PlanRefusal> {
    let cutoff = now + Duration::minutes(REBOOK_MARGIN_MINUTES);
    match to_open(schedule, tz, now)
        .take_while(|o| o.opens <= cutoff)
        .find(|o| !skipped(o))
    {
        Some(near) => Err(PlanRefusal::TooNear(near.opens)),
        None => Ok(cutoff),
    }
}

/// Plans skipping local dates `from..=to` of a booking: the windows still to open before the range
/// and after it become (at most) two new requests, then the original is cancelled. A range at
/// the start or the end shortens it (one part); a range over every window left cancels it (no
/// part). The work is bounded by the booking's windows up to the range's end, and after it.
pub fn plan_skip<Z: TimeZone>(
    schedule: &Schedule,
    tz: &Z,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<SkipPlan, PlanRefusal> {
    let in_range = |o: &Occurrence| from <= o.local_date && o.local_date <= to;
    let cutoff = check_margin(schedule, tz, now, in_range)?;
    let skipped: Vec<Occurrence> = to_open(schedule, tz, now)
        .take_while(|o| o.local_date <= to)
        .filter(in_range)
        .collect();
    if skipped.is_empty() {
        return Err(PlanRefusal::NothingToSkip);
    }
    let before = span_of(to_open(schedule, tz, cutoff).take_while(|o| o.local_date < from));
    // After the range: from the first window past it to the last window of all.
    let after_start = skipped.last().map_or(cutoff, |o| o.opens.max(cutoff));
    let after = span_of(to_open(schedule, tz, after_start).filter(|o| o.local_date > to));
    let kept = before.map_or(0, |b| b.1) + after.map_or(0, |a| a.1);
    Ok(SkipPlan {
        parts: before.into_iter().chain(after).map(|(s, _)| s).collect(),
        skipped,
        kept,
    })
}

/// Plans a change to a new version whose first window is on `new_first`: the original's windows
/// still to open before that date are kept as a part of their own (so a change "from next month"
/// leaves this month as it was). Returns that part, if any, and how many windows it holds.
pub fn plan_change<Z: TimeZone>(
    schedule: &Schedule,
    tz: &Z,
    new_first: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Option<(Span, usize)>, PlanRefusal> {
    // A window on or after the new version's first date is replaced, so it may be near.
    let cutoff = check_margin(schedule, tz, now, |o| o.local_date >= new_first)?;
    Ok(span_of(
        to_open(schedule, tz, cutoff).take_while(|o| o.local_date < new_first),
    ))
}

#[cfg(test)]
mod tests;

/// A closure as a person typed it, checked: a name and the local dates it covers (at most
/// [`MAX_SKIP_DAYS`] days, the most one skip covers).
pub fn check_closure(
    name: &str,
    from: &str,
    to: &str,
) -> Result<(String, NaiveDate, NaiveDate), crate::FieldErrors> {
    use crate::Field;
    let mut errors = crate::FieldErrors::default();
    let name = name.trim();
    if name.is_empty() {
        errors.insert(Field::Name, "Name the closure (e.g. Christmas Day).");
    } else if name.chars().count() > crate::MAX_NAME_CHARS {
        errors.insert(
            Field::Name,
            format!("At most {} characters.", crate::MAX_NAME_CHARS),
        );
    } else if let Err(v) = crate::check_visible(Field::Name, name, false) {
        errors.push(Field::Name, &v);
    }
    let first = crate::read_iso_date(from.trim());
    let last = if to.trim().is_empty() {
        first
    } else {
        crate::read_iso_date(to.trim())
    };
    if first.is_none() {
        errors.insert(Field::SkipFrom, "Enter the first day closed as YYYY-MM-DD.");
    }
    if last.is_none() {
        errors.insert(
            Field::SkipTo,
            "Enter the last day closed as YYYY-MM-DD (or leave it empty for one day).",
        );
    }
    if let (Some(f), Some(l)) = (first, last) {
        if l < f {
            errors.insert(Field::SkipTo, "The last day closed is before the first.");
        } else if (l - f).num_days() >= MAX_SKIP_DAYS {
            errors.insert(
                Field::SkipTo,
                format!("One closure covers at most {MAX_SKIP_DAYS} days."),
            );
        }
    }
    match (errors.is_empty(), first, last) {
        (true, Some(f), Some(l)) => Ok((name.to_string(), f, l)),
        _ => Err(errors),
    }
}

/// The windows of `schedule` still to open at `now` whose local date is in `from..=to`.
pub fn windows_on<Z: TimeZone>(
    schedule: &Schedule,
    tz: &Z,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Vec<Occurrence> {
    let (start, _) = local_date_span(tz, from, from);
    to_open(schedule, tz, now.max(start - Duration::days(2)))
        .take_while(|o| o.local_date <= to)
        .filter(|o| o.local_date >= from)
        .collect()
}

/// The runs of a new booking's windows once the dates of `closed` (local dates, both ends
/// included) are left out: each run a span of consecutive windows with none left out between
/// them, in order, so booking each run books exactly the windows not closed. Also how many windows
/// were left out. At most `limit` windows are looked at (a booking's dates are bounded anyway).
pub fn runs_around<Z: TimeZone>(
    schedule: &Schedule,
    tz: &Z,
    closed: &[(NaiveDate, NaiveDate)],
    limit: usize,
) -> (Vec<Span>, usize) {
    let is_closed = |d: NaiveDate| closed.iter().any(|(f, l)| *f <= d && d <= *l);
    let mut runs = Vec::new();
    let mut current: Option<Span> = None;
    let mut left_out = 0;
    for o in schedule.occurrences(tz).take(limit) {
        if is_closed(o.local_date) {
            left_out += 1;
            runs.extend(current.take());
            continue;
        }
        match current.as_mut() {
            Some(span) => span.last_date = o.local_date,
            None => {
                current = Some(Span {
                    first_date: o.local_date,
                    last_date: o.local_date,
                });
            }
        }
    }
    runs.extend(current);
    (runs, left_out)
}
