//! `inputs.csv`: every file of the input folder, its format and hash, and its rows read =
//! used + rejected + outside the period; of the rows used, those excluded (not judged).

use std::io::Write;

use super::{io, writer};
use crate::checks::Evidence;

/// `inputs.csv`: every file in the input folder; files that are not incident exports have
/// the format `not_used` and empty counts.
pub(crate) fn inputs(e: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let ingested = &e.ingested;
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
        "rows_excluded",
        "scope",
    ])
    .map_err(io)?;
    for (n, (f, c)) in ingested.files.iter().zip(&e.reconciliation).enumerate() {
        if let Some(kind) = f.document {
            w.write_record([f.name.as_str(), kind, &f.sha256, "", "", "", "", "", "", ""])
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
                c.rows_excluded.to_string(),
                e.population.scope_of(n).to_string(),
            ]),
            None => w.write_record([
                f.name.as_str(),
                "not_used",
                &f.sha256,
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ]),
        }
        .map_err(io)?;
    }
    w.flush()
}
