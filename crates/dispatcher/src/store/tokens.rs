//! The `tokens` table: only hashes of secrets (see [`crate::tokens`]).

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;
use crate::config::Role;

/// A database token as stored (never its secret, never its hash).
#[derive(Debug, Clone, Serialize)]
pub struct TokenRecord {
    pub id: String,
    pub workspace: String,
    pub role: Role,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const TOKEN_COLUMNS: &str = "id, workspace, role, name, created_at, revoked_at";

fn token_from_row(r: &AnyRow) -> Result<TokenRecord> {
    let id: String = r.try_get("id")?;
    let role: String = r.try_get("role")?;
    Ok(TokenRecord {
        role: Role::parse(&role).map_err(|e| corrupt(format!("token {id} role"), e))?,
        workspace: r.try_get("workspace")?,
        name: r.try_get("name")?,
        created_at: from_ms(r.try_get("created_at")?),
        revoked_at: opt_time(r.try_get("revoked_at")?),
        id,
    })
}

impl Store {
    pub async fn insert_token(&self, t: &TokenRecord, hash: &str) -> Result<()> {
        insert_token(&self.pool, t, hash).await
    }

    /// Inserts the installation's first token, only if no token was ever stored and no daemon
    /// made a first token before (`settings` key `first_token`, taken once: two daemons
    /// starting together on one PostgreSQL make one). True when this call stored it.
    pub async fn insert_first_token(&self, t: &TokenRecord, hash: &str) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let any: i64 = sqlx::query("SELECT COUNT(*) AS n FROM tokens")
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if any > 0 {
            return Ok(false);
        }
        let claimed = sqlx::query(
            "INSERT INTO settings (key, value) VALUES ('first_token', $1) ON CONFLICT (key) DO NOTHING",
        )
        .bind(t.id.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !claimed {
            return Ok(false);
        }
        insert_token(&mut *tx, t, hash).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Every token, oldest first (revoked ones too, with `revoked_at`).
    pub async fn list_tokens(&self) -> Result<Vec<TokenRecord>> {
        let rows = sqlx::query(safe!(
            "SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(token_from_row).collect()
    }

    /// Revokes a token; false when there is no such token or it was revoked already.
    pub async fn revoke_token(&self, id: &str, now: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let changed =
            sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(ms(now))
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
        if changed {
            // Its console sessions end with it.
            sqlx::query("DELETE FROM console_sessions WHERE token_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// The unrevoked token whose secret hashes to `hash`.
    pub async fn active_token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>> {
        let row = sqlx::query(safe!(
            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = $1 AND revoked_at IS NULL"
        ))
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| token_from_row(&r)).transpose()
    }

    /// The unrevoked token `id`.
    pub async fn active_token_by_id(&self, id: &str) -> Result<Option<TokenRecord>> {
        let row = sqlx::query(safe!(
            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = $1 AND revoked_at IS NULL"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| token_from_row(&r)).transpose()
    }
}

async fn insert_token<'e, E>(executor: E, t: &TokenRecord, hash: &str) -> Result<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO tokens (id, workspace, role, name, hash, created_at, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL)",
    )
    .bind(t.id.as_str())
    .bind(t.workspace.as_str())
    .bind(t.role.as_str())
    .bind(t.name.as_str())
    .bind(hash)
    .bind(ms(t.created_at))
    .execute(executor)
    .await?;
    Ok(())
}
