//! Touchgate's policy core.
//!
//! Pure: no database, network, async runtime or system clock — `now` is an argument. The
//! dispatcher gathers [`Facts`], calls [`evaluate_send`], records the [`Decision`] and, when it
//! is allowed, hands the decision's [`Permit`] to a channel worker. Inbound replies go through
//! [`detect_opt_out`].
//!
//! The jurisdictions the rule packs encode, and those they do not, are listed per state in
//! `crates/gate/RULE_PACKS.md` (see [`rule_packs`]).

pub mod blackout;
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
pub mod regions;
pub mod registry;
pub mod rule_packs;
pub mod sends;
pub mod templates;
pub mod timezone;
pub mod waiver;
pub mod windows;

mod constraints;
mod dlt;
mod dnc;
mod evaluate;
mod fnv;
mod instant;

pub use blackout::{Blackout, BlackoutPurpose, BlackoutRegion};
pub use channel::{Channel, ChannelScope};
pub use confirmation::{CONFIRMATION_WINDOW, ConfirmationRefused, confirm_opt_out};
pub use contact::{Contact, Email, LinkedInId, Phone};
pub use decision::{Check, CheckOutcome, Decision};
pub use dlt::body_matches as dlt_body_matches;
pub use dnc::dnc_blocks;
pub use error::ParseError;
pub use evaluate::{
    REGISTRY_STALE_SNOOZE, SENDER_LOOKUP_SNOOZE, WHATSAPP_WINDOW, evaluate_send,
    evaluate_send_waiving,
};
pub use facts::{
    Account, AccountStatus, ChannelLimits, Consent, ConsentVoid, ContentTemplate, DltRegistration,
    DltTemplate, DncEntry, DncReason, Facts, HealthPause, Lead, LinkedInAction, Policy, Purpose,
    QuietHours, RecipientCaps, Relationship, RelationshipKind, SendRecord, SenderAuth, TemplateRef,
    TemplateStatus, TimeOfDay, Touch, Warmup, WhatsappCategory, WhatsappTemplate, Window,
};
pub use opt_out::{
    InboundMessage, Intent, OptOut, OptOutConfig, OptOutKeywords, classify_inbound, detect_opt_out,
    detect_opt_out_with, out_of_office_return,
};
pub use permit::{PERMIT_TTL, Permit, PermitError};
pub use reason::Reason;
pub use registry::{Registry, RegistryFacts, RegistryListing};
pub use sends::SendLog;
pub use waiver::{Waiver, WaiverError, Waivers};
