//! End-to-end dispatch throughput and pickup latency, on SQLite and PostgreSQL, with one and two
//! dispatchers, and the bare apalis queue as the baseline.
//!
//! * Drain: N touches due now are enqueued, then the daemons start (`daemon::build_state` +
//!   `daemon::dispatch_loop`, as `touchgate` runs them) and drain them: claim → gate → sandbox
//!   send → audit commit. The rate is N over the span from the first gate decision to the last
//!   provider event (the rows' own timestamps); "wall" also counts the queue's start-up.
//! * Pickup latency: touches created one at a time (every 10 ms), each followed by a wake-up
//!   (what the API does); latency is the gate decision's `at` minus the touch's due instant,
//!   both on the system clock.
//! * Baseline: N no-op apalis jobs pushed, then one worker runs them; jobs per second.
//!
//! `cargo bench -p dispatcher --bench throughput` runs N = 2000 (`TOUCHGATE_BENCH_N` overrides,
//! `--quick` runs 300; `TOUCHGATE_BENCH_RUNS=k` repeats each end-to-end configuration k times).
//! Under `cargo test --benches` (no `--bench` argument) it runs a tiny N so CI stays fast. PostgreSQL: `TOUCHGATE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); a fresh database per configuration.
#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context as _, Result, bail};
use apalis::prelude::{BackendExt, BoxDynError, Data, TaskSink, WorkerBuilder, WorkerBuilderExt};
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use chrono::{DateTime, Duration, Utc};
use dispatcher::app::AppState;
use dispatcher::config::Config;
use dispatcher::daemon;
use dispatcher::domain::{AccountBody, LeadBody, TouchBody};
use dispatcher::queue;
use dispatcher::store::{NewTouch, Store};
use futures::StreamExt;
use sqlx::{Executor, Row};

const WS: &str = "default";

/// Touches per sending account (its week of sends is loaded for every decision).
const PER_ACCOUNT: usize = 100;

struct Plan {
    n: usize,
    /// Times each end-to-end configuration runs (`TOUCHGATE_BENCH_RUNS`; the machine may be
    /// shared, so one run can be noisy).
    runs: usize,
    latency_samples: usize,
    pg_admin: String,
}

fn plan() -> Plan {
    let args: Vec<String> = std::env::args().collect();
    let bench = args.iter().any(|a| a == "--bench");
    let quick = args.iter().any(|a| a == "--quick");
    let env_n = std::env::var("TOUCHGATE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok());
    let n = match (bench, quick, env_n) {
        (false, _, _) => 20,
        (true, _, Some(n)) => n,
        (true, true, None) => 300,
        (true, false, None) => 2000,
    };
    let runs = std::env::var("TOUCHGATE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|_| bench)
        .unwrap_or(1);
    Plan {
        n: n.max(1),
        runs: usize::max(runs, 1),
        latency_samples: if bench { 200 } else { 10 },
        pg_admin: std::env::var("TOUCHGATE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned()),
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

async fn seed(store: &Store, n: usize) -> Result<()> {
    let now = Utc::now();
    let account: AccountBody = serde_json::from_value(serde_json::json!({"status": "active"}))?;
    for a in 0..n.div_ceil(PER_ACCOUNT) {
        store
            .put_account(WS, &format!("sdr-{a}"), &account, now)
            .await?;
    }
    let results: Vec<Result<()>> = futures::stream::iter(0..n)
        .map(|i| async move {
            let mut lead: LeadBody = serde_json::from_value(serde_json::json!({
                "email": format!("lead{i}@example.com"),
                "timezone": "America/New_York",
            }))?;
            let contacts = lead.normalise("US")?;
            store
                .put_lead(WS, &format!("lead-{i}"), &lead, &contacts, now)
                .await?;
            Ok(())
        })
        .buffer_unordered(8)
        .collect()
        .await;
    results.into_iter().collect()
}

/// Creates touch `i` (to lead `i`), due at its creation; returns its id and due instant.
async fn create(store: &Store, i: usize, tag: &str) -> Result<(String, DateTime<Utc>)> {
    let request: TouchBody = serde_json::from_value(serde_json::json!({
        "account_id": format!("sdr-{}", i / PER_ACCOUNT),
        "lead_id": format!("lead-{i}"),
        "channel": "email",
        "purpose": "transactional",
        "content": {"subject": "Your order", "body": "It shipped today."}
    }))?;
    let now = Utc::now();
    let (row, _) = store
        .create_touch(&NewTouch {
            workspace: WS.to_owned(),
            id: uuid::Uuid::now_v7().to_string(),
            idempotency_key: format!("{tag}-{i}"),
            request,
            next_attempt_at: now,
            deadline: now + Duration::days(7),
            now,
        })
        .await?;
    Ok((row.id, now))
}

async fn sent_count(store: &Store) -> Result<i64> {
    Ok(store
        .status_counts()
        .await?
        .into_iter()
        .find(|(s, _)| *s == dispatcher::touch::TouchStatus::Sent)
        .map_or(0, |(_, n)| n))
}

async fn wait_sent(store: &Store, want: i64, deadline: StdDuration) -> Result<()> {
    let until = Instant::now() + deadline;
    loop {
        let sent = sent_count(store).await?;
        if sent >= want {
            return Ok(());
        }
        if Instant::now() > until {
            bail!("only {sent} of {want} touches sent after {deadline:?}");
        }
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
}

async fn scalar_i64(store: &Store, sql: &'static str) -> Result<Option<i64>> {
    let row = sqlx::query(sql).fetch_one(store.pool()).await?;
    Ok(row.try_get::<Option<i64>, _>(0)?)
}

/// The nearest-rank percentile `p` (in per cent) of sorted samples.
fn percentile(sorted: &[i64], p: usize) -> i64 {
    let rank = (p * sorted.len())
        .div_ceil(100)
        .clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied().unwrap_or_default()
}

struct E2e {
    label: String,
    drain_rate: f64,
    drain_ms: i64,
    wall: StdDuration,
    jobs: i64,
    p50: i64,
    p99: i64,
    max: i64,
}

async fn end_to_end(kind: &str, nodes: usize, plan: &Plan) -> Result<E2e> {
    let db = fresh(kind, plan).await?;
    let result = end_to_end_on(&db, kind, nodes, plan).await;
    drop_db(&db, plan).await;
    result
}

async fn end_to_end_on(db: &Db, kind: &str, nodes: usize, plan: &Plan) -> Result<E2e> {
    let n = plan.n;
    let samples = plan.latency_samples;
    let store = Store::connect(&db.url, 16).await?;
    seed(&store, n + samples).await?;
    let created: Vec<Result<(String, DateTime<Utc>)>> = futures::stream::iter(0..n)
        .map(|i| {
            let store = &store;
            async move { create(store, i, "drain").await }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for c in created {
        c?;
    }

    // The daemons, as `touchgate` starts them.
    let mut config = Config::default();
    config.database_url = Some(db.url.clone());
    let mut states: Vec<AppState> = Vec::new();
    for _ in 0..nodes {
        let (state, _) = daemon::build_state(config.clone()).await?;
        states.push(state);
    }
    let started = Instant::now();
    let loops: Vec<_> = states
        .iter()
        .map(|s| AbortOnDrop(tokio::spawn(daemon::dispatch_loop(s.clone()))))
        .collect();
    wait_sent(&store, i64::try_from(n)?, StdDuration::from_secs(600)).await?;
    let wall = started.elapsed();
    let first = scalar_i64(&store, "SELECT MIN(at) FROM decisions WHERE kind = 'gate'").await?;
    let last = scalar_i64(
        &store,
        "SELECT MAX(at) FROM decisions WHERE kind = 'provider'",
    )
    .await?;
    let drain_ms = last.unwrap_or_default() - first.unwrap_or_default();
    let drain_rate = n as f64 / (drain_ms.max(1) as f64 / 1000.0);

    // Pickup latency: one touch at a time, each announced by a wake-up.
    let mut due: HashMap<String, DateTime<Utc>> = HashMap::new();
    for i in 0..samples {
        let (id, at) = create(&store, n + i, "latency").await?;
        due.insert(id, at);
        if let Some(state) = states.get(i % nodes) {
            state.wake.notify_one();
        }
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    wait_sent(
        &store,
        i64::try_from(n + samples)?,
        StdDuration::from_secs(60),
    )
    .await?;
    let mut latencies = Vec::with_capacity(samples);
    for (id, at) in &due {
        let gate = store
            .decisions(id)
            .await?
            .into_iter()
            .find(|d| d.kind == dispatcher::touch::TimelineKind::Gate)
            .map(|d| d.at)
            .with_context(|| format!("touch {id} has no gate decision"))?;
        latencies.push((gate - *at).num_milliseconds());
    }
    latencies.sort_unstable();
    let jobs = match kind {
        "sqlite" => scalar_i64(&store, "SELECT COUNT(*) FROM Jobs").await?,
        _ => scalar_i64(&store, "SELECT COUNT(*) FROM apalis.jobs").await?,
    };
    drop(loops);
    for s in states {
        s.store.pool().close().await;
    }
    store.pool().close().await;
    Ok(E2e {
        label: format!(
            "{kind}, {nodes} dispatcher{}",
            if nodes > 1 { "s" } else { "" }
        ),
        drain_rate,
        drain_ms,
        wall,
        jobs: jobs.unwrap_or_default(),
        p50: percentile(&latencies, 50),
        p99: percentile(&latencies, 99),
        max: latencies.last().copied().unwrap_or_default(),
    })
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
        "touchgate dispatch: N = {} touches (drain), {} pickup-latency samples; default dispatcher config",
        plan.n, plan.latency_samples
    );
    println!();
    println!(
        "{:<26} {:>14} {:>10} {:>8} {:>6} {:>8} {:>8} {:>8}",
        "configuration",
        "drain touch/s",
        "drain ms",
        "wall s",
        "jobs",
        "p50 ms",
        "p99 ms",
        "max ms"
    );
    let configs = [
        ("sqlite", 1),
        ("sqlite", 2),
        ("postgres", 1),
        ("postgres", 2),
    ];
    for (kind, nodes) in (0..plan.runs).flat_map(|_| configs) {
        match end_to_end(kind, nodes, &plan).await {
            Ok(r) => println!(
                "{:<26} {:>14.0} {:>10} {:>8.2} {:>6} {:>8} {:>8} {:>8}",
                r.label,
                r.drain_rate,
                r.drain_ms,
                r.wall.as_secs_f64(),
                r.jobs,
                r.p50,
                r.p99,
                r.max
            ),
            Err(e) => println!("{kind}, {nodes} dispatcher(s): failed: {e:#}"),
        }
    }
    println!();
    println!("apalis baseline: {} no-op jobs", plan.n);
    println!("{:<66} {:>10}", "configuration", "jobs/s");
    for kind in ["sqlite", "postgres"] {
        for shape in SHAPES {
            match baseline(kind, shape, &plan).await {
                Ok(b) => println!("{:<66} {:>10.0}", b.label, b.rate),
                Err(e) => println!("{kind}, {}: failed: {e:#}", shape.name),
            }
        }
    }
    Ok(())
}
