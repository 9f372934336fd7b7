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
    /// Per severity, the counts said so they add up.
    pub coverage_words: Vec<String>,
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
    let coverage_words = p
        .coverage
        .iter()
        .map(|c| {
            let missing = c.required - c.present.min(c.required);
            format!(
                "{}: {} incidents need a postmortem within {} of resolution. Due by the as-of time: {}; of these, with a document: {}, without: {}. Not yet due (open, or the deadline is later): {}.",
                c.severity,
                c.required + c.not_yet_due,
                c.within,
                c.required,
                c.present,
                missing,
                c.not_yet_due
            )
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
        .map(|(k, n)| (k.title().to_string(), n))
        .collect();
    let (tickets_linked, tickets_checked) = e.tickets.linked();
    PostmortemView {
        supplied,
        coverage,
        coverage_words,
        documents,
        exceptions,
        tickets_linked,
        tickets_checked,
    }
}

/// Incidents printed in the postmortems appendix; `postmortems.csv` has them all.
pub(crate) const POSTMORTEM_ROWS: usize = 1000;

/// Postmortems by incident, sorted by incident number: incident, severity, resolved, due,
/// document, published, status (times in the organisation's zone).
pub(super) fn by_incident(e: &Evidence) -> Vec<Vec<String>> {
    use crate::model::text::local_text;
    let (p, ingested, zone) = (&e.postmortems, &e.ingested, e.policy.timezone);
    let mut rows: Vec<(Option<i64>, Vec<String>)> = p
        .rows
        .iter()
        .map(|r| {
            let inc = r.incident.map(|i| &ingested.incidents[i]);
            let number = inc.and_then(|i| i.number);
            let label = inc.map_or_else(String::new, |i| {
                i.number.map_or_else(|| i.id.clone(), |n| format!("#{n}"))
            });
            let doc = r.document.map(|d| &p.documents[d]);
            let published = doc.map_or_else(String::new, |d| match (&d.unreadable, &d.date) {
                (Some(_), _) => "unreadable".to_string(),
                (None, Some((date, _))) => date.render(),
                (None, None) => "no date".to_string(),
            });
            (
                number,
                vec![
                    label,
                    r.severity.clone().unwrap_or_default(),
                    r.resolved_at
                        .map(|t| local_text(t, zone))
                        .unwrap_or_default(),
                    r.due_by.map(|t| local_text(t, zone)).unwrap_or_default(),
                    doc.map(|d| d.name.clone())
                        .unwrap_or_else(|| "none".to_string()),
                    published,
                    r.status.replace('_', " "),
                ],
            )
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    rows.into_iter()
        .take(POSTMORTEM_ROWS)
        .map(|(_, r)| r)
        .collect()
}
