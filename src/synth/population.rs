//! The synthetic extraction record and PagerDuty aggregate-metrics response: what the
//! compliance lead wrote down while taking the exports, and PagerDuty's own totals for the
//! period (`POST /analytics/metrics/incidents/all`), both from the incidents generated, so
//! they agree with the exports.

use chrono::{DateTime, Months, TimeZone, Utc};
use serde_json::json;

use super::{Spec, SynthIncident};

/// Each incident once (the generator repeats some, as overlapping exports do).
fn distinct(incidents: &[SynthIncident]) -> Vec<&SynthIncident> {
    let mut seen = std::collections::BTreeSet::new();
    incidents
        .iter()
        .filter(|i| seen.insert(i.id.as_str()))
        .collect()
}

/// The nearest-rank percentile `q` of sorted `v`.
fn rank(v: &[i64], q: f64) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    let k = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    Some(v[k - 1])
}

/// The filled-in extraction record: taken the morning after the period, `exported`.
pub(crate) fn extraction(
    spec: &Spec,
    incidents: &[SynthIncident],
    exported: DateTime<Utc>,
    source: &str,
) -> Vec<u8> {
    let end = spec
        .start
        .checked_add_months(Months::new(spec.months))
        .unwrap_or(spec.start);
    format!(
        r#"# How the exports in this folder were taken (auditpack init --extraction, filled in).

[extraction]
account = "example-corp"
extracted_by = "Jordan Lee, Compliance Lead"
extracted_at = "{}"
source = "{}"
filters = "all services and urgencies, created {} to {} ({}); the account has one team, Platform SRE (PTEAM01)"
pagerduty_count = {}
notes = "Counts taken from the Incident Activity screen for the same range before export."
"#,
        exported.format("%Y-%m-%dT%H:%M:%SZ"),
        source,
        spec.start,
        end,
        spec.zone.name(),
        distinct(incidents).len()
    )
    .into_bytes()
}

/// PagerDuty's totals for the generated period, as the aggregate endpoint returns them.
pub(crate) fn aggregate(spec: &Spec, incidents: &[SynthIncident]) -> Vec<u8> {
    let end = spec
        .start
        .checked_add_months(Months::new(spec.months))
        .unwrap_or(spec.start);
    let midnight = |d: chrono::NaiveDate| {
        spec.zone
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    };
    let (t0, t1) = (midnight(spec.start), midnight(end));
    let window: Vec<&SynthIncident> = distinct(incidents)
        .into_iter()
        .filter(|i| t0.is_none_or(|t| i.created >= t) && t1.is_none_or(|t| i.created < t))
        .collect();
    let mut tta: Vec<i64> = window.iter().filter_map(|i| i.tta_s).collect();
    let mut ttr: Vec<i64> = window.iter().filter_map(|i| i.ttr_s).collect();
    tta.sort_unstable();
    ttr.sort_unstable();
    let mean = |v: &[i64]| {
        (!v.is_empty()).then(|| (v.iter().sum::<i64>() as f64 / v.len() as f64).round() as i64)
    };
    let response = json!({
        "filters": {
            "create_range_start": format!("{}T00:00:00", spec.start),
            "create_range_end": format!("{end}T00:00:00"),
        },
        "time_zone": spec.zone.name(),
        "data": [{
            "total_incident_count": window.len(),
            "total_incidents_acknowledged": tta.len(),
            "mean_seconds_to_first_ack": mean(&tta),
            "mean_seconds_to_resolve": mean(&ttr),
            "p50_seconds_to_first_ack": rank(&tta, 0.50),
            "p75_seconds_to_first_ack": rank(&tta, 0.75),
            "p90_seconds_to_first_ack": rank(&tta, 0.90),
            "p95_seconds_to_first_ack": rank(&tta, 0.95),
            "p50_seconds_to_resolve": rank(&ttr, 0.50),
            "p75_seconds_to_resolve": rank(&ttr, 0.75),
            "p90_seconds_to_resolve": rank(&ttr, 0.90),
            "p95_seconds_to_resolve": rank(&ttr, 0.95),
        }],
    });
    let mut text = serde_json::to_string_pretty(&response).unwrap_or_default();
    text.push('\n');
    text.into_bytes()
}
