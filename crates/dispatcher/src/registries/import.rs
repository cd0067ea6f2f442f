//! One import: take the installation-wide lease, catch up with the database, stream the lines
//! into a new segment (off to the side: readers keep the version in force), write it, move the
//! registry's row, put it in force here. Whatever fails before the row moves leaves the
//! previous version in force; the import is recorded either way.

use std::time::Duration;

use axum::body::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use futures::{Stream, StreamExt};

use super::{Loaded, MAX_DELTAS, Registries, RegistryError};
use crate::clock::Clock;
use crate::store::{ImportRecord, RegistryRow, StoreError};

/// How long an import may hold the lease before another node may take it over.
const LEASE: chrono::Duration = chrono::Duration::minutes(15);
/// How long an import waits for another one to finish.
const WAIT_FOR_LEASE: Duration = Duration::from_secs(60);

/// What to import.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// A registry name the gate knows (`national`, `state-TX`, `litigators`, `reassigned`).
    pub name: String,
    pub mode: registry::ImportMode,
    pub as_of: Option<NaiveDate>,
    /// Who asked (the token's id and name, or `cli`).
    pub actor: String,
    /// The most bytes of input read before the import is refused.
    pub max_bytes: u64,
}

/// What an import did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportSummary {
    pub registry: String,
    pub mode: String,
    pub as_of: Option<NaiveDate>,
    pub lines: u64,
    pub added: u64,
    pub removed: u64,
    pub rejected_count: u64,
    pub rejected: Vec<RejectedLine>,
    /// Entries in the list now.
    pub entries: u64,
}

/// A line that was not taken.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RejectedLine {
    pub line: u64,
    pub text: String,
    pub error: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("unknown registry `{0}` (expected national, state-XX, litigators or reassigned)")]
    UnknownRegistry(String),
    #[error("a full import needs as_of (the date the list is current to)")]
    AsOfRequired,
    #[error("another import is running; try again when it has finished")]
    Busy,
    #[error("the input is over {limit} bytes; nothing was applied")]
    TooLarge { limit: u64 },
    #[error("no valid line in a full import ({rejected} rejected): the list in force is kept")]
    NothingValid {
        rejected: u64,
        summary: Box<ImportSummary>,
    },
    #[error("reading the input failed: {0}")]
    Input(String),
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> ImportError {
        ImportError::Registry(RegistryError::Store(e))
    }
}

impl Registries {
    /// Imports `body` into `req.name`. `progress` is told the bytes and lines read so far.
    pub async fn import<S, E>(
        &self,
        req: &ImportRequest,
        body: S,
        clock: &Clock,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<ImportSummary, ImportError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        if req.name.parse::<gate::Registry>().is_err() {
            return Err(ImportError::UnknownRegistry(req.name.clone()));
        }
        if req.mode == registry::ImportMode::Full && req.as_of.is_none() {
            return Err(ImportError::AsOfRequired);
        }
        self.lease(clock).await?;
        let result = self.import_leased(req, body, clock, progress).await;
        let released = self.store.release_registry_lock(&self.node).await;
        let summary = result?;
        released?;
        Ok(summary)
    }

    /// Waits (bounded) for the installation-wide import lease.
    pub(super) async fn lease(&self, clock: &Clock) -> Result<(), ImportError> {
        let give_up = tokio::time::Instant::now() + WAIT_FOR_LEASE;
        loop {
            let now = clock.now();
            if self
                .store
                .take_registry_lock(&self.node, now, now + LEASE)
                .await?
            {
                return Ok(());
            }
            if tokio::time::Instant::now() >= give_up {
                return Err(ImportError::Busy);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn import_leased<S, E>(
        &self,
        req: &ImportRequest,
        mut body: S,
        clock: &Clock,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<ImportSummary, ImportError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let started = clock.now();
        // Build on exactly what the database has in force.
        self.refresh().await?;
        let current = self.snapshot().lists.get(&req.name).cloned();
        let view = current
            .as_ref()
            .map_or_else(registry::Registry::empty, |l| l.view.clone());

        let mut import = registry::Import::new(req.mode);
        let mut read: u64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| ImportError::Input(e.to_string()))?;
            read = read.saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
            if read > req.max_bytes {
                return Err(ImportError::TooLarge {
                    limit: req.max_bytes,
                });
            }
            import.feed(&chunk);
            progress(read, import.lines_read());
        }
        // The build is CPU work on up to hundreds of millions of numbers: off the runtime.
        let outcome = tokio::task::spawn_blocking(move || import.finish(&view))
            .await
            .map_err(|e| ImportError::Input(format!("the import stopped: {e}")))?;
        let mut summary = summarise(req, &outcome.report, 0);
        if req.mode == registry::ImportMode::Full && outcome.report.accepted() == 0 {
            self.store
                .record_import(&record(
                    req,
                    &summary,
                    started,
                    clock.now(),
                    Some("no valid line"),
                ))
                .await?;
            return Err(ImportError::NothingValid {
                rejected: summary.rejected_count,
                summary: Box::new(summary),
            });
        }
        let base = !outcome.segment.is_delta();
        let segment = std::sync::Arc::new(outcome.segment);
        let old_view = current
            .as_ref()
            .map_or_else(registry::Registry::empty, |l| l.view.clone());
        let new_view =
            old_view
                .apply(segment.clone())
                .map_err(|source| RegistryError::Segment {
                    name: req.name.clone(),
                    seq: 0,
                    source,
                })?;
        summary.entries = new_view.len();

        let seq = self.store.next_segment_seq(&req.name).await?;
        let now = clock.now();
        self.store
            .write_segment(&req.name, seq, base, segment.as_bytes(), now)
            .await?;
        let as_of = req.as_of.or(current.as_ref().and_then(|l| l.row.as_of));
        let finished = clock.now();
        self.store
            .commit_registry(
                &req.name,
                current.as_ref().map(|l| l.row.head_seq),
                seq,
                base,
                i64::try_from(new_view.len()).unwrap_or(i64::MAX),
                as_of,
                Some(&record(req, &summary, started, finished, None)),
                finished,
            )
            .await?;
        self.install(Loaded {
            row: RegistryRow {
                name: req.name.clone(),
                version: current.as_ref().map_or(1, |l| l.row.version + 1),
                base_seq: if base {
                    seq
                } else {
                    current.as_ref().map_or(seq, |l| l.row.base_seq)
                },
                head_seq: seq,
                entries: i64::try_from(new_view.len()).unwrap_or(i64::MAX),
                as_of,
                imported_at: finished,
            },
            view: new_view,
        });
        self.store.sweep_segments(&req.name).await?;
        tracing::info!(
            registry = %req.name,
            mode = %req.mode,
            lines = summary.lines,
            added = summary.added,
            removed = summary.removed,
            rejected = summary.rejected_count,
            entries = summary.entries,
            "registry import applied"
        );
        Ok(summary)
    }

    /// Whether `name` has enough deltas to be worth merging.
    pub fn needs_merge(&self, name: &str) -> bool {
        self.snapshot()
            .lists
            .get(name)
            .is_some_and(|l| l.view.delta_count() >= MAX_DELTAS)
    }
}

fn summarise(req: &ImportRequest, r: &registry::ImportReport, entries: u64) -> ImportSummary {
    ImportSummary {
        registry: req.name.clone(),
        mode: req.mode.to_string(),
        as_of: req.as_of,
        lines: r.lines,
        added: r.added,
        removed: r.removed,
        rejected_count: r.rejected_count,
        rejected: r
            .rejected
            .iter()
            .map(|l| RejectedLine {
                line: l.line,
                text: l.text.clone(),
                error: l.error.to_string(),
            })
            .collect(),
        entries,
    }
}

fn record(
    req: &ImportRequest,
    s: &ImportSummary,
    started: DateTime<Utc>,
    finished: DateTime<Utc>,
    error: Option<&str>,
) -> ImportRecord {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    ImportRecord {
        id: uuid::Uuid::now_v7().to_string(),
        registry: req.name.clone(),
        mode: s.mode.clone(),
        as_of: req.as_of,
        lines: n(s.lines),
        added: n(s.added),
        removed: n(s.removed),
        rejected_count: n(s.rejected_count),
        rejected: serde_json::to_value(&s.rejected).unwrap_or_default(),
        outcome: if error.is_some() { "failed" } else { "applied" }.to_owned(),
        error: error.map(str::to_owned),
        actor: req.actor.clone(),
        started_at: started,
        finished_at: finished,
    }
}
