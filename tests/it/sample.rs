//! `auditpack sample`: reproducible, sized by the table or `--size`, stratified by severity.

use std::fs;

use crate::{assert_success, auditpack, build, fixture, read_csv};

fn sample(tmp: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["sample", "--bundle", "out/evidence-bundle.zip"];
    all.extend(args);
    auditpack(tmp).args(all).output().unwrap()
}

#[test]
fn the_same_seed_gives_the_same_sample_and_the_default_seed_is_the_bundles() {
    let (tmp, out) = build(&fixture("sla"), &["--as-of", "2026-01-31T00:00:00Z"]);
    assert_success(&out);
    let a = sample(tmp.path(), &["--size", "4", "--seed", "42", "--out", "a"]);
    assert_success(&a);
    let b = sample(tmp.path(), &["--size", "4", "--seed", "42", "--out", "b"]);
    assert_success(&b);
    for f in ["sample.csv", "request-list.csv", "sample-parameters.txt"] {
        assert_eq!(
            fs::read(tmp.path().join("a").join(f)).unwrap(),
            fs::read(tmp.path().join("b").join(f)).unwrap(),
            "{f}"
        );
    }
    let rows = read_csv(&tmp.path().join("a/sample.csv"));
    assert_eq!(rows.len(), 4);
    // Items in register order, all distinct.
    let mut numbers: Vec<u32> = rows
        .iter()
        .map(|r| r["incident_number"].parse().unwrap())
        .collect();
    let sorted = {
        let mut s = numbers.clone();
        s.sort();
        s.dedup();
        s
    };
    assert_eq!(numbers.len(), sorted.len());
    numbers.sort();
    assert_eq!(numbers, sorted);
    // No seed: one derived from the bundle's hash, printed.
    let c = sample(tmp.path(), &["--size", "4", "--out", "c"]);
    let text = String::from_utf8_lossy(&c.stdout);
    assert!(text.contains("(from the bundle's SHA-256)"), "{text}");
    let params = fs::read_to_string(tmp.path().join("c/sample-parameters.txt")).unwrap();
    assert!(params.starts_with("bundle sha256 "), "{params}");
}

#[test]
fn auto_size_and_strata() {
    let (tmp, out) = build(&fixture("sla"), &["--as-of", "2026-01-31T00:00:00Z"]);
    assert_success(&out);
    // 11 incidents: the table's "up to 12" row, 2 items.
    let s = sample(tmp.path(), &["--auto", "--out", "auto"]);
    assert_success(&s);
    assert_eq!(read_csv(&tmp.path().join("auto/sample.csv")).len(), 2);
    // Stratified: every severity present gets at least one item.
    let s = sample(
        tmp.path(),
        &[
            "--size",
            "5",
            "--stratify",
            "--seed",
            "1",
            "--out",
            "strata",
        ],
    );
    assert_success(&s);
    let rows = read_csv(&tmp.path().join("strata/sample.csv"));
    let strata: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r["stratum"].as_str()).collect();
    let register = read_csv(&tmp.path().join("out/derived/incident_register.csv"));
    let severities: std::collections::BTreeSet<&str> =
        register.iter().map(|r| r["severity"].as_str()).collect();
    assert_eq!(rows.len(), 5);
    assert_eq!(strata, severities);
    // The exceptions population asks for the exception's follow-up.
    let s = sample(
        tmp.path(),
        &[
            "--size",
            "3",
            "--population",
            "exceptions",
            "--seed",
            "7",
            "--out",
            "exc",
        ],
    );
    assert_success(&s);
    let requests = read_csv(&tmp.path().join("exc/request-list.csv"));
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r["provide"].contains("exception")));
    // Neither --size nor --auto: a usage error.
    let s = sample(tmp.path(), &["--out", "none"]);
    let stderr = String::from_utf8_lossy(&s.stderr);
    assert_eq!(s.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--size") && stderr.contains("--auto"),
        "{stderr}"
    );
    assert!(!tmp.path().join("none").exists());
}
