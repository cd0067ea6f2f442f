//! `touchgate audit verify` and `touchgate audit export`: walking the chains.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{GENESIS, SourceTable, content_of, link_hash};
use crate::store::{ChainHead, LinkRow, Store, StoreError};

/// Links read per round trip.
const PAGE: i64 = 1000;

/// The first thing that does not match, named so an operator can find the row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub chain: String,
    /// The link, when the failure is at one.
    pub n: Option<i64>,
    /// The row (`decision 1234`, `dnc 01J…`), when one is named.
    pub row: Option<String>,
    pub why: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "chain {}", self.chain)?;
        if let Some(n) = self.n {
            write!(f, ", link {n}")?;
        }
        if let Some(row) = &self.row {
            write!(f, " ({row})")?;
        }
        write!(f, ": {}", self.why)
    }
}

/// What a walk found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// The heads walked (every chain, up to the failure).
    pub heads: Vec<ChainHead>,
    pub links: i64,
    /// Rows written but not sealed yet, per table (the sealer runs every second).
    pub unsealed: Vec<(String, i64)>,
    pub failure: Option<Failure>,
}

/// The heads an export ended with: kept outside the database, they prove later that the chains
/// still extend them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    pub heads: Vec<ChainHead>,
    /// SHA-256 over `workspace \t n \t hash \n` of every head, by workspace.
    pub root: String,
    pub exported_at: String,
}

impl Anchor {
    pub fn new(heads: Vec<ChainHead>, exported_at: String) -> Self {
        let root = root_of(&heads);
        Anchor {
            heads,
            root,
            exported_at,
        }
    }

    /// The anchor an export file ends with.
    pub fn from_export(reader: impl BufRead) -> std::io::Result<Option<Anchor>> {
        let mut last = None;
        for line in reader.lines() {
            let line = line?;
            if !line.trim().is_empty() {
                last = Some(line);
            }
        }
        Ok(last
            .and_then(|l| serde_json::from_str::<ExportLine>(&l).ok())
            .and_then(|l| match l {
                ExportLine::Anchor(a) => Some(a),
                ExportLine::Link(_) => None,
            }))
    }
}

fn root_of(heads: &[ChainHead]) -> String {
    let mut sorted: Vec<&ChainHead> = heads.iter().collect();
    sorted.sort_by(|a, b| a.workspace.cmp(&b.workspace));
    let mut h = Sha256::new();
    for head in sorted {
        h.update(format!("{}\t{}\t{}\n", head.workspace, head.n, head.hash).as_bytes());
    }
    hex::encode(h.finalize())
}

/// One line of an export.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ExportLine {
    Link(ExportedLink),
    Anchor(Anchor),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedLink {
    pub chain: String,
    pub n: i64,
    pub source: String,
    pub source_key: String,
    pub sealed_at: i64,
    pub prev: String,
    pub hash: String,
    /// The exact text hashed: `hash = SHA-256(prev ‖ "\n" ‖ content)`.
    pub content: String,
}

fn fail(chain: &str, n: Option<i64>, row: Option<String>, why: impl Into<String>) -> Failure {
    Failure {
        chain: chain.to_owned(),
        n,
        row,
        why: why.into(),
    }
}

fn row_name(l: &LinkRow) -> Option<String> {
    Some(format!("{} {}", l.source, l.source_key))
}

/// Walks every chain against the rows it covers; then checks that every row marked sealed is
/// linked, that every erased value was erased by a recorded erasure, and (with an anchor) that
/// the chains still extend the anchored heads. Stops at the first failure.
pub async fn verify(store: &Store, anchor: Option<&Anchor>) -> Result<Report, StoreError> {
    let mut report = Report {
        unsealed: store
            .unsealed_counts()
            .await?
            .into_iter()
            .map(|(t, n)| (t.to_owned(), n))
            .collect(),
        ..Report::default()
    };
    let key = store.privacy();
    let heads = store.chain_heads().await?;
    // The walk starts at the heads: a chain with links and no head would not be walked at all.
    for chain in store.chains_with_links().await? {
        if !heads.iter().any(|h| h.workspace == chain) {
            report.failure = Some(fail(
                &chain,
                None,
                None,
                "the chain has links but no head (its head row was deleted)",
            ));
            return Ok(report);
        }
    }
    for mut head in heads {
        let chain = head.workspace.clone();
        let chain = chain.as_str();
        let (mut n, mut prev) = (0_i64, GENESIS.to_owned());
        loop {
            loop {
                let links = store.chain_links(chain, n, PAGE).await?;
                if links.is_empty() {
                    break;
                }
                let rows = rows_of(store, &links).await?;
                for l in &links {
                    if l.n != n + 1 {
                        report.failure = Some(fail(
                            chain,
                            Some(n + 1),
                            None,
                            format!("link {} is missing (the next link is {})", n + 1, l.n),
                        ));
                        return Ok(report);
                    }
                    if l.prev != prev {
                        report.failure = Some(fail(
                            chain,
                            Some(l.n),
                            row_name(l),
                            "the link does not follow the one before it (its prev is not that link's hash)",
                        ));
                        return Ok(report);
                    }
                    let Some(table) = SourceTable::by_source(&l.source) else {
                        report.failure = Some(fail(
                            chain,
                            Some(l.n),
                            row_name(l),
                            "the link names an unknown table",
                        ));
                        return Ok(report);
                    };
                    let Some(cells) = rows.get(&(l.source.clone(), l.source_key.clone())) else {
                        report.failure = Some(fail(
                            chain,
                            Some(l.n),
                            row_name(l),
                            "the row it covers is gone (deleted)",
                        ));
                        return Ok(report);
                    };
                    if link_hash(&l.prev, &content_of(table, cells, key)) != l.hash {
                        report.failure = Some(fail(
                            chain,
                            Some(l.n),
                            row_name(l),
                            "the row no longer matches its link (edited after it was sealed)",
                        ));
                        return Ok(report);
                    }
                    n = l.n;
                    prev = l.hash.clone();
                    report.links += 1;
                }
            }
            if n == head.n && prev == head.hash {
                break;
            }
            // The daemon keeps sealing while the walk runs: links past the head read at the
            // start are new ones, not a forgery, when the head has moved on with them. Walk on
            // while the head moves; stop at the first look where it did not.
            let now = store.chain_head(chain).await?;
            match now {
                Some(h) if h.n == n && h.hash == prev => {
                    head = h;
                    break;
                }
                Some(h) if h.n > n && h.n != head.n => {
                    head = h;
                }
                _ => {
                    let recorded = now.map_or(0, |h| h.n);
                    report.failure = Some(fail(
                        chain,
                        Some(n),
                        None,
                        format!(
                            "the chain ends at link {n} but its head records link {recorded} (links removed at the end, or the head edited)"
                        ),
                    ));
                    return Ok(report);
                }
            }
        }
        report.heads.push(head);
    }
    if let Some((source, key)) = store.sealed_without_link(1).await?.into_iter().next() {
        report.failure = Some(fail(
            "*",
            None,
            Some(format!("{source} {key}")),
            "the row is marked sealed but no link covers it (inserted without sealing)",
        ));
        return Ok(report);
    }
    let erased = erased_by_records(&store.erasure_records().await?);
    for (source, key) in store.rows_with_erased_values().await? {
        if !erased.contains(&(source.to_owned(), key.clone())) {
            report.failure = Some(fail(
                "*",
                None,
                Some(format!("{source} {key}")),
                "the row holds an erased value that no recorded erasure lists",
            ));
            return Ok(report);
        }
    }
    for (id, by) in store.dnc_removals_unrecorded().await? {
        // Migration 20261125000004 closed duplicate open entries before audit rows existed.
        let migrated = by.as_deref() == Some("touchgate migration 20261125000004");
        if !migrated && !erased.contains(&("dnc".to_owned(), id.clone())) {
            report.failure = Some(fail(
                "*",
                None,
                Some(format!("dnc {id}")),
                "the entry was closed with no removal recorded in the audit log",
            ));
            return Ok(report);
        }
    }
    if let Some(a) = anchor {
        for h in &a.heads {
            let ok = if h.n == 0 {
                h.hash == GENESIS
            } else {
                store
                    .chain_link(&h.workspace, h.n)
                    .await?
                    .is_some_and(|l| l.hash == h.hash)
            };
            if !ok {
                report.failure = Some(fail(
                    &h.workspace,
                    Some(h.n),
                    None,
                    format!(
                        "the chain no longer extends the head anchored at {} ({})",
                        a.exported_at, h.hash
                    ),
                ));
                return Ok(report);
            }
        }
    }
    Ok(report)
}

/// (source, key) of every row an erasure record lists.
fn erased_by_records(details: &[String]) -> HashSet<(String, String)> {
    let mut out = HashSet::new();
    for d in details {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(d) else {
            continue;
        };
        for (field, source) in [("decisions", "decision"), ("dnc", "dnc")] {
            for k in v
                .get(field)
                .and_then(|x| x.as_array())
                .into_iter()
                .flatten()
            {
                let key = match k {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                out.insert((source.to_owned(), key));
            }
        }
    }
    out
}

async fn rows_of(
    store: &Store,
    links: &[LinkRow],
) -> Result<HashMap<(String, String), Vec<super::content::Cell>>, StoreError> {
    let mut out = HashMap::new();
    for t in &super::SOURCES {
        let keys: Vec<&str> = links
            .iter()
            .filter(|l| l.source == t.source)
            .map(|l| l.source_key.as_str())
            .collect();
        if keys.is_empty() {
            continue;
        }
        for (k, cells) in store.source_cells(t, &keys).await? {
            out.insert((t.source.to_owned(), k), cells);
        }
    }
    Ok(out)
}

/// Writes every chain, link by link with the content each hash covers, then the anchor line
/// (heads and root). Answers the anchor.
pub async fn export(
    store: &Store,
    exported_at: String,
    out: &mut impl Write,
) -> Result<Anchor, ExportError> {
    let key = store.privacy();
    let heads = store.chain_heads().await?;
    for head in &heads {
        let mut n = 0;
        // Up to the head read above: links the daemon seals meanwhile belong to a later export
        // (the anchor line names these heads).
        while n < head.n {
            let mut links = store
                .chain_links(&head.workspace, n, PAGE.min(head.n - n))
                .await?;
            links.retain(|l| l.n <= head.n);
            if links.is_empty() {
                break;
            }
            let rows = rows_of(store, &links).await?;
            for l in links {
                let content = match (
                    SourceTable::by_source(&l.source),
                    rows.get(&(l.source.clone(), l.source_key.clone())),
                ) {
                    (Some(t), Some(cells)) => content_of(t, cells, key),
                    _ => String::new(),
                };
                n = l.n;
                let line = ExportLine::Link(ExportedLink {
                    chain: l.chain,
                    n: l.n,
                    source: l.source,
                    source_key: l.source_key,
                    sealed_at: l.sealed_at,
                    prev: l.prev,
                    hash: l.hash,
                    content,
                });
                serde_json::to_writer(&mut *out, &line)?;
                out.write_all(b"\n")?;
            }
        }
    }
    let anchor = Anchor::new(heads, exported_at);
    serde_json::to_writer(&mut *out, &ExportLine::Anchor(anchor.clone()))?;
    out.write_all(b"\n")?;
    Ok(anchor)
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the export")]
    Io(#[from] std::io::Error),
    #[error("cannot write the export")]
    Json(#[from] serde_json::Error),
}

/// An auditor's check of an export file alone (no database, no key): every link's hash is the
/// hash of its prev and content, links follow each other, and the anchor line matches the last
/// links and its root.
pub fn verify_export(reader: impl BufRead) -> std::io::Result<Report> {
    let mut report = Report::default();
    let mut tips: HashMap<String, (i64, String)> = HashMap::new();
    let mut anchor = None;
    for (i, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        if anchor.is_some() {
            report.failure = Some(fail(
                "*",
                None,
                None,
                format!("line {}: text after the anchor line", i + 1),
            ));
            return Ok(report);
        }
        match serde_json::from_str::<ExportLine>(&line) {
            Ok(ExportLine::Link(l)) => {
                let (n, prev) = tips
                    .get(&l.chain)
                    .cloned()
                    .unwrap_or((0, GENESIS.to_owned()));
                let why = if l.n != n + 1 {
                    Some(format!("expected link {} here", n + 1))
                } else if l.prev != prev {
                    Some("the link does not follow the one before it".to_owned())
                } else if link_hash(&l.prev, &l.content) != l.hash {
                    Some("the content does not match the hash".to_owned())
                } else {
                    None
                };
                if let Some(why) = why {
                    report.failure = Some(fail(
                        &l.chain,
                        Some(l.n),
                        Some(format!("{} {}", l.source, l.source_key)),
                        format!("line {}: {why}", i + 1),
                    ));
                    return Ok(report);
                }
                report.links += 1;
                tips.insert(l.chain, (l.n, l.hash));
            }
            Ok(ExportLine::Anchor(a)) => anchor = Some(a),
            Err(e) => {
                report.failure = Some(fail(
                    "*",
                    None,
                    None,
                    format!("line {}: not an export line ({e})", i + 1),
                ));
                return Ok(report);
            }
        }
    }
    let Some(a) = anchor else {
        report.failure = Some(fail(
            "*",
            None,
            None,
            "the export has no anchor line (cut short?)",
        ));
        return Ok(report);
    };
    for h in &a.heads {
        let (n, hash) = tips
            .get(&h.workspace)
            .cloned()
            .unwrap_or((0, GENESIS.to_owned()));
        if n != h.n || hash != h.hash {
            report.failure = Some(fail(
                &h.workspace,
                Some(h.n),
                None,
                format!(
                    "the anchor's head is link {} but the export's chain ends at link {n}",
                    h.n
                ),
            ));
            return Ok(report);
        }
    }
    // Every chain of the file is one the anchor names (a head at link 0 — a chain with no link
    // yet — has no lines, and matched the genesis above).
    if let Some(chain) = tips
        .keys()
        .find(|c| !a.heads.iter().any(|h| &h.workspace == *c))
    {
        report.failure = Some(fail(
            chain,
            None,
            None,
            "the export has links of a chain its anchor does not name",
        ));
        return Ok(report);
    }
    if root_of(&a.heads) != a.root {
        report.failure = Some(fail(
            "*",
            None,
            None,
            "the anchor's root does not match its heads",
        ));
        return Ok(report);
    }
    report.heads = a.heads;
    Ok(report)
}
