//! On-call coverage, escalation conformance and the admin trail on `tests/fixtures/oncall`
//! (March 2026 in New York, DST from 8 March), worked out by hand:
//!
//! Period: 2026-03-01T00:00-05:00 to 2026-04-01T00:00-04:00 = 31 days - 1 h = 2,674,800 s.
//! Final entries (two overlapping pages; Ben's week is in both): Ana 03-01 06:00 to 03-07
//! 22:00 (EST), Eva's override 03-07 22:00 EST to 03-08 09:00 EDT (across midnight and DST:
//! 10 h), Ana to 10:00, Ben 03-08 10:00 to 03-15 10:00, Chloe to 03-22 10:00, Dev 03-22 10:30
//! to 03-31 18:00. Covered: 615,600 + 604,800 + 604,800 + 804,600 = 2,629,800 s = 98.32 %.
//! Gaps: 6 h at the start, 30 min on 03-22, 6 h at the end = 45,000 s.

use crate::{assert_success, build, derived, fixture, read_csv};

const ARGS: [&str; 6] = [
    "--from",
    "2026-03-01",
    "--to",
    "2026-03-31",
    "--as-of",
    "2026-04-01T12:00:00Z",
];

fn built() -> tempfile::TempDir {
    let (tmp, out) = build(&fixture("oncall"), &ARGS);
    assert_success(&out);
    tmp
}

#[test]
fn coverage_and_gaps_to_the_second() {
    let tmp = built();
    let coverage = read_csv(&derived(&tmp, "oncall_coverage.csv"));
    assert_eq!(coverage.len(), 1);
    let c = &coverage[0];
    assert_eq!(
        (
            c["schedule"].as_str(),
            c["covered_s"].as_str(),
            c["period_s"].as_str(),
            c["covered_pct"].as_str(),
            c["gaps"].as_str(),
            c["overrides"].as_str(),
            c["first_level"].as_str(),
        ),
        (
            "Daily Engineering Rotation",
            "2629800",
            "2674800",
            "98.32",
            "3",
            "1",
            "true"
        )
    );
    // Hand-offs: Ana→Eva, Eva→Ana, Ana→Ben, Ben→Chloe (Dev starts after a gap) over
    // 2,674,800 / 604,800 = 4.42 weeks.
    assert_eq!(c["handoffs_per_week"], "0.90");
    let gaps = read_csv(&derived(&tmp, "oncall_gaps.csv"));
    let got: Vec<(&str, &str, &str)> = gaps
        .iter()
        .map(|g| {
            (
                g["start"].as_str(),
                g["end"].as_str(),
                g["duration_s"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "2026-03-01T00:00:00-05:00",
                "2026-03-01T06:00:00-05:00",
                "21600"
            ),
            (
                "2026-03-22T10:00:00-04:00",
                "2026-03-22T10:30:00-04:00",
                "1800"
            ),
            (
                "2026-03-31T18:00:00-04:00",
                "2026-04-01T00:00:00-04:00",
                "21600"
            ),
        ]
    );
    let overrides = read_csv(&derived(&tmp, "oncall_overrides.csv"));
    assert_eq!(overrides.len(), 1);
    assert_eq!(overrides[0]["start"], "2026-03-07T22:00:00-05:00");
    assert_eq!(overrides[0]["end"], "2026-03-08T09:00:00-04:00");
    assert_eq!(overrides[0]["duration_s"], "36000");
    assert_eq!(overrides[0]["on_call"], "Eva Novak");
    assert_eq!(overrides[0]["replaced"], "Ana Lima");
}

#[test]
fn load_per_person_and_the_long_shift() {
    let tmp = built();
    let load = read_csv(&derived(&tmp, "oncall_load.csv"));
    let got: Vec<(&str, &str, &str, &str)> = load
        .iter()
        .map(|l| {
            (
                l["person"].as_str(),
                l["shifts"].as_str(),
                l["hours"].as_str(),
                l["off_hours_hours"].as_str(),
            )
        })
        .collect();
    // Business hours Mon-Fri 09:00-17:00 New York: Ana has Mon 2 to Fri 6 (40 h) of her
    // 161 h; Eva's 10 h are a weekend night; Ben and Chloe 40 of 168; Dev Mon 23 to Fri 27
    // and Mon 30, Tue 31 (56 h) of 223.5.
    assert_eq!(
        got,
        [
            ("Ana Lima", "2", "161.00", "121.00"),
            ("Ben Okafor", "1", "168.00", "128.00"),
            ("Chloe Martin", "1", "168.00", "128.00"),
            ("Dev Patel", "1", "223.50", "167.50"),
            ("Eva Novak", "1", "10.00", "10.00"),
        ]
    );
    let exceptions = read_csv(&derived(&tmp, "exceptions.csv"));
    let long: Vec<_> = exceptions
        .iter()
        .filter(|e| e["kind"] == "oncall_long_shift")
        .collect();
    // Dev's 9 d 7.5 h; Ben's and Chloe's exactly 7 d are allowed.
    assert_eq!(long.len(), 1);
    assert!(long[0]["detail"].contains("Dev Patel"), "{:?}", long[0]);
    assert_eq!(
        exceptions
            .iter()
            .filter(|e| e["kind"] == "oncall_gap")
            .count(),
        3
    );
}

#[test]
fn the_published_escalation_policy_does_not_conform() {
    let tmp = built();
    let rows = read_csv(&derived(&tmp, "escalation_conformance.csv"));
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0]["escalation_policy"],
        "Engineering Escalation Policy"
    );
    assert_eq!(rows[0]["level"], "");
    assert_eq!(
        rows[0]["findings"],
        "too few levels: 1 of the 4 the policy requires"
    );
    assert_eq!(
        (
            rows[1]["level"].as_str(),
            rows[1]["delay_min"].as_str(),
            rows[1]["cumulative_min"].as_str(),
            rows[1]["allowed_min"].as_str(),
            rows[1]["conforms"].as_str()
        ),
        ("1", "30", "30", "5", "false")
    );
    assert_eq!(
        rows[1]["findings"],
        "escalates 30 min after the trigger; the policy allows 5 min (delay 30 min)"
    );
    // The schedule's 3 gaps are the coverage check's findings; the level refers to them
    // rather than counting them again.
    assert_eq!(rows[1]["oncall_gaps"].matches("nobody on call").count(), 3);
    let exceptions = read_csv(&derived(&tmp, "exceptions.csv"));
    // #2 waited 12 min (past 5 and 10) with one timeout escalation; #3 had both; #4 is low
    // urgency. legacy-cron has no escalation policy.
    let late: Vec<&str> = exceptions
        .iter()
        .filter(|e| e["kind"] == "escalation_late")
        .map(|e| e["incident_number"].as_str())
        .collect();
    assert_eq!(late, ["2"]);
    assert!(exceptions.iter().any(|e| e["kind"] == "escalation_nonconformity"
        && e["detail"] == "service `legacy-cron` has incidents in the period without an escalation policy"));
}

#[test]
fn admin_changes_flags_and_completeness() {
    let tmp = built();
    let changes = read_csv(&derived(&tmp, "admin_changes.csv"));
    assert_eq!(
        changes.len(),
        2,
        "the API example's 2020 records are outside"
    );
    assert_eq!(changes[0]["execution_time"], "2026-03-10T12:30:00.250Z");
    assert_eq!(changes[0]["resource_type"], "schedule");
    assert_eq!(changes[0]["action"], "delete");
    assert_eq!(changes[0]["actor"], "unknown actor");
    assert_eq!(changes[0]["method"], "api_token …9xyz");
    assert_eq!(changes[0]["flags"], "api_token on_call_target_deleted");
    assert_eq!(changes[0]["source_file"], "audit-march.json");
    assert_eq!(changes[1]["changes"], "escalation_delay_in_minutes: 5 → 30");
    assert_eq!(changes[1]["actor"], "Ben Okafor (user)");
    let exceptions = read_csv(&derived(&tmp, "exceptions.csv"));
    let gaps: Vec<&str> = exceptions
        .iter()
        .filter(|e| e["kind"] == "audit_trail_gap")
        .map(|e| e["detail"].as_str())
        .collect();
    assert_eq!(
        gaps,
        [
            "no audit-record file spans 2026-03-01 to 2026-03-09 (9 days): changes then are not evidenced",
            "no audit-record file spans 2026-03-21 to 2026-03-31 (11 days): changes then are not evidenced",
        ]
    );
}

#[test]
fn every_configuration_row_is_reconciled() {
    let tmp = built();
    let inputs = read_csv(&derived(&tmp, "inputs.csv"));
    let got: Vec<(&str, &str, &str, &str, &str, &str)> = inputs
        .iter()
        .map(|r| {
            (
                r["file"].as_str(),
                r["format"].as_str(),
                r["rows_read"].as_str(),
                r["rows_used"].as_str(),
                r["rows_rejected"].as_str(),
                r["rows_outside_period"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("README.md", "not_used", "", "", "", ""),
            (
                "api-examples/audit_records.json",
                "pagerduty-audit-records",
                "5",
                "0",
                "0",
                "5"
            ),
            (
                "api-examples/escalation_policies.json",
                "pagerduty-escalation-policies",
                "1",
                "1",
                "0",
                "0"
            ),
            (
                "api-examples/oncalls.json",
                "pagerduty-oncalls",
                "1",
                "0",
                "0",
                "1"
            ),
            (
                "api-examples/schedules_id.json",
                "pagerduty-schedule",
                "1",
                "0",
                "0",
                "1"
            ),
            (
                "api-examples/schedules_id_overrides.json",
                "pagerduty-overrides",
                "1",
                "0",
                "0",
                "1"
            ),
            (
                "audit-march.json",
                "pagerduty-audit-records",
                "2",
                "2",
                "0",
                "0"
            ),
            ("incidents.csv", "analytics-csv", "5", "5", "0", "0"),
            (
                "schedule-march-a.json",
                "pagerduty-schedule",
                "4",
                "4",
                "0",
                "0"
            ),
            (
                "schedule-march-b.json",
                "pagerduty-schedule",
                "3",
                "3",
                "0",
                "0"
            ),
        ]
    );
}

#[test]
fn a_bad_timestamp_is_a_rejected_row() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["incidents.csv", "policy.toml", "schedule-march-b.json"] {
        std::fs::copy(fixture("oncall").join(f), dir.path().join(f)).unwrap();
    }
    let path = dir.path().join("schedule-march-b.json");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("2026-03-31T18:00:00-04:00", "31/03/2026 18:00");
    std::fs::write(&path, text).unwrap();
    let (tmp, out) = build(dir.path(), &ARGS);
    assert_success(&out);
    let rejected = read_csv(&derived(&tmp, "rejected_rows.csv"));
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["source_file"], "schedule-march-b.json");
    assert!(
        rejected[0]["reason"].starts_with("`end`: `31/03/2026 18:00` is not an RFC 3339 timestamp"),
        "{:?}",
        rejected[0]
    );
}
