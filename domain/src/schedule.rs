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
mod tests {
    use super::*;
    use chrono::Weekday;
    use chrono_tz::America::New_York;
    use chrono_tz::Europe::London;
    use chrono_tz::Tz;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn time(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("rfc3339")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_cancel_is_late_within_a_day_of_the_next_window_or_while_one_is_open() {
        // Weekly on Fridays at 22:00 for 90 minutes, London, December 2026 (GMT).
        let s = schedule(
            &London,
            date(2026, 12, 1),
            date(2026, 12, 31),
            Repeat::weekly([Weekday::Fri]),
            time(22, 0),
            90,
        );
        // Wednesday evening: two days' notice.
        assert!(!s.is_late_cancel(&London, utc("2026-12-02T20:00:00Z")));
        // Thursday 22:00: exactly 24 hours is enough notice; a minute later is not.
        assert!(!s.is_late_cancel(&London, utc("2026-12-03T22:00:00Z")));
        assert!(s.is_late_cancel(&London, utc("2026-12-03T22:01:00Z")));
        // While the window is open.
        assert!(s.is_late_cancel(&London, utc("2026-12-04T23:00:00Z")));
        // Just after it closed: the next is a week away.
        assert!(!s.is_late_cancel(&London, utc("2026-12-04T23:31:00Z")));
        // After the last window: nothing left to be late for.
        assert!(!s.is_late_cancel(&London, utc("2027-01-01T00:00:00Z")));
    }

    fn schedule(
        tz: &Tz,
        first: NaiveDate,
        last: NaiveDate,
        repeat: Repeat,
        start: NaiveTime,
        minutes: u32,
    ) -> Schedule {
        let (date_from, date_to) = local_date_span(tz, first, last);
        Schedule {
            date_from,
            date_to,
            repeat,
            start_time: start,
            window_minutes: minutes,
        }
    }

    #[test]
    fn weekly_london_picks_listed_days_in_local_time() {
        let s = schedule(
            &London,
            date(2026, 12, 1),
            date(2026, 12, 13),
            Repeat::weekly([Weekday::Mon, Weekday::Wed, Weekday::Fri]),
            time(22, 0),
            90,
        );
        let occ: Vec<Occurrence> = s.occurrences(&London).collect();
        let dates: Vec<NaiveDate> = occ.iter().map(|o| o.local_date).collect();
        assert_eq!(
            dates,
            vec![
                date(2026, 12, 2),
                date(2026, 12, 4),
                date(2026, 12, 7),
                date(2026, 12, 9),
                date(2026, 12, 11)
            ]
        );
        // December in London is GMT: 22:00 local is 22:00 UTC, and the window crosses midnight.
        assert_eq!(occ[0].opens, utc("2026-12-02T22:00:00Z"));
        assert_eq!(occ[0].closes, utc("2026-12-02T23:30:00Z"));
        assert!(!occ[0].crosses_midnight);
    }

    #[test]
    fn window_crossing_midnight_is_flagged() {
        let s = schedule(
            &New_York,
            date(2026, 12, 1),
            date(2026, 12, 2),
            Repeat::Daily,
            time(23, 0),
            120,
        );
        let occ: Vec<Occurrence> = s.occurrences(&New_York).collect();
        assert_eq!(occ.len(), 2);
        assert!(occ.iter().all(|o| o.crosses_midnight));
        // EST is UTC-5.
        assert_eq!(occ[0].opens, utc("2026-12-02T04:00:00Z"));
        assert_eq!(occ[0].closes, utc("2026-12-02T06:00:00Z"));
    }

    #[test]
    fn window_ending_exactly_at_midnight_does_not_cross() {
        let s = schedule(
            &London,
            date(2026, 12, 1),
            date(2026, 12, 1),
            Repeat::Single,
            time(22, 0),
            120,
        );
        let o = s.first_occurrence(&London).expect("one occurrence");
        assert!(!o.crosses_midnight);
    }

    #[test]
    fn london_spring_forward_gap_moves_start_later() {
        // 2027-03-28: clocks go from 01:00 GMT to 02:00 BST; 01:30 does not exist.
        let s = schedule(
            &London,
            date(2027, 3, 27),
            date(2027, 3, 29),
            Repeat::Daily,
            time(1, 30),
            60,
        );
        let occ: Vec<Occurrence> = s.occurrences(&London).collect();
        assert_eq!(occ.len(), 3);
        assert_eq!(occ[0].opens, utc("2027-03-27T01:30:00Z"));
        assert!(!occ[0].start_in_gap);
        // Read with the pre-gap offset (GMT): 01:30 UTC, which is 02:30 BST.
        assert_eq!(occ[1].opens, utc("2027-03-28T01:30:00Z"));
        assert!(occ[1].start_in_gap);
        assert_eq!(occ[2].opens, utc("2027-03-29T00:30:00Z"));
    }

    #[test]
    fn new_york_spring_forward_gap_reads_0230_as_0330_daylight_time() {
        // 2027-03-14: 02:00 EST jumps to 03:00 EDT.
        let s = schedule(
            &New_York,
            date(2027, 3, 14),
            date(2027, 3, 14),
            Repeat::Single,
            time(2, 30),
            30,
        );
        let o = s.first_occurrence(&New_York).expect("one occurrence");
        assert!(o.start_in_gap);
        assert_eq!(o.opens, utc("2027-03-14T07:30:00Z"));
        assert_eq!(o.opens.with_timezone(&New_York).time(), time(3, 30));
    }

    #[test]
    fn london_fall_back_overlap_takes_earlier_instant() {
        // 2027-10-31: 02:00 BST goes back to 01:00 GMT; 01:30 happens twice.
        let s = schedule(
            &London,
            date(2027, 10, 31),
            date(2027, 10, 31),
            Repeat::Single,
            time(1, 30),
            60,
        );
        let o = s.first_occurrence(&London).expect("one occurrence");
        assert!(o.start_ambiguous);
        assert_eq!(o.opens, utc("2027-10-31T00:30:00Z"));
        // A 60-minute window from 01:30 BST closes at 01:30 GMT: the offset changes inside it.
        assert!(o.spans_offset_change);
    }

    #[test]
    fn new_york_fall_back_overlap_takes_earlier_instant() {
        // 2026-11-01: 02:00 EDT goes back to 01:00 EST.
        let s = schedule(
            &New_York,
            date(2026, 11, 1),
            date(2026, 11, 1),
            Repeat::Single,
            time(1, 15),
            30,
        );
        let o = s.first_occurrence(&New_York).expect("one occurrence");
        assert!(o.start_ambiguous);
        assert_eq!(o.opens, utc("2026-11-01T05:15:00Z"));
    }

    #[test]
    fn window_across_a_dst_change_lasts_its_absolute_length() {
        // Overnight patrol 23:00 for 6 hours across the London spring-forward night.
        let s = schedule(
            &London,
            date(2027, 3, 27),
            date(2027, 3, 27),
            Repeat::Single,
            time(23, 0),
            360,
        );
        let o = s.first_occurrence(&London).expect("one occurrence");
        assert_eq!(o.closes - o.opens, Duration::minutes(360));
        assert!(o.crosses_midnight);
        assert!(o.spans_offset_change);
        // 23:00 GMT + 6h = 05:00 UTC = 06:00 BST.
        assert_eq!(o.closes.with_timezone(&London).time(), time(6, 0));
    }

    #[test]
    fn single_only_uses_the_first_date() {
        let s = schedule(
            &London,
            date(2026, 12, 1),
            date(2026, 12, 31),
            Repeat::Single,
            time(9, 0),
            60,
        );
        assert_eq!(s.occurrences(&London).count(), 1);
    }

    #[test]
    fn occurrences_outside_the_instant_range_are_dropped() {
        // dateFrom at 12:00 UTC: the 09:00 window on the first day opened before it.
        let s = Schedule {
            date_from: utc("2026-12-01T12:00:00Z"),
            date_to: utc("2026-12-03T08:00:00Z"),
            repeat: Repeat::Daily,
            start_time: time(9, 0),
            window_minutes: 30,
        };
        let dates: Vec<NaiveDate> = s.occurrences(&London).map(|o| o.local_date).collect();
        assert_eq!(dates, vec![date(2026, 12, 2)]);
    }

    #[test]
    fn next_occurrence_skips_opened_windows() {
        let s = schedule(
            &London,
            date(2026, 12, 1),
            date(2026, 12, 3),
            Repeat::Daily,
            time(9, 0),
            30,
        );
        assert_eq!(
            s.next_occurrence(&London, utc("2026-12-01T09:00:00Z")),
            Some(utc("2026-12-02T09:00:00Z"))
        );
        assert_eq!(
            s.next_occurrence(&London, utc("2026-11-01T00:00:00Z")),
            Some(utc("2026-12-01T09:00:00Z"))
        );
        assert_eq!(
            s.next_occurrence(&London, utc("2026-12-03T09:00:00Z")),
            None
        );
    }

    #[test]
    fn occurrences_between_includes_windows_overlapping_the_range() {
        let s = schedule(
            &London,
            date(2026, 12, 1),
            date(2026, 12, 10),
            Repeat::Daily,
            time(23, 0),
            120,
        );
        let got: Vec<NaiveDate> = s
            .occurrences_between(
                &London,
                utc("2026-12-03T00:30:00Z"),
                utc("2026-12-05T00:00:00Z"),
            )
            .map(|o| o.local_date)
            .collect();
        assert_eq!(
            got,
            vec![date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 4)]
        );
    }

    #[test]
    fn local_date_span_covers_whole_local_days() {
        let (from, to) = local_date_span(&New_York, date(2026, 12, 1), date(2026, 12, 2));
        assert_eq!(from, utc("2026-12-01T05:00:00Z"));
        assert_eq!(to, utc("2026-12-03T04:59:59Z"));
    }

    fn any_zone() -> impl Strategy<Value = Tz> {
        prop_oneof![
            Just(London),
            Just(New_York),
            Just(chrono_tz::Australia::Lord_Howe),
            Just(chrono_tz::Asia::Kolkata)
        ]
    }

    fn any_repeat() -> impl Strategy<Value = Repeat> {
        prop_oneof![
            Just(Repeat::Single),
            Just(Repeat::Daily),
            proptest::collection::vec(0u32..7, 1..7).prop_map(|ds| Repeat::weekly(
                ds.into_iter()
                    .map(|d| super::super::service::WEEKDAYS[d as usize])
            )),
        ]
    }

    /// The first and last days chrono can hold, in zones behind and ahead of UTC: the local day
    /// reaches past the end of UTC time (this once panicked in `resolve_local`).
    #[test]
    fn the_ends_of_the_calendar_do_not_panic() {
        for tz in [
            New_York,
            London,
            chrono_tz::Pacific::Kiritimati,
            chrono_tz::Etc::GMTPlus12,
        ] {
            for (first, last) in [
                (NaiveDate::MAX, NaiveDate::MAX),
                (NaiveDate::MIN, NaiveDate::MIN),
                (date(2026, 12, 1), NaiveDate::MAX),
            ] {
                let s = schedule(&tz, first, last, Repeat::Daily, time(23, 30), 1440);
                let _ = s.occurrences(&tz).take(5).count();
                let _ = s.next_occurrence(&tz, utc("2026-11-27T12:00:00Z"));
            }
        }
    }

    /// Every zone chrono-tz knows (a sample per case keeps the run short).
    fn every_zone() -> impl Strategy<Value = Tz> {
        (0usize..chrono_tz::TZ_VARIANTS.len()).prop_map(|i| chrono_tz::TZ_VARIANTS[i])
    }

    proptest! {
        /// Whatever the dates (the whole range chrono can hold), zone and time, expansion and the
        /// date span never panic.
        #[test]
        fn expansion_never_panics_at_any_date(
            tz in every_zone(),
            year in prop_oneof![
                Just(NaiveDate::MIN.year()),
                Just(NaiveDate::MAX.year()),
                (NaiveDate::MIN.year())..=(NaiveDate::MAX.year()),
            ],
            ordinal in prop_oneof![1u32..=3, 360u32..=366, 1u32..=366],
            span_days in 0u64..5,
            repeat in any_repeat(),
            h in 0u32..24, m in 0u32..60,
            window in 1u32..=1440,
        ) {
            // The calendar's last day stands for any ordinal past it.
            let first = NaiveDate::from_yo_opt(year, ordinal)
                .or_else(|| NaiveDate::from_yo_opt(year, 365))
                .map_or(NaiveDate::MAX, |d| d.min(NaiveDate::MAX));
            let last = first.checked_add_days(Days::new(span_days)).unwrap_or(first);
            let s = schedule(&tz, first, last, repeat, time(h, m), window);
            let now = utc("2026-11-27T12:00:00Z");
            let _ = s.occurrences(&tz).take(10).count();
            let _ = s.first_occurrence(&tz);
            let _ = s.next_occurrence(&tz, now);
            let _ = s.occurrences_between(&tz, s.date_from, s.date_to).take(3).count();
        }
    }

    proptest! {
        /// Jumping to the asked range finds exactly the windows a walk from the first day finds,
        /// around DST changes and midnight, for every kind of repeat and window length.
        #[test]
        fn jumping_to_a_range_finds_what_walking_finds(
            tz in any_zone(),
            start_day in 0i64..400,
            span_days in 0i64..400,
            from_day in -5i64..800,
            from_min in 0i64..1440,
            range_min in 0i64..(60 * 24 * 10),
            repeat in any_repeat(),
            h in 0u32..24, m in 0u32..60,
            window in 1u32..=1440,
        ) {
            let base = utc("2026-01-01T00:00:00Z") + Duration::days(start_day);
            let s = Schedule {
                date_from: base,
                date_to: base + Duration::days(span_days),
                repeat,
                start_time: time(h, m),
                window_minutes: window,
            };
            let from = utc("2026-01-01T00:00:00Z") + Duration::days(from_day) + Duration::minutes(from_min);
            let to = from + Duration::minutes(range_min);
            let walked: Vec<Occurrence> = s
                .occurrences(&tz)
                .filter(|o| o.closes > from && o.opens < to)
                .collect();
            let jumped: Vec<Occurrence> = s.occurrences_between(&tz, from, to).collect();
            prop_assert_eq!(jumped, walked);
            let next = s.occurrences(&tz).map(|o| o.opens).find(|o| *o > from);
            prop_assert_eq!(s.next_occurrence(&tz, from), next);
        }
    }

    /// A daily booking over all the years chrono can hold: a month in the middle is found at once
    /// (walking from its first day would take hundreds of millions of steps).
    #[test]
    fn a_month_costs_a_month_however_long_the_booking() {
        let s = schedule(
            &London,
            NaiveDate::MIN,
            NaiveDate::MAX,
            Repeat::Daily,
            time(9, 0),
            60,
        );
        let from = utc("2030-03-01T00:00:00Z");
        let to = utc("2030-04-01T00:00:00Z");
        let march: Vec<_> = s.occurrences_between(&London, from, to).collect();
        assert_eq!(march.len(), 31);
        assert_eq!(march[0].local_date, date(2030, 3, 1));
        assert_eq!(
            s.next_occurrence(&London, from),
            Some(utc("2030-03-01T09:00:00Z"))
        );
    }

    proptest! {
        #[test]
        fn expansion_is_ordered_and_in_range(
            tz in any_zone(),
            start_day in 0i64..800,
            from_offset_min in -2000i64..2000,
            span_min in 0i64..(60 * 24 * 60),
            repeat in any_repeat(),
            h in 0u32..24, m in 0u32..60,
            window in 1u32..=1440,
        ) {
            let base = utc("2026-01-01T00:00:00Z") + Duration::days(start_day) + Duration::minutes(from_offset_min);
            let s = Schedule {
                date_from: base,
                date_to: base + Duration::minutes(span_min),
                repeat: repeat.clone(),
                start_time: time(h, m),
                window_minutes: window,
            };
            let occ: Vec<Occurrence> = s.occurrences(&tz).collect();
            for pair in occ.windows(2) {
                prop_assert!(pair[0].opens < pair[1].opens, "not ordered: {:?}", pair);
                prop_assert!(pair[0].local_date < pair[1].local_date);
            }
            for o in &occ {
                prop_assert!(o.opens >= s.date_from && o.opens <= s.date_to);
                prop_assert_eq!(o.closes - o.opens, Duration::minutes(i64::from(window)));
                if let Repeat::Weekly(days) = &repeat {
                    prop_assert!(days.contains(&o.local_date.weekday()));
                }
                if !o.start_in_gap {
                    prop_assert_eq!(o.opens.with_timezone(&tz).time(), s.start_time);
                }
            }
            if repeat == Repeat::Single {
                prop_assert!(occ.len() <= 1);
            }
        }
    }
}
