//! Reading and checking a bundle: safe extraction into memory (never to disk), then the
//! checks, each reported: every `SHA256SUMS` line, no file missing or extra, the manifest
//! naming the report, and whether the bundle is signed.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;

use serde::Serialize;

use super::sign::PublicKey;
use super::{MANIFEST, Manifest, SHA256SUMS, SIGNATURE};
use crate::error::{Error, Location};
use crate::ingest::sha256_hex;

/// Largest uncompressed size of one entry, and of the whole bundle.
const MAX_ENTRY: u64 = 4 << 30;
const MAX_TOTAL: u64 = 8 << 30;
/// A deflate ratio above this on an entry over 1 MiB is treated as a zip bomb.
const MAX_RATIO: u64 = 200;

/// The files of a bundle, by path.
pub(crate) type Files = BTreeMap<String, Vec<u8>>;

fn bad(path: &Path, reason: String) -> Error {
    Error::BundleInvalid {
        location: Location::file(path),
        reason,
    }
}

/// Reads every entry into memory, refusing what a hostile bundle would use: paths with
/// `..` or a root, symbolic links, duplicate names, entries larger than declared, and
/// compression ratios of a zip bomb.
pub(crate) fn read_zip(path: &Path, bytes: &[u8]) -> Result<Files, Error> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| bad(path, format!("not a readable zip archive: {e}")))?;
    // The zip crate keeps one entry per name: compare with the count the end-of-central-
    // directory record declares, so two entries of one name cannot hide each other.
    let declared_entries = bytes
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .and_then(|at| bytes.get(at + 10..at + 12))
        .map(|b| u16::from_le_bytes([b[0], b[1]]));
    if let Some(n) = declared_entries.filter(|&n| n != u16::MAX)
        && usize::from(n) != archive.len()
    {
        return Err(bad(
            path,
            format!(
                "the archive declares {n} entries but has {} distinct names: duplicate entries",
                archive.len()
            ),
        ));
    }
    let mut files = Files::new();
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| bad(path, format!("entry {i} is not readable: {e}")))?;
        let name = entry
            .name()
            .map_err(|e| bad(path, format!("entry {i} has an unreadable name: {e}")))?
            .to_string();
        let unsafe_path = name.starts_with('/')
            || name.contains('\\')
            || name
                .split('/')
                .any(|c| c == ".." || c.is_empty() && !name.ends_with('/'))
            || entry.enclosed_name().is_none();
        if unsafe_path {
            return Err(bad(path, format!("entry `{name}` has an unsafe path")));
        }
        if entry.is_symlink() {
            return Err(bad(path, format!("entry `{name}` is a symbolic link")));
        }
        if entry.is_dir() {
            continue;
        }
        let declared = entry.size();
        let packed = entry.compressed_size().max(1);
        if declared > MAX_ENTRY || declared > (1 << 20) && declared / packed > MAX_RATIO {
            return Err(bad(
                path,
                format!(
                    "entry `{name}` expands {declared} bytes from {packed}: refused as a zip bomb"
                ),
            ));
        }
        let mut data = Vec::with_capacity(declared.min(1 << 26) as usize);
        (&mut entry)
            .take(declared + 1)
            .read_to_end(&mut data)
            .map_err(|e| bad(path, format!("entry `{name}` cannot be read: {e}")))?;
        if data.len() as u64 != declared {
            return Err(bad(
                path,
                format!(
                    "entry `{name}` holds {} bytes, not the {declared} it declares",
                    data.len()
                ),
            ));
        }
        total += declared;
        if total > MAX_TOTAL {
            return Err(bad(
                path,
                "the bundle expands beyond 8 GiB: refused".to_string(),
            ));
        }
        if files.insert(name.clone(), data).is_some() {
            return Err(bad(path, format!("entry `{name}` appears twice")));
        }
    }
    Ok(files)
}

/// One check and its outcome.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Check {
    /// The file or aspect checked.
    pub subject: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was found.
    pub detail: String,
}

/// The verdict on a bundle.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Verdict {
    pub checks: Vec<Check>,
    pub signed: bool,
    pub valid: bool,
}

/// Checks the files of a bundle. `allow_unsigned` accepts a bundle without a signature;
/// `pubkey` checks the signature of a signed one.
pub(crate) fn check(files: &Files, allow_unsigned: bool, pubkey: Option<&PublicKey>) -> Verdict {
    let mut checks = Vec::new();
    let mut push = |subject: &str, ok: bool, detail: String| {
        checks.push(Check {
            subject: subject.to_string(),
            ok,
            detail,
        });
    };
    let sums = files
        .get(SHA256SUMS)
        .map(|b| String::from_utf8_lossy(b).into_owned());
    let mut listed: BTreeMap<String, String> = BTreeMap::new();
    match &sums {
        None => push(SHA256SUMS, false, "missing".to_string()),
        Some(text) => {
            let mut malformed = 0;
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                match line.split_once("  ") {
                    Some((hash, name)) if hash.len() == 64 => {
                        listed.insert(name.to_string(), hash.to_ascii_lowercase());
                    }
                    _ => malformed += 1,
                }
            }
            push(
                SHA256SUMS,
                malformed == 0,
                if malformed == 0 {
                    format!("{} files listed", listed.len())
                } else {
                    format!("{malformed} lines are not `<sha256>  <path>`")
                },
            );
        }
    }
    for (name, hash) in &listed {
        match files.get(name) {
            None => push(name, false, "listed in SHA256SUMS but missing".to_string()),
            Some(bytes) => {
                let actual = sha256_hex(bytes);
                if &actual == hash {
                    push(name, true, "sha256 matches".to_string());
                } else {
                    push(
                        name,
                        false,
                        format!("sha256 is {actual}, SHA256SUMS says {hash}: the file was changed"),
                    );
                }
            }
        }
    }
    for name in files.keys() {
        if name != SHA256SUMS && name != SIGNATURE && sums.is_some() && !listed.contains_key(name) {
            push(
                name,
                false,
                "not listed in SHA256SUMS: an extra file".to_string(),
            );
        }
    }
    let manifest: Option<Manifest> = files
        .get(MANIFEST)
        .and_then(|b| serde_json::from_slice(b).ok());
    match &manifest {
        None => push(
            MANIFEST,
            false,
            "missing or not a valid manifest".to_string(),
        ),
        Some(m) => {
            let missing: Vec<&str> = m
                .files
                .iter()
                .filter(|f| files.get(&f.path).is_none_or(|b| sha256_hex(b) != f.sha256))
                .map(|f| f.path.as_str())
                .collect();
            push(
                MANIFEST,
                missing.is_empty() && files.contains_key(&m.report),
                if missing.is_empty() {
                    format!("{} files match; report is `{}`", m.files.len(), m.report)
                } else {
                    format!(
                        "files that differ from the manifest: {}",
                        missing.join(", ")
                    )
                },
            );
        }
    }
    let signed = files.contains_key(SIGNATURE) || manifest.as_ref().is_some_and(|m| m.signed);
    if signed {
        let signature = files
            .get(SIGNATURE)
            .map(|b| String::from_utf8_lossy(b).into_owned());
        let outcome = match (signature, pubkey, files.get(SHA256SUMS)) {
            (None, _, _) => {
                Err("the manifest says signed but SHA256SUMS.minisig is missing".to_string())
            }
            (_, None, _) => {
                Err("the bundle is signed: pass --pubkey to check the signature".to_string())
            }
            (_, _, None) => Err("nothing to check: SHA256SUMS is missing".to_string()),
            (Some(sig), Some(pk), Some(sums)) => pk
                .verify(sums, &sig)
                .map(|trusted| format!("good signature by key {}: {trusted}", pk.id())),
        };
        match outcome {
            Ok(detail) => push(SIGNATURE, true, detail),
            Err(detail) => push(SIGNATURE, false, detail),
        }
    } else {
        push(
            "signature",
            allow_unsigned,
            if allow_unsigned {
                "the bundle is UNSIGNED (accepted with --allow-unsigned): hashes prove integrity, not origin".to_string()
            } else {
                "the bundle is UNSIGNED: pass --allow-unsigned to accept hashes only".to_string()
            },
        );
    }
    if signed
        && let Some(m) = &manifest
        && let Some(pdf) = files.get(&m.report)
    {
        match super::pdfsign::verify_pdf(pdf) {
            Ok(cn) => push(
                &m.report,
                true,
                format!(
                    "embedded PDF signature valid (certificate CN={cn}; self-signed: compare it with the signer's published certificate)"
                ),
            ),
            Err(e) => push(&m.report, false, format!("embedded PDF signature: {e}")),
        }
    }
    let valid = checks.iter().all(|c| c.ok);
    Verdict {
        checks,
        signed,
        valid,
    }
}
