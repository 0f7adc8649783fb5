//! The booking flow and the views built from stored bookings.
//!
//! Booking: validate (shared rules) → resolve the place and zone → check timing → save locally →
//! call AURA → record AURA's id and next occurrence. Nothing the user was told about is lost: the
//! row exists before AURA is called, and its status says how far it got.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use chrono_tz::Tz;

use super::aura::wire;
use super::aura::{AuraError, CancelOutcome};
use super::auth::Viewer;
use super::db::{
    self, Actor, Cancellation, CustomerRow, DbError, Inserted, NewRequest, RequestRow,
};
use super::present::{date_label, instant_label, occurrence_notes, window_label, zone, zone_names};
use super::state::AppState;
use crate::domain::{
    BookingDraft, FieldErrors, Location, Occurrence, Place, Schedule, ValidBooking, ValidWhen,
    Violation, check_cancel_reason, check_timing, local_date_span, validate_draft, validate_when,
};
use crate::error::AppError;
use crate::model::{
    BookingFormData, BookingResult, BookingStart, CancellationInfo, CancellationView, ContactView,
    CustomerOption, DayCell, EventView, MonthView, OccurrenceView, PREVIEW_COUNT_CAP,
    PreviewOccurrence, RequestDetail, SchedulePreview, SiteView, SyncStatus, UpcomingView,
};

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        tracing::error!(error = %e, "database error");
        AppError::Internal
    }
}

const MAX_FORM_KEY_CHARS: usize = 100;
const DETAIL_UPCOMING: usize = 20;
const UPCOMING_LIMIT: usize = 500;
const CANCELLATIONS_LIMIT: i64 = 200;
/// Counting windows stops here, so a booking spanning centuries cannot stall a request.
const REMOVED_COUNT_CAP: usize = 100_000;

/// Where a booking happens, resolved against the customer's saved sites and the zone database.
struct Resolved {
    site_id: Option<i64>,
    location: Location,
    timezone: String,
    tz: Tz,
}

async fn resolve_place(
    state: &AppState,
    customer: &CustomerRow,
    place: &Place,
) -> Result<Resolved, AppError> {
    match place {
        Place::SavedSite(site_id) => {
            let site = db::site_of_customer(&state.pool, customer.id, *site_id)
                .await?
                .ok_or_else(|| AppError::Invalid(unknown_site()))?;
            let tz = zone(&site.timezone).ok_or_else(|| {
                tracing::error!(site = site.id, zone = %site.timezone, "saved site has an unknown time zone");
                AppError::Internal
            })?;
            Ok(Resolved {
                site_id: Some(site.id),
                location: Location {
                    address: site.address.clone(),
                    coordinates: site.latitude.zip(site.longitude),
                },
                timezone: site.timezone,
                tz,
            })
        }
        Place::New { location, timezone } => {
            let tz = zone(timezone)
                .ok_or_else(|| AppError::from(Violation::TimezoneUnknown(timezone.clone())))?;
            Ok(Resolved {
                site_id: None,
                location: location.clone(),
                timezone: timezone.clone(),
                tz,
            })
        }
    }
}

fn schedule_of(when: &ValidWhen, tz: &Tz) -> Schedule {
    let (date_from, date_to) = local_date_span(tz, when.first_date, when.last_date);
    Schedule {
        date_from,
        date_to,
        repeat: when.repeat.clone(),
        start_time: when.start_time,
        window_minutes: when.window_minutes,
    }
}

/// A saved site that is not (or no longer) one of this customer's.
fn unknown_site() -> FieldErrors {
    FieldErrors(vec![crate::domain::FieldError {
        field: crate::domain::Field::Site,
        message:
            "That site is not one of your saved sites. Choose another or enter a new location."
                .into(),
    }])
}

/// The zone a draft names: its saved site's, or the one typed for a new location.
async fn draft_zone(
    state: &AppState,
    customer: Option<&CustomerRow>,
    draft: &BookingDraft,
) -> Result<(String, Tz), FieldErrors> {
    let name = match draft.site_id {
        Some(site_id) => {
            let Some(customer) = customer else {
                return Err(unknown_site());
            };
            match db::site_of_customer(&state.pool, customer.id, site_id).await {
                Ok(Some(site)) => site.timezone,
                Ok(None) => return Err(unknown_site()),
                // A storage failure is not the user's mistake: logged, and no preview this time.
                Err(e) => {
                    let _ = AppError::from(e);
                    return Err(FieldErrors::default());
                }
            }
        }
        None if draft.timezone.trim().is_empty() => return Err(Violation::TimezoneMissing.into()),
        None => draft.timezone.trim().to_string(),
    };
    let tz =
        zone(&name).ok_or_else(|| FieldErrors::from(Violation::TimezoneUnknown(name.clone())))?;
    Ok((name, tz))
}

/// The live preview of the form: first windows in the zone, with DST and midnight notes.
pub async fn preview(
    state: &AppState,
    viewer: &Viewer,
    draft: &BookingDraft,
    now: DateTime<Utc>,
    count: usize,
) -> SchedulePreview {
    let customer = viewer.acting_customer(draft.customer_id).ok();
    let (timezone, tz) = match draft_zone(state, customer, draft).await {
        Ok(z) => z,
        Err(errors) => {
            return SchedulePreview {
                errors,
                ..Default::default()
            };
        }
    };
    // Half-filled dates and times are not news while typing: the form reports those itself once a
    // submit was tried. The preview's own problems are the ones only the server can see.
    let Ok(when) = validate_when(draft) else {
        return SchedulePreview {
            timezone,
            ..Default::default()
        };
    };
    let schedule = schedule_of(&when, &tz);
    let occurrences = schedule
        .occurrences(&tz)
        .take(count)
        .map(|o| PreviewOccurrence {
            date_label: date_label(o.local_date),
            time_label: window_label(o.opens, o.closes, &tz),
            notes: occurrence_notes(&o, schedule.start_time, &tz),
        })
        .collect();
    let total = schedule.occurrences(&tz).take(PREVIEW_COUNT_CAP).count();
    let errors = match check_timing(&schedule, &tz, now) {
        Ok(_) => FieldErrors::default(),
        Err(v) => v.into(),
    };
    SchedulePreview {
        timezone,
        occurrences,
        total,
        first_opens: schedule.first_occurrence(&tz).map(|o| o.opens),
        errors,
    }
}

/// Books a service for a customer the viewer may act for. Returns once AURA answered or failed;
/// the booking is saved in every case past validation.
pub async fn book(
    state: &AppState,
    viewer: &Viewer,
    draft: &BookingDraft,
    now: DateTime<Utc>,
) -> Result<BookingResult, AppError> {
    let customer = viewer.acting_customer(draft.customer_id)?.clone();
    let actor = viewer.actor_for(&customer.name);
    let key = draft.idempotency_key.trim();
    if key.is_empty() || key.chars().count() > MAX_FORM_KEY_CHARS {
        return Err(AppError::Conflict(
            "This form has expired. Reload the page and submit again.".into(),
        ));
    }
    let valid: ValidBooking =
        validate_draft(draft, &state.services.enabled()).map_err(AppError::Invalid)?;
    let resolved = resolve_place(state, &customer, &valid.place).await?;
    let schedule = schedule_of(&valid.when, &resolved.tz);
    check_timing(&schedule, &resolved.tz, now)?;
    let slug = state.services.slug(valid.service_type).ok_or_else(|| {
        AppError::from(Violation::ServiceTypeUnknown(
            valid.service_type.key().to_string(),
        ))
    })?;

    let new = NewRequest {
        customer_id: customer.id,
        site_id: resolved.site_id,
        idempotency_key: key.to_string(),
        service_type: valid.service_type,
        name: valid.name.clone(),
        special_instructions: valid.special_instructions.clone(),
        number_of_guards: valid.number_of_guards,
        armed_preference: valid.armed_preference.key().to_string(),
        contacts: valid.contacts.clone(),
        address: resolved.location.address.clone(),
        coordinates: resolved.location.coordinates,
        timezone: resolved.timezone.clone(),
        first_date: valid.when.first_date,
        last_date: valid.when.last_date,
        schedule: schedule.clone(),
        created_by_user_id: Some(viewer.user_id),
    };
    let id = match db::insert_request(&state.pool, &new, now).await? {
        Inserted::New(id) => id,
        Inserted::Existing(id) => {
            // The same form again (double tap, retried submit): report the first booking.
            return current_result(state, viewer, id).await;
        }
    };
    db::add_event(
        &state.pool,
        id,
        now,
        "saved",
        &actor,
        "Saved in the dashboard; sending to AURA.",
    )
    .await?;

    // Built from the saved row, so AURA gets exactly what was stored.
    let row = db::request_in_scope(&state.pool, &viewer.scope(), id)
        .await?
        .ok_or_else(|| AppError::NotFound("The booking vanished while being saved.".into()))?;
    let body = create_body_for(customer.aura_customer_id, &row)?;
    let answered = Utc::now().max(now);
    match state.aura.create(slug, &body).await {
        Ok(created) => {
            let still_wanted = db::mark_confirmed(
                &state.pool,
                id,
                &created.id,
                created.next_occurrence,
                answered,
            )
            .await?;
            let next = created
                .next_occurrence
                .map(|n| format!(" First window opens {}.", instant_label(n, &resolved.tz)))
                .unwrap_or_default();
            db::add_event(
                &state.pool,
                id,
                answered,
                "confirmed",
                &Actor::system("AURA"),
                &format!("AURA id {}.{next}", created.id),
            )
            .await?;
            if !still_wanted {
                // Cancelled here while AURA was answering: cancel it there too.
                withdraw_late_confirmation(state, id, &created.id).await?;
            }
            Ok(BookingResult {
                request_id: id,
                status: SyncStatus::Confirmed,
                message: None,
            })
        }
        Err(AuraError::Rejected { status, message }) => {
            tracing::info!(request = id, status, %message, "AURA refused a booking");
            db::mark_failed(&state.pool, id, SyncStatus::Rejected, &message, answered).await?;
            db::add_event(
                &state.pool,
                id,
                answered,
                "rejected",
                &Actor::system("AURA"),
                &message,
            )
            .await?;
            Ok(BookingResult {
                request_id: id,
                status: SyncStatus::Rejected,
                message: Some(message),
            })
        }
        Err(e) => {
            tracing::warn!(request = id, error = %e, "booking saved but not sent to AURA");
            let reason = e.to_string();
            db::mark_failed(&state.pool, id, SyncStatus::NotSent, &reason, answered).await?;
            db::add_event(
                &state.pool,
                id,
                answered,
                "not_sent",
                &Actor::system("Dashboard"),
                &reason,
            )
            .await?;
            Ok(BookingResult {
                request_id: id,
                status: SyncStatus::NotSent,
                message: Some(reason),
            })
        }
    }
}

/// The AURA create body for a stored booking.
pub fn create_body_for(
    customer_aura_id: i64,
    row: &RequestRow,
) -> Result<wire::CreateScheduledRequest, DbError> {
    let contacts = row.contacts()?;
    let schedule = row.schedule()?;
    let location = row.location();
    let parts = wire::BodyParts {
        name: &row.name,
        special_instructions: row.special_instructions.as_deref(),
        number_of_guards: u32::try_from(row.number_of_guards)
            .map_err(|_| DbError::Corrupt("guards".into()))?,
        armed_preference: row.armed()?,
        contacts: &contacts,
        location: &location,
        schedule: &schedule,
        timezone: &row.timezone,
    };
    Ok(wire::create_body(customer_aura_id, &parts))
}

async fn withdraw_late_confirmation(
    state: &AppState,
    id: i64,
    aura_id: &str,
) -> Result<(), AppError> {
    let now = Utc::now();
    let detail = match state.aura.cancel(aura_id).await {
        Ok(_) => {
            "Cancelled at AURA too: the booking was cancelled here while AURA was confirming it."
                .to_string()
        }
        Err(e) => {
            tracing::error!(request = id, aura_id, error = %e, "could not withdraw a late confirmation");
            format!(
                "AURA confirmed after the booking was cancelled here, and cancelling it at AURA failed: {e}"
            )
        }
    };
    db::add_event(
        &state.pool,
        id,
        now,
        "aura_cancel",
        &Actor::system("Dashboard"),
        &detail,
    )
    .await?;
    Ok(())
}

async fn current_result(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
) -> Result<BookingResult, AppError> {
    let row = db::request_in_scope(&state.pool, &viewer.scope(), id)
        .await?
        .ok_or_else(|| AppError::NotFound("That booking no longer exists.".into()))?;
    Ok(BookingResult {
        request_id: id,
        status: row.status()?,
        message: row.sync_error,
    })
}

/// Cancels a booking: at AURA first (if it got there), then here, keeping reason, who and when.
pub async fn cancel(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    // Out of reach and nonexistent look the same: nobody learns another customer's booking numbers.
    let row = db::request_in_scope(&state.pool, &viewer.scope(), id)
        .await?
        .ok_or_else(|| AppError::NotFound("No such booking.".into()))?;
    let reason = check_cancel_reason(reason)?;
    let actor = viewer.actor_for(&row.customer_name);
    let tz = row_zone(&row)?;
    let removed = row
        .schedule()?
        .occurrences(&tz)
        .filter(|o| o.opens > now)
        .take(REMOVED_COUNT_CAP)
        .count();
    match row.status()? {
        SyncStatus::Cancelled => {
            return Err(AppError::Conflict(
                "This booking is already cancelled.".into(),
            ));
        }
        SyncStatus::Rejected => {
            return Err(AppError::Conflict(
                "AURA refused this booking, so nothing is scheduled to cancel.".into(),
            ));
        }
        SyncStatus::Saved => {
            return Err(AppError::Conflict(
                "This booking is being sent to AURA right now. Reload in a moment and cancel then."
                    .into(),
            ));
        }
        SyncStatus::NotSent => {
            db::add_event(
                &state.pool,
                id,
                now,
                "cancel",
                &actor,
                "Never reached AURA; cancelled here only.",
            )
            .await?;
        }
        SyncStatus::Confirmed => {
            let aura_id = row.aura_id.as_deref().ok_or_else(|| {
                tracing::error!(request = id, "confirmed request without an AURA id");
                AppError::Internal
            })?;
            match state.aura.cancel(aura_id).await {
                Ok(CancelOutcome::Cancelled) => {}
                Ok(CancelOutcome::AlreadyCancelled) => {
                    db::add_event(
                        &state.pool,
                        id,
                        now,
                        "aura_cancel",
                        &Actor::system("AURA"),
                        "AURA had it cancelled already (409).",
                    )
                    .await?;
                }
                Err(e) => {
                    tracing::warn!(request = id, error = %e, "AURA did not cancel");
                    db::add_event(
                        &state.pool,
                        id,
                        now,
                        "cancel_failed",
                        &actor,
                        &e.to_string(),
                    )
                    .await?;
                    return Err(AppError::Aura(match e {
                        AuraError::Rejected { message, .. } => {
                            format!("AURA refused to cancel: {message} The booking is still active.")
                        }
                        _ => "AURA could not be reached, so the booking is still active. Try again in a moment."
                            .to_string(),
                    }));
                }
            }
        }
    }
    let cancellation = Cancellation {
        reason: &reason,
        by: &actor,
        at: now,
        removed_occurrences: i64::try_from(removed).unwrap_or(i64::MAX),
    };
    if !db::mark_cancelled(&state.pool, id, &cancellation).await? {
        return Err(AppError::Conflict(
            "This booking changed meanwhile; reload to see it.".into(),
        ));
    }
    db::add_event(
        &state.pool,
        id,
        now,
        "cancelled",
        &actor,
        &format!("Reason: {reason}"),
    )
    .await?;
    Ok(())
}

fn row_zone(row: &RequestRow) -> Result<Tz, AppError> {
    zone(&row.timezone).ok_or_else(|| {
        tracing::error!(request = row.id, zone = %row.timezone, "stored request has an unknown time zone");
        AppError::Internal
    })
}

/// The cancellation of a stored booking, if it was cancelled.
fn cancellation_info(row: &RequestRow, tz: &Tz) -> Option<CancellationInfo> {
    row.cancelled_at.map(|at| CancellationInfo {
        at_label: instant_label(at, tz),
        reason: row.cancel_reason.clone().unwrap_or_default(),
        by: row.cancelled_by.clone().unwrap_or_default(),
        on_behalf_of: row.cancelled_on_behalf_of.clone(),
        removed_occurrences: row.cancelled_occurrences.unwrap_or(0),
    })
}

fn occurrence_view(
    row: &RequestRow,
    o: &Occurrence,
    tz: &Tz,
    status: SyncStatus,
) -> Result<OccurrenceView, AppError> {
    Ok(OccurrenceView {
        request_id: row.id,
        customer: row.customer_name.clone(),
        name: row.name.clone(),
        service_type: row.service()?,
        status,
        place: row.place(),
        timezone: row.timezone.clone(),
        local_date: o.local_date,
        opens: o.opens,
        closes: o.closes,
        date_label: date_label(o.local_date),
        time_label: window_label(o.opens, o.closes, tz),
        notes: occurrence_notes(o, row.start_time, tz),
    })
}

pub async fn form_data(
    state: &AppState,
    viewer: &Viewer,
    now: DateTime<Utc>,
) -> Result<BookingStart, AppError> {
    let customer = match viewer.acting_customer(None) {
        Ok(customer) => customer,
        Err(AppError::Conflict(_)) => {
            let choices = viewer.customers.iter().map(CustomerOption::from).collect();
            return Ok(BookingStart::ChooseCustomer(choices));
        }
        Err(e) => return Err(e),
    };
    let sites = db::sites_for_customer(&state.pool, customer.id)
        .await?
        .into_iter()
        .map(SiteView::from)
        .collect();
    let today = zone(&customer.default_timezone)
        .map(|tz| now.with_timezone(&tz).date_naive())
        .unwrap_or_else(|| now.date_naive());
    Ok(BookingStart::Ready(BookingFormData {
        customer_id: customer.id,
        customer_name: customer.name.clone(),
        sites,
        service_types: state.services.enabled(),
        time_zones: zone_names(),
        default_timezone: customer.default_timezone.clone(),
        form_key: uuid::Uuid::new_v4().to_string(),
        today,
    }))
}

pub async fn request_detail(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    now: DateTime<Utc>,
) -> Result<RequestDetail, AppError> {
    let row = db::request_in_scope(&state.pool, &viewer.scope(), id)
        .await?
        .ok_or_else(|| AppError::NotFound("No booking with that number is yours to see.".into()))?;
    let tz = row_zone(&row)?;
    let status = row.status()?;
    let schedule = row.schedule()?;
    let (upcoming, upcoming_total) = if status.is_active() {
        let mut future = schedule.occurrences(&tz).filter(|o| o.closes > now);
        let shown = future
            .by_ref()
            .take(DETAIL_UPCOMING)
            .map(|o| occurrence_view(&row, &o, &tz, status))
            .collect::<Result<Vec<_>, _>>()?;
        let total = shown.len() + future.take(REMOVED_COUNT_CAP).count();
        (shown, total)
    } else {
        (Vec::new(), 0)
    };
    let events = db::events_of_request(&state.pool, id)
        .await?
        .into_iter()
        .map(|e| EventView {
            at_label: instant_label(e.at, &tz),
            kind: e.kind,
            actor: e.actor,
            on_behalf_of: e.on_behalf_of,
            detail: e.detail,
        })
        .collect();
    let cancellation = cancellation_info(&row, &tz);
    let start = schedule.start_time.format("%H:%M");
    Ok(RequestDetail {
        id: row.id,
        customer: row.customer_name.clone(),
        name: row.name.clone(),
        service_type: row.service()?,
        status,
        sync_error: row.sync_error.clone(),
        aura_id: row.aura_id.clone(),
        next_occurrence: schedule
            .next_occurrence(&tz, now)
            .filter(|_| status.is_active())
            .map(|n| instant_label(n, &tz)),
        site_name: row.site_name.clone(),
        address: row.address.clone(),
        coordinates: row
            .latitude
            .zip(row.longitude)
            .map(|(lat, lon)| format!("{lat:.5}, {lon:.5}")),
        timezone: row.timezone.clone(),
        repeat: schedule.repeat.describe(),
        dates: if row.first_date == row.last_date {
            date_label(row.first_date)
        } else {
            format!(
                "{} to {}",
                date_label(row.first_date),
                date_label(row.last_date)
            )
        },
        window: format!(
            "Opens {start} ({}) for {} minutes",
            row.timezone, schedule.window_minutes
        ),
        number_of_guards: u32::try_from(row.number_of_guards).unwrap_or(1),
        armed_preference: row.armed()?.label().to_string(),
        contacts: row
            .contacts()?
            .into_iter()
            .map(|c| ContactView {
                name: c.name,
                mobile: c.mobile,
            })
            .collect(),
        special_instructions: row.special_instructions.clone(),
        created: instant_label(row.created_at, &tz),
        cancellation,
        upcoming,
        upcoming_total,
        events,
        can_cancel: matches!(status, SyncStatus::Confirmed | SyncStatus::NotSent),
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
fn home_zone(viewer: &Viewer) -> Tz {
    viewer
        .selected_customer()
        .or(viewer.customers.first())
        .and_then(|c| zone(&c.default_timezone))
        .unwrap_or(Tz::UTC)
}

pub async fn month_view(
    state: &AppState,
    viewer: &Viewer,
    month: Option<&str>,
    now: DateTime<Utc>,
) -> Result<MonthView, AppError> {
    let home = home_zone(viewer);
    let first = parse_month(month, now.with_timezone(&home).date_naive())?;
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
    for row in db::active_requests_between(&state.pool, &viewer.view_scope(), from, to).await? {
        let tz = row_zone(&row)?;
        let status = row.status()?;
        let schedule = row.schedule()?;
        for o in schedule.occurrences_between(&tz, from, to) {
            let offset = (o.local_date - grid_start).num_days();
            if let Some(cell) = usize::try_from(offset).ok().and_then(|i| cells.get_mut(i)) {
                cell.occurrences
                    .push(occurrence_view(&row, &o, &tz, status)?);
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
) -> Result<UpcomingView, AppError> {
    let days = days.clamp(1, 366);
    let to = now + Duration::days(i64::from(days));
    let mut occurrences = Vec::new();
    let scope = viewer.view_scope();
    for row in db::active_requests_between(&state.pool, &scope, now, to).await? {
        let tz = row_zone(&row)?;
        let status = row.status()?;
        for o in row
            .schedule()?
            .occurrences_between(&tz, now, to)
            .filter(|o| o.opens >= now)
        {
            occurrences.push(occurrence_view(&row, &o, &tz, status)?);
        }
    }
    occurrences.sort_by_key(|o| (o.opens, o.request_id));
    occurrences.truncate(UPCOMING_LIMIT);
    let cancellations = db::cancelled_requests(&state.pool, &scope, CANCELLATIONS_LIMIT)
        .await?
        .into_iter()
        .map(|row| {
            let tz = row_zone(&row)?;
            let cancellation = cancellation_info(&row, &tz).ok_or_else(|| {
                tracing::error!(
                    request = row.id,
                    "cancelled request without a cancellation time"
                );
                AppError::Internal
            })?;
            Ok(CancellationView {
                request_id: row.id,
                customer: row.customer_name.clone(),
                name: row.name.clone(),
                service_type: row.service()?,
                place: row.place(),
                cancellation,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(UpcomingView {
        days,
        showing_for: viewer.showing_for(),
        show_customer: viewer.sees_several(),
        occurrences,
        cancellations,
    })
}
