//! The API's documents (accounts, leads, touches, DNC entries) and their parsing into the
//! gate's facts. Parsing happens at the edge: a document that is stored has been parsed once
//! already, so turning it back into facts cannot fail for reasons the client could fix.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use gate::{
    Account, AccountStatus, Channel, ChannelLimits, ChannelScope, Consent, ContentTemplate,
    DltRegistration, Email, Lead, LinkedInAction, LinkedInId, Phone, Purpose, QuietHours,
    TemplateRef, WhatsappTemplate, Window,
};

/// A client error that names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// `PUT /v1/accounts/{id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountBody {
    /// `active` | `paused` | `suspended`.
    #[serde(default)]
    #[schema(value_type = String)]
    pub status: AccountStatus,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub paused_channels: Vec<Channel>,
    /// Per-channel caps: `min_gap_seconds`, `hourly`, `daily`, `weekly_invites`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub limits: BTreeMap<Channel, ChannelLimits>,
    /// Allowed windows in recipient local time; `null` disables a channel's window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub quiet_hours: Option<serde_json::Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub dlt: Option<DltRegistration>,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub whatsapp_templates: Vec<WhatsappTemplate>,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub templates: Vec<ContentTemplate>,
    /// Sender per channel (overrides the transport's `from`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub senders: BTreeMap<Channel, String>,
}

impl AccountBody {
    /// Parses the `quiet_hours` object into the gate's setting.
    pub fn quiet_hours(&self) -> Result<QuietHours, FieldError> {
        let mut q = QuietHours::default();
        let Some(map) = &self.quiet_hours else {
            return Ok(q);
        };
        for (key, value) in map {
            let field = format!("quiet_hours.{key}");
            let window = parse_window(value, &field)?;
            if key == "default" {
                q.default = Some(window);
            } else {
                let ch: Channel = key
                    .parse()
                    .map_err(|e: gate::ParseError| FieldError::new(&field, e.to_string()))?;
                q.channels.insert(ch, window);
            }
        }
        Ok(q)
    }

    /// Checks everything the gate and the transports will rely on, and writes phone senders
    /// in E.164; call before storing.
    pub fn normalise(&mut self) -> Result<(), FieldError> {
        self.validate()?;
        for (ch, sender) in &mut self.senders {
            *sender = normalise_sender(*ch, sender)?;
        }
        Ok(())
    }

    /// Checks everything the gate and the transports will rely on.
    pub fn validate(&self) -> Result<(), FieldError> {
        self.quiet_hours()?;
        for (ch, sender) in &self.senders {
            normalise_sender(*ch, sender)?;
        }
        for (ch, l) in &self.limits {
            if l.weekly_invites.is_some() && *ch != Channel::Linkedin {
                return Err(FieldError::new(
                    format!("limits.{ch}.weekly_invites"),
                    "weekly_invites applies to linkedin only",
                ));
            }
        }
        if let Some(dlt) = &self.dlt {
            if dlt.entity_id.trim().is_empty() {
                return Err(FieldError::new("dlt.entity_id", "must not be empty"));
            }
            for (i, t) in dlt.templates.iter().enumerate() {
                if t.id.trim().is_empty() {
                    return Err(FieldError::new(
                        format!("dlt.templates[{i}].id"),
                        "must not be empty",
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn to_facts(&self, id: &str) -> Result<Account, FieldError> {
        Ok(Account {
            id: id.to_owned(),
            status: self.status,
            paused_channels: self.paused_channels.clone(),
            limits: self.limits.clone(),
            quiet_hours: self.quiet_hours()?,
            dlt: self.dlt.clone(),
            whatsapp_templates: self.whatsapp_templates.clone(),
            templates: self.templates.clone(),
        })
    }
}

/// An account as stored, parsed once when read: the document the API shows and the gate's
/// view of it.
#[derive(Debug, Clone)]
pub struct StoredAccount {
    pub body: AccountBody,
    pub facts: Account,
}

impl StoredAccount {
    pub fn parse(id: &str, body: AccountBody) -> Result<StoredAccount, FieldError> {
        let facts = body.to_facts(id)?;
        Ok(StoredAccount { body, facts })
    }
}

/// A sender as the channel's transport takes it, or the 400 naming `senders.<channel>`:
/// email — an address or `Name <address>`; sms, call, whatsapp — a phone number in E.164
/// (returned canonical); linkedin — any non-empty account id.
pub fn normalise_sender(channel: Channel, sender: &str) -> Result<String, FieldError> {
    let field = format!("senders.{channel}");
    let s = sender.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if s.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters (line breaks included)",
        ));
    }
    match channel {
        Channel::Email => {
            let address = match s.strip_suffix('>').and_then(|r| r.rsplit_once('<')) {
                Some((name, address)) => {
                    if name.contains(['<', '>']) {
                        return Err(FieldError::new(
                            field,
                            "expected an address or `Name <address>`",
                        ));
                    }
                    address
                }
                None => s,
            };
            Email::parse(address).map_err(|e| {
                FieldError::new(
                    field,
                    format!("expected an address or `Name <address>` ({e})"),
                )
            })?;
            Ok(s.to_owned())
        }
        Channel::Sms | Channel::Call | Channel::Whatsapp => Phone::parse(s, None)
            .map(|p| p.as_str().to_owned())
            .map_err(|e| {
                FieldError::new(
                    field,
                    format!("expected a phone number in E.164 such as +14155550100 ({e})"),
                )
            }),
        Channel::Linkedin => Ok(s.to_owned()),
    }
}

/// The two-letter code of a US state (or DC) or Canadian province given by code (`fl`) or
/// name (`Florida`, `Palm Beach, FL`), as the gate's rule packs know them; None for anything
/// else.
pub fn subdivision_code(s: &str) -> Option<&'static str> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    // By name, else by code: the gate resolves the part after ", " as a code.
    gate::timezone::subdivision_code(s)
        .or_else(|| gate::timezone::subdivision_code(&format!(", {s}")))
}

fn parse_window(value: &Value, field: &str) -> Result<Option<Window>, FieldError> {
    if value.is_null() {
        return Ok(None);
    }
    let w: Window = serde_json::from_value(value.clone()).map_err(|e| {
        FieldError::new(
            field,
            format!("expected {{\"start\": \"HH:MM\", \"end\": \"HH:MM\"}} or null ({e})"),
        )
    })?;
    if w.start == w.end {
        return Err(FieldError::new(field, "start and end must differ"));
    }
    Ok(Some(w))
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
    pub consents: Vec<Consent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_reassigned_at: Option<DateTime<Utc>>,
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
            .map(|p| Phone::parse(p, region).map_err(|e| FieldError::new("phone", e.to_string())))
            .transpose()?;
        let whatsapp = opt(&self.whatsapp)
            .map(|p| {
                Phone::parse(p, region).map_err(|e| FieldError::new("whatsapp", e.to_string()))
            })
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
            phone: opt(&copy.phone).and_then(|p| Phone::parse(p, None).ok()),
            email: opt(&copy.email).and_then(|e| Email::parse(e).ok()),
            linkedin: opt(&copy.linkedin).and_then(|l| LinkedInId::parse(l).ok()),
            whatsapp: opt(&copy.whatsapp).and_then(|p| Phone::parse(p, None).ok()),
            timezone: opt(&copy.timezone).and_then(|t| t.parse().ok()),
            country: copy.country.clone(),
            state: copy.state.clone(),
            consents: copy.consents.clone(),
            number_reassigned_at: copy.number_reassigned_at,
            last_inbound_whatsapp_at,
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

/// The content of a touch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Content {
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
}

/// `POST /v1/touches` (and the touch part of `POST /v1/evaluate`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TouchBody {
    #[serde(default)]
    pub idempotency_key: Option<String>,
    pub account_id: String,
    pub lead_id: String,
    #[schema(value_type = String)]
    pub channel: Channel,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub purpose: Option<Purpose>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub template: Option<TemplateRef>,
    #[serde(default)]
    pub content: Option<Content>,
    #[serde(default)]
    pub not_before: Option<DateTime<Utc>>,
    #[serde(default)]
    pub deadline: Option<DateTime<Utc>>,
    #[serde(default)]
    pub campaign_id: Option<String>,
    #[serde(default)]
    pub step: Option<i64>,
    /// LinkedIn: `invite` or `message` (default).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub action: Option<LinkedInAction>,
}

impl TouchBody {
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), FieldError> {
        if let Some(k) = &self.idempotency_key
            && (k.trim().is_empty() || k.len() > 255)
        {
            return Err(FieldError::new(
                "idempotency_key",
                "must be 1 to 255 characters",
            ));
        }
        if self.account_id.trim().is_empty() {
            return Err(FieldError::new("account_id", "must not be empty"));
        }
        if self.lead_id.trim().is_empty() {
            return Err(FieldError::new("lead_id", "must not be empty"));
        }
        if self.action.is_some() && self.channel != Channel::Linkedin {
            return Err(FieldError::new(
                "action",
                "applies to linkedin touches only",
            ));
        }
        if let (Some(nb), Some(dl)) = (self.not_before, self.deadline)
            && dl <= nb
        {
            return Err(FieldError::new("deadline", "must be after not_before"));
        }
        if let Some(dl) = self.deadline
            && dl <= now
        {
            return Err(FieldError::new("deadline", "is in the past"));
        }
        if self.channel == Channel::Whatsapp
            && let Some(t) = &self.template
            && t.name.is_none()
        {
            return Err(FieldError::new(
                "template.name",
                "a WhatsApp template is named by name and language",
            ));
        }
        Ok(())
    }

    pub fn to_facts(&self, touch_id: &str) -> gate::Touch {
        gate::Touch {
            id: touch_id.to_owned(),
            account_id: self.account_id.clone(),
            lead_id: self.lead_id.clone(),
            channel: self.channel,
            purpose: self.purpose.unwrap_or_default(),
            template: self.template.clone(),
            body: self.content.as_ref().and_then(|c| c.body.clone()),
            action: self.action.unwrap_or_default(),
        }
    }
}

/// `POST /v1/dnc`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DncBody {
    #[serde(default)]
    pub contact: Option<String>,
    #[serde(default)]
    pub lead_id: Option<String>,
    #[serde(default = "star")]
    #[schema(value_type = String)]
    pub channel: ChannelScope,
    #[schema(value_type = String)]
    pub reason: gate::DncReason,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub added_by: Option<String>,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

fn star() -> ChannelScope {
    ChannelScope::All
}

/// Parses a contact named in a DNC entry or an inbound message into its canonical form.
pub fn canonical_contact(
    input: &str,
    default_region: &str,
    field: &str,
) -> Result<String, FieldError> {
    gate::Contact::parse(input, Some(default_region))
        .map(|c| c.as_str().to_owned())
        .map_err(|e| FieldError::new(field, e.to_string()))
}
