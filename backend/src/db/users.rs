//! People who sign in, and which account manager looks after which customer.

use chrono::{DateTime, Utc};

use super::{Db, DbError, Ex, on_db, sql};
use domain::model::Role;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    pub session_epoch: i64,
    pub disabled_at: Option<DateTime<Utc>>,
}

/// `SELECT` of every `UserRow` column, then the rest of the statement.
macro_rules! select_users {
    ($($rest:tt)*) => {
        concat!(
            "SELECT u.id, u.email, u.name, u.password_hash, u.role, u.customer_id, c.name AS customer_name,
                u.session_epoch, u.disabled_at
             FROM users u LEFT JOIN customers c ON c.id = u.customer_id ",
            $($rest)*
        )
    };
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub customer_id: Option<i64>,
}

pub async fn insert_user(
    ex: impl Into<Ex<'_>>,
    user: &NewUser<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    on_db!(ex, |conn, d| {
        sqlx::query_scalar(sql!(d, "INSERT INTO users (email, name, password_hash, role, customer_id, created_at) VALUES (?, ?, ?, ?, ?, ?)
         RETURNING id"))
    .bind(user.email)
    .bind(user.name)
    .bind(user.password_hash)
    .bind(user.role)
    .bind(user.customer_id)
    .bind(now)
    .fetch_one(conn).await?
    })
}

pub async fn user_by_email(ex: impl Into<Ex<'_>>, email: &str) -> Result<Option<UserRow>, DbError> {
    // No account's address holds a control character (and PostgreSQL text cannot hold NUL).
    if email.chars().any(char::is_control) {
        return Ok(None);
    }
    on_db!(ex, |conn, d| sqlx::query_as::<_, UserRow>(sql!(
        d,
        select_users!("WHERE lower(u.email) = lower(?)")
    ))
    .bind(email.trim())
    .fetch_optional(conn)
    .await?)
}

pub async fn user_by_id(ex: impl Into<Ex<'_>>, id: i64) -> Result<Option<UserRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, UserRow>(sql!(
        d,
        select_users!("WHERE u.id = ?")
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn all_users(ex: impl Into<Ex<'_>>) -> Result<Vec<UserRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, UserRow>(sql!(
        d,
        select_users!("ORDER BY u.disabled_at IS NOT NULL, lower(u.name), u.id")
    ))
    .fetch_all(conn)
    .await?)
}

/// Changes role and customer; existing sessions end (they were granted under the old role). Someone
/// who stops being an account manager loses their assignments, so becoming one again later starts
/// from none.
pub async fn set_user_role(
    db: &Db,
    id: i64,
    role: Role,
    customer_id: Option<i64>,
) -> Result<bool, DbError> {
    let mut tx = db.begin().await?;
    let done = on_db!(&mut tx, |conn, d| {
        sqlx::query(sql!(
        d,
        "UPDATE users SET role = ?, customer_id = ?, session_epoch = session_epoch + 1 WHERE id = ?"
    ))
    .bind(role)
    .bind(customer_id)
    .bind(id)
    .execute(conn)
    .await?.rows_affected()
    })?;
    if role != Role::AccountManager {
        on_db!(&mut tx, |conn, d| sqlx::query(sql!(
            d,
            "DELETE FROM account_manager_customers WHERE user_id = ?"
        ))
        .bind(id)
        .execute(conn)
        .await?
        .rows_affected())?;
    }
    tx.commit().await?;
    Ok(done == 1)
}

/// Disables (ending every session at once) or re-enables an account.
pub async fn set_user_disabled(
    ex: impl Into<Ex<'_>>,
    id: i64,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let done = on_db!(ex, |conn, d| {
        sqlx::query(sql!(d, "UPDATE users SET disabled_at = CASE WHEN ? THEN ? ELSE NULL END, session_epoch = session_epoch + 1
         WHERE id = ?"))
    .bind(disabled)
    .bind(now)
    .bind(id)
    .execute(conn).await?.rows_affected()
    })?;
    Ok(done == 1)
}

/// Sets a new password; existing sessions end.
pub async fn set_password(
    ex: impl Into<Ex<'_>>,
    id: i64,
    password_hash: &str,
) -> Result<bool, DbError> {
    let done = on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1 WHERE id = ?"
    ))
    .bind(password_hash)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected())?;
    Ok(done == 1)
}

/// Every assignment as (manager user id, customer id, customer name), for the users list.
pub async fn all_assignments(ex: impl Into<Ex<'_>>) -> Result<Vec<(i64, i64, String)>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, (i64, i64, String)>(sql!(
        d,
        "SELECT a.user_id, a.customer_id, c.name FROM account_manager_customers a
         JOIN customers c ON c.id = a.customer_id ORDER BY lower(c.name)"
    ))
    .fetch_all(conn)
    .await?)
}

/// Account managers (enabled or not), for assignment pickers.
pub async fn account_managers(ex: impl Into<Ex<'_>>) -> Result<Vec<UserRow>, DbError> {
    on_db!(ex, |conn, d| sqlx::query_as::<_, UserRow>(sql!(
        d,
        select_users!("WHERE u.role = ? ORDER BY lower(u.name), u.id")
    ))
    .bind(Role::AccountManager)
    .fetch_all(conn)
    .await?)
}

/// Assigns a customer to an account manager; returns false if it already was.
pub async fn assign_customer(
    ex: impl Into<Ex<'_>>,
    user_id: i64,
    customer_id: i64,
) -> Result<bool, DbError> {
    let done = on_db!(ex, |conn, d| {
        sqlx::query(sql!(d, "INSERT INTO account_manager_customers (user_id, customer_id) VALUES (?, ?) ON CONFLICT DO NOTHING"))
    .bind(user_id)
    .bind(customer_id)
    .execute(conn).await?.rows_affected()
    })?;
    Ok(done == 1)
}

pub async fn unassign_customer(
    ex: impl Into<Ex<'_>>,
    user_id: i64,
    customer_id: i64,
) -> Result<bool, DbError> {
    let done = on_db!(ex, |conn, d| sqlx::query(sql!(
        d,
        "DELETE FROM account_manager_customers WHERE user_id = ? AND customer_id = ?"
    ))
    .bind(user_id)
    .bind(customer_id)
    .execute(conn)
    .await?
    .rows_affected())?;
    Ok(done == 1)
}
