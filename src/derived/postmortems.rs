//! `postmortems.csv` (each incident that needs a postmortem and its documents) and
//! `ticket_links.csv` (the tickets of the same incidents).

use std::io::Write;

use super::{io, writer};
use crate::checks::Evidence;
use crate::model::text::rfc3339;

/// The columns of `postmortems.csv`, in order.
pub(crate) const POSTMORTEM_HEADER: [&str; 13] = [
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
pub(crate) fn postmortems(e: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let (postmortems, ingested) = (&e.postmortems, &e.ingested);
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
pub(crate) fn ticket_links(e: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let (links, ingested) = (&e.tickets, &e.ingested);
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
