//! One conformance suite, two databases: every test runs against SQLite (a fresh file) and
//! PostgreSQL (a fresh database on the server at `TOUCHGATE_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`). The PostgreSQL half fails loudly when the
//! server is unreachable: it is never skipped.

// clippy.toml's allow-*-in-tests covers `#[test]` functions only, not the helpers of this test
// crate; a failed expectation here should panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use dispatcher::clock::Clock;
use dispatcher::config::Config;
use dispatcher::dispatch::{Dispatcher, Step};
use dispatcher::domain::{AccountBody, DncBody, LeadBody, TouchBody};
use dispatcher::metrics::Metrics;
use dispatcher::store::{NewTouch, Store, TouchFilter, TouchStatus};
use workers::registry::Transports;

mod pg_support;

/// A fresh, migrated store of the given kind; keeps the SQLite temp dir alive and names the
/// PostgreSQL database, which is dropped once the test has passed (a failed test keeps its
/// database, to look at).
struct Fresh {
    store: Store,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

async fn fresh(kind: &str) -> Fresh {
    match kind {
        "sqlite" => {
            let dir = tempfile::tempdir().expect("tempdir");
            let url = format!("sqlite://{}/t.db", dir.path().display());
            Fresh {
                store: Store::connect(&url, 8).await.expect("sqlite store"),
                _dir: Some(dir),
                pg_name: None,
            }
        }
        _ => {
            let (name, url) = pg_support::create("tg_test").await;
            Fresh {
                store: Store::connect(&url, 8).await.expect("postgres store"),
                _dir: None,
                pg_name: Some(name),
            }
        }
    }
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() { super::$name(super::fresh("sqlite").await.store).await; })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let fresh = super::fresh("postgres").await;
                let name = fresh.pg_name.clone().expect("a PostgreSQL database");
                super::$name(fresh.store).await;
                super::pg_support::drop(&name).await.expect("drop database");
            })*
        }
    };
}

conformance!(
    documents_round_trip,
    idempotent_create_under_concurrency,
    dispatch_sends_once_and_reserves_the_cap,
    hourly_cap_admits_exactly_n_under_concurrency,
    quiet_hours_snooze_uses_no_attempt,
    dnc_add_list_remove_is_audited,
    sending_touches_recover_to_needs_review,
    listing_filters_and_pages,
    cancel_only_before_sending,
    opt_out_recheck_stops_a_claimed_touch,
    window_openings_are_spread_not_stampeded,
    concurrent_opt_outs_write_one_dnc_row,
    template_update_keeps_a_concurrent_account_edit,
    template_update_races_account_edits_without_losing_one,
    drain_scope_and_recipient_are_recorded,
    only_listed_transitions_change_a_touch,
    batch_facts_match_per_touch_facts,
    lanes_claim_disjoint_senders_on_postgres,
    the_claim_reads_the_due_index_in_order,
);

const WS: &str = "default";

fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("instant")
}

/// 10:00 in Los Angeles on a Wednesday.
fn noon() -> DateTime<Utc> {
    t("2026-11-25T18:00:00Z")
}

async fn seed(store: &Store, hourly: Option<u32>) {
    let mut account: AccountBody = serde_json::from_value(serde_json::json!({
        "status": "active",
        "limits": {"sms": {"hourly": hourly}}
    }))
    .expect("account");
    if hourly.is_none() {
        account.limits.clear();
    }
    store
        .put_account(WS, "sdr-1", &account, noon())
        .await
        .expect("account");
    for i in 0..30 {
        let mut lead: LeadBody = serde_json::from_value(serde_json::json!({
            "phone": format!("+1415555{:04}", 100 + i),
            "email": format!("lead{i}@example.com"),
            "timezone": "America/Los_Angeles",
            "consents": [{"channel": "sms", "purpose": "marketing", "granted_at": "2026-01-01T00:00:00Z"}]
        }))
        .expect("lead");
        let contacts = lead.normalise("US").expect("normalise");
        store
            .put_lead(WS, &format!("lead-{i}"), &lead, &contacts, noon())
            .await
            .expect("lead");
    }
}

fn touch_body(lead: usize, channel: &str) -> TouchBody {
    serde_json::from_value(serde_json::json!({
        "account_id": "sdr-1",
        "lead_id": format!("lead-{lead}"),
        "channel": channel,
        "content": {"body": "Hi there"}
    }))
    .expect("touch")
}

async fn enqueue(
    store: &Store,
    key: &str,
    lead: usize,
    channel: &str,
    now: DateTime<Utc>,
) -> String {
    enqueue_request(store, key, touch_body(lead, channel), now).await
}

/// A touch of `request` due at `now` (a week to its deadline); its id.
async fn enqueue_request(
    store: &Store,
    key: &str,
    request: TouchBody,
    now: DateTime<Utc>,
) -> String {
    let (row, _) = store
        .create_touch(&NewTouch {
            workspace: WS.to_owned(),
            id: uuid::Uuid::now_v7().to_string(),
            idempotency_key: key.to_owned(),
            request,
            next_attempt_at: now,
            deadline: now + Duration::days(7),
            now,
        })
        .await
        .expect("create");
    row.id
}

fn dispatcher(store: &Store, clock: &Clock, node: &str) -> Dispatcher {
    let mut config = Config::default();
    config.dispatcher.spread_seconds = 0;
    dispatcher_with(store, clock, node, config)
}

fn dispatcher_with(store: &Store, clock: &Clock, node: &str, config: Config) -> Dispatcher {
    Dispatcher {
        store: store.clone(),
        config: Arc::new(config),
        clock: clock.clone(),
        transports: Arc::new(Transports::sandbox()),
        metrics: Metrics::new(),
        node_id: node.to_owned(),
        unsubscribe: dispatcher::unsubscribe::Signer::new(b"test-key"),
        registries: dispatcher::registries::Registries::empty(store.clone(), node),
        dmarc: None,
        in_flight: Default::default(),
    }
}

async fn documents_round_trip(store: Store) {
    seed(&store, Some(5)).await;
    let acc = store
        .get_account(WS, "sdr-1")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        acc.facts
            .limits
            .get(&gate::Channel::Sms)
            .and_then(|l| l.hourly),
        Some(5)
    );
    assert!(
        store
            .get_account("other", "sdr-1")
            .await
            .expect("get")
            .is_none(),
        "workspaces are isolated"
    );
    let lead = store
        .get_lead(WS, "lead-3")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(lead.body.phone.as_deref(), Some("+14155550103"));
    assert_eq!(
        store
            .leads_with_contact(WS, "lead3@example.com")
            .await
            .expect("q"),
        vec!["lead-3".to_owned()]
    );
    assert!(
        store
            .leads_with_contact("other", "lead3@example.com")
            .await
            .expect("q")
            .is_empty()
    );
    // Replacing keeps one row.
    assert!(
        !store
            .put_account(WS, "sdr-1", &acc.body, noon())
            .await
            .expect("put")
    );
}

async fn idempotent_create_under_concurrency(store: Store) {
    seed(&store, None).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            s.create_touch(&NewTouch {
                workspace: WS.to_owned(),
                id: uuid::Uuid::now_v7().to_string(),
                idempotency_key: "seq42-lead7-step3".to_owned(),
                request: touch_body(7, "sms"),
                next_attempt_at: noon(),
                deadline: noon() + Duration::days(7),
                now: noon(),
            })
            .await
            .expect("create")
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    let mut created = 0;
    for task in tasks {
        let (row, was_created) = task.await.expect("join");
        ids.insert(row.id);
        created += usize::from(was_created);
    }
    assert_eq!(created, 1, "exactly one insert wins");
    assert_eq!(ids.len(), 1, "every caller sees the same touch");
}

async fn dispatch_sends_once_and_reserves_the_cap(store: Store) {
    seed(&store, Some(10)).await;
    let clock = Clock::fake(noon());
    let id = enqueue(&store, "k1", 1, "sms", noon()).await;
    let d = dispatcher(&store, &clock, "node-a");
    assert_eq!(
        d.dispatch_one(&id).await.expect("dispatch").status(),
        Some(TouchStatus::Sent)
    );
    assert_eq!(
        d.dispatch_one(&id).await.expect("again"),
        Step::NotClaimed,
        "a sent touch is never claimed again"
    );
    let row = store
        .get_touch(WS, &id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(row.status, TouchStatus::Sent);
    assert_eq!(
        row.provider_message_id.as_deref(),
        Some(format!("sandbox-{id}").as_str())
    );
    assert!(row.sandbox_message.is_some());
    let decisions = store.decisions(&id).await.expect("decisions");
    assert_eq!(
        decisions.first().map(|d| (d.kind.as_str(), d.allowed)),
        Some(("gate", true))
    );
    assert!(
        decisions
            .iter()
            .any(|d| d.kind == dispatcher::touch::TimelineKind::Provider)
    );
    let key = dispatcher::store::FactsKey {
        workspace: WS,
        account_id: "sdr-1",
        lead_id: "lead-1",
        channel: gate::Channel::Sms,
    };
    let sends = store.touch_facts(key, noon()).await.expect("facts").sends;
    assert_eq!(
        sends.len(),
        1,
        "the cap reservation is recorded with the decision"
    );
}

async fn hourly_cap_admits_exactly_n_under_concurrency(store: Store) {
    const N: usize = 4;
    seed(&store, Some(u32::try_from(N).expect("small cap"))).await;
    let clock = Clock::fake(noon());
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(enqueue(&store, &format!("cap-{i}"), i, "sms", noon()).await);
    }
    // Three dispatchers race over the same due touches.
    let mut tasks = Vec::new();
    for node in ["a", "b", "c"] {
        let d = dispatcher(&store, &clock, node);
        let ids = ids.clone();
        tasks.push(tokio::spawn(async move {
            let mut steps = Vec::new();
            for id in ids {
                steps.push(d.dispatch_one(&id).await.expect("dispatch"));
            }
            steps
        }));
    }
    let mut sent = 0;
    let mut snoozed = 0;
    for task in tasks {
        for step in task.await.expect("join") {
            match step {
                Step::Done(o) if o.to == TouchStatus::Sent => sent += 1,
                Step::Done(o) if o.to == TouchStatus::Scheduled => {
                    let at = o.next_attempt_at.expect("due");
                    assert!(at > noon());
                    snoozed += 1;
                }
                Step::NotClaimed => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!(sent, N, "an hourly cap of {N} lets exactly {N} through");
    assert_eq!(snoozed, 12 - N);
    let filter = TouchFilter {
        reason: Some("hourly_limit".into()),
        ..TouchFilter::default()
    };
    assert_eq!(
        store
            .list_touches(WS, &filter, 100, None)
            .await
            .expect("list")
            .len(),
        12 - N
    );
}

async fn quiet_hours_snooze_uses_no_attempt(store: Store) {
    seed(&store, None).await;
    let night = t("2026-11-26T11:12:00Z"); // 03:12 in Los Angeles
    let clock = Clock::fake(night);
    let id = enqueue(&store, "night", 2, "sms", night).await;
    let d = dispatcher(&store, &clock, "n");
    let eight = t("2026-11-26T16:00:00Z");
    assert_eq!(
        d.dispatch_one(&id)
            .await
            .expect("dispatch")
            .next_attempt_at(),
        Some(eight)
    );
    let row = store
        .get_touch(WS, &id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        (row.status, row.attempts, row.next_attempt_at),
        (TouchStatus::Scheduled, 0, Some(eight))
    );
    assert_eq!(row.reason.as_ref().map(|r| r.as_str()), Some("quiet_hours"));
    // Not due before 08:00; sent at 08:00.
    clock.set(eight - Duration::seconds(1));
    assert!(d.run_due(10).await.expect("run").is_empty());
    clock.set(eight);
    let steps = d.run_due(10).await.expect("run");
    assert_eq!(
        steps.iter().map(Step::status).collect::<Vec<_>>(),
        vec![Some(TouchStatus::Sent)]
    );
}

async fn dnc_add_list_remove_is_audited(store: Store) {
    seed(&store, None).await;
    let body: DncBody = serde_json::from_value(serde_json::json!({
        "contact": "+14155550104", "channel": "*", "reason": "customer_request", "added_by": "ops@acme"
    }))
    .expect("dnc");
    let row = store
        .add_dnc(WS, "dnc-1", &body, Some("+14155550104"), noon())
        .await
        .expect("add");
    assert_eq!(row.channel, gate::ChannelScope::All);
    assert_eq!(
        store
            .list_dnc(WS, Some("+14155550104"), 10)
            .await
            .expect("list")
            .len(),
        1
    );
    assert!(
        store
            .list_dnc("other", Some("+14155550104"), 10)
            .await
            .expect("list")
            .is_empty()
    );
    let facts = store
        .dnc_for(WS, "lead-4", &["+14155550104".to_owned()])
        .await
        .expect("for");
    assert_eq!(facts.len(), 1);
    assert!(
        store
            .remove_dnc(WS, "dnc-1", "ops@acme", "entered by mistake", noon())
            .await
            .expect("rm")
    );
    assert!(
        !store
            .remove_dnc(WS, "dnc-1", "ops@acme", "again", noon())
            .await
            .expect("rm"),
        "removing twice is a no-op"
    );
    assert!(
        store
            .dnc_for(WS, "lead-4", &["+14155550104".to_owned()])
            .await
            .expect("for")
            .is_empty()
    );
    let kept = store
        .get_dnc(WS, "dnc-1")
        .await
        .expect("get")
        .expect("kept for audit");
    assert_eq!(kept.removed_reason.as_deref(), Some("entered by mistake"));
    assert_eq!(kept.removed_by.as_deref(), Some("ops@acme"));
}

async fn sending_touches_recover_to_needs_review(store: Store) {
    seed(&store, None).await;
    let id = enqueue(&store, "crash", 5, "sms", noon()).await;
    // Decide it (sending) but never reach the provider: the process "dies" here.
    let mut tx = store
        .begin_dispatch(&id, "dead-node", noon())
        .await
        .expect("begin")
        .expect("claimed");
    let facts = tx.load_facts(noon()).await.expect("facts");
    assert!(facts.lead.is_some() && facts.account.is_some());
    let account = facts
        .account
        .as_ref()
        .map(|a| a.facts.clone())
        .expect("acc");
    let lead = facts.lead.as_ref().map(|l| l.facts.clone()).expect("lead");
    let policy = gate::Policy::default();
    let sends = gate::SendLog::from_records(&facts.sends);
    let mut gate_facts = gate::Facts::new(&policy, &account, &lead, &sends);
    gate_facts.dnc = &facts.dnc;
    let decision = gate::evaluate_send(&tx.touch.request.to_facts(&id), &gate_facts, noon());
    assert!(decision.allowed);
    tx.commit(
        noon(),
        &dispatcher::store::Commit {
            decision: &decision,
            outcome: Some(&dispatcher::touch::Outcome::sending()),
            recipient: Some("+14155550105"),
            detail: None,
            alert: None,
            override_: None,
        },
    )
    .await
    .expect("commit");
    assert_eq!(
        store
            .get_touch(WS, &id)
            .await
            .expect("get")
            .expect("row")
            .status,
        TouchStatus::Sending
    );
    let recovered = store
        .recover_sending(None, noon() + Duration::seconds(5))
        .await
        .expect("recover");
    assert_eq!(recovered, vec![id.clone()]);
    let row = store.get_touch(WS, &id).await.expect("get").expect("row");
    assert_eq!(row.status, TouchStatus::NeedsReview);
    let last = store
        .decisions(&id)
        .await
        .expect("decisions")
        .pop()
        .expect("event");
    assert_eq!(last.kind.as_str(), "recovery");
    // And it is never dispatched again.
    let clock = Clock::fake(noon() + Duration::hours(1));
    assert!(
        dispatcher(&store, &clock, "n")
            .run_due(10)
            .await
            .expect("run")
            .is_empty()
    );
}

async fn listing_filters_and_pages(store: Store) {
    seed(&store, None).await;
    for i in 0..7 {
        enqueue(
            &store,
            &format!("list-{i}"),
            i,
            if i % 2 == 0 { "sms" } else { "email" },
            noon(),
        )
        .await;
    }
    let sms = TouchFilter {
        channel: Some("sms".into()),
        ..TouchFilter::default()
    };
    assert_eq!(
        store
            .list_touches(WS, &sms, 100, None)
            .await
            .expect("list")
            .len(),
        4
    );
    let page1 = store
        .list_touches(WS, &TouchFilter::default(), 3, None)
        .await
        .expect("p1");
    let page2 = store
        .list_touches(
            WS,
            &TouchFilter::default(),
            3,
            page1.last().map(|t| t.id.as_str()),
        )
        .await
        .expect("p2");
    let page3 = store
        .list_touches(
            WS,
            &TouchFilter::default(),
            3,
            page2.last().map(|t| t.id.as_str()),
        )
        .await
        .expect("p3");
    assert_eq!((page1.len(), page2.len(), page3.len()), (3, 3, 1));
    let all: std::collections::BTreeSet<_> = page1
        .iter()
        .chain(&page2)
        .chain(&page3)
        .map(|t| t.id.clone())
        .collect();
    assert_eq!(all.len(), 7, "pages neither repeat nor skip");
    let queued = TouchFilter {
        status: Some(TouchStatus::Queued),
        channel: Some("email".into()),
        ..TouchFilter::default()
    };
    assert_eq!(
        store
            .list_touches(WS, &queued, 100, None)
            .await
            .expect("list")
            .len(),
        3
    );
    let later = TouchFilter {
        from: Some(noon() + Duration::seconds(1)),
        ..TouchFilter::default()
    };
    assert!(
        store
            .list_touches(WS, &later, 100, None)
            .await
            .expect("list")
            .is_empty()
    );
}

async fn cancel_only_before_sending(store: Store) {
    seed(&store, None).await;
    let id = enqueue(&store, "c1", 1, "email", noon()).await;
    let (row, applied) = store
        .cancel_touch(WS, &id, noon())
        .await
        .expect("cancel")
        .expect("row");
    assert_eq!(row.status, TouchStatus::Cancelled);
    assert!(applied.changed());
    let clock = Clock::fake(noon());
    assert_eq!(
        dispatcher(&store, &clock, "n")
            .dispatch_one(&id)
            .await
            .expect("d"),
        Step::NotClaimed
    );
    let sent = enqueue(&store, "c2", 2, "email", noon()).await;
    assert_eq!(
        dispatcher(&store, &clock, "n")
            .dispatch_one(&sent)
            .await
            .expect("d")
            .status(),
        Some(TouchStatus::Sent)
    );
    let (row, applied) = store
        .cancel_touch(WS, &sent, noon())
        .await
        .expect("cancel")
        .expect("row");
    assert!(!applied.changed());
    assert_eq!(
        row.status,
        TouchStatus::Sent,
        "a sent touch cannot be cancelled"
    );
    // Every email carries a signed one-click unsubscribe link naming its touch.
    let url = row
        .sandbox_message
        .as_ref()
        .and_then(|m| m["unsubscribe_url"].as_str())
        .expect("link");
    let token = url.rsplit('/').next().expect("token");
    let signer = dispatcher::unsubscribe::Signer::new(b"test-key");
    assert_eq!(signer.verify(token).as_deref(), Some(sent.as_str()));
    assert!(
        store
            .cancel_touch("other", &sent, noon())
            .await
            .expect("cancel")
            .is_none()
    );
}

async fn opt_out_recheck_stops_a_claimed_touch(store: Store) {
    seed(&store, None).await;
    let id = enqueue(&store, "recheck", 6, "email", noon()).await;
    let clock = Clock::fake(noon());
    // A wildcard DNC lands between the decision and the send: the recheck catches it. Here
    // it is added before dispatch, so the gate itself blocks; then the recheck path is
    // exercised by adding the entry on a second touch after its decision.
    let body: DncBody = serde_json::from_value(serde_json::json!({
        "contact": "lead6@example.com", "channel": "*", "reason": "opt_out_reply"
    }))
    .expect("dnc");
    store
        .add_dnc(WS, "dnc-opt", &body, Some("lead6@example.com"), noon())
        .await
        .expect("add");
    assert_eq!(
        dispatcher(&store, &clock, "n")
            .dispatch_one(&id)
            .await
            .expect("d")
            .status(),
        Some(TouchStatus::Blocked)
    );
    let row = store.get_touch(WS, &id).await.expect("get").expect("row");
    assert_eq!(
        (
            row.status,
            row.reason.as_ref().map(|r| r.as_str()),
            row.retry_after
        ),
        (TouchStatus::Blocked, Some("dnc_listed"), None)
    );
}

async fn window_openings_are_spread_not_stampeded(store: Store) {
    seed(&store, None).await;
    let night = t("2026-11-26T11:12:00Z"); // 03:12 in Los Angeles
    let eight = t("2026-11-26T16:00:00Z");
    let clock = Clock::fake(night);
    let d = dispatcher_with(&store, &clock, "n", Config::default()); // spread 60 s
    let mut due = std::collections::BTreeSet::new();
    for i in 0..10 {
        let id = enqueue(&store, &format!("spread-{i}"), i, "sms", night).await;
        assert!(matches!(
            d.dispatch_one(&id).await.expect("dispatch"),
            Step::Done(o) if o.to == TouchStatus::Scheduled
        ));
        let row = store.get_touch(WS, &id).await.expect("get").expect("row");
        assert_eq!(
            row.retry_after,
            Some(eight),
            "the gate's answer is kept exactly"
        );
        let next = row.next_attempt_at.expect("scheduled");
        assert!(
            next >= eight && next < eight + Duration::seconds(60),
            "{next}"
        );
        due.insert(next);
    }
    assert!(
        due.len() >= 8,
        "ten touches fall due at (nearly) ten different instants: {due:?}"
    );
}

/// Ten daemons (here: tasks) take the same STOP at once: the partial unique index lets one
/// insert win; every caller gets that row, and only its writer is told it created it (only it
/// sends the confirmation).
async fn concurrent_opt_outs_write_one_dnc_row(store: Store) {
    seed(&store, None).await;
    let body: DncBody = serde_json::from_value(serde_json::json!({
        "contact": "+14155550107", "channel": "*", "reason": "opt_out_reply",
        "source": "inbound_sms", "added_by": "touchgate inbound"
    }))
    .expect("dnc");
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let s = store.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            s.ensure_dnc(
                WS,
                &uuid::Uuid::now_v7().to_string(),
                &body,
                Some("+14155550107"),
                noon(),
            )
            .await
            .expect("ensure")
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    let mut created = 0;
    for task in tasks {
        let (row, was_created) = task.await.expect("join");
        ids.insert(row.id);
        created += usize::from(was_created);
    }
    assert_eq!(created, 1, "exactly one call creates the row");
    assert_eq!(ids.len(), 1, "every caller sees the same row");
    let rows = store
        .list_dnc(WS, Some("+14155550107"), 100)
        .await
        .expect("list");
    assert_eq!(rows.len(), 1, "{rows:?}");

    // `add_dnc` (the dispatcher's provider feedback, the CLI) returns the open row too.
    let again = store
        .add_dnc(WS, "dnc-again", &body, Some("+14155550107"), noon())
        .await
        .expect("add");
    assert_eq!(Some(&again.id), ids.first());
    // Another workspace, another scope, an expiring or a lead-level entry are other rows.
    let (_, other_ws) = store
        .ensure_dnc("other", "dnc-other", &body, Some("+14155550107"), noon())
        .await
        .expect("other ws");
    assert!(other_ws);
    let mut sms_only = body.clone();
    sms_only.channel = "sms".parse().expect("scope");
    let (_, scoped) = store
        .ensure_dnc(WS, "dnc-sms", &sms_only, Some("+14155550107"), noon())
        .await
        .expect("scoped");
    assert!(scoped);
    let mut expiring = body.clone();
    expiring.expires_at = Some(noon() + Duration::days(30));
    for id in ["dnc-exp-1", "dnc-exp-2"] {
        let (_, c) = store
            .ensure_dnc(WS, id, &expiring, Some("+14155550107"), noon())
            .await
            .expect("expiring");
        assert!(c, "expiring entries are not unique");
    }
    // Once the open row is removed, a new opt-out writes a new one.
    let first = ids.first().expect("id").clone();
    assert!(
        store
            .remove_dnc(WS, &first, "ops@acme", "resubscribed", noon())
            .await
            .expect("rm")
    );
    let (row, c) = store
        .ensure_dnc(WS, "dnc-new", &body, Some("+14155550107"), noon())
        .await
        .expect("after removal");
    assert!(c);
    assert_eq!(row.id, "dnc-new");
}

fn account_with_template(sender: Option<&str>) -> AccountBody {
    let mut v = serde_json::json!({
        "status": "active",
        "whatsapp_templates": [
            {"name": "day3_followup", "language": "en_US", "status": "approved"},
            {"name": "other", "language": "en_US", "status": "approved"}
        ]
    });
    if let Some(s) = sender {
        v["senders"] = serde_json::json!({ "sms": s });
    }
    serde_json::from_value(v).expect("account")
}

fn template_status(acc: &dispatcher::domain::StoredAccount, name: &str) -> String {
    let v = serde_json::to_value(&acc.body).expect("json");
    v["whatsapp_templates"]
        .as_array()
        .expect("templates")
        .iter()
        .find(|t| t["name"] == name)
        .and_then(|t| t["status"].as_str())
        .expect("status")
        .to_owned()
}

/// An operator's `PUT /v1/accounts/sdr-1` lands between the template webhook's read of the
/// account and its write: the write must not bring the old document back.
async fn template_update_keeps_a_concurrent_account_edit(store: Store) {
    store
        .put_account(WS, "sdr-1", &account_with_template(None), noon())
        .await
        .expect("account");
    let edited = account_with_template(Some("+14155550100"));
    let s = store.clone();
    let hook = move |ws: &str, id: &str, attempt: u32| {
        let (s, edited, ws, id) = (s.clone(), edited.clone(), ws.to_owned(), id.to_owned());
        Box::pin(async move {
            if attempt == 1 {
                // Same millisecond as the first write: the version still moves.
                s.put_account(&ws, &id, &edited, noon())
                    .await
                    .expect("edit");
            }
        }) as futures::future::BoxFuture<'static, ()>
    };
    let changed = store
        .update_whatsapp_template_status_interleaved(
            WS,
            "day3_followup",
            Some("en_US"),
            gate::TemplateStatus::Paused,
            noon(),
            &hook,
        )
        .await
        .expect("update");
    assert_eq!(changed, vec!["sdr-1".to_owned()]);
    let acc = store
        .get_account(WS, "sdr-1")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        acc.body
            .senders
            .get(&gate::Channel::Sms)
            .map(String::as_str),
        Some("+14155550100"),
        "the concurrent edit survives"
    );
    assert_eq!(template_status(&acc, "day3_followup"), "paused");
    assert_eq!(template_status(&acc, "other"), "approved");

    // Meta's webhook names no workspace: every workspace listing the template is updated.
    store
        .put_account("acme", "acme-1", &account_with_template(None), noon())
        .await
        .expect("acme account");
    store
        .put_account(
            "acme",
            "acme-2",
            &serde_json::from_value(serde_json::json!({"status": "active"})).expect("acc"),
            noon(),
        )
        .await
        .expect("acme account");
    let changed = store
        .update_whatsapp_template_status_everywhere(
            "day3_followup",
            None,
            gate::TemplateStatus::Disabled,
            noon(),
        )
        .await
        .expect("update");
    assert_eq!(
        changed,
        vec![
            ("acme".to_owned(), "acme-1".to_owned()),
            (WS.to_owned(), "sdr-1".to_owned())
        ]
    );
    for (ws, id) in [("acme", "acme-1"), (WS, "sdr-1")] {
        let acc = store.get_account(ws, id).await.expect("get").expect("acc");
        assert_eq!(template_status(&acc, "day3_followup"), "disabled");
    }
}

/// One operator rewrites the account again and again (the sender's number counts up) while
/// template updates run against it: no reader ever sees an edit undone.
async fn template_update_races_account_edits_without_losing_one(store: Store) {
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    const EDITS: u32 = 60;
    let number = |i: u32| format!("+1415555{:04}", 1000 + i);
    store
        .put_account(
            WS,
            "sdr-1",
            &account_with_template(Some(&number(0))),
            noon(),
        )
        .await
        .expect("account");
    let done = Arc::new(AtomicBool::new(false));
    // Edits completed so far: every read after edit i returned must show edit i or later.
    let completed = Arc::new(AtomicU32::new(0));
    let mut updaters = Vec::new();
    for u in 0..3u32 {
        let (s, done) = (store.clone(), done.clone());
        updaters.push(tokio::spawn(async move {
            let mut n = u;
            while !done.load(Ordering::SeqCst) {
                let status = if n % 2 == 0 {
                    gate::TemplateStatus::Paused
                } else {
                    gate::TemplateStatus::Approved
                };
                // Contention may exhaust the retries (an error, Meta retries): never a lost edit.
                let _ = s
                    .update_whatsapp_template_status(WS, "day3_followup", None, status, noon())
                    .await;
                n += 1;
            }
        }));
    }
    let monitor = {
        let (s, done, completed) = (store.clone(), done.clone(), completed.clone());
        tokio::spawn(async move {
            let mut undone = Vec::new();
            while !done.load(Ordering::SeqCst) {
                let floor = completed.load(Ordering::SeqCst);
                let acc = s.get_account(WS, "sdr-1").await.expect("get").expect("acc");
                let seen = acc
                    .body
                    .senders
                    .get(&gate::Channel::Sms)
                    .cloned()
                    .unwrap_or_default();
                if seen < number(floor) {
                    undone.push((floor, seen));
                }
            }
            undone
        })
    };
    for i in 1..=EDITS {
        store
            .put_account(
                WS,
                "sdr-1",
                &account_with_template(Some(&number(i))),
                noon(),
            )
            .await
            .expect("edit");
        completed.store(i, Ordering::SeqCst);
        tokio::task::yield_now().await;
    }
    // Let the updaters run on the final document for a moment.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    done.store(true, Ordering::SeqCst);
    for u in updaters {
        u.await.expect("join");
    }
    let undone = monitor.await.expect("join");
    assert!(
        undone.is_empty(),
        "template updates brought back older documents: {undone:?}"
    );
    let acc = store
        .get_account(WS, "sdr-1")
        .await
        .expect("get")
        .expect("acc");
    assert_eq!(
        acc.body.senders.get(&gate::Channel::Sms).cloned(),
        Some(number(EDITS)),
        "a template update wrote back an account document older than the last edit"
    );
}

/// `due_touches(Some(workspace), …)` sees one workspace's due touches only; an allowed touch records the
/// contact it goes to, which a later edit of the lead does not change.
async fn drain_scope_and_recipient_are_recorded(store: Store) {
    seed(&store, None).await;
    let id = enqueue(&store, "r1", 3, "email", noon()).await;
    assert_eq!(
        store.due_touches(Some(WS), noon(), 10).await.expect("due"),
        vec![id.clone()]
    );
    assert!(
        store
            .due_touches(Some("acme"), noon(), 10)
            .await
            .expect("due")
            .is_empty()
    );
    let clock = Clock::fake(noon());
    assert_eq!(
        dispatcher(&store, &clock, "n")
            .dispatch_one(&id)
            .await
            .expect("dispatch")
            .status(),
        Some(TouchStatus::Sent)
    );
    let mut lead: LeadBody = serde_json::from_value(serde_json::json!({
        "phone": "+14155550103", "email": "new-address@example.com",
        "timezone": "America/Los_Angeles"
    }))
    .expect("lead");
    let contacts = lead.normalise("US").expect("normalise");
    store
        .put_lead(WS, "lead-3", &lead, &contacts, noon())
        .await
        .expect("lead");
    let row = store.get_touch(WS, &id).await.expect("get").expect("row");
    assert_eq!(row.recipient.as_deref(), Some("lead3@example.com"));
    assert_eq!(
        store
            .workspaces_with_contact("new-address@example.com")
            .await
            .expect("ws"),
        vec![WS.to_owned()]
    );
    assert!(
        store
            .workspaces_with_contact("lead3@example.com")
            .await
            .expect("ws")
            .is_empty()
    );
}

/// The transition table, walked against the database: a touch in each status, every kind of
/// outcome applied to it; only the listed transitions change it, and a status the lifecycle
/// does not know is refused by the database itself.
async fn only_listed_transitions_change_a_touch(store: Store) {
    use dispatcher::touch::{Outcome, transitions};
    seed(&store, None).await;
    let at = noon() + Duration::minutes(5);
    for from in TouchStatus::ALL {
        for (i, outcome) in Outcome::one_of_each(at).iter().enumerate() {
            let id = enqueue(&store, &format!("{}-{i}", from.as_str()), 1, "sms", noon()).await;
            sqlx::query("UPDATE touches SET status = $1 WHERE id = $2")
                .bind(from.as_str())
                .bind(id.as_str())
                .execute(store.pool())
                .await
                .expect("set status");
            let applied = store.apply(&id, at, outcome).await.expect("apply");
            let listed = outcome.sources().contains(&from);
            assert_eq!(applied.changed(), listed, "{from:?} by {outcome:?}");
            assert!(!listed || transitions::allowed(from, outcome.to));
            let row = store.get_touch(WS, &id).await.expect("get").expect("row");
            assert_eq!(row.status, if listed { outcome.to } else { from });
        }
    }
    let id = enqueue(&store, "bogus", 1, "sms", noon()).await;
    let refused = sqlx::query("UPDATE touches SET status = 'bogus' WHERE id = $1")
        .bind(id.as_str())
        .execute(store.pool())
        .await;
    assert!(
        refused.is_err(),
        "the CHECK constraint refuses an unknown status"
    );
}

/// A touch's facts with every list in one order (the loaders do not promise one).
fn normalised(f: &dispatcher::store::TouchFacts) -> String {
    fn sorted<T: std::fmt::Debug>(v: &[T]) -> Vec<String> {
        let mut s: Vec<String> = v.iter().map(|x| format!("{x:?}")).collect();
        s.sort();
        s
    }
    let mut f = f.clone();
    let voids = f
        .lead
        .as_mut()
        .map(|l| sorted(&std::mem::take(&mut l.facts.consent_voids)));
    format!(
        "account: {:?}\nlead: {:?}\nvoids: {voids:?}\ndnc: {:?}\nsends: {:?}\nfirst_send: {:?}\nblackouts: {:?}",
        f.account,
        f.lead,
        sorted(&f.dnc),
        sorted(&f.sends),
        f.first_send,
        sorted(&f.blackouts)
    )
}

/// The batch's facts, loaded for all its touches at once and put together in memory, are
/// those the per-touch loader reads inside the same transaction — before any decision and
/// after each reservation the batch records (caps stay exact).
async fn batch_facts_match_per_touch_facts(store: Store) {
    seed(&store, Some(50)).await;
    let now = noon();
    // sdr-1: caps with a warm-up on SMS, a daily email cap; sdr-2: none.
    let sdr1: AccountBody = serde_json::from_value(serde_json::json!({
        "status": "active",
        "limits": {
            "sms": {"hourly": 50, "daily": 100, "min_gap_seconds": 1,
                    "warmup": {"start_per_day": 20, "increase_per_day": 5}},
            "email": {"daily": 10}
        }
    }))
    .expect("account");
    store
        .put_account(WS, "sdr-1", &sdr1, now)
        .await
        .expect("sdr-1");
    let sdr2: AccountBody =
        serde_json::from_value(serde_json::json!({"status": "active"})).expect("account");
    store
        .put_account(WS, "sdr-2", &sdr2, now)
        .await
        .expect("sdr-2");
    // Sends already recorded: the account's, a lead's, one to lead-1's number through another
    // lead, one outside every horizon.
    for (touch, account, lead, recipient, channel, at) in [
        (
            "old-1",
            "sdr-1",
            "lead-0",
            Some("+14155550100"),
            "sms",
            now - Duration::minutes(30),
        ),
        (
            "old-2",
            "sdr-2",
            "lead-7",
            Some("+14155550101"),
            "sms",
            now - Duration::days(2),
        ),
        (
            "old-3",
            "sdr-1",
            "lead-8",
            None,
            "email",
            now - Duration::hours(3),
        ),
        (
            "old-4",
            "sdr-1",
            "lead-0",
            Some("+14155550100"),
            "sms",
            now - Duration::days(9),
        ),
    ] {
        sqlx::query(
            "INSERT INTO sends (workspace, touch_id, account_id, lead_id, channel, purpose, action, at, recipient) \
             VALUES ($1, $2, $3, $4, $5, 'marketing', 'message', $6, $7)",
        )
        .bind(WS)
        .bind(touch)
        .bind(account)
        .bind(lead)
        .bind(channel)
        .bind(dispatcher::store::ms(at))
        .bind(recipient)
        .execute(store.pool())
        .await
        .expect("send");
    }
    // DNC: lead-2's phone, lead-3 by id, a removed row for lead-4's email.
    let dnc = |contact: Option<&str>, lead: Option<&str>| -> DncBody {
        serde_json::from_value(serde_json::json!({
            "contact": contact, "lead_id": lead, "channel": "*", "reason": "customer_request"
        }))
        .expect("dnc")
    };
    store
        .add_dnc(
            WS,
            "dnc-1",
            &dnc(Some("+14155550102"), None),
            Some("+14155550102"),
            now,
        )
        .await
        .expect("dnc-1");
    store
        .add_dnc(WS, "dnc-2", &dnc(None, Some("lead-3")), None, now)
        .await
        .expect("dnc-2");
    store
        .add_dnc(
            WS,
            "dnc-3",
            &dnc(Some("lead4@example.com"), None),
            Some("lead4@example.com"),
            now,
        )
        .await
        .expect("dnc-3");
    assert!(
        store
            .remove_dnc(WS, "dnc-3", "test", "mistake", now)
            .await
            .expect("remove")
    );
    store
        .void_consents(
            WS,
            "+14155550105",
            now - Duration::days(1),
            "wrong_number",
            now,
        )
        .await
        .expect("void");
    sqlx::query("INSERT INTO lead_inbound (workspace, lead_id, channel, last_at) VALUES ($1, 'lead-6', 'whatsapp', $2)")
        .bind(WS)
        .bind(dispatcher::store::ms(now - Duration::hours(2)))
        .execute(store.pool())
        .await
        .expect("inbound");
    // Touches sharing accounts and leads, on two channels, one for a lead that does not exist.
    let mut n = 0;
    for (lead, channel, account) in [
        (0, "sms", "sdr-1"),
        (1, "sms", "sdr-1"),
        (0, "sms", "sdr-1"),
        (1, "sms", "sdr-2"),
        (2, "sms", "sdr-1"),
        (3, "email", "sdr-1"),
        (4, "email", "sdr-1"),
        (5, "sms", "sdr-1"),
        (6, "whatsapp", "sdr-2"),
        (7, "sms", "sdr-1"),
        (99, "sms", "sdr-1"),
    ] {
        n += 1;
        let mut request = touch_body(lead, channel);
        request.account_id = account.to_owned();
        enqueue_request(&store, &format!("bf-{n}"), request, now).await;
    }
    let mut batch = store
        .begin_batch(Some(WS), "node-a", now, 64, None)
        .await
        .expect("begin")
        .expect("claimed");
    assert_eq!(batch.touches.len(), n);
    batch.load_batch_facts(now).await.expect("batch facts");
    let config = Config::default();
    let settings = config.workspace(WS);
    let registries = dispatcher::registries::Registries::empty(store.clone(), "node-a").snapshot();
    let mut reserved = 0;
    let (mut dnc_seen, mut voids_seen, mut first_seen, mut inbound_seen) = (0, 0, 0, 0);
    let mut sends_seen = Vec::new();
    for touch in batch.touches.clone() {
        let grouped = batch.facts(&touch, now).await.expect("grouped");
        let single = batch.load_facts(&touch, now).await.expect("single");
        assert_eq!(
            normalised(&grouped),
            normalised(&single),
            "touch of {} to {} on {}",
            touch.account_id,
            touch.lead_id,
            touch.channel
        );
        dnc_seen += single.dnc.len();
        first_seen += usize::from(single.first_send.is_some());
        if let Some(l) = &single.lead {
            voids_seen += l.facts.consent_voids.len();
            inbound_seen += usize::from(l.facts.last_inbound_whatsapp_at.is_some());
        }
        sends_seen.push(single.sends.len());
        // Every touch is recorded as allowed: its reservation must show in the facts of the
        // touches after it.
        let (decision, _) = dispatcher::decide::decide(
            &touch.request.to_facts(&touch.id),
            &single,
            dispatcher::decide::Context {
                settings: &settings,
                registries: &registries,
                sender: &gate::SenderAuth::NotRequired,
                waivers: gate::Waivers::NONE,
            },
            now,
        );
        let recipient = single
            .lead
            .as_ref()
            .and_then(|l| l.facts.contact_for(touch.channel));
        let outcome = dispatcher::touch::Outcome::sending();
        batch
            .record(
                &touch,
                now,
                &dispatcher::store::Commit {
                    decision: &decision,
                    outcome: Some(&outcome),
                    recipient,
                    detail: None,
                    alert: None,
                    override_: None,
                },
            )
            .await
            .expect("record");
        reserved += 1;
    }
    // The last facts again, after every reservation.
    for touch in batch.touches.clone() {
        let grouped = batch.facts(&touch, now).await.expect("grouped");
        let single = batch.load_facts(&touch, now).await.expect("single");
        assert_eq!(normalised(&grouped), normalised(&single));
    }
    batch.commit().await.expect("commit");
    assert_eq!(reserved, n);
    // The fixture exercised what it is meant to.
    assert!(dnc_seen >= 2, "DNC rows seen: {dnc_seen}");
    assert!(voids_seen >= 1 && inbound_seen >= 1 && first_seen >= 1);
    assert!(
        sends_seen.windows(2).any(|w| w[1] > w[0]) && sends_seen.iter().max() > Some(&3),
        "reservations counted by the touches after them: {sends_seen:?}"
    );
}

/// Dispatch lanes (PostgreSQL): each claims only its share of the senders, so two lanes never
/// queue on one sender's cap lock; together they claim every due touch once. SQLite runs one
/// lane, and a lane there claims any sender's touches.
async fn lanes_claim_disjoint_senders_on_postgres(store: Store) {
    use dispatcher::store::{DbKind, Lane};
    seed(&store, None).await;
    let now = noon();
    let accounts: Vec<String> = (0..8).map(|a| format!("acct-{a}")).collect();
    let account: AccountBody =
        serde_json::from_value(serde_json::json!({"status": "active"})).expect("account");
    for a in &accounts {
        store
            .put_account(WS, a, &account, now)
            .await
            .expect("account");
    }
    for n in 0..24 {
        let mut request = touch_body(n % 30, "sms");
        request.account_id = accounts[n % accounts.len()].clone();
        enqueue_request(&store, &format!("lane-{n}"), request, now).await;
    }
    let lanes = 3;
    let mut owner: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let mut claimed = 0;
    let mut open = Vec::new();
    for index in 0..lanes {
        let Some(batch) = store
            .begin_batch(
                Some(WS),
                "node-a",
                now,
                100,
                Some(Lane { index, of: lanes }),
            )
            .await
            .expect("begin")
        else {
            continue;
        };
        for t in &batch.touches {
            let first = *owner.entry(t.account_id.clone()).or_insert(index);
            assert_eq!(first, index, "sender {} claimed by two lanes", t.account_id);
        }
        claimed += batch.touches.len();
        if store.kind() == DbKind::Sqlite {
            // One writer at a time on SQLite: the lane is ignored and it claims them all.
            assert_eq!(batch.touches.len(), 24);
            return;
        }
        // Held open, as lanes run side by side: the next lane's claim must not wait on it.
        open.push(batch);
    }
    assert_eq!(claimed, 24, "the lanes together claim every due touch");
    assert!(
        owner
            .values()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            > 1,
        "{owner:?}"
    );
    drop(open);
}

/// The claim takes the oldest due touches from `touches_due` in its own order, so it reads the
/// entries it claims and stops: no sort of every due touch (with a backlog or a burst, a sort's
/// cost grows with what is waiting; this is the plan the benchmark's figures rest on). Whatever
/// the statistics say: 2,000 touches due in a table never analysed (PostgreSQL then guesses a
/// hundred, and chose to read them all by bitmap and sort them), then analysed.
async fn the_claim_reads_the_due_index_in_order(store: Store) {
    use dispatcher::store::{DbKind, Lane};
    seed(&store, None).await;
    let due: Vec<NewTouch> = (0..2000)
        .map(|n| NewTouch {
            workspace: WS.to_owned(),
            id: uuid::Uuid::now_v7().to_string(),
            idempotency_key: format!("due-{n}"),
            request: touch_body(n % 30, "sms"),
            next_attempt_at: noon() - Duration::seconds(i64::try_from(n).unwrap_or(0)),
            deadline: noon() + Duration::days(7),
            now: noon(),
        })
        .collect();
    for chunk in due.chunks(500) {
        store.create_touches(chunk).await.expect("enqueue");
    }
    for analysed in [false, true] {
        if analysed && store.kind() == DbKind::Postgres {
            sqlx::raw_sql("ANALYZE touches")
                .execute(store.pool())
                .await
                .expect("analyze");
        }
        for lane in [None, Some(Lane { index: 1, of: 4 })] {
            let plan = store
                .claim_plan(lane, noon())
                .await
                .expect("the claim's plan");
            assert!(
                plan.iter().any(|step| step.contains("touches_due")),
                "analysed {analysed}, {lane:?}: {plan:#?}"
            );
            let sorts = match store.kind() {
                DbKind::Sqlite => plan.iter().any(|step| step.contains("TEMP B-TREE")),
                // A sort node (`->  Sort`, `Incremental Sort`) or its `Sort Key` line.
                DbKind::Postgres => plan.iter().any(|step| step.contains("Sort")),
            };
            assert!(!sorts, "analysed {analysed}, {lane:?}: {plan:#?}");
        }
    }
}
