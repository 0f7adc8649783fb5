//! Customers the dashboard books for; `aura_customer_id` is AURA's `customerId`.

use chrono::{DateTime, Utc};

use super::{DbError, Ex, on_db, sql};
use crate::zone::Zone;
use domain::model::{CustomerOption, Role};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CustomerRow {
    pub id: i64,
    pub name: String,
    pub aura_customer_id: i64,
    pub default_timezone: Zone,
}

impl From<&CustomerRow> for CustomerOption {
    fn from(c: &CustomerRow) -> Self {
        CustomerOption {
            id: c.id,
            name: c.name.clone(),
        }
    }
}

/// The columns of `CustomerRow` (unqualified: no table joined with `customers` shares them).
macro_rules! customer_columns {
    () => {
        "id, name, aura_customer_id, default_timezone"
    };
}

/// A customer's editable facts.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerFacts {
    pub name: String,
    pub aura_customer_id: i64,
    pub default_timezone: Zone,
}

/// Creates the customer with this AURA id, or updates its name and zone; returns the row.
pub async fn upsert_customer(
    ex: impl Into<Ex<'_>>,
    facts: &CustomerFacts,
    now: DateTime<Utc>,
) -> Result<CustomerRow, DbError> {
    write_customer(ex, facts, now, OnConflict::Update).await
}

/// Creates a customer; another with the same AURA id is `DbError::Taken`.
pub async fn insert_customer(
    ex: impl Into<Ex<'_>>,
    facts: &CustomerFacts,
    now: DateTime<Utc>,
) -> Result<CustomerRow, DbError> {
    write_customer(ex, facts, now, OnConflict::Refuse).await
}

enum OnConflict {
    Update,
    Refuse,
}

async fn write_customer(
    ex: impl Into<Ex<'_>>,
    facts: &CustomerFacts,
    now: DateTime<Utc>,
    on_conflict: OnConflict,
) -> Result<CustomerRow, DbError> {
    on_db!(ex, |conn, d| {
        let text = match on_conflict {
            OnConflict::Update => sql!(
                d,
                "INSERT INTO customers (name, aura_customer_id, default_timezone, created_at) VALUES (?, ?, ?, ?)
                 ON CONFLICT (aura_customer_id) DO UPDATE SET name = excluded.name,
                    default_timezone = excluded.default_timezone
                 RETURNING ",
                customer_columns!()
            ),
            OnConflict::Refuse => sql!(
                d,
                "INSERT INTO customers (name, aura_customer_id, default_timezone, created_at) VALUES (?, ?, ?, ?)
                 RETURNING ",
                customer_columns!()
            ),
        };
        sqlx::query_as::<_, CustomerRow>(text)
            .bind(&facts.name)
            .bind(facts.aura_customer_id)
            .bind(facts.default_timezone)
            .bind(now)
            .fetch_one(conn)
            .await?
    })
}

pub async fn update_customer(
    ex: impl Into<Ex<'_>>,
    id: i64,
    facts: &CustomerFacts,
) -> Result<bool, DbError> {
    let done = on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE customers SET name = ?, aura_customer_id = ?, default_timezone = ? WHERE id = ?"
    ))
    .bind(&facts.name)
    .bind(facts.aura_customer_id)
    .bind(facts.default_timezone)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected())?;
    Ok(done == 1)
}

pub async fn customer_by_aura_id(
    ex: impl Into<Ex<'_>>,
    aura_customer_id: i64,
) -> Result<Option<CustomerRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, CustomerRow>(sql!(
        d,
        concat!(
            "SELECT ",
            customer_columns!(),
            " FROM customers c WHERE c.aura_customer_id = ?"
        )
    ))
    .bind(aura_customer_id)
    .fetch_optional(conn)
    .await?)
}

pub async fn customer_by_id(
    ex: impl Into<Ex<'_>>,
    id: i64,
) -> Result<Option<CustomerRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, CustomerRow>(sql!(
        d,
        concat!(
            "SELECT ",
            customer_columns!(),
            " FROM customers c WHERE c.id = ?"
        )
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn all_customers(ex: impl Into<Ex<'_>>) -> Result<Vec<CustomerRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, CustomerRow>(sql!(
        d,
        concat!(
            "SELECT ",
            customer_columns!(),
            " FROM customers c ORDER BY lower(c.name), c.id"
        )
    ))
    .fetch_all(conn)
    .await?)
}

/// The customers an account manager looks after.
/// The customers a person's role reaches: their own (a customer user), the ones assigned to them
/// (an account manager), every one (an administrator).
pub async fn customers_in_reach(
    db: &super::Db,
    role: Role,
    user_id: i64,
    customer_id: Option<i64>,
) -> Result<Vec<CustomerRow>, DbError> {
    Ok(match role {
        Role::Customer => match customer_id {
            Some(id) => customer_by_id(db, id).await?.into_iter().collect(),
            None => Vec::new(),
        },
        Role::AccountManager => customers_of_manager(db, user_id).await?,
        Role::Admin => all_customers(db).await?,
    })
}

pub async fn customers_of_manager(
    ex: impl Into<Ex<'_>>,
    user_id: i64,
) -> Result<Vec<CustomerRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, CustomerRow>(sql!(
        d,
        concat!(
            "SELECT ",
            customer_columns!(),
            " FROM customers c JOIN account_manager_customers a ON a.customer_id = c.id
         WHERE a.user_id = ? ORDER BY lower(c.name), c.id"
        )
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

/// Counts per customer for the administrators' list: (customer id, sites, customer users).
pub async fn customer_counts(ex: impl Into<Ex<'_>>) -> Result<Vec<(i64, i64, i64)>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, (i64, i64, i64)>(sql!(
        d,
        "SELECT c.id,
            (SELECT COUNT(*) FROM sites s WHERE s.customer_id = c.id),
            (SELECT COUNT(*) FROM users u WHERE u.customer_id = c.id)
         FROM customers c"
    ))
    .fetch_all(conn)
    .await?)
}

/// Takes the customer's row for the rest of the transaction (SQLite's write lock; a row lock on
/// PostgreSQL): bookings for one customer saved at the same moment are counted one after another.
pub async fn lock_customer(ex: impl Into<Ex<'_>>, customer_id: i64) -> Result<(), DbError> {
    on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE customers SET id = id WHERE id = ?"
    ))
    .bind(customer_id)
    .execute(conn)
    .await?
    .rows_affected())?;
    Ok(())
}

/// When the customer's newest bookings saved after `since` were saved, newest first, at most
/// `limit` of them.
pub async fn bookings_saved_since(
    ex: impl Into<Ex<'_>>,
    customer_id: i64,
    since: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<DateTime<Utc>>, DbError> {
    Ok(on_db!(ex, |conn, d| sqlx::query_scalar(sql!(
        d,
        "SELECT created_at FROM bookings WHERE customer_id = ? AND created_at > ?
         ORDER BY created_at DESC LIMIT ?"
    ))
    .bind(customer_id)
    .bind(since)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?)?)
}
