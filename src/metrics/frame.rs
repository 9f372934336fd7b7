//! The incident frame: the only place that knows the polars column names.
//!
//! One row per incident in the period, with its severity, month, measured times, targets
//! (seconds after creation) and time open at the as-of instant.

use polars::prelude::*;

/// Severity code: the index of the policy severity, or the number of severities for
/// `unclassified`. Codes, not names, so grouping compares integers.
pub(crate) const SEVERITY: &str = "severity";
/// Local month code: the index of the month in the period.
pub(crate) const MONTH: &str = "month";
/// Seconds to first acknowledgement.
pub(crate) const TTA: &str = "tta_s";
/// Seconds to resolution.
pub(crate) const TTR: &str = "ttr_s";
/// Acknowledgement target, seconds after creation; null without a target.
pub(crate) const ACK_TARGET: &str = "ack_target_s";
/// Resolution target, seconds after creation; null without a target.
pub(crate) const RESOLVE_TARGET: &str = "resolve_target_s";
/// Seconds from creation to the as-of instant.
pub(crate) const OPEN: &str = "open_s";
/// `MET`, `BREACH`, `PENDING`, `EXCLUDED` (acknowledgement only), or null without a target.
pub(crate) const ACK_STATUS: &str = "ack_status";
/// Same for the resolution target.
pub(crate) const RESOLVE_STATUS: &str = "resolve_status";

/// Status code: within the target.
pub(crate) const MET: u32 = 0;
/// Status code: late, or not done by the deadline.
pub(crate) const BREACH: u32 = 1;
/// Status code: open, deadline not yet passed.
pub(crate) const PENDING: u32 = 2;
/// Status code: resolved without an acknowledgement, left out of the acknowledgement figure
/// (`[acknowledgement] resolved_without_ack = "exclude"`).
pub(crate) const EXCLUDED: u32 = 3;

/// The columns of the incident frame, filled row by row during classification.
#[derive(Debug, Default)]
pub(crate) struct Columns {
    pub severity: Vec<u32>,
    pub month: Vec<u32>,
    pub tta: Vec<Option<f64>>,
    pub ttr: Vec<Option<f64>>,
    pub ack_target: Vec<Option<f64>>,
    pub resolve_target: Vec<Option<f64>>,
    pub open: Vec<f64>,
}

impl Columns {
    /// The frame.
    pub(crate) fn into_frame(self) -> PolarsResult<DataFrame> {
        let height = self.severity.len();
        DataFrame::new(
            height,
            vec![
                Column::new(SEVERITY.into(), self.severity),
                Column::new(MONTH.into(), self.month),
                optional(TTA, &self.tta),
                optional(TTR, &self.ttr),
                optional(ACK_TARGET, &self.ack_target),
                optional(RESOLVE_TARGET, &self.resolve_target),
                Column::new(OPEN.into(), self.open),
            ],
        )
    }
}

/// A column of optional numbers, handed to polars as values plus a validity mask made in
/// two plain passes (`Column::new` builds it option by option, several times slower).
fn optional(name: &str, values: &[Option<f64>]) -> Column {
    let validity: polars_arrow::bitmap::Bitmap = values.iter().map(Option::is_some).collect();
    let numbers: Vec<f64> = values.iter().map(|v| v.unwrap_or_default()).collect();
    Float64Chunked::from_vec_validity(name.into(), numbers, Some(validity)).into_column()
}

/// `MET` / `BREACH` / `PENDING` / null for one measured time against a target.
///
/// Met iff the measured time is at most the target (inclusive). Not measured: pending while
/// the deadline lies after the as-of instant, else a breach. `done` (when given) marks an
/// incident that is over without the measured event (resolved, never acknowledged): it
/// gets `done_status` whatever the deadline.
fn status(measured: Expr, target: &str, done: Option<(Expr, u32)>) -> Expr {
    let target = col(target);
    let code = |c: u32| lit(c).cast(DataType::UInt32);
    let chain = when(target.clone().is_null())
        .then(lit(NULL).cast(DataType::UInt32))
        .when(
            measured
                .clone()
                .is_not_null()
                .and(measured.clone().lt_eq(target.clone())),
        )
        .then(code(MET))
        .when(measured.is_not_null())
        .then(code(BREACH));
    let chain = match done {
        Some((done, status)) => chain.when(done).then(code(status)),
        None => chain,
    };
    chain
        .when(col(OPEN).lt(target))
        .then(code(PENDING))
        .otherwise(code(BREACH))
}

/// Adds `ack_status` and `resolve_status`. Only an acknowledgement meets the
/// acknowledgement target: an incident resolved without one is a breach, or `EXCLUDED`
/// when `exclude_unacknowledged` (the policy's `resolved_without_ack = "exclude"`).
pub(crate) fn with_status(lf: LazyFrame, exclude_unacknowledged: bool) -> LazyFrame {
    let unacknowledged = col(TTA).is_null().and(col(TTR).is_not_null());
    let done_status = if exclude_unacknowledged {
        EXCLUDED
    } else {
        BREACH
    };
    lf.with_columns([
        status(col(TTA), ACK_TARGET, Some((unacknowledged, done_status))).alias(ACK_STATUS),
        status(col(TTR), RESOLVE_TARGET, None).alias(RESOLVE_STATUS),
    ])
}
