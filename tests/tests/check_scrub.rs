//! The check API for other systems (`GET /v1/check`, every answer recorded at
//! `GET /v1/checks`, a litigator's check raising an alert) and scrub before upload
//! (`POST /v1/scrub`, `touchgate scrub`, the runs at `GET /v1/scrubs`), contract v2. Each test
//! runs the real `touchgate serve` binary on a database of its own (SQLite and PostgreSQL) and
//! a fake clock (2026-11-25T18:00:00Z = 10:00 in Los Angeles).

// clippy.toml's allow-*-in-tests covers `#[test]` functions only, not the test bodies the
// both-databases macro calls nor the helpers of this test crate; a failed expectation here
// should panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use reqwest::StatusCode;
use serde_json::{Value, json};
use touchgate_tests::cli::{ok, touchgate};
use touchgate_tests::registries::check_named;
use touchgate_tests::{Daemon, Database, OP, SVC, csv_records, poll};

touchgate_tests::both_databases!(
    check_answers_from_the_contact_alone_and_is_recorded,
    scrub_judges_every_row_through_the_api_and_the_cli,
);

/// A daemon with the dispatch loop off; the lists every test here judges against: the national
/// list, California's, the litigators, and one DNC row of the company's own (returned).
async fn start_with_lists(db: &Database) -> (Daemon, String) {
    let d = Daemon::builder(db)
        .config("[dispatcher]\nenabled = false\n")
        .start()
        .await;
    d.import("national", "as_of=2026-11-20", "4155550123,2021-01-01\n")
        .await;
    d.import("state-CA", "as_of=2026-11-20", "4155550124,2022-02-02\n")
        .await;
    d.import("litigators", "as_of=2026-11-20", "4155550177\n")
        .await;
    let row = d.add_dnc("+14155550155", "customer_request").await;
    (d, row["id"].as_str().unwrap().to_owned())
}

fn assert_bad(status: StatusCode, v: &Value, field: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], field, "{v}");
}

// ---------------------------------------------------------------- the check API

async fn check_answers_from_the_contact_alone_and_is_recorded(db: &Database) {
    let (d, own_row) = start_with_lists(db).await;
    let mut answered = 0;

    // A national listing blocks (no consent is known), the number read in any common format.
    let v = d.check_contact("(415) 555-0123", "call").await;
    answered += 1;
    assert_eq!(v["contact"], "+14155550123", "{v}");
    assert_eq!(v["allowed"], false, "{v}");
    assert_eq!(v["reason"], "dnc_listed", "{v}");
    assert_eq!(
        v["listings"],
        json!([{"registry": "national", "label": "National (USA) 2021-01-01"}]),
        "{v}"
    );
    assert_eq!(
        check_named(&v, "dnc")["detail"],
        "National (USA) 2021-01-01",
        "{v}"
    );
    // Transactional, or email: not the registries' business.
    let (s, v) = d
        .check("contact=%2B14155550123&channel=sms&purpose=transactional")
        .await;
    answered += 1;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["allowed"], true, "{v}");

    let v = d.check_contact("+14155550124", "sms").await;
    answered += 1;
    assert_eq!(v["reason"], "dnc_listed", "{v}");
    assert_eq!(v["listings"][0]["label"], "State (CA) 2022-02-02", "{v}");

    let v = d.check_contact("+14155550155", "call").await;
    answered += 1;
    assert_eq!(v["reason"], "dnc_listed", "{v}");
    assert_eq!(v["listings"], json!([]), "{v}");
    assert!(
        check_named(&v, "dnc")["detail"]
            .as_str()
            .unwrap()
            .contains(&own_row),
        "{v}"
    );

    // A clean number: allowed now; time rules in the number's zones answer with retry_after.
    let v = d.check_contact("+14155550100", "sms").await;
    answered += 1;
    assert_eq!(
        (v["allowed"].as_bool(), &v["reason"]),
        (Some(true), &Value::Null),
        "{v}"
    );
    let (s, v) = d
        .check("contact=%2B14155550100&channel=sms&at=2026-11-26T06:00:00Z")
        .await;
    answered += 1;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["reason"], "quiet_hours", "22:00 in Los Angeles: {v}");
    assert_eq!(v["retry_after"], "2026-11-26T16:00:00Z", "{v}");
    let v = d.check_contact("Ana@Example.com", "email").await;
    answered += 1;
    assert_eq!(
        (v["contact"].as_str(), v["allowed"].as_bool()),
        (Some("ana@example.com"), Some(true)),
        "{v}"
    );

    // Bad questions name the field; they are not answers.
    for q in [
        "channel=call",
        "contact=not-a-number&channel=call",
        "contact=%2B1415&channel=sms",
        "contact=ana%40example.com&channel=call",
    ] {
        let (s, v) = d.check(q).await;
        assert_bad(s, &v, "contact");
    }
    let (s, v) = d.check("contact=%2B14155550100&channel=fax").await;
    assert_bad(s, &v, "channel");
    let (s, v) = d
        .check("contact=%2B14155550100&channel=sms&purpose=sales")
        .await;
    assert_bad(s, &v, "purpose");

    // A litigator is held, and each such check raises an alert.
    let v = d.check_contact("+14155550177", "call").await;
    answered += 1;
    assert_eq!(v["reason"], "litigation_hold", "{v}");
    assert_eq!(
        v["listings"],
        json!([{"registry": "litigators", "label": "Litigators"}]),
        "{v}"
    );
    let (_, v) = d.get("/v1/alerts", OP).await;
    let alerts = v["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{v}");
    assert_eq!(alerts[0]["kind"], "litigation_hold", "{v}");
    assert_eq!(alerts[0]["contact"], "+14155550177", "{v}");
    assert_eq!(alerts[0]["touch_id"], Value::Null, "{v}");
    let v = d.check_contact("+14155550177", "sms").await;
    answered += 1;
    assert_eq!(v["reason"], "litigation_hold", "{v}");
    let (_, v) = d.get("/v1/alerts", OP).await;
    assert_eq!(
        v["alerts"].as_array().unwrap().len(),
        2,
        "one per check: {v}"
    );

    // Every answer is recorded (in batches: poll until the last one is written).
    let checks = poll("every check answer recorded", || async {
        let (s, v) = d.get("/v1/checks", OP).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let rows = v["checks"].as_array().unwrap().clone();
        if rows.len() == answered {
            Ok(rows)
        } else {
            Err(format!("{} of {answered}: {v}", rows.len()))
        }
    })
    .await;
    // (All at the same instant of the fake clock: found by what was asked, not by order.)
    let litigant = checks
        .iter()
        .find(|c| c["contact"] == "+14155550177" && c["channel"] == "sms")
        .expect("the litigator's SMS check");
    assert_eq!(litigant["allowed"], false, "{litigant}");
    assert_eq!(litigant["reason"], "litigation_hold", "{litigant}");
    assert_eq!(litigant["purpose"], "marketing", "{litigant}");
    assert!(
        litigant["actor"]
            .as_str()
            .is_some_and(|a| a.contains("service")),
        "who asked: {litigant}"
    );
    let national = checks
        .iter()
        .find(|c| c["contact"] == "+14155550123" && c["channel"] == "call")
        .expect("the national check");
    assert_eq!(
        national["listings"][0]["label"],
        "National (USA) 2021-01-01"
    );
    let (s, _) = d.get("/v1/checks", SVC).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

// ---------------------------------------------------------------- scrub

/// A CSV with quoted fields (commas, quotes, line breaks), numbers in several formats, a bad
/// one, and each kind of listing.
const LIST: &str = "id,name,phone,note\n\
1,\"Smith, Ana\",(415) 555-0123,\"said \"\"hi\"\"\"\n\
2,\"Bob\nJones\",415.555.0124,plain\n\
3,Carl,+1 415 555 0100,\n\
4,Dee,14155550155,\"row, of ours\"\n\
5,Eve,not a number,\n\
6,Fay,4155550177,litigant\n\
7,Gus,+14155550199,\"multi\nline\"\n";

/// The verdicts `LIST` gets (the DNC row's id is `own_row`): id, reason, detail.
fn expected(own_row: &str) -> Vec<(&'static str, &'static str, String)> {
    vec![
        ("1", "dnc_listed", "National (USA) 2021-01-01".to_owned()),
        ("2", "dnc_listed", "State (CA) 2022-02-02".to_owned()),
        ("3", "", String::new()),
        (
            "4",
            "dnc_listed",
            format!("DNC entry {own_row} (customer_request)"),
        ),
        ("5", "invalid_recipient", "not a phone number".to_owned()),
        ("6", "litigation_hold", "Litigators".to_owned()),
        ("7", "", String::new()),
    ]
}

/// The input rows of `LIST`, as read.
fn input_rows() -> Vec<Vec<String>> {
    csv_records(LIST)
}

async fn scrub_judges_every_row_through_the_api_and_the_cli(db: &Database) {
    let (d, own_row) = start_with_lists(db).await;
    let want = expected(&own_row);
    let input = input_rows();

    let (s, out) = d
        .scrub("phone_column=phone&channel=call&purpose=marketing", LIST)
        .await;
    assert_eq!(s, StatusCode::OK, "{out}");
    let rows = csv_records(&out);
    assert_eq!(rows.len(), input.len(), "every row comes back: {out}");
    assert_eq!(
        rows[0],
        [&input[0][..], &["reason".to_owned(), "detail".to_owned()]].concat()
    );
    for ((row, read), (id, reason, detail)) in rows[1..].iter().zip(&input[1..]).zip(&want) {
        assert_eq!(row[..4], read[..], "input columns kept: {out}");
        assert_eq!(row[0], *id);
        assert_eq!(row[4], *reason, "row {id}: {out}");
        if *reason == "invalid_recipient" {
            assert!(row[5].starts_with(detail.as_str()), "row {id}: {out}");
        } else {
            assert_eq!(row[5], *detail, "row {id}: {out}");
        }
    }

    // Bad requests name the field.
    for q in ["", "phone_column=mobile", "phone_column="] {
        let (s, out) = d.scrub(q, LIST).await;
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_bad(s, &v, "phone_column");
    }
    let res = d
        .req(
            reqwest::Method::POST,
            "/v1/scrub?phone_column=phone",
            Some(SVC),
        )
        .header("content-type", "text/csv")
        .body(LIST)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let runs = poll("the scrub run is recorded", || async {
        let (_, v) = d.get("/v1/scrubs", OP).await;
        let runs = v["scrubs"].as_array().unwrap().clone();
        if runs.is_empty() { Err(v) } else { Ok(runs) }
    })
    .await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    assert_eq!(
        (
            run["rows"].as_u64(),
            run["approved"].as_u64(),
            run["rejected"].as_u64()
        ),
        (Some(7), Some(2), Some(5)),
        "{run}"
    );
    assert_eq!(
        run["by_reason"],
        json!({"dnc_listed": 3, "invalid_recipient": 1, "litigation_hold": 1}),
        "{run}"
    );
    assert_eq!(
        (run["channel"].as_str(), run["purpose"].as_str()),
        (Some("call"), Some("marketing")),
        "{run}"
    );

    // The CLI writes the same verdicts to two files, with the daemon stopped.
    drop(d);
    let dir = tempfile::tempdir().unwrap();
    let (input_path, approved, rejected) = (
        dir.path().join("in.csv"),
        dir.path().join("approved.csv"),
        dir.path().join("rejected.csv"),
    );
    std::fs::write(&input_path, LIST).unwrap();
    let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    ok(&touchgate(
        db,
        &[
            "scrub",
            &path(&input_path),
            "--phone-column",
            "phone",
            "--approved",
            &path(&approved),
            "--rejected",
            &path(&rejected),
        ],
        None,
    ));
    let approved = csv_records(&std::fs::read_to_string(&approved).unwrap());
    assert_eq!(
        approved,
        [input[0].clone(), input[3].clone(), input[7].clone()]
    );
    let rejected = csv_records(&std::fs::read_to_string(&rejected).unwrap());
    let ids: Vec<&str> = rejected[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["1", "2", "4", "5", "6"]);
    for row in &rejected[1..] {
        let (_, reason, detail) = want.iter().find(|(id, _, _)| *id == row[0]).unwrap();
        assert_eq!(row[4], *reason);
        assert!(row[5].starts_with(detail.as_str()), "{row:?}");
        let read = input.iter().find(|r| r[0] == row[0]).unwrap();
        assert_eq!(row[..4], read[..]);
    }

    // The CLI's run is recorded beside the API's.
    let d = Daemon::builder(db)
        .config("[dispatcher]\nenabled = false\n")
        .start()
        .await;
    let (_, v) = d.get("/v1/scrubs", OP).await;
    let runs = v["scrubs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{v}");
    assert!(
        runs.iter()
            .any(|r| r["actor"] == "cli" && r["rejected"] == 5),
        "{v}"
    );
}
