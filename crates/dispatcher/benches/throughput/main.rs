//! Throughput, pickup latency, backlog and memory of touchgate, and the bare apalis queue as the
//! baseline, in one run: `cargo bench -p dispatcher --bench throughput` (docs/BENCHMARKS.md).
//!
//! * Through the API (`api`): the `touchgate` binary on a fresh database, driven over HTTP —
//!   batch enqueue, end to end (SQLite, PostgreSQL, two daemons on PostgreSQL), pickup latency
//!   at a steady pace, the same with a backlog, idle RSS.
//! * Baseline: N no-op apalis jobs pushed, then one worker runs them; jobs per second.
//!
//! N = 20,000 touches (`--quick`: 5,000; `TOUCHGATE_BENCH_N` overrides); backlog 1,000,000
//! scheduled touches and 10,000,000 decision rows (`--quick`: 50,000 and 500,000;
//! `TOUCHGATE_BENCH_BACKLOG`, `TOUCHGATE_BENCH_HISTORY`); paced phase at 400 touches/s
//! (`TOUCHGATE_BENCH_RATE`); `TOUCHGATE_BENCH_RUNS=k` repeats each configuration;
//! `TOUCHGATE_BENCH_ONLY=sqlite,daemon` (say) runs only the parts naming every word (`-word`:
//! not naming it). Under
//! `cargo test --benches` (no `--bench` argument) it runs tiny figures so CI stays fast.
//! PostgreSQL: `TOUCHGATE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); a fresh database per configuration.
// A benchmark may fail loudly and index its own fixtures: it is not library code.
#![allow(clippy::print_stdout, clippy::indexing_slicing)]

mod api;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context as _, Result, bail};
use apalis::prelude::{BackendExt, BoxDynError, Data, TaskSink, WorkerBuilder, WorkerBuilderExt};
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use dispatcher::queue;
use dispatcher::store::Store;
use sqlx::Executor;

struct Plan {
    n: usize,
    /// Times each end-to-end configuration runs (`TOUCHGATE_BENCH_RUNS`; the machine may be
    /// shared, so one run can be noisy).
    runs: usize,
    pg_admin: String,
    /// Touches per second of the paced phase (`TOUCHGATE_BENCH_RATE`).
    paced_rate: usize,
    /// Seconds of the paced phase.
    paced_seconds: usize,
    /// The backlog run's scheduled touches and decision rows (`TOUCHGATE_BENCH_BACKLOG`,
    /// `TOUCHGATE_BENCH_HISTORY`).
    backlog: api::Backlog,
}

fn env_usize(var: &str) -> Option<usize> {
    std::env::var(var).ok().and_then(|v| v.parse().ok())
}

fn plan() -> Plan {
    let args: Vec<String> = std::env::args().collect();
    let bench = args.iter().any(|a| a == "--bench");
    let quick = args.iter().any(|a| a == "--quick");
    let env_n = env_usize("TOUCHGATE_BENCH_N");
    let n = match (bench, quick, env_n) {
        (false, _, _) => 20,
        (true, _, Some(n)) => n,
        (true, true, None) => 5000,
        (true, false, None) => 20000,
    };
    let runs = std::env::var("TOUCHGATE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|_| bench)
        .unwrap_or(1);
    Plan {
        n: n.max(1),
        runs: usize::max(runs, 1),
        pg_admin: std::env::var("TOUCHGATE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned()),
        paced_rate: env_usize("TOUCHGATE_BENCH_RATE").unwrap_or(if bench { 400 } else { 100 }),
        paced_seconds: if bench && !quick { 5 } else { 1 },
        backlog: api::Backlog {
            touches: env_usize("TOUCHGATE_BENCH_BACKLOG").unwrap_or(match (bench, quick) {
                (false, _) => 100,
                (true, true) => 50_000,
                (true, false) => 1_000_000,
            }),
            decisions: env_usize("TOUCHGATE_BENCH_HISTORY").unwrap_or(match (bench, quick) {
                (false, _) => 1000,
                (true, true) => 500_000,
                (true, false) => 10_000_000,
            }),
        },
    }
}

/// A fresh database; dropped (PostgreSQL) when the run ends.
struct Db {
    url: String,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

async fn fresh(kind: &str, plan: &Plan) -> Result<Db> {
    if kind == "sqlite" {
        let dir = tempfile::tempdir()?;
        return Ok(Db {
            url: format!("sqlite://{}/bench.db", dir.path().display()),
            pg_name: None,
            _dir: Some(dir),
        });
    }
    let name = format!("tg_bench_{}", uuid::Uuid::now_v7().simple());
    let admin = sqlx::PgPool::connect(&plan.pg_admin)
        .await
        .with_context(|| format!("PostgreSQL at {}", plan.pg_admin))?;
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await?;
    admin.close().await;
    let base = plan
        .pg_admin
        .rsplit_once('/')
        .map_or(plan.pg_admin.as_str(), |(b, _)| b);
    Ok(Db {
        url: format!("{base}/{name}"),
        pg_name: Some(name),
        _dir: None,
    })
}

async fn drop_db(db: &Db, plan: &Plan) {
    if let Some(name) = &db.pg_name
        && let Ok(admin) = sqlx::PgPool::connect(&plan.pg_admin).await
    {
        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        let _ = admin.execute(sqlx::AssertSqlSafe(sql)).await;
        admin.close().await;
    }
}

async fn sent_count(store: &Store) -> Result<i64> {
    Ok(store
        .status_counts()
        .await?
        .into_iter()
        .find(|(s, _)| *s == dispatcher::touch::TouchStatus::Sent)
        .map_or(0, |(_, n)| n))
}

/// The nearest-rank percentile `p` (in per cent) of sorted samples.
fn percentile(sorted: &[i64], p: usize) -> i64 {
    let rank = (p * sorted.len())
        .div_ceil(100)
        .clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied().unwrap_or_default()
}

/// Aborts the task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Noop {
    i: usize,
}

#[derive(Debug, Clone)]
struct Counter {
    done: Arc<AtomicUsize>,
    all: Arc<tokio::sync::Notify>,
    n: usize,
}

async fn noop(_: Noop, c: Data<Counter>) -> Result<(), BoxDynError> {
    if c.done.fetch_add(1, Ordering::SeqCst) + 1 == c.n {
        c.all.notify_one();
    }
    Ok(())
}

struct Baseline {
    label: String,
    rate: f64,
}

/// How the baseline worker runs: jobs per fetch, concurrency (None = apalis' default,
/// unbounded), and whether jobs are marked `Running` when they start.
#[derive(Clone, Copy)]
struct Shape {
    name: &'static str,
    fetch: usize,
    concurrency: Option<usize>,
    lock: bool,
}

/// The dispatch queue's own settings, and apalis' defaults.
const SHAPES: [Shape; 2] = [
    Shape {
        name: "touchgate's",
        fetch: queue::FETCH_BATCH,
        concurrency: Some(1),
        lock: false,
    },
    Shape {
        name: "apalis defaults",
        fetch: 10,
        concurrency: None,
        lock: true,
    },
];

async fn baseline(kind: &str, shape: Shape, plan: &Plan) -> Result<Baseline> {
    let db = fresh(kind, plan).await?;
    let result = baseline_on(&db, kind, shape, plan).await;
    drop_db(&db, plan).await;
    result
}

async fn baseline_on(db: &Db, kind: &str, shape: Shape, plan: &Plan) -> Result<Baseline> {
    let Shape {
        fetch,
        concurrency,
        lock,
        ..
    } = shape;
    let n = plan.n;
    let counter = Counter {
        done: Arc::new(AtomicUsize::new(0)),
        all: Arc::new(tokio::sync::Notify::new()),
        n,
    };
    let jobs: Vec<Noop> = (0..n).map(|i| Noop { i }).collect();
    let poll = StdDuration::from_millis(250);
    let queue = "touchgate.bench_noop";
    let name = format!("bench-{}", uuid::Uuid::now_v7().simple());
    let started;
    let worker = match kind {
        "sqlite" => {
            let pool = queue::connect_sqlite(&db.url, 4).await?;
            let mut storage = SqliteStorage::<Noop>::new(&pool).with_config(
                apalis_sqlite::Config::default()
                    .queue(queue)
                    .batch_size(fetch)
                    .lock_tasks(lock),
            );
            storage
                .push_bulk(jobs)
                .await
                .map_err(|e| anyhow::anyhow!("push: {e}"))?;
            started = Instant::now();
            let builder = WorkerBuilder::new(name.as_str())
                .backend(storage.poll_with_interval(poll))
                .data(counter.clone());
            match concurrency {
                Some(c) => spawn(builder.concurrency(c).build(noop).run()),
                None => spawn(builder.build(noop).run()),
            }
        }
        _ => {
            let pool = queue::connect_postgres(&db.url, 4).await?;
            let mut storage = PostgresStorage::<Noop>::new(&pool).with_config(
                apalis_postgres::Config::default()
                    .queue(queue)
                    .batch_size(fetch)
                    .lock_tasks(lock),
            );
            storage
                .push_bulk(jobs)
                .await
                .map_err(|e| anyhow::anyhow!("push: {e}"))?;
            started = Instant::now();
            let builder = WorkerBuilder::new(name.as_str())
                .backend(storage.poll_with_interval(poll))
                .data(counter.clone());
            match concurrency {
                Some(c) => spawn(builder.concurrency(c).build(noop).run()),
                None => spawn(builder.build(noop).run()),
            }
        }
    };
    let done = tokio::time::timeout(StdDuration::from_secs(600), counter.all.notified()).await;
    let elapsed = started.elapsed();
    drop(worker);
    if done.is_err() {
        bail!(
            "only {} of {n} no-op jobs ran",
            counter.done.load(Ordering::SeqCst)
        );
    }
    Ok(Baseline {
        label: format!(
            "{kind}, {} (fetch {fetch}, concurrency {}, lock {lock})",
            shape.name,
            concurrency.map_or("unbounded".to_owned(), |c| c.to_string())
        ),
        rate: n as f64 / elapsed.as_secs_f64(),
    })
}

fn spawn<F, E>(run: F) -> AbortOnDrop
where
    F: std::future::Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    AbortOnDrop(tokio::spawn(async move {
        if let Err(e) = run.await {
            println!("  (baseline worker failed: {e})");
        }
    }))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .try_init();
    }
    let plan = plan();
    println!(
        "touchgate through its API: N = {} transactional SMS per run, batches of 1,000, sandbox transport, default config",
        plan.n
    );
    println!();
    match api::idle_rss(&plan).await {
        Ok(rss) => println!("idle RSS (SQLite, a second after start): {rss:.1} MiB"),
        Err(e) => println!("idle RSS: failed: {e:#}"),
    }
    println!();
    println!(
        "{:<30} {:>14} {:>12}",
        "batch enqueue (dispatcher off)", "touches/s", "RSS MiB"
    );
    // `TOUCHGATE_BENCH_ONLY=w1,w2` runs only the parts whose label holds every word: the
    // enqueue parts are labelled "enqueue sqlite" and "enqueue postgres", the end-to-end ones
    // as their rows ("sqlite 1 daemon", "postgres 2 daemons backlog"), the baselines "apalis
    // <database> <settings>" (so `sqlite,daemon` is every SQLite end-to-end row, `apalis` the
    // baselines); a word led by `-` leaves out the parts holding it (`postgres,-backlog`).
    let only = std::env::var("TOUCHGATE_BENCH_ONLY").unwrap_or_default();
    let wanted = |label: &str| {
        only.split(',')
            .map(str::trim)
            .all(|word| match word.strip_prefix('-') {
                Some(left_out) => !label.contains(left_out),
                None => label.contains(word),
            })
    };
    for kind in ["sqlite", "postgres"] {
        if !wanted(&format!("enqueue {kind}")) {
            continue;
        }
        for _ in 0..plan.runs {
            match api::enqueue_rate(kind, &plan).await {
                Ok((rate, rss)) => println!("{kind:<30} {rate:>14.0} {rss:>12.1}"),
                Err(e) => println!("{kind}: failed: {e:#}"),
            }
        }
    }
    println!();
    println!(
        "{:<44} {:>10} {:>10} {:>10} {:>7} {:>7} {:>7} {:>8} {:>10}",
        "end to end (API -> sent)",
        "touches/s",
        "drain/s",
        "paced/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "RSS MiB",
        "later in/s"
    );
    let backlog = Some(plan.backlog);
    let configs = [
        ("sqlite", 1, None),
        ("postgres", 1, None),
        ("postgres", 2, None),
        ("sqlite", 1, backlog),
        ("postgres", 1, backlog),
    ];
    for (kind, nodes, backlog) in (0..plan.runs).flat_map(|_| configs) {
        let label = format!(
            "{kind} {nodes} daemon{} {}",
            if nodes > 1 { "s" } else { "" },
            if backlog.is_some() { "backlog" } else { "" }
        );
        if !wanted(&label) {
            continue;
        }
        match api::end_to_end(kind, nodes, backlog, &plan).await {
            Ok(r) => println!(
                "{:<44} {:>10.0} {:>10.0} {:>10.0} {:>7} {:>7} {:>7} {:>8.1} {:>10}",
                r.label,
                r.rate,
                r.drain_rate,
                r.paced_rate,
                r.p50,
                r.p99,
                r.max,
                r.rss_mib,
                r.backlog_enqueue_rate
                    .map_or_else(|| "-".to_owned(), |v| format!("{v:.0}"))
            ),
            Err(e) => println!("{kind}, {nodes} daemon(s): failed: {e:#}"),
        }
    }
    println!();
    println!("apalis baseline: {} no-op jobs", plan.n);
    println!("{:<66} {:>10}", "configuration", "jobs/s");
    for kind in ["sqlite", "postgres"] {
        for shape in SHAPES {
            if !wanted(&format!("apalis {kind} {}", shape.name)) {
                continue;
            }
            match baseline(kind, shape, &plan).await {
                Ok(b) => println!("{:<66} {:>10.0}", b.label, b.rate),
                Err(e) => println!("{kind}, {}: failed: {e:#}", shape.name),
            }
        }
    }
    Ok(())
}
