//! What the dispatcher's fuzz targets check, shared by the stable harness
//! (`tests/fuzz_inputs.rs`) and the libFuzzer targets of the long runs (`fuzz/`, which include
//! this file by path). Each function takes one untrusted input as the daemon receives it and
//! runs the pure steps the daemon runs on it; a panic anywhere is a finding, and so is an
//! accepted document that the daemon could not read back from its store.
//!
//! Not yet here: CSV scrub input (`dispatcher::scrub`, not written yet). When it lands, add
//! `pub fn scrub(bytes: &[u8])` below, a generator in `tests/fuzz_inputs.rs` and a target
//! `fuzz/fuzz_targets/scrub.rs` (the list in `scripts/fuzz-long.sh` picks it up).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use dispatcher::api::inbound::InboundBody;
use dispatcher::api::ops::ClockBody;
use dispatcher::api::strict_json::{from_value, parse};
use dispatcher::api::touches::BatchRequest;
use dispatcher::api::webhooks::{DispositionBody, parse_form};
use dispatcher::config::Config;
use dispatcher::domain::{
    AccountBody, BlackoutBody, DncBody, LeadBody, StoredAccount, StoredLead, TouchBody,
    canonical_contact,
};
use dispatcher::email_parse;
use gate::{Channel, InboundMessage, OptOutConfig, classify_inbound};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A raw inbound email: parsed, then classified as `POST /v1/webhooks/email/inbound` does.
pub fn email(raw: &[u8]) {
    let mail = email_parse::parse(raw);
    for (name, _) in &mail.headers {
        assert!(mail.header(name).is_some(), "header {name:?} lost");
    }
    let pairs = mail.header_pairs();
    let msg = InboundMessage {
        body: &mail.text,
        subject: mail.subject.as_deref(),
        headers: &pairs,
    };
    let _ = classify_inbound(Channel::Email, &msg, &OptOutConfig::default());
    if let Some(from) = &mail.from {
        let _ = gate::Contact::parse(from, Some("US"));
    }
    let _ = email_parse::html_to_text(&String::from_utf8_lossy(raw));
}

/// A provider's form body: pairs in order, which encode and parse back to themselves.
pub fn form(body: &[u8]) {
    let pairs = parse_form(body);
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    assert_eq!(parse_form(encoded.as_bytes()), pairs, "{encoded}");
}

/// A stored document as the store reads it back (`serde_json`, not the strict reader).
fn stored<T: Serialize + DeserializeOwned>(body: &T) -> T {
    let text = match serde_json::to_string(body) {
        Ok(text) => text,
        Err(e) => panic!("an accepted document does not serialise: {e}"),
    };
    match serde_json::from_str(&text) {
        Ok(back) => back,
        Err(e) => panic!("an accepted document does not read back: {e}: {text}"),
    }
}

/// One JSON request body, read as every request type the API takes, each followed by the
/// steps its handler takes before the store; an accepted account or lead must read back from
/// the store (else its `GET` would fail).
pub fn bodies(bytes: &[u8], now: DateTime<Utc>) {
    if let Ok(mut account) = parse::<AccountBody>(bytes)
        && account.normalise().is_ok()
    {
        let back = stored(&account);
        if let Err(e) = StoredAccount::parse("a", back) {
            panic!("an accepted account is unreadable: {e:?}");
        }
    }
    for region in ["US", "GB", "IN"] {
        if let Ok(mut lead) = parse::<LeadBody>(bytes)
            && lead.normalise(region).is_ok()
        {
            let back = stored(&lead);
            if let Err(e) = StoredLead::parse("l", back) {
                panic!("an accepted lead ({region}) is unreadable: {e:?}");
            }
        }
    }
    if let Ok(touch) = parse::<TouchBody>(bytes)
        && touch.validate(now).is_ok()
    {
        let _ = touch.to_facts("t");
        let _ = stored(&touch);
    }
    if let Ok(batch) = parse::<BatchRequest>(bytes) {
        for item in &batch.touches {
            if let Ok(touch) = from_value::<TouchBody>(item) {
                let _ = touch.validate(now);
            }
        }
    }
    if let Ok(dnc) = parse::<DncBody>(bytes)
        && let Some(contact) = &dnc.contact
    {
        let _ = canonical_contact(contact, "US", "contact");
    }
    if let Ok(blackout) = parse::<BlackoutBody>(bytes) {
        let _ = blackout.validate(now);
        let _ = stored(&blackout);
    }
    if let Ok(inbound) = parse::<InboundBody>(bytes) {
        let _ = gate::Contact::parse(&inbound.from, Some("US"));
        let body = inbound.body.unwrap_or_default();
        let msg = InboundMessage {
            body: &body,
            subject: inbound.subject.as_deref(),
            headers: &[],
        };
        let _ = classify_inbound(inbound.channel, &msg, &OptOutConfig::default());
    }
    let _ = parse::<DispositionBody>(bytes);
    let _ = parse::<ClockBody>(bytes);
    let _ = parse::<serde_json::Value>(bytes);
}

/// The config file: TOML text → `Config`, every setting the daemon derives from it, and the
/// `[channels]` tables → transports (secrets from a fake environment).
pub fn config(text: &str) {
    let Ok(config) = toml::from_str::<Config>(text) else {
        return;
    };
    let _ = config.server.limits();
    let _ = config.registries.max_import_bytes();
    let _ = config.public_base_url();
    let _ = config.opt_out_confirmation.render();
    for name in config
        .workspaces
        .keys()
        .map(String::as_str)
        .chain(["", "default"])
    {
        let _ = config.workspace(name);
    }
    channels(&config.channels);
}

/// `[channels]` tables (also fed alone, as `workers` reads them).
pub fn channels(tables: &BTreeMap<String, toml::Value>) {
    // Some secrets set, some missing.
    let env = |name: &str| -> Option<String> {
        name.len().is_multiple_of(2).then(|| format!("v-{name}"))
    };
    if workers::config::ChannelsConfig::from_tables(tables).is_ok() {
        let _ = workers::registry::Transports::from_config_with_env(tables, &env);
    }
}
