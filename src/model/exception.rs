//! What an auditor must look at: the kinds of exception, their titles in the report, and one
//! exception with its measured facts.

/// What an auditor must look at: a breach, a gap, a data problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ExceptionKind {
    /// A file with exactly 20,000 rows, or a REST listing at its 10,000 ceiling: PagerDuty
    /// may have cut it.
    TruncatedExport,
    /// A listing whose pages are not all there (`more: true` on its last page, a cursor or
    /// offset that no page continues).
    IncompleteExport,
    /// Days of the period that no incident export's stated creation range covers.
    PeriodNotCovered,
    /// The extraction record's time is earlier than an event in the data.
    ExtractionBeforeData,
    /// PagerDuty's own totals disagree with the incidents the exports hold.
    AggregateMismatch,
    /// Numbers missing from the account's sequence inside the period.
    IncidentNumberGap,
    /// An incident number of the range that only a rejected row holds: in the export, but
    /// it could not be evaluated.
    NotEvaluable,
    /// Two records of one id with different data.
    ConflictingDuplicate,
    /// `resolved_at - created_at` disagrees with `seconds_to_resolve` by more than 60 s.
    InconsistentTimestamps,
    /// No severity of the policy matches.
    Unclassified,
    /// A security incident without a severity: no target was judged.
    SecurityUnclassified,
    /// An incident with an acknowledgement target whose export names responders but names
    /// nobody assigned and nobody acknowledging.
    NoResponder,
    /// Response later than the acknowledgement target, or none.
    AckBreach,
    /// Resolution later than the target, or none.
    ResolveBreach,
    /// Still open at the as-of time and not yet past a deadline.
    SlaPending,
    /// Resolved without any acknowledgement and, by the policy, left out of the
    /// acknowledgement figure.
    ExcludedUnacknowledged,
    /// A required postmortem with no document, past its deadline.
    PostmortemMissing,
    /// A postmortem dated after its deadline.
    PostmortemLate,
    /// A postmortem with no date auditpack can read.
    PostmortemUndated,
    /// A postmortem dated before its incident was created.
    PostmortemBeforeIncident,
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
    /// A configuration change with no named actor (only an API token, or nothing) whose
    /// before and after differ.
    AdminChangeUnattributed,
    /// A significant incident (P1/P2) whose description names no ticket.
    TicketMissing,
    /// A status-page incident with no PagerDuty incident in its window.
    StatuspageUnmatched,
    /// A status-page notice published before PagerDuty created the incident.
    DetectedAfterNotice,
}

impl ExceptionKind {
    /// Every kind, in order.
    pub(crate) const ALL: [Self; 34] = [
        Self::TruncatedExport,
        Self::IncompleteExport,
        Self::PeriodNotCovered,
        Self::ExtractionBeforeData,
        Self::AggregateMismatch,
        Self::IncidentNumberGap,
        Self::NotEvaluable,
        Self::ConflictingDuplicate,
        Self::InconsistentTimestamps,
        Self::Unclassified,
        Self::SecurityUnclassified,
        Self::NoResponder,
        Self::AckBreach,
        Self::ResolveBreach,
        Self::SlaPending,
        Self::ExcludedUnacknowledged,
        Self::PostmortemMissing,
        Self::PostmortemLate,
        Self::PostmortemUndated,
        Self::PostmortemBeforeIncident,
        Self::PostmortemIncomplete,
        Self::PostmortemUnreadable,
        Self::PostmortemOrphan,
        Self::PostmortemAmbiguous,
        Self::OncallGap,
        Self::OncallLongShift,
        Self::EscalationNonconformity,
        Self::EscalationLate,
        Self::OnCallTargetDeleted,
        Self::AuditTrailGap,
        Self::AdminChangeUnattributed,
        Self::TicketMissing,
        Self::StatuspageUnmatched,
        Self::DetectedAfterNotice,
    ];

    /// The kind `exceptions.csv` names `name`.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The name in `exceptions.csv`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::TruncatedExport => "truncated_export",
            Self::IncompleteExport => "incomplete_export",
            Self::PeriodNotCovered => "period_not_covered",
            Self::ExtractionBeforeData => "extraction_before_data",
            Self::AggregateMismatch => "aggregate_mismatch",
            Self::IncidentNumberGap => "incident_number_gap",
            Self::NotEvaluable => "not_evaluable",
            Self::ConflictingDuplicate => "conflicting_duplicate",
            Self::InconsistentTimestamps => "inconsistent_timestamps",
            Self::Unclassified => "unclassified",
            Self::SecurityUnclassified => "security_unclassified",
            Self::NoResponder => "no_responder",
            Self::AckBreach => "ack_breach",
            Self::ResolveBreach => "resolve_breach",
            Self::SlaPending => "sla_pending",
            Self::ExcludedUnacknowledged => "excluded_unacknowledged",
            Self::PostmortemMissing => "postmortem_missing",
            Self::PostmortemLate => "postmortem_late",
            Self::PostmortemUndated => "postmortem_undated",
            Self::PostmortemBeforeIncident => "postmortem_before_incident",
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
            Self::AdminChangeUnattributed => "admin_change_unattributed",
            Self::TicketMissing => "ticket_missing",
            Self::StatuspageUnmatched => "statuspage_unmatched",
            Self::DetectedAfterNotice => "detected_after_notice",
        }
    }

    /// The plain-English title of the kind, as the report and `findings.csv` print it.
    pub(crate) fn title(self) -> &'static str {
        match self {
            Self::TruncatedExport => "Possibly truncated exports",
            Self::IncompleteExport => "Exports with pages missing",
            Self::PeriodNotCovered => "Parts of the period no export covers",
            Self::ExtractionBeforeData => "Extraction record dated before the data",
            Self::AggregateMismatch => "PagerDuty's own totals disagree with the exports",
            Self::IncidentNumberGap => "Gaps in incident numbering",
            Self::NotEvaluable => "Incidents in the export that could not be evaluated",
            Self::ConflictingDuplicate => "Conflicting duplicate records",
            Self::InconsistentTimestamps => "Inconsistent timestamps",
            Self::Unclassified => "Unclassified incidents (no SLA applies)",
            Self::SecurityUnclassified => "Security incidents without a severity",
            Self::NoResponder => "Incidents with nobody assigned and nobody acknowledging",
            Self::AckBreach => "Acknowledgement SLA breaches",
            Self::ResolveBreach => "Resolution SLA breaches",
            Self::SlaPending => "Open at the as-of time, not yet due",
            Self::ExcludedUnacknowledged => {
                "Resolved without acknowledgement, left out of the acknowledgement figure"
            }
            Self::PostmortemMissing => "Postmortems missing past their deadline",
            Self::PostmortemLate => "Postmortems dated after their deadline",
            Self::PostmortemUndated => "Postmortems without a readable date",
            Self::PostmortemBeforeIncident => "Postmortems dated before their incident",
            Self::PostmortemIncomplete => "Incomplete postmortems",
            Self::PostmortemUnreadable => "Unreadable postmortem documents",
            Self::PostmortemOrphan => "Postmortem documents naming no incident of the period",
            Self::PostmortemAmbiguous => "Postmortem documents with ambiguous incident references",
            Self::OncallGap => "On-call gaps (nobody on call)",
            Self::OncallLongShift => "On-call shifts longer than the policy allows",
            Self::EscalationNonconformity => "Escalation policies not conforming to the policy",
            Self::EscalationLate => "Incidents that escalated later than the levels require",
            Self::OnCallTargetDeleted => "Deletions of on-call targets",
            Self::AuditTrailGap => "Days without audit-record coverage",
            Self::AdminChangeUnattributed => "Configuration changes made with no named person",
            Self::TicketMissing => "Significant incidents without a linked ticket",
            Self::StatuspageUnmatched => "Status-page incidents nobody was paged for",
            Self::DetectedAfterNotice => {
                "Incidents customers were told of before PagerDuty detected them"
            }
        }
    }
}

/// One line of `exceptions.csv`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Exception {
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
    /// What the exception has in common with others of its finding, when its kind has
    /// several causes (set where it is made; `checks::findings` groups by it).
    pub cause: Option<Cause>,
}

/// The cause of an exception: the key its finding is grouped by, and that finding's
/// plain-English title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cause {
    pub key: String,
    pub title: String,
}

impl Cause {
    pub(crate) fn new(key: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            title: title.into(),
        }
    }
}

/// The figures of a breach, formatted for people (`7m12s (432 s)`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BreachFacts {
    /// The measured time, or what did not happen (`not acknowledged`).
    pub measured: String,
    /// The target (`5m`, `next-business-day, due …`).
    pub target: String,
    /// By how much it was missed, or how long it was overdue or open.
    pub missed_by: String,
}
