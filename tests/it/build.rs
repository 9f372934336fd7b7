//! `auditpack build` on fixtures whose expected values were worked out by hand.

use std::fs;

use crate::{assert_success, build, derived, fixture, read_csv, row};

/// Cells of one row, by column name.
fn cells(r: &std::collections::BTreeMap<String, String>, cols: &[&str]) -> Vec<String> {
    cols.iter().map(|c| r[*c].clone()).collect()
}

const ALL_COLS: [&str; 17] = [
    "severity",
    "incidents",
    "acknowledged",
    "resolved_unacknowledged",
    "ack_within_sla",
    "ack_within_sla_pct",
    "mtta_s",
    "tta_p50_s",
    "tta_p90_s",
    "tta_p95_s",
    "resolved",
    "resolve_within_sla",
    "resolve_within_sla_pct",
    "mttr_s",
    "ttr_p50_s",
    "ttr_p90_s",
    "ttr_p95_s",
];

#[test]
fn sla_summary_worked_by_hand() {
    let (tmp, out) = build(
        &fixture("sla"),
        &[
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--as-of",
            "2026-01-31T00:00:00Z",
        ],
    );
    assert_success(&out);
    let rows = read_csv(&derived(&tmp, "sla_summary.csv"));
    let order: Vec<&str> = rows.iter().map(|r| r["severity"].as_str()).collect();
    assert_eq!(order, ["P1", "P2", "P3", "P4", "unclassified", "ALL"]);

    // P1: tta [300, 301, -, -, 60] vs 300 s. Only an acknowledgement meets the target: #3
    // and #4 were resolved (in 200 s and 400 s) without one, so they are breaches
    // (`resolved_without_ack = "breach"`, the default) → met: #1 (boundary), #5 = 2 of 5
    // = 40 %; resolved unacknowledged: 2. mtta = 661/3 = 220.33; sorted tta [60, 300, 301]:
    // p50 300, p90 at rank 1.8 = 300.8, p95 at rank 1.9 = 300.9.
    // ttr [14400, 14401, 200, 400, 3600] vs 14400 → 4 of 5; mttr = 33001/5 = 6600.2;
    // sorted [200, 400, 3600, 14400, 14401]: p50 3600, p90 rank 3.6 = 14400.6, p95 14400.8.
    assert_eq!(
        cells(row(&rows, "severity", "P1"), &ALL_COLS),
        [
            "P1", "5", "3", "2", "2", "40.00", "220.3", "300.0", "300.8", "300.9", "5", "4",
            "80.00", "6600.2", "3600.0", "14400.6", "14400.8"
        ]
    );
    // P2: #6 tta 900 = target (met), #7 tta 100 (met, lower-case `p2`). #7 is open at as-of,
    // 1 h old: resolution pending, left out of the denominator → 1 of 1.
    // tta [100, 900]: mean 500, p50 500, p90 820, p95 860.
    assert_eq!(
        cells(row(&rows, "severity", "P2"), &ALL_COLS),
        [
            "P2", "2", "2", "0", "2", "100.00", "500.0", "500.0", "820.0", "860.0", "1", "1",
            "100.00", "86400.0", "86400.0", "86400.0", "86400.0"
        ]
    );
    // P3: no incidents: counts 0, percentages and times empty.
    assert_eq!(
        cells(row(&rows, "severity", "P3"), &ALL_COLS),
        [
            "P3", "0", "0", "0", "0", "", "", "", "", "", "0", "0", "", "", "", "", ""
        ]
    );
    // P4 next-business-day: created Fri 2026-01-02 10:00 UTC, deadline Mon 17:00 = 284400 s
    // later → #8 (284400 s) met, #9 (created 12:00, same 284400 s → Mon 19:00) breach.
    // No resolve target: resolve counts empty.
    assert_eq!(
        cells(row(&rows, "severity", "P4"), &ALL_COLS),
        [
            "P4", "2", "2", "0", "1", "50.00", "284400.0", "284400.0", "284400.0", "284400.0", "1",
            "", "", "300000.0", "300000.0", "300000.0", "300000.0"
        ]
    );
    // unclassified (P9, and no priority with the default policy): no SLA.
    assert_eq!(
        cells(row(&rows, "severity", "unclassified"), &ALL_COLS),
        [
            "unclassified",
            "2",
            "2",
            "0",
            "",
            "",
            "20.0",
            "20.0",
            "28.0",
            "29.0",
            "2",
            "",
            "",
            "30.0",
            "30.0",
            "38.0",
            "39.0"
        ]
    );
    // ALL: ack judged over P1, P2, P4 = 2+2+1 of 5+2+2 → 5/9 = 55.56 %. tta over every
    // acknowledged incident: sum 570501 / 9 = 63389.0; sorted [10, 30, 60, 100, 300, 301,
    // 900, 284400, 284400]: p50 300, p90 rank 7.2 = 284400. Resolve judged over P1, P2:
    // 5/6 = 83.33 %; ttr sum 419461 / 9 = 46606.8; sorted [20, 40, 200, 400, 3600, 14400,
    // 14401, 86400, 300000]: p50 3600, p90 = 86400 + 0.2 * 213600 = 129120, p95 = 214560.
    assert_eq!(
        cells(row(&rows, "severity", "ALL"), &ALL_COLS),
        [
            "ALL", "11", "9", "2", "5", "55.56", "63389.0", "300.0", "284400.0", "284400.0", "9",
            "5", "83.33", "46606.8", "3600.0", "129120.0", "214560.0"
        ]
    );

    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    let judged = |n: &str| {
        let r = row(&register, "incident_number", n);
        (r["ack_sla_met"].as_str(), r["resolve_sla_met"].as_str())
    };
    assert_eq!(judged("1"), ("true", "true"));
    assert_eq!(judged("2"), ("false", "false"));
    assert_eq!(judged("3"), ("false", "true"));
    assert_eq!(judged("4"), ("false", "true"));
    assert_eq!(judged("7"), ("true", "pending"));
    assert_eq!(judged("9"), ("false", ""));
    assert_eq!(judged("10"), ("", ""));
    let r1 = row(&register, "incident_number", "1");
    assert_eq!(r1["created_at"], "2026-01-05T10:00:00Z");
    assert_eq!(r1["acknowledged_at"], "2026-01-05T10:05:00Z");
    assert_eq!(r1["resolved_at"], "2026-01-05T14:00:00Z");
    assert_eq!(r1["source_line"], "2");
    assert_eq!(r1["month"], "2026-01");

    insta::assert_snapshot!(
        "sla_exceptions",
        fs::read_to_string(derived(&tmp, "exceptions.csv")).unwrap()
    );
    insta::assert_snapshot!(
        "sla_summary_csv",
        fs::read_to_string(derived(&tmp, "sla_summary.csv")).unwrap()
    );
}

#[test]
fn months_and_daylight_saving_in_the_organisation_zone() {
    let (tmp, out) = build(
        &fixture("tz_month_dst"),
        &["--from", "2026-01-01", "--to", "2026-03-31"],
    );
    assert_success(&out);
    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    let get = |n: &str, c: &str| row(&register, "incident_number", n)[c].clone();
    // 23:30 on 31 January in New York is 04:30Z on 1 February: it counts in January.
    assert_eq!(get("1", "created_at"), "2026-02-01T04:30:00Z");
    assert_eq!(get("1", "month"), "2026-01");
    // resolved_at - created_at when seconds_to_resolve is empty: 1 h.
    assert_eq!(get("1", "ttr_s"), "3600.0");
    assert_eq!(get("2", "month"), "2026-02");
    assert_eq!(get("3", "month"), "2026-02");
    assert_eq!(get("4", "month"), "2026-03");
    // 01:59 → 03:01 across the spring-forward gap is 2 minutes, not 62.
    assert_eq!(get("5", "ttr_s"), "120.0");
    let trends = read_csv(&derived(&tmp, "monthly_trends.csv"));
    let all: Vec<(String, String)> = trends
        .iter()
        .filter(|r| r["severity"] == "ALL")
        .map(|r| (r["month"].clone(), r["incidents"].clone()))
        .collect();
    assert_eq!(
        all,
        [
            ("2026-01".into(), "1".into()),
            ("2026-02".into(), "2".into()),
            ("2026-03".into(), "2".into())
        ]
    );
    // Every month carries the same severity rows: P1..P4 and ALL.
    assert_eq!(trends.len(), 3 * 5);
    let rejected = read_csv(&derived(&tmp, "rejected_rows.csv"));
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["source_line"], "7");
    assert_eq!(
        rejected[0]["reason"],
        "column `created_at`: `2026-03-08T02:30:00` does not exist in America/New_York (skipped by a daylight-saving change)"
    );
    // The November incident is outside the period: 7 read = 5 used + 1 rejected + 1 outside.
    let inputs = read_csv(&derived(&tmp, "inputs.csv"));
    assert_eq!(
        cells(
            &inputs[0],
            &[
                "rows_read",
                "rows_used",
                "rows_rejected",
                "rows_outside_period",
                "timezone_assumed"
            ]
        ),
        ["7", "5", "1", "1", "America/New_York"]
    );
}

#[test]
fn monthly_trends_by_hand() {
    // tests/fixtures/monthly: P1 (5m / 4h) and P2 (15m / 24h), UTC, January to March 2026.
    let (tmp, out) = build(
        &fixture("monthly"),
        &[
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
            "--as-of",
            "2026-04-01T00:00:00Z",
        ],
    );
    assert_success(&out);
    let text = fs::read_to_string(derived(&tmp, "monthly_trends.csv")).unwrap();
    let expected = [
        "month,severity,incidents,acknowledged,resolved_unacknowledged,ack_within_sla,ack_within_sla_pct,mtta_s,tta_p90_s,resolved,resolve_within_sla,resolve_within_sla_pct,mttr_s,ttr_p90_s",
        // January, P1: tta 60, 120, 240, 400 against 300 s: 3 of 4 = 75.00 %;
        // MTTA (60 + 120 + 240 + 400) / 4 = 205.0; p90 (linear): rank 0.9 × 3 = 2.7, so
        // 240 + 0.7 × (400 − 240) = 352.0. ttr 600, 1200, 1800, 20000 against 14400 s:
        // 3 of 4; MTTR 23600 / 4 = 5900.0; p90 1800 + 0.7 × (20000 − 1800) = 14540.0.
        "2026-01,P1,4,4,0,3,75.00,205.0,352.0,4,3,75.00,5900.0,14540.0",
        // No P2 in January: counts 0, percentages and times empty.
        "2026-01,P2,0,0,0,0,,,,0,0,,,",
        "2026-01,ALL,4,4,0,3,75.00,205.0,352.0,4,3,75.00,5900.0,14540.0",
        // February, P1: tta 30, 90: both met; MTTA 60.0; p90 30 + 0.9 × 60 = 84.0.
        // ttr 100, 300: MTTR 200.0; p90 100 + 0.9 × 200 = 280.0.
        "2026-02,P1,2,2,0,2,100.00,60.0,84.0,2,2,100.00,200.0,280.0",
        // February, P2: tta 900 = the 15 min target (inclusive): met; ttr 90000 > 86400.
        "2026-02,P2,1,1,0,1,100.00,900.0,900.0,1,0,0.00,90000.0,90000.0",
        // February, ALL: tta 30, 90, 900 each within its own target: 3 of 3; MTTA
        // 1020 / 3 = 340.0; p90 rank 0.9 × 2 = 1.8: 90 + 0.8 × (900 − 90) = 738.0. ttr 100,
        // 300, 90000: 2 of 3 = 66.67 %; MTTR 90400 / 3 = 30133.3; p90 300 + 0.8 × 89700
        // = 72060.0.
        "2026-02,ALL,3,3,0,3,100.00,340.0,738.0,3,2,66.67,30133.3,72060.0",
        // March has no incident: every month of the period has its rows.
        "2026-03,P1,0,0,0,0,,,,0,0,,,",
        "2026-03,P2,0,0,0,0,,,,0,0,,,",
        "2026-03,ALL,0,0,0,0,,,,0,0,,,",
    ];
    assert_eq!(text.lines().collect::<Vec<_>>(), expected, "{text}");
}

#[test]
fn the_autumn_fall_back_hour() {
    // tests/fixtures/fall_back: New York, clocks go back from 02:00 EDT to 01:00 EST on
    // Sunday 2026-11-01.
    let (tmp, out) = build(
        &fixture("fall_back"),
        &[
            "--from",
            "2026-10-01",
            "--to",
            "2026-11-30",
            "--as-of",
            "2026-12-01T00:00:00Z",
        ],
    );
    assert_success(&out);
    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    let get = |n: &str, c: &str| row(&register, "incident_number", n)[c].clone();
    // 01:30 without an offset happens twice: the earlier (EDT) instant, 05:30Z. Resolved at
    // 01:10 EST = 06:10Z: 40 minutes later although the wall clock went back 20 minutes.
    assert_eq!(get("1", "created_at"), "2026-11-01T05:30:00Z");
    assert_eq!(get("1", "ttr_s"), "2400.0");
    assert_eq!(get("1", "month"), "2026-11");
    // 23:30 EDT on Saturday 31 October is 03:30Z on 1 November: it counts in October.
    assert_eq!(get("2", "created_at"), "2026-11-01T03:30:00Z");
    assert_eq!(get("2", "month"), "2026-10");
    // P4, Friday 30 October 12:00 EDT (16:00Z): due Monday 2 November 17:00 EST = 22:00Z,
    // 3 d 6 h = 280800 s later. Acknowledged at 280800 s: met; one second later created
    // and acknowledged after the same 280800 s: one second late.
    assert_eq!(get("3", "ack_sla_met"), "true");
    assert_eq!(get("4", "ack_sla_met"), "false");
    // P4 created on Saturday 31 October 10:00 EDT (14:00Z): due Monday 22:00Z, 2 d 8 h =
    // 201600 s later.
    assert_eq!(get("5", "ack_sla_met"), "true");
    let exceptions = read_csv(&derived(&tmp, "exceptions.csv"));
    let breach = row(&exceptions, "kind", "ack_breach");
    assert_eq!(breach["incident_number"], "4");
    assert_eq!(
        breach["detail"],
        "acknowledged after 3d6h (280800 s); target next-business-day, due 2026-11-02T22:00:00Z; missed by 1s (1 s)"
    );
    let breaches = exceptions.iter().filter(|e| e["kind"].ends_with("_breach"));
    assert_eq!(breaches.count(), 1, "{exceptions:?}");
}

#[test]
fn one_rejected_row_per_reason() {
    let (tmp, out) = build(&fixture("rejected"), &[]);
    assert_success(&out);
    insta::assert_snapshot!(
        "rejected_rows",
        fs::read_to_string(derived(&tmp, "rejected_rows.csv")).unwrap()
    );
    let inputs = read_csv(&derived(&tmp, "inputs.csv"));
    // 14 rows: PR1 and PR14 used; 12 rejected.
    assert_eq!(
        cells(
            &inputs[0],
            &[
                "rows_read",
                "rows_used",
                "rows_rejected",
                "rows_outside_period"
            ]
        ),
        ["14", "2", "12", "0"]
    );
    let exceptions = read_csv(&derived(&tmp, "exceptions.csv"));
    let conflict = row(&exceptions, "kind", "conflicting_duplicate");
    assert_eq!(conflict["incident_number"], "1");
    assert!(
        conflict["detail"].contains("seconds_to_first_ack"),
        "{conflict:?}"
    );
}

#[test]
fn csv_quirks_bom_crlf_quotes_and_physical_lines() {
    let (tmp, out) = build(&fixture("csv_quirks"), &[]);
    assert_success(&out);
    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    let pq2 = row(&register, "id", "PQ2");
    assert_eq!(
        pq2["description"],
        "He said \"restart it\"\r\nthen left\r\nfor lunch"
    );
    assert_eq!(pq2["source_line"], "3");
    assert_eq!(
        row(&register, "id", "PQ1")["description"],
        "Plain, with a comma"
    );
    // PQ4 follows a blank line: physical line 8.
    assert_eq!(row(&register, "id", "PQ4")["source_line"], "8");
    let rejected = read_csv(&derived(&tmp, "rejected_rows.csv"));
    assert_eq!(rejected[0]["source_line"], "6");
    assert_eq!(
        rejected[0]["raw"],
        "PQ3,3,after the multi-line one,not-a-time,60,600,P2"
    );
}

#[test]
fn numbering_gaps_and_overlapping_pages() {
    let (tmp, out) = build(
        &fixture("gaps_and_duplicates"),
        &["--from", "2026-05-01", "--to", "2026-05-31"],
    );
    assert_success(&out);
    let exceptions = read_csv(&derived(&tmp, "exceptions.csv"));
    let gaps: Vec<(String, String)> = exceptions
        .iter()
        .filter(|e| e["kind"] == "incident_number_gap")
        .map(|e| (e["incident_number"].clone(), e["detail"].clone()))
        .collect();
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    assert_eq!(gaps[0].0, "3");
    assert!(
        gaps[0]
            .1
            .starts_with("incident numbers 3 to 4 (2) are missing between #2 and #5")
    );
    assert_eq!(gaps[1].0, "7");
    let rejected = read_csv(&derived(&tmp, "rejected_rows.csv"));
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["source_file"], "page-b.json");
    assert_eq!(rejected[0]["source_line"], "2");
    assert_eq!(
        rejected[0]["reason"],
        "duplicate of incident `PG5` first read at page-a.json:4"
    );
    let inputs = read_csv(&derived(&tmp, "inputs.csv"));
    let counts: Vec<Vec<String>> = inputs
        .iter()
        .map(|r| {
            cells(
                r,
                &[
                    "file",
                    "rows_read",
                    "rows_used",
                    "rows_rejected",
                    "rows_outside_period",
                ],
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ["page-a.json", "3", "3", "0", "0"],
            ["page-b.json", "4", "2", "1", "1"]
        ]
    );
}

#[test]
fn classic_export_of_exactly_20000_rows_is_flagged_as_possibly_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "id,incident_number,created_on,seconds_to_first_ack,seconds_to_resolve,urgency\n",
    );
    for n in 0..20_000 {
        text.push_str(&format!("PT{n},{n},2026-01-01 00:00:00,60,600,high\n"));
    }
    fs::write(dir.path().join("incidents.csv"), &text).unwrap();
    // A short PDF register: this test is about the CSVs.
    let (tmp, out) = build(dir.path(), &["--register-limit", "10"]);
    assert_success(&out);
    let exceptions = read_csv(&derived(&tmp, "exceptions.csv"));
    let t = row(&exceptions, "kind", "truncated_export");
    assert!(t["detail"].contains("exactly 20000 data rows"), "{t:?}");
    // One row fewer is not flagged.
    text.truncate(text.trim_end().rfind('\n').unwrap() + 1);
    fs::write(dir.path().join("incidents.csv"), &text).unwrap();
    let (tmp, _) = build(dir.path(), &["--register-limit", "10"]);
    let exceptions = read_csv(&derived(&tmp, "exceptions.csv"));
    assert!(exceptions.iter().all(|e| e["kind"] != "truncated_export"));
}

#[test]
fn sample_data_builds_the_same_bytes_twice_and_reconciles() {
    // The README's first command: sample-data signed with the demo key.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let sample = root.join("sample-data");
    let key = root.join("demo-keys/auditpack.key");
    let args = ["--key", key.to_str().unwrap()];
    let (a, out) = build(&sample, &args);
    assert_success(&out);
    let (b, _) = build(&sample, &args);
    assert!(
        fs::read(a.path().join("out/evidence-bundle.zip")).unwrap()
            == fs::read(b.path().join("out/evidence-bundle.zip")).unwrap()
    );
    let pubkey = root.join("demo-keys/auditpack.pub");
    let verified = crate::auditpack(a.path())
        .args([
            "verify",
            "out/evidence-bundle.zip",
            "--allow-demo-key",
            "--pubkey",
            pubkey.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
    for name in [
        "sla_summary.csv",
        "monthly_trends.csv",
        "incident_register.csv",
        "exceptions.csv",
        "rejected_rows.csv",
        "inputs.csv",
        "postmortems.csv",
        "oncall_coverage.csv",
        "oncall_gaps.csv",
        "oncall_load.csv",
        "oncall_overrides.csv",
        "escalation_conformance.csv",
        "admin_changes.csv",
    ] {
        assert_eq!(
            fs::read(derived(&a, name)).unwrap(),
            fs::read(derived(&b, name)).unwrap(),
            "{name} differs between two builds"
        );
    }
    let inputs = read_csv(&derived(&a, "inputs.csv"));
    let (documents, exports): (Vec<_>, Vec<_>) = inputs
        .iter()
        .partition(|f| f["format"].starts_with("postmortem-"));
    assert_eq!(
        exports
            .iter()
            .filter(|f| f["format"].starts_with("analytics-"))
            .count(),
        2
    );
    // The schedule, its overrides, the escalation policies, twelve monthly audit files,
    // the status page, PagerDuty's aggregate totals and the extraction record.
    assert_eq!(exports.len(), 2 + 3 + 12 + 1 + 2);
    assert!(documents.len() > 250, "{} documents", documents.len());
    for f in &exports {
        let n = |c: &str| f[c].parse::<u64>().unwrap();
        assert_eq!(
            n("rows_read"),
            n("rows_used") + n("rows_rejected") + n("rows_outside_period")
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("period 2025-01-01 to 2025-12-31 (America/New_York)"),
        "{stdout}"
    );
    assert!(stdout.contains("rows read = used + rejected + outside the period"));
    // The sample tells a story: a bad August for P1 and a recovery by December.
    let trends = read_csv(&derived(&a, "monthly_trends.csv"));
    let p1 = |m: &str| {
        trends
            .iter()
            .find(|r| r["month"] == m && r["severity"] == "P1")
            .map(|r| r["ack_within_sla_pct"].parse::<f64>().unwrap())
            .unwrap()
    };
    assert!(p1("2025-08") < 80.0 && p1("2025-12") > 95.0);
    // The status page: 85 customer-facing incidents, one in eight of the P1s (12) published
    // before PagerDuty detected them. The one whose component no paged incident was on is
    // matched on time alone, marked `time` for review.
    let status = read_csv(&derived(&a, "statuspage_matches.csv"));
    let first = status
        .iter()
        .filter(|r| r["detected_internally_first"] == "true")
        .count();
    let unmatched = status.iter().filter(|r| r["matched_by"] == "none").count();
    let by_time = status.iter().filter(|r| r["matched_by"] == "time").count();
    assert_eq!((status.len(), first, unmatched, by_time), (85, 73, 0, 1));
    // Findings: every exception names one; the 4-hour gap is one finding that the coverage
    // exception and the escalation levels targeting the schedule all point to; the late
    // escalations are one finding per policy level; the Terraform token's changes one.
    let findings = read_csv(&derived(&a, "findings.csv"));
    let exceptions = read_csv(&derived(&a, "exceptions.csv"));
    let ids: std::collections::BTreeSet<&str> =
        findings.iter().map(|f| f["finding_id"].as_str()).collect();
    assert_eq!(findings[0]["finding_id"], "F-001");
    assert!(
        exceptions
            .iter()
            .all(|e| ids.contains(e["finding_id"].as_str()))
    );
    // The gap is one finding of the coverage check; the escalation levels whose schedule
    // it hit refer to it (in the interval it falls in) instead of counting it again.
    let gaps: Vec<_> = findings
        .iter()
        .filter(|f| f["kind"] == "oncall_gap")
        .collect();
    assert_eq!(gaps.len(), 1);
    assert!(
        !exceptions
            .iter()
            .any(|e| e["kind"] == "escalation_nonconformity"
                && e["detail"].contains("nobody on call"))
    );
    let late: Vec<_> = findings
        .iter()
        .filter(|f| f["kind"] == "escalation_late")
        .collect();
    let late_exceptions = exceptions
        .iter()
        .filter(|e| e["kind"] == "escalation_late")
        .count();
    assert!(late.len() < late_exceptions, "{} findings", late.len());
    assert!(late.iter().all(|f| f["cause"].contains(" level ")));
    let tokens: Vec<_> = findings
        .iter()
        .filter(|f| f["kind"] == "admin_change_unattributed")
        .collect();
    assert_eq!(tokens.len(), 1);
    assert!(tokens[0]["cause"].contains("tf7q"));
    // The Tier 2 delay change of 2025-06-02 is cited in the conformance of the interval it
    // began.
    let conformance = read_csv(&derived(&a, "escalation_conformance.csv"));
    assert!(
        conformance
            .iter()
            .any(|c| c["escalation_policy"] == "Production - Tier 2"
                && c["level"] == "1"
                && c["from"] == "2025-06-02T13:12:00Z"
                && c["change"].contains("10 → 15"))
    );
    // And its postmortems: one late, one missing a section, one with an action lacking an
    // owner, one missing, one scan; every other required one fine.
    let pm = read_csv(&derived(&a, "postmortems.csv"));
    let status = |s: &str| pm.iter().filter(|r| r["status"] == s).count();
    assert_eq!(
        (
            status("late"),
            status("incomplete"),
            status("missing"),
            status("unreadable")
        ),
        (1, 2, 1, 1)
    );
    assert_eq!(status("ok") + 5, pm.len());
    assert!(pm.iter().any(|r| r["date_source"] == "pdf:CreationDate"));
    // And its on-call setup: one 4-hour gap, Tier 2 not conforming, ten days of September
    // without audit records.
    let gaps = read_csv(&derived(&a, "oncall_gaps.csv"));
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0]["start"], "2025-07-14T22:00:00-04:00");
    assert_eq!(gaps[0]["duration_s"], "14400");
    let conformance = read_csv(&derived(&a, "escalation_conformance.csv"));
    let conforms = |p: &str, level: &str| {
        conformance
            .iter()
            .find(|r| r["escalation_policy"] == p && r["level"] == level)
            .map(|r| r["conforms"].clone())
            .unwrap()
    };
    assert_eq!(conforms("Production - Tier 1", "2"), "true");
    assert_eq!(conforms("Production - Tier 2", ""), "false");
    let exceptions = read_csv(&derived(&a, "exceptions.csv"));
    assert!(exceptions.iter().any(|e| {
        e["kind"] == "audit_trail_gap"
            && e["detail"]
                .starts_with("no audit-record file spans 2025-09-01 to 2025-09-10 (10 days)")
    }));
}

#[test]
fn a_failed_build_leaves_previous_outputs_and_no_staging_folder() {
    let (tmp, out) = build(&fixture("sla"), &[]);
    assert!(out.status.success());
    let before = fs::read(derived(&tmp, "sla_summary.csv")).unwrap();
    let bad = tmp.path().join("bad");
    fs::create_dir(&bad).unwrap();
    fs::write(
        bad.join("x.csv"),
        "id,created_at,seconds_to_first_ack,seconds_to_resolve\n\"P1,2026",
    )
    .unwrap();
    let out = crate::auditpack(tmp.path())
        .args(["build", "--input", "bad", "--out", "out"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("x.csv:2:"),
        "the message names the file and line: {stderr}"
    );
    assert_eq!(fs::read(derived(&tmp, "sla_summary.csv")).unwrap(), before);
    let leftovers: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".auditpack"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn xlsx_workbook_is_deterministic_and_holds_the_register() {
    use std::io::Read;
    let args = ["--xlsx", "--as-of", "2026-01-31T00:00:00Z"];
    let (a, out) = build(&fixture("sla"), &args);
    assert_success(&out);
    let (b, _) = build(&fixture("sla"), &args);
    let book = fs::read(derived(&a, "incident-register.xlsx")).unwrap();
    assert_eq!(
        book,
        fs::read(derived(&b, "incident-register.xlsx")).unwrap()
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(book)).unwrap();
    let mut text = |name: &str| {
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let workbook = text("xl/workbook.xml");
    for sheet in [
        "Results",
        "Findings",
        "Register",
        "Security events",
        "SLA summary",
        "Monthly trends",
        "Exceptions",
        "Postmortems",
        "Admin changes",
    ] {
        assert!(
            workbook.contains(&format!("name=\"{sheet}\"")),
            "{workbook}"
        );
    }
    // Sheet 3 is the register (after Results and Findings).
    let register = text("xl/worksheets/sheet3.xml");
    assert!(register.contains("<pane ySplit=\"1\""), "frozen header row");
    assert!(register.contains("<autoFilter ref=\"A1:"), "filters");
    let strings = text("xl/sharedStrings.xml");
    assert!(strings.contains("PA00001") && strings.contains("PU00011"));
    // Headers and judgements in words, not code names.
    assert!(
        strings.contains("Acknowledgement target met") && strings.contains("Time to acknowledge")
    );
    assert!(strings.contains(">not met<") && !strings.contains(">ack_sla_met<"));
    // The bundle carries it too.
    let zip_bytes = fs::read(a.path().join("out/evidence-bundle.zip")).unwrap();
    let mut bundle = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).unwrap();
    assert!(bundle.by_name("derived/incident-register.xlsx").is_ok());
}

#[test]
fn progress_is_drawn_on_a_terminal_only() {
    let Some(script) = crate::tool("script") else {
        return;
    };
    let exe = assert_cmd::cargo::cargo_bin("auditpack");
    let input = fixture("sla");
    let run = |extra: &str| {
        let tmp = tempfile::tempdir().unwrap();
        let cmd = format!(
            "{} build --input {} --out out {extra}",
            exe.display(),
            input.display()
        );
        let out = std::process::Command::new(&script)
            .current_dir(tmp.path())
            .args(["-qec", &cmd, "/dev/null"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(run("").contains("typesetting the report"));
    assert!(!run("--quiet").contains("typesetting"));
    // Piped (as every other test runs it): no progress at all.
    let (_tmp, out) = build(&input, &[]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("typesetting"));
}

#[test]
fn results_csv_holds_every_verdict_of_the_report() {
    let (tmp, out) = build(
        &fixture("sla"),
        &[
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--as-of",
            "2026-01-31T00:00:00Z",
            "--format",
            "json",
        ],
    );
    assert_success(&out);
    let text = fs::read_to_string(derived(&tmp, "results.csv")).unwrap();
    let expected = [
        "area,subject,measure,value,target,verdict",
        // One CSV export: no paging to miss, no ceiling reached.
        "population,ALL,exports_complete,0,0,met",
        // P1 against 5m: #1 (300 s, the boundary) and #5 met; #2 (301 s) not, nor #3 and
        // #4, resolved in 200 s and 400 s with nobody acknowledging: 2 of 5 = 40.00 %.
        "sla,P1,ack_within_sla_pct,40.00,95.00,not_met",
        // Against 4h: every one but #2 (14401 s): 4 of 5 = 80.00 %.
        "sla,P1,resolve_within_sla_pct,80.00,95.00,not_met",
        // P2: #6 acknowledged at 900 s = 15m, #7 at 100 s: 2 of 2.
        "sla,P2,ack_within_sla_pct,100.00,95.00,met",
        // #6 resolved at 86400 s = 24h; #7 open for 1 h at the as-of time: pending, not
        // judged: 1 of 1.
        "sla,P2,resolve_within_sla_pct,100.00,95.00,met",
        // No P3 incident: nothing to judge.
        "sla,P3,ack_within_sla_pct,,95.00,not_judged",
        "sla,P3,resolve_within_sla_pct,,95.00,not_judged",
        // P4 by the next business day (Monday 17:00 for a Friday incident): #8 at 17:00 met,
        // #9 at 19:00 not: 1 of 2.
        "sla,P4,ack_within_sla_pct,50.00,95.00,not_met",
        // No incident names a security term of the default policy: nothing to judge.
        "security,ALL,ack_within_sla_pct,,95.00,not_judged",
        // No postmortem documents in the inputs: the rule is not judged.
        "postmortems,P1,on_time_and_complete_pct,,100.00,not_judged",
        "postmortems,P2,on_time_and_complete_pct,,100.00,not_judged",
        // The 7 P1 and P2 incidents name no ticket: 0 of 7.
        "tickets,ALL,linked_pct,0.00,100.00,not_met",
    ];
    assert_eq!(text.lines().collect::<Vec<_>>(), expected, "{text}");
    // `build --format json` carries the same rows with the same strings.
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let json: Vec<String> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            ["area", "subject", "measure", "value", "target", "verdict"]
                .map(|k| r[k].as_str().unwrap().to_string())
                .join(",")
        })
        .collect();
    assert_eq!(json, expected[1..]);
    // The report's results table has the same lines in the same order (pdftotext).
    if let Some(pdftotext) = crate::tool("pdftotext") {
        let text = std::process::Command::new(pdftotext)
            .arg("-layout")
            .arg(tmp.path().join("out/evidence-report.pdf"))
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout);
        let lines = [
            "P1 acknowledged within 5m: 2 of 5 (40.00 %)",
            "P1 resolved within 4h: 4 of 5 (80.00 %)",
            "P2 acknowledged within 15m: 2 of 2 (100.00 %)",
            "P2 resolved within 24h: 1 of 1 (100.00 %)",
            "P3 acknowledged within 1h: no incidents judged",
            "P3 resolved within 72h: no incidents judged",
            "P4 acknowledged by the next business day: 1 of 2 (50.00 %)",
            "P1 postmortems: not checked",
            "P2 postmortems: not checked",
            "Significant incidents with a linked ticket: 0 of 7",
        ];
        let mut at = 0;
        for line in lines {
            let found = text[at..].find(line).unwrap_or_else(|| {
                panic!("`{line}` not found after byte {at} of the report:\n{text}")
            });
            at += found + line.len();
        }
    }
}

#[test]
fn build_reports_as_json_for_scripts() {
    let (tmp, out) = build(&fixture("sla"), &["--format", "json"]);
    assert_success(&out);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["period_from"], "2026-01-01");
    assert_eq!(doc["severities"][0]["severity"], "P1");
    // #1 and #5 of P1: #3 and #4 were resolved without acknowledgement.
    assert_eq!(doc["severities"][0]["ack_within_sla"], 2);
    assert_eq!(doc["severities"][0]["resolved_unacknowledged"], 2);
    assert_eq!(doc["inputs"][0]["rows_read"], 11);
    // #2 (301 s), #3 and #4 (resolved unacknowledged), #9 (P4 late).
    assert_eq!(doc["exceptions_by_kind"]["ack_breach"], 4);
    // Every output is listed with the SHA-256 of what was written.
    let outputs = doc["outputs"].as_array().unwrap();
    // The report, the bundle, and every file of derived/.
    let derived_files = fs::read_dir(tmp.path().join("out/derived"))
        .unwrap()
        .count();
    assert_eq!(outputs.len(), 2 + derived_files);
    for o in outputs {
        let path = tmp.path().join(o["path"].as_str().unwrap());
        assert_eq!(
            o["sha256"],
            crate::sha256_hex(&fs::read(&path).unwrap()),
            "{path:?}"
        );
    }
}

#[test]
fn significant_incidents_name_their_tickets() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("incidents.csv"),
        "id,incident_number,description,created_at,priority_name,seconds_to_first_ack,seconds_to_resolve\n\
         PT1,1,Checkout down [OPS-12],2026-01-05T10:00:00,P1,60,600\n\
         PT2,2,fixed in https://github.com/acme/api/pull/9,2026-01-05T11:00:00,P2,60,600\n\
         PT3,3,INC-5 SEV-1 no ticket,2026-01-05T12:00:00,P1,60,600\n\
         PT4,4,P3 needs none,2026-01-05T13:00:00,P3,60,600\n",
    )
    .unwrap();
    let (tmp, out) = build(dir.path(), &[]);
    assert_success(&out);
    let links = read_csv(&derived(&tmp, "ticket_links.csv"));
    let got: Vec<(&str, &str, &str)> = links
        .iter()
        .map(|r| {
            (
                r["incident_number"].as_str(),
                r["tickets"].as_str(),
                r["linked"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("1", "OPS-12", "true"),
            ("2", "https://github.com/acme/api/pull/9", "true"),
            ("3", "", "false"),
        ]
    );
    let exceptions = read_csv(&derived(&tmp, "exceptions.csv"));
    let missing: Vec<&str> = exceptions
        .iter()
        .filter(|e| e["kind"] == "ticket_missing")
        .map(|e| e["incident_number"].as_str())
        .collect();
    assert_eq!(missing, ["3"]);
}
