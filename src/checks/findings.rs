//! Exceptions grouped into findings by cause: one late-escalation finding per policy level
//! rather than one line per incident, one finding per on-call gap that the coverage and the
//! escalation checks both point to, one per unattributed API token. `findings.csv` lists
//! them; each line of `exceptions.csv` names its finding.
//!
//! Order (and so the ids `F-001`, `F-002`, …): the report's sections (`AREAS`: the SLA
//! results, security events, who responded, the status page, postmortems, tickets, on-call,
//! escalation, the admin trail, data completeness), then the
//! first incident (configuration-level findings, which name none, first), then kind and
//! cause.

use std::collections::BTreeMap;

use crate::ingest::Ingested;
use crate::model::{Exception, ExceptionKind};
use crate::policy::Policy;

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
        | K::IncidentNumberGap
        | K::NotEvaluable
        | K::ConflictingDuplicate
        | K::InconsistentTimestamps => "data",
    }
}

/// The text between `open` and the next `close` after it.
fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let len = text[start..].find(close)?;
    Some(&text[start..start + len])
}

/// (kind, title, cause) of the finding an exception belongs to. `gaps` maps a schedule to
/// the cause of its first gap, so an escalation level that inherits a gap joins the gap's
/// finding.
fn cause(
    e: &Exception,
    ingested: &Ingested,
    by_id: &BTreeMap<&str, usize>,
    policy: &Policy,
    gaps: &BTreeMap<String, String>,
) -> (ExceptionKind, String, String) {
    use ExceptionKind as K;
    let severity = e.severity.clone().unwrap_or_default();
    let incident = e
        .incident_id
        .as_deref()
        .and_then(|id| by_id.get(id))
        .map(|&i| &ingested.incidents[i]);
    let target = |ack: bool| {
        policy
            .severities
            .iter()
            .find(|s| s.name == severity)
            .and_then(|s| if ack { s.ack_within } else { s.resolve_within })
            .map(|t| t.to_string())
            .unwrap_or_default()
    };
    let same = |title: String, cause: String| (e.kind, title, cause);
    match e.kind {
        K::AckBreach => {
            let (tta, ttr) = incident.map_or((None, None), |i| (i.tta_s, i.ttr_s));
            match (tta, ttr) {
                (None, Some(_)) => same(
                    format!("{severity} incidents closed with nobody acknowledging them"),
                    format!(
                        "{severity}: resolved without acknowledgement (target {})",
                        target(true)
                    ),
                ),
                (Some(_), _) => same(
                    format!(
                        "{severity} incidents acknowledged later than {}",
                        target(true)
                    ),
                    format!("{severity}: acknowledged after the target"),
                ),
                (None, None) => same(
                    format!("{severity} incidents not acknowledged by their deadline"),
                    format!(
                        "{severity}: no acknowledgement by the deadline (target {})",
                        target(true)
                    ),
                ),
            }
        }
        K::ResolveBreach => match incident.and_then(|i| i.ttr_s) {
            Some(_) => same(
                format!("{severity} incidents resolved later than {}", target(false)),
                format!("{severity}: resolved after the target"),
            ),
            None => same(
                format!("{severity} incidents not resolved by their deadline"),
                format!(
                    "{severity}: not resolved by the deadline (target {})",
                    target(false)
                ),
            ),
        },
        K::SlaPending | K::ExcludedUnacknowledged | K::NoResponder => {
            same(format!("{}: {severity}", e.kind.title()), severity.clone())
        }
        K::Unclassified => {
            // `incident `X`: <why>; no SLA applies`: the why is the cause.
            let why = e
                .detail
                .split_once("`: ")
                .map_or(e.detail.as_str(), |(_, rest)| rest);
            let why = why.trim_end_matches("; no SLA applies");
            same(
                format!("Incidents with no severity: {why}"),
                why.to_string(),
            )
        }
        K::EscalationLate => {
            // "… call for N timeout escalation(s); the export shows M (escalation policy `X`)":
            // level M + 1 did not hand over in time.
            let policy_name = between(&e.detail, "(escalation policy `", "`)").unwrap_or("?");
            let shown: usize = between(&e.detail, "the export shows ", " ")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let level = shown + 1;
            same(
                format!(
                    "Escalation policy `{policy_name}` level {level} did not escalate within the policy's time"
                ),
                format!("escalation policy `{policy_name}` level {level}"),
            )
        }
        K::EscalationNonconformity => {
            if let Some(schedule) = between(&e.detail, "its schedule `", "` has")
                && let Some(gap) = gaps.get(schedule)
            {
                return (K::OncallGap, gap_title(gap), gap.clone());
            }
            // The same fault in several intervals of the period is one finding.
            let fault = e
                .detail
                .split_once("; in force from ")
                .map_or(e.detail.as_str(), |(f, _)| f);
            same(
                format!("Escalation policy not conforming: {fault}"),
                fault.to_string(),
            )
        }
        K::OncallGap => (K::OncallGap, gap_title(&e.detail), e.detail.clone()),
        K::AdminChangeUnattributed => {
            let token = between(&e.detail, "token `", "`").unwrap_or("no actor");
            same(
                format!("Configuration changed with no named person (token `{token}`)"),
                format!("token `{token}`"),
            )
        }
        K::OncallLongShift | K::OnCallTargetDeleted | K::AuditTrailGap => same(
            format!("{}: {}", e.kind.title(), e.detail),
            e.detail.clone(),
        ),
        _ => same(e.kind.title().to_string(), e.kind.name().to_string()),
    }
}

fn gap_title(detail: &str) -> String {
    format!("On-call gap: {detail}")
}

/// The findings and, for each exception (same order), the index of its finding.
pub(crate) fn group(
    exceptions: &[Exception],
    ingested: &Ingested,
    policy: &Policy,
) -> (Vec<Finding>, Vec<usize>) {
    let by_id: BTreeMap<&str, usize> = ingested
        .incidents
        .iter()
        .enumerate()
        .map(|(i, x)| (x.id.as_str(), i))
        .collect();
    // Each schedule's first gap, by the gap's own detail (`schedule `S`: nobody …`).
    let mut gaps: BTreeMap<String, String> = BTreeMap::new();
    for e in exceptions
        .iter()
        .filter(|e| e.kind == ExceptionKind::OncallGap)
    {
        if let Some(schedule) = between(&e.detail, "schedule `", "`") {
            gaps.entry(schedule.to_string())
                .or_insert_with(|| e.detail.clone());
        }
    }
    struct Group {
        kind: ExceptionKind,
        title: String,
        numbers: std::collections::BTreeSet<i64>,
        first_seen: usize,
        exceptions: usize,
    }
    // (area rank, kind, cause) → group.
    let mut groups: BTreeMap<(usize, String), Group> = BTreeMap::new();
    let mut keys = Vec::with_capacity(exceptions.len());
    for (n, e) in exceptions.iter().enumerate() {
        let (kind, title, cause) = cause(e, ingested, &by_id, policy, &gaps);
        let rank = AREAS
            .iter()
            .position(|a| *a == area(kind))
            .unwrap_or(AREAS.len());
        let key = (rank, format!("{}\u{0}{cause}", kind.name()));
        let g = groups.entry(key.clone()).or_insert(Group {
            kind,
            title,
            numbers: Default::default(),
            first_seen: n,
            exceptions: 0,
        });
        g.exceptions += 1;
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
            }
        })
        .collect();
    let of = keys.iter().map(|k| index[k]).collect();
    (findings, of)
}
