//! Black-box tests of the inbound side: provider webhooks (Twilio SMS, Meta WhatsApp, call
//! dispositions, raw inbound email), the one-click unsubscribe link and the single opt-out
//! confirmation. Each test runs the real `touchgate serve` binary on a database of its own (on
//! SQLite and on PostgreSQL) and a fake clock (2026-11-25T18:00:00Z = 10:00 in Los Angeles),
//! with Twilio and Meta transports pointed at a wiremock stand-in in the test process, so every
//! message the daemon sends (the confirmation included) is seen and counted.
//!
//! Signatures are computed here independently of the daemon's code: Twilio's scheme
//! (base64(HMAC-SHA1(auth token, public URL + params sorted by name, name then value))) and
//! `sha256=<hex HMAC-SHA256(secret, raw body)>` for Meta and Touchgate's own webhooks. The
//! public URL is the daemon's default, `http://<the address it bound>`, except where a test
//! configures `[server] public_base_url`.

// clippy.toml's allow-*-in-tests covers `#[test]` functions only, not the test bodies the
// both-databases macro calls nor the helpers of this test crate; a failed expectation here
// should panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use touchgate_tests::providers::{
    Providers, TWILIO_SID, TWILIO_TOKEN, WA_PHONE_ID, WA_SECRET, WA_VERIFY, meta_inbound,
};
use touchgate_tests::seed::{PHONE, email, sms, wa_template};
use touchgate_tests::{ACME_OP, ACME_SVC, ACME_TOKENS, Database, OP, SVC, json_of};

touchgate_tests::both_databases!(
    twilio_stop_writes_dnc_blocks_email_and_is_confirmed_once,
    twilio_status_callbacks_record_delivery_and_21610_writes_dnc,
    meta_handshake_and_signed_messages,
    meta_template_pause_blocks_and_131050_writes_a_whatsapp_dnc,
    api_inbound_stop_on_whatsapp_is_confirmed_once,
    call_disposition_do_not_call_writes_dnc,
    email_inbound_unsubscribe_reply_and_auto_reply,
    one_click_unsubscribe,
    openapi_lists_the_webhooks,
    webhooks_land_in_the_workspace_whose_lead_wrote,
    meta_template_update_reaches_every_workspace,
    one_click_unsubscribe_names_the_address_the_email_went_to,
);

const HOOK_SECRET: &str = "touchgate-webhook-secret-for-tests";

const TWILIO_PATH: &str = "/v1/webhooks/twilio/sms";
const META_PATH: &str = "/v1/webhooks/meta/whatsapp";
const DISPOSITION_PATH: &str = "/v1/webhooks/calls/disposition";
const EMAIL_PATH: &str = "/v1/webhooks/email/inbound";

// ---------------------------------------------------------------- the daemon

struct Daemon {
    daemon: touchgate_tests::Daemon,
    /// The stand-in for Twilio and Meta.
    provider: Providers,
    /// What Twilio signs and unsubscribe links start with.
    public: String,
}

impl std::ops::Deref for Daemon {
    type Target = touchgate_tests::Daemon;

    fn deref(&self) -> &touchgate_tests::Daemon {
        &self.daemon
    }
}

/// How a test's daemon is set up.
#[derive(Clone, Copy)]
struct Setup {
    /// `[webhooks] secret_env` names a variable that is set.
    webhook_secret: bool,
    /// `[server] public_base_url`, when not the default.
    public_base_url: Option<&'static str>,
}

const DEFAULT: Setup = Setup {
    webhook_secret: true,
    public_base_url: None,
};

impl Daemon {
    /// A daemon with the shared webhook secret configured and the default public URL.
    async fn start(db: &Database) -> Daemon {
        Daemon::start_with(db, DEFAULT).await
    }

    async fn start_with(db: &Database, setup: Setup) -> Daemon {
        let provider = Providers::start().await;
        let mut config = "[dispatcher]\nenabled = false\npoll_interval_ms = 50\n\n\
                          [webhooks]\nsecret_env = \"TG_TEST_WEBHOOK_SECRET\"\n"
            .to_owned();
        if let Some(url) = setup.public_base_url {
            config.push_str(&format!("\n[server]\npublic_base_url = \"{url}\"\n"));
        }
        let mut b = touchgate_tests::Daemon::builder(db)
            .config(config)
            .config(ACME_TOKENS)
            .twilio_sms(&provider.uri(), "")
            .meta_whatsapp(&provider.uri())
            .lenient_json()
            .env_remove("TG_TEST_WEBHOOK_SECRET");
        if setup.webhook_secret {
            b = b.env("TG_TEST_WEBHOOK_SECRET", HOOK_SECRET);
        }
        let daemon = b.start().await;
        let public = setup
            .public_base_url
            .map_or_else(|| daemon.base().to_owned(), str::to_owned);
        Daemon {
            daemon,
            provider,
            public,
        }
    }

    /// Account `sdr-1` (with the approved WhatsApp template `day3_followup`) and lead `lead-7`
    /// (Ana, with her number on WhatsApp too and marketing consent on SMS and WhatsApp) in the
    /// default workspace.
    async fn seed(&self) {
        self.daemon.seed_whatsapp().await;
    }

    async fn dnc(&self, contact: &str) -> Vec<Value> {
        self.dnc_in(OP, contact).await
    }

    /// The DNC entries for `contact` in the workspace of operator token `op`.
    async fn dnc_in(&self, op: &str, contact: &str) -> Vec<Value> {
        let q = contact.replace('+', "%2B");
        let (s, v) = self.get(&format!("/v1/dnc?contact={q}"), op).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["entries"].as_array().unwrap().clone()
    }

    /// Creates a touch in workspace `acme`, drains `acme`, and returns it as stored.
    async fn send_acme(&self, body: Value) -> Value {
        let (s, t) = self.post("/v1/touches", ACME_SVC, body).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        self.drain_as(ACME_OP).await;
        let (s, v) = self
            .get(
                &format!("/v1/touches/{}", t["id"].as_str().unwrap()),
                ACME_SVC,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    /// The path of the daemon's public URL `url` (an unsubscribe link).
    fn public_path(&self, url: &str) -> String {
        url.strip_prefix(&self.public)
            .unwrap_or_else(|| panic!("{url} is not under {}", self.public))
            .to_owned()
    }

    // ---- webhooks

    async fn twilio(&self, params: &[(&str, &str)], signature: Option<&str>) -> reqwest::Response {
        let mut r = self.client.post(self.url(TWILIO_PATH)).form(params);
        if let Some(s) = signature {
            r = r.header("X-Twilio-Signature", s);
        }
        r.send().await.unwrap()
    }

    async fn twilio_signed(&self, params: &[(&str, &str)]) -> reqwest::Response {
        let sig = twilio_signature(
            TWILIO_TOKEN,
            &format!("{}{TWILIO_PATH}", self.public),
            params,
        );
        self.twilio(params, Some(&sig)).await
    }

    async fn meta(&self, body: &Value, signature: Option<&str>) -> (StatusCode, Value) {
        let raw = serde_json::to_vec(body).unwrap();
        let mut r = self
            .client
            .post(self.url(META_PATH))
            .header("content-type", "application/json")
            .body(raw);
        if let Some(s) = signature {
            r = r.header("X-Hub-Signature-256", s);
        }
        json_of(r.send().await.unwrap()).await
    }

    async fn meta_signed(&self, body: &Value) -> (StatusCode, Value) {
        let sig = hmac_sha256(WA_SECRET, &serde_json::to_vec(body).unwrap());
        self.meta(body, Some(&sig)).await
    }

    async fn hook(
        &self,
        path_: &str,
        content_type: &str,
        body: &[u8],
        signature: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut r = self
            .client
            .post(self.url(path_))
            .header("content-type", content_type)
            .body(body.to_vec());
        if let Some(s) = signature {
            r = r.header("X-Touchgate-Signature", s);
        }
        json_of(r.send().await.unwrap()).await
    }

    async fn hook_signed(
        &self,
        path_: &str,
        content_type: &str,
        body: &[u8],
    ) -> (StatusCode, Value) {
        let sig = hmac_sha256(HOOK_SECRET, body);
        self.hook(path_, content_type, body, Some(&sig)).await
    }
}

/// Twilio's scheme, written out: the URL, then every parameter sorted by name, name then value.
fn twilio_signature(token: &str, url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut data = url.to_owned();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn hmac_sha256(secret: &str, body: &[u8]) -> String {
    touchgate_tests::signing::sha256_signature(secret, body)
}

/// A fresh provider message id: providers never reuse one, and a repeated id is a replay.
fn fresh_id(prefix: &str) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
    format!(
        "{prefix}{}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

/// An inbound WhatsApp text from `from` with a fresh message id, sent at the fake clock's start.
fn meta_message(from: &str, text: &str) -> Value {
    meta_inbound(from, &fresh_id("wamid.in"), 1_795_629_600, text)
}

async fn assert_blocked(d: &Daemon, body: Value, reason: &str) {
    let t = d.send(body).await;
    assert_eq!(t["status"], "blocked", "{t}");
    assert_eq!(t["reason"], reason, "{t}");
}

/// The opt-out confirmations among `lead`'s touches on `channel`, in the workspace of operator
/// token `op`.
async fn confirmations_in(d: &Daemon, op: &str, lead: &str, channel: &str) -> Vec<Value> {
    let (s, v) = d
        .get(&format!("/v1/touches?lead_id={lead}&channel={channel}"), op)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["touches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| {
            t["idempotency_key"]
                .as_str()
                .is_some_and(|k| k.starts_with("opt-out-confirmation:"))
        })
        .cloned()
        .collect()
}

/// Lead `lead-7`'s opt-out confirmations on `channel`.
async fn confirmations(d: &Daemon, channel: &str) -> Vec<Value> {
    confirmations_in(d, OP, "lead-7", channel).await
}

/// `lead`'s opt-out confirmation on `channel` once the background work has settled (a drain
/// answers only then): there must be exactly one.
async fn the_confirmation_in(d: &Daemon, op: &str, lead: &str, channel: &str) -> Value {
    d.drain_as(op).await;
    let found = confirmations_in(d, op, lead, channel).await;
    assert_eq!(found.len(), 1, "one confirmation on {channel}: {found:?}");
    found[0].clone()
}

/// After a repeated opt-out from Ana and once its background work has settled: still one DNC
/// row and one confirmation on `channel`.
async fn assert_still_one_opt_out(d: &Daemon, channel: &str) {
    d.drain().await;
    assert_eq!(d.dnc(PHONE).await.len(), 1);
    assert_eq!(confirmations(d, channel).await.len(), 1);
}

/// Lead `lead-7`'s opt-out confirmation on `channel` (exactly one).
async fn the_confirmation(d: &Daemon, channel: &str) -> Value {
    the_confirmation_in(d, OP, "lead-7", channel).await
}

// ---------------------------------------------------------------- Twilio

async fn twilio_stop_writes_dnc_blocks_email_and_is_confirmed_once(db: &Database) {
    let d = Daemon::start(db).await;
    d.seed().await;
    let first = d.send(sms("first")).await;
    assert_eq!(first["status"], "sent", "{first}");
    assert_eq!(d.provider.twilio_messages().await.len(), 1);

    let stop = [
        ("MessageSid", "SMin1"),
        ("AccountSid", TWILIO_SID),
        ("From", PHONE),
        ("To", "+14155550100"),
        ("Body", "STOP"),
        ("NumMedia", "0"),
    ];
    // A bad signature, a signature over other parameters, no signature: 401, nothing recorded.
    let res = d.twilio(&stop, Some("bm90IHRoZSBzaWduYXR1cmU=")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let other = twilio_signature(
        TWILIO_TOKEN,
        &format!("{}{TWILIO_PATH}", d.public),
        &[("Body", "hi")],
    );
    assert_eq!(
        d.twilio(&stop, Some(&other)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let wrong_url = twilio_signature(
        TWILIO_TOKEN,
        &format!("http://elsewhere{TWILIO_PATH}"),
        &stop,
    );
    assert_eq!(
        d.twilio(&stop, Some(&wrong_url)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = d.twilio(&stop, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (_, v) = json_of(res).await;
    assert_eq!(v["error"]["code"], "unauthorized", "{v}");
    assert!(d.dnc(PHONE).await.is_empty());

    // Signed: the DNC row is there as soon as Twilio has its (empty TwiML) answer.
    let res = d.twilio_signed(&stop).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/xml")
    );
    assert!(res.text().await.unwrap().contains("<Response></Response>"));
    let rows = d.dnc(PHONE).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["channel"], "*");
    assert_eq!(rows[0]["reason"], "opt_out_reply");
    assert_eq!(rows[0]["source"], "inbound_sms");
    let dnc_id = rows[0]["id"].as_str().unwrap().to_owned();

    // Exactly one confirmation, sent from the account of the last touch, outside the gate.
    let c = the_confirmation(&d, "sms").await;
    assert_eq!(c["status"], "sent", "{c}");
    assert_eq!(c["purpose"], "transactional");
    assert_eq!(c["account_id"], "sdr-1");
    assert_eq!(
        c["idempotency_key"],
        format!("opt-out-confirmation:{dnc_id}")
    );
    let c = d.touch(c["id"].as_str().unwrap()).await;
    let kinds: Vec<&str> = c["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"opt_out_confirmation"), "{c}");
    assert!(!kinds.contains(&"gate"), "{c}");
    let sent = d.provider.twilio_messages().await;
    assert_eq!(sent.len(), 2);
    let form = String::from_utf8_lossy(&sent[1].body).into_owned();
    assert!(form.contains("To=%2B14155550123"), "{form}");
    assert!(form.contains("unsubscribed"), "{form}");

    // A second STOP reuses the DNC row and sends nothing.
    let res = d
        .twilio_signed(&[
            ("MessageSid", "SMin2"),
            ("From", PHONE),
            ("To", "+14155550100"),
            ("Body", "stop"),
        ])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_still_one_opt_out(&d, "sms").await;
    assert_eq!(d.provider.twilio_messages().await.len(), 2);

    // The opt-out covers every channel: the next email is blocked.
    assert_blocked(&d, email("after-stop"), "dnc_listed").await;
}

async fn twilio_status_callbacks_record_delivery_and_21610_writes_dnc(db: &Database) {
    let d = Daemon::start(db).await;
    d.seed().await;
    let t = d.send(sms("one")).await;
    let sid = t["provider_message_id"].as_str().unwrap().to_owned();
    assert_eq!(sid, "SM1");

    let delivered = [
        ("MessageSid", sid.as_str()),
        ("MessageStatus", "delivered"),
        ("To", PHONE),
        ("From", "+14155550100"),
    ];
    assert_eq!(
        d.twilio(&delivered, Some("AAAA")).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = d.twilio_signed(&delivered).await;
    assert_eq!(res.status(), StatusCode::OK);
    let t = d.touch(t["id"].as_str().unwrap()).await;
    let delivery: Vec<&Value> = t["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "delivery")
        .collect();
    assert_eq!(delivery.len(), 1, "{t}");
    assert!(
        delivery[0]["detail"]
            .as_str()
            .unwrap()
            .contains("delivered")
    );
    assert!(d.dnc(PHONE).await.is_empty());

    let undelivered = [
        ("MessageSid", sid.as_str()),
        ("MessageStatus", "undelivered"),
        ("ErrorCode", "21610"),
        ("To", PHONE),
        ("From", "+14155550100"),
    ];
    assert_eq!(d.twilio_signed(&undelivered).await.status(), StatusCode::OK);
    // Twilio retries callbacks: the second adds no row.
    assert_eq!(d.twilio_signed(&undelivered).await.status(), StatusCode::OK);
    let rows = d.dnc(PHONE).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["reason"], "provider_unsubscribed");
    assert_eq!(rows[0]["channel"], "*");
    let t = d.touch(t["id"].as_str().unwrap()).await;
    let last = t["decisions"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "delivery", "{t}");
    assert_eq!(last["reason"], "twilio_21610", "{t}");
    assert_blocked(&d, email("after-21610"), "dnc_listed").await;
}

// ---------------------------------------------------------------- Meta WhatsApp

async fn meta_handshake_and_signed_messages(db: &Database) {
    // Without the shared secret configured, the shared-secret webhooks always answer 401.
    let d = Daemon::start_with(
        db,
        Setup {
            webhook_secret: false,
            ..DEFAULT
        },
    )
    .await;
    d.seed().await;

    let (s, v) = d
        .call(
            Method::GET,
            &format!("{META_PATH}?hub.mode=subscribe&hub.verify_token={WA_VERIFY}&hub.challenge=1158201444"),
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v, json!(1158201444), "the challenge, as it was sent");
    let res = d
        .client
        .get(d.url(&format!(
            "{META_PATH}?hub.mode=subscribe&hub.verify_token={WA_VERIFY}&hub.challenge=abc"
        )))
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(res.text().await.unwrap(), "abc");
    for q in [
        "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
        &format!("hub.mode=unsubscribe&hub.verify_token={WA_VERIFY}&hub.challenge=1"),
        "hub.mode=subscribe&hub.challenge=1",
    ] {
        let (s, v) = d
            .call(Method::GET, &format!("{META_PATH}?{q}"), None, None)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{q}: {v}");
    }

    let stop = meta_message("14155550123", "STOP");
    let (s, _) = d
        .meta(
            &stop,
            Some(&hmac_sha256(
                "not-the-secret",
                &serde_json::to_vec(&stop).unwrap(),
            )),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = d.meta(&stop, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = d.meta(&stop, Some("sha256=zz")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(d.dnc(PHONE).await.is_empty());

    let (s, v) = d
        .meta_signed(&meta_message("14155550123", "Hello there"))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["messages"], 1);
    assert!(d.dnc(PHONE).await.is_empty());
    // The inbound message opened the 24 h window.
    let free_text = json!({"account_id": "sdr-1", "lead_id": "lead-7", "channel": "whatsapp", "content": {"body": "Hi"}});
    let (_, e) = d.post("/v1/evaluate", SVC, free_text).await;
    assert_eq!(e["allowed"], true, "{e}");

    let (s, v) = d.meta_signed(&stop).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let rows = d.dnc(PHONE).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["reason"], "opt_out_reply");
    assert_eq!(rows[0]["source"], "inbound_whatsapp");
    assert_eq!(rows[0]["channel"], "*");

    // No touch was ever sent to her: the one confirmation comes from the number she wrote to
    // (contract v2; a drain answers once the work the STOP started has settled).
    d.drain().await;
    let sent = d.provider.meta_messages().await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let confirmed = confirmations(&d, "whatsapp").await;
    assert_eq!(confirmed.len(), 1, "{confirmed:?}");
    assert_eq!(confirmed[0]["account_id"], "+14155550100", "{confirmed:?}");

    // No shared secret configured: 401 whatever the signature.
    let body = br#"{"phone": "+14155550123", "disposition": "DNC"}"#;
    let (s, _) = d
        .hook_signed(DISPOSITION_PATH, "application/json", body)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = d
        .hook(
            EMAIL_PATH,
            "message/rfc822",
            b"From: a@b.example\r\n\r\nstop",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

async fn meta_template_pause_blocks_and_131050_writes_a_whatsapp_dnc(db: &Database) {
    let d = Daemon::start(db).await;
    d.seed().await;
    let (s, v) = d
        .put(
            "/v1/accounts/sdr-2",
            OP,
            json!({"whatsapp_templates": [{"name": "other", "language": "en_US", "status": "approved"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let sent = d.send(wa_template("wa-1")).await;
    assert_eq!(sent["status"], "sent", "{sent}");
    assert_eq!(sent["provider_message_id"], "wamid.1");

    let update = json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "time": 1795629600, "changes": [{
        "field": "message_template_status_update",
        "value": {"event": "PAUSED", "message_template_id": 594425479261596_i64,
                  "message_template_name": "day3_followup", "message_template_language": "en_US",
                  "reason": "LOW_QUALITY"}}]}]});
    let (s, _) = d.meta(&update, Some("sha256=00")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (_, acc) = d.get("/v1/accounts/sdr-1", OP).await;
    assert_eq!(acc["whatsapp_templates"][0]["status"], "approved", "{acc}");

    let (s, v) = d.meta_signed(&update).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["template_updates"], 1);
    let (_, acc) = d.get("/v1/accounts/sdr-1", OP).await;
    assert_eq!(acc["whatsapp_templates"][0]["status"], "paused", "{acc}");
    let (_, other) = d.get("/v1/accounts/sdr-2", OP).await;
    assert_eq!(
        other["whatsapp_templates"][0]["status"], "approved",
        "{other}"
    );
    assert_blocked(&d, wa_template("wa-2"), "whatsapp_template_unapproved").await;

    // A delivery status, then Meta's "user stopped marketing messages" on the first touch.
    let status = |st: &str, errors: Value| {
        json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "14155550100", "phone_number_id": WA_PHONE_ID},
            "statuses": [{"id": "wamid.1", "status": st, "timestamp": "1795629600", "recipient_id": "14155550123", "errors": errors}]
        }}]}]})
    };
    let (s, v) = d.meta_signed(&status("delivered", json!([]))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(d.dnc(PHONE).await.is_empty());
    let (s, v) = d
        .meta_signed(&status("failed", json!([{"code": 131050, "title": "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business."}])))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let rows = d.dnc(PHONE).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["reason"], "provider_unsubscribed");
    assert_eq!(rows[0]["channel"], "whatsapp");
    let t = d.touch(sent["id"].as_str().unwrap()).await;
    let details: Vec<&str> = t["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "delivery")
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(details.len(), 2, "{t}");
    assert!(details[1].contains("131050"), "{t}");
    // WhatsApp-scoped: SMS still goes.
    let s = d.send(sms("sms-after-131050")).await;
    assert_eq!(s["status"], "sent", "{s}");
}

async fn api_inbound_stop_on_whatsapp_is_confirmed_once(db: &Database) {
    let d = Daemon::start(db).await;
    d.seed().await;
    let sent = d.send(wa_template("wa-1")).await;
    assert_eq!(sent["status"], "sent", "{sent}");
    assert_eq!(d.provider.meta_messages().await.len(), 1);

    let (s, v) = d
        .post(
            "/v1/inbound",
            SVC,
            json!({"channel": "whatsapp", "from": PHONE, "body": "Stop please"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["opt_out"], true, "{v}");
    let c = the_confirmation(&d, "whatsapp").await;
    assert_eq!(c["status"], "sent", "{c}");
    assert_eq!(c["purpose"], "transactional");
    assert_eq!(
        c["idempotency_key"],
        format!("opt-out-confirmation:{}", v["dnc"]["id"].as_str().unwrap())
    );
    let reqs = d.provider.meta_messages().await;
    assert_eq!(reqs.len(), 2);
    let body: Value = serde_json::from_slice(&reqs[1].body).unwrap();
    assert_eq!(body["type"], "text", "{body}");
    assert_eq!(body["to"], "14155550123", "{body}");
    assert!(
        body["text"]["body"]
            .as_str()
            .unwrap()
            .contains("unsubscribed"),
        "{body}"
    );

    // The same person says STOP again through Meta's webhook: nothing more is sent.
    let (s, _) = d.meta_signed(&meta_message("14155550123", "STOP")).await;
    assert_eq!(s, StatusCode::OK);
    assert_still_one_opt_out(&d, "whatsapp").await;
    assert_eq!(d.provider.meta_messages().await.len(), 2);
    // And the ordinary gate still blocks every other touch.
    assert_blocked(&d, wa_template("wa-after"), "dnc_listed").await;
}

// ---------------------------------------------------------------- call dispositions

async fn call_disposition_do_not_call_writes_dnc(db: &Database) {
    let d = Daemon::start(db).await;
    d.seed().await;
    let body = br#"{"phone": "(415) 555-0123", "disposition": "Do Not Call", "agent_id": "agent-9", "call_id": "CA77", "at": "2026-11-25T17:59:00Z"}"#;
    let (s, v) = d
        .hook(DISPOSITION_PATH, "application/json", body, None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let (s, _) = d
        .hook(
            DISPOSITION_PATH,
            "application/json",
            body,
            Some(&hmac_sha256("wrong", body)),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // A signature over another body does not carry over.
    let (s, _) = d
        .hook(
            DISPOSITION_PATH,
            "application/json",
            body,
            Some(&hmac_sha256(HOOK_SECRET, b"{}")),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(d.dnc(PHONE).await.is_empty());

    let (s, v) = d
        .hook_signed(DISPOSITION_PATH, "application/json", body)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["dnc"]["contact"], PHONE, "{v}");
    assert_eq!(v["dnc"]["reason"], "customer_request");
    assert_eq!(v["dnc"]["source"], "agent_disposition");
    assert_eq!(v["dnc"]["added_by"], "agent-9");
    assert_eq!(v["dnc"]["channel"], "*");
    // Retried by the dialer: the same row.
    let (_, again) = d
        .hook_signed(DISPOSITION_PATH, "application/json", body)
        .await;
    assert_eq!(again["dnc"]["id"], v["dnc"]["id"]);
    assert_eq!(d.dnc(PHONE).await.len(), 1);

    let other = br#"{"phone": "+14155550199", "disposition": "interested", "agent_id": "agent-9", "call_id": "CA78"}"#;
    let (s, v) = d
        .hook_signed(DISPOSITION_PATH, "application/json", other)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v, json!({"dnc": null}));
    assert!(d.dnc("+14155550199").await.is_empty());
    let (s, v) = d
        .hook_signed(
            DISPOSITION_PATH,
            "application/json",
            br#"{"phone": "+14155550199", "disposition": "opt out", "agent": "x"}"#,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "agent", "{v}");

    assert_blocked(&d, email("after-disposition"), "dnc_listed").await;
}

// ---------------------------------------------------------------- inbound email

const REPLY: &str = "From: \"Ana Lopez\" <Ana@Example.com>\r\n\
To: SDR Team <sdr@acme.example>\r\n\
Subject: Re: Hello\r\n\
Message-ID: <reply-1@example.com>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain; charset=\"UTF-8\"\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
BODY\r\n\
\r\n\
On Wed, Nov 25, 2026 at 9:00 AM SDR Team <sdr@acme.example> wrote:\r\n\
> Hi Ana, a quick follow-up =E2=80=94 are you free next week?\r\n\
>\r\n\
> To unsubscribe from these emails, click here.\r\n\
--b1\r\n\
Content-Type: text/html; charset=\"UTF-8\"\r\n\
\r\n\
<div>BODY</div>\r\n\
--b1--\r\n";

async fn email_inbound_unsubscribe_reply_and_auto_reply(db: &Database) {
    let d = Daemon::start(db).await;
    d.seed().await;
    let contact = "ana@example.com";

    let unsubscribe = REPLY
        .replace("BODY", "Please unsubscribe me from this list.")
        .replace("reply-1@", &fresh_id("reply-"));
    let (s, _) = d
        .hook(EMAIL_PATH, "message/rfc822", unsubscribe.as_bytes(), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(d.dnc(contact).await.is_empty());

    // A reply whose only "unsubscribe" is in the quoted footer: not an opt-out.
    let thanks = REPLY
        .replace("BODY", "Thanks, next Tuesday works.")
        .replace("reply-1@", &fresh_id("reply-"));
    let (s, v) = d
        .hook_signed(EMAIL_PATH, "message/rfc822", thanks.as_bytes())
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["opt_out"], false, "{v}");
    assert_eq!(v["leads"], json!(["lead-7"]));

    // An out-of-office auto-reply quoting the footer: not an opt-out.
    let ooo = "From: Ana Lopez <ana@example.com>\r\n\
Subject: Automatic reply: Hello\r\n\
Auto-Submitted: auto-replied\r\n\
X-Auto-Response-Suppress: All\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
I am out of the office until Monday with limited access to email.\r\n\
\r\n\
> To unsubscribe from these emails, click here.\r\n";
    let (s, v) = d
        .hook_signed(EMAIL_PATH, "message/rfc822", ooo.as_bytes())
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["opt_out"], false, "{v}");
    assert!(d.dnc(contact).await.is_empty());

    let (s, v) = d
        .hook_signed(EMAIL_PATH, "message/rfc822", unsubscribe.as_bytes())
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["opt_out"], true, "{v}");
    assert_eq!(v["dnc"]["contact"], contact, "{v}");
    assert_eq!(v["dnc"]["source"], "inbound_email");
    let rows = d.dnc(contact).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_blocked(&d, email("after-reply"), "dnc_listed").await;

    // No From address: 400 naming it.
    let (s, v) = d
        .hook_signed(
            EMAIL_PATH,
            "message/rfc822",
            b"Subject: x\r\n\r\nunsubscribe",
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "From", "{v}");
}

// ---------------------------------------------------------------- one-click unsubscribe

async fn one_click_unsubscribe(db: &Database) {
    let d = Daemon::start(db).await;
    d.seed().await;
    let contact = "ana@example.com";
    let sent = d.send(email("mail-1")).await;
    assert_eq!(sent["status"], "sent", "{sent}");
    let link = sent["sandbox_message"]["unsubscribe_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let path_ = d.public_path(&link);
    assert!(path_.starts_with("/v1/unsubscribe/"), "{link}");

    // Forged or altered tokens: 404, nothing changes.
    let mut flipped = path_.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == '0' { '1' } else { '0' });
    let other_touch = path_.replacen(
        sent["id"].as_str().unwrap(),
        "0190aaaa-0000-7000-8000-000000000000",
        1,
    );
    for p in [
        flipped.as_str(),
        other_touch.as_str(),
        "/v1/unsubscribe/nonsense",
        "/v1/unsubscribe/x.0123456789abcdef0123456789abcdef",
    ] {
        let res = d
            .client
            .post(d.url(p))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{p}");
        let res = d.client.get(d.url(p)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{p}");
    }
    assert!(d.dnc(contact).await.is_empty());

    // GET (a scanner prefetching the link) shows a page and changes nothing.
    let res = d.client.get(d.url(&path_)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = res.text().await.unwrap();
    assert!(page.contains("<form method=\"post\""), "{page}");
    assert!(d.dnc(contact).await.is_empty());

    // RFC 8058 one-click POST.
    for _ in 0..2 {
        let res = d
            .client
            .post(d.url(&path_))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    let rows = d.dnc(contact).await;
    assert_eq!(rows.len(), 1, "a second POST adds no row: {rows:?}");
    assert_eq!(rows[0]["reason"], "customer_request");
    assert_eq!(rows[0]["source"], "one_click_unsubscribe");
    assert_eq!(rows[0]["channel"], "email");

    assert_blocked(&d, email("mail-2"), "dnc_listed").await;
    // Email only: an SMS still goes.
    let s = d.send(sms("sms-after-unsubscribe")).await;
    assert_eq!(s["status"], "sent", "{s}");
}

async fn openapi_lists_the_webhooks(db: &Database) {
    let d = Daemon::start(db).await;
    let (s, v) = d.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    for p in [
        TWILIO_PATH,
        META_PATH,
        DISPOSITION_PATH,
        EMAIL_PATH,
        "/v1/unsubscribe/{token}",
    ] {
        assert!(
            v["paths"][p].is_object(),
            "{p} missing from the OpenAPI document"
        );
    }
}

// ---------------------------------------------------------------- workspaces

const ACME_PHONE: &str = "+14155550177";
const ACME_EMAIL: &str = "bo@client.example";

/// Workspace `acme`: account `acme-sdr` (listing the `day3_followup` template) and lead
/// `acme-lead` (a number and an address no lead of `default` has, SMS consent).
async fn seed_acme(d: &Daemon) {
    let (s, v) = d
        .put(
            "/v1/accounts/acme-sdr",
            ACME_OP,
            json!({"status": "active",
                   "whatsapp_templates": [{"name": "day3_followup", "language": "en_US", "status": "approved"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = d
        .put(
            "/v1/leads/acme-lead",
            ACME_SVC,
            json!({
                "phone": ACME_PHONE, "email": ACME_EMAIL, "timezone": "America/Los_Angeles",
                "country": "US",
                "consents": [{"channel": "sms", "purpose": "marketing", "granted_at": "2026-01-01T00:00:00Z", "source": "web_form"}]
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

fn acme_sms(key: &str) -> Value {
    json!({
        "idempotency_key": key, "account_id": "acme-sdr", "lead_id": "acme-lead", "channel": "sms",
        "content": {"body": "Hi Bo"}
    })
}

async fn webhooks_land_in_the_workspace_whose_lead_wrote(db: &Database) {
    let d = Daemon::start(db).await;
    d.seed().await;
    seed_acme(&d).await;
    let first = d.send_acme(acme_sms("acme-1")).await;
    assert_eq!(first["status"], "sent", "{first}");
    assert_eq!(first["recipient"], ACME_PHONE, "{first}");

    // acme's lead texts STOP to Twilio (no bearer token, no workspace in the request).
    let res = d
        .twilio_signed(&[
            ("MessageSid", "SMin9"),
            ("From", ACME_PHONE),
            ("To", "+14155550100"),
            ("Body", "STOP"),
        ])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let rows = d.dnc_in(ACME_OP, ACME_PHONE).await;
    assert_eq!(rows.len(), 1, "the opt-out is acme's: {rows:?}");
    assert_eq!(rows[0]["reason"], "opt_out_reply");
    assert_eq!(rows[0]["source"], "inbound_sms");
    assert!(
        d.dnc_in(OP, ACME_PHONE).await.is_empty(),
        "nothing lands in the fallback workspace"
    );
    // Confirmed once, from acme's account.
    let confirmation = the_confirmation_in(&d, ACME_OP, "acme-lead", "sms").await;
    assert_eq!(confirmation["status"], "sent", "{confirmation}");
    assert_eq!(confirmation["account_id"], "acme-sdr");
    assert_eq!(confirmation["recipient"], ACME_PHONE);
    // acme's next touch is blocked; default's lead is untouched.
    let blocked = d.send_acme(acme_sms("acme-2")).await;
    assert_eq!(blocked["status"], "blocked", "{blocked}");
    assert_eq!(blocked["reason"], "dnc_listed", "{blocked}");
    let other = d.send(sms("default-1")).await;
    assert_eq!(other["status"], "sent", "{other}");

    // An unsubscribe reply by email from acme's lead: acme's DNC.
    let mail = format!(
        "From: Bo <{ACME_EMAIL}>\r\nSubject: Re: Hello\r\nContent-Type: text/plain\r\n\r\nPlease unsubscribe me from this list.\r\n"
    );
    let (s, v) = d
        .hook_signed(EMAIL_PATH, "message/rfc822", mail.as_bytes())
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["opt_out"], true, "{v}");
    assert_eq!(v["leads"], json!(["acme-lead"]), "{v}");
    assert_eq!(d.dnc_in(ACME_OP, ACME_EMAIL).await.len(), 1);
    assert!(d.dnc_in(OP, ACME_EMAIL).await.is_empty());

    // A number that is a lead in both workspaces: a disposition writes a row in each.
    let (s, v) = d
        .put(
            "/v1/leads/acme-ana",
            ACME_SVC,
            json!({"phone": PHONE, "timezone": "America/Los_Angeles"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let body = br#"{"phone": "+14155550123", "disposition": "DNC", "agent_id": "agent-9"}"#;
    let (s, v) = d
        .hook_signed(DISPOSITION_PATH, "application/json", body)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["dnc_entries"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["dnc"]["source"], "agent_disposition", "{v}");
    assert_eq!(d.dnc_in(ACME_OP, PHONE).await.len(), 1);
    assert_eq!(d.dnc_in(OP, PHONE).await.len(), 1);

    // A number no workspace knows: the fallback workspace (`[webhooks] workspace`).
    let stranger = "+14155550999";
    let res = d
        .twilio_signed(&[("From", stranger), ("To", "+14155550100"), ("Body", "STOP")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(d.dnc_in(OP, stranger).await.len(), 1);
    assert!(d.dnc_in(ACME_OP, stranger).await.is_empty());
}

async fn meta_template_update_reaches_every_workspace(db: &Database) {
    let d = Daemon::start(db).await;
    d.seed().await;
    seed_acme(&d).await;
    let update = json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "changes": [{
        "field": "message_template_status_update",
        "value": {"event": "PAUSED", "message_template_name": "day3_followup",
                  "message_template_language": "en_US"}}]}]});
    let (s, v) = d.meta_signed(&update).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, acc) = d.get("/v1/accounts/sdr-1", OP).await;
    assert_eq!(acc["whatsapp_templates"][0]["status"], "paused", "{acc}");
    let (_, acc) = d.get("/v1/accounts/acme-sdr", ACME_OP).await;
    assert_eq!(acc["whatsapp_templates"][0]["status"], "paused", "{acc}");
}

async fn one_click_unsubscribe_names_the_address_the_email_went_to(db: &Database) {
    // A public URL of its own (a proxy in front of the daemon): the link starts with it.
    let d = Daemon::start_with(
        db,
        Setup {
            public_base_url: Some("http://tg.test"),
            ..DEFAULT
        },
    )
    .await;
    d.seed().await;
    let sent = d.send(email("mail-1")).await;
    assert_eq!(sent["status"], "sent", "{sent}");
    assert_eq!(sent["recipient"], "ana@example.com", "{sent}");
    let link = sent["sandbox_message"]["unsubscribe_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let path_ = d.public_path(&link);

    // The lead's address changes after the send.
    let (s, v) = d
        .put(
            "/v1/leads/lead-7",
            SVC,
            json!({"phone": PHONE, "whatsapp": PHONE, "email": "ana.new@example.com",
                   "timezone": "America/Los_Angeles", "country": "US"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let t = d.touch(sent["id"].as_str().unwrap()).await;
    assert_eq!(
        t["recipient"], "ana@example.com",
        "the recipient is fixed at send time: {t}"
    );

    let res = d
        .client
        .post(d.url(&path_))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let rows = d.dnc("ana@example.com").await;
    assert_eq!(rows.len(), 1, "the address the email went to: {rows:?}");
    assert_eq!(rows[0]["source"], "one_click_unsubscribe");
    assert!(
        d.dnc("ana.new@example.com").await.is_empty(),
        "not the lead's current address"
    );
}
