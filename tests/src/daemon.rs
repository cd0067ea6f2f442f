//! One `touchgate serve` process per [`Daemon`]: its own config file and log in a temporary
//! directory, the test's [`Database`], a fake clock, the operator and service tokens of the
//! default workspace. It binds port 0 itself (`TOUCHGATE_LISTEN=127.0.0.1:0`) and reports the
//! address it took in `TOUCHGATE_ADDRESS_FILE` once it serves, so no port is ever picked,
//! released and raced for. Dropping the `Daemon` kills the process (and prints its log when
//! the test is failing).

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::Database;

/// The operator token of the default workspace, on every daemon.
pub const OP: &str = "op-token";
/// The service token of the default workspace, on every daemon.
pub const SVC: &str = "svc-token";
/// The operator token of workspace `acme`, on daemons configured with [`ACME_TOKENS`].
pub const ACME_OP: &str = "acme-op-token";
/// The service token of workspace `acme`, on daemons configured with [`ACME_TOKENS`].
pub const ACME_SVC: &str = "acme-svc-token";
/// Where the fake clock starts: 10:00 on a Wednesday in Los Angeles.
pub const START: &str = "2026-11-25T18:00:00Z";

/// Config: the tokens of a second workspace, `acme`.
pub const ACME_TOKENS: &str = "\n[[tokens]]\ntoken = \"acme-op-token\"\nrole = \"operator\"\nworkspace = \"acme\"\n\n\
     [[tokens]]\ntoken = \"acme-svc-token\"\nrole = \"service\"\nworkspace = \"acme\"\n";

/// How long a daemon may take to serve, and a polled event to happen.
const PATIENCE: Duration = Duration::from_secs(60);
const POLL_EVERY: Duration = Duration::from_millis(20);

/// How to start a daemon; [`Daemon::builder`] gives the defaults.
#[derive(Debug)]
pub struct DaemonBuilder {
    config: String,
    env: Vec<(String, Option<String>)>,
    database_url: String,
    fake_clock: String,
    lenient_json: bool,
}

impl DaemonBuilder {
    /// Appends a piece (whole tables) to the config file (default: empty).
    pub fn config(mut self, toml: impl AsRef<str>) -> Self {
        self.config.push_str(toml.as_ref());
        self.config.push('\n');
        self
    }

    /// One more environment variable for the daemon process.
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.to_owned(), Some(value.into())));
        self
    }

    /// Removes an environment variable the test process may have from the daemon's.
    pub fn env_remove(mut self, key: &str) -> Self {
        self.env.push((key.to_owned(), None));
        self
    }

    /// The dispatch loop off and no quiet-hours spread: `POST /v1/dispatch/drain` decides,
    /// at the instants the gate names.
    pub fn manual_dispatch(self) -> Self {
        self.config("[dispatcher]\nenabled = false\nspread_seconds = 0\n")
    }

    /// Where the fake clock starts (default [`START`]).
    pub fn fake_clock(mut self, at: &str) -> Self {
        self.fake_clock = at.to_owned();
        self
    }

    /// A response body that is not JSON comes back as `Value::String` from [`Daemon::call`]
    /// instead of failing the test.
    pub fn lenient_json(mut self) -> Self {
        self.lenient_json = true;
        self
    }

    /// Starts `touchgate serve`, waits (bounded) for the address it bound, then until
    /// `/healthz` answers.
    pub async fn start(self) -> Daemon {
        let binary = crate::binary::touchgate();
        let dir = tempfile::tempdir().expect("a directory for the daemon");
        let config = dir.path().join("daemon.toml");
        std::fs::write(&config, &self.config).expect("writing the config file");
        let log_path = dir.path().join("daemon.log");
        let address_file = dir.path().join("daemon.addr");
        let metrics_address_file = dir.path().join("metrics.addr");
        let log = std::fs::File::create(&log_path).expect("creating the log file");
        let mut cmd = Command::new(binary);
        cmd.arg("serve").current_dir(dir.path());
        // Whatever the developer's shell says about touchgate is not this test's business.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("TOUCHGATE_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("TOUCHGATE_LISTEN", "127.0.0.1:0")
            .env("TOUCHGATE_ADDRESS_FILE", &address_file)
            .env("TOUCHGATE_METRICS_LISTEN", "127.0.0.1:0")
            .env("TOUCHGATE_METRICS_ADDRESS_FILE", &metrics_address_file)
            .env("TOUCHGATE_DATABASE_URL", &self.database_url)
            .env("TOUCHGATE_CONFIG", &config)
            .env("TOUCHGATE_OPERATOR_TOKEN", OP)
            .env("TOUCHGATE_SERVICE_TOKEN", SVC)
            .env("TOUCHGATE_FAKE_CLOCK", &self.fake_clock)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log file"))
            .stderr(log);
        for (k, v) in self.env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        let child = cmd.spawn().expect("spawning touchgate serve");
        let mut d = Daemon {
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            base: String::new(),
            metrics_base: String::new(),
            client: reqwest::Client::builder()
                .timeout(PATIENCE)
                .build()
                .expect("an HTTP client"),
            child: Some(child),
            log_path,
            lenient_json: self.lenient_json,
            _dir: dir,
        };
        d.address = d.wait_for_address(&address_file).await;
        d.base = format!("http://{}", d.address);
        // Written before the main address: present once that one is.
        let metrics = d.wait_for_address(&metrics_address_file).await;
        d.metrics_base = format!("http://{metrics}");
        d.wait_healthy().await;
        d
    }
}

/// One running daemon; dropping it kills the process.
#[derive(Debug)]
pub struct Daemon {
    address: SocketAddr,
    base: String,
    /// `http://<metrics address>` (`[metrics] listen`, port 0 here).
    metrics_base: String,
    pub client: reqwest::Client,
    child: Option<Child>,
    log_path: PathBuf,
    lenient_json: bool,
    _dir: tempfile::TempDir,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::thread::panicking() {
            eprintln!("---- log of the daemon at {}:\n{}", self.base, self.log());
        }
    }
}

impl Daemon {
    /// A daemon on `db` with an empty config, the default tokens and the fake clock at
    /// [`START`].
    pub fn builder(db: &Database) -> DaemonBuilder {
        DaemonBuilder {
            config: String::new(),
            env: Vec::new(),
            database_url: db.url().to_owned(),
            fake_clock: START.to_owned(),
            lenient_json: false,
        }
    }

    /// The address the daemon bound, as it reported it.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://<address>`: where to call it, and its public base URL when the config names
    /// none (what Twilio signs and unsubscribe links start with).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// What the daemon has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// SIGKILL: no shutdown path runs.
    pub fn kill(&mut self) {
        let mut c = self.child.take().expect("a daemon process to kill");
        c.kill().expect("killing the daemon");
        c.wait().expect("reaping the daemon");
    }

    /// SIGSTOP: the process is frozen — its timers, lease renewals and connections with it —
    /// until [`Daemon::resume`].
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// SIGCONT: a process frozen by [`Daemon::pause`] runs on.
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("a daemon process").id();
        let status = Command::new("kill")
            .arg(signal)
            .arg(pid.to_string())
            .status()
            .expect("running kill");
        assert!(status.success(), "kill {signal} {pid}: {status}");
    }

    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    async fn wait_for_address(&mut self, file: &std::path::Path) -> SocketAddr {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.exited() {
                panic!("touchgate serve exited ({status}); log:\n{}", self.log());
            }
            // The daemon writes the file whole and renames it into place.
            if let Ok(text) = std::fs::read_to_string(file) {
                return text.trim().parse().unwrap_or_else(|e| {
                    panic!("{} holds {text:?}, not an address: {e}", file.display())
                });
            }
            assert!(
                Instant::now() < deadline,
                "touchgate serve reported no address in {PATIENCE:?}; log:\n{}",
                self.log()
            );
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    async fn wait_healthy(&mut self) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.exited() {
                panic!("touchgate serve exited ({status}); log:\n{}", self.log());
            }
            if let Ok(r) = self.client.get(self.url("/healthz")).send().await
                && r.status() == StatusCode::OK
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "daemon not healthy after {PATIENCE:?}; log:\n{}",
                self.log()
            );
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// `GET /metrics` on the metrics address.
    pub async fn metrics(&self) -> reqwest::Response {
        self.client
            .get(format!("{}/metrics", self.metrics_base))
            .send()
            .await
            .expect("the metrics address answers")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn req(&self, method: Method, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
        let r = self.client.request(method, self.url(path));
        match token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    /// Status and JSON body (`Null` when empty) of one API call.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut r = self.req(method, path, token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.expect("the daemon answers");
        if self.lenient_json {
            return json_of(res).await;
        }
        let status = res.status();
        let text = res.text().await.expect("a response body");
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
        };
        (status, v)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    /// A touch of the default workspace as stored.
    pub async fn touch(&self, id: &str) -> Value {
        let (s, v) = self.get(&format!("/v1/touches/{id}"), SVC).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    /// `POST /v1/touches` with the service token.
    pub async fn create(&self, touch: Value) -> (StatusCode, Value) {
        self.post("/v1/touches", SVC, touch).await
    }

    /// Creates a touch (it must be new), drains, and returns the touch as stored.
    pub async fn send(&self, touch: Value) -> Value {
        let (s, t) = self.create(touch).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        self.drain().await;
        self.touch(t["id"].as_str().expect("the touch's id")).await
    }

    /// `POST /v1/dispatch/drain` for the default workspace: everything due is decided and
    /// sent, and the background work of earlier requests (opt-out confirmations) has settled.
    /// Returns how many touches were processed.
    pub async fn drain(&self) -> u64 {
        self.drain_as(OP).await
    }

    /// [`Daemon::drain`] for the workspace of operator token `op`.
    pub async fn drain_as(&self, op: &str) -> u64 {
        let (s, v) = self.post("/v1/dispatch/drain", op, json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["processed"].as_u64().expect("processed")
    }

    /// Moves the daemon's fake clock.
    pub async fn set_clock(&self, at: &str) {
        let (s, v) = self.post("/v1/test/clock", OP, json!({ "now": at })).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }

    /// Polls a touch until `pred` holds (bounded) and returns it.
    pub async fn wait_for_touch(
        &self,
        id: &str,
        what: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        poll(&format!("touch {id} {what}"), || async {
            let t = self.touch(id).await;
            if pred(&t) { Ok(t) } else { Err(t) }
        })
        .await
    }
}

/// Calls `probe` until it finds what it looks for (`Ok`; every 20 ms, for at most a minute,
/// then fails with what it saw last) — waiting for an event that must come, never for one that
/// must not.
pub async fn poll<T, Seen, F, Fut>(what: &str, mut probe: F) -> T
where
    Seen: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Seen>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        match probe().await {
            Ok(found) => return found,
            Err(seen) => assert!(
                Instant::now() < deadline,
                "{what}: not within {PATIENCE:?}; last seen: {seen}"
            ),
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Status and body of a response: JSON, `Null` when empty, else the text as `Value::String`.
pub async fn json_of(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.expect("a response body");
    let v = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, v)
}
