//! The daemon survives what production throws at it, tested as a client would see it:
//! - SIGKILL while a touch is with the provider: after restart the touch is `needs_review`
//!   (never resent on its own) and queued/scheduled touches resume;
//! - two daemons on one PostgreSQL database: no touch is sent twice and an hourly cap of N lets
//!   exactly N through.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::OP;
use serde_json::{Value, json};
use sqlx::Executor;

struct Daemon(common::Daemon);

impl std::ops::Deref for Daemon {
    type Target = common::Daemon;

    fn deref(&self) -> &common::Daemon {
        &self.0
    }
}

impl std::ops::DerefMut for Daemon {
    fn deref_mut(&mut self) -> &mut common::Daemon {
        &mut self.0
    }
}

impl Daemon {
    /// Starts `touchgate serve` in `dir` (config `<log>.toml`, log `<log>.log`) and waits
    /// (bounded) until `/healthz` answers.
    async fn start(dir: &Path, db: &str, config: &str, log: &str) -> Daemon {
        Daemon(
            common::Daemon::builder()
                .dir(dir)
                .name(log)
                .database_url(db)
                .config(config)
                .env("TWILIO_AUTH_TOKEN", "test-auth-token")
                .start()
                .await,
        )
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut rb = self.req(method, path, Some(OP));
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn touch(&self, id: &str) -> Value {
        self.call(reqwest::Method::GET, &format!("/v1/touches/{id}"), None)
            .await
            .1
    }

    /// Polls a touch until `pred` holds (waiting for an event, bounded; not a sleep for
    /// correctness).
    async fn wait_for(&self, id: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let t = self.touch(id).await;
            if pred(&t) {
                return t;
            }
            assert!(
                Instant::now() < deadline,
                "touch {id} never became {what}: {t}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn seed(d: &Daemon, hourly: Option<u32>, leads: usize) {
    let limits = match hourly {
        Some(n) => json!({"sms": {"hourly": n}}),
        None => json!({}),
    };
    let (s, _) = d
        .call(
            reqwest::Method::PUT,
            "/v1/accounts/sdr-1",
            Some(json!({"status": "active", "limits": limits})),
        )
        .await;
    assert!(s == 200 || s == 201);
    for i in 0..leads {
        let (s, b) = d
            .call(
                reqwest::Method::PUT,
                &format!("/v1/leads/lead-{i}"),
                Some(json!({
                    "phone": format!("+1415555{:04}", 100 + i),
                    "email": format!("lead{i}@example.com"),
                    "timezone": "America/Los_Angeles",
                    "consents": [{"channel": "sms", "purpose": "marketing", "granted_at": "2026-01-01T00:00:00Z"}]
                })),
            )
            .await;
        assert!(s == 200 || s == 201, "{b}");
    }
}

async fn enqueue(
    d: &Daemon,
    key: &str,
    lead: usize,
    channel: &str,
    not_before: Option<&str>,
) -> String {
    let (s, b) = d
        .call(
            reqwest::Method::POST,
            "/v1/touches",
            Some(json!({
                "idempotency_key": key, "account_id": "sdr-1", "lead_id": format!("lead-{lead}"),
                "channel": channel, "content": {"subject": "Hi", "body": "Hi there"},
                "not_before": not_before
            })),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    b["id"].as_str().unwrap().to_owned()
}

/// A stand-in provider that accepts connections, reads the request and never answers — a
/// send in flight when the daemon dies.
async fn hanging_provider() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let seen = requests.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut sock, _)) = listener.accept().await {
            let seen = seen.clone();
            held.push(tokio::spawn(async move {
                use tokio::io::AsyncReadExt;
                let mut buf = vec![0u8; 8192];
                let mut counted = false;
                while let Ok(n) = sock.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    if !counted && buf[..n].windows(4).any(|w| w == b"POST") {
                        counted = true;
                        seen.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }));
        }
    });
    (format!("http://{addr}"), requests)
}

fn decision_kinds(t: &Value) -> Vec<String> {
    t["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_send_ends_in_needs_review_and_the_rest_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/t.db", dir.path().display());
    let (provider, requests) = hanging_provider().await;
    let config = format!(
        "[dispatcher]\npoll_interval_ms = 20\n\n\
         [channels.sms]\ntransport = \"twilio\"\nbase_url = \"{provider}\"\n\
         account_sid = \"AC0123456789abcdef0123456789abcdef\"\nauth_token_env = \"TWILIO_AUTH_TOKEN\"\n\
         from = \"+14155550100\"\ntimeout_secs = 600\n"
    );
    let a = Daemon::start(dir.path(), &db, &config, "first").await;
    seed(&a, None, 3).await;
    let later = enqueue(&a, "later", 1, "email", Some("2026-11-25T18:30:00Z")).await;
    let in_flight = enqueue(&a, "in-flight", 0, "sms", None).await;
    a.wait_for(&in_flight, "sending", |t| t["status"] == "sending")
        .await;
    // The request reached the provider, which never answers.
    let deadline = Instant::now() + Duration::from_secs(30);
    while requests.load(Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "the provider never saw the request"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // SIGKILL: no shutdown path runs.
    let mut a = a;
    a.kill();
    drop(a);

    let b = Daemon::start(dir.path(), &db, &config, "second").await;
    let t = b.touch(&in_flight).await;
    assert_eq!(t["status"], "needs_review", "{t}");
    assert_eq!(
        decision_kinds(&t).last().map(String::as_str),
        Some("recovery")
    );
    let evidence = t["decisions"].as_array().unwrap().last().unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(evidence.to_lowercase().contains("not resent"), "{evidence}");
    // Scheduled work resumes on the restarted daemon.
    assert_eq!(b.touch(&later).await["status"], "queued");
    let (s, _) = b
        .call(
            reqwest::Method::POST,
            "/v1/test/clock",
            Some(json!({"now": "2026-11-25T18:30:00Z"})),
        )
        .await;
    assert_eq!(s, 200);
    b.wait_for(&later, "sent", |t| t["status"] == "sent").await;
    // A new sms touch still goes out; the interrupted one was never sent again.
    let again = enqueue(&b, "after-restart", 2, "email", None).await;
    b.wait_for(&again, "sent", |t| t["status"] == "sent").await;
    assert_eq!(b.touch(&in_flight).await["status"], "needs_review");
    assert_eq!(
        requests.load(Ordering::SeqCst),
        1,
        "the interrupted send was not repeated"
    );
}

async fn fresh_postgres() -> String {
    let admin = std::env::var("TOUCHGATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let pool = sqlx::PgPool::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is required: {e}"));
    let name = format!("tg_two_{}", uuid::Uuid::now_v7().simple());
    pool.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_daemons_on_one_postgres_send_once_and_share_the_cap() {
    const N: usize = 5;
    const TOUCHES: usize = 24;
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_postgres().await;
    // Both loops run; neither starts dispatching before all touches are in (dispatch off on
    // the first daemon while seeding, then both race).
    let config = "[dispatcher]\npoll_interval_ms = 10\nbatch_size = 4\n";
    let a = Daemon::start(dir.path(), &db, config, "a").await;
    let b = Daemon::start(dir.path(), &db, config, "b").await;
    seed(&a, Some(u32::try_from(N).unwrap()), TOUCHES).await;
    let mut ids = Vec::new();
    for i in 0..TOUCHES {
        let d = if i % 2 == 0 { &a } else { &b };
        ids.push(enqueue(d, &format!("race-{i}"), i, "sms", None).await);
    }
    // Both daemons drain concurrently as well as in their loops.
    let (ra, rb) = tokio::join!(
        a.call(reqwest::Method::POST, "/v1/dispatch/drain", None),
        b.call(reqwest::Method::POST, "/v1/dispatch/drain", None)
    );
    assert_eq!((ra.0, rb.0), (200, 200));
    let mut sent = 0;
    let mut capped = 0;
    for id in &ids {
        let t = a
            .wait_for(id, "decided", |t| {
                t["status"] != "queued" && t["status"] != "sending"
            })
            .await;
        let kinds = decision_kinds(&t);
        let gate_allowed = t["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"] == "gate" && d["allowed"] == true)
            .count();
        match t["status"].as_str().unwrap() {
            "sent" => {
                sent += 1;
                assert_eq!(gate_allowed, 1, "allowed exactly once: {t}");
                assert_eq!(
                    kinds.iter().filter(|k| *k == "provider").count(),
                    1,
                    "sent exactly once: {t}"
                );
            }
            "scheduled" => {
                capped += 1;
                assert_eq!(t["reason"], "hourly_limit", "{t}");
                assert_eq!(gate_allowed, 0);
            }
            other => panic!("unexpected status {other}: {t}"),
        }
    }
    assert_eq!(
        sent, N,
        "an hourly cap of {N} lets exactly {N} through across two daemons"
    );
    assert_eq!(capped, TOUCHES - N);
}
