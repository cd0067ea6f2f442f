//! What the property test files share: a scenario that owns every fact of a decision, the
//! data the generators pick from, the basic strategies, and the structural invariants of a
//! decision.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use gate::{
    Channel, Check, Decision, DncReason, LinkedInAction, Phone, Purpose, QuietHours, TimeOfDay,
    Window,
};
use proptest::collection::btree_map;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;

use crate::common::Fx;

/// Zones with every kind of offset change: both hemispheres' DST (Santiago, Sydney, Lord Howe's
/// half hour, Chatham, Auckland), quarter- and half-hour offsets, zones without DST.
pub const ZONES: &[Tz] = &[
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

/// Valid numbers in different states, countries, territories and multi-zone prefixes.
pub const PHONES: &[&str] = &[
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
    "+18015550123",  // UT
    "+12155550123",  // PA
    "+14015550123",  // RI
    "+12082001234",  // ID: Boise + Los Angeles
    "+19075550123",  // AK: Adak + Anchorage
    "+18085550123",  // HI
    "+17875550123",  // PR: a US territory
    "+16715550123",  // GU: a US territory, UTC+10
    "+17095550123",  // NL: Puerto Rico + St Johns
    "+16045550123",  // BC
    "+14165550123",  // ON
    "+15145550123",  // QC
    "+919876543210", // IN
    "+442079460958", // GB
    "+61293744000",  // AU (Sydney: southern-hemisphere DST)
    "+6493001234",   // NZ (Auckland)
    "+56221234567",  // CL (Santiago)
];

pub const COUNTRIES: &[Option<&str>] = &[
    None,
    None,
    Some("US"),
    Some("CA"),
    Some("IN"),
    Some("GB"),
    Some("PR"),
    Some("AU"),
];
pub const STATES: &[Option<&str>] = &[
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
    Some("UT"),
    Some("PA"),
    Some("HI"),
    Some("AK"),
    Some("ID"),
    Some("PR"),
    Some("Florida"),
    Some("texas"),
    Some("ON"),
    Some("QC"),
    Some("NL"),
];

pub const ACCOUNT: &str = "sdr-1";
pub const LEAD: &str = "lead-7";
pub const DLT_TEMPLATE: &str = "1107000000001";
pub const DLT_BODY: &str = "Hi {#var#}, your demo is booked.";
pub const WA_TEMPLATE: &str = "promo";

pub fn ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).expect("in range")
}

pub fn year_start(year: i32) -> i64 {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("valid date")
        .and_utc()
        .timestamp()
}

pub fn phone(s: &str) -> Phone {
    Phone::parse(s, None).expect("valid phone")
}

/// Every fact of one decision, owned (the `evaluate` tests' fixture), and the instant to
/// decide at.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub now: DateTime<Utc>,
    pub fx: Fx,
}

impl std::ops::Deref for Scenario {
    type Target = Fx;

    fn deref(&self) -> &Fx {
        &self.fx
    }
}

impl std::ops::DerefMut for Scenario {
    fn deref_mut(&mut self) -> &mut Fx {
        &mut self.fx
    }
}

pub fn channel() -> impl Strategy<Value = Channel> {
    select(Channel::ALL.to_vec())
}

pub fn purpose() -> impl Strategy<Value = Purpose> {
    prop_oneof![3 => Just(Purpose::Marketing), 1 => Just(Purpose::Transactional)]
}

pub fn action() -> impl Strategy<Value = LinkedInAction> {
    prop_oneof![Just(LinkedInAction::Invite), Just(LinkedInAction::Message)]
}

pub fn time_of_day() -> impl Strategy<Value = TimeOfDay> {
    (0u16..=1440).prop_map(|m| TimeOfDay::hm(m / 60, m % 60))
}

pub fn quiet_hours(window: BoxedStrategy<Window>) -> impl Strategy<Value = QuietHours> {
    let opt = prop_oneof![1 => Just(None), 4 => window.clone().prop_map(Some)];
    let default = prop_oneof![
        2 => Just(None),
        1 => Just(Some(None)),
        2 => window.prop_map(|w| Some(Some(w))),
    ];
    (default, btree_map(channel(), opt, 0..3))
        .prop_map(|(default, channels)| QuietHours { default, channels })
}

pub fn dnc_reason() -> impl Strategy<Value = DncReason> {
    select(DncReason::ALL.to_vec())
}

pub fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // No regression files written next to the crate.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The failing checks of a decision, for failure messages.
pub fn failing(d: &Decision) -> Vec<String> {
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
pub fn well_formed(d: &Decision, now: DateTime<Utc>) -> Result<(), TestCaseError> {
    let order: Vec<Check> = d.checks.iter().map(|c| c.check).collect();
    prop_assert_eq!(order, Check::ALL.to_vec());
    prop_assert_eq!(d.at, now);
    let first = d.checks.iter().find_map(|c| c.reason);
    prop_assert_eq!(d.reason, first);
    prop_assert_eq!(d.allowed, first.is_none());
    for c in &d.checks {
        prop_assert_eq!(c.passed, c.reason.is_none(), "{:?}", c);
        prop_assert!(!c.waived || c.passed, "{:?}", c);
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
