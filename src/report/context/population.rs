//! "Population and extraction": what each export says it covers, whether every listing is
//! complete and the period covered, the extraction record, PagerDuty's own totals beside
//! ours, and the incidents of the period that were rejected.

use serde::Serialize;

use crate::checks::Evidence;
use crate::model::{ExceptionKind, Format};

#[derive(Debug, Serialize)]
pub(crate) struct PopulationView {
    /// The summary's sentence on scope.
    pub scope_sentence: String,
    /// Which system holds which dates, when any record is not PagerDuty's (a move off
    /// Opsgenie); empty otherwise.
    pub systems_sentence: String,
    /// (file, format, stated filters or "none stated").
    pub scopes: Vec<(String, String, String)>,
    /// Whether the stated creation ranges cover the period, in words.
    pub coverage: String,
    /// The extraction record's fields (key, value), empty when there is none.
    pub extraction: Vec<(String, String)>,
    pub extraction_file: String,
    /// Incomplete and truncated listings, uncovered days, a late record: one line each.
    pub problems: Vec<String>,
    /// PagerDuty's figures beside ours, by source and window.
    pub comparisons: Vec<ComparisonGroup>,
    /// Exports other than incident exports that state no filter.
    pub unscoped_other: usize,
    /// Rejected incidents of the period per severity, and their total.
    pub rejected_by_severity: Vec<(String, usize)>,
    pub rejected_incidents: usize,
}

/// The figures of one source and window: rows of measure, PagerDuty, ours, status, note.
#[derive(Debug, Serialize)]
pub(crate) struct ComparisonGroup {
    pub source: String,
    pub window: String,
    pub rows: Vec<Vec<String>>,
}

/// The gaps in incident numbering, in one line: each one when there are few, else how many.
fn gap_summary(e: &Evidence) -> Option<String> {
    let gaps: Vec<&crate::model::Exception> = e
        .exceptions
        .iter()
        .filter(|x| x.kind == ExceptionKind::IncidentNumberGap)
        .collect();
    match gaps.len() {
        0 => None,
        n if n <= 10 => Some(format!(
            "Gaps in incident numbering ({n}): {}",
            gaps.iter()
                .map(|g| g.detail.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )),
        n => Some(format!(
            "Gaps in incident numbering: {n}, the first at #{}; each is listed under its finding in the exceptions appendix and in `derived/exceptions.csv`",
            gaps[0].incident_number.unwrap_or_default()
        )),
    }
}

pub(super) fn view(e: &Evidence) -> PopulationView {
    let p = &e.population;
    let files = &e.ingested.files;
    let scopes: Vec<(String, String, String)> = p
        .scopes
        .iter()
        .map(|s| {
            let f = &files[s.file];
            (
                f.name.clone(),
                f.format.map(Format::name).unwrap_or_default().to_string(),
                if s.scope.is_empty() {
                    "none stated".to_string()
                } else {
                    s.scope.clone()
                },
            )
        })
        .collect();
    let incident_scopes: Vec<&(String, String, String)> = p
        .scopes
        .iter()
        .zip(&scopes)
        .filter(|(s, _)| files[s.file].format.is_some_and(Format::has_incidents))
        .map(|(_, v)| v)
        .collect();
    // Files that state one scope (the pages of one listing) are named together.
    let mut by_scope: Vec<(&str, Vec<&str>)> = Vec::new();
    for (f, _, s) in incident_scopes
        .iter()
        .filter(|(_, _, s)| s != "none stated")
    {
        match by_scope.iter_mut().find(|(scope, _)| scope == s) {
            Some((_, files)) => files.push(f),
            None => by_scope.push((s, vec![f])),
        }
    }
    let stated: Vec<String> = by_scope
        .iter()
        .map(|(s, files)| match files.as_slice() {
            [one] => format!("{one}: {s}"),
            [first, .., last] => format!("{} files ({first} to {last}): {s}", files.len()),
            [] => String::new(),
        })
        .collect();
    let unstated: Vec<&str> = incident_scopes
        .iter()
        .filter(|(_, _, s)| s == "none stated")
        .map(|(f, _, _)| f.as_str())
        .collect();
    let scope_sentence = match (stated.is_empty(), unstated.is_empty()) {
        (true, _) => "The incident exports state no filters, so what they cover is known only from how they were taken (the extraction record) and the checks below.".to_string(),
        (false, true) => format!("The incident exports state these filters: {}.", stated.join("; ")),
        (false, false) => format!(
            "The incident exports state these filters: {}; {} {} none, so {} scope is unknown from the files.",
            stated.join("; "),
            unstated.join(", "),
            if unstated.len() == 1 { "states" } else { "state" },
            if unstated.len() == 1 { "its" } else { "their" },
        ),
    };
    let systems_sentence = match p.systems_held(e.policy.timezone) {
        None => String::new(),
        Some(held) => format!(
            "The population comes from {}: {}.{}",
            if held.len() == 1 { "one system" } else { "more than one system" },
            held.join("; "),
            match (held.len(), p.held_by_neither) {
                (1, _) => String::new(),
                (_, true) => " A stretch of the period is held by no system's export (see the population section).".to_string(),
                (_, false) => " No stretch without a record in any of them is longer than a day and than the longest quiet stretch within one system.".to_string(),
            }
        ),
    };
    let coverage = match p.period_covered {
        Some(true) => "The creation ranges the incident exports state cover the whole period.".to_string(),
        Some(false) => "The creation ranges the incident exports state leave part of the period uncovered (see below).".to_string(),
        None => "Not every incident export states the creation range it was asked for, so coverage of the period rests on the numbering and the totals below.".to_string(),
    };
    let problems = e
        .exceptions
        .iter()
        .filter(|x| {
            matches!(
                x.kind,
                ExceptionKind::IncompleteExport
                    | ExceptionKind::TruncatedExport
                    | ExceptionKind::PeriodNotCovered
                    | ExceptionKind::ExtractionBeforeData
                    | ExceptionKind::IncidentNumberGap
            )
        })
        .filter(|x| x.kind != ExceptionKind::IncidentNumberGap)
        .map(|x| x.detail.clone())
        .chain(gap_summary(e))
        .collect();
    let mut comparisons: Vec<ComparisonGroup> = Vec::new();
    for c in &p.comparisons {
        let row = vec![
            c.measure.to_string(),
            c.pagerduty.clone(),
            c.ours.clone(),
            c.status.to_string(),
            c.note.clone(),
        ];
        match comparisons.last_mut() {
            Some(g) if g.source == c.source && g.window == c.window => g.rows.push(row),
            _ => comparisons.push(ComparisonGroup {
                source: c.source.clone(),
                window: c.window.clone(),
                rows: vec![row],
            }),
        }
    }
    // Incident exports always; other exports when they state a filter.
    let unscoped_other = p
        .scopes
        .iter()
        .filter(|s| !files[s.file].format.is_some_and(Format::has_incidents) && s.scope.is_empty())
        .count();
    let scopes: Vec<(String, String, String)> = p
        .scopes
        .iter()
        .zip(scopes)
        .filter(|(s, _)| {
            files[s.file].format.is_some_and(Format::has_incidents) || !s.scope.is_empty()
        })
        .map(|(_, v)| v)
        .collect();
    PopulationView {
        scope_sentence,
        systems_sentence,
        scopes,
        coverage,
        extraction: p
            .extraction
            .as_ref()
            .map(|x| {
                x.fields()
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect()
            })
            .unwrap_or_default(),
        extraction_file: p
            .extraction
            .as_ref()
            .map(|x| x.file.clone())
            .unwrap_or_default(),
        problems,
        comparisons,
        unscoped_other,
        rejected_by_severity: p
            .rejected_by_severity
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
        rejected_incidents: p.rejected_incidents(),
    }
}
