//! The report's embedded signature: an incremental update (lopdf) with a signature field and
//! a detached CMS SignedData (`adbe.pkcs7.detached`) over the `/ByteRange`, ECDSA P-256 with
//! SHA-256 and RFC 6979 nonces, so the same key and PDF give the same bytes. Also the
//! self-signed X.509 certificate that keygen writes. The DER is built here: a handful of
//! fixed structures (the `cms` crate is a release candidate only).

use chrono::{DateTime, Datelike, Timelike, Utc};
use lopdf::{IncrementalDocument, Object, StringFormat, dictionary};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use sha2::{Digest, Sha256};

/// Bytes reserved for the CMS blob in `/Contents`.
const SIG_CAP: usize = 8192;

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = content.len();
    if n < 0x80 {
        v.push(n as u8);
    } else {
        let b = n.to_be_bytes();
        let s = b.iter().position(|&x| x != 0).unwrap_or(b.len() - 1);
        v.push(0x80 | (b.len() - s) as u8);
        v.extend_from_slice(&b[s..]);
    }
    v.extend_from_slice(content);
    v
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn set(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x31, &parts.concat())
}

const OID_SIGNED_DATA: &[u8] = &[0x06, 9, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 1, 7, 2];
const OID_DATA: &[u8] = &[0x06, 9, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 1, 7, 1];
const OID_SHA256: &[u8] = &[0x06, 9, 0x60, 0x86, 0x48, 1, 0x65, 3, 4, 2, 1];
const OID_ECDSA_SHA256: &[u8] = &[0x06, 8, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 4, 3, 2];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x06, 7, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 2, 1];
const OID_PRIME256V1: &[u8] = &[0x06, 8, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 3, 1, 7];
const OID_COMMON_NAME: &[u8] = &[0x06, 3, 0x55, 4, 3];
const OID_KEY_USAGE: &[u8] = &[0x06, 3, 0x55, 29, 15];
const OID_CONTENT_TYPE: &[u8] = &[0x06, 9, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 1, 9, 3];
const OID_MESSAGE_DIGEST: &[u8] = &[0x06, 9, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 1, 9, 4];

/// (tag, header length, content length) of the TLV at the start of `d`.
fn header(d: &[u8]) -> Option<(u8, usize, usize)> {
    let l = *d.get(1)? as usize;
    if l < 0x80 {
        return Some((d[0], 2, l));
    }
    let k = l & 0x7f;
    let mut n = 0usize;
    for i in 0..k {
        n = (n << 8) | *d.get(2 + i)? as usize;
    }
    Some((d[0], 2 + k, n))
}

/// The first child of a constructed TLV.
fn first_child(d: &[u8]) -> Option<&[u8]> {
    children(d)?.first().copied()
}

/// The full encodings of the children of a constructed TLV.
fn children(d: &[u8]) -> Option<Vec<&[u8]>> {
    let (_, h, n) = header(d)?;
    let mut c = d.get(h..h + n)?;
    let mut out = Vec::new();
    while !c.is_empty() {
        let (_, h2, n2) = header(c)?;
        out.push(c.get(..h2 + n2)?);
        c = &c[h2 + n2..];
    }
    Some(out)
}

fn name(common_name: &str) -> Vec<u8> {
    seq(&[&set(&[&seq(&[
        OID_COMMON_NAME,
        &tlv(0x0C, common_name.as_bytes()),
    ])])])
}

/// `YYYYMMDDHHMMSSZ`: the body of an ASN.1 GeneralizedTime and of a PDF date.
fn compact_utc(t: DateTime<Utc>) -> String {
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn generalized_time(t: DateTime<Utc>) -> Vec<u8> {
    tlv(0x18, compact_utc(t).as_bytes())
}

/// A self-signed X.509 v3 certificate for `key` naming `common_name`, valid between the
/// given instants, for digital signatures and non-repudiation.
pub(crate) fn certificate(
    key: &SigningKey,
    common_name: &str,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
) -> Vec<u8> {
    let point = key.verifying_key().to_encoded_point(false);
    let mut bits = vec![0u8];
    bits.extend_from_slice(point.as_bytes());
    let spki = seq(&[
        &seq(&[OID_EC_PUBLIC_KEY, OID_PRIME256V1]),
        &tlv(0x03, &bits),
    ]);
    // Serial: positive, from the public key, so it is stable for a key.
    let mut serial = Sha256::digest(point.as_bytes())[..8].to_vec();
    serial[0] &= 0x7F;
    // keyUsage: digitalSignature (bit 0) and nonRepudiation (bit 1): 0b1100_0000, 6 unused.
    let key_usage = seq(&[
        OID_KEY_USAGE,
        &tlv(0x01, &[0xFF]),
        &tlv(0x04, &tlv(0x03, &[6, 0xC0])),
    ]);
    let tbs = seq(&[
        &tlv(0xA0, &tlv(0x02, &[2])),
        &tlv(0x02, &serial),
        &seq(&[OID_ECDSA_SHA256]),
        &name(common_name),
        &seq(&[&generalized_time(not_before), &generalized_time(not_after)]),
        &name(common_name),
        &spki,
        &tlv(0xA3, &seq(&[&key_usage])),
    ]);
    let signature: Signature = key.sign(&tbs);
    let mut sig_bits = vec![0u8];
    sig_bits.extend_from_slice(signature.to_der().as_bytes());
    seq(&[&tbs, &seq(&[OID_ECDSA_SHA256]), &tlv(0x03, &sig_bits)])
}

/// Detached CMS SignedData over `content` (the bytes the `/ByteRange` covers).
fn cms(key: &SigningKey, cert_der: &[u8], content: &[u8]) -> Result<Vec<u8>, String> {
    let digest = Sha256::digest(content);
    let tbs = first_child(cert_der).ok_or("the certificate is not DER")?;
    let fields = children(tbs).ok_or("the certificate is not DER")?;
    // version, serial, signature algorithm, issuer, ...
    let (serial, issuer) = match (fields.get(1), fields.get(3)) {
        (Some(s), Some(i)) => (*s, *i),
        _ => return Err("the certificate lacks a serial or an issuer".to_string()),
    };
    let sha = seq(&[OID_SHA256, &[0x05, 0x00]]);
    let content_type = seq(&[OID_CONTENT_TYPE, &set(&[OID_DATA])]);
    let message_digest = seq(&[OID_MESSAGE_DIGEST, &set(&[&tlv(0x04, &digest)])]);
    let mut attrs = [content_type, message_digest];
    attrs.sort(); // DER orders a SET OF by encoding
    let signed_attrs = set(&[&attrs[0], &attrs[1]]);
    let signature: Signature = key.sign(&signed_attrs);
    let mut implicit = signed_attrs.clone();
    implicit[0] = 0xA0; // [0] IMPLICIT in SignerInfo
    let signer_info = seq(&[
        &tlv(0x02, &[1]),
        &seq(&[issuer, serial]),
        &sha,
        &implicit,
        &seq(&[OID_ECDSA_SHA256]),
        &tlv(0x04, signature.to_der().as_bytes()),
    ]);
    let signed_data = seq(&[
        &tlv(0x02, &[1]),
        &set(&[&sha]),
        &seq(&[OID_DATA]),
        &tlv(0xA0, cert_der),
        &set(&[&signer_info]),
    ]);
    Ok(seq(&[OID_SIGNED_DATA, &tlv(0xA0, &signed_data)]))
}

fn pdf_date(t: DateTime<Utc>) -> String {
    format!("D:{}", compact_utc(t))
}

/// `pdf` with the incremental update of a signature appended, every byte of it final but the
/// CMS blob in `/Contents` (zeros), and where `/Contents`' `<` and `>` stand.
fn prepare(pdf: &[u8], signer: &str, at: DateTime<Utc>) -> Result<(Vec<u8>, usize, usize), String> {
    fn e(what: &'static str) -> impl Fn(lopdf::Error) -> String {
        move |err| format!("{what}: {err}")
    }
    let mut inc = IncrementalDocument::load_from(pdf).map_err(e("cannot read the PDF"))?;
    let prev = inc.get_prev_documents();
    let root_id = prev
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(e("no document catalog"))?;
    let page_id = *prev.get_pages().get(&1).ok_or("the PDF has no page")?;
    let prev_annots = prev
        .get_dictionary(page_id)
        .map_err(e("first page"))?
        .get(b"Annots")
        .ok()
        .cloned();
    let mut annots = match prev_annots {
        Some(Object::Array(a)) => a,
        Some(Object::Reference(r)) => prev
            .get_object(r)
            .and_then(Object::as_array)
            .cloned()
            .map_err(e("page annotations"))?,
        _ => Vec::new(),
    };
    let reserved = 9_999_999_999i64;
    let sig_id = inc.new_document.add_object(dictionary! {
        "Type" => "Sig",
        "Filter" => "Adobe.PPKLite",
        "SubFilter" => "adbe.pkcs7.detached",
        "ByteRange" => vec![0.into(), reserved.into(), reserved.into(), reserved.into()],
        "Contents" => Object::String(vec![0u8; SIG_CAP], StringFormat::Hexadecimal),
        "M" => Object::string_literal(pdf_date(at)),
        "Name" => Object::string_literal(signer),
        "Reason" => Object::string_literal("SOC 2 CC7.3 incident response evidence"),
    });
    let field_id = inc.new_document.add_object(dictionary! {
        "Type" => "Annot",
        "Subtype" => "Widget",
        "FT" => "Sig",
        "T" => Object::string_literal("auditpack-signature"),
        "V" => sig_id,
        "Rect" => vec![0.into(), 0.into(), 0.into(), 0.into()],
        "F" => 132,
        "P" => page_id,
    });
    annots.push(field_id.into());
    inc.opt_clone_object_to_new_document(page_id)
        .map_err(e("first page"))?;
    inc.new_document
        .get_object_mut(page_id)
        .and_then(Object::as_dict_mut)
        .map_err(e("first page"))?
        .set("Annots", annots);
    inc.opt_clone_object_to_new_document(root_id)
        .map_err(e("document catalog"))?;
    inc.new_document
        .get_object_mut(root_id)
        .and_then(Object::as_dict_mut)
        .map_err(e("document catalog"))?
        .set(
            "AcroForm",
            dictionary! { "Fields" => vec![field_id.into()], "SigFlags" => 3 },
        );
    let mut out = Vec::new();
    inc.save_to(&mut out)
        .map_err(|err| format!("cannot write the PDF: {err}"))?;

    // Patch the reserved fields in the appended section in place (same lengths).
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    };
    let zeros = vec![b'0'; SIG_CAP * 2];
    let c0 = find(&out, &zeros, pdf.len()).ok_or("no reserved /Contents")? - 1;
    let c1 = c0 + 2 + SIG_CAP * 2;
    if out.get(c0) != Some(&b'<') || out.get(c1 - 1) != Some(&b'>') {
        return Err("unexpected /Contents layout".to_string());
    }
    let range_text = b"9999999999 9999999999 9999999999";
    let b0 = find(&out, range_text, pdf.len()).ok_or("no reserved /ByteRange")? - 2;
    let byte_range = format!("0 {} {} {}", c0, c1, out.len() - c1);
    let byte_range = format!("{byte_range:<width$}", width = range_text.len() + 2);
    out[b0..b0 + byte_range.len()].copy_from_slice(byte_range.as_bytes());
    Ok((out, c0, c1))
}

/// Appends a signature to `pdf` as an incremental update; signing time is `at`.
pub(crate) fn sign_pdf(
    pdf: &[u8],
    key: &SigningKey,
    cert_der: &[u8],
    signer: &str,
    at: DateTime<Utc>,
) -> Result<Vec<u8>, String> {
    let (mut out, c0, c1) = prepare(pdf, signer, at)?;
    let mut signed = out[..c0].to_vec();
    signed.extend_from_slice(&out[c1..]);
    let blob = cms(key, cert_der, &signed)?;
    if blob.len() > SIG_CAP {
        return Err("the signature does not fit the reserved space".to_string());
    }
    let hex: String = blob.iter().map(|b| format!("{b:02X}")).collect();
    out[c0 + 1..c0 + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(out)
}

/// Whether `signed` is exactly `unsigned` with the signature `sign_pdf` appends for
/// `signer` at `at`: every byte the same but the CMS blob in `/Contents` (which `verify_pdf`
/// checks), hex digits then the zeros of the reserved space.
pub(crate) fn is_signed_copy(
    signed: &[u8],
    unsigned: &[u8],
    signer: &str,
    at: DateTime<Utc>,
) -> Result<(), String> {
    let (expected, c0, c1) = prepare(unsigned, signer, at)?;
    if signed.len() != expected.len() || !signed.starts_with(unsigned) {
        return Err("is not the recomputed report followed by its signature".to_string());
    }
    if signed[..=c0] != expected[..=c0] || signed[c1 - 1..] != expected[c1 - 1..] {
        return Err("differs from the recomputed report outside its signature".to_string());
    }
    let hex = &signed[c0 + 1..c1 - 1];
    let digits = hex.iter().rposition(|&b| b != b'0').map_or(0, |p| p + 1);
    if !hex.iter().all(u8::is_ascii_hexdigit) || hex[..digits].iter().any(u8::is_ascii_lowercase) {
        return Err("its signature holds other than upper-case hex digits".to_string());
    }
    Ok(())
}

/// PEM text of a DER certificate.
pub(crate) fn pem(der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

/// DER of the first certificate in PEM text.
pub(crate) fn from_pem(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let body: String = text
        .split("-----BEGIN CERTIFICATE-----")
        .nth(1)?
        .split("-----END CERTIFICATE-----")
        .next()?
        .split_whitespace()
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// The common name in a DER Name.
fn common_name(name: &[u8]) -> Option<String> {
    for rdn in children(name)? {
        for atv in children(rdn)? {
            let parts = children(atv)?;
            if parts.first() == Some(&OID_COMMON_NAME) {
                let (_, h, n) = header(parts.get(1)?)?;
                return String::from_utf8(parts.get(1)?.get(h..h + n)?.to_vec()).ok();
            }
        }
    }
    None
}

/// Checks the last embedded signature of `pdf`: the byte range covers the whole file but
/// the signature itself, the signed digest matches, and the ECDSA P-256 signature verifies
/// with the embedded certificate's key. Returns the certificate's common name. (Trust in
/// that certificate is the reader's decision, as with pdfsig.)
pub(crate) fn verify_pdf(pdf: &[u8]) -> Result<String, String> {
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier as _;
    let at = pdf
        .windows(10)
        .rposition(|w| w == b"/ByteRange")
        .ok_or("the PDF has no embedded signature")?;
    let open = at
        + pdf[at..]
            .iter()
            .position(|&b| b == b'[')
            .ok_or("bad /ByteRange")?;
    let close = open
        + pdf[open..]
            .iter()
            .position(|&b| b == b']')
            .ok_or("bad /ByteRange")?;
    let numbers: Vec<usize> = String::from_utf8_lossy(&pdf[open + 1..close])
        .split_whitespace()
        .map(|n| n.parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| "bad /ByteRange")?;
    let [a, l1, b, l2] = numbers[..] else {
        return Err("bad /ByteRange".to_string());
    };
    if a != 0 || b < l1 || b + l2 != pdf.len() {
        return Err(
            "the signature does not cover the whole file: changed after signing".to_string(),
        );
    }
    let hex = pdf.get(l1 + 1..b - 1).ok_or("bad /Contents")?;
    let blob: Vec<u8> = hex
        .chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap_or("zz"), 16))
        .collect::<Result<_, _>>()
        .map_err(|_| "/Contents is not hex")?;
    let bad = || "the signature is not a CMS SignedData this tool can read".to_string();
    let (_, h, n) = header(&blob).ok_or_else(bad)?;
    let content_info = blob.get(..h + n).ok_or_else(bad)?;
    let ci = children(content_info).ok_or_else(bad)?;
    let signed_data = ci.get(1).and_then(|x| first_child(x)).ok_or_else(bad)?;
    let sd = children(signed_data).ok_or_else(bad)?;
    let cert = sd.get(3).and_then(|x| first_child(x)).ok_or_else(bad)?;
    let signer_info = sd.get(4).and_then(|x| first_child(x)).ok_or_else(bad)?;
    let si = children(signer_info).ok_or_else(bad)?;
    let signed_attrs = si.get(3).ok_or_else(bad)?;
    let signature = si.get(5).ok_or_else(bad)?;

    let mut content = pdf[..l1].to_vec();
    content.extend_from_slice(&pdf[b..]);
    let digest = Sha256::digest(&content);
    let expected = tlv(0x04, &digest);
    let digest_ok = children(signed_attrs).ok_or_else(bad)?.iter().any(|attr| {
        children(attr).is_some_and(|parts| {
            parts.first() == Some(&OID_MESSAGE_DIGEST)
                && parts
                    .get(1)
                    .and_then(|s| children(s))
                    .is_some_and(|v| v.first() == Some(&expected.as_slice()))
        })
    });
    if !digest_ok {
        return Err(
            "the signed digest does not match the document: changed after signing".to_string(),
        );
    }
    let fields = first_child(cert).and_then(children).ok_or_else(bad)?;
    let point = certificate_point(cert).ok_or_else(bad)?;
    let key = VerifyingKey::from_sec1_bytes(point)
        .map_err(|_| "the certificate's key is not P-256".to_string())?;
    let (_, h, n) = header(signature).ok_or_else(bad)?;
    let sig = Signature::from_der(signature.get(h..h + n).ok_or_else(bad)?).map_err(|_| bad())?;
    let mut attrs = signed_attrs.to_vec();
    attrs[0] = 0x31;
    key.verify(&attrs, &sig)
        .map_err(|_| "the signature does not verify with its certificate".to_string())?;
    Ok(fields
        .get(5)
        .and_then(|s| common_name(s))
        .unwrap_or_default())
}

/// The uncompressed EC point of a certificate's public key (SubjectPublicKeyInfo, the
/// seventh field of the TBSCertificate, its BIT STRING without the unused-bits byte).
fn certificate_point(cert_der: &[u8]) -> Option<&[u8]> {
    let fields = first_child(cert_der).and_then(children)?;
    let spki = children(fields.get(6)?)?;
    let (_, h, n) = header(spki.get(1)?)?;
    spki[1].get(h + 1..h + n)
}

/// Whether `cert_der` certifies `key` (its public key is the key's).
pub(crate) fn certifies(cert_der: &[u8], key: &SigningKey) -> bool {
    let point = key.verifying_key().to_encoded_point(false);
    certificate_point(cert_der) == Some(point.as_bytes())
}

/// A P-256 private key from PEM (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`).
pub(crate) fn key_from_pem(text: &str) -> Result<SigningKey, String> {
    use p256::pkcs8::DecodePrivateKey as _;
    SigningKey::from_pkcs8_pem(text)
        .or_else(|_| p256::SecretKey::from_sec1_pem(text).map(SigningKey::from))
        .map_err(|_| "not a P-256 private key in PEM (PKCS#8 or SEC1)".to_string())
}
