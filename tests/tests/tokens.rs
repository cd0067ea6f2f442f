//! Tokens: `touchgate token create|list|revoke` (the secret printed once, only its hash
//! stored), database tokens working on the API and in the console until revoked, audited
//! actions naming the token, and the one operator token a daemon makes on the installation's
//! first start (never again).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use reqwest::{Method, StatusCode};
use serde_json::json;
use touchgate_tests::cli::{fails, ok, touchgate};
use touchgate_tests::console::ConsoleUser;
use touchgate_tests::{Daemon, Database, OP, poll};

touchgate_tests::both_databases!(
    tokens_are_created_listed_used_and_revoked,
    the_first_start_makes_one_operator_token_and_later_starts_none,
);

async fn tokens_are_created_listed_used_and_revoked(db: &Database) {
    let d = Daemon::builder(db).start().await;
    let created = touchgate(
        db,
        &[
            "token",
            "create",
            "--workspace",
            "acme",
            "--role",
            "operator",
            "--name",
            "ci bot",
        ],
        None,
    );
    let secret = ok(&created).trim().to_owned();
    assert!(
        secret.starts_with("tg_op_") && secret.len() > 40,
        "{secret}"
    );
    let svc = ok(&touchgate(
        db,
        &[
            "token",
            "create",
            "--workspace",
            "acme",
            "--role",
            "service",
        ],
        None,
    ))
    .trim()
    .to_owned();
    assert!(svc.starts_with("tg_svc_"), "{svc}");
    let bad = fails(&touchgate(
        db,
        &["token", "create", "--workspace", "acme", "--role", "root"],
        None,
    ));
    assert!(bad.contains("unknown role"), "{bad}");

    let list = ok(&touchgate(db, &["token", "list"], None));
    assert!(!list.contains(&secret) && !list.contains(&svc), "{list}");
    let row = list.lines().find(|l| l.contains("ci bot")).unwrap();
    let cells: Vec<&str> = row.split('\t').collect();
    assert_eq!(&cells[1..4], ["acme", "operator", "ci bot"], "{row}");
    let id = cells[0].to_owned();
    assert!(id.starts_with("tok_"), "{id}");

    // The token works at once on the running daemon, in its workspace and role.
    d.seed_account(&secret, "acme-1", json!({"status": "active"}))
        .await;
    let (s, _) = d.get("/v1/accounts/acme-1", OP).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another workspace's account");
    let (s, _) = d.put("/v1/accounts/acme-2", &svc, json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Audited actions name the token (id and name) beside what the client says.
    let (s, entry) = d
        .post(
            "/v1/dnc",
            &secret,
            json!({"contact": "+14155550111", "reason": "customer_request"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{entry}");
    assert!(
        entry["added_by"]
            .as_str()
            .unwrap()
            .contains(&format!("{id} (ci bot)")),
        "{entry}"
    );
    let res = d
        .req(
            Method::DELETE,
            &format!("/v1/dnc/{}?reason=mistake", entry["id"].as_str().unwrap()),
            Some(&secret),
        )
        .header("x-touchgate-actor", "ops@acme")
        .send()
        .await
        .unwrap();
    let removed: serde_json::Value = res.json().await.unwrap();
    let by = removed["removed_by"].as_str().unwrap();
    assert!(
        by.starts_with("ops@acme via operator token") && by.contains(&id),
        "{by}"
    );

    // A console session of the token ends when the token is revoked; the API refuses it.
    let u = ConsoleUser::login(&d, &secret).await;
    assert!(u.get("/console").await.body.contains("ci bot"));
    ok(&touchgate(db, &["token", "revoke", &id], None));
    let (s, _) = d.get("/v1/accounts/acme-1", &secret).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(u.get("/console").await.status, StatusCode::SEE_OTHER);
    let again = fails(&touchgate(db, &["token", "revoke", &id], None));
    assert!(again.contains("no unrevoked token"), "{again}");
    let list = ok(&touchgate(db, &["token", "list"], None));
    let row = list.lines().find(|l| l.starts_with(&id)).unwrap();
    assert!(!row.ends_with('\t'), "revoked_at is set: {row}");
}

/// The token printed in a daemon's log, if any.
fn printed_token(log: &str) -> Option<String> {
    log.lines()
        .map(str::trim)
        .find(|l| l.starts_with("tg_op_"))
        .map(str::to_owned)
}

async fn the_first_start_makes_one_operator_token_and_later_starts_none(db: &Database) {
    let start = || {
        Daemon::builder(db)
            .env_remove("TOUCHGATE_OPERATOR_TOKEN")
            .env_remove("TOUCHGATE_SERVICE_TOKEN")
            .start()
    };
    let d = start().await;
    let token = poll("the generated token in the log", || async {
        let log = d.log();
        printed_token(&log).ok_or(log)
    })
    .await;
    assert!(d.log().contains("shown only this once"), "{}", d.log());
    let (s, _) = d.put("/v1/accounts/a", &token, json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    drop(d);

    let d = start().await;
    let (s, _) = d.get("/v1/accounts/a", &token).await;
    assert_eq!(s, StatusCode::OK, "the first token still works");
    assert!(printed_token(&d.log()).is_none(), "{}", d.log());
    let list = ok(&touchgate(db, &["token", "list"], None));
    assert_eq!(list.lines().count(), 2, "one token: {list}");
    assert!(!list.contains(&token));
}
