//! Normalised contacts, parsed at the edge: an E.164 phone number, a lower-cased email address,
//! and a canonical LinkedIn id. A value of these types is always valid; the gate never re-checks.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::channel::Channel;
use crate::error::ParseError;
use crate::timezone::PhoneLocation;

/// A phone number in E.164 form (`+14155550123`), valid for libphonenumber's numbering plan,
/// with the location its prefix implies (time zones, country, US state / Canadian province)
/// resolved once, at parse time, so that the gate's hot path does no lookups.
#[derive(Clone, Debug)]
pub struct Phone {
    e164: Box<str>,
    location: PhoneLocation,
}

impl Phone {
    /// Parses `input`; a number without a leading `+` is read in `default_region`
    /// (ISO 3166 alpha-2, e.g. `US`).
    pub fn parse(input: &str, default_region: Option<&str>) -> Result<Phone, ParseError> {
        let trimmed = input.trim();
        let invalid = || ParseError::InvalidPhone(redact(trimmed));
        if trimmed.is_empty() {
            return Err(invalid());
        }
        let number = if trimmed.starts_with('+') {
            namba::parse(trimmed).map_err(|_| invalid())?
        } else {
            let region = default_region
                .ok_or_else(invalid)
                .and_then(|r| namba::Region::new(r).map_err(|_| invalid()))?;
            namba::parse_in(region, trimmed).map_err(|_| invalid())?
        };
        if number.extension().is_some() || !number.assess().is_valid() {
            return Err(invalid());
        }
        let e164 = number
            .format(namba::Format::E164)
            .to_string()
            .into_boxed_str();
        let location = PhoneLocation::of(&number);
        Ok(Phone { e164, location })
    }

    pub fn as_str(&self) -> &str {
        &self.e164
    }

    /// Where the number's prefix says it rings: candidate time zones, country, subdivision.
    pub fn location(&self) -> &PhoneLocation {
        &self.location
    }
}

/// Never put a whole phone number into an error message or a log line.
fn redact(input: &str) -> String {
    let count = input.chars().count();
    if count <= 4 {
        return "****".to_owned();
    }
    let tail: String = input.chars().skip(count - 4).collect();
    format!("…{tail}")
}

impl PartialEq for Phone {
    fn eq(&self, other: &Self) -> bool {
        self.e164 == other.e164
    }
}
impl Eq for Phone {}
impl std::hash::Hash for Phone {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.e164.hash(state);
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.e164)
    }
}

impl Serialize for Phone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.e164)
    }
}

/// Deserialises only complete E.164 numbers (no default region is known here).
impl<'de> Deserialize<'de> for Phone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Phone::parse(&s, None).map_err(serde::de::Error::custom)
    }
}

/// An email address, trimmed and lower-cased (the whole address: providers treat local parts
/// case-insensitively in practice, and a DNC match must never miss on case).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(Box<str>);

impl Email {
    pub fn parse(input: &str) -> Result<Email, ParseError> {
        let s = input.trim().to_lowercase();
        let invalid = || ParseError::InvalidEmail(input.trim().to_owned());
        let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
        let ok_local = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let ok_domain = labels.len() >= 2
            && domain.len() <= 253
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if ok_local && ok_domain && s.len() <= 254 {
            Ok(Email(s.into_boxed_str()))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A LinkedIn member, as one canonical id:
/// - a public profile URL (`https://www.linkedin.com/in/Ana-B/?trk=x`, `linkedin.com/in/ana-b`,
///   `/pub/...`) becomes `in:ana-b` (slug lower-cased, percent-decoding left as is);
/// - a URN (`urn:li:person:AbC`, `urn:li:fsd_profile:ACoAA…`, `urn:li:member:123`) is kept, with
///   its id case preserved (those ids are case-sensitive), as `urn:li:<type>:<id>`.
///
/// A slug and a URN for the same person cannot be linked without asking LinkedIn; a lead that
/// has both should carry both as contacts.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkedInId(Box<str>);

impl LinkedInId {
    pub fn parse(input: &str) -> Result<LinkedInId, ParseError> {
        let raw = input.trim();
        let invalid = || ParseError::InvalidLinkedIn(raw.to_owned());
        if let Some(rest) = raw.strip_prefix("urn:li:") {
            let (kind, id) = rest.split_once(':').ok_or_else(invalid)?;
            let ok = !kind.is_empty()
                && kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c));
            return if ok {
                Ok(LinkedInId(format!("urn:li:{kind}:{id}").into_boxed_str()))
            } else {
                Err(invalid())
            };
        }
        if let Some(id) = raw.strip_prefix("in:") {
            return Self::from_slug(id).ok_or_else(invalid);
        }
        let lower = raw.to_ascii_lowercase();
        let without_scheme = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
            .unwrap_or(&lower);
        let path = without_scheme
            .split_once('/')
            .filter(|(host, _)| {
                *host == "linkedin.com"
                    || (host.ends_with(".linkedin.com") && host.len() > ".linkedin.com".len())
            })
            .map(|(_, path)| path)
            .ok_or_else(invalid)?;
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let mut parts = path.split('/').filter(|p| !p.is_empty());
        match (parts.next(), parts.next()) {
            (Some("in" | "pub"), Some(slug)) => Self::from_slug(slug).ok_or_else(invalid),
            _ => Err(invalid()),
        }
    }

    fn from_slug(slug: &str) -> Option<LinkedInId> {
        let slug = slug.to_lowercase();
        let ok = !slug.is_empty()
            && slug.len() <= 100
            && slug
                .chars()
                .all(|c| c.is_alphanumeric() || "-_%".contains(c));
        ok.then(|| LinkedInId(format!("in:{slug}").into_boxed_str()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LinkedInId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Any contact a DNC entry or an inbound message can name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Contact {
    Phone(Phone),
    Email(Email),
    LinkedIn(LinkedInId),
}

impl Contact {
    /// Parses a contact of unknown kind: an `@` means email, a LinkedIn URL or URN means
    /// LinkedIn, anything else must be a phone number.
    pub fn parse(input: &str, default_region: Option<&str>) -> Result<Contact, ParseError> {
        let t = input.trim();
        let lower = t.to_ascii_lowercase();
        if lower.starts_with("urn:li:")
            || lower.starts_with("in:")
            || lower.contains("linkedin.com")
        {
            LinkedInId::parse(t).map(Contact::LinkedIn)
        } else if t.contains('@') {
            Email::parse(t).map(Contact::Email)
        } else {
            Phone::parse(t, default_region).map(Contact::Phone)
        }
    }

    /// The canonical text used as the storage key and in DNC matching.
    pub fn as_str(&self) -> &str {
        match self {
            Contact::Phone(p) => p.as_str(),
            Contact::Email(e) => e.as_str(),
            Contact::LinkedIn(l) => l.as_str(),
        }
    }

    /// The channels this contact can be reached on.
    pub fn channels(&self) -> &'static [Channel] {
        match self {
            Contact::Phone(_) => &[Channel::Sms, Channel::Call, Channel::Whatsapp],
            Contact::Email(_) => &[Channel::Email],
            Contact::LinkedIn(_) => &[Channel::Linkedin],
        }
    }
}

impl fmt::Display for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Contact {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_normalises_to_e164() {
        let p = Phone::parse(" (415) 555-0123 ", Some("US")).map(|p| p.as_str().to_owned());
        assert_eq!(p.as_deref(), Ok("+14155550123"));
        let p = Phone::parse("+44 20 7946 0958", None).map(|p| p.as_str().to_owned());
        assert_eq!(p.as_deref(), Ok("+442079460958"));
        let p = Phone::parse("098765 43210", Some("IN")).map(|p| p.as_str().to_owned());
        assert_eq!(p.as_deref(), Ok("+919876543210"));
    }

    #[test]
    fn phone_rejects_garbage_and_national_without_region() {
        assert!(Phone::parse("hello", Some("US")).is_err());
        assert!(Phone::parse("", Some("US")).is_err());
        assert!(Phone::parse("4155550123", None).is_err());
        assert!(Phone::parse("+1 415 555", None).is_err());
        assert!(Phone::parse("+999 1234567", None).is_err());
    }

    #[test]
    fn phone_errors_do_not_echo_the_number() {
        let err = Phone::parse("+1 415 555 01", None)
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| !e.contains("415")));
    }

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        let e = Email::parse("  Ana.B@Example.COM ").map(|e| e.as_str().to_owned());
        assert_eq!(e.as_deref(), Ok("ana.b@example.com"));
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a b@example.com",
            "ana@@x.com",
            "ana@-x.com",
            "a..b@x.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn linkedin_urls_and_urns_reduce_to_one_id() {
        let ids = [
            "https://www.linkedin.com/in/Ana-B/",
            "http://linkedin.com/in/ana-b?trk=public",
            "www.linkedin.com/in/ana-b#about",
            "https://uk.linkedin.com/in/ana-b",
            "in:ana-b",
        ];
        for s in ids {
            let id = LinkedInId::parse(s).map(|i| i.as_str().to_owned());
            assert_eq!(id.as_deref(), Ok("in:ana-b"), "{s}");
        }
        let urn = LinkedInId::parse("urn:li:fsd_profile:ACoAAB1cD").map(|i| i.as_str().to_owned());
        assert_eq!(urn.as_deref(), Ok("urn:li:fsd_profile:ACoAAB1cD"));
        for bad in [
            "https://evil.com/in/ana",
            "https://notlinkedin.com/in/ana",
            "https://www.linkedin.com/company/acme",
            "urn:li:person:",
            "ana",
        ] {
            assert!(
                LinkedInId::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn contact_kind_is_inferred() {
        assert!(matches!(
            Contact::parse("a@b.co", None),
            Ok(Contact::Email(_))
        ));
        assert!(matches!(
            Contact::parse("+14155550123", None),
            Ok(Contact::Phone(_))
        ));
        assert!(matches!(
            Contact::parse("https://linkedin.com/in/x", None),
            Ok(Contact::LinkedIn(_))
        ));
    }
}
