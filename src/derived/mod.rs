//! The derived CSV files, one writer each over the `Evidence`: UTF-8, LF, header row, `.`
//! decimals, no exponents, empty = null; percentages with 2 decimals, seconds with 1. Also the
//! XLSX workbook made from them (`xlsx`).

mod exceptions;
mod inputs;
pub(crate) mod oncall;
mod postmortems;
mod register;
mod response;
mod results;
mod sla;
pub(crate) mod xlsx;

pub(crate) use sla::sla_summary;

use std::io::Write;

use crate::checks::Evidence;
use crate::error::Error;

/// Writes one derived file.
type Writer = fn(&Evidence, &mut dyn Write) -> std::io::Result<()>;

/// The files under `derived/`, in the order they are written, with their writers.
const WRITERS: [(&str, Writer); 20] = [
    ("sla_summary.csv", sla::sla_summary),
    ("monthly_trends.csv", sla::monthly_trends),
    ("incident_register.csv", register::incident_register),
    ("exclusions.csv", register::exclusions),
    ("security_incidents.csv", register::security_incidents),
    ("exceptions.csv", exceptions::exceptions),
    ("findings.csv", exceptions::findings),
    ("rejected_rows.csv", exceptions::rejected_rows),
    ("inputs.csv", inputs::inputs),
    ("postmortems.csv", postmortems::postmortems),
    ("ticket_links.csv", postmortems::ticket_links),
    ("oncall_coverage.csv", oncall::coverage),
    ("oncall_gaps.csv", oncall::gaps),
    ("oncall_load.csv", oncall::load),
    ("oncall_overrides.csv", oncall::overrides),
    ("escalation_conformance.csv", oncall::conformance),
    ("admin_changes.csv", oncall::admin_changes),
    ("response_timeline.csv", response::response_timeline),
    ("statuspage_matches.csv", response::statuspage_matches),
    ("results.csv", results::results),
];

/// File names under `derived/`, in the order they are written.
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    WRITERS.iter().map(|(name, _)| *name)
}

/// The derived CSV files, in memory: (path under the output folder and in the bundle, bytes).
pub(crate) fn files(evidence: &Evidence) -> Result<Vec<(String, Vec<u8>)>, Error> {
    WRITERS
        .iter()
        .map(|(name, write)| {
            let mut bytes = Vec::new();
            write(evidence, &mut bytes)
                .map_err(|e| Error::io("write", format!("derived/{name}"), e))?;
            Ok((format!("derived/{name}"), bytes))
        })
        .collect()
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
