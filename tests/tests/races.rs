//! Races on first writes (issue 13 item 4): 50 concurrent first `PUT /v1/accounts/{id}` answer
//! exactly one 201 and 49 200, and leave one account; the same for `PUT /v1/leads/{id}`; 50
//! concurrent `POST /v1/touches/{id}/cancel` on one queued touch answer exactly one 200 (the
//! touch, cancelled) and 49 409 `conflict` (the documented "only a queued or scheduled touch
//! can be cancelled"), and the touch's timeline holds one cancellation; 50 overlapping
//! deliveries of one Meta status record it once on the touch's timeline, and of one inbound
//! STOP (one message id) write one DNC row and send one confirmation.
//!
//! The requests really overlap: each runs on a multi-thread runtime as a task of its own, and
//! all wait at one barrier before sending. Each test runs the real `touchgate serve` binary on
//! a database of its own (SQLite and PostgreSQL) and a fake clock.

// clippy.toml's allow-*-in-tests covers `#[test]` functions only, not the test bodies the
// both-databases macro calls nor the helpers of this test crate; a failed expectation here
// should panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::future::Future;
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Barrier;
use touchgate_tests::providers::{Providers, WA_PHONE_ID};
use touchgate_tests::seed::{PHONE, ana, sms, wa_template};
use touchgate_tests::touches::{id_of, timeline};
use touchgate_tests::{Daemon, Database, OP, SVC, assert_error};

touchgate_tests::both_databases!(
    concurrent_first_account_puts_create_one_account,
    concurrent_first_lead_puts_create_one_lead,
    concurrent_cancels_cancel_once,
    concurrent_deliveries_of_one_webhook_count_once,
);

/// How many requests race.
const RACERS: usize = 50;

async fn start(db: &Database) -> Arc<Daemon> {
    Arc::new(Daemon::builder(db).manual_dispatch().start().await)
}

/// Runs `RACERS` copies of `request` at once, each a task of its own, all released by one
/// barrier; every answer.
async fn race_with<F, Fut>(d: &Arc<Daemon>, request: F) -> Vec<(StatusCode, Value)>
where
    F: Fn(Arc<Daemon>) -> Fut,
    Fut: Future<Output = (StatusCode, Value)> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(RACERS));
    let mut tasks = Vec::new();
    for _ in 0..RACERS {
        let (barrier, call) = (barrier.clone(), request(d.clone()));
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            call.await
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.expect("a racing request"));
    }
    answers
}

/// [`race_with`] one API call.
async fn race(
    d: &Arc<Daemon>,
    method: Method,
    path: &str,
    token: &'static str,
    body: Option<Value>,
) -> Vec<(StatusCode, Value)> {
    race_with(d, |d| {
        let (method, path, body) = (method.clone(), path.to_owned(), body.clone());
        async move { d.call(method, &path, Some(token), body).await }
    })
    .await
}

/// How many answers have `status`; fails on any status not in `allowed`.
fn count(answers: &[(StatusCode, Value)], allowed: &[StatusCode], status: StatusCode) -> usize {
    for (s, v) in answers {
        assert!(allowed.contains(s), "unexpected {s}: {v}");
    }
    answers.iter().filter(|(s, _)| *s == status).count()
}

async fn concurrent_first_account_puts_create_one_account(db: &Database) {
    let d = start(db).await;
    let doc = json!({"status": "active"});
    let answers = race(
        &d,
        Method::PUT,
        "/v1/accounts/sdr-race",
        OP,
        Some(doc.clone()),
    )
    .await;
    let ok = [StatusCode::CREATED, StatusCode::OK];
    assert_eq!(count(&answers, &ok, StatusCode::CREATED), 1, "{answers:?}");
    assert_eq!(count(&answers, &ok, StatusCode::OK), RACERS - 1);
    // Every answer is the same document.
    for (_, v) in &answers {
        assert_eq!(v["id"], "sdr-race", "{v}");
        assert_eq!(v["status"], answers[0].1["status"], "{v}");
    }
    let (s, v) = d.get("/v1/accounts/sdr-race", OP).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "active", "{v}");
    // Afterwards, a PUT replaces it: 200.
    let (s, v) = d.put("/v1/accounts/sdr-race", OP, doc).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn concurrent_first_lead_puts_create_one_lead(db: &Database) {
    let d = start(db).await;
    let answers = race(
        &d,
        Method::PUT,
        "/v1/leads/lead-race",
        SVC,
        Some(ana().doc()),
    )
    .await;
    let ok = [StatusCode::CREATED, StatusCode::OK];
    assert_eq!(count(&answers, &ok, StatusCode::CREATED), 1, "{answers:?}");
    assert_eq!(count(&answers, &ok, StatusCode::OK), RACERS - 1);
    for (_, v) in &answers {
        assert_eq!(v["id"], "lead-race", "{v}");
        assert_eq!(v["phone"], "+14155550123", "{v}");
        assert_eq!(v["email"], "ana@example.com", "{v}");
    }
    let (s, v) = d.get("/v1/leads/lead-race", SVC).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["phone"], "+14155550123", "{v}");
    let (s, v) = d.put("/v1/leads/lead-race", SVC, ana().doc()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn concurrent_cancels_cancel_once(db: &Database) {
    let d = start(db).await;
    d.seed().await;
    // The dispatch loop is off: the touch stays queued until cancelled.
    let (s, t) = d.create(sms("to-cancel")).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["status"], "queued", "{t}");
    let id = id_of(&t).to_owned();

    let answers = race(
        &d,
        Method::POST,
        &format!("/v1/touches/{id}/cancel"),
        SVC,
        None,
    )
    .await;
    let allowed = [StatusCode::OK, StatusCode::CONFLICT];
    assert_eq!(count(&answers, &allowed, StatusCode::OK), 1, "{answers:?}");
    assert_eq!(count(&answers, &allowed, StatusCode::CONFLICT), RACERS - 1);
    for (s, v) in &answers {
        if *s == StatusCode::OK {
            assert_eq!(v["id"], id.as_str(), "{v}");
            assert_eq!(v["status"], "cancelled", "{v}");
        } else {
            assert_error(*s, v, StatusCode::CONFLICT, "conflict", None);
            assert!(
                v["error"]["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("touch is cancelled;"),
                "{v}"
            );
        }
    }
    let t = d.touch(&id).await;
    assert_eq!(t["status"], "cancelled", "{t}");
    assert_eq!(timeline(&t, "cancel").len(), 1, "cancelled once: {t}");
    // Nothing is sent once the loop runs.
    d.drain().await;
    assert_eq!(d.touch(&id).await["status"], "cancelled");
}

/// A provider delivering one webhook many times at once (its retries overlapping): Meta's
/// status of a sent WhatsApp message is recorded once on the touch's timeline, and one STOP
/// posted 50 times at once with one message id writes one DNC row and one confirmation.
async fn concurrent_deliveries_of_one_webhook_count_once(db: &Database) {
    let providers = Providers::start().await;
    let d = Arc::new(
        Daemon::builder(db)
            .manual_dispatch()
            .meta_whatsapp(&providers.uri())
            .start()
            .await,
    );
    d.seed_whatsapp().await;
    let t = d.sent(wa_template("wa-1")).await;
    let id = id_of(&t).to_owned();
    let status = json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "14155550100", "phone_number_id": WA_PHONE_ID},
        "statuses": [{"id": t["provider_message_id"], "status": "delivered",
                      "timestamp": "1795629600", "recipient_id": "14155550123"}]
    }}]}]});
    let answers = race_with(&d, |d| {
        let status = status.clone();
        async move { d.meta_webhook(&status).await }
    })
    .await;
    assert_eq!(
        count(&answers, &[StatusCode::OK], StatusCode::OK),
        RACERS,
        "{answers:?}"
    );
    let t = d.touch(&id).await;
    assert_eq!(timeline(&t, "delivery").len(), 1, "recorded once: {t}");

    let stop = json!({"channel": "whatsapp", "from": PHONE, "body": "STOP",
                      "message_id": "wamid.stop-raced"});
    let answers = race(&d, Method::POST, "/v1/inbound", SVC, Some(stop)).await;
    assert_eq!(
        count(&answers, &[StatusCode::OK], StatusCode::OK),
        RACERS,
        "{answers:?}"
    );
    let row = &answers[0].1["dnc"]["id"];
    assert!(row.is_string(), "{answers:?}");
    for (_, v) in &answers {
        assert_eq!(v["intent"], "opt_out", "{v}");
        assert_eq!(&v["dnc"]["id"], row, "{v}");
    }
    assert_eq!(d.dnc_entries(OP, PHONE).await.len(), 1);
    d.drain().await;
    let (s, v) = d
        .get("/v1/touches?lead_id=lead-7&channel=whatsapp", OP)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let confirmations = v["touches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| {
            t["idempotency_key"]
                .as_str()
                .is_some_and(|k| k.starts_with("opt-out-confirmation:"))
        })
        .count();
    assert_eq!(confirmations, 1, "{v}");
    assert_eq!(providers.meta_messages().await.len(), 2);
}
