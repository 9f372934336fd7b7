//! Synthetic Opsgenie Alert API pages (`GET /v2/alerts`, 100 alerts a page, oldest first), as
//! `curl` saves them: each alert with its `tinyId` (the incident's number), a UUID `id`,
//! `report.ackTime` / `report.closeTime` in milliseconds from creation (absent when it never
//! happened) and `paging` links whose `query` names the creation range.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{ENGINEERS, SERVICES, SynthIncident};

/// Alerts per page: the API's largest page.
pub(crate) const PAGE_SIZE: usize = 100;

/// An Opsgenie-looking alert id for an incident: a UUID from the hash of its PagerDuty-like
/// id, then `-` and its creation in milliseconds (as the ids in Opsgenie's links are).
pub(crate) fn alert_id(i: &SynthIncident) -> String {
    let h = Sha256::digest(i.id.as_bytes());
    let hex: String = h.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-4{}-8{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32],
        i.created.timestamp_millis()
    )
}

/// A person's Opsgenie user name (their e-mail address).
fn user(name: &str) -> String {
    format!(
        "{}@example.com",
        name.to_ascii_lowercase().replace(' ', ".")
    )
}

/// The milliseconds past the whole second an event happened at: fixed by the number, so
/// the random sequence of the generator is untouched.
fn millis(number: i64, salt: i64) -> i64 {
    (number * 7919 + salt * 104_729).rem_euclid(1000)
}

fn alert(i: &SynthIncident) -> Value {
    let (_, service, _) = SERVICES[i.service];
    let responder = user(ENGINEERS[i.responder].1);
    // Opsgenie always has a priority (P3 by default); an incident without one is P3 when
    // high-urgency and P5 (informational) when low.
    let priority = i.priority.clone().unwrap_or_else(|| {
        if i.urgency == "high" {
            "P3".to_string()
        } else {
            "P5".to_string()
        }
    });
    let ack_ms = i.tta_s.map(|s| s * 1000 + millis(i.number, 1));
    let close_ms = i
        .ttr_s
        .map(|s| (s * 1000 + millis(i.number, 2)).max(ack_ms.unwrap_or(0)));
    let mut report = serde_json::Map::new();
    if let Some(ms) = ack_ms {
        report.insert("ackTime".into(), json!(ms));
        report.insert("acknowledgedBy".into(), json!(responder));
    }
    if let Some(ms) = close_ms {
        report.insert("closeTime".into(), json!(ms));
        report.insert(
            "closedBy".into(),
            json!(if ack_ms.is_some() {
                responder.as_str()
            } else {
                // Closed by the monitor's own recovery before anyone acknowledged.
                "System"
            }),
        );
    }
    let at = |ms: i64| i.created + chrono::Duration::milliseconds(ms);
    let updated = close_ms.or(ack_ms).map_or(i.created, at);
    let created_text = match &i.broken {
        Some(("created_at", text)) => text.clone(),
        _ => rfc3339_ms(i.created),
    };
    let priority = match &i.broken {
        Some(("priority_name", text)) => text.clone(),
        _ => priority,
    };
    // One alert in 97 was acknowledged, then unacknowledged: `acknowledged` is false but
    // `report.ackTime` keeps the first acknowledgement.
    let acknowledged = ack_ms.is_some() && i.number % 97 != 0;
    let message: String = i
        .description
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(130)
        .collect();
    // The generator's broken rows, as an Opsgenie export would carry them.
    match &i.broken {
        Some(("seconds_to_resolve", text)) => {
            let s: i64 = text.parse().unwrap_or(-1);
            report.insert("closeTime".into(), json!(s * 1000));
        }
        Some(("seconds_to_first_ack", text)) => {
            report.insert("ackTime".into(), json!(text));
        }
        _ => {}
    }
    let id = match &i.broken {
        Some(("id", text)) => text.clone(),
        _ => alert_id(i),
    };
    json!({
        "id": id,
        "tinyId": i.number.to_string(),
        "alias": format!("{service}-{}", i.number),
        "message": message,
        "status": if close_ms.is_some() { "closed" } else { "open" },
        "acknowledged": acknowledged,
        "isSeen": ack_ms.is_some(),
        "tags": [service],
        "snoozed": false,
        "count": 1,
        "lastOccurredAt": rfc3339_ms(i.created),
        "createdAt": created_text,
        "updatedAt": rfc3339_ms(updated),
        "source": "Datadog",
        "owner": if ack_ms.is_some() { responder.clone() } else { String::new() },
        "priority": priority,
        "responders": [{"type": "team", "id": "8418d193-2dab-4490-b331-8c02cdd196b7"}],
        "integration": {"id": "4513b7ea-3b91-438f-b7e4-e3e54af9147c", "name": service, "type": "Datadog"},
        "report": report,
    })
}

fn rfc3339_ms(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `GET /v2/alerts` pages of `incidents` on the US host, created from `from` up to `to`.
pub(crate) fn pages(
    incidents: &[SynthIncident],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Vec<u8>> {
    let query = format!(
        "createdAt%3E%3D{}%20AND%20createdAt%3C{}",
        from.timestamp_millis(),
        to.timestamp_millis()
    );
    let link = |offset: usize| {
        format!(
            "https://api.opsgenie.com/v2/alerts?query={query}&offset={offset}&limit={PAGE_SIZE}&sort=createdAt&order=asc"
        )
    };
    let chunks: Vec<&[SynthIncident]> = incidents.chunks(PAGE_SIZE).collect();
    let last = chunks.len().saturating_sub(1) * PAGE_SIZE;
    let chunks = if chunks.is_empty() {
        vec![&[][..]]
    } else {
        chunks
    };
    let count = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(n, chunk)| {
            let mut paging = serde_json::Map::new();
            if n + 1 < count {
                paging.insert("next".into(), json!(link((n + 1) * PAGE_SIZE)));
            }
            paging.insert("first".into(), json!(link(0)));
            paging.insert("last".into(), json!(link(last)));
            let page = json!({
                "data": chunk.iter().map(alert).collect::<Vec<_>>(),
                "paging": paging,
                "took": 0.042,
                "requestId": format!("9ae63dd7-ed00-4c81-86f0-{:012x}", n + 1),
            });
            let mut text = serde_json::to_string_pretty(&page).unwrap_or_default();
            text.push('\n');
            text.into_bytes()
        })
        .collect()
}
