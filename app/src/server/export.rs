//! Spreadsheet exports (CSV, RFC 4180) of the upcoming list and the cancellation ledger, exactly as
//! the page shows them for the same range and customer choice. UTF-8 with a byte-order mark (so
//! Excel reads it as UTF-8), every time with its UTC offset and its zone's name.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::auth::Viewer;
use super::bookings::{cancellation_ledger, occurrence_view, upcoming_windows};
use super::error::ServerError;
use super::state::AppState;

/// Quotes a field when it holds a separator, a quote or a line break (quotes doubled). Text a
/// person typed that a spreadsheet could run as a formula (starting with `=`, `@`, a tab or a
/// carriage return, or with `+`/`-` unless it is only a number: digits, spaces, `.` and `,`, like a
/// phone number or coordinates) gets a leading apostrophe, so opening the file never runs anything.
fn field(text: &str, typed: bool) -> String {
    let formula = typed
        && match text.chars().next() {
            Some('=' | '@' | '\t' | '\r') => true,
            Some('+' | '-') => !text[1..]
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | ',')),
            _ => false,
        };
    let text = if formula {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// A CSV document: a header and rows, CRLF line ends, a UTF-8 byte-order mark first.
struct Csv(String);

impl Csv {
    fn new(header: &[&str]) -> Csv {
        let mut csv = Csv("\u{feff}".to_string());
        csv.row(header.iter().map(|h| field(h, false)));
        csv
    }

    fn row(&mut self, fields: impl IntoIterator<Item = String>) {
        let line: Vec<String> = fields.into_iter().collect();
        self.0.push_str(&line.join(","));
        self.0.push_str("\r\n");
    }
}

/// e.g. `2026-12-02T22:00:00+00:00` in `tz`.
fn local_time(at: DateTime<Utc>, tz: &Tz) -> String {
    at.with_timezone(tz)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// The upcoming windows of the next `days` days, as the upcoming page lists them.
pub async fn upcoming_csv(
    state: &AppState,
    viewer: &Viewer,
    days: u32,
    now: DateTime<Utc>,
) -> Result<String, ServerError> {
    let upcoming = upcoming_windows(state, viewer, days, now).await?;
    let mut csv = Csv::new(&[
        "Date",
        "Opens",
        "Closes",
        "Time zone",
        "Window",
        "Booking",
        "Name",
        "Customer",
        "Service",
        "Status",
        "Place",
        "Notes",
    ]);
    for (booking, window) in upcoming.iter() {
        let tz = booking.zone.tz();
        let o = occurrence_view(booking, window);
        csv.row([
            o.local_date.to_string(),
            local_time(o.opens, tz),
            local_time(o.closes, tz),
            field(&o.timezone, false),
            field(&o.time_label, false),
            o.booking_id.to_string(),
            field(&o.name, true),
            field(&o.customer, true),
            field(o.service_type.label(), false),
            field(o.status.label(), false),
            field(&o.place, true),
            field(&o.notes.join(" "), false),
        ]);
    }
    Ok(csv.0)
}

/// The cancellation ledger, as the upcoming page lists it.
pub async fn cancellations_csv(state: &AppState, viewer: &Viewer) -> Result<String, ServerError> {
    let mut csv = Csv::new(&[
        "Booking",
        "Name",
        "Customer",
        "Service",
        "Place",
        "Cancel asked",
        "Cancelled",
        "Time zone",
        "By",
        "On behalf of",
        "Reason",
        "Windows removed",
        "Late",
    ]);
    for booking in cancellation_ledger(state, viewer).await? {
        let Some(c) = &booking.cancellation else {
            continue;
        };
        let tz = booking.zone.tz();
        csv.row([
            booking.id.to_string(),
            field(&booking.name, true),
            field(&booking.customer.name, true),
            field(booking.service_type.label(), false),
            field(&booking.place(), true),
            local_time(c.requested_at, tz),
            c.done_at.map(|at| local_time(at, tz)).unwrap_or_default(),
            field(booking.zone.name(), false),
            field(&c.by, true),
            field(c.on_behalf_of.as_deref().unwrap_or_default(), true),
            field(&c.reason, true),
            c.removed_occurrences.to_string(),
            if booking.schedule.is_late_cancel(tz, c.requested_at) {
                "yes"
            } else {
                "no"
            }
            .to_string(),
        ]);
    }
    Ok(csv.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(field("plain", true), "plain");
        assert_eq!(field("a, b", true), "\"a, b\"");
        assert_eq!(field("say \"hi\"", true), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines", true), "\"two\nlines\"");
        assert_eq!(field("Zoë’s café", true), "Zoë’s café");
        assert_eq!(field(" padded", false), "\" padded\"");
    }

    #[test]
    fn typed_text_never_becomes_a_formula() {
        assert_eq!(
            field("=HYPERLINK(\"x\")", true),
            "\"'=HYPERLINK(\"\"x\"\")\""
        );
        assert_eq!(field("@SUM(A1)", true), "'@SUM(A1)");
        assert_eq!(field("-cmd", true), "'-cmd");
        assert_eq!(field("-33.86, 151.21", true), "\"-33.86, 151.21\"");
        assert_eq!(field("+44 7700", true), "+44 7700");
        // A number first does not make the rest harmless.
        assert_eq!(field("-1+cmd|' /C calc'!A0", true), "'-1+cmd|' /C calc'!A0");
        assert_eq!(
            field("+1+HYPERLINK(\"x\")", true),
            "\"'+1+HYPERLINK(\"\"x\"\")\""
        );
        assert_eq!(field("-", true), "-");
        assert_eq!(field("=1", false), "=1");
    }

    #[test]
    fn a_document_starts_with_a_byte_order_mark_and_ends_lines_with_crlf() {
        let mut csv = Csv::new(&["A", "B"]);
        csv.row(["1".to_string(), field("x,y", true)]);
        assert_eq!(csv.0, "\u{feff}A,B\r\n1,\"x,y\"\r\n");
    }
}
