//! The evidence bundle: a deterministic zip of the raw inputs, the policy, the derived CSVs,
//! the report, a manifest and `SHA256SUMS`, plus the reading of such a zip for `verify`.
//!
//! Deterministic: entries in path order, every timestamp the as-of time, fixed permissions,
//! fixed compression, no extra fields. Nothing here touches the filesystem.

pub(crate) mod pdfsign;
pub(crate) mod sign;
pub(crate) mod verify;

use std::io::{Cursor, Write};

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::Serialize;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::error::Error;
use crate::ingest::sha256_hex;

/// The bundle's format name, recorded in the manifest.
pub(crate) const FORMAT: &str = "auditpack-bundle/1";
/// File names at the bundle's top level.
pub(crate) const MANIFEST: &str = "manifest.json";
/// The checksum list, `sha256sum -c` format.
pub(crate) const SHA256SUMS: &str = "SHA256SUMS";
/// The detached signature of `SHA256SUMS` (minisign format).
pub(crate) const SIGNATURE: &str = "SHA256SUMS.minisig";
/// The verification instructions.
pub(crate) const VERIFY_TXT: &str = "VERIFY.txt";
/// The report's path in the bundle.
pub(crate) const REPORT_PATH: &str = "report/evidence-report.pdf";
/// The policy's path in the bundle.
pub(crate) const POLICY_PATH: &str = "policy.toml";
/// The signer's public key in the bundle (checked against `verify --fingerprint`).
pub(crate) const PUBKEY_PATH: &str = "auditpack.pub";

/// What a file in the bundle is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Role {
    Input,
    Policy,
    Derived,
    Report,
    Instructions,
    PublicKey,
}

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

/// A file as the manifest lists it. Fields in alphabetical order: the JSON has sorted keys.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub(crate) struct ManifestFile {
    pub path: String,
    pub role: String,
    pub sha256: String,
    pub size: u64,
}

/// Rows read, used, rejected and outside the period for one input file.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub(crate) struct ManifestRows {
    pub file: String,
    pub rows_outside_period: u64,
    pub rows_read: u64,
    pub rows_rejected: u64,
    pub rows_used: u64,
}

/// The build's parameters, to re-run it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub(crate) struct ManifestParameters {
    pub as_of: String,
    pub period_from: String,
    pub period_to: String,
    pub prepared_by: Option<String>,
    pub register_limit: usize,
    pub timezone: String,
}

/// `manifest.json`. Fields in alphabetical order so the JSON keys are sorted.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub(crate) struct Manifest {
    pub command_line: String,
    pub files: Vec<ManifestFile>,
    pub format: String,
    /// The signing key's id (minisign key number), when signed.
    pub key_id: Option<String>,
    pub organization: String,
    pub parameters: ManifestParameters,
    pub policy_sha256: String,
    pub reconciliation: Vec<ManifestRows>,
    pub report: String,
    pub signed: bool,
    /// The signer named in the key, when signed.
    pub signer: Option<String>,
    pub tool: String,
}

/// `sha256sum -c` lines for the entries, sorted by path.
pub(crate) fn sha256sums(entries: &[(String, Vec<u8>)]) -> String {
    let mut lines: Vec<(String, String)> = entries
        .iter()
        .map(|(p, b)| (p.clone(), sha256_hex(b)))
        .collect();
    lines.sort();
    lines.iter().map(|(p, h)| format!("{h}  {p}\n")).collect()
}

/// The manifest's file list for `entries`.
pub(crate) fn manifest_files(entries: &[Entry]) -> Vec<ManifestFile> {
    let mut files: Vec<ManifestFile> = entries
        .iter()
        .map(|e| ManifestFile {
            path: e.path.clone(),
            role: serde_json::to_value(e.role)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            sha256: sha256_hex(&e.bytes),
            size: e.bytes.len() as u64,
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// How to check the bundle, with and without auditpack.
pub(crate) fn verify_text(manifest: &Manifest) -> String {
    format!(
        "How to verify this evidence bundle
==================================

Organisation: {org}
Period:       {from} to {to} ({tz})
As of:        {as_of}
Produced by:  {tool}
Signed:       {signed}

With auditpack (offline):

    auditpack verify evidence-bundle.zip --pubkey auditpack.pub --rebuild
    auditpack verify evidence-bundle.zip --fingerprint <published SHA-256 of the key>

checks every file against SHA256SUMS, that no file is missing or extra, and the signature;
--rebuild also recomputes derived/*.csv from inputs/ and policy.toml and compares them.
An unsigned bundle (this one, if \"Signed: no\" above) is reported as such and fails unless
`--allow-unsigned` is given.

Without auditpack, with stock tools:

    unzip -q evidence-bundle.zip -d bundle && cd bundle
    minisign -Vm SHA256SUMS -p auditpack.pub   # the signature (signed bundles); shows the
                                               # trusted comment: signer, period, manifest digest
    sha256sum -c SHA256SUMS                    # every file listed, each must say OK
    pdfsig -no-ocsp report/evidence-report.pdf # the report's embedded signature (signed
                                               # bundles): \"Signature is Valid\"; a self-signed
                                               # certificate shows as issuer unknown

Compare the key id that minisign prints, and the public key's SHA-256 fingerprint, with the
ones the organisation published.

Every file except SHA256SUMS (and its signature) is listed in SHA256SUMS; manifest.json lists
the same files with their size and role, the parameters of the build and the row
reconciliation of every input file.

Re-deriving the figures: inputs/ holds the raw exports byte for byte, policy.toml the policy
used. Running

    auditpack build --input inputs --policy policy.toml --from {from} --to {to} --as-of {as_of}

gives derived/*.csv byte for byte as in this bundle (with the same auditpack version).
",
        org = manifest.organization,
        from = manifest.parameters.period_from,
        to = manifest.parameters.period_to,
        tz = manifest.parameters.timezone,
        as_of = manifest.parameters.as_of,
        tool = manifest.tool,
        signed = if manifest.signed { "yes" } else { "no" },
    )
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
