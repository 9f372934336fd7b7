//! Analytics raw incidents as JSON: the `POST /analytics/raw/incidents` response
//! (`data[]`, `time_zone`, cursors), one page per file, or an array of such pages.
//! Other JSON documents are reported as not recognised, never guessed at.

use std::path::Path;

use chrono_tz::Tz;
use serde_json::Value;
use serde_json::value::RawValue;

use super::file_read::FileRead;
use super::json::{Object, item_object, source_of};
use super::recognise::AnalyticsPage;
use super::record::Detail;
use super::record::{Field, RecordRules, build_incident};
use crate::error::{Error, Location};
use crate::model::{Format, RejectedRow};

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

/// The text of a responder field: a list of names joined by `; ` (Analytics writes
/// `assigned_user_names` and `acknowledged_user_names` as lists), or a scalar.
fn names_text(v: &Value) -> Result<Option<String>, &'static str> {
    match v {
        Value::Array(items) => {
            let mut names = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(s) if !s.trim().is_empty() => names.push(s.trim()),
                    Value::String(_) | Value::Null => {}
                    _ => return Err("a list holding something other than names"),
                }
            }
            Ok((!names.is_empty()).then(|| names.join("; ")))
        }
        other => scalar_text(other),
    }
}

/// The `data` items of a page: its list, or the one object of a single-incident response
/// (`GET /analytics/raw/incidents/{id}`); `None` without a `data` list or object. Parsed once
/// per page by the recogniser and kept for the reader.
pub(crate) fn data_items<'a>(page: &Object<'a>) -> Option<Vec<&'a RawValue>> {
    let data = page.get("data")?;
    if data.get().trim_start().starts_with('{') {
        return Some(vec![*data]);
    }
    serde_json::from_str(data.get()).ok()
}

/// Whether a page's `data` items (`data_items`) are Analytics raw incidents: its first item
/// names an incident, or the page states a `time_zone` (a list, possibly empty).
pub(crate) fn fits(page: &Object<'_>, items: &[&RawValue]) -> bool {
    let first_is_incident = items.first().is_some_and(|first| {
        serde_json::from_str::<Object<'_>>(first.get()).is_ok_and(|o| {
            o.contains_key("incident_number") || o.contains_key("seconds_to_first_ack")
        })
    });
    let single = page
        .get("data")
        .is_some_and(|d| d.get().trim_start().starts_with('{'));
    first_is_incident || (!single && page.contains_key("time_zone"))
}

/// Reads the incidents of recognised Analytics pages. `text` is the whole file.
pub(crate) fn read(
    path: &Path,
    text: &str,
    pages: Vec<AnalyticsPage<'_>>,
    default_zone: Tz,
    detail: Detail,
) -> Result<FileRead, Error> {
    let mut zones = Vec::new();
    for page in &pages {
        let tz = match &page.time_zone {
            None => default_zone,
            Some(name) => super::zone_name::zone(name).ok_or_else(|| Error::InputInvalid {
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
    for AnalyticsPage {
        items, time_zone, ..
    } in pages
    {
        let rules = RecordRules {
            zone: time_zone
                .as_deref()
                .and_then(super::zone_name::zone)
                .unwrap_or(default_zone),
            zero_ack_means_none: false,
            column_name: Field::name,
            detail,
        };
        for item in items {
            out.rows_read += 1;
            let source = source_of(path, text, item);
            let reject = |reason: String| RejectedRow::new(source, reason, item.get().to_string());
            let obj = match item_object(item) {
                Ok(o) => o,
                Err(why) => {
                    out.rejected.push(reject(why));
                    continue;
                }
            };
            let mut fields: [Option<String>; Field::ALL.len()] = Default::default();
            let mut bad = None;
            for f in Field::ALL {
                if let Some(v) = obj.get(f.name()) {
                    let text = if Field::RESPONDERS.contains(&f) {
                        names_text(v)
                    } else {
                        scalar_text(v)
                    };
                    match text {
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
            let names_responders = Field::RESPONDERS.iter().any(|f| obj.contains_key(f.name()));
            match build_incident(|f| fields[f as usize].as_deref(), source, &rules) {
                Ok((mut incident, exception)) => {
                    incident.responders.named = names_responders && detail == Detail::Full;
                    out.incidents.push(incident);
                    out.exceptions.extend(exception);
                }
                Err(reason) => out.rejected.push(super::record::with_facts(
                    reject(reason),
                    |f| fields[f as usize].as_deref(),
                    rules.zone,
                )),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::recognise::{JsonKind, json as recognise};

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
