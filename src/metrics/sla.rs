//! SLA statistics per group: counts, within-SLA counts, mean and percentiles of tta and
//! ttr. A pure `LazyFrame → LazyFrame` plan (counts, means, each group's values) plus the
//! extraction of its result, where the percentiles are selected from the values.

use polars::prelude::*;

use super::frame::{ACK_STATUS, BREACH, EXCLUDED, MET, PENDING, RESOLVE_STATUS, TTA, TTR};

/// The statistics of one group of incidents.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub(crate) struct SlaStats {
    pub incidents: u64,
    pub acknowledged: u64,
    /// Resolved with no acknowledgement at all.
    pub resolved_unacknowledged: u64,
    pub ack_met: u64,
    pub ack_breach: u64,
    pub ack_pending: u64,
    /// Resolved unacknowledged and left out of the acknowledgement figure.
    pub ack_excluded: u64,
    pub mtta_s: Option<f64>,
    pub tta_p50_s: Option<f64>,
    pub tta_p90_s: Option<f64>,
    pub tta_p95_s: Option<f64>,
    pub resolved: u64,
    pub resolve_met: u64,
    pub resolve_breach: u64,
    pub resolve_pending: u64,
    pub mttr_s: Option<f64>,
    pub ttr_p50_s: Option<f64>,
    pub ttr_p90_s: Option<f64>,
    pub ttr_p95_s: Option<f64>,
}

const COUNTS: [&str; 11] = [
    "incidents",
    "acknowledged",
    "ack_met",
    "ack_breach",
    "ack_pending",
    "resolved_unacknowledged",
    "ack_excluded",
    "resolved",
    "resolve_met",
    "resolve_breach",
    "resolve_pending",
];
const MEANS: [&str; 2] = ["mtta_s", "mttr_s"];

fn count_of(status: &str, value: u32) -> Expr {
    col(status)
        .eq(lit(value).cast(DataType::UInt32))
        .sum()
        .cast(DataType::UInt64)
}

/// The name of the list column holding a group's values of `column`.
fn values_of(column: &str) -> String {
    format!("{column}_values")
}

/// A group's measured values (a list per group; without groups the one list is made
/// explicitly), from which `extract` reads the percentiles.
fn values(column: &str, grouped: bool) -> Expr {
    let values = col(column).drop_nulls();
    let list = if grouped {
        values
    } else {
        values.implode(true)
    };
    list.alias(values_of(column))
}

/// The percentiles reported, in the order of the `_p50_s`, `_p90_s`, `_p95_s` columns.
const PERCENTILES: [f64; 3] = [0.5, 0.9, 0.95];

/// `PERCENTILES` of `values` by linear interpolation between closest ranks (numpy's
/// default): rank (n − 1)·q, `lower + frac · (upper − lower)`, the arithmetic of polars'
/// own `QuantileMethod::Linear`; `None` for no values.
///
/// The values are reordered. Each rank is found by selection, as polars finds a single
/// quantile, highest first and each within the part below the one before, so the three
/// cost a few passes over the values rather than a sort.
fn linear_percentiles(values: &mut [f64]) -> [Option<f64>; 3] {
    let n = values.len();
    let mut out = [None; 3];
    if n == 0 {
        return out;
    }
    // `values[..bound]` are the `bound` smallest values; `last` is the previous
    // percentile's lower rank with the values at that rank and the next.
    let mut bound = n;
    let mut last: Option<(usize, f64, f64)> = None;
    for (slot, q) in PERCENTILES.iter().enumerate().rev() {
        let rank = (n - 1) as f64 * q;
        let lo = rank as usize;
        let (lower, next) = match last {
            Some((at, lower, next)) if at == lo => (lower, next),
            _ => {
                // The value at rank `bound`, the least of those not in `values[..bound]`.
                let at_bound = values.get(bound).copied();
                let (_, lower, above) = values[..bound].select_nth_unstable_by(lo, f64::total_cmp);
                let lower = *lower;
                let next = above
                    .iter()
                    .copied()
                    .min_by(f64::total_cmp)
                    .or(at_bound)
                    .unwrap_or(lower);
                (lower, next)
            }
        };
        let upper = if rank > lo as f64 { next } else { lower };
        out[slot] = Some(if lower == upper {
            lower
        } else {
            (rank - lo as f64) * (upper - lower) + lower
        });
        bound = lo;
        last = Some((lo, lower, next));
    }
    out
}

/// The aggregation expressions: `COUNTS`, the means, and each group's values of tta and ttr.
fn aggregations(grouped: bool) -> Vec<Expr> {
    vec![
        len().cast(DataType::UInt64).alias("incidents"),
        col(TTA)
            .count()
            .cast(DataType::UInt64)
            .alias("acknowledged"),
        count_of(ACK_STATUS, MET).alias("ack_met"),
        count_of(ACK_STATUS, BREACH).alias("ack_breach"),
        count_of(ACK_STATUS, PENDING).alias("ack_pending"),
        col(TTA)
            .is_null()
            .and(col(TTR).is_not_null())
            .sum()
            .cast(DataType::UInt64)
            .alias("resolved_unacknowledged"),
        count_of(ACK_STATUS, EXCLUDED).alias("ack_excluded"),
        col(TTR).count().cast(DataType::UInt64).alias("resolved"),
        count_of(RESOLVE_STATUS, MET).alias("resolve_met"),
        count_of(RESOLVE_STATUS, BREACH).alias("resolve_breach"),
        count_of(RESOLVE_STATUS, PENDING).alias("resolve_pending"),
        col(TTA).mean().cast(DataType::Float64).alias("mtta_s"),
        values(TTA, grouped),
        col(TTR).mean().cast(DataType::Float64).alias("mttr_s"),
        values(TTR, grouped),
    ]
}

/// The percentiles of each row's list of `column` values, the groups side by side.
fn percentiles_of(df: &DataFrame, column: &str) -> PolarsResult<Vec<[Option<f64>; 3]>> {
    use rayon::prelude::*;
    let lists = df.column(&values_of(column))?.list()?;
    let mut groups: Vec<Vec<f64>> = lists
        .amortized_iter()
        .map(|list| {
            list.map_or_else(
                || Ok(Vec::new()),
                |s| {
                    let values = s.as_ref().f64()?;
                    Ok(match values.cont_slice() {
                        Ok(slice) => slice.to_vec(),
                        Err(_) => values.iter().flatten().collect(),
                    })
                },
            )
        })
        .collect::<PolarsResult<_>>()?;
    Ok(groups
        .par_iter_mut()
        .map(|values| linear_percentiles(values))
        .collect())
}

/// Statistics per group of `keys` (code columns), groups in order of first appearance;
/// with no keys, one row over everything.
pub(crate) fn aggregate(lf: LazyFrame, keys: &[&str]) -> LazyFrame {
    if keys.is_empty() {
        lf.select(aggregations(false))
    } else {
        let by: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
        lf.group_by_stable(by).agg(aggregations(true))
    }
}

/// Reads the collected result of `aggregate`, with the percentiles of each group's values:
/// (key values, statistics) per row.
pub(crate) fn extract(df: &DataFrame, keys: &[&str]) -> PolarsResult<Vec<(Vec<u32>, SlaStats)>> {
    let key_cols = keys
        .iter()
        .map(|k| df.column(k).and_then(|c| c.u32().cloned()))
        .collect::<PolarsResult<Vec<_>>>()?;
    let counts = COUNTS
        .iter()
        .map(|c| df.column(c).and_then(|c| c.u64().cloned()))
        .collect::<PolarsResult<Vec<_>>>()?;
    let means = MEANS
        .iter()
        .map(|c| df.column(c).and_then(|c| c.f64().cloned()))
        .collect::<PolarsResult<Vec<_>>>()?;
    let (tta, ttr) = rayon::join(|| percentiles_of(df, TTA), || percentiles_of(df, TTR));
    let (tta, ttr) = (tta?, ttr?);
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let key = key_cols
            .iter()
            .map(|c| c.get(i).unwrap_or_default())
            .collect();
        let n = |k: usize| counts[k].get(i).unwrap_or(0);
        let mean = |k: usize| means[k].get(i).filter(|v| v.is_finite());
        let [tta_p50_s, tta_p90_s, tta_p95_s] = tta[i].map(|v| v.filter(|v| v.is_finite()));
        let [ttr_p50_s, ttr_p90_s, ttr_p95_s] = ttr[i].map(|v| v.filter(|v| v.is_finite()));
        out.push((
            key,
            SlaStats {
                incidents: n(0),
                acknowledged: n(1),
                ack_met: n(2),
                ack_breach: n(3),
                ack_pending: n(4),
                resolved_unacknowledged: n(5),
                ack_excluded: n(6),
                resolved: n(7),
                resolve_met: n(8),
                resolve_breach: n(9),
                resolve_pending: n(10),
                mtta_s: mean(0),
                tta_p50_s,
                tta_p90_s,
                tta_p95_s,
                mttr_s: mean(1),
                ttr_p50_s,
                ttr_p90_s,
                ttr_p95_s,
            },
        ));
    }
    Ok(out)
}

/// Counts of tta per bucket for one severity (its code): bucket `i < n` holds `(i·w, (i+1)·w]` (0 in
/// the first), bucket `n` everything above `n·w`.
pub(crate) fn tta_histogram(lf: LazyFrame, severity: u32, width: f64, n: i64) -> LazyFrame {
    // (tta − ε) / w truncated toward zero: a value on a bucket's upper edge (the SLA itself)
    // stays in that bucket.
    let raw = ((col(TTA) - lit(1e-6)) / lit(width)).cast(DataType::Int64);
    let bucket = when(raw.clone().gt(lit(n))).then(lit(n)).otherwise(raw);
    lf.filter(
        col(super::frame::SEVERITY)
            .eq(lit(severity).cast(DataType::UInt32))
            .and(col(TTA).is_not_null()),
    )
    .select([bucket.alias("bucket")])
    .group_by([col("bucket")])
    .agg([len().cast(DataType::UInt64).alias("count")])
    .sort(["bucket"], SortMultipleOptions::default())
}

/// Reads `tta_histogram`'s result into `n + 1` counts.
pub(crate) fn histogram_counts(df: &DataFrame, n: i64) -> PolarsResult<Vec<u64>> {
    let mut counts = vec![0u64; n as usize + 1];
    let buckets = df.column("bucket")?.i64()?;
    let values = df.column("count")?.u64()?;
    for i in 0..df.height() {
        if let (Some(b), Some(c)) = (buckets.get(i), values.get(i))
            && let Some(slot) = counts.get_mut(b.clamp(0, n) as usize)
        {
            *slot += c;
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::super::frame::{Columns, with_status};
    use super::*;

    /// Severity codes of the test frames.
    const P1: u32 = 0;
    const UNCLASSIFIED: u32 = 1;

    /// severity, tta, ttr, ack target, resolve target, seconds open at as-of
    type Row = (u32, Option<f64>, Option<f64>, Option<f64>, Option<f64>, f64);

    fn frame(rows: &[Row]) -> LazyFrame {
        frame_with(rows, false)
    }

    fn frame_with(rows: &[Row], exclude_unacknowledged: bool) -> LazyFrame {
        let mut c = Columns::default();
        for (sev, tta, ttr, ack, res, open) in rows {
            c.severity.push(*sev);
            c.month.push(0);
            c.tta.push(*tta);
            c.ttr.push(*ttr);
            c.ack_target.push(*ack);
            c.resolve_target.push(*res);
            c.open.push(*open);
        }
        with_status(c.into_frame().unwrap().lazy(), exclude_unacknowledged)
    }

    #[test]
    fn histogram_buckets_keep_the_target_on_its_left() {
        // width 75 s, 4 buckets + overflow: 0 → b0, 75 → b0, 76 → b1, 300 → b3, 301 and
        // 900 → overflow (b4).
        let rows: Vec<Row> = [0.0, 75.0, 76.0, 300.0, 301.0, 900.0]
            .iter()
            .map(|t| (P1, Some(*t), None, Some(300.0), None, 1e6))
            .collect();
        let df = tta_histogram(frame(&rows), P1, 75.0, 4).collect().unwrap();
        assert_eq!(histogram_counts(&df, 4).unwrap(), [2, 1, 0, 1, 2]);
    }

    /// The percentiles are polars' own `QuantileMethod::Linear`, to the
    /// bit, per group and overall, with nulls, ties, one value and none.
    #[test]
    fn percentiles_equal_polars_linear_quantiles() {
        // A fixed pseudo-random sequence: times with ties, nulls every seventh row, and
        // severity 2 with a single measured value, severity 3 with none.
        let mut x: u64 = 7;
        let rows: Vec<Row> = (0..2_000)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let t = ((x >> 33) % 5_000) as f64 / 4.0;
                let severity = match i {
                    0 => 2,
                    1 => 3,
                    _ => (i % 2) as u32,
                };
                let tta = (i % 7 != 0 && severity != 3).then_some(t);
                let tta = if severity == 2 { Some(42.5) } else { tta };
                (severity, tta, Some(t * 3.0 + 1.0), None, None, 1e6)
            })
            .collect();
        let lf = frame(&rows);
        for keys in [&[][..], &[super::super::frame::SEVERITY][..]] {
            let ours = extract(&aggregate(lf.clone(), keys).collect().unwrap(), keys).unwrap();
            let q = |column: &str, p: f64| {
                col(column)
                    .quantile(lit(p), QuantileMethod::Linear)
                    .cast(DataType::Float64)
                    .alias(format!("{column}{p}"))
            };
            let exprs = vec![
                q(TTA, 0.5),
                q(TTA, 0.9),
                q(TTA, 0.95),
                q(TTR, 0.5),
                q(TTR, 0.9),
                q(TTR, 0.95),
            ];
            let theirs = if keys.is_empty() {
                lf.clone().select(exprs)
            } else {
                lf.clone().group_by_stable([col(keys[0])]).agg(exprs)
            }
            .collect()
            .unwrap();
            assert_eq!(ours.len(), theirs.height());
            if keys.is_empty() {
                assert!(ours[0].1.tta_p90_s.is_some() && ours[0].1.ttr_p95_s.is_some());
            } else {
                let by = |code: u32| &ours.iter().find(|(k, _)| k[0] == code).unwrap().1;
                assert_eq!(by(2).tta_p95_s, Some(42.5), "one value");
                assert_eq!(by(3).tta_p50_s, None, "no value");
            }
            for (row, (_, s)) in ours.iter().enumerate() {
                let get = |name: &str| {
                    let c = theirs.column(name).unwrap().f64().unwrap().get(row);
                    c.filter(|v| v.is_finite())
                };
                let mine = [
                    s.tta_p50_s,
                    s.tta_p90_s,
                    s.tta_p95_s,
                    s.ttr_p50_s,
                    s.ttr_p90_s,
                    s.ttr_p95_s,
                ];
                let polars = [
                    get("tta_s0.5"),
                    get("tta_s0.9"),
                    get("tta_s0.95"),
                    get("ttr_s0.5"),
                    get("ttr_s0.9"),
                    get("ttr_s0.95"),
                ];
                assert_eq!(
                    mine.map(|v| v.map(f64::to_bits)),
                    polars.map(|v| v.map(f64::to_bits)),
                    "keys {keys:?}, row {row}"
                );
            }
        }
    }

    /// Selection gives what reading a sorted copy gives, for every size up to 64, with
    /// ties and values in any order.
    #[test]
    fn selected_percentiles_equal_sorted_ones() {
        let by_sorting = |values: &[f64]| {
            let mut sorted = values.to_vec();
            sorted.sort_by(f64::total_cmp);
            PERCENTILES.map(|q| {
                let rank = (sorted.len() - 1) as f64 * q;
                let lo = rank as usize;
                let (lower, upper) = (sorted[lo], sorted[rank.ceil() as usize]);
                if lower == upper {
                    lower
                } else {
                    (rank - lo as f64) * (upper - lower) + lower
                }
            })
        };
        let mut x: u64 = 11;
        for n in 1..=64 {
            for spread in [3, 1_000] {
                let values: Vec<f64> = (0..n)
                    .map(|_| {
                        x = x
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        ((x >> 33) % spread) as f64 * 1.5
                    })
                    .collect();
                let mut scratch = values.clone();
                let got = linear_percentiles(&mut scratch);
                assert_eq!(got, by_sorting(&values).map(Some), "n {n}, {values:?}");
            }
        }
        assert_eq!(linear_percentiles(&mut []), [None; 3]);
        // 0..=10: p50 rank 5 → 5; p90 rank 9 → 9; p95 rank 9.5 → 9.5.
        let mut ten: Vec<f64> = (0..=10).rev().map(f64::from).collect();
        assert_eq!(
            linear_percentiles(&mut ten),
            [Some(5.0), Some(9.0), Some(9.5)]
        );
    }

    #[test]
    fn percentiles_are_linear() {
        // Worked by hand: sorted [60,60,60,60,90,120,180], p90 rank 0.9*6 = 5.4
        // → 120 + 0.4*(180-120) = 144; p50 = 60; p95 rank 5.7 → 120 + 0.7*60 = 162.
        let rows: Vec<_> = [60.0, 120.0, 60.0, 180.0, 60.0, 90.0, 60.0]
            .iter()
            .map(|t| (P1, Some(*t), Some(1000.0), Some(300.0), Some(14400.0), 1e6))
            .collect();
        let df = aggregate(frame(&rows), &[]).collect().unwrap();
        let (_, s) = &extract(&df, &[]).unwrap()[0];
        assert_eq!(s.tta_p50_s, Some(60.0));
        assert!((s.tta_p90_s.unwrap() - 144.0).abs() < 1e-9);
        assert!((s.tta_p95_s.unwrap() - 162.0).abs() < 1e-9);
        assert!((s.mtta_s.unwrap() - 90.0).abs() < 1e-9);
        assert_eq!((s.ack_met, s.ack_breach), (7, 0));
    }

    #[test]
    fn statuses_boundary_no_ack_and_pending() {
        let rows = [
            // exactly at the target: met (inclusive)
            (
                P1,
                Some(300.0),
                Some(600.0),
                Some(300.0),
                Some(14400.0),
                1e6,
            ),
            // one second late: breach
            (
                P1,
                Some(301.0),
                Some(600.0),
                Some(300.0),
                Some(14400.0),
                1e6,
            ),
            // never acknowledged, resolved in 200 s (auto-resolved): only an acknowledgement
            // meets the acknowledgement target, so a breach; resolution met
            (P1, None, Some(200.0), Some(300.0), Some(14400.0), 1e6),
            // open, 100 s old at as-of: both pending
            (P1, None, None, Some(300.0), Some(14400.0), 100.0),
            // acknowledged late, open and 1000 s old: ack breach, resolve pending
            (P1, Some(400.0), None, Some(300.0), Some(14400.0), 1000.0),
            // open past both deadlines: breaches
            (P1, None, None, Some(300.0), Some(14400.0), 20000.0),
            // no targets
            (UNCLASSIFIED, Some(10.0), Some(20.0), None, None, 1e6),
        ];
        let lf = frame(&rows);
        let df = aggregate(lf, &[super::super::frame::SEVERITY])
            .collect()
            .unwrap();
        let got = extract(&df, &[super::super::frame::SEVERITY]).unwrap();
        let p1 = &got[0].1;
        assert_eq!(got[0].0, [P1]);
        assert_eq!(p1.incidents, 6);
        assert_eq!(p1.acknowledged, 3);
        assert_eq!(p1.resolved_unacknowledged, 1);
        // met: the 300 s one; breach: 301 s, the auto-resolved one, 400 s, the overdue one;
        // pending: the 100 s old one.
        assert_eq!(
            (p1.ack_met, p1.ack_breach, p1.ack_pending, p1.ack_excluded),
            (1, 4, 1, 0)
        );
        assert_eq!(p1.resolved, 3);
        assert_eq!(
            (p1.resolve_met, p1.resolve_breach, p1.resolve_pending),
            (3, 1, 2)
        );
        let u = &got[1].1;
        assert_eq!((u.ack_met, u.ack_breach, u.ack_pending), (0, 0, 0));
        assert_eq!(u.resolved_unacknowledged, 0);

        // `resolved_without_ack = "exclude"`: the auto-resolved one leaves the judged
        // acknowledgements (1 met of 1 + 3 = 4 judged) and is counted as excluded.
        let df = aggregate(frame_with(&rows, true), &[]).collect().unwrap();
        let (_, all) = &extract(&df, &[]).unwrap()[0];
        assert_eq!(
            (
                all.ack_met,
                all.ack_breach,
                all.ack_pending,
                all.ack_excluded
            ),
            (1, 3, 1, 1)
        );
        assert_eq!(all.resolved_unacknowledged, 1);
    }
}
