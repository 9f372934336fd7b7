//! The security-events section: how many incidents the `[security]` rules single out, how
//! they were handled, and the first of them (the CSV has all).

use serde::Serialize;

use crate::checks::Evidence;
use crate::metrics::UNCLASSIFIED;
use crate::metrics::results::pct_text;
use crate::model::text::{local_text, words};

/// Security incidents printed in the report; `derived/security_incidents.csv` has all.
const SHOWN: usize = 300;

#[derive(Debug, Serialize)]
pub(crate) struct SecurityView {
    /// The rules, as the policy states them.
    pub matches: String,
    pub services: String,
    pub total: usize,
    pub judged: usize,
    pub met: usize,
    pub pct: String,
    /// Resolved with nobody acknowledging.
    pub auto_closed: usize,
    /// Without a severity.
    pub unclassified: usize,
    pub shown: usize,
    pub rows: Vec<Vec<String>>,
}

pub(super) fn view(e: &Evidence) -> SecurityView {
    let (m, s) = (&e.metrics, &e.security);
    let (met, judged) = s.acknowledged(m);
    let secs = |v: Option<f64>| v.map(words).unwrap_or_default();
    let rows = s
        .rows
        .iter()
        .take(SHOWN)
        .map(|row| {
            let r = &m.register[row.entry];
            let i = &e.ingested.incidents[r.incident];
            vec![
                i.number.map(|n| n.to_string()).unwrap_or_default(),
                local_text(i.created, e.policy.timezone),
                r.severity.clone(),
                i.description.clone().unwrap_or_default(),
                i.responders
                    .acknowledged_by
                    .clone()
                    .unwrap_or_else(|| "—".to_string()),
                secs(i.tta_s),
                secs(i.ttr_s),
                super::register::status_word(r.ack).to_string(),
                row.postmortem_status.replace('_', " "),
            ]
        })
        .collect::<Vec<_>>();
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    SecurityView {
        matches: list(&e.policy.security.matches),
        services: list(&e.policy.security.services),
        total: s.rows.len(),
        judged,
        met,
        pct: pct_text(met, judged),
        auto_closed: s.auto_closed(m, &e.ingested),
        unclassified: s
            .rows
            .iter()
            .filter(|r| m.register[r.entry].severity == UNCLASSIFIED)
            .count(),
        shown: rows.len(),
        rows,
    }
}
