//! The operator console over HTTP: login and its refusals, sessions (cookie flags, expiry on
//! the daemon's clock, logout), CSRF on every form, the workspace of the session only on every
//! page, no asset from elsewhere and a Content-Security-Policy on every response, overrides
//! through the console (a capped touch released, a legal check refused). Each test runs on
//! SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use reqwest::{Method, StatusCode};
use serde_json::json;
use touchgate_tests::console::{ConsoleUser, links};
use touchgate_tests::seed::{PHONE, sms};
use touchgate_tests::{ACME_OP, ACME_TOKENS, Daemon, Database, OP, SVC};

touchgate_tests::both_databases!(
    login_sessions_and_refusals,
    sessions_expire_on_the_daemons_clock,
    forms_without_the_csrf_token_are_refused,
    every_page_shows_the_sessions_workspace_only,
    pages_load_nothing_from_elsewhere,
    overrides_release_a_capped_touch_and_refuse_a_legal_check,
);

/// The pages of a workspace that has data, given the ids in it.
fn pages(touch: &str, dnc_contact: &str) -> Vec<String> {
    vec![
        "/console".to_owned(),
        "/console/touches".to_owned(),
        "/console/touches?status=blocked".to_owned(),
        format!("/console/touches/{touch}"),
        "/console/dnc".to_owned(),
        format!("/console/dnc?contact={}", dnc_contact.replace('+', "%2B")),
        "/console/leads/lead-7".to_owned(),
        "/console/accounts".to_owned(),
        "/console/accounts/sdr-1".to_owned(),
        "/console/registries".to_owned(),
        "/console/scrub".to_owned(),
        "/console/inbound".to_owned(),
        "/console/alerts".to_owned(),
    ]
}

/// A workspace with an account, a lead, a sent SMS, an SMS held by the hourly cap, an inbound
/// opt-out from another number and a DNC row. Returns (held touch id, sent touch id).
async fn seed(d: &Daemon) -> (String, String) {
    d.seed_account(
        OP,
        "sdr-1",
        json!({"status": "active", "limits": {"sms": {"hourly": 1}}}),
    )
    .await;
    d.seed_lead(SVC, "lead-7", &touchgate_tests::seed::ana())
        .await;
    let sent = d.send(sms("first")).await;
    assert_eq!(sent["status"], "sent", "{sent}");
    let held = d.send(sms("second")).await;
    assert_eq!(held["reason"], "hourly_limit", "{held}");
    let (s, v) = d
        .post(
            "/v1/inbound",
            SVC,
            json!({"channel": "sms", "from": "+14155550199", "body": "STOP"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    d.drain().await;
    (
        held["id"].as_str().unwrap().to_owned(),
        sent["id"].as_str().unwrap().to_owned(),
    )
}

async fn login_sessions_and_refusals(db: &Database) {
    let d = Daemon::builder(db).start().await;
    let mut anon = ConsoleUser::new(&d);
    let page = anon.get("/console").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/console/login"));

    // A service token, a wrong token, a post without the form's token: the form again.
    let page = anon.try_login(SVC).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("service token"), "{}", page.body);
    assert!(page.body.contains("name=\"token\""), "{}", page.body);
    assert!(anon.cookie.is_none());
    let page = anon.try_login("not-a-token").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.body.contains("not known"), "{}", page.body);
    assert!(anon.cookie.is_none());
    let page = anon.post("/console/login", &[("token", OP)]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(
        !page
            .set_cookies
            .iter()
            .any(|c| c.starts_with("tg_console="))
    );

    // An operator token: a session cookie, HttpOnly and SameSite=Strict, not Secure over http.
    let page = anon.try_login(OP).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/console"));
    let cookie = page
        .set_cookies
        .iter()
        .find(|c| c.starts_with("tg_console="))
        .unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
    let dash = anon.get("/console").await;
    assert_eq!(dash.status, StatusCode::OK);
    assert!(dash.body.contains("Dashboard") && dash.body.contains("TOUCHGATE_OPERATOR_TOKEN"));

    // Logout needs the CSRF token; then the session is gone.
    let page = anon.post("/console/logout", &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(anon.get("/console").await.status, StatusCode::OK);
    let page = anon
        .post("/console/logout", &[("csrf", &dash.csrf())])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/console/login"));
    assert!(
        page.set_cookies
            .iter()
            .any(|c| c.starts_with("tg_console=;"))
    );
    let page = anon.get("/console").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);

    // Behind https the cookie is Secure.
    drop(d);
    let d = Daemon::builder(db)
        .config("[server]\npublic_base_url = \"https://touchgate.acme.example\"\n")
        .start()
        .await;
    let mut u = ConsoleUser::new(&d);
    let page = u.try_login(OP).await;
    let cookie = page
        .set_cookies
        .iter()
        .find(|c| c.starts_with("tg_console="))
        .unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

async fn sessions_expire_on_the_daemons_clock(db: &Database) {
    let d = Daemon::builder(db)
        .config("[console]\nsession_minutes = 30\n")
        .start()
        .await;
    let u = ConsoleUser::login(&d, OP).await;
    assert_eq!(u.get("/console").await.status, StatusCode::OK);
    d.set_clock("2026-11-25T18:29:00Z").await;
    assert_eq!(u.get("/console/touches").await.status, StatusCode::OK);
    d.set_clock("2026-11-25T18:30:00Z").await;
    let page = u.get("/console/touches").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/console/login"));
}

async fn forms_without_the_csrf_token_are_refused(db: &Database) {
    let d = Daemon::builder(db).start().await;
    let (held, _) = seed(&d).await;
    let u = ConsoleUser::login(&d, OP).await;
    let other = ConsoleUser::login(&d, OP).await;
    let foreign = other.csrf().await;
    for csrf in [None, Some("0000"), Some(foreign.as_str())] {
        let mut fields = vec![
            ("contact", "+14155550177"),
            ("channel", "*"),
            ("reason", "customer_request"),
        ];
        if let Some(c) = csrf {
            fields.push(("csrf", c));
        }
        let page = u.post("/console/dnc", &fields).await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "{csrf:?}: {}",
            page.body
        );
        let mut fields = vec![("waive", "hourly_limit"), ("reason", "push")];
        if let Some(c) = csrf {
            fields.push(("csrf", c));
        }
        let page = u
            .post(&format!("/console/touches/{held}/override"), &fields)
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{csrf:?}");
    }
    let (_, list) = d.get("/v1/dnc?contact=%2B14155550177", OP).await;
    assert_eq!(list["entries"].as_array().unwrap().len(), 0, "{list}");
    assert_eq!(d.touch(&held).await["status"], "scheduled");

    // With the session's own token the same form works, and the audit names the token.
    let csrf = u.csrf().await;
    let page = u
        .post(
            "/console/dnc",
            &[
                ("csrf", &csrf),
                ("contact", "+1 415 555 0177"),
                ("channel", "*"),
                ("reason", "customer_request"),
                ("source", "phone call"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let (_, list) = d.get("/v1/dnc?contact=%2B14155550177", OP).await;
    let entry = &list["entries"][0];
    assert_eq!(entry["source"], "phone call");
    assert!(
        entry["added_by"]
            .as_str()
            .unwrap()
            .contains("env_TOUCHGATE_OPERATOR_TOKEN"),
        "{entry}"
    );
}

async fn every_page_shows_the_sessions_workspace_only(db: &Database) {
    let d = Daemon::builder(db).config(ACME_TOKENS).start().await;
    let (held, sent) = seed(&d).await;
    let acme = ConsoleUser::login(&d, ACME_OP).await;
    let default = ConsoleUser::login(&d, OP).await;
    // The default workspace sees its data …
    let page = default.get("/console/touches").await;
    assert!(
        page.body.contains(&format!("data-touch-id=\"{held}\"")),
        "{}",
        page.body
    );
    assert!(page.body.contains("hourly_limit"));
    // … acme sees none of it, on any page.
    for path in pages(&held, PHONE) {
        let page = acme.get(&path).await;
        for secret in [
            held.as_str(),
            sent.as_str(),
            "+14155550199",
            "/console/leads/lead-7\"",
            "Hi Ana",
        ] {
            if path.contains(secret) {
                continue; // a 404 page may name what it did not find
            }
            assert!(!page.body.contains(secret), "{path} shows {secret}");
        }
        let expected = if path.contains(&held) || path.contains("lead-7") || path.ends_with("sdr-1")
        {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::OK
        };
        assert_eq!(page.status, expected, "{path}: {}", page.body);
    }
    let csv = acme.get("/console/touches.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.body.lines().count(), 1, "{}", csv.body);
    let csrf = acme.csrf().await;
    let page = acme
        .post(
            &format!("/console/touches/{held}/override"),
            &[("csrf", &csrf), ("waive", "hourly_limit"), ("reason", "x")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let (_, list) = d.get("/v1/dnc?contact=%2B14155550199", OP).await;
    let dnc_id = list["entries"][0]["id"].as_str().unwrap().to_owned();
    let page = acme
        .post(
            &format!("/console/dnc/{dnc_id}/remove"),
            &[("csrf", &csrf), ("reason", "x")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_eq!(d.touch(&held).await["status"], "scheduled");
}

async fn pages_load_nothing_from_elsewhere(db: &Database) {
    let d = Daemon::builder(db).start().await;
    // An empty workspace: every page answers (the pages with ids answer 404).
    let u = ConsoleUser::login(&d, OP).await;
    for path in [
        "/console",
        "/console/touches",
        "/console/dnc",
        "/console/accounts",
        "/console/registries",
        "/console/scrub",
        "/console/inbound",
    ] {
        assert_eq!(u.get(path).await.status, StatusCode::OK, "{path}");
    }
    let (held, _) = seed(&d).await;
    let mut assets = std::collections::BTreeSet::new();
    let login = ConsoleUser::new(&d).get("/console/login").await;
    for (path, page) in std::iter::once(("/console/login".to_owned(), login))
        .chain(futures_pages(&u, pages(&held, PHONE)).await)
    {
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert!(!page.body.contains(" style=\""), "{path}: inline style");
        assert!(!page.body.contains("<script>"), "{path}: inline script");
        for link in links(&page.body) {
            assert!(
                link.starts_with('/') && !link.starts_with("//")
                    || link.starts_with('?')
                    || link.starts_with('#'),
                "{path} links to {link}"
            );
            if link.starts_with("/console/assets/") {
                assets.insert(link);
            }
        }
    }
    assert_eq!(assets.len(), 3, "{assets:?}");
    for a in assets {
        let page = u.get(&a).await;
        assert_eq!(page.status, StatusCode::OK, "{a}");
        assert!(page.headers["content-security-policy"].to_str().is_ok());
    }
    // The API is not the console: /metrics is not on this address either.
    let (s, _) = d.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn futures_pages(
    u: &ConsoleUser,
    paths: Vec<String>,
) -> Vec<(String, touchgate_tests::console::Page)> {
    let mut out = Vec::new();
    for p in paths {
        let page = u.get(&p).await;
        out.push((p, page));
    }
    out
}

async fn overrides_release_a_capped_touch_and_refuse_a_legal_check(db: &Database) {
    let d = Daemon::builder(db).start().await;
    let (held, _) = seed(&d).await;
    let u = ConsoleUser::login(&d, OP).await;
    let page = u.get(&format!("/console/touches/{held}")).await;
    assert!(
        page.body.contains("value=\"hourly_limit\""),
        "{}",
        page.body
    );
    let csrf = page.csrf();

    // A legal check: refused, naming it; the touch keeps its state.
    let page = u
        .post(
            &format!("/console/touches/{held}/override"),
            &[
                ("csrf", &csrf),
                ("waive", "quiet_hours"),
                ("reason", "urgent"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.body.contains("`quiet_hours` is a legal check"),
        "{}",
        page.body
    );
    assert_eq!(d.touch(&held).await["status"], "scheduled");

    // The cap waived: decided again, sent, the decision records the token and the reason.
    let page = u
        .post(
            &format!("/console/touches/{held}/override"),
            &[
                ("csrf", &csrf),
                ("waive", "hourly_limit"),
                ("reason", "CEO asked"),
                ("added_by", "ops@acme"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    d.drain().await;
    let t = d.touch(&held).await;
    assert_eq!(t["status"], "sent", "{t}");
    let o = &t["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|d| d.get("override").is_some())
        .unwrap()["override"];
    assert_eq!(o["waived"], json!(["hourly_limit"]));
    assert_eq!(o["reason"], "CEO asked");
    assert_eq!(o["added_by"], "ops@acme");
    assert!(
        o["token"]
            .as_str()
            .unwrap()
            .contains("env_TOUCHGATE_OPERATOR_TOKEN"),
        "{o}"
    );
    let page = u.get(&format!("/console/touches/{held}")).await;
    assert!(
        page.body.contains("CEO asked") && page.body.contains("waived"),
        "{}",
        page.body
    );
}
