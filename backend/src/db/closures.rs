//! Closures: dates a customer's sites are closed, for every site or some.

use chrono::{DateTime, NaiveDate, Utc};

use super::{DbError, Ex, StoredDate, on_db, sql};

/// A closure as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosureRow {
    pub id: i64,
    pub customer_id: i64,
    pub name: String,
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
    /// The saved sites it closes; empty: every site and address.
    pub site_ids: Vec<i64>,
    pub uid: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl ClosureRow {
    /// Whether it closes a booking at `site` (`None`: an address of its own).
    pub fn closes(&self, site: Option<i64>) -> bool {
        self.site_ids.is_empty() || site.is_some_and(|s| self.site_ids.contains(&s))
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    customer_id: i64,
    name: String,
    first_date: StoredDate,
    last_date: StoredDate,
    site_ids: String,
    uid: Option<String>,
    created_by: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<Row> for ClosureRow {
    type Error = DbError;

    fn try_from(r: Row) -> Result<Self, DbError> {
        let site_ids: Vec<i64> = serde_json::from_str(&r.site_ids)
            .map_err(|e| DbError::Corrupt(format!("closure {}: sites: {e}", r.id)))?;
        Ok(ClosureRow {
            id: r.id,
            customer_id: r.customer_id,
            name: r.name,
            first_date: r.first_date.0,
            last_date: r.last_date.0,
            site_ids,
            uid: r.uid,
            created_by: r.created_by,
            created_at: r.created_at,
        })
    }
}

/// A closure to save.
pub struct NewClosure<'a> {
    pub customer_id: i64,
    pub name: &'a str,
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
    pub site_ids: &'a [i64],
    pub uid: Option<&'a str>,
    pub created_by: &'a str,
    pub at: DateTime<Utc>,
}

/// Whether a save added a closure or updated the one imported before under the same UID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosureSaved {
    Added(i64),
    Updated(i64),
}

/// Saves a closure; one with the UID of a closure imported before replaces its dates and name.
pub async fn save_closure(
    ex: impl Into<Ex<'_>>,
    c: &NewClosure<'_>,
) -> Result<ClosureSaved, DbError> {
    let sites = serde_json::to_string(c.site_ids)
        .map_err(|e| DbError::Corrupt(format!("closure sites: {e}")))?;
    on_db!(ex, |conn, d| {
        let existing: Option<i64> = match c.uid {
            Some(uid) => {
                sqlx::query_scalar(sql!(
                    d,
                    "SELECT id FROM closures WHERE customer_id = ? AND uid = ?"
                ))
                .bind(c.customer_id)
                .bind(uid)
                .fetch_optional(&mut *conn)
                .await?
            }
            None => None,
        };
        match existing {
            Some(id) => {
                sqlx::query(sql!(
                    d,
                    "UPDATE closures SET name = ?, first_date = ?, last_date = ?, site_ids = ?
                     WHERE id = ?"
                ))
                .bind(c.name)
                .bind(StoredDate(c.first_date))
                .bind(StoredDate(c.last_date))
                .bind(&sites)
                .bind(id)
                .execute(&mut *conn)
                .await?;
                ClosureSaved::Updated(id)
            }
            None => ClosureSaved::Added(
                sqlx::query_scalar(sql!(
                    d,
                    "INSERT INTO closures (customer_id, name, first_date, last_date, site_ids, uid,
                        created_by, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
                ))
                .bind(c.customer_id)
                .bind(c.name)
                .bind(StoredDate(c.first_date))
                .bind(StoredDate(c.last_date))
                .bind(&sites)
                .bind(c.uid)
                .bind(c.created_by)
                .bind(c.at)
                .fetch_one(&mut *conn)
                .await?,
            ),
        }
    })
}

/// A customer's closures that end on or after `from`, soonest first (at most `limit`).
pub async fn closures_of(
    ex: impl Into<Ex<'_>>,
    customer_id: i64,
    from: NaiveDate,
    limit: i64,
) -> Result<Vec<ClosureRow>, DbError> {
    let rows = on_db!(ex, |conn, d| sqlx::query_as::<_, Row>(sql!(
        d,
        "SELECT id, customer_id, name, first_date, last_date, site_ids, uid, created_by, created_at
         FROM closures WHERE customer_id = ? AND last_date >= ?
         ORDER BY first_date, id LIMIT ?"
    ))
    .bind(customer_id)
    .bind(StoredDate(from))
    .bind(limit)
    .fetch_all(conn)
    .await?)?;
    rows.into_iter().map(ClosureRow::try_from).collect()
}

pub async fn closure_of(
    ex: impl Into<Ex<'_>>,
    customer_id: i64,
    id: i64,
) -> Result<Option<ClosureRow>, DbError> {
    let row = on_db!(ex, |conn, d| sqlx::query_as::<_, Row>(sql!(
        d,
        "SELECT id, customer_id, name, first_date, last_date, site_ids, uid, created_by, created_at
         FROM closures WHERE customer_id = ? AND id = ?"
    ))
    .bind(customer_id)
    .bind(id)
    .fetch_optional(conn)
    .await?)?;
    row.map(ClosureRow::try_from).transpose()
}

pub async fn delete_closure(
    ex: impl Into<Ex<'_>>,
    customer_id: i64,
    id: i64,
) -> Result<bool, DbError> {
    let n = on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "DELETE FROM closures WHERE customer_id = ? AND id = ?"
    ))
    .bind(customer_id)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected())?;
    Ok(n == 1)
}
