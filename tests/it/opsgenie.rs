//! Issue 21: Opsgenie alert archives as inputs, pooled with PagerDuty's incidents into one
//! population. Every fixture is written here; expected values are worked out by hand beside
//! them.

use std::fs;

use crate::{assert_success, built, derived, folder, read_csv, row};

/// January in Opsgenie (UTC), as-of 2026-03-01T00:00:00Z:
/// #1 P1 created 01-05 10:00:00.000, acknowledged after 15702 ms = 15.702 s (target 5 min:
///    met), closed after 60503 ms = 60.503 s (target 4 h: met);
/// #2 P2 created 01-06 10:00, never acknowledged (no `ackTime`), closed after 3600000 ms =
///    3600 s by `System`: resolved without acknowledgement, so the acknowledgement target
///    is missed (policy `resolved_without_ack = "breach"`); resolution 3600 s ≤ 24 h: met;
/// #3 P1 created 01-31 23:00, still open at the as-of time: acknowledgement missed (28 days
///    late), resolution missed;
/// #4 P5 created 01-07 10:00: no severity of the default policy takes P5, so unclassified;
/// #5 P3 created 01-08 10:00, `acknowledged` false but `ackTime` 120000 ms = 120 s (an
///    unacknowledged alert keeps its first acknowledgement): within 1 h, met; closed after
///    7200 s ≤ 72 h, met.
const ALERTS: &str = r#"[
 {"id": "70413a06-38d6-4c85-92b8-5ebc900d42e2-1767607200000", "tinyId": "1", "alias": "db-down", "message": "db down", "status": "closed", "acknowledged": true, "isSeen": true, "tags": ["db"], "snoozed": false, "count": 1, "lastOccurredAt": "2026-01-05T10:00:00.000Z", "createdAt": "2026-01-05T10:00:00.000Z", "updatedAt": "2026-01-05T10:01:00.503Z", "source": "Datadog", "owner": "alice@example.com", "priority": "P1", "responders": [{"type": "team", "id": "8418d193-2dab-4490-b331-8c02cdd196b7"}], "integration": {"id": "4513b7ea-3b91-438f-b7e4-e3e54af9147c", "name": "Datadog", "type": "Datadog"}, "report": {"ackTime": 15702, "closeTime": 60503, "acknowledgedBy": "alice@example.com", "closedBy": "alice@example.com"}},
 {"id": "a1b2c3d4-0000-4000-8000-000000000002", "tinyId": "2", "message": "api slow", "status": "closed", "acknowledged": false, "createdAt": "2026-01-06T10:00:00.000Z", "owner": "", "priority": "P2", "responders": [], "integration": {"name": "Prometheus"}, "report": {"closeTime": 3600000, "closedBy": "System"}},
 {"id": "a1b2c3d4-0000-4000-8000-000000000003", "tinyId": "3", "message": "disk full", "status": "open", "acknowledged": false, "createdAt": "2026-01-31T23:00:00.000Z", "owner": "", "priority": "P1", "responders": [], "report": {}},
 {"id": "a1b2c3d4-0000-4000-8000-000000000004", "tinyId": "4", "message": "backup done", "status": "closed", "acknowledged": false, "createdAt": "2026-01-07T10:00:00.000Z", "owner": "", "priority": "P5", "report": {"closeTime": 1000}},
 {"id": "a1b2c3d4-0000-4000-8000-000000000005", "tinyId": "5", "message": "queue backlog", "status": "closed", "acknowledged": false, "createdAt": "2026-01-08T10:00:00.000Z", "owner": "bob@example.com", "priority": "P3", "report": {"ackTime": 120000, "closeTime": 7200000, "acknowledgedBy": "bob@example.com", "closedBy": "bob@example.com"}}
]"#;

/// An Opsgenie `GET /v2/alerts` page of `items` on `host`, with `paging` links (no `took`,
/// as in the vendor's samples of single alerts).
fn page(items: &str, host: &str, paging: &str) -> String {
    let link = |offset: u32| {
        format!(
            "https://{host}/v2/alerts?query=createdAt%3E%3D01-01-2026T00%3A00%3A00&offset={offset}&limit=5&sort=createdAt&order=asc"
        )
    };
    let paging = paging
        .replace("{first}", &link(0))
        .replace("{next}", &link(5))
        .replace("{last}", &link(0));
    format!(r#"{{"data": {items}, "paging": {{{paging}}}, "requestId": "9ae63dd7"}}"#)
}

/// February in PagerDuty (Analytics JSON, UTC):
/// #1 P1 created 02-05 10:00, tta 60 (met), ttr 600 (met);
/// #2 P1 created 02-10 10:00, tta 600 (missed by 300 s), ttr 1200 (met).
const PAGERDUTY: &str = r#"{"data": [
 {"id": "PA00001", "incident_number": 1, "description": "db down", "status": "resolved", "urgency": "high", "priority_name": "P1", "service_name": "db", "created_at": "2026-02-05T10:00:00", "seconds_to_first_ack": 60, "seconds_to_resolve": 600, "assigned_user_names": ["Ann"], "acknowledged_user_names": ["Ann"]},
 {"id": "PA00002", "incident_number": 2, "description": "api down", "status": "resolved", "urgency": "high", "priority_name": "P1", "service_name": "api", "created_at": "2026-02-10T10:00:00", "seconds_to_first_ack": 600, "seconds_to_resolve": 1200, "assigned_user_names": ["Ann"], "acknowledged_user_names": ["Ann"]}
], "time_zone": "Etc/UTC", "limit": 100, "more": false}"#;

const PERIOD: [&str; 6] = [
    "--from",
    "2026-01-01",
    "--to",
    "2026-02-28",
    "--as-of",
    "2026-03-01T00:00:00Z",
];

/// The `inputs.csv` row of one file.
fn input_row(tmp: &tempfile::TempDir, file: &str) -> std::collections::BTreeMap<String, String> {
    row(&read_csv(&derived(tmp, "inputs.csv")), "file", file).clone()
}

fn exceptions(tmp: &tempfile::TempDir, kind: &str) -> Vec<(String, String)> {
    read_csv(&derived(tmp, "exceptions.csv"))
        .into_iter()
        .filter(|r| r["kind"] == kind)
        .map(|r| (r["incident_number"].clone(), r["detail"].clone()))
        .collect()
}

fn mixed() -> tempfile::TempDir {
    folder(&[
        (
            "opsgenie/alerts-2026-01.json",
            page(
                ALERTS,
                "api.opsgenie.com",
                r#""first": "{first}", "last": "{last}""#,
            ),
        ),
        ("pagerduty/analytics-2026-02.json", PAGERDUTY.to_string()),
    ])
}

#[test]
fn alerts_are_read_to_the_millisecond_with_absent_times_as_never() {
    let input = mixed();
    let tmp = built(input.path(), &PERIOD);
    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    let alert = |n: &str| {
        register
            .iter()
            .find(|r| r["incident_number"] == n && r["source_system"] == "opsgenie")
            .unwrap_or_else(|| panic!("no Opsgenie alert #{n}"))
    };
    // #1: 15702 ms and 60503 ms, exactly.
    assert_eq!(alert("1")["tta_s"], "15.702");
    assert_eq!(alert("1")["ttr_s"], "60.503");
    assert_eq!(alert("1")["acknowledged_at"], "2026-01-05T10:00:15.702Z");
    assert_eq!(alert("1")["acknowledged_by"], "alice@example.com");
    assert_eq!(alert("1")["assigned_to"], "alice@example.com");
    assert_eq!(alert("1")["service"], "Datadog");
    assert_eq!(alert("1")["ack_sla_met"], "true");
    // #2: never acknowledged (no `ackTime`: not zero), closed after 3600 s.
    assert_eq!(alert("2")["tta_s"], "");
    assert_eq!(alert("2")["acknowledged_at"], "");
    assert_eq!(alert("2")["ttr_s"], "3600.0");
    assert_eq!(alert("2")["ack_sla_met"], "false");
    assert_eq!(alert("2")["resolve_sla_met"], "true");
    // #3: open at the as-of time: both targets missed.
    assert_eq!(alert("3")["resolved_at"], "");
    assert_eq!(
        (
            alert("3")["ack_sla_met"].as_str(),
            alert("3")["resolve_sla_met"].as_str()
        ),
        ("false", "false")
    );
    // #4: P5 has no default severity.
    assert_eq!(alert("4")["severity"], "unclassified");
    // #5: unacknowledged since, but timed by its `ackTime` of 120 s.
    assert_eq!(alert("5")["tta_s"], "120.0");
    assert_eq!(alert("5")["ack_sla_met"], "true");
    // PagerDuty's #1 is another incident with the same number.
    let pd = register
        .iter()
        .find(|r| r["incident_number"] == "1" && r["source_system"] == "pagerduty")
        .unwrap();
    assert_eq!(pd["id"], "PA00001");
    // No numbering gap in either system (1..5 and 1..2), and no duplicate.
    assert!(exceptions(&tmp, "incident_number_gap").is_empty());
    assert!(exceptions(&tmp, "conflicting_duplicate").is_empty());
    let og = input_row(&tmp, "opsgenie/alerts-2026-01.json");
    assert_eq!(og["format"], "opsgenie-alerts");
    assert_eq!(og["scope"], "query=createdAt>=01-01-2026T00:00:00");
}

#[test]
fn half_opsgenie_half_pagerduty_is_one_population_in_sla_summary() {
    let input = mixed();
    let tmp = built(input.path(), &PERIOD);
    let sla = read_csv(&derived(&tmp, "sla_summary.csv"));
    // P1: Opsgenie #1 (met), #3 (open, missed) and PagerDuty #1 (met), #2 (missed) = 4;
    // acknowledged 3 (#1 og, #1 pd, #2 pd); within 5 min 2 (15.702 s and 60 s) → 2/4 = 50 %;
    // resolved 3, all within 4 h → 3 of 4 judged = 75 %.
    let p1 = row(&sla, "severity", "P1");
    assert_eq!(p1["incidents"], "4");
    assert_eq!(p1["acknowledged"], "3");
    assert_eq!(p1["ack_within_sla"], "2");
    assert_eq!(p1["ack_within_sla_pct"], "50.00");
    assert_eq!(p1["resolve_within_sla_pct"], "75.00");
    // Mean acknowledgement of P1: (15.702 + 60 + 600) / 3 = 225.234 → 225.2.
    assert_eq!(p1["mtta_s"], "225.2");
    // P2: Opsgenie #2 only, resolved unacknowledged.
    let p2 = row(&sla, "severity", "P2");
    assert_eq!(
        (
            p2["incidents"].as_str(),
            p2["resolved_unacknowledged"].as_str()
        ),
        ("1", "1")
    );
    // ALL: 4 + 1 + 1 (P3) + 1 (P5, unclassified) = 7.
    assert_eq!(row(&sla, "severity", "ALL")["incidents"], "7");
    assert_eq!(row(&sla, "severity", "unclassified")["incidents"], "1");
    // An exception about an Opsgenie alert says so (numbers repeat across systems).
    let rows = read_csv(&derived(&tmp, "exceptions.csv"));
    let unclassified = row(&rows, "kind", "unclassified");
    assert!(
        unclassified["detail"].starts_with("Opsgenie alert: ")
            && unclassified["detail"].contains("priority `P5` matches no severity"),
        "{}",
        unclassified["detail"]
    );
    let mut breaches: Vec<(&str, bool)> = rows
        .iter()
        .filter(|r| r["kind"] == "ack_breach")
        .map(|r| {
            (
                r["incident_number"].as_str(),
                r["detail"].starts_with("Opsgenie alert: "),
            )
        })
        .collect();
    breaches.sort();
    assert_eq!(breaches, [("2", false), ("2", true), ("3", true)]);
    // No escalation-policy finding for an Opsgenie integration.
    assert!(
        !exceptions(&tmp, "escalation_nonconformity")
            .iter()
            .any(|(_, d)| d.contains("Datadog"))
    );
}

#[test]
fn a_policy_match_can_name_the_system() {
    // `opsgenie:P5` maps Opsgenie's P5 to Low; `pagerduty:P1` keeps Critical to PagerDuty,
    // so Opsgenie's P1 alerts (#1, #3) fall to `opsgenie:P1` = High.
    let input = mixed();
    fs::write(
        input.path().join("policy.toml"),
        "[[severity]]\nname = \"Critical\"\nmatch = [\"pagerduty:P1\"]\nack_within = \"5m\"\nresolve_within = \"4h\"\n\
         [[severity]]\nname = \"High\"\nmatch = [\"opsgenie:P1\", \"P2\"]\nack_within = \"15m\"\nresolve_within = \"24h\"\n\
         [[severity]]\nname = \"Low\"\nmatch = [\"P3\", \"OPSGENIE:p5\"]\nack_within = \"1h\"\n",
    )
    .unwrap();
    let tmp = built(input.path(), &PERIOD);
    let sla = read_csv(&derived(&tmp, "sla_summary.csv"));
    // Critical: PagerDuty #1, #2 = 2. High: Opsgenie #1, #3 (P1) and #2 (P2) = 3.
    // Low: Opsgenie #5 (P3) and #4 (P5) = 2. Nothing unclassified.
    assert_eq!(row(&sla, "severity", "Critical")["incidents"], "2");
    assert_eq!(row(&sla, "severity", "High")["incidents"], "3");
    assert_eq!(row(&sla, "severity", "Low")["incidents"], "2");
    assert!(sla.iter().all(|r| r["severity"] != "unclassified"));
}

#[test]
fn paging_next_on_the_last_page_is_an_incomplete_export() {
    // The one page of the file says `next` (offset 5): the listing continues past the file.
    let input = folder(&[(
        "opsgenie/alerts.json",
        page(
            ALERTS,
            "api.opsgenie.com",
            r#""first": "{first}", "next": "{next}""#,
        ),
    )]);
    let tmp = built(input.path(), &PERIOD);
    let incomplete = exceptions(&tmp, "incomplete_export");
    assert_eq!(incomplete.len(), 1, "{incomplete:?}");
    assert!(
        incomplete[0].1.contains(
            "has a `paging.next` link to offset 5, but no page in the inputs starts there"
        ),
        "{}",
        incomplete[0].1
    );
    let results = read_csv(&derived(&tmp, "results.csv"));
    let complete = row(&results, "measure", "exports_complete");
    assert_eq!(
        (complete["value"].as_str(), complete["verdict"].as_str()),
        ("1", "not_met")
    );
    // The next page (offset 5, placed by its `prev` link) completes the listing.
    let second = r#"[{"id": "a1b2c3d4-0000-4000-8000-000000000006", "tinyId": "6", "message": "late", "status": "closed", "acknowledged": true, "createdAt": "2026-01-09T10:00:00.000Z", "owner": "", "priority": "P3", "report": {"ackTime": 1000, "closeTime": 2000, "acknowledgedBy": "bob"}}]"#;
    let prev = r#""prev": "https://api.opsgenie.com/v2/alerts?query=createdAt%3E%3D01-01-2026T00%3A00%3A00&offset=0&limit=5&sort=createdAt&order=asc""#;
    fs::write(
        input.path().join("opsgenie/alerts-2.json"),
        page(
            second,
            "api.opsgenie.com",
            &format!(r#""first": "{{first}}", {prev}"#),
        ),
    )
    .unwrap();
    let tmp = built(input.path(), &PERIOD);
    assert!(exceptions(&tmp, "incomplete_export").is_empty());
}

#[test]
fn an_eu_page_and_a_single_alert_response_are_read() {
    // The EU host's page holds #1 and #2; `GET /v2/alerts/{id}` (`data` one object, no
    // `paging`) holds #7: a gap of 3 to 6 in Opsgenie's numbers (4 numbers), none in
    // PagerDuty's.
    let items: Vec<serde_json::Value> = serde_json::from_str(ALERTS).unwrap();
    let two = serde_json::to_string(&items[..2]).unwrap();
    let mut seventh = items[4].clone();
    seventh["tinyId"] = "7".into();
    seventh["id"] = "a1b2c3d4-0000-4000-8000-000000000007".into();
    let input = folder(&[
        (
            "opsgenie/eu.json",
            page(
                &two,
                "api.eu.opsgenie.com",
                r#""first": "{first}", "last": "{last}""#,
            ),
        ),
        (
            "opsgenie/alert-7.json",
            format!(r#"{{"data": {seventh}, "took": 0.01, "requestId": "r"}}"#),
        ),
        ("pagerduty/analytics.json", PAGERDUTY.to_string()),
    ]);
    let tmp = built(input.path(), &PERIOD);
    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    let og: Vec<&str> = register
        .iter()
        .filter(|r| r["source_system"] == "opsgenie")
        .map(|r| r["incident_number"].as_str())
        .collect();
    assert_eq!(og, ["1", "2", "7"]);
    let gaps = exceptions(&tmp, "incident_number_gap");
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert!(
        gaps[0]
            .1
            .starts_with("Opsgenie alert numbers 3 to 6 (4) are missing between #2 and #7"),
        "{}",
        gaps[0].1
    );
    // The page's query only bounds the creation time: no filter that explains the gap.
    assert!(!gaps[0].1.contains("as expected"), "{}", gaps[0].1);
}

#[test]
fn a_move_with_a_month_in_neither_system_is_not_covered() {
    // Opsgenie: January (5 alerts, the longest quiet stretch 01-08 10:00 → 01-31 23:00,
    // 23 d 13 h). PagerDuty: two incidents in April. Period January to April: from the last
    // alert (01-31 23:00) to the first PagerDuty incident (04-05 10:00) no system holds a
    // record for 63 d 11 h, longer than 23 d 13 h: `period_not_covered`.
    let april = PAGERDUTY.replace("2026-02-", "2026-04-");
    let input = folder(&[
        (
            "opsgenie/alerts.json",
            page(
                ALERTS,
                "api.opsgenie.com",
                r#""first": "{first}", "last": "{last}""#,
            ),
        ),
        ("pagerduty/analytics.json", april),
    ]);
    let tmp = built(
        input.path(),
        &[
            "--from",
            "2026-01-01",
            "--to",
            "2026-04-30",
            "--as-of",
            "2026-05-01T00:00:00Z",
        ],
    );
    let gaps = exceptions(&tmp, "period_not_covered");
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert!(
        gaps[0]
            .1
            .starts_with("no system's export holds a record from 2026-01-31T23:00:00Z to 2026-04-05T10:00:00Z (63 d 11 h)"),
        "{}",
        gaps[0].1
    );
    assert!(
        gaps[0]
            .1
            .contains("Opsgenie: 5 alerts created 2026-01-05 to 2026-01-31")
    );
    // The mixed fixture (January and February) leaves no such stretch: the largest, 02-10 to
    // 03-01 (18 d 14 h), is shorter than Opsgenie's quiet 23 d 13 h.
    let input = mixed();
    let tmp = built(input.path(), &PERIOD);
    assert!(exceptions(&tmp, "period_not_covered").is_empty());
}

#[test]
fn a_postmortem_number_held_by_both_systems_is_ambiguous_and_an_alert_id_links() {
    let input = mixed();
    let pm = input.path().join("postmortems");
    fs::create_dir_all(&pm).unwrap();
    // `#1` is PagerDuty's PA00001 and Opsgenie's alert 1: ambiguous.
    fs::write(
        pm.join("PM-1.md"),
        "# Postmortem\n\nDate: 2026-02-06\n\n## Summary\ndb down\n## Root cause\ndisk\n## Action items\n- fix (owner: Ann, due 2026-03-01)\n",
    )
    .unwrap();
    // Opsgenie's #3 named by its alert id, not its number.
    fs::write(
        pm.join("disk-full.md"),
        "# Postmortem\n\nAlert a1b2c3d4-0000-4000-8000-000000000003 (disk full).\nDate: 2026-02-02\n\n## Summary\ndisk\n## Root cause\nlogs\n## Action items\n- rotate (owner: Bob, due 2026-03-01)\n",
    )
    .unwrap();
    let tmp = built(input.path(), &PERIOD);
    let ambiguous = exceptions(&tmp, "postmortem_ambiguous");
    assert_eq!(ambiguous.len(), 1, "{ambiguous:?}");
    assert!(
        ambiguous[0].1.contains("PagerDuty PA00001")
            && ambiguous[0]
                .1
                .contains("Opsgenie 70413a06-38d6-4c85-92b8-5ebc900d42e2-1767607200000"),
        "{}",
        ambiguous[0].1
    );
    let docs = read_csv(&derived(&tmp, "postmortems.csv"));
    let linked = row(&docs, "document", "postmortems/disk-full.md");
    assert_eq!(linked["incident_number"], "3", "{linked:?}");
}

#[test]
fn a_dump_of_alerts_without_the_envelope_is_read() {
    // A JSON list of the alerts themselves (`jq '[.data[]]'` of the pages): 5 alerts, no
    // paging to check.
    let input = folder(&[("opsgenie/alerts.json", ALERTS.to_string())]);
    let tmp = built(input.path(), &PERIOD);
    let og = input_row(&tmp, "opsgenie/alerts.json");
    assert_eq!(
        (
            og["format"].as_str(),
            og["rows_read"].as_str(),
            og["rows_used"].as_str()
        ),
        ("opsgenie-alerts", "5", "5")
    );
    assert!(exceptions(&tmp, "incomplete_export").is_empty());
}

#[test]
fn a_bad_alert_is_a_rejected_row_with_its_reason() {
    // #2's closeTime is a string, #3's createdAt is no time: both rejected, named by their
    // tinyId; the three others are used.
    let alerts = ALERTS
        .replace(r#""closeTime": 3600000"#, r#""closeTime": "3600000""#)
        .replace(
            r#""createdAt": "2026-01-31T23:00:00.000Z""#,
            r#""createdAt": "yesterday""#,
        );
    let input = folder(&[("opsgenie/alerts.json", alerts)]);
    let tmp = built(input.path(), &PERIOD);
    let rejected = read_csv(&derived(&tmp, "rejected_rows.csv"));
    let reasons: Vec<&str> = rejected.iter().map(|r| r["reason"].as_str()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[0].contains("`report.closeTime` is a string; a number of milliseconds"),
        "{reasons:?}"
    );
    assert!(reasons[1].contains("`createdAt`"), "{reasons:?}");
    let og = input_row(&tmp, "opsgenie/alerts.json");
    assert_eq!(
        (
            og["rows_read"].as_str(),
            og["rows_used"].as_str(),
            og["rows_rejected"].as_str()
        ),
        ("5", "3", "2")
    );
}

#[test]
fn the_generator_writes_opsgenie_pages_and_a_migration() {
    let tmp = tempfile::tempdir().unwrap();
    for format in ["opsgenie-json", "opsgenie-migration"] {
        let out = crate::auditpack(tmp.path())
            .args([
                "generate",
                "--incidents",
                "400",
                "--seed",
                "3",
                "--clean",
                "--format",
                format,
                "--out",
                format,
                "--population",
            ])
            .output()
            .unwrap();
        assert_success(&out);
        let input = tmp.path().join(format);
        assert!(input.join("opsgenie/alerts-page-001.json").exists());
        let built = built(&input, &[]);
        let register = read_csv(&derived(&built, "incident_register.csv"));
        let systems: std::collections::BTreeSet<&str> = register
            .iter()
            .map(|r| r["source_system"].as_str())
            .collect();
        let results = read_csv(&derived(&built, "results.csv"));
        assert_eq!(
            row(&results, "measure", "exports_complete")["verdict"],
            "met"
        );
        // The generated policy maps Opsgenie's P5: no alert is unclassified (PagerDuty's
        // incidents without a priority are, as in sample-data).
        let unclassified = exceptions(&built, "unclassified");
        assert!(
            !unclassified
                .iter()
                .any(|(_, d)| d.starts_with("Opsgenie alert: ")),
            "{unclassified:?}"
        );
        match format {
            "opsgenie-json" => assert_eq!(systems, ["opsgenie"].into()),
            _ => {
                assert_eq!(systems, ["opsgenie", "pagerduty"].into());
                // PagerDuty's totals count PagerDuty's half alone, and agree.
                assert_eq!(
                    row(&results, "measure", "pagerduty_totals_agree")["verdict"],
                    "met"
                );
                assert!(exceptions(&built, "period_not_covered").is_empty());
            }
        }
    }
}

#[test]
fn hostile_alerts_are_rejected_rows_and_broken_paging_is_incomplete() {
    let items: Vec<serde_json::Value> = serde_json::from_str(ALERTS).unwrap();
    let with = |k: usize, key: &str, v: serde_json::Value| {
        let mut a = items[k].clone();
        a[key] = v;
        a
    };
    // A damaged first item (no tinyId) does not hide the page; extreme and negative
    // numbers, an unknown status and a numeric tinyId with a bad ackTime are rejected rows.
    let mut bad_ack = with(4, "tinyId", serde_json::json!(5));
    bad_ack["report"]["ackTime"] = serde_json::json!(-5);
    let data = serde_json::json!([
        {"id": "x"},
        with(0, "tinyId", "9223372036854775807".into()),
        with(1, "tinyId", "-3".into()),
        with(2, "status", "acked".into()),
        items[3].clone(),
        bad_ack,
    ]);
    let input = folder(&[(
        "opsgenie/alerts.json",
        page(
            &data.to_string(),
            "api.opsgenie.com",
            r#""first": "{first}", "last": "{last}""#,
        ),
    )]);
    let tmp = built(input.path(), &PERIOD);
    let og = input_row(&tmp, "opsgenie/alerts.json");
    // 6 read: #4 used; the other five rejected.
    assert_eq!(
        (
            og["format"].as_str(),
            og["rows_read"].as_str(),
            og["rows_used"].as_str(),
            og["rows_rejected"].as_str()
        ),
        ("opsgenie-alerts", "6", "1", "5")
    );
    let rejected = read_csv(&derived(&tmp, "rejected_rows.csv"));
    let reasons: Vec<&str> = rejected.iter().map(|r| r["reason"].as_str()).collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("is not a whole number from 0 to")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("`status` is `acked`")),
        "{reasons:?}"
    );
    // `paging` that is not links: the page cannot be placed.
    let input = folder(&[(
        "opsgenie/alerts.json",
        format!(r#"{{"data": {ALERTS}, "paging": "garbage"}}"#),
    )]);
    let tmp = built(input.path(), &PERIOD);
    let incomplete = exceptions(&tmp, "incomplete_export");
    assert_eq!(incomplete.len(), 1, "{incomplete:?}");
    assert!(
        incomplete[0]
            .1
            .contains("`paging` is not an object of links"),
        "{}",
        incomplete[0].1
    );
    // A `last` link to a page the inputs lack: page 1 (offset 0, `next` 5) and page 2
    // (offset 5 by its `prev`, no `next`) both say the listing's last page is at offset 10.
    let link = |offset: u32| {
        format!(
            "https://api.opsgenie.com/v2/alerts?query=q&offset={offset}&limit=5&sort=createdAt&order=asc"
        )
    };
    let first = format!(
        r#""first": "{}", "next": "{}", "last": "{}""#,
        link(0),
        link(5),
        link(10)
    );
    let second = format!(
        r#""first": "{}", "prev": "{}", "last": "{}""#,
        link(0),
        link(0),
        link(10)
    );
    let six: Vec<serde_json::Value> = vec![with(4, "tinyId", "6".into())];
    let mut six0 = six[0].clone();
    six0["id"] = "a1b2c3d4-0000-4000-8000-000000000006".into();
    let input = folder(&[
        ("opsgenie/a1.json", page(ALERTS, "api.opsgenie.com", &first)),
        (
            "opsgenie/a2.json",
            page(
                &serde_json::to_string(&[six0]).unwrap(),
                "api.opsgenie.com",
                &second,
            ),
        ),
    ]);
    let tmp = built(input.path(), &PERIOD);
    let incomplete = exceptions(&tmp, "incomplete_export");
    assert!(
        incomplete
            .iter()
            .any(|(_, d)| d.contains("`paging.last` link names offset 10")),
        "{incomplete:?}"
    );
}

#[test]
fn an_alert_and_a_pagerduty_incident_of_one_id_are_two_records() {
    let alerts = ALERTS.replace(
        "70413a06-38d6-4c85-92b8-5ebc900d42e2-1767607200000",
        "PA00001",
    );
    let input = folder(&[
        (
            "opsgenie/alerts.json",
            page(
                &alerts,
                "api.opsgenie.com",
                r#""first": "{first}", "last": "{last}""#,
            ),
        ),
        ("pagerduty/analytics.json", PAGERDUTY.to_string()),
    ]);
    let tmp = built(input.path(), &PERIOD);
    // 5 alerts + 2 incidents = 7, no duplicate.
    assert_eq!(read_csv(&derived(&tmp, "incident_register.csv")).len(), 7);
    assert!(exceptions(&tmp, "conflicting_duplicate").is_empty());
}

#[test]
fn a_long_one_line_page_is_read_in_linear_time() {
    // 20,000 alerts on one line (as curl saves a page): every row on line 1, and the build
    // finishes (the line of each item used to be counted from the file's start).
    let one: serde_json::Value =
        serde_json::from_str::<Vec<serde_json::Value>>(ALERTS).unwrap()[4].clone();
    let data: Vec<serde_json::Value> = (1..=20_000)
        .map(|n| {
            let mut a = one.clone();
            a["tinyId"] = n.to_string().into();
            a["id"] = format!("a1b2c3d4-0000-4000-8000-{n:012}").into();
            a
        })
        .collect();
    let text = format!(
        r#"{{"data":{},"paging":{{}},"took":0.1,"requestId":"r"}}"#,
        serde_json::to_string(&data).unwrap()
    );
    let input = folder(&[("opsgenie/alerts.json", text)]);
    let tmp = built(input.path(), &PERIOD);
    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    assert_eq!(register.len(), 20_000);
    assert!(register.iter().all(|r| r["source_line"] == "1"));
}
