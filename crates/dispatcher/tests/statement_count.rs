//! Statements per touch of the dispatch path (claim → cap locks → facts → decision → last
//! check → send → settle), counted from sqlx's statement log, on SQLite (every statement a
//! round trip to the connection's worker thread) and on PostgreSQL (a round trip to the
//! server; `TOUCHGATE_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`).
//! A guard against the per-touch cost creeping back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Duration, Utc};
use dispatcher::clock::Clock;
use dispatcher::config::Config;
use dispatcher::dispatch::Dispatcher;
use dispatcher::domain::{AccountBody, LeadBody, TouchBody};
use dispatcher::metrics::Metrics;
use dispatcher::store::{NewTouch, Store};
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt;
use workers::registry::Transports;

mod pg_support;

static STATEMENTS: AtomicUsize = AtomicUsize::new(0);

struct Count;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Count {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            STATEMENTS.fetch_add(1, Ordering::SeqCst);
        }
    }
}

const WS: &str = "default";
const TOUCHES: usize = 256;

fn noon() -> DateTime<Utc> {
    "2026-11-25T18:00:00Z".parse().expect("instant")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatch_statements_per_touch() {
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(
            Count.with_filter(
                tracing_subscriber::filter::Targets::new()
                    .with_target("sqlx::query", tracing::Level::TRACE),
            ),
        ),
    )
    .expect("subscriber");
    // One after the other: the counter is global.
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = Store::connect(&format!("sqlite://{}/t.db", dir.path().display()), 8)
        .await
        .expect("store");
    count("sqlite", sqlite).await;
    let (name, url) = pg_support::create("tg_test").await;
    let postgres = Store::connect(&url, 8).await.expect("postgres store");
    count("postgres", postgres).await;
    pg_support::drop(&name).await.expect("drop database");
}

async fn count(kind: &str, store: Store) {
    let now = noon();
    let account: AccountBody = serde_json::from_value(serde_json::json!({
        "status": "active", "limits": {"sms": {"hourly": 10000, "daily": 10000}}
    }))
    .expect("account");
    store
        .put_account(WS, "sdr-1", &account, now)
        .await
        .expect("account");
    for i in 0..TOUCHES {
        let mut lead: LeadBody = serde_json::from_value(serde_json::json!({
            "phone": format!("+1415555{:04}", 1000 + i),
            "timezone": "America/Los_Angeles",
        }))
        .expect("lead");
        let contacts = lead.normalise("US").expect("normalise");
        store
            .put_lead(WS, &format!("lead-{i}"), &lead, &contacts, now)
            .await
            .expect("lead");
        let request: TouchBody = serde_json::from_value(serde_json::json!({
            "account_id": "sdr-1", "lead_id": format!("lead-{i}"), "channel": "sms",
            "purpose": "transactional", "content": {"body": "Your code"}
        }))
        .expect("touch");
        store
            .create_touch(&NewTouch {
                workspace: WS.to_owned(),
                id: uuid::Uuid::now_v7().to_string(),
                idempotency_key: format!("k{i}"),
                request,
                next_attempt_at: now,
                deadline: now + Duration::days(7),
                now,
            })
            .await
            .expect("create");
    }
    let mut config = Config::default();
    config.dispatcher.spread_seconds = 0;
    let d = Dispatcher {
        store: store.clone(),
        config: Arc::new(config),
        clock: Clock::fake(now),
        transports: Arc::new(Transports::sandbox()),
        metrics: Metrics::new(),
        node_id: "node-a".to_owned(),
        unsubscribe: dispatcher::unsubscribe::Signer::new(b"test-key"),
        registries: dispatcher::registries::Registries::empty(store.clone(), "node-a"),
        dmarc: None,
        in_flight: Default::default(),
    };
    let before = STATEMENTS.load(Ordering::SeqCst);
    let done = d.drain(Some(WS)).await.expect("drain");
    let statements = STATEMENTS.load(Ordering::SeqCst) - before;
    assert_eq!(done, TOUCHES);
    let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM touches WHERE status = 'sent'")
        .fetch_one(store.pool())
        .await
        .expect("count");
    assert_eq!(usize::try_from(sent).expect("count"), TOUCHES);
    let per_touch = statements as f64 / TOUCHES as f64;
    println!(
        "{kind} dispatch: {statements} statements for {TOUCHES} touches = {per_touch:.2} per touch"
    );
    // Twelve per touch when every touch had its own facts, writes, last check and settle; about
    // half a statement now (the last checks group by timing, so leave room).
    assert!(
        per_touch < 2.0,
        "{kind}: {per_touch:.2} statements per touch: a per-touch statement crept back into dispatch"
    );
}
