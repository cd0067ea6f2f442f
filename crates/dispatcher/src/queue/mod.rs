//! The dispatch queue: apalis jobs that make the dispatcher decide what is due.
//!
//! A job is [`DispatchDue`]: "decide every touch due now, at most `batch` of them". Touches are
//! not copied into the queue: they stay in our `touches` table, and a job only says *when* to
//! look. The touch table's conditional claim ([`crate::store::Store::begin_dispatch`]) makes a job that runs
//! twice (apalis delivers at least once), or two jobs running on two nodes at once, harmless.
//!
//! * Storage follows the database: apalis-sqlite's `SqliteStorage` on its own pool to a file
//!   beside the daemon's, `<file>-queue` ([`queue_database_url`]: why not the same file), or
//!   apalis-postgres' `PostgresStorage` on its own pool to the same database (its tables live
//!   in the `apalis` schema; its setup creates the `hstore` extension). apalis'
//!   migrations use sqlx's default `_sqlx_migrations` table; ours is `touchgate_migrations`.
//! * [`Kicker::kick`] pushes a job to run at an instant, unless a job at or before that instant
//!   is already pending (in-memory set of this node's pending jobs; a due one is confirmed
//!   against the jobs table, since another node may have taken it). apalis' `run_at` has
//!   one-second granularity: a future instant is rounded up, never down, so a job never runs
//!   before the touch it was pushed for is due.
//! * The handler runs the batch and, when it was full, pushes another job for now (a backlog
//!   drains batch by batch, paced by `max_dispatch_per_second`); otherwise it pushes one for the
//!   next due instant (snoozed touches). With the fake clock, future instants mean nothing to
//!   apalis (it runs on the system clock), so the daemon loop kicks "now" on its poll instead.
//! * The handler never returns an error: apalis retries a plain `Err` at once (up to 25 times)
//!   and `RetryAfterError`/`DeferredError` leave a job stuck or spinning. A failed batch is
//!   logged and retried by a job one poll interval later.
//! * The worker is supervised: a database error stops an apalis worker for good, so it is
//!   restarted (new worker name: apalis refuses a name seen recently) with exponential backoff.
//! * Pickup: the worker polls on the configured interval (the backstop for jobs scheduled in
//!   the future), is woken in-process right after this node pushes a due job, and on
//!   PostgreSQL also by apalis' `LISTEN/NOTIFY` (jobs pushed by other nodes).
//! * Finished jobs are purged periodically: apalis-sqlite's acknowledgement scans the worker's
//!   finished rows, so an unpurged table slows every job down.
//!
//! Files: [`jobs`] (apalis' storages and the purge), [`kicker`] (pushing deduplicated jobs),
//! [`worker`] (the supervised worker and its wake-ups); the handler is here.

mod jobs;
mod kicker;
mod worker;

use jobs::{JobStore, purge_loop};
pub use jobs::{connect_postgres, connect_sqlite, queue_database_url};
use kicker::KickerInner;
pub use kicker::{Kicker, QueueStats};
use worker::{AbortOnDrop, supervise};

use std::collections::BTreeMap;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use apalis::prelude::{
    BackendExt, BoxDynError, Data, PollSnapshot, PollStrategy, TaskBuilder, TaskId, TaskSink,
    WorkerBuilder, WorkerBuilderExt,
};
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use chrono::{DateTime, Utc};
use futures::channel::mpsc;
use futures::{FutureExt, StreamExt};
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tokio::task::JoinHandle;
use tracing::{debug, error, info, warn};

use crate::config::DispatcherConfig;
use crate::dispatch::Dispatcher;
use crate::store::{from_ms, ms};

/// The apalis queue (`job_type`) of dispatch jobs.
pub const QUEUE: &str = "touchgate.dispatch_due";

/// Jobs one fetch takes from apalis. The worker runs one job at a time (two concurrent
/// `run_due` on one node would only race for the same touches), so fetching more would only
/// keep jobs from another node that is idle.
pub const FETCH_BATCH: usize = 1;

/// A pending job this close to now (or past it) is confirmed against the jobs table before a
/// kick relies on it: it may already be running, here or on another node, or the database
/// clock (PostgreSQL's `now()` decides) may be a little ahead of ours.
const CONFIRM_WITHIN: chrono::Duration = chrono::Duration::seconds(1);

/// After an in-process wake-up, poll once more this much later: a fetch that was already in
/// flight when the job was committed cannot see it.
const ECHO: Duration = Duration::from_millis(10);

const RESTART_MIN: Duration = Duration::from_millis(500);
const RESTART_MAX: Duration = Duration::from_secs(30);

/// One dispatch job: decide every touch due when it runs, at most `batch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchDue {
    /// Touches decided at most; a full batch pushes the next job.
    pub batch: i64,
    /// When the job runs (milliseconds, system clock; a future instant rounded up to apalis'
    /// whole seconds): the kicker's key.
    pub at_ms: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("database error")]
    Db(#[from] sqlx::Error),
    #[error("apalis-sqlite")]
    Sqlite(#[from] apalis_sqlite::Error),
    #[error("apalis-postgres")]
    Postgres(#[from] apalis_postgres::Error),
    #[error("pushing a job failed: {0}")]
    Push(String),
    #[error("unsupported database URL (expected sqlite: or postgres://)")]
    UnsupportedUrl,
}

/// Tuning of the queue; [`QueueOptions::from_config`] reads the daemon's settings.
#[derive(Debug, Clone)]
pub struct QueueOptions {
    /// Touches one job decides at most.
    pub batch: i64,
    /// The worker's backstop poll of the jobs table.
    pub poll: Duration,
    /// Touches released per second at most (full batches are paced to it); 0 = unpaced.
    pub max_per_second: u32,
    /// How often finished jobs are deleted, and how long they are kept.
    pub purge_every: Duration,
    pub keep_finished: Duration,
    /// Connections of the queue's own pool.
    pub pool_size: u32,
}

impl QueueOptions {
    pub fn from_config(cfg: &DispatcherConfig) -> QueueOptions {
        QueueOptions {
            batch: cfg.batch_size.max(1),
            poll: Duration::from_millis(cfg.poll_interval_ms.max(10)),
            max_per_second: cfg.max_dispatch_per_second,
            ..QueueOptions::default()
        }
    }
}

impl Default for QueueOptions {
    fn default() -> Self {
        QueueOptions {
            batch: 1000,
            poll: Duration::from_millis(250),
            max_per_second: 2000,
            purge_every: Duration::from_secs(30),
            keep_finished: Duration::from_secs(60),
            pool_size: 4,
        }
    }
}

/// A pool for apalis-sqlite on the daemon's SQLite file, migrated. Every connection gets WAL
/// and a busy timeout (apalis' own `setup` sets its pragmas on one pooled connection only).
/// What the handler needs.
#[derive(Clone, Debug)]
struct Shared {
    dispatcher: Dispatcher,
    kicker: Kicker,
    poll: Duration,
    max_per_second: u32,
}

async fn dispatch_due(job: DispatchDue, shared: Data<Arc<Shared>>) -> Result<(), BoxDynError> {
    let started = Instant::now();
    shared.kicker.started(job.at_ms);
    let d = &shared.dispatcher;
    let batch = job.batch.max(1);
    // A panic is one failed batch, not a dead worker.
    let run = std::panic::AssertUnwindSafe(d.run_due(batch))
        .catch_unwind()
        .await;
    let next = match run {
        Ok(Ok(steps)) if i64::try_from(steps.len()).unwrap_or(i64::MAX) >= batch => {
            // A full batch: more may be due. Pace to `max_dispatch_per_second`, then go on.
            if shared.max_per_second > 0 {
                let floor =
                    Duration::from_secs_f64(batch as f64 / f64::from(shared.max_per_second));
                if let Some(rest) = floor.checked_sub(started.elapsed()) {
                    tokio::time::sleep(rest).await;
                }
            }
            debug!(
                steps = steps.len(),
                "full dispatch batch; pushing the next job"
            );
            Some(Utc::now())
        }
        Ok(Ok(steps)) => {
            debug!(steps = steps.len(), "dispatch batch done");
            if d.clock.is_fake() {
                // apalis cannot wait for a fake instant; the daemon loop kicks on its poll.
                None
            } else {
                match d.store.next_due_at().await {
                    Ok(Some(t)) if t > Utc::now() => Some(t),
                    // Due but not taken: another node holds it; look again a poll later.
                    Ok(Some(_)) => Some(Utc::now() + chrono_dur(shared.poll)),
                    Ok(None) => None,
                    Err(e) => {
                        warn!(error = %crate::logging::chain(&e), "cannot read the next due instant");
                        Some(Utc::now() + chrono_dur(shared.poll))
                    }
                }
            }
        }
        Ok(Err(e)) => {
            error!(error = %crate::logging::chain(&e), "dispatch batch failed; retrying after the poll interval");
            Some(Utc::now() + chrono_dur(shared.poll))
        }
        Err(_) => {
            error!("dispatch batch panicked; retrying after the poll interval");
            Some(Utc::now() + chrono_dur(shared.poll))
        }
    };
    if let Some(at) = next
        && let Err(e) = shared.kicker.kick(at).await
    {
        warn!(error = %crate::logging::chain(&e), "cannot push the next dispatch job; the backstop will");
    }
    // Never an error: apalis would retry it at once.
    Ok(())
}

fn chrono_dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::seconds(1))
}

/// The running queue of one dispatcher: its supervised worker, the purge task, and the
/// [`Kicker`]. Dropping it stops them.
#[derive(Debug)]
pub struct DispatchQueue {
    kicker: Kicker,
    _tasks: Vec<AbortOnDrop<()>>,
}

impl DispatchQueue {
    /// Connects apalis' storage on `database_url` (the daemon's database), migrates it and
    /// starts the worker, which runs `dispatcher`.
    pub async fn start(
        dispatcher: Dispatcher,
        database_url: &str,
        opts: QueueOptions,
    ) -> Result<DispatchQueue, QueueError> {
        let jobs = JobStore::connect(database_url, opts.pool_size).await?;
        let kicker = Kicker {
            inner: Arc::new(KickerInner {
                jobs: jobs.clone(),
                batch: opts.batch.max(1),
                fake_clock: dispatcher.clock.is_fake(),
                pending: Mutex::new(BTreeMap::new()),
                kicking: tokio::sync::Mutex::new(()),
                wake: Mutex::new(None),
                stats: QueueStats::default(),
            }),
        };
        let shared = Arc::new(Shared {
            dispatcher,
            kicker: kicker.clone(),
            poll: opts.poll,
            max_per_second: opts.max_per_second,
        });
        // Finished jobs from before a restart go first.
        if let Err(e) = jobs.purge(opts.keep_finished).await {
            warn!(error = %crate::logging::chain(&e), "purging finished dispatch jobs failed");
        }
        let worker = AbortOnDrop(tokio::spawn(supervise(jobs.clone(), shared)));
        let purge = AbortOnDrop(tokio::spawn(purge_loop(
            jobs,
            opts.purge_every,
            opts.keep_finished,
        )));
        Ok(DispatchQueue {
            kicker,
            _tasks: vec![worker, purge],
        })
    }

    pub fn kicker(&self) -> Kicker {
        self.kicker.clone()
    }
}
