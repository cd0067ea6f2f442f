//! Direct SQL to a test's database, for the two things a black-box suite may not do through the
//! product: act as an attacker with write access to the database (edit, delete, reorder rows
//! the audit chain covers), and scan every table and column for personal data an erasure must
//! have removed. Statements use `$1`-style parameters (both SQLite and PostgreSQL take them
//! through sqlx's `Any` driver). Nothing here is used to set up state a test then asserts on.

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use crate::{Backend, Database};

/// A small pool on the test's database (the daemon keeps its own).
#[derive(Debug)]
pub struct Sql {
    pool: AnyPool,
    backend: Backend,
}

/// A cell of a table that holds a needle: where, and the text it was found in (shortened).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub table: String,
    pub column: String,
    pub needle: String,
    pub value: String,
}

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}.{} holds {:?}: {}",
            self.table, self.column, self.needle, self.value
        )
    }
}

impl Sql {
    /// Connects to `db` (created and migrated by a daemon or a command already).
    pub async fn connect(db: &Database) -> Sql {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(2)
            .connect(db.url())
            .await
            .unwrap_or_else(|e| panic!("connecting to {}: {e}", db.url()));
        Sql {
            pool,
            backend: db.backend(),
        }
    }

    /// Runs a statement with text parameters; answers the rows it changed.
    pub async fn exec(&self, sql: &str, params: &[&str]) -> u64 {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
        for p in params {
            q = q.bind((*p).to_owned());
        }
        q.execute(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql} {params:?}: {e}"))
            .rows_affected()
    }

    /// Runs statements (no parameters) in one transaction: a tamper the daemon's sealer, which
    /// runs every second, never sees half done.
    pub async fn batch(&self, statements: &[String]) {
        let mut tx = self.pool.begin().await.expect("a transaction");
        for s in statements {
            sqlx::query(sqlx::AssertSqlSafe(s.clone()))
                .execute(&mut *tx)
                .await
                .unwrap_or_else(|e| panic!("{s}: {e}"));
        }
        tx.commit().await.expect("committing the batch");
    }

    /// The rows of a query with text parameters.
    pub async fn rows(&self, sql: &str, params: &[&str]) -> Vec<AnyRow> {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
        for p in params {
            q = q.bind((*p).to_owned());
        }
        q.fetch_all(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql} {params:?}: {e}"))
    }

    /// The first column of every row, as text (NULL as `None`); cast it in the query when it is
    /// not text.
    pub async fn texts(&self, sql: &str, params: &[&str]) -> Vec<Option<String>> {
        self.rows(sql, params)
            .await
            .iter()
            .map(|r| r.try_get::<Option<String>, _>(0).expect("a text column"))
            .collect()
    }

    /// The single text value of a query that must answer exactly one row.
    pub async fn text(&self, sql: &str, params: &[&str]) -> String {
        let all = self.texts(sql, params).await;
        assert_eq!(all.len(), 1, "{sql} {params:?}: {all:?}");
        all.into_iter()
            .next()
            .flatten()
            .unwrap_or_else(|| panic!("{sql} {params:?}: NULL"))
    }

    /// The single integer of a query (`COUNT(*)`, a key).
    pub async fn int(&self, sql: &str, params: &[&str]) -> i64 {
        let rows = self.rows(sql, params).await;
        assert_eq!(rows.len(), 1, "{sql} {params:?}");
        rows[0].try_get::<i64, _>(0).expect("an integer")
    }

    /// Every table of the database (the migrations' bookkeeping included).
    pub async fn tables(&self) -> Vec<String> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name".to_owned()
            }
            Backend::Postgres => "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
                .to_owned(),
        };
        self.texts(&sql, &[]).await.into_iter().flatten().collect()
    }

    /// Every column of `table`.
    pub async fn columns(&self, table: &str) -> Vec<String> {
        let (sql, params): (String, Vec<&str>) = match self.backend {
            Backend::Sqlite => (
                "SELECT name FROM pragma_table_info($1) ORDER BY cid".to_owned(),
                vec![table],
            ),
            Backend::Postgres => (
                "SELECT CAST(column_name AS TEXT) FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
                    .to_owned(),
                vec![table],
            ),
        };
        let cols: Vec<String> = self
            .texts(&sql, &params)
            .await
            .into_iter()
            .flatten()
            .collect();
        assert!(!cols.is_empty(), "table {table} has no columns?");
        cols
    }

    /// Every cell of every table, whatever its type (read as text), that contains one of
    /// `needles` (case-insensitive).
    pub async fn scan(&self, needles: &[&str]) -> Vec<Found> {
        let mut found = Vec::new();
        let tables = self.tables().await;
        assert!(
            tables.iter().any(|t| t == "touches") && tables.iter().any(|t| t == "chain_links"),
            "not the daemon's database: {tables:?}"
        );
        for table in &tables {
            for column in self.columns(table).await {
                let cell = format!("LOWER(CAST(\"{column}\" AS TEXT))");
                for needle in needles {
                    let sql = format!(
                        "SELECT CAST(\"{column}\" AS TEXT) FROM \"{table}\" WHERE {cell} LIKE $1 LIMIT 3"
                    );
                    let pattern = format!("%{}%", needle.to_lowercase());
                    for r in self.rows(&sql, &[&pattern]).await {
                        let value = r
                            .try_get::<Option<String>, _>(0)
                            .ok()
                            .flatten()
                            .unwrap_or_else(|| "<not text>".to_owned());
                        found.push(Found {
                            table: table.clone(),
                            column: column.clone(),
                            needle: (*needle).to_owned(),
                            value: value.chars().take(300).collect(),
                        });
                    }
                }
            }
        }
        found
    }

    /// Closes the pool (a PostgreSQL database is dropped after the test; its connections
    /// must not linger).
    pub async fn close(self) {
        self.pool.close().await;
    }
}
