//! Touches as CSV, one writer for the API export (`GET /v1/touches` with `Accept: text/csv`)
//! and the CLI (`touchgate touches list --csv`), on the `csv` crate (quoting of commas, quotes
//! and line breaks is its business).
//!
//! Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula (CSV injection),
//! so free-text cells — text a client chose, such as a campaign name — that start with one of
//! those (or with a tab or carriage return) are written with a leading `'`. Ids, phone numbers,
//! codes and times are written as they are: `+14155550123` is a number, not a formula, to
//! every tool that reads this file as data.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::store::TouchRow;

/// The header row.
pub const TOUCH_HEADER: [&str; 11] = [
    "id",
    "lead",
    "channel",
    "account",
    "status",
    "reason",
    "retry_after",
    "decided_at",
    "campaign",
    "step",
    "override",
];

/// A free-text cell as it may be written: formula triggers defused.
pub fn free_text(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

/// An override as one cell: `waived hourly_limit min_gap: <reason> (by <added_by>, token <id>)`.
fn override_cell(o: Option<&serde_json::Value>) -> String {
    let Some(o) = o else {
        return String::new();
    };
    let waived: Vec<&str> = o["waived"]
        .as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_str).collect())
        .unwrap_or_default();
    let mut cell = format!(
        "waived {}: {}",
        waived.join(" "),
        o["reason"].as_str().unwrap_or_default()
    );
    if let Some(by) = o["added_by"].as_str() {
        cell.push_str(&format!(" (by {by}"));
        cell.push_str(&format!(
            ", token {})",
            o["token"].as_str().unwrap_or_default()
        ));
    } else {
        cell.push_str(&format!(
            " (token {})",
            o["token"].as_str().unwrap_or_default()
        ));
    }
    cell
}

/// One touch's row, in [`TOUCH_HEADER`]'s order.
pub fn touch_record(r: &TouchRow) -> [String; 11] {
    [
        r.id.clone(),
        r.lead_id.clone(),
        r.channel.as_str().to_owned(),
        r.account_id.clone(),
        r.status.as_str().to_owned(),
        r.reason
            .as_ref()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        time(r.retry_after),
        time(r.decided_at),
        free_text(r.campaign_id.as_deref().unwrap_or_default()).into_owned(),
        r.step.map(|s| s.to_string()).unwrap_or_default(),
        free_text(&override_cell(r.override_.as_ref())).into_owned(),
    ]
}

/// Writes `rows` (after the header, when `header`) to `out`.
pub fn write_touches<W: std::io::Write>(
    out: W,
    header: bool,
    rows: &[TouchRow],
) -> Result<W, csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    if header {
        w.write_record(TOUCH_HEADER)?;
    }
    for r in rows {
        w.write_record(touch_record(r))?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// [`write_touches`] into memory (a page of the API's stream).
pub fn touches_csv(header: bool, rows: &[TouchRow]) -> Vec<u8> {
    // Writing to a Vec cannot fail.
    write_touches(Vec::new(), header, rows).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_triggers_are_defused_in_free_text_only() {
        assert_eq!(free_text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(free_text("+1 555"), "'+1 555");
        assert_eq!(free_text("-2+3"), "'-2+3");
        assert_eq!(free_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(free_text("\tx"), "'\tx");
        assert_eq!(free_text("spring, \"promo\""), "spring, \"promo\"");
    }
}
