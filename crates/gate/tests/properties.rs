//! Properties of `evaluate_send` over random instants (2026–2030, second resolution), zones
//! (both hemispheres' DST), account windows (wrapping ones included), rule-pack jurisdictions
//! (stored states, area codes, territories), automated touches, caps and warm-up ramps,
//! per-number and cross-campaign recipient caps, blackouts, recent sends and DNC expiries:
//!
//! (a) a block with `retry_after = Some(r)` is lifted at `r`: the same touch with the same
//!     facts is allowed at `r` (the generated facts change only through time-based checks);
//! (b) nothing earlier: no whole minute strictly between `now` and `r` is allowed (nor `r - 1s`);
//! (c) an allowed decision is inside the account window and every applicable rule's schedule
//!     in every candidate zone — the lead's stored zone, its stored state's zones and its
//!     numbers' prefix zones, computed here independently of the gate — and outside every
//!     blackout that holds the touch.
//!
//! (d), the gate never panicking on arbitrary facts, is in `arbitrary_facts.rs`.

// Test helpers outside `#[test]` functions unwrap and panic on malformed fixtures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod scenario;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use chrono_tz::Tz;
use common::Fx;
use gate::quiet_hours::Schedule;
use gate::timezone::resolve_place;
use gate::{
    Account, AccountStatus, Blackout, BlackoutPurpose, Channel, ChannelLimits, ChannelScope, Check,
    Consent, DltRegistration, DltTemplate, DncEntry, DncReason, Email, Lead, LinkedInAction,
    LinkedInId, Policy, Purpose, QuietHours, RecipientCaps, SendRecord, SenderAuth, TemplateRef,
    TemplateStatus, TimeOfDay, Touch, Warmup, WhatsappCategory, WhatsappTemplate, Window,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use scenario::*;

// ---------------------------------------------------------------------------------------------
// Generated scenarios
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct SendSpec {
    ago_secs: i64,
    other_account: bool,
    other_lead: bool,
    /// 0 the lead's phone, 1 no number recorded, 2 the lead's `other` number.
    number: u8,
    /// `None`: the touch's channel.
    channel: Option<Channel>,
    purpose: Purpose,
    action: LinkedInAction,
}

#[derive(Clone, Debug)]
struct DncSpec {
    /// 0 phone, 1 email, 2 lead id, 3 whatsapp, 4 somebody else.
    target: u8,
    /// `None`: `*`.
    scope: Option<Channel>,
    reason: DncReason,
    /// Relative to now.
    expires_in_secs: Option<i64>,
}

#[derive(Clone, Debug)]
struct LeadSpec {
    phone: Option<&'static str>,
    /// 0 same as phone, 1 none, 2 `other`.
    whatsapp: u8,
    other: &'static str,
    timezone: Option<Tz>,
    country: Option<&'static str>,
    state: Option<&'static str>,
    consents: [bool; 3],
}

#[derive(Clone, Debug)]
struct BlackoutSpec {
    region: &'static str,
    starts_in_secs: i64,
    lasts_secs: i64,
    channel: Option<Channel>,
    all_purposes: bool,
}

/// Facts of a touch beyond the lead and the account.
#[derive(Clone, Debug)]
struct TouchSpec {
    channel: Channel,
    purpose: Purpose,
    action: LinkedInAction,
    automated: bool,
    category: Option<WhatsappCategory>,
    recipient_cap: Option<u32>,
}

/// A window as the API accepts it (`start != end`), often a realistic one.
fn window() -> impl Strategy<Value = Window> {
    let realistic = (6u16..=11, 0u16..4, 16u16..=23, 0u16..4).prop_map(|(sh, sq, eh, eq)| {
        Window::new(TimeOfDay::hm(sh, sq * 15), TimeOfDay::hm(eh, eq * 15))
    });
    let any = (time_of_day(), time_of_day())
        .prop_filter("start == end is rejected by the API", |(s, e)| s != e)
        .prop_map(|(s, e)| Window::new(s, e));
    prop_oneof![realistic, any]
}

fn lead_spec() -> impl Strategy<Value = LeadSpec> {
    (
        option::weighted(0.9, select(PHONES)),
        prop_oneof![3 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
        select(PHONES),
        option::weighted(0.3, select(ZONES)),
        select(COUNTRIES),
        select(STATES),
        prop::array::uniform3(prop::bool::weighted(0.9)),
    )
        .prop_map(
            |(phone, whatsapp, other, timezone, country, state, consents)| LeadSpec {
                phone,
                whatsapp,
                other,
                timezone,
                country,
                state,
                consents,
            },
        )
}

fn limits() -> impl Strategy<Value = ChannelLimits> {
    (
        option::weighted(0.4, 0u32..=7200),
        option::weighted(0.4, prop_oneof![9 => 1u32..=6, 1 => Just(0u32)]),
        option::weighted(0.4, prop_oneof![9 => 1u32..=20, 1 => Just(0u32)]),
        option::weighted(0.5, 1u32..=5),
        option::weighted(0.3, (0u32..=6, 0u32..=3)),
    )
        .prop_map(
            |(min_gap_seconds, hourly, daily, weekly_invites, warmup)| ChannelLimits {
                min_gap_seconds,
                hourly,
                daily,
                weekly_invites,
                warmup: warmup.map(|(start_per_day, increase_per_day)| Warmup {
                    start_per_day,
                    increase_per_day,
                }),
            },
        )
}

/// Send ages: many in the last hour or day (so that min-gap, hourly and daily caps bind),
/// some over the whole week.
fn send_spec() -> impl Strategy<Value = SendSpec> {
    (
        prop_oneof![0..3_600i64, 0..26 * 3_600i64, 0..8 * 86_400i64],
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.5),
        prop_oneof![3 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
        option::weighted(0.2, channel()),
        purpose(),
        action(),
    )
        .prop_map(
            |(ago_secs, other_account, other_lead, number, channel, purpose, action)| SendSpec {
                ago_secs,
                other_account,
                other_lead,
                number,
                channel,
                purpose,
                action,
            },
        )
}

fn dnc_spec() -> impl Strategy<Value = DncSpec> {
    (
        0u8..5,
        option::weighted(0.5, channel()),
        dnc_reason(),
        option::weighted(0.8, -3 * 86_400i64..10 * 86_400),
    )
        .prop_map(|(target, scope, reason, expires_in_secs)| DncSpec {
            target,
            scope,
            reason,
            expires_in_secs,
        })
}

/// Regions that match some generated recipients and not others.
const BLACKOUT_REGIONS: &[&str] = &[
    "US", "US-FL", "US-TX", "US-PR", "CA", "CA-ON", "IN", "+1305", "+1415", "+44", "AU",
];

fn blackout_spec() -> impl Strategy<Value = BlackoutSpec> {
    (
        select(BLACKOUT_REGIONS),
        -3 * 86_400i64..4 * 86_400,
        3_600i64..4 * 86_400,
        option::weighted(0.3, channel()),
        any::<bool>(),
    )
        .prop_map(
            |(region, starts_in_secs, lasts_secs, channel, all_purposes)| BlackoutSpec {
                region,
                starts_in_secs,
                lasts_secs,
                channel,
                all_purposes,
            },
        )
}

fn touch_spec() -> impl Strategy<Value = TouchSpec> {
    (
        channel(),
        purpose(),
        action(),
        prop::bool::weighted(0.3),
        option::of(select(vec![
            WhatsappCategory::Marketing,
            WhatsappCategory::Utility,
            WhatsappCategory::Authentication,
        ])),
        option::weighted(0.2, 1u32..=8),
    )
        .prop_map(
            |(channel, purpose, action, automated, category, recipient_cap)| TouchSpec {
                channel,
                purpose,
                action,
                automated,
                category,
                recipient_cap,
            },
        )
}

/// A scenario whose non-time facts do not change with time: consents granted long ago and
/// never revoked, WhatsApp touches use an approved template, sends are in the past, DLT is
/// registered and the body matches, no registry is required. Everything time-based is random.
fn scenario() -> impl Strategy<Value = Scenario> {
    scenario_at((year_start(2026)..year_start(2031)).prop_map(|now| (now, None)))
}

/// Every UTC-offset change of the zones in [`ZONES`] in 2026–2030 (hour precision is enough:
/// the instant is then moved up to two days either way).
fn transitions() -> &'static [(i64, Tz)] {
    static ALL: std::sync::OnceLock<Vec<(i64, Tz)>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        use chrono::{Offset, TimeZone};
        let mut out = Vec::new();
        for &zone in ZONES {
            let offset = |t: i64| zone.offset_from_utc_datetime(&ts(t).naive_utc()).fix();
            let mut t = year_start(2026);
            let mut prev = offset(t);
            while t < year_start(2031) {
                t += 3_600;
                let o = offset(t);
                if o != prev {
                    out.push((t, zone));
                    prev = o;
                }
            }
        }
        out
    })
}

/// A scenario within two days of a DST (or other offset) change of the lead's own zone.
fn scenario_near_offset_change() -> impl Strategy<Value = Scenario> {
    scenario_at(
        (select(transitions().to_vec()), -2 * 86_400i64..2 * 86_400)
            .prop_map(|((t, zone), d)| (t + d, Some(zone))),
    )
}

/// A scenario at the instant (and, if given, in the lead's zone) `now` picks.
fn scenario_at(now: impl Strategy<Value = (i64, Option<Tz>)>) -> impl Strategy<Value = Scenario> {
    (
        now,
        touch_spec(),
        lead_spec(),
        quiet_hours(window().boxed()),
        limits(),
        vec(send_spec(), 0..40),
        prop_oneof![3 => Just(Vec::new()), 1 => vec(dnc_spec(), 1..3)],
        prop_oneof![2 => Just(Vec::new()), 1 => vec(blackout_spec(), 1..3)],
        select(ZONES),
    )
        .prop_map(
            |((now, zone), touch, mut lead, qh, limits, sends, dnc, blackouts, default_tz)| {
                if zone.is_some() {
                    lead.timezone = zone;
                }
                build(
                    ts(now),
                    &touch,
                    &lead,
                    qh,
                    limits,
                    &sends,
                    &dnc,
                    &blackouts,
                    default_tz,
                )
            },
        )
}

#[allow(clippy::too_many_arguments)]
fn build(
    now: DateTime<Utc>,
    spec_touch: &TouchSpec,
    spec: &LeadSpec,
    quiet_hours: QuietHours,
    limits: ChannelLimits,
    sends: &[SendSpec],
    dnc: &[DncSpec],
    blackouts: &[BlackoutSpec],
    default_tz: Tz,
) -> Scenario {
    let channel = spec_touch.channel;
    let lead_phone = spec.phone.map(phone);
    let whatsapp = match spec.whatsapp {
        0 => lead_phone.clone(),
        1 => None,
        _ => Some(phone(spec.other)),
    };
    let consents = [Channel::Sms, Channel::Call, Channel::Whatsapp]
        .into_iter()
        .zip(spec.consents)
        .filter(|(_, on)| *on)
        .map(|(channel, _)| Consent {
            channel,
            purpose: Purpose::Marketing,
            granted_at: now - Duration::days(400),
            revoked_at: None,
            source: None,
        })
        .collect();
    let lead = Lead {
        id: LEAD.into(),
        phone: lead_phone.clone(),
        email: Email::parse("ana@example.com").ok(),
        linkedin: LinkedInId::parse("in:ana").ok(),
        whatsapp: whatsapp.clone(),
        timezone: spec.timezone,
        country: spec.country.map(Into::into),
        state: spec.state.map(Into::into),
        consents,
        number_reassigned_at: None,
        last_inbound_whatsapp_at: None,
        relationships: Vec::new(),
        consent_voids: Vec::new(),
    };
    let account = Account {
        id: ACCOUNT.into(),
        status: AccountStatus::Active,
        paused_channels: Vec::new(),
        limits: BTreeMap::from([(channel, limits)]),
        quiet_hours,
        dlt: Some(DltRegistration {
            entity_id: "1101234567890".into(),
            headers: vec!["ACMEIN".into()],
            templates: vec![DltTemplate {
                id: DLT_TEMPLATE.into(),
                header: "ACMEIN".into(),
                body: DLT_BODY.into(),
            }],
        }),
        whatsapp_templates: vec![WhatsappTemplate {
            name: WA_TEMPLATE.into(),
            language: "en_US".into(),
            status: TemplateStatus::Approved,
            category: spec_touch.category,
        }],
        templates: Vec::new(),
        health_pauses: BTreeMap::new(),
    };
    let touch = Touch {
        id: "touch-1".into(),
        account_id: ACCOUNT.into(),
        lead_id: LEAD.into(),
        channel,
        purpose: spec_touch.purpose,
        template: Some(TemplateRef {
            id: Some(DLT_TEMPLATE.into()),
            name: Some(WA_TEMPLATE.into()),
            language: Some("en_US".into()),
        }),
        body: Some("Hi Ana, your demo is booked.".into()),
        action: spec_touch.action,
        automated: spec_touch.automated,
    };
    let sends = sends
        .iter()
        .map(|s| SendRecord {
            at: now - Duration::seconds(s.ago_secs),
            account_id: if s.other_account { "sdr-2" } else { ACCOUNT }.into(),
            lead_id: if s.other_lead { "lead-1" } else { LEAD }.into(),
            recipient: match s.number {
                0 => lead_phone.as_ref().map(|p| p.as_str().to_owned()),
                1 => None,
                _ => Some(phone(spec.other).as_str().to_owned()),
            },
            channel: s.channel.unwrap_or(channel),
            purpose: s.purpose,
            action: s.action,
        })
        .collect();
    let dnc = dnc
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let (contact, lead_id) = match d.target {
                0 => (lead_phone.as_ref().map(|p| p.as_str().to_owned()), None),
                1 => (Some("ana@example.com".to_owned()), None),
                2 => (None, Some(LEAD.to_owned())),
                3 => (whatsapp.as_ref().map(|p| p.as_str().to_owned()), None),
                _ => (Some("+14155550199".to_owned()), Some("lead-1".to_owned())),
            };
            DncEntry {
                id: format!("dnc-{i}"),
                contact,
                lead_id,
                channel: d.scope.map_or(ChannelScope::All, ChannelScope::Only),
                reason: d.reason,
                expires_at: d.expires_in_secs.map(|s| now + Duration::seconds(s)),
            }
        })
        .collect();
    let blackouts = blackouts
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let starts_at = now + Duration::seconds(b.starts_in_secs);
            Blackout {
                id: format!("bo-{i}"),
                region: b.region.parse().expect("valid region"),
                starts_at,
                ends_at: starts_at + Duration::seconds(b.lasts_secs),
                channels: b.channel.map(ChannelScope::Only).into_iter().collect(),
                purpose: if b.all_purposes {
                    BlackoutPurpose::All
                } else {
                    BlackoutPurpose::Marketing
                },
                reason: "test".into(),
            }
        })
        .collect();
    Scenario {
        now,
        fx: Fx {
            policy: Policy {
                default_timezone: default_tz,
                recipient_caps: RecipientCaps {
                    marketing_per_week: spec_touch.recipient_cap,
                },
                ..Policy::default()
            },
            account,
            lead,
            dnc,
            sends,
            first_sends: Vec::new(),
            listings: Vec::new(),
            national_as_of: None,
            blackouts,
            sender: SenderAuth::NotRequired,
            touch,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

const TIME_CHECKS: [Check; 9] = [
    Check::Blackout,
    Check::AccountQuietHours,
    Check::QuietHours,
    Check::MinGap,
    Check::HourlyLimit,
    Check::DailyLimit,
    Check::WeeklyLimit,
    Check::RecipientFrequency,
    Check::RecipientCap,
];

/// The recipient's candidate zones as Contract v2 defines them, computed from the facts
/// without the gate's `resolve_place`: the stored zone, the stored state's zones, the phone's
/// prefix zones and, for WhatsApp, the WhatsApp number's. (Only when none is known do the
/// gate's fallbacks — country, workspace default — apply.)
fn candidate_zones(sc: &Scenario) -> Vec<Tz> {
    let lead = &sc.lead;
    let mut zones: Vec<Tz> = lead.timezone.into_iter().collect();
    if let Some(s) = lead
        .state
        .as_deref()
        .and_then(gate::regions::subdivision_named)
    {
        zones.extend(s.zones);
    }
    if let Some(p) = &lead.phone {
        zones.extend(&p.location().zones);
    }
    if sc.touch.channel == Channel::Whatsapp
        && let Some(w) = &lead.whatsapp
    {
        zones.extend(&w.location().zones);
    }
    if zones.is_empty() {
        zones = resolve_place(lead, sc.touch.channel, sc.policy.default_timezone).zones;
    }
    zones
}

/// Property (c): an allowed decision is inside every applicable window in every candidate
/// zone, and outside every blackout that holds the touch.
fn inside_every_window(sc: &Scenario, at: DateTime<Utc>) -> Result<(), TestCaseError> {
    let place = resolve_place(&sc.lead, sc.touch.channel, sc.policy.default_timezone);
    let zones = candidate_zones(sc);
    for z in &zones {
        prop_assert!(
            place.zones.contains(z),
            "{} missing from {:?}",
            z,
            place.zones
        );
    }
    let first = place
        .zones
        .first()
        .copied()
        .unwrap_or(sc.policy.default_timezone);
    let today = at.with_timezone(&first).date_naive();
    let account = sc.account.quiet_hours.window_for(sc.touch.channel);
    let rules = if sc.touch.channel.is_telephone() {
        gate::rule_packs::applicable(
            &place,
            sc.touch.channel,
            sc.touch.purpose,
            sc.touch.automated,
            today,
        )
    } else {
        Vec::new()
    };
    for &zone in &zones {
        let local = at.with_timezone(&zone);
        if let Some(w) = account {
            prop_assert!(
                Schedule::daily(w).allows(zone, at),
                "allowed at {} ({} in {}) outside the account window {}",
                at,
                local,
                zone,
                w
            );
        }
        for rule in &rules {
            if let Some(s) = rule.schedule {
                let z = rule.fixed_zone.unwrap_or(zone);
                prop_assert!(
                    s.allows(z, at),
                    "allowed at {} ({} in {}) outside rule {}",
                    at,
                    local,
                    z,
                    rule.id
                );
            }
        }
    }
    for b in &sc.blackouts {
        let holds = (b.channels.is_empty()
            || b.channels.iter().any(|c| c.covers(sc.touch.channel)))
            && (b.purpose == BlackoutPurpose::All || sc.touch.purpose == Purpose::Marketing);
        let region = b.region.to_string();
        let numbers = [
            sc.lead.phone.as_ref(),
            sc.lead
                .whatsapp
                .as_ref()
                .filter(|_| sc.touch.channel == Channel::Whatsapp),
        ];
        let in_region = match region.strip_prefix('+') {
            Some(prefix) => numbers
                .iter()
                .flatten()
                .any(|p| p.as_str().get(1..).is_some_and(|n| n.starts_with(prefix))),
            None => match region.split_once('-') {
                Some((_, code)) => place.subdivisions.contains(&code),
                None => place.countries.contains(&region.as_str()),
            },
        };
        prop_assert!(
            !(holds && in_region && b.starts_at <= at && at < b.ends_at),
            "allowed at {} inside blackout {:?}",
            at,
            b
        );
    }
    Ok(())
}

#[test]
fn property_data_is_valid() {
    for p in PHONES {
        assert!(gate::Phone::parse(p, None).is_ok(), "{p}");
    }
    assert!(phone("+12082001234").location().zones.len() == 2);
    for r in BLACKOUT_REGIONS {
        assert!(r.parse::<gate::BlackoutRegion>().is_ok(), "{r}");
    }
    // The transitions cover both hemispheres' daylight time.
    let zones: Vec<Tz> = transitions().iter().map(|(_, z)| *z).collect();
    for z in [
        chrono_tz::America::New_York,
        chrono_tz::Europe::Berlin,
        chrono_tz::Australia::Sydney,
        chrono_tz::America::Santiago,
        chrono_tz::Pacific::Auckland,
    ] {
        assert!(zones.contains(&z), "{z}");
    }
}

/// Properties (a) and (c) for one scenario.
fn check_retry_after_lifts_the_block(sc: &Scenario) -> Result<(), TestCaseError> {
    let d = sc.eval(sc.now);
    well_formed(&d, sc.now)?;
    if d.allowed {
        inside_every_window(sc, sc.now)?;
    }
    if let Some(r) = d.retry_after {
        let again = sc.eval(r);
        well_formed(&again, r)?;
        for check in TIME_CHECKS {
            prop_assert!(
                again.check(check).is_some_and(|c| c.passed),
                "{:?} still fails at retry_after {}: {:?}; at now {}: {:?}",
                check,
                r,
                failing(&again),
                sc.now,
                failing(&d)
            );
        }
        prop_assert!(
            again.allowed,
            "not allowed at retry_after {}: {:?}; at now {}: {:?}",
            r,
            failing(&again),
            sc.now,
            failing(&d)
        );
        inside_every_window(sc, r)?;
    } else if !d.allowed {
        // Permanent: a failing check that time will not lift, or time checks that never pass
        // together within the search horizon.
        let never = d.checks.iter().any(|c| !c.passed && c.passes_at.is_none());
        prop_assert!(
            never,
            "blocked, no retry_after, yet every failing check lifts: {:?}",
            failing(&d)
        );
    }
    Ok(())
}

/// Property (b) for one scenario: every whole minute in `(now, r)` is blocked, and so is
/// `r - 1s`; dense for the first three days, every 37 minutes after that.
fn check_nothing_earlier(sc: &Scenario) -> Result<(), TestCaseError> {
    let d = sc.eval(sc.now);
    let Some(r) = d.retry_after else {
        return Ok(());
    };
    let before = r - Duration::seconds(1);
    if before > sc.now {
        prop_assert!(
            !sc.eval(before).allowed,
            "allowed at {} before retry_after {}",
            before,
            r
        );
    }
    let mut m = (sc.now + Duration::minutes(1))
        .duration_trunc(Duration::minutes(1))
        .expect("truncates");
    let dense_until = r.min(sc.now + Duration::days(3));
    while m < dense_until {
        prop_assert!(
            !sc.eval(m).allowed,
            "allowed at {} before retry_after {} (now {}): {:?}",
            m,
            r,
            sc.now,
            failing(&d)
        );
        m += Duration::minutes(1);
    }
    while m < r {
        prop_assert!(
            !sc.eval(m).allowed,
            "allowed at {} before retry_after {}",
            m,
            r
        );
        m += Duration::minutes(37);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    /// (a) and (c): blocked with `retry_after = r` → allowed at `r`; every allowed decision is
    /// inside its windows.
    #[test]
    fn retry_after_lifts_the_block(sc in scenario()) {
        check_retry_after_lifts_the_block(&sc)?;
    }

    /// (a) and (c) within two days of an offset change of the lead's zone.
    #[test]
    fn retry_after_lifts_the_block_around_offset_changes(sc in scenario_near_offset_change()) {
        check_retry_after_lifts_the_block(&sc)?;
    }

    /// (c) on its own, at many instants: whenever the gate allows, every window allows.
    #[test]
    fn allowed_is_inside_every_window(sc in scenario(), steps in vec(0i64..14 * 86_400, 8)) {
        for s in steps {
            let at = sc.now + Duration::seconds(s);
            if sc.eval(at).allowed {
                inside_every_window(&sc, at)?;
            }
        }
    }
}

proptest! {
    #![proptest_config(config(96))]

    /// (b) no earlier minute than `retry_after` is allowed.
    #[test]
    fn nothing_earlier_than_retry_after(sc in scenario()) {
        check_nothing_earlier(&sc)?;
    }

    /// (b) within two days of an offset change of the lead's zone.
    #[test]
    fn nothing_earlier_than_retry_after_around_offset_changes(sc in scenario_near_offset_change()) {
        check_nothing_earlier(&sc)?;
    }
}

/// Zone unions across DST in both hemispheres: a lead stored in one zone whose number rings in
/// another, near an offset change of the stored zone, is allowed only inside both.
fn scenario_with_foreign_number_near_offset_change() -> impl Strategy<Value = Scenario> {
    (scenario_near_offset_change(), select(PHONES)).prop_map(|(mut sc, number)| {
        sc.lead.phone = Some(phone(number));
        sc
    })
}

proptest! {
    #![proptest_config(config(128))]

    /// (a), (b) and (c) for a stored zone and a number of another zone, around DST changes of
    /// the stored zone (New York, Berlin, Sydney, Santiago, Auckland, Lord Howe, …).
    #[test]
    fn zone_unions_across_offset_changes(sc in scenario_with_foreign_number_near_offset_change()) {
        check_retry_after_lifts_the_block(&sc)?;
        check_nothing_earlier(&sc)?;
    }
}
