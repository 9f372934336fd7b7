/*!
Opsgenie Alert API responses: `GET /v2/alerts` pages (`{data: [...], paging, took,
requestId}`) and `GET /v2/alerts/{id}` (`{data: {...}, requestId}`), as `curl` saves them.
Recognised by the alert objects' keys (`tinyId` and `createdAt`), not the envelope: the
vendor's own samples omit `took`.

An alert is one incident of the `opsgenie` system. `report.ackTime` and `report.closeTime`
are **milliseconds from creation**, absent when the alert was never acknowledged or closed
(absent is never zero); closed is the terminal state, so the time to resolve is
`closeTime`. Where `acknowledged` is false but `ackTime` is there (the vendor's samples do
this after an unacknowledge) the acknowledgement is timed by `ackTime`. Responders:
`owner` (the assignee), `report.acknowledgedBy` and `report.closedBy`. The alert's
integration name stands where PagerDuty has a service.

The envelope's `paging` URLs give the page's place in its listing: its own offset is the
`next` page's offset less its `limit` (else `prev`'s plus `limit`, else `last`'s for the
last page, else `first`'s for a page that is the whole listing), and `next` on a page means
more pages follow. The URLs' `query` (and `searchIdentifier`) are the filters the export
states.
*/

use std::collections::BTreeMap;
use std::path::Path;

use chrono_tz::Tz;
use serde_json::Value;
use serde_json::value::RawValue;

use super::file_read::FileRead;
use super::json::{Object, item_object, source_of};
use super::record::{Detail, Field, RecordRules, build_incident, with_facts};
use crate::error::Location;
use crate::model::population::Page;
use crate::model::{Exception, ExceptionKind, Format, RejectedRow, System};

/// One page of alerts: its items and its envelope.
pub(crate) struct OpsgeniePage<'a> {
    pub items: Vec<&'a RawValue>,
    pub envelope: Page,
}

/// Whether a page's `data` items are Opsgenie alerts: the first names a `tinyId` and a
/// `createdAt`; an empty page is one when its `paging` links point at `/v2/alerts`.
pub(crate) fn fits(page: &Object<'_>, items: &[&RawValue]) -> bool {
    let alert = |item: &&RawValue| {
        serde_json::from_str::<Object<'_>>(item.get())
            .is_ok_and(|o| o.contains_key("tinyId") && o.contains_key("createdAt"))
    };
    match items.first() {
        // A damaged first item must not hide the page: any alert on it decides.
        Some(first) => alert(first) || items[1..].iter().any(alert),
        None => paging_links(page)
            .unwrap_or_default()
            .values()
            .any(|url| url_path(url).ends_with("/v2/alerts")),
    }
}

/// Whether a page is itself an alert (one object of a dump: a JSON list of the alerts, as
/// `jq '[.data[]]'` or an SDK's list writes them).
pub(crate) fn is_alert(page: &Object<'_>) -> bool {
    page.contains_key("tinyId") && page.contains_key("createdAt") && !page.contains_key("data")
}

/// The `paging` object's links (`first`, `next`, `prev`, `last`); none without `paging`.
/// `Err` says why `paging` cannot be read as links: it is not an object, or one of those
/// four is not a URL string (null is none).
fn paging_links(page: &Object<'_>) -> Result<BTreeMap<String, String>, String> {
    let Some(raw) = page.get("paging") else {
        return Ok(BTreeMap::new());
    };
    let m = serde_json::from_str::<BTreeMap<String, Value>>(raw.get())
        .map_err(|_| "`paging` is not an object of links".to_string())?;
    let mut links = BTreeMap::new();
    for (k, v) in m {
        match v {
            Value::String(url) => {
                links.insert(k, url);
            }
            Value::Null => {}
            _ if LINKS.contains(&k.as_str()) => return Err(format!("`paging.{k}` is not a URL")),
            _ => {}
        }
    }
    Ok(links)
}

/// The links a page's `paging` may hold.
const LINKS: [&str; 4] = ["first", "next", "prev", "last"];

/// The path of a URL, without scheme, host and query.
fn url_path(url: &str) -> &str {
    let no_query = url.split(['?', '#']).next().unwrap_or_default();
    let after_scheme = no_query
        .split_once("://")
        .map_or(no_query, |(_, rest)| rest);
    after_scheme
        .find('/')
        .map_or("", |i| &after_scheme[i..])
        .trim_end_matches('/')
}

/// `%XX` and `+` decoded; `None` when the result is not UTF-8 or an escape is broken.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// A URL's query parameters, decoded (a parameter that cannot be decoded is kept as
/// written).
fn query_params(url: &str) -> BTreeMap<String, String> {
    let Some((_, query)) = url.split_once('?') else {
        return BTreeMap::new();
    };
    let query = query.split('#').next().unwrap_or_default();
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |t: &str| percent_decode(t).unwrap_or_else(|| t.to_string());
            (decode(k), decode(v))
        })
        .collect()
}

/// Whether an alert search query only bounds the creation time (`createdAt>=1735707600000
/// AND createdAt<1751342400000`): a date range, which explains no gap in the numbering.
pub(crate) fn is_creation_range(query: &str) -> bool {
    let lower = query.to_ascii_lowercase();
    lower.split(" and ").all(|term| {
        term.trim()
            .strip_prefix("createdat")
            .is_some_and(|rest| rest.trim_start().starts_with(['<', '>', '=', ':']))
    })
}

/// The query parameters that choose which alerts a listing holds (the others page it).
const FILTERS: [&str; 3] = ["query", "searchIdentifier", "searchIdentifierType"];

/// The envelope of one page: its items, its place in the listing and the filters its links
/// state.
pub(crate) fn envelope(
    _path: &Path,
    text: &str,
    obj: &Object<'_>,
    whole: &RawValue,
    items: usize,
) -> Page {
    let at = whole.get().as_ptr() as usize - text.as_ptr() as usize;
    let line = Location::line_at(text.as_bytes(), at);
    // Links that cannot be read leave the page unplaced and announcing more: the offset
    // check then says the pages after it cannot be found.
    let (links, problem) = match paging_links(obj) {
        Ok(links) => (links, None),
        Err(why) => (BTreeMap::new(), Some(why)),
    };
    let params: BTreeMap<&str, BTreeMap<String, String>> = links
        .iter()
        .map(|(k, url)| (k.as_str(), query_params(url)))
        .collect();
    let number = |link: &str, key: &str| {
        params
            .get(link)
            .and_then(|p| p.get(key))
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    let limit = ["next", "prev", "first", "last"]
        .iter()
        .find_map(|l| number(l, "limit"));
    let next_offset = number("next", "offset");
    let offset = match (next_offset, number("prev", "offset"), limit) {
        (Some(next), _, Some(limit)) => Some(next.saturating_sub(limit)),
        (None, Some(prev), Some(limit)) => Some(prev.saturating_add(limit)),
        _ if !links.contains_key("next") => number("last", "offset").or_else(|| {
            (!links.contains_key("prev"))
                .then(|| number("first", "offset"))
                .flatten()
        }),
        _ => None,
    };
    let mut filters = BTreeMap::new();
    // Every link of a page repeats the listing's query; the first that states one is taken.
    for link in LINKS {
        if let Some(p) = params.get(link) {
            for key in FILTERS {
                if let Some(v) = p.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                    filters
                        .entry(key.to_string())
                        .or_insert_with(|| v.to_string());
                }
            }
        }
    }
    // `GET /v2/alerts/{id}` (`data` one object), or an alert of a dump (a JSON list of the
    // alerts themselves): no listing to page.
    let single = obj
        .get("data")
        .is_none_or(|d| d.get().trim_start().starts_with('{'));
    let unreadable = problem.is_some();
    let listed = unreadable || (!single && obj.contains_key("paging"));
    Page {
        line,
        listing: if listed { "data" } else { "" }.to_string(),
        items: items as u64,
        more: listed.then(|| unreadable || links.contains_key("next")),
        limit,
        offset,
        next_offset,
        last_offset: number("last", "offset"),
        unreadable_paging: problem,
        filters,
        ..Page::default()
    }
}

/// Opsgenie's names of the fields, for messages.
fn key_name(f: Field) -> &'static str {
    match f {
        Field::Id => "id",
        Field::IncidentNumber => "tinyId",
        Field::Description => "message",
        Field::Status => "status",
        Field::PriorityName => "priority",
        Field::ServiceName => "integration.name",
        Field::CreatedAt => "createdAt",
        Field::SecondsToFirstAck => "report.ackTime",
        Field::SecondsToResolve => "report.closeTime",
        Field::AssignedTo => "owner",
        Field::AcknowledgedBy => "report.acknowledgedBy",
        Field::ResolvedBy => "report.closedBy",
        other => other.name(),
    }
}

/// A string field's trimmed text; `Err` for anything but a string or null.
fn string_at(v: Option<&Value>, key: &str) -> Result<Option<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        Some(other) => Err(format!(
            "`{key}` is {}; a string was expected",
            kind_of(other)
        )),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// An object field; `Err` for anything but an object or null.
fn object_at<'v>(
    v: Option<&'v Value>,
    key: &str,
) -> Result<Option<&'v serde_json::Map<String, Value>>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(other) => Err(format!(
            "`{key}` is {}; an object was expected",
            kind_of(other)
        )),
    }
}

/// Milliseconds exactly as decimal seconds: `15702` → `15.702`.
fn seconds_text(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// A number of milliseconds from the alert's creation; `Err` for a value that is not a
/// whole, non-negative number of milliseconds.
fn millis(v: Option<&Value>, key: &str) -> Result<Option<u64>, String> {
    let ms = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
            (Some(ms), _) => ms,
            (None, Some(f)) if f >= 0.0 && f.fract() == 0.0 && f < 9.0e15 => f as u64,
            _ => {
                return Err(format!(
                    "`{key}` is {n}; a whole, non-negative number of milliseconds from the alert's creation was expected"
                ));
            }
        },
        Some(other) => {
            return Err(format!(
                "`{key}` is {}; a number of milliseconds from the alert's creation was expected",
                kind_of(other)
            ));
        }
    };
    Ok(Some(ms))
}

/// The text fields of one alert, under the Analytics names the record builder reads, and
/// the data exceptions its acknowledgement and closing state raise.
struct AlertFields {
    fields: [Option<String>; Field::ALL.len()],
    /// `acknowledged` true with no `report.ackTime`; `status` closed with no
    /// `report.closeTime`; `status` open with a `report.closeTime`.
    notes: Vec<String>,
    /// Whether the alert has `owner` or `report`: then an empty one names nobody.
    named: bool,
}

fn alert_fields(obj: &BTreeMap<String, Value>) -> Result<AlertFields, String> {
    let mut fields: [Option<String>; Field::ALL.len()] = Default::default();
    let mut set = |f: Field, v: Option<String>| fields[f as usize] = v;
    set(Field::Id, string_at(obj.get("id"), "id")?);
    set(
        Field::IncidentNumber,
        match obj.get("tinyId") {
            Some(Value::Number(n)) => Some(n.to_string()),
            other => string_at(other, "tinyId")?,
        },
    );
    set(
        Field::Description,
        string_at(obj.get("message"), "message")?,
    );
    let status = string_at(obj.get("status"), "status")?.map(|s| s.to_ascii_lowercase());
    set(Field::Status, status.clone());
    set(
        Field::PriorityName,
        string_at(obj.get("priority"), "priority")?,
    );
    set(
        Field::CreatedAt,
        string_at(obj.get("createdAt"), "createdAt")?,
    );
    set(Field::AssignedTo, string_at(obj.get("owner"), "owner")?);
    let integration = object_at(obj.get("integration"), "integration")?;
    set(
        Field::ServiceName,
        integration
            .map(|i| string_at(i.get("name"), "integration.name"))
            .transpose()?
            .flatten(),
    );
    let empty = serde_json::Map::new();
    let report = object_at(obj.get("report"), "report")?.unwrap_or(&empty);
    let ack = millis(report.get("ackTime"), "report.ackTime")?;
    let close = millis(report.get("closeTime"), "report.closeTime")?;
    set(
        Field::AcknowledgedBy,
        string_at(report.get("acknowledgedBy"), "report.acknowledgedBy")?,
    );
    set(
        Field::ResolvedBy,
        string_at(report.get("closedBy"), "report.closedBy")?,
    );
    let acknowledged = match obj.get("acknowledged") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(other) => {
            return Err(format!(
                "`acknowledged` is {}; true or false was expected",
                kind_of(other)
            ));
        }
    };
    let mut notes = Vec::new();
    if let (Some(a), Some(c)) = (ack, close)
        && a > c
    {
        notes.push(format!(
            "`report.ackTime` ({a} ms) is after `report.closeTime` ({c} ms): acknowledged after it was closed"
        ));
    }
    if acknowledged == Some(true) && ack.is_none() {
        notes.push(
            "`acknowledged` is true but `report.ackTime` is absent: the acknowledgement cannot be timed, so it is judged as none".to_string(),
        );
    }
    let close = match (status.as_deref(), close) {
        (Some("closed"), None) => {
            notes.push(
                "`status` is closed but `report.closeTime` is absent: the closing cannot be timed, so the alert is judged as not resolved".to_string(),
            );
            None
        }
        (Some("closed"), close) => close,
        (Some("open"), Some(ms)) => {
            notes.push(format!(
                "`status` is open but `report.closeTime` is {} s: an open alert is not resolved, so the close time is not used",
                seconds_text(ms)
            ));
            None
        }
        (Some("open"), None) => None,
        (Some(other), _) => {
            return Err(format!(
                "`status` is `{other}`; `open` or `closed` was expected"
            ));
        }
        (None, _) => return Err("no `status`; `open` or `closed` was expected".to_string()),
    };
    set(Field::SecondsToFirstAck, ack.map(seconds_text));
    set(Field::SecondsToResolve, close.map(seconds_text));
    Ok(AlertFields {
        fields,
        notes,
        named: obj.contains_key("owner") || obj.contains_key("report"),
    })
}

/// Reads the alerts of recognised Opsgenie pages. `text` is the whole file.
pub(crate) fn read(
    path: &Path,
    text: &str,
    pages: Vec<OpsgeniePage<'_>>,
    zone: Tz,
    detail: Detail,
) -> FileRead {
    let mut out = FileRead::new(Format::OpsgenieAlerts, Some(zone.name().to_string()));
    let rules = RecordRules {
        zone,
        zero_ack_means_none: false,
        column_name: key_name,
        detail,
    };
    for page in pages {
        for item in page.items {
            out.rows_read += 1;
            let source = source_of(path, text, item);
            // `combine` sets the rejected row's system from the file's format.
            let reject = |reason: String| RejectedRow::new(source, reason, item.get().to_string());
            let obj = match item_object(item) {
                Ok(o) => o,
                Err(why) => {
                    out.rejected.push(reject(why));
                    continue;
                }
            };
            let alert = match alert_fields(&obj) {
                Ok(a) => a,
                Err(why) => {
                    // What the alert still says of itself, for the reconciliation.
                    let number = obj.get("tinyId").map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    });
                    let facts = |f: Field| match f {
                        Field::Id => obj.get("id").and_then(Value::as_str),
                        Field::IncidentNumber => number.as_deref(),
                        Field::PriorityName => obj.get("priority").and_then(Value::as_str),
                        Field::CreatedAt => obj.get("createdAt").and_then(Value::as_str),
                        _ => None,
                    };
                    out.rejected.push(with_facts(reject(why), facts, zone));
                    continue;
                }
            };
            let get = |f: Field| alert.fields[f as usize].as_deref();
            match build_incident(get, source, &rules) {
                Ok((mut incident, exception)) => {
                    incident.system = System::Opsgenie;
                    incident.responders.named = alert.named;
                    out.exceptions.extend(exception);
                    out.exceptions
                        .extend(alert.notes.into_iter().map(|detail| Exception {
                            incident_number: incident.number,
                            incident_id: Some(incident.id.clone()),
                            severity: None,
                            kind: ExceptionKind::InconsistentTimestamps,
                            detail,
                            facts: None,
                            cause: None,
                        }));
                    out.incidents.push(incident);
                }
                Err(why) => out.rejected.push(with_facts(reject(why), get, zone)),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_are_exact_seconds() {
        // 15702 ms = 15 s + 702 ms; 60503 ms = 60.503 s; 7 ms = 0.007 s.
        let v = |n: u64| Value::from(n);
        let millis_as_seconds =
            |v: Option<&Value>, k: &str| millis(v, k).map(|ms| ms.map(seconds_text));
        assert_eq!(
            millis_as_seconds(Some(&v(15702)), "k").unwrap().as_deref(),
            Some("15.702")
        );
        assert_eq!(
            millis_as_seconds(Some(&v(60503)), "k").unwrap().as_deref(),
            Some("60.503")
        );
        assert_eq!(
            millis_as_seconds(Some(&v(7)), "k").unwrap().as_deref(),
            Some("0.007")
        );
        assert_eq!(millis_as_seconds(None, "k").unwrap(), None);
        assert!(millis_as_seconds(Some(&Value::from(-5)), "k").is_err());
        assert!(millis_as_seconds(Some(&Value::from(1.5)), "k").is_err());
        assert!(millis_as_seconds(Some(&Value::from("15702")), "k").is_err());
    }

    #[test]
    fn paging_links_place_the_page() {
        let text = r#"{"data":[],"paging":{"next":"https://api.eu.opsgenie.com/v2/alerts?query=createdAt%3E1%20AND%20priority%3AP1&offset=200&limit=100&sort=createdAt&order=asc","first":"https://api.eu.opsgenie.com/v2/alerts?query=createdAt%3E1%20AND%20priority%3AP1&offset=0&limit=100&sort=createdAt&order=asc"},"took":0.1,"requestId":"r"}"#;
        let obj: Object<'_> = serde_json::from_str(text).unwrap();
        let whole: &RawValue = serde_json::from_str(text).unwrap();
        // The whole text is the page; its offset is the next page's (200) less the limit.
        let p = envelope(Path::new("a.json"), whole.get(), &obj, whole, 0);
        assert_eq!(p.offset, Some(100));
        assert_eq!(p.limit, Some(100));
        assert_eq!(p.more, Some(true));
        assert_eq!(
            p.filters.get("query").map(String::as_str),
            Some("createdAt>1 AND priority:P1")
        );
        assert!(fits(&obj, &[]));
    }

    #[test]
    fn the_last_page_is_placed_by_its_last_link() {
        let text = r#"{"data":[],"paging":{"first":"https://api.opsgenie.com/v2/alerts?offset=0&limit=20","last":"https://api.opsgenie.com/v2/alerts?offset=40&limit=20"}}"#;
        let obj: Object<'_> = serde_json::from_str(text).unwrap();
        let whole: &RawValue = serde_json::from_str(text).unwrap();
        let p = envelope(Path::new("a.json"), whole.get(), &obj, whole, 0);
        assert_eq!((p.offset, p.more), (Some(40), Some(false)));
    }

    #[test]
    fn a_creation_range_query_is_no_filter_of_the_numbers() {
        assert!(is_creation_range(
            "createdAt>=1735707600000 AND createdAt<1751342400000"
        ));
        assert!(is_creation_range("createdAt > 01-01-2026"));
        assert!(!is_creation_range("createdAt>=1 AND teams:platform"));
        assert!(!is_creation_range("status:open"));
    }

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("a%20b+c").as_deref(), Some("a b c"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%E2%82%AC").as_deref(), Some("€"));
        assert_eq!(
            url_path("https://api.opsgenie.com/v2/alerts?x=1"),
            "/v2/alerts"
        );
    }
}
