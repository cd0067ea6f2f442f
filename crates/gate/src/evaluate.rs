//! `evaluate_send`: every check, in the contract's order, each reported; the first failing
//! check is the reason; `retry_after` is the earliest instant at which every time-based check
//! passes together, or `None` when time alone won't lift the block.
//!
//! The checks live in three files: who may be contacted at all (`identity`: account, sender,
//! recipient, litigation holds, DNC rows and registries, consent), what may be sent
//! (`content`: DLT, templates, WhatsApp), and when (`timing`: blackouts and windows; `caps`:
//! per-account and per-recipient caps).
//!
//! Two checks are "snoozes" rather than time-lifted blocks: `registry_stale` (passes_at one
//! hour on, so that the dispatcher re-decides hourly until a fresh import lifts it) and a failed
//! sender-authentication lookup (five minutes on). Their `passes_at` joins the retry search,
//! but waiting alone does not guarantee they pass then.

mod caps;
mod content;
mod identity;
mod timing;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;

use crate::constraints::{TimeConstraint, earliest_all_pass};
use crate::contact::Phone;
use crate::decision::{Check, CheckOutcome, Decision};
use crate::facts::{Facts, Purpose, Touch};
use crate::permit::Permit;
use crate::quiet_hours::Schedule;
use crate::rule_packs::{self, Rule};
use crate::timezone::{RecipientPlace, resolve_place};
use crate::waiver::Waivers;

/// WhatsApp's customer-service window: free-form text within 24 h of the last inbound message.
pub const WHATSAPP_WINDOW: Duration = Duration::hours(24);

/// How long a `registry_stale` block snoozes a touch before it is decided again.
pub const REGISTRY_STALE_SNOOZE: Duration = Duration::hours(1);

/// How long a failed sender-authentication lookup (DNS) snoozes an email touch.
pub const SENDER_LOOKUP_SNOOZE: Duration = Duration::minutes(5);

/// Decides whether `touch` may be sent at `now`, from `facts` alone.
pub fn evaluate_send(touch: &Touch, facts: &Facts<'_>, now: DateTime<Utc>) -> Decision {
    evaluate_send_waiving(touch, facts, now, Waivers::NONE)
}

/// [`evaluate_send`] with business checks waived by an operator (see [`Waivers`]): a waived
/// check is reported as passed with `waived: true` and the detail of what it found, and its
/// time constraints leave the retry search. Legal checks cannot be in a [`Waivers`].
pub fn evaluate_send_waiving(
    touch: &Touch,
    facts: &Facts<'_>,
    now: DateTime<Utc>,
    waivers: Waivers,
) -> Decision {
    let lead = facts.lead;
    let phone = lead.phone_for(touch.channel);
    let place = resolve_place(lead, touch.channel, facts.policy.default_timezone);
    let walls = Walls::of(&place.zones, now);
    let mut eval = Evaluation {
        touch,
        facts,
        now,
        waivers,
        // Every check starts as passed, in reporting order; a failing one replaces its slot.
        checks: Check::ALL.iter().map(|c| CheckOutcome::pass(*c)).collect(),
        time: Vec::with_capacity(16),
        permanent: false,
        phone,
        place,
        walls,
    };
    let recipient = eval.identity_checks();
    eval.content_checks();
    let rules = eval.applicable_rules();
    eval.timing_checks(&rules);
    eval.cap_checks(&rules);

    let reason = eval.checks.iter().find_map(|c| c.reason);
    let allowed = reason.is_none();
    let retry_after = if allowed || eval.permanent {
        None
    } else {
        earliest_all_pass(&eval.time, now)
    };
    if !allowed && !eval.permanent && retry_after.is_none() {
        // Each failing check lifts on its own, but never together with the others within the
        // search horizon (windows in zones whose daylight-saving rules drift apart, say):
        // time alone will not lift the block, and the report says so.
        for c in eval.checks.iter_mut().filter(|c| c.passes_at.is_some()) {
            c.passes_at = None;
            if let Some(d) = c.detail.as_mut() {
                d.push_str("; never together with the other time-based checks within 60 days");
            }
        }
    }
    let permit = match (recipient, allowed) {
        (Some(key), true) => Some(Permit::issue(
            &touch.id,
            &touch.account_id,
            touch.channel,
            key,
            now,
        )),
        _ => None,
    };
    Decision {
        at: now,
        allowed,
        reason,
        retry_after,
        checks: eval.checks,
        waivers,
        permit,
    }
}

struct Evaluation<'t, 'f> {
    touch: &'t Touch,
    facts: &'t Facts<'f>,
    now: DateTime<Utc>,
    waivers: Waivers,
    checks: Vec<CheckOutcome>,
    /// Every time-based constraint (failing or not) of the checks that are not waived, for
    /// the combined retry search.
    time: Vec<TimeConstraint<'f>>,
    /// A failing check that time alone will not lift.
    permanent: bool,
    /// The number a telephone touch rings.
    phone: Option<&'f Phone>,
    place: RecipientPlace,
    /// The candidate zones' wall clocks at `now`.
    walls: Walls,
}

impl<'f> Evaluation<'_, 'f> {
    /// Records a failing check's outcome in its slot; a failure the operator waived is
    /// reported as waived.
    fn push(&mut self, outcome: CheckOutcome) {
        let outcome = if outcome.passed {
            outcome
        } else if self.waivers.waives(outcome.check) {
            outcome.waive()
        } else {
            if outcome.passes_at.is_none() {
                self.permanent = true;
            }
            outcome
        };
        if let Some(slot) = self.checks.get_mut(outcome.check.index()) {
            *slot = outcome;
        }
    }

    /// The check passed: its slot keeps the "passed" outcome it started with. (Called for
    /// every passing check, so that each check's code says what it decided.)
    fn pass(&mut self, check: Check) {
        debug_assert!(
            self.checks
                .get(check.index())
                .is_some_and(|c| c.passed && c.check == check),
            "{check:?} reported twice"
        );
    }

    /// Adds a time constraint of `check` to the retry search, unless the check is waived.
    fn constrain(&mut self, check: Check, c: TimeConstraint<'f>) {
        if !self.waivers.waives(check) {
            self.time.push(c);
        }
    }

    /// The rules that bind this touch: telephone channels only (no pack covers email or
    /// LinkedIn), in force on the recipient's local date.
    fn applicable_rules(&self) -> Vec<&'static Rule> {
        let touch = self.touch;
        if !touch.channel.is_telephone() {
            return Vec::new();
        }
        let today = self
            .walls
            .zones
            .first()
            .and_then(|(_, w)| *w)
            .map_or(chrono::NaiveDate::MIN, |w| w.date());
        rule_packs::applicable(
            &self.place,
            touch.channel,
            touch.purpose,
            touch.automated,
            today,
        )
    }

    fn is_marketing(&self) -> bool {
        self.touch.purpose == Purpose::Marketing
    }
}

/// Wall clocks of the candidate zones at `now`, looked up once per zone.
struct Walls {
    zones: Vec<(Tz, Option<NaiveDateTime>)>,
}

impl Walls {
    fn of(zones: &[Tz], now: DateTime<Utc>) -> Walls {
        Walls {
            zones: zones
                .iter()
                .map(|z| (*z, crate::instant::wall(*z, now)))
                .collect(),
        }
    }

    /// The first zone whose wall clock the schedule does not allow (a wall clock outside
    /// chrono's range allows nothing: fail safe).
    fn first_closed(&self, schedule: &Schedule) -> Option<Tz> {
        self.zones
            .iter()
            .find(|(_, w)| !w.is_some_and(|w| schedule.allows_local(w)))
            .map(|(z, _)| *z)
    }
}

/// `2026-11-18T18:00:00Z`
fn rfc3339(t: DateTime<Utc>) -> impl std::fmt::Display {
    t.format("%Y-%m-%dT%H:%M:%SZ")
}
