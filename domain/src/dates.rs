//! How dates and times are written in forms, URLs and AURA's bodies, and read back strictly.

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};

/// The digits of `s` as a number, if `s` is exactly `len` ASCII digits. Dates and times are read by
/// hand, strictly, so the browser bundle carries none of chrono's format parser.
pub(crate) fn digits(s: &str, len: usize) -> Option<u32> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// The AURA wire form of a start time.
pub fn format_start_time(t: NaiveTime) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// A date as the forms and URLs write it: YYYY-MM-DD.
pub fn iso_date(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// Reads YYYY-MM-DD, the one way dates are written in forms and URLs. A year of up to six digits
/// (a date field lets one type them) is read too, so a date range, not the reading, says what is
/// wrong with it.
pub fn read_iso_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let mut parts = s.strip_prefix('+').unwrap_or(s).split('-');
    let year = |y: &str| (4..=6).find_map(|len| digits(y, len));
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d), None) => year(y)
            .zip(digits(m, 2))
            .zip(digits(d, 2))
            .and_then(|((y, m), d)| NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)),
        _ => None,
    }
}
