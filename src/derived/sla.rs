//! `sla_summary.csv` and `monthly_trends.csv`: the SLA figures per severity, and per month.

use std::io::Write;

use super::{io, writer};
use crate::checks::Evidence;
use crate::metrics::SLA_COLUMNS;

/// The statistics columns of `monthly_trends.csv`, after `month`: a subset of the summary's.
const MONTHLY_COLUMNS: [&str; 13] = [
    "severity",
    "incidents",
    "acknowledged",
    "resolved_unacknowledged",
    "ack_within_sla",
    "ack_within_sla_pct",
    "mtta_s",
    "tta_p90_s",
    "resolved",
    "resolve_within_sla",
    "resolve_within_sla_pct",
    "mttr_s",
    "ttr_p90_s",
];

/// `sla_summary.csv`.
pub(crate) fn sla_summary(e: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = writer(out);
    w.write_record(SLA_COLUMNS).map_err(io)?;
    for r in &e.metrics.summary {
        w.write_record(r.cells()).map_err(io)?;
    }
    w.flush()
}

/// `monthly_trends.csv`.
pub(crate) fn monthly_trends(e: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = writer(out);
    let picks: Vec<usize> = MONTHLY_COLUMNS
        .iter()
        .map(|c| {
            SLA_COLUMNS
                .iter()
                .position(|h| h == c)
                .expect("every monthly column is a summary column")
        })
        .collect();
    w.write_record(std::iter::once("month").chain(MONTHLY_COLUMNS))
        .map_err(io)?;
    for r in &e.metrics.monthly {
        let cells = r.cells();
        let month = r.month.clone().unwrap_or_default();
        w.write_record(std::iter::once(&month).chain(picks.iter().map(|&i| &cells[i])))
            .map_err(io)?;
    }
    w.flush()
}
