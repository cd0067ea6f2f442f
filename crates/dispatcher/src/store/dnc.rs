use chrono::{DateTime, Utc};

use super::*;

impl Store {
    // ---- DNC ----

    /// Adds an entry, unless an open entry of the same shape exists: for a contact-level,
    /// open-ended entry (no `lead_id`, no `expires_at`) with reason `opt_out_reply`,
    /// `provider_unsubscribed` or `customer_request`, the database keeps one open row per
    /// (workspace, contact, channel, reason) (index `dnc_open_contact_reason`), and the existing
    /// one is returned instead. See [`Store::ensure_dnc`].
    pub async fn add_dnc(
        &self,
        ws: &str,
        id: &str,
        body: &DncBody,
        contact: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<DncRow> {
        Ok(self.ensure_dnc(ws, id, body, contact, now).await?.0)
    }

    /// Inserts the entry as `id` unless the unique open entry of its shape exists (then nothing
    /// is written); returns the stored row and whether this call created it. The database
    /// decides, so concurrent calls (two daemons taking the same STOP) create one row. Entries
    /// outside the unique shape (tied to a lead, expiring, other reasons) are always inserted.
    pub async fn ensure_dnc(
        &self,
        ws: &str,
        id: &str,
        body: &DncBody,
        contact: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(DncRow, bool)> {
        // The existing row may be removed between the insert and the re-select (an operator's
        // DELETE); then the insert is tried again.
        for _ in 0..5 {
            sqlx::query(safe!(
                "INSERT INTO dnc (workspace, id, contact, lead_id, channel, reason, source, added_by, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (workspace, contact, channel, reason) WHERE {DNC_UNIQUE_OPEN} DO NOTHING"
            ))
            .bind(ws)
            .bind(id)
            .bind(contact)
            .bind(body.lead_id.clone())
            .bind(body.channel.as_str())
            .bind(body.reason.as_str())
            .bind(body.source.clone())
            .bind(body.added_by.clone())
            .bind(ms(now))
            .bind(body.expires_at.map(ms))
            .execute(&self.pool)
            .await?;
            if let Some(row) = self.get_dnc(ws, id).await? {
                return Ok((row, true));
            }
            let existing = sqlx::query(safe!(
                "SELECT {DNC_COLUMNS} FROM dnc WHERE workspace = $1 AND contact = $2 AND channel = $3 AND reason = $4 \
                 AND {DNC_UNIQUE_OPEN}"
            ))
            .bind(ws)
            .bind(contact)
            .bind(body.channel.as_str())
            .bind(body.reason.as_str())
            .fetch_optional(&self.pool)
            .await?;
            if let Some(r) = existing {
                return Ok((dnc_from_row(&r)?, false));
            }
        }
        Err(StoreError::Db(sqlx::Error::RowNotFound))
    }

    pub async fn get_dnc(&self, ws: &str, id: &str) -> Result<Option<DncRow>> {
        let row = sqlx::query(safe!(
            "SELECT {DNC_COLUMNS} FROM dnc WHERE workspace = $1 AND id = $2"
        ))
        .bind(ws)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| dnc_from_row(&r)).transpose()
    }

    /// Entries (not removed) for a contact, or all of the workspace's when `contact` is None.
    pub async fn list_dnc(
        &self,
        ws: &str,
        contact: Option<&str>,
        limit: i64,
    ) -> Result<Vec<DncRow>> {
        let rows = match contact {
            Some(c) => {
                sqlx::query(safe!(
                    "SELECT {DNC_COLUMNS} FROM dnc WHERE workspace = $1 AND contact = $2 AND removed_at IS NULL ORDER BY created_at, id LIMIT {}",
                    limit.clamp(1, 10_000)
                ))
                .bind(ws)
                .bind(c)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(safe!(
                    "SELECT {DNC_COLUMNS} FROM dnc WHERE workspace = $1 AND removed_at IS NULL ORDER BY created_at, id LIMIT {}",
                    limit.clamp(1, 10_000)
                ))
                .bind(ws)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(dnc_from_row).collect()
    }

    /// Soft-removes an entry and audits who and why; false when there was none to remove.
    pub async fn remove_dnc(
        &self,
        ws: &str,
        id: &str,
        by: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query(
            "UPDATE dnc SET removed_at = $1, removed_by = $2, removed_reason = $3 WHERE workspace = $4 AND id = $5 AND removed_at IS NULL",
        )
        .bind(ms(now))
        .bind(by)
        .bind(reason)
        .bind(ws)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 1 {
            let detail = serde_json::json!({ "reason": reason }).to_string();
            audit(&mut tx, ws, now, by, "dnc_remove", id, &detail).await?;
        }
        tx.commit().await?;
        Ok(changed == 1)
    }

    /// Active-or-expiring DNC rows that name any of `contacts` or the lead.
    pub async fn dnc_for(
        &self,
        ws: &str,
        lead_id: &str,
        contacts: &[String],
    ) -> Result<Vec<gate::DncEntry>> {
        let mut conn = self.pool.acquire().await?;
        dnc_for_conn(&mut conn, &self.privacy, ws, lead_id, contacts).await
    }
}

/// DNC rows naming the lead or any of `contacts`, as written or as an erased contact's keyed
/// hash (reported under the plain contact, so the gate matches it like any other row).
pub(super) async fn dnc_for_conn(
    conn: &mut sqlx::AnyConnection,
    privacy: &PrivacyKey,
    ws: &str,
    lead_id: &str,
    contacts: &[String],
) -> Result<Vec<gate::DncEntry>> {
    let forms = privacy.lookup_forms(contacts);
    let mut sql = format!(
        "SELECT {DNC_COLUMNS} FROM dnc WHERE workspace = $1 AND removed_at IS NULL AND (lead_id = $2"
    );
    if !forms.is_empty() {
        let list = (0..forms.len())
            .map(|i| format!("${}", i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        sql.push_str(&format!(" OR contact IN ({list})"));
    }
    sql.push(')');
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ws).bind(lead_id);
    for (stored, _) in &forms {
        q = q.bind(stored.as_str());
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut entry = dnc_from_row(r)?.to_facts();
        entry.contact = entry.contact.map(|c| super::facts::plain_form(&forms, c));
        out.push(entry);
    }
    Ok(out)
}
