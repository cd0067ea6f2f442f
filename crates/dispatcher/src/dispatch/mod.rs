//! The dispatch step: load facts → gate → record the decision → act.
//!
//! For one due touch, one transaction claims it, locks its sender's caps, loads the facts,
//! asks the gate, and commits the decision row, the state change and (when allowed) the cap
//! reservation together. Then, outside the transaction, the DNC check is repeated right before
//! the provider call, and the worker sends with the gate's permit. Every way a send can end is
//! one [`Outcome`], applied by the store.

mod overrides;
mod send;

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use tracing::debug;

use crate::clock::Clock;
use crate::config::Config;
use crate::decide::decide;
use crate::metrics::Metrics;
use crate::store::{
    Commit, DispatchBatch, LastCheckFacts, LastCheckKey, NewAlert, Store, StoreError, TouchFacts,
    TouchRow,
};

use crate::touch::{BlockCause, Outcome, ReviewCause, SnoozeCause, TouchReason, TouchStatus};
use crate::unsubscribe::Signer;
pub use overrides::{Overridden, Waived};
use send::Called;
use workers::registry::Transports;
use workers::{LastCheckVerdict, OutboundMessage, SendError};

/// Dispatch transactions one dispatcher runs side by side (PostgreSQL; SQLite: one).
pub const DISPATCH_CONCURRENCY: usize = 4;
/// Touches decided per dispatch transaction: fewer, larger transactions (one commit, one set
/// of cap locks for many touches) while a transaction stays short enough not to hold the
/// SQLite writer or a sender's cap lock for long.
pub const DISPATCH_BATCH: usize = 256;
/// Provider calls of one batch in flight at once.
pub const SEND_CONCURRENCY: usize = 16;

/// An allowed decision always carries its permit; should one ever not, the touch must not sit
/// in `sending` until the stale sweep finds it.
fn no_permit() -> Outcome {
    Outcome::needs_review(
        ReviewCause::PermitRefused,
        "allowed without a permit: nothing was sent",
    )
}

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
    /// Sender authentication for email (`[deliverability] require_dmarc`); `None`: off.
    pub dmarc: Option<crate::dmarc::Dmarc>,
    /// The dispatch work running in this process (the queue worker's batches and the API's).
    pub in_flight: InFlight,
}

/// Dispatch work running in this process. Each batch holds a share from before its claim until
/// its touches are sent and recorded; [`InFlight::settle`] waits until no share is held. So a
/// drain that found nothing to claim because the queue worker had just claimed it waits for
/// that worker's sends to finish instead of answering while they are still `sending`.
#[derive(Debug, Clone, Default)]
pub struct InFlight(Arc<tokio::sync::RwLock<()>>);

impl InFlight {
    /// A share held while one batch is claimed, decided, sent and recorded.
    async fn enter(&self) -> tokio::sync::OwnedRwLockReadGuard<()> {
        Arc::clone(&self.0).read_owned().await
    }

    /// Returns once every batch that had entered has finished (new batches wait meanwhile).
    pub async fn settle(&self) {
        drop(self.0.write().await);
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
    let spread = at
        .checked_add_signed(Duration::milliseconds(
            i64::try_from(offset_ms).unwrap_or(0),
        ))
        .unwrap_or(at);
    if spread < deadline { spread } else { at }
}

/// The detail of a failed litigation check: a hold was hit (an alert is raised).
pub fn litigation_hold(decision: &gate::Decision) -> Option<&str> {
    decision
        .check(gate::Check::LitigationHold)
        .filter(|c| !c.passed)
        .map(|c| c.detail.as_deref().unwrap_or("litigation hold"))
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

/// A claimed touch the gate has decided, not yet recorded.
struct Decided {
    touch: TouchRow,
    facts: TouchFacts,
    decision: gate::Decision,
    /// The touch's next state; `None`: an override that released nothing keeps its state.
    outcome: Option<Outcome>,
    /// The gate's permit, when the touch goes to `sending`.
    permit: Option<gate::Permit>,
    /// Why facts were missing, for the timeline.
    missing: Option<String>,
}

/// Where a decision is written: its own transaction (committed there), or a batch's.
enum Record<'b> {
    Commit(Box<crate::store::Dispatch>),
    Into(&'b mut DispatchBatch),
}

impl Dispatcher {
    /// Decides (and sends) every touch due now, at most `limit`; returns the steps taken (in
    /// no particular order).
    ///
    /// Touches are decided [`DISPATCH_BATCH`] per transaction ([`Dispatcher::dispatch_batch`]).
    /// On PostgreSQL up to [`DISPATCH_CONCURRENCY`] batches are in flight at once (their
    /// claims skip each other's rows); SQLite serialises writers, so there one batch runs at a
    /// time. An error stops no touch already in flight: the batches finish, then the first
    /// error is returned.
    pub async fn run_due(&self, limit: i64) -> Result<Vec<Step>, DispatchError> {
        self.run_due_in(None, limit).await
    }

    /// [`Dispatcher::run_due`], for one workspace's touches when `workspace` is given.
    pub async fn run_due_in(
        &self,
        workspace: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Step>, DispatchError> {
        let limit = usize::try_from(limit.max(1)).unwrap_or(1);
        let lanes = match self.store.kind() {
            crate::store::DbKind::Sqlite => 1,
            crate::store::DbKind::Postgres => DISPATCH_CONCURRENCY,
        };
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        // Claims reserved so far: a lane reserves its batch before claiming, so the lanes
        // together never take more than `limit`.
        let reserved = AtomicUsize::new(0);
        let reserved = &reserved;
        let lane = |index: usize| async move {
            // Its own senders first (no two lanes wait on one sender's cap lock); once they
            // have nothing due, any sender's (so a lane never idles while others' are due, and
            // the lanes together still claim up to `limit`).
            let mut own_senders = (lanes > 1).then_some(crate::store::Lane { index, of: lanes });
            let mut steps = Vec::new();
            loop {
                let Ok(before) = reserved.fetch_update(SeqCst, SeqCst, |r| {
                    (r < limit).then(|| r + (limit - r).min(DISPATCH_BATCH))
                }) else {
                    return Ok(steps);
                };
                let want = (limit - before).min(DISPATCH_BATCH);
                let batch = self.dispatch_batch_in(workspace, want, own_senders).await?;
                reserved.fetch_sub(want.saturating_sub(batch.len()), SeqCst);
                if batch.is_empty() {
                    if own_senders.take().is_some() {
                        continue;
                    }
                    return Ok(steps);
                }
                steps.extend(batch);
            }
        };
        let results: Vec<Result<Vec<Step>, DispatchError>> =
            futures::future::join_all((0..lanes).map(lane)).await;
        let mut steps = Vec::new();
        for r in results {
            steps.extend(r?);
        }
        Ok(steps)
    }

    /// Runs until nothing is due at the current clock, or a batch claims nothing (another
    /// dispatcher has them); of one workspace when `workspace` is given
    /// (`POST /v1/dispatch/drain`). Returns how many touches it processed.
    /// Then it waits for the batches this process had in flight (the queue worker may have
    /// claimed a touch just before), and drains once more what they left due.
    pub async fn drain(&self, workspace: Option<&str>) -> Result<usize, DispatchError> {
        let mut total = self.drain_claimable(workspace).await?;
        self.in_flight.settle().await;
        total += self.drain_claimable(workspace).await?;
        Ok(total)
    }

    /// [`Dispatcher::drain`] without waiting for other batches of this process.
    async fn drain_claimable(&self, workspace: Option<&str>) -> Result<usize, DispatchError> {
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

    /// One dispatch transaction: claims up to `want` due touches, loads their facts together,
    /// decides them one after the other (each seeing the reservations of those before it),
    /// commits every decision together, then sends the allowed ones side by side (their last
    /// checks read in groups, [`send::LastChecks`]) and records their answers together.
    /// Empty when nothing was due.
    pub async fn dispatch_batch(
        &self,
        workspace: Option<&str>,
        want: usize,
    ) -> Result<Vec<Step>, DispatchError> {
        self.dispatch_batch_in(workspace, want, None).await
    }

    /// [`Dispatcher::dispatch_batch`] of one lane's senders only (`None`: any sender).
    async fn dispatch_batch_in(
        &self,
        workspace: Option<&str>,
        want: usize,
        lane: Option<crate::store::Lane>,
    ) -> Result<Vec<Step>, DispatchError> {
        let _in_flight = self.in_flight.enter().await;
        let now = self.clock.now();
        let Some(mut batch) = self
            .store
            .begin_batch(workspace, &self.node_id, now, want, lane)
            .await?
        else {
            return Ok(Vec::new());
        };
        // The facts of every touch at once; each reservation recorded below joins them, so
        // the touches after it count it.
        batch.load_batch_facts(now).await?;
        let touches = std::mem::take(&mut batch.touches);
        let mut decided = Vec::with_capacity(touches.len());
        for touch in touches {
            if let Some(due) = touch.next_attempt_at {
                self.metrics.pickup_latency(now - due);
            }
            let facts = batch.facts(&touch, now).await?;
            let d = self.decide_claimed(touch, facts, now, None).await;
            self.record(Record::Into(&mut batch), &d, None, now).await?;
            decided.push(d);
        }
        batch.commit().await?;
        self.act_all(decided, now).await
    }

    pub async fn dispatch_one(&self, touch_id: &str) -> Result<Step, DispatchError> {
        let _in_flight = self.in_flight.enter().await;
        let now = self.clock.now();
        let Some(tx) = self
            .store
            .begin_dispatch(touch_id, &self.node_id, now)
            .await?
        else {
            self.metrics.claim_lost();
            return Ok(Step::NotClaimed);
        };
        if let Some(due) = tx.touch.next_attempt_at {
            self.metrics.pickup_latency(now - due);
        }
        Ok(self.decide_and_act(tx, now, None).await?.1)
    }

    /// Decides a claimed touch (with an operator's waivers, when `waived` is given), commits
    /// the decision and its outcome, and sends when allowed. An override that does not release
    /// the touch leaves it as it was (its decision is recorded).
    pub(super) async fn decide_and_act(
        &self,
        mut tx: crate::store::Dispatch,
        now: DateTime<Utc>,
        waived: Option<&Waived>,
    ) -> Result<(gate::Decision, Step), DispatchError> {
        let touch = tx.touch.clone();
        let facts = tx.load_facts(now).await?;
        // Boxed: a decision with its facts is large, and so would be every future holding one.
        let d = Box::new(Box::pin(self.decide_claimed(touch, facts, now, waived)).await);
        Box::pin(self.record(Record::Commit(Box::new(tx)), &d, waived, now)).await?;
        Box::pin(self.act(*d, now)).await
    }

    /// The gate's decision about a claimed touch from its facts, and what follows from it.
    async fn decide_claimed(
        &self,
        touch: TouchRow,
        facts: TouchFacts,
        now: DateTime<Utc>,
        waived: Option<&Waived>,
    ) -> Decided {
        let settings = self.config.workspace(&touch.workspace);
        let registries = self.registries.snapshot();
        let sender = self
            .sender_auth(touch.channel, facts.account.as_ref())
            .await;
        let cx = crate::decide::Context {
            settings: &settings,
            registries: &registries,
            sender: &sender,
            waivers: waived.map_or(gate::Waivers::NONE, |w| w.waivers),
        };
        let started = Instant::now();
        let (mut decision, missing) = decide(&touch.request.to_facts(&touch.id), &facts, cx, now);
        self.metrics.gate_time(started.elapsed());
        let outcome = match waived {
            None => Some(gate_outcome(
                &decision,
                &touch,
                now,
                self.config.dispatcher.spread_seconds,
            )),
            Some(_) if decision.allowed && now < touch.deadline => {
                Some(Outcome::sending_by_override())
            }
            // The waiver applies to this one decision: a touch it does not release keeps
            // its state.
            Some(_) => None,
        };
        let sending = outcome
            .as_ref()
            .is_some_and(|o| o.to == TouchStatus::Sending);
        let permit = if sending {
            decision.take_permit()
        } else {
            None
        };
        Decided {
            touch,
            facts,
            decision,
            outcome,
            permit,
            missing,
        }
    }

    /// Writes a decision: the decision row, the state change, the reservation the permit
    /// names (kept when the lead changes later), an alert for a litigation hold, the override.
    async fn record(
        &self,
        to: Record<'_>,
        d: &Decided,
        waived: Option<&Waived>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let recipient = d.permit.as_ref().map(|p| p.recipient().to_owned());
        let contact = d
            .facts
            .lead
            .as_ref()
            .and_then(|l| l.facts.contact_for(d.touch.channel));
        let alert = litigation_hold(&d.decision).map(|detail| NewAlert {
            workspace: &d.touch.workspace,
            kind: "litigation_hold",
            contact,
            touch_id: Some(&d.touch.id),
            detail,
        });
        let c = Commit {
            decision: &d.decision,
            outcome: d.outcome.as_ref(),
            recipient: recipient.as_deref(),
            detail: d.missing.as_deref(),
            alert: alert.as_ref(),
            override_: waived.map(|w| &w.record),
        };
        match to {
            Record::Commit(tx) => (*tx).commit(now, &c).await,
            Record::Into(batch) => batch.record(&d.touch, now, &c).await,
        }
    }

    /// Counts a recorded decision and logs it.
    fn observe(&self, d: &Decided) {
        let label = match d.outcome.as_ref().map(|o| o.to) {
            Some(TouchStatus::Sending) => "allowed",
            Some(TouchStatus::Scheduled) => "snoozed",
            Some(TouchStatus::Expired) => "expired",
            Some(_) => "blocked",
            None => "kept",
        };
        self.metrics
            .decision(label, d.decision.reason, d.touch.channel);
        debug!(touch_id = %d.touch.id, allowed = d.decision.allowed, reason = ?d.decision.reason, next = ?d.outcome.as_ref().map(|o| o.to), "gate decision");
    }

    /// After a recorded decision: sends when it allowed the touch.
    async fn act(
        &self,
        d: Decided,
        now: DateTime<Utc>,
    ) -> Result<(gate::Decision, Step), DispatchError> {
        self.observe(&d);
        let Decided {
            touch,
            facts,
            decision,
            outcome,
            permit,
            ..
        } = d;
        let Some(outcome) = outcome else {
            return Ok((decision, Step::NotClaimed));
        };
        if outcome.to != TouchStatus::Sending {
            return Ok((decision, Step::Done(outcome)));
        }
        let (Some(permit), Some(lead)) = (permit, facts.lead.as_ref()) else {
            return Ok((decision, self.finish(&touch, now, no_permit()).await?));
        };
        let senders = facts.account.as_ref().map(|a| &a.body.senders);
        let step = self.send(&touch, &lead.facts, senders, permit).await?;
        Ok((decision, step))
    }

    /// After a batch's decisions are committed: the allowed touches' provider calls run side
    /// by side ([`SEND_CONCURRENCY`]), and their acceptances are recorded in one transaction.
    async fn act_all(
        &self,
        decided: Vec<Decided>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Step>, DispatchError> {
        use futures::StreamExt;
        let mut steps = Vec::with_capacity(decided.len());
        let mut sending = Vec::new();
        for d in decided {
            self.observe(&d);
            match d.outcome.clone() {
                None => steps.push(Ok(Step::NotClaimed)),
                Some(o) if o.to != TouchStatus::Sending => steps.push(Ok(Step::Done(o))),
                Some(_) => sending.push(d),
            }
        }
        let checks = send::LastChecks::new(self.store.clone(), self.node_id.clone());
        let calls: Vec<(Decided, Option<Called>)> = futures::stream::iter(sending)
            .map(|mut d| {
                let checks = &checks;
                async move {
                    let called = match (d.permit.take(), d.facts.lead.as_ref()) {
                        (Some(permit), Some(lead)) => {
                            let senders = d.facts.account.as_ref().map(|a| &a.body.senders);
                            Some(
                                self.call_provider(&d.touch, &lead.facts, senders, permit, checks)
                                    .await,
                            )
                        }
                        _ => None,
                    };
                    (d, called)
                }
            })
            .buffer_unordered(SEND_CONCURRENCY)
            .collect()
            .await;
        let mut accepted = Vec::new();
        for (d, called) in calls {
            match called {
                None => steps.push(self.finish(&d.touch, now, no_permit()).await),
                Some(Called {
                    result: Ok(receipt),
                    ..
                }) => accepted.push((d.touch, receipt)),
                Some(c) => steps.push(self.settle(&d.touch, c).await),
            }
        }
        steps.extend(self.settle_accepted(accepted).await?.into_iter().map(Ok));
        steps.into_iter().collect()
    }
    /// The sender-authentication verdict for a touch on `channel` from `account`: only email
    /// is checked, and only with `[deliverability] require_dmarc`.
    pub async fn sender_auth(
        &self,
        channel: gate::Channel,
        account: Option<&crate::domain::StoredAccount>,
    ) -> gate::SenderAuth {
        let Some(dmarc) = self
            .dmarc
            .as_ref()
            .filter(|_| channel == gate::Channel::Email)
        else {
            return gate::SenderAuth::NotRequired;
        };
        let sender = account
            .and_then(|a| a.body.senders.get(&gate::Channel::Email).cloned())
            .or_else(|| self.transports.email_from());
        match sender.as_deref().and_then(crate::dmarc::sender_domain) {
            Some(domain) => dmarc.verdict(&domain).await,
            None => gate::SenderAuth::Unauthenticated {
                detail: "no From address to authenticate (no account sender, no transport from)"
                    .to_owned(),
            },
        }
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
}

#[cfg(test)]
mod in_flight_tests {
    use super::InFlight;
    use futures::FutureExt;

    #[tokio::test]
    async fn settling_waits_for_every_batch_in_flight_and_only_for_those() {
        let in_flight = InFlight::default();
        // Nothing in flight: settles at once.
        assert!(in_flight.settle().now_or_never().is_some());
        let first = in_flight.enter().await;
        let second = in_flight.enter().await;
        let mut settle = Box::pin(in_flight.settle());
        assert!(
            (&mut settle).now_or_never().is_none(),
            "two batches in flight"
        );
        drop(first);
        assert!(
            (&mut settle).now_or_never().is_none(),
            "one batch in flight"
        );
        drop(second);
        assert!(settle.now_or_never().is_some(), "all batches finished");
        // And a new batch can enter afterwards.
        assert!(in_flight.enter().now_or_never().is_some());
    }
}
