//! Operator overrides (`POST /v1/touches/{id}/override`): a `scheduled` or `blocked` touch is
//! decided again at once with business checks waived (`min_gap`, caps, `recipient_cap`,
//! `template_unapproved`, `account_quiet_hours` — never a legal one: the gate's [`Waivers`]
//! cannot hold one). The decision records who waived what and why; a touch the decision does
//! not release keeps its state.

use gate::Waivers;
use serde_json::{Value, json};

use super::*;

/// The waivers of one override and what is recorded about them.
#[derive(Debug, Clone)]
pub struct Waived {
    pub waivers: Waivers,
    /// `{"waived", "reason", "added_by", "token"}`.
    pub record: Value,
}

impl Waived {
    pub fn new(
        waivers: Waivers,
        names: &[String],
        reason: &str,
        added_by: Option<&str>,
        token: &str,
    ) -> Waived {
        Waived {
            waivers,
            record: json!({
                "waived": names,
                "reason": reason,
                "added_by": added_by,
                "token": token,
            }),
        }
    }
}

/// What an override did.
#[derive(Debug)]
pub struct Overridden {
    pub decision: gate::Decision,
    /// `None`: the touch kept its state.
    pub step: Step,
}

impl Dispatcher {
    /// The decision the gate would make for `touch` at `at` in `workspace`, from the stored
    /// facts (the same loader and mapping as dispatch). Records nothing and reserves nothing.
    /// An account or lead that does not exist is a field error naming it.
    pub async fn evaluate(
        &self,
        workspace: &str,
        touch: &crate::domain::TouchBody,
        at: DateTime<Utc>,
    ) -> Result<gate::Decision, crate::decide::EvaluateError> {
        use crate::domain::FieldError;
        let key = crate::store::FactsKey {
            workspace,
            account_id: &touch.account_id,
            lead_id: &touch.lead_id,
            channel: touch.channel,
        };
        let facts = self.store.touch_facts(key, at).await?;
        if facts.account.is_none() {
            return Err(FieldError::new(
                "account_id",
                format!("no account `{}`", touch.account_id),
            )
            .into());
        }
        if facts.lead.is_none() {
            return Err(FieldError::new("lead_id", format!("no lead `{}`", touch.lead_id)).into());
        }
        let settings = self.config.workspace(workspace);
        let registries = self.registries.snapshot();
        let sender = self
            .sender_auth(touch.channel, facts.account.as_ref())
            .await;
        let cx = crate::decide::Context {
            settings: &settings,
            registries: &registries,
            sender: &sender,
            waivers: Waivers::NONE,
        };
        Ok(decide(&touch.to_facts("dry-run"), &facts, cx, at).0)
    }

    /// Decides the workspace's touch `touch_id` again with `waived`; `None` when it is not
    /// `scheduled` or `blocked` (or another dispatcher holds it).
    pub async fn override_touch(
        &self,
        workspace: &str,
        touch_id: &str,
        waived: &Waived,
    ) -> Result<Option<Overridden>, DispatchError> {
        let now = self.clock.now();
        let Some(tx) = self
            .store
            .begin_override(workspace, touch_id, &self.node_id)
            .await?
        else {
            return Ok(None);
        };
        let (decision, step) = self.decide_and_act(tx, now, Some(waived)).await?;
        Ok(Some(Overridden { decision, step }))
    }
}
