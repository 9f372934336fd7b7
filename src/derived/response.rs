//! `response_timeline.csv` (who was assigned, notified and acknowledged, from log entries)
//! and `statuspage_matches.csv` (each status-page incident and the PagerDuty incident that
//! detected it).

use std::io::Write;

use super::{io, writer};
use crate::checks::Evidence;
use crate::model::text::rfc3339;

/// `response_timeline.csv`: one row per incident of the period with log entries.
pub(crate) fn response_timeline(e: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let ingested = &e.ingested;
    let mut w = writer(out);
    w.write_record([
        "incident_number",
        "id",
        "severity",
        "log_entries",
        "triggered_at",
        "assigned_at",
        "assigned_to",
        "first_notified_at",
        "notifications",
        "notified",
        "acknowledged_at",
        "acknowledged_by",
        "escalations",
        "timeout_escalations",
        "resolved_at",
        "resolved_by",
    ])
    .map_err(io)?;
    let at = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(rfc3339).unwrap_or_default();
    for r in &e.timeline.rows {
        let i = &ingested.incidents[r.incident];
        w.write_record([
            i.number.map(|n| n.to_string()).unwrap_or_default(),
            i.id.clone(),
            r.severity.clone(),
            r.entries.to_string(),
            at(r.triggered),
            at(r.assigned.as_ref().map(|a| a.0)),
            r.assigned
                .as_ref()
                .map(|a| a.1.join("; "))
                .unwrap_or_default(),
            at(r.first_notified),
            r.notifications.to_string(),
            r.notified.join("; "),
            at(r.acknowledged.as_ref().map(|a| a.0)),
            r.acknowledged
                .as_ref()
                .map(|a| a.1.clone())
                .unwrap_or_default(),
            r.escalations.to_string(),
            r.timeout_escalations.to_string(),
            at(r.resolved.as_ref().map(|a| a.0)),
            r.resolved.as_ref().map(|a| a.1.clone()).unwrap_or_default(),
        ])
        .map_err(io)?;
    }
    w.flush()
}

/// `statuspage_matches.csv`: each status-page incident of the period and its PagerDuty match.
pub(crate) fn statuspage_matches(e: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let ingested = &e.ingested;
    let mut w = writer(out);
    w.write_record([
        "statuspage_id",
        "name",
        "impact",
        "components",
        "started_at",
        "notice_at",
        "resolved_at",
        "incident_number",
        "incident_id",
        "service",
        "pagerduty_created_at",
        "lead_time_s",
        "detected_internally_first",
        "matched_by",
        "source_file",
        "source_line",
    ])
    .map_err(io)?;
    for r in &e.statuspage.rows {
        let s = &ingested.status_incidents[r.status];
        let pd = r.incident.map(|(i, _)| &ingested.incidents[i]);
        w.write_record([
            s.id.clone(),
            s.name.clone(),
            s.impact.clone().unwrap_or_default(),
            s.components.join("; "),
            rfc3339(s.started),
            rfc3339(s.notice),
            s.resolved.map(rfc3339).unwrap_or_default(),
            pd.and_then(|i| i.number)
                .map(|n| n.to_string())
                .unwrap_or_default(),
            pd.map(|i| i.id.clone()).unwrap_or_default(),
            pd.and_then(|i| i.service.clone()).unwrap_or_default(),
            pd.map(|i| rfc3339(i.created)).unwrap_or_default(),
            r.lead_s.map(|s| s.to_string()).unwrap_or_default(),
            r.detected_first()
                .map(|d| d.to_string())
                .unwrap_or_default(),
            r.incident.map_or("none", |(_, by)| by.name()).to_string(),
            ingested.files[s.source.file].name.clone(),
            s.source.line.to_string(),
        ])
        .map_err(io)?;
    }
    w.flush()
}
