//! The report's data: a serde view of the evidence, every number already formatted exactly as
//! in the derived CSVs, so the PDF and the CSVs cannot disagree, and every verdict taken from
//! the results rows. One file per section of the report; the templates get it as minijinja
//! context and typst reads the same values from `/data.json`.

mod exceptions;
mod oncall;
mod policy;
mod population;
mod postmortems;
mod provenance;
mod register;
mod response;
mod security;
mod statuspage;
mod summary;
mod timeline;
mod trends;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

pub(crate) use exceptions::ExceptionGroup;
pub(crate) use oncall::OnCallView;
pub(crate) use policy::PolicyView;
pub(crate) use population::PopulationView;
pub(crate) use postmortems::PostmortemView;
pub(crate) use provenance::InputView;
pub(crate) use response::Histogram;
pub(crate) use security::SecurityView;
pub(crate) use statuspage::StatusView;
pub(crate) use timeline::TimelineView;
pub(crate) use trends::Month;

use crate::checks::Evidence;
use crate::metrics::results::ResultRow;
use crate::model::text::rfc3339;
use crate::policy::Target;

/// What the report needs beyond the metrics.
#[derive(Debug, Clone)]
pub(crate) struct ReportParams {
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
    /// The signer named in the key, and the public key's SHA-256, when signed.
    pub signer: Option<String>,
    pub key_sha256: Option<String>,
    /// Whether the key is the published demo key: the evidence proves nothing.
    pub demo_key: bool,
}

/// Everything the templates show.
#[derive(Debug, Serialize)]
pub(crate) struct ReportData {
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
    /// Whether any incident is an Opsgenie alert (the register marks their numbers).
    pub has_opsgenie: bool,
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
    pub security: SecurityView,
    pub population: PopulationView,
    /// The findings, one line each: id, title, severities, exceptions, incidents.
    pub findings: Vec<Vec<String>>,
    /// Postmortems by incident: incident, severity, resolved, due, document, published,
    /// status.
    pub postmortem_rows: Vec<Vec<String>>,
    /// How many incidents need a postmortem in all.
    pub postmortem_rows_total: usize,
    /// The denominators of the response tables' percentages, per severity row: (severity,
    /// acknowledgement judged, resolution judged).
    pub judged: Vec<(String, u64, u64)>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Meta {
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
    /// The signer and the public key's SHA-256 (empty when unsigned).
    pub signer: String,
    pub key_sha256: String,
    /// Signed with the published demo key: not evidence.
    pub demo_key: bool,
    /// The approved incident-response policy the policy file transcribes, in words.
    pub policy_document: String,
    /// Whether the policy file names it.
    pub policy_document_stated: bool,
    /// Whether `--prepared-by` was given.
    pub prepared_by_stated: bool,
}

/// One key result against its target.
#[derive(Debug, Serialize)]
pub(crate) struct Verdict {
    pub text: String,
    pub target: String,
    /// `met`, `not met`, or `not judged`.
    pub verdict: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct Counts {
    pub incidents: u64,
    pub exceptions: usize,
    pub rejected: usize,
    pub by_kind: Vec<(String, usize)>,
    /// Findings: the exceptions grouped by cause.
    pub findings: usize,
    /// Incidents in the export that could not be evaluated (rejected rows of the numbering
    /// range).
    pub not_evaluable: usize,
    /// Incidents of the period not judged.
    pub excluded: usize,
    /// Per rule: (rule, reason, incidents), in order of the rule.
    pub exclusion_rules: Vec<(String, String, usize)>,
    /// Incidents resolved without any acknowledgement.
    pub resolved_unacknowledged: u64,
    /// Whether those are left out of the acknowledgement figure (else they are breaches).
    pub unacknowledged_excluded: bool,
}

pub(crate) fn month_label(month: &str) -> String {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map(|d| d.format("%B %Y").to_string())
        .unwrap_or_else(|_| month.to_string())
}

pub(crate) fn date_label(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

pub(crate) fn target_words(t: Option<Target>) -> String {
    t.map_or_else(|| "—".to_string(), |t| t.to_string())
}

impl From<&ResultRow> for Verdict {
    fn from(r: &ResultRow) -> Self {
        Self {
            text: r.text.clone(),
            target: r.target_text.clone(),
            verdict: r.verdict.words().to_string(),
        }
    }
}

/// The cover's facts.
fn meta(e: &Evidence, params: &ReportParams) -> Meta {
    let (m, policy) = (&e.metrics, &e.policy);
    let period = format!("{} to {}", m.period.from, m.period.to);
    Meta {
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
        signer: params.signer.clone().unwrap_or_default(),
        key_sha256: params.key_sha256.clone().unwrap_or_default(),
        demo_key: params.demo_key,
        policy_document: policy.document.words(),
        policy_document_stated: policy.document.stated(),
        prepared_by_stated: params.prepared_by.is_some(),
    }
}

/// Builds the report data.
pub(crate) fn build(e: &Evidence, params: &ReportParams) -> ReportData {
    let register = register::view(e, params.register_limit);
    let provenance = provenance::view(e);
    ReportData {
        meta: meta(e, params),
        results: e.results.iter().map(Verdict::from).collect(),
        trends: summary::trend_sentences(&e.metrics, &e.policy),
        counts: summary::counts(e),
        policy: policy::view(&e.policy),
        summary: e
            .metrics
            .summary
            .iter()
            .map(|r| r.cells_words().to_vec())
            .collect(),
        histograms: response::histograms(e),
        monthly: trends::months(&e.metrics),
        severities: e
            .metrics
            .summary
            .iter()
            .map(|r| r.severity.clone())
            .collect(),
        exception_groups: exceptions::groups(e),
        register: register.rows,
        register_total: register.total,
        register_shown: register.shown,
        has_opsgenie: e
            .population
            .systems
            .iter()
            .any(|s| s.system == crate::model::System::Opsgenie),
        inputs: provenance.inputs,
        not_used: provenance.not_used,
        warnings: provenance.warnings,
        rejected: provenance.rejected,
        rejected_total: provenance.rejected_total,
        rejected_shown: provenance.rejected_shown,
        postmortems: postmortems::view(e),
        oncall: oncall::view(e),
        timeline: timeline::view(e),
        statuspage: statuspage::view(e),
        security: security::view(e),
        population: population::view(e),
        findings: e
            .findings
            .iter()
            .map(|f| {
                vec![
                    f.id.clone(),
                    f.title.clone(),
                    f.severities.join(", "),
                    f.exceptions.to_string(),
                    if f.incidents == 0 {
                        String::new()
                    } else {
                        f.incidents.to_string()
                    },
                ]
            })
            .collect(),
        postmortem_rows: postmortems::by_incident(e),
        postmortem_rows_total: e.postmortems.rows.len(),
        judged: e
            .metrics
            .summary
            .iter()
            .map(|r| (r.severity.clone(), r.ack_judged(), r.resolve_judged()))
            .collect(),
    }
}

pub(crate) fn count_pct(n: usize, of: usize) -> String {
    if of == 0 {
        n.to_string()
    } else {
        format!("{n} ({:.1} %)", 100.0 * n as f64 / of as f64)
    }
}
