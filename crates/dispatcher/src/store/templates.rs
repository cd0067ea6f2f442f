use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;

/// Attempts of a conditional document write before it gives up.
pub const TEMPLATE_UPDATE_TRIES: u32 = 5;

/// Called between a read and its conditional write (tests): workspace, id, attempt (1-based).
pub type BetweenHook<'a> =
    dyn Fn(&str, &str, u32) -> futures::future::BoxFuture<'static, ()> + Send + Sync + 'a;

impl Store {
    /// Sets the status of WhatsApp template `name` (in `language`, or every language when
    /// None) in every account of the workspace whose `whatsapp_templates` lists it; returns the
    /// ids of the accounts changed. See [`Store::update_whatsapp_template_status_everywhere`].
    pub async fn update_whatsapp_template_status(
        &self,
        ws: &str,
        name: &str,
        language: Option<&str>,
        status: gate::TemplateStatus,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let changed = self
            .template_status_update(Some(ws), name, language, status, now, None)
            .await?;
        Ok(changed.into_iter().map(|(_, id)| id).collect())
    }

    /// The same in every workspace (Meta's template webhook names no workspace); returns the
    /// (workspace, account id) pairs changed.
    ///
    /// Each document is rewritten as a JSON value (nothing else in it changes) by a conditional
    /// write: `UPDATE … WHERE workspace AND id AND updated_at = <as read>`. When an edit landed
    /// in between (0 rows changed), the document is read again and the change re-applied to
    /// the new version (up to [`TEMPLATE_UPDATE_TRIES`] times), so a concurrent
    /// `PUT /v1/accounts/{id}` is never overwritten.
    pub async fn update_whatsapp_template_status_everywhere(
        &self,
        name: &str,
        language: Option<&str>,
        status: gate::TemplateStatus,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>> {
        self.template_status_update(None, name, language, status, now, None)
            .await
    }

    /// [`Store::update_whatsapp_template_status`] with `between` run after each read of a
    /// document and before its conditional write: lets tests land a concurrent edit exactly
    /// in the window the condition guards.
    #[doc(hidden)]
    pub async fn update_whatsapp_template_status_interleaved(
        &self,
        ws: &str,
        name: &str,
        language: Option<&str>,
        status: gate::TemplateStatus,
        now: DateTime<Utc>,
        between: &BetweenHook<'_>,
    ) -> Result<Vec<String>> {
        let changed = self
            .template_status_update(Some(ws), name, language, status, now, Some(between))
            .await?;
        Ok(changed.into_iter().map(|(_, id)| id).collect())
    }

    async fn template_status_update(
        &self,
        ws: Option<&str>,
        name: &str,
        language: Option<&str>,
        status: gate::TemplateStatus,
        now: DateTime<Utc>,
        between: Option<&BetweenHook<'_>>,
    ) -> Result<Vec<(String, String)>> {
        // Candidates: accounts whose document mentions the name at all (the exact match is
        // decided on the parsed document; `%` and `_` in a name only widen the net). A
        // backslash is an escape in PostgreSQL's LIKE: such a name takes every account.
        let quoted = serde_json::Value::String(name.to_owned()).to_string();
        let pattern = if quoted.contains('\\') {
            "%".to_owned()
        } else {
            format!("%{quoted}%")
        };
        let rows = match ws {
            Some(ws) => {
                sqlx::query(
                    "SELECT workspace, id FROM accounts WHERE workspace = $1 AND body LIKE $2 ORDER BY workspace, id",
                )
                .bind(ws)
                .bind(pattern)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT workspace, id FROM accounts WHERE body LIKE $1 ORDER BY workspace, id",
                )
                .bind(pattern)
                .fetch_all(&self.pool)
                .await?
            }
        };
        let mut changed = Vec::new();
        for r in &rows {
            let ws: String = r.try_get("workspace")?;
            let id: String = r.try_get("id")?;
            if self
                .set_template_status(&ws, &id, name, language, status, now, between)
                .await?
            {
                changed.push((ws, id));
            }
        }
        Ok(changed)
    }

    /// One account: read, edit, conditional write; again on a lost race. True when written.
    #[allow(clippy::too_many_arguments)]
    async fn set_template_status(
        &self,
        ws: &str,
        id: &str,
        name: &str,
        language: Option<&str>,
        status: gate::TemplateStatus,
        now: DateTime<Utc>,
        between: Option<&BetweenHook<'_>>,
    ) -> Result<bool> {
        let new = serde_json::Value::String(status.as_str().to_owned());
        for attempt in 1..=TEMPLATE_UPDATE_TRIES {
            let Some(r) = sqlx::query(
                "SELECT body, updated_at FROM accounts WHERE workspace = $1 AND id = $2",
            )
            .bind(ws)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            else {
                return Ok(false);
            };
            let body: String = r.try_get("body")?;
            let read_at: i64 = r.try_get("updated_at")?;
            let mut doc: serde_json::Value = parse_json(&body, || format!("account {ws}/{id}"))?;
            let Some(list) = doc
                .get_mut("whatsapp_templates")
                .and_then(serde_json::Value::as_array_mut)
            else {
                return Ok(false);
            };
            let mut touched = false;
            for t in list.iter_mut() {
                let same_name = t.get("name").and_then(serde_json::Value::as_str) == Some(name);
                let same_language = language.is_none_or(|l| {
                    t.get("language").and_then(serde_json::Value::as_str) == Some(l)
                });
                if same_name
                    && same_language
                    && let Some(map) = t.as_object_mut()
                    && map.get("status") != Some(&new)
                {
                    map.insert("status".to_owned(), new.clone());
                    touched = true;
                }
            }
            if !touched {
                return Ok(false);
            }
            if let Some(hook) = between {
                hook(ws, id, attempt).await;
            }
            // The version moves forward even within one millisecond.
            let written = sqlx::query(
                "UPDATE accounts SET body = $1, updated_at = $2 WHERE workspace = $3 AND id = $4 AND updated_at = $5",
            )
            .bind(doc.to_string())
            .bind(ms(now).max(read_at + 1))
            .bind(ws)
            .bind(id)
            .bind(read_at)
            .execute(&self.pool)
            .await?
            .rows_affected();
            if written == 1 {
                return Ok(true);
            }
            tracing::debug!(
                workspace = ws,
                account_id = id,
                attempt,
                "account edited while its template status was being updated; reading it again"
            );
        }
        tracing::warn!(
            workspace = ws,
            account_id = id,
            template = name,
            "template status not applied: the account kept changing under {TEMPLATE_UPDATE_TRIES} attempts"
        );
        Err(StoreError::Contended {
            what: format!("account {id}"),
        })
    }
}
