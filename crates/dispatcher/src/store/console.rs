//! What the operator console reads and keeps: its sessions, and the workspace's figures
//! (counts by status, blocks by day, reason and channel; recent inbound messages; a lead's DNC
//! rows; the audit rows of one subject), each one indexed query.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;

/// A console session as stored (the cookie's id itself is never stored, only its SHA-256).
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub workspace: String,
    pub token_id: String,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

/// Blocked touches of one day (UTC), reason and channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedCount {
    /// Days since the epoch (UTC).
    pub day: i64,
    pub reason: String,
    pub channel: String,
    pub count: i64,
}

/// One inbound message, as the console lists it.
#[derive(Debug, Clone)]
pub struct InboundRow {
    pub seq: i64,
    pub received_at: DateTime<Utc>,
    pub channel: String,
    pub sender: String,
    pub body: String,
    pub intent: String,
    pub matched: Option<String>,
    pub message_id: Option<String>,
    pub dnc_id: Option<String>,
}

/// One audit row.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

const DAY_MS: i64 = 86_400_000;

impl Store {
    // ---- sessions ----

    pub async fn create_session(
        &self,
        id_hash: &str,
        s: &SessionRow,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        // Expired sessions go when someone logs in: the table holds live ones only.
        sqlx::query("DELETE FROM console_sessions WHERE expires_at <= $1")
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO console_sessions (id_hash, workspace, token_id, csrf, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id_hash)
        .bind(s.workspace.as_str())
        .bind(s.token_id.as_str())
        .bind(s.csrf.as_str())
        .bind(ms(now))
        .bind(ms(s.expires_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The session under `id_hash`, unless it expired by `now`.
    pub async fn live_session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT workspace, token_id, csrf, expires_at FROM console_sessions WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(ms(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SessionRow {
                workspace: r.try_get("workspace")?,
                token_id: r.try_get("token_id")?,
                csrf: r.try_get("csrf")?,
                expires_at: from_ms(r.try_get("expires_at")?),
            })
        })
        .transpose()
    }

    pub async fn end_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM console_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ---- figures ----

    /// Touches of the workspace per status (index `touches_status`: an index-only count).
    pub async fn workspace_status_counts(&self, ws: &str) -> Result<Vec<(TouchStatus, i64)>> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM touches WHERE workspace = $1 GROUP BY status",
        )
        .bind(ws)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let status = parse_column(r, "status", || "touch status count".to_owned())?;
                Ok((status, r.try_get("n")?))
            })
            .collect()
    }

    /// Blocked touches decided at or after `since`, per UTC day, reason and channel (index
    /// `touches_blocked`).
    pub async fn blocked_since(&self, ws: &str, since: DateTime<Utc>) -> Result<Vec<BlockedCount>> {
        let rows = sqlx::query(safe!(
            "SELECT decided_at / {DAY_MS} AS day, reason, channel, COUNT(*) AS n FROM touches \
             WHERE workspace = $1 AND status = 'blocked' AND decided_at >= $2 \
             GROUP BY decided_at / {DAY_MS}, reason, channel"
        ))
        .bind(ws)
        .bind(ms(since))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(BlockedCount {
                    day: r.try_get("day")?,
                    reason: r
                        .try_get::<Option<String>, _>("reason")?
                        .unwrap_or_default(),
                    channel: r.try_get("channel")?,
                    count: r.try_get("n")?,
                })
            })
            .collect()
    }

    /// Inbound messages, newest first, older than `before` (a `seq`) when given.
    pub async fn recent_inbound(
        &self,
        ws: &str,
        limit: i64,
        before: Option<i64>,
    ) -> Result<Vec<InboundRow>> {
        let rows = sqlx::query(safe!(
            "SELECT seq, received_at, channel, sender, body, intent, matched, message_id, dnc_id \
             FROM inbound_messages WHERE workspace = $1 AND ($2 IS NULL OR seq < $2) \
             ORDER BY seq DESC LIMIT {}",
            limit.clamp(1, 500)
        ))
        .bind(ws)
        .bind(before)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(InboundRow {
                    seq: r.try_get("seq")?,
                    received_at: from_ms(r.try_get("received_at")?),
                    channel: r.try_get("channel")?,
                    sender: r.try_get("sender")?,
                    body: r.try_get("body")?,
                    intent: r.try_get("intent")?,
                    matched: r.try_get("matched")?,
                    message_id: r.try_get("message_id")?,
                    dnc_id: r.try_get("dnc_id")?,
                })
            })
            .collect()
    }

    /// Every DNC row naming the lead or one of its contacts (removed ones too, newest first).
    pub async fn dnc_rows_for_lead(
        &self,
        ws: &str,
        lead_id: &str,
        contacts: &[String],
    ) -> Result<Vec<DncRow>> {
        let mut sql =
            format!("SELECT {DNC_COLUMNS} FROM dnc WHERE workspace = $1 AND (lead_id = $2");
        for i in 0..contacts.len() {
            sql.push_str(&format!(" OR contact = ${}", i + 3));
        }
        sql.push_str(") ORDER BY created_at DESC, id DESC LIMIT 200");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ws).bind(lead_id);
        for c in contacts {
            q = q.bind(c.as_str());
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(dnc_from_row).collect()
    }

    /// The workspace's open DNC rows, newest first (index `dnc_by_time`).
    pub async fn recent_dnc(&self, ws: &str, limit: i64) -> Result<Vec<DncRow>> {
        let rows = sqlx::query(safe!(
            "SELECT {DNC_COLUMNS} FROM dnc WHERE workspace = $1 AND removed_at IS NULL \
             ORDER BY created_at DESC, id DESC LIMIT {}",
            limit.clamp(1, 1000)
        ))
        .bind(ws)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(dnc_from_row).collect()
    }

    /// The workspace's accounts: id and stored document, by id.
    pub async fn list_accounts(
        &self,
        ws: &str,
        limit: i64,
    ) -> Result<Vec<(String, StoredAccount)>> {
        let rows = sqlx::query(safe!(
            "SELECT id, body FROM accounts WHERE workspace = $1 ORDER BY id LIMIT {}",
            limit.clamp(1, 1000)
        ))
        .bind(ws)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                let body: String = r.try_get("body")?;
                Ok((id.clone(), parse_account(ws, &id, &body)?))
            })
            .collect()
    }

    /// The audit rows about `subject`, newest first.
    pub async fn audit_of(&self, ws: &str, subject: &str, limit: i64) -> Result<Vec<AuditRow>> {
        let rows = sqlx::query(safe!(
            "SELECT at, actor, action, subject, detail FROM audit_log WHERE workspace = $1 AND subject = $2 \
             ORDER BY seq DESC LIMIT {}",
            limit.clamp(1, 500)
        ))
        .bind(ws)
        .bind(subject)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    at: from_ms(r.try_get("at")?),
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }
}
