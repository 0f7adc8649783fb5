//! The two databases the dashboard runs on: SQLite (the embedded default) and PostgreSQL (several
//! processes sharing one database). sqlx's `Any` driver has neither chrono nor JSON types, so a
//! repository function is written once and compiled for each: `on_db!` expands its body in two
//! arms, one per backend, each with a concrete connection type.
//!
//! SQL is written once, in the dialect both accept, with `?` placeholders. `sql!` hands SQLite the
//! text as written and PostgreSQL a translation made once per call site and kept: placeholders
//! numbered `$1, $2, …`, and `json_each(?)` (how a list travels as one parameter) read with
//! `json_array_elements_text`. Everything else is kept to what both accept: `lower()` rather than
//! `COLLATE NOCASE`, `TRUE`/`FALSE` rather than `1`/`0`, `ON CONFLICT` rather than `INSERT OR`.

use std::sync::OnceLock;

use sqlx::{Database, PgPool, Pool, Postgres, Sqlite, SqlitePool, Transaction};

use super::DbError;

/// Which database a statement is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The statement as this database reads it (see `sql!`).
    pub fn text(self, sqlite: &'static str, postgres: &'static OnceLock<String>) -> &'static str {
        match self {
            Dialect::Sqlite => sqlite,
            Dialect::Postgres => postgres.get_or_init(|| postgres_text(sqlite)).as_str(),
        }
    }
}

/// A statement written with `?` placeholders, as the database behind `$dialect` reads it; the
/// PostgreSQL translation is made once per call site. Only the store (`db`) writes SQL.
macro_rules! sql {
    ($dialect:expr, $($text:expr),+ $(,)?) => {{
        static POSTGRES: ::std::sync::OnceLock<String> = ::std::sync::OnceLock::new();
        $dialect.text(concat!($($text),+), &POSTGRES)
    }};
}

/// Runs `$body` with `$conn` bound to a connection of whichever database `$ex` is on and `$dialect`
/// to its `Dialect`; evaluates to `Result<body's value, DbError>`. A pool lends a connection for
/// the body; a transaction lends its own. Only the store (`db`) runs statements.
macro_rules! on_db {
    ($ex:expr, |$conn:ident, $dialect:ident| $body:expr) => {{
        use $crate::db::{DbError as __DbError, Dialect as __Dialect, Ex as __Ex, Lent as __Lent};
        match ::core::convert::Into::<__Ex<'_>>::into($ex) {
            __Ex::Sqlite(lent) => {
                async {
                    let mut held;
                    let $conn: &mut ::sqlx::SqliteConnection = match lent {
                        __Lent::Pool(pool) => {
                            held = pool.acquire().await?;
                            &mut *held
                        }
                        __Lent::Conn(conn) => conn,
                    };
                    let $dialect = __Dialect::Sqlite;
                    Ok::<_, __DbError>($body)
                }
                .await
            }
            __Ex::Postgres(lent) => {
                async {
                    let mut held;
                    let $conn: &mut ::sqlx::PgConnection = match lent {
                        __Lent::Pool(pool) => {
                            held = pool.acquire().await?;
                            &mut *held
                        }
                        __Lent::Conn(conn) => conn,
                    };
                    let $dialect = __Dialect::Postgres;
                    Ok::<_, __DbError>($body)
                }
                .await
            }
        }
    }};
}

pub(super) use {on_db, sql};

/// The dashboard's database: a pool of connections to SQLite or to PostgreSQL.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A transaction on either database; dropped without `commit`, it rolls back.
#[derive(Debug)]
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Where a repository function runs its statements: on the pool, or inside a transaction.
pub enum Ex<'c> {
    Sqlite(Lent<'c, Sqlite>),
    Postgres(Lent<'c, Postgres>),
}

pub enum Lent<'c, DB: Database> {
    Pool(&'c Pool<DB>),
    Conn(&'c mut DB::Connection),
}

impl<'c> From<&'c Db> for Ex<'c> {
    fn from(db: &'c Db) -> Self {
        match db {
            Db::Sqlite(pool) => Ex::Sqlite(Lent::Pool(pool)),
            Db::Postgres(pool) => Ex::Postgres(Lent::Pool(pool)),
        }
    }
}

impl<'c> From<&'c SqlitePool> for Ex<'c> {
    fn from(pool: &'c SqlitePool) -> Self {
        Ex::Sqlite(Lent::Pool(pool))
    }
}

impl<'c> From<&'c PgPool> for Ex<'c> {
    fn from(pool: &'c PgPool) -> Self {
        Ex::Postgres(Lent::Pool(pool))
    }
}

impl<'c> From<&'c mut Tx> for Ex<'c> {
    fn from(tx: &'c mut Tx) -> Self {
        match tx {
            Tx::Sqlite(t) => Ex::Sqlite(Lent::Conn(&mut **t)),
            Tx::Postgres(t) => Ex::Postgres(Lent::Conn(&mut **t)),
        }
    }
}

impl Db {
    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    pub async fn begin(&self) -> Result<Tx, DbError> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// SQLite's statement as PostgreSQL reads it: `?` numbered in order, and `json_each(?)` (a JSON
/// array as rows named `value`) as `json_array_elements_text`. Quoted text and identifiers are
/// copied as they are.
fn postgres_text(sqlite: &str) -> String {
    const JSON_EACH: &str = "json_each(?)";
    let mut out = String::with_capacity(sqlite.len() + 16);
    let mut n = 0;
    let mut quote: Option<char> = None;
    let mut rest = sqlite;
    while let Some(c) = rest.chars().next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
        } else if c == '\'' || c == '"' {
            quote = Some(c);
        } else if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
            rest = &rest[1..];
            continue;
        } else if rest.starts_with(JSON_EACH) {
            n += 1;
            out.push_str(&format!("json_array_elements_text(CAST(${n} AS json))"));
            rest = &rest[JSON_EACH.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::postgres_text;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(
            postgres_text("SELECT ? , '?', \"a?\" FROM t WHERE x = ? AND y = 'it''s ?'"),
            "SELECT $1 , '?', \"a?\" FROM t WHERE x = $2 AND y = 'it''s ?'"
        );
    }

    #[test]
    fn json_lists_are_read_as_text_rows() {
        assert_eq!(
            postgres_text("a = ? AND b IN (SELECT value FROM json_each(?)) AND c = ?"),
            "a = $1 AND b IN (SELECT value FROM json_array_elements_text(CAST($2 AS json))) AND c = $3"
        );
    }
}
