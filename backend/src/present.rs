//! Turning instants (and coordinates) into text a person reads: times always in the zone they
//! belong to, naming it.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::db::Booking;
use domain::{Occurrence, format_start_time};

/// e.g. "51.50720, -0.12760": coordinates as every page, list, export and feed shows them.
pub fn coordinates_label((lat, lon): (f64, f64)) -> String {
    format!("{lat:.5}, {lon:.5}")
}

/// A label for where a booking happens: the saved site's name, else the address or coordinates.
pub fn place(booking: &Booking) -> String {
    booking
        .site
        .as_ref()
        .map(|s| s.name.clone())
        .or_else(|| booking.location.address.clone())
        .or_else(|| booking.location.coordinates.map(coordinates_label))
        .unwrap_or_default()
}

/// e.g. "Wed 2 Dec 2026"
pub fn date_label(d: NaiveDate) -> String {
    d.format("%a %-d %b %Y").to_string()
}

/// e.g. "Wed 2 Dec 2026, 22:00 GMT"
pub fn instant_label(at: DateTime<Utc>, tz: &Tz) -> String {
    at.with_timezone(tz)
        .format("%a %-d %b %Y, %H:%M %Z")
        .to_string()
}

/// e.g. "22:00–23:30 GMT", "23:00–01:00 (next day) EST", "01:30 BST–01:30 GMT".
pub fn window_label(opens: DateTime<Utc>, closes: DateTime<Utc>, tz: &Tz) -> String {
    let (o, c) = (opens.with_timezone(tz), closes.with_timezone(tz));
    let days = (c.date_naive() - o.date_naive()).num_days();
    let later = match days {
        0 => String::new(),
        1 => " (next day)".to_string(),
        n => format!(" (+{n} days)"),
    };
    let (oz, cz) = (o.format("%Z").to_string(), c.format("%Z").to_string());
    if oz == cz {
        format!("{}–{}{later} {oz}", o.format("%H:%M"), c.format("%H:%M"))
    } else {
        format!(
            "{} {oz}–{}{later} {cz}",
            o.format("%H:%M"),
            c.format("%H:%M")
        )
    }
}

/// Plain-language notes on daylight-saving and midnight effects of one window.
pub fn occurrence_notes(o: &Occurrence, start_time: NaiveTime, tz: &Tz) -> Vec<String> {
    let mut notes = Vec::new();
    let local_open = o.opens.with_timezone(tz);
    if o.start_in_gap {
        notes.push(format!(
            "Clocks go forward: {} does not exist that day, so it starts at {}.",
            format_start_time(start_time),
            local_open.format("%H:%M %Z")
        ));
    }
    if o.start_ambiguous {
        notes.push(format!(
            "Clocks go back: {} happens twice that day; it starts at the first ({}).",
            format_start_time(start_time),
            local_open.format("%Z")
        ));
    }
    if o.spans_offset_change && !o.start_in_gap {
        notes.push("The clocks change while this window is open.".to_string());
    }
    if o.crosses_midnight {
        notes.push("Runs past midnight into the next day.".to_string());
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::London;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("rfc3339")
            .with_timezone(&Utc)
    }

    #[test]
    fn window_labels_name_the_zone_and_the_next_day() {
        assert_eq!(
            window_label(
                utc("2026-12-02T22:00:00Z"),
                utc("2026-12-02T23:30:00Z"),
                &London
            ),
            "22:00–23:30 GMT"
        );
        assert_eq!(
            window_label(
                utc("2026-12-02T23:00:00Z"),
                utc("2026-12-03T01:00:00Z"),
                &London
            ),
            "23:00–01:00 (next day) GMT"
        );
        assert_eq!(
            window_label(
                utc("2027-10-31T00:30:00Z"),
                utc("2027-10-31T01:30:00Z"),
                &London
            ),
            "01:30 BST–01:30 GMT"
        );
    }

    #[test]
    fn instant_and_date_labels() {
        assert_eq!(
            instant_label(utc("2027-06-01T08:05:00Z"), &London),
            "Tue 1 Jun 2027, 09:05 BST"
        );
        assert_eq!(
            date_label(NaiveDate::from_ymd_opt(2026, 12, 2).expect("date")),
            "Wed 2 Dec 2026"
        );
    }
}
