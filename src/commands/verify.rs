//! `auditpack verify BUNDLE`: checks a bundle (`bundle::verify`) and, with `--rebuild`,
//! makes everything it derives again from its own inputs, policy, templates and recorded
//! parameters (`build::assemble`) and compares it byte for byte; prints each check and the
//! verdict. Exit 0 valid, 1 invalid (tampered, forged, or not exactly what build writes),
//! 2 unusable (a usage error, checked before the bundle is opened; not a zip; hostile to
//! unpack; another auditpack version's bundle).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use super::build::{Recipe, Signer, assemble};
use super::inputs::{InputBytes, ingest_all, read_documents};
use super::progress::Progress;
use crate::bundle::sign::PublicKey;
use crate::bundle::verify::{Check, Opened, Trust, Verdict, copy_entry, verify};
use crate::bundle::{self, Entry, Role};
use crate::cli::{OutputFormat, TrustArgs, VerifyArgs};
use crate::config::InputConfig;
use crate::error::{Error, ExitStatus, Location};

/// The trust the flags state, checked before the bundle is opened: a key (its SHA-256, or a
/// public key file) means a signature, and without one `--allow-unsigned` must say so.
pub(crate) fn trust_of(args: &TrustArgs) -> Result<Trust, Error> {
    let keyed = args.pubkey.is_some() || args.fingerprint.is_some();
    if keyed && args.allow_unsigned {
        return Err(Error::Usage(
            "`--allow-unsigned` with `--pubkey` or `--fingerprint`: a key means the bundle must be signed; give the key, or `--allow-unsigned` alone".to_string(),
        ));
    }
    if !keyed && !args.allow_unsigned {
        return Err(Error::Usage(
            "say which key you trust: `--fingerprint <SHA-256 of the public key>` (as published by the signer) or `--pubkey FILE`; or `--allow-unsigned` to check hashes only".to_string(),
        ));
    }
    let fingerprint = match &args.fingerprint {
        None => None,
        Some(text) => {
            let hex: String = text
                .chars()
                .filter(|c| !c.is_whitespace() && *c != ':')
                .collect::<String>()
                .to_ascii_lowercase();
            if hex.len() == 16 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(Error::Usage(format!(
                    "`--fingerprint`: `{text}` is a 16-digit key id, which any key can be given; pin the public key's SHA-256 (64 hex digits, `public key sha256` in auditpack.fingerprint)"
                )));
            }
            if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(Error::Usage(format!(
                    "`--fingerprint`: `{text}` is not a SHA-256 (64 hex digits)"
                )));
            }
            Some(hex)
        }
    };
    let pubkey = match &args.pubkey {
        None => None,
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| Error::io("read", p, e))?;
            Some(
                PublicKey::from_text(&text).map_err(|reason| Error::KeyInvalid {
                    location: Location::file(p),
                    reason,
                })?,
            )
        }
    };
    Ok(Trust {
        pubkey,
        fingerprint,
        allow_unsigned: args.allow_unsigned,
        allow_demo_key: args.allow_demo_key,
    })
}

/// The file names `build` writes under `derived/`.
pub(crate) fn derived_names() -> Vec<String> {
    crate::derived::names().map(str::to_string).collect()
}

/// Runs the verification.
pub(crate) fn run(args: &VerifyArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let trust = trust_of(&args.trust)?;
    let (mut verdict, opened) = verify(&args.bundle, &trust, &derived_names())?;
    if args.rebuild {
        match &opened {
            Some(o) => verdict.checks.extend(rebuild(&args.bundle, o)),
            None => verdict.checks.push(Check {
                subject: "rebuild".to_string(),
                ok: false,
                detail: "not attempted: the bundle could not be read as a bundle".to_string(),
            }),
        }
        verdict.settle();
    }
    print_verdict(&verdict, args.format, out)?;
    Ok(if verdict.valid {
        ExitStatus::Success
    } else {
        ExitStatus::Negative
    })
}

/// Prints each check and the verdict.
pub(crate) fn print_verdict(
    verdict: &Verdict,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let io = |e| Error::io("write", "standard output", e);
    if format == OutputFormat::Json {
        let text = serde_json::to_string_pretty(verdict)
            .map_err(|e| Error::Usage(format!("cannot encode JSON: {e}")))?;
        return writeln!(out, "{text}").map_err(io);
    }
    for c in &verdict.checks {
        let mark = if c.ok { "ok    " } else { "FAILED" };
        writeln!(out, "{mark}  {}: {}", c.subject, c.detail).map_err(io)?;
    }
    let failed = verdict.checks.iter().filter(|c| !c.ok).count();
    let key = match (&verdict.key_sha256, verdict.demo_key, verdict.pinned) {
        (_, true, _) => " — DEMO KEY, not evidence",
        (Some(_), false, false) => {
            " — no key pinned: the signature proves nothing about who made it"
        }
        (None, _, _) => " — UNSIGNED: hashes prove integrity, not origin",
        _ => "",
    };
    if verdict.valid {
        writeln!(
            out,
            "\nverdict: VALID ({} checks passed){key}",
            verdict.checks.len()
        )
        .map_err(io)
    } else {
        writeln!(
            out,
            "\nverdict: INVALID ({failed} of {} checks failed){key}",
            verdict.checks.len()
        )
        .map_err(io)
    }
}

/// The first line where two texts differ: (1-based line, expected, actual).
fn first_difference(expected: &[u8], actual: &[u8]) -> (usize, String, String) {
    let (e, a) = (
        String::from_utf8_lossy(expected),
        String::from_utf8_lossy(actual),
    );
    let mut el = e.lines();
    let mut al = a.lines();
    let mut n = 0;
    loop {
        n += 1;
        match (el.next(), al.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (x, y) => {
                let cut = |s: Option<&str>| {
                    s.map_or("(end of file)".to_string(), |s| {
                        s.chars().take(200).collect()
                    })
                };
                return (n, cut(x), cut(y));
            }
        }
    }
}

fn compare(subject: &str, shipped: &[u8], rebuilt: &[u8]) -> Check {
    if shipped == rebuilt {
        return Check {
            subject: format!("rebuild {subject}"),
            ok: true,
            detail: "recomputed from the bundle's inputs: identical".to_string(),
        };
    }
    let (line, expected, actual) = first_difference(shipped, rebuilt);
    Check {
        subject: format!("rebuild {subject}"),
        ok: false,
        detail: format!(
            "differs from the recomputation at line {line}: bundle has `{expected}`, recomputed `{actual}`"
        ),
    }
}

/// Every entry of the bundle's `folder/`, whole, by name below it.
fn entries_under(opened: &Opened, folder: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = Vec::new();
    for e in &opened.zip.entries {
        if let Some(name) = e.name.strip_prefix(folder) {
            let mut bytes = Vec::with_capacity(e.size as usize);
            opened
                .zip
                .stream(e, &mut bytes)
                .map_err(|r| r.reason().to_string())?;
            out.push((name.to_string(), bytes));
        }
    }
    Ok(out)
}

pub(super) fn whole(opened: &Opened, name: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    match copy_entry(opened, name, &mut bytes) {
        Ok(true) => Ok(bytes),
        Ok(false) => Err(format!("`{name}` is missing")),
        Err(r) => Err(r.reason().to_string()),
    }
}

/// The bundle's inputs, policy and templates through the whole build again, with the
/// recorded period, as-of time and parameters; every derived file, the manifest (its
/// reconciliation, command line, file list and hashes) and the report compared with the
/// bundle's.
fn rebuild(path: &Path, opened: &Opened) -> Vec<Check> {
    match rebuild_checks(path, opened) {
        Ok(checks) => checks,
        Err(detail) => vec![Check {
            subject: "rebuild".to_string(),
            ok: false,
            detail,
        }],
    }
}

fn rebuild_checks(path: &Path, opened: &Opened) -> Result<Vec<Check>, String> {
    let m = &opened.manifest;
    let failed = |e: Error| format!("the inputs could not be processed: {e}");
    let policy_text = String::from_utf8(whole(opened, bundle::POLICY_PATH)?)
        .map_err(|_| "policy.toml is not UTF-8".to_string())?;
    let policy =
        crate::policy::Policy::parse(Path::new("policy.toml"), &policy_text).map_err(failed)?;
    let inputs = entries_under(opened, "inputs/")?;
    let labels: Vec<std::path::PathBuf> = inputs
        .iter()
        .map(|(n, _)| std::path::PathBuf::from(format!("inputs/{n}")))
        .collect();
    let entries: Vec<InputBytes<'_>> = inputs
        .iter()
        .zip(&labels)
        .map(|((name, bytes), label)| InputBytes {
            name,
            label,
            bytes: Some(bytes),
            skipped: None,
        })
        .collect();
    let ingested = ingest_all(&entries, &policy, crate::ingest::Detail::Full).map_err(failed)?;
    let p = &m.parameters;
    let (period, as_of) = InputConfig::recorded(&p.period_from, &p.period_to, &p.as_of)
        .and_then(|c| c.resolve(None, None, policy.timezone))
        .map_err(failed)?;
    let documents = read_documents(&entries).map_err(failed)?;
    let evidence =
        crate::checks::evaluate(&policy, ingested, &documents, period, as_of).map_err(failed)?;
    let signer = match (&m.signer, opened.zip.entry(bundle::PUBKEY_PATH)) {
        (Some(name), Some(_)) => {
            let text = String::from_utf8(whole(opened, bundle::PUBKEY_PATH)?)
                .map_err(|_| "auditpack.pub is not UTF-8".to_string())?;
            Some(Signer {
                name: name.clone(),
                key: PublicKey::from_text(&text)?,
            })
        }
        _ => None,
    };
    let recipe = Recipe {
        prepared_by: p.prepared_by.clone(),
        register_limit: p.register_limit,
        xlsx: p.xlsx,
        source_date_epoch: p
            .source_date_epoch
            .and_then(|s| chrono::DateTime::from_timestamp(s, 0)),
        templates: if p.templates {
            entries_under(opened, "templates/")?
        } else {
            Vec::new()
        },
        templates_dir: std::path::PathBuf::from("templates"),
        signer: signer.clone(),
    };
    let input_copies: Vec<(String, Vec<u8>)> = inputs.clone();
    let assembled = assemble(
        &evidence,
        &policy_text,
        input_copies,
        &recipe,
        &Progress::new(true),
    )
    .map_err(failed)?;
    let mut checks = Vec::new();
    let mut shipped_derived: BTreeMap<String, Vec<u8>> = entries_under(opened, "derived/")?
        .into_iter()
        .map(|(n, b)| (format!("derived/{n}"), b))
        .collect();
    for (name, bytes) in &assembled.derived {
        match shipped_derived.remove(name) {
            None => checks.push(Check {
                subject: format!("rebuild {name}"),
                ok: false,
                detail: "missing from the bundle".to_string(),
            }),
            Some(shipped) => checks.push(compare(name, &shipped, bytes)),
        }
    }
    for name in shipped_derived.keys() {
        checks.push(Check {
            subject: format!("rebuild {name}"),
            ok: false,
            detail: "the rebuild does not produce this file: build never wrote it".to_string(),
        });
    }
    checks.push(report_check(opened, &assembled.report, m, as_of)?);
    // The manifest again, from the rebuilt entries with the bundle's signed report: its
    // parameters, command line, reconciliation and every file's size and SHA-256.
    let shipped_report = whole(opened, bundle::REPORT_PATH)?;
    let mut entries: Vec<Entry> = assembled.entries;
    for e in &mut entries {
        if e.role == Role::Report {
            e.bytes = shipped_report.clone();
        }
    }
    let rebuilt =
        bundle::manifest_json(entries, assembled.manifest, signer.as_ref().map(|s| &s.key));
    let shipped_manifest = whole(opened, bundle::MANIFEST)?;
    checks.push(compare(bundle::MANIFEST, &shipped_manifest, &rebuilt));
    let _ = path;
    Ok(checks)
}

/// The bundled report against the rebuilt one: the same bytes, or (signed) the same bytes
/// followed by exactly the signature `build` appends.
fn report_check(
    opened: &Opened,
    rebuilt: &[u8],
    m: &bundle::Manifest,
    as_of: chrono::DateTime<chrono::Utc>,
) -> Result<Check, String> {
    let shipped = whole(opened, bundle::REPORT_PATH)?;
    let subject = format!("rebuild {}", bundle::REPORT_PATH);
    if shipped == rebuilt {
        return Ok(Check {
            subject,
            ok: true,
            detail: "recomputed from the bundle's inputs, policy and templates: identical"
                .to_string(),
        });
    }
    let signer = m.signer.as_deref().unwrap_or_default();
    Ok(
        match bundle::pdfsign::is_signed_copy(&shipped, rebuilt, signer, as_of) {
            Ok(()) => Check {
                subject,
                ok: true,
                detail: "recomputed from the bundle's inputs, policy and templates: identical, followed only by its embedded signature".to_string(),
            },
            Err(why) => Check {
                subject,
                ok: false,
                detail: format!("the bundled report {why}"),
            },
        },
    )
}
