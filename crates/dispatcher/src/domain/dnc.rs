use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use gate::ChannelScope;

use super::{FieldError, time};

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
    #[serde(default, with = "time::rfc3339_opt")]
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
