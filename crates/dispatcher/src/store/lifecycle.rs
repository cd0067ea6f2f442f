use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;

impl Store {
    /// Marks a touch that was `sending` as sent.
    pub async fn mark_sent(
        &self,
        touch_id: &str,
        now: DateTime<Utc>,
        provider_message_id: &str,
        sandbox_message: Option<&serde_json::Value>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        // A late acceptance (the stale-sending sweep already declared the outcome unknown) is
        // still the truth: record it, so nobody resends a message the provider has.
        let mut late = false;
        let mut ws: Option<String> = None;
        for from in ["sending", "needs_review"] {
            let row = sqlx::query(
                "UPDATE touches SET status = 'sent', sent_at = $1, provider_message_id = $2, sandbox_message = $3, \
                 updated_at = $1 WHERE id = $4 AND status = $5 RETURNING workspace",
            )
            .bind(ms(now))
            .bind(provider_message_id)
            .bind(sandbox_message.map(|v| v.to_string()))
            .bind(touch_id)
            .bind(from)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(r) = row {
                ws = Some(r.try_get("workspace")?);
                late = from == "needs_review";
                break;
            }
        }
        if let Some(ws) = ws {
            let detail = if late {
                format!(
                    "sent (late: the provider accepted it after the touch was marked needs_review), provider message id {provider_message_id}"
                )
            } else {
                format!("sent, provider message id {provider_message_id}")
            };
            insert_event(
                &mut tx,
                &ws,
                touch_id,
                now,
                "provider",
                false,
                None,
                Some(&detail),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ends or reschedules a touch that was `sending` after something other than success.
    /// `release_reservation`: the message did not go out, so its cap slot is given back.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_unsent(
        &self,
        touch_id: &str,
        now: DateTime<Utc>,
        status: TouchStatus,
        next_attempt_at: Option<DateTime<Utc>>,
        reason: Option<&str>,
        kind: &str,
        detail: &str,
        count_attempt: bool,
        release_reservation: bool,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query(
            "UPDATE touches SET status = $1, next_attempt_at = COALESCE($2, next_attempt_at), reason = COALESCE($3, reason), \
             error = $4, attempts = attempts + $5, updated_at = $6 WHERE id = $7 AND status = 'sending' RETURNING workspace",
        )
        .bind(status.as_str())
        .bind(next_attempt_at.map(ms))
        .bind(reason)
        .bind(detail)
        .bind(i64::from(count_attempt))
        .bind(ms(now))
        .bind(touch_id)
        .fetch_optional(&mut *tx)
        .await?;
        // Nothing changed (the touch was recovered or cancelled meanwhile): keep its
        // reservation and its timeline as they are.
        let Some(changed) = changed else {
            tx.rollback().await?;
            return Ok(());
        };
        let ws: String = changed.try_get("workspace")?;
        if release_reservation {
            sqlx::query("DELETE FROM sends WHERE touch_id = $1")
                .bind(touch_id)
                .execute(&mut *tx)
                .await?;
        }
        insert_event(
            &mut tx,
            &ws,
            touch_id,
            now,
            kind,
            false,
            reason,
            Some(detail),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
