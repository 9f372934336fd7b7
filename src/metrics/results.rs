//! The conclusions: each figure judged against the policy's pass line (met, not met, or not
//! judged), one row per line of the report's results table. The SLA rows are made here; each
//! check adds its own rows (`checks`), and `derived/results.csv`, `build --format json` and
//! the report all print these rows, never a verdict of their own.

use serde::Serialize;

use super::{Metrics, SlaRow};
use crate::model::text::fmt_pct;
use crate::policy::{Policy, Target};

/// What a result is about, as `results.csv` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Area {
    Population,
    Sla,
    Security,
    Postmortems,
    Tickets,
    Oncall,
    Escalation,
    AuditTrail,
    Statuspage,
}

impl Area {
    /// The name in `results.csv`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Population => "population",
            Self::Sla => "sla",
            Self::Security => "security",
            Self::Postmortems => "postmortems",
            Self::Tickets => "tickets",
            Self::Oncall => "oncall",
            Self::Escalation => "escalation",
            Self::AuditTrail => "audit_trail",
            Self::Statuspage => "statuspage",
        }
    }
}

/// The conclusion on one figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Verdict {
    Met,
    NotMet,
    /// Nothing to judge (no incident, no document, no export).
    NotJudged,
}

impl Verdict {
    /// The name in `results.csv` and the JSON.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::NotMet => "not_met",
            Self::NotJudged => "not_judged",
        }
    }

    /// In words, as the report prints it.
    pub(crate) fn words(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::NotMet => "not met",
            Self::NotJudged => "not judged",
        }
    }

    /// Met when `ok`.
    pub(crate) fn from_bool(ok: bool) -> Self {
        if ok { Self::Met } else { Self::NotMet }
    }
}

/// One line of the results: a measured value against its target, and the verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ResultRow {
    pub area: Area,
    /// A severity, `ALL`, or a policy or schedule name.
    pub subject: String,
    /// snake_case (`ack_within_sla_pct`, `coverage_pct`).
    pub measure: &'static str,
    /// The number as the CSVs print it (`95.24`); empty when not judged.
    pub value: String,
    /// The pass line, the same way (`95.00`); empty when there is none.
    pub target: String,
    pub verdict: Verdict,
    /// The report's sentence (`P1 acknowledged within 5m: 3 of 5 (60.00 %)`).
    #[serde(skip)]
    pub text: String,
    /// The report's target column (`95 %`, `24/7, no gap`).
    #[serde(skip)]
    pub target_text: String,
}

/// `95`, `95.5`: a pass line as the policy would write it.
pub(crate) fn trim_number(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The percentage `part` of `whole` as the CSVs print it; empty for an empty whole.
pub(crate) fn pct_text(part: usize, whole: usize) -> String {
    fmt_pct((whole > 0).then(|| 100.0 * part as f64 / whole as f64))
}

/// One SLA row's verdict against the acknowledgement (`is_ack`) or resolution target.
fn sla_result(row: &SlaRow, is_ack: bool, policy: &Policy, target: Target) -> ResultRow {
    let (met, judged, pct, goal, verb, measure) = if is_ack {
        (
            row.stats.ack_met,
            row.ack_judged(),
            row.ack_within_sla_pct(),
            policy.ack_within_sla_pct,
            "acknowledged",
            "ack_within_sla_pct",
        )
    } else {
        (
            row.stats.resolve_met,
            row.resolve_judged(),
            row.resolve_within_sla_pct(),
            policy.resolve_within_sla_pct,
            "resolved",
            "resolve_within_sla_pct",
        )
    };
    let within = match target {
        Target::Within(_) => format!("within {target}"),
        Target::NextBusinessDay => "by the next business day".to_string(),
        Target::BusinessHours(_) => format!("within {target}"),
    };
    let text = match pct {
        Some(p) => format!(
            "{} {verb} {within}: {met} of {judged} ({} %)",
            row.severity,
            fmt_pct(Some(p))
        ),
        None => format!("{} {verb} {within}: no incidents judged", row.severity),
    };
    ResultRow {
        area: Area::Sla,
        subject: row.severity.clone(),
        measure,
        value: fmt_pct(pct),
        target: fmt_pct(Some(goal)),
        verdict: match pct {
            None => Verdict::NotJudged,
            // A hair of tolerance: 95.0 computed as 94.999999… is 95 %.
            Some(p) => Verdict::from_bool(p + 1e-9 >= goal),
        },
        text,
        target_text: format!("{} %", trim_number(goal)),
    }
}

/// The SLA results: for each severity of the policy with a target, acknowledgement then
/// resolution, in policy order.
pub(crate) fn sla(metrics: &Metrics, policy: &Policy) -> Vec<ResultRow> {
    let mut out = Vec::new();
    for s in &policy.severities {
        let Some(row) = metrics.summary.iter().find(|r| r.severity == s.name) else {
            continue;
        };
        if let Some(t) = s.ack_within {
            out.push(sla_result(row, true, policy, t));
        }
        if let Some(t) = s.resolve_within {
            out.push(sla_result(row, false, policy, t));
        }
    }
    out
}
