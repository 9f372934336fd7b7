/*!
Customer-facing notices against internal detection: each status-page incident of the period
is matched to the PagerDuty incident that first detected it, and the lead time (public
notice minus PagerDuty's `created_at`) says whether the organisation found out before its
customers were told. Pure: ingested incidents, the register and the policy in; rows,
exceptions and reconciliation out. Definitions: `docs/statuspage.md`.
*/

use chrono::{DateTime, Utc};

use crate::ingest::Ingested;
use crate::metrics::Metrics;
use crate::metrics::results::{Area, ResultRow, Verdict};
use crate::model::StatusIncident;
use crate::model::text::{fmt_pct, format_duration};
use crate::model::time::local_date;
use crate::model::{Exception, ExceptionKind, FileRows, Format};
use crate::policy::Policy;

/// How a match was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MatchedBy {
    /// Time window and a service of an affected component.
    Component,
    /// Time window only (no incident of the window is on a service of an affected
    /// component, or the notice names none): to be reviewed.
    Time,
}

impl MatchedBy {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Component => "component",
            Self::Time => "time",
        }
    }
}

/// One status-page incident of the period and its PagerDuty match.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MatchRow {
    /// Index into `Ingested::status_incidents`.
    pub status: usize,
    /// Index into `Ingested::incidents`, and how it matched.
    pub incident: Option<(usize, MatchedBy)>,
    /// Notice minus PagerDuty creation, seconds; positive = detected internally first.
    pub lead_s: Option<i64>,
}

impl MatchRow {
    pub(crate) fn detected_first(&self) -> Option<bool> {
        self.lead_s.map(|s| s > 0)
    }
}

/// The matching of the period's status-page incidents.
#[derive(Debug, Clone, Default)]
pub(crate) struct StatusEvidence {
    /// Whether any Statuspage export was read.
    pub supplied: bool,
    /// In notice order.
    pub rows: Vec<MatchRow>,
    pub exceptions: Vec<Exception>,
    /// (file index, rows used, rows outside the period) per Statuspage file.
    pub file_counts: Vec<FileRows>,
}

impl StatusEvidence {
    /// The result: the share of status-page incidents detected internally first against
    /// `detected_first_pct`. None without a status-page export or incident.
    pub(crate) fn results(&self, policy: &Policy) -> Vec<ResultRow> {
        let (_, first, total) = self.counts();
        if !self.supplied || total == 0 {
            return Vec::new();
        }
        let pct = 100.0 * first as f64 / total as f64;
        let goal = policy.statuspage.detected_first_pct;
        vec![ResultRow {
            area: Area::Statuspage,
            subject: crate::metrics::ALL.to_string(),
            measure: "detected_first_pct",
            value: fmt_pct(Some(pct)),
            target: fmt_pct(Some(goal)),
            verdict: Verdict::from_bool(pct >= goal),
            text: format!(
                "Status-page incidents detected internally first: {first} of {total} ({pct:.1} %)"
            ),
            target_text: format!(">= {goal:.1} %"),
        }]
    }

    /// (matched, detected internally first, status-page incidents of the period).
    pub(crate) fn counts(&self) -> (usize, usize, usize) {
        (
            self.rows.iter().filter(|r| r.incident.is_some()).count(),
            self.rows
                .iter()
                .filter(|r| r.detected_first() == Some(true))
                .count(),
            self.rows.len(),
        )
    }

    /// The median lead time of the matched incidents, seconds.
    pub(crate) fn median_lead_s(&self) -> Option<f64> {
        let mut leads: Vec<i64> = self.rows.iter().filter_map(|r| r.lead_s).collect();
        leads.sort_unstable();
        let n = leads.len();
        match n {
            0 => None,
            _ if n % 2 == 1 => Some(leads[n / 2] as f64),
            _ => Some((leads[n / 2 - 1] + leads[n / 2]) as f64 / 2.0),
        }
    }
}

/// Lower case letters and digits only: "Checkout API" and `checkout-api` are the same name.
fn key(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether `service` is one of the status incident's components (by the policy's mapping, or
/// by name).
fn serves(s: &StatusIncident, service: Option<&str>, policy: &Policy) -> bool {
    let Some(service) = service else { return false };
    let service_key = key(service);
    s.components
        .iter()
        .any(|c| match policy.statuspage.components.get(c) {
            Some(mapped) => mapped.iter().any(|m| key(m) == service_key),
            None => !service_key.is_empty() && key(c) == service_key,
        })
}

/// The related incident among `candidates`: the highest severity (policy order, unclassified
/// last), then the one created nearest the impact start, then the earlier one.
fn best<'a>(
    candidates: &[&'a (usize, DateTime<Utc>, &'a str)],
    started: DateTime<Utc>,
    policy: &Policy,
) -> Option<&'a (usize, DateTime<Utc>, &'a str)> {
    let rank = |severity: &str| {
        policy
            .severities
            .iter()
            .position(|s| s.name == severity)
            .unwrap_or(policy.severities.len())
    };
    candidates
        .iter()
        .copied()
        .min_by_key(|(i, created, severity)| {
            (
                rank(severity),
                (*created - started).num_milliseconds().unsigned_abs(),
                *created,
                *i,
            )
        })
}

/// Matches every status-page incident whose notice falls in the period.
pub(crate) fn assess(ingested: &Ingested, metrics: &Metrics, policy: &Policy) -> StatusEvidence {
    let mut out = StatusEvidence {
        supplied: ingested
            .files
            .iter()
            .any(|f| f.format == Some(Format::StatuspageIncidents)),
        ..StatusEvidence::default()
    };
    let zone = policy.timezone;
    let in_period = |s: &StatusIncident| {
        let date = local_date(s.notice, zone);
        date >= metrics.period.from && date <= metrics.period.to
    };
    out.file_counts = ingested.counts_by_file(
        Format::StatuspageIncidents,
        ingested
            .status_incidents
            .iter()
            .map(|s| (s.source.file, in_period(s))),
    );
    if ingested.status_incidents.is_empty() {
        return out;
    }
    let window = chrono::Duration::seconds(policy.statuspage.match_window_s);
    // The register is in creation order.
    let candidates: Vec<(usize, DateTime<Utc>, &str)> = metrics
        .register
        .iter()
        .map(|r| {
            (
                r.incident,
                ingested.incidents[r.incident].created,
                r.severity.as_str(),
            )
        })
        .collect();
    let mut order: Vec<usize> = (0..ingested.status_incidents.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&ingested.status_incidents[a], &ingested.status_incidents[b]);
        (a.notice, &a.id).cmp(&(b.notice, &b.id))
    });
    for n in order {
        let s = &ingested.status_incidents[n];
        if !in_period(s) {
            continue;
        }
        let (from, to) = (s.started - window, s.notice + window);
        // The register is sorted by creation time: start at the window's first incident.
        let first = candidates.partition_point(|(_, t, _)| *t < from);
        let in_window: Vec<&(usize, DateTime<Utc>, &str)> = candidates[first..]
            .iter()
            .take_while(|(_, t, _)| *t <= to)
            .collect();
        let on_component: Vec<&(usize, DateTime<Utc>, &str)> = in_window
            .iter()
            .copied()
            .filter(|(i, _, _)| serves(s, ingested.incidents[*i].service.as_deref(), policy))
            .collect();
        let found = match best(&on_component, s.started, policy) {
            Some(c) => Some((c, MatchedBy::Component)),
            None => best(&in_window, s.started, policy).map(|c| (c, MatchedBy::Time)),
        };
        let severity = found.map(|((_, _, sev), _)| sev.to_string());
        let matched = found.map(|((i, _, _), by)| (*i, by));
        let lead_s = matched.map(|(i, _)| (s.notice - ingested.incidents[i].created).num_seconds());
        let label = format!("status-page incident `{}` ({})", s.id, s.name);
        match (matched, lead_s) {
            (None, _) => out.exceptions.push(Exception {
                incident_number: None,
                incident_id: None,
                severity: None,
                kind: ExceptionKind::StatuspageUnmatched,
                detail: format!(
                    "{label}, published {}, has no PagerDuty incident{} created from {} before its start to {} after the notice: customers may have been told of an incident nobody was paged for",
                    crate::model::text::rfc3339(s.notice),
                    if s.components.is_empty() {
                        String::new()
                    } else {
                        format!(" on a service of {}", s.components.join(", "))
                    },
                    format_duration(policy.statuspage.match_window_s),
                    format_duration(policy.statuspage.match_window_s),
                ),
                facts: None,
                cause: None,
            }),
            (Some((i, _)), Some(lead)) if lead <= 0 => {
                let incident = &ingested.incidents[i];
                out.exceptions.push(Exception {
                    incident_number: incident.number,
                    incident_id: Some(incident.id.clone()),
                    severity,
                    kind: ExceptionKind::DetectedAfterNotice,
                    detail: if lead == 0 {
                        format!("{label} was published in the same second PagerDuty created the incident: not detected internally first")
                    } else {
                        format!(
                            "{label} was published {} before PagerDuty created the incident ({} s): customers knew first",
                            format_duration(-lead),
                            -lead
                        )
                    },
                    facts: None,
                    cause: None,
                });
            }
            _ => {}
        }
        out.rows.push(MatchRow {
            status: n,
            incident: matched,
            lead_s,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_ignoring_case_and_punctuation() {
        assert_eq!(key("Checkout API"), key("checkout-api"));
        assert_ne!(key("Checkout"), key("checkout-api"));
    }
}
