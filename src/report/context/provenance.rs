//! Data provenance: the input files with their hashes and row reconciliation, files not
//! used and why, completeness warnings, rejected rows.

use serde::Serialize;

use crate::checks::Evidence;
use crate::model::ExceptionKind;

#[derive(Debug, Serialize)]
pub(crate) struct InputView {
    pub file: String,
    pub format: String,
    pub sha256: String,
    pub sha256_short: String,
    pub size: u64,
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_rejected: u64,
    pub rows_outside: u64,
    pub timezone: String,
}

/// Rejected rows listed in the PDF; above this, a count and a pointer to the CSV.
pub(crate) const REJECTED_LIMIT: usize = 200;

/// Inputs, files not used, completeness warnings and rejected rows.
pub(super) struct Provenance {
    pub inputs: Vec<InputView>,
    pub not_used: Vec<(String, String)>,
    pub warnings: Vec<String>,
    pub rejected: Vec<Vec<String>>,
    pub rejected_total: usize,
    pub rejected_shown: usize,
}

/// Where the figures came from.
pub(super) fn view(e: &Evidence) -> Provenance {
    let ingested = &e.ingested;
    let inputs = ingested
        .files
        .iter()
        .zip(&e.reconciliation)
        .filter(|(f, _)| f.format.is_some())
        .map(|(f, c)| InputView {
            file: f.name.clone(),
            format: f.format.map(|x| x.name().to_string()).unwrap_or_default(),
            sha256: f.sha256.clone(),
            sha256_short: f.sha256.chars().take(16).collect(),
            size: f.size,
            rows_read: f.rows_read,
            rows_used: c.rows_used,
            rows_rejected: c.rows_rejected,
            rows_outside: c.rows_outside_period,
            timezone: f.timezone_assumed.clone().unwrap_or_default(),
        })
        .collect();
    let not_used = ingested
        .files
        .iter()
        .filter(|f| f.format.is_none() && f.document.is_none())
        .map(|f| {
            (
                f.name.clone(),
                f.not_used_reason
                    .clone()
                    .unwrap_or_else(|| "not an incidents export".to_string()),
            )
        })
        .collect();
    let mut warnings: Vec<String> = e
        .exceptions
        .iter()
        .filter(|x| {
            matches!(
                x.kind,
                ExceptionKind::TruncatedExport
                    | ExceptionKind::IncompleteExport
                    | ExceptionKind::PeriodNotCovered
                    | ExceptionKind::ExtractionBeforeData
                    | ExceptionKind::AggregateMismatch
                    | ExceptionKind::IncidentNumberGap
            )
        })
        .map(|x| x.detail.clone())
        .collect();
    if e.population.extraction.is_none() {
        warnings.insert(
            0,
            "no extraction record: nothing in the input folder says who took the exports, when, from which account or with which query (`auditpack init --extraction DIR` writes one)".to_string(),
        );
    }
    let mut rejected_rows: Vec<_> = ingested.rejected.iter().collect();
    rejected_rows.sort_by_key(|r| (r.source.file, r.source.line));
    let rejected_shown = rejected_rows.len().min(REJECTED_LIMIT);
    let rejected = rejected_rows
        .iter()
        .take(rejected_shown)
        .map(|r| {
            vec![
                ingested.files[r.source.file].name.clone(),
                r.source.line.to_string(),
                r.reason.clone(),
            ]
        })
        .collect();

    Provenance {
        inputs,
        not_used,
        warnings,
        rejected,
        rejected_total: ingested.rejected.len(),
        rejected_shown,
    }
}
