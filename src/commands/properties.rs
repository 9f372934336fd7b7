//! Property tests (proptest) of the pipeline `build` runs, from bytes to CSVs: random
//! valid exports (with some broken rows) round-trip through ingest, counts reconcile,
//! percentages stay in 0..=100, percentiles are monotone, and the order of the rows changes
//! no byte of sla_summary.csv or monthly_trends.csv.

use std::path::Path;

use crate::checks::{Evidence, evaluate};
use crate::commands::inputs::{InputBytes, ingest_all};
use crate::model::time::Period;
use crate::policy::Policy;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Row {
    number: u32,
    created_s: i64,
    priority: Option<&'static str>,
    urgency: &'static str,
    tta: Option<u32>,
    resolve_after_ack: Option<u32>,
    /// Text that breaks the row (`n/a` seconds), or none.
    broken: bool,
}

const HEADER: &str = "id,incident_number,description,created_at,resolved_at,status,urgency,priority_name,service_name,seconds_to_first_ack,seconds_to_resolve";

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn row() -> impl Strategy<Value = Row> {
    (
        0i64..(59 * 86_400),
        prop::option::of(prop::sample::select(vec!["P1", "P2", "P3", "P4", "SEV-9"])),
        prop::sample::select(vec!["high", "low"]),
        prop::option::weighted(0.9, 0u32..200_000),
        prop::option::weighted(0.9, 0u32..400_000),
        prop::bool::weighted(0.05),
    )
        .prop_map(
            |(created_s, priority, urgency, tta, resolve_after_ack, broken)| Row {
                number: 0,
                created_s,
                priority,
                urgency,
                tta,
                resolve_after_ack,
                broken,
            },
        )
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec(row(), 1..60).prop_map(|mut v| {
        for (i, r) in v.iter_mut().enumerate() {
            r.number = i as u32 + 1;
        }
        v
    })
}

fn csv(rows: &[Row]) -> String {
    let mut out = format!("{HEADER}\n");
    for r in rows {
        let created = (start() + chrono::Duration::seconds(r.created_s))
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string();
        let ttr = r.resolve_after_ack.map(|x| x + r.tta.unwrap_or(0));
        let opt = |v: Option<u32>| v.map(|x| x.to_string()).unwrap_or_default();
        out.push_str(&format!(
            "PX{:05},{},row {},{created},,{},{},{},svc,{},{}\n",
            r.number,
            r.number,
            r.number,
            if ttr.is_some() {
                "resolved"
            } else {
                "triggered"
            },
            r.urgency,
            r.priority.unwrap_or(""),
            if r.broken {
                "n/a".to_string()
            } else {
                opt(r.tta)
            },
            opt(ttr),
        ));
    }
    out
}

/// Ingests the CSV and computes everything for January and February 2026.
fn run(text: &str) -> Evidence {
    let policy = Policy::default_policy();
    let ingested = ingest_all(
        &[InputBytes {
            name: "incidents.csv",
            label: Path::new("incidents.csv"),
            bytes: Some(text.as_bytes()),
            skipped: None,
        }],
        &policy,
        crate::ingest::Detail::Full,
    )
    .unwrap();
    let period = Period {
        from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        // The rows run to the end of February: some fall outside the period.
        to: NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
    };
    let as_of = Utc.with_ymd_and_hms(2026, 3, 15, 0, 0, 0).unwrap();
    evaluate(&policy, ingested, &[], period, as_of).unwrap()
}

/// `sla_summary.csv` and `monthly_trends.csv` of the evidence.
fn derived(e: &Evidence) -> (Vec<u8>, Vec<u8>) {
    let files = crate::derived::files(e).unwrap();
    let get = |name: &str| {
        files
            .iter()
            .find(|(path, _)| path == &format!("derived/{name}"))
            .map(|(_, bytes)| bytes.clone())
            .unwrap()
    };
    (get("sla_summary.csv"), get("monthly_trends.csv"))
}

fn number(v: &str) -> Option<f64> {
    (!v.is_empty()).then(|| v.parse().unwrap())
}

/// The p90 of `values` worked out here, independently of auditpack: sorted, rank
/// 0.9 × (n − 1), linear between the two closest ranks.
fn p90(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let rank = 0.9 * (values.len().checked_sub(1)? as f64);
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    let (lower, upper) = (values[lo], values[hi]);
    Some(if lower == upper {
        lower
    } else {
        (rank - lo as f64) * (upper - lower) + lower
    })
}

/// The expected `tta_p90_s` of each severity row (and `ALL`) for January 2026, from the
/// generated rows: the valid ones created in January, by the default policy's severities.
fn expected_tta_p90(rows: &[Row]) -> std::collections::BTreeMap<String, String> {
    let mut by: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    for r in rows
        .iter()
        .filter(|r| !r.broken && r.created_s < 31 * 86_400)
    {
        let severity = match r.priority {
            Some(p @ ("P1" | "P2" | "P3" | "P4")) => p.to_string(),
            _ => "unclassified".to_string(),
        };
        let values = by.entry(severity).or_default();
        let all = r.tta.map(f64::from);
        values.extend(all);
        by.entry("ALL".to_string()).or_default().extend(all);
    }
    by.into_iter()
        .map(|(k, v)| (k, p90(v).map(|x| format!("{x:.1}")).unwrap_or_default()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn valid_rows_round_trip_and_counts_reconcile(rows in rows()) {
        let e = run(&csv(&rows));
        let (ingested, m) = (&e.ingested, &e.metrics);
        let valid: Vec<&Row> = rows.iter().filter(|r| !r.broken).collect();
        prop_assert_eq!(ingested.incidents.len(), valid.len());
        prop_assert_eq!(ingested.rejected.len(), rows.len() - valid.len());
        for (r, i) in valid.iter().zip(&ingested.incidents) {
            prop_assert_eq!(i.number, Some(i64::from(r.number)));
            prop_assert_eq!(i.created, start() + chrono::Duration::seconds(r.created_s));
            prop_assert_eq!(i.tta_s, r.tta.map(f64::from));
            prop_assert_eq!(
                i.ttr_s,
                r.resolve_after_ack.map(|x| f64::from(x + r.tta.unwrap_or(0)))
            );
        }
        let f = &ingested.files[0];
        let c = &e.reconciliation[0];
        prop_assert_eq!(f.rows_read, rows.len() as u64);
        prop_assert_eq!(f.rows_read, c.rows_used + c.rows_rejected + c.rows_outside_period);
        prop_assert_eq!(c.rows_used as usize, m.register.len());
    }

    #[test]
    fn percentages_in_range_and_percentiles_monotone(rows in rows()) {
        let (summary, monthly) = derived(&run(&csv(&rows)));
        let expected = expected_tta_p90(&rows);
        for bytes in [summary, monthly] {
            // Every row of both files has its p90 checked against the one worked out here
            // (the period is January only, so the monthly rows are January's).
            let mut checked = 0;
            let mut rdr = csv::Reader::from_reader(bytes.as_slice());
            let headers = rdr.headers().unwrap().clone();
            for record in rdr.records() {
                let record = record.unwrap();
                // monthly_trends.csv carries a subset of the columns.
                let get = |name: &str| {
                    headers.iter().position(|h| h == name).and_then(|i| number(&record[i]))
                };
                for pct in ["ack_within_sla_pct", "resolve_within_sla_pct"] {
                    if let Some(p) = get(pct) {
                        prop_assert!((0.0..=100.0).contains(&p), "{} = {}", pct, p);
                    }
                }
                for which in ["tta", "ttr"] {
                    let p = |q: &str| get(&format!("{which}_{q}_s"));
                    if let (Some(a), Some(b), Some(c)) = (p("p50"), p("p90"), p("p95")) {
                        prop_assert!(a <= b && b <= c, "{}: {} {} {}", which, a, b, c);
                    }
                }
                let severity = &record[headers.iter().position(|h| h == "severity").unwrap()];
                let p90_cell = &record[headers.iter().position(|h| h == "tta_p90_s").unwrap()];
                let want = expected.get(severity).map_or("", String::as_str);
                prop_assert_eq!(p90_cell, want, "tta_p90_s of {}", severity);
                checked += 1;
            }
            prop_assert!(checked >= 5, "only {} rows checked", checked);
        }
    }

    #[test]
    fn shuffling_rows_changes_no_byte(rows in rows(), seed in any::<u64>()) {
        let m = run(&csv(&rows));
        let mut shuffled = rows.clone();
        // A seeded Fisher-Yates shuffle, so a failure replays.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let m2 = run(&csv(&shuffled));
        prop_assert_eq!(derived(&m), derived(&m2));
    }
}
