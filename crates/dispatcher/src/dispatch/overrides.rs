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
