//! The two CSV exports: Analytics raw incidents (`created_at`) and the classic Reports
//! `incidents.csv` (`created_on`). Header → format and column map; rows → incidents or
//! rejected rows. Handles a UTF-8 BOM, CRLF, quoted fields with commas, quotes and newlines.

use std::collections::BTreeMap;
use std::path::Path;

use chrono_tz::Tz;

use super::file_read::FileRead;
use super::record::{Detail, Field, RecordRules, build_incident};
use crate::error::{Error, Location};
use crate::model::{Format, RejectedRow, SourceRef};

/// Normalises a header cell: trim, lower-case, spaces, `-` and `/` to `_`, unit suffixes off.
fn normalise(header: &str) -> String {
    let mut h = header.trim_start_matches('\u{feff}').trim().to_lowercase();
    for suffix in ["(s)", "(sec)", "(seconds)"] {
        if let Some(stripped) = h.strip_suffix(suffix) {
            h = stripped.trim_end().to_string();
        }
    }
    h.chars()
        .map(|c| if matches!(c, ' ' | '-' | '/') { '_' } else { c })
        .collect()
}

/// The field a normalised header names, with the synonyms seen in PagerDuty downloads.
fn field_for(header: &str) -> Option<Field> {
    Some(match header {
        "id" | "incident_id" => Field::Id,
        "incident_number" | "#" | "number" | "incident_#" => Field::IncidentNumber,
        "description" | "title" => Field::Description,
        "status" => Field::Status,
        "urgency" => Field::Urgency,
        "priority_name" | "priority" => Field::PriorityName,
        "service_name" | "service" => Field::ServiceName,
        "team_name" | "team" => Field::TeamName,
        "escalation_policy_name" | "escalation_policy" => Field::EscalationPolicyName,
        "created_at" | "created_on" | "created" | "opened_on" | "triggered_at" => Field::CreatedAt,
        "resolved_at" | "resolved_on" | "resolved" => Field::ResolvedAt,
        "seconds_to_first_ack" | "sec_to_ack" | "time_to_first_ack" | "seconds_to_ack" | "tta" => {
            Field::SecondsToFirstAck
        }
        "seconds_to_resolve" | "sec_to_resolve" | "time_to_resolve" | "ttr" => {
            Field::SecondsToResolve
        }
        "escalation_count" => Field::EscalationCount,
        "timeout_escalation_count" | "auto_escalation_count" => Field::TimeoutEscalationCount,
        "assigned_user_names" | "assigned_to_user_names" => Field::AssignedTo,
        "acknowledged_user_names" | "acknowledged_by_user_names" => Field::AcknowledgedBy,
        "resolved_by_user_name" => Field::ResolvedBy,
        "html_url" => Field::HtmlUrl,
        _ => return None,
    })
}

fn classic_name(f: Field) -> &'static str {
    match f {
        Field::CreatedAt => "created_on",
        Field::ResolvedAt => "resolved_on",
        Field::TimeoutEscalationCount => "auto_escalation_count",
        Field::AssignedTo => "assigned_to_user_names",
        Field::AcknowledgedBy => "acknowledged_by_user_names",
        other => other.name(),
    }
}

/// The recognised header of an incidents CSV.
#[derive(Debug)]
pub(crate) struct Header {
    format: Format,
    columns: BTreeMap<Field, usize>,
    width: usize,
}

/// What a header lacks to be an incidents export: an id, a creation time, and one of the
/// measured times (`seconds_to_first_ack`, `seconds_to_resolve`, `resolved_at`); empty when
/// it has them all.
pub(crate) fn lacks(header: &csv::StringRecord) -> Vec<&'static str> {
    let fields: std::collections::BTreeSet<Field> = header
        .iter()
        .map(normalise)
        .filter_map(|n| field_for(&n))
        .collect();
    let mut out = Vec::new();
    if !fields.contains(&Field::Id) {
        out.push("`id`");
    }
    if !fields.contains(&Field::CreatedAt) {
        out.push("`created_at` (or `created_on`)");
    }
    if ![
        Field::SecondsToFirstAck,
        Field::SecondsToResolve,
        Field::ResolvedAt,
    ]
    .iter()
    .any(|f| fields.contains(f))
    {
        out.push(
            "one of `seconds_to_first_ack`, `seconds_to_resolve`, `resolved_at` (or `resolved_on`)",
        );
    }
    out
}

/// Recognises an incidents CSV by its header row: an id, a creation time and at least one
/// measured time (`lacks` is empty); `None` when it is some other CSV. A recognised header
/// that is then malformed is an error.
pub(crate) fn recognise(path: &Path, header: &csv::StringRecord) -> Result<Option<Header>, Error> {
    let names: Vec<String> = header.iter().map(normalise).collect();
    if !lacks(header).is_empty() {
        return Ok(None);
    }
    let format = if names.iter().any(|n| n == "created_on") {
        Format::ClassicCsv
    } else {
        Format::AnalyticsCsv
    };
    let mut columns: BTreeMap<Field, usize> = BTreeMap::new();
    for (i, n) in names.iter().enumerate() {
        let Some(f) = field_for(n) else { continue };
        if let Some(first) = columns.insert(f, i) {
            return Err(Error::InputInvalid {
                location: Location::new(path, 1, i as u64 + 1),
                reason: format!(
                    "columns {} and {} both give `{}`; expected each column once",
                    first + 1,
                    i + 1,
                    f.name()
                ),
            });
        }
    }
    let name = if format == Format::ClassicCsv {
        classic_name
    } else {
        Field::name
    };
    let has = |f: Field| columns.contains_key(&f);
    let mut missing: Vec<&str> = [Field::Id, Field::CreatedAt, Field::SecondsToFirstAck]
        .into_iter()
        .filter(|f| !has(*f))
        .map(name)
        .collect();
    if !has(Field::SecondsToResolve) && !has(Field::ResolvedAt) {
        missing.push(if format == Format::ClassicCsv {
            "seconds_to_resolve` or `resolved_on"
        } else {
            "seconds_to_resolve` or `resolved_at"
        });
    }
    if !missing.is_empty() {
        return Err(Error::InputInvalid {
            location: Location::new(path, 1, 1),
            reason: format!(
                "missing required column `{}` (this header looks like the {} incidents export)",
                missing.join("`, `"),
                if format == Format::ClassicCsv {
                    "classic Reports"
                } else {
                    "Analytics"
                }
            ),
        });
    }
    Ok(Some(Header {
        format,
        columns,
        width: header.len(),
    }))
}

/// The field separator, from the header line: `,` unless the header has no comma but
/// semicolons (spreadsheets in comma-decimal locales re-save CSV that way) or tabs.
fn delimiter(text: &[u8]) -> u8 {
    let header = text.split(|&b| b == b'\n').next().unwrap_or_default();
    let count = |c: u8| header.iter().filter(|&&b| b == c).count();
    let (commas, semicolons, tabs) = (count(b','), count(b';'), count(b'\t'));
    if commas > 0 {
        b','
    } else if semicolons >= tabs && semicolons > 0 {
        b';'
    } else if tabs > 0 {
        b'\t'
    } else {
        b','
    }
}

/// A CSV reader over `text` (BOM already removed) with the settings exports need.
pub(crate) fn reader(text: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(delimiter(text))
        .from_reader(text)
}

/// What one range of records gave.
#[derive(Default)]
struct Part {
    rows_read: u64,
    incidents: Vec<crate::model::Incident>,
    rejected: Vec<RejectedRow>,
    exceptions: Vec<crate::model::Exception>,
}

/// Reads the data rows of a recognised incidents CSV. `text` starts after any BOM.
///
/// `base` is the length of the BOM that was cut off, so source offsets point into the file.
/// A large file is cut at record boundaries into one range per thread and the ranges are
/// read in parallel (see `split_points`); the result is the same as reading it in one go.
pub(crate) fn read(
    path: &Path,
    text: &[u8],
    base: usize,
    header: Header,
    zone: Tz,
    detail: super::record::Detail,
) -> Result<FileRead, Error> {
    let rules = RecordRules {
        zone,
        zero_ack_means_none: header.format == Format::ClassicCsv,
        column_name: if header.format == Format::ClassicCsv {
            classic_name
        } else {
            Field::name
        },
        detail,
    };
    let mut rdr = reader(text);
    // The header is read here only to find where the records begin.
    rdr.byte_headers().map_err(|e| csv_error(path, text, &e))?;
    let body = rdr.position().byte() as usize;
    let delim = delimiter(text);
    let mut bounds = vec![body];
    bounds.extend(split_points(
        text,
        body,
        rayon::current_num_threads(),
        delim,
    ));
    bounds.push(text.len());
    let ranges: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();

    let parts: Vec<Result<Part, Error>> = {
        use rayon::prelude::*;
        ranges
            .par_iter()
            .map(|&(from, to)| read_range(path, text, from, to, base, &header, &rules))
            .collect()
    };
    let mut out = FileRead::new(header.format, Some(zone.name().to_string()));
    let parts: Vec<Part> = parts.into_iter().collect::<Result<_, _>>()?;
    // The first range's vectors grow to hold the others (a realloc, not a fresh copy), and
    // the other ranges' records are moved in by all threads (rayon writes each thread's
    // share straight into the reserved room).
    let more: usize = parts.iter().skip(1).map(|p| p.incidents.len()).sum();
    for part in parts {
        out.rows_read += part.rows_read;
        if out.incidents.is_empty() {
            out.incidents = part.incidents;
            out.incidents.reserve(more);
        } else {
            use rayon::iter::ParallelExtend;
            out.incidents.par_extend(part.incidents);
        }
        out.rejected.extend(part.rejected);
        out.exceptions.extend(part.exceptions);
    }
    check_quotes_closed(path, text, &out)?;
    Ok(out)
}

/// Where to cut `text[from..]` into about `parts` ranges of whole records: after a line
/// break outside quotes. Quote parity tells which line breaks those are, which holds when
/// every `"` stands at a field's edge or is doubled inside one; a file with any other quote
/// (`5" screen` in an unquoted field), or a small one, is not cut.
fn split_points(text: &[u8], from: usize, parts: usize, delim: u8) -> Vec<usize> {
    let len = text.len();
    if parts < 2 || len.saturating_sub(from) < crate::ingest::PARALLEL_MIN_BYTES {
        return Vec::new();
    }
    let edge = |b: u8| b == delim || b == b'\n' || b == b'\r' || b == b'"';
    let structural = memchr::memchr_iter(b'"', &text[from..]).all(|i| {
        let i = from + i;
        (i == from || edge(text[i - 1])) || (i + 1 == len || edge(text[i + 1]))
    });
    if !structural {
        return Vec::new();
    }
    let step = (len - from) / parts;
    let mut cuts = Vec::new();
    let (mut at, mut quotes) = (from, 0usize);
    for k in 1..parts {
        let target = from + k * step;
        if target <= at {
            continue;
        }
        quotes += memchr::memchr_iter(b'"', &text[at..target]).count();
        at = target;
        // The first line break after the target with an even number of quotes before it.
        loop {
            match memchr::memchr2(b'\n', b'"', &text[at..]) {
                None => return cuts,
                Some(i) => {
                    let p = at + i;
                    at = p + 1;
                    if text[p] == b'"' {
                        quotes += 1;
                    } else if quotes % 2 == 0 {
                        if at < len {
                            cuts.push(at);
                        }
                        break;
                    }
                }
            }
        }
    }
    cuts
}

/// Reads the records of `text[from..to]` (whole records; `from` is a record's first byte).
fn read_range(
    path: &Path,
    text: &[u8],
    from: usize,
    to: usize,
    base: usize,
    header: &Header,
    rules: &RecordRules,
) -> Result<Part, Error> {
    let mut out = Part::default();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(text))
        .from_reader(&text[from..to]);
    let mut record = csv::ByteRecord::new();
    // The physical line of each record's first byte (header = line 1). The csv crate gives
    // the line where it started reading the record: before the line breaks it skips first
    // (blank lines, the `\n` of a CRLF), which are counted here.
    let first_line = 1 + memchr::memchr_iter(b'\n', &text[..from]).count() as u64;
    // The columns read, as a list (walked once a record).
    let columns: Vec<(Field, usize)> = header.columns.iter().map(|(&f, &i)| (f, i)).collect();
    // A cell is kept verbatim: how PagerDuty flattens the name lists in CSV is not
    // documented, and names contain commas.
    let names_responders = Field::RESPONDERS
        .iter()
        .any(|f| header.columns.contains_key(f));
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error_at(path, text, &e, from)),
        }
        let end = from + rdr.position().byte() as usize;
        let (read_from, read_line) = record
            .position()
            .map_or((end, 1), |p| (from + p.byte() as usize, p.line()));
        let mut start = read_from;
        while start < end && matches!(text[start], b'\r' | b'\n') {
            start += 1;
        }
        let skipped = text[read_from..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        let line = first_line + read_line - 1 + skipped as u64;
        out.rows_read += 1;
        let source = SourceRef {
            file: 0,
            line,
            start: start + base,
            end: end + base,
        };
        let reject = |reason: String| {
            RejectedRow::new(
                source,
                reason,
                SourceRef {
                    start,
                    end,
                    ..source
                }
                .raw(text),
            )
        };
        if record.len() != header.width {
            out.rejected.push(reject(format!(
                "expected {} fields as in the header, found {}",
                header.width,
                record.len()
            )));
            continue;
        }
        // `read_file` has checked the whole file as UTF-8, so this holds. The record is
        // checked in one call (not one a field), and each field is a slice of it: fields
        // are cut at ASCII bytes, so every slice is on a character boundary.
        let Ok(all) = std::str::from_utf8(record.as_slice()) else {
            out.rejected.push(reject(
                "not valid UTF-8 text; expected a UTF-8 export".to_string(),
            ));
            continue;
        };
        let mut fields: [Option<&str>; Field::ALL.len()] = [None; Field::ALL.len()];
        for &(f, i) in &columns {
            let s = record
                .range(i)
                .and_then(|r| all.get(r))
                .unwrap_or_default()
                .trim();
            fields[f as usize] = (!s.is_empty()).then_some(s);
        }
        match build_incident(|f| fields[f as usize], source, rules) {
            Ok((mut incident, exception)) => {
                incident.responders.named = names_responders && rules.detail == Detail::Full;
                out.incidents.push(incident);
                out.exceptions.extend(exception);
            }
            Err(reason) => out.rejected.push(super::record::with_facts(
                reject(reason),
                |f| fields[f as usize],
                rules.zone,
            )),
        }
    }
    Ok(out)
}

/// The csv crate reads an unterminated quoted field to the end of the file without an
/// error; an odd number of quote characters is that case, and the file is malformed.
fn check_quotes_closed(path: &Path, text: &[u8], read: &FileRead) -> Result<(), Error> {
    if bytecount_quotes(text).is_multiple_of(2) {
        return Ok(());
    }
    let line = read
        .incidents
        .iter()
        .map(|i| i.source.line)
        .chain(read.rejected.iter().map(|r| r.source.line))
        .max()
        .unwrap_or(1);
    Err(Error::InputInvalid {
        location: Location::new(path, line, 1),
        reason:
            "a quoted field is never closed; expected a closing `\"` before the end of the file"
                .to_string(),
    })
}

fn bytecount_quotes(text: &[u8]) -> usize {
    memchr::memchr_iter(b'"', text).count()
}

/// A csv-crate error as a located input error.
pub(crate) fn csv_error(path: &Path, text: &[u8], e: &csv::Error) -> Error {
    csv_error_at(path, text, e, 0)
}

/// `csv_error` for a reader that started `offset` bytes into `text`.
fn csv_error_at(path: &Path, text: &[u8], e: &csv::Error, offset: usize) -> Error {
    let location = match e.position() {
        Some(p) => Location::at_offset(path, text, offset + p.byte() as usize),
        None => Location::file(path),
    };
    let reason = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8 text".to_string(),
        _ => format!("not readable as CSV: {e}"),
    };
    Error::InputInvalid { location, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file over the parallel threshold with quoted line breaks, doubled quotes and CRLF.
    fn big_export() -> Vec<u8> {
        let mut text = b"id,incident_number,description,created_at,seconds_to_first_ack,seconds_to_resolve\r\n".to_vec();
        let mut n = 0;
        while text.len() < crate::ingest::PARALLEL_MIN_BYTES * 2 {
            n += 1;
            let description = if n % 3 == 0 {
                "\"Disk \"\"full\"\",\r\nsee runbook\""
            } else {
                "plain"
            };
            let tta = if n % 1000 == 0 { "n/a" } else { "60" };
            text.extend_from_slice(
                format!("P{n},{n},{description},2026-01-05T10:00:00Z,{tta},600\r\n").as_bytes(),
            );
        }
        text
    }

    #[test]
    fn cuts_fall_after_whole_records_and_change_nothing() {
        let text = big_export();
        let header = {
            let mut rdr = reader(&text);
            recognise(Path::new("x.csv"), &rdr.headers().unwrap().clone())
                .unwrap()
                .unwrap()
        };
        let body = text.iter().position(|&b| b == b'\n').unwrap() + 1;
        let cuts = split_points(&text, body, 4, b',');
        assert_eq!(cuts.len(), 3, "a large file is cut");
        // Every cut is where the csv crate itself starts a record.
        let mut starts = std::collections::BTreeSet::new();
        let mut rdr = reader(&text);
        let mut record = csv::ByteRecord::new();
        while rdr.read_byte_record(&mut record).unwrap() {
            let mut start = record.position().unwrap().byte() as usize;
            while matches!(text[start], b'\r' | b'\n') {
                start += 1;
            }
            starts.insert(start);
        }
        for c in &cuts {
            assert!(starts.contains(c), "cut at {c} is inside a record");
        }
        // Read in ranges or in one go: the same rows, lines and rejections.
        let rules = RecordRules {
            zone: Tz::UTC,
            zero_ack_means_none: false,
            column_name: Field::name,
            detail: crate::ingest::Detail::Full,
        };
        let whole = read_range(
            Path::new("x.csv"),
            &text,
            body,
            text.len(),
            0,
            &header,
            &rules,
        )
        .unwrap();
        let parts = read(
            Path::new("x.csv"),
            &text,
            0,
            header,
            Tz::UTC,
            crate::ingest::Detail::Full,
        )
        .unwrap();
        assert_eq!(parts.rows_read, whole.rows_read);
        assert_eq!(parts.incidents, whole.incidents);
        assert_eq!(parts.rejected, whole.rejected);
        assert!(!whole.rejected.is_empty());
    }

    #[test]
    fn small_files_and_stray_quotes_are_not_cut() {
        let text = big_export();
        let body = text.iter().position(|&b| b == b'\n').unwrap() + 1;
        assert!(split_points(&text[..body + 1000], body, 4, b',').is_empty());
        // A quote inside an unquoted field makes parity meaningless.
        let stray = [
            &text[..],
            b"P0,0,5\" screen,2026-01-05T10:00:00Z,60,600\r\n",
        ]
        .concat();
        assert!(split_points(&stray, body, 4, b',').is_empty());
    }

    #[test]
    fn separator_is_sniffed_from_the_header() {
        assert_eq!(delimiter(b"id,created_at\n1;2"), b',');
        assert_eq!(delimiter(b"id;created_at;x\n1,5;2"), b';');
        assert_eq!(delimiter(b"id\tcreated_at\n"), b'\t');
        assert_eq!(delimiter(b"id\n"), b',');
    }

    #[test]
    fn header_normalisation_and_synonyms() {
        assert_eq!(
            normalise("\u{feff} Seconds to First Ack (s)"),
            "seconds_to_first_ack"
        );
        assert_eq!(normalise("Sec to ack"), "sec_to_ack");
        assert_eq!(field_for(&normalise("Opened On")), Some(Field::CreatedAt));
        assert_eq!(field_for(&normalise("#")), Some(Field::IncidentNumber));
    }

    fn header(line: &str) -> Result<Option<Header>, String> {
        let mut rdr = reader(line.as_bytes());
        let h = rdr.headers().unwrap().clone();
        recognise(Path::new("x.csv"), &h).map_err(|e| e.to_string())
    }

    #[test]
    fn recognition() {
        let a = header("id,incident_number,created_at,seconds_to_first_ack,seconds_to_resolve")
            .unwrap()
            .unwrap();
        assert_eq!(a.format, Format::AnalyticsCsv);
        let c = header("id,incident_number,created_on,seconds_to_first_ack,seconds_to_resolve")
            .unwrap()
            .unwrap();
        assert_eq!(c.format, Format::ClassicCsv);
        assert!(header("name,email,role").unwrap().is_none());
        assert_eq!(
            header("id,created_at,seconds_to_resolve,incident_number").unwrap_err(),
            "x.csv:1:1: missing required column `seconds_to_first_ack` (this header looks like the Analytics incidents export)"
        );
        assert_eq!(
            header("id,created_at,seconds_to_first_ack,created,seconds_to_resolve").unwrap_err(),
            "x.csv:1:4: columns 2 and 4 both give `created_at`; expected each column once"
        );
    }
}
