//! People who sign in, and which account manager looks after which customer.

use chrono::{DateTime, Utc};
use sqlx::{SqliteExecutor, SqlitePool};

use super::DbError;
use crate::model::Role;

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
    ex: impl SqliteExecutor<'_>,
    user: &NewUser<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO users (email, name, password_hash, role, customer_id, created_at) VALUES (?, ?, ?, ?, ?, ?)
         RETURNING id",
    )
    .bind(user.email)
    .bind(user.name)
    .bind(user.password_hash)
    .bind(user.role)
    .bind(user.customer_id)
    .bind(now)
    .fetch_one(ex)
    .await?)
}

pub async fn user_by_email(
    ex: impl SqliteExecutor<'_>,
    email: &str,
) -> Result<Option<UserRow>, DbError> {
    Ok(
        sqlx::query_as::<_, UserRow>(select_users!("WHERE u.email = ?"))
            .bind(email.trim())
            .fetch_optional(ex)
            .await?,
    )
}

pub async fn user_by_id(ex: impl SqliteExecutor<'_>, id: i64) -> Result<Option<UserRow>, DbError> {
    Ok(
        sqlx::query_as::<_, UserRow>(select_users!("WHERE u.id = ?"))
            .bind(id)
            .fetch_optional(ex)
            .await?,
    )
}

pub async fn all_users(ex: impl SqliteExecutor<'_>) -> Result<Vec<UserRow>, DbError> {
    Ok(sqlx::query_as::<_, UserRow>(select_users!(
        "ORDER BY u.disabled_at IS NOT NULL, u.name COLLATE NOCASE, u.id"
    ))
    .fetch_all(ex)
    .await?)
}

/// Changes role and customer; existing sessions end (they were granted under the old role). Someone
/// who stops being an account manager loses their assignments, so becoming one again later starts
/// from none.
pub async fn set_user_role(
    pool: &SqlitePool,
    id: i64,
    role: Role,
    customer_id: Option<i64>,
) -> Result<bool, DbError> {
    let mut tx = pool.begin().await?;
    let done = sqlx::query(
        "UPDATE users SET role = ?, customer_id = ?, session_epoch = session_epoch + 1 WHERE id = ?",
    )
    .bind(role)
    .bind(customer_id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if role != Role::AccountManager {
        sqlx::query("DELETE FROM account_manager_customers WHERE user_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// Disables (ending every session at once) or re-enables an account.
pub async fn set_user_disabled(
    ex: impl SqliteExecutor<'_>,
    id: i64,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE users SET disabled_at = CASE WHEN ? THEN ? ELSE NULL END, session_epoch = session_epoch + 1
         WHERE id = ?",
    )
    .bind(disabled)
    .bind(now)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets a new password; existing sessions end.
pub async fn set_password(
    ex: impl SqliteExecutor<'_>,
    id: i64,
    password_hash: &str,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1 WHERE id = ?",
    )
    .bind(password_hash)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Every assignment as (manager user id, customer id, customer name), for the users list.
pub async fn all_assignments(
    ex: impl SqliteExecutor<'_>,
) -> Result<Vec<(i64, i64, String)>, DbError> {
    Ok(sqlx::query_as::<_, (i64, i64, String)>(
        "SELECT a.user_id, a.customer_id, c.name FROM account_manager_customers a
         JOIN customers c ON c.id = a.customer_id ORDER BY c.name COLLATE NOCASE",
    )
    .fetch_all(ex)
    .await?)
}

/// Account managers (enabled or not), for assignment pickers.
pub async fn account_managers(ex: impl SqliteExecutor<'_>) -> Result<Vec<UserRow>, DbError> {
    Ok(sqlx::query_as::<_, UserRow>(select_users!(
        "WHERE u.role = ? ORDER BY u.name COLLATE NOCASE, u.id"
    ))
    .bind(Role::AccountManager)
    .fetch_all(ex)
    .await?)
}

/// Assigns a customer to an account manager; returns false if it already was.
pub async fn assign_customer(
    ex: impl SqliteExecutor<'_>,
    user_id: i64,
    customer_id: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO account_manager_customers (user_id, customer_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(user_id)
    .bind(customer_id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn unassign_customer(
    ex: impl SqliteExecutor<'_>,
    user_id: i64,
    customer_id: i64,
) -> Result<bool, DbError> {
    let done =
        sqlx::query("DELETE FROM account_manager_customers WHERE user_id = ? AND customer_id = ?")
            .bind(user_id)
            .bind(customer_id)
            .execute(ex)
            .await?;
    Ok(done.rows_affected() == 1)
}
