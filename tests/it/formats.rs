//! Each input format on a small real-shaped file, recognised by content, not by name.

use crate::{assert_success, build, derived, fixture, read_csv, row};

#[test]
fn analytics_json_classic_csv_and_unused_files() {
    let (tmp, out) = build(&fixture("formats"), &[]);
    assert_success(&out);
    let inputs = read_csv(&derived(&tmp, "inputs.csv"));
    let kinds: Vec<(String, String, String)> = inputs
        .iter()
        .map(|r| {
            (
                r["file"].clone(),
                r["format"].clone(),
                r["timezone_assumed"].clone(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("NOTES.md".into(), "not_used".into(), "".into()),
            (
                "audit-records.json".into(),
                "pagerduty-audit-records".into(),
                "".into()
            ),
            (
                "legacy-report.csv".into(),
                "classic-csv".into(),
                "Europe/Berlin".into()
            ),
            (
                "page-one.txt".into(),
                "analytics-json".into(),
                "Etc/UTC".into()
            ),
        ]
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("NOTES.md            not used:"), "{stdout}");

    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    // Classic CSV: local Berlin time, 0 s to first ack means never acknowledged, severity by
    // urgency (no priority column); the response is then the resolution, 1 h > 15 min.
    let pc1 = row(&register, "id", "PC1");
    assert_eq!(pc1["created_at"], "2026-02-02T08:00:00Z");
    assert_eq!(pc1["acknowledged_at"], "");
    assert_eq!(pc1["severity"], "P2");
    assert_eq!(pc1["ack_sla_met"], "false");
    assert_eq!(pc1["description"], "Disk full, db-1");
    let pc2 = row(&register, "id", "PC2");
    assert_eq!(pc2["severity"], "P3");
    assert_eq!(pc2["tta_s"], "120.0");
    // Analytics JSON: the envelope's time_zone (UTC) wins over the policy's.
    let pj1 = row(&register, "id", "PJ1");
    assert_eq!(pj1["created_at"], "2026-02-04T10:00:00Z");
    assert_eq!(pj1["severity"], "P1");
    assert_eq!(pj1["team"], "Payments");
    assert_eq!(pj1["source_file"], "page-one.txt");
    assert_eq!(pj1["source_line"], "3");
    // 23:30 UTC on 5 February is 00:30 on the 6th in Berlin: month by the organisation zone.
    let pj2 = row(&register, "id", "PJ2");
    assert_eq!(pj2["severity"], "P3");
    assert_eq!(pj2["month"], "2026-02");
    // Resolved after 1 h with nobody acknowledging: only an acknowledgement meets the
    // acknowledgement target.
    assert_eq!(pj2["ack_sla_met"], "false");
}

#[test]
fn semicolon_separated_csv_from_a_spreadsheet() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    std::fs::write(
        input.join("re-saved.csv"),
        "id;incident_number;created_at;priority_name;seconds_to_first_ack;seconds_to_resolve\r\nPS1;1;2026-01-05 10:00:00;P1;60;600\r\n",
    )
    .unwrap();
    let out = crate::auditpack(tmp.path())
        .args([
            "build",
            "--input",
            "in",
            "--out",
            "out",
            "--register-limit",
            "10",
        ])
        .output()
        .unwrap();
    assert_success(&out);
    let register = read_csv(&tmp.path().join("out/derived/incident_register.csv"));
    assert_eq!(register[0]["id"], "PS1");
    assert_eq!(register[0]["ack_sla_met"], "true");
}

#[test]
fn a_csv_that_is_not_an_export_is_listed_as_not_used() {
    // A REST dump with `title` and `description` but no creation or measured time, beside a
    // real export: not used, with what it lacks; the run goes on.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("sla").join("incidents.csv"),
        dir.path().join("incidents.csv"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rest-dump.csv"),
        "id,title,description,status,html_url\nPX1,Disk,Disk full on db,resolved,https://x\n",
    )
    .unwrap();
    let (tmp, out) = build(dir.path(), &[]);
    assert_success(&out);
    let inputs = read_csv(&derived(&tmp, "inputs.csv"));
    assert_eq!(row(&inputs, "file", "rest-dump.csv")["format"], "not_used");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "its header lacks `created_at` (or `created_on`) and one of `seconds_to_first_ack`"
        ),
        "{stdout}"
    );
}
