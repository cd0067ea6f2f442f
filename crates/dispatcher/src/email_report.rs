//! Bounces and complaints: a delivery status notification (RFC 3464, `multipart/report;
//! report-type=delivery-status`) or a feedback-loop report (RFC 5965 ARF, `report-type=
//! feedback-report`), read from a raw message with `mail-parser`. What is read: each failed
//! recipient with its status code (`5.x.x` permanent, `4.x.x` transient), the complaint's
//! feedback type and recipient, and the Message-ID of the message the report is about (from
//! the returned `message/rfc822` part or `text/rfc822-headers`). A message that is not a
//! report, or a report too broken to read, is `None` (the caller records it as received).

use mail_parser::{MessageParser, MimeHeaders, PartType};

/// What a report says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// A delivery status notification: one entry per recipient it reports on.
    Delivery {
        bounces: Vec<Bounce>,
        /// The Message-ID of the message that bounced (without angle brackets).
        original_message_id: Option<String>,
    },
    /// A feedback-loop complaint.
    Complaint {
        /// `abuse`, `fraud`, `other` … (RFC 5965).
        feedback_type: String,
        /// Who complained: `Original-Rcpt-To`, else the returned message's `To`.
        recipient: Option<String>,
        original_message_id: Option<String>,
    },
}

/// One recipient of a delivery status notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounce {
    /// The address (lower case), from `Final-Recipient` (else `Original-Recipient`).
    pub recipient: String,
    /// `failed`, `delayed`, `delivered`, `relayed`, `expanded`.
    pub action: String,
    /// The status code, `5.1.1`.
    pub status: String,
    pub diagnostic: Option<String>,
}

impl Bounce {
    /// A permanent failure: `Action: failed` with a `5.x.x` status.
    pub fn is_permanent(&self) -> bool {
        self.action == "failed" && self.status.starts_with('5')
    }

    /// A transient failure: a `4.x.x` status (`delayed`, or `failed` after retries).
    pub fn is_transient(&self) -> bool {
        self.status.starts_with('4')
    }
}

/// The report in `raw`, if it is one.
pub fn parse(raw: &[u8]) -> Option<Report> {
    let m = MessageParser::default().parse(raw)?;
    let ct = m.root_part().content_type()?;
    if !ct.ctype().eq_ignore_ascii_case("multipart")
        || !ct
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    {
        return None;
    }
    let kind = ct
        .attribute("report-type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut status_fields: Option<Vec<Vec<(String, String)>>> = None;
    let mut original_id: Option<String> = None;
    let mut original_to: Option<String> = None;
    for part in m.parts.iter().skip(1) {
        let Some(pct) = part.content_type() else {
            continue;
        };
        let (ctype, sub) = (
            pct.ctype().to_ascii_lowercase(),
            pct.subtype().unwrap_or_default().to_ascii_lowercase(),
        );
        match (ctype.as_str(), sub.as_str()) {
            ("message", "delivery-status" | "global-delivery-status" | "feedback-report") => {
                status_fields = Some(field_blocks(&String::from_utf8_lossy(part.contents())));
            }
            ("message", "rfc822" | "global") => {
                if let PartType::Message(inner) = &part.body {
                    original_id = original_id.or_else(|| inner.message_id().map(str::to_owned));
                    original_to = original_to.or_else(|| {
                        inner
                            .to()
                            .and_then(|a| a.first())
                            .and_then(|a| a.address())
                            .map(str::to_owned)
                    });
                } else {
                    // Returned headers that mail-parser kept as text.
                    let (id, to) = ids_in_headers(&String::from_utf8_lossy(part.contents()));
                    original_id = original_id.or(id);
                    original_to = original_to.or(to);
                }
            }
            ("text", "rfc822-headers") => {
                let (id, to) = ids_in_headers(&String::from_utf8_lossy(part.contents()));
                original_id = original_id.or(id);
                original_to = original_to.or(to);
            }
            _ => {}
        }
    }
    let blocks = status_fields?;
    match kind.as_str() {
        "delivery-status" => {
            let bounces: Vec<Bounce> = blocks
                .iter()
                .filter_map(|b| {
                    let recipient = field(b, "final-recipient")
                        .or_else(|| field(b, "original-recipient"))
                        .map(address_of)?;
                    Some(Bounce {
                        recipient,
                        action: field(b, "action")?.trim().to_ascii_lowercase(),
                        status: status_code(field(b, "status")?)?,
                        diagnostic: field(b, "diagnostic-code").map(str::to_owned),
                    })
                })
                .collect();
            (!bounces.is_empty()).then_some(Report::Delivery {
                bounces,
                original_message_id: original_id,
            })
        }
        "feedback-report" => {
            let fields: Vec<(String, String)> = blocks.into_iter().flatten().collect();
            let feedback_type = field(&fields, "feedback-type")?.trim().to_ascii_lowercase();
            let recipient = field(&fields, "original-rcpt-to")
                .map(address_of)
                .or(original_to.map(|t| t.trim().to_ascii_lowercase()));
            Some(Report::Complaint {
                feedback_type,
                recipient,
                original_message_id: original_id,
            })
        }
        _ => None,
    }
}

/// `Name: value` blocks separated by blank lines (continuation lines unfolded).
fn field_blocks(text: &str) -> Vec<Vec<(String, String)>> {
    let mut blocks = Vec::new();
    let mut block: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !block.is_empty() {
                blocks.push(std::mem::take(&mut block));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = block.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            block.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    if !block.is_empty() {
        blocks.push(block);
    }
    blocks
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// `rfc822; Ana@Example.com` → `ana@example.com`.
fn address_of(value: &str) -> String {
    let v = value.split_once(';').map_or(value, |(_, a)| a);
    v.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_ascii_lowercase()
}

/// `5.1.1 (user unknown)` → `5.1.1`; anything but `d.d.d` is no status.
fn status_code(value: &str) -> Option<String> {
    let code = value.split_whitespace().next()?;
    let mut parts = code.split('.');
    let ok = parts.clone().count() == 3
        && parts.all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
    ok.then(|| code.to_owned())
}

/// The `Message-ID` and `To` in a block of returned headers.
fn ids_in_headers(text: &str) -> (Option<String>, Option<String>) {
    let blocks = field_blocks(text);
    let fields = blocks.first().map(Vec::as_slice).unwrap_or_default();
    let id = field(fields, "message-id").map(|v| {
        v.trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_owned()
    });
    let to = field(fields, "to").map(|v| {
        match v.rsplit_once('<') {
            Some((_, a)) => a.trim_end_matches('>').trim(),
            None => v.trim(),
        }
        .to_ascii_lowercase()
    });
    (id, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/data/reports/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn bounce(name: &str) -> (Vec<Bounce>, Option<String>) {
        match parse(&sample(name)) {
            Some(Report::Delivery {
                bounces,
                original_message_id,
            }) => (bounces, original_message_id),
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn permanent_bounces_from_every_provider_format() {
        for name in [
            "gmail_bounce.eml",
            "outlook_bounce.eml",
            "postfix_bounce.eml",
            "exim_bounce.eml",
        ] {
            let (bounces, id) = bounce(name);
            assert_eq!(bounces.len(), 1, "{name}: {bounces:?}");
            let b = &bounces[0];
            assert_eq!(b.recipient, "ana@example.com", "{name}");
            assert!(b.is_permanent(), "{name}: {b:?}");
            assert!(!b.is_transient(), "{name}");
            assert_eq!(id.as_deref(), Some("touch.TOUCHID@acme.example"), "{name}");
        }
    }

    #[test]
    fn a_delay_is_transient_not_permanent() {
        let (bounces, id) = bounce("postfix_delayed.eml");
        assert_eq!(bounces[0].status, "4.4.1");
        assert!(bounces[0].is_transient() && !bounces[0].is_permanent());
        assert_eq!(id.as_deref(), Some("touch.TOUCHID@acme.example"));
    }

    #[test]
    fn complaints_name_their_recipient_and_message() {
        match parse(&sample("yahoo_complaint.eml")) {
            Some(Report::Complaint {
                feedback_type,
                recipient,
                original_message_id,
            }) => {
                assert_eq!(feedback_type, "abuse");
                assert_eq!(recipient.as_deref(), Some("ana@example.com"));
                assert_eq!(
                    original_message_id.as_deref(),
                    Some("touch.TOUCHID@acme.example")
                );
            }
            other => panic!("{other:?}"),
        }
        // Microsoft's reports redact the recipient header; the returned message names it.
        match parse(&sample("outlook_complaint.eml")) {
            Some(Report::Complaint { recipient, .. }) => {
                assert_eq!(recipient.as_deref(), Some("ana@hotmail.example"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn broken_or_foreign_reports_never_panic() {
        assert_eq!(parse(&sample("not_a_report.eml")), None);
        // Truncated: whatever is read is a report or nothing, never a guess at a recipient
        // the message does not name.
        if let Some(Report::Delivery { bounces, .. }) = parse(&sample("truncated_report.eml")) {
            assert!(bounces.iter().all(|b| b.recipient == "ana@example.com"));
        }
        let (bounces, id) = bounce("odd_charset_report.eml");
        assert_eq!(bounces[0].recipient, "taro@example.jp");
        assert_eq!(id.as_deref(), Some("never-sent-by-us@elsewhere.example"));
        assert_eq!(parse(b""), None);
        assert_eq!(parse(b"\xff\xfe garbage"), None);
    }

    #[test]
    fn status_codes_are_three_numbers() {
        assert_eq!(status_code("5.1.1 (bad)").as_deref(), Some("5.1.1"));
        assert_eq!(status_code("5.1.10").as_deref(), Some("5.1.10"));
        assert_eq!(status_code("550"), None);
        assert_eq!(status_code("5..1"), None);
        assert_eq!(address_of("rfc822; <Ana@Example.COM>"), "ana@example.com");
    }
}
