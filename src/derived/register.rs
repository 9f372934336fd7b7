//! `incident_register.csv`: every incident of the period with its judgements and its source.

use std::io::Write;

use super::{io, writer};
use crate::checks::Evidence;
use crate::model::text::{fmt_secs, rfc3339};

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
