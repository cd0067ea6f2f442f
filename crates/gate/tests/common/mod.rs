//! The fixture and assertions shared by the `evaluate` test files: a lead in San Francisco, an
//! active account, one scenario per reason code, and checks of a decision's report.

// Test helpers unwrap and panic on malformed fixtures; not every test file uses every helper.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use chrono::{DateTime, Duration, Utc};
use gate::{
    Account, AccountStatus, Blackout, Channel, ChannelLimits, ChannelScope, Check, Consent,
    ContentTemplate, Decision, DltRegistration, DltTemplate, DncEntry, DncReason, Email, Facts,
    Lead, LinkedInAction, LinkedInId, Phone, Policy, Purpose, Reason, RegistryFacts,
    RegistryListing, SendLog, SendRecord, SenderAuth, TemplateRef, TemplateStatus, TimeOfDay,
    Touch, Waivers, WhatsappTemplate, Window, evaluate_send_waiving,
};

// ---------------------------------------------------------------------------------------------
// Fixture
// ---------------------------------------------------------------------------------------------

/// Wednesday 2026-11-18 10:00 PST (13:00 EST, 11:00 MST).
pub const NOW: &str = "2026-11-18T18:00:00Z";
pub const SF_PHONE: &str = "+14155550123";
pub const MIAMI_PHONE: &str = "+13055550123";
/// +1 208 200 …: libphonenumber maps this prefix to America/Boise and America/Los_Angeles.
pub const IDAHO_MULTI_ZONE: &str = "+12082001234";
pub const INDIA_PHONE: &str = "+91 98765 43210";
pub const EMAIL: &str = "ana@example.com";
pub const ACCOUNT: &str = "sdr-1";
pub const LEAD: &str = "lead-7";

pub fn utc(s: &str) -> DateTime<Utc> {
    s.parse().expect("RFC 3339 instant")
}

pub fn now() -> DateTime<Utc> {
    utc(NOW)
}

pub fn phone(s: &str) -> Phone {
    Phone::parse(s, None).expect("valid phone")
}

pub fn consent(channel: Channel, granted_at: &str) -> Consent {
    Consent {
        channel,
        purpose: Purpose::Marketing,
        granted_at: utc(granted_at),
        revoked_at: None,
        source: Some("web_form".into()),
    }
}

pub fn window(sh: u16, sm: u16, eh: u16, em: u16) -> Window {
    Window::new(TimeOfDay::hm(sh, sm), TimeOfDay::hm(eh, em))
}

pub fn dnc(
    id: &str,
    contact: Option<&str>,
    lead_id: Option<&str>,
    channel: ChannelScope,
    reason: DncReason,
    expires_at: Option<DateTime<Utc>>,
) -> DncEntry {
    DncEntry {
        id: id.into(),
        contact: contact.map(Into::into),
        lead_id: lead_id.map(Into::into),
        channel,
        reason,
        expires_at,
    }
}

pub fn sent(at: DateTime<Utc>, account: &str, lead: &str, channel: Channel) -> SendRecord {
    SendRecord {
        at,
        account_id: account.into(),
        lead_id: lead.into(),
        recipient: None,
        channel,
        purpose: Purpose::Marketing,
        action: LinkedInAction::Message,
    }
}

/// Owns everything a decision borrows, so that a test can tweak one fact and evaluate.
#[derive(Clone, Debug)]
pub struct Fx {
    pub policy: Policy,
    pub account: Account,
    pub lead: Lead,
    pub dnc: Vec<DncEntry>,
    pub sends: Vec<SendRecord>,
    /// `(account, channel, first send)` noted on the send log (warm-up).
    pub first_sends: Vec<(String, Channel, DateTime<Utc>)>,
    pub listings: Vec<RegistryListing>,
    pub national_as_of: Option<chrono::NaiveDate>,
    pub blackouts: Vec<Blackout>,
    pub sender: SenderAuth,
    pub touch: Touch,
}

impl Fx {
    /// Ana in San Francisco: phone and WhatsApp +14155550123 (America/Los_Angeles), email,
    /// LinkedIn, marketing consent on sms, call and whatsapp; an active account without
    /// limits; the default policy; a marketing sms touch.
    pub fn new() -> Fx {
        let lead = Lead {
            id: LEAD.into(),
            phone: Some(phone(SF_PHONE)),
            email: Some(Email::parse(EMAIL).expect("valid email")),
            linkedin: Some(LinkedInId::parse("https://www.linkedin.com/in/ana").expect("valid id")),
            whatsapp: Some(phone(SF_PHONE)),
            timezone: None,
            country: Some("US".into()),
            state: None,
            consents: vec![
                consent(Channel::Sms, "2026-01-01T00:00:00Z"),
                consent(Channel::Call, "2026-01-01T00:00:00Z"),
                consent(Channel::Whatsapp, "2026-01-01T00:00:00Z"),
            ],
            number_reassigned_at: None,
            last_inbound_whatsapp_at: None,
            relationships: Vec::new(),
            consent_voids: Vec::new(),
        };
        let account = Account {
            id: ACCOUNT.into(),
            status: AccountStatus::Active,
            ..Account::default()
        };
        let touch = Touch {
            id: "touch-1".into(),
            account_id: ACCOUNT.into(),
            lead_id: LEAD.into(),
            channel: Channel::Sms,
            purpose: Purpose::Marketing,
            template: None,
            body: Some("Hi Ana, quick question about your fleet".into()),
            action: LinkedInAction::Message,
            automated: false,
        };
        Fx {
            policy: Policy::default(),
            account,
            lead,
            dnc: Vec::new(),
            sends: Vec::new(),
            first_sends: Vec::new(),
            listings: Vec::new(),
            national_as_of: None,
            blackouts: Vec::new(),
            sender: SenderAuth::NotRequired,
            touch,
        }
    }

    pub fn on(mut self, channel: Channel) -> Fx {
        self.touch.channel = channel;
        self
    }

    pub fn transactional(mut self) -> Fx {
        self.touch.purpose = Purpose::Transactional;
        self
    }

    /// The lead's phone and WhatsApp number become `number`.
    pub fn with_phone(mut self, number: &str) -> Fx {
        self.lead.phone = Some(phone(number));
        self.lead.whatsapp = Some(phone(number));
        self
    }

    pub fn limits(mut self, channel: Channel, limits: ChannelLimits) -> Fx {
        self.account.limits.insert(channel, limits);
        self
    }

    pub fn eval(&self, at: DateTime<Utc>) -> Decision {
        self.eval_waiving(at, Waivers::NONE)
    }

    /// The send log the dispatcher would build from `sends` and `first_sends`.
    pub fn send_log(&self) -> SendLog {
        let mut log = SendLog::from_records(&self.sends);
        for (account, channel, at) in &self.first_sends {
            log.note_first_send(account, *channel, *at);
        }
        log
    }

    pub fn eval_waiving(&self, at: DateTime<Utc>, waivers: Waivers) -> Decision {
        let log = self.send_log();
        let facts = Facts {
            policy: &self.policy,
            account: &self.account,
            lead: &self.lead,
            dnc: &self.dnc,
            sends: &log,
            registry: RegistryFacts {
                listings: &self.listings,
                national_as_of: self.national_as_of,
            },
            blackouts: &self.blackouts,
            sender: &self.sender,
        };
        evaluate_send_waiving(&self.touch, &facts, at, waivers)
    }
}

/// The Indian lead of the DLT scenarios and a registered account; 11:30 IST.
pub fn india() -> (Fx, DateTime<Utc>) {
    let mut fx = Fx::new().with_phone(INDIA_PHONE);
    fx.lead.country = Some("IN".into());
    fx.account.dlt = Some(DltRegistration {
        entity_id: "1101234567890".into(),
        headers: vec!["ACMEIN".into()],
        templates: vec![DltTemplate {
            id: "1107000000001".into(),
            header: "ACMEIN".into(),
            body: "Hi {#var#}, your demo is booked for {#var#}.".into(),
        }],
    });
    fx.touch.template = Some(TemplateRef {
        id: Some("1107000000001".into()),
        ..TemplateRef::default()
    });
    fx.touch.body = Some("Hi Ana, your demo is booked for Friday.".into());
    (fx, utc("2026-11-18T06:00:00Z"))
}

pub fn whatsapp_template(fx: &mut Fx, status: TemplateStatus) {
    fx.touch.channel = Channel::Whatsapp;
    fx.touch.template = Some(TemplateRef {
        id: None,
        name: Some("nov_promo".into()),
        language: Some("en_US".into()),
    });
    fx.account.whatsapp_templates = vec![WhatsappTemplate {
        name: "nov_promo".into(),
        language: "en_US".into(),
        status,
        category: None,
    }];
}

/// A representative scenario for each reason code: facts, and the instant to evaluate at.
/// Exhaustive on purpose: a new reason code must get a scenario here.
pub fn scenario(reason: Reason) -> (Fx, DateTime<Utc>) {
    let mut fx = Fx::new();
    let mut at = now();
    match reason {
        Reason::AccountPaused => fx.account.status = AccountStatus::Paused,
        Reason::ChannelPaused => fx.account.paused_channels = vec![Channel::Sms],
        Reason::SenderUnauthenticated => {
            fx = fx.on(Channel::Email);
            fx.sender = SenderAuth::Unauthenticated {
                detail: "acme.example publishes no DMARC record".into(),
            };
        }
        Reason::InvalidRecipient => {
            fx = fx.on(Channel::Email);
            fx.lead.email = None;
        }
        Reason::LitigationHold => {
            fx.dnc = vec![
                dnc(
                    "dnc-cr",
                    Some(SF_PHONE),
                    None,
                    ChannelScope::All,
                    DncReason::CustomerRequest,
                    None,
                ),
                dnc(
                    "dnc-hold",
                    Some(SF_PHONE),
                    None,
                    ChannelScope::All,
                    DncReason::LitigationHold,
                    None,
                ),
            ];
        }
        Reason::DncListed => {
            fx.dnc = vec![dnc(
                "dnc-1",
                Some(SF_PHONE),
                None,
                ChannelScope::Only(Channel::Sms),
                DncReason::CustomerRequest,
                None,
            )];
        }
        Reason::RegistryStale => {
            fx.policy.require_registry = true;
            fx.national_as_of = chrono::NaiveDate::from_ymd_opt(2026, 10, 1);
        }
        Reason::ConsentMissing => fx.lead.consents.clear(),
        Reason::DltNotRegistered => {
            (fx, at) = india();
            fx.account.dlt = None;
        }
        Reason::DltTemplateMismatch => {
            (fx, at) = india();
            fx.touch.body = Some("Hi Ana, 50% off everything this week only!".into());
        }
        Reason::TemplateUnapproved => {
            fx = fx.on(Channel::Email);
            fx.touch.template = Some(TemplateRef {
                id: Some("tpl-42".into()),
                ..TemplateRef::default()
            });
            fx.account.templates = vec![ContentTemplate {
                id: "tpl-42".into(),
                channel: None,
                status: TemplateStatus::Rejected,
            }];
        }
        Reason::WhatsappTemplateUnapproved => whatsapp_template(&mut fx, TemplateStatus::Pending),
        Reason::WhatsappMarketingRestricted => {
            whatsapp_template(&mut fx, TemplateStatus::Approved);
            if let Some(t) = fx.account.whatsapp_templates.first_mut() {
                t.category = Some(gate::WhatsappCategory::Marketing);
            }
        }
        Reason::WhatsappWindowClosed => {
            fx = fx.on(Channel::Whatsapp);
            fx.lead.last_inbound_whatsapp_at = Some(now() - Duration::hours(25));
        }
        Reason::Blackout => {
            fx.blackouts = vec![Blackout {
                id: "bo-1".into(),
                region: "US-CA".parse().expect("region"),
                starts_at: now() - Duration::hours(2),
                ends_at: now() + Duration::hours(3),
                channels: vec![ChannelScope::All],
                purpose: gate::BlackoutPurpose::Marketing,
                reason: "state of emergency: wildfire".into(),
            }];
        }
        // 03:12 PST.
        Reason::QuietHours => at = utc("2026-11-18T11:12:00Z"),
        Reason::MinGap => {
            fx = fx.limits(
                Channel::Sms,
                ChannelLimits {
                    min_gap_seconds: Some(900),
                    ..ChannelLimits::default()
                },
            );
            fx.sends = vec![
                sent(
                    now() - Duration::minutes(5),
                    ACCOUNT,
                    "lead-1",
                    Channel::Sms,
                ),
                // Neither another channel nor another account counts toward the gap.
                sent(
                    now() - Duration::minutes(1),
                    ACCOUNT,
                    "lead-2",
                    Channel::Email,
                ),
                sent(
                    now() - Duration::minutes(1),
                    "sdr-2",
                    "lead-3",
                    Channel::Sms,
                ),
            ];
        }
        Reason::HourlyLimit => {
            fx = fx.limits(
                Channel::Sms,
                ChannelLimits {
                    hourly: Some(3),
                    ..ChannelLimits::default()
                },
            );
            fx.sends = [50, 40, 10]
                .into_iter()
                .map(|m| {
                    sent(
                        now() - Duration::minutes(m),
                        ACCOUNT,
                        "lead-1",
                        Channel::Sms,
                    )
                })
                .collect();
            // Outside the trailing hour.
            fx.sends.push(sent(
                now() - Duration::minutes(61),
                ACCOUNT,
                "lead-1",
                Channel::Sms,
            ));
        }
        Reason::DailyLimit => {
            fx = fx.limits(
                Channel::Sms,
                ChannelLimits {
                    daily: Some(2),
                    ..ChannelLimits::default()
                },
            );
            fx.sends = vec![
                sent(now() - Duration::hours(23), ACCOUNT, "lead-1", Channel::Sms),
                sent(now() - Duration::hours(2), ACCOUNT, "lead-2", Channel::Sms),
                sent(now() - Duration::hours(25), ACCOUNT, "lead-3", Channel::Sms),
            ];
        }
        Reason::WeeklyLimit => {
            fx = fx.on(Channel::Linkedin).limits(
                Channel::Linkedin,
                ChannelLimits {
                    weekly_invites: Some(2),
                    ..ChannelLimits::default()
                },
            );
            fx.touch.action = LinkedInAction::Invite;
            let invite = |d: i64| SendRecord {
                action: LinkedInAction::Invite,
                ..sent(
                    now() - Duration::days(d),
                    ACCOUNT,
                    "lead-1",
                    Channel::Linkedin,
                )
            };
            fx.sends = vec![invite(6), invite(1), invite(8)];
        }
        Reason::RecipientFrequency => {
            // 12:00 EST in Miami; three marketing solicitations in the trailing 24 h, from
            // three different accounts, on sms and call.
            fx = fx.with_phone(MIAMI_PHONE);
            at = utc("2026-11-18T17:00:00Z");
            fx.sends = vec![
                sent(at - Duration::hours(20), ACCOUNT, LEAD, Channel::Sms),
                sent(at - Duration::hours(10), "sdr-2", LEAD, Channel::Call),
                sent(at - Duration::hours(1), "sdr-3", LEAD, Channel::Sms),
                // Not counted: transactional, email, another lead, older than 24 h.
                SendRecord {
                    purpose: Purpose::Transactional,
                    ..sent(at - Duration::hours(2), ACCOUNT, LEAD, Channel::Sms)
                },
                sent(at - Duration::hours(3), ACCOUNT, LEAD, Channel::Email),
                sent(at - Duration::hours(4), ACCOUNT, "lead-9", Channel::Sms),
                sent(at - Duration::hours(25), ACCOUNT, LEAD, Channel::Sms),
            ];
        }
        Reason::RecipientCap => {
            // Five marketing touches this week across campaigns, accounts and channels.
            fx.policy.recipient_caps.marketing_per_week = Some(5);
            fx.sends = [1, 2, 3, 4, 6]
                .into_iter()
                .zip([
                    Channel::Email,
                    Channel::Sms,
                    Channel::Call,
                    Channel::Linkedin,
                    Channel::Sms,
                ])
                .map(|(d, c)| sent(now() - Duration::days(d), "sdr-2", LEAD, c))
                .collect();
        }
    }
    (fx, at)
}

// ---------------------------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------------------------

pub const CHECK_ORDER: [Check; 22] = Check::ALL;

/// The reason a failing check gives (the DLT check can also give `dlt_template_mismatch`).
pub fn check_of(check: Check) -> Reason {
    match check {
        Check::AccountStatus => Reason::AccountPaused,
        Check::ChannelStatus => Reason::ChannelPaused,
        Check::SenderAuthentication => Reason::SenderUnauthenticated,
        Check::Recipient => Reason::InvalidRecipient,
        Check::LitigationHold => Reason::LitigationHold,
        Check::Dnc => Reason::DncListed,
        Check::RegistryFreshness => Reason::RegistryStale,
        Check::Consent => Reason::ConsentMissing,
        Check::Dlt => Reason::DltNotRegistered,
        Check::Template => Reason::TemplateUnapproved,
        Check::WhatsappTemplate => Reason::WhatsappTemplateUnapproved,
        Check::WhatsappMarketing => Reason::WhatsappMarketingRestricted,
        Check::WhatsappWindow => Reason::WhatsappWindowClosed,
        Check::Blackout => Reason::Blackout,
        Check::AccountQuietHours | Check::QuietHours => Reason::QuietHours,
        Check::MinGap => Reason::MinGap,
        Check::HourlyLimit => Reason::HourlyLimit,
        Check::DailyLimit => Reason::DailyLimit,
        Check::WeeklyLimit => Reason::WeeklyLimit,
        Check::RecipientFrequency => Reason::RecipientFrequency,
        Check::RecipientCap => Reason::RecipientCap,
    }
}

/// Every check reported, once, in contract order.
#[track_caller]
pub fn assert_report_shape(d: &Decision) {
    let order: Vec<Check> = d.checks.iter().map(|c| c.check).collect();
    assert_eq!(
        order, CHECK_ORDER,
        "checks must be reported in order: {d:#?}"
    );
    for c in &d.checks {
        assert_eq!(c.passed, c.reason.is_none(), "{c:?}");
        if !c.passed {
            assert!(
                c.detail.as_deref().is_some_and(|s| !s.is_empty()),
                "failed check without detail: {c:?}"
            );
        }
    }
    let first = d.checks.iter().find_map(|c| c.reason);
    assert_eq!(d.reason, first, "reason is the first failing check");
    assert_eq!(d.allowed, first.is_none());
}

/// Blocked for `reason` (the first failing check), with a detail mentioning every string of
/// `mentions` and the given `retry_after`; no permit.
#[track_caller]
pub fn assert_blocked(
    d: &mut Decision,
    reason: Reason,
    mentions: &[&str],
    retry_after: Option<DateTime<Utc>>,
) {
    assert!(!d.allowed, "expected a {reason} block: {d:#?}");
    assert_eq!(d.reason, Some(reason), "{d:#?}");
    assert_report_shape(d);
    // The first check failing with that reason (quiet hours: the account's window or a rule
    // pack's).
    let check = d
        .checks
        .iter()
        .find(|c| c.reason == Some(reason))
        .expect("the failing check is reported");
    assert!(!check.passed);
    assert_eq!(check.reason, Some(reason));
    let detail = check.detail.clone().unwrap_or_default();
    for m in mentions {
        assert!(
            detail.contains(m),
            "{reason} detail {detail:?} should mention {m:?}"
        );
    }
    assert_eq!(
        d.retry_after, retry_after,
        "retry_after of a {reason} block: {d:#?}"
    );
    assert_eq!(d.is_permanent_block(), retry_after.is_none());
    assert!(
        d.take_permit().is_none(),
        "a blocked decision carries no permit"
    );
}

#[track_caller]
pub fn assert_allowed(d: &mut Decision) {
    assert!(d.allowed, "expected allowed: {d:#?}");
    assert_eq!(d.reason, None);
    assert_eq!(d.retry_after, None);
    assert_report_shape(d);
    assert!(d.checks.iter().all(|c| c.passed));
    assert!(
        d.take_permit().is_some(),
        "an allowed decision carries a permit"
    );
}

pub fn passed(d: &Decision, check: Check) -> bool {
    d.check(check).is_some_and(|c| c.passed)
}

/// The rule a check names (rule-pack checks).
pub fn rule_of(d: &Decision, check: Check) -> Option<&str> {
    d.check(check).and_then(|c| c.rule.as_deref())
}
