/*!
The PagerDuty configuration exports, recognised by their keys: `GET /schedules/{id}`
(`schedule` with `final_schedule`), `GET /schedules/{id}/overrides` (`overrides`),
`GET /oncalls` (`oncalls`), `GET /escalation_policies` (`escalation_policies`) and
`GET /audit/records` (`records`). One response per file, or several (a JSON list of them, or
one per line). Items whose timestamps cannot be read become rejected rows; nothing else here
judges anything.
*/

use std::path::Path;

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::file_read::FileRead;
use crate::error::{Error, Location};
use crate::model::config::*;
use crate::model::{Format, RejectedRow, SourceRef};

use super::json::Object;

/// Which configuration export a JSON page is, by its keys.
pub(crate) fn kind(page: &Object<'_>) -> Option<Format> {
    if let Some(s) = page.get("schedule") {
        let inner: Object<'_> = serde_json::from_str(s.get()).ok()?;
        return (inner.contains_key("final_schedule") || inner.contains_key("schedule_layers"))
            .then_some(Format::PdSchedule);
    }
    if page.contains_key("escalation_policies") {
        return Some(Format::PdEscalationPolicies);
    }
    if page.contains_key("oncalls") {
        return Some(Format::PdOncalls);
    }
    if page.contains_key("overrides") {
        return Some(Format::PdOverrides);
    }
    if page.contains_key("records")
        && (page.contains_key("next_cursor")
            || serde_json::from_str::<Vec<Object<'_>>>(page["records"].get())
                .is_ok_and(|r| r.first().is_none_or(|o| o.contains_key("execution_time"))))
    {
        return Some(Format::PdAuditRecords);
    }
    None
}

fn time(s: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(s.trim()).map_err(|_| {
        format!(
            "`{s}` is not an RFC 3339 timestamp with an offset (e.g. 2025-03-01T09:00:00-05:00)"
        )
    })
}

struct Reader<'t> {
    path: &'t Path,
    text: &'t str,
    out: FileRead,
    /// A value that makes the whole export unreadable (an unknown time-zone name).
    fail: Option<Error>,
}

impl<'t> Reader<'t> {
    fn source(&self, item: &RawValue) -> SourceRef {
        crate::ingest::json::source_of(self.path, self.text, item)
    }

    fn reject(&mut self, item: &RawValue, reason: String) {
        let source = self.source(item);
        self.out.rejected.push(RejectedRow::new(
            source,
            reason,
            item.get().chars().take(500).collect(),
        ));
    }

    /// `items` of a list under `key`; a missing or malformed list rejects the page.
    fn list<'a>(&mut self, page: &Object<'a>, key: &str, whole: &'a RawValue) -> Vec<&'a RawValue> {
        match page
            .get(key)
            .map(|v| serde_json::from_str::<Vec<&RawValue>>(v.get()))
        {
            Some(Ok(items)) => items,
            _ => {
                self.out.rows_read += 1;
                self.reject(whole, format!("`{key}` is not a list"));
                Vec::new()
            }
        }
    }
}

#[derive(Deserialize)]
struct RawEntry {
    start: Option<String>,
    end: Option<String>,
    #[serde(default)]
    user: Reference,
}

fn entry(r: &mut Reader<'_>, item: &RawValue) -> Option<Entry> {
    r.out.rows_read += 1;
    let raw: RawEntry = match serde_json::from_str(item.get()) {
        Ok(e) => e,
        Err(e) => {
            r.reject(item, format!("not an on-call entry: {e}"));
            return None;
        }
    };
    let start = match raw.start.as_deref().map(time) {
        Some(Ok(t)) => t,
        Some(Err(why)) => {
            r.reject(item, format!("`start`: {why}"));
            return None;
        }
        None => {
            r.reject(item, "`start` is missing".to_string());
            return None;
        }
    };
    let end = match raw.end.as_deref().map(time) {
        Some(Ok(t)) if t < start => {
            r.reject(item, "`end` is before `start`".to_string());
            return None;
        }
        Some(Ok(t)) => Some(t),
        Some(Err(why)) => {
            r.reject(item, format!("`end`: {why}"));
            return None;
        }
        None => None,
    };
    Some(Entry {
        start,
        end,
        user: raw.user,
        source: r.source(item),
    })
}

fn entries_of(r: &mut Reader<'_>, sub: Option<&RawValue>) -> Vec<Entry> {
    let Some(sub) = sub else { return Vec::new() };
    let Ok(obj) = serde_json::from_str::<Object<'_>>(sub.get()) else {
        return Vec::new();
    };
    let Some(list) = obj
        .get("rendered_schedule_entries")
        .and_then(|v| serde_json::from_str::<Vec<&RawValue>>(v.get()).ok())
    else {
        return Vec::new();
    };
    list.into_iter().filter_map(|i| entry(r, i)).collect()
}

fn string(obj: &Object<'_>, key: &str) -> Option<String> {
    obj.get(key)
        .and_then(|v| serde_json::from_str::<Option<String>>(v.get()).ok())
        .flatten()
}

/// `GET /schedules/{id}` pages: each schedule with its final, layer and override entries.
/// A schedule's `time_zone` as an IANA name (a Rails name such as `Eastern Time (US &
/// Canada)` mapped through the ActiveSupport table); an unknown name fails the export.
fn schedule_zone(r: &mut Reader<'_>, s: &Object<'_>) -> Option<String> {
    let name = string(s, "time_zone")?;
    match super::zone_name::zone(&name) {
        Some(tz) => Some(tz.name().to_string()),
        None => {
            let at = s["time_zone"];
            let offset = at.get().as_ptr() as usize - r.text.as_ptr() as usize;
            r.fail.get_or_insert(Error::InputInvalid {
                location: Location::at_offset(r.path, r.text.as_bytes(), offset),
                reason: format!(
                    "`schedule.time_zone`: `{name}` is neither an IANA time zone (e.g. `America/New_York`) nor a Rails time-zone name (e.g. `Eastern Time (US & Canada)`)"
                ),
            });
            None
        }
    }
}

fn schedules(r: &mut Reader<'_>, pages: &[(Object<'_>, &RawValue)]) -> Vec<Schedule> {
    let mut schedules = Vec::new();
    for (page, whole) in pages {
        let Some(s) = page
            .get("schedule")
            .and_then(|s| serde_json::from_str::<Object<'_>>(s.get()).ok())
        else {
            continue;
        };
        let final_entries = entries_of(r, s.get("final_schedule").copied());
        // Layer and override entries explain the final ones; they are not rows.
        let before = (r.out.rows_read, r.out.rejected.len());
        let mut layer_entries = Vec::new();
        if let Some(layers) = s
            .get("schedule_layers")
            .and_then(|v| serde_json::from_str::<Vec<&RawValue>>(v.get()).ok())
        {
            for l in layers {
                layer_entries.extend(entries_of(r, Some(l)));
            }
        }
        let override_entries = entries_of(r, s.get("overrides_subschedule").copied());
        r.out.rows_read = before.0;
        r.out.rejected.truncate(before.1);
        let _ = whole;
        schedules.push(Schedule {
            id: string(&s, "id").unwrap_or_default(),
            name: string(&s, "name")
                .or_else(|| string(&s, "summary"))
                .unwrap_or_default(),
            time_zone: schedule_zone(r, &s),
            final_entries,
            layer_entries,
            override_entries,
            file: 0,
        });
    }
    schedules
}

/// `GET /schedules/{id}/overrides` pages.
fn overrides(r: &mut Reader<'_>, pages: &[(Object<'_>, &RawValue)]) -> Vec<Override> {
    let mut out = Vec::new();
    for (page, whole) in pages {
        for item in r.list(page, "overrides", whole) {
            let id = serde_json::from_str::<Object<'_>>(item.get())
                .ok()
                .and_then(|o| string(&o, "id"))
                .unwrap_or_default();
            if let Some(e) = entry(r, item) {
                out.push(Override { id, entry: e });
            }
        }
    }
    out
}

/// `GET /oncalls` pages.
fn oncalls(r: &mut Reader<'_>, pages: &[(Object<'_>, &RawValue)]) -> Vec<OnCall> {
    #[derive(Deserialize)]
    struct RawOnCall {
        #[serde(default)]
        user: Reference,
        schedule: Option<Reference>,
        #[serde(default)]
        escalation_policy: Reference,
        escalation_level: Option<i64>,
        start: Option<String>,
        end: Option<String>,
    }
    let mut out = Vec::new();
    for (page, whole) in pages {
        for item in r.list(page, "oncalls", whole) {
            r.out.rows_read += 1;
            let raw: RawOnCall = match serde_json::from_str(item.get()) {
                Ok(o) => o,
                Err(e) => {
                    r.reject(item, format!("not an on-call: {e}"));
                    continue;
                }
            };
            let parse = |v: &Option<String>| v.as_deref().map(time).transpose();
            let (start, end) = match (parse(&raw.start), parse(&raw.end)) {
                (Ok(s), Ok(e)) => (s, e),
                (Err(why), _) | (_, Err(why)) => {
                    r.reject(item, why);
                    continue;
                }
            };
            out.push(OnCall {
                schedule: raw.schedule.filter(|s| !s.id.is_empty()),
                escalation_policy: raw.escalation_policy,
                level: raw.escalation_level.unwrap_or(1),
                start,
                end,
                user: raw.user,
                source: r.source(item),
            });
        }
    }
    out
}

/// `GET /escalation_policies` pages.
fn escalation_policies(
    r: &mut Reader<'_>,
    pages: &[(Object<'_>, &RawValue)],
) -> Vec<EscalationPolicy> {
    #[derive(Deserialize)]
    struct RawRule {
        escalation_delay_in_minutes: Option<i64>,
        #[serde(default)]
        targets: Vec<Reference>,
    }
    #[derive(Deserialize)]
    struct RawPolicy {
        #[serde(default)]
        id: String,
        name: Option<String>,
        summary: Option<String>,
        #[serde(default)]
        num_loops: Option<i64>,
        #[serde(default)]
        escalation_rules: Vec<RawRule>,
        #[serde(default)]
        services: Vec<Reference>,
    }
    let mut out = Vec::new();
    for (page, whole) in pages {
        for item in r.list(page, "escalation_policies", whole) {
            r.out.rows_read += 1;
            match serde_json::from_str::<RawPolicy>(item.get()) {
                Ok(p) => out.push(EscalationPolicy {
                    name: p.name.or(p.summary).unwrap_or_else(|| p.id.clone()),
                    id: p.id,
                    num_loops: p.num_loops.unwrap_or(0),
                    rules: p
                        .escalation_rules
                        .into_iter()
                        .map(|r| Rule {
                            delay_min: r.escalation_delay_in_minutes.unwrap_or(0),
                            targets: r.targets,
                        })
                        .collect(),
                    services: p.services,
                    source: r.source(item),
                }),
                Err(e) => r.reject(item, format!("not an escalation policy: {e}")),
            }
        }
    }
    out
}

/// `GET /audit/records` pages.
fn audit_records(r: &mut Reader<'_>, pages: &[(Object<'_>, &RawValue)]) -> Vec<AuditRecord> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct RawDetails {
        resource: Option<Reference>,
        fields: Vec<FieldChange>,
        references: Vec<ReferenceChange>,
    }
    #[derive(Deserialize)]
    struct RawRecord {
        #[serde(default)]
        id: String,
        execution_time: String,
        #[serde(default)]
        actors: Vec<Reference>,
        #[serde(default)]
        method: Method,
        #[serde(default)]
        root_resource: Reference,
        #[serde(default)]
        action: String,
        details: Option<RawDetails>,
    }
    let mut out = Vec::new();
    for (page, whole) in pages {
        for item in r.list(page, "records", whole) {
            r.out.rows_read += 1;
            let raw: RawRecord = match serde_json::from_str(item.get()) {
                Ok(x) => x,
                Err(e) => {
                    r.reject(item, format!("not an audit record: {e}"));
                    continue;
                }
            };
            let execution_time = match time(&raw.execution_time) {
                Ok(t) => t,
                Err(why) => {
                    r.reject(item, format!("`execution_time`: {why}"));
                    continue;
                }
            };
            let details = raw.details.unwrap_or_default();
            out.push(AuditRecord {
                id: raw.id,
                execution_time,
                actors: raw.actors,
                method: raw.method,
                root_resource: raw.root_resource,
                action: raw.action,
                resource: details.resource,
                fields: details.fields,
                references: details.references,
                source: r.source(item),
            });
        }
    }
    out
}

/// Reads recognised pages of one kind. Rows are the entries, overrides, on-calls, policies
/// or records.
pub(crate) fn read(
    path: &Path,
    text: &str,
    format: Format,
    pages: Vec<(Object<'_>, &RawValue)>,
) -> Result<FileRead, Error> {
    let mut r = Reader {
        path,
        text,
        out: FileRead {
            format: Some(format),
            ..FileRead::default()
        },
        fail: None,
    };
    let export = match format {
        Format::PdSchedule => Export::Schedules(schedules(&mut r, &pages)),
        Format::PdOverrides => Export::Overrides(overrides(&mut r, &pages)),
        Format::PdOncalls => Export::Oncalls(oncalls(&mut r, &pages)),
        Format::PdEscalationPolicies => {
            Export::EscalationPolicies(escalation_policies(&mut r, &pages))
        }
        Format::PdAuditRecords => Export::AuditRecords(audit_records(&mut r, &pages)),
        _ => unreachable!("read is called with a configuration format"),
    };
    if let Some(e) = r.fail {
        return Err(e);
    }
    r.out.config = Some(export);
    Ok(r.out)
}
