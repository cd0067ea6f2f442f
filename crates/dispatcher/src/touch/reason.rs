//! Why a touch is where it is: a gate reason code, or one of the few reasons that come from
//! elsewhere (a provider's own refusal code, a reply that cancelled it).

use std::fmt;

use serde::{Serialize, Serializer};

/// The `reason` of a touch, typed. Stored and answered as the plain code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TouchReason {
    /// A contract reason code (the gate's, or one a provider answer maps to).
    Gate(gate::Reason),
    /// Cancelled because the lead answered (`stop_on_reply`).
    LeadReplied,
    /// The opt-out confirmation's own permit was refused (too late, wrong channel, again).
    OptOutConfirmationRefused,
    /// A provider's own refusal code (`twilio_21612`, `smtp_550`, `http_422` …).
    Provider(String),
}

impl TouchReason {
    pub fn as_str(&self) -> &str {
        match self {
            TouchReason::Gate(r) => r.as_str(),
            TouchReason::LeadReplied => "lead_replied",
            TouchReason::OptOutConfirmationRefused => "opt_out_confirmation_refused",
            TouchReason::Provider(code) => code,
        }
    }

    /// Reads a stored reason: every string is some reason (a provider code is free text).
    pub fn parse(s: &str) -> TouchReason {
        if let Ok(r) = s.parse::<gate::Reason>() {
            return TouchReason::Gate(r);
        }
        match s {
            "lead_replied" => TouchReason::LeadReplied,
            "opt_out_confirmation_refused" => TouchReason::OptOutConfirmationRefused,
            other => TouchReason::Provider(other.to_owned()),
        }
    }
}

impl From<gate::Reason> for TouchReason {
    fn from(r: gate::Reason) -> TouchReason {
        TouchReason::Gate(r)
    }
}

impl fmt::Display for TouchReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TouchReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for r in gate::Reason::ALL {
            assert_eq!(TouchReason::parse(r.as_str()), TouchReason::Gate(r));
        }
        for r in [
            TouchReason::LeadReplied,
            TouchReason::OptOutConfirmationRefused,
            TouchReason::Provider("twilio_21612".to_owned()),
        ] {
            assert_eq!(TouchReason::parse(r.as_str()), r);
        }
    }
}
