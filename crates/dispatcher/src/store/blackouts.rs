//! Blackouts of a workspace: stored, listed, removed (soft, audited), and — those that have
//! not ended — loaded as gate facts.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;
use crate::domain::BlackoutBody;

/// A blackout as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BlackoutRow {
    pub id: String,
    pub region: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub channels: Vec<String>,
    pub purpose: String,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

const COLUMNS: &str =
    "id, region, starts_at, ends_at, channels, purpose, reason, source, created_at, created_by";

fn blackout_from_row(r: &sqlx::any::AnyRow) -> Result<BlackoutRow> {
    let id: String = r.try_get("id")?;
    let channels: String = r.try_get("channels")?;
    Ok(BlackoutRow {
        region: r.try_get("region")?,
        starts_at: from_ms(r.try_get("starts_at")?),
        ends_at: from_ms(r.try_get("ends_at")?),
        channels: parse_json(&channels, || format!("blackout {id} channels"))?,
        purpose: r.try_get("purpose")?,
        reason: r.try_get("reason")?,
        source: r.try_get("source")?,
        created_at: from_ms(r.try_get("created_at")?),
        created_by: r.try_get("created_by")?,
        id,
    })
}

impl BlackoutRow {
    /// The gate's view, or the error naming the row.
    pub fn to_facts(&self) -> Result<gate::Blackout> {
        let what = |field: &str| format!("blackout {} {field}", self.id);
        Ok(gate::Blackout {
            id: self.id.clone(),
            region: self
                .region
                .parse()
                .map_err(|e: gate::ParseError| corrupt(what("region"), e.to_string()))?,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            channels: self
                .channels
                .iter()
                .map(|c| c.parse())
                .collect::<std::result::Result<_, gate::ParseError>>()
                .map_err(|e| corrupt(what("channels"), e.to_string()))?,
            purpose: match self.purpose.as_str() {
                "all" => gate::BlackoutPurpose::All,
                _ => gate::BlackoutPurpose::Marketing,
            },
            reason: self.reason.clone(),
        })
    }
}

impl Store {
    /// Stores a blackout and audits it, in one transaction.
    pub async fn add_blackout(
        &self,
        ws: &str,
        id: &str,
        body: &BlackoutBody,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<BlackoutRow> {
        let channels: Vec<String> = body.channels.iter().map(ToString::to_string).collect();
        let purpose = match body.purpose {
            gate::BlackoutPurpose::All => "all",
            gate::BlackoutPurpose::Marketing => "marketing",
        };
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO blackouts (workspace, id, region, starts_at, ends_at, channels, purpose, reason, source, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(ws)
        .bind(id)
        .bind(body.region.to_string())
        .bind(ms(body.starts_at.unwrap_or(now)))
        .bind(ms(body.ends_at))
        .bind(to_json(&channels))
        .bind(purpose)
        .bind(body.reason.trim())
        .bind(body.source.clone())
        .bind(ms(now))
        .bind(by)
        .execute(&mut *tx)
        .await?;
        audit(&mut tx, ws, now, by, "blackout_add", id, &to_json(body)).await?;
        tx.commit().await?;
        self.get_blackout(ws, id)
            .await?
            .ok_or(StoreError::Db(sqlx::Error::RowNotFound))
    }

    pub async fn get_blackout(&self, ws: &str, id: &str) -> Result<Option<BlackoutRow>> {
        let row = sqlx::query(safe!(
            "SELECT {COLUMNS} FROM blackouts WHERE workspace = $1 AND id = $2 AND removed_at IS NULL"
        ))
        .bind(ws)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(blackout_from_row).transpose()
    }

    /// The workspace's blackouts that have not been removed, newest first.
    pub async fn list_blackouts(&self, ws: &str) -> Result<Vec<BlackoutRow>> {
        let rows = sqlx::query(safe!(
            "SELECT {COLUMNS} FROM blackouts WHERE workspace = $1 AND removed_at IS NULL ORDER BY starts_at DESC, id"
        ))
        .bind(ws)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(blackout_from_row).collect()
    }

    /// Removes a blackout (kept for audit); false when there was none. The touches it may
    /// have held (`scheduled` with reason `blackout`, waiting for a later instant) become due
    /// now: they were waiting for its end, and the gate decides them again (one still inside
    /// another blackout is held again).
    pub async fn remove_blackout(
        &self,
        ws: &str,
        id: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query(
            "UPDATE blackouts SET removed_at = $1, removed_by = $2 WHERE workspace = $3 AND id = $4 AND removed_at IS NULL",
        )
        .bind(ms(now))
        .bind(by)
        .bind(ws)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 1 {
            audit(&mut tx, ws, now, by, "blackout_remove", id, "{}").await?;
            sqlx::query(safe!(
                "UPDATE touches SET next_attempt_at = $1 WHERE workspace = $2 AND status = '{}' \
                 AND reason = 'blackout' AND next_attempt_at > $1",
                crate::touch::TouchStatus::Scheduled.as_str()
            ))
            .bind(ms(now))
            .bind(ws)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(changed == 1)
    }
}

/// The workspace's blackouts that have not ended at `at`, as gate facts.
pub(super) async fn active_blackouts(
    conn: &mut sqlx::AnyConnection,
    ws: &str,
    at: DateTime<Utc>,
) -> Result<Vec<gate::Blackout>> {
    let rows = sqlx::query(safe!(
        "SELECT {COLUMNS} FROM blackouts WHERE workspace = $1 AND removed_at IS NULL AND ends_at > $2"
    ))
    .bind(ws)
    .bind(ms(at))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| blackout_from_row(r)?.to_facts())
        .collect()
}

/// One row of the audit log.
pub(super) async fn audit(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    ws: &str,
    now: DateTime<Utc>,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (workspace, at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(ws)
    .bind(ms(now))
    .bind(actor)
    .bind(action)
    .bind(subject)
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
