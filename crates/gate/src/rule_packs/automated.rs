//! Automated-contact pack: state laws on automatic dialing-announcing devices (ADAD) and
//! autodialers, and the CRTC's ADAD rules. They apply only to touches marked `automated` (a
//! call placed by an autodialer or carrying a prerecorded or artificial voice, or a text sent
//! by an autodialer), on top of the ordinary rules: where an ADAD window is looser than the
//! state's general one (Kentucky), the general one still binds.
//!
//! Like the other packs they cover marketing on call, sms and whatsapp (failing safe where a
//! statute names calls only). Sources are the project's regulations notes (§ 7) unless a rule
//! says otherwise; none of these statute texts was read in full.

use super::{
    ConsentExemption, Coverage, Jurisdiction, RecipientCap, Rule, TELEPHONE, Verification,
};
use crate::facts::{TimeOfDay, Window};
use crate::quiet_hours::Schedule;

const AUTOMATED_MARKETING: Coverage = Coverage {
    channels: TELEPHONE,
    marketing_only: true,
    automated_only: true,
};

const fn us(code: &'static str) -> Jurisdiction {
    Jurisdiction::Subdivision {
        country: "US",
        code,
    }
}

const fn window(start_h: u16, end_h: u16) -> Window {
    Window::new(TimeOfDay::hm(start_h, 0), TimeOfDay::hm(end_h, 0))
}

const NOTES: &str = "/work/shared/design/regulations.md § 7 (project research notes)";

/// An ADAD rule known only from the project's research notes: hours in the recipient's local
/// time, statute text not read, effective date unknown (enforced from 2000-01-01).
const fn from_notes(
    id: &'static str,
    code: &'static str,
    title: &'static str,
    citation: &'static str,
    schedule: Schedule,
) -> Rule {
    Rule {
        id,
        jurisdiction: us(code),
        title,
        citation,
        source: NOTES,
        effective_from: (2000, 1, 1),
        verification: Verification::Secondary(
            "hours from the project's regulations notes; statute text not read; effective date not verified (enforced from 2000-01-01)",
        ),
        coverage: AUTOMATED_MARKETING,
        schedule: Some(schedule),
        recipient_cap: None,
        fixed_zone: None,
        consent_exemption: ConsentExemption::Unknown,
    }
}

/// Oklahoma: automatic dialing-announcing devices only 9 a.m.–9 p.m.
const US_OK_ADAD: Rule = from_notes(
    "us-ok-adad-hours",
    "OK",
    "Oklahoma: automatic dialing-announcing device calls only 9 a.m.–9 p.m.",
    "Okla. Stat. tit. 15, § 755.1",
    Schedule::daily(window(9, 21)),
);

/// Nevada: automated (ADAD) calls only 9 a.m.–9 p.m. (Vendor tables give 9 a.m.–8 p.m. for
/// Nevada without naming a statute; not encoded, see RULE_PACKS.md.)
const US_NV_ADAD: Rule = from_notes(
    "us-nv-adad-hours",
    "NV",
    "Nevada: automatic dialing-announcing device calls only 9 a.m.–9 p.m.",
    "NRS 597.814(2)",
    Schedule::daily(window(9, 21)),
);

/// South Dakota: automatic telephone dialing systems on weekdays only, 9 a.m.–9 p.m.
const US_SD_ADAD: Rule = Rule {
    verification: Verification::Secondary(
        "weekday-only 9 a.m.–9 p.m. from the project's regulations notes; statute text and section number not verified; effective date not verified (enforced from 2000-01-01)",
    ),
    ..from_notes(
        "us-sd-adad-hours",
        "SD",
        "South Dakota: automatic dialing systems only on weekdays, 9 a.m.–9 p.m.",
        "S.D. Codified Laws § 37-30-28 (as cited in the project's notes)",
        Schedule::weekly(Some(window(9, 21)), None, None),
    )
};

/// Maine: a permitted use of an automated telephone calling device for solicitation calls
/// only on weekdays 9 a.m.–5 p.m. Maine time, and at most one solicitation call to a number in
/// each 8-hour period (10 M.R.S. § 1498(3)).
const US_ME_ADAD: Rule = Rule {
    id: "us-me-adad-hours",
    jurisdiction: us("ME"),
    title: "Maine: automated solicitation calls only on weekdays, 9 a.m.–5 p.m., at most one to a number in 8 hours",
    citation: "10 M.R.S. § 1498(3)",
    source: "https://legislature.maine.gov/legis/bills/bills_121st/billtexts/LD039201-1.asp",
    effective_from: (1992, 7, 9),
    verification: Verification::Secondary(
        "sub-§ 3 read as quoted (unchanged) in LD 392 of the 121st Legislature, as amended by P.L. 1991, c. 524; later amendments not checked; effective date assumed from that chapter",
    ),
    coverage: AUTOMATED_MARKETING,
    schedule: Some(Schedule::weekly(Some(window(9, 17)), None, None)),
    recipient_cap: Some(RecipientCap {
        limit: 1,
        window_hours: 8,
    }),
    fixed_zone: None,
    consent_exemption: ConsentExemption::NotExempt(
        "§ 1498(6) excepts only status information to purchasers, replies to the called person's own inquiry, government, charitable and political calls",
    ),
};

/// Kentucky: automated calls only 8 a.m.–9 p.m. (looser than the 10 a.m. start of the
/// general Kentucky rule, which still binds).
const US_KY_ADAD: Rule = from_notes(
    "us-ky-adad-hours",
    "KY",
    "Kentucky: automated calls only 8 a.m.–9 p.m.",
    "KRS 367.461",
    Schedule::daily(window(8, 21)),
);

/// Minnesota's ADAD law (Minn. Stat. §§ 325E.26–.31): an ADAD may deliver a message only
/// with the subscriber's consent (§ 325E.27, read in the Attorney General's memorandum), and
/// vendor state guides give 9 a.m.–9 p.m. for Minnesota, which is the ADAD window.
const US_MN_ADAD: Rule = Rule {
    id: "us-mn-adad-hours",
    jurisdiction: us("MN"),
    title: "Minnesota: automatic dialing-announcing device calls only 9 a.m.–9 p.m.",
    citation: "Minn. Stat. §§ 325E.26–.31",
    source: "http://www.ag.state.mn.us/Consumer/Utilities/AutoDialingDeviceLaw.asp",
    effective_from: (2000, 1, 1),
    verification: Verification::Secondary(
        "9 a.m.–9 p.m. from vendor state guides; the hours subsection was not read (only § 325E.27 in the AG's memorandum); effective date not verified (enforced from 2000-01-01)",
    ),
    coverage: AUTOMATED_MARKETING,
    schedule: Some(Schedule::daily(window(9, 21))),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::NotExempt(
        "consent is what makes an ADAD message lawful at all (§ 325E.27); the hours are not reported as exempting it",
    ),
};

/// CRTC Unsolicited Telecommunications Rules, Part IV (Automatic Dialing-Announcing Device
/// Rules): ADAD calls, where permitted, in the same hours as telemarketing: 9:00 a.m.–9:30 p.m.
/// weekdays, 10:00 a.m.–6:00 p.m. weekends.
const CA_CRTC_ADAD: Rule = Rule {
    id: "ca-crtc-adad-hours",
    jurisdiction: Jurisdiction::Country("CA"),
    title: "Canada: automatic dialing-announcing device calls only 9:00 a.m.–9:30 p.m. weekdays and 10:00 a.m.–6:00 p.m. weekends",
    citation: "CRTC Unsolicited Telecommunications Rules, Part IV (ADAD Rules)",
    source: "https://crtc.gc.ca/eng/trules-reglest.htm",
    effective_from: (2008, 9, 30),
    verification: Verification::Secondary(
        "Part IV named in the project's regulations notes; its hours were not read and are taken to be Part III's",
    ),
    coverage: AUTOMATED_MARKETING,
    schedule: Some(Schedule::weekly(
        Some(Window::new(TimeOfDay::hm(9, 0), TimeOfDay::hm(21, 30))),
        Some(window(10, 18)),
        Some(window(10, 18)),
    )),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::Unknown,
};

pub(super) const RULES: &[Rule] = &[
    US_OK_ADAD,
    US_NV_ADAD,
    US_SD_ADAD,
    US_ME_ADAD,
    US_KY_ADAD,
    US_MN_ADAD,
    CA_CRTC_ADAD,
];
