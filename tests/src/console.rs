//! A console user over plain HTTP: logs in with a token through the login form, keeps the
//! session cookie, reads pages and posts forms with the CSRF token the page carried. Redirects
//! are not followed, so a test sees each 303 and where it points.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};

use crate::Daemon;

/// One signed-in (or not yet signed-in) browser, as far as HTTP goes.
#[derive(Debug, Clone)]
pub struct ConsoleUser {
    base: String,
    client: reqwest::Client,
    /// `tg_console=…`, once logged in.
    pub cookie: Option<String>,
}

/// An answer: status, `Location`, every `Set-Cookie`, the body.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    /// The first CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        csrf_of(&self.body).unwrap_or_else(|| panic!("no CSRF field on the page:\n{}", self.body))
    }
}

/// The value of the first `name="csrf"` hidden field.
pub fn csrf_of(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")?;
    let rest = html.get(at + "name=\"csrf\" value=\"".len()..)?;
    rest.split('"').next().map(str::to_owned)
}

/// The `name=value` part of a `Set-Cookie` for `name`.
pub fn cookie_pair(set_cookies: &[String], name: &str) -> Option<String> {
    set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
}

impl ConsoleUser {
    pub fn new(d: &Daemon) -> ConsoleUser {
        ConsoleUser {
            base: d.base().to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            cookie: None,
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder, extra_cookie: Option<&str>) -> Page {
        let cookies: Vec<&str> = self
            .cookie
            .iter()
            .map(String::as_str)
            .chain(extra_cookie)
            .collect();
        let req = if cookies.is_empty() {
            req
        } else {
            req.header(COOKIE, cookies.join("; "))
        };
        let res = req.send().await.expect("the daemon answers");
        let status = res.status();
        let headers = res.headers().clone();
        let location = headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let set_cookies = headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect();
        Page {
            status,
            location,
            set_cookies,
            headers,
            body: res.text().await.expect("a body"),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send(self.client.get(format!("{}{path}", self.base)), None)
            .await
    }

    /// A form post (`application/x-www-form-urlencoded`).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = form_body(fields);
        self.send(
            self.client
                .request(Method::POST, format!("{}{path}", self.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body),
            None,
        )
        .await
    }

    /// Tries to log in with `token`: the login form, then its post. Returns the post's answer.
    pub async fn try_login(&mut self, token: &str) -> Page {
        let form = self.get("/console/login").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        let login_cookie = cookie_pair(&form.set_cookies, "tg_login").expect("the login cookie");
        let body = form_body(&[("csrf", &form.csrf()), ("token", token)]);
        let page = self
            .send(
                self.client
                    .post(format!("{}/console/login", self.base))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body),
                Some(&login_cookie),
            )
            .await;
        if let Some(c) =
            cookie_pair(&page.set_cookies, "tg_console").filter(|c| c.len() > "tg_console=".len())
        {
            self.cookie = Some(c);
        }
        page
    }

    /// Logs in with an operator token (it must work).
    pub async fn login(d: &Daemon, token: &str) -> ConsoleUser {
        let mut u = ConsoleUser::new(d);
        let page = u.try_login(token).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        assert_eq!(page.location.as_deref(), Some("/console"));
        assert!(
            u.cookie.is_some(),
            "no session cookie: {:?}",
            page.set_cookies
        );
        u
    }

    /// The CSRF token of the console's pages for this session.
    pub async fn csrf(&self) -> String {
        self.get("/console").await.csrf()
    }
}

fn form_body(fields: &[(&str, &str)]) -> String {
    let mut s = String::new();
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            s.push('&');
        }
        s.push_str(&encode(k));
        s.push('=');
        s.push_str(&encode(v));
    }
    s
}

fn encode(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Every `src="…"` and `href="…"` value of a page.
pub fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attr) {
            let after = rest.get(at + attr.len()..).unwrap_or_default();
            if let Some(v) = after.split('"').next() {
                out.push(v.to_owned());
            }
            rest = after;
        }
    }
    out
}
