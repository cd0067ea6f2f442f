//! India pack: TRAI's time band for promotional SMS.

use super::{ConsentExemption, Coverage, Jurisdiction, Rule, Verification};
use crate::channel::Channel;
use crate::facts::{TimeOfDay, Window};
use crate::quiet_hours::Schedule;

/// TRAI Telecom Commercial Communications Customer Preference Regulations, 2018 (issued
/// July 19, 2018): promotional commercial communication by SMS is delivered only
/// 09:00–21:00 IST; transactional and service messages are not time-restricted. TCCCPR covers
/// telecom networks, not OTT apps, so WhatsApp is not covered; voice is left to the account's
/// windows until the voice time band is confirmed. The regulation is published at
/// <https://trai.gov.in/tcccpr>; the band was read in a vendor's summary of it.
const IN_PROMOTIONAL_SMS: Rule = Rule {
    id: "in-trai-promotional-sms-hours",
    jurisdiction: Jurisdiction::Country("IN"),
    title: "India: promotional SMS only 09:00–21:00 IST",
    citation: "TRAI Telecom Commercial Communications Customer Preference Regulations, 2018",
    source: "https://developer.exotel.com/docs/faqs/tcccpr-2018",
    effective_from: (2018, 7, 19),
    verification: Verification::Secondary(
        "regulation text not read; 09:00–21:00 IST from operator and vendor summaries (Exotel, Syniverse); a 10:00–21:00 band is sometimes quoted",
    ),
    coverage: Coverage {
        channels: &[Channel::Sms],
        marketing_only: true,
        automated_only: false,
    },
    schedule: Some(Schedule::daily(Window::new(
        TimeOfDay::hm(9, 0),
        TimeOfDay::hm(21, 0),
    ))),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::Unknown,
};

pub(super) const RULES: &[Rule] = &[IN_PROMOTIONAL_SMS];
