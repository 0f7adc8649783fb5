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
