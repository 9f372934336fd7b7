//! `auditpack sample`: verified first, reproducible from the auditor's seed, sized by the
//! table or `--size`, stratified by severity.

use std::fs;

use crate::{assert_success, auditpack, build, fixture, read_csv};

fn sample(tmp: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut all = vec![
        "sample",
        "--bundle",
        "out/evidence-bundle.zip",
        "--allow-unsigned",
    ];
    all.extend(args);
    auditpack(tmp).args(all).output().unwrap()
}

#[test]
fn the_same_seed_gives_the_same_sample_and_the_auditor_chooses_it() {
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
    // The parameters say which bundle, which key and which seed.
    let params = fs::read_to_string(tmp.path().join("a/sample-parameters.txt")).unwrap();
    let zip = fs::read(tmp.path().join("out/evidence-bundle.zip")).unwrap();
    assert!(
        params.starts_with(&format!("bundle sha256 {}\n", crate::sha256_hex(&zip))),
        "{params}"
    );
    assert!(params.contains("\nkey sha256 none\n"), "{params}");
    assert!(params.contains("\nseed 42\n"), "{params}");
    // No seed: the auditor must choose one (a seed from the bundle could be re-rolled by
    // whoever makes the bundle).
    let c = sample(tmp.path(), &["--size", "4", "--out", "c"]);
    assert_eq!(c.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&c.stderr).contains("--seed"));
    assert!(!tmp.path().join("c").exists());
}

#[test]
fn a_bundle_that_does_not_verify_is_not_sampled() {
    let (tmp, out) = build(&fixture("sla"), &["--as-of", "2026-01-31T00:00:00Z"]);
    assert_success(&out);
    // Every breach removed from the register, the listing made consistent again, unsigned.
    let mut files =
        crate::forge::entries(&fs::read(tmp.path().join("out/evidence-bundle.zip")).unwrap());
    let register = String::from_utf8(files["derived/incident_register.csv"].clone())
        .unwrap()
        .replace(",false,", ",true,");
    files.insert(
        "derived/incident_register.csv".to_string(),
        register.into_bytes(),
    );
    let forged = crate::forge::reseal(files, None, false, |_| {});
    fs::write(tmp.path().join("out/evidence-bundle.zip"), forged).unwrap();
    // The hashes agree, so only the rebuild sees it: sample refuses what verify refuses,
    // and verify --rebuild does.
    let v = auditpack(tmp.path())
        .args([
            "verify",
            "out/evidence-bundle.zip",
            "--allow-unsigned",
            "--rebuild",
        ])
        .output()
        .unwrap();
    assert_eq!(v.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&v.stdout)
            .contains("FAILED  rebuild derived/incident_register.csv")
    );
    // A signature changed by someone without the key: sample verifies first and refuses.
    let mut files =
        crate::forge::entries(&fs::read(tmp.path().join("out/evidence-bundle.zip")).unwrap());
    files.insert(
        "derived/exceptions.csv".to_string(),
        b"incident_number,severity,kind,detail\n".to_vec(),
    );
    fs::write(
        tmp.path().join("out/evidence-bundle.zip"),
        crate::forge::canonical(&files, "2026-01-31T00:00:00Z"),
    )
    .unwrap();
    let s = sample(tmp.path(), &["--size", "3", "--seed", "1", "--out", "x"]);
    assert_eq!(s.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&s.stderr).contains("does not verify"));
    assert!(!tmp.path().join("x").exists());
}

#[test]
fn auto_size_and_strata() {
    let (tmp, out) = build(&fixture("sla"), &["--as-of", "2026-01-31T00:00:00Z"]);
    assert_success(&out);
    // 11 incidents: the table's "up to 12" row, 2 items.
    let s = sample(tmp.path(), &["--auto", "--seed", "3", "--out", "auto"]);
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
    let s = sample(tmp.path(), &["--seed", "3", "--out", "none"]);
    let stderr = String::from_utf8_lossy(&s.stderr);
    assert_eq!(s.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--size") && stderr.contains("--auto"),
        "{stderr}"
    );
    assert!(!tmp.path().join("none").exists());
}

#[test]
fn the_request_list_asks_only_what_the_policy_requires_of_the_severity() {
    // The sla fixture's policy has postmortem rules for P1 and P2 only: a P1 or P2 item is
    // asked for its ticket and postmortem, any other only for its timeline. The whole
    // register (11 incidents) is drawn.
    let (tmp, out) = build(&fixture("sla"), &["--as-of", "2026-01-31T00:00:00Z"]);
    assert_success(&out);
    let s = sample(tmp.path(), &["--size", "11", "--seed", "1", "--out", "all"]);
    assert_success(&s);
    let items = read_csv(&tmp.path().join("all/sample.csv"));
    let requests = read_csv(&tmp.path().join("all/request-list.csv"));
    assert_eq!(requests.len(), 11);
    let severity_of = |n: &str| {
        items
            .iter()
            .find(|r| r["incident_number"] == n)
            .map(|r| r["severity"].clone())
            .unwrap()
    };
    for r in &requests {
        let severity = severity_of(&r["incident_number"]);
        let significant = matches!(severity.as_str(), "P1" | "P2");
        assert_eq!(
            r["provide"].contains("ticket"),
            significant,
            "{severity}: {}",
            r["provide"]
        );
        assert_eq!(
            r["provide"].contains("postmortem"),
            significant,
            "{severity}: {}",
            r["provide"]
        );
        assert!(r["provide"].contains("timeline"));
    }
}
