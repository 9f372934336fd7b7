//! The report's data: a serde view of the metrics, every number already formatted exactly as
//! in the derived CSVs, so the PDF and the CSVs cannot disagree. The templates get it as
//! minijinja context and typst reads the same values from `/data.json`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::derived::{fmt_pct, summary_cells};
use crate::ingest::Ingested;
use crate::metrics::{ALL, Metrics, SlaRow, SlaStatus, rfc3339};
use crate::model::ExceptionKind;
use crate::oncall::OnCallEvidence;
use crate::policy::{Policy, Target, format_duration};
use crate::postmortem::Postmortems;

/// What the report needs beyond the metrics.
#[derive(Debug, Clone)]
pub struct ReportParams {
    /// `--prepared-by`.
    pub prepared_by: Option<String>,
    /// `--register-limit`.
    pub register_limit: usize,
    /// The command line as given.
    pub command_line: String,
    /// Where the policy came from.
    pub policy_source: String,
    /// Whether the bundle is signed.
    pub signed: bool,
}

/// Everything the templates show.
#[derive(Debug, Serialize)]
pub struct ReportData {
    pub meta: Meta,
    pub results: Vec<Verdict>,
    pub trends: Vec<String>,
    pub counts: Counts,
    pub policy: PolicyView,
    pub summary: Vec<Vec<String>>,
    pub histograms: Vec<Histogram>,
    pub monthly: Vec<Month>,
    pub severities: Vec<String>,
    pub exception_groups: Vec<ExceptionGroup>,
    pub register: Vec<Vec<String>>,
    pub register_total: usize,
    pub register_shown: usize,
    pub inputs: Vec<InputView>,
    pub not_used: Vec<(String, String)>,
    pub warnings: Vec<String>,
    pub rejected: Vec<Vec<String>>,
    pub rejected_total: usize,
    pub rejected_shown: usize,
    pub postmortems: PostmortemView,
    pub oncall: OnCallView,
    pub timeline: TimelineView,
    pub statuspage: StatusView,
}

/// Status-page incidents against internal detection (`derived/statuspage_matches.csv`).
#[derive(Debug, Serialize)]
pub struct StatusView {
    pub supplied: bool,
    pub total: usize,
    pub matched: usize,
    pub detected_first: usize,
    /// `85.7 %`, or empty with no incident.
    pub detected_first_pct: String,
    pub median_lead: String,
    pub window: String,
    /// Status-page incident, impact, notice, PagerDuty incident, lead time, first.
    pub rows: Vec<Vec<String>>,
}

fn status_view(
    m: &Metrics,
    ingested: &Ingested,
    policy: &Policy,
    results: &mut Vec<Verdict>,
) -> StatusView {
    let e = &m.statuspage;
    let (matched, first, total) = e.counts();
    let pct = (total > 0).then(|| 100.0 * first as f64 / total as f64);
    if e.supplied && total > 0 {
        let pct = pct.unwrap_or_default();
        results.push(Verdict {
            text: format!(
                "Status-page incidents detected internally first: {first} of {total} ({pct:.1} %)"
            ),
            target: format!(">= {:.1} %", policy.statuspage.detected_first_pct),
            verdict: if pct >= policy.statuspage.detected_first_pct {
                "met"
            } else {
                "not met"
            }
            .to_string(),
        });
    }
    let rows = e
        .rows
        .iter()
        .map(|r| {
            let s = &ingested.status_incidents[r.status];
            let pd = r.incident.map(|(i, _)| &ingested.incidents[i]);
            vec![
                format!("{} ({})", s.name, s.id),
                s.impact.clone().unwrap_or_default(),
                crate::metrics::rfc3339(s.notice),
                pd.map_or_else(
                    || "none".to_string(),
                    |i| i.number.map_or_else(|| i.id.clone(), |n| format!("#{n}")),
                ),
                r.lead_s
                    .map(crate::policy::format_duration)
                    .unwrap_or_default(),
                match r.detected_first() {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "not paged",
                }
                .to_string(),
            ]
        })
        .collect();
    StatusView {
        supplied: e.supplied,
        total,
        matched,
        detected_first: first,
        detected_first_pct: pct.map(|p| format!("{p:.1} %")).unwrap_or_default(),
        median_lead: e
            .median_lead_s()
            .map(|s| crate::policy::format_duration(s.round() as i64))
            .unwrap_or_default(),
        window: crate::policy::format_duration(policy.statuspage.match_window_s),
        rows,
    }
}

/// Who responded, from PagerDuty log entries (`derived/response_timeline.csv`).
#[derive(Debug, Serialize)]
pub struct TimelineView {
    /// Incidents of the period with log entries, and all incidents of the period.
    pub with_log: usize,
    pub incidents: usize,
    pub acknowledged: usize,
    pub escalated: usize,
    pub timeout_escalations: usize,
    pub notifications: usize,
    /// Person, first acknowledgements, incidents resolved.
    pub responders: Vec<Vec<String>>,
}

fn timeline_view(m: &Metrics) -> TimelineView {
    let rows = &m.response.rows;
    let mut people: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for r in rows {
        if let Some((_, who)) = &r.acknowledged {
            people.entry(who.as_str()).or_default().0 += 1;
        }
        if let Some((_, who)) = &r.resolved {
            people.entry(who.as_str()).or_default().1 += 1;
        }
    }
    TimelineView {
        with_log: rows.len(),
        incidents: m.register.len(),
        acknowledged: rows.iter().filter(|r| r.acknowledged.is_some()).count(),
        escalated: rows.iter().filter(|r| r.escalations > 0).count(),
        timeout_escalations: rows.iter().map(|r| r.timeout_escalations).sum(),
        notifications: rows.iter().map(|r| r.notifications).sum(),
        responders: people
            .into_iter()
            .map(|(who, (acks, resolved))| {
                vec![who.to_string(), acks.to_string(), resolved.to_string()]
            })
            .collect(),
    }
}

/// The on-call, escalation and admin-trail sections.
#[derive(Debug, Serialize)]
pub struct OnCallView {
    pub has_schedules: bool,
    pub has_policies: bool,
    pub has_audit: bool,
    /// Schedule, first level, covered %, covered, gaps, overrides, hand-offs/week.
    pub coverage: Vec<Vec<String>>,
    /// Per schedule: name, weekly covered % values and labels (first-level schedules).
    pub charts: Vec<CoverageChart>,
    /// Schedule, start, end, duration.
    pub gaps: Vec<Vec<String>>,
    /// Schedule, person, shifts, hours, off-hours hours.
    pub load: Vec<Vec<String>>,
    /// Schedule, start, end, on call, replaced.
    pub overrides: Vec<Vec<String>>,
    /// Policy, level, delay, cumulative, allowed, targets, findings.
    pub conformance: Vec<Vec<String>>,
    pub nonconformities: usize,
    /// Incidents with escalation counts, escalated, by timeout, escalated too late.
    pub escalation: Option<(usize, usize, usize, usize)>,
    pub services_without_policy: Vec<String>,
    /// Resource type and its counts per month (months of the period), then the total.
    pub change_months: Vec<String>,
    pub change_counts: Vec<(String, Vec<usize>, usize)>,
    /// Time, resource type, resource, action, actor, method, changes, flags.
    pub changes: Vec<Vec<String>>,
    pub changes_total: usize,
    pub changes_by_token: usize,
    pub target_deletions: usize,
    /// Uncovered audit days, as text.
    pub audit_gaps: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct CoverageChart {
    pub schedule: String,
    pub values: Vec<f64>,
    pub labels: Vec<String>,
}

/// The postmortem section: coverage per severity, the documents, their exceptions.
#[derive(Debug, Serialize)]
pub struct PostmortemView {
    /// Whether any postmortem document was supplied.
    pub supplied: bool,
    /// Severity, rule, required, present, on time, complete (with %), not yet due.
    pub coverage: Vec<Vec<String>>,
    /// Document, incidents, date (source), status, SHA-256.
    pub documents: Vec<Vec<String>>,
    /// Postmortem exception kinds (`exceptions.csv` name) and counts, in kind order.
    pub exceptions: Vec<(String, usize)>,
    /// Significant incidents with a ticket, and how many were checked.
    pub tickets_linked: usize,
    pub tickets_checked: usize,
}

#[derive(Debug, Serialize)]
pub struct Meta {
    pub organization: String,
    pub title: String,
    pub period_from: String,
    pub period_to: String,
    pub period: String,
    pub timezone: String,
    pub input_timezone: String,
    pub as_of: String,
    pub as_of_date: String,
    pub prepared_by: String,
    pub version: String,
    pub command_line: String,
    pub policy_source: String,
    pub register_limit: usize,
    /// Whether the bundle carrying this report is signed.
    pub signed: bool,
}

/// One key result against its target.
#[derive(Debug, Serialize)]
pub struct Verdict {
    pub text: String,
    pub target: String,
    /// `met`, `not met`, or `not judged`.
    pub verdict: String,
}

#[derive(Debug, Serialize)]
pub struct Counts {
    pub incidents: u64,
    pub exceptions: usize,
    pub rejected: usize,
    pub by_kind: Vec<(String, usize)>,
}

#[derive(Debug, Serialize)]
pub struct PolicyView {
    pub severities: Vec<Vec<String>>,
    pub business_days: String,
    pub business_hours: String,
    pub holidays: String,
    pub escalation_levels: String,
    pub ack_target_pct: String,
    pub resolve_target_pct: String,
    pub ack_target: f64,
    pub resolve_target: f64,
}

#[derive(Debug, Serialize)]
pub struct Histogram {
    pub severity: String,
    pub labels: Vec<String>,
    pub counts: Vec<u64>,
    pub target: String,
    /// Index of the bucket edge where the target sits (`null` for next-business-day).
    pub target_edge: Option<usize>,
}

/// One month: the table row cells and the numbers the charts plot.
#[derive(Debug, Serialize)]
pub struct Month {
    pub month: String,
    pub label: String,
    pub rows: Vec<MonthRow>,
}

#[derive(Debug, Serialize)]
pub struct MonthRow {
    pub severity: String,
    pub incidents: u64,
    pub ack_pct: Option<f64>,
    pub resolve_pct: Option<f64>,
    pub ack_pct_text: String,
    pub resolve_pct_text: String,
    pub mtta_min: Option<f64>,
    pub tta_p90_min: Option<f64>,
    pub mttr_h: Option<f64>,
    pub ttr_p90_h: Option<f64>,
    pub cells: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ExceptionGroup {
    pub kind: String,
    pub title: String,
    /// Breaches and pending incidents have measured / target / missed-by columns; other
    /// kinds one detail column.
    pub has_facts: bool,
    /// The first `EXCEPTIONS_PER_KIND` of the kind; `exceptions.csv` has them all.
    pub rows: Vec<Vec<String>>,
    /// How many of the kind there are.
    pub total: usize,
}

/// Exceptions printed per kind in the PDF: beyond this a table of tens of thousands of rows
/// costs gigabytes to typeset and helps no reader; the CSV lists every one.
pub const EXCEPTIONS_PER_KIND: usize = 1000;

#[derive(Debug, Serialize)]
pub struct InputView {
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
pub const REJECTED_LIMIT: usize = 200;

fn month_label(month: &str) -> String {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map(|d| d.format("%B %Y").to_string())
        .unwrap_or_else(|_| month.to_string())
}

fn date_label(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn target_words(t: Option<Target>) -> String {
    t.map_or_else(|| "—".to_string(), |t| t.to_string())
}

fn verdict(row: &SlaRow, is_ack: bool, policy: &Policy, target: Target) -> Verdict {
    let (met, judged, pct, goal, verb) = if is_ack {
        (
            row.stats.ack_met,
            row.ack_judged(),
            row.ack_within_sla_pct(),
            policy.ack_within_sla_pct,
            "acknowledged",
        )
    } else {
        (
            row.stats.resolve_met,
            row.resolve_judged(),
            row.resolve_within_sla_pct(),
            policy.resolve_within_sla_pct,
            "resolved",
        )
    };
    let within = match target {
        Target::Within(_) => format!("within {target}"),
        Target::NextBusinessDay => "by the next business day".to_string(),
    };
    let text = match pct {
        Some(p) => format!(
            "{} {verb} {within}: {met} of {judged} ({} %)",
            row.severity,
            fmt_pct(Some(p))
        ),
        None => format!("{} {verb} {within}: no incidents judged", row.severity),
    };
    Verdict {
        text,
        target: format!("{} %", trim_number(goal)),
        verdict: match pct {
            None => "not judged".to_string(),
            Some(p) if p + 1e-9 >= goal => "met".to_string(),
            Some(_) => "not met".to_string(),
        },
    }
}

fn trim_number(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// "P1 acknowledgement within SLA rose from 72.00 % in January 2026 to 96.00 % in June
/// 2026", from the first and last months with judged incidents; the lowest month is named
/// when it lies between them.
fn trend_sentences(metrics: &Metrics, policy: &Policy) -> Vec<String> {
    let mut out = Vec::new();
    for s in &policy.severities {
        for is_ack in [true, false] {
            let has = if is_ack {
                s.ack_within.is_some()
            } else {
                s.resolve_within.is_some()
            };
            if !has {
                continue;
            }
            let points: Vec<(&str, f64)> = metrics
                .monthly
                .iter()
                .filter(|r| r.severity == s.name)
                .filter_map(|r| {
                    let pct = if is_ack {
                        r.ack_within_sla_pct()
                    } else {
                        r.resolve_within_sla_pct()
                    };
                    Some((r.month.as_deref()?, pct?))
                })
                .collect();
            let what = if is_ack {
                "acknowledgement"
            } else {
                "resolution"
            };
            let (Some(first), Some(last)) = (points.first(), points.last()) else {
                continue;
            };
            if points.len() < 2 {
                out.push(format!(
                    "{} {what} within SLA: {} % in {} (one month with judged incidents)",
                    s.name,
                    fmt_pct(Some(first.1)),
                    month_label(first.0)
                ));
                continue;
            }
            let movement = if (last.1 - first.1).abs() < 0.005 {
                format!(
                    "was {} % in both {} and {}",
                    fmt_pct(Some(first.1)),
                    month_label(first.0),
                    month_label(last.0)
                )
            } else {
                format!(
                    "{} from {} % in {} to {} % in {}",
                    if last.1 > first.1 { "rose" } else { "fell" },
                    fmt_pct(Some(first.1)),
                    month_label(first.0),
                    fmt_pct(Some(last.1)),
                    month_label(last.0)
                )
            };
            let lowest = points
                .iter()
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .filter(|low| low.1 < first.1.min(last.1));
            let low = lowest.map_or_else(String::new, |l| {
                format!(
                    "; lowest in {} ({} %)",
                    month_label(l.0),
                    fmt_pct(Some(l.1))
                )
            });
            out.push(format!("{} {what} within SLA {movement}{low}", s.name));
        }
    }
    out
}

fn exception_title(kind: ExceptionKind) -> &'static str {
    match kind {
        ExceptionKind::TruncatedExport => "Possibly truncated exports",
        ExceptionKind::IncidentNumberGap => "Gaps in incident numbering",
        ExceptionKind::ConflictingDuplicate => "Conflicting duplicate records",
        ExceptionKind::InconsistentTimestamps => "Inconsistent timestamps",
        ExceptionKind::Unclassified => "Unclassified incidents (no SLA applies)",
        ExceptionKind::AckBreach => "Acknowledgement SLA breaches",
        ExceptionKind::ResolveBreach => "Resolution SLA breaches",
        ExceptionKind::SlaPending => "Open at the as-of time, not yet due",
        ExceptionKind::PostmortemMissing => "Postmortems missing past their deadline",
        ExceptionKind::PostmortemLate => "Postmortems dated after their deadline",
        ExceptionKind::PostmortemUndated => "Postmortems without a readable date",
        ExceptionKind::PostmortemIncomplete => "Incomplete postmortems",
        ExceptionKind::PostmortemUnreadable => "Unreadable postmortem documents",
        ExceptionKind::PostmortemOrphan => "Postmortem documents naming no incident of the period",
        ExceptionKind::PostmortemAmbiguous => {
            "Postmortem documents with ambiguous incident references"
        }
        ExceptionKind::OncallGap => "On-call gaps (nobody on call)",
        ExceptionKind::OncallLongShift => "On-call shifts longer than the policy allows",
        ExceptionKind::EscalationNonconformity => {
            "Escalation policies not conforming to the policy"
        }
        ExceptionKind::EscalationLate => "Incidents that escalated later than the levels require",
        ExceptionKind::OnCallTargetDeleted => "Deletions of on-call targets",
        ExceptionKind::AuditTrailGap => "Days without audit-record coverage",
        ExceptionKind::TicketMissing => "Significant incidents without a linked ticket",
        ExceptionKind::StatuspageUnmatched => "Status-page incidents nobody was paged for",
        ExceptionKind::DetectedAfterNotice => {
            "Incidents customers were told of before PagerDuty detected them"
        }
    }
}

fn minutes(v: Option<f64>) -> Option<f64> {
    v.map(|s| (s / 60.0 * 100.0).round() / 100.0)
}

fn hours(v: Option<f64>) -> Option<f64> {
    v.map(|s| (s / 3600.0 * 100.0).round() / 100.0)
}

fn status_word(s: SlaStatus) -> &'static str {
    match s {
        SlaStatus::Met => "met",
        SlaStatus::Breach => "breach",
        SlaStatus::Pending => "pending",
        SlaStatus::NoTarget => "—",
    }
}

fn count_pct(n: usize, of: usize) -> String {
    if of == 0 {
        n.to_string()
    } else {
        format!("{n} ({:.1} %)", 100.0 * n as f64 / of as f64)
    }
}

/// The postmortem verdicts for the summary and the section's tables.
fn postmortem_view(
    p: &Postmortems,
    ingested: &Ingested,
    results: &mut Vec<Verdict>,
) -> PostmortemView {
    let supplied = !p.documents.is_empty();
    for c in &p.coverage {
        let target = format!("every incident, within {} after resolution", c.within);
        let (text, verdict) = if !supplied {
            (
                format!(
                    "{} postmortems: not checked (no postmortem documents in the inputs)",
                    c.severity
                ),
                "not judged",
            )
        } else if c.required == 0 {
            (
                format!("{} postmortems: none due in the period", c.severity),
                "not judged",
            )
        } else {
            (
                format!(
                    "{} postmortems: {} of {} present, {} on time, {} complete",
                    c.severity, c.present, c.required, c.on_time, c.complete
                ),
                if c.on_time == c.required && c.complete == c.required {
                    "met"
                } else {
                    "not met"
                },
            )
        };
        results.push(Verdict {
            text,
            target,
            verdict: verdict.to_string(),
        });
    }
    let coverage = p
        .coverage
        .iter()
        .map(|c| {
            vec![
                c.severity.clone(),
                format!("{} after resolution", c.within),
                c.required.to_string(),
                count_pct(c.present, c.required),
                count_pct(c.on_time, c.required),
                count_pct(c.complete, c.required),
                c.not_yet_due.to_string(),
            ]
        })
        .collect();
    let documents = p
        .documents
        .iter()
        .enumerate()
        .map(|(d, v)| {
            let incidents: Vec<String> = v
                .linked
                .iter()
                .map(|&i| {
                    let inc = &ingested.incidents[i];
                    inc.number
                        .map_or_else(|| inc.id.clone(), |n| format!("#{n}"))
                })
                .collect();
            let mut statuses: Vec<&str> = p
                .rows
                .iter()
                .filter(|r| r.document == Some(d))
                .map(|r| r.status.as_str())
                .collect();
            statuses.dedup();
            let date = match (&v.unreadable, &v.date) {
                (Some(u), _) => format!("unreadable ({})", u.code()),
                (None, Some((date, source))) => format!("{} ({source})", date.render()),
                (None, None) => "none".to_string(),
            };
            vec![
                v.name.clone(),
                incidents.join(", "),
                date,
                statuses.join(", "),
                v.sha256.clone(),
            ]
        })
        .collect();
    let mut counts: std::collections::BTreeMap<ExceptionKind, usize> = Default::default();
    for e in &p.exceptions {
        *counts.entry(e.kind).or_default() += 1;
    }
    let exceptions = counts
        .into_iter()
        .map(|(k, n)| (k.name().to_string(), n))
        .collect();
    let (tickets_linked, tickets_checked) = p.tickets.linked();
    if tickets_checked > 0 {
        results.push(Verdict {
            text: format!(
                "Significant incidents with a linked ticket: {tickets_linked} of {tickets_checked} ({:.1} %)",
                100.0 * tickets_linked as f64 / tickets_checked as f64
            ),
            target: "every incident with a postmortem rule".to_string(),
            verdict: if tickets_linked == tickets_checked { "met" } else { "not met" }.to_string(),
        });
    }
    PostmortemView {
        supplied,
        coverage,
        documents,
        exceptions,
        tickets_linked,
        tickets_checked,
    }
}

/// The changes shown in the PDF (the CSV has all of them).
pub const CHANGES_LIMIT: usize = 400;

fn oncall_view(
    o: &OnCallEvidence,
    policy: &Policy,
    m: &Metrics,
    results: &mut Vec<Verdict>,
) -> OnCallView {
    let zone = policy.timezone;
    let at = |t: DateTime<Utc>, z: chrono_tz::Tz| {
        t.with_timezone(&z)
            .format("%Y-%m-%d %H:%M:%S %:z")
            .to_string()
    };
    let first: Vec<&crate::oncall::Coverage> =
        o.coverage.iter().filter(|c| c.first_level).collect();
    if o.has_schedules {
        let covered: i64 = first.iter().map(|c| c.covered_s).sum();
        let period: i64 = first.iter().map(|c| c.period_s).sum();
        let gaps: usize = first.iter().map(|c| c.gaps.len()).sum();
        results.push(Verdict {
            text: format!(
                "On-call coverage of first-level schedules: {:.2} % ({} gap{})",
                if period == 0 {
                    0.0
                } else {
                    100.0 * covered as f64 / period as f64
                },
                gaps,
                if gaps == 1 { "" } else { "s" }
            ),
            target: "24/7, no gap".to_string(),
            verdict: if first.is_empty() {
                "not judged"
            } else if gaps == 0 {
                "met"
            } else {
                "not met"
            }
            .to_string(),
        });
    }
    let nonconformities: usize = o
        .conformance
        .iter()
        .map(|c| c.findings.len())
        .sum::<usize>()
        + o.services_without_policy.len();
    if o.has_policies {
        results.push(Verdict {
            text: format!(
                "Escalation policies conforming to the levels: {} of {} ({nonconformities} non-conformit{})",
                o.conformance
                    .iter()
                    .filter(|c| c.level.is_none())
                    .filter(|c| {
                        o.conformance
                            .iter()
                            .filter(|x| x.policy == c.policy)
                            .all(|x| x.findings.is_empty())
                    })
                    .count(),
                o.conformance.iter().filter(|c| c.level.is_none()).count(),
                if nonconformities == 1 { "y" } else { "ies" }
            ),
            target: "every policy".to_string(),
            verdict: if nonconformities == 0 { "met" } else { "not met" }.to_string(),
        });
    }
    let by_token = o
        .changes
        .iter()
        .filter(|c| c.flags.contains(&"api_token"))
        .count();
    let deletions = o
        .changes
        .iter()
        .filter(|c| c.flags.contains(&"on_call_target_deleted"))
        .count();
    if o.has_audit {
        results.push(Verdict {
            text: format!(
                "Admin changes in the period: {} ({by_token} by API token, {deletions} deleting on-call targets); {} day(s) without audit records",
                o.changes.len(),
                o.audit_gaps.iter().map(|(a, b)| (*b - *a).num_days() + 1).sum::<i64>()
            ),
            target: "every day evidenced".to_string(),
            verdict: if o.audit_gaps.is_empty() { "met" } else { "not met" }.to_string(),
        });
    }
    let months = m.period.months();
    let mut counts: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for c in &o.changes {
        let row = counts
            .entry(c.resource_type.clone())
            .or_insert_with(|| vec![0; months.len()]);
        if let Some(i) = months
            .iter()
            .position(|mm| *mm == crate::oncall::month_of(c, zone))
        {
            row[i] += 1;
        }
    }
    OnCallView {
        has_schedules: o.has_schedules,
        has_policies: o.has_policies,
        has_audit: o.has_audit,
        coverage: o
            .coverage
            .iter()
            .map(|c| {
                vec![
                    c.schedule.clone(),
                    if c.first_level { "yes" } else { "no" }.to_string(),
                    format!("{:.2} %", c.covered_pct()),
                    format_duration(c.covered_s),
                    c.gaps.len().to_string(),
                    c.overrides.len().to_string(),
                    format!("{:.2}", c.handoffs_per_week),
                ]
            })
            .collect(),
        charts: first
            .iter()
            .take(4)
            .map(|c| CoverageChart {
                schedule: c.schedule.clone(),
                values: c
                    .weekly
                    .iter()
                    .map(|(_, v)| (v * 100.0).round() / 100.0)
                    .collect(),
                labels: c
                    .weekly
                    .iter()
                    .enumerate()
                    .map(|(i, (d, _))| {
                        if i % 4 == 0 {
                            d.format("%d %b").to_string()
                        } else {
                            String::new()
                        }
                    })
                    .collect(),
            })
            .collect(),
        gaps: o
            .coverage
            .iter()
            .flat_map(|c| {
                c.gaps.iter().map(move |g| {
                    vec![
                        c.schedule.clone(),
                        at(g.0, c.zone),
                        at(g.1, c.zone),
                        format_duration((g.1 - g.0).num_seconds()),
                    ]
                })
            })
            .collect(),
        load: o
            .loads
            .iter()
            .map(|(s, l)| {
                vec![
                    s.clone(),
                    l.person.clone(),
                    l.shifts.to_string(),
                    format!("{:.1}", l.hours),
                    format!("{:.1}", l.off_hours_hours),
                ]
            })
            .collect(),
        overrides: o
            .coverage
            .iter()
            .flat_map(|c| {
                c.overrides.iter().map(move |v| {
                    vec![
                        c.schedule.clone(),
                        at(v.span.0, c.zone),
                        at(v.span.1, c.zone),
                        v.on_call.clone(),
                        if v.replaced.is_empty() {
                            "not in the export".to_string()
                        } else {
                            v.replaced.join(", ")
                        },
                    ]
                })
            })
            .collect(),
        conformance: o
            .conformance
            .iter()
            .map(|c| {
                let n = |v: Option<i64>| v.map(|x| format!("{x} min")).unwrap_or_default();
                vec![
                    c.policy.clone(),
                    c.level
                        .map(|l| format!("L{l}"))
                        .unwrap_or_else(|| "policy".to_string()),
                    n(c.delay_min),
                    n(c.cumulative_min),
                    n(c.allowed_min),
                    c.targets.clone(),
                    if c.findings.is_empty() {
                        "conforms".to_string()
                    } else {
                        c.findings.join("; ")
                    },
                ]
            })
            .collect(),
        nonconformities,
        escalation: o
            .escalation
            .as_ref()
            .map(|e| (e.with_counts, e.escalated, e.by_timeout, e.too_few.len())),
        services_without_policy: o.services_without_policy.clone(),
        change_months: months.iter().map(|mm| mm[5..].to_string()).collect(),
        change_counts: counts
            .into_iter()
            .map(|(k, v)| {
                let total = v.iter().sum();
                (k, v, total)
            })
            .collect(),
        changes: o
            .changes
            .iter()
            .take(CHANGES_LIMIT)
            .map(|c| {
                let r = &c.record;
                vec![
                    r.execution_time
                        .with_timezone(&Utc)
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                    c.resource_type.clone(),
                    c.resource().to_string(),
                    r.action.clone(),
                    crate::oncall::actor(r),
                    crate::oncall::method(r),
                    c.changes.clone(),
                    c.flags.join(" "),
                ]
            })
            .collect(),
        changes_total: o.changes.len(),
        changes_by_token: by_token,
        target_deletions: deletions,
        audit_gaps: o
            .audit_gaps
            .iter()
            .map(|(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a} to {b}")
                }
            })
            .collect(),
    }
}

/// Builds the report data.
pub fn build(
    metrics: &Metrics,
    ingested: &Ingested,
    postmortems: &Postmortems,
    oncall: &OnCallEvidence,
    policy: &Policy,
    params: &ReportParams,
) -> ReportData {
    let m = metrics;
    let period = format!("{} to {}", m.period.from, m.period.to);
    let meta = Meta {
        organization: policy.organization.clone(),
        title: "Incident response evidence — SOC 2 CC7.3".to_string(),
        period_from: m.period.from.to_string(),
        period_to: m.period.to.to_string(),
        period,
        timezone: policy.timezone.name().to_string(),
        input_timezone: policy.input_timezone.name().to_string(),
        as_of: rfc3339(m.as_of),
        as_of_date: date_label(m.as_of),
        prepared_by: params
            .prepared_by
            .clone()
            .unwrap_or_else(|| "not stated (pass --prepared-by)".to_string()),
        version: env!("CARGO_PKG_VERSION").to_string(),
        command_line: params.command_line.clone(),
        policy_source: params.policy_source.clone(),
        register_limit: params.register_limit,
        signed: params.signed,
    };

    let mut results = Vec::new();
    for s in &policy.severities {
        let Some(row) = m.summary.iter().find(|r| r.severity == s.name) else {
            continue;
        };
        if let Some(t) = s.ack_within {
            results.push(verdict(row, true, policy, t));
        }
        if let Some(t) = s.resolve_within {
            results.push(verdict(row, false, policy, t));
        }
    }
    let postmortems = postmortem_view(postmortems, ingested, &mut results);
    let oncall = oncall_view(oncall, policy, m, &mut results);
    let statuspage = status_view(m, ingested, policy, &mut results);

    let by_kind: Vec<(String, usize)> = m
        .exception_counts()
        .into_iter()
        .map(|(k, n)| (k.name().to_string(), n))
        .collect();
    let total = m.summary.iter().find(|r| r.severity == ALL);
    let counts = Counts {
        incidents: total.map_or(0, |r| r.stats.incidents),
        exceptions: m.exceptions.len(),
        rejected: ingested.rejected.len(),
        by_kind,
    };

    let day_names: Vec<String> = policy
        .business_hours
        .days
        .iter()
        .map(|d| d.to_string())
        .collect();
    let policy_view = PolicyView {
        severities: policy
            .severities
            .iter()
            .map(|s| {
                vec![
                    s.name.clone(),
                    s.matches.join(", "),
                    s.urgency.clone().unwrap_or_else(|| "—".to_string()),
                    target_words(s.ack_within),
                    target_words(s.resolve_within),
                    target_words(s.postmortem_within),
                ]
            })
            .collect(),
        business_days: day_names.join(", "),
        business_hours: format!(
            "{} to {} ({})",
            policy.business_hours.start.format("%H:%M"),
            policy.business_hours.end.format("%H:%M"),
            policy.timezone.name()
        ),
        holidays: if policy.business_hours.holidays.is_empty() {
            "none".to_string()
        } else {
            policy
                .business_hours
                .holidays
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        },
        escalation_levels: policy
            .escalation_levels
            .iter()
            .enumerate()
            .map(|(i, s)| format!("L{} {}", i + 1, format_duration(*s)))
            .collect::<Vec<_>>()
            .join(", "),
        ack_target_pct: format!("{} %", trim_number(policy.ack_within_sla_pct)),
        resolve_target_pct: format!("{} %", trim_number(policy.resolve_within_sla_pct)),
        ack_target: policy.ack_within_sla_pct,
        resolve_target: policy.resolve_within_sla_pct,
    };

    let histograms = m
        .tta_histograms
        .iter()
        .map(|h| {
            let edge = |i: usize| {
                let s = (h.width_s * i as f64).round() as i64;
                if s == 0 {
                    "0".to_string()
                } else {
                    format_duration(s)
                }
            };
            let n = h.counts.len().saturating_sub(1);
            let mut labels: Vec<String> = (0..n).map(|i| format!("≤{}", edge(i + 1))).collect();
            labels.push(format!(">{}", edge(n)));
            let target_edge = h.target_s.map(|t| (t / h.width_s).round() as usize);
            let target = policy
                .severities
                .iter()
                .find(|s| s.name == h.severity)
                .map_or_else(String::new, |s| target_words(s.ack_within));
            Histogram {
                severity: h.severity.clone(),
                labels,
                counts: h.counts.clone(),
                target,
                target_edge,
            }
        })
        .collect();

    let severities: Vec<String> = m.summary.iter().map(|r| r.severity.clone()).collect();
    let mut monthly: Vec<Month> = Vec::new();
    for r in &m.monthly {
        let month = r.month.clone().unwrap_or_default();
        if monthly.last().is_none_or(|l| l.month != month) {
            monthly.push(Month {
                label: month_label(&month),
                month: month.clone(),
                rows: Vec::new(),
            });
        }
        let cells = summary_cells(r);
        if let Some(last) = monthly.last_mut() {
            last.rows.push(MonthRow {
                severity: r.severity.clone(),
                incidents: r.stats.incidents,
                ack_pct: r.ack_within_sla_pct(),
                resolve_pct: r.resolve_within_sla_pct(),
                ack_pct_text: fmt_pct(r.ack_within_sla_pct()),
                resolve_pct_text: fmt_pct(r.resolve_within_sla_pct()),
                mtta_min: minutes(r.stats.mtta_s),
                tta_p90_min: minutes(r.stats.tta_p90_s),
                mttr_h: hours(r.stats.mttr_s),
                ttr_p90_h: hours(r.stats.ttr_p90_s),
                cells: cells.to_vec(),
            });
        }
    }

    let register_by_id: std::collections::HashMap<&str, usize> = m
        .register
        .iter()
        .map(|r| (ingested.incidents[r.incident].id.as_str(), r.incident))
        .collect();
    let mut exception_groups: Vec<ExceptionGroup> = Vec::new();
    let mut kinds: Vec<ExceptionKind> = m.exceptions.iter().map(|e| e.kind).collect();
    kinds.sort();
    kinds.dedup();
    for kind in kinds {
        let total = m.exceptions.iter().filter(|e| e.kind == kind).count();
        let rows = m
            .exceptions
            .iter()
            .filter(|e| e.kind == kind)
            .take(EXCEPTIONS_PER_KIND)
            .map(|e| {
                let incident = e
                    .incident_id
                    .as_deref()
                    .and_then(|id| register_by_id.get(id).copied())
                    .map(|i| &ingested.incidents[i]);
                let tail = match &e.facts {
                    Some(f) => vec![f.measured.clone(), f.target.clone(), f.missed_by.clone()],
                    None => vec![e.detail.clone()],
                };
                let mut row = vec![
                    e.incident_number.map(|n| n.to_string()).unwrap_or_default(),
                    e.severity.clone().unwrap_or_default(),
                    incident.and_then(|i| i.service.clone()).unwrap_or_default(),
                    incident.map(|i| rfc3339(i.created)).unwrap_or_default(),
                ];
                row.extend(tail);
                row
            })
            .collect();
        exception_groups.push(ExceptionGroup {
            kind: kind.name().to_string(),
            title: exception_title(kind).to_string(),
            has_facts: matches!(
                kind,
                ExceptionKind::AckBreach
                    | ExceptionKind::ResolveBreach
                    | ExceptionKind::SlaPending
                    | ExceptionKind::PostmortemLate
            ),
            rows,
            total,
        });
    }

    let register_shown = m.register.len().min(params.register_limit);
    let register = m
        .register
        .iter()
        .take(register_shown)
        .map(|r| {
            let i = &ingested.incidents[r.incident];
            let secs = |v: Option<f64>| {
                v.map(|s| format_duration(s.round() as i64))
                    .unwrap_or_default()
            };
            vec![
                i.number.map(|n| n.to_string()).unwrap_or_default(),
                i.created.format("%Y-%m-%d %H:%M").to_string(),
                r.severity.clone(),
                i.service.clone().unwrap_or_default(),
                i.description.clone().unwrap_or_default(),
                secs(i.tta_s),
                secs(i.ttr_s),
                status_word(r.ack).to_string(),
                status_word(r.resolve).to_string(),
            ]
        })
        .collect();

    let inputs = ingested
        .files
        .iter()
        .zip(&m.files)
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
    let warnings = m
        .exceptions
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                ExceptionKind::TruncatedExport | ExceptionKind::IncidentNumberGap
            )
        })
        .map(|e| e.detail.clone())
        .collect();
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

    ReportData {
        meta,
        results,
        trends: trend_sentences(m, policy),
        counts,
        policy: policy_view,
        summary: m
            .summary
            .iter()
            .map(|r| summary_cells(r).to_vec())
            .collect(),
        histograms,
        monthly,
        severities,
        exception_groups,
        register,
        register_total: m.register.len(),
        register_shown,
        inputs,
        not_used,
        warnings,
        rejected,
        rejected_total: ingested.rejected.len(),
        rejected_shown,
        postmortems,
        oncall,
        timeline: timeline_view(m),
        statuspage,
    }
}
