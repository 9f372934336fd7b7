//! Ingested incidents + policy + period + as-of → `Metrics`: the SLA summary, monthly
//! trends, the incident register, exceptions and the per-file reconciliation.
//!
//! Classification is per incident (`classify`); judging and statistics run in polars
//! (`frame`, `sla`). Only this file collects polars plans. No I/O, no clock.

pub mod classify;
pub mod frame;
pub mod results;
pub mod sla;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Utc};
use polars::prelude::*;

use crate::error::Error;
use crate::ingest::Ingested;
use crate::model::text::{fmt_pct, fmt_seconds, fmt_secs, format_duration, rfc3339};
use crate::model::time::{Period, local_date};
use crate::model::{BreachFacts, Exception, ExceptionKind, Incident};
use crate::policy::deadline::target_seconds;
use crate::policy::{Policy, Target};
use classify::{Classification, classify};
use frame::{ACK_STATUS, BREACH, Columns, MET, MONTH, PENDING, RESOLVE_STATUS, SEVERITY};
pub use sla::SlaStats;

/// The severity name of incidents that match no policy severity.
pub const UNCLASSIFIED: &str = "unclassified";
/// The pooled row.
pub const ALL: &str = "ALL";

/// How one incident fared against one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaStatus {
    /// Within the target.
    Met,
    /// Late, or never happened by its deadline.
    Breach,
    /// Open at the as-of instant, deadline not yet passed: not judged.
    Pending,
    /// The severity has no such target.
    NoTarget,
}

impl SlaStatus {
    fn from_frame(value: Option<u32>) -> Self {
        match value {
            Some(MET) => Self::Met,
            Some(BREACH) => Self::Breach,
            Some(PENDING) => Self::Pending,
            _ => Self::NoTarget,
        }
    }

    /// The register's text: `true`, `false`, `pending`, or empty without a target.
    pub fn as_register(self) -> &'static str {
        match self {
            Self::Met => "true",
            Self::Breach => "false",
            Self::Pending => "pending",
            Self::NoTarget => "",
        }
    }
}

/// Incidents placed in the frame per parallel task.
const STRETCH: usize = 1 << 16;

/// What placing one stretch of incidents gave.
#[derive(Default)]
struct Stretch {
    /// The frame rows of the stretch's incidents in the period.
    frame: DataFrame,
    /// Their indexes into `Ingested::incidents`.
    in_period: Vec<usize>,
    /// Incidents used and outside the period, per input file.
    used: Vec<u64>,
    outside: Vec<u64>,
    /// Unclassified incidents (index) and why.
    unclassified: Vec<(usize, String)>,
}

/// One row of `sla_summary.csv` or `monthly_trends.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaRow {
    /// `YYYY-MM` for monthly rows.
    pub month: Option<String>,
    /// Severity name, `unclassified` or `ALL`.
    pub severity: String,
    /// Whether the row's incidents have an acknowledgement target.
    pub has_ack_target: bool,
    /// Whether they have a resolution target.
    pub has_resolve_target: bool,
    /// The statistics.
    pub stats: SlaStats,
}

fn pct(met: u64, judged: u64) -> Option<f64> {
    (judged > 0).then(|| met as f64 * 100.0 / judged as f64)
}

impl SlaRow {
    /// Incidents acknowledged (or responded to) within the target; `None` without a target.
    pub fn ack_within_sla(&self) -> Option<u64> {
        self.has_ack_target.then_some(self.stats.ack_met)
    }
    /// Incidents judged against the acknowledgement target (met + breach).
    pub fn ack_judged(&self) -> u64 {
        self.stats.ack_met + self.stats.ack_breach
    }
    /// Percentage within the acknowledgement target; `None` when nothing was judged.
    pub fn ack_within_sla_pct(&self) -> Option<f64> {
        pct(self.stats.ack_met, self.ack_judged()).filter(|_| self.has_ack_target)
    }
    /// Incidents resolved within the target; `None` without a target.
    pub fn resolve_within_sla(&self) -> Option<u64> {
        self.has_resolve_target.then_some(self.stats.resolve_met)
    }
    /// Incidents judged against the resolution target.
    pub fn resolve_judged(&self) -> u64 {
        self.stats.resolve_met + self.stats.resolve_breach
    }
    /// Percentage within the resolution target; `None` when nothing was judged.
    pub fn resolve_within_sla_pct(&self) -> Option<f64> {
        pct(self.stats.resolve_met, self.resolve_judged()).filter(|_| self.has_resolve_target)
    }
}

/// The columns of `sla_summary.csv`, in order (`monthly_trends.csv` has `month` and a
/// subset).
pub const SLA_COLUMNS: [&str; 16] = [
    "severity",
    "incidents",
    "acknowledged",
    "ack_within_sla",
    "ack_within_sla_pct",
    "mtta_s",
    "tta_p50_s",
    "tta_p90_s",
    "tta_p95_s",
    "resolved",
    "resolve_within_sla",
    "resolve_within_sla_pct",
    "mttr_s",
    "ttr_p50_s",
    "ttr_p90_s",
    "ttr_p95_s",
];

fn fmt_count(v: Option<u64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

impl SlaRow {
    /// The row's cells as the CSVs print them, in the order of `SLA_COLUMNS`.
    pub fn cells(&self) -> [String; 16] {
        let r = self;
        let s = &r.stats;
        [
            r.severity.clone(),
            s.incidents.to_string(),
            s.acknowledged.to_string(),
            fmt_count(r.ack_within_sla()),
            fmt_pct(r.ack_within_sla_pct()),
            fmt_secs(s.mtta_s),
            fmt_secs(s.tta_p50_s),
            fmt_secs(s.tta_p90_s),
            fmt_secs(s.tta_p95_s),
            s.resolved.to_string(),
            fmt_count(r.resolve_within_sla()),
            fmt_pct(r.resolve_within_sla_pct()),
            fmt_secs(s.mttr_s),
            fmt_secs(s.ttr_p50_s),
            fmt_secs(s.ttr_p90_s),
            fmt_secs(s.ttr_p95_s),
        ]
    }
}

/// One incident of the register.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterEntry {
    /// Index into `Ingested::incidents`.
    pub incident: usize,
    /// Severity name or `unclassified`.
    pub severity: String,
    /// Local month.
    pub month: String,
    /// Acknowledgement (response) judgement.
    pub ack: SlaStatus,
    /// Resolution judgement.
    pub resolve: SlaStatus,
}

/// Rows used, rejected and outside the period, for one input file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileCounts {
    pub rows_used: u64,
    pub rows_rejected: u64,
    pub rows_outside_period: u64,
}

/// Everything computed.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// The audit period.
    pub period: Period,
    /// The instant open incidents are judged at.
    pub as_of: DateTime<Utc>,
    /// One row per severity in policy order, `unclassified` if any, then `ALL`.
    pub summary: Vec<SlaRow>,
    /// For every month of the period, the same severity rows as the summary.
    pub monthly: Vec<SlaRow>,
    /// Incidents in the period, by creation time.
    pub register: Vec<RegisterEntry>,
    /// Exceptions, sorted.
    pub exceptions: Vec<Exception>,
    /// Reconciliation per input file (same order as `Ingested::files`).
    pub files: Vec<FileCounts>,
    /// Time-to-acknowledge distribution per severity with an acknowledgement target.
    pub tta_histograms: Vec<TtaHistogram>,
}

/// The distribution of tta for one severity, in buckets of `width_s`.
#[derive(Debug, Clone, PartialEq)]
pub struct TtaHistogram {
    /// Severity name.
    pub severity: String,
    /// Bucket width in seconds.
    pub width_s: f64,
    /// Counts: `HISTOGRAM_BUCKETS` buckets, then everything above.
    pub counts: Vec<u64>,
    /// The target in seconds, when it is a fixed duration.
    pub target_s: Option<f64>,
}

/// The order of `exceptions.csv`: by incident number (none first), kind, detail.
pub fn sort_exceptions(exceptions: &mut [Exception]) {
    exceptions.sort_by(|a, b| {
        (a.incident_number, a.kind, &a.detail).cmp(&(b.incident_number, b.kind, &b.detail))
    });
}

/// Buckets below the overflow bucket: eight, so the target sits at the fourth edge.
pub const HISTOGRAM_BUCKETS: i64 = 8;

/// The latest timestamp in the inputs: creation, acknowledgement or resolution.
pub fn latest_timestamp(incidents: &[Incident]) -> Option<DateTime<Utc>> {
    use rayon::prelude::*;
    incidents
        .par_iter()
        .flat_map_iter(|i| [Some(i.created), i.acknowledged(), i.resolved()])
        .flatten()
        .max()
}

/// The whole months spanned by the incidents' local creation dates.
pub fn default_period(incidents: &[Incident], policy: &Policy) -> Option<Period> {
    use rayon::prelude::*;
    let (first, last) = incidents
        .par_iter()
        .map(|i| {
            let date = local_date(i.created, policy.timezone);
            (date, date)
        })
        .reduce_with(|a, b| (a.0.min(b.0), a.1.max(b.1)))?;
    Some(Period::whole_months(first, last))
}

/// How much a command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The SLA tables only (`summary`, `monthly`, the reconciliation): `stats`.
    Summary,
    /// Everything the evidence shows: the register, every exception, the histograms, the
    /// postmortem, ticket, on-call, response and status-page checks.
    Evidence,
}

/// Computes every metric (`Scope::Summary`: the SLA tables and the reconciliation only;
/// the register, exceptions and histograms stay empty).
pub fn compute(
    ingested: &Ingested,
    policy: &Policy,
    period: Period,
    as_of: DateTime<Utc>,
    scope: Scope,
) -> Result<Metrics, Error> {
    let zone = policy.timezone;
    let mut files = vec![FileCounts::default(); ingested.files.len()];
    for r in &ingested.rejected {
        files[r.source.file].rows_rejected += 1;
    }
    let first_month = period.from.year() * 12 + period.from.month0() as i32;
    let unclassified_code = policy.severities.len() as u32;
    // Incidents are placed in the frame stretch by stretch, in parallel (the local date
    // and business-hours targets are the per-incident work); each stretch makes its own
    // piece of the frame, and the pieces join in input order without being copied.
    let stretches: Vec<Stretch> = {
        use rayon::prelude::*;
        ingested
            .incidents
            .par_chunks(STRETCH)
            .enumerate()
            .map(|(k, chunk)| {
                let mut s = Stretch {
                    used: vec![0; files.len()],
                    outside: vec![0; files.len()],
                    ..Stretch::default()
                };
                let mut c = Columns::default();
                for (j, incident) in chunk.iter().enumerate() {
                    let date = local_date(incident.created, zone);
                    if date < period.from || date > period.to {
                        s.outside[incident.source.file] += 1;
                        continue;
                    }
                    s.used[incident.source.file] += 1;
                    s.in_period.push(k * STRETCH + j);
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
                            s.unclassified.push((k * STRETCH + j, reason));
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
                s.frame = c.into_frame()?;
                Ok(s)
            })
            .collect::<PolarsResult<_>>()?
    };
    let mut exceptions: Vec<Exception> = ingested
        .exceptions
        .iter()
        .filter(|e| e.incident_id.is_none())
        .cloned()
        .collect();
    let total: usize = stretches.iter().map(|s| s.in_period.len()).sum();
    let mut rows = Columns::default().into_frame()?;
    let mut in_period: Vec<usize> = Vec::with_capacity(total);
    let mut any_unclassified = false;
    for mut s in stretches {
        for (file, counts) in files.iter_mut().enumerate() {
            counts.rows_used += s.used[file];
            counts.rows_outside_period += s.outside[file];
        }
        rows.vstack_mut_owned(s.frame)?;
        in_period.append(&mut s.in_period);
        for (index, reason) in s.unclassified {
            any_unclassified = true;
            let incident = &ingested.incidents[index];
            exceptions.push(Exception {
                incident_number: incident.number,
                incident_id: Some(incident.id.clone()),
                severity: Some(UNCLASSIFIED.to_string()),
                kind: ExceptionKind::Unclassified,
                detail: format!("incident `{}`: {reason}; no SLA applies", incident.id),
                facts: None,
            });
        }
    }

    // The pieces become one chunk again (each column in parallel) before the four groupings.
    let mut judged = frame::with_status(rows.lazy()).collect()?;
    judged.rechunk_mut_par();
    let summary_df = sla::aggregate(judged.clone().lazy(), &[SEVERITY]).collect()?;
    let all_df = sla::aggregate(judged.clone().lazy(), &[]).collect()?;
    let monthly_df = sla::aggregate(judged.clone().lazy(), &[MONTH, SEVERITY]).collect()?;
    let monthly_all_df = sla::aggregate(judged.clone().lazy(), &[MONTH]).collect()?;

    // The severity rows every table shows, in order, with their codes and targets (the
    // pooled row has no code).
    let mut row_kinds: Vec<(Option<u32>, String, bool, bool)> = policy
        .severities
        .iter()
        .enumerate()
        .map(|(code, s)| {
            (
                Some(code as u32),
                s.name.clone(),
                s.ack_within.is_some(),
                s.resolve_within.is_some(),
            )
        })
        .collect();
    if any_unclassified {
        row_kinds.push((
            Some(unclassified_code),
            UNCLASSIFIED.to_string(),
            false,
            false,
        ));
    }
    row_kinds.push((
        None,
        ALL.to_string(),
        policy.any_ack_target(),
        policy.any_resolve_target(),
    ));

    // (month code, severity code) → statistics; `None` for every month / every severity.
    let mut by_key: HashMap<(Option<u32>, Option<u32>), SlaStats> = HashMap::new();
    by_key.extend(
        sla::extract(&summary_df, &[SEVERITY])?
            .into_iter()
            .map(|(k, s)| ((None, Some(k[0])), s)),
    );
    by_key.extend(
        sla::extract(&all_df, &[])?
            .into_iter()
            .map(|(_, s)| ((None, None), s)),
    );
    by_key.extend(
        sla::extract(&monthly_df, &[MONTH, SEVERITY])?
            .into_iter()
            .map(|(k, s)| ((Some(k[0]), Some(k[1])), s)),
    );
    by_key.extend(
        sla::extract(&monthly_all_df, &[MONTH])?
            .into_iter()
            .map(|(k, s)| ((Some(k[0]), None), s)),
    );
    let months = period.months();
    let row =
        |month: Option<usize>, (code, name, ack, res): &(Option<u32>, String, bool, bool)| SlaRow {
            month: month.map(|m| months[m].clone()),
            severity: name.clone(),
            has_ack_target: *ack,
            has_resolve_target: *res,
            stats: by_key
                .get(&(month.map(|m| m as u32), *code))
                .cloned()
                .unwrap_or_default(),
        };
    let summary = row_kinds.iter().map(|k| row(None, k)).collect();
    let monthly = (0..months.len())
        .flat_map(|m| row_kinds.iter().map(move |k| (m, k)))
        .map(|(m, k)| row(Some(m), k))
        .collect();

    if scope == Scope::Summary {
        return Ok(Metrics {
            period,
            as_of,
            summary,
            monthly,
            register: Vec::new(),
            exceptions: Vec::new(),
            files,
            tta_histograms: Vec::new(),
        });
    }
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

    // Data exceptions about incidents count only when the incident is in the period.
    let mut data_exceptions: HashMap<&str, Vec<&Exception>, foldhash::fast::RandomState> =
        HashMap::default();
    for e in &ingested.exceptions {
        if let Some(id) = e.incident_id.as_deref() {
            data_exceptions.entry(id).or_default().push(e);
        }
    }
    if !data_exceptions.is_empty() {
        for r in &register {
            let id = ingested.incidents[r.incident].id.as_str();
            for e in data_exceptions.get(id).into_iter().flatten() {
                exceptions.push(Exception {
                    severity: Some(r.severity.clone()),
                    ..(*e).clone()
                });
            }
        }
    }
    for r in &register {
        let incident = &ingested.incidents[r.incident];
        let severity = policy.severities.iter().find(|s| s.name == r.severity);
        for (status, is_ack) in [(r.ack, true), (r.resolve, false)] {
            if !matches!(status, SlaStatus::Breach | SlaStatus::Pending) {
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
            exceptions.push(Exception {
                incident_number: incident.number,
                incident_id: Some(incident.id.clone()),
                severity: Some(r.severity.clone()),
                kind: match (status, is_ack) {
                    (SlaStatus::Pending, _) => ExceptionKind::SlaPending,
                    (_, true) => ExceptionKind::AckBreach,
                    (_, false) => ExceptionKind::ResolveBreach,
                },
                detail: facts.detail(),
                facts: Some(facts),
            });
        }
    }
    exceptions.extend(number_gaps(
        register.iter().map(|r| &ingested.incidents[r.incident]),
    ));
    sort_exceptions(&mut exceptions);

    let mut tta_histograms = Vec::new();
    for (code, s) in policy.severities.iter().enumerate() {
        let Some(target) = s.ack_within else { continue };
        // The target sits at half the axis; next-business-day is shown over 48 hours.
        let (span, target_s) = match target {
            Target::Within(t) => (2.0 * t as f64, Some(t as f64)),
            Target::NextBusinessDay => (2.0 * 86_400.0, None),
        };
        let width_s = span / HISTOGRAM_BUCKETS as f64;
        let df = sla::tta_histogram(
            judged.clone().lazy(),
            code as u32,
            width_s,
            HISTOGRAM_BUCKETS,
        )
        .collect()?;
        tta_histograms.push(TtaHistogram {
            severity: s.name.clone(),
            width_s,
            counts: sla::histogram_counts(&df, HISTOGRAM_BUCKETS)?,
            target_s,
        });
    }

    Ok(Metrics {
        period,
        as_of,
        summary,
        monthly,
        register,
        exceptions,
        files,
        tta_histograms,
    })
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
        Target::NextBusinessDay => format!("next-business-day, due {}", rfc3339(deadline)),
    };
    let (what, measured) = if is_ack {
        match (incident.tta_s, incident.ttr_s) {
            (Some(t), _) => ("acknowledged after", Some(t)),
            (None, Some(r)) => ("not acknowledged; resolved after", Some(r)),
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
    let (measured, missed_by) = match (status, measured) {
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

/// Numbers missing between the lowest and highest incident number in the period.
fn number_gaps<'a>(incidents: impl Iterator<Item = &'a Incident>) -> Vec<Exception> {
    let numbers: BTreeSet<i64> = incidents.filter_map(|i| i.number).collect();
    let mut out = Vec::new();
    let mut previous: Option<i64> = None;
    for &n in &numbers {
        if let Some(p) = previous.filter(|p| n - p > 1) {
            let (first, last) = (p + 1, n - 1);
            let count = last - first + 1;
            let range = if count == 1 {
                format!("incident number {first} is")
            } else {
                format!("incident numbers {first} to {last} ({count}) are")
            };
            out.push(Exception {
                incident_number: Some(first),
                incident_id: None,
                severity: None,
                kind: ExceptionKind::IncidentNumberGap,
                detail: format!(
                    "{range} missing between #{p} and #{n}: deleted, merged, outside the export's filters, or not exported"
                ),
                facts: None,
            });
        }
        previous = Some(n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps() {
        let mk = |n: i64| Incident {
            number: Some(n),
            ..test_incident()
        };
        let list: Vec<Incident> = [5, 1, 2, 9, 6].into_iter().map(mk).collect();
        let gaps = number_gaps(list.iter());
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

    fn test_incident() -> Incident {
        Incident::bare(
            "P",
            DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        )
    }
}
