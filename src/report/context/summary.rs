//! The summary: the trend of each SLA over the period in words, and the counts.

use super::{Counts, month_label};
use crate::checks::Evidence;
use crate::metrics::{ALL, Metrics};
use crate::model::text::fmt_pct;
use crate::policy::Policy;

/// "P1 acknowledgement within SLA rose from 72.00 % in January 2026 to 96.00 % in June
/// 2026", from the first and last months with judged incidents; the lowest month is named
/// when it lies between them.
pub(super) fn trend_sentences(metrics: &Metrics, policy: &Policy) -> Vec<String> {
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

/// The counts on the summary page.
pub(super) fn counts(e: &Evidence) -> Counts {
    let m = &e.metrics;
    let by_kind: Vec<(String, usize)> = e
        .exception_counts()
        .into_iter()
        .map(|(k, n)| (k.name().to_string(), n))
        .collect();
    let total = m.summary.iter().find(|r| r.severity == ALL);
    let mut exclusion_rules: Vec<(String, String, usize)> = Vec::new();
    for x in &m.exclusions {
        let reason = if x.rule == "merge" {
            "merged into another incident".to_string()
        } else {
            x.reason.clone()
        };
        match exclusion_rules.iter_mut().find(|(r, _, _)| *r == x.rule) {
            Some((_, _, n)) => *n += 1,
            None => exclusion_rules.push((x.rule.clone(), reason, 1)),
        }
    }
    // `exclusion 1` … in policy order (numerically), then `merge`.
    exclusion_rules.sort_by_key(|(r, _, _)| {
        r.strip_prefix("exclusion ")
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(usize::MAX)
    });
    Counts {
        incidents: total.map_or(0, |r| r.stats.incidents) + m.exclusions.len() as u64,
        exceptions: e.exceptions.len(),
        rejected: e.ingested.rejected.len(),
        by_kind,
        findings: e.findings.len(),
        not_evaluable: e
            .exceptions
            .iter()
            .filter(|x| x.kind == crate::model::ExceptionKind::NotEvaluable)
            .count(),
        excluded: m.exclusions.len(),
        exclusion_rules,
        resolved_unacknowledged: total.map_or(0, |r| r.stats.resolved_unacknowledged),
        unacknowledged_excluded: e.policy.resolved_without_ack
            == crate::policy::ResolvedWithoutAck::Exclude,
    }
}
