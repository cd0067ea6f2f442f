//! `detect_opt_out` on a 160-character SMS that is not an opt-out, on `STOP`, on a misspelt
//! request, and on a quoted email reply of about 1.5 KB; `out_of_office_return` on an
//! out-of-office reply.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use gate::Channel;
use gate::opt_out::{InboundMessage, detect_opt_out, out_of_office_return};

/// 160 characters, an ordinary reply that mentions "stop" and "end" in passing.
const SMS_160: &str = "Hi Sam, thanks for the note. We can't stop by Tuesday, but end of week works. \
Could you send the pricing deck and a couple of dates? Cheers, Ana from Example Co";

const EMAIL_REPLY: &str = "Hi Sam,\n\
\n\
Thanks for reaching out. I'm not the right person for vendor onboarding, but my colleague Mark \
Jensen handles that now. I've copied him here. Could you send him the security questionnaire and \
the pricing sheet you mentioned? He'll be back from the offsite on Thursday.\n\
\n\
Best,\n\
Ana\n\
\n\
On Tue, Nov 24, 2026 at 9:00 AM Sam Sales <sdr@acme.example> wrote:\n\
> Hi Ana,\n\
>\n\
> I noticed Example Corp just opened two new warehouses in Ohio, congratulations. Teams at that\n\
> stage usually find that onboarding new carriers and vendors takes weeks of back-and-forth\n\
> over email and spreadsheets. Acme automates the paperwork: W-9s, insurance certificates,\n\
> banking details and compliance checks are collected and verified in one place, and your\n\
> procurement team sees the status of every vendor at a glance.\n\
>\n\
> Customers like Northwind and Contoso cut vendor onboarding from three weeks to four days,\n\
> and their finance teams stopped chasing missing documents entirely.\n\
>\n\
> Would you be open to a 20-minute call next week to see whether it fits your process? If\n\
> you're not the right person, who should I talk to?\n\
>\n\
> Best,\n\
> Sam Sales\n\
> Account Executive, Acme Inc.\n\
> +1 555 0100 | acme.example\n\
>\n\
> --\n\
> Acme Inc., 1 Main Street, Springfield, OH 45501, USA.\n\
> You received this email because of your role at Example Corp. Not interested? Reply STOP\n\
> or unsubscribe here: https://acme.example/u/3f9a1c7e-2b44-4d8a-9a61-0c6e5d2b7f10\n\
> To stop receiving all emails from Acme, update your preferences at https://acme.example/p\n";

fn bench(c: &mut Criterion) {
    assert_eq!(SMS_160.chars().count(), 160);
    assert!(
        (1400..1700).contains(&EMAIL_REPLY.len()),
        "{}",
        EMAIL_REPLY.len()
    );
    let sms = InboundMessage {
        body: SMS_160,
        subject: None,
        headers: &[],
    };
    let stop = InboundMessage {
        body: "STOP",
        subject: None,
        headers: &[],
    };
    let email = InboundMessage {
        body: EMAIL_REPLY,
        subject: Some("Re: Quick question about vendor onboarding"),
        headers: &[
            ("Message-ID", "<abc@example.com>"),
            ("In-Reply-To", "<xyz@acme.example>"),
        ],
    };
    let typo = InboundMessage::text("Pls unsuscribe me, I never signed up for this!!");
    let ooo = "Thank you for your email. I am out of the office with limited access to email \
and will be back on Monday, 14 December. For urgent matters please contact Bob.";
    let received = chrono::DateTime::from_timestamp(1_795_510_800, 0).unwrap_or_default();
    assert!(detect_opt_out(Channel::Sms, &typo).is_some());
    assert!(out_of_office_return(ooo, received, chrono_tz::Europe::Paris).is_some());
    assert!(detect_opt_out(Channel::Sms, &sms).is_none());
    assert!(detect_opt_out(Channel::Sms, &stop).is_some());
    assert!(detect_opt_out(Channel::Email, &email).is_none());

    let mut g = c.benchmark_group("detect_opt_out");
    g.bench_function("sms_160_not_opt_out", |b| {
        b.iter(|| detect_opt_out(black_box(Channel::Sms), black_box(&sms)))
    });
    g.bench_function("sms_stop", |b| {
        b.iter(|| detect_opt_out(black_box(Channel::Sms), black_box(&stop)))
    });
    g.bench_function("email_quoted_reply_1_5kb", |b| {
        b.iter(|| detect_opt_out(black_box(Channel::Email), black_box(&email)))
    });
    g.bench_function("sms_misspelt_request", |b| {
        b.iter(|| detect_opt_out(black_box(Channel::Sms), black_box(&typo)))
    });
    g.finish();
    c.bench_function("out_of_office_return", |b| {
        b.iter(|| {
            out_of_office_return(
                black_box(ooo),
                black_box(received),
                chrono_tz::Europe::Paris,
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
