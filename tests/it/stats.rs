//! `auditpack stats` prints the table and writes nothing.

use std::fs;

use crate::{assert_success, auditpack, build, derived, fixture};

fn stats(format: &str) -> (tempfile::TempDir, std::process::Output) {
    let tmp = tempfile::tempdir().unwrap();
    let out = auditpack(tmp.path())
        .args(["stats", "--input"])
        .arg(fixture("sla"))
        .args(["--as-of", "2026-01-31T00:00:00Z", "--format", format])
        .output()
        .unwrap();
    (tmp, out)
}

#[test]
fn csv_format_is_sla_summary_csv() {
    let (tmp, out) = stats("csv");
    assert!(out.status.success());
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "stats writes nothing"
    );
    let (built, _) = build(&fixture("sla"), &["--as-of", "2026-01-31T00:00:00Z"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        fs::read_to_string(derived(&built, "sla_summary.csv")).unwrap()
    );
}

#[test]
fn table_format() {
    let (_, out) = stats("table");
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
}

#[test]
fn json_format() {
    let (_, out) = stats("json");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["period_from"], "2026-01-01");
    assert_eq!(doc["as_of"], "2026-01-31T00:00:00Z");
    let p1 = &doc["severities"][0];
    assert_eq!(p1["severity"], "P1");
    // #1 and #5; #3 and #4 were resolved without acknowledgement: 2 of 5.
    assert_eq!(p1["ack_within_sla"], 2);
    assert_eq!(p1["ack_within_sla_pct"], 40.0);
    assert_eq!(p1["mtta_s"], 220.3);
    assert!(doc["severities"][4]["ack_within_sla"].is_null());
}

#[test]
fn help() {
    let tmp = tempfile::tempdir().unwrap();
    let out = auditpack(tmp.path()).arg("--help").output().unwrap();
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
    let out = auditpack(tmp.path())
        .args(["build", "--help"])
        .output()
        .unwrap();
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
}

/// `stats` keeps only what the tables use (no titles, services or hashes); on exports with
/// the usual breakage (rejected rows, repeated ids, unknown priorities) and in both export
/// formats it still prints exactly the `sla_summary.csv` a build writes.
#[test]
fn the_summary_equals_the_builds_on_messy_exports() {
    for format in ["analytics-csv", "analytics-json"] {
        let tmp = tempfile::tempdir().unwrap();
        let generated = auditpack(tmp.path())
            .args(["generate", "--incidents", "2500", "--seed", "5"])
            .args(["--format", format, "--out", "gen"])
            .output()
            .unwrap();
        assert!(generated.status.success(), "{generated:?}");
        let input = tmp.path().join("gen");
        let out = auditpack(tmp.path())
            .args(["stats", "--format", "csv", "--input"])
            .arg(&input)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let (built, _) = build(&input, &[]);
        let rejected = fs::read_to_string(derived(&built, "rejected_rows.csv")).unwrap();
        assert!(
            rejected.contains("duplicate of incident"),
            "{format}: no repeats"
        );
        assert!(rejected.lines().count() > 5, "{format}: too few rejections");
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            fs::read_to_string(derived(&built, "sla_summary.csv")).unwrap(),
            "{format}"
        );
    }
}

/// `stats` maps an input of 4 MiB or more instead of reading it; the same rows read from
/// two smaller files (read, not mapped) give the same summary.
#[test]
fn a_mapped_input_summarises_like_read_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let generated = auditpack(tmp.path())
        .args([
            "generate",
            "--incidents",
            "20000",
            "--seed",
            "5",
            "--out",
            "big",
        ])
        .output()
        .unwrap();
    assert_success(&generated);
    let text = fs::read(tmp.path().join("big/analytics-incidents.csv")).unwrap();
    assert!(
        text.len() >= 4 << 20,
        "the export is not large enough to be mapped"
    );
    // Cut after a line break outside quotes, near the middle; both halves get the header.
    let header_end = text.iter().position(|&b| b == b'\n').unwrap() + 1;
    let mut quotes = 0;
    let cut = (0..text.len())
        .find(|&i| {
            quotes += usize::from(text[i] == b'"');
            i >= text.len() / 2 && text[i] == b'\n' && quotes % 2 == 0
        })
        .unwrap()
        + 1;
    fs::create_dir(tmp.path().join("halves")).unwrap();
    fs::copy(
        tmp.path().join("big/policy.toml"),
        tmp.path().join("halves/policy.toml"),
    )
    .unwrap();
    fs::write(tmp.path().join("halves/a.csv"), &text[..cut]).unwrap();
    fs::write(
        tmp.path().join("halves/b.csv"),
        [&text[..header_end], &text[cut..]].concat(),
    )
    .unwrap();
    let summary = |input: &str| {
        let out = auditpack(tmp.path())
            .args(["stats", "--format", "csv", "--input", input])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let whole = summary("big");
    assert!(whole.lines().count() > 4, "{whole}");
    assert_eq!(whole, summary("halves"));
}
