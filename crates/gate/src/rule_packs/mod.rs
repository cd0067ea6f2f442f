//! Jurisdiction rule packs: calling-hour windows, day and holiday bans and per-recipient caps
//! that apply to telephone solicitations (marketing touches on call, sms and whatsapp) whatever
//! the account's own settings say. Every rule carries its citation, source, effective date,
//! whether it was verified against a primary source, and whether its statute exempts calls
//! made with prior express consent.
//!
//! Rules are compiled-in data, one file per pack; the automated pack covers only touches
//! placed by an autodialer or with a prerecorded voice. All applicable rules are enforced
//! together (their intersection), so the strictest rule always wins; the block detail names the
//! rule that bound. Every US state, DC and territory is accounted for, encoded or not, in the
//! table of `crates/gate/RULE_PACKS.md`.
//!
//! **Consent exemptions.** Many of these statutes (and the federal definition of a "telephone
//! solicitation", 47 CFR 64.1200(f)(15)) exempt calls made with the called party's prior
//! express consent or to an existing customer. The gate applies the hour and day rules to
//! every marketing touch, consent or not: stricter, never looser. [`Rule::consent_exemption`]
//! records what each statute says, for the day a workspace wants the narrower reading.

use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};

use crate::channel::Channel;
use crate::facts::Purpose;
use crate::quiet_hours::Schedule;
use crate::timezone::RecipientPlace;

mod automated;
mod canada;
mod india;
mod us_federal;
mod us_states;

/// Where a rule applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jurisdiction {
    /// A whole country (ISO 3166 alpha-2).
    Country(&'static str),
    /// A US state or Canadian province (two-letter code) of a country.
    Subdivision {
        country: &'static str,
        code: &'static str,
    },
}

/// How far a rule was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verification {
    /// Checked against the primary source (statute or regulator text) named in `source`.
    Primary,
    /// Only secondary sources (law-firm or vendor summaries) were available; the note says
    /// what is uncertain. Enforced all the same: a stricter unverified rule fails safe.
    Secondary(&'static str),
}

/// Which touches a rule covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Coverage {
    pub channels: &'static [Channel],
    /// Telephone solicitation rules cover marketing only; transactional touches follow the
    /// account's windows.
    pub marketing_only: bool,
    /// Automated-contact (ADAD, autodialer) rules cover only touches marked `automated`.
    pub automated_only: bool,
}

/// Whether a rule's statute exempts calls made with the called party's prior express consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsentExemption {
    /// It does; the note quotes or summarises the exemption (often with an established
    /// business relationship beside it). The gate applies the rule anyway.
    Exempt(&'static str),
    /// It does not (or only for narrow cases, named in the note).
    NotExempt(&'static str),
    /// Not established from the text read.
    Unknown,
}

/// At most `limit` covered touches to one recipient in a trailing `window_hours`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecipientCap {
    pub limit: u32,
    pub window_hours: u32,
}

/// Channels a telephone-solicitation rule covers.
pub const TELEPHONE: &[Channel] = &[Channel::Call, Channel::Sms, Channel::Whatsapp];

/// One rule of a pack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable id, reported in block details and audit rows (`us-fl-ftsa-hours`).
    pub id: &'static str,
    pub jurisdiction: Jurisdiction,
    pub title: &'static str,
    /// Statute or regulation, e.g. `Fla. Stat. § 501.616(6)(a)`.
    pub citation: &'static str,
    /// Where the rule text can be read.
    pub source: &'static str,
    /// First local date the rule is in force (year, month, day).
    pub effective_from: (i32, u32, u32),
    pub verification: Verification,
    pub coverage: Coverage,
    /// Allowed local windows; `None` for a rule that only caps frequency.
    pub schedule: Option<Schedule>,
    /// A per-recipient cap (Florida: 3 in 24 hours), counted per lead and per number.
    pub recipient_cap: Option<RecipientCap>,
    /// A zone the statute names for its hours (Mississippi: "Central Standard Time"); the
    /// schedule is then evaluated in that zone instead of the recipient's candidate zones.
    pub fixed_zone: Option<chrono_tz::Tz>,
    /// Whether the statute exempts calls with prior express consent (the gate applies the
    /// rule regardless).
    pub consent_exemption: ConsentExemption,
}

impl Rule {
    pub fn effective_date(&self) -> Option<NaiveDate> {
        let (y, m, d) = self.effective_from;
        NaiveDate::from_ymd_opt(y, m, d)
    }

    fn covers(&self, channel: Channel, purpose: Purpose, automated: bool) -> bool {
        self.coverage.channels.contains(&channel)
            && (!self.coverage.marketing_only || purpose == Purpose::Marketing)
            && (!self.coverage.automated_only || automated)
    }

    /// In force on `today` (compared as numbers: no date is built on the decision path).
    fn in_force(&self, today: (i32, u32, u32)) -> bool {
        self.effective_from <= today
    }
}

/// Every pack, in reporting order.
pub fn all_rules() -> impl Iterator<Item = &'static Rule> {
    [
        us_federal::RULES,
        us_states::RULES,
        automated::RULES,
        canada::RULES,
        india::RULES,
    ]
    .into_iter()
    .flatten()
}

/// A jurisdiction as the index keys it: the country's two letters, then the subdivision's
/// (zero for a whole country), packed in a number.
fn key(country: &str, subdivision: Option<&str>) -> u32 {
    let two = |s: &str| match s.as_bytes() {
        [a, b] => (u32::from(*a) << 8) | u32::from(*b),
        _ => 0,
    };
    (two(country) << 16) | subdivision.map_or(0, two)
}

/// A rule and its position in [`all_rules`].
type Ranked = (usize, &'static Rule);

/// The rules of each jurisdiction, sorted by key (built once).
struct Index {
    by_key: Vec<(u32, Vec<Ranked>)>,
}

impl Index {
    fn get(&self, key: u32) -> Option<&[Ranked]> {
        self.by_key
            .binary_search_by_key(&key, |(k, _)| *k)
            .ok()
            .and_then(|i| self.by_key.get(i))
            .map(|(_, rules)| rules.as_slice())
    }
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut by_key: Vec<(u32, Vec<Ranked>)> = Vec::new();
        for (i, r) in all_rules().enumerate() {
            let k = match r.jurisdiction {
                Jurisdiction::Country(c) => key(c, None),
                Jurisdiction::Subdivision { country, code } => key(country, Some(code)),
            };
            match by_key.iter_mut().find(|(x, _)| *x == k) {
                Some((_, rules)) => rules.push((i, r)),
                None => by_key.push((k, vec![(i, r)])),
            }
        }
        by_key.sort_unstable_by_key(|(k, _)| *k);
        Index { by_key }
    })
}

/// The rules that cover a touch on `channel` for `purpose` (`automated` or not) to a recipient
/// at `place`, in force on `today` (the recipient's local date at decision time), in
/// [`all_rules`] order.
pub fn applicable(
    place: &RecipientPlace,
    channel: Channel,
    purpose: Purpose,
    automated: bool,
    today: NaiveDate,
) -> Vec<&'static Rule> {
    let index = index();
    let today = (today.year(), today.month(), today.day());
    let mut found: Vec<Ranked> = Vec::new();
    let mut take = |key| {
        if let Some(rules) = index.get(key) {
            found.extend(
                rules
                    .iter()
                    .filter(|(_, r)| r.covers(channel, purpose, automated) && r.in_force(today)),
            );
        }
    };
    for c in &place.countries {
        take(key(c, None));
        for s in &place.subdivisions {
            take(key(c, Some(s)));
        }
    }
    if place.countries.is_empty() {
        // A subdivision alone: its own country's rules for it.
        for s in &place.subdivisions {
            if let Some(sub) = crate::regions::subdivision(s) {
                take(key(sub.country, Some(s)));
            }
        }
    }
    found.sort_unstable_by_key(|(i, _)| *i);
    found.dedup_by_key(|(i, _)| *i);
    found.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_dates_valid() {
        let rules: Vec<&Rule> = all_rules().collect();
        for (i, r) in rules.iter().enumerate() {
            assert!(r.effective_date().is_some(), "{} has a bad date", r.id);
            assert!(!r.citation.is_empty() && !r.source.is_empty(), "{}", r.id);
            assert!(
                r.schedule.is_some() || r.recipient_cap.is_some(),
                "{} constrains nothing",
                r.id
            );
            assert!(
                rules.iter().skip(i + 1).all(|o| o.id != r.id),
                "duplicate id {}",
                r.id
            );
        }
    }
}
