//! Checking a bundle against exactly what `build` writes: the zip layout (`zip`), every
//! entry inflated in pieces and hashed (never all in memory, never to disk), `SHA256SUMS`
//! and the manifest regenerated from what is there and compared, the signature under the
//! pinned key with its trusted comment, the demo key, and the report's embedded signature.
//! Each check is reported; `commands::verify` adds the rebuild.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::manifest::{FORMAT_1, Manifest, Role, sha256sums, trusted_comment, verify_text};
use super::sign::PublicKey;
use super::zip::{Refusal, Zip, dos_time};
use super::{FORMAT, MANIFEST, PUBKEY_PATH, REPORT_PATH, SHA256SUMS, SIGNATURE, VERIFY_TXT};
use crate::error::{Error, Location};

/// Which key the auditor trusts, and what they accept.
#[derive(Debug, Clone, Default)]
pub(crate) struct Trust {
    /// `--pubkey`: the signer's public key, obtained by the auditor.
    pub pubkey: Option<PublicKey>,
    /// `--fingerprint`: the SHA-256 of the public key the organisation published.
    pub fingerprint: Option<String>,
    /// `--allow-unsigned` (no key given): integrity only.
    pub allow_unsigned: bool,
    /// `--allow-demo-key`: a bundle signed with the demo key is checked, not refused.
    pub allow_demo_key: bool,
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
    /// Whether a key was pinned (`--pubkey` or `--fingerprint`).
    pub pinned: bool,
    /// SHA-256 of the key that signed it, when signed.
    pub key_sha256: Option<String>,
    /// Whether that key is the demo key.
    pub demo_key: bool,
    pub valid: bool,
}

impl Verdict {
    fn push(&mut self, subject: &str, ok: bool, detail: String) {
        self.checks.push(Check {
            subject: subject.to_string(),
            ok,
            detail,
        });
    }

    /// Recomputes `valid` from the checks.
    pub(crate) fn settle(&mut self) {
        self.valid = !self.checks.is_empty() && self.checks.iter().all(|c| c.ok);
    }
}

/// A bundle whose layout and manifest were read: for the rebuild and the sample.
pub(crate) struct Opened {
    pub zip: Zip,
    pub manifest: Manifest,
}

fn unusable(path: &Path, reason: String) -> Error {
    Error::BundleInvalid {
        location: Location::file(path),
        reason,
    }
}

/// What reading the bundle gave before any judgement: its manifest as written, or why it
/// cannot be read as a bundle of this auditpack at all (exit 2).
fn manifest_of(path: &Path, zip: &Zip) -> Result<Result<Manifest, String>, Error> {
    let Some(entry) = zip.entry(MANIFEST) else {
        return Ok(Err("manifest.json is missing".to_string()));
    };
    let mut bytes = Vec::new();
    match zip.inflate(
        entry,
        &mut bytes,
        super::held_limit(MANIFEST).unwrap_or_default(),
    ) {
        Ok(()) => {}
        Err(Refusal::NotCanonical(r)) => return Ok(Err(r)),
        Err(other) => return Err(unusable(path, other.reason().to_string())),
    }
    // The format and the version first: definitions (and the deflate stream) change
    // between versions, so another version's bundle is not judged by this one.
    #[derive(serde::Deserialize)]
    struct Head {
        format: Option<String>,
        tool: Option<String>,
    }
    let head: Head = match serde_json::from_slice(&bytes) {
        Ok(h) => h,
        Err(e) => return Ok(Err(format!("manifest.json is not JSON: {e}"))),
    };
    let ours = format!("auditpack {}", env!("CARGO_PKG_VERSION"));
    if head.format.as_deref() == Some(FORMAT_1) {
        return Err(Error::BundleVersion {
            location: Location::file(path),
            reason: format!(
                "a bundle of format `{FORMAT_1}`, made by {}; this is {ours}, which reads `{FORMAT}`",
                head.tool.as_deref().unwrap_or("an earlier auditpack")
            ),
        });
    }
    if head.format.as_deref() == Some(FORMAT)
        && let Some(tool) = head.tool.as_deref()
        && tool != ours
        && tool.starts_with("auditpack ")
    {
        return Err(Error::BundleVersion {
            location: Location::file(path),
            reason: format!("made by {tool}; this is {ours}"),
        });
    }
    Ok(serde_json::from_slice::<Manifest>(&bytes)
        .map_err(|e| format!("manifest.json is not a manifest auditpack writes: {e}"))
        .and_then(|m| m.overlong().map_or(Ok(m), Err)))
}

/// Entry name → SHA-256.
type Hashes = BTreeMap<String, String>;
/// Entry name → bytes, for the entries the checks read whole.
type Held = BTreeMap<String, Vec<u8>>;

/// Every entry inflated once: its SHA-256, and the bytes of the ones the checks read whole.
fn read_entries(zip: &Zip) -> Result<(Hashes, Held), Refusal> {
    let mut hashes = BTreeMap::new();
    let mut held = BTreeMap::new();
    for entry in &zip.entries {
        let digest = match super::held_limit(&entry.name) {
            Some(limit) => {
                if entry.size > limit {
                    return Err(Refusal::NotCanonical(format!(
                        "not as auditpack build writes it: `{}` is {} bytes",
                        entry.name, entry.size
                    )));
                }
                let mut bytes = Vec::with_capacity(entry.size as usize);
                let d = zip.stream(entry, &mut bytes)?;
                held.insert(entry.name.clone(), bytes);
                d
            }
            None => zip.stream(entry, &mut std::io::sink())?,
        };
        hashes.insert(entry.name.clone(), digest.sha256);
    }
    Ok((hashes, held))
}

/// The zip time every header must carry: `SOURCE_DATE_EPOCH` when recorded, else the as-of.
fn zip_time(manifest: &Manifest) -> Option<DateTime<Utc>> {
    match manifest.parameters.source_date_epoch {
        Some(s) => DateTime::from_timestamp(s, 0),
        None => DateTime::parse_from_rfc3339(&manifest.parameters.as_of)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
    }
}

/// `SHA256SUMS` and the manifest's file list against what the zip holds, the entries' time,
/// the derived files build writes, and `VERIFY.txt`.
fn check_listing(
    v: &mut Verdict,
    zip: &Zip,
    manifest: &Manifest,
    hashes: &Hashes,
    held: &Held,
    derived_names: &[String],
) {
    check_sums(v, hashes, held);
    check_manifest_files(v, zip, manifest, hashes);
    check_times(v, zip, manifest);
    check_derived_set(v, zip, manifest, derived_names);
    check_contents(v, zip, manifest, held);
}

/// `SHA256SUMS` is exactly the list of every entry but itself and the signature; each file
/// that differs is named.
fn check_sums(v: &mut Verdict, hashes: &Hashes, held: &Held) {
    let listed: Vec<(String, String)> = hashes
        .iter()
        .filter(|(p, _)| *p != SHA256SUMS && *p != SIGNATURE)
        .map(|(p, h)| (p.clone(), h.clone()))
        .collect();
    let expected_sums = sha256sums(&listed);
    let sums = held.get(SHA256SUMS).map(Vec::as_slice).unwrap_or_default();
    if sums == expected_sums.as_bytes() {
        v.push(
            SHA256SUMS,
            true,
            format!("lists every file with its SHA-256 ({} files)", listed.len()),
        );
    } else {
        // Each file that differs is named: changed, missing, or not listed.
        let text = String::from_utf8_lossy(sums);
        let given = sums_lines(&text);
        let mut named = false;
        for (path, hash) in &listed {
            match given.as_ref().ok().and_then(|g| g.get(path.as_str())) {
                None => v.push(path, false, "not listed in SHA256SUMS".to_string()),
                Some(h) if *h != hash => v.push(
                    path,
                    false,
                    format!("SHA-256 is {hash}, SHA256SUMS says {h}: the file was changed"),
                ),
                Some(_) => continue,
            }
            named = true;
        }
        if let Ok(g) = &given {
            for p in g.keys().filter(|p| !hashes.contains_key(**p)) {
                v.push(p, false, "listed in SHA256SUMS but missing".to_string());
                named = true;
            }
        }
        v.push(
            SHA256SUMS,
            false,
            match given {
                Err(line) => format!(
                    "the line `{}` is not `<sha256>  <path>`",
                    line.escape_debug()
                ),
                Ok(_) if named => "does not match the files (each named above)".to_string(),
                Ok(_) => "not written as build writes it (order, spacing or line ends)".to_string(),
            },
        );
    }
}

/// The manifest lists every other entry with its size, SHA-256 and role; an entry with no
/// role is not a file build writes.
fn check_manifest_files(v: &mut Verdict, zip: &Zip, manifest: &Manifest, hashes: &Hashes) {
    let mut unknown = Vec::new();
    let expected_files: Vec<super::manifest::ManifestFile> = zip
        .entries
        .iter()
        .filter(|e| ![SHA256SUMS, SIGNATURE, MANIFEST].contains(&e.name.as_str()))
        .filter_map(|e| {
            let Some(role) = Role::of(&e.name) else {
                unknown.push(e.name.clone());
                return None;
            };
            Some(super::manifest::ManifestFile {
                path: e.name.clone(),
                role: role.name().to_string(),
                sha256: hashes.get(&e.name).cloned().unwrap_or_default(),
                size: e.size,
            })
        })
        .collect();
    for name in &unknown {
        v.push(name, false, "not a file auditpack build writes".to_string());
    }
    let same = manifest.files == expected_files;
    v.push(
        MANIFEST,
        same,
        if same {
            format!(
                "lists every file with its size, SHA-256 and role ({} files)",
                expected_files.len()
            )
        } else {
            manifest_difference(manifest, &expected_files)
        },
    );
}

/// Every header carries the recorded time.
fn check_times(v: &mut Verdict, zip: &Zip, manifest: &Manifest) {
    let time = zip_time(manifest).map(dos_time);
    let off_time = zip.entries.iter().find(|e| Some(e.time) != time);
    v.push(
        "zip times",
        off_time.is_none(),
        match off_time {
            None => "every entry carries the bundle's time".to_string(),
            Some(e) => format!(
                "`{}` carries another time than the recorded as-of (or SOURCE_DATE_EPOCH)",
                e.name
            ),
        },
    );
}

/// `derived/` holds exactly the files build writes.
fn check_derived_set(v: &mut Verdict, zip: &Zip, manifest: &Manifest, derived_names: &[String]) {
    let mut derived_expected: Vec<String> = derived_names
        .iter()
        .map(|n| format!("derived/{n}"))
        .collect();
    if manifest.parameters.xlsx {
        derived_expected.push("derived/incident-register.xlsx".to_string());
    }
    derived_expected.sort();
    let derived_there: Vec<String> = zip
        .entries
        .iter()
        .filter(|e| e.name.starts_with("derived/"))
        .map(|e| e.name.clone())
        .collect();
    let extra: Vec<&String> = derived_there
        .iter()
        .filter(|n| !derived_expected.contains(n))
        .collect();
    let missing: Vec<&String> = derived_expected
        .iter()
        .filter(|n| !derived_there.contains(n))
        .collect();
    v.push(
        "derived/",
        extra.is_empty() && missing.is_empty(),
        if extra.is_empty() && missing.is_empty() {
            format!("the {} files build writes", derived_expected.len())
        } else {
            format!(
                "not the files build writes: extra {:?}, missing {:?}",
                extra, missing
            )
        },
    );
}

/// The policy, the report and the instructions are there, and the instructions are the ones
/// build writes for this manifest.
fn check_contents(v: &mut Verdict, zip: &Zip, manifest: &Manifest, held: &Held) {
    let mut required = vec![super::POLICY_PATH, REPORT_PATH, VERIFY_TXT];
    required.retain(|r| zip.entry(r).is_none());
    if !required.is_empty() || manifest.report != REPORT_PATH || manifest.format != FORMAT {
        v.push(
            "contents",
            false,
            format!(
                "missing {:?}; report `{}`; format `{}`",
                required, manifest.report, manifest.format
            ),
        );
    }
    let verify_txt = held.get(VERIFY_TXT).map(Vec::as_slice).unwrap_or_default();
    let expected_txt = verify_text(manifest);
    v.push(
        VERIFY_TXT,
        verify_txt == expected_txt.as_bytes(),
        if verify_txt == expected_txt.as_bytes() {
            "the instructions build writes for this manifest".to_string()
        } else {
            "not the instructions build writes for this manifest".to_string()
        },
    );
}

/// `SHA256SUMS` as path → hash, or the first line that is not `<sha256>  <path>`.
fn sums_lines(sums: &str) -> Result<BTreeMap<&str, &str>, String> {
    let mut given = BTreeMap::new();
    for line in sums.lines() {
        match line.split_once("  ") {
            Some((hash, name)) if hash.len() == 64 => {
                given.insert(name, hash);
            }
            _ => return Err(line.to_string()),
        }
    }
    Ok(given)
}

/// The first file where the manifest and the zip disagree, in words.
fn manifest_difference(manifest: &Manifest, expected: &[super::manifest::ManifestFile]) -> String {
    for e in expected {
        match manifest.files.iter().find(|f| f.path == e.path) {
            None => return format!("does not list `{}`", e.path),
            Some(f) if f != e => {
                return format!(
                    "says `{}` is {} bytes with SHA-256 {} ({}); the bundle holds {} bytes with {} ({})",
                    f.path, f.size, f.sha256, f.role, e.size, e.sha256, e.role
                );
            }
            _ => {}
        }
    }
    match manifest
        .files
        .iter()
        .find(|f| !expected.iter().any(|e| e.path == f.path))
    {
        Some(f) => format!("lists `{}`, which the bundle does not hold", f.path),
        None => "lists the files in another order".to_string(),
    }
}

/// The signature under the trusted key, the key's id, the manifest's key fields, the trusted
/// comment, the demo key, and the report's embedded signature.
fn check_signature(
    v: &mut Verdict,
    manifest: &Manifest,
    hashes: &Hashes,
    held: &Held,
    trust: &Trust,
) {
    let signature = held.get(SIGNATURE);
    let bundled = held.get(PUBKEY_PATH);
    v.signed = manifest.signed;
    let consistent = manifest.signed == signature.is_some()
        && manifest.signed == bundled.is_some()
        && manifest.signed == manifest.signer.is_some()
        && manifest.signed == manifest.key_sha256.is_some()
        && manifest.signed == manifest.key_id.is_some()
        && (manifest.signed || !manifest.demo_key);
    if !consistent {
        v.push(
            "signature",
            false,
            "the manifest's `signed`, signer and key fields disagree with the files present"
                .to_string(),
        );
        return;
    }
    let (Some(signature), Some(bundled)) = (signature, bundled) else {
        if v.pinned {
            v.push(
                "signature",
                false,
                "the bundle is UNSIGNED, but a key was given: a key means a signature (a stripped signature looks like this)".to_string(),
            );
        } else {
            v.push(
                "signature",
                trust.allow_unsigned,
                "the bundle is UNSIGNED (accepted with --allow-unsigned); no key was pinned: hashes prove integrity, not origin".to_string(),
            );
        }
        return;
    };
    let Some(key) = bundled_key(v, bundled) else {
        return;
    };
    if !check_pinned(v, &key, trust) {
        return;
    }
    check_manifest_key(v, &key, manifest);
    let sums = held.get(SHA256SUMS).map(Vec::as_slice).unwrap_or_default();
    let manifest_sha256 = hashes.get(MANIFEST).cloned().unwrap_or_default();
    check_signed(
        v,
        &key,
        sums,
        signature,
        &trusted_comment(manifest, &manifest_sha256),
    );
    if key.is_demo() {
        v.push(
            "demo key",
            trust.allow_demo_key,
            if trust.allow_demo_key {
                "DEMO KEY — not evidence: signed with the published demo key (checked with --allow-demo-key)".to_string()
            } else {
                "DEMO KEY — not evidence: signed with the published demo key, whose secret half is public; pass --allow-demo-key to check a demo bundle".to_string()
            },
        );
    }
    if let Some(pdf) = held.get(REPORT_PATH) {
        match super::pdfsign::verify_pdf(pdf) {
            Ok(cn) => v.push(
                REPORT_PATH,
                true,
                format!(
                    "embedded PDF signature valid (certificate CN={cn}; self-signed: compare it with the signer's published certificate)"
                ),
            ),
            Err(e) => v.push(REPORT_PATH, false, format!("embedded PDF signature: {e}")),
        }
    }
}

/// The bundled public key, when it is exactly a file keygen writes.
fn bundled_key(v: &mut Verdict, bundled: &[u8]) -> Option<PublicKey> {
    let bundled_text = String::from_utf8_lossy(bundled);
    match PublicKey::from_text(&bundled_text) {
        Ok(k) if k.to_text() == bundled_text => Some(k),
        Ok(_) => {
            v.push(
                PUBKEY_PATH,
                false,
                "not the public key file keygen writes".to_string(),
            );
            None
        }
        Err(why) => {
            v.push(PUBKEY_PATH, false, format!("the bundled public key: {why}"));
            None
        }
    }
}

/// Whether the signing key is the pinned one (`--pubkey`, `--fingerprint`); records the
/// key's SHA-256 and whether it is the demo key.
fn check_pinned(v: &mut Verdict, key: &PublicKey, trust: &Trust) -> bool {
    v.key_sha256 = Some(key.fingerprint());
    v.demo_key = key.is_demo();
    let pinned = match (&trust.pubkey, &trust.fingerprint) {
        (Some(given), _) if given != key => Err(format!(
            "the bundled public key (SHA-256 {}) is not the `--pubkey` one (SHA-256 {})",
            key.fingerprint(),
            given.fingerprint()
        )),
        (_, Some(fp)) if key.fingerprint() != *fp => Err(format!(
            "the bundled public key has SHA-256 {}, not the pinned {fp}",
            key.fingerprint()
        )),
        (None, None) => Ok(format!(
            "no key was pinned: the signature is checked against the bundled key (SHA-256 {}), which proves nothing about who made it",
            key.fingerprint()
        )),
        _ => Ok(format!(
            "the signing key is the pinned one (SHA-256 {})",
            key.fingerprint()
        )),
    };
    v.push(
        "key",
        pinned.is_ok() && (v.pinned || trust.allow_unsigned),
        pinned.clone().unwrap_or_else(|e| e),
    );
    pinned.is_ok()
}

/// The manifest's key fields agree with the signing key.
fn check_manifest_key(v: &mut Verdict, key: &PublicKey, manifest: &Manifest) {
    let fields_ok = manifest.key_sha256.as_deref() == Some(key.fingerprint().as_str())
        && manifest.key_id.as_deref() == Some(key.id().as_str())
        && manifest.demo_key == key.is_demo();
    v.push(
        "manifest key",
        fields_ok,
        if fields_ok {
            format!("key id {} and SHA-256 agree with the signing key", key.id())
        } else {
            "the manifest's key id, key SHA-256 or demo flag disagree with the signing key"
                .to_string()
        },
    );
}

/// The signature of `SHA256SUMS` under `key`, whose trusted comment must be `expected`.
fn check_signed(v: &mut Verdict, key: &PublicKey, sums: &[u8], signature: &[u8], expected: &str) {
    match key.verify(sums, &String::from_utf8_lossy(signature)) {
        Ok(trusted) if trusted == expected => v.push(
            SIGNATURE,
            true,
            format!("good signature by key SHA-256 {}: {trusted}", key.fingerprint()),
        ),
        Ok(trusted) => v.push(
            SIGNATURE,
            false,
            format!(
                "the trusted comment `{trusted}` does not name this manifest's signer, organisation, period and SHA-256"
            ),
        ),
        Err(why) => v.push(SIGNATURE, false, why),
    }
}

/// Checks the bundle at `path` under `trust`. `Err` (exit 2): not a zip, unreadable,
/// hostile to unpack, or a bundle of another auditpack version. Otherwise the verdict, with
/// the opened bundle when its layout and manifest could be read.
pub(crate) fn verify(
    path: &Path,
    trust: &Trust,
    derived_names: &[String],
) -> Result<(Verdict, Option<Opened>), Error> {
    let mut v = Verdict {
        checks: Vec::new(),
        signed: false,
        pinned: trust.pubkey.is_some() || trust.fingerprint.is_some(),
        key_sha256: None,
        demo_key: false,
        valid: false,
    };
    // A bundle that is not there is a path to check, not a damaged bundle.
    std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
    let zip = match Zip::open(path) {
        Ok(z) => z,
        Err(Refusal::NotCanonical(reason)) => {
            v.push("zip", false, reason);
            v.settle();
            return Ok((v, None));
        }
        Err(other) => return Err(unusable(path, other.reason().to_string())),
    };
    v.push(
        "zip",
        true,
        format!(
            "exactly the layout auditpack build writes ({} entries)",
            zip.entries.len()
        ),
    );
    let manifest = match manifest_of(path, &zip)? {
        Ok(m) => m,
        Err(why) => {
            v.push(MANIFEST, false, why);
            v.settle();
            return Ok((v, None));
        }
    };
    let (hashes, held) = match read_entries(&zip) {
        Ok(r) => r,
        Err(Refusal::NotCanonical(reason)) => {
            v.push("entries", false, reason);
            v.settle();
            return Ok((v, None));
        }
        Err(other) => return Err(unusable(path, other.reason().to_string())),
    };
    check_listing(&mut v, &zip, &manifest, &hashes, &held, derived_names);
    check_signature(&mut v, &manifest, &hashes, &held, trust);
    v.settle();
    Ok((v, Some(Opened { zip, manifest })))
}

/// Writes the whole of entry `name` into `out`, when the bundle holds it.
pub(crate) fn copy_entry(
    opened: &Opened,
    name: &str,
    out: &mut dyn Write,
) -> Result<bool, Refusal> {
    match opened.zip.entry(name) {
        None => Ok(false),
        Some(e) => opened.zip.stream(e, out).map(|_| true),
    }
}
