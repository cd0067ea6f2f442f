//! The audit chain's storage: sealing unsealed rows into their chain, and reading links and
//! the rows they cover for `audit verify` and `audit export` ([`crate::chain`]).

use std::collections::HashMap;

use super::bind_order::{placeholders, values_list};
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::*;
use crate::chain::{Cell, GENESIS, GLOBAL_CHAIN, SOURCES, SourceTable, content_of, link_hash};

/// Rows sealed per transaction: short enough that the SQLite writer is not held for long.
const SEAL_BATCH: usize = 500;
/// Bind parameters per multi-row statement (7 per link).
const LINKS_PER_INSERT: usize = 100;

/// One link as stored.
#[derive(Clone, Debug)]
pub struct LinkRow {
    pub chain: String,
    pub n: i64,
    pub source: String,
    pub source_key: String,
    pub sealed_at: i64,
    pub prev: String,
    pub hash: String,
}

/// A chain's last link as the head table records it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChainHead {
    pub workspace: String,
    pub n: i64,
    pub hash: String,
}

/// A row waiting to be sealed.
struct Pending {
    table: &'static SourceTable,
    key: String,
    time: i64,
    cells: Vec<Cell>,
}

impl Store {
    /// Seals every row not yet in its chain, in batches; returns how many it sealed.
    pub async fn seal_pending(&self, now: DateTime<Utc>) -> Result<usize> {
        let mut total = 0;
        for chain in self.chains_with_unsealed().await? {
            loop {
                let (sealed, more) = self.seal_batch(&chain, now).await?;
                total += sealed;
                if !more {
                    break;
                }
            }
        }
        Ok(total)
    }

    async fn chains_with_unsealed(&self) -> Result<Vec<String>> {
        let mut sql = Vec::new();
        for t in &SOURCES {
            sql.push(match t.workspace {
                Some(ws) => format!(
                    "SELECT DISTINCT {ws} AS chain FROM {} WHERE sealed IS NULL",
                    t.table
                ),
                None => format!(
                    "SELECT DISTINCT '{GLOBAL_CHAIN}' AS chain FROM {} WHERE sealed IS NULL",
                    t.table
                ),
            });
        }
        let rows = sqlx::query(safe!("{}", sql.join(" UNION ")))
            .fetch_all(&self.pool)
            .await?;
        let mut chains = rows
            .iter()
            .map(|r| r.try_get::<String, _>("chain"))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        chains.sort();
        chains.dedup();
        Ok(chains)
    }

    /// Seals up to [`SEAL_BATCH`] rows of `chain` in one transaction holding its head row;
    /// answers how many, and whether more are waiting.
    async fn seal_batch(&self, chain: &str, now: DateTime<Utc>) -> Result<(usize, bool)> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO chain_heads (workspace, n, hash) VALUES ($1, 0, $2) ON CONFLICT (workspace) DO NOTHING",
        )
        .bind(chain)
        .bind(GENESIS)
        .execute(&mut *tx)
        .await?;
        // Locks the head row (PostgreSQL): a second sealer waits, then finds nothing left.
        let head =
            sqlx::query("UPDATE chain_heads SET n = n WHERE workspace = $1 RETURNING n, hash")
                .bind(chain)
                .fetch_one(&mut *tx)
                .await?;
        let (mut n, mut prev): (i64, String) = (head.try_get("n")?, head.try_get("hash")?);

        let mut pending = Vec::new();
        let mut more = false;
        // A workspace's chain takes its rows of the per-workspace tables; the global chain
        // takes the installation-wide tables and the rows of the others that name `*` as their
        // workspace (the configuration a daemon starts with, `config_loaded`).
        for t in SOURCES
            .iter()
            .filter(|t| t.workspace.is_some() || chain == GLOBAL_CHAIN)
        {
            let filter = match t.workspace {
                Some(ws) => format!("{ws} = $1 AND "),
                None => String::new(),
            };
            let mut q = sqlx::query(safe!(
                "SELECT {key} AS chain_key, {time} AS chain_time, {cols} FROM {table} \
                 WHERE {filter}sealed IS NULL ORDER BY {time}, {key} LIMIT {limit}",
                key = t.key,
                time = t.time,
                cols = t.column_list(),
                table = t.table,
                limit = SEAL_BATCH + 1,
            ));
            if t.workspace.is_some() {
                q = q.bind(chain);
            }
            let rows = q.fetch_all(&mut *tx).await?;
            more |= rows.len() > SEAL_BATCH;
            for r in &rows {
                pending.push(Pending {
                    table: t,
                    key: key_text(r, t)?,
                    time: r.try_get::<Option<i64>, _>("chain_time")?.unwrap_or(0),
                    cells: cells_of(r, t)?,
                });
            }
        }
        let rank = |t: &SourceTable| SOURCES.iter().position(|s| s.source == t.source);
        pending
            .sort_by(|a, b| (a.time, rank(a.table), &a.key).cmp(&(b.time, rank(b.table), &b.key)));
        if pending.len() > SEAL_BATCH {
            pending.truncate(SEAL_BATCH);
            more = true;
        }

        // A row already linked but marked unsealed again (an edit of the table) keeps its old
        // link, which `audit verify` checks; it is not linked twice.
        let mut linked = std::collections::HashSet::new();
        for t in &SOURCES {
            let keys: Vec<&str> = pending
                .iter()
                .filter(|p| p.table.source == t.source)
                .map(|p| p.key.as_str())
                .collect();
            for chunk in keys.chunks(500) {
                let list = placeholders(2, chunk.len());
                let mut q = sqlx::query(safe_for!(
DbKind::of(&tx),
                    "SELECT source_key FROM chain_links WHERE source = $1 AND source_key IN ({list})"
                ))
                .bind(t.source);
                for k in chunk {
                    q = q.bind(*k);
                }
                for r in q.fetch_all(&mut *tx).await? {
                    linked.insert((t.source, r.try_get::<String, _>("source_key")?));
                }
            }
        }

        let mut links = Vec::with_capacity(pending.len());
        for p in &pending {
            if linked.contains(&(p.table.source, p.key.clone())) {
                continue;
            }
            n += 1;
            let hash = link_hash(&prev, &content_of(p.table, &p.cells, &self.privacy));
            links.push(LinkRow {
                chain: chain.to_owned(),
                n,
                source: p.table.source.to_owned(),
                source_key: p.key.clone(),
                sealed_at: ms(now),
                prev: std::mem::replace(&mut prev, hash.clone()),
                hash,
            });
        }
        for chunk in links.chunks(LINKS_PER_INSERT) {
            let values = values_list(chunk.len(), 7);
            let mut q = sqlx::query(safe_for!(
                DbKind::of(&tx),
                "INSERT INTO chain_links (workspace, n, source, source_key, sealed_at, prev, hash) VALUES {values}"
            ));
            for l in chunk {
                q = q
                    .bind(l.chain.as_str())
                    .bind(l.n)
                    .bind(l.source.as_str())
                    .bind(l.source_key.as_str())
                    .bind(l.sealed_at)
                    .bind(l.prev.as_str())
                    .bind(l.hash.as_str());
            }
            q.execute(&mut *tx).await?;
        }
        for t in &SOURCES {
            let keys: Vec<&str> = pending
                .iter()
                .filter(|p| p.table.source == t.source)
                .map(|p| p.key.as_str())
                .collect();
            for chunk in keys.chunks(500) {
                let list = placeholders(1, chunk.len());
                let mut q = sqlx::query(safe_for!(
                    DbKind::of(&tx),
                    "UPDATE {} SET sealed = 1 WHERE {} IN ({list})",
                    t.table,
                    t.key
                ));
                for k in chunk {
                    q = bind_key(q, t, k);
                }
                q.execute(&mut *tx).await?;
            }
        }
        sqlx::query("UPDATE chain_heads SET n = $1, hash = $2 WHERE workspace = $3")
            .bind(n)
            .bind(prev.as_str())
            .bind(chain)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((links.len(), more))
    }

    /// Every chain's head, by workspace.
    pub async fn chain_heads(&self) -> Result<Vec<ChainHead>> {
        let rows = sqlx::query("SELECT workspace, n, hash FROM chain_heads ORDER BY workspace")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ChainHead {
                    workspace: r.try_get("workspace")?,
                    n: r.try_get("n")?,
                    hash: r.try_get("hash")?,
                })
            })
            .collect()
    }

    /// One chain's head as it is now.
    pub async fn chain_head(&self, chain: &str) -> Result<Option<ChainHead>> {
        let row = sqlx::query("SELECT workspace, n, hash FROM chain_heads WHERE workspace = $1")
            .bind(chain)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(ChainHead {
                workspace: r.try_get("workspace")?,
                n: r.try_get("n")?,
                hash: r.try_get("hash")?,
            })
        })
        .transpose()
    }

    /// Every chain that has links, by name: `audit verify` walks these too, so a chain whose
    /// head row was deleted is not skipped.
    pub async fn chains_with_links(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT DISTINCT workspace FROM chain_links ORDER BY workspace")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("workspace")?))
            .collect()
    }

    /// Links of `chain` with n > `after`, in order, at most `limit`.
    pub async fn chain_links(&self, chain: &str, after: i64, limit: i64) -> Result<Vec<LinkRow>> {
        let rows = sqlx::query(
            "SELECT workspace, n, source, source_key, sealed_at, prev, hash FROM chain_links \
             WHERE workspace = $1 AND n > $2 ORDER BY n LIMIT $3",
        )
        .bind(chain)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(link_from_row).collect()
    }

    /// The link at (`chain`, `n`), if any.
    pub async fn chain_link(&self, chain: &str, n: i64) -> Result<Option<LinkRow>> {
        let row = sqlx::query(
            "SELECT workspace, n, source, source_key, sealed_at, prev, hash FROM chain_links \
             WHERE workspace = $1 AND n = $2",
        )
        .bind(chain)
        .bind(n)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(link_from_row).transpose()
    }

    /// The rows of `table` with these keys, as the content builder reads them.
    pub async fn source_cells(
        &self,
        table: &SourceTable,
        keys: &[&str],
    ) -> Result<HashMap<String, Vec<Cell>>> {
        let mut out = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(500) {
            let list = placeholders(1, chunk.len());
            let mut q = sqlx::query(safe_for!(
                self.kind,
                "SELECT {key} AS chain_key, {cols} FROM {table} WHERE {key} IN ({list})",
                key = table.key,
                cols = table.column_list(),
                table = table.table,
            ));
            for k in chunk {
                q = bind_key(q, table, k);
            }
            for r in q.fetch_all(&self.pool).await? {
                out.insert(key_text(&r, table)?, cells_of(&r, table)?);
            }
        }
        Ok(out)
    }

    /// Rows not yet sealed, per table.
    pub async fn unsealed_counts(&self) -> Result<Vec<(&'static str, i64)>> {
        let mut out = Vec::new();
        for t in &SOURCES {
            let r = sqlx::query(safe!(
                "SELECT COUNT(*) AS n FROM {} WHERE sealed IS NULL",
                t.table
            ))
            .fetch_one(&self.pool)
            .await?;
            out.push((t.table, r.try_get("n")?));
        }
        Ok(out)
    }

    /// Keys of rows marked sealed that no link covers (first `limit` per table).
    pub async fn sealed_without_link(&self, limit: i64) -> Result<Vec<(&'static str, String)>> {
        let mut out = Vec::new();
        for t in &SOURCES {
            let rows = sqlx::query(safe!(
                "SELECT {key} AS chain_key FROM {table} s WHERE sealed IS NOT NULL AND NOT EXISTS \
                 (SELECT 1 FROM chain_links l WHERE l.source = '{source}' AND l.source_key = CAST(s.{key} AS TEXT)) \
                 ORDER BY {key} LIMIT {limit}",
                key = t.key,
                table = t.table,
                source = t.source,
            ))
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                out.push((t.source, key_text(r, t)?));
            }
        }
        Ok(out)
    }

    /// Keys of rows that hold an erased value (`hmac:` form), per source: what `audit verify`
    /// checks against the erasure records.
    pub async fn rows_with_erased_values(&self) -> Result<Vec<(&'static str, String)>> {
        let mut out = Vec::new();
        let decisions = sqlx::query(
            "SELECT seq AS chain_key FROM decisions WHERE detail LIKE 'hmac:%' OR checks LIKE '%\"hmac:%' ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await?;
        for r in &decisions {
            out.push(("decision", key_text(r, &SOURCES[0])?));
        }
        let dnc =
            sqlx::query("SELECT id AS chain_key FROM dnc WHERE contact LIKE 'hmac:%' ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        for r in &dnc {
            out.push(("dnc", key_text(r, &SOURCES[1])?));
        }
        Ok(out)
    }

    /// DNC rows closed with no `dnc_remove` audit row for them: (id, removed_by). An entry is
    /// only closed by an operator's removal (audited in the same transaction) or by an
    /// erasure (which lists it); anything else unblocked a contact behind the log's back.
    pub async fn dnc_removals_unrecorded(&self) -> Result<Vec<(String, Option<String>)>> {
        let rows = sqlx::query(
            "SELECT id, removed_by FROM dnc d WHERE removed_at IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM audit_log a WHERE a.workspace = d.workspace AND a.action = 'dnc_remove' AND a.subject = d.id) \
             ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("removed_by")?)))
            .collect()
    }

    /// The details of every erasure recorded in the audit log, sealed or not yet: an erasure
    /// writes its record in the transaction that changes the rows, and the sealer links it
    /// within a second; a record not sealed yet is no weaker (anyone able to insert one can
    /// append its link too — only an anchor bounds what was added).
    pub async fn erasure_records(&self) -> Result<Vec<String>> {
        let rows =
            sqlx::query("SELECT detail FROM audit_log WHERE action = 'lead_erase' ORDER BY seq")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("detail")?))
            .collect()
    }
}

fn link_from_row(r: &AnyRow) -> Result<LinkRow> {
    Ok(LinkRow {
        chain: r.try_get("workspace")?,
        n: r.try_get("n")?,
        source: r.try_get("source")?,
        source_key: r.try_get("source_key")?,
        sealed_at: r.try_get("sealed_at")?,
        prev: r.try_get("prev")?,
        hash: r.try_get("hash")?,
    })
}

fn bind_key<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    t: &SourceTable,
    key: &str,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    if t.key_is_int {
        // A key that is not a number names no row (it came from a link, not from the table).
        q.bind(key.parse::<i64>().unwrap_or(i64::MIN))
    } else {
        q.bind(key.to_owned())
    }
}

fn key_text(r: &AnyRow, t: &SourceTable) -> Result<String> {
    Ok(if t.key_is_int {
        r.try_get::<i64, _>("chain_key")?.to_string()
    } else {
        r.try_get::<String, _>("chain_key")?
    })
}

fn cells_of(r: &AnyRow, t: &SourceTable) -> Result<Vec<Cell>> {
    t.columns
        .iter()
        .map(|c| {
            Ok(if c.is_int() {
                r.try_get::<Option<i64>, _>(c.name())?
                    .map_or(Cell::Null, Cell::Int)
            } else {
                r.try_get::<Option<String>, _>(c.name())?
                    .map_or(Cell::Null, Cell::Text)
            })
        })
        .collect()
}
