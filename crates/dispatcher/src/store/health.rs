//! Email events (bounces, complaints) and sender health: the rates over an account's last
//! email sends, the pause they cause, and the operator's resume.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;

/// `hard_bounce`, `soft_bounce`, `complaint` or `unlinked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailEventKind {
    HardBounce,
    SoftBounce,
    Complaint,
    /// A report that names nothing we sent: recorded as received, nothing else.
    Unlinked,
}

impl EmailEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailEventKind::HardBounce => "hard_bounce",
            EmailEventKind::SoftBounce => "soft_bounce",
            EmailEventKind::Complaint => "complaint",
            EmailEventKind::Unlinked => "unlinked",
        }
    }
}

/// One email event to record.
#[derive(Debug, Clone, Copy)]
pub struct EmailEvent<'a> {
    pub workspace: &'a str,
    pub kind: EmailEventKind,
    pub address: Option<&'a str>,
    pub touch_id: Option<&'a str>,
    pub account_id: Option<&'a str>,
    pub detail: &'a str,
}

/// An account's email over its last sends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SenderRates {
    /// Sends counted (the window, or fewer).
    pub sends: i64,
    pub hard_bounces: i64,
    pub complaints: i64,
}

/// A channel's health pause, as the account shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HealthRow {
    pub channel: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused_since: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_at: Option<DateTime<Utc>>,
}

impl Store {
    pub async fn record_email_event(&self, e: &EmailEvent<'_>, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO email_events (workspace, id, at, kind, address, touch_id, account_id, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(e.workspace)
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(ms(now))
        .bind(e.kind.as_str())
        .bind(e.address)
        .bind(e.touch_id)
        .bind(e.account_id)
        .bind(e.detail)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Bounces and complaints over the account's last `window` email sends since it was last
    /// resumed.
    pub async fn sender_rates(
        &self,
        ws: &str,
        account_id: &str,
        window: u32,
    ) -> Result<SenderRates> {
        let row = sqlx::query(safe!(
            "WITH recent AS (SELECT touch_id FROM sends WHERE workspace = $1 AND account_id = $2 AND channel = 'email' \
               AND at > COALESCE((SELECT resumed_at FROM account_health WHERE workspace = $1 AND account_id = $2 \
                                  AND channel = 'email'), -1) \
               ORDER BY at DESC LIMIT {}) \
             SELECT (SELECT COUNT(*) FROM recent) AS sends, \
               (SELECT COUNT(DISTINCT e.touch_id) FROM email_events e WHERE e.kind = 'hard_bounce' \
                  AND e.touch_id IN (SELECT touch_id FROM recent)) AS bounces, \
               (SELECT COUNT(DISTINCT e.touch_id) FROM email_events e WHERE e.kind = 'complaint' \
                  AND e.touch_id IN (SELECT touch_id FROM recent)) AS complaints",
            window.max(1)
        ))
        .bind(ws)
        .bind(account_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(SenderRates {
            sends: row.try_get("sends")?,
            hard_bounces: row.try_get("bounces")?,
            complaints: row.try_get("complaints")?,
        })
    }

    /// Pauses the account's `channel` for health; false when it was paused already.
    pub async fn pause_for_health(
        &self,
        ws: &str,
        account_id: &str,
        channel: gate::Channel,
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO account_health (workspace, account_id, channel, paused_since, why) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (workspace, account_id, channel) DO UPDATE SET paused_since = excluded.paused_since, why = excluded.why \
             WHERE account_health.paused_since IS NULL",
        )
        .bind(ws)
        .bind(account_id)
        .bind(channel.as_str())
        .bind(ms(now))
        .bind(why)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Lifts a health pause (the rates start again from here); false when none was in force.
    pub async fn resume_channel(
        &self,
        ws: &str,
        account_id: &str,
        channel: gate::Channel,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query(
            "UPDATE account_health SET paused_since = NULL, why = NULL, resumed_at = $1 \
             WHERE workspace = $2 AND account_id = $3 AND channel = $4 AND paused_since IS NOT NULL",
        )
        .bind(ms(now))
        .bind(ws)
        .bind(account_id)
        .bind(channel.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 {
            audit(
                &mut tx,
                ws,
                now,
                by,
                "channel_resume",
                account_id,
                channel.as_str(),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    /// The account's health rows (paused or resumed channels).
    pub async fn account_health(&self, ws: &str, account_id: &str) -> Result<Vec<HealthRow>> {
        let mut conn = self.pool.acquire().await?;
        health_rows(&mut conn, ws, account_id).await
    }
}

/// The account's health rows, on `conn`.
pub(super) async fn health_rows(
    conn: &mut sqlx::AnyConnection,
    ws: &str,
    account_id: &str,
) -> Result<Vec<HealthRow>> {
    let rows = sqlx::query(
        "SELECT channel, paused_since, why, resumed_at FROM account_health WHERE workspace = $1 AND account_id = $2 ORDER BY channel",
    )
    .bind(ws)
    .bind(account_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(HealthRow {
                channel: r.try_get("channel")?,
                paused_since: opt_time(r.try_get("paused_since")?),
                why: r.try_get("why")?,
                resumed_at: opt_time(r.try_get("resumed_at")?),
            })
        })
        .collect()
}
