//! One export record (a CSV row or a JSON item, as text fields) → an `Incident`, or the
//! reason it cannot be used. Shared by every export format.

use chrono_tz::Tz;

use super::timestamp::{parse_seconds, parse_timestamp};
use crate::model::text::fmt_seconds;
use crate::model::{Exception, ExceptionKind, Incident, RejectedRow, Responders, SourceRef};

/// The fields auditpack reads, under their Analytics (snake_case) names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Field {
    Id,
    IncidentNumber,
    Description,
    Status,
    Urgency,
    PriorityName,
    ServiceName,
    TeamName,
    EscalationPolicyName,
    CreatedAt,
    ResolvedAt,
    SecondsToFirstAck,
    SecondsToResolve,
    EscalationCount,
    TimeoutEscalationCount,
    AssignedTo,
    AcknowledgedBy,
    ResolvedBy,
    HtmlUrl,
}

impl Field {
    /// Every field, in a fixed order.
    pub(crate) const ALL: [Field; 19] = [
        Field::Id,
        Field::IncidentNumber,
        Field::Description,
        Field::Status,
        Field::Urgency,
        Field::PriorityName,
        Field::ServiceName,
        Field::TeamName,
        Field::EscalationPolicyName,
        Field::CreatedAt,
        Field::ResolvedAt,
        Field::SecondsToFirstAck,
        Field::SecondsToResolve,
        Field::EscalationCount,
        Field::TimeoutEscalationCount,
        Field::AssignedTo,
        Field::AcknowledgedBy,
        Field::ResolvedBy,
        Field::HtmlUrl,
    ];

    /// The fields that name who was assigned and who acknowledged (lists in JSON): a record
    /// that has either names its responders, and an empty one names nobody.
    pub(crate) const RESPONDERS: [Field; 2] = [Field::AssignedTo, Field::AcknowledgedBy];

    /// The Analytics API name of the field.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::IncidentNumber => "incident_number",
            Field::Description => "description",
            Field::Status => "status",
            Field::Urgency => "urgency",
            Field::PriorityName => "priority_name",
            Field::ServiceName => "service_name",
            Field::TeamName => "team_name",
            Field::EscalationPolicyName => "escalation_policy_name",
            Field::CreatedAt => "created_at",
            Field::ResolvedAt => "resolved_at",
            Field::SecondsToFirstAck => "seconds_to_first_ack",
            Field::SecondsToResolve => "seconds_to_resolve",
            Field::EscalationCount => "escalation_count",
            Field::TimeoutEscalationCount => "timeout_escalation_count",
            Field::AssignedTo => "assigned_user_names",
            Field::AcknowledgedBy => "acknowledged_user_names",
            Field::ResolvedBy => "resolved_by_user_name",
            Field::HtmlUrl => "html_url",
        }
    }
}

/// How a format's records are read.
pub(crate) struct RecordRules {
    /// Zone for timestamps without an offset.
    pub zone: Tz,
    /// The classic CSV writes 0 (or nothing) for "never acknowledged".
    pub zero_ack_means_none: bool,
    /// The column names as this file spells them, for messages.
    pub column_name: fn(Field) -> &'static str,
    /// Whether the descriptive text is kept.
    pub detail: Detail,
}

/// Largest tolerated gap between `resolved_at - created_at` and `seconds_to_resolve`.
const RESOLVE_TOLERANCE_S: f64 = 60.0;

/// The longest field kept (bytes). PagerDuty titles stop at 1,024 characters; a longer
/// field is a damaged or hostile row, and would swell every output.
pub(crate) const MAX_FIELD_BYTES: usize = 65_536;

/// The largest incident number taken (PagerDuty's and Opsgenie's run far below it); a
/// larger or negative one is a damaged row, and would overflow the numbering arithmetic.
pub(crate) const MAX_NUMBER: i64 = 999_999_999_999;

/// Builds an incident from a record's fields. `get` returns the trimmed text of a field,
/// `None` when the column is absent or the cell is empty (or null).
pub(crate) fn build_incident<'a>(
    get: impl Fn(Field) -> Option<&'a str>,
    source: SourceRef,
    rules: &RecordRules,
) -> Result<(Incident, Option<Exception>), String> {
    let col = rules.column_name;
    for f in Field::ALL {
        if let Some(v) = get(f)
            && v.len() > MAX_FIELD_BYTES
        {
            return Err(format!(
                "column `{}` holds {} bytes; at most {MAX_FIELD_BYTES} expected",
                col(f),
                v.len()
            ));
        }
    }
    let text = |f: Field| get(f).map(str::to_string);
    // Descriptive text, when kept.
    let kept = Detail::Full == rules.detail;
    let descriptive = |f: Field| if kept { text(f) } else { None };
    let Some(id) = text(Field::Id) else {
        return Err(format!(
            "no incident id (column `{}` is empty)",
            col(Field::Id)
        ));
    };
    let number = match get(Field::IncidentNumber) {
        None => None,
        Some(n) => Some(
            parse_whole(n)
                .filter(|n| (0..=MAX_NUMBER).contains(n))
                .ok_or_else(|| {
                    format!(
                        "column `{}`: `{n}` is not a whole number from 0 to {MAX_NUMBER}",
                        col(Field::IncidentNumber)
                    )
                })?,
        ),
    };
    let created = match get(Field::CreatedAt) {
        None => {
            return Err(format!(
                "no creation time (column `{}` is empty)",
                col(Field::CreatedAt)
            ));
        }
        Some(t) => parse_timestamp(t, rules.zone)
            .map_err(|e| format!("column `{}`: {e}", col(Field::CreatedAt)))?,
    };
    let seconds = |f: Field| -> Result<Option<f64>, String> {
        get(f)
            .map(|t| parse_seconds(t).map_err(|e| format!("column `{}`: {e}", col(f))))
            .transpose()
    };
    let mut tta_s = seconds(Field::SecondsToFirstAck)?;
    if rules.zero_ack_means_none && tta_s == Some(0.0) {
        tta_s = None;
    }
    let stated_ttr = seconds(Field::SecondsToResolve)?;
    let resolved_at = get(Field::ResolvedAt)
        .map(|t| {
            parse_timestamp(t, rules.zone)
                .map_err(|e| format!("column `{}`: {e}", col(Field::ResolvedAt)))
        })
        .transpose()?;
    let measured_ttr = resolved_at.map(|r| (r - created).num_milliseconds() as f64 / 1000.0);
    if let Some(m) = measured_ttr.filter(|m| *m < 0.0) {
        return Err(format!(
            "resolved before created (`{}` is {} s before `{}`)",
            col(Field::ResolvedAt),
            -m,
            col(Field::CreatedAt)
        ));
    }
    let mut exception = None;
    let ttr_s = match (stated_ttr, measured_ttr) {
        (Some(stated), Some(measured)) => {
            if (stated - measured).abs() > RESOLVE_TOLERANCE_S {
                exception = Some(Exception {
                    incident_number: number,
                    incident_id: Some(id.clone()),
                    severity: None,
                    kind: ExceptionKind::InconsistentTimestamps,
                    detail: format!(
                        "`{}` - `{}` is {} s but `{}` is {} s; PagerDuty's {} s is used",
                        col(Field::ResolvedAt),
                        col(Field::CreatedAt),
                        fmt_seconds(measured),
                        col(Field::SecondsToResolve),
                        fmt_seconds(stated),
                        fmt_seconds(stated)
                    ),
                    facts: None,
                    cause: None,
                });
            }
            Some(stated)
        }
        (stated, measured) => stated.or(measured),
    };
    let count = |f: Field| get(f).and_then(parse_whole);
    Ok((
        Incident {
            id,
            number,
            description: descriptive(Field::Description),
            status: get(Field::Status)
                .filter(|_| kept)
                .map(str::to_ascii_lowercase),
            urgency: get(Field::Urgency).map(str::to_ascii_lowercase),
            priority: text(Field::PriorityName),
            service: descriptive(Field::ServiceName),
            team: descriptive(Field::TeamName),
            escalation_policy: descriptive(Field::EscalationPolicyName),
            created,
            tta_s,
            ttr_s,
            escalation_count: count(Field::EscalationCount),
            timeout_escalation_count: count(Field::TimeoutEscalationCount),
            responders: Responders {
                assigned_to: descriptive(Field::AssignedTo),
                acknowledged_by: descriptive(Field::AcknowledgedBy),
                resolved_by: descriptive(Field::ResolvedBy),
                url: descriptive(Field::HtmlUrl),
                named: false,
            },
            merged_into: None,
            system: crate::model::System::Pagerduty,
            source,
        },
        exception,
    ))
}

/// Whole numbers as exports write them: `928`, and `928.0` from spreadsheets.
/// A rejected incident row with what it still says of itself, as far as it can be read: its
/// id, number, priority, urgency and creation time (`zone` reads a naive time).
pub(crate) fn with_facts<'a>(
    row: RejectedRow,
    get: impl Fn(Field) -> Option<&'a str>,
    zone: Tz,
) -> RejectedRow {
    let text = |f| get(f).map(str::trim).filter(|s| !s.is_empty());
    RejectedRow {
        incident_number: text(Field::IncidentNumber).and_then(parse_whole),
        incident_id: text(Field::Id).map(str::to_string),
        priority: text(Field::PriorityName).map(str::to_string),
        urgency: text(Field::Urgency).map(str::to_ascii_lowercase),
        created: text(Field::CreatedAt)
            .and_then(|t| super::timestamp::parse_timestamp(t, zone).ok()),
        ..row
    }
}

pub(crate) fn parse_whole(text: &str) -> Option<i64> {
    let text = text.trim();
    text.parse::<i64>().ok().or_else(|| {
        let f = text.parse::<f64>().ok()?;
        (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
    })
}

/// How much of each incident record is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    /// Everything: the evidence (register, exceptions, timelines, hashes) uses it all.
    Full,
    /// What the SLA tables use: id, number, priority, urgency and times. The descriptive
    /// text (title, status, service, team, escalation policy) is checked like the rest of
    /// the record but not kept, and no file is hashed: `stats` prints only the tables.
    Summary,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn rules() -> RecordRules {
        RecordRules {
            zone: Tz::UTC,
            zero_ack_means_none: false,
            column_name: Field::name,
            detail: crate::ingest::Detail::Full,
        }
    }

    fn build(pairs: &[(Field, &str)]) -> Result<(Incident, Option<Exception>), String> {
        let map: BTreeMap<Field, &str> = pairs.iter().copied().collect();
        build_incident(
            |f| map.get(&f).copied(),
            SourceRef {
                file: 0,
                line: 2,
                start: 0,
                end: 0,
            },
            &rules(),
        )
    }

    const SOURCE: SourceRef = SourceRef {
        file: 0,
        line: 2,
        start: 0,
        end: 0,
    };

    const BASE: &[(Field, &str)] = &[
        (Field::Id, "PABC123"),
        (Field::IncidentNumber, "7"),
        (Field::CreatedAt, "2026-01-05T10:00:00Z"),
        (Field::SecondsToFirstAck, "120"),
    ];

    #[test]
    fn resolve_time_from_timestamps_when_no_seconds() {
        let mut p = BASE.to_vec();
        p.push((Field::ResolvedAt, "2026-01-05T11:00:00Z"));
        let (i, e) = build(&p).unwrap();
        assert_eq!(i.ttr_s, Some(3600.0));
        assert_eq!(i.tta_s, Some(120.0));
        assert!(e.is_none());
    }

    #[test]
    fn stated_seconds_win_and_disagreement_is_flagged() {
        let mut p = BASE.to_vec();
        p.push((Field::ResolvedAt, "2026-01-05T11:00:00Z"));
        p.push((Field::SecondsToResolve, "3661"));
        let (i, e) = build(&p).unwrap();
        assert_eq!(i.ttr_s, Some(3661.0));
        let e = e.unwrap();
        assert_eq!(e.kind, ExceptionKind::InconsistentTimestamps);
        assert!(e.detail.contains("3600 s") && e.detail.contains("3661 s"));
        // within 60 s: no exception
        let mut p = BASE.to_vec();
        p.push((Field::ResolvedAt, "2026-01-05T11:00:00Z"));
        p.push((Field::SecondsToResolve, "3660"));
        assert!(build(&p).unwrap().1.is_none());
    }

    #[test]
    fn the_summary_detail_keeps_no_descriptive_text_but_checks_it() {
        let mut p = BASE.to_vec();
        p.extend([
            (Field::Description, "Disk full"),
            (Field::Status, "Resolved"),
            (Field::PriorityName, "P1"),
            (Field::Urgency, "High"),
            (Field::ServiceName, "api"),
            (Field::TeamName, "SRE"),
            (Field::EscalationPolicyName, "Tier 1"),
        ]);
        let map: BTreeMap<Field, &str> = p.iter().copied().collect();
        let summary = RecordRules {
            detail: crate::ingest::Detail::Summary,
            ..rules()
        };
        let get = |f| map.get(&f).copied();
        let (full, _) = build_incident(get, SOURCE, &rules()).unwrap();
        let (lean, _) = build_incident(get, SOURCE, &summary).unwrap();
        assert_eq!(full.description.as_deref(), Some("Disk full"));
        assert_eq!(full.status.as_deref(), Some("resolved"));
        assert_eq!(
            (&lean.description, &lean.status, &lean.service, &lean.team),
            (&None, &None, &None, &None)
        );
        assert_eq!(lean.escalation_policy, None);
        // What the tables use is the same.
        assert_eq!(
            (&lean.id, lean.number, &lean.priority, &lean.urgency),
            (&full.id, full.number, &full.priority, &full.urgency)
        );
        assert_eq!((lean.created, lean.tta_s), (full.created, full.tta_s));
        // Text that is not kept is still checked.
        let long = "x".repeat(MAX_FIELD_BYTES + 1);
        let mut map = map.clone();
        map.insert(Field::TeamName, long.as_str());
        let err = build_incident(|f| map.get(&f).copied(), SOURCE, &summary);
        assert!(err.unwrap_err().starts_with("column `team_name` holds"));
    }

    #[test]
    fn reasons() {
        let err = |extra: &[(Field, &str)], drop: Field| {
            let mut p: Vec<_> = BASE.iter().copied().filter(|(f, _)| *f != drop).collect();
            p.extend_from_slice(extra);
            build(&p).unwrap_err()
        };
        assert_eq!(err(&[], Field::Id), "no incident id (column `id` is empty)");
        assert!(
            err(
                &[(Field::ResolvedAt, "2026-01-05T09:00:00Z")],
                Field::Description
            )
            .starts_with("resolved before created")
        );
        assert!(
            err(&[(Field::SecondsToResolve, "-5")], Field::Description)
                .contains("negative duration")
        );
        assert!(
            err(&[(Field::SecondsToResolve, "soon")], Field::Description).contains("not a number")
        );
        assert!(err(&[], Field::CreatedAt).starts_with("no creation time"));
        assert!(
            err(&[(Field::IncidentNumber, "x")], Field::IncidentNumber)
                .contains("not a whole number")
        );
    }
}
