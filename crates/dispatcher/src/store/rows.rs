use chrono::{DateTime, Utc};
use sqlx::Row;

use super::*;
/// A touch as stored.
#[derive(Clone, Debug, Serialize)]
pub struct TouchRow {
    #[serde(skip)]
    pub workspace: String,
    pub id: String,
    pub idempotency_key: String,
    pub account_id: String,
    pub lead_id: String,
    pub channel: String,
    pub purpose: String,
    #[serde(skip)]
    pub request: TouchBody,
    pub status: TouchStatus,
    pub reason: Option<String>,
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
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(super) const TOUCH_COLUMNS: &str = "workspace, id, idempotency_key, account_id, lead_id, channel, purpose, request, status, reason, retry_after, decided_at, next_attempt_at, deadline, attempts, campaign_id, step, sent_at, provider_message_id, recipient, sandbox_message, error, created_at, updated_at";

pub(super) fn touch_from_row(r: &AnyRow) -> Result<TouchRow> {
    let id: String = r.try_get("id")?;
    let request: String = r.try_get("request")?;
    let request = serde_json::from_str(&request).map_err(|source| StoreError::Corrupt {
        what: format!("touch {id} request"),
        source,
    })?;
    let status: String = r.try_get("status")?;
    let sandbox: Option<String> = r.try_get("sandbox_message")?;
    let st: TouchStatus = status.parse().unwrap_or(TouchStatus::NeedsReview);
    Ok(TouchRow {
        workspace: r.try_get("workspace")?,
        idempotency_key: r.try_get("idempotency_key")?,
        account_id: r.try_get("account_id")?,
        lead_id: r.try_get("lead_id")?,
        channel: r.try_get("channel")?,
        purpose: r.try_get("purpose")?,
        request,
        status: st,
        reason: r.try_get("reason")?,
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
    pub kind: String,
    pub allowed: bool,
    pub reason: Option<String>,
    pub retry_after: Option<DateTime<Utc>>,
    pub checks: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A DNC row as stored.
#[derive(Clone, Debug, Serialize)]
pub struct DncRow {
    pub id: String,
    pub contact: Option<String>,
    pub lead_id: Option<String>,
    pub channel: String,
    pub reason: String,
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
    /// The gate's view; `None` for a row whose scope or reason no longer parses.
    pub fn to_facts(&self) -> Option<gate::DncEntry> {
        Some(gate::DncEntry {
            id: self.id.clone(),
            contact: self.contact.clone(),
            lead_id: self.lead_id.clone(),
            channel: self.channel.parse().ok()?,
            reason: self.reason.parse().ok()?,
            expires_at: self.expires_at,
        })
    }
}

pub(super) fn dnc_from_row(r: &AnyRow) -> Result<DncRow> {
    Ok(DncRow {
        id: r.try_get("id")?,
        contact: r.try_get("contact")?,
        lead_id: r.try_get("lead_id")?,
        channel: r.try_get("channel")?,
        reason: r.try_get("reason")?,
        source: r.try_get("source")?,
        added_by: r.try_get("added_by")?,
        created_at: from_ms(r.try_get("created_at")?),
        expires_at: opt_time(r.try_get("expires_at")?),
        removed_at: opt_time(r.try_get("removed_at")?),
        removed_by: r.try_get("removed_by")?,
        removed_reason: r.try_get("removed_reason")?,
    })
}

pub(super) const DNC_COLUMNS: &str = "id, contact, lead_id, channel, reason, source, added_by, created_at, expires_at, removed_at, removed_by, removed_reason";

/// The predicate of the partial unique index `dnc_open_contact_reason` (migration
/// 20261125000004): at most one such row per (workspace, contact, channel, reason). An
/// `ON CONFLICT` target must repeat it for both databases to pick the index.
pub(super) const DNC_UNIQUE_OPEN: &str = "removed_at IS NULL AND expires_at IS NULL AND lead_id IS NULL \
     AND reason IN ('opt_out_reply', 'provider_unsubscribed', 'customer_request')";

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

/// The facts of one touch, loaded inside the dispatch transaction.
#[derive(Debug)]
pub struct LoadedFacts {
    pub account: Option<AccountBody>,
    pub lead: Option<LeadBody>,
    pub last_inbound_whatsapp_at: Option<DateTime<Utc>>,
    pub dnc: Vec<gate::DncEntry>,
    pub sends: Vec<gate::SendRecord>,
}

/// How a dispatch transaction ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextState {
    Sending,
    Scheduled { at: DateTime<Utc> },
    Blocked,
    Expired,
}
