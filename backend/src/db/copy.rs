//! Moving a SQLite deployment to PostgreSQL (`server migrate-to`): every row of every table that
//! matters, copied into an empty, migrated PostgreSQL database in one transaction, so the copy is
//! whole or nothing.
//!
//! Values are read as SQLite stores them and written as text that PostgreSQL casts to the column's
//! type: integers and reals in full precision, 0/1 flags to BOOLEAN, RFC 3339 text to TIMESTAMPTZ,
//! contacts to JSONB. A value PostgreSQL cannot read fails the whole copy with its table and column.

use sqlx::sqlite::SqliteRow;
use sqlx::{Column, PgConnection, PgPool, Row, SqlitePool, TypeInfo, ValueRef};

use super::DbError;

/// The tables copied, each after the tables it refers to.
const COPIED: [&str; 21] = [
    "customers",
    "users",
    "account_manager_customers",
    "sites",
    "bookings",
    "booking_events",
    "booking_changes",
    "booking_change_parts",
    "closures",
    "calendar_feeds",
    "sign_in_attempts",
    "notification_prefs",
    "notifications",
    "password_resets",
    "mail_outbox",
    "caught_mail",
    "app_secrets",
    "api_keys",
    "api_idempotency",
    "webhook_endpoints",
    "webhook_deliveries",
];

/// Tables left behind: signed-in sessions (everyone signs in again on the new database), the
/// readiness check's row, the sign-in gate and AURA's reachability (PostgreSQL's migrations make
/// their own), and the migration history (each database keeps its own).
const LEFT: [&str; 7] = [
    "tower_sessions",
    // Requests per key per minute: a new minute starts soon enough.
    "api_usage",
    "readiness",
    "sign_in_gate",
    "aura_health",
    "_sqlx_migrations",
    "sqlite_sequence",
];

/// Columns that refer to a row of their own table, which may come later: written once every row
/// is in.
const SELF_REFERENCES: [(&str, &str); 1] = [("bookings", "paired_booking_id")];

/// How many rows each table received.
pub type Copied = Vec<(&'static str, u64)>;

/// Copies every table of `from` (a migrated SQLite database nobody is writing to) into `to` (a
/// migrated PostgreSQL database with no customers, people or bookings yet).
pub async fn copy_sqlite_to_postgres(from: &SqlitePool, to: &PgPool) -> Result<Copied, DbError> {
    let mut source = from.begin().await?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&mut *source)
    .await?;
    if let Some(unknown) = tables
        .iter()
        .find(|t| !COPIED.contains(&t.as_str()) && !LEFT.contains(&t.as_str()))
    {
        return Err(DbError::Refused(format!(
            "the SQLite database has a table this version does not know how to copy: {unknown}"
        )));
    }
    let mut target = to.begin().await?;
    let (has_rows,): (bool,) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM customers) OR EXISTS (SELECT 1 FROM users)
            OR EXISTS (SELECT 1 FROM bookings)",
    )
    .fetch_one(&mut *target)
    .await?;
    if has_rows {
        return Err(DbError::Refused(
            "the PostgreSQL database already has customers, people or bookings; copy into an empty one".into(),
        ));
    }
    let mut copied = Vec::new();
    for table in COPIED {
        let n = copy_table(&mut source, &mut target, table).await?;
        copied.push((table, n));
    }
    target.commit().await?;
    Ok(copied)
}

async fn copy_table(
    source: &mut sqlx::SqliteConnection,
    target: &mut PgConnection,
    table: &'static str,
) -> Result<u64, DbError> {
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name, data_type FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut *target)
    .await?;
    let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
    let at = |column: &str| names.iter().position(|n| *n == column);
    let id_at = at("id");
    // Columns referring to their own table: written NULL, then set once every row is in.
    let later: Vec<(usize, &str)> = SELF_REFERENCES
        .iter()
        .filter(|(t, _)| *t == table)
        .filter_map(|(_, c)| Some((at(c)?, *c)))
        .collect();
    let select = format!("SELECT {} FROM {table}", quoted(&names));
    let insert = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        quoted(&names),
        columns
            .iter()
            .enumerate()
            .map(|(i, (_, ty))| format!("CAST(${} AS {ty})", i + 1))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let rows: Vec<SqliteRow> = sqlx::query(&select).fetch_all(&mut *source).await?;
    let mut pending = Vec::new();
    for row in &rows {
        let mut values = Vec::with_capacity(columns.len());
        for i in 0..columns.len() {
            values.push(as_text(row, i).map_err(|e| {
                DbError::Refused(format!("{table}.{}: {e}", row.columns()[i].name()))
            })?);
        }
        for (i, column) in &later {
            if let (Some(value), Some(id)) =
                (values[*i].take(), id_at.and_then(|j| values[j].clone()))
            {
                pending.push((*column, value, id));
            }
        }
        let mut query = sqlx::query(&insert);
        for value in &values {
            query = query.bind(value.as_deref());
        }
        query.execute(&mut *target).await.map_err(|e| {
            DbError::Refused(format!("{table}: a row PostgreSQL did not take: {e}"))
        })?;
    }
    for (column, value, id) in pending {
        sqlx::query(&format!(
            "UPDATE {table} SET {column} = CAST($1 AS BIGINT) WHERE id = CAST($2 AS BIGINT)"
        ))
        .bind(value)
        .bind(id)
        .execute(&mut *target)
        .await?;
    }
    if id_at.is_some() {
        // New rows continue after the copied ones.
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
        ))
        .execute(&mut *target)
        .await?;
    }
    Ok(rows.len() as u64)
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A stored value as text PostgreSQL can cast: integers and reals in full, text as it is.
fn as_text(row: &SqliteRow, i: usize) -> Result<Option<String>, String> {
    let raw = row.try_get_raw(i).map_err(|e| e.to_string())?;
    if raw.is_null() {
        return Ok(None);
    }
    let kind = raw.type_info().name().to_string();
    let text = match kind.as_str() {
        "INTEGER" => row.try_get::<i64, _>(i).map(|n| n.to_string()),
        "REAL" => row.try_get::<f64, _>(i).map(|x| x.to_string()),
        "TEXT" => row.try_get::<String, _>(i),
        other => return Err(format!("a {other} value, which has no place in PostgreSQL")),
    };
    text.map(Some).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::db::test_support::{empty, now};
    use crate::db::{
        Actor, CustomerFacts, CustomerScope, Db, NewBooking, NewSite, NewUser, TEST_POSTGRES_ENV,
        add_event, all_customers, all_users, assign_customer, booking_in_scope, connect,
        create_test_database, events_of_booking, insert_booking, insert_site, insert_user,
        link_pair, migrate_sqlite, replace_feed, sites_for_customer, upsert_customer,
    };
    use domain::model::{EventKind, Role};
    use domain::{ArmedPreference, Location, PairRole, Repeat, Schedule, ServiceType};

    /// A new migrated PostgreSQL database on the server `AURA_TEST_POSTGRES` names. The tests
    /// that need one are ignored unless asked for: the PostgreSQL pass of `scripts/test` runs them
    /// (`--include-ignored`), and fails them if the variable is missing.
    async fn postgres() -> PgPool {
        let server = std::env::var(TEST_POSTGRES_ENV).unwrap_or_else(|_| {
            panic!("{TEST_POSTGRES_ENV} is not set: run this test in the PostgreSQL pass")
        });
        let url = create_test_database(&server).await.expect("database");
        match connect(&url).await.expect("connect") {
            Db::Postgres(pool) => pool,
            Db::Sqlite(_) => panic!("{url} opened as SQLite"),
        }
    }

    async fn sqlite() -> SqlitePool {
        let pool = empty().await;
        migrate_sqlite(&pool).await.expect("migrate");
        pool
    }

    #[tokio::test]
    #[ignore = "needs PostgreSQL (AURA_TEST_POSTGRES): run in the PostgreSQL pass"]
    async fn both_schemas_have_the_same_tables_and_columns() {
        let pg = postgres().await;
        let lite = sqlite().await;
        let in_sqlite: BTreeSet<(String, String)> = sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
        )
        .fetch_all(&lite)
        .await
        .expect("sqlite columns")
        .into_iter()
        .collect();
        let in_postgres: BTreeSet<(String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
        )
        .fetch_all(&pg)
        .await
        .expect("postgres columns")
        .into_iter()
        .collect();
        assert!(in_sqlite.len() > 50, "{in_sqlite:?}");
        assert_eq!(
            in_sqlite.difference(&in_postgres).collect::<Vec<_>>(),
            Vec::<&(String, String)>::new(),
            "in SQLite only"
        );
        assert_eq!(
            in_postgres.difference(&in_sqlite).collect::<Vec<_>>(),
            Vec::<&(String, String)>::new(),
            "in PostgreSQL only"
        );
    }

    fn booking(
        customer_id: i64,
        site_id: Option<i64>,
        key: &str,
        role: Option<PairRole>,
    ) -> NewBooking {
        let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 12, d).expect("date");
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .expect("time")
                .with_timezone(&chrono::Utc)
        };
        NewBooking {
            customer_id,
            site_id,
            idempotency_key: key.into(),
            service_type: ServiceType::LockUnlock,
            name: format!("Lock {key}"),
            special_instructions: Some("Back door; \"quoted\", 'too'".into()),
            number_of_guards: 2,
            armed_preference: ArmedPreference::Unarmed,
            contacts: vec![domain::Contact {
                name: "Zoë".into(),
                mobile: "+447700900123".into(),
            }],
            location: Location {
                address: Some("1 High St".into()),
                coordinates: Some((51.503_364_123_456_78, -0.019_822_987_654_321)),
            },
            zone: "Europe/London".parse().expect("zone"),
            first_date: day(1),
            last_date: day(31),
            schedule: Schedule {
                date_from: at("2026-12-01T00:00:00Z"),
                date_to: at("2026-12-31T23:59:59Z"),
                repeat: Repeat::Daily,
                start_time: chrono::NaiveTime::from_hms_opt(22, 30, 0).expect("time"),
                window_minutes: 45,
            },
            created_by_user_id: None,
            pair_role: role,
        }
    }

    /// What a person would see of a database: customers, people, sites, bookings and histories.
    async fn everything(db: &Db) -> String {
        let customers = all_customers(db).await.expect("customers");
        let mut text = format!("{customers:?}{:?}", all_users(db).await.expect("users"));
        for c in &customers {
            text += &format!("{:?}", sites_for_customer(db, c.id).await.expect("sites"));
        }
        for id in 1..=4 {
            let b = booking_in_scope(db, &CustomerScope::All, id)
                .await
                .expect("booking");
            let events = events_of_booking(db, id).await.expect("events");
            text += &format!("{b:?}{events:?}");
        }
        text
    }

    #[tokio::test]
    #[ignore = "needs PostgreSQL (AURA_TEST_POSTGRES): run in the PostgreSQL pass"]
    async fn a_sqlite_deployment_moves_to_postgres_whole() {
        let pg = postgres().await;
        let lite = sqlite().await;
        let from = Db::Sqlite(lite.clone());
        let facts = |name: &str, aura| CustomerFacts {
            name: name.into(),
            aura_customer_id: aura,
            default_timezone: "Europe/London".parse().expect("zone"),
        };
        let a = upsert_customer(&from, &facts("Northwind", 1), now())
            .await
            .expect("a");
        let b = upsert_customer(&from, &facts("Harbourside", 2), now())
            .await
            .expect("b");
        let user = |email, role, customer| NewUser {
            email,
            name: "Zoë Person",
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            role,
            customer_id: customer,
        };
        let manager = insert_user(
            &from,
            &user("Maya@Example.com", Role::AccountManager, None),
            now(),
        )
        .await
        .expect("manager");
        insert_user(
            &from,
            &user("c@example.com", Role::Customer, Some(a.id)),
            now(),
        )
        .await
        .expect("customer user");
        assign_customer(&from, manager, b.id).await.expect("assign");
        replace_feed(&from, manager, "abc123", now())
            .await
            .expect("feed");
        let site = insert_site(
            &from,
            &NewSite {
                customer_id: a.id,
                name: "Warehouse",
                location: &Location {
                    address: Some("1 Dock Rd".into()),
                    coordinates: None,
                },
                timezone: "Europe/London".parse().expect("zone"),
            },
            now(),
        )
        .await
        .expect("site");
        let id = |i: crate::db::Inserted| match i {
            crate::db::Inserted::New(id) => id,
            crate::db::Inserted::Existing(id) => id,
        };
        let lock = id(insert_booking(
            &from,
            &booking(a.id, Some(site.id), "1", Some(PairRole::Lock)),
            now(),
        )
        .await
        .expect("lock"));
        let unlock = id(insert_booking(
            &from,
            &booking(a.id, Some(site.id), "2", Some(PairRole::Unlock)),
            now(),
        )
        .await
        .expect("unlock"));
        link_pair(&from, lock, unlock).await.expect("pair");
        id(
            insert_booking(&from, &booking(b.id, None, "3", None), now())
                .await
                .expect("plain"),
        );
        let mut tx = from.begin().await.expect("tx");
        add_event(
            &mut tx,
            lock,
            now(),
            EventKind::Saved,
            &Actor::system("Dashboard"),
            "Saved; «quotes» ✓",
        )
        .await
        .expect("event");
        tx.commit().await.expect("commit");

        let copied = copy_sqlite_to_postgres(&lite, &pg).await.expect("copy");
        assert!(copied.contains(&("bookings", 3)), "{copied:?}");
        let to = Db::Postgres(pg.clone());
        assert_eq!(everything(&to).await, everything(&from).await);
        // New rows continue after the copied ones, and a second copy is refused.
        let c = upsert_customer(&to, &facts("Third", 3), now())
            .await
            .expect("new customer");
        assert!(c.id > b.id);
        let again = copy_sqlite_to_postgres(&lite, &pg)
            .await
            .expect_err("refused");
        assert!(matches!(again, DbError::Refused(_)), "{again}");
    }
}
