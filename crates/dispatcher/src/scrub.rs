//! Scrub before upload: a CSV of numbers in, every row judged on its listings and the
//! workspace's DNC rows (never the time of day, never consent: none is known), out as two
//! files (`touchgate scrub`) or one with `reason` and `detail` columns (`POST /v1/scrub`).
//!
//! Everything a row needs is in memory for the whole run (the DNC contacts read once, the
//! registries in force), so a row costs a phone parse and a few lookups: the CLI scrubs on one
//! core without touching the database per row. Numbers are read in any common format
//! (`(415) 555-0123`, `415.555.0123`, `+1 415 555 0123`, `14155550123`): the digits of a
//! North American number take a fast path; anything else goes through the gate's parser with
//! the workspace's default region.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};

use crate::registries::RegistrySet;

/// What to judge against.
#[derive(Debug)]
pub struct Scrubber {
    channel: gate::Channel,
    purpose: gate::Purpose,
    default_region: String,
    /// Open DNC rows by contact.
    dnc: HashMap<String, Vec<gate::DncEntry>>,
    /// Set when some DNC rows name an erased contact by its keyed hash: numbers are looked up
    /// under that form too.
    privacy: Option<crate::privacy::PrivacyKey>,
    registries: std::sync::Arc<RegistrySet>,
    now: chrono::DateTime<chrono::Utc>,
    /// US state (or province) of each area code, computed once per area code.
    states: std::sync::Mutex<HashMap<u64, Option<&'static str>>>,
}

/// One row's verdict: approved (`reason` None) or the reason and its detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub reason: Option<gate::Reason>,
    pub detail: String,
}

impl Verdict {
    fn approved() -> Verdict {
        Verdict {
            reason: None,
            detail: String::new(),
        }
    }

    fn rejected(reason: gate::Reason, detail: String) -> Verdict {
        Verdict {
            reason: Some(reason),
            detail,
        }
    }
}

/// Counts of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScrubCounts {
    pub rows: u64,
    pub approved: u64,
    pub rejected: u64,
    pub by_reason: BTreeMap<String, u64>,
}

impl ScrubCounts {
    fn count(&mut self, v: &Verdict) {
        self.rows += 1;
        match v.reason {
            None => self.approved += 1,
            Some(r) => {
                self.rejected += 1;
                *self.by_reason.entry(r.as_str().to_owned()).or_default() += 1;
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScrubError {
    #[error("the CSV has no column `{0}`")]
    NoSuchColumn(String),
    #[error("the CSV is unreadable")]
    Csv(#[from] csv::Error),
    #[error("writing the result failed")]
    Io(#[from] std::io::Error),
}

impl Scrubber {
    pub fn new(
        channel: gate::Channel,
        purpose: gate::Purpose,
        default_region: &str,
        dnc: Vec<gate::DncEntry>,
        registries: std::sync::Arc<RegistrySet>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Scrubber {
        let mut by_contact: HashMap<String, Vec<gate::DncEntry>> = HashMap::new();
        for e in dnc {
            if let Some(c) = e.contact.clone() {
                by_contact.entry(c).or_default().push(e);
            }
        }
        Scrubber {
            channel,
            purpose,
            default_region: default_region.to_owned(),
            dnc: by_contact,
            privacy: None,
            registries,
            now,
            states: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Looks numbers up under their keyed hash too, when DNC rows of erased leads name them
    /// that way (otherwise the hash is never computed).
    #[must_use]
    pub fn with_privacy(mut self, key: crate::privacy::PrivacyKey) -> Scrubber {
        if self.dnc.keys().any(|c| crate::privacy::is_hashed(c)) {
            self.privacy = Some(key);
        }
        self
    }

    /// The number in E.164, or why it is not one.
    fn normalise(&self, raw: &str) -> Result<String, String> {
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        let plus = raw.trim_start().starts_with('+');
        let nanp = match (plus, digits.len(), self.default_region.as_str()) {
            (false, 10, "US" | "CA") => Some(format!("+1{digits}")),
            (_, 11, _) if digits.starts_with('1') => Some(format!("+{digits}")),
            _ => None,
        };
        if let Some(n) = nanp
            && n.parse::<registry::Number>().is_ok()
        {
            return Ok(n);
        }
        gate::Phone::parse(raw, Some(&self.default_region))
            .map(|p| p.as_str().to_owned())
            .map_err(|e| e.to_string())
    }

    /// The US state (or province) a number's area code is in.
    fn state_of(&self, e164: &str) -> Option<&'static str> {
        let npa: u64 = e164.strip_prefix("+1")?.get(..3)?.parse().ok()?;
        let mut states = self
            .states
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *states.entry(npa).or_insert_with(|| {
            gate::Phone::parse(e164, None)
                .ok()
                .and_then(|p| p.location().subdivision)
        })
    }

    /// Judges one number.
    pub fn judge(&self, raw: &str) -> Verdict {
        let number = match self.normalise(raw.trim()) {
            Ok(n) => n,
            Err(e) => {
                return Verdict::rejected(
                    gate::Reason::InvalidRecipient,
                    format!("not a phone number: {e}"),
                );
            }
        };
        let listings = self.registries.listings(&number);
        if let Some(l) = listings
            .iter()
            .find(|l| l.registry == gate::Registry::Litigators)
        {
            return Verdict::rejected(gate::Reason::LitigationHold, l.label());
        }
        let hashed = self.privacy.as_ref().map(|k| k.hashed(&number));
        let mut dnc_rows: Vec<&gate::DncEntry> = self
            .dnc
            .get(&number)
            .into_iter()
            .chain(hashed.and_then(|h| self.dnc.get(&h)))
            .flatten()
            .filter(|e| e.channel.covers(self.channel) && e.expires_at.is_none_or(|x| x > self.now))
            .collect();
        dnc_rows.sort_by_key(|e| e.reason != gate::DncReason::LitigationHold);
        if let Some(e) = dnc_rows.first()
            && e.reason == gate::DncReason::LitigationHold
        {
            return Verdict::rejected(gate::Reason::LitigationHold, format!("DNC entry {}", e.id));
        }
        let telemarketing = self.purpose == gate::Purpose::Marketing && self.channel.is_telephone();
        let own = dnc_rows
            .iter()
            .find(|e| telemarketing || !e.reason.lifted_by_consent());
        if let Some(e) = own {
            return Verdict::rejected(
                gate::Reason::DncListed,
                format!("DNC entry {} ({})", e.id, e.reason.as_str()),
            );
        }
        if telemarketing {
            let state = self.state_of(&number);
            let applies = |l: &&gate::RegistryListing| match l.registry {
                gate::Registry::National => true,
                gate::Registry::State(code) => state == Some(code),
                gate::Registry::Litigators | gate::Registry::Reassigned => false,
            };
            if let Some(l) = listings.iter().find(applies) {
                return Verdict::rejected(gate::Reason::DncListed, l.label());
            }
        }
        Verdict::approved()
    }

    /// Reads `input`'s header line and finds `phone_column`: the run can start.
    pub fn open<'s, R: Read>(
        &'s self,
        input: R,
        phone_column: &str,
    ) -> Result<Run<'s, R>, ScrubError> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
        let headers = reader.headers()?.clone();
        let column = headers
            .iter()
            .position(|h| h.trim() == phone_column)
            .ok_or_else(|| ScrubError::NoSuchColumn(phone_column.to_owned()))?;
        Ok(Run {
            scrubber: self,
            reader,
            headers,
            column,
        })
    }
}

/// A scrub whose input's header was read.
#[derive(Debug)]
pub struct Run<'s, R> {
    scrubber: &'s Scrubber,
    reader: csv::Reader<R>,
    headers: csv::StringRecord,
    column: usize,
}

impl<R: Read> Run<'_, R> {
    /// Judges every row, writing every row with `reason` and `detail` to `Output::All`, or
    /// approved rows (input columns only) and rejected ones (with `reason`, `detail`) to
    /// `Output::Split`. `progress` is told the bytes read now and then.
    pub fn write<W: Write>(
        mut self,
        out: Output<W>,
        progress: &dyn Fn(u64),
    ) -> Result<ScrubCounts, ScrubError> {
        let mut with_verdict = self.headers.clone();
        with_verdict.push_field("reason");
        with_verdict.push_field("detail");
        let mut counts = ScrubCounts::default();
        let mut record = csv::StringRecord::new();
        // Rows may be ragged (the reader is flexible: a missing trailing column is common in
        // exported lists); each is written back as it came, with its verdict after it.
        let writer = |w| csv::WriterBuilder::new().flexible(true).from_writer(w);
        let (mut all, mut ok, mut bad) = match out {
            Output::All(w) => (Some(writer(w)), None, None),
            Output::Split { approved, rejected } => {
                (None, Some(writer(approved)), Some(writer(rejected)))
            }
        };
        if let Some(w) = &mut all {
            w.write_record(&with_verdict)?;
        }
        if let Some(w) = &mut ok {
            w.write_record(&self.headers)?;
        }
        if let Some(w) = &mut bad {
            w.write_record(&with_verdict)?;
        }
        while self.reader.read_record(&mut record)? {
            let v = self
                .scrubber
                .judge(record.get(self.column).unwrap_or_default());
            counts.count(&v);
            match (&mut all, &mut ok, &mut bad, v.reason) {
                (Some(w), _, _, _) => write_with_verdict(w, &record, &v)?,
                (None, Some(w), _, None) => w.write_record(&record)?,
                (None, _, Some(w), Some(_)) => write_with_verdict(w, &record, &v)?,
                _ => {}
            }
            if counts.rows % 8192 == 0 {
                progress(record.position().map_or(0, csv::Position::byte));
            }
        }
        for w in [all, ok, bad].into_iter().flatten() {
            w.into_inner()
                .map_err(|e| ScrubError::Io(e.into_error()))?
                .flush()?;
        }
        Ok(counts)
    }
}

/// Where a scrub writes.
#[derive(Debug)]
pub enum Output<W> {
    /// Every row, with `reason` and `detail` (the API's answer).
    All(W),
    /// Approved rows as read, rejected rows with `reason` and `detail` (the CLI's two files).
    Split { approved: W, rejected: W },
}

fn write_with_verdict<W: Write>(
    w: &mut csv::Writer<W>,
    record: &csv::StringRecord,
    v: &Verdict,
) -> Result<(), csv::Error> {
    let reason = v.reason.map(gate::Reason::as_str).unwrap_or_default();
    w.write_record(
        record
            .iter()
            .chain([reason, crate::export::free_text(&v.detail).as_ref()]),
    )
}
