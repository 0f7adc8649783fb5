//! The background worker: settles interrupted sends, sends what is due, sleeps until the next
//! thing is due, and stops between calls when asked.

use tokio::sync::watch;

use super::{Aura, Clock, Sender, dashboard};
use crate::db;
use crate::error::ServerError;
use domain::lifecycle::SendOutcome;

impl<A: Aura, C: Clock> Sender<A, C> {
    /// Turns every create attempt whose lease expired mid-call into `unknown`, with its history.
    pub async fn expire_stale(&self) -> Result<usize, ServerError> {
        let now = self.clock.now();
        let reason = "The dashboard stopped or stalled while sending this to AURA";
        let mut tx = self.db.begin().await?;
        let ids = db::expire_sending(&mut tx, reason, now).await?;
        for id in &ids {
            db::add_event(
                &mut tx,
                *id,
                now,
                SendOutcome::Unknown.event(),
                &dashboard(),
                &format!(
                    "{reason}, so whether AURA has it is not known. It will not be sent again until someone checks with AURA."
                ),
            )
            .await?;
        }
        tx.commit().await?;
        for id in &ids {
            tracing::error!(
                booking = id,
                "a send was interrupted: outcome unknown, a person must check"
            );
        }
        Ok(ids.len())
    }

    /// One pass: stale claims first, then every due create and cancel, one at a time. Returns how many
    /// calls were made.
    async fn drain(&self, stop: &watch::Receiver<bool>) -> Result<usize, ServerError> {
        self.expire_stale().await?;
        let mut sent = 0;
        loop {
            if *stop.borrow() {
                return Ok(sent);
            }
            // Changes of plans whose bookings moved since: their next step (a cancel to send).
            self.settle_changes().await?;
            let created = self.send_create(None).await?;
            if *stop.borrow() {
                return Ok(sent + usize::from(created.is_some()));
            }
            let cancelled = self.send_cancel(None).await?;
            match (created, cancelled) {
                (None, None) => return Ok(sent),
                (c, x) => sent += usize::from(c.is_some()) + usize::from(x.is_some()),
            }
        }
    }

    /// The background worker: sends what is due, sleeps until the next thing is due (or it is woken,
    /// or the poll interval passes), and stops between calls once `stop` turns true. A call under way
    /// when asked to stop is finished and recorded first.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(owner = %self.outbox.policy.owner, "sending worker started");
        loop {
            if *stop.borrow() {
                break;
            }
            let next = match self.drain(&stop).await {
                Ok(_) => db::next_due(&self.db).await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            let wait = super::rest_after(
                "sending worker",
                next,
                self.clock.now(),
                self.outbox.policy.poll,
            );
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.outbox.wake.notified() => {}
                _ = stop.changed() => {}
            }
        }
        tracing::info!("sending worker stopped");
    }
}
