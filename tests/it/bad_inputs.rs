//! Hostile and broken input. `tests/bad-inputs/` holds one case a file with its expected
//! outcome in `<file>.expected` (`exit N`, then `stderr <text>` or `rejected <text>`); the
//! cases too big or too odd to commit (a 10 MB field, 10,000 columns, a symbolic link out of
//! the folder, an unreadable file, a full disk, an unwritable output folder, Ctrl-C) are made
//! here. Every case: the message names the file, nothing panics, and a failed build leaves
//! no output and no staging folder.

use std::fs;
use std::path::{Path, PathBuf};

use crate::{auditpack, build, derived, read_csv, tool};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-inputs")
}

/// No `out` and no staging folder left in the build's temp folder.
fn assert_nothing_left(tmp: &Path, case: &str) {
    let left: Vec<String> = fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n == "out" || n.starts_with(".auditpack-staging") || n.starts_with(".out."))
        .collect();
    assert!(left.is_empty(), "{case}: left behind {left:?}");
}

fn assert_no_panic(stderr: &str, case: &str) {
    assert!(!stderr.contains("panicked"), "{case} panicked: {stderr}");
}

const HEADER: &str = "id,incident_number,description,created_at,resolved_at,status,urgency,priority_name,service_name,seconds_to_first_ack,seconds_to_resolve";
const GOOD: &str = "PA9,9,fine,2026-01-05T12:00:00,,resolved,high,P1,svc,60,600";

#[test]
fn every_committed_case_gives_its_expected_outcome() {
    let mut cases: Vec<PathBuf> = fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "expected" && e != "md"))
        .collect();
    cases.sort();
    // Every committed case runs: the corpus is exactly these files, each with its
    // `.expected` (a case removed, or added without its expectation, fails here).
    let names: Vec<String> = cases
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "binary.csv",
            "deep.json",
            "duplicate-header.csv",
            "empty.csv",
            "header-only.csv",
            "latin1.csv",
            "log-entries-alone.json",
            "missing-column.csv",
            "nan-inf.csv",
            "ragged.csv",
            "rest-resolved-without-log.json",
            "utf16.csv",
            "wrong-kind.json",
            "years.csv",
        ]
    );
    let expectations = fs::read_dir(corpus())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "expected")
        })
        .count();
    assert_eq!(
        expectations,
        names.len(),
        "an `.expected` file without its case"
    );
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let expected = fs::read_to_string(case.with_file_name(format!("{name}.expected"))).unwrap();
        let mut lines = expected.lines();
        let code: i32 = lines
            .next()
            .unwrap()
            .strip_prefix("exit ")
            .unwrap()
            .parse()
            .unwrap();
        let (where_, text) = lines.next().unwrap().split_once(' ').unwrap();
        let (tmp, out) = build(&case, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_no_panic(&stderr, &name);
        assert_eq!(out.status.code(), Some(code), "{name}: {stderr}");
        match where_ {
            "stderr" => {
                assert!(
                    stderr.contains(text),
                    "{name}: expected {text:?} in {stderr}"
                );
                assert!(
                    stderr.contains(&name),
                    "{name}: the message does not name the file: {stderr}"
                );
                assert_nothing_left(tmp.path(), &name);
            }
            "rejected" => {
                let rejected = read_csv(&derived(&tmp, "rejected_rows.csv"));
                assert!(
                    rejected
                        .iter()
                        .any(|r| r["reason"].contains(text) && r["source_file"] == name),
                    "{name}: expected a rejected row with {text:?}: {rejected:?}"
                );
            }
            other => panic!("{name}: unknown expectation `{other}`"),
        }
    }
}

#[test]
fn a_10_mb_field_is_a_rejected_row_kept_short() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.csv");
    let big = "x".repeat(10 << 20);
    fs::write(
        &file,
        format!("{HEADER}\nPA1,1,{big},2026-01-05T10:00:00,,resolved,high,P1,svc,60,600\n{GOOD}\n"),
    )
    .unwrap();
    let (tmp, out) = build(&file, &[]);
    assert_eq!(out.status.code(), Some(0));
    let rejected = read_csv(&derived(&tmp, "rejected_rows.csv"));
    assert_eq!(rejected.len(), 1);
    assert_eq!(
        rejected[0]["reason"],
        "column `description` holds 10485760 bytes; at most 65536 expected"
    );
    assert!(rejected[0]["raw"].len() < 5000);
    assert!(
        rejected[0]["raw"].ends_with(" bytes in all]"),
        "{}",
        &rejected[0]["raw"][4000..]
    );
}

#[test]
fn ten_thousand_columns_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wide.csv");
    let extra: Vec<String> = (0..9989).map(|i| format!("extra_{i}")).collect();
    let blanks = ",".repeat(9989);
    fs::write(
        &file,
        format!("{HEADER},{}\n{GOOD}{blanks}\n", extra.join(",")),
    )
    .unwrap();
    let (tmp, out) = build(&file, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    assert_eq!(register.len(), 1);
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_out_of_the_folder_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("incidents.csv"),
        format!("{HEADER}\n{GOOD}\n"),
    )
    .unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("passwd.csv")).unwrap();
    let (tmp, out) = build(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0));
    let inputs = read_csv(&derived(&tmp, "inputs.csv"));
    let link = inputs.iter().find(|r| r["file"] == "passwd.csv").unwrap();
    assert_eq!(link["format"], "not_used");
    assert!(String::from_utf8_lossy(&out.stdout).contains("passwd.csv"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("symbolic link; not followed"));
}

#[test]
fn a_fifo_in_the_input_folder_is_not_opened() {
    // Reading a FIFO waits for a writer that never comes: `build` and `stats` would hang.
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("incidents.csv"),
        format!("{HEADER}\n{GOOD}\n"),
    )
    .unwrap();
    let fifo = dir.path().join("pipe.csv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        return;
    }
    for command in ["build", "stats"] {
        let (tmp, out) = if command == "build" {
            build(dir.path(), &[])
        } else {
            let tmp = tempfile::tempdir().unwrap();
            let out = crate::auditpack(tmp.path())
                .args(["stats", "--input"])
                .arg(dir.path())
                .timeout(std::time::Duration::from_secs(60))
                .output()
                .unwrap();
            (tmp, out)
        };
        assert_eq!(out.status.code(), Some(0), "{command}: {out:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        if command == "build" {
            assert!(stdout.contains("not a regular file"), "{stdout}");
            let inputs = read_csv(&derived(&tmp, "inputs.csv"));
            let row = inputs.iter().find(|r| r["file"] == "pipe.csv").unwrap();
            assert_eq!(row["format"], "not_used");
        }
    }
}

#[test]
fn another_policy_in_the_input_folder_is_not_read_as_an_export() {
    // `--policy` names a file elsewhere; the folder's own policy.toml opens with `[…]` but is
    // not JSON: it is listed as not used.
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("incidents.csv"),
        format!("{HEADER}\n{GOOD}\n"),
    )
    .unwrap();
    fs::write(
        dir.path().join("policy.toml"),
        "[organization]\nname = \"A\"\n",
    )
    .unwrap();
    let other = tempfile::tempdir().unwrap();
    fs::write(
        other.path().join("p.toml"),
        "[organization]\nname = \"B\"\n",
    )
    .unwrap();
    let policy = other.path().join("p.toml").display().to_string();
    let (tmp, out) = build(dir.path(), &["--policy", &policy]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inputs = read_csv(&derived(&tmp, "inputs.csv"));
    let row = inputs.iter().find(|r| r["file"] == "policy.toml").unwrap();
    assert_eq!(row["format"], "not_used");
}

#[cfg(unix)]
#[test]
fn a_socket_in_the_input_folder_is_not_opened() {
    // A socket (like a FIFO or a device) is not a regular file: listed as not used, never
    // opened, and the run goes on.
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("incidents.csv"),
        format!("{HEADER}\n{GOOD}\n"),
    )
    .unwrap();
    let _listener = std::os::unix::net::UnixListener::bind(dir.path().join("locked.csv")).unwrap();
    let (tmp, out) = build(dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_no_panic(&stderr, "socket");
    let inputs = read_csv(&derived(&tmp, "inputs.csv"));
    let row = inputs.iter().find(|r| r["file"] == "locked.csv").unwrap();
    assert_eq!(row["format"], "not_used");
    assert!(String::from_utf8_lossy(&out.stdout).contains("not a regular file"));
}

#[cfg(unix)]
#[test]
fn a_full_disk_leaves_nothing_behind() {
    let Some(sh) = tool("sh") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("incidents.csv");
    fs::write(&input, format!("{HEADER}\n{GOOD}\n")).unwrap();
    // A 64 KiB file-size limit: the report cannot be written (EFBIG, as ENOSPC would).
    let exe = assert_cmd::cargo::cargo_bin("auditpack");
    let out = std::process::Command::new(sh)
        .current_dir(tmp.path())
        .env_clear()
        .arg("-c")
        .arg("ulimit -f 128; trap '' XFSZ; exec \"$0\" build --input incidents.csv --out out")
        .arg(&exe)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("File too large") || stderr.contains("No space"),
        "{stderr}"
    );
    assert_no_panic(&stderr, "full disk");
    assert_nothing_left(tmp.path(), "full disk");
}

#[cfg(target_os = "linux")]
#[test]
fn an_output_folder_that_cannot_be_created_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("incidents.csv"),
        format!("{HEADER}\n{GOOD}\n"),
    )
    .unwrap();
    // Not even root may create folders in /proc.
    let out = auditpack(tmp.path())
        .args([
            "build",
            "--input",
            "incidents.csv",
            "--out",
            "/proc/auditpack-out/evidence",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("/proc/auditpack-out"), "{stderr}");
    assert_no_panic(&stderr, "read-only output");
}

/// Ctrl-C (SIGINT) and SIGTERM are handled alike.
#[cfg(unix)]
#[test]
fn ctrl_c_or_sigterm_in_the_middle_of_a_build_exits_130_and_leaves_nothing() {
    let Some(kill) = tool("kill") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let generated = auditpack(tmp.path())
        .args(["generate", "--incidents", "20000", "--out", "gen"])
        .output()
        .unwrap();
    assert!(generated.status.success());
    for signal in ["-INT", "-TERM"] {
        interrupt_a_build(tmp.path(), &kill, signal);
        assert_nothing_left(tmp.path(), signal);
    }
    // With previous outputs in place, they are still there, whole, and the message says so.
    let first = auditpack(tmp.path())
        .args(["build", "--input"])
        .arg(crate::fixture("sla"))
        .args(["--out", "out", "-q"])
        .output()
        .unwrap();
    assert!(first.status.success());
    let listing = |dir: &Path| {
        let mut v: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .map(|p| (p.display().to_string(), fs::read(&p).unwrap()))
            .collect();
        v.sort();
        v
    };
    let before = (
        listing(&tmp.path().join("out")),
        listing(&tmp.path().join("out/derived")),
    );
    let stderr = interrupt_a_build(tmp.path(), &kill, "-TERM");
    assert!(
        stderr.contains("the previous outputs are unchanged"),
        "{stderr}"
    );
    let after = (
        listing(&tmp.path().join("out")),
        listing(&tmp.path().join("out/derived")),
    );
    assert!(before == after, "the previous outputs changed");
    let left: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "left behind {left:?}");
}

#[cfg(unix)]
fn interrupt_a_build(tmp: &Path, kill: &Path, signal: &str) -> String {
    let exe = assert_cmd::cargo::cargo_bin("auditpack");
    let child = std::process::Command::new(exe)
        .current_dir(tmp)
        .args(["build", "--input", "gen", "--out", "out"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the build has started writing (its staging folder exists).
    let staging = || {
        fs::read_dir(tmp).unwrap().any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".auditpack-staging")
        })
    };
    let mut waited = 0;
    while !staging() && waited < 60_000 {
        std::thread::sleep(std::time::Duration::from_millis(10));
        waited += 10;
    }
    assert!(staging(), "the build never started writing");
    let sent = std::process::Command::new(kill)
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{signal}: {stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    stderr.into_owned()
}

/// Names a bundle cannot hold, or that another tool would read as another name, are refused
/// before any output (build used to sign bundles that verify then rejected).
#[cfg(unix)]
#[test]
fn input_names_the_bundle_cannot_hold_are_refused_before_any_output() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let cases: [(&str, Vec<&[u8]>, &str); 4] = [
        ("newline", vec![b"a\nb.csv"], "a control character"),
        (
            "carriage return",
            vec![b"incidents.csv\r"],
            "a control character",
        ),
        ("not UTF-8", vec![b"caf\xe9.csv"], "not UTF-8"),
        (
            "two non-UTF-8",
            vec![b"a\xff.csv", b"a\xfe.csv"],
            "not UTF-8",
        ),
    ];
    for (case, names, phrase) in cases {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir(tmp.path().join("in")).unwrap();
        fs::write(
            tmp.path().join("in/good.csv"),
            format!("{HEADER}\n{GOOD}\n"),
        )
        .unwrap();
        for name in names {
            fs::write(
                tmp.path().join("in").join(OsStr::from_bytes(name)),
                format!("{HEADER}\n{GOOD}\n"),
            )
            .unwrap();
        }
        let out = auditpack(tmp.path())
            .args(["build", "--input", "in", "--out", "out", "--key"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-keys/auditpack.key"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{case}: {stderr}");
        assert!(stderr.contains(phrase), "{case}: {stderr}");
        assert!(
            stderr.contains("in/"),
            "{case}: the file is named: {stderr}"
        );
        assert_no_panic(&stderr, case);
        assert!(!stderr.contains("bug"), "{case}: {stderr}");
        assert_nothing_left(tmp.path(), case);
    }
}
