//! The one confirmation message allowed after an SMS or WhatsApp opt-out.
//!
//! 47 CFR 64.1200(a)(12) (FCC 24-18, in force since 4 April 2024) lets a sender answer an
//! opt-out with exactly one message confirming it, with no marketing, and presumes it compliant
//! when sent within five minutes. The DNC row written for the opt-out blocks every ordinary
//! touch, so this is the only way to reach the person afterwards — hence its own, narrow rule:
//! the right channel, inside the five minutes, and never a second time for the same opt-out.

use chrono::{DateTime, Duration, Utc};

use crate::channel::Channel;
use crate::permit::Permit;

/// How long after the opt-out the confirmation may still go.
pub const CONFIRMATION_WINDOW: Duration = Duration::minutes(5);

/// Why no confirmation may be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfirmationRefused {
    #[error("opt-out confirmations are sent on sms and whatsapp only, not {0}")]
    Channel(Channel),
    #[error("the opt-out was confirmed already")]
    AlreadyConfirmed,
    #[error("more than five minutes passed since the opt-out at {opted_out_at}")]
    TooLate { opted_out_at: DateTime<Utc> },
    #[error("the opt-out at {opted_out_at} is after now")]
    NotYet { opted_out_at: DateTime<Utc> },
}

/// A permit for the single confirmation of an opt-out received on `channel` from `recipient`
/// (canonical contact) at `opted_out_at`; `already_confirmed` is whether one was recorded.
pub fn confirm_opt_out(
    touch_id: &str,
    account_id: &str,
    channel: Channel,
    recipient: &str,
    opted_out_at: DateTime<Utc>,
    already_confirmed: bool,
    now: DateTime<Utc>,
) -> Result<Permit, ConfirmationRefused> {
    if !matches!(channel, Channel::Sms | Channel::Whatsapp) {
        return Err(ConfirmationRefused::Channel(channel));
    }
    if already_confirmed {
        return Err(ConfirmationRefused::AlreadyConfirmed);
    }
    if now < opted_out_at {
        return Err(ConfirmationRefused::NotYet { opted_out_at });
    }
    if now >= crate::instant::plus(opted_out_at, CONFIRMATION_WINDOW) {
        return Err(ConfirmationRefused::TooLate { opted_out_at });
    }
    Ok(Permit::issue(touch_id, account_id, channel, recipient, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn one_confirmation_within_five_minutes_on_sms_or_whatsapp() {
        let at = t("2026-11-25T18:00:00Z");
        let ok = confirm_opt_out(
            "c1",
            "acc",
            Channel::Sms,
            "+14155550123",
            at,
            false,
            at + Duration::seconds(2),
        );
        let p = ok.ok();
        assert_eq!(
            p.as_ref().map(|p| (p.channel(), p.recipient())),
            Some((Channel::Sms, "+14155550123"))
        );
        assert!(confirm_opt_out("c1", "acc", Channel::Whatsapp, "+1", at, false, at).is_ok());
        assert_eq!(
            confirm_opt_out("c1", "acc", Channel::Sms, "+1", at, true, at).err(),
            Some(ConfirmationRefused::AlreadyConfirmed)
        );
        assert_eq!(
            confirm_opt_out(
                "c1",
                "acc",
                Channel::Sms,
                "+1",
                at,
                false,
                at + CONFIRMATION_WINDOW
            )
            .err(),
            Some(ConfirmationRefused::TooLate { opted_out_at: at })
        );
        assert!(
            confirm_opt_out(
                "c1",
                "acc",
                Channel::Sms,
                "+1",
                at,
                false,
                at + Duration::seconds(299)
            )
            .is_ok()
        );
        assert_eq!(
            confirm_opt_out("c1", "acc", Channel::Email, "a@b.co", at, false, at).err(),
            Some(ConfirmationRefused::Channel(Channel::Email))
        );
        assert!(matches!(
            confirm_opt_out(
                "c1",
                "acc",
                Channel::Sms,
                "+1",
                at,
                false,
                at - Duration::seconds(1)
            ),
            Err(ConfirmationRefused::NotYet { .. })
        ));
    }
}
