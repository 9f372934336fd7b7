//! The figures an auditor accepts: only an acknowledgement meets the acknowledgement target,
//! who responded, documented exclusions and merges, business-hours targets. Every fixture is
//! small and written here; the expected values are worked out by hand beside them.

use std::fs;

use crate::{assert_success, build, built, derived, fixture, folder, read_csv, row};

const SLA_ARGS: [&str; 6] = [
    "--from",
    "2026-01-01",
    "--to",
    "2026-01-31",
    "--as-of",
    "2026-01-31T00:00:00Z",
];

/// A copy of a fixture folder with `extra` appended to its policy.
fn with_policy(name: &str, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(fixture(name)).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    let policy = dir.path().join("policy.toml");
    let mut text = fs::read_to_string(&policy).unwrap();
    text.push_str(extra);
    fs::write(&policy, text).unwrap();
    dir
}

fn text(tmp: &tempfile::TempDir, name: &str) -> String {
    fs::read_to_string(derived(tmp, name)).unwrap()
}

#[test]
fn an_auto_resolved_p1_misses_the_acknowledgement_target_by_default() {
    // The `sla` fixture's P1 #3 was resolved in 200 s and #4 in 400 s, nobody
    // acknowledging either: both miss the 5-minute acknowledgement target.
    let tmp = built(&fixture("sla"), &SLA_ARGS);
    let exceptions = text(&tmp, "exceptions.csv");
    assert!(
        exceptions.contains(
            "3,P1,ack_breach,resolved after 200 s without acknowledgement; target 5m; never acknowledged"
        ),
        "{exceptions}"
    );
    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    assert_eq!(
        row(&register, "incident_number", "3")["ack_sla_met"],
        "false"
    );
    assert_eq!(
        text(&tmp, "exclusions.csv"),
        "incident_number,rule,reason\n"
    );
}

#[test]
fn resolved_without_ack_exclude_leaves_the_denominator_and_lists_each() {
    let input = with_policy(
        "sla",
        "\n[acknowledgement]\nresolved_without_ack = \"exclude\"\n",
    );
    let tmp = built(input.path(), &SLA_ARGS);
    let rows = read_csv(&derived(&tmp, "sla_summary.csv"));
    let p1 = row(&rows, "severity", "P1");
    // P1: #1 met (300 s), #2 breach (301 s), #5 met (60 s); #3 and #4 resolved without
    // acknowledgement leave the denominator → 2 of 3 = 66.67 %. They stay in the
    // population (incidents 5, resolved 5) and are counted as resolved unacknowledged.
    assert_eq!(
        (
            p1["incidents"].as_str(),
            p1["acknowledged"].as_str(),
            p1["resolved_unacknowledged"].as_str(),
            p1["ack_within_sla"].as_str(),
            p1["ack_within_sla_pct"].as_str(),
            p1["resolved"].as_str(),
        ),
        ("5", "3", "2", "2", "66.67", "5")
    );
    // ALL: met 2 (P1) + 2 (P2) + 1 (P4) of 3 + 2 + 2 judged = 5/7 = 71.43 %.
    let all = row(&rows, "severity", "ALL");
    assert_eq!(all["ack_within_sla_pct"], "71.43");
    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    let ack = |n: &str| row(&register, "incident_number", n)["ack_sla_met"].clone();
    assert_eq!(
        [ack("1"), ack("2"), ack("3"), ack("4")],
        ["true", "false", "excluded", "excluded"]
    );
    let exceptions = text(&tmp, "exceptions.csv");
    assert!(
        exceptions
            .contains("3,P1,excluded_unacknowledged,resolved after 200 s without acknowledgement"),
        "{exceptions}"
    );
    assert!(
        exceptions
            .contains("4,P1,excluded_unacknowledged,resolved after 400 s without acknowledgement")
    );
    assert!(!exceptions.contains("3,P1,ack_breach"));
    // Not a documented exclusion: exclusions.csv stays empty.
    assert_eq!(
        text(&tmp, "exclusions.csv"),
        "incident_number,rule,reason\n"
    );
    let monthly = read_csv(&derived(&tmp, "monthly_trends.csv"));
    let jan = monthly
        .iter()
        .find(|r| r["month"] == "2026-01" && r["severity"] == "P1")
        .unwrap();
    assert_eq!(jan["resolved_unacknowledged"], "2");
}

const ANALYTICS_HEADER: &str = "id,incident_number,description,created_at,resolved_at,status,urgency,priority_name,service_name,escalation_policy_name,seconds_to_first_ack,seconds_to_resolve";

#[test]
fn responders_from_analytics_csv_json_and_classic_csv() {
    // Analytics CSV: cells kept verbatim (a name with a comma stays whole).
    let csv = format!(
        "{ANALYTICS_HEADER},assigned_user_names,acknowledged_user_names,resolved_by_user_name,html_url\n\
         P1,1,Checkout down,2026-01-05T10:00:00,,resolved,high,P1,checkout,Tier 1,60,600,\"Lima, Ana\",\"Lima, Ana\",Ben Okafor,https://x.pagerduty.com/incidents/P1\n\
         P2,2,Auto-closed,2026-01-05T11:00:00,,resolved,high,P1,checkout,Tier 1,,85,,,,\n"
    );
    let input = folder(&[("incidents.csv", &csv)]);
    let tmp = built(input.path(), &SLA_ARGS);
    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    let r = row(&register, "incident_number", "1");
    assert_eq!(
        (
            r["assigned_to"].as_str(),
            r["acknowledged_by"].as_str(),
            r["resolved_by"].as_str(),
            r["escalation_policy"].as_str(),
            r["url"].as_str()
        ),
        (
            "Lima, Ana",
            "Lima, Ana",
            "Ben Okafor",
            "Tier 1",
            "https://x.pagerduty.com/incidents/P1"
        )
    );
    // #2 has the responder columns and names nobody: `no_responder`.
    let exceptions = text(&tmp, "exceptions.csv");
    assert!(exceptions.contains("2,P1,no_responder,"), "{exceptions}");
    assert!(!exceptions.contains("1,P1,no_responder"));

    // Analytics JSON: lists joined by `; `.
    let json = r#"{"time_zone": "Etc/UTC", "data": [
      {"id": "PJ1", "incident_number": 1, "description": "x", "created_at": "2026-01-05T10:00:00",
       "resolved_at": "2026-01-05T10:10:00", "priority_name": "P1", "seconds_to_first_ack": 60,
       "seconds_to_resolve": 600, "assigned_user_names": ["Ana Lima", "Ben Okafor"],
       "acknowledged_user_names": ["Ben Okafor"], "resolved_by_user_name": null},
      {"id": "PJ2", "incident_number": 2, "description": "y", "created_at": "2026-01-05T11:00:00",
       "resolved_at": "2026-01-05T11:01:25", "priority_name": "P1", "seconds_to_first_ack": null,
       "seconds_to_resolve": 85, "assigned_user_names": [], "acknowledged_user_names": []}
    ]}"#;
    let input = folder(&[("page.json", json)]);
    let tmp = built(input.path(), &SLA_ARGS);
    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    let r = row(&register, "incident_number", "1");
    assert_eq!(r["assigned_to"], "Ana Lima; Ben Okafor");
    assert_eq!(r["acknowledged_by"], "Ben Okafor");
    assert_eq!(r["resolved_by"], "");
    assert!(text(&tmp, "exceptions.csv").contains("2,P1,no_responder,"));

    // Classic incidents.csv: its own column names.
    let classic = "id,incident_number,description,service_name,escalation_policy_name,created_on,resolved_on,seconds_to_first_ack,seconds_to_resolve,urgency,acknowledged_by_user_names,assigned_to_user_names,resolved_by_user_name\n\
                   PC1,1,x,checkout,Tier 1,2026-01-05T10:00:00,2026-01-05T10:10:00,60,600,high,Ana Lima,Ana Lima,Ana Lima\n";
    let input = folder(&[("incidents.csv", classic)]);
    let tmp = built(input.path(), &SLA_ARGS);
    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    let r = row(&register, "incident_number", "1");
    assert_eq!(
        (
            r["assigned_to"].as_str(),
            r["acknowledged_by"].as_str(),
            r["resolved_by"].as_str()
        ),
        ("Ana Lima", "Ana Lima", "Ana Lima")
    );

    // An export without responder fields names nobody and claims nothing: no
    // `no_responder` (the `sla` fixture has no such column).
    let tmp = built(&fixture("sla"), &SLA_ARGS);
    assert!(!text(&tmp, "exceptions.csv").contains("no_responder"));
}

#[test]
fn responders_from_rest_log_entries() {
    let (tmp, out) = build(
        &fixture("rest"),
        &["--from", "2026-03-01", "--to", "2026-03-31"],
    );
    assert_success(&out);
    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    // #101: acknowledged and resolved by Ben Okafor (user agents of the entries).
    let r = row(&register, "incident_number", "101");
    assert_eq!(r["acknowledged_by"], "Ben Okafor");
    assert_eq!(r["resolved_by"], "Ben Okafor");
    assert_eq!(r["escalation_policy"], "Production - Tier 1");
    // #105 was resolved by its service (agent `service_reference`): nobody resolved it.
    assert_eq!(row(&register, "incident_number", "105")["resolved_by"], "");
}

#[test]
fn documented_exclusions_are_listed_and_reconciled() {
    // #2 checkout inside the window: exclusion 1. #3 a test incident: exclusion 2. #1
    // checkout at the window's end (exclusive) and #4 search inside it: judged.
    let csv = format!(
        "{ANALYTICS_HEADER}\n\
         E1,2,Checkout errors,2026-01-10T02:30:00,,resolved,high,P1,checkout,Tier 1,60,600\n\
         E2,3,[TEST] synthetic page,2026-01-11T10:00:00,,resolved,high,P1,search,Tier 1,,60\n\
         E3,1,Checkout errors,2026-01-10T04:00:00,,resolved,high,P1,checkout,Tier 1,400,600\n\
         E4,4,Search slow,2026-01-10T03:00:00,,resolved,high,P1,search,Tier 1,60,600\n"
    );
    let policy = "[[exclusion]]\nreason = \"Load test CHG-1042\"\nservices = [\"Checkout\"]\n\
                  from = \"2026-01-10T02:00\"\nto = \"2026-01-10T04:00\"\n\n\
                  [[exclusion]]\nreason = \"Synthetic test incidents\"\nmatch = [\"[test]\"]\n";
    let input = folder(&[("incidents.csv", csv.as_str()), ("policy.toml", policy)]);
    let tmp = built(input.path(), &SLA_ARGS);
    assert_eq!(
        text(&tmp, "exclusions.csv"),
        "incident_number,rule,reason\n2,exclusion 1,Load test CHG-1042\n3,exclusion 2,Synthetic test incidents\n"
    );
    // The excluded incidents are in the export: 2 and 3 are no gap in the numbering.
    assert!(!text(&tmp, "exceptions.csv").contains("incident_number_gap"));
    // Judged: #1 (400 s, breach) and #4 (60 s, met) → 1 of 2.
    let rows = read_csv(&derived(&tmp, "sla_summary.csv"));
    let p1 = row(&rows, "severity", "P1");
    assert_eq!(
        (p1["incidents"].as_str(), p1["ack_within_sla"].as_str()),
        ("2", "1")
    );
    // Rows used = judged (2) + excluded (2).
    let inputs = read_csv(&derived(&tmp, "inputs.csv"));
    let f = row(&inputs, "file", "incidents.csv");
    assert_eq!(
        (f["rows_used"].as_str(), f["rows_excluded"].as_str()),
        ("4", "2")
    );
    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    let numbers: Vec<&str> = register
        .iter()
        .map(|r| r["incident_number"].as_str())
        .collect();
    assert_eq!(numbers, ["4", "1"]);
}

#[test]
fn a_merged_incident_is_excluded_with_its_target() {
    let incidents = r#"{"incidents": [
      {"id": "PM1", "incident_number": 201, "title": "Checkout down", "created_at": "2026-01-05T10:00:00Z",
       "status": "resolved", "urgency": "high", "priority": {"summary": "P1"},
       "service": {"summary": "checkout"}, "resolved_at": "2026-01-05T11:00:00Z"},
      {"id": "PM2", "incident_number": 202, "title": "Checkout 5xx", "created_at": "2026-01-05T10:01:00Z",
       "status": "resolved", "urgency": "high", "priority": {"summary": "P1"},
       "service": {"summary": "checkout"}, "resolved_at": "2026-01-05T10:02:00Z",
       "resolve_reason": {"type": "merge_resolve_reason",
         "incident": {"id": "PM1", "type": "incident_reference", "summary": "[#201] Checkout down"}}},
      {"id": "PM3", "incident_number": 203, "title": "Checkout again", "created_at": "2026-01-06T10:00:00Z",
       "status": "resolved", "urgency": "high", "priority": {"summary": "P1"},
       "service": {"summary": "checkout"}, "resolved_at": "2026-01-06T10:01:00Z"},
      {"id": "PM4", "incident_number": 204, "title": "Checkout once more", "created_at": "2026-01-06T11:00:00Z",
       "status": "resolved", "urgency": "high", "priority": {"summary": "P1"},
       "service": {"summary": "checkout"}, "resolved_at": "2026-01-06T11:01:00Z",
       "resolve_reason": {"type": "merge_resolve_reason", "incident": {"id": "PM1"}}}
    ]}"#;
    // #203 is merged too, as its resolve log entry says (no resolve_reason on the object).
    let log = r#"{"log_entries": [
      {"id": "L1", "type": "acknowledge_log_entry", "created_at": "2026-01-05T10:03:00Z",
       "agent": {"type": "user_reference", "summary": "Ana Lima"}, "incident": {"id": "PM1"}},
      {"id": "L2", "type": "resolve_log_entry", "created_at": "2026-01-05T11:00:00Z",
       "agent": {"type": "user_reference", "summary": "Ana Lima"}, "incident": {"id": "PM1"}},
      {"id": "L3", "type": "resolve_log_entry", "created_at": "2026-01-05T10:02:00Z",
       "agent": {"type": "user_reference", "summary": "Ana Lima"}, "incident": {"id": "PM2"}},
      {"id": "L4", "type": "resolve_log_entry", "created_at": "2026-01-06T10:01:00Z",
       "summary": "Resolved by merging into #201",
       "agent": {"type": "user_reference", "summary": "Ana Lima"}, "incident": {"id": "PM3"}},
      {"id": "L5", "type": "resolve_log_entry", "created_at": "2026-01-06T11:01:00Z",
       "agent": {"type": "user_reference", "summary": "Ana Lima"}, "incident": {"id": "PM4"}}
    ]}"#;
    let input = folder(&[("incidents.json", incidents), ("log-entries.json", log)]);
    let tmp = built(input.path(), &SLA_ARGS);
    assert_eq!(
        text(&tmp, "exclusions.csv"),
        "incident_number,rule,reason\n202,merge,merged into #201\n203,merge,merged into #201\n204,merge,merged into #201\n"
    );
    // #204's reference names only the id: its number comes from the export. The log
    // entries of the merged incidents are used, not outside the period.
    let inputs = read_csv(&derived(&tmp, "inputs.csv"));
    let log = row(&inputs, "file", "log-entries.json");
    assert_eq!(
        (
            log["rows_used"].as_str(),
            log["rows_outside_period"].as_str()
        ),
        ("5", "0")
    );
    // Only #201 is judged: acknowledged after 180 s (met), resolved after 1 h (met). The
    // merged ones' 1- and 2-minute "resolutions" are not counted as fast resolutions.
    let rows = read_csv(&derived(&tmp, "sla_summary.csv"));
    let p1 = row(&rows, "severity", "P1");
    assert_eq!(
        (
            p1["incidents"].as_str(),
            p1["resolved"].as_str(),
            p1["mttr_s"].as_str()
        ),
        ("1", "1", "3600.0")
    );
}

#[test]
fn business_hours_targets_run_on_the_business_clock() {
    // P3 acknowledge within 1 business hour, hours 09:00–17:00, Monday 2026-01-05 a
    // holiday.
    // #1 Friday 2025-11-14 16:30 + 1 bh = Monday 09:30 = 2 d 17 h = 234,000 s: met at
    //    234,000 s exactly (inclusive).
    // #2 the same, acknowledged one second later: breach.
    // #3 Friday 2026-01-02 16:30: 30 min on Friday, Monday is a holiday, the other 30 on
    //    Tuesday → Tuesday 09:30 = 3 d 17 h = 320,400 s: met at 320,400 s.
    // #4 Wednesday 2025-11-12 10:00, acknowledged 10:59 (3,540 s): met.
    let csv = format!(
        "{ANALYTICS_HEADER}\n\
         B1,1,a,2025-11-14T16:30:00,,resolved,low,P3,search,Tier 2,234000,300000\n\
         B2,2,b,2025-11-14T16:30:00,,resolved,low,P3,search,Tier 2,234001,300000\n\
         B3,3,c,2026-01-02T16:30:00,,resolved,low,P3,search,Tier 2,320400,500000\n\
         B4,4,d,2025-11-12T10:00:00,,resolved,low,P3,search,Tier 2,3540,7200\n"
    );
    let policy = "[business_hours]\nholidays = [\"2026-01-05\"]\n\n\
                  [[severity]]\nname = \"P3\"\nack_within = \"1 business hour\"\n";
    let input = folder(&[("incidents.csv", csv.as_str()), ("policy.toml", policy)]);
    let tmp = built(
        input.path(),
        &[
            "--from",
            "2025-11-01",
            "--to",
            "2026-01-31",
            "--as-of",
            "2026-02-01T00:00:00Z",
        ],
    );
    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    let ack = |n: &str| row(&register, "incident_number", n)["ack_sla_met"].clone();
    assert_eq!(
        [ack("1"), ack("2"), ack("3"), ack("4")],
        ["true", "false", "true", "true"]
    );
    let exceptions = text(&tmp, "exceptions.csv");
    assert!(
        exceptions.contains(
            "2,P3,ack_breach,\"acknowledged after 2d17h1s (234001 s); target 1 business hour, due 2025-11-17T09:30:00Z; missed by 1s (1 s)\""
        ),
        "{exceptions}"
    );
}

#[test]
fn security_events_are_singled_out_and_judged() {
    // #1 a GuardDuty finding auto-closed in 85 s (P1, nobody acknowledged): a security
    // incident that misses its target. #2 a Dependabot alert acknowledged in 60 s: met.
    // #3 on the `siem` service, priority SEV-1 that the policy does not know: unclassified,
    // so `security_unclassified`. #4 an ordinary incident: not a security event.
    let csv = format!(
        "{ANALYTICS_HEADER}\n\
         S1,1,GuardDuty finding: UnauthorizedAccess,2026-01-05T10:00:00,,resolved,high,P1,aws,Tier 1,,85\n\
         S2,2,dependabot alert on lodash,2026-01-05T11:00:00,,resolved,high,P1,github,Tier 1,60,600\n\
         S3,3,Odd login pattern,2026-01-05T12:00:00,,resolved,high,SEV-1,siem,Tier 1,60,600\n\
         S4,4,Disk full,2026-01-05T13:00:00,,resolved,high,P1,db,Tier 1,60,600\n"
    );
    let policy = "[security]\nmatch = [\"GuardDuty\", \"Dependabot\"]\nservices = [\"SIEM\"]\n";
    let input = folder(&[("incidents.csv", csv.as_str()), ("policy.toml", policy)]);
    let tmp = built(input.path(), &SLA_ARGS);
    let rows = read_csv(&derived(&tmp, "security_incidents.csv"));
    let got: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["incident_number"].as_str(),
                r["severity"].as_str(),
                r["ack_sla_met"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("1", "P1", "false"),
            ("2", "P1", "true"),
            ("3", "unclassified", "")
        ]
    );
    // Judged: #1 and #2 → 1 of 2 = 50.00 % against the 95 % acknowledgement pass line.
    assert!(
        text(&tmp, "results.csv").contains("security,ALL,ack_within_sla_pct,50.00,95.00,not_met")
    );
    let exceptions = text(&tmp, "exceptions.csv");
    assert!(
        exceptions.contains("3,unclassified,security_unclassified,"),
        "{exceptions}"
    );
    assert!(!exceptions.contains("4,unclassified,security_unclassified"));
}

#[test]
fn findings_name_their_severities_and_leave_room_for_the_response() {
    // The sla fixture: P1 #2 acknowledged after 301 s is finding "P1 incidents acknowledged
    // later than 5m", of severity P1; the register's local creation time is UTC here.
    let tmp = built(&fixture("sla"), &SLA_ARGS);
    let findings = text(&tmp, "findings.csv");
    assert!(
        findings
            .lines()
            .next()
            .unwrap()
            .ends_with(",last_incident,severities,management_response,owner,due"),
        "{findings}"
    );
    let rows = read_csv(&derived(&tmp, "findings.csv"));
    let late = row(&rows, "title", "P1 incidents acknowledged later than 5m");
    assert_eq!(late["severities"], "P1");
    assert_eq!(late["management_response"], "");
    let tickets = row(
        &rows,
        "title",
        "Significant incidents without a linked ticket",
    );
    assert_eq!(tickets["severities"], "P1; P2");
    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    assert_eq!(
        row(&register, "incident_number", "1")["created_local"],
        "2026-01-05T10:00:00+00:00"
    );
}
