//! Black-box tests of the tamper-evident record (README "Privacy and the tamper-evident
//! record"): decisions, DNC entries, audit-log rows and registry imports are sealed into hash
//! chains (one per workspace, registry imports in `*`); `touchgate audit verify` walks them and
//! exits 1 naming the first row or link that does not match; `touchgate audit export` writes
//! every link with the content it covers and an anchor line (heads, root) that `audit verify
//! --export` checks alone and `audit verify --anchor` holds the database to later.
//!
//! The record is made through the API (sends, a hold, an override, a DNC block, a DNC entry
//! added and removed, a registry import, an account settings change); the attacks are direct
//! SQL to the test database ([`touchgate_tests::sql`]), as someone with write access to it
//! would make them. Each tamper is undone afterwards and `audit verify` passes again, so each
//! failure is shown to come from that tamper alone. Each test runs the real daemon on SQLite and
//! on PostgreSQL with a fake clock.

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
use touchgate_tests::audit::{
    anchored_head, export, root_of, verify, verify_anchored, verify_export,
};
use touchgate_tests::seed::{ana, person, sms};
use touchgate_tests::sql::Sql;
use touchgate_tests::tamper::{
    hashed_like_an_erasure, link_at, link_of, middle, sha256_link, stash, swap_links, unstash,
};
use touchgate_tests::touches::{id_of, sms_from};
use touchgate_tests::{Daemon, Database, OP, SVC};

touchgate_tests::both_databases!(
    every_tamper_is_named_and_undoing_it_verifies_again,
    an_export_verifies_alone_and_an_altered_line_fails,
    an_anchor_catches_history_truncated_and_recomputed,
    verify_and_export_hold_while_the_daemon_seals,
);

/// Bo (`lead-8`), whose number is on the DNC list.
const BO_PHONE: &str = "+14155550188";

/// What the record holds after [`record`].
struct Record {
    /// The default workspace's chain.
    ws: String,
    /// The touch held by the hourly cap and released by an override.
    overridden: String,
    /// The DNC entry on Bo's number (blocking) and the one added and removed again.
    dnc_blocking: String,
    dnc_removed: String,
}

/// A daemon with the dispatch loop off, and a record of every kind of sealed row, drained
/// (so sealed).
async fn record(db: &Database) -> (Daemon, Record) {
    let d = Daemon::builder(db).manual_dispatch().start().await;
    d.seed_account(
        OP,
        "sdr-1",
        json!({"status": "active", "limits": {"sms": {"hourly": 1}}}),
    )
    .await;
    d.seed_lead(SVC, "lead-7", &ana()).await;
    d.seed_lead(SVC, "lead-8", &person("bo@example.com", 188))
        .await;

    // A send, a hold by the cap, and the hold released by an override.
    d.sent(sms("first")).await;
    let held = d.held(sms("second"), "hourly_limit").await;
    let (s, v) = d
        .post(
            &format!("/v1/touches/{}/override", id_of(&held)),
            OP,
            json!({"waive": ["hourly_limit"], "reason": "CEO asked", "added_by": "ops@acme"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["allowed"], true, "{v}");

    // A DNC entry that blocks a touch (a decision quoting it), one added and removed again.
    let blocking = d.add_dnc(BO_PHONE, "customer_request").await;
    let t = d.send(sms_from("to-bo", "sdr-1", "lead-8")).await;
    assert_eq!(
        (&t["status"], &t["reason"]),
        (&json!("blocked"), &json!("dnc_listed")),
        "{t}"
    );
    let removed = d.add_dnc("+14155550199", "customer_request").await;
    let (s, v) = d
        .call(
            reqwest::Method::DELETE,
            &format!(
                "/v1/dnc/{}?reason=added%20by%20mistake",
                removed["id"].as_str().unwrap()
            ),
            Some(OP),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // A registry import (the global chain) and an account settings change (an audit row).
    d.import(
        "national",
        "mode=full&as_of=2026-11-20",
        "4155550101\n4155550102\n",
    )
    .await;
    let (s, v) = d
        .put(
            "/v1/accounts/sdr-1",
            OP,
            json!({"status": "active", "limits": {"sms": {"hourly": 5}}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    d.drain().await;

    let sql = Sql::connect(db).await;
    let ws = sql
        .text(
            "SELECT workspace FROM chain_heads WHERE workspace <> '*'",
            &[],
        )
        .await;
    sql.close().await;
    let r = Record {
        ws,
        overridden: id_of(&held).to_owned(),
        dnc_blocking: blocking["id"].as_str().unwrap().to_owned(),
        dnc_removed: removed["id"].as_str().unwrap().to_owned(),
    };
    (d, r)
}

/// `chain <ws>, link <n> (<source> <key>)`: how `audit verify` names a row at its link.
fn at(ws: &str, n: i64, source: &str, key: &str) -> String {
    format!("chain {ws}, link {n} ({source} {key})")
}

async fn every_tamper_is_named_and_undoing_it_verifies_again(db: &Database) {
    let (_d, r) = record(db).await;
    let sql = Sql::connect(db).await;
    let links = verify(db).passed();
    let ws = r.ws.as_str();
    let head = sql
        .int("SELECT n FROM chain_heads WHERE workspace = $1", &[ws])
        .await;
    assert!(head >= 10, "decisions, DNC rows, audit rows: {head} links");
    assert_eq!(
        links as i64,
        sql.int("SELECT COUNT(*) FROM chain_links", &[]).await,
        "every link is verified"
    );
    for table in ["decisions", "dnc", "audit_log", "registry_imports"] {
        let unsealed = format!("SELECT COUNT(*) FROM {table} WHERE sealed IS NULL");
        assert_eq!(
            sql.int(&unsealed, &[]).await,
            0,
            "{table}: drained, so sealed"
        );
    }

    // 1. A decision's reason edited: the DNC block made to look like an allowed send.
    let seq = sql
        .text(
            "SELECT CAST(seq AS TEXT) FROM decisions WHERE reason = 'dnc_listed'",
            &[],
        )
        .await;
    let n = link_of(&sql, "decision", &seq).await;
    assert!(n < head, "a link in the middle");
    sql.exec(
        "UPDATE decisions SET reason = NULL, allowed = 1 WHERE CAST(seq AS TEXT) = $1",
        &[&seq],
    )
    .await;
    verify(db).failed_naming(&[&at(ws, n, "decision", &seq), "edited"]);
    sql.exec(
        "UPDATE decisions SET reason = 'dnc_listed', allowed = 0 WHERE CAST(seq AS TEXT) = $1",
        &[&seq],
    )
    .await;
    verify(db).passed();

    // 2. The override's reason rewritten (the override is in the decision's content).
    let seq = sql
        .text(
            "SELECT CAST(seq AS TEXT) FROM decisions WHERE touch_id = $1 AND override IS NOT NULL",
            &[&r.overridden],
        )
        .await;
    let n = link_of(&sql, "decision", &seq).await;
    let original = sql
        .text(
            "SELECT override FROM decisions WHERE CAST(seq AS TEXT) = $1",
            &[&seq],
        )
        .await;
    assert!(original.contains("CEO asked"), "{original}");
    let forged = original.replace("CEO asked", "legal approved");
    sql.exec(
        "UPDATE decisions SET override = $1 WHERE CAST(seq AS TEXT) = $2",
        &[&forged, &seq],
    )
    .await;
    verify(db).failed_naming(&[&at(ws, n, "decision", &seq)]);
    sql.exec(
        "UPDATE decisions SET override = $1 WHERE CAST(seq AS TEXT) = $2",
        &[&original, &seq],
    )
    .await;
    verify(db).passed();

    // 3. A decision in the middle deleted.
    let (n, seq) = middle(&sql, ws, "decision", head).await;
    let keep = stash(&sql, "decisions", &format!("seq = {seq}")).await;
    sql.exec(
        "DELETE FROM decisions WHERE CAST(seq AS TEXT) = $1",
        &[&seq],
    )
    .await;
    verify(db).failed_naming(&[&at(ws, n, "decision", &seq), "gone"]);
    unstash(&sql, "decisions", &keep).await;
    verify(db).passed();

    // 4. A link in the middle deleted (its row kept).
    let (n, _) = middle(&sql, ws, "decision", head).await;
    let cond = format!("workspace = '{ws}' AND n = {n}");
    let keep = stash(&sql, "chain_links", &cond).await;
    sql.exec(&format!("DELETE FROM chain_links WHERE {cond}"), &[])
        .await;
    verify(db).failed_naming(&[&format!("chain {ws}, link {n}: link {n} is missing")]);
    unstash(&sql, "chain_links", &keep).await;
    verify(db).passed();

    // 5. The blocking DNC row edited: its reason, then its contact.
    let id = r.dnc_blocking.as_str();
    let n = link_of(&sql, "dnc", id).await;
    for (column, forged, original) in [
        ("reason", "internal_policy", "customer_request"),
        ("contact", "+14155550100", BO_PHONE),
    ] {
        let edit = format!("UPDATE dnc SET {column} = $1 WHERE id = $2");
        sql.exec(&edit, &[forged, id]).await;
        verify(db).failed_naming(&[&at(ws, n, "dnc", id), "edited"]);
        sql.exec(&edit, &[original, id]).await;
        verify(db).passed();
    }

    // 6. A link's hash altered, then two links swapped (the chain reordered).
    let (n, _) = middle(&sql, ws, "decision", head).await;
    let n_text = n.to_string();
    let hash = sql
        .text(
            "SELECT hash FROM chain_links WHERE workspace = $1 AND CAST(n AS TEXT) = $2",
            &[ws, &n_text],
        )
        .await;
    let set_hash = "UPDATE chain_links SET hash = $1 WHERE workspace = $2 AND CAST(n AS TEXT) = $3";
    sql.exec(set_hash, &[&"0".repeat(64), ws, &n_text]).await;
    verify(db).failed_naming(&[&format!("chain {ws}, link {n} (")]);
    sql.exec(set_hash, &[&hash, ws, &n_text]).await;
    verify(db).passed();

    let (a, b) = (link_at(&sql, ws, n).await, link_at(&sql, ws, n + 1).await);
    swap_links(&sql, ws, n, &a, &b).await;
    verify(db).failed_naming(&[&at(ws, n, &b.0, &b.1)]);
    swap_links(&sql, ws, n, &b, &a).await;
    verify(db).passed();

    // 7. A DNC entry closed behind the audit log's back (no `dnc_remove` row), then deleted.
    let id = r.dnc_blocking.as_str();
    sql.exec(
        "UPDATE dnc SET removed_at = 1790000000000, removed_by = 'mallory', removed_reason = 'x' WHERE id = $1",
        &[id],
    )
    .await;
    verify(db).failed_naming(&[&format!("(dnc {id})"), "no removal recorded"]);
    sql.exec(
        "UPDATE dnc SET removed_at = NULL, removed_by = NULL, removed_reason = NULL WHERE id = $1",
        &[id],
    )
    .await;
    verify(db).passed();
    let keep = stash(&sql, "dnc", &format!("id = '{id}'")).await;
    sql.exec("DELETE FROM dnc WHERE id = $1", &[id]).await;
    verify(db).failed_naming(&[&at(ws, link_of(&sql, "dnc", id).await, "dnc", id), "gone"]);
    unstash(&sql, "dnc", &keep).await;
    verify(db).passed();
    // The lawful removal, by contrast, left its audit row and verifies (checked above).
    assert!(
        sql.int(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'dnc_remove' AND subject = $1",
            &[&r.dnc_removed],
        )
        .await
            == 1
    );

    // 8. The account settings change rewritten in the audit log.
    let seq = sql
        .text(
            "SELECT CAST(seq AS TEXT) FROM audit_log WHERE action = 'account_put' AND detail LIKE '%\"hourly\":5%'",
            &[],
        )
        .await;
    let n = link_of(&sql, "audit", &seq).await;
    let original = sql
        .text(
            "SELECT detail FROM audit_log WHERE CAST(seq AS TEXT) = $1",
            &[&seq],
        )
        .await;
    let set = "UPDATE audit_log SET detail = $1 WHERE CAST(seq AS TEXT) = $2";
    sql.exec(
        set,
        &[&original.replace("\"hourly\":5", "\"hourly\":500"), &seq],
    )
    .await;
    verify(db).failed_naming(&[&at(ws, n, "audit", &seq), "edited"]);
    sql.exec(set, &[&original, &seq]).await;
    verify(db).passed();

    // 9. The registry import's summary edited: named in the global chain.
    let id = sql.text("SELECT id FROM registry_imports", &[]).await;
    let n = link_of(&sql, "registry_import", &id).await;
    sql.exec(
        "UPDATE registry_imports SET added = added + 1000 WHERE id = $1",
        &[&id],
    )
    .await;
    verify(db).failed_naming(&[&at("*", n, "registry_import", &id), "edited"]);
    sql.exec(
        "UPDATE registry_imports SET added = added - 1000 WHERE id = $1",
        &[&id],
    )
    .await;
    verify(db).passed();

    // 10. The configuration the daemon started with, recorded in the global chain, edited.
    let seq = sql
        .text(
            "SELECT CAST(seq AS TEXT) FROM audit_log WHERE workspace = '*' AND action = 'config_loaded'",
            &[],
        )
        .await;
    let n = link_of(&sql, "audit", &seq).await;
    let set = "UPDATE audit_log SET detail = $1 WHERE CAST(seq AS TEXT) = $2";
    let original = sql
        .text(
            "SELECT detail FROM audit_log WHERE CAST(seq AS TEXT) = $1",
            &[&seq],
        )
        .await;
    sql.exec(set, &[r#"{"path":"daemon.toml","sha256":"forged"}"#, &seq])
        .await;
    verify(db).failed_naming(&[&at("*", n, "audit", &seq), "edited"]);
    sql.exec(set, &[&original, &seq]).await;
    verify(db).passed();

    // 11. The chain's head deleted (so that no walk starts there), a row edited under it; then
    // the last link deleted with the head left as it was.
    let keep = stash(&sql, "chain_heads", &format!("workspace = '{ws}'")).await;
    sql.exec("DELETE FROM chain_heads WHERE workspace = $1", &[ws])
        .await;
    let id = r.dnc_blocking.as_str();
    sql.exec(
        "UPDATE dnc SET reason = 'internal_policy' WHERE id = $1",
        &[id],
    )
    .await;
    verify(db).failed_naming(&[&format!("chain {ws}: the chain has links but no head")]);
    sql.exec(
        "UPDATE dnc SET reason = 'customer_request' WHERE id = $1",
        &[id],
    )
    .await;
    unstash(&sql, "chain_heads", &keep).await;
    verify(db).passed();
    let cond = format!("workspace = '{ws}' AND n = {head}");
    let keep = stash(&sql, "chain_links", &cond).await;
    sql.exec(&format!("DELETE FROM chain_links WHERE {cond}"), &[])
        .await;
    verify(db).failed_naming(&[
        &format!("chain {ws}, link {}", head - 1),
        &format!("its head records link {head}"),
    ]);
    unstash(&sql, "chain_links", &keep).await;
    verify(db).passed();

    // 12. The blocking entry's number "erased" with no erasure recorded: its commitment, and so
    // its link, is unchanged — the records are what show it.
    let id = r.dnc_blocking.as_str();
    let hashed = hashed_like_an_erasure(&sql, BO_PHONE).await;
    sql.exec("UPDATE dnc SET contact = $1 WHERE id = $2", &[&hashed, id])
        .await;
    verify(db).failed_naming(&[&format!("(dnc {id})"), "no recorded erasure lists"]);
    sql.exec("UPDATE dnc SET contact = $1 WHERE id = $2", &[BO_PHONE, id])
        .await;
    verify(db).passed();

    // 13. A DNC row slipped in marked sealed, with no link.
    sql.exec(
        "INSERT INTO dnc (workspace, id, contact, channel, reason, created_at, sealed) \
         VALUES ($1, 'forged-row', '+14155550177', 'all', 'customer_request', 1764093600000, 1)",
        &[ws],
    )
    .await;
    verify(db).failed_naming(&["(dnc forged-row)", "no link covers it"]);
    sql.exec("DELETE FROM dnc WHERE id = 'forged-row'", &[])
        .await;
    assert_eq!(verify(db).passed(), links);
    sql.close().await;
}

async fn an_export_verifies_alone_and_an_altered_line_fails(db: &Database) {
    let (_d, r) = record(db).await;
    let ws = r.ws.as_str();
    let links = verify(db).passed();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.jsonl");
    let text = export(db, &path);
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    assert_eq!(
        lines.len() as u64,
        links + 1,
        "a line per link and the anchor"
    );
    assert!(anchored_head(&text, ws) > 0);
    assert!(anchored_head(&text, "*") > 0, "the registry import's chain");
    let anchor: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    let heads = anchor["heads"].as_array().unwrap();
    assert_eq!(anchor["root"], json!(root_of(heads)), "the root: {anchor}");
    // Personal data enters the chain as keyed commitments: Bo's number, quoted by his DNC row
    // and by the decision that blocked him, is not in the export.
    assert!(
        text.contains("\"reason\\\":\\\"dnc_listed\\\""),
        "the DNC block is exported"
    );
    assert!(!text.contains("4155550188"), "{text}");
    assert_eq!(verify_export(db, &path).passed(), links);

    let write = |name: &str, lines: &[String]| {
        let p = dir.path().join(name);
        std::fs::write(&p, lines.join("\n") + "\n").unwrap();
        p
    };
    // The DNC block's line, made to say it was allowed.
    let i = lines
        .iter()
        .position(|l| l.contains("\"reason\\\":\\\"dnc_listed\\\""))
        .unwrap();
    let link: Value = serde_json::from_str(&lines[i]).unwrap();
    let row = format!("decision {}", link["source_key"].as_str().unwrap());
    let mut forged = link.clone();
    let content = link["content"]
        .as_str()
        .unwrap()
        .replace("\"reason\":\"dnc_listed\"", "\"reason\":null")
        .replace("\"allowed\":0", "\"allowed\":1");
    forged["content"] = json!(content);
    let mut altered = lines.clone();
    altered[i] = forged.to_string();
    let v = verify_export(db, &write("content.jsonl", &altered));
    v.failed_naming(&[
        &format!("chain {ws}, link {} ({row}): line {}", link["n"], i + 1),
        "content does not match",
    ]);

    // The same with its hash recomputed: the next link no longer follows it.
    forged["hash"] = json!(sha256_link(link["prev"].as_str().unwrap(), &content));
    altered[i] = forged.to_string();
    let next: Value = serde_json::from_str(&lines[i + 1]).unwrap();
    assert_eq!(next["chain"], ws, "the forged link is not the chain's last");
    let v = verify_export(db, &write("rehashed.jsonl", &altered));
    v.failed_naming(&[
        &format!("link {}", next["n"]),
        &format!("line {}", i + 2),
        "does not follow",
    ]);

    // A line removed from the middle.
    let mut cut = lines.clone();
    cut.remove(i);
    let v = verify_export(db, &write("cut.jsonl", &cut));
    v.failed_naming(&[&format!("line {}", i + 1), "expected link"]);

    // The anchor line dropped, or its root altered.
    let v = verify_export(db, &write("no-anchor.jsonl", &lines[..lines.len() - 1]));
    v.failed_naming(&["no anchor line"]);
    let mut anchor: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    anchor["root"] = json!("0".repeat(64));
    let mut bad_root = lines.clone();
    *bad_root.last_mut().unwrap() = anchor.to_string();
    let v = verify_export(db, &write("root.jsonl", &bad_root));
    v.failed_naming(&["root does not match"]);

    // The anchor made to leave out the global chain, its root recomputed to match.
    let mut partial: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    let heads: Vec<Value> = partial["heads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["workspace"] != "*")
        .cloned()
        .collect();
    partial["root"] = json!(root_of(&heads));
    partial["heads"] = json!(heads);
    let mut dropped = lines.clone();
    *dropped.last_mut().unwrap() = partial.to_string();
    let v = verify_export(db, &write("partial.jsonl", &dropped));
    v.failed_naming(&["chain *: the export has links of a chain its anchor does not name"]);

    // The untouched file still verifies.
    assert_eq!(verify_export(db, &path).passed(), links);

    // A chain with a head and no link yet (what the sealer leaves when a batch found nothing
    // new to link): the export names its empty head, and the file still verifies.
    let sql = Sql::connect(db).await;
    sql.exec(
        "INSERT INTO chain_heads (workspace, n, hash) VALUES ('quiet', 0, $1)",
        &[&"0".repeat(64)],
    )
    .await;
    sql.close().await;
    assert_eq!(verify(db).passed(), links);
    let path = dir.path().join("with-empty-chain.jsonl");
    let text = export(db, &path);
    assert_eq!(anchored_head(&text, "quiet"), 0);
    assert_eq!(verify_export(db, &path).passed(), links);
}

async fn an_anchor_catches_history_truncated_and_recomputed(db: &Database) {
    let (d, r) = record(db).await;
    let ws = r.ws.as_str();
    let dir = tempfile::tempdir().unwrap();
    let anchor = dir.path().join("anchor.jsonl");
    let anchored = anchored_head(&export(db, &anchor), ws);
    verify_anchored(db, &anchor).passed();

    // History after the anchor extends it.
    d.sent(sms("third")).await;
    d.add_dnc("+14155550166", "customer_request").await;
    d.drain().await;
    let sql = Sql::connect(db).await;
    let head = sql
        .int("SELECT n FROM chain_heads WHERE workspace = $1", &[ws])
        .await;
    assert!(
        head > anchored,
        "{head} links after the anchor's {anchored}"
    );
    verify_anchored(db, &anchor).passed();

    // The attack: the chain cut after its first decision, one later decision deleted and the
    // DNC block rewritten as allowed, and the rest sealed again by the daemon's own sealer.
    let decisions: Vec<(i64, String)> = {
        use sqlx::Row;
        sql.rows(
            "SELECT n, source_key FROM chain_links WHERE workspace = $1 AND source = 'decision' ORDER BY n",
            &[ws],
        )
        .await
        .iter()
        .map(|r| (r.try_get::<i64, _>(0).unwrap(), r.try_get::<String, _>(1).unwrap()))
        .collect()
    };
    let cut = decisions[0].0;
    let blocked = sql
        .text(
            "SELECT CAST(seq AS TEXT) FROM decisions WHERE reason = 'dnc_listed'",
            &[],
        )
        .await;
    let (deleted_n, deleted) = decisions
        .iter()
        .find(|(n, k)| *n > cut && *n <= anchored && *k != blocked)
        .cloned()
        .unwrap();
    assert!(link_of(&sql, "decision", &blocked).await > cut);
    let unseal = |table: &str, key: &str, source: &str| {
        format!(
            "UPDATE {table} SET sealed = NULL WHERE CAST({key} AS TEXT) IN \
             (SELECT source_key FROM chain_links WHERE workspace = '{ws}' AND source = '{source}' AND n > {cut})"
        )
    };
    sql.batch(&[
        unseal("decisions", "seq", "decision"),
        unseal("dnc", "id", "dnc"),
        unseal("audit_log", "seq", "audit"),
        format!("DELETE FROM chain_links WHERE workspace = '{ws}' AND n > {cut}"),
        format!(
            "UPDATE chain_heads SET n = {cut}, hash = (SELECT hash FROM chain_links \
             WHERE workspace = '{ws}' AND n = {cut}) WHERE workspace = '{ws}'"
        ),
        format!("DELETE FROM decisions WHERE seq = {deleted}"),
        format!("UPDATE decisions SET reason = NULL, allowed = 1 WHERE seq = {blocked}"),
    ])
    .await;
    assert!(deleted_n <= anchored);
    d.drain().await;
    sql.close().await;

    // Against the database alone the rewritten chain holds together (what the chain cannot
    // prove, README): the anchor kept outside is what shows it was rewritten.
    verify(db).passed();
    verify_anchored(db, &anchor).failed_naming(&[
        &format!("chain {ws}, link {anchored}"),
        "no longer extends the head anchored",
    ]);
}

async fn verify_and_export_hold_while_the_daemon_seals(db: &Database) {
    let (d, r) = record(db).await;
    // A thousand more decisions (the cap holds most of them): a chain long enough that a walk
    // takes a while.
    let many: Vec<Value> = (0..1000).map(|i| sms(&format!("bulk-{i}"))).collect();
    let (s, v) = d
        .post("/v1/touches/batch", SVC, json!({ "touches": many }))
        .await;
    assert!(s.is_success(), "{v}");
    d.drain().await;
    let before = verify(db).passed();
    assert!(before > 1000, "{before} links");

    // Meanwhile the daemon keeps writing and sealing (a DNC entry and its audit row, drained).
    let d = std::sync::Arc::new(d);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (d, stop) = (d.clone(), stop.clone());
        tokio::spawn(async move {
            let mut i = 0_u32;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                d.add_dnc(&format!("+1415556{:04}", i % 10_000), "customer_request")
                    .await;
                d.drain().await;
                i += 1;
            }
            i
        })
    };
    let dir = tempfile::tempdir().unwrap();
    for round in 0..8 {
        let v = verify(db);
        assert_eq!(v.code, Some(0), "round {round}, while sealing:\n{v}");
        let path = dir.path().join(format!("export-{round}.jsonl"));
        export(db, &path);
        let v = verify_export(db, &path);
        assert_eq!(
            v.code,
            Some(0),
            "round {round}, an export made while sealing:\n{v}"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let written = writer.await.unwrap();
    assert!(written > 0);
    d.drain().await;
    let after = verify(db).passed();
    assert!(
        after > before,
        "{after} links after {before} ({} chain)",
        r.ws
    );
}
