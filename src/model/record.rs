//! Records as read from the exports: the export formats, incidents, REST log entries,
//! status-page incidents, where each record came from, rejected rows and input files. No
//! parsing and no judgement here.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// The export formats auditpack reads, recognised by header or keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Format {
    /// Analytics raw incidents, CSV download (snake_case headers).
    AnalyticsCsv,
    /// Analytics raw incidents, `POST /analytics/raw/incidents` JSON response pages.
    AnalyticsJson,
    /// The classic Reports `incidents.csv` (`created_on`, no priority).
    ClassicCsv,
    /// `GET /schedules/{id}` responses (rows: final-schedule entries).
    PdSchedule,
    /// `GET /schedules/{id}/overrides` responses (rows: overrides).
    PdOverrides,
    /// `GET /oncalls` responses (rows: on-calls).
    PdOncalls,
    /// `GET /escalation_policies` responses (rows: policies).
    PdEscalationPolicies,
    /// `GET /audit/records` responses (rows: records).
    PdAuditRecords,
    /// REST `GET /incidents` (or `GET /incidents/{id}`) responses (rows: incidents).
    RestIncidents,
    /// `GET /log_entries` or `GET /incidents/{id}/log_entries` responses (rows: log entries).
    RestLogEntries,
    /// Statuspage incidents (`/api/v2/incidents.json` or the management API's list).
    StatuspageIncidents,
    /// `POST /analytics/metrics/incidents/all` responses: PagerDuty's own totals (rows:
    /// aggregate rows), read to cross-check the exports.
    PdAggregateMetrics,
    /// The extraction record (`[extraction]` in a TOML file; one row).
    ExtractionRecord,
    /// Opsgenie Alert API responses (`GET /v2/alerts` pages, `GET /v2/alerts/{id}`; rows:
    /// alerts).
    OpsgenieAlerts,
}

impl Format {
    /// The name used in `inputs.csv` and on the command line.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::AnalyticsCsv => "analytics-csv",
            Self::AnalyticsJson => "analytics-json",
            Self::ClassicCsv => "classic-csv",
            Self::PdSchedule => "pagerduty-schedule",
            Self::PdOverrides => "pagerduty-overrides",
            Self::PdOncalls => "pagerduty-oncalls",
            Self::PdEscalationPolicies => "pagerduty-escalation-policies",
            Self::PdAuditRecords => "pagerduty-audit-records",
            Self::RestIncidents => "pagerduty-rest-incidents",
            Self::RestLogEntries => "pagerduty-log-entries",
            Self::StatuspageIncidents => "statuspage-incidents",
            Self::PdAggregateMetrics => "pagerduty-aggregate-metrics",
            Self::ExtractionRecord => "extraction-record",
            Self::OpsgenieAlerts => "opsgenie-alerts",
        }
    }

    /// The paging system whose records the format carries.
    pub(crate) fn system(self) -> System {
        match self {
            Self::OpsgenieAlerts => System::Opsgenie,
            _ => System::Pagerduty,
        }
    }

    /// Whether the format carries incidents (the others are configuration exports).
    pub(crate) fn has_incidents(self) -> bool {
        matches!(
            self,
            Self::AnalyticsCsv
                | Self::AnalyticsJson
                | Self::ClassicCsv
                | Self::RestIncidents
                | Self::OpsgenieAlerts
        )
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The incident-management system an incident was recorded in. Numbers are sequential
/// within one system only: gaps and repeats are judged per system.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum System {
    // The values index `System::ALL` (and arrays kept per system).
    #[default]
    Pagerduty = 0,
    Opsgenie = 1,
}

impl System {
    /// Both, in the order outputs list them.
    pub(crate) const ALL: [System; 2] = [System::Pagerduty, System::Opsgenie];

    /// The name in `incident_register.csv` (`source_system`) and in a policy `match`
    /// prefix (`opsgenie:P1`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Pagerduty => "pagerduty",
            Self::Opsgenie => "opsgenie",
        }
    }

    /// The product's name, for prose.
    pub(crate) fn title(self) -> &'static str {
        match self {
            Self::Pagerduty => "PagerDuty",
            Self::Opsgenie => "Opsgenie",
        }
    }

    /// What one record is called in that system.
    pub(crate) fn record_word(self) -> &'static str {
        match self {
            Self::Pagerduty => "incident",
            Self::Opsgenie => "alert",
        }
    }
}

/// One incident as read from an export, before any policy is applied.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Incident {
    /// PagerDuty incident id (`PT4KHLK`), opaque.
    pub id: String,
    /// Account-wide sequential incident number.
    pub number: Option<i64>,
    /// The incident title (`description` in Analytics).
    pub description: Option<String>,
    /// triggered / acknowledged / resolved, as exported.
    pub status: Option<String>,
    /// high / low, lower-cased.
    pub urgency: Option<String>,
    /// Priority name as exported (`P1`, `SEV-2`); `None` when empty.
    pub priority: Option<String>,
    /// Service name.
    pub service: Option<String>,
    /// Team name.
    pub team: Option<String>,
    /// Escalation policy name.
    pub escalation_policy: Option<String>,
    /// Creation time.
    pub created: DateTime<Utc>,
    /// Seconds from creation to first acknowledgement; `None` when never acknowledged.
    pub tta_s: Option<f64>,
    /// Seconds from creation to resolution; `None` when not resolved.
    pub ttr_s: Option<f64>,
    /// Number of escalations, when the export has it.
    pub escalation_count: Option<i64>,
    /// Number of escalations by timeout, when the export has it.
    pub timeout_escalation_count: Option<i64>,
    /// Who was assigned, acknowledged and resolved, as the export names them.
    pub responders: Responders,
    /// Merged into another incident (REST `resolve_reason` of type `merge_resolve_reason`, or
    /// a resolve log entry of a merge): that incident's number (`#N`) or id.
    pub merged_into: Option<String>,
    /// The system it was recorded in.
    pub system: System,
    /// Where the record came from.
    pub source: SourceRef,
}

/// Who responded to an incident, as its export names them: JSON lists joined by `; `, a CSV
/// cell verbatim; `None` where the export has no such field or it is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Responders {
    /// `assigned_user_names` (`assigned_to_user_names`; REST assignees).
    pub assigned_to: Option<String>,
    /// `acknowledged_user_names` (`acknowledged_by_user_names`; REST acknowledgers).
    pub acknowledged_by: Option<String>,
    /// `resolved_by_user_name` (REST: the resolving agent).
    pub resolved_by: Option<String>,
    /// `html_url`.
    pub url: Option<String>,
    /// Whether the export has responder fields for this incident at all (a column, a key,
    /// log entries): only then does an empty value mean "nobody".
    pub named: bool,
}

impl Responders {
    /// Whether the export names responders and names nobody assigned and nobody
    /// acknowledging.
    pub(crate) fn nobody(&self) -> bool {
        self.named && self.assigned_to.is_none() && self.acknowledged_by.is_none()
    }
}

impl Incident {
    /// Acknowledgement time, derived from `created + tta`.
    pub(crate) fn acknowledged(&self) -> Option<DateTime<Utc>> {
        self.tta_s.map(|s| add_seconds(self.created, s))
    }

    /// Resolution time, derived from `created + ttr`.
    pub(crate) fn resolved(&self) -> Option<DateTime<Utc>> {
        self.ttr_s.map(|s| add_seconds(self.created, s))
    }

    /// Whether two records of the same id carry the same data (an exact duplicate).
    pub(crate) fn same_data(&self, other: &Self) -> bool {
        Self {
            source: other.source,
            ..self.clone()
        } == *other
    }
}

#[cfg(test)]
impl Incident {
    /// An incident with an id and a creation time and nothing else, read at line 2 of the
    /// first file: the starting point of unit tests.
    pub(crate) fn bare(id: &str, created: DateTime<Utc>) -> Self {
        Self {
            id: id.to_string(),
            number: None,
            description: None,
            status: None,
            urgency: None,
            priority: None,
            service: None,
            team: None,
            escalation_policy: None,
            created,
            tta_s: None,
            ttr_s: None,
            escalation_count: None,
            timeout_escalation_count: None,
            responders: Responders::default(),
            merged_into: None,
            system: System::Pagerduty,
            source: SourceRef {
                file: 0,
                line: 2,
                start: 0,
                end: 0,
            },
        }
    }
}

/// `t + seconds`, to the millisecond.
pub(crate) fn add_seconds(t: DateTime<Utc>, seconds: f64) -> DateTime<Utc> {
    t + chrono::Duration::milliseconds((seconds * 1000.0).round() as i64)
}

/// The longest raw record text kept in `rejected_rows.csv` (bytes).
pub(crate) const RAW_LIMIT: usize = 4096;

/// A record's origin: index into the input file list, and the physical line where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SourceRef {
    /// Index into the list of input files.
    pub file: usize,
    /// 1-based physical line where the record starts (the CSV header is line 1).
    pub line: u64,
    /// Byte offset of the record's first byte in the file.
    pub start: usize,
    /// Byte offset just past the record.
    pub end: usize,
}

impl SourceRef {
    /// The record's text in `file` (the whole file's bytes), without its line break; a
    /// record over `RAW_LIMIT` bytes is cut there and says how long it is (the whole record
    /// stays in the input file, which the bundle carries).
    pub(crate) fn raw(&self, file: &[u8]) -> String {
        let end = self.end.min(file.len());
        let start = self.start.min(end);
        let cut = end.min(start + RAW_LIMIT);
        let mut text = String::from_utf8_lossy(&file[start..cut])
            .trim_end_matches(['\r', '\n'])
            .to_string();
        if cut < end {
            text.push_str(&format!(" … [{} bytes in all]", end - start));
        }
        text
    }
}

/// A row that could not be used, kept with the reason.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RejectedRow {
    /// Where the row starts.
    pub source: SourceRef,
    /// Why it was not used.
    pub reason: String,
    /// The row as it stands in the file.
    pub raw: String,
    /// The incident number the row states, when it is an incident row and the number can
    /// be read: a number of the population that could not be evaluated.
    pub incident_number: Option<i64>,
    /// The priority and urgency the incident row states, when they can be read (for the
    /// reconciliation per severity).
    pub priority: Option<String>,
    pub urgency: Option<String>,
    /// The creation time the incident row states, when it can be read (for the comparison
    /// with PagerDuty's totals).
    pub created: Option<DateTime<Utc>>,
    /// The incident id the row states, when it can be read.
    pub incident_id: Option<String>,
    /// A repeat of an incident the exports hold (an overlapping page, a conflicting
    /// duplicate): not another incident.
    pub repeat: bool,
    /// The system of the file it was read from (set by `combine`).
    pub system: System,
}

impl RejectedRow {
    /// A rejected row that states nothing of an incident (a configuration item, a log entry,
    /// a page): where it is, why, and its raw text.
    pub(crate) fn new(source: SourceRef, reason: impl Into<String>, raw: String) -> Self {
        Self {
            source,
            reason: reason.into(),
            raw,
            incident_number: None,
            priority: None,
            urgency: None,
            created: None,
            incident_id: None,
            repeat: false,
            system: System::Pagerduty,
        }
    }
}

/// Of one input file's rows (configuration items, log entries, status-page incidents): how
/// many a check used and how many lay outside the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileRows {
    /// Index into the list of input files.
    pub file: usize,
    pub used: u64,
    pub outside: u64,
}

/// An input file and what was read from it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InputFile {
    /// Path relative to the input folder, `/`-separated.
    pub name: String,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// The recognised format, or `None` when the file is not an incident export.
    pub format: Option<Format>,
    /// Why the file is not used (for unrecognised files).
    pub not_used_reason: Option<String>,
    /// Data rows (CSV records or JSON `data[]` items) read.
    pub rows_read: u64,
    /// Time zone applied to timestamps without an offset.
    pub timezone_assumed: Option<String>,
    /// For a postmortem document: its format name (`postmortem-pdf`).
    pub document: Option<&'static str>,
    /// The envelopes of its JSON pages, in file order (paging keys, stated filters).
    pub pages: Vec<crate::model::population::Page>,
}

/// A reference (`{id, type, summary}`); every part may be absent or null.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub(crate) struct Ref {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
}

impl Ref {
    /// The summary, else the id, else empty.
    pub(crate) fn label(&self) -> &str {
        self.summary
            .as_deref()
            .filter(|s| !s.is_empty())
            .or(self.id.as_deref())
            .unwrap_or_default()
    }

    pub(crate) fn is_service(&self) -> bool {
        self.kind
            .as_deref()
            .is_some_and(|k| k.starts_with("service"))
    }
}

/// What a log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LogKind {
    Trigger,
    Acknowledge,
    Unacknowledge,
    Assign,
    Escalate,
    Delegate,
    Notify,
    Annotate,
    Resolve,
    Other,
}

impl LogKind {
    /// From `type`, with or without the `_reference` suffix; both acknowledgement spellings.
    pub(crate) fn parse(t: &str) -> Self {
        match t.strip_suffix("_reference").unwrap_or(t) {
            "trigger_log_entry" => Self::Trigger,
            "acknowledge_log_entry" | "acknowledgement_log_entry" => Self::Acknowledge,
            "unacknowledge_log_entry" => Self::Unacknowledge,
            "assign_log_entry" => Self::Assign,
            "escalate_log_entry" => Self::Escalate,
            "delegate_log_entry" => Self::Delegate,
            "notify_log_entry" => Self::Notify,
            "annotate_log_entry" => Self::Annotate,
            "resolve_log_entry" => Self::Resolve,
            _ => Self::Other,
        }
    }
}

/// One log entry, as needed for the response timeline and ticket links.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LogEntry {
    pub id: String,
    pub incident_id: String,
    pub kind: LogKind,
    pub at: DateTime<Utc>,
    /// Who acted: a user, or the service for timeouts and automatic actions.
    pub agent: Ref,
    /// `channel.type` (`auto`, `timeout`, `email`, `website`, `note`, …).
    pub channel: Option<String>,
    /// Assignees of assign and escalate entries; the notified user of a notify entry.
    pub people: Vec<String>,
    /// Free text an entry carries: its `note`, or a note's `channel.summary`.
    pub text: Option<String>,
    /// A resolve entry of a merge: the incident merged into (`#N`, else its id, else empty).
    pub merged_into: Option<String>,
    pub source: SourceRef,
}

impl LogEntry {
    /// An escalation the system made when a level did not acknowledge in time (agent = the
    /// service, channel `auto` or `timeout`), not one a person asked for.
    pub(crate) fn is_timeout_escalation(&self) -> bool {
        self.kind == LogKind::Escalate
            && (self.agent.is_service()
                || matches!(self.channel.as_deref(), Some("auto" | "timeout")))
    }
}

/// One status-page incident.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StatusIncident {
    pub id: String,
    pub name: String,
    /// none / minor / major / critical.
    pub impact: Option<String>,
    pub status: Option<String>,
    /// When the impact began (`started_at`, else `created_at`).
    pub started: DateTime<Utc>,
    /// When customers were told: `created_at`, the moment the incident was published.
    pub notice: DateTime<Utc>,
    pub resolved: Option<DateTime<Utc>>,
    /// The latest of its updates' times.
    pub last_update: Option<DateTime<Utc>>,
    /// Affected component names, each once, sorted.
    pub components: Vec<String>,
    pub source: SourceRef,
}
