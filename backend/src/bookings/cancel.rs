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
use domain::lifecycle::cancel_wish_event;
use domain::lifecycle::{CancelOutcome, ChangeStatus};
use domain::model::{Outcome, SyncStatus};

/// Asks to cancel a booking and returns what came of it.
pub async fn cancel(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, ServerError> {
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
    // A change under way cancels it by itself once AURA holds the new version (a stuck change
    // waits for exactly this: a person cancelling the original again).
    let mut tx = state.db.begin().await?;
    if let Some(change) = db::open_change_of(&mut tx, id).await?
        && change.booking_id == id
        && change.status != ChangeStatus::Stuck
    {
        return Err(conflict(
            "A change of this booking is under way: it cancels this booking by itself once AURA holds the new version. Wait until it is done.",
        ));
    }
    drop(tx);
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
                cancel_wish_event(status),
                &actor,
                "It never reached AURA, so it is cancelled here only: nothing is scheduled.",
            )
            .await?;
            db::add_event(&mut tx, id, now, CancelOutcome::Done.event(), &actor, &why).await?;
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
            db::add_event(&mut tx, id, now, cancel_wish_event(status), &actor, &detail).await?;
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
) -> Result<Outcome, ServerError> {
    let booking = booking_for(state, viewer, id).await?;
    let told = cancel(state, viewer, id, reason, now).await?;
    let other = booking
        .pair
        .filter(|_| also_pair)
        .and_then(|p| p.other.map(|other| (p.role.other(), other)));
    let Some((role, other)) = other else {
        return Ok(told);
    };
    let also = match cancel(state, viewer, other, reason, now).await {
        Ok(also) => Ok(Box::new(also)),
        Err(ServerError::User(e)) => Err(e),
        Err(e) => return Err(e),
    };
    Ok(Outcome::PairCancelled {
        first: Box::new(told),
        role,
        other,
        also,
    })
}

/// What came of the cancel, by what is now known; a refusal from AURA is an error the person reads.
fn told(asked: SyncStatus, after: &db::Booking) -> Result<Outcome, ServerError> {
    if after.status == SyncStatus::Confirmed {
        return Err(AppError::Aura(format!(
            "AURA refused to cancel: {} The booking is still scheduled.",
            after.sync_error.clone().unwrap_or_default()
        ))
        .into());
    }
    Ok(Outcome::CancelAsked {
        asked,
        now: after.status,
    })
}

fn conflict(message: &str) -> ServerError {
    AppError::Conflict(message.into()).into()
}
