use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;

/// One inbound message, as logged.
#[derive(Debug, Clone, Copy)]
pub struct InboundRecord<'a> {
    pub workspace: &'a str,
    pub at: DateTime<Utc>,
    pub channel: gate::Channel,
    pub sender: &'a str,
    pub body: &'a str,
    pub intent: &'a str,
    pub matched: Option<&'a str>,
    pub message_id: Option<&'a str>,
}

/// What the first receipt of a message said.
#[derive(Debug, Clone)]
pub struct SeenInbound {
    /// The message's row in the inbound log.
    pub seq: i64,
    pub received_at: DateTime<Utc>,
    pub intent: String,
    pub matched: Option<String>,
    pub dnc_id: Option<String>,
}

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

    /// Logs an inbound message; `None` when its provider message id was taken before (the
    /// partial unique index `inbound_messages_once` decides between concurrent deliveries).
    /// Returns the row's number.
    pub async fn log_inbound(&self, m: &InboundRecord<'_>) -> Result<Option<i64>> {
        let row = sqlx::query(
            "INSERT INTO inbound_messages (workspace, received_at, channel, sender, body, intent, matched, message_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (workspace, channel, message_id) WHERE message_id IS NOT NULL DO NOTHING RETURNING seq",
        )
        .bind(m.workspace)
        .bind(ms(m.at))
        .bind(m.channel.as_str())
        .bind(m.sender)
        .bind(m.body)
        .bind(m.intent)
        .bind(m.matched)
        .bind(m.message_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok(r.try_get("seq")?)).transpose()
    }

    /// The first receipt of message `message_id` on `channel`, if it was taken.
    pub async fn inbound_seen(
        &self,
        ws: &str,
        channel: gate::Channel,
        message_id: &str,
    ) -> Result<Option<SeenInbound>> {
        let row = sqlx::query(
            "SELECT seq, received_at, intent, matched, dnc_id FROM inbound_messages \
             WHERE workspace = $1 AND channel = $2 AND message_id = $3",
        )
        .bind(ws)
        .bind(channel.as_str())
        .bind(message_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SeenInbound {
                seq: r.try_get("seq")?,
                received_at: from_ms(r.try_get("received_at")?),
                intent: r.try_get("intent")?,
                matched: r.try_get("matched")?,
                dnc_id: r.try_get("dnc_id")?,
            })
        })
        .transpose()
    }

    /// Links the DNC row an inbound message wrote (or reused) to it.
    pub async fn link_inbound_dnc(&self, seq: i64, dnc_id: &str) -> Result<()> {
        sqlx::query("UPDATE inbound_messages SET dnc_id = $1 WHERE seq = $2")
            .bind(dnc_id)
            .bind(seq)
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
