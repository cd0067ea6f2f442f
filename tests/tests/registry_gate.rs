//! The gate's use of the registries (contract v2): national and state listings block marketing
//! calls, texts and WhatsApp (`dnc_listed`, the listing named as operators read it) unless a
//! valid consent for the channel or an established business relationship lifts them; the
//! company's own DNC rows are never lifted; a litigator is held on every channel and raises an
//! alert, delivered signed to a local receiver; a reassignment voids older consents; a stale
//! or missing national list blocks when `require_registry` is on. Each test runs the real
//! `touchgate serve` binary on a database of its own (SQLite and PostgreSQL) and a fake clock
//! (2026-11-25T18:00:00Z = 10:00 in Los Angeles). Edges in time are asked of
//! `POST /v1/evaluate` with `at`; real touches go through `POST /v1/dispatch/drain`.

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
use touchgate_tests::registries::{assert_allowed, assert_reason, check_named};
use touchgate_tests::seed::{Lead, whatsapp_account};
use touchgate_tests::signing::sha256_signature;
use touchgate_tests::{Daemon, DaemonBuilder, Database, OP, START, SVC, poll};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

touchgate_tests::both_databases!(
    national_and_state_listings_block_marketing_telephone_touches,
    business_relationships_lift_listings_for_their_window_own_rows_never,
    litigators_are_held_everywhere_and_the_alert_is_delivered_signed,
    a_reassignment_voids_older_consents,
    stale_or_missing_national_list_blocks_when_required,
);

/// Signs alerts (`[webhooks] secret_env`).
const ALERT_SECRET: &str = "alert-signing-secret-for-tests";

/// A daemon with the dispatch loop off, no snooze spreading, and `extra` config.
fn configured(db: &Database, extra: &str) -> DaemonBuilder {
    Daemon::builder(db)
        .config("[dispatcher]\nenabled = false\nspread_seconds = 0\n")
        .config(extra)
}

/// Starts `b`; account `sdr-1` has the approved WhatsApp template `day3_followup` (utility).
async fn started(b: DaemonBuilder) -> Daemon {
    let d = b.start().await;
    d.seed_account(OP, "sdr-1", whatsapp_account()).await;
    d
}

async fn start(db: &Database, extra: &str) -> Daemon {
    started(configured(db, extra)).await
}

const NO_CONSENT_NEEDED: &str = "[workspace_defaults]\nrequire_consent = false\n";

/// Someone in Los Angeles at `phone` (also their WhatsApp number), with an email address.
fn person(phone: &str) -> Lead {
    Lead::in_los_angeles()
        .phone(phone)
        .whatsapp(phone)
        .email("someone@example.com")
}

/// A touch from `sdr-1` to `lead` on `channel` for `purpose` (WhatsApp with its template).
fn touch(lead: &str, channel: &str, purpose: &str) -> Value {
    let mut t = json!({"account_id": "sdr-1", "lead_id": lead, "channel": channel,
                       "purpose": purpose, "content": {"subject": "Hello", "body": "Hi"}});
    if channel == "whatsapp" {
        t["template"] = json!({"name": "day3_followup", "language": "en_US"});
        t["content"] = Value::Null;
    }
    t
}

fn marketing(lead: &str, channel: &str) -> Value {
    touch(lead, channel, "marketing")
}

fn with_key(mut t: Value, key: &str) -> Value {
    t["idempotency_key"] = json!(key);
    t
}

/// The decision at the fake clock's start.
async fn now(d: &Daemon, t: &Value) -> Value {
    d.evaluate_at(t, START).await
}

/// Asserts `decision` is `dnc_listed` with the `dnc` check naming `detail`.
fn assert_listed(decision: &Value, detail: &str) {
    assert_reason(decision, "dnc_listed");
    assert_eq!(check_named(decision, "dnc")["detail"], detail, "{decision}");
}

// ---------------------------------------------------------------- national and state lists

async fn national_and_state_listings_block_marketing_telephone_touches(db: &Database) {
    let d = start(db, "").await;
    d.import(
        "national",
        "as_of=2026-11-20",
        "4155550123,2021-01-01\n4155550124\n",
    )
    .await;
    d.import("state-CA", "as_of=2026-11-20", "4155550125,2022-01-01\n")
        .await;
    d.import("state-TX", "as_of=2026-11-20", "4155550126,2022-03-03\n")
        .await;
    d.seed_lead(SVC, "listed", &person("+14155550123")).await;
    d.seed_lead(SVC, "undated", &person("+14155550124")).await;
    d.seed_lead(SVC, "california", &person("+14155550125"))
        .await;
    d.seed_lead(SVC, "ca-number", &person("+14155550126")).await;
    d.seed_lead(SVC, "texan", &person("+14155550126").state("TX"))
        .await;
    d.seed_lead(
        SVC,
        "consented",
        &person("+14155550123").consent("sms").consent("whatsapp"),
    )
    .await;
    d.seed_lead(
        SVC,
        "consents-later",
        &person("+14155550123").consent_granted("sms", "2026-12-01T00:00:00Z"),
    )
    .await;

    // Marketing calls, texts and WhatsApp, each named as operators read the listing.
    for channel in ["sms", "call", "whatsapp"] {
        assert_listed(
            &now(&d, &marketing("listed", channel)).await,
            "National (USA) 2021-01-01",
        );
    }
    assert_listed(
        &now(&d, &marketing("undated", "call")).await,
        "National (USA)",
    );
    // A state list binds the numbers of that state…
    assert_listed(
        &now(&d, &marketing("california", "sms")).await,
        "State (CA) 2022-01-01",
    );
    // …not a Californian number on Texas's list, unless the lead's stored state is Texas.
    let ca = now(&d, &marketing("ca-number", "sms")).await;
    assert_eq!(check_named(&ca, "dnc")["passed"], true, "{ca}");
    assert_reason(&ca, "consent_missing");
    assert_listed(
        &now(&d, &marketing("texan", "call")).await,
        "State (TX) 2022-03-03",
    );

    // Email and transactional messages are not the registries' business.
    assert_allowed(&now(&d, &marketing("listed", "email")).await);
    assert_allowed(&now(&d, &touch("listed", "sms", "transactional")).await);
    assert_allowed(&now(&d, &touch("listed", "call", "transactional")).await);

    // A valid consent for the channel lifts the listing on that channel only; a consent not
    // yet given lifts nothing.
    assert_allowed(&now(&d, &marketing("consented", "sms")).await);
    assert_allowed(&now(&d, &marketing("consented", "whatsapp")).await);
    assert_listed(
        &now(&d, &marketing("consented", "call")).await,
        "National (USA) 2021-01-01",
    );
    assert_listed(
        &now(&d, &marketing("consents-later", "sms")).await,
        "National (USA) 2021-01-01",
    );

    // Real touches decide the same.
    let blocked = d
        .send(with_key(marketing("listed", "sms"), "listed-sms"))
        .await;
    assert_eq!(blocked["status"], "blocked", "{blocked}");
    assert_eq!(blocked["reason"], "dnc_listed", "{blocked}");
    let decision = &blocked["decisions"].as_array().unwrap()[0];
    assert_eq!(
        check_named(decision, "dnc")["detail"],
        "National (USA) 2021-01-01",
        "{blocked}"
    );
    let sent = d
        .send(with_key(marketing("consented", "sms"), "consented-sms"))
        .await;
    assert_eq!(sent["status"], "sent", "{sent}");
}

// ---------------------------------------------------------------- established business relationships

async fn business_relationships_lift_listings_for_their_window_own_rows_never(db: &Database) {
    // Consent is not required, so that no consent check masks the listing.
    let d = start(db, NO_CONSENT_NEEDED).await;
    d.import(
        "national",
        "as_of=2026-11-20",
        "4155550123,2021-01-01\n4155550124,2021-01-01\n",
    )
    .await;
    // A purchase lifts the listing for 18 months (until 2026-12-10), an inquiry for 3 (until
    // 2026-12-01).
    d.seed_lead(
        SVC,
        "bought",
        &person("+14155550123").relationship("purchase", "2025-06-10T00:00:00Z"),
    )
    .await;
    d.seed_lead(
        SVC,
        "asked",
        &person("+14155550123").relationship("inquiry", "2026-09-01T00:00:00Z"),
    )
    .await;
    d.seed_lead(SVC, "stranger", &person("+14155550123")).await;
    let national = "National (USA) 2021-01-01";
    for channel in ["sms", "call"] {
        let bought = marketing("bought", channel);
        assert_allowed(&d.evaluate_at(&bought, "2026-12-09T18:00:00Z").await);
        assert_listed(
            &d.evaluate_at(&bought, "2026-12-10T18:00:00Z").await,
            national,
        );
        let asked = marketing("asked", channel);
        assert_allowed(&d.evaluate_at(&asked, "2026-11-30T18:00:00Z").await);
        assert_listed(
            &d.evaluate_at(&asked, "2026-12-01T18:00:00Z").await,
            national,
        );
        // Before the inquiry there was no relationship.
        assert_listed(
            &d.evaluate_at(&asked, "2026-08-31T18:00:00Z").await,
            national,
        );
        assert_listed(&now(&d, &marketing("stranger", channel)).await, national);
    }

    // A DNC row with reason `national_dnc` behaves like a listing; the company's own rows are
    // never lifted, by a relationship or by consent.
    d.add_dnc("+14155550140", "national_dnc").await;
    let own = d.add_dnc("+14155550141", "customer_request").await;
    let own = own["id"].as_str().unwrap();
    let loyal = |phone: &str| {
        person(phone)
            .relationship("purchase", "2026-11-01T00:00:00Z")
            .consent("sms")
    };
    d.seed_lead(SVC, "row-like-listing", &loyal("+14155550140"))
        .await;
    d.seed_lead(SVC, "row-like-listing-stranger", &person("+14155550140"))
        .await;
    d.seed_lead(SVC, "own-row", &loyal("+14155550141")).await;
    assert_allowed(&now(&d, &marketing("row-like-listing", "sms")).await);
    assert_reason(
        &now(&d, &marketing("row-like-listing-stranger", "sms")).await,
        "dnc_listed",
    );
    let blocked = now(&d, &marketing("own-row", "sms")).await;
    assert_reason(&blocked, "dnc_listed");
    let detail = check_named(&blocked, "dnc")["detail"].as_str().unwrap();
    assert!(
        detail.contains(own) && detail.contains("customer_request"),
        "{blocked}"
    );

    // A real touch inside the purchase's window goes out.
    let sent = d
        .send(with_key(marketing("bought", "call"), "ebr-call"))
        .await;
    assert_eq!(sent["status"], "sent", "{sent}");
}

// ---------------------------------------------------------------- litigators and alerts

async fn litigators_are_held_everywhere_and_the_alert_is_delivered_signed(db: &Database) {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/alerts"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let d = started(
        configured(
            db,
            &format!(
                "[alerts]\nwebhook_url = \"{}/alerts\"\n\n\
                 [webhooks]\nsecret_env = \"TG_TEST_ALERT_SECRET\"\n",
                receiver.uri()
            ),
        )
        .env("TG_TEST_ALERT_SECRET", ALERT_SECRET),
    )
    .await;
    d.import("litigators", "as_of=2026-11-20", "4155550123\n")
        .await;
    d.seed_lead(
        SVC,
        "litigant",
        &person("+14155550123").consent("sms").consent("call"),
    )
    .await;

    // Every channel and purpose, email included, consent or not.
    for (channel, purpose) in [
        ("sms", "marketing"),
        ("sms", "transactional"),
        ("call", "marketing"),
        ("whatsapp", "transactional"),
        ("email", "marketing"),
        ("email", "transactional"),
    ] {
        let decision = now(&d, &touch("litigant", channel, purpose)).await;
        assert_reason(&decision, "litigation_hold");
        assert_eq!(decision["retry_after"], Value::Null, "{decision}");
        assert_eq!(
            check_named(&decision, "litigation_hold")["detail"],
            "Litigators lists +14155550123",
            "{decision}"
        );
    }
    // A dry run raises no alert (it is written before the answer when it is raised at all).
    let (_, v) = d.get("/v1/alerts", OP).await;
    assert_eq!(v["alerts"], json!([]), "{v}");

    let t = d
        .send(with_key(
            touch("litigant", "email", "marketing"),
            "litigant-email",
        ))
        .await;
    assert_eq!(t["status"], "blocked", "{t}");
    assert_eq!(t["reason"], "litigation_hold", "{t}");
    let id = t["id"].as_str().unwrap();
    let (s, v) = d.get("/v1/alerts", OP).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let alerts = v["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{v}");
    let alert = &alerts[0];
    assert_eq!(alert["kind"], "litigation_hold", "{alert}");
    assert_eq!(alert["touch_id"], id, "{alert}");
    assert_eq!(alert["contact"], "someone@example.com", "{alert}");
    assert!(
        alert["detail"].as_str().unwrap().contains("+14155550123"),
        "{alert}"
    );
    let (s, v) = d.get("/v1/alerts", SVC).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "alerts are for operators: {v}");

    // Delivered to the receiver, signed with the webhook secret.
    let delivered = poll("the alert reaches the receiver", || async {
        let got = receiver.received_requests().await.unwrap_or_default();
        got.into_iter()
            .next()
            .ok_or_else(|| "no request yet".to_owned())
    })
    .await;
    let expected = sha256_signature(ALERT_SECRET, &delivered.body);
    let signature = delivered
        .headers
        .get("x-touchgate-signature")
        .expect("a signature header")
        .to_str()
        .unwrap();
    assert_eq!(signature, expected);
    let payload: Value = serde_json::from_slice(&delivered.body).unwrap();
    assert_eq!(payload["id"], alert["id"], "{payload}");
    assert_eq!(payload["kind"], "litigation_hold", "{payload}");
    assert_eq!(payload["touch_id"], id, "{payload}");
    poll("the alert is marked delivered", || async {
        let (_, v) = d.get("/v1/alerts", OP).await;
        if v["alerts"][0]["delivered_at"].is_string() {
            Ok(())
        } else {
            Err(v)
        }
    })
    .await;

    // A litigation-hold DNC row holds and alerts the same way.
    d.add_dnc("+14155550124", "litigation_hold").await;
    d.seed_lead(SVC, "held", &person("+14155550124").consent("sms"))
        .await;
    let t = d.send(with_key(marketing("held", "sms"), "held-sms")).await;
    assert_eq!(t["reason"], "litigation_hold", "{t}");
    let (_, v) = d.get("/v1/alerts", OP).await;
    assert_eq!(v["alerts"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["alerts"][0]["touch_id"], t["id"], "newest first: {v}");
    assert_eq!(v["alerts"][0]["contact"], "+14155550124", "{v}");

    // Shown to operators in the console, newest first, each linked to its touch.
    let console = touchgate_tests::console::ConsoleUser::login(&d, OP).await;
    let page = console.get("/console/alerts").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let rows: Vec<usize> = [v["alerts"][0]["id"].as_str(), v["alerts"][1]["id"].as_str()]
        .into_iter()
        .map(|alert| {
            let row = format!("data-alert-id=\"{}\"", alert.unwrap());
            page.body
                .find(&row)
                .unwrap_or_else(|| panic!("{row}: {}", page.body))
        })
        .collect();
    assert!(rows[0] < rows[1], "newest first: {}", page.body);
    for touch in [t["id"].as_str().unwrap(), id] {
        assert!(
            page.body
                .contains(&format!("href=\"/console/touches/{touch}\"")),
            "{touch}: {}",
            page.body
        );
    }
    assert!(page.body.contains("+14155550124") && page.body.contains("delivered"));
}

// ---------------------------------------------------------------- reassigned numbers

async fn a_reassignment_voids_older_consents(db: &Database) {
    let d = start(db, "").await;
    d.import(
        "reassigned",
        "as_of=2026-11-20",
        "4155550123,2026-03-01\n4155550124,2026-03-01\n",
    )
    .await;
    // Consent from the number's previous owner (January) and from its new one (June).
    d.seed_lead(SVC, "old-owner", &person("+14155550123").consent("sms"))
        .await;
    d.seed_lead(
        SVC,
        "new-owner",
        &person("+14155550124").consent_granted("sms", "2026-06-01T00:00:00Z"),
    )
    .await;
    let voided = now(&d, &marketing("old-owner", "sms")).await;
    assert_reason(&voided, "consent_missing");
    assert!(
        check_named(&voided, "consent")["detail"]
            .as_str()
            .unwrap()
            .contains("2026-03-01"),
        "{voided}"
    );
    assert_allowed(&now(&d, &marketing("new-owner", "sms")).await);
    // Not the telephone registries' business: email, and messages needing no consent.
    assert_allowed(&now(&d, &marketing("old-owner", "email")).await);
    assert_allowed(&now(&d, &touch("old-owner", "sms", "transactional")).await);

    // On the national list too: the void consent lifts nothing, the newer one lifts it.
    d.import(
        "national",
        "as_of=2026-11-20",
        "4155550123,2021-01-01\n4155550124,2021-01-01\n",
    )
    .await;
    assert_listed(
        &now(&d, &marketing("old-owner", "sms")).await,
        "National (USA) 2021-01-01",
    );
    assert_allowed(&now(&d, &marketing("new-owner", "sms")).await);
    let t = d
        .send(with_key(marketing("old-owner", "sms"), "old-sms"))
        .await;
    assert_eq!(
        (t["status"].as_str(), t["reason"].as_str()),
        (Some("blocked"), Some("dnc_listed")),
        "{t}"
    );
    let t = d
        .send(with_key(marketing("new-owner", "sms"), "new-sms"))
        .await;
    assert_eq!(t["status"], "sent", "{t}");
}

// ---------------------------------------------------------------- staleness

async fn stale_or_missing_national_list_blocks_when_required(db: &Database) {
    let d = start(
        db,
        "[workspace_defaults]\nrequire_registry = true\nrequire_consent = false\n",
    )
    .await;
    d.seed_lead(SVC, "ana", &person("+14155550123")).await;
    d.seed_lead(
        SVC,
        "boricua",
        &Lead::in_los_angeles()
            .phone("+17875550123")
            .timezone("America/Puerto_Rico"),
    )
    .await;
    d.seed_lead(
        SVC,
        "londoner",
        &Lead::in_los_angeles()
            .phone("+447911123456")
            .timezone("Europe/London")
            .country("GB"),
    )
    .await;

    // No national list: marketing calls, texts and WhatsApp to US numbers (territories too).
    for channel in ["sms", "call", "whatsapp"] {
        let decision = now(&d, &marketing("ana", channel)).await;
        assert_reason(&decision, "registry_stale");
        assert!(
            check_named(&decision, "registry_freshness")["detail"]
                .as_str()
                .unwrap()
                .contains("no national"),
            "{decision}"
        );
    }
    let pr = d
        .evaluate_at(&marketing("boricua", "sms"), "2026-11-25T15:00:00Z")
        .await;
    assert_reason(&pr, "registry_stale");
    let uk = now(&d, &marketing("londoner", "sms")).await;
    assert_eq!(
        check_named(&uk, "registry_freshness")["passed"],
        true,
        "{uk}"
    );
    assert_allowed(&now(&d, &marketing("ana", "email")).await);
    assert_allowed(&now(&d, &touch("ana", "sms", "transactional")).await);

    // A real touch is snoozed hourly until a list is imported.
    let (s, created) = d.create(with_key(marketing("ana", "sms"), "waits")).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    d.drain().await;
    let t = d.touch(id).await;
    assert_eq!(t["status"], "scheduled", "{t}");
    assert_eq!(t["reason"], "registry_stale", "{t}");
    assert_eq!(t["next_attempt_at"], "2026-11-25T19:00:00Z", "{t}");

    // A list current to 1 November: fresh until 31 days after, stale the instant after.
    d.import("national", "as_of=2026-11-01", "2125550199\n")
        .await;
    assert_allowed(&now(&d, &marketing("ana", "sms")).await);
    assert_eq!(d.registry("national").await.unwrap()["stale"], false);
    assert_allowed(
        &d.evaluate_at(&marketing("ana", "sms"), "2026-12-02T00:00:00Z")
            .await,
    );
    let stale = d
        .evaluate_at(&marketing("ana", "call"), "2026-12-02T00:00:01Z")
        .await;
    assert_reason(&stale, "registry_stale");
    assert!(
        check_named(&stale, "registry_freshness")["detail"]
            .as_str()
            .unwrap()
            .contains("2026-11-01"),
        "{stale}"
    );

    // The import lifts the snoozed touch at its next attempt.
    d.set_clock("2026-11-25T19:00:00Z").await;
    d.drain().await;
    assert_eq!(d.touch(id).await["status"], "sent");

    // The listing's `stale` says what the gate does at the same instant.
    d.set_clock("2026-12-02T18:00:00Z").await;
    assert_reason(
        &d.evaluate_at(&marketing("ana", "sms"), "2026-12-02T18:00:00Z")
            .await,
        "registry_stale",
    );
    assert_eq!(d.registry("national").await.unwrap()["stale"], true);
}
