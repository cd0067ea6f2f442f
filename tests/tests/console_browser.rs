//! The operator console in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) driving a real daemon. An operator logs in, reads the dashboard, filters
//! blocked touches, opens a timeline, adds and removes a DNC entry through the form, overrides
//! a capped touch, is refused a legal override, and logs out. With
//! `TOUCHGATE_CONSOLE_SCREENSHOTS=docs/console` the main pages are saved as PNGs (the
//! README's pictures). SQLite only: the console's storage is the same code on PostgreSQL,
//! which `console_http` covers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use fantoccini::Locator;
use reqwest::StatusCode;
use serde_json::json;
use touchgate_tests::browser::Browser;
use touchgate_tests::seed::{Lead, ana, sms};
use touchgate_tests::{Daemon, Database, OP, SVC, poll};

/// A workspace worth looking at: two accounts, two leads, sent, capped and DNC-blocked
/// touches over a few days, an inbound opt-out. Returns (capped touch, DNC-blocked touch).
async fn seed(d: &Daemon) -> (String, String) {
    d.seed_account(
        OP,
        "sdr-1",
        json!({"status": "active", "limits": {"sms": {"hourly": 2, "daily": 50}},
        "templates": [{"id": "intro-v2", "channel": "email", "status": "approved"}]}),
    )
    .await;
    d.seed_account(
        OP,
        "sdr-2",
        json!({"status": "active", "paused_channels": ["linkedin"]}),
    )
    .await;
    d.seed_lead(SVC, "lead-7", &ana()).await;
    let ben = Lead::in_los_angeles()
        .phone("+14155550188")
        .email("ben@example.com")
        .consent("sms");
    d.seed_lead(SVC, "lead-8", &ben).await;
    let (s, v) = d
        .post("/v1/dnc", OP, json!({"contact": "+14155550188", "reason": "customer_request", "source": "phone call"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    for day in ["2026-11-20", "2026-11-22", "2026-11-24"] {
        d.set_clock(&format!("{day}T18:00:00Z")).await;
        for i in 0..3 {
            let mut t = sms(&format!("{day}-{i}"));
            t["lead_id"] = json!("lead-8");
            d.create(t).await;
        }
        let mut e = sms(&format!("{day}-email"));
        e["channel"] = json!("email");
        e["content"] = json!({"subject": "Hello", "body": "Hi Ana"});
        d.create(e).await;
        d.drain().await;
    }
    // Ana replies (before today's touches: a reply stops her pending ones).
    let (s, _) = d
        .post(
            "/v1/inbound",
            SVC,
            json!({"channel": "sms", "from": "+14155550123", "body": "Thanks, talk soon"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    d.set_clock("2026-11-25T18:00:00Z").await;
    let first = d.send(sms("today-1")).await;
    assert_eq!(first["status"], "sent", "{first}");
    let second = d.send(sms("today-2")).await;
    assert_eq!(second["status"], "sent", "{second}");
    let capped = d.send(sms("today-3")).await;
    assert_eq!(capped["reason"], "hourly_limit", "{capped}");
    let mut blocked = sms("today-ben");
    blocked["lead_id"] = json!("lead-8");
    let blocked = d.send(blocked).await;
    assert_eq!(blocked["reason"], "dnc_listed", "{blocked}");
    let (s, _) = d
        .post(
            "/v1/inbound",
            SVC,
            json!({"channel": "sms", "from": "+14155550177", "body": "STOP"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    d.drain().await;
    (
        capped["id"].as_str().unwrap().to_owned(),
        blocked["id"].as_str().unwrap().to_owned(),
    )
}

/// The text of the page's body (an error while the page is being replaced).
async fn text(b: &Browser) -> Result<String, String> {
    let body = b
        .client
        .find(Locator::Css("body"))
        .await
        .map_err(|e| e.to_string())?;
    body.text().await.map_err(|e| e.to_string())
}

/// Waits until the page's body says `what`.
async fn wait_for_text(b: &Browser, what: &str) -> String {
    poll(&format!("the page to say {what:?}"), || async {
        let t = text(b).await?;
        if t.contains(what) { Ok(t) } else { Err(t) }
    })
    .await
}

/// The element `css` selects on the page.
async fn find(b: &Browser, css: &str) -> fantoccini::elements::Element {
    b.client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

/// Fills the override form's reason (and who asked for it), sends it and confirms.
async fn send_override(b: &Browser, reason: &str, added_by: Option<&str>) {
    find(b, "input[name=reason]")
        .await
        .send_keys(reason)
        .await
        .unwrap();
    if let Some(by) = added_by {
        find(b, "input[name=added_by]")
            .await
            .send_keys(by)
            .await
            .unwrap();
    }
    let submit = find(b, "section.override button[type=submit]").await;
    click_and_confirm(b, &submit).await;
}

/// Clicks a button that asks for confirmation, and confirms.
async fn click_and_confirm(b: &Browser, button: &fantoccini::elements::Element) {
    button.click().await.unwrap();
    poll("the confirmation dialog", || async {
        b.client.accept_alert().await.map_err(|e| e.to_string())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_works_through_the_console_in_a_browser() {
    let db = Database::sqlite();
    let d = Daemon::builder(&db).start().await;
    let (capped, blocked) = seed(&d).await;
    let b = Browser::start(1360, 900).await;
    let url = |p: &str| d.url(p);

    // Not signed in: the login form. A service token is refused there.
    b.client.goto(&url("/console")).await.unwrap();
    assert!(
        b.client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/console/login")
    );
    b.screenshot("login").await;
    let form = b.client.form(Locator::Css("form")).await.unwrap();
    form.set_by_name("token", SVC).await.unwrap();
    form.submit().await.unwrap();
    wait_for_text(&b, "service token").await;
    let form = b.client.form(Locator::Css("form")).await.unwrap();
    form.set_by_name("token", OP).await.unwrap();
    form.submit().await.unwrap();

    // The dashboard: counts and the chart of blocked touches.
    let page = wait_for_text(&b, "Blocked in the last 7 days").await;
    assert!(page.contains("dnc_listed"), "{page}");
    let bars = b
        .client
        .find_all(Locator::Css("svg.chart rect"))
        .await
        .unwrap();
    assert!(!bars.is_empty());
    b.screenshot("dashboard").await;

    // Touches: filter the blocked ones with the form.
    b.client.goto(&url("/console/touches")).await.unwrap();
    let status = b
        .client
        .find(Locator::Css("select[name=status]"))
        .await
        .unwrap();
    status.select_by_value("blocked").await.unwrap();
    b.client
        .find(Locator::Css("form.filters button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    poll("the filtered list", || async {
        let u = b.client.current_url().await.map_err(|e| e.to_string())?;
        if u.query().is_some_and(|q| q.contains("status=blocked")) {
            Ok(())
        } else {
            Err(u.to_string())
        }
    })
    .await;
    let rows = b
        .client
        .find_all(Locator::Css("tr[data-touch-id]"))
        .await
        .unwrap();
    assert!(rows.len() >= 10, "{} rows", rows.len());
    for r in &rows {
        assert!(r.text().await.unwrap().contains("blocked"));
    }
    let row = b
        .client
        .find(Locator::Css(&format!("tr[data-touch-id='{blocked}']")))
        .await
        .unwrap();
    assert!(row.text().await.unwrap().contains("dnc_listed"));
    b.screenshot("touches").await;

    // Its timeline: the decision's checks, the DNC detail, the override refused for a legal check.
    row.find(Locator::Css("a.id"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let page = wait_for_text(&b, "Timeline").await;
    assert!(
        page.contains("dnc_listed") && page.contains("Gate decision"),
        "{page}"
    );
    let dnc = find(&b, "input[name=waive][value=dnc]").await;
    assert_eq!(dnc.prop("checked").await.unwrap().as_deref(), Some("false"));
    dnc.click().await.unwrap();
    send_override(&b, "they asked us to call", None).await;
    wait_for_text(&b, "`dnc` is a legal check and cannot be waived").await;
    assert_eq!(d.touch(&blocked).await["status"], "blocked");

    // The capped touch: its timeline names the cap, the override releases it.
    b.client
        .goto(&url(&format!("/console/touches/{capped}")))
        .await
        .unwrap();
    let page = wait_for_text(&b, "hourly_limit").await;
    assert!(page.contains("Retry after"), "{page}");
    b.screenshot("timeline").await;
    let cap = find(&b, "input[name=waive][value=hourly_limit]").await;
    assert_eq!(cap.prop("checked").await.unwrap().as_deref(), Some("true"));
    send_override(&b, "CEO asked to resend", Some("ops@acme")).await;
    let page = wait_for_text(&b, "Override decided").await;
    assert!(
        page.contains("CEO asked to resend") && page.contains("hourly_limit"),
        "{page}"
    );
    d.drain().await;
    assert_eq!(d.touch(&capped).await["status"], "sent");

    // DNC: add an entry through the form, find it, remove it with a reason.
    b.client.goto(&url("/console/dnc")).await.unwrap();
    let form = b.client.form(Locator::Css("form.stack")).await.unwrap();
    form.set_by_name("contact", "(415) 555-0166").await.unwrap();
    form.set_by_name("source", "angry phone call")
        .await
        .unwrap();
    form.set_by_name("added_by", "sam@acme").await.unwrap();
    b.client
        .find(Locator::Css("select[name=reason]"))
        .await
        .unwrap()
        .select_by_value("customer_request")
        .await
        .unwrap();
    form.submit().await.unwrap();
    let page = wait_for_text(&b, "Entry added").await;
    assert!(
        page.contains("+14155550166") && page.contains("angry phone call"),
        "{page}"
    );
    b.screenshot("dnc").await;
    let (_, list) = d.get("/v1/dnc?contact=%2B14155550166", OP).await;
    assert_eq!(list["entries"][0]["added_by"], "sam@acme");
    let remove = b.client.find(Locator::Css("form.remove")).await.unwrap();
    remove
        .find(Locator::Css("input[name=reason]"))
        .await
        .unwrap()
        .send_keys("added by mistake")
        .await
        .unwrap();
    let button = remove.find(Locator::Css("button")).await.unwrap();
    click_and_confirm(&b, &button).await;
    wait_for_text(&b, "Entry removed").await;
    let (_, list) = d.get("/v1/dnc?contact=%2B14155550166", OP).await;
    assert_eq!(list["entries"].as_array().unwrap().len(), 0, "{list}");

    // The other pages, for the record.
    for (path, name, says) in [
        ("/console/leads/lead-7", "lead", "Consents"),
        ("/console/accounts/sdr-1", "account", "Limits"),
        ("/console/inbound", "inbound", "STOP"),
        ("/console/registries", "registries", "Registries"),
        ("/console/scrub", "scrub", "Scrub a list"),
    ] {
        b.client.goto(&url(path)).await.unwrap();
        wait_for_text(&b, says).await;
        b.screenshot(name).await;
    }

    // Log out: back to the login form, and the console asks again.
    b.client
        .find(Locator::Css("header .who button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&b, "Sign in to the console").await;
    b.client.goto(&url("/console/touches")).await.unwrap();
    assert!(
        b.client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/console/login")
    );
    b.client.clone().close().await.unwrap();
}
