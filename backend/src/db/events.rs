//! What happened to a booking, in order: the history shown on its page.

use chrono::{DateTime, Utc};

use super::{CustomerScope, DbError, Ex, Tx, on_db, sql};
use domain::api::{Channel, HookEvent};
use domain::model::EventKind;
use domain::notify::Notice;

/// Who did something: a signed-in person (and the customer they acted for, when acting on a
/// customer's behalf), an API key, or the system ("AURA", "Dashboard"); and through which door.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub user_id: Option<i64>,
    pub on_behalf_of: Option<String>,
    pub channel: Channel,
}

impl Actor {
    pub fn system(name: &str) -> Actor {
        Actor {
            name: name.to_string(),
            user_id: None,
            on_behalf_of: None,
            channel: Channel::Worker,
        }
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub booking_id: i64,
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub actor: String,
    pub on_behalf_of: Option<String>,
    pub detail: String,
}

/// Records a history entry, and in the same transaction the notices it gives (see
/// `domain::notify`) and the webhooks it sends (see `domain::api::HookEvent`): everyone who must
/// hear of it has it in their inbox, with its mail written, and every endpoint that takes it has
/// its delivery written, before the change that causes it is committed.
pub async fn add_event(
    tx: &mut Tx,
    booking_id: i64,
    at: DateTime<Utc>,
    kind: EventKind,
    actor: &Actor,
    detail: &str,
) -> Result<(), DbError> {
    let event_id: i64 = on_db!(&mut *tx, |conn, d| {
        sqlx::query_scalar(sql!(d, "INSERT INTO booking_events (booking_id, at, kind, actor, actor_user_id, on_behalf_of, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"))
    .bind(booking_id)
    .bind(at)
    .bind(kind)
    .bind(&actor.name)
    .bind(actor.user_id)
    .bind(&actor.on_behalf_of)
    .bind(detail)
    .fetch_one(conn).await?
    })?;
    if HookEvent::may_follow(kind) {
        super::enqueue_hooks(tx, event_id, booking_id, kind, actor, at).await?;
    }
    // Someone acted: a person, or a customer's own system through its API key (not the worker).
    let by_person = actor.user_id.is_some() || actor.channel == Channel::Api;
    let on_behalf = actor.on_behalf_of.is_some();
    if Notice::for_event(kind, by_person, on_behalf, true).is_empty() {
        return Ok(());
    }
    let Some(booking) = super::booking_in_scope(&mut *tx, &CustomerScope::All, booking_id).await?
    else {
        return Ok(());
    };
    let late = matches!(
        kind,
        EventKind::CancelRequested | EventKind::CancelledLocally
    ) && booking.schedule.is_late_cancel(booking.zone.tz(), at);
    for notice in Notice::for_event(kind, by_person, on_behalf, late) {
        super::write_notice(
            tx,
            &super::NewNotice {
                notice,
                customer_id: Some(booking.customer.id),
                booking_id: Some(booking_id),
                event_id: Some(event_id),
                detail,
                actor_user_id: actor.user_id,
                at,
            },
        )
        .await?;
    }
    Ok(())
}

pub async fn events_of_booking(
    ex: impl Into<Ex<'_>>,
    booking_id: i64,
) -> Result<Vec<EventRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, EventRow>(sql!(
        d,
        "SELECT id, booking_id, at, kind, actor, on_behalf_of, detail FROM booking_events
         WHERE booking_id = ? ORDER BY id"
    ))
    .bind(booking_id)
    .fetch_all(conn)
    .await?)
}
