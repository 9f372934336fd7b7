/*!
REST incidents (`GET /incidents`, `GET /incidents/{id}`) and log entries
(`GET /log_entries`, `GET /incidents/{id}/log_entries`).

A REST incident has no durations, and PagerDuty empties its `acknowledgements` once it is
resolved, so its time to acknowledge comes from the log entries: the first
`acknowledge_log_entry` (the spec's schema also spells it `acknowledgement_log_entry`; both are
read) minus the incident's `created_at`. Reading is two-step: each file yields pending
incidents and log entries; `finish` builds the incidents once every file's log entries are
known. Log entries also give the responder, assignments, notifications and escalations of
any incident, whatever export it came from.
*/

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::file_read::{FileRead, PendingIncident};
use super::json::{Object, source_of};
use super::record::{Field, MAX_FIELD_BYTES, RecordRules, build_incident};
use super::timestamp::parse_timestamp;
use crate::model::{Exception, Format, Incident, LogEntry, LogKind, Ref, RejectedRow, SourceRef};

/// Whether a page is a REST incidents or log-entries response.
pub(crate) fn kind(page: &Object<'_>) -> Option<Format> {
    if page.contains_key("log_entries") || page.contains_key("log_entry") {
        return Some(Format::RestLogEntries);
    }
    // One object of a list dump (a JSON list of the objects themselves, as `pd incident
    // list --json` or pdpyras' `iter_all` write them): known by its `type`.
    let object_type = page
        .get("type")
        .and_then(|v| serde_json::from_str::<String>(v.get()).ok());
    match object_type.as_deref() {
        Some("incident") if page.contains_key("created_at") => {
            return Some(Format::RestIncidents);
        }
        Some(t) if t.ends_with("_log_entry") && page.contains_key("incident") => {
            return Some(Format::RestLogEntries);
        }
        _ => {}
    }
    if let Some(one) = page.get("incident") {
        // A Statuspage incident also has `created_at`; its updates and short link tell it.
        return serde_json::from_str::<Object<'_>>(one.get())
            .is_ok_and(|o| {
                (o.contains_key("incident_number") || o.contains_key("created_at"))
                    && !super::statuspage::is_status_incident(&o)
            })
            .then_some(Format::RestIncidents);
    }
    let list = page.get("incidents")?;
    let items: Vec<Object<'_>> = serde_json::from_str(list.get()).ok()?;
    match items.first() {
        Some(first) => (first.contains_key("incident_number")
            && !first.contains_key("incident_updates"))
        .then_some(Format::RestIncidents),
        None => (!page.contains_key("page")
            && (page.contains_key("offset") || page.contains_key("more")))
        .then_some(Format::RestIncidents),
    }
}

#[derive(Deserialize)]
struct RawChannel {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    summary: Option<String>,
}

#[derive(Deserialize)]
struct RawLog {
    #[serde(default)]
    id: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    agent: Option<Ref>,
    #[serde(default)]
    channel: Option<RawChannel>,
    #[serde(default)]
    incident: Option<Ref>,
    #[serde(default)]
    assignees: Option<Vec<Ref>>,
    #[serde(default)]
    user: Option<Ref>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    resolve_reason: Option<RawResolveReason>,
}

/// `resolve_reason`: `{"type": "merge_resolve_reason", "incident": {…}}` for a merge.
#[derive(Deserialize)]
struct RawResolveReason {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    incident: Option<Ref>,
}

impl RawResolveReason {
    /// The incident merged into, when this is a merge: `#N` from the reference's summary
    /// (`[#1234] title`), else its id, else empty.
    fn merged_into(&self) -> Option<String> {
        if self.kind.as_deref() != Some("merge_resolve_reason") {
            return None;
        }
        Some(self.incident.as_ref().map(merge_target).unwrap_or_default())
    }
}

/// `#N` of an incident reference whose summary is `[#N] title`, else its id.
fn merge_target(r: &Ref) -> String {
    let number = r.summary.as_deref().and_then(|s| {
        let rest = s.trim().strip_prefix("[#")?;
        let (n, _) = rest.split_once(']')?;
        n.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| format!("#{n}"))
    });
    number.unwrap_or_else(|| r.id.clone().unwrap_or_default())
}

/// The `#N` a resolve entry's summary names when it resolved by merging (`Resolved by
/// merging into #1180`, `Merged into [#1180] …`); empty when it names none.
fn merge_in_summary(summary: &str) -> Option<String> {
    let lower = summary.to_ascii_lowercase();
    if !lower.contains("merg") {
        return None;
    }
    let after = summary
        .find('#')
        .map(|i| &summary[i + 1..])
        .unwrap_or_default();
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    Some(if digits.is_empty() {
        String::new()
    } else {
        format!("#{digits}")
    })
}

#[derive(Deserialize)]
struct RawAt {
    #[serde(default)]
    at: Option<String>,
}

#[derive(Deserialize)]
struct RawIncident {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    incident_number: Option<serde_json::Number>,
    #[serde(default)]
    title: Option<String>,
    /// The title under its older name.
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    urgency: Option<String>,
    #[serde(default)]
    priority: Option<Ref>,
    #[serde(default)]
    service: Option<Ref>,
    #[serde(default)]
    teams: Option<Vec<Ref>>,
    #[serde(default)]
    escalation_policy: Option<Ref>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    resolved_at: Option<String>,
    #[serde(default)]
    last_status_change_at: Option<String>,
    #[serde(default)]
    acknowledgements: Option<Vec<RawAt>>,
    #[serde(default)]
    external_references: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    html_url: Option<String>,
    #[serde(default)]
    assignments: Option<Vec<RawAssignment>>,
    #[serde(default)]
    resolve_reason: Option<RawResolveReason>,
}

#[derive(Deserialize)]
struct RawAssignment {
    #[serde(default)]
    assignee: Option<Ref>,
}

/// The items of a page: the list under `list_key`, the one object under `one_key`, or the
/// page itself when it is an object of a list dump.
fn items<'a>(
    page: &Object<'a>,
    whole: &'a RawValue,
    list_key: &str,
    one_key: &str,
) -> Result<Vec<&'a RawValue>, String> {
    if let Some(list) = page.get(list_key) {
        return serde_json::from_str(list.get()).map_err(|_| format!("`{list_key}` is not a list"));
    }
    Ok(vec![page.get(one_key).copied().unwrap_or(whole)])
}

/// Every string inside a JSON value, depth first (for external references).
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if !s.is_empty() => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// Reads recognised pages of one kind (`RestIncidents` or `RestLogEntries`).
pub(crate) fn read(
    path: &Path,
    text: &str,
    format: Format,
    pages: Vec<(Object<'_>, &RawValue)>,
) -> FileRead {
    let mut out = FileRead {
        format: Some(format),
        // REST timestamps carry `Z` or an offset; naive ones are read in the policy zone.
        ..FileRead::default()
    };
    let (list_key, one_key) = match format {
        Format::RestLogEntries => ("log_entries", "log_entry"),
        _ => ("incidents", "incident"),
    };
    for (page, whole) in &pages {
        let list = match items(page, whole, list_key, one_key) {
            Ok(l) => l,
            Err(why) => {
                out.rows_read += 1;
                let source = source_of(path, text, whole);
                out.rejected
                    .push(RejectedRow::new(source, why, source.raw(text.as_bytes())));
                continue;
            }
        };
        for item in list {
            out.rows_read += 1;
            let source = source_of(path, text, item);
            let outcome = match format {
                Format::RestLogEntries => log_entry(item, source).map(|e| out.log_entries.push(e)),
                _ => pending(item, source, source.raw(text.as_bytes()))
                    .map(|p| out.pending_rest.push(p)),
            };
            if let Err(reason) = outcome {
                out.rejected.push(RejectedRow::new(
                    source,
                    reason,
                    source.raw(text.as_bytes()),
                ));
            }
        }
    }
    out
}

fn log_entry(item: &RawValue, source: SourceRef) -> Result<LogEntry, String> {
    let raw: RawLog =
        serde_json::from_str(item.get()).map_err(|e| format!("not a log entry: {e}"))?;
    let id = raw
        .id
        .filter(|s| !s.is_empty())
        .ok_or("log entry without `id`")?;
    let incident_id = raw
        .incident
        .and_then(|r| r.id)
        .filter(|s| !s.is_empty())
        .ok_or("log entry names no incident (`incident.id` is missing)")?;
    let kind = raw
        .kind
        .as_deref()
        .map(LogKind::parse)
        .ok_or("log entry without `type`")?;
    let at = raw
        .created_at
        .as_deref()
        .ok_or_else(|| "log entry without `created_at`".to_string())
        .and_then(|t| {
            parse_timestamp(t, chrono_tz::Tz::UTC).map_err(|e| format!("`created_at`: {e}"))
        })?;
    let (channel, channel_summary) = raw.channel.map(|c| (c.kind, c.summary)).unwrap_or_default();
    let mut people: Vec<String> = raw
        .assignees
        .unwrap_or_default()
        .iter()
        .map(|r| r.label().to_string())
        .collect();
    if let Some(u) = raw.user {
        people.push(u.label().to_string());
    }
    let merged_into = match kind {
        LogKind::Resolve => raw
            .resolve_reason
            .as_ref()
            .and_then(RawResolveReason::merged_into)
            .or_else(|| raw.summary.as_deref().and_then(merge_in_summary)),
        _ => None,
    };
    let note = raw.note.filter(|n| !n.trim().is_empty());
    let text = match (note, kind) {
        (Some(n), _) => Some(n),
        (None, LogKind::Annotate) => channel_summary.filter(|s| !s.trim().is_empty()),
        _ => None,
    };
    if text.as_ref().is_some_and(|t| t.len() > MAX_FIELD_BYTES) {
        return Err(format!("the note holds more than {MAX_FIELD_BYTES} bytes"));
    }
    Ok(LogEntry {
        id,
        incident_id,
        kind,
        at,
        agent: raw.agent.unwrap_or_default(),
        channel,
        people,
        merged_into,
        text,
        source,
    })
}

fn pending(
    item: &RawValue,
    source: SourceRef,
    raw_text: String,
) -> Result<PendingIncident, String> {
    let raw: RawIncident =
        serde_json::from_str(item.get()).map_err(|e| format!("not an incident object: {e}"))?;
    let mut fields = BTreeMap::new();
    let mut put = |f: Field, v: Option<String>| {
        if let Some(v) = v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
            fields.insert(f, v);
        }
    };
    put(Field::Id, raw.id);
    put(
        Field::IncidentNumber,
        raw.incident_number.map(|n| n.to_string()),
    );
    // `summary` is "[#1234] title": the title, else its older name, else the summary.
    let summary = raw.summary.map(|s| match s.split_once("] ") {
        Some((n, t)) if n.starts_with("[#") => t.to_string(),
        _ => s,
    });
    put(
        Field::Description,
        raw.title.or(raw.description).or(summary),
    );
    put(Field::Status, raw.status);
    put(Field::Urgency, raw.urgency);
    put(
        Field::PriorityName,
        raw.priority.map(|p| p.label().to_string()),
    );
    put(
        Field::ServiceName,
        raw.service.map(|s| s.label().to_string()),
    );
    put(
        Field::TeamName,
        raw.teams
            .and_then(|t| t.into_iter().next())
            .map(|t| t.label().to_string()),
    );
    put(
        Field::EscalationPolicyName,
        raw.escalation_policy.map(|e| e.label().to_string()),
    );
    put(Field::CreatedAt, raw.created_at);
    put(Field::ResolvedAt, raw.resolved_at);
    put(Field::HtmlUrl, raw.html_url);
    let assignees: Vec<String> = raw
        .assignments
        .unwrap_or_default()
        .into_iter()
        .filter_map(|a| a.assignee)
        .map(|r| r.label().trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    let merged_into = raw
        .resolve_reason
        .as_ref()
        .and_then(RawResolveReason::merged_into);
    let acknowledged = raw
        .acknowledgements
        .unwrap_or_default()
        .into_iter()
        .filter_map(|a| a.at)
        .collect();
    let mut references = Vec::new();
    for r in raw.external_references.unwrap_or_default() {
        strings(&r, &mut references);
    }
    Ok(PendingIncident {
        fields,
        assignees,
        merged_into,
        acknowledged,
        last_status_change: raw.last_status_change_at,
        references,
        source,
        raw: raw_text,
    })
}

/// Builds a REST incident from its object and its log entries (`log`, in time order).
/// Time to acknowledge: the first acknowledge entry, else the open incident's
/// `acknowledgements`; a resolved incident with neither and no log entries at all cannot be
/// judged and is rejected. Resolution: `resolved_at`, else the last resolve entry, else
/// `last_status_change_at` of a resolved incident. Escalations are counted from the entries.
pub(crate) fn finish(
    p: &PendingIncident,
    log: &[&LogEntry],
    zone: chrono_tz::Tz,
) -> Result<(Incident, Option<Exception>), Box<RejectedRow>> {
    let reject = |reason: String| {
        Box::new(super::record::with_facts(
            RejectedRow::new(p.source, reason, p.raw.clone()),
            |f| p.fields.get(&f).map(String::as_str),
            zone,
        ))
    };
    let created = match p.fields.get(&Field::CreatedAt) {
        Some(t) => {
            parse_timestamp(t, zone).map_err(|e| reject(format!("key `created_at`: {e}")))?
        }
        None => {
            return Err(reject(
                "no creation time (key `created_at` is missing)".to_string(),
            ));
        }
    };
    let status = p.fields.get(&Field::Status).map(|s| s.to_ascii_lowercase());
    let resolved = status.as_deref() == Some("resolved");
    let first_ack = log
        .iter()
        .find(|e| e.kind == LogKind::Acknowledge)
        .map(|e| e.at);
    let ack = match first_ack {
        Some(t) => Some(t),
        None => p
            .acknowledged
            .iter()
            .map(|t| parse_timestamp(t, zone))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| reject(format!("`acknowledgements[].at`: {e}")))?
            .into_iter()
            .min(),
    };
    if ack.is_none() && status.as_deref() == Some("acknowledged") {
        return Err(reject(format!(
            "incident `{}` is acknowledged but no acknowledgement time is known (no acknowledge log entry, no `acknowledgements[].at`); export `GET /log_entries` for the period with the incidents",
            p.id().unwrap_or_default()
        )));
    }
    if resolved && log.is_empty() {
        return Err(reject(format!(
            "resolved incident `{}` has no log entries: PagerDuty drops `acknowledgements` from resolved incidents, so its time to acknowledge is unknown; export `GET /log_entries` for the period with the incidents",
            p.id().unwrap_or_default()
        )));
    }
    let mut fields = p.fields.clone();
    if let Some(a) = ack {
        let s = (a - created).num_milliseconds() as f64 / 1000.0;
        // To the millisecond: one decimal would turn a 300.04 s acknowledgement into a
        // 300.0 s one that meets a 5m target.
        fields.insert(Field::SecondsToFirstAck, format!("{s:.3}"));
    }
    if !fields.contains_key(&Field::ResolvedAt) && resolved {
        let from_log = log
            .iter()
            .rev()
            .find(|e| e.kind == LogKind::Resolve)
            .map(|e| crate::model::text::rfc3339(e.at));
        if let Some(t) = from_log.or_else(|| p.last_status_change.clone()) {
            fields.insert(Field::ResolvedAt, t);
        }
    }
    if !log.is_empty() {
        let escalations = log.iter().filter(|e| e.kind == LogKind::Escalate);
        fields.insert(
            Field::EscalationCount,
            escalations.clone().count().to_string(),
        );
        fields.insert(
            Field::TimeoutEscalationCount,
            escalations
                .filter(|e| e.is_timeout_escalation())
                .count()
                .to_string(),
        );
    }
    for (field, names) in responders(p, log) {
        if !names.is_empty() {
            fields.insert(field, names.join("; "));
        }
    }
    let rules = RecordRules {
        zone,
        zero_ack_means_none: false,
        column_name: rest_name,
        detail: super::record::Detail::Full,
    };
    let (mut incident, exception) =
        build_incident(|f| fields.get(&f).map(String::as_str), p.source, &rules).map_err(reject)?;
    // Log entries (or an open incident's assignments) name the responders.
    incident.responders.named = !log.is_empty() || !p.assignees.is_empty();
    incident.merged_into = p
        .merged_into
        .clone()
        .or_else(|| log.iter().rev().find_map(|e| e.merged_into.clone()));
    Ok((incident, exception))
}

/// Who responded, from the log entries: assignees of the incident and of its assign and
/// escalate entries; the users who acknowledged; the user of the last resolve entry (none
/// when a service resolved it). Each name once, in the order first seen.
fn responders(p: &PendingIncident, log: &[&LogEntry]) -> [(Field, Vec<String>); 3] {
    fn push(names: &mut Vec<String>, name: &str) {
        let name = name.trim();
        if !name.is_empty() && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    let mut assigned = Vec::new();
    for name in &p.assignees {
        push(&mut assigned, name);
    }
    let mut acknowledged = Vec::new();
    let mut resolved = Vec::new();
    for e in log {
        match e.kind {
            LogKind::Assign | LogKind::Escalate => {
                for name in &e.people {
                    push(&mut assigned, name);
                }
            }
            LogKind::Acknowledge if !e.agent.is_service() => {
                push(&mut acknowledged, e.agent.label());
            }
            LogKind::Resolve => {
                resolved.clear();
                if !e.agent.is_service() {
                    push(&mut resolved, e.agent.label());
                }
            }
            _ => {}
        }
    }
    [
        (Field::AssignedTo, assigned),
        (Field::AcknowledgedBy, acknowledged),
        (Field::ResolvedBy, resolved),
    ]
}

/// Where each Analytics-named field comes from in a REST incident, for messages.
fn rest_name(f: Field) -> &'static str {
    match f {
        Field::Description => "title",
        Field::PriorityName => "priority.summary",
        Field::ServiceName => "service.summary",
        Field::TeamName => "teams[0].summary",
        Field::EscalationPolicyName => "escalation_policy.summary",
        Field::SecondsToFirstAck => "first acknowledge_log_entry - created_at",
        Field::EscalationCount => "escalate_log_entry count",
        Field::TimeoutEscalationCount => "timeout escalate_log_entry count",
        Field::AssignedTo => "assignees of assign and escalate log entries",
        Field::AcknowledgedBy => "agents of acknowledge log entries",
        Field::ResolvedBy => "agent of the resolve log entry",
        other => other.name(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages(text: &str) -> FileRead {
        match crate::ingest::recognise::json(Path::new("r.json"), text).unwrap() {
            crate::ingest::recognise::JsonKind::Rest(format, pages) => {
                read(Path::new("r.json"), text, format, pages)
            }
            _ => panic!("not recognised as REST"),
        }
    }

    #[test]
    fn one_incident_pages_per_line_and_older_names() {
        // `GET /incidents/{id}`: one incident; the title only in `summary`.
        let one = pages(
            r#"{"incident": {"id": "PX", "incident_number": 7, "summary": "[#7] Disk full", "created_at": "2026-03-01T00:00:00Z", "status": "triggered"}}"#,
        );
        assert_eq!(one.format, Some(Format::RestIncidents));
        assert_eq!(one.pending_rest.len(), 1);
        let (incident, _) = finish(&one.pending_rest[0], &[], chrono_tz::Tz::UTC).unwrap();
        assert_eq!(incident.description.as_deref(), Some("Disk full"));
        // Log-entry pages one per line (NDJSON), agent and channel null.
        let log = pages(
            "{\"log_entries\": [{\"id\": \"L1\", \"type\": \"trigger_log_entry\", \"created_at\": \"2026-03-01T00:00:00+01:00\", \"agent\": null, \"channel\": null, \"incident\": {\"id\": \"PX\"}}], \"more\": true}\n{\"log_entries\": [{\"id\": \"L2\", \"type\": \"acknowledgement_log_entry\", \"created_at\": \"2026-03-01T00:05:00Z\", \"incident\": {\"id\": \"PX\"}}], \"more\": false}\n",
        );
        assert_eq!(log.format, Some(Format::RestLogEntries));
        assert_eq!(log.log_entries.len(), 2);
        assert_eq!(log.log_entries[1].source.line, 2);
        assert_eq!(
            log.log_entries[0].at.to_rfc3339(),
            "2026-02-28T23:00:00+00:00"
        );
        let entries: Vec<&LogEntry> = log.log_entries.iter().collect();
        let (incident, _) = finish(&one.pending_rest[0], &entries, chrono_tz::Tz::UTC).unwrap();
        assert_eq!(incident.tta_s, Some(300.0));
    }

    #[test]
    fn an_acknowledged_incident_without_an_acknowledgement_time_is_not_guessed() {
        let read = pages(
            r#"{"incidents": [{"id": "PY", "incident_number": 8, "title": "x", "created_at": "2026-03-01T00:00:00Z", "status": "acknowledged", "acknowledgements": []}], "more": false}"#,
        );
        let why = finish(&read.pending_rest[0], &[], chrono_tz::Tz::UTC)
            .unwrap_err()
            .reason;
        assert!(
            why.starts_with("incident `PY` is acknowledged but no acknowledgement time is known"),
            "{why}"
        );
    }

    #[test]
    fn time_to_acknowledge_keeps_its_milliseconds() {
        let one = pages(
            r#"{"incident": {"id": "PX", "incident_number": 7, "title": "t", "created_at": "2026-03-01T00:00:00Z", "status": "triggered"}}"#,
        );
        let log = pages(
            r#"{"log_entries": [{"id": "L", "type": "acknowledge_log_entry", "created_at": "2026-03-01T00:05:00.040Z", "incident": {"id": "PX"}}]}"#,
        );
        let entries: Vec<&LogEntry> = log.log_entries.iter().collect();
        let (incident, _) = finish(&one.pending_rest[0], &entries, chrono_tz::Tz::UTC).unwrap();
        assert_eq!(incident.tta_s, Some(300.04));
    }

    #[test]
    fn list_dumps_of_the_objects_themselves() {
        let incidents = pages(
            r#"[{"id": "PA", "type": "incident", "incident_number": 1, "title": "a", "created_at": "2026-03-01T00:00:00Z", "status": "triggered"},
                {"id": "PB", "type": "incident", "incident_number": 2, "title": "b", "created_at": "2026-03-01T01:00:00Z", "status": "triggered"}]"#,
        );
        assert_eq!(incidents.format, Some(Format::RestIncidents));
        assert_eq!(incidents.rows_read, 2);
        assert_eq!(incidents.pending_rest[1].id(), Some("PB"));
        assert_eq!(incidents.pending_rest[1].source.line, 2);
        let log = pages(
            r#"[{"id": "L1", "type": "acknowledge_log_entry", "created_at": "2026-03-01T00:01:00Z", "incident": {"id": "PA", "type": "incident_reference"}}]"#,
        );
        assert_eq!(log.format, Some(Format::RestLogEntries));
        assert_eq!(log.log_entries.len(), 1);
    }

    #[test]
    fn both_acknowledgement_spellings_and_references() {
        assert_eq!(
            LogKind::parse("acknowledge_log_entry"),
            LogKind::Acknowledge
        );
        assert_eq!(
            LogKind::parse("acknowledgement_log_entry"),
            LogKind::Acknowledge
        );
        assert_eq!(
            LogKind::parse("trigger_log_entry_reference"),
            LogKind::Trigger
        );
        assert_eq!(
            LogKind::parse("field_value_change_log_entry"),
            LogKind::Other
        );
    }
}
