//! US state pack: calling hours, Sunday and holiday bans and per-recipient caps of state
//! telephone-solicitation laws that are stricter than the federal floor.
//!
//! Every rule here covers every marketing touch on call, sms and whatsapp, automated or not.
//! Where a statute speaks of "calls" only the rule still covers all three channels: the gate
//! fails safe, and several states have since brought texts under their laws expressly. Rules
//! that restrict only automated contact (autodialers, prerecorded voice) are not here but in
//! the automated pack (`automated.rs`), which applies to touches marked `automated` only.
//! Windows are in the recipient's local time, end exclusive ("after 8 p.m." blocks 20:00).
//!
//! Every state, DC and territory has a row in `crates/gate/RULE_PACKS.md` saying what is
//! encoded, what is not and why (e.g. Illinois: the federal window; Michigan, Wyoming: no
//! primary text found; Pennsylvania's 2025–26 SB 992: not enacted).

use super::{
    ConsentExemption, Coverage, Jurisdiction, RecipientCap, Rule, TELEPHONE, Verification,
};
use crate::facts::{TimeOfDay, Window};
use crate::holidays::HolidayCalendar;
use crate::quiet_hours::{HolidayRule, Schedule};

const fn us(code: &'static str) -> Jurisdiction {
    Jurisdiction::Subdivision {
        country: "US",
        code,
    }
}

const fn window(start_h: u16, start_m: u16, end_h: u16, end_m: u16) -> Window {
    Window::new(TimeOfDay::hm(start_h, start_m), TimeOfDay::hm(end_h, end_m))
}

const TELEPHONE_MARKETING: Coverage = Coverage {
    channels: TELEPHONE,
    marketing_only: true,
    automated_only: false,
};

/// Florida, Oklahoma, Maryland: three solicitations to a person in 24 hours.
const THREE_PER_DAY: RecipientCap = RecipientCap {
    limit: 3,
    window_hours: 24,
};

const EIGHT_TO_EIGHT: Window = window(8, 0, 20, 0);
const NINE_TO_NINE: Window = window(9, 0, 21, 0);
const EIGHT_TO_NINE: Window = window(8, 0, 21, 0);

/// No contact at all on a holiday of `calendar`.
const fn closed_on(calendar: HolidayCalendar) -> HolidayRule {
    HolidayRule {
        calendar,
        window: None,
    }
}

/// Florida Telemarketing Act hours, as amended by CS/SB 1120 (2021, ch. 2021-185) with the
/// Florida Telephone Solicitation Act changes. Text read in a copy of the current § 501.616;
/// the enacted wording is also in the adopted Senate floor amendment 826808.
const US_FL_HOURS: Rule = Rule {
    id: "us-fl-ftsa-hours",
    jurisdiction: us("FL"),
    title: "Florida: no commercial telephone solicitation before 8 a.m. or after 8 p.m. in the called person's time zone",
    citation: "Fla. Stat. § 501.616(6)(a)",
    source: "http://www.lawserver.com/law/state/florida/statutes/florida_statutes_501-616",
    effective_from: (2021, 7, 1),
    verification: Verification::Primary,
    coverage: TELEPHONE_MARKETING,
    schedule: Some(Schedule::daily(EIGHT_TO_EIGHT)),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::Unknown,
};

/// Florida: at most three solicitation calls to a person in 24 hours "on the same subject
/// matter or issue, regardless of the phone number used". The gate counts every covered
/// marketing touch to the recipient, whatever the subject: stricter, never looser.
const US_FL_CAP: Rule = Rule {
    id: "us-fl-ftsa-cap",
    jurisdiction: us("FL"),
    title: "Florida: no more than three commercial telephone solicitation calls to a person in 24 hours on the same subject",
    citation: "Fla. Stat. § 501.616(6)(b)",
    source: "https://flsenate.gov/Session/Bill/2021/1120/Amendment/826808/HTML",
    effective_from: (2021, 7, 1),
    verification: Verification::Primary,
    coverage: TELEPHONE_MARKETING,
    schedule: None,
    recipient_cap: Some(THREE_PER_DAY),
    fixed_zone: None,
    consent_exemption: ConsentExemption::Unknown,
};

/// Oklahoma Telephone Solicitation Act of 2022 (HB 3168) hours. The enrolled bill's title was
/// seen ("providing the time frame during which ... calls"), not the section text.
const US_OK_HOURS: Rule = Rule {
    id: "us-ok-tsa-hours",
    jurisdiction: us("OK"),
    title: "Oklahoma: no commercial telephone solicitation before 8 a.m. or after 8 p.m. local time",
    citation: "Okla. Stat. tit. 15, § 775C.4",
    source: "https://dnc.dreamhosters.com/?p=1309",
    effective_from: (2022, 11, 1),
    verification: Verification::Secondary(
        "§ 775C.4 text not read; 8 a.m.–8 p.m. and the 2022-11-01 effective date from law-firm and vendor summaries of HB 3168",
    ),
    coverage: TELEPHONE_MARKETING,
    schedule: Some(Schedule::daily(EIGHT_TO_EIGHT)),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::Unknown,
};

/// Oklahoma: at most three solicitation calls per 24 hours on the same subject (counted here
/// across every covered marketing touch).
const US_OK_CAP: Rule = Rule {
    id: "us-ok-tsa-cap",
    jurisdiction: us("OK"),
    title: "Oklahoma: no more than three commercial telephone solicitation calls to a person in 24 hours on the same subject",
    citation: "Okla. Stat. tit. 15, § 775C.4",
    source: "https://dnc.dreamhosters.com/?p=1309",
    effective_from: (2022, 11, 1),
    verification: Verification::Secondary(
        "§ 775C.4 text not read; the three-per-24-hours cap from law-firm and vendor summaries of HB 3168",
    ),
    coverage: TELEPHONE_MARKETING,
    schedule: None,
    recipient_cap: Some(THREE_PER_DAY),
    fixed_zone: None,
    consent_exemption: ConsentExemption::Unknown,
};

/// Maryland Stop the Spam Calls Act of 2023 (SB 90 / HB 37, 2023 Md. Laws ch. 413) hours.
/// The effective date is on the General Assembly's bill page; only § 14-4502(a) (exemptions,
/// consent) and § 14-4501 (definitions) were read, not the hours text.
const US_MD_HOURS: Rule = Rule {
    id: "us-md-spam-calls-hours",
    jurisdiction: us("MD"),
    title: "Maryland: no telephone solicitation before 8 a.m. or after 8 p.m. in the called party's time zone",
    citation: "Md. Code Ann., Com. Law § 14-4502 (Stop the Spam Calls Act of 2023)",
    source: "https://www.wmar2news.com/local/law-to-prevent-spam-calls-takes-effect-first-of-the-year",
    effective_from: (2024, 1, 1),
    verification: Verification::Secondary(
        "hours from news and law-firm summaries; the subsection was not read (only § 14-4502(a)); effective date from mgaleg.maryland.gov",
    ),
    coverage: TELEPHONE_MARKETING,
    schedule: Some(Schedule::daily(EIGHT_TO_EIGHT)),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::Unknown,
};

/// Maryland: at most three calls or text messages per 24 hours on the same subject to the
/// same called party (counted here across every covered marketing touch).
const US_MD_CAP: Rule = Rule {
    id: "us-md-spam-calls-cap",
    jurisdiction: us("MD"),
    title: "Maryland: no more than three telephone solicitations (calls or texts) to a called party in 24 hours on the same subject",
    citation: "Md. Code Ann., Com. Law § 14-4502 (Stop the Spam Calls Act of 2023)",
    source: "https://www.wmar2news.com/local/law-to-prevent-spam-calls-takes-effect-first-of-the-year",
    effective_from: (2024, 1, 1),
    verification: Verification::Secondary(
        "cap from news and law-firm summaries; the subsection was not read",
    ),
    coverage: TELEPHONE_MARKETING,
    schedule: None,
    recipient_cap: Some(THREE_PER_DAY),
    fixed_zone: None,
    consent_exemption: ConsentExemption::Unknown,
};

/// Washington: RCW 19.158.040(2) (the 8 p.m. limit is in the commercial telephone
/// solicitation chapter, not RCW 80.36.390 or 19.158.110). The effective date is that of
/// HB 1497 (2022) as reported; the text was read on the official RCW site.
const US_WA_HOURS: Rule = Rule {
    id: "us-wa-cts-hours",
    jurisdiction: us("WA"),
    title: "Washington: no commercial telephone solicitation received before 8 a.m. or after 8 p.m. at the recipient's local time",
    citation: "RCW 19.158.040(2)",
    source: "https://app.leg.wa.gov/RCW/default.aspx?cite=19.158.040",
    effective_from: (2022, 6, 9),
    verification: Verification::Primary,
    coverage: TELEPHONE_MARKETING,
    schedule: Some(Schedule::daily(EIGHT_TO_EIGHT)),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::Unknown,
};

/// Massachusetts Do Not Call regulation. The effective date is that of M.G.L. c. 159C
/// (January 1, 2003); the regulation's own promulgation date was not checked.
const US_MA_HOURS: Rule = Rule {
    id: "us-ma-dnc-hours",
    jurisdiction: us("MA"),
    title: "Massachusetts: no unsolicited telephonic sales call between 8 p.m. and 8 a.m. at the consumer's location",
    citation: "201 CMR 12.02(2)",
    source: "https://regulations.justia.com/states/massachusetts/201-cmr/title-201-cmr-12-00/section-12-02",
    effective_from: (2003, 1, 1),
    verification: Verification::Primary,
    coverage: TELEPHONE_MARKETING,
    schedule: Some(Schedule::daily(EIGHT_TO_EIGHT)),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::Exempt(
        "restricts unsolicited telephonic sales calls only",
    ),
};

/// Connecticut, as amended by P.A. 23-98 (SB 1058, effective October 1, 2023): 9 a.m.–8 p.m.
/// (previously 9 a.m.–9 p.m.); texts are telephonic sales calls under the amended definitions.
const US_CT_HOURS: Rule = Rule {
    id: "us-ct-telemarketing-hours",
    jurisdiction: us("CT"),
    title: "Connecticut: telephonic sales calls only between 9 a.m. and 8 p.m. local time",
    citation: "Conn. Gen. Stat. § 42-288a (as amended by P.A. 23-98)",
    source: "https://mondaq.co.uk/unitedstates/advertising-marketing--branding/1340464/revised-connecticut-telemarketing-law-signed-into-law",
    effective_from: (2023, 10, 1),
    verification: Verification::Secondary(
        "statute text not read; 9 a.m.–8 p.m. as quoted from P.A. 23-98 by law-firm summaries (Klein Moynihan Turco, TCPAWorld)",
    ),
    coverage: TELEPHONE_MARKETING,
    schedule: Some(Schedule::daily(window(9, 0, 20, 0))),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::Unknown,
};

/// Texas: 9 a.m.–9 p.m. Monday–Saturday, noon–9 p.m. Sunday. § 301.051 was codified
/// April 1, 2009 (HB 2278; formerly § 37.02); SB 140 (effective September 1, 2025) made text
/// and image messages "telephone solicitations".
const US_TX_HOURS: Rule = Rule {
    id: "us-tx-solicitation-hours",
    jurisdiction: us("TX"),
    title: "Texas: telephone solicitation only 9 a.m.–9 p.m. weekdays and Saturday, noon–9 p.m. Sunday",
    citation: "Tex. Bus. & Com. Code § 301.051",
    source: "https://www.cloudcommunications.com/news/texas-senate-bill-140?hs_amp=true",
    effective_from: (2009, 4, 1),
    verification: Verification::Secondary(
        "§ 301.051 text not read; hours from law-firm summaries of SB 140 (2025), which apply them to texts",
    ),
    coverage: TELEPHONE_MARKETING,
    schedule: Some(Schedule::weekly(
        Some(NINE_TO_NINE),
        Some(NINE_TO_NINE),
        Some(window(12, 0, 21, 0)),
    )),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::Unknown,
};

/// Kentucky: 10 a.m.–9 p.m. The statute text found (KRS 367.46955 items 1–7, KRS 367.461)
/// did not show the hours; the window is from vendor state guides.
const US_KY_HOURS: Rule = Rule {
    id: "us-ky-solicitation-hours",
    jurisdiction: us("KY"),
    title: "Kentucky: no telephone solicitation before 10 a.m. or after 9 p.m.",
    citation: "KRS 367.46955",
    source: "https://blog.clickpointsoftware.com/telemarketing-calling-hours-by-state",
    effective_from: (2002, 7, 15),
    verification: Verification::Secondary(
        "hours and the subsection not found in the statute text read; 10 a.m.–9 p.m. from vendor state guides; effective date not verified",
    ),
    coverage: TELEPHONE_MARKETING,
    schedule: Some(Schedule::daily(window(10, 0, 21, 0))),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::Unknown,
};

/// Alabama Public Service Commission rule: "No solicitation calls are allowed on Sundays or
/// holidays. On the days that calls are allowed, none will be placed prior to 8 a.m. or after
/// 8 p.m." Holidays: Ala. Code § 1-3-8 (see [`HolidayCalendar::Alabama`]).
const US_AL_HOURS: Rule = Rule {
    id: "us-al-psc-hours",
    jurisdiction: us("AL"),
    title: "Alabama: no solicitation calls on Sundays or holidays, otherwise only 8 a.m.–8 p.m.",
    citation: "Ala. Admin. Code r. 770-X-5-.17(1)(b); holidays: Ala. Code § 1-3-8",
    source: "https://d1tvxue8o4w0fl.cloudfront.net/regulation/alabama-administrative-code/title-770-alabama-public-service-commission/chapter-770-x-5-telephone-rules/section-770-x-5-17-live-and-automated-solicitations-and-announcements",
    effective_from: (2000, 7, 1),
    verification: Verification::Secondary(
        "rule text read, but r. 770-X-5-.17(1) is worded for automated solicitation calls and leaves 'holidays' undefined (calendar assumed: Ala. Code § 1-3-8 plus Juneteenth); effective date not verified",
    ),
    coverage: TELEPHONE_MARKETING,
    schedule: Some(
        Schedule::weekly(Some(EIGHT_TO_EIGHT), Some(EIGHT_TO_EIGHT), None)
            .with_holidays(closed_on(HolidayCalendar::Alabama)),
    ),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::Unknown,
};

/// Louisiana: 8 a.m.–8 p.m., no calls on Sundays or legal holidays, as reported for the
/// Louisiana PSC Do Not Call program (General Order R-29617). The holiday days are the
/// statewide legal holidays of La. R.S. 1:55(A)(1) (see [`HolidayCalendar::Louisiana`]);
/// holidays the Governor proclaims are not covered.
const US_LA_HOURS: Rule = Rule {
    id: "us-la-psc-hours",
    jurisdiction: us("LA"),
    title: "Louisiana: no telephonic solicitation on Sundays or legal holidays, otherwise only 8 a.m.–8 p.m.",
    citation: "La. R.S. 45:844.11 et seq.; LPSC General Order R-29617; holidays: La. R.S. 1:55",
    source: "https://leadmanagerhelp.clickpointsoftware.com/en/articles/5753977-state-calling-hours",
    effective_from: (2002, 1, 1),
    verification: Verification::Secondary(
        "LPSC order text not read; hours and the Sunday/holiday ban from vendor guides; holidays per La. R.S. 1:55(A)(1) (statewide days only); effective date not verified",
    ),
    coverage: TELEPHONE_MARKETING,
    schedule: Some(
        Schedule::weekly(Some(EIGHT_TO_EIGHT), Some(EIGHT_TO_EIGHT), None)
            .with_holidays(closed_on(HolidayCalendar::Louisiana)),
    ),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::Unknown,
};

/// Mississippi Telephone Solicitation Act: "Such calls may only be made between the hours of
/// 8:00 a.m. and 8:00 p.m. Central Standard Time. No telephone solicitations may be made on a
/// Sunday." No holiday ban: the PSC rule that banned legal holidays (39 Miss. Admin. Code
/// Pt. I, R. 1:28) was repealed when enforcement moved to the Attorney General (HB 1225, 2023).
///
/// The window is applied in the recipient's local time. Read literally, "Central Standard
/// Time" during daylight saving time would mean 09:00–21:00 CDT; the strictest reading,
/// 09:00–20:00 CDT in summer, would need a fixed-offset schedule (see the report).
/// Mississippi's statute gives the hours in "Central Standard Time". Read literally, during
/// daylight time that is 09:00–21:00 CDT; read as local time it is 08:00–20:00 CDT. Both rules
/// apply, so the gate allows only what both readings allow (09:00–20:00 CDT in summer).
const US_MS_HOURS_CST: Rule = Rule {
    id: "us-ms-tsa-hours-cst",
    fixed_zone: Some(chrono_tz::Etc::GMTPlus6),
    ..US_MS_HOURS
};

const US_MS_HOURS: Rule = Rule {
    id: "us-ms-tsa-hours",
    jurisdiction: us("MS"),
    title: "Mississippi: telephone solicitation only 8 a.m.–8 p.m., never on Sunday",
    citation: "Miss. Code Ann. § 77-3-723(1)",
    source: "https://getpocketlaw.com/law/state_mississippi/section-77-3-723-rules-for-authorized-calls_57b73fa7ff73",
    effective_from: (2003, 7, 1),
    verification: Verification::Primary,
    coverage: TELEPHONE_MARKETING,
    schedule: Some(Schedule::weekly(
        Some(EIGHT_TO_EIGHT),
        Some(EIGHT_TO_EIGHT),
        None,
    )),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::Unknown,
};

/// New Mexico Unfair Practices Act: a telephone solicitation "received before 9:00 a.m. or
/// after 9:00 p.m." is unlawful. Read in the 2006 compilation; the effective date is the
/// earliest the text was seen in force, not its enactment.
const US_NM_HOURS: Rule = Rule {
    id: "us-nm-upa-hours",
    jurisdiction: us("NM"),
    title: "New Mexico: no telephone solicitation received before 9 a.m. or after 9 p.m.",
    citation: "N.M. Stat. Ann. § 57-12-22(B)(5)",
    source: "https://law.justia.com/codes/new-mexico/2006/nmrc/jd_57-12-22-13117.html",
    effective_from: (2006, 1, 1),
    verification: Verification::Primary,
    coverage: TELEPHONE_MARKETING,
    schedule: Some(Schedule::daily(NINE_TO_NINE)),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::Unknown,
};

/// Rhode Island Telephone Sales Solicitation Act: unsolicited telephonic sales calls only
/// during "hours of operation": Monday–Friday, except a state or federal holiday,
/// 9 a.m.–6 p.m.; Saturday 10 a.m.–5 p.m.; never Sunday. Holidays: Rhode Island's (§ 25-1-1,
/// with its Monday observance) and the federal ones (see [`HolidayCalendar::RhodeIsland`]); a
/// Saturday holiday is closed too, which is stricter than the text.
const US_RI_HOURS: Rule = Rule {
    id: "us-ri-tssa-hours",
    jurisdiction: us("RI"),
    title: "Rhode Island: unsolicited telephonic sales calls only 9 a.m.–6 p.m. weekdays (not on state or federal holidays), 10 a.m.–5 p.m. Saturday",
    citation: "R.I. Gen. Laws §§ 5-61-3.6, 5-61-2(2); holidays: R.I. Gen. Laws § 25-1-1, 5 U.S.C. 6103",
    source: "https://instalawyer.io/laws/rhode-island-general-laws/section-5-61-2-definitions",
    effective_from: (1999, 7, 1),
    verification: Verification::Secondary(
        "hours read in a copy of § 5-61-2(2) and the official § 5-61-3.6; holidays from the text of § 25-1-1 (copies at laws-info.com and unicourt) and the Secretary of State's holiday table; effective date not verified",
    ),
    coverage: TELEPHONE_MARKETING,
    schedule: Some(
        Schedule::weekly(Some(window(9, 0, 18, 0)), Some(window(10, 0, 17, 0)), None)
            .with_holidays(closed_on(HolidayCalendar::RhodeIsland)),
    ),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::Exempt(
        "restricts only unsolicited telephonic sales calls: a call the person asked for is outside it",
    ),
};

/// Utah Telephone and Facsimile Solicitation Act: no telephone solicitation without prior
/// express consent between 9 p.m. and 8 a.m., on a Sunday, or on a legal holiday. Utah's legal
/// holidays are its own (§ 63G-1-301, Pioneer Day included; see
/// [`HolidayCalendar::Utah`]).
const US_UT_HOURS: Rule = Rule {
    id: "us-ut-tfsa-hours",
    jurisdiction: us("UT"),
    title: "Utah: no telephone solicitation on Sundays or legal holidays, otherwise only 8 a.m.–9 p.m.",
    citation: "Utah Code § 13-25a-103(3); holidays: Utah Code § 63G-1-301",
    source: "https://le.utah.gov/xcode/Title13/Chapter25A/13-25a-S103.html",
    effective_from: (2004, 5, 3),
    verification: Verification::Secondary(
        "§ 13-25a-103(3) as quoted in the project's regulations notes (statute text not read here); § 63G-1-301 read in its 2025 and 2026 versions (research copies); effective date not verified",
    ),
    coverage: TELEPHONE_MARKETING,
    schedule: Some(
        Schedule::weekly(Some(EIGHT_TO_NINE), Some(EIGHT_TO_NINE), None)
            .with_holidays(closed_on(HolidayCalendar::Utah)),
    ),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::Exempt(
        "applies to a telephone solicitation made without the called party's prior express consent",
    ),
};

/// Pennsylvania Telemarketer Registration Act: 8 a.m.–9 p.m. (§ 2245(a)(1), the federal
/// window) and, since Act 73 of 2019 (effective 2019-12-03), no telephone solicitation call on
/// a legal holiday of its own list (§ 2245(a)(10); see [`HolidayCalendar::Pennsylvania`]).
///
/// SB 992 of the 2025–26 session (9 a.m.–7 p.m., no Sundays, texts covered) passed the Senate
/// but no enactment was found (the Senate sponsor's release and BillTrack50 show it in
/// committee / crossed over; a vendor's "Sundays banned from 2026-10-18" is unconfirmed): only
/// the law in force is encoded.
const US_PA_HOURS: Rule = Rule {
    id: "us-pa-tra-hours",
    jurisdiction: us("PA"),
    title: "Pennsylvania: no telephone solicitation call on a legal holiday, otherwise only 8 a.m.–9 p.m.",
    citation: "73 P.S. § 2245(a)(1), (a)(10) (Act 73 of 2019)",
    source: "https://www.dnc.com/news/update-pennsylvania-governor-signs-new-robocall-restrictions-law",
    effective_from: (2019, 12, 3),
    verification: Verification::Secondary(
        "holiday list from summaries of Act 73 (dnc.com, Rep. Gillen's release) and the project's regulations notes; statute text not read; Sunday observance of a holiday on the following Monday is assumed (fail safe)",
    ),
    coverage: TELEPHONE_MARKETING,
    schedule: Some(
        Schedule::daily(EIGHT_TO_NINE).with_holidays(closed_on(HolidayCalendar::Pennsylvania)),
    ),
    recipient_cap: None,
    fixed_zone: None,
    consent_exemption: ConsentExemption::Exempt(
        "'telephone solicitation call' excludes calls to persons with an established business relationship, and non-profit, political and debt-collection calls (secondary); a prior-consent exclusion was not read",
    ),
};

pub(super) const RULES: &[Rule] = &[
    US_FL_HOURS,
    US_FL_CAP,
    US_OK_HOURS,
    US_OK_CAP,
    US_MD_HOURS,
    US_MD_CAP,
    US_WA_HOURS,
    US_MA_HOURS,
    US_CT_HOURS,
    US_TX_HOURS,
    US_KY_HOURS,
    US_AL_HOURS,
    US_LA_HOURS,
    US_MS_HOURS,
    US_MS_HOURS_CST,
    US_NM_HOURS,
    US_RI_HOURS,
    US_UT_HOURS,
    US_PA_HOURS,
];
