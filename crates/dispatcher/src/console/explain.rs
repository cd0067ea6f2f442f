//! Reason codes in words, and the rule packs' metadata for a rule id, as operators read them.

use gate::Reason;
use gate::rule_packs::{Rule, Verification};

/// What a reason code means, in a sentence (a gate reason, or one of the lifecycle's own).
pub fn reason(code: &str) -> &'static str {
    match code.parse::<Reason>() {
        Ok(r) => gate_reason(r),
        Err(_) => match code {
            "lead_replied" => "Cancelled: the lead replied, so the rest of the sequence stopped.",
            "opt_out_confirmation_refused" => {
                "The opt-out confirmation's own permit was refused (too late, wrong channel, or sent already)."
            }
            _ => "The provider refused the message with this code.",
        },
    }
}

fn gate_reason(r: Reason) -> &'static str {
    match r {
        Reason::AccountPaused => "The sending account is paused or suspended.",
        Reason::ChannelPaused => {
            "The account has this channel paused (by an operator or by sender health)."
        }
        Reason::SenderUnauthenticated => {
            "The sender's domain publishes no DMARC record, or its DKIM selector does not match the key."
        }
        Reason::InvalidRecipient => "The lead has no valid contact for this channel.",
        Reason::LitigationHold => {
            "The contact is under a litigation hold (a DNC row or the litigators list): every channel, every purpose."
        }
        Reason::DncListed => {
            "A do-not-contact row or a national/state registry listing covers this contact on this channel."
        }
        Reason::RegistryStale => {
            "The national registry is missing or more than 31 days old (47 CFR 64.1200(c)(2)(i)(D))."
        }
        Reason::ConsentMissing => {
            "Marketing on this channel needs a recorded consent that is valid now; there is none."
        }
        Reason::DltNotRegistered => {
            "SMS to India needs a DLT entity, a registered header and a registered template."
        }
        Reason::DltTemplateMismatch => "The SMS body does not match its registered DLT template.",
        Reason::TemplateUnapproved => {
            "The content template is listed with a status other than approved."
        }
        Reason::WhatsappTemplateUnapproved => "The WhatsApp template is missing or not approved.",
        Reason::WhatsappMarketingRestricted => {
            "WhatsApp does not deliver marketing templates to this country."
        }
        Reason::WhatsappWindowClosed => {
            "Free-form WhatsApp text is allowed only within 24 hours of the lead's last message."
        }
        Reason::Blackout => "The recipient's region is under an active blackout.",
        Reason::QuietHours => {
            "Outside the allowed hours in the recipient's local time (the account's window or a rule pack)."
        }
        Reason::MinGap => "Too soon after the account's previous send on this channel.",
        Reason::HourlyLimit => "The account's cap for the trailing 60 minutes is used up.",
        Reason::DailyLimit => {
            "The account's cap for the trailing 24 hours (or the warm-up ramp) is used up."
        }
        Reason::WeeklyLimit => {
            "The account's LinkedIn invitations for the trailing 7 days are used up."
        }
        Reason::RecipientFrequency => {
            "A state's legal cap on solicitations to one person (e.g. 3 in 24 hours) is used up."
        }
        Reason::RecipientCap => {
            "The workspace's cap of marketing touches per recipient per week is used up."
        }
    }
}

/// The rule pack rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    gate::rule_packs::all_rules().find(|r| r.id == id)
}

/// How far the rule was verified, in words.
pub fn verification(r: &Rule) -> String {
    match r.verification {
        Verification::Primary => "verified against the primary source".to_owned(),
        Verification::Secondary(note) => format!("secondary sources only: {note}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_its_own_sentence_and_rules_are_found_by_id() {
        let mut seen = std::collections::HashSet::new();
        for r in Reason::ALL {
            assert!(seen.insert(reason(r.as_str())), "{r} shares a sentence");
        }
        let tcpa = rule("us-tcpa-calling-hours").map(|r| r.citation);
        assert_eq!(tcpa, Some("47 CFR 64.1200(c)(1)"));
        assert!(rule("no-such-rule").is_none());
    }
}
