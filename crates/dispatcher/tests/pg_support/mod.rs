//! A PostgreSQL database of its own for one test: created empty, dropped when the test is done
//! with it. Shared by the suites that run on both databases (`store_conformance`, `queue`,
//! `statement_count`).

// Test support: a missing server or a failed statement fails the test.
#![allow(clippy::panic, clippy::expect_used)]

use sqlx::Executor;

/// The server's admin database (`TOUCHGATE_TEST_POSTGRES_URL`, by default the local trust user).
pub fn admin_url() -> String {
    std::env::var("TOUCHGATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A fresh database named `<prefix>_<uuid>`: its name and URL. PostgreSQL is required: no
/// server is a failure, never a skip.
pub async fn create(prefix: &str) -> (String, String) {
    let admin = admin_url();
    let name = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
    let pool = sqlx::PgPool::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is required for this suite: {e}"));
    pool.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("create database");
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    (name, url)
}

/// Drops the database `name` (its connections cut).
pub async fn drop(name: &str) -> Result<(), sqlx::Error> {
    let admin = sqlx::PgPool::connect(&admin_url()).await?;
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .await?;
    Ok(())
}
