//! Black-box tests of bounces and complaints (issue 12, contract v2 "Email deliverability and
//! replies" and its precise semantics) posted to the signed inbound email webhook. The real
//! `touchgate serve` binary on a database of its own (each test on SQLite and on PostgreSQL), a
//! fake clock (2026-11-25T18:00:00Z = 10:00 in Los Angeles), the sandbox transports (a touch's
//! `provider_message_id` is `sandbox-<touch id>`), the dispatch loop off (`POST
//! /v1/dispatch/drain` decides).
//!
//! The delivery status notifications and feedback reports are the dispatcher's corpus of real
//! providers' formats, with the recipient and the returned Message-ID replaced by the ones of
//! the touch under test.

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
use touchgate_tests::mail::corpus::{
    EXIM_BOUNCE, GMAIL_BOUNCE, ODD_CHARSET_REPORT, OUTLOOK_BOUNCE, OUTLOOK_COMPLAINT,
    POSTFIX_BOUNCE, POSTFIX_DELAYED, TRUNCATED_REPORT, YAHOO_COMPLAINT,
};
use touchgate_tests::mail::{daemon, report};
use touchgate_tests::seed::person;
use touchgate_tests::touches::{email_from, id_of, message_id_of, sms_from, timeline};
use touchgate_tests::{ACME_OP, ACME_SVC, ACME_TOKENS, Daemon, Database, OP, SVC};

touchgate_tests::both_databases!(
    permanent_bounces_in_every_format_suppress_the_address_on_email_only,
    a_transient_bounce_is_counted_not_suppressed,
    complaints_suppress_the_contact_on_every_channel,
    broken_foreign_or_mismatched_reports_suppress_nothing,
    a_bounce_for_a_shared_address_suppresses_the_address_not_the_leads,
    a_linked_report_acts_in_the_workspace_of_its_touch,
);

// ---------------------------------------------------------------- set-up

/// The open DNC entries for `contact`, as `(channel, reason)`.
async fn dnc(d: &Daemon, contact: &str) -> Vec<(String, String)> {
    d.dnc_entries(OP, contact)
        .await
        .iter()
        .map(|e| {
            (
                e["channel"].as_str().unwrap().to_owned(),
                e["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------- bounces and complaints

async fn permanent_bounces_in_every_format_suppress_the_address_on_email_only(db: &Database) {
    let d = daemon(db, "").await;
    d.seed_account(OP, "sdr-1", json!({"status": "active"}))
        .await;
    let formats = [
        ("gmail", GMAIL_BOUNCE, "5.1.1"),
        ("outlook", OUTLOOK_BOUNCE, "5.1.10"),
        ("postfix", POSTFIX_BOUNCE, "5.1.1"),
        ("exim", EXIM_BOUNCE, "5.2.1"),
    ];
    let mut first = None;
    for (n, (name, sample, status)) in (0u16..).zip(formats) {
        let lead = format!("lead-{name}");
        let address = format!("{name}-user@example.com");
        d.seed_lead(SVC, &lead, &person(&address, 200 + n)).await;
        let mail = d
            .sent(email_from(&format!("{name}-1"), "sdr-1", &lead))
            .await;

        let v = d
            .post_email_ok(&report(sample, &address, message_id_of(&mail)))
            .await;
        assert_eq!(v["report"], "delivery", "{name}: {v}");
        assert_eq!(v["touch_id"], id_of(&mail), "{name}: {v}");
        assert_eq!(v["recipients"][0]["address"], address, "{name}: {v}");
        assert_eq!(v["recipients"][0]["suppressed"], true, "{name}: {v}");

        assert_eq!(
            dnc(&d, &address).await,
            [("email".to_owned(), "hard_bounce".to_owned())],
            "{name}"
        );
        let after = d.touch(id_of(&mail)).await;
        assert_eq!(
            after["status"], "sent",
            "{name}: the touch itself stays sent"
        );
        let delivery = timeline(&after, "delivery");
        assert_eq!(delivery.len(), 1, "{name}: {after}");
        assert_eq!(delivery[0]["reason"], "hard_bounce", "{name}");
        assert!(
            delivery[0]["detail"].as_str().unwrap().contains(status),
            "{name}: {}",
            delivery[0]
        );

        d.held(
            email_from(&format!("{name}-2"), "sdr-1", &lead),
            "dnc_listed",
        )
        .await;
        d.sent(sms_from(&format!("{name}-sms"), "sdr-1", &lead))
            .await;
        first.get_or_insert((address, mail));
    }

    // The same report again: the address stays suppressed once.
    let (address, mail) = first.unwrap();
    d.post_email_ok(&report(GMAIL_BOUNCE, &address, message_id_of(&mail)))
        .await;
    assert_eq!(dnc(&d, &address).await.len(), 1);
}

async fn a_transient_bounce_is_counted_not_suppressed(db: &Database) {
    let d = daemon(db, "").await;
    d.seed_account(OP, "sdr-1", json!({"status": "active"}))
        .await;
    d.seed_lead(SVC, "lead-7", &person("ana@example.com", 123))
        .await;
    let mail = d.sent(email_from("m1", "sdr-1", "lead-7")).await;

    let v = d
        .post_email_ok(&report(
            POSTFIX_DELAYED,
            "ana@example.com",
            message_id_of(&mail),
        ))
        .await;
    assert_eq!(v["report"], "delivery", "{v}");
    assert_eq!(v["touch_id"], id_of(&mail), "{v}");
    assert_eq!(v["recipients"][0]["suppressed"], false, "{v}");
    let after = d.touch(id_of(&mail)).await;
    let delivery = timeline(&after, "delivery");
    assert_eq!(delivery.len(), 1, "{after}");
    assert_eq!(delivery[0]["reason"], "soft_bounce", "{after}");
    assert!(dnc(&d, "ana@example.com").await.is_empty());
    d.sent(email_from("m2", "sdr-1", "lead-7")).await;
}

async fn complaints_suppress_the_contact_on_every_channel(db: &Database) {
    // `opt_out_scope` is about replies; a complaint keeps its own scope, every channel.
    let d = daemon(db, "[workspace_defaults]\nopt_out_scope = \"channel\"\n").await;
    d.seed_account(OP, "sdr-1", json!({"status": "active"}))
        .await;
    for (n, (lead, address, sample)) in (0u16..).zip([
        ("lead-yahoo", "yahoo-user@example.com", YAHOO_COMPLAINT),
        (
            "lead-outlook",
            "outlook-user@example.com",
            OUTLOOK_COMPLAINT,
        ),
    ]) {
        d.seed_lead(SVC, lead, &person(address, 300 + n)).await;
        let mail = d
            .sent(email_from(&format!("{lead}-1"), "sdr-1", lead))
            .await;

        let v = d
            .post_email_ok(&report(sample, address, message_id_of(&mail)))
            .await;
        assert_eq!(v["report"], "complaint", "{lead}: {v}");
        assert_eq!(v["touch_id"], id_of(&mail), "{lead}: {v}");
        assert_eq!(v["recipient"], address, "{lead}: {v}");
        assert_eq!(v["suppressed"], true, "{lead}: {v}");
        assert_eq!(
            dnc(&d, address).await,
            [("*".to_owned(), "complaint".to_owned())],
            "{lead}"
        );
        let after = d.touch(id_of(&mail)).await;
        assert_eq!(
            timeline(&after, "delivery")[0]["reason"],
            "complaint",
            "{after}"
        );
        // A `*` row on a lead's contact stops the lead on every channel.
        d.held(
            email_from(&format!("{lead}-2"), "sdr-1", lead),
            "dnc_listed",
        )
        .await;
        d.held(
            sms_from(&format!("{lead}-sms"), "sdr-1", lead),
            "dnc_listed",
        )
        .await;
    }
}

async fn broken_foreign_or_mismatched_reports_suppress_nothing(db: &Database) {
    let d = daemon(db, "").await;
    d.seed_account(OP, "sdr-1", json!({"status": "active"}))
        .await;
    d.seed_lead(SVC, "lead-7", &person("ana@example.com", 123))
        .await;
    d.seed_lead(SVC, "lead-8", &person("bob@example.com", 124))
        .await;
    let mail = d.sent(email_from("m1", "sdr-1", "lead-7")).await;
    let ours = message_id_of(&mail);

    // Truncated before its status part: not a report; taken as a message from the mailer
    // daemon (an automatic one), nothing suppressed.
    let v = d.post_email_ok(TRUNCATED_REPORT).await;
    assert_eq!(v["opt_out"], false, "{v}");
    assert_eq!(v["intent"], "auto_reply", "{v}");

    // An odd charset, a recipient no lead has, a Message-ID we never sent: recorded, unlinked.
    let v = d.post_email_ok(ODD_CHARSET_REPORT).await;
    assert_eq!(v["report"], "delivery", "{v}");
    assert_eq!(v["touch_id"], Value::Null, "{v}");
    assert_eq!(v["recipients"][0]["address"], "taro@example.jp", "{v}");
    assert_eq!(v["recipients"][0]["suppressed"], false, "{v}");
    assert!(dnc(&d, "taro@example.jp").await.is_empty());

    // A multipart/report whose status part is nonsense: taken as a message, nothing else.
    let nonsense = "From: MAILER-DAEMON@mail.example.net\r\nTo: sdr@acme.example\r\n\
                    Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
                    --B\r\nContent-Type: message/delivery-status\r\n\r\n\x01\x02 no fields at all\r\n\
                    Status: not.a.code\r\n--B\r\nContent-Type: message/rfc822\r\n\r\n--B--\r\n";
    let v = d.post_email_ok(nonsense).await;
    assert_eq!(v["opt_out"], false, "{v}");

    // The report and the touch it names disagree on the address: nothing is suppressed, not
    // the report's address, not the touch's.
    let v = d
        .post_email_ok(&report(POSTFIX_BOUNCE, "bob@example.com", ours))
        .await;
    assert_eq!(v["recipients"][0]["suppressed"], false, "{v}");
    let v = d
        .post_email_ok(&report(YAHOO_COMPLAINT, "bob@example.com", ours))
        .await;
    assert_eq!(v["suppressed"], false, "{v}");
    for address in ["ana@example.com", "bob@example.com"] {
        assert!(dnc(&d, address).await.is_empty(), "{address}");
    }
    assert!(timeline(&d.touch(id_of(&mail)).await, "delivery").is_empty());

    // Bytes that are no message at all: refused as the contract says (no From), never a crash.
    let (s, v) = d.post_email(b"\xff\xfe\x00garbage\x00\x01").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "From", "{v}");

    // Still serving, still taking reports.
    d.sent(email_from("m2", "sdr-1", "lead-8")).await;
    let (s, _) = d.get("/healthz", OP).await;
    assert_eq!(s, StatusCode::OK);
    let v = d
        .post_email_ok(&report(EXIM_BOUNCE, "ana@example.com", ours))
        .await;
    assert_eq!(v["recipients"][0]["suppressed"], true, "{v}");
}

async fn a_bounce_for_a_shared_address_suppresses_the_address_not_the_leads(db: &Database) {
    let d = daemon(db, "").await;
    d.seed_account(OP, "sdr-1", json!({"status": "active"}))
        .await;
    let shared = "office@example.com";
    d.seed_lead(SVC, "lead-a", &person(shared, 401)).await;
    d.seed_lead(SVC, "lead-b", &person(shared, 402)).await;
    let mail = d.sent(email_from("a-1", "sdr-1", "lead-a")).await;

    let v = d
        .post_email_ok(&report(GMAIL_BOUNCE, shared, message_id_of(&mail)))
        .await;
    assert_eq!(v["recipients"][0]["suppressed"], true, "{v}");
    assert_eq!(
        dnc(&d, shared).await,
        [("email".to_owned(), "hard_bounce".to_owned())]
    );
    for lead in ["lead-a", "lead-b"] {
        d.held(
            email_from(&format!("{lead}-2"), "sdr-1", lead),
            "dnc_listed",
        )
        .await;
        d.sent(sms_from(&format!("{lead}-sms"), "sdr-1", lead))
            .await;
    }

    // A bounce that names no message of ours still suppresses an address our leads have.
    let other = "desk@example.com";
    d.seed_lead(SVC, "lead-c", &person(other, 403)).await;
    d.seed_lead(SVC, "lead-d", &person(other, 404)).await;
    let v = d
        .post_email_ok(&report(
            POSTFIX_BOUNCE,
            other,
            "unknown-1@mail.acme.example",
        ))
        .await;
    assert_eq!(v["touch_id"], Value::Null, "{v}");
    assert_eq!(v["recipients"][0]["suppressed"], true, "{v}");
    assert_eq!(
        dnc(&d, other).await,
        [("email".to_owned(), "hard_bounce".to_owned())]
    );
    for lead in ["lead-c", "lead-d"] {
        d.held(
            email_from(&format!("{lead}-1"), "sdr-1", lead),
            "dnc_listed",
        )
        .await;
        d.sent(sms_from(&format!("{lead}-sms"), "sdr-1", lead))
            .await;
    }
}

async fn a_linked_report_acts_in_the_workspace_of_its_touch(db: &Database) {
    let d = daemon(db, ACME_TOKENS).await;
    let address = "ana@example.com";
    for (op, svc) in [(OP, SVC), (ACME_OP, ACME_SVC)] {
        d.seed_account(op, "sdr-1", json!({"status": "active"}))
            .await;
        d.seed_lead(svc, "lead-7", &person(address, 123)).await;
    }
    let (s, t) = d
        .post(
            "/v1/touches",
            ACME_SVC,
            email_from("acme-1", "sdr-1", "lead-7"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    d.drain_as(ACME_OP).await;
    let (_, mail) = d.get(&format!("/v1/touches/{}", id_of(&t)), ACME_SVC).await;
    assert_eq!(mail["status"], "sent", "{mail}");

    let v = d
        .post_email_ok(&report(POSTFIX_BOUNCE, address, message_id_of(&mail)))
        .await;
    assert_eq!(v["touch_id"], id_of(&mail), "{v}");
    assert_eq!(d.dnc_entries(ACME_OP, address).await.len(), 1);
    // The default workspace's lead with the same address did not bounce anything of ours.
    assert!(dnc(&d, address).await.is_empty());
    d.sent(email_from("default-1", "sdr-1", "lead-7")).await;
}
