//! The on-call, escalation and admin-trail sections.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::checks::{Evidence, oncall};
use crate::model::text::format_duration;

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

/// The changes shown in the PDF (the CSV has all of them).
pub const CHANGES_LIMIT: usize = 400;

/// The on-call, escalation and admin-trail sections' tables and charts.
pub(super) fn view(e: &Evidence) -> OnCallView {
    let (o, policy, m) = (&e.oncall, &e.policy, &e.metrics);
    let zone = policy.timezone;
    let at = |t: DateTime<Utc>, z: chrono_tz::Tz| {
        t.with_timezone(&z)
            .format("%Y-%m-%d %H:%M:%S %:z")
            .to_string()
    };
    let first: Vec<&crate::checks::oncall::Coverage> =
        o.coverage.iter().filter(|c| c.first_level).collect();
    let nonconformities = o.nonconformities();
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
    let months = m.period.months();
    let mut counts: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for c in &o.changes {
        let row = counts
            .entry(c.resource_type.clone())
            .or_insert_with(|| vec![0; months.len()]);
        if let Some(i) = months
            .iter()
            .position(|mm| *mm == oncall::month_of(c, zone))
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
                    oncall::actor(r),
                    oncall::method(r),
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
