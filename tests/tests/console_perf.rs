//! How fast the console's pages answer for a workspace with 100,000 touches (each with its
//! decision), measured over HTTP against the real daemon. Ignored by default (seeding takes a
//! while); run it with
//! `cargo test --release -p touchgate-tests --test console_perf -- --ignored --nocapture`
//! (`TOUCHGATE_PERF_BACKEND=postgres` for PostgreSQL). The touches are written straight into
//! the database (statuses, reasons, channels, accounts, leads and days spread as a busy
//! workspace has them); the figures are the median of 5 requests per page.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use sqlx::{Connection, Executor};
use touchgate_tests::console::ConsoleUser;
use touchgate_tests::seed::Lead;
use touchgate_tests::{Backend, Daemon, Database, OP, SVC};

const TOUCHES: usize = 100_000;
const LEADS: usize = 500;
const ACCOUNTS: usize = 10;
/// 2026-11-25T18:00:00Z, the harness's clock.
const NOW_MS: i64 = 1_795_629_600_000;

const CHECKS: &str = r#"[{"check":"account_status","passed":true},{"check":"channel_status","passed":true},{"check":"recipient","passed":true},{"check":"dnc","passed":false,"reason":"dnc_listed","detail":"customer_request on * since 2026-11-01"},{"check":"consent","passed":true},{"check":"quiet_hours","passed":true},{"check":"min_gap","passed":true},{"check":"hourly_limit","passed":true},{"check":"daily_limit","passed":true}]"#;

/// (status, reason) of touch `i`.
fn outcome(i: usize) -> (&'static str, Option<&'static str>) {
    match i % 20 {
        0..=11 => ("sent", None),
        12 => ("blocked", Some("dnc_listed")),
        13 => ("blocked", Some("consent_missing")),
        14 => ("blocked", Some("quiet_hours")),
        15 => ("scheduled", Some("hourly_limit")),
        16 => ("scheduled", Some("quiet_hours")),
        17 => ("failed", Some("twilio_21211")),
        18 => ("cancelled", Some("lead_replied")),
        _ => ("queued", None),
    }
}

async fn seed(db: &Database, d: &Daemon) -> String {
    for a in 0..ACCOUNTS {
        d.seed_account(
            OP,
            &format!("sdr-{a}"),
            json!({"status": "active", "limits": {"sms": {"hourly": 100}}}),
        )
        .await;
    }
    for l in 0..LEADS {
        let lead = Lead::in_los_angeles()
            .phone(&format!("+1415555{l:04}"))
            .consent("sms");
        d.seed_lead(SVC, &format!("lead-{l}"), &lead).await;
    }
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(db.url()).await.unwrap();
    let started = Instant::now();
    let channels = ["sms", "email", "call", "whatsapp", "linkedin"];
    let mut some_blocked = String::new();
    for chunk in 0..(TOUCHES / 1000) {
        let mut tx = conn.begin().await.unwrap();
        for j in 0..1000 {
            let i = chunk * 1000 + j;
            // Ids sort by creation, like uuid v7: created over the last 14 days.
            let created =
                NOW_MS - 14 * 86_400_000 + (i as i64) * (14 * 86_400_000 / TOUCHES as i64);
            let id = format!("{created:016x}-{i:08}");
            let (status, reason) = outcome(i);
            let channel = channels[i % channels.len()];
            let account = format!("sdr-{}", i % ACCOUNTS);
            let lead = format!("lead-{}", i % LEADS);
            let request = json!({"idempotency_key": format!("k{i}"), "account_id": account, "lead_id": lead,
                "channel": channel, "content": {"body": "Hi there"}, "campaign_id": format!("seq{}", i % 40), "step": 1});
            let decided = created + 1000;
            let next = if status == "queued" || status == "scheduled" {
                NOW_MS + 86_400_000
            } else {
                created
            };
            sqlx::query(
                "INSERT INTO touches (workspace, id, idempotency_key, account_id, lead_id, channel, purpose, request, status, reason, \
                 retry_after, decided_at, next_attempt_at, deadline, attempts, campaign_id, step, sent_at, created_at, updated_at) \
                 VALUES ('default', $1, $2, $3, $4, $5, 'marketing', $6, $7, $8, NULL, $9, $10, $11, 0, $12, 1, $13, $14, $14)",
            )
            .bind(&id)
            .bind(format!("k{i}"))
            .bind(&account)
            .bind(&lead)
            .bind(channel)
            .bind(request.to_string())
            .bind(status)
            .bind(reason)
            .bind((status != "queued").then_some(decided))
            .bind(next)
            .bind(NOW_MS + 7 * 86_400_000)
            .bind(format!("seq{}", i % 40))
            .bind((status == "sent").then_some(decided))
            .bind(created)
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO decisions (workspace, touch_id, at, kind, allowed, reason, retry_after, checks, detail) \
                 VALUES ('default', $1, $2, 'gate', $3, $4, NULL, $5, NULL)",
            )
            .bind(&id)
            .bind(decided)
            .bind(i64::from(status == "sent"))
            .bind(reason)
            .bind(CHECKS)
            .execute(&mut *tx)
            .await
            .unwrap();
            if status == "blocked" {
                some_blocked = id;
            }
        }
        tx.commit().await.unwrap();
    }
    // Fresh statistics, as a database that grew to this size over time has.
    conn.execute("ANALYZE").await.unwrap();
    println!(
        "seeded {TOUCHES} touches with their decisions in {:?}",
        started.elapsed()
    );
    some_blocked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: seeds 100,000 touches"]
async fn console_pages_at_100k_touches() {
    let backend = match std::env::var("TOUCHGATE_PERF_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let db = Database::of(backend).await;
    let d = Daemon::builder(&db)
        .config("[dispatcher]\nenabled = false\n")
        .start()
        .await;
    let blocked = seed(&db, &d).await;
    let u = ConsoleUser::login(&d, OP).await;
    let page2 = {
        let p = u.get("/console/touches").await;
        let at = p.body.find("cursor=").unwrap();
        p.body[at..]
            .split('"')
            .next()
            .unwrap()
            .replace("&amp;", "&")
    };
    let pages = [
        "/console".to_owned(),
        "/console/touches".to_owned(),
        format!("/console/touches?{page2}"),
        "/console/touches?status=blocked".to_owned(),
        "/console/touches?status=blocked&reason=dnc_listed".to_owned(),
        "/console/touches?reason=hourly_limit".to_owned(),
        "/console/touches?channel=sms&account_id=sdr-3".to_owned(),
        "/console/touches?campaign_id=seq7".to_owned(),
        "/console/touches?lead_id=lead-42".to_owned(),
        "/console/touches?from=2026-11-20&to=2026-11-21".to_owned(),
        "/console/touches?status=needs_review".to_owned(),
        format!("/console/touches/{blocked}"),
        "/console/leads/lead-42".to_owned(),
        "/console/accounts".to_owned(),
        "/console/accounts/sdr-3".to_owned(),
        "/console/dnc".to_owned(),
        "/console/inbound".to_owned(),
        "/console/registries".to_owned(),
        "/console/scrub".to_owned(),
        "/console/touches.csv?status=blocked&reason=dnc_listed&lead_id=lead-42".to_owned(),
    ];
    println!("| page | median | max of 5 |\n|---|---|---|");
    let mut worst = Duration::ZERO;
    for p in &pages {
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let page = u.get(p).await;
            times.push(t.elapsed());
            assert_eq!(page.status, StatusCode::OK, "{p}: {}", page.body);
        }
        times.sort();
        println!(
            "| `{p}` | {:.1} ms | {:.1} ms |",
            times[2].as_secs_f64() * 1e3,
            times[4].as_secs_f64() * 1e3
        );
        worst = worst.max(times[2]);
    }
    assert!(
        worst < Duration::from_millis(200),
        "slowest median page {worst:?}"
    );
}
