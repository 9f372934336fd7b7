//! The byte-flip sweep: a small signed bundle, one byte changed at a time, must never verify.
//! `verify` runs in-process (the library's `run`, as `main` calls it), so a few thousand
//! offsets take seconds. Shared by the test (`flip_sweep.rs`: every header and directory byte
//! and a seeded sample of the rest) and `benches/flip-sweep` (every offset).

use std::path::{Path, PathBuf};

use clap::Parser as _;

/// A genuine signed bundle of the `sla` fixture and the key that verifies it.
pub struct Genuine {
    pub dir: tempfile::TempDir,
    pub zip: Vec<u8>,
    pubkey: PathBuf,
}

fn run(args: &[&str]) -> Option<u8> {
    let cli = auditpack::cli::Cli::try_parse_from(args).ok()?;
    let mut sink = Vec::new();
    Some(match auditpack::run(cli, &mut sink) {
        Ok(status) => status.code(),
        // `main` reports every error with exit 2.
        Err(_) => 2,
    })
}

impl Genuine {
    /// Writes a key pair and builds the bundle, in a temp folder.
    pub fn new(fixture: &Path) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let at = |p: &str| dir.path().join(p).display().to_string();
        let keys = at("keys");
        assert_eq!(
            run(&[
                "auditpack",
                "keygen",
                "--out",
                &keys,
                "--name",
                "Flip Sweep"
            ]),
            Some(0)
        );
        let (out, key) = (at("out"), at("keys/auditpack.key"));
        let built = run(&[
            "auditpack",
            "build",
            "--input",
            &fixture.display().to_string(),
            "--out",
            &out,
            "--key",
            &key,
            "-q",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--as-of",
            "2026-01-31T00:00:00Z",
        ]);
        assert_eq!(built, Some(0));
        let zip = std::fs::read(dir.path().join("out/evidence-bundle.zip")).unwrap();
        let pubkey = dir.path().join("keys/auditpack.pub");
        let g = Self { dir, zip, pubkey };
        assert_eq!(
            g.verify(&g.zip.clone(), "genuine"),
            Some(0),
            "the genuine bundle"
        );
        g
    }

    /// The exit code of `verify --pubkey` on `zip` (written to `<name>.zip`).
    pub fn verify(&self, zip: &[u8], name: &str) -> Option<u8> {
        let path = self.dir.path().join(format!("{name}.zip"));
        std::fs::write(&path, zip).unwrap();
        run(&[
            "auditpack",
            "verify",
            &path.display().to_string(),
            "--pubkey",
            &self.pubkey.display().to_string(),
        ])
    }

    /// The offsets, among `offsets`, where changing one bit (bit `offset % 8`) leaves a bundle
    /// that verifies; `worker` names the scratch file, so workers can run side by side.
    pub fn survivors(&self, offsets: &[usize], worker: usize) -> Vec<usize> {
        let mut zip = self.zip.clone();
        let mut passed = Vec::new();
        for &at in offsets {
            let mask = 1u8 << (at % 8);
            zip[at] ^= mask;
            if self.verify(&zip, &format!("flip-{worker}")) == Some(0) {
                passed.push(at);
            }
            zip[at] ^= mask;
        }
        passed
    }
}

/// Every byte of the bundle's local headers (with their names), central directory and end
/// record, read from the end record the way build writes it.
pub fn structural_offsets(zip: &[u8]) -> Vec<usize> {
    let u16_at = |i: usize| u16::from_le_bytes([zip[i], zip[i + 1]]) as usize;
    let u32_at = |i: usize| u32::from_le_bytes(zip[i..i + 4].try_into().unwrap()) as usize;
    let end = zip.len() - 22;
    let directory = u32_at(end + 16);
    let mut offsets: Vec<usize> = (directory..zip.len()).collect();
    let mut at = directory;
    while at < end {
        let name = u16_at(at + 28);
        let local = u32_at(at + 42);
        offsets.extend(local..local + 30 + u16_at(local + 26));
        at += 46 + name + u16_at(at + 30) + u16_at(at + 32);
    }
    offsets.sort_unstable();
    offsets
}

/// `n` offsets drawn from `0..len` by a fixed linear congruential sequence (`seed`).
pub fn seeded_offsets(len: usize, n: usize, seed: u64) -> Vec<usize> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((x >> 33) as usize) % len
        })
        .collect()
}
