//! The registry store at scale, with synthetic data: N random valid US numbers with dates.
//!
//! Run: `cargo bench -p registry --bench scale -- 100000000` (N; default 1,000,000; also
//! `REGISTRY_BENCH_N`). 300M: `cargo bench -p registry --bench scale -- 300000000` (about 6 GiB
//! of memory at the peak of the build, a few minutes). Under `cargo test` it runs a smoke size.
//!
//! Measures: parse + build from text lines (numbers/s; generating the text is not counted),
//! bytes a number (segment size, and resident-memory growth of a fresh process loading the
//! segment as the daemon does), lookup latency (hits and misses), a 1,000,000-line `add`
//! change list and a `delete` one built against the view while another thread keeps looking
//! up (its ns/lookup during the build), lookups through base + 2 deltas, the merge, and a
//! `full` import's comparison with the whole previous version.

// A benchmark may fail loudly and prints its table: it is not library code.
#![allow(clippy::expect_used, clippy::print_stdout, clippy::indexing_slicing)]
#![allow(clippy::cast_possible_truncation)]

use std::hint::black_box;
use std::io::{Read, Write};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use registry::{Import, ImportMode, Number, Registry, Segment};

const SEED: u64 = 0x5EED_0FD0_C011;
const MISS_SEED: u64 = 0xBAD_C0FFEE;
const CHUNK: usize = 1 << 20;
const SAMPLE: usize = 1_000_000;

/// splitmix64: a fast deterministic generator, so the hit sample can be generated again.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A valid US number as (area code, exchange, line).
    fn us_number(&mut self) -> (u64, u64, u64) {
        loop {
            let r = self.next();
            let npa = 200 + r % 800;
            if npa % 100 == 11 {
                continue;
            }
            let nxx = 200 + (r >> 16) % 800;
            let line = (r >> 32) % 10_000;
            return (npa, nxx, line);
        }
    }

    /// The number of the next line `Lines` would write from this state (which also draws its
    /// date).
    fn line_number(&mut self) -> Number {
        let (npa, nxx, line) = self.us_number();
        self.next();
        Number::nanp(npa as u16, nxx as u16, line as u16).expect("valid by construction")
    }
}

/// `NPANXXLINE,YYYY-MM-DD\n` lines, dates between 2003-06-27 (the registry opened) and 2025.
struct Lines {
    rng: Rng,
    dates: Vec<[u8; 10]>,
}

impl Lines {
    fn new(seed: u64) -> Lines {
        let first = chrono::NaiveDate::from_ymd_opt(2003, 6, 27).expect("date");
        let dates = (0..8000)
            .map(|days| {
                let text = (first + chrono::Days::new(days))
                    .format("%Y-%m-%d")
                    .to_string();
                text.as_bytes().try_into().expect("10 bytes")
            })
            .collect();
        Lines {
            rng: Rng(seed),
            dates,
        }
    }

    fn push_line(&mut self, out: &mut Vec<u8>) {
        let (npa, nxx, line) = self.rng.us_number();
        let national = npa * 10_000_000 + nxx * 10_000 + line;
        let mut digits = [0u8; 10];
        let mut value = national;
        for digit in digits.iter_mut().rev() {
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
        out.extend_from_slice(&digits);
        out.push(b',');
        let date = self.rng.next() as usize % self.dates.len();
        out.extend_from_slice(&self.dates[date]);
        out.push(b'\n');
    }
}

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}

fn per_second(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

fn ns_each(count: usize, elapsed: Duration) -> f64 {
    elapsed.as_nanos() as f64 / count.max(1) as f64
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Mean ns per lookup over `numbers`, and how many were listed.
fn lookups(view: &Registry, numbers: &[Number]) -> (f64, usize) {
    let start = Instant::now();
    let hits = numbers
        .iter()
        .filter(|&&n| black_box(view.contains(n)))
        .count();
    (ns_each(numbers.len(), start.elapsed()), hits)
}

/// p50 and p99 of single lookups timed one by one (includes the clock's own ~20-30 ns).
fn percentiles(view: &Registry, numbers: &[Number]) -> (u128, u128) {
    let mut times: Vec<u128> = numbers
        .iter()
        .take(200_000)
        .map(|&n| {
            let start = Instant::now();
            black_box(view.lookup(n));
            start.elapsed().as_nanos()
        })
        .collect();
    times.sort_unstable();
    let at = |q: f64| {
        times
            .get(((times.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0)
    };
    (at(0.5), at(0.99))
}

/// Builds a change list against `view` while another thread keeps looking up in it.
fn change_list(
    view: &Registry,
    mode: ImportMode,
    body: &[u8],
    probe: &[Number],
) -> (registry::ImportOutcome, Duration, f64) {
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let (mut done, start) = (0usize, Instant::now());
            while !stop.load(Ordering::Relaxed) {
                for chunk in probe.chunks(10_000) {
                    black_box(chunk.iter().filter(|&&n| view.contains(n)).count());
                    done += chunk.len();
                }
            }
            ns_each(done, start.elapsed())
        });
        let start = Instant::now();
        let mut import = Import::new(mode);
        for chunk in body.chunks(CHUNK) {
            import.feed(chunk);
        }
        let outcome = import.finish(view);
        let elapsed = start.elapsed();
        stop.store(true, Ordering::Relaxed);
        let during = reader.join().expect("reader thread");
        (outcome, elapsed, during)
    })
}

/// Child mode: load a segment file as the daemon would (read into memory, validate) and report
/// the resident-memory growth and load time.
fn load_child(path: &str) {
    let before = rss_bytes();
    let start = Instant::now();
    let mut file = std::fs::File::open(path).expect("segment file");
    let mut bytes = Vec::with_capacity(file.metadata().map_or(0, |m| m.len() as usize));
    let mut chunk = vec![0u8; 64 << 20];
    loop {
        let read = file.read(&mut chunk).expect("read");
        if read == 0 {
            break;
        }
        bytes.extend_from_slice(&chunk[..read]);
    }
    drop(chunk);
    let read_done = start.elapsed();
    let segment = Segment::from_bytes(bytes).expect("valid segment");
    let validated = start.elapsed() - read_done;
    let view = Registry::empty().apply(Arc::new(segment)).expect("base");
    let growth = rss_bytes().saturating_sub(before);
    println!(
        "{} {} {}",
        growth,
        read_done.as_secs_f64(),
        validated.as_secs_f64()
    );
    black_box(view);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--load") {
        load_child(args.get(at + 1).expect("--load PATH"));
        return;
    }
    let benching = args.iter().any(|a| a == "--bench");
    let n: u64 = args
        .iter()
        .skip(1)
        .find_map(|a| a.replace('_', "").parse().ok())
        .or_else(|| std::env::var("REGISTRY_BENCH_N").ok()?.parse().ok())
        .unwrap_or(if benching { 1_000_000 } else { 20_000 });
    let change_lines = n.min(1_000_000) as usize;
    println!("registry scale benchmark: N = {n}, change lists of {change_lines} lines");
    println!("{:<52} {:>16}", "measure", "value");
    let row = |what: &str, value: String| println!("{what:<52} {value:>16}");

    // 1. Parse and build from text, counting only the parser's and builder's time.
    let rss_before = rss_bytes();
    let mut lines = Lines::new(SEED);
    let mut import = Import::new(ImportMode::Full);
    let mut buffer = Vec::with_capacity(CHUNK + 64);
    let mut building = Duration::ZERO;
    let mut text_bytes = 0u64;
    let mut generated = 0u64;
    while generated < n {
        buffer.clear();
        while buffer.len() < CHUNK && generated < n {
            lines.push_line(&mut buffer);
            generated += 1;
        }
        text_bytes += buffer.len() as u64;
        let start = Instant::now();
        import.feed(&buffer);
        building += start.elapsed();
    }
    drop(buffer);
    let start = Instant::now();
    let outcome = import.finish(&Registry::empty());
    building += start.elapsed();
    let entries = outcome.segment.len();
    let segment_bytes = outcome.segment.as_bytes().len() as u64;
    let base = Arc::new(outcome.segment);
    let view = Registry::empty().apply(Arc::clone(&base)).expect("a base");
    let rss_after = rss_bytes();
    row("text parsed (MiB)", format!("{:.0}", mib(text_bytes)));
    row("entries (distinct numbers)", format!("{entries}"));
    row(
        "parse + build (numbers/s)",
        format!("{:.0}", per_second(n, building)),
    );
    row(
        "parse + build (s)",
        format!("{:.2}", building.as_secs_f64()),
    );
    row("segment size (MiB)", format!("{:.1}", mib(segment_bytes)));
    row(
        "segment bytes/number",
        format!("{:.3}", segment_bytes as f64 / entries.max(1) as f64),
    );
    row(
        "RSS growth, building process (bytes/number)",
        format!(
            "{:.2}",
            rss_after.saturating_sub(rss_before) as f64 / entries.max(1) as f64
        ),
    );

    // 2. A fresh process loads the segment as the daemon does.
    let path = std::env::temp_dir().join(format!("registry-bench-{}.seg", std::process::id()));
    {
        let mut file = std::fs::File::create(&path).expect("temp file");
        base.write_to(&mut file).expect("write segment");
        file.flush().expect("flush");
    }
    let exe = std::env::current_exe().expect("own path");
    let child = Command::new(exe)
        .arg("--load")
        .arg(&path)
        .output()
        .expect("child process");
    let _ = std::fs::remove_file(&path);
    let answer = String::from_utf8_lossy(&child.stdout);
    let figures: Vec<f64> = answer
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    if let [growth, read, validate] = figures[..] {
        row(
            "RSS growth, loading process (MiB)",
            format!("{:.1}", mib(growth as u64)),
        );
        row(
            "RSS growth, loading process (bytes/number)",
            format!("{:.3}", growth / entries.max(1) as f64),
        );
        row("load: read file (s)", format!("{read:.2}"));
        row("load: checksum + validate (s)", format!("{validate:.2}"));
    } else {
        row(
            "loading process failed",
            String::from_utf8_lossy(&child.stderr).into_owned(),
        );
    }

    // 3. Lookups.
    let mut again = Rng(SEED);
    let hits: Vec<Number> = (0..SAMPLE.min(n as usize))
        .map(|_| again.line_number())
        .collect();
    let mut misses_rng = Rng(MISS_SEED);
    let misses: Vec<Number> = (0..SAMPLE).map(|_| misses_rng.line_number()).collect();
    let (hit_ns, found) = lookups(&view, &hits);
    assert_eq!(found, hits.len(), "every generated number is listed");
    let (miss_ns, listed) = lookups(&view, &misses);
    let (p50, p99) = percentiles(&view, &misses);
    row("lookup, listed numbers (ns, mean)", format!("{hit_ns:.0}"));
    row(
        &format!(
            "lookup, random numbers (ns, mean; {:.1}% listed)",
            100.0 * listed as f64 / misses.len() as f64
        ),
        format!("{miss_ns:.0}"),
    );
    row(
        "lookup, random numbers, timed singly (ns p50/p99)",
        format!("{p50}/{p99}"),
    );

    // 4. Change lists: half listed numbers with new dates, half new numbers; then deletions.
    let mut change_text = Vec::new();
    let mut news = Lines::new(SEED ^ 0x00C4_A46E);
    let mut olds = Lines::new(SEED);
    for i in 0..change_lines {
        if i % 2 == 0 {
            olds.push_line(&mut change_text);
        } else {
            news.push_line(&mut change_text);
        }
    }
    let (added, add_time, during_add) = change_list(&view, ImportMode::Add, &change_text, &misses);
    let view = view.apply(Arc::new(added.segment)).expect("delta applies");
    row(
        "add change list: build delta (s)",
        format!("{:.2}", add_time.as_secs_f64()),
    );
    row(
        "  its added / delta entries",
        format!("{} / {}", added.report.added, view.len() - entries),
    );
    row(
        "  lookups meanwhile on another thread (ns)",
        format!("{during_add:.0}"),
    );

    let mut delete_text = Vec::new();
    let mut olds = Lines::new(SEED);
    for _ in 0..change_lines {
        olds.push_line(&mut delete_text);
    }
    let (deleted, delete_time, during_delete) =
        change_list(&view, ImportMode::Delete, &delete_text, &misses);
    let view = view
        .apply(Arc::new(deleted.segment))
        .expect("delta applies");
    row(
        "delete change list: build delta (s)",
        format!("{:.2}", delete_time.as_secs_f64()),
    );
    row("  its removed", format!("{}", deleted.report.removed));
    row(
        "  lookups meanwhile on another thread (ns)",
        format!("{during_delete:.0}"),
    );
    let (delta_ns, _) = lookups(&view, &misses);
    row(
        "lookup through base + 2 deltas (ns, mean)",
        format!("{delta_ns:.0}"),
    );

    // 5. Merge.
    let start = Instant::now();
    let merged = view.merge();
    let merge_time = start.elapsed();
    assert_eq!(merged.len(), view.len());
    row(
        "merge base + 2 deltas (s)",
        format!("{:.2}", merge_time.as_secs_f64()),
    );
    let merged = Registry::empty().apply(Arc::new(merged)).expect("base");
    let (merged_ns, _) = lookups(&merged, &misses);
    row("lookup after merge (ns, mean)", format!("{merged_ns:.0}"));

    // 6. A `full` import compares the new version with the whole old one for added/removed.
    let start = Instant::now();
    let mut full = Import::new(ImportMode::Full);
    full.feed(&delete_text);
    let replaced = full.finish(&merged);
    row(
        &format!("full import of {change_lines} lines replacing the N view (s)"),
        format!("{:.2}", start.elapsed().as_secs_f64()),
    );
    row(
        "  its added / removed",
        format!("{} / {}", replaced.report.added, replaced.report.removed),
    );
}
