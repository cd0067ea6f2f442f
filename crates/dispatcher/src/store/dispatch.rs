use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;
use crate::touch::{Outcome, Reservation, TimelineKind};
use facts::{FactsKey, TouchFacts, load_facts};

impl Store {
    // ---- dispatch ----

    /// Touches due at `now` (queued or scheduled, `next_attempt_at <= now`), oldest first; of
    /// one workspace when `workspace` is given (`POST /v1/dispatch/drain` acts on the caller's).
    pub async fn due_touches(
        &self,
        workspace: Option<&str>,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<String>> {
        let rows = sqlx::query(safe!(
            "SELECT id FROM touches WHERE status IN ({}) AND next_attempt_at <= $1 \
             AND ($2 IS NULL OR workspace = $2) ORDER BY next_attempt_at, id LIMIT {}",
            TouchStatus::sql_list(&TouchStatus::WAITING),
            limit.clamp(1, 10_000)
        ))
        .bind(ms(now))
        .bind(workspace)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    /// The earliest `next_attempt_at` among waiting touches.
    pub async fn next_due_at(&self) -> Result<Option<DateTime<Utc>>> {
        let row = sqlx::query(safe!(
            "SELECT MIN(next_attempt_at) AS t FROM touches WHERE status IN ({})",
            TouchStatus::sql_list(&TouchStatus::WAITING)
        ))
        .fetch_one(&self.pool)
        .await?;
        Ok(opt_time(row.try_get("t")?))
    }

    /// Starts the dispatch transaction for one touch: claims it (only if still due) and takes
    /// its sender's cap lock. `None` when another dispatcher has it or it is no longer due.
    pub async fn begin_dispatch(
        &self,
        touch_id: &str,
        claimant: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Dispatch>> {
        let mut tx = self.write_tx().await?;
        let claimed = sqlx::query(safe!(
            "UPDATE touches SET claimed_by = $1 WHERE id = $2 AND status IN ({}) \
             AND next_attempt_at <= $3 RETURNING {TOUCH_COLUMNS}",
            TouchStatus::sql_list(&TouchStatus::WAITING)
        ))
        .bind(claimant)
        .bind(touch_id)
        .bind(ms(now))
        .fetch_optional(&mut *tx)
        .await?;
        self.lock_claimed(tx, claimed).await
    }

    /// Starts the dispatch transaction of an operator override: claims a touch of the
    /// workspace that is `scheduled` or `blocked` (due or not).
    pub async fn begin_override(
        &self,
        workspace: &str,
        touch_id: &str,
        claimant: &str,
    ) -> Result<Option<Dispatch>> {
        let mut tx = self.write_tx().await?;
        let claimed = sqlx::query(safe!(
            "UPDATE touches SET claimed_by = $1 WHERE id = $2 AND workspace = $3 AND status IN ({}) \
             RETURNING {TOUCH_COLUMNS}",
            TouchStatus::sql_list(&crate::touch::transitions::sources(
                crate::touch::Event::OperatorOverride,
                TouchStatus::Sending
            ))
        ))
        .bind(claimant)
        .bind(touch_id)
        .bind(workspace)
        .fetch_optional(&mut *tx)
        .await?;
        self.lock_claimed(tx, claimed).await
    }

    /// Takes the cap locks of a claimed touch (or gives the transaction up).
    async fn lock_claimed(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Any>,
        claimed: Option<sqlx::any::AnyRow>,
    ) -> Result<Option<Dispatch>> {
        let Some(row) = claimed else {
            tx.rollback().await?;
            return Ok(None);
        };
        let touch = touch_from_row(&row)?;
        // On SQLite, BEGIN IMMEDIATE already serialises every writer; the lock rows matter on
        // PostgreSQL, where dispatch transactions run side by side.
        if self.kind == DbKind::Postgres {
            sqlx::query(
                "INSERT INTO cap_locks (workspace, account_id, channel, version) VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (workspace, account_id, channel) DO UPDATE SET version = cap_locks.version + 1",
            )
            .bind(touch.workspace.as_str())
            .bind(touch.account_id.as_str())
            .bind(touch.channel.as_str())
            .execute(&mut *tx)
            .await?;
            // Per-recipient caps span accounts and channels: the cross-campaign cap counts the
            // lead, the legal ones (FL/OK/MD: 3 in 24 h) count the number, whichever lead it
            // belongs to. Serialise on both, always after the sender's row and in this order,
            // so two dispatch transactions can never wait on each other in a cycle.
            let lead =
                sqlx::query("SELECT phone, whatsapp FROM leads WHERE workspace = $1 AND id = $2")
                    .bind(touch.workspace.as_str())
                    .bind(touch.lead_id.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
            let mut keys = vec![format!("lead:{}", touch.lead_id)];
            if let Some(l) = lead {
                let phone: Option<String> = l.try_get("phone")?;
                let whatsapp: Option<String> = l.try_get("whatsapp")?;
                let number = match touch.channel {
                    gate::Channel::Sms | gate::Channel::Call => phone,
                    gate::Channel::Whatsapp => whatsapp.or(phone),
                    gate::Channel::Email | gate::Channel::Linkedin => None,
                };
                keys.extend(number.map(|n| format!("number:{n}")));
            }
            for key in keys {
                sqlx::query(
                    "INSERT INTO cap_locks (workspace, account_id, channel, version) VALUES ($1, '', $2, 1) \
                     ON CONFLICT (workspace, account_id, channel) DO UPDATE SET version = cap_locks.version + 1",
                )
                .bind(touch.workspace.as_str())
                .bind(key)
                .execute(&mut *tx)
                .await?;
            }
        }
        Ok(Some(Dispatch {
            tx,
            touch,
            privacy: self.privacy.clone(),
        }))
    }
}

/// What one dispatch transaction writes besides the claim.
#[derive(Debug, Clone, Copy)]
pub struct Commit<'a> {
    pub decision: &'a gate::Decision,
    /// The touch's next state; `None`: it keeps the one it has (an override not released).
    pub outcome: Option<&'a Outcome>,
    /// The contact the permit names (sending only).
    pub recipient: Option<&'a str>,
    /// Why the facts were missing, for the timeline.
    pub detail: Option<&'a str>,
    pub alert: Option<&'a NewAlert<'a>>,
    /// `{"waived", "reason", "added_by", "token"}` of an operator override.
    pub override_: Option<&'a serde_json::Value>,
}

/// An open dispatch transaction: the touch is claimed and its sender's cap row is locked.
/// Load facts, decide, then [`Dispatch::commit`] writes the decision, the state change and
/// (when allowed) the cap reservation together.
#[derive(Debug)]
pub struct Dispatch {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    pub touch: TouchRow,
    privacy: PrivacyKey,
}

impl Dispatch {
    /// The gate's facts, read inside the transaction (under the cap locks).
    pub async fn load_facts(&mut self, now: DateTime<Utc>) -> Result<TouchFacts> {
        let t = &self.touch;
        let key = FactsKey {
            workspace: &t.workspace,
            account_id: &t.account_id,
            lead_id: &t.lead_id,
            channel: t.channel,
        };
        load_facts(&mut self.tx, &self.privacy, key, now).await
    }

    /// Records the gate's decision and applies its outcome (for `sending`: the cap
    /// reservation and the recipient the permit names, kept when the lead changes later);
    /// without an outcome (an override that released nothing) the touch keeps its state.
    /// Raises the alert, records the override, then commits — all or nothing.
    pub async fn commit(mut self, now: DateTime<Utc>, c: &Commit<'_>) -> Result<()> {
        if let Some(a) = c.alert {
            raise_alert(&mut self.tx, a, now).await?;
        }
        let (decision, recipient) = (c.decision, c.recipient);
        let override_json = c.override_.map(serde_json::Value::to_string);
        let t = &self.touch;
        let checks = serde_json::to_string(&decision.checks).unwrap_or_else(|_| "[]".to_owned());
        let reason = decision.reason.map(|r| r.as_str());
        sqlx::query(
            "INSERT INTO decisions (workspace, touch_id, at, kind, allowed, reason, retry_after, checks, detail, override) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(t.workspace.as_str())
        .bind(t.id.as_str())
        .bind(ms(now))
        .bind(TimelineKind::Gate.as_str())
        .bind(i64::from(decision.allowed))
        .bind(reason)
        .bind(decision.retry_after.map(ms))
        .bind(checks)
        .bind(c.detail)
        .bind(override_json.clone())
        .execute(&mut *self.tx)
        .await?;
        if let Some(o) = &override_json {
            sqlx::query("UPDATE touches SET override = $1 WHERE id = $2")
                .bind(o.as_str())
                .bind(t.id.as_str())
                .execute(&mut *self.tx)
                .await?;
        }
        let Some(outcome) = c.outcome else {
            self.tx.commit().await?;
            return Ok(());
        };
        let sources = TouchStatus::sql_list(&outcome.sources());
        let changed = sqlx::query(safe!(
            "UPDATE touches SET status = $1, reason = $2, retry_after = $3, decided_at = $4, \
             next_attempt_at = COALESCE($5, next_attempt_at), recipient = COALESCE($6, recipient), \
             updated_at = $4 WHERE id = $7 AND status IN ({sources})"
        ))
        .bind(outcome.to.as_str())
        .bind(reason)
        .bind(decision.retry_after.map(ms))
        .bind(ms(now))
        .bind(outcome.next_attempt_at.map(ms))
        .bind(recipient)
        .bind(t.id.as_str())
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if changed != 1 {
            // The claim holds the touch in a waiting state: anything else is a bug, and
            // nothing of this decision may stand.
            self.tx.rollback().await?;
            return Err(StoreError::Contended {
                what: format!("touch {}", t.id),
            });
        }
        if outcome.reservation == Reservation::Keep {
            sqlx::query(
                "INSERT INTO sends (workspace, touch_id, account_id, lead_id, channel, purpose, action, at, recipient) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (touch_id) DO NOTHING",
            )
            .bind(t.workspace.as_str())
            .bind(t.id.as_str())
            .bind(t.account_id.as_str())
            .bind(t.lead_id.as_str())
            .bind(t.channel.as_str())
            .bind(purpose_str(t.purpose))
            .bind(match t.request.action.unwrap_or_default() {
                gate::LinkedInAction::Invite => "invite",
                gate::LinkedInAction::Message => "message",
            })
            .bind(ms(now))
            .bind(recipient)
            .execute(&mut *self.tx)
            .await?;
        }
        self.tx.commit().await?;
        Ok(())
    }
}
