use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;
use crate::touch::{TimelineKind, TouchReason};
/// A touch as stored.
#[derive(Clone, Debug, Serialize)]
pub struct TouchRow {
    #[serde(skip)]
    pub workspace: String,
    pub id: String,
    pub idempotency_key: String,
    pub account_id: String,
    pub lead_id: String,
    pub channel: gate::Channel,
    pub purpose: gate::Purpose,
    #[serde(skip)]
    pub request: TouchBody,
    pub status: TouchStatus,
    pub reason: Option<TouchReason>,
    pub retry_after: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub deadline: DateTime<Utc>,
    pub attempts: i64,
    pub campaign_id: Option<String>,
    pub step: Option<i64>,
    pub sent_at: Option<DateTime<Utc>>,
    pub provider_message_id: Option<String>,
    /// The contact the touch went to (the lead's address for its channel when the gate allowed
    /// it); null until then. Later edits of the lead do not change it.
    pub recipient: Option<String>,
    pub sandbox_message: Option<serde_json::Value>,
    pub error: Option<String>,
    /// The latest operator override applied to it.
    #[serde(rename = "override", skip_serializing_if = "Option::is_none")]
    pub override_: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(super) const TOUCH_COLUMNS: &str = "workspace, id, idempotency_key, account_id, lead_id, channel, purpose, request, status, reason, retry_after, decided_at, next_attempt_at, deadline, attempts, campaign_id, step, sent_at, provider_message_id, recipient, sandbox_message, error, override, created_at, updated_at";

pub(super) fn touch_from_row(r: &AnyRow) -> Result<TouchRow> {
    let id: String = r.try_get("id")?;
    let request: String = r.try_get("request")?;
    let request = parse_json(&request, || format!("touch {id} request"))?;
    let status: String = r.try_get("status")?;
    let sandbox: Option<String> = r.try_get("sandbox_message")?;
    // A status the lifecycle does not know is an error naming the row, never a guess (the
    // CHECK constraint keeps such rows out).
    let st: TouchStatus = status
        .parse()
        .map_err(|e: String| corrupt(format!("touch {id} status"), e))?;
    Ok(TouchRow {
        workspace: r.try_get("workspace")?,
        idempotency_key: r.try_get("idempotency_key")?,
        account_id: r.try_get("account_id")?,
        lead_id: r.try_get("lead_id")?,
        channel: parse_column(r, "channel", || format!("touch {id} channel"))?,
        purpose: parse_purpose(&r.try_get::<String, _>("purpose")?)
            .map_err(|e| corrupt(format!("touch {id} purpose"), e))?,
        request,
        status: st,
        reason: r
            .try_get::<Option<String>, _>("reason")?
            .map(|s| TouchReason::parse(&s)),
        retry_after: opt_time(r.try_get("retry_after")?),
        decided_at: opt_time(r.try_get("decided_at")?),
        next_attempt_at: if matches!(st, TouchStatus::Queued | TouchStatus::Scheduled) {
            Some(from_ms(r.try_get("next_attempt_at")?))
        } else {
            None
        },
        deadline: from_ms(r.try_get("deadline")?),
        attempts: r.try_get("attempts")?,
        campaign_id: r.try_get("campaign_id")?,
        step: r.try_get("step")?,
        sent_at: opt_time(r.try_get("sent_at")?),
        provider_message_id: r.try_get("provider_message_id")?,
        recipient: r.try_get("recipient")?,
        sandbox_message: sandbox.and_then(|s| serde_json::from_str(&s).ok()),
        error: r.try_get("error")?,
        override_: r
            .try_get::<Option<String>, _>("override")?
            .map(|o| parse_json(&o, || format!("touch {id} override")))
            .transpose()?,
        created_at: from_ms(r.try_get("created_at")?),
        updated_at: from_ms(r.try_get("updated_at")?),
        id,
    })
}

/// One entry of a touch's timeline.
#[derive(Clone, Debug, Serialize)]
pub struct DecisionRow {
    pub at: DateTime<Utc>,
    /// `gate` for a gate decision; `dnc_recheck`, `provider`, `recovery`, `cancel` for the
    /// other events that changed the touch.
    pub kind: TimelineKind,
    pub allowed: bool,
    pub reason: Option<String>,
    pub retry_after: Option<DateTime<Utc>>,
    pub checks: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// An operator override: `{"waived", "reason", "added_by", "token"}`.
    #[serde(rename = "override", skip_serializing_if = "Option::is_none")]
    pub override_: Option<serde_json::Value>,
}

/// A DNC row as stored.
#[derive(Clone, Debug, Serialize)]
pub struct DncRow {
    pub id: String,
    pub contact: Option<String>,
    pub lead_id: Option<String>,
    pub channel: gate::ChannelScope,
    pub reason: gate::DncReason,
    pub source: Option<String>,
    pub added_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_reason: Option<String>,
}

impl DncRow {
    /// The gate's view.
    pub fn to_facts(&self) -> gate::DncEntry {
        gate::DncEntry {
            id: self.id.clone(),
            contact: self.contact.clone(),
            lead_id: self.lead_id.clone(),
            channel: self.channel,
            reason: self.reason,
            expires_at: self.expires_at,
        }
    }
}

pub(super) fn dnc_from_row(r: &AnyRow) -> Result<DncRow> {
    let id: String = r.try_get("id")?;
    Ok(DncRow {
        contact: r.try_get("contact")?,
        lead_id: r.try_get("lead_id")?,
        channel: parse_column(r, "channel", || format!("DNC entry {id} channel"))?,
        reason: parse_column(r, "reason", || format!("DNC entry {id} reason"))?,
        source: r.try_get("source")?,
        added_by: r.try_get("added_by")?,
        created_at: from_ms(r.try_get("created_at")?),
        expires_at: opt_time(r.try_get("expires_at")?),
        removed_at: opt_time(r.try_get("removed_at")?),
        removed_by: r.try_get("removed_by")?,
        removed_reason: r.try_get("removed_reason")?,
        id,
    })
}

pub(super) const DNC_COLUMNS: &str = "id, contact, lead_id, channel, reason, source, added_by, created_at, expires_at, removed_at, removed_by, removed_reason";

/// The predicate of the partial unique index `dnc_open_contact_reason` (migration
/// 20261130000007): at most one such row per (workspace, contact, channel, reason). An
/// `ON CONFLICT` target must repeat it for both databases to pick the index.
pub(super) const DNC_UNIQUE_OPEN: &str = "removed_at IS NULL AND expires_at IS NULL AND lead_id IS NULL \
     AND reason IN ('opt_out_reply', 'provider_unsubscribed', 'customer_request', 'wrong_number', 'hard_bounce', 'complaint')";

/// Filters of `GET /v1/touches`.
#[derive(Clone, Debug, Default)]
pub struct TouchFilter {
    pub status: Option<TouchStatus>,
    pub reason: Option<String>,
    pub channel: Option<String>,
    pub account_id: Option<String>,
    pub lead_id: Option<String>,
    pub campaign_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// What a new touch needs besides its request.
#[derive(Clone, Debug)]
pub struct NewTouch {
    pub workspace: String,
    pub id: String,
    pub idempotency_key: String,
    pub request: TouchBody,
    pub next_attempt_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

/// A text column parsed into its type, or the error that names the row.
pub(super) fn parse_column<T>(r: &AnyRow, column: &str, what: impl FnOnce() -> String) -> Result<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let text: String = r.try_get(column)?;
    text.parse::<T>()
        .map_err(|e| corrupt(what(), e.to_string()))
}

/// `marketing` | `transactional`, as stored.
pub(super) fn parse_purpose(s: &str) -> std::result::Result<gate::Purpose, String> {
    match s {
        "marketing" => Ok(gate::Purpose::Marketing),
        "transactional" => Ok(gate::Purpose::Transactional),
        other => Err(format!("unknown purpose `{other}`")),
    }
}

/// The stored form of a purpose.
pub(super) fn purpose_str(p: gate::Purpose) -> &'static str {
    match p {
        gate::Purpose::Marketing => "marketing",
        gate::Purpose::Transactional => "transactional",
    }
}
