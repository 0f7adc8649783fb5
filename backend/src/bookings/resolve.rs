//! What a person decides when the dashboard cannot know: whether AURA holds a booking whose
//! outcome was lost (account managers and administrators, after checking with AURA), and sending a
//! lapsed repeating booking again from its next window.

use chrono::{DateTime, Utc};

use super::{booking_for, changed_meanwhile, schedule_from};
use crate::auth::Viewer;
use crate::db::{self, DbError, Finding, Unique};
use crate::error::ServerError;
use crate::present::instant_label;
use crate::state::AppState;
use domain::error::AppError;
use domain::lifecycle::RESCHEDULE;
use domain::lifecycle::cancel_wish_event;
use domain::model::{Outcome, Role, SyncStatus};
use domain::{Field, FieldErrors, LEAD_TIME_MINUTES};

/// Longer ids than this are not believed to be AURA ids.
const MAX_AURA_ID_CHARS: usize = 200;

fn check_aura_id(text: &str) -> Result<String, FieldErrors> {
    let id = text.trim();
    if id.is_empty() {
        return Err(FieldErrors::one(
            Field::AuraId,
            "Enter the id AURA gave this booking (AURA's support can look it up).",
        ));
    }
    if id.chars().count() > MAX_AURA_ID_CHARS || id.chars().any(char::is_control) {
        return Err(FieldErrors::one(
            Field::AuraId,
            "That does not look like an AURA id: copy it exactly as AURA gave it.",
        ));
    }
    Ok(id.to_string())
}

/// Records what a person found at AURA for a booking whose outcome was unknown: AURA has it (with
/// its id) or it does not. Returns what came of it.
pub async fn resolve(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    held: bool,
    aura_id: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, ServerError> {
    if viewer.role == Role::Customer {
        return Err(AppError::Forbidden(
            "Only account managers and administrators can record what AURA holds.".into(),
        )
        .into());
    }
    let booking = booking_for(state, viewer, id).await?;
    if booking.status != SyncStatus::Unknown {
        return Err(AppError::Conflict(format!(
            "This booking is no longer waiting to be checked (it is now: {}).",
            booking.status.label()
        ))
        .into());
    }
    let tz = booking.zone.tz();
    let actor = viewer.actor_for(&booking.customer.name);
    let checked;
    let (finding, detail) = if held {
        checked = check_aura_id(aura_id)?;
        let next_occurrence = booking.schedule.next_occurrence(tz, now);
        let next = next_occurrence
            .map(|n| {
                format!(
                    " Next window opens {} (computed by the dashboard).",
                    instant_label(n, tz)
                )
            })
            .unwrap_or_default();
        (
            Finding::Held {
                aura_id: &checked,
                next_occurrence,
            },
            format!("AURA has it under id {checked}.{next}"),
        )
    } else {
        (Finding::NotHeld, "AURA does not have it.".to_string())
    };
    let kind = finding.checked().event();
    let mut tx = state.db.begin().await?;
    let status = match db::resolve_unknown(&mut tx, id, &finding, now).await {
        Ok(Some(status)) => status,
        Ok(None) => {
            return Err(changed_meanwhile());
        }
        Err(DbError::Taken(Unique::BookingAuraId)) => {
            return Err(FieldErrors::one(
                Field::AuraId,
                "Another booking already has this AURA id. Check the id with AURA.",
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    let then = match status {
        SyncStatus::Cancelling => " A cancel was asked for: sending it to AURA now.",
        SyncStatus::Cancelled => {
            " A cancel was asked for, and AURA never had it: cancelled here, nothing is scheduled."
        }
        SyncStatus::Saved => " Sending it to AURA again.",
        _ => "",
    };
    db::add_event(&mut tx, id, now, kind, &actor, &format!("{detail}{then}")).await?;
    if status == SyncStatus::Cancelled {
        // The cancel asked for earlier is done here, as when a send turns out never to have
        // reached AURA: its own entry (and its webhook, `booking.cancelled`).
        let ended = db::ending_of(&mut tx, id)
            .await?
            .map_or(cancel_wish_event(SyncStatus::Cancelled), |c| c.done_event());
        db::add_event(
            &mut tx,
            id,
            now,
            ended,
            &db::Actor::system("Dashboard"),
            "AURA never had it, so the cancel asked for is done here: nothing is scheduled.",
        )
        .await?;
    }
    tx.commit().await?;
    state.outbox.wake();
    Ok(Outcome::Checked { now: status })
}

/// Sends a lapsed repeating booking again, starting from its first window that can still be booked
/// (opening at least the lead time from now, plus a minute for the call).
pub async fn send_from_next_window(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Outcome, ServerError> {
    let booking = booking_for(state, viewer, id).await?;
    if booking.status != SyncStatus::Lapsed {
        return Err(AppError::Conflict(format!(
            "Only a booking that was not sent because its first window passed can be sent again this way (this one is: {}).",
            booking.status.label()
        ))
        .into());
    }
    let tz = booking.zone.tz();
    let earliest = now + chrono::Duration::minutes(LEAD_TIME_MINUTES + 1);
    let Some(next) = booking
        .schedule
        .occurrences_from(tz, earliest)
        .find(|o| o.opens >= earliest)
    else {
        return Err(AppError::Conflict(
            "No window of this booking is left to send. Book it again with new dates.".into(),
        )
        .into());
    };
    let schedule = schedule_from(&booking, next.local_date);
    let actor = viewer.actor_for(&booking.customer.name);
    let mut tx = state.db.begin().await?;
    if db::reschedule_lapsed(&mut tx, id, next.local_date, schedule.date_from, now)
        .await?
        .is_none()
    {
        return Err(changed_meanwhile());
    }
    let detail = format!(
        "Sending it to AURA from the window opening {}.",
        instant_label(next.opens, tz)
    );
    db::add_event(&mut tx, id, now, RESCHEDULE.2, &actor, &detail).await?;
    tx.commit().await?;
    if let Err(e) = state.sender().send_now(db::Work::Create, id).await {
        let _ = e.reported();
        state.outbox.wake();
    }
    let after = booking_for(state, viewer, id).await?;
    Ok(Outcome::SentAgain {
        opens: instant_label(next.opens, tz),
        now: after.status,
    })
}
