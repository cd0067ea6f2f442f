//! Black-box tests of what limits an account's email and a lead's marketing (issue 12,
//! contract v2 "Email deliverability and replies" and its precise semantics): sender health
//! (bounce and complaint rates over the last `window_sends` sends pause an account's email,
//! with an alert, until an operator resumes it), the warm-up ramp of a new sender's daily cap,
//! and cross-campaign recipient caps with their operator override. The real `touchgate serve`
//! binary on a database of its own (each test on SQLite and on PostgreSQL), a fake clock
//! (2026-11-25T18:00:00Z = 10:00 in Los Angeles), the sandbox transports, the dispatch loop off.

// clippy.toml's allow-*-in-tests covers `#[test]` functions only, not the test bodies the
// both-databases macro calls; a failed expectation here should panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use reqwest::StatusCode;
use serde_json::{Value, json};
use touchgate_tests::mail::corpus::{POSTFIX_BOUNCE, YAHOO_COMPLAINT};
use touchgate_tests::mail::{daemon, report};
use touchgate_tests::seed::person;
use touchgate_tests::touches::{
    check_detail, email_from, id_of, message_id_of, sms_from, touch_body,
};
use touchgate_tests::{Daemon, Database, OP, START, SVC};

touchgate_tests::both_databases!(
    sender_health_pauses_email_over_the_bounce_rate_until_resumed,
    no_rate_below_the_window,
    the_send_that_fills_the_window_counts_toward_the_rate,
    a_complaint_rate_over_its_limit_pauses_email_too,
    warm_up_ramps_the_daily_email_cap,
    recipient_caps_count_every_channel_and_account_and_yield_to_an_override,
);

// ---------------------------------------------------------------- sender health

const HEALTH: &str = "[deliverability]\nwindow_sends = 4\nmax_bounce_rate = 0.2\n";

/// Accounts `sdr-1` and `sdr-2`, leads `h1`…`h6` (`h<n>@example.com`).
async fn seed_health(d: &Daemon) {
    for a in ["sdr-1", "sdr-2"] {
        d.seed_account(OP, a, json!({"status": "active"})).await;
    }
    for n in 1..=6u16 {
        d.seed_lead(
            SVC,
            &format!("h{n}"),
            &person(&format!("h{n}@example.com"), 500 + n),
        )
        .await;
    }
}

/// Posts a hard bounce for the email touch `t`.
async fn bounce(d: &Daemon, t: &Value) {
    let v = d
        .post_email_ok(&report(
            POSTFIX_BOUNCE,
            t["recipient"].as_str().unwrap(),
            message_id_of(t),
        ))
        .await;
    assert_eq!(v["recipients"][0]["suppressed"], true, "{v}");
}

async fn health(d: &Daemon, account: &str) -> Value {
    let (s, v) = d.get(&format!("/v1/accounts/{account}"), SVC).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["health"].clone()
}

async fn sender_health_alerts(d: &Daemon) -> Vec<Value> {
    let (s, v) = d.get("/v1/alerts", OP).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "sender_health")
        .cloned()
        .collect()
}

async fn resume(d: &Daemon, account: &str, token: &str) -> (StatusCode, Value) {
    d.post(
        &format!("/v1/accounts/{account}/channels/email/resume"),
        token,
        json!({}),
    )
    .await
}

async fn sender_health_pauses_email_over_the_bounce_rate_until_resumed(db: &Database) {
    let d = daemon(db, HEALTH).await;
    seed_health(&d).await;
    let (s, v) = resume(&d, "sdr-1", OP).await;
    assert_eq!(s, StatusCode::CONFLICT, "not paused: {v}");

    let mut sends = Vec::new();
    for n in 1..=4 {
        sends.push(
            d.sent(email_from(&format!("e{n}"), "sdr-1", &format!("h{n}")))
                .await,
        );
    }
    assert_eq!(health(&d, "sdr-1").await, json!([]));
    // One hard bounce in four sends: 25 % > 20 %.
    bounce(&d, &sends[1]).await;

    let h = health(&d, "sdr-1").await;
    assert_eq!(h[0]["channel"], "email", "{h}");
    assert_eq!(h[0]["paused_since"], START, "{h}");
    let why = h[0]["why"].as_str().unwrap();
    assert!(
        why.contains("hard-bounce rate 25.00% over the last 4 sends exceeds 20.00%"),
        "{why}"
    );
    let alerts = sender_health_alerts(&d).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let detail = alerts[0]["detail"].as_str().unwrap();
    assert!(detail.contains("sdr-1") && detail.contains(why), "{detail}");

    let paused = d
        .held(email_from("e5", "sdr-1", "h5"), "channel_paused")
        .await;
    let detail = check_detail(&paused, "channel_status");
    assert!(
        detail.contains(&format!("paused by sender health since {START}")) && detail.contains(why),
        "{detail}"
    );
    let (s, v) = d
        .post("/v1/evaluate", SVC, email_from("eval", "sdr-1", "h6"))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["reason"], "channel_paused", "{v}");
    // The pause is its own flag: storing the account again does not lift it.
    let (s, v) = d
        .put("/v1/accounts/sdr-1", OP, json!({"status": "active"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(health(&d, "sdr-1").await[0]["paused_since"], START);
    // Only the account's email: its texts and the other account's email go.
    d.sent(sms_from("s1", "sdr-1", "h5")).await;
    d.sent(email_from("other-account", "sdr-2", "h5")).await;

    // The operator lifts it (a service token may not; an unknown account is 404).
    let (s, _) = resume(&d, "sdr-1", SVC).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = resume(&d, "nobody", OP).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = resume(&d, "sdr-1", OP).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["health"][0]["resumed_at"], START, "{v}");
    assert_eq!(v["health"][0]["paused_since"], Value::Null, "{v}");
    let (s, v) = resume(&d, "sdr-1", OP).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");

    // The rates start again from the resume: one send and its bounce is below the window.
    d.set_clock("2026-11-25T18:01:00Z").await;
    let again = d.sent(email_from("e6", "sdr-1", "h6")).await;
    bounce(&d, &again).await;
    assert!(health(&d, "sdr-1").await[0].get("paused_since").is_none());
    d.sent(email_from("e7", "sdr-1", "h1")).await;
    assert_eq!(sender_health_alerts(&d).await.len(), 1);
}

async fn no_rate_below_the_window(db: &Database) {
    let d = daemon(db, HEALTH).await;
    seed_health(&d).await;
    // Every one of three sends bounces: 100 %, but three sends are no rate yet.
    for n in 1..=3 {
        let t = d
            .sent(email_from(&format!("e{n}"), "sdr-1", &format!("h{n}")))
            .await;
        bounce(&d, &t).await;
    }
    assert_eq!(health(&d, "sdr-1").await, json!([]));
    assert!(sender_health_alerts(&d).await.is_empty());
    d.sent(email_from("e4", "sdr-1", "h4")).await;
}

/// The contract counts a send once its provider call was made: the fourth send, after a
/// bounce among the first three, makes the rate 25 % over the last four.
async fn the_send_that_fills_the_window_counts_toward_the_rate(db: &Database) {
    let d = daemon(db, HEALTH).await;
    seed_health(&d).await;
    let first = d.sent(email_from("e1", "sdr-1", "h1")).await;
    bounce(&d, &first).await;
    for n in 2..=4 {
        d.sent(email_from(&format!("e{n}"), "sdr-1", &format!("h{n}")))
            .await;
    }
    d.held(email_from("e5", "sdr-1", "h5"), "channel_paused")
        .await;
    assert_eq!(sender_health_alerts(&d).await.len(), 1);
}

async fn a_complaint_rate_over_its_limit_pauses_email_too(db: &Database) {
    let d = daemon(
        db,
        "[deliverability]\nwindow_sends = 4\nmax_complaint_rate = 0.2\n",
    )
    .await;
    seed_health(&d).await;
    let mut sends = Vec::new();
    for n in 1..=4 {
        sends.push(
            d.sent(email_from(&format!("e{n}"), "sdr-1", &format!("h{n}")))
                .await,
        );
    }
    let t = &sends[3];
    let v = d
        .post_email_ok(&report(
            YAHOO_COMPLAINT,
            t["recipient"].as_str().unwrap(),
            message_id_of(t),
        ))
        .await;
    assert_eq!(v["suppressed"], true, "{v}");
    let why = health(&d, "sdr-1").await[0]["why"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        why.contains("complaint rate 25.00% over the last 4 sends exceeds 20.00%"),
        "{why}"
    );
    d.held(email_from("e5", "sdr-1", "h5"), "channel_paused")
        .await;
    assert_eq!(sender_health_alerts(&d).await.len(), 1);
}

// ---------------------------------------------------------------- warm-up

async fn warm_up_ramps_the_daily_email_cap(db: &Database) {
    let d = daemon(db, "").await;
    d.seed_account(
        OP,
        "sdr-1",
        json!({"status": "active",
               "limits": {"email": {"warmup": {"start_per_day": 2, "increase_per_day": 1}}}}),
    )
    .await;
    d.seed_lead(SVC, "lead-7", &person("ana@example.com", 123))
        .await;
    d.sent(email_from("d1-1", "sdr-1", "lead-7")).await;
    d.sent(email_from("d1-2", "sdr-1", "lead-7")).await;
    let third = d
        .held(email_from("d1-3", "sdr-1", "lead-7"), "daily_limit")
        .await;
    assert_eq!(third["status"], "scheduled", "{third}");
    let detail = check_detail(&third, "daily_limit");
    assert!(
        detail.contains("2 of 2 used")
            && detail.contains("warm-up day 1 allows 2")
            && detail.contains("2 on the first day, 1 more each day"),
        "{detail}"
    );
    // The second day's ramp (3) begins 24 hours after the first send.
    let next_day = "2026-11-26T18:00:00Z";
    assert_eq!(third["retry_after"], next_day, "{third}");
    // Other channels do not ramp.
    d.sent(sms_from("text", "sdr-1", "lead-7")).await;

    d.set_clock(next_day).await;
    d.drain().await;
    assert_eq!(d.touch(id_of(&third)).await["status"], "sent");
    d.sent(email_from("d2-1", "sdr-1", "lead-7")).await;
    d.sent(email_from("d2-2", "sdr-1", "lead-7")).await;
    let fourth = d
        .held(email_from("d2-3", "sdr-1", "lead-7"), "daily_limit")
        .await;
    let detail = check_detail(&fourth, "daily_limit");
    assert!(
        detail.contains("3 of 3 used") && detail.contains("warm-up day 2 allows 3"),
        "{detail}"
    );
}

// ---------------------------------------------------------------- recipient caps

async fn recipient_caps_count_every_channel_and_account_and_yield_to_an_override(db: &Database) {
    let d = daemon(
        db,
        "[workspace_defaults]\nrecipient_caps = {marketing_per_week = 2}\n",
    )
    .await;
    for a in ["sdr-1", "sdr-2"] {
        d.seed_account(OP, a, json!({"status": "active"})).await;
    }
    d.seed_lead(SVC, "lead-7", &person("ana@example.com", 123))
        .await;
    d.seed_lead(SVC, "lead-8", &person("bob@example.com", 124))
        .await;

    d.sent(touch_body("c1", "sdr-1", "lead-7", "sms", "spring"))
        .await;
    d.sent(touch_body("c2", "sdr-2", "lead-7", "email", "summer"))
        .await;
    // A deadline past the week, so the cap holds it rather than blocks it.
    let mut third = touch_body("c3", "sdr-1", "lead-7", "email", "autumn");
    third["deadline"] = json!("2026-12-10T00:00:00Z");
    let third = d.held(third, "recipient_cap").await;
    assert_eq!(third["status"], "scheduled", "{third}");
    assert_eq!(third["retry_after"], "2026-12-02T18:00:00Z", "{third}");
    let detail = check_detail(&third, "recipient_cap");
    assert!(detail.contains("2 of 2"), "{detail}");
    // Another lead, and a transactional message to this one, are not capped.
    d.sent(touch_body("c4", "sdr-1", "lead-8", "email", "autumn"))
        .await;
    let mut receipt = touch_body("c5", "sdr-1", "lead-7", "email", "billing");
    receipt["purpose"] = json!("transactional");
    d.sent(receipt).await;

    // The legal per-recipient cap is not the operator's to waive.
    let path = format!("/v1/touches/{}/override", id_of(&third));
    let (s, v) = d
        .post(
            &path,
            OP,
            json!({"waive": ["recipient_frequency"], "reason": "asked by the CEO"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "waive", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("recipient_frequency"),
        "{v}"
    );
    assert_eq!(d.touch(id_of(&third)).await["status"], "scheduled");

    let (s, v) = d
        .post(
            &path,
            OP,
            json!({"waive": ["recipient_cap"], "reason": "the lead asked for the brochure"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["allowed"], true, "{v}");
    assert_eq!(v["override"]["waived"], json!(["recipient_cap"]), "{v}");
    let released = d
        .wait_for_touch(id_of(&third), "sent after the override", |t| {
            t["status"] == "sent"
        })
        .await;
    assert_eq!(released["override"]["waived"], json!(["recipient_cap"]));
    // The waiver was for that one decision: the next marketing touch is capped again.
    d.held(
        touch_body("c6", "sdr-2", "lead-7", "sms", "winter"),
        "recipient_cap",
    )
    .await;

    // Texts count per number too, whichever lead it belongs to: a second lead with Ana's
    // number has one text left (the number had one), not two.
    d.seed_lead(SVC, "lead-9", &person("ana.home@example.com", 123))
        .await;
    d.sent(touch_body("n1", "sdr-1", "lead-9", "sms", "spring"))
        .await;
    let mut over = touch_body("n2", "sdr-2", "lead-9", "sms", "summer");
    over["deadline"] = json!("2026-12-10T00:00:00Z");
    d.held(over, "recipient_cap").await;
    // Its email is the lead's own count: one of two.
    d.sent(touch_body("n3", "sdr-1", "lead-9", "email", "summer"))
        .await;
}
