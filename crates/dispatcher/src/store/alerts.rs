//! Alerts (litigation holds hit by a dispatch decision or a check), the check log (every
//! `GET /v1/check` answer, written in batches) and scrub runs.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;

/// An alert as stored and listed.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct AlertRow {
    pub id: String,
    /// `litigation_hold`.
    pub kind: String,
    pub at: DateTime<Utc>,
    pub contact: Option<String>,
    pub touch_id: Option<String>,
    pub detail: String,
    /// Decisions of the touch that hit the hold (1 for a check).
    pub decisions: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub workspace: String,
    #[serde(skip)]
    pub attempts: i64,
}

/// What a new alert says.
#[derive(Debug, Clone)]
pub struct NewAlert<'a> {
    pub workspace: &'a str,
    pub kind: &'a str,
    pub contact: Option<&'a str>,
    pub touch_id: Option<&'a str>,
    pub detail: &'a str,
}

/// One answer of the check API, for the log.
#[derive(Debug, Clone)]
pub struct CheckRecord {
    pub workspace: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub contact: String,
    pub channel: String,
    pub purpose: String,
    pub allowed: bool,
    pub reason: Option<String>,
    pub listings: serde_json::Value,
}

/// A scrub run, for `GET /v1/scrubs`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScrubRow {
    pub id: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub channel: String,
    pub purpose: String,
    pub rows: i64,
    pub approved: i64,
    pub rejected: i64,
    /// Rejected rows by reason code.
    pub by_reason: serde_json::Value,
}

const ALERT_COLUMNS: &str =
    "workspace, id, kind, at, contact, touch_id, detail, decisions, delivered_at, attempts";

fn alert_from_row(r: &sqlx::any::AnyRow) -> Result<AlertRow> {
    Ok(AlertRow {
        workspace: r.try_get("workspace")?,
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        at: from_ms(r.try_get("at")?),
        contact: r.try_get("contact")?,
        touch_id: r.try_get("touch_id")?,
        detail: r.try_get("detail")?,
        decisions: r.try_get("decisions")?,
        delivered_at: opt_time(r.try_get("delivered_at")?),
        attempts: r.try_get("attempts")?,
    })
}

/// Raises an alert in `conn`'s transaction: one per touch (a touch's later decisions count
/// into its alert), one per check. Due for delivery at once.
pub(super) async fn raise_alert(
    conn: &mut sqlx::AnyConnection,
    a: &NewAlert<'_>,
    now: DateTime<Utc>,
) -> Result<()> {
    let id = uuid::Uuid::now_v7().to_string();
    let insert = "INSERT INTO alerts (workspace, id, kind, at, contact, touch_id, detail, decisions, attempts, next_attempt_at) \
                  VALUES ($1, $2, $3, $4, $5, $6, $7, 1, 0, $4)";
    let q = match a.touch_id {
        Some(_) => sqlx::query(safe!(
            "{insert} ON CONFLICT (workspace, touch_id) WHERE touch_id IS NOT NULL \
             DO UPDATE SET decisions = alerts.decisions + 1"
        )),
        None => sqlx::query(safe!("{insert}")),
    };
    q.bind(a.workspace)
        .bind(id)
        .bind(a.kind)
        .bind(ms(now))
        .bind(a.contact)
        .bind(a.touch_id)
        .bind(a.detail)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl Store {
    /// Raises an alert outside any other transaction.
    pub async fn raise_alert(&self, a: &NewAlert<'_>, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write_tx().await?;
        raise_alert(&mut tx, a, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The workspace's alerts, newest first.
    pub async fn list_alerts(&self, ws: &str, limit: i64) -> Result<Vec<AlertRow>> {
        let rows = sqlx::query(safe!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE workspace = $1 ORDER BY at DESC, id DESC LIMIT {}",
            limit.clamp(1, 1000)
        ))
        .bind(ws)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(alert_from_row).collect()
    }

    /// Alerts whose webhook delivery is due at `now` (any workspace).
    pub async fn alerts_to_deliver(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<AlertRow>> {
        let rows = sqlx::query(safe!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at LIMIT {}",
            limit.clamp(1, 1000)
        ))
        .bind(ms(now))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(alert_from_row).collect()
    }

    /// Records a delivery attempt: delivered, or tried again at `retry_at` (`None`: given up).
    pub async fn alert_attempted(
        &self,
        id: &str,
        now: DateTime<Utc>,
        outcome: std::result::Result<(), (&str, Option<DateTime<Utc>>)>,
    ) -> Result<()> {
        match outcome {
            Ok(()) => {
                sqlx::query(
                    "UPDATE alerts SET delivered_at = $1, next_attempt_at = NULL, attempts = attempts + 1, last_error = NULL WHERE id = $2",
                )
                .bind(ms(now))
                .bind(id)
                .execute(&self.pool)
                .await?;
            }
            Err((error, retry_at)) => {
                sqlx::query(
                    "UPDATE alerts SET next_attempt_at = $1, attempts = attempts + 1, last_error = $2 WHERE id = $3",
                )
                .bind(retry_at.map(ms))
                .bind(error)
                .bind(id)
                .execute(&self.pool)
                .await?;
            }
        }
        Ok(())
    }

    /// Writes a batch of check answers in one statement.
    pub async fn log_checks(&self, batch: &[CheckRecord]) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut sql = String::from(
            "INSERT INTO check_log (workspace, at, actor, contact, channel, purpose, allowed, reason, listings) VALUES ",
        );
        for i in 0..batch.len() {
            let b = i * 9;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 9
            ));
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for c in batch {
            q = q
                .bind(c.workspace.as_str())
                .bind(ms(c.at))
                .bind(c.actor.as_str())
                .bind(c.contact.as_str())
                .bind(c.channel.as_str())
                .bind(c.purpose.as_str())
                .bind(i64::from(c.allowed))
                .bind(c.reason.clone())
                .bind(c.listings.to_string());
        }
        q.execute(&self.pool).await?;
        Ok(())
    }

    /// The check answers logged for the workspace, newest first.
    pub async fn list_checks(&self, ws: &str, limit: i64) -> Result<Vec<serde_json::Value>> {
        let rows = sqlx::query(safe!(
            "SELECT at, actor, contact, channel, purpose, allowed, reason, listings FROM check_log \
             WHERE workspace = $1 ORDER BY at DESC LIMIT {}",
            limit.clamp(1, 1000)
        ))
        .bind(ws)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let listings: String = r.try_get("listings")?;
                let allowed: i64 = r.try_get("allowed")?;
                Ok(serde_json::json!({
                    "at": crate::domain::time::format_instant(&from_ms(r.try_get("at")?)),
                    "actor": r.try_get::<String, _>("actor")?,
                    "contact": r.try_get::<String, _>("contact")?,
                    "channel": r.try_get::<String, _>("channel")?,
                    "purpose": r.try_get::<String, _>("purpose")?,
                    "allowed": allowed != 0,
                    "reason": r.try_get::<Option<String>, _>("reason")?,
                    "listings": parse_json::<serde_json::Value>(&listings, || "check listings".to_owned())?,
                }))
            })
            .collect()
    }

    /// Records a scrub run.
    pub async fn record_scrub(&self, ws: &str, s: &ScrubRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO scrubs (workspace, id, at, actor, channel, purpose, rows_read, approved, rejected, by_reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(ws)
        .bind(s.id.as_str())
        .bind(ms(s.at))
        .bind(s.actor.as_str())
        .bind(s.channel.as_str())
        .bind(s.purpose.as_str())
        .bind(s.rows)
        .bind(s.approved)
        .bind(s.rejected)
        .bind(s.by_reason.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The workspace's scrub runs, newest first.
    pub async fn list_scrubs(&self, ws: &str, limit: i64) -> Result<Vec<ScrubRow>> {
        let rows = sqlx::query(safe!(
            "SELECT id, at, actor, channel, purpose, rows_read, approved, rejected, by_reason FROM scrubs \
             WHERE workspace = $1 ORDER BY at DESC, id DESC LIMIT {}",
            limit.clamp(1, 1000)
        ))
        .bind(ws)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                let by_reason: String = r.try_get("by_reason")?;
                Ok(ScrubRow {
                    at: from_ms(r.try_get("at")?),
                    actor: r.try_get("actor")?,
                    channel: r.try_get("channel")?,
                    purpose: r.try_get("purpose")?,
                    rows: r.try_get("rows_read")?,
                    approved: r.try_get("approved")?,
                    rejected: r.try_get("rejected")?,
                    by_reason: parse_json(&by_reason, || format!("scrub {id} counts"))?,
                    id,
                })
            })
            .collect()
    }

    /// Every open DNC row of the workspace with a contact, for a scrub (read once).
    pub async fn dnc_contacts(&self, ws: &str) -> Result<Vec<gate::DncEntry>> {
        let rows = sqlx::query(safe!(
            "SELECT {DNC_COLUMNS} FROM dnc WHERE workspace = $1 AND removed_at IS NULL AND contact IS NOT NULL"
        ))
        .bind(ws)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(dnc_from_row(r)?.to_facts()))
            .collect()
    }
}
