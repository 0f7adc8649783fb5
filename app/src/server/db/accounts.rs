//! Users, customers as administrators manage them, and account-manager assignments.

use chrono::{DateTime, Utc};
use sqlx::{SqliteExecutor, SqlitePool};

use super::{CUSTOMER_COLUMNS, CustomerRow, DbError};
use crate::model::Role;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: String,
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    pub session_epoch: i64,
    pub disabled_at: Option<DateTime<Utc>>,
}

impl UserRow {
    pub fn role(&self) -> Result<Role, DbError> {
        Role::from_key(&self.role)
            .ok_or_else(|| DbError::Corrupt(format!("user {} has role {:?}", self.id, self.role)))
    }
}

const USER_COLUMNS: &str =
    "u.id, u.email, u.name, u.password_hash, u.role, u.customer_id, c.name AS customer_name,
    u.session_epoch, u.disabled_at";
const USER_FROM: &str = "users u LEFT JOIN customers c ON c.id = u.customer_id";

pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub customer_id: Option<i64>,
}

/// Why a user could not be stored, in terms a form can show.
#[derive(Debug, thiserror::Error)]
pub enum UserWriteError {
    #[error("an account with this email exists already")]
    EmailTaken,
    #[error("that customer does not exist")]
    NoSuchCustomer,
    #[error(transparent)]
    Db(#[from] DbError),
}

fn user_write_error(e: sqlx::Error) -> UserWriteError {
    match &e {
        sqlx::Error::Database(d) if d.message().contains("users.email") => {
            UserWriteError::EmailTaken
        }
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => UserWriteError::NoSuchCustomer,
        _ => UserWriteError::Db(e.into()),
    }
}

pub async fn insert_user(
    ex: impl SqliteExecutor<'_>,
    user: &NewUser<'_>,
    now: DateTime<Utc>,
) -> Result<i64, UserWriteError> {
    sqlx::query_scalar(
        "INSERT INTO users (email, name, password_hash, role, customer_id, created_at) VALUES (?, ?, ?, ?, ?, ?)
         RETURNING id",
    )
    .bind(user.email)
    .bind(user.name)
    .bind(user.password_hash)
    .bind(user.role.key())
    .bind(user.customer_id)
    .bind(now)
    .fetch_one(ex)
    .await
    .map_err(user_write_error)
}

pub async fn user_by_email(
    ex: impl SqliteExecutor<'_>,
    email: &str,
) -> Result<Option<UserRow>, DbError> {
    Ok(sqlx::query_as::<_, UserRow>(&format!(
        "SELECT {USER_COLUMNS} FROM {USER_FROM} WHERE u.email = ?"
    ))
    .bind(email.trim())
    .fetch_optional(ex)
    .await?)
}

pub async fn user_by_id(ex: impl SqliteExecutor<'_>, id: i64) -> Result<Option<UserRow>, DbError> {
    Ok(sqlx::query_as::<_, UserRow>(&format!(
        "SELECT {USER_COLUMNS} FROM {USER_FROM} WHERE u.id = ?"
    ))
    .bind(id)
    .fetch_optional(ex)
    .await?)
}

pub async fn all_users(ex: impl SqliteExecutor<'_>) -> Result<Vec<UserRow>, DbError> {
    Ok(sqlx::query_as::<_, UserRow>(&format!(
        "SELECT {USER_COLUMNS} FROM {USER_FROM} ORDER BY u.disabled_at IS NOT NULL, u.name COLLATE NOCASE, u.id"
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
) -> Result<bool, UserWriteError> {
    let mut tx = pool.begin().await.map_err(user_write_error)?;
    let done = sqlx::query(
        "UPDATE users SET role = ?, customer_id = ?, session_epoch = session_epoch + 1 WHERE id = ?",
    )
    .bind(role.key())
    .bind(customer_id)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(user_write_error)?;
    if role != Role::AccountManager {
        sqlx::query("DELETE FROM account_manager_customers WHERE user_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(user_write_error)?;
    }
    tx.commit().await.map_err(user_write_error)?;
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

pub async fn all_customers(ex: impl SqliteExecutor<'_>) -> Result<Vec<CustomerRow>, DbError> {
    Ok(sqlx::query_as::<_, CustomerRow>(&format!(
        "SELECT {CUSTOMER_COLUMNS} FROM customers c ORDER BY c.name COLLATE NOCASE, c.id"
    ))
    .fetch_all(ex)
    .await?)
}

pub async fn customer_by_id(
    ex: impl SqliteExecutor<'_>,
    id: i64,
) -> Result<Option<CustomerRow>, DbError> {
    Ok(sqlx::query_as::<_, CustomerRow>(&format!(
        "SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.id = ?"
    ))
    .bind(id)
    .fetch_optional(ex)
    .await?)
}

/// The customers an account manager looks after.
pub async fn customers_of_manager(
    ex: impl SqliteExecutor<'_>,
    user_id: i64,
) -> Result<Vec<CustomerRow>, DbError> {
    Ok(sqlx::query_as::<_, CustomerRow>(&format!(
        "SELECT {CUSTOMER_COLUMNS} FROM customers c JOIN account_manager_customers a ON a.customer_id = c.id
         WHERE a.user_id = ? ORDER BY c.name COLLATE NOCASE, c.id"
    ))
    .bind(user_id)
    .fetch_all(ex)
    .await?)
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

#[derive(Debug, thiserror::Error)]
pub enum CustomerWriteError {
    #[error("another customer has this AURA customerId")]
    AuraIdTaken,
    #[error(transparent)]
    Db(#[from] DbError),
}

fn customer_write_error(e: sqlx::Error) -> CustomerWriteError {
    match &e {
        sqlx::Error::Database(d) if d.message().contains("customers.aura_customer_id") => {
            CustomerWriteError::AuraIdTaken
        }
        _ => CustomerWriteError::Db(e.into()),
    }
}

pub async fn insert_customer(
    ex: impl SqliteExecutor<'_>,
    name: &str,
    aura_customer_id: i64,
    default_timezone: &str,
    now: DateTime<Utc>,
) -> Result<CustomerRow, CustomerWriteError> {
    sqlx::query_as::<_, CustomerRow>(
        "INSERT INTO customers (name, aura_customer_id, default_timezone, created_at) VALUES (?, ?, ?, ?)
         RETURNING id, name, aura_customer_id, default_timezone",
    )
    .bind(name)
    .bind(aura_customer_id)
    .bind(default_timezone)
    .bind(now)
    .fetch_one(ex)
    .await
    .map_err(customer_write_error)
}

pub async fn update_customer(
    ex: impl SqliteExecutor<'_>,
    id: i64,
    name: &str,
    aura_customer_id: i64,
    default_timezone: &str,
) -> Result<bool, CustomerWriteError> {
    let done = sqlx::query(
        "UPDATE customers SET name = ?, aura_customer_id = ?, default_timezone = ? WHERE id = ?",
    )
    .bind(name)
    .bind(aura_customer_id)
    .bind(default_timezone)
    .bind(id)
    .execute(ex)
    .await
    .map_err(customer_write_error)?;
    Ok(done.rows_affected() == 1)
}

/// Counts per customer for the administrators' list: (customer id, sites, customer users).
pub async fn customer_counts(ex: impl SqliteExecutor<'_>) -> Result<Vec<(i64, i64, i64)>, DbError> {
    Ok(sqlx::query_as::<_, (i64, i64, i64)>(
        "SELECT c.id,
            (SELECT COUNT(*) FROM sites s WHERE s.customer_id = c.id),
            (SELECT COUNT(*) FROM users u WHERE u.customer_id = c.id)
         FROM customers c",
    )
    .fetch_all(ex)
    .await?)
}

/// Account managers (enabled or not), for assignment pickers.
pub async fn account_managers(ex: impl SqliteExecutor<'_>) -> Result<Vec<UserRow>, DbError> {
    Ok(sqlx::query_as::<_, UserRow>(&format!(
        "SELECT {USER_COLUMNS} FROM {USER_FROM} WHERE u.role = 'account_manager'
         ORDER BY u.name COLLATE NOCASE, u.id"
    ))
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
