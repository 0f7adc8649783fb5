//! Cancelling a booking: the wish (reason, who, when) is saved first with its history entry, then
//! the cancel is sent to AURA at once; what the person is told depends on what AURA holds.

use chrono::{DateTime, Utc};

use super::{booking_for, changed_meanwhile, future_windows};
use crate::auth::Viewer;
use crate::db::{self, CancelRequest};
use crate::error::ServerError;
use crate::state::AppState;
use domain::check_cancel_reason;
use domain::error::AppError;
use domain::model::{EventKind, SyncStatus};

/// Asks to cancel a booking and returns what the person should be told.
pub async fn cancel(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<String, ServerError> {
    let booking = booking_for(state, viewer, id).await?;
    let reason = check_cancel_reason(reason)?;
    match booking.status {
        SyncStatus::Cancelled => return Err(conflict("This booking is already cancelled.")),
        SyncStatus::Cancelling => {
            return Err(conflict("This booking is already being cancelled at AURA."));
        }
        SyncStatus::Rejected => {
            return Err(conflict(
                "AURA refused this booking, so nothing is scheduled to cancel.",
            ));
        }
        _ if booking.cancellation.is_some() => {
            return Err(conflict(
                "A cancel was already asked for; it is done as soon as AURA's side is known.",
            ));
        }
        _ => {}
    }
    let actor = viewer.actor_for(&booking.customer.name);
    let request = CancelRequest {
        reason: &reason,
        by: &actor,
        at: now,
        removed_occurrences: i64::try_from(future_windows(&booking, now)).unwrap_or(i64::MAX),
    };
    let mut tx = state.db.begin().await?;
    let Some(status) = db::request_cancel(&mut tx, id, &request).await? else {
        return Err(changed_meanwhile());
    };
    let why = format!("Reason: {reason}");
    match status {
        SyncStatus::Cancelled => {
            db::add_event(
                &mut tx,
                id,
                now,
                EventKind::CancelledLocally,
                &actor,
                "It never reached AURA, so it is cancelled here only: nothing is scheduled.",
            )
            .await?;
            db::add_event(&mut tx, id, now, EventKind::Cancelled, &actor, &why).await?;
        }
        _ => {
            let next = match status {
                SyncStatus::Sending => {
                    " It is being sent to AURA right now; the cancel follows once AURA answers."
                }
                SyncStatus::Unknown => {
                    " Whether AURA has it is not known yet: once someone has checked, it is cancelled at AURA, or here if AURA never had it."
                }
                _ => " Sending the cancel to AURA.",
            };
            let detail = format!("{why}.{next}");
            db::add_event(
                &mut tx,
                id,
                now,
                EventKind::CancelRequested,
                &actor,
                &detail,
            )
            .await?;
        }
    }
    tx.commit().await?;
    if status == SyncStatus::Cancelling
        && let Err(e) = state.sender().send_now(db::Work::Cancel, id).await
    {
        // The wish is saved; the worker sends it.
        let _ = e.reported();
        state.outbox.wake();
    }
    let after = booking_for(state, viewer, id).await?;
    told(status, &after)
}

/// Cancels a booking and, when asked, the other half of its lock/unlock pair with the same reason.
/// Each half is its own AURA request; what the person is told covers both.
pub async fn cancel_with_pair(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    reason: &str,
    also_pair: bool,
    now: DateTime<Utc>,
) -> Result<String, ServerError> {
    let booking = booking_for(state, viewer, id).await?;
    let told = cancel(state, viewer, id, reason, now).await?;
    let other = booking
        .pair
        .filter(|_| also_pair)
        .and_then(|p| p.other.map(|other| (p.role.other(), other)));
    let Some((role, other)) = other else {
        return Ok(told);
    };
    match cancel(state, viewer, other, reason, now).await {
        Ok(also) => Ok(format!(
            "{told} The {} (booking #{other}): {also}",
            role.label()
        )),
        Err(ServerError::User(e)) => Ok(format!(
            "{told} The {} (booking #{other}) was not cancelled: {e}",
            role.label()
        )),
        Err(e) => Err(e),
    }
}

/// What the person is told, by what is now known.
fn told(asked: SyncStatus, after: &db::Booking) -> Result<String, ServerError> {
    Ok(match after.status {
        SyncStatus::Cancelled if asked == SyncStatus::Cancelled => {
            "The booking is cancelled. It never reached AURA, so nothing was scheduled there."
                .into()
        }
        SyncStatus::Cancelled if asked == SyncStatus::Cancelling => {
            "The booking is cancelled. AURA confirmed it.".into()
        }
        SyncStatus::Cancelled => "The booking is cancelled.".into(),
        SyncStatus::Cancelling => "Cancel requested, but AURA has not confirmed it yet, so AURA \
            may still send this service until it does. The booking shows \"Cancelling\" and the \
            dashboard keeps trying."
            .into(),
        SyncStatus::Unknown => "Cancel requested. It is not known whether AURA scheduled this \
            booking: its answer was lost. An account manager will check with AURA; the booking is \
            then cancelled at AURA, or here if AURA never had it. Until then, treat it as possibly \
            scheduled."
            .into(),
        SyncStatus::Sending => "Cancel requested. The booking is being sent to AURA right now; it \
            is cancelled once AURA's answer is known (if the answer is lost, after someone has \
            checked with AURA)."
            .into(),
        SyncStatus::Confirmed => {
            return Err(AppError::Aura(format!(
                "AURA refused to cancel: {} The booking is still scheduled.",
                after.sync_error.clone().unwrap_or_default()
            ))
            .into());
        }
        other => format!("The booking is now: {}.", other.label()),
    })
}

fn conflict(message: &str) -> ServerError {
    AppError::Conflict(message.into()).into()
}
