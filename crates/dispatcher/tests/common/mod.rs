//! What the black-box tests of the daemon share: start the real `touchgate serve` binary (or
//! an in-process server, see [`DaemonBuilder::start_in_process`]) on a free port with its own
//! config file, database and fake clock, wait until `/healthz` answers, call the API with a
//! bearer token, and kill the daemon when the test is done with it.
//!
//! Each test crate includes this module with `mod common;` and keeps its own domain helpers
//! (seeding, assertions) next to its tests.

// Every test crate compiles this module on its own and none uses all of it (e.g. only `api`
// starts an in-process server, only `resilience` kills a daemon on purpose), so an item unused
// by one crate is not dead code.
#![allow(dead_code)]

use std::future::Future;
use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The operator token every daemon here accepts (default workspace).
pub const OP: &str = "op-token";
/// The service token of the daemons started with `TOUCHGATE_SERVICE_TOKEN` set to it.
pub const SVC: &str = "svc-token";
/// Where the fake clock starts: 10:00 in Los Angeles.
pub const START: &str = "2026-11-25T18:00:00Z";

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How to start a daemon; [`Daemon::builder`] gives the defaults.
pub struct DaemonBuilder {
    config: String,
    env: Vec<(String, Option<String>)>,
    database_url: Option<String>,
    dir: Option<PathBuf>,
    name: String,
    fake_clock: String,
    lenient_json: bool,
}

/// Where and how an in-process server is to listen, for [`DaemonBuilder::start_in_process`].
pub struct Launch {
    pub config: PathBuf,
    pub database_url: String,
    pub port: u16,
}

impl DaemonBuilder {
    /// The config file's text (default: empty).
    pub fn config(mut self, toml: impl Into<String>) -> Self {
        self.config = toml.into();
        self
    }

    /// One more environment variable for the daemon process (set after the defaults).
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.to_owned(), Some(value.into())));
        self
    }

    /// Removes an environment variable the test process may have from the daemon's.
    pub fn env_remove(mut self, key: &str) -> Self {
        self.env.push((key.to_owned(), None));
        self
    }

    /// The database (default: `t.db`, a fresh SQLite file in the working directory).
    pub fn database_url(mut self, url: impl Into<String>) -> Self {
        self.database_url = Some(url.into());
        self
    }

    /// The daemon's working directory, where its config file and log go (default: a temporary
    /// directory the daemon owns and removes).
    pub fn dir(mut self, dir: &Path) -> Self {
        self.dir = Some(dir.to_owned());
        self
    }

    /// The config file is `<name>.toml`, the log `<name>.log` (default `daemon`); daemons
    /// sharing a directory need different names.
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_owned();
        self
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

    /// Writes the config file and picks a port; the daemon is not running yet.
    fn prepare(self) -> (Daemon, Launch, Vec<(String, Option<String>)>, String) {
        let (owned, dir) = match self.dir {
            Some(d) => (None, d),
            None => {
                let t = tempfile::tempdir().unwrap();
                let p = t.path().to_owned();
                (Some(t), p)
            }
        };
        let config = dir.join(format!("{}.toml", self.name));
        std::fs::write(&config, &self.config).unwrap();
        let database_url = self
            .database_url
            .unwrap_or_else(|| format!("sqlite://{}/t.db", dir.display()));
        let port = free_port();
        let d = Daemon {
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            child: None,
            server: None,
            log_path: dir.join(format!("{}.log", self.name)),
            dir,
            lenient_json: self.lenient_json,
            _owned_dir: owned,
        };
        let launch = Launch {
            config,
            database_url,
            port,
        };
        (d, launch, self.env, self.fake_clock)
    }

    /// Starts `touchgate serve` and waits (bounded) until `/healthz` answers.
    pub async fn start(self) -> Daemon {
        let (mut d, launch, env, fake_clock) = self.prepare();
        let log = std::fs::File::create(&d.log_path).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_touchgate"));
        cmd.arg("serve")
            .current_dir(&d.dir)
            .env("TOUCHGATE_LISTEN", format!("127.0.0.1:{}", launch.port))
            .env("TOUCHGATE_DATABASE_URL", &launch.database_url)
            .env("TOUCHGATE_CONFIG", &launch.config)
            .env("TOUCHGATE_OPERATOR_TOKEN", OP)
            .env("TOUCHGATE_FAKE_CLOCK", fake_clock)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        for (k, v) in env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        d.child = Some(cmd.spawn().expect("spawn touchgate serve"));
        d.wait_healthy().await;
        d
    }

    /// Runs the server `serve` starts in this process instead of the binary (the environment
    /// variables and the fake clock are then `serve`'s business), and waits until `/healthz`
    /// answers.
    pub async fn start_in_process<F, Fut>(self, serve: F) -> Daemon
    where
        F: FnOnce(Launch) -> Fut,
        Fut: Future<Output = tokio::task::JoinHandle<()>>,
    {
        let (mut d, launch, _, _) = self.prepare();
        d.server = Some(serve(launch).await);
        d.wait_healthy().await;
        d
    }
}

/// One running daemon; dropping it kills the daemon.
pub struct Daemon {
    pub base: String,
    pub client: reqwest::Client,
    child: Option<Child>,
    server: Option<tokio::task::JoinHandle<()>>,
    dir: PathBuf,
    log_path: PathBuf,
    lenient_json: bool,
    _owned_dir: Option<tempfile::TempDir>,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(s) = self.server.take() {
            s.abort();
        }
    }
}

impl Daemon {
    pub fn builder() -> DaemonBuilder {
        DaemonBuilder {
            config: String::new(),
            env: Vec::new(),
            database_url: None,
            dir: None,
            name: "daemon".to_owned(),
            fake_clock: START.to_owned(),
            lenient_json: false,
        }
    }

    /// What the daemon has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// SIGKILL: no shutdown path runs.
    pub fn kill(&mut self) {
        let mut c = self.child.take().expect("a daemon process to kill");
        c.kill().unwrap();
        c.wait().unwrap();
    }

    async fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(c) = &mut self.child
                && let Ok(Some(status)) = c.try_wait()
            {
                panic!(
                    "touchgate serve exited early ({status}); log:\n{}",
                    self.log()
                );
            }
            if let Ok(r) = self.client.get(self.url("/healthz")).send().await
                && r.status() == StatusCode::OK
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "daemon not healthy after 60 s; log in {}:\n{}",
                self.log_path.display(),
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
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
        let res = r.send().await.unwrap();
        if self.lenient_json {
            return json_of(res).await;
        }
        let status = res.status();
        let text = res.text().await.unwrap();
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

    /// A touch as stored, read with the service token.
    pub async fn touch(&self, id: &str) -> Value {
        let (s, v) = self.get(&format!("/v1/touches/{id}"), SVC).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }
}

/// Status and body of a response: JSON, `Null` when empty, else the text as `Value::String`.
pub async fn json_of(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.unwrap();
    let v = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, v)
}
