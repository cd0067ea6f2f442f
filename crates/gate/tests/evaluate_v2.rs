//! `evaluate_send` on what Contract v2 added: every candidate zone, US territories, registry
//! listings (national, state, litigators, reassigned), business relationships, consent voids,
//! registry staleness, blackouts, sender authentication and health, warm-up, per-number and
//! cross-campaign recipient caps, DLT tag kinds, WhatsApp categories, automated touches and
//! operator waivers.

// Test helpers outside `#[test]` functions unwrap and panic on malformed fixtures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use common::*;
use gate::{
    Blackout, BlackoutPurpose, Channel, ChannelLimits, ChannelScope, Check, ConsentVoid,
    DltTemplate, DncReason, HealthPause, QuietHours, Reason, Registry, RegistryListing,
    Relationship, RelationshipKind, SendRecord, SenderAuth, TemplateStatus, Waiver, Waivers,
    Warmup, WhatsappCategory,
};

const NEW_ORLEANS: &str = "+15045550123";
const NEW_YORK: &str = "+12125550123";
const PUERTO_RICO: &str = "+17875550123";
const LONDON: &str = "+442079460958";
const OKLAHOMA: &str = "+14055550123";
const MAINE: &str = "+12075550123";

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn listing(registry: Registry, number: &str, on: Option<&str>) -> RegistryListing {
    RegistryListing {
        registry,
        number: number.into(),
        listed_on: on.map(day),
    }
}

fn blackout(id: &str, region: &str, from: DateTime<Utc>, until: DateTime<Utc>) -> Blackout {
    Blackout {
        id: id.into(),
        region: region.parse().unwrap(),
        starts_at: from,
        ends_at: until,
        channels: vec![ChannelScope::All],
        purpose: BlackoutPurpose::Marketing,
        reason: "state of emergency: hurricane".into(),
    }
}

fn to_number(at: DateTime<Utc>, account: &str, lead: &str, number: &str) -> SendRecord {
    SendRecord {
        recipient: Some(number.into()),
        ..sent(at, account, lead, Channel::Sms)
    }
}

/// The account's quiet hours: `window` on every channel (`None`: no account window at all).
fn every_channel(window: Option<gate::Window>) -> QuietHours {
    QuietHours {
        default: Some(window),
        channels: BTreeMap::new(),
    }
}

fn detail(d: &gate::Decision, check: Check) -> String {
    d.check(check)
        .and_then(|c| c.detail.clone())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Every candidate zone
// ---------------------------------------------------------------------------------------------

/// A Florida number whose lead says `America/Chicago`: 20:30 Eastern is past Florida's 8 p.m.
/// (the area code presumes the called party is in Florida), even though it is 19:30 in Chicago.
#[test]
fn florida_number_stored_in_chicago_is_judged_in_both_zones() {
    let mut fx = Fx::new().with_phone(MIAMI_PHONE);
    fx.lead.timezone = Some(chrono_tz::America::Chicago);
    let mut d = fx.eval(utc("2026-11-19T01:30:00Z")); // 20:30 EST, 19:30 CST
    assert_eq!(rule_of(&d, Check::QuietHours), Some("us-fl-ftsa-hours"));
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &[
            "America/New_York",
            "America/Chicago (lead timezone)",
            "America/New_York (phone prefix)",
        ],
        // 08:00 CST, when both zones are open.
        Some(utc("2026-11-19T14:00:00Z")),
    );
}

/// A San Francisco number stored as `Asia/Kolkata`: 23:00 Pacific is 12:30 in Kolkata, but the
/// number's own zone is closed. The two 08:00–21:00 windows overlap only from 08:00 IST to
/// 21:00 PST (02:30–05:00 UTC); with a narrower account window they never do.
#[test]
fn san_francisco_number_stored_in_kolkata_waits_for_the_overlap() {
    let mut fx = Fx::new();
    fx.lead.timezone = Some(chrono_tz::Asia::Kolkata);
    let mut d = fx.eval(utc("2026-11-18T07:00:00Z"));
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &["America/Los_Angeles", "Asia/Kolkata (lead timezone)"],
        Some(utc("2026-11-19T02:30:00Z")), // 08:00 IST, 18:30 PST
    );
    assert_allowed(&mut fx.eval(utc("2026-11-19T04:59:00Z")));
    fx.account.quiet_hours = every_channel(Some(window(9, 0, 17, 0)));
    assert_blocked(
        &mut fx.eval(utc("2026-11-18T07:00:00Z")),
        Reason::QuietHours,
        &["never open together"],
        None,
    );
}

/// A Hawaii resident (stored state) with a New York number is not texted at 03:30 HST.
#[test]
fn stored_state_adds_its_zones() {
    let mut fx = Fx::new().with_phone(NEW_YORK);
    fx.lead.state = Some("HI".into());
    let mut d = fx.eval(utc("2026-11-18T13:30:00Z")); // 08:30 EST, 03:30 HST
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &["Pacific/Honolulu", "Pacific/Honolulu (lead state)"],
        Some(utc("2026-11-18T18:00:00Z")), // 08:00 HST
    );
    assert_allowed(&mut fx.eval(utc("2026-11-18T18:00:00Z")));
}

/// Puerto Rico is the United States for the TCPA: a +1 787 number is not texted at 22:30.
#[test]
fn puerto_rico_number_follows_the_federal_hours() {
    let mut fx = Fx::new().with_phone(PUERTO_RICO);
    fx.lead.country = None;
    // No account window: only the rule packs bind.
    fx.account.quiet_hours = every_channel(None);
    let mut d = fx.eval(utc("2026-11-19T02:30:00Z")); // 22:30 AST
    assert_eq!(
        rule_of(&d, Check::QuietHours),
        Some("us-tcpa-calling-hours")
    );
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &["America/Puerto_Rico"],
        Some(utc("2026-11-19T12:00:00Z")), // 08:00 AST
    );
    assert_allowed(&mut fx.clone().transactional().eval(utc("2026-11-19T02:30:00Z")));
}

/// WhatsApp touches also consider the WhatsApp number's zones; texts to the phone do not.
#[test]
fn whatsapp_number_zones_count_for_whatsapp_only() {
    let mut fx = Fx::new();
    fx.lead.whatsapp = Some(phone(LONDON));
    whatsapp_template(&mut fx, TemplateStatus::Approved);
    let night_in_london = utc("2026-11-18T22:00:00Z"); // 14:00 PST
    let mut d = fx.eval(night_in_london);
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &["Europe/London (WhatsApp number prefix)"],
        Some(utc("2026-11-19T16:00:00Z")), // 08:00 PST (16:00 in London)
    );
    assert_allowed(&mut fx.clone().on(Channel::Sms).eval(night_in_london));
}

// ---------------------------------------------------------------------------------------------
// Registries, relationships, consent voids
// ---------------------------------------------------------------------------------------------

#[test]
fn national_listing_is_named_as_operators_read_it() {
    let mut fx = Fx::new();
    fx.lead.consents.clear();
    fx.listings = vec![listing(Registry::National, SF_PHONE, Some("2021-01-01"))];
    let d = fx.eval(now());
    assert_eq!(d.reason, Some(Reason::DncListed));
    assert_eq!(detail(&d, Check::Dnc), "National (USA) 2021-01-01");
    fx.listings = vec![listing(Registry::National, SF_PHONE, None)];
    assert_eq!(detail(&fx.eval(now()), Check::Dnc), "National (USA)");
    // Listings of other numbers, transactional touches and email are not affected.
    fx.listings = vec![listing(Registry::National, MIAMI_PHONE, Some("2021-01-01"))];
    assert!(fx.eval(now()).check(Check::Dnc).is_some_and(|c| c.passed));
    fx.listings = vec![listing(Registry::National, SF_PHONE, Some("2021-01-01"))];
    assert_allowed(&mut fx.clone().transactional().eval(now()));
    assert_allowed(&mut fx.clone().on(Channel::Email).eval(now()));
}

#[test]
fn national_listing_is_lifted_by_consent_for_the_channel() {
    let mut fx = Fx::new();
    fx.listings = vec![listing(Registry::National, SF_PHONE, Some("2021-01-01"))];
    // The fixture consented to sms, call and whatsapp.
    assert_allowed(&mut fx.eval(now()));
    fx.lead.consents.retain(|c| c.channel != Channel::Sms);
    fx.policy.require_consent = false;
    assert_blocked(
        &mut fx.eval(now()),
        Reason::DncListed,
        &["National (USA)"],
        None,
    );
}

#[test]
fn business_relationship_lifts_a_listing_for_18_or_3_months() {
    let mut fx = Fx::new();
    fx.lead.consents.clear();
    fx.policy.require_consent = false;
    fx.listings = vec![listing(Registry::National, SF_PHONE, Some("2021-01-01"))];
    let cases = [
        (RelationshipKind::Purchase, 18, Duration::seconds(1), true),
        (RelationshipKind::Purchase, 18, Duration::zero(), false),
        (RelationshipKind::Inquiry, 3, Duration::seconds(1), true),
        (RelationshipKind::Inquiry, 3, Duration::zero(), false),
    ];
    for (kind, months, after, lifted) in cases {
        // The relationship began `months` before now, plus `after`: it ends at `at + months`.
        let at = now().checked_sub_months(Months::new(months)).unwrap() + after;
        fx.lead.relationships = vec![Relationship { kind, at }];
        assert_eq!(fx.eval(now()).allowed, lifted, "{kind:?} at {at}");
    }
    // A relationship never lifts the company's own rows.
    fx.lead.relationships = vec![Relationship {
        kind: RelationshipKind::Purchase,
        at: now() - Duration::days(30),
    }];
    fx.listings.clear();
    fx.dnc = vec![dnc(
        "dnc-own",
        Some(SF_PHONE),
        None,
        ChannelScope::All,
        DncReason::CustomerRequest,
        None,
    )];
    assert_blocked(&mut fx.eval(now()), Reason::DncListed, &["dnc-own"], None);
    // A registry-like row is lifted like a listing.
    fx.dnc[0].reason = DncReason::NationalDnc;
    assert_allowed(&mut fx.eval(now()));
}

#[test]
fn state_list_applies_to_candidate_states_only() {
    let mut fx = Fx::new().with_phone(MIAMI_PHONE);
    fx.lead.consents.clear();
    fx.policy.require_consent = false;
    fx.listings = vec![listing(
        Registry::State("TX"),
        MIAMI_PHONE,
        Some("2022-01-01"),
    )];
    // A Florida number of a lead with no Texas evidence: the Texas list does not apply.
    assert!(fx.eval(now()).check(Check::Dnc).is_some_and(|c| c.passed));
    fx.lead.state = Some("TX".into());
    let d = fx.eval(now());
    assert_eq!(detail(&d, Check::Dnc), "State (TX) 2022-01-01");
    // Florida's own list applies through the area code.
    fx.lead.state = None;
    fx.listings = vec![listing(Registry::State("FL"), MIAMI_PHONE, None)];
    assert_eq!(detail(&fx.eval(now()), Check::Dnc), "State (FL)");
}

#[test]
fn litigator_listing_holds_every_channel_and_purpose() {
    let mut fx = Fx::new();
    fx.listings = vec![listing(Registry::Litigators, SF_PHONE, Some("2024-03-01"))];
    for channel in Channel::ALL {
        for f in [
            fx.clone().on(channel),
            fx.clone().on(channel).transactional(),
        ] {
            let mut d = f.eval(now());
            assert_blocked(
                &mut d,
                Reason::LitigationHold,
                &["Litigators 2024-03-01", SF_PHONE],
                None,
            );
        }
    }
}

#[test]
fn reassigned_number_voids_older_consents_only() {
    let mut fx = Fx::new();
    fx.listings = vec![listing(Registry::Reassigned, SF_PHONE, Some("2026-06-01"))];
    // The fixture's consents are from 2026-01-01: void.
    assert_blocked(
        &mut fx.eval(now()),
        Reason::ConsentMissing,
        &["predates", "2026-06-01"],
        None,
    );
    // With a national listing too, the void consent does not lift it.
    fx.listings
        .push(listing(Registry::National, SF_PHONE, None));
    assert_eq!(fx.eval(now()).reason, Some(Reason::DncListed));
    // A consent given after the reassignment stands.
    for c in &mut fx.lead.consents {
        c.granted_at = utc("2026-07-01T00:00:00Z");
    }
    assert_allowed(&mut fx.eval(now()));
}

#[test]
fn stored_revocation_voids_consents_for_that_contact() {
    let mut fx = Fx::new();
    fx.lead.consent_voids = vec![ConsentVoid {
        contact: SF_PHONE.into(),
        at: utc("2026-05-01T00:00:00Z"),
    }];
    assert_blocked(
        &mut fx.eval(now()),
        Reason::ConsentMissing,
        &["predates", "2026-05-01"],
        None,
    );
    // A revocation of another contact changes nothing.
    fx.lead.consent_voids[0].contact = "+14155550100".into();
    assert_allowed(&mut fx.eval(now()));
}

#[test]
fn registry_stale_snoozes_hourly() {
    let mut fx = Fx::new();
    fx.policy.require_registry = true;
    // No national list at all.
    let mut d = fx.eval(now());
    assert_eq!(
        d.check(Check::RegistryFreshness).and_then(|c| c.passes_at),
        Some(now() + Duration::hours(1))
    );
    assert_blocked(
        &mut d,
        Reason::RegistryStale,
        &["no national"],
        Some(now() + Duration::hours(1)),
    );
    // More than 31 days old: as of 2026-10-18 (00:00 UTC) is 31 days and 18 hours old.
    fx.national_as_of = Some(day("2026-10-18"));
    assert_blocked(
        &mut fx.eval(now()),
        Reason::RegistryStale,
        &["2026-10-18", "31 days"],
        Some(now() + Duration::hours(1)),
    );
    // Exactly 31 days is still fresh; one more day of freshness is fine too.
    assert!(fx.eval(utc("2026-11-18T00:00:00Z")).allowed);
    fx.national_as_of = Some(day("2026-10-19"));
    assert_allowed(&mut fx.eval(now()));
    // Only marketing telephone touches to US numbers.
    fx.national_as_of = None;
    assert_allowed(&mut fx.clone().transactional().eval(now()));
    assert_allowed(&mut fx.clone().on(Channel::Email).eval(now()));
    let (mut india, at) = india();
    india.policy.require_registry = true;
    assert_allowed(&mut india.eval(at));
}

// ---------------------------------------------------------------------------------------------
// Blackouts
// ---------------------------------------------------------------------------------------------

#[test]
fn blackout_by_state_prefix_country_and_stored_state() {
    // 12:00 CST in New Orleans.
    let until = now() + Duration::hours(2);
    let fx = Fx::new().with_phone(NEW_ORLEANS);
    for region in ["US-LA", "+1504", "US"] {
        let mut f = fx.clone();
        f.blackouts = vec![blackout("bo-1", region, now() - Duration::hours(1), until)];
        assert_blocked(
            &mut f.eval(now()),
            Reason::Blackout,
            &["bo-1", region, "hurricane"],
            Some(until),
        );
        assert_allowed(&mut f.eval(until));
    }
    // "US" covers the territories.
    let mut pr = Fx::new().with_phone(PUERTO_RICO);
    pr.blackouts = vec![blackout("bo-us", "US", now() - Duration::hours(1), until)];
    assert_eq!(pr.eval(now()).reason, Some(Reason::Blackout));
    // A stored state is a candidate state.
    let mut stored = Fx::new();
    stored.lead.state = Some("LA".into());
    stored.blackouts = vec![blackout(
        "bo-la",
        "US-LA",
        now() - Duration::hours(1),
        until,
    )];
    assert_eq!(stored.eval(now()).reason, Some(Reason::Blackout));
    // Elsewhere: nothing.
    let mut other = Fx::new();
    other.blackouts = vec![
        blackout("a", "US-LA", now() - Duration::hours(1), until),
        blackout("b", "+1504", now() - Duration::hours(1), until),
        blackout("c", "CA-ON", now() - Duration::hours(1), until),
    ];
    assert_allowed(&mut other.eval(now()));
}

#[test]
fn blackout_scope_by_channel_and_purpose() {
    let until = now() + Duration::hours(2);
    let mut fx = Fx::new().with_phone(NEW_ORLEANS);
    fx.blackouts = vec![Blackout {
        channels: vec![ChannelScope::Only(Channel::Call)],
        ..blackout("bo", "US-LA", now() - Duration::hours(1), until)
    }];
    assert_allowed(&mut fx.eval(now()));
    assert_eq!(
        fx.clone().on(Channel::Call).eval(now()).reason,
        Some(Reason::Blackout)
    );
    // Marketing only by default; `all` holds transactional touches too.
    let call = fx.clone().on(Channel::Call).transactional();
    assert_allowed(&mut call.eval(now()));
    let mut all = call;
    all.blackouts[0].purpose = BlackoutPurpose::All;
    assert_eq!(all.eval(now()).reason, Some(Reason::Blackout));
}

#[test]
fn blackout_joins_the_retry_search() {
    // Ends at 22:00 CST: the windows open again at 08:00 CST.
    let mut fx = Fx::new().with_phone(NEW_ORLEANS);
    fx.blackouts = vec![blackout(
        "bo",
        "US-LA",
        now() - Duration::hours(1),
        utc("2026-11-19T04:00:00Z"),
    )];
    let mut d = fx.eval(now());
    assert_blocked(
        &mut d,
        Reason::Blackout,
        &[],
        Some(utc("2026-11-19T14:00:00Z")),
    );
    // At night in San Francisco, a blackout that begins before the window opens moves the
    // retry past its end.
    let (mut night, at) = scenario(Reason::QuietHours);
    night.blackouts = vec![blackout(
        "bo-ca",
        "US-CA",
        utc("2026-11-18T15:00:00Z"),
        utc("2026-11-18T20:00:00Z"),
    )];
    let mut d = night.eval(at);
    assert!(d.check(Check::Blackout).is_some_and(|c| c.passed));
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &[],
        Some(utc("2026-11-18T20:00:00Z")),
    );
}

// ---------------------------------------------------------------------------------------------
// Email senders: authentication, health, warm-up
// ---------------------------------------------------------------------------------------------

#[test]
fn sender_lookup_failure_snoozes_five_minutes() {
    let mut fx = Fx::new().on(Channel::Email);
    fx.sender = SenderAuth::LookupFailed {
        detail: "DNS timeout".into(),
    };
    assert_blocked(
        &mut fx.eval(now()),
        Reason::SenderUnauthenticated,
        &["DNS timeout"],
        Some(now() + Duration::minutes(5)),
    );
    fx.sender = SenderAuth::Authenticated;
    assert_allowed(&mut fx.eval(now()));
    // The verdict concerns email only.
    fx.sender = SenderAuth::Unauthenticated {
        detail: "no DMARC".into(),
    };
    assert_allowed(&mut fx.clone().on(Channel::Sms).eval(now()));
    assert_blocked(
        &mut fx.eval(now()),
        Reason::SenderUnauthenticated,
        &["no DMARC"],
        None,
    );
}

#[test]
fn sender_health_pause_is_channel_paused_with_why_and_since() {
    let mut fx = Fx::new().on(Channel::Email);
    fx.account.health_pauses.insert(
        Channel::Email,
        HealthPause {
            since: utc("2026-11-17T09:00:00Z"),
            why: "complaint rate 0.50% over the last 500 sends exceeds 0.30%".into(),
        },
    );
    assert_blocked(
        &mut fx.eval(now()),
        Reason::ChannelPaused,
        &[
            "sender health",
            "2026-11-17T09:00:00Z",
            "complaint rate 0.50%",
        ],
        None,
    );
    assert_allowed(&mut fx.clone().on(Channel::Sms).eval(now()));
}

#[test]
fn warmup_ramp_caps_daily_sends_from_the_first_send() {
    let mut fx = Fx::new().on(Channel::Email).limits(
        Channel::Email,
        ChannelLimits {
            warmup: Some(Warmup {
                start_per_day: 20,
                increase_per_day: 10,
            }),
            ..ChannelLimits::default()
        },
    );
    // First send 3 days and an hour ago: day 4 of the ramp allows 20 + 3 x 10 = 50.
    let first = now() - Duration::days(3) - Duration::hours(1);
    fx.first_sends = vec![(ACCOUNT.into(), Channel::Email, first)];
    fx.sends = (1..=50)
        .map(|k| {
            sent(
                now() - Duration::minutes(20 * k),
                ACCOUNT,
                &format!("lead-{k}"),
                Channel::Email,
            )
        })
        .collect();
    // The oldest of the 50 (1000 minutes ago) leaves the trailing 24 hours first, before the
    // ramp grows at `first + 4 days`.
    let mut d = fx.eval(now());
    assert_blocked(
        &mut d,
        Reason::DailyLimit,
        &["50 of 50", "warm-up day 4 allows 50", "20 on the first day"],
        Some(now() - Duration::minutes(1000) + Duration::hours(24)),
    );
    // 49 sends: a slot is free.
    fx.sends.pop();
    assert_allowed(&mut fx.eval(now()));
    // Without a recorded first send, the earliest send in the log stands in for it (day 1).
    fx.first_sends.clear();
    let d = fx.eval(now());
    assert_eq!(d.reason, Some(Reason::DailyLimit));
    assert!(detail(&d, Check::DailyLimit).contains("warm-up day 1 allows 20"));
}

// ---------------------------------------------------------------------------------------------
// Recipient caps per number and across campaigns
// ---------------------------------------------------------------------------------------------

/// Florida's 3 per 24 hours counts every send to the number: two CRM duplicates sharing it
/// get 3, not 6.
#[test]
fn legal_cap_counts_sends_to_the_number_from_any_lead() {
    let mut fx = Fx::new().with_phone(MIAMI_PHONE);
    let at = utc("2026-11-18T17:00:00Z"); // 12:00 EST
    fx.sends = vec![
        to_number(at - Duration::hours(20), "sdr-2", "lead-dup", MIAMI_PHONE),
        to_number(at - Duration::hours(10), "sdr-3", "lead-dup", MIAMI_PHONE),
        to_number(at - Duration::hours(1), ACCOUNT, LEAD, MIAMI_PHONE),
    ];
    let mut d = fx.eval(at);
    assert_eq!(
        rule_of(&d, Check::RecipientFrequency),
        Some("us-fl-ftsa-cap")
    );
    assert_blocked(
        &mut d,
        Reason::RecipientFrequency,
        &["3 of 3", "lead and number"],
        Some(at + Duration::hours(4)),
    );
    // The duplicate's sends to another number do not count.
    for s in fx.sends.iter_mut().filter(|s| s.lead_id == "lead-dup") {
        s.recipient = Some("+13055550199".into());
    }
    assert_allowed(&mut fx.eval(at));
}

#[test]
fn recipient_cap_counts_the_lead_and_for_telephone_the_number() {
    let (mut fx, at) = scenario(Reason::RecipientCap);
    let mut d = fx.eval(at);
    // The oldest of the five (6 days ago) leaves the trailing week in a day.
    assert_blocked(
        &mut d,
        Reason::RecipientCap,
        &["5 of 5", "7 days"],
        Some(at + Duration::days(1)),
    );
    // Per number: two sends to the number through a duplicate lead count for a text...
    fx.policy.recipient_caps.marketing_per_week = Some(2);
    fx.sends = vec![
        to_number(at - Duration::days(1), "sdr-2", "lead-dup", SF_PHONE),
        to_number(at - Duration::days(2), "sdr-2", "lead-dup", SF_PHONE),
    ];
    assert_eq!(fx.eval(at).reason, Some(Reason::RecipientCap));
    // ...but not for an email to the lead.
    assert_allowed(&mut fx.clone().on(Channel::Email).eval(at));
    // Transactional touches are never capped.
    assert_allowed(&mut fx.clone().transactional().eval(at));
}

// ---------------------------------------------------------------------------------------------
// DLT tags and WhatsApp categories
// ---------------------------------------------------------------------------------------------

#[test]
fn dlt_typed_tags_are_matched_by_kind() {
    let (mut fx, at) = india();
    if let Some(dlt) = fx.account.dlt.as_mut() {
        dlt.templates = vec![DltTemplate {
            id: "1107000000001".into(),
            header: "ACMEIN".into(),
            body: "Your OTP is {#numeric#}. Help: {#cbn#} or {#url#}".into(),
        }];
    }
    fx.touch.body = Some("Your OTP is 482913. Help: 1800-123-4567 or https://acme.in/h".into());
    assert_allowed(&mut fx.eval(at));
    fx.touch.body = Some("Your OTP is 48A913. Help: 1800-123-4567 or https://acme.in/h".into());
    assert_blocked(
        &mut fx.eval(at),
        Reason::DltTemplateMismatch,
        &["1107000000001"],
        None,
    );
}

#[test]
fn whatsapp_marketing_templates_are_restricted_by_country() {
    let (fx, at) = scenario(Reason::WhatsappMarketingRestricted);
    let mut d = fx.eval(at);
    assert_blocked(
        &mut d,
        Reason::WhatsappMarketingRestricted,
        &["nov_promo", "US"],
        None,
    );
    // Utility, authentication, and no category at all (read as utility) pass.
    for category in [
        Some(WhatsappCategory::Utility),
        Some(WhatsappCategory::Authentication),
        None,
    ] {
        let mut f = fx.clone();
        f.account.whatsapp_templates[0].category = category;
        assert_allowed(&mut f.eval(at));
    }
    // Puerto Rico counts as the US.
    assert_eq!(
        fx.clone().with_phone(PUERTO_RICO).eval(at).reason,
        Some(Reason::WhatsappMarketingRestricted)
    );
    // The country is the WhatsApp number's: an Indian WhatsApp number is fine by default...
    let mut india = fx.clone();
    india.lead.whatsapp = Some(phone(INDIA_PHONE));
    let ist_noon = utc("2026-11-18T06:30:00Z"); // 12:00 IST, 22:30 PST
    india.account.quiet_hours = every_channel(None);
    india.touch.purpose = gate::Purpose::Transactional;
    assert_allowed(&mut india.eval(ist_noon));
    // ...and restricted when the workspace lists India.
    india.policy.whatsapp_marketing_blocked_countries = vec!["IN".into()];
    assert_eq!(
        india.eval(ist_noon).reason,
        Some(Reason::WhatsappMarketingRestricted)
    );
}

// ---------------------------------------------------------------------------------------------
// Automated touches
// ---------------------------------------------------------------------------------------------

#[test]
fn automated_touches_follow_the_adad_pack_too() {
    // 08:30 CST in Oklahoma: the general rule opens at 08:00, the ADAD rule at 09:00.
    let mut fx = Fx::new().with_phone(OKLAHOMA);
    let at = utc("2026-11-18T14:30:00Z");
    assert_allowed(&mut fx.eval(at));
    fx.touch.automated = true;
    let mut d = fx.eval(at);
    assert_eq!(rule_of(&d, Check::QuietHours), Some("us-ok-adad-hours"));
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &["automatic dialing-announcing"],
        Some(utc("2026-11-18T15:00:00Z")),
    );
}

#[test]
fn maine_automated_calls_weekdays_only_and_one_per_eight_hours() {
    let mut fx = Fx::new().with_phone(MAINE).on(Channel::Call);
    let saturday = utc("2026-11-21T15:00:00Z"); // 10:00 EST
    assert_allowed(&mut fx.eval(saturday));
    fx.touch.automated = true;
    assert_blocked(
        &mut fx.eval(saturday),
        Reason::QuietHours,
        &["Maine"],
        Some(utc("2026-11-23T14:00:00Z")), // Monday 09:00 EST
    );
    // Wednesday 13:00 EST, a marketing call to the number two hours ago: the next one may
    // follow 8 hours after it, at 19:00 EST, when the weekday window is closed; so Thursday
    // 09:00 EST.
    fx.sends = vec![SendRecord {
        channel: Channel::Call,
        ..to_number(now() - Duration::hours(2), "sdr-2", LEAD, MAINE)
    }];
    let mut d = fx.eval(now());
    assert_eq!(
        rule_of(&d, Check::RecipientFrequency),
        Some("us-me-adad-hours")
    );
    assert_blocked(
        &mut d,
        Reason::RecipientFrequency,
        &["1 of 1", "8 hours"],
        Some(utc("2026-11-19T14:00:00Z")),
    );
}

// ---------------------------------------------------------------------------------------------
// Operator waivers
// ---------------------------------------------------------------------------------------------

#[test]
fn waived_business_checks_pass_with_a_marker() {
    for (reason, waiver) in [
        (Reason::MinGap, Waiver::MinGap),
        (Reason::HourlyLimit, Waiver::HourlyLimit),
        (Reason::DailyLimit, Waiver::DailyLimit),
        (Reason::WeeklyLimit, Waiver::WeeklyLimit),
        (Reason::RecipientCap, Waiver::RecipientCap),
        (Reason::TemplateUnapproved, Waiver::TemplateUnapproved),
    ] {
        let (fx, at) = scenario(reason);
        let waivers = Waivers::NONE.with(waiver);
        let mut d = fx.eval_waiving(at, waivers);
        assert_eq!(d.waivers, waivers);
        let c = d.check(waiver.check()).cloned().unwrap();
        assert!(c.passed && c.waived, "{reason}: {c:?}");
        assert!(c.detail.is_some_and(|s| !s.is_empty()), "{reason}");
        assert_allowed(&mut d);
        // Another waiver does not lift it.
        let other = if waiver == Waiver::MinGap {
            Waiver::HourlyLimit
        } else {
            Waiver::MinGap
        };
        assert_eq!(
            fx.eval_waiving(at, Waivers::NONE.with(other)).reason,
            Some(reason)
        );
    }
}

#[test]
fn waiving_the_account_window_never_waives_a_rule_pack() {
    let at = utc("2026-11-18T11:12:00Z"); // 03:12 PST
    let waivers = Waivers::parse(["account_quiet_hours"]).unwrap();
    // Transactional: only the account window binds; waived, it goes.
    let t = Fx::new().transactional();
    assert_eq!(t.eval(at).reason, Some(Reason::QuietHours));
    let mut d = t.eval_waiving(at, waivers);
    assert!(d.check(Check::AccountQuietHours).is_some_and(|c| c.waived));
    assert_allowed(&mut d);
    // Marketing: the TCPA window still binds, and the retry ignores the waived window.
    let mut m = Fx::new();
    m.account.quiet_hours = every_channel(Some(window(12, 0, 13, 0)));
    let mut d = m.eval_waiving(at, waivers);
    assert_eq!(
        rule_of(&d, Check::QuietHours),
        Some("us-tcpa-calling-hours")
    );
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &["47 CFR 64.1200(c)(1)"],
        Some(utc("2026-11-18T16:00:00Z")), // 08:00 PST, not the account's 12:00
    );
    // Legal checks cannot be named.
    for legal in [
        "quiet_hours",
        "dnc",
        "blackout",
        "recipient_frequency",
        "consent_missing",
    ] {
        let err = Waivers::parse([legal]).unwrap_err();
        assert_eq!(err.name(), legal);
        assert!(err.to_string().contains("legal check"), "{err}");
    }
}

#[test]
fn a_waived_cap_leaves_the_retry_search() {
    // Min-gap lifts in 10 minutes, the hourly cap in an hour: waiving the cap leaves 10 min.
    let (mut fx, at) = scenario(Reason::MinGap);
    fx = fx.limits(
        Channel::Sms,
        ChannelLimits {
            min_gap_seconds: Some(900),
            hourly: Some(1),
            ..ChannelLimits::default()
        },
    );
    let d = fx.eval(at);
    assert_eq!(d.retry_after, Some(at + Duration::minutes(55)));
    let mut d = fx.eval_waiving(at, Waivers::NONE.with(Waiver::HourlyLimit));
    assert_blocked(
        &mut d,
        Reason::MinGap,
        &[],
        Some(at + Duration::minutes(10)),
    );
}
