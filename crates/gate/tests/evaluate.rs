//! `evaluate_send` through the public API: one scenario per reason code, DNC and consent
//! semantics, quiet hours (account windows, rule packs, multi-zone numbers), caps, the
//! combined `retry_after`, the check report and the permit.
//!
//! Reason-code coverage is guaranteed by construction: `common::scenario` is an exhaustive
//! `match` over [`Reason`] (a new reason code does not compile until it has a scenario), and
//! [`every_reason_code_is_produced`] evaluates every scenario of `Reason::ALL` and checks that
//! it produces its reason. The focused tests (here and in `evaluate_v2.rs`, "v2") reuse them:
//!
//! | reason                          | tests                                                       |
//! |---------------------------------|-------------------------------------------------------------|
//! | account_paused                  | account_paused_and_suspended                                |
//! | channel_paused                  | channel_paused; v2 sender_health_pause_*                    |
//! | sender_unauthenticated          | v2 sender_lookup_failure_snoozes_five_minutes               |
//! | invalid_recipient               | invalid_recipient_*                                         |
//! | litigation_hold                 | litigation_hold_*; v2 litigator_listing_*                   |
//! | dnc_listed                      | dnc_*; v2 national_listing_*, state_list_*, business_*      |
//! | registry_stale                  | v2 registry_stale_snoozes_hourly                            |
//! | consent_missing                 | consent_*; v2 reassigned_number_*, stored_revocation_*      |
//! | dlt_not_registered              | dlt_not_registered                                          |
//! | dlt_template_mismatch           | dlt_template_mismatch; v2 dlt_typed_tags_*                  |
//! | template_unapproved             | template_unapproved                                         |
//! | whatsapp_template_unapproved    | whatsapp_template_pending_paused_or_unknown                 |
//! | whatsapp_marketing_restricted   | v2 whatsapp_marketing_templates_*                           |
//! | whatsapp_window_closed          | whatsapp_window_*                                           |
//! | blackout                        | v2 blackout_*                                               |
//! | quiet_hours                     | quiet_hours_*, multi_zone_*, retry_after_*; v2 zone tests   |
//! | min_gap                         | min_gap, retry_after_*                                      |
//! | hourly_limit                    | hourly_limit, zero_cap_is_permanent                         |
//! | daily_limit                     | daily_limit; v2 warmup_ramp_*                               |
//! | weekly_limit                    | weekly_limit_counts_invitations_only                        |
//! | recipient_frequency             | recipient_frequency_*; v2 legal_cap_*, maine_*              |
//! | recipient_cap                   | v2 recipient_cap_*                                          |

// Test helpers outside `#[test]` functions unwrap and panic on malformed fixtures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use common::*;
use gate::{
    AccountStatus, Channel, ChannelLimits, ChannelScope, Check, Consent, DncReason, LinkedInAction,
    PERMIT_TTL, Phone, Policy, Purpose, QuietHours, Reason, SendRecord, TemplateRef,
    TemplateStatus,
};

// ---------------------------------------------------------------------------------------------
// Reason coverage and the baseline
// ---------------------------------------------------------------------------------------------

#[test]
fn every_reason_code_is_produced() {
    let mut produced = Vec::new();
    for reason in Reason::ALL {
        let (fx, at) = scenario(reason);
        let d = fx.eval(at);
        assert_eq!(d.reason, Some(reason), "scenario for {reason}: {d:#?}");
        assert!(!d.allowed);
        assert_report_shape(&d);
        produced.push(d.reason);
    }
    assert_eq!(produced.len(), Reason::ALL.len());
}

#[test]
fn baseline_is_allowed_on_every_channel() {
    for channel in Channel::ALL {
        let mut fx = Fx::new().on(channel);
        if channel == Channel::Whatsapp {
            whatsapp_template(&mut fx, TemplateStatus::Approved);
        }
        let mut d = fx.eval(now());
        assert_allowed(&mut d);
    }
}

#[test]
fn fixture_phone_rings_in_los_angeles() {
    let loc = phone(SF_PHONE).location().clone();
    assert_eq!(loc.zones, vec![chrono_tz::America::Los_Angeles]);
    assert_eq!(loc.country, Some("US"));
}

// ---------------------------------------------------------------------------------------------
// Account, channel, recipient
// ---------------------------------------------------------------------------------------------

#[test]
fn account_paused_and_suspended() {
    let (fx, at) = scenario(Reason::AccountPaused);
    assert_blocked(
        &mut fx.eval(at),
        Reason::AccountPaused,
        &["paused", ACCOUNT],
        None,
    );

    let mut fx = Fx::new();
    fx.account.status = AccountStatus::Suspended;
    assert_blocked(
        &mut fx.eval(now()),
        Reason::AccountPaused,
        &["suspended"],
        None,
    );

    // Paused and in quiet hours: permanent, so no retry_after.
    fx.account.status = AccountStatus::Paused;
    let mut d = fx.eval(utc("2026-11-18T11:12:00Z"));
    assert!(!passed(&d, Check::QuietHours));
    assert_blocked(&mut d, Reason::AccountPaused, &["paused"], None);
}

#[test]
fn channel_paused() {
    let (fx, at) = scenario(Reason::ChannelPaused);
    assert_blocked(
        &mut fx.eval(at),
        Reason::ChannelPaused,
        &["sms", ACCOUNT],
        None,
    );
    // Other channels are unaffected.
    assert_allowed(&mut fx.clone().on(Channel::Call).eval(at));
    assert_allowed(&mut fx.on(Channel::Email).eval(at));
}

#[test]
fn invalid_recipient_without_email() {
    let (fx, at) = scenario(Reason::InvalidRecipient);
    assert_blocked(
        &mut fx.eval(at),
        Reason::InvalidRecipient,
        &["email", LEAD],
        None,
    );
}

#[test]
fn invalid_recipient_without_phone_or_linkedin() {
    let mut fx = Fx::new();
    fx.lead.phone = None;
    fx.lead.whatsapp = None;
    fx.lead.linkedin = None;
    for channel in [
        Channel::Sms,
        Channel::Call,
        Channel::Whatsapp,
        Channel::Linkedin,
    ] {
        let mut d = fx.clone().on(channel).eval(now());
        assert_blocked(&mut d, Reason::InvalidRecipient, &[channel.as_str()], None);
    }
}

#[test]
fn whatsapp_falls_back_to_the_phone_number() {
    let mut fx = Fx::new();
    fx.lead.whatsapp = None;
    whatsapp_template(&mut fx, TemplateStatus::Approved);
    let mut d = fx.eval(now());
    assert!(d.allowed, "{d:#?}");
    assert_eq!(
        d.take_permit().map(|p| p.recipient().to_owned()).as_deref(),
        Some(SF_PHONE)
    );
}

// ---------------------------------------------------------------------------------------------
// Litigation hold and DNC
// ---------------------------------------------------------------------------------------------

#[test]
fn litigation_hold_wins_over_an_ordinary_dnc_entry() {
    let (fx, at) = scenario(Reason::LitigationHold);
    let mut d = fx.eval(at);
    // Both checks fail; the hold is the reason.
    assert!(!passed(&d, Check::Dnc));
    assert_blocked(&mut d, Reason::LitigationHold, &["dnc-hold"], None);
}

#[test]
fn litigation_hold_is_not_lifted_by_consent_and_blocks_every_channel() {
    let mut fx = Fx::new();
    fx.dnc = vec![dnc(
        "hold-1",
        None,
        Some(LEAD),
        ChannelScope::All,
        DncReason::LitigationHold,
        None,
    )];
    for channel in Channel::ALL {
        let mut f = fx.clone().on(channel);
        if channel == Channel::Whatsapp {
            whatsapp_template(&mut f, TemplateStatus::Approved);
        }
        let mut d = f.eval(now());
        assert!(
            passed(&d, Check::Dnc),
            "a hold is reported on its own check: {d:#?}"
        );
        assert_blocked(&mut d, Reason::LitigationHold, &["hold-1"], None);
    }
}

#[test]
fn litigation_hold_that_expires() {
    let mut fx = Fx::new();
    let until = now() + Duration::hours(2);
    fx.dnc = vec![dnc(
        "hold-1",
        Some(EMAIL),
        None,
        ChannelScope::All,
        DncReason::LitigationHold,
        Some(until),
    )];
    assert_blocked(
        &mut fx.eval(now()),
        Reason::LitigationHold,
        &["hold-1"],
        Some(until),
    );
    assert_allowed(&mut fx.eval(until));
}

#[test]
fn dnc_exact_channel_entry_on_the_phone() {
    let (fx, at) = scenario(Reason::DncListed);
    assert_blocked(
        &mut fx.eval(at),
        Reason::DncListed,
        &["dnc-1", "customer_request"],
        None,
    );
    // The entry names sms only: a call to the same number is not blocked by it.
    assert_allowed(&mut fx.on(Channel::Call).eval(at));
}

#[test]
fn dnc_wildcard_on_the_email_blocks_an_sms_touch() {
    let mut fx = Fx::new();
    fx.dnc = vec![dnc(
        "dnc-mail",
        Some(EMAIL),
        None,
        ChannelScope::All,
        DncReason::OptOutReply,
        None,
    )];
    assert_blocked(
        &mut fx.eval(now()),
        Reason::DncListed,
        &["dnc-mail", "opt_out_reply"],
        None,
    );
    // An email-only entry on the email does not block an sms touch, but blocks email.
    fx.dnc = vec![dnc(
        "dnc-mail",
        Some(EMAIL),
        None,
        ChannelScope::Only(Channel::Email),
        DncReason::ProviderUnsubscribed,
        None,
    )];
    assert_allowed(&mut fx.eval(now()));
    assert_blocked(
        &mut fx.on(Channel::Email).eval(now()),
        Reason::DncListed,
        &["dnc-mail"],
        None,
    );
}

#[test]
fn dnc_entry_naming_the_lead_id() {
    let mut fx = Fx::new();
    fx.dnc = vec![dnc(
        "dnc-lead",
        None,
        Some(LEAD),
        ChannelScope::All,
        DncReason::InternalPolicy,
        None,
    )];
    assert_blocked(
        &mut fx.eval(now()),
        Reason::DncListed,
        &["dnc-lead", LEAD],
        None,
    );
}

#[test]
fn dnc_entries_for_somebody_else_do_not_block() {
    let mut fx = Fx::new();
    fx.dnc = vec![
        dnc(
            "other-phone",
            Some("+14155550124"),
            None,
            ChannelScope::All,
            DncReason::CustomerRequest,
            None,
        ),
        dnc(
            "other-lead",
            None,
            Some("lead-8"),
            ChannelScope::All,
            DncReason::CustomerRequest,
            None,
        ),
        dnc(
            "other-mail",
            Some("bob@example.com"),
            None,
            ChannelScope::All,
            DncReason::CustomerRequest,
            None,
        ),
    ];
    assert_allowed(&mut fx.eval(now()));
}

#[test]
fn dnc_expired_entry_does_not_block() {
    let mut fx = Fx::new();
    for expired in [
        now() - Duration::days(1),
        now() - Duration::seconds(1),
        now(),
    ] {
        fx.dnc = vec![dnc(
            "dnc-old",
            Some(SF_PHONE),
            None,
            ChannelScope::All,
            DncReason::CustomerRequest,
            Some(expired),
        )];
        assert_allowed(&mut fx.eval(now()));
    }
}

#[test]
fn dnc_expiring_entry_retries_at_expiry() {
    let mut fx = Fx::new();
    let expires = now() + Duration::hours(3) + Duration::seconds(17); // 13:00:17 PST
    fx.dnc = vec![dnc(
        "dnc-tmp",
        Some(SF_PHONE),
        None,
        ChannelScope::Only(Channel::Sms),
        DncReason::InternalPolicy,
        Some(expires),
    )];
    let mut d = fx.eval(now());
    assert_eq!(d.check(Check::Dnc).and_then(|c| c.passes_at), Some(expires));
    assert_blocked(
        &mut d,
        Reason::DncListed,
        &["dnc-tmp", "2026-11-18T21:00:17Z"],
        Some(expires),
    );
    assert_allowed(&mut fx.eval(expires));
    assert!(!fx.eval(expires - Duration::seconds(1)).allowed);
}

#[test]
fn dnc_expiring_inside_quiet_hours_retries_when_both_pass() {
    let mut fx = Fx::new();
    // Expires at 22:00 PST, inside quiet hours: the common instant is 08:00 PST next day.
    let expires = utc("2026-11-19T06:00:00Z");
    fx.dnc = vec![dnc(
        "dnc-tmp",
        Some(SF_PHONE),
        None,
        ChannelScope::All,
        DncReason::CustomerRequest,
        Some(expires),
    )];
    let mut d = fx.eval(now());
    assert!(passed(&d, Check::QuietHours));
    assert_blocked(
        &mut d,
        Reason::DncListed,
        &["dnc-tmp"],
        Some(utc("2026-11-19T16:00:00Z")),
    );
}

#[test]
fn dnc_several_expiring_entries_lift_with_the_last() {
    let mut fx = Fx::new();
    let a = now() + Duration::hours(1);
    let b = now() + Duration::hours(2);
    fx.dnc = vec![
        dnc(
            "dnc-a",
            Some(SF_PHONE),
            None,
            ChannelScope::All,
            DncReason::CustomerRequest,
            Some(b),
        ),
        dnc(
            "dnc-b",
            None,
            Some(LEAD),
            ChannelScope::All,
            DncReason::InternalPolicy,
            Some(a),
        ),
    ];
    assert_blocked(
        &mut fx.eval(now()),
        Reason::DncListed,
        &["dnc-a", "1 more"],
        Some(b),
    );
    // One never expires: permanent.
    fx.dnc.push(dnc(
        "dnc-c",
        Some(EMAIL),
        None,
        ChannelScope::All,
        DncReason::CustomerRequest,
        None,
    ));
    assert_blocked(&mut fx.eval(now()), Reason::DncListed, &[], None);
}

#[test]
fn dnc_registry_listing_is_lifted_by_consent_but_a_request_is_not() {
    let mut fx = Fx::new();
    for registry in [DncReason::NationalDnc, DncReason::StateDnc] {
        fx.dnc = vec![dnc(
            "dnc-reg",
            Some(SF_PHONE),
            None,
            ChannelScope::All,
            registry,
            None,
        )];
        // The lead consented to sms: the registry listing yields.
        assert_allowed(&mut fx.eval(now()));
        // Without a consent on the channel it does not (consent not required by the policy,
        // so that the listing is the reason).
        let mut f = fx.clone();
        f.lead.consents.retain(|c| c.channel != Channel::Sms);
        f.policy.require_consent = false;
        assert_blocked(
            &mut f.eval(now()),
            Reason::DncListed,
            &[registry.as_str()],
            None,
        );
        // Contract v2: a registry-like row behaves like a registry listing, which binds
        // marketing telephone touches only (before v2 it also held transactional ones).
        assert_allowed(&mut f.clone().transactional().eval(now()));
        assert_allowed(&mut f.clone().on(Channel::Email).eval(now()));
    }
    fx.dnc = vec![dnc(
        "dnc-cr",
        Some(SF_PHONE),
        None,
        ChannelScope::All,
        DncReason::CustomerRequest,
        None,
    )];
    assert_blocked(
        &mut fx.eval(now()),
        Reason::DncListed,
        &["customer_request"],
        None,
    );

    // A revoked consent no longer lifts the registry listing.
    fx.dnc = vec![dnc(
        "dnc-reg",
        Some(SF_PHONE),
        None,
        ChannelScope::All,
        DncReason::NationalDnc,
        None,
    )];
    for c in &mut fx.lead.consents {
        c.revoked_at = Some(now() - Duration::days(1));
    }
    assert_blocked(
        &mut fx.eval(now()),
        Reason::DncListed,
        &["national_dnc"],
        None,
    );
}

// ---------------------------------------------------------------------------------------------
// Consent
// ---------------------------------------------------------------------------------------------

#[test]
fn consent_missing() {
    let (fx, at) = scenario(Reason::ConsentMissing);
    assert_blocked(&mut fx.eval(at), Reason::ConsentMissing, &["sms"], None);
    for channel in [Channel::Call, Channel::Whatsapp] {
        let mut f = fx.clone().on(channel);
        if channel == Channel::Whatsapp {
            whatsapp_template(&mut f, TemplateStatus::Approved);
        }
        assert_blocked(
            &mut f.eval(at),
            Reason::ConsentMissing,
            &[channel.as_str()],
            None,
        );
    }
    // Email and LinkedIn need none.
    assert_allowed(&mut fx.clone().on(Channel::Email).eval(at));
    assert_allowed(&mut fx.on(Channel::Linkedin).eval(at));
}

#[test]
fn consent_for_another_channel_or_purpose_does_not_count() {
    let mut fx = Fx::new();
    fx.lead.consents = vec![
        consent(Channel::Call, "2026-01-01T00:00:00Z"),
        Consent {
            purpose: Purpose::Transactional,
            ..consent(Channel::Sms, "2026-01-01T00:00:00Z")
        },
    ];
    assert_blocked(&mut fx.eval(now()), Reason::ConsentMissing, &["sms"], None);
}

#[test]
fn consent_granted_after_now() {
    let mut fx = Fx::new();
    fx.lead.consents = vec![consent(Channel::Sms, "2026-11-18T19:00:00Z")];
    assert_blocked(&mut fx.eval(now()), Reason::ConsentMissing, &["sms"], None);
    // Granted exactly at the decision instant counts.
    fx.lead.consents = vec![consent(Channel::Sms, NOW)];
    assert_allowed(&mut fx.eval(now()));
}

#[test]
fn consent_revoked() {
    let mut fx = Fx::new();
    fx.lead.consents = vec![Consent {
        revoked_at: Some(now() - Duration::hours(1)),
        ..consent(Channel::Sms, "2026-01-01T00:00:00Z")
    }];
    assert_blocked(&mut fx.eval(now()), Reason::ConsentMissing, &["sms"], None);
    // Revoked at this very instant: no longer valid.
    fx.lead.consents[0].revoked_at = Some(now());
    assert_blocked(&mut fx.eval(now()), Reason::ConsentMissing, &["sms"], None);
    // Revocation recorded for later: valid now.
    fx.lead.consents[0].revoked_at = Some(now() + Duration::hours(1));
    assert_allowed(&mut fx.eval(now()));
}

#[test]
fn consent_before_number_reassignment_is_void() {
    let mut fx = Fx::new();
    fx.lead.number_reassigned_at = Some(utc("2026-06-01T00:00:00Z"));
    assert_blocked(
        &mut fx.eval(now()),
        Reason::ConsentMissing,
        &["reassign", "2026-06-01"],
        None,
    );
    // Consent given by the new subscriber, after the reassignment, is valid.
    fx.lead
        .consents
        .push(consent(Channel::Sms, "2026-07-01T00:00:00Z"));
    assert_allowed(&mut fx.eval(now()));
}

#[test]
fn transactional_needs_no_consent() {
    let mut fx = Fx::new().transactional();
    fx.lead.consents.clear();
    for channel in [Channel::Sms, Channel::Call] {
        assert_allowed(&mut fx.clone().on(channel).eval(now()));
    }
}

#[test]
fn policy_without_consent_requirement_needs_none() {
    let mut fx = Fx::new();
    fx.lead.consents.clear();
    fx.policy = Policy {
        require_consent: false,
        ..Policy::default()
    };
    assert_allowed(&mut fx.eval(now()));
}

// ---------------------------------------------------------------------------------------------
// DLT (India), templates, WhatsApp
// ---------------------------------------------------------------------------------------------

#[test]
fn dlt_registered_and_matching_passes() {
    let (fx, at) = india();
    let mut d = fx.eval(at);
    assert_allowed(&mut d);
}

#[test]
fn dlt_not_registered() {
    let (fx, at) = scenario(Reason::DltNotRegistered);
    assert_blocked(&mut fx.eval(at), Reason::DltNotRegistered, &["DLT"], None);

    // An entity, but the template id is not registered.
    let (mut fx, at) = india();
    fx.touch.template = Some(TemplateRef {
        id: Some("1107999999999".into()),
        ..TemplateRef::default()
    });
    assert_blocked(
        &mut fx.eval(at),
        Reason::DltNotRegistered,
        &["1107999999999"],
        None,
    );

    // No template id at all.
    fx.touch.template = None;
    assert_blocked(
        &mut fx.eval(at),
        Reason::DltNotRegistered,
        &["DLT template"],
        None,
    );

    // The template's header is not registered.
    let (mut fx, at) = india();
    if let Some(reg) = fx.account.dlt.as_mut() {
        reg.headers = vec!["OTHER".into()];
    }
    assert_blocked(
        &mut fx.eval(at),
        Reason::DltNotRegistered,
        &["ACMEIN"],
        None,
    );
}

#[test]
fn dlt_template_mismatch() {
    let (fx, at) = scenario(Reason::DltTemplateMismatch);
    let mut d = fx.eval(at);
    assert_eq!(
        d.check(Check::Dlt).and_then(|c| c.reason),
        Some(Reason::DltTemplateMismatch)
    );
    assert_blocked(
        &mut d,
        Reason::DltTemplateMismatch,
        &["1107000000001"],
        None,
    );
}

#[test]
fn dlt_applies_to_sms_to_india_only() {
    // Email to the Indian lead, and sms to a US lead without any DLT registration.
    let (fx, at) = scenario(Reason::DltNotRegistered);
    assert_allowed(&mut fx.on(Channel::Email).eval(at));
    let mut us = Fx::new();
    us.account.dlt = None;
    assert_allowed(&mut us.eval(now()));
}

#[test]
fn template_unapproved() {
    let (fx, at) = scenario(Reason::TemplateUnapproved);
    assert_blocked(
        &mut fx.eval(at),
        Reason::TemplateUnapproved,
        &["tpl-42", "rejected"],
        None,
    );

    for status in [
        TemplateStatus::Pending,
        TemplateStatus::Paused,
        TemplateStatus::Disabled,
    ] {
        let mut f = fx.clone();
        f.account.templates[0].status = status;
        assert_blocked(
            &mut f.eval(at),
            Reason::TemplateUnapproved,
            &[status.as_str()],
            None,
        );
    }
    // Approved, reviewed for another channel only, or not under review at all: passes.
    let mut f = fx.clone();
    f.account.templates[0].status = TemplateStatus::Approved;
    assert_allowed(&mut f.eval(at));
    let mut f = fx.clone();
    f.account.templates[0].channel = Some(Channel::Sms);
    assert_allowed(&mut f.eval(at));
    let mut f = fx;
    f.account.templates.clear();
    assert_allowed(&mut f.eval(at));
}

#[test]
fn whatsapp_template_pending_paused_or_unknown() {
    let (fx, at) = scenario(Reason::WhatsappTemplateUnapproved);
    assert_blocked(
        &mut fx.eval(at),
        Reason::WhatsappTemplateUnapproved,
        &["nov_promo", "pending"],
        None,
    );

    let mut f = Fx::new();
    whatsapp_template(&mut f, TemplateStatus::Paused);
    assert_blocked(
        &mut f.eval(now()),
        Reason::WhatsappTemplateUnapproved,
        &["nov_promo", "paused"],
        None,
    );

    let mut f = Fx::new();
    whatsapp_template(&mut f, TemplateStatus::Approved);
    f.touch.template = Some(TemplateRef {
        id: None,
        name: Some("unknown_tpl".into()),
        language: Some("en_US".into()),
    });
    assert_blocked(
        &mut f.eval(now()),
        Reason::WhatsappTemplateUnapproved,
        &["unknown_tpl", "not known"],
        None,
    );

    // Approved in another language only.
    let mut f = Fx::new();
    whatsapp_template(&mut f, TemplateStatus::Approved);
    f.account.whatsapp_templates[0].language = "es".into();
    assert_blocked(
        &mut f.eval(now()),
        Reason::WhatsappTemplateUnapproved,
        &["nov_promo"],
        None,
    );

    // A template message needs no open conversation window.
    let mut f = Fx::new();
    whatsapp_template(&mut f, TemplateStatus::Approved);
    f.lead.last_inbound_whatsapp_at = None;
    assert_allowed(&mut f.eval(now()));
}

#[test]
fn whatsapp_window_closed_after_24_hours() {
    let (fx, at) = scenario(Reason::WhatsappWindowClosed);
    assert_blocked(
        &mut fx.eval(at),
        Reason::WhatsappWindowClosed,
        &["24 h", "2026-11-17T17:00:00Z"],
        None,
    );

    let mut f = fx.clone();
    f.lead.last_inbound_whatsapp_at = None;
    assert_blocked(
        &mut f.eval(at),
        Reason::WhatsappWindowClosed,
        &["none recorded"],
        None,
    );

    // Exactly 24 h ago: closed.
    let mut f = fx.clone();
    f.lead.last_inbound_whatsapp_at = Some(at - Duration::hours(24));
    assert_blocked(
        &mut f.eval(at),
        Reason::WhatsappWindowClosed,
        &["24 h"],
        None,
    );
}

#[test]
fn whatsapp_window_open_within_24_hours() {
    let (mut fx, at) = scenario(Reason::WhatsappWindowClosed);
    for ago in [Duration::hours(23), Duration::minutes(1), Duration::zero()] {
        fx.lead.last_inbound_whatsapp_at = Some(at - ago);
        assert_allowed(&mut fx.eval(at));
    }
}

// ---------------------------------------------------------------------------------------------
// Quiet hours
// ---------------------------------------------------------------------------------------------

#[test]
fn quiet_hours_night_in_los_angeles() {
    let (fx, at) = scenario(Reason::QuietHours);
    let mut d = fx.eval(at);
    let eight = utc("2026-11-18T16:00:00Z"); // 08:00 PST that day
    assert_eq!(
        d.check(Check::QuietHours).and_then(|c| c.passes_at),
        Some(eight)
    );
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &["03:12", "America/Los_Angeles", "08:00-21:00"],
        Some(eight),
    );
    assert_allowed(&mut fx.eval(eight));
    assert!(!fx.eval(eight - Duration::seconds(1)).allowed);
    // 21:00 PST is the (exclusive) end.
    assert!(fx.eval(utc("2026-11-19T04:59:59Z")).allowed);
    let mut d = fx.eval(utc("2026-11-19T05:00:00Z"));
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &["21:00"],
        Some(utc("2026-11-19T16:00:00Z")),
    );
}

#[test]
fn quiet_hours_florida_rule_binds_at_half_past_eight() {
    let fx = Fx::new().with_phone(MIAMI_PHONE);
    let at = utc("2026-11-19T01:30:00Z"); // 20:30 EST
    let mut d = fx.eval(at);
    let rule = d.check(Check::QuietHours).and_then(|c| c.rule.clone());
    assert!(
        rule.as_deref().is_some_and(|r| r.starts_with("us-fl")),
        "the Florida rule should bind at 20:30 local, got rule {rule:?}: {d:#?}"
    );
    // 08:00 EST next morning.
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &["20:30", "America/New_York"],
        Some(utc("2026-11-19T13:00:00Z")),
    );
    // 19:59 is fine.
    assert_allowed(&mut fx.eval(utc("2026-11-19T00:59:00Z")));
}

#[test]
fn quiet_hours_florida_transactional_follows_the_account_window_only() {
    let fx = Fx::new().with_phone(MIAMI_PHONE).transactional();
    assert_allowed(&mut fx.eval(utc("2026-11-19T01:30:00Z"))); // 20:30 EST
    let mut d = fx.eval(utc("2026-11-19T02:00:00Z")); // 21:00 EST
    assert_eq!(
        d.check(Check::QuietHours).and_then(|c| c.rule.clone()),
        None
    );
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &["21:00"],
        Some(utc("2026-11-19T13:00:00Z")),
    );
}

#[test]
fn quiet_hours_none_on_email_and_linkedin_by_default() {
    let at = utc("2026-11-18T11:12:00Z"); // 03:12 PST
    assert_allowed(&mut Fx::new().on(Channel::Email).eval(at));
    assert_allowed(&mut Fx::new().on(Channel::Linkedin).eval(at));
    // Every telephone channel has the built-in window.
    for channel in [Channel::Sms, Channel::Call] {
        assert_blocked(
            &mut Fx::new().on(channel).eval(at),
            Reason::QuietHours,
            &["03:12"],
            Some(utc("2026-11-18T16:00:00Z")),
        );
    }
}

#[test]
fn quiet_hours_account_default_null_disables_the_account_window() {
    let at = utc("2026-11-18T11:12:00Z"); // 03:12 PST
    let mut fx = Fx::new();
    fx.account.quiet_hours = QuietHours {
        default: Some(None),
        channels: BTreeMap::new(),
    };
    // No account window for any unlisted channel...
    assert_eq!(fx.account.quiet_hours.window_for(Channel::Sms), None);
    assert_allowed(&mut fx.clone().transactional().eval(at));
    assert_allowed(&mut fx.clone().on(Channel::Email).eval(at));
    // ...but marketing sms to a US number still follows the TCPA rule pack.
    let mut d = fx.eval(at);
    assert_eq!(
        d.check(Check::QuietHours)
            .and_then(|c| c.rule.clone())
            .as_deref(),
        Some("us-tcpa-calling-hours")
    );
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &["03:12", "47 CFR 64.1200(c)(1)"],
        Some(utc("2026-11-18T16:00:00Z")),
    );
}

#[test]
fn quiet_hours_account_windows_per_channel_and_default() {
    let mut fx = Fx::new().on(Channel::Email);
    fx.account.quiet_hours = QuietHours {
        default: Some(Some(window(22, 0, 6, 0))),
        channels: BTreeMap::from([
            (Channel::Email, Some(window(9, 0, 17, 0))),
            (Channel::Sms, None),
        ]),
    };
    // Email: 09:00-17:00 PST.
    let mut d = fx.eval(utc("2026-11-18T16:30:00Z")); // 08:30 PST
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &["08:30", "09:00-17:00"],
        Some(utc("2026-11-18T17:00:00Z")),
    );
    // LinkedIn follows the wrapping default 22:00-06:00.
    let fx = fx.on(Channel::Linkedin);
    let mut d = fx.eval(now()); // 10:00 PST
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &["22:00-06:00"],
        Some(utc("2026-11-19T06:00:00Z")),
    );
    assert_allowed(&mut fx.eval(utc("2026-11-18T13:59:59Z"))); // 05:59:59 PST
    // Sms: explicitly none, but the TCPA rule still applies to marketing.
    let fx = fx.on(Channel::Sms);
    assert_allowed(&mut fx.clone().transactional().eval(utc("2026-11-18T11:12:00Z")));
    assert!(!fx.eval(utc("2026-11-18T11:12:00Z")).allowed);
}

/// Contract v2: a stored zone no longer hides the number's own zone. A San Francisco number
/// whose lead says New York is judged in both (before v2 only New York counted).
#[test]
fn quiet_hours_judge_the_stored_zone_and_the_numbers_zone_together() {
    let mut fx = Fx::new();
    fx.lead.timezone = Some(chrono_tz::America::New_York);
    // 05:30 PST / 08:30 EST: New York is open, San Francisco is not.
    let mut d = fx.eval(utc("2026-11-18T13:30:00Z"));
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &[
            "America/Los_Angeles",
            "America/New_York (lead timezone)",
            "America/Los_Angeles (phone prefix)",
        ],
        Some(utc("2026-11-18T16:00:00Z")),
    );
    assert_allowed(&mut fx.eval(utc("2026-11-18T16:00:00Z")));
    // 18:30 PST = 21:30 EST: New York has closed; both open again at 08:00 PST.
    let mut d = fx.eval(utc("2026-11-19T02:30:00Z"));
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &["America/New_York"],
        Some(utc("2026-11-19T16:00:00Z")),
    );
}

#[test]
fn multi_zone_number_has_both_zones() {
    let loc = phone(IDAHO_MULTI_ZONE).location().clone();
    assert_eq!(loc.zones.len(), 2, "{loc:?}");
    assert!(loc.zones.contains(&chrono_tz::America::Boise), "{loc:?}");
    assert!(
        loc.zones.contains(&chrono_tz::America::Los_Angeles),
        "{loc:?}"
    );
}

#[test]
fn multi_zone_allowed_only_when_both_zones_are_in_the_window() {
    let fx = Fx::new().with_phone(IDAHO_MULTI_ZONE);
    // 08:30 MST in Boise, 07:30 PST in Los Angeles.
    let mut d = fx.eval(utc("2026-11-18T15:30:00Z"));
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &[
            "America/Los_Angeles",
            "zones considered: America/Boise (phone prefix), America/Los_Angeles (phone prefix)",
        ],
        Some(utc("2026-11-18T16:00:00Z")),
    );
    assert_allowed(&mut fx.eval(utc("2026-11-18T16:00:00Z")));
    // 20:59 MST / 19:59 PST: allowed; 21:00 MST: Boise closes; both open again at 08:00 PST.
    assert_allowed(&mut fx.eval(utc("2026-11-19T03:59:00Z")));
    let mut d = fx.eval(utc("2026-11-19T04:00:00Z"));
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &["America/Boise"],
        Some(utc("2026-11-19T16:00:00Z")),
    );
    // The earliest minute before that is still blocked (Boise open from 15:00Z, LA not).
    assert!(!fx.eval(utc("2026-11-19T15:59:00Z")).allowed);
}

#[test]
fn multi_zone_windows_that_never_overlap_are_permanent() {
    // Transactional (no rule pack), account window 08:00-09:00: 08:00-09:00 MST is 07:00-08:00
    // PST, so the two zones are never open together.
    let mut fx = Fx::new().with_phone(IDAHO_MULTI_ZONE).transactional();
    fx.account.quiet_hours = QuietHours {
        default: Some(Some(window(8, 0, 9, 0))),
        channels: BTreeMap::new(),
    };
    let mut d = fx.eval(now());
    assert_blocked(&mut d, Reason::QuietHours, &["never open together"], None);
}

// ---------------------------------------------------------------------------------------------
// Caps
// ---------------------------------------------------------------------------------------------

#[test]
fn min_gap() {
    let (fx, at) = scenario(Reason::MinGap);
    let lifts = at + Duration::minutes(10);
    assert_blocked(&mut fx.eval(at), Reason::MinGap, &["900"], Some(lifts));
    assert_allowed(&mut fx.eval(lifts));
    assert!(!fx.eval(lifts - Duration::seconds(1)).allowed);
}

#[test]
fn hourly_limit() {
    let (fx, at) = scenario(Reason::HourlyLimit);
    let frees = at + Duration::minutes(10);
    assert_blocked(
        &mut fx.eval(at),
        Reason::HourlyLimit,
        &["3 of 3"],
        Some(frees),
    );
    assert_allowed(&mut fx.eval(frees));
    assert!(!fx.eval(frees - Duration::seconds(1)).allowed);
    // Sends on another channel or by another account do not count.
    let mut f = fx.clone();
    for s in &mut f.sends {
        s.channel = Channel::Call;
    }
    assert_allowed(&mut f.eval(at));
    let mut f = fx;
    for s in &mut f.sends {
        s.account_id = "sdr-2".into();
    }
    assert_allowed(&mut f.eval(at));
}

#[test]
fn daily_limit() {
    let (fx, at) = scenario(Reason::DailyLimit);
    let frees = at + Duration::hours(1);
    assert_blocked(
        &mut fx.eval(at),
        Reason::DailyLimit,
        &["2 of 2"],
        Some(frees),
    );
    assert_allowed(&mut fx.eval(frees));
}

#[test]
fn zero_cap_is_permanent() {
    let fx = Fx::new().limits(
        Channel::Sms,
        ChannelLimits {
            hourly: Some(0),
            ..ChannelLimits::default()
        },
    );
    assert_blocked(&mut fx.eval(now()), Reason::HourlyLimit, &["0 of 0"], None);
}

#[test]
fn weekly_limit_counts_invitations_only() {
    let (fx, at) = scenario(Reason::WeeklyLimit);
    let frees = at + Duration::days(1);
    assert_blocked(
        &mut fx.eval(at),
        Reason::WeeklyLimit,
        &["2 of 2", "invitations"],
        Some(frees),
    );
    assert_allowed(&mut fx.eval(frees));

    // A message is not limited by weekly_invites, even when the invitations are used up.
    let mut f = fx.clone();
    f.touch.action = LinkedInAction::Message;
    assert_allowed(&mut f.eval(at));

    // Messages do not count toward the invitation cap.
    let mut f = fx;
    f.sends = (1..=6)
        .map(|h| {
            sent(
                at - Duration::hours(h),
                ACCOUNT,
                "lead-1",
                Channel::Linkedin,
            )
        })
        .collect();
    f.sends.push(SendRecord {
        action: LinkedInAction::Invite,
        ..sent(at - Duration::days(2), ACCOUNT, "lead-2", Channel::Linkedin)
    });
    assert_allowed(&mut f.eval(at));
}

#[test]
fn recipient_frequency_florida_three_in_24_hours() {
    let (fx, at) = scenario(Reason::RecipientFrequency);
    let mut d = fx.eval(at);
    let rule = d
        .check(Check::RecipientFrequency)
        .and_then(|c| c.rule.clone());
    assert!(
        rule.as_deref().is_some_and(|r| r.starts_with("us-fl")),
        "rule {rule:?}: {d:#?}"
    );
    // The oldest counted solicitation (20 h ago) leaves the window in 4 h: 16:00 EST.
    let frees = at + Duration::hours(4);
    assert_blocked(&mut d, Reason::RecipientFrequency, &["3"], Some(frees));
    assert_allowed(&mut fx.eval(frees));
    // Email to the same lead is not a solicitation under the rule.
    assert_allowed(&mut fx.clone().on(Channel::Email).eval(at));
    // Transactional sms is not capped.
    assert_allowed(&mut fx.clone().transactional().eval(at));
}

#[test]
fn recipient_frequency_two_in_24_hours_pass() {
    let (mut fx, at) = scenario(Reason::RecipientFrequency);
    fx.sends.remove(0);
    assert_allowed(&mut fx.eval(at));
}

#[test]
fn recipient_frequency_does_not_apply_in_california() {
    let (fx, at) = scenario(Reason::RecipientFrequency);
    let fx = fx.with_phone(SF_PHONE);
    // 09:00 PST.
    assert_allowed(&mut fx.eval(at));
}

// ---------------------------------------------------------------------------------------------
// Combined retry_after
// ---------------------------------------------------------------------------------------------

#[test]
fn retry_after_min_gap_lifting_before_quiet_hours_open() {
    // 21:30 PST: quiet hours open at 08:00 PST next day; the min-gap lifts earlier, at 10:45Z
    // (02:45 PST). The later one wins.
    let last = utc("2026-11-18T21:30:00Z");
    let mut fx = Fx::new().limits(
        Channel::Sms,
        ChannelLimits {
            min_gap_seconds: Some(13 * 3600 + 15 * 60),
            ..ChannelLimits::default()
        },
    );
    fx.sends = vec![sent(last, ACCOUNT, "lead-1", Channel::Sms)];
    let at = utc("2026-11-19T05:30:00Z");
    let mut d = fx.eval(at);
    assert_eq!(
        d.check(Check::MinGap).and_then(|c| c.passes_at),
        Some(utc("2026-11-19T10:45:00Z"))
    );
    assert_eq!(
        d.check(Check::QuietHours).and_then(|c| c.passes_at),
        Some(utc("2026-11-19T16:00:00Z"))
    );
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &["21:30"],
        Some(utc("2026-11-19T16:00:00Z")),
    );
}

#[test]
fn retry_after_min_gap_lifting_inside_quiet_hours() {
    // 20:50 PST, last send 20:45 PST, gap 1 h: lifts at 21:45 PST, after the window closed.
    let mut fx = Fx::new().limits(
        Channel::Sms,
        ChannelLimits {
            min_gap_seconds: Some(3600),
            ..ChannelLimits::default()
        },
    );
    fx.sends = vec![sent(
        utc("2026-11-19T04:45:00Z"),
        ACCOUNT,
        "lead-1",
        Channel::Sms,
    )];
    let mut d = fx.eval(utc("2026-11-19T04:50:00Z"));
    assert!(passed(&d, Check::QuietHours));
    assert_blocked(
        &mut d,
        Reason::MinGap,
        &["3600"],
        Some(utc("2026-11-19T16:00:00Z")),
    );
}

#[test]
fn retry_after_min_gap_and_hourly_cap() {
    // Min-gap lifts at 18:45Z, the hourly cap frees at 19:00Z: 19:00Z.
    let mut fx = Fx::new().limits(
        Channel::Sms,
        ChannelLimits {
            min_gap_seconds: Some(1800),
            hourly: Some(2),
            ..ChannelLimits::default()
        },
    );
    fx.sends = vec![
        sent(utc("2026-11-18T18:00:00Z"), ACCOUNT, "lead-1", Channel::Sms),
        sent(utc("2026-11-18T18:15:00Z"), ACCOUNT, "lead-2", Channel::Sms),
    ];
    let mut d = fx.eval(utc("2026-11-18T18:30:00Z"));
    assert!(!passed(&d, Check::HourlyLimit));
    assert_blocked(
        &mut d,
        Reason::MinGap,
        &[],
        Some(utc("2026-11-18T19:00:00Z")),
    );
}

#[test]
fn retry_after_daily_cap_freeing_at_night() {
    // Daily cap 1, the send was at 22:30 PST yesterday: it frees at 22:30 PST today, after
    // the window closed; the next instant both pass is 08:00 PST tomorrow.
    let mut fx = Fx::new().limits(
        Channel::Sms,
        ChannelLimits {
            daily: Some(1),
            ..ChannelLimits::default()
        },
    );
    fx.sends = vec![sent(
        utc("2026-11-18T06:30:00Z"),
        ACCOUNT,
        "lead-1",
        Channel::Sms,
    )];
    let mut d = fx.eval(now());
    assert_eq!(
        d.check(Check::DailyLimit).and_then(|c| c.passes_at),
        Some(utc("2026-11-19T06:30:00Z"))
    );
    assert_blocked(
        &mut d,
        Reason::DailyLimit,
        &["1 of 1"],
        Some(utc("2026-11-19T16:00:00Z")),
    );
}

#[test]
fn retry_after_quiet_hours_then_florida_cap() {
    // 21:00 EST in Miami with three solicitations in the last 24 h, the oldest at 08:30 EST
    // tomorrow minus 24 h: quiet hours open at 08:00 EST, the cap frees at 08:30 EST.
    let mut fx = Fx::new().with_phone(MIAMI_PHONE);
    let at = utc("2026-11-19T02:00:00Z");
    fx.sends = vec![
        sent(utc("2026-11-18T13:30:00Z"), ACCOUNT, LEAD, Channel::Sms),
        sent(utc("2026-11-18T15:00:00Z"), ACCOUNT, LEAD, Channel::Call),
        sent(utc("2026-11-18T20:00:00Z"), "sdr-2", LEAD, Channel::Sms),
    ];
    let mut d = fx.eval(at);
    assert!(!passed(&d, Check::RecipientFrequency));
    assert_blocked(
        &mut d,
        Reason::QuietHours,
        &[],
        Some(utc("2026-11-19T13:30:00Z")),
    );
}

// ---------------------------------------------------------------------------------------------
// Report and permit
// ---------------------------------------------------------------------------------------------

#[test]
fn every_check_is_reported_in_order() {
    let mut d = Fx::new().eval(now());
    assert_eq!(d.checks.len(), 22);
    assert_allowed(&mut d);

    // Everything fails at once: still 22 checks in order, the first failure is the reason.
    let (mut fx, _) = scenario(Reason::MinGap);
    fx.account.status = AccountStatus::Suspended;
    fx.account.paused_channels = vec![Channel::Sms];
    fx.lead.consents.clear();
    let d = fx.eval(utc("2026-11-19T06:00:00Z"));
    assert_report_shape(&d);
    assert_eq!(d.reason, Some(Reason::AccountPaused));
    let failed: Vec<Check> = d
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.check)
        .collect();
    assert_eq!(
        failed,
        vec![
            Check::AccountStatus,
            Check::ChannelStatus,
            Check::Consent,
            Check::AccountQuietHours,
            Check::QuietHours
        ]
    );
    assert_eq!(d.retry_after, None);
}

#[test]
fn allowed_decision_carries_a_permit() {
    let at = now() + Duration::seconds(7);
    for (channel, recipient) in [
        (Channel::Sms, SF_PHONE),
        (Channel::Call, SF_PHONE),
        (Channel::Email, EMAIL),
        (Channel::Linkedin, "in:ana"),
    ] {
        let mut fx = Fx::new().on(channel);
        fx.touch.id = format!("touch-{channel}");
        let mut d = fx.eval(at);
        assert!(d.allowed, "{d:#?}");
        let permit = d.take_permit().expect("permit");
        assert!(d.take_permit().is_none(), "the permit is taken once");
        assert_eq!(permit.touch_id(), fx.touch.id);
        assert_eq!(permit.account_id(), ACCOUNT);
        assert_eq!(permit.channel(), channel);
        assert_eq!(permit.recipient(), recipient);
        assert_eq!(permit.issued_at(), at);
        assert_eq!(permit.expires_at(), at + PERMIT_TTL);
        assert!(permit.is_valid_at(at));
        assert!(permit.is_valid_at(at + PERMIT_TTL - Duration::seconds(1)));
        assert!(!permit.is_valid_at(at + PERMIT_TTL));
        assert!(!permit.is_valid_at(at - Duration::seconds(1)));
        assert!(permit.authorizes(channel, recipient, at).is_ok());
        let other = if channel == Channel::Email {
            Channel::Sms
        } else {
            Channel::Email
        };
        assert!(permit.authorizes(other, recipient, at).is_err());
        assert!(permit.authorizes(channel, "+14155550199", at).is_err());
        assert!(
            permit
                .authorizes(channel, recipient, at + PERMIT_TTL)
                .is_err()
        );
    }
}

#[test]
fn whatsapp_permit_names_the_whatsapp_number() {
    let mut fx = Fx::new();
    whatsapp_template(&mut fx, TemplateStatus::Approved);
    fx.lead.whatsapp = Some(phone("+14155550199"));
    let mut d = fx.eval(now());
    let permit = d.take_permit().expect("permit");
    assert_eq!(permit.channel(), Channel::Whatsapp);
    assert_eq!(permit.recipient(), "+14155550199");
}

#[test]
fn blocked_decisions_carry_no_permit() {
    for reason in Reason::ALL {
        let (fx, at) = scenario(reason);
        let mut d = fx.eval(at);
        assert!(d.take_permit().is_none(), "{reason}");
    }
}

// ---------------------------------------------------------------------------------------------
// Reservations dated after `now`
// ---------------------------------------------------------------------------------------------

/// `SendRecord`s include reservations "taken by a touch that is being sent now"; another
/// worker's reservation can carry an instant a little after this decision's `now` (its clock
/// was read later). Sending now as well would put both sends inside one trailing hour / one
/// min-gap, so the caps must count it.
#[test]
fn caps_count_a_reservation_dated_just_after_now() {
    let reservation = now() + Duration::seconds(1);

    // Hourly cap 2: one send 30 min ago and a reservation 1 s from now. Sending now would make
    // three sends in the hour ending at the reservation.
    let mut fx = Fx::new().limits(
        Channel::Sms,
        ChannelLimits {
            hourly: Some(2),
            ..ChannelLimits::default()
        },
    );
    fx.sends = vec![
        sent(
            now() - Duration::minutes(30),
            ACCOUNT,
            "lead-1",
            Channel::Sms,
        ),
        sent(reservation, ACCOUNT, "lead-2", Channel::Sms),
    ];
    let d = fx.eval(now());
    assert_eq!(d.reason, Some(Reason::HourlyLimit), "{d:#?}");

    // Min gap 60 s and a reservation 1 s from now: a send now is 1 s from it.
    let mut fx = Fx::new().limits(
        Channel::Sms,
        ChannelLimits {
            min_gap_seconds: Some(60),
            ..ChannelLimits::default()
        },
    );
    fx.sends = vec![sent(reservation, ACCOUNT, "lead-2", Channel::Sms)];
    let d = fx.eval(now());
    assert_eq!(d.reason, Some(Reason::MinGap), "{d:#?}");
}

/// With a reservation dated after `now`, `retry_after` must still be an instant at which the
/// min-gap passes: here the gap after the reservation, not after the last past send.
#[test]
fn min_gap_retry_after_accounts_for_a_reservation_dated_after_now() {
    let mut fx = Fx::new().limits(
        Channel::Sms,
        ChannelLimits {
            min_gap_seconds: Some(513),
            ..ChannelLimits::default()
        },
    );
    fx.sends = vec![
        sent(now(), ACCOUNT, "lead-1", Channel::Sms),
        sent(
            now() + Duration::seconds(1),
            ACCOUNT,
            "lead-2",
            Channel::Sms,
        ),
    ];
    let d = fx.eval(now());
    assert_eq!(d.reason, Some(Reason::MinGap));
    let r = d.retry_after.expect("time-based");
    let again = fx.eval(r);
    assert!(again.allowed, "retry_after {r} is not allowed: {again:#?}");
    assert_eq!(r, now() + Duration::seconds(514));
}

#[test]
fn registry_listing_yields_only_to_a_consent_for_the_touchs_purpose() {
    let mut fx = Fx::new();
    fx.dnc = vec![dnc(
        "dnc-reg",
        Some(SF_PHONE),
        None,
        ChannelScope::All,
        DncReason::NationalDnc,
        None,
    )];
    // The only sms consent is for transactional messages: it does not lift a national DNC
    // listing for a marketing touch, and the touch has no marketing consent either.
    for c in fx
        .lead
        .consents
        .iter_mut()
        .filter(|c| c.channel == Channel::Sms)
    {
        c.purpose = Purpose::Transactional;
    }
    fx.policy.require_consent = false;
    assert_blocked(
        &mut fx.eval(now()),
        Reason::DncListed,
        &["national_dnc"],
        None,
    );
    // A transactional touch is not bound by a registry listing at all (Contract v2).
    let t = fx.clone().transactional();
    assert_allowed(&mut t.eval(now()));
}

/// Mississippi gives its hours in "Central Standard Time": both the literal reading (fixed
/// UTC-6) and the local-time reading apply, so in summer only 09:00–20:00 CDT is open.
#[test]
fn mississippi_hours_hold_under_both_readings_of_central_standard_time() {
    let fx = Fx::new().with_phone("+16015550123"); // Jackson, MS
    let ms = Phone::parse("+16015550123", None).expect("valid");
    assert_eq!(ms.location().subdivision, Some("MS"));
    // Wednesday 2026-07-15, 08:30 CDT = 13:30Z = 07:30 CST: the literal reading binds.
    let d = fx.eval(utc("2026-07-15T13:30:00Z"));
    assert_eq!(d.reason, Some(Reason::QuietHours));
    assert_eq!(rule_of(&d, Check::QuietHours), Some("us-ms-tsa-hours-cst"));
    // 09:00 CDT = 14:00Z: open under both.
    assert_eq!(d.retry_after, Some(utc("2026-07-15T14:00:00Z")));
    assert_allowed(&mut fx.eval(utc("2026-07-15T14:00:00Z")));
    // 20:30 CDT = 01:30Z next day = 19:30 CST: the local reading binds.
    let d = fx.eval(utc("2026-07-16T01:30:00Z"));
    assert_eq!(rule_of(&d, Check::QuietHours), Some("us-ms-tsa-hours"));
    // In winter both readings agree: 08:00 CST opens.
    assert_allowed(&mut fx.eval(utc("2026-01-14T14:00:00Z")));
}

/// Facts from outside can hold instants at the ends of time; the gate saturates instead of
/// overflowing (found by the never-panics property: a send dated at the latest instant with a
/// min-gap cap).
#[test]
fn instants_at_the_ends_of_time_do_not_panic() {
    let mut fx = Fx::new().limits(
        Channel::Sms,
        ChannelLimits {
            min_gap_seconds: Some(1),
            hourly: Some(1),
            daily: Some(1),
            weekly_invites: None,
            warmup: None,
        },
    );
    fx.sends = vec![SendRecord {
        at: DateTime::<Utc>::MAX_UTC,
        account_id: ACCOUNT.into(),
        lead_id: LEAD.into(),
        recipient: Some(SF_PHONE.into()),
        channel: Channel::Sms,
        purpose: Purpose::Marketing,
        action: LinkedInAction::Message,
    }];
    let d = fx.eval(now());
    assert!(!d.allowed);
    assert_eq!(d.reason, Some(Reason::MinGap));
    // The send never leaves the windows: time alone cannot lift the block.
    assert_eq!(d.retry_after, None);
    let _ = fx.eval(DateTime::<Utc>::MIN_UTC);
    let _ = fx.eval(DateTime::<Utc>::MAX_UTC);
}
