//! Saved locations of a customer, each in its IANA zone.

use chrono::{DateTime, Utc};
use sqlx::SqliteExecutor;

use super::DbError;
use crate::domain::Location;
use crate::model::SiteView;
use crate::server::zone::Zone;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SiteRow {
    pub id: i64,
    pub customer_id: i64,
    pub name: String,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub timezone: Zone,
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
        "id, customer_id, name, address, latitude, longitude, timezone"
    };
}

pub async fn insert_site(
    ex: impl SqliteExecutor<'_>,
    site: &NewSite<'_>,
    now: DateTime<Utc>,
) -> Result<SiteRow, DbError> {
    let coordinates = site.location.coordinates;
    Ok(sqlx::query_as::<_, SiteRow>(concat!(
        "INSERT INTO sites (customer_id, name, address, latitude, longitude, timezone, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ",
        site_columns!()
    ))
    .bind(site.customer_id)
    .bind(site.name)
    .bind(site.location.address.as_deref())
    .bind(coordinates.map(|c| c.0))
    .bind(coordinates.map(|c| c.1))
    .bind(site.timezone)
    .bind(now)
    .fetch_one(ex)
    .await?)
}

pub async fn sites_for_customer(
    ex: impl SqliteExecutor<'_>,
    customer_id: i64,
) -> Result<Vec<SiteRow>, DbError> {
    Ok(sqlx::query_as::<_, SiteRow>(concat!(
        "SELECT ",
        site_columns!(),
        " FROM sites WHERE customer_id = ? ORDER BY name COLLATE NOCASE"
    ))
    .bind(customer_id)
    .fetch_all(ex)
    .await?)
}

/// A site, only if it belongs to this customer.
pub async fn site_of_customer(
    ex: impl SqliteExecutor<'_>,
    customer_id: i64,
    site_id: i64,
) -> Result<Option<SiteRow>, DbError> {
    Ok(sqlx::query_as::<_, SiteRow>(concat!(
        "SELECT ",
        site_columns!(),
        " FROM sites WHERE customer_id = ? AND id = ?"
    ))
    .bind(customer_id)
    .bind(site_id)
    .fetch_optional(ex)
    .await?)
}

/// Every site of the customers in `scope`, by name.
pub async fn sites_in_scope(
    ex: impl SqliteExecutor<'_>,
    scope: &super::CustomerScope,
) -> Result<Vec<SiteRow>, DbError> {
    use super::{BindExt, in_scope};
    Ok(sqlx::query_as::<_, SiteRow>(concat!(
        "SELECT ",
        site_columns!(),
        " FROM sites b WHERE ",
        in_scope!(),
        " ORDER BY name COLLATE NOCASE, id"
    ))
    .bind_scope(scope)
    .fetch_all(ex)
    .await?)
}
