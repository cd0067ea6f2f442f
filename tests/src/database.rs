//! The database of one test: a SQLite file in a directory of its own, or a PostgreSQL database
//! of its own, created on the server at `TOUCHGATE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and always dropped — when the test passes and
//! when it panics — by the guard's `Drop`. An unreachable PostgreSQL fails the test: the
//! PostgreSQL half of a suite is never skipped.
//!
//! [`both_databases!`](crate::both_databases) runs each named test once on each.

use sqlx::{Connection, Executor, PgConnection};

/// The variable naming the PostgreSQL server (a URL of its administrative database).
pub const POSTGRES_URL_VAR: &str = "TOUCHGATE_TEST_POSTGRES_URL";
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database no other test uses; dropping it removes it.
#[derive(Debug)]
pub struct Database {
    url: String,
    owner: Owner,
}

#[derive(Debug)]
enum Owner {
    /// The directory holding the SQLite file (removed on drop).
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Postgres {
        _guard: DropGuard,
    },
}

impl Database {
    /// A fresh SQLite file (created by the first daemon or command that opens it).
    pub fn sqlite() -> Database {
        let dir = tempfile::tempdir().expect("a temporary directory for the SQLite file");
        Database {
            url: format!("sqlite://{}", dir.path().join("t.db").display()),
            owner: Owner::Sqlite { _dir: dir },
        }
    }

    /// A fresh, empty PostgreSQL database (the daemon migrates it).
    pub async fn postgres() -> Database {
        let admin =
            std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
            panic!("PostgreSQL at {admin} ({POSTGRES_URL_VAR}) is required, never skipped: {e}")
        });
        // `tg_` names what `.ci/run` sweeps should a test process be killed outright.
        let name = format!("tg_{}", uuid::Uuid::now_v7().simple());
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let guard = DropGuard {
            admin: admin.clone(),
            name: name.clone(),
        };
        let _ = conn.close().await;
        Database {
            url: database_url(&admin, &name),
            owner: Owner::Postgres { _guard: guard },
        }
    }

    /// One of each kind, by name.
    pub async fn of(backend: Backend) -> Database {
        match backend {
            Backend::Sqlite => Database::sqlite(),
            Backend::Postgres => Database::postgres().await,
        }
    }

    /// The URL a daemon or a command is given (`TOUCHGATE_DATABASE_URL`).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn backend(&self) -> Backend {
        match self.owner {
            Owner::Sqlite { .. } => Backend::Sqlite,
            Owner::Postgres { .. } => Backend::Postgres,
        }
    }
}

/// `admin` with its database name replaced by `name` (query parameters kept).
fn database_url(admin: &str, name: &str) -> String {
    let (path, query) = admin
        .split_once('?')
        .map_or((admin, None), |(p, q)| (p, Some(q)));
    let server = path.rsplit_once('/').map_or(path, |(s, _)| s);
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

/// Drops its PostgreSQL database when dropped. Drop runs inside the test's runtime, which
/// cannot be blocked on, so the drop runs on a thread of its own with its own runtime, and
/// `WITH (FORCE)` ends the connections a killed daemon may have left open.
#[derive(Debug)]
struct DropGuard {
    admin: String,
    name: String,
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        let dropped = std::thread::spawn(move || -> Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&admin)
                    .await
                    .map_err(|e| e.to_string())?;
                conn.execute(sqlx::AssertSqlSafe(sql))
                    .await
                    .map_err(|e| e.to_string())?;
                conn.close().await.map_err(|e| e.to_string())
            })
        })
        .join()
        .unwrap_or_else(|_| Err("the dropping thread panicked".to_owned()));
        if let Err(e) = dropped {
            let message = format!("cannot drop PostgreSQL database {}: {e}", self.name);
            // A second panic while unwinding would abort the test binary and hide the first.
            if std::thread::panicking() {
                eprintln!("{message}");
            } else {
                panic!("{message}");
            }
        }
    }
}

/// Runs each named `async fn(&Database)` as two tests, `sqlite::<name>` and
/// `postgres::<name>`, each on a database of its own that is removed afterwards (also when the
/// test fails).
#[macro_export]
macro_rules! both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let db = $crate::Database::of($crate::Backend::Sqlite).await;
                super::$name(&db).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let db = $crate::Database::of($crate::Backend::Postgres).await;
                super::$name(&db).await;
            })*
        }
    };
}

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn the_test_database_replaces_the_administrative_one() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/postgres", "tg_1"),
            "postgres://postgres@127.0.0.1:5432/tg_1"
        );
        assert_eq!(
            database_url("postgres://u:p@db:5432/admin?sslmode=disable", "tg_2"),
            "postgres://u:p@db:5432/tg_2?sslmode=disable"
        );
    }
}
