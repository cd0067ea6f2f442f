//! Fuzzing the gate's parsers on stable (issue 13): inbound classification, opt-out detection,
//! the out-of-office return date, and phone / email / LinkedIn / contact parsing never panic,
//! and what parses is canonical. A few hundred cases each here; the long runs
//! (`scripts/fuzz-long.sh`, figures in the README) run the same checks through libFuzzer.

// A finding is a panic: the checks panic to report it.
#![allow(clippy::panic)]

mod fuzz_support {
    pub mod cases;
    pub mod checks;
    pub mod strategies;
}

use chrono::{DateTime, Utc};
use fuzz_support::cases::config;
use fuzz_support::checks::{self, Inbound};
use fuzz_support::strategies::{soup, spliced};
use gate::{Channel, OptOutKeywords};
use proptest::prelude::*;

#[rustfmt::skip]
const MESSAGE_TOKENS: &[&str] = &[
    "STOP", "stop", "Stop.", "STOPALL", "UNSUBSCRIBE", "unsubscribe", "opt out", "Opt-out",
    "remove me", "from your list", "please", "don't", "not", "never", "wrong number",
    "wrong person", "START", "UNSTOP", "YES", "HELP", "INFO", "out of office", "Out of Office",
    "auto-reply", "I am away", "until", "back on", "returning", "through", "the", "3rd", "14",
    "31", "2026", "12/14", "14.12.", "2026-12-14", "1-14", "December", "Dec", "Monday",
    "tomorrow", "Montag", "décembre", "diciembre", "hasta el", "bis zum", "до", "декабря",
    "停止", "配信停止", "退订", "月", "日", "ＳＴＯＰ", "Ｓ", "🛑", "👍", "\u{200b}", "\u{301}",
    "\u{202e}", "ß", "İ", "ı", "K", "\n", "\r\n", "\r", "> ", ">", "On Mon, Ana wrote:",
    "-----Original Message-----", "Sent from my iPhone", " ", "  ", "\t", ".", ",", "!", "?",
    "\"", "'", "(", ")", ":", "-", "/", "0", "9", "999999999999999999999",
];

#[rustfmt::skip]
const HEADER_NAMES: &[&str] = &[
    "Auto-Submitted", "X-Autoreply", "X-Autorespond", "Precedence", "X-Apple-Unsubscribe",
    "List-Unsubscribe", "List-Unsubscribe-Post", "X-Auto-Response-Suppress", "Return-Path",
    "Content-Type", "Subject", "From", "X-Failed-Recipients", "auto-submitted", "",
];

#[rustfmt::skip]
const HEADER_VALUES: &[&str] = &[
    "auto-replied", "auto-generated", "no", "bulk", "junk", "list", "auto_reply", "true",
    "false", "<>", "multipart/report; report-type=delivery-status", "OOF", "All", " ", ";",
    "=", "\"", "\r\n ",
];

#[rustfmt::skip]
const CONTACT_TOKENS: &[&str] = &[
    "+", "+1", "+44", "+91", "+800", "00", "011", "(", ")", "-", ".", " ", "/", "ext. 12", "x",
    "tel:", "415", "555", "0123", "2015550123", "20 7946 0958", "98765 43210", "1", "0", "9",
    "٣", "١٢٣", "１２３", "@", "@@", "example.com", "ana", "a.b", "..", "\"", "mailto:", "<",
    ">", "xn--bcher-kva", "bücher", "ß", "İ", "K", "-", "_", "%", "%20", "https://",
    "http://", "www.", "linkedin.com", "LinkedIn.COM", ".linkedin.com", "/in/", "/pub/",
    "ana-b", "?trk=x", "#", "urn:li:", "urn:li:person:", "urn:li:fsd_profile:", "ACoAA",
    "in:", "IN:", ":", "\u{0}", "\t", "\n", "\u{200b}", "\u{feff}",
];

#[rustfmt::skip]
const REGIONS: &[&str] = &[
    "US", "GB", "IN", "DE", "FR", "JP", "BR", "CA", "AU", "MX", "ZZ", "001", "", "us", "XK",
    "UN", "AC", "İS",
];

/// Every message of the opt-out corpus (`opt_out_corpus/*.txt`: `channel | intent | matched
/// | body`), as seeds.
fn corpus_bodies() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/opt_out_corpus");
    let mut bodies: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "txt"))
        .flat_map(|e| {
            std::fs::read_to_string(e.path())
                .unwrap_or_default()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.splitn(4, " | ").nth(3).map(|b| b.replace("\\n", "\n")))
        .collect();
    bodies.push(String::new());
    bodies
}

fn message_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => spliced(corpus_bodies(), soup(MESSAGE_TOKENS, 4)),
        3 => soup(MESSAGE_TOKENS, 40),
        1 => any::<String>(),
        1 => prop::collection::vec(any::<u8>(), 0..600).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
    .boxed()
}

fn keywords() -> BoxedStrategy<OptOutKeywords> {
    let list = || prop::collection::vec(soup(MESSAGE_TOKENS, 3), 0..3);
    prop_oneof![
        3 => Just(OptOutKeywords::default()),
        1 => (list(), list(), list(), list(), any::<bool>()).prop_map(
            |(opt_out, opt_in, help, opt_out_phrases, builtin_translations)| OptOutKeywords {
                opt_out,
                opt_in,
                help,
                opt_out_phrases,
                builtin_translations,
            },
        ),
    ]
    .boxed()
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        8 => (1_700_000_000i64..1_900_000_000).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap_or_default()),
        1 => any::<i64>().prop_map(|s| DateTime::from_timestamp(s / 1000, 0).unwrap_or_default()),
        1 => prop::sample::select(vec![DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC]),
    ]
}

fn contact_text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => soup(CONTACT_TOKENS, 12),
        1 => any::<String>(),
    ]
    .boxed()
}

fn region() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(
        0.9,
        prop_oneof![
            4 => prop::sample::select(REGIONS).prop_map(str::to_owned),
            1 => "\\PC{0,4}",
        ],
    )
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn inbound_messages_never_panic(
        channel in prop::sample::select(Channel::ALL.to_vec()),
        body in message_text(),
        subject in prop::option::of(soup(MESSAGE_TOKENS, 8)),
        headers in prop::collection::vec(
            (prop::sample::select(HEADER_NAMES), soup(HEADER_VALUES, 3)), 0..5),
        keywords in keywords(),
        received_at in instant(),
        zone in prop::sample::select(chrono_tz::TZ_VARIANTS.to_vec()),
    ) {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        checks::inbound(Inbound {
            channel: Some(channel),
            body: &body,
            subject: subject.as_deref(),
            headers: &headers,
            keywords,
            received_at,
            zone: Some(zone),
        });
    }

    #[test]
    fn contacts_never_panic_and_parse_to_themselves(
        text in contact_text(),
        region in region(),
    ) {
        checks::contacts(&text, region.as_deref());
    }
}

/// The checks themselves can fail: a default `Inbound` is an empty email, no intent.
#[test]
fn an_empty_message_is_checked() {
    checks::inbound(Inbound::default());
    checks::contacts("+14155550123", Some("US"));
    checks::contacts("Ana@Example.COM", None);
    checks::contacts("https://www.linkedin.com/in/Ana-B/?trk=x", None);
}
