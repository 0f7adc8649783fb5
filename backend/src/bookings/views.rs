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
use crate::zone::Zone;
use domain::error::AppError;
use domain::model::{
    AttentionItem, AttentionView, BookingDetail, CancellationView, ContactView, EventView,
    PairView, Role, SyncStatus, UpcomingView,
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
    Ok(BookingDetail {
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
        can_cancel: status.is_cancellable() && booking.cancellation.is_none(),
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

/// The `limit` windows in `[from, to)` across `bookings` that `keep` accepts, soonest first (ties
/// by booking number), each with the index of its booking. Only about `limit` windows per booking
/// are expanded, however long the bookings run.
pub(crate) fn soonest_windows(
    bookings: &[db::Booking],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: usize,
    keep: impl Fn(&Occurrence) -> bool + Copy,
) -> Vec<(usize, Occurrence)> {
    let lists = bookings.iter().enumerate().map(|(i, booking)| {
        booking
            .schedule
            .occurrences_between(booking.zone.tz(), from, to)
            .filter(move |o| keep(o))
            .map(move |o| ((o.opens, booking.id), (i, o)))
    });
    smallest_of_sorted(lists, limit)
        .into_iter()
        .map(|(_, window)| window)
        .collect()
}

/// The `limit` smallest items of several lists, each already in ascending order of its key, in
/// order. Keeps only `limit` items at a time and stops reading a list at its first item larger than
/// all of them: the work stays near `limit` per list however long the lists are.
fn smallest_of_sorted<K: Ord, T>(
    lists: impl IntoIterator<Item = impl IntoIterator<Item = (K, T)>>,
    limit: usize,
) -> Vec<(K, T)> {
    /// An item kept, ordered by its key only: the heap's top is the largest kept.
    struct Kept<K, T>(K, T);
    impl<K: Ord, T> PartialEq for Kept<K, T> {
        fn eq(&self, other: &Self) -> bool {
            self.0 == other.0
        }
    }
    impl<K: Ord, T> Eq for Kept<K, T> {}
    impl<K: Ord, T> PartialOrd for Kept<K, T> {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }
    impl<K: Ord, T> Ord for Kept<K, T> {
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            self.0.cmp(&other.0)
        }
    }

    let mut kept: std::collections::BinaryHeap<Kept<K, T>> =
        std::collections::BinaryHeap::with_capacity(limit.saturating_add(1));
    for list in lists {
        for (key, item) in list {
            if kept.len() >= limit {
                match kept.peek() {
                    Some(largest) if key < largest.0 => {
                        kept.pop();
                    }
                    // The rest of this list is larger still.
                    _ => break,
                }
            }
            kept.push(Kept(key, item));
        }
    }
    kept.into_sorted_vec()
        .into_iter()
        .map(|Kept(key, item)| (key, item))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::smallest_of_sorted;
    use proptest::prelude::*;

    proptest! {
        /// The same items as sorting everything and taking the first `limit`.
        #[test]
        fn the_smallest_of_sorted_lists_are_found(
            mut lists in proptest::collection::vec(proptest::collection::vec(0u32..500, 0..60), 0..12),
            limit in 0usize..80,
        ) {
            for list in &mut lists {
                list.sort_unstable();
            }
            let mut everything: Vec<(u32, usize)> = lists
                .iter()
                .enumerate()
                .flat_map(|(n, list)| list.iter().map(move |k| (*k, n)))
                .collect();
            everything.sort_unstable();
            everything.truncate(limit);
            let tagged = lists
                .iter()
                .enumerate()
                .map(|(n, list)| list.iter().map(move |k| ((*k, n), ())));
            let found: Vec<(u32, usize)> = smallest_of_sorted(tagged, limit)
                .into_iter()
                .map(|(key, ())| key)
                .collect();
            prop_assert_eq!(found, everything);
        }
    }
}
