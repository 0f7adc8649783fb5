//! Occurrence expansion: which service windows a schedule produces.
//!
//! Generic over `chrono::TimeZone` so it is plain Rust for both targets; the server instantiates it
//! with `chrono_tz::Tz` (the zone database stays out of the browser bundle).
//!
//! The rule (docs/aura-contract.md, "Occurrences"): for every local date D from the local date of
//! `date_from` to the local date of `date_to` that the repeat rule selects, a window opens at
//! D + `start_time` in the zone and closes `window_minutes` later (absolute time). A start inside a
//! DST gap is read with the offset in force before the gap; an ambiguous start takes the earlier
//! instant (RFC 5545). Windows opening outside `[date_from, date_to]` are dropped.

use chrono::{
    DateTime, Datelike, Days, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Utc,
};
use serde::{Deserialize, Serialize};

use super::service::Repeat;

/// The minimum lead time AURA requires before the first window opens.
pub const LEAD_TIME_MINUTES: i64 = 5;
pub const MAX_WINDOW_MINUTES: u32 = 1440;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub date_from: DateTime<Utc>,
    pub date_to: DateTime<Utc>,
    pub repeat: Repeat,
    pub start_time: NaiveTime,
    pub window_minutes: u32,
}

/// One service window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrence {
    /// The local date the rule selected.
    pub local_date: NaiveDate,
    pub opens: DateTime<Utc>,
    pub closes: DateTime<Utc>,
    /// The start time did not exist that day (spring forward) and was moved later.
    pub start_in_gap: bool,
    /// The start time happened twice that day (fall back); the earlier one was taken.
    pub start_ambiguous: bool,
    /// The window closes on a later local date than it opens.
    pub crosses_midnight: bool,
    /// The zone's UTC offset changes while the window is open.
    pub spans_offset_change: bool,
}

impl Occurrence {
    pub fn is_open_at(&self, at: DateTime<Utc>) -> bool {
        self.opens <= at && at < self.closes
    }
}

/// A cancel asked for less than this long before the next window opens (or while one is open) is a
/// late cancellation. AURA documents no notice period: this is the dashboard's own rule, shown in
/// the ledger so account managers see which cancellations came at short notice.
pub const LATE_CANCEL_NOTICE_HOURS: i64 = 24;

impl Schedule {
    /// Whether cancelling at `asked` is late: a window was open then, or the next one opened
    /// within [`LATE_CANCEL_NOTICE_HOURS`].
    pub fn is_late_cancel<Z: TimeZone>(&self, tz: &Z, asked: DateTime<Utc>) -> bool {
        let notice = chrono::Duration::hours(LATE_CANCEL_NOTICE_HOURS);
        self.occurrences_from(tz, asked)
            .find(|o| o.closes > asked)
            .is_some_and(|o| o.opens <= asked || o.opens - asked < notice)
    }
}

/// The instant a local wall-clock time names in `tz`, with the RFC 5545 rules for gaps and overlaps.
/// Returns the instant and whether it fell in a gap / was ambiguous.
pub fn resolve_local<Z: TimeZone>(tz: &Z, local: NaiveDateTime) -> (DateTime<Utc>, bool, bool) {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => (t.with_timezone(&Utc), false, false),
        LocalResult::Ambiguous(a, b) => {
            let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
            (a.min(b), false, true)
        }
        LocalResult::None => {
            // The offset in force before the gap: transitions are never a day apart, so the offset a
            // day earlier is the one before this gap. Checked arithmetic: at the very ends of the
            // calendar there is no day before, and the local time is taken as UTC.
            let before = local.checked_sub_signed(Duration::days(1)).unwrap_or(local);
            let offset = tz.offset_from_utc_datetime(&before).fix();
            let utc = local
                .checked_sub_signed(Duration::seconds(i64::from(offset.local_minus_utc())))
                .unwrap_or(local);
            (Utc.from_utc_datetime(&utc), true, false)
        }
    }
}

impl Schedule {
    /// Every occurrence, in time order (lazy: large ranges cost only what is consumed).
    pub fn occurrences<'a, Z: TimeZone + 'a>(
        &'a self,
        tz: &'a Z,
    ) -> impl Iterator<Item = Occurrence> + 'a {
        self.occurrences_from_date(tz, NaiveDate::MIN)
    }

    /// The occurrences whose local date is `start` or later, in time order. The walk begins at
    /// `start`: what it costs does not depend on how long before it the schedule began.
    fn occurrences_from_date<'a, Z: TimeZone + 'a>(
        &'a self,
        tz: &'a Z,
        start: NaiveDate,
    ) -> impl Iterator<Item = Occurrence> + 'a {
        let first = self.date_from.with_timezone(tz).date_naive();
        let last = self.date_to.with_timezone(tz).date_naive();
        let window = Duration::minutes(i64::from(self.window_minutes));
        first
            .max(start)
            .iter_days()
            .take_while(move |d| *d <= last)
            .filter(move |d| match &self.repeat {
                Repeat::Single => *d == first,
                Repeat::Daily => true,
                Repeat::Weekly(days) => days.contains(&d.weekday()),
            })
            .filter_map(move |d| {
                let (opens, start_in_gap, start_ambiguous) =
                    resolve_local(tz, d.and_time(self.start_time));
                if opens < self.date_from || opens > self.date_to {
                    return None;
                }
                // No window can close past the end of the calendar.
                let closes = opens.checked_add_signed(window)?;
                let close_local = closes.with_timezone(tz);
                let open_offset = tz.offset_from_utc_datetime(&opens.naive_utc()).fix();
                let close_offset = close_local.offset().fix();
                Some(Occurrence {
                    local_date: d,
                    opens,
                    closes,
                    start_in_gap,
                    start_ambiguous,
                    crosses_midnight: d.checked_add_days(Days::new(1)).is_some_and(|next| {
                        close_local.naive_local() > next.and_time(NaiveTime::MIN)
                    }),
                    spans_offset_change: open_offset != close_offset,
                })
            })
    }

    /// The occurrences whose window is still open or yet to open at `from` (they close after it),
    /// in time order. The walk jumps to `from`: a window closing after `from` opened at most
    /// `window_minutes` before it, on a local date at most two days before that instant's UTC date
    /// (no zone is a day behind UTC, and a start moved out of a DST gap can cross midnight).
    pub fn occurrences_from<'a, Z: TimeZone + 'a>(
        &'a self,
        tz: &'a Z,
        from: DateTime<Utc>,
    ) -> impl Iterator<Item = Occurrence> + 'a {
        let earliest_open = from
            .checked_sub_signed(Duration::minutes(i64::from(self.window_minutes)))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let start = earliest_open
            .date_naive()
            .checked_sub_days(Days::new(2))
            .unwrap_or(NaiveDate::MIN);
        self.occurrences_from_date(tz, start)
            .skip_while(move |o| o.closes <= from)
    }

    /// Occurrences whose window overlaps `[from, to)`.
    pub fn occurrences_between<'a, Z: TimeZone + 'a>(
        &'a self,
        tz: &'a Z,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Iterator<Item = Occurrence> + 'a {
        self.occurrences_from(tz, from)
            .take_while(move |o| o.opens < to)
    }

    /// The opening instant of the first occurrence that has not yet opened at `now`.
    pub fn next_occurrence<Z: TimeZone>(
        &self,
        tz: &Z,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        self.occurrences_from(tz, now)
            .map(|o| o.opens)
            .find(|opens| *opens > now)
    }

    pub fn first_occurrence<Z: TimeZone>(&self, tz: &Z) -> Option<Occurrence> {
        self.occurrences(tz).next()
    }
}

/// The UTC span covering local dates `first..=last` in `tz`: from local midnight of `first` to the
/// last second of `last`. This is how the form's date window becomes AURA's `dateFrom`/`dateTo`.
pub fn local_date_span<Z: TimeZone>(
    tz: &Z,
    first: NaiveDate,
    last: NaiveDate,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let (from, _, _) = resolve_local(tz, first.and_time(NaiveTime::MIN));
    let end_of_day = NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN);
    let (to, _, _) = resolve_local(tz, last.and_time(end_of_day));
    (from, to)
}

#[cfg(test)]
mod tests;
