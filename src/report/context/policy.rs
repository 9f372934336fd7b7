//! The policy in force: the severity matrix, business hours, escalation levels, pass lines.

use serde::Serialize;

use super::target_words;
use crate::metrics::results::trim_number;
use crate::model::text::format_duration;
use crate::policy::Policy;

#[derive(Debug, Serialize)]
pub(crate) struct PolicyView {
    pub severities: Vec<Vec<String>>,
    pub business_days: String,
    pub business_hours: String,
    pub holidays: String,
    pub escalation_levels: String,
    pub ack_target_pct: String,
    pub resolved_without_ack: String,
    /// `[security]` as a sentence.
    pub security: String,
    /// Each `[[exclusion]]`: `exclusion 1: <reason> (<conditions>)`.
    pub exclusions: Vec<String>,
    pub resolve_target_pct: String,
    pub ack_target: f64,
    pub resolve_target: f64,
}

/// The policy in force, as the report shows it.
pub(super) fn view(policy: &Policy) -> PolicyView {
    let day_names: Vec<String> = policy
        .business_hours
        .days
        .iter()
        .map(|d| d.to_string())
        .collect();
    PolicyView {
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
        resolved_without_ack: match policy.resolved_without_ack {
            crate::policy::ResolvedWithoutAck::Breach => {
                "misses the acknowledgement target (resolved_without_ack = \"breach\")"
            }
            crate::policy::ResolvedWithoutAck::Exclude => {
                "left out of the acknowledgement figure and listed (resolved_without_ack = \"exclude\")"
            }
        }
        .to_string(),
        security: security_text(&policy.security),
        exclusions: policy
            .exclusions
            .iter()
            .enumerate()
            .map(|(n, e)| format!("exclusion {}: {} ({})", n + 1, e.reason, conditions(e)))
            .collect(),
        resolve_target_pct: format!("{} %", trim_number(policy.resolve_within_sla_pct)),
        ack_target: policy.ack_within_sla_pct,
        resolve_target: policy.resolve_within_sla_pct,
    }
}

/// `[security]` in words.
fn security_text(s: &crate::policy::SecurityRules) -> String {
    let quoted = |v: &[String]| {
        v.iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (s.matches.is_empty(), s.services.is_empty()) {
        (true, true) => "none (no incident is singled out as a security event)".to_string(),
        (false, true) => format!("description or service contains {}", quoted(&s.matches)),
        (true, false) => format!("service is {}", quoted(&s.services)),
        (false, false) => format!(
            "description or service contains {}, or the service is {}",
            quoted(&s.matches),
            quoted(&s.services)
        ),
    }
}

/// An exclusion's conditions in words (terms as compared, lower-cased).
fn conditions(e: &crate::policy::Exclusion) -> String {
    let mut parts = Vec::new();
    if !e.services.is_empty() {
        parts.push(format!("service {}", e.services.join(" or ")));
    }
    if !e.matches.is_empty() {
        parts.push(format!("description contains {}", e.matches.join(" or ")));
    }
    if let Some(f) = e.from {
        parts.push(format!("created from {}", crate::model::text::rfc3339(f)));
    }
    if let Some(t) = e.to {
        parts.push(format!("created before {}", crate::model::text::rfc3339(t)));
    }
    parts.join(", ")
}
