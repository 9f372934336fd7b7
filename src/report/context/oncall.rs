//! The on-call, escalation and admin-trail sections.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::checks::Evidence;
use crate::checks::audit_trail::{self, AuditTrail};
use crate::checks::escalation::EscalationEvidence;
use crate::checks::oncall::{Coverage, OnCallEvidence};
use crate::model::text::{format_duration, words};

/// The on-call, escalation and admin-trail sections.
#[derive(Debug, Serialize)]
pub(crate) struct OnCallView {
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
    /// Changes that change nothing: counted, not listed.
    pub changes_noop: usize,
    /// Changes listed in the appendix (all but no-ops, up to the limit).
    pub changes_listed: usize,
    /// By resource type, action and actor: (type, action, actor, changes, of them flagged).
    pub change_summary: Vec<Vec<String>>,
    /// The flagged changes the body lists: role changes and deletions of on-call targets
    /// (changes made with an API token are summarised per token above).
    pub flagged: Vec<Vec<String>>,
    pub changes_by_token: usize,
    pub target_deletions: usize,
    /// Uncovered audit days, as text.
    pub audit_gaps: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct CoverageChart {
    pub schedule: String,
    pub values: Vec<f64>,
    pub labels: Vec<String>,
}

/// The changes shown in the PDF (the CSV has all of them).
pub(crate) const CHANGES_LIMIT: usize = 400;

/// A time in a schedule's zone with its offset.
fn at(t: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    t.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M:%S %:z")
        .to_string()
}

/// Schedule, first level, covered %, covered, gaps, overrides, hand-offs a week.
fn coverage_rows(o: &OnCallEvidence) -> Vec<Vec<String>> {
    o.coverage
        .iter()
        .map(|c| {
            vec![
                c.schedule.clone(),
                if c.first_level { "yes" } else { "no" }.to_string(),
                format!("{:.2} %", c.covered_pct()),
                words(c.covered_s as f64),
                c.gaps.len().to_string(),
                c.overrides.len().to_string(),
                format!("{:.2}", c.handoffs_per_week),
            ]
        })
        .collect()
}

/// The weekly coverage charts of the first four first-level schedules.
fn coverage_charts(o: &OnCallEvidence) -> Vec<CoverageChart> {
    o.coverage
        .iter()
        .filter(|c| c.first_level)
        .take(4)
        .map(|c: &Coverage| CoverageChart {
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
        .collect()
}

/// Gaps (schedule, start, end, duration) and overrides (schedule, start, end, on call,
/// replaced), in each schedule's zone.
fn gap_and_override_rows(o: &OnCallEvidence) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let gaps = o
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
        .collect();
    let overrides = o
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
        .collect();
    (gaps, overrides)
}

/// Schedule, person, shifts, hours, off-hours hours.
fn load_rows(o: &OnCallEvidence) -> Vec<Vec<String>> {
    o.loads
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
        .collect()
}

/// Policy, level, delay, cumulative, allowed, targets, findings.
fn conformance_rows(x: &EscalationEvidence) -> Vec<Vec<String>> {
    x.conformance
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
        .collect()
}

/// Changes per resource type and month of the period, with the total.
fn change_counts(
    a: &AuditTrail,
    months: &[String],
    zone: chrono_tz::Tz,
) -> Vec<(String, Vec<usize>, usize)> {
    let mut counts: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for c in &a.changes {
        let row = counts
            .entry(c.resource_type.clone())
            .or_insert_with(|| vec![0; months.len()]);
        if let Some(i) = months
            .iter()
            .position(|mm| *mm == audit_trail::month_of(c, zone))
        {
            row[i] += 1;
        }
    }
    counts
        .into_iter()
        .map(|(k, v)| {
            let total = v.iter().sum();
            (k, v, total)
        })
        .collect()
}

/// (resource type, action, actor, changes, flagged), most changes first.
fn change_summary(a: &AuditTrail) -> Vec<Vec<String>> {
    let mut counts: std::collections::BTreeMap<(String, String, String), (usize, usize)> =
        Default::default();
    for c in &a.changes {
        let key = (
            c.resource_type.replace('_', " "),
            c.record.action.clone(),
            format!(
                "{} ({})",
                audit_trail::actor(&c.record),
                audit_trail::method(&c.record)
            ),
        );
        let slot = counts.entry(key).or_default();
        slot.0 += 1;
        if !c.flags.is_empty() && !c.is_noop() {
            slot.1 += 1;
        }
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
    rows.into_iter()
        .map(|((t, action, actor), (n, flagged))| {
            vec![t, action, actor, n.to_string(), flagged.to_string()]
        })
        .collect()
}

/// A flag in words.
fn flag_words(f: &str) -> &'static str {
    match f {
        "api_token" => "made with an API token",
        "on_call_target_deleted" => "on-call target deleted",
        "role_change" => "role changed",
        _ => "flagged",
    }
}

/// Time, resource type, resource, action, actor, method, changes, flags: the changes that
/// change something, up to `CHANGES_LIMIT`; with `only`, those whose flags it accepts.
fn change_rows(
    a: &AuditTrail,
    zone: chrono_tz::Tz,
    only: Option<&dyn Fn(&str) -> bool>,
) -> Vec<Vec<String>> {
    a.changes
        .iter()
        .filter(|c| !c.is_noop())
        .filter(|c| only.is_none_or(|f| c.flags.iter().any(|x| f(x))))
        .take(CHANGES_LIMIT)
        .map(|c| {
            let r = &c.record;
            vec![
                crate::model::text::local_text(r.execution_time.with_timezone(&Utc), zone),
                c.resource_type.clone(),
                c.resource().to_string(),
                r.action.clone(),
                audit_trail::actor(r),
                audit_trail::method(r),
                c.changes.clone(),
                c.flags
                    .iter()
                    .map(|f| flag_words(f))
                    .collect::<Vec<_>>()
                    .join(", "),
            ]
        })
        .collect()
}

/// The on-call, escalation and admin-trail sections' tables and charts.
pub(super) fn view(e: &Evidence) -> OnCallView {
    let (o, x, a) = (&e.oncall, &e.escalation, &e.audit_trail);
    let months = e.metrics.period.months();
    let (gaps, overrides) = gap_and_override_rows(o);
    OnCallView {
        has_schedules: o.has_schedules,
        has_policies: x.has_policies,
        has_audit: a.has_audit,
        coverage: coverage_rows(o),
        charts: coverage_charts(o),
        gaps,
        load: load_rows(o),
        overrides,
        conformance: conformance_rows(x),
        nonconformities: x.nonconformities(),
        escalation: x
            .escalation
            .as_ref()
            .map(|c| (c.with_counts, c.escalated, c.by_timeout, c.too_few.len())),
        services_without_policy: x.services_without_policy.clone(),
        change_months: months.iter().map(|mm| mm[5..].to_string()).collect(),
        change_counts: change_counts(a, &months, e.policy.timezone),
        changes: change_rows(a, e.policy.timezone, None),
        changes_total: a.changes.len(),
        changes_noop: a.noops(),
        changes_listed: (a.changes.len() - a.noops()).min(CHANGES_LIMIT),
        change_summary: change_summary(a),
        flagged: change_rows(
            a,
            e.policy.timezone,
            Some(&|f: &str| f == "role_change" || f == "on_call_target_deleted"),
        ),
        changes_by_token: a.by_token(),
        target_deletions: a.target_deletions(),
        audit_gaps: a
            .gaps
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
