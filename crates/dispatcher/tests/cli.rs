//! The operator CLI: `touchgate migrate | evaluate | dnc add|list|remove | touches list`, run as
//! a process against a fresh SQLite file, as an operator would.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use chrono::Utc;
use dispatcher::domain::{AccountBody, LeadBody};
use dispatcher::store::{NewTouch, Store};

fn touchgate(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_touchgate"))
        .args(args)
        .current_dir(dir)
        .env(
            "TOUCHGATE_DATABASE_URL",
            format!("sqlite://{}/t.db", dir.display()),
        )
        .env_remove("TOUCHGATE_CONFIG")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[tokio::test]
async fn operator_commands_work_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(ok(&touchgate(d, &["migrate"], None)).contains("up to date"));

    // Facts through the storage seam, as the API would have stored them.
    let store = Store::connect(&format!("sqlite://{}/t.db", d.display()), 2)
        .await
        .unwrap();
    let account: AccountBody = serde_json::from_str(r#"{"status":"active"}"#).unwrap();
    store
        .put_account("default", "sdr-1", &account, Utc::now())
        .await
        .unwrap();
    let mut lead: LeadBody = serde_json::from_str(
        r#"{"phone":"(415) 555-0123","email":"Ana@Example.com","timezone":"America/Los_Angeles",
            "consents":[{"channel":"sms","purpose":"marketing","granted_at":"2026-01-01T00:00:00Z"}]}"#,
    )
    .unwrap();
    let contacts = lead.normalise("US").unwrap();
    store
        .put_lead("default", "lead-7", &lead, &contacts, Utc::now())
        .await
        .unwrap();

    // evaluate: a touch on stdin, the decision on stdout; 03:12 in Los Angeles.
    let touch = r#"{"account_id":"sdr-1","lead_id":"lead-7","channel":"sms","content":{"body":"Hi"},"at":"2026-11-26T11:12:00Z"}"#;
    let decision: serde_json::Value =
        serde_json::from_str(&ok(&touchgate(d, &["evaluate"], Some(touch)))).unwrap();
    assert_eq!(decision["allowed"], false);
    assert_eq!(decision["reason"], "quiet_hours");
    assert_eq!(decision["retry_after"], "2026-11-26T16:00:00Z");

    // dnc add (a national number, normalised), list, then evaluate sees it.
    let added: serde_json::Value = serde_json::from_str(&ok(&touchgate(
        d,
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
    let listed = ok(&touchgate(d, &["dnc", "list", "+1 415 555 0123"], None));
    assert!(listed.contains(&id), "{listed}");
    let noon = r#"{"account_id":"sdr-1","lead_id":"lead-7","channel":"email","content":{"body":"Hi"},"at":"2026-11-25T18:00:00Z"}"#;
    let decision: serde_json::Value =
        serde_json::from_str(&ok(&touchgate(d, &["evaluate"], Some(noon)))).unwrap();
    assert_eq!(decision["reason"], "dnc_listed");

    // Bad input names what is wrong and changes nothing.
    let bad = touchgate(d, &["dnc", "add", "not-a-number"], None);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("contact"));
    let bad = touchgate(d, &["dnc", "add", "+14155550123", "--channel", "fax"], None);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--channel"));

    // remove needs a reason, is audited, and lifts the block.
    let no_reason = touchgate(d, &["dnc", "remove", &id], None);
    assert!(!no_reason.status.success());
    ok(&touchgate(
        d,
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
    assert!(!ok(&touchgate(d, &["dnc", "list"], None)).contains(&id));
    let decision: serde_json::Value =
        serde_json::from_str(&ok(&touchgate(d, &["evaluate"], Some(noon)))).unwrap();
    assert_eq!(decision["allowed"], true);

    // touches list, JSON lines and CSV.
    let now = Utc::now();
    for i in 0..3 {
        store
            .create_touch(&NewTouch {
                workspace: "default".into(),
                id: format!("t-{i}"),
                idempotency_key: format!("k-{i}"),
                request: serde_json::from_str(r#"{"account_id":"sdr-1","lead_id":"lead-7","channel":"email","campaign_id":"seq42","step":1}"#).unwrap(),
                next_attempt_at: now,
                deadline: now + chrono::Duration::days(7),
                now,
            })
            .await
            .unwrap();
    }
    let csv = ok(&touchgate(
        d,
        &["touches", "list", "--csv", "--status", "queued"],
        None,
    ));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,lead,channel,account,status,reason,retry_after,decided_at,campaign,step"
    );
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.contains(",lead-7,email,sdr-1,queued,") && l.ends_with(",seq42,1"))
    );
    let json = ok(&touchgate(d, &["touches", "list", "--limit", "2"], None));
    assert_eq!(json.lines().count(), 2);
    let bad = touchgate(d, &["touches", "list", "--status", "bogus"], None);
    assert!(!bad.status.success());
}
