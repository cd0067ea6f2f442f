use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;

impl Store {
    // ---- accounts ----

    /// Creates or replaces; returns true when this call created it (the insert decides, so of
    /// concurrent first writes exactly one answers "created"). `updated_at` doubles as the
    /// document's version: every write makes it strictly larger (even at the same millisecond),
    /// so a conditional write ([`Store::update_whatsapp_template_status`]) sees any edit made
    /// since it read the document.
    pub async fn put_account(
        &self,
        ws: &str,
        id: &str,
        body: &AccountBody,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.put_account_by(ws, id, body, "touchgate", now).await
    }

    /// Creates or replaces an account and records the change (`account_put`, by `actor`, with
    /// the document) in the same transaction: the account's document is its sending settings
    /// (caps, windows, pauses), and every change is a link of the audit chain.
    pub async fn put_account_by(
        &self,
        ws: &str,
        id: &str,
        body: &AccountBody,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let json = to_json(body);
        let mut tx = self.write_tx().await?;
        let created = sqlx::query(
            "INSERT INTO accounts (workspace, id, body, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (workspace, id) DO NOTHING",
        )
        .bind(ws)
        .bind(id)
        .bind(&json)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !created {
            sqlx::query(
                "UPDATE accounts SET body = $3, updated_at = \
                 CASE WHEN $4 > updated_at THEN $4 ELSE updated_at + 1 END WHERE workspace = $1 AND id = $2",
            )
            .bind(ws)
            .bind(id)
            .bind(&json)
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        }
        let detail = serde_json::json!({ "created": created, "account": body }).to_string();
        audit(&mut tx, ws, now, actor, "account_put", id, &detail).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Records the configuration a daemon starts with (its file's path and SHA-256) in the
    /// global audit chain, when it differs from the last one recorded.
    pub async fn record_config(
        &self,
        path: &str,
        sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let detail = serde_json::json!({ "path": path, "sha256": sha256 }).to_string();
        let mut tx = self.write_tx().await?;
        let last = sqlx::query(
            "SELECT detail FROM audit_log WHERE workspace = '*' AND action = 'config_loaded' ORDER BY seq DESC LIMIT 1",
        )
        .fetch_optional(&mut *tx)
        .await?;
        let last: Option<String> = last.map(|r| r.try_get("detail")).transpose()?;
        let changed = last.as_deref() != Some(detail.as_str());
        if changed {
            audit(
                &mut tx,
                "*",
                now,
                "touchgate serve",
                "config_loaded",
                path,
                &detail,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// The account, parsed; a stored document that no longer parses is an error naming it.
    pub async fn get_account(&self, ws: &str, id: &str) -> Result<Option<StoredAccount>> {
        let row = sqlx::query("SELECT body FROM accounts WHERE workspace = $1 AND id = $2")
            .bind(ws)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| parse_account(ws, id, &r.try_get::<String, _>("body")?))
            .transpose()
    }

    // ---- leads ----

    /// Creates or replaces; returns true when this call created it (as for accounts). One write
    /// transaction (on SQLite the daemon's writer connection): as two statements on the read
    /// pool, 16 concurrent PUTs waited for SQLite's write lock in its sleeping busy handler
    /// (3.3 ms a statement on average, up to 330 ms, ~1,800 sleeps a second in the bench).
    pub async fn put_lead(
        &self,
        ws: &str,
        id: &str,
        body: &LeadBody,
        contacts: &LeadContacts,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let json = to_json(body);
        let mut tx = self.write_tx().await?;
        let created = sqlx::query(
            "INSERT INTO leads (workspace, id, body, phone, email, linkedin, whatsapp, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (workspace, id) DO NOTHING",
        )
        .bind(ws)
        .bind(id)
        .bind(&json)
        .bind(contacts.phone.clone())
        .bind(contacts.email.clone())
        .bind(contacts.linkedin.clone())
        .bind(contacts.whatsapp.clone())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !created {
            sqlx::query(
                "UPDATE leads SET body = $3, phone = $4, email = $5, linkedin = $6, whatsapp = $7, \
                 updated_at = $8 WHERE workspace = $1 AND id = $2",
            )
            .bind(ws)
            .bind(id)
            .bind(&json)
            .bind(contacts.phone.clone())
            .bind(contacts.email.clone())
            .bind(contacts.linkedin.clone())
            .bind(contacts.whatsapp.clone())
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(created)
    }

    /// The lead, parsed; a stored document that no longer parses is an error naming it.
    pub async fn get_lead(&self, ws: &str, id: &str) -> Result<Option<StoredLead>> {
        let row = sqlx::query("SELECT body FROM leads WHERE workspace = $1 AND id = $2")
            .bind(ws)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| parse_lead(ws, id, &r.try_get::<String, _>("body")?))
            .transpose()
    }

    /// Ids of the leads that have `contact` (canonical) as any of their contacts.
    pub async fn leads_with_contact(&self, ws: &str, contact: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT id FROM leads WHERE workspace = $1 AND (phone = $2 OR email = $2 OR linkedin = $2 OR whatsapp = $2) ORDER BY id",
        )
        .bind(ws)
        .bind(contact)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    /// Every workspace that has a lead with `contact` (canonical) as any of its contacts, in
    /// name order: where a provider webhook (which names no workspace) belongs.
    pub async fn workspaces_with_contact(&self, contact: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT workspace FROM leads WHERE phone = $1 UNION SELECT workspace FROM leads WHERE email = $1 \
             UNION SELECT workspace FROM leads WHERE linkedin = $1 UNION SELECT workspace FROM leads WHERE whatsapp = $1 \
             ORDER BY workspace",
        )
        .bind(contact)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("workspace")?)).collect()
    }
}

/// A stored account document, parsed into the API's and the gate's views.
pub(super) fn parse_account(ws: &str, id: &str, json: &str) -> Result<StoredAccount> {
    let what = || format!("account {ws}/{id}");
    let body: AccountBody = parse_json(json, what)?;
    StoredAccount::parse(id, body).map_err(|e| corrupt(what(), e))
}

/// A stored lead document, parsed into the API's and the gate's views.
pub(super) fn parse_lead(ws: &str, id: &str, json: &str) -> Result<StoredLead> {
    let what = || format!("lead {ws}/{id}");
    let body: LeadBody = parse_json(json, what)?;
    StoredLead::parse(id, body).map_err(|e| corrupt(what(), e))
}
