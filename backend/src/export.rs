//! Spreadsheet exports (CSV, RFC 4180) of the upcoming list and the cancellation ledger, exactly as
//! the page shows them for the same range and customer choice. UTF-8 with a byte-order mark (so
//! Excel reads it as UTF-8), every time with its UTC offset and its zone's name.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::auth::Viewer;
use super::bookings::{occurrence_view, upcoming_windows};
use super::error::ServerError;
use super::state::AppState;

/// Where a spreadsheet may start a new cell inside a field: the separators people's locales use
/// (`,` and `;`), a tab, and line breaks (a reader that loses track of quoting starts a new row).
const CELL_STARTS: [char; 5] = [',', ';', '\t', '\n', '\r'];

/// The formula guard (OWASP, CSV injection), applied to every cell: wherever a cell could begin,
/// at the field's start or after any of [`CELL_STARTS`] inside it, text a spreadsheet would run as
/// a formula gets an apostrophe before it. A formula starts with `=` or `@`, or with `+` or `-`
/// unless it is only a number (digits, spaces, `.` and `,`: a phone number, coordinates); spaces
/// and quotes before it do not hide it.
fn guarded(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    let mut at_cell_start = true;
    for (i, c) in text.char_indices() {
        if at_cell_start && !matches!(c, ' ' | '"') {
            if starts_formula(&text[i..]) {
                out.push('\'');
            }
            at_cell_start = false;
        }
        out.push(c);
        if CELL_STARTS.contains(&c) {
            at_cell_start = true;
        }
    }
    out
}

/// Whether `rest` (from where a cell could begin) starts a formula.
fn starts_formula(rest: &str) -> bool {
    let mut chars = rest.chars();
    match chars.next() {
        Some('=' | '@') => true,
        Some('+' | '-') => {
            // Up to where the next cell could begin.
            let cell = chars.as_str().split(CELL_STARTS).next().unwrap_or_default();
            !cell
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.'))
        }
        _ => false,
    }
}

/// A CSV document (RFC 4180) written with the `csv` crate: a UTF-8 byte-order mark, then a header
/// and rows with CRLF line ends; every field that is not a plain number is quoted, every field
/// passes the formula guard.
struct Csv(csv::Writer<Vec<u8>>);

impl Csv {
    fn new(header: &[&str]) -> Csv {
        let writer = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::NonNumeric)
            .terminator(csv::Terminator::CRLF)
            .from_writer("\u{feff}".as_bytes().to_vec());
        let mut csv = Csv(writer);
        csv.row(header);
        csv
    }

    fn row(&mut self, fields: &[&str]) {
        let fields: Vec<String> = fields.iter().map(|f| guarded(f)).collect();
        // Writing into memory cannot fail; a failure would be a bug in the crate, kept visible.
        if let Err(e) = self.0.write_record(&fields) {
            tracing::error!("CSV row not written: {e}");
        }
    }

    fn finish(self) -> Result<String, ServerError> {
        let bytes = self
            .0
            .into_inner()
            .map_err(|e| ServerError::internal(format!("CSV not finished: {e}")))?;
        String::from_utf8(bytes).map_err(|e| ServerError::internal(format!("CSV not UTF-8: {e}")))
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
        csv.row(&[
            &o.local_date.to_string(),
            &local_time(o.opens, tz),
            &local_time(o.closes, tz),
            &o.timezone,
            &o.time_label,
            &o.booking_id.to_string(),
            &o.name,
            &o.customer,
            o.service_type.label(),
            o.status.label(),
            &o.place,
            &o.notes.join(" "),
        ]);
    }
    csv.finish()
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
    // Every row, in one statement (pages read one after another could shift under a new cancel).
    let rows = crate::db::cancelled_bookings(&state.db, &viewer.view_scope(), i64::MAX, 0).await?;
    for booking in rows {
        let Some(c) = &booking.cancellation else {
            continue;
        };
        let tz = booking.zone.tz();
        csv.row(&[
            &booking.id.to_string(),
            &booking.name,
            &booking.customer.name,
            booking.service_type.label(),
            &crate::present::place(&booking),
            &local_time(c.requested_at, tz),
            &c.done_at.map(|at| local_time(at, tz)).unwrap_or_default(),
            booking.zone.name(),
            &c.by,
            c.on_behalf_of.as_deref().unwrap_or_default(),
            &c.reason,
            &c.removed_occurrences.to_string(),
            if booking.schedule.is_late_cancel(tz, c.requested_at) {
                "yes"
            } else {
                "no"
            },
        ]);
    }
    csv.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(rows: &[&[&str]]) -> String {
        let mut csv = Csv::new(&["A", "B"]);
        for row in rows {
            csv.row(row);
        }
        csv.finish().expect("csv")
    }

    #[test]
    fn a_document_starts_with_a_byte_order_mark_quotes_text_and_ends_lines_with_crlf() {
        assert_eq!(
            document(&[&["1", "x,y"], &["say \"hi\"", "two\nlines"]]),
            "\u{feff}\"A\",\"B\"\r\n1,\"x,y\"\r\n\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
    }

    #[test]
    fn no_cell_starts_a_formula_wherever_a_cell_could_start() {
        assert_eq!(guarded("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(guarded("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(guarded("-cmd"), "'-cmd");
        assert_eq!(guarded("plain"), "plain");
        assert_eq!(guarded("Zoë’s café"), "Zoë’s café");
        // Numbers stay numbers: coordinates, phone numbers, a lone dash.
        assert_eq!(guarded("-33.86, 151.21"), "-33.86, 151.21");
        assert_eq!(guarded("+44 7700 900123"), "+44 7700 900123");
        assert_eq!(guarded("-"), "-");
        // A number first does not make the rest harmless.
        assert_eq!(guarded("-1+cmd|' /C calc'!A0"), "'-1+cmd|' /C calc'!A0");
        // After every separator a locale uses, a tab or a line break, and behind spaces or quotes.
        assert_eq!(guarded("x;=1+1;@SUM(1+1)"), "x;'=1+1;'@SUM(1+1)");
        assert_eq!(guarded("a,+1+A1\t-2-B2"), "a,'+1+A1\t'-2-B2");
        assert_eq!(
            guarded("fine\n=cmd|' /C calc'!A0"),
            "fine\n'=cmd|' /C calc'!A0"
        );
        assert_eq!(guarded("x\r\n =1"), "x\r\n '=1");
        assert_eq!(guarded("x;\"=1\""), "x;\"'=1\"");
        assert_eq!(guarded("a;-5;+6,7"), "a;-5;+6,7");
    }
}
