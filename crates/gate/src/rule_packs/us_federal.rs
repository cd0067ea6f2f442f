//! US federal pack: the TCPA calling-hours floor for telephone solicitations.

use super::{ConsentExemption, Coverage, Jurisdiction, Rule, TELEPHONE, Verification};
use crate::facts::{TimeOfDay, Window};
use crate::quiet_hours::Schedule;

pub(super) const RULES: &[Rule] = &[Rule {
    id: "us-tcpa-calling-hours",
    jurisdiction: Jurisdiction::Country("US"),
    title: "TCPA: no telephone solicitation before 8 a.m. or after 9 p.m. called party's local time",
    citation: "47 CFR 64.1200(c)(1)",
    source: "https://www.ecfr.gov/current/title-47/chapter-I/subchapter-B/part-64/subpart-L/section-64.1200",
    effective_from: (1992, 12, 20),
    verification: Verification::Secondary(
        "text quoted by several secondary sources; eCFR not reachable from this workplace",
    ),
    coverage: Coverage {
        channels: TELEPHONE,
        marketing_only: true,
        automated_only: false,
    },
    schedule: Some(Schedule::daily(Window::new(
        TimeOfDay::hm(8, 0),
        TimeOfDay::hm(21, 0),
    ))),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::Exempt(
        "64.1200(f)(15): not a telephone solicitation with the called party's prior express invitation or permission, or with an established business relationship",
    ),
}];
