/*!
Escalation: each exported escalation policy's levels against the policy file's
`[escalation] levels` (cumulative minutes, targets, the schedules behind them), services with
incidents but no escalation policy, and incidents that escalated by timeout fewer times than
the levels require. Definitions: `docs/oncall.md`.
*/

use std::collections::BTreeSet;

use super::oncall::{Coverage, exception};
use crate::ingest::Ingested;
use crate::metrics::Metrics;
use crate::metrics::results::{Area, ResultRow, Verdict};
use crate::model::config::{EscalationPolicy, Export};
use crate::model::text::format_duration;
use crate::model::{Exception, ExceptionKind, FileRows};
use crate::policy::Policy;

/// One conformance finding for an escalation policy (level `None`: the policy as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Conformance {
    pub policy: String,
    pub level: Option<usize>,
    pub delay_min: Option<i64>,
    pub cumulative_min: Option<i64>,
    pub allowed_min: Option<i64>,
    pub targets: String,
    /// Empty when the level conforms.
    pub findings: Vec<String>,
}

/// Checks each policy's rules against the policy file's levels.
pub(crate) fn conformance(
    policies: &[&EscalationPolicy],
    levels_s: &[i64],
    coverage: &[Coverage],
) -> Vec<Conformance> {
    let mut out = Vec::new();
    for p in policies {
        let mut whole = Vec::new();
        if p.rules.len() < levels_s.len() {
            whole.push(format!(
                "too few levels: {} of the {} the policy requires",
                p.rules.len(),
                levels_s.len()
            ));
        }
        if p.services.is_empty() {
            whole.push("no service uses it".to_string());
        }
        out.push(Conformance {
            policy: p.name.clone(),
            level: None,
            delay_min: None,
            cumulative_min: None,
            allowed_min: None,
            targets: format!("{} levels, {} loops", p.rules.len(), p.num_loops),
            findings: whole,
        });
        let mut cumulative = 0;
        for (k, rule) in p.rules.iter().enumerate() {
            cumulative += rule.delay_min;
            let allowed = levels_s.get(k).map(|s| s / 60);
            let mut findings = Vec::new();
            if let Some(a) = allowed
                && cumulative > a
            {
                findings.push(format!(
                    "escalates {cumulative} min after the trigger; the policy allows {a} min (delay {} min)",
                    rule.delay_min
                ));
            }
            if rule.targets.is_empty() {
                findings.push("no target: nobody is notified at this level".to_string());
            }
            for t in &rule.targets {
                if t.kind.starts_with("schedule")
                    && let Some(c) = coverage.iter().find(|c| c.schedule_id == t.id)
                    && !c.gaps.is_empty()
                {
                    findings.push(format!(
                        "its schedule `{}` has {} gap(s) in the period ({} uncovered)",
                        t.label(),
                        c.gaps.len(),
                        format_duration(c.period_s - c.covered_s)
                    ));
                }
            }
            out.push(Conformance {
                policy: p.name.clone(),
                level: Some(k + 1),
                delay_min: Some(rule.delay_min),
                cumulative_min: Some(cumulative),
                allowed_min: allowed,
                targets: rule
                    .targets
                    .iter()
                    .map(|t| format!("{} ({})", t.label(), t.kind.trim_end_matches("_reference")))
                    .collect::<Vec<_>>()
                    .join("; "),
                findings,
            });
        }
    }
    out
}

/// An incident whose escalation count disagrees with the policy's levels.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EscalationCheck {
    /// Incidents with escalation counts in the export, in the period.
    pub with_counts: usize,
    /// Of those: escalated at least once.
    pub escalated: usize,
    /// Of those: escalated by timeout at least once.
    pub by_timeout: usize,
    /// (incident index, expected timeout escalations, exported).
    pub too_few: Vec<(usize, i64, i64)>,
}

/// What the escalation check found.
#[derive(Debug, Clone, Default)]
pub(crate) struct EscalationEvidence {
    /// Whether any escalation-policy export was supplied.
    pub has_policies: bool,
    pub conformance: Vec<Conformance>,
    /// Services seen on incidents of the period without an escalation policy.
    pub services_without_policy: Vec<String>,
    /// Escalation counts against the levels, when the export has them.
    pub escalation: Option<EscalationCheck>,
    pub exceptions: Vec<Exception>,
    /// Policies used per escalation-policy file.
    pub file_counts: Vec<FileRows>,
}

impl EscalationEvidence {
    /// Non-conformities of the escalation policies: findings per policy and level, and
    /// services with incidents but no escalation policy.
    pub(crate) fn nonconformities(&self) -> usize {
        self.conformance
            .iter()
            .map(|c| c.findings.len())
            .sum::<usize>()
            + self.services_without_policy.len()
    }

    /// The result: escalation policies conforming to the levels; none when no policy was
    /// exported.
    pub(crate) fn results(&self) -> Vec<ResultRow> {
        if !self.has_policies {
            return Vec::new();
        }
        let nonconformities = self.nonconformities();
        let policies = self.conformance.iter().filter(|c| c.level.is_none());
        let conforming = policies
            .clone()
            .filter(|c| {
                self.conformance
                    .iter()
                    .filter(|x| x.policy == c.policy)
                    .all(|x| x.findings.is_empty())
            })
            .count();
        vec![ResultRow {
            area: Area::Escalation,
            subject: crate::metrics::ALL.to_string(),
            measure: "nonconformities",
            value: nonconformities.to_string(),
            target: "0".to_string(),
            verdict: Verdict::from_bool(nonconformities == 0),
            text: format!(
                "Escalation policies conforming to the levels: {conforming} of {} ({nonconformities} non-conformit{})",
                policies.count(),
                if nonconformities == 1 { "y" } else { "ies" }
            ),
            target_text: "every policy".to_string(),
        }]
    }
}

/// Escalation counts of the period's incidents against the levels: an incident nobody
/// acknowledged by a level's time must have escalated past that level by timeout.
fn escalation_counts(
    ingested: &Ingested,
    metrics: &Metrics,
    policy: &Policy,
) -> (EscalationCheck, BTreeSet<String>) {
    let mut services_without = BTreeSet::new();
    let mut check = EscalationCheck {
        with_counts: 0,
        escalated: 0,
        by_timeout: 0,
        too_few: Vec::new(),
    };
    for r in &metrics.register {
        let i = &ingested.incidents[r.incident];
        if i.escalation_policy
            .as_deref()
            .is_none_or(|e| e.trim().is_empty())
            && let Some(s) = &i.service
        {
            services_without.insert(s.clone());
        }
        let (Some(total), Some(timeouts)) = (i.escalation_count, i.timeout_escalation_count) else {
            continue;
        };
        // Only high-urgency incidents page and escalate by the clock on every account.
        let pages = i.urgency.as_deref() == Some("high");
        check.with_counts += 1;
        check.escalated += usize::from(total > 0);
        check.by_timeout += usize::from(timeouts > 0);
        let waited = i.tta_s.or(i.ttr_s).unwrap_or(0.0);
        let expected = policy
            .escalation_levels
            .iter()
            .take(policy.escalation_levels.len().saturating_sub(1))
            .filter(|&&l| waited > l as f64)
            .count() as i64;
        if pages && timeouts < expected {
            check.too_few.push((r.incident, expected, timeouts));
        }
    }
    (check, services_without)
}

/// One `escalation_late` exception per incident that escalated too few times.
fn late_exceptions(
    check: &EscalationCheck,
    ingested: &Ingested,
    metrics: &Metrics,
) -> Vec<Exception> {
    if check.too_few.is_empty() {
        return Vec::new();
    }
    let severity_of: std::collections::HashMap<usize, &str, foldhash::fast::RandomState> = metrics
        .register
        .iter()
        .map(|r| (r.incident, r.severity.as_str()))
        .collect();
    check
        .too_few
        .iter()
        .map(|&(idx, expected, got)| {
            let i = &ingested.incidents[idx];
            Exception {
                incident_number: i.number,
                incident_id: Some(i.id.clone()),
                severity: severity_of.get(&idx).map(|s| s.to_string()),
                kind: ExceptionKind::EscalationLate,
                detail: format!(
                    "unacknowledged for {}: the policy's levels call for {expected} timeout escalation(s); the export shows {got} (escalation policy `{}`)",
                    format_duration(i.tta_s.or(i.ttr_s).unwrap_or(0.0).round() as i64),
                    i.escalation_policy.as_deref().unwrap_or("none")
                ),
                facts: None,
            }
        })
        .collect()
}

/// Checks every escalation policy against the levels, and the period's escalations.
pub(crate) fn assess(
    ingested: &Ingested,
    metrics: &Metrics,
    policy: &Policy,
    coverage: &[Coverage],
) -> EscalationEvidence {
    let mut policies: Vec<&EscalationPolicy> = Vec::new();
    let mut file_counts = Vec::new();
    for export in &ingested.config {
        if let Export::EscalationPolicies(list) = export {
            policies.extend(list);
            if let Some(first) = list.first() {
                file_counts.push(FileRows {
                    file: first.source.file,
                    used: list.len() as u64,
                    outside: 0,
                });
            }
        }
    }
    let conformance = conformance(&policies, &policy.escalation_levels, coverage);
    let mut exceptions = Vec::new();
    for c in &conformance {
        for f in &c.findings {
            let at = c.level.map_or(String::new(), |l| format!(" level {l}"));
            exceptions.push(exception(
                ExceptionKind::EscalationNonconformity,
                format!("escalation policy `{}`{at}: {f}", c.policy),
            ));
        }
    }
    let (check, services_without) = escalation_counts(ingested, metrics, policy);
    let services_without_policy: Vec<String> = services_without.into_iter().collect();
    for s in &services_without_policy {
        exceptions.push(exception(
            ExceptionKind::EscalationNonconformity,
            format!("service `{s}` has incidents in the period without an escalation policy"),
        ));
    }
    exceptions.extend(late_exceptions(&check, ingested, metrics));
    EscalationEvidence {
        has_policies: !policies.is_empty(),
        conformance,
        services_without_policy,
        escalation: (check.with_counts > 0).then_some(check),
        exceptions,
        file_counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::{Reference, Rule};

    #[test]
    fn conformance_against_cumulative_levels() {
        let rule = |d: i64, n: usize| Rule {
            delay_min: d,
            targets: (0..n)
                .map(|k| Reference {
                    id: format!("U{k}"),
                    kind: "user_reference".into(),
                    summary: format!("User {k}"),
                })
                .collect(),
        };
        let ep = |rules| EscalationPolicy {
            id: "P".into(),
            name: "EP".into(),
            num_loops: 0,
            rules,
            services: vec![Reference::default()],
            source: crate::model::SourceRef {
                file: 0,
                line: 1,
                start: 0,
                end: 0,
            },
        };
        let levels = [300, 600, 1200, 1800];
        // 5 + 5 + 10 + 10: exactly at every level.
        let ok = conformance(
            &[&ep(vec![rule(5, 1), rule(5, 1), rule(10, 1), rule(10, 1)])],
            &levels,
            &[],
        );
        assert!(ok.iter().all(|c| c.findings.is_empty()), "{ok:?}");
        // 30 min at level 1, two levels, the second with no target.
        let bad = conformance(&[&ep(vec![rule(30, 1), rule(5, 0)])], &levels, &[]);
        let findings: Vec<String> = bad.iter().flat_map(|c| c.findings.clone()).collect();
        assert_eq!(
            findings,
            vec![
                "too few levels: 2 of the 4 the policy requires".to_string(),
                "escalates 30 min after the trigger; the policy allows 5 min (delay 30 min)"
                    .to_string(),
                "escalates 35 min after the trigger; the policy allows 10 min (delay 5 min)"
                    .to_string(),
                "no target: nobody is notified at this level".to_string(),
            ]
        );
    }
}
