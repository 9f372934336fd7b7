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
use crate::model::{Cause, Exception, ExceptionKind, FileRows};
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
    /// On-call gaps of the level's schedules within the interval: not a fault of the
    /// escalation policy, but the gap findings it inherits (each gap is one finding, of the
    /// coverage check).
    pub gaps: Vec<String>,
    /// The interval of the period this configuration was in force (RFC 3339, UTC): the
    /// period's start or an audit-record change, to the next change or the period's end.
    pub from: String,
    pub to: String,
    /// The audit-record change that started the interval (time, actor, method, before →
    /// after); empty for the first interval.
    pub change: String,
}

/// One audit-record change of an escalation policy's delays, in time order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DelayChange {
    pub at: chrono::DateTime<chrono::Utc>,
    /// Level index (0-based) the field names (`escalation_rules[1]…`), or `None`: every
    /// level it can apply to.
    pub level: Option<usize>,
    pub before: i64,
    pub after: i64,
    /// `2025-06-02T13:12:00Z by Terraform token …tf7q (api_token): delay 10 → 15 min`.
    pub cited: String,
}

/// The delay changes of policy `id` in the audit records of the period.
pub(crate) fn delay_changes(
    changes: &[super::audit_trail::AdminChange],
    id: &str,
) -> Vec<DelayChange> {
    let mut out = Vec::new();
    for c in changes {
        let r = &c.record;
        let of_policy = r.root_resource.id == id || r.resource.as_ref().is_some_and(|x| x.id == id);
        if !of_policy || r.action != "update" {
            continue;
        }
        for f in r
            .fields
            .iter()
            .filter(|f| f.name.contains("escalation_delay_in_minutes"))
        {
            let number = |v: &Option<serde_json::Value>| match v {
                Some(serde_json::Value::Number(n)) => n.as_i64(),
                Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
                _ => None,
            };
            let (Some(before), Some(after)) = (number(&f.before_value), number(&f.value)) else {
                continue;
            };
            let level = f
                .name
                .split_once('[')
                .and_then(|(_, rest)| rest.split_once(']'))
                .and_then(|(n, _)| n.parse().ok());
            let at = r.execution_time.with_timezone(&chrono::Utc);
            let who = if super::audit_trail::unattributed(r) {
                "no named person".to_string()
            } else {
                super::audit_trail::actor(r)
            };
            out.push(DelayChange {
                at,
                level,
                before,
                after,
                cited: format!(
                    "{} by {who} ({}): {} {before} → {after} min",
                    crate::model::text::rfc3339(at),
                    super::audit_trail::method(r),
                    match level {
                        Some(l) => format!("level {} delay", l + 1),
                        None => "delay".to_string(),
                    }
                ),
            });
        }
    }
    out.sort_by_key(|c| c.at);
    out
}

/// The policy as it stood before `change`, from the policy after it: the level the change
/// names, or every level whose delay is the change's new value.
fn undo(policy: &EscalationPolicy, change: &DelayChange) -> EscalationPolicy {
    let mut before = policy.clone();
    for (k, rule) in before.rules.iter_mut().enumerate() {
        let applies = match change.level {
            Some(l) => l == k,
            None => rule.delay_min == change.after,
        };
        if applies && rule.delay_min == change.after {
            rule.delay_min = change.before;
        }
    }
    before
}

/// Conformance per interval of the period: the exported (end-of-period) configuration,
/// walked back through the audit-record changes of each policy's delays, judged in each
/// interval between changes.
pub(crate) fn conformance_over_time(
    policies: &[&EscalationPolicy],
    changes: &[super::audit_trail::AdminChange],
    levels_s: &[i64],
    coverage: &[Coverage],
    period: (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>),
) -> Vec<Conformance> {
    let mut out = Vec::new();
    for p in policies {
        let delays: Vec<DelayChange> = delay_changes(changes, &p.id)
            .into_iter()
            .filter(|c| c.at > period.0 && c.at < period.1)
            .collect();
        // Configurations from the last interval back to the first.
        let mut configs = vec![(*p).clone()];
        for c in delays.iter().rev() {
            let earlier = undo(configs.last().unwrap_or(p), c);
            configs.push(earlier);
        }
        configs.reverse();
        for (k, config) in configs.iter().enumerate() {
            let from = if k == 0 { period.0 } else { delays[k - 1].at };
            let to = delays.get(k).map_or(period.1, |c| c.at);
            let change = if k == 0 {
                String::new()
            } else {
                delays[k - 1].cited.clone()
            };
            for mut row in conformance(&[config], levels_s, coverage, Some((from, to))) {
                row.from = crate::model::text::rfc3339(from);
                row.to = crate::model::text::rfc3339(to);
                row.change = change.clone();
                out.push(row);
            }
        }
    }
    out
}

/// Checks each policy's rules against the policy file's levels.
pub(crate) fn conformance(
    policies: &[&EscalationPolicy],
    levels_s: &[i64],
    coverage: &[Coverage],
    interval: Option<super::oncall::Span>,
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
            gaps: Vec::new(),
            from: String::new(),
            to: String::new(),
            change: String::new(),
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
            let mut gaps = Vec::new();
            for t in &rule.targets {
                if !t.kind.starts_with("schedule") {
                    continue;
                }
                let Some(c) = coverage.iter().find(|c| c.schedule_id == t.id) else {
                    continue;
                };
                for g in c
                    .gaps
                    .iter()
                    .filter(|g| interval.is_none_or(|(a, b)| g.0 < b && g.1 > a))
                {
                    gaps.push(format!(
                        "schedule `{}` nobody on call from {} to {} (the on-call gap finding)",
                        t.label(),
                        crate::model::text::rfc3339(g.0),
                        crate::model::text::rfc3339(g.1)
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
                gaps,
                from: String::new(),
                to: String::new(),
                change: String::new(),
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
        // Each policy once, however many intervals its changes split the period into.
        let policies: BTreeSet<&str> = self.conformance.iter().map(|c| c.policy.as_str()).collect();
        let conforming = policies
            .iter()
            .filter(|p| {
                self.conformance
                    .iter()
                    .filter(|x| x.policy == **p)
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
                policies.len(),
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
        // An Opsgenie alert names no PagerDuty escalation policy (its integration stands
        // where the service is): not a PagerDuty service without one.
        if i.system == crate::model::System::Pagerduty
            && i.escalation_policy
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
                // Level `got + 1` did not hand over in time: one finding per policy level.
                cause: Some({
                    let name = i.escalation_policy.as_deref().unwrap_or("none");
                    let level = got + 1;
                    Cause::new(
                        format!("escalation policy `{name}` level {level}"),
                        format!(
                            "Escalation policy `{name}` level {level} did not escalate within the policy's time"
                        ),
                    )
                }),
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
    changes: &[super::audit_trail::AdminChange],
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
    let zone = policy.timezone;
    let period = metrics.period.instants(zone);
    let conformance = conformance_over_time(
        &policies,
        changes,
        &policy.escalation_levels,
        coverage,
        period,
    );
    let mut exceptions = Vec::new();
    for c in &conformance {
        // A policy changed during the period: each interval's findings say when, and cite
        // the change that began the interval.
        let changed = conformance
            .iter()
            .any(|o| o.policy == c.policy && !o.change.is_empty());
        for f in &c.findings {
            let at = c.level.map_or(String::new(), |l| format!(" level {l}"));
            let when = if changed {
                format!(
                    "; in force from {} to {}{}",
                    c.from,
                    c.to,
                    if c.change.is_empty() {
                        String::new()
                    } else {
                        format!(", after the change of {}", c.change)
                    }
                )
            } else {
                String::new()
            };
            // The same fault in several intervals of the period is one finding.
            let fault = format!("escalation policy `{}`{at}: {f}", c.policy);
            exceptions.push(Exception {
                cause: Some(Cause::new(
                    fault.clone(),
                    format!("Escalation policy not conforming: {fault}"),
                )),
                ..exception(
                    ExceptionKind::EscalationNonconformity,
                    format!("{fault}{when}"),
                )
            });
        }
    }
    let (check, services_without) = escalation_counts(ingested, metrics, policy);
    let services_without_policy: Vec<String> = services_without.into_iter().collect();
    for s in &services_without_policy {
        let fault =
            format!("service `{s}` has incidents in the period without an escalation policy");
        exceptions.push(Exception {
            cause: Some(Cause::new(
                fault.clone(),
                format!("Escalation policy not conforming: {fault}"),
            )),
            ..exception(ExceptionKind::EscalationNonconformity, fault)
        });
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
            None,
        );
        assert!(ok.iter().all(|c| c.findings.is_empty()), "{ok:?}");
        // 30 min at level 1, two levels, the second with no target.
        let bad = conformance(&[&ep(vec![rule(30, 1), rule(5, 0)])], &levels, &[], None);
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

    #[test]
    fn a_mid_period_change_splits_conformance_and_is_cited() {
        use crate::model::config::{AuditRecord, FieldChange, Method};
        let utc = |t: &str| t.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        let source = crate::model::SourceRef {
            file: 0,
            line: 1,
            start: 0,
            end: 0,
        };
        let user = |n: &str| Reference {
            id: n.into(),
            kind: "user_reference".into(),
            summary: n.into(),
        };
        let rule = |d: i64| Rule {
            delay_min: d,
            targets: vec![user("Ana")],
        };
        // Exported at the end of the period: levels of 15, 15 and 30 minutes.
        let ep = EscalationPolicy {
            id: "PEP2".into(),
            name: "Tier 2".into(),
            num_loops: 0,
            rules: vec![rule(15), rule(15), rule(30)],
            services: vec![Reference::default()],
            source,
        };
        // On 2025-06-02 a Terraform token changed the delay 10 → 15 without naming a level
        // or a person: it applies to every level now at 15 (levels 1 and 2).
        let record = AuditRecord {
            id: "R1".into(),
            execution_time: "2025-06-02T13:12:00Z".parse().unwrap(),
            actors: vec![],
            method: Method {
                kind: "api_token".into(),
                truncated_token: Some("tf7q".into()),
                description: None,
            },
            root_resource: Reference {
                id: "PEP2".into(),
                kind: "escalation_policy_reference".into(),
                summary: "Tier 2".into(),
            },
            action: "update".into(),
            resource: None,
            fields: vec![FieldChange {
                name: "escalation_delay_in_minutes".into(),
                before_value: Some(serde_json::json!("10")),
                value: Some(serde_json::json!("15")),
            }],
            references: vec![],
            source,
        };
        let changes = vec![super::super::audit_trail::admin_change(&record)];
        let period = (utc("2025-01-01T00:00:00Z"), utc("2026-01-01T00:00:00Z"));
        // Levels 10 and 20 minutes (cumulative).
        let rows = conformance_over_time(&[&ep], &changes, &[600, 1200], &[], period);
        let level1: Vec<(&str, &str, Option<i64>, bool, &str)> = rows
            .iter()
            .filter(|r| r.level == Some(1))
            .map(|r| {
                (
                    r.from.as_str(),
                    r.to.as_str(),
                    r.cumulative_min,
                    r.findings.is_empty(),
                    r.change.as_str(),
                )
            })
            .collect();
        // Before the change level 1 escalated after 10 min (conforms to 10); after it, 15.
        assert_eq!(
            level1,
            [
                (
                    "2025-01-01T00:00:00Z",
                    "2025-06-02T13:12:00Z",
                    Some(10),
                    true,
                    ""
                ),
                (
                    "2025-06-02T13:12:00Z",
                    "2026-01-01T00:00:00Z",
                    Some(15),
                    false,
                    "2025-06-02T13:12:00Z by no named person (api_token …tf7q): delay 10 → 15 min"
                ),
            ]
        );
        // Level 2: 10 + 10 = 20 before (conforms), 15 + 15 = 30 after.
        let level2: Vec<Option<i64>> = rows
            .iter()
            .filter(|r| r.level == Some(2))
            .map(|r| r.cumulative_min)
            .collect();
        assert_eq!(level2, [Some(20), Some(30)]);
        // Level 3 (30 min) was not 15 after the change, so it was not 10 before.
        let level3: Vec<Option<i64>> = rows
            .iter()
            .filter(|r| r.level == Some(3))
            .map(|r| r.delay_min)
            .collect();
        assert_eq!(level3, [Some(30), Some(30)]);
    }
}
