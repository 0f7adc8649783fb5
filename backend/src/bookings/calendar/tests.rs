use super::*;
use domain::error::AppError;
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
