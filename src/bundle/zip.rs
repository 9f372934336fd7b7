//! The bundle's zip format, written and read by this one definition, so `verify` accepts
//! exactly what `build` writes and nothing else.
//!
//! Every entry is a local header, then its deflated bytes (level 6), with no data descriptor
//! and no extra field; the central directory follows the last entry, then one end record with
//! no comment, which ends the file. Every header field is fixed: version 2.0, flag 11 (UTF-8
//! names), deflate, the one time of the bundle, CRC-32, 32-bit sizes, Unix mode 0644. Names
//! are unique even after Unicode NFC and case folding, and sorted.
//!
//! Reading is strict and streaming: the layout is checked from the central directory and
//! every local header before any data is inflated, and each entry is inflated in pieces,
//! hashed as it goes, and deflated again to check that its bytes are the ones `build`
//! writes (a flipped bit in a deflate stream's padding changes no inflated byte, but it
//! changes the stream). No entry is ever written to disk.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use chrono::{DateTime, Datelike, Timelike, Utc};
use flate2::Compression;
use flate2::write::DeflateEncoder;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

const LOCAL: u32 = 0x0403_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const END: u32 = 0x0605_4b50;
const LOCAL_LEN: usize = 30;
const CENTRAL_LEN: usize = 46;
const END_LEN: usize = 22;
/// Version 2.0 (deflate), made on Unix.
const VERSION_NEEDED: u16 = 20;
const VERSION_MADE_BY: u16 = (3 << 8) | 20;
/// Bit 11: the name is UTF-8.
const FLAGS: u16 = 1 << 11;
const DEFLATE: u16 = 8;
/// A regular file, mode 0644, in the upper half (Unix attributes).
const EXTERNAL_ATTRIBUTES: u32 = 0o100_644 << 16;
const LEVEL: u32 = 6;

/// Largest inflated size of one entry, and of the whole bundle.
const MAX_ENTRY: u64 = 4 << 30;
const MAX_TOTAL: u64 = 8 << 30;
/// An inflated/deflated ratio above this on an entry over 1 MiB is treated as a zip bomb.
const MAX_RATIO: u64 = 200;
/// Entries, and bytes of the central directory, a bundle may have.
const MAX_ENTRIES: usize = 65_535;
const MAX_DIRECTORY: u64 = 64 << 20;

/// The date and time fields of every header: `time` as MS-DOS keeps it (1980..=2107, two
/// seconds apart).
pub(crate) fn dos_time(t: DateTime<Utc>) -> (u16, u16) {
    let year = t.year().clamp(1980, 2107) as u16;
    let time = ((t.hour() as u16) << 11) | ((t.minute() as u16) << 5) | (t.second() as u16 / 2);
    let date = ((year - 1980) << 9) | ((t.month() as u16) << 5) | t.day() as u16;
    (time, date)
}

/// The one normalisation of entry and input names: Unicode NFC, then lower case (case
/// folding), so `Report.csv` and `report.csv`, or a composed and a decomposed `é`, are one
/// name to every filesystem an auditor may unpack onto.
pub(crate) fn folded(name: &str) -> String {
    name.nfc()
        .collect::<String>()
        .to_lowercase()
        .nfc()
        .collect()
}

/// Why a name cannot be an entry: a path that would climb out of the folder it is unpacked
/// into, or one that different tools read differently.
pub(crate) fn unsafe_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("an empty name")
    } else if name.starts_with('/') {
        Some("an absolute path")
    } else if name.contains('\\') {
        Some("a backslash")
    } else if name.chars().any(char::is_control) {
        Some("a control character")
    } else if name
        .split('/')
        .any(|c| c == ".." || c == "." || c.is_empty())
    {
        Some("a `..`, `.` or empty path component")
    } else {
        None
    }
}

/// The fields a local header and its directory entry share, in the same order: version
/// needed, flags, method, time, date, CRC-32, sizes, name length.
fn common_fields(h: &mut Vec<u8>, name: &str, crc: u32, packed: u32, size: u32, time: (u16, u16)) {
    h.extend_from_slice(&VERSION_NEEDED.to_le_bytes());
    h.extend_from_slice(&FLAGS.to_le_bytes());
    h.extend_from_slice(&DEFLATE.to_le_bytes());
    h.extend_from_slice(&time.0.to_le_bytes());
    h.extend_from_slice(&time.1.to_le_bytes());
    h.extend_from_slice(&crc.to_le_bytes());
    h.extend_from_slice(&packed.to_le_bytes());
    h.extend_from_slice(&size.to_le_bytes());
    h.extend_from_slice(&(name.len() as u16).to_le_bytes());
}

fn local_header(name: &str, crc: u32, packed: u32, size: u32, time: (u16, u16)) -> Vec<u8> {
    let mut h = Vec::with_capacity(LOCAL_LEN + name.len());
    h.extend_from_slice(&LOCAL.to_le_bytes());
    common_fields(&mut h, name, crc, packed, size, time);
    h.extend_from_slice(&0u16.to_le_bytes());
    h.extend_from_slice(name.as_bytes());
    h
}

fn central_entry(
    name: &str,
    crc: u32,
    packed: u32,
    size: u32,
    time: (u16, u16),
    offset: u32,
) -> Vec<u8> {
    let mut h = Vec::with_capacity(CENTRAL_LEN + name.len());
    h.extend_from_slice(&CENTRAL.to_le_bytes());
    h.extend_from_slice(&VERSION_MADE_BY.to_le_bytes());
    common_fields(&mut h, name, crc, packed, size, time);
    // Extra field, comment, first disk, internal attributes.
    h.extend_from_slice(&[0; 8]);
    h.extend_from_slice(&EXTERNAL_ATTRIBUTES.to_le_bytes());
    h.extend_from_slice(&offset.to_le_bytes());
    h.extend_from_slice(name.as_bytes());
    h
}

fn end_record(entries: u16, directory_len: u32, directory_at: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(END_LEN);
    h.extend_from_slice(&END.to_le_bytes());
    // This disk, the directory's disk.
    h.extend_from_slice(&[0; 4]);
    h.extend_from_slice(&entries.to_le_bytes());
    h.extend_from_slice(&entries.to_le_bytes());
    h.extend_from_slice(&directory_len.to_le_bytes());
    h.extend_from_slice(&directory_at.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h
}

/// Bytes handed to the compressor at a time. Its output depends on how its input is cut,
/// so `write` and `stream` both hand it whole pieces of this size (the last one shorter).
const PIECE: usize = 1 << 16;

/// A compressor fed in `PIECE`-sized writes, however its input arrives.
struct Deflater<W: Write> {
    encoder: DeflateEncoder<W>,
    pending: Vec<u8>,
}

impl<W: Write> Deflater<W> {
    fn new(out: W) -> Self {
        Self {
            encoder: DeflateEncoder::new(out, Compression::new(LEVEL)),
            pending: Vec::with_capacity(PIECE),
        }
    }

    fn push(&mut self, mut data: &[u8]) -> std::io::Result<()> {
        while !data.is_empty() {
            let take = (PIECE - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() == PIECE {
                self.encoder.write_all(&self.pending)?;
                self.pending.clear();
            }
        }
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<W> {
        if !self.pending.is_empty() {
            self.encoder.write_all(&self.pending)?;
        }
        self.encoder.finish()
    }
}

/// `data` deflated as every entry is.
fn deflate(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut d = Deflater::new(Vec::new());
    d.push(data)?;
    d.finish()
}

/// Every entry's deflated bytes and CRC-32, in the order of `entries`. Entries are
/// independent, so they are deflated on every core, the largest first; each result
/// depends only on its entry's bytes, so the bundle is the same on any machine.
fn deflate_all(entries: &[(String, Vec<u8>)]) -> Result<Vec<(Vec<u8>, u32)>, String> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(entries[i].1.len()));
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(entries.len().max(1));
    let work = || {
        let mut done = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(&i) = order.get(k) else {
                return done;
            };
            let data = &entries[i].1;
            done.push((i, deflate(data).map(|p| (p, crc32fast::hash(data)))));
        }
    };
    let all = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..workers).map(|_| scope.spawn(work)).collect();
        let mut all = work();
        for h in handles {
            // A worker only stops early if deflating panicked.
            all.extend(
                h.join()
                    .map_err(|_| "deflating an entry failed".to_string())?,
            );
        }
        Ok::<_, String>(all)
    })?;
    let mut results: Vec<Option<(Vec<u8>, u32)>> = (0..entries.len()).map(|_| None).collect();
    for (i, r) in all {
        results[i] = Some(r.map_err(|e| e.to_string())?);
    }
    results
        .into_iter()
        .map(|r| r.ok_or_else(|| "an entry was not deflated".to_string()))
        .collect()
}

/// Writes the zip of `entries` (path, bytes), which must be sorted by path with unique,
/// safe names; every header carries `time`. `Err` names what cannot be written (an entry or
/// a bundle over the 32-bit sizes, too many entries).
pub(crate) fn write(entries: &[(String, Vec<u8>)], time: DateTime<Utc>) -> Result<Vec<u8>, String> {
    if entries.len() > MAX_ENTRIES {
        return Err(format!(
            "{} files are more than a bundle holds ({MAX_ENTRIES})",
            entries.len()
        ));
    }
    let time = dos_time(time);
    let too_big = |what: &str| format!("{what} is larger than a bundle holds (4 GiB)");
    let packed_all = deflate_all(entries)?;
    let mut out = Vec::new();
    let mut directory = Vec::new();
    for ((name, data), (packed, crc)) in entries.iter().zip(packed_all) {
        debug_assert!(unsafe_name(name).is_none(), "{name}");
        let size = u32::try_from(data.len()).map_err(|_| too_big(name))?;
        let packed_len = u32::try_from(packed.len()).map_err(|_| too_big(name))?;
        let offset = u32::try_from(out.len()).map_err(|_| too_big("the bundle"))?;
        out.extend_from_slice(&local_header(name, crc, packed_len, size, time));
        out.extend_from_slice(&packed);
        directory.extend_from_slice(&central_entry(name, crc, packed_len, size, time, offset));
    }
    let directory_at = u32::try_from(out.len()).map_err(|_| too_big("the bundle"))?;
    let directory_len = u32::try_from(directory.len()).map_err(|_| too_big("the bundle"))?;
    out.extend_from_slice(&directory);
    out.extend_from_slice(&end_record(
        entries.len() as u16,
        directory_len,
        directory_at,
    ));
    Ok(out)
}

/// Why a file cannot be taken for a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not a zip at all, or unreadable (exit 2).
    NotZip(String),
    /// Hostile to unpack: a path out of the folder, a link, a zip bomb (exit 2).
    Hostile(String),
    /// A readable zip that is not exactly what `build` writes (exit 1).
    NotCanonical(String),
}

impl Refusal {
    /// The reason, for messages.
    pub(crate) fn reason(&self) -> &str {
        match self {
            Self::NotZip(r) | Self::Hostile(r) | Self::NotCanonical(r) => r,
        }
    }
}

/// One entry of a bundle, as its central directory and local header agree it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ZipEntry {
    pub(crate) name: String,
    /// Where its deflated bytes start, and how many there are.
    data_at: u64,
    packed: u64,
    /// Its inflated size and CRC-32.
    pub(crate) size: u64,
    crc: u32,
    /// The MS-DOS time and date of its headers.
    pub(crate) time: (u16, u16),
}

/// What streaming one entry gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryDigest {
    /// SHA-256 of the inflated bytes, lower-case hex.
    pub(crate) sha256: String,
}

/// An open bundle whose layout is exactly `build`'s.
pub(crate) struct Zip {
    file: File,
    pub(crate) entries: Vec<ZipEntry>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, at)
}

#[cfg(not(unix))]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let mut f = file;
    f.seek(SeekFrom::Start(at))?;
    f.read_exact(buf)
}

fn not_canonical(what: String) -> Refusal {
    Refusal::NotCanonical(format!("not as auditpack build writes it: {what}"))
}

/// The end record, which must be the file's last 22 bytes: (entries, directory length,
/// directory offset).
fn end_of(file: &File, len: u64) -> Result<(usize, u64, u64), Refusal> {
    let unreadable = |e: std::io::Error| Refusal::NotZip(format!("cannot be read: {e}"));
    if len < END_LEN as u64 {
        return Err(Refusal::NotZip("not a zip archive (too short)".to_string()));
    }
    let mut end = [0u8; END_LEN];
    read_at(file, &mut end, len - END_LEN as u64).map_err(unreadable)?;
    if u32_at(&end, 0) != END {
        // A zip whose end record is followed by a comment or other bytes, or no zip.
        let window = len.min((64 << 10) + END_LEN as u64);
        let mut tail = vec![0u8; window as usize];
        read_at(file, &mut tail, len - window).map_err(unreadable)?;
        return Err(if tail.windows(4).any(|w| w == END.to_le_bytes()) {
            not_canonical(
                "its end-of-central-directory record does not end the file (a comment or trailing bytes)"
                    .to_string(),
            )
        } else {
            Refusal::NotZip("not a zip archive (no end-of-central-directory record)".to_string())
        });
    }
    let (disk, directory_disk) = (u16_at(&end, 4), u16_at(&end, 6));
    let (here, total) = (u16_at(&end, 8), u16_at(&end, 10));
    let (directory_len, directory_at) = (u32_at(&end, 12) as u64, u32_at(&end, 16) as u64);
    if u16_at(&end, 20) != 0 {
        return Err(not_canonical("a comment after the end record".to_string()));
    }
    if disk != 0 || directory_disk != 0 || here != total {
        return Err(not_canonical("a multi-disk end record".to_string()));
    }
    if total == u16::MAX || directory_at == u64::from(u32::MAX) {
        return Err(not_canonical(
            "a zip64 end record (entry count 0xFFFF or offset 0xFFFFFFFF)".to_string(),
        ));
    }
    if directory_at + directory_len != len - END_LEN as u64 {
        return Err(not_canonical(
            "the central directory is not where its end record says (bytes before the archive, or between the directory and the end record)".to_string(),
        ));
    }
    if directory_len > MAX_DIRECTORY {
        return Err(Refusal::Hostile(format!(
            "a central directory of {directory_len} bytes: refused"
        )));
    }
    Ok((usize::from(total), directory_len, directory_at))
}

/// The central directory's entries, each checked field by field.
fn directory(
    file: &File,
    count: usize,
    directory_len: u64,
    directory_at: u64,
) -> Result<Vec<(ZipEntry, u64)>, Refusal> {
    let mut dir = vec![0u8; directory_len as usize];
    read_at(file, &mut dir, directory_at)
        .map_err(|e| Refusal::NotZip(format!("cannot be read: {e}")))?;
    let mut entries = Vec::new();
    let mut at = 0usize;
    let mut total = 0u64;
    while at < dir.len() {
        let n = entries.len() + 1;
        let short = || not_canonical(format!("central directory entry {n} is cut short"));
        let head = dir.get(at..at + CENTRAL_LEN).ok_or_else(short)?;
        if u32_at(head, 0) != CENTRAL {
            return Err(not_canonical(format!(
                "central directory entry {n} has no entry signature"
            )));
        }
        let name_len = usize::from(u16_at(head, 28));
        let (extra, comment) = (u16_at(head, 30), u16_at(head, 32));
        let raw_name = dir
            .get(at + CENTRAL_LEN..at + CENTRAL_LEN + name_len)
            .ok_or_else(short)?;
        let name = String::from_utf8(raw_name.to_vec()).map_err(|_| {
            not_canonical(format!(
                "central directory entry {n} has a name that is not UTF-8"
            ))
        })?;
        if let Some(why) = unsafe_name(&name) {
            return Err(Refusal::Hostile(format!(
                "entry `{}` has {why}",
                name.escape_debug()
            )));
        }
        let external = u32_at(head, 38);
        if external >> 28 == 0o12 {
            return Err(Refusal::Hostile(format!(
                "entry `{name}` is a symbolic link"
            )));
        }
        let (packed, size) = (u32_at(head, 20), u32_at(head, 24));
        let (packed64, size64) = (u64::from(packed), u64::from(size));
        if size64 > MAX_ENTRY || size64 > 1 << 20 && size64 / packed64.max(1) > MAX_RATIO {
            return Err(Refusal::Hostile(format!(
                "entry `{name}` expands {size} bytes from {packed}: refused as a zip bomb"
            )));
        }
        total += size64;
        if total > MAX_TOTAL {
            return Err(Refusal::Hostile(
                "the bundle expands beyond 8 GiB: refused".to_string(),
            ));
        }
        if u16_at(head, 8) & 1 != 0 {
            return Err(not_canonical(format!("entry `{name}` is encrypted")));
        }
        if name.ends_with('/') {
            return Err(not_canonical(format!("entry `{name}` is a directory")));
        }
        let crc = u32_at(head, 16);
        let time = (u16_at(head, 12), u16_at(head, 14));
        let offset = u32_at(head, 42);
        let expected = central_entry(&name, crc, packed, size, time, offset);
        if extra != 0 || comment != 0 || dir[at..at + CENTRAL_LEN + name_len] != expected[..] {
            let field = first_difference(&dir[at..at + CENTRAL_LEN], &expected[..CENTRAL_LEN]);
            return Err(not_canonical(format!(
                "the central directory entry of `{name}` differs in its {field}"
            )));
        }
        entries.push((
            ZipEntry {
                name,
                data_at: 0,
                packed: u64::from(packed),
                size: u64::from(size),
                crc,
                time,
            },
            u64::from(offset),
        ));
        at += CENTRAL_LEN + name_len;
    }
    if entries.len() != count {
        return Err(not_canonical(format!(
            "the end record counts {count} entries but the central directory holds {}",
            entries.len()
        )));
    }
    Ok(entries)
}

/// The header field at the first byte where `a` and `b` differ.
fn first_difference(a: &[u8], b: &[u8]) -> &'static str {
    let at = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len());
    match at {
        0..=3 => "signature",
        4..=5 => "version made by",
        6..=7 => "version needed",
        8..=9 => "flags",
        10..=11 => "compression method",
        12..=15 => "time",
        16..=19 => "CRC-32",
        20..=27 => "sizes",
        28..=33 => "name, extra field or comment length",
        34..=37 => "disk or internal attributes",
        38..=41 => "external attributes",
        42..=45 => "local header offset",
        _ => "name, extra field or comment",
    }
}

/// Which of local-header field a byte of it is.
fn local_field(at: usize) -> &'static str {
    match at {
        0..=3 => "signature",
        4..=5 => "version needed",
        6..=7 => "flags",
        8..=9 => "compression method",
        10..=13 => "time",
        14..=17 => "CRC-32",
        18..=25 => "sizes",
        26..=29 => "name or extra field length",
        _ => "name",
    }
}

impl Zip {
    /// Opens `path` and checks its layout: exactly the entries, headers and directory that
    /// `build` writes, in order, with nothing before, between or after them.
    pub(crate) fn open(path: &Path) -> Result<Self, Refusal> {
        let unreadable = |e: std::io::Error| Refusal::NotZip(format!("cannot be read: {e}"));
        let file = File::open(path).map_err(unreadable)?;
        let len = file.metadata().map_err(unreadable)?.len();
        let (count, directory_len, directory_at) = end_of(&file, len)?;
        let listed = directory(&file, count, directory_len, directory_at)?;
        let mut seen = std::collections::BTreeMap::new();
        let mut expected_at = 0u64;
        let mut entries = Vec::with_capacity(listed.len());
        for (mut entry, offset) in listed {
            if let Some(other) = seen.insert(folded(&entry.name), entry.name.clone()) {
                return Err(not_canonical(if other == entry.name {
                    format!("entry `{}` appears twice", entry.name)
                } else {
                    format!(
                        "entries `{other}` and `{}` are one name once case and Unicode forms are folded",
                        entry.name
                    )
                }));
            }
            if let Some(last) = entries.last().map(|e: &ZipEntry| e.name.as_str())
                && last >= entry.name.as_str()
            {
                return Err(not_canonical(format!(
                    "entry `{}` is out of order after `{last}`",
                    entry.name
                )));
            }
            if offset != expected_at {
                return Err(not_canonical(format!(
                    "{} bytes before the local header of `{}`",
                    offset as i64 - expected_at as i64,
                    entry.name
                )));
            }
            let expected = local_header(
                &entry.name,
                entry.crc,
                entry.packed as u32,
                entry.size as u32,
                entry.time,
            );
            let mut head = vec![0u8; expected.len()];
            read_at(&file, &mut head, offset).map_err(|_| {
                not_canonical(format!("the local header of `{}` is cut short", entry.name))
            })?;
            if head != expected {
                let at = head
                    .iter()
                    .zip(&expected)
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                return Err(not_canonical(format!(
                    "the local header of `{}` differs from its directory entry in its {}",
                    entry.name,
                    local_field(at)
                )));
            }
            entry.data_at = offset + expected.len() as u64;
            expected_at = entry.data_at + entry.packed;
            entries.push(entry);
        }
        if expected_at != directory_at {
            return Err(not_canonical(
                "bytes between the last entry and the central directory".to_string(),
            ));
        }
        Ok(Self { file, entries })
    }

    /// A reader of `entry`'s inflated bytes, without the checks of `stream` (for a second
    /// pass over an entry `stream` has checked already).
    pub(crate) fn reader(&self, entry: &ZipEntry) -> Result<impl Read + use<>, Refusal> {
        use std::io::{Seek, SeekFrom};
        let unreadable = |e: std::io::Error| Refusal::NotZip(format!("cannot be read: {e}"));
        let mut file = self.file.try_clone().map_err(unreadable)?;
        file.seek(SeekFrom::Start(entry.data_at))
            .map_err(unreadable)?;
        Ok(
            flate2::read::DeflateDecoder::new(std::io::BufReader::new(file).take(entry.packed))
                .take(entry.size),
        )
    }

    /// The entry named `name`.
    pub(crate) fn entry(&self, name: &str) -> Option<&ZipEntry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// Inflates `entry` into `sink` in pieces, checking its size, CRC-32 and that deflating
    /// it again gives its bytes; returns its SHA-256.
    pub(crate) fn stream(
        &self,
        entry: &ZipEntry,
        sink: &mut dyn Write,
    ) -> Result<EntryDigest, Refusal> {
        self.pass(entry, sink, true)
    }

    /// Inflates a small entry (at most `limit` bytes) checking its size and CRC-32 only:
    /// for reading which version of auditpack wrote the bundle before judging its bytes.
    pub(crate) fn inflate(
        &self,
        entry: &ZipEntry,
        sink: &mut dyn Write,
        limit: u64,
    ) -> Result<(), Refusal> {
        if entry.size > limit {
            return Err(not_canonical(format!(
                "entry `{}` is {} bytes, more than such a file ever is",
                entry.name, entry.size
            )));
        }
        self.pass(entry, sink, false).map(|_| ())
    }

    fn pass(
        &self,
        entry: &ZipEntry,
        sink: &mut dyn Write,
        exact: bool,
    ) -> Result<EntryDigest, Refusal> {
        // The stored bytes are read in pieces twice: once to inflate, once to compare with
        // the output of deflating the inflated bytes again. Nothing is held whole.
        let section = || Section {
            file: &self.file,
            at: entry.data_at,
            left: entry.packed,
        };
        let bad = |what: &str| not_canonical(format!("entry `{}` {what}", entry.name));
        let mut decoder =
            flate2::read::DeflateDecoder::new(std::io::BufReader::with_capacity(PIECE, section()));
        let mut again = Deflater::new(Comparing {
            expected: section(),
            piece: Vec::new(),
            same: true,
        });
        let mut sha = Sha256::new();
        let mut crc = crc32fast::Hasher::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = decoder
                .read(&mut buf)
                .map_err(|_| bad("is not a valid deflate stream"))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            if size > entry.size {
                return Err(bad("inflates to more bytes than it declares"));
            }
            let piece = &buf[..n];
            sha.update(piece);
            crc.update(piece);
            if exact {
                again
                    .push(piece)
                    .map_err(|e| Refusal::NotZip(e.to_string()))?;
            }
            sink.write_all(piece)
                .map_err(|e| Refusal::NotZip(format!("cannot be read: {e}")))?;
        }
        if size != entry.size {
            return Err(bad("inflates to fewer bytes than it declares"));
        }
        if crc.finalize() != entry.crc {
            return Err(bad("does not match its CRC-32"));
        }
        let comparing = again.finish().map_err(|e| Refusal::NotZip(e.to_string()))?;
        if exact && (!comparing.same || comparing.expected.left != 0) {
            return Err(bad("is not deflated as auditpack build deflates it"));
        }
        Ok(EntryDigest {
            sha256: sha.finalize().iter().map(|b| format!("{b:02x}")).collect(),
        })
    }
}

/// `left` bytes of a file from `at`, read as they are asked for.
struct Section<'a> {
    file: &'a File,
    at: u64,
    left: u64,
}

impl Read for Section<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.left) as usize;
        if n == 0 {
            return Ok(0);
        }
        read_at(self.file, &mut buf[..n], self.at)?;
        self.at += n as u64;
        self.left -= n as u64;
        Ok(n)
    }
}

/// A sink that compares what is written with the bytes of `expected`, piece by piece.
struct Comparing<'a> {
    expected: Section<'a>,
    piece: Vec<u8>,
    same: bool,
}

impl Write for Comparing<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.same {
            if buf.len() as u64 > self.expected.left {
                self.same = false;
            } else {
                self.piece.resize(buf.len(), 0);
                self.expected.read_exact(&mut self.piece)?;
                self.same = self.piece == buf;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let list: Vec<(String, Vec<u8>)> = entries
            .iter()
            .map(|(n, b)| (n.to_string(), b.to_vec()))
            .collect();
        let t = DateTime::parse_from_rfc3339("2026-01-31T10:20:31Z")
            .unwrap()
            .with_timezone(&Utc);
        write(&list, t).unwrap()
    }

    fn open(bytes: &[u8]) -> Result<Zip, Refusal> {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(tmp.path(), bytes).unwrap();
        Zip::open(tmp.path())
    }

    #[test]
    fn what_write_writes_reads_back_and_every_byte_is_checked() {
        let bytes = bundle(&[("a.txt", b"hello hello hello"), ("b/c.csv", b"x,y\n1,2\n")]);
        let zip = open(&bytes).unwrap();
        assert_eq!(zip.entries.len(), 2);
        let mut out = Vec::new();
        let digest = zip.stream(&zip.entries[1], &mut out).unwrap();
        assert_eq!(out, b"x,y\n1,2\n");
        assert_eq!(digest.sha256.len(), 64);
        // 10:20:31 on 31 January 2026: seconds halved, years from 1980.
        assert_eq!(
            zip.entries[0].time,
            ((10 << 11) | (20 << 5) | 15, (46 << 9) | (1 << 5) | 31)
        );
        // Any single flipped byte is refused somewhere: by the layout, or by streaming.
        for at in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x01;
            let refused = match open(&flipped) {
                Err(_) => true,
                Ok(z) => z
                    .entries
                    .iter()
                    .any(|e| z.stream(e, &mut std::io::sink()).is_err()),
            };
            assert!(refused, "a flip at byte {at} was not noticed");
        }
    }

    #[test]
    fn names_fold_and_unsafe_ones_are_named() {
        assert_eq!(folded("Re\u{301}sume\u{301}.CSV"), folded("résumé.csv"));
        assert_eq!(
            unsafe_name("../etc/passwd"),
            Some("a `..`, `.` or empty path component")
        );
        assert_eq!(unsafe_name("/etc/passwd"), Some("an absolute path"));
        assert_eq!(unsafe_name("a\\b"), Some("a backslash"));
        assert_eq!(unsafe_name("a\nb"), Some("a control character"));
        assert_eq!(
            unsafe_name("a//b"),
            Some("a `..`, `.` or empty path component")
        );
        assert_eq!(unsafe_name("inputs/é.csv"), None);
    }

    #[test]
    fn bytes_around_the_archive_are_refused() {
        let bytes = bundle(&[("a.txt", b"hello")]);
        let mut prefixed = b"junk".to_vec();
        prefixed.extend_from_slice(&bytes);
        assert!(matches!(open(&prefixed), Err(Refusal::NotCanonical(_))));
        let mut trailing = bytes.clone();
        trailing.extend_from_slice(b"junk");
        assert!(matches!(open(&trailing), Err(Refusal::NotCanonical(_))));
        assert!(matches!(
            open(b"not a zip at all, not at all"),
            Err(Refusal::NotZip(_))
        ));
    }
}
