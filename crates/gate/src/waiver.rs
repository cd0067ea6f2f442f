//! Operator overrides: the business checks an operator may waive for one decision. Legal
//! checks (DNC, consent, registries, litigation holds, rule packs, DLT, WhatsApp rules,
//! blackouts, per-recipient legal caps) can never be waived; naming one is an error that
//! names the check, for the API's 400.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::decision::Check;
use crate::reason::Reason;

/// A business check an operator may waive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Waiver {
    MinGap,
    HourlyLimit,
    DailyLimit,
    WeeklyLimit,
    RecipientCap,
    TemplateUnapproved,
    /// The account's own quiet-hours window (never a rule pack's).
    AccountQuietHours,
}

impl Waiver {
    pub const ALL: [Waiver; 7] = [
        Waiver::MinGap,
        Waiver::HourlyLimit,
        Waiver::DailyLimit,
        Waiver::WeeklyLimit,
        Waiver::RecipientCap,
        Waiver::TemplateUnapproved,
        Waiver::AccountQuietHours,
    ];

    /// The contract's name (`hourly_limit`, `account_quiet_hours`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Waiver::MinGap => "min_gap",
            Waiver::HourlyLimit => "hourly_limit",
            Waiver::DailyLimit => "daily_limit",
            Waiver::WeeklyLimit => "weekly_limit",
            Waiver::RecipientCap => "recipient_cap",
            Waiver::TemplateUnapproved => "template_unapproved",
            Waiver::AccountQuietHours => "account_quiet_hours",
        }
    }

    /// The check it waives.
    pub fn check(self) -> Check {
        match self {
            Waiver::MinGap => Check::MinGap,
            Waiver::HourlyLimit => Check::HourlyLimit,
            Waiver::DailyLimit => Check::DailyLimit,
            Waiver::WeeklyLimit => Check::WeeklyLimit,
            Waiver::RecipientCap => Check::RecipientCap,
            Waiver::TemplateUnapproved => Check::Template,
            Waiver::AccountQuietHours => Check::AccountQuietHours,
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Waiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a name cannot be waived.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum WaiverError {
    /// A legal check (or a reason code of one).
    #[error(
        "`{check}` is a legal check and cannot be waived (waivable: min_gap, hourly_limit, daily_limit, weekly_limit, recipient_cap, template_unapproved, account_quiet_hours)"
    )]
    NotWaivable { check: String },
    /// Neither a check nor a reason code.
    #[error(
        "unknown check `{name}` (waivable: min_gap, hourly_limit, daily_limit, weekly_limit, recipient_cap, template_unapproved, account_quiet_hours)"
    )]
    Unknown { name: String },
}

impl WaiverError {
    /// The name the error is about, for the API's `field`/message.
    pub fn name(&self) -> &str {
        match self {
            WaiverError::NotWaivable { check } => check,
            WaiverError::Unknown { name } => name,
        }
    }
}

impl FromStr for Waiver {
    type Err = WaiverError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The contract's names, and the name of the check each waives (`template`).
        if let Some(w) = Waiver::ALL
            .into_iter()
            .find(|w| w.as_str() == s || w.check().as_str() == s)
        {
            return Ok(w);
        }
        let legal = Check::ALL.iter().any(|c| c.as_str() == s)
            || Reason::ALL.iter().any(|r| r.as_str() == s);
        if legal {
            Err(WaiverError::NotWaivable {
                check: s.to_owned(),
            })
        } else {
            Err(WaiverError::Unknown { name: s.to_owned() })
        }
    }
}

impl Serialize for Waiver {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Waiver {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A set of waivers for one decision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Waivers(u8);

impl Waivers {
    /// No waiver: an ordinary decision.
    pub const NONE: Waivers = Waivers(0);

    /// Parses the names of an override request; the first name that is not a waivable
    /// business check is the error.
    pub fn parse<'s>(names: impl IntoIterator<Item = &'s str>) -> Result<Waivers, WaiverError> {
        names
            .into_iter()
            .try_fold(Waivers::NONE, |set, n| Ok(set.with(n.parse()?)))
    }

    pub fn with(self, w: Waiver) -> Waivers {
        Waivers(self.0 | w.bit())
    }

    pub fn contains(self, w: Waiver) -> bool {
        self.0 & w.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The waivers in the set, in contract order.
    pub fn iter(self) -> impl Iterator<Item = Waiver> {
        Waiver::ALL.into_iter().filter(move |w| self.contains(*w))
    }

    /// Whether the set waives `check`.
    pub(crate) fn waives(self, check: Check) -> bool {
        !self.is_empty() && self.iter().any(|w| w.check() == check)
    }
}

impl Serialize for Waivers {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl FromIterator<Waiver> for Waivers {
    fn from_iter<I: IntoIterator<Item = Waiver>>(iter: I) -> Self {
        iter.into_iter().fold(Waivers::NONE, Waivers::with)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_checks_parse_and_legal_ones_are_refused_by_name() {
        let set = Waivers::parse(["hourly_limit", "min_gap", "account_quiet_hours"]);
        let set = set.unwrap_or_default();
        assert!(set.contains(Waiver::HourlyLimit) && set.contains(Waiver::MinGap));
        assert!(!set.contains(Waiver::DailyLimit));
        assert_eq!(
            set.iter().map(Waiver::as_str).collect::<Vec<_>>(),
            ["min_gap", "hourly_limit", "account_quiet_hours"]
        );
        for legal in [
            "dnc",
            "dnc_listed",
            "consent_missing",
            "quiet_hours",
            "blackout",
            "litigation_hold",
            "registry_stale",
            "recipient_frequency",
            "dlt",
            "whatsapp_window_closed",
        ] {
            assert_eq!(
                Waivers::parse(["min_gap", legal]),
                Err(WaiverError::NotWaivable {
                    check: legal.into()
                }),
                "{legal}"
            );
        }
        let err = Waivers::parse(["everything"]);
        assert_eq!(
            err,
            Err(WaiverError::Unknown {
                name: "everything".into()
            })
        );
        for w in Waiver::ALL {
            assert_eq!(w.as_str().parse::<Waiver>(), Ok(w));
        }
    }
}
