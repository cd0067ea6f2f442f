//! Rule packs through the public API: for every rule, local times just inside and just
//! outside its windows (Sundays and holidays included), where it applies and where it does
//! not, that transactional touches and uncovered channels are outside it, and that it is not
//! in force before its effective date.

// Test helpers outside `#[test]` functions unwrap and panic on malformed fixtures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod packs;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::America::{Chicago, Denver, Los_Angeles, New_York, Toronto};
use chrono_tz::Asia::Kolkata;
use gate::rule_packs::{Jurisdiction, Verification, all_rules};
use gate::timezone::{RecipientPlace, ZoneSource};
use gate::{Channel, Purpose};
use packs::*;

// ---------------------------------------------------------------------------------------
// Catalogue-wide properties.

const EXPECTED_IDS: &[&str] = &[
    "us-tcpa-calling-hours",
    "us-fl-ftsa-hours",
    "us-fl-ftsa-cap",
    "us-ok-tsa-hours",
    "us-ok-tsa-cap",
    "us-md-spam-calls-hours",
    "us-md-spam-calls-cap",
    "us-wa-cts-hours",
    "us-ma-dnc-hours",
    "us-ct-telemarketing-hours",
    "us-tx-solicitation-hours",
    "us-ky-solicitation-hours",
    "us-al-psc-hours",
    "us-la-psc-hours",
    "us-ms-tsa-hours",
    "us-ms-tsa-hours-cst",
    "us-nm-upa-hours",
    "us-ri-tssa-hours",
    "us-ut-tfsa-hours",
    "us-pa-tra-hours",
    "us-ok-adad-hours",
    "us-nv-adad-hours",
    "us-sd-adad-hours",
    "us-me-adad-hours",
    "us-ky-adad-hours",
    "us-mn-adad-hours",
    "ca-crtc-adad-hours",
    "ca-crtc-telemarketing-hours",
    "in-trai-promotional-sms-hours",
];

#[test]
fn catalogue_is_complete_and_well_formed() {
    let ids: Vec<&str> = all_rules().map(|r| r.id).collect();
    assert_eq!(ids, EXPECTED_IDS);
    for r in all_rules() {
        assert!(
            r.source.starts_with("http") || r.source.contains("regulations.md"),
            "{}: source {}",
            r.id,
            r.source
        );
        assert!(r.effective_date().is_some(), "{}", r.id);
        assert!(
            r.coverage.marketing_only,
            "{}: telephone solicitation rules are marketing only",
            r.id
        );
        assert!(!r.coverage.channels.contains(&Channel::Email), "{}", r.id);
        assert!(
            !r.coverage.channels.contains(&Channel::Linkedin),
            "{}",
            r.id
        );
        if let Verification::Secondary(note) = r.verification {
            assert!(
                !note.is_empty(),
                "{}: a secondary rule says what is uncertain",
                r.id
            );
        }
        match r.jurisdiction {
            Jurisdiction::Subdivision { country, code } => {
                assert_eq!(country, "US", "{}", r.id);
                assert!(
                    r.id.starts_with(&format!("us-{}-", code.to_lowercase())),
                    "{}",
                    r.id
                );
            }
            Jurisdiction::Country(c) => {
                assert!(
                    r.id.starts_with(&format!("{}-", c.to_lowercase())),
                    "{}",
                    r.id
                );
            }
        }
    }
}

#[test]
fn transactional_and_email_touches_get_no_rules_anywhere() {
    let places = [
        us(New_York, "FL"),
        us(Chicago, "AL"),
        place(Toronto, "CA", Some("ON")),
        place(Kolkata, "IN", None),
    ];
    for p in &places {
        for channel in Channel::ALL {
            assert!(
                applicable_ids(p, channel, Purpose::Transactional, date("2026-06-01")).is_empty()
            );
        }
        assert!(
            applicable_ids(p, Channel::Email, Purpose::Marketing, date("2026-06-01")).is_empty()
        );
        assert!(
            applicable_ids(p, Channel::Linkedin, Purpose::Marketing, date("2026-06-01")).is_empty()
        );
    }
}

#[test]
fn state_rules_stack_on_the_federal_floor() {
    let ids = applicable_ids(
        &us(New_York, "FL"),
        Channel::Sms,
        Purpose::Marketing,
        date("2026-06-01"),
    );
    assert_eq!(
        ids,
        [
            "us-tcpa-calling-hours",
            "us-fl-ftsa-hours",
            "us-fl-ftsa-cap"
        ]
    );
    // A number with a Florida area code held by a lead stored in Georgia: both states' rules.
    let two = RecipientPlace {
        zones: vec![New_York],
        zone_sources: vec![ZoneSource::PhonePrefix],
        countries: vec!["US"],
        subdivisions: vec!["GA", "FL"],
    };
    let ids = applicable_ids(&two, Channel::Call, Purpose::Marketing, date("2026-06-01"));
    assert!(ids.contains(&"us-fl-ftsa-hours") && ids.contains(&"us-tcpa-calling-hours"));
    // A state code alone (no country known) still selects the state's rules.
    let bare = RecipientPlace {
        zones: vec![Chicago],
        zone_sources: vec![ZoneSource::PhonePrefix],
        countries: vec![],
        subdivisions: vec!["TX"],
    };
    let ids = applicable_ids(&bare, Channel::Call, Purpose::Marketing, date("2026-06-01"));
    assert_eq!(ids, ["us-tx-solicitation-hours"]);
    // A Canadian province code never selects a US state's rules by accident.
    let ids = applicable_ids(
        &place(Toronto, "CA", Some("ON")),
        Channel::Call,
        Purpose::Marketing,
        date("2026-06-01"),
    );
    assert_eq!(ids, ["ca-crtc-telemarketing-hours"]);
}

// ---------------------------------------------------------------------------------------
// One test per rule. 2026-03-11 is a Wednesday, 03-14 a Saturday, 03-15 a Sunday.

#[test]
fn us_fl_ftsa_hours() {
    let id = "us-fl-ftsa-hours";
    assert_windows(
        id,
        New_York,
        &[
            ("2026-03-11 07:59", false),
            ("2026-03-11 08:00", true),
            ("2026-03-11 19:59", true),
            ("2026-03-11 20:00", false),
            ("2026-03-15 19:59", true), // Sundays too
            ("2026-12-25 12:00", true), // no holiday ban
        ],
    );
    // Central-time Florida (the panhandle) is judged in its own zone.
    assert_windows(
        id,
        Chicago,
        &[("2026-03-11 19:59", true), ("2026-03-11 20:00", false)],
    );
    let s = schedule(id);
    assert_eq!(
        s.next_allowed(New_York, at(New_York, "2026-03-11 20:00")),
        Some(at(New_York, "2026-03-12 08:00"))
    );
    assert_scope(id, &us(New_York, "FL"), &us(New_York, "GA"));
}

#[test]
fn us_fl_ftsa_cap() {
    let id = "us-fl-ftsa-cap";
    let r = rule(id);
    assert_eq!(r.recipient_cap, Some(THREE_IN_24H));
    assert_eq!(r.schedule, None);
    for channel in [Channel::Call, Channel::Sms, Channel::Whatsapp] {
        assert!(r.coverage.channels.contains(&channel), "{channel:?}");
    }
    assert_scope(id, &us(New_York, "FL"), &us(New_York, "AL"));
}

#[test]
fn us_ok_tsa_hours() {
    let id = "us-ok-tsa-hours";
    assert_windows(
        id,
        Chicago,
        &[
            ("2026-03-11 07:59", false),
            ("2026-03-11 08:00", true),
            ("2026-03-11 19:59", true),
            ("2026-03-11 20:00", false),
            ("2026-03-15 08:00", true),
        ],
    );
    assert_eq!(rule(id).effective_from, (2022, 11, 1));
    assert_scope(id, &us(Chicago, "OK"), &us(Chicago, "KS"));
}

#[test]
fn us_ok_tsa_cap() {
    let id = "us-ok-tsa-cap";
    let r = rule(id);
    assert_eq!((r.recipient_cap, r.schedule), (Some(THREE_IN_24H), None));
    assert!(
        r.coverage.channels.contains(&Channel::Sms) && r.coverage.channels.contains(&Channel::Call)
    );
    assert_scope(id, &us(Chicago, "OK"), &us(Chicago, "TX"));
}

#[test]
fn us_md_spam_calls_hours() {
    let id = "us-md-spam-calls-hours";
    assert_windows(
        id,
        New_York,
        &[
            ("2026-03-11 07:59", false),
            ("2026-03-11 08:00", true),
            ("2026-03-11 19:59", true),
            ("2026-03-11 20:00", false),
        ],
    );
    assert_eq!(rule(id).effective_from, (2024, 1, 1));
    assert_scope(id, &us(New_York, "MD"), &us(New_York, "VA"));
}

#[test]
fn us_md_spam_calls_cap() {
    let id = "us-md-spam-calls-cap";
    let r = rule(id);
    assert_eq!((r.recipient_cap, r.schedule), (Some(THREE_IN_24H), None));
    assert_scope(id, &us(New_York, "MD"), &us(New_York, "DE"));
}

#[test]
fn us_wa_cts_hours() {
    let id = "us-wa-cts-hours";
    assert_windows(
        id,
        Los_Angeles,
        &[
            ("2026-03-11 07:59", false),
            ("2026-03-11 08:00", true),
            ("2026-03-11 19:59", true),
            ("2026-03-11 20:00", false),
        ],
    );
    assert_eq!(rule(id).citation, "RCW 19.158.040(2)");
    assert_scope(id, &us(Los_Angeles, "WA"), &us(Los_Angeles, "OR"));
}

#[test]
fn us_ma_dnc_hours() {
    let id = "us-ma-dnc-hours";
    assert_windows(
        id,
        New_York,
        &[
            ("2026-03-11 07:59", false),
            ("2026-03-11 08:00", true),
            ("2026-03-11 19:59", true),
            ("2026-03-11 20:00", false),
        ],
    );
    assert_scope(id, &us(New_York, "MA"), &us(New_York, "NH"));
}

#[test]
fn us_ct_telemarketing_hours() {
    let id = "us-ct-telemarketing-hours";
    assert_windows(
        id,
        New_York,
        &[
            ("2026-03-11 08:59", false),
            ("2026-03-11 09:00", true),
            ("2026-03-11 19:59", true),
            ("2026-03-11 20:00", false),
            ("2026-03-15 09:00", true),
        ],
    );
    assert_eq!(rule(id).effective_from, (2023, 10, 1));
    assert_scope(id, &us(New_York, "CT"), &us(New_York, "NY"));
}

#[test]
fn us_tx_solicitation_hours() {
    let id = "us-tx-solicitation-hours";
    assert_windows(
        id,
        Chicago,
        &[
            ("2026-03-11 08:59", false),
            ("2026-03-11 09:00", true),
            ("2026-03-11 20:59", true),
            ("2026-03-11 21:00", false),
            ("2026-03-14 08:59", false), // Saturday
            ("2026-03-14 09:00", true),
            ("2026-03-14 21:00", false),
            ("2026-03-15 09:00", false), // Sunday: noon start
            ("2026-03-15 11:59", false),
            ("2026-03-15 12:00", true),
            ("2026-03-15 20:59", true),
            ("2026-03-15 21:00", false),
        ],
    );
    // El Paso keeps Mountain time and is judged in it.
    assert_windows(
        id,
        Denver,
        &[("2026-03-15 11:59", false), ("2026-03-15 12:00", true)],
    );
    let s = schedule(id);
    assert_eq!(
        s.next_allowed(Chicago, at(Chicago, "2026-03-15 09:30")),
        Some(at(Chicago, "2026-03-15 12:00"))
    );
    assert_eq!(
        s.next_allowed(Chicago, at(Chicago, "2026-03-14 21:00")),
        Some(at(Chicago, "2026-03-15 12:00"))
    );
    assert_scope(id, &us(Chicago, "TX"), &us(Chicago, "OK"));
}

#[test]
fn us_ky_solicitation_hours() {
    let id = "us-ky-solicitation-hours";
    assert_windows(
        id,
        New_York,
        &[
            ("2026-03-11 09:59", false),
            ("2026-03-11 10:00", true),
            ("2026-03-11 20:59", true),
            ("2026-03-11 21:00", false),
        ],
    );
    // Western Kentucky is on Central time.
    assert_windows(
        id,
        Chicago,
        &[("2026-03-11 09:59", false), ("2026-03-11 10:00", true)],
    );
    assert_scope(id, &us(New_York, "KY"), &us(New_York, "TN"));
}

#[test]
fn us_al_psc_hours() {
    let id = "us-al-psc-hours";
    assert_windows(
        id,
        Chicago,
        &[
            ("2026-03-11 07:59", false),
            ("2026-03-11 08:00", true),
            ("2026-03-11 19:59", true),
            ("2026-03-11 20:00", false),
            ("2026-03-14 08:00", true), // Saturday
            ("2026-03-14 19:59", true),
            ("2026-03-14 20:00", false),
            ("2026-03-15 08:00", false), // Sunday: not at all
            ("2026-03-15 12:00", false),
            ("2026-03-15 19:59", false),
            // State holidays: not at all.
            ("2026-01-19 12:00", false), // Robert E. Lee / Martin Luther King, Jr.
            ("2026-04-27 12:00", false), // Confederate Memorial Day
            ("2026-04-28 12:00", true),
            ("2026-06-01 12:00", false), // Jefferson Davis' birthday
            ("2026-07-03 12:00", false), // July 4 (Saturday) observed Friday
            ("2026-07-04 12:00", false), // and the Saturday itself
            ("2026-12-25 08:00", false), // Christmas
            ("2027-07-05 12:00", false), // July 4, 2027 (Sunday) observed Monday
            ("2027-12-24 12:00", false), // Christmas 2027 (Saturday) observed Friday
            ("2027-12-31 12:00", false), // New Year's Day 2028 (Saturday) observed Friday
            ("2027-12-30 12:00", true),
        ],
    );
    let s = schedule(id);
    // Sunday, then the King / Lee Monday: the next opening is Tuesday 08:00.
    assert_eq!(
        s.next_allowed(Chicago, at(Chicago, "2026-01-17 20:00")),
        Some(at(Chicago, "2026-01-20 08:00"))
    );
    // Friday July 3 (observed), Saturday July 4, Sunday July 5: closed until Monday.
    assert_eq!(
        s.next_allowed(Chicago, at(Chicago, "2026-07-02 20:00")),
        Some(at(Chicago, "2026-07-06 08:00"))
    );
    assert_eq!(s.window_on(date("2026-04-27")), (None, true));
    assert_scope(id, &us(Chicago, "AL"), &us(Chicago, "MS"));
}

#[test]
fn us_la_psc_hours() {
    let id = "us-la-psc-hours";
    assert_windows(
        id,
        Chicago,
        &[
            ("2026-03-11 07:59", false),
            ("2026-03-11 08:00", true),
            ("2026-03-11 19:59", true),
            ("2026-03-11 20:00", false),
            ("2026-03-14 19:59", true),  // Saturday
            ("2026-03-15 12:00", false), // Sunday
            // Legal holidays (La. R.S. 1:55): not at all.
            ("2026-01-08 12:00", false), // Battle of New Orleans
            ("2026-02-17 12:00", false), // Mardi Gras
            ("2026-02-18 12:00", true),  // Ash Wednesday is a working day
            ("2026-04-03 12:00", false), // Good Friday
            ("2026-04-04 19:59", true),  // Holy Saturday
            ("2026-11-11 12:00", false), // Veterans' Day
            ("2027-02-09 12:00", false), // Mardi Gras 2027
            ("2027-03-26 12:00", false), // Good Friday 2027
            ("2027-08-30 12:00", false), // Huey P. Long Day
            ("2027-11-01 12:00", false), // All Saints' Day
        ],
    );
    let s = schedule(id);
    // Saturday evening before the King holiday: Sunday and Monday closed.
    assert_eq!(
        s.next_allowed(Chicago, at(Chicago, "2026-01-17 20:00")),
        Some(at(Chicago, "2026-01-20 08:00"))
    );
    assert_scope(id, &us(Chicago, "LA"), &us(Chicago, "AR"));
}

#[test]
fn us_ms_tsa_hours() {
    let id = "us-ms-tsa-hours";
    assert_windows(
        id,
        Chicago,
        &[
            ("2026-03-11 07:59", false),
            ("2026-03-11 08:00", true),
            ("2026-03-11 19:59", true),
            ("2026-03-11 20:00", false),
            ("2026-03-14 08:00", true),  // Saturday
            ("2026-03-15 08:00", false), // Sunday: not at all
            ("2026-03-15 15:00", false),
            // Legal holidays are not banned since the PSC rule's repeal.
            ("2026-05-25 12:00", true),
            ("2026-12-25 12:00", true),
        ],
    );
    assert_eq!(
        schedule(id).next_allowed(Chicago, at(Chicago, "2026-03-14 20:00")),
        Some(at(Chicago, "2026-03-16 08:00"))
    );
    assert_scope(id, &us(Chicago, "MS"), &us(Chicago, "AL"));
}

#[test]
fn us_nm_upa_hours() {
    let id = "us-nm-upa-hours";
    assert_windows(
        id,
        Denver,
        &[
            ("2026-03-11 08:59", false),
            ("2026-03-11 09:00", true),
            ("2026-03-11 20:59", true),
            ("2026-03-11 21:00", false),
        ],
    );
    assert_scope(id, &us(Denver, "NM"), &us(Denver, "AZ"));
}

#[test]
fn us_ri_tssa_hours() {
    let id = "us-ri-tssa-hours";
    assert_windows(
        id,
        New_York,
        &[
            ("2026-03-11 08:59", false),
            ("2026-03-11 09:00", true),
            ("2026-03-11 17:59", true),
            ("2026-03-11 18:00", false),
            ("2026-03-14 09:59", false), // Saturday
            ("2026-03-14 10:00", true),
            ("2026-03-14 16:59", true),
            ("2026-03-14 17:00", false),
            ("2026-03-15 12:00", false), // Sunday
            ("2026-10-12 12:00", false), // Columbus Day (federal holiday)
            ("2026-10-13 12:00", true),
            // State holidays: Rhode Island Independence Day, Victory Day.
            ("2026-05-04 12:00", false),
            ("2026-05-05 12:00", true),
            ("2026-08-10 12:00", false),
            ("2026-08-11 12:00", true),
            // Independence Day 2026 is a Saturday: closed on Friday (federal observance),
            // Saturday itself and Monday (Rhode Island observance).
            ("2026-07-03 12:00", false),
            ("2026-07-04 12:00", false),
            ("2026-07-06 12:00", false),
            ("2026-07-07 12:00", true),
            // Election day, even years only.
            ("2026-11-03 12:00", false),
            ("2027-11-02 12:00", true),
        ],
    );
    assert_scope(id, &us(New_York, "RI"), &us(New_York, "CT"));
}

#[test]
fn ca_crtc_telemarketing_hours() {
    let id = "ca-crtc-telemarketing-hours";
    assert_windows(
        id,
        Toronto,
        &[
            ("2026-03-11 08:59", false),
            ("2026-03-11 09:00", true),
            ("2026-03-11 21:29", true),
            ("2026-03-11 21:30", false),
            ("2026-03-14 09:59", false), // Saturday
            ("2026-03-14 10:00", true),
            ("2026-03-14 17:59", true),
            ("2026-03-14 18:00", false),
            ("2026-03-15 09:59", false), // Sunday
            ("2026-03-15 10:00", true),
            ("2026-03-15 17:59", true),
            ("2026-03-15 18:00", false),
        ],
    );
    let s = schedule(id);
    assert_eq!(
        s.next_allowed(Toronto, at(Toronto, "2026-03-14 18:00")),
        Some(at(Toronto, "2026-03-15 10:00"))
    );
    assert_eq!(
        s.next_allowed(Toronto, at(Toronto, "2026-03-15 18:00")),
        Some(at(Toronto, "2026-03-16 09:00"))
    );
    assert_scope(
        id,
        &place(Toronto, "CA", Some("ON")),
        &place(New_York, "US", Some("NY")),
    );
}

#[test]
fn in_trai_promotional_sms_hours() {
    let id = "in-trai-promotional-sms-hours";
    assert_windows(
        id,
        Kolkata,
        &[
            ("2026-03-11 08:59", false),
            ("2026-03-11 09:00", true),
            ("2026-03-11 20:59", true),
            ("2026-03-11 21:00", false),
            ("2026-03-15 09:00", true), // every day
        ],
    );
    let r = rule(id);
    assert_eq!(r.coverage.channels, &[Channel::Sms]);
    let india = place(Kolkata, "IN", None);
    let today = date("2026-06-01");
    assert_eq!(
        applicable_ids(&india, Channel::Sms, Purpose::Marketing, today),
        [id]
    );
    assert!(applicable_ids(&india, Channel::Whatsapp, Purpose::Marketing, today).is_empty());
    assert!(applicable_ids(&india, Channel::Call, Purpose::Marketing, today).is_empty());
    assert_eq!(
        schedule(id).next_allowed(Kolkata, at(Kolkata, "2026-03-11 21:00")),
        Some(at(Kolkata, "2026-03-12 09:00"))
    );
    assert_scope(id, &india, &place(Kolkata, "LK", None));
}

#[test]
fn schedules_are_dst_correct_on_the_us_change_days() {
    // 2026-03-08 US spring forward; 2026-11-01 fall back. 08:00 EDT = 12:00Z, 08:00 EST = 13:00Z.
    let fl = schedule("us-fl-ftsa-hours");
    let t: DateTime<Utc> = "2026-03-08T11:59:59Z".parse().unwrap();
    assert!(!fl.allows(New_York, t));
    assert!(fl.allows(New_York, t + Duration::seconds(1)));
    let t: DateTime<Utc> = "2026-11-01T12:30:00Z".parse().unwrap();
    assert!(!fl.allows(New_York, t));
    assert_eq!(
        fl.next_allowed(New_York, t),
        Some("2026-11-01T13:00:00Z".parse().unwrap())
    );
}
