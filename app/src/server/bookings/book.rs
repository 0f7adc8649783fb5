//! Making a booking: the form's data and live preview, then save → send → record.

use chrono::{DateTime, Utc};

use super::unknown_site;
use crate::domain::{
    BookingDraft, FieldErrors, Location, Place, Schedule, ValidBooking, ValidWhen, Violation,
    check_date_range, check_timing, local_date_span, validate_draft, validate_when,
};
use crate::error::AppError;
use crate::model::{
    BookingFormData, BookingResult, BookingStart, CustomerOption, EventKind, PREVIEW_COUNT_CAP,
    PreviewOccurrence, SchedulePreview, SiteView,
};
use crate::server::aura::wire::{self, CreateScheduledRequest};
use crate::server::auth::Viewer;
use crate::server::db::{self, Actor, Booking, CustomerRow, DbError, Inserted, NewBooking};
use crate::server::error::ServerError;
use crate::server::outbox;
use crate::server::present::{date_label, occurrence_notes, window_label};
use crate::server::state::AppState;
use crate::server::zone::{Zone, check_zone, zone_names};

const MAX_FORM_KEY_CHARS: usize = 100;

pub async fn form_data(
    state: &AppState,
    viewer: &Viewer,
    now: DateTime<Utc>,
) -> Result<BookingStart, ServerError> {
    let customer = match viewer.acting_customer(None) {
        Ok(customer) => customer,
        Err(AppError::Conflict(_)) => {
            let choices = viewer.customers.iter().map(CustomerOption::from).collect();
            return Ok(BookingStart::ChooseCustomer(choices));
        }
        Err(e) => return Err(e.into()),
    };
    let sites = db::open_sites_for_customer(&state.pool, customer.id)
        .await?
        .into_iter()
        .map(SiteView::from)
        .collect();
    Ok(BookingStart::Ready(BookingFormData {
        customer_id: customer.id,
        customer_name: customer.name.clone(),
        sites,
        service_types: state.services.enabled(),
        time_zones: zone_names(),
        default_timezone: customer.default_timezone.name().to_string(),
        form_key: uuid::Uuid::new_v4().to_string(),
        today: now
            .with_timezone(customer.default_timezone.tz())
            .date_naive(),
    }))
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
            let site = db::site_of_customer(&state.pool, customer.id, *site_id)
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
            Ok(db::site_of_customer(&state.pool, customer.id, site_id)
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
    let occurrences = schedule
        .occurrences(tz)
        .take(count)
        .map(|o| PreviewOccurrence {
            date_label: date_label(o.local_date),
            time_label: window_label(o.opens, o.closes, tz),
            notes: occurrence_notes(&o, schedule.start_time, tz),
        })
        .collect();
    let total = schedule.occurrences(tz).take(PREVIEW_COUNT_CAP).count();
    let errors = match check_timing(&schedule, tz, now) {
        Ok(_) => FieldErrors::default(),
        Err(v) => v.into(),
    };
    Ok(SchedulePreview {
        timezone,
        occurrences,
        total,
        first_opens: schedule.first_occurrence(tz).map(|o| o.opens),
        errors,
    })
}

/// A booking that passed every check and is ready to save.
struct Prepared {
    customer: CustomerRow,
    actor: Actor,
    new: NewBooking,
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
    let booking = match save(state, &prepared, now).await? {
        Saved::New(booking) => booking,
        // The same form again (double tap, retried submit): report the first booking.
        Saved::Existing(booking) => return Ok(result_of(&booking)),
    };
    // The person waits for AURA's answer. If the worker claimed it first, or the attempt could not
    // be recorded, the booking is still saved: report where it stands.
    if let Err(e) = outbox::send_now(state, db::Work::Create, booking.id).await {
        let _ = e.reported();
    }
    let scope = db::CustomerScope::Only(vec![prepared.customer.id]);
    let now = db::booking_in_scope(&state.pool, &scope, booking.id)
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
    if !key.chars().all(|c| c.is_ascii_graphic()) {
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
    Ok(Prepared {
        actor: viewer.actor_for(&customer.name),
        new: NewBooking {
            customer_id: customer.id,
            site_id: resolved.site_id,
            idempotency_key: key.to_string(),
            service_type: valid.service_type,
            name: valid.name,
            special_instructions: valid.special_instructions,
            number_of_guards: valid.number_of_guards,
            armed_preference: valid.armed_preference,
            contacts: valid.contacts,
            location: resolved.location,
            zone: resolved.zone,
            first_date: valid.when.first_date,
            last_date: valid.when.last_date,
            schedule,
            created_by_user_id: Some(viewer.user_id),
        },
        customer,
    })
}

enum Saved {
    New(Booking),
    Existing(Booking),
}

/// Saves the booking and its first history entry together, and reads it back as stored (AURA gets
/// exactly what was saved).
async fn save(
    state: &AppState,
    prepared: &Prepared,
    now: DateTime<Utc>,
) -> Result<Saved, ServerError> {
    let mut tx = state.pool.begin().await.map_err(DbError::from)?;
    let inserted = db::insert_booking(&mut tx, &prepared.new, now).await?;
    if let Inserted::New(id) = inserted {
        db::add_event(
            &mut *tx,
            id,
            now,
            EventKind::Saved,
            &prepared.actor,
            "Saved in the dashboard; to be sent to AURA.",
        )
        .await?;
    }
    let (Inserted::New(id) | Inserted::Existing(id)) = inserted;
    let scope = db::CustomerScope::Only(vec![prepared.customer.id]);
    let booking = db::booking_in_scope(&mut *tx, &scope, id)
        .await?
        .ok_or_else(|| ServerError::internal(format!("booking {id} vanished while being saved")))?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(match inserted {
        Inserted::New(_) => Saved::New(booking),
        Inserted::Existing(_) => Saved::Existing(booking),
    })
}

fn result_of(booking: &Booking) -> BookingResult {
    BookingResult {
        booking_id: booking.id,
        status: booking.status,
        message: booking.sync_error.clone(),
    }
}

/// The AURA create body for a stored booking.
pub fn create_body_for(booking: &Booking) -> CreateScheduledRequest {
    let parts = wire::BodyParts {
        name: &booking.name,
        special_instructions: booking.special_instructions.as_deref(),
        number_of_guards: booking.number_of_guards,
        armed_preference: booking.armed_preference,
        contacts: &booking.contacts,
        location: &booking.location,
        schedule: &booking.schedule,
        timezone: booking.zone.name(),
    };
    wire::create_body(booking.customer.aura_customer_id, &parts)
}
