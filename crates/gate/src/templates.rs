//! Templates an account registers: content templates under review, WhatsApp message templates
//! as Meta reports them, and India DLT registrations.

use serde::{Deserialize, Serialize};

use crate::channel::Channel;

/// Review status of a content or WhatsApp template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateStatus {
    Approved,
    Pending,
    Rejected,
    Paused,
    Disabled,
}

impl TemplateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateStatus::Approved => "approved",
            TemplateStatus::Pending => "pending",
            TemplateStatus::Rejected => "rejected",
            TemplateStatus::Paused => "paused",
            TemplateStatus::Disabled => "disabled",
        }
    }
}

/// A content template under review (`templates` in the account).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentTemplate {
    pub id: String,
    #[serde(default)]
    pub channel: Option<Channel>,
    pub status: TemplateStatus,
}

/// Meta's template categories (since 2023-06-01). A template stored without one is treated as
/// `utility` (the contract's default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhatsappCategory {
    Marketing,
    #[default]
    Utility,
    Authentication,
}

impl WhatsappCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            WhatsappCategory::Marketing => "marketing",
            WhatsappCategory::Utility => "utility",
            WhatsappCategory::Authentication => "authentication",
        }
    }
}

/// A WhatsApp message template as Meta reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsappTemplate {
    pub name: String,
    pub language: String,
    pub status: TemplateStatus,
    /// `None`: stored without a category, read as [`WhatsappCategory::Utility`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<WhatsappCategory>,
}

impl WhatsappTemplate {
    /// The category, `utility` when none was stored.
    pub fn category(&self) -> WhatsappCategory {
        self.category.unwrap_or_default()
    }
}

/// India DLT registration (TRAI TCCCPR 2018): principal entity, headers, content templates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DltRegistration {
    pub entity_id: String,
    #[serde(default)]
    pub headers: Vec<String>,
    #[serde(default)]
    pub templates: Vec<DltTemplate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DltTemplate {
    pub id: String,
    pub header: String,
    /// The registered body; each tag stands for one variable of its kind: `{#var#}` (any
    /// text up to 30 characters), `{#numeric#}`, `{#alphanumeric#}`, `{#url#}`, `{#urlott#}`,
    /// `{#cbn#}` (a call-back number), `{#email#}`.
    pub body: String,
}
