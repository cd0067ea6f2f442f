//! `evaluate_send`: every check, in the contract's order, each reported; the first failing
//! check is the reason; `retry_after` is the earliest instant at which every time-based check
//! passes together, or `None` when time alone won't lift the block.

use chrono::{DateTime, Duration, Utc};

use crate::caps::{TimeConstraint, earliest_all_pass};
use crate::channel::Channel;
use crate::decision::{Check, CheckOutcome, Decision};
use crate::dlt;
use crate::dnc;
use crate::facts::{Facts, LinkedInAction, Purpose, SendRecord, TemplateStatus, Touch};
use crate::instant::{minus, plus};
use crate::permit::Permit;
use crate::quiet_hours::{Schedule, describe_local};
use crate::reason::Reason;
use crate::rule_packs::{self, Rule};
use crate::timezone::{RecipientPlace, resolve_place};

/// WhatsApp's customer-service window: free-form text within 24 h of the last inbound message.
pub const WHATSAPP_WINDOW: Duration = Duration::hours(24);
const HOUR: Duration = Duration::hours(1);
const DAY: Duration = Duration::hours(24);
const WEEK: Duration = Duration::days(7);

/// Decides whether `touch` may be sent at `now`, from `facts` alone.
pub fn evaluate_send(touch: &Touch, facts: &Facts<'_>, now: DateTime<Utc>) -> Decision {
    let mut eval = Evaluation {
        touch,
        facts,
        now,
        checks: Vec::with_capacity(16),
        time: Vec::new(),
        permanent: false,
    };
    let recipient = eval.identity_checks();
    eval.content_checks();
    let phone = recipient.as_ref().and_then(|r| r.phone);
    eval.time_checks(phone);

    let reason = eval.checks.iter().find_map(|c| c.reason);
    let allowed = reason.is_none();
    let retry_after = if allowed || eval.permanent {
        None
    } else {
        earliest_all_pass(&eval.time, now)
    };
    let permit = match (&recipient, allowed) {
        (Some(r), true) => Some(Permit::issue(
            &touch.id,
            &touch.account_id,
            touch.channel,
            r.key,
            now,
        )),
        _ => None,
    };
    Decision {
        at: now,
        allowed,
        reason,
        retry_after,
        checks: eval.checks,
        permit,
    }
}

struct Recipient<'a> {
    key: &'a str,
    phone: Option<&'a crate::contact::Phone>,
}

struct Evaluation<'t, 'f> {
    touch: &'t Touch,
    facts: &'t Facts<'f>,
    now: DateTime<Utc>,
    checks: Vec<CheckOutcome>,
    /// Every time-based constraint (failing or not) for the combined retry search.
    time: Vec<TimeConstraint>,
    /// A failing check that time alone will not lift.
    permanent: bool,
}

impl<'t, 'f> Evaluation<'t, 'f> {
    fn push(&mut self, outcome: CheckOutcome) {
        if !outcome.passed && outcome.passes_at.is_none() {
            self.permanent = true;
        }
        self.checks.push(outcome);
    }

    fn pass(&mut self, check: Check) {
        self.checks.push(CheckOutcome::pass(check));
    }

    /// Account, channel, recipient, litigation hold, DNC, consent.
    fn identity_checks(&mut self) -> Option<Recipient<'f>> {
        let (touch, account, lead) = (self.touch, self.facts.account, self.facts.lead);
        let channel = touch.channel;

        match account.status {
            crate::facts::AccountStatus::Active => self.pass(Check::AccountStatus),
            other => self.push(CheckOutcome::fail(
                Check::AccountStatus,
                Reason::AccountPaused,
                format!("account {} is {}", account.id, status_name(other)),
            )),
        }

        if account.paused_channels.contains(&channel) {
            self.push(CheckOutcome::fail(
                Check::ChannelStatus,
                Reason::ChannelPaused,
                format!("{channel} is paused on account {}", account.id),
            ));
        } else {
            self.pass(Check::ChannelStatus);
        }

        let recipient = match channel {
            Channel::Email => lead.email.as_ref().map(|e| Recipient {
                key: e.as_str(),
                phone: None,
            }),
            Channel::Sms | Channel::Call => lead.phone.as_ref().map(|p| Recipient {
                key: p.as_str(),
                phone: Some(p),
            }),
            Channel::Whatsapp => {
                lead.whatsapp
                    .as_ref()
                    .or(lead.phone.as_ref())
                    .map(|p| Recipient {
                        key: p.as_str(),
                        phone: Some(p),
                    })
            }
            Channel::Linkedin => lead.linkedin.as_ref().map(|l| Recipient {
                key: l.as_str(),
                phone: None,
            }),
        };
        if recipient.is_some() {
            self.pass(Check::Recipient);
        } else {
            self.push(CheckOutcome::fail(
                Check::Recipient,
                Reason::InvalidRecipient,
                format!("lead {} has no valid contact for {channel}", lead.id),
            ));
        }

        let (holds, others) = dnc::blocking(self.facts.dnc, lead, channel, touch.purpose, self.now);
        if let Some(first) = holds.first() {
            let until = dnc::lifted_at(&holds);
            self.time_block(until);
            self.push(
                CheckOutcome::fail(
                    Check::LitigationHold,
                    Reason::LitigationHold,
                    format!(
                        "DNC entry {} ({}) holds this lead",
                        first.id,
                        describe_entry(first)
                    ),
                )
                .until(until),
            );
        } else {
            self.pass(Check::LitigationHold);
        }
        if let Some(first) = others.first() {
            let until = dnc::lifted_at(&others);
            self.time_block(until);
            self.push(
                CheckOutcome::fail(
                    Check::Dnc,
                    Reason::DncListed,
                    format!(
                        "DNC entry {} ({}, {}){}",
                        first.id,
                        describe_entry(first),
                        first.reason.as_str(),
                        if others.len() > 1 {
                            format!(" and {} more", others.len() - 1)
                        } else {
                            String::new()
                        }
                    ),
                )
                .until(until),
            );
        } else {
            self.pass(Check::Dnc);
        }

        let needs_consent = self.facts.policy.require_consent
            && touch.purpose == Purpose::Marketing
            && channel.is_telephone();
        if needs_consent && !dnc::has_consent(lead, channel, Some(Purpose::Marketing), self.now) {
            let void = lead.number_reassigned_at.filter(|r| {
                lead.consents
                    .iter()
                    .any(|c| c.channel == channel && c.granted_at < *r)
            });
            let detail = match void {
                Some(r) => format!(
                    "no valid marketing consent for {channel}: consent predates the number's reassignment on {}",
                    r.format("%Y-%m-%d")
                ),
                None => format!(
                    "no marketing consent for {channel} granted before {}",
                    self.now.format("%Y-%m-%dT%H:%M:%SZ")
                ),
            };
            self.push(CheckOutcome::fail(
                Check::Consent,
                Reason::ConsentMissing,
                detail,
            ));
        } else {
            self.pass(Check::Consent);
        }
        recipient
    }

    /// A DNC block that lifts at `until` joins the retry search; one that never lifts makes
    /// the decision permanent (through `push`).
    fn time_block(&mut self, until: Option<DateTime<Utc>>) {
        if let Some(at) = until {
            self.time.push(TimeConstraint::NotBefore(at));
        }
    }

    /// DLT, content template, WhatsApp template, WhatsApp window.
    fn content_checks(&mut self) {
        let (touch, account, lead) = (self.touch, self.facts.account, self.facts.lead);
        let template = touch.template.as_ref();

        let to_india = touch.channel == Channel::Sms
            && lead
                .phone
                .as_ref()
                .is_some_and(|p| p.location().country == Some("IN"));
        if to_india {
            match dlt::check(
                account.dlt.as_ref(),
                template.and_then(|t| t.id.as_deref()),
                touch.body.as_deref().unwrap_or_default(),
            ) {
                Ok(()) => self.pass(Check::Dlt),
                Err(problem) => {
                    let reason = if matches!(problem, dlt::DltProblem::BodyMismatch(_)) {
                        Reason::DltTemplateMismatch
                    } else {
                        Reason::DltNotRegistered
                    };
                    self.push(CheckOutcome::fail(Check::Dlt, reason, problem.describe()));
                }
            }
        } else {
            self.pass(Check::Dlt);
        }

        let named = template.and_then(|t| t.id.as_deref().or(t.name.as_deref()));
        let reviewed = named.and_then(|id| {
            account
                .templates
                .iter()
                .find(|t| t.id == id && t.channel.is_none_or(|c| c == touch.channel))
        });
        match reviewed {
            Some(t) if t.status != TemplateStatus::Approved => self.push(CheckOutcome::fail(
                Check::Template,
                Reason::TemplateUnapproved,
                format!("template {} is {}", t.id, t.status.as_str()),
            )),
            _ => self.pass(Check::Template),
        }

        if touch.channel == Channel::Whatsapp {
            let wa_name = template.and_then(|t| t.name.as_deref());
            match wa_name {
                Some(name) => {
                    let language = template.and_then(|t| t.language.as_deref());
                    let found = account
                        .whatsapp_templates
                        .iter()
                        .find(|t| t.name == name && language.is_none_or(|l| l == t.language));
                    match found {
                        Some(t) if t.status == TemplateStatus::Approved => {
                            self.pass(Check::WhatsappTemplate)
                        }
                        Some(t) => self.push(CheckOutcome::fail(
                            Check::WhatsappTemplate,
                            Reason::WhatsappTemplateUnapproved,
                            format!(
                                "WhatsApp template {} ({}) is {}",
                                t.name,
                                t.language,
                                t.status.as_str()
                            ),
                        )),
                        None => self.push(CheckOutcome::fail(
                            Check::WhatsappTemplate,
                            Reason::WhatsappTemplateUnapproved,
                            format!(
                                "WhatsApp template {name} ({}) is not known for this account",
                                language.unwrap_or("any language")
                            ),
                        )),
                    }
                    self.pass(Check::WhatsappWindow);
                }
                None => {
                    self.pass(Check::WhatsappTemplate);
                    let last = lead.last_inbound_whatsapp_at;
                    match last {
                        Some(at) if at <= self.now && self.now < plus(at, WHATSAPP_WINDOW) => {
                            self.pass(Check::WhatsappWindow)
                        }
                        _ => self.push(CheckOutcome::fail(
                            Check::WhatsappWindow,
                            Reason::WhatsappWindowClosed,
                            match last {
                                Some(at) => format!(
                                    "free-form WhatsApp text needs an inbound message in the last 24 h; last was {}",
                                    at.format("%Y-%m-%dT%H:%M:%SZ")
                                ),
                                None => "free-form WhatsApp text needs an inbound message in the last 24 h; none recorded".to_owned(),
                            },
                        )),
                    }
                }
            }
        } else {
            self.pass(Check::WhatsappTemplate);
            self.pass(Check::WhatsappWindow);
        }
    }

    /// Quiet hours (account windows and rule packs, every candidate zone) and caps.
    fn time_checks(&mut self, phone: Option<&crate::contact::Phone>) {
        let (touch, facts, now) = (self.touch, self.facts, self.now);
        let place = resolve_place(facts.lead, phone, facts.policy.default_timezone);
        let first_zone = place
            .zones
            .first()
            .copied()
            .unwrap_or(facts.policy.default_timezone);
        let today =
            crate::instant::wall(first_zone, now).map_or(chrono::NaiveDate::MIN, |w| w.date());
        let rules: Vec<&'static Rule> =
            if touch.channel.is_telephone() || touch.purpose == Purpose::Marketing {
                rule_packs::applicable(&place, touch.channel, touch.purpose, today).collect()
            } else {
                Vec::new()
            };

        self.quiet_hours(&place, &rules);
        self.account_caps();
        self.recipient_caps(&rules);
    }

    fn quiet_hours(&mut self, place: &RecipientPlace, rules: &[&'static Rule]) {
        let now = self.now;
        let account_window = self
            .facts
            .account
            .quiet_hours
            .window_for(self.touch.channel);
        let mut sources: Vec<(Schedule, Option<&'static Rule>)> = Vec::new();
        if let Some(w) = account_window {
            sources.push((Schedule::daily(w), None));
        }
        for r in rules {
            if let Some(s) = r.schedule {
                sources.push((s, Some(*r)));
            }
        }
        let start = self.time.len();
        let mut failing: Option<(chrono_tz::Tz, Schedule, Option<&'static Rule>)> = None;
        let fixed = sources
            .iter()
            .filter_map(|(s, r)| r.and_then(|r| r.fixed_zone).map(|z| (z, *s, *r)));
        let local = place.zones.iter().flat_map(|&zone| {
            sources
                .iter()
                .filter(|(_, r)| r.is_none_or(|r| r.fixed_zone.is_none()))
                .map(move |(s, r)| (zone, *s, *r))
        });
        let mut last_zone: Option<(chrono_tz::Tz, Option<chrono::NaiveDateTime>)> = None;
        for (zone, schedule, rule) in local.chain(fixed) {
            // One offset lookup per zone, shared by every schedule in it.
            let wall = match last_zone {
                Some((z, w)) if z == zone => w,
                _ => {
                    let w = crate::instant::wall(zone, now);
                    last_zone = Some((zone, w));
                    w
                }
            };
            // A wall clock outside chrono's range allows nothing (fail safe).
            if failing.is_none() && !wall.is_some_and(|w| schedule.allows_local(w)) {
                failing = Some((zone, schedule, rule));
            }
            self.time.push(TimeConstraint::Window { zone, schedule });
        }
        let Some((zone, schedule, rule)) = failing else {
            self.pass(Check::QuietHours);
            return;
        };
        let own = self.time.get(start..).unwrap_or_default();
        let opens = earliest_all_pass(own, now);
        let local = crate::instant::wall(zone, now).map_or(chrono::NaiveDate::MIN, |w| w.date());
        let (window, holiday) = schedule.window_on(local);
        let window_text = match window {
            Some(w) => format!("window {w}"),
            None if holiday => "no contact on holidays".to_owned(),
            None => "no contact on this day".to_owned(),
        };
        let zones_note = if place.zones.len() > 1 {
            format!(
                " (one of {} candidate zones from the {})",
                place.zones.len(),
                place.source.as_str()
            )
        } else {
            format!(" (zone from the {})", place.source.as_str())
        };
        let mut outcome = match rule {
            Some(r) => CheckOutcome::fail(
                Check::QuietHours,
                Reason::QuietHours,
                format!(
                    "{}{zones_note}, {window_text} under {} ({})",
                    describe_local(zone, now),
                    r.title,
                    r.citation
                ),
            )
            .with_rule(r.id),
            None => CheckOutcome::fail(
                Check::QuietHours,
                Reason::QuietHours,
                format!(
                    "{}{zones_note}, account {window_text}",
                    describe_local(zone, now)
                ),
            ),
        };
        if opens.is_none() {
            let detail = outcome.detail.take().unwrap_or_default();
            outcome = outcome.with_detail(format!(
                "{detail}; the windows of the candidate zones never open together"
            ));
        }
        self.push(outcome.until(opens));
    }

    fn account_caps(&mut self) {
        let (touch, now) = (self.touch, self.now);
        let limits = self
            .facts
            .account
            .limits
            .get(&touch.channel)
            .copied()
            .unwrap_or_default();
        let weekly = limits.weekly_invites.filter(|_| {
            touch.channel == Channel::Linkedin && touch.action == LinkedInAction::Invite
        });
        // One pass over the sends; the sorted copies a retry search needs are built only for a
        // failing cap (a cap that passes now passes at every later instant: no new sends appear
        // in the facts, so counts only fall).
        let (mut last, mut hour, mut day, mut week) = (None::<DateTime<Utc>>, 0u32, 0u32, 0u32);
        let (hour_from, day_from, week_from) =
            (minus(now, HOUR), minus(now, DAY), minus(now, WEEK));
        for s in self.facts.recent_sends {
            if s.channel != touch.channel || s.account_id != touch.account_id {
                continue;
            }
            last = Some(last.map_or(s.at, |l| l.max(s.at)));
            hour += u32::from(s.at > hour_from);
            day += u32::from(s.at > day_from);
            week += u32::from(s.at > week_from && s.action == LinkedInAction::Invite);
        }

        match (limits.min_gap_seconds, last) {
            (Some(gap), Some(last)) if now < plus(last, Duration::seconds(i64::from(gap))) => {
                let at = plus(last, Duration::seconds(i64::from(gap)));
                self.time.push(TimeConstraint::NotBefore(at));
                self.push(
                    CheckOutcome::fail(
                        Check::MinGap,
                        Reason::MinGap,
                        format!(
                            "last {} send at {}, min gap {gap}s",
                            touch.channel,
                            last.format("%Y-%m-%dT%H:%M:%SZ"),
                        ),
                    )
                    .until(Some(at)),
                );
            }
            _ => self.pass(Check::MinGap),
        }

        let same = |s: &&SendRecord| s.channel == touch.channel && s.account_id == touch.account_id;
        self.rolling_cap(
            Check::HourlyLimit,
            Reason::HourlyLimit,
            hour,
            limits.hourly,
            HOUR,
            "hour",
            |s| same(s),
        );
        self.rolling_cap(
            Check::DailyLimit,
            Reason::DailyLimit,
            day,
            limits.daily,
            DAY,
            "24 hours",
            |s| same(s),
        );
        self.rolling_cap(
            Check::WeeklyLimit,
            Reason::WeeklyLimit,
            week,
            weekly,
            WEEK,
            "7 days (invitations)",
            |s| same(s) && s.action == LinkedInAction::Invite,
        );
    }

    /// A rolling cap: `used` sends in the trailing window (or dated after it began, such as a
    /// reservation taken a moment ago). On failure, the sends that count (`counts`) become a
    /// constraint for the retry search.
    #[allow(clippy::too_many_arguments)]
    fn rolling_cap(
        &mut self,
        check: Check,
        reason: Reason,
        used: u32,
        limit: Option<u32>,
        window: Duration,
        label: &str,
        counts: impl Fn(&&SendRecord) -> bool,
    ) {
        let Some(limit) = limit.filter(|l| used >= *l) else {
            self.pass(check);
            return;
        };
        let times = self
            .facts
            .recent_sends
            .iter()
            .filter(|s| counts(s))
            .map(|s| s.at)
            .collect();
        let c = TimeConstraint::rolling(times, window, limit);
        let next = c.next_pass(self.now);
        self.push(
            CheckOutcome::fail(
                check,
                reason,
                format!("{used} of {limit} used in the trailing {label}"),
            )
            .until(next),
        );
        self.time.push(c);
    }

    fn recipient_caps(&mut self, rules: &[&'static Rule]) {
        let (touch, now) = (self.touch, self.now);
        let Some((rule, cap)) = rules
            .iter()
            .filter_map(|r| r.recipient_cap_24h.map(|c| (*r, c)))
            .min_by_key(|(_, c)| *c)
        else {
            self.pass(Check::RecipientFrequency);
            return;
        };
        let counts = |s: &&SendRecord| {
            s.lead_id == touch.lead_id
                && s.purpose == Purpose::Marketing
                && rule.coverage.channels.contains(&s.channel)
        };
        let from = minus(now, DAY);
        let used = self
            .facts
            .recent_sends
            .iter()
            .filter(|s| counts(s) && s.at > from)
            .count();
        if used < usize::try_from(cap).unwrap_or(usize::MAX) {
            self.pass(Check::RecipientFrequency);
            return;
        }
        let times = self
            .facts
            .recent_sends
            .iter()
            .filter(counts)
            .map(|s| s.at)
            .collect();
        let c = TimeConstraint::rolling(times, DAY, cap);
        let next = c.next_pass(now);
        self.push(
            CheckOutcome::fail(
                Check::RecipientFrequency,
                Reason::RecipientFrequency,
                format!(
                    "{used} of {cap} solicitations to this recipient in 24 hours under {} ({})",
                    rule.title, rule.citation
                ),
            )
            .with_rule(rule.id)
            .until(next),
        );
        self.time.push(c);
    }
}

fn status_name(s: crate::facts::AccountStatus) -> &'static str {
    match s {
        crate::facts::AccountStatus::Active => "active",
        crate::facts::AccountStatus::Paused => "paused",
        crate::facts::AccountStatus::Suspended => "suspended",
    }
}

fn describe_entry(e: &crate::facts::DncEntry) -> String {
    let who = match (&e.contact, &e.lead_id) {
        (Some(c), _) => c.clone(),
        (None, Some(l)) => format!("lead {l}"),
        (None, None) => "?".to_owned(),
    };
    match e.expires_at {
        Some(x) => format!(
            "{who} on {} until {}",
            e.channel,
            x.format("%Y-%m-%dT%H:%M:%SZ")
        ),
        None => format!("{who} on {}", e.channel),
    }
}
