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
    /// The account has this channel paused, by an operator or by sender health.
    ChannelPaused,
    /// Email from a domain whose DMARC record or DKIM selector does not check out.
    SenderUnauthenticated,
    /// The lead has no valid contact for the channel.
    InvalidRecipient,
    /// A DNC row with reason `litigation_hold`, or a `litigators` listing, covers the lead;
    /// every channel and purpose.
    LitigationHold,
    /// A DNC row covers the lead on this channel, or the number is on the national registry
    /// or a candidate state's list without a consent or business relationship that lifts it.
    DncListed,
    /// `require_registry` is on and the national registry is missing or older than 31 days.
    RegistryStale,
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
    /// A marketing WhatsApp template to a country where the platform does not deliver them.
    WhatsappMarketingRestricted,
    /// WhatsApp free-form text outside the 24 h customer-service window.
    WhatsappWindowClosed,
    /// The recipient is in a region under an active blackout.
    Blackout,
    /// Outside the allowed window in the recipient's local time (account or rule pack).
    QuietHours,
    /// Too soon after the account's previous send on this channel.
    MinGap,
    /// The account's trailing-60-minute cap is used up.
    HourlyLimit,
    /// The account's trailing-24-hour cap (or the day's warm-up ramp) is used up.
    DailyLimit,
    /// The account's trailing-7-day LinkedIn invitation cap is used up.
    WeeklyLimit,
    /// A jurisdiction's per-recipient cap (e.g. FL/OK/MD: 3 solicitations per 24 h) is used up.
    RecipientFrequency,
    /// The workspace's cross-campaign cap of marketing touches per recipient per week.
    RecipientCap,
}

impl Reason {
    pub const ALL: [Reason; 22] = [
        Reason::AccountPaused,
        Reason::ChannelPaused,
        Reason::SenderUnauthenticated,
        Reason::InvalidRecipient,
        Reason::LitigationHold,
        Reason::DncListed,
        Reason::RegistryStale,
        Reason::ConsentMissing,
        Reason::DltNotRegistered,
        Reason::DltTemplateMismatch,
        Reason::TemplateUnapproved,
        Reason::WhatsappTemplateUnapproved,
        Reason::WhatsappMarketingRestricted,
        Reason::WhatsappWindowClosed,
        Reason::Blackout,
        Reason::QuietHours,
        Reason::MinGap,
        Reason::HourlyLimit,
        Reason::DailyLimit,
        Reason::WeeklyLimit,
        Reason::RecipientFrequency,
        Reason::RecipientCap,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::AccountPaused => "account_paused",
            Reason::ChannelPaused => "channel_paused",
            Reason::SenderUnauthenticated => "sender_unauthenticated",
            Reason::InvalidRecipient => "invalid_recipient",
            Reason::LitigationHold => "litigation_hold",
            Reason::DncListed => "dnc_listed",
            Reason::RegistryStale => "registry_stale",
            Reason::ConsentMissing => "consent_missing",
            Reason::DltNotRegistered => "dlt_not_registered",
            Reason::DltTemplateMismatch => "dlt_template_mismatch",
            Reason::TemplateUnapproved => "template_unapproved",
            Reason::WhatsappTemplateUnapproved => "whatsapp_template_unapproved",
            Reason::WhatsappMarketingRestricted => "whatsapp_marketing_restricted",
            Reason::WhatsappWindowClosed => "whatsapp_window_closed",
            Reason::Blackout => "blackout",
            Reason::QuietHours => "quiet_hours",
            Reason::MinGap => "min_gap",
            Reason::HourlyLimit => "hourly_limit",
            Reason::DailyLimit => "daily_limit",
            Reason::WeeklyLimit => "weekly_limit",
            Reason::RecipientFrequency => "recipient_frequency",
            Reason::RecipientCap => "recipient_cap",
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
    fn contract_codes_are_all_present_in_contract_order() {
        let contract = "account_paused channel_paused sender_unauthenticated invalid_recipient \
            litigation_hold dnc_listed registry_stale consent_missing dlt_not_registered \
            dlt_template_mismatch template_unapproved whatsapp_template_unapproved \
            whatsapp_marketing_restricted whatsapp_window_closed blackout quiet_hours min_gap \
            hourly_limit daily_limit weekly_limit recipient_frequency recipient_cap";
        let codes: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(codes, contract.split_whitespace().collect::<Vec<_>>());
        let mut sorted = Reason::ALL;
        sorted.sort();
        assert_eq!(sorted, Reason::ALL, "Ord follows the contract order");
    }
}
