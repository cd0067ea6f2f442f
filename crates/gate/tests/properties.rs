//! Properties of `evaluate_send` over random instants (2026–2030, second resolution), zones,
//! account windows (wrapping ones included), rule-pack jurisdictions, caps, recent sends and
//! DNC expiries:
//!
//! (a) a block with `retry_after = Some(r)` is lifted at `r`: the same touch with the same
//!     facts is allowed at `r` (the generated facts change only through time-based checks);
//! (b) nothing earlier: no whole minute strictly between `now` and `r` is allowed (nor `r - 1s`);
//! (c) an allowed decision is inside the account window and every applicable rule's schedule in
//!     every candidate zone;
//! (d) the gate never panics and its report is well-formed on arbitrary facts.

// Test helpers outside `#[test]` functions unwrap and panic on malformed fixtures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use chrono_tz::Tz;
use gate::quiet_hours::Schedule;
use gate::timezone::resolve_place;
use gate::{
    Account, AccountStatus, Channel, ChannelLimits, ChannelScope, Check, Consent, ContentTemplate,
    Decision, DltRegistration, DltTemplate, DncEntry, DncReason, Email, Facts, Lead,
    LinkedInAction, LinkedInId, Phone, Policy, Purpose, QuietHours, SendRecord, TemplateRef,
    TemplateStatus, TimeOfDay, Touch, WhatsappTemplate, Window, evaluate_send,
};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

// ---------------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------------

const ZONES: &[Tz] = &[
    chrono_tz::America::St_Johns,
    chrono_tz::Asia::Kolkata,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Pacific::Chatham,
    chrono_tz::America::Santiago,
    chrono_tz::Europe::London,
    chrono_tz::Europe::Dublin,
    chrono_tz::America::New_York,
    chrono_tz::America::Chicago,
    chrono_tz::America::Denver,
    chrono_tz::America::Phoenix,
    chrono_tz::America::Los_Angeles,
    chrono_tz::America::Havana,
    chrono_tz::Asia::Kathmandu,
    chrono_tz::Asia::Tehran,
    chrono_tz::Europe::Berlin,
    chrono_tz::Australia::Sydney,
    chrono_tz::Pacific::Auckland,
    chrono_tz::Africa::Casablanca,
    chrono_tz::Asia::Tokyo,
    chrono_tz::Pacific::Apia,
];

/// Valid numbers in different states, countries, and multi-zone prefixes.
const PHONES: &[&str] = &[
    "+14155550123",  // CA, Los Angeles
    "+13055550123",  // FL, New York zone
    "+18502345678",  // FL panhandle, Chicago zone
    "+12145550123",  // TX
    "+12055550123",  // AL
    "+12035550123",  // CT
    "+14055550123",  // OK
    "+14105550123",  // MD
    "+12062345678",  // WA
    "+15025550123",  // KY
    "+12082001234",  // ID: Boise + Los Angeles
    "+19075550123",  // AK: Adak + Anchorage
    "+17095550123",  // NL: Puerto Rico + St Johns
    "+16045550123",  // BC
    "+14165550123",  // ON
    "+15145550123",  // QC
    "+919876543210", // IN
    "+442079460958", // GB
    "+61293744000",  // AU
];

const COUNTRIES: &[Option<&str>] = &[None, None, Some("US"), Some("CA"), Some("IN"), Some("GB")];
const STATES: &[Option<&str>] = &[
    None,
    None,
    Some("FL"),
    Some("TX"),
    Some("AL"),
    Some("CT"),
    Some("OK"),
    Some("MD"),
    Some("WA"),
    Some("LA"),
    Some("MS"),
    Some("RI"),
    Some("NM"),
    Some("KY"),
    Some("MA"),
    Some("Florida"),
    Some("texas"),
    Some("ON"),
    Some("QC"),
];

const ACCOUNT: &str = "sdr-1";
const LEAD: &str = "lead-7";
const DLT_TEMPLATE: &str = "1107000000001";
const DLT_BODY: &str = "Hi {#var#}, your demo is booked.";
const WA_TEMPLATE: &str = "promo";

fn ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).expect("in range")
}

fn year_start(year: i32) -> i64 {
    chrono::NaiveDate::from_ymd_opt(year, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("valid date")
        .and_utc()
        .timestamp()
}

fn phone(s: &str) -> Phone {
    Phone::parse(s, None).expect("valid phone")
}

// ---------------------------------------------------------------------------------------------
// A generated scenario
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Scenario {
    now: DateTime<Utc>,
    policy: Policy,
    account: Account,
    lead: Lead,
    dnc: Vec<DncEntry>,
    sends: Vec<SendRecord>,
    touch: Touch,
}

impl Scenario {
    fn eval(&self, at: DateTime<Utc>) -> Decision {
        let facts = Facts {
            policy: &self.policy,
            account: &self.account,
            lead: &self.lead,
            dnc: &self.dnc,
            recent_sends: &self.sends,
        };
        evaluate_send(&self.touch, &facts, at)
    }

    /// The phone the touch goes to (mirrors the recipient rules of the contract).
    fn touch_phone(&self) -> Option<&Phone> {
        match self.touch.channel {
            Channel::Sms | Channel::Call => self.lead.phone.as_ref(),
            Channel::Whatsapp => self.lead.whatsapp.as_ref().or(self.lead.phone.as_ref()),
            Channel::Email | Channel::Linkedin => None,
        }
    }
}

#[derive(Clone, Debug)]
struct SendSpec {
    ago_secs: i64,
    other_account: bool,
    other_lead: bool,
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

fn channel() -> impl Strategy<Value = Channel> {
    select(Channel::ALL.to_vec())
}

fn purpose() -> impl Strategy<Value = Purpose> {
    prop_oneof![3 => Just(Purpose::Marketing), 1 => Just(Purpose::Transactional)]
}

fn action() -> impl Strategy<Value = LinkedInAction> {
    prop_oneof![Just(LinkedInAction::Invite), Just(LinkedInAction::Message)]
}

fn time_of_day() -> impl Strategy<Value = TimeOfDay> {
    (0u16..=1440).prop_map(|m| TimeOfDay::hm(m / 60, m % 60))
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

fn quiet_hours(window: BoxedStrategy<Window>) -> impl Strategy<Value = QuietHours> {
    let opt = prop_oneof![1 => Just(None), 4 => window.clone().prop_map(Some)];
    let default = prop_oneof![
        2 => Just(None),
        1 => Just(Some(None)),
        2 => window.prop_map(|w| Some(Some(w))),
    ];
    (default, btree_map(channel(), opt, 0..3))
        .prop_map(|(default, channels)| QuietHours { default, channels })
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
    )
        .prop_map(
            |(min_gap_seconds, hourly, daily, weekly_invites)| ChannelLimits {
                min_gap_seconds,
                hourly,
                daily,
                weekly_invites,
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
        option::weighted(0.2, channel()),
        purpose(),
        action(),
    )
        .prop_map(
            |(ago_secs, other_account, other_lead, channel, purpose, action)| SendSpec {
                ago_secs,
                other_account,
                other_lead,
                channel,
                purpose,
                action,
            },
        )
}

fn dnc_reason() -> impl Strategy<Value = DncReason> {
    select(DncReason::ALL.to_vec())
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

/// A scenario whose non-time facts do not change with time: consents granted long ago and
/// never revoked, WhatsApp touches use an approved template, sends are in the past, DLT is
/// registered and the body matches. Everything time-based is random.
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
        (channel(), purpose(), action()),
        lead_spec(),
        quiet_hours(window().boxed()),
        limits(),
        vec(send_spec(), 0..40),
        prop_oneof![3 => Just(Vec::new()), 1 => vec(dnc_spec(), 1..3)],
        select(ZONES),
    )
        .prop_map(
            |(
                (now, zone),
                (channel, purpose, action),
                mut lead,
                qh,
                limits,
                sends,
                dnc,
                default_tz,
            )| {
                if zone.is_some() {
                    lead.timezone = zone;
                }
                build(
                    ts(now),
                    channel,
                    purpose,
                    action,
                    &lead,
                    qh,
                    limits,
                    &sends,
                    &dnc,
                    default_tz,
                )
            },
        )
}

#[allow(clippy::too_many_arguments)]
fn build(
    now: DateTime<Utc>,
    channel: Channel,
    purpose: Purpose,
    action: LinkedInAction,
    spec: &LeadSpec,
    quiet_hours: QuietHours,
    limits: ChannelLimits,
    sends: &[SendSpec],
    dnc: &[DncSpec],
    default_tz: Tz,
) -> Scenario {
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
        }],
        templates: Vec::new(),
    };
    let touch = Touch {
        id: "touch-1".into(),
        account_id: ACCOUNT.into(),
        lead_id: LEAD.into(),
        channel,
        purpose,
        template: Some(TemplateRef {
            id: Some(DLT_TEMPLATE.into()),
            name: Some(WA_TEMPLATE.into()),
            language: Some("en_US".into()),
        }),
        body: Some("Hi Ana, your demo is booked.".into()),
        action,
    };
    let sends = sends
        .iter()
        .map(|s| SendRecord {
            at: now - Duration::seconds(s.ago_secs),
            account_id: if s.other_account { "sdr-2" } else { ACCOUNT }.into(),
            lead_id: if s.other_lead { "lead-1" } else { LEAD }.into(),
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
    Scenario {
        now,
        policy: Policy {
            require_consent: true,
            default_timezone: default_tz,
        },
        account,
        lead,
        dnc,
        sends,
        touch,
    }
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

const TIME_CHECKS: [Check; 6] = [
    Check::QuietHours,
    Check::MinGap,
    Check::HourlyLimit,
    Check::DailyLimit,
    Check::WeeklyLimit,
    Check::RecipientFrequency,
];

fn failing(d: &Decision) -> Vec<String> {
    d.checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| {
            format!(
                "{:?}: {} (passes_at {:?})",
                c.check,
                c.detail.as_deref().unwrap_or(""),
                c.passes_at
            )
        })
        .collect()
}

/// Structural invariants of every decision.
fn well_formed(d: &Decision, now: DateTime<Utc>) -> Result<(), TestCaseError> {
    const ORDER: [Check; 16] = [
        Check::AccountStatus,
        Check::ChannelStatus,
        Check::Recipient,
        Check::LitigationHold,
        Check::Dnc,
        Check::Consent,
        Check::Dlt,
        Check::Template,
        Check::WhatsappTemplate,
        Check::WhatsappWindow,
        Check::QuietHours,
        Check::MinGap,
        Check::HourlyLimit,
        Check::DailyLimit,
        Check::WeeklyLimit,
        Check::RecipientFrequency,
    ];
    let order: Vec<Check> = d.checks.iter().map(|c| c.check).collect();
    prop_assert_eq!(order, ORDER.to_vec());
    prop_assert_eq!(d.at, now);
    let first = d.checks.iter().find_map(|c| c.reason);
    prop_assert_eq!(d.reason, first);
    prop_assert_eq!(d.allowed, first.is_none());
    for c in &d.checks {
        prop_assert_eq!(c.passed, c.reason.is_none(), "{:?}", c);
        if c.passed {
            prop_assert!(c.passes_at.is_none(), "{:?}", c);
        } else {
            prop_assert!(
                c.detail.as_deref().is_some_and(|s| !s.is_empty()),
                "{:?}",
                c
            );
            if let Some(p) = c.passes_at {
                prop_assert!(p > now, "a failing check passes later, not now: {:?}", c);
            }
        }
    }
    if d.allowed {
        prop_assert!(d.retry_after.is_none());
    }
    if let Some(r) = d.retry_after {
        prop_assert!(r > now, "retry_after {} is not after now {}", r, now);
        // A retry exists only when every failing check lifts with time, each no later than
        // the common instant.
        for c in d.checks.iter().filter(|c| !c.passed) {
            prop_assert!(
                c.passes_at.is_some_and(|p| p <= r),
                "{:?} vs retry_after {}",
                c,
                r
            );
        }
    }
    Ok(())
}

/// Property (c): an allowed decision is inside every applicable window in every zone.
fn inside_every_window(sc: &Scenario, at: DateTime<Utc>) -> Result<(), TestCaseError> {
    let place = resolve_place(&sc.lead, sc.touch_phone(), sc.policy.default_timezone);
    prop_assert!(!place.zones.is_empty());
    let first = place
        .zones
        .first()
        .copied()
        .unwrap_or(sc.policy.default_timezone);
    let today = at.with_timezone(&first).date_naive();
    let account = sc.account.quiet_hours.window_for(sc.touch.channel);
    let rules: Vec<_> =
        gate::rule_packs::applicable(&place, sc.touch.channel, sc.touch.purpose, today).collect();
    for &zone in &place.zones {
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
                prop_assert!(
                    s.allows(zone, at),
                    "allowed at {} ({} in {}) outside rule {}",
                    at,
                    local,
                    zone,
                    rule.id
                );
            }
        }
    }
    Ok(())
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // No regression files written next to the crate.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

#[test]
fn property_data_is_valid() {
    for p in PHONES {
        assert!(Phone::parse(p, None).is_ok(), "{p}");
    }
    assert!(phone("+12082001234").location().zones.len() == 2);
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

// ---------------------------------------------------------------------------------------------
// (d) arbitrary facts
// ---------------------------------------------------------------------------------------------

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

fn arbitrary_scenario() -> impl Strategy<Value = Scenario> {
    (year_start(1995)..year_start(2100)).prop_flat_map(|now_secs| {
        let now = ts(now_secs);
        let policy =
            (any::<bool>(), select(ZONES)).prop_map(|(require_consent, default_timezone)| Policy {
                require_consent,
                default_timezone,
            });
        let account = (
            select(vec![
                AccountStatus::Active,
                AccountStatus::Paused,
                AccountStatus::Suspended,
            ]),
            vec(channel(), 0..2),
            btree_map(
                channel(),
                (wild_limit(), wild_limit(), wild_limit(), wild_limit()).prop_map(
                    |(a, b, c, d)| ChannelLimits {
                        min_gap_seconds: a,
                        hourly: b,
                        daily: c,
                        weekly_invites: d,
                    },
                ),
                0..5,
            ),
            quiet_hours(any_window().boxed()),
            option::of((
                any_string(),
                vec(any_string(), 0..2),
                vec((any_string(), any_string(), ".{0,40}"), 0..2),
            )),
            vec((any_string(), any_string(), status()), 0..3),
            vec((any_string(), option::of(channel()), status()), 0..3),
        )
            .prop_map(
                |(status, paused_channels, limits, quiet_hours, dlt, wa, templates)| Account {
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
                        .map(|(name, language, status)| WhatsappTemplate {
                            name,
                            language,
                            status,
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
        )
            .prop_map(
                |(
                    (id, p, w, email, linkedin),
                    (timezone, country, state),
                    consents,
                    reassigned,
                    inbound,
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
                channel(),
                purpose(),
                action(),
            )
                .prop_map(|(at, account_id, lead_id, channel, purpose, action)| {
                    SendRecord {
                        at,
                        account_id,
                        lead_id,
                        channel,
                        purpose,
                        action,
                    }
                }),
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
            ),
            option::of((
                option::of(any_string()),
                option::of(any_string()),
                option::of(any_string()),
            )),
            option::of(".{0,40}"),
        )
            .prop_map(
                |((id, account_id, lead_id, channel, purpose, action), template, body)| Touch {
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
                },
            );
        (policy, account, lead, dnc, sends, touch).prop_map(
            move |(policy, account, lead, dnc, sends, touch)| Scenario {
                now,
                policy,
                account,
                lead,
                dnc,
                sends,
                touch,
            },
        )
    })
}

proptest! {
    #![proptest_config(config(256))]

    /// (d) the gate never panics, and every decision is well-formed.
    #[test]
    fn never_panics_on_arbitrary_facts(sc in arbitrary_scenario()) {
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
    }
}
