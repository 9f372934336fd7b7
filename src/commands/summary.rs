//! What `build` and `stats` print: the SLA table for a terminal, the build's summary (period,
//! SLA table, reconciliation, postmortems, exceptions, outputs) and its JSON form.

use std::path::Path;

use serde::Serialize;

use super::inputs::Loaded;
use super::staging::{BUNDLE, REPORT};
use crate::metrics::{Metrics, SlaRow};
use crate::model::text::{fmt_pct, fmt_secs, rfc3339};

/// One row of `sla_summary.csv` with the same names and rounding, as JSON numbers.
#[derive(Serialize)]
pub(crate) struct JsonRow {
    severity: String,
    incidents: u64,
    acknowledged: u64,
    resolved_unacknowledged: u64,
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
            resolved_unacknowledged: s.resolved_unacknowledged,
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
pub(crate) fn sla_table(m: &Metrics) -> String {
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

/// The summary as one JSON object: the same facts as the table, plus the outputs' hashes.
pub(crate) fn json(
    loaded: &Loaded,
    out_dir: &Path,
    signed: bool,
    derived: &[(String, Vec<u8>)],
    zip: &[u8],
    pdf: &[u8],
) -> serde_json::Value {
    use crate::ingest::sha256_hex;
    let (e, m) = (&loaded.evidence, &loaded.evidence.metrics);
    let files: Vec<serde_json::Value> = loaded
        .evidence
        .ingested
        .files
        .iter()
        .zip(&e.reconciliation)
        .map(|(f, c)| {
            serde_json::json!({
                "file": f.name,
                "format": f.document.or(f.format.map(|x| x.name())).unwrap_or("not_used"),
                "sha256": f.sha256,
                "rows_read": f.rows_read,
                "rows_used": c.rows_used,
                "rows_rejected": c.rows_rejected,
                "rows_outside_period": c.rows_outside_period,
                "rows_excluded": c.rows_excluded,
                "not_used_reason": f.not_used_reason,
            })
        })
        .collect();
    let counts: serde_json::Map<String, serde_json::Value> = e
        .exception_counts()
        .into_iter()
        .map(|(k, n)| (k.name().to_string(), n.into()))
        .collect();
    let postmortems: Vec<serde_json::Value> = loaded
        .evidence
        .postmortems
        .coverage
        .iter()
        .map(|c| {
            serde_json::json!({
                "severity": c.severity, "required": c.required, "present": c.present,
                "on_time": c.on_time, "complete": c.complete, "not_yet_due": c.not_yet_due,
            })
        })
        .collect();
    let coverage: Vec<serde_json::Value> = loaded
        .evidence
        .oncall
        .coverage
        .iter()
        .map(|c| {
            serde_json::json!({
                "schedule": c.schedule, "first_level": c.first_level, "covered_s": c.covered_s,
                "period_s": c.period_s, "gaps": c.gaps.len(), "overrides": c.overrides.len(),
            })
        })
        .collect();
    let mut outputs = vec![
        serde_json::json!({"path": out_dir.join(REPORT), "sha256": sha256_hex(pdf)}),
        serde_json::json!({"path": out_dir.join(BUNDLE), "sha256": sha256_hex(zip), "signed": signed}),
    ];
    outputs.extend(
        derived
            .iter()
            .map(|(p, b)| serde_json::json!({"path": out_dir.join(p), "sha256": sha256_hex(b)})),
    );
    serde_json::json!({
        "organization": loaded.policy.policy.organization,
        "period_from": m.period.from.to_string(),
        "period_to": m.period.to.to_string(),
        "timezone": loaded.policy.policy.timezone.name(),
        "as_of": rfc3339(m.as_of),
        "severities": m.summary.iter().map(JsonRow::from).collect::<Vec<_>>(),
        "results": e.results,
        "inputs": files,
        "rejected_rows": e.ingested.rejected.len(),
        "excluded": m.exclusions.len(),
        "exceptions": e.exceptions.len(),
        "findings": e.findings.len(),
        "exceptions_by_kind": counts,
        "postmortems": postmortems,
        "oncall_coverage": coverage,
        "admin_changes": e.audit_trail.changes.len(),
        "outputs": outputs,
    })
}

/// The population in one line: complete or not, the extraction record, PagerDuty's totals.
fn population_line(e: &crate::checks::Evidence) -> String {
    let p = &e.population;
    let complete = if p.exports_complete(&e.metrics) {
        "every listing complete".to_string()
    } else {
        "pages missing or cut (see the report's population section)".to_string()
    };
    let record = if p.extraction.is_some() {
        "extraction record read"
    } else {
        "no extraction record"
    };
    let compared = p
        .comparisons
        .iter()
        .filter(|c| matches!(c.status, "agrees" | "differs"))
        .count();
    let differ = p
        .comparisons
        .iter()
        .filter(|c| c.status == "differs")
        .count();
    let totals = match (compared, differ) {
        (0, _) => "no PagerDuty totals to compare".to_string(),
        (n, 0) => format!("PagerDuty's totals agree ({n} compared)"),
        (n, d) => format!("PagerDuty's totals DIFFER ({d} of {n})"),
    };
    let mut line = format!("population: {complete}; {record}; {totals}\n");
    // Which system holds which dates, when any record is not PagerDuty's.
    if let Some(held) = p.systems_held(e.policy.timezone) {
        line.push_str(&format!(
            "systems: {}{}\n",
            held.join("; "),
            if p.held_by_neither {
                "; a stretch of the period is held by neither (period_not_covered)"
            } else {
                ""
            }
        ));
    }
    line
}

/// The terminal summary: period, SLA table, reconciliation, exceptions, outputs.
pub(crate) fn table(loaded: &Loaded, out_dir: &Path, signed: bool, xlsx: bool) -> String {
    let e = &loaded.evidence;
    let (m, ingested, p) = (&e.metrics, &e.ingested, &loaded.policy);
    let mut s = String::new();
    s.push_str(&format!(
        "{}: incident response evidence (SOC 2 CC7.3)\nperiod {} to {} ({}), as of {}\npolicy: {}\n\n",
        p.policy.organization,
        m.period.from,
        m.period.to,
        p.policy.timezone.name(),
        rfc3339(m.as_of),
        p.path
            .as_ref()
            .map_or_else(|| "built-in default".to_string(), |p| p.display().to_string()),
    ));
    s.push_str(&sla_table(m));
    s.push_str("\ninputs (rows read = used + rejected + outside the period):\n");
    let width = ingested
        .files
        .iter()
        .filter(|f| f.document.is_none())
        .map(|f| f.name.len())
        .max()
        .unwrap_or(0);
    let mut not_used = Vec::new();
    for (f, c) in ingested.files.iter().zip(&e.reconciliation) {
        if f.document.is_some() {
            continue;
        }
        match f.format {
            Some(format) => s.push_str(&format!(
                "  {:<width$}  {:<14}  {} = {} + {} + {}{}\n",
                f.name,
                format.name(),
                f.rows_read,
                c.rows_used,
                c.rows_rejected,
                c.rows_outside_period,
                if c.rows_excluded > 0 {
                    format!("  ({} of the used excluded, not judged)", c.rows_excluded)
                } else {
                    String::new()
                }
            )),
            None => not_used.push(f),
        }
    }
    for f in not_used {
        s.push_str(&format!(
            "  {:<width$}  not used: {}\n",
            f.name,
            f.not_used_reason
                .as_deref()
                .unwrap_or("not an incidents export")
        ));
    }
    let pm = &e.postmortems;
    if pm.documents.is_empty() {
        s.push_str(
            "
postmortems: no documents in the inputs (postmortems/); the rule was not checked
",
        );
    } else {
        let unreadable = pm
            .documents
            .iter()
            .filter(|d| d.unreadable.is_some())
            .count();
        s.push_str(&format!(
            "
postmortems: {} documents ({unreadable} unreadable)
",
            pm.documents.len()
        ));
        for c in &pm.coverage {
            s.push_str(&format!(
                "  {:<6} required {}, present {}, on time {}, complete {}, not yet due {}
",
                c.severity, c.required, c.present, c.on_time, c.complete, c.not_yet_due
            ));
        }
    }
    let counts = e.exception_counts();
    let listed: Vec<String> = counts
        .iter()
        .map(|(k, n)| format!("{} {n}", k.name()))
        .collect();
    s.push_str(&format!(
        "\nexceptions: {}{}\n",
        e.exceptions.len(),
        if listed.is_empty() {
            String::new()
        } else {
            format!(" ({})", listed.join(", "))
        }
    ));
    if !e.exceptions.is_empty() {
        s.push_str(&format!(
            "findings: {} (the exceptions grouped by cause; derived/findings.csv)\n",
            e.findings.len()
        ));
    }
    s.push_str(&exclusion_line(m));
    let not_evaluable = e.population.rejected_incidents();
    if not_evaluable > 0 {
        let by: Vec<String> = e
            .population
            .rejected_by_severity
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        s.push_str(&format!(
            "{not_evaluable} incidents could not be evaluated (their only rows were rejected: {})\n",
            by.join(", ")
        ));
    }
    s.push_str(&population_line(e));
    s.push_str(&format!(
        "rejected rows: {}\nwrote {}/{REPORT}\nwrote {}/{BUNDLE} ({})\nwrote {}/derived/: {}\n",
        ingested.rejected.len(),
        out_dir.display(),
        out_dir.display(),
        if signed { "signed" } else { "UNSIGNED" },
        out_dir.display(),
        crate::derived::names()
            .chain(xlsx.then_some("incident-register.xlsx"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    s
}

/// `excluded: 3 (exclusion 1: 2, merge: 1)`, from `exclusions.csv`'s rules in order of
/// first appearance; `excluded: 0` without any.
pub(crate) fn exclusion_line(m: &crate::metrics::Metrics) -> String {
    let mut rules: Vec<(&str, usize)> = Vec::new();
    for x in &m.exclusions {
        match rules.iter_mut().find(|(r, _)| *r == x.rule) {
            Some((_, n)) => *n += 1,
            None => rules.push((&x.rule, 1)),
        }
    }
    rules.sort();
    let listed: Vec<String> = rules.iter().map(|(r, n)| format!("{r}: {n}")).collect();
    if listed.is_empty() {
        "excluded: 0\n".to_string()
    } else {
        format!(
            "excluded: {} ({}; derived/exclusions.csv)\n",
            m.exclusions.len(),
            listed.join(", ")
        )
    }
}
