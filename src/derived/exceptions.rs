//! `exceptions.csv` (everything an auditor must look at) and `rejected_rows.csv` (rows that
//! could not be used, with why and the raw row).

use std::io::Write;

use super::{io, writer};
use crate::checks::Evidence;

/// `exceptions.csv`.
pub(crate) fn exceptions(ev: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = writer(out);
    w.write_record([
        "incident_number",
        "severity",
        "kind",
        "detail",
        "finding_id",
    ])
    .map_err(io)?;
    for (n, e) in ev.exceptions.iter().enumerate() {
        let finding = ev
            .finding_of
            .get(n)
            .and_then(|&f| ev.findings.get(f))
            .map(|f| f.id.clone())
            .unwrap_or_default();
        w.write_record([
            e.incident_number.map(|n| n.to_string()).unwrap_or_default(),
            e.severity.clone().unwrap_or_default(),
            e.kind.name().to_string(),
            e.detail.clone(),
            finding,
        ])
        .map_err(io)?;
    }
    w.flush()
}

/// `findings.csv`: the exceptions grouped by cause, in the order of the report's sections.
pub(crate) fn findings(ev: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = writer(out);
    w.write_record([
        "finding_id",
        "area",
        "kind",
        "title",
        "cause",
        "incidents",
        "first_incident",
        "last_incident",
        "severities",
        "management_response",
        "owner",
        "due",
    ])
    .map_err(io)?;
    let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    for f in &ev.findings {
        w.write_record([
            f.id.clone(),
            f.area.to_string(),
            f.kind.name().to_string(),
            f.title.clone(),
            f.cause.clone(),
            f.incidents.to_string(),
            number(f.first_incident),
            number(f.last_incident),
            f.severities.join("; "),
            // For the compliance lead to fill in (the workbook's Findings sheet too).
            String::new(),
            String::new(),
            String::new(),
        ])
        .map_err(io)?;
    }
    w.flush()
}

/// `rejected_rows.csv`, by file then line.
pub(crate) fn rejected_rows(e: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let ingested = &e.ingested;
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
