use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use gate::{Channel, LinkedInAction, Purpose, TemplateRef};

use super::{FieldError, time};

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
    #[serde(default, with = "time::rfc3339_opt")]
    pub not_before: Option<DateTime<Utc>>,
    #[serde(default, with = "time::rfc3339_opt")]
    pub deadline: Option<DateTime<Utc>>,
    #[serde(default)]
    pub campaign_id: Option<String>,
    #[serde(default)]
    pub step: Option<i64>,
    /// LinkedIn: `invite` or `message` (default).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub action: Option<LinkedInAction>,
    /// A call placed by an autodialer or carrying a prerecorded or artificial voice, or a text
    /// sent by an autodialer: the automated-contact rule packs apply too.
    #[serde(default)]
    pub automated: Option<bool>,
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
            automated: self.automated.unwrap_or(false),
        }
    }
}
