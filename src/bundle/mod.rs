//! The evidence bundle: a deterministic zip of the raw inputs, the policy, the derived CSVs,
//! the report, a manifest and `SHA256SUMS`, plus the reading of such a zip for `verify`.
//!
//! Deterministic: entries in path order, every timestamp the as-of time, fixed permissions,
//! fixed compression, no extra fields. Nothing here touches the filesystem.

mod manifest;
pub(crate) mod pdfsign;
pub(crate) mod sign;
pub(crate) mod verify;
mod write;

pub(crate) use manifest::{Manifest, ManifestParameters, ManifestRows, Role, manifest_files};
pub(crate) use write::{Entry, write};

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
