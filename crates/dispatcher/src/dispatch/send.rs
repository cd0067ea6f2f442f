//! Sending with the permit: the last check, the provider call, and the outcome of every
//! answer.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use tracing::warn;

use super::*;

/// A provider call's answer, not yet recorded.
pub(super) struct Called {
    /// The recipient it was sent to.
    pub(super) to: String,
    pub(super) result: Result<workers::Receipt, SendError>,
}

impl Dispatcher {
    /// The last-moment check a transport runs after its pacing wait, right before the
    /// provider call: an opt-out committed while this touch waited still stops it. Read
    /// through `checks`, together with the checks of the calls that reach theirs at the same
    /// time.
    fn last_check(
        &self,
        touch: &TouchRow,
        lead: &gate::Lead,
        channel: gate::Channel,
        checks: &Arc<LastChecks>,
    ) -> workers::LastCheck {
        let checks = Arc::clone(checks);
        let clock = self.clock.clone();
        let key = LastCheckKey {
            workspace: touch.workspace.clone(),
            touch_id: touch.id.clone(),
            lead_id: lead.id.clone(),
            contacts: lead.contact_keys().map(str::to_owned).collect(),
        };
        let lead = lead.clone();
        let purpose = touch.purpose;
        let node = self.node_id.clone();
        workers::LastCheck::new(move || {
            let (checks, clock, key, lead, node) = (
                checks.clone(),
                clock.clone(),
                key.clone(),
                lead.clone(),
                node.clone(),
            );
            async move {
                let LastCheckFacts { owned, dnc } = match checks.read(key).await {
                    Ok(facts) => facts,
                    Err(e) => {
                        return LastCheckVerdict::Unavailable {
                            detail: format!(
                                "could not read the touch's owner or the DNC list ({e})"
                            ),
                        };
                    }
                };
                if !owned {
                    return LastCheckVerdict::Withdrawn {
                        detail: format!(
                            "node {node} no longer owns the touch (its lease expired and another node took it over); nothing was sent"
                        ),
                    };
                }
                match gate::dnc_blocks(&dnc, &lead, channel, purpose, clock.now()) {
                    Some(e) => LastCheckVerdict::Stop {
                        reason: if e.reason == gate::DncReason::LitigationHold {
                            gate::Reason::LitigationHold
                        } else {
                            gate::Reason::DncListed
                        },
                        detail: format!(
                            "DNC entry {} ({}) was added while the touch waited",
                            e.id,
                            e.reason.as_str()
                        ),
                    },
                    None => LastCheckVerdict::Proceed,
                }
            }
        })
    }

    /// Sends with the permit and records the answer.
    pub(super) async fn send(
        &self,
        touch: &TouchRow,
        lead: &gate::Lead,
        senders: Option<&std::collections::BTreeMap<gate::Channel, String>>,
        permit: gate::Permit,
    ) -> Result<Step, DispatchError> {
        let checks = LastChecks::new(self.store.clone(), self.node_id.clone());
        let called = self
            .call_provider(touch, lead, senders, permit, &checks)
            .await;
        self.settle(touch, called).await
    }

    /// The provider call (after the transport's pacing and the last check), unrecorded.
    pub(super) async fn call_provider(
        &self,
        touch: &TouchRow,
        lead: &gate::Lead,
        senders: Option<&std::collections::BTreeMap<gate::Channel, String>>,
        permit: gate::Permit,
        checks: &Arc<LastChecks>,
    ) -> Called {
        let now = self.clock.now();
        let channel = permit.channel();
        let content = touch.request.content.clone().unwrap_or_default();
        let msg = OutboundMessage {
            touch_id: touch.id.clone(),
            channel,
            to: permit.recipient().to_owned(),
            from: senders.and_then(|s| s.get(&channel).cloned()),
            subject: content.subject,
            body: content.body,
            template: touch.request.template.clone(),
            linkedin_action: touch.request.action,
            unsubscribe_url: (channel == gate::Channel::Email).then(|| {
                self.unsubscribe
                    .url(&self.config.public_base_url(), &touch.id)
            }),
            last_check: Some(self.last_check(touch, lead, channel, checks)),
        };
        let started = Instant::now();
        let result = self.transports.send(permit, &msg, now).await;
        self.metrics.provider_time(channel, started.elapsed());
        Called { to: msg.to, result }
    }

    /// Records one provider answer.
    pub(super) async fn settle(
        &self,
        touch: &TouchRow,
        called: Called,
    ) -> Result<Step, DispatchError> {
        let now = self.clock.now();
        match called.result {
            Ok(receipt) => Ok(self
                .settle_accepted(vec![(touch.clone(), receipt)])
                .await?
                .into_iter()
                .next()
                .unwrap_or(Step::NotClaimed)),
            Err(e) => {
                let outcome = self.outcome_of(touch, &called.to, e, now).await?;
                self.finish(touch, now, outcome).await
            }
        }
    }

    /// Records the providers' acceptances in one transaction (`sent`, or `needs_review` →
    /// `sent` for a touch declared unknown meanwhile), then counts them and recomputes the
    /// email senders' health.
    pub(super) async fn settle_accepted(
        &self,
        accepted: Vec<(TouchRow, workers::Receipt)>,
    ) -> Result<Vec<Step>, DispatchError> {
        if accepted.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.clock.now();
        let marks: Vec<(&str, &str, Option<&serde_json::Value>)> = accepted
            .iter()
            .map(|(t, r)| {
                (
                    t.id.as_str(),
                    r.provider_message_id.as_str(),
                    r.recorded.as_ref(),
                )
            })
            .collect();
        let applied = self.store.mark_sent_many(&marks, now).await?;
        let mut steps = Vec::with_capacity(accepted.len());
        let mut senders = std::collections::BTreeSet::new();
        for ((touch, receipt), applied) in accepted.into_iter().zip(applied) {
            let outcome = Outcome::sent(&receipt.provider_message_id, receipt.recorded);
            if applied.changed() {
                self.metrics.event(outcome.event);
                if touch.channel == gate::Channel::Email {
                    senders.insert((touch.workspace, touch.account_id));
                }
            }
            steps.push(Step::Done(outcome));
        }
        for (ws, account_id) in senders {
            // The sends are recorded: a failure to compute the rates is logged, not the
            // sends' (the next send or report computes them again).
            if let Err(e) = crate::deliverability::check_health(
                &self.store,
                &self.config.deliverability,
                &ws,
                &account_id,
                now,
            )
            .await
            {
                warn!(account_id = %account_id, error = %crate::logging::chain(&e), "sender health not computed after a send");
            }
        }
        Ok(steps)
    }

    /// The outcome of a send that did not succeed. Provider feedback that implies a DNC row
    /// writes it first, so no other channel or sender repeats the mistake.
    async fn outcome_of(
        &self,
        touch: &TouchRow,
        to: &str,
        e: SendError,
        now: DateTime<Utc>,
    ) -> Result<Outcome, DispatchError> {
        Ok(match e {
            SendError::Throttled { retry_at } => Outcome::snoozed(
                SnoozeCause::ProviderThrottled,
                retry_at.unwrap_or(after(now, backoff(0))).max(now),
                "provider throttled; snoozed without using an attempt",
            ),
            SendError::Transient { detail } => {
                let attempts = touch.attempts.saturating_add(1);
                if attempts >= self.config.dispatcher.max_attempts {
                    Outcome::failed(None, format!("{detail}; attempts used up ({attempts})"))
                } else {
                    Outcome::retry(
                        after(now, backoff(attempts - 1)),
                        format!("{detail}; retry {attempts} with backoff"),
                    )
                }
            }
            SendError::Rejected { code, detail } => {
                Outcome::failed(code.map(TouchReason::Provider), detail)
            }
            SendError::InvalidRecipient { .. } => {
                Outcome::failed(Some(gate::Reason::InvalidRecipient.into()), e.to_string())
            }
            e @ (SendError::Unsubscribed { .. }
            | SendError::StopMarketing { .. }
            | SendError::WindowClosed { .. }
            | SendError::TemplateUnapproved { .. }) => {
                let detail = e.to_string();
                if let Some(scope) = e.dnc_scope() {
                    self.provider_dnc(touch, to, scope, &detail, now).await?;
                }
                let reason = e.reason().unwrap_or(gate::Reason::DncListed);
                Outcome::blocked(BlockCause::Provider, reason.into(), detail)
            }
            SendError::Stopped { reason, detail } => {
                Outcome::blocked(BlockCause::LastCheck, reason.into(), detail)
            }
            SendError::CheckUnavailable { detail } => Outcome::snoozed(
                SnoozeCause::LastCheckUnavailable,
                after(now, backoff(0)),
                detail,
            ),
            SendError::Permit(e) => {
                warn!(touch_id = %touch.id, error = %e, "permit refused by worker");
                Outcome::needs_review(ReviewCause::PermitRefused, format!("permit refused: {e}"))
            }
            // Another node declared this touch's outcome unknown while this one had lost its
            // lease: nothing was sent, and the touch is no longer this node's to change.
            SendError::Withdrawn { detail } => {
                Outcome::needs_review(ReviewCause::LeaseExpired, detail)
            }
            SendError::Unknown { detail } => {
                Outcome::needs_review(ReviewCause::OutcomeUnknown, detail)
            }
        })
    }

    /// Provider feedback flows into the one central DNC.
    async fn provider_dnc(
        &self,
        touch: &TouchRow,
        contact: &str,
        scope: gate::ChannelScope,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DispatchError> {
        let body = crate::domain::DncBody {
            contact: Some(contact.to_owned()),
            lead_id: None,
            channel: scope,
            reason: gate::DncReason::ProviderUnsubscribed,
            source: Some(format!("provider:{}", touch.channel)),
            added_by: Some(format!("touch {}", touch.id)),
            expires_at: None,
        };
        let row = self
            .store
            .add_dnc(
                &touch.workspace,
                &uuid::Uuid::now_v7().to_string(),
                &body,
                Some(contact),
                now,
            )
            .await?;
        warn!(touch_id = %touch.id, dnc_id = %row.id, scope = %scope, detail, "provider reported an unsubscribed recipient; DNC row written");
        Ok(())
    }
}

/// The last checks of the provider calls a dispatcher makes, read in groups: a check asks to
/// be read and waits; one reader at a time reads every check asked for since its last read in
/// one go ([`Store::last_checks`]). A check's read therefore always starts after it was asked
/// for — after its touch's decision was committed, right before its provider call — and the
/// calls that reach their last check together cost two statements, not two each.
#[derive(Debug)]
pub(super) struct LastChecks {
    store: Store,
    node: String,
    state: std::sync::Mutex<Waiting>,
}

#[derive(Debug, Default)]
struct Waiting {
    asked: Vec<(
        LastCheckKey,
        tokio::sync::oneshot::Sender<Result<LastCheckFacts, String>>,
    )>,
    /// A reader is running: it will read what is asked before it stops.
    reading: bool,
}

impl LastChecks {
    pub(super) fn new(store: Store, node: String) -> Arc<LastChecks> {
        Arc::new(LastChecks {
            store,
            node,
            state: std::sync::Mutex::new(Waiting::default()),
        })
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What the store says now about `key` (read after this call began).
    async fn read(self: &Arc<Self>, key: LastCheckKey) -> Result<LastCheckFacts, String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let start = {
            let mut w = self.waiting();
            w.asked.push((key, tx));
            !std::mem::replace(&mut w.reading, true)
        };
        if start {
            let this = Arc::clone(self);
            tokio::spawn(async move { this.reader().await });
        }
        rx.await
            .unwrap_or_else(|_| Err("the last check's reader stopped".to_owned()))
    }

    /// Reads what was asked, group by group, until nothing is.
    async fn reader(&self) {
        loop {
            let asked = {
                let mut w = self.waiting();
                if w.asked.is_empty() {
                    w.reading = false;
                    return;
                }
                std::mem::take(&mut w.asked)
            };
            let (keys, replies): (Vec<_>, Vec<_>) = asked.into_iter().unzip();
            match self.store.last_checks(&self.node, &keys).await {
                Ok(facts) if facts.len() == replies.len() => {
                    for (reply, f) in replies.into_iter().zip(facts) {
                        let _ = reply.send(Ok(f));
                    }
                }
                Ok(_) => {
                    for reply in replies {
                        let _ = reply.send(Err("the last check read a wrong count".to_owned()));
                    }
                }
                Err(e) => {
                    let detail = e.to_string();
                    for reply in replies {
                        let _ = reply.send(Err(detail.clone()));
                    }
                }
            }
        }
    }
}
