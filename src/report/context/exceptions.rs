//! Every exception, grouped by finding (its cause), with the measured facts of breaches;
//! times in the organisation's zone.

use serde::Serialize;

use crate::checks::Evidence;
use crate::model::ExceptionKind;
use crate::model::text::local_text;

#[derive(Debug, Serialize)]
pub(crate) struct ExceptionGroup {
    pub kind: String,
    pub title: String,
    /// Breaches and pending incidents have measured / target / missed-by columns; other
    /// kinds one detail column.
    pub has_facts: bool,
    /// The first `EXCEPTIONS_PER_KIND` of the kind; `exceptions.csv` has them all.
    pub rows: Vec<Vec<String>>,
    /// How many of the kind there are.
    pub total: usize,
}

/// Exceptions printed per finding in the PDF: beyond this a table of tens of thousands of rows
/// costs gigabytes to typeset and helps no reader; the CSV lists every one.
pub(crate) const EXCEPTIONS_PER_KIND: usize = 100;

/// Exceptions printed in all: beyond this, each further finding shows its count only.
pub(crate) const EXCEPTIONS_IN_ALL: usize = 1000;

/// The exceptions grouped by kind, the first `EXCEPTIONS_PER_KIND` of each.
pub(super) fn groups(e: &Evidence) -> Vec<ExceptionGroup> {
    let (m, ingested) = (&e.metrics, &e.ingested);
    let register_by_id: std::collections::HashMap<&str, usize> = m
        .register
        .iter()
        .map(|r| (ingested.incidents[r.incident].id.as_str(), r.incident))
        .collect();
    let mut exception_groups: Vec<ExceptionGroup> = Vec::new();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); e.findings.len()];
    for (n, &f) in e.finding_of.iter().enumerate() {
        members[f].push(n);
    }
    let mut printed = 0usize;
    for (finding, list) in e.findings.iter().zip(members) {
        let kind = finding.kind;
        let total = list.len();
        let take = EXCEPTIONS_PER_KIND.min(EXCEPTIONS_IN_ALL.saturating_sub(printed));
        printed += take.min(total);
        let rows = list
            .iter()
            .take(take)
            .map(|&n| {
                let x = &e.exceptions[n];
                let incident = x
                    .incident_id
                    .as_deref()
                    .and_then(|id| register_by_id.get(id).copied())
                    .map(|i| &ingested.incidents[i]);
                let tail = match &x.facts {
                    Some(f) => vec![f.measured.clone(), f.target.clone(), f.missed_by.clone()],
                    None => vec![x.detail.clone()],
                };
                let mut row = vec![
                    x.incident_number.map(|n| n.to_string()).unwrap_or_default(),
                    x.severity.clone().unwrap_or_default(),
                    incident.and_then(|i| i.service.clone()).unwrap_or_default(),
                    incident
                        .map(|i| local_text(i.created, e.policy.timezone))
                        .unwrap_or_default(),
                ];
                row.extend(tail);
                row
            })
            .collect();
        exception_groups.push(ExceptionGroup {
            kind: kind.name().to_string(),
            title: format!("{} — {}", finding.id, finding.title),
            has_facts: matches!(
                kind,
                ExceptionKind::AckBreach
                    | ExceptionKind::ResolveBreach
                    | ExceptionKind::SlaPending
                    | ExceptionKind::PostmortemLate
            ),
            rows,
            total,
        });
    }

    exception_groups
}
