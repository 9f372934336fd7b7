//! Monthly trends: each month's table row and the numbers its charts plot.

use serde::Serialize;

use super::month_label;
use crate::metrics::Metrics;
use crate::model::text::fmt_pct;

/// One month: the table row cells and the numbers the charts plot.
#[derive(Debug, Serialize)]
pub(crate) struct Month {
    pub month: String,
    pub label: String,
    pub rows: Vec<MonthRow>,
}

#[derive(Debug, Serialize)]
pub(crate) struct MonthRow {
    pub severity: String,
    pub incidents: u64,
    pub ack_pct: Option<f64>,
    pub resolve_pct: Option<f64>,
    pub ack_pct_text: String,
    pub resolve_pct_text: String,
    /// The percentages as printed on the bars.
    pub ack_pct_short: String,
    pub resolve_pct_short: String,
    pub mtta_min: Option<f64>,
    pub tta_p90_min: Option<f64>,
    pub mttr_h: Option<f64>,
    pub ttr_p90_h: Option<f64>,
    pub cells: Vec<String>,
}

/// A percentage on a bar: one decimal, none when whole (`94.7`, `100`).
fn short_pct(v: Option<f64>) -> String {
    v.map(|v| {
        let t = format!("{v:.1}");
        t.strip_suffix(".0").map_or(t.clone(), str::to_string)
    })
    .unwrap_or_default()
}

fn minutes(v: Option<f64>) -> Option<f64> {
    v.map(|s| (s / 60.0 * 100.0).round() / 100.0)
}

fn hours(v: Option<f64>) -> Option<f64> {
    v.map(|s| (s / 3600.0 * 100.0).round() / 100.0)
}

/// Every month of the period with its severity rows: the table cells and the charted values.
pub(super) fn months(m: &Metrics) -> Vec<Month> {
    let mut monthly: Vec<Month> = Vec::new();
    for r in &m.monthly {
        let month = r.month.clone().unwrap_or_default();
        if monthly.last().is_none_or(|l| l.month != month) {
            monthly.push(Month {
                label: month_label(&month),
                month: month.clone(),
                rows: Vec::new(),
            });
        }
        let cells = r.cells();
        if let Some(last) = monthly.last_mut() {
            last.rows.push(MonthRow {
                severity: r.severity.clone(),
                incidents: r.stats.incidents,
                ack_pct: r.ack_within_sla_pct(),
                resolve_pct: r.resolve_within_sla_pct(),
                ack_pct_text: fmt_pct(r.ack_within_sla_pct()),
                ack_pct_short: short_pct(r.ack_within_sla_pct()),
                resolve_pct_short: short_pct(r.resolve_within_sla_pct()),
                resolve_pct_text: fmt_pct(r.resolve_within_sla_pct()),
                mtta_min: minutes(r.stats.mtta_s),
                tta_p90_min: minutes(r.stats.tta_p90_s),
                mttr_h: hours(r.stats.mttr_s),
                ttr_p90_h: hours(r.stats.ttr_p90_s),
                cells: cells.to_vec(),
            });
        }
    }

    monthly
}
