//! The apalis dispatch queue on both databases: touches enqueued, the worker kicked, every
//! touch sent exactly once, and apalis never touches our attempt counters.
//!
//! SQLite uses a fresh file; PostgreSQL a fresh database on the server at
//! `TOUCHGATE_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`). The
//! PostgreSQL half fails loudly when the server is unreachable: it is never skipped.

#![allow(clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use dispatcher::clock::Clock;
use dispatcher::config::Config;
use dispatcher::dispatch::Dispatcher;
use dispatcher::domain::{AccountBody, LeadBody, TouchBody};
use dispatcher::metrics::Metrics;
use dispatcher::queue::{DispatchQueue, QueueOptions};
use dispatcher::store::{NewTouch, Store, TouchStatus};
use workers::registry::Transports;

mod pg_support;

const WS: &str = "default";

/// A fresh database: its URL (what the daemon would be configured with) and a store on it.
/// A PostgreSQL database is dropped again when the test is done with it.
struct Fresh {
    url: String,
    store: Store,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl Fresh {
    async fn finish(self) {
        self.store.pool().close().await;
        if let Some(name) = self.pg_name {
            let _ = pg_support::drop(&name).await;
        }
    }
}

async fn fresh(kind: &str) -> Fresh {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    match kind {
        "sqlite" => {
            let dir = tempfile::tempdir().expect("tempdir");
            let url = format!("sqlite://{}/t.db", dir.path().display());
            Fresh {
                store: Store::connect(&url, 8).await.expect("sqlite store"),
                url,
                pg_name: None,
                _dir: Some(dir),
            }
        }
        _ => {
            let (name, url) = pg_support::create("tg_queue").await;
            Fresh {
                store: Store::connect(&url, 8).await.expect("postgres store"),
                url,
                pg_name: Some(name),
                _dir: None,
            }
        }
    }
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let db = super::fresh("sqlite").await;
                super::$name(&db).await;
                db.finish().await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let db = super::fresh("postgres").await;
                super::$name(&db).await;
                db.finish().await;
            })*
        }
    };
}

both!(
    a_kick_drains_every_due_touch_once,
    two_dispatchers_share_the_queue_without_double_sends,
    a_snoozed_touch_is_picked_up_by_a_scheduled_job,
    kicks_are_deduplicated,
    a_failed_worker_is_restarted,
    finished_jobs_are_purged,
);

/// An account without caps and `leads` email leads; transactional email passes the gate at
/// any hour, so the touches only test the queue.
async fn seed(store: &Store, leads: usize) {
    let now = Utc::now();
    let account: AccountBody =
        serde_json::from_value(serde_json::json!({"status": "active"})).expect("account");
    store
        .put_account(WS, "sdr-1", &account, now)
        .await
        .expect("account");
    for i in 0..leads {
        let mut lead: LeadBody = serde_json::from_value(serde_json::json!({
            "email": format!("lead{i}@example.com"),
            "timezone": "America/Los_Angeles",
        }))
        .expect("lead");
        let contacts = lead.normalise("US").expect("normalise");
        store
            .put_lead(WS, &format!("lead-{i}"), &lead, &contacts, now)
            .await
            .expect("lead");
    }
}

async fn enqueue(store: &Store, n: usize, due: chrono::DateTime<Utc>) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let request: TouchBody = serde_json::from_value(serde_json::json!({
            "account_id": "sdr-1",
            "lead_id": format!("lead-{i}"),
            "channel": "email",
            "purpose": "transactional",
            "content": {"subject": "Your order", "body": "Shipped."}
        }))
        .expect("touch");
        let now = Utc::now();
        let (row, created) = store
            .create_touch(&NewTouch {
                workspace: WS.to_owned(),
                id: uuid::Uuid::now_v7().to_string(),
                idempotency_key: format!("queue-{i}-{}", uuid::Uuid::now_v7().simple()),
                request,
                next_attempt_at: due,
                deadline: now + Duration::days(7),
                now,
            })
            .await
            .expect("create");
        assert!(created);
        ids.push(row.id);
    }
    ids
}

fn dispatcher(store: &Store, node: &str) -> Dispatcher {
    Dispatcher {
        store: store.clone(),
        config: Arc::new(Config::default()),
        clock: Clock::System,
        transports: Arc::new(Transports::sandbox()),
        metrics: Metrics::new(),
        node_id: node.to_owned(),
        unsubscribe: dispatcher::unsubscribe::Signer::new(b"test-key"),
        registries: dispatcher::registries::Registries::empty(store.clone(), node),
        dmarc: None,
        in_flight: Default::default(),
    }
}

fn options(batch: i64) -> QueueOptions {
    QueueOptions {
        batch,
        poll: StdDuration::from_millis(100),
        ..QueueOptions::default()
    }
}

/// Polls the store until every touch is sent, or fails after a generous deadline.
async fn wait_all_sent(store: &Store, ids: &[String], deadline: StdDuration) {
    let until = tokio::time::Instant::now() + deadline;
    loop {
        let mut waiting = 0;
        for id in ids {
            let row = store.get_touch(WS, id).await.expect("get").expect("row");
            match row.status {
                TouchStatus::Sent => {}
                TouchStatus::Queued | TouchStatus::Scheduled | TouchStatus::Sending => waiting += 1,
                other => panic!("touch {id} ended {other:?}: {:?}", row.error),
            }
        }
        if waiting == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "{waiting} of {} touches still not sent after {deadline:?}",
            ids.len()
        );
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
}

/// Each touch was sent once: one `provider` event, one allowing gate decision, and the
/// attempts counter untouched (apalis' attempts are its own).
async fn assert_sent_once(store: &Store, ids: &[String]) {
    for id in ids {
        let decisions = store.decisions(id).await.expect("decisions");
        let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
        for d in &decisions {
            *kinds.entry(d.kind.as_str()).or_default() += 1;
        }
        assert_eq!(kinds.get("provider"), Some(&1), "touch {id}: {decisions:?}");
        assert_eq!(kinds.get("gate"), Some(&1), "touch {id}: {decisions:?}");
        let row = store.get_touch(WS, id).await.expect("get").expect("row");
        assert_eq!(row.attempts, 0, "touch {id}");
        assert_eq!(
            row.provider_message_id.as_deref(),
            Some(format!("sandbox-{id}").as_str())
        );
    }
}

async fn a_kick_drains_every_due_touch_once(db: &Fresh) {
    const N: usize = 60;
    seed(&db.store, N).await;
    // Touches due before the queue exists: the backlog a restarted daemon finds.
    let ids = enqueue(&db.store, N, Utc::now()).await;
    // Batches of 7: the backlog drains through several chained jobs.
    let queue = DispatchQueue::start(dispatcher(&db.store, "node-a"), &db.url, options(7))
        .await
        .expect("queue");
    queue.kicker().kick_now().await.expect("kick");
    wait_all_sent(&db.store, &ids, StdDuration::from_secs(30)).await;
    assert_sent_once(&db.store, &ids).await;
    let kicker = queue.kicker();
    let stats = kicker.stats();
    assert!(
        stats.ran.load(Ordering::Relaxed) >= N.div_ceil(7) as u64,
        "one job per batch at least"
    );

    // A touch that arrives later is picked up by a fresh kick.
    let more = enqueue_more(&db.store, "late").await;
    queue.kicker().kick_now().await.expect("kick");
    wait_all_sent(&db.store, &more, StdDuration::from_secs(30)).await;
    assert_sent_once(&db.store, &more).await;
}

/// One more touch, to a lead of its own.
async fn enqueue_more(store: &Store, name: &str) -> Vec<String> {
    let mut lead: LeadBody =
        serde_json::from_value(serde_json::json!({"email": format!("{name}@example.com")}))
            .expect("lead");
    let contacts = lead.normalise("US").expect("normalise");
    store
        .put_lead(WS, name, &lead, &contacts, Utc::now())
        .await
        .expect("lead");
    let request: TouchBody = serde_json::from_value(serde_json::json!({
        "account_id": "sdr-1", "lead_id": name, "channel": "email", "purpose": "transactional",
        "content": {"subject": "Hi", "body": "Again."}
    }))
    .expect("touch");
    let now = Utc::now();
    let (row, _) = store
        .create_touch(&NewTouch {
            workspace: WS.to_owned(),
            id: uuid::Uuid::now_v7().to_string(),
            idempotency_key: format!("more-{name}"),
            request,
            next_attempt_at: now,
            deadline: now + Duration::days(7),
            now,
        })
        .await
        .expect("create");
    vec![row.id]
}

async fn two_dispatchers_share_the_queue_without_double_sends(db: &Fresh) {
    const N: usize = 80;
    seed(&db.store, N).await;
    let a = DispatchQueue::start(dispatcher(&db.store, "node-a"), &db.url, options(10))
        .await
        .expect("queue a");
    let b = DispatchQueue::start(dispatcher(&db.store, "node-b"), &db.url, options(10))
        .await
        .expect("queue b");
    let ids = enqueue(&db.store, N, Utc::now()).await;
    a.kicker().kick_now().await.expect("kick a");
    b.kicker().kick_now().await.expect("kick b");
    wait_all_sent(&db.store, &ids, StdDuration::from_secs(30)).await;
    assert_sent_once(&db.store, &ids).await;
}

async fn a_snoozed_touch_is_picked_up_by_a_scheduled_job(db: &Fresh) {
    seed(&db.store, 3).await;
    let queue = DispatchQueue::start(dispatcher(&db.store, "node-a"), &db.url, options(50))
        .await
        .expect("queue");
    // Due in 1.5 s: nothing is due now, so the job for now finds nothing and the handler
    // schedules the next one at the touches' instant (rounded up to apalis' whole seconds).
    let due = Utc::now() + Duration::milliseconds(1500);
    let ids = enqueue(&db.store, 3, due).await;
    queue.kicker().kick_now().await.expect("kick");
    wait_all_sent(&db.store, &ids, StdDuration::from_secs(30)).await;
    assert_sent_once(&db.store, &ids).await;
    for id in &ids {
        let gate = store_gate_at(&db.store, id).await;
        assert!(
            gate >= due,
            "touch {id} decided at {gate}, before it was due at {due}"
        );
    }
}

async fn store_gate_at(store: &Store, id: &str) -> chrono::DateTime<Utc> {
    store
        .decisions(id)
        .await
        .expect("decisions")
        .into_iter()
        .find(|d| d.kind == dispatcher::touch::TimelineKind::Gate)
        .expect("gate decision")
        .at
}

async fn kicks_are_deduplicated(db: &Fresh) {
    seed(&db.store, 1).await;
    let queue = DispatchQueue::start(dispatcher(&db.store, "node-a"), &db.url, options(50))
        .await
        .expect("queue");
    let kicker = queue.kicker();
    // Let the worker's start-up job run first: while it is pending, it covers every kick.
    let until = tokio::time::Instant::now() + StdDuration::from_secs(30);
    while kicker.stats().ran.load(Ordering::Relaxed) == 0 {
        assert!(
            tokio::time::Instant::now() < until,
            "the start-up job never ran"
        );
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    // A job far ahead is pending; kicks at or after it push nothing, an earlier one does.
    let later = Utc::now() + Duration::hours(1);
    assert!(kicker.kick(later).await.expect("kick"));
    assert!(!kicker.kick(later).await.expect("kick"));
    assert!(
        !kicker
            .kick(later + Duration::minutes(5))
            .await
            .expect("kick")
    );
    assert!(
        kicker
            .kick(later - Duration::minutes(30))
            .await
            .expect("kick")
    );
    assert!(
        !kicker
            .kick(later - Duration::minutes(10))
            .await
            .expect("kick")
    );
    assert_eq!(kicker.stats().deduplicated.load(Ordering::Relaxed), 3);
}

/// PostgreSQL only: every connection to the database is cut (a failover, a restarted
/// server); the queue carries on — the pools reconnect, and a worker that hit the error is
/// restarted by its supervisor. Kicks are retried as the daemon's backstop would.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_queue_survives_cut_connections() {
    let db = fresh("postgres").await;
    seed(&db.store, 5).await;
    let queue = DispatchQueue::start(dispatcher(&db.store, "node-a"), &db.url, options(50))
        .await
        .expect("queue");
    let kicker = queue.kicker();
    let name = db.pg_name.clone().expect("postgres database");
    let admin = sqlx::PgPool::connect(&pg_support::admin_url())
        .await
        .expect("admin");
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(&name)
    .execute(&admin)
    .await
    .expect("terminate");
    let ids = enqueue(&db.store, 5, Utc::now()).await;
    kick_until_sent(&kicker, &db.store, &ids).await;
    assert_sent_once(&db.store, &ids).await;
    drop(queue);
    db.finish().await;
}

/// Kicks until every touch is sent (what the daemon's backstop does), or fails at a deadline.
async fn kick_until_sent(kicker: &dispatcher::queue::Kicker, store: &Store, ids: &[String]) {
    let until = tokio::time::Instant::now() + StdDuration::from_secs(30);
    loop {
        let _ = kicker.kick_now().await;
        let mut left = 0;
        for id in ids {
            let row = store.get_touch(WS, id).await.expect("get").expect("row");
            left += usize::from(row.status != TouchStatus::Sent);
        }
        if left == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "{left} touches still not sent"
        );
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    }
}

/// The database holding the queue's jobs: PostgreSQL's own, SQLite's file beside it.
async fn jobs_database(db: &Fresh) -> sqlx::AnyPool {
    sqlx::AnyPool::connect(&dispatcher::queue::queue_database_url(&db.url))
        .await
        .expect("the queue's database")
}

/// A database error stops an apalis worker for good; the supervisor starts a new one (with
/// backoff) and dispatching resumes once the database is healthy again.
async fn a_failed_worker_is_restarted(db: &Fresh) {
    seed(&db.store, 5).await;
    let queue = DispatchQueue::start(dispatcher(&db.store, "node-a"), &db.url, options(50))
        .await
        .expect("queue");
    let kicker = queue.kicker();
    let (away, back) = if db.pg_name.is_some() {
        (
            "ALTER TABLE apalis.jobs RENAME TO jobs_away",
            "ALTER TABLE apalis.jobs_away RENAME TO jobs",
        )
    } else {
        (
            "ALTER TABLE Jobs RENAME TO Jobs_away",
            "ALTER TABLE Jobs_away RENAME TO Jobs",
        )
    };
    // The apalis jobs table disappears: the worker's next poll fails.
    let jobs = jobs_database(db).await;
    sqlx::query(away).execute(&jobs).await.expect("away");
    let until = tokio::time::Instant::now() + StdDuration::from_secs(30);
    while kicker.stats().worker_starts.load(Ordering::Relaxed) < 2 {
        assert!(
            tokio::time::Instant::now() < until,
            "the failed worker was never restarted"
        );
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    sqlx::query(back).execute(&jobs).await.expect("back");
    let ids = enqueue(&db.store, 5, Utc::now()).await;
    kick_until_sent(&kicker, &db.store, &ids).await;
    assert_sent_once(&db.store, &ids).await;
}

/// Finished jobs are deleted (apalis-sqlite's acknowledgement slows down with every finished
/// row it keeps).
async fn finished_jobs_are_purged(db: &Fresh) {
    seed(&db.store, 1).await;
    let opts = QueueOptions {
        purge_every: StdDuration::from_secs(1),
        keep_finished: StdDuration::ZERO,
        ..options(50)
    };
    let queue = DispatchQueue::start(dispatcher(&db.store, "node-a"), &db.url, opts)
        .await
        .expect("queue");
    let kicker = queue.kicker();
    let table = if db.pg_name.is_some() {
        "apalis.jobs"
    } else {
        "Jobs"
    };
    let jobs = &jobs_database(db).await;
    let count = |status: &'static str| {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE status = '{status}'");
        async move {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                .fetch_one(jobs)
                .await
                .expect("count")
        }
    };
    let until = tokio::time::Instant::now() + StdDuration::from_secs(30);
    // Jobs run (the start-up one, and those of two kicks)…
    for _ in 0..2 {
        let before = kicker.stats().ran.load(Ordering::Relaxed);
        kicker.kick_now().await.expect("kick");
        while kicker.stats().ran.load(Ordering::Relaxed) == before {
            assert!(
                tokio::time::Instant::now() < until,
                "a kicked job never ran"
            );
            tokio::time::sleep(StdDuration::from_millis(20)).await;
        }
    }
    // …and none of them is left once acknowledged and purged.
    loop {
        let (done, queued) = (count("Done").await, count("Queued").await);
        if done == 0 && queued == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "{done} finished jobs never purged ({queued} not acknowledged)"
        );
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert!(kicker.stats().ran.load(Ordering::Relaxed) >= 2);
}

/// A daemon killed midway through apalis' migrations leaves a file where some are applied; the
/// next start finishes them. Every connection of the queue's pool must then see the finished
/// schema: a connection that had read the old one kept preparing against it (a push failed
/// with "table Jobs has 13 columns but 14 values were supplied").
#[tokio::test]
async fn the_queue_finishes_a_half_done_migration_and_every_connection_sees_it() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("half.db").display());
    let all = apalis_sqlite::SqliteStorage::<()>::migrations();
    // Up to the migration that rebuilds `Jobs` with 13 columns; the next one adds the 14th.
    let rebuilt = all
        .migrations
        .iter()
        .position(|m| m.description.contains("move to bytes"))
        .expect("apalis' migration that rebuilds Jobs");
    let half = sqlx::migrate::Migrator {
        migrations: std::borrow::Cow::Owned(all.migrations[..=rebuilt].to_vec()),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    {
        let options = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&url)
            .expect("the URL")
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .connect_with(options)
            .await
            .expect("the file");
        half.run(&pool).await.expect("half of apalis' migrations");
        pool.close().await;
    }
    let pool = dispatcher::queue::connect_sqlite(&url, 4)
        .await
        .expect("the queue's pool");
    // Every connection of the pool at once: each prepares an insert of a whole row.
    let mut held = Vec::new();
    for i in 0..4 {
        let mut conn = pool.acquire().await.expect("a connection");
        sqlx::query(
            "INSERT INTO Jobs VALUES (?1, ?2, 'touchgate.test', 'Done', 0, 1, 0, \
             NULL, NULL, NULL, NULL, 0, NULL, ?2)",
        )
        .bind(vec![0_u8])
        .bind(format!("job-{i}"))
        .execute(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("connection {i} sees the finished schema: {e}"));
        held.push(conn);
    }
}

/// apalis acknowledges a job with this statement (apalis-sqlite 1.0.0, `queries/task/ack.sql`).
/// Planned without statistics it scanned every job the worker had locked and parsed the JSON
/// again for each; the queue's pool must plan it as one probe of the id index per job.
#[tokio::test]
async fn apalis_acknowledgements_probe_the_job_id_index() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("plan.db").display());
    let pool = dispatcher::queue::connect_sqlite(&url, 2)
        .await
        .expect("the queue's pool");
    let mut conn = pool.acquire().await.expect("a connection");
    let rows = sqlx::query(
        "EXPLAIN QUERY PLAN WITH j AS (SELECT value ->> 'task_id' AS task_id, \
         value ->> 'attempt' AS attempt, value ->> 'result' AS result, value ->> 'status' AS status \
         FROM json_each(?1)) UPDATE Jobs SET status = j.status, attempts = j.attempt, \
         last_result = j.result, done_at = strftime('%s', 'now') FROM j \
         WHERE Jobs.id = j.task_id AND Jobs.lock_by = ?2",
    )
    .bind("[]")
    .bind("worker")
    .fetch_all(&mut *conn)
    .await
    .expect("the plan");
    let plan: Vec<String> = rows
        .iter()
        .map(|r| sqlx::Row::get::<String, _>(r, "detail"))
        .collect();
    assert!(
        plan.iter()
            .any(|step| step.contains("SEARCH Jobs USING INDEX sqlite_autoindex_Jobs_1 (id=?)")),
        "{plan:#?}"
    );
    assert!(
        !plan.iter().any(|step| step.starts_with("SCAN Jobs")),
        "{plan:#?}"
    );
}
