//! Blackouts: region-wide suspensions of contact for a time (declared emergencies such as New
//! York's GBL § 399-z(5-a) or the Louisiana PSC's orders, company holidays), by country,
//! state or province, or calling prefix.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::channel::{Channel, ChannelScope};
use crate::error::ParseError;
use crate::facts::Purpose;

/// Where a blackout applies.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BlackoutRegion {
    /// An ISO 3166-1 alpha-2 country (`US` covers the states, DC and the territories).
    Country(String),
    /// An ISO 3166-2 subdivision (`US-LA`, `CA-ON`).
    Subdivision { country: String, code: String },
    /// A calling prefix, digits after the `+` (`+1504` is stored as `1504`).
    Prefix(String),
}

impl fmt::Display for BlackoutRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlackoutRegion::Country(c) => f.write_str(c),
            BlackoutRegion::Subdivision { country, code } => write!(f, "{country}-{code}"),
            BlackoutRegion::Prefix(p) => write!(f, "+{p}"),
        }
    }
}

impl FromStr for BlackoutRegion {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseError::InvalidRegion(s.to_owned());
        let letters = |p: &str, n: std::ops::RangeInclusive<usize>| {
            n.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric())
        };
        if let Some(digits) = s.strip_prefix('+') {
            return if (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
            {
                Ok(BlackoutRegion::Prefix(digits.to_owned()))
            } else {
                Err(bad())
            };
        }
        match s.split_once('-') {
            None if s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic()) => {
                Ok(BlackoutRegion::Country(s.to_ascii_uppercase()))
            }
            Some((country, code))
                if country.len() == 2
                    && country.bytes().all(|b| b.is_ascii_alphabetic())
                    && letters(code, 1..=3) =>
            {
                Ok(BlackoutRegion::Subdivision {
                    country: country.to_ascii_uppercase(),
                    code: code.to_ascii_uppercase(),
                })
            }
            _ => Err(bad()),
        }
    }
}

impl Serialize for BlackoutRegion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for BlackoutRegion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Which touches a blackout holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlackoutPurpose {
    /// Marketing touches only (the default).
    #[default]
    Marketing,
    /// Every touch, transactional included.
    All,
}

/// One blackout, `[starts_at, ends_at)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blackout {
    pub id: String,
    pub region: BlackoutRegion,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The channels it holds; empty or containing `*`: every channel.
    pub channels: Vec<ChannelScope>,
    pub purpose: BlackoutPurpose,
    pub reason: String,
}

impl Blackout {
    /// Whether the blackout holds a touch on `channel` for `purpose` (at some time).
    pub(crate) fn holds(&self, channel: Channel, purpose: Purpose) -> bool {
        (self.channels.is_empty() || self.channels.iter().any(|c| c.covers(channel)))
            && (self.purpose == BlackoutPurpose::All || purpose == Purpose::Marketing)
    }

    pub(crate) fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.starts_at <= now && now < self.ends_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_parse_and_print() {
        for (input, printed) in [
            ("US", "US"),
            ("us", "US"),
            ("US-LA", "US-LA"),
            ("ca-on", "CA-ON"),
            ("+1504", "+1504"),
            ("+91", "+91"),
        ] {
            let r: Result<BlackoutRegion, _> = input.parse();
            assert_eq!(r.map(|r| r.to_string()).ok().as_deref(), Some(printed));
        }
        for bad in [
            "",
            "USA",
            "U",
            "+",
            "+15a4",
            "US-",
            "US-LONG",
            "1504",
            "+1234567890123456",
        ] {
            assert!(bad.parse::<BlackoutRegion>().is_err(), "{bad}");
        }
    }
}
