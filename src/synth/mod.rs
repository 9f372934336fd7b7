//! Synthetic PagerDuty exports for demos and benchmarks (`auditpack generate`, the
//! committed `sample-data/`). Deterministic for a seed: ChaCha8 with no other entropy.
//!
//! The story: one 6-engineer platform team, seven services, all four priorities, a slow
//! start, a bad month (the eighth) and a recovery. Unless `clean`, a few rows are broken
//! the way real exports break (bad timestamps, overlapping pages, unknown priorities).

pub(crate) mod config;
pub(crate) mod opsgenie;
pub(crate) mod population;
pub(crate) mod postmortems;
pub(crate) mod rest;
pub(crate) mod statuspage;

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};
use serde_json::{Value, json};

/// What to generate.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    /// Incidents (before duplicates are added).
    pub incidents: u64,
    /// Random seed.
    pub seed: u64,
    /// First day of the first month.
    pub start: NaiveDate,
    /// Number of months.
    pub months: u32,
    /// The account time zone; timestamps are written in it without an offset.
    pub zone: Tz,
    /// Leave out the broken rows.
    pub clean: bool,
}

const SERVICES: [(&str, &str, &str); 7] = [
    ("PSVC001", "checkout-api", "Production - Tier 1"),
    ("PSVC002", "payments-gateway", "Production - Tier 1"),
    ("PSVC003", "auth-service", "Production - Tier 1"),
    ("PSVC004", "search", "Production - Tier 2"),
    ("PSVC005", "web-frontend", "Production - Tier 2"),
    ("PSVC006", "data-pipeline", "Production - Tier 2"),
    ("PSVC007", "notifications", "Production - Tier 2"),
];

const ENGINEERS: [(&str, &str); 6] = [
    ("PUSR001", "Ana Lima"),
    ("PUSR002", "Ben Okafor"),
    ("PUSR003", "Chloe Martin"),
    ("PUSR004", "Dev Patel"),
    ("PUSR005", "Eva Novak"),
    ("PUSR006", "Farid Haddad"),
];

const PROBLEMS: [&str; 12] = [
    "High error rate on {svc}",
    "Latency p99 > 2s on {svc}",
    "{svc}: health check failing in us-east-1",
    "Disk usage above 90% on {svc} primary",
    "{svc} queue backlog growing, consumers stalled",
    "TLS certificate for {svc} expires in 7 days",
    "5xx spike after deploy of {svc}, \"rollback\" requested",
    "Memory leak suspected in {svc} workers",
    "{svc}: replica lag above threshold",
    "Elevated login failures, {svc}",
    "Cron job failed on {svc}",
    "GuardDuty finding: unusual API calls from {svc} role",
];

/// Priority, share, median ack seconds, median resolve seconds after ack, urgency.
const PRIORITIES: [(&str, f64, f64, f64, &str); 4] = [
    ("P1", 0.05, 95.0, 4_000.0, "high"),
    ("P2", 0.13, 260.0, 14_000.0, "high"),
    ("P3", 0.34, 900.0, 36_000.0, "low"),
    ("P4", 0.45, 12_000.0, 150_000.0, "low"),
];

/// One generated incident, in the account's local time.
#[derive(Debug, Clone)]
pub(crate) struct SynthIncident {
    pub id: String,
    pub number: i64,
    pub description: String,
    pub status: &'static str,
    pub urgency: &'static str,
    pub priority: Option<String>,
    pub priority_order: Option<i64>,
    pub service: usize,
    pub created: DateTime<Utc>,
    pub tta_s: Option<i64>,
    pub ttr_s: Option<i64>,
    pub responder: usize,
    pub escalations: i64,
    /// Text that replaces a field to break the row on purpose: (field, text).
    pub broken: Option<(&'static str, String)>,
}

/// A PagerDuty-looking id (`Q` + 13 characters). The splitmix64 finaliser is a bijection,
/// so distinct numbers give distinct ids.
fn id_for(n: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
    let mut x = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    let mut s = String::from("Q");
    for _ in 0..13 {
        s.push(ALPHABET[(x % ALPHABET.len() as u64) as usize] as char);
        x /= ALPHABET.len() as u64;
    }
    s
}

/// How slow the team is in month `m` of `months`: a slow start, a bad eighth month, then
/// a recovery.
fn slowness(m: u32, months: u32) -> f64 {
    if months >= 8 && m == 7 {
        return 2.6;
    }
    let progress = f64::from(m) / f64::from(months.max(2) - 1);
    1.45 - 0.6 * progress
}

/// Generates the incidents, sorted by creation time, and the instant of the export.
/// One incident created at `t` with `number` (the `k`-th of the year): its priority, times,
/// service, description and responder, drawn from `rng` in a fixed order.
fn incident(
    spec: &Spec,
    rng: &mut ChaCha8Rng,
    k: usize,
    t: DateTime<Utc>,
    number: i64,
    exported: DateTime<Utc>,
) -> SynthIncident {
    let month = months_between(spec.start, t.with_timezone(&spec.zone).date_naive());
    let slow = slowness(month.min(spec.months.saturating_sub(1)), spec.months);
    let roll: f64 = rng.random();
    let mut acc = 0.0;
    let mut p = PRIORITIES.len(); // none: priority not set
    for (i, pr) in PRIORITIES.iter().enumerate() {
        acc += pr.1;
        if roll < acc {
            p = i;
            break;
        }
    }
    let (priority, priority_order, urgency, ack_median, res_median) = if p < PRIORITIES.len() {
        let pr = PRIORITIES[p];
        (
            Some(pr.0.to_string()),
            Some(1i64 << (26 - 2 * p as i64)),
            pr.4,
            pr.2,
            pr.3,
        )
    } else {
        let urgency = if rng.random_bool(0.3) { "high" } else { "low" };
        (None, None, urgency, 1_800.0, 20_000.0)
    };
    let lognormal =
        |median: f64, sigma: f64| LogNormal::new(median.ln(), sigma).expect("finite parameters");
    let never_acked = rng.random_bool(if p <= 1 { 0.02 } else { 0.08 });
    let tta = (!never_acked).then(|| {
        (lognormal(ack_median * slow, 0.62).sample(rng))
            .round()
            .max(5.0) as i64
    });
    let ttr = match tta {
        Some(a) => a + lognormal(res_median * slow, 0.7).sample(rng).round() as i64,
        // Auto-resolved by the monitor before anyone acknowledged.
        None => lognormal(240.0, 0.8).sample(rng).round().max(30.0) as i64,
    };
    let at = |s: i64| t + chrono::Duration::seconds(s);
    let ttr = (at(ttr) <= exported).then_some(ttr);
    let tta = tta.filter(|a| at(*a) <= exported);
    let status = match (tta, ttr) {
        (_, Some(_)) => "resolved",
        (Some(_), None) => "acknowledged",
        (None, None) => "triggered",
    };
    let service = rng.random_range(0..SERVICES.len());
    let problem = PROBLEMS[rng.random_range(0..PROBLEMS.len())];
    let mut description = problem.replace("{svc}", SERVICES[service].1);
    if rng.random_bool(0.01) {
        description.push_str("\nSee runbook: https://wiki.example.com/runbooks/triage");
    }
    // Most P1 and P2 incidents name their follow-up ticket; one in eleven forgets
    // (decided by the number, so the random sequence is unchanged).
    if p <= 1 && number % 11 != 0 {
        let _ = write!(description, " [OPS-{}]", number + 2000);
    }
    // Timeout escalations as the service's escalation policy makes them (see
    // synth::config): Tier 1 hands over at 5, 10 and 20 minutes, Tier 2 at 15 and 30.
    let handovers: &[i64] = if SERVICES[service].2.ends_with("Tier 1") {
        &[300, 600, 1200]
    } else {
        &[900, 1800]
    };
    let escalations = tta.map_or(0, |a| handovers.iter().filter(|&&h| a > h).count() as i64);
    SynthIncident {
        id: id_for(k as u64 + spec.seed.wrapping_mul(1_000_003)),
        number,
        description,
        status,
        urgency,
        priority,
        priority_order,
        service,
        created: t,
        tta_s: tta,
        ttr_s: ttr,
        responder: rng.random_range(0..ENGINEERS.len()),
        escalations,
        broken: None,
    }
}

pub(crate) fn generate(spec: &Spec) -> (Vec<SynthIncident>, DateTime<Utc>) {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let end_date = spec
        .start
        .checked_add_months(Months::new(spec.months))
        .unwrap_or(spec.start);
    let local = |d: NaiveDate| {
        spec.zone
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
            .earliest()
            .map_or_else(
                || d.and_hms_opt(0, 0, 0).expect("valid").and_utc(),
                |t| t.with_timezone(&Utc),
            )
    };
    let (t0, t1) = (local(spec.start), local(end_date));
    let span = (t1 - t0).num_seconds().max(1);
    // The export is taken the morning after the last day.
    let exported = t1 + chrono::Duration::hours(9);

    let mut created: Vec<DateTime<Utc>> = (0..spec.incidents)
        .map(|_| {
            // Two thirds land in working hours: more deploys, more incidents.
            let mut t = t0 + chrono::Duration::seconds(rng.random_range(0..span));
            let hour = t.with_timezone(&spec.zone).hour_of_day();
            if !(8..19).contains(&hour) && rng.random_bool(0.5) {
                t = t0 + chrono::Duration::seconds(rng.random_range(0..span));
            }
            t
        })
        .collect();
    created.sort();

    let mut out = Vec::with_capacity(created.len());
    let mut number = 1000i64;
    for (k, t) in created.into_iter().enumerate() {
        number += 1;
        // Now and then another team's incident takes a number: a gap in this export.
        if k > 0 && rng.random_bool(0.002) {
            number += 1;
        }
        out.push(incident(spec, &mut rng, k, t, number, exported));
    }
    // At export time the newest incidents are still open: one acknowledged, one not.
    let n = out.len();
    for (k, acked) in [(2, true), (1, false)] {
        if let Some(inc) = n.checked_sub(k).and_then(|i| out.get_mut(i)) {
            inc.ttr_s = None;
            if !acked {
                inc.tta_s = None;
            }
            inc.status = if inc.tta_s.is_some() {
                "acknowledged"
            } else {
                "triggered"
            };
        }
    }
    if !spec.clean {
        // The quarterly on-call drills page the rotation on purpose: test incidents the
        // policy documents as an exclusion (`policy_for`).
        for inc in out
            .iter_mut()
            .filter(|i| i.number % 331 == 0 && matches!(i.priority.as_deref(), Some("P3" | "P4")))
        {
            inc.description = format!(
                "[TEST] on-call drill: synthetic page for {}",
                SERVICES[inc.service].1
            );
        }
        break_some(&mut out, &mut rng);
    }
    (out, exported)
}

trait HourOfDay {
    fn hour_of_day(&self) -> u32;
}

impl<T: TimeZone> HourOfDay for DateTime<T> {
    fn hour_of_day(&self) -> u32 {
        chrono::Timelike::hour(self)
    }
}

fn months_between(start: NaiveDate, d: NaiveDate) -> u32 {
    let m = (d.year() - start.year()) * 12 + d.month() as i32 - start.month() as i32;
    m.max(0) as u32
}

/// Breaks about one row in 400 (at least one of each kind when there are enough rows),
/// and adds overlapping-page duplicates.
fn break_some(out: &mut Vec<SynthIncident>, rng: &mut ChaCha8Rng) {
    let n = out.len();
    if n < 20 {
        return;
    }
    let kinds: [(&str, &str); 8] = [
        ("created_at", "2025-13-45T10:00:00"),
        ("seconds_to_resolve", "-120"),
        ("id", ""),
        ("seconds_to_first_ack", "n/a"),
        ("resolved_before_created", ""),
        ("priority_name", "P5"),
        ("priority_name", "SEV-1"),
        ("inconsistent_resolve", ""),
    ];
    let count = (n / 400).max(kinds.len());
    for j in 0..count {
        let i = rng.random_range(1..n - 1);
        let (field, text) = kinds[j % kinds.len()];
        let inc = &mut out[i];
        if inc.broken.is_some() {
            continue;
        }
        match field {
            "priority_name" => {
                inc.priority = Some(text.to_string());
                inc.priority_order = None;
            }
            _ => inc.broken = Some((field, text.to_string())),
        }
    }
    // Overlapping exports: an exact repeat, and a repeat taken after the incident changed.
    let repeats = (n / 1000).max(1);
    for _ in 0..repeats {
        let i = rng.random_range(0..n);
        let copy = out[i].clone();
        out.push(copy);
    }
    let i = rng.random_range(0..n);
    if out[i].broken.is_none() {
        let mut changed = out[i].clone();
        changed.priority = match changed.priority.as_deref() {
            Some("P2") => Some("P1".to_string()),
            _ => Some("P2".to_string()),
        };
        out.push(changed);
    }
}

fn naive(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone)
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// The record's fields as (Analytics key, JSON value), broken fields applied.
fn analytics_fields(i: &SynthIncident, zone: Tz) -> Vec<(&'static str, Value)> {
    let (svc_id, svc, ep) = SERVICES[i.service];
    let (user_id, user) = ENGINEERS[i.responder];
    let mut created = json!(naive(i.created, zone));
    let mut resolved = json!(
        i.ttr_s
            .map(|s| naive(i.created + chrono::Duration::seconds(s), zone))
    );
    let mut id = json!(i.id);
    let mut tta = json!(i.tta_s);
    let mut ttr = json!(i.ttr_s);
    if let Some((field, text)) = &i.broken {
        match *field {
            "created_at" => created = json!(text),
            "seconds_to_resolve" => ttr = json!(text.parse::<i64>().unwrap_or(-1)),
            "id" => id = Value::Null,
            "seconds_to_first_ack" => tta = json!(text),
            "resolved_before_created" => {
                resolved = json!(naive(i.created - chrono::Duration::seconds(3_600), zone));
            }
            "inconsistent_resolve" => {
                resolved = json!(
                    i.ttr_s
                        .map(|s| naive(i.created + chrono::Duration::seconds(s + 7_200), zone))
                );
            }
            _ => {}
        }
    }
    let acked = i.tta_s.is_some();
    // A few auto-resolved incidents reached nobody (a service without an escalation
    // target): the export names nobody assigned and nobody acknowledging.
    let assigned = acked || i.number % 97 != 0;
    vec![
        ("id", id),
        ("incident_number", json!(i.number)),
        ("description", json!(i.description)),
        ("status", json!(i.status)),
        ("urgency", json!(i.urgency)),
        (
            "priority_id",
            json!(
                i.priority
                    .as_ref()
                    .map(|p| format!("PPRI00{}", &p[p.len() - 1..]))
            ),
        ),
        ("priority_name", json!(i.priority)),
        ("priority_order", json!(i.priority_order)),
        ("service_id", json!(svc_id)),
        ("service_name", json!(svc)),
        ("team_id", json!("PTEAM01")),
        ("team_name", json!("Platform SRE")),
        (
            "escalation_policy_id",
            json!(if ep.ends_with('1') {
                "PEP0001"
            } else {
                "PEP0002"
            }),
        ),
        ("escalation_policy_name", json!(ep)),
        ("created_at", created),
        ("resolved_at", resolved),
        ("seconds_to_first_ack", tta),
        ("seconds_to_resolve", ttr),
        ("auto_resolved", json!(!acked && i.ttr_s.is_some())),
        ("escalation_count", json!(i.escalations)),
        ("timeout_escalation_count", json!(i.escalations)),
        (
            "acknowledged_user_names",
            json!(if acked { vec![user] } else { vec![] }),
        ),
        (
            "assigned_user_ids",
            json!(if assigned { vec![user_id] } else { vec![] }),
        ),
        (
            "assigned_user_names",
            json!(if assigned { vec![user] } else { vec![] }),
        ),
        (
            "resolved_by_user_name",
            json!((acked && i.ttr_s.is_some()).then_some(user)),
        ),
        (
            "html_url",
            json!(format!("https://example.pagerduty.com/incidents/{}", i.id)),
        ),
        ("major", json!(i.priority.as_deref() == Some("P1"))),
    ]
}

fn csv_cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(csv_cell).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}

fn write_csv(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // PagerDuty's downloads open in spreadsheets: CRLF line ends and a UTF-8 BOM.
    let mut out = b"\xEF\xBB\xBF".to_vec();
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(&r);
    }
    out.extend(w.into_inner().unwrap_or_default());
    out
}

/// Analytics raw incidents CSV.
pub(crate) fn analytics_csv(incidents: &[SynthIncident], zone: Tz) -> Vec<u8> {
    let Some(first) = incidents.first() else {
        return write_csv(&["id"], std::iter::empty());
    };
    let header: Vec<&str> = analytics_fields(first, zone)
        .iter()
        .map(|(k, _)| *k)
        .collect();
    write_csv(
        &header,
        incidents.iter().map(|i| {
            analytics_fields(i, zone)
                .iter()
                .map(|(_, v)| csv_cell(v))
                .collect()
        }),
    )
}

/// Analytics raw incidents JSON response pages of `page_size` incidents.
pub(crate) fn analytics_json_pages(
    incidents: &[SynthIncident],
    zone: Tz,
    page_size: usize,
) -> Vec<Vec<u8>> {
    let chunks: Vec<&[SynthIncident]> = incidents.chunks(page_size.max(1)).collect();
    let pages = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(n, chunk)| {
            let data: Vec<Value> = chunk
                .iter()
                .map(|i| {
                    Value::Object(
                        analytics_fields(i, zone)
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v))
                            .collect(),
                    )
                })
                .collect();
            let page = json!({
                "data": data,
                "more": n + 1 < pages,
                "limit": page_size,
                "order": "asc",
                "order_by": "created_at",
                "first": format!("cursor-{:04}-first", n + 1),
                "last": format!("cursor-{:04}-last", n + 1),
                "starting_after": (n > 0).then(|| format!("cursor-{n:04}-last")),
                "filters": {"team_ids": ["PTEAM01"]},
                "time_zone": zone.name(),
            });
            let mut text = serde_json::to_string_pretty(&page).unwrap_or_default();
            text.push('\n');
            text.into_bytes()
        })
        .collect()
}

/// The classic Reports `incidents.csv`: no priority, `created_on`, 0 for never acked.
pub(crate) fn classic_csv(incidents: &[SynthIncident], zone: Tz) -> Vec<u8> {
    let header = [
        "id",
        "incident_number",
        "description",
        "service_id",
        "service_name",
        "escalation_policy_id",
        "escalation_policy_name",
        "created_on",
        "resolved_on",
        "seconds_to_first_ack",
        "seconds_to_resolve",
        "auto_resolved",
        "escalation_count",
        "auto_escalation_count",
        "urgency",
        "resolved_by_user_name",
    ];
    write_csv(
        &header,
        incidents.iter().map(|i| {
            let f: std::collections::BTreeMap<&str, Value> =
                analytics_fields(i, zone).into_iter().collect();
            let cell = |k: &str| f.get(k).map(csv_cell).unwrap_or_default();
            let tta = match f.get("seconds_to_first_ack") {
                Some(Value::Null) | None => "0".to_string(),
                Some(v) => csv_cell(v),
            };
            vec![
                cell("id"),
                cell("incident_number"),
                cell("description"),
                cell("service_id"),
                cell("service_name"),
                cell("escalation_policy_id"),
                cell("escalation_policy_name"),
                cell("created_at"),
                cell("resolved_at"),
                tta,
                cell("seconds_to_resolve"),
                cell("auto_resolved"),
                cell("escalation_count"),
                cell("timeout_escalation_count"),
                cell("urgency"),
                if i.ttr_s.is_some() && i.tta_s.is_some() {
                    ENGINEERS[i.responder].1.to_string()
                } else {
                    String::new()
                },
            ]
        }),
    )
}

/// The policy written beside generated data: the default, in the data's zone, with the
/// fixed-date public holidays of the years spanned.
pub(crate) fn policy_for(spec: &Spec) -> String {
    let mut holidays = Vec::new();
    let last = spec
        .start
        .checked_add_months(Months::new(spec.months))
        .and_then(|d| d.checked_sub_days(Days::new(1)))
        .unwrap_or(spec.start);
    for year in spec.start.year()..=last.year() {
        for (m, d) in [(1, 1), (7, 4), (12, 25)] {
            holidays.push(format!("\"{year}-{m:02}-{d:02}\""));
        }
    }
    let zone = spec.zone.name();
    let mut text = String::new();
    for line in crate::policy::DEFAULT_POLICY.lines() {
        let line = if line.starts_with("timezone = ") {
            format!("timezone = \"{zone}\"")
        } else if line.starts_with("holidays = ") {
            format!("holidays = [{}]", holidays.join(", "))
        } else if line.starts_with("policy_title = ") {
            "policy_title = \"Incident Response Policy (IRP-01)\"".to_string()
        } else if line.starts_with("policy_version = ") {
            "policy_version = \"3.1\"".to_string()
        } else if line.starts_with("policy_approved_by = ") {
            "policy_approved_by = \"Dana Whitfield, CISO\"".to_string()
        } else if line.starts_with("policy_approved_on = ") {
            format!("policy_approved_on = \"{}-12-16\"", spec.start.year() - 1)
        } else {
            line.to_string()
        };
        let _ = writeln!(text, "{line}");
    }
    if !spec.clean {
        text.push_str(
            "\n# The on-call drills page the rotation on purpose (change CHG-2025-014).\n\
             [[exclusion]]\n\
             reason = \"On-call drill: synthetic test page announced in CHG-2025-014\"\n\
             match = [\"[TEST]\"]\n",
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(n: u64) -> Spec {
        Spec {
            incidents: n,
            seed: 7,
            start: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            months: 12,
            zone: chrono_tz::America::New_York,
            clean: false,
        }
    }

    #[test]
    fn same_seed_same_bytes() {
        let (a, _) = generate(&spec(300));
        let (b, _) = generate(&spec(300));
        let z = chrono_tz::America::New_York;
        assert_eq!(analytics_csv(&a, z), analytics_csv(&b, z));
        let (c, _) = generate(&Spec {
            seed: 8,
            ..spec(300)
        });
        assert_ne!(analytics_csv(&a, z), analytics_csv(&c, z));
    }

    #[test]
    fn generated_policy_parses() {
        let p =
            crate::policy::Policy::parse(std::path::Path::new("p"), &policy_for(&spec(1))).unwrap();
        assert_eq!(p.timezone, chrono_tz::America::New_York);
        assert_eq!(p.business_hours.holidays.len(), 3);
    }
}
