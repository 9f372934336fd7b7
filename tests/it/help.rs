//! The examples of `--help` run as written, from a copy of the repository's sample data.

use std::fs;
use std::path::Path;
use std::process::Command;

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The `auditpack …` lines of a help text.
fn examples(help: &str) -> Vec<String> {
    help.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("auditpack "))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_help_example_runs_on_sample_data() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&root.join("sample-data"), &tmp.path().join("sample-data"));
    copy_dir(&root.join("demo-keys"), &tmp.path().join("demo-keys"));
    let bin = assert_cmd::cargo::cargo_bin("auditpack");
    let path = format!(
        "{}:/usr/local/bin:/usr/bin:/bin",
        bin.parent().unwrap().display()
    );
    let mut lines: Vec<String> = Vec::new();
    let commands = [
        "",
        "build",
        "verify",
        "stats",
        "sample",
        "generate",
        "keygen",
        "init",
        "completions",
        "man",
    ];
    for command in commands {
        let mut cmd = Command::new(&bin);
        if !command.is_empty() {
            cmd.arg(command);
        }
        let help = cmd.arg("--help").output().unwrap();
        let text = String::from_utf8_lossy(&help.stdout).to_string();
        // A wrapped example would run without its tail: each must fit on one line.
        let section = text
            .lines()
            .skip_while(|l| !l.starts_with("Example"))
            .skip(1)
            .filter(|l| !l.trim().is_empty());
        for l in section {
            assert!(
                l.starts_with("  auditpack "),
                "`auditpack {command} --help`: an example is wrapped or is not a command: {l:?}"
            );
        }
        let found = examples(&text);
        assert!(
            !found.is_empty(),
            "`auditpack {command} --help` shows no example"
        );
        for line in found {
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
    }
    for line in &lines {
        // `man | man -l -` needs man(1); the page itself is checked in the man-page test.
        if line.contains('|') {
            continue;
        }
        let out = Command::new("sh")
            .arg("-c")
            .arg(line)
            .current_dir(tmp.path())
            .env_clear()
            .env("PATH", &path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "`{line}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for made in [
        "evidence/evidence-bundle.zip",
        "evidence-h2/derived/incident-register.xlsx",
        "evidence-json/evidence-bundle.zip",
        "sample/sample.csv",
        "generated/log-entries.json",
        "sample-copy/statuspage/incidents.json",
        "keys/auditpack.pub",
        "my-policy/policy.toml",
        "auditpack.bash",
    ] {
        assert!(tmp.path().join(made).is_file(), "{made} was not written");
    }
}
