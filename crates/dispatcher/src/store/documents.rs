use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;

impl Store {
    // ---- accounts ----

    /// Creates or replaces; returns true when it was created. `updated_at` doubles as the
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
        let json = to_json(body);
        let existed = sqlx::query("SELECT 1 AS one FROM accounts WHERE workspace = $1 AND id = $2")
            .bind(ws)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .is_some();
        sqlx::query(
            "INSERT INTO accounts (workspace, id, body, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (workspace, id) DO UPDATE SET body = excluded.body, updated_at = \
             CASE WHEN excluded.updated_at > accounts.updated_at THEN excluded.updated_at ELSE accounts.updated_at + 1 END",
        )
        .bind(ws)
        .bind(id)
        .bind(json)
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(!existed)
    }

    pub async fn get_account(&self, ws: &str, id: &str) -> Result<Option<AccountBody>> {
        let row = sqlx::query("SELECT body FROM accounts WHERE workspace = $1 AND id = $2")
            .bind(ws)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| parse_doc(&r, &format!("account {id}")))
            .transpose()
    }

    // ---- leads ----

    pub async fn put_lead(
        &self,
        ws: &str,
        id: &str,
        body: &LeadBody,
        contacts: &LeadContacts,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let existed = sqlx::query("SELECT 1 AS one FROM leads WHERE workspace = $1 AND id = $2")
            .bind(ws)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .is_some();
        sqlx::query(
            "INSERT INTO leads (workspace, id, body, phone, email, linkedin, whatsapp, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (workspace, id) DO UPDATE SET body = excluded.body, phone = excluded.phone, \
             email = excluded.email, linkedin = excluded.linkedin, whatsapp = excluded.whatsapp, \
             updated_at = excluded.updated_at",
        )
        .bind(ws)
        .bind(id)
        .bind(to_json(body))
        .bind(contacts.phone.clone())
        .bind(contacts.email.clone())
        .bind(contacts.linkedin.clone())
        .bind(contacts.whatsapp.clone())
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(!existed)
    }

    pub async fn get_lead(&self, ws: &str, id: &str) -> Result<Option<LeadBody>> {
        let row = sqlx::query("SELECT body FROM leads WHERE workspace = $1 AND id = $2")
            .bind(ws)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| parse_doc(&r, &format!("lead {id}")))
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
