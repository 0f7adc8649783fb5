//! Bookings: making one (validate → save → send to AURA → record), cancelling one, and the views
//! built from stored bookings.
//!
//! Nothing the user was told about is lost: the booking is saved before AURA is called, and its
//! status says how far it got.

mod book;
mod calendar;
mod cancel;
mod change;
mod resolve;
mod views;

pub use book::{MAX_SITES_AT_ONCE, book, book_at_sites, form_data, preview, preview_sites};
pub use calendar::{CalendarQuery, RawCalendarQuery, ViewerZones, calendar_view};
pub use cancel::{cancel, cancel_with_pair};
pub use change::{SkipAsk, change_booking, change_form, skip_dates, skip_preview};
pub use resolve::{resolve, send_from_next_window};
pub use views::{
    LEDGER_PAGE, UpcomingWindows, attention_view, booking_detail, cancellation_ledger,
    upcoming_view, upcoming_windows,
};

use chrono::{DateTime, NaiveDate, Utc};

use super::auth::Viewer;
use super::db::{self, Booking, CancellationRecord};
use super::error::ServerError;
use super::present::{date_label, instant_label, occurrence_notes, window_label};
use super::state::AppState;
use super::zone::Zone;
use domain::error::AppError;
use domain::model::{CancellationInfo, OccurrenceView};
use domain::{Field, FieldErrors, Occurrence, Schedule, local_date_span};

/// Counting windows stops here, so a booking spanning centuries cannot stall a request.
const REMOVED_COUNT_CAP: usize = 100_000;

/// How many of a booking's future windows open after `now` (capped).
fn future_windows(booking: &Booking, now: DateTime<Utc>) -> usize {
    booking
        .schedule
        .occurrences_from(booking.zone.tz(), now)
        .filter(|o| o.opens > now)
        .take(REMOVED_COUNT_CAP)
        .count()
}

/// A booking's schedule starting from `first_date` instead (its other rules unchanged).
fn schedule_from(booking: &Booking, first_date: NaiveDate) -> Schedule {
    let (date_from, _) = local_date_span(booking.zone.tz(), first_date, booking.last_date);
    Schedule {
        date_from,
        ..booking.schedule.clone()
    }
}

/// A booking the viewer reaches. Out of reach and nonexistent look the same: nobody learns another
/// customer's booking numbers.
async fn booking_for(state: &AppState, viewer: &Viewer, id: i64) -> Result<Booking, ServerError> {
    Ok(db::booking_in_scope(&state.db, &viewer.scope(), id)
        .await?
        .ok_or_else(|| AppError::NotFound("No such booking.".into()))?)
}

/// A conditional change found the booking in another state than the one just read.
fn changed_meanwhile() -> ServerError {
    AppError::Conflict("This booking changed meanwhile; reload to see it.".into()).into()
}

/// A saved site that is not (or no longer) one of this customer's.
fn unknown_site() -> FieldErrors {
    FieldErrors::one(
        Field::Site,
        "That site is not one of your open saved sites (it may have been retired). Choose another or enter a new location.",
    )
}

fn cancellation_info(c: &CancellationRecord, booking: &Booking) -> CancellationInfo {
    CancellationInfo {
        at_label: instant_label(c.done_at.unwrap_or(c.requested_at), booking.zone.tz()),
        reason: c.reason.clone(),
        by: c.by.clone(),
        on_behalf_of: c.on_behalf_of.clone(),
        removed_occurrences: c.removed_occurrences,
        pending: c.done_at.is_none(),
        // A change keeps the windows it books again: only a plain cancel can come late.
        late: booking.ended_by.is_none()
            && booking
                .schedule
                .is_late_cancel(booking.zone.tz(), c.requested_at),
        change: booking.ended_by,
    }
}

pub(crate) fn occurrence_view(booking: &Booking, o: &Occurrence) -> OccurrenceView {
    occurrence_view_in(booking, o, None)
}

/// A window as shown: in the site's zone, or in `shown_in` (the viewer's own) with the site's
/// local time kept alongside.
fn occurrence_view_in(
    booking: &Booking,
    o: &Occurrence,
    shown_in: Option<&Zone>,
) -> OccurrenceView {
    let site_tz = booking.zone.tz();
    let other = shown_in.filter(|z| **z != booking.zone);
    let (zone, local_date) = match other {
        Some(z) => (*z, o.opens.with_timezone(z.tz()).date_naive()),
        None => (booking.zone, o.local_date),
    };
    OccurrenceView {
        booking_id: booking.id,
        customer: booking.customer.name.clone(),
        name: booking.name.clone(),
        service_type: booking.service_type,
        status: booking.status,
        place: crate::present::place(booking),
        timezone: zone.name().to_string(),
        local_date,
        opens: o.opens,
        closes: o.closes,
        date_label: date_label(local_date),
        time_label: window_label(o.opens, o.closes, zone.tz()),
        notes: occurrence_notes(o, booking.schedule.start_time, site_tz),
        site_time: other.map(|_| {
            format!(
                "{} {} at the site ({})",
                date_label(o.local_date),
                window_label(o.opens, o.closes, site_tz),
                booking.zone.name()
            )
        }),
    }
}
