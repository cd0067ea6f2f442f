//! The operator CLI: `touchgate migrate | evaluate | dnc add|list|remove | touches list`, run as
//! a process against the test's database (SQLite and PostgreSQL), as an operator would. The
//! facts it reads are put in place through the API of a daemon on the same database, stopped
//! before the commands run.

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
use touchgate_tests::cli::{fails, ok, touchgate};
use touchgate_tests::seed::{CAMPAIGNS_FOR_CSV, email, sms};
use touchgate_tests::{Daemon, Database, TOUCHES_CSV_HEADER, csv_records};

touchgate_tests::both_databases!(operator_commands_work_end_to_end);

/// Account `sdr-1`, lead `lead-7` (Ana) and queued touches to her: three emails of campaign
/// `seq42`, step 1, and one SMS for each of [`CAMPAIGNS_FOR_CSV`]. Returns the ids of the
/// latter, in that order.
async fn seed(db: &Database) -> Vec<String> {
    let d = Daemon::builder(db)
        .config("[dispatcher]\nenabled = false\n")
        .start()
        .await;
    d.seed().await;
    let create = async |t: Value| {
        let (s, v) = d.create(t).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["id"].as_str().unwrap().to_owned()
    };
    for i in 0..3 {
        let mut t = email(&format!("k-{i}"));
        t["campaign_id"] = json!("seq42");
        t["step"] = json!(1);
        create(t).await;
    }
    let mut tricky = Vec::new();
    for (i, (campaign, _)) in CAMPAIGNS_FOR_CSV.iter().enumerate() {
        let mut t = sms(&format!("csv-{i}"));
        t["campaign_id"] = json!(campaign);
        tricky.push(create(t).await);
    }
    tricky
}

async fn operator_commands_work_end_to_end(db: &Database) {
    assert!(ok(&touchgate(db, &["migrate"], None)).contains("up to date"));
    let tricky = seed(db).await;

    // evaluate: a touch on stdin, the decision on stdout; 03:12 in Los Angeles.
    let touch = r#"{"account_id":"sdr-1","lead_id":"lead-7","channel":"sms","content":{"body":"Hi"},"at":"2026-11-26T11:12:00Z"}"#;
    let decision: Value =
        serde_json::from_str(&ok(&touchgate(db, &["evaluate"], Some(touch)))).unwrap();
    assert_eq!(decision["allowed"], false);
    assert_eq!(decision["reason"], "quiet_hours");
    assert_eq!(decision["retry_after"], "2026-11-26T16:00:00Z");

    // dnc add (a national number, normalised), list, then evaluate sees it.
    let added: Value = serde_json::from_str(&ok(&touchgate(
        db,
        &[
            "dnc",
            "add",
            "(415) 555-0123",
            "--reason",
            "customer_request",
            "--added-by",
            "ops@acme",
        ],
        None,
    )))
    .unwrap();
    assert_eq!(added["contact"], "+14155550123");
    assert_eq!(added["channel"], "*");
    let id = added["id"].as_str().unwrap().to_owned();
    let listed = ok(&touchgate(db, &["dnc", "list", "+1 415 555 0123"], None));
    assert!(listed.contains(&id), "{listed}");
    let noon = r#"{"account_id":"sdr-1","lead_id":"lead-7","channel":"email","content":{"body":"Hi"},"at":"2026-11-25T18:00:00Z"}"#;
    let decision: Value =
        serde_json::from_str(&ok(&touchgate(db, &["evaluate"], Some(noon)))).unwrap();
    assert_eq!(decision["reason"], "dnc_listed");

    // Bad input names what is wrong and changes nothing.
    assert!(fails(&touchgate(db, &["dnc", "add", "not-a-number"], None)).contains("contact"));
    let bad = touchgate(
        db,
        &["dnc", "add", "+14155550123", "--channel", "fax"],
        None,
    );
    assert!(fails(&bad).contains("--channel"));

    // remove needs a reason, is audited, and lifts the block.
    fails(&touchgate(db, &["dnc", "remove", &id], None));
    ok(&touchgate(
        db,
        &[
            "dnc",
            "remove",
            &id,
            "--reason",
            "added by mistake",
            "--by",
            "ops@acme",
        ],
        None,
    ));
    assert!(!ok(&touchgate(db, &["dnc", "list"], None)).contains(&id));
    let decision: Value =
        serde_json::from_str(&ok(&touchgate(db, &["evaluate"], Some(noon)))).unwrap();
    assert_eq!(decision["allowed"], true);

    // touches list, CSV and JSON lines.
    let csv = ok(&touchgate(
        db,
        &[
            "touches",
            "list",
            "--csv",
            "--status",
            "queued",
            "--campaign-id",
            "seq42",
        ],
        None,
    ));
    let rows = csv_records(&csv);
    assert_eq!(rows[0], TOUCHES_CSV_HEADER);
    assert_eq!(rows.len(), 4, "{csv}");
    for row in &rows[1..] {
        assert_eq!(
            row[1..],
            [
                "lead-7", "email", "sdr-1", "queued", "", "", "", "seq42", "1", ""
            ],
            "{csv}"
        );
    }
    let json = ok(&touchgate(db, &["touches", "list", "--limit", "2"], None));
    assert_eq!(json.lines().count(), 2);
    fails(&touchgate(
        db,
        &["touches", "list", "--status", "bogus"],
        None,
    ));

    // Free-text cells are quoted as needed and formula triggers defused; ids as they are.
    let csv = ok(&touchgate(
        db,
        &["touches", "list", "--csv", "--channel", "sms"],
        None,
    ));
    let rows = csv_records(&csv);
    assert_eq!(rows[0], TOUCHES_CSV_HEADER);
    assert_eq!(rows.len(), CAMPAIGNS_FOR_CSV.len() + 1, "{csv}");
    for row in &rows[1..] {
        assert_eq!(row.len(), 11, "{row:?}");
        let i = tricky.iter().position(|id| *id == row[0]).unwrap();
        let (written, cell) = CAMPAIGNS_FOR_CSV[i];
        assert_eq!(row[8], cell, "campaign {written:?}");
        assert_eq!(row[1..5], ["lead-7", "sms", "sdr-1", "queued"]);
    }
}
