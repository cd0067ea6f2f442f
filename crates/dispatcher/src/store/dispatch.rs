use chrono::{DateTime, Utc};
use sqlx::Row;

use super::bind_order::values_list;
use super::*;
use crate::touch::{Outcome, Reservation, TimelineKind};
use batch_facts::BatchFacts;
use cap_locks::take_cap_locks;
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
        lane: Option<Lane>,
    ) -> Result<Option<DispatchBatch>> {
        let mut tx = self.write_tx().await?;
        steer_claim(&mut tx, self.kind, true).await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(self.claim_sql(lane, limit)))
            .bind(ms(now))
            .bind(workspace)
            .fetch_all(&mut *tx)
            .await?;
        if rows.is_empty() {
            tx.rollback().await?;
            return Ok(None);
        }
        // Back to the session's planner settings for the rest of the batch (a claim that found
        // nothing ends with the rollback, which undoes the steering too).
        steer_claim(&mut tx, self.kind, false).await?;
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
            claimant: claimant.to_owned(),
            touches,
            privacy: self.privacy.clone(),
            facts: None,
            writes: Writes::default(),
            unreserved: std::collections::HashSet::new(),
        }))
    }

    /// The claim of [`Store::begin_batch`]: up to `limit` due touches (`$1`: now; `$2`: a
    /// workspace or NULL), oldest first, locked. The claim is the row lock (PostgreSQL:
    /// `FOR UPDATE`, skipping rows another dispatcher holds; SQLite: the write transaction
    /// itself); `claimed_by` is written with the decision's state change, so a claimed touch is
    /// written once, not twice. `touches_due` holds the waiting touches in this order, so the
    /// claim reads `limit` entries of it, however many are due.
    fn claim_sql(&self, lane: Option<Lane>, limit: usize) -> String {
        let skip_locked = match self.kind {
            DbKind::Postgres => " FOR UPDATE SKIP LOCKED",
            DbKind::Sqlite => "",
        };
        // A lane takes only its share of the senders (PostgreSQL): two lanes never claim
        // touches of one sender, so they never queue on its cap lock.
        let lane = match (self.kind, lane) {
            (DbKind::Postgres, Some(Lane { index, of })) if of > 1 => format!(
                " AND mod(abs(hashtext(workspace || '/' || account_id)::bigint), {of}) = {index}"
            ),
            _ => String::new(),
        };
        format!(
            "SELECT {TOUCH_COLUMNS} FROM touches WHERE status IN ({waiting}) \
             AND next_attempt_at <= $1 AND ($2 IS NULL OR workspace = $2){lane} \
             ORDER BY next_attempt_at, id LIMIT {limit}{skip_locked}",
            waiting = TouchStatus::sql_list(&TouchStatus::WAITING),
            limit = limit.clamp(1, 1000),
        )
    }

    /// The database's plan of the dispatch claim at `now`, as the claim runs it (`EXPLAIN
    /// QUERY PLAN` on SQLite, `EXPLAIN` on PostgreSQL, steered as [`steer_claim`] steers it), a
    /// line a step: what to look at when dispatch slows down as the table grows.
    pub async fn claim_plan(&self, lane: Option<Lane>, now: DateTime<Utc>) -> Result<Vec<String>> {
        let explain = match self.kind {
            DbKind::Sqlite => "EXPLAIN QUERY PLAN",
            DbKind::Postgres => "EXPLAIN",
        };
        let mut tx = self.pool.begin().await?;
        steer_claim(&mut tx, self.kind, true).await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{explain} {}",
            self.claim_sql(lane, 256)
        )))
        .bind(ms(now))
        .bind(Option::<&str>::None)
        .fetch_all(&mut *tx)
        .await?;
        tx.rollback().await?;
        let column = match self.kind {
            DbKind::Sqlite => "detail",
            DbKind::Postgres => "QUERY PLAN",
        };
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>(column)?))
            .collect()
    }
}

/// The planner settings the claim runs with on PostgreSQL: every plan but an index scan in
/// the claim's own order priced out.
const CLAIM_STEERING: [&str; 3] = ["enable_sort", "enable_bitmapscan", "enable_seqscan"];

/// Steers PostgreSQL's plan of the claim (`steer`) to `touches_due` read in order, then back to
/// the session's settings for the rest of the transaction. The planner chooses from statistics,
/// and the queue moves faster than they do: a table analysed while little was due (a fresh
/// one, or one between campaigns) has it guess a burst's due touches at a hundred, read every
/// due touch by bitmap and sort them all (measured mid-burst with 10,744 due: 43.7 ms a claim,
/// the sort spilling to disk) where the index, read in order, stops at the limit. One round
/// trip each way; SQLite needs none (it has no statistics of our tables and reads the index).
async fn steer_claim(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    kind: DbKind,
    steer: bool,
) -> Result<()> {
    if kind != DbKind::Postgres {
        return Ok(());
    }
    let value = if steer { "off" } else { "DEFAULT" };
    let sql = CLAIM_STEERING
        .iter()
        .map(|setting| format!("SET LOCAL {setting} TO {value}"))
        .collect::<Vec<_>>()
        .join("; ");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// One of `of` dispatch lanes running side by side: the senders whose hash is `index` modulo
/// `of` are its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lane {
    pub index: usize,
    pub of: usize,
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
        let mut writes = Writes::default();
        // The claim wrote `claimed_by` already.
        write_decision(&mut self.tx, &mut writes, &self.touch, None, now, c).await?;
        writes.flush(&mut self.tx).await?;
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
    /// Who claimed the touches: written with each one's state change.
    claimant: String,
    pub touches: Vec<TouchRow>,
    privacy: PrivacyKey,
    /// The facts of every touch of the batch, once loaded, with the reservations recorded
    /// since.
    facts: Option<BatchFacts>,
    /// The recorded decisions' rows, written together before the batch commits.
    writes: Writes,
    /// The batch's touches with no row of `sends` yet when the facts were loaded: the ones a
    /// reservation adds a send for.
    unreserved: std::collections::HashSet<String>,
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
        self.writes.flush(&mut self.tx).await?;
        let keys: Vec<FactsKey<'_>> = self.touches.iter().map(facts_key).collect();
        let facts = BatchFacts::load(&mut self.tx, &self.privacy, &keys, now).await?;
        // A touch that already has its reservation keeps it (`ON CONFLICT DO NOTHING`).
        let mut unreserved: std::collections::HashSet<String> =
            self.touches.iter().map(|t| t.id.clone()).collect();
        if !self.touches.is_empty() {
            let mut q = sqlx::query(safe_for!(
                DbKind::of(&self.tx),
                "SELECT touch_id FROM sends WHERE touch_id IN ({})",
                super::bind_order::placeholders(1, self.touches.len())
            ));
            for t in &self.touches {
                q = q.bind(t.id.as_str());
            }
            for r in q.fetch_all(&mut *self.tx).await? {
                unreserved.remove(&r.try_get::<String, _>("touch_id")?);
            }
        }
        self.facts = Some(facts);
        self.unreserved = unreserved;
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
        self.writes.flush(&mut self.tx).await?;
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
        let send = write_decision(
            &mut self.tx,
            &mut self.writes,
            touch,
            Some(&self.claimant),
            now,
            c,
        )
        .await?;
        let Some(f) = &mut self.facts else {
            // Facts are read from the database: it must hold this decision before they are.
            return self.writes.flush(&mut self.tx).await;
        };
        if let Some(send) = send
            && self.unreserved.remove(&touch.id)
        {
            f.reserved(&touch.workspace, send, ms(now));
        }
        Ok(())
    }

    /// Writes the recorded decisions and commits them all.
    pub async fn commit(mut self) -> Result<()> {
        self.writes.flush(&mut self.tx).await?;
        self.tx.commit().await?;
        Ok(())
    }
}

/// The writes of recorded decisions not yet sent to the database: a batch sends them together
/// ([`Writes::flush`]) — a statement per kind of row for the whole batch, not per touch —
/// before it commits, and before it reads anything they could change. Every one of them is in
/// the batch's transaction: they commit together or not at all.
#[derive(Debug, Default)]
struct Writes {
    decisions: Vec<DecisionWrite>,
    changes: Vec<StateWrite>,
    sends: Vec<SendWrite>,
}

#[derive(Debug)]
struct DecisionWrite {
    workspace: String,
    touch_id: String,
    at: i64,
    allowed: i64,
    reason: Option<&'static str>,
    retry_after: Option<i64>,
    checks: String,
    detail: Option<String>,
    override_: Option<String>,
}

#[derive(Debug)]
struct StateWrite {
    touch_id: String,
    /// The states it may change from, as SQL.
    sources: String,
    to: &'static str,
    reason: Option<&'static str>,
    retry_after: Option<i64>,
    at: i64,
    next_attempt_at: Option<i64>,
    recipient: Option<String>,
    /// The claimant, when the claim did not write it.
    claimed_by: Option<String>,
}

#[derive(Debug)]
struct SendWrite {
    workspace: String,
    touch_id: String,
    account_id: String,
    lead_id: String,
    channel: &'static str,
    purpose: &'static str,
    action: &'static str,
    at: i64,
    recipient: Option<String>,
}

/// Rows per multi-row statement (binds per statement stay far below either database's limit).
pub(super) const ROWS_PER_STATEMENT: usize = 100;

impl Writes {
    fn is_empty(&self) -> bool {
        self.decisions.is_empty() && self.changes.is_empty() && self.sends.is_empty()
    }

    /// Sends the staged rows: the decision rows, the state changes (each only from a state its
    /// outcome may leave; a touch not in one is an error, and the caller's transaction rolls
    /// back), the reservations (a touch that already has its row keeps it).
    async fn flush(&mut self, tx: &mut sqlx::Transaction<'static, sqlx::Any>) -> Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let Writes {
            decisions,
            changes,
            sends,
        } = std::mem::take(self);
        for rows in decisions.chunks(ROWS_PER_STATEMENT) {
            let values = values_list(rows.len(), 10);
            let mut q = sqlx::query(safe_for!(
                DbKind::of(tx),
                "INSERT INTO decisions (workspace, touch_id, at, kind, allowed, reason, retry_after, checks, detail, override) \
                 VALUES {values}"
            ));
            for d in rows {
                q = q
                    .bind(d.workspace.as_str())
                    .bind(d.touch_id.as_str())
                    .bind(d.at)
                    .bind(TimelineKind::Gate.as_str())
                    .bind(d.allowed)
                    .bind(d.reason)
                    .bind(d.retry_after)
                    .bind(d.checks.as_str())
                    .bind(d.detail.as_deref())
                    .bind(d.override_.as_deref());
            }
            q.execute(&mut **tx).await?;
        }
        // One statement per set of source states (in a batch, nearly always one).
        let mut groups: Vec<(&str, Vec<&StateWrite>)> = Vec::new();
        for c in &changes {
            match groups.iter_mut().find(|(s, _)| *s == c.sources) {
                Some((_, g)) => g.push(c),
                None => groups.push((c.sources.as_str(), vec![c])),
            }
        }
        for (sources, group) in groups {
            for rows in group.chunks(ROWS_PER_STATEMENT) {
                let values = values_list(rows.len(), 8);
                let mut q = sqlx::query(safe_for!(
                    DbKind::of(tx),
                    "WITH v (id, status, reason, retry_after, decided_at, next_attempt_at, recipient, claimed_by) AS (VALUES {values}) \
                     UPDATE touches SET status = v.status, reason = v.reason, retry_after = v.retry_after, \
                     decided_at = v.decided_at, next_attempt_at = COALESCE(v.next_attempt_at, touches.next_attempt_at), \
                     recipient = COALESCE(v.recipient, touches.recipient), updated_at = v.decided_at, \
                     claimed_by = COALESCE(v.claimed_by, touches.claimed_by) \
                     FROM v WHERE touches.id = v.id AND touches.status IN ({sources}) RETURNING touches.id"
                ));
                for c in rows {
                    q = q
                        .bind(c.touch_id.as_str())
                        .bind(c.to)
                        .bind(c.reason)
                        .bind(c.retry_after)
                        .bind(c.at)
                        .bind(c.next_attempt_at)
                        .bind(c.recipient.as_deref())
                        .bind(c.claimed_by.as_deref());
                }
                let changed: std::collections::HashSet<String> = q
                    .fetch_all(&mut **tx)
                    .await?
                    .iter()
                    .map(|r| r.try_get("id"))
                    .collect::<std::result::Result<_, _>>()?;
                if let Some(c) = rows.iter().find(|c| !changed.contains(&c.touch_id)) {
                    // The claim holds the touch in a waiting state: anything else is a bug,
                    // and nothing of this decision may stand (the transaction rolls back).
                    return Err(StoreError::Contended {
                        what: format!("touch {}", c.touch_id),
                    });
                }
            }
        }
        for rows in sends.chunks(ROWS_PER_STATEMENT) {
            let values = values_list(rows.len(), 9);
            let mut q = sqlx::query(safe_for!(
                DbKind::of(tx),
                "INSERT INTO sends (workspace, touch_id, account_id, lead_id, channel, purpose, action, at, recipient) \
                 VALUES {values} ON CONFLICT (touch_id) DO NOTHING"
            ));
            for s in rows {
                q = q
                    .bind(s.workspace.as_str())
                    .bind(s.touch_id.as_str())
                    .bind(s.account_id.as_str())
                    .bind(s.lead_id.as_str())
                    .bind(s.channel)
                    .bind(s.purpose)
                    .bind(s.action)
                    .bind(s.at)
                    .bind(s.recipient.as_deref());
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }
}

/// Records one claimed touch's decision inside its dispatch transaction: raises the alert
/// and records the override at once, and stages in `writes` the decision row, the state
/// change and (when allowed) the reservation ([`Writes::flush`] sends them). Returns the
/// reservation when one is staged.
async fn write_decision(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    writes: &mut Writes,
    t: &TouchRow,
    claimant: Option<&str>,
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
    writes.decisions.push(DecisionWrite {
        workspace: t.workspace.clone(),
        touch_id: t.id.clone(),
        at: ms(now),
        allowed: i64::from(decision.allowed),
        reason,
        retry_after: decision.retry_after.map(ms),
        checks,
        detail: c.detail.map(str::to_owned),
        override_: override_json.clone(),
    });
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
    writes.changes.push(StateWrite {
        touch_id: t.id.clone(),
        sources: TouchStatus::sql_list(&outcome.sources()),
        to: outcome.to.as_str(),
        reason,
        retry_after: decision.retry_after.map(ms),
        at: ms(now),
        next_attempt_at: outcome.next_attempt_at.map(ms),
        recipient: recipient.map(str::to_owned),
        claimed_by: claimant.map(str::to_owned),
    });
    if outcome.reservation != Reservation::Keep {
        return Ok(None);
    }
    let action = t.request.action.unwrap_or_default();
    writes.sends.push(SendWrite {
        workspace: t.workspace.clone(),
        touch_id: t.id.clone(),
        account_id: t.account_id.clone(),
        lead_id: t.lead_id.clone(),
        channel: t.channel.as_str(),
        purpose: purpose_str(t.purpose),
        action: match action {
            gate::LinkedInAction::Invite => "invite",
            gate::LinkedInAction::Message => "message",
        },
        at: ms(now),
        recipient: recipient.map(str::to_owned),
    });
    Ok(Some(gate::SendRecord {
        at: from_ms(ms(now)),
        account_id: t.account_id.clone(),
        lead_id: t.lead_id.clone(),
        recipient: recipient.map(str::to_owned),
        channel: t.channel,
        purpose: t.purpose,
        action,
    }))
}
