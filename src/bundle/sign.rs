//! Signing keys and the detached signature of `SHA256SUMS`, in minisign's format so that the
//! stock `minisign -Vm SHA256SUMS -p auditpack.pub` checks it.
//!
//! minisign's "ED" signature: Ed25519 over BLAKE2b-512 of the file, then a global Ed25519
//! signature over (signature ‖ trusted comment). Ed25519 is deterministic, so the same key
//! and file give the same signature bytes. The secret key file is auditpack's own (the seed
//! in base64 under a comment); only public keys and signatures need minisign's format.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use blake2::{Blake2b512, Digest};
use chacha20poly1305::aead::Aead as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

/// A secret signing key with its key id and signer name.
pub(crate) struct SecretKey {
    key: SigningKey,
    /// The P-256 key of the PDF signature (poppler does not accept Ed25519 there).
    pub pdf_key: Option<p256::ecdsa::SigningKey>,
    /// The signer, e.g. "Jane Roe, Example Corp".
    pub name: String,
}

/// SHA-256 of the demo public key in `demo-keys/` (published with the repository, so a
/// signature with it proves nothing).
pub(crate) const DEMO_KEY_SHA256: &str =
    "3a55a20c36ddbd0056a52ec3d70866f4644ed8310838a946884b58856146991e";

/// A public key with its key id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublicKey {
    key: VerifyingKey,
    keynum: [u8; 8],
}

/// minisign's key id: here the first 8 bytes of SHA-256 of the public key.
fn keynum_of(key: &VerifyingKey) -> [u8; 8] {
    let digest = <sha2::Sha256 as sha2::Digest>::digest(key.as_bytes());
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

fn base64_line(text: &str) -> Option<Vec<u8>> {
    text.lines()
        .map(str::trim)
        .find(|l| {
            !l.is_empty()
                && !l.starts_with("untrusted comment:")
                && !l.starts_with("trusted comment:")
        })
        .and_then(|l| B64.decode(l).ok())
}

impl SecretKey {
    /// A new random key (the only randomness in auditpack).
    pub(crate) fn generate(name: &str) -> Result<Self, String> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| format!("no randomness available: {e}"))?;
        let pdf_key = loop {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| format!("no randomness available: {e}"))?;
            // Almost every 32-byte string is a valid scalar; retry the rare one that is not.
            if let Ok(k) = p256::ecdsa::SigningKey::from_slice(&bytes) {
                break k;
            }
        };
        Ok(Self {
            key: SigningKey::from_bytes(&seed),
            pdf_key: Some(pdf_key),
            name: name.to_string(),
        })
    }

    /// The key lines (base64 of the Ed25519 and P-256 keys), one per line.
    fn key_lines(&self) -> String {
        let mut raw = b"Ed".to_vec();
        raw.extend_from_slice(&keynum_of(&self.key.verifying_key()));
        raw.extend_from_slice(self.key.as_bytes());
        let mut text = format!("{}\n", B64.encode(raw));
        if let Some(k) = &self.pdf_key {
            let mut raw = b"P2".to_vec();
            raw.extend_from_slice(&k.to_bytes());
            text.push_str(&B64.encode(raw));
            text.push('\n');
        }
        text
    }

    /// The key file's text; with a passphrase the key lines are encrypted (Argon2id key
    /// derivation, ChaCha20-Poly1305).
    pub(crate) fn to_text(&self, passphrase: Option<&str>) -> Result<String, String> {
        let header = format!(
            "untrusted comment: auditpack secret key: {}\n",
            self.name.replace('\n', " ")
        );
        let Some(passphrase) = passphrase else {
            return Ok(header + &self.key_lines());
        };
        let mut salt_nonce = [0u8; 16 + 12];
        getrandom::fill(&mut salt_nonce).map_err(|e| format!("no randomness available: {e}"))?;
        let (salt, nonce) = salt_nonce.split_at(16);
        let cipher = cipher_for(passphrase, salt)?;
        let sealed = cipher
            .encrypt(
                chacha20poly1305::Nonce::from_slice(nonce),
                self.key_lines().as_bytes(),
            )
            .map_err(|_| "cannot encrypt the key".to_string())?;
        let mut blob = salt_nonce.to_vec();
        blob.extend_from_slice(&sealed);
        Ok(format!(
            "{header}encrypted: argon2id chacha20poly1305\n{}\n",
            B64.encode(blob)
        ))
    }

    /// Reads a key file written by `to_text`; an encrypted one needs its passphrase.
    pub(crate) fn from_text(text: &str, passphrase: Option<&str>) -> Result<Self, String> {
        let decrypted;
        let text = if text.lines().any(|l| l.starts_with("encrypted: ")) {
            let passphrase = passphrase
                .ok_or("the key is encrypted: set AUDITPACK_KEY_PASSWORD to its passphrase")?;
            let blob = text
                .lines()
                .skip_while(|l| !l.starts_with("encrypted: "))
                .nth(1)
                .and_then(|l| B64.decode(l.trim()).ok())
                .filter(|b| b.len() > 28)
                .ok_or("the encrypted key line is damaged")?;
            let cipher = cipher_for(passphrase, &blob[..16])?;
            let plain = cipher
                .decrypt(
                    chacha20poly1305::Nonce::from_slice(&blob[16..28]),
                    &blob[28..],
                )
                .map_err(|_| "wrong passphrase (AUDITPACK_KEY_PASSWORD), or a damaged key file")?;
            let first = text.lines().next().unwrap_or_default();
            decrypted = format!("{first}\n{}", String::from_utf8_lossy(&plain));
            decrypted.as_str()
        } else {
            text
        };
        let name = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("untrusted comment: auditpack secret key:"))
            .map(|n| n.trim().to_string())
            .ok_or("not an auditpack secret key (expected `untrusted comment: auditpack secret key: NAME` on the first line)")?;
        let raw = base64_line(text).ok_or("the key line is not base64")?;
        if raw.len() != 2 + 8 + 32 || &raw[..2] != b"Ed" {
            return Err("the key line does not hold an Ed25519 key".to_string());
        }
        let seed: [u8; 32] = raw[10..].try_into().map_err(|_| "bad key length")?;
        let key = SigningKey::from_bytes(&seed);
        if raw[2..10] != keynum_of(&key.verifying_key()) {
            return Err("the key id does not match the key: the file is damaged".to_string());
        }
        let pdf_key = text
            .lines()
            .filter_map(|l| B64.decode(l.trim()).ok())
            .find(|raw| raw.len() == 34 && &raw[..2] == b"P2")
            .map(|raw| {
                p256::ecdsa::SigningKey::from_slice(&raw[2..])
                    .map_err(|_| "the PDF signing key is damaged".to_string())
            })
            .transpose()?;
        Ok(Self { key, pdf_key, name })
    }

    /// The public half.
    pub(crate) fn public(&self) -> PublicKey {
        let key = self.key.verifying_key();
        PublicKey {
            keynum: keynum_of(&key),
            key,
        }
    }

    /// The minisign signature file of `data`, with a one-line trusted comment.
    pub(crate) fn sign(&self, data: &[u8], trusted_comment: &str) -> String {
        let trusted = trusted_comment.replace(['\n', '\r'], " ");
        let prehash = Blake2b512::digest(data);
        let signature = self.key.sign(&prehash).to_bytes();
        let mut global_input = signature.to_vec();
        global_input.extend_from_slice(trusted.as_bytes());
        let global = self.key.sign(&global_input).to_bytes();
        let mut raw = b"ED".to_vec();
        raw.extend_from_slice(&keynum_of(&self.key.verifying_key()));
        raw.extend_from_slice(&signature);
        format!(
            "untrusted comment: signature from auditpack secret key {}\n{}\ntrusted comment: {trusted}\n{}\n",
            self.public().id(),
            B64.encode(raw),
            B64.encode(global)
        )
    }
}

/// ChaCha20-Poly1305 keyed by Argon2id(passphrase, salt).
fn cipher_for(passphrase: &str, salt: &[u8]) -> Result<chacha20poly1305::ChaCha20Poly1305, String> {
    use chacha20poly1305::KeyInit as _;
    let mut key = [0u8; 32];
    argon2::Argon2::default()
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .map_err(|e| format!("cannot derive the key: {e}"))?;
    Ok(chacha20poly1305::ChaCha20Poly1305::new(&key.into()))
}

impl PublicKey {
    /// The key id as minisign prints it (16 upper-case hex digits).
    pub(crate) fn id(&self) -> String {
        // minisign shows the key number as a little-endian u64.
        format!("{:016X}", u64::from_le_bytes(self.keynum))
    }

    /// SHA-256 of the public key bytes, the fingerprint to publish.
    pub(crate) fn fingerprint(&self) -> String {
        crate::ingest::sha256_hex(self.key.as_bytes())
    }

    /// The minisign public key file's text.
    pub(crate) fn to_text(&self) -> String {
        let mut raw = b"Ed".to_vec();
        raw.extend_from_slice(&self.keynum);
        raw.extend_from_slice(self.key.as_bytes());
        format!(
            "untrusted comment: minisign public key {}\n{}\n",
            self.id(),
            B64.encode(raw)
        )
    }

    /// Reads a minisign public key file (or the bare base64 line).
    pub(crate) fn from_text(text: &str) -> Result<Self, String> {
        let raw = base64_line(text).ok_or("not a minisign public key: no base64 key line")?;
        if raw.len() != 2 + 8 + 32 || &raw[..2] != b"Ed" {
            return Err("not a minisign Ed25519 public key".to_string());
        }
        let bytes: [u8; 32] = raw[10..].try_into().map_err(|_| "bad key length")?;
        let key =
            VerifyingKey::from_bytes(&bytes).map_err(|e| format!("invalid public key: {e}"))?;
        // The key id is a label: one that is not the id of this key is a forgery.
        if raw[2..10] != keynum_of(&key) {
            return Err(
                "its key id is not the id of its key (auditpack keygen never writes such a key)"
                    .to_string(),
            );
        }
        Ok(Self {
            keynum: keynum_of(&key),
            key,
        })
    }

    /// Whether this is the demo key of `demo-keys/`.
    pub(crate) fn is_demo(&self) -> bool {
        self.fingerprint() == DEMO_KEY_SHA256
    }

    /// Checks a minisign signature file over `data`, written as `SecretKey::sign` writes it
    /// (prehashed `ED`, these four lines and nothing else); returns the trusted comment.
    pub(crate) fn verify(&self, data: &[u8], signature_text: &str) -> Result<String, String> {
        let lines: Vec<&str> = signature_text.split('\n').collect();
        let [untrusted, sig_line, trusted_line, global_line, ""] = lines[..] else {
            return Err("not a signature as auditpack writes it (four lines)".to_string());
        };
        let raw = B64
            .decode(sig_line)
            .map_err(|_| "the signature line is not base64")?;
        if raw.len() != 2 + 8 + 64 {
            return Err("not a minisign signature".to_string());
        }
        if &raw[..2] != b"ED" {
            return Err(
                "not a prehashed (`ED`) signature, which is all auditpack writes".to_string(),
            );
        }
        if raw[2..10] != self.keynum {
            return Err(format!(
                "signed by key {:016X}, not by {}",
                u64::from_le_bytes(raw[2..10].try_into().map_err(|_| "bad key id")?),
                self.id()
            ));
        }
        if untrusted
            != format!(
                "untrusted comment: signature from auditpack secret key {}",
                self.id()
            )
        {
            return Err("the first line is not the one auditpack writes".to_string());
        }
        let signature = Signature::from_slice(&raw[10..]).map_err(|e| e.to_string())?;
        self.key
            .verify_strict(&Blake2b512::digest(data), &signature)
            .map_err(|_| "the signature does not match the file".to_string())?;
        let trusted = trusted_line
            .strip_prefix("trusted comment: ")
            .ok_or("no trusted comment")?;
        let global = B64
            .decode(global_line)
            .map_err(|_| "the global signature is not base64")?;
        let global = Signature::from_slice(&global).map_err(|e| e.to_string())?;
        let mut input = raw[10..].to_vec();
        input.extend_from_slice(trusted.as_bytes());
        self.key
            .verify_strict(&input, &global)
            .map_err(|_| "the trusted comment was changed".to_string())?;
        Ok(trusted.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passphrase_protects_the_key_file() {
        let sk = SecretKey::generate("J").unwrap();
        let text = sk.to_text(Some("correct horse")).unwrap();
        assert!(text.contains("encrypted: argon2id chacha20poly1305"));
        assert!(!text.contains(&sk.key_lines()));
        let back = SecretKey::from_text(&text, Some("correct horse")).unwrap();
        assert_eq!(back.public(), sk.public());
        assert!(back.pdf_key.is_some());
        assert!(
            SecretKey::from_text(&text, Some("wrong"))
                .err()
                .unwrap()
                .starts_with("wrong passphrase")
        );
        assert!(
            SecretKey::from_text(&text, None)
                .err()
                .unwrap()
                .contains("AUDITPACK_KEY_PASSWORD")
        );
    }

    #[test]
    fn the_demo_key_is_known_and_a_key_id_cannot_be_borrowed() {
        let demo = PublicKey::from_text(include_str!("../../demo-keys/auditpack.pub")).unwrap();
        assert!(demo.is_demo());
        assert_eq!(demo.fingerprint(), DEMO_KEY_SHA256);
        // Another key carrying the demo key's id: refused, whatever the id says.
        let other = SecretKey::generate("Mallory").unwrap().public();
        let mut raw = b"Ed".to_vec();
        raw.extend_from_slice(&demo.keynum);
        raw.extend_from_slice(other.key.as_bytes());
        let forged = format!(
            "untrusted comment: minisign public key {}\n{}\n",
            demo.id(),
            B64.encode(raw)
        );
        assert!(
            PublicKey::from_text(&forged)
                .unwrap_err()
                .contains("key id")
        );
    }

    #[test]
    fn sign_verify_round_trip_is_deterministic_and_detects_changes() {
        let sk = SecretKey::generate("Jane Roe, Example Corp").unwrap();
        let sk = SecretKey::from_text(&sk.to_text(None).unwrap(), None).unwrap();
        assert_eq!(sk.name, "Jane Roe, Example Corp");
        let pk = PublicKey::from_text(&sk.public().to_text()).unwrap();
        let a = sk.sign(b"abc\n", "auditpack evidence");
        assert_eq!(a, sk.sign(b"abc\n", "auditpack evidence"));
        assert_eq!(pk.verify(b"abc\n", &a).unwrap(), "auditpack evidence");
        assert!(pk.verify(b"abd\n", &a).is_err());
        let forged = a.replace(
            "trusted comment: auditpack evidence",
            "trusted comment: other",
        );
        assert_eq!(
            pk.verify(b"abc\n", &forged).unwrap_err(),
            "the trusted comment was changed"
        );
        let other = SecretKey::generate("Mallory").unwrap().public();
        assert!(
            other
                .verify(b"abc\n", &a)
                .unwrap_err()
                .starts_with("signed by key")
        );
    }
}
