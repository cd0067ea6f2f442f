//! From stored facts to the gate's decision, for dispatch and for the dry run alike: one
//! loader ([`crate::store::Store::touch_facts`] / the dispatch transaction's) and one mapping,
//! so `POST /v1/evaluate` answers what the dispatcher would decide.

use chrono::{DateTime, Utc};

use crate::config::WorkspaceSettings;
use crate::domain::{FieldError, TouchBody};
use crate::store::{FactsKey, Store, StoreError, TouchFacts};

#[derive(Debug, thiserror::Error)]
pub enum EvaluateError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("storage failed")]
    Store(#[from] StoreError),
}

/// The gate's decision for `touch` from `facts`, and — when the account or the lead does not
/// exist — the explanation: a missing account decides as a suspended one (blocked for good), a
/// missing lead as one with no contact (no valid recipient).
pub fn decide(
    touch: &gate::Touch,
    facts: &TouchFacts,
    settings: &WorkspaceSettings,
    now: DateTime<Utc>,
) -> (gate::Decision, Option<String>) {
    let missing_account;
    let account = match &facts.account {
        Some(a) => &a.facts,
        None => {
            missing_account = gate::Account {
                id: touch.account_id.clone(),
                status: gate::AccountStatus::Suspended,
                ..gate::Account::default()
            };
            &missing_account
        }
    };
    let missing_lead;
    let lead = match &facts.lead {
        Some(l) => &l.facts,
        None => {
            missing_lead = gate::Lead {
                id: touch.lead_id.clone(),
                ..gate::Lead::default()
            };
            &missing_lead
        }
    };
    let decision = gate::evaluate_send(
        touch,
        &gate::Facts {
            policy: &settings.policy,
            account,
            lead,
            dnc: &facts.dnc,
            recent_sends: &facts.sends,
        },
        now,
    );
    let missing = match (&facts.account, &facts.lead) {
        (None, _) => Some(format!("account {} does not exist", touch.account_id)),
        (_, None) => Some(format!("lead {} does not exist", touch.lead_id)),
        _ => None,
    };
    (decision, missing)
}

/// The decision the gate would make for `touch` at `at`, from the stored facts. Records
/// nothing and reserves nothing. An account or lead that does not exist is a 400 naming it.
pub async fn evaluate(
    store: &Store,
    workspace: &str,
    settings: &WorkspaceSettings,
    touch: &TouchBody,
    at: DateTime<Utc>,
) -> Result<gate::Decision, EvaluateError> {
    let key = FactsKey {
        workspace,
        account_id: &touch.account_id,
        lead_id: &touch.lead_id,
        channel: touch.channel,
    };
    let facts = store.touch_facts(key, at).await?;
    if facts.account.is_none() {
        return Err(
            FieldError::new("account_id", format!("no account `{}`", touch.account_id)).into(),
        );
    }
    if facts.lead.is_none() {
        return Err(FieldError::new("lead_id", format!("no lead `{}`", touch.lead_id)).into());
    }
    Ok(decide(&touch.to_facts("dry-run"), &facts, settings, at).0)
}
