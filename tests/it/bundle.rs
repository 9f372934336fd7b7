//! The evidence bundle and `auditpack verify`: determinism across folders, tampering named by
//! file, keys (permissions, passphrases, pinning), the atomic swap of the outputs, and
//! agreement with stock tools. Forged bundles, one a case, are in `bad_bundles.rs`.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use crate::forge::{Forger, canonical, canonical_list, entries, reseal};
use crate::{assert_success, auditpack, build, fixture, outcome, tool};

const ARGS: [&str; 6] = [
    "--from",
    "2026-01-01",
    "--to",
    "2026-01-31",
    "--as-of",
    "2026-01-31T00:00:00Z",
];
const AS_OF: &str = "2026-01-31T00:00:00Z";

fn verify(dir: &Path, bundle: &str, extra: &[&str]) -> std::process::Output {
    auditpack(dir)
        .args(["verify", bundle])
        .args(extra)
        .output()
        .unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn build_writes_a_bundle_that_verifies_and_is_deterministic() {
    let (a, out) = build(&fixture("sla"), &ARGS);
    assert_success(&out);
    assert!(stderr(&out).contains("UNSIGNED"));
    let (b, _) = build(&fixture("sla"), &ARGS);
    let zip_a = fs::read(a.path().join("out/evidence-bundle.zip")).unwrap();
    assert!(zip_a == fs::read(b.path().join("out/evidence-bundle.zip")).unwrap());

    let files = entries(&zip_a);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    // Unsigned: no public key, no signature.
    assert_eq!(
        names,
        [
            "SHA256SUMS",
            "VERIFY.txt",
            "derived/admin_changes.csv",
            "derived/escalation_conformance.csv",
            "derived/exceptions.csv",
            "derived/exclusions.csv",
            "derived/findings.csv",
            "derived/incident_register.csv",
            "derived/inputs.csv",
            "derived/monthly_trends.csv",
            "derived/oncall_coverage.csv",
            "derived/oncall_gaps.csv",
            "derived/oncall_load.csv",
            "derived/oncall_overrides.csv",
            "derived/postmortems.csv",
            "derived/rejected_rows.csv",
            "derived/response_timeline.csv",
            "derived/results.csv",
            "derived/security_incidents.csv",
            "derived/sla_summary.csv",
            "derived/statuspage_matches.csv",
            "derived/ticket_links.csv",
            "inputs/incidents.csv",
            "manifest.json",
            "policy.toml",
            "report/evidence-report.pdf",
        ]
    );
    // The zip is byte for byte the layout written independently by the test helper.
    assert!(
        zip_a == canonical(&files, AS_OF),
        "not the canonical layout"
    );
    // The bundle holds the raw input and the outputs byte for byte.
    assert!(
        files["inputs/incidents.csv"] == fs::read(fixture("sla").join("incidents.csv")).unwrap()
    );
    assert!(files["policy.toml"] == fs::read(fixture("sla").join("policy.toml")).unwrap());
    assert!(
        files["derived/sla_summary.csv"]
            == fs::read(a.path().join("out/derived/sla_summary.csv")).unwrap()
    );
    let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    assert_eq!(manifest["format"], "auditpack-bundle/2");
    assert_eq!(manifest["signed"], false);
    assert_eq!(manifest["demo_key"], false);
    assert_eq!(manifest["key_sha256"], serde_json::Value::Null);
    assert_eq!(manifest["parameters"]["as_of"], AS_OF);
    assert_eq!(
        manifest["parameters"]["source_date_epoch"],
        serde_json::Value::Null
    );
    assert_eq!(manifest["reconciliation"][0]["rows_read"], 11);
    // Paths as inside the bundle, whatever the folders of the build.
    assert_eq!(
        manifest["command_line"],
        "auditpack build --input inputs --policy policy.toml --from 2026-01-01 --to 2026-01-31 --as-of 2026-01-31T00:00:00Z"
    );

    // No key and no --allow-unsigned: a usage error, not a verdict.
    let out = verify(a.path(), "out/evidence-bundle.zip", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("say which key you trust"),
        "{}",
        stderr(&out)
    );
    let out = verify(a.path(), "out/evidence-bundle.zip", &["--allow-unsigned"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("no key was pinned"));
    let out = verify(
        a.path(),
        "out/evidence-bundle.zip",
        &["--allow-unsigned", "--format", "json"],
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["valid"], true);
    // A key means a signature: this bundle has none.
    let out = verify(
        a.path(),
        "out/evidence-bundle.zip",
        &["--fingerprint", &"ab".repeat(32)],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));

    // Stock tools agree.
    let x = a.path().join("x");
    for (name, bytes) in &files {
        let p = x.join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
    if let Some(sha256sum) = tool("sha256sum") {
        let out = Command::new(sha256sum)
            .args(["-c", "--strict", "SHA256SUMS"])
            .current_dir(&x)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stdout(&out));
    }
    if let Some(unzip) = tool("unzip") {
        let out = Command::new(unzip)
            .args(["-t", "out/evidence-bundle.zip"])
            .current_dir(a.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stdout(&out));
    }
}

#[test]
fn a_flipped_byte_in_any_file_fails_naming_the_file() {
    let (tmp, out) = build(&fixture("sla"), &ARGS);
    assert!(out.status.success());
    let original = entries(&fs::read(tmp.path().join("out/evidence-bundle.zip")).unwrap());
    // The zip is rewritten in build's own layout, so only the content differs.
    for target in [
        "derived/sla_summary.csv",
        "inputs/incidents.csv",
        "report/evidence-report.pdf",
        "manifest.json",
        "SHA256SUMS",
    ] {
        let mut files = original.clone();
        let bytes = files.get_mut(target).unwrap();
        let at = bytes.len() / 2;
        bytes[at] ^= 0x01;
        fs::write(tmp.path().join("t.zip"), canonical(&files, AS_OF)).unwrap();
        let out = verify(tmp.path(), "t.zip", &["--allow-unsigned"]);
        assert_eq!(out.status.code(), Some(1), "{target}: {}", stdout(&out));
        let text = stdout(&out);
        let named = if target == "SHA256SUMS" {
            text.lines().any(|l| l.starts_with("FAILED  SHA256SUMS"))
        } else {
            text.lines()
                .any(|l| l.starts_with(&format!("FAILED  {target}:")))
        };
        assert!(named, "{target} not named:\n{text}");
    }
    // A file added or removed, SHA256SUMS left as it was.
    let mut files = original.clone();
    files.insert("extra.txt".to_string(), b"x".to_vec());
    fs::write(tmp.path().join("t.zip"), canonical(&files, AS_OF)).unwrap();
    let out = verify(tmp.path(), "t.zip", &["--allow-unsigned"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("FAILED  extra.txt:"),
        "{}",
        stdout(&out)
    );
    let mut files = original.clone();
    files.remove("derived/inputs.csv");
    fs::write(tmp.path().join("t.zip"), canonical(&files, AS_OF)).unwrap();
    let out = verify(tmp.path(), "t.zip", &["--allow-unsigned"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("FAILED  derived/inputs.csv: listed in SHA256SUMS but missing"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_hostile_bundle_is_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    // verify runs two folders down, where `../../etc/evil` would land in `<tmp>/etc/evil`
    // if anything were written.
    let deep = tmp.path().join("a/b");
    fs::create_dir_all(&deep).unwrap();
    fs::write(
        deep.join("slip.zip"),
        canonical_list(&[("../../etc/evil".to_string(), b"x".to_vec())], AS_OF),
    )
    .unwrap();
    insta::assert_snapshot!(outcome(&verify(&deep, "slip.zip", &["--allow-unsigned"]), tmp.path()), @r"
    exit_code: 2
    ----- stdout -----
    ----- stderr -----
    error: slip.zip: entry `../../etc/evil` has a `..`, `.` or empty path component
    hint: the bundle is damaged or was not written by `auditpack build`: ask its author for a fresh copy
    ");
    fs::write(deep.join("junk.zip"), b"not a zip").unwrap();
    let out = verify(&deep, "junk.zip", &["--allow-unsigned"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("junk.zip: not a zip archive"),
        "{}",
        stderr(&out)
    );
    assert!(!tmp.path().join("etc/evil").exists());
    assert_eq!(
        fs::read_dir(&deep).unwrap().count(),
        2,
        "verify wrote into its folder"
    );
}

fn keygen(dir: &Path, name: &str) {
    let out = auditpack(dir)
        .args(["keygen", "--out", "keys", "--name", name])
        .output()
        .unwrap();
    assert_success(&out);
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn keygen_writes_a_private_key_and_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    keygen(tmp.path(), "Jane Roe, Example Corp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(tmp.path().join("keys/auditpack.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let pubkey = fs::read_to_string(tmp.path().join("keys/auditpack.pub")).unwrap();
    assert!(pubkey.starts_with("untrusted comment: minisign public key "));
    // The fingerprint file tells the signer to publish the SHA-256, not the key id.
    let fp = fs::read_to_string(tmp.path().join("keys/auditpack.fingerprint")).unwrap();
    assert!(fp.contains("public key sha256: "), "{fp}");
    assert!(fp.contains("--fingerprint"), "{fp}");
    let out = auditpack(tmp.path())
        .args(["keygen", "--out", "keys", "--name", "again"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("already exists"));
}

#[test]
fn signed_bundle_verifies_with_the_right_key_only() {
    let tmp = tempfile::tempdir().unwrap();
    keygen(tmp.path(), "Jane Roe, Example Corp");
    let out = auditpack(tmp.path())
        .args(["build", "--input"])
        .arg(fixture("sla"))
        .args(["--out", "a", "--key", "keys/auditpack.key"])
        .args(ARGS)
        .output()
        .unwrap();
    assert_success(&out);
    assert!(!stderr(&out).contains("UNSIGNED"));
    let zip_a = fs::read(tmp.path().join("a/evidence-bundle.zip")).unwrap();
    let files = entries(&zip_a);
    let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    assert_eq!(manifest["signed"], true);
    assert_eq!(manifest["signer"], "Jane Roe, Example Corp");
    let fp = fs::read_to_string(tmp.path().join("keys/auditpack.fingerprint")).unwrap();
    let sha = fp
        .lines()
        .find_map(|l| l.strip_prefix("public key sha256: "))
        .unwrap()
        .to_string();
    assert_eq!(manifest["key_sha256"], sha.as_str());

    let out = verify(
        tmp.path(),
        "a/evidence-bundle.zip",
        &["--pubkey", "keys/auditpack.pub"],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains(&format!(
        "ok      SHA256SUMS.minisig: good signature by key SHA-256 {sha}"
    )));
    assert!(text.contains(
        "ok      report/evidence-report.pdf: embedded PDF signature valid (certificate CN=Jane Roe, Example Corp"
    ));
    assert!(text.contains("signer: Jane Roe, Example Corp; organization: Example Corp; period: 2026-01-01 to 2026-01-31"));
    // The published SHA-256 pins the key carried in the bundle.
    let out = verify(
        tmp.path(),
        "a/evidence-bundle.zip",
        &["--fingerprint", &sha],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = verify(
        tmp.path(),
        "a/evidence-bundle.zip",
        &["--fingerprint", &"ab".repeat(32)],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(&format!(
            "FAILED  key: the bundled public key has SHA-256 {sha}, not the pinned {}",
            "ab".repeat(32)
        )),
        "{}",
        stdout(&out)
    );
    // Without a key there is nothing to trust the signature with: a usage error.
    assert_eq!(
        verify(tmp.path(), "a/evidence-bundle.zip", &[])
            .status
            .code(),
        Some(2)
    );
    // Another key fails.
    let other = tempfile::tempdir().unwrap();
    keygen(other.path(), "Mallory");
    let wrong = other.path().join("keys/auditpack.pub");
    let out = verify(
        tmp.path(),
        "a/evidence-bundle.zip",
        &["--pubkey", wrong.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("is not the `--pubkey` one"),
        "{}",
        stdout(&out)
    );

    // A changed signature fails, naming it.
    let mut tampered = files.clone();
    let sig = tampered.get_mut("SHA256SUMS.minisig").unwrap();
    let line2 = sig.iter().position(|&b| b == b'\n').unwrap() + 60;
    sig[line2] = if sig[line2] == b'A' { b'B' } else { b'A' };
    fs::write(tmp.path().join("t.zip"), canonical(&tampered, AS_OF)).unwrap();
    let out = verify(tmp.path(), "t.zip", &["--pubkey", "keys/auditpack.pub"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("FAILED  SHA256SUMS.minisig:"),
        "{}",
        stdout(&out)
    );

    // The key holder changes a byte in the signed part of the report and signs the bundle
    // again: the report's embedded signature still fails.
    let mut tampered = files.clone();
    tampered.get_mut("report/evidence-report.pdf").unwrap()[2000] ^= 0x20;
    let forger = Forger::from_file(&tmp.path().join("keys/auditpack.key"));
    fs::write(
        tmp.path().join("t.zip"),
        reseal(tampered, Some(&forger), false, |_| {}),
    )
    .unwrap();
    let out = verify(tmp.path(), "t.zip", &["--pubkey", "keys/auditpack.pub"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains(
        "FAILED  report/evidence-report.pdf: embedded PDF signature: the signed digest does not match the document"
    ), "{}", stdout(&out));

    // The report inside carries a valid embedded signature (poppler's pdfsig).
    let pdf = tmp.path().join("a/evidence-report.pdf");
    assert!(files["report/evidence-report.pdf"] == fs::read(&pdf).unwrap());
    if let Some(pdfsig) = tool("pdfsig") {
        let out = Command::new(pdfsig)
            .arg("-no-ocsp")
            .arg(&pdf)
            .output()
            .unwrap();
        let text = stdout(&out);
        assert!(
            text.contains("Signature Validation: Signature is Valid."),
            "pdfsig {}: {text}\n{}",
            out.status,
            stderr(&out)
        );
        assert!(
            text.contains("Signer Certificate Common Name: Jane Roe, Example Corp"),
            "{text}"
        );
        assert!(text.contains("Total document signed"), "{text}");
    }
    if let Some(qpdf) = tool("qpdf") {
        let out = Command::new(qpdf)
            .arg("--check")
            .arg(&pdf)
            .output()
            .unwrap();
        assert!(out.status.success());
    }

    // Stock minisign agrees.
    if let Some(minisign) = tool("minisign") {
        let x = tmp.path().join("x");
        fs::create_dir(&x).unwrap();
        for name in ["SHA256SUMS", "SHA256SUMS.minisig"] {
            fs::write(x.join(name), &files[name]).unwrap();
        }
        let out = Command::new(&minisign)
            .args(["-Vm", "SHA256SUMS", "-p"])
            .arg(tmp.path().join("keys/auditpack.pub"))
            .current_dir(&x)
            .output()
            .unwrap();
        assert_success(&out);
        assert!(stdout(&out).contains("signer: Jane Roe, Example Corp"));
        let out = Command::new(&minisign)
            .args(["-Vm", "SHA256SUMS", "-p"])
            .arg(&wrong)
            .current_dir(&x)
            .output()
            .unwrap();
        assert!(!out.status.success());
    }
}

/// Two builds of the same inputs, given by absolute and by relative paths, from two folders
/// into two others at different depths, give the same bundle and report, signed and
/// unsigned, and no folder name of the producer's appears in them.
#[test]
fn two_builds_from_two_folders_give_the_same_bytes() {
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    keygen(one.path(), "Jane Roe, Example Corp");
    fs::create_dir_all(two.path().join("deep/er/keys")).unwrap();
    for f in ["auditpack.key", "auditpack.crt"] {
        fs::copy(
            one.path().join("keys").join(f),
            two.path().join("deep/er/keys").join(f),
        )
        .unwrap();
    }
    let input = two.path().join("deep/er/exports");
    fs::create_dir_all(&input).unwrap();
    fs::copy(
        fixture("sla").join("incidents.csv"),
        input.join("incidents.csv"),
    )
    .unwrap();
    fs::copy(
        fixture("sla").join("policy.toml"),
        two.path().join("deep/my-policy.toml"),
    )
    .unwrap();
    for signed in [false, true] {
        let key: &[&str] = if signed {
            &["--key", "keys/auditpack.key"]
        } else {
            &[]
        };
        let a = auditpack(one.path())
            .args(["build", "--input"])
            .arg(fixture("sla"))
            .arg("--policy")
            .arg(fixture("sla").join("policy.toml"))
            .args(["--out", "a"])
            .args(key)
            .args(ARGS)
            .output()
            .unwrap();
        assert_success(&a);
        let b = auditpack(&two.path().join("deep/er"))
            .args([
                "build",
                "--input",
                "exports",
                "--policy",
                "../my-policy.toml",
                "--out",
            ])
            .arg(two.path().join("elsewhere/b"))
            .args(key)
            .args(ARGS)
            .output()
            .unwrap();
        assert_success(&b);
        let zip_a = fs::read(one.path().join("a/evidence-bundle.zip")).unwrap();
        let zip_b = fs::read(two.path().join("elsewhere/b/evidence-bundle.zip")).unwrap();
        assert!(zip_a == zip_b, "signed {signed}: the bundles differ");
        let files = entries(&zip_a);
        let text: String = ["manifest.json", "VERIFY.txt", "SHA256SUMS"]
            .iter()
            .map(|n| String::from_utf8_lossy(&files[*n]).into_owned())
            .collect();
        for folder in [
            one.path(),
            two.path(),
            Path::new(env!("CARGO_MANIFEST_DIR")),
        ] {
            let folder = folder.display().to_string();
            assert!(!text.contains(&folder), "{folder} recorded");
        }
        if let Some(pdftotext) = tool("pdftotext") {
            let o = Command::new(pdftotext)
                .arg(one.path().join("a/evidence-report.pdf"))
                .arg("-")
                .output()
                .unwrap();
            let report = stdout(&o);
            assert!(report.contains("policy.toml"), "signed {signed}");
            assert!(
                !report.contains("/tmp"),
                "signed {signed}: a path in the report"
            );
            assert!(!report.contains("my-policy"), "signed {signed}");
        }
    }
}

#[test]
fn rebuild_catches_a_consistently_rehashed_change() {
    let (tmp, out) = build(&fixture("sla"), &ARGS);
    assert!(out.status.success());
    let out = verify(
        tmp.path(),
        "out/evidence-bundle.zip",
        &["--allow-unsigned", "--rebuild"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains(
        "ok      rebuild derived/sla_summary.csv: recomputed from the bundle's inputs: identical"
    ));
    assert!(text.contains("ok      rebuild report/evidence-report.pdf: recomputed"));
    assert!(text.contains("ok      rebuild manifest.json: recomputed"));

    // Someone edits a figure and makes the manifest and SHA256SUMS agree: the hashes agree,
    // the recomputation does not.
    let mut files = entries(&fs::read(tmp.path().join("out/evidence-bundle.zip")).unwrap());
    let csv = String::from_utf8(files["derived/sla_summary.csv"].clone()).unwrap();
    assert!(csv.contains("P1,5,3,2,2,40.00"), "{csv}");
    files.insert(
        "derived/sla_summary.csv".to_string(),
        csv.replace("P1,5,3,2,2,40.00", "P1,5,3,2,5,100.00")
            .into_bytes(),
    );
    fs::write(tmp.path().join("t.zip"), reseal(files, None, false, |_| {})).unwrap();
    let out = verify(tmp.path(), "t.zip", &["--allow-unsigned"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = verify(tmp.path(), "t.zip", &["--allow-unsigned", "--rebuild"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("FAILED  rebuild derived/sla_summary.csv: differs from the recomputation at line 2: bundle has `P1,5,3,2,5,100.00"),
        "{text}"
    );
}

#[test]
fn source_date_epoch_sets_the_entry_times_and_is_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let out = auditpack(tmp.path())
        .env("SOURCE_DATE_EPOCH", "1700000000") // 2023-11-14T22:13:20Z
        .args(["build", "--input"])
        .arg(fixture("sla"))
        .args(["--out", "out"])
        .args(ARGS)
        .output()
        .unwrap();
    assert_success(&out);
    let zip = fs::read(tmp.path().join("out/evidence-bundle.zip")).unwrap();
    let files = entries(&zip);
    assert!(zip == canonical(&files, "2023-11-14T22:13:20Z"));
    let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    assert_eq!(manifest["parameters"]["source_date_epoch"], 1_700_000_000);
    // verify and the rebuild take the time from the manifest, not from the environment.
    let out = verify(
        tmp.path(),
        "out/evidence-bundle.zip",
        &["--allow-unsigned", "--rebuild"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn an_encrypted_key_needs_its_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    // An empty passphrase would write an unencrypted key: refused.
    let out = auditpack(tmp.path())
        .env("AUDITPACK_KEY_PASSWORD", "")
        .args(["keygen", "--out", "keys", "--name", "Jane Roe"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("AUDITPACK_KEY_PASSWORD"),
        "{}",
        stderr(&out)
    );
    assert!(!tmp.path().join("keys/auditpack.key").exists());
    let out = auditpack(tmp.path())
        .env("AUDITPACK_KEY_PASSWORD", "correct horse")
        .args(["keygen", "--out", "keys", "--name", "Jane Roe"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let build_with = |password: Option<&str>| {
        let mut cmd = auditpack(tmp.path());
        if let Some(p) = password {
            cmd.env("AUDITPACK_KEY_PASSWORD", p);
        }
        cmd.args(["build", "--input"])
            .arg(fixture("sla"))
            .args([
                "--out",
                "out",
                "--key",
                "keys/auditpack.key",
                "--register-limit",
                "5",
            ])
            .args(ARGS)
            .output()
            .unwrap()
    };
    let out = build_with(None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("the key is encrypted: set AUDITPACK_KEY_PASSWORD"));
    let out = build_with(Some(""));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("AUDITPACK_KEY_PASSWORD"),
        "{}",
        stderr(&out)
    );
    let out = build_with(Some("wrong"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("wrong passphrase"));
    assert!(!tmp.path().join("out").exists());
    let out = build_with(Some("correct horse"));
    assert_success(&out);
    let out = verify(
        tmp.path(),
        "out/evidence-bundle.zip",
        &["--pubkey", "keys/auditpack.pub", "--rebuild"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // The rebuild ran with the recorded `--register-limit`.
    let manifest: serde_json::Value = serde_json::from_slice(
        &entries(&fs::read(tmp.path().join("out/evidence-bundle.zip")).unwrap())["manifest.json"],
    )
    .unwrap();
    assert!(
        manifest["command_line"]
            .as_str()
            .unwrap()
            .ends_with("--register-limit 5"),
        "{manifest}"
    );
}

/// A secret key others can read is refused, as ssh refuses one; the demo key (checked out
/// 0644 by git) only warns.
#[cfg(unix)]
#[test]
fn a_secret_key_readable_by_others_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    keygen(tmp.path(), "Jane Roe");
    chmod(&tmp.path().join("keys/auditpack.key"), 0o644);
    let out = auditpack(tmp.path())
        .args(["build", "--input"])
        .arg(fixture("sla"))
        .args(["--out", "out", "--key", "keys/auditpack.key"])
        .args(ARGS)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(text.contains("keys/auditpack.key"), "{text}");
    assert!(text.contains("chmod 600"), "{text}");
    assert!(!tmp.path().join("out").exists());

    let demo = tmp.path().join("demo");
    fs::create_dir(&demo).unwrap();
    for f in ["auditpack.key", "auditpack.crt"] {
        fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("demo-keys")
                .join(f),
            demo.join(f),
        )
        .unwrap();
    }
    chmod(&demo.join("auditpack.key"), 0o644);
    let out = auditpack(tmp.path())
        .args(["build", "--input"])
        .arg(fixture("sla"))
        .args(["--out", "out", "--key", "demo/auditpack.key"])
        .args(ARGS)
        .output()
        .unwrap();
    assert_success(&out);
    assert!(stderr(&out).contains("DEMO KEY"), "{}", stderr(&out));
}

#[test]
fn pdf_signed_with_the_companys_own_key_and_certificate() {
    let Some(openssl) = tool("openssl") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    keygen(tmp.path(), "Jane Roe, Example Corp");
    let sh = |script: &str| {
        let out = Command::new("sh")
            .args(["-c", script])
            .env("OPENSSL", &openssl)
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert_success(&out);
    };
    sh(
        "\"$OPENSSL\" ecparam -genkey -name prime256v1 -noout | \"$OPENSSL\" pkcs8 -topk8 -nocrypt -out co.pem",
    );
    sh(
        "\"$OPENSSL\" req -new -x509 -key co.pem -subj '/CN=Example Corp Compliance' -days 3650 -out co.crt",
    );
    let build_with = |cert: &str| {
        auditpack(tmp.path())
            .args(["build", "--input"])
            .arg(fixture("sla"))
            .args([
                "--out",
                "out",
                "--key",
                "keys/auditpack.key",
                "--pdf-key",
                "co.pem",
                "--cert",
                cert,
            ])
            .args(ARGS)
            .output()
            .unwrap()
    };
    // The PDF key is a secret key too.
    #[cfg(unix)]
    {
        chmod(&tmp.path().join("co.pem"), 0o644);
        let out = build_with("co.crt");
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("chmod 600"), "{}", stderr(&out));
        chmod(&tmp.path().join("co.pem"), 0o600);
    }
    let out = build_with("co.crt");
    assert_success(&out);
    let out = verify(
        tmp.path(),
        "out/evidence-bundle.zip",
        &["--pubkey", "keys/auditpack.pub"],
    );
    assert!(stdout(&out).contains("certificate CN=Example Corp Compliance"));
    if let Some(pdfsig) = tool("pdfsig") {
        let out = Command::new(pdfsig)
            .arg("-no-ocsp")
            .arg(tmp.path().join("out/evidence-report.pdf"))
            .output()
            .unwrap();
        let text = stdout(&out);
        assert!(
            text.contains("Signature is Valid.") && text.contains("Example Corp Compliance"),
            "{text}"
        );
    }
    // A certificate for another key is refused before any work.
    let out = build_with("keys/auditpack.crt");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("keys/auditpack.crt: this certificate is not for the PDF signing key")
    );
}

/// The names of everything beside and in `out`, for the swap tests.
fn listing(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let names = |d: &Path| {
        let mut v: Vec<String> = fs::read_dir(d)
            .map(|r| {
                r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    BTreeMap::from([
        ("beside".to_string(), names(dir)),
        ("in".to_string(), names(&dir.join("out"))),
    ])
}

/// The user's own files in `--out` survive a rebuild; the outputs are replaced whole; a
/// staging folder a killed build left is removed; a build holding the lock keeps a second
/// one out.
#[test]
fn outputs_are_replaced_whole_and_nothing_else_is_touched() {
    let tmp = tempfile::tempdir().unwrap();
    let run = || {
        auditpack(tmp.path())
            .args(["build", "--input"])
            .arg(fixture("sla"))
            .args(["--out", "out", "-q"])
            .args(ARGS)
            .output()
            .unwrap()
    };
    fs::create_dir(tmp.path().join("out")).unwrap();
    fs::write(tmp.path().join("out/notes.txt"), "mine").unwrap();
    assert_success(&run());
    // A killed build's staging folder, and a stale derived file of a previous version.
    fs::create_dir(tmp.path().join(".auditpack-staging-out-KILLED")).unwrap();
    fs::write(tmp.path().join("out/derived/old_version.csv"), "x").unwrap();
    assert_success(&run());
    let seen = listing(tmp.path());
    assert_eq!(seen["beside"], ["out"], "{seen:?}");
    assert_eq!(
        seen["in"],
        [
            "derived",
            "evidence-bundle.zip",
            "evidence-report.pdf",
            "notes.txt"
        ]
    );
    assert_eq!(
        fs::read_to_string(tmp.path().join("out/notes.txt")).unwrap(),
        "mine"
    );
    assert!(!tmp.path().join("out/derived/old_version.csv").exists());

    // Another build holds the lock.
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(tmp.path().join(".out.auditpack-lock"))
        .unwrap();
    lock.try_lock().unwrap();
    let before = fs::read(tmp.path().join("out/evidence-bundle.zip")).unwrap();
    let out = run();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("another `auditpack build` is writing `out`"),
        "{}",
        stderr(&out)
    );
    assert!(before == fs::read(tmp.path().join("out/evidence-bundle.zip")).unwrap());
    drop(lock);
    assert_success(&run());
}
