//! Sending a booking to AURA: claim it, check it can still be sent, call, record the answer.

use chrono::{DateTime, Utc};

use super::{Aura, Claim, Clock, Sender, Sent, aura, dashboard};
use crate::aura::{AuraError, Created, create_body_for};
use crate::db::{self, Booking, CustomerScope, SendResult, Work};
use crate::error::ServerError;
use crate::present::instant_label;
use domain::check_timing;
use domain::lifecycle::cancel_wish_event;
use domain::lifecycle::late_answer_event;
use domain::model::SyncStatus;

impl<A: Aura, C: Clock> Sender<A, C> {
    /// Claims and sends the next create that is due (or only booking `only`). Returns the booking and
    /// the status it was left in, or `None` when there was nothing to claim.
    pub async fn send_create(&self, only: Option<i64>) -> Result<Sent, ServerError> {
        let now = self.clock.now();
        let mut claim = Claim::new(&self.outbox.policy, now);
        let Some(id) = db::claim(&self.db, Work::Create, claim.lease(), now, only).await? else {
            return Ok(None);
        };
        let booking = self.load(id).await?;
        let tz = booking.zone.tz();
        // Checked again before every attempt: AURA refuses a request whose first window is near.
        if let Err(v) = check_timing(&booking.schedule, tz, now) {
            let reason = format!(
                "Not sent: {} Nothing was sent to AURA.",
                v.message().trim_end_matches('.')
            );
            let result = SendResult::Lapsed { reason: &reason };
            let status = self.finish_send(&booking, &claim, &result, now).await?;
            return Ok(Some((id, status)));
        }
        let Some(slug) = self.services.slug(booking.service_type) else {
            let reason = format!(
                "Not sent: {} is no longer offered by this dashboard. Nothing was sent to AURA.",
                booking.service_type.label()
            );
            let result = SendResult::Lapsed { reason: &reason };
            return Ok(Some((
                id,
                self.finish_send(&booking, &claim, &result, now).await?,
            )));
        };
        let answer = match self.ready_to_call(id, &mut claim).await? {
            Ok(true) => {
                self.within_limit(self.aura.create(slug, &create_body_for(&booking)))
                    .await
            }
            Ok(false) => return Ok(Some((id, self.load(id).await?.status))),
            Err(no_token) => Err(no_token),
        };
        let at = self.clock.now().max(now);
        let status = match answer {
            Ok(created) => {
                let (next_occurrence, ours) = next_occurrence_of(&booking, &created, at);
                let result = SendResult::Confirmed {
                    aura_id: &created.id,
                    next_occurrence,
                    ours,
                };
                self.finish_send(&booking, &claim, &result, at).await?
            }
            Err(AuraError::Refused { status, message }) => {
                tracing::info!(booking = id, status, %message, "AURA refused a booking");
                let result = SendResult::Refused { message: &message };
                self.finish_send(&booking, &claim, &result, at).await?
            }
            Err(e @ AuraError::NotDelivered(_)) => {
                tracing::warn!(booking = id, error = %e, "booking not delivered to AURA; will retry");
                let retry_at = self
                    .outbox
                    .policy
                    .retry_at(at, booking.attempts, e.retry_after());
                let reason = e.to_string();
                let result = SendResult::NotDelivered {
                    reason: &reason,
                    retry_at,
                };
                self.finish_send(&booking, &claim, &result, at).await?
            }
            Err(e @ AuraError::OutcomeUnknown(_)) => {
                tracing::error!(booking = id, error = %e, "AURA may hold a booking: outcome unknown, a person must check");
                let reason = e.to_string();
                let result = SendResult::Unknown { reason: &reason };
                self.finish_send(&booking, &claim, &result, at).await?
            }
        };
        // Work is left (a retry, or a cancel to send): the worker re-plans its sleep.
        if matches!(status, SyncStatus::NotSent | SyncStatus::Cancelling) {
            self.outbox.wake();
        }
        Ok(Some((id, status)))
    }

    /// Records a create attempt and its history together. If the claim was lost meanwhile (it took
    /// longer than the lease), the answer is not thrown away: a confirmation still settles a booking
    /// that is waiting to be checked, and any other answer is kept in the history for the person.
    async fn finish_send(
        &self,
        booking: &Booking,
        claim: &Claim,
        result: &SendResult<'_>,
        at: DateTime<Utc>,
    ) -> Result<SyncStatus, ServerError> {
        let id = booking.id;
        let tz = booking.zone.tz();
        let mut tx = self.db.begin().await?;
        let Some(status) = db::finish_send(&mut tx, id, &claim.owner, result, at).await? else {
            let late = describe_send(result, tz);
            let settled = match result {
                SendResult::Confirmed {
                    aura_id,
                    next_occurrence,
                    ..
                } => {
                    let finding = db::Finding::Held {
                        aura_id,
                        next_occurrence: *next_occurrence,
                    };
                    db::resolve_unknown(&mut tx, id, &finding, at).await?
                }
                _ => None,
            };
            let detail = match settled {
                Some(_) => format!("AURA's answer came late, but settles it: {late}"),
                None => {
                    tracing::error!(
                        booking = id,
                        "late answer from AURA after the booking was handed on: {late}"
                    );
                    format!(
                        "This answer came after the booking was handed on, so it changed nothing; check it against AURA: {late}"
                    )
                }
            };
            let kind = late_answer_event(settled.is_some());
            db::add_event(&mut tx, id, at, kind, &aura(), &detail).await?;
            tx.commit().await?;
            let now = self.load(id).await?;
            return Ok(now.status);
        };
        let outcome = result.outcome();
        let kind = outcome.event();
        let actor = if outcome.told_by_aura() {
            aura()
        } else {
            dashboard()
        };
        let mut detail = describe_send(result, tz);
        // A cancel may have been asked while the call was under way (after `booking` was read).
        let cancel_wished = match status {
            SyncStatus::Unknown => db::booking_in_scope(&mut tx, &CustomerScope::All, id)
                .await?
                .is_some_and(|b| b.cancellation.is_some()),
            _ => false,
        };
        match status {
            SyncStatus::Cancelling => {
                detail.push_str(" A cancel was asked meanwhile; it is being sent to AURA now.");
            }
            SyncStatus::Unknown if cancel_wished => {
                detail.push_str(
                    " A cancel was asked meanwhile; it will be sent once someone confirms AURA has it.",
                );
            }
            _ => {}
        }
        db::add_event(&mut tx, id, at, kind, &actor, &detail).await?;
        if outcome.told_by_aura() {
            db::aura_answered(&mut tx, at).await?;
        }
        if status == SyncStatus::Cancelled {
            let kind = db::ending_of(&mut tx, id)
                .await?
                .map_or(cancel_wish_event(SyncStatus::Cancelled), |c| c.done_event());
            db::add_event(
                &mut tx,
                id,
                at,
                kind,
                &dashboard(),
                "It never reached AURA, so the cancel asked for is done here: nothing is scheduled.",
            )
            .await?;
        }
        tx.commit().await?;
        Ok(status)
    }
}

/// AURA's next window, or our own computation when its answer did not say (the reference shape).
fn next_occurrence_of(
    booking: &Booking,
    created: &Created,
    now: DateTime<Utc>,
) -> (Option<DateTime<Utc>>, bool) {
    match created.next_occurrence {
        Some(given) => (given, false),
        None => (
            booking.schedule.next_occurrence(booking.zone.tz(), now),
            true,
        ),
    }
}

fn describe_send(result: &SendResult<'_>, tz: &chrono_tz::Tz) -> String {
    match result {
        SendResult::Confirmed {
            aura_id,
            next_occurrence,
            ours,
        } => {
            let next = match (next_occurrence, ours) {
                (Some(n), false) => format!(" First window opens {}.", instant_label(*n, tz)),
                (Some(n), true) => format!(
                    " First window opens {} (computed by the dashboard: AURA's answer did not say).",
                    instant_label(*n, tz)
                ),
                (None, _) => String::new(),
            };
            format!("AURA id {aura_id}.{next}")
        }
        SendResult::NotDelivered { reason, retry_at } => format!(
            "{reason}. AURA does not have it; trying again at {}.",
            instant_label(*retry_at, tz)
        ),
        SendResult::Refused { message } => (*message).to_string(),
        SendResult::Unknown { reason } => format!(
            "{reason}. AURA may have scheduled it, so it will not be sent again until someone checks with AURA."
        ),
        SendResult::Lapsed { reason } => (*reason).to_string(),
    }
}
