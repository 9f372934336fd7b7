/*!
A postmortem document's text, and the PDF's own creation date. PDFs are read with lopdf (pure
Rust, already linked for PDF signing), with every content stream's decompressed size bounded.
Markdown and plain text are read as UTF-8.

Parsing a hostile PDF can still run away (deep object nesting, huge xref tables), so
`commands` runs `read_pdf` in a child process that limits its own memory and CPU time
(`auditpack pdf-text`); a child that dies is reported as an unreadable document, and the
run goes on. The child and its parent speak `Readout` as JSON.
*/

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use lopdf::{Document as Pdf, Object};
use serde::{Deserialize, Serialize};

/// The input folder that holds postmortems (any case).
pub(crate) const FOLDER: &str = "postmortems";

/// Whether an input file (its name relative to the input folder, `/`-separated) is a
/// postmortem document: anything under `postmortems/` except hidden files.
pub(crate) fn is_document(name: &str) -> bool {
    let mut parts = name.split('/');
    let top = parts.next().unwrap_or_default();
    let base = name.rsplit('/').next().unwrap_or_default();
    top.eq_ignore_ascii_case(FOLDER) && name.contains('/') && !base.starts_with('.')
}

/// The format name of a document in `inputs.csv`.
pub(crate) fn document_format(name: &str) -> &'static str {
    Kind::of(name).map_or("postmortem-unsupported", Kind::name)
}

/// One postmortem document as read.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    /// Its name relative to the input folder (`postmortems/PM-1234.pdf`).
    pub name: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// What reading it gave.
    pub readout: Readout,
}

/// The bound on each page's decompressed content, and on any one font's ToUnicode map.
pub(crate) const MAX_DECOMPRESSED: usize = 64 << 20;

/// The child's address-space limit while reading one PDF.
pub(crate) const MEMORY_LIMIT: u64 = 1 << 30;

/// The child's CPU-time limit (seconds) while reading one PDF.
pub(crate) const CPU_LIMIT_S: u64 = 30;

/// What reading a document gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum Readout {
    /// The document's text, and the PDF's `/CreationDate` when it has one.
    Text {
        text: String,
        /// RFC 3339, from the PDF's document information dictionary.
        pdf_created: Option<String>,
    },
    /// Why no text could be had.
    Unreadable(Unreadable),
}

/// Why a document gives no text. Each is reported as such.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Unreadable {
    /// Opening it needs a password.
    Encrypted,
    /// Pages of images only: a scan without a text layer.
    ImageOnly,
    /// Pages with neither text nor images.
    NoText,
    /// Not a well-formed PDF, or not UTF-8 text; the parser's words.
    Corrupt(String),
    /// Reading it went past the memory or CPU bound.
    LimitExceeded(String),
    /// A file type auditpack does not read (`.docx`).
    Unsupported(String),
}

impl Unreadable {
    /// The reason as the report and `exceptions.csv` give it.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Encrypted => "encrypted: opening it needs a password".to_string(),
            Self::ImageOnly => "image-only scan: the pages have no text layer".to_string(),
            Self::NoText => "no text: the pages carry neither text nor images".to_string(),
            Self::Corrupt(why) => format!("corrupt: {why}"),
            Self::LimitExceeded(why) => format!("too costly to read: {why}"),
            Self::Unsupported(what) => {
                format!("unsupported file type {what}; export it as PDF, Markdown or text")
            }
        }
    }

    /// One word for `postmortems.csv`: encrypted, scan, no_text, corrupt, limit, unsupported.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::Encrypted => "encrypted",
            Self::ImageOnly => "scan",
            Self::NoText => "no_text",
            Self::Corrupt(_) => "corrupt",
            Self::LimitExceeded(_) => "limit",
            Self::Unsupported(_) => "unsupported",
        }
    }
}

/// The kind of document, by file extension (case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Pdf,
    Markdown,
    Text,
}

impl Kind {
    /// `.pdf`, `.md`/`.markdown`, `.txt`; `None` for anything else.
    pub(crate) fn of(name: &str) -> Option<Self> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "pdf" => Some(Self::Pdf),
            "md" | "markdown" => Some(Self::Markdown),
            "txt" | "text" => Some(Self::Text),
            _ => None,
        }
    }

    /// The name in `inputs.csv`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Pdf => "postmortem-pdf",
            Self::Markdown => "postmortem-markdown",
            Self::Text => "postmortem-text",
        }
    }
}

/// Reads a Markdown or text postmortem.
pub(crate) fn read_text(bytes: &[u8]) -> Readout {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) if text.trim().is_empty() => Readout::Unreadable(Unreadable::NoText),
        Ok(text) => Readout::Text {
            text: text.to_string(),
            pdf_created: None,
        },
        Err(e) => Readout::Unreadable(Unreadable::Corrupt(format!(
            "not UTF-8 text (byte 0x{:02X} at offset {})",
            bytes[e.valid_up_to()],
            e.valid_up_to()
        ))),
    }
}

/// Reads a PDF's text in this process. Call it through the isolated child unless the bytes
/// are trusted (tests).
pub(crate) fn read_pdf(bytes: &[u8]) -> Readout {
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Readout::Unreadable(Unreadable::Corrupt(
            "not a PDF (no %PDF- header in the first 1024 bytes)".to_string(),
        ));
    }
    let doc = match Pdf::load_mem(bytes) {
        Ok(doc) => doc,
        Err(lopdf::Error::Decryption(_)) => return Readout::Unreadable(Unreadable::Encrypted),
        Err(e) => return Readout::Unreadable(Unreadable::Corrupt(e.to_string())),
    };
    // An owner password alone (print or copy restrictions) is removed on load, as every
    // viewer does; a document still encrypted needs a user password.
    if doc.is_encrypted() {
        return Readout::Unreadable(Unreadable::Encrypted);
    }
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    if pages.is_empty() {
        return Readout::Unreadable(Unreadable::Corrupt("the PDF has no pages".to_string()));
    }
    let mut text = String::new();
    let mut first_error = None;
    for chunk in doc.extract_text_chunks_with_limit(&pages, MAX_DECOMPRESSED) {
        match chunk {
            Ok(t) => text.push_str(&t),
            Err(lopdf::Error::Decompress(e)) => {
                return Readout::Unreadable(Unreadable::LimitExceeded(format!(
                    "a content stream inflates past {} MiB ({e})",
                    MAX_DECOMPRESSED >> 20
                )));
            }
            Err(e) => {
                first_error.get_or_insert(e.to_string());
            }
        }
    }
    // Text from fonts without a Unicode map comes out as control characters or U+FFFD.
    let readable = text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .take(20)
        .count();
    if readable < 20 {
        if let Some(e) = first_error {
            return Readout::Unreadable(Unreadable::Corrupt(e));
        }
        return Readout::Unreadable(if has_images(&doc) {
            Unreadable::ImageOnly
        } else {
            Unreadable::NoText
        });
    }
    Readout::Text {
        text,
        pdf_created: creation_date(&doc).map(|t| t.to_rfc3339()),
    }
}

fn has_images(doc: &Pdf) -> bool {
    doc.objects.values().any(|o| match o {
        Object::Stream(s) => s
            .dict
            .get(b"Subtype")
            .and_then(Object::as_name)
            .is_ok_and(|n| n == b"Image"),
        _ => false,
    })
}

/// `/CreationDate` from the document information dictionary.
fn creation_date(doc: &Pdf) -> Option<DateTime<FixedOffset>> {
    let info = doc.trailer.get(b"Info").ok()?;
    let info = match info {
        Object::Reference(id) => doc.get_dictionary(*id).ok()?,
        Object::Dictionary(d) => d,
        _ => return None,
    };
    let raw = info.get(b"CreationDate").ok()?.as_str().ok()?;
    let text = match raw.strip_prefix(&[0xFE, 0xFF]) {
        Some(utf16) => String::from_utf16(
            &utf16
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .collect::<Vec<_>>(),
        )
        .ok()?,
        None => raw.iter().map(|&b| b as char).collect(),
    };
    pdf_date(&text)
}

/// A PDF date string, `D:YYYYMMDDHHmmSSOHH'mm'` (PDF 32000-1 §7.9.4); every part after the
/// year is optional. Without an offset the time is taken as UTC.
pub(crate) fn pdf_date(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim().strip_prefix("D:").unwrap_or(s.trim());
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() < 4 || !digits.len().is_multiple_of(2) || digits.len() > 14 {
        return None;
    }
    let part = |from: usize, default: u32| -> Option<u32> {
        match digits.get(from..from + 2) {
            Some(p) => p.parse().ok(),
            None => Some(default),
        }
    };
    let date = NaiveDate::from_ymd_opt(digits[..4].parse().ok()?, part(4, 1)?, part(6, 1)?)?;
    let time = NaiveTime::from_hms_opt(part(8, 0)?, part(10, 0)?, part(12, 0)?)?;
    let rest = &s[digits.len()..];
    let offset_s = match rest.chars().next() {
        None | Some('Z') => 0,
        Some(sign @ ('+' | '-')) => {
            let nums: String = rest[1..].chars().filter(char::is_ascii_digit).collect();
            let h: i32 = nums.get(..2)?.parse().ok()?;
            let m: i32 = nums.get(2..4).map_or(Some(0), |m| m.parse().ok())?;
            (h * 3600 + m * 60) * if sign == '-' { -1 } else { 1 }
        }
        Some(_) => return None,
    };
    NaiveDateTime::new(date, time)
        .and_local_timezone(FixedOffset::east_opt(offset_s)?)
        .single()
}

/// The child's side of `auditpack pdf-text`: limit this process, read the PDF on `input`,
/// write the `Readout` as JSON.
pub(crate) fn child_main(
    input: &mut dyn std::io::Read,
    output: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use rlimit::Resource;
        Resource::AS.set(MEMORY_LIMIT, MEMORY_LIMIT)?;
        Resource::CPU.set(CPU_LIMIT_S, CPU_LIMIT_S)?;
    }
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes)?;
    let readout = read_pdf(&bytes);
    serde_json::to_writer(&mut *output, &readout)?;
    output.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates() {
        let t = |s: &str| pdf_date(s).map(|t| t.to_rfc3339());
        assert_eq!(
            t("D:20260314093000+01'00'"),
            Some("2026-03-14T09:30:00+01:00".into())
        );
        assert_eq!(
            t("D:20260314093000Z"),
            Some("2026-03-14T09:30:00+00:00".into())
        );
        assert_eq!(t("D:20260314"), Some("2026-03-14T00:00:00+00:00".into()));
        assert_eq!(t("D:2026031409300"), None);
        assert_eq!(t("D:20261314"), None);
        assert_eq!(t("yesterday"), None);
    }

    #[test]
    fn garbage_is_corrupt_not_a_panic() {
        assert!(matches!(
            read_pdf(b"hello"),
            Readout::Unreadable(Unreadable::Corrupt(_))
        ));
        assert!(matches!(
            read_pdf(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF"),
            Readout::Unreadable(Unreadable::Corrupt(_))
        ));
    }

    #[test]
    fn text_files_must_be_utf8() {
        assert_eq!(
            read_text(b"caf\xE9"),
            Readout::Unreadable(Unreadable::Corrupt(
                "not UTF-8 text (byte 0xE9 at offset 3)".into()
            ))
        );
        assert_eq!(read_text(b"  \n"), Readout::Unreadable(Unreadable::NoText));
    }
}
