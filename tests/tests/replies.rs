//! Black-box tests of "replies stop sequences" (issue 12; contract v2 "Email deliverability
//! and replies" and "Stop on reply" in its precise semantics): a message from a lead that is
//! neither an opt-out, help, an opt-in nor an auto-reply cancels the lead's pending marketing
//! touches of the campaign it answers (`stop_on_reply = "campaign"`, the default), all of them
//! (`"all"`), or none (`"off"`); an out-of-office naming a return date moves them to 00:00 of
//! that day in the lead's zone. Replies arrive at `POST /v1/inbound` (texts) and at the signed
//! inbound email webhook (email, its `In-Reply-To`/`References` naming our Message-ID, which
//! in the sandbox transport is `sandbox-<touch id>`). Each test runs the real daemon on SQLite
//! and on PostgreSQL with a fake clock (2026-11-25T18:00:00Z = 10:00 in Los Angeles).

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
use touchgate_tests::seed::{PHONE, ana};
use touchgate_tests::touches::{message_id_of, touch_body};
use touchgate_tests::{ACME_OP, ACME_SVC, ACME_TOKENS, Daemon, Database, SVC};

touchgate_tests::both_databases!(
    a_text_reply_stops_the_campaign_of_the_last_text_sent_to_that_number,
    an_email_reply_stops_the_campaign_its_headers_name,
    stop_on_reply_all_stops_everything_and_off_nothing,
    opt_outs_help_opt_ins_and_auto_replies_are_not_replies,
    an_out_of_office_return_date_moves_the_sequence_to_that_morning,
);

/// When the pending steps are due (two days after the clock starts) and their deadline.
const LATER: &str = "2026-11-27T18:00:00Z";
const DEADLINE: &str = "2026-12-31T00:00:00Z";

/// A daemon with the dispatch loop off, the webhook secret set, `extra` config tables, and in
/// the default workspace account `sdr-1` and lead `lead-7` (Ana, LA, consent to marketing SMS).
async fn start(db: &Database, extra: &str) -> Daemon {
    let d = touchgate_tests::mail::daemon(db, extra).await;
    d.seed().await;
    d
}

fn touch(key: &str, channel: &str, campaign: &str) -> Value {
    touch_body(key, "sdr-1", "lead-7", channel, campaign)
}

/// A later step, not due before [`LATER`]: created in `token`'s workspace, queued; its id.
async fn pending_in(d: &Daemon, token: &str, body: Value) -> String {
    let mut body = body;
    body["not_before"] = json!(LATER);
    body["deadline"] = json!(DEADLINE);
    let (s, v) = d.post("/v1/touches", token, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

async fn pending(d: &Daemon, key: &str, channel: &str, campaign: &str) -> String {
    pending_in(d, SVC, touch(key, channel, campaign)).await
}

/// A transactional later step of `campaign`.
async fn pending_transactional(d: &Daemon, key: &str, campaign: &str) -> String {
    let mut body = touch(key, "email", campaign);
    body["purpose"] = json!("transactional");
    pending_in(d, SVC, body).await
}

/// `POST /v1/inbound` of a text from `from` with `token`.
async fn text_from(d: &Daemon, token: &str, from: &str, body: &str) -> Value {
    let (s, v) = d
        .post(
            "/v1/inbound",
            token,
            json!({"channel": "sms", "from": from, "body": body}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// An email from Ana with `headers` (each a full line) and `body`, through the webhook.
async fn email_from_ana(d: &Daemon, message_id: &str, headers: &str, body: &str) -> Value {
    let raw = format!(
        "From: Ana Lopez <ana@example.com>\r\nTo: sdr@acme.example\r\nSubject: Re: Hello\r\n\
         Message-ID: <{message_id}@mail.example.com>\r\n{headers}\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    );
    let (s, v) = d.post_email(raw.as_bytes()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// Asserts the touch was cancelled because the lead replied.
async fn assert_stopped(d: &Daemon, id: &str) {
    let t = d.touch(id).await;
    assert_eq!(t["status"], "cancelled", "{t}");
    assert_eq!(t["reason"], "lead_replied", "{t}");
    let last = t["decisions"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "reply", "{t}");
}

/// Asserts the touch is still waiting, due at [`LATER`].
async fn assert_waiting(d: &Daemon, id: &str) {
    assert_waiting_in(d, SVC, id).await;
}

async fn assert_waiting_in(d: &Daemon, token: &str, id: &str) {
    let (s, t) = d.get(&format!("/v1/touches/{id}"), token).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["status"], "queued", "{t}");
    assert_eq!(t["next_attempt_at"], LATER, "{t}");
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

fn cancelled(v: &Value) -> Vec<String> {
    sorted(
        v["cancelled"]
            .as_array()
            .map(|a| a.iter().map(|i| i.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default(),
    )
}

// ---------------------------------------------------------------- campaign

async fn a_text_reply_stops_the_campaign_of_the_last_text_sent_to_that_number(db: &Database) {
    let d = start(db, "").await;
    d.sent(touch("summer-1", "sms", "summer")).await;
    // Sent later: the text a reply to this number answers.
    d.sent(touch("spring-1", "sms", "spring")).await;
    // Sent even later, but by email: not what a text answers.
    d.sent(touch("autumn-1", "email", "autumn")).await;
    let spring_mail = pending(&d, "spring-2", "email", "spring").await;
    let spring_text = pending(&d, "spring-3", "sms", "spring").await;
    let summer = pending(&d, "summer-2", "sms", "summer").await;
    let autumn = pending(&d, "autumn-2", "email", "autumn").await;
    let receipt = pending_transactional(&d, "spring-receipt", "spring").await;

    let v = text_from(&d, SVC, PHONE, "Sounds good, can we talk Thursday at 3?").await;
    assert_eq!(v["intent"], "none", "{v}");
    assert_eq!(
        cancelled(&v),
        sorted(vec![spring_mail.clone(), spring_text.clone()]),
        "{v}"
    );
    assert_stopped(&d, &spring_mail).await;
    assert_stopped(&d, &spring_text).await;
    for other in [&summer, &autumn] {
        assert_waiting(&d, other).await;
    }
    assert_eq!(d.touch(&receipt).await["status"], "queued");

    // A number nothing was ever sent to answers no campaign: nothing is cancelled.
    d.seed_lead(
        SVC,
        "lead-9",
        &touchgate_tests::seed::Lead::in_los_angeles().phone("+14155550199"),
    )
    .await;
    let mut body = touch("lead-9-spring", "email", "spring");
    body["lead_id"] = json!("lead-9");
    let never = pending_in(&d, SVC, body).await;
    let v = text_from(&d, SVC, "+14155550199", "Who is this? Tell me more.").await;
    assert_eq!(v["leads"], json!(["lead-9"]), "{v}");
    assert!(cancelled(&v).is_empty(), "{v}");
    assert_waiting(&d, &never).await;
}

async fn an_email_reply_stops_the_campaign_its_headers_name(db: &Database) {
    let d = start(db, "").await;
    let spring = d.sent(touch("spring-1", "email", "spring")).await;
    // The most recent email: a reply naming the spring one must not stop this campaign.
    let summer = d.sent(touch("summer-1", "email", "summer")).await;
    assert_ne!(message_id_of(&spring), message_id_of(&summer));
    let spring_2 = pending(&d, "spring-2", "sms", "spring").await;
    let summer_2 = pending(&d, "summer-2", "email", "summer").await;

    let in_reply_to = format!("In-Reply-To: <{}>\r\n", message_id_of(&spring));
    let v = email_from_ana(&d, "r1", &in_reply_to, "Thanks, next Tuesday works for me.").await;
    assert_eq!(v["intent"], "none", "{v}");
    assert_eq!(cancelled(&v), vec![spring_2.clone()], "{v}");
    assert_stopped(&d, &spring_2).await;
    assert_waiting(&d, &summer_2).await;

    // `References` alone (a client that drops In-Reply-To), ours among others'.
    let spring_3 = pending(&d, "spring-3", "email", "spring").await;
    let references = format!(
        "References: <thread-start@mail.example.com> <{}>\r\n",
        message_id_of(&spring)
    );
    let v = email_from_ana(&d, "r2", &references, "One more question about pricing.").await;
    assert_eq!(cancelled(&v), vec![spring_3.clone()], "{v}");
    assert_waiting(&d, &summer_2).await;

    // The same message delivered again changes nothing more.
    let spring_4 = pending(&d, "spring-4", "email", "spring").await;
    let v = email_from_ana(&d, "r2", &references, "One more question about pricing.").await;
    assert_eq!(v["replay"], true, "{v}");
    assert_waiting(&d, &spring_4).await;
}

// ---------------------------------------------------------------- all, off

async fn stop_on_reply_all_stops_everything_and_off_nothing(db: &Database) {
    // The default workspace stops everything; workspace `acme` nothing.
    let d = start(
        db,
        &format!(
            "[workspace_defaults]\nstop_on_reply = \"all\"\n\n\
             [workspaces.acme]\nstop_on_reply = \"off\"\n{ACME_TOKENS}"
        ),
    )
    .await;
    d.sent(touch("spring-1", "sms", "spring")).await;
    let spring = pending(&d, "spring-2", "sms", "spring").await;
    let summer = pending(&d, "summer-2", "email", "summer").await;
    let receipt = pending_transactional(&d, "receipt", "summer").await;

    d.seed_account(ACME_OP, "sdr-1", json!({"status": "active"}))
        .await;
    d.seed_lead(ACME_SVC, "lead-7", &ana()).await;
    let acme_spring = pending_in(&d, ACME_SVC, touch("spring-2", "sms", "spring")).await;
    let acme_summer = pending_in(&d, ACME_SVC, touch("summer-2", "email", "summer")).await;

    let v = text_from(&d, SVC, PHONE, "Yes please, send me the details").await;
    assert_eq!(
        cancelled(&v),
        sorted(vec![spring.clone(), summer.clone()]),
        "{v}"
    );
    assert_stopped(&d, &spring).await;
    assert_stopped(&d, &summer).await;
    assert_eq!(d.touch(&receipt).await["status"], "queued");

    let v = text_from(&d, ACME_SVC, PHONE, "Yes please, send me the details").await;
    assert_eq!(v["intent"], "none", "{v}");
    assert!(cancelled(&v).is_empty(), "{v}");
    for id in [&acme_spring, &acme_summer] {
        assert_waiting_in(&d, ACME_SVC, id).await;
    }
}

// ---------------------------------------------------------------- not replies

async fn opt_outs_help_opt_ins_and_auto_replies_are_not_replies(db: &Database) {
    let d = start(db, "").await;
    let mail = d.sent(touch("spring-1", "email", "spring")).await;
    d.sent(touch("spring-text", "sms", "spring")).await;
    let step = pending(&d, "spring-2", "email", "spring").await;

    for (body, intent) in [
        ("HELP", "help"),
        ("START", "opt_in"),
        (
            "Auto-reply: I'm driving with Driving Focus turned on. I'll see your message when I get where I'm going.",
            "auto_reply",
        ),
    ] {
        let v = text_from(&d, SVC, PHONE, body).await;
        assert_eq!(v["intent"], intent, "{body}: {v}");
        assert!(cancelled(&v).is_empty(), "{body}: {v}");
        assert_waiting(&d, &step).await;
    }
    // An out-of-office that names no return date, in the thread of our email.
    let headers = format!(
        "In-Reply-To: <{}>\r\nAuto-Submitted: auto-replied\r\n",
        message_id_of(&mail)
    );
    let v = email_from_ana(
        &d,
        "ooo",
        &headers,
        "I am out of the office with limited access to email.",
    )
    .await;
    assert_eq!(v["intent"], "auto_reply", "{v}");
    assert!(v.get("rescheduled").is_none(), "{v}");
    assert_waiting(&d, &step).await;

    // An opt-out stops the lead through its DNC row, not as a reply.
    let v = text_from(&d, SVC, PHONE, "STOP").await;
    assert_eq!(v["intent"], "opt_out", "{v}");
    assert!(cancelled(&v).is_empty(), "{v}");
    assert_waiting(&d, &step).await;
}

// ---------------------------------------------------------------- out of office

async fn an_out_of_office_return_date_moves_the_sequence_to_that_morning(db: &Database) {
    let d = start(db, "").await;
    let mail = d.sent(touch("spring-1", "email", "spring")).await;
    let spring_2 = pending(&d, "spring-2", "email", "spring").await;
    let summer_2 = pending(&d, "summer-2", "sms", "summer").await;
    // A step whose deadline comes before the return: it waits for its deadline and expires.
    let mut body = touch("spring-3", "sms", "spring");
    body["not_before"] = json!(LATER);
    body["deadline"] = json!("2026-12-05T00:00:00Z");
    let (s, v) = d.create(body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let spring_3 = v["id"].as_str().unwrap().to_owned();

    let headers = format!(
        "In-Reply-To: <{}>\r\nAuto-Submitted: auto-replied\r\n",
        message_id_of(&mail)
    );
    let v = email_from_ana(
        &d,
        "ooo-1",
        &headers,
        "Thank you for your message. I am out of the office until December 14 with limited access to email.",
    )
    .await;
    assert_eq!(v["intent"], "auto_reply", "{v}");
    let mut moved: Vec<String> = v["rescheduled"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|i| i.as_str().unwrap().to_owned())
        .collect();
    moved.sort();
    assert_eq!(
        moved,
        sorted(vec![spring_2.clone(), spring_3.clone()]),
        "{v}"
    );

    // 00:00 on 14 December in Los Angeles.
    let back = "2026-12-14T08:00:00Z";
    let t = d.touch(&spring_2).await;
    assert_eq!(t["status"], "scheduled", "{t}");
    assert_eq!(t["next_attempt_at"], back, "{t}");
    let t = d.touch(&spring_3).await;
    assert_eq!(t["next_attempt_at"], "2026-12-05T00:00:00Z", "{t}");
    assert_waiting(&d, &summer_2).await;

    d.set_clock("2026-12-05T00:00:00Z").await;
    d.drain().await;
    assert_eq!(d.touch(&spring_3).await["status"], "expired");
    assert_eq!(d.touch(&spring_2).await["status"], "scheduled");
    d.set_clock(back).await;
    d.drain().await;
    assert_eq!(d.touch(&spring_2).await["status"], "sent");
}
