//! What a JSON page's envelope says about the listing it belongs to: its paging keys
//! (`more`, `limit`, `offset`, the Analytics cursors, the audit `next_cursor`) and the
//! filters it states (Analytics `filters`, REST query echoes). Read here, judged in
//! `checks::population`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::json::Object;
use crate::error::Location;
use crate::model::population::Page;

/// The keys that hold a listing's items, in the order they are looked for.
const LISTINGS: [&str; 7] = [
    "data",
    "incidents",
    "log_entries",
    "records",
    "oncalls",
    "escalation_policies",
    "overrides",
];

/// Query parameters a REST response may echo beside its items.
const ECHOES: [&str; 10] = [
    "since",
    "until",
    "date_range",
    "statuses",
    "urgencies",
    "service_ids",
    "team_ids",
    "user_ids",
    "schedule_ids",
    "escalation_policy_ids",
];

/// A filter value as text: strings as they are, lists joined by `,`, other values as
/// compact JSON; `None` for null or an empty list.
pub(crate) fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.trim().to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(value_text).collect();
            (!parts.is_empty()).then(|| parts.join(","))
        }
        other => Some(other.to_string()),
    }
}

fn get<'a, T: Deserialize<'a>>(page: &Object<'a>, key: &str) -> Option<T> {
    page.get(key)
        .and_then(|v| serde_json::from_str::<Option<T>>(v.get()).ok())
        .flatten()
}

#[derive(Deserialize)]
struct EntryIncident {
    #[serde(default)]
    incident: Option<IdOnly>,
}

#[derive(Deserialize)]
struct Executed {
    #[serde(default)]
    execution_time: Option<String>,
}

#[derive(Deserialize)]
struct IdOnly {
    #[serde(default)]
    id: Option<String>,
}

/// The envelope of one page. `whole` is the page's raw text inside `text` (the file), for
/// its line; `items` is the number of items when the caller has counted them already.
pub(crate) fn page(
    _path: &Path,
    text: &str,
    obj: &Object<'_>,
    whole: &RawValue,
    items: Option<usize>,
) -> Page {
    let offset = whole.get().as_ptr() as usize - text.as_ptr() as usize;
    let line = Location::line_at(text.as_bytes(), offset);
    let listing = LISTINGS
        .iter()
        .find(|k| {
            obj.get(**k)
                .is_some_and(|v| v.get().trim_start().starts_with('['))
        })
        .copied()
        .unwrap_or_default();
    let list: Vec<&RawValue> = match (items, listing) {
        (Some(_), _) | (None, "") => Vec::new(),
        (None, key) => serde_json::from_str(obj[key].get()).unwrap_or_default(),
    };
    let mut filters = BTreeMap::new();
    if let Some(Value::Object(f)) = get::<Value>(obj, "filters") {
        for (k, v) in f {
            if let Some(t) = value_text(&v) {
                filters.insert(k, t);
            }
        }
    }
    if listing != "data" {
        for key in ECHOES {
            if let Some(t) = get::<Value>(obj, key).as_ref().and_then(value_text) {
                filters.insert(key.to_string(), t);
            }
        }
    }
    // A page of log entries all naming one incident is `GET /incidents/{id}/log_entries`.
    let incident = (listing == "log_entries")
        .then(|| {
            let ids: Vec<Option<String>> = list
                .iter()
                .map(|e| {
                    serde_json::from_str::<EntryIncident>(e.get())
                        .ok()
                        .and_then(|e| e.incident)
                        .and_then(|i| i.id)
                })
                .collect();
            match ids.first() {
                Some(Some(first)) if ids.iter().all(|i| i.as_ref() == Some(first)) => {
                    Some(first.clone())
                }
                _ => None,
            }
        })
        .flatten();
    let times: Vec<chrono::DateTime<chrono::Utc>> = if listing == "records" {
        list.iter()
            .filter_map(|r| serde_json::from_str::<Executed>(r.get()).ok())
            .filter_map(|r| r.execution_time)
            .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t.trim()).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
            .collect()
    } else {
        Vec::new()
    };
    Page {
        newest: times.iter().max().copied(),
        oldest: times.iter().min().copied(),
        line,
        listing: listing.to_string(),
        items: items.unwrap_or(list.len()) as u64,
        more: get(obj, "more"),
        limit: get(obj, "limit"),
        offset: get(obj, "offset"),
        last: get(obj, "last"),
        starting_after: get(obj, "starting_after"),
        next_cursor: obj.get("next_cursor").map(|v| {
            serde_json::from_str::<Option<String>>(v.get())
                .ok()
                .flatten()
        }),
        filters,
        time_zone: get(obj, "time_zone"),
        incident,
        ..Page::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Page {
        let path = Path::new("p.json");
        let pages = super::super::json::pages(path, text).unwrap().unwrap();
        let (obj, whole) = &pages[0];
        page(path, text, obj, whole, None)
    }

    #[test]
    fn analytics_filters_become_sorted_pairs() {
        let p = one(
            r#"{"data": [{"id": "P1"}], "more": true, "limit": 2, "last": "c2", "starting_after": null,
                "filters": {"urgency": "high", "team_ids": ["PT1", "PT2"], "created_at_start": "2025-01-01T00:00:00", "service_ids": []},
                "time_zone": "Etc/UTC"}"#,
        );
        assert_eq!(p.listing, "data");
        assert_eq!((p.items, p.more, p.limit), (1, Some(true), Some(2)));
        assert_eq!(p.last.as_deref(), Some("c2"));
        assert_eq!(p.starting_after, None);
        assert_eq!(
            Page::scope_text(&p.filters),
            "created_at_start=2025-01-01T00:00:00;team_ids=PT1,PT2;urgency=high"
        );
    }

    #[test]
    fn rest_offsets_cursors_and_one_incident_of_log_entries() {
        let p = one(
            r#"{"log_entries": [{"id": "L1", "incident": {"id": "PX"}}, {"id": "L2", "incident": {"id": "PX"}}], "offset": 100, "limit": 100, "more": false, "since": "2025-01-01"}"#,
        );
        assert_eq!((p.items, p.offset, p.more), (2, Some(100), Some(false)));
        assert_eq!(p.incident.as_deref(), Some("PX"));
        assert_eq!(Page::scope_text(&p.filters), "since=2025-01-01");
        let audit = one(r#"{"records": [], "limit": 10, "next_cursor": null}"#);
        assert_eq!(audit.next_cursor, Some(None));
        let audit = one(r#"{"records": [], "limit": 10, "next_cursor": "abc"}"#);
        assert_eq!(audit.next_cursor, Some(Some("abc".to_string())));
        assert_eq!(one(r#"{"records": []}"#).next_cursor, None);
    }
}
