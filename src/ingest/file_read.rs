//! What reading one file yields (`FileRead`, with the REST incidents that wait for every
//! file's log entries): the readers' common result, before `combine` joins the files.

use std::collections::BTreeMap;

use super::record::Field;
use crate::model::config::Export;
use crate::model::population::{Aggregate, Extraction, Page};
use crate::model::{Exception, Format, Incident, LogEntry, RejectedRow, SourceRef, StatusIncident};

/// What one file yielded. Source refs carry file index 0 until `combine` sets them.
#[derive(Debug, Default)]
pub(crate) struct FileRead {
    /// The recognised format.
    pub format: Option<Format>,
    /// Data rows read.
    pub rows_read: u64,
    /// Usable incidents, in file order.
    pub incidents: Vec<Incident>,
    /// Unusable rows.
    pub rejected: Vec<RejectedRow>,
    /// Data exceptions found while reading (inconsistent timestamps, truncation).
    pub exceptions: Vec<Exception>,
    /// The zone applied to timestamps without an offset.
    pub timezone_assumed: Option<String>,
    /// Why the file is not used, when it is not an incident export.
    pub not_used_reason: Option<String>,
    /// A PagerDuty configuration export (schedules, policies, audit records).
    pub config: Option<Export>,
    /// REST incidents, built by `combine` once every file's log entries are known.
    pub pending_rest: Vec<PendingIncident>,
    /// Log entries (`GET /log_entries`).
    pub log_entries: Vec<LogEntry>,
    /// Statuspage incidents.
    pub status_incidents: Vec<StatusIncident>,
    /// The envelopes of the file's JSON pages.
    pub pages: Vec<Page>,
    /// PagerDuty's aggregate rows.
    pub aggregates: Vec<Aggregate>,
    /// The extraction record.
    pub extraction: Option<Extraction>,
}

impl FileRead {
    pub(crate) fn new(format: Format, timezone_assumed: Option<String>) -> Self {
        Self {
            format: Some(format),
            timezone_assumed,
            ..Self::default()
        }
    }

    pub(crate) fn not_used(reason: impl Into<String>) -> Self {
        Self {
            not_used_reason: Some(reason.into()),
            ..Self::default()
        }
    }
}

/// A REST incident waiting for the log entries of every file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PendingIncident {
    /// Text of the Analytics-named fields the object carries.
    pub(crate) fields: BTreeMap<Field, String>,
    /// `assignments[].assignee` names (present only while the incident is open).
    pub(crate) assignees: Vec<String>,
    /// `resolve_reason` of a merge: the incident merged into.
    pub(crate) merged_into: Option<String>,
    /// `acknowledgements[].at` (present only while the incident is open).
    pub(crate) acknowledged: Vec<String>,
    /// `last_status_change_at`, the resolution time of a resolved incident without `resolved_at`.
    pub(crate) last_status_change: Option<String>,
    /// Ticket-like text of `external_references[]` (Jira and ServiceNow links), when exported.
    pub references: Vec<String>,
    pub source: SourceRef,
    pub(crate) raw: String,
}

impl PendingIncident {
    /// The incident id, when the object has one.
    pub(crate) fn id(&self) -> Option<&str> {
        self.fields.get(&Field::Id).map(String::as_str)
    }
}
