//! The dispatch step: load facts → gate → record the decision → act.
//!
//! For one due touch, one transaction claims it, locks its sender's caps, loads the facts,
//! asks the gate, and commits the decision row, the state change and (when allowed) the cap
//! reservation together. Then, outside the transaction, the DNC check is repeated right before
//! the provider call, and the worker sends with the gate's permit. Every way a send can end is
//! one [`Outcome`], applied by the store.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use tracing::{debug, warn};

use crate::clock::Clock;
use crate::config::Config;
use crate::decide::decide;
use crate::metrics::Metrics;
use crate::store::{Store, StoreError, TouchRow};
use crate::touch::{BlockCause, Outcome, ReviewCause, SnoozeCause, TouchReason, TouchStatus};
use crate::unsubscribe::Signer;
use workers::registry::Transports;
use workers::{LastCheckVerdict, OutboundMessage, SendError};

/// Touches one dispatcher decides and sends concurrently within a batch (PostgreSQL).
pub const DISPATCH_CONCURRENCY: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("storage failed")]
    Store(#[from] StoreError),
}

/// What one dispatch step did to one touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Another dispatcher had it, or it was no longer due.
    NotClaimed,
    /// The outcome it ended the step with.
    Done(Outcome),
}

impl Step {
    /// The status the touch ended the step in (`None`: not claimed).
    pub fn status(&self) -> Option<TouchStatus> {
        match self {
            Step::NotClaimed => None,
            Step::Done(o) => Some(o.to),
        }
    }

    /// When a `scheduled` touch is next due.
    pub fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Step::Done(o) => o.next_attempt_at,
            Step::NotClaimed => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Dispatcher {
    pub store: Store,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub transports: Arc<Transports>,
    pub metrics: Metrics,
    /// Identifies this process's claims (crash recovery on PostgreSQL is per node).
    pub node_id: String,
    /// Signs the one-click unsubscribe link of every email.
    pub unsubscribe: Signer,
    /// The registries in force (listings, the national list's date).
    pub registries: crate::registries::Registries,
}

/// When a window opens (08:00 local for every lead in a zone), every touch snoozed to it would
/// fall due in the same instant. Quiet-hours snoozes are spread over the following
/// `spread_seconds`, by a stable hash of the touch id, so the dispatcher and the providers see a
/// ramp rather than a stampede (caps hold either way: the gate decides every touch again).
pub fn spread(
    at: DateTime<Utc>,
    touch_id: &str,
    reason: Option<gate::Reason>,
    spread_seconds: u32,
    deadline: DateTime<Utc>,
) -> DateTime<Utc> {
    if reason != Some(gate::Reason::QuietHours) || spread_seconds == 0 {
        return at;
    }
    // FNV-1a: stable across processes and versions, unlike the std hasher.
    let hash = touch_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let offset_ms = hash % (u64::from(spread_seconds) * 1000);
    let spread = at
        .checked_add_signed(Duration::milliseconds(
            i64::try_from(offset_ms).unwrap_or(0),
        ))
        .unwrap_or(at);
    if spread < deadline { spread } else { at }
}

/// Exponential backoff for transient provider errors: 30 s, 60 s, 120 s … capped at 1 h.
pub fn backoff(attempt: i64) -> Duration {
    let exp = u32::try_from(attempt.clamp(0, 7)).unwrap_or(7);
    Duration::seconds((30_i64 << exp).min(3600))
}

/// `at + d`, saturating at the end of time.
fn after(at: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    at.checked_add_signed(d).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The outcome of a gate decision for a touch with `deadline`, at `now`.
fn gate_outcome(
    decision: &gate::Decision,
    touch: &TouchRow,
    now: DateTime<Utc>,
    spread_seconds: u32,
) -> Outcome {
    if now >= touch.deadline {
        return Outcome::expired();
    }
    if decision.allowed {
        return Outcome::sending();
    }
    match decision.retry_after {
        Some(at) if at < touch.deadline => Outcome::snoozed(
            SnoozeCause::Gate,
            spread(
                at,
                &touch.id,
                decision.reason,
                spread_seconds,
                touch.deadline,
            ),
            "",
        ),
        _ => match decision.reason {
            Some(reason) => Outcome::blocked(BlockCause::Gate, reason.into(), ""),
            // Not allowed always names a reason; should it not, a person must look.
            None => Outcome::needs_review(
                ReviewCause::PermitRefused,
                "the gate refused without a reason: nothing was sent",
            ),
        },
    }
}

impl Dispatcher {
    /// Decides (and sends) every touch due now, at most `limit`; returns the steps taken (in
    /// no particular order).
    ///
    /// On PostgreSQL up to [`DISPATCH_CONCURRENCY`] touches are in flight at once: one
    /// touch's provider call and audit commit overlap the next one's decision (measured ~1.5x
    /// on one node). SQLite serialises writers, and a writer that finds the lock taken sleeps
    /// in SQLite's busy handler (1, 2, 5, 10 … ms), so there touches go one at a time (measured:
    /// no gain, longer tails). The list is taken in random order, so two dispatchers working
    /// through the same due touches do not queue behind each other's claims one touch at a
    /// time. An error stops no touch already in flight (a dropped dispatch could leave one
    /// `sending`): the batch finishes, then the first error is returned.
    pub async fn run_due(&self, limit: i64) -> Result<Vec<Step>, DispatchError> {
        self.run_due_in(None, limit).await
    }

    /// [`Dispatcher::run_due`], for one workspace's touches when `workspace` is given.
    pub async fn run_due_in(
        &self,
        workspace: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Step>, DispatchError> {
        use futures::StreamExt;
        use rand::seq::SliceRandom;

        let now = self.clock.now();
        let mut due = self.store.due_touches(workspace, now, limit).await?;
        due.shuffle(&mut rand::rng());
        let results: Vec<Result<Step, DispatchError>> = futures::stream::iter(due)
            .map(|id| async move { self.dispatch_one(&id).await })
            .buffer_unordered(match self.store.kind() {
                crate::store::DbKind::Sqlite => 1,
                crate::store::DbKind::Postgres => DISPATCH_CONCURRENCY,
            })
            .collect()
            .await;
        results.into_iter().collect()
    }

    /// Runs until nothing is due at the current clock, or a batch claims nothing (another
    /// dispatcher has them); of one workspace when `workspace` is given
    /// (`POST /v1/dispatch/drain`). Returns how many touches it processed.
    pub async fn drain(&self, workspace: Option<&str>) -> Result<usize, DispatchError> {
        let mut total = 0;
        loop {
            let steps = self
                .run_due_in(workspace, self.config.dispatcher.batch_size)
                .await?;
            let progressed = steps.iter().filter(|s| **s != Step::NotClaimed).count();
            total += progressed;
            if steps.is_empty() || progressed == 0 {
                return Ok(total);
            }
        }
    }

    pub async fn dispatch_one(&self, touch_id: &str) -> Result<Step, DispatchError> {
        let now = self.clock.now();
        let Some(mut tx) = self
            .store
            .begin_dispatch(touch_id, &self.node_id, now)
            .await?
        else {
            self.metrics.claim_lost();
            return Ok(Step::NotClaimed);
        };
        let touch = tx.touch.clone();
        if let Some(due) = touch.next_attempt_at {
            self.metrics.pickup_latency(now - due);
        }
        let settings = self.config.workspace(&touch.workspace);
        let facts = tx.load_facts(now).await?;
        let registries = self.registries.snapshot();
        let cx = crate::decide::Context {
            settings: &settings,
            registries: &registries,
            sender: &gate::SenderAuth::NotRequired,
            waivers: gate::Waivers::NONE,
        };
        let started = Instant::now();
        let (mut decision, missing) = decide(&touch.request.to_facts(&touch.id), &facts, cx, now);
        self.metrics.gate_time(started.elapsed());

        let outcome = gate_outcome(
            &decision,
            &touch,
            now,
            self.config.dispatcher.spread_seconds,
        );
        let permit = if outcome.to == TouchStatus::Sending {
            decision.take_permit()
        } else {
            None
        };
        let recipient = permit.as_ref().map(|p| p.recipient().to_owned());
        tx.commit(
            now,
            &decision,
            &outcome,
            recipient.as_deref(),
            missing.as_deref(),
        )
        .await?;
        let label = match outcome.to {
            TouchStatus::Sending => "allowed",
            TouchStatus::Scheduled => "snoozed",
            TouchStatus::Expired => "expired",
            _ => "blocked",
        };
        self.metrics.decision(label, decision.reason, touch.channel);
        debug!(touch_id = %touch.id, allowed = decision.allowed, reason = ?decision.reason, next = ?outcome.to, "gate decision");

        if outcome.to != TouchStatus::Sending {
            return Ok(Step::Done(outcome));
        }
        let (Some(permit), Some(lead)) = (permit, facts.lead.as_ref()) else {
            // An allowed decision always carries its permit; should one ever not, the touch
            // must not sit in `sending` until the stale sweep finds it.
            let outcome = Outcome::needs_review(
                ReviewCause::PermitRefused,
                "allowed without a permit: nothing was sent",
            );
            return self.finish(&touch, now, outcome).await;
        };
        let senders = facts.account.as_ref().map(|a| &a.body.senders);
        self.send(&touch, &lead.facts, senders, permit).await
    }

    /// Applies the outcome of a send and counts it.
    async fn finish(
        &self,
        touch: &TouchRow,
        now: DateTime<Utc>,
        outcome: Outcome,
    ) -> Result<Step, DispatchError> {
        self.store.apply(&touch.id, now, &outcome).await?;
        self.metrics.event(outcome.event);
        Ok(Step::Done(outcome))
    }

    /// The last-moment check a transport runs after its pacing wait, right before the
    /// provider call: an opt-out committed while this touch waited still stops it.
    fn last_check(
        &self,
        touch: &TouchRow,
        lead: &gate::Lead,
        channel: gate::Channel,
    ) -> workers::LastCheck {
        let store = self.store.clone();
        let clock = self.clock.clone();
        let ws = touch.workspace.clone();
        let lead = lead.clone();
        let contacts: Vec<String> = lead.contact_keys().map(str::to_owned).collect();
        let purpose = touch.purpose;
        workers::LastCheck::new(move || {
            let (store, clock, ws, lead, contacts) = (
                store.clone(),
                clock.clone(),
                ws.clone(),
                lead.clone(),
                contacts.clone(),
            );
            async move {
                match store.dnc_for(&ws, &lead.id, &contacts).await {
                    Ok(dnc) => match gate::dnc_blocks(&dnc, &lead, channel, purpose, clock.now()) {
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
                    },
                    Err(e) => LastCheckVerdict::Unavailable {
                        detail: format!("could not re-read the DNC list ({e})"),
                    },
                }
            }
        })
    }

    async fn send(
        &self,
        touch: &TouchRow,
        lead: &gate::Lead,
        senders: Option<&std::collections::BTreeMap<gate::Channel, String>>,
        permit: gate::Permit,
    ) -> Result<Step, DispatchError> {
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
            last_check: Some(self.last_check(touch, lead, channel)),
        };
        let started = Instant::now();
        let result = self.transports.send(permit, &msg, now).await;
        self.metrics.provider_time(channel, started.elapsed());
        let now = self.clock.now();
        let outcome = match result {
            Ok(receipt) => {
                let applied = self
                    .store
                    .mark_sent(
                        &touch.id,
                        now,
                        &receipt.provider_message_id,
                        receipt.recorded.as_ref(),
                    )
                    .await?;
                let outcome = Outcome::sent(&receipt.provider_message_id, receipt.recorded);
                if applied.changed() {
                    self.metrics.event(outcome.event);
                }
                return Ok(Step::Done(outcome));
            }
            Err(e) => self.outcome_of(touch, &msg.to, e, now).await?,
        };
        self.finish(touch, now, outcome).await
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
