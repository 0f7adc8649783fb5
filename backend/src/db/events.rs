//! What happened to a booking, in order: the history shown on its page.

use chrono::{DateTime, Utc};

use super::{DbError, Ex, on_db, sql};
use domain::model::EventKind;

/// Who did something: a signed-in person (and the customer they acted for, when acting on a
/// customer's behalf), or the system ("AURA", "Dashboard").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub user_id: Option<i64>,
    pub on_behalf_of: Option<String>,
}

impl Actor {
    pub fn system(name: &str) -> Actor {
        Actor {
            name: name.to_string(),
            user_id: None,
            on_behalf_of: None,
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

pub async fn add_event(
    ex: impl Into<Ex<'_>>,
    booking_id: i64,
    at: DateTime<Utc>,
    kind: EventKind,
    actor: &Actor,
    detail: &str,
) -> Result<(), DbError> {
    on_db!(ex, |conn, d| {
        sqlx::query(sql!(d, "INSERT INTO booking_events (booking_id, at, kind, actor, actor_user_id, on_behalf_of, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?)"))
    .bind(booking_id)
    .bind(at)
    .bind(kind)
    .bind(&actor.name)
    .bind(actor.user_id)
    .bind(&actor.on_behalf_of)
    .bind(detail)
    .execute(conn).await?.rows_affected()
    })?;
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
