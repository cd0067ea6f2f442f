//! Enqueueing many touches at once (`POST /v1/touches/batch`): one existence check for the
//! batch's accounts and leads, one lookup of its idempotency keys, and multi-row inserts in one
//! transaction, idempotent by the unique key (`ON CONFLICT DO NOTHING`), so concurrent
//! duplicates still create one touch.

use std::collections::{HashMap, HashSet};

use sqlx::Row;

use super::bind_order::placeholders;
use super::*;

/// Rows per multi-row INSERT (14 parameters each; far below either database's limit).
const ROWS_PER_INSERT: usize = 250;
/// Keys or ids per `IN (…)` lookup.
const KEYS_PER_LOOKUP: usize = 500;

/// A touch as the batch answer names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enqueued {
    pub id: String,
    pub status: TouchStatus,
    /// False: the idempotency key was seen before (in an earlier request, a concurrent one, or
    /// earlier in the same batch); this is the first touch.
    pub created: bool,
}

/// `idempotency_key, id, status` of the touches of workspace `$1` stored under any of `n` keys
/// (`$2 …`). On PostgreSQL a lookup of the unique index per key (`LATERAL … LIMIT 1`, which
/// the planner cannot fold into a join): planned as `IN (…)`, a table whose statistics lag
/// behind a bulk load (a million touches scheduled a minute ago) was read whole through another
/// index, 774 ms a lookup instead of 3.5 ms.
fn by_keys_sql(kind: DbKind, n: usize) -> String {
    match kind {
        DbKind::Sqlite => format!(
            "SELECT idempotency_key, id, status FROM touches WHERE workspace = $1 AND idempotency_key IN ({})",
            placeholders(2, n)
        ),
        DbKind::Postgres => format!(
            "SELECT t.idempotency_key, t.id, t.status FROM (VALUES {}) AS k (key) CROSS JOIN LATERAL \
             (SELECT idempotency_key, id, status FROM touches WHERE workspace = $1 AND idempotency_key = k.key LIMIT 1) AS t",
            (0..n)
                .map(|i| format!("(${})", i + 2))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `(id, status)` of the touches of the workspace stored under any of `keys`, by key.
async fn stored_under_keys(
    conn: &mut sqlx::AnyConnection,
    ws: &str,
    keys: &[&str],
) -> Result<HashMap<String, (String, TouchStatus)>> {
    let kind = DbKind::of(conn);
    let mut out = HashMap::new();
    for chunk in keys.chunks(KEYS_PER_LOOKUP) {
        let mut q = sqlx::query(safe_for!(kind, "{}", by_keys_sql(kind, chunk.len()))).bind(ws);
        for k in chunk {
            q = q.bind(*k);
        }
        for r in q.fetch_all(&mut *conn).await? {
            let id: String = r.try_get("id")?;
            let status = parse_column(&r, "status", || format!("touch {id} status"))?;
            out.insert(r.try_get::<String, _>("idempotency_key")?, (id, status));
        }
    }
    Ok(out)
}

impl Store {
    /// The touches stored under any of `keys` in the workspace, by key.
    pub async fn touches_by_keys(
        &self,
        ws: &str,
        keys: &[&str],
    ) -> Result<HashMap<String, Enqueued>> {
        let mut conn = self.pool.acquire().await?;
        let stored = stored_under_keys(&mut conn, ws, keys).await?;
        Ok(stored
            .into_iter()
            .map(|(key, (id, status))| {
                let e = Enqueued {
                    id,
                    status,
                    created: false,
                };
                (key, e)
            })
            .collect())
    }

    /// Which of `ids` name a row of `table` (`accounts` or `leads`) in the workspace.
    pub async fn existing_ids(
        &self,
        ws: &str,
        table: DocumentTable,
        ids: &[&str],
    ) -> Result<HashSet<String>> {
        let mut out = HashSet::new();
        for chunk in ids.chunks(KEYS_PER_LOOKUP) {
            let list = placeholders(2, chunk.len());
            let mut q = sqlx::query(safe_for!(
                self.kind,
                "SELECT id FROM {} WHERE workspace = $1 AND id IN ({list})",
                table.name()
            ))
            .bind(ws);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&self.pool).await? {
                out.insert(r.try_get("id")?);
            }
        }
        Ok(out)
    }

    /// Inserts `touches` in one transaction; answers, in order, each one's stored touch. A
    /// touch whose idempotency key is already stored (or repeated within `touches`) is not
    /// inserted: its answer is the first touch, `created: false`.
    pub async fn create_touches(&self, touches: &[NewTouch]) -> Result<Vec<Enqueued>> {
        let Some(first) = touches.first() else {
            return Ok(Vec::new());
        };
        let ws = first.workspace.as_str();
        let mut tx = self.write_tx().await?;
        let mut inserted: HashSet<String> = HashSet::new();
        for chunk in touches.chunks(ROWS_PER_INSERT) {
            // Each placeholder once, in bind order (SQLite binds them at constant cost,
            // `bind_order`): the creation instant is bound twice, as `updated_at` too.
            let values = (0..chunk.len())
                .map(|i| format!("({}, 'queued', 0)", placeholders(i * 14 + 1, 14)))
                .collect::<Vec<_>>()
                .join(", ");
            let mut q = sqlx::query(safe_for!(
                DbKind::of(&tx),
                "INSERT INTO touches (workspace, id, idempotency_key, account_id, lead_id, channel, purpose, request, \
                 next_attempt_at, deadline, campaign_id, created_at, step, updated_at, status, attempts) \
                 VALUES {values} ON CONFLICT (workspace, idempotency_key) DO NOTHING RETURNING idempotency_key"
            ));
            for t in chunk {
                let r = &t.request;
                q = q
                    .bind(t.workspace.as_str())
                    .bind(t.id.as_str())
                    .bind(t.idempotency_key.as_str())
                    .bind(r.account_id.as_str())
                    .bind(r.lead_id.as_str())
                    .bind(r.channel.as_str())
                    .bind(purpose_name(r.purpose.unwrap_or_default()))
                    .bind(to_json(r))
                    .bind(ms(t.next_attempt_at))
                    .bind(ms(t.deadline))
                    .bind(r.campaign_id.clone())
                    .bind(ms(t.now))
                    .bind(r.step)
                    .bind(ms(t.now));
            }
            for r in q.fetch_all(&mut *tx).await? {
                inserted.insert(r.try_get("idempotency_key")?);
            }
        }
        // Keys not inserted belong to a touch stored before (or by a concurrent request).
        let missing: Vec<&str> = touches
            .iter()
            .map(|t| t.idempotency_key.as_str())
            .filter(|k| !inserted.contains(*k))
            .collect();
        let existing = stored_under_keys(&mut tx, ws, &missing).await?;
        tx.commit().await?;
        let mut answered: HashMap<&str, Enqueued> = HashMap::new();
        let mut out = Vec::with_capacity(touches.len());
        for t in touches {
            let key = t.idempotency_key.as_str();
            let e = if let Some(first) = answered.get(key) {
                Enqueued {
                    created: false,
                    ..first.clone()
                }
            } else if inserted.contains(key) {
                Enqueued {
                    id: t.id.clone(),
                    status: TouchStatus::Queued,
                    created: true,
                }
            } else {
                let (id, status) = existing
                    .get(key)
                    .cloned()
                    .ok_or(StoreError::Db(sqlx::Error::RowNotFound))?;
                Enqueued {
                    id,
                    status,
                    created: false,
                }
            };
            answered.entry(key).or_insert_with(|| e.clone());
            out.push(e);
        }
        Ok(out)
    }
}

/// The tables of documents a touch names.
#[derive(Clone, Copy, Debug)]
pub enum DocumentTable {
    Accounts,
    Leads,
}

impl DocumentTable {
    fn name(self) -> &'static str {
        match self {
            DocumentTable::Accounts => "accounts",
            DocumentTable::Leads => "leads",
        }
    }
}

pub(super) fn purpose_name(p: gate::Purpose) -> &'static str {
    match p {
        gate::Purpose::Marketing => "marketing",
        gate::Purpose::Transactional => "transactional",
    }
}
