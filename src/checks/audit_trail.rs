/*!
The admin change trail from PagerDuty's audit records: every change of the period described
in words and flagged (API token, deletion of an on-call target, role change), and the days of
the period no audit-record file spans. Definitions: `docs/oncall.md`.
*/

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Utc};
use chrono_tz::Tz;

use super::oncall::exception;
use crate::ingest::Ingested;
use crate::metrics::Metrics;
use crate::metrics::results::{Area, ResultRow, Verdict};
use crate::model::config::{AuditRecord, Export, Reference};
use crate::model::{Cause, Exception, ExceptionKind, FileRows};
use crate::policy::Policy;

/// One change of the admin trail.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AdminChange {
    pub record: AuditRecord,
    /// `user`, `schedule`, `escalation_policy`, `service`, `team`, `integration` …
    pub resource_type: String,
    /// What changed, in words (`team_role: observer → manager`, `members − John Doe`).
    pub changes: String,
    /// `api_token`, `on_call_target_deleted`, `role_change`.
    pub flags: Vec<&'static str>,
}

fn value_text(v: &Option<serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => "∅".to_string(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

impl AdminChange {
    /// The changed object's name: `details.resource`, else `root_resource`.
    pub(crate) fn resource(&self) -> &str {
        self.record
            .resource
            .as_ref()
            .unwrap_or(&self.record.root_resource)
            .label()
    }
}

impl AdminChange {
    /// Whether the change changes nothing (a create or delete always changes something).
    pub(crate) fn is_noop(&self) -> bool {
        let r = &self.record;
        r.action == "update"
            && r.fields.iter().all(|f| f.before_value == f.value)
            && r.references
                .iter()
                .all(|x| x.added.is_empty() && x.removed.is_empty())
    }
}

/// Describes and flags one record.
pub(crate) fn admin_change(record: &AuditRecord) -> AdminChange {
    let resource = record.resource.as_ref().unwrap_or(&record.root_resource);
    let resource_type = resource.kind.trim_end_matches("_reference").to_string();
    let mut parts = Vec::new();
    for f in &record.fields {
        parts.push(match (&f.before_value, &f.value) {
            (None, v) => format!("{}: {}", f.name, value_text(v)),
            (b, v) => format!("{}: {} → {}", f.name, value_text(b), value_text(v)),
        });
    }
    for r in &record.references {
        for a in &r.added {
            parts.push(format!("{} + {}", r.name, a.label()));
        }
        for d in &r.removed {
            parts.push(format!("{} − {}", r.name, d.label()));
        }
    }
    let mut flags = Vec::new();
    let by_token = record.method.kind == "api_token"
        || record.actors.iter().any(|a| a.kind == "api_key_reference");
    if by_token {
        flags.push("api_token");
    }
    let on_call_kinds = ["schedule", "escalation_policy", "user"];
    let deletes_target = (record.action == "delete"
        && on_call_kinds.contains(&resource_type.as_str()))
        || record.references.iter().any(|r| {
            !r.removed.is_empty()
                && (r.name.contains("target") || r.name == "users" || r.name.contains("layer"))
                && ["schedule", "escalation_policy"].contains(&resource_type.as_str())
        });
    if deletes_target {
        flags.push("on_call_target_deleted");
    }
    if record.fields.iter().any(|f| f.name.contains("role")) {
        flags.push("role_change");
    }
    AdminChange {
        record: record.clone(),
        resource_type,
        changes: parts.join("; "),
        flags,
    }
}

/// Days of the period (organisation zone) that no audit-record file spans: a file spans
/// from its earliest to its latest record's local day.
pub(crate) fn uncovered_days(
    files: &[Vec<&AuditRecord>],
    from: NaiveDate,
    to: NaiveDate,
    zone: Tz,
) -> Vec<(NaiveDate, NaiveDate)> {
    let mut covered = BTreeSet::new();
    for records in files {
        let days: Vec<NaiveDate> = records
            .iter()
            .map(|r| r.execution_time.with_timezone(&zone).date_naive())
            .collect();
        if let (Some(a), Some(b)) = (days.iter().min(), days.iter().max()) {
            let mut d = *a;
            while d <= *b {
                covered.insert(d);
                d = match d.succ_opt() {
                    Some(x) => x,
                    None => break,
                };
            }
        }
    }
    let mut out: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    let mut d = from;
    while d <= to {
        if !covered.contains(&d) {
            match out.last_mut() {
                Some(last) if last.1.succ_opt() == Some(d) => last.1 = d,
                _ => out.push((d, d)),
            }
        }
        d = match d.succ_opt() {
            Some(x) => x,
            None => break,
        };
    }
    out
}

/// What the audit-trail check found.
#[derive(Debug, Clone, Default)]
pub(crate) struct AuditTrail {
    /// Whether any audit-record export was supplied.
    pub has_audit: bool,
    /// The changes of the period, by time.
    pub changes: Vec<AdminChange>,
    /// Days of the period without audit-record coverage (first and last day of each run).
    pub gaps: Vec<(NaiveDate, NaiveDate)>,
    pub exceptions: Vec<Exception>,
    /// Records used and outside the period per audit-record file.
    pub file_counts: Vec<FileRows>,
}

impl AuditTrail {
    /// Changes made with an API token.
    /// Changes that change nothing: every field's value equals its value before, and no
    /// reference was added or removed (Terraform re-applying a configuration, say).
    pub(crate) fn noops(&self) -> usize {
        self.changes.iter().filter(|c| c.is_noop()).count()
    }

    pub(crate) fn by_token(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.flags.contains(&"api_token"))
            .count()
    }

    /// Changes that delete an on-call target.
    pub(crate) fn target_deletions(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.flags.contains(&"on_call_target_deleted"))
            .count()
    }

    /// The result: audit records for every day of the period; none without an export.
    pub(crate) fn results(&self) -> Vec<ResultRow> {
        if !self.has_audit {
            return Vec::new();
        }
        let days: i64 = self
            .gaps
            .iter()
            .map(|(a, b)| (*b - *a).num_days() + 1)
            .sum();
        vec![ResultRow {
            area: Area::AuditTrail,
            subject: crate::metrics::ALL.to_string(),
            measure: "days_without_records",
            value: days.to_string(),
            target: "0".to_string(),
            verdict: Verdict::from_bool(self.gaps.is_empty()),
            text: format!(
                "Admin changes in the period: {} ({} by API token, {} deleting on-call targets); {days} day(s) without audit records",
                self.changes.len(),
                self.by_token(),
                self.target_deletions()
            ),
            target_text: "every day evidenced".to_string(),
        }]
    }
}

/// One `on_call_target_deleted` exception per change that deletes an on-call target.
fn deletion_exceptions(changes: &[AdminChange]) -> Vec<Exception> {
    changes
        .iter()
        .filter(|c| c.flags.contains(&"on_call_target_deleted"))
        .map(|c| {
            exception(
                ExceptionKind::OnCallTargetDeleted,
                format!(
                    "{} {} `{}` by {} ({}) at {}: {}",
                    c.record.action,
                    c.resource_type,
                    c.resource(),
                    actor(&c.record),
                    method(&c.record),
                    c.record
                        .execution_time
                        .with_timezone(&Utc)
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    if c.changes.is_empty() {
                        "no details"
                    } else {
                        &c.changes
                    }
                ),
            )
        })
        .collect()
}

/// Whether a change names no person: no `actors[]`, or only API keys.
pub(crate) fn unattributed(r: &AuditRecord) -> bool {
    r.actors.iter().all(|a| a.kind == "api_key_reference")
}

/// Whether a record changed anything: a create or delete, a field whose value differs from
/// its `before_value`, or a reference added or removed.
fn changes_something(r: &AuditRecord) -> bool {
    r.action == "create"
        || r.action == "delete"
        || r.fields.iter().any(|f| f.before_value != f.value)
        || r.references
            .iter()
            .any(|x| !x.added.is_empty() || !x.removed.is_empty())
}

/// One `admin_change_unattributed` exception per change that names no person and changed
/// something; the token (or its absence) groups them into one finding per token.
fn unattributed_exceptions(changes: &[AdminChange]) -> Vec<Exception> {
    changes
        .iter()
        .filter(|c| unattributed(&c.record) && changes_something(&c.record))
        .map(|c| {
            let token = c
                .record
                .method
                .truncated_token
                .as_deref()
                .map_or_else(|| "none".to_string(), |t| format!("…{t}"));
            let cause = Cause::new(
                format!("token `{token}`"),
                format!("Configuration changed with no named person (token `{token}`)"),
            );
            let e = exception(
                ExceptionKind::AdminChangeUnattributed,
                format!(
                    "{} {} `{}` at {} names no person (method {}, token `{token}`): {}",
                    c.record.action,
                    c.resource_type,
                    c.resource(),
                    c.record
                        .execution_time
                        .with_timezone(&Utc)
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    c.record.method.kind,
                    if c.changes.is_empty() {
                        "no details"
                    } else {
                        &c.changes
                    }
                ),
            );
            Exception {
                cause: Some(cause),
                ..e
            }
        })
        .collect()
}

/// One `audit_trail_gap` exception per run of days without audit records.
fn gap_exceptions(gaps: &[(NaiveDate, NaiveDate)]) -> Vec<Exception> {
    gaps.iter()
        .map(|(a, b)| {
            exception(
                ExceptionKind::AuditTrailGap,
                format!(
                    "no audit-record file spans {}{} ({} day{}): changes then are not evidenced",
                    a,
                    if a == b {
                        String::new()
                    } else {
                        format!(" to {b}")
                    },
                    (*b - *a).num_days() + 1,
                    if a == b { "" } else { "s" }
                ),
            )
        })
        .collect()
}

/// The change trail of the period and its coverage.
pub(crate) fn assess(ingested: &Ingested, metrics: &Metrics, policy: &Policy) -> AuditTrail {
    let zone = policy.timezone;
    let (from, to) = (metrics.period.from, metrics.period.to);
    let in_period = |r: &AuditRecord| {
        let d = r.execution_time.with_timezone(&zone).date_naive();
        d >= from && d <= to
    };
    let audit_files: Vec<Vec<&AuditRecord>> = ingested
        .config
        .iter()
        .filter_map(|e| match e {
            Export::AuditRecords(r) => Some(r.iter().collect()),
            _ => None,
        })
        .collect();
    let mut changes: Vec<AdminChange> = audit_files
        .iter()
        .flatten()
        .filter(|r| in_period(r))
        .map(|r| admin_change(r))
        .collect();
    changes.sort_by(|a, b| {
        (a.record.execution_time, &a.record.id).cmp(&(b.record.execution_time, &b.record.id))
    });
    changes.dedup_by(|a, b| a.record.id == b.record.id && !a.record.id.is_empty());
    let has_audit = !audit_files.is_empty();
    let gaps = if has_audit {
        uncovered_days(&audit_files, from, to, zone)
    } else {
        Vec::new()
    };
    let mut exceptions = deletion_exceptions(&changes);
    exceptions.extend(unattributed_exceptions(&changes));
    exceptions.extend(gap_exceptions(&gaps));
    let file_counts = audit_files
        .iter()
        .filter_map(|records| {
            let outside = records.iter().filter(|r| !in_period(r)).count();
            Some(FileRows {
                file: records.first()?.source.file,
                used: (records.len() - outside) as u64,
                outside: outside as u64,
            })
        })
        .collect();
    AuditTrail {
        has_audit,
        changes,
        gaps,
        exceptions,
        file_counts,
    }
}

/// Who made a change: the actors' names and kinds, or `unknown actor`.
pub(crate) fn actor(r: &AuditRecord) -> String {
    if r.actors.is_empty() {
        return "unknown actor".to_string();
    }
    r.actors
        .iter()
        .map(|a: &Reference| format!("{} ({})", a.label(), a.kind.trim_end_matches("_reference")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How: `browser`, `api_token …3usr`, `identity_provider`.
pub(crate) fn method(r: &AuditRecord) -> String {
    match &r.method.truncated_token {
        Some(t) => format!("{} …{t}", r.method.kind),
        None => r.method.kind.clone(),
    }
}

/// Month (`YYYY-MM`, organisation zone) of a change.
pub(crate) fn month_of(c: &AdminChange, zone: Tz) -> String {
    let d = c.record.execution_time.with_timezone(&zone);
    format!("{:04}-{:02}", d.year(), d.month())
}
