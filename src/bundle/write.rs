//! Writing the bundle: the entries plus `VERIFY.txt`, the public key, `manifest.json` (listing
//! them all), `SHA256SUMS` and its signature with `--key`, as the one zip format of
//! `bundle::zip`: in path order, every entry with the same time.

use chrono::{DateTime, Utc};

use super::manifest::{Manifest, ManifestFile, Role, sha256sums, trusted_comment, verify_text};
use super::sign::PublicKey;
use super::{MANIFEST, PUBKEY_PATH, REPORT_PATH, SHA256SUMS, SIGNATURE, VERIFY_TXT, sign, zip};
use crate::error::Error;
use crate::ingest::sha256_hex;

/// One file to put in the bundle.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Path inside the bundle, `/`-separated.
    pub path: String,
    /// What it is.
    pub role: Role,
    /// Its bytes, exactly.
    pub bytes: Vec<u8>,
}

/// The manifest's list of `entries`, by path.
pub(crate) fn manifest_files(entries: &[Entry]) -> Vec<ManifestFile> {
    let mut files: Vec<ManifestFile> = entries
        .iter()
        .map(|e| ManifestFile {
            path: e.path.clone(),
            role: e.role.name().to_string(),
            sha256: sha256_hex(&e.bytes),
            size: e.bytes.len() as u64,
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// Adds `VERIFY.txt` and (signed) the public key to the entries, and sets the manifest's
/// file list from them.
fn listed(
    mut entries: Vec<Entry>,
    mut manifest: Manifest,
    public: Option<&PublicKey>,
) -> (Vec<Entry>, Manifest) {
    entries.push(Entry {
        path: VERIFY_TXT.to_string(),
        role: Role::Instructions,
        bytes: verify_text(&manifest).into_bytes(),
    });
    if let Some(key) = public {
        entries.push(Entry {
            path: PUBKEY_PATH.to_string(),
            role: Role::PublicKey,
            bytes: key.to_text().into_bytes(),
        });
    }
    manifest.files = manifest_files(&entries);
    (entries, manifest)
}

/// The manifest's JSON for these entries, as `complete` writes it (for `verify --rebuild`).
pub(crate) fn manifest_json(
    entries: Vec<Entry>,
    manifest: Manifest,
    public: Option<&PublicKey>,
) -> Vec<u8> {
    listed(entries, manifest, public).1.to_json()
}

/// Completes the entries: `VERIFY.txt` and the public key (signed), then the manifest that
/// lists every one of them, then `SHA256SUMS` of them all and its signature; sorted by path.
pub(crate) fn complete(
    entries: Vec<Entry>,
    manifest: Manifest,
    signer: Option<&sign::SecretKey>,
) -> Vec<Entry> {
    let public = signer.map(sign::SecretKey::public);
    let (mut entries, manifest) = listed(entries, manifest, public.as_ref());
    let manifest_json = manifest.to_json();
    let manifest_sha256 = sha256_hex(&manifest_json);
    entries.push(Entry {
        path: MANIFEST.to_string(),
        role: Role::Instructions,
        bytes: manifest_json,
    });
    let hashes: Vec<(String, String)> = entries
        .iter()
        .map(|e| (e.path.clone(), sha256_hex(&e.bytes)))
        .collect();
    let sums = sha256sums(&hashes);
    if let Some(key) = signer {
        entries.push(Entry {
            path: SIGNATURE.to_string(),
            role: Role::Instructions,
            bytes: key
                .sign(
                    sums.as_bytes(),
                    &trusted_comment(&manifest, &manifest_sha256),
                )
                .into_bytes(),
        });
    }
    entries.push(Entry {
        path: SHA256SUMS.to_string(),
        role: Role::Instructions,
        bytes: sums.into_bytes(),
    });
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    entries
}

/// Writes the zip of completed entries, every header with `time` (the as-of time, or
/// `SOURCE_DATE_EPOCH`).
pub(crate) fn write(entries: Vec<Entry>, time: DateTime<Utc>) -> Result<Vec<u8>, Error> {
    for e in &entries {
        if let Some(limit) = super::held_limit(&e.path)
            && e.bytes.len() as u64 > limit
        {
            return Err(Error::Usage(format!(
                "cannot write the bundle: `{}` would be {} bytes, more than `auditpack verify` reads ({} MiB){}",
                e.path,
                e.bytes.len(),
                limit >> 20,
                if e.path == REPORT_PATH {
                    "; a smaller `--register-limit` makes the report shorter"
                } else {
                    ""
                }
            )));
        }
    }
    let list: Vec<(String, Vec<u8>)> = entries.into_iter().map(|e| (e.path, e.bytes)).collect();
    zip::write(&list, time).map_err(|e| Error::Report(format!("cannot write the bundle: {e}")))
}
