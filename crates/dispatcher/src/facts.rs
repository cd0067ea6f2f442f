//! Gathering the gate's facts outside a dispatch transaction (the dry-run `evaluate`).

use chrono::{DateTime, Utc};

use crate::config::WorkspaceSettings;
use crate::domain::{FieldError, TouchBody};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum EvaluateError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("storage failed")]
    Store(#[from] StoreError),
}

/// The decision the gate would make for `touch` at `at`, from the stored facts. Records
/// nothing and reserves nothing.
pub async fn evaluate(
    store: &Store,
    workspace: &str,
    settings: &WorkspaceSettings,
    touch: &TouchBody,
    at: DateTime<Utc>,
) -> Result<gate::Decision, EvaluateError> {
    let account = store
        .get_account(workspace, &touch.account_id)
        .await?
        .ok_or_else(|| {
            FieldError::new("account_id", format!("no account `{}`", touch.account_id))
        })?;
    let lead_doc = store
        .get_lead(workspace, &touch.lead_id)
        .await?
        .ok_or_else(|| FieldError::new("lead_id", format!("no lead `{}`", touch.lead_id)))?;
    let last_wa = store
        .last_inbound(workspace, &touch.lead_id, "whatsapp")
        .await?;
    let account = account.to_facts(&touch.account_id)?;
    let lead = lead_doc.to_facts(&touch.lead_id, last_wa)?;
    let contacts: Vec<String> = lead.contact_keys().map(str::to_owned).collect();
    let dnc = store.dnc_for(workspace, &touch.lead_id, &contacts).await?;
    let sends = store
        .recent_sends(
            workspace,
            &touch.account_id,
            touch.channel.as_str(),
            &touch.lead_id,
            at,
        )
        .await?;
    let facts = gate::Facts {
        policy: &settings.policy,
        account: &account,
        lead: &lead,
        dnc: &dnc,
        recent_sends: &sends,
    };
    Ok(gate::evaluate_send(&touch.to_facts("dry-run"), &facts, at))
}
