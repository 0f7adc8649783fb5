//! Changing plans: a new version of a booking (any field), or some of its dates skipped. AURA has
//! no update and no per-occurrence cancel, so each is carried out as new bookings (the change's
//! parts: sent first) and then the cancel of the original (once AURA holds every part), tracked
//! as one change (`domain::lifecycle::ChangeStatus`). The sending worker moves it on
//! (`outbox::Sender::settle_change`); a person is told when it cannot be carried out.

use chrono::{DateTime, NaiveDate, Utc};

use super::book::{check_booking_rate, prepare};
use super::{booking_for, changed_meanwhile, unknown_site};
use crate::auth::Viewer;
use crate::db::{self, Actor, Booking, Inserted, NewBooking, NewChange};
use crate::error::ServerError;
use crate::present::{date_label, instant_label, window_label};
use crate::state::AppState;
use domain::error::AppError;
use domain::lifecycle::{ChangeKind, EventKind, SAVE};
use domain::model::{BookingStart, Outcome, SkipPreview, SyncStatus};
use domain::plan::{
    MAX_SKIP_DAYS, PlanRefusal, REBOOK_MARGIN_MINUTES, Span, plan_change, plan_skip,
};
use domain::{BookingDraft, Field, FieldErrors, read_iso_date};

/// What a change of plans may start from: a booking AURA holds, or one known never to have
/// reached it, with no cancel asked and no other change under way.
async fn changeable(state: &AppState, original: &Booking) -> Result<(), ServerError> {
    let refuse = |m: &str| -> Result<(), ServerError> { Err(AppError::Conflict(m.into()).into()) };
    if original.cancellation.is_some() {
        return refuse("This booking is cancelled (or being cancelled), so it cannot be changed.");
    }
    match original.status {
        SyncStatus::Confirmed | SyncStatus::Saved | SyncStatus::NotSent | SyncStatus::Lapsed => {}
        SyncStatus::Sending => {
            return refuse(
                "This booking is being sent to AURA right now. Try again in a moment, once AURA has answered.",
            );
        }
        SyncStatus::Unknown => {
            return refuse(
                "Whether AURA has this booking is not known yet. Once someone has checked with AURA, it can be changed.",
            );
        }
        SyncStatus::Rejected => {
            return refuse("AURA refused this booking, so there is nothing to change: book again.");
        }
        SyncStatus::Cancelling | SyncStatus::Cancelled => {
            return refuse(
                "This booking is cancelled (or being cancelled), so it cannot be changed.",
            );
        }
    }
    let mut tx = state.db.begin().await?;
    if let Some(open) = db::open_change_of(&mut tx, original.id).await? {
        return Err(AppError::Conflict(format!(
            "A change of this booking is under way ({}). Wait until it is done.",
            open.status.label().to_lowercase()
        ))
        .into());
    }
    Ok(())
}

fn refusal(r: PlanRefusal, original: &Booking) -> ServerError {
    AppError::Conflict(r.message(|at| instant_label(at, original.zone.tz()))).into()
}

/// The form for changing a booking: the booking page's form, filled in from it, starting at its
/// next window that can still be booked again.
pub async fn change_form(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    now: DateTime<Utc>,
) -> Result<BookingStart, ServerError> {
    let original = booking_for(state, viewer, id).await?;
    changeable(state, &original).await?;
    let BookingStart::Ready(mut form) =
        super::book::form_data(state, viewer, Some(id), now).await?
    else {
        return Err(AppError::Conflict("Choose the customer this is for first.".into()).into());
    };
    let tz = original.zone.tz();
    let cutoff = now + chrono::Duration::minutes(REBOOK_MARGIN_MINUTES);
    let next = original
        .schedule
        .occurrences_from(tz, cutoff)
        .find(|o| o.opens > cutoff);
    if let Some(draft) = form.prefill.as_mut() {
        let today = now.with_timezone(tz).date_naive();
        let first = next.map_or(today, |o| o.local_date).max(today);
        draft.first_date = domain::iso_date(first);
        draft.last_date = domain::iso_date(original.last_date.max(first));
        draft.unlock_time.clear();
    }
    form.prefill_note = Some(format!(
        "Changing booking #{} ({}). Every field is as booked; the first date is its next window. Windows before the first date you choose stay as they are. AURA has no update, so the new version is booked first and this booking is cancelled once AURA holds it: cover has no gap.",
        original.id, original.name
    ));
    form.changing = Some(original.id);
    Ok(BookingStart::Ready(form))
}

/// A new booking with the original's every field, over the dates of `span`.
fn part_of(original: &Booking, span: Span, key: String, by: Option<i64>) -> NewBooking {
    NewBooking {
        customer_id: original.customer.id,
        site_id: original.site.as_ref().map(|s| s.id),
        idempotency_key: key,
        service_type: original.service_type,
        name: original.name.clone(),
        special_instructions: original.special_instructions.clone(),
        number_of_guards: original.number_of_guards,
        armed_preference: original.armed_preference,
        contacts: original.contacts.clone(),
        location: original.location.clone(),
        zone: original.zone,
        first_date: span.first_date,
        last_date: span.last_date,
        schedule: span.schedule(&original.schedule, original.zone.tz()),
        created_by_user_id: by,
        pair_role: None,
    }
}

/// One new booking of a change, with the line of versions it continues (`None`: its own).
struct Part {
    new: NewBooking,
    lineage: Option<i64>,
    saved: String,
}

/// A change of plans ready to save.
struct Planned<'a> {
    original: &'a Booking,
    kind: ChangeKind,
    key: &'a str,
    skipped: Option<(NaiveDate, NaiveDate)>,
    detail: String,
    actor: Actor,
    parts: Vec<Part>,
}

/// Saves the change, its parts and their history together; then sends the parts at once and
/// moves the change on as far as AURA's answers allow.
async fn carry_out(
    state: &AppState,
    planned: Planned<'_>,
    now: DateTime<Utc>,
) -> Result<Outcome, ServerError> {
    let original = planned.original;
    let mut tx = state.db.begin().await?;
    db::lock_customer(&mut tx, original.customer.id).await?;
    let inserted = db::insert_change(
        &mut tx,
        &NewChange {
            customer_id: original.customer.id,
            booking_id: original.id,
            kind: planned.kind,
            idempotency_key: planned.key,
            skipped: planned.skipped,
            detail: &planned.detail,
            by: &planned.actor,
            at: now,
        },
    )
    .await;
    let change_id = match inserted {
        Ok(Inserted::New(id)) => id,
        // The same form again: report the change it made.
        Ok(Inserted::Existing(id)) => {
            drop(tx);
            return outcome_of(state, id).await;
        }
        // Another change of this booking was saved meanwhile (one open change per booking).
        Err(db::DbError::Sqlx(e))
            if e.as_database_error()
                .is_some_and(|d| d.is_unique_violation()) =>
        {
            return Err(changed_meanwhile());
        }
        Err(e) => return Err(e.into()),
    };
    // The person's own entry; each part's is the dashboard's (one notice per change, not per part).
    let quiet = Actor {
        user_id: None,
        ..planned.actor.clone()
    };
    for (position, part) in planned.parts.iter().enumerate() {
        let Inserted::New(id) = db::insert_booking(&mut tx, &part.new, now).await? else {
            return Err(ServerError::internal(format!(
                "a part of change {change_id} was saved before"
            )));
        };
        if let Some(site) = part.new.site_id
            && planned.kind == ChangeKind::Change
            && position + 1 == planned.parts.len()
            && db::site_is_retired(&mut tx, site).await?
        {
            return Err(unknown_site().into());
        }
        db::add_part(
            &mut tx,
            change_id,
            id,
            i64::try_from(position).unwrap_or(i64::MAX),
            part.lineage,
        )
        .await?;
        db::add_event(&mut tx, id, now, SAVE.1, &quiet, &part.saved).await?;
    }
    check_booking_rate(&mut tx, state, original.customer.id, now).await?;
    let asked = format!(
        "{} Carried out as {}, then the cancel of this booking once AURA holds {}.",
        planned.detail,
        match planned.parts.len() {
            0 => "nothing new (no window is left to keep)".to_string(),
            1 => "one new booking".to_string(),
            n => format!("{n} new bookings"),
        },
        if planned.parts.len() > 1 {
            "them all"
        } else {
            "it"
        }
    );
    db::add_event(
        &mut tx,
        original.id,
        now,
        EventKind::ChangeAsked,
        &planned.actor,
        &asked,
    )
    .await?;
    tx.commit().await?;
    let sender = state.sender();
    let mut tx = state.db.begin().await?;
    let change = db::change_by_id(&mut tx, change_id).await?;
    drop(tx);
    for part in change.map(|c| c.parts).unwrap_or_default() {
        if let Err(e) = sender.send_now(db::Work::Create, part).await {
            let _ = e.reported();
        }
    }
    if let Err(e) = sender.settle_now(change_id).await {
        // Saved: the worker moves it on.
        let _ = e.reported();
        state.outbox.wake();
    }
    outcome_of(state, change_id).await
}

async fn outcome_of(state: &AppState, change_id: i64) -> Result<Outcome, ServerError> {
    let mut tx = state.db.begin().await?;
    let change = db::change_by_id(&mut tx, change_id)
        .await?
        .ok_or_else(|| ServerError::internal(format!("change {change_id} vanished")))?;
    Ok(Outcome::ChangeAsked {
        change_id: change.id,
        kind: change.kind,
        status: change.status,
        parts: change.parts,
    })
}

/// Changes booking `id` to the version `draft` describes (every rule of a new booking applies):
/// the new version is booked, with the original's windows still to open before its first date
/// kept as a booking of their own, then the original is cancelled.
pub async fn change_booking(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    draft: &BookingDraft,
    now: DateTime<Utc>,
) -> Result<Outcome, ServerError> {
    let original = booking_for(state, viewer, id).await?;
    let draft = BookingDraft {
        customer_id: Some(original.customer.id),
        // A change makes one booking; a lock's unlock is changed on its own page.
        unlock_time: String::new(),
        ..draft.clone()
    };
    let prepared = prepare(state, viewer, &draft, now).await?;
    changeable(state, &original).await?;
    let tz = original.zone.tz();
    let keep = plan_change(&original.schedule, tz, prepared.new.first_date, now)
        .map_err(|r| refusal(r, &original))?;
    let key = draft.idempotency_key.trim();
    let by = viewer.person();
    let mut parts = Vec::new();
    if let Some((span, count)) = keep {
        parts.push(Part {
            new: part_of(&original, span, format!("{key}/keep"), by),
            lineage: Some(original.lineage),
            saved: format!(
                "Saved in the dashboard as the windows of booking #{} kept before its change ({count}, {} to {}); to be sent to AURA.",
                original.id,
                date_label(span.first_date),
                date_label(span.last_date)
            ),
        });
    }
    let new = NewBooking {
        idempotency_key: format!("{key}/new"),
        pair_role: None,
        ..prepared.new
    };
    // The same windows keep their calendar entries: same zone, start and length.
    let same_windows = new.zone == original.zone
        && new.schedule.start_time == original.schedule.start_time
        && new.schedule.window_minutes == original.schedule.window_minutes;
    let detail = describe_change(&original, &new);
    parts.push(Part {
        lineage: same_windows.then_some(original.lineage),
        saved: format!(
            "Saved in the dashboard as the new version of booking #{}; to be sent to AURA.",
            original.id
        ),
        new,
    });
    carry_out(
        state,
        Planned {
            original: &original,
            kind: ChangeKind::Change,
            key,
            skipped: None,
            detail,
            actor: prepared.actor,
            parts,
        },
        now,
    )
    .await
}

/// What a change does, in words: the fields it changes.
fn describe_change(old: &Booking, new: &NewBooking) -> String {
    let mut said = Vec::new();
    let mut differ = |what: &str, was: String, now: String| {
        if was != now {
            said.push(format!("{what} {was} → {now}"));
        }
    };
    differ("name", old.name.clone(), new.name.clone());
    differ(
        "instructions",
        old.special_instructions.clone().unwrap_or_default(),
        new.special_instructions.clone().unwrap_or_default(),
    );
    differ(
        "guards",
        old.number_of_guards.to_string(),
        new.number_of_guards.to_string(),
    );
    differ(
        "armed preference",
        old.armed_preference.label().to_string(),
        new.armed_preference.label().to_string(),
    );
    let contacts = |c: &[domain::Contact]| {
        c.iter()
            .map(|c| format!("{} {}", c.name, c.mobile))
            .collect::<Vec<_>>()
            .join(", ")
    };
    differ("contacts", contacts(&old.contacts), contacts(&new.contacts));
    differ(
        "site",
        old.site
            .as_ref()
            .map_or("a location".into(), |s| format!("site #{}", s.id)),
        new.site_id
            .map_or("a location".into(), |s| format!("site #{s}")),
    );
    differ(
        "place",
        format!("{:?}", old.location),
        format!("{:?}", new.location),
    );
    differ("zone", old.zone.name().into(), new.zone.name().into());
    differ(
        "dates",
        format!(
            "{} to {}",
            date_label(old.first_date),
            date_label(old.last_date)
        ),
        format!(
            "{} to {}",
            date_label(new.first_date),
            date_label(new.last_date)
        ),
    );
    differ(
        "repeat",
        repeat_words(&old.schedule.repeat),
        repeat_words(&new.schedule.repeat),
    );
    differ(
        "start time",
        domain::format_start_time(old.schedule.start_time),
        domain::format_start_time(new.schedule.start_time),
    );
    differ(
        "window",
        format!("{} min", old.schedule.window_minutes),
        format!("{} min", new.schedule.window_minutes),
    );
    if said.is_empty() {
        "Changed: booked again as it was.".into()
    } else {
        format!("Changed: {}.", said.join("; "))
    }
}

fn repeat_words(repeat: &domain::Repeat) -> String {
    match repeat {
        domain::Repeat::Single => "once".into(),
        domain::Repeat::Daily => "daily".into(),
        domain::Repeat::Weekly(days) => format!(
            "weekly on {}",
            days.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The dates of a skip as typed, each problem at its field.
fn skip_range(from: &str, to: &str) -> Result<(NaiveDate, NaiveDate), ServerError> {
    let mut errors = FieldErrors::default();
    let from_date = read_iso_date(from.trim());
    let to_date = if to.trim().is_empty() {
        from_date
    } else {
        read_iso_date(to.trim())
    };
    if from_date.is_none() {
        errors.insert(
            Field::SkipFrom,
            "Enter the first date to skip as YYYY-MM-DD.",
        );
    }
    if to_date.is_none() {
        errors.insert(
            Field::SkipTo,
            "Enter the last date to skip as YYYY-MM-DD (or leave it empty to skip one date).",
        );
    }
    let (Some(from), Some(to)) = (from_date, to_date) else {
        return Err(errors.into());
    };
    if to < from {
        return Err(
            FieldErrors::one(Field::SkipTo, "The last date to skip is before the first.").into(),
        );
    }
    if (to - from).num_days() >= MAX_SKIP_DAYS {
        return Err(FieldErrors::one(
            Field::SkipTo,
            format!("One skip covers at most {MAX_SKIP_DAYS} days."),
        )
        .into());
    }
    Ok((from, to))
}

/// What skipping `from..=to` of booking `id` would do, without doing it.
pub async fn skip_preview(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    from: &str,
    to: &str,
    now: DateTime<Utc>,
) -> Result<SkipPreview, ServerError> {
    let original = booking_for(state, viewer, id).await?;
    let (from, to) = skip_range(from, to)?;
    changeable(state, &original).await?;
    let tz = original.zone.tz();
    let plan =
        plan_skip(&original.schedule, tz, from, to, now).map_err(|r| refusal(r, &original))?;
    const SHOWN: usize = 60;
    let windows = |o: &domain::Occurrence| {
        format!(
            "{}, {}",
            date_label(o.local_date),
            window_label(o.opens, o.closes, tz)
        )
    };
    let mut steps: Vec<String> = plan
        .parts
        .iter()
        .map(|p| {
            let count = p.schedule(&original.schedule, tz).occurrences(tz).count();
            format!(
                "Book {} to {} with AURA as a new booking ({count} window{}), exactly as booked now.",
                date_label(p.first_date),
                date_label(p.last_date),
                if count == 1 { "" } else { "s" }
            )
        })
        .collect();
    steps.push(match &original.aura_id {
        Some(aura_id) if original.status == SyncStatus::Confirmed => format!(
            "Then cancel this booking at AURA (AURA id {aura_id}), once AURA holds {}.",
            if plan.parts.is_empty() {
                "nothing else: no window is left to keep"
            } else {
                "the new bookings"
            }
        ),
        _ => "Then cancel this booking here: it has not reached AURA.".to_string(),
    });
    Ok(SkipPreview {
        booking_id: original.id,
        from: domain::iso_date(from),
        to: domain::iso_date(to),
        skipped: plan.skipped.iter().take(SHOWN).map(windows).collect(),
        skipped_count: plan.skipped.len(),
        kept_count: plan.kept,
        steps,
        pair: original
            .pair
            .and_then(|p| p.other.map(|o| (p.role.other(), o))),
        zone: original.zone.name().to_string(),
        form_key: uuid::Uuid::new_v4().simple().to_string(),
    })
}

/// A skip as asked: the dates as typed, the form's key (a repeat skips once), and whether the
/// other half of a lock/unlock pair skips the same nights.
#[derive(Debug, Clone, Copy)]
pub struct SkipAsk<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub key: &'a str,
    pub also_pair: bool,
}

/// Skips local dates `from..=to` of booking `id` (and, when asked, the same nights of the other
/// half of its lock/unlock pair): the windows still to open before and after are booked again
/// as they are, then the original is cancelled.
pub async fn skip_dates(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    ask: &SkipAsk<'_>,
    now: DateTime<Utc>,
) -> Result<Outcome, ServerError> {
    let SkipAsk {
        from,
        to,
        key,
        also_pair,
    } = *ask;
    let (from_date, to_date) = skip_range(from, to)?;
    let key = key.trim();
    if key.is_empty()
        || key.chars().count() > 100
        || !key.chars().all(|c| c.is_ascii_graphic() && c != '/')
    {
        return Err(AppError::Conflict(
            "This form has expired. Reload the page and submit again.".into(),
        )
        .into());
    }
    let original = booking_for(state, viewer, id).await?;
    let first = skip_one(state, viewer, &original, from_date, to_date, key, now).await?;
    let other = original
        .pair
        .filter(|_| also_pair)
        .and_then(|p| p.other.map(|o| (p.role, o)));
    let Some((role, other)) = other else {
        return Ok(first);
    };
    // The other half's windows are the next morning's (unlock) or the evening before (lock).
    let shift = |d: NaiveDate| match role {
        domain::PairRole::Lock => d.succ_opt(),
        domain::PairRole::Unlock => d.pred_opt(),
    };
    let (Some(f), Some(t)) = (shift(from_date), shift(to_date)) else {
        return Ok(first);
    };
    let other = booking_for(state, viewer, other).await?;
    let also = match skip_one(state, viewer, &other, f, t, &format!("{key}/pair"), now).await {
        Ok(also) => Ok(Box::new(also)),
        Err(ServerError::User(e)) => Err(e),
        Err(e) => return Err(e),
    };
    Ok(Outcome::PairCancelled {
        first: Box::new(first),
        role: role.other(),
        other: other.id,
        also,
    })
}

async fn skip_one(
    state: &AppState,
    viewer: &Viewer,
    original: &Booking,
    from: NaiveDate,
    to: NaiveDate,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, ServerError> {
    changeable(state, original).await?;
    let tz = original.zone.tz();
    let plan =
        plan_skip(&original.schedule, tz, from, to, now).map_err(|r| refusal(r, original))?;
    let by = viewer.person();
    let parts = plan
        .parts
        .iter()
        .enumerate()
        .map(|(i, span)| Part {
            new: part_of(original, *span, format!("{key}/{}", i + 1), by),
            lineage: Some(original.lineage),
            saved: format!(
                "Saved in the dashboard as the windows of booking #{} kept around a skip ({} to {}); to be sent to AURA.",
                original.id,
                date_label(span.first_date),
                date_label(span.last_date)
            ),
        })
        .collect();
    let detail = if from == to {
        format!(
            "Skipped {} ({} window).",
            date_label(from),
            plan.skipped.len()
        )
    } else {
        format!(
            "Skipped {} to {} ({} window{}).",
            date_label(from),
            date_label(to),
            plan.skipped.len(),
            if plan.skipped.len() == 1 { "" } else { "s" }
        )
    };
    carry_out(
        state,
        Planned {
            original,
            kind: ChangeKind::Skip,
            key,
            skipped: Some((from, to)),
            detail,
            actor: viewer.actor_for(&original.customer.name),
            parts,
        },
        now,
    )
    .await
}
