/*!
Ticket linkage: Jira keys (`OPS-1234`) and GitHub issue or pull-request URLs in an incident's
description, in the notes of its log entries, or in its REST `external_references`. Every incident of a severity with a postmortem rule (the significant ones: P1
and P2 by default) should name the ticket that tracks its follow-up; one without is a
`ticket_missing` exception. Pure: incidents and the policy in, rows and exceptions out.
*/

use std::sync::LazyLock;

use regex::Regex;

use crate::ingest::Ingested;
use crate::metrics::Metrics;
use crate::metrics::results::{Area, ResultRow, Verdict, pct_text};
use crate::model::{Exception, ExceptionKind};
use crate::policy::Policy;

/// Upper-case key, dash, number; the key of a Jira project is 2 to 10 characters.
static JIRA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([A-Z][A-Z0-9]{1,9})-([1-9][0-9]{0,6})\b").expect("a constant pattern")
});
static GITHUB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"https?://github\.com/[\w.-]+/[\w.-]+/(?:issues|pull)/\d+")
        .expect("a constant pattern")
});

/// Prefixes that look like Jira keys but are not tickets: incident and priority notations,
/// vulnerability ids, protocols.
const NOT_PROJECTS: [&str; 9] = ["INC", "PM", "PD", "SEV", "CVE", "RFC", "ISO", "HTTP", "TLS"];

/// The tickets a text names, in order of appearance, each once.
pub(crate) fn refs(text: &str) -> Vec<String> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for c in JIRA.captures_iter(text) {
        if !NOT_PROJECTS.contains(&&c[1]) {
            out.push((c.get(0).map_or(0, |m| m.start()), c[0].to_string()));
        }
    }
    for m in GITHUB.find_iter(text) {
        out.push((m.start(), m.as_str().to_string()));
    }
    out.sort();
    let mut seen = std::collections::BTreeSet::new();
    out.into_iter()
        .map(|(_, t)| t)
        .filter(|t| seen.insert(t.clone()))
        .collect()
}

/// One significant incident and its tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TicketRow {
    /// Index into `Ingested::incidents`.
    pub incident: usize,
    pub severity: String,
    pub tickets: Vec<String>,
    /// Where they were found, each once: `description`, `note`, `external_reference`.
    pub found_in: Vec<&'static str>,
}

/// The linkage of the period's significant incidents.
#[derive(Debug, Clone, Default)]
pub(crate) struct TicketLinks {
    /// In register order.
    pub rows: Vec<TicketRow>,
    pub exceptions: Vec<Exception>,
}

impl TicketLinks {
    /// The result: every incident with a postmortem rule names a ticket. None when no
    /// incident has the rule.
    pub(crate) fn results(&self) -> Vec<ResultRow> {
        let (linked, checked) = self.linked();
        if checked == 0 {
            return Vec::new();
        }
        vec![ResultRow {
            area: Area::Tickets,
            subject: crate::metrics::ALL.to_string(),
            measure: "linked_pct",
            value: pct_text(linked, checked),
            target: "100.00".to_string(),
            verdict: Verdict::from_bool(linked == checked),
            text: format!(
                "Significant incidents with a linked ticket: {linked} of {checked} ({:.1} %)",
                100.0 * linked as f64 / checked as f64
            ),
            target_text: "every incident with a postmortem rule".to_string(),
        }]
    }

    /// (incidents with a ticket, incidents checked).
    pub(crate) fn linked(&self) -> (usize, usize) {
        (
            self.rows.iter().filter(|r| !r.tickets.is_empty()).count(),
            self.rows.len(),
        )
    }
}

/// Checks every incident of the period whose severity has a postmortem rule.
pub(crate) fn assess(ingested: &Ingested, metrics: &Metrics, policy: &Policy) -> TicketLinks {
    let significant: Vec<&str> = policy
        .severities
        .iter()
        .filter(|s| s.postmortem_within.is_some())
        .map(|s| s.name.as_str())
        .collect();
    let mut out = TicketLinks::default();
    let log = ingested.log_by_incident();
    let mut external: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for (id, text, _) in &ingested.external_references {
        external.entry(id.as_str()).or_default().push(text.as_str());
    }
    for r in &metrics.register {
        if !significant.contains(&r.severity.as_str()) {
            continue;
        }
        let i = &ingested.incidents[r.incident];
        let mut tickets = Vec::new();
        let mut found_in = Vec::new();
        let notes = log
            .get(i.id.as_str())
            .into_iter()
            .flat_map(|l| l.iter())
            .filter_map(|e| e.text.as_deref());
        let texts = std::iter::once(("description", i.description.as_deref().unwrap_or_default()))
            .chain(notes.map(|t| ("note", t)))
            .chain(
                external
                    .get(i.id.as_str())
                    .into_iter()
                    .flatten()
                    .map(|t| ("external_reference", *t)),
            );
        for (origin, text) in texts {
            for t in refs(text) {
                if !tickets.contains(&t) {
                    tickets.push(t);
                    if !found_in.contains(&origin) {
                        found_in.push(origin);
                    }
                }
            }
        }
        if tickets.is_empty() {
            out.exceptions.push(Exception {
                incident_number: i.number,
                incident_id: Some(i.id.clone()),
                severity: Some(r.severity.clone()),
                kind: ExceptionKind::TicketMissing,
                detail: "no ticket in the description, log-entry notes or external references (a Jira key such as `OPS-123`, or a GitHub issue or pull-request URL)".to_string(),
                facts: None,
                cause: None,
            });
        }
        out.rows.push(TicketRow {
            incident: r.incident,
            severity: r.severity.clone(),
            tickets,
            found_in,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jira_keys_and_github_urls() {
        assert_eq!(
            refs(
                "Checkout down [OPS-1234], see https://github.com/acme/api/issues/77 and OPS-1234"
            ),
            vec!["OPS-1234", "https://github.com/acme/api/issues/77"]
        );
        assert_eq!(
            refs("fix in https://github.com/acme/api/pull/9"),
            vec!["https://github.com/acme/api/pull/9"]
        );
        // Incident and severity notations, CVEs and lower case are not tickets.
        assert_eq!(
            refs("INC-12 SEV-1 CVE-2024-3094 us-east-1 ops-12 X-1"),
            Vec::<String>::new()
        );
    }
}
