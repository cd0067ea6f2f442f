//! Erasure of a lead's personal data (`DELETE /v1/leads/{id}?erase=true`) and the retention of
//! message content: what must go goes, what must keep blocking keeps blocking as keyed hashes.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::bind_order::placeholders;
use super::lifecycle::apply_in;
use super::*;
use crate::chain::map_check_details;
use crate::privacy::ERASED;
use crate::touch::{CancelCause, Outcome, TouchStatus};

/// What an erasure changed: the audit record `lead_erase` (a link of the audit chain) lists it,
/// so `audit verify` can tell these rows' erased values from an unrecorded edit.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Erasure {
    pub lead_id: String,
    /// Touches of the lead, redacted (and cancelled when not yet decided for good).
    pub touches: usize,
    pub cancelled: usize,
    /// Decision rows whose details were replaced by their keyed hash.
    pub decisions: Vec<i64>,
    /// DNC rows now keyed by hash: the lead's contact rows, and the rows that carry its
    /// lead-only entries on to its contacts.
    pub dnc: Vec<String>,
    pub inbound: u64,
}

impl Store {
    /// Erases the lead's personal data in one transaction; `None` when there is no such lead.
    pub async fn erase_lead(
        &self,
        ws: &str,
        lead_id: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Erasure>> {
        let key = &self.privacy;
        let mut tx = self.write_tx().await?;
        let Some(lead) = sqlx::query(
            "SELECT phone, email, linkedin, whatsapp FROM leads WHERE workspace = $1 AND id = $2",
        )
        .bind(ws)
        .bind(lead_id)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let mut own: Vec<String> = Vec::new();
        for col in ["phone", "email", "linkedin", "whatsapp"] {
            if let Some(c) = lead.try_get::<Option<String>, _>(col)?
                && !own.contains(&c)
            {
                own.push(c);
            }
        }
        let touches = sqlx::query(
            "SELECT id, request, recipient FROM touches WHERE workspace = $1 AND lead_id = $2 ORDER BY id",
        )
        .bind(ws)
        .bind(lead_id)
        .fetch_all(&mut *tx)
        .await?;
        // Every contact of the lead: its current ones and those its touches went to.
        let mut contacts = own.clone();
        for t in &touches {
            if let Some(r) = t.try_get::<Option<String>, _>("recipient")?
                && !crate::privacy::is_hashed(&r)
                && !contacts.contains(&r)
            {
                contacts.push(r);
            }
        }
        let mut out = Erasure {
            lead_id: lead_id.to_owned(),
            touches: touches.len(),
            ..Erasure::default()
        };

        // Touches not yet decided for good are cancelled: there is no one left to contact.
        for t in &touches {
            let id: String = t.try_get("id")?;
            let cancel = Outcome::cancelled(CancelCause::Client, "the lead was erased");
            if apply_in(&mut tx, &id, now, &cancel).await?.changed() {
                out.cancelled += 1;
            }
        }

        out.dnc = hash_dnc(&mut tx, key, ws, lead_id, &own, &contacts, now).await?;
        for c in &contacts {
            let h = key.hashed(c);
            sqlx::query(
                "INSERT INTO consent_voids (workspace, contact, at, reason, created_at) \
                 SELECT workspace, $1, at, reason, created_at FROM consent_voids WHERE workspace = $2 AND contact = $3 \
                 ON CONFLICT DO NOTHING",
            )
            .bind(&h)
            .bind(ws)
            .bind(c)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM consent_voids WHERE workspace = $1 AND contact = $2")
                .bind(ws)
                .bind(c)
                .execute(&mut *tx)
                .await?;
            // Sends keep counting toward the number's caps, under its hash.
            sqlx::query("UPDATE sends SET recipient = $1 WHERE workspace = $2 AND recipient = $3 AND lead_id = $4")
                .bind(&h)
                .bind(ws)
                .bind(c)
                .bind(lead_id)
                .execute(&mut *tx)
                .await?;
            out.inbound += sqlx::query(
                "UPDATE inbound_messages SET sender = $1, body = $2 WHERE workspace = $3 AND sender = $4",
            )
            .bind(&h)
            .bind(ERASED)
            .bind(ws)
            .bind(c)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            // Cap locks of databases from before they were keyed by the number's commitment.
            sqlx::query(
                "DELETE FROM cap_locks WHERE workspace = $1 AND account_id = '' AND channel = $2",
            )
            .bind(ws)
            .bind(format!("number:{c}"))
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE check_log SET contact = $1 WHERE workspace = $2 AND contact = $3")
                .bind(&h)
                .bind(ws)
                .bind(c)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE alerts SET contact = $1, detail = $2 WHERE workspace = $3 AND contact = $4",
            )
            .bind(&h)
            .bind(ERASED)
            .bind(ws)
            .bind(c)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE email_events SET address = $1, detail = $2 WHERE workspace = $3 AND address = $4")
                .bind(&h)
                .bind(ERASED)
                .bind(ws)
                .bind(c)
                .execute(&mut *tx)
                .await?;
        }

        for t in &touches {
            let id: String = t.try_get("id")?;
            let request: String = t.try_get("request")?;
            let recipient = t
                .try_get::<Option<String>, _>("recipient")?
                .map(|r| key.hashed(&r));
            sqlx::query(
                "UPDATE touches SET request = $1, recipient = $2, sandbox_message = NULL, content_erased = 1, \
                 error = CASE WHEN error IS NULL THEN NULL ELSE $3 END WHERE id = $4",
            )
            .bind(redact_content(&request))
            .bind(recipient)
            .bind(ERASED)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE alerts SET detail = $1 WHERE workspace = $2 AND touch_id = $3")
                .bind(ERASED)
                .bind(ws)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE email_events SET detail = $1 WHERE touch_id = $2")
                .bind(ERASED)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            let decisions = sqlx::query(
                "SELECT seq, detail, checks FROM decisions WHERE touch_id = $1 ORDER BY seq",
            )
            .bind(&id)
            .fetch_all(&mut *tx)
            .await?;
            for d in &decisions {
                let seq: i64 = d.try_get("seq")?;
                let detail: Option<String> = d.try_get("detail")?;
                let checks: String = d.try_get("checks")?;
                let new_detail = detail.as_deref().map(|v| key.hashed(v));
                let new_checks =
                    map_check_details(&checks, |v| key.hashed(v)).unwrap_or(checks.clone());
                if new_detail == detail && new_checks == checks {
                    continue;
                }
                sqlx::query("UPDATE decisions SET detail = $1, checks = $2 WHERE seq = $3")
                    .bind(new_detail)
                    .bind(new_checks)
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                out.decisions.push(seq);
            }
        }

        for table in ["lead_inbound"] {
            sqlx::query(safe!(
                "DELETE FROM {table} WHERE workspace = $1 AND lead_id = $2"
            ))
            .bind(ws)
            .bind(lead_id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM leads WHERE workspace = $1 AND id = $2")
            .bind(ws)
            .bind(lead_id)
            .execute(&mut *tx)
            .await?;
        let record = serde_json::to_string(&out).unwrap_or_default();
        audit(&mut tx, ws, now, actor, "lead_erase", lead_id, &record).await?;
        tx.commit().await?;
        Ok(Some(out))
    }

    /// Retention: replaces the content of touches created before `touches_before` that can no
    /// longer be sent (decided for good, or past their deadline) and the bodies of inbound
    /// messages received before `inbound_before` with `[erased]`. Answers
    /// (touches, inbound messages) redacted.
    pub async fn apply_retention(
        &self,
        touches_before: Option<DateTime<Utc>>,
        inbound_before: Option<DateTime<Utc>>,
    ) -> Result<(u64, u64)> {
        let mut touches = 0;
        if let Some(before) = touches_before {
            loop {
                let mut tx = self.write_tx().await?;
                // Only a touch that can no longer be sent: decided for good, or past its
                // deadline (nothing sends after it, an override included). A later step still
                // waiting, or a held touch an operator may release, keeps what it will send.
                let done = TouchStatus::sql_list(&[
                    TouchStatus::Sent,
                    TouchStatus::Failed,
                    TouchStatus::Expired,
                    TouchStatus::Cancelled,
                ]);
                let rows = sqlx::query(safe!(
                    "SELECT id, request FROM touches WHERE created_at < $1 AND content_erased IS NULL \
                     AND (status IN ({done}) OR deadline < $1) LIMIT 500"
                ))
                .bind(ms(before))
                .fetch_all(&mut *tx)
                .await?;
                for r in &rows {
                    let id: String = r.try_get("id")?;
                    let request: String = r.try_get("request")?;
                    sqlx::query(
                        "UPDATE touches SET request = $1, sandbox_message = NULL, content_erased = 1 WHERE id = $2",
                    )
                    .bind(redact_content(&request))
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                touches += rows.len() as u64;
                if rows.len() < 500 {
                    break;
                }
            }
        }
        let mut inbound = 0;
        if let Some(before) = inbound_before {
            inbound = sqlx::query(
                "UPDATE inbound_messages SET body = $1 WHERE received_at < $2 AND body <> $1",
            )
            .bind(ERASED)
            .bind(ms(before))
            .execute(&self.pool)
            .await?
            .rows_affected();
        }
        Ok((touches, inbound))
    }
}

/// The lead's DNC rows, keyed by hash: rows naming one of its contacts get the contact's hash
/// (a duplicate of a row already hashed by an earlier erasure is closed, keeping one open row
/// per shape); rows naming only the lead are carried on to each of its own contacts, so a new
/// lead with the same number or address is still blocked. Answers the ids of the rows changed
/// or added.
async fn hash_dnc(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    key: &crate::privacy::PrivacyKey,
    ws: &str,
    lead_id: &str,
    own: &[String],
    contacts: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    if !contacts.is_empty() {
        let list = placeholders(2, contacts.len());
        let mut q = sqlx::query(safe_for!(
            DbKind::of(tx),
            "SELECT id, contact, channel, reason, removed_at, expires_at, lead_id FROM dnc \
             WHERE workspace = $1 AND contact IN ({list}) ORDER BY id"
        ))
        .bind(ws);
        for c in contacts {
            q = q.bind(c.as_str());
        }
        for r in q.fetch_all(&mut **tx).await? {
            let id: String = r.try_get("id")?;
            let contact: String = r.try_get("contact")?;
            let h = key.hashed(&contact);
            let unique_shape = r.try_get::<Option<i64>, _>("removed_at")?.is_none()
                && r.try_get::<Option<i64>, _>("expires_at")?.is_none()
                && r.try_get::<Option<String>, _>("lead_id")?.is_none();
            let duplicate = unique_shape
                && sqlx::query(safe!(
                    "SELECT 1 AS one FROM dnc WHERE workspace = $1 AND contact = $2 AND channel = $3 \
                     AND reason = $4 AND {DNC_UNIQUE_OPEN}"
                ))
                .bind(ws)
                .bind(&h)
                .bind(r.try_get::<String, _>("channel")?)
                .bind(r.try_get::<String, _>("reason")?)
                .fetch_optional(&mut **tx)
                .await?
                .is_some();
            if duplicate {
                sqlx::query(
                    "UPDATE dnc SET contact = $1, removed_at = $2, removed_by = 'erasure', \
                     removed_reason = 'duplicate of an erased contact''s open entry' WHERE id = $3",
                )
                .bind(&h)
                .bind(ms(now))
                .bind(&id)
                .execute(&mut **tx)
                .await?;
            } else {
                sqlx::query("UPDATE dnc SET contact = $1 WHERE id = $2")
                    .bind(&h)
                    .bind(&id)
                    .execute(&mut **tx)
                    .await?;
            }
            ids.push(id);
        }
    }
    let lead_rows = sqlx::query(
        "SELECT id, channel, reason, added_by, expires_at FROM dnc \
         WHERE workspace = $1 AND lead_id = $2 AND contact IS NULL AND removed_at IS NULL ORDER BY id",
    )
    .bind(ws)
    .bind(lead_id)
    .fetch_all(&mut **tx)
    .await?;
    for r in &lead_rows {
        let origin: String = r.try_get("id")?;
        for c in own {
            let id = ulid::Ulid::generate().to_string();
            let added = sqlx::query(safe!(
                "INSERT INTO dnc (workspace, id, contact, lead_id, channel, reason, source, added_by, created_at, expires_at) \
                 VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (workspace, contact, channel, reason) WHERE {DNC_UNIQUE_OPEN} DO NOTHING"
            ))
            .bind(ws)
            .bind(&id)
            .bind(key.hashed(c))
            .bind(r.try_get::<String, _>("channel")?)
            .bind(r.try_get::<String, _>("reason")?)
            .bind(format!("erasure of lead {lead_id} (entry {origin})"))
            .bind(r.try_get::<Option<String>, _>("added_by")?)
            .bind(ms(now))
            .bind(r.try_get::<Option<i64>, _>("expires_at")?)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if added == 1 {
                ids.push(id);
            }
        }
    }
    Ok(ids)
}

/// A touch request with its message content (`content.subject`, `content.body`) replaced by
/// `[erased]`; everything else (ids, channel, template reference, times) kept.
pub fn redact_content(request: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(request) else {
        return request.to_owned();
    };
    if let Some(content) = v.get_mut("content").and_then(|c| c.as_object_mut()) {
        for field in ["subject", "body"] {
            if let Some(x) = content.get_mut(field)
                && x.is_string()
            {
                *x = serde_json::Value::String(ERASED.to_owned());
            }
        }
    }
    v.to_string()
}
