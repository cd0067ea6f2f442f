//! Jurisdiction rule packs: calling-hour windows, day and holiday bans and per-recipient caps
//! that apply to telephone solicitations (marketing touches on call, sms and whatsapp) whatever
//! the account's own settings say. Every rule carries its citation, source, effective date and
//! whether it was verified against a primary source.
//!
//! Rules are compiled-in data, one file per pack. All applicable rules are enforced together
//! (their intersection), so the strictest rule always wins; the block detail names the rule
//! that bound.

use chrono::NaiveDate;

use crate::channel::Channel;
use crate::facts::Purpose;
use crate::quiet_hours::Schedule;
use crate::timezone::RecipientPlace;

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
    /// At most this many covered touches to one recipient in a trailing 24 hours.
    pub recipient_cap_24h: Option<u32>,
    /// A zone the statute names for its hours (Mississippi: "Central Standard Time"); the
    /// schedule is then evaluated in that zone instead of the recipient's candidate zones.
    pub fixed_zone: Option<chrono_tz::Tz>,
}

impl Rule {
    pub fn effective_date(&self) -> Option<NaiveDate> {
        let (y, m, d) = self.effective_from;
        NaiveDate::from_ymd_opt(y, m, d)
    }

    fn covers(&self, channel: Channel, purpose: Purpose) -> bool {
        self.coverage.channels.contains(&channel)
            && (!self.coverage.marketing_only || purpose == Purpose::Marketing)
    }

    fn applies_to_place(&self, place: &RecipientPlace) -> bool {
        match self.jurisdiction {
            Jurisdiction::Country(c) => place.countries.contains(&c),
            Jurisdiction::Subdivision { country, code } => {
                place.subdivisions.contains(&code)
                    && (place.countries.is_empty() || place.countries.contains(&country))
            }
        }
    }
}

/// Every pack, in reporting order.
pub fn all_rules() -> impl Iterator<Item = &'static Rule> {
    [
        us_federal::RULES,
        us_states::RULES,
        canada::RULES,
        india::RULES,
    ]
    .into_iter()
    .flatten()
}

/// The rules that cover a touch on `channel` for `purpose` to a recipient at `place`, in force
/// on `today` (the recipient's local date at decision time).
pub fn applicable(
    place: &RecipientPlace,
    channel: Channel,
    purpose: Purpose,
    today: NaiveDate,
) -> impl Iterator<Item = &'static Rule> + '_ {
    all_rules().filter(move |r| {
        r.covers(channel, purpose)
            && r.applies_to_place(place)
            && r.effective_date().is_some_and(|d| d <= today)
    })
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
                r.schedule.is_some() || r.recipient_cap_24h.is_some(),
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
