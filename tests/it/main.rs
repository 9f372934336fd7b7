//! Integration tests: drive the real `auditpack` binary on fixtures in temp folders.
//! One test binary, a module per command (as in uv and mdBook).

// Test code may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_inputs;
mod build;
mod bundle;
mod errors;
mod formats;
mod generate;
mod help;
mod messages;
mod oncall;
mod postmortems;
mod properties;
mod report;
mod rest;
mod sample;
mod stats;
mod statuspage;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Path of a fixture folder.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The binary, in `dir`, with a clean environment.
pub fn auditpack(dir: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("auditpack").expect("binary is built");
    cmd.current_dir(dir).env_clear();
    cmd
}

/// Runs and formats the outcome ruff-style for snapshots, with temp paths replaced.
pub fn outcome(output: &Output, tmp: &Path) -> String {
    let clean = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .replace(&tmp.display().to_string(), "[TMP]")
            .replace(env!("CARGO_MANIFEST_DIR"), "[ROOT]")
    };
    format!(
        "exit_code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
        output.status.code().unwrap_or(-1),
        clean(&output.stdout),
        clean(&output.stderr)
    )
}

/// Asserts that the command succeeded, showing its stderr when it did not.
pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A CSV file as rows of column → value.
pub fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut rdr =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = rdr.headers().unwrap().clone();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// The row whose `key` column equals `value`.
pub fn row<'a>(
    rows: &'a [BTreeMap<String, String>],
    key: &str,
    value: &str,
) -> &'a BTreeMap<String, String> {
    rows.iter()
        .find(|r| r[key] == value)
        .unwrap_or_else(|| panic!("no row with {key} = {value}"))
}

/// Builds `input` into `<tmp>/out` with extra args; returns the temp dir and the output.
pub fn build(input: &Path, extra: &[&str]) -> (tempfile::TempDir, Output) {
    let tmp = tempfile::tempdir().unwrap();
    let mut args = vec![
        "build".to_string(),
        "--input".to_string(),
        input.display().to_string(),
        // Relative to the temp folder (the working directory), so two builds in two folders
        // record the same command line.
        "--out".to_string(),
        "out".to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let output = auditpack(tmp.path()).args(&args).output().unwrap();
    (tmp, output)
}

/// `derived/<name>` of a build in `tmp`.
pub fn derived(tmp: &tempfile::TempDir, name: &str) -> PathBuf {
    tmp.path().join("out/derived").join(name)
}

/// The tool's path, or `None` (test skipped) when it is not installed.
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var("AUDITPACK_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("`{name}` is required (AUDITPACK_REQUIRE_TOOLS=1) but not installed");
        }
        eprintln!("skipped: `{name}` is not installed");
    }
    found
}
