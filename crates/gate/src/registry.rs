//! Registry listings: the large read-mostly lists the gate consults beside the company's own
//! DNC rows (the US national Do-Not-Call registry, state lists, known TCPA litigators, numbers
//! disconnected or reassigned). The dispatcher looks the recipient's numbers up in its store
//! and hands the gate what it found; the gate decides what each listing means.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ParseError;

/// Which list a listing comes from. Serialised as the contract's registry names:
/// `national`, `state-XX`, `litigators`, `reassigned`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Registry {
    /// The US federal Do-Not-Call registry.
    National,
    /// A state's own do-not-call list (two-letter US state code).
    State(&'static str),
    /// Known TCPA litigants: a hold on every channel and purpose.
    Litigators,
    /// Numbers disconnected or reassigned, with the date.
    Reassigned,
}

impl Registry {
    /// How operators read a listing of this registry: `National (USA)`, `State (TX)`.
    pub fn label(self) -> String {
        match self {
            Registry::National => "National (USA)".to_owned(),
            Registry::State(code) => format!("State ({code})"),
            Registry::Litigators => "Litigators".to_owned(),
            Registry::Reassigned => "Reassigned".to_owned(),
        }
    }
}

impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Registry::National => f.write_str("national"),
            Registry::State(code) => write!(f, "state-{code}"),
            Registry::Litigators => f.write_str("litigators"),
            Registry::Reassigned => f.write_str("reassigned"),
        }
    }
}

impl FromStr for Registry {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || ParseError::UnknownValue {
            kind: "registry",
            value: s.to_owned(),
        };
        match s {
            "national" => Ok(Registry::National),
            "litigators" => Ok(Registry::Litigators),
            "reassigned" => Ok(Registry::Reassigned),
            _ => {
                let code = s.strip_prefix("state-").ok_or_else(unknown)?;
                crate::regions::subdivision(code)
                    .filter(|sub| sub.country == "US" && sub.code == code)
                    .map(|sub| Registry::State(sub.code))
                    .ok_or_else(unknown)
            }
        }
    }
}

impl Serialize for Registry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Registry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One number found on one registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryListing {
    pub registry: Registry,
    /// The listed number, E.164 (`+14155550123`).
    pub number: String,
    /// Registered on (for `reassigned`: disconnected or reassigned on), when the list says.
    pub listed_on: Option<NaiveDate>,
}

impl RegistryListing {
    /// `National (USA) 2021-01-01`, `State (TX) 2022-01-01`, or `National (USA)` without a
    /// date: how the `dnc` check's detail and the check API name a listing.
    pub fn label(&self) -> String {
        let name = self.registry.label();
        match self.listed_on {
            Some(d) => format!("{name} {}", d.format("%Y-%m-%d")),
            None => name,
        }
    }

    /// For a `reassigned` listing: the instant before which consents for the number are void
    /// (the start of the listed day, UTC; without a date every earlier consent is void).
    pub(crate) fn voids_consent_before(&self) -> Option<DateTime<Utc>> {
        (self.registry == Registry::Reassigned).then(|| {
            self.listed_on
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map_or(DateTime::<Utc>::MAX_UTC, |t| t.and_utc())
        })
    }
}

/// What the registries say about the recipient: its listings, and how current the national
/// list is (for `registry_stale`).
#[derive(Clone, Copy, Debug, Default)]
pub struct RegistryFacts<'a> {
    /// Listings of the lead's numbers (the gate ignores those of other numbers).
    pub listings: &'a [RegistryListing],
    /// The date the national list is current to; `None`: no national list imported.
    pub national_as_of: Option<NaiveDate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_labels_read_like_the_contract() {
        for name in ["national", "state-TX", "litigators", "reassigned"] {
            let r: Registry = name.parse().unwrap_or(Registry::Reassigned);
            assert_eq!(r.to_string(), name);
        }
        assert!("state-ON".parse::<Registry>().is_err());
        assert!("state-tx".parse::<Registry>().is_err());
        assert!("federal".parse::<Registry>().is_err());
        let listing = RegistryListing {
            registry: Registry::National,
            number: "+14155550123".into(),
            listed_on: NaiveDate::from_ymd_opt(2021, 1, 1),
        };
        assert_eq!(listing.label(), "National (USA) 2021-01-01");
        let state = RegistryListing {
            registry: Registry::State("TX"),
            listed_on: None,
            ..listing
        };
        assert_eq!(state.label(), "State (TX)");
    }
}
