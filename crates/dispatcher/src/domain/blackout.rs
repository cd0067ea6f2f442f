use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use gate::{BlackoutPurpose, BlackoutRegion, ChannelScope};

use super::{FieldError, time};

/// `POST /v1/blackouts`: a region-wide suspension of the operator's workspace.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlackoutBody {
    /// `US`, `US-LA`, `CA-ON`, or a calling prefix such as `+1504`.
    #[schema(value_type = String)]
    pub region: BlackoutRegion,
    /// Default: now.
    #[serde(default, with = "time::rfc3339_opt")]
    #[schema(value_type = Option<String>)]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(with = "time::rfc3339")]
    #[schema(value_type = String)]
    pub ends_at: DateTime<Utc>,
    /// Default `["*"]`.
    #[serde(default = "every_channel")]
    #[schema(value_type = Vec<String>)]
    pub channels: Vec<ChannelScope>,
    /// `marketing` (default) or `all`.
    #[serde(default)]
    #[schema(value_type = String)]
    pub purpose: BlackoutPurpose,
    pub reason: String,
    #[serde(default)]
    pub source: Option<String>,
}

fn every_channel() -> Vec<ChannelScope> {
    vec![ChannelScope::All]
}

impl BlackoutBody {
    /// Checks what serde cannot: an end after the start, a reason, some channel.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), FieldError> {
        let starts = self.starts_at.unwrap_or(now);
        if self.ends_at <= starts {
            return Err(FieldError::new("ends_at", "must be after starts_at"));
        }
        if self.reason.trim().is_empty() {
            return Err(FieldError::new("reason", "must not be empty"));
        }
        if self.channels.is_empty() {
            return Err(FieldError::new("channels", "must name a channel or \"*\""));
        }
        Ok(())
    }
}
