//! Helpers shared by the rule-pack test files: local instants, places, window tables and the
//! scope assertion.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use gate::quiet_hours::Schedule;
use gate::rule_packs::{RecipientCap, Rule, all_rules, applicable};
use gate::timezone::RecipientPlace;
use gate::{Channel, Purpose};

/// The instant at local wall-clock time `local` ("2026-03-11 19:59") in `zone`.
pub fn at(zone: Tz, local: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M")
        .unwrap_or_else(|e| panic!("bad fixture {local}: {e}"));
    zone.from_local_datetime(&naive)
        .single()
        .unwrap_or_else(|| panic!("{local} is not a unique local time in {zone}"))
        .with_timezone(&Utc)
}

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn rule(id: &str) -> &'static Rule {
    all_rules()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no rule {id}"))
}

pub fn schedule(id: &str) -> Schedule {
    rule(id)
        .schedule
        .unwrap_or_else(|| panic!("{id} has no schedule"))
}

/// A recipient in `country` (and `subdivision`, if any), in `zone`.
pub fn place(zone: Tz, country: &'static str, subdivision: Option<&'static str>) -> RecipientPlace {
    RecipientPlace::in_zone(zone, vec![country], subdivision.into_iter().collect())
}

/// The rules for a touch that is not automated.
pub fn applicable_ids(
    place: &RecipientPlace,
    channel: Channel,
    purpose: Purpose,
    today: NaiveDate,
) -> Vec<&'static str> {
    applicable(place, channel, purpose, false, today)
        .into_iter()
        .map(|r| r.id)
        .collect()
}

/// The rules for an automated touch (autodialer, prerecorded voice).
pub fn automated_ids(
    place: &RecipientPlace,
    channel: Channel,
    purpose: Purpose,
    today: NaiveDate,
) -> Vec<&'static str> {
    applicable(place, channel, purpose, true, today)
        .into_iter()
        .map(|r| r.id)
        .collect()
}

/// `(local time, allowed?)` pairs checked against the rule's schedule in `zone`.
pub fn assert_windows(id: &str, zone: Tz, cases: &[(&str, bool)]) {
    let s = schedule(id);
    for &(local, allowed) in cases {
        assert_eq!(
            s.allows(zone, at(zone, local)),
            allowed,
            "{id}: {local} in {zone} should be {}",
            if allowed { "allowed" } else { "blocked" }
        );
    }
}

/// Where the rule applies: selected for `home` on every covered channel from its effective
/// date, not the day before, not for `elsewhere`, not for transactional touches and not on
/// channels it does not cover.
pub fn assert_scope(id: &str, home: &RecipientPlace, elsewhere: &RecipientPlace) {
    let r = rule(id);
    let from = r
        .effective_date()
        .unwrap_or_else(|| panic!("{id}: bad date"));
    let day_before = from.pred_opt().unwrap();
    for channel in Channel::ALL {
        let covered = r.coverage.channels.contains(&channel);
        for today in [from, date("2026-06-01")] {
            let ids = applicable_ids(home, channel, Purpose::Marketing, today);
            assert_eq!(
                ids.contains(&id),
                covered && !r.coverage.automated_only,
                "{id}: marketing on {channel:?} on {today}"
            );
            // Every rule binds an automated touch too; automated-only rules bind only those.
            let ids = automated_ids(home, channel, Purpose::Marketing, today);
            assert_eq!(
                ids.contains(&id),
                covered,
                "{id}: automated marketing on {channel:?} on {today}"
            );
            let ids = applicable_ids(home, channel, Purpose::Transactional, today);
            assert!(!ids.contains(&id), "{id}: transactional on {channel:?}");
            let ids = applicable_ids(elsewhere, channel, Purpose::Marketing, today);
            assert!(!ids.contains(&id), "{id}: applied to {elsewhere:?}");
        }
        let ids = automated_ids(home, channel, Purpose::Marketing, day_before);
        assert!(!ids.contains(&id), "{id}: in force on {day_before}");
    }
}

pub const THREE_IN_24H: RecipientCap = RecipientCap {
    limit: 3,
    window_hours: 24,
};

pub fn us(zone: Tz, state: &'static str) -> RecipientPlace {
    place(zone, "US", Some(state))
}
