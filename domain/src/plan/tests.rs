use super::*;
use crate::service::Repeat;
use chrono::{NaiveTime, Weekday};
use chrono_tz::America::New_York;
use chrono_tz::Europe::London;
use chrono_tz::Tz;
use proptest::prelude::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("rfc3339")
        .with_timezone(&Utc)
}

fn schedule(
    tz: &Tz,
    first: NaiveDate,
    last: NaiveDate,
    repeat: Repeat,
    h: u32,
    m: u32,
) -> Schedule {
    let (date_from, date_to) = local_date_span(tz, first, last);
    Schedule {
        date_from,
        date_to,
        repeat,
        start_time: NaiveTime::from_hms_opt(h, m, 0).expect("time"),
        window_minutes: 90,
    }
}

/// Every window of the parts, in time order.
fn windows_of(parts: &[Span], original: &Schedule, tz: &Tz) -> Vec<Occurrence> {
    parts
        .iter()
        .flat_map(|p| p.schedule(original, tz).occurrences(tz).collect::<Vec<_>>())
        .collect()
}

#[test]
fn a_skip_in_the_middle_keeps_the_windows_before_and_after_as_two_requests() {
    // Weekly on Mondays and Thursdays at 22:00, London, all of December 2026.
    let s = schedule(
        &London,
        date(2026, 12, 1),
        date(2026, 12, 31),
        Repeat::weekly([Weekday::Mon, Weekday::Thu]),
        22,
        0,
    );
    let now = utc("2026-12-02T12:00:00Z");
    let plan = plan_skip(&s, &London, date(2026, 12, 24), date(2026, 12, 28), now).expect("plan");
    assert_eq!(
        plan.parts,
        vec![
            Span {
                first_date: date(2026, 12, 3),
                last_date: date(2026, 12, 21)
            },
            Span {
                first_date: date(2026, 12, 31),
                last_date: date(2026, 12, 31)
            },
        ]
    );
    let skipped: Vec<_> = plan.skipped.iter().map(|o| o.local_date).collect();
    assert_eq!(skipped, vec![date(2026, 12, 24), date(2026, 12, 28)]);
    assert_eq!(plan.kept, 7);
}

#[test]
fn a_skip_at_either_end_shortens_and_a_skip_of_everything_left_only_cancels() {
    let s = schedule(
        &London,
        date(2026, 12, 1),
        date(2026, 12, 10),
        Repeat::Daily,
        8,
        0,
    );
    let now = utc("2026-12-03T12:00:00Z");
    // The first windows still to open (the 4th and 5th): one part, from the 6th.
    let plan = plan_skip(&s, &London, date(2026, 12, 1), date(2026, 12, 5), now).expect("plan");
    assert_eq!(plan.parts.len(), 1);
    assert_eq!(plan.parts[0].first_date, date(2026, 12, 6));
    assert_eq!(plan.parts[0].last_date, date(2026, 12, 10));
    // Windows already past (the 1st to the 3rd) are not skipped: they are not touched.
    assert_eq!(plan.skipped.len(), 2);
    // The last windows: one part, up to the 8th.
    let plan = plan_skip(&s, &London, date(2026, 12, 9), date(2027, 1, 5), now).expect("plan");
    assert_eq!(
        plan.parts,
        vec![Span {
            first_date: date(2026, 12, 4),
            last_date: date(2026, 12, 8)
        }]
    );
    // Everything left: no part, the cancel alone.
    let plan = plan_skip(&s, &London, date(2026, 12, 1), date(2026, 12, 31), now).expect("plan");
    assert!(plan.parts.is_empty());
    assert_eq!(plan.kept, 0);
    assert_eq!(plan.skipped.len(), 7);
}

#[test]
fn nothing_to_skip_and_a_window_too_near_to_book_again_are_refused() {
    let s = schedule(
        &London,
        date(2026, 12, 1),
        date(2026, 12, 10),
        Repeat::Daily,
        8,
        0,
    );
    // Only past dates.
    let now = utc("2026-12-05T12:00:00Z");
    assert_eq!(
        plan_skip(&s, &London, date(2026, 12, 1), date(2026, 12, 5), now),
        Err(PlanRefusal::NothingToSkip)
    );
    // Weekly on Tuesdays: no Tuesday in the range.
    let weekly = schedule(
        &London,
        date(2026, 12, 1),
        date(2026, 12, 31),
        Repeat::weekly([Weekday::Tue]),
        8,
        0,
    );
    assert_eq!(
        plan_skip(&weekly, &London, date(2026, 12, 9), date(2026, 12, 14), now),
        Err(PlanRefusal::NothingToSkip)
    );
    // The 6th opens at 08:00 (GMT); at 07:55 it is too near to be booked again as part of the
    // part after a skip of the 8th...
    let near = utc("2026-12-06T07:55:00Z");
    assert_eq!(
        plan_skip(&s, &London, date(2026, 12, 8), date(2026, 12, 8), near),
        Err(PlanRefusal::TooNear(utc("2026-12-06T08:00:00Z")))
    );
    // ...but skipping it is fine, and once it has opened it is not touched.
    assert!(plan_skip(&s, &London, date(2026, 12, 6), date(2026, 12, 8), near).is_ok());
    let opened = utc("2026-12-06T08:01:00Z");
    let plan = plan_skip(&s, &London, date(2026, 12, 8), date(2026, 12, 8), opened).expect("plan");
    assert_eq!(plan.parts[0].first_date, date(2026, 12, 7));
}

#[test]
fn a_change_from_a_later_date_keeps_the_windows_before_it() {
    let s = schedule(
        &New_York,
        date(2026, 12, 1),
        date(2027, 2, 28),
        Repeat::Daily,
        23,
        0,
    );
    let now = utc("2026-12-10T12:00:00Z");
    let (keep, count) = plan_change(&s, &New_York, date(2027, 1, 1), now)
        .expect("plan")
        .expect("a part");
    assert_eq!(keep.first_date, date(2026, 12, 10));
    assert_eq!(keep.last_date, date(2026, 12, 31));
    assert_eq!(count, 22);
    // From the next window on: nothing kept.
    assert_eq!(
        plan_change(&s, &New_York, date(2026, 12, 10), now),
        Ok(None)
    );
}

fn zones() -> impl Strategy<Value = Tz> {
    prop_oneof![
        Just(London),
        Just(New_York),
        Just(chrono_tz::Australia::Lord_Howe),
        Just(chrono_tz::Asia::Kolkata),
    ]
}

fn repeats() -> impl Strategy<Value = Repeat> {
    prop_oneof![
        Just(Repeat::Daily),
        Just(Repeat::Single),
        proptest::collection::vec(0u8..7, 1..4).prop_map(|days| {
            Repeat::weekly(
                days.into_iter()
                    .map(|d| Weekday::try_from(d).unwrap_or(Weekday::Mon)),
            )
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// For any repeating booking, any moment and any range: the planned requests hold exactly the
    /// original's windows still to open, less the skipped ones, each once and unchanged; the
    /// skipped windows are exactly those still to open on the range's dates.
    #[test]
    fn a_skip_keeps_every_other_window_exactly_once(
        tz in zones(),
        start_day in 0u64..400,
        length in 0u64..120,
        repeat in repeats(),
        hour in 0u32..24,
        minute in 0u32..60,
        now_offset_hours in 0i64..(24 * 130),
        range_start in 0u64..140,
        range_length in 0u64..40,
    ) {
        let first = date(2026, 1, 1) + chrono::Days::new(start_day);
        let last = first + chrono::Days::new(length);
        let s = schedule(&tz, first, last, repeat, hour, minute);
        let now = s.date_from - Duration::hours(24) + Duration::hours(now_offset_hours);
        let from = first + chrono::Days::new(range_start);
        let to = from + chrono::Days::new(range_length);
        let in_range = |o: &Occurrence| from <= o.local_date && o.local_date <= to;
        let all: Vec<Occurrence> = s.occurrences(&tz).collect();
        match plan_skip(&s, &tz, from, to, now) {
            Ok(plan) => {
                let expected_kept: Vec<Occurrence> =
                    all.iter().filter(|o| o.opens > now && !in_range(o)).copied().collect();
                let kept = windows_of(&plan.parts, &s, &tz);
                prop_assert_eq!(&kept, &expected_kept);
                prop_assert_eq!(plan.kept, kept.len());
                let expected_skipped: Vec<Occurrence> =
                    all.iter().filter(|o| o.opens > now && in_range(o)).copied().collect();
                prop_assert_eq!(&plan.skipped, &expected_skipped);
                prop_assert!(plan.parts.len() <= 2);
                // Every part is booked far enough ahead for AURA.
                for o in kept.iter().take(1) {
                    prop_assert!(o.opens > now + Duration::minutes(REBOOK_MARGIN_MINUTES));
                }
            }
            Err(PlanRefusal::NothingToSkip) => {
                prop_assert!(!all.iter().any(|o| o.opens > now && in_range(o)));
            }
            Err(PlanRefusal::TooNear(at)) => {
                let near = all.iter().find(|o| o.opens == at).copied();
                prop_assert!(near.is_some_and(|o| !in_range(&o) && o.opens > now
                    && o.opens <= now + Duration::minutes(REBOOK_MARGIN_MINUTES)));
            }
        }
    }

    /// A change keeps, as its own request, exactly the original's windows still to open before the
    /// new version's first date.
    #[test]
    fn a_change_keeps_exactly_the_windows_before_the_new_version(
        tz in zones(),
        length in 0u64..90,
        repeat in repeats(),
        hour in 0u32..24,
        now_offset_hours in 0i64..(24 * 100),
        new_first_offset in 0u64..100,
    ) {
        let first = date(2026, 3, 1);
        let s = schedule(&tz, first, first + chrono::Days::new(length), repeat, hour, 30);
        let now = s.date_from + Duration::hours(now_offset_hours);
        let new_first = first + chrono::Days::new(new_first_offset);
        let all: Vec<Occurrence> = s.occurrences(&tz).collect();
        if let Ok(keep) = plan_change(&s, &tz, new_first, now) {
            let expected: Vec<Occurrence> = all
                .iter()
                .filter(|o| o.opens > now && o.local_date < new_first)
                .copied()
                .collect();
            let kept = windows_of(&keep.iter().map(|k| k.0).collect::<Vec<_>>(), &s, &tz);
            prop_assert_eq!(&kept, &expected);
            prop_assert_eq!(keep.map_or(0, |k| k.1), expected.len());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Booking each run books exactly the windows not on a closed date, each once, unchanged.
    #[test]
    fn runs_around_closures_hold_exactly_the_open_windows(
        tz in zones(),
        length in 0u64..90,
        repeat in repeats(),
        hour in 0u32..24,
        closures in proptest::collection::vec((0u64..100, 0u64..10), 0..4),
    ) {
        let first = date(2027, 1, 1);
        let s = schedule(&tz, first, first + chrono::Days::new(length), repeat, hour, 15);
        let closed: Vec<(NaiveDate, NaiveDate)> = closures
            .iter()
            .map(|(start, len)| {
                let f = first + chrono::Days::new(*start);
                (f, f + chrono::Days::new(*len))
            })
            .collect();
        let (runs, left_out) = runs_around(&s, &tz, &closed, 10_000);
        let open: Vec<Occurrence> = s
            .occurrences(&tz)
            .filter(|o| !closed.iter().any(|(f, l)| *f <= o.local_date && o.local_date <= *l))
            .collect();
        prop_assert_eq!(&windows_of(&runs, &s, &tz), &open);
        prop_assert_eq!(left_out + open.len(), s.occurrences(&tz).count());
        // Runs are separated by a closed window: never two that could be one.
        prop_assert!(runs.windows(2).all(|w| w[0].last_date < w[1].first_date));
    }
}
