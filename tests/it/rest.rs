//! REST `GET /incidents` pages with `GET /log_entries` on `tests/fixtures/rest` (March 2026,
//! UTC), worked out by hand:
//!
//! - #101 (P1) resolved: triggered 10:00:00, acknowledged 10:07:30 by Ben (spelt
//!   `acknowledgement_log_entry`, and repeated on the second page), so tta = 450 s, a breach
//!   of 5m; resolved 12:30 = 9,000 s, within 4h; one escalation by timeout (agent = the
//!   service); notes name OPS-77.
//! - #102 (P2) still acknowledged: no log entries, `acknowledgements` at 08:20 and 08:10, the
//!   earliest counts: tta = 600 s, within 15m; an external reference names PAY-42.
//! - #103 (P3) resolved with no log entries: time to acknowledge unknown, rejected.
//! - #104 (P1) triggered: never acknowledged (its one acknowledge entry has no valid time and
//!   is rejected); the title names OPS-900.
//! - #105 (no priority, high urgency) resolved by the service at 07:45 (from the resolve
//!   entry; `resolved_at` is null): ttr = 2,700 s, never acknowledged.
//! - A log entry of an incident no export holds, and one with `created_at: yesterday`, are
//!   rejected rows; PagerDuty's own example responses (2015) are outside the period.

use crate::{assert_success, auditpack, build, derived, fixture, read_csv, row};

const ARGS: [&str; 6] = [
    "--from",
    "2026-03-01",
    "--to",
    "2026-03-31",
    "--as-of",
    "2026-04-01T00:00:00Z",
];

fn built() -> tempfile::TempDir {
    let (tmp, out) = build(&fixture("rest"), &ARGS);
    assert_success(&out);
    tmp
}

#[test]
fn response_times_come_from_log_entries() {
    let tmp = built();
    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    let got: Vec<(&str, &str, &str, &str, &str)> = register
        .iter()
        .map(|r| {
            (
                r["incident_number"].as_str(),
                r["tta_s"].as_str(),
                r["ttr_s"].as_str(),
                r["ack_sla_met"].as_str(),
                r["resolve_sla_met"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("101", "450.0", "9000.0", "false", "true"),
            ("102", "600.0", "", "true", "false"),
            ("104", "", "", "false", "false"),
            ("105", "", "2700.0", "false", ""),
        ]
    );
    let r = row(&register, "incident_number", "101");
    assert_eq!(r["service"], "checkout-api");
    assert_eq!(r["team"], "Platform SRE");
    assert_eq!(r["source_file"], "incidents.json");
    assert_eq!(r["source_line"], "3");
    let exceptions = std::fs::read_to_string(derived(&tmp, "exceptions.csv")).unwrap();
    // One timeout escalation covers the 5m level for a 450 s acknowledgement.
    assert!(
        !exceptions.contains("101,P1,escalation_late"),
        "{exceptions}"
    );
    assert!(exceptions.contains("105,Unprioritised high,escalation_late"));
}

#[test]
fn every_row_is_reconciled_and_rejections_say_why() {
    let tmp = built();
    let inputs = read_csv(&derived(&tmp, "inputs.csv"));
    let counts = |name: &str| {
        let r = row(&inputs, "file", name);
        (
            r["format"].clone(),
            r["rows_read"].clone(),
            r["rows_used"].clone(),
            r["rows_rejected"].clone(),
            r["rows_outside_period"].clone(),
        )
    };
    let c = |f: &str, a: &str, b: &str, x: &str, d: &str| {
        (
            f.to_string(),
            a.to_string(),
            b.to_string(),
            x.to_string(),
            d.to_string(),
        )
    };
    assert_eq!(
        counts("incidents.json"),
        c("pagerduty-rest-incidents", "5", "4", "1", "0")
    );
    assert_eq!(
        counts("log-entries.json"),
        c("pagerduty-log-entries", "13", "10", "3", "0")
    );
    assert_eq!(
        counts("api-examples/incidents.json"),
        c("pagerduty-rest-incidents", "1", "0", "0", "1")
    );
    assert_eq!(
        counts("api-examples/incidents_id_log_entries.json"),
        c("pagerduty-log-entries", "1", "0", "0", "1")
    );
    let rejected = read_csv(&derived(&tmp, "rejected_rows.csv"));
    let reasons: Vec<(&str, &str, &str)> = rejected
        .iter()
        .map(|r| {
            (
                r["source_file"].as_str(),
                r["source_line"].as_str(),
                r["reason"].as_str(),
            )
        })
        .collect();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(
        reasons[0]
            .2
            .starts_with("resolved incident `PRA0003` has no log entries")
    );
    assert_eq!(
        reasons[1],
        (
            "log-entries.json",
            "21",
            "duplicate of log entry `RK101` first read at log-entries.json:16"
        )
    );
    assert!(
        reasons[2]
            .2
            .contains("`PNOTHERE`, which no incidents export read holds")
    );
    assert!(
        reasons[3]
            .2
            .starts_with("`created_at`: `yesterday` is not a timestamp")
    );
}

#[test]
fn timeline_responders_and_tickets() {
    let tmp = built();
    let timeline = read_csv(&derived(&tmp, "response_timeline.csv"));
    assert_eq!(timeline.len(), 2);
    let t = row(&timeline, "incident_number", "101");
    let pick = |k: &str| t[k].as_str();
    assert_eq!(
        [
            pick("log_entries"),
            pick("assigned_to"),
            pick("first_notified_at"),
            pick("notifications"),
            pick("notified"),
            pick("acknowledged_at"),
            pick("acknowledged_by"),
            pick("escalations"),
            pick("timeout_escalations"),
            pick("resolved_by"),
        ],
        [
            "8",
            "Ana Lima",
            "2026-03-02T10:00:05Z",
            "2",
            "Ana Lima; Ben Okafor",
            "2026-03-02T10:07:30Z",
            "Ben Okafor",
            "1",
            "1",
            "Ben Okafor"
        ]
    );
    assert_eq!(
        row(&timeline, "incident_number", "105")["resolved_by"],
        "data-pipeline"
    );
    let tickets = read_csv(&derived(&tmp, "ticket_links.csv"));
    let got: Vec<(&str, &str, &str)> = tickets
        .iter()
        .map(|r| {
            (
                r["incident_number"].as_str(),
                r["tickets"].as_str(),
                r["found_in"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("101", "OPS-77", "note"),
            ("102", "PAY-42", "external_reference"),
            ("104", "OPS-900", "description"),
        ]
    );
}

/// The same generated incidents as Analytics CSV and as REST pages with log entries give
/// the same figures, byte for byte.
#[test]
fn rest_export_gives_the_analytics_figures() {
    let tmp = tempfile::tempdir().unwrap();
    for format in ["analytics-csv", "rest-json"] {
        let out = auditpack(tmp.path())
            .args([
                "generate",
                "--incidents",
                "400",
                "--seed",
                "11",
                "--clean",
                "--months",
                "4",
            ])
            .args(["--format", format, "--out", format])
            .output()
            .unwrap();
        assert_success(&out);
        let out = auditpack(tmp.path())
            .args([
                "build",
                "--input",
                format,
                "--out",
                &format!("{format}-out"),
            ])
            .output()
            .unwrap();
        assert_success(&out);
    }
    for name in ["sla_summary.csv", "monthly_trends.csv"] {
        let a = std::fs::read(tmp.path().join("analytics-csv-out/derived").join(name)).unwrap();
        let b = std::fs::read(tmp.path().join("rest-json-out/derived").join(name)).unwrap();
        assert_eq!(a, b, "{name} differs");
    }
    let inputs = read_csv(&tmp.path().join("rest-json-out/derived/inputs.csv"));
    for f in inputs.iter().filter(|f| f["format"] != "not_used") {
        let n = |k: &str| f[k].parse::<u64>().unwrap();
        assert_eq!(
            n("rows_read"),
            n("rows_used") + n("rows_rejected") + n("rows_outside_period")
        );
        assert_eq!(n("rows_rejected"), 0, "{f:?}");
    }
    let timeline = read_csv(
        &tmp.path()
            .join("rest-json-out/derived/response_timeline.csv"),
    );
    assert_eq!(timeline.len(), 400);
}
