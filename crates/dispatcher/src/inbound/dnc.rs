//! The DNC row an inbound message asks for.

use chrono::{DateTime, Utc};

use crate::app::AppState;
use crate::domain::DncBody;
use crate::store::{DncRow, StoreError};

/// A DNC row wanted for a contact (open-ended, not tied to a lead).
#[derive(Debug, Clone)]
pub struct WantedDnc<'a> {
    pub contact: &'a str,
    pub scope: gate::ChannelScope,
    pub reason: gate::DncReason,
    pub source: String,
    pub added_by: String,
}

/// The DNC row for `wanted`: an open-ended row for the same contact with the same reason whose
/// scope covers the wanted one is reused (a second STOP, a webhook retried, a second
/// unsubscribe click add nothing); otherwise one is written. Returns the row and whether it was
/// written now.
///
/// The database decides between concurrent writers, in this process or another daemon on the
/// same database: the partial unique index `dnc_open_contact_reason` admits one open row per
/// (workspace, contact, channel, reason), and [`crate::store::Store::ensure_dnc`] inserts with
/// `ON CONFLICT … DO NOTHING`, then reads back which row won. Only the call that created the
/// row gets `true` (and so only it sends the opt-out confirmation).
pub async fn ensure_dnc(
    state: &AppState,
    workspace: &str,
    wanted: &WantedDnc<'_>,
    now: DateTime<Utc>,
) -> Result<(DncRow, bool), StoreError> {
    let existing = state
        .store
        .list_dnc(workspace, Some(wanted.contact), 10_000)
        .await?;
    if let Some(row) = existing.into_iter().find(|r| {
        r.lead_id.is_none()
            && r.expires_at.is_none()
            && r.removed_at.is_none()
            && r.reason == wanted.reason
            && (r.channel == gate::ChannelScope::All || r.channel == wanted.scope)
    }) {
        return Ok((row, false));
    }
    let body = DncBody {
        contact: Some(wanted.contact.to_owned()),
        lead_id: None,
        channel: wanted.scope,
        reason: wanted.reason,
        source: Some(wanted.source.clone()),
        added_by: Some(wanted.added_by.clone()),
        expires_at: None,
    };
    let id = uuid::Uuid::now_v7().to_string();
    state
        .store
        .ensure_dnc(workspace, &id, &body, Some(wanted.contact), now)
        .await
}
