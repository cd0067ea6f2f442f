//! Registry segments in the database, the one thing every node shares: a segment is written
//! in chunks (a PostgreSQL `bytea` or an SQLite blob stops at 1 GB) in small transactions,
//! then one short transaction moves the registry's row to it. Readers follow the row only, so
//! a segment whose import failed or was interrupted is never read (and is swept by the next
//! import). Imports are serialised across nodes by a lease on the one `registry_lock` row.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use super::*;

/// Bytes of a segment per stored chunk.
pub const CHUNK_BYTES: usize = 32 * 1024 * 1024;

/// A registry's row: which segments are in force, and what the list is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRow {
    pub name: String,
    /// Moves with every import and merge; a node reloads when it differs from what it holds.
    pub version: i64,
    /// The base segment, and the last segment in force (deltas are `base_seq < seq <= head_seq`).
    pub base_seq: i64,
    pub head_seq: i64,
    pub entries: i64,
    pub as_of: Option<NaiveDate>,
    pub imported_at: DateTime<Utc>,
}

/// One stored segment's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentRow {
    pub seq: i64,
    pub base: bool,
    pub size: i64,
    pub chunks: i64,
}

/// What an import recorded (applied or not).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportRecord {
    pub id: String,
    pub registry: String,
    pub mode: String,
    pub as_of: Option<NaiveDate>,
    pub lines: i64,
    pub added: i64,
    pub removed: i64,
    pub rejected_count: i64,
    /// The first rejected lines, as JSON (`[{"line", "text", "error"}]`).
    pub rejected: serde_json::Value,
    /// `applied` or `failed`.
    pub outcome: String,
    pub error: Option<String>,
    pub actor: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
}

fn registry_from_row(r: &sqlx::any::AnyRow) -> Result<RegistryRow> {
    let name: String = r.try_get("name")?;
    let as_of = r
        .try_get::<Option<String>, _>("as_of")?
        .map(|s| {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map_err(|e| corrupt(format!("registry {name} as_of"), e))
        })
        .transpose()?;
    Ok(RegistryRow {
        version: r.try_get("version")?,
        base_seq: r.try_get("base_seq")?,
        head_seq: r.try_get("head_seq")?,
        entries: r.try_get("entries")?,
        as_of,
        imported_at: from_ms(r.try_get("imported_at")?),
        name,
    })
}

impl Store {
    /// Every registry in force, by name.
    pub async fn registries(&self) -> Result<Vec<RegistryRow>> {
        let rows = sqlx::query(
            "SELECT name, version, base_seq, head_seq, entries, as_of, imported_at FROM registries ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(registry_from_row).collect()
    }

    /// The segments of `name` from `after` (exclusive) to `head` (inclusive), in order.
    pub async fn registry_segments(
        &self,
        name: &str,
        after: i64,
        head: i64,
    ) -> Result<Vec<SegmentRow>> {
        let rows = sqlx::query(
            "SELECT seq, kind, size, chunks FROM registry_segments WHERE registry = $1 AND seq > $2 AND seq <= $3 ORDER BY seq",
        )
        .bind(name)
        .bind(after)
        .bind(head)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get("kind")?;
                Ok(SegmentRow {
                    seq: r.try_get("seq")?,
                    base: kind == "base",
                    size: r.try_get("size")?,
                    chunks: r.try_get("chunks")?,
                })
            })
            .collect()
    }

    /// A segment's bytes, chunk by chunk.
    pub async fn read_segment(&self, name: &str, segment: &SegmentRow) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(usize::try_from(segment.size).unwrap_or(0));
        for chunk in 0..segment.chunks {
            let row = sqlx::query(
                "SELECT data FROM registry_chunks WHERE registry = $1 AND seq = $2 AND chunk = $3",
            )
            .bind(name)
            .bind(segment.seq)
            .bind(chunk)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| {
                corrupt(
                    format!("registry {name} segment {} chunk {chunk}", segment.seq),
                    "missing",
                )
            })?;
            // Borrowed from the row: a `Vec<u8>` would be one more copy of every chunk.
            let data: &[u8] = row.try_get("data")?;
            out.extend_from_slice(data);
        }
        Ok(out)
    }

    /// Takes the import lease for `holder` until `until`; false while another holds it.
    pub async fn take_registry_lock(
        &self,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        let taken = sqlx::query(
            "UPDATE registry_lock SET holder = $1, until = $2 WHERE id = 1 AND (holder IS NULL OR holder = $1 OR until < $3)",
        )
        .bind(holder)
        .bind(ms(until))
        .bind(ms(now))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(taken == 1)
    }

    pub async fn release_registry_lock(&self, holder: &str) -> Result<()> {
        sqlx::query(
            "UPDATE registry_lock SET holder = NULL, until = 0 WHERE id = 1 AND holder = $1",
        )
        .bind(holder)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The next free segment number of `name` (past every segment, committed or not).
    pub async fn next_segment_seq(&self, name: &str) -> Result<i64> {
        let row = sqlx::query("SELECT MAX(seq) AS s FROM registry_segments WHERE registry = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<Option<i64>, _>("s")?.unwrap_or(0) + 1)
    }

    /// Writes `bytes` as segment `seq` of `name`, a chunk per transaction (not yet in force).
    pub async fn write_segment(
        &self,
        name: &str,
        seq: i64,
        base: bool,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let chunks = bytes.chunks(CHUNK_BYTES).len();
        for (i, chunk) in bytes.chunks(CHUNK_BYTES).enumerate() {
            let mut tx = self.write_tx().await?;
            sqlx::query(
                "INSERT INTO registry_chunks (registry, seq, chunk, data) VALUES ($1, $2, $3, $4)",
            )
            .bind(name)
            .bind(seq)
            .bind(i64::try_from(i).unwrap_or(i64::MAX))
            // A slice is copied once into the arguments (a `Vec` would be copied twice).
            .bind(chunk)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        sqlx::query(
            "INSERT INTO registry_segments (registry, seq, kind, size, chunks, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(name)
        .bind(seq)
        .bind(if base { "base" } else { "delta" })
        .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
        .bind(i64::try_from(chunks).unwrap_or(i64::MAX))
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Puts segment `seq` in force for `name` (a base replaces the view; a delta extends it)
    /// and records the import, in one transaction. `expected_head`: the head the segment was
    /// built on (`None`: the registry did not exist); a registry that moved meanwhile is not
    /// changed (`Contended`).
    #[allow(clippy::too_many_arguments)]
    pub async fn commit_registry(
        &self,
        name: &str,
        expected_head: Option<i64>,
        seq: i64,
        base: bool,
        entries: i64,
        as_of: Option<NaiveDate>,
        record: Option<&ImportRecord>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let as_of = as_of.map(|d| d.format("%Y-%m-%d").to_string());
        let changed = match expected_head {
            None => sqlx::query(
                "INSERT INTO registries (name, version, base_seq, head_seq, entries, as_of, imported_at) \
                 VALUES ($1, 1, $2, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(seq)
            .bind(entries)
            .bind(as_of)
            .bind(ms(now))
            .execute(&mut *tx)
            .await?
            .rows_affected(),
            Some(head) => sqlx::query(
                "UPDATE registries SET version = version + 1, base_seq = CASE WHEN $1 THEN $2 ELSE base_seq END, \
                 head_seq = $2, entries = $3, as_of = COALESCE($4, as_of), imported_at = $5 \
                 WHERE name = $6 AND head_seq = $7",
            )
            .bind(base)
            .bind(seq)
            .bind(entries)
            .bind(as_of)
            .bind(ms(now))
            .bind(name)
            .bind(head)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
        };
        if changed != 1 {
            tx.rollback().await?;
            return Err(StoreError::Contended {
                what: format!("registry {name}"),
            });
        }
        if let Some(r) = record {
            insert_import(&mut tx, r).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records an import that changed nothing (refused, failed, or nothing to apply).
    pub async fn record_import(&self, record: &ImportRecord) -> Result<()> {
        let mut tx = self.write_tx().await?;
        insert_import(&mut tx, record).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes the segments of `name` that are not in force: before its base, and after its
    /// head (left by failed or interrupted imports). Called under the import lease.
    pub async fn sweep_segments(&self, name: &str) -> Result<u64> {
        let Some(row) = self
            .registries()
            .await?
            .into_iter()
            .find(|r| r.name == name)
        else {
            return Ok(0);
        };
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM registry_chunks WHERE registry = $1 AND (seq < $2 OR seq > $3)")
            .bind(name)
            .bind(row.base_seq)
            .bind(row.head_seq)
            .execute(&mut *tx)
            .await?;
        let n = sqlx::query(
            "DELETE FROM registry_segments WHERE registry = $1 AND (seq < $2 OR seq > $3)",
        )
        .bind(name)
        .bind(row.base_seq)
        .bind(row.head_seq)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    /// The most recent imports, newest first.
    pub async fn registry_imports(&self, limit: i64) -> Result<Vec<ImportRecord>> {
        let rows = sqlx::query(safe!(
            "SELECT id, registry, mode, as_of, lines, added, removed, rejected_count, rejected, outcome, error, actor, \
             started_at, finished_at FROM registry_imports ORDER BY finished_at DESC, id DESC LIMIT {}",
            limit.clamp(1, 1000)
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                let rejected: String = r.try_get("rejected")?;
                Ok(ImportRecord {
                    registry: r.try_get("registry")?,
                    mode: r.try_get("mode")?,
                    as_of: r
                        .try_get::<Option<String>, _>("as_of")?
                        .and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()),
                    lines: r.try_get("lines")?,
                    added: r.try_get("added")?,
                    removed: r.try_get("removed")?,
                    rejected_count: r.try_get("rejected_count")?,
                    rejected: parse_json(&rejected, || {
                        format!("registry import {id} rejected lines")
                    })?,
                    outcome: r.try_get("outcome")?,
                    error: r.try_get("error")?,
                    actor: r.try_get("actor")?,
                    started_at: from_ms(r.try_get("started_at")?),
                    finished_at: from_ms(r.try_get("finished_at")?),
                    id,
                })
            })
            .collect()
    }
}

async fn insert_import(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    r: &ImportRecord,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO registry_imports (id, registry, mode, as_of, lines, added, removed, rejected_count, rejected, \
         outcome, error, actor, started_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(r.id.as_str())
    .bind(r.registry.as_str())
    .bind(r.mode.as_str())
    .bind(r.as_of.map(|d| d.format("%Y-%m-%d").to_string()))
    .bind(r.lines)
    .bind(r.added)
    .bind(r.removed)
    .bind(r.rejected_count)
    .bind(r.rejected.to_string())
    .bind(r.outcome.as_str())
    .bind(r.error.clone())
    .bind(r.actor.as_str())
    .bind(ms(r.started_at))
    .bind(ms(r.finished_at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
