//! Registries through the daemon (issue 8): the `touchgate` binary of this build
//! (`CARGO_BIN_EXE_touchgate`), started with the README's defaults on a fresh SQLite database,
//! fed synthetic national-registry data and driven over HTTP and its CLI.
//!
//! Data: N random valid US numbers (area code and exchange 2-9XX, no N11 area code) with random
//! dates 2003-2025, in the import line format (`2015550123,2019-04-01`), written to a temporary
//! file before any clock starts. Area codes 212 and 415 are kept out of the list: 415 gives the
//! misses, 212 the probe number of the change list.
//!
//! Measured, in this order:
//! 1. `POST /v1/evaluate` (4 in flight) and `GET /v1/check` p50/p99 with no registry loaded;
//! 2. `touchgate registry import national FILE --mode full --as-of …` (the CLI, while the
//!    daemon runs): numbers/s over its wall time, its maximum RSS (`/usr/bin/time -v`, else
//!    `VmHWM` polled); then the time until the daemon serves the new version (its 2 s poll and
//!    the load from the database) and the daemon's RSS growth per number;
//! 3. `GET /v1/check?contact=…&channel=sms&purpose=marketing`, sequential over loopback, half
//!    listed numbers and half unlisted: p50/p99; `POST /v1/evaluate` again;
//! 4. the API import: the same file streamed to `POST /v1/registries/national/imports`
//!    (`mode=full`, admin token, `Content-Length`, sent with `sendfile`): numbers/s from the
//!    first byte sent to the answer;
//! 5. a 1,000,000-line `add` change list through the CLI while a client keeps calling
//!    `GET /v1/check`: the time from starting the CLI until the daemon answers the change
//!    list's probe number as listed, and the check p50/p99 before and during; the same change
//!    list through the API (in force when it answers);
//! 6. `touchgate scrub IN.csv --phone-column phone …` on a generated CSV (numbers in six common
//!    formats, half listed): rows/s over its wall time, and net of loading the registries
//!    (timed apart as `touchgate registry list`, which loads them the same way);
//! 7. (PostgreSQL, fresh database) the CLI full import of the same file.
//!
//! Sizes: `TOUCHGATE_REGBENCH_N` overrides N; default 50,000,000 under `--bench`, 5,000,000
//! with `--quick`, and 20,000 under `cargo test --benches` (no `--bench` argument), where the
//! change list and the CSV are small too so CI stays fast. PostgreSQL:
//! `TOUCHGATE_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`);
//! `TOUCHGATE_REGBENCH_POSTGRES=0` skips it, and an unreachable server is reported, not fatal.

// A benchmark may fail loudly and prints its table: it is not library code.
#![allow(clippy::print_stdout, clippy::indexing_slicing, clippy::expect_used)]
#![allow(clippy::cast_possible_truncation)]

use std::io::{BufWriter, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use serde_json::{Value, json};
use sqlx::Executor as _;

const OP: &str = "bench-admin-token";
const SVC: &str = "bench-service-token";
/// Area codes kept out of the generated list.
const MISS_NPA: u64 = 415;
const PROBE_NPA: u64 = 212;
/// Requests in flight for `POST /v1/evaluate`.
const EVAL_IN_FLIGHT: usize = 4;

struct Plan {
    n: usize,
    label: &'static str,
    checks: usize,
    /// Listed numbers kept aside (from the generated file) for hits.
    samples: usize,
    change_lines: usize,
    scrub_rows: usize,
    evaluations: usize,
    /// Seconds of checks before the change list starts.
    before_secs: f64,
    postgres: bool,
    pg_admin: String,
}

fn plan() -> Plan {
    let args: Vec<String> = std::env::args().collect();
    let bench = args.iter().any(|a| a == "--bench");
    let quick = args.iter().any(|a| a == "--quick");
    let env_n: Option<usize> = std::env::var("TOUCHGATE_REGBENCH_N")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok());
    let (label, default_n) = match (bench, quick) {
        (false, _) => ("smoke", 20_000),
        (true, true) => ("quick", 5_000_000),
        (true, false) => ("bench", 50_000_000),
    };
    Plan {
        n: env_n.filter(|_| bench).unwrap_or(default_n).max(100),
        label,
        checks: if bench { 20_000 } else { 200 },
        samples: if bench { 20_000 } else { 100 },
        change_lines: if bench { 1_000_000 } else { 2_000 },
        scrub_rows: match (bench, quick) {
            (false, _) => 2_000,
            (true, true) => 1_000_000,
            (true, false) => 2_000_000,
        },
        evaluations: if bench { 4_000 } else { 40 },
        before_secs: if bench { 3.0 } else { 0.5 },
        postgres: std::env::var("TOUCHGATE_REGBENCH_POSTGRES").map_or(true, |v| v != "0"),
        pg_admin: std::env::var("TOUCHGATE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned()),
    }
}

// ---------------------------------------------------------------------------------------------
// Synthetic data

/// SplitMix64: fast and good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A random valid US number (10 digits) outside the reserved area codes.
    fn listed(&mut self) -> u64 {
        loop {
            let npa = 200 + self.below(800);
            if npa % 100 == 11 || npa == MISS_NPA || npa == PROBE_NPA {
                continue;
            }
            return self.in_npa(npa);
        }
    }

    fn in_npa(&mut self, npa: u64) -> u64 {
        let nxx = 200 + self.below(800);
        let line = self.below(10_000);
        npa * 10_000_000 + nxx * 10_000 + line
    }
}

/// `YYYY-MM-DD` of every day from 2003-01-01 to 2025-12-31.
fn date_table() -> Vec<[u8; 10]> {
    let mut out = Vec::new();
    let mut d = chrono::NaiveDate::from_ymd_opt(2003, 1, 1).expect("a date");
    let end = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).expect("a date");
    while d <= end {
        let mut b = [0u8; 10];
        b.copy_from_slice(d.format("%Y-%m-%d").to_string().as_bytes());
        out.push(b);
        d = d.succ_opt().expect("a next day");
    }
    out
}

fn push_digits(buf: &mut Vec<u8>, number: u64) {
    let mut digits = [0u8; 10];
    let mut v = number;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
    buf.extend_from_slice(&digits);
}

/// Writes `lines` import lines (`NUMBER,DATE`) from `next` to `path`.
fn write_lines(path: &Path, lines: usize, mut next: impl FnMut(usize) -> u64) -> Result<u64> {
    let dates = date_table();
    let mut rng = Rng(0xDA7E);
    let mut out = BufWriter::with_capacity(4 << 20, std::fs::File::create(path)?);
    let mut buf = Vec::with_capacity(1 << 20);
    for i in 0..lines {
        push_digits(&mut buf, next(i));
        buf.push(b',');
        buf.extend_from_slice(&dates[rng.below(dates.len() as u64) as usize]);
        buf.push(b'\n');
        if buf.len() > (1 << 20) - 64 {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// Whether the gate (libphonenumber's metadata) takes `+1number` as a valid number: the check
/// API answers 400 otherwise, and the scrub rejects it as `invalid_recipient`.
fn valid(number: u64) -> bool {
    gate::Phone::parse(&format!("+1{number}"), None).is_ok()
}

struct Data {
    full: PathBuf,
    full_bytes: u64,
    change: PathBuf,
    probe: String,
    hits: Vec<String>,
    misses: Vec<String>,
    csv: PathBuf,
}

fn generate(dir: &Path, plan: &Plan) -> Result<Data> {
    let n = plan.n;
    let stride = (n / plan.samples).max(1);
    let mut sampled = Vec::new();
    let mut rng = Rng(0x5EED_0FD0_C011);
    let full = dir.join("national.txt");
    let full_bytes = write_lines(&full, n, |i| {
        let number = rng.listed();
        if i.is_multiple_of(stride) {
            sampled.push(number);
        }
        number
    })?;
    let parsing = Instant::now();
    let tried = sampled.len();
    let hits: Vec<String> = sampled
        .into_iter()
        .filter(|&n| valid(n))
        .map(|n| format!("+1{n}"))
        .collect();
    let all_us = parsing.elapsed().as_secs_f64() * 1e6 / tried.max(1) as f64;
    let parsing = Instant::now();
    let again = hits
        .iter()
        .filter(|h| gate::Phone::parse(h, None).is_ok())
        .count();
    println!(
        "gate::Phone::parse (namba): {all_us:.0} µs a number over {tried} random ones ({} valid), \
         {:.0} µs a valid one",
        hits.len(),
        parsing.elapsed().as_secs_f64() * 1e6 / again.max(1) as f64,
    );
    let mut rng = Rng(0xBAD_C0FFEE);
    let mut misses = Vec::new();
    while misses.len() < hits.len().clamp(100, plan.samples) {
        let number = rng.in_npa(MISS_NPA);
        if valid(number) {
            misses.push(format!("+1{number}"));
        }
    }
    if hits.is_empty() {
        bail!("no generated number is valid for the gate");
    }

    // The change list: new numbers anywhere, the first one in the probe area code.
    let mut rng = Rng(0xC4A_1657);
    let probe_number = loop {
        let number = rng.in_npa(PROBE_NPA);
        if valid(number) {
            break number;
        }
    };
    let change = dir.join("add.txt");
    write_lines(&change, plan.change_lines, |i| {
        if i == 0 { probe_number } else { rng.listed() }
    })?;

    // The CSV to scrub: half listed, half not, in six formats.
    let csv = dir.join("leads.csv");
    let mut out = BufWriter::with_capacity(4 << 20, std::fs::File::create(&csv)?);
    writeln!(out, "id,name,phone,company")?;
    for i in 0..plan.scrub_rows {
        let e164 = if i.is_multiple_of(2) {
            &hits[(i / 2) % hits.len()]
        } else {
            &misses[(i / 2) % misses.len()]
        };
        let d = &e164[2..];
        let (a, b, c) = (&d[..3], &d[3..6], &d[6..]);
        let phone = match i % 6 {
            0 => e164.clone(),
            1 => format!("({a}) {b}-{c}"),
            2 => format!("{a}-{b}-{c}"),
            3 => d.to_owned(),
            4 => format!("1 {a} {b} {c}"),
            _ => format!("{a}.{b}.{c}"),
        };
        writeln!(out, "{i},Lead {i},\"{phone}\",Acme {}", i % 97)?;
    }
    out.flush()?;
    Ok(Data {
        full,
        full_bytes,
        change,
        probe: format!("+1{probe_number}"),
        hits,
        misses,
        csv,
    })
}

// ---------------------------------------------------------------------------------------------
// Processes

fn touchgate() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_touchgate"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("TOUCHGATE_") {
            cmd.env_remove(key);
        }
    }
    cmd.env_remove("RUST_LOG");
    cmd
}

/// The settings every process of a run shares: the database and a config file.
struct Env {
    db_url: String,
    dir: tempfile::TempDir,
}

impl Env {
    fn new(db_url: String) -> Result<Env> {
        let dir = tempfile::tempdir()?;
        std::fs::write(
            dir.path().join("touchgate.toml"),
            "[dispatcher]\nenabled = false\n",
        )?;
        Ok(Env { db_url, dir })
    }

    fn command(&self) -> Command {
        let mut cmd = touchgate();
        cmd.current_dir(self.dir.path())
            .env("TOUCHGATE_DATABASE_URL", &self.db_url)
            .env("TOUCHGATE_CONFIG", self.dir.path().join("touchgate.toml"))
            .env("TOUCHGATE_OPERATOR_TOKEN", OP)
            .env("TOUCHGATE_SERVICE_TOKEN", SVC);
        cmd
    }
}

/// One `touchgate serve`; killed when dropped.
struct Daemon {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    async fn start(env: &Env, client: &reqwest::Client) -> Result<Daemon> {
        let address_file = env.dir.path().join("address");
        let log = env.dir.path().join("daemon.log");
        let file = std::fs::File::create(&log)?;
        let child = env
            .command()
            .arg("serve")
            .env("TOUCHGATE_LISTEN", "127.0.0.1:0")
            .env("TOUCHGATE_ADDRESS_FILE", &address_file)
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .spawn()
            .context("spawning touchgate serve")?;
        let mut d = Daemon {
            child,
            base: String::new(),
            log,
        };
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = d.child.try_wait()? {
                bail!("touchgate serve exited ({status}): {}", d.log_text());
            }
            if let Ok(text) = std::fs::read_to_string(&address_file) {
                d.base = format!("http://{}", text.trim());
                if let Ok(r) = client.get(format!("{}/healthz", d.base)).send().await
                    && r.status().is_success()
                {
                    return Ok(d);
                }
            }
            if Instant::now() > until {
                bail!("touchgate serve did not become healthy: {}", d.log_text());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn addr(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// `VmRSS` and `VmHWM` in MiB.
    fn memory(&self) -> Result<(f64, f64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        Ok((
            kib(&status, "VmRSS:")? / 1024.0,
            kib(&status, "VmHWM:")? / 1024.0,
        ))
    }
}

fn kib(status: &str, key: &str) -> Result<f64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {key}"))
}

/// A CLI run: wall time, maximum RSS (MiB), stdout.
struct Run {
    wall: Duration,
    max_rss_mib: f64,
    stdout: String,
}

/// Runs `cmd` to completion, measuring its wall time and maximum RSS.
fn run_measured(cmd: Command) -> Result<Run> {
    let time = Path::new("/usr/bin/time");
    let with_time = time.exists();
    let mut cmd = if with_time {
        let mut t = Command::new(time);
        t.arg("-v").arg(cmd.get_program()).args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => t.env(k, v),
                None => t.env_remove(k),
            };
        }
        if let Some(d) = cmd.get_current_dir() {
            t.current_dir(d);
        }
        t
    } else {
        cmd
    };
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().context("spawning touchgate")?;
    let pid = child.id();
    let stop = Arc::new(AtomicBool::new(false));
    // Polled peak when /usr/bin/time is missing (VmHWM is the peak so far).
    let poller = (!with_time).then(|| {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut peak = 0.0f64;
            while !stop.load(Ordering::Relaxed) {
                if let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status"))
                    && let Ok(v) = kib(&s, "VmHWM:")
                {
                    peak = peak.max(v);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        })
    });
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut o) = child.stdout.take() {
        let mut e = child.stderr.take();
        let err = std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(e) = e.as_mut() {
                let _ = e.read_to_string(&mut s);
            }
            s
        });
        o.read_to_string(&mut stdout)?;
        stderr = err.join().unwrap_or_default();
    }
    let status = child.wait()?;
    let wall = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let polled = poller.and_then(|p| p.join().ok());
    if !status.success() {
        bail!("touchgate {status}: {stdout} {stderr}");
    }
    let max_rss_mib = match polled {
        Some(kib) => kib / 1024.0,
        None => {
            kib(
                &stderr.replace("Maximum resident set size (kbytes)", "MAXRSS"),
                "\tMAXRSS:",
            )? / 1024.0
        }
    };
    Ok(Run {
        wall,
        max_rss_mib,
        stdout,
    })
}

fn cli_import(env: &Env, file: &Path, mode: &str) -> Result<(Run, Value)> {
    let mut cmd = env.command();
    cmd.args(["registry", "import", "national"])
        .arg(file)
        .args(["--mode", mode, "--as-of", &today()]);
    let run = run_measured(cmd)?;
    let summary: Value = serde_json::from_str(&run.stdout)
        .with_context(|| format!("the import's summary: {}", run.stdout))?;
    Ok((run, summary))
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

// ---------------------------------------------------------------------------------------------
// HTTP

/// `POST /v1/registries/national/imports?{query}` with `file` as the body, over a plain
/// socket (`Content-Length`, the file sent with `sendfile` by `std::io::copy`): the status and
/// the answer.
fn api_import(addr: &str, file: &Path, query: &str) -> Result<(u16, Value)> {
    let len = std::fs::metadata(file)?.len();
    let mut stream = std::net::TcpStream::connect(addr)?;
    write!(
        stream,
        "POST /v1/registries/national/imports?{query} HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer {OP}\r\nContent-Type: text/plain\r\nContent-Length: {len}\r\n\
         Connection: close\r\n\r\n"
    )?;
    let mut body = std::fs::File::open(file)?;
    std::io::copy(&mut body, &mut stream)?;
    stream.flush()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let text = String::from_utf8_lossy(&answer);
    let (head, rest) = text.split_once("\r\n\r\n").context("an HTTP answer")?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("a status line")?;
    let json_text = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        // One chunk is enough for a small JSON answer: `len\r\n{...}\r\n0\r\n\r\n`.
        rest.split_once("\r\n").map_or(rest, |(_, r)| r)
    } else {
        rest
    };
    let start = json_text.find('{').unwrap_or(0);
    let end = json_text.rfind('}').map_or(json_text.len(), |e| e + 1);
    let value = serde_json::from_str(&json_text[start..end]).unwrap_or(Value::Null);
    Ok((status, value))
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> Result<Value> {
    let mut req = client.request(method, &url).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.with_context(|| url.clone())?;
    let status = res.status();
    let value: Value = res.json().await.with_context(|| url.clone())?;
    if !status.is_success() {
        bail!("{url}: {status} {value}");
    }
    Ok(value)
}

fn check_url(base: &str, contact: &str) -> String {
    format!(
        "{base}/v1/check?contact={}&channel=sms&purpose=marketing",
        contact.replace('+', "%2B")
    )
}

/// One check: its latency (µs) and whether `national` lists the contact.
async fn check_once(client: &reqwest::Client, base: &str, contact: &str) -> Result<(u64, bool)> {
    let started = Instant::now();
    let v = call(
        client,
        reqwest::Method::GET,
        check_url(base, contact),
        SVC,
        None,
    )
    .await?;
    let us = started.elapsed().as_micros() as u64;
    let listed = v["listings"]
        .as_array()
        .is_some_and(|l| l.iter().any(|x| x["registry"] == "national"));
    Ok((us, listed))
}

/// `count` sequential checks alternating listed and unlisted numbers: sorted latencies (µs),
/// and how many answered listed.
async fn checks(
    client: &reqwest::Client,
    base: &str,
    data: &Data,
    count: usize,
) -> Result<(Vec<u64>, usize)> {
    let mut lat = Vec::with_capacity(count);
    let mut listed = 0;
    for i in 0..count {
        let contact = if i.is_multiple_of(2) {
            &data.hits[(i / 2) % data.hits.len()]
        } else {
            &data.misses[(i / 2) % data.misses.len()]
        };
        let (us, l) = check_once(client, base, contact).await?;
        lat.push(us);
        listed += usize::from(l);
    }
    lat.sort_unstable();
    Ok((lat, listed))
}

/// The nearest-rank percentile `p` (per cent) of sorted samples.
fn pct(sorted: &[u64], p: usize) -> u64 {
    let rank = (p * sorted.len())
        .div_ceil(100)
        .clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied().unwrap_or_default()
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// `p50 / p99 (max) ms` of sorted latencies in µs.
fn latencies(sorted: &[u64]) -> String {
    format!(
        "{:.2} / {:.2} ({:.1}) ms",
        ms(pct(sorted, 50)),
        ms(pct(sorted, 99)),
        ms(sorted.last().copied().unwrap_or_default())
    )
}

/// `POST /v1/evaluate` for a marketing SMS to `lead`, `count` times,
/// [`EVAL_IN_FLIGHT`] at a time: decisions per second, and the first decision.
async fn evaluations(
    client: &reqwest::Client,
    base: &str,
    lead: &str,
    count: usize,
) -> Result<(f64, Value)> {
    use futures::StreamExt as _;
    let body = json!({
        "account_id": "sdr-0",
        "lead_id": lead,
        "channel": "sms",
        "purpose": "marketing",
        "content": {"body": "Spring offer: 20% off."},
    });
    let first = call(
        client,
        reqwest::Method::POST,
        format!("{base}/v1/evaluate"),
        SVC,
        Some(body.clone()),
    )
    .await?;
    let started = Instant::now();
    let results: Vec<Result<Value>> = futures::stream::iter(0..count)
        .map(|_| {
            call(
                client,
                reqwest::Method::POST,
                format!("{base}/v1/evaluate"),
                SVC,
                Some(body.clone()),
            )
        })
        .buffer_unordered(EVAL_IN_FLIGHT)
        .collect()
        .await;
    let rate = count as f64 / started.elapsed().as_secs_f64();
    for r in results {
        r?;
    }
    Ok((rate, first))
}

/// Account `sdr-0`; leads `listed` (a listed number) and `unlisted`.
async fn seed(client: &reqwest::Client, base: &str, data: &Data) -> Result<()> {
    call(
        client,
        reqwest::Method::PUT,
        format!("{base}/v1/accounts/sdr-0"),
        OP,
        Some(json!({"status": "active"})),
    )
    .await?;
    for (lead, phone) in [("listed", &data.hits[0]), ("unlisted", &data.misses[0])] {
        call(
            client,
            reqwest::Method::PUT,
            format!("{base}/v1/leads/{lead}"),
            OP,
            Some(json!({"phone": phone, "country": "US", "timezone": "America/New_York"})),
        )
        .await?;
    }
    Ok(())
}

/// `national` as `GET /v1/registries` lists it: its entries, if present.
async fn national_entries(client: &reqwest::Client, base: &str) -> Result<Option<i64>> {
    let v = call(
        client,
        reqwest::Method::GET,
        format!("{base}/v1/registries"),
        SVC,
        None,
    )
    .await?;
    Ok(v["registries"]
        .as_array()
        .and_then(|l| l.iter().find(|r| r["name"] == "national"))
        .and_then(|r| r["entries"].as_i64()))
}

// ---------------------------------------------------------------------------------------------
// The run

/// One line of the table.
struct Row {
    what: String,
    value: String,
    goal: &'static str,
}

fn row(rows: &mut Vec<Row>, what: impl Into<String>, value: impl Into<String>, goal: &'static str) {
    let r = Row {
        what: what.into(),
        value: value.into(),
        goal,
    };
    println!("  {:<62} {:>22}   {}", r.what, r.value, r.goal);
    rows.push(r);
}

fn rate(count: f64, d: Duration) -> String {
    let r = count / d.as_secs_f64();
    if r >= 1e6 {
        format!("{:.2}M/s", r / 1e6)
    } else {
        format!("{:.0}k/s", r / 1e3)
    }
}

async fn sqlite_run(plan: &Plan, data: &Data, rows: &mut Vec<Row>) -> Result<()> {
    let dbdir = tempfile::tempdir()?;
    let env = Env::new(format!("sqlite://{}/bench.db", dbdir.path().display()))?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(16)
        .build()?;
    let daemon = Daemon::start(&env, &client).await?;
    let base = daemon.base.clone();
    seed(&client, &base, data).await?;
    // Settling time before a reading, not a correctness wait.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (rss0, _) = daemon.memory()?;

    // 1. No registry loaded.
    let (lat, _) = checks(&client, &base, data, plan.checks).await?;
    row(
        rows,
        "GET /v1/check p50 / p99 (max), no registry loaded",
        latencies(&lat),
        "",
    );
    let mut first_empty = Vec::new();
    for lead in ["listed", "unlisted"] {
        let (rate, first) = evaluations(&client, &base, lead, plan.evaluations).await?;
        row(
            rows,
            format!("POST /v1/evaluate, no registry, lead {lead} ({EVAL_IN_FLIGHT} in flight)"),
            format!("{rate:.0}/s"),
            "",
        );
        first_empty.push(first);
    }

    // 2. The CLI's full import, the daemon running.
    let n = plan.n as f64;
    let (run, summary) = cli_import(&env, &data.full, "full")?;
    let cli_done = Instant::now();
    let entries = summary["entries"].as_i64().context("entries")?;
    row(
        rows,
        format!("CLI full import, {} lines ({} distinct)", plan.n, entries),
        format!("{} ({:.1} s)", rate(n, run.wall), run.wall.as_secs_f64()),
        ">= 5M/s",
    );
    row(
        rows,
        "CLI full import: the process's maximum RSS",
        format!("{:.0} MiB", run.max_rss_mib),
        "",
    );
    let until = Instant::now() + Duration::from_secs(600);
    while national_entries(&client, &base).await? != Some(entries) {
        if Instant::now() > until {
            bail!("the daemon did not load the import: {}", daemon.log_text());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    row(
        rows,
        "  then in force on the daemon (its poll + load from the DB)",
        format!("{:.2} s", cli_done.elapsed().as_secs_f64()),
        "",
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (rss1, _) = daemon.memory()?;
    row(
        rows,
        "daemon RSS: idle -> registry loaded",
        format!("{rss0:.0} -> {rss1:.0} MiB"),
        "",
    );
    let per = (rss1 - rss0) * 1024.0 * 1024.0 / entries as f64;
    row(
        rows,
        "  growth per number (at 300M: projected)",
        format!(
            "{per:.2} B ({:.2} GiB)",
            per * 300e6 / (1024.0 * 1024.0 * 1024.0)
        ),
        "<= 1.5 GiB at 300M",
    );

    // 3. Checks and decisions with the registry loaded.
    let (lat, listed) = checks(&client, &base, data, plan.checks).await?;
    row(
        rows,
        format!(
            "GET /v1/check p50 / p99 (max), loaded ({} seq., {listed} listed)",
            plan.checks
        ),
        latencies(&lat),
        "p99 <= 5 ms",
    );
    for (lead, empty) in ["listed", "unlisted"].into_iter().zip(&first_empty) {
        let (rate, first) = evaluations(&client, &base, lead, plan.evaluations).await?;
        row(
            rows,
            format!("POST /v1/evaluate, loaded, lead {lead} ({EVAL_IN_FLIGHT} in flight)"),
            format!("{rate:.0}/s"),
            "no worse",
        );
        println!(
            "    (its decision without the registry: {}; with: {})",
            empty["reason"], first["reason"]
        );
    }

    // 4. The API import of the same file.
    let addr = daemon.addr().to_owned();
    let full = data.full.clone();
    let query = format!("mode=full&as_of={}", today());
    let started = Instant::now();
    let (status, answer) =
        tokio::task::spawn_blocking(move || api_import(&addr, &full, &query)).await??;
    let took = started.elapsed();
    if status != 200 {
        bail!("API import: {status} {answer}");
    }
    let (rss2, hwm2) = daemon.memory()?;
    row(
        rows,
        format!(
            "API full import (POST, {} MiB streamed)",
            data.full_bytes >> 20
        ),
        format!("{} ({:.1} s)", rate(n, took), took.as_secs_f64()),
        ">= 2M/s",
    );
    row(
        rows,
        "  daemon RSS after it / peak so far (VmHWM)",
        format!("{rss2:.0} / {hwm2:.0} MiB"),
        "",
    );

    // 5. A change list through the CLI while a client keeps checking.
    let stop = Arc::new(AtomicBool::new(false));
    let t0 = Instant::now();
    let checker = {
        let client = client.clone();
        let base = base.clone();
        let hits = data.hits.clone();
        let misses = data.misses.clone();
        let probe = data.probe.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            // (offset from t0 µs, latency µs); the probe's first listed answer.
            let mut samples: Vec<(u64, u64)> = Vec::new();
            let mut in_force: Option<u64> = None;
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let at = t0.elapsed().as_micros() as u64;
                if i % 10 == 9 {
                    let (_, listed) = check_once(&client, &base, &probe).await?;
                    if listed && in_force.is_none() {
                        in_force = Some(at);
                    }
                } else {
                    let contact = if i.is_multiple_of(2) {
                        &hits[(i / 2) % hits.len()]
                    } else {
                        &misses[(i / 2) % misses.len()]
                    };
                    let (us, _) = check_once(&client, &base, contact).await?;
                    samples.push((at, us));
                }
                i += 1;
            }
            anyhow::Ok((samples, in_force))
        })
    };
    tokio::time::sleep(Duration::from_secs_f64(plan.before_secs)).await;
    let cli_start = t0.elapsed().as_micros() as u64;
    let env_cmd = {
        let mut cmd = env.command();
        cmd.args(["registry", "import", "national"])
            .arg(&data.change)
            .args(["--mode", "add"]);
        cmd
    };
    let run = tokio::task::spawn_blocking(move || run_measured(env_cmd)).await??;
    let cli_end = t0.elapsed().as_micros() as u64;
    // Until the daemon serves it (its next poll), then a little of "after".
    let until = Instant::now() + Duration::from_secs(60);
    let seen = loop {
        let at = t0.elapsed().as_micros() as u64;
        let (_, listed) = check_once(&client, &base, &data.probe).await?;
        if listed {
            break at;
        }
        if Instant::now() > until {
            bail!("the change list's probe is not listed 60 s after the CLI finished");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let (samples, in_force) = checker.await??;
    // The first listed answer, whichever client saw it (the checker may be slow to ask).
    let in_force = in_force.map_or(seen, |c| c.min(seen));
    let before: Vec<u64> = sorted(samples.iter().filter(|(at, _)| *at < cli_start));
    let during: Vec<u64> = sorted(
        samples
            .iter()
            .filter(|(at, _)| *at >= cli_start && *at < in_force),
    );
    row(
        rows,
        format!(
            "CLI add of {} lines: in force on the daemon after",
            plan.change_lines
        ),
        format!(
            "{:.2} s (CLI {:.2} s)",
            (in_force - cli_start) as f64 / 1e6,
            (cli_end - cli_start) as f64 / 1e6
        ),
        "<= 5 s",
    );
    row(
        rows,
        "  CLI add: the process's maximum RSS",
        format!("{:.0} MiB", run.max_rss_mib),
        "",
    );
    row(
        rows,
        format!("  check p50 / p99 (max) before ({} checks)", before.len()),
        latencies(&before),
        "",
    );
    row(
        rows,
        format!("  check p50 / p99 (max) during ({} checks)", during.len()),
        latencies(&during),
        "full speed",
    );

    // The same size of change list through the API (new numbers: shift every line's exchange).
    let change2 = data.change.with_extension("api.txt");
    let text = std::fs::read_to_string(&data.change)?;
    let mut rng = Rng(0xA91_C4A6);
    write_lines(&change2, text.lines().count(), |_| rng.listed())?;
    let addr = daemon.addr().to_owned();
    let started = Instant::now();
    let (status, answer) =
        tokio::task::spawn_blocking(move || api_import(&addr, &change2, "mode=add")).await??;
    if status != 200 {
        bail!("API add: {status} {answer}");
    }
    row(
        rows,
        format!(
            "API add of {} lines: in force when it answers",
            plan.change_lines
        ),
        format!("{:.2} s", started.elapsed().as_secs_f64()),
        "<= 5 s",
    );

    // 6. The CLI scrub (it loads the registries first, as `registry list` does).
    let mut cmd = env.command();
    cmd.args(["registry", "list"]);
    let load = run_measured(cmd)?;
    let out = env.dir.path();
    let mut cmd = env.command();
    cmd.arg("scrub")
        .arg(&data.csv)
        .args(["--phone-column", "phone"])
        .arg("--approved")
        .arg(out.join("approved.csv"))
        .arg("--rejected")
        .arg(out.join("rejected.csv"));
    let scrub = run_measured(cmd)?;
    let counts: Value = serde_json::from_str(&scrub.stdout).unwrap_or(Value::Null);
    let rows_n = plan.scrub_rows as f64;
    row(
        rows,
        format!(
            "CLI scrub, {} rows ({} approved, {} rejected)",
            plan.scrub_rows, counts["approved"], counts["rejected"]
        ),
        format!(
            "{} ({:.1} s)",
            rate(rows_n, scrub.wall),
            scrub.wall.as_secs_f64()
        ),
        ">= 500k/s",
    );
    let net = scrub.wall.saturating_sub(load.wall);
    row(
        rows,
        format!(
            "  net of loading the registries ({:.1} s, `registry list`)",
            load.wall.as_secs_f64()
        ),
        rate(rows_n, net.max(Duration::from_millis(1))),
        "",
    );
    row(
        rows,
        "  CLI scrub: the process's maximum RSS",
        format!("{:.0} MiB", scrub.max_rss_mib),
        "",
    );
    drop(daemon);
    Ok(())
}

fn sorted<'a>(it: impl Iterator<Item = &'a (u64, u64)>) -> Vec<u64> {
    let mut v: Vec<u64> = it.map(|(_, us)| *us).collect();
    v.sort_unstable();
    v
}

async fn postgres_run(plan: &Plan, data: &Data, rows: &mut Vec<Row>) -> Result<()> {
    let name = format!("tg_regbench_{}", uuid::Uuid::now_v7().simple());
    let admin = sqlx::PgPool::connect(&plan.pg_admin)
        .await
        .with_context(|| format!("PostgreSQL at {}", plan.pg_admin))?;
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await?;
    let base = plan
        .pg_admin
        .rsplit_once('/')
        .map_or(plan.pg_admin.as_str(), |(b, _)| b);
    let result = async {
        let env = Env::new(format!("{base}/{name}"))?;
        let (run, summary) = cli_import(&env, &data.full, "full")?;
        row(
            rows,
            format!(
                "PostgreSQL: CLI full import ({} distinct)",
                summary["entries"]
            ),
            format!(
                "{} ({:.1} s)",
                rate(plan.n as f64, run.wall),
                run.wall.as_secs_f64()
            ),
            ">= 5M/s",
        );
        row(
            rows,
            "  its maximum RSS",
            format!("{:.0} MiB", run.max_rss_mib),
            "",
        );
        let mut cmd = env.command();
        cmd.args(["registry", "list"]);
        let load = run_measured(cmd)?;
        row(
            rows,
            "  `registry list` (loads the registry from the DB)",
            format!("{:.2} s", load.wall.as_secs_f64()),
            "",
        );
        anyhow::Ok(())
    }
    .await;
    let _ = admin
        .execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .await;
    admin.close().await;
    result
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    let plan = plan();
    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    let data = generate(dir.path(), &plan)?;
    println!(
        "touchgate registries through the daemon ({}): N = {} lines ({} MiB), generated in {:.1} s; \
         {} checks, {}-line change list, {}-row CSV; SQLite",
        plan.label,
        plan.n,
        data.full_bytes >> 20,
        started.elapsed().as_secs_f64(),
        plan.checks,
        plan.change_lines,
        plan.scrub_rows,
    );
    println!();
    let mut rows = Vec::new();
    sqlite_run(&plan, &data, &mut rows).await?;
    if plan.postgres
        && let Err(e) = postgres_run(&plan, &data, &mut rows).await
    {
        println!("  PostgreSQL: not measured: {e:#}");
    }
    Ok(())
}
