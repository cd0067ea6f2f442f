//! Canada pack: the CRTC telemarketing hours for the whole country. Provinces may be
//! stricter; none is encoded yet.

use super::{ConsentExemption, Coverage, Jurisdiction, Rule, TELEPHONE, Verification};
use crate::facts::{TimeOfDay, Window};
use crate::quiet_hours::Schedule;

const WEEKDAYS: Window = Window::new(TimeOfDay::hm(9, 0), TimeOfDay::hm(21, 30));
const WEEKENDS: Window = Window::new(TimeOfDay::hm(10, 0), TimeOfDay::hm(18, 0));

/// CRTC Unsolicited Telecommunications Rules, Part III (Telemarketing Rules): telemarketing
/// only 9:00 a.m.–9:30 p.m. Monday–Friday and 10:00 a.m.–6:00 p.m. Saturday and Sunday, in
/// the recipient's local time. In force with the National DNCL, September 30, 2008 (Telecom
/// Decisions CRTC 2007-48 and 2008-6). The official amalgamated rules are at
/// <https://crtc.gc.ca/eng/trules-reglest.htm>; the hours were read in a carrier's summary.
/// The CRTC rules speak of telemarketing telecommunications (voice and fax); texts are
/// covered here too, failing safe.
const CA_HOURS: Rule = Rule {
    id: "ca-crtc-telemarketing-hours",
    jurisdiction: Jurisdiction::Country("CA"),
    title: "Canada: telemarketing only 9:00 a.m.–9:30 p.m. weekdays and 10:00 a.m.–6:00 p.m. weekends",
    citation: "CRTC Unsolicited Telecommunications Rules, Part III (Telemarketing Rules)",
    source: "https://www.northerntel.ca/eng/inside_ntl/donotcalllist/donotcalllist.htm",
    effective_from: (2008, 9, 30),
    verification: Verification::Secondary(
        "hours from a carrier's summary of the CRTC rules; the rule text and section number at crtc.gc.ca were not read; provinces may be stricter",
    ),
    coverage: Coverage {
        channels: TELEPHONE,
        marketing_only: true,
        automated_only: false,
    },
    schedule: Some(Schedule::weekly(
        Some(WEEKDAYS),
        Some(WEEKENDS),
        Some(WEEKENDS),
    )),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::Unknown,
};

pub(super) const RULES: &[Rule] = &[CA_HOURS];
