//! What the gate's fuzz targets check, shared by the stable harnesses (`tests/fuzz_*.rs`, run
//! by `cargo test`) and the libFuzzer targets of the long runs (`fuzz/`, which include this
//! file by path). Each function takes one input, runs it through the parsers and asserts what
//! must hold whatever the input is; a panic anywhere is a finding.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use gate::{
    Channel, Contact, Email, InboundMessage, LinkedInId, OptOutConfig, OptOutKeywords, Phone,
    classify_inbound, detect_opt_out, detect_opt_out_with, out_of_office_return,
};

/// One inbound message with the workspace settings and the moment it is read in.
#[derive(Debug, Default)]
pub struct Inbound<'a> {
    pub channel: Option<Channel>,
    pub body: &'a str,
    pub subject: Option<&'a str>,
    pub headers: &'a [(&'a str, &'a str)],
    /// The workspace's own keywords (the built-in sets when empty).
    pub keywords: OptOutKeywords,
    pub received_at: DateTime<Utc>,
    pub zone: Option<Tz>,
}

/// Inbound classification, opt-out detection and the out-of-office return date.
pub fn inbound(input: Inbound<'_>) {
    let channel = input.channel.unwrap_or(Channel::Email);
    let config = OptOutConfig::new(input.keywords);
    let msg = InboundMessage {
        body: input.body,
        subject: input.subject,
        headers: input.headers,
    };
    let intent = classify_inbound(channel, &msg, &config);
    if let Some(matched) = intent.matched() {
        assert!(!matched.is_empty(), "{intent:?} matched nothing");
    }
    let detected = detect_opt_out_with(channel, &msg, &config);
    assert_eq!(
        detected.as_ref(),
        intent.opt_out(),
        "detect disagrees with classify"
    );
    if let Some(o) = detected {
        assert!(o.scope.covers(channel), "{o:?} does not cover {channel}");
    }
    // The built-in sets alone must not panic either.
    let _ = detect_opt_out(channel, &msg);
    let zone = input.zone.unwrap_or(Tz::America__New_York);
    if let Some(back) = out_of_office_return(input.body, input.received_at, zone) {
        assert!(
            back > input.received_at,
            "{back} not after {}",
            input.received_at
        );
    }
}

/// Contact parsing: whatever parses is canonical (its text parses to itself, in any region).
pub fn contacts(input: &str, region: Option<&str>) {
    if let Ok(p) = Phone::parse(input, region) {
        let again = Phone::parse(p.as_str(), None);
        assert_eq!(
            again.as_ref().map(Phone::as_str),
            Ok(p.as_str()),
            "{input:?}"
        );
    }
    if let Ok(e) = Email::parse(input) {
        let again = Email::parse(e.as_str());
        assert_eq!(
            again.as_ref().map(Email::as_str),
            Ok(e.as_str()),
            "{input:?}"
        );
        assert!(e.as_str().ends_with(e.domain()), "{e}");
    }
    if let Ok(l) = LinkedInId::parse(input) {
        let again = LinkedInId::parse(l.as_str());
        assert_eq!(
            again.as_ref().map(LinkedInId::as_str),
            Ok(l.as_str()),
            "{input:?}"
        );
    }
    if let Ok(c) = Contact::parse(input, region) {
        assert!(!c.channels().is_empty(), "{c} reaches no channel");
        let again = Contact::parse(c.as_str(), None);
        assert_eq!(
            again.as_ref().map(Contact::as_str),
            Ok(c.as_str()),
            "{input:?}"
        );
    }
}
