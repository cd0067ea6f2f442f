//! The dispatch step: load facts → gate → record the decision → act.
//!
//! For one due touch, one transaction claims it, locks its sender's caps, loads the facts,
//! asks the gate, and commits the decision row, the state change and (when allowed) the cap
//! reservation together. Then, outside the transaction, the DNC check is repeated right before
//! the provider call, and the worker sends with the gate's permit.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};
use tracing::{info, warn};

use crate::clock::Clock;
use crate::config::Config;
use crate::store::{NextState, Store, StoreError, TouchRow, TouchStatus};
use crate::unsubscribe::Signer;
use workers::registry::Transports;
use workers::{OutboundMessage, SendError};

/// Touches one dispatcher decides and sends concurrently within a batch (PostgreSQL).
pub const DISPATCH_CONCURRENCY: usize = 4;

/// Counters for queue movement (exported on `/metrics`).
#[derive(Debug, Default)]
pub struct Metrics {
    pub decided: AtomicU64,
    pub allowed: AtomicU64,
    pub snoozed: AtomicU64,
    pub blocked: AtomicU64,
    pub expired: AtomicU64,
    pub sent: AtomicU64,
    pub failed: AtomicU64,
    pub retried: AtomicU64,
    pub needs_review: AtomicU64,
    pub dnc_rechecks_blocked: AtomicU64,
    pub claim_lost: AtomicU64,
}

impl Metrics {
    fn inc(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("storage failed")]
    Store(#[from] StoreError),
}

/// What happened to one touch in one dispatch step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Another dispatcher had it, or it was no longer due.
    NotClaimed,
    Snoozed(DateTime<Utc>),
    Blocked,
    Expired,
    Sent,
    Failed,
    Retrying(DateTime<Utc>),
    NeedsReview,
}

#[derive(Debug, Clone)]
pub struct Dispatcher {
    pub store: Store,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub transports: Arc<Transports>,
    pub metrics: Arc<Metrics>,
    /// Identifies this process's claims (crash recovery on PostgreSQL is per node).
    pub node_id: String,
    /// Signs the one-click unsubscribe link of every email.
    pub unsubscribe: Signer,
}

impl Dispatcher {
    /// Ends a touch the provider refused, with the reason the operator will see.
    async fn end(
        &self,
        touch: &TouchRow,
        now: DateTime<Utc>,
        status: TouchStatus,
        reason: &str,
        detail: &str,
        count_attempt: bool,
    ) -> Result<Step, DispatchError> {
        self.store
            .finish_unsent(
                &touch.id,
                now,
                status,
                None,
                Some(reason),
                "provider",
                detail,
                count_attempt,
                true,
            )
            .await?;
        if status == TouchStatus::Failed {
            Metrics::inc(&self.metrics.failed);
            Ok(Step::Failed)
        } else {
            Metrics::inc(&self.metrics.blocked);
            Ok(Step::Blocked)
        }
    }

    /// Provider feedback flows into the one central DNC, so no other channel or sender repeats
    /// the mistake.
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
    let spread = at + Duration::milliseconds(i64::try_from(offset_ms).unwrap_or(0));
    if spread < deadline { spread } else { at }
}

/// Prefixes of a last-check stop (our own protocol between the closure and `send`).
const STOP_DNC: &str = "dnc_listed: ";
const STOP_LITIGATION_HOLD: &str = "litigation_hold: ";
const STOP_RECHECK_FAILED: &str = "recheck_failed: ";

/// Exponential backoff for transient provider errors: 30 s, 60 s, 120 s … capped at 1 h.
pub fn backoff(attempt: i64) -> Duration {
    let exp = u32::try_from(attempt.clamp(0, 7)).unwrap_or(7);
    Duration::seconds((30_i64 << exp).min(3600))
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
            Metrics::inc(&self.metrics.claim_lost);
            return Ok(Step::NotClaimed);
        };
        let touch = tx.touch.clone();
        let ws = self.config.workspace(&touch.workspace);
        let facts = tx.load_facts(now).await?;

        // Facts that are missing make a permanent, explained block rather than an error.
        let account = facts
            .account
            .as_ref()
            .and_then(|a| a.to_facts(&touch.account_id).ok())
            .unwrap_or_else(|| gate::Account {
                id: touch.account_id.clone(),
                status: gate::AccountStatus::Suspended,
                ..gate::Account::default()
            });
        let lead = facts
            .lead
            .as_ref()
            .and_then(|l| {
                l.to_facts(&touch.lead_id, facts.last_inbound_whatsapp_at)
                    .ok()
            })
            .unwrap_or_else(|| gate::Lead {
                id: touch.lead_id.clone(),
                ..gate::Lead::default()
            });
        let gate_touch = touch.request.to_facts(&touch.id);
        let mut decision = gate::evaluate_send(
            &gate_touch,
            &gate::Facts {
                policy: &ws.policy,
                account: &account,
                lead: &lead,
                dnc: &facts.dnc,
                recent_sends: &facts.sends,
            },
            now,
        );
        Metrics::inc(&self.metrics.decided);
        let missing = match (&facts.account, &facts.lead) {
            (None, _) => Some(format!("account {} does not exist", touch.account_id)),
            (_, None) => Some(format!("lead {} does not exist", touch.lead_id)),
            _ => None,
        };

        let next = if now >= touch.deadline {
            NextState::Expired
        } else if decision.allowed {
            NextState::Sending
        } else {
            match decision.retry_after {
                Some(at) if at < touch.deadline => NextState::Scheduled {
                    at: spread(
                        at,
                        &touch.id,
                        decision.reason,
                        self.config.dispatcher.spread_seconds,
                        touch.deadline,
                    ),
                },
                _ => NextState::Blocked,
            }
        };
        let permit = if next == NextState::Sending {
            decision.take_permit()
        } else {
            None
        };
        tx.commit(now, &decision, &next, missing.as_deref()).await?;
        info!(touch_id = %touch.id, allowed = decision.allowed, reason = ?decision.reason, next = ?next, "gate decision");

        match next {
            NextState::Scheduled { at } => {
                Metrics::inc(&self.metrics.snoozed);
                Ok(Step::Snoozed(at))
            }
            NextState::Blocked => {
                Metrics::inc(&self.metrics.blocked);
                Ok(Step::Blocked)
            }
            NextState::Expired => {
                Metrics::inc(&self.metrics.expired);
                Ok(Step::Expired)
            }
            NextState::Sending => {
                Metrics::inc(&self.metrics.allowed);
                match permit {
                    Some(p) => self.send(&touch, &lead, facts.account.as_ref(), p).await,
                    // An allowed decision always carries its permit; should one ever not, the
                    // touch must not sit in `sending` until the stale sweep finds it.
                    None => {
                        self.store
                            .finish_unsent(
                                &touch.id,
                                now,
                                TouchStatus::NeedsReview,
                                None,
                                None,
                                "provider",
                                "allowed without a permit: nothing was sent",
                                false,
                                true,
                            )
                            .await?;
                        Metrics::inc(&self.metrics.needs_review);
                        Ok(Step::NeedsReview)
                    }
                }
            }
        }
    }

    async fn send(
        &self,
        touch: &TouchRow,
        lead: &gate::Lead,
        account_doc: Option<&crate::domain::AccountBody>,
        permit: gate::Permit,
    ) -> Result<Step, DispatchError> {
        // Last-moment DNC check, run by the transport after any pacing wait and right before
        // the provider call: an opt-out committed while this touch waited still stops it.
        let now = self.clock.now();
        let last_check = {
            let store = self.store.clone();
            let clock = self.clock.clone();
            let ws = touch.workspace.clone();
            let lead = lead.clone();
            let contacts: Vec<String> = lead.contact_keys().map(str::to_owned).collect();
            let channel = permit.channel();
            let purpose = touch.request.purpose.unwrap_or_default();
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
                        Ok(dnc) => gate::dnc_blocks(&dnc, &lead, channel, purpose, clock.now())
                            .map(|e| {
                                let reason = if e.reason == gate::DncReason::LitigationHold {
                                    STOP_LITIGATION_HOLD
                                } else {
                                    STOP_DNC
                                };
                                format!(
                                    "{reason}DNC entry {} ({}) was added while the touch waited",
                                    e.id,
                                    e.reason.as_str()
                                )
                            }),
                        Err(e) => Some(format!(
                            "{STOP_RECHECK_FAILED}could not re-read the DNC list ({e})"
                        )),
                    }
                }
            })
        };

        let content = touch.request.content.clone().unwrap_or_default();
        let msg = OutboundMessage {
            touch_id: touch.id.clone(),
            channel: permit.channel(),
            to: permit.recipient().to_owned(),
            from: account_doc.and_then(|a| a.senders.get(&permit.channel()).cloned()),
            subject: content.subject,
            body: content.body,
            template: touch.request.template.clone(),
            linkedin_action: touch.request.action,
            unsubscribe_url: (permit.channel() == gate::Channel::Email).then(|| {
                self.unsubscribe
                    .url(&self.config.public_base_url(), &touch.id)
            }),
            last_check: Some(last_check),
        };
        let result = self.transports.send(permit, &msg, now).await;
        let now = self.clock.now();
        match result {
            Ok(receipt) => {
                self.store
                    .mark_sent(
                        &touch.id,
                        now,
                        &receipt.provider_message_id,
                        receipt.recorded.as_ref(),
                    )
                    .await?;
                Metrics::inc(&self.metrics.sent);
                Ok(Step::Sent)
            }
            Err(SendError::Throttled { retry_at }) => {
                let at = retry_at.unwrap_or(now + backoff(0)).max(now);
                self.store
                    .finish_unsent(
                        &touch.id,
                        now,
                        TouchStatus::Scheduled,
                        Some(at),
                        None,
                        "provider",
                        "provider throttled; snoozed without using an attempt",
                        false,
                        true,
                    )
                    .await?;
                Metrics::inc(&self.metrics.snoozed);
                Ok(Step::Snoozed(at))
            }
            Err(SendError::Transient { detail }) => {
                let attempts = touch.attempts + 1;
                if attempts >= self.config.dispatcher.max_attempts {
                    self.store
                        .finish_unsent(
                            &touch.id,
                            now,
                            TouchStatus::Failed,
                            None,
                            None,
                            "provider",
                            &format!("{detail}; attempts used up ({attempts})"),
                            true,
                            true,
                        )
                        .await?;
                    Metrics::inc(&self.metrics.failed);
                    Ok(Step::Failed)
                } else {
                    let at = now + backoff(attempts - 1);
                    self.store
                        .finish_unsent(
                            &touch.id,
                            now,
                            TouchStatus::Scheduled,
                            Some(at),
                            None,
                            "provider",
                            &format!("{detail}; retry {attempts} with backoff"),
                            true,
                            true,
                        )
                        .await?;
                    Metrics::inc(&self.metrics.retried);
                    Ok(Step::Retrying(at))
                }
            }
            Err(SendError::Rejected { code, detail }) => {
                self.store
                    .finish_unsent(
                        &touch.id,
                        now,
                        TouchStatus::Failed,
                        None,
                        code.as_deref(),
                        "provider",
                        &detail,
                        true,
                        true,
                    )
                    .await?;
                Metrics::inc(&self.metrics.failed);
                Ok(Step::Failed)
            }
            // The provider refused for a reason the contract names: provider feedback flows
            // into the central DNC where it implies one, and the touch ends with that reason.
            Err(
                e @ (SendError::Unsubscribed { .. }
                | SendError::StopMarketing { .. }
                | SendError::InvalidRecipient { .. }
                | SendError::WindowClosed { .. }
                | SendError::TemplateUnapproved { .. }),
            ) => {
                let detail = e.to_string();
                if let Some(scope) = e.dnc_scope() {
                    self.provider_dnc(touch, &msg.to, scope, &detail, now)
                        .await?;
                }
                let failed = matches!(e, SendError::InvalidRecipient { .. });
                let (status, reason) = if failed {
                    (TouchStatus::Failed, "invalid_recipient")
                } else {
                    (
                        TouchStatus::Blocked,
                        e.reason_code().unwrap_or("dnc_listed"),
                    )
                };
                self.end(touch, now, status, reason, &detail, failed).await
            }
            Err(SendError::Stopped { detail }) => {
                // Nothing left: give the cap slot back either way.
                if let Some(why) = detail.strip_prefix(STOP_RECHECK_FAILED) {
                    let at = now + backoff(0);
                    self.store
                        .finish_unsent(
                            &touch.id,
                            now,
                            TouchStatus::Scheduled,
                            Some(at),
                            None,
                            "dnc_recheck",
                            why,
                            false,
                            true,
                        )
                        .await?;
                    Metrics::inc(&self.metrics.snoozed);
                    return Ok(Step::Snoozed(at));
                }
                let (reason, why) = match detail.strip_prefix(STOP_LITIGATION_HOLD) {
                    Some(why) => ("litigation_hold", why),
                    None => (
                        "dnc_listed",
                        detail.strip_prefix(STOP_DNC).unwrap_or(&detail),
                    ),
                };
                Metrics::inc(&self.metrics.dnc_rechecks_blocked);
                self.store
                    .finish_unsent(
                        &touch.id,
                        now,
                        TouchStatus::Blocked,
                        None,
                        Some(reason),
                        "dnc_recheck",
                        why,
                        false,
                        true,
                    )
                    .await?;
                Ok(Step::Blocked)
            }
            Err(SendError::Permit(e)) => {
                warn!(touch_id = %touch.id, error = %e, "permit refused by worker");
                self.store
                    .finish_unsent(
                        &touch.id,
                        now,
                        TouchStatus::NeedsReview,
                        None,
                        None,
                        "provider",
                        &format!("permit refused: {e}"),
                        false,
                        true,
                    )
                    .await?;
                Metrics::inc(&self.metrics.needs_review);
                Ok(Step::NeedsReview)
            }
            Err(SendError::Unknown { detail }) => {
                self.store
                    .finish_unsent(
                        &touch.id,
                        now,
                        TouchStatus::NeedsReview,
                        None,
                        None,
                        "provider",
                        &detail,
                        true,
                        false,
                    )
                    .await?;
                Metrics::inc(&self.metrics.needs_review);
                Ok(Step::NeedsReview)
            }
        }
    }
}
