/*!
Statuspage (Atlassian) incidents: the public `GET /api/v2/incidents.json` response
(`{"page": {…}, "incidents": [...]}`), or the management API's
`GET /v1/pages/{page_id}/incidents` list (a JSON list of incident objects). Each incident is
a row: `id`, `name`, `status`, `impact`, `created_at` (when it was published), `started_at`
(when the impact began; may be set back), `resolved_at`, `components[]` and
`incident_updates[].affected_components[]`. Scheduled maintenances are not incidents.
*/

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::file_read::FileRead;
use super::json::{Object, source_of};
use super::timestamp::parse_timestamp;
use crate::model::StatusIncident;
use crate::model::{Format, RejectedRow, SourceRef};

pub(crate) fn is_status_incident(o: &Object<'_>) -> bool {
    o.contains_key("incident_updates") || o.contains_key("shortlink")
}

/// Whether a page is a Statuspage incidents response, or (from a bare list) one incident.
pub(crate) fn kind(page: &Object<'_>) -> bool {
    if let Some(list) = page.get("incidents") {
        return serde_json::from_str::<Vec<Object<'_>>>(list.get()).is_ok_and(|items| {
            items
                .first()
                .map_or(page.contains_key("page"), is_status_incident)
        });
    }
    // One incident: the public `GET /api/v2/incidents/{id}.json` wraps it in `incident`
    // beside `page`; the management API's `GET /v1/pages/{page_id}/incidents/{id}` is the
    // object itself.
    if let Some(one) = page.get("incident") {
        return serde_json::from_str::<Object<'_>>(one.get()).is_ok_and(|o| is_status_incident(&o));
    }
    page.contains_key("name") && is_status_incident(page)
}

#[derive(Deserialize, Default)]
struct Named {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct RawUpdate {
    #[serde(default)]
    affected_components: Option<Vec<Named>>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    display_at: Option<String>,
}

#[derive(Deserialize)]
struct RawStatusIncident {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    impact: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    started_at: Option<String>,
    #[serde(default)]
    resolved_at: Option<String>,
    #[serde(default)]
    scheduled_for: Option<String>,
    #[serde(default)]
    components: Option<Vec<Named>>,
    #[serde(default)]
    incident_updates: Option<Vec<RawUpdate>>,
}

const MAINTENANCE: [&str; 4] = ["scheduled", "in_progress", "verifying", "completed"];

fn incident(item: &RawValue, source: SourceRef) -> Result<StatusIncident, String> {
    let raw: RawStatusIncident =
        serde_json::from_str(item.get()).map_err(|e| format!("not a status-page incident: {e}"))?;
    let id = raw
        .id
        .filter(|s| !s.is_empty())
        .ok_or("incident without `id`")?;
    if raw.scheduled_for.is_some()
        || raw
            .status
            .as_deref()
            .is_some_and(|s| MAINTENANCE.contains(&s))
    {
        return Err(format!(
            "`{id}` is a scheduled maintenance, not an incident"
        ));
    }
    let time = |key: &str, v: Option<&str>| -> Result<Option<DateTime<Utc>>, String> {
        v.map(|t| parse_timestamp(t, chrono_tz::Tz::UTC).map_err(|e| format!("`{key}`: {e}")))
            .transpose()
    };
    let notice = time("created_at", raw.created_at.as_deref())?
        .ok_or("incident without `created_at` (when it was published)")?;
    let started = time("started_at", raw.started_at.as_deref())?.unwrap_or(notice);
    let resolved = time("resolved_at", raw.resolved_at.as_deref())?;
    let updates = raw.incident_updates.unwrap_or_default();
    // The latest update, for the default as-of time (an unreadable one is not an event).
    let last_update = updates
        .iter()
        .flat_map(|u| [u.created_at.as_deref(), u.display_at.as_deref()])
        .flatten()
        .filter_map(|t| parse_timestamp(t, chrono_tz::Tz::UTC).ok())
        .max();
    let mut components: Vec<String> = raw
        .components
        .unwrap_or_default()
        .into_iter()
        .chain(
            updates
                .into_iter()
                .flat_map(|u| u.affected_components.unwrap_or_default()),
        )
        .filter_map(|c| c.name)
        .filter(|n| !n.trim().is_empty())
        .collect();
    components.sort();
    components.dedup();
    Ok(StatusIncident {
        id,
        name: raw.name.unwrap_or_default(),
        impact: raw.impact,
        status: raw.status,
        started: started.min(notice),
        notice,
        resolved,
        last_update,
        components,
        source,
    })
}

/// Reads recognised pages (or, from a bare list, incident objects).
pub(crate) fn read(path: &Path, text: &str, pages: Vec<(Object<'_>, &RawValue)>) -> FileRead {
    let mut out = FileRead {
        format: Some(Format::StatuspageIncidents),
        ..FileRead::default()
    };
    for (page, whole) in &pages {
        let items: Vec<&RawValue> = match (page.get("incidents"), page.get("incident")) {
            (Some(list), _) => serde_json::from_str(list.get()).unwrap_or_default(),
            (None, Some(one)) => vec![*one],
            (None, None) => vec![*whole],
        };
        for item in items {
            out.rows_read += 1;
            let source = source_of(path, text, item);
            match incident(item, source) {
                Ok(i) => out.status_incidents.push(i),
                Err(reason) => out.rejected.push(RejectedRow::new(
                    source,
                    reason,
                    source.raw(text.as_bytes()),
                )),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognised_apart_from_rest_incidents() {
        let public = r#"{"page": {"id": "x"}, "incidents": []}"#;
        let o: Object<'_> = serde_json::from_str(public).unwrap();
        assert!(kind(&o));
        let rest = r#"{"incidents": [{"id": "P1", "incident_number": 1}], "more": false}"#;
        let o: Object<'_> = serde_json::from_str(rest).unwrap();
        assert!(!kind(&o));
        let one = r#"{"id": "a", "name": "API down", "incident_updates": []}"#;
        let o: Object<'_> = serde_json::from_str(one).unwrap();
        assert!(kind(&o));
    }
}
