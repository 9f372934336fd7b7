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
        resolve_target_pct: format!("{} %", trim_number(policy.resolve_within_sla_pct)),
        ack_target: policy.ack_within_sla_pct,
        resolve_target: policy.resolve_within_sla_pct,
    }
}
