//! The facts the gate decides from. The dispatcher fetches them; the gate never does I/O.
//! Every value here is already parsed (phones are E.164, channels are `Channel`, …).

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::blackout::Blackout;
use crate::channel::{Channel, ChannelScope};
use crate::contact::{Email, LinkedInId, Phone};
use crate::error::ParseError;
use crate::registry::RegistryFacts;
use crate::sends::SendLog;

pub use crate::templates::{
    ContentTemplate, DltRegistration, DltTemplate, TemplateStatus, WhatsappCategory,
    WhatsappTemplate,
};
pub use crate::windows::{BUILT_IN_TELEPHONE_WINDOW, QuietHours, TimeOfDay, Window};

/// Why a touch is sent: marketing touches on telephone channels are "telephone solicitations"
/// and need consent and the jurisdiction rule packs; transactional ones follow only the
/// account's own windows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    #[default]
    Marketing,
    Transactional,
}

/// A LinkedIn touch is an invitation (counts toward `weekly_invites`) or a message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkedInAction {
    Invite,
    #[default]
    Message,
}

/// The template a touch names: a DLT or content template id, or a WhatsApp template.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateRef {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
}

/// The touch being decided.
#[derive(Clone, Debug)]
pub struct Touch {
    pub id: String,
    pub account_id: String,
    pub lead_id: String,
    pub channel: Channel,
    pub purpose: Purpose,
    pub template: Option<TemplateRef>,
    pub body: Option<String>,
    pub action: LinkedInAction,
    /// Placed by an autodialer or with a prerecorded or artificial voice (or a text sent by
    /// an autodialer): the automated-contact rule packs apply too.
    pub automated: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    #[default]
    Active,
    Paused,
    Suspended,
}

/// Per-channel caps for one sending account. Absent: no cap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelLimits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_gap_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hourly: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily: Option<u32>,
    /// LinkedIn invitations in the trailing 7 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekly_invites: Option<u32>,
    /// A ramp for a new sender: the daily cap grows from the account's first send on the
    /// channel (applied together with `daily`; the lower one binds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<Warmup>,
}

/// Warm-up: `start_per_day` sends in the first 24 hours after the account's first send on
/// the channel, `increase_per_day` more in each following 24 hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Warmup {
    pub start_per_day: u32,
    pub increase_per_day: u32,
}

impl Warmup {
    /// The cap on day `day` (0 = the first 24 hours).
    pub fn cap_on_day(self, day: u32) -> u32 {
        self.start_per_day
            .saturating_add(self.increase_per_day.saturating_mul(day))
    }
}

/// The sending account's settings.
#[derive(Clone, Debug, Default)]
pub struct Account {
    pub id: String,
    pub status: AccountStatus,
    pub paused_channels: Vec<Channel>,
    pub limits: BTreeMap<Channel, ChannelLimits>,
    pub quiet_hours: QuietHours,
    pub dlt: Option<DltRegistration>,
    pub whatsapp_templates: Vec<WhatsappTemplate>,
    pub templates: Vec<ContentTemplate>,
    /// Channels paused by sender health (bounce or complaint rates), apart from the
    /// operator's `paused_channels`; lifted by an operator.
    pub health_pauses: BTreeMap<Channel, HealthPause>,
}

/// Why and since when sender health paused a channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthPause {
    pub since: DateTime<Utc>,
    /// E.g. "complaint rate 0.50% over the last 500 sends exceeds 0.30%".
    pub why: String,
}

/// A recorded consent to be contacted on one channel for one purpose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub channel: Channel,
    #[serde(default)]
    pub purpose: Purpose,
    pub granted_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// An established business relationship (47 CFR 64.1200(f)(5)): it lifts national and state
/// registry listings for 18 months after a purchase and 3 months after an inquiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relationship {
    pub kind: RelationshipKind,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationshipKind {
    Purchase,
    Inquiry,
}

impl RelationshipKind {
    /// How long after `at` the relationship lifts a registry listing.
    pub fn months(self) -> u32 {
        match self {
            RelationshipKind::Purchase => 18,
            RelationshipKind::Inquiry => 3,
        }
    }
}

/// A stored revocation instant for one contact (a wrong-number reply, a reassigned number):
/// every consent for the channels reaching `contact` granted before `at` is void, whenever it
/// was recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentVoid {
    /// Canonical contact (E.164 phone, lower-cased email).
    pub contact: String,
    pub at: DateTime<Utc>,
}

/// The person being contacted.
#[derive(Clone, Debug, Default)]
pub struct Lead {
    pub id: String,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    pub linkedin: Option<LinkedInId>,
    pub whatsapp: Option<Phone>,
    /// The stored zone: one candidate zone among the others (state, number prefixes); it never
    /// hides the number's own zone.
    pub timezone: Option<Tz>,
    /// ISO 3166 alpha-2, upper case (a US territory also counts as `US`).
    pub country: Option<String>,
    /// US state, DC, US territory or Canadian province, two letters or full name: its zones are
    /// candidate zones and its rules and lists apply.
    pub state: Option<String>,
    pub consents: Vec<Consent>,
    /// When the phone number was (last) reassigned to a new subscriber: consent granted
    /// before this instant was given by somebody else and is void (the same mechanism as
    /// `consent_voids`, kept for every channel's consents).
    pub number_reassigned_at: Option<DateTime<Utc>>,
    pub last_inbound_whatsapp_at: Option<DateTime<Utc>>,
    pub relationships: Vec<Relationship>,
    /// Revocation instants per contact (see [`ConsentVoid`]).
    pub consent_voids: Vec<ConsentVoid>,
}

impl Lead {
    /// Every contact of the lead, as canonical strings (for DNC matching).
    pub fn contact_keys(&self) -> impl Iterator<Item = &str> {
        [
            self.phone.as_ref().map(Phone::as_str),
            self.email.as_ref().map(Email::as_str),
            self.linkedin.as_ref().map(LinkedInId::as_str),
            self.whatsapp.as_ref().map(Phone::as_str),
        ]
        .into_iter()
        .flatten()
    }

    /// The number a touch on `channel` rings: the phone for sms and call, the WhatsApp number
    /// (else the phone) for WhatsApp, none for email and LinkedIn.
    pub fn phone_for(&self, channel: Channel) -> Option<&Phone> {
        match channel {
            Channel::Sms | Channel::Call => self.phone.as_ref(),
            Channel::Whatsapp => self.whatsapp.as_ref().or(self.phone.as_ref()),
            Channel::Email | Channel::Linkedin => None,
        }
    }

    /// The canonical contact a touch on `channel` goes to (what a permit names).
    pub fn contact_for(&self, channel: Channel) -> Option<&str> {
        match channel {
            Channel::Email => self.email.as_ref().map(Email::as_str),
            Channel::Linkedin => self.linkedin.as_ref().map(LinkedInId::as_str),
            Channel::Sms | Channel::Call | Channel::Whatsapp => {
                self.phone_for(channel).map(Phone::as_str)
            }
        }
    }
}

/// Why a contact is on the DNC list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DncReason {
    CustomerRequest,
    NationalDnc,
    /// A state do-not-call registry (CO, FL, IN, LA, MA, MS, MO, OK, PA, TN, TX, WY).
    StateDnc,
    InternalPolicy,
    LitigationHold,
    OptOutReply,
    ProviderUnsubscribed,
    /// The person answering said the number is not the lead's.
    WrongNumber,
    /// A permanent delivery failure (RFC 3464 5.x.x) for the email address.
    HardBounce,
    /// A spam complaint (RFC 5965 ARF feedback report).
    Complaint,
}

impl DncReason {
    pub const ALL: [DncReason; 10] = [
        DncReason::CustomerRequest,
        DncReason::NationalDnc,
        DncReason::StateDnc,
        DncReason::InternalPolicy,
        DncReason::LitigationHold,
        DncReason::OptOutReply,
        DncReason::ProviderUnsubscribed,
        DncReason::WrongNumber,
        DncReason::HardBounce,
        DncReason::Complaint,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DncReason::CustomerRequest => "customer_request",
            DncReason::NationalDnc => "national_dnc",
            DncReason::StateDnc => "state_dnc",
            DncReason::InternalPolicy => "internal_policy",
            DncReason::LitigationHold => "litigation_hold",
            DncReason::OptOutReply => "opt_out_reply",
            DncReason::ProviderUnsubscribed => "provider_unsubscribed",
            DncReason::WrongNumber => "wrong_number",
            DncReason::HardBounce => "hard_bounce",
            DncReason::Complaint => "complaint",
        }
    }

    /// Registry listings (national or state) yield to the recipient's own prior express
    /// consent (47 CFR 64.1200(c)(2)(ii)) or an established business relationship; the
    /// company's own rows (every other reason) never do.
    pub fn lifted_by_consent(self) -> bool {
        matches!(self, DncReason::NationalDnc | DncReason::StateDnc)
    }
}

impl FromStr for DncReason {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DncReason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| ParseError::UnknownValue {
                kind: "DNC reason",
                value: s.to_owned(),
            })
    }
}

/// One DNC row, naming a contact (canonical string) and/or a lead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DncEntry {
    pub id: String,
    pub contact: Option<String>,
    pub lead_id: Option<String>,
    pub channel: ChannelScope,
    pub reason: DncReason,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A send that counts toward caps: a past send, or a reservation taken by a touch that is
/// being sent now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendRecord {
    pub at: DateTime<Utc>,
    pub account_id: String,
    pub lead_id: String,
    /// The canonical contact it went to (E.164 for telephone channels): per-number caps
    /// count every send to a number, whichever lead or account it went through.
    pub recipient: Option<String>,
    pub channel: Channel,
    pub purpose: Purpose,
    pub action: LinkedInAction,
}

/// Workspace-wide policy that is not per account.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Marketing on sms, call and whatsapp needs a consent record (default true).
    pub require_consent: bool,
    /// Zone used when nothing about the lead locates it.
    pub default_timezone: Tz,
    /// Marketing calls, texts and WhatsApp to US numbers need a national registry no older
    /// than 31 days (47 CFR 64.1200(c)(2)(i)(D)); default false.
    pub require_registry: bool,
    /// Countries (ISO 3166-1) where WhatsApp marketing templates are not delivered; default
    /// `["US"]` (Meta's policy since 2025-04-01). US territories count as `US`.
    pub whatsapp_marketing_blocked_countries: Vec<String>,
    /// Cross-campaign caps per recipient (business rules, waivable).
    pub recipient_caps: RecipientCaps,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            require_consent: true,
            default_timezone: chrono_tz::America::New_York,
            require_registry: false,
            whatsapp_marketing_blocked_countries: vec!["US".to_owned()],
            recipient_caps: RecipientCaps::default(),
        }
    }
}

/// `[workspace_defaults] recipient_caps`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipientCaps {
    /// Marketing touches to one lead in the trailing 7 days, any channel, any account (for
    /// telephone channels also to its number, whichever lead it belongs to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketing_per_week: Option<u32>,
}

/// The sender-authentication verdict for an email touch, computed by the dispatcher (DMARC
/// record of the From domain, DKIM selector against the configured key).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SenderAuth {
    /// `require_dmarc` is off, or the touch is not an email.
    #[default]
    NotRequired,
    Authenticated,
    /// A permanent verdict: no DMARC record, or the selector does not match the key.
    Unauthenticated {
        detail: String,
    },
    /// DNS failed or timed out: not a verdict; the touch is re-decided in 5 minutes.
    LookupFailed {
        detail: String,
    },
}

/// The verdict used when the dispatcher has none: no authentication required.
pub static NO_SENDER_CHECK: SenderAuth = SenderAuth::NotRequired;

/// Everything `evaluate_send` needs besides the touch and `now`.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    pub policy: &'a Policy,
    pub account: &'a Account,
    pub lead: &'a Lead,
    /// DNC rows that may concern the lead (the gate re-checks that each one does).
    pub dnc: &'a [DncEntry],
    /// Sends of the account and to the lead and its numbers (at least the trailing 7 days).
    pub sends: &'a SendLog,
    /// Registry listings of the lead's numbers and the national list's date.
    pub registry: RegistryFacts<'a>,
    /// Blackouts of the workspace (the gate picks those that cover the recipient).
    pub blackouts: &'a [Blackout],
    /// Sender authentication, for email touches.
    pub sender: &'a SenderAuth,
}

impl<'a> Facts<'a> {
    /// Facts with no DNC rows, no listings (and no national list date), no blackouts and no
    /// sender check; set the public fields for the rest.
    pub fn new(
        policy: &'a Policy,
        account: &'a Account,
        lead: &'a Lead,
        sends: &'a SendLog,
    ) -> Facts<'a> {
        Facts {
            policy,
            account,
            lead,
            dnc: &[],
            sends,
            registry: RegistryFacts::default(),
            blackouts: &[],
            sender: &NO_SENDER_CHECK,
        }
    }
}
