use super::preview::overlapping;
use super::*;
use chrono::TimeZone;
use domain::Occurrence;

fn window(day: u32, from: u32, to: u32) -> Occurrence {
    let at = |h| {
        Utc.with_ymd_and_hms(2026, 12, day, h, 0, 0)
            .single()
            .expect("t")
    };
    Occurrence {
        local_date: chrono::NaiveDate::from_ymd_opt(2026, 12, day).expect("d"),
        opens: at(from),
        closes: at(to),
        start_in_gap: false,
        start_ambiguous: false,
        crosses_midnight: false,
        spans_offset_change: false,
    }
}

#[test]
fn overlaps_count_each_new_window_once_and_name_the_first_met() {
    let mine = [window(1, 20, 22), window(2, 20, 22), window(3, 20, 22)];
    // Touching is not overlapping; two of theirs inside one of mine count once.
    let theirs = [
        window(1, 22, 23),
        window(2, 19, 20),
        window(2, 21, 22),
        window(3, 20, 21),
        window(3, 21, 22),
    ];
    let (count, first) = overlapping(&mine, &theirs);
    assert_eq!(count, 2);
    assert_eq!(
        first.map(|o| (o.local_date.to_string(), o.opens)),
        Some(("2026-12-02".to_string(), theirs[2].opens))
    );
    assert_eq!(overlapping(&mine, &[window(4, 20, 22)]), (0, None));
    assert_eq!(overlapping(&[], &theirs), (0, None));
}
