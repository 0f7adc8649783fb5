//! Saved locations of a customer, each in its IANA zone.

use chrono::{DateTime, Utc};

use super::{DbError, Ex, on_db, sql};
use crate::zone::Zone;
use domain::Location;
use domain::model::SiteView;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SiteRow {
    pub id: i64,
    pub customer_id: i64,
    pub name: String,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub timezone: Zone,
    /// When it was retired: kept for the bookings that name it, no longer offered for new ones.
    pub retired_at: Option<DateTime<Utc>>,
}

impl SiteRow {
    pub fn location(&self) -> Location {
        Location {
            address: self.address.clone(),
            coordinates: self.latitude.zip(self.longitude),
        }
    }
}

impl From<SiteRow> for SiteView {
    fn from(s: SiteRow) -> Self {
        SiteView {
            id: s.id,
            name: s.name,
            address: s.address,
            timezone: s.timezone.name().to_string(),
            retired: s.retired_at.is_some(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSite<'a> {
    pub customer_id: i64,
    pub name: &'a str,
    pub location: &'a Location,
    pub timezone: Zone,
}

macro_rules! site_columns {
    () => {
        "id, customer_id, name, address, latitude, longitude, timezone, retired_at"
    };
}

pub async fn insert_site(
    ex: impl Into<Ex<'_>>,
    site: &NewSite<'_>,
    now: DateTime<Utc>,
) -> Result<SiteRow, DbError> {
    let coordinates = site.location.coordinates;
    on_db!(ex, |conn, d| sqlx::query_as::<_, SiteRow>(sql!(
        d,
        concat!(
        "INSERT INTO sites (customer_id, name, address, latitude, longitude, timezone, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ",
        site_columns!()
    )
    ))
    .bind(site.customer_id)
    .bind(site.name)
    .bind(site.location.address.as_deref())
    .bind(coordinates.map(|c| c.0))
    .bind(coordinates.map(|c| c.1))
    .bind(site.timezone)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

/// Every site of a customer (retired ones too), by name.
pub async fn sites_for_customer(
    ex: impl Into<Ex<'_>>,
    customer_id: i64,
) -> Result<Vec<SiteRow>, DbError> {
    customer_sites(ex, customer_id, true).await
}

/// The sites that can be booked at (not retired), by name.
pub async fn open_sites_for_customer(
    ex: impl Into<Ex<'_>>,
    customer_id: i64,
) -> Result<Vec<SiteRow>, DbError> {
    customer_sites(ex, customer_id, false).await
}

async fn customer_sites(
    ex: impl Into<Ex<'_>>,
    customer_id: i64,
    retired_too: bool,
) -> Result<Vec<SiteRow>, DbError> {
    on_db!(ex, |conn, d| {
        sqlx::query_as::<_, SiteRow>(sql!(d, concat!(
        "SELECT ",
        site_columns!(),
        " FROM sites WHERE customer_id = ? AND (? OR retired_at IS NULL) ORDER BY lower(name)"
    )))
    .bind(customer_id)
    .bind(retired_too)
    .fetch_all(conn).await?
    })
}

/// A site, only if it belongs to this customer (retired or not).
pub async fn site_of_customer(
    ex: impl Into<Ex<'_>>,
    customer_id: i64,
    site_id: i64,
) -> Result<Option<SiteRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, SiteRow>(sql!(
        d,
        concat!(
            "SELECT ",
            site_columns!(),
            " FROM sites WHERE customer_id = ? AND id = ?"
        )
    ))
    .bind(customer_id)
    .bind(site_id)
    .fetch_optional(conn)
    .await?)
}

/// Every site of the customers in `scope`, by name.
pub async fn sites_in_scope(
    ex: impl Into<Ex<'_>>,
    scope: &super::CustomerScope,
) -> Result<Vec<SiteRow>, DbError> {
    use super::{BindExt, in_scope};
    on_db!(ex, |conn, d| sqlx::query_as::<_, SiteRow>(sql!(
        d,
        concat!(
            "SELECT ",
            site_columns!(),
            " FROM sites b WHERE ",
            in_scope!(),
            " ORDER BY lower(name), id"
        )
    ))
    .bind_scope(scope)
    .fetch_all(conn)
    .await?)
}

/// A site, only if its customer is in `scope`.
pub async fn site_in_scope(
    ex: impl Into<Ex<'_>>,
    scope: &super::CustomerScope,
    site_id: i64,
) -> Result<Option<SiteRow>, DbError> {
    use super::{BindExt, in_scope};
    on_db!(ex, |conn, d| sqlx::query_as::<_, SiteRow>(sql!(
        d,
        concat!(
            "SELECT ",
            site_columns!(),
            " FROM sites b WHERE ",
            in_scope!(),
            " AND id = ?"
        )
    ))
    .bind_scope(scope)
    .bind(site_id)
    .fetch_optional(conn)
    .await?)
}

/// `WHERE` fragment: booking `b` is still to happen (active, with a window not yet over) — bound
/// with the active statuses, then [`super::window_end_margin`] of now.
macro_rules! still_to_happen {
    () => {
        concat!(super::status_in!(), " AND b.date_to >= ?")
    };
}

/// How many bookings still to happen name each site of a customer: such a site cannot be retired.
pub async fn sites_in_use(
    ex: impl Into<Ex<'_>>,
    customer_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<(i64, i64)>, DbError> {
    use super::BindExt;
    on_db!(ex, |conn, d| {
        sqlx::query_as::<_, (i64, i64)>(sql!(d, concat!(
        "SELECT b.site_id, COUNT(*) FROM bookings b WHERE b.customer_id = ? AND b.site_id IS NOT NULL AND ",
        still_to_happen!(),
        " GROUP BY b.site_id"
    )))
    .bind(customer_id)
    .bind_statuses(&domain::model::SyncStatus::ACTIVE)
    .bind(super::StoredInstant(super::window_end_margin(now)))
    .fetch_all(conn).await?
    })
}

pub async fn rename_site(ex: impl Into<Ex<'_>>, site_id: i64, name: &str) -> Result<(), DbError> {
    on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE sites SET name = ? WHERE id = ?"
    ))
    .bind(name)
    .bind(site_id)
    .execute(conn)
    .await?
    .rows_affected())?;
    Ok(())
}

/// What retiring a site came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retired {
    Done,
    /// Bookings still to happen name it (how many).
    InUse(i64),
}

/// Retires a site unless a booking still to happen names it: checked and written in one
/// statement, so a booking saved meanwhile cannot slip between the check and the write.
pub async fn retire_site(
    tx: &mut super::Tx,
    site_id: i64,
    now: DateTime<Utc>,
) -> Result<Retired, DbError> {
    use super::BindExt;
    let margin = super::StoredInstant(super::window_end_margin(now));
    let changed = on_db!(&mut *tx, |conn, d| sqlx::query(sql!(
        d,
        concat!(
            "UPDATE sites SET retired_at = COALESCE(retired_at, ?) WHERE id = ? AND NOT EXISTS (
            SELECT 1 FROM bookings b WHERE b.site_id = sites.id AND ",
            still_to_happen!(),
            ")"
        )
    ))
    .bind(now)
    .bind(site_id)
    .bind_statuses(&domain::model::SyncStatus::ACTIVE)
    .bind(margin)
    .execute(conn)
    .await?
    .rows_affected())?;
    if changed == 1 {
        return Ok(Retired::Done);
    }
    let in_use: i64 = on_db!(&mut *tx, |conn, d| sqlx::query_scalar(sql!(
        d,
        concat!(
            "SELECT COUNT(*) FROM bookings b WHERE b.site_id = ? AND ",
            still_to_happen!()
        )
    ))
    .bind(site_id)
    .bind_statuses(&domain::model::SyncStatus::ACTIVE)
    .bind(margin)
    .fetch_one(conn)
    .await?)?;
    Ok(Retired::InUse(in_use))
}

/// Whether the site is retired (read inside a booking's transaction: see `bookings::save`).
pub async fn site_is_retired(ex: impl Into<Ex<'_>>, site_id: i64) -> Result<bool, DbError> {
    let retired: Option<Option<DateTime<Utc>>> = on_db!(ex, |conn, d| sqlx::query_scalar(sql!(
        d,
        "SELECT retired_at FROM sites WHERE id = ?"
    ))
    .bind(site_id)
    .fetch_optional(conn)
    .await?)?;
    Ok(!matches!(retired, Some(None)))
}

/// Offers a retired site for booking again.
pub async fn restore_site(ex: impl Into<Ex<'_>>, site_id: i64) -> Result<(), DbError> {
    on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE sites SET retired_at = NULL WHERE id = ?"
    ))
    .bind(site_id)
    .execute(conn)
    .await?
    .rows_affected())?;
    Ok(())
}
