//! Fuzzing the daemon's untrusted input on stable (issue 13): inbound email (arbitrary bytes
//! and mutated real messages), JSON request bodies (every request type, arbitrary bytes and
//! mutated valid examples), provider form bodies, the config file with its `[channels]`
//! tables, and CSV files uploaded for scrubbing. No panic, and accepted documents read back from the store. A few hundred cases
//! each here; the long runs (`scripts/fuzz-long.sh`, figures in the README) run the same checks
//! through libFuzzer.

// A finding is a panic: the checks panic to report it.
#![allow(clippy::panic)]

mod fuzz_support {
    pub mod checks;
    pub mod examples;
    pub mod mutate;
}
#[path = "../../gate/tests/fuzz_support/cases.rs"]
mod cases;

use cases::config;
use chrono::{DateTime, Utc};
use fuzz_support::mutate::{json_mutated, json_value, mutated};
use fuzz_support::{checks, examples};
use proptest::prelude::*;

fn repo_file(path: &str) -> Vec<u8> {
    let full = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_default()
}

/// The real messages in `tests/data/inbound_email`, and a few written here.
fn email_seeds() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/inbound_email");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read(e.path()).ok())
        .collect();
    seeds.push(b"From: Ana <ana@example.com>\r\nSubject: Re: hi\r\nMessage-ID: <a@b>\r\nIn-Reply-To: <x@y> <z@w>\r\n\r\nSTOP\r\n\r\nOn Mon, Bo wrote:\r\n> hello\r\n".to_vec());
    seeds.push(b"From: ana@example.com\r\nAuto-Submitted: auto-replied\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>Out of office until 14 December</p><blockquote>unsubscribe</blockquote>=\r\n=C3=A9\r\n--b--\r\n".to_vec());
    seeds.push(b"From: =?utf-8?B?QW5h?= <ana@example.com>\r\nSubject: =?iso-8859-1?Q?d=E9sabonner?=\r\nContent-Type: text/plain; charset=windows-1251\r\nContent-Transfer-Encoding: base64\r\n\r\n0fLu7yDt4Ozl8A==\r\n".to_vec());
    seeds
}

#[rustfmt::skip]
const EMAIL_TOKENS: &[&[u8]] = &[
    b"\r\n", b"\n", b"\r\n\r\n", b": ", b"From: a@b.co\r\n", b"Subject: ", b"To: ",
    b"Content-Type: multipart/mixed; boundary=\"b\"\r\n", b"Content-Type: text/html\r\n",
    b"Content-Type: message/rfc822\r\n", b"--b\r\n", b"--b--\r\n", b"=?utf-8?B?", b"=?utf-8?Q?",
    b"=?iso-2022-jp?B?", b"=?gb18030?Q?", b"?=", b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n", b"=C3=A9", b"=\r\n", b"=XX", b"<html>",
    b"<blockquote>", b"</blockquote>", b"<br>", b"<script>", b"<!--", b"&amp;", b"&#x1F600;",
    b"&#99999999;", b"Auto-Submitted: auto-replied\r\n", b"\x1b$B", b"\x1b(B", b"\xff\xfe",
    b"\0", b"charset=", b"\"", b"<", b">", b"@", b"STOP", b"unsubscribe", b"> ", b" ",
];

#[rustfmt::skip]
const FORM_TOKENS: &[&[u8]] = &[
    b"&", b"=", b"+", b"%", b"%2B", b"%zz", b"%F0%9F%98", b"%C3", b"%00", b"From=", b"To=",
    b"Body=STOP", b"MessageSid=SM1", b"MessageStatus=delivered", b"ErrorCode=30007",
    b"whatsapp:%2B14155550123", b";", b"\xff",
];

#[rustfmt::skip]
const JSON_TOKENS: &[&[u8]] = &[
    b"{", b"}", b"[", b"]", b",", b":", b"\"", b"\\u0000", b"\\ud800", b"\\", b"null", b"true",
    b"-", b"1e999", b"-0", b"18446744073709551616", b"\"zz\":1,", b"\xff", b" ",
];

#[rustfmt::skip]
const TOML_TOKENS: &[&[u8]] = &[
    b"\n", b"[server]\n", b"[workspaces.w]\n", b"[channels.sms]\n", b"[channels.email]\n",
    b"[[tokens]]\n", b"transport = \"twilio\"\n", b" = ", b"18446744073709551615", b"-1",
    b"1e999", b"inf", b"nan", b"\"\"\"", b"'", b"{", b"}", b"[", b"]", b",", b"\"",
    b"\\u0000", b"1979-05-27T07:32:00Z", b"default_timezone = \"Mars/Base\"\n", b"#", b"\xff",
];

#[rustfmt::skip]
const TOML_SECTIONS: &[&str] = &[
    "", "[server]", "[dispatcher]", "[workspace_defaults]", "[workspaces.acme]", "[workspaces.\"\"]",
    "[webhooks]", "[opt_out_confirmation]", "[registries]", "[whatsapp]", "[channels.sms]",
    "[channels.email]", "[channels.call]", "[channels.linkedin]", "[channels.whatsapp]",
    "[channels.fax]", "[[tokens]]", "[channels]",
];

#[rustfmt::skip]
const TOML_KEYS: &[&str] = &[
    "database_url", "listen", "public_base_url", "max_body_bytes", "header_timeout_ms",
    "body_timeout_ms", "request_timeout_ms", "max_connections", "max_connections_per_ip",
    "batch_size", "poll_interval_ms", "max_attempts", "max_dispatch_per_second", "spread_seconds",
    "enabled", "default_region", "default_timezone", "require_consent", "opt_out_keywords",
    "require_registry", "recipient_caps", "opt_out_scope", "token", "token_env", "role",
    "workspace", "secret_env", "dnc_dispositions", "text", "brand", "max_import_bytes",
    "marketing_blocked_countries", "transport", "access_token_env", "account_id", "account_sid",
    "api_key_env", "app_secret_env", "auth_token_env", "base_url", "from", "hello_name", "host",
    "password_env", "phone_number_id", "pool_size", "port", "rate_per_second",
    "require_unsubscribe_url", "status_callback_url", "timeout_secs", "tls", "twiml_url",
    "username_env", "verify_token_env", "sms", "email",
];

#[rustfmt::skip]
const TOML_VALUES: &[&str] = &[
    "\"\"", "\" \"", "\"US\"", "\"ZZ\"", "\"America/New_York\"", "\"Mars/Base\"", "0", "-1", "1",
    "18446744073709551615", "9223372036854775807", "-9223372036854775808", "true", "false", "[]",
    "[\"STOP\", \"\"]", "[1]", "{ marketing_per_week = 3 }", "{ marketing_per_week = -1 }", "{}",
    "\"twilio\"", "\"smtp\"", "\"meta\"", "\"bridge\"", "\"sandbox\"", "\"none\"", "\"starttls\"",
    "\"tls\"", "\"https://x\"", "\"not a url\"", "\"{brand}\"", "\"service\"", "\"operator\"",
    "\"admin\"", "\"all\"", "\"channel\"", "1.5", "nan", "1979-05-27", "\"+14155550100\"",
    "\"Name <a@b.co>\"", "\"127.0.0.1:0\"", "\"sqlite://t.db\"",
];

fn toml_text() -> BoxedStrategy<String> {
    let line = (
        prop::sample::select(TOML_KEYS),
        prop::sample::select(TOML_VALUES),
    )
        .prop_map(|(k, v)| format!("{k} = {v}\n"));
    let section = (
        prop::sample::select(TOML_SECTIONS),
        prop::collection::vec(line, 0..5),
    )
        .prop_map(|(header, lines)| format!("{header}\n{}", lines.concat()));
    prop::collection::vec(section, 0..6)
        .prop_map(|s| s.concat())
        .boxed()
}

#[rustfmt::skip]
const CSV_TOKENS: &[&[u8]] = &[
    b",", b"\"", b"\"\"", b"\n", b"\r\n", b"\r", b";", b"\t", b" ", b"phone", b"name", b"+",
    b"+1", b"(415) 555-0123", b"415.555.0123", b"+44 20 7946 0958", b"=HYPERLINK(\"x\")",
    b"\xEF\xBB\xBF", b"\xFF", b"+14155550123", b"+12025550143", b"+13125550188", b"0",
];

/// A CSV for scrubbing: a header naming `phone` (or not), rows of numbers in any format,
/// the listed numbers among them, quotes, ragged rows.
fn scrub_csv() -> BoxedStrategy<Vec<u8>> {
    let cell = prop_oneof![
        3 => prop::sample::select(vec![
            checks::SCRUB_DNC.to_owned(), checks::SCRUB_NATIONAL.to_owned(),
            checks::SCRUB_LITIGATOR.to_owned(), "(202) 555-0143".to_owned(),
            "1-415-555-0123".to_owned(), "+44 20 7946 0958".to_owned(), "Ana".to_owned(),
            String::new(), "\"a, \"\"b\"\"\"".to_owned(), "12".to_owned(),
        ]),
        1 => "[0-9 ()+.-]{0,16}",
        1 => any::<String>().prop_map(|s| s.chars().take(12).collect()),
    ];
    let row = prop::collection::vec(cell, 0..4).prop_map(|cells| cells.join(","));
    let header = prop::sample::select(vec![
        "name,phone",
        "phone",
        " phone ,x",
        "tel",
        "phone,phone",
    ]);
    let text = (
        header,
        prop::collection::vec(row, 0..12),
        prop::sample::select(vec!["\n", "\r\n"]),
    )
        .prop_map(|(h, rows, nl)| format!("{h}{nl}{}", rows.join(nl)).into_bytes());
    prop_oneof![
        4 => text,
        1 => mutated(
            vec![b"name,phone\nAna,+14155550123\nBen,(202) 555-0143\nCy,+13125550188\n".to_vec()],
            CSV_TOKENS,
            8,
        ),
        1 => prop::collection::vec(any::<u8>(), 0..200),
    ]
    .boxed()
}

fn now() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        4 => Just(DateTime::parse_from_rfc3339("2026-11-25T18:00:00Z").map(|t| t.to_utc()).unwrap_or_default()),
        1 => (0i64..8_000_000_000).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap_or_default()),
        1 => prop::sample::select(vec![DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC]),
    ]
}

proptest! {
    #![proptest_config(config(600))]

    #[test]
    fn inbound_email_never_panics(
        raw in prop_oneof![
            4 => mutated(email_seeds(), EMAIL_TOKENS, 12),
            1 => prop::collection::vec(any::<u8>(), 0..2000),
        ],
    ) {
        checks::email(&raw);
    }

    #[test]
    fn request_bodies_never_panic_and_accepted_documents_read_back(
        bytes in prop_oneof![
            4 => json_mutated(examples::request_examples().into_iter().map(|(_, v)| v).collect()),
            1 => mutated(
                examples::request_examples().iter().map(|(_, v)| serde_json::to_vec(v).unwrap_or_default()).collect(),
                JSON_TOKENS,
                6,
            ),
            1 => json_value().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
            1 => prop::collection::vec(any::<u8>(), 0..200),
        ],
        now in now(),
    ) {
        checks::bodies(&bytes, now);
    }

    #[test]
    fn form_bodies_never_panic_and_round_trip(
        body in prop_oneof![
            3 => mutated(vec![b"From=%2B14155550123&To=%2B14155550100&Body=STOP&MessageSid=SM1".to_vec()], FORM_TOKENS, 8),
            1 => prop::collection::vec(any::<u8>(), 0..300),
        ],
    ) {
        checks::form(&body);
    }

    #[test]
    fn scrub_files_never_panic_and_every_row_is_judged_once(bytes in scrub_csv()) {
        checks::scrub(&bytes);
    }

    #[test]
    fn config_files_never_panic(
        text in prop_oneof![
            2 => toml_text(),
            2 => mutated(
                vec![repo_file("config/touchgate.toml"), repo_file("config/real-transports.example.toml")],
                TOML_TOKENS,
                8,
            ).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
            1 => any::<String>(),
        ],
    ) {
        checks::config(&text);
    }
}

/// The checks can fail: the shipped configuration and a signed-off example pass them.
#[test]
fn the_shipped_inputs_pass_the_checks() {
    for path in [
        "config/touchgate.toml",
        "config/real-transports.example.toml",
    ] {
        let text = String::from_utf8(repo_file(path)).unwrap_or_default();
        assert!(
            toml::from_str::<dispatcher::config::Config>(&text).is_ok(),
            "{path}"
        );
        checks::config(&text);
    }
    for (_, example) in examples::request_examples() {
        checks::bodies(
            &serde_json::to_vec(&example).unwrap_or_default(),
            Utc::now(),
        );
    }
    for seed in email_seeds() {
        checks::email(&seed);
    }
    // Each listed number is rejected for its list; ragged rows (one short, one long) are
    // judged, not refused.
    checks::scrub(
        b"name,phone,note\nAna,+14155550123\nBen,(202) 555-0143,x,y\nCy,+13125550188,z\nDi,+14155550100,\n",
    );
}
