//! Input files (bytes) → incidents, rejected rows and data exceptions.
//!
//! Formats are recognised by header or keys, never by file name. `read_file` handles one
//! file; `combine` merges files in the order given and removes repeated incident ids.
//! Nothing here opens files or applies the policy's severities.

pub(crate) mod aggregate;
pub(crate) mod analytics_json;
pub(crate) mod csv_export;
pub(crate) mod extraction;
pub(crate) mod file_read;
pub(crate) mod json;
pub(crate) mod opsgenie;
pub(crate) mod pagerduty_config;
pub(crate) mod paging;
pub(crate) mod postmortem_text;
pub(crate) mod recognise;
pub(crate) mod record;
pub(crate) mod rest;
pub(crate) mod statuspage;
pub(crate) mod timestamp;
pub(crate) mod zone_name;

pub(crate) use file_read::{FileRead, PendingIncident};
pub(crate) use record::Detail;

use std::collections::HashMap;
use std::path::Path;

use chrono_tz::Tz;
use sha2::{Digest, Sha256};

use crate::error::{Error, Location};
use crate::model::{
    Exception, ExceptionKind, FileRows, Format, Incident, InputFile, LogEntry, RejectedRow,
    SourceRef, StatusIncident,
};

/// PagerDuty cuts the classic incidents.csv at this many rows without saying so.
pub(crate) const CLASSIC_ROW_CAP: u64 = 20_000;

/// Everything read from the inputs.
#[derive(Debug, Default)]
pub(crate) struct Ingested {
    /// Every file looked at, recognised or not, in the order read.
    pub files: Vec<InputFile>,
    /// Unique incidents (first occurrence of each id), in input order.
    pub incidents: Vec<Incident>,
    /// Unusable rows, including repeated ids.
    pub rejected: Vec<RejectedRow>,
    /// Data exceptions: conflicting duplicates, truncation, inconsistent timestamps.
    pub exceptions: Vec<Exception>,
    /// PagerDuty configuration exports, in file order (file indexes set).
    pub config: Vec<crate::model::config::Export>,
    /// Log entries of the incidents read, each once, by incident id then time (file
    /// indexes set). Entries naming no incident read are rejected rows.
    pub log_entries: Vec<LogEntry>,
    /// Ticket-like text of REST `external_references`: (incident id, text, where).
    pub external_references: Vec<(String, String, SourceRef)>,
    /// Statuspage incidents, in file order (file indexes set).
    pub status_incidents: Vec<StatusIncident>,
    /// PagerDuty's aggregate-metrics rows, in file order (file indexes set).
    pub aggregates: Vec<crate::model::population::Aggregate>,
    /// The extraction record and the index of its file, when the folder has one.
    pub extraction: Option<(usize, crate::model::population::Extraction)>,
}

impl Ingested {
    /// Rows used and outside the period for every file of
    /// `format`, from each row's file and whether it is used; a file none of whose rows
    /// survived reading is listed with zeros.
    pub(crate) fn counts_by_file(
        &self,
        format: Format,
        rows: impl IntoIterator<Item = (usize, bool)>,
    ) -> Vec<FileRows> {
        let mut counts: std::collections::BTreeMap<usize, (u64, u64)> = self
            .files
            .iter()
            .enumerate()
            .filter(|(_, f)| f.format == Some(format))
            .map(|(n, _)| (n, (0, 0)))
            .collect();
        for (file, used) in rows {
            let c = counts.entry(file).or_default();
            if used {
                c.0 += 1;
            } else {
                c.1 += 1;
            }
        }
        counts
            .into_iter()
            .map(|(file, (used, outside))| FileRows {
                file,
                used,
                outside,
            })
            .collect()
    }

    /// The latest event of every input: incident creation, acknowledgement and resolution,
    /// log entries, status-page notices and resolutions, audit records; not the ends of
    /// schedule or override spans, which lie in the future.
    pub(crate) fn latest_event(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        use crate::model::config::Export;
        let incidents = crate::metrics::latest_timestamp(&self.incidents);
        let log = self.log_entries.iter().map(|e| e.at).max();
        let status = self
            .status_incidents
            .iter()
            .flat_map(|s| [Some(s.started), Some(s.notice), s.resolved, s.last_update])
            .flatten()
            .max();
        let audit = self
            .config
            .iter()
            .filter_map(|c| match c {
                Export::AuditRecords(records) => records
                    .iter()
                    .map(|r| r.execution_time.with_timezone(&chrono::Utc))
                    .max(),
                _ => None,
            })
            .max();
        [incidents, log, status, audit].into_iter().flatten().max()
    }

    /// The log entries of each incident id, in time order.
    pub(crate) fn log_by_incident(&self) -> std::collections::BTreeMap<&str, &[LogEntry]> {
        let mut out = std::collections::BTreeMap::new();
        for chunk in self
            .log_entries
            .chunk_by(|a, b| a.incident_id == b.incident_id)
        {
            out.insert(chunk[0].incident_id.as_str(), chunk);
        }
        out
    }
}

fn looks_like_json(text: &[u8]) -> bool {
    text.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{' || *b == b'[')
}

/// Names the encoding of text that is not UTF-8, for the error message; `bad_at` is where
/// the bytes stop being UTF-8 (`utf8_error_at`).
fn encoding_problem(bytes: &[u8], bad_at: Option<usize>) -> Option<String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Some("UTF-16 text; expected UTF-8 (re-save the export as UTF-8)".to_string());
    }
    bad_at.map(|at| {
        format!(
            "not UTF-8 text (byte 0x{:02X} is not valid UTF-8; expected a UTF-8 export)",
            bytes[at]
        )
    })
}

/// From this size on, an input is read, checked and parsed in one piece per thread; below
/// it, on one thread.
pub(crate) const PARALLEL_MIN_BYTES: usize = 4 << 20;

/// Where `bytes` stop being UTF-8, or `None` when they all are. A large text is checked in
/// one piece per thread, cut after line breaks (a `\n` is never inside a character).
fn utf8_error_at(bytes: &[u8]) -> Option<usize> {
    use rayon::prelude::*;
    let parts = rayon::current_num_threads();
    let mut cuts = vec![0];
    if bytes.len() >= PARALLEL_MIN_BYTES {
        for k in 1..parts {
            let target = bytes.len() / parts * k;
            if let Some(i) = memchr::memchr(b'\n', &bytes[target..]) {
                cuts.push(target + i + 1);
            }
        }
    }
    cuts.push(bytes.len());
    cuts.dedup();
    cuts.par_windows(2)
        .map(|w| {
            std::str::from_utf8(&bytes[w[0]..w[1]])
                .err()
                .map(|e| w[0] + e.valid_up_to())
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .next()
}

/// Whether a file that is not an export by content should still stop the run: a file
/// named as data (`.csv`, `.json`) that cannot even be read as text is malformed.
fn named_as_data(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("json"))
}

/// Reads one file. `path` labels messages; `zone` is the policy's input time zone.
pub(crate) fn read_file(
    path: &Path,
    bytes: &[u8],
    zone: Tz,
    detail: Detail,
) -> Result<FileRead, Error> {
    crate::error::Location::forget_lines();
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let base = bytes.len() - text.len();
    if text.iter().all(u8::is_ascii_whitespace) {
        if named_as_data(path) {
            return Err(Error::InputInvalid {
                location: Location::file(path),
                reason: "the file is empty; expected an incidents export".to_string(),
            });
        }
        return Ok(FileRead::not_used("empty file"));
    }
    // A TOML file is the extraction record (an `[extraction]` table), or something else
    // (another policy beside the one in use): no export is TOML.
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
    {
        let record = std::str::from_utf8(text)
            .ok()
            .map(|t| extraction::read(path, t))
            .transpose()?
            .flatten();
        return Ok(match record {
            Some(record) => FileRead {
                rows_read: 1,
                extraction: Some(record),
                ..FileRead::new(Format::ExtractionRecord, None)
            },
            None => FileRead::not_used(
                "a TOML file without an `[extraction]` table (a policy other than the one in use?), not an export",
            ),
        });
    }
    let first_line_end = text.iter().position(|&b| b == b'\n').unwrap_or(text.len());
    // The text is checked once; every message below takes the first bad byte from here.
    let bad_at = utf8_error_at(text);
    let problem = encoding_problem(text, bad_at);
    if let Some(problem) = &problem {
        // A header we recognise with a bad byte further down is a row-level matter (a `\n`
        // is never inside a character, so the header is UTF-8 iff the first bad byte is
        // after it).
        let header_ok = bad_at.is_none_or(|at| at >= first_line_end);
        if !header_ok || looks_like_json(text) {
            if named_as_data(path) || looks_like_json(text) {
                return Err(Error::InputInvalid {
                    location: Location::at_offset(path, text, bad_at.unwrap_or(0)),
                    reason: problem.clone(),
                });
            }
            return Ok(FileRead::not_used("not text"));
        }
    }
    if looks_like_json(text) {
        let text = std::str::from_utf8(text).expect("checked above: valid UTF-8");
        let kind = recognise::json(path, text)?;
        let envelopes = kind.envelopes(path, text);
        let read = match kind {
            recognise::JsonKind::Analytics(pages) => {
                analytics_json::read(path, text, pages, zone, detail)
            }
            recognise::JsonKind::Aggregate(pages) => aggregate::read(path, text, &pages, zone),
            recognise::JsonKind::Opsgenie(pages) => {
                Ok(opsgenie::read(path, text, pages, zone, detail))
            }
            recognise::JsonKind::Config(format, pages) => {
                pagerduty_config::read(path, text, format, pages)
            }
            recognise::JsonKind::Rest(Format::StatuspageIncidents, pages) => {
                Ok(statuspage::read(path, text, pages))
            }
            recognise::JsonKind::Rest(format, pages) => Ok(rest::read(path, text, format, pages)),
            recognise::JsonKind::Other(why) => Ok(FileRead::not_used(why)),
        };
        return read.map(|mut r| {
            r.pages = envelopes;
            r
        });
    }
    let mut rdr = csv_export::reader(text);
    let header = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            if named_as_data(path) {
                return Err(csv_export::csv_error(path, text, &e));
            }
            return Ok(FileRead::not_used("not a CSV file"));
        }
    };
    match csv_export::recognise(path, &header)? {
        // An export in another encoding is wrong as a whole, not row by row.
        Some(_) if problem.is_some() => {
            let offset = bad_at.unwrap_or(0);
            let byte = text[offset];
            let latin = if byte >= 0xA0 || (0x80..0xA0).contains(&byte) {
                "; it looks like Latin-1 or Windows-1252"
            } else {
                ""
            };
            Err(Error::InputInvalid {
                location: Location::at_offset(path, &bytes[base..], offset),
                reason: format!(
                    "byte 0x{byte:02X} is not UTF-8{latin}: re-save the export as UTF-8"
                ),
            })
        }
        Some(h) => {
            let mut read = csv_export::read(path, text, base, h, zone, detail)?;
            if read.format == Some(Format::ClassicCsv) && read.rows_read == CLASSIC_ROW_CAP {
                read.exceptions.push(Exception {
                    incident_number: None,
                    incident_id: None,
                    severity: None,
                    kind: ExceptionKind::TruncatedExport,
                    detail: format!(
                        "`{}` has exactly {CLASSIC_ROW_CAP} data rows: PagerDuty silently cuts the classic incidents.csv there, so this export is possibly truncated; export shorter date ranges",
                        path.display()
                    ),
                    facts: None,
                    cause: None,
                });
            }
            Ok(read)
        }
        None if named_as_data(path) && header.len() < 2 => Err(Error::InputInvalid {
            location: Location::new(path, 1, 1),
            reason: "not an incidents export: expected a CSV header with `id`, `created_at` (or `created_on`) and `seconds_to_first_ack`".to_string(),
        }),
        None => {
            let lacks = csv_export::lacks(&header);
            let listed = match lacks.split_last() {
                Some((last, rest)) if !rest.is_empty() => {
                    format!("{} and {last}", rest.join(", "))
                }
                _ => lacks.join(""),
            };
            Ok(FileRead::not_used(format!(
                "not an incidents export: its header lacks {listed}"
            )))
        }
    }
}

/// SHA-256 of bytes as lower-case hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Builds a file's REST incidents now that every file's log entries are known (`staged`,
/// by incident id, with `ranges` into it); an incident that cannot be built is rejected.
fn finish_rest(
    pending: &[PendingIncident],
    staged: &[LogEntry],
    ranges: &HashMap<&str, std::ops::Range<usize>, foldhash::fast::RandomState>,
    index: usize,
    zone: Tz,
    incidents: &mut Vec<Incident>,
    out: &mut Ingested,
) {
    let set_file = |s: SourceRef| SourceRef { file: index, ..s };
    for pending in pending {
        let entries: Vec<&LogEntry> = pending
            .id()
            .and_then(|id| ranges.get(id))
            .map(|range| staged[range.clone()].iter().collect())
            .unwrap_or_default();
        match rest::finish(pending, &entries, zone) {
            Ok((incident, exception)) => {
                incidents.push(incident);
                out.exceptions.extend(exception);
                if let Some(id) = pending.id() {
                    for text in &pending.references {
                        out.external_references.push((
                            id.to_string(),
                            text.clone(),
                            set_file(pending.source),
                        ));
                    }
                }
            }
            Err(rejected) => out.rejected.push(RejectedRow {
                source: set_file(rejected.source),
                ..*rejected
            }),
        }
    }
}

/// The file's incidents join the kept ones in place (the first file's vector is taken
/// whole: no copy of a million records), then repeated ids are compacted out: a repeat is a
/// rejected row, and one whose data differ from the first record is also a
/// `conflicting_duplicate` exception.
fn keep_first_of_each_id(
    mut incidents: Vec<Incident>,
    index: usize,
    bytes: &[u8],
    seen: &mut IdIndex,
    out: &mut Ingested,
) {
    let start = out.incidents.len();
    if out.incidents.is_empty() {
        out.incidents = std::mem::take(&mut incidents);
    } else {
        out.incidents.append(&mut incidents);
    }
    // Kept incidents are `..w`; `w..r` holds the repeats found so far.
    let mut w = start;
    for r in start..out.incidents.len() {
        out.incidents[r].source.file = index;
        let Some(first) = seen.first_or_insert(
            out.incidents[r].system,
            &out.incidents[r].id,
            w,
            &out.incidents[..w],
        ) else {
            if w != r {
                out.incidents.swap(w, r);
            }
            w += 1;
            continue;
        };
        let (kept, incident) = (&out.incidents[first], &out.incidents[r]);
        let first_at = format!("{}:{}", out.files[kept.source.file].name, kept.source.line);
        let reason = if kept.same_data(incident) {
            format!(
                "duplicate of incident `{}` first read at {first_at}",
                incident.id
            )
        } else {
            let differs = differing_fields(kept, incident);
            out.exceptions.push(Exception {
                incident_number: kept.number,
                incident_id: Some(kept.id.clone()),
                severity: None,
                kind: ExceptionKind::ConflictingDuplicate,
                detail: format!(
                    "incident `{}` appears at {first_at} and {}:{} with different {}; the first record is used",
                    incident.id,
                    out.files[index].name,
                    incident.source.line,
                    differs.join(", ")
                ),
                facts: None,
                cause: None,
            });
            format!(
                "conflicting duplicate of incident `{}` first read at {first_at} (differs in {}); the first record is used",
                incident.id,
                differs.join(", ")
            )
        };
        // A repeat names an incident the exports hold: its number and time say so.
        out.rejected.push(RejectedRow {
            incident_number: incident.number,
            priority: None,
            urgency: None,
            created: Some(incident.created),
            incident_id: Some(incident.id.clone()),
            repeat: true,
            system: incident.system,
            source: incident.source,
            reason,
            raw: incident.source.raw(bytes),
        });
    }
    out.incidents.truncate(w);
}

/// Merges per-file results in order. A repeated incident id is rejected; when its data
/// differ from the first record, a `conflicting_duplicate` exception says how.
/// `bytes` are each file's contents, for the raw text of rejected repeats. REST incidents
/// are built here, with the log entries of every file; `zone` reads their naive timestamps.
pub(crate) fn combine(
    reads: Vec<(InputFile, FileRead, &[u8])>,
    zone: Tz,
) -> Result<Ingested, Error> {
    let mut out = Ingested::default();
    let mut extraction = Vec::new();
    let mut reads = reads;
    let all_bytes: Vec<&[u8]> = reads.iter().map(|(_, _, b)| *b).collect();
    let staged = gather_log_entries(&mut reads, &all_bytes, &mut out.rejected);
    let mut ranges: HashMap<&str, std::ops::Range<usize>, foldhash::fast::RandomState> =
        HashMap::default();
    let mut start = 0;
    for chunk in staged.chunk_by(|a, b| a.incident_id == b.incident_id) {
        ranges.insert(&chunk[0].incident_id, start..start + chunk.len());
        start += chunk.len();
    }
    // Incident ids by their 64-bit hash, so no id is copied (1M copies were a tenth of the
    // run); the rare id whose hash another id already holds goes to `collided`.
    let total: usize = reads
        .iter()
        .map(|(_, r, _)| r.incidents.len() + r.pending_rest.len())
        .sum();
    let mut seen = IdIndex::with_capacity(total);
    for (index, (mut file, read, bytes)) in reads.into_iter().enumerate() {
        file.format = read.format;
        file.rows_read = read.rows_read;
        file.timezone_assumed = read.timezone_assumed;
        file.not_used_reason = read.not_used_reason;
        file.pages = read.pages;
        out.files.push(file);
        out.aggregates
            .extend(read.aggregates.into_iter().map(|mut a| {
                a.file = index;
                a
            }));
        if let Some(mut record) = read.extraction {
            record.file = out.files[index].name.clone();
            extraction.push((index, record));
        }
        if let Some(mut export) = read.config {
            export.set_file(index);
            out.config.push(export);
        }
        let set_file = |s: SourceRef| SourceRef { file: index, ..s };
        out.rejected
            .extend(read.rejected.into_iter().map(|r| RejectedRow {
                source: set_file(r.source),
                system: read.format.map_or(r.system, Format::system),
                ..r
            }));
        out.exceptions.extend(read.exceptions);
        out.status_incidents
            .extend(read.status_incidents.into_iter().map(|mut s| {
                s.source = set_file(s.source);
                s
            }));
        let mut incidents = read.incidents;
        finish_rest(
            &read.pending_rest,
            &staged,
            &ranges,
            index,
            zone,
            &mut incidents,
            &mut out,
        );
        keep_first_of_each_id(incidents, index, bytes, &mut seen, &mut out);
    }
    // Log entries of incidents that no export holds cannot be placed: rejected, not dropped.
    drop(ranges);
    for entry in staged {
        if seen
            .get(
                crate::model::System::Pagerduty,
                &entry.incident_id,
                &out.incidents,
            )
            .is_some()
        {
            out.log_entries.push(entry);
        } else {
            out.rejected.push(RejectedRow::new(
                entry.source,
                format!(
                    "log entry `{}` is for incident `{}`, which no incidents export read holds",
                    entry.id, entry.incident_id
                ),
                entry.source.raw(all_bytes[entry.source.file]),
            ));
        }
    }
    // Two extraction records would say two different things about one population.
    if let [(_, a), (_, b), ..] = extraction.as_slice() {
        return Err(Error::InputInvalid {
            location: Location::file(Path::new(&b.file)),
            reason: format!(
                "a second extraction record (the first is `{}`); keep one `[extraction]` table per input folder",
                a.file
            ),
        });
    }
    out.extraction = extraction.pop();
    Ok(out)
}

/// Incident ids → index into the kept incidents, without copying the ids.
struct IdIndex {
    hasher: foldhash::fast::FixedState,
    by_hash: HashMap<u64, usize, foldhash::fast::RandomState>,
    collided: HashMap<(crate::model::System, String), usize, foldhash::fast::RandomState>,
}

/// Ids are unique within one system: PagerDuty's `PABC123` and an Opsgenie alert of that id
/// are two records.
impl IdIndex {
    fn with_capacity(n: usize) -> Self {
        Self {
            hasher: foldhash::fast::FixedState::default(),
            by_hash: HashMap::with_capacity_and_hasher(n, Default::default()),
            collided: HashMap::default(),
        }
    }

    fn hash(&self, system: crate::model::System, id: &str) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one((system, id))
    }

    fn get(&self, system: crate::model::System, id: &str, kept: &[Incident]) -> Option<usize> {
        match self.by_hash.get(&self.hash(system, id)) {
            Some(&i) if kept[i].id == id && kept[i].system == system => Some(i),
            Some(_) => self.collided.get(&(system, id.to_string())).copied(),
            None => None,
        }
    }

    /// Where `id` of `system` was first kept; else records it at `index` (one hash, one
    /// probe).
    fn first_or_insert(
        &mut self,
        system: crate::model::System,
        id: &str,
        index: usize,
        kept: &[Incident],
    ) -> Option<usize> {
        use std::collections::hash_map::Entry;
        let hash = self.hash(system, id);
        match self.by_hash.entry(hash) {
            Entry::Vacant(slot) => {
                slot.insert(index);
                None
            }
            Entry::Occupied(slot)
                if kept[*slot.get()].id == id && kept[*slot.get()].system == system =>
            {
                Some(*slot.get())
            }
            Entry::Occupied(_) => match self.collided.entry((system, id.to_string())) {
                Entry::Occupied(slot) => Some(*slot.get()),
                Entry::Vacant(slot) => {
                    slot.insert(index);
                    None
                }
            },
        }
    }
}

/// Takes every file's log entries (file indexes set), drops repeats (the same entry id in
/// overlapping pages, kept as rejected rows), and orders them by incident, time, then
/// where they were read.
fn gather_log_entries(
    reads: &mut [(InputFile, FileRead, &[u8])],
    bytes: &[&[u8]],
    rejected: &mut Vec<RejectedRow>,
) -> Vec<LogEntry> {
    let mut all = Vec::new();
    for (index, (_, read, _)) in reads.iter_mut().enumerate() {
        all.extend(
            std::mem::take(&mut read.log_entries)
                .into_iter()
                .map(|mut e| {
                    e.source.file = index;
                    e
                }),
        );
    }
    let mut first: HashMap<String, SourceRef, foldhash::fast::RandomState> = HashMap::default();
    let mut names = Vec::new();
    for (file, _, _) in reads.iter() {
        names.push(file.name.clone());
    }
    all.retain(|e| match first.get(&e.id) {
        None => {
            first.insert(e.id.clone(), e.source);
            true
        }
        Some(at) => {
            rejected.push(RejectedRow::new(
                e.source,
                format!(
                    "duplicate of log entry `{}` first read at {}:{}",
                    e.id, names[at.file], at.line
                ),
                e.source.raw(bytes[e.source.file]),
            ));
            false
        }
    });
    all.sort_by(|a, b| (&a.incident_id, a.at, a.source).cmp(&(&b.incident_id, b.at, b.source)));
    all
}

fn differing_fields(a: &Incident, b: &Incident) -> Vec<&'static str> {
    let mut d = Vec::new();
    let mut check = |name, same: bool| {
        if !same {
            d.push(name);
        }
    };
    check("incident_number", a.number == b.number);
    check("description", a.description == b.description);
    check("status", a.status == b.status);
    check("urgency", a.urgency == b.urgency);
    check("priority", a.priority == b.priority);
    check("service", a.service == b.service);
    check("team", a.team == b.team);
    check(
        "escalation_policy",
        a.escalation_policy == b.escalation_policy,
    );
    check("created_at", a.created == b.created);
    check("seconds_to_first_ack", a.tta_s == b.tta_s);
    check("seconds_to_resolve", a.ttr_s == b.ttr_s);
    check("escalation_count", a.escalation_count == b.escalation_count);
    check(
        "timeout_escalation_count",
        a.timeout_escalation_count == b.timeout_escalation_count,
    );
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incident(id: &str) -> Incident {
        Incident::bare(id, chrono::DateTime::UNIX_EPOCH)
    }

    #[test]
    fn the_first_bad_byte_is_found_in_any_piece() {
        let line = "PABC,2026-01-05T10:00:00,é,300\n";
        let mut text = line.repeat((9 << 20) / line.len()).into_bytes();
        assert_eq!(utf8_error_at(&text), None);
        // A bad byte in the last piece, then an earlier one in the first.
        let late = text.len() - 10;
        text[late] = 0xFF;
        assert_eq!(utf8_error_at(&text), Some(late));
        text[100] = 0xC3;
        text[101] = b'x';
        assert_eq!(utf8_error_at(&text), Some(100));
        // Small texts in one piece.
        assert_eq!(utf8_error_at(b"ok\n\xFF"), Some(3));
    }

    #[test]
    fn ids_whose_hashes_collide_stay_apart() {
        use std::hash::BuildHasher;
        let kept = vec![incident("PA"), incident("PB")];
        let mut index = IdIndex::with_capacity(2);
        assert_eq!(
            index.first_or_insert(crate::model::System::Pagerduty, "PA", 0, &kept),
            None
        );
        assert_eq!(
            index.first_or_insert(crate::model::System::Pagerduty, "PA", 5, &kept),
            Some(0)
        );
        assert_eq!(
            index.get(crate::model::System::Pagerduty, "PA", &kept),
            Some(0)
        );
        assert_eq!(
            index.get(crate::model::System::Pagerduty, "PB", &kept),
            None
        );
        // Make PB's hash point at PA, as a 64-bit collision would.
        let h = index.hasher.hash_one("PB");
        index.by_hash.insert(h, 0);
        assert_eq!(
            index.get(crate::model::System::Pagerduty, "PB", &kept),
            None
        );
        assert_eq!(
            index.first_or_insert(crate::model::System::Pagerduty, "PB", 1, &kept),
            None
        );
        assert_eq!(
            index.get(crate::model::System::Pagerduty, "PB", &kept),
            Some(1)
        );
        assert_eq!(
            index.first_or_insert(crate::model::System::Pagerduty, "PB", 7, &kept),
            Some(1)
        );
        assert_eq!(
            index.get(crate::model::System::Pagerduty, "PA", &kept),
            Some(0)
        );
    }
}
