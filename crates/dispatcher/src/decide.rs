//! From stored facts to the gate's decision, for dispatch and for the dry run alike: one
//! loader ([`crate::store::Store::touch_facts`] / the dispatch transaction's) and one mapping,
//! so `POST /v1/evaluate` answers what the dispatcher would decide.

use chrono::{DateTime, Utc};

use crate::config::WorkspaceSettings;
use crate::domain::FieldError;
use crate::registries::RegistrySet;
use crate::store::{StoreError, TouchFacts};

#[derive(Debug, thiserror::Error)]
pub enum EvaluateError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("storage failed")]
    Store(#[from] StoreError),
}

/// What a decision needs besides the stored facts: the workspace's settings, the registries
/// in force, the sender's authentication verdict, and any waivers an operator gave.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub settings: &'a WorkspaceSettings,
    pub registries: &'a RegistrySet,
    pub sender: &'a gate::SenderAuth,
    pub waivers: gate::Waivers,
}

/// The registry listings of the lead's numbers.
pub fn listings(lead: &gate::Lead, registries: &RegistrySet) -> Vec<gate::RegistryListing> {
    let mut out = Vec::new();
    let numbers = [lead.phone.as_ref(), lead.whatsapp.as_ref()];
    for (i, phone) in numbers.iter().enumerate() {
        let Some(p) = phone else { continue };
        // The WhatsApp number is often the phone: look it up once.
        if i == 1 && numbers.first().copied().flatten() == Some(p) {
            continue;
        }
        out.extend(registries.listings(p.as_str()));
    }
    out
}

/// The gate's decision for `touch` from `facts`, and — when the account or the lead does not
/// exist — the explanation: a missing account decides as a suspended one (blocked for good), a
/// missing lead as one with no contact (no valid recipient).
pub fn decide(
    touch: &gate::Touch,
    facts: &TouchFacts,
    cx: Context<'_>,
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
    let mut sends = gate::SendLog::from_records(&facts.sends);
    if let Some(first) = facts.first_send {
        sends.note_first_send(&touch.account_id, touch.channel, first);
    }
    let listings = listings(lead, cx.registries);
    let gate_facts = gate::Facts {
        policy: &cx.settings.policy,
        account,
        lead,
        dnc: &facts.dnc,
        sends: &sends,
        registry: gate::RegistryFacts {
            listings: &listings,
            national_as_of: cx.registries.national_as_of(),
        },
        blackouts: &facts.blackouts,
        sender: cx.sender,
    };
    let decision = gate::evaluate_send_waiving(touch, &gate_facts, now, cx.waivers);
    let missing = match (&facts.account, &facts.lead) {
        (None, _) => Some(format!("account {} does not exist", touch.account_id)),
        (_, None) => Some(format!("lead {} does not exist", touch.lead_id)),
        _ => None,
    };
    (decision, missing)
}
