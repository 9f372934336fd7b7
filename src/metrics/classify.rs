//! The severity matrix applied to one incident: by its priority name, else (without a
//! priority) by its urgency; or why no severity matches. Pure, no polars.

use crate::model::{Incident, System};
use crate::policy::Policy;

/// How an incident got (or did not get) its severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Classification {
    /// Index into `policy.severities`.
    Severity(usize),
    /// No severity matches; the text says why.
    Unclassified(String),
}

/// The severity of an incident: by priority name, else by urgency when it has no priority.
pub(crate) fn classify(incident: &Incident, policy: &Policy) -> Classification {
    classify_by(
        incident.priority.as_deref(),
        incident.urgency.as_deref(),
        incident.system,
        policy,
    )
}

/// Whether a severity's `match` entry takes priority `p` of `system`: a bare name (`P1`)
/// takes that priority of either system, `opsgenie:P1` only Opsgenie's and `pagerduty:P1`
/// only PagerDuty's (prefixes in any case).
pub(crate) fn match_takes(entry: &str, p: &str, system: System) -> bool {
    let entry = entry.trim();
    for s in System::ALL {
        let prefix = s.name();
        if let (Some(head), Some(b':'), Some(rest)) = (
            entry.get(..prefix.len()),
            entry.as_bytes().get(prefix.len()),
            entry.get(prefix.len() + 1..),
        ) && head.eq_ignore_ascii_case(prefix)
        {
            return s == system && rest.trim().eq_ignore_ascii_case(p);
        }
    }
    entry.eq_ignore_ascii_case(p)
}

/// The severity of a priority name of `system`, else (without one) of an urgency.
pub(crate) fn classify_by(
    priority: Option<&str>,
    urgency: Option<&str>,
    system: System,
    policy: &Policy,
) -> Classification {
    match priority {
        Some(priority) => {
            let p = priority.trim();
            policy
                .severities
                .iter()
                .position(|s| s.matches.iter().any(|m| match_takes(m, p, system)))
                .map_or_else(
                    || {
                        Classification::Unclassified(format!(
                            "priority `{p}` matches no severity of the policy"
                        ))
                    },
                    Classification::Severity,
                )
        }
        None => policy
            .severities
            .iter()
            .position(|s| s.urgency.is_some() && s.urgency.as_deref() == urgency)
            .map_or_else(
                || {
                    Classification::Unclassified(match urgency {
                        Some(u) => format!(
                            "no priority, and no severity of the policy takes urgency `{u}`"
                        ),
                        None => "no priority and no urgency".to_string(),
                    })
                },
                Classification::Severity,
            ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use std::path::Path;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn incident(priority: Option<&str>, urgency: Option<&str>) -> Incident {
        Incident {
            number: Some(1),
            urgency: urgency.map(Into::into),
            priority: priority.map(Into::into),
            ..Incident::bare("P", utc("2026-01-05T10:00:00Z"))
        }
    }

    #[test]
    fn a_match_prefix_names_the_system() {
        // Bare: either system; a prefix: that system only, in any case; a name with some
        // other colon is a bare name.
        assert!(match_takes("P1", "p1", System::Opsgenie));
        assert!(match_takes("P1", "P1", System::Pagerduty));
        assert!(match_takes("opsgenie:P1", "P1", System::Opsgenie));
        assert!(!match_takes("opsgenie:P1", "P1", System::Pagerduty));
        assert!(match_takes("PagerDuty: P1", "P1", System::Pagerduty));
        assert!(!match_takes("pagerduty:P1", "P1", System::Opsgenie));
        assert!(match_takes("SEV:1", "sev:1", System::Opsgenie));
        assert!(!match_takes("pagerdut€:P1", "P1", System::Pagerduty));
    }

    #[test]
    fn severity_by_priority_then_urgency() {
        let p = Policy::parse(
            Path::new("p.toml"),
            "[[severity]]\nname = \"Critical\"\nmatch = [\"P1\", \"SEV-1\"]\n\
             [[severity]]\nname = \"Low\"\nmatch = [\"P4\"]\nurgency = \"low\"\n",
        )
        .unwrap();
        assert_eq!(
            classify(&incident(Some("sev-1"), None), &p),
            Classification::Severity(0)
        );
        assert_eq!(
            classify(&incident(None, Some("low")), &p),
            Classification::Severity(1)
        );
        // A priority that the policy does not know is never classified by urgency.
        assert!(matches!(
            classify(&incident(Some("P9"), Some("low")), &p),
            Classification::Unclassified(r) if r.contains("`P9`")
        ));
        assert!(matches!(
            classify(&incident(None, Some("high")), &p),
            Classification::Unclassified(r) if r.contains("urgency `high`")
        ));
        // The default policy classifies nothing by urgency.
        assert!(matches!(
            classify(&incident(None, Some("high")), &Policy::default_policy()),
            Classification::Unclassified(_)
        ));
    }
}
