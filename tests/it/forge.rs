//! A forger's tools, for the verify tests: a bundle's entries, a zip in auditpack's exact
//! layout (written here again, independently of `src/bundle/zip.rs`), a minisign signature
//! with a secret key file of `auditpack keygen`, and `reseal`: what a key holder would do to
//! make an edited bundle consistent again (manifest file list, SHA256SUMS, signature).

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use blake2::Digest as _;
use ed25519_dalek::Signer as _;

/// The bundle's entries by name, read with the zip crate.
pub fn entries(zip: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut a = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    (0..a.len())
        .map(|i| {
            let mut f = a.by_index(i).unwrap();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            (f.name().unwrap().to_string(), b)
        })
        .collect()
}

/// MS-DOS time and date of an RFC 3339 instant.
fn dos(t: &str) -> (u16, u16) {
    use chrono::{Datelike, Timelike};
    let t = chrono::DateTime::parse_from_rfc3339(t).unwrap();
    (
        ((t.hour() as u16) << 11) | ((t.minute() as u16) << 5) | (t.second() as u16 / 2),
        (((t.year() - 1980) as u16) << 9) | ((t.month() as u16) << 5) | t.day() as u16,
    )
}

/// A zip in exactly the layout `auditpack build` writes (version 2.0 made on Unix, UTF-8
/// flag, deflate level 6 fed 64 KiB at a time, mode 0644, one time), entries sorted by name.
pub fn canonical(files: &BTreeMap<String, Vec<u8>>, time: &str) -> Vec<u8> {
    let list: Vec<(String, Vec<u8>)> = files.iter().map(|(n, b)| (n.clone(), b.clone())).collect();
    canonical_list(&list, time)
}

/// The same layout for a list of entries as given (duplicates and order included).
pub fn canonical_list(files: &[(String, Vec<u8>)], time: &str) -> Vec<u8> {
    let (t, d) = dos(time);
    let mut out = Vec::new();
    let mut dir = Vec::new();
    for (name, data) in files {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
        // Handed to the compressor in 64 KiB pieces, as build does (the stream depends on it).
        for piece in data.chunks(1 << 16) {
            e.write_all(piece).unwrap();
        }
        let packed = e.finish().unwrap();
        let crc = crc32fast::hash(data);
        let offset = out.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes());
            v.extend_from_slice(&0x0800u16.to_le_bytes());
            v.extend_from_slice(&8u16.to_le_bytes());
            v.extend_from_slice(&t.to_le_bytes());
            v.extend_from_slice(&d.to_le_bytes());
            v.extend_from_slice(&crc.to_le_bytes());
            v.extend_from_slice(&(packed.len() as u32).to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&packed);
        dir.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        dir.extend_from_slice(&((3u16 << 8) | 20).to_le_bytes());
        common(&mut dir);
        dir.extend_from_slice(&[0; 6]);
        dir.extend_from_slice(&(0o100_644u32 << 16).to_le_bytes());
        dir.extend_from_slice(&offset.to_le_bytes());
        dir.extend_from_slice(name.as_bytes());
    }
    let at = out.len() as u32;
    out.extend_from_slice(&dir);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(dir.len() as u32).to_le_bytes());
    out.extend_from_slice(&at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A signing key read from `auditpack keygen`'s secret key file.
pub struct Forger {
    key: ed25519_dalek::SigningKey,
    keynum: [u8; 8],
}

impl Forger {
    pub fn from_file(path: &Path) -> Self {
        let text = std::fs::read_to_string(path).unwrap();
        let raw = text
            .lines()
            .skip(1)
            .filter_map(|l| B64.decode(l.trim()).ok())
            .find(|r| r.len() == 42 && &r[..2] == b"Ed")
            .unwrap();
        Self {
            key: ed25519_dalek::SigningKey::from_bytes(&raw[10..42].try_into().unwrap()),
            keynum: raw[2..10].try_into().unwrap(),
        }
    }

    /// The minisign key id, as minisign prints it.
    pub fn id(&self) -> String {
        format!("{:016X}", u64::from_le_bytes(self.keynum))
    }

    /// A minisign public key file for this key, carrying `keynum` as its id.
    pub fn public_text_with_id(&self, keynum: [u8; 8], id: &str) -> String {
        let mut raw = b"Ed".to_vec();
        raw.extend_from_slice(&keynum);
        raw.extend_from_slice(self.key.verifying_key().as_bytes());
        format!(
            "untrusted comment: minisign public key {id}\n{}\n",
            B64.encode(raw)
        )
    }

    /// The key number a key id (16 hex digits, as printed) stands for.
    pub fn keynum_of_id(id: &str) -> [u8; 8] {
        u64::from_str_radix(id, 16).unwrap().to_le_bytes()
    }

    /// The signature file auditpack writes: prehashed (`ED`), or the legacy `Ed` form.
    pub fn sign(&self, data: &[u8], trusted: &str, legacy: bool) -> String {
        let (algorithm, signed) = if legacy {
            (*b"Ed", self.key.sign(data).to_bytes())
        } else {
            (
                *b"ED",
                self.key.sign(&blake2::Blake2b512::digest(data)).to_bytes(),
            )
        };
        let mut global_input = signed.to_vec();
        global_input.extend_from_slice(trusted.as_bytes());
        let global = self.key.sign(&global_input).to_bytes();
        let mut raw = algorithm.to_vec();
        raw.extend_from_slice(&self.keynum);
        raw.extend_from_slice(&signed);
        format!(
            "untrusted comment: signature from auditpack secret key {}\n{}\ntrusted comment: {trusted}\n{}\n",
            self.id(),
            B64.encode(raw),
            B64.encode(global)
        )
    }
}

fn sha256(b: &[u8]) -> String {
    crate::sha256_hex(b)
}

/// What a key holder does after editing a bundle's files: lists them again in the manifest
/// (with `edit` applied to the manifest's JSON), recomputes SHA256SUMS and signs it with
/// `forger` (no signature when `None`), and writes the zip in auditpack's layout.
pub fn reseal(
    mut files: BTreeMap<String, Vec<u8>>,
    forger: Option<&Forger>,
    legacy: bool,
    edit: impl FnOnce(&mut serde_json::Value),
) -> Vec<u8> {
    let mut manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    let role = |p: &str| match p {
        "policy.toml" => "policy",
        "report/evidence-report.pdf" => "report",
        "VERIFY.txt" => "instructions",
        "auditpack.pub" => "publickey",
        _ if p.starts_with("inputs/") => "input",
        _ if p.starts_with("templates/") => "template",
        _ => "derived",
    };
    files.remove("SHA256SUMS");
    files.remove("SHA256SUMS.minisig");
    manifest["files"] = serde_json::Value::Array(
        files
            .iter()
            .filter(|(p, _)| *p != "manifest.json")
            .map(|(p, b)| {
                serde_json::json!({"path": p, "role": role(p), "sha256": sha256(b), "size": b.len()})
            })
            .collect(),
    );
    edit(&mut manifest);
    let mut json = serde_json::to_vec_pretty(&manifest).unwrap();
    json.push(b'\n');
    let manifest_sha = sha256(&json);
    files.insert("manifest.json".to_string(), json);
    let sums: String = files
        .iter()
        .map(|(p, b)| format!("{}  {p}\n", sha256(b)))
        .collect();
    if let Some(f) = forger {
        let m = &manifest;
        let trusted = format!(
            "auditpack evidence bundle; signer: {}; organization: {}; period: {} to {}; manifest sha256: {manifest_sha}",
            m["signer"].as_str().unwrap_or_default(),
            m["organization"].as_str().unwrap(),
            m["parameters"]["period_from"].as_str().unwrap(),
            m["parameters"]["period_to"].as_str().unwrap()
        );
        files.insert(
            "SHA256SUMS.minisig".to_string(),
            f.sign(sums.as_bytes(), &trusted, legacy).into_bytes(),
        );
    }
    files.insert("SHA256SUMS".to_string(), sums.into_bytes());
    let time = manifest["parameters"]["as_of"]
        .as_str()
        .unwrap()
        .to_string();
    canonical(&files, &time)
}
