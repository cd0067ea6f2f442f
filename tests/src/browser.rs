//! Headless Chromium for the console's browser tests: `chromedriver` (Debian's
//! `chromium-driver`) started on a free port by the test, a fresh profile directory, and a
//! WebDriver session through fantoccini. Dropping the [`Browser`] ends the driver process.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};

/// A chromedriver process and a Chromium session driven through it.
#[derive(Debug)]
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A port nobody listens on right now (the driver binds it a moment later; a clash only
/// makes the start fail and be retried).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium of `width`×`height`.
    pub async fn start(width: u32, height: u32) -> Browser {
        let mut last = String::new();
        for _ in 0..5 {
            match Browser::try_start(width, height).await {
                Ok(b) => return b,
                Err(e) => last = e,
            }
        }
        panic!(
            "could not start chromedriver and Chromium (apt-get install chromium chromium-driver): {last}"
        );
    }

    async fn try_start(width: u32, height: u32) -> Result<Browser, String> {
        let port = free_port();
        let mut driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("spawning chromedriver: {e}"))?;
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let http = reqwest::Client::new();
        loop {
            if let Ok(r) = http.get(format!("{url}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            if let Ok(Some(status)) = driver.try_wait() {
                return Err(format!("chromedriver exited: {status}"));
            }
            if Instant::now() > deadline {
                let _ = driver.kill();
                return Err("chromedriver did not answer in 20 s".to_owned());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--hide-scrollbars",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await;
        match client {
            Ok(client) => Ok(Browser {
                client,
                driver,
                _profile: profile,
            }),
            Err(e) => {
                let _ = driver.kill();
                let _ = driver.wait();
                Err(format!("no WebDriver session: {e}"))
            }
        }
    }

    /// Writes a PNG of the viewport to `$TOUCHGATE_CONSOLE_SCREENSHOTS/<name>.png` when that
    /// variable names a directory (how `docs/console/` is made); otherwise takes it anyway and
    /// checks it is a PNG.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        if let Some(dir) = std::env::var_os("TOUCHGATE_CONSOLE_SCREENSHOTS") {
            let path = std::path::Path::new(&dir).join(format!("{name}.png"));
            std::fs::write(&path, png).expect("writing the screenshot");
        }
    }
}
