//! The evidence bundle: a deterministic zip of the raw inputs, the policy, the derived CSVs,
//! the report, a manifest, `SHA256SUMS` and its signature (`write`, `manifest`, `sign`,
//! `pdfsign`), in the one zip layout of `zip`; and the checking of such a zip (`verify`),
//! which accepts exactly what `build` writes.
//!
//! Deterministic: entries in path order, every timestamp the as-of time, fixed permissions,
//! fixed compression, no extra fields. Only `zip` opens a file: the bundle `verify` reads,
//! piece by piece.

pub(crate) mod manifest;
pub(crate) mod pdfsign;
pub(crate) mod sign;
pub(crate) mod verify;
mod write;
pub(crate) mod zip;

pub(crate) use manifest::{
    FORMAT, Manifest, ManifestExtraction, ManifestParameters, ManifestRows, Role,
};
pub(crate) use write::{Entry, complete, manifest_json, write};
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
/// The signer's public key in the bundle (pinned by `verify --fingerprint`).
pub(crate) const PUBKEY_PATH: &str = "auditpack.pub";

/// The largest size of the entries `verify` holds whole (the texts it regenerates and
/// compares, and the report, whose embedded signature covers the whole file); `build` writes
/// none larger, and verify's memory stays bounded (every other entry is streamed).
pub(crate) fn held_limit(path: &str) -> Option<u64> {
    match path {
        SIGNATURE | PUBKEY_PATH => Some(64 << 10),
        VERIFY_TXT => Some(1 << 20),
        SHA256SUMS => Some(8 << 20),
        MANIFEST => Some(16 << 20),
        REPORT_PATH => Some(128 << 20),
        _ => None,
    }
}
