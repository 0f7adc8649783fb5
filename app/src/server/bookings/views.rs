//! What people read: a booking's page, the month calendar, and the upcoming list with the
//! cancellation ledger.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};

use super::{REMOVED_COUNT_CAP, cancellation_info, occurrence_view};
use crate::error::AppError;
use crate::model::{
    AttentionItem, AttentionView, BookingDetail, CancellationView, ContactView, DayCell, EventView,
    MonthView, Role, SyncStatus, UpcomingView,
};
use crate::server::auth::Viewer;
use crate::server::db;
use crate::server::error::ServerError;
use crate::server::present::{date_label, instant_label};
use crate::server::state::AppState;
use crate::server::zone::Zone;

const DETAIL_UPCOMING: usize = 20;
const UPCOMING_LIMIT: usize = 500;
const CANCELLATIONS_LIMIT: i64 = 200;

pub async fn booking_detail(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    now: DateTime<Utc>,
) -> Result<BookingDetail, ServerError> {
    let booking = db::booking_in_scope(&state.pool, &viewer.scope(), id)
        .await?
        .ok_or_else(|| AppError::NotFound("No booking with that number is yours to see.".into()))?;
    let tz = booking.zone.tz();
    let status = booking.status;
    let schedule = &booking.schedule;
    let (upcoming, upcoming_total) = if status.is_active() {
        let mut future = schedule.occurrences(tz).filter(|o| o.closes > now);
        let shown: Vec<_> = future
            .by_ref()
            .take(DETAIL_UPCOMING)
            .map(|o| occurrence_view(&booking, &o))
            .collect();
        let total = shown.len() + future.take(REMOVED_COUNT_CAP).count();
        (shown, total)
    } else {
        (Vec::new(), 0)
    };
    let events = db::events_of_booking(&state.pool, id)
        .await?
        .into_iter()
        .map(|e| EventView {
            at_label: instant_label(e.at, tz),
            kind: e.kind,
            actor: e.actor,
            on_behalf_of: e.on_behalf_of,
            detail: e.detail,
        })
        .collect();
    let start = schedule.start_time.format("%H:%M");
    let timezone = booking.zone.name();
    Ok(BookingDetail {
        id: booking.id,
        customer: booking.customer.name.clone(),
        name: booking.name.clone(),
        service_type: booking.service_type,
        status,
        sync_error: booking.sync_error.clone(),
        aura_id: booking.aura_id.clone(),
        next_occurrence: schedule
            .next_occurrence(tz, now)
            .filter(|_| status.is_active())
            .map(|n| instant_label(n, tz)),
        site_name: booking.site.as_ref().map(|s| s.name.clone()),
        address: booking.location.address.clone(),
        coordinates: booking
            .location
            .coordinates
            .map(|(lat, lon)| format!("{lat:.5}, {lon:.5}")),
        timezone: timezone.to_string(),
        repeat: schedule.repeat.describe(),
        dates: if booking.first_date == booking.last_date {
            date_label(booking.first_date)
        } else {
            format!(
                "{} to {}",
                date_label(booking.first_date),
                date_label(booking.last_date)
            )
        },
        window: format!(
            "Opens {start} ({timezone}) for {} minutes",
            schedule.window_minutes
        ),
        number_of_guards: booking.number_of_guards,
        armed_preference: booking.armed_preference.label().to_string(),
        contacts: booking
            .contacts
            .iter()
            .map(|c| ContactView {
                name: c.name.clone(),
                mobile: c.mobile.clone(),
            })
            .collect(),
        special_instructions: booking.special_instructions.clone(),
        created: instant_label(booking.created_at, tz),
        cancellation: booking
            .cancellation
            .as_ref()
            .map(|c| cancellation_info(c, &booking)),
        upcoming,
        upcoming_total,
        events,
        can_cancel: status.is_cancellable() && booking.cancellation.is_none(),
        can_resolve: status == SyncStatus::Unknown && viewer.role != Role::Customer,
        can_send_again: status == SyncStatus::Lapsed
            && booking.cancellation.is_none()
            && schedule.next_occurrence(tz, now).is_some(),
        next_attempt: booking
            .next_attempt_at
            .filter(|_| matches!(status, SyncStatus::NotSent | SyncStatus::Cancelling))
            .map(|at| instant_label(at.max(now), tz)),
        attempts: booking.attempts,
        flash: None,
    })
}

/// The bookings a person has to look at, oldest first.
pub async fn attention_view(
    state: &AppState,
    viewer: &Viewer,
) -> Result<AttentionView, ServerError> {
    let items = db::bookings_needing_attention(&state.pool, &viewer.view_scope())
        .await?
        .into_iter()
        .map(|b| {
            let tz = b.zone.tz();
            AttentionItem {
                booking_id: b.id,
                customer: b.customer.name.clone(),
                name: b.name.clone(),
                service_type: b.service_type,
                status: b.status,
                place: b.place(),
                first_window: b
                    .schedule
                    .first_occurrence(tz)
                    .map(|o| instant_label(o.opens, tz))
                    .unwrap_or_else(|| "None".into()),
                booked: instant_label(b.created_at, tz),
                reason: b.sync_error.clone(),
                cancel_requested: b.cancellation.is_some(),
            }
        })
        .collect();
    Ok(AttentionView {
        showing_for: viewer.showing_for(),
        show_customer: viewer.sees_several(),
        items,
    })
}

/// Parses "YYYY-MM" (falls back to the current month in the customer's zone when absent).
pub fn parse_month(month: Option<&str>, default: NaiveDate) -> Result<NaiveDate, AppError> {
    match month.map(str::trim).filter(|m| !m.is_empty()) {
        None => Ok(default.with_day(1).unwrap_or(default)),
        Some(m) => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
            .map_err(|_| AppError::NotFound(format!("\"{m}\" is not a month; use YYYY-MM."))),
    }
}

/// The zone "today" is reckoned in for a viewer: their (selected or only) customer's default.
fn home_zone(viewer: &Viewer) -> Zone {
    viewer
        .selected_customer()
        .or(viewer.customers.first())
        .map(|c| c.default_timezone)
        .unwrap_or(Zone::UTC)
}

pub async fn month_view(
    state: &AppState,
    viewer: &Viewer,
    month: Option<&str>,
    now: DateTime<Utc>,
) -> Result<MonthView, ServerError> {
    let home = home_zone(viewer);
    let first = parse_month(month, now.with_timezone(home.tz()).date_naive())?;
    let next = first
        .checked_add_months(Months::new(1))
        .ok_or_else(|| AppError::NotFound("Month out of range.".into()))?;
    let prev = first
        .checked_sub_months(Months::new(1))
        .ok_or_else(|| AppError::NotFound("Month out of range.".into()))?;
    // Monday-first grid covering the whole month.
    let grid_start = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
    let last = next.pred_opt().unwrap_or(first);
    let grid_end = last + Duration::days(i64::from(6 - last.weekday().num_days_from_monday()));
    let mut cells: Vec<DayCell> = grid_start
        .iter_days()
        .take_while(|d| *d <= grid_end)
        .map(|date| DayCell {
            date,
            in_month: date.month() == first.month(),
            occurrences: Vec::new(),
        })
        .collect();

    // Local dates differ by zone by at most a day either way: query a margin around the grid.
    let from = grid_start
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now)
        - Duration::days(2);
    let to = grid_end
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now)
        + Duration::days(3);
    for booking in db::active_bookings_between(&state.pool, &viewer.view_scope(), from, to).await? {
        for o in booking
            .schedule
            .occurrences_between(booking.zone.tz(), from, to)
        {
            let offset = (o.local_date - grid_start).num_days();
            if let Some(cell) = usize::try_from(offset).ok().and_then(|i| cells.get_mut(i)) {
                cell.occurrences.push(occurrence_view(&booking, &o));
            }
        }
    }
    for cell in &mut cells {
        cell.occurrences.sort_by_key(|o| o.opens);
    }
    Ok(MonthView {
        title: first.format("%B %Y").to_string(),
        month: first.format("%Y-%m").to_string(),
        prev: prev.format("%Y-%m").to_string(),
        next: next.format("%Y-%m").to_string(),
        weeks: cells.chunks(7).map(<[DayCell]>::to_vec).collect(),
        showing_for: viewer.showing_for(),
        show_customer: viewer.sees_several(),
    })
}

pub async fn upcoming_view(
    state: &AppState,
    viewer: &Viewer,
    days: u32,
    now: DateTime<Utc>,
) -> Result<UpcomingView, ServerError> {
    let days = days.clamp(1, 366);
    let to = now + Duration::days(i64::from(days));
    let mut occurrences = Vec::new();
    let scope = viewer.view_scope();
    for booking in db::active_bookings_between(&state.pool, &scope, now, to).await? {
        for o in booking
            .schedule
            .occurrences_between(booking.zone.tz(), now, to)
            .filter(|o| o.opens >= now)
        {
            occurrences.push(occurrence_view(&booking, &o));
        }
    }
    occurrences.sort_by_key(|o| (o.opens, o.booking_id));
    occurrences.truncate(UPCOMING_LIMIT);
    let cancellations = db::cancelled_bookings(&state.pool, &scope, CANCELLATIONS_LIMIT)
        .await?
        .into_iter()
        .filter_map(|booking| {
            let cancellation = cancellation_info(booking.cancellation.as_ref()?, &booking);
            Some(CancellationView {
                booking_id: booking.id,
                customer: booking.customer.name.clone(),
                name: booking.name.clone(),
                service_type: booking.service_type,
                place: booking.place(),
                cancellation,
            })
        })
        .collect();
    Ok(UpcomingView {
        days,
        showing_for: viewer.showing_for(),
        show_customer: viewer.sees_several(),
        occurrences,
        cancellations,
    })
}
