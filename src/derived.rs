//! The derived CSV files, written to any `impl Write`: UTF-8, LF, header row, `.` decimals,
//! no exponents, empty = null; percentages with 2 decimals, seconds with 1.

pub mod oncall;
pub mod xlsx;

use std::io::Write;

use crate::ingest::Ingested;
use crate::metrics::{Metrics, SlaRow, rfc3339};
use crate::postmortem::Postmortems;

/// File names under `derived/`, in the order they are written.
pub const FILES: [&str; 16] = [
    "sla_summary.csv",
    "monthly_trends.csv",
    "incident_register.csv",
    "exceptions.csv",
    "rejected_rows.csv",
    "inputs.csv",
    "postmortems.csv",
    "ticket_links.csv",
    "oncall_coverage.csv",
    "oncall_gaps.csv",
    "oncall_load.csv",
    "oncall_overrides.csv",
    "escalation_conformance.csv",
    "admin_changes.csv",
    "response_timeline.csv",
    "statuspage_matches.csv",
];

/// A percentage with 2 decimals; empty for null.
pub fn fmt_pct(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}")).unwrap_or_default()
}

/// Seconds with 1 decimal; empty for null.
pub fn fmt_secs(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_default()
}

fn fmt_count(v: Option<u64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

pub(crate) fn writer<W: Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out)
}

pub(crate) fn io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

/// The columns of `sla_summary.csv`, in order.
pub const SUMMARY_HEADER: [&str; 16] = [
    "severity",
    "incidents",
    "acknowledged",
    "ack_within_sla",
    "ack_within_sla_pct",
    "mtta_s",
    "tta_p50_s",
    "tta_p90_s",
    "tta_p95_s",
    "resolved",
    "resolve_within_sla",
    "resolve_within_sla_pct",
    "mttr_s",
    "ttr_p50_s",
    "ttr_p90_s",
    "ttr_p95_s",
];

/// The statistics columns of `monthly_trends.csv`, after `month`: a subset of the summary's.
const MONTHLY_COLUMNS: [&str; 12] = [
    "severity",
    "incidents",
    "acknowledged",
    "ack_within_sla",
    "ack_within_sla_pct",
    "mtta_s",
    "tta_p90_s",
    "resolved",
    "resolve_within_sla",
    "resolve_within_sla_pct",
    "mttr_s",
    "ttr_p90_s",
];

/// One row's cells, in the order of `SUMMARY_HEADER`.
pub fn summary_cells(r: &SlaRow) -> [String; 16] {
    let s = &r.stats;
    [
        r.severity.clone(),
        s.incidents.to_string(),
        s.acknowledged.to_string(),
        fmt_count(r.ack_within_sla()),
        fmt_pct(r.ack_within_sla_pct()),
        fmt_secs(s.mtta_s),
        fmt_secs(s.tta_p50_s),
        fmt_secs(s.tta_p90_s),
        fmt_secs(s.tta_p95_s),
        s.resolved.to_string(),
        fmt_count(r.resolve_within_sla()),
        fmt_pct(r.resolve_within_sla_pct()),
        fmt_secs(s.mttr_s),
        fmt_secs(s.ttr_p50_s),
        fmt_secs(s.ttr_p90_s),
        fmt_secs(s.ttr_p95_s),
    ]
}

/// `sla_summary.csv`.
pub fn write_sla_summary<W: Write>(metrics: &Metrics, out: W) -> std::io::Result<()> {
    let mut w = writer(out);
    w.write_record(SUMMARY_HEADER).map_err(io)?;
    for r in &metrics.summary {
        w.write_record(summary_cells(r)).map_err(io)?;
    }
    w.flush()
}

/// `monthly_trends.csv`.
pub fn write_monthly_trends<W: Write>(metrics: &Metrics, out: W) -> std::io::Result<()> {
    let mut w = writer(out);
    let picks: Vec<usize> = MONTHLY_COLUMNS
        .iter()
        .map(|c| {
            SUMMARY_HEADER
                .iter()
                .position(|h| h == c)
                .expect("every monthly column is a summary column")
        })
        .collect();
    w.write_record(std::iter::once("month").chain(MONTHLY_COLUMNS))
        .map_err(io)?;
    for r in &metrics.monthly {
        let cells = summary_cells(r);
        let month = r.month.clone().unwrap_or_default();
        w.write_record(std::iter::once(&month).chain(picks.iter().map(|&i| &cells[i])))
            .map_err(io)?;
    }
    w.flush()
}

/// `incident_register.csv`.
pub fn write_register<W: Write>(
    metrics: &Metrics,
    ingested: &Ingested,
    out: W,
) -> std::io::Result<()> {
    let mut w = writer(out);
    w.write_record([
        "incident_number",
        "id",
        "description",
        "service",
        "team",
        "priority",
        "severity",
        "urgency",
        "created_at",
        "acknowledged_at",
        "resolved_at",
        "tta_s",
        "ttr_s",
        "ack_sla_met",
        "resolve_sla_met",
        "month",
        "source_file",
        "source_line",
    ])
    .map_err(io)?;
    for r in &metrics.register {
        let i = &ingested.incidents[r.incident];
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        w.write_record([
            i.number.map(|n| n.to_string()).unwrap_or_default(),
            i.id.clone(),
            text(&i.description),
            text(&i.service),
            text(&i.team),
            text(&i.priority),
            r.severity.clone(),
            text(&i.urgency),
            rfc3339(i.created),
            i.acknowledged().map(rfc3339).unwrap_or_default(),
            i.resolved().map(rfc3339).unwrap_or_default(),
            fmt_secs(i.tta_s),
            fmt_secs(i.ttr_s),
            r.ack.as_register().to_string(),
            r.resolve.as_register().to_string(),
            r.month.clone(),
            ingested.files[i.source.file].name.clone(),
            i.source.line.to_string(),
        ])
        .map_err(io)?;
    }
    w.flush()
}

/// `exceptions.csv`.
pub fn write_exceptions<W: Write>(metrics: &Metrics, out: W) -> std::io::Result<()> {
    let mut w = writer(out);
    w.write_record(["incident_number", "severity", "kind", "detail"])
        .map_err(io)?;
    for e in &metrics.exceptions {
        w.write_record([
            e.incident_number.map(|n| n.to_string()).unwrap_or_default(),
            e.severity.clone().unwrap_or_default(),
            e.kind.name().to_string(),
            e.detail.clone(),
        ])
        .map_err(io)?;
    }
    w.flush()
}

/// `rejected_rows.csv`, by file then line.
pub fn write_rejected<W: Write>(ingested: &Ingested, out: W) -> std::io::Result<()> {
    let mut w = writer(out);
    w.write_record(["source_file", "source_line", "reason", "raw"])
        .map_err(io)?;
    let mut rows: Vec<_> = ingested.rejected.iter().collect();
    rows.sort_by_key(|r| (r.source.file, r.source.line, r.source.start));
    for r in rows {
        w.write_record([
            ingested.files[r.source.file].name.as_str(),
            &r.source.line.to_string(),
            &r.reason,
            &r.raw,
        ])
        .map_err(io)?;
    }
    w.flush()
}

/// `inputs.csv`: every file in the input folder; files that are not incident exports have
/// the format `not_used` and empty counts.
pub fn write_inputs<W: Write>(
    metrics: &Metrics,
    ingested: &Ingested,
    out: W,
) -> std::io::Result<()> {
    let mut w = writer(out);
    w.write_record([
        "file",
        "format",
        "sha256",
        "rows_read",
        "rows_used",
        "rows_rejected",
        "rows_outside_period",
        "timezone_assumed",
    ])
    .map_err(io)?;
    for (f, c) in ingested.files.iter().zip(&metrics.files) {
        if let Some(kind) = f.document {
            w.write_record([f.name.as_str(), kind, &f.sha256, "", "", "", "", ""])
                .map_err(io)?;
            continue;
        }
        match f.format {
            Some(format) => w.write_record([
                f.name.clone(),
                format.name().to_string(),
                f.sha256.clone(),
                f.rows_read.to_string(),
                c.rows_used.to_string(),
                c.rows_rejected.to_string(),
                c.rows_outside_period.to_string(),
                f.timezone_assumed.clone().unwrap_or_default(),
            ]),
            None => w.write_record([f.name.as_str(), "not_used", &f.sha256, "", "", "", "", ""]),
        }
        .map_err(io)?;
    }
    w.flush()
}

/// The columns of `postmortems.csv`, in order.
pub const POSTMORTEM_HEADER: [&str; 13] = [
    "incident_number",
    "severity",
    "resolved_at",
    "due_by",
    "document",
    "document_sha256",
    "postmortem_date",
    "date_source",
    "on_time",
    "missing_sections",
    "actions",
    "actions_missing_owner_or_due",
    "status",
];

/// `postmortems.csv`: one row per incident that needs a postmortem and each document linked
/// to it (an incident without one gets a row with no document), then documents linked to no
/// incident of the period. `status` sums the row up (see docs/postmortems.md).
pub fn write_postmortems<W: Write>(
    postmortems: &Postmortems,
    ingested: &Ingested,
    out: W,
) -> std::io::Result<()> {
    let mut w = writer(out);
    w.write_record(POSTMORTEM_HEADER).map_err(io)?;
    for row in &postmortems.rows {
        let incident = row.incident.map(|i| &ingested.incidents[i]);
        let doc = row.document.map(|d| &postmortems.documents[d]);
        let readable = doc.filter(|d| d.unreadable.is_none());
        let contents = readable.and_then(|d| d.contents.as_ref());
        w.write_record([
            incident
                .and_then(|i| i.number)
                .map(|n| n.to_string())
                .unwrap_or_default(),
            row.severity.clone().unwrap_or_default(),
            row.resolved_at.map(rfc3339).unwrap_or_default(),
            row.due_by.map(rfc3339).unwrap_or_default(),
            doc.map(|d| d.name.clone()).unwrap_or_default(),
            doc.map(|d| d.sha256.clone()).unwrap_or_default(),
            readable
                .and_then(|d| d.date.as_ref())
                .map(|(date, _)| date.render())
                .unwrap_or_default(),
            readable
                .map(|d| d.date_source().to_string())
                .unwrap_or_default(),
            row.on_time.map(|b| b.to_string()).unwrap_or_default(),
            contents
                .map(|c| {
                    c.missing()
                        .iter()
                        .map(|s| s.name())
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default(),
            contents
                .map(|c| c.actions.len().to_string())
                .unwrap_or_default(),
            contents
                .map(|c| c.incomplete_actions().count().to_string())
                .unwrap_or_default(),
            row.status.clone(),
        ])
        .map_err(io)?;
    }
    w.flush()
}

/// `ticket_links.csv`: each significant incident of the period and the tickets its
/// description names (`; `-separated).
pub fn write_tickets<W: Write>(
    links: &crate::tickets::TicketLinks,
    ingested: &Ingested,
    out: W,
) -> std::io::Result<()> {
    let mut w = writer(out);
    w.write_record([
        "incident_number",
        "id",
        "severity",
        "tickets",
        "linked",
        "found_in",
    ])
    .map_err(io)?;
    for r in &links.rows {
        let i = &ingested.incidents[r.incident];
        w.write_record([
            i.number.map(|n| n.to_string()).unwrap_or_default(),
            i.id.clone(),
            r.severity.clone(),
            r.tickets.join("; "),
            (!r.tickets.is_empty()).to_string(),
            r.found_in.join("; "),
        ])
        .map_err(io)?;
    }
    w.flush()
}

/// `response_timeline.csv`: one row per incident of the period with log entries.
pub fn write_timeline<W: Write>(
    metrics: &Metrics,
    ingested: &Ingested,
    out: W,
) -> std::io::Result<()> {
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
    for r in &metrics.response.rows {
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
pub fn write_statuspage<W: Write>(
    metrics: &Metrics,
    ingested: &Ingested,
    out: W,
) -> std::io::Result<()> {
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
    for r in &metrics.statuspage.rows {
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
