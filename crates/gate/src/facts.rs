//! The facts the gate decides from. The dispatcher fetches them; the gate never does I/O.
//! Every value here is already parsed (phones are E.164, channels are `Channel`, …).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::channel::{Channel, ChannelScope};
use crate::contact::{Email, LinkedInId, Phone};
use crate::error::ParseError;

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
}

/// A time of day as minutes after local midnight, 0..=1440 (`24:00` ends a day).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(0);
    pub const END_OF_DAY: TimeOfDay = TimeOfDay(1440);

    pub const fn hm(hour: u16, minute: u16) -> TimeOfDay {
        TimeOfDay(hour * 60 + minute)
    }

    pub fn minutes(self) -> u32 {
        u32::from(self.0)
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl FromStr for TimeOfDay {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseError::InvalidTimeOfDay(s.to_owned());
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let h: u16 = h.parse().map_err(|_| bad())?;
        let m: u16 = m.parse().map_err(|_| bad())?;
        if m >= 60 || h > 24 || (h == 24 && m != 0) {
            return Err(bad());
        }
        Ok(TimeOfDay::hm(h, m))
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An allowed window in the recipient's local time, `[start, end)`. `start > end` wraps past
/// midnight (22:00–06:00); `start == end` is rejected at parse time by the API layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub start: TimeOfDay,
    pub end: TimeOfDay,
}

impl Window {
    pub const fn new(start: TimeOfDay, end: TimeOfDay) -> Window {
        Window { start, end }
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// The account's quiet-hours setting, as in the contract: absent means the built-in
/// defaults (08:00–21:00 on call, sms and whatsapp; none on email and linkedin); a `default`
/// key sets unlisted channels (`null`: none); a channel key sets that channel (`null`: none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuietHours {
    /// `None`: key absent (built-in defaults); `Some(None)`: no window; `Some(Some(w))`: `w`.
    pub default: Option<Option<Window>>,
    pub channels: BTreeMap<Channel, Option<Window>>,
}

/// 47 CFR 64.1200(c)(1): no telephone solicitation before 8 a.m. or after 9 p.m. local time.
pub const BUILT_IN_TELEPHONE_WINDOW: Window =
    Window::new(TimeOfDay::hm(8, 0), TimeOfDay::hm(21, 0));

impl QuietHours {
    /// The account's allowed window for `channel`, or `None` when the channel has none.
    pub fn window_for(&self, channel: Channel) -> Option<Window> {
        if let Some(w) = self.channels.get(&channel) {
            return *w;
        }
        match self.default {
            Some(w) => w,
            None if channel.is_telephone() => Some(BUILT_IN_TELEPHONE_WINDOW),
            None => None,
        }
    }
}

/// Review status of a content or WhatsApp template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateStatus {
    Approved,
    Pending,
    Rejected,
    Paused,
    Disabled,
}

impl TemplateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateStatus::Approved => "approved",
            TemplateStatus::Pending => "pending",
            TemplateStatus::Rejected => "rejected",
            TemplateStatus::Paused => "paused",
            TemplateStatus::Disabled => "disabled",
        }
    }
}

/// A content template under review (`templates` in the account).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentTemplate {
    pub id: String,
    #[serde(default)]
    pub channel: Option<Channel>,
    pub status: TemplateStatus,
}

/// A WhatsApp message template as Meta reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsappTemplate {
    pub name: String,
    pub language: String,
    pub status: TemplateStatus,
}

/// India DLT registration (TRAI TCCCPR 2018): principal entity, headers, content templates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DltRegistration {
    pub entity_id: String,
    #[serde(default)]
    pub headers: Vec<String>,
    #[serde(default)]
    pub templates: Vec<DltTemplate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DltTemplate {
    pub id: String,
    pub header: String,
    /// The registered body; `{#var#}` stands for one variable.
    pub body: String,
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

/// The person being contacted.
#[derive(Clone, Debug, Default)]
pub struct Lead {
    pub id: String,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    pub linkedin: Option<LinkedInId>,
    pub whatsapp: Option<Phone>,
    pub timezone: Option<Tz>,
    /// ISO 3166 alpha-2, upper case.
    pub country: Option<String>,
    /// US state / Canadian province, two letters or full name.
    pub state: Option<String>,
    pub consents: Vec<Consent>,
    /// When the phone number was (last) reassigned to a new subscriber: consent granted
    /// before this instant was given by somebody else and is void.
    pub number_reassigned_at: Option<DateTime<Utc>>,
    pub last_inbound_whatsapp_at: Option<DateTime<Utc>>,
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
}

impl DncReason {
    pub const ALL: [DncReason; 7] = [
        DncReason::CustomerRequest,
        DncReason::NationalDnc,
        DncReason::StateDnc,
        DncReason::InternalPolicy,
        DncReason::LitigationHold,
        DncReason::OptOutReply,
        DncReason::ProviderUnsubscribed,
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
        }
    }

    /// Registry listings (national or state) yield to the recipient's own prior express
    /// consent (47 CFR 64.1200(c)(2)(ii)); a person's own request never does.
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
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            require_consent: true,
            default_timezone: chrono_tz::America::New_York,
        }
    }
}

/// Everything `evaluate_send` needs besides the touch and `now`.
#[derive(Clone, Debug)]
pub struct Facts<'a> {
    pub policy: &'a Policy,
    pub account: &'a Account,
    pub lead: &'a Lead,
    /// DNC rows that may concern the lead (the gate re-checks that each one does).
    pub dnc: &'a [DncEntry],
    /// Recent sends of this account and to this lead (at least the trailing 7 days).
    pub recent_sends: &'a [SendRecord],
}
