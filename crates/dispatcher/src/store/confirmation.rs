use sqlx::Row;

use super::*;

impl Store {
    /// The (account, lead) of the most recent touch to any of `lead_ids`, preferring touches on
    /// `channel`: who an opt-out confirmation comes from.
    pub async fn latest_touch_sender(
        &self,
        ws: &str,
        lead_ids: &[String],
        channel: &str,
    ) -> Result<Option<(String, String)>> {
        if lead_ids.is_empty() {
            return Ok(None);
        }
        let mut sql = String::from(
            "SELECT account_id, lead_id FROM touches WHERE workspace = $1 AND lead_id IN (",
        );
        for i in 0..lead_ids.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", i + 3));
        }
        sql.push_str(
            ") ORDER BY CASE WHEN channel = $2 THEN 0 ELSE 1 END, created_at DESC, id DESC LIMIT 1",
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ws).bind(channel);
        for l in lead_ids {
            q = q.bind(l.as_str());
        }
        let row = q.fetch_optional(&self.pool).await?;
        row.map(|r| Ok((r.try_get("account_id")?, r.try_get("lead_id")?)))
            .transpose()
    }

    /// Records the opt-out confirmation as a touch already `sending` (it never passes through
    /// the queue or the ordinary gate: the opt-out's DNC row would block it), with its send row,
    /// unless its idempotency key exists. Returns the stored touch and whether this call
    /// created it: the unique key makes a second confirmation of the same opt-out impossible.
    /// `recipient` is the person confirmed to (recorded on the touch).
    pub async fn create_confirmation_touch(
        &self,
        t: &NewTouch,
        recipient: &str,
    ) -> Result<(TouchRow, bool)> {
        let r = &t.request;
        let purpose = match r.purpose.unwrap_or_default() {
            gate::Purpose::Marketing => "marketing",
            gate::Purpose::Transactional => "transactional",
        };
        let mut tx = self.write_tx().await?;
        let inserted = sqlx::query(
            "INSERT INTO touches (workspace, id, idempotency_key, account_id, lead_id, channel, purpose, request, \
             status, decided_at, next_attempt_at, deadline, attempts, campaign_id, step, recipient, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'sending', $9, $9, $10, 0, $11, $12, $13, $9, $9) \
             ON CONFLICT (workspace, idempotency_key) DO NOTHING",
        )
        .bind(t.workspace.as_str())
        .bind(t.id.as_str())
        .bind(t.idempotency_key.as_str())
        .bind(r.account_id.as_str())
        .bind(r.lead_id.as_str())
        .bind(r.channel.as_str())
        .bind(purpose)
        .bind(to_json(r))
        .bind(ms(t.now))
        .bind(ms(t.deadline))
        .bind(r.campaign_id.clone())
        .bind(r.step)
        .bind(recipient)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if inserted {
            sqlx::query(
                "INSERT INTO sends (workspace, touch_id, account_id, lead_id, channel, purpose, action, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'message', $7) ON CONFLICT (touch_id) DO NOTHING",
            )
            .bind(t.workspace.as_str())
            .bind(t.id.as_str())
            .bind(r.account_id.as_str())
            .bind(r.lead_id.as_str())
            .bind(r.channel.as_str())
            .bind(purpose)
            .bind(ms(t.now))
            .execute(&mut *tx)
            .await?;
        }
        let row = sqlx::query(safe!(
            "SELECT {TOUCH_COLUMNS} FROM touches WHERE workspace = $1 AND idempotency_key = $2"
        ))
        .bind(t.workspace.as_str())
        .bind(t.idempotency_key.as_str())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((touch_from_row(&row)?, inserted))
    }
}
