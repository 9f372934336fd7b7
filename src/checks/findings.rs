//! Exceptions grouped into findings by cause: one late-escalation finding per policy level
//! rather than one line per incident, one finding per on-call gap (the escalation levels
//! refer to it), one per unattributed API token. The cause is set where an exception is
//! made (`Exception::cause`); this module only groups and orders. `findings.csv` lists
//! them; each line of `exceptions.csv` names its finding.
//!
//! Order (and so the ids `F-001`, `F-002`, …): the report's sections (`AREAS`: the SLA
//! results, security events, who responded, the status page, postmortems, tickets, on-call,
//! escalation, the admin trail, data completeness), then the
//! first incident (configuration-level findings, which name none, first), then kind and
//! cause.

use std::collections::BTreeMap;

use crate::model::{Exception, ExceptionKind};

/// The areas in the order of the report's sections.
const AREAS: [&str; 10] = [
    "sla",
    "security",
    "responders",
    "statuspage",
    "postmortems",
    "tickets",
    "oncall",
    "escalation",
    "audit_trail",
    "data",
];

/// One finding: exceptions of one cause.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finding {
    /// `F-001`, …
    pub id: String,
    pub area: &'static str,
    pub kind: ExceptionKind,
    /// Plain English: what is wrong.
    pub title: String,
    /// What the exceptions have in common.
    pub cause: String,
    /// Incidents concerned (each once); 0 for configuration-level findings.
    pub incidents: usize,
    pub first_incident: Option<i64>,
    pub last_incident: Option<i64>,
    /// Exceptions in the finding.
    pub exceptions: usize,
    /// The severities of its exceptions, sorted (empty for configuration-level findings).
    pub severities: Vec<String>,
}

/// The area of an exception kind.
fn area(kind: ExceptionKind) -> &'static str {
    use ExceptionKind as K;
    match kind {
        K::NoResponder => "responders",
        K::Unclassified
        | K::AckBreach
        | K::ResolveBreach
        | K::SlaPending
        | K::ExcludedUnacknowledged => "sla",
        K::SecurityUnclassified => "security",
        K::StatuspageUnmatched | K::DetectedAfterNotice => "statuspage",
        K::PostmortemMissing
        | K::PostmortemLate
        | K::PostmortemUndated
        | K::PostmortemBeforeIncident
        | K::PostmortemIncomplete
        | K::PostmortemUnreadable
        | K::PostmortemOrphan
        | K::PostmortemAmbiguous => "postmortems",
        K::TicketMissing => "tickets",
        K::OncallGap | K::OncallLongShift => "oncall",
        K::EscalationNonconformity | K::EscalationLate => "escalation",
        K::OnCallTargetDeleted | K::AuditTrailGap | K::AdminChangeUnattributed => "audit_trail",
        K::TruncatedExport
        | K::IncompleteExport
        | K::PeriodNotCovered
        | K::ExtractionBeforeData
        | K::AggregateMismatch
        | K::IncidentNumberGap
        | K::NotEvaluable
        | K::ConflictingDuplicate
        | K::InconsistentTimestamps => "data",
    }
}

/// (kind, title, cause) of the finding an exception belongs to: the cause its maker gave
/// (breaches, unclassified incidents, late escalations, escalation faults, unattributed
/// changes), else one finding per severity for the kinds judged per incident, one per
/// exception for configuration facts (a gap, a long shift, a deletion, a day without
/// records), one per kind for the rest.
fn cause(e: &Exception) -> (ExceptionKind, String, String) {
    use ExceptionKind as K;
    if let Some(c) = &e.cause {
        return (e.kind, c.title.clone(), c.key.clone());
    }
    let severity = e.severity.clone().unwrap_or_default();
    let title = e.kind.title();
    match e.kind {
        K::SlaPending | K::ExcludedUnacknowledged | K::NoResponder => {
            (e.kind, format!("{title}: {severity}"), severity)
        }
        K::OncallGap => (
            e.kind,
            format!("On-call gap: {}", e.detail),
            e.detail.clone(),
        ),
        K::OncallLongShift | K::OnCallTargetDeleted | K::AuditTrailGap => {
            (e.kind, format!("{title}: {}", e.detail), e.detail.clone())
        }
        _ => (e.kind, title.to_string(), e.kind.name().to_string()),
    }
}

/// The findings and, for each exception (same order), the index of its finding.
pub(crate) fn group(exceptions: &[Exception]) -> (Vec<Finding>, Vec<usize>) {
    struct Group {
        kind: ExceptionKind,
        title: String,
        numbers: std::collections::BTreeSet<i64>,
        severities: std::collections::BTreeSet<String>,
        first_seen: usize,
        exceptions: usize,
    }
    // (area rank, kind, cause) → group.
    let mut groups: BTreeMap<(usize, String), Group> = BTreeMap::new();
    let mut keys = Vec::with_capacity(exceptions.len());
    for (n, e) in exceptions.iter().enumerate() {
        let (kind, title, cause) = cause(e);
        let rank = AREAS
            .iter()
            .position(|a| *a == area(kind))
            .unwrap_or(AREAS.len());
        let key = (rank, format!("{}\u{0}{cause}", kind.name()));
        let g = groups.entry(key.clone()).or_insert(Group {
            kind,
            title,
            numbers: Default::default(),
            severities: Default::default(),
            first_seen: n,
            exceptions: 0,
        });
        g.exceptions += 1;
        if let Some(sev) = &e.severity {
            g.severities.insert(sev.clone());
        }
        // Numbering gaps and unevaluable rows name their (first) number too.
        if let Some(number) = e.incident_number {
            g.numbers.insert(number);
        }
        keys.push(key);
    }
    let mut ordered: Vec<(&(usize, String), &Group)> = groups.iter().collect();
    ordered.sort_by_key(|((rank, key), g)| {
        (*rank, g.numbers.first().copied(), key.clone(), g.first_seen)
    });
    let mut index: BTreeMap<&(usize, String), usize> = BTreeMap::new();
    let findings = ordered
        .iter()
        .enumerate()
        .map(|(i, (key, g))| {
            index.insert(key, i);
            Finding {
                id: format!("F-{:03}", i + 1),
                area: AREAS.get(key.0).copied().unwrap_or("data"),
                kind: g.kind,
                title: g.title.clone(),
                cause: key
                    .1
                    .split_once('\u{0}')
                    .map_or(String::new(), |(_, c)| c.to_string()),
                incidents: g.numbers.len(),
                first_incident: g.numbers.first().copied(),
                last_incident: g.numbers.last().copied(),
                exceptions: g.exceptions,
                severities: g.severities.iter().cloned().collect(),
            }
        })
        .collect();
    let of = keys.iter().map(|k| index[k]).collect();
    (findings, of)
}
