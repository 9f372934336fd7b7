//! Security events (CC7.3 is about them): the incidents the policy's `[security]` rules
//! single out, how they were acknowledged and resolved, and whether each has a severity.
//! A security incident without a severity is judged against nothing: `security_unclassified`.

use crate::ingest::Ingested;
use crate::metrics::results::{Area, ResultRow, Verdict, pct_text, trim_number};
use crate::metrics::{ALL, Metrics, SlaStatus, UNCLASSIFIED};
use crate::model::text::fmt_pct;
use crate::model::{Exception, ExceptionKind};
use crate::policy::Policy;

use super::postmortems::Postmortems;

/// One security incident: its register entry and its postmortem status.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SecurityRow {
    /// Index into `Metrics::register`.
    pub entry: usize,
    /// The incident's `postmortems.csv` status, `not_required` without a rule.
    pub postmortem_status: String,
}

/// The security incidents of the period and their exceptions.
#[derive(Debug, Clone, Default)]
pub(crate) struct SecurityEvidence {
    /// In register order.
    pub rows: Vec<SecurityRow>,
    pub exceptions: Vec<Exception>,
}

impl SecurityEvidence {
    /// (acknowledged within the target, judged): security incidents with an
    /// acknowledgement target, pending and excluded ones not judged.
    pub(crate) fn acknowledged(&self, metrics: &Metrics) -> (usize, usize) {
        let statuses = self.rows.iter().map(|r| metrics.register[r.entry].ack);
        let met = statuses.clone().filter(|s| *s == SlaStatus::Met).count();
        let breach = statuses.filter(|s| *s == SlaStatus::Breach).count();
        (met, met + breach)
    }

    /// Security incidents resolved with nobody acknowledging them.
    pub(crate) fn auto_closed(&self, metrics: &Metrics, ingested: &Ingested) -> usize {
        self.rows
            .iter()
            .map(|r| &ingested.incidents[metrics.register[r.entry].incident])
            .filter(|i| i.tta_s.is_none() && i.ttr_s.is_some())
            .count()
    }

    /// The `security` result: the share acknowledged within target, against the
    /// acknowledgement pass line.
    pub(crate) fn results(&self, metrics: &Metrics, policy: &Policy) -> Vec<ResultRow> {
        let (met, judged) = self.acknowledged(metrics);
        let goal = policy.ack_within_sla_pct;
        let text = if judged == 0 {
            format!(
                "Security incidents acknowledged within their target: none judged ({} security incidents)",
                self.rows.len()
            )
        } else {
            format!(
                "Security incidents acknowledged within their target: {met} of {judged} ({} %)",
                pct_text(met, judged)
            )
        };
        vec![ResultRow {
            area: Area::Security,
            subject: ALL.to_string(),
            measure: "ack_within_sla_pct",
            value: pct_text(met, judged),
            target: fmt_pct(Some(goal)),
            verdict: if judged == 0 {
                Verdict::NotJudged
            } else {
                Verdict::from_bool(100.0 * met as f64 / judged as f64 + 1e-9 >= goal)
            },
            text,
            target_text: format!("{} %", trim_number(goal)),
        }]
    }
}

/// The incidents of the register that `[security]` singles out.
pub(crate) fn assess(
    ingested: &Ingested,
    metrics: &Metrics,
    policy: &Policy,
    postmortems: &Postmortems,
) -> SecurityEvidence {
    let mut out = SecurityEvidence::default();
    let matcher = policy.security.matcher();
    for (entry, r) in metrics.register.iter().enumerate() {
        let incident = &ingested.incidents[r.incident];
        let text =
            crate::policy::Folded::of(incident.description.as_deref(), incident.service.as_deref());
        if !matcher.matches(&text) {
            continue;
        }
        let postmortem_status = postmortems
            .rows
            .iter()
            .find(|p| p.incident == Some(r.incident))
            .map_or_else(|| "not_required".to_string(), |p| p.status.clone());
        out.rows.push(SecurityRow {
            entry,
            postmortem_status,
        });
        if r.severity == UNCLASSIFIED {
            out.exceptions.push(Exception {
                incident_number: incident.number,
                incident_id: Some(incident.id.clone()),
                severity: Some(r.severity.clone()),
                kind: ExceptionKind::SecurityUnclassified,
                detail: format!(
                    "security incident `{}` has no severity of the policy ({}): no response target was judged",
                    incident.id,
                    match &incident.priority {
                        Some(p) => format!("priority `{p}` matches none"),
                        None => "no priority".to_string(),
                    }
                ),
                facts: None,
                cause: None,
            });
        }
    }
    out
}
