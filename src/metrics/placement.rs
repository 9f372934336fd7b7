//! Incidents → the rows of the statistics frame: each incident of the period classified, its
//! local month and targets worked out, in parallel parts of `PART_SIZE` incidents that each
//! make their own piece of the frame; the pieces join in input order without being copied.
//! Incidents outside the period are counted per file, not placed.

use chrono::{DateTime, Datelike, Utc};
use polars::prelude::*;

use super::classify::{Classification, classify};
use super::frame::Columns;
use super::{FileCounts, UNCLASSIFIED};
use crate::ingest::Ingested;
use crate::model::time::{Period, local_date};
use crate::model::{Exception, ExceptionKind};
use crate::policy::deadline::target_seconds;
use crate::policy::{Policy, Target};

/// Incidents placed in the frame per parallel task.
const PART_SIZE: usize = 1 << 16;

/// What placing one part of the incidents gave.
#[derive(Default)]
pub(super) struct FramePart {
    /// The frame rows of the part's incidents in the period.
    frame: DataFrame,
    /// Their indexes into `Ingested::incidents`.
    in_period: Vec<usize>,
    /// Incidents used and outside the period, per input file.
    used: Vec<u64>,
    outside: Vec<u64>,
    /// Unclassified incidents (index) and why.
    unclassified: Vec<(usize, String)>,
    /// Excluded incidents (index) and the rule, not placed in the frame.
    excluded: Vec<(usize, ExclusionRule)>,
    /// Excluded incidents per input file (counted in `used` too).
    excluded_per_file: Vec<u64>,
}

/// Why an incident of the period is not judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExclusionRule {
    /// The policy's `[[exclusion]]` of this index (0-based, policy order).
    Policy(usize),
    /// Merged into another incident (its `#N` or id).
    Merge(String),
}

/// The rule that excludes an incident, if any: a merge first (a fact of the export), then
/// the policy's rules in order.
fn exclusion(incident: &crate::model::Incident, policy: &Policy) -> Option<ExclusionRule> {
    if let Some(into) = &incident.merged_into {
        return Some(ExclusionRule::Merge(into.clone()));
    }
    if policy.exclusions.is_empty() {
        return None;
    }
    let text =
        crate::policy::Folded::of(incident.description.as_deref(), incident.service.as_deref());
    policy
        .exclusions
        .iter()
        .position(|e| e.covers_folded(&text, incident.created))
        .map(ExclusionRule::Policy)
}

/// Places every incident, part by part in parallel (the local date and business-hours
/// targets are the per-incident work).
pub(super) fn place(
    ingested: &Ingested,
    policy: &Policy,
    period: Period,
    as_of: DateTime<Utc>,
) -> PolarsResult<Vec<FramePart>> {
    use rayon::prelude::*;
    let zone = policy.timezone;
    let files = ingested.files.len();
    let first_month = period.from.year() * 12 + period.from.month0() as i32;
    let unclassified_code = policy.severities.len() as u32;
    ingested
        .incidents
        .par_chunks(PART_SIZE)
        .enumerate()
        .map(|(k, chunk)| {
            let mut part = FramePart {
                used: vec![0; files],
                outside: vec![0; files],
                excluded_per_file: vec![0; files],
                ..FramePart::default()
            };
            let mut c = Columns::default();
            for (j, incident) in chunk.iter().enumerate() {
                let date = local_date(incident.created, zone);
                if date < period.from || date > period.to {
                    part.outside[incident.source.file] += 1;
                    continue;
                }
                part.used[incident.source.file] += 1;
                if let Some(rule) = exclusion(incident, policy) {
                    part.excluded_per_file[incident.source.file] += 1;
                    part.excluded.push((k * PART_SIZE + j, rule));
                    continue;
                }
                part.in_period.push(k * PART_SIZE + j);
                let target = |t: Option<Target>| {
                    t.map(|t| target_seconds(t, incident.created, zone, &policy.business_hours))
                };
                let (severity, ack, resolve) = match classify(incident, policy) {
                    Classification::Severity(index) => {
                        let severity = &policy.severities[index];
                        (
                            index as u32,
                            target(severity.ack_within),
                            target(severity.resolve_within),
                        )
                    }
                    Classification::Unclassified(reason) => {
                        part.unclassified.push((k * PART_SIZE + j, reason));
                        (unclassified_code, None, None)
                    }
                };
                c.severity.push(severity);
                // The date is in the period, so its month is one of the period's.
                c.month
                    .push((date.year() * 12 + date.month0() as i32 - first_month) as u32);
                c.tta.push(incident.tta_s);
                c.ttr.push(incident.ttr_s);
                c.ack_target.push(ack);
                c.resolve_target.push(resolve);
                c.open
                    .push((as_of - incident.created).num_milliseconds() as f64 / 1000.0);
            }
            part.frame = c.into_frame()?;
            Ok(part)
        })
        .collect()
}

/// The parts joined: the frame, the incidents it holds (by index, in input order), an
/// `unclassified` exception for each incident no severity matches.
pub(super) struct Placed {
    pub rows: DataFrame,
    pub in_period: Vec<usize>,
    pub unclassified: Vec<Exception>,
    pub any_unclassified: bool,
    /// Incidents of the period not judged, in input order, with their rule.
    pub excluded: Vec<(usize, ExclusionRule)>,
}

/// Joins the parts in input order and adds their counts to `files`.
pub(super) fn join(
    parts: Vec<FramePart>,
    ingested: &Ingested,
    files: &mut [FileCounts],
) -> PolarsResult<Placed> {
    let total: usize = parts.iter().map(|p| p.in_period.len()).sum();
    let mut placed = Placed {
        rows: Columns::default().into_frame()?,
        in_period: Vec::with_capacity(total),
        unclassified: Vec::new(),
        any_unclassified: false,
        excluded: Vec::new(),
    };
    for mut part in parts {
        for (file, counts) in files.iter_mut().enumerate() {
            counts.rows_used += part.used[file];
            counts.rows_outside_period += part.outside[file];
            counts.rows_excluded += part.excluded_per_file[file];
        }
        placed.excluded.append(&mut part.excluded);
        placed.rows.vstack_mut_owned(part.frame)?;
        placed.in_period.append(&mut part.in_period);
        for (index, reason) in part.unclassified {
            placed.any_unclassified = true;
            let incident = &ingested.incidents[index];
            placed.unclassified.push(Exception {
                incident_number: incident.number,
                incident_id: Some(incident.id.clone()),
                severity: Some(UNCLASSIFIED.to_string()),
                kind: ExceptionKind::Unclassified,
                detail: format!("incident `{}`: {reason}; no SLA applies", incident.id),
                facts: None,
                cause: Some(crate::model::Cause::new(
                    reason.clone(),
                    format!("Incidents with no severity: {reason}"),
                )),
            });
        }
    }
    Ok(placed)
}
