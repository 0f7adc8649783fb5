//! The preview beside the booking form: the windows a draft makes, in its zone, and where they
//! overlap the customer's other bookings.

//! Making a booking: the form's data and live preview, then save → send → record.

use chrono::{DateTime, Utc};

use super::place::*;
use crate::auth::Viewer;
use crate::db::{self, Booking};
use crate::error::ServerError;
use crate::present::{date_label, occurrence_notes, window_label};
use crate::state::AppState;
use domain::Occurrence;
use domain::error::AppError;
use domain::model::{Overlap, PREVIEW_COUNT_CAP, PreviewOccurrence, SchedulePreview};
use domain::{BookingDraft, FieldErrors, check_date_range, check_timing, validate_when};

/// The live preview of the form: first windows in the zone, with DST and midnight notes.
pub async fn preview(
    state: &AppState,
    viewer: &Viewer,
    draft: &BookingDraft,
    now: DateTime<Utc>,
    count: usize,
) -> Result<SchedulePreview, ServerError> {
    let customer = viewer.acting_customer(draft.customer_id).ok();
    let zone = match draft_zone(state, customer, draft).await {
        Ok(zone) => zone,
        Err(ServerError::User(AppError::Invalid(errors))) => {
            return Ok(SchedulePreview {
                errors,
                ..Default::default()
            });
        }
        Err(e) => return Err(e),
    };
    let tz = zone.tz();
    let timezone = zone.name().to_string();
    // Half-filled dates and times are not news while typing: the form reports those itself once a
    // submit was tried. The preview's own problems are the ones only the server can see.
    let Ok(when) = validate_when(draft) else {
        return Ok(SchedulePreview {
            timezone,
            ..Default::default()
        });
    };
    // Dates out of range are reported before anything is expanded.
    if let Err(errors) = check_date_range(&when, now.with_timezone(tz).date_naive()) {
        return Ok(SchedulePreview {
            timezone,
            errors,
            ..Default::default()
        });
    }
    let schedule = schedule_of(&when, zone);
    // The windows the preview counts (and checks for overlaps), expanded once.
    let windows: Vec<Occurrence> = schedule.occurrences(tz).take(PREVIEW_COUNT_CAP).collect();
    let occurrences = windows
        .iter()
        .take(count)
        .map(|o| PreviewOccurrence {
            date_label: date_label(o.local_date),
            time_label: window_label(o.opens, o.closes, tz),
            notes: occurrence_notes(o, schedule.start_time, tz),
        })
        .collect();
    let total = windows.len();
    let first_opens = windows.first().map(|o| o.opens);
    let errors = match check_timing(&schedule, tz, now) {
        Ok(_) => FieldErrors::default(),
        Err(v) => v.into(),
    };
    let closures = match customer {
        Some(customer) => closures_met(state, customer.id, draft.site_id, &windows, now).await?,
        None => Vec::new(),
    };
    let overlaps = match (customer, draft.site_id, draft.service_type) {
        (Some(customer), Some(site), Some(service)) => {
            overlaps_at(state, customer.id, site, service, windows).await?
        }
        _ => Vec::new(),
    };
    Ok(SchedulePreview {
        timezone,
        occurrences,
        total,
        first_opens,
        errors,
        overlaps,
        closures,
        other_sites: Vec::new(),
    })
}

/// The customer's closures (of `site`, or of every site) that `windows` fall on, in words.
async fn closures_met(
    state: &AppState,
    customer_id: i64,
    site: Option<i64>,
    windows: &[Occurrence],
    now: DateTime<Utc>,
) -> Result<Vec<String>, ServerError> {
    let Some(first) = windows.first() else {
        return Ok(Vec::new());
    };
    let closures = db::closures_of(
        &state.db,
        customer_id,
        first.local_date,
        crate::closures::MAX_CLOSURES as i64,
    )
    .await?;
    Ok(closures
        .iter()
        .filter(|c| c.closes(site))
        .filter_map(|c| {
            let n = windows
                .iter()
                .filter(|o| {
                    o.opens > now && c.first_date <= o.local_date && o.local_date <= c.last_date
                })
                .count();
            (n > 0).then(|| {
                let dates = if c.first_date == c.last_date {
                    date_label(c.first_date)
                } else {
                    format!(
                        "{} to {}",
                        date_label(c.first_date),
                        date_label(c.last_date)
                    )
                };
                format!(
                    "{} ({dates}): {n} window{}",
                    c.name,
                    if n == 1 { "" } else { "s" }
                )
            })
        })
        .collect())
}

/// Existing active bookings of `service` at saved site `site` whose windows overlap `mine` (the
/// new booking's first windows, in order): each with its first overlapping window and how many of
/// the new windows meet it. At most [`MAX_OVERLAPS_SHOWN`] bookings are named.
pub(super) async fn overlaps_at(
    state: &AppState,
    customer_id: i64,
    site: i64,
    service: domain::ServiceType,
    mine: Vec<Occurrence>,
) -> Result<Vec<Overlap>, ServerError> {
    let (Some(from), Some(to)) = (
        mine.first().map(|o| o.opens),
        mine.iter().map(|o| o.closes).max(),
    ) else {
        return Ok(Vec::new());
    };
    let scope = db::CustomerScope::Only(vec![customer_id]);
    let candidates: Vec<Booking> = db::active_bookings_between(&state.db, &scope, from, to)
        .await?
        .into_iter()
        .filter(|b| b.service_type == service && b.site.as_ref().is_some_and(|s| s.id == site))
        .collect();
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    crate::blocking::EXPANSION
        .run(move || {
            // Newest first: a duplicate is most likely one just made.
            candidates
                .iter()
                .rev()
                .filter_map(|b| {
                    let tz = b.zone.tz();
                    let theirs: Vec<Occurrence> = b
                        .schedule
                        .occurrences_between(tz, from - chrono::Duration::days(1), to)
                        .take(2 * PREVIEW_COUNT_CAP)
                        .collect();
                    let (windows, first) = overlapping(&mine, &theirs);
                    first.map(|o| Overlap {
                        booking_id: b.id,
                        name: b.name.clone(),
                        status: b.status,
                        first: format!(
                            "{} {}",
                            date_label(o.local_date),
                            window_label(o.opens, o.closes, tz)
                        ),
                        windows,
                    })
                })
                .take(MAX_OVERLAPS_SHOWN)
                .collect()
        })
        .await
}

/// The most overlapping bookings the form names.
pub(super) const MAX_OVERLAPS_SHOWN: usize = 10;

/// How many windows of `mine` meet a window of `theirs`, and the first of `theirs` met (both in
/// order of opening; a window of one booking never overlaps the next of the same booking).
pub(super) fn overlapping<'a>(
    mine: &[Occurrence],
    theirs: &'a [Occurrence],
) -> (usize, Option<&'a Occurrence>) {
    let (mut i, mut j, mut count, mut first) = (0, 0, 0, None);
    let mut counted = usize::MAX;
    while i < mine.len() && j < theirs.len() {
        let (a, b) = (&mine[i], &theirs[j]);
        if a.closes <= b.opens {
            i += 1;
        } else if b.closes <= a.opens {
            j += 1;
        } else {
            if counted != i {
                count += 1;
                counted = i;
            }
            first.get_or_insert(b);
            if a.closes <= b.closes {
                i += 1;
            } else {
                j += 1;
            }
        }
    }
    (count, first)
}

/// The draft at each of `sites` (other saved sites of the customer), each in its own zone: its
/// first window and how many, or what stops it there.
pub async fn preview_sites(
    state: &AppState,
    viewer: &Viewer,
    draft: &BookingDraft,
    sites: &[i64],
    now: DateTime<Utc>,
) -> Result<Vec<domain::model::SitePreview>, ServerError> {
    let Ok(customer) = viewer.acting_customer(draft.customer_id) else {
        return Ok(Vec::new());
    };
    let Ok(when) = validate_when(draft) else {
        return Ok(Vec::new());
    };
    let open = db::open_sites_for_customer(&state.db, customer.id).await?;
    let mut previews = Vec::new();
    for id in sites.iter().take(super::MAX_SITES_AT_ONCE) {
        let Some(site) = open.iter().find(|s| s.id == *id) else {
            continue;
        };
        let zone = site.timezone;
        let tz = zone.tz();
        let schedule = schedule_of(&when, zone);
        let windows: Vec<Occurrence> = schedule.occurrences(tz).take(PREVIEW_COUNT_CAP).collect();
        let problem = check_date_range(&when, now.with_timezone(tz).date_naive())
            .err()
            .map(|e| {
                e.0.iter()
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .or_else(|| check_timing(&schedule, tz, now).err().map(|v| v.message()));
        previews.push(domain::model::SitePreview {
            site_id: site.id,
            site_name: site.name.clone(),
            first: windows.first().map(|o| {
                format!(
                    "{}, {}",
                    date_label(o.local_date),
                    window_label(o.opens, o.closes, tz)
                )
            }),
            total: windows.len(),
            problem,
            closures: closures_met(state, customer.id, Some(site.id), &windows, now).await?,
        });
    }
    Ok(previews)
}
