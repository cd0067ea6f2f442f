//! Blocked touches over the last days as SVG drawn on the server: one stacked bar per day
//! (a colour per reason) and one bar per channel. Plain SVG attributes only (the policy
//! allows no inline style), text escaped by maud.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use maud::{Markup, html};

use crate::store::BlockedCount;

/// Colours of the reasons, most frequent first; the rest share the last.
const PALETTE: [&str; 8] = [
    "#d9480f", "#1c7ed6", "#2f9e44", "#ae3ec9", "#f59f00", "#0c8599", "#e64980", "#868e96",
];

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 12.0;

/// Reasons by total, most first, and the colour each gets.
fn legend(counts: &[BlockedCount]) -> Vec<(String, i64, &'static str)> {
    let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
    for c in counts {
        *totals.entry(c.reason.as_str()).or_default() += c.count;
    }
    let mut v: Vec<(String, i64)> = totals.into_iter().map(|(r, n)| (r.to_owned(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.into_iter()
        .enumerate()
        .map(|(i, (r, n))| {
            let colour = PALETTE
                .get(i.min(PALETTE.len() - 1))
                .copied()
                .unwrap_or("#868e96");
            (r, n, colour)
        })
        .collect()
}

/// A round number at or above `max` for the axis.
fn axis_max(max: i64) -> i64 {
    let mut step = 1;
    while step * 10 < max {
        step *= 10;
    }
    let top = ((max + step - 1) / step).max(1) * step;
    top.max(1)
}

/// One reason's part of a day's bar: y, height, colour, reason, count.
type Segment<'a> = (f64, f64, &'a str, &'a str, i64);

/// Stacked bars per day, by reason.
pub fn by_day(days: &[NaiveDate], counts: &[BlockedCount]) -> Markup {
    let legend = legend(counts);
    let colour = |reason: &str| {
        legend
            .iter()
            .find(|(r, _, _)| r == reason)
            .map_or("#868e96", |(_, _, c)| *c)
    };
    let day_number = |d: &NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp().div_euclid(86_400))
    };
    let per_day: Vec<(NaiveDate, Vec<(&str, i64)>)> = days
        .iter()
        .map(|d| {
            let n = day_number(d);
            let stack: Vec<(&str, i64)> = legend
                .iter()
                .filter_map(|(r, _, _)| {
                    let sum: i64 = counts
                        .iter()
                        .filter(|c| c.day == n && &c.reason == r)
                        .map(|c| c.count)
                        .sum();
                    (sum > 0).then_some((r.as_str(), sum))
                })
                .collect();
            (*d, stack)
        })
        .collect();
    let max = per_day
        .iter()
        .map(|(_, s)| s.iter().map(|(_, n)| n).sum::<i64>())
        .max()
        .unwrap_or(0);
    let top = axis_max(max);
    let plot_h = HEIGHT - BOTTOM - TOP;
    let slot = (WIDTH - LEFT) / days.len().max(1) as f64;
    let bar_w = slot * 0.6;
    let y_of = |v: i64| TOP + plot_h - plot_h * (v as f64) / (top as f64);
    // Each day's segments, bottom up.
    let bars: Vec<(f64, NaiveDate, Vec<Segment<'_>>)> = per_day
        .iter()
        .enumerate()
        .map(|(i, (day, stack))| {
            let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
            let mut base = 0i64;
            let segments = stack
                .iter()
                .map(|(reason, n)| {
                    let seg = (
                        y_of(base + n),
                        y_of(base) - y_of(base + n),
                        colour(reason),
                        *reason,
                        *n,
                    );
                    base += n;
                    seg
                })
                .collect();
            (x, *day, segments)
        })
        .collect();
    html! {
        svg.chart viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label="Blocked touches per day, by reason" {
            @for tick in [0, top / 2, top] {
                line.grid x1=(LEFT) x2=(WIDTH) y1=(y_of(tick)) y2=(y_of(tick)) {}
                text.axis x=(LEFT - 6.0) y=(y_of(tick) + 4.0) text-anchor="end" { (tick) }
            }
            @for (x, day, segments) in &bars {
                @for (y, h, fill, reason, n) in segments {
                    rect x=(x) y=(y) width=(bar_w) height=(h) fill=(fill) {
                        title { (day.format("%a %d %b")) ": " (n) " " (reason) }
                    }
                }
                text.axis x=(x + bar_w / 2.0) y=(HEIGHT - 8.0) text-anchor="middle" { (day.format("%a %d")) }
            }
        }
        @if legend.is_empty() {
            p.empty { "No touch was blocked in these days." }
        } @else {
            ul.legend {
                @for (reason, n, colour) in &legend {
                    li {
                        svg.swatch viewBox="0 0 10 10" { rect width="10" height="10" fill=(colour) {} }
                        a href={ "/console/touches?status=blocked&reason=" (reason) } { code { (reason) } }
                        " " span.muted { (n) }
                    }
                }
            }
        }
    }
}

/// One horizontal bar per channel.
pub fn by_channel(counts: &[BlockedCount]) -> Markup {
    let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
    for c in counts {
        *totals.entry(c.channel.as_str()).or_default() += c.count;
    }
    let max = totals.values().copied().max().unwrap_or(0).max(1);
    let row_h = 26.0;
    let height = row_h * totals.len().max(1) as f64;
    let label_w = 90.0;
    let bar_room = WIDTH - label_w - 60.0;
    html! {
        @if totals.is_empty() {
            p.empty { "Nothing blocked on any channel." }
        } @else {
            svg.chart.bars viewBox={ "0 0 " (WIDTH) " " (height) } role="img" aria-label="Blocked touches by channel" {
                @for (i, (channel, n)) in totals.iter().enumerate() {
                    @let y = row_h * i as f64;
                    text.axis x="0" y=(y + 17.0) { (channel) }
                    rect x=(label_w) y=(y + 5.0) width=(bar_room * (*n as f64) / (max as f64)) height="16" fill="#1c7ed6" rx="2" {}
                    text.axis x=(label_w + 6.0 + bar_room * (*n as f64) / (max as f64)) y=(y + 17.0) { (n) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_rounds_up_and_reasons_are_ordered_by_count() {
        assert_eq!(axis_max(0), 1);
        assert_eq!(axis_max(7), 7);
        assert_eq!(axis_max(37), 40);
        assert_eq!(axis_max(100_000), 100_000);
        assert_eq!(axis_max(123_456), 200_000);
        let c = |reason: &str, count| BlockedCount {
            day: 1,
            reason: reason.to_owned(),
            channel: "sms".to_owned(),
            count,
        };
        let l = legend(&[c("quiet_hours", 2), c("dnc_listed", 5), c("quiet_hours", 4)]);
        let names: Vec<_> = l.iter().map(|(r, n, _)| (r.as_str(), *n)).collect();
        assert_eq!(names, [("quiet_hours", 6), ("dnc_listed", 5)]);
    }
}
