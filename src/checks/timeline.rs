/*!
The response timeline of each incident of the period that has log entries: when it was
triggered, assigned, first notified and acknowledged, by whom, how often it escalated (and
how often by timeout), and when and by whom it was resolved. This is the "who responded and
when" evidence an auditor asks for beside the SLA figures. Pure: ingested log entries and the
register in, rows and per-file reconciliation out. Definitions: `docs/rest-incidents.md`.
*/

use chrono::{DateTime, Utc};

use crate::ingest::Ingested;
use crate::metrics::Metrics;
use crate::model::Format;
use crate::model::{FileRows, LogEntry, LogKind};

/// One incident's timeline.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TimelineRow {
    /// Index into `Ingested::incidents`.
    pub incident: usize,
    pub severity: String,
    /// Log entries of the incident.
    pub entries: usize,
    pub triggered: Option<DateTime<Utc>>,
    /// First assignment and its assignees.
    pub assigned: Option<(DateTime<Utc>, Vec<String>)>,
    /// First notification.
    pub first_notified: Option<DateTime<Utc>>,
    pub notifications: usize,
    /// People notified, each once, in order.
    pub notified: Vec<String>,
    /// First acknowledgement and who made it.
    pub acknowledged: Option<(DateTime<Utc>, String)>,
    pub escalations: usize,
    pub timeout_escalations: usize,
    /// Last resolution and who (or which service) made it.
    pub resolved: Option<(DateTime<Utc>, String)>,
}

/// The timelines, in register order, and the log-entry files' reconciliation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timeline {
    pub rows: Vec<TimelineRow>,
    /// (file index, rows used, rows outside the period) for each file of log entries.
    pub file_counts: Vec<FileRows>,
}

fn row(incident: usize, severity: &str, log: &[LogEntry]) -> TimelineRow {
    let first = |k: LogKind| log.iter().find(|e| e.kind == k);
    let mut notified: Vec<String> = Vec::new();
    for e in log.iter().filter(|e| e.kind == LogKind::Notify) {
        for p in &e.people {
            if !notified.contains(p) {
                notified.push(p.clone());
            }
        }
    }
    let escalations = log.iter().filter(|e| e.kind == LogKind::Escalate);
    TimelineRow {
        incident,
        severity: severity.to_string(),
        entries: log.len(),
        triggered: first(LogKind::Trigger).map(|e| e.at),
        assigned: first(LogKind::Assign).map(|e| (e.at, e.people.clone())),
        first_notified: first(LogKind::Notify).map(|e| e.at),
        notifications: log.iter().filter(|e| e.kind == LogKind::Notify).count(),
        notified,
        acknowledged: first(LogKind::Acknowledge).map(|e| (e.at, e.agent.label().to_string())),
        escalations: escalations.clone().count(),
        timeout_escalations: escalations.filter(|e| e.is_timeout_escalation()).count(),
        resolved: log
            .iter()
            .rev()
            .find(|e| e.kind == LogKind::Resolve)
            .map(|e| (e.at, e.agent.label().to_string())),
    }
}

/// Builds the timeline of every incident of the register with log entries.
pub(crate) fn assess(ingested: &Ingested, metrics: &Metrics) -> Timeline {
    if ingested.log_entries.is_empty() {
        // Nothing to index (the usual Analytics-only run).
        return Timeline {
            rows: Vec::new(),
            file_counts: ingested.counts_by_file(Format::RestLogEntries, []),
        };
    }
    let by_incident = ingested.log_by_incident();
    let mut in_period = vec![false; ingested.incidents.len()];
    let mut rows = Vec::new();
    for r in &metrics.register {
        in_period[r.incident] = true;
        let id = ingested.incidents[r.incident].id.as_str();
        if let Some(log) = by_incident.get(id) {
            rows.push(row(r.incident, &r.severity, log));
        }
    }
    // An excluded incident (a merge, a documented exclusion) is of the period: its log
    // entries were read and count as used, though it is not judged.
    for x in &metrics.exclusions {
        in_period[x.incident] = true;
    }
    let index: std::collections::HashMap<&str, usize, foldhash::fast::RandomState> = ingested
        .incidents
        .iter()
        .enumerate()
        .map(|(n, i)| (i.id.as_str(), n))
        .collect();
    let file_counts = ingested.counts_by_file(
        Format::RestLogEntries,
        ingested.log_entries.iter().map(|e| {
            let used = index
                .get(e.incident_id.as_str())
                .is_some_and(|&n| in_period[n]);
            (e.source.file, used)
        }),
    );
    Timeline { rows, file_counts }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Ref;
    use crate::model::SourceRef;

    fn entry(kind: LogKind, minute: i64, agent: (&str, &str), channel: &str) -> LogEntry {
        LogEntry {
            id: format!("L{minute}{kind:?}"),
            incident_id: "PX".to_string(),
            kind,
            at: DateTime::parse_from_rfc3339("2026-03-02T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc)
                + chrono::Duration::minutes(minute),
            agent: Ref {
                id: Some("A".to_string()),
                kind: Some(agent.0.to_string()),
                summary: Some(agent.1.to_string()),
            },
            channel: Some(channel.to_string()),
            people: if kind == LogKind::Notify || kind == LogKind::Assign {
                vec![format!("{}", agent.1)]
            } else {
                vec![]
            },
            text: None,
            merged_into: None,
            source: SourceRef {
                file: 0,
                line: 1,
                start: 0,
                end: 0,
            },
        }
    }

    #[test]
    fn worked_timeline() {
        // Triggered 10:00, assigned and notified Ana 10:00, escalated by timeout 10:05 to
        // Ben (notified 10:05), escalated by hand 10:07, Ben acknowledged 10:08, resolved
        // 10:40 by Ben.
        let svc = ("service_reference", "checkout-api");
        let log = vec![
            entry(LogKind::Trigger, 0, svc, "api"),
            entry(LogKind::Assign, 0, ("user_reference", "Ana Lima"), "auto"),
            entry(LogKind::Notify, 0, ("user_reference", "Ana Lima"), "sms"),
            entry(LogKind::Escalate, 5, svc, "auto"),
            entry(
                LogKind::Notify,
                5,
                ("user_reference", "Ben Okafor"),
                "phone",
            ),
            entry(LogKind::Notify, 6, ("user_reference", "Ana Lima"), "phone"),
            entry(
                LogKind::Escalate,
                7,
                ("user_reference", "Ana Lima"),
                "website",
            ),
            entry(
                LogKind::Acknowledge,
                8,
                ("user_reference", "Ben Okafor"),
                "website",
            ),
            entry(
                LogKind::Resolve,
                40,
                ("user_reference", "Ben Okafor"),
                "website",
            ),
        ];
        let r = row(0, "P1", &log);
        assert_eq!(r.entries, 9);
        assert_eq!(r.notifications, 3);
        assert_eq!(r.notified, vec!["Ana Lima", "Ben Okafor"]);
        assert_eq!((r.escalations, r.timeout_escalations), (2, 1));
        let (ack_at, by) = r.acknowledged.unwrap();
        assert_eq!(by, "Ben Okafor");
        assert_eq!((ack_at - r.triggered.unwrap()).num_seconds(), 480);
        assert_eq!(r.resolved.unwrap().1, "Ben Okafor");
    }
}
