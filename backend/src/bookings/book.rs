//! Making a booking: the form's data and live preview, then save → send → record.

use chrono::{DateTime, Utc};

use super::unknown_site;
use crate::auth::Viewer;
use crate::db::{self, Actor, Booking, CustomerRow, Inserted, NewBooking};
use crate::error::ServerError;
use crate::present::{date_label, occurrence_notes, window_label};
use crate::state::AppState;
use crate::zone::{Zone, check_zone, zone_names};
use domain::Occurrence;
use domain::error::AppError;
use domain::model::{
    BookingFormData, BookingResult, BookingStart, CustomerOption, EventKind, Overlap,
    PREVIEW_COUNT_CAP, PreviewOccurrence, SchedulePreview, SiteView,
};
use domain::{
    BookingDraft, Field, FieldErrors, LOCK_SUFFIX, Location, PairRole, Place, Schedule,
    UNLOCK_SUFFIX, ValidBooking, ValidWhen, Violation, check_date_range, check_timing,
    local_date_span, validate_draft, validate_when,
};

const MAX_FORM_KEY_CHARS: usize = 100;

pub async fn form_data(
    state: &AppState,
    viewer: &Viewer,
    again: Option<i64>,
    now: DateTime<Utc>,
) -> Result<BookingStart, ServerError> {
    // "Book again" is for the customer of the booking it starts from.
    let earlier = match again {
        Some(id) => Some(super::booking_for(state, viewer, id).await?),
        None => None,
    };
    let customer = match viewer.acting_customer(earlier.as_ref().map(|b| b.customer.id)) {
        Ok(customer) => customer,
        Err(AppError::Conflict(_)) => {
            let choices = viewer.customers.iter().map(CustomerOption::from).collect();
            return Ok(BookingStart::ChooseCustomer(choices));
        }
        Err(e) => return Err(e.into()),
    };
    let sites: Vec<SiteView> = db::open_sites_for_customer(&state.db, customer.id)
        .await?
        .into_iter()
        .map(SiteView::from)
        .collect();
    let today = now
        .with_timezone(customer.default_timezone.tz())
        .date_naive();
    let (prefill, prefill_note) = match &earlier {
        Some(b) => {
            let unlock = match b.pair {
                Some(db::Pair {
                    role: PairRole::Lock,
                    other: Some(other),
                }) => super::booking_for(state, viewer, other).await.ok(),
                _ => None,
            };
            let (draft, note) = draft_from(b, unlock.as_ref(), &sites, now);
            (Some(draft), Some(note))
        }
        None => (None, None),
    };
    Ok(BookingStart::Ready(Box::new(BookingFormData {
        prefill,
        prefill_note,
        customer_id: customer.id,
        customer_name: customer.name.clone(),
        sites,
        service_types: state.services.enabled(),
        time_zones: zone_names(),
        default_timezone: customer.default_timezone.name().to_string(),
        form_key: uuid::Uuid::new_v4().to_string(),
        today,
    })))
}

/// The form filled in from an earlier booking (and its unlock, for the lock of a pair): every
/// field as it was booked, except dates already past, which move to start today (same length),
/// and a site retired since, given as a new location at the same place. Says what moved.
fn draft_from(
    b: &Booking,
    unlock: Option<&Booking>,
    open_sites: &[SiteView],
    now: DateTime<Utc>,
) -> (BookingDraft, String) {
    let mut changes = Vec::new();
    let site_open = b
        .site
        .as_ref()
        .filter(|s| open_sites.iter().any(|o| o.id == s.id));
    if let (Some(site), None) = (&b.site, site_open) {
        changes.push(format!(
            "{} is no longer a saved site, so its place is filled in as a new location",
            site.name
        ));
    }
    let today = now.with_timezone(b.zone.tz()).date_naive();
    let (first, last) = if b.first_date < today {
        let span = b.last_date - b.first_date;
        changes.push(format!(
            "its dates had passed, so they now start today ({})",
            crate::present::date_label(today)
        ));
        (today, today + span)
    } else {
        (b.first_date, b.last_date)
    };
    let name = match b.pair.map(|p| p.role) {
        Some(PairRole::Lock) => b.name.strip_suffix(LOCK_SUFFIX),
        Some(PairRole::Unlock) => b.name.strip_suffix(UNLOCK_SUFFIX),
        None => None,
    }
    .unwrap_or(&b.name)
    .to_string();
    let (lat, lon) = match (site_open, b.location.coordinates) {
        (None, Some((lat, lon))) => (lat.to_string(), lon.to_string()),
        _ => (String::new(), String::new()),
    };
    let draft = BookingDraft {
        idempotency_key: String::new(),
        customer_id: Some(b.customer.id),
        service_type: Some(b.service_type),
        name,
        special_instructions: b.special_instructions.clone().unwrap_or_default(),
        number_of_guards: b.number_of_guards.to_string(),
        armed_preference: b.armed_preference,
        contacts: b
            .contacts
            .iter()
            .map(|c| domain::ContactDraft {
                name: c.name.clone(),
                mobile: c.mobile.clone(),
            })
            .collect(),
        site_id: site_open.map(|s| s.id),
        address: match site_open {
            Some(_) => String::new(),
            None => b.location.address.clone().unwrap_or_default(),
        },
        latitude: lat,
        longitude: lon,
        timezone: b.zone.name().to_string(),
        first_date: domain::iso_date(first),
        last_date: domain::iso_date(last),
        repeat: b.schedule.repeat.kind(),
        days: match &b.schedule.repeat {
            domain::Repeat::Weekly(days) => days.clone(),
            _ => Vec::new(),
        },
        start_time: domain::format_start_time(b.schedule.start_time),
        window_minutes: b.schedule.window_minutes.to_string(),
        unlock_time: unlock
            .map(|u| domain::format_start_time(u.schedule.start_time))
            .unwrap_or_default(),
    };
    let mut note = format!("Filled in from booking #{} ({}).", b.id, b.name);
    if !changes.is_empty() {
        note.push_str(&format!(" Changed: {}.", changes.join("; ")));
    }
    note.push_str(" Check it, then book: this makes a new booking.");
    (draft, note)
}

/// Where a booking happens, resolved against the customer's saved sites and the zone database.
struct Resolved {
    site_id: Option<i64>,
    location: Location,
    zone: Zone,
}

async fn resolve_place(
    state: &AppState,
    customer: &CustomerRow,
    place: &Place,
) -> Result<Resolved, ServerError> {
    match place {
        Place::SavedSite(site_id) => {
            let site = db::site_of_customer(&state.db, customer.id, *site_id)
                .await?
                .filter(|site| site.retired_at.is_none())
                .ok_or_else(unknown_site)?;
            Ok(Resolved {
                site_id: Some(site.id),
                location: site.location(),
                zone: site.timezone,
            })
        }
        Place::New { location, timezone } => Ok(Resolved {
            site_id: None,
            location: location.clone(),
            zone: check_zone(timezone)?,
        }),
    }
}

fn schedule_of(when: &ValidWhen, zone: Zone) -> Schedule {
    let (date_from, date_to) = local_date_span(zone.tz(), when.first_date, when.last_date);
    Schedule {
        date_from,
        date_to,
        repeat: when.repeat.clone(),
        start_time: when.start_time,
        window_minutes: when.window_minutes,
    }
}

/// The zone a draft names: its saved site's, or the one typed for a new location.
async fn draft_zone(
    state: &AppState,
    customer: Option<&CustomerRow>,
    draft: &BookingDraft,
) -> Result<Zone, ServerError> {
    match draft.site_id {
        Some(site_id) => {
            let customer = customer.ok_or_else(unknown_site)?;
            Ok(db::site_of_customer(&state.db, customer.id, site_id)
                .await?
                .ok_or_else(unknown_site)?
                .timezone)
        }
        None => Ok(check_zone(&draft.timezone)?),
    }
}

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
    })
}

/// Existing active bookings of `service` at saved site `site` whose windows overlap `mine` (the
/// new booking's first windows, in order): each with its first overlapping window and how many of
/// the new windows meet it. At most [`MAX_OVERLAPS_SHOWN`] bookings are named.
async fn overlaps_at(
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
const MAX_OVERLAPS_SHOWN: usize = 10;

/// How many windows of `mine` meet a window of `theirs`, and the first of `theirs` met (both in
/// order of opening; a window of one booking never overlaps the next of the same booking).
fn overlapping<'a>(
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

/// A booking that passed every check and is ready to save (with its unlock, for a lock booked
/// with the unlock the next morning).
struct Prepared {
    customer: CustomerRow,
    actor: Actor,
    new: NewBooking,
    unlock: Option<NewBooking>,
}

/// Books a service for a customer the viewer may act for: save the booking with its intent to
/// send, then send it at once. Past validation the booking is saved in every case; the status
/// returned says how far it got (the worker carries on from there).
pub async fn book(
    state: &AppState,
    viewer: &Viewer,
    draft: &BookingDraft,
    now: DateTime<Utc>,
) -> Result<BookingResult, ServerError> {
    let prepared = prepare(state, viewer, draft, now).await?;
    let (booking, unlock) = match save(state, &prepared, now).await? {
        Saved::New(booking, unlock) => (booking, unlock),
        // The same form again (double tap, retried submit): report the first booking.
        Saved::Existing(booking) => return Ok(result_of(&booking)),
    };
    // The person waits for AURA's answer. If the worker claimed it first, or the attempt could not
    // be recorded, the booking is still saved: report where it stands.
    for id in std::iter::once(booking.id).chain(unlock) {
        if let Err(e) = state.sender().send_now(db::Work::Create, id).await {
            let _ = e.reported();
        }
    }
    let scope = db::CustomerScope::Only(vec![prepared.customer.id]);
    let now = db::booking_in_scope(&state.db, &scope, booking.id)
        .await?
        .unwrap_or(booking);
    Ok(result_of(&now))
}

/// Every check before anything is written: who for, the form's rules, the place and zone, the
/// lead time, and that the service type is offered.
async fn prepare(
    state: &AppState,
    viewer: &Viewer,
    draft: &BookingDraft,
    now: DateTime<Utc>,
) -> Result<Prepared, ServerError> {
    let customer = viewer.acting_customer(draft.customer_id)?.clone();
    let key = draft.idempotency_key.trim();
    // `/` is kept for the unlock of a pair (`<key>/unlock`).
    if !key.chars().all(|c| c.is_ascii_graphic() && c != '/') {
        return Err(AppError::BadRequest(
            "The form's key holds characters no form of ours sends.".into(),
        )
        .into());
    }
    if key.is_empty() || key.chars().count() > MAX_FORM_KEY_CHARS {
        return Err(AppError::Conflict(
            "This form has expired. Reload the page and submit again.".into(),
        )
        .into());
    }
    let valid: ValidBooking = validate_draft(draft, &state.services.enabled())?;
    let resolved = resolve_place(state, &customer, &valid.place).await?;
    check_date_range(
        &valid.when,
        now.with_timezone(resolved.zone.tz()).date_naive(),
    )?;
    let schedule = schedule_of(&valid.when, resolved.zone);
    check_timing(&schedule, resolved.zone.tz(), now)?;
    // Offered today: the worker checks again before each attempt.
    if state.services.slug(valid.service_type).is_none() {
        return Err(Violation::ServiceTypeUnknown(valid.service_type.key().to_string()).into());
    }
    let unlock_when = match valid.unlock_at {
        Some(at) => {
            let when = unlock_when(&valid.when, at)?;
            let today = now.with_timezone(resolved.zone.tz()).date_naive();
            // Only the last unlock can pass the latest date allowed (the locks passed already).
            if check_date_range(&when, today).is_err() {
                return Err(FieldErrors::one(
                    Field::UnlockTime,
                    format!(
                        "The unlock after the last lock would fall after {}, the latest date that can be booked. End the locks a day earlier.",
                        domain::latest_date(today)
                    ),
                )
                .into());
            }
            Some(when)
        }
        None => None,
    };
    let pair_role = unlock_when.as_ref().map(|_| PairRole::Lock);
    let name = match pair_role {
        Some(_) => format!("{}{LOCK_SUFFIX}", valid.name),
        None => valid.name.clone(),
    };
    let lock = NewBooking {
        customer_id: customer.id,
        site_id: resolved.site_id,
        idempotency_key: key.to_string(),
        service_type: valid.service_type,
        name,
        special_instructions: valid.special_instructions.clone(),
        number_of_guards: valid.number_of_guards,
        armed_preference: valid.armed_preference,
        contacts: valid.contacts.clone(),
        location: resolved.location.clone(),
        zone: resolved.zone,
        first_date: valid.when.first_date,
        last_date: valid.when.last_date,
        schedule,
        created_by_user_id: Some(viewer.user_id),
        pair_role,
    };
    let unlock = unlock_when.map(|when| NewBooking {
        idempotency_key: format!("{key}/unlock"),
        name: format!("{}{UNLOCK_SUFFIX}", valid.name),
        first_date: when.first_date,
        last_date: when.last_date,
        schedule: schedule_of(&when, resolved.zone),
        pair_role: Some(PairRole::Unlock),
        ..lock.clone()
    });
    Ok(Prepared {
        actor: viewer.actor_for(&customer.name),
        new: lock,
        unlock,
        customer,
    })
}

/// The unlock of a lock booked with `when`: the next morning of each lock, at `at`.
fn unlock_when(when: &ValidWhen, at: chrono::NaiveTime) -> Result<ValidWhen, ServerError> {
    let next = |d: chrono::NaiveDate| d.succ_opt().ok_or(Violation::LastDateInvalid);
    Ok(ValidWhen {
        first_date: next(when.first_date)?,
        last_date: next(when.last_date)?,
        repeat: when.repeat.next_day(),
        start_time: at,
        window_minutes: when.window_minutes,
    })
}

enum Saved {
    /// Saved now (with its unlock's id, for a lock booked with its unlock).
    New(Booking, Option<i64>),
    Existing(Booking),
}

/// Saves the booking (and its unlock) with their first history entries together, and reads the
/// booking back as stored (AURA gets exactly what was saved).
async fn save(
    state: &AppState,
    prepared: &Prepared,
    now: DateTime<Utc>,
) -> Result<Saved, ServerError> {
    let mut tx = state.db.begin().await?;
    db::lock_customer(&mut tx, prepared.customer.id).await?;
    let inserted = db::insert_booking(&mut tx, &prepared.new, now).await?;
    // The insert holds the write lock: a site retired since it was checked is seen now, and a
    // retire after this commit sees the booking (and refuses).
    if let (Inserted::New(_), Some(site)) = (inserted, prepared.new.site_id)
        && db::site_is_retired(&mut tx, site).await?
    {
        return Err(unknown_site().into());
    }
    let mut unlock = None;
    if let Inserted::New(id) = inserted {
        if let Some(new) = &prepared.unlock {
            let Inserted::New(unlock_id) = db::insert_booking(&mut tx, new, now).await? else {
                return Err(ServerError::internal(format!(
                    "the unlock of new booking {id} was saved before"
                )));
            };
            db::link_pair(&mut tx, id, unlock_id).await?;
            db::add_event(
                &mut tx,
                unlock_id,
                now,
                EventKind::Saved,
                &prepared.actor,
                &format!(
                    "Saved in the dashboard as the unlock of lock booking #{id}; to be sent to AURA."
                ),
            )
            .await?;
            unlock = Some(unlock_id);
        }
        check_booking_rate(&mut tx, state, prepared.customer.id, now).await?;
        let detail = match unlock {
            Some(u) => format!(
                "Saved in the dashboard with its unlock the next morning (booking #{u}); to be sent to AURA."
            ),
            None => "Saved in the dashboard; to be sent to AURA.".to_string(),
        };
        db::add_event(&mut tx, id, now, EventKind::Saved, &prepared.actor, &detail).await?;
    }
    let (Inserted::New(id) | Inserted::Existing(id)) = inserted;
    let scope = db::CustomerScope::Only(vec![prepared.customer.id]);
    let booking = db::booking_in_scope(&mut tx, &scope, id)
        .await?
        .ok_or_else(|| ServerError::internal(format!("booking {id} vanished while being saved")))?;
    tx.commit().await?;
    Ok(match inserted {
        Inserted::New(_) => Saved::New(booking, unlock),
        Inserted::Existing(_) => Saved::Existing(booking),
    })
}

/// Refuses (429 with `Retry-After`; the transaction, and so the booking just inserted, is dropped)
/// when the customer has now saved more than its bookings per minute. Counted inside the booking's
/// transaction with the customer's row taken, so bookings saved at once are counted one by one.
async fn check_booking_rate(
    tx: &mut db::Tx,
    state: &AppState,
    customer_id: i64,
    now: DateTime<Utc>,
) -> Result<(), ServerError> {
    let limit = state.security.bookings_per_minute;
    let minute = chrono::Duration::minutes(1);
    let saved =
        db::bookings_saved_since(&mut *tx, customer_id, now - minute, limit.saturating_add(1))
            .await?;
    let Some(oldest) = saved.get(usize::try_from(limit).unwrap_or(usize::MAX)) else {
        return Ok(());
    };
    let wait = (minute - (now - *oldest))
        .to_std()
        .unwrap_or_default()
        .max(std::time::Duration::from_secs(1));
    tracing::warn!(customer = customer_id, limit, "booking rate reached");
    Err(ServerError::Wait {
        answer: AppError::TooManyAttempts(format!(
            "This customer has booked {limit} services in the last minute, the most allowed. Nothing was saved or sent: wait {} seconds and book again.",
            wait.as_secs().max(1)
        )),
        wait,
    })
}

fn result_of(booking: &Booking) -> BookingResult {
    BookingResult {
        booking_id: booking.id,
        status: booking.status,
        message: booking.sync_error.clone(),
    }
}

#[cfg(test)]
mod tests;
