//! Statuspage incidents matched to PagerDuty incidents on `tests/fixtures/statuspage`
//! (2026-03-10, UTC; window 30m; the `Payments` component maps to `payments-gateway`),
//! worked out by hand:
//!
//! - s1 `Checkout API`, impact from 10:00, published 10:12; PagerDuty #1 on checkout-api at
//!   10:02: lead 600 s, detected internally first.
//! - s2 `Payments` (mapped), from 11:58, published 12:00; #3 (search, 11:50) is in the window
//!   but on another service; #2 on payments-gateway at 12:05: lead -300 s, customers first.
//! - s3 names no component, from 14:50, published 15:00: window 14:20 to 15:30; #4 at 14:30
//!   matches by time: lead 1,800 s.
//! - s4 `Auth Service`, published 18:00: no incident on that service: not paged.
//! - s5 is a scheduled maintenance (rejected), s6 is published in April (outside).
//!
//! Detected first 2 of 4 = 50.0 %, under the policy's 75 %; median lead of the three
//! matched = 600 s.

use crate::{assert_success, build, derived, fixture, read_csv};

fn built() -> tempfile::TempDir {
    let (tmp, out) = build(
        &fixture("statuspage"),
        &[
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-31",
            "--as-of",
            "2026-04-05T00:00:00Z",
        ],
    );
    assert_success(&out);
    tmp
}

#[test]
fn matches_and_lead_times_worked_by_hand() {
    let tmp = built();
    let rows = read_csv(&derived(&tmp, "statuspage_matches.csv"));
    let got: Vec<[&str; 5]> = rows
        .iter()
        .map(|r| {
            [
                r["statuspage_id"].as_str(),
                r["incident_number"].as_str(),
                r["lead_time_s"].as_str(),
                r["detected_internally_first"].as_str(),
                r["matched_by"].as_str(),
            ]
        })
        .collect();
    // s1 (Checkout, impact from 10:00, published 10:12, window 30 min): #5, a P4
    // certificate warning on checkout-api created 09:55, and #1, the P1 checkout outage
    // created 10:02, are both in the window on the component's service. The highest
    // severity wins: #1, lead 10:12 − 10:02 = 600 s (#5 would show 1,020 s).
    assert_eq!(
        got,
        vec![
            ["s1", "1", "600", "true", "component"],
            ["s2", "2", "-300", "false", "component"],
            ["s3", "4", "1800", "true", "time"],
            ["s4", "", "", "", "none"],
        ]
    );
    assert_eq!(rows[1]["components"], "Payments");
    assert_eq!(rows[0]["started_at"], "2026-03-10T10:00:00Z");
    let exceptions = std::fs::read_to_string(derived(&tmp, "exceptions.csv")).unwrap();
    assert!(exceptions.contains(
        "2,P1,detected_after_notice,status-page incident `s2` (Card payments failing) was published 5m before PagerDuty created the incident (300 s): customers knew first"
    ));
    assert!(
        exceptions.contains(",,statuspage_unmatched,\"status-page incident `s4` (Login problems)")
    );
}

#[test]
fn rows_reconcile_and_the_report_judges_the_share() {
    let tmp = built();
    let inputs = read_csv(&derived(&tmp, "inputs.csv"));
    let f = crate::row(&inputs, "file", "incidents.json");
    assert_eq!(
        [
            f["format"].as_str(),
            f["rows_read"].as_str(),
            f["rows_used"].as_str(),
            f["rows_rejected"].as_str(),
            f["rows_outside_period"].as_str()
        ],
        ["statuspage-incidents", "6", "4", "1", "1"]
    );
    let rejected = read_csv(&derived(&tmp, "rejected_rows.csv"));
    assert_eq!(rejected.len(), 1);
    assert_eq!(
        rejected[0]["reason"],
        "`s5` is a scheduled maintenance, not an incident"
    );
    let Some(pdftotext) = crate::tool("pdftotext") else {
        return;
    };
    let out = std::process::Command::new(pdftotext)
        .args(["-layout"])
        .arg(tmp.path().join("out/evidence-report.pdf"))
        .arg("-")
        .output()
        .unwrap();
    // Words joined by single spaces: the layout wraps lines anywhere.
    let text = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("Status-page incidents detected internally first: 2 of 4 (50.0 %)"),
        "{text}"
    );
    assert!(text.contains("Matched: 3 of 4; detected internally first: 2 (50.0 %)"));
    assert!(
        text.contains("median lead time of the matched: 10 min"),
        "{text}"
    );
}

#[test]
fn single_incident_responses_are_statuspage_not_pagerduty() {
    // `GET /api/v2/incidents/{id}.json` (wrapped in `incident` beside `page`) and
    // `GET /v1/pages/{page_id}/incidents/{id}` (the object itself), one still unresolved:
    // both are Statuspage incidents, neither a PagerDuty incident nor a rejected row.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("statuspage").join("incidents.csv"),
        dir.path().join("incidents.csv"),
    )
    .unwrap();
    std::fs::copy(
        fixture("statuspage").join("policy.toml"),
        dir.path().join("policy.toml"),
    )
    .unwrap();
    let one = |id: &str, resolved: &str| {
        format!(
            r#"{{"id": "{id}", "name": "Checkout failures", "status": "investigating", "impact": "major",
             "created_at": "2026-03-10T10:12:00.000Z", "started_at": "2026-03-10T10:00:00.000Z",
             "resolved_at": {resolved}, "shortlink": "https://stspg.io/{id}",
             "components": [{{"id": "c1", "name": "Checkout API"}}],
             "incident_updates": [{{"id": "u1", "status": "investigating", "body": "Looking",
               "created_at": "2026-03-10T10:12:00.000Z"}}]}}"#
        )
    };
    std::fs::write(
        dir.path().join("public.json"),
        format!(
            r#"{{"page": {{"id": "pg1", "name": "Acme"}}, "incident": {}}}"#,
            one("w1", "\"2026-03-10T11:00:00.000Z\"")
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("manage.json"), one("w2", "null")).unwrap();
    let (tmp, out) = build(dir.path(), &["--from", "2026-03-01", "--to", "2026-03-31"]);
    assert_success(&out);
    let inputs = read_csv(&derived(&tmp, "inputs.csv"));
    for f in ["public.json", "manage.json"] {
        let r = inputs.iter().find(|r| r["file"] == f).unwrap();
        assert_eq!(
            (
                r["format"].as_str(),
                r["rows_read"].as_str(),
                r["rows_rejected"].as_str()
            ),
            ("statuspage-incidents", "1", "0"),
            "{f}"
        );
    }
    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    assert!(register.iter().all(|r| !r["incident_number"].is_empty()));
    let matches = read_csv(&derived(&tmp, "statuspage_matches.csv"));
    assert!(matches.iter().any(|r| r["statuspage_id"] == "w1"));
    assert!(matches.iter().any(|r| r["statuspage_id"] == "w2"));
}
