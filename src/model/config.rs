//! The PagerDuty configuration records as read: schedules and their entries, overrides,
//! on-calls, escalation policies and audit records, with where each came from. Read by
//! `ingest::pagerduty_config`, judged by the on-call, escalation and audit-trail checks.

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

use super::SourceRef;

/// A reference to another object (`{id, type, summary}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub(crate) struct Reference {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub summary: String,
}

impl Reference {
    /// The summary, else the id.
    pub(crate) fn label(&self) -> &str {
        if self.summary.is_empty() {
            &self.id
        } else {
            &self.summary
        }
    }
}

/// One rendered on-call entry (final schedule, layer or override), or an on-call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub start: DateTime<FixedOffset>,
    /// `None`: open-ended.
    pub end: Option<DateTime<FixedOffset>>,
    pub user: Reference,
    pub source: SourceRef,
}

/// A schedule as `GET /schedules/{id}` renders it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Schedule {
    pub id: String,
    pub name: String,
    /// The schedule's zone name as exported (IANA or Rails).
    pub time_zone: Option<String>,
    /// `final_schedule.rendered_schedule_entries`: who is on call, overrides applied.
    pub final_entries: Vec<Entry>,
    /// Every layer's rendered entries (who was scheduled before overrides).
    pub layer_entries: Vec<Entry>,
    /// `overrides_subschedule.rendered_schedule_entries`.
    pub override_entries: Vec<Entry>,
    /// Input file index.
    pub file: usize,
}

/// An override (`GET /schedules/{id}/overrides`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Override {
    pub id: String,
    pub entry: Entry,
}

/// An on-call (`GET /oncalls`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OnCall {
    pub schedule: Option<Reference>,
    pub escalation_policy: Reference,
    pub level: i64,
    /// Start and end are `None` for a permanent on-call (a user target).
    pub start: Option<DateTime<FixedOffset>>,
    pub end: Option<DateTime<FixedOffset>>,
    pub user: Reference,
    pub source: SourceRef,
}

/// One escalation rule (level).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    pub delay_min: i64,
    pub targets: Vec<Reference>,
}

/// An escalation policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EscalationPolicy {
    pub id: String,
    pub name: String,
    pub num_loops: i64,
    pub rules: Vec<Rule>,
    pub services: Vec<Reference>,
    pub source: SourceRef,
}

/// A changed field of an audit record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub(crate) struct FieldChange {
    pub name: String,
    pub before_value: Option<serde_json::Value>,
    pub value: Option<serde_json::Value>,
}

/// A changed reference list (members, targets) of an audit record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub(crate) struct ReferenceChange {
    pub name: String,
    pub added: Vec<Reference>,
    pub removed: Vec<Reference>,
}

/// How a change was made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub(crate) struct Method {
    #[serde(rename = "type")]
    pub kind: String,
    pub truncated_token: Option<String>,
    pub description: Option<String>,
}

/// One audit record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AuditRecord {
    pub id: String,
    pub execution_time: DateTime<FixedOffset>,
    pub actors: Vec<Reference>,
    pub method: Method,
    pub root_resource: Reference,
    pub action: String,
    pub resource: Option<Reference>,
    pub fields: Vec<FieldChange>,
    pub references: Vec<ReferenceChange>,
    pub source: SourceRef,
}

/// What one configuration file held.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Export {
    Schedules(Vec<Schedule>),
    Overrides(Vec<Override>),
    Oncalls(Vec<OnCall>),
    EscalationPolicies(Vec<EscalationPolicy>),
    AuditRecords(Vec<AuditRecord>),
}

impl Export {
    /// Sets the input file index of every item's source.
    pub(crate) fn set_file(&mut self, file: usize) {
        let fix = |s: &mut SourceRef| s.file = file;
        match self {
            Self::Schedules(list) => {
                for s in list {
                    s.file = file;
                    for e in s
                        .final_entries
                        .iter_mut()
                        .chain(&mut s.layer_entries)
                        .chain(&mut s.override_entries)
                    {
                        fix(&mut e.source);
                    }
                }
            }
            Self::Overrides(list) => list.iter_mut().for_each(|o| fix(&mut o.entry.source)),
            Self::Oncalls(list) => list.iter_mut().for_each(|o| fix(&mut o.source)),
            Self::EscalationPolicies(list) => list.iter_mut().for_each(|p| fix(&mut p.source)),
            Self::AuditRecords(list) => list.iter_mut().for_each(|r| fix(&mut r.source)),
        }
    }
}
