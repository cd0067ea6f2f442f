use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;

impl Store {
    pub async fn record_inbound(
        &self,
        ws: &str,
        lead_ids: &[String],
        channel: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        for lead in lead_ids {
            sqlx::query(
                "INSERT INTO lead_inbound (workspace, lead_id, channel, last_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (workspace, lead_id, channel) DO UPDATE SET last_at = \
                 CASE WHEN excluded.last_at > lead_inbound.last_at THEN excluded.last_at ELSE lead_inbound.last_at END",
            )
            .bind(ws)
            .bind(lead.as_str())
            .bind(channel)
            .bind(ms(at))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn log_inbound(
        &self,
        ws: &str,
        at: DateTime<Utc>,
        channel: &str,
        sender: &str,
        body: &str,
        intent: &str,
        matched: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO inbound_messages (workspace, received_at, channel, sender, body, intent, matched) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(ws)
        .bind(ms(at))
        .bind(channel)
        .bind(sender)
        .bind(body)
        .bind(intent)
        .bind(matched)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// When the lead last wrote to us on `channel`.
    pub async fn last_inbound(
        &self,
        ws: &str,
        lead_id: &str,
        channel: &str,
    ) -> Result<Option<DateTime<Utc>>> {
        let row = sqlx::query("SELECT last_at FROM lead_inbound WHERE workspace = $1 AND lead_id = $2 AND channel = $3")
            .bind(ws)
            .bind(lead_id)
            .bind(channel)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(from_ms(r.try_get("last_at")?))).transpose()
    }

    /// Records that every consent for `contact` granted before `at` is void (a wrong-number
    /// reply; `reason` says why). The gate reads it with the lead's facts.
    pub async fn void_consents(
        &self,
        ws: &str,
        contact: &str,
        at: DateTime<Utc>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO consent_voids (workspace, contact, at, reason, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (workspace, contact, at, reason) DO NOTHING",
        )
        .bind(ws)
        .bind(contact)
        .bind(ms(at))
        .bind(reason)
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
