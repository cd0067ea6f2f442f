//! What may be sent: India DLT registration, content-template review, WhatsApp templates,
//! their category, and the WhatsApp customer-service window.

use super::{Evaluation, WHATSAPP_WINDOW, rfc3339};
use crate::channel::Channel;
use crate::decision::{Check, CheckOutcome};
use crate::dlt;
use crate::facts::{TemplateStatus, WhatsappCategory, WhatsappTemplate};
use crate::instant::plus;
use crate::reason::Reason;

impl Evaluation<'_, '_> {
    /// DLT, content template, WhatsApp template, WhatsApp marketing, WhatsApp window.
    pub(super) fn content_checks(&mut self) {
        self.dlt();
        self.content_template();
        if self.touch.channel == Channel::Whatsapp {
            self.whatsapp();
        } else {
            self.pass(Check::WhatsappTemplate);
            self.pass(Check::WhatsappMarketing);
            self.pass(Check::WhatsappWindow);
        }
    }

    fn dlt(&mut self) {
        let (touch, account) = (self.touch, self.facts.account);
        let to_india = touch.channel == Channel::Sms
            && self
                .phone
                .is_some_and(|p| p.location().country == Some("IN"));
        if !to_india {
            self.pass(Check::Dlt);
            return;
        }
        match dlt::check(
            account.dlt.as_ref(),
            touch.template.as_ref().and_then(|t| t.id.as_deref()),
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
    }

    fn content_template(&mut self) {
        let (touch, account) = (self.touch, self.facts.account);
        let named = touch
            .template
            .as_ref()
            .and_then(|t| t.id.as_deref().or(t.name.as_deref()));
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
    }

    fn whatsapp(&mut self) {
        let (touch, account) = (self.touch, self.facts.account);
        let template = touch.template.as_ref();
        let Some(name) = template.and_then(|t| t.name.as_deref()) else {
            self.pass(Check::WhatsappTemplate);
            self.pass(Check::WhatsappMarketing);
            self.whatsapp_window();
            return;
        };
        let language = template.and_then(|t| t.language.as_deref());
        let found = account
            .whatsapp_templates
            .iter()
            .find(|t| t.name == name && language.is_none_or(|l| l == t.language));
        match found {
            Some(t) if t.status == TemplateStatus::Approved => self.pass(Check::WhatsappTemplate),
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
        self.whatsapp_marketing(found);
        // A template message may be sent outside the customer-service window.
        self.pass(Check::WhatsappWindow);
    }

    /// A marketing template to a country where the platform does not deliver marketing
    /// templates (`whatsapp_marketing_blocked_countries`); the country is the WhatsApp
    /// number's (a US territory counts as `US`).
    fn whatsapp_marketing(&mut self, template: Option<&WhatsappTemplate>) {
        let marketing = template.filter(|t| t.category() == WhatsappCategory::Marketing);
        let country = self.phone.and_then(|p| p.location().country);
        let blocked = |c: &str| {
            self.facts
                .policy
                .whatsapp_marketing_blocked_countries
                .iter()
                .any(|b| b.eq_ignore_ascii_case(c))
        };
        let hit = country.and_then(|c| {
            let us = crate::regions::is_us_territory(c).then_some("US");
            [Some(c), us].into_iter().flatten().find(|c| blocked(c))
        });
        match (marketing, hit) {
            (Some(t), Some(c)) => self.push(CheckOutcome::fail(
                Check::WhatsappMarketing,
                Reason::WhatsappMarketingRestricted,
                format!(
                    "WhatsApp template {} ({}) is a marketing template, and marketing templates are not delivered to {c} numbers",
                    t.name, t.language
                ),
            )),
            _ => self.pass(Check::WhatsappMarketing),
        }
    }

    fn whatsapp_window(&mut self) {
        let now = self.now;
        let last = self.facts.lead.last_inbound_whatsapp_at;
        match last {
            Some(at) if at <= now && now < plus(at, WHATSAPP_WINDOW) => {
                self.pass(Check::WhatsappWindow)
            }
            _ => self.push(CheckOutcome::fail(
                Check::WhatsappWindow,
                Reason::WhatsappWindowClosed,
                match last {
                    Some(at) => format!(
                        "free-form WhatsApp text needs an inbound message in the last 24 h; last was {}",
                        rfc3339(at)
                    ),
                    None => "free-form WhatsApp text needs an inbound message in the last 24 h; none recorded".to_owned(),
                },
            )),
        }
    }
}
