//! The gate's answer: allowed or not, the first failing reason, when it may pass, and every
//! check with a detail a person can read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::permit::Permit;
use crate::reason::Reason;

/// The checks, in the order `evaluate_send` runs and reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    AccountStatus,
    ChannelStatus,
    Recipient,
    LitigationHold,
    Dnc,
    Consent,
    Dlt,
    Template,
    WhatsappTemplate,
    WhatsappWindow,
    QuietHours,
    MinGap,
    HourlyLimit,
    DailyLimit,
    WeeklyLimit,
    RecipientFrequency,
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub check: Check,
    pub passed: bool,
    /// The reason code when the check failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// What was found, for a person: "03:12 in America/Los_Angeles, window 08:00-21:00".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The rule that bound, for rule-pack checks (`us-fl-ftsa-hours`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// When this check alone would pass again; `None` when time alone will not lift it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passes_at: Option<DateTime<Utc>>,
}

impl CheckOutcome {
    pub(crate) fn pass(check: Check) -> CheckOutcome {
        CheckOutcome {
            check,
            passed: true,
            reason: None,
            detail: None,
            rule: None,
            passes_at: None,
        }
    }

    pub(crate) fn fail(check: Check, reason: Reason, detail: String) -> CheckOutcome {
        CheckOutcome {
            check,
            passed: false,
            reason: Some(reason),
            detail: Some(detail),
            rule: None,
            passes_at: None,
        }
    }

    pub(crate) fn with_detail(mut self, detail: String) -> CheckOutcome {
        self.detail = Some(detail);
        self
    }

    pub(crate) fn with_rule(mut self, rule: &str) -> CheckOutcome {
        self.rule = Some(rule.to_owned());
        self
    }

    pub(crate) fn until(mut self, at: Option<DateTime<Utc>>) -> CheckOutcome {
        self.passes_at = at;
        self
    }
}

/// The decision for one touch at one instant.
///
/// An allowed decision carries the [`Permit`] a worker needs to send; take it with
/// [`Decision::take_permit`]. A blocked decision carries the first failing `reason` and a
/// `retry_after`: the earliest instant at which every time-based check passes together for
/// the same facts, or `None` when time alone will not lift the block.
#[derive(Debug, Serialize)]
pub struct Decision {
    pub at: DateTime<Utc>,
    pub allowed: bool,
    pub reason: Option<Reason>,
    pub retry_after: Option<DateTime<Utc>>,
    pub checks: Vec<CheckOutcome>,
    #[serde(skip)]
    pub(crate) permit: Option<Permit>,
}

impl Decision {
    /// The permit of an allowed decision (once).
    pub fn take_permit(&mut self) -> Option<Permit> {
        self.permit.take()
    }

    /// Blocked, and no amount of waiting will change that.
    pub fn is_permanent_block(&self) -> bool {
        !self.allowed && self.retry_after.is_none()
    }

    /// The outcome of one check, if it ran.
    pub fn check(&self, check: Check) -> Option<&CheckOutcome> {
        self.checks.iter().find(|c| c.check == check)
    }
}
