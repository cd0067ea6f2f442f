//! `evaluate_send` with realistic facts: 20 DNC rows, 200 recent sends over 7 days for the
//! account and the lead (indexed once in a `SendLog`, as the dispatcher does per batch), a
//! multi-zone number (+1 208 200 …: America/Boise and America/Los_Angeles) of a lead stored in
//! Idaho, account limits on the channel, consent present.
//!
//! `allowed_v2_facts` adds what Contract v2 brings: registry listings of other numbers and a
//! national list date under `require_registry`, blackouts elsewhere and a future one, a business
//! relationship, consent voids of another contact, a cross-campaign recipient cap and a warm-up
//! ramp. `send_log_from_200_records` is the cost of indexing the sends once.
//!
//! Run: `cargo bench -p gate --bench gate -- --warm-up-time 1 --measurement-time 3`.
//! Throughput is reported in elements (evaluations) per second.

// A benchmark's fixture may fail loudly: it is not library code.
#![allow(clippy::expect_used)]

use std::collections::BTreeMap;
use std::hint::black_box;

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gate::{
    Account, AccountStatus, Blackout, BlackoutPurpose, Channel, ChannelLimits, ChannelScope,
    Consent, ConsentVoid, DncEntry, DncReason, Email, Facts, Lead, LinkedInAction, LinkedInId,
    Phone, Policy, Purpose, RecipientCaps, Registry, RegistryFacts, RegistryListing, Relationship,
    RelationshipKind, SendLog, SendRecord, SenderAuth, Touch, Warmup, evaluate_send,
};

const ACCOUNT: &str = "sdr-1";
const LEAD: &str = "lead-7";
const PHONE: &str = "+12082001234";

struct Fixture {
    policy: Policy,
    account: Account,
    lead: Lead,
    dnc: Vec<DncEntry>,
    sends: Vec<SendRecord>,
    log: SendLog,
    listings: Vec<RegistryListing>,
    national_as_of: Option<chrono::NaiveDate>,
    blackouts: Vec<Blackout>,
    sender: SenderAuth,
    touch: Touch,
}

impl Fixture {
    fn facts(&self) -> Facts<'_> {
        Facts {
            policy: &self.policy,
            account: &self.account,
            lead: &self.lead,
            dnc: &self.dnc,
            sends: &self.log,
            registry: RegistryFacts {
                listings: &self.listings,
                national_as_of: self.national_as_of,
            },
            blackouts: &self.blackouts,
            sender: &self.sender,
        }
    }

    /// The same fixture with every Contract v2 fact that does not block it.
    fn with_v2_facts(mut self, now: DateTime<Utc>) -> Fixture {
        self.policy.require_registry = true;
        self.policy.recipient_caps = RecipientCaps {
            marketing_per_week: Some(100),
        };
        self.national_as_of = Some((now - Duration::days(10)).date_naive());
        self.listings = (0..6)
            .map(|i| RegistryListing {
                registry: [
                    Registry::National,
                    Registry::State("ID"),
                    Registry::Reassigned,
                ]
                .get(i % 3)
                .copied()
                .unwrap_or(Registry::National),
                number: format!("+1208555{i:04}"),
                listed_on: Some((now - Duration::days(400)).date_naive()),
            })
            .collect();
        self.blackouts = ["US-LA", "+1504", "CA", "US"]
            .iter()
            .enumerate()
            .map(|(i, region)| {
                let starts = if *region == "US" {
                    now + Duration::days(20)
                } else {
                    now - Duration::hours(1)
                };
                Blackout {
                    id: format!("bo-{i}"),
                    region: region.parse().expect("valid region"),
                    starts_at: starts,
                    ends_at: starts + Duration::days(2),
                    channels: vec![ChannelScope::All],
                    purpose: BlackoutPurpose::Marketing,
                    reason: "state of emergency".into(),
                }
            })
            .collect();
        self.lead.relationships = vec![Relationship {
            kind: RelationshipKind::Purchase,
            at: now - Duration::days(30),
        }];
        self.lead.consent_voids = vec![ConsentVoid {
            contact: "old@example.com".into(),
            at: now - Duration::days(90),
        }];
        if let Some(l) = self.account.limits.get_mut(&Channel::Sms) {
            l.warmup = Some(Warmup {
                start_per_day: 50,
                increase_per_day: 50,
            });
        }
        self.log
            .note_first_send(ACCOUNT, Channel::Sms, now - Duration::days(60));
        self
    }
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().expect("RFC 3339 instant")
}

/// `with_expired_match`: one of the 20 DNC rows names the lead's phone but has expired.
fn fixture(now: DateTime<Utc>, with_expired_match: bool) -> Fixture {
    let phone = Phone::parse(PHONE, None).expect("valid phone");
    assert_eq!(
        phone.location().zones.len(),
        2,
        "the bench needs a multi-zone number"
    );
    let granted = utc("2026-01-01T00:00:00Z");
    let lead = Lead {
        id: LEAD.into(),
        phone: Some(phone.clone()),
        email: Some(Email::parse("ana@example.com").expect("valid email")),
        linkedin: Some(LinkedInId::parse("https://www.linkedin.com/in/ana").expect("valid id")),
        whatsapp: Some(phone),
        timezone: None,
        country: Some("US".into()),
        state: Some("ID".into()),
        consents: [Channel::Sms, Channel::Call, Channel::Whatsapp]
            .into_iter()
            .map(|channel| Consent {
                channel,
                purpose: Purpose::Marketing,
                granted_at: granted,
                revoked_at: None,
                source: Some("web_form".into()),
            })
            .collect(),
        number_reassigned_at: None,
        last_inbound_whatsapp_at: Some(now - Duration::days(3)),
        relationships: Vec::new(),
        consent_voids: Vec::new(),
    };
    let account = Account {
        id: ACCOUNT.into(),
        status: AccountStatus::Active,
        limits: BTreeMap::from([(
            Channel::Sms,
            ChannelLimits {
                min_gap_seconds: Some(30),
                hourly: Some(100),
                daily: Some(1_000),
                weekly_invites: None,
                warmup: None,
            },
        )]),
        ..Account::default()
    };

    let reasons = DncReason::ALL;
    let mut dnc: Vec<DncEntry> = (0..20)
        .map(|i| DncEntry {
            id: format!("dnc-{i}"),
            contact: Some(match i % 3 {
                0 => format!("+1208555{i:04}"),
                1 => format!("someone{i}@example.com"),
                _ => format!("in:someone-{i}"),
            }),
            lead_id: (i % 4 == 0).then(|| format!("lead-{}", 100 + i)),
            channel: if i % 2 == 0 {
                ChannelScope::All
            } else {
                ChannelScope::Only(Channel::Sms)
            },
            reason: reasons
                .get(i % reasons.len())
                .copied()
                .unwrap_or(DncReason::CustomerRequest),
            expires_at: (i % 5 == 0).then(|| now + Duration::days(30)),
        })
        .collect();
    if with_expired_match && let Some(last) = dnc.last_mut() {
        last.contact = Some(PHONE.into());
        last.channel = ChannelScope::All;
        last.reason = DncReason::CustomerRequest;
        last.expires_at = Some(now - Duration::days(2));
    }

    // 200 sends over the trailing 7 days: the account's sms to many leads, plus the lead's own
    // touches on every channel from this and other accounts. The latest is 5 minutes ago.
    let channels = Channel::ALL;
    let sends: Vec<SendRecord> = (0..200i64)
        .map(|i| {
            let at = now - Duration::minutes(5) - Duration::seconds(i * 3_000);
            let to_lead = i % 5 == 0;
            SendRecord {
                at,
                account_id: if i % 7 == 3 {
                    "sdr-2".into()
                } else {
                    ACCOUNT.into()
                },
                lead_id: if to_lead {
                    LEAD.into()
                } else {
                    format!("lead-{}", 200 + i)
                },
                recipient: Some(if to_lead {
                    PHONE.into()
                } else {
                    format!("+1208555{:04}", 2000 + i)
                }),
                channel: if to_lead {
                    channels
                        .get(usize::try_from(i / 5).unwrap_or(0) % channels.len())
                        .copied()
                        .unwrap_or(Channel::Sms)
                } else {
                    Channel::Sms
                },
                purpose: Purpose::Marketing,
                action: LinkedInAction::Message,
            }
        })
        .collect();

    let touch = Touch {
        id: "touch-1".into(),
        account_id: ACCOUNT.into(),
        lead_id: LEAD.into(),
        channel: Channel::Sms,
        purpose: Purpose::Marketing,
        template: None,
        body: Some("Hi Ana, quick question about your fleet".into()),
        action: LinkedInAction::Message,
        automated: false,
    };
    let log = SendLog::from_records(&sends);
    Fixture {
        policy: Policy::default(),
        account,
        lead,
        dnc,
        sends,
        log,
        listings: Vec::new(),
        national_as_of: None,
        blackouts: Vec::new(),
        sender: SenderAuth::NotRequired,
        touch,
    }
}

fn bench(c: &mut Criterion) {
    // Wednesday 2026-11-18 11:00 MST / 10:00 PST: inside both zones' windows.
    let day = utc("2026-11-18T18:00:00Z");
    // 04:12 MST / 03:12 PST: quiet hours, retry_after at 08:00 PST.
    let night = utc("2026-11-18T11:12:00Z");

    let cases = [
        ("allowed", fixture(day, false), day),
        ("allowed_expired_dnc_match", fixture(day, true), day),
        ("blocked_quiet_hours", fixture(night, false), night),
        (
            "allowed_v2_facts",
            fixture(day, false).with_v2_facts(day),
            day,
        ),
    ];
    for (name, fx, at) in &cases {
        let d = evaluate_send(&fx.touch, &fx.facts(), *at);
        let expect_allowed = name.starts_with("allowed");
        assert_eq!(d.allowed, expect_allowed, "{name}: {d:#?}");
        if !expect_allowed {
            assert_eq!(d.reason, Some(gate::Reason::QuietHours), "{name}");
            assert_eq!(d.retry_after, Some(utc("2026-11-18T16:00:00Z")), "{name}");
        }
    }

    let mut group = c.benchmark_group("evaluate_send");
    group.throughput(Throughput::Elements(1));
    for (name, fx, at) in &cases {
        let facts = fx.facts();
        group.bench_function(*name, |b| {
            b.iter(|| evaluate_send(black_box(&fx.touch), black_box(&facts), black_box(*at)));
        });
    }
    let fx = fixture(day, false);
    group.bench_function("send_log_from_200_records", |b| {
        b.iter(|| SendLog::from_records(black_box(&fx.sends)));
    });
    group.finish();

    // Parsing a phone number at the edge (every enqueued touch, every scrubbed row): E.164, a
    // national US format with a default region, and a UK number.
    let mut group = c.benchmark_group("phone_parse");
    group.throughput(Throughput::Elements(1));
    for (name, text, region) in [
        ("e164_us", "+14155550123", None),
        ("national_us", "(415) 555-0123", Some("US")),
        ("e164_gb", "+442079460958", None),
    ] {
        assert!(Phone::parse(text, region).is_ok(), "{name}");
        group.bench_function(name, |b| {
            b.iter(|| Phone::parse(black_box(text), black_box(region)));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
