//! The mail worker: claims each due mail under a lease, composes it as it reads now, hands it to
//! SMTP, and records what the server said. A server that is down or answers 4xx means a retry with
//! backoff; a 5xx is final and recorded. A process killed mid-send leaves a lease that expires: the
//! mail is sent again, under the same Message-ID.

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::render::Composed;
use super::{Handed, Postman, hand_over};
use crate::db::{self, Lease, MailResult, MailRow, NewNotice};

/// How many due mails one claim takes (one write for them all), each then sent in turn.
const CLAIM_AT_ONCE: i64 = 8;
use crate::error::ServerError;
use crate::outbox::{Clock, later, rest_after};
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
        Ok(self.send_batch(only, 1).await?.into_iter().next())
    }

    /// Claims up to `limit` due mails (or mail `only`) in one statement and sends them one after
    /// another; what each came to.
    pub async fn send_batch(
        &self,
        only: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(i64, Delivered)>, ServerError> {
        let now = self.now();
        let owner = format!("{}/{}", self.policy.owner, uuid::Uuid::new_v4().simple());
        // As long as one call's lease: a process that dies leaves its batch to others soon. It is
        // extended whenever the next call could outlast it.
        let mut until = later(now, self.policy.lease);
        let rows = db::claim_mail(
            &self.db,
            Lease {
                owner: &owner,
                until,
            },
            now,
            only,
            limit,
        )
        .await?;
        let mut done = Vec::with_capacity(rows.len());
        for row in rows {
            let now = self.now();
            if later(now, self.policy.call_limit) >= until {
                until = later(now, self.policy.lease);
                db::renew_mail_lease(&self.db, &owner, until).await?;
            }
            done.push((row.id, self.send_claimed(&row, &owner).await?));
        }
        Ok(done)
    }

    /// Composes, hands over and records one claimed mail.
    async fn send_claimed(&self, row: &MailRow, owner: &str) -> Result<Delivered, ServerError> {
        let composed = match self.compose(row).await {
            Ok(c) => c,
            Err(e) => {
                // Not composable now (the database failed mid-way): try again later.
                let e = e.reported();
                let retry_at = self.policy.retry_at(self.now(), row.attempts, None);
                db::finish_mail(
                    &self.db,
                    row.id,
                    owner,
                    None,
                    &MailResult::Retry {
                        answer: &format!("could not be composed: {e}"),
                        retry_at,
                    },
                    self.now(),
                )
                .await?;
                return Ok(Delivered::Retry);
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
        if !db::finish_mail(&self.db, row.id, owner, subject.as_deref(), &outcome, now).await? {
            tracing::warn!(mail = row.id, "mail claim was taken over while sending");
            return Ok(Delivered::Lost);
        }
        match delivered {
            Delivered::Retry => {
                tracing::warn!(mail = row.id, answer = %result, "mail not sent yet; retrying")
            }
            Delivered::Failed => tracing::error!(mail = row.id, answer = %result, "mail not sent"),
            _ => {}
        }
        Ok(delivered)
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

    /// One pass: every due mail, [`super::SENDING_AT_ONCE`] at a time (each claim is its own, so
    /// they never take the same mail). Returns how many were handled.
    pub async fn drain(&self, stop: &watch::Receiver<bool>) -> Result<usize, ServerError> {
        if matches!(self.config.transport, super::Transport::Off) {
            // Nowhere to send: mail waits, pending, until a transport is configured.
            return Ok(0);
        }
        let one = || async {
            let mut sent = 0;
            while !*stop.borrow() {
                match self.send_batch(None, CLAIM_AT_ONCE).await?.len() {
                    0 => break,
                    n => sent += n,
                }
            }
            Ok::<usize, ServerError>(sent)
        };
        let (a, b, c, d) = tokio::join!(one(), one(), one(), one());
        Ok(a? + b? + c? + d?)
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
                // Nowhere to send: only digests and the outage check, once a poll.
                Ok(_) if matches!(self.config.transport, super::Transport::Off) => self.poll,
                Ok(_) => rest_after(
                    "mail worker",
                    db::next_mail_due(&self.db).await.map_err(|e| e.to_string()),
                    self.now(),
                    self.poll,
                ),
                Err(e) => rest_after(
                    "mail worker",
                    Err(e.reported().to_string()),
                    self.now(),
                    self.poll,
                ),
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
        tracing::info!("mail worker stopped");
    }
}
