//! The mail worker: claims each due mail under a lease, composes it as it reads now, hands it to
//! SMTP, and records what the server said. A server that is down or answers 4xx means a retry with
//! backoff; a 5xx is final and recorded. A process killed mid-send leaves a lease that expires: the
//! mail is sent again, under the same Message-ID.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::render::Composed;
use super::{Handed, Postman, hand_over};
use crate::db::{self, Lease, MailResult, NewNotice};
use crate::error::ServerError;
use crate::outbox::Clock;
use domain::notify::{Notice, UNREACHABLE_AFTER_MINUTES};

/// What one send came to (for tests and the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    Sent,
    Retry,
    Failed,
    Skipped,
    /// The claim was lost while sending (another process took over).
    Lost,
}

impl<C: Clock> Postman<C> {
    /// Sends the next due mail (or mail `only`); `None` when nothing was due.
    pub async fn send_next(
        &self,
        only: Option<i64>,
    ) -> Result<Option<(i64, Delivered)>, ServerError> {
        let now = self.now();
        let owner = format!("{}/{}", self.policy.owner, uuid::Uuid::new_v4().simple());
        let until = later(now, self.policy.lease);
        let Some(row) = db::claim_mail(
            &self.db,
            Lease {
                owner: &owner,
                until,
            },
            now,
            only,
        )
        .await?
        else {
            return Ok(None);
        };
        let composed = match self.compose(&row).await {
            Ok(c) => c,
            Err(e) => {
                // Not composable now (the database failed mid-way): try again later.
                let e = e.reported();
                let retry_at = self.policy.retry_at(self.now(), row.attempts, None);
                db::finish_mail(
                    &self.db,
                    row.id,
                    &owner,
                    None,
                    &MailResult::Retry {
                        answer: &format!("could not be composed: {e}"),
                        retry_at,
                    },
                    self.now(),
                )
                .await?;
                return Ok(Some((row.id, Delivered::Retry)));
            }
        };
        let (subject, result, delivered): (Option<String>, String, Delivered) = match composed {
            Composed::Nothing(why) => (None, why, Delivered::Skipped),
            Composed::Void(why) => (None, format!("not sent: {why}"), Delivered::Failed),
            Composed::Ready(mail) => {
                let subject = Some(mail.rendered.subject.clone());
                let handed = tokio::time::timeout(
                    self.policy.call_limit,
                    hand_over(&self.config, &self.db, &mail, self.now()),
                )
                .await
                .unwrap_or_else(|_| Handed::Again("no answer from the SMTP server in time".into()));
                match handed {
                    Handed::Taken(answer) => (subject, answer, Delivered::Sent),
                    Handed::Again(answer) => (subject, answer, Delivered::Retry),
                    Handed::Refused(answer) => (subject, answer, Delivered::Failed),
                }
            }
        };
        let now = self.now();
        let retry_at = self.policy.retry_at(now, row.attempts, None);
        let outcome = match delivered {
            Delivered::Sent => MailResult::Sent { answer: &result },
            Delivered::Retry => MailResult::Retry {
                answer: &result,
                retry_at,
            },
            Delivered::Skipped => MailResult::Skipped { why: &result },
            _ => MailResult::Failed { answer: &result },
        };
        if !db::finish_mail(&self.db, row.id, &owner, subject.as_deref(), &outcome, now).await? {
            tracing::warn!(mail = row.id, "mail claim was taken over while sending");
            return Ok(Some((row.id, Delivered::Lost)));
        }
        match delivered {
            Delivered::Retry => {
                tracing::warn!(mail = row.id, answer = %result, "mail not sent yet; retrying")
            }
            Delivered::Failed => tracing::error!(mail = row.id, answer = %result, "mail not sent"),
            _ => {}
        }
        Ok(Some((row.id, delivered)))
    }

    /// Tells administrators once per outage when AURA has not answered for
    /// [`UNREACHABLE_AFTER_MINUTES`] with bookings waiting. Returns whether it told them now.
    pub async fn check_aura_outage(&self) -> Result<bool, ServerError> {
        let now = self.now();
        let Some((since, told)) = db::outage(&self.db).await? else {
            return Ok(false);
        };
        if told || now - since < chrono::Duration::minutes(UNREACHABLE_AFTER_MINUTES) {
            return Ok(false);
        }
        let mut tx = self.db.begin().await?;
        if !db::mark_outage_told(&mut tx, since, now).await? {
            return Ok(false);
        }
        let waiting = db::count_waiting(&mut tx).await?;
        let detail = format!(
            "{waiting} booking(s) waiting. The first attempt that failed was at {} (UTC).",
            since.format("%Y-%m-%d %H:%M")
        );
        db::write_notice(
            &mut tx,
            &NewNotice {
                notice: Notice::AuraUnreachable,
                customer_id: None,
                booking_id: None,
                event_id: None,
                detail: &detail,
                actor_user_id: None,
                at: now,
            },
        )
        .await?;
        tx.commit().await?;
        tracing::error!(%since, waiting, "AURA unreachable: administrators told");
        Ok(true)
    }

    /// One pass: every due mail, then today's digests and the outage check.
    pub async fn drain(&self, stop: &watch::Receiver<bool>) -> Result<usize, ServerError> {
        let mut sent = 0;
        if matches!(self.config.transport, super::Transport::Off) {
            // Nowhere to send: mail waits, pending, until a transport is configured.
            return Ok(0);
        }
        while !*stop.borrow() {
            match self.send_next(None).await? {
                Some(_) => sent += 1,
                None => break,
            }
        }
        Ok(sent)
    }

    /// The mail worker: sends what is due, plans digests and checks AURA's reachability about once
    /// a minute, and stops between mails once `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(
            transport = self.config.transport.describe(),
            "mail worker started"
        );
        let mut planned_at: Option<DateTime<Utc>> = None;
        loop {
            if *stop.borrow() {
                break;
            }
            let now = self.now();
            if planned_at.is_none_or(|at| now - at >= chrono::Duration::seconds(60) || now < at) {
                planned_at = Some(now);
                if let Err(e) = super::plan_digests(&self).await {
                    tracing::warn!("digests: {}", e.reported());
                }
                if let Err(e) = self.check_aura_outage().await {
                    tracing::warn!("AURA outage check: {}", e.reported());
                }
            }
            let wait = match self.drain(&stop).await {
                Ok(_) => match db::next_mail_due(&self.db).await {
                    Ok(Some(due)) => (due - self.now())
                        .to_std()
                        .unwrap_or(Duration::ZERO)
                        .clamp(Duration::from_millis(50), self.poll),
                    Ok(None) => self.poll,
                    Err(e) => {
                        tracing::warn!("mail worker: {e}");
                        Duration::from_secs(5)
                    }
                },
                Err(e) => {
                    tracing::warn!("mail worker: {}", e.reported());
                    Duration::from_secs(5)
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
        tracing::info!("mail worker stopped");
    }
}

fn later(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(wait)
        .ok()
        .and_then(|w| now.checked_add_signed(w))
        .unwrap_or(now)
}
