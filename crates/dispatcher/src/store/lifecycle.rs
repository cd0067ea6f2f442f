//! Applying outcomes: the only code that changes a touch's status after it was created. Each
//! change is one conditional `UPDATE … WHERE status IN (<the event's source states>)`, so a
//! touch that moved on meanwhile (recovered, cancelled, sent) is left as it is, with its
//! reservation and its timeline.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;
use crate::touch::{Outcome, Reservation};

/// Whether an outcome changed the touch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The touch (of this workspace) moved to the outcome's status.
    Changed { workspace: String },
    /// The touch was not in a state the outcome may leave (or does not exist).
    Unchanged,
}

impl Applied {
    pub fn changed(&self) -> bool {
        matches!(self, Applied::Changed { .. })
    }
}

impl Store {
    /// Applies `outcome` to the touch in its own transaction.
    pub async fn apply(
        &self,
        touch_id: &str,
        now: DateTime<Utc>,
        outcome: &Outcome,
    ) -> Result<Applied> {
        let mut tx = self.write_tx().await?;
        let applied = apply_in(&mut tx, touch_id, now, outcome).await?;
        if applied.changed() {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(applied)
    }

    /// The provider accepted the touch: `sent` from `sending`, or — a late acceptance — from
    /// `needs_review`, still the truth, so nobody resends a message the provider has.
    pub async fn mark_sent(
        &self,
        touch_id: &str,
        now: DateTime<Utc>,
        provider_message_id: &str,
        sandbox_message: Option<&serde_json::Value>,
    ) -> Result<Applied> {
        let applied = self
            .mark_sent_many(&[(touch_id, provider_message_id, sandbox_message)], now)
            .await?;
        Ok(applied.into_iter().next().unwrap_or(Applied::Unchanged))
    }

    /// [`Store::mark_sent`] for several touches (touch id, provider message id, sandbox
    /// record) in one transaction; answers in the same order.
    pub async fn mark_sent_many(
        &self,
        sent: &[(&str, &str, Option<&serde_json::Value>)],
        now: DateTime<Utc>,
    ) -> Result<Vec<Applied>> {
        let mut tx = self.write_tx().await?;
        let mut out = Vec::with_capacity(sent.len());
        for (touch_id, provider_message_id, sandbox_message) in sent {
            let sent = Outcome::sent(provider_message_id, sandbox_message.cloned());
            let mut applied = apply_in(&mut tx, touch_id, now, &sent).await?;
            if !applied.changed() {
                applied = apply_in(&mut tx, touch_id, now, &sent.late_sent()).await?;
            }
            out.push(applied);
        }
        tx.commit().await?;
        Ok(out)
    }
}

/// Applies `outcome` inside `tx`: the status change, the reservation, the timeline entry.
pub(super) async fn apply_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    touch_id: &str,
    now: DateTime<Utc>,
    outcome: &Outcome,
) -> Result<Applied> {
    let sources = TouchStatus::sql_list(&outcome.sources());
    if sources.is_empty() {
        return Ok(Applied::Unchanged);
    }
    let sent = outcome.to == TouchStatus::Sent;
    let row = sqlx::query(safe!(
        "UPDATE touches SET status = $1, next_attempt_at = COALESCE($2, next_attempt_at), \
         reason = COALESCE($3, reason), error = CASE WHEN $4 THEN error ELSE $5 END, \
         attempts = attempts + $6, updated_at = $7, \
         sent_at = CASE WHEN $4 THEN $7 ELSE sent_at END, \
         provider_message_id = COALESCE($8, provider_message_id), \
         sandbox_message = COALESCE($9, sandbox_message) \
         WHERE id = $10 AND status IN ({sources}) RETURNING workspace"
    ))
    .bind(outcome.to.as_str())
    .bind(outcome.next_attempt_at.map(ms))
    .bind(outcome.reason.as_ref().map(|r| r.as_str().to_owned()))
    .bind(sent)
    .bind(&outcome.detail)
    .bind(i64::from(outcome.counts_attempt))
    .bind(ms(now))
    .bind(outcome.provider_message_id.clone())
    .bind(outcome.sandbox_message.as_ref().map(|v| v.to_string()))
    .bind(touch_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(Applied::Unchanged);
    };
    let workspace: String = row.try_get("workspace")?;
    if outcome.reservation == Reservation::Release {
        sqlx::query("DELETE FROM sends WHERE touch_id = $1")
            .bind(touch_id)
            .execute(&mut **tx)
            .await?;
    }
    if let Some(kind) = outcome.timeline {
        insert_event(
            tx,
            &workspace,
            touch_id,
            now,
            kind,
            false,
            outcome.reason.as_ref().map(|r| r.as_str()),
            Some(&outcome.detail),
        )
        .await?;
    }
    Ok(Applied::Changed { workspace })
}
