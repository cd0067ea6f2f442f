use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use gate::{
    Account, AccountStatus, Channel, ChannelLimits, ContentTemplate, DltRegistration, Email, Phone,
    QuietHours, WhatsappTemplate, Window,
};

use super::FieldError;

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
            // Sender-health pauses live beside the document (the store adds them).
            health_pauses: std::collections::BTreeMap::new(),
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
