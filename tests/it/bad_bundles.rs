//! Forged and damaged bundles: every case of `tests/bad-bundles/cases.txt` is made here from
//! a genuine small signed bundle and checked for its exit code and the phrase of its message.
//! Every line there has a maker here and every maker a line there. Stock tools then check the
//! genuine bundle, and that on every forged one `unzip` either fails or extracts only what
//! verify hashed.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::forge::{Forger, canonical, canonical_list, entries, reseal};
use crate::{assert_success, auditpack, fixture, tool};

const ARGS: [&str; 6] = [
    "--from",
    "2026-01-01",
    "--to",
    "2026-01-31",
    "--as-of",
    "2026-01-31T00:00:00Z",
];
const AS_OF: &str = "2026-01-31T00:00:00Z";

/// A folder with the victim's key (`keys/`), an attacker's (`mallory/`), and the genuine
/// bundle signed with the victim's key (`genuine.zip`).
struct Scene {
    tmp: tempfile::TempDir,
    genuine: Vec<u8>,
    victim_sha: String,
    victim_id: String,
}

fn keygen(dir: &Path, out: &str, name: &str) {
    assert_success(
        &auditpack(dir)
            .args(["keygen", "--out", out, "--name", name])
            .output()
            .unwrap(),
    );
}

fn build_into(dir: &Path, input: &Path, out: &str, extra: &[&str]) -> Vec<u8> {
    let o = auditpack(dir)
        .args(["build", "--input"])
        .arg(input)
        .args(["--out", out, "-q"])
        .args(ARGS)
        .args(extra)
        .output()
        .unwrap();
    assert_success(&o);
    fs::read(dir.join(out).join("evidence-bundle.zip")).unwrap()
}

fn scene() -> Scene {
    let tmp = tempfile::tempdir().unwrap();
    keygen(tmp.path(), "keys", "Vera Victim, Example Corp");
    keygen(tmp.path(), "mallory", "Mallory");
    let genuine = build_into(
        tmp.path(),
        &fixture("sla"),
        "out",
        &[
            "--key",
            "keys/auditpack.key",
            "--prepared-by",
            "Vera Victim",
        ],
    );
    fs::write(tmp.path().join("genuine.zip"), &genuine).unwrap();
    let fp = fs::read_to_string(tmp.path().join("keys/auditpack.fingerprint")).unwrap();
    let field = |k: &str| {
        fp.lines()
            .find_map(|l| l.strip_prefix(k))
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    };
    Scene {
        victim_sha: field("public key sha256: "),
        victim_id: field("key id: "),
        genuine,
        tmp,
    }
}

impl Scene {
    fn path(&self) -> &Path {
        self.tmp.path()
    }

    fn victim(&self) -> Forger {
        Forger::from_file(&self.path().join("keys/auditpack.key"))
    }

    fn mallory(&self) -> Forger {
        Forger::from_file(&self.path().join("mallory/auditpack.key"))
    }

    fn files(&self) -> BTreeMap<String, Vec<u8>> {
        entries(&self.genuine)
    }

    fn pin(&self) -> Vec<String> {
        vec!["--fingerprint".to_string(), self.victim_sha.clone()]
    }
}

/// Offsets of the end record and of each central directory entry of a zip.
fn end_record(zip: &[u8]) -> usize {
    zip.len() - 22
}

fn directory_at(zip: &[u8]) -> usize {
    let e = end_record(zip);
    u32::from_le_bytes(zip[e + 16..e + 20].try_into().unwrap()) as usize
}

/// The offset of the central directory entry of `name`.
fn central_of(zip: &[u8], name: &str) -> usize {
    let mut at = directory_at(zip);
    loop {
        let n = u16::from_le_bytes([zip[at + 28], zip[at + 29]]) as usize;
        if &zip[at + 46..at + 46 + n] == name.as_bytes() {
            return at;
        }
        at += 46 + n;
    }
}

fn local_of(zip: &[u8], name: &str) -> usize {
    let c = central_of(zip, name);
    u32::from_le_bytes(zip[c + 42..c + 46].try_into().unwrap()) as usize
}

/// `zip` with `bytes` put in at `pos`, every offset after it (local headers in the
/// directory, the directory in the end record) moved on, and the directory's length grown
/// when `pos` is inside it: a zip whose structure still adds up, so only the layout rules
/// can refuse it.
fn insert_at(zip: &[u8], pos: usize, bytes: &[u8]) -> Vec<u8> {
    let n = bytes.len() as u32;
    let mut out = zip[..pos].to_vec();
    out.extend_from_slice(bytes);
    out.extend_from_slice(&zip[pos..]);
    let dir = directory_at(zip);
    let e = end_record(zip);
    let shift = |at: usize| if at >= pos { at + bytes.len() } else { at };
    let mut at = dir;
    while at < e {
        let name_len = u16::from_le_bytes([zip[at + 28], zip[at + 29]]) as usize;
        let extra = u16::from_le_bytes([zip[at + 30], zip[at + 31]]) as usize;
        let comment = u16::from_le_bytes([zip[at + 32], zip[at + 33]]) as usize;
        let offset = u32::from_le_bytes(zip[at + 42..at + 46].try_into().unwrap());
        if offset as usize >= pos {
            let o = shift(at) + 42;
            out[o..o + 4].copy_from_slice(&(offset + n).to_le_bytes());
        }
        at += 46 + name_len + extra + comment;
    }
    let (e2, d2) = (shift(e), shift(dir));
    out[e2 + 16..e2 + 20].copy_from_slice(&(d2 as u32).to_le_bytes());
    if pos > dir && pos <= e {
        let len = u32::from_le_bytes(zip[e + 12..e + 16].try_into().unwrap()) + n;
        out[e2 + 12..e2 + 16].copy_from_slice(&len.to_le_bytes());
    }
    out
}

/// Info-ZIP's Unicode Path extra field (0x7075) naming `name`: `unzip` extracts the entry
/// under that name instead of the header's.
fn unicode_path_extra(original: &str, name: &str) -> Vec<u8> {
    let mut field = vec![1u8];
    field.extend_from_slice(&crc32(original.as_bytes()).to_le_bytes());
    field.extend_from_slice(name.as_bytes());
    let mut out = 0x7075u16.to_le_bytes().to_vec();
    out.extend_from_slice(&(field.len() as u16).to_le_bytes());
    out.extend_from_slice(&field);
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The genuine report with an incremental update appended after its signature (a new
/// object and trailer, as a PDF editor saves a change), or with its signature dictionary's
/// `/ByteRange` renamed so no signature is found.
fn edited_report(pdf: &[u8], strip: bool) -> Vec<u8> {
    let mut out = pdf.to_vec();
    if strip {
        let at = out.windows(10).rposition(|w| w == b"/ByteRange").unwrap();
        out[at + 9] = b'X';
    } else {
        out.extend_from_slice(
            b"\n99 0 obj\n<< /Type /Annot /Subtype /FreeText /Contents (All targets met) >>\nendobj\ntrailer\n<< /Size 100 >>\n%%EOF\n",
        );
    }
    out
}

/// The bundle a case is about (written to `case.zip`) and the arguments of the command.
fn make(case: &str, s: &Scene) -> (Vec<u8>, Vec<String>) {
    let strings = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let mut args = s.pin();
    let zip = match case {
        "genuine" => s.genuine.clone(),
        "genuine-key-file" => {
            args = strings(&["--pubkey", "keys/auditpack.pub"]);
            s.genuine.clone()
        }
        "not-a-zip" => b"not a zip at all".to_vec(),
        "no-key" => {
            args = Vec::new();
            s.genuine.clone()
        }
        "key-id-pin" => {
            args = vec!["--fingerprint".to_string(), s.victim_id.clone()];
            s.genuine.clone()
        }
        "key-and-allow-unsigned" => {
            args.push("--allow-unsigned".to_string());
            s.genuine.clone()
        }
        "key-id-forged" => {
            // Mallory's own bundle, her key carrying the victim's key id.
            let own = build_into(
                s.path(),
                &fixture("sla"),
                "mallory-out",
                &[
                    "--key",
                    "mallory/auditpack.key",
                    "--prepared-by",
                    "Vera Victim",
                ],
            );
            let mallory = s.mallory();
            let mut files = entries(&own);
            files.insert(
                "auditpack.pub".to_string(),
                mallory
                    .public_text_with_id(Forger::keynum_of_id(&s.victim_id), &s.victim_id)
                    .into_bytes(),
            );
            reseal(files, Some(&mallory), false, |_| {})
        }
        "other-key" => build_into(
            s.path(),
            &fixture("sla"),
            "mallory-out",
            &["--key", "mallory/auditpack.key"],
        ),
        "shadow-directory" => {
            // The attacker's report and summary in a zip of their own after the genuine
            // one, then an end record whose comment runs past the end of the file.
            let mut files = BTreeMap::new();
            files.insert(
                "derived/sla_summary.csv".to_string(),
                b"severity\nP1\n".to_vec(),
            );
            files.insert(
                "report/evidence-report.pdf".to_string(),
                b"%PDF-1.7 forged".to_vec(),
            );
            let mut zip = s.genuine.clone();
            zip.extend_from_slice(&canonical(&files, AS_OF));
            let e = end_record(&zip);
            let mut shadow_end = zip[e..].to_vec();
            shadow_end[20..22].copy_from_slice(&0xFFFFu16.to_le_bytes());
            zip.extend_from_slice(&shadow_end);
            zip
        }
        "stripped-signature" => {
            let mut files = s.files();
            files.remove("auditpack.pub");
            files.insert("derived/sla_summary.csv".to_string(), b"all met\n".to_vec());
            reseal(files, None, false, |m| {
                m["signed"] = false.into();
                m["signer"] = serde_json::Value::Null;
                m["key_id"] = serde_json::Value::Null;
                m["key_sha256"] = serde_json::Value::Null;
            })
        }
        "zip64-count" => {
            let mut zip = s.genuine.clone();
            let e = end_record(&zip);
            zip[e + 8..e + 12].copy_from_slice(&[0xFF; 4]);
            zip
        }
        "stray-end-in-comment" => {
            let mut zip = s.genuine.clone();
            let e = end_record(&zip);
            zip[e + 20..e + 22].copy_from_slice(&26u16.to_le_bytes());
            zip.extend_from_slice(b"PK\x05\x06");
            zip.extend_from_slice(&[0; 22]);
            zip
        }
        "comment" => {
            let mut zip = s.genuine.clone();
            let e = end_record(&zip);
            zip[e + 20..e + 22].copy_from_slice(&4u16.to_le_bytes());
            zip.extend_from_slice(b"note");
            zip
        }
        "trailing-bytes" => {
            let mut zip = s.genuine.clone();
            zip.extend_from_slice(b"junk");
            zip
        }
        "prefix-bytes" => {
            let mut zip = b"junk".to_vec();
            zip.extend_from_slice(&s.genuine);
            zip
        }
        "duplicate-name" | "case-duplicate" | "nfc-duplicate" => {
            let mut list: Vec<(String, Vec<u8>)> = s.files().into_iter().collect();
            let (a, b) = match case {
                "duplicate-name" => ("derived/exceptions.csv", "derived/exceptions.csv"),
                "case-duplicate" => ("derived/Exceptions.csv", "derived/exceptions.csv"),
                _ => ("inputs/cafe\u{301}.csv", "inputs/caf\u{e9}.csv"),
            };
            list.push((a.to_string(), b"tampered\n".to_vec()));
            list.push((b.to_string(), b"tampered\n".to_vec()));
            list.sort_by(|x, y| x.0.cmp(&y.0));
            canonical_list(&list, AS_OF)
        }
        "encrypted" => {
            let mut zip = s.genuine.clone();
            let (c, l) = (
                central_of(&zip, "policy.toml"),
                local_of(&zip, "policy.toml"),
            );
            zip[c + 8] |= 1;
            zip[l + 6] |= 1;
            zip
        }
        // A data descriptor (flag bit 3): sizes would come from after the data, where
        // readers differ on what they trust.
        "data-descriptor" => {
            let mut zip = s.genuine.clone();
            let (c, l) = (
                central_of(&zip, "policy.toml"),
                local_of(&zip, "policy.toml"),
            );
            zip[c + 8] |= 8;
            zip[l + 6] |= 8;
            zip
        }
        // The directory's time differs from the local header's: `unzip -l` shows one, the
        // extracted file gets the other.
        "time-mismatch" => {
            let mut zip = s.genuine.clone();
            let c = central_of(&zip, "policy.toml");
            zip[c + 12] ^= 1;
            zip
        }
        // The local header asks for a newer zip version than the directory says.
        "version-mismatch" => {
            let mut zip = s.genuine.clone();
            let l = local_of(&zip, "policy.toml");
            zip[l + 4] = 45;
            zip
        }
        "local-central-mismatch" => {
            let mut zip = s.genuine.clone();
            let l = local_of(&zip, "policy.toml");
            zip[l + 30] = b'P';
            zip
        }
        "stored-deflated" => {
            let mut zip = s.genuine.clone();
            let (c, l) = (
                central_of(&zip, "policy.toml"),
                local_of(&zip, "policy.toml"),
            );
            zip[c + 10] = 0;
            zip[l + 8] = 0;
            zip
        }
        "extra-file" | "extra-derived" | "missing-file" => {
            let mut files = s.files();
            match case {
                "extra-file" => {
                    files.insert("extra.txt".to_string(), b"x".to_vec());
                }
                "extra-derived" => {
                    files.insert("derived/zz_extra.csv".to_string(), b"x\n".to_vec());
                }
                _ => {
                    files.remove("derived/inputs.csv");
                }
            }
            reseal(files, Some(&s.victim()), false, |_| {})
        }
        "manifest-key-id-lie" => reseal(s.files(), Some(&s.victim()), false, |m| {
            m["key_id"] = "0123456789ABCDEF".into();
        }),
        "manifest-size-lie" => reseal(s.files(), Some(&s.victim()), false, |m| {
            for f in m["files"].as_array_mut().unwrap() {
                if f["path"] == "derived/exceptions.csv" {
                    f["size"] = (f["size"].as_u64().unwrap() + 1).into();
                }
            }
        }),
        "legacy-signature" => reseal(s.files(), Some(&s.victim()), true, |_| {}),
        "legacy-signature-other-key" => {
            // Mallory's key in the bundle, a legacy `Ed` signature by it.
            let mut files = s.files();
            files.insert(
                "auditpack.pub".to_string(),
                fs::read(s.path().join("mallory/auditpack.pub")).unwrap(),
            );
            reseal(files, Some(&s.mallory()), true, |_| {})
        }
        "lenient-report" => {
            // The key holder signs genuine inputs and CSVs with a report made under a
            // lenient policy.
            let lenient = s.path().join("lenient");
            fs::create_dir(&lenient).unwrap();
            fs::copy(
                fixture("sla").join("incidents.csv"),
                lenient.join("incidents.csv"),
            )
            .unwrap();
            let policy = fs::read_to_string(fixture("sla").join("policy.toml"))
                .unwrap()
                .replace("ack_within_sla_pct = 95.0", "ack_within_sla_pct = 50.0");
            fs::write(lenient.join("policy.toml"), policy).unwrap();
            let other = build_into(
                s.path(),
                &lenient,
                "lenient-out",
                &[
                    "--key",
                    "keys/auditpack.key",
                    "--prepared-by",
                    "Vera Victim",
                ],
            );
            let mut files = s.files();
            files.insert(
                "report/evidence-report.pdf".to_string(),
                entries(&other)["report/evidence-report.pdf"].clone(),
            );
            args.push("--rebuild".to_string());
            reseal(files, Some(&s.victim()), false, |_| {})
        }
        "reconciliation-lie" => {
            args.push("--rebuild".to_string());
            reseal(s.files(), Some(&s.victim()), false, |m| {
                let r = &mut m["reconciliation"][0]["rows_rejected"];
                *r = (r.as_u64().unwrap() + 1).into();
            })
        }
        // The key holder claims a narrower or a better-documented population than the
        // inputs show: a filter the export never stated, an extraction record that is not
        // among the inputs. Only the rebuild can tell (the manifest is theirs to sign).
        "scope-lie" => {
            args.push("--rebuild".to_string());
            reseal(s.files(), Some(&s.victim()), false, |m| {
                m["reconciliation"][0]["scope"] = "created_at_start=2026-01-01T00:00:00".into();
            })
        }
        "extraction-forged" => {
            args.push("--rebuild".to_string());
            reseal(s.files(), Some(&s.victim()), false, |m| {
                m["extraction"] = serde_json::json!({
                    "account": "example", "extracted_at": "2026-02-01T09:00:00Z",
                    "extracted_by": "Vera Victim", "file": "extraction.toml",
                    "filters": "all teams", "notes": null, "pagerduty_count": 11,
                    "source": "POST /analytics/raw/incidents",
                });
            })
        }
        // A manifest key build never writes: refused without the rebuild.
        "manifest-unknown-key" => reseal(s.files(), Some(&s.victim()), false, |m| {
            m["extraction_note"] = "reviewed".into();
        }),
        "demo-key" => {
            // The demo key with another signer name typed on its first line.
            let key = fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-keys/auditpack.key"),
            )
            .unwrap();
            let renamed = key.replacen(
                "DEMO KEY - sample data only, never for real evidence",
                "Vera Victim, Example Corp",
                1,
            );
            fs::create_dir_all(s.path().join("demo")).unwrap();
            fs::write(s.path().join("demo/auditpack.key"), renamed).unwrap();
            fs::copy(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-keys/auditpack.crt"),
                s.path().join("demo/auditpack.crt"),
            )
            .unwrap();
            fs::copy(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-keys/auditpack.pub"),
                s.path().join("demo/auditpack.pub"),
            )
            .unwrap();
            args = strings(&["--pubkey", "demo/auditpack.pub"]);
            build_into(
                s.path(),
                &fixture("sla"),
                "demo-out",
                &["--key", "demo/auditpack.key"],
            )
        }
        "symlink" | "dot-dot" | "absolute" | "backslash" | "nul" => {
            let mut list: Vec<(String, Vec<u8>)> = s.files().into_iter().collect();
            let name = match case {
                "symlink" => "zz-link",
                "dot-dot" => "../../etc/evil",
                "absolute" => "/etc/evil",
                "backslash" => "inputs\\evil.csv",
                _ => "inputs/evil\0.csv",
            };
            list.push((name.to_string(), b"/etc/passwd".to_vec()));
            list.sort_by(|x, y| x.0.cmp(&y.0));
            let mut zip = canonical_list(&list, AS_OF);
            if case == "symlink" {
                let c = central_of(&zip, name);
                zip[c + 38..c + 42].copy_from_slice(&(0o120_777u32 << 16).to_le_bytes());
            }
            zip
        }
        "bomb" => {
            let mut files = s.files();
            files.insert("derived/zz.csv".to_string(), vec![b'0'; 64 << 20]);
            canonical(&files, AS_OF)
        }
        // `unzip` honours a Unicode Path extra field and would extract `policy.toml` as
        // another name than the one verify hashed.
        "unicode-path-extra" => {
            let zip = s.genuine.clone();
            let l = local_of(&zip, "policy.toml");
            let name_len = u16::from_le_bytes([zip[l + 26], zip[l + 27]]) as usize;
            let extra = unicode_path_extra("policy.toml", "policy-lenient.toml");
            let mut zip = insert_at(&zip, l + 30 + name_len, &extra);
            zip[l + 28..l + 30].copy_from_slice(&(extra.len() as u16).to_le_bytes());
            zip
        }
        "central-extra" | "entry-comment" => {
            let zip = s.genuine.clone();
            let c = central_of(&zip, "policy.toml");
            let name_len = u16::from_le_bytes([zip[c + 28], zip[c + 29]]) as usize;
            let (bytes, field) = match case {
                "central-extra" => (unicode_path_extra("policy.toml", "other.toml"), 30),
                _ => (b"approved by the CISO".to_vec(), 32),
            };
            let mut zip = insert_at(&zip, c + 46 + name_len, &bytes);
            zip[c + field..c + field + 2].copy_from_slice(&(bytes.len() as u16).to_le_bytes());
            zip
        }
        // Bytes hidden between two entries, every offset still adding up.
        "gap-between-entries" => {
            let l = local_of(&s.genuine, "policy.toml");
            insert_at(&s.genuine, l, b"hidden data no tool lists")
        }
        // The UTF-8 flag cleared in both headers: tools then read the names as CP437.
        "cp437-names" => {
            let mut zip = s.genuine.clone();
            let (c, l) = (
                central_of(&zip, "policy.toml"),
                local_of(&zip, "policy.toml"),
            );
            zip[c + 9] &= !(1 << 3);
            zip[l + 7] &= !(1 << 3);
            zip
        }
        "out-of-order" => {
            let mut list: Vec<(String, Vec<u8>)> = s.files().into_iter().collect();
            list.reverse();
            canonical_list(&list, AS_OF)
        }
        // The key holder re-signs a bundle whose report was edited after its embedded
        // signature (an appended revision), or whose signature was taken out of the PDF.
        "pdf-appended-revision" | "pdf-signature-stripped" => {
            let mut files = s.files();
            let pdf = files["report/evidence-report.pdf"].clone();
            files.insert(
                "report/evidence-report.pdf".to_string(),
                edited_report(&pdf, case == "pdf-signature-stripped"),
            );
            reseal(files, Some(&s.victim()), false, |_| {})
        }
        "sample-forged" => {
            let mut files = s.files();
            // Every breach removed from the register the sample draws from.
            let register = String::from_utf8(files["derived/incident_register.csv"].clone())
                .unwrap()
                .replace(",false,", ",true,");
            files.insert(
                "derived/incident_register.csv".to_string(),
                register.into_bytes(),
            );
            reseal(files, Some(&s.mallory()), false, |_| {})
        }
        other => panic!("no maker for case `{other}` of tests/bad-bundles/cases.txt"),
    };
    (zip, args)
}

fn run_case(case: &str, s: &Scene) -> (Output, PathBuf) {
    let (zip, args) = make(case, s);
    let path = s.path().join(format!("{case}.zip"));
    fs::write(&path, &zip).unwrap();
    let mut cmd = auditpack(s.path());
    if case == "sample-forged" {
        cmd.args(["sample", "--bundle"]).arg(&path).args([
            "--size",
            "3",
            "--seed",
            "7",
            "--out",
            "sample-out",
        ]);
    } else {
        cmd.arg("verify").arg(&path);
    }
    (cmd.args(&args).output().unwrap(), path)
}

#[test]
fn every_forged_bundle_is_refused_with_its_reason() {
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-bundles/cases.txt"),
    )
    .unwrap();
    let s = scene();
    let unzip = tool("unzip");
    let mut seen = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let mut parts = line.split_whitespace();
        let case = parts.next().unwrap();
        let code: i32 = parts.next().unwrap().parse().unwrap();
        let phrase = parts.collect::<Vec<_>>().join(" ");
        seen.push(case.to_string());
        let (out, path) = run_case(case, &s);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("panicked"), "{case} panicked:\n{all}");
        assert_eq!(out.status.code(), Some(code), "{case}:\n{all}");
        assert!(all.contains(&phrase), "{case}: `{phrase}` not in\n{all}");
        // On a refused bundle, unzip either fails or extracts only files verify would hash;
        // what matters is that verify did not say VALID.
        if code != 0 {
            assert!(!all.contains("verdict: VALID"), "{case}:\n{all}");
        }
        if let Some(unzip) = &unzip
            && code == 0
        {
            let dir = s.path().join(format!("{case}-unzipped"));
            let o = Command::new(unzip)
                .arg("-q")
                .arg(&path)
                .arg("-d")
                .arg(&dir)
                .output()
                .unwrap();
            assert!(o.status.success(), "{case}: {o:?}");
        }
    }
    // Every maker is a line of cases.txt (a case added here without its line fails).
    for case in [
        "genuine",
        "genuine-key-file",
        "not-a-zip",
        "no-key",
        "key-id-pin",
        "key-and-allow-unsigned",
        "key-id-forged",
        "other-key",
        "shadow-directory",
        "stripped-signature",
        "zip64-count",
        "stray-end-in-comment",
        "comment",
        "trailing-bytes",
        "prefix-bytes",
        "duplicate-name",
        "case-duplicate",
        "nfc-duplicate",
        "encrypted",
        "local-central-mismatch",
        "data-descriptor",
        "time-mismatch",
        "version-mismatch",
        "stored-deflated",
        "extra-file",
        "extra-derived",
        "missing-file",
        "manifest-key-id-lie",
        "manifest-size-lie",
        "legacy-signature",
        "legacy-signature-other-key",
        "lenient-report",
        "reconciliation-lie",
        "scope-lie",
        "extraction-forged",
        "manifest-unknown-key",
        "demo-key",
        "symlink",
        "dot-dot",
        "absolute",
        "backslash",
        "nul",
        "bomb",
        "sample-forged",
        "unicode-path-extra",
        "central-extra",
        "entry-comment",
        "gap-between-entries",
        "cp437-names",
        "out-of-order",
        "pdf-appended-revision",
        "pdf-signature-stripped",
    ] {
        assert!(
            seen.iter().any(|c| c == case),
            "case `{case}` has no line in cases.txt"
        );
    }
    assert_eq!(seen.len(), 52, "{seen:?}");
}

#[test]
fn stock_tools_agree_on_the_genuine_bundle() {
    let s = scene();
    let dir = s.path().join("unzipped");
    if let Some(unzip) = tool("unzip") {
        let t = Command::new(&unzip)
            .arg("-t")
            .arg(s.path().join("genuine.zip"))
            .output()
            .unwrap();
        assert!(t.status.success(), "{t:?}");
        let x = Command::new(&unzip)
            .arg("-q")
            .arg(s.path().join("genuine.zip"))
            .arg("-d")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(x.status.success(), "{x:?}");
        // unzip extracts exactly the files SHA256SUMS and verify hashed.
        if let Some(sha256sum) = tool("sha256sum") {
            let c = Command::new(sha256sum)
                .args(["-c", "--strict", "SHA256SUMS"])
                .current_dir(&dir)
                .output()
                .unwrap();
            assert!(c.status.success(), "{c:?}");
        }
        if let Some(minisign) = tool("minisign") {
            let m = Command::new(minisign)
                .args(["-Vm", "SHA256SUMS", "-p", "auditpack.pub"])
                .current_dir(&dir)
                .output()
                .unwrap();
            assert!(m.status.success(), "{m:?}");
            assert!(String::from_utf8_lossy(&m.stdout).contains("signer: Vera Victim"));
        }
        if let Some(pdfsig) = tool("pdfsig") {
            let p = Command::new(pdfsig)
                .args(["-no-ocsp", "report/evidence-report.pdf"])
                .current_dir(&dir)
                .output()
                .unwrap();
            assert!(
                String::from_utf8_lossy(&p.stdout).contains("Signature is Valid."),
                "{p:?}"
            );
        }
    }
    if let Some(python) = tool("python3") {
        // Python's zipfile reads the same entries, with the same bytes.
        let script = "import sys, zipfile, hashlib\n\
                      z = zipfile.ZipFile(sys.argv[1])\n\
                      assert z.testzip() is None\n\
                      for i in z.infolist(): print(hashlib.sha256(z.read(i)).hexdigest() + '  ' + i.filename)\n";
        let o = Command::new(python)
            .args(["-c", script])
            .arg(s.path().join("genuine.zip"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
        let listed = String::from_utf8_lossy(&o.stdout).into_owned();
        let sums = String::from_utf8(entries(&s.genuine)["SHA256SUMS"].clone()).unwrap();
        for line in sums.lines() {
            assert!(
                listed.contains(line),
                "`{line}` not in zipfile's reading:\n{listed}"
            );
        }
    }
}

#[test]
fn a_demo_bundle_is_checked_with_allow_demo_key_and_still_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let key = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-keys/auditpack.key");
    let o = auditpack(tmp.path())
        .args(["build", "--input"])
        .arg(fixture("sla"))
        .args(["--out", "out", "--key"])
        .arg(&key)
        .args(ARGS)
        .output()
        .unwrap();
    assert_success(&o);
    assert!(String::from_utf8_lossy(&o.stderr).contains("DEMO KEY"));
    let pubkey = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-keys/auditpack.pub");
    let v = auditpack(tmp.path())
        .args([
            "verify",
            "out/evidence-bundle.zip",
            "--allow-demo-key",
            "--pubkey",
        ])
        .arg(&pubkey)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&v.stdout);
    assert_eq!(v.status.code(), Some(0), "{text}");
    assert!(
        text.contains("verdict: VALID") && text.contains("DEMO KEY, not evidence"),
        "{text}"
    );
    let manifest: serde_json::Value = serde_json::from_slice(
        &entries(&fs::read(tmp.path().join("out/evidence-bundle.zip")).unwrap())["manifest.json"],
    )
    .unwrap();
    assert_eq!(manifest["demo_key"], true);
}
