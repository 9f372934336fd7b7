//! Analytics raw incidents as JSON: the `POST /analytics/raw/incidents` response
//! (`data[]`, `time_zone`, cursors), one page per file, or an array of such pages.
//! Other JSON documents are reported as not recognised, never guessed at.

use std::collections::BTreeMap;
use std::path::Path;

use chrono_tz::Tz;
use serde_json::Value;
use serde_json::value::RawValue;

use super::FileRead;
use super::record::{Field, RecordRules, build_incident};
use crate::error::{Error, Location};
use crate::model::{Format, RejectedRow, SourceRef};
use crate::policy::parse_timezone;

pub type Object<'a> = BTreeMap<String, &'a RawValue>;

/// Where a JSON value borrowed from `text` (the whole file) stands: its byte range and the
/// line it starts on. File index 0 until `combine` sets it.
pub fn source_of(path: &Path, text: &str, item: &RawValue) -> SourceRef {
    let offset = item.get().as_ptr() as usize - text.as_ptr() as usize;
    SourceRef {
        file: 0,
        line: Location::at_offset(path, text.as_bytes(), offset).line,
        start: offset,
        end: offset + item.get().len(),
    }
}

/// What a JSON file turned out to be.
pub enum JsonKind<'a> {
    /// Analytics pages: each page's `data` items and its `time_zone`.
    Analytics(Vec<(Vec<&'a RawValue>, Option<String>)>),
    /// PagerDuty configuration responses (schedules, policies, audit records) of one kind.
    Config(Format, Vec<(Object<'a>, &'a RawValue)>),
    /// REST incidents, log entries or Statuspage incidents, of one kind.
    Rest(Format, Vec<(Object<'a>, &'a RawValue)>),
    /// Some other JSON document; the text says what its top-level keys were.
    Other(String),
}

fn json_error(path: &Path, e: &serde_json::Error) -> Error {
    let msg = e.to_string();
    // serde_json appends " at line L column C"; the location carries that already.
    let reason = msg
        .rfind(" at line ")
        .map_or(msg.as_str(), |i| &msg[..i])
        .to_string();
    Error::InputInvalid {
        location: Location::new(path, e.line() as u64, e.column() as u64),
        reason: format!("invalid JSON: {reason}"),
    }
}

fn is_analytics_page<'a>(page: &Object<'a>) -> Option<Vec<&'a RawValue>> {
    let data = page.get("data")?;
    let items: Vec<&RawValue> = serde_json::from_str(data.get()).ok()?;
    let looks_right = page.contains_key("time_zone")
        || items.first().is_some_and(|first| {
            serde_json::from_str::<Object<'_>>(first.get()).is_ok_and(|o| {
                o.contains_key("incident_number") || o.contains_key("seconds_to_first_ack")
            })
        });
    looks_right.then_some(items)
}

/// Parses the document and says whether it is an Analytics export.
pub fn recognise<'a>(path: &Path, text: &'a str) -> Result<JsonKind<'a>, Error> {
    // One document, or several one after another (NDJSON / concatenated pages).
    let mut pages: Vec<Object<'a>> = Vec::new();
    let mut raw_pages: Vec<&'a RawValue> = Vec::new();
    for top in serde_json::Deserializer::from_str(text).into_iter::<&'a RawValue>() {
        let top = top.map_err(|e| json_error(path, &e))?;
        if let Ok(obj) = serde_json::from_str::<Object<'a>>(top.get()) {
            pages.push(obj);
            raw_pages.push(top);
        } else if let Ok(list) = serde_json::from_str::<Vec<&'a RawValue>>(top.get())
            && let Ok(objects) = list
                .iter()
                .map(|v| serde_json::from_str::<Object<'a>>(v.get()))
                .collect::<Result<Vec<_>, _>>()
        {
            pages.extend(objects);
            raw_pages.extend(list);
        } else {
            // serde_json stops at 128 levels; no export nests that deep.
            if let Err(e) = serde_json::from_str::<Value>(top.get())
                && e.to_string().contains("recursion limit")
            {
                let offset = top.get().as_ptr() as usize - text.as_ptr() as usize;
                let at = Location::at_offset(path, text.as_bytes(), offset);
                return Err(Error::InputInvalid {
                    location: Location::new(path, at.line + e.line() as u64 - 1, e.column() as u64),
                    reason: "JSON nested more than 128 levels deep; expected a PagerDuty export"
                        .to_string(),
                });
            }
            return Ok(JsonKind::Other(
                "JSON that is neither an object nor a list of objects".to_string(),
            ));
        }
    }
    let kind_of = |p: &Object<'_>| {
        crate::oncall::read::kind(p)
            .or_else(|| super::rest::kind(p))
            .or_else(|| super::statuspage::kind(p).then_some(Format::StatuspageIncidents))
    };
    if let Some(format) = pages.first().and_then(kind_of) {
        if let Some(other) = pages.iter().find(|p| kind_of(p) != Some(format)) {
            let keys: Vec<&str> = other.keys().map(String::as_str).take(6).collect();
            return Err(Error::InputInvalid {
                location: Location::file(path),
                reason: format!(
                    "mixes a {} response with a page of keys `{}`; expected one kind of response per file",
                    format.name(),
                    keys.join("`, `")
                ),
            });
        }
        let pages = pages.into_iter().zip(raw_pages).collect();
        if matches!(
            format,
            Format::RestIncidents | Format::RestLogEntries | Format::StatuspageIncidents
        ) {
            return Ok(JsonKind::Rest(format, pages));
        }
        return Ok(JsonKind::Config(format, pages));
    }
    let mut found = Vec::new();
    for page in &pages {
        match is_analytics_page(page) {
            Some(items) => {
                let zone = page
                    .get("time_zone")
                    .and_then(|v| serde_json::from_str::<Option<String>>(v.get()).ok())
                    .flatten();
                found.push((items, zone));
            }
            None if page.contains_key("notes") => {
                return Ok(JsonKind::Other(
                    "an incident notes response (`GET /incidents/{id}/notes`): its notes do not name their incident; export `GET /log_entries`, whose entries carry the notes".to_string(),
                ));
            }
            None => {
                let keys: Vec<&str> = page.keys().map(String::as_str).take(6).collect();
                return Ok(JsonKind::Other(format!(
                    "JSON with keys `{}`, not an Analytics raw incidents response",
                    keys.join("`, `")
                )));
            }
        }
    }
    if found.is_empty() {
        return Ok(JsonKind::Other("an empty JSON list".to_string()));
    }
    Ok(JsonKind::Analytics(found))
}

/// The text of a scalar JSON value for the record builder; `Err` for arrays and objects.
fn scalar_text(v: &Value) -> Result<Option<String>, &'static str> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => {
            let s = s.trim();
            Ok((!s.is_empty()).then(|| s.to_string()))
        }
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Array(_) | Value::Object(_) => Err("a list or object where a value was expected"),
    }
}

/// Reads the incidents of recognised Analytics pages. `text` is the whole file.
pub fn read(
    path: &Path,
    text: &str,
    pages: Vec<(Vec<&RawValue>, Option<String>)>,
    default_zone: Tz,
    detail: super::Detail,
) -> Result<FileRead, Error> {
    let mut zones = Vec::new();
    for (_, zone) in &pages {
        let tz = match zone {
            None => default_zone,
            Some(name) => parse_timezone(name).ok_or_else(|| Error::InputInvalid {
                location: Location::file(path),
                reason: format!(
                    "`time_zone`: `{name}` is not an IANA time zone; expected e.g. `Etc/UTC` or `America/New_York`"
                ),
            })?,
        };
        if !zones.contains(&tz) {
            zones.push(tz);
        }
    }
    let zone_names: Vec<&str> = zones.iter().map(|z| z.name()).collect();
    let mut out = FileRead::new(Format::AnalyticsJson, Some(zone_names.join(" ")));
    for (items, zone) in pages {
        let rules = RecordRules {
            zone: zone
                .as_deref()
                .and_then(parse_timezone)
                .unwrap_or(default_zone),
            zero_ack_means_none: false,
            column_name: Field::name,
            detail,
        };
        for item in items {
            out.rows_read += 1;
            let source = source_of(path, text, item);
            let reject = |reason: String| RejectedRow {
                source,
                reason,
                raw: item.get().to_string(),
            };
            let obj: BTreeMap<String, Value> = match serde_json::from_str(item.get()) {
                Ok(o) => o,
                Err(_) => {
                    out.rejected.push(reject(
                        "a `data` item that is not a JSON object".to_string(),
                    ));
                    continue;
                }
            };
            let mut fields: [Option<String>; Field::ALL.len()] = Default::default();
            let mut bad = None;
            for f in Field::ALL {
                if let Some(v) = obj.get(f.name()) {
                    match scalar_text(v) {
                        Ok(t) => fields[f as usize] = t,
                        Err(why) => {
                            bad = Some(format!("key `{}`: {why}", f.name()));
                            break;
                        }
                    }
                }
            }
            if let Some(reason) = bad {
                out.rejected.push(reject(reason));
                continue;
            }
            match build_incident(|f| fields[f as usize].as_deref(), source, &rules) {
                Ok((incident, exception)) => {
                    out.incidents.push(incident);
                    out.exceptions.extend(exception);
                }
                Err(reason) => out.rejected.push(reject(reason)),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_pages_and_other_documents() {
        let page = r#"{"data": [{"id": "P1", "incident_number": 1}], "time_zone": "Etc/UTC", "more": false}"#;
        assert!(matches!(
            recognise(Path::new("a.json"), page).unwrap(),
            JsonKind::Analytics(p) if p.len() == 1
        ));
        let audit = r#"{"records": [], "next_cursor": null}"#;
        assert!(matches!(
            recognise(Path::new("a.json"), audit).unwrap(),
            JsonKind::Config(Format::PdAuditRecords, p) if p.len() == 1
        ));
        match recognise(Path::new("a.json"), r#"{"users": [], "more": false}"#).unwrap() {
            JsonKind::Other(why) => assert!(why.contains("`more`, `users`"), "{why}"),
            _ => panic!("a users list is not an export auditpack reads"),
        }
        let err = recognise(Path::new("a.json"), "{\n  \"data\": [1,\n}")
            .err()
            .unwrap()
            .to_string();
        assert!(err.starts_with("a.json:3:1: invalid JSON"), "{err}");
    }

    /// Recognises `text` as an Analytics export named `name` and reads it.
    fn read_analytics(name: &str, text: &str) -> FileRead {
        let JsonKind::Analytics(pages) = recognise(Path::new(name), text).unwrap() else {
            panic!("analytics")
        };
        read(
            Path::new(name),
            text,
            pages,
            Tz::UTC,
            crate::ingest::Detail::Full,
        )
        .unwrap()
    }

    #[test]
    fn pages_one_per_line_are_read_too() {
        let text = "{\"data\": [{\"id\": \"PA\", \"incident_number\": 1, \"created_at\": \"2026-01-05T10:00:00Z\", \"seconds_to_first_ack\": 1}], \"time_zone\": \"UTC\"}\n{\"data\": [{\"id\": \"PB\", \"incident_number\": 2, \"created_at\": \"2026-01-05T11:00:00Z\", \"seconds_to_first_ack\": 1}], \"time_zone\": \"UTC\"}\n";
        let read = read_analytics("p.ndjson", text);
        assert_eq!(read.incidents.len(), 2);
        assert_eq!(read.incidents[1].source.line, 2);
    }

    #[test]
    fn items_get_their_starting_line() {
        let text = "{\"time_zone\": \"America/New_York\", \"data\": [\n  {\"id\": \"PA\", \"incident_number\": 1, \"created_at\": \"2026-01-05T10:00:00\",\n   \"seconds_to_first_ack\": 60, \"seconds_to_resolve\": null},\n  {\"id\": \"PB\", \"created_at\": [1]}\n]}";
        let read = read_analytics("p.json", text);
        assert_eq!(read.rows_read, 2);
        assert_eq!(read.incidents.len(), 1);
        assert_eq!(read.incidents[0].source.line, 2);
        assert_eq!(
            read.incidents[0].created.to_rfc3339(),
            "2026-01-05T15:00:00+00:00"
        );
        assert_eq!(read.rejected[0].source.line, 4);
        assert!(read.rejected[0].reason.starts_with("key `created_at`"));
        assert_eq!(read.timezone_assumed.as_deref(), Some("America/New_York"));
    }
}
