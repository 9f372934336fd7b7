//! What the bundle says about itself: `manifest.json` (every file but the checksum list and
//! its signature, with role, size and SHA-256; every build parameter that shapes an output;
//! the row reconciliation; the signing key), `SHA256SUMS`, the signature's trusted comment,
//! and `VERIFY.txt`.

use serde::{Deserialize, Serialize};

use super::{MANIFEST, PUBKEY_PATH, SHA256SUMS, SIGNATURE, VERIFY_TXT};

/// The bundle's format name, recorded in the manifest.
pub(crate) const FORMAT: &str = "auditpack-bundle/2";
/// The format auditpack 0.1 wrote before this one.
pub(crate) const FORMAT_1: &str = "auditpack-bundle/1";

/// What a file in the bundle is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Role {
    Input,
    Policy,
    Template,
    Derived,
    Report,
    Instructions,
    PublicKey,
}

impl Role {
    /// The name in the manifest.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Input => "input",
            Self::Policy => "policy",
            Self::Template => "template",
            Self::Derived => "derived",
            Self::Report => "report",
            Self::Instructions => "instructions",
            Self::PublicKey => "publickey",
        }
    }

    /// The role of a path in a bundle, by where it stands; `None` for a path `build` never
    /// writes.
    pub(crate) fn of(path: &str) -> Option<Self> {
        let under = |folder: &str| {
            path.strip_prefix(folder)
                .is_some_and(|rest| rest.starts_with('/') && rest.len() > 1)
        };
        match path {
            super::POLICY_PATH => Some(Self::Policy),
            super::REPORT_PATH => Some(Self::Report),
            VERIFY_TXT | MANIFEST | SHA256SUMS | SIGNATURE => Some(Self::Instructions),
            PUBKEY_PATH => Some(Self::PublicKey),
            _ if under("inputs") => Some(Self::Input),
            _ if under("templates") => Some(Self::Template),
            _ if under("derived") && !path["derived/".len()..].contains('/') => Some(Self::Derived),
            _ => None,
        }
    }
}

/// A file as the manifest lists it. Fields in alphabetical order: the JSON has sorted keys.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct ManifestFile {
    pub path: String,
    pub role: String,
    pub sha256: String,
    pub size: u64,
}

/// Rows read, used, rejected and outside the period for one input file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct ManifestRows {
    pub file: String,
    /// Of the rows used, incidents excluded (policy rules, merges): not judged.
    pub rows_excluded: u64,
    pub rows_outside_period: u64,
    pub rows_read: u64,
    pub rows_rejected: u64,
    pub rows_used: u64,
    /// The filters the export states (`key=value;…`), empty when it states none.
    pub scope: String,
}

/// The extraction record as the manifest keeps it. Fields in alphabetical order.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct ManifestExtraction {
    pub account: Option<String>,
    pub extracted_at: Option<String>,
    pub extracted_by: Option<String>,
    pub file: String,
    pub filters: Option<String>,
    pub notes: Option<String>,
    pub pagerduty_count: Option<u64>,
    pub source: Option<String>,
}

/// Every parameter of the build that shapes an output, to run it again.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct ManifestParameters {
    pub as_of: String,
    pub period_from: String,
    pub period_to: String,
    pub prepared_by: Option<String>,
    pub register_limit: usize,
    /// `SOURCE_DATE_EPOCH`, when the zip's times come from it rather than the as-of time.
    pub source_date_epoch: Option<i64>,
    /// Whether `--templates` replaced built-in templates (they are under `templates/`).
    pub templates: bool,
    pub timezone: String,
    /// Whether `--xlsx` added `derived/incident-register.xlsx`.
    pub xlsx: bool,
}

/// `manifest.json`. Fields in alphabetical order so the JSON keys are sorted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Manifest {
    pub command_line: String,
    /// Whether the bundle is signed with the published demo key (never evidence).
    pub demo_key: bool,
    /// The extraction record of the input folder, when it has one.
    pub extraction: Option<ManifestExtraction>,
    pub files: Vec<ManifestFile>,
    pub format: String,
    /// The signing key's id (minisign key number, a label), when signed.
    pub key_id: Option<String>,
    /// SHA-256 of the signing public key (the 32 key bytes), the fingerprint to pin.
    pub key_sha256: Option<String>,
    pub organization: String,
    pub parameters: ManifestParameters,
    pub policy_sha256: String,
    pub reconciliation: Vec<ManifestRows>,
    pub report: String,
    pub signed: bool,
    /// The signer named in the secret key, when signed.
    pub signer: Option<String>,
    pub tool: String,
}

/// The longest the organisation, the signer and the preparer may be. Build writes none
/// longer and verify refuses one longer: each is copied into the texts verify regenerates,
/// whose memory stays bounded.
pub(crate) const TEXT_MAX: usize = 4096;

impl Manifest {
    /// The first text field longer than build ever writes, said as a reason.
    pub(crate) fn overlong(&self) -> Option<String> {
        let p = &self.parameters;
        let short = 256;
        let fields: [(&str, Option<&String>, usize); 13] = [
            ("organization", Some(&self.organization), TEXT_MAX),
            ("signer", self.signer.as_ref(), TEXT_MAX),
            ("parameters.prepared_by", p.prepared_by.as_ref(), TEXT_MAX),
            // The preparer quoted for a shell, every `'` spelled `'\''`.
            (
                "command_line",
                Some(&self.command_line),
                4 * TEXT_MAX + 1024,
            ),
            ("format", Some(&self.format), short),
            ("tool", Some(&self.tool), short),
            ("report", Some(&self.report), short),
            ("policy_sha256", Some(&self.policy_sha256), short),
            ("key_id", self.key_id.as_ref(), short),
            ("key_sha256", self.key_sha256.as_ref(), short),
            ("parameters.as_of", Some(&p.as_of), short),
            ("parameters.timezone", Some(&p.timezone), short),
            ("parameters.period_from", Some(&p.period_from), short),
        ];
        fields.iter().find_map(|(name, value, max)| {
            let len = value.map_or(0, |v| v.len());
            (len > *max).then(|| {
                format!("manifest.json: `{name}` is {len} bytes, longer than build writes ({max})")
            })
        })
    }

    /// The manifest's JSON, exactly as the bundle holds it.
    pub(crate) fn to_json(&self) -> Vec<u8> {
        let mut json = serde_json::to_vec_pretty(self).expect("a manifest serialises");
        json.push(b'\n');
        json
    }
}

/// The signature's trusted comment: it binds the signer, the organisation, the period and
/// the manifest (by its SHA-256) to the signature, and `minisign -V` prints it.
pub(crate) fn trusted_comment(manifest: &Manifest, manifest_sha256: &str) -> String {
    format!(
        "auditpack evidence bundle; signer: {}; organization: {}; period: {} to {}; manifest sha256: {manifest_sha256}",
        manifest.signer.as_deref().unwrap_or_default(),
        manifest.organization,
        manifest.parameters.period_from,
        manifest.parameters.period_to
    )
    .replace(['\n', '\r'], " ")
}

/// `sha256sum -c` lines for (path, SHA-256) pairs, sorted by path.
pub(crate) fn sha256sums(hashes: &[(String, String)]) -> String {
    let mut lines: Vec<&(String, String)> = hashes.iter().collect();
    lines.sort();
    lines.iter().map(|(p, h)| format!("{h}  {p}\n")).collect()
}

/// How to check the bundle, with and without auditpack.
pub(crate) fn verify_text(manifest: &Manifest) -> String {
    let key = match (&manifest.key_sha256, manifest.demo_key) {
        (Some(sha), false) => format!("yes, public key SHA-256 {sha}"),
        (Some(sha), true) => format!("with the DEMO KEY — not evidence (public key SHA-256 {sha})"),
        (None, _) => "no".to_string(),
    };
    format!(
        "How to verify this evidence bundle
==================================

Organisation: {org}
Period:       {from} to {to} ({tz})
As of:        {as_of}
Produced by:  {tool}
Signed:       {key}

With auditpack (offline), pinning the key by the SHA-256 the organisation published:

    auditpack verify evidence-bundle.zip --fingerprint <published SHA-256 of the public key> --rebuild
    auditpack verify evidence-bundle.zip --pubkey auditpack.pub --rebuild   # a key you obtained yourself

checks that the zip is exactly what auditpack build writes, every file against SHA256SUMS and
the manifest (nothing missing or extra), the signature and its trusted comment, and the
report's embedded PDF signature; --rebuild also recomputes derived/*.csv, the manifest and the
report from inputs/ and policy.toml and compares them byte for byte. The key id that minisign
prints is a label anyone can copy: pin the SHA-256. An unsigned bundle is accepted only with
`--allow-unsigned` (and no key option): hashes prove integrity, not origin.

Without auditpack, with stock tools:

    unzip -q evidence-bundle.zip -d bundle && cd bundle
    sed -n 2p auditpack.pub | base64 -d | tail -c 32 | sha256sum   # the key's SHA-256: compare it
    minisign -Vm SHA256SUMS -p auditpack.pub   # the signature; shows the trusted comment:
                                               # signer, period, manifest SHA-256
    sha256sum manifest.json                    # must be the SHA-256 in the trusted comment
    sha256sum -c SHA256SUMS                    # every file listed, each must say OK
    pdfsig -no-ocsp report/evidence-report.pdf # the report's embedded signature: \"Signature
                                               # is Valid\"; a self-signed certificate shows
                                               # as issuer unknown

Every file except SHA256SUMS and its signature is listed in SHA256SUMS; manifest.json lists
every file but those two and itself with its size and role, every parameter of the build and
the row reconciliation of every input file.

Re-deriving the figures: inputs/ holds the raw exports byte for byte, policy.toml the policy
used. Running

    {command}

gives derived/*.csv byte for byte as in this bundle (with {tool}).
",
        org = manifest.organization,
        from = manifest.parameters.period_from,
        to = manifest.parameters.period_to,
        tz = manifest.parameters.timezone,
        as_of = manifest.parameters.as_of,
        tool = manifest.tool,
        command = manifest.command_line,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_by_path() {
        assert_eq!(Role::of("inputs/a/b.csv"), Some(Role::Input));
        assert_eq!(Role::of("inputs/"), None);
        assert_eq!(Role::of("derived/sla_summary.csv"), Some(Role::Derived));
        assert_eq!(Role::of("derived/x/y.csv"), None);
        assert_eq!(Role::of("templates/summary.typ.j2"), Some(Role::Template));
        assert_eq!(Role::of("policy.toml"), Some(Role::Policy));
        assert_eq!(Role::of("auditpack.pub"), Some(Role::PublicKey));
        assert_eq!(Role::of("extra.txt"), None);
        assert_eq!(Role::of("inputsx/a.csv"), None);
    }
}
