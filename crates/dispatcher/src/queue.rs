//! The dispatch queue: apalis jobs that make the dispatcher decide what is due.
//!
//! A job is [`DispatchDue`]: "decide every touch due now, at most `batch` of them". Touches are
//! not copied into the queue: they stay in our `touches` table, and a job only says *when* to
//! look. The touch table's conditional claim ([`crate::store::Store::begin_dispatch`]) makes a job that runs
//! twice (apalis delivers at least once), or two jobs running on two nodes at once, harmless.
//!
//! * Storage follows the database: apalis-sqlite's `SqliteStorage` on its own pool to the same
//!   file, or apalis-postgres' `PostgresStorage` on its own pool to the same database (its
//!   tables live in the `apalis` schema; its setup creates the `hstore` extension). apalis'
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
            batch: 200,
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
pub async fn connect_sqlite(url: &str, max_connections: u32) -> Result<SqlitePool, QueueError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10));
    let max = if url.contains(":memory:") {
        1
    } else {
        max_connections.max(1)
    };
    let pool = SqlitePoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options)
        .await?;
    SqliteStorage::setup(&pool).await?;
    Ok(pool)
}

/// A pool for apalis-postgres on the daemon's database, migrated.
pub async fn connect_postgres(url: &str, max_connections: u32) -> Result<PgPool, QueueError> {
    let pool = PgPoolOptions::new()
        .max_connections(max_connections.max(2))
        .acquire_timeout(Duration::from_secs(30))
        .connect(url)
        .await?;
    PostgresStorage::setup(&pool).await?;
    Ok(pool)
}

#[derive(Clone)]
enum JobStore {
    Sqlite {
        pool: SqlitePool,
        storage: SqliteStorage<DispatchDue>,
    },
    Postgres {
        pool: PgPool,
        storage: PostgresStorage<DispatchDue>,
    },
}

impl std::fmt::Debug for JobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            JobStore::Sqlite { .. } => "apalis-sqlite",
            JobStore::Postgres { .. } => "apalis-postgres",
        })
    }
}

impl JobStore {
    /// Jobs are not marked `Running` when they start (`lock_tasks(false)`): one write less per
    /// job; a fetched job stays `Queued` until acknowledged, which apalis' orphan recovery
    /// covers just the same.
    async fn connect(url: &str, pool_size: u32) -> Result<JobStore, QueueError> {
        if url.starts_with("sqlite:") {
            let pool = connect_sqlite(url, pool_size).await?;
            let storage = SqliteStorage::new(&pool).with_config(
                apalis_sqlite::Config::default()
                    .queue(QUEUE)
                    .batch_size(FETCH_BATCH)
                    .lock_tasks(false),
            );
            Ok(JobStore::Sqlite { pool, storage })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = connect_postgres(url, pool_size).await?;
            let storage = PostgresStorage::new(&pool).with_config(
                apalis_postgres::Config::default()
                    .queue(QUEUE)
                    .batch_size(FETCH_BATCH)
                    .lock_tasks(false),
            );
            Ok(JobStore::Postgres { pool, storage })
        } else {
            Err(QueueError::UnsupportedUrl)
        }
    }

    async fn push(
        &self,
        job: DispatchDue,
        id: &str,
        run_at_secs: Option<u64>,
    ) -> Result<(), QueueError> {
        let mut task = TaskBuilder::new(job)
            .task_id(TaskId::from_string(id))
            .max_attempts(3);
        if let Some(secs) = run_at_secs {
            task = task.run_at_timestamp(secs);
        }
        let task = task.build();
        match self {
            JobStore::Sqlite { storage, .. } => storage
                .clone()
                .push_task(task)
                .await
                .map_err(|e| QueueError::Push(e.to_string())),
            JobStore::Postgres { storage, .. } => storage
                .clone()
                .push_task(task)
                .await
                .map_err(|e| QueueError::Push(e.to_string())),
        }
    }

    /// Whether the job is still waiting to be fetched by a worker.
    async fn is_pending(&self, id: &str) -> Result<bool, QueueError> {
        let status: Option<String> = match self {
            JobStore::Sqlite { pool, .. } => {
                sqlx::query_scalar("SELECT status FROM Jobs WHERE id = ?1")
                    .bind(id)
                    .fetch_optional(pool)
                    .await?
            }
            JobStore::Postgres { pool, .. } => {
                sqlx::query_scalar("SELECT status FROM apalis.jobs WHERE id = $1")
                    .bind(id)
                    .fetch_optional(pool)
                    .await?
            }
        };
        Ok(status.as_deref() == Some("Pending"))
    }

    /// Deletes this queue's finished jobs older than `keep`; returns how many.
    async fn purge(&self, keep: Duration) -> Result<u64, QueueError> {
        let n = match self {
            JobStore::Sqlite { pool, .. } => {
                let before = Utc::now().timestamp() - i64::try_from(keep.as_secs()).unwrap_or(0);
                sqlx::query(
                    "DELETE FROM Jobs WHERE job_type = ?1 AND (status IN ('Done', 'Killed') \
                     OR (status = 'Failed' AND attempts >= max_attempts)) AND done_at < ?2",
                )
                .bind(QUEUE)
                .bind(before)
                .execute(pool)
                .await?
                .rows_affected()
            }
            JobStore::Postgres { pool, .. } => sqlx::query(
                "DELETE FROM apalis.jobs WHERE job_type = $1 AND (status IN ('Done', 'Killed') \
                 OR (status = 'Failed' AND attempts >= max_attempts)) \
                 AND done_at < now() - make_interval(secs => $2)",
            )
            .bind(QUEUE)
            .bind(keep.as_secs_f64())
            .execute(pool)
            .await?
            .rows_affected(),
        };
        Ok(n)
    }
}

/// Counters of the queue's movement.
#[derive(Debug, Default)]
pub struct QueueStats {
    /// Jobs pushed.
    pub pushed: AtomicU64,
    /// Kicks that found a job already pending.
    pub deduplicated: AtomicU64,
    /// Jobs the handler ran.
    pub ran: AtomicU64,
    /// Worker (re)starts.
    pub worker_starts: AtomicU64,
}

struct KickerInner {
    jobs: JobStore,
    batch: i64,
    /// Fake clock: apalis runs on the system clock, so every kick is for "now".
    fake_clock: bool,
    /// This node's pending jobs: instant (ms) → job id.
    pending: Mutex<BTreeMap<i64, String>>,
    /// Serialises kicks, so a burst of them pushes one job.
    kicking: tokio::sync::Mutex<()>,
    /// Wakes this node's worker right after a due job is pushed.
    wake: Mutex<Option<mpsc::Sender<()>>>,
    stats: QueueStats,
}

/// Pushes dispatch jobs, deduplicated. Cheap to clone.
#[derive(Clone)]
pub struct Kicker {
    inner: Arc<KickerInner>,
}

impl std::fmt::Debug for Kicker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kicker")
            .field("jobs", &self.inner.jobs)
            .field("batch", &self.inner.batch)
            .field("stats", &self.inner.stats)
            .finish_non_exhaustive()
    }
}

impl Kicker {
    /// Makes sure a job runs at `at` (or as soon after as the queue gets to it): pushes one
    /// unless a job at or before `at` is pending. Returns whether it pushed.
    pub async fn kick(&self, at: DateTime<Utc>) -> Result<bool, QueueError> {
        let inner = &self.inner;
        let _turn = inner.kicking.lock().await;
        let now = Utc::now();
        // apalis runs a future job at a whole second: that, not `at`, is when it looks.
        let run_at = (!inner.fake_clock && at > now).then(|| ceil_secs(ms(at)));
        let at_ms = run_at.map_or(ms(now), |secs| secs * 1000);

        // Pending jobs at or before `at`, latest first.
        let candidates: Vec<(i64, String)> = {
            let pending = lock(&inner.pending);
            pending
                .range(..=at_ms)
                .rev()
                .map(|(k, v)| (*k, v.clone()))
                .collect()
        };
        for (when, id) in candidates {
            if from_ms(when) > now + CONFIRM_WITHIN {
                // Not yet due: nobody can have fetched it.
                debug!(job = %id, "dispatch job already pending");
                inner.stats.deduplicated.fetch_add(1, Ordering::Relaxed);
                return Ok(false);
            }
            if inner.jobs.is_pending(&id).await? {
                debug!(job = %id, "dispatch job already pending (confirmed)");
                inner.stats.deduplicated.fetch_add(1, Ordering::Relaxed);
                return Ok(false);
            }
            // Fetched already (here or by another node): it may have looked before the touch
            // we are kicked for existed, so it does not count.
            lock(&inner.pending).remove(&when);
        }

        // apalis' storages parse job ids as ULIDs.
        let id = ulid::Ulid::generate().to_string();
        let run_at = run_at.map(|secs| u64::try_from(secs).unwrap_or(0));
        lock(&inner.pending).insert(at_ms, id.clone());
        let job = DispatchDue {
            batch: inner.batch,
            at_ms,
        };
        if let Err(e) = inner.jobs.push(job, &id, run_at).await {
            lock(&inner.pending).remove(&at_ms);
            return Err(e);
        }
        inner.stats.pushed.fetch_add(1, Ordering::Relaxed);
        debug!(job = %id, run_at = %from_ms(at_ms), "dispatch job pushed");
        if run_at.is_none()
            && let Some(tx) = lock(&inner.wake).as_mut()
        {
            // Full means a wake-up is already queued.
            let _ = tx.try_send(());
        }
        Ok(true)
    }

    /// `kick(now)`.
    pub async fn kick_now(&self) -> Result<bool, QueueError> {
        self.kick(Utc::now()).await
    }

    pub fn stats(&self) -> &QueueStats {
        &self.inner.stats
    }

    /// The handler took the job pushed for `at_ms`: it is no longer pending.
    fn started(&self, at_ms: i64) {
        lock(&self.inner.pending).remove(&at_ms);
        self.inner.stats.ran.fetch_add(1, Ordering::Relaxed);
    }

    /// A new worker starts: jobs held by the previous one wait for apalis' orphan recovery,
    /// so none of them counts as pending.
    fn reset(&self, wake: mpsc::Sender<()>) {
        lock(&self.inner.pending).clear();
        *lock(&self.inner.wake) = Some(wake);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn ceil_secs(at_ms: i64) -> i64 {
    at_ms.div_euclid(1000) + i64::from(at_ms.rem_euclid(1000) != 0)
}

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

/// When the worker looks at the jobs table: every poll interval, right after this node pushed
/// a due job (and once more [`ECHO`] later), and on PostgreSQL when any node pushed one
/// (apalis' `LISTEN/NOTIFY`).
///
/// One strategy rather than apalis' `Strategy` of several: that combinator stops at the first
/// ready member, and `IntervalStrategy` arms its next delay without polling it, so a tick that
/// lands in the same poll as the end of a fetch leaves no timer registered and the worker
/// sleeps until its 30 s heartbeat. Here every source is polled on every call, and the
/// interval is polled until it registers its next tick.
struct Wakeups {
    interval: tokio::time::Interval,
    kicks: mpsc::Receiver<()>,
    echo: Option<Pin<Box<tokio::time::Sleep>>>,
    notify: Option<apalis_postgres::Pubsub>,
}

impl Wakeups {
    fn new(
        poll: Duration,
        kicks: mpsc::Receiver<()>,
        notify: Option<apalis_postgres::Pubsub>,
    ) -> Wakeups {
        let mut interval = tokio::time::interval(poll);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Wakeups {
            interval,
            kicks,
            echo: None,
            notify,
        }
    }
}

impl PollStrategy for Wakeups {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _: &PollSnapshot) -> Poll<Option<()>> {
        let mut ready = false;
        while self.interval.poll_tick(cx).is_ready() {
            ready = true;
        }
        let mut kicked = false;
        while let Poll::Ready(Some(())) = self.kicks.poll_next_unpin(cx) {
            kicked = true;
        }
        if kicked {
            ready = true;
            self.echo = Some(Box::pin(tokio::time::sleep(ECHO)));
        }
        if let Some(echo) = self.echo.as_mut()
            && echo.as_mut().poll(cx).is_ready()
        {
            self.echo = None;
            ready = true;
        }
        if let Some(notify) = self.notify.as_mut() {
            loop {
                match notify.poll_next_unpin(cx) {
                    Poll::Ready(Some(_)) => ready = true,
                    Poll::Ready(None) => {
                        warn!("job notifications stopped; polling only");
                        self.notify = None;
                        break;
                    }
                    Poll::Pending => break,
                }
            }
        }
        if ready {
            Poll::Ready(Some(()))
        } else {
            Poll::Pending
        }
    }
}

/// Runs one apalis worker until it stops or fails.
async fn run_worker(
    jobs: JobStore,
    name: String,
    wake: mpsc::Receiver<()>,
    shared: Arc<Shared>,
) -> Result<(), BoxDynError> {
    match jobs {
        JobStore::Sqlite { storage, .. } => {
            let wakeups = Wakeups::new(shared.poll, wake, None);
            WorkerBuilder::new(name.as_str())
                .backend(storage.poll_with_strategy(wakeups))
                .concurrency(1)
                .data(shared)
                .build(dispatch_due)
                .run()
                .await?;
        }
        JobStore::Postgres { pool, storage } => {
            // Jobs pushed by other nodes arrive by NOTIFY.
            let notify = apalis_postgres::Pubsub::new(pool, QUEUE.to_owned());
            let wakeups = Wakeups::new(shared.poll, wake, Some(notify));
            WorkerBuilder::new(name.as_str())
                .backend(storage.poll_with_strategy(wakeups))
                .concurrency(1)
                .data(shared)
                .build(dispatch_due)
                .run()
                .await?;
        }
    }
    Ok(())
}

/// Aborts the task when dropped.
#[derive(Debug)]
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Keeps a worker running: restarts it, with exponential backoff, whenever it stops.
async fn supervise(jobs: JobStore, shared: Arc<Shared>) {
    let mut backoff = RESTART_MIN;
    let mut generation: u64 = 0;
    loop {
        generation += 1;
        let (tx, rx) = mpsc::channel(1);
        shared.kicker.reset(tx);
        shared
            .kicker
            .inner
            .stats
            .worker_starts
            .fetch_add(1, Ordering::Relaxed);
        let name = format!("touchgate-{}-{generation}", shared.dispatcher.node_id);
        // Whatever is due now (a backlog, or jobs stranded on the previous worker).
        if let Err(e) = shared.kicker.kick_now().await {
            warn!(error = %crate::logging::chain(&e), "cannot push the start-up dispatch job");
        }
        info!(worker = %name, queue = QUEUE, "dispatch worker starting");
        let started = Instant::now();
        // Aborted with this task (when the queue is dropped).
        let mut run = AbortOnDrop(tokio::spawn(run_worker(
            jobs.clone(),
            name.clone(),
            rx,
            shared.clone(),
        )));
        let outcome = (&mut run.0).await;
        match outcome {
            Ok(Ok(())) => warn!(worker = %name, "dispatch worker stopped; restarting"),
            Ok(Err(e)) => {
                error!(worker = %name, error = %crate::logging::chain(e.as_ref()), "dispatch worker failed; restarting")
            }
            Err(e) => error!(worker = %name, error = %e, "dispatch worker panicked; restarting"),
        }
        if started.elapsed() > Duration::from_secs(60) {
            backoff = RESTART_MIN;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(RESTART_MAX);
    }
}

async fn purge_loop(jobs: JobStore, every: Duration, keep: Duration) {
    let mut tick = tokio::time::interval(every.max(Duration::from_secs(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match jobs.purge(keep).await {
            Ok(0) => {}
            Ok(n) => debug!(jobs = n, "purged finished dispatch jobs"),
            Err(e) => {
                warn!(error = %crate::logging::chain(&e), "purging finished dispatch jobs failed")
            }
        }
    }
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
