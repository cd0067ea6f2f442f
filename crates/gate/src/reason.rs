//! Why a touch was blocked. The serialised names are the API contract's reason codes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ParseError;

/// A block reason, in the order the gate checks them (the first failing check is the reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The sending account is paused or suspended.
    AccountPaused,
    /// The account has this channel paused.
    ChannelPaused,
    /// The lead has no valid contact for the channel.
    InvalidRecipient,
    /// A DNC entry with reason `litigation_hold` covers the lead; always wins over other DNC.
    LitigationHold,
    /// A DNC entry covers the lead on this channel.
    DncListed,
    /// A marketing touch on sms, call or whatsapp without a valid consent for that channel.
    ConsentMissing,
    /// SMS to India without a DLT entity, registered header or registered template.
    DltNotRegistered,
    /// SMS to India whose body does not match the registered DLT template.
    DltTemplateMismatch,
    /// The touch names a content template that is not approved.
    TemplateUnapproved,
    /// The WhatsApp template is missing or not approved (pending, rejected, paused, disabled).
    WhatsappTemplateUnapproved,
    /// WhatsApp free-form text outside the 24 h customer-service window.
    WhatsappWindowClosed,
    /// Outside the allowed window in the recipient's local time (account or rule pack).
    QuietHours,
    /// Too soon after the account's previous send on this channel.
    MinGap,
    /// The account's trailing-60-minute cap is used up.
    HourlyLimit,
    /// The account's trailing-24-hour cap is used up.
    DailyLimit,
    /// The account's trailing-7-day LinkedIn invitation cap is used up.
    WeeklyLimit,
    /// A jurisdiction's per-recipient cap (e.g. FL/OK/MD: 3 solicitations per 24 h) is used up.
    RecipientFrequency,
}

impl Reason {
    pub const ALL: [Reason; 17] = [
        Reason::AccountPaused,
        Reason::ChannelPaused,
        Reason::InvalidRecipient,
        Reason::LitigationHold,
        Reason::DncListed,
        Reason::ConsentMissing,
        Reason::DltNotRegistered,
        Reason::DltTemplateMismatch,
        Reason::TemplateUnapproved,
        Reason::WhatsappTemplateUnapproved,
        Reason::WhatsappWindowClosed,
        Reason::QuietHours,
        Reason::MinGap,
        Reason::HourlyLimit,
        Reason::DailyLimit,
        Reason::WeeklyLimit,
        Reason::RecipientFrequency,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::AccountPaused => "account_paused",
            Reason::ChannelPaused => "channel_paused",
            Reason::InvalidRecipient => "invalid_recipient",
            Reason::LitigationHold => "litigation_hold",
            Reason::DncListed => "dnc_listed",
            Reason::ConsentMissing => "consent_missing",
            Reason::DltNotRegistered => "dlt_not_registered",
            Reason::DltTemplateMismatch => "dlt_template_mismatch",
            Reason::TemplateUnapproved => "template_unapproved",
            Reason::WhatsappTemplateUnapproved => "whatsapp_template_unapproved",
            Reason::WhatsappWindowClosed => "whatsapp_window_closed",
            Reason::QuietHours => "quiet_hours",
            Reason::MinGap => "min_gap",
            Reason::HourlyLimit => "hourly_limit",
            Reason::DailyLimit => "daily_limit",
            Reason::WeeklyLimit => "weekly_limit",
            Reason::RecipientFrequency => "recipient_frequency",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Reason {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| ParseError::UnknownValue {
                kind: "reason",
                value: s.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_names_match_as_str() {
        for r in Reason::ALL {
            let json = serde_json::to_string(&r).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
            assert_eq!(r.as_str().parse::<Reason>().ok(), Some(r));
        }
    }

    #[test]
    fn contract_codes_are_all_present() {
        let contract = "account_paused channel_paused invalid_recipient litigation_hold dnc_listed \
            consent_missing dlt_not_registered template_unapproved whatsapp_template_unapproved \
            whatsapp_window_closed quiet_hours min_gap hourly_limit daily_limit weekly_limit";
        for code in contract.split_whitespace() {
            assert!(code.parse::<Reason>().is_ok(), "{code} missing");
        }
    }
}
