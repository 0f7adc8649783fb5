//! What people read: a booking's page, the month calendar, and the upcoming list with the
//! cancellation ledger.

use chrono::{DateTime, Duration, Utc};

use domain::Occurrence;

use super::{REMOVED_COUNT_CAP, cancellation_info, occurrence_view};
use crate::auth::Viewer;
use crate::blocking::EXPANSION;
use crate::db;
use crate::error::ServerError;
use crate::present::{date_label, instant_label};
use crate::state::AppState;
use crate::windows::soonest_windows;
use crate::zone::Zone;
use domain::error::AppError;
use domain::model::{
    AttentionItem, AttentionView, BookingDetail, CancellationView, ChangeView, ClosureMet,
    ContactView, EventView, PairView, Role, SyncStatus, UpcomingView,
};

const DETAIL_UPCOMING: usize = 20;
const UPCOMING_LIMIT: usize = 500;
/// Rows per page of the cancellation ledger (the CSV has every row).
pub const LEDGER_PAGE: i64 = 100;

pub async fn booking_detail(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    now: DateTime<Utc>,
) -> Result<BookingDetail, ServerError> {
    let booking = db::booking_in_scope(&state.db, &viewer.scope(), id)
        .await?
        .ok_or_else(|| AppError::NotFound("No booking with that number is yours to see.".into()))?;
    let tz = booking.zone.tz();
    let status = booking.status;
    let schedule = &booking.schedule;
    let (upcoming, upcoming_total) = if status.is_active() {
        let mut future = schedule.occurrences_from(tz, now);
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
    let events = db::events_of_booking(&state.db, id)
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
    let pair = match booking.pair {
        Some(db::Pair {
            role,
            other: Some(other),
        }) => db::booking_in_scope(&state.db, &viewer.scope(), other)
            .await?
            .map(|o| PairView {
                role,
                other_id: o.id,
                other_name: o.name.clone(),
                other_status: o.status,
                other_cancellable: o.status.is_cancellable() && o.cancellation.is_none(),
            }),
        _ => None,
    };
    let mut tx = state.db.begin().await?;
    let changes: Vec<_> = db::changes_of_booking(&mut tx, id).await?;
    drop(tx);
    let change_open = changes.iter().any(|c| c.status.is_open());
    // A change under way cancels its original by itself (a stuck one waits for a person to).
    let cancel_blocked = changes.iter().any(|c| {
        c.booking_id == id
            && matches!(
                c.status,
                domain::lifecycle::ChangeStatus::Booking
                    | domain::lifecycle::ChangeStatus::Cancelling
            )
    });
    let can_change = !change_open
        && booking.cancellation.is_none()
        && matches!(
            status,
            SyncStatus::Confirmed | SyncStatus::Saved | SyncStatus::NotSent | SyncStatus::Lapsed
        );
    let changes = changes
        .into_iter()
        .map(|c| ChangeView {
            id: c.id,
            kind: c.kind,
            status: c.status,
            detail: c.detail,
            at_label: instant_label(c.created_at, tz),
            by: match &c.by.on_behalf_of {
                Some(whom) => format!("{} for {whom}", c.by.name),
                None => c.by.name.clone(),
            },
            original: c.booking_id,
            parts: c.parts,
        })
        .collect();
    let closures = if can_change {
        crate::closures::closures_meeting(state, &booking, now)
            .await?
            .into_iter()
            .map(|(name, from, to, windows)| ClosureMet {
                name,
                from: domain::iso_date(from),
                to: domain::iso_date(to),
                dates: if from == to {
                    date_label(from)
                } else {
                    format!("{} to {}", date_label(from), date_label(to))
                },
                windows,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(BookingDetail {
        closures,
        can_change,
        repeats: !matches!(schedule.repeat, domain::Repeat::Single),
        first_date: domain::iso_date(booking.first_date),
        last_date: domain::iso_date(booking.last_date),
        changes,
        pair,
        map_url: map_url(&booking.location),
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
            .map(crate::present::coordinates_label),
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
        can_cancel: status.is_cancellable() && booking.cancellation.is_none() && !cancel_blocked,
        can_resolve: status == SyncStatus::Unknown && viewer.role != Role::Customer,
        can_send_again: status == SyncStatus::Lapsed
            && booking.cancellation.is_none()
            && schedule.next_occurrence(tz, now).is_some(),
        can_acknowledge: SyncStatus::UNTIL_ACKNOWLEDGED.contains(&status)
            && booking.acknowledged_at.is_none(),
        acknowledged: booking
            .acknowledged_at
            .filter(|_| SyncStatus::UNTIL_ACKNOWLEDGED.contains(&status))
            .map(|at| instant_label(at, tz)),
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
    let items = db::bookings_needing_attention(&state.db, &viewer.view_scope())
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
                place: crate::present::place(&b),
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
        for_customer: viewer.role == Role::Customer,
        items,
    })
}

/// The zone "today" is reckoned in for a viewer: their (selected or only) customer's default.
pub(super) fn home_zone(viewer: &Viewer) -> Zone {
    viewer
        .selected_customer()
        .or(viewer.customers.first())
        .map(|c| c.default_timezone)
        .unwrap_or(Zone::UTC)
}

pub async fn upcoming_view(
    state: &AppState,
    viewer: &Viewer,
    days: u32,
    ledger_page: u32,
    now: DateTime<Utc>,
) -> Result<UpcomingView, ServerError> {
    let cancelled_total = db::count_cancelled(&state.db, &viewer.view_scope()).await?;
    let ledger_pages = u32::try_from((cancelled_total + LEDGER_PAGE - 1) / LEDGER_PAGE)
        .unwrap_or(u32::MAX)
        .max(1);
    let ledger_page = ledger_page.min(ledger_pages - 1);
    let upcoming = upcoming_windows(state, viewer, days, now).await?;
    let occurrences = upcoming
        .iter()
        .map(|(booking, o)| occurrence_view(booking, o))
        .collect();
    let cancellations = cancellation_ledger(state, viewer, ledger_page)
        .await?
        .into_iter()
        .filter_map(|booking| {
            let cancellation = cancellation_info(booking.cancellation.as_ref()?, &booking);
            Some(CancellationView {
                booking_id: booking.id,
                customer: booking.customer.name.clone(),
                name: booking.name.clone(),
                service_type: booking.service_type,
                place: crate::present::place(&booking),
                cancellation,
            })
        })
        .collect();
    Ok(UpcomingView {
        days: upcoming.days,
        showing_for: viewer.showing_for(),
        show_customer: viewer.sees_several(),
        occurrences,
        cancellations,
        cancelled_total,
        ledger_page,
        ledger_pages,
    })
}

/// A public map at the place: its coordinates if known, else its address.
fn map_url(location: &domain::Location) -> Option<String> {
    let query = match (location.coordinates, &location.address) {
        (Some((lat, lon)), _) => format!("{lat:.6},{lon:.6}"),
        (None, Some(address)) => address.clone(),
        (None, None) => return None,
    };
    let mut url = url::Url::parse("https://www.google.com/maps/search/").ok()?;
    url.query_pairs_mut()
        .append_pair("api", "1")
        .append_pair("query", &query);
    Some(url.to_string())
}

/// One page of the cancelled bookings the ledger lists (newest first; pages count from 0).
pub async fn cancellation_ledger(
    state: &AppState,
    viewer: &Viewer,
    page: u32,
) -> Result<Vec<db::Booking>, ServerError> {
    let offset = i64::from(page).saturating_mul(LEDGER_PAGE);
    Ok(db::cancelled_bookings(&state.db, &viewer.view_scope(), LEDGER_PAGE, offset).await?)
}

/// The upcoming list's windows: those opening in the next `days` days (1 to 366) of the bookings
/// in the viewer's view, soonest first, at most [`UPCOMING_LIMIT`]. The page and its CSV export
/// both list exactly these.
pub struct UpcomingWindows {
    pub days: u32,
    bookings: Vec<db::Booking>,
    /// Each window with the index of its booking.
    windows: Vec<(usize, Occurrence)>,
}

impl UpcomingWindows {
    pub fn iter(&self) -> impl Iterator<Item = (&db::Booking, &Occurrence)> {
        self.windows.iter().map(|(i, o)| (&self.bookings[*i], o))
    }
}

pub async fn upcoming_windows(
    state: &AppState,
    viewer: &Viewer,
    days: u32,
    now: DateTime<Utc>,
) -> Result<UpcomingWindows, ServerError> {
    let days = days.clamp(1, 366);
    let to = now + Duration::days(i64::from(days));
    let bookings = db::shown_bookings_between(&state.db, &viewer.view_scope(), now, to).await?;
    EXPANSION
        .run(move || {
            let windows = soonest_windows(&bookings, now, to, UPCOMING_LIMIT, |o| o.opens >= now);
            UpcomingWindows {
                days,
                bookings,
                windows,
            }
        })
        .await
}
