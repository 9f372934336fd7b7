//! `results.csv`: the conclusions, one row per line of the report's results table, in the
//! same order: each figure against its pass line and the verdict (`met`, `not_met`,
//! `not_judged`), for scripts and GRC tools.

use std::io::Write;

use super::{io, writer};
use crate::checks::Evidence;

/// The columns of `results.csv`.
pub(crate) const RESULTS_HEADER: [&str; 6] =
    ["area", "subject", "measure", "value", "target", "verdict"];

/// `results.csv`.
pub(crate) fn results(e: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = writer(out);
    w.write_record(RESULTS_HEADER).map_err(io)?;
    for r in &e.results {
        w.write_record([
            r.area.name(),
            &r.subject,
            r.measure,
            &r.value,
            &r.target,
            r.verdict.name(),
        ])
        .map_err(io)?;
    }
    w.flush()
}
