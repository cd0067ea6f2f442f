//! Node failure on a multi-node installation (PostgreSQL: the database nodes share), seen from
//! the API, the provider stand-ins and the `nodes` rows:
//! - three daemons; one has touches with the provider (the stand-in holds the answers) when
//!   it is SIGKILLed. Its touches stay `sending` while its lease runs; once the survivors'
//!   clocks pass it, a survivor makes them `needs_review` within one lease sweep, with
//!   evidence naming the dead node and its lease; nothing is sent twice (every provider
//!   request counted at the stand-ins) and later touches are sent by the survivors;
//! - a daemon frozen (SIGSTOP) with touches claimed — one with the provider, the others still
//!   waiting for their pacing turn — loses them to a survivor once its lease expires; resumed
//!   (SIGCONT), it makes no provider call for the touches it lost, and the one already with
//!   the provider, answered late with an acceptance, goes `needs_review` → `sent`.
//!
//! The daemons' fake clocks are separate: the suite moves the live ones together, by less
//! than a lease at a time and only once each renewed ([`touchgate_tests::nodes::advance`]).

// clippy.toml's allow-*-in-tests covers `#[test]` functions only, not the helpers of this
// test crate; a failed expectation here should panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use touchgate_tests::held::HeldProvider;
use touchgate_tests::nodes::{Nodes, advance, at};
use touchgate_tests::seed::Lead;
use touchgate_tests::{Daemon, Database, OP};

/// How long a survivor may take to sweep once the clocks are past a lease: its sweep runs
/// every 3 s (the daemon's `LEASE_EVERY`); the rest is slack for a loaded machine.
const SWEEP_WINDOW: Duration = Duration::from_secs(15);

/// A daemon whose dispatch loop runs (polling every 20 ms) and whose SMS go to `provider`,
/// with a provider timeout far beyond the test (a held call is never cut short).
async fn start(db: &Database, provider: &HeldProvider) -> Daemon {
    Daemon::builder(db)
        .config("[dispatcher]\npoll_interval_ms = 20\n")
        .twilio_sms(&provider.uri(), "timeout_secs = 600\n")
        .start()
        .await
}

fn phone(lead: usize) -> String {
    format!("+1415555{:04}", 200 + lead)
}

/// Account `sdr-1` and `leads` leads `lead-<i>` (SMS consent, each with a number of its own).
async fn seed(d: &Daemon, leads: usize) {
    d.seed_account(OP, "sdr-1", json!({"status": "active"}))
        .await;
    for i in 0..leads {
        let lead = Lead::in_los_angeles().phone(&phone(i)).consent("sms");
        d.seed_lead(OP, &format!("lead-{i}"), &lead).await;
    }
}

/// An SMS to `lead-<lead>`, due at `not_before`; its id.
async fn enqueue(d: &Daemon, key: &str, lead: usize, not_before: &str) -> String {
    let (s, b) = d
        .post(
            "/v1/touches",
            OP,
            json!({
                "idempotency_key": key, "account_id": "sdr-1", "lead_id": format!("lead-{lead}"),
                "channel": "sms", "content": {"body": "Hi there"}, "not_before": not_before
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().unwrap().to_owned()
}

/// An SMS due at `not_before` to each lead of `leads` (keys `<prefix>-<lead>`); their ids.
async fn enqueue_all(
    d: &Daemon,
    prefix: &str,
    leads: std::ops::Range<usize>,
    not_before: &str,
) -> Vec<String> {
    let mut ids = Vec::new();
    for i in leads {
        ids.push(enqueue(d, &format!("{prefix}-{i}"), i, not_before).await);
    }
    ids
}

/// Polls a touch until `pred` holds, for at most `within`.
async fn wait_within(
    d: &Daemon,
    id: &str,
    what: &str,
    within: Duration,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let t = d.touch(id).await;
        if pred(&t) {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "touch {id} not {what} within {within:?}: {t}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The last timeline entry of a touch.
fn last_decision(t: &Value) -> &Value {
    t["decisions"].as_array().unwrap().last().unwrap()
}

/// Asserts the touch was declared `needs_review` because `node`'s lease expired, and says so.
fn assert_lease_evidence(t: &Value, node: &str) {
    let recovery = t["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "recovery")
        .unwrap_or_else(|| panic!("no recovery entry: {t}"));
    let detail = recovery["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("node {node}")),
        "names the dead node {node}: {detail}"
    );
    assert!(detail.contains("lease"), "names its lease: {detail}");
    assert!(detail.contains("Not resent"), "{detail}");
}

/// The value of `touchgate_touch_events_total{event="<event>"}` on `d`'s metrics (0 when the
/// series does not exist yet).
async fn events(d: &Daemon, event: &str) -> u64 {
    let text = d.metrics().await.text().await.unwrap();
    let series = format!("touchgate_touch_events_total{{event=\"{event}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&series))
        .map_or(0, |v| v.trim().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_node_s_sends_become_needs_review_on_a_survivor_and_none_is_sent_twice() {
    /// Touches the killed node has with the provider.
    const X: usize = 3;
    /// Touches due after it died.
    const Z: usize = 4;
    let db = Database::postgres().await;
    let pa = HeldProvider::holding().await;
    let (pb, pc) = (
        HeldProvider::answering().await,
        HeldProvider::answering().await,
    );
    let mut a = start(&db, &pa).await;
    let b = start(&db, &pb).await;
    let c = start(&db, &pc).await;
    let nodes = Nodes::connect(&db).await;
    seed(&a, X + Z).await;
    let xs = enqueue_all(&a, "x", 0..X, &at(60)).await;
    let zs = enqueue_all(&b, "z", X..X + Z, &at(100)).await;

    // Only A's clock reaches the first touches' instant: A claims them all and calls the
    // provider, which holds every answer.
    a.set_clock(&at(60)).await;
    pa.wait_for(X).await;
    let a_node = nodes.claimed_by(&xs[0]).await.expect("a claimant");
    for x in &xs {
        assert_eq!(b.touch(x).await["status"], "sending");
        assert_eq!(nodes.claimed_by(x).await.as_deref(), Some(a_node.as_str()));
    }
    // A's lease, renewed at +60, runs to +75.
    nodes.wait_renewed(&a_node, 60).await;
    let survivors = nodes.others(&a_node, 2).await;
    a.kill();

    // Within the lease (the survivors swept at +70, then renewed at +71) nothing changes.
    advance(&[&b, &c], &nodes, &survivors, 70).await;
    advance(&[&b, &c], &nodes, &survivors, 71).await;
    for x in &xs {
        assert_eq!(
            b.touch(x).await["status"],
            "sending",
            "A's lease still runs"
        );
    }

    // Past it: a survivor declares the outcome unknown, naming the dead node and its lease.
    advance(&[&b, &c], &nodes, &survivors, 90).await;
    for x in &xs {
        let t = wait_within(&b, x, "needs_review", SWEEP_WINDOW, |t| {
            t["status"] == "needs_review"
        })
        .await;
        assert_eq!(last_decision(&t)["kind"], "recovery", "{t}");
        assert_lease_evidence(&t, &a_node);
        assert!(t["provider_message_id"].is_null(), "{t}");
    }
    let swept = format!("{}{}", b.log(), c.log());
    assert!(
        swept.contains("touches of a node whose lease expired moved to needs_review"),
        "a survivor logged the sweep"
    );
    for x in &xs {
        assert!(swept.contains(x.as_str()), "the sweep's log names {x}");
    }

    // The survivors send what falls due next.
    advance(&[&b, &c], &nodes, &survivors, 100).await;
    for z in &zs {
        let t = b.wait_for_touch(z, "sent", |t| t["status"] == "sent").await;
        assert!(
            t["provider_message_id"]
                .as_str()
                .is_some_and(|m| m.starts_with("SMheld")),
            "{t}"
        );
        let claimant = nodes.claimed_by(z).await;
        assert!(
            claimant.as_ref().is_some_and(|n| survivors.contains(n)),
            "sent by a survivor: {claimant:?}"
        );
    }

    // Nothing was sent twice: each of A's touches reached the provider once (through A), each
    // later touch once (through a survivor), and A's were not sent again.
    for i in 0..X {
        assert_eq!(pa.count_to(&phone(i)), 1, "A's touch {i} called once");
        assert_eq!(pb.count_to(&phone(i)) + pc.count_to(&phone(i)), 0);
    }
    for j in 0..Z {
        let to = phone(X + j);
        assert_eq!(pa.count_to(&to), 0);
        assert_eq!(
            pb.count_to(&to) + pc.count_to(&to),
            1,
            "touch z-{j} sent once"
        );
    }
    assert_eq!(pa.requests().len(), X);
    assert_eq!(pb.requests().len() + pc.requests().len(), Z);
    for x in &xs {
        assert_eq!(b.touch(x).await["status"], "needs_review");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_frozen_node_calls_nothing_it_lost_and_its_late_acceptance_is_recorded() {
    /// Touches A claims in one batch; one SMS a second leaves its number, so when the first
    /// is with the provider the others wait for their turn.
    const K: usize = 5;
    let db = Database::postgres().await;
    let pa = HeldProvider::holding().await;
    let pb = HeldProvider::answering().await;
    let a = start(&db, &pa).await;
    let b = start(&db, &pb).await;
    let nodes = Nodes::connect(&db).await;
    seed(&a, K).await;
    let xs = enqueue_all(&a, "x", 0..K, &at(60)).await;

    // A claims them all; the first reaches the provider; A is frozen there.
    a.set_clock(&at(60)).await;
    pa.wait_for(1).await;
    a.pause();
    let a_node = nodes.claimed_by(&xs[0]).await.expect("a claimant");
    for x in &xs {
        assert_eq!(b.touch(x).await["status"], "sending");
        assert_eq!(nodes.claimed_by(x).await.as_deref(), Some(a_node.as_str()));
    }
    let b_node = nodes.others(&a_node, 1).await;

    // B's clock passes A's lease (+75 at most): B takes the touches from A.
    advance(&[&b], &nodes, &b_node, 90).await;
    for x in &xs {
        let t = wait_within(&b, x, "needs_review", SWEEP_WINDOW, |t| {
            t["status"] == "needs_review"
        })
        .await;
        assert_lease_evidence(&t, &a_node);
    }

    // What A had called when it was frozen (it sends nothing while frozen).
    let (called, lost): (Vec<_>, Vec<_>) = (0..K).partition(|i| pa.count_to(&phone(*i)) == 1);
    assert!(
        !called.is_empty() && !lost.is_empty(),
        "A was frozen with one touch with the provider and others waiting: called {called:?}"
    );

    // A runs on; the held calls are answered with acceptances, and so would any new one be.
    let resumed = Instant::now();
    a.resume();
    pa.release();

    // Every touch A lost is withdrawn before its provider call (its ownership is checked
    // after the pacing wait; one whose wait ran out is snoozed, also without a call) —
    // counted on A as it settles them.
    let calls_since = |since: Instant| -> Vec<String> {
        pa.arrivals()
            .into_iter()
            .filter(|(_, when)| *when >= since)
            .map(|(to, _)| to)
            .collect()
    };
    touchgate_tests::poll("A settles the touches it lost", || async {
        let late = calls_since(resumed);
        assert!(
            late.is_empty(),
            "A called the provider after the resume: {late:?}"
        );
        let withdrawn = events(&a, "lease expired").await;
        let throttled = events(&a, "provider throttled").await;
        if withdrawn + throttled == lost.len() as u64 {
            Ok(withdrawn)
        } else {
            Err(format!("lease expired {withdrawn}, throttled {throttled}"))
        }
    })
    .await;
    assert!(
        events(&a, "lease expired").await >= 1,
        "at least one lost touch reached A's ownership check"
    );

    // The call already with the provider is answered late: needs_review → sent.
    for &i in &called {
        let t = b
            .wait_for_touch(&xs[i], "sent", |t| t["status"] == "sent")
            .await;
        assert!(
            t["provider_message_id"]
                .as_str()
                .is_some_and(|m| m.starts_with("SMheld")),
            "{t}"
        );
        assert_lease_evidence(&t, &a_node);
        let kinds: Vec<&str> = t["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["kind"].as_str().unwrap())
            .collect();
        let recovery = kinds.iter().position(|k| *k == "recovery").unwrap();
        assert!(
            recovery < kinds.len() - 1,
            "the acceptance is recorded after the recovery: {kinds:?}"
        );
    }
    // A made no provider call after it was resumed, and the touches it lost stay unsent.
    let late = calls_since(resumed);
    assert!(
        late.is_empty(),
        "A called the provider after the resume: {late:?}"
    );
    assert_eq!(pa.requests().len(), called.len());
    assert!(pb.requests().is_empty(), "B sent none of them");
    for &i in &lost {
        let t = b.touch(&xs[i]).await;
        assert_eq!(t["status"], "needs_review", "{t}");
        assert!(t["provider_message_id"].is_null(), "{t}");
    }
}
