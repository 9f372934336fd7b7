//! Malformed files and bad arguments stop the run with exit 2 and a located message.

use std::fs;

use crate::{auditpack, outcome};

/// Writes `files` into a fresh folder, runs `build` on it, and returns the outcome text.
fn build_with(files: &[(&str, &[u8])], extra: &[&str]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    fs::create_dir(&input).unwrap();
    for (name, bytes) in files {
        fs::write(input.join(name), bytes).unwrap();
    }
    let mut args = vec!["build", "--input", "in", "--out", "out"];
    args.extend_from_slice(extra);
    let out = auditpack(tmp.path()).args(&args).output().unwrap();
    assert!(
        !tmp.path().join("out").exists(),
        "a failed run must not leave output"
    );
    outcome(&out, tmp.path())
}

const GOOD: &[u8] = b"id,incident_number,created_at,seconds_to_first_ack,seconds_to_resolve\nP1,1,2026-01-01T00:00:00Z,60,600\n";

#[test]
fn missing_required_column() {
    insta::assert_snapshot!(build_with(
        &[("incidents.csv", b"id,incident_number,created_at,seconds_to_resolve\nP1,1,2026-01-01T00:00:00Z,600\n")],
        &[]
    ), @r"
    exit_code: 2
    ----- stdout -----
    ----- stderr -----
    error: in/incidents.csv:1:1: missing required column `seconds_to_first_ack` (this header looks like the Analytics incidents export)
    hint: re-export the file from PagerDuty as UTF-8, or move it out of the input folder
    ");
}

#[test]
fn broken_quoting() {
    insta::assert_snapshot!(build_with(
        &[("incidents.csv", b"id,incident_number,created_at,seconds_to_first_ack,seconds_to_resolve\nP1,1,2026-01-01T00:00:00Z,60,600\nP2,2,\"2026-01-01T00:00:00Z,60,600\nP3,3,2026-01-01T00:00:00Z,60,600\n")],
        &[]
    ), @r#"
    exit_code: 2
    ----- stdout -----
    ----- stderr -----
    error: in/incidents.csv:3:1: a quoted field is never closed; expected a closing `"` before the end of the file
    hint: re-export the file from PagerDuty as UTF-8, or move it out of the input folder
    "#);
}

#[test]
fn invalid_json() {
    insta::assert_snapshot!(build_with(
        &[("page.json", b"{\"data\": [\n  {\"id\": \"P1\",}\n]}\n")],
        &[]
    ), @r"
    exit_code: 2
    ----- stdout -----
    ----- stderr -----
    error: in/page.json:2:15: invalid JSON: key must be a string
    hint: re-export the file from PagerDuty as UTF-8, or move it out of the input folder
    ");
}

#[test]
fn utf16_export() {
    let mut bytes = vec![0xFF, 0xFE];
    for c in "id,created_at\r\n".encode_utf16() {
        bytes.extend_from_slice(&c.to_le_bytes());
    }
    insta::assert_snapshot!(build_with(&[("incidents.csv", &bytes)], &[]), @r"
    exit_code: 2
    ----- stdout -----
    ----- stderr -----
    error: in/incidents.csv:1:1: UTF-16 text; expected UTF-8 (re-save the export as UTF-8)
    hint: re-export the file from PagerDuty as UTF-8, or move it out of the input folder
    ");
}

#[test]
fn empty_export() {
    insta::assert_snapshot!(build_with(&[("incidents.csv", b""), ("ok.csv", GOOD)], &[]), @r"
    exit_code: 2
    ----- stdout -----
    ----- stderr -----
    error: in/incidents.csv: the file is empty; expected an incidents export
    hint: re-export the file from PagerDuty as UTF-8, or move it out of the input folder
    ");
}

#[test]
fn duplicate_header_names() {
    insta::assert_snapshot!(build_with(
        &[("incidents.csv", b"id,created_at,seconds_to_first_ack,seconds_to_resolve,seconds_to_first_ack\n")],
        &[]
    ), @r"
    exit_code: 2
    ----- stdout -----
    ----- stderr -----
    error: in/incidents.csv:1:5: columns 3 and 5 both give `seconds_to_first_ack`; expected each column once
    hint: re-export the file from PagerDuty as UTF-8, or move it out of the input folder
    ");
}

#[test]
fn nothing_recognised() {
    insta::assert_snapshot!(build_with(&[("notes.txt", b"hello\n")], &[]), @r"
    exit_code: 2
    ----- stdout -----
    ----- stderr -----
    error: no incident export found in `in`: looked at `notes.txt` (not an incidents export: its header lacks `id`, `created_at` (or `created_on`) and one of `seconds_to_first_ack`, `seconds_to_resolve`, `resolved_at` (or `resolved_on`))
    hint: put the PagerDuty incidents export (Analytics CSV or JSON, REST incidents, or the classic incidents.csv) in that folder
    ");
}

#[test]
fn bad_policy_duration_names_line_and_key() {
    insta::assert_snapshot!(build_with(
        &[("incidents.csv", GOOD), ("policy.toml", b"[organization]\nname = \"X\"\n\n[[severity]]\nname = \"P1\"\nack_within = \"five minutes\"\n")],
        &[]
    ), @r"
    exit_code: 2
    ----- stdout -----
    ----- stderr -----
    error: in/policy.toml:6:14: `severity.ack_within`: `five minutes` is not a duration (expected e.g. `90s`, `5m`, `4h`, `7d`, `next-business-day` or `8 business hours`)
    hint: fix that line of the policy; `auditpack init` writes a commented default with every key
    ");
}

#[test]
fn bad_policy_unknown_key_and_time_zone() {
    insta::assert_snapshot!(build_with(
        &[("incidents.csv", GOOD), ("policy.toml", b"[organization]\ntimezone = \"Mars/Olympus\"\n")],
        &[]
    ), @r"
    exit_code: 2
    ----- stdout -----
    ----- stderr -----
    error: in/policy.toml:2:12: `organization.timezone`: `Mars/Olympus` is not an IANA time zone (expected e.g. `UTC`, `Europe/Berlin`, `America/New_York`)
    hint: fix that line of the policy; `auditpack init` writes a commented default with every key
    ");
    insta::assert_snapshot!(build_with(
        &[("incidents.csv", GOOD), ("policy.toml", b"[targets]\nack_pct = 95\n")],
        &[]
    ), @r"
    exit_code: 2
    ----- stdout -----
    ----- stderr -----
    error: in/policy.toml:2:1: unknown field `ack_pct`, expected `ack_within_sla_pct` or `resolve_within_sla_pct`
    hint: fix that line of the policy; `auditpack init` writes a commented default with every key
    ");
}

#[test]
fn bad_period() {
    insta::assert_snapshot!(build_with(&[("incidents.csv", GOOD)], &["--from", "2026-02-01", "--to", "2026-01-01"]), @r"
    exit_code: 2
    ----- stdout -----
    ----- stderr -----
    error: the period is empty: `--to` 2026-01-01 is before `--from` 2026-02-01
    hint: see `auditpack build --help` for the options and examples
    ");
    insta::assert_snapshot!(build_with(&[("incidents.csv", GOOD)], &["--from", "January"]), @r"
    exit_code: 2
    ----- stdout -----
    ----- stderr -----
    error: `--from`: `January` is not a date (expected `YYYY-MM-DD`, e.g. `2026-01-31`)
    hint: see `auditpack build --help` for the options and examples
    ");
}

#[test]
fn missing_input_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = auditpack(tmp.path())
        .args(["stats", "--input", "nowhere"])
        .output()
        .unwrap();
    insta::assert_snapshot!(outcome(&out, tmp.path()), @r"
    exit_code: 2
    ----- stdout -----
    ----- stderr -----
    error: cannot read `nowhere`
      cause: No such file or directory (os error 2)
    hint: check the path: it does not exist
    ");
}

#[test]
fn flags_are_checked_before_any_input_is_read() {
    // The input folder does not exist: a bad date is reported first, as nothing is read
    // before the flags are checked.
    let tmp = tempfile::tempdir().unwrap();
    for (flag, value, message) in [
        (
            "--from",
            "2026-13-01",
            "`--from`: `2026-13-01` is not a date",
        ),
        ("--as-of", "soon", "`--as-of`: "),
    ] {
        let out = auditpack(tmp.path())
            .args(["build", "--input", "missing", "--out", "out", flag, value])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(message), "{stderr}");
        assert!(
            !stderr.contains("missing"),
            "the folder was looked at: {stderr}"
        );
    }
    let out = auditpack(tmp.path())
        .args([
            "stats",
            "--input",
            "missing",
            "--from",
            "2026-03-01",
            "--to",
            "2026-02-01",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("the period is empty"), "{stderr}");
}
