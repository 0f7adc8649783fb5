//! Making a booking: the form's data and live preview, then save → send → record.

use chrono::{DateTime, Utc};
use domain::lifecycle::SAVE;

use super::unknown_site;
use crate::auth::Viewer;
use crate::db::{self, Actor, Booking, CustomerRow, Inserted, NewBooking};
use crate::error::ServerError;
use crate::state::AppState;
use domain::error::AppError;
use domain::model::{BookingResult, Outcome, RowResult};
use domain::{
    BookingDraft, Field, FieldErrors, LOCK_SUFFIX, PairRole, UNLOCK_SUFFIX, ValidBooking,
    ValidWhen, Violation, check_date_range, check_timing, validate_draft,
};

mod form;
mod place;
mod preview;

pub use form::form_data;
use place::*;
pub use preview::{preview, preview_sites};

const MAX_FORM_KEY_CHARS: usize = 100;

/// A booking that passed every check and is ready to save (with its unlock, for a lock booked
/// with the unlock the next morning).
pub(super) struct Prepared {
    pub(super) customer: CustomerRow,
    pub(super) actor: Actor,
    pub(super) new: NewBooking,
    pub(super) unlock: Option<NewBooking>,
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

/// Books the same service at the draft's place and at each of `also` (other saved sites of the
/// customer), each its own booking with its own key (`<form key>.<site>`) and its own sending: one
/// site's refusal stops no other. With `skip_closures`, each site's windows on its closures are
/// left out (see [`book_around_closures`]). The first booking is the result's; every booking is in
/// `several`, in order (empty when only one was made).
pub async fn book_at_sites(
    state: &AppState,
    viewer: &Viewer,
    draft: &BookingDraft,
    also: &[i64],
    skip_closures: bool,
    now: DateTime<Utc>,
) -> Result<BookingResult, ServerError> {
    if draft.site_id.is_none() && !also.is_empty() {
        return Err(FieldErrors::one(
            Field::Site,
            "Booking several sites at once starts from a saved site: choose one.",
        )
        .into());
    }
    let mut sites = vec![draft.site_id];
    for site in also {
        if !sites.contains(&Some(*site)) {
            sites.push(Some(*site));
        }
    }
    if sites.len() > MAX_SITES_AT_ONCE {
        return Err(FieldErrors::one(
            Field::Site,
            format!("At most {MAX_SITES_AT_ONCE} sites at once."),
        )
        .into());
    }
    let key = draft.idempotency_key.trim();
    let names =
        db::open_sites_for_customer(&state.db, viewer.acting_customer(draft.customer_id)?.id)
            .await?;
    let mut rows = Vec::new();
    let mut first_result = None;
    for site in sites {
        let one = BookingDraft {
            site_id: site,
            idempotency_key: match site {
                Some(site) => format!("{key}.{site}"),
                None => key.to_string(),
            },
            ..draft.clone()
        };
        let name = match site {
            Some(site) => names
                .iter()
                .find(|s| s.id == site)
                .map_or_else(|| format!("site #{site}"), |s| s.name.clone()),
            None => "The new location".to_string(),
        };
        let booked = if skip_closures {
            book_around_closures(state, viewer, &one, now).await
        } else {
            book(state, viewer, &one, now)
                .await
                .map(|r| vec![(Ok(r), None)])
        };
        let outcome = match booked {
            Ok(made) => {
                for (result, dates) in made {
                    let name = match dates {
                        Some(dates) => format!("{name}, {dates}"),
                        None => name.clone(),
                    };
                    rows.push(match result {
                        Ok(r) => {
                            first_result.get_or_insert_with(|| r.clone());
                            RowResult {
                                booking_id: r.booking_id,
                                name,
                                outcome: Ok(Box::new(Outcome::Booked {
                                    status: r.status,
                                    message: r.message.clone(),
                                })),
                            }
                        }
                        Err(e) => RowResult {
                            booking_id: 0,
                            name,
                            outcome: Err(e),
                        },
                    });
                }
                continue;
            }
            Err(ServerError::User(e)) => e,
            Err(e) => return Err(e),
        };
        // The first site's problem is the form's own: shown at its fields.
        if rows.is_empty() && first_result.is_none() {
            return Err(outcome.into());
        }
        rows.push(RowResult {
            booking_id: 0,
            name,
            outcome: Err(outcome),
        });
    }
    let Some(first) = first_result else {
        // Nothing was booked: the first problem is the form's.
        let first_problem = rows
            .into_iter()
            .find_map(|r| r.outcome.err())
            .unwrap_or_else(|| AppError::Conflict("Nothing was booked.".into()));
        return Err(first_problem.into());
    };
    // One booking, as the form would have made anyway: its page says the rest.
    let several = if rows.len() == 1 { Vec::new() } else { rows };
    Ok(BookingResult { several, ..first })
}

/// Books the draft without the windows that fall on the customer's closures of its place: the
/// windows left are booked as runs of consecutive windows, one booking each (key
/// `<form key>.c<n>`), so nothing is booked on a closed date and nothing needs cancelling. Each
/// booking with its dates (`None` when no window was closed: the draft is booked as it is).
pub async fn book_around_closures(
    state: &AppState,
    viewer: &Viewer,
    draft: &BookingDraft,
    now: DateTime<Utc>,
) -> Result<Vec<(Result<BookingResult, AppError>, Option<String>)>, ServerError> {
    if !draft.unlock_time.trim().is_empty() {
        return Err(FieldErrors::one(
            Field::UnlockTime,
            "Leaving out closed dates books one booking per run of open dates: book the lock and its unlock without it, then skip the closed dates from their pages.",
        )
        .into());
    }
    let prepared = prepare(state, viewer, draft, now).await?;
    let tz = prepared.new.zone.tz();
    let closures = db::closures_of(
        &state.db,
        prepared.customer.id,
        prepared.new.first_date,
        crate::closures::MAX_CLOSURES as i64,
    )
    .await?;
    let closed: Vec<(chrono::NaiveDate, chrono::NaiveDate)> = closures
        .iter()
        .filter(|c| c.closes(prepared.new.site_id))
        .map(|c| (c.first_date, c.last_date))
        .collect();
    let schedule = prepared.new.schedule.clone();
    let tz_owned = *tz;
    let (runs, left_out) = crate::blocking::EXPANSION
        .run(move || {
            domain::plan::runs_around(&schedule, &tz_owned, &closed, MAX_WINDOWS_LOOKED_AT)
        })
        .await?;
    if left_out == 0 {
        return Ok(vec![(Ok(book(state, viewer, draft, now).await?), None)]);
    }
    if runs.is_empty() {
        return Err(FieldErrors::one(
            Field::FirstDate,
            "Every window of this booking falls on a closure: nothing is left to book.",
        )
        .into());
    }
    let key = draft.idempotency_key.trim();
    let mut made = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let one = BookingDraft {
            first_date: domain::iso_date(run.first_date),
            last_date: domain::iso_date(run.last_date),
            idempotency_key: format!("{key}.c{i}"),
            ..draft.clone()
        };
        let dates = if run.first_date == run.last_date {
            crate::present::date_label(run.first_date)
        } else {
            format!(
                "{} to {}",
                crate::present::date_label(run.first_date),
                crate::present::date_label(run.last_date)
            )
        };
        // Each run is a booking of its own: one refused does not hide those already made.
        let result = match book(state, viewer, &one, now).await {
            Ok(r) => Ok(r),
            Err(ServerError::User(e)) => Err(e),
            Err(e) => return Err(e),
        };
        made.push((result, Some(dates)));
    }
    Ok(made)
}

/// The most windows of one booking looked at when leaving out closed dates.
const MAX_WINDOWS_LOOKED_AT: usize = 100_000;

/// The most sites one form books at once.
pub const MAX_SITES_AT_ONCE: usize = 50;

/// Every check before anything is written: who for, the form's rules, the place and zone, the
/// lead time, and that the service type is offered.
pub(super) async fn prepare(
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
        created_by_user_id: viewer.person(),
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
                SAVE.1,
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
        db::add_event(&mut tx, id, now, SAVE.1, &prepared.actor, &detail).await?;
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
pub(super) async fn check_booking_rate(
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
        change: None,
        several: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
