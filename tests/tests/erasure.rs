//! Black-box tests of erasure and retention (README "Privacy and the tamper-evident record"):
//! `DELETE /v1/leads/{id}?erase=true` (operator only) removes a lead's personal data from every
//! table — its number (E.164 and digits), its address, its name and every message body, wherever
//! the daemon copied them — while its DNC entries keep blocking the same number and address as
//! keyed hashes, its queued touches are cancelled, and `touchgate audit verify` still passes
//! (the erasure is a link of its own). `[retention]` replaces message content and inbound bodies
//! older than its limits with `[erased]` and keeps every decision.
//!
//! "Every table" is read from the database itself (`sqlite_master`, `information_schema`) and
//! every column of each is searched as text ([`touchgate_tests::sql`]); before the erasure the
//! same scan must find each needle, so a scan that could not see the data cannot pass. Each
//! test runs the real daemon on SQLite and on PostgreSQL with a fake clock.

// clippy.toml's allow-*-in-tests covers `#[test]` functions only, not the test bodies the
// both-databases macro calls; a failed expectation here should panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use touchgate_tests::audit::verify;
use touchgate_tests::mail::{corpus, report};
use touchgate_tests::providers::{Providers, WA_PHONE_ID};
use touchgate_tests::seed::whatsapp_account;
use touchgate_tests::seed::{Lead, ana};
use touchgate_tests::sql::{Found, Sql};
use touchgate_tests::touches::{id_of, message_id_of, touch_body};
use touchgate_tests::{Daemon, Database, OP, START, SVC, assert_error};

touchgate_tests::both_databases!(
    an_erased_lead_leaves_no_personal_data_and_stays_blocked,
    opt_outs_bounces_and_lead_entries_of_an_erased_lead_go_too,
    her_whatsapp_conversation_through_meta_goes_too,
    only_an_operator_erases_and_only_when_asked_to,
    retention_erases_content_and_bodies_and_keeps_decisions,
    retention_leaves_a_waiting_touch_its_content_until_it_is_sent,
);

/// Zephyrine's number, its digits, her address (stored lower-cased), her name.
const PHONE: &str = "+14155550177";
const DIGITS: &str = "4155550177";
const EMAIL: &str = "zephyrine.quill@example.org";
const FIRST_NAME: &str = "Zephyrine";
const LAST_NAME: &str = "Quill";
/// Words only her messages hold.
const SMS_IN: &str = "Zephyrine here: please call me after five";
const EMAIL_IN: &str = "Thanks. Zephyrine Quill, 12 Larkspur Lane";
const OUT_WORDS: &str = "marigold";
const IN_WORDS: [&str; 2] = ["after five", "Larkspur"];

/// When her queued step is due, and the deadline of every touch made here.
const LATER: &str = "2026-11-27T18:00:00Z";
const DEADLINE: &str = "2026-12-31T00:00:00Z";

/// Everything that must be gone after her erasure.
fn needles() -> Vec<&'static str> {
    let mut all = vec![PHONE, DIGITS, EMAIL, FIRST_NAME, LAST_NAME, OUT_WORDS];
    all.extend(IN_WORDS);
    all
}

fn zephyrine() -> Lead {
    Lead::in_los_angeles()
        .phone("+1 (415) 555-0177")
        .email("Zephyrine.Quill@Example.org")
        .consent("sms")
}

/// A marketing touch from `sdr-1` to `lead` in `campaign`, its content naming her.
fn to_her(key: &str, lead: &str, channel: &str, campaign: &str) -> Value {
    let mut t = touch_body(key, "sdr-1", lead, channel, campaign);
    t["content"] = json!({
        "subject": format!("{FIRST_NAME}, your {OUT_WORDS} quote"),
        "body": format!("Dear {FIRST_NAME} {LAST_NAME}, the {OUT_WORDS} plan is ready."),
    });
    t["deadline"] = json!(DEADLINE);
    t
}

/// A daemon (inbound email signed, dispatch by drain, `extra` config), account `sdr-1`,
/// Ana (`lead-7`, whose data must stay) and Zephyrine (`lead-z`).
async fn start(db: &Database, extra: &str) -> Daemon {
    let d = touchgate_tests::mail::daemon(db, extra).await;
    d.seed_account(OP, "sdr-1", json!({"status": "active"}))
        .await;
    d.seed_lead(SVC, "lead-7", &ana()).await;
    let stored = d.seed_lead(SVC, "lead-z", &zephyrine()).await;
    assert_eq!(
        (&stored["phone"], &stored["email"]),
        (&json!(PHONE), &json!(EMAIL))
    );
    d
}

/// `POST /v1/inbound`: a text from her number.
async fn text_from_her(d: &Daemon, body: &str) -> Value {
    let (s, v) = d
        .post(
            "/v1/inbound",
            SVC,
            json!({"channel": "sms", "from": PHONE, "body": body}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// Her email reply to the message `message_id`, through the signed webhook.
async fn email_from_her(d: &Daemon, message_id: &str, body: &str) {
    let raw = format!(
        "From: {FIRST_NAME} {LAST_NAME} <Zephyrine.Quill@Example.org>\r\nTo: sdr@acme.example\r\n\
         Subject: Re: {FIRST_NAME}, your {OUT_WORDS} quote\r\nMessage-ID: <r1@mail.example.org>\r\n\
         In-Reply-To: <{message_id}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    );
    d.post_email_ok(&raw).await;
}

/// `DELETE /v1/leads/{id}?{query}` with `token`.
async fn erase(d: &Daemon, id: &str, query: &str, token: &str) -> (StatusCode, Value) {
    d.call(
        Method::DELETE,
        &format!("/v1/leads/{id}?{query}"),
        Some(token),
        None,
    )
    .await
}

/// Every needle found (case-insensitive) anywhere in the database, as a readable list.
fn listed(found: &[Found]) -> String {
    found.iter().map(|f| format!("  {f}\n")).collect()
}

async fn an_erased_lead_leaves_no_personal_data_and_stays_blocked(db: &Database) {
    let d = start(db, "").await;

    // What the daemon comes to hold about her: a text and an email sent, a text queued for
    // later (another campaign, so her replies do not stop it), her replies by text and email,
    // DNC entries on her number and address, a touch blocked by them (its decision quotes the
    // number), a check of her number.
    let text = d.sent(to_her("z-text", "lead-z", "sms", "spring")).await;
    let mail = d.sent(to_her("z-mail", "lead-z", "email", "summer")).await;
    let mut later = to_her("z-later", "lead-z", "sms", "autumn");
    later["not_before"] = json!(LATER);
    let (s, queued) = d.create(later).await;
    assert_eq!(s, StatusCode::CREATED, "{queued}");
    let v = text_from_her(&d, SMS_IN).await;
    assert_eq!(v["leads"], json!(["lead-z"]), "{v}");
    email_from_her(&d, message_id_of(&mail), EMAIL_IN).await;
    d.add_dnc(PHONE, "customer_request").await;
    d.add_dnc(EMAIL, "customer_request").await;
    let blocked = d.send(to_her("z-blocked", "lead-z", "sms", "winter")).await;
    assert_eq!(
        (&blocked["status"], &blocked["reason"]),
        (&json!("blocked"), &json!("dnc_listed"))
    );
    assert!(
        blocked.to_string().contains(PHONE),
        "the decision quotes her number: {blocked}"
    );
    d.check_contact(PHONE, "sms").await;
    let ana_sent = d
        .sent(touch_body("ana-1", "sdr-1", "lead-7", "sms", "spring"))
        .await;
    d.drain().await;
    assert_eq!(d.touch(id_of(&queued)).await["status"], "queued");
    verify(db).passed();

    // The scan sees every needle before the erasure (so it can see them after).
    let sql = Sql::connect(db).await;
    let before = sql.scan(&needles()).await;
    for n in needles() {
        assert!(
            before.iter().any(|f| f.needle == n),
            "{n:?} should be in the database before the erasure; found:\n{}",
            listed(&before)
        );
    }

    let (s, v) = erase(&d, "lead-z", "erase=true", OP).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // At once, before the sealer has run: the erasure's record is written with what it
    // changed, so a verify in between does not mistake the erased values for forgeries.
    verify(db).passed();
    d.drain().await;

    // (d) The lead is gone; her queued touch is cancelled; what was sent keeps its status.
    let (s, v) = d.get("/v1/leads/lead-z", SVC).await;
    assert_error(s, &v, StatusCode::NOT_FOUND, "not_found", None);
    let q = d.touch(id_of(&queued)).await;
    assert_eq!(q["status"], "cancelled", "{q}");
    assert_eq!(d.touch(id_of(&text)).await["status"], "sent");
    let (s, v) = erase(&d, "lead-z", "erase=true", OP).await;
    assert_error(s, &v, StatusCode::NOT_FOUND, "not_found", None);

    // (a) Nothing of her is left in any table, any column.
    let after = sql.scan(&needles()).await;
    assert!(
        after.is_empty(),
        "personal data of the erased lead left behind:\n{}",
        listed(&after)
    );
    // Ana's data is untouched (the scan finds what is there).
    let ana_left = sql.scan(&["+14155550123"]).await;
    assert!(
        ana_left.iter().any(|f| f.table == "leads"),
        "{}",
        listed(&ana_left)
    );
    assert_eq!(d.touch(id_of(&ana_sent)).await["status"], "sent");

    // (b) The lawful erasure verifies: it is a sealed record of its own.
    verify(db).passed();
    assert_eq!(
        sql.int(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'lead_erase' AND subject = 'lead-z' AND sealed IS NOT NULL",
            &[],
        )
        .await,
        1
    );
    sql.close().await;

    // (c) Someone new with her number and address is still blocked, on evaluate and dispatch.
    let newcomer = Lead::in_los_angeles()
        .phone(PHONE)
        .email(EMAIL)
        .consent("sms");
    d.seed_lead(SVC, "lead-new", &newcomer).await;
    for (key, channel) in [("new-text", "sms"), ("new-mail", "email")] {
        let touch = to_her(key, "lead-new", channel, "fresh");
        let decision = d.evaluate_at(&touch, START).await;
        assert_eq!(decision["allowed"], false, "{channel}: {decision}");
        assert_eq!(decision["reason"], "dnc_listed", "{channel}: {decision}");
        let t = d.send(touch).await;
        assert_eq!(
            (&t["status"], &t["reason"]),
            (&json!("blocked"), &json!("dnc_listed")),
            "{channel}: {t}"
        );
    }
    verify(db).passed();
}

async fn only_an_operator_erases_and_only_when_asked_to(db: &Database) {
    let d = start(db, "").await;
    let (s, v) = erase(&d, "lead-z", "erase=true", SVC).await;
    assert_error(s, &v, StatusCode::FORBIDDEN, "forbidden", None);
    let (s, _) = d
        .call(Method::DELETE, "/v1/leads/lead-z?erase=true", None, None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    for query in ["", "erase=false", "erase=1"] {
        let (s, v) = erase(&d, "lead-z", query, OP).await;
        assert_error(s, &v, StatusCode::BAD_REQUEST, "bad_request", Some("erase"));
    }
    // Still there, untouched.
    let (s, v) = d.get("/v1/leads/lead-z", SVC).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["phone"], PHONE, "{v}");
    let (s, v) = erase(&d, "nobody", "erase=true", OP).await;
    assert_error(s, &v, StatusCode::NOT_FOUND, "not_found", None);
    let (s, v) = erase(&d, "lead-z", "erase=true", OP).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn retention_erases_content_and_bodies_and_keeps_decisions(db: &Database) {
    let d = start(
        db,
        "[retention]\ntouch_content_days = 1\ninbound_body_days = 1\n",
    )
    .await;
    let text = d.sent(to_her("z-text", "lead-z", "sms", "spring")).await;
    text_from_her(&d, SMS_IN).await;
    d.drain().await;
    let decisions = text["decisions"].as_array().unwrap().len();
    assert!(decisions >= 2, "{text}");
    let content_words = [OUT_WORDS, IN_WORDS[0]];
    let sql = Sql::connect(db).await;

    // Within the limit (23 hours on) everything is kept.
    d.set_clock("2026-11-26T17:00:00Z").await;
    d.drain().await;
    let kept = sql.scan(&content_words).await;
    for w in content_words {
        assert!(
            kept.iter().any(|f| f.needle == w),
            "{w}:\n{}",
            listed(&kept)
        );
    }
    let t = d.touch(id_of(&text)).await;
    assert!(
        t["content"]["body"].as_str().unwrap().contains(OUT_WORDS),
        "{t}"
    );

    // Past it, the content and the bodies are `[erased]`; the decisions stay.
    d.set_clock("2026-11-27T18:00:01Z").await;
    d.drain().await;
    let t = d.touch(id_of(&text)).await;
    assert_eq!(t["content"]["body"], "[erased]", "{t}");
    assert_eq!(t["content"]["subject"], "[erased]", "{t}");
    assert_eq!(t["status"], "sent", "{t}");
    assert_eq!(t["decisions"].as_array().unwrap().len(), decisions, "{t}");
    let left = sql.scan(&content_words).await;
    assert!(
        left.is_empty(),
        "content past its retention:\n{}",
        listed(&left)
    );
    assert_eq!(
        sql.int(
            "SELECT COUNT(*) FROM inbound_messages WHERE body = '[erased]'",
            &[],
        )
        .await,
        1
    );
    // The contacts themselves are not message content: retention leaves the lead alone.
    let (s, v) = d.get("/v1/leads/lead-z", SVC).await;
    assert_eq!((s, &v["phone"]), (StatusCode::OK, &json!(PHONE)), "{v}");

    // A touch made now keeps its content; the record still verifies.
    let fresh = d.sent(to_her("z-fresh", "lead-z", "sms", "spring")).await;
    assert!(
        d.touch(id_of(&fresh)).await["content"]["body"]
            .as_str()
            .unwrap()
            .contains(OUT_WORDS)
    );
    sql.close().await;
    verify(db).passed();
}

/// Her WhatsApp number (another line) and LinkedIn profile.
const WHATSAPP: &str = "+14155550178";
const LINKEDIN_SLUG: &str = "zephyrine-quill-77";

async fn opt_outs_bounces_and_lead_entries_of_an_erased_lead_go_too(db: &Database) {
    let d = start(db, "").await;
    let mut everywhere = zephyrine().whatsapp(WHATSAPP).doc();
    everywhere["linkedin"] = json!(format!("https://www.linkedin.com/in/{LINKEDIN_SLUG}/"));
    let (s, v) = d.put("/v1/leads/lead-z", SVC, everywhere).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // An email that bounces for good (a delivery report quoting her address, a hard-bounce
    // entry); a text, then STOP (an opt-out entry and its confirmation, sent to her number); an
    // entry naming only the lead (a litigation hold).
    let mail = d.sent(to_her("z-mail", "lead-z", "email", "summer")).await;
    let v = d
        .post_email_ok(&report(corpus::POSTFIX_BOUNCE, EMAIL, message_id_of(&mail)))
        .await;
    assert_eq!(v["report"], "delivery", "{v}");
    d.sent(to_her("z-text", "lead-z", "sms", "spring")).await;
    let v = text_from_her(&d, "STOP").await;
    assert_eq!(v["intent"], "opt_out", "{v}");
    let (s, v) = d
        .post(
            "/v1/dnc",
            OP,
            json!({"lead_id": "lead-z", "channel": "*", "reason": "litigation_hold", "added_by": "legal@acme"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    d.drain().await;

    let mut needles = needles();
    needles.extend([WHATSAPP, &WHATSAPP[2..], LINKEDIN_SLUG]);
    let sql = Sql::connect(db).await;
    let before = sql.scan(&needles).await;
    for n in [PHONE, EMAIL, WHATSAPP, LINKEDIN_SLUG] {
        assert!(
            before.iter().any(|f| f.needle == n),
            "{n:?} should be there before:\n{}",
            listed(&before)
        );
    }
    assert!(
        before.iter().any(|f| f.table == "email_events"),
        "the bounce names her address:\n{}",
        listed(&before)
    );

    let (s, v) = erase(&d, "lead-z", "erase=true", OP).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    d.drain().await;
    let after = sql.scan(&needles).await;
    assert!(
        after.is_empty(),
        "personal data of the erased lead left behind:\n{}",
        listed(&after)
    );
    sql.close().await;
    verify(db).passed();

    // Her number, address, WhatsApp line and profile, on someone new: still blocked — the
    // lead-only hold carried on to each of her contacts.
    let newcomer = Lead::in_los_angeles()
        .phone(PHONE)
        .email(EMAIL)
        .whatsapp(WHATSAPP)
        .consent("sms");
    d.seed_lead(SVC, "lead-new", &newcomer).await;
    for (key, channel) in [("new-text", "sms"), ("new-mail", "email")] {
        let decision = d
            .evaluate_at(&to_her(key, "lead-new", channel, "fresh"), START)
            .await;
        assert_eq!(decision["allowed"], false, "{channel}: {decision}");
        assert!(
            matches!(
                decision["reason"].as_str(),
                Some("dnc_listed" | "litigation_hold")
            ),
            "{channel}: {decision}"
        );
    }
    let only_whatsapp = Lead::in_los_angeles().whatsapp(WHATSAPP).consent("sms");
    d.seed_lead(SVC, "lead-wa", &only_whatsapp).await;
    let (s, v) = d
        .get(
            &format!("/v1/check?contact=%2B{}&channel=call", &WHATSAPP[1..]),
            SVC,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["allowed"], false, "her WhatsApp line is held: {v}");
}

async fn retention_leaves_a_waiting_touch_its_content_until_it_is_sent(db: &Database) {
    // Texts go to a Twilio stand-in, which keeps what it was sent.
    let twilio = Providers::start().await;
    let d = Daemon::builder(db)
        .manual_dispatch()
        .config("[retention]\ntouch_content_days = 1\n")
        .twilio_sms(&twilio.uri(), "")
        .start()
        .await;
    d.seed_account(OP, "sdr-1", json!({"status": "active"}))
        .await;
    d.seed_lead(SVC, "lead-z", &zephyrine()).await;
    // A later step, due three days on (past the one-day limit on content).
    let mut later = to_her("z-later", "lead-z", "sms", "autumn");
    later["not_before"] = json!("2026-11-28T18:00:00Z");
    let (s, t) = d.create(later).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");

    // Two days on, retention runs (drain) while it waits: its content is what it will send.
    d.set_clock("2026-11-27T18:00:00Z").await;
    d.drain().await;
    let waiting = d.touch(id_of(&t)).await;
    assert_eq!(waiting["status"], "queued", "{waiting}");
    assert!(
        waiting["content"]["body"]
            .as_str()
            .unwrap()
            .contains(OUT_WORDS),
        "a touch not sent yet keeps its content: {waiting}"
    );

    // Due: what goes out is the message, not `[erased]`.
    d.set_clock("2026-11-28T18:00:00Z").await;
    d.drain().await;
    let sent = d.touch(id_of(&t)).await;
    assert_eq!(sent["status"], "sent", "{sent}");
    let texts = twilio.twilio_messages_to(PHONE).await;
    assert_eq!(texts.len(), 1);
    let body = String::from_utf8_lossy(&texts[0].body).into_owned();
    assert!(body.contains(OUT_WORDS), "the message sent: {body}");
    assert!(!body.contains("%5Berased%5D"), "the message sent: {body}");

    // Sent, and past the limit: it goes like any other.
    let old = d.touch(id_of(&t)).await;
    assert_eq!(old["content"]["body"], "[erased]", "{old}");
    verify(db).passed();
}

async fn her_whatsapp_conversation_through_meta_goes_too(db: &Database) {
    let meta = Providers::start().await;
    let d = Daemon::builder(db)
        .manual_dispatch()
        .meta_whatsapp(&meta.uri())
        .start()
        .await;
    d.seed_account(OP, "sdr-1", whatsapp_account()).await;
    let mut doc = zephyrine().whatsapp(WHATSAPP).consent("whatsapp").doc();
    doc["linkedin"] = json!(format!("in:{LINKEDIN_SLUG}"));
    let (s, v) = d.put("/v1/leads/lead-z", SVC, doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    // A template message to her, her answer through Meta's webhook (her profile name with
    // it), and a free-form answer back within the 24-hour window.
    d.sent(json!({
        "idempotency_key": "z-wa-template", "account_id": "sdr-1", "lead_id": "lead-z",
        "channel": "whatsapp", "template": {"name": "day3_followup", "language": "en_US"}
    }))
    .await;
    let wa_id = &WHATSAPP[1..];
    let inbound = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "14155550100", "phone_number_id": WA_PHONE_ID},
            "contacts": [{"profile": {"name": format!("{FIRST_NAME} {LAST_NAME}")}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": "wamid.from-her", "timestamp": "1795629600",
                          "type": "text", "text": {"body": EMAIL_IN}}]
        }}]}]
    });
    let (s, v) = d.meta_webhook(&inbound).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut answer = to_her("z-wa-answer", "lead-z", "whatsapp", "spring");
    answer["content"] =
        json!({"body": format!("Thanks {FIRST_NAME}, the {OUT_WORDS} plan it is.")});
    d.sent(answer).await;
    assert_eq!(meta.meta_messages().await.len(), 2);

    let mut needles = needles();
    needles.extend([WHATSAPP, &WHATSAPP[2..], LINKEDIN_SLUG]);
    let sql = Sql::connect(db).await;
    let before = sql.scan(&needles).await;
    for n in [WHATSAPP, LINKEDIN_SLUG, IN_WORDS[1], OUT_WORDS] {
        assert!(
            before.iter().any(|f| f.needle == n),
            "{n:?} should be there before:\n{}",
            listed(&before)
        );
    }
    let (s, v) = erase(&d, "lead-z", "erase=true", OP).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    d.drain().await;
    let after = sql.scan(&needles).await;
    assert!(
        after.is_empty(),
        "personal data of the erased lead left behind:\n{}",
        listed(&after)
    );
    sql.close().await;
    verify(db).passed();
}
