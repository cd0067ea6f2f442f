//! Opt-out detection on inbound replies (placeholder API; implemented by the opt-out work).

use crate::channel::{Channel, ChannelScope};

/// An inbound message as the gate sees it.
#[derive(Clone, Debug, Default)]
pub struct InboundMessage<'a> {
    pub body: &'a str,
    pub subject: Option<&'a str>,
    /// Raw header lines (`Name: value`), for email auto-reply detection.
    pub headers: &'a [(&'a str, &'a str)],
}

/// A detected opt-out: what matched and which channels it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptOut {
    pub matched: String,
    pub scope: ChannelScope,
}

/// What an inbound message means for contact permission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Intent {
    OptOut(OptOut),
    /// START / UNSTOP / YES: the person asks to receive messages again.
    OptIn {
        matched: String,
    },
    /// HELP / INFO.
    Help {
        matched: String,
    },
    None,
}

/// Per-workspace keyword configuration.
#[derive(Clone, Debug, Default)]
pub struct OptOutConfig {}

pub fn classify_inbound(
    _channel: Channel,
    _msg: &InboundMessage<'_>,
    _config: &OptOutConfig,
) -> Intent {
    Intent::None
}

pub fn detect_opt_out(channel: Channel, msg: &InboundMessage<'_>) -> Option<OptOut> {
    match classify_inbound(channel, msg, &OptOutConfig::default()) {
        Intent::OptOut(o) => Some(o),
        _ => None,
    }
}
