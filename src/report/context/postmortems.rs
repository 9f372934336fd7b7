//! The postmortem section: coverage per severity, each document, the exception counts.

use serde::Serialize;

use super::count_pct;
use crate::checks::Evidence;
use crate::model::ExceptionKind;

/// The postmortem section: coverage per severity, the documents, their exceptions.
#[derive(Debug, Serialize)]
pub(crate) struct PostmortemView {
    /// Whether any postmortem document was supplied.
    pub supplied: bool,
    /// Severity, rule, required, present, on time, complete (with %), not yet due.
    pub coverage: Vec<Vec<String>>,
    /// Document, incidents, date (source), status, SHA-256.
    pub documents: Vec<Vec<String>>,
    /// Postmortem exception kinds (`exceptions.csv` name) and counts, in kind order.
    pub exceptions: Vec<(String, usize)>,
    /// Significant incidents with a ticket, and how many were checked.
    pub tickets_linked: usize,
    pub tickets_checked: usize,
}

/// The postmortem section's tables.
pub(super) fn view(e: &Evidence) -> PostmortemView {
    let (p, ingested) = (&e.postmortems, &e.ingested);
    let supplied = !p.documents.is_empty();
    let coverage = p
        .coverage
        .iter()
        .map(|c| {
            vec![
                c.severity.clone(),
                format!("{} after resolution", c.within),
                c.required.to_string(),
                count_pct(c.present, c.required),
                count_pct(c.on_time, c.required),
                count_pct(c.complete, c.required),
                c.not_yet_due.to_string(),
            ]
        })
        .collect();
    let documents = p
        .documents
        .iter()
        .enumerate()
        .map(|(d, v)| {
            let incidents: Vec<String> = v
                .linked
                .iter()
                .map(|&i| {
                    let inc = &ingested.incidents[i];
                    inc.number
                        .map_or_else(|| inc.id.clone(), |n| format!("#{n}"))
                })
                .collect();
            let mut statuses: Vec<&str> = p
                .rows
                .iter()
                .filter(|r| r.document == Some(d))
                .map(|r| r.status.as_str())
                .collect();
            statuses.dedup();
            let date = match (&v.unreadable, &v.date) {
                (Some(u), _) => format!("unreadable ({})", u.code()),
                (None, Some((date, source))) => format!("{} ({source})", date.render()),
                (None, None) => "none".to_string(),
            };
            vec![
                v.name.clone(),
                incidents.join(", "),
                date,
                statuses.join(", "),
                v.sha256.clone(),
            ]
        })
        .collect();
    let mut counts: std::collections::BTreeMap<ExceptionKind, usize> = Default::default();
    for e in &p.exceptions {
        *counts.entry(e.kind).or_default() += 1;
    }
    let exceptions = counts
        .into_iter()
        .map(|(k, n)| (k.name().to_string(), n))
        .collect();
    let (tickets_linked, tickets_checked) = e.tickets.linked();
    PostmortemView {
        supplied,
        coverage,
        documents,
        exceptions,
        tickets_linked,
        tickets_checked,
    }
}
