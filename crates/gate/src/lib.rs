//! Touchgate's policy core.
//!
//! Pure: no database, network, async runtime or system clock — `now` is an argument. The
//! dispatcher gathers [`Facts`], calls [`evaluate_send`], records the [`Decision`] and, when it
//! is allowed, hands the decision's [`Permit`] to a channel worker. Inbound replies go through
//! [`detect_opt_out`].

pub mod channel;
pub mod confirmation;
pub mod contact;
pub mod decision;
pub mod error;
pub mod facts;
pub mod holidays;
pub mod opt_out;
pub mod permit;
pub mod quiet_hours;
pub mod reason;
pub mod rule_packs;
pub mod timezone;

mod caps;
mod dlt;
mod dnc;
mod evaluate;
mod instant;

pub use channel::{Channel, ChannelScope};
pub use confirmation::{CONFIRMATION_WINDOW, ConfirmationRefused, confirm_opt_out};
pub use contact::{Contact, Email, LinkedInId, Phone};
pub use decision::{Check, CheckOutcome, Decision};
pub use dnc::dnc_blocks;
pub use error::ParseError;
pub use evaluate::evaluate_send;
pub use facts::{
    Account, AccountStatus, ChannelLimits, Consent, ContentTemplate, DltRegistration, DltTemplate,
    DncEntry, DncReason, Facts, Lead, LinkedInAction, Policy, Purpose, QuietHours, SendRecord,
    TemplateRef, TemplateStatus, TimeOfDay, Touch, WhatsappTemplate, Window,
};
pub use opt_out::{
    InboundMessage, Intent, OptOut, OptOutConfig, OptOutKeywords, classify_inbound, detect_opt_out,
    detect_opt_out_with, out_of_office_return,
};
pub use permit::{PERMIT_TTL, Permit, PermitError};
pub use reason::Reason;
