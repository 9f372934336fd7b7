//! Ingested incidents + policy + period + as-of → `Metrics`: the SLA summary, monthly
//! trends, the incident register, the SLA and data exceptions and the per-file
//! reconciliation; `results` judges the figures against the policy's pass lines.
//!
//! Classification is per incident (`classify`), the incidents become frame rows in
//! parallel parts (`placement`), judging and statistics run in polars (`frame`, `sla`), and
//! `register` lists the incidents and what they show. Only this module collects polars plans.
//! No I/O, no clock. The other checks (postmortems, on-call, …) are `checks`, not here.

pub(crate) mod classify;
pub(crate) mod frame;
mod placement;
mod register;
pub(crate) mod results;
pub(crate) mod sla;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use polars::prelude::*;

use crate::error::Error;
use crate::ingest::Ingested;
use crate::model::text::{fmt_pct, fmt_secs};
use crate::model::time::{Period, local_date};
use crate::model::{Exception, Incident};
use crate::policy::{Policy, Target};
use frame::{BREACH, MET, MONTH, PENDING, SEVERITY};
pub(crate) use sla::SlaStats;

/// The severity name of incidents that match no policy severity.
pub(crate) const UNCLASSIFIED: &str = "unclassified";
/// The pooled row.
pub(crate) const ALL: &str = "ALL";

/// How one incident fared against one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlaStatus {
    /// Within the target.
    Met,
    /// Late, or never happened by its deadline.
    Breach,
    /// Open at the as-of instant, deadline not yet passed: not judged.
    Pending,
    /// Resolved without an acknowledgement, left out of the acknowledgement figure by the
    /// policy (`resolved_without_ack = "exclude"`): not judged.
    Excluded,
    /// The severity has no such target.
    NoTarget,
}

impl SlaStatus {
    pub(crate) fn from_frame(value: Option<u32>) -> Self {
        match value {
            Some(MET) => Self::Met,
            Some(BREACH) => Self::Breach,
            Some(PENDING) => Self::Pending,
            Some(frame::EXCLUDED) => Self::Excluded,
            _ => Self::NoTarget,
        }
    }

    /// The register's text: `true`, `false`, `pending`, `excluded`, or empty without a
    /// target.
    pub(crate) fn as_register(self) -> &'static str {
        match self {
            Self::Met => "true",
            Self::Breach => "false",
            Self::Pending => "pending",
            Self::Excluded => "excluded",
            Self::NoTarget => "",
        }
    }
}

/// One row of `sla_summary.csv` or `monthly_trends.csv`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SlaRow {
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
    pub(crate) fn ack_within_sla(&self) -> Option<u64> {
        self.has_ack_target.then_some(self.stats.ack_met)
    }
    /// Incidents judged against the acknowledgement target (met + breach).
    pub(crate) fn ack_judged(&self) -> u64 {
        self.stats.ack_met + self.stats.ack_breach
    }
    /// Percentage within the acknowledgement target; `None` when nothing was judged.
    pub(crate) fn ack_within_sla_pct(&self) -> Option<f64> {
        pct(self.stats.ack_met, self.ack_judged()).filter(|_| self.has_ack_target)
    }
    /// Incidents resolved within the target; `None` without a target.
    pub(crate) fn resolve_within_sla(&self) -> Option<u64> {
        self.has_resolve_target.then_some(self.stats.resolve_met)
    }
    /// Incidents judged against the resolution target.
    pub(crate) fn resolve_judged(&self) -> u64 {
        self.stats.resolve_met + self.stats.resolve_breach
    }
    /// Percentage within the resolution target; `None` when nothing was judged.
    pub(crate) fn resolve_within_sla_pct(&self) -> Option<f64> {
        pct(self.stats.resolve_met, self.resolve_judged()).filter(|_| self.has_resolve_target)
    }
}

/// The columns of `sla_summary.csv`, in order (`monthly_trends.csv` has `month` and a
/// subset).
pub(crate) const SLA_COLUMNS: [&str; 17] = [
    "severity",
    "incidents",
    "acknowledged",
    "resolved_unacknowledged",
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
    pub(crate) fn cells(&self) -> [String; 17] {
        let r = self;
        let s = &r.stats;
        [
            r.severity.clone(),
            s.incidents.to_string(),
            s.acknowledged.to_string(),
            s.resolved_unacknowledged.to_string(),
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

impl SlaRow {
    /// The cells as the report prints them: the same counts and percentages, durations in
    /// words (`2 h 14 min`).
    pub(crate) fn cells_words(&self) -> [String; 17] {
        use crate::model::text::words_of;
        let s = &self.stats;
        let mut c = self.cells();
        for (i, v) in [
            (6, s.mtta_s),
            (7, s.tta_p50_s),
            (8, s.tta_p90_s),
            (9, s.tta_p95_s),
            (13, s.mttr_s),
            (14, s.ttr_p50_s),
            (15, s.ttr_p90_s),
            (16, s.ttr_p95_s),
        ] {
            c[i] = words_of(v);
        }
        c
    }
}

/// One incident of the register.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RegisterEntry {
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
pub(crate) struct FileCounts {
    /// Incidents of the period: judged + excluded.
    pub rows_used: u64,
    /// Of those, excluded by a policy rule or a merge, not judged.
    pub rows_excluded: u64,
    pub rows_rejected: u64,
    pub rows_outside_period: u64,
}

/// Everything computed.
#[derive(Debug, Clone)]
pub(crate) struct Metrics {
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
    /// Incidents of the period not judged (`exclusions.csv`), in input order.
    pub exclusions: Vec<Excluded>,
}

/// One incident of the period that is not judged, and why.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Excluded {
    /// Index into `Ingested::incidents`.
    pub incident: usize,
    /// `exclusion 1`, `exclusion 2`, … (policy order), or `merge`.
    pub rule: String,
    /// The rule's reason, or `merged into #N`.
    pub reason: String,
}

fn excluded(
    rules: Vec<(usize, placement::ExclusionRule)>,
    policy: &Policy,
    ingested: &Ingested,
) -> Vec<Excluded> {
    // A merge target named by id only: its number, when the export holds it.
    let number_of = |into: &str| -> String {
        if into.starts_with('#') || into.is_empty() {
            return into.to_string();
        }
        ingested
            .incidents
            .iter()
            .find(|i| i.id == into)
            .and_then(|i| i.number)
            .map_or_else(|| format!("incident `{into}`"), |n| format!("#{n}"))
    };
    rules
        .into_iter()
        .map(|(incident, rule)| match rule {
            placement::ExclusionRule::Policy(n) => Excluded {
                incident,
                rule: format!("exclusion {}", n + 1),
                reason: policy.exclusions[n].reason.clone(),
            },
            placement::ExclusionRule::Merge(into) => Excluded {
                incident,
                rule: "merge".to_string(),
                reason: if into.is_empty() {
                    "merged into another incident".to_string()
                } else {
                    format!("merged into {}", number_of(&into))
                },
            },
        })
        .collect()
}

/// The distribution of tta for one severity, in buckets of `width_s`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TtaHistogram {
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
pub(crate) fn sort_exceptions(exceptions: &mut [Exception]) {
    exceptions.sort_by(|a, b| {
        (a.incident_number, a.kind, &a.detail).cmp(&(b.incident_number, b.kind, &b.detail))
    });
}

/// Buckets below the overflow bucket: eight, so the target sits at the fourth edge.
pub(crate) const HISTOGRAM_BUCKETS: i64 = 8;

/// The latest timestamp in the inputs: creation, acknowledgement or resolution.
pub(crate) fn latest_timestamp(incidents: &[Incident]) -> Option<DateTime<Utc>> {
    use rayon::prelude::*;
    incidents
        .par_iter()
        .flat_map_iter(|i| [Some(i.created), i.acknowledged(), i.resolved()])
        .flatten()
        .max()
}

/// The whole months spanned by the incidents' local creation dates.
pub(crate) fn default_period(incidents: &[Incident], policy: &Policy) -> Option<Period> {
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
pub(crate) enum Scope {
    /// The SLA tables only (`summary`, `monthly`, the reconciliation): `stats`.
    Summary,
    /// Everything the evidence shows: the register, every exception, the histograms, the
    /// postmortem, ticket, on-call, response and status-page checks.
    Evidence,
}

/// Computes every metric (`Scope::Summary`: the SLA tables and the reconciliation only;
/// the register, exceptions and histograms stay empty).
pub(crate) fn compute(
    ingested: &Ingested,
    policy: &Policy,
    period: Period,
    as_of: DateTime<Utc>,
    scope: Scope,
) -> Result<Metrics, Error> {
    let mut files = vec![FileCounts::default(); ingested.files.len()];
    for r in &ingested.rejected {
        files[r.source.file].rows_rejected += 1;
    }
    let parts = placement::place(ingested, policy, period, as_of)?;
    let mut placed = placement::join(parts, ingested, &mut files)?;
    // The parts become one chunk again (each column in parallel) before the four groupings.
    let exclude = policy.resolved_without_ack == crate::policy::ResolvedWithoutAck::Exclude;
    let mut judged = frame::with_status(placed.rows.lazy(), exclude).collect()?;
    judged.rechunk_mut_par();
    let (summary, monthly) = sla_tables(&judged, policy, period, placed.any_unclassified)?;
    let exclusions = excluded(std::mem::take(&mut placed.excluded), policy, ingested);
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
            exclusions,
        });
    }
    let register = register::entries(&judged, &placed.in_period, ingested, policy, period)?;
    // Configuration-level data exceptions, the unclassified incidents, then what the register
    // shows.
    let mut exceptions: Vec<Exception> = ingested
        .exceptions
        .iter()
        .filter(|e| e.incident_id.is_none())
        .cloned()
        .collect();
    exceptions.extend(placed.unclassified);
    exceptions.extend(register::exceptions(
        &register,
        &exclusions,
        ingested,
        policy,
        as_of,
    ));
    sort_exceptions(&mut exceptions);
    Ok(Metrics {
        period,
        as_of,
        summary,
        monthly,
        register,
        exceptions,
        files,
        tta_histograms: tta_histograms(&judged, policy)?,
        exclusions,
    })
}

/// The severity rows every table shows, in order: (severity code, name, has an
/// acknowledgement target, has a resolution target); `unclassified` when any incident is,
/// then the pooled `ALL` row, which has no code.
fn row_kinds(policy: &Policy, any_unclassified: bool) -> Vec<(Option<u32>, String, bool, bool)> {
    let mut kinds: Vec<(Option<u32>, String, bool, bool)> = policy
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
        kinds.push((
            Some(policy.severities.len() as u32),
            UNCLASSIFIED.to_string(),
            false,
            false,
        ));
    }
    kinds.push((
        None,
        ALL.to_string(),
        policy.any_ack_target(),
        policy.any_resolve_target(),
    ));
    kinds
}

/// `sla_summary.csv`'s rows and `monthly_trends.csv`'s: the judged frame grouped by
/// severity, pooled, by month and severity, and by month.
fn sla_tables(
    judged: &DataFrame,
    policy: &Policy,
    period: Period,
    any_unclassified: bool,
) -> Result<(Vec<SlaRow>, Vec<SlaRow>), Error> {
    let group = |keys: &[&str]| sla::aggregate(judged.clone().lazy(), keys).collect();
    // (month code, severity code) → statistics; `None` for every month / every severity.
    let mut by_key: HashMap<(Option<u32>, Option<u32>), SlaStats> = HashMap::new();
    by_key.extend(
        sla::extract(&group(&[SEVERITY])?, &[SEVERITY])?
            .into_iter()
            .map(|(k, s)| ((None, Some(k[0])), s)),
    );
    by_key.extend(
        sla::extract(&group(&[])?, &[])?
            .into_iter()
            .map(|(_, s)| ((None, None), s)),
    );
    by_key.extend(
        sla::extract(&group(&[MONTH, SEVERITY])?, &[MONTH, SEVERITY])?
            .into_iter()
            .map(|(k, s)| ((Some(k[0]), Some(k[1])), s)),
    );
    by_key.extend(
        sla::extract(&group(&[MONTH])?, &[MONTH])?
            .into_iter()
            .map(|(k, s)| ((Some(k[0]), None), s)),
    );
    let months = period.months();
    let kinds = row_kinds(policy, any_unclassified);
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
    let summary = kinds.iter().map(|k| row(None, k)).collect();
    let monthly = (0..months.len())
        .flat_map(|m| kinds.iter().map(move |k| (m, k)))
        .map(|(m, k)| row(Some(m), k))
        .collect();
    Ok((summary, monthly))
}

/// The time-to-acknowledge histogram of each severity with an acknowledgement target: the
/// target sits at half the axis; next-business-day is shown over 48 hours.
fn tta_histograms(judged: &DataFrame, policy: &Policy) -> Result<Vec<TtaHistogram>, Error> {
    let mut out = Vec::new();
    for (code, s) in policy.severities.iter().enumerate() {
        let Some(target) = s.ack_within else { continue };
        let (span, target_s) = match target {
            Target::Within(t) => (2.0 * t as f64, Some(t as f64)),
            Target::NextBusinessDay => (2.0 * 86_400.0, None),
            // Business hours run slower than the wall clock: at least two days are shown.
            Target::BusinessHours(h) => ((2 * h * 3600).max(2 * 86_400) as f64, None),
        };
        let width_s = span / HISTOGRAM_BUCKETS as f64;
        let df = sla::tta_histogram(
            judged.clone().lazy(),
            code as u32,
            width_s,
            HISTOGRAM_BUCKETS,
        )
        .collect()?;
        out.push(TtaHistogram {
            severity: s.name.clone(),
            width_s,
            counts: sla::histogram_counts(&df, HISTOGRAM_BUCKETS)?,
            target_s,
        });
    }
    Ok(out)
}
