//! `auditpack generate` and `auditpack init`.

use std::fs;
use std::path::Path;

use crate::{assert_success, auditpack, outcome};

#[test]
fn sample_data_is_what_the_generator_writes() {
    let tmp = tempfile::tempdir().unwrap();
    // The command documented in the README for regenerating sample-data/.
    let out = auditpack(tmp.path())
        .args([
            "generate",
            "--incidents",
            "1500",
            "--seed",
            "7",
            "--format",
            "mixed",
            "--out",
            "gen",
            "--postmortems",
            "--config-exports",
            "--statuspage",
            "--population",
        ])
        .output()
        .unwrap();
    assert_success(&out);
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let names = files_under(&sample);
    assert_eq!(names, files_under(&tmp.path().join("gen")));
    assert!(names.iter().any(|n| n.starts_with("postmortems/")));
    for name in names {
        assert!(
            fs::read(sample.join(&name)).unwrap()
                == fs::read(tmp.path().join("gen").join(&name)).unwrap(),
            "sample-data/{name} differs from the generator's output: regenerate it"
        );
    }
}

/// Every file under `dir`, as sorted `/`-separated relative paths.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap();
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_format_builds() {
    for format in ["analytics-csv", "analytics-json", "classic-csv"] {
        let tmp = tempfile::tempdir().unwrap();
        let out = auditpack(tmp.path())
            .args([
                "generate",
                "--incidents",
                "300",
                "--format",
                format,
                "--out",
                "gen",
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        let out = auditpack(tmp.path())
            .args(["build", "--input", "gen", "--out", "out"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let inputs = crate::read_csv(&tmp.path().join("out/derived/inputs.csv"));
        assert_eq!(inputs[0]["format"], format);
        let read: u64 = inputs
            .iter()
            .map(|r| r["rows_read"].parse::<u64>().unwrap())
            .sum();
        assert!(read >= 300, "{format}: {read}");
    }
}

#[test]
fn init_writes_the_default_policy_and_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let out = auditpack(tmp.path())
        .args(["init", "pol"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = fs::read_to_string(tmp.path().join("pol/policy.toml")).unwrap();
    assert!(text.contains("ack_within = \"next-business-day\""));
    let out = auditpack(tmp.path())
        .args(["init", "pol"])
        .output()
        .unwrap();
    insta::assert_snapshot!(outcome(&out, tmp.path()), @r"
    exit_code: 2
    ----- stdout -----
    ----- stderr -----
    error: `pol/policy.toml` already exists
    hint: pass `--force` to overwrite it
    ");
    let out = auditpack(tmp.path())
        .args(["init", "pol", "--force"])
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn completions_and_man_pages_come_from_the_command_line_definitions() {
    let tmp = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = auditpack(tmp.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_success(&out);
        let text = String::from_utf8_lossy(&out.stdout);
        for sub in ["build", "verify", "sample", "register-limit"] {
            assert!(text.contains(sub), "{shell} completions lack {sub}");
        }
    }
    let out = auditpack(tmp.path())
        .args(["man", "--out", "man"])
        .output()
        .unwrap();
    assert_success(&out);
    let page = fs::read_to_string(tmp.path().join("man/auditpack-build.1")).unwrap();
    assert!(page.contains(".TH auditpack-build 1"), "{page}");
    assert!(page.contains("register\\-limit"), "{page}");
    assert!(!tmp.path().join("man/auditpack-pdf-text.1").exists());
    let Some(groff) = crate::tool("groff") else {
        return;
    };
    // groff renders it, with no warnings.
    let rendered = std::process::Command::new(groff)
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(tmp.path().join("man/auditpack.1"))
        .output()
        .unwrap();
    assert!(rendered.status.success());
    assert!(
        rendered.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
}

/// `generate --report json`, `keygen --format json` and `init --format json` print one JSON
/// object naming what they wrote, with the hashes a script can check.
#[test]
fn writers_report_as_json() {
    let tmp = tempfile::tempdir().unwrap();
    let json = |args: &[&str]| -> serde_json::Value {
        let out = auditpack(tmp.path()).args(args).output().unwrap();
        assert_success(&out);
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let g = json(&[
        "generate",
        "--incidents",
        "40",
        "--out",
        "g",
        "--report",
        "json",
    ]);
    assert_eq!(g["incidents"], 40);
    assert_eq!(g["format"], "analytics-csv");
    let files = g["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    for f in files {
        let bytes = fs::read(tmp.path().join("g").join(f["path"].as_str().unwrap())).unwrap();
        assert_eq!(f["bytes"], bytes.len());
        assert_eq!(f["sha256"].as_str().unwrap(), crate::sha256_hex(&bytes));
    }
    let k = json(&[
        "keygen",
        "--out",
        "k",
        "--name",
        "Test Signer",
        "--format",
        "json",
    ]);
    assert_eq!(k["signer"], "Test Signer");
    let public = fs::read_to_string(tmp.path().join(k["public_key"].as_str().unwrap())).unwrap();
    assert!(public.contains(k["key_id"].as_str().unwrap()), "{public}");
    let i = json(&["init", "p", "--format", "json"]);
    let policy = fs::read(tmp.path().join(i["policy"].as_str().unwrap())).unwrap();
    assert_eq!(i["sha256"].as_str().unwrap(), crate::sha256_hex(&policy));
}
