//! Writing the bundle: a deterministic zip of the entries plus `manifest.json`, `VERIFY.txt`,
//! the public key and `SHA256SUMS` (signed with `--key`), in path order, every entry with the
//! same time, permissions and compression.

use std::io::{Cursor, Write};

use chrono::{DateTime, Datelike, Timelike, Utc};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::manifest::{Manifest, Role, sha256sums, verify_text};
use super::{MANIFEST, PUBKEY_PATH, SHA256SUMS, SIGNATURE, VERIFY_TXT, sign};
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

fn zip_time(t: DateTime<Utc>) -> zip::DateTime {
    // DOS times hold 1980..=2107 with two-second steps.
    let year = t.year().clamp(1980, 2107) as u16;
    zip::DateTime::from_date_and_time(
        year,
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        (t.second() / 2 * 2) as u8,
    )
    .unwrap_or_default()
}

/// Writes the zip: `entries` plus `manifest.json`, `VERIFY.txt` and `SHA256SUMS`, in path
/// order, with `time` (the as-of time, or SOURCE_DATE_EPOCH) on every entry.
pub(crate) fn write(
    mut entries: Vec<Entry>,
    manifest: &Manifest,
    time: DateTime<Utc>,
    signer: Option<&sign::SecretKey>,
) -> Result<Vec<u8>, Error> {
    let manifest_json = serde_json::to_vec_pretty(manifest)
        .map_err(|e| Error::Report(format!("cannot encode the manifest: {e}")))?;
    let manifest_sha256 = sha256_hex(&manifest_json);
    entries.push(Entry {
        path: MANIFEST.to_string(),
        role: Role::Instructions,
        bytes: manifest_json,
    });
    entries.push(Entry {
        path: VERIFY_TXT.to_string(),
        role: Role::Instructions,
        bytes: verify_text(manifest).into_bytes(),
    });
    if let Some(key) = signer {
        entries.push(Entry {
            path: PUBKEY_PATH.to_string(),
            role: Role::PublicKey,
            bytes: key.public().to_text().into_bytes(),
        });
    }
    let listed: Vec<(String, Vec<u8>)> = entries
        .iter()
        .map(|e| (e.path.clone(), e.bytes.clone()))
        .collect();
    let sums = sha256sums(&listed);
    if let Some(key) = signer {
        let comment = format!(
            "auditpack evidence bundle; signer: {}; organization: {}; period: {} to {}; manifest sha256: {manifest_sha256}",
            key.name,
            manifest.organization,
            manifest.parameters.period_from,
            manifest.parameters.period_to
        );
        entries.push(Entry {
            path: SIGNATURE.to_string(),
            role: Role::Instructions,
            bytes: key.sign(sums.as_bytes(), &comment).into_bytes(),
        });
    }
    entries.push(Entry {
        path: SHA256SUMS.to_string(),
        role: Role::Instructions,
        bytes: sums.into_bytes(),
    });
    entries.sort_by(|a, b| a.path.cmp(&b.path));

    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(zip_time(time))
        .unix_permissions(0o644);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let fail = |e: &dyn std::fmt::Display| Error::Report(format!("cannot write the bundle: {e}"));
    for e in &entries {
        zip.start_file(e.path.as_str(), options)
            .map_err(|e| fail(&e))?;
        zip.write_all(&e.bytes).map_err(|e| fail(&e))?;
    }
    Ok(zip.finish().map_err(|e| fail(&e))?.into_inner())
}
