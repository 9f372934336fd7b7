//! `auditpack verify BUNDLE`: checks a bundle in memory and prints each check and a verdict.
//! Exit 0 valid, 1 invalid or tampered (each failing file named), 2 unusable input.

use std::io::Write;

use crate::bundle::sign::PublicKey;
use crate::bundle::verify::{Check, Files, check, read_zip};
use crate::cli::{OutputFormat, VerifyArgs};
use crate::error::Location;
use crate::error::{Error, ExitStatus};

/// Runs the verification.
pub(crate) fn run(args: &VerifyArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let bytes = std::fs::read(&args.bundle).map_err(|e| Error::io("read", &args.bundle, e))?;
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
    let files = read_zip(&args.bundle, &bytes)?;
    let (pubkey, pinned) = match &args.fingerprint {
        None => (pubkey, None),
        Some(fp) => pin_bundled_key(&files, fp, pubkey),
    };
    let mut verdict = check(&files, args.allow_unsigned, pubkey.as_ref());
    if let Some(c) = pinned {
        verdict.checks.insert(0, c);
        verdict.valid = verdict.checks.iter().all(|c| c.ok);
    }
    if args.rebuild {
        verdict.checks.extend(rebuild(&files));
        verdict.valid = verdict.checks.iter().all(|c| c.ok);
    }
    let io = |e| Error::io("write", "standard output", e);
    if args.format == OutputFormat::Json {
        let text = serde_json::to_string_pretty(&verdict)
            .map_err(|e| Error::Usage(format!("cannot encode JSON: {e}")))?;
        writeln!(out, "{text}").map_err(io)?;
    } else {
        for c in &verdict.checks {
            let mark = if c.ok { "ok    " } else { "FAILED" };
            writeln!(out, "{mark}  {}: {}", c.subject, c.detail).map_err(io)?;
        }
        let failed = verdict.checks.iter().filter(|c| !c.ok).count();
        if verdict.valid {
            writeln!(
                out,
                "\nverdict: VALID ({} checks passed)",
                verdict.checks.len()
            )
            .map_err(io)?;
        } else {
            writeln!(
                out,
                "\nverdict: INVALID ({failed} of {} checks failed)",
                verdict.checks.len()
            )
            .map_err(io)?;
        }
    }
    Ok(if verdict.valid {
        ExitStatus::Success
    } else {
        ExitStatus::Negative
    })
}

/// The public key inside the bundle, if its fingerprint (SHA-256) or key id is `fingerprint`
/// (and it is the `--pubkey` one when that is given too), with the check that says so.
fn pin_bundled_key(
    files: &Files,
    fingerprint: &str,
    given: Option<PublicKey>,
) -> (Option<PublicKey>, Option<Check>) {
    let wanted: String = fingerprint
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .collect::<String>()
        .to_ascii_lowercase();
    let bundled = files
        .get(crate::bundle::PUBKEY_PATH)
        .and_then(|b| PublicKey::from_text(&String::from_utf8_lossy(b)).ok());
    let check = |ok: bool, detail: String| Check {
        subject: "fingerprint".to_string(),
        ok,
        detail,
    };
    match bundled {
        None => (
            given,
            Some(check(
                false,
                "the bundle holds no public key to pin".to_string(),
            )),
        ),
        Some(key) => {
            let matches = key.fingerprint() == wanted || key.id().to_ascii_lowercase() == wanted;
            let same_as_given = given.as_ref().is_none_or(|g| *g == key);
            if matches && same_as_given {
                let detail = format!(
                    "the bundled public key {} has the published fingerprint",
                    key.id()
                );
                (Some(key), Some(check(true, detail)))
            } else if !matches {
                let detail = format!(
                    "the bundled public key has fingerprint {} (key id {}), not {fingerprint}",
                    key.fingerprint(),
                    key.id()
                );
                (given, Some(check(false, detail)))
            } else {
                let detail = "the bundled public key is not the `--pubkey` one".to_string();
                (given, Some(check(false, detail)))
            }
        }
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
                return (
                    n,
                    x.unwrap_or("(end of file)").to_string(),
                    y.unwrap_or("(end of file)").to_string(),
                );
            }
        }
    }
}

/// Recomputes the derived CSVs from the bundle's inputs and policy with the recorded period
/// and as-of time, and compares them with the shipped ones.
fn rebuild(files: &Files) -> Vec<Check> {
    let fail = |detail: String| {
        vec![Check {
            subject: "rebuild".to_string(),
            ok: false,
            detail,
        }]
    };
    let Some(manifest) = files
        .get(crate::bundle::MANIFEST)
        .and_then(|b| serde_json::from_slice::<crate::bundle::Manifest>(b).ok())
    else {
        return fail("no readable manifest.json to take the parameters from".to_string());
    };
    let Some(policy_text) = files
        .get(crate::bundle::POLICY_PATH)
        .map(|b| String::from_utf8_lossy(b).into_owned())
    else {
        return fail("policy.toml is missing".to_string());
    };
    let result =
        (|| -> Result<Vec<(String, Vec<u8>)>, Error> {
            let policy =
                crate::policy::Policy::parse(std::path::Path::new("policy.toml"), &policy_text)?;
            let labels: Vec<(String, std::path::PathBuf)> = files
                .keys()
                .filter_map(|k| k.strip_prefix("inputs/"))
                .map(|n| {
                    (
                        n.to_string(),
                        std::path::PathBuf::from(format!("inputs/{n}")),
                    )
                })
                .collect();
            let entries: Vec<super::inputs::InputBytes<'_>> = labels
                .iter()
                .map(|(name, label)| super::inputs::InputBytes {
                    name,
                    label,
                    bytes: files.get(&format!("inputs/{name}")).map(Vec::as_slice),
                })
                .collect();
            let ingested =
                super::inputs::ingest_all(&entries, &policy, crate::ingest::Detail::Full)?;
            let p = &manifest.parameters;
            let (period, as_of) =
                crate::config::InputConfig::recorded(&p.period_from, &p.period_to, &p.as_of)?
                    .resolve(None, None, policy.timezone)?;
            let documents = super::inputs::read_documents(&entries)?;
            let evidence = crate::checks::evaluate(&policy, ingested, &documents, period, as_of)?;
            crate::derived::files(&evidence)
        })();
    let rebuilt = match result {
        Ok(r) => r,
        Err(e) => return fail(format!("the inputs could not be processed: {e}")),
    };
    rebuilt
        .into_iter()
        .map(|(path, bytes)| match files.get(&path) {
            None => Check {
                subject: format!("rebuild {path}"),
                ok: false,
                detail: "missing from the bundle".to_string(),
            },
            Some(shipped) if *shipped == bytes => Check {
                subject: format!("rebuild {path}"),
                ok: true,
                detail: "recomputed from inputs/ and policy.toml: identical".to_string(),
            },
            Some(shipped) => {
                let (line, expected, actual) = first_difference(shipped, &bytes);
                Check {
                    subject: format!("rebuild {path}"),
                    ok: false,
                    detail: format!(
                        "differs from the recomputation at line {line}: bundle has `{expected}`, recomputed `{actual}`"
                    ),
                }
            }
        })
        .collect()
}
