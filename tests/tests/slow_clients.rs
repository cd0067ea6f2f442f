//! The HTTP server's limits hold against slow and idle clients (`[server] header_timeout_ms`,
//! `body_timeout_ms`, `max_connections`, `max_connections_per_ip`), seen from the socket:
//! with 500 connections that never send a byte, 50 that drip a request head a byte at a time
//! and 50 that send 10 of 1,000 announced body bytes and stall (to the API and to a webhook),
//! all from 127.0.0.1,
//! - connections over the cap are closed at once, unanswered, while the slow ones are still
//!   open (a connection taken in the room left answers);
//! - meanwhile a normal client still gets `/healthz` and an authenticated API call answered;
//! - the daemon closes every slow connection: the silent and the dripping heads (EOF, never
//!   an answer other than 408), and the stalled bodies with 408 (`request_timeout`);
//! - afterwards every place is given back: a burst as large as the slow crowd is answered
//!   whole, and the API still answers.
//!
//! And the per-address cap on its own: one address at its cap has its next connections closed
//! at once, unanswered, while other addresses are served; once its connections close, it is
//! served again.
//!
//! There is no connection gauge in `/metrics` to check (the metrics listener has limits of
//! its own, not exported).

// clippy.toml's allow-*-in-tests covers `#[test]` functions only, not the helpers of this
// test crate; a failed expectation here should panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use touchgate_tests::sockets::{
    Closed, connect, connect_from, drip_until_closed, get_and_close, send_then_wait, until_closed,
};
use touchgate_tests::{Daemon, Database, OP, SVC, poll};

/// Connections that never send a byte.
const IDLE: usize = 500;
/// Connections dripping a request head that never ends.
const HEAD_DRIP: usize = 50;
/// Connections sending 10 of the 1,000 body bytes they announce, then stalling.
const BODY_STALL: usize = 50;
/// Places left under the cap once the slow crowd is in (the normal client's).
const ROOM: usize = 8;
/// `max_connections` and `max_connections_per_ip`: the slow crowd plus the room.
const CAP: usize = IDLE + HEAD_DRIP + BODY_STALL + ROOM;
/// Connections opened once the crowd is in: at most `ROOM` fit.
const EXTRA: usize = 20;

fn config() -> String {
    // The timeouts are long enough for the crowd to be in and the checks made while it is
    // (the test waits for them, never on them); the whole-request timeout is out of the way.
    format!(
        "[server]\nheader_timeout_ms = 8000\nbody_timeout_ms = 8000\nrequest_timeout_ms = 120000\n\
         max_connections = {CAP}\nmax_connections_per_ip = {CAP}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_are_cut_off_and_the_api_still_answers() {
    let db = Database::sqlite();
    let d = Daemon::builder(&db).config(config()).start().await;
    let addr = d.address();
    // Slow connections closed by the daemon so far.
    let closed = Arc::new(AtomicUsize::new(0));

    // The crowd: silent connections, then dripping heads, then stalled bodies.
    let mut idle = Vec::new();
    for _ in 0..IDLE {
        let sock = connect(addr).await;
        idle.push(tokio::spawn(until_closed(sock, Some(closed.clone()))));
    }
    let mut heads = Vec::new();
    for _ in 0..HEAD_DRIP {
        let sock = connect(addr).await;
        let first = format!(
            "POST /v1/touches HTTP/1.1\r\nHost: touchgate\r\nAuthorization: Bearer {SVC}\r\n"
        );
        heads.push(tokio::spawn(drip_until_closed(
            sock,
            first.into_bytes(),
            b"X-Drip: aaaa",
            Duration::from_millis(200),
            closed.clone(),
        )));
    }
    let mut bodies = Vec::new();
    for i in 0..BODY_STALL {
        let sock = connect(addr).await;
        // Half to the API (authenticated), half to a webhook (anyone may post there; the
        // body is read before its signature is checked).
        let partial = if i % 2 == 0 {
            format!(
                "POST /v1/touches HTTP/1.1\r\nHost: touchgate\r\nAuthorization: Bearer {SVC}\r\n\
                 Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"idempote"
            )
        } else {
            "POST /v1/webhooks/twilio/sms HTTP/1.1\r\nHost: touchgate\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nFrom=%2B14"
                .to_owned()
        };
        bodies.push(tokio::spawn(send_then_wait(
            sock,
            partial.into_bytes(),
            Some(closed.clone()),
        )));
    }

    // (c) Over the cap: EXTRA connections open together, then each sends a whole request;
    // those past the room are closed unanswered, and at once — before any of the crowd is
    // cut off. (All connect first: an answered one gives its place back when it closes.)
    let mut socks = Vec::new();
    for _ in 0..EXTRA {
        socks.push(connect(addr).await);
    }
    let extras: Vec<_> = socks
        .into_iter()
        .map(|sock| tokio::spawn(send_then_wait(sock, get_and_close("/healthz"), None)))
        .collect();
    let mut answered = 0;
    let mut refused = 0;
    for e in extras {
        let c = e.await.unwrap();
        match c.status() {
            Some(200) => answered += 1,
            None if c.answer.is_empty() => refused += 1,
            other => panic!("an extra connection got {other:?}: {}", c.text()),
        }
    }
    assert_eq!(
        closed.load(Ordering::SeqCst),
        0,
        "the extra connections were dealt with while the whole crowd was still connected"
    );
    assert!(
        answered <= ROOM,
        "{answered} of {EXTRA} extra connections were served with {ROOM} places left"
    );
    assert!(
        refused >= EXTRA - ROOM,
        "only {refused} of {EXTRA} extra connections were refused over the cap of {CAP}"
    );

    // (b) Meanwhile a normal client is answered (its first tries may meet a full server).
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    normal_calls(&client, &d).await;
    assert_eq!(
        closed.load(Ordering::SeqCst),
        0,
        "the normal client was answered while the whole crowd was still connected"
    );

    // (a) Every slow connection is closed by the daemon: heads without an answer (or a 408),
    // stalled bodies with 408.
    for (what, tasks) in [("silent", idle), ("dripping a head", heads)] {
        for t in tasks {
            let c = t.await.unwrap();
            assert!(
                c.answer.is_empty() || c.status() == Some(408),
                "a connection {what} was answered: {}",
                c.text()
            );
        }
    }
    let mut stalled: Vec<Closed> = Vec::new();
    for t in bodies {
        stalled.push(t.await.unwrap());
    }
    for c in &stalled {
        assert_eq!(
            c.status(),
            Some(408),
            "a stalled body gets 408: {}",
            c.text()
        );
        assert!(c.text().contains("\"request_timeout\""), "{}", c.text());
    }
    assert_eq!(closed.load(Ordering::SeqCst), IDLE + HEAD_DRIP + BODY_STALL);

    // (d) Everything is given back: as many connections as the crowd had, at the same time,
    // are all answered, and the API answers.
    let burst: Vec<_> = (0..IDLE + HEAD_DRIP + BODY_STALL)
        .map(|_| {
            tokio::spawn(async move {
                let sock = connect(addr).await;
                send_then_wait(sock, get_and_close("/healthz"), None).await
            })
        })
        .collect();
    let mut failures = Vec::new();
    for b in burst {
        let c = b.await.unwrap();
        if c.status() != Some(200) {
            failures.push(c.text());
        }
    }
    assert!(
        failures.is_empty(),
        "{} of the burst were not answered 200 (first: {:?})",
        failures.len(),
        failures.first()
    );
    normal_calls(&client, &d).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_at_its_cap_is_refused_and_the_others_are_served() {
    const PER_IP: usize = 20;
    const TRIES: usize = 10;
    let db = Database::sqlite();
    let d = Daemon::builder(&db)
        .config(format!(
            "[server]\nheader_timeout_ms = 8000\nmax_connections = 200\n\
             max_connections_per_ip = {PER_IP}\n"
        ))
        .start()
        .await;
    let addr = d.address();
    // The crowd comes from an address of its own (the harness's client uses 127.0.0.1).
    let crowd_ip: std::net::IpAddr = [127, 0, 0, 3].into();
    let other_ip: std::net::IpAddr = [127, 0, 0, 2].into();
    let closed = Arc::new(AtomicUsize::new(0));
    let mut crowd = Vec::new();
    for _ in 0..PER_IP {
        let sock = connect_from(crowd_ip, addr).await;
        crowd.push(tokio::spawn(until_closed(sock, Some(closed.clone()))));
    }
    // Whole requests, all connected before any is sent: from the crowd's address none is
    // served; from another address every one is.
    let tries = |ip| async move {
        let mut socks = Vec::new();
        for _ in 0..TRIES {
            socks.push(connect_from(ip, addr).await);
        }
        let mut statuses = Vec::new();
        for s in socks {
            statuses.push(
                send_then_wait(s, get_and_close("/healthz"), None)
                    .await
                    .status(),
            );
        }
        statuses
    };
    assert_eq!(
        tries(crowd_ip).await,
        vec![None; TRIES],
        "the crowd's address is at its cap: closed unanswered"
    );
    assert_eq!(tries(other_ip).await, vec![Some(200); TRIES]);
    normal_calls(&d.client, &d).await;
    // Meanwhile none of the crowd was closed: the refusals were at once, not its timeout.
    assert_eq!(closed.load(Ordering::SeqCst), 0);
    // The crowd is cut off by the header timeout; its address is served again.
    for w in crowd {
        let c = w.await.unwrap();
        assert!(
            c.answer.is_empty() || c.status() == Some(408),
            "{}",
            c.text()
        );
    }
    poll("the crowd's address is served again", || async {
        let statuses = tries(crowd_ip).await;
        if statuses.iter().all(|s| *s == Some(200)) {
            Ok(())
        } else {
            Err(format!("{statuses:?}"))
        }
    })
    .await;
}

/// `GET /healthz` and an operator's `GET /v1/touches` answered 200, polled (bounded): a try
/// on a connection the server refused is tried again.
async fn normal_calls(client: &reqwest::Client, d: &Daemon) {
    poll("the normal client is answered", || async {
        let health = client.get(d.url("/healthz")).send().await;
        let api = client
            .get(d.url("/v1/touches"))
            .bearer_auth(OP)
            .send()
            .await;
        match (health, api) {
            (Ok(h), Ok(a)) if h.status() == StatusCode::OK && a.status() == StatusCode::OK => {
                Ok(())
            }
            (h, a) => Err(format!(
                "healthz {:?}, /v1/touches {:?}",
                h.map(|r| r.status()),
                a.map(|r| r.status())
            )),
        }
    })
    .await;
}
