//! Who responded, from PagerDuty log entries.

use serde::Serialize;

use crate::checks::Evidence;

/// Who responded, from PagerDuty log entries (`derived/response_timeline.csv`).
#[derive(Debug, Serialize)]
pub(crate) struct TimelineView {
    /// Incidents of the period with log entries, and all incidents of the period.
    pub with_log: usize,
    pub incidents: usize,
    pub acknowledged: usize,
    pub escalated: usize,
    pub timeout_escalations: usize,
    pub notifications: usize,
    /// Person, first acknowledgements, incidents resolved.
    pub responders: Vec<Vec<String>>,
}

/// The responders' section.
pub(super) fn view(e: &Evidence) -> TimelineView {
    let m = &e.metrics;
    let rows = &e.timeline.rows;
    let mut people: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for r in rows {
        if let Some((_, who)) = &r.acknowledged {
            people.entry(who.as_str()).or_default().0 += 1;
        }
        if let Some((_, who)) = &r.resolved {
            people.entry(who.as_str()).or_default().1 += 1;
        }
    }
    TimelineView {
        with_log: rows.len(),
        incidents: m.register.len(),
        acknowledged: rows.iter().filter(|r| r.acknowledged.is_some()).count(),
        escalated: rows.iter().filter(|r| r.escalations > 0).count(),
        timeout_escalations: rows.iter().map(|r| r.timeout_escalations).sum(),
        notifications: rows.iter().map(|r| r.notifications).sum(),
        responders: people
            .into_iter()
            .map(|(who, (acks, resolved))| {
                vec![who.to_string(), acks.to_string(), resolved.to_string()]
            })
            .collect(),
    }
}
