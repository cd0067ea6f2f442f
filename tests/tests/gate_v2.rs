//! Gate v2 through the daemon (issue 9, contract v2): blackouts through the API, legal
//! per-recipient caps counted per number, automated touches, every candidate zone, US
//! territories, India DLT tags, WhatsApp template categories. Each test runs the real
//! `touchgate serve` binary on a database of its own (SQLite and PostgreSQL) and a fake clock
//! (2026-11-25T18:00:00Z: 10:00 in Los Angeles, 12:00 in Chicago, 13:00 in New York and
//! Miami). Edges in time are asked of `POST /v1/evaluate` with `at`; real touches go through
//! `POST /v1/dispatch/drain`. Replies (wrong numbers, opt-out scope, confirmations, replays)
//! are in `inbound_v2.rs`.

// clippy.toml's allow-*-in-tests covers `#[test]` functions only, not the test bodies the
// both-databases macro calls nor the helpers of this test crate; a failed expectation here
// should panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use touchgate_tests::registries::{assert_allowed, assert_reason, check_named, query_value};
use touchgate_tests::seed::{Lead, ana};
use touchgate_tests::{Daemon, Database, OP, START, SVC};

touchgate_tests::both_databases!(
    blackouts_hold_touches_until_they_end_or_are_lifted,
    legal_caps_count_the_number_across_leads_and_accounts,
    automated_touches_follow_the_automated_pack,
    every_candidate_zone_must_be_in_window,
    dlt_tags_match_by_kind,
    whatsapp_marketing_templates_to_us_numbers_are_restricted,
);

/// A daemon with the dispatch loop off and no snooze spreading; account `sdr-1` (active).
async fn start(db: &Database) -> Daemon {
    let d = Daemon::builder(db)
        .config("[dispatcher]\nenabled = false\nspread_seconds = 0\n")
        .start()
        .await;
    d.seed_account(OP, "sdr-1", json!({"status": "active"}))
        .await;
    d
}

/// A marketing touch from `sdr-1` to `lead` on `channel`.
fn marketing(lead: &str, channel: &str) -> Value {
    json!({"account_id": "sdr-1", "lead_id": lead, "channel": channel,
           "content": {"subject": "Hello", "body": "Hi"}})
}

fn keyed(mut t: Value, key: &str) -> Value {
    t["idempotency_key"] = json!(key);
    t
}

/// A lead document with no stored zone: `phone`, consent to marketing SMS and calls, and
/// `extra` fields.
fn lead_without_zone(phone: &str, extra: Value) -> Value {
    let mut doc = json!({"phone": phone, "country": "US", "consents": [
        {"channel": "sms", "purpose": "marketing", "granted_at": "2026-01-01T00:00:00Z"},
        {"channel": "call", "purpose": "marketing", "granted_at": "2026-01-01T00:00:00Z"}]});
    for (k, v) in extra.as_object().unwrap() {
        doc[k] = v.clone();
    }
    doc
}

async fn put_lead(d: &Daemon, id: &str, doc: Value) {
    let (s, v) = d.put(&format!("/v1/leads/{id}"), SVC, doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

// ---------------------------------------------------------------- blackouts

async fn blackouts_hold_touches_until_they_end_or_are_lifted(db: &Database) {
    let d = start(db).await;
    d.seed_lead(SVC, "lead-7", &ana()).await;
    put_lead(&d, "boricua", lead_without_zone("+17875550123", json!({}))).await;

    // A state of emergency in California, on texts, for marketing (the default purpose).
    let (s, wildfire) = d
        .post(
            "/v1/blackouts",
            OP,
            json!({"region": "US-CA", "starts_at": START, "ends_at": "2026-11-25T22:00:00Z",
                   "channels": ["sms"], "reason": "state of emergency: wildfire", "source": "Cal OES"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{wildfire}");
    assert_eq!(wildfire["region"], "US-CA", "{wildfire}");
    assert_eq!(wildfire["purpose"], "marketing", "{wildfire}");
    let wildfire_id = wildfire["id"].as_str().unwrap().to_owned();

    // A touch in it is held until its end…
    let held = d.send(keyed(marketing("lead-7", "sms"), "held")).await;
    assert_eq!(held["status"], "scheduled", "{held}");
    assert_eq!(held["reason"], "blackout", "{held}");
    assert_eq!(held["next_attempt_at"], "2026-11-25T22:00:00Z", "{held}");
    let decision = &held["decisions"].as_array().unwrap()[0];
    assert_eq!(decision["retry_after"], "2026-11-25T22:00:00Z", "{held}");
    assert_eq!(check_named(decision, "blackout")["passed"], false, "{held}");
    // …blocked when it ends after the touch's deadline…
    let mut late = keyed(marketing("lead-7", "sms"), "too-late");
    late["deadline"] = json!("2026-11-25T21:00:00Z");
    let late = d.send(late).await;
    assert_eq!(late["status"], "blocked", "{late}");
    assert_eq!(late["reason"], "blackout", "{late}");
    // …and only on its channels and purpose.
    let email = d.send(keyed(marketing("lead-7", "email"), "email")).await;
    assert_eq!(email["status"], "sent", "{email}");
    let mut transactional = marketing("lead-7", "sms");
    transactional["purpose"] = json!("transactional");
    assert_allowed(&d.evaluate_at(&transactional, START).await);
    // The check API answers with the caller's blackouts too.
    let v = d.check_contact("+14155550123", "sms").await;
    assert_eq!(v["reason"], "blackout", "{v}");
    assert_eq!(v["retry_after"], "2026-11-25T22:00:00Z", "{v}");

    // A calling prefix, every purpose; the whole country from a later start (territories
    // included), lifted at its end.
    let (s, v) = d
        .post(
            "/v1/blackouts",
            OP,
            json!({"region": "+1415", "ends_at": "2026-11-26T18:00:00Z", "channels": ["call"],
                   "purpose": "all", "reason": "company holiday"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mut call = marketing("lead-7", "call");
    call["purpose"] = json!("transactional");
    assert_reason(&d.evaluate_at(&call, START).await, "blackout");
    let (s, v) = d
        .post(
            "/v1/blackouts",
            OP,
            json!({"region": "US", "starts_at": "2026-11-27T00:00:00Z",
                   "ends_at": "2026-11-28T00:00:00Z", "reason": "national day of mourning"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["channels"], json!(["*"]), "{v}");
    let pr = marketing("boricua", "sms");
    assert_allowed(&d.evaluate_at(&pr, "2026-11-26T15:00:00Z").await);
    let in_it = d.evaluate_at(&pr, "2026-11-27T15:00:00Z").await;
    assert_reason(&in_it, "blackout");
    assert_eq!(in_it["retry_after"], "2026-11-28T00:00:00Z", "{in_it}");

    let (s, v) = d.get("/v1/blackouts", OP).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["blackouts"].as_array().unwrap().len(), 3, "{v}");
    let (s, _) = d.get("/v1/blackouts", SVC).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Bad declarations name the field.
    for (body, field) in [
        (
            json!({"region": "US-CA", "starts_at": "2026-11-26T00:00:00Z", "ends_at": "2026-11-25T00:00:00Z", "reason": "x"}),
            "ends_at",
        ),
        (json!({"region": "US-CA", "reason": "x"}), "ends_at"),
        (
            json!({"region": "Atlantis", "ends_at": "2026-11-26T00:00:00Z", "reason": "x"}),
            "region",
        ),
        (
            json!({"region": "US-CA", "ends_at": "2026-11-26T00:00:00Z", "reason": " "}),
            "reason",
        ),
        (
            json!({"region": "US-CA", "ends_at": "2026-11-26T00:00:00Z", "reason": "x", "channels": []}),
            "channels",
        ),
    ] {
        let (s, v) = d.post("/v1/blackouts", OP, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert_eq!(v["error"]["field"], field, "{body}: {v}");
    }

    // Lifting the wildfire blackout releases the held touch.
    let path = format!("/v1/blackouts/{wildfire_id}");
    let (s, v) = d.call(Method::DELETE, &path, Some(OP), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["id"], wildfire_id.as_str(), "{v}");
    let (s, v) = d.call(Method::DELETE, &path, Some(OP), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (_, v) = d.get("/v1/blackouts", OP).await;
    assert!(
        v["blackouts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["id"] != wildfire_id.as_str()),
        "{v}"
    );
    d.drain().await;
    let released = d.touch(held["id"].as_str().unwrap()).await;
    assert_eq!(released["status"], "sent", "{released}");
}

// ---------------------------------------------------------------- per-number legal caps

async fn legal_caps_count_the_number_across_leads_and_accounts(db: &Database) {
    let d = start(db).await;
    d.seed_account(OP, "sdr-2", json!({"status": "active"}))
        .await;
    // Two CRM duplicates sharing one Miami number, and a neighbour with a number of her own.
    let miami = |phone: &str| {
        Lead::in_los_angeles()
            .phone(phone)
            .timezone("America/New_York")
            .consent("sms")
    };
    d.seed_lead(SVC, "dup-a", &miami("+13055550123")).await;
    d.seed_lead(SVC, "dup-b", &miami("(305) 555-0123")).await;
    d.seed_lead(SVC, "neighbour", &miami("+13055550124")).await;
    let from = |account: &str, lead: &str, key: &str| {
        let mut t = keyed(marketing(lead, "sms"), key);
        t["account_id"] = json!(account);
        t
    };

    // Florida: 3 marketing texts per 24 hours to one number, whichever lead or account.
    for (account, lead, key) in [
        ("sdr-1", "dup-a", "1"),
        ("sdr-2", "dup-a", "2"),
        ("sdr-1", "dup-b", "3"),
    ] {
        let t = d.send(from(account, lead, key)).await;
        assert_eq!(t["status"], "sent", "{t}");
    }
    let fourth = d.send(from("sdr-2", "dup-b", "4")).await;
    assert_eq!(fourth["status"], "scheduled", "{fourth}");
    assert_eq!(fourth["reason"], "recipient_frequency", "{fourth}");
    assert_eq!(
        fourth["next_attempt_at"], "2026-11-26T18:00:00Z",
        "{fourth}"
    );
    // Another number is counted apart.
    let other = d.send(from("sdr-2", "neighbour", "5")).await;
    assert_eq!(other["status"], "sent", "{other}");
    // 24 hours after the first, one slot is free again.
    d.set_clock("2026-11-26T18:00:00Z").await;
    d.drain().await;
    let later = d.touch(fourth["id"].as_str().unwrap()).await;
    assert_eq!(later["status"], "sent", "{later}");
}

// ---------------------------------------------------------------- automated contact

async fn automated_touches_follow_the_automated_pack(db: &Database) {
    let d = start(db).await;
    // Oklahoma: ordinary solicitations 08:00–20:00, automated ones (ADAD) 09:00–21:00 — both
    // bind an automated call.
    d.seed_lead(
        SVC,
        "okie",
        &Lead::in_los_angeles()
            .phone("+14055550123")
            .timezone("America/Chicago")
            .consent("call")
            .consent("sms"),
    )
    .await;
    let ordinary = marketing("okie", "call");
    let mut automated = ordinary.clone();
    automated["automated"] = json!(true);

    // 08:30 in Oklahoma City.
    let at = "2026-11-25T14:30:00Z";
    assert_allowed(&d.evaluate_at(&ordinary, at).await);
    let held = d.evaluate_at(&automated, at).await;
    assert_reason(&held, "quiet_hours");
    assert_eq!(
        held["retry_after"], "2026-11-25T15:00:00Z",
        "09:00 Central: {held}"
    );
    // 20:30: the ordinary law binds both.
    for t in [&ordinary, &automated] {
        assert_reason(
            &d.evaluate_at(t, "2026-11-26T02:30:00Z").await,
            "quiet_hours",
        );
    }
    // The check API takes `automated` too.
    let q = |automated: bool| {
        format!(
            "contact={}&channel=call&at=2026-11-25T14:30:00Z&automated={automated}",
            query_value("+14055550123")
        )
    };
    let (s, v) = d.check(&q(false)).await;
    assert_eq!((s, &v["allowed"]), (StatusCode::OK, &json!(true)), "{v}");
    let (s, v) = d.check(&q(true)).await;
    assert_eq!(
        (s, &v["reason"]),
        (StatusCode::OK, &json!("quiet_hours")),
        "{v}"
    );

    // A real automated call at noon goes out.
    let t = d.send(keyed(automated, "robocall")).await;
    assert_eq!(t["status"], "sent", "{t}");
}

// ---------------------------------------------------------------- candidate zones, territories

async fn every_candidate_zone_must_be_in_window(db: &Database) {
    let d = start(db).await;
    // A Miami number whose lead says Chicago: Florida's 20:00 limit holds in Miami's zone.
    d.seed_lead(
        SVC,
        "miami-chicago",
        &Lead::in_los_angeles()
            .phone("+13055550123")
            .timezone("America/Chicago")
            .consent("sms"),
    )
    .await;
    let t = marketing("miami-chicago", "sms");
    assert_allowed(&d.evaluate_at(&t, "2026-11-25T19:30:00Z").await);
    // 20:30 in Miami, 19:30 in Chicago.
    let late = d.evaluate_at(&t, "2026-11-26T01:30:00Z").await;
    assert_reason(&late, "quiet_hours");
    let detail = check_named(&late, "quiet_hours")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail.contains("America/New_York") && detail.contains("America/Chicago"),
        "the zones considered are named: {late}"
    );
    // The earliest instant every zone is in window: 08:00 in Chicago (09:00 in Miami).
    assert_eq!(late["retry_after"], "2026-11-26T14:00:00Z", "{late}");

    // A San Francisco number stored as Asia/Kolkata, at 23:00 in San Francisco (12:30 IST).
    d.seed_lead(
        SVC,
        "sf-kolkata",
        &Lead::in_los_angeles()
            .phone("+14155550123")
            .timezone("Asia/Kolkata")
            .consent("sms"),
    )
    .await;
    assert_reason(
        &d.evaluate_at(&marketing("sf-kolkata", "sms"), "2026-11-26T07:00:00Z")
            .await,
        "quiet_hours",
    );

    // A Hawaii resident (stored state, no stored zone) with a New York number, at 03:30 in
    // Honolulu (08:30 in New York).
    put_lead(
        &d,
        "hawaii",
        lead_without_zone("+12125550123", json!({"state": "HI"})),
    )
    .await;
    let hi = marketing("hawaii", "sms");
    assert_reason(
        &d.evaluate_at(&hi, "2026-11-25T13:30:00Z").await,
        "quiet_hours",
    );
    assert_allowed(&d.evaluate_at(&hi, "2026-11-25T19:30:00Z").await);

    // Puerto Rico is the United States for the federal 08:00–21:00: not at 22:30 there.
    put_lead(&d, "boricua", lead_without_zone("+17875550123", json!({}))).await;
    let pr = marketing("boricua", "sms");
    assert_reason(
        &d.evaluate_at(&pr, "2026-11-26T02:30:00Z").await,
        "quiet_hours",
    );
    assert_allowed(&d.evaluate_at(&pr, "2026-11-25T14:00:00Z").await);
    // A real text at 22:30 there waits for 08:00 (12:00 UTC).
    d.set_clock("2026-11-26T02:30:00Z").await;
    let t = d.send(keyed(pr, "pr-night")).await;
    assert_eq!(t["status"], "scheduled", "{t}");
    assert_eq!(t["reason"], "quiet_hours", "{t}");
    assert_eq!(t["next_attempt_at"], "2026-11-26T12:00:00Z", "{t}");
}

// ---------------------------------------------------------------- India DLT

async fn dlt_tags_match_by_kind(db: &Database) {
    let d = start(db).await;
    d.seed_account(
        OP,
        "india",
        json!({"status": "active", "dlt": {"entity_id": "1101000000000001", "headers": ["ACMEIN"],
               "templates": [{"id": "1107000000000001", "header": "ACMEIN",
                              "body": "Code {#numeric#} for {#var#}. See {#url#} or {#urlott#}, call {#cbn#}, mail {#email#}, ref {#alphanumeric#}"}]}}),
    )
    .await;
    d.seed_lead(
        SVC,
        "mumbai",
        &Lead::in_los_angeles()
            .phone("+919812345678")
            .timezone("Asia/Kolkata")
            .country("IN")
            .consent("sms"),
    )
    .await;
    let text = |body: &str| {
        json!({"account_id": "india", "lead_id": "mumbai", "channel": "sms",
               "template": {"id": "1107000000000001"}, "content": {"body": body}})
    };
    // 11:30 in Mumbai.
    let at = "2026-11-25T06:00:00Z";
    let good = [
        "123456",
        "Ana",
        "https://acme.in/a",
        "www.acme.in/ott",
        "+91-9812345678",
        "help@acme.in",
        "AB12",
    ];
    let body = |v: [&str; 7]| {
        format!(
            "Code {} for {}. See {} or {}, call {}, mail {}, ref {}",
            v[0], v[1], v[2], v[3], v[4], v[5], v[6]
        )
    };
    assert_allowed(&d.evaluate_at(&text(&body(good)), at).await);
    // Each tag matched by its kind: one wrong value at a time.
    for (slot, wrong) in [
        (0, "12a456"),
        (2, "not a link"),
        (3, "acme"),
        (4, "call me"),
        (5, "nobody"),
        (6, "AB-12"),
    ] {
        let mut values = good;
        values[slot] = wrong;
        let decision = d.evaluate_at(&text(&body(values)), at).await;
        assert_reason(&decision, "dlt_template_mismatch");
    }
    let mut unknown = text(&body(good));
    unknown["template"]["id"] = json!("1107999999999999");
    assert_reason(&d.evaluate_at(&unknown, at).await, "dlt_not_registered");
}

// ---------------------------------------------------------------- WhatsApp categories

async fn whatsapp_marketing_templates_to_us_numbers_are_restricted(db: &Database) {
    let d = start(db).await;
    let template = |name: &str, category: &str| json!({"name": name, "language": "en_US", "status": "approved", "category": category});
    let (s, v) = d
        .put(
            "/v1/accounts/sdr-1",
            OP,
            json!({"status": "active", "whatsapp_templates": [
                template("promo", "marketing"), template("receipt", "utility"),
                template("otp", "authentication"),
                {"name": "legacy", "language": "en_US", "status": "approved"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    d.seed_lead(
        SVC,
        "ana",
        &Lead::in_los_angeles()
            .whatsapp("+14155550123")
            .consent("whatsapp"),
    )
    .await;
    d.seed_lead(
        SVC,
        "londoner",
        &Lead::in_los_angeles()
            .whatsapp("+447911123456")
            .timezone("Europe/London")
            .country("GB")
            .consent("whatsapp"),
    )
    .await;
    let wa = |lead: &str, name: &str| {
        json!({"account_id": "sdr-1", "lead_id": lead, "channel": "whatsapp",
               "template": {"name": name, "language": "en_US"}})
    };
    let restricted = d.evaluate_at(&wa("ana", "promo"), START).await;
    assert_reason(&restricted, "whatsapp_marketing_restricted");
    assert_eq!(restricted["retry_after"], Value::Null, "{restricted}");
    for name in ["receipt", "otp", "legacy"] {
        assert_allowed(&d.evaluate_at(&wa("ana", name), START).await);
    }
    // Meta still delivers marketing templates in the United Kingdom.
    assert_allowed(&d.evaluate_at(&wa("londoner", "promo"), START).await);

    let t = d.send(keyed(wa("ana", "promo"), "promo")).await;
    assert_eq!(t["status"], "blocked", "{t}");
    assert_eq!(t["reason"], "whatsapp_marketing_restricted", "{t}");
}
