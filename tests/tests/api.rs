//! Black-box tests of the HTTP API: the real `touchgate serve` binary on a database of its own
//! (each test runs on SQLite and on PostgreSQL) and a fake clock (2026-11-25T18:00:00Z = 10:00
//! in Los Angeles), driven over HTTP with reqwest.
//!
//! Most daemons here run with the background dispatch loop off (`[dispatcher] enabled = false`)
//! so that `POST /v1/dispatch/drain` decides everything deterministically; one test runs the
//! loop.

// clippy.toml's allow-*-in-tests covers `#[test]` functions only, not the test bodies the
// both-databases macro calls nor the helpers of this test crate; a failed expectation here
// should panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use touchgate_tests::seed::{CAMPAIGNS_FOR_CSV, PHONE, ana, email, sms};
use touchgate_tests::{
    ACME_OP, ACME_SVC, ACME_TOKENS, Daemon, Database, OP, START, SVC, TOUCHES_CSV_HEADER,
    assert_error, csv_records,
};

touchgate_tests::both_databases!(
    auth_missing_or_wrong_token_is_401_wrong_role_is_403,
    workspaces_never_see_each_other,
    accounts_and_leads_put_and_get,
    bad_requests_name_the_field_and_store_nothing,
    oversized_body_is_413,
    touch_is_sent_after_drain,
    the_background_dispatcher_sends_without_drain,
    same_idempotency_key_returns_the_first_touch,
    concurrent_duplicates_create_one_touch,
    concurrent_batches_create_each_key_once,
    quiet_hours_snooze_until_eight_local,
    inbound_stop_adds_dnc_and_blocks_every_channel,
    inbound_whatsapp_opens_the_window,
    evaluate_is_a_dry_run,
    cancel_only_before_sending,
    batch_answers_per_item,
    list_filters_paging_and_csv,
    csv_cells_are_quoted_and_formulas_defused,
    csv_export_streams_many_pages,
    dnc_add_list_and_remove_with_a_reason,
    health_metrics_and_openapi,
    test_clock_moves_time,
    senders_and_states_are_validated,
    idempotent_replay_after_the_deadline_returns_the_first_touch,
    drain_dispatches_the_callers_workspace_only,
    the_same_open_dnc_entry_is_not_added_twice,
);

/// A daemon on `db` with the dispatch loop off and the default body limit.
async fn start(db: &Database) -> Daemon {
    start_with(db, false, None).await
}

async fn start_with(db: &Database, dispatch_loop: bool, max_body: Option<usize>) -> Daemon {
    let mut config = format!(
        "[dispatcher]\nenabled = {dispatch_loop}\npoll_interval_ms = 50\nspread_seconds = 0\n"
    );
    if let Some(m) = max_body {
        config.push_str(&format!("\n[server]\nmax_body_bytes = {m}\n"));
    }
    Daemon::builder(db)
        .config(config)
        .config(ACME_TOKENS)
        .start()
        .await
}

fn lead_body() -> Value {
    ana().doc()
}

// ---------------------------------------------------------------- auth and tenancy

async fn auth_missing_or_wrong_token_is_401_wrong_role_is_403(db: &Database) {
    let d = start(db).await;
    let (s, v) = d.call(Method::GET, "/v1/accounts/sdr-1", None, None).await;
    assert_error(s, &v, StatusCode::UNAUTHORIZED, "unauthorized", None);
    let (s, v) = d.get("/v1/accounts/sdr-1", "nope").await;
    assert_error(s, &v, StatusCode::UNAUTHORIZED, "unauthorized", None);
    let res = d
        .req(Method::GET, "/v1/touches", None)
        .header("authorization", "Basic b3A6dG9rZW4=")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Service tokens cannot touch operator endpoints, even with a body that is invalid.
    let (s, v) = d
        .put("/v1/accounts/sdr-1", SVC, json!({"status": "active"}))
        .await;
    assert_error(s, &v, StatusCode::FORBIDDEN, "forbidden", None);
    let (s, v) = d.put("/v1/accounts/sdr-1", SVC, json!({"bogus": 1})).await;
    assert_error(s, &v, StatusCode::FORBIDDEN, "forbidden", None);
    let (s, v) = d.get("/v1/touches", SVC).await;
    assert_error(s, &v, StatusCode::FORBIDDEN, "forbidden", None);
    let (s, v) = d
        .post(
            "/v1/dnc",
            SVC,
            json!({"contact": PHONE, "reason": "customer_request"}),
        )
        .await;
    assert_error(s, &v, StatusCode::FORBIDDEN, "forbidden", None);
    let (s, v) = d.post("/v1/dispatch/drain", SVC, json!({})).await;
    assert_error(s, &v, StatusCode::FORBIDDEN, "forbidden", None);
    let (s, v) = d.post("/v1/test/clock", SVC, json!({"now": START})).await;
    assert_error(s, &v, StatusCode::FORBIDDEN, "forbidden", None);

    // Operators may do everything a service does.
    let (s, _) = d.put("/v1/accounts/sdr-1", OP, json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = d.put("/v1/leads/lead-7", OP, lead_body()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = d.post("/v1/touches", OP, sms("op-1")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // Nothing was stored by the refused requests.
    let (_, v) = d.get("/v1/dnc", OP).await;
    assert_eq!(v["entries"].as_array().unwrap().len(), 0);
}

async fn workspaces_never_see_each_other(db: &Database) {
    let d = start(db).await;
    d.seed().await;
    let (s, created) = d.create(sms("shared-key")).await;
    assert_eq!(s, StatusCode::CREATED);
    let id = created["id"].as_str().unwrap();

    // acme sees none of the default workspace's data: 404, not 403.
    let (s, v) = d.get("/v1/accounts/sdr-1", ACME_OP).await;
    assert_error(s, &v, StatusCode::NOT_FOUND, "not_found", None);
    let (s, v) = d.get("/v1/leads/lead-7", ACME_SVC).await;
    assert_error(s, &v, StatusCode::NOT_FOUND, "not_found", None);
    let (s, v) = d.get(&format!("/v1/touches/{id}"), ACME_SVC).await;
    assert_error(s, &v, StatusCode::NOT_FOUND, "not_found", None);
    let (s, v) = d
        .post(&format!("/v1/touches/{id}/cancel"), ACME_OP, json!({}))
        .await;
    assert_error(s, &v, StatusCode::NOT_FOUND, "not_found", None);
    let (_, v) = d.get("/v1/touches", ACME_OP).await;
    assert_eq!(v["touches"].as_array().unwrap().len(), 0, "{v}");
    // …and cannot enqueue against the other workspace's account or lead.
    let (s, v) = d.post("/v1/touches", ACME_SVC, sms("acme-1")).await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("account_id"),
    );

    // The same ids and key in acme are acme's own.
    let (s, _) = d
        .put("/v1/accounts/sdr-1", ACME_OP, json!({"status": "paused"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = d.put("/v1/leads/lead-7", ACME_SVC, lead_body()).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = d.post("/v1/touches", ACME_SVC, sms("shared-key")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_ne!(v["id"], created["id"]);
    let (_, acc) = d.get("/v1/accounts/sdr-1", OP).await;
    assert_eq!(acc["status"], "active");
    let (_, acc) = d.get("/v1/accounts/sdr-1", ACME_OP).await;
    assert_eq!(acc["status"], "paused");

    // DNC entries are per workspace too.
    let (s, e) = d
        .post(
            "/v1/dnc",
            ACME_OP,
            json!({"contact": PHONE, "reason": "customer_request"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let (_, v) = d
        .get(&format!("/v1/dnc?contact={}", "%2B14155550123"), OP)
        .await;
    assert_eq!(v["entries"].as_array().unwrap().len(), 0, "{v}");
    let (s, v) = d
        .get(&format!("/v1/dnc/{}", e["id"].as_str().unwrap()), OP)
        .await;
    assert_error(s, &v, StatusCode::NOT_FOUND, "not_found", None);
    let del = d
        .req(
            Method::DELETE,
            &format!("/v1/dnc/{}?reason=x", e["id"].as_str().unwrap()),
            Some(OP),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------- accounts and leads

async fn accounts_and_leads_put_and_get(db: &Database) {
    let d = start(db).await;
    let account = json!({
        "status": "active",
        "paused_channels": ["linkedin"],
        "limits": {"sms": {"min_gap_seconds": 30, "hourly": 100, "daily": 500}},
        "quiet_hours": {"default": {"start": "08:00", "end": "21:00"}, "email": null},
        "templates": [{"id": "intro-v2", "channel": "email", "status": "approved"}]
    });
    let (s, v) = d.put("/v1/accounts/sdr-1", OP, account.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["id"], "sdr-1");
    assert_eq!(v["limits"]["sms"]["hourly"], 100);
    let (s, v) = d.put("/v1/accounts/sdr-1", OP, account).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = d.get("/v1/accounts/sdr-1", OP).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["id"], "sdr-1");
    assert_eq!(v["paused_channels"], json!(["linkedin"]));
    assert_eq!(v["quiet_hours"]["email"], Value::Null);
    let (s, v) = d.get("/v1/accounts/nobody", OP).await;
    assert_error(s, &v, StatusCode::NOT_FOUND, "not_found", None);

    let (s, v) = d.put("/v1/leads/lead-7", SVC, lead_body()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["id"], "lead-7");
    assert_eq!(v["phone"], PHONE);
    assert_eq!(v["email"], "ana@example.com");
    // A number without `+` is read in the workspace's default region (US).
    let (s, v) = d
        .put("/v1/leads/lead-7", SVC, json!({"phone": "(415) 555-0123"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["phone"], PHONE);
    let (s, v) = d.get("/v1/leads/lead-7", SVC).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["phone"], PHONE);
    assert!(v.get("email").is_none(), "replaced, not merged: {v}");
}

async fn bad_requests_name_the_field_and_store_nothing(db: &Database) {
    let d = start(db).await;
    let (s, v) = d
        .put("/v1/leads/l1", SVC, json!({"phone": "not a phone"}))
        .await;
    assert_error(s, &v, StatusCode::BAD_REQUEST, "bad_request", Some("phone"));
    let (s, v) = d.put("/v1/leads/l1", SVC, json!({"email": "nope"})).await;
    assert_error(s, &v, StatusCode::BAD_REQUEST, "bad_request", Some("email"));
    let (s, v) = d
        .put(
            "/v1/leads/l1",
            SVC,
            json!({"phone": PHONE, "nickname": "Ana"}),
        )
        .await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("nickname"),
    );
    let (s, v) = d
        .put("/v1/leads/l1", SVC, json!({"timezone": "Mars/Olympus"}))
        .await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("timezone"),
    );
    let (s, v) = d
        .put(
            "/v1/leads/l1",
            SVC,
            json!({"consents": [{"channel": "fax", "granted_at": START}]}),
        )
        .await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("consents[0].channel"),
    );
    let (s, v) = d.get("/v1/leads/l1", SVC).await;
    assert_error(s, &v, StatusCode::NOT_FOUND, "not_found", None);

    let (s, v) = d
        .put("/v1/accounts/a1", OP, json!({"status": "sleeping"}))
        .await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("status"),
    );
    let (s, v) = d
        .put(
            "/v1/accounts/a1",
            OP,
            json!({"quiet_hours": {"sms": {"start": "25:00", "end": "21:00"}}}),
        )
        .await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("quiet_hours.sms"),
    );
    let (s, v) = d
        .put(
            "/v1/accounts/a1",
            OP,
            json!({"limits": {"sms": {"weekly_invites": 3}}}),
        )
        .await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("limits.sms.weekly_invites"),
    );
    let (s, v) = d.get("/v1/accounts/a1", OP).await;
    assert_error(s, &v, StatusCode::NOT_FOUND, "not_found", None);

    d.seed().await;
    let mut t = sms("k");
    t["channel"] = json!("fax");
    let (s, v) = d.create(t).await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("channel"),
    );
    let mut t = sms("k");
    t.as_object_mut().unwrap().remove("lead_id");
    let (s, v) = d.create(t).await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("lead_id"),
    );
    let mut t = sms("k");
    t["priority"] = json!(1);
    let (s, v) = d.create(t).await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("priority"),
    );
    let mut t = sms("k");
    t["content"]["html"] = json!("<p>");
    let (s, v) = d.create(t).await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("content.html"),
    );
    let mut t = sms("k");
    t["step"] = json!("three");
    let (s, v) = d.create(t).await;
    assert_error(s, &v, StatusCode::BAD_REQUEST, "bad_request", Some("step"));
    let mut t = sms("k");
    t["lead_id"] = json!("lead-404");
    let (s, v) = d.create(t).await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("lead_id"),
    );
    let mut t = sms("k");
    t["account_id"] = json!("sdr-404");
    let (s, v) = d.create(t).await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("account_id"),
    );
    let mut t = sms("k");
    t["deadline"] = json!("2026-11-01T00:00:00Z");
    let (s, v) = d.create(t).await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("deadline"),
    );
    let mut t = sms("k");
    t["action"] = json!("invite");
    let (s, v) = d.create(t).await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("action"),
    );

    // Not JSON at all, or not an object.
    let res = d
        .req(Method::POST, "/v1/touches", Some(SVC))
        .header("content-type", "application/json")
        .body("{\"account_id\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"]["code"], "bad_request");
    let (s, v) = d.create(json!([1, 2])).await;
    assert_error(s, &v, StatusCode::BAD_REQUEST, "bad_request", None);

    // Nothing was enqueued by any of it, and the key is still free.
    let (_, v) = d.get("/v1/touches", OP).await;
    assert_eq!(v["touches"].as_array().unwrap().len(), 0, "{v}");
    let (s, _) = d.create(sms("k")).await;
    assert_eq!(s, StatusCode::CREATED);

    // Unknown endpoints answer in the same shape.
    let (s, v) = d.get("/v1/nothing-here", OP).await;
    assert_error(s, &v, StatusCode::NOT_FOUND, "not_found", None);
}

async fn oversized_body_is_413(db: &Database) {
    let d = start_with(db, false, Some(64 * 1024)).await;
    d.seed().await;
    let mut t = sms("big");
    t["content"]["body"] = json!("x".repeat(100 * 1024));
    let (s, v) = d.create(t).await;
    assert_error(
        s,
        &v,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        None,
    );
    let (_, v) = d.get("/v1/touches", OP).await;
    assert_eq!(v["touches"].as_array().unwrap().len(), 0);
    // Default limit (1 MiB) on another daemon.
    drop(d);
    let d = start(db).await;
    let (s, v) = d
        .put(
            "/v1/leads/l1",
            SVC,
            json!({"state": "x".repeat(2 * 1024 * 1024)}),
        )
        .await;
    assert_error(
        s,
        &v,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        None,
    );
}

// ---------------------------------------------------------------- touches

async fn touch_is_sent_after_drain(db: &Database) {
    let d = start(db).await;
    d.seed().await;
    let (s, v) = d.create(sms("seq42-lead7-step1")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "queued");
    let id = v["id"].as_str().unwrap().to_owned();
    let t = d.touch(&id).await;
    assert_eq!(t["status"], "queued");
    assert_eq!(t["attempts"], 0);
    assert_eq!(t["next_attempt_at"], START);
    assert_eq!(t["request"]["content"]["body"], "Hi Ana");
    assert_eq!(t["decisions"], json!([]));

    assert!(d.drain().await >= 1);
    let t = d.touch(&id).await;
    assert_eq!(t["status"], "sent", "{t}");
    assert_eq!(t["sent_at"], START);
    assert!(
        t["provider_message_id"]
            .as_str()
            .is_some_and(|p| !p.is_empty()),
        "{t}"
    );
    assert_eq!(t["sandbox_message"]["to"], PHONE, "{t}");
    assert_eq!(t["sandbox_message"]["body"], "Hi Ana", "{t}");
    let decisions = t["decisions"].as_array().unwrap();
    let gate = decisions.iter().find(|d| d["kind"] == "gate").unwrap();
    assert_eq!(gate["allowed"], true);
    assert_eq!(gate["reason"], Value::Null);
    assert!(
        gate["checks"].as_array().is_some_and(|c| !c.is_empty()),
        "{gate}"
    );
    assert!(gate["at"].is_string());
    assert!(gate.get("retry_after").is_some());
    // Nothing left to do.
    assert_eq!(d.drain().await, 0);
}

async fn the_background_dispatcher_sends_without_drain(db: &Database) {
    let d = start_with(db, true, None).await;
    d.seed().await;
    let (s, v) = d.create(email("bg-1")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let t = d
        .wait_for_touch(&id, "sent", |t| t["status"] == "sent")
        .await;
    assert_eq!(t["sandbox_message"]["to"], "ana@example.com");
}

async fn same_idempotency_key_returns_the_first_touch(db: &Database) {
    let d = start(db).await;
    d.seed().await;
    let (s, first) = d.create(sms("dup")).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, again) = d.create(sms("dup")).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["id"], first["id"]);
    // A different body under the same key still answers with the first touch.
    let (s, other) = d.create(email("dup")).await;
    assert_eq!(s, StatusCode::OK, "{other}");
    assert_eq!(other["id"], first["id"]);
    let t = d.touch(first["id"].as_str().unwrap()).await;
    assert_eq!(t["channel"], "sms");
    let (_, list) = d.get("/v1/touches", OP).await;
    assert_eq!(list["touches"].as_array().unwrap().len(), 1);
    // Without a key, every request is a new touch.
    let mut t = sms("x");
    t.as_object_mut().unwrap().remove("idempotency_key");
    let (s1, a) = d.create(t.clone()).await;
    let (s2, b) = d.create(t).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_ne!(a["id"], b["id"]);
}

async fn concurrent_duplicates_create_one_touch(db: &Database) {
    let d = start(db).await;
    d.seed().await;
    let d = Arc::new(d);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let d = d.clone();
        tasks.push(tokio::spawn(async move { d.create(sms("race")).await }));
    }
    let mut created = 0;
    let mut ids = std::collections::BTreeSet::new();
    for t in tasks {
        let (s, v) = t.await.unwrap();
        match s {
            StatusCode::CREATED => created += 1,
            StatusCode::OK => {}
            other => panic!("unexpected {other}: {v}"),
        }
        ids.insert(v["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(created, 1);
    assert_eq!(ids.len(), 1, "{ids:?}");
    let (_, list) = d.get("/v1/touches", OP).await;
    assert_eq!(list["touches"].as_array().unwrap().len(), 1);
}

/// Ten batches of the same 200 keys at once (one transaction each, `ON CONFLICT` deciding):
/// every key is created by exactly one batch, and every batch names the same touch per key.
async fn concurrent_batches_create_each_key_once(db: &Database) {
    let d = start(db).await;
    d.seed().await;
    let d = Arc::new(d);
    let items: Vec<Value> = (0..200).map(|i| sms(&format!("k{i}"))).collect();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (d, items) = (d.clone(), items.clone());
        tasks.push(tokio::spawn(async move {
            d.post("/v1/touches/batch", SVC, json!({ "touches": items }))
                .await
        }));
    }
    let mut created = vec![0; 200];
    let mut ids: Vec<std::collections::BTreeSet<String>> = vec![Default::default(); 200];
    for t in tasks {
        let (s, v) = t.await.unwrap();
        assert_eq!(s, StatusCode::OK, "{v}");
        for (i, r) in v["results"].as_array().unwrap().iter().enumerate() {
            assert_eq!(r["status"], "queued", "{r}");
            if r["created"] == json!(true) {
                created[i] += 1;
            }
            ids[i].insert(r["id"].as_str().unwrap().to_owned());
        }
    }
    assert!(created.iter().all(|c| *c == 1), "{created:?}");
    assert!(ids.iter().all(|s| s.len() == 1), "{ids:?}");
    let (_, list) = d.get("/v1/touches?limit=1000", OP).await;
    assert_eq!(list["touches"].as_array().unwrap().len(), 200);
}

async fn quiet_hours_snooze_until_eight_local(db: &Database) {
    let d = start(db).await;
    d.seed().await;
    // 03:00 on 26 November in Los Angeles (PST, UTC-8).
    d.set_clock("2026-11-26T11:00:00Z").await;
    let (s, v) = d.create(sms("night")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    d.drain().await;
    let t = d.touch(&id).await;
    assert_eq!(t["status"], "scheduled", "{t}");
    assert_eq!(t["next_attempt_at"], "2026-11-26T16:00:00Z", "{t}");
    assert_eq!(t["reason"], "quiet_hours");
    assert_eq!(t["retry_after"], "2026-11-26T16:00:00Z");
    assert_eq!(t["attempts"], 0);
    let last = t["decisions"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["allowed"], false);
    assert_eq!(last["reason"], "quiet_hours");
    assert_eq!(last["retry_after"], "2026-11-26T16:00:00Z");
    let qh = last["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "quiet_hours")
        .unwrap()
        .clone();
    assert_eq!(qh["passed"], false);
    assert!(
        qh["detail"]
            .as_str()
            .unwrap()
            .contains("America/Los_Angeles"),
        "{qh}"
    );

    // Still night: nothing due.
    d.set_clock("2026-11-26T15:59:00Z").await;
    assert_eq!(d.drain().await, 0);
    // 08:00 local: sent.
    d.set_clock("2026-11-26T16:00:00Z").await;
    assert_eq!(d.drain().await, 1);
    let t = d.touch(&id).await;
    assert_eq!(t["status"], "sent", "{t}");
    assert_eq!(t["sent_at"], "2026-11-26T16:00:00Z");
}

async fn inbound_stop_adds_dnc_and_blocks_every_channel(db: &Database) {
    let d = start(db).await;
    d.seed().await;
    let (s, v) = d
        .post(
            "/v1/inbound",
            SVC,
            json!({"channel": "sms", "from": "+1 415-555-0123", "to": "+14155550100", "body": "STOP", "subject": null, "received_at": null}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["opt_out"], true, "{v}");
    assert_eq!(v["matched"], "STOP", "{v}");
    assert_eq!(v["dnc"]["contact"], PHONE);
    assert_eq!(v["dnc"]["channel"], "*");
    assert_eq!(v["dnc"]["reason"], "opt_out_reply");
    assert_eq!(v["dnc"]["source"], "inbound_sms");
    // The row is there as soon as the answer is.
    let (_, list) = d.get("/v1/dnc?contact=%2B14155550123", OP).await;
    let entries = list["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{list}");
    assert_eq!(entries[0]["id"], v["dnc"]["id"]);

    // An email to the same lead is blocked for good.
    let (s, t) = d.create(email("after-stop")).await;
    assert_eq!(s, StatusCode::CREATED);
    d.drain().await;
    let t = d.touch(t["id"].as_str().unwrap()).await;
    assert_eq!(t["status"], "blocked", "{t}");
    assert_eq!(t["reason"], "dnc_listed");
    assert_eq!(t["retry_after"], Value::Null);

    // Non-opt-out messages are classified but change nothing.
    let (s, v) = d
        .post(
            "/v1/inbound",
            SVC,
            json!({"channel": "email", "from": "ana@example.com", "body": "Thanks, sounds good"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["opt_out"], false);
    assert_eq!(v["intent"], "none");
    let (s, v) = d
        .post(
            "/v1/inbound",
            SVC,
            json!({"channel": "sms", "from": "ana@example.com", "body": "STOP"}),
        )
        .await;
    assert_error(s, &v, StatusCode::BAD_REQUEST, "bad_request", Some("from"));
    let (s, v) = d
        .post(
            "/v1/inbound",
            SVC,
            json!({"channel": "sms", "from": "nope", "body": "STOP"}),
        )
        .await;
    assert_error(s, &v, StatusCode::BAD_REQUEST, "bad_request", Some("from"));
}

async fn inbound_whatsapp_opens_the_window(db: &Database) {
    let d = start(db).await;
    d.seed().await;
    let (_, v) = d
        .put(
            "/v1/leads/lead-7",
            SVC,
            json!({"whatsapp": PHONE, "timezone": "America/Los_Angeles", "country": "US",
                   "consents": [{"channel": "whatsapp", "purpose": "marketing", "granted_at": "2026-01-01T00:00:00Z"}]}),
        )
        .await;
    assert_eq!(v["whatsapp"], PHONE);
    let free_text = json!({"account_id": "sdr-1", "lead_id": "lead-7", "channel": "whatsapp", "content": {"body": "Hi"}});
    let (_, e) = d.post("/v1/evaluate", SVC, free_text.clone()).await;
    assert_eq!(e["reason"], "whatsapp_window_closed", "{e}");
    let (s, v) = d
        .post(
            "/v1/inbound",
            SVC,
            json!({"channel": "whatsapp", "from": PHONE, "body": "Hello!"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["leads"], json!(["lead-7"]));
    let (_, e) = d.post("/v1/evaluate", SVC, free_text).await;
    assert_eq!(e["allowed"], true, "{e}");
}

async fn evaluate_is_a_dry_run(db: &Database) {
    let d = start(db).await;
    d.seed().await;
    let (s, v) = d
        .put(
            "/v1/accounts/sdr-1",
            OP,
            json!({"limits": {"sms": {"daily": 1}}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Allowed now, again and again: nothing is reserved.
    for _ in 0..3 {
        let (s, e) = d.post("/v1/evaluate", SVC, sms("ignored")).await;
        assert_eq!(s, StatusCode::OK, "{e}");
        assert_eq!(e["allowed"], true, "{e}");
        assert_eq!(e["reason"], Value::Null);
        assert!(e["checks"].as_array().is_some_and(|c| !c.is_empty()));
    }
    // At 03:12 in Los Angeles: quiet hours until 08:00 local.
    let mut at_night = sms("ignored");
    at_night["at"] = json!("2026-11-26T11:12:00Z");
    let (s, e) = d.post("/v1/evaluate", SVC, at_night).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["allowed"], false);
    assert_eq!(e["reason"], "quiet_hours");
    assert_eq!(e["retry_after"], "2026-11-26T16:00:00Z");
    let qh = e["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "quiet_hours")
        .unwrap();
    assert_eq!(qh["passed"], false);

    // Nothing recorded: no touch, no decision, no send.
    let (_, list) = d.get("/v1/touches", OP).await;
    assert_eq!(list["touches"].as_array().unwrap().len(), 0);
    let metrics = d.metrics().await.text().await.unwrap();
    assert!(!metrics.contains("touchgate_decisions_total{"), "{metrics}");
    let (s, _) = d.create(sms("real")).await;
    assert_eq!(s, StatusCode::CREATED);
    d.drain().await;
    let (_, list) = d.get("/v1/touches?status=sent", OP).await;
    assert_eq!(
        list["touches"].as_array().unwrap().len(),
        1,
        "the daily cap was not used by evaluate"
    );
    // …and now the cap is used, which evaluate sees.
    let (_, e) = d.post("/v1/evaluate", SVC, sms("ignored")).await;
    assert_eq!(e["reason"], "daily_limit", "{e}");

    let mut bad = sms("x");
    bad["lead_id"] = json!("ghost");
    let (s, v) = d.post("/v1/evaluate", SVC, bad).await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("lead_id"),
    );
    let mut bad = sms("x");
    bad["account_id"] = json!("ghost");
    let (s, v) = d.post("/v1/evaluate", SVC, bad).await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("account_id"),
    );
    let mut bad = sms("x");
    bad["at"] = json!("tomorrow");
    let (s, v) = d.post("/v1/evaluate", SVC, bad).await;
    assert_error(s, &v, StatusCode::BAD_REQUEST, "bad_request", Some("at"));
    let mut bad = sms("x");
    bad["colour"] = json!("red");
    let (s, v) = d.post("/v1/evaluate", SVC, bad).await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("colour"),
    );
}

async fn cancel_only_before_sending(db: &Database) {
    let d = start(db).await;
    d.seed().await;
    let mut later = email("later");
    later["not_before"] = json!("2026-11-27T18:00:00Z");
    let (s, v) = d.create(later).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    assert_eq!(
        d.touch(&id).await["next_attempt_at"],
        "2026-11-27T18:00:00Z"
    );
    let (s, t) = d
        .post(&format!("/v1/touches/{id}/cancel"), SVC, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["status"], "cancelled");
    assert_eq!(
        t["decisions"].as_array().unwrap().last().unwrap()["kind"],
        "cancel"
    );
    let (s, v) = d
        .post(&format!("/v1/touches/{id}/cancel"), OP, json!({}))
        .await;
    assert_error(s, &v, StatusCode::CONFLICT, "conflict", None);
    // A cancelled touch is never sent.
    d.set_clock("2026-11-27T18:00:00Z").await;
    assert_eq!(d.drain().await, 0);
    assert_eq!(d.touch(&id).await["status"], "cancelled");

    let (_, v) = d.create(email("now")).await;
    let sent = v["id"].as_str().unwrap().to_owned();
    d.drain().await;
    let (s, v) = d
        .post(&format!("/v1/touches/{sent}/cancel"), SVC, json!({}))
        .await;
    assert_error(s, &v, StatusCode::CONFLICT, "conflict", None);
    let (s, v) = d
        .post("/v1/touches/no-such-touch/cancel", SVC, json!({}))
        .await;
    assert_error(s, &v, StatusCode::NOT_FOUND, "not_found", None);
    let (s, v) = d.get("/v1/touches/no-such-touch", SVC).await;
    assert_error(s, &v, StatusCode::NOT_FOUND, "not_found", None);
}

async fn batch_answers_per_item(db: &Database) {
    let d = start(db).await;
    d.seed().await;
    let mut bad = sms("b2");
    bad["channel"] = json!("pigeon");
    let mut ghost = sms("b3");
    ghost["lead_id"] = json!("ghost");
    let (s, v) = d
        .post(
            "/v1/touches/batch",
            SVC,
            json!({"touches": [sms("b1"), bad, ghost, email("b4"), sms("b1")]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = v["results"].as_array().unwrap();
    assert_eq!(r.len(), 5);
    assert_eq!(r[0]["status"], "queued");
    assert!(r[0]["id"].is_string());
    assert_eq!(r[1]["error"]["code"], "bad_request");
    assert_eq!(r[1]["error"]["field"], "channel");
    assert_eq!(r[2]["error"]["field"], "lead_id");
    assert_eq!(r[3]["status"], "queued");
    assert_eq!(
        r[4]["id"], r[0]["id"],
        "same key within the batch: the first touch"
    );
    let (_, list) = d.get("/v1/touches", OP).await;
    assert_eq!(list["touches"].as_array().unwrap().len(), 2);

    let many: Vec<Value> = (0..1001).map(|i| sms(&format!("m{i}"))).collect();
    let (s, v) = d
        .post("/v1/touches/batch", SVC, json!({ "touches": many }))
        .await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("touches"),
    );
    let (s, v) = d
        .post("/v1/touches/batch", SVC, json!({ "items": [] }))
        .await;
    assert_error(s, &v, StatusCode::BAD_REQUEST, "bad_request", Some("items"));
}

async fn list_filters_paging_and_csv(db: &Database) {
    let d = start(db).await;
    d.seed().await;
    for i in 0..3 {
        let (s, _) = d.create(sms(&format!("s{i}"))).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    for i in 0..2 {
        let (s, _) = d.create(email(&format!("e{i}"))).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let mut later = email("later");
    later["not_before"] = json!("2026-11-28T00:00:00Z");
    let (s, later) = d.create(later).await;
    assert_eq!(s, StatusCode::CREATED);
    d.drain().await;

    let count = |v: &Value| v["touches"].as_array().unwrap().len();
    let (s, v) = d.get("/v1/touches", OP).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(count(&v), 6);
    assert_eq!(v["next_cursor"], Value::Null);
    let (_, v) = d.get("/v1/touches?channel=sms", OP).await;
    assert_eq!(count(&v), 3);
    assert!(
        v["touches"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["channel"] == "sms")
    );
    let (_, v) = d.get("/v1/touches?status=sent&channel=email", OP).await;
    assert_eq!(count(&v), 2);
    let (_, v) = d.get("/v1/touches?status=queued", OP).await;
    assert_eq!(count(&v), 1);
    assert_eq!(v["touches"][0]["id"], later["id"]);
    let (_, v) = d
        .get(
            "/v1/touches?campaign_id=seq43&account_id=sdr-1&lead_id=lead-7",
            OP,
        )
        .await;
    assert_eq!(count(&v), 3);
    let (_, v) = d.get("/v1/touches?reason=dnc_listed", OP).await;
    assert_eq!(count(&v), 0);
    let (_, v) = d
        .get(
            "/v1/touches?from=2026-11-25T00:00:00Z&to=2026-11-26T00:00:00Z",
            OP,
        )
        .await;
    assert_eq!(count(&v), 6);
    let (_, v) = d.get("/v1/touches?from=2026-11-26T00:00:00Z", OP).await;
    assert_eq!(count(&v), 0);
    // Empty parameters filter nothing (as in the contract's example).
    let (s, v) = d
        .get("/v1/touches?status=&reason=&channel=&account_id=&lead_id=&campaign_id=&from=&to=&limit=&cursor=", OP)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(count(&v), 6);

    // Paging with the cursor visits every touch once.
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/touches?limit=4&cursor={c}"),
            None => "/v1/touches?limit=4".to_owned(),
        };
        let (s, v) = d.get(&path, OP).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        pages += 1;
        for t in v["touches"].as_array().unwrap() {
            assert!(seen.insert(t["id"].as_str().unwrap().to_owned()));
        }
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6);
    assert_eq!(pages, 2);

    for (q, field) in [
        ("status=lost", "status"),
        ("channel=fax", "channel"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("limit=5000", "limit"),
        ("from=yesterday", "from"),
        ("to=2026-13-01T00:00:00Z", "to"),
        ("from=2026-11-26T00:00:00Z&to=2026-11-25T00:00:00Z", "to"),
        ("colour=red", "colour"),
        ("status=sent&status=queued", "status"),
    ] {
        let (s, v) = d.get(&format!("/v1/touches?{q}"), OP).await;
        assert_error(s, &v, StatusCode::BAD_REQUEST, "bad_request", Some(field));
    }

    // CSV: the same filters, one row per touch.
    let res = export(&d, "/v1/touches").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    let rows = csv_records(&csv);
    assert_eq!(rows[0], TOUCHES_CSV_HEADER);
    assert_eq!(rows.len(), 7, "{csv}");
    let sent_sms: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[2] == "sms" && r[4] == "sent")
        .collect();
    assert_eq!(sent_sms.len(), 3, "{csv}");
    let cols = sent_sms[0];
    assert_eq!(cols.len(), 11);
    assert_eq!(cols[1], "lead-7");
    assert_eq!(cols[3], "sdr-1");
    assert_eq!(cols[7], START);
    assert_eq!(cols[8], "seq42");
    assert_eq!(cols[9], "1");
    let csv = export(&d, "/v1/touches?status=queued")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv_records(&csv).len(), 2, "{csv}");
    let res = export(&d, "/v1/touches?channel=fax").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

/// `GET path` as CSV (`Accept: text/csv`), with the operator token.
async fn export(d: &Daemon, path: &str) -> reqwest::Response {
    d.req(Method::GET, path, Some(OP))
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
}

async fn csv_cells_are_quoted_and_formulas_defused(db: &Database) {
    let d = start(db).await;
    d.seed().await;
    // A lead whose id is its phone number: an id, written as it is.
    d.seed_lead(SVC, PHONE, &ana()).await;
    let mut ids = Vec::new();
    for (i, (campaign, _)) in CAMPAIGNS_FOR_CSV.iter().enumerate() {
        let mut t = sms(&format!("csv-{i}"));
        t["lead_id"] = json!(PHONE);
        t["campaign_id"] = json!(campaign);
        let (s, v) = d.create(t).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        ids.push(v["id"].as_str().unwrap().to_owned());
    }
    let (_, listed) = d.get("/v1/touches", OP).await;
    let res = export(&d, "/v1/touches").await;
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.unwrap();
    let rows = csv_records(&csv);
    assert_eq!(rows[0], TOUCHES_CSV_HEADER);
    assert_eq!(rows.len(), CAMPAIGNS_FOR_CSV.len() + 1, "{csv}");
    for (row, json) in rows[1..].iter().zip(listed["touches"].as_array().unwrap()) {
        assert_eq!(row.len(), 11, "{row:?}");
        assert_eq!(
            row[0],
            json["id"].as_str().unwrap(),
            "the same order as JSON"
        );
        let i = ids.iter().position(|id| *id == row[0]).unwrap();
        let (written, cell) = CAMPAIGNS_FOR_CSV[i];
        assert_eq!(json["campaign_id"], written);
        assert_eq!(row[8], cell, "campaign {written:?}");
        assert_eq!(row[1], PHONE, "ids are written as they are");
        assert_eq!(row[2], "sms");
        assert_eq!(row[4], "queued");
        assert_eq!(row[9], "1");
    }
}

async fn csv_export_streams_many_pages(db: &Database) {
    let d = start(db).await;
    d.seed().await;
    // 1,200 touches: three CSV pages of 500.
    for chunk in 0..2 {
        let items: Vec<Value> = (0..600)
            .map(|i| email(&format!("bulk-{chunk}-{i}")))
            .collect();
        let (s, v) = d
            .post("/v1/touches/batch", SVC, json!({ "touches": items }))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            v["results"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["status"] == "queued")
        );
    }
    let csv = export(&d, "/v1/touches").await.text().await.unwrap();
    let rows = csv_records(&csv);
    assert_eq!(rows.len(), 1201);
    let ids: std::collections::BTreeSet<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids.len(), 1200);
    let csv = export(&d, "/v1/touches?limit=700")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv_records(&csv).len(), 701);
}

// ---------------------------------------------------------------- DNC

async fn dnc_add_list_and_remove_with_a_reason(db: &Database) {
    let d = start(db).await;
    d.seed().await;
    let (s, e) = d
        .post(
            "/v1/dnc",
            OP,
            json!({"contact": " ANA@Example.com ", "channel": "email", "reason": "customer_request", "source": "web_form"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    assert_eq!(e["contact"], "ana@example.com");
    assert_eq!(e["channel"], "email");
    assert_eq!(e["reason"], "customer_request");
    assert!(e["added_by"].as_str().unwrap().contains("default"), "{e}");
    let id = e["id"].as_str().unwrap().to_owned();
    let (s, e2) = d
        .post("/v1/dnc", OP, json!({"lead_id": "lead-7", "channel": "*", "reason": "litigation_hold", "added_by": "legal@acme"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e2}");
    assert_eq!(e2["added_by"], "legal@acme");
    assert_eq!(e2["contact"], Value::Null);

    for (body, field) in [
        (
            json!({"contact": "definitely not", "reason": "customer_request"}),
            "contact",
        ),
        (json!({"reason": "customer_request"}), "contact"),
        (json!({"contact": PHONE, "reason": "because"}), "reason"),
        (
            json!({"contact": PHONE, "channel": "fax", "reason": "customer_request"}),
            "channel",
        ),
        (
            json!({"contact": PHONE, "reason": "customer_request", "expires_at": "2026-01-01T00:00:00Z"}),
            "expires_at",
        ),
        (
            json!({"contact": PHONE, "reason": "customer_request", "why": "x"}),
            "why",
        ),
    ] {
        let (s, v) = d.post("/v1/dnc", OP, body).await;
        assert_error(s, &v, StatusCode::BAD_REQUEST, "bad_request", Some(field));
    }

    // Listing canonicalises the query.
    let (s, v) = d.get("/v1/dnc?contact=Ana%40EXAMPLE.com", OP).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["id"], id.as_str());
    let (_, v) = d.get("/v1/dnc", OP).await;
    assert_eq!(v["entries"].as_array().unwrap().len(), 2);
    let (s, v) = d.get("/v1/dnc?contact=garbage", OP).await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("contact"),
    );

    // Removal needs a reason, and is audited.
    let res = d
        .req(Method::DELETE, &format!("/v1/dnc/{id}"), Some(OP))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"]["field"], "reason");
    let res = d
        .req(
            Method::DELETE,
            &format!("/v1/dnc/{id}?reason=entered%20by%20mistake"),
            Some(SVC),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = d
        .req(
            Method::DELETE,
            &format!("/v1/dnc/{id}?reason=entered%20by%20mistake"),
            Some(OP),
        )
        .header("x-touchgate-actor", "ops@acme")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    // What the client says, and always the acting token's id and name.
    let by = "ops@acme via admin token env_TOUCHGATE_OPERATOR_TOKEN (TOUCHGATE_OPERATOR_TOKEN) of workspace default";
    assert_eq!(v["removed_by"], by);
    assert_eq!(v["removed_reason"], "entered by mistake");
    assert_eq!(v["removed_at"], START);
    let (_, v) = d.get("/v1/dnc?contact=ana@example.com", OP).await;
    assert_eq!(v["entries"].as_array().unwrap().len(), 0);
    let (s, v) = d.get(&format!("/v1/dnc/{id}"), OP).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["removed_by"], by);
    let res = d
        .req(
            Method::DELETE,
            &format!("/v1/dnc/{id}?reason=again"),
            Some(OP),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = d
        .req(Method::DELETE, "/v1/dnc/no-such-entry?reason=x", Some(OP))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"]["code"], "not_found");

    // The lead-level litigation hold still blocks.
    let (_, t) = d.create(email("held")).await;
    d.drain().await;
    let t = d.touch(t["id"].as_str().unwrap()).await;
    assert_eq!(t["status"], "blocked");
    assert_eq!(t["reason"], "litigation_hold");
}

// ---------------------------------------------------------------- operations

async fn health_metrics_and_openapi(db: &Database) {
    let d = start(db).await;
    let (s, v) = d.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v, json!({"status": "ok"}));

    d.seed().await;
    let (_, t) = d.create(sms("m1")).await;
    assert!(t["id"].is_string());
    // Installation-wide figures: on the metrics address, not on the public API.
    let (s, _) = d.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let res = d.metrics().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let m = res.text().await.unwrap();
    assert!(m.contains("touchgate_touches{status=\"queued\"} 1"), "{m}");
    assert!(m.contains("touchgate_touches{status=\"sent\"} 0"), "{m}");
    assert!(!m.contains("touchgate_decisions_total{"), "{m}");
    assert!(
        m.contains("# TYPE touchgate_pickup_latency_seconds histogram"),
        "{m}"
    );
    d.drain().await;
    let m = d.metrics().await.text().await.unwrap();
    assert!(m.contains("touchgate_touches{status=\"sent\"} 1"), "{m}");
    assert!(
        m.contains(
            "touchgate_decisions_total{outcome=\"allowed\",reason=\"none\",channel=\"sms\"} 1"
        ),
        "{m}"
    );
    assert!(m.contains("touchgate_gate_seconds_count 1"), "{m}");
    assert!(
        m.contains("touchgate_pickup_latency_seconds_count 1"),
        "{m}"
    );
    assert!(
        m.contains("touchgate_touch_events_total{event=\"provider accepted\"} 1"),
        "{m}"
    );

    let (s, doc) = d.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with('3'));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/accounts/{id}", "put"),
        ("/v1/accounts/{id}", "get"),
        ("/v1/leads/{id}", "put"),
        ("/v1/leads/{id}", "get"),
        ("/v1/touches", "post"),
        ("/v1/touches", "get"),
        ("/v1/touches/batch", "post"),
        ("/v1/touches/{id}", "get"),
        ("/v1/touches/{id}/cancel", "post"),
        ("/v1/evaluate", "post"),
        ("/v1/inbound", "post"),
        ("/v1/dnc", "post"),
        ("/v1/dnc", "get"),
        ("/v1/dnc/{id}", "delete"),
        ("/v1/dispatch/drain", "post"),
        ("/v1/test/clock", "post"),
        ("/healthz", "get"),
        ("/openapi.json", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"].get("TouchBody").is_some());
    assert!(doc["components"]["securitySchemes"].get("bearer").is_some());
}

async fn test_clock_moves_time(db: &Database) {
    let d = start(db).await;
    let (s, v) = d
        .post("/v1/test/clock", OP, json!({"now": "2026-12-01T09:30:00Z"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["now"], "2026-12-01T09:30:00Z");
    let (s, v) = d.post("/v1/test/clock", OP, json!({"now": "soon"})).await;
    assert_error(s, &v, StatusCode::BAD_REQUEST, "bad_request", Some("now"));
    d.seed().await;
    let (_, t) = d.create(email("c")).await;
    let t = d.touch(t["id"].as_str().unwrap()).await;
    assert_eq!(t["created_at"], "2026-12-01T09:30:00Z");
}

// ---------------------------------------------------------------- review fixes

async fn senders_and_states_are_validated(db: &Database) {
    let d = start(db).await;
    for (senders, field) in [
        (json!({"email": "not an address"}), "senders.email"),
        (
            json!({"email": "SDR Team <not an address>"}),
            "senders.email",
        ),
        (
            json!({"email": "SDR Team <sdr@acme.example>\r\nBcc: x@evil.example"}),
            "senders.email",
        ),
        (json!({"sms": "4155550100"}), "senders.sms"),
        (json!({"sms": "call me"}), "senders.sms"),
        (json!({"call": "+1"}), "senders.call"),
        (json!({"whatsapp": "sdr@acme.example"}), "senders.whatsapp"),
        (json!({"linkedin": "  "}), "senders.linkedin"),
    ] {
        let (s, v) = d
            .put(
                "/v1/accounts/a1",
                OP,
                json!({"status": "active", "senders": senders}),
            )
            .await;
        assert_error(s, &v, StatusCode::BAD_REQUEST, "bad_request", Some(field));
    }
    let (s, v) = d.get("/v1/accounts/a1", OP).await;
    assert_error(s, &v, StatusCode::NOT_FOUND, "not_found", None);
    let (s, v) = d
        .put(
            "/v1/accounts/a1",
            OP,
            json!({"status": "active", "senders": {
                "email": "SDR Team <sdr@acme.example>", "sms": "+1 (415) 555-0100",
                "call": "+14155550101", "whatsapp": "+14155550102", "linkedin": "acct_123"
            }}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["senders"]["email"], "SDR Team <sdr@acme.example>");
    assert_eq!(v["senders"]["sms"], "+14155550100", "stored in E.164: {v}");
    let (s, v) = d
        .put(
            "/v1/accounts/a2",
            OP,
            json!({"senders": {"email": "sdr@acme.example"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    for state in ["Narnia", "XX", "Bavaria"] {
        let (s, v) = d
            .put(
                "/v1/leads/l1",
                SVC,
                json!({"phone": PHONE, "country": "US", "state": state}),
            )
            .await;
        assert_error(s, &v, StatusCode::BAD_REQUEST, "bad_request", Some("state"));
    }
    let (s, v) = d.get("/v1/leads/l1", SVC).await;
    assert_error(s, &v, StatusCode::NOT_FOUND, "not_found", None);
    for (state, code) in [("fl", "FL"), ("California", "CA"), (" ON ", "ON")] {
        let (s, v) = d
            .put("/v1/leads/l1", SVC, json!({"phone": PHONE, "state": state}))
            .await;
        assert!(s.is_success(), "{state}: {v}");
        assert_eq!(v["state"], code, "{v}");
    }
    let (s, v) = d
        .put(
            "/v1/leads/l1",
            SVC,
            json!({"phone": PHONE, "country": "USA"}),
        )
        .await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("country"),
    );
}

async fn idempotent_replay_after_the_deadline_returns_the_first_touch(db: &Database) {
    let d = start(db).await;
    d.seed().await;
    let mut body = sms("retry-me");
    body["deadline"] = json!("2026-11-25T19:00:00Z");
    let (s, first) = d.create(body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    // The client's retry arrives after the first touch's deadline.
    d.set_clock("2026-11-25T20:00:00Z").await;
    let (s, again) = d.create(body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["id"], first["id"]);
    let (s, v) = d
        .post("/v1/touches/batch", SVC, json!({"touches": [body.clone()]}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["results"][0]["id"], first["id"], "{v}");
    assert_eq!(v["results"][0]["created"], false, "{v}");
    // The key is scoped to the workspace: in acme the same request is validated (and fails).
    let (s, v) = d.post("/v1/touches", ACME_SVC, body).await;
    assert_error(
        s,
        &v,
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("deadline"),
    );
    let (_, list) = d.get("/v1/touches", OP).await;
    assert_eq!(list["touches"].as_array().unwrap().len(), 1);
}

async fn drain_dispatches_the_callers_workspace_only(db: &Database) {
    let d = start(db).await;
    d.seed().await;
    let (s, t_default) = d.create(sms("default-1")).await;
    assert_eq!(s, StatusCode::CREATED, "{t_default}");
    let (s, v) = d
        .put("/v1/accounts/sdr-1", ACME_OP, json!({"status": "active"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = d.put("/v1/leads/lead-7", ACME_SVC, lead_body()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, t_acme) = d.post("/v1/touches", ACME_SVC, sms("acme-1")).await;
    assert_eq!(s, StatusCode::CREATED, "{t_acme}");

    let (s, v) = d.post("/v1/dispatch/drain", ACME_OP, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["processed"], 1, "{v}");
    let t = d.touch(t_default["id"].as_str().unwrap()).await;
    assert_eq!(
        t["status"], "queued",
        "acme's drain left default alone: {t}"
    );
    assert!(t["decisions"].as_array().unwrap().is_empty(), "{t}");
    let (_, t) = d
        .get(
            &format!("/v1/touches/{}", t_acme["id"].as_str().unwrap()),
            ACME_SVC,
        )
        .await;
    assert_eq!(t["status"], "sent", "{t}");

    assert_eq!(d.drain().await, 1);
    let t = d.touch(t_default["id"].as_str().unwrap()).await;
    assert_eq!(t["status"], "sent", "{t}");
}

async fn the_same_open_dnc_entry_is_not_added_twice(db: &Database) {
    let d = start(db).await;
    let body = json!({"contact": PHONE, "channel": "*", "reason": "customer_request", "added_by": "ops@acme"});
    let (s, first) = d.post("/v1/dnc", OP, body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let mut again = body.clone();
    again["contact"] = json!("(415) 555-0123");
    again["added_by"] = json!("someone-else");
    let (s, second) = d.post("/v1/dnc", OP, again).await;
    assert_eq!(s, StatusCode::OK, "{second}");
    assert_eq!(second["id"], first["id"]);
    assert_eq!(
        second["added_by"], "ops@acme",
        "the existing entry: {second}"
    );
    let (_, v) = d.get("/v1/dnc?contact=%2B14155550123", OP).await;
    assert_eq!(v["entries"].as_array().unwrap().len(), 1, "{v}");
    // Another scope, an expiring entry, another workspace: new entries.
    let mut scoped = body.clone();
    scoped["channel"] = json!("sms");
    let (s, v) = d.post("/v1/dnc", OP, scoped).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mut expiring = body.clone();
    expiring["expires_at"] = json!("2027-01-01T00:00:00Z");
    let (s, v) = d.post("/v1/dnc", OP, expiring).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = d.post("/v1/dnc", ACME_OP, body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // Removed, it can be added again.
    let res = d
        .req(
            Method::DELETE,
            &format!(
                "/v1/dnc/{}?reason=resubscribed",
                first["id"].as_str().unwrap()
            ),
            Some(OP),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (s, v) = d.post("/v1/dnc", OP, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_ne!(v["id"], first["id"]);
}
