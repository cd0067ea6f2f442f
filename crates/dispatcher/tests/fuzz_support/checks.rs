//! What the dispatcher's fuzz targets check, shared by the stable harness
//! (`tests/fuzz_inputs.rs`) and the libFuzzer targets of the long runs (`fuzz/`, which include
//! this file by path). Each function takes one untrusted input as the daemon receives it and
//! runs the pure steps the daemon runs on it; a panic anywhere is a finding, and so is an
//! accepted document that the daemon could not read back from its store.

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

/// The numbers the scrub check's lists hold: on the workspace's DNC list, on the national
/// registry, on the litigators' list.
pub const SCRUB_DNC: &str = "+14155550123";
pub const SCRUB_NATIONAL: &str = "+12025550143";
pub const SCRUB_LITIGATOR: &str = "+13125550188";

/// The scrubber every input is judged by, built once (its lists cost far more to build than
/// an input to scrub).
fn scrubber() -> &'static dispatcher::scrub::Scrubber {
    static SCRUBBER: std::sync::OnceLock<dispatcher::scrub::Scrubber> = std::sync::OnceLock::new();
    SCRUBBER.get_or_init(build_scrubber)
}

/// A scrubber for marketing texts with one number on each list, as `POST /v1/scrub` builds it.
fn build_scrubber() -> dispatcher::scrub::Scrubber {
    use std::sync::Arc;
    let now = DateTime::parse_from_rfc3339("2026-11-25T18:00:00Z")
        .map(|t| t.to_utc())
        .unwrap_or_default();
    let list = |name: &str, number: &str| {
        let mut import = registry::Import::new(registry::ImportMode::Full);
        import.feed(format!("{number},2024-01-02\n").as_bytes());
        let segment = import.finish(&registry::Registry::empty()).segment;
        let view = match registry::Registry::empty().apply(Arc::new(segment)) {
            Ok(view) => view,
            Err(e) => panic!("a one-number list does not apply: {e}"),
        };
        let row = dispatcher::store::RegistryRow {
            name: name.to_owned(),
            version: 1,
            base_seq: 1,
            head_seq: 1,
            entries: 1,
            as_of: Some(now.date_naive()),
            imported_at: now,
        };
        (
            name.to_owned(),
            dispatcher::registries::Loaded { row, view },
        )
    };
    let registries = dispatcher::registries::RegistrySet {
        lists: [
            list("national", SCRUB_NATIONAL),
            list("litigators", SCRUB_LITIGATOR),
        ]
        .into_iter()
        .collect(),
    };
    let dnc = gate::DncEntry {
        id: "dnc-1".to_owned(),
        contact: Some(SCRUB_DNC.to_owned()),
        lead_id: None,
        channel: gate::ChannelScope::All,
        reason: gate::DncReason::CustomerRequest,
        expires_at: None,
    };
    dispatcher::scrub::Scrubber::new(
        Channel::Sms,
        gate::Purpose::Marketing,
        "US",
        vec![dnc],
        Arc::new(registries),
        now,
    )
}

/// Rows of CSV `bytes` (a flexible reader: ragged rows allowed); `None` when unreadable.
fn csv_rows(bytes: &[u8]) -> Option<Vec<csv::StringRecord>> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .collect::<Result<Vec<_>, _>>()
        .ok()
}

/// A CSV uploaded for scrubbing with its numbers in column `phone` (`POST /v1/scrub`,
/// `touchgate scrub`): the one-output answer and the two files agree, every row is judged once,
/// what is written reads back, and each listed number is rejected for its list.
pub fn scrub(bytes: &[u8]) {
    use dispatcher::scrub::Output;
    let scrubber = scrubber();
    let mut all = Vec::new();
    let one = scrubber
        .open(bytes, "phone")
        .and_then(|run| run.write(Output::All(&mut all), &|_| ()));
    let (mut approved, mut rejected) = (Vec::new(), Vec::new());
    let two = scrubber.open(bytes, "phone").and_then(|run| {
        run.write(
            Output::Split {
                approved: &mut approved,
                rejected: &mut rejected,
            },
            &|_| (),
        )
    });
    let counts = match (one, two) {
        (Ok(one), Ok(two)) => {
            assert_eq!(one, two, "the two outputs counted differently");
            one
        }
        (Err(_), Err(_)) => {
            // Only a file without the column or one that is not UTF-8 is refused.
            let header_has_phone = csv_rows(bytes)
                .and_then(|rows| rows.into_iter().next())
                .is_some_and(|h| h.iter().any(|f| f.trim() == "phone"));
            assert!(
                std::str::from_utf8(bytes).is_err() || !header_has_phone,
                "a UTF-8 file with a phone column was refused"
            );
            return;
        }
        (one, two) => panic!("one output failed and the other did not: {one:?} / {two:?}"),
    };
    assert_eq!(counts.rows, counts.approved + counts.rejected);
    assert_eq!(counts.by_reason.values().sum::<u64>(), counts.rejected);
    let Some(all) = csv_rows(&all) else {
        panic!("the scrub wrote a CSV that does not read back")
    };
    let mut all = all.into_iter();
    let Some(header) = all.next() else {
        panic!("no header written")
    };
    let column = header.iter().position(|h| h.trim() == "phone");
    let Some(column) = column else {
        panic!("the header lost its phone column: {header:?}")
    };
    let rows: Vec<csv::StringRecord> = all.collect();
    assert_eq!(rows.len() as u64, counts.rows, "rows written");
    let mut approved_rows = 0;
    for row in &rows {
        let n = row.len();
        let (reason, phone) = (
            row.get(n.saturating_sub(2)).unwrap_or_default(),
            row.get(column).unwrap_or_default().trim(),
        );
        if reason.is_empty() {
            approved_rows += 1;
        } else {
            assert!(reason.parse::<gate::Reason>().is_ok(), "reason {reason:?}");
        }
        let expected = match phone {
            SCRUB_DNC | SCRUB_NATIONAL => Some("dnc_listed"),
            SCRUB_LITIGATOR => Some("litigation_hold"),
            _ => None,
        };
        // (A ragged row shorter than the header has no phone cell; its verdict columns
        // then sit where the phone would be.)
        if let Some(expected) = expected
            && n >= header.len() + 2
        {
            assert_eq!(reason, expected, "{phone}");
        }
    }
    assert_eq!(approved_rows, counts.approved, "approved rows");
    let read = |b: &[u8]| csv_rows(b).map_or(0, |r| r.len().saturating_sub(1) as u64);
    assert_eq!(read(&approved), counts.approved, "the approved file");
    assert_eq!(read(&rejected), counts.rejected, "the rejected file");
}
