//! Typed records shared by every stage: incidents as read, rejected rows, input files,
//! exceptions. No parsing and no statistics here.

use std::fmt;

use chrono::{DateTime, Utc};

/// The export formats auditpack reads, recognised by header or keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
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
}

impl Format {
    /// The name used in `inputs.csv` and on the command line.
    pub fn name(self) -> &'static str {
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
        }
    }

    /// Whether the format carries incidents (the others are configuration exports).
    pub fn has_incidents(self) -> bool {
        matches!(
            self,
            Self::AnalyticsCsv | Self::AnalyticsJson | Self::ClassicCsv | Self::RestIncidents
        )
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One incident as read from an export, before any policy is applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
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
    /// Where the record came from.
    pub source: SourceRef,
}

impl Incident {
    /// Acknowledgement time, derived from `created + tta`.
    pub fn acknowledged(&self) -> Option<DateTime<Utc>> {
        self.tta_s.map(|s| add_seconds(self.created, s))
    }

    /// Resolution time, derived from `created + ttr`.
    pub fn resolved(&self) -> Option<DateTime<Utc>> {
        self.ttr_s.map(|s| add_seconds(self.created, s))
    }

    /// Whether two records of the same id carry the same data (an exact duplicate).
    pub fn same_data(&self, other: &Self) -> bool {
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
    pub fn bare(id: &str, created: DateTime<Utc>) -> Self {
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
pub fn add_seconds(t: DateTime<Utc>, seconds: f64) -> DateTime<Utc> {
    t + chrono::Duration::milliseconds((seconds * 1000.0).round() as i64)
}

/// The longest raw record text kept in `rejected_rows.csv` (bytes).
pub const RAW_LIMIT: usize = 4096;

/// A record's origin: index into the input file list, and the physical line where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceRef {
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
    pub fn raw(&self, file: &[u8]) -> String {
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
pub struct RejectedRow {
    /// Where the row starts.
    pub source: SourceRef,
    /// Why it was not used.
    pub reason: String,
    /// The row as it stands in the file.
    pub raw: String,
}

/// What an auditor must look at: a breach, a gap, a data problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExceptionKind {
    /// A file with exactly 20,000 rows: PagerDuty may have cut it.
    TruncatedExport,
    /// Numbers missing from the account's sequence inside the period.
    IncidentNumberGap,
    /// Two records of one id with different data.
    ConflictingDuplicate,
    /// `resolved_at - created_at` disagrees with `seconds_to_resolve` by more than 60 s.
    InconsistentTimestamps,
    /// No severity of the policy matches.
    Unclassified,
    /// Response later than the acknowledgement target, or none.
    AckBreach,
    /// Resolution later than the target, or none.
    ResolveBreach,
    /// Still open at the as-of time and not yet past a deadline.
    SlaPending,
    /// A required postmortem with no document, past its deadline.
    PostmortemMissing,
    /// A postmortem dated after its deadline.
    PostmortemLate,
    /// A postmortem with no date auditpack can read.
    PostmortemUndated,
    /// A postmortem without every required section, or with actions lacking owner or due date.
    PostmortemIncomplete,
    /// A postmortem document that cannot be read (encrypted, scan, corrupt).
    PostmortemUnreadable,
    /// A postmortem document that names no incident of the period.
    PostmortemOrphan,
    /// A postmortem document whose incident cannot be told for sure.
    PostmortemAmbiguous,
    /// An interval with nobody on call on a first-level schedule.
    OncallGap,
    /// One person on call longer than the policy's `max_shift`.
    OncallLongShift,
    /// An escalation policy that does not match the policy file's levels.
    EscalationNonconformity,
    /// An incident that escalated by timeout fewer times than the levels require.
    EscalationLate,
    /// A schedule, escalation policy or user deleted, or targets removed (audit records).
    OnCallTargetDeleted,
    /// Days of the period that no audit-record file spans.
    AuditTrailGap,
    /// A significant incident (P1/P2) whose description names no ticket.
    TicketMissing,
    /// A status-page incident with no PagerDuty incident in its window.
    StatuspageUnmatched,
    /// A status-page notice published before PagerDuty created the incident.
    DetectedAfterNotice,
}

impl ExceptionKind {
    /// The name in `exceptions.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Self::TruncatedExport => "truncated_export",
            Self::IncidentNumberGap => "incident_number_gap",
            Self::ConflictingDuplicate => "conflicting_duplicate",
            Self::InconsistentTimestamps => "inconsistent_timestamps",
            Self::Unclassified => "unclassified",
            Self::AckBreach => "ack_breach",
            Self::ResolveBreach => "resolve_breach",
            Self::SlaPending => "sla_pending",
            Self::PostmortemMissing => "postmortem_missing",
            Self::PostmortemLate => "postmortem_late",
            Self::PostmortemUndated => "postmortem_undated",
            Self::PostmortemIncomplete => "postmortem_incomplete",
            Self::PostmortemUnreadable => "postmortem_unreadable",
            Self::PostmortemOrphan => "postmortem_orphan",
            Self::PostmortemAmbiguous => "postmortem_ambiguous",
            Self::OncallGap => "oncall_gap",
            Self::OncallLongShift => "oncall_long_shift",
            Self::EscalationNonconformity => "escalation_nonconformity",
            Self::EscalationLate => "escalation_late",
            Self::OnCallTargetDeleted => "on_call_target_deleted",
            Self::AuditTrailGap => "audit_trail_gap",
            Self::TicketMissing => "ticket_missing",
            Self::StatuspageUnmatched => "statuspage_unmatched",
            Self::DetectedAfterNotice => "detected_after_notice",
        }
    }
}

/// One line of `exceptions.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Exception {
    /// The incident concerned, or the first missing number of a gap.
    pub incident_number: Option<i64>,
    /// The incident id, for incident-level exceptions (not written; used to place them).
    pub incident_id: Option<String>,
    /// The incident's severity, once classified.
    pub severity: Option<String>,
    /// What kind of exception.
    pub kind: ExceptionKind,
    /// What happened, with the measured values.
    pub detail: String,
    /// For breaches and pending incidents: the measured time, the target, the miss.
    pub facts: Option<BreachFacts>,
}

/// The figures of a breach, formatted for people (`7m12s (432 s)`).
#[derive(Debug, Clone, PartialEq)]
pub struct BreachFacts {
    /// The measured time, or what did not happen (`not acknowledged`).
    pub measured: String,
    /// The target (`5m`, `next-business-day, due …`).
    pub target: String,
    /// By how much it was missed, or how long it was overdue or open.
    pub missed_by: String,
}

/// An input file and what was read from it.
#[derive(Debug, Clone, PartialEq)]
pub struct InputFile {
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
}
