//! The two CSV exports: Analytics raw incidents (`created_at`) and the classic Reports
//! `incidents.csv` (`created_on`). Header → format and column map; rows → incidents or
//! rejected rows. Handles a UTF-8 BOM, CRLF, quoted fields with commas, quotes and newlines.

use std::collections::BTreeMap;
use std::path::Path;

use chrono_tz::Tz;

use super::FileRead;
use super::record::{Field, RecordRules, build_incident};
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
        _ => return None,
    })
}

fn classic_name(f: Field) -> &'static str {
    match f {
        Field::CreatedAt => "created_on",
        Field::ResolvedAt => "resolved_on",
        Field::TimeoutEscalationCount => "auto_escalation_count",
        other => other.name(),
    }
}

/// The recognised header of an incidents CSV.
#[derive(Debug)]
pub struct Header {
    format: Format,
    columns: BTreeMap<Field, usize>,
    width: usize,
}

/// Recognises an incidents CSV by its header row; `None` when it is some other CSV.
pub fn recognise(path: &Path, header: &csv::StringRecord) -> Result<Option<Header>, Error> {
    let names: Vec<String> = header.iter().map(normalise).collect();
    let format = if names.iter().any(|n| n == "created_on") {
        Format::ClassicCsv
    } else if names.iter().any(|n| field_for(n) == Some(Field::CreatedAt))
        && names.iter().any(|n| {
            matches!(
                field_for(n),
                Some(Field::SecondsToFirstAck | Field::IncidentNumber)
            )
        })
    {
        Format::AnalyticsCsv
    } else {
        return Ok(None);
    };
    let mut columns = BTreeMap::new();
    for (i, n) in names.iter().enumerate() {
        if let Some(f) = field_for(n)
            && let Some(first) = columns.insert(f, i)
        {
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
pub fn reader(text: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(delimiter(text))
        .from_reader(text)
}

/// Reads the data rows of a recognised incidents CSV. `text` starts after any BOM.
///
/// `base` is the length of the BOM that was cut off, so source offsets point into the file.
pub fn read(
    path: &Path,
    text: &[u8],
    base: usize,
    header: Header,
    zone: Tz,
) -> Result<FileRead, Error> {
    let rules = RecordRules {
        zone,
        zero_ack_means_none: header.format == Format::ClassicCsv,
        column_name: if header.format == Format::ClassicCsv {
            classic_name
        } else {
            Field::name
        },
    };
    let mut out = FileRead::new(header.format, Some(zone.name().to_string()));
    let mut rdr = reader(text);
    // Consume the header so positions below are those of data records.
    rdr.byte_headers().map_err(|e| csv_error(path, text, &e))?;
    let mut record = csv::ByteRecord::new();
    // The csv crate's record lines are off by one after a CRLF header, so lines are
    // counted here: the physical line of the record's first byte, header = line 1.
    let (mut counted_to, mut line) = (0usize, 1u64);
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(path, text, &e)),
        }
        let end = rdr.position().byte() as usize;
        let mut start = record.position().map_or(end, |p| p.byte() as usize);
        while start < end && matches!(text[start], b'\r' | b'\n') {
            start += 1;
        }
        line += text[counted_to..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        counted_to = start;
        out.rows_read += 1;
        let source = SourceRef {
            file: 0,
            line,
            start: start + base,
            end: end + base,
        };
        let reject = |reason: String| RejectedRow {
            source,
            reason,
            raw: SourceRef {
                start,
                end,
                ..source
            }
            .raw(text),
        };
        if record.len() != header.width {
            out.rejected.push(reject(format!(
                "expected {} fields as in the header, found {}",
                header.width,
                record.len()
            )));
            continue;
        }
        let mut fields: [Option<&str>; Field::ALL.len()] = [None; Field::ALL.len()];
        let mut bad_utf8 = None;
        for (&f, &i) in &header.columns {
            match std::str::from_utf8(&record[i]) {
                Ok(s) => {
                    let s = s.trim();
                    fields[f as usize] = (!s.is_empty()).then_some(s);
                }
                Err(_) => {
                    bad_utf8 = Some(f);
                    break;
                }
            }
        }
        if let Some(f) = bad_utf8 {
            out.rejected.push(reject(format!(
                "column `{}`: not valid UTF-8 text",
                (rules.column_name)(f)
            )));
            continue;
        }
        match build_incident(|f| fields[f as usize], source, &rules) {
            Ok((incident, exception)) => {
                out.incidents.push(incident);
                out.exceptions.extend(exception);
            }
            Err(reason) => out.rejected.push(reject(reason)),
        }
    }
    check_quotes_closed(path, text, &out)?;
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
    text.iter().filter(|&&b| b == b'"').count()
}

/// A csv-crate error as a located input error.
pub fn csv_error(path: &Path, text: &[u8], e: &csv::Error) -> Error {
    let location = match e.position() {
        Some(p) => Location::at_offset(path, text, p.byte() as usize),
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
