//! Whole-process figures through the public API, as a campaign tool sees them: the `touchgate`
//! binary (this build, `CARGO_BIN_EXE_touchgate`) started with the README's defaults (sandbox
//! transports, no credentials) on a fresh database, driven over HTTP.
//!
//! * Batch enqueue: `POST /v1/touches/batch` with 1,000 transactional SMS per request, two
//!   requests in flight, the dispatcher switched off (`[dispatcher] enabled = false`) so only
//!   the enqueue path is timed. Rate = touches / wall time of the requests.
//! * End to end: the same requests with the dispatcher on; rate = touches / (first request →
//!   the database shows every one `sent`). One daemon, or two daemons on one PostgreSQL (the
//!   requests alternate between them).
//! * Pickup latency at a rate: touches enqueued at a steady pace (a batch every 20 ms) for a
//!   few seconds after the burst; latency = the gate decision's `at` − the touch's `created_at`
//!   (both written by the daemon), p50/p99/max.
//! * Backlog: before the burst, `backlog_touches` touches scheduled three days out (through the
//!   API) and `backlog_decisions` decision rows of history (SQL, sealed) are put in place.
//! * RSS: `VmRSS` of the daemon idle after start, and after the run.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context as _, Result, bail};
use chrono::{Duration, Utc};
use dispatcher::store::Store;
use futures::StreamExt;
use serde_json::{Value, json};

use super::{Db, Plan, drop_db, fresh, percentile, sent_count};

const OP: &str = "bench-operator-token";
const SVC: &str = "bench-service-token";
/// Touches per `POST /v1/touches/batch` (the API's maximum).
const PER_BATCH: usize = 1000;
/// Batch requests in flight at once.
const IN_FLIGHT: usize = 2;
/// Touches per sending account.
const PER_ACCOUNT: usize = 500;

/// One `touchgate serve` process; killed when dropped.
struct Proc {
    child: Child,
    base: String,
    dir: tempfile::TempDir,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::env::var_os("TOUCHGATE_BENCH_DAEMON_LOG").is_some() {
            let kept =
                std::env::temp_dir().join(format!("touchgate-bench-{}.log", self.child.id()));
            if std::fs::copy(self.dir.path().join("daemon.log"), &kept).is_ok() {
                println!("  (daemon log kept: {})", kept.display());
            }
        }
    }
}

impl Proc {
    async fn start(db_url: &str, dispatcher: bool, client: &reqwest::Client) -> Result<Proc> {
        let dir = tempfile::tempdir()?;
        let config = dir.path().join("touchgate.toml");
        std::fs::write(&config, format!("[dispatcher]\nenabled = {dispatcher}\n"))?;
        let address_file = dir.path().join("address");
        let log = std::fs::File::create(dir.path().join("daemon.log"))?;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_touchgate"));
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("TOUCHGATE_") {
                cmd.env_remove(key);
            }
        }
        let child = cmd
            .arg("serve")
            .current_dir(dir.path())
            .env("TOUCHGATE_LISTEN", "127.0.0.1:0")
            .env("TOUCHGATE_METRICS_LISTEN", "127.0.0.1:0")
            .env("TOUCHGATE_ADDRESS_FILE", &address_file)
            .env("TOUCHGATE_DATABASE_URL", db_url)
            .env("TOUCHGATE_CONFIG", &config)
            .env("TOUCHGATE_OPERATOR_TOKEN", OP)
            .env("TOUCHGATE_SERVICE_TOKEN", SVC)
            .env_remove("RUST_LOG")
            .envs(std::env::var("TOUCHGATE_BENCH_DAEMON_LOG").map(|f| ("RUST_LOG", f)))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("spawning touchgate serve")?;
        let mut proc = Proc {
            child,
            base: String::new(),
            dir,
        };
        let until = Instant::now() + StdDuration::from_secs(60);
        loop {
            if let Some(status) = proc.child.try_wait()? {
                bail!("touchgate serve exited ({status}): {}", proc.log());
            }
            if let Ok(text) = std::fs::read_to_string(&address_file) {
                proc.base = format!("http://{}", text.trim());
                if let Ok(r) = client.get(format!("{}/healthz", proc.base)).send().await
                    && r.status().is_success()
                {
                    return Ok(proc);
                }
            }
            if Instant::now() > until {
                bail!("touchgate serve did not become healthy: {}", proc.log());
            }
            tokio::time::sleep(StdDuration::from_millis(20)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }

    /// Resident set size in MiB (`VmRSS` of `/proc/<pid>/status`).
    fn rss_mib(&self) -> Result<f64> {
        rss_mib(
            &Path::new("/proc")
                .join(self.child.id().to_string())
                .join("status"),
        )
    }
}

fn rss_mib(status: &Path) -> Result<f64> {
    let text = std::fs::read_to_string(status)?;
    let kib: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS")?;
    Ok(kib / 1024.0)
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Vec<u8>,
) -> Result<Value> {
    let res = client
        .request(method, &url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .with_context(|| url.clone())?;
    let status = res.status();
    let value: Value = res.json().await.with_context(|| url.clone())?;
    if !status.is_success() {
        bail!("{url}: {status} {value}");
    }
    Ok(value)
}

/// Accounts `sdr-*` (no quiet-hour windows, no caps) and `leads` leads with US phones.
async fn seed(client: &reqwest::Client, base: &str, leads: usize) -> Result<()> {
    let accounts = leads.div_ceil(PER_ACCOUNT).max(1);
    let account = serde_json::to_vec(&json!({"status": "active", "quiet_hours": {"sms": null}}))?;
    let puts = (0..accounts)
        .map(|a| (format!("{base}/v1/accounts/sdr-{a}"), account.clone()))
        .chain((0..leads).map(|i| {
            let lead = json!({
                "phone": phone(i),
                "country": "US",
                "timezone": "America/New_York",
            });
            (
                format!("{base}/v1/leads/lead-{i}"),
                serde_json::to_vec(&lead).unwrap_or_default(),
            )
        }));
    let results: Vec<Result<Value>> = futures::stream::iter(puts)
        .map(|(url, body)| call(client, reqwest::Method::PUT, url, OP, body))
        .buffer_unordered(16)
        .collect()
        .await;
    for r in results {
        r?;
    }
    Ok(())
}

fn phone(i: usize) -> String {
    format!("+1415{:07}", 2_000_000 + i)
}

/// The request bodies of touches `range` (tagged `tag`), serialised before any clock starts.
fn batches(
    tag: &str,
    range: std::ops::Range<usize>,
    leads: usize,
    later: bool,
) -> Result<Vec<Vec<u8>>> {
    let now = Utc::now();
    let mut out = Vec::new();
    let items: Vec<usize> = range.collect();
    for chunk in items.chunks(PER_BATCH) {
        let touches: Vec<Value> = chunk
            .iter()
            .map(|&i| {
                let lead = i % leads;
                let mut t = json!({
                    "idempotency_key": format!("{tag}-{i}"),
                    "account_id": format!("sdr-{}", lead / PER_ACCOUNT),
                    "lead_id": format!("lead-{lead}"),
                    "channel": "sms",
                    "purpose": "transactional",
                    "content": {"body": "Your order shipped today."},
                });
                if later {
                    t["not_before"] = json!((now + Duration::days(3)).to_rfc3339());
                    t["deadline"] = json!((now + Duration::days(6)).to_rfc3339());
                }
                t
            })
            .collect();
        out.push(serde_json::to_vec(&json!({ "touches": touches }))?);
    }
    Ok(out)
}

/// Posts `bodies`, [`IN_FLIGHT`] at a time, round-robin over `bases`; fails on any item error.
async fn post_batches(
    client: &reqwest::Client,
    bases: &[String],
    bodies: Vec<Vec<u8>>,
) -> Result<()> {
    let results: Vec<Result<Value>> = futures::stream::iter(bodies.into_iter().enumerate())
        .map(|(k, body)| {
            let base = &bases[k % bases.len()];
            call(
                client,
                reqwest::Method::POST,
                format!("{base}/v1/touches/batch"),
                SVC,
                body,
            )
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    for r in results {
        let answer = r?;
        let items = answer["results"]
            .as_array()
            .or_else(|| answer.as_array())
            .context("a batch answer without results")?;
        if let Some(bad) = items.iter().find(|i| i.get("error").is_some()) {
            bail!("a batch item failed: {bad}");
        }
    }
    Ok(())
}

/// Waits until `want` touches are sent. Polled every 10 ms, so the poll must cost the database
/// next to nothing: it asks only whether any touch is still due or sending (both read a partial
/// index: a few entries), and counts the sent touches (a scan of the table: 9 ms at 20,000
/// rows on PostgreSQL, far more with a backlog) only once that is no longer so. Answers when
/// the poll first saw nothing left to do: the count that confirms it is the bench's work, not
/// the daemon's (a scan of the backlog's million touches: about 0.3 s on SQLite).
async fn wait_sent(store: &Store, want: i64, patience: StdDuration) -> Result<Instant> {
    let until = Instant::now() + patience;
    loop {
        let now = dispatcher::store::ms(Utc::now());
        let unfinished = scalar(
            store,
            format!(
                "SELECT (SELECT COUNT(*) FROM (SELECT 1 AS one FROM touches \
                 WHERE status IN ('queued', 'scheduled') AND next_attempt_at <= {now} LIMIT 1) AS due) \
                 + (SELECT COUNT(*) FROM (SELECT 1 AS one FROM touches WHERE status = 'sending' LIMIT 1) AS sending)"
            ),
        )
        .await?
        .unwrap_or_default();
        let seen = Instant::now();
        if unfinished == 0 {
            let sent = sent_count(store).await?;
            if sent >= want {
                return Ok(seen);
            }
            if Instant::now() > until {
                bail!("only {sent} of {want} touches sent after {patience:?}");
            }
            // Some are waiting for a later time (a snooze): no need to count them often.
            tokio::time::sleep(StdDuration::from_millis(200)).await;
        } else if Instant::now() > until {
            bail!("touches still unsent after {patience:?}");
        }
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
}

/// Batch enqueue alone (dispatcher off): touches per second.
pub async fn enqueue_rate(kind: &str, plan: &Plan) -> Result<(f64, f64)> {
    let db = fresh(kind, plan).await?;
    let result = enqueue_rate_on(&db, plan).await;
    drop_db(&db, plan).await;
    result
}

async fn enqueue_rate_on(db: &Db, plan: &Plan) -> Result<(f64, f64)> {
    let client = reqwest::Client::new();
    let proc = Proc::start(&db.url, false, &client).await?;
    let leads = plan.n.min(5000);
    seed(&client, &proc.base, leads).await?;
    let bodies = batches("enqueue", 0..plan.n, leads, false)?;
    let started = Instant::now();
    post_batches(&client, std::slice::from_ref(&proc.base), bodies).await?;
    let rate = plan.n as f64 / started.elapsed().as_secs_f64();
    Ok((rate, proc.rss_mib()?))
}

/// Idle RSS of a daemon on a fresh SQLite database, a second after it serves.
pub async fn idle_rss(plan: &Plan) -> Result<f64> {
    let db = fresh("sqlite", plan).await?;
    let client = reqwest::Client::new();
    let proc = Proc::start(&db.url, true, &client).await?;
    // Settling time before a reading, not a correctness wait.
    tokio::time::sleep(StdDuration::from_secs(1)).await;
    proc.rss_mib()
}

pub struct EndToEnd {
    pub label: String,
    pub rate: f64,
    pub drain_rate: f64,
    pub paced_rate: f64,
    pub p50: i64,
    pub p99: i64,
    pub max: i64,
    pub rss_mib: f64,
    pub backlog_enqueue_rate: Option<f64>,
}

/// Backlog put in place before the burst: touches scheduled for later, decision rows.
#[derive(Clone, Copy)]
pub struct Backlog {
    pub touches: usize,
    pub decisions: usize,
}

pub async fn end_to_end(
    kind: &str,
    nodes: usize,
    backlog: Option<Backlog>,
    plan: &Plan,
) -> Result<EndToEnd> {
    let db = fresh(kind, plan).await?;
    let result = end_to_end_on(&db, kind, nodes, backlog, plan).await;
    drop_db(&db, plan).await;
    result
}

async fn end_to_end_on(
    db: &Db,
    kind: &str,
    nodes: usize,
    backlog: Option<Backlog>,
    plan: &Plan,
) -> Result<EndToEnd> {
    let client = reqwest::Client::new();
    let mut procs = Vec::new();
    for _ in 0..nodes {
        procs.push(Proc::start(&db.url, true, &client).await?);
    }
    let bases: Vec<String> = procs.iter().map(|p| p.base.clone()).collect();
    let n = plan.n;
    let paced_per_tick = (plan.paced_rate / 50).max(1);
    let paced_ticks = plan.paced_seconds * 50;
    let paced = paced_per_tick * paced_ticks;
    let leads = n + paced;
    seed(&client, &bases[0], leads).await?;
    let store = Store::connect(&db.url, 4).await?;

    let mut backlog_enqueue_rate = None;
    if let Some(b) = backlog {
        let bodies = batches("later", 0..b.touches, leads, true)?;
        let started = Instant::now();
        post_batches(&client, &bases, bodies).await?;
        backlog_enqueue_rate = Some(b.touches as f64 / started.elapsed().as_secs_f64());
        insert_history(&store, b.decisions).await?;
    }

    // The burst.
    let bodies = batches("burst", 0..n, leads, false)?;
    let started = Instant::now();
    post_batches(&client, &bases, bodies).await?;
    let done = wait_sent(&store, i64::try_from(n)?, StdDuration::from_secs(900)).await?;
    let rate = n as f64 / done.duration_since(started).as_secs_f64();
    // The burst's own decisions (the backlog's history is a year old).
    let since = dispatcher::store::ms(Utc::now() - Duration::hours(1));
    let first = scalar(
        &store,
        format!("SELECT MIN(at) FROM decisions WHERE kind = 'gate' AND at > {since}"),
    )
    .await?;
    let last = scalar(
        &store,
        format!("SELECT MAX(at) FROM decisions WHERE kind = 'provider' AND at > {since}"),
    )
    .await?;
    let drain_ms = last.unwrap_or_default() - first.unwrap_or_default();
    let drain_rate = n as f64 / (drain_ms.max(1) as f64 / 1000.0);

    // The steady pace: a batch every 20 ms, requests alternating between the daemons.
    let all: Vec<usize> = (n..n + paced).collect();
    let bodies: Vec<Vec<u8>> = all
        .chunks(paced_per_tick)
        .map(|c| batches("paced", c[0]..c[0] + c.len(), leads, false).map(|mut b| b.remove(0)))
        .collect::<Result<_>>()?;
    let client = Arc::new(client);
    let mut ticker = tokio::time::interval(StdDuration::from_millis(20));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut sent = Vec::new();
    for (k, body) in bodies.into_iter().enumerate() {
        ticker.tick().await;
        let client = client.clone();
        let base = bases[k % bases.len()].clone();
        sent.push(tokio::spawn(async move {
            post_batches(&client, &[base], vec![body]).await
        }));
    }
    for s in sent {
        s.await??;
    }
    let paced_rate = paced as f64 / started.elapsed().as_secs_f64();
    wait_sent(
        &store,
        i64::try_from(n + paced)?,
        StdDuration::from_secs(300),
    )
    .await?;
    let mut latencies = pickup_latencies(&store).await?;
    latencies.sort_unstable();
    let rss_mib = procs[0].rss_mib()?;
    store.pool().close().await;
    Ok(EndToEnd {
        label: format!(
            "{kind}, {nodes} daemon{}{}",
            if nodes > 1 { "s" } else { "" },
            match backlog {
                Some(b) => format!(", backlog {}+{}", b.touches, b.decisions),
                None => String::new(),
            }
        ),
        rate,
        drain_rate,
        paced_rate,
        p50: percentile(&latencies, 50),
        p99: percentile(&latencies, 99),
        max: latencies.last().copied().unwrap_or_default(),
        rss_mib,
        backlog_enqueue_rate,
    })
}

async fn scalar(store: &Store, sql: String) -> Result<Option<i64>> {
    use sqlx::Row as _;
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_one(store.pool())
        .await?;
    Ok(row.try_get::<Option<i64>, _>(0)?)
}

/// Gate decision `at` − touch `created_at` (ms) of the paced touches.
async fn pickup_latencies(store: &Store) -> Result<Vec<i64>> {
    use sqlx::Row as _;
    let rows = sqlx::query(
        "SELECT d.at - t.created_at FROM touches t JOIN decisions d \
         ON d.touch_id = t.id AND d.kind = 'gate' WHERE t.idempotency_key LIKE 'paced-%'",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| r.try_get::<i64, _>(0).map_err(Into::into))
        .collect()
}

/// `count` decision rows of history (a year ago, sealed so the audit sealer leaves them).
async fn insert_history(store: &Store, count: usize) -> Result<()> {
    let old = dispatcher::store::ms(Utc::now() - Duration::days(365));
    let sql = match store.kind() {
        dispatcher::store::DbKind::Sqlite => format!(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {count}) \
             INSERT INTO decisions (workspace, touch_id, at, kind, allowed, reason, checks, sealed) \
             SELECT 'default', 'history-' || (x / 4), {old} + x, 'gate', 1, NULL, '[]', 1 FROM c"
        ),
        dispatcher::store::DbKind::Postgres => format!(
            "INSERT INTO decisions (workspace, touch_id, at, kind, allowed, reason, checks, sealed) \
             SELECT 'default', 'history-' || (x / 4), {old} + x, 'gate', 1, NULL, '[]', 1 \
             FROM generate_series(1, {count}) AS x"
        ),
    };
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(store.pool())
        .await?;
    settle(store).await
}

/// Lets the database finish with the load before the burst, as a database that grew to this
/// size over months has (`TOUCHGATE_BENCH_SETTLE=0` skips it). PostgreSQL: otherwise the burst
/// shares the cores with autovacuum's first pass over ten million fresh rows and the checkpoint
/// of their WAL, and plans with statistics from before the load. SQLite: the load's one
/// transaction leaves 850 MB of WAL that its own checkpoint could not finish (the daemon's
/// readers held it back); the daemon's first commit of the burst then checkpointed the rest
/// and the burst's first batch took 0.3–0.8 s, not 0.07.
async fn settle(store: &Store) -> Result<()> {
    if std::env::var("TOUCHGATE_BENCH_SETTLE").is_ok_and(|v| v == "0") {
        return Ok(());
    }
    let statements: &[&str] = match store.kind() {
        dispatcher::store::DbKind::Postgres => &[
            "VACUUM (ANALYZE) decisions",
            "VACUUM (ANALYZE) touches",
            "CHECKPOINT",
        ],
        dispatcher::store::DbKind::Sqlite => &["PRAGMA wal_checkpoint(TRUNCATE)"],
    };
    for &sql in statements {
        sqlx::raw_sql(sql).execute(store.pool()).await?;
    }
    Ok(())
}
