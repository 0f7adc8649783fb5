//! Moving a change of plans on (see `domain::lifecycle::change_step`): once AURA holds every new
//! booking, the original's cancel is asked (and sent like any cancel); when a new booking is
//! refused or not sent, the original stands and the new bookings AURA holds are cancelled; when
//! AURA refuses the original's cancel, a person decides. Each step is one transaction, started
//! again from what is stored: a process killed between two steps leaves nothing half done.

use super::{Aura, Clock, Sender, dashboard};
use crate::db::{self, Booking, CancelRequest, Change, CustomerScope, Work};
use crate::error::ServerError;
use crate::present::instant_label;
use domain::lifecycle::{ChangeStatus, EventKind, SyncStatus, cancel_wish_event, change_step};

impl<A: Aura, C: Clock> Sender<A, C> {
    /// Moves every open change on as far as it goes now; returns how many moved.
    pub async fn settle_changes(&self) -> Result<usize, ServerError> {
        let mut moved = 0;
        for id in db::open_changes(&self.db).await? {
            let (stepped, _) = self.settle_change(id).await?;
            moved += usize::from(stepped);
        }
        Ok(moved)
    }

    /// Moves change `id` on as far as it goes now and sends what that asks for at once (the
    /// request that made the change waits for it; the worker sends anything left).
    pub async fn settle_now(&self, id: i64) -> Result<(), ServerError> {
        // Another process (the worker) may have claimed one of its calls first: its answer is
        // waited for, within one call's limit, so the person is told where the change stands.
        let deadline = tokio::time::Instant::now() + self.outbox.policy.call_limit;
        loop {
            let (stepped, work) = self.settle_change(id).await?;
            for (kind, booking) in work {
                self.send_now(kind, booking).await?;
            }
            if stepped {
                continue;
            }
            if tokio::time::Instant::now() >= deadline || !self.call_under_way(id).await? {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Whether a call for one of change `id`'s bookings is under way now (it is open).
    async fn call_under_way(&self, id: i64) -> Result<bool, ServerError> {
        let mut tx = self.db.begin().await?;
        let Some(change) = db::change_by_id(&mut tx, id).await? else {
            return Ok(false);
        };
        drop(tx);
        if !matches!(
            change.status,
            ChangeStatus::Booking | ChangeStatus::Cancelling
        ) {
            return Ok(false);
        }
        let ids: Vec<i64> = std::iter::once(change.booking_id)
            .chain(change.parts.iter().copied())
            .collect();
        Ok(db::any_claimed(&self.db, &ids, self.clock.now()).await?)
    }

    /// One step of change `id`, if one is due: whether it moved, and the calls it asks for.
    async fn settle_change(&self, id: i64) -> Result<(bool, Vec<(Work, i64)>), ServerError> {
        // Looked at without writing first: most passes find nothing to do.
        if !self.step_due(id).await? {
            return Ok((false, Vec::new()));
        }
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        db::lock_change(&mut tx, id).await?;
        let Some(Due {
            change,
            original,
            parts,
            next,
        }) = due(&mut tx, id).await?
        else {
            return Ok((false, Vec::new()));
        };
        if !db::move_change(&mut tx, id, change.status, next, now).await? {
            // Another process moved it first.
            return Ok((false, Vec::new()));
        }
        let mut work = Vec::new();
        match next {
            ChangeStatus::Cancelling => {
                self.cancel_original(&mut tx, &change, &original, &parts, &mut work)
                    .await?;
            }
            ChangeStatus::Refused => {
                self.give_up(&mut tx, &change, &original, &parts, &mut work)
                    .await?;
            }
            ChangeStatus::Stuck => {
                let new = numbers(&change.parts);
                db::add_event(
                    &mut tx,
                    original.id,
                    now,
                    EventKind::ChangeStuck,
                    &dashboard(),
                    &format!(
                        "AURA refused to cancel this booking at the end of the change, so it holds this booking and {new}: windows may be booked twice. Cancel this booking again, or cancel {new} to go back to this one."
                    ),
                )
                .await?;
            }
            ChangeStatus::Done | ChangeStatus::Booking => {}
        }
        tx.commit().await?;
        if !work.is_empty() {
            self.outbox.wake();
        }
        Ok((true, work))
    }

    /// Whether change `id` has a step to take now (read only; the step itself checks again under
    /// the lock).
    async fn step_due(&self, id: i64) -> Result<bool, ServerError> {
        let mut tx = self.db.begin().await?;
        Ok(due(&mut tx, id).await?.is_some())
    }

    /// Every part is held by AURA: the original's cancel is asked, as the person's wish (the
    /// cancel AURA confirms is theirs), recorded by the dashboard (they were told once already).
    async fn cancel_original(
        &self,
        tx: &mut db::Tx,
        change: &Change,
        original: &Booking,
        parts: &[Booking],
        work: &mut Vec<(Work, i64)>,
    ) -> Result<(), ServerError> {
        let now = self.clock.now();
        let removed = removed_windows(original, parts, now);
        let request = CancelRequest {
            reason: &change.detail,
            by: &change.by,
            at: now,
            removed_occurrences: i64::try_from(removed).unwrap_or(i64::MAX),
        };
        let Some(status) = db::request_cancel(&mut *tx, original.id, &request).await? else {
            return Err(ServerError::internal(format!(
                "change {}: booking {} could not take its cancel",
                change.id, original.id
            )));
        };
        let held = match parts {
            [] => "No window is left to keep".to_string(),
            _ => format!("AURA holds {}", numbers(&change.parts)),
        };
        match status {
            SyncStatus::Cancelled => {
                db::add_event(
                    tx,
                    original.id,
                    now,
                    change.kind.done_event(),
                    &change_actor(change),
                    &format!(
                        "{held}, and this booking never reached AURA, so it is cancelled here: the change is done."
                    ),
                )
                .await?;
                db::move_change(
                    tx,
                    change.id,
                    ChangeStatus::Cancelling,
                    ChangeStatus::Done,
                    now,
                )
                .await?;
            }
            _ => {
                let next = match status {
                    SyncStatus::Cancelling => "sending its cancel to AURA",
                    _ => "its cancel follows once AURA's answer about it is known",
                };
                db::add_event(
                    tx,
                    original.id,
                    now,
                    cancel_wish_event(status),
                    &dashboard(),
                    &format!("{held}: {next}, as the change asked."),
                )
                .await?;
                if status == SyncStatus::Cancelling {
                    work.push((Work::Cancel, original.id));
                }
            }
        }
        Ok(())
    }

    /// A part will not be held: the original stands; every other part is cancelled (AURA may
    /// hold some of them, which would double the original's windows).
    async fn give_up(
        &self,
        tx: &mut db::Tx,
        change: &Change,
        original: &Booking,
        parts: &[Booking],
        work: &mut Vec<(Work, i64)>,
    ) -> Result<(), ServerError> {
        let now = self.clock.now();
        let why = match parts.iter().find(|p| !p.status.is_cancellable()) {
            Some(p) => format!(
                "booking #{} was {}{}",
                p.id,
                p.status.label().to_lowercase(),
                p.sync_error
                    .as_ref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ),
            None => format!(
                "this booking was {} meanwhile",
                original.status.label().to_lowercase()
            ),
        };
        let reason = format!(
            "The change of booking #{} was not carried out ({why}), so this part of it is withdrawn.",
            original.id
        );
        for part in parts.iter().filter(|p| p.status.is_cancellable()) {
            let request = CancelRequest {
                reason: &reason,
                by: &dashboard(),
                at: now,
                removed_occurrences: 0,
            };
            let Some(status) = db::request_cancel(&mut *tx, part.id, &request).await? else {
                continue;
            };
            db::add_event(
                tx,
                part.id,
                now,
                cancel_wish_event(status),
                &dashboard(),
                &reason,
            )
            .await?;
            if status == SyncStatus::Cancelling {
                work.push((Work::Cancel, part.id));
            }
        }
        db::add_event(
            tx,
            original.id,
            now,
            EventKind::ChangeRefused,
            &dashboard(),
            &format!(
                "{} was not carried out: {why}. This booking stands as it was{}.",
                change.kind.label(),
                match original.next_occurrence {
                    Some(next) =>
                        format!(" (next window {})", instant_label(next, original.zone.tz())),
                    None => String::new(),
                }
            ),
        )
        .await?;
        Ok(())
    }
}

/// The person who asked for the change, as the cancel that ends it names them.
fn change_actor(change: &Change) -> db::Actor {
    db::Actor {
        user_id: None,
        ..change.by.clone()
    }
}

/// A change with its step due now: the change, its original, its parts and where it goes next.
struct Due {
    change: Change,
    original: Booking,
    parts: Vec<Booking>,
    next: ChangeStatus,
}

/// Change `id` as stored and the step `change_step` says is due, if any.
async fn due(tx: &mut db::Tx, id: i64) -> Result<Option<Due>, ServerError> {
    let Some(change) = db::change_by_id(&mut *tx, id).await? else {
        return Ok(None);
    };
    let original = load(tx, change.booking_id).await?;
    let mut parts = Vec::with_capacity(change.parts.len());
    for part in &change.parts {
        parts.push(load(tx, *part).await?);
    }
    let statuses: Vec<SyncStatus> = parts.iter().map(|p| p.status).collect();
    Ok(
        change_step(change.status, &statuses, original.status).map(|next| Due {
            change,
            original,
            parts,
            next,
        }),
    )
}

async fn load(tx: &mut db::Tx, id: i64) -> Result<Booking, ServerError> {
    db::booking_in_scope(&mut *tx, &CustomerScope::All, id)
        .await?
        .ok_or_else(|| ServerError::internal(format!("booking {id} of a change vanished")))
}

fn numbers(ids: &[i64]) -> String {
    let list = ids
        .iter()
        .map(|i| format!("#{i}"))
        .collect::<Vec<_>>()
        .join(" and ");
    match ids.len() {
        1 => format!("its new version {list}"),
        _ => format!("the new bookings {list}"),
    }
}

/// How many of the original's windows still to open no part holds as it was (capped like every
/// count of windows).
fn removed_windows(
    original: &Booking,
    parts: &[Booking],
    now: chrono::DateTime<chrono::Utc>,
) -> usize {
    const CAP: usize = 100_000;
    let tz = original.zone.tz();
    let kept: std::collections::BTreeSet<(i64, i64)> = parts
        .iter()
        .flat_map(|p| {
            p.schedule
                .occurrences_from(p.zone.tz(), now)
                .take(CAP)
                .map(|o| (o.opens.timestamp(), o.closes.timestamp()))
                .collect::<Vec<_>>()
        })
        .collect();
    original
        .schedule
        .occurrences_from(tz, now)
        .filter(|o| o.opens > now)
        .take(CAP)
        .filter(|o| !kept.contains(&(o.opens.timestamp(), o.closes.timestamp())))
        .count()
}
