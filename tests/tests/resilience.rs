//! The daemon survives what production throws at it, tested as a client would see it:
//! - SIGKILL while a touch is with the provider: after restart the touch is `needs_review`
//!   (never resent on its own) and queued/scheduled touches resume (SQLite: one process owns
//!   the file, so what was `sending` at start was interrupted; on PostgreSQL several nodes
//!   share the database and a stale `sending` is swept after 300 s instead);
//! - two daemons on one PostgreSQL database: no touch is sent twice and an hourly cap of N lets
//!   exactly N through.

// clippy.toml's allow-*-in-tests covers `#[test]` functions only, not the test bodies the
// both-databases macro calls nor the helpers of this test crate; a failed expectation here
// should panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::atomic::Ordering;

use reqwest::StatusCode;
use serde_json::{Value, json};
use touchgate_tests::providers::hanging_provider;
use touchgate_tests::seed::Lead;
use touchgate_tests::{Backend, Daemon, Database, OP, START, poll};

async fn start(db: &Database, config: &str) -> Daemon {
    Daemon::builder(db).config(config).start().await
}

/// Account `sdr-1` (an hourly SMS cap when given) and `leads` leads `lead-<i>` with their own
/// numbers and addresses, SMS consent.
async fn seed(d: &Daemon, hourly: Option<u32>, leads: usize) {
    let limits = match hourly {
        Some(n) => json!({"sms": {"hourly": n}}),
        None => json!({}),
    };
    d.seed_account(OP, "sdr-1", json!({"status": "active", "limits": limits}))
        .await;
    for i in 0..leads {
        let lead = Lead::in_los_angeles()
            .phone(&format!("+1415555{:04}", 100 + i))
            .email(&format!("lead{i}@example.com"))
            .consent("sms");
        d.seed_lead(OP, &format!("lead-{i}"), &lead).await;
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
        .post(
            "/v1/touches",
            OP,
            json!({
                "idempotency_key": key, "account_id": "sdr-1", "lead_id": format!("lead-{lead}"),
                "channel": channel, "content": {"subject": "Hi", "body": "Hi there"},
                "not_before": not_before
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().unwrap().to_owned()
}

fn decision_kinds(t: &Value) -> Vec<String> {
    t["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_owned())
        .collect()
}

touchgate_tests::both_databases!(sigkill_mid_send_ends_in_needs_review_and_the_rest_resumes);

async fn sigkill_mid_send_ends_in_needs_review_and_the_rest_resumes(db: &Database) {
    let (provider, requests) = hanging_provider().await;
    let start = |db, at| {
        Daemon::builder(db)
            .config("[dispatcher]\npoll_interval_ms = 20\n")
            .twilio_sms(&provider, "timeout_secs = 600\n")
            .fake_clock(at)
            .start()
    };
    let a = start(db, START).await;
    seed(&a, None, 3).await;
    let later = enqueue(&a, "later", 1, "email", Some("2026-11-25T18:30:00Z")).await;
    let in_flight = enqueue(&a, "in-flight", 0, "sms", None).await;
    a.wait_for_touch(&in_flight, "sending", |t| t["status"] == "sending")
        .await;
    // The request reached the provider, which never answers.
    poll("the provider sees the request", || async {
        match requests.load(Ordering::SeqCst) {
            0 => Err(0),
            n => Ok(n),
        }
    })
    .await;
    // SIGKILL: no shutdown path runs.
    let mut a = a;
    a.kill();
    drop(a);

    let b = match db.backend() {
        // One process owns a SQLite file: what is `sending` at start was interrupted.
        Backend::Sqlite => start(db, START).await,
        // Nodes share a PostgreSQL database, and another one may still be sending it: a node
        // starting at once leaves it alone, one starting after 300 s recovers it.
        Backend::Postgres => {
            let early = start(db, START).await;
            assert_eq!(early.touch(&in_flight).await["status"], "sending");
            drop(early);
            start(db, "2026-11-25T18:06:00Z").await
        }
    };
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
    b.set_clock("2026-11-25T18:30:00Z").await;
    b.wait_for_touch(&later, "sent", |t| t["status"] == "sent")
        .await;
    // A new touch still goes out; the interrupted one was never sent again.
    let again = enqueue(&b, "after-restart", 2, "email", None).await;
    b.wait_for_touch(&again, "sent", |t| t["status"] == "sent")
        .await;
    assert_eq!(b.touch(&in_flight).await["status"], "needs_review");
    assert_eq!(
        requests.load(Ordering::SeqCst),
        1,
        "the interrupted send was not repeated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_daemons_on_one_postgres_send_once_and_share_the_cap() {
    const N: usize = 5;
    const TOUCHES: usize = 24;
    let db = Database::postgres().await;
    // Both loops run; neither starts dispatching before all touches are in (dispatch off on
    // the first daemon while seeding, then both race).
    let config = "[dispatcher]\npoll_interval_ms = 10\nbatch_size = 4\n";
    let a = start(&db, config).await;
    let b = start(&db, config).await;
    seed(&a, Some(u32::try_from(N).unwrap()), TOUCHES).await;
    let mut ids = Vec::new();
    for i in 0..TOUCHES {
        let d = if i % 2 == 0 { &a } else { &b };
        ids.push(enqueue(d, &format!("race-{i}"), i, "sms", None).await);
    }
    // Both daemons drain concurrently as well as in their loops.
    tokio::join!(a.drain(), b.drain());
    let mut sent = 0;
    let mut capped = 0;
    for id in &ids {
        let t = a
            .wait_for_touch(id, "decided", |t| {
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
