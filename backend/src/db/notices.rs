//! Notices (`notifications`): each person's inbox, written in the transaction of the history entry
//! that causes it, with its mail (`mail_outbox`) when the person wants it at once. Who receives
//! what is `domain::notify`'s rule; quiet hours are applied here, when the mail is written.

use std::str::FromStr;

use chrono::{DateTime, NaiveTime, Utc};

use super::{BindExt, CustomerScope, DbError, Ex, Tx, in_scope, on_db, sql};
use crate::zone::Zone;
use domain::model::{EventKind, Role};
use domain::notify::{Delivery, Notice, QuietHours};

/// A person a notice may go to, with how they want to hear of it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Receiver {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// Their own zone, else their customer's.
    pub timezone: Option<String>,
    pub quiet_from: Option<i64>,
    pub quiet_to: Option<i64>,
    /// Their choice for this notice; `None`: the default (at once).
    pub delivery: Option<Delivery>,
}

impl Receiver {
    /// When a mail due at `due` may go out, by their quiet hours.
    pub fn release(&self, due: DateTime<Utc>) -> DateTime<Utc> {
        match quiet_hours(self.quiet_from, self.quiet_to) {
            Some(quiet) => quiet.release(zone_of(self.timezone.as_deref()).tz(), due),
            None => due,
        }
    }
}

/// A person's zone as stored, UTC when none is set (or it is one this build does not know).
pub fn zone_of(name: Option<&str>) -> Zone {
    name.and_then(|n| Zone::from_str(n).ok())
        .unwrap_or(Zone::UTC)
}

/// Quiet hours as stored (minutes after midnight), when both ends are set.
pub fn quiet_hours(from: Option<i64>, to: Option<i64>) -> Option<QuietHours> {
    let time = |m: i64| {
        let m = u32::try_from(m).ok()?;
        NaiveTime::from_hms_opt(m / 60, m % 60, 0)
    };
    Some(QuietHours {
        from: time(from?)?,
        to: time(to?)?,
    })
}

/// One notice to write: what, about which booking (and entry), for whose customer, and who caused
/// it (never told of their own act).
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotice<'a> {
    pub notice: Notice,
    pub customer_id: Option<i64>,
    pub booking_id: Option<i64>,
    pub event_id: Option<i64>,
    pub detail: &'a str,
    pub actor_user_id: Option<i64>,
    pub at: DateTime<Utc>,
}

/// Writes `notice` for everyone it reaches (enabled people of the roles it names: the customer's
/// own users, its account managers, administrators), each with a mail when they want it at once.
/// Returns how many people it reached.
pub async fn write_notice(tx: &mut Tx, new: &NewNotice<'_>) -> Result<usize, DbError> {
    let receivers = receivers(&mut *tx, new.notice, new.customer_id).await?;
    let mut reached = 0;
    for r in receivers
        .iter()
        .filter(|r| new.notice.reaches(r.role) && Some(r.id) != new.actor_user_id)
    {
        let id: Option<i64> = on_db!(&mut *tx, |conn, d| sqlx::query_scalar(sql!(
            d,
            "INSERT INTO notifications (user_id, notice, booking_id, event_id, detail, created_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT DO NOTHING RETURNING id"
        ))
        .bind(r.id)
        .bind(new.notice)
        .bind(new.booking_id)
        .bind(new.event_id)
        .bind(new.detail)
        .bind(new.at)
        .fetch_optional(conn)
        .await?)?;
        let Some(id) = id else { continue };
        reached += 1;
        if r.delivery.unwrap_or(Delivery::Instant) == Delivery::Instant {
            super::enqueue_mail(
                &mut *tx,
                &super::NewMail {
                    user_id: r.id,
                    to: &r.email,
                    kind: super::MailKind::Notice,
                    notification_id: Some(id),
                    reset_id: None,
                    digest_date: None,
                    message_key: &format!("notice-{id}"),
                    token: None,
                    due: r.release(new.at),
                    at: new.at,
                },
            )
            .await?;
        }
    }
    Ok(reached)
}

/// The enabled people `notice` may reach for customer `customer_id` (none: administrators only),
/// with their choice for it.
async fn receivers(
    ex: impl Into<Ex<'_>>,
    notice: Notice,
    customer_id: Option<i64>,
) -> Result<Vec<Receiver>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, Receiver>(sql!(
        d,
        "SELECT u.id, u.email, u.role, COALESCE(u.timezone, c.default_timezone) AS timezone,
            u.quiet_from, u.quiet_to, p.delivery
         FROM users u
         LEFT JOIN customers c ON c.id = u.customer_id
         LEFT JOIN notification_prefs p ON p.user_id = u.id AND p.notice = ?
         WHERE u.disabled_at IS NULL
           AND (u.role = 'admin'
             OR (u.role = 'customer' AND u.customer_id = ?)
             OR (u.role = 'account_manager' AND EXISTS (
                   SELECT 1 FROM account_manager_customers a
                   WHERE a.user_id = u.id AND a.customer_id = ?)))
         ORDER BY u.id"
    ))
    .bind(notice)
    .bind(customer_id)
    .bind(customer_id)
    .fetch_all(conn)
    .await?)
}

/// One entry of a person's inbox.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct InboxRow {
    pub id: i64,
    pub notice: Notice,
    pub booking_id: Option<i64>,
    pub booking_name: Option<String>,
    pub customer_name: Option<String>,
    pub detail: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    /// The history entry that gave it, and who made it.
    pub event_kind: Option<EventKind>,
    pub actor: Option<String>,
}

macro_rules! select_inbox {
    ($($rest:tt)*) => {
        concat!(
            "SELECT n.id, n.notice, n.booking_id, b.name AS booking_name, c.name AS customer_name,
                n.detail, n.created_at, n.read_at, e.kind AS event_kind, e.actor AS actor
             FROM notifications n
             LEFT JOIN bookings b ON b.id = n.booking_id
             LEFT JOIN customers c ON c.id = b.customer_id
             LEFT JOIN booking_events e ON e.id = n.event_id ",
            $($rest)*
        )
    };
}

/// A page of a person's inbox, newest first: `limit` entries with ids below `before` (all when
/// `None`).
pub async fn inbox(
    ex: impl Into<Ex<'_>>,
    user_id: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<InboxRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, InboxRow>(sql!(
        d,
        select_inbox!("WHERE n.user_id = ? AND (? IS NULL OR n.id < ?) ORDER BY n.id DESC LIMIT ?")
    ))
    .bind(user_id)
    .bind(before)
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// One notice as its mail tells it.
pub async fn notice_by_id(ex: impl Into<Ex<'_>>, id: i64) -> Result<Option<InboxRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, InboxRow>(sql!(
        d,
        select_inbox!("WHERE n.id = ?")
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// A person's notices in `[from, to)`, oldest first (the digest's "what changed").
pub async fn notices_between(
    ex: impl Into<Ex<'_>>,
    user_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<InboxRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, InboxRow>(sql!(
        d,
        select_inbox!(
            "WHERE n.user_id = ? AND n.created_at >= ? AND n.created_at < ? ORDER BY n.id LIMIT 500"
        )
    ))
    .bind(user_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

pub async fn count_unread(ex: impl Into<Ex<'_>>, user_id: i64) -> Result<i64, DbError> {
    on_db!(ex, |conn, d| sqlx::query_scalar(sql!(
        d,
        "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL"
    ))
    .bind(user_id)
    .fetch_one(conn)
    .await?)
}

/// Marks one of a person's notices read (`Some(id)`), or all of them; returns how many changed.
pub async fn mark_read(
    ex: impl Into<Ex<'_>>,
    user_id: i64,
    id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE notifications SET read_at = ?
         WHERE user_id = ? AND read_at IS NULL AND (? IS NULL OR id = ?)"
    ))
    .bind(now)
    .bind(user_id)
    .bind(id)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// A person's choices, one per notice they changed from the default.
pub async fn preferences(
    ex: impl Into<Ex<'_>>,
    user_id: i64,
) -> Result<Vec<(Notice, Delivery)>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as(sql!(
        d,
        "SELECT notice, delivery FROM notification_prefs WHERE user_id = ? ORDER BY notice"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

pub async fn set_preference(
    ex: impl Into<Ex<'_>>,
    user_id: i64,
    notice: Notice,
    delivery: Delivery,
) -> Result<(), DbError> {
    on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "INSERT INTO notification_prefs (user_id, notice, delivery) VALUES (?, ?, ?)
         ON CONFLICT (user_id, notice) DO UPDATE SET delivery = excluded.delivery"
    ))
    .bind(user_id)
    .bind(notice)
    .bind(delivery)
    .execute(conn)
    .await?
    .rows_affected())?;
    Ok(())
}

/// A person's zone and quiet hours (`None` for each: not set).
pub async fn set_zone_and_quiet(
    ex: impl Into<Ex<'_>>,
    user_id: i64,
    zone: Option<&str>,
    quiet: Option<(i64, i64)>,
) -> Result<(), DbError> {
    on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE users SET timezone = ?, quiet_from = ?, quiet_to = ? WHERE id = ?"
    ))
    .bind(zone)
    .bind(quiet.map(|q| q.0))
    .bind(quiet.map(|q| q.1))
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected())?;
    Ok(())
}

/// How a person hears: their own zone (as set), their customer's zone, quiet hours.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Hearing {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub customer_id: Option<i64>,
    pub own_timezone: Option<String>,
    pub customer_timezone: Option<String>,
    pub quiet_from: Option<i64>,
    pub quiet_to: Option<i64>,
    /// Whether they get the morning digest.
    pub digest: bool,
    pub disabled_at: Option<DateTime<Utc>>,
}

impl Hearing {
    pub fn zone(&self) -> Zone {
        zone_of(
            self.own_timezone
                .as_deref()
                .or(self.customer_timezone.as_deref()),
        )
    }
}

macro_rules! select_hearing {
    ($($rest:tt)*) => {
        concat!(
            "SELECT u.id, u.email, u.name, u.role, u.customer_id, u.timezone AS own_timezone,
                c.default_timezone AS customer_timezone, u.quiet_from, u.quiet_to, u.digest, u.disabled_at
             FROM users u LEFT JOIN customers c ON c.id = u.customer_id ",
            $($rest)*
        )
    };
}

pub async fn hearing_of(ex: impl Into<Ex<'_>>, user_id: i64) -> Result<Option<Hearing>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, Hearing>(sql!(
        d,
        select_hearing!("WHERE u.id = ?")
    ))
    .bind(user_id)
    .fetch_optional(conn)
    .await?)
}

/// Everyone enabled, for the digest: a page of `limit` after id `after`.
pub async fn people_after(
    ex: impl Into<Ex<'_>>,
    after: i64,
    limit: i64,
) -> Result<Vec<Hearing>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, Hearing>(sql!(
        d,
        select_hearing!("WHERE u.disabled_at IS NULL AND u.id > ? ORDER BY u.id LIMIT ?")
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Marks a refused booking acknowledged: it leaves the calendar and the lists of what needs
/// attention. Returns whether it was refused and not yet acknowledged.
pub async fn acknowledge(
    ex: impl Into<Ex<'_>>,
    scope: &CustomerScope,
    booking_id: i64,
    by: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE bookings SET acknowledged_at = ?, acknowledged_by = ?
         WHERE id = ? AND status IN ('rejected', 'lapsed') AND acknowledged_at IS NULL
           AND id IN (SELECT b.id FROM bookings b WHERE b.id = ? AND ",
        in_scope!(),
        ")"
    ))
    .bind(now)
    .bind(by)
    .bind(booking_id)
    .bind(booking_id)
    .bind_scope(scope)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Turns a person's morning digest on or off.
pub async fn set_digest(ex: impl Into<Ex<'_>>, user_id: i64, on: bool) -> Result<(), DbError> {
    on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE users SET digest = ? WHERE id = ?"
    ))
    .bind(on)
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected())?;
    Ok(())
}
