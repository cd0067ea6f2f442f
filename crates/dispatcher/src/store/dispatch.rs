use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;
use crate::touch::{Outcome, Reservation, TimelineKind};
use batch_facts::BatchFacts;
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
        if self.kind == DbKind::Postgres {
            take_cap_locks(&mut tx, &self.privacy, std::slice::from_ref(&touch)).await?;
        }
        Ok(Some(Dispatch {
            tx,
            touch,
            privacy: self.privacy.clone(),
        }))
    }

    /// Starts a dispatch transaction for up to `limit` touches due at `now` (of one workspace
    /// when `workspace` is given): claims them and takes every cap lock they need, in one
    /// global order. On PostgreSQL the claim skips rows another dispatcher has locked, so
    /// dispatchers working side by side take disjoint batches. `None`: nothing is due.
    pub async fn begin_batch(
        &self,
        workspace: Option<&str>,
        claimant: &str,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Option<DispatchBatch>> {
        let mut tx = self.write_tx().await?;
        let skip_locked = match self.kind {
            DbKind::Postgres => " FOR UPDATE SKIP LOCKED",
            DbKind::Sqlite => "",
        };
        // The pick is materialised first: PostgreSQL may otherwise run a LIMIT subquery of an
        // UPDATE's WHERE more than once and claim more than `limit` rows.
        let rows = sqlx::query(safe!(
            "WITH picked AS MATERIALIZED (SELECT id FROM touches WHERE status IN ({waiting}) \
             AND next_attempt_at <= $2 AND ($3 IS NULL OR workspace = $3) ORDER BY next_attempt_at, id \
             LIMIT {limit}{skip_locked}) \
             UPDATE touches SET claimed_by = $1 WHERE id IN (SELECT id FROM picked) \
             AND status IN ({waiting}) AND next_attempt_at <= $2 RETURNING {TOUCH_COLUMNS}",
            waiting = TouchStatus::sql_list(&TouchStatus::WAITING),
            limit = limit.clamp(1, 1000),
        ))
        .bind(claimant)
        .bind(ms(now))
        .bind(workspace)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            tx.rollback().await?;
            return Ok(None);
        }
        let mut touches = rows
            .iter()
            .map(touch_from_row)
            .collect::<Result<Vec<_>>>()?;
        // Decided sender by sender, oldest first within a sender.
        touches.sort_by(|a, b| {
            (
                &a.workspace,
                &a.account_id,
                a.channel.as_str(),
                a.next_attempt_at,
                &a.id,
            )
                .cmp(&(
                    &b.workspace,
                    &b.account_id,
                    b.channel.as_str(),
                    b.next_attempt_at,
                    &b.id,
                ))
        });
        if self.kind == DbKind::Postgres {
            take_cap_locks(&mut tx, &self.privacy, &touches).await?;
        }
        Ok(Some(DispatchBatch {
            tx,
            touches,
            privacy: self.privacy.clone(),
            facts: None,
        }))
    }
}

/// Takes the cap lock rows of `touches` (PostgreSQL; on SQLite, `BEGIN IMMEDIATE` already
/// serialises every writer): each one's sender (account and channel), and — since per-recipient
/// caps span accounts and channels — its lead (the cross-campaign cap) and the number it rings
/// (the legal per-number caps), whichever lead that number belongs to. Taken in one global
/// order (sorted keys), whatever the batch, so two dispatch transactions never wait on each
/// other in a cycle. A number's lock is keyed by its keyed commitment
/// ([`crate::privacy::PrivacyKey::commit`]), never by the number itself: the row outlives any
/// erasure of the lead, and an erased number must not be left behind in it.
async fn take_cap_locks(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    key: &crate::privacy::PrivacyKey,
    touches: &[TouchRow],
) -> Result<()> {
    let mut keys = std::collections::BTreeSet::new();
    let mut leads: std::collections::BTreeMap<&str, Vec<&str>> = std::collections::BTreeMap::new();
    for t in touches {
        keys.insert((
            t.workspace.clone(),
            t.account_id.clone(),
            t.channel.as_str().to_owned(),
        ));
        keys.insert((
            t.workspace.clone(),
            String::new(),
            format!("lead:{}", t.lead_id),
        ));
        leads
            .entry(t.workspace.as_str())
            .or_default()
            .push(t.lead_id.as_str());
    }
    for (ws, ids) in leads {
        let list = super::chain::placeholders(2, ids.len());
        let mut q = sqlx::query(safe!(
            "SELECT id, phone, whatsapp FROM leads WHERE workspace = $1 AND id IN ({list})"
        ))
        .bind(ws);
        for id in &ids {
            q = q.bind(*id);
        }
        let mut numbers = std::collections::HashMap::new();
        for r in q.fetch_all(&mut **tx).await? {
            let id: String = r.try_get("id")?;
            let phone: Option<String> = r.try_get("phone")?;
            let whatsapp: Option<String> = r.try_get("whatsapp")?;
            numbers.insert(id, (phone, whatsapp));
        }
        for t in touches.iter().filter(|t| t.workspace == ws) {
            let Some((phone, whatsapp)) = numbers.get(&t.lead_id) else {
                continue;
            };
            let number = match t.channel {
                gate::Channel::Sms | gate::Channel::Call => phone.clone(),
                gate::Channel::Whatsapp => whatsapp.clone().or_else(|| phone.clone()),
                gate::Channel::Email | gate::Channel::Linkedin => None,
            };
            if let Some(n) = number {
                keys.insert((
                    t.workspace.clone(),
                    String::new(),
                    format!("number:{}", key.commit(&n)),
                ));
            }
        }
    }
    for (ws, account, channel) in keys {
        sqlx::query(
            "INSERT INTO cap_locks (workspace, account_id, channel, version) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (workspace, account_id, channel) DO UPDATE SET version = cap_locks.version + 1",
        )
        .bind(ws)
        .bind(account)
        .bind(channel)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

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
        let _ = write_decision(&mut self.tx, &self.touch, now, c).await?;
        self.tx.commit().await?;
        Ok(())
    }
}

/// An open dispatch transaction for several claimed touches, their cap locks taken
/// ([`Store::begin_batch`]). [`DispatchBatch::load_batch_facts`] reads the facts of all its
/// touches at once; then for each touch in turn: [`DispatchBatch::facts`] — they include the
/// reservations already recorded for the touches before it, so caps stay exact — decide, and
/// [`DispatchBatch::record`]; then [`DispatchBatch::commit`] once. An error rolls the whole
/// batch back: its touches stay due.
#[derive(Debug)]
pub struct DispatchBatch {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    pub touches: Vec<TouchRow>,
    privacy: PrivacyKey,
    /// The facts of every touch of the batch, once loaded, with the reservations recorded
    /// since.
    facts: Option<BatchFacts>,
}

fn facts_key(touch: &TouchRow) -> FactsKey<'_> {
    FactsKey {
        workspace: &touch.workspace,
        account_id: &touch.account_id,
        lead_id: &touch.lead_id,
        channel: touch.channel,
    }
}

impl DispatchBatch {
    /// Reads the facts of all the batch's touches at `now` in one go (a statement per kind of
    /// fact, not per touch), inside the transaction, under the cap locks. Call it before
    /// taking [`DispatchBatch::touches`].
    pub async fn load_batch_facts(&mut self, now: DateTime<Utc>) -> Result<()> {
        let keys: Vec<FactsKey<'_>> = self.touches.iter().map(facts_key).collect();
        let facts = BatchFacts::load(&mut self.tx, &self.privacy, &keys, now).await?;
        self.facts = Some(facts);
        Ok(())
    }

    /// The gate's facts about `touch` (one of the batch's): from the facts loaded for the
    /// batch, with the reservations recorded before it, when [`DispatchBatch::load_batch_facts`]
    /// ran at `now` and loaded them; otherwise read for it alone ([`DispatchBatch::load_facts`]).
    pub async fn facts(&mut self, touch: &TouchRow, now: DateTime<Utc>) -> Result<TouchFacts> {
        if let Some(f) = self
            .facts
            .as_ref()
            .filter(|f| f.at() == now)
            .and_then(|f| f.facts(&self.privacy, facts_key(touch)))
        {
            return f;
        }
        self.load_facts(touch, now).await
    }

    /// The gate's facts about `touch` (one of the batch's), read for it alone inside the
    /// transaction.
    pub async fn load_facts(&mut self, touch: &TouchRow, now: DateTime<Utc>) -> Result<TouchFacts> {
        load_facts(&mut self.tx, &self.privacy, facts_key(touch), now).await
    }

    /// Writes `touch`'s decision, state change and reservation (committed with the batch); a
    /// new reservation joins the batch's loaded facts, so the touches after it count it.
    pub async fn record(
        &mut self,
        touch: &TouchRow,
        now: DateTime<Utc>,
        c: &Commit<'_>,
    ) -> Result<()> {
        if let Some(send) = write_decision(&mut self.tx, touch, now, c).await?
            && let Some(f) = &mut self.facts
        {
            f.reserved(&touch.workspace, send, ms(now));
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// The decision row, the override, the state change and (when allowed) the reservation of
/// one claimed touch, inside its dispatch transaction. Returns the reservation when it wrote
/// one (a touch that already has its row of `sends` keeps it).
async fn write_decision(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    t: &TouchRow,
    now: DateTime<Utc>,
    c: &Commit<'_>,
) -> Result<Option<gate::SendRecord>> {
    if let Some(a) = c.alert {
        raise_alert(tx, a, now).await?;
    }
    let (decision, recipient) = (c.decision, c.recipient);
    let override_json = c.override_.map(serde_json::Value::to_string);
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
    .execute(&mut **tx)
    .await?;
    if let Some(o) = &override_json {
        sqlx::query("UPDATE touches SET override = $1 WHERE id = $2")
            .bind(o.as_str())
            .bind(t.id.as_str())
            .execute(&mut **tx)
            .await?;
    }
    let Some(outcome) = c.outcome else {
        return Ok(None);
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
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if changed != 1 {
        // The claim holds the touch in a waiting state: anything else is a bug, and
        // nothing of this decision may stand (the caller's transaction rolls back).
        return Err(StoreError::Contended {
            what: format!("touch {}", t.id),
        });
    }
    if outcome.reservation != Reservation::Keep {
        return Ok(None);
    }
    let action = t.request.action.unwrap_or_default();
    let inserted = sqlx::query(
            "INSERT INTO sends (workspace, touch_id, account_id, lead_id, channel, purpose, action, at, recipient) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (touch_id) DO NOTHING",
        )
        .bind(t.workspace.as_str())
        .bind(t.id.as_str())
        .bind(t.account_id.as_str())
        .bind(t.lead_id.as_str())
        .bind(t.channel.as_str())
        .bind(purpose_str(t.purpose))
        .bind(match action {
            gate::LinkedInAction::Invite => "invite",
            gate::LinkedInAction::Message => "message",
        })
        .bind(ms(now))
        .bind(recipient)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    Ok((inserted == 1).then(|| gate::SendRecord {
        at: from_ms(ms(now)),
        account_id: t.account_id.clone(),
        lead_id: t.lead_id.clone(),
        recipient: recipient.map(str::to_owned),
        channel: t.channel,
        purpose: t.purpose,
        action,
    }))
}
