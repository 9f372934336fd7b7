//! `auditpack stats`: the SLA table for the inputs, as a table, CSV or JSON. Writes no files.

use std::io::Write;

use serde::Serialize;

use super::inputs::load;
use super::summary::{JsonRow, sla_table};
use crate::cli::{StatsArgs, StatsFormat};
use crate::derived;
use crate::error::{Error, ExitStatus};
use crate::model::text::rfc3339;

/// Prints the SLA summary.
pub(crate) fn run(args: &StatsArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let loaded = {
        let progress = crate::commands::progress::Progress::new(false);
        let config = crate::config::InputConfig::new(&args.input)?;
        load(&config, &progress, crate::metrics::Scope::Summary)?
    };
    let m = &loaded.evidence.metrics;
    let io = |e| Error::io("write", "standard output", e);
    match args.format {
        StatsFormat::Table => {
            let e = &loaded.evidence;
            let mut text = format!(
                "period: {} to {} ({}); as of {}\nrejected rows: {}\n\n",
                m.period.from,
                m.period.to,
                loaded.policy.policy.timezone.name(),
                rfc3339(m.as_of),
                e.ingested.rejected.len()
            );
            text.push_str(&sla_table(m));
            text.push_str("\nresults:\n");
            for r in e
                .results
                .iter()
                .filter(|r| r.area == crate::metrics::results::Area::Sla)
            {
                text.push_str(&format!(
                    "  {:<10} {} (target {})\n",
                    r.verdict.words(),
                    r.text,
                    r.target_text
                ));
            }
            out.write_all(text.as_bytes()).map_err(io)?;
        }
        StatsFormat::Csv => derived::sla_summary(&loaded.evidence, &mut *out).map_err(io)?,
        StatsFormat::Json => {
            let doc = JsonStats {
                organization: &loaded.policy.policy.organization,
                period_from: m.period.from.to_string(),
                period_to: m.period.to.to_string(),
                timezone: loaded.policy.policy.timezone.name(),
                as_of: rfc3339(m.as_of),
                severities: m.summary.iter().map(JsonRow::from).collect(),
            };
            let text = serde_json::to_string_pretty(&doc)
                .map_err(|e| Error::Usage(format!("cannot encode JSON: {e}")))?;
            writeln!(out, "{text}").map_err(io)?;
        }
    }
    // The process ends next: its records are left for it to release at once rather than
    // freed one by one (a million records: three strings each).
    std::mem::forget(loaded);
    Ok(ExitStatus::Success)
}

#[derive(Serialize)]
struct JsonStats<'a> {
    organization: &'a str,
    period_from: String,
    period_to: String,
    timezone: &'a str,
    as_of: String,
    severities: Vec<JsonRow>,
}
