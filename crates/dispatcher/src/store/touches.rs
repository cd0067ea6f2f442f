use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;
use crate::touch::{CancelCause, Outcome, TimelineKind};

impl Store {
    // ---- touches ----

    /// Inserts a touch unless its idempotency key exists; returns the stored touch and whether
    /// this call created it. The unique key decides, so concurrent duplicates create one.
    pub async fn create_touch(&self, t: &NewTouch) -> Result<(TouchRow, bool)> {
        let r = &t.request;
        let inserted = sqlx::query(
            "INSERT INTO touches (workspace, id, idempotency_key, account_id, lead_id, channel, purpose, request, \
             status, next_attempt_at, deadline, attempts, campaign_id, step, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9, $10, 0, $11, $12, $13, $13) \
             ON CONFLICT (workspace, idempotency_key) DO NOTHING",
        )
        .bind(t.workspace.as_str())
        .bind(t.id.as_str())
        .bind(t.idempotency_key.as_str())
        .bind(r.account_id.as_str())
        .bind(r.lead_id.as_str())
        .bind(r.channel.as_str())
        .bind(super::enqueue::purpose_name(r.purpose.unwrap_or_default()))
        .bind(to_json(r))
        .bind(ms(t.next_attempt_at))
        .bind(ms(t.deadline))
        .bind(r.campaign_id.clone())
        .bind(r.step)
        .bind(ms(t.now))
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1;
        let row = sqlx::query(safe!(
            "SELECT {TOUCH_COLUMNS} FROM touches WHERE workspace = $1 AND idempotency_key = $2"
        ))
        .bind(t.workspace.as_str())
        .bind(t.idempotency_key.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok((touch_from_row(&row)?, inserted))
    }

    pub async fn get_touch(&self, ws: &str, id: &str) -> Result<Option<TouchRow>> {
        let row = sqlx::query(safe!(
            "SELECT {TOUCH_COLUMNS} FROM touches WHERE workspace = $1 AND id = $2"
        ))
        .bind(ws)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| touch_from_row(&r)).transpose()
    }

    /// The touch stored under an idempotency key in the workspace.
    pub async fn touch_by_idempotency_key(&self, ws: &str, key: &str) -> Result<Option<TouchRow>> {
        let row = sqlx::query(safe!(
            "SELECT {TOUCH_COLUMNS} FROM touches WHERE workspace = $1 AND idempotency_key = $2"
        ))
        .bind(ws)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| touch_from_row(&r)).transpose()
    }

    /// A touch by id whatever its workspace (the dispatcher's view).
    pub async fn touch_by_id(&self, id: &str) -> Result<Option<TouchRow>> {
        let row = sqlx::query(safe!("SELECT {TOUCH_COLUMNS} FROM touches WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| touch_from_row(&r)).transpose()
    }

    pub async fn decisions(&self, touch_id: &str) -> Result<Vec<DecisionRow>> {
        let rows = sqlx::query(
            "SELECT at, kind, allowed, reason, retry_after, checks, detail, override FROM decisions WHERE touch_id = $1 ORDER BY seq",
        )
        .bind(touch_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let checks: String = r.try_get("checks")?;
                let allowed: i64 = r.try_get("allowed")?;
                Ok(DecisionRow {
                    at: from_ms(r.try_get("at")?),
                    kind: parse_column(r, "kind", || {
                        format!("timeline entry of touch {touch_id}")
                    })?,
                    allowed: allowed != 0,
                    reason: r.try_get("reason")?,
                    retry_after: opt_time(r.try_get("retry_after")?),
                    checks: serde_json::from_str(&checks).unwrap_or(serde_json::Value::Null),
                    detail: r.try_get("detail")?,
                    override_: r
                        .try_get::<Option<String>, _>("override")?
                        .map(|o| parse_json(&o, || format!("override of touch {touch_id}")))
                        .transpose()?,
                })
            })
            .collect()
    }

    fn filter_sql(f: &TouchFilter, first: usize) -> (String, Vec<String>, Vec<i64>) {
        // Text binds come first, then integer binds, each numbered in order of appearance.
        let mut sql = String::new();
        let mut texts = Vec::new();
        let mut ints = Vec::new();
        let mut n = first;
        let mut text = |col: &str, v: &Option<String>, sql: &mut String| {
            if let Some(v) = v {
                sql.push_str(&format!(" AND {col} = ${n}"));
                n += 1;
                texts.push(v.clone());
            }
        };
        text("status", &f.status.map(|s| s.as_str().to_owned()), &mut sql);
        text("reason", &f.reason, &mut sql);
        text("channel", &f.channel, &mut sql);
        text("account_id", &f.account_id, &mut sql);
        text("lead_id", &f.lead_id, &mut sql);
        text("campaign_id", &f.campaign_id, &mut sql);
        if let Some(from) = f.from {
            sql.push_str(&format!(" AND created_at >= ${n}"));
            n += 1;
            ints.push(ms(from));
        }
        if let Some(to) = f.to {
            sql.push_str(&format!(" AND created_at < ${n}"));
            ints.push(ms(to));
        }
        (sql, texts, ints)
    }

    /// One page of touches, newest first; `cursor` is the last id of the previous page.
    pub async fn list_touches(
        &self,
        ws: &str,
        f: &TouchFilter,
        limit: i64,
        cursor: Option<&str>,
    ) -> Result<Vec<TouchRow>> {
        let cursor_sql = if cursor.is_some() { " AND id < $2" } else { "" };
        let first = if cursor.is_some() { 3 } else { 2 };
        let (where_sql, texts, ints) = Self::filter_sql(f, first);
        let sql = format!(
            "SELECT {TOUCH_COLUMNS} FROM touches WHERE workspace = $1{cursor_sql}{where_sql} ORDER BY id DESC LIMIT {}",
            limit.clamp(1, 1000)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ws);
        if let Some(c) = cursor {
            q = q.bind(c);
        }
        for t in texts {
            q = q.bind(t);
        }
        for i in ints {
            q = q.bind(i);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(touch_from_row).collect()
    }

    /// Cancels a touch of the workspace that is still waiting. The answer says whether this
    /// call cancelled it (the conditional write decides, so of concurrent cancels one does);
    /// `None` when the workspace has no such touch.
    pub async fn cancel_touch(
        &self,
        ws: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(TouchRow, Applied)>> {
        if self.get_touch(ws, id).await?.is_none() {
            return Ok(None);
        }
        let applied = self
            .apply(
                id,
                now,
                &Outcome::cancelled(CancelCause::Client, "cancelled by client"),
            )
            .await?;
        Ok(self.get_touch(ws, id).await?.map(|t| (t, applied)))
    }

    // ---- inbound webhooks and the opt-out confirmation ----

    /// The touch a provider knows by `provider_message_id` (any workspace; newest if several).
    pub async fn touch_by_provider_message_id(
        &self,
        provider_message_id: &str,
    ) -> Result<Option<TouchRow>> {
        let row = sqlx::query(safe!(
            "SELECT {TOUCH_COLUMNS} FROM touches WHERE provider_message_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1"
        ))
        .bind(provider_message_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| touch_from_row(&r)).transpose()
    }

    /// Adds one entry to a touch's timeline (`delivery` for a provider's delivery status,
    /// `opt_out_confirmation` for the confirmation's permit) without changing the touch.
    pub async fn record_touch_event(
        &self,
        touch_id: &str,
        now: DateTime<Utc>,
        kind: TimelineKind,
        allowed: bool,
        reason: Option<&str>,
        detail: &str,
    ) -> Result<()> {
        let tx = self.write_tx().await?;
        append_event(tx, touch_id, now, kind, allowed, reason, detail).await
    }

    /// [`Store::record_touch_event`] unless the touch's timeline holds the same entry (kind,
    /// reason and detail) already: a provider status or report delivered again is a replay,
    /// not news. True when the entry was recorded.
    pub async fn record_touch_event_once(
        &self,
        touch_id: &str,
        now: DateTime<Utc>,
        kind: TimelineKind,
        allowed: bool,
        reason: Option<&str>,
        detail: &str,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        // Two deliveries at once: the touch's row lock orders them (SQLite's write
        // transaction already does).
        if self.kind == DbKind::Postgres {
            sqlx::query("SELECT id FROM touches WHERE id = $1 FOR UPDATE")
                .bind(touch_id)
                .fetch_optional(&mut *tx)
                .await?;
        }
        let seen = sqlx::query(
            "SELECT 1 AS seen FROM decisions WHERE touch_id = $1 AND kind = $2 \
             AND COALESCE(reason, '') = COALESCE($3, '') AND COALESCE(detail, '') = $4 LIMIT 1",
        )
        .bind(touch_id)
        .bind(kind.as_str())
        .bind(reason)
        .bind(detail)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
        if seen {
            return Ok(false);
        }
        append_event(tx, touch_id, now, kind, allowed, reason, detail).await?;
        Ok(true)
    }

    /// The workspace's touch whose provider message id is one of `ids` (an email's
    /// `In-Reply-To`/`References`, with or without angle brackets), newest first.
    pub async fn touch_by_message_ids(&self, ws: &str, ids: &[String]) -> Result<Option<TouchRow>> {
        let mut wanted: Vec<String> = Vec::new();
        for id in ids.iter().take(50) {
            let bare = id.trim().trim_start_matches('<').trim_end_matches('>');
            wanted.push(bare.to_owned());
            wanted.push(format!("<{bare}>"));
        }
        if wanted.is_empty() {
            return Ok(None);
        }
        let list = (0..wanted.len())
            .map(|i| format!("${}", i + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let mut q = sqlx::query(safe!(
            "SELECT {TOUCH_COLUMNS} FROM touches WHERE workspace = $1 AND provider_message_id IN ({list}) \
             ORDER BY created_at DESC, id DESC LIMIT 1"
        ))
        .bind(ws);
        for w in &wanted {
            q = q.bind(w.as_str());
        }
        let row = q.fetch_optional(&self.pool).await?;
        row.map(|r| touch_from_row(&r)).transpose()
    }

    /// The most recent touch sent (or possibly sent) to `contact` on `channel`.
    pub async fn latest_sent_touch_to(
        &self,
        ws: &str,
        contact: &str,
        channel: gate::Channel,
    ) -> Result<Option<TouchRow>> {
        let row = sqlx::query(safe!(
            "SELECT {TOUCH_COLUMNS} FROM touches WHERE workspace = $1 AND recipient = $2 AND channel = $3 \
             AND status IN ({}) ORDER BY decided_at DESC, id DESC LIMIT 1",
            TouchStatus::sql_list(&[TouchStatus::Sending, TouchStatus::Sent, TouchStatus::NeedsReview])
        ))
        .bind(ws)
        .bind(contact)
        .bind(channel.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| touch_from_row(&r)).transpose()
    }

    /// The waiting marketing touches of `leads` (of `campaign` only, when given).
    pub async fn pending_marketing_touches(
        &self,
        ws: &str,
        leads: &[String],
        campaign: Option<&str>,
    ) -> Result<Vec<TouchRow>> {
        if leads.is_empty() {
            return Ok(Vec::new());
        }
        let list = (0..leads.len())
            .map(|i| format!("${}", i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let mut q = sqlx::query(safe!(
            "SELECT {TOUCH_COLUMNS} FROM touches WHERE workspace = $1 AND ($2 IS NULL OR campaign_id = $2) \
             AND purpose = 'marketing' AND status IN ({}) AND lead_id IN ({list}) ORDER BY id",
            TouchStatus::sql_list(&TouchStatus::WAITING)
        ))
        .bind(ws)
        .bind(campaign);
        for l in leads {
            q = q.bind(l.as_str());
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(touch_from_row).collect()
    }
}

pub(super) async fn workspace_of(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    touch_id: &str,
) -> Result<String> {
    let r = sqlx::query("SELECT workspace FROM touches WHERE id = $1")
        .bind(touch_id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(r.try_get("workspace")?)
}

/// Adds a non-gate entry (provider answer, recovery, cancel, delivery …) to a touch's timeline.
#[allow(clippy::too_many_arguments)]
pub(super) async fn insert_event(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    ws: &str,
    touch_id: &str,
    now: DateTime<Utc>,
    kind: TimelineKind,
    allowed: bool,
    reason: Option<&str>,
    detail: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO decisions (workspace, touch_id, at, kind, allowed, reason, retry_after, checks, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL, '[]', $7)",
    )
    .bind(ws)
    .bind(touch_id)
    .bind(ms(now))
    .bind(kind.as_str())
    .bind(i64::from(allowed))
    .bind(reason)
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Appends an entry to the touch's timeline (in its workspace) and commits `tx`.
async fn append_event(
    mut tx: sqlx::Transaction<'static, sqlx::Any>,
    touch_id: &str,
    now: DateTime<Utc>,
    kind: TimelineKind,
    allowed: bool,
    reason: Option<&str>,
    detail: &str,
) -> Result<()> {
    let ws = workspace_of(&mut tx, touch_id).await?;
    insert_event(
        &mut tx,
        &ws,
        touch_id,
        now,
        kind,
        allowed,
        reason,
        Some(detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
