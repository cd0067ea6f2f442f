//! Inbound classification, opt-out detection and the out-of-office return date
//! (`crates/gate/tests/fuzz_support/checks.rs`).
#![no_main]

#[allow(dead_code)]
#[path = "../../crates/gate/tests/fuzz_support/checks.rs"]
mod checks;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    channel: u8,
    body: &'a str,
    subject: Option<&'a str>,
    headers: Vec<(&'a str, &'a str)>,
    opt_out: Vec<String>,
    opt_in: Vec<String>,
    help: Vec<String>,
    phrases: Vec<String>,
    translations: bool,
    received_at: i64,
    zone: u16,
}

fuzz_target!(|input: Input<'_>| {
    let zones = chrono_tz::TZ_VARIANTS;
    let channels = gate::Channel::ALL;
    checks::inbound(checks::Inbound {
        channel: channels
            .get(usize::from(input.channel) % channels.len())
            .copied(),
        body: input.body,
        subject: input.subject,
        headers: &input.headers,
        keywords: gate::OptOutKeywords {
            opt_out: input.opt_out,
            opt_in: input.opt_in,
            help: input.help,
            opt_out_phrases: input.phrases,
            builtin_translations: input.translations,
        },
        // Mostly around now, sometimes anywhere chrono can go.
        received_at: chrono::DateTime::from_timestamp(
            if input.received_at % 8 == 0 {
                input.received_at / 1000
            } else {
                1_700_000_000 + input.received_at.rem_euclid(200_000_000)
            },
            0,
        )
        .unwrap_or_default(),
        zone: zones.get(usize::from(input.zone) % zones.len()).copied(),
    });
});
