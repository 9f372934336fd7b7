//! `exceptions.csv` (everything an auditor must look at) and `rejected_rows.csv` (rows that
//! could not be used, with why and the raw row).

use std::io::Write;

use super::{io, writer};
use crate::checks::Evidence;

/// `exceptions.csv`.
pub(crate) fn exceptions(ev: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = writer(out);
    w.write_record(["incident_number", "severity", "kind", "detail"])
        .map_err(io)?;
    for e in &ev.exceptions {
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
