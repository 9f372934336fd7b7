//! A Statuspage incidents export (`/api/v2/incidents.json`) for the generated P1
//! incidents: each published 5 to 24 minutes after PagerDuty created it, except one in eight
//! that customers reported first (published 3 to 14 minutes before); one customer-facing
//! incident that nobody was paged for; one scheduled maintenance (not an incident). Decided
//! by incident number, so the random stream of the incidents is unchanged.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::{SERVICES, SynthIncident};

fn z(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// `checkout-api` → `Checkout API`: the status page names components for customers.
fn component(service: &str) -> String {
    service
        .split('-')
        .map(|w| match w {
            "api" => "API".to_string(),
            _ => {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn update(id: &str, status: &str, body: &str, at: DateTime<Utc>, comp: &str, new: &str) -> Value {
    json!({
        "id": format!("{id}{}", &status[..2]),
        "status": status,
        "body": body,
        "incident_id": id,
        "created_at": z(at),
        "updated_at": z(at),
        "display_at": z(at),
        "affected_components": [{"code": "c", "name": comp, "old_status": "operational", "new_status": new}],
        "deliver_notifications": true,
    })
}

#[allow(clippy::too_many_arguments)]
fn incident(
    id: &str,
    name: &str,
    comp: &str,
    started: DateTime<Utc>,
    notice: DateTime<Utc>,
    resolved: Option<DateTime<Utc>>,
    impact: &str,
) -> Value {
    let mut updates = vec![update(
        id,
        "investigating",
        "We are investigating reports of problems.",
        notice,
        comp,
        "major_outage",
    )];
    if let Some(r) = resolved {
        updates.insert(
            0,
            update(
                id,
                "resolved",
                "This incident has been resolved.",
                r,
                comp,
                "operational",
            ),
        );
    }
    json!({
        "id": id,
        "name": name,
        "status": if resolved.is_some() { "resolved" } else { "investigating" },
        "impact": impact,
        "created_at": z(notice),
        "updated_at": z(resolved.unwrap_or(notice)),
        "monitoring_at": null,
        "resolved_at": resolved.map(z),
        "started_at": z(started),
        "shortlink": format!("https://stspg.io/{id}"),
        "page_id": "synthpage001",
        "incident_updates": updates,
        "components": [{"id": "c", "name": comp, "status": if resolved.is_some() { "operational" } else { "major_outage" }}],
    })
}

/// The export, or `None` without a P1 incident.
pub(crate) fn generate(incidents: &[SynthIncident]) -> Option<Vec<u8>> {
    let p1: Vec<&SynthIncident> = incidents
        .iter()
        .filter(|i| i.priority.as_deref() == Some("P1") && i.broken.is_none())
        .collect();
    let first = p1.first()?;
    let mut seen = std::collections::BTreeSet::new();
    let mut out: Vec<(DateTime<Utc>, Value)> = Vec::new();
    for i in &p1 {
        if !seen.insert(i.number) {
            continue;
        }
        let minutes = if i.number % 8 == 5 {
            -(3 + i.number % 12)
        } else {
            5 + i.number % 20
        };
        let notice = i.created + Duration::minutes(minutes);
        let started = notice.min(i.created) - Duration::minutes(2);
        let resolved = i
            .ttr_s
            .map(|s| (i.created + Duration::seconds(s)).max(notice + Duration::minutes(1)));
        let (_, service, _) = SERVICES[i.service];
        let comp = component(service);
        let id = format!("sp{:010}", i.number);
        let impact = if i.number % 3 == 0 {
            "critical"
        } else {
            "major"
        };
        out.push((
            notice,
            incident(
                &id,
                &format!("{comp} degraded"),
                &comp,
                started,
                notice,
                resolved,
                impact,
            ),
        ));
    }
    // Email delivery failed for an hour and nobody was paged: 1 h 30 min after the first P1,
    // on a component that names no service with an incident that day.
    let at = first.created + Duration::minutes(90);
    let quiet = !incidents.iter().any(|i| {
        SERVICES[i.service].1 == "notifications" && (i.created - at).num_seconds().abs() < 3 * 3600
    });
    if quiet {
        out.push((
            at,
            incident(
                "spunpaged01",
                "Delayed email notifications",
                "Notifications",
                at - Duration::minutes(20),
                at,
                Some(at + Duration::minutes(60)),
                "minor",
            ),
        ));
    }
    // A planned database upgrade: a scheduled maintenance, not an incident.
    let m = first.created + Duration::days(3);
    let mut maintenance = incident(
        "spmaint001",
        "Database upgrade",
        "Checkout API",
        m,
        m,
        Some(m + Duration::hours(2)),
        "maintenance",
    );
    maintenance["status"] = json!("completed");
    maintenance["scheduled_for"] = json!(z(m));
    maintenance["scheduled_until"] = json!(z(m + Duration::hours(2)));
    out.push((m, maintenance));
    out.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| a.1["id"].as_str().cmp(&b.1["id"].as_str()))
    });
    let page = json!({
        "page": {
            "id": "synthpage001",
            "name": "Example Corp Status",
            "url": "https://status.example.com",
            "time_zone": "Etc/UTC",
            "updated_at": out.first().map(|(t, _)| z(*t)),
        },
        "incidents": out.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&page).unwrap_or_default();
    text.push('\n');
    Some(text.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_names_read_like_a_status_page() {
        assert_eq!(component("checkout-api"), "Checkout API");
        assert_eq!(component("data-pipeline"), "Data Pipeline");
    }
}
