//! The rules Contract v2 added or fixed: Utah (Sundays, Utah's legal holidays), Pennsylvania's
//! legal-holiday ban, the automated-contact (ADAD) pack, the territories as the United States,
//! and the consent-exemption record — each at the edges of its windows and days.

// Test helpers outside `#[test]` functions unwrap and panic on malformed fixtures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod packs;

use chrono_tz::America::{Chicago, Denver, Los_Angeles, New_York, Toronto};
use gate::rule_packs::{ConsentExemption, RecipientCap, all_rules};
use gate::timezone::resolve_place;
use gate::{Channel, Lead, Phone, Purpose};
use packs::*;

#[test]
fn us_ut_tfsa_hours() {
    let id = "us-ut-tfsa-hours";
    assert_windows(
        id,
        Denver,
        &[
            ("2026-03-11 07:59", false),
            ("2026-03-11 08:00", true),
            ("2026-03-11 20:59", true),
            ("2026-03-11 21:00", false),
            ("2026-03-14 12:00", true),  // Saturday
            ("2026-03-15 12:00", false), // Sunday
            ("2026-07-23 12:00", true),
            ("2026-07-24 12:00", false), // Pioneer Day
            ("2026-06-15 12:00", false), // Juneteenth (Fri 19th) observed Monday
            ("2026-06-16 12:00", true),
            ("2026-04-03 12:00", true), // Good Friday 2026: before the 2026 amendment
            ("2027-03-26 12:00", false), // Good Friday 2027
            ("2027-07-23 12:00", false), // Pioneer Day (Sat) observed Friday
            ("2026-11-26 12:00", false), // Thanksgiving
        ],
    );
    assert_scope(id, &us(Denver, "UT"), &us(Denver, "CO"));
    assert!(matches!(
        rule(id).consent_exemption,
        ConsentExemption::Exempt(_)
    ));
}

/// Only the law in force: 8 a.m.–9 p.m. and Pennsylvania's legal holidays; no Sunday ban and
/// no 9 a.m.–7 p.m. window (SB 992 of 2025–26 was not enacted).
#[test]
fn us_pa_tra_hours() {
    let id = "us-pa-tra-hours";
    assert_windows(
        id,
        New_York,
        &[
            ("2026-03-11 07:59", false),
            ("2026-03-11 08:00", true),
            ("2026-03-11 20:59", true),
            ("2026-03-11 21:00", false),
            ("2026-03-15 08:00", true),  // Sunday: allowed
            ("2026-03-11 19:30", true),  // after 7 p.m.: allowed
            ("2026-04-03 12:00", false), // Good Friday
            ("2026-06-15 12:00", false), // Flag Day (Sun 14th) and the Monday after
            ("2026-06-16 12:00", true),
            ("2026-11-03 12:00", false), // Election Day
            ("2026-11-04 12:00", true),
            ("2026-07-03 12:00", true), // no Friday shift for a Saturday holiday
        ],
    );
    assert_scope(id, &us(New_York, "PA"), &us(New_York, "NJ"));
}

/// Rule id, zone, state, `(local time, allowed?)` table.
type AdadCase = (
    &'static str,
    chrono_tz::Tz,
    &'static str,
    &'static [(&'static str, bool)],
);

#[test]
fn adad_pack_windows() {
    let cases: &[AdadCase] = &[
        (
            "us-ok-adad-hours",
            Chicago,
            "OK",
            &[
                ("2026-03-11 08:59", false),
                ("2026-03-11 09:00", true),
                ("2026-03-11 20:59", true),
                ("2026-03-11 21:00", false),
                ("2026-03-15 12:00", true),
            ],
        ),
        (
            "us-nv-adad-hours",
            Los_Angeles,
            "NV",
            &[
                ("2026-03-11 08:59", false),
                ("2026-03-11 09:00", true),
                ("2026-03-11 21:00", false),
            ],
        ),
        (
            "us-sd-adad-hours",
            Chicago,
            "SD",
            &[
                ("2026-03-11 08:59", false),
                ("2026-03-11 09:00", true),
                ("2026-03-11 20:59", true),
                ("2026-03-14 12:00", false), // Saturday
                ("2026-03-15 12:00", false), // Sunday
            ],
        ),
        (
            "us-me-adad-hours",
            New_York,
            "ME",
            &[
                ("2026-03-11 08:59", false),
                ("2026-03-11 09:00", true),
                ("2026-03-11 16:59", true),
                ("2026-03-11 17:00", false),
                ("2026-03-14 12:00", false),
                ("2026-03-15 12:00", false),
            ],
        ),
        (
            "us-ky-adad-hours",
            New_York,
            "KY",
            &[
                ("2026-03-11 07:59", false),
                ("2026-03-11 08:00", true),
                ("2026-03-11 21:00", false),
            ],
        ),
        (
            "us-mn-adad-hours",
            Chicago,
            "MN",
            &[
                ("2026-03-11 08:59", false),
                ("2026-03-11 09:00", true),
                ("2026-03-11 21:00", false),
            ],
        ),
    ];
    for (id, zone, state, table) in cases {
        assert_windows(id, *zone, table);
        let elsewhere = if *state == "OK" { "TX" } else { "OK" };
        assert_scope(id, &us(*zone, state), &us(*zone, elsewhere));
        let r = rule(id);
        assert!(
            r.coverage.automated_only && r.coverage.marketing_only,
            "{id}"
        );
    }
    assert_eq!(
        rule("us-me-adad-hours").recipient_cap,
        Some(RecipientCap {
            limit: 1,
            window_hours: 8
        })
    );
    let crtc = "ca-crtc-adad-hours";
    assert_windows(
        crtc,
        Toronto,
        &[
            ("2026-03-11 08:59", false),
            ("2026-03-11 09:00", true),
            ("2026-03-11 21:29", true),
            ("2026-03-11 21:30", false),
            ("2026-03-14 09:59", false),
            ("2026-03-14 10:00", true),
            ("2026-03-14 18:00", false),
        ],
    );
    assert_scope(
        crtc,
        &place(Toronto, "CA", Some("ON")),
        &place(New_York, "US", None),
    );
}

#[test]
fn automated_rules_stack_on_the_ordinary_ones() {
    let ok = us(Chicago, "OK");
    let today = date("2026-06-01");
    let ordinary = automated_ids(&ok, Channel::Call, Purpose::Marketing, today);
    assert_eq!(
        ordinary,
        [
            "us-tcpa-calling-hours",
            "us-ok-tsa-hours",
            "us-ok-tsa-cap",
            "us-ok-adad-hours"
        ]
    );
    let not_automated = applicable_ids(&ok, Channel::Call, Purpose::Marketing, today);
    assert!(!not_automated.contains(&"us-ok-adad-hours"));
}

#[test]
fn territories_are_the_united_states_for_the_federal_rules() {
    for number in [
        "+17875550123",
        "+13405550123",
        "+16715550123",
        "+16846331234",
        "+16705550123",
    ] {
        let lead = Lead {
            phone: Some(Phone::parse(number, None).unwrap()),
            ..Lead::default()
        };
        let place = resolve_place(&lead, Channel::Sms, New_York);
        assert!(place.countries.contains(&"US"), "{number}: {place:?}");
        let ids = applicable_ids(&place, Channel::Sms, Purpose::Marketing, date("2026-06-01"));
        assert!(ids.contains(&"us-tcpa-calling-hours"), "{number}: {ids:?}");
        assert_eq!(place.zones.len(), 1, "{number}: the territory's own zone");
    }
}

#[test]
fn every_rule_records_its_consent_exemption() {
    assert!(matches!(
        rule("us-tcpa-calling-hours").consent_exemption,
        ConsentExemption::Exempt(_)
    ));
    assert!(matches!(
        rule("us-me-adad-hours").consent_exemption,
        ConsentExemption::NotExempt(_)
    ));
    for r in all_rules() {
        match r.consent_exemption {
            ConsentExemption::Exempt(note) | ConsentExemption::NotExempt(note) => {
                assert!(!note.is_empty(), "{}", r.id);
            }
            ConsentExemption::Unknown => {}
        }
    }
}

/// The docs table names every encoded rule, and every state, DC and territory has a row.
#[test]
fn rule_pack_table_covers_every_jurisdiction_and_rule() {
    let table = include_str!("../RULE_PACKS.md");
    for r in all_rules() {
        assert!(table.contains(r.id), "{} missing from RULE_PACKS.md", r.id);
    }
    for s in gate::regions::SUBDIVISIONS
        .iter()
        .filter(|s| s.country == "US")
    {
        let row = format!("| {} |", s.code);
        assert!(table.contains(&row), "no row for {}", s.code);
    }
}
