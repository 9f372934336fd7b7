//! `incident_register.csv`: every incident of the period with its judgements and its source.

use std::io::Write;

use super::{io, writer};
use crate::checks::Evidence;
use crate::model::text::{fmt_secs_exact, rfc3339};

/// `incident_register.csv`.
pub(crate) fn incident_register(e: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let ingested = &e.ingested;
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
        "assigned_to",
        "acknowledged_by",
        "resolved_by",
        "escalation_policy",
        "url",
        "created_local",
        "source_system",
    ])
    .map_err(io)?;
    for r in &e.metrics.register {
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
            fmt_secs_exact(i.tta_s),
            fmt_secs_exact(i.ttr_s),
            r.ack.as_register().to_string(),
            r.resolve.as_register().to_string(),
            r.month.clone(),
            ingested.files[i.source.file].name.clone(),
            i.source.line.to_string(),
            text(&i.responders.assigned_to),
            text(&i.responders.acknowledged_by),
            text(&i.responders.resolved_by),
            text(&i.escalation_policy),
            text(&i.responders.url),
            crate::model::text::local_rfc3339(i.created, e.policy.timezone),
            i.system.name().to_string(),
        ])
        .map_err(io)?;
    }
    w.flush()
}

/// `exclusions.csv`: every incident of the period that is not judged, with the rule
/// (`exclusion 1`, … in policy order, or `merge`) and its reason.
pub(crate) fn exclusions(e: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = writer(out);
    w.write_record(["incident_number", "rule", "reason"])
        .map_err(io)?;
    for x in &e.metrics.exclusions {
        let i = &e.ingested.incidents[x.incident];
        w.write_record([
            i.number
                .map(|n| n.to_string())
                .unwrap_or_else(|| i.id.clone()),
            x.rule.clone(),
            x.reason.clone(),
        ])
        .map_err(io)?;
    }
    w.flush()
}

/// `security_incidents.csv`: the incidents `[security]` singles out, with who responded and
/// the register's judgements.
pub(crate) fn security_incidents(e: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = writer(out);
    w.write_record([
        "incident_number",
        "severity",
        "service",
        "description",
        "created_at",
        "assigned_to",
        "acknowledged_by",
        "tta_s",
        "ttr_s",
        "ack_sla_met",
        "resolve_sla_met",
        "postmortem_status",
    ])
    .map_err(io)?;
    for s in &e.security.rows {
        let r = &e.metrics.register[s.entry];
        let i = &e.ingested.incidents[r.incident];
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        w.write_record([
            i.number.map(|n| n.to_string()).unwrap_or_default(),
            r.severity.clone(),
            text(&i.service),
            text(&i.description),
            rfc3339(i.created),
            text(&i.responders.assigned_to),
            text(&i.responders.acknowledged_by),
            fmt_secs_exact(i.tta_s),
            fmt_secs_exact(i.ttr_s),
            r.ack.as_register().to_string(),
            r.resolve.as_register().to_string(),
            s.postmortem_status.clone(),
        ])
        .map_err(io)?;
    }
    w.flush()
}
