//! Integration tests: drive the real `auditpack` binary on fixtures in temp folders.
//! One test binary, a module per command (as in uv and mdBook).

// Test code may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_bundles;
mod bad_inputs;
mod build;
mod bundle;
mod errors;
mod figures;
mod flip;
mod flip_sweep;
mod forge;
mod formats;
mod generate;
mod help;
mod messages;
mod oncall;
mod opsgenie;
mod population;
mod postmortems;
mod report;
mod rest;
mod sample;
mod stats;
mod statuspage;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

/// SHA-256 of bytes as lower-case hex, as `sha256sum` prints it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

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

/// A temporary folder holding these files (name relative to it, folders made as needed).
pub fn folder<S: AsRef<[u8]>>(files: &[(&str, S)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// `build` of `input` that must succeed; the temporary folder holding `out/`.
pub fn built(input: &Path, extra: &[&str]) -> tempfile::TempDir {
    let (tmp, out) = build(input, extra);
    assert_success(&out);
    tmp
}

/// `derived/<name>` of a build in `tmp`.
pub fn derived(tmp: &tempfile::TempDir, name: &str) -> PathBuf {
    tmp.path().join("out/derived").join(name)
}

/// The tool's path, or `None` (this check skipped) when it is not installed. Every call is
/// one tool-dependent check: the run ends with a line saying how many ran and how many were
/// skipped for which tools (libtest captures a passing test's output, so the summary is
/// written to the terminal at exit instead).
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() && std::env::var("AUDITPACK_REQUIRE_TOOLS").as_deref() == Ok("1") {
        panic!("`{name}` is required (AUDITPACK_REQUIRE_TOOLS=1) but not installed");
    }
    tool_checks::count(name, found.is_some());
    found
}

/// The tally of tool-dependent checks, printed when the test binary exits.
mod tool_checks {
    use std::collections::BTreeMap;
    use std::io::Write;
    use std::sync::{Mutex, Once};

    /// Tool → (checks run, checks skipped).
    static TALLY: Mutex<BTreeMap<String, (usize, usize)>> = Mutex::new(BTreeMap::new());
    static AT_EXIT: Once = Once::new();

    pub fn count(name: &str, ran: bool) {
        AT_EXIT.call_once(|| {
            // SAFETY: `summary` is a plain `extern "C" fn` that only locks a static and
            // writes to standard error; registering it has no other effect.
            unsafe {
                libc::atexit(summary);
            }
        });
        if let Ok(mut tally) = TALLY.lock() {
            let entry = tally.entry(name.to_string()).or_default();
            if ran {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
    }

    extern "C" fn summary() {
        let Ok(tally) = TALLY.lock() else { return };
        let ran: usize = tally.values().map(|t| t.0).sum();
        let skipped: usize = tally.values().map(|t| t.1).sum();
        let missing: Vec<String> = tally
            .iter()
            .filter(|(_, t)| t.1 > 0)
            .map(|(name, t)| format!("`{name}` ({})", t.1))
            .collect();
        let text = if skipped == 0 {
            format!("\nnote: all {ran} tool-dependent checks ran\n")
        } else {
            format!(
                "\nnote: {skipped} of {} tool-dependent checks were SKIPPED, their tools not installed: {}\n\
                 hint: install them (Debian: `apt-get install poppler-utils qpdf unzip minisign openssl ghostscript groff-base`), then run everything with `AUDITPACK_REQUIRE_TOOLS=1 cargo test`\n",
                ran + skipped,
                missing.join(", ")
            )
        };
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
}
