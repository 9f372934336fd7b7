//! The checks beyond the SLA figures: postmortems, on-call coverage, escalation and the admin
//! trail, tickets, the response timeline from log entries, and status-page detection. Each
//! takes what ingest read, the metrics and the policy, and returns its findings; none reads a
//! file or the clock.

pub(crate) mod audit_trail;
pub(crate) mod escalation;
pub(crate) mod findings;
pub(crate) mod oncall;
pub(crate) mod population;
pub(crate) mod postmortems;
pub(crate) mod security;
pub(crate) mod statuspage;
pub(crate) mod tickets;
pub(crate) mod timeline;

use chrono::{DateTime, Utc};

use crate::error::Error;
use crate::ingest::Ingested;
use crate::ingest::postmortem_text::Document;
use crate::metrics::results::{self, ResultRow};
use crate::metrics::{self, FileCounts, Metrics};
use crate::model::time::Period;
use crate::model::{Exception, FileRows};
use crate::policy::Policy;
use audit_trail::AuditTrail;
use escalation::EscalationEvidence;
use oncall::OnCallEvidence;
use population::PopulationEvidence;
use postmortems::Postmortems;
use security::SecurityEvidence;
use statuspage::StatusEvidence;
use tickets::TicketLinks;
use timeline::Timeline;

/// Everything the evidence shows: what was read, the SLA figures, every check's findings,
/// all their exceptions in one list and the reconciliation of every input file. The derived
/// CSVs and the report are written from this and nothing else.
#[derive(Debug)]
pub(crate) struct Evidence {
    /// The policy judged against.
    pub policy: Policy,
    /// What the inputs held.
    pub ingested: Ingested,
    /// The SLA figures, the register and the SLA and data exceptions.
    pub metrics: Metrics,
    /// Whether the exports are the whole population: scope, paging, coverage of the period,
    /// the extraction record and PagerDuty's own totals.
    pub population: PopulationEvidence,
    pub postmortems: Postmortems,
    /// Security incidents (`[security]`).
    pub security: SecurityEvidence,
    /// Tickets of the incidents with a postmortem rule.
    pub tickets: TicketLinks,
    /// On-call coverage.
    pub oncall: OnCallEvidence,
    /// Escalation-policy conformance and escalations by timeout.
    pub escalation: EscalationEvidence,
    /// The admin change trail.
    pub audit_trail: AuditTrail,
    /// Response timelines from log entries.
    pub timeline: Timeline,
    /// Status-page incidents matched to PagerDuty incidents.
    pub statuspage: StatusEvidence,
    /// The exceptions of the metrics and of every check, sorted.
    pub exceptions: Vec<Exception>,
    /// The exceptions grouped by cause, in report order.
    pub findings: Vec<findings::Finding>,
    /// For each exception (same order), the index of its finding.
    pub finding_of: Vec<usize>,
    /// Rows used, rejected and outside the period per input file (same order as
    /// `Ingested::files`), configuration exports, log entries and status pages included.
    pub reconciliation: Vec<FileCounts>,
    /// Every figure against its pass line, in the order of the report's results table.
    pub results: Vec<ResultRow>,
}

impl Evidence {
    /// The SLA figures alone (`stats`): no check is run.
    pub(crate) fn figures_only(policy: Policy, ingested: Ingested, metrics: Metrics) -> Self {
        // `stats` prints the SLA figures only: no population check runs.
        let results = results::sla(&metrics, &policy);
        let (findings, finding_of) = findings::group(&metrics.exceptions);
        let exceptions = metrics.exceptions.clone();
        let reconciliation = metrics.files.clone();
        Self {
            population: PopulationEvidence::default(),
            policy,
            findings,
            finding_of,
            exceptions,
            reconciliation,
            results,
            ingested,
            metrics,
            postmortems: Postmortems::default(),
            security: SecurityEvidence::default(),
            tickets: TicketLinks::default(),
            oncall: OnCallEvidence::default(),
            escalation: EscalationEvidence::default(),
            audit_trail: AuditTrail::default(),
            timeline: Timeline::default(),
            statuspage: StatusEvidence::default(),
        }
    }

    /// Exception counts per kind, in kind order.
    pub(crate) fn exception_counts(
        &self,
    ) -> std::collections::BTreeMap<crate::model::ExceptionKind, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for e in &self.exceptions {
            *counts.entry(e.kind).or_insert(0) += 1;
        }
        counts
    }
}

/// Computes the metrics and runs every check: the evidence of `ingested` for `period`, judged
/// at `as_of` under `policy`.
pub(crate) fn evaluate(
    policy: &Policy,
    ingested: Ingested,
    documents: &[Document],
    period: Period,
    as_of: DateTime<Utc>,
) -> Result<Evidence, Error> {
    let metrics = metrics::compute(&ingested, policy, period, as_of, metrics::Scope::Evidence)?;
    let population = population::assess(&ingested, &metrics, policy);
    let postmortems = postmortems::assess(documents, &ingested, &metrics, policy);
    let security = security::assess(&ingested, &metrics, policy, &postmortems);
    let tickets = tickets::assess(&ingested, &metrics, policy);
    let oncall = oncall::assess(&ingested, &metrics, policy);
    let audit_trail = audit_trail::assess(&ingested, &metrics, policy);
    let escalation = escalation::assess(
        &ingested,
        &metrics,
        policy,
        &oncall.coverage,
        &audit_trail.changes,
    );
    let timeline = timeline::assess(&ingested, &metrics);
    let statuspage = statuspage::assess(&ingested, &metrics, policy);
    let mut reconciliation = metrics.files.clone();
    let check_rows: Vec<&FileRows> = population
        .file_counts
        .iter()
        .chain(&oncall.file_counts)
        .chain(&escalation.file_counts)
        .chain(&audit_trail.file_counts)
        .chain(&timeline.file_counts)
        .chain(&statuspage.file_counts)
        .collect();
    for rows in check_rows {
        reconciliation[rows.file].rows_used = rows.used;
        reconciliation[rows.file].rows_outside_period = rows.outside;
    }
    let mut exceptions = metrics.exceptions.clone();
    exceptions.extend(population.exceptions.iter().cloned());
    exceptions.extend(security.exceptions.iter().cloned());
    exceptions.extend(postmortems.exceptions.iter().cloned());
    exceptions.extend(tickets.exceptions.iter().cloned());
    exceptions.extend(oncall.exceptions.iter().cloned());
    exceptions.extend(escalation.exceptions.iter().cloned());
    exceptions.extend(audit_trail.exceptions.iter().cloned());
    exceptions.extend(statuspage.exceptions.iter().cloned());
    name_systems(&mut exceptions, &ingested);
    metrics::sort_exceptions(&mut exceptions);
    let (findings, finding_of) = findings::group(&exceptions);
    let mut results = population.results(&metrics);
    results.extend(results::sla(&metrics, policy));
    results.extend(security.results(&metrics, policy));
    results.extend(postmortems.results());
    results.extend(tickets.results());
    results.extend(oncall.results());
    results.extend(escalation.results());
    results.extend(audit_trail.results());
    results.extend(statuspage.results(policy));
    Ok(Evidence {
        policy: policy.clone(),
        ingested,
        metrics,
        population,
        postmortems,
        security,
        tickets,
        oncall,
        escalation,
        audit_trail,
        timeline,
        statuspage,
        exceptions,
        findings,
        finding_of,
        reconciliation,
        results,
    })
}

/// Numbers repeat across systems (PagerDuty's incident numbers, Opsgenie's `tinyId`): an
/// exception about an Opsgenie alert says so at the start of its detail, in the CSV, the
/// workbook and the report alike. A population of PagerDuty's incidents alone is untouched.
fn name_systems(exceptions: &mut [Exception], ingested: &Ingested) {
    use crate::model::System;
    if ingested
        .incidents
        .iter()
        .all(|i| i.system == System::Pagerduty)
    {
        return;
    }
    let alerts: std::collections::HashSet<&str> = ingested
        .incidents
        .iter()
        .filter(|i| i.system == System::Opsgenie)
        .map(|i| i.id.as_str())
        .collect();
    for e in exceptions.iter_mut() {
        if e.incident_id
            .as_deref()
            .is_some_and(|id| alerts.contains(id))
        {
            e.detail = format!("Opsgenie alert: {}", e.detail);
        }
    }
}
