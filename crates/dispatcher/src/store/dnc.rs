use chrono::{DateTime, Utc};
use sqlx::Row;

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
    let stored: std::collections::BTreeSet<String> =
        forms.iter().map(|(stored, _)| stored.clone()).collect();
    let rows = dnc_rows_naming(conn, ws, &[lead_id].into_iter().collect(), &stored).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut entry = r.to_facts();
        entry.contact = entry.contact.map(|c| super::facts::plain_form(&forms, c));
        out.push(entry);
    }
    Ok(out)
}

/// One touch's last check before its provider call ([`Store::last_checks`]).
#[derive(Debug, Clone)]
pub struct LastCheckKey {
    pub workspace: String,
    pub touch_id: String,
    pub lead_id: String,
    /// The lead's contacts, as the gate saw them.
    pub contacts: Vec<String>,
}

/// What the last check of one touch found: whether `node` still owns it (`sending`, claimed
/// by it), and the DNC rows naming its lead or contacts ([`Store::dnc_for`]'s).
#[derive(Debug, Clone)]
pub struct LastCheckFacts {
    pub owned: bool,
    pub dnc: Vec<gate::DncEntry>,
}

impl Store {
    /// The last checks of several touches whose provider calls are about to start, read
    /// together: one statement for the ownership of them all, one per workspace for their DNC
    /// rows. For each key, what [`Store::still_owns`] and [`Store::dnc_for`] would say.
    pub async fn last_checks(
        &self,
        node: &str,
        keys: &[LastCheckKey],
    ) -> Result<Vec<LastCheckFacts>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.pool.acquire().await?;
        let ids: std::collections::BTreeSet<&str> =
            keys.iter().map(|k| k.touch_id.as_str()).collect();
        let mut q = sqlx::query(safe_for!(
            self.kind,
            "SELECT id FROM touches WHERE status = 'sending' AND claimed_by = $1 AND id IN ({})",
            super::bind_order::placeholders(2, ids.len())
        ))
        .bind(node);
        for id in &ids {
            q = q.bind(*id);
        }
        let mut owned = std::collections::HashSet::new();
        for r in q.fetch_all(&mut *conn).await? {
            owned.insert(r.try_get::<String, _>("id")?);
        }
        let mut by_ws: std::collections::BTreeMap<&str, Vec<&LastCheckKey>> =
            std::collections::BTreeMap::new();
        for k in keys {
            by_ws.entry(k.workspace.as_str()).or_default().push(k);
        }
        let mut rows_by_ws = std::collections::HashMap::new();
        for (ws, ks) in by_ws {
            let leads: std::collections::BTreeSet<&str> =
                ks.iter().map(|k| k.lead_id.as_str()).collect();
            let contacts: Vec<String> = ks
                .iter()
                .flat_map(|k| k.contacts.iter().cloned())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let forms: std::collections::BTreeSet<String> = self
                .privacy
                .lookup_forms(&contacts)
                .into_iter()
                .map(|(stored, _)| stored)
                .collect();
            rows_by_ws.insert(ws, dnc_rows_naming(&mut conn, ws, &leads, &forms).await?);
        }
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            let rows = rows_by_ws
                .get(k.workspace.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default();
            out.push(LastCheckFacts {
                owned: owned.contains(&k.touch_id),
                dnc: dnc_entries_for(&self.privacy, rows, &k.lead_id, &k.contacts),
            });
        }
        Ok(out)
    }
}

/// DNC rows (not removed) of `ws` naming any of `leads` or any of the stored contact `forms`.
pub(super) async fn dnc_rows_naming(
    conn: &mut sqlx::AnyConnection,
    ws: &str,
    leads: &std::collections::BTreeSet<&str>,
    forms: &std::collections::BTreeSet<String>,
) -> Result<Vec<DncRow>> {
    // One branch per index (dnc_lead, dnc_contact), joined by UNION ALL: SQLite keeps no
    // statistics of `dnc`, and it planned the OR of the two as a scan of the workspace's list
    // (5 ms a batch at 30,000 entries, growing with the list). A row both find is kept once.
    let mut sql = format!(
        "SELECT {DNC_COLUMNS} FROM dnc WHERE workspace = $1 AND removed_at IS NULL AND lead_id IN ({})",
        super::bind_order::placeholders(2, leads.len())
    );
    if !forms.is_empty() {
        let at = 2 + leads.len();
        sql.push_str(&format!(
            " UNION ALL SELECT {DNC_COLUMNS} FROM dnc WHERE workspace = ${at} AND removed_at IS NULL \
             AND contact IN ({})",
            super::bind_order::placeholders(at + 1, forms.len())
        ));
    }
    let sql = super::bind_order::in_bind_order(DbKind::of(conn), sql);
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ws);
    for l in leads {
        q = q.bind(*l);
    }
    if !forms.is_empty() {
        q = q.bind(ws);
        for f in forms {
            q = q.bind(f.as_str());
        }
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut found = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let entry = dnc_from_row(row)?;
        if found.insert(entry.id.clone()) {
            out.push(entry);
        }
    }
    Ok(out)
}

/// Of `rows`, the entries [`dnc_for_conn`] returns for the lead and its `contacts`: those
/// naming the lead or any stored form of a contact, under the plain contact.
pub(super) fn dnc_entries_for(
    privacy: &PrivacyKey,
    rows: &[DncRow],
    lead_id: &str,
    contacts: &[String],
) -> Vec<gate::DncEntry> {
    let forms = privacy.lookup_forms(contacts);
    rows.iter()
        .filter(|r| {
            r.lead_id.as_deref() == Some(lead_id)
                || r.contact
                    .as_deref()
                    .is_some_and(|c| forms.iter().any(|(s, _)| s == c))
        })
        .map(|r| {
            let mut entry = r.to_facts();
            entry.contact = entry.contact.map(|c| super::facts::plain_form(&forms, c));
            entry
        })
        .collect()
}
