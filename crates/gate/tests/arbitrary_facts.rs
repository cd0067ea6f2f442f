//! Property (d): the gate never panics and its report is well-formed on arbitrary facts —
//! instants at the ends of time, any strings, any limits, windows, DNC rows, registry listings,
//! blackouts, sender verdicts and waivers.

// Test helpers outside `#[test]` functions unwrap and panic on malformed fixtures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod scenario;

use chrono::{DateTime, Utc};
use common::Fx;
use gate::{
    Account, AccountStatus, Blackout, BlackoutPurpose, Channel, ChannelLimits, ChannelScope,
    Consent, ConsentVoid, ContentTemplate, DltRegistration, DltTemplate, DncEntry, Email,
    HealthPause, Lead, LinkedInId, Policy, RecipientCaps, Registry, RegistryListing, Relationship,
    RelationshipKind, SendRecord, SenderAuth, TemplateRef, TemplateStatus, Touch, Waiver, Waivers,
    Warmup, WhatsappCategory, WhatsappTemplate, Window,
};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use scenario::*;

fn wild_instant() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        8 => (year_start(1990)..year_start(2110)).prop_map(ts),
        1 => Just(DateTime::<Utc>::MIN_UTC),
        1 => Just(DateTime::<Utc>::MAX_UTC),
    ]
}

/// Near `now`, in the past or the future, or anywhere at all.
fn near(now: i64) -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        4 => (now - 10 * 86_400..now + 10 * 86_400).prop_map(ts),
        1 => wild_instant(),
    ]
}

fn any_window() -> impl Strategy<Value = Window> {
    (time_of_day(), time_of_day()).prop_map(|(s, e)| Window::new(s, e))
}

fn any_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(LEAD.to_owned()),
        Just(ACCOUNT.to_owned()),
        Just(DLT_TEMPLATE.to_owned()),
        Just(WA_TEMPLATE.to_owned()),
        ".{0,12}",
    ]
}

fn status() -> impl Strategy<Value = TemplateStatus> {
    select(vec![
        TemplateStatus::Approved,
        TemplateStatus::Pending,
        TemplateStatus::Rejected,
        TemplateStatus::Paused,
        TemplateStatus::Disabled,
    ])
}

fn wild_limit() -> impl Strategy<Value = Option<u32>> {
    option::of(prop_oneof![0u32..5, Just(u32::MAX), any::<u32>()])
}

fn arbitrary_scenario() -> impl Strategy<Value = (Scenario, Waivers)> {
    (year_start(1995)..year_start(2100)).prop_flat_map(|now_secs| {
        let now = ts(now_secs);
        let policy = (
            any::<bool>(),
            select(ZONES),
            any::<bool>(),
            vec(select(vec!["US", "IN", "PR", "us", "", "GB"]), 0..3),
            wild_limit(),
        )
            .prop_map(
                |(require_consent, default_timezone, require_registry, blocked, per_week)| Policy {
                    require_consent,
                    default_timezone,
                    require_registry,
                    whatsapp_marketing_blocked_countries: blocked
                        .into_iter()
                        .map(String::from)
                        .collect(),
                    recipient_caps: RecipientCaps {
                        marketing_per_week: per_week,
                    },
                },
            );
        let account = (
            select(vec![
                AccountStatus::Active,
                AccountStatus::Paused,
                AccountStatus::Suspended,
            ]),
            vec(channel(), 0..2),
            btree_map(
                channel(),
                (
                    wild_limit(),
                    wild_limit(),
                    wild_limit(),
                    wild_limit(),
                    option::of((wild_limit(), wild_limit())),
                )
                    .prop_map(|(a, b, c, d, w)| ChannelLimits {
                        min_gap_seconds: a,
                        hourly: b,
                        daily: c,
                        weekly_invites: d,
                        warmup: w.map(|(s, i)| Warmup {
                            start_per_day: s.unwrap_or(0),
                            increase_per_day: i.unwrap_or(u32::MAX),
                        }),
                    }),
                0..5,
            ),
            quiet_hours(any_window().boxed()),
            option::of((
                any_string(),
                vec(any_string(), 0..2),
                vec((any_string(), any_string(), ".{0,40}"), 0..2),
            )),
            vec(
                (
                    any_string(),
                    any_string(),
                    status(),
                    option::of(select(vec![
                        WhatsappCategory::Marketing,
                        WhatsappCategory::Utility,
                        WhatsappCategory::Authentication,
                    ])),
                ),
                0..3,
            ),
            vec((any_string(), option::of(channel()), status()), 0..3),
            btree_map(
                channel(),
                (near(now_secs), ".{0,20}").prop_map(|(since, why)| HealthPause { since, why }),
                0..2,
            ),
        )
            .prop_map(
                |(
                    status,
                    paused_channels,
                    limits,
                    quiet_hours,
                    dlt,
                    wa,
                    templates,
                    health_pauses,
                )| Account {
                    id: ACCOUNT.into(),
                    status,
                    paused_channels,
                    limits,
                    quiet_hours,
                    dlt: dlt.map(|(entity_id, headers, templates)| DltRegistration {
                        entity_id,
                        headers,
                        templates: templates
                            .into_iter()
                            .map(|(id, header, body)| DltTemplate { id, header, body })
                            .collect(),
                    }),
                    whatsapp_templates: wa
                        .into_iter()
                        .map(|(name, language, status, category)| WhatsappTemplate {
                            name,
                            language,
                            status,
                            category,
                        })
                        .collect(),
                    templates: templates
                        .into_iter()
                        .map(|(id, channel, status)| ContentTemplate {
                            id,
                            channel,
                            status,
                        })
                        .collect(),
                    health_pauses,
                },
            );
        let consent = (
            select(vec![
                Channel::Sms,
                Channel::Call,
                Channel::Whatsapp,
                Channel::Email,
            ]),
            purpose(),
            near(now_secs),
            option::of(near(now_secs)),
        )
            .prop_map(|(channel, purpose, granted_at, revoked_at)| Consent {
                channel,
                purpose,
                granted_at,
                revoked_at,
                source: None,
            });
        let lead = (
            (
                any_string(),
                option::of(select(PHONES)),
                option::of(select(PHONES)),
                any::<bool>(),
                any::<bool>(),
            ),
            (
                option::of(select(ZONES)),
                option::of(any_string()),
                option::of(any_string()),
            ),
            vec(consent, 0..5),
            option::of(near(now_secs)),
            option::of(near(now_secs)),
            vec(
                (
                    select(vec![RelationshipKind::Purchase, RelationshipKind::Inquiry]),
                    near(now_secs),
                )
                    .prop_map(|(kind, at)| Relationship { kind, at }),
                0..2,
            ),
            vec(
                (
                    prop_oneof![
                        any_string(),
                        select(PHONES).prop_map(|p| phone(p).as_str().to_owned())
                    ],
                    near(now_secs),
                )
                    .prop_map(|(contact, at)| ConsentVoid { contact, at }),
                0..2,
            ),
        )
            .prop_map(
                |(
                    (id, p, w, email, linkedin),
                    (timezone, country, state),
                    consents,
                    reassigned,
                    inbound,
                    relationships,
                    consent_voids,
                )| Lead {
                    id,
                    phone: p.map(phone),
                    email: email
                        .then(|| Email::parse("ana@example.com").ok())
                        .flatten(),
                    linkedin: linkedin.then(|| LinkedInId::parse("in:ana").ok()).flatten(),
                    whatsapp: w.map(phone),
                    timezone,
                    country,
                    state,
                    consents,
                    number_reassigned_at: reassigned,
                    last_inbound_whatsapp_at: inbound,
                    relationships,
                    consent_voids,
                },
            );
        let dnc = vec(
            (
                any_string(),
                option::of(prop_oneof![
                    any_string(),
                    select(PHONES).prop_map(|p| phone(p).as_str().to_owned()),
                    Just("ana@example.com".to_owned())
                ]),
                option::of(any_string()),
                option::of(channel()),
                dnc_reason(),
                option::of(near(now_secs)),
            )
                .prop_map(|(id, contact, lead_id, scope, reason, expires_at)| {
                    DncEntry {
                        id,
                        contact,
                        lead_id,
                        channel: scope.map_or(ChannelScope::All, ChannelScope::Only),
                        reason,
                        expires_at,
                    }
                }),
            0..4,
        );
        let sends = vec(
            (
                near(now_secs),
                any_string(),
                any_string(),
                option::of(prop_oneof![
                    any_string(),
                    select(PHONES).prop_map(|p| phone(p).as_str().to_owned())
                ]),
                channel(),
                purpose(),
                action(),
            )
                .prop_map(
                    |(at, account_id, lead_id, recipient, channel, purpose, action)| SendRecord {
                        at,
                        account_id,
                        lead_id,
                        recipient,
                        channel,
                        purpose,
                        action,
                    },
                ),
            0..30,
        );
        let touch = (
            (
                any_string(),
                any_string(),
                any_string(),
                channel(),
                purpose(),
                action(),
                any::<bool>(),
            ),
            option::of((
                option::of(any_string()),
                option::of(any_string()),
                option::of(any_string()),
            )),
            option::of(".{0,40}"),
        )
            .prop_map(
                |(
                    (id, account_id, lead_id, channel, purpose, action, automated),
                    template,
                    body,
                )| {
                    Touch {
                        id,
                        account_id,
                        lead_id,
                        channel,
                        purpose,
                        template: template.map(|(id, name, language)| TemplateRef {
                            id,
                            name,
                            language,
                        }),
                        body,
                        action,
                        automated,
                    }
                },
            );
        let listings = vec(
            (
                select(vec![
                    Registry::National,
                    Registry::State("TX"),
                    Registry::State("FL"),
                    Registry::Litigators,
                    Registry::Reassigned,
                ]),
                prop_oneof![
                    any_string(),
                    select(PHONES).prop_map(|p| phone(p).as_str().to_owned())
                ],
                option::of(near(now_secs).prop_map(|t| t.date_naive())),
            )
                .prop_map(|(registry, number, listed_on)| RegistryListing {
                    registry,
                    number,
                    listed_on,
                }),
            0..4,
        );
        let blackouts = vec(
            (
                select(vec![
                    "US", "US-FL", "US-PR", "CA-ON", "+1", "+1415", "+9", "ZZ",
                ]),
                near(now_secs),
                near(now_secs),
                vec(option::of(channel()), 0..3),
                any::<bool>(),
            )
                .prop_map(|(region, starts_at, ends_at, channels, all)| Blackout {
                    id: "bo".into(),
                    region: region.parse().expect("valid region"),
                    starts_at,
                    ends_at,
                    channels: channels
                        .into_iter()
                        .map(|c| c.map_or(ChannelScope::All, ChannelScope::Only))
                        .collect(),
                    purpose: if all {
                        BlackoutPurpose::All
                    } else {
                        BlackoutPurpose::Marketing
                    },
                    reason: String::new(),
                }),
            0..3,
        );
        let sender = prop_oneof![
            Just(SenderAuth::NotRequired),
            Just(SenderAuth::Authenticated),
            ".{0,20}".prop_map(|detail| SenderAuth::Unauthenticated { detail }),
            ".{0,20}".prop_map(|detail| SenderAuth::LookupFailed { detail }),
        ];
        let extras = (
            listings,
            option::of(near(now_secs).prop_map(|t| t.date_naive())),
            blackouts,
            sender,
            vec(select(Waiver::ALL.to_vec()), 0..3),
        );
        // Boxed: the combined strategy is too large for a test thread's stack otherwise.
        (
            policy.boxed(),
            account.boxed(),
            lead.boxed(),
            dnc.boxed(),
            sends.boxed(),
            touch.boxed(),
            extras.boxed(),
        )
            .prop_map(move |(policy, account, lead, dnc, sends, touch, extras)| {
                let (listings, national_as_of, blackouts, sender, waivers) = extras;
                (
                    Scenario {
                        now,
                        fx: Fx {
                            policy,
                            account,
                            lead,
                            dnc,
                            sends,
                            first_sends: Vec::new(),
                            listings,
                            national_as_of,
                            blackouts,
                            sender,
                            touch,
                        },
                    },
                    waivers.into_iter().collect::<Waivers>(),
                )
            })
    })
}

proptest! {
    #![proptest_config(config(256))]

    /// (d) the gate never panics, and every decision is well-formed, with or without waivers.
    #[test]
    fn never_panics_on_arbitrary_facts((sc, waivers) in arbitrary_scenario()) {
        let mut d = sc.eval(sc.now);
        well_formed(&d, sc.now)?;
        let permit = d.take_permit();
        prop_assert_eq!(permit.is_some(), d.allowed);
        if let Some(p) = permit {
            prop_assert!(p.is_valid_at(sc.now));
            prop_assert_eq!(p.channel(), sc.touch.channel);
            prop_assert_eq!(p.touch_id(), sc.touch.id.as_str());
        }
        if let Some(r) = d.retry_after {
            let again = sc.eval(r);
            well_formed(&again, r)?;
        }
        // Waiving business checks never blocks what was allowed, and never waives a legal one.
        let w = sc.eval_waiving(sc.now, waivers);
        well_formed(&w, sc.now)?;
        prop_assert!(!d.allowed || w.allowed);
        for c in w.checks.iter().filter(|c| c.waived) {
            prop_assert!(waivers.iter().any(|x| x.check() == c.check), "{:?}", c);
        }
    }
}
