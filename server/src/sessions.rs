//! Where sessions live: in the dashboard's database, whichever it is, so that any process serving
//! it can read a session another one wrote. Both stores keep the table `tower_sessions` created by
//! our own migrations (id, data, expiry_date).

use async_trait::async_trait;
use backend::db::Db;
use sqlx::PgPool;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    /// The pool too: expired sessions are deleted by our own statement (the store's compares
    /// with the server's local time).
    Postgres(PostgresStore, PgPool),
}

impl Store {
    pub fn new(db: &Db) -> Result<Store, String> {
        Ok(match db {
            Db::Sqlite(pool) => Store::Sqlite(SqliteStore::new(pool.clone())),
            Db::Postgres(pool) => Store::Postgres(
                PostgresStore::new(pool.clone())
                    .with_schema_name("public")?
                    .with_table_name("tower_sessions")?,
                pool.clone(),
            ),
        })
    }
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Store::Sqlite(s) => s.create(record).await,
            Store::Postgres(s, _) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Store::Sqlite(s) => s.save(record).await,
            Store::Postgres(s, _) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Store::Sqlite(s) => s.load(id).await,
            Store::Postgres(s, _) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Store::Sqlite(s) => s.delete(id).await,
            Store::Postgres(s, _) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for Store {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Store::Sqlite(s) => s.delete_expired().await,
            Store::Postgres(_, pool) => {
                sqlx::query("DELETE FROM tower_sessions WHERE expiry_date < now()")
                    .execute(pool)
                    .await
                    .map_err(|e| session_store::Error::Backend(e.to_string()))?;
                Ok(())
            }
        }
    }
}
