//! The incident frame: the only place that knows the polars column names.
//!
//! One row per incident in the period, with its severity, month, measured times, targets
//! (seconds after creation) and time open at the as-of instant.

use polars::prelude::*;

/// Severity name (`P1`, or `unclassified`).
pub const SEVERITY: &str = "severity";
/// Local month `YYYY-MM`.
pub const MONTH: &str = "month";
/// Seconds to first acknowledgement.
pub const TTA: &str = "tta_s";
/// Seconds to resolution.
pub const TTR: &str = "ttr_s";
/// Acknowledgement target, seconds after creation; null without a target.
pub const ACK_TARGET: &str = "ack_target_s";
/// Resolution target, seconds after creation; null without a target.
pub const RESOLVE_TARGET: &str = "resolve_target_s";
/// Seconds from creation to the as-of instant.
pub const OPEN: &str = "open_s";
/// `met`, `breach`, `pending`, or null without a target.
pub const ACK_STATUS: &str = "ack_status";
/// Same for the resolution target.
pub const RESOLVE_STATUS: &str = "resolve_status";

/// Status values.
pub const MET: &str = "met";
/// Status values.
pub const BREACH: &str = "breach";
/// Status values.
pub const PENDING: &str = "pending";

/// The columns of the incident frame, filled row by row during classification. Severity
/// and month borrow the policy's names and the period's months (no string per row).
#[derive(Debug, Default)]
pub struct Columns<'a> {
    pub severity: Vec<&'a str>,
    pub month: Vec<&'a str>,
    pub tta: Vec<Option<f64>>,
    pub ttr: Vec<Option<f64>>,
    pub ack_target: Vec<Option<f64>>,
    pub resolve_target: Vec<Option<f64>>,
    pub open: Vec<f64>,
}

impl Columns<'_> {
    /// The frame, as a lazy plan.
    pub fn into_lazy(self) -> PolarsResult<LazyFrame> {
        let height = self.severity.len();
        let df = DataFrame::new(
            height,
            vec![
                Column::new(SEVERITY.into(), self.severity),
                Column::new(MONTH.into(), self.month),
                Column::new(TTA.into(), self.tta),
                Column::new(TTR.into(), self.ttr),
                Column::new(ACK_TARGET.into(), self.ack_target),
                Column::new(RESOLVE_TARGET.into(), self.resolve_target),
                Column::new(OPEN.into(), self.open),
            ],
        )?;
        Ok(df.lazy())
    }
}

/// `met` / `breach` / `pending` / null for one measured time against a target.
///
/// Met iff the measured time is at most the target (inclusive). Not measured: pending while
/// the deadline lies after the as-of instant, else a breach.
fn status(measured: Expr, target: &str) -> Expr {
    let target = col(target);
    when(target.clone().is_null())
        .then(lit(NULL).cast(DataType::String))
        .when(
            measured
                .clone()
                .is_not_null()
                .and(measured.clone().lt_eq(target.clone())),
        )
        .then(lit(MET))
        .when(measured.is_not_null())
        .then(lit(BREACH))
        .when(col(OPEN).lt(target))
        .then(lit(PENDING))
        .otherwise(lit(BREACH))
}

/// Adds `ack_status` and `resolve_status`. The response measured against the
/// acknowledgement target is tta, or ttr when the incident was resolved unacknowledged.
pub fn with_status(lf: LazyFrame) -> LazyFrame {
    let response = when(col(TTA).is_not_null())
        .then(col(TTA))
        .otherwise(col(TTR));
    lf.with_columns([
        status(response, ACK_TARGET).alias(ACK_STATUS),
        status(col(TTR), RESOLVE_TARGET).alias(RESOLVE_STATUS),
    ])
}
