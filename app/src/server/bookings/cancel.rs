//! Cancelling a booking: at AURA first (if it got there), then here, keeping reason, who and when.

use chrono::{DateTime, Utc};

use super::future_windows;
use crate::domain::check_cancel_reason;
use crate::error::AppError;
use crate::model::{EventKind, SyncStatus};
use crate::server::aura::{AuraError, CancelOutcome};
use crate::server::auth::Viewer;
use crate::server::db::{self, Actor, Cancellation, DbError};
use crate::server::error::ServerError;
use crate::server::state::AppState;

pub async fn cancel(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), ServerError> {
    // Out of reach and nonexistent look the same: nobody learns another customer's booking numbers.
    let booking = db::booking_in_scope(&state.pool, &viewer.scope(), id)
        .await?
        .ok_or_else(|| AppError::NotFound("No such booking.".into()))?;
    let reason = check_cancel_reason(reason)?;
    let actor = viewer.actor_for(&booking.customer.name);
    // What happened at AURA, recorded with the cancellation below.
    let mut at_aura = None;
    match booking.status {
        SyncStatus::Cancelled => {
            return Err(conflict("This booking is already cancelled."));
        }
        SyncStatus::Rejected => {
            return Err(conflict(
                "AURA refused this booking, so nothing is scheduled to cancel.",
            ));
        }
        SyncStatus::Saved => {
            return Err(conflict(
                "This booking is being sent to AURA right now. Reload in a moment and cancel then.",
            ));
        }
        SyncStatus::NotSent => {
            at_aura = Some((
                EventKind::CancelledLocally,
                actor.clone(),
                "Never reached AURA; cancelled here only.",
            ));
        }
        SyncStatus::Confirmed => {
            let aura_id = booking.aura_id.as_deref().unwrap_or_default();
            match state.aura.cancel(aura_id).await {
                Ok(CancelOutcome::Cancelled) => {}
                Ok(CancelOutcome::AlreadyCancelled) => {
                    at_aura = Some((
                        EventKind::AuraCancel,
                        Actor::system("AURA"),
                        "AURA had it cancelled already (409).",
                    ));
                }
                Err(e) => {
                    tracing::warn!(booking = id, error = %e, "AURA did not cancel");
                    let detail = e.to_string();
                    db::add_event(
                        &state.pool,
                        id,
                        now,
                        EventKind::CancelFailed,
                        &actor,
                        &detail,
                    )
                    .await?;
                    return Err(AppError::Aura(match e {
                        AuraError::Rejected { message, .. } => {
                            format!("AURA refused to cancel: {message} The booking is still active.")
                        }
                        _ => "AURA could not be reached, so the booking is still active. Try again in a moment."
                            .to_string(),
                    })
                    .into());
                }
            }
        }
    }
    let cancellation = Cancellation {
        reason: &reason,
        by: &actor,
        at: now,
        removed_occurrences: i64::try_from(future_windows(&booking, now)).unwrap_or(i64::MAX),
    };
    let mut tx = state.pool.begin().await.map_err(DbError::from)?;
    if let Some((kind, by, detail)) = &at_aura {
        db::add_event(&mut *tx, id, now, *kind, by, detail).await?;
    }
    if !db::mark_cancelled(&mut *tx, id, &cancellation).await? {
        return Err(conflict(
            "This booking changed meanwhile; reload to see it.",
        ));
    }
    let detail = format!("Reason: {reason}");
    db::add_event(&mut *tx, id, now, EventKind::Cancelled, &actor, &detail).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

fn conflict(message: &str) -> ServerError {
    AppError::Conflict(message.into()).into()
}
