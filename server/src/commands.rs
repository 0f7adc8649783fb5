//! The commands a deployer runs beside `serve`: adding users and customers, backing up SQLite and
//! moving it to PostgreSQL.

use crate::config::DatabaseArgs;
use backend::db::CustomerFacts;
use backend::zone::Zone;
use backend::{auth, db};
use domain::check_new_password;
use domain::model::Role;

/// The database named by the configuration, created and migrated.
pub async fn open_database(database: &DatabaseArgs) -> Result<db::Db, String> {
    if database.database_url.is_none() {
        std::fs::create_dir_all(&database.data_dir).map_err(|e| {
            format!(
                "cannot create DATA_DIR {}: {e}",
                database.data_dir.display()
            )
        })?;
    }
    let url = database.url();
    db::connect(&url)
        .await
        .map_err(|e| format!("database {url}: {e}"))
}

/// Reads a new password: asked twice on a terminal, else the first line of stdin.
pub fn read_new_password() -> Result<String, String> {
    use std::io::IsTerminal;
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (at least 12 characters): ")
            .map_err(|e| e.to_string())?;
        let again =
            rpassword::prompt_password("Same password again: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the passwords differ; nothing was changed".into());
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    match check_new_password(&password) {
        Err(problem) => Err(format!("password refused: {}", problem.message())),
        Ok(()) => Ok(password),
    }
}

pub async fn add_user(
    database: &DatabaseArgs,
    email: &str,
    name: Option<&str>,
    role: &str,
    customer: Option<i64>,
) -> Result<(), String> {
    let role: Role = role
        .parse()
        .map_err(|_| format!("--role {role:?}: use admin, account_manager or customer"))?;
    let pool = open_database(database).await?;
    let customer_row = match (role, customer) {
        (Role::Customer, Some(aura_id)) => Some(
            db::customer_by_aura_id(&pool, aura_id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| {
                    format!("no customer has AURA customerId {aura_id}; add it first with `server customer add`")
                })?,
        ),
        (Role::Customer, None) => {
            return Err("a customer user needs --customer <AURA customerId>".into());
        }
        (_, Some(_)) => return Err("--customer is only for --role customer".into()),
        (_, None) => None,
    };
    let email = domain::check_email(email)
        .map_err(|_| format!("--email {email:?} is not an email address like name@example.com"))?;
    let email = email.as_str();
    let password = read_new_password()?;
    let hash = auth::hash_password(password.into())
        .await
        .map_err(|e| e.to_string())?;
    let new = db::NewUser {
        email,
        name: name.unwrap_or(email),
        password_hash: &hash,
        role,
        customer_id: customer_row.as_ref().map(|c| c.id),
    };
    db::insert_user(&pool, &new, chrono::Utc::now())
        .await
        .map_err(|e| format!("{email}: {e}"))?;
    println!(
        "Created {} {email}{}. They can sign in now.",
        role.label().to_lowercase(),
        customer_row
            .map(|c| format!(" for {}", c.name))
            .unwrap_or_default()
    );
    Ok(())
}

pub async fn add_customer(
    database: &DatabaseArgs,
    name: &str,
    aura_id: i64,
    timezone: &str,
) -> Result<(), String> {
    let default_timezone: Zone = timezone
        .parse()
        .map_err(|_| format!("--timezone {timezone:?} is not an IANA zone"))?;
    let pool = open_database(database).await?;
    let facts = CustomerFacts {
        name: name.trim().to_string(),
        aura_customer_id: aura_id,
        default_timezone,
    };
    let customer = db::upsert_customer(&pool, &facts, chrono::Utc::now())
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "Customer {} (AURA customerId {aura_id}) is saved. Add sites and account managers in the dashboard under Customers.",
        customer.name
    );
    Ok(())
}

/// Copies the SQLite database into PostgreSQL: both migrated first, then every row in one
/// transaction on the PostgreSQL side.
pub async fn migrate_to(database: &DatabaseArgs, postgres_url: &str) -> Result<(), String> {
    let from_url = database.url();
    if db::is_postgres(&from_url) || !db::is_postgres(postgres_url) {
        return Err(
            "server migrate-to copies the SQLite database (DATA_DIR or DATABASE_URL) into a postgres:// database"
                .into(),
        );
    }
    let (db::Db::Sqlite(from), db::Db::Postgres(to)) = (
        db::connect(&from_url)
            .await
            .map_err(|e| format!("database {from_url}: {e}"))?,
        db::connect(postgres_url)
            .await
            .map_err(|e| format!("PostgreSQL: {e}"))?,
    ) else {
        return Err("the two databases did not open as SQLite and PostgreSQL".into());
    };
    let copied = db::copy_sqlite_to_postgres(&from, &to)
        .await
        .map_err(|e| format!("nothing was copied: {e}"))?;
    for (table, rows) in copied {
        println!("{table}: {rows} rows");
    }
    println!(
        "Copied {from_url} into PostgreSQL. Start the dashboard with DATABASE_URL set to it; everyone signs in again."
    );
    Ok(())
}

/// `VACUUM INTO`: a consistent, compacted copy taken inside one read transaction, so writers carry
/// on meanwhile.
pub async fn backup(database: &DatabaseArgs, path: &std::path::Path) -> Result<(), String> {
    if path.exists() {
        return Err(format!(
            "{} exists already; choose a new file name",
            path.display()
        ));
    }
    let target = path
        .to_str()
        .ok_or_else(|| format!("{} is not a UTF-8 path", path.display()))?;
    let url = database.url();
    if db::is_postgres(&url) {
        return Err(
            "server backup copies a SQLite database; back up PostgreSQL with pg_dump (see the README)"
                .into(),
        );
    }
    let pool = db::open_existing(&url)
        .await
        .map_err(|e| format!("database {url}: {e}"))?;
    let bookings = db::back_up(&pool, target)
        .await
        .map_err(|e| format!("backup to {}: {e}", path.display()))?;
    println!(
        "Backed up {} to {} ({bookings} bookings).",
        database.url(),
        path.display()
    );
    Ok(())
}

/// `server api-key add`: the key is the last line printed, alone.
pub async fn add_api_key(
    database: &DatabaseArgs,
    aura_id: i64,
    name: &str,
    scopes: &str,
    expires: &str,
) -> Result<(), String> {
    use backend::api::keys::{KeyRequest, make_key};
    let pool = open_database(database).await?;
    let customer = db::customer_by_aura_id(&pool, aura_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| {
            format!(
                "no customer has AURA customerId {aura_id}; add it first with `server customer add`"
            )
        })?;
    let request = KeyRequest {
        name,
        scopes,
        expires_at: expires,
    };
    let made = make_key(
        &pool,
        &customer,
        &request,
        ("command line", None),
        chrono::Utc::now(),
    )
    .await
    .map_err(|e| match e.reported() {
        domain::error::AppError::Invalid(fields) => fields
            .0
            .iter()
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    })?;
    pool.close().await;
    let scopes = made.row.scopes;
    let expiry = made
        .row
        .expires_at
        .map_or("never expires".to_string(), |at| {
            format!("expires {}", at.to_rfc3339())
        });
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let printed = writeln!(
        out,
        "API key {} for {} (AURA customerId {aura_id}): scopes {scopes}; {expiry}. Shown once, keep it now:",
        made.row.id, customer.name
    )
    .and_then(|()| writeln!(out, "{}", made.secret.expose()))
    .and_then(|()| out.flush());
    printed.map_err(|e| format!("cannot print the key: {e}"))
}

pub async fn list_api_keys(database: &DatabaseArgs) -> Result<(), String> {
    let pool = open_database(database).await?;
    let keys = db::keys_of(&pool, &db::CustomerScope::All)
        .await
        .map_err(|e| e.to_string())?;
    pool.close().await;
    let now = chrono::Utc::now();
    for k in keys {
        let state = if k.revoked_at.is_some() {
            "revoked"
        } else if !k.usable_at(now) {
            "expired"
        } else {
            "active"
        };
        println!(
            "{}\t{}…\t{}\t{} (AURA {})\t{}\t{}\tlast used {}",
            k.id,
            k.prefix,
            k.name,
            k.customer_name,
            k.aura_customer_id,
            k.scopes,
            state,
            k.last_used_at.map_or("never".into(), |t| t.to_rfc3339())
        );
    }
    Ok(())
}

pub async fn revoke_api_key(database: &DatabaseArgs, id: i64) -> Result<(), String> {
    let pool = open_database(database).await?;
    let revoked = db::revoke_key(&pool, id, chrono::Utc::now())
        .await
        .map_err(|e| e.to_string())?;
    pool.close().await;
    if revoked {
        println!("API key {id} revoked.");
        Ok(())
    } else {
        Err(format!("no active API key has number {id}"))
    }
}
