//! The incident register (each incident of the period with its severity, month and
//! judgements, by creation time) and the exceptions it shows: data exceptions of incidents in
//! the period, SLA breaches and pending incidents with their measured facts, and gaps in the
//! incident numbering.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use polars::prelude::*;

use super::frame::{ACK_STATUS, MONTH, RESOLVE_STATUS, SEVERITY};
use super::{RegisterEntry, SlaStatus, UNCLASSIFIED};
use crate::error::Error;
use crate::ingest::Ingested;
use crate::model::text::{fmt_seconds, format_duration, rfc3339};
use crate::model::time::Period;
use crate::model::{BreachFacts, Cause, Exception, ExceptionKind, Incident};
use crate::policy::deadline::target_seconds;
use crate::policy::{Policy, Target};

/// The register from the judged frame: one entry per incident of the period (frame rows are
/// in the order of `in_period`), sorted by creation time.
pub(super) fn entries(
    judged: &DataFrame,
    in_period: &[usize],
    ingested: &Ingested,
    policy: &Policy,
    period: Period,
) -> Result<Vec<RegisterEntry>, Error> {
    let months = period.months();
    let ack_status = judged.column(ACK_STATUS)?.u32()?;
    let resolve_status = judged.column(RESOLVE_STATUS)?.u32()?;
    let severities = judged.column(SEVERITY)?.u32()?;
    let month_codes = judged.column(MONTH)?.u32()?;
    let severity_name = |code: Option<u32>| {
        code.and_then(|c| policy.severities.get(c as usize))
            .map_or(UNCLASSIFIED, |s| s.name.as_str())
    };
    let mut register: Vec<RegisterEntry> = Vec::with_capacity(in_period.len());
    for (row, &incident) in in_period.iter().enumerate() {
        register.push(RegisterEntry {
            incident,
            severity: severity_name(severities.get(row)).to_string(),
            month: month_codes
                .get(row)
                .and_then(|m| months.get(m as usize))
                .cloned()
                .unwrap_or_default(),
            ack: SlaStatus::from_frame(ack_status.get(row)),
            resolve: SlaStatus::from_frame(resolve_status.get(row)),
        });
    }
    register.sort_by(|a, b| {
        let (x, y) = (
            &ingested.incidents[a.incident],
            &ingested.incidents[b.incident],
        );
        (x.created, x.number, &x.id).cmp(&(y.created, y.number, &y.id))
    });
    Ok(register)
}

/// Data exceptions about incidents, counted only when the incident is in the period (with
/// its severity).
fn data_exceptions(register: &[RegisterEntry], ingested: &Ingested) -> Vec<Exception> {
    let mut by_id: HashMap<&str, Vec<&Exception>, foldhash::fast::RandomState> = HashMap::default();
    for e in &ingested.exceptions {
        if let Some(id) = e.incident_id.as_deref() {
            by_id.entry(id).or_default().push(e);
        }
    }
    if by_id.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for r in register {
        let id = ingested.incidents[r.incident].id.as_str();
        for e in by_id.get(id).into_iter().flatten() {
            out.push(Exception {
                severity: Some(r.severity.clone()),
                ..(*e).clone()
            });
        }
    }
    out
}

/// An `ack_breach`, `resolve_breach` or `sla_pending` exception per judgement of the
/// register that is not met.
fn breach_exceptions(
    register: &[RegisterEntry],
    ingested: &Ingested,
    policy: &Policy,
    as_of: DateTime<Utc>,
) -> Vec<Exception> {
    let mut out = Vec::new();
    for r in register {
        let incident = &ingested.incidents[r.incident];
        let severity = policy.severities.iter().find(|s| s.name == r.severity);
        for (status, is_ack) in [(r.ack, true), (r.resolve, false)] {
            if !matches!(
                status,
                SlaStatus::Breach | SlaStatus::Pending | SlaStatus::Excluded
            ) {
                continue;
            }
            let target = severity.and_then(|s| {
                if is_ack {
                    s.ack_within
                } else {
                    s.resolve_within
                }
            });
            let Some(target) = target else { continue };
            let facts = judgement_facts(incident, target, is_ack, status, policy, as_of);
            out.push(Exception {
                incident_number: incident.number,
                incident_id: Some(incident.id.clone()),
                severity: Some(r.severity.clone()),
                kind: match (status, is_ack) {
                    (SlaStatus::Pending, _) => ExceptionKind::SlaPending,
                    (SlaStatus::Excluded, _) => ExceptionKind::ExcludedUnacknowledged,
                    (_, true) => ExceptionKind::AckBreach,
                    (_, false) => ExceptionKind::ResolveBreach,
                },
                detail: facts.detail(),
                facts: Some(facts),
                cause: breach_cause(incident, &r.severity, target, status, is_ack),
            });
        }
    }
    out
}

/// The cause of a breach, for its finding: per severity, whether the incident was handled
/// late, closed unacknowledged, or not handled by the deadline. Pending and excluded
/// incidents are grouped by severity alone.
fn breach_cause(
    incident: &Incident,
    severity: &str,
    target: Target,
    status: SlaStatus,
    is_ack: bool,
) -> Option<Cause> {
    if status != SlaStatus::Breach {
        return None;
    }
    Some(match (is_ack, incident.tta_s, incident.ttr_s) {
        (true, None, Some(_)) => Cause::new(
            format!("{severity}: resolved without acknowledgement (target {target})"),
            format!("{severity} incidents closed with nobody acknowledging them"),
        ),
        (true, Some(_), _) => Cause::new(
            format!("{severity}: acknowledged after the target"),
            format!("{severity} incidents acknowledged later than {target}"),
        ),
        (true, None, None) => Cause::new(
            format!("{severity}: no acknowledgement by the deadline (target {target})"),
            format!("{severity} incidents not acknowledged by their deadline"),
        ),
        (false, _, Some(_)) => Cause::new(
            format!("{severity}: resolved after the target"),
            format!("{severity} incidents resolved later than {target}"),
        ),
        (false, _, None) => Cause::new(
            format!("{severity}: not resolved by the deadline (target {target})"),
            format!("{severity} incidents not resolved by their deadline"),
        ),
    })
}

/// A `no_responder` exception per incident of a severity with an acknowledgement target
/// whose export has the responder fields but names nobody assigned and nobody acknowledging.
fn no_responder(
    register: &[RegisterEntry],
    ingested: &Ingested,
    policy: &Policy,
) -> Vec<Exception> {
    register
        .iter()
        .filter(|r| {
            policy
                .severities
                .iter()
                .any(|s| s.name == r.severity && s.ack_within.is_some())
        })
        .filter_map(|r| {
            let incident = &ingested.incidents[r.incident];
            incident.responders.nobody().then(|| Exception {
                incident_number: incident.number,
                incident_id: Some(incident.id.clone()),
                severity: Some(r.severity.clone()),
                kind: ExceptionKind::NoResponder,
                detail: format!(
                    "the export names nobody assigned and nobody who acknowledged incident `{}`{}",
                    incident.id,
                    incident
                        .responders
                        .resolved_by
                        .as_deref()
                        .map(|r| format!(" (resolved by {r})"))
                        .unwrap_or_default()
                ),
                facts: None,
                cause: None,
            })
        })
        .collect()
}

/// Every exception the register shows: data problems, SLA judgements not met, numbering
/// gaps.
pub(super) fn exceptions(
    register: &[RegisterEntry],
    excluded: &[super::Excluded],
    ingested: &Ingested,
    policy: &Policy,
    as_of: DateTime<Utc>,
) -> Vec<Exception> {
    let mut out = data_exceptions(register, ingested);
    out.extend(no_responder(register, ingested, policy));
    out.extend(breach_exceptions(register, ingested, policy, as_of));
    // Excluded incidents are in the export: their numbers are no gap. A number only a
    // rejected row holds is an incident that could not be evaluated, not a gap.
    // Numbers run per system: each system's gaps among its own numbers (one pass each over
    // the rejected rows and the incidents, sorted by system; `System as usize` indexes
    // `System::ALL`).
    let mut rejected: [BTreeMap<i64, String>; 2] = Default::default();
    for r in ingested.rejected.iter().rev() {
        if let Some(n) = r.incident_number {
            rejected[r.system as usize].insert(
                n,
                format!(
                    "rejected row, {} line {}: {}",
                    ingested.files[r.source.file].name, r.source.line, r.reason
                ),
            );
        }
    }
    let mut held: [Vec<&Incident>; 2] = Default::default();
    for i in register
        .iter()
        .map(|r| r.incident)
        .chain(excluded.iter().map(|x| x.incident))
        .map(|i| &ingested.incidents[i])
    {
        held[i.system as usize].push(i);
    }
    let notes = filter_note(ingested);
    for (system, held) in crate::model::System::ALL.into_iter().zip(held) {
        for run in number_runs(held, system) {
            out.extend(number_gaps(
                run.into_iter(),
                &rejected[system as usize],
                &notes,
                system,
            ));
        }
    }
    out
}

/// The filters the incident exports state, other than their date range, in words: numbering
/// gaps are expected under them (another team's or service's incidents take numbers too).
fn filter_note(ingested: &Ingested) -> BTreeMap<usize, String> {
    let mut out = BTreeMap::new();
    for (n, f) in ingested
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.format.is_some_and(crate::model::Format::has_incidents))
    {
        let mut keys: Vec<String> = f
            .pages
            .iter()
            .flat_map(|p| p.filters.iter())
            .filter(|(k, v)| {
                // A date range explains no gap; nor does an Opsgenie query that only bounds
                // the creation time.
                let range = matches!(
                    k.as_str(),
                    "created_at_start" | "created_at_end" | "since" | "until" | "date_range"
                );
                let range_query =
                    k.as_str() == "query" && crate::ingest::opsgenie::is_creation_range(v);
                !range && !range_query
            })
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        keys.sort();
        keys.dedup();
        if !keys.is_empty() {
            out.insert(
                n,
                format!(
                    "outside the filter `{}` states ({}), as expected: incidents outside it take numbers too",
                    f.name,
                    keys.join(", ")
                ),
            );
        }
    }
    out
}

fn human(seconds: f64) -> String {
    let whole = seconds.round() as i64;
    format!("{} ({} s)", format_duration(whole), fmt_seconds(seconds))
}

impl BreachFacts {
    /// The one-line detail of `exceptions.csv`.
    fn detail(&self) -> String {
        format!(
            "{}; target {}; {}",
            self.measured, self.target, self.missed_by
        )
    }
}

/// The measured time, the target and by how much it was missed.
fn judgement_facts(
    incident: &Incident,
    target: Target,
    is_ack: bool,
    status: SlaStatus,
    policy: &Policy,
    as_of: DateTime<Utc>,
) -> BreachFacts {
    let limit = target_seconds(
        target,
        incident.created,
        policy.timezone,
        &policy.business_hours,
    );
    let deadline = crate::model::add_seconds(incident.created, limit);
    let target_text = match target {
        Target::Within(_) => target.to_string(),
        Target::NextBusinessDay | Target::BusinessHours(_) => {
            format!("{target}, due {}", rfc3339(deadline))
        }
    };
    let (what, measured) = if is_ack {
        match (incident.tta_s, incident.ttr_s) {
            (Some(t), _) => ("acknowledged after", Some(t)),
            (None, Some(r)) => ("resolved after", Some(r)),
            (None, None) => ("not acknowledged or resolved", None),
        }
    } else {
        match incident.ttr_s {
            Some(r) => ("resolved after", Some(r)),
            None => ("not resolved", None),
        }
    };
    let verb = if is_ack {
        "acknowledgement"
    } else {
        "resolution"
    };
    let open = human((as_of - incident.created).num_milliseconds() as f64 / 1000.0);
    let unacknowledged = is_ack && incident.tta_s.is_none();
    let (measured, missed_by) = match (status, measured) {
        // Only an acknowledgement meets the acknowledgement target.
        (SlaStatus::Excluded, Some(r)) => (
            format!(
                "resolved after {} s without acknowledgement",
                fmt_seconds(r)
            ),
            "left out of the acknowledgement figure by the policy (resolved_without_ack = exclude)"
                .to_string(),
        ),
        (_, Some(r)) if unacknowledged => (
            format!(
                "resolved after {} s without acknowledgement",
                fmt_seconds(r)
            ),
            "never acknowledged".to_string(),
        ),
        (SlaStatus::Pending, _) => (
            format!("{verb} not yet due at as-of {}", rfc3339(as_of)),
            format!("open for {open}"),
        ),
        (_, Some(m)) => (
            format!("{what} {}", human(m)),
            format!("missed by {}", human(m - limit)),
        ),
        (_, None) => (
            format!("{what} by as-of {}", rfc3339(as_of)),
            format!(
                "overdue by {}",
                human((as_of - deadline).num_milliseconds() as f64 / 1000.0)
            ),
        ),
    };
    BreachFacts {
        measured,
        target: target_text,
        missed_by,
    }
}

/// How far a `tinyId` must fall, in creation order, to be read as a roll.
const ROLL_DROP: i64 = 10_000;

/// The runs of numbers gaps are judged within. PagerDuty's incident numbers never restart:
/// one run. Opsgenie's `tinyId` rolls over ("it rolls", Opsgenie's search help): in
/// creation order, a number under half the one before it and at least `ROLL_DROP` lower
/// starts a new run, so a roll is not read as every number between missing.
fn number_runs(mut held: Vec<&Incident>, system: crate::model::System) -> Vec<Vec<&Incident>> {
    if system == crate::model::System::Pagerduty {
        return vec![held];
    }
    held.retain(|i| i.number.is_some());
    held.sort_by_key(|i| (i.created, i.number));
    let mut runs: Vec<Vec<&Incident>> = Vec::new();
    let mut previous: Option<i64> = None;
    for i in held {
        let n = i.number.unwrap_or_default();
        match runs.last_mut() {
            // A roll drops to a far lower number; a few alerts out of order do not.
            Some(run) if previous.is_none_or(|p| !(n < p / 2 && p - n >= ROLL_DROP)) => run.push(i),
            _ => runs.push(vec![i]),
        }
        previous = Some(n);
    }
    runs
}

/// Numbers missing between the lowest and highest incident number in the period.
///
/// A missing number that a rejected row holds (`rejected`: number → where and why) is a
/// `not_evaluable` exception instead, and splits the gap around it.
fn number_gaps<'a>(
    incidents: impl Iterator<Item = &'a Incident>,
    rejected: &BTreeMap<i64, String>,
    filter_notes: &BTreeMap<usize, String>,
    system: crate::model::System,
) -> Vec<Exception> {
    // PagerDuty's incident numbers, or Opsgenie's alert numbers (`tinyId`).
    let word = match system {
        crate::model::System::Pagerduty => "incident",
        crate::model::System::Opsgenie => "Opsgenie alert",
    };
    // Each number and the file it was read from: a gap next to an incident of a filtered
    // export is expected under its filter.
    let files: BTreeMap<i64, usize> = incidents
        .filter_map(|i| Some((i.number?, i.source.file)))
        .collect();
    let numbers: BTreeSet<i64> = files.keys().copied().collect();
    let filter_note = |p: i64, n: i64| {
        [p, n]
            .iter()
            .find_map(|x| files.get(x).and_then(|f| filter_notes.get(f)))
    };
    let mut out = Vec::new();
    let gap = |out: &mut Vec<Exception>, first: i64, last: i64, p: i64, n: i64| {
        if first > last {
            return;
        }
        let count = last - first + 1;
        let range = if count == 1 {
            format!("{word} number {first} is")
        } else {
            format!("{word} numbers {first} to {last} ({count}) are")
        };
        out.push(Exception {
            incident_number: Some(first),
            incident_id: None,
            severity: None,
            kind: ExceptionKind::IncidentNumberGap,
            detail: format!(
                "{range} missing between #{p} and #{n}: {}",
                match filter_note(p, n) {
                    Some(note) => format!("deleted, merged or not exported, or {note}"),
                    None => "deleted, merged, outside the export's filters, or not exported".to_string(),
                }
            ),
            facts: None,
            cause: None,
        });
    };
    let mut previous: Option<i64> = None;
    for &n in &numbers {
        if let Some(p) = previous.filter(|p| n - p > 1) {
            let mut first = p + 1;
            for (&r, why) in rejected.range(p + 1..n) {
                gap(&mut out, first, r - 1, p, n);
                out.push(Exception {
                    incident_number: Some(r),
                    incident_id: None,
                    severity: None,
                    kind: ExceptionKind::NotEvaluable,
                    detail: format!(
                        "{word} #{r} is in the export but could not be evaluated: {why}"
                    ),
                    facts: None,
                    cause: None,
                });
                first = r + 1;
            }
            gap(&mut out, first, n - 1, p, n);
        }
        previous = Some(n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejected_number_is_not_evaluable_not_a_gap() {
        let mk = |n: i64| Incident {
            number: Some(n),
            ..test_incident()
        };
        // Used 1 and 6; 3 only in a rejected row: gaps 2 and 4–5, 3 not evaluable.
        let list: Vec<Incident> = [1, 6].into_iter().map(mk).collect();
        let rejected = BTreeMap::from([(
            3,
            "rejected row, a.csv line 4: no creation time".to_string(),
        )]);
        let got: Vec<(Option<i64>, &str)> = number_gaps(
            list.iter(),
            &rejected,
            &BTreeMap::new(),
            crate::model::System::Pagerduty,
        )
        .iter()
        .map(|e| (e.incident_number, e.kind.name()))
        .collect::<Vec<_>>()
        .into_iter()
        .collect();
        assert_eq!(
            got,
            [
                (Some(2), "incident_number_gap"),
                (Some(3), "not_evaluable"),
                (Some(4), "incident_number_gap"),
            ]
        );
    }

    #[test]
    fn gaps() {
        let mk = |n: i64| Incident {
            number: Some(n),
            ..test_incident()
        };
        let list: Vec<Incident> = [5, 1, 2, 9, 6].into_iter().map(mk).collect();
        let gaps = number_gaps(
            list.iter(),
            &BTreeMap::new(),
            &BTreeMap::new(),
            crate::model::System::Pagerduty,
        );
        let got: Vec<_> = gaps
            .iter()
            .map(|g| (g.incident_number, g.detail.clone()))
            .collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, Some(3));
        assert!(
            got[0]
                .1
                .starts_with("incident numbers 3 to 4 (2) are missing between #2 and #5")
        );
        assert!(got[1].1.starts_with("incident numbers 7 to 8 (2)"));
    }

    #[test]
    fn an_opsgenie_roll_is_not_a_gap() {
        // tinyIds in creation order 99998, 99999, then the roll to 1, 3: runs [99998,
        // 99999] and [1, 3]; the one gap is 2 (not 4 to 99997). 99998 → 99999 and 1 → 3 rise.
        let at = |h: i64| {
            DateTime::parse_from_rfc3339("2026-01-05T00:00:00Z")
                .unwrap()
                .with_timezone(&Utc)
                + chrono::Duration::hours(h)
        };
        let list: Vec<Incident> = [(99_998, 0), (99_999, 1), (1, 2), (3, 3)]
            .into_iter()
            .map(|(n, h)| Incident {
                number: Some(n),
                created: at(h),
                system: crate::model::System::Opsgenie,
                ..test_incident()
            })
            .collect();
        let runs = number_runs(list.iter().collect(), crate::model::System::Opsgenie);
        assert_eq!(runs.len(), 2);
        let gaps: Vec<String> = runs
            .into_iter()
            .flat_map(|run| {
                number_gaps(
                    run.into_iter(),
                    &BTreeMap::new(),
                    &BTreeMap::new(),
                    crate::model::System::Opsgenie,
                )
            })
            .map(|e| e.detail)
            .collect();
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert!(gaps[0].starts_with("Opsgenie alert number 2 is missing between #1 and #3"));
    }

    fn test_incident() -> Incident {
        Incident::bare(
            "P",
            DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        )
    }
}
