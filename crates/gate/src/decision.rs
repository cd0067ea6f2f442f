//! The gate's answer: allowed or not, the first failing reason, when it may pass, and every
//! check with a detail a person can read.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::permit::Permit;
use crate::reason::Reason;
use crate::waiver::Waivers;

/// The checks, in the order `evaluate_send` runs and reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Check {
    AccountStatus,
    ChannelStatus,
    /// Email only: the sender's domain authentication (DMARC, DKIM selector).
    SenderAuthentication,
    Recipient,
    LitigationHold,
    /// The company's DNC rows and the national and state registries.
    Dnc,
    /// Whether the national registry is current enough (`require_registry`).
    RegistryFreshness,
    Consent,
    Dlt,
    Template,
    WhatsappTemplate,
    /// WhatsApp marketing templates to countries where the platform does not deliver them.
    WhatsappMarketing,
    WhatsappWindow,
    Blackout,
    /// The account's own window (waivable by an operator).
    AccountQuietHours,
    /// The jurisdictions' rule packs: hours, Sundays, holidays (never waivable).
    QuietHours,
    MinGap,
    HourlyLimit,
    DailyLimit,
    WeeklyLimit,
    RecipientFrequency,
    /// The workspace's cross-campaign marketing cap per recipient.
    RecipientCap,
}

impl Check {
    /// Every check, in reporting order.
    pub const ALL: [Check; 22] = [
        Check::AccountStatus,
        Check::ChannelStatus,
        Check::SenderAuthentication,
        Check::Recipient,
        Check::LitigationHold,
        Check::Dnc,
        Check::RegistryFreshness,
        Check::Consent,
        Check::Dlt,
        Check::Template,
        Check::WhatsappTemplate,
        Check::WhatsappMarketing,
        Check::WhatsappWindow,
        Check::Blackout,
        Check::AccountQuietHours,
        Check::QuietHours,
        Check::MinGap,
        Check::HourlyLimit,
        Check::DailyLimit,
        Check::WeeklyLimit,
        Check::RecipientFrequency,
        Check::RecipientCap,
    ];

    /// The check's position in [`Check::ALL`] (its reporting order).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The serialised name (`account_quiet_hours`).
    pub fn as_str(self) -> &'static str {
        match self {
            Check::AccountStatus => "account_status",
            Check::ChannelStatus => "channel_status",
            Check::SenderAuthentication => "sender_authentication",
            Check::Recipient => "recipient",
            Check::LitigationHold => "litigation_hold",
            Check::Dnc => "dnc",
            Check::RegistryFreshness => "registry_freshness",
            Check::Consent => "consent",
            Check::Dlt => "dlt",
            Check::Template => "template",
            Check::WhatsappTemplate => "whatsapp_template",
            Check::WhatsappMarketing => "whatsapp_marketing",
            Check::WhatsappWindow => "whatsapp_window",
            Check::Blackout => "blackout",
            Check::AccountQuietHours => "account_quiet_hours",
            Check::QuietHours => "quiet_hours",
            Check::MinGap => "min_gap",
            Check::HourlyLimit => "hourly_limit",
            Check::DailyLimit => "daily_limit",
            Check::WeeklyLimit => "weekly_limit",
            Check::RecipientFrequency => "recipient_frequency",
            Check::RecipientCap => "recipient_cap",
        }
    }
}

fn no_waivers(w: &Waivers) -> bool {
    w.is_empty()
}

fn is_false(b: &bool) -> bool {
    !*b
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
    /// Built only for a failing (or waived) check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The rule that bound, for rule-pack checks (`us-fl-ftsa-hours`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Cow<'static, str>>,
    /// When this check alone would pass again; `None` when time alone will not lift it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passes_at: Option<DateTime<Utc>>,
    /// Passed only because an operator waived it; `detail` says what it would have blocked.
    #[serde(default, skip_serializing_if = "is_false")]
    pub waived: bool,
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
            waived: false,
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
            waived: false,
        }
    }

    pub(crate) fn with_rule(mut self, rule: &'static str) -> CheckOutcome {
        self.rule = Some(Cow::Borrowed(rule));
        self
    }

    pub(crate) fn until(mut self, at: Option<DateTime<Utc>>) -> CheckOutcome {
        self.passes_at = at;
        self
    }

    /// The failure, waived: reported as passed, marked, with what it found.
    pub(crate) fn waive(mut self) -> CheckOutcome {
        self.reason = None;
        self.passes_at = None;
        self.passed = true;
        self.waived = true;
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
    /// The checks an operator waived for this decision (empty for an ordinary one).
    #[serde(skip_serializing_if = "no_waivers")]
    pub waivers: Waivers,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_the_position_in_all() {
        for (i, c) in Check::ALL.iter().enumerate() {
            assert_eq!(c.index(), i, "{c:?}");
            let json = serde_json::to_string(c).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
    }
}
