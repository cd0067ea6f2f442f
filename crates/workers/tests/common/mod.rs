//! Shared test helpers: real permits from the gate (they cannot be forged), messages, clocks.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use chrono::{DateTime, Duration, Utc};
use gate::{Channel, Email, LinkedInId, Phone};
use workers::OutboundMessage;

pub const PHONE: &str = "+14155550123";
pub const EMAIL: &str = "ana@example.com";
pub const LINKEDIN: &str = "urn:li:fsd_profile:ACoAAB1cD";

/// 10:00 in Los Angeles: inside every quiet-hours window for +1 415 numbers.
pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T18:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A permit the gate issues for `channel` to `recipient` at `at`.
pub fn permit_at(channel: Channel, recipient: &str, at: DateTime<Utc>) -> gate::Permit {
    let account = gate::Account {
        id: "acct-1".to_owned(),
        ..Default::default()
    };
    let mut lead = gate::Lead {
        id: "lead-1".to_owned(),
        last_inbound_whatsapp_at: Some(at - Duration::hours(1)),
        ..Default::default()
    };
    match channel {
        Channel::Email => lead.email = Some(Email::parse(recipient).unwrap()),
        Channel::Sms | Channel::Call => lead.phone = Some(Phone::parse(recipient, None).unwrap()),
        Channel::Whatsapp => lead.whatsapp = Some(Phone::parse(recipient, None).unwrap()),
        Channel::Linkedin => lead.linkedin = Some(LinkedInId::parse(recipient).unwrap()),
    }
    let policy = gate::Policy {
        require_consent: false,
        ..Default::default()
    };
    let touch = gate::Touch {
        id: "touch-1".to_owned(),
        account_id: account.id.clone(),
        lead_id: lead.id.clone(),
        channel,
        purpose: gate::Purpose::Transactional,
        template: None,
        body: Some("Hello Ana".to_owned()),
        action: gate::LinkedInAction::Message,
        automated: false,
    };
    let sends = gate::SendLog::new();
    let facts = gate::Facts::new(&policy, &account, &lead, &sends);
    let mut decision = gate::evaluate_send(&touch, &facts, at);
    assert!(decision.allowed, "{decision:?}");
    decision.take_permit().unwrap()
}

pub fn permit(channel: Channel, recipient: &str) -> gate::Permit {
    permit_at(channel, recipient, now())
}

pub fn message(channel: Channel, to: &str) -> OutboundMessage {
    OutboundMessage {
        touch_id: "touch-1".to_owned(),
        channel,
        to: to.to_owned(),
        from: None,
        subject: None,
        body: Some("Hello Ana".to_owned()),
        template: None,
        linkedin_action: None,
        unsubscribe_url: None,
        last_check: None,
    }
}

/// An address where nothing listens (connection refused).
pub async fn dead_address() -> std::net::SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    addr
}

/// An HTTP "server" that reads the request and hangs up without answering (a reset after
/// the request was sent).
pub async fn hang_up_server() -> std::net::SocketAddr {
    use tokio::io::AsyncReadExt;
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            let mut buf = vec![0u8; 65536];
            let _ = s.read(&mut buf).await;
            drop(s);
        }
    });
    addr
}

/// An env lookup over fixed pairs.
pub fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}
