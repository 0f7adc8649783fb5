//! Sending a cancellation to AURA: claim it, call, record the answer (a cancel is safe to repeat).

use super::{Aura, Claim, Clock, Sender, Sent, aura, dashboard, requester};
use crate::aura::{AuraError, CancelOutcome};
use crate::db::{self, CancelResult, Work};
use crate::error::ServerError;
use crate::present::instant_label;
use domain::lifecycle::late_answer_event;
use domain::model::SyncStatus;

impl<A: Aura, C: Clock> Sender<A, C> {
    /// Claims and sends the next cancel that is due (or only booking `only`).
    pub async fn send_cancel(&self, only: Option<i64>) -> Result<Sent, ServerError> {
        let now = self.clock.now();
        let mut claim = Claim::new(&self.outbox.policy, now);
        let Some(id) = db::claim(&self.db, Work::Cancel, claim.lease(), now, only).await? else {
            return Ok(None);
        };
        let booking = self.load(id).await?;
        let aura_id = booking.aura_id.clone().unwrap_or_default();
        let answer = match self.ready_to_call(id, &mut claim).await? {
            Ok(true) => self.within_limit(self.aura.cancel(&aura_id)).await,
            Ok(false) => return Ok(Some((id, self.load(id).await?.status))),
            Err(no_token) => Err(no_token),
        };
        let at = self.clock.now().max(now);
        let tz = booking.zone.tz();
        // A cancel is safe to repeat (409 = already cancelled), so "not delivered" and "no usable
        // answer" both mean: try again.
        let error_text = answer
            .as_ref()
            .err()
            .map(ToString::to_string)
            .unwrap_or_default();
        let (result, actor, detail) = match &answer {
            Ok(outcome) => (
                CancelResult::Done,
                requester(&booking),
                match outcome {
                    CancelOutcome::Cancelled => "AURA confirmed the cancellation.",
                    CancelOutcome::AlreadyCancelled => "AURA had it cancelled already (409).",
                }
                .to_string(),
            ),
            Err(AuraError::Refused { message, .. }) => {
                (CancelResult::Refused { message }, aura(), message.clone())
            }
            Err(e) => {
                tracing::warn!(booking = id, error = %e, "cancel not confirmed by AURA; will retry");
                let retry_at = self
                    .outbox
                    .policy
                    .retry_at(at, booking.attempts, e.retry_after());
                let detail = format!(
                    "{error_text}. AURA still holds the booking until it confirms; trying again at {}.",
                    instant_label(retry_at, tz)
                );
                (
                    CancelResult::Retry {
                        reason: &error_text,
                        retry_at,
                        outcome_unknown: matches!(e, AuraError::OutcomeUnknown(_)),
                    },
                    dashboard(),
                    detail,
                )
            }
        };
        let kind = result.outcome().event();
        let answered = result.outcome() != domain::lifecycle::CancelOutcome::NoAnswer;
        let mut tx = self.db.begin().await?;
        let status = db::finish_cancel(&mut tx, id, &claim.owner, &result, at).await?;
        let (kind, detail) = match status {
            // The last step of a change of plans: recorded as that change.
            Some(SyncStatus::Cancelled) => (
                db::ending_of(&mut tx, id)
                    .await?
                    .map_or(kind, |c| c.done_event()),
                detail,
            ),
            Some(SyncStatus::Unknown) => (
                kind,
                format!(
                    "{detail} An earlier cancel got no usable answer, so AURA may have cancelled it \
                     then: someone checks with AURA whether it still holds the booking."
                ),
            ),
            Some(SyncStatus::Confirmed) => (
                kind,
                format!("{detail} The booking is still scheduled at AURA."),
            ),
            Some(_) => (kind, detail),
            None => (
                late_answer_event(false),
                format!("This answer came after another attempt took over: {detail}"),
            ),
        };
        db::add_event(&mut tx, id, at, kind, &actor, &detail).await?;
        if answered {
            db::aura_answered(&mut tx, at).await?;
        }
        tx.commit().await?;
        if status == Some(SyncStatus::Cancelling) {
            self.outbox.wake();
        }
        Ok(Some((id, status.unwrap_or(booking.status))))
    }
}
