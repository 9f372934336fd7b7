//! `manifest.json` (every file with its role, size and SHA-256, the build's parameters, the
//! row reconciliation), `SHA256SUMS` and `VERIFY.txt`: what the bundle says about itself.

use serde::Serialize;

use crate::ingest::sha256_hex;

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
pub(crate) fn manifest_files(entries: &[super::Entry]) -> Vec<ManifestFile> {
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
