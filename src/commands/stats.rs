//! `auditpack stats`: the SLA table for the inputs, as a table, CSV or JSON. Writes no files.

use std::io::Write;

use serde::Serialize;

use super::load;
use crate::cli::{StatsArgs, StatsFormat};
use crate::derived::{self, fmt_pct, fmt_secs};
use crate::error::{Error, ExitStatus};
use crate::metrics::{Metrics, SlaRow, rfc3339};

/// Prints the SLA summary.
pub fn run(args: &StatsArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let loaded = {
        let progress = crate::progress::Progress::new(false);
        load(&args.input, &progress, crate::metrics::Scope::Summary)?
    };
    let m = &loaded.metrics;
    let io = |e| Error::io("write", "standard output", e);
    match args.format {
        StatsFormat::Table => out.write_all(sla_table(m).as_bytes()).map_err(io)?,
        StatsFormat::Csv => derived::write_sla_summary(m, &mut *out).map_err(io)?,
        StatsFormat::Json => {
            let doc = JsonStats {
                organization: &loaded.policy.policy.organization,
                period_from: m.period.from.to_string(),
                period_to: m.period.to.to_string(),
                timezone: loaded.policy.policy.timezone.name(),
                as_of: rfc3339(m.as_of),
                severities: m.summary.iter().map(JsonRow::from).collect(),
            };
            let text = serde_json::to_string_pretty(&doc)
                .map_err(|e| Error::Usage(format!("cannot encode JSON: {e}")))?;
            writeln!(out, "{text}").map_err(io)?;
        }
    }
    // The process ends next: its records are left for it to release at once rather than
    // freed one by one (a million records: three strings each).
    std::mem::forget(loaded);
    Ok(ExitStatus::Success)
}

#[derive(Serialize)]
struct JsonStats<'a> {
    organization: &'a str,
    period_from: String,
    period_to: String,
    timezone: &'a str,
    as_of: String,
    severities: Vec<JsonRow>,
}

/// One row of `sla_summary.csv` with the same names and rounding, as JSON numbers.
#[derive(Serialize)]
pub struct JsonRow {
    severity: String,
    incidents: u64,
    acknowledged: u64,
    ack_within_sla: Option<u64>,
    ack_within_sla_pct: Option<f64>,
    mtta_s: Option<f64>,
    tta_p50_s: Option<f64>,
    tta_p90_s: Option<f64>,
    tta_p95_s: Option<f64>,
    resolved: u64,
    resolve_within_sla: Option<u64>,
    resolve_within_sla_pct: Option<f64>,
    mttr_s: Option<f64>,
    ttr_p50_s: Option<f64>,
    ttr_p90_s: Option<f64>,
    ttr_p95_s: Option<f64>,
}

fn round(v: Option<f64>, decimals: i32) -> Option<f64> {
    let f = 10f64.powi(decimals);
    v.map(|v| (v * f).round() / f)
}

impl From<&SlaRow> for JsonRow {
    fn from(r: &SlaRow) -> Self {
        let s = &r.stats;
        Self {
            severity: r.severity.clone(),
            incidents: s.incidents,
            acknowledged: s.acknowledged,
            ack_within_sla: r.ack_within_sla(),
            ack_within_sla_pct: round(r.ack_within_sla_pct(), 2),
            mtta_s: round(s.mtta_s, 1),
            tta_p50_s: round(s.tta_p50_s, 1),
            tta_p90_s: round(s.tta_p90_s, 1),
            tta_p95_s: round(s.tta_p95_s, 1),
            resolved: s.resolved,
            resolve_within_sla: r.resolve_within_sla(),
            resolve_within_sla_pct: round(r.resolve_within_sla_pct(), 2),
            mttr_s: round(s.mttr_s, 1),
            ttr_p50_s: round(s.ttr_p50_s, 1),
            ttr_p90_s: round(s.ttr_p90_s, 1),
            ttr_p95_s: round(s.ttr_p95_s, 1),
        }
    }
}

/// `42/44 (95.45 %)`, `-` without a target, `0/0` when nothing was judged.
fn within(count: Option<u64>, judged: u64, pct: Option<f64>) -> String {
    match (count, pct) {
        (None, _) => "-".to_string(),
        (Some(c), Some(p)) => format!("{c}/{judged} ({} %)", fmt_pct(Some(p))),
        (Some(c), None) => format!("{c}/{judged}"),
    }
}

fn secs(v: Option<f64>) -> String {
    match v {
        None => "-".to_string(),
        Some(_) => fmt_secs(v),
    }
}

/// The SLA table for a terminal: aligned columns, one row per summary row.
pub fn sla_table(m: &Metrics) -> String {
    let header = [
        "severity",
        "incidents",
        "ack within SLA",
        "MTTA s",
        "TTA p90 s",
        "resolve within SLA",
        "MTTR s",
        "TTR p90 s",
    ];
    let rows: Vec<[String; 8]> = m
        .summary
        .iter()
        .map(|r| {
            [
                r.severity.clone(),
                r.stats.incidents.to_string(),
                within(r.ack_within_sla(), r.ack_judged(), r.ack_within_sla_pct()),
                secs(r.stats.mtta_s),
                secs(r.stats.tta_p90_s),
                within(
                    r.resolve_within_sla(),
                    r.resolve_judged(),
                    r.resolve_within_sla_pct(),
                ),
                secs(r.stats.mttr_s),
                secs(r.stats.ttr_p90_s),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            if i == 0 {
                s.push_str(&format!("{c:<w$}"));
            } else {
                s.push_str(&format!("  {c:>w$}"));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(&header.map(String::from));
    for r in &rows {
        out.push_str(&line(r));
    }
    out
}
