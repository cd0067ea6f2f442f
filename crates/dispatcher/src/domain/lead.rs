use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use gate::{
    Channel, Consent, Email, Lead, LinkedInId, Phone, Purpose, Relationship, RelationshipKind,
};

use super::account::subdivision_code;
use super::{FieldError, time};

/// [`Phone::parse`], remembered. Parsing a number (its classification, the location its prefix
/// implies) costs far more than the rest of a lead, and every lead is parsed when it is stored
/// and again in every dispatch batch that reads it. The result depends on the input alone (and
/// on the default region when the input has no leading `+`), so the recent ones are kept: a
/// number stored a moment ago is not parsed again when its touch is decided.
fn parse_phone(input: &str, default_region: Option<&str>) -> Result<Phone, gate::ParseError> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock, PoisonError};
    type Key = (String, Option<String>);
    static PARSED: OnceLock<Mutex<HashMap<Key, Phone>>> = OnceLock::new();
    /// Numbers kept (a few MiB at most); when full, the cache starts over.
    const KEEP: usize = 20_000;
    let trimmed = input.trim();
    let region = if trimmed.starts_with('+') {
        None
    } else {
        default_region.map(str::to_owned)
    };
    let key = (trimmed.to_owned(), region);
    let parsed = PARSED.get_or_init(Mutex::default);
    if let Some(p) = parsed
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return Ok(p.clone());
    }
    let phone = Phone::parse(input, default_region)?;
    let mut parsed = parsed.lock().unwrap_or_else(PoisonError::into_inner);
    if parsed.len() >= KEEP {
        parsed.clear();
    }
    parsed.insert(key, phone.clone());
    Ok(phone)
}

/// `PUT /v1/leads/{id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linkedin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whatsapp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub consents: Vec<ConsentBody>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::rfc3339_opt"
    )]
    pub number_reassigned_at: Option<DateTime<Utc>>,
    /// Established business relationships (a purchase lifts registry listings for 18 months,
    /// an inquiry for 3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub relationships: Vec<RelationshipBody>,
}

/// An established business relationship, as a client sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationshipBody {
    pub kind: RelationshipKind,
    #[serde(with = "time::rfc3339")]
    pub at: DateTime<Utc>,
}

/// A recorded consent to be contacted on one channel for one purpose, as a client sends it
/// (unknown fields refused: a misspelt `revoked` must not store an active consent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    pub channel: Channel,
    #[serde(default)]
    pub purpose: Purpose,
    #[serde(with = "time::rfc3339")]
    pub granted_at: DateTime<Utc>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::rfc3339_opt"
    )]
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl ConsentBody {
    pub fn to_facts(&self) -> Consent {
        Consent {
            channel: self.channel,
            purpose: self.purpose,
            granted_at: self.granted_at,
            revoked_at: self.revoked_at,
            source: self.source.clone(),
        }
    }
}

/// A lead's contacts in canonical form (what is stored and matched).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadContacts {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub linkedin: Option<String>,
    pub whatsapp: Option<String>,
}

impl LeadBody {
    /// Normalises contacts in place (E.164, lower-cased email, canonical LinkedIn id) and
    /// checks the rest; the stored document is the normalised one.
    pub fn normalise(&mut self, default_region: &str) -> Result<LeadContacts, FieldError> {
        let region = Some(default_region);
        let phone = opt(&self.phone)
            .map(|p| parse_phone(p, region).map_err(|e| FieldError::new("phone", e.to_string())))
            .transpose()?;
        let whatsapp = opt(&self.whatsapp)
            .map(|p| parse_phone(p, region).map_err(|e| FieldError::new("whatsapp", e.to_string())))
            .transpose()?;
        let email = opt(&self.email)
            .map(|e| Email::parse(e).map_err(|e| FieldError::new("email", e.to_string())))
            .transpose()?;
        let linkedin = opt(&self.linkedin)
            .map(|l| LinkedInId::parse(l).map_err(|e| FieldError::new("linkedin", e.to_string())))
            .transpose()?;
        if let Some(tz) = opt(&self.timezone) {
            tz.parse::<chrono_tz::Tz>().map_err(|_| {
                FieldError::new(
                    "timezone",
                    format!(
                        "unknown time zone `{tz}` (expected an IANA name such as America/New_York)"
                    ),
                )
            })?;
        }
        if let Some(c) = opt(&self.country) {
            if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()) {
                return Err(FieldError::new(
                    "country",
                    "expected an ISO 3166 alpha-2 code such as US",
                ));
            }
            self.country = Some(c.to_ascii_uppercase());
        }
        if let Some(st) = opt(&self.state) {
            let code = subdivision_code(st).ok_or_else(|| {
                FieldError::new(
                    "state",
                    format!(
                        "unknown state `{st}` (expected a US state or Canadian province, by two-letter code such as CA or by name)"
                    ),
                )
            })?;
            self.state = Some(code.to_owned());
        } else {
            self.state = None;
        }
        for (i, c) in self.consents.iter().enumerate() {
            if c.revoked_at.is_some_and(|r| r < c.granted_at) {
                return Err(FieldError::new(
                    format!("consents[{i}].revoked_at"),
                    "is before granted_at",
                ));
            }
        }
        let contacts = LeadContacts {
            phone: phone.as_ref().map(|p| p.as_str().to_owned()),
            email: email.as_ref().map(|e| e.as_str().to_owned()),
            linkedin: linkedin.as_ref().map(|l| l.as_str().to_owned()),
            whatsapp: whatsapp.as_ref().map(|p| p.as_str().to_owned()),
        };
        self.phone = contacts.phone.clone();
        self.email = contacts.email.clone();
        self.linkedin = contacts.linkedin.clone();
        self.whatsapp = contacts.whatsapp.clone();
        Ok(contacts)
    }

    /// The gate's view of a stored (already normalised) lead.
    pub fn to_facts(
        &self,
        id: &str,
        last_inbound_whatsapp_at: Option<DateTime<Utc>>,
    ) -> Result<Lead, FieldError> {
        let mut copy = self.clone();
        // A lead stored before states were checked may name one the gate does not know (and so
        // never used): it reads as no state, not as an unreadable lead.
        if copy
            .state
            .as_deref()
            .is_some_and(|s| subdivision_code(s).is_none())
        {
            copy.state = None;
        }
        copy.normalise("US")?;
        Ok(Lead {
            id: id.to_owned(),
            phone: opt(&copy.phone).and_then(|p| parse_phone(p, None).ok()),
            email: opt(&copy.email).and_then(|e| Email::parse(e).ok()),
            linkedin: opt(&copy.linkedin).and_then(|l| LinkedInId::parse(l).ok()),
            whatsapp: opt(&copy.whatsapp).and_then(|p| parse_phone(p, None).ok()),
            timezone: opt(&copy.timezone).and_then(|t| t.parse().ok()),
            country: copy.country.clone(),
            state: copy.state.clone(),
            consents: copy.consents.iter().map(ConsentBody::to_facts).collect(),
            number_reassigned_at: copy.number_reassigned_at,
            last_inbound_whatsapp_at,
            relationships: copy
                .relationships
                .iter()
                .map(|r| Relationship {
                    kind: r.kind,
                    at: r.at,
                })
                .collect(),
            // Consent voids live beside the document (the facts loader adds them).
            consent_voids: Vec::new(),
        })
    }
}

/// A lead as stored, parsed once when read: the document the API shows and the gate's view
/// of it (without the facts that live elsewhere, such as the last inbound WhatsApp message).
#[derive(Debug, Clone)]
pub struct StoredLead {
    pub body: LeadBody,
    pub facts: Lead,
}

impl StoredLead {
    pub fn parse(id: &str, body: LeadBody) -> Result<StoredLead, FieldError> {
        let facts = body.to_facts(id, None)?;
        Ok(StoredLead { body, facts })
    }
}

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}
