//! Changes of plans: a new version of a booking, or some of its dates skipped, carried out as new
//! bookings (the change's parts) and then the cancel of the original (see
//! `domain::lifecycle::change_step`).

use chrono::{DateTime, NaiveDate, Utc};

use super::{DbError, Ex, Inserted, StoredDate, Tx, on_db, sql};
use domain::api::Channel;
use domain::lifecycle::{ChangeKind, ChangeStatus};

/// A change as first saved.
pub struct NewChange<'a> {
    pub customer_id: i64,
    pub booking_id: i64,
    pub kind: ChangeKind,
    pub idempotency_key: &'a str,
    pub skipped: Option<(NaiveDate, NaiveDate)>,
    pub detail: &'a str,
    pub by: &'a super::Actor,
    pub at: DateTime<Utc>,
}

/// A stored change and its parts (the new bookings, in order).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub id: i64,
    pub customer_id: i64,
    /// The original.
    pub booking_id: i64,
    pub kind: ChangeKind,
    pub skipped: Option<(NaiveDate, NaiveDate)>,
    pub status: ChangeStatus,
    pub detail: String,
    pub by: super::Actor,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub parts: Vec<i64>,
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    id: i64,
    customer_id: i64,
    booking_id: i64,
    kind: ChangeKind,
    skip_from: Option<StoredDate>,
    skip_to: Option<StoredDate>,
    status: ChangeStatus,
    detail: String,
    requested_by: String,
    requested_by_user_id: Option<i64>,
    on_behalf_of: Option<String>,
    via: Channel,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl ChangeRow {
    fn with_parts(self, parts: Vec<i64>) -> Change {
        let r = self;
        Change {
            id: r.id,
            customer_id: r.customer_id,
            booking_id: r.booking_id,
            kind: r.kind,
            skipped: r.skip_from.zip(r.skip_to).map(|(f, t)| (f.0, t.0)),
            status: r.status,
            detail: r.detail,
            by: super::Actor {
                name: r.requested_by,
                user_id: r.requested_by_user_id,
                on_behalf_of: r.on_behalf_of,
                channel: r.via,
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
            parts,
        }
    }
}

/// Every `ChangeRow` column, then the rest of the statement.
macro_rules! select_changes {
    ($($rest:tt)*) => {
        concat!(
            "SELECT ch.id, ch.customer_id, ch.booking_id, ch.kind, ch.skip_from, ch.skip_to, ch.status,
                ch.detail, ch.requested_by, ch.requested_by_user_id, ch.on_behalf_of, ch.via,
                ch.created_at, ch.updated_at
             FROM booking_changes ch ",
            $($rest)*
        )
    };
}

/// The changes of `rows`, each with its parts in order.
async fn with_parts(tx: &mut Tx, rows: Vec<ChangeRow>) -> Result<Vec<Change>, DbError> {
    let mut changes = Vec::with_capacity(rows.len());
    for row in rows {
        let parts: Vec<i64> = on_db!(&mut *tx, |conn, d| sqlx::query_scalar(sql!(
            d,
            "SELECT booking_id FROM booking_change_parts WHERE change_id = ? ORDER BY position"
        ))
        .bind(row.id)
        .fetch_all(conn)
        .await?)?;
        changes.push(row.with_parts(parts));
    }
    Ok(changes)
}

/// Saves a change (or finds the one saved before under the same key).
pub async fn insert_change(tx: &mut Tx, c: &NewChange<'_>) -> Result<Inserted, DbError> {
    let (from, to) = c.skipped.unzip();
    on_db!(&mut *tx, |conn, d| {
        let id: Option<i64> = sqlx::query_scalar(sql!(
            d,
            "INSERT INTO booking_changes (customer_id, booking_id, kind, idempotency_key, skip_from,
                skip_to, status, detail, requested_by, requested_by_user_id, on_behalf_of, via,
                created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (customer_id, idempotency_key) DO NOTHING RETURNING id"
        ))
        .bind(c.customer_id)
        .bind(c.booking_id)
        .bind(c.kind)
        .bind(c.idempotency_key)
        .bind(from.map(StoredDate))
        .bind(to.map(StoredDate))
        .bind(ChangeStatus::Booking)
        .bind(c.detail)
        .bind(&c.by.name)
        .bind(c.by.user_id)
        .bind(&c.by.on_behalf_of)
        .bind(c.by.channel)
        .bind(c.at)
        .bind(c.at)
        .fetch_optional(&mut *conn)
        .await?;
        match id {
            Some(id) => Inserted::New(id),
            None => Inserted::Existing(
                sqlx::query_scalar(sql!(
                    d,
                    "SELECT id FROM booking_changes WHERE customer_id = ? AND idempotency_key = ?"
                ))
                .bind(c.customer_id)
                .bind(c.idempotency_key)
                .fetch_one(&mut *conn)
                .await?,
            ),
        }
    })
}

/// Records a new booking as part `position` of a change, in the line of versions of `lineage`.
pub async fn add_part(
    tx: &mut Tx,
    change_id: i64,
    booking_id: i64,
    position: i64,
    lineage: Option<i64>,
) -> Result<(), DbError> {
    on_db!(&mut *tx, |conn, d| {
        sqlx::query(sql!(
            d,
            "INSERT INTO booking_change_parts (change_id, booking_id, position) VALUES (?, ?, ?)"
        ))
        .bind(change_id)
        .bind(booking_id)
        .bind(position)
        .execute(&mut *conn)
        .await?;
        sqlx::query(sql!(d, "UPDATE bookings SET lineage_id = ? WHERE id = ?"))
            .bind(lineage)
            .bind(booking_id)
            .execute(&mut *conn)
            .await?;
    })?;
    Ok(())
}

pub async fn change_by_id(tx: &mut Tx, id: i64) -> Result<Option<Change>, DbError> {
    let row = on_db!(&mut *tx, |conn, d| sqlx::query_as::<_, ChangeRow>(sql!(
        d,
        select_changes!("WHERE ch.id = ?")
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)?;
    Ok(with_parts(tx, row.into_iter().collect()).await?.pop())
}

/// The changes a booking is part of: as the original, or as one of the new bookings; oldest
/// first.
pub async fn changes_of_booking(tx: &mut Tx, booking_id: i64) -> Result<Vec<Change>, DbError> {
    let rows = on_db!(&mut *tx, |conn, d| sqlx::query_as::<_, ChangeRow>(sql!(
        d,
        select_changes!(
            "WHERE ch.booking_id = ? OR ch.id IN
                (SELECT change_id FROM booking_change_parts WHERE booking_id = ?) ORDER BY ch.id"
        )
    ))
    .bind(booking_id)
    .bind(booking_id)
    .fetch_all(conn)
    .await?)?;
    with_parts(tx, rows).await
}

/// The open change a booking is the original or a new booking of, if any.
pub async fn open_change_of(tx: &mut Tx, booking_id: i64) -> Result<Option<Change>, DbError> {
    let open = changes_of_booking(tx, booking_id).await?;
    Ok(open.into_iter().find(|c| c.status.is_open()))
}

/// The changes the dashboard still has work for (or that wait for a person), oldest first.
pub async fn open_changes(ex: impl Into<Ex<'_>>) -> Result<Vec<i64>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_scalar(sql!(
        d,
        "SELECT id FROM booking_changes WHERE status IN (?, ?, ?) ORDER BY id"
    ))
    .bind(ChangeStatus::OPEN[0])
    .bind(ChangeStatus::OPEN[1])
    .bind(ChangeStatus::OPEN[2])
    .fetch_all(conn)
    .await?)
}

/// Moves a change from `from` to `to`; `false` when another process moved it first.
pub async fn move_change(
    tx: &mut Tx,
    id: i64,
    from: ChangeStatus,
    to: ChangeStatus,
    at: DateTime<Utc>,
) -> Result<bool, DbError> {
    let moved = on_db!(&mut *tx, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE booking_changes SET status = ?, updated_at = ? WHERE id = ? AND status = ?"
    ))
    .bind(to)
    .bind(at)
    .bind(id)
    .bind(from)
    .execute(conn)
    .await?
    .rows_affected())?;
    Ok(moved == 1)
}

/// The kind of change whose last step is cancelling booking `booking_id`, if one is: its cancel
/// is recorded as that change (`ChangeKind::done_event`), not as a cancellation.
pub async fn ending_of(tx: &mut Tx, booking_id: i64) -> Result<Option<ChangeKind>, DbError> {
    on_db!(&mut *tx, |conn, d| sqlx::query_scalar(sql!(
        d,
        "SELECT kind FROM booking_changes WHERE booking_id = ? AND status IN (?, ?)"
    ))
    .bind(booking_id)
    .bind(ChangeStatus::Cancelling)
    .bind(ChangeStatus::Stuck)
    .fetch_optional(conn)
    .await?)
}

/// Takes change `id` for writing before anything is read: on SQLite the write lock (a transaction
/// that reads, then writes, could otherwise fail to upgrade when another process wrote
/// meanwhile), on PostgreSQL its row. Concurrent steps of one change wait for each other.
pub async fn lock_change(tx: &mut Tx, id: i64) -> Result<(), DbError> {
    on_db!(&mut *tx, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE booking_changes SET id = id WHERE id = ?"
    ))
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected())?;
    Ok(())
}
