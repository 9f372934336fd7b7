/*!
Synthetic PagerDuty configuration exports for the generated period, shaped like the REST
responses: one schedule (the six engineers in a weekly rotation handing over on Mondays at
10:00, with overrides, one crossing midnight and one the spring DST change, and one 4-hour
gap), its overrides, two escalation policies (Tier 1 conforming to the default levels, Tier 2
not), and a year of audit records in monthly files (September's request started late, so its
first ten days are not covered). Deterministic for a seed.
*/

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use super::{ENGINEERS, SERVICES, Spec, id_for};

const SCHEDULE: (&str, &str) = ("PSCHED1", "Platform primary");

fn user(i: usize) -> Value {
    json!({"id": ENGINEERS[i].0, "type": "user_reference", "summary": ENGINEERS[i].1})
}

fn local(zone: Tz, d: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    crate::model::time::local_instant(zone, d.and_hms_opt(h, m, 0).expect("valid time"))
}

fn ts(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn entries(list: &[(DateTime<Utc>, DateTime<Utc>, usize)], zone: Tz) -> Vec<Value> {
    list.iter()
        .map(|(a, b, u)| json!({"start": ts(*a, zone), "end": ts(*b, zone), "user": user(*u)}))
        .collect()
}

fn pretty(v: &Value) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(v).expect("JSON values serialise");
    out.push(b'\n');
    out
}

/// Who holds a span of the schedule: (start, end, engineer index).
type Turns = Vec<(DateTime<Utc>, DateTime<Utc>, usize)>;

/// The period's first and last instants, local midnights.
fn bounds(spec: &Spec) -> (DateTime<Utc>, DateTime<Utc>) {
    let end_date = spec
        .start
        .checked_add_months(chrono::Months::new(spec.months))
        .unwrap_or(spec.start);
    (
        local(spec.zone, spec.start, 0, 0),
        local(spec.zone, end_date, 0, 0),
    )
}

/// A day of the generated year.
fn day_of(spec: &Spec, m: u32, dd: u32) -> Option<NaiveDate> {
    let year = spec.start;
    NaiveDate::from_ymd_opt(year.format("%Y").to_string().parse().unwrap_or(2025), m, dd)
}

/// The layer: weekly turns handing over on Mondays at 10:00 local.
fn rotation(spec: &Spec, t0: DateTime<Utc>, t1: DateTime<Utc>) -> Turns {
    let zone = spec.zone;
    let mut layer: Vec<(DateTime<Utc>, DateTime<Utc>, usize)> = Vec::new();
    let mut day = spec.start;
    let mut turn = 0usize;
    let mut at = t0;
    while at < t1 {
        day = day.succ_opt().expect("in range");
        let monday = day.format("%u").to_string() == "1";
        let next = if monday {
            local(zone, day, 10, 0)
        } else {
            continue;
        };
        let next = next.min(t1);
        layer.push((at, next, turn % ENGINEERS.len()));
        turn += 1;
        at = next;
    }
    layer
}

/// The overrides: one across midnight, one across the spring clock change, a week's swap.
fn overrides(spec: &Spec, t0: DateTime<Utc>, t1: DateTime<Utc>) -> Turns {
    let zone = spec.zone;
    let d = |m: u32, dd: u32| day_of(spec, m, dd);
    // Overrides: (first day offset from the period start in days, start hour, hours, who).
    let mut overrides: Vec<(DateTime<Utc>, DateTime<Utc>, usize)> = Vec::new();
    for (date, hour, hours, who) in [
        (d(2, 14), 18, 14, 2), // crosses midnight
        (d(3, 8), 20, 16, 4),  // crosses the spring DST change (US zones)
        (d(5, 26), 0, 24, 1),
        (d(8, 11), 10, 168, 1), // a week's swap for a holiday: the week before's person stays on, two weeks
        (d(11, 27), 0, 48, 3),
        (d(12, 24), 0, 48, 0),
    ] {
        let Some(date) = date else { continue };
        let a = local(zone, date, hour, 0);
        let b = a + Duration::hours(hours);
        if a >= t0 && b <= t1 {
            overrides.push((a, b, who));
        }
    }
    overrides
}

/// The final schedule: overrides win, the gap has nobody, touching turns of one user merge.
fn final_schedule(
    layer: &Turns,
    overrides: &Turns,
    gap: Option<(DateTime<Utc>, DateTime<Utc>)>,
    t0: DateTime<Utc>,
    t1: DateTime<Utc>,
) -> Turns {
    let mut cuts: Vec<DateTime<Utc>> = vec![t0, t1];
    for (a, b, _) in layer.iter().chain(overrides) {
        cuts.extend([*a, *b]);
    }
    if let Some((a, b)) = gap {
        cuts.extend([a, b]);
    }
    cuts.retain(|t| *t >= t0 && *t <= t1);
    cuts.sort();
    cuts.dedup();
    let mut final_entries: Vec<(DateTime<Utc>, DateTime<Utc>, usize)> = Vec::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        if gap.is_some_and(|(ga, gb)| a >= ga && b <= gb) {
            continue;
        }
        let who = overrides
            .iter()
            .find(|(oa, ob, _)| a >= *oa && b <= *ob)
            .or_else(|| layer.iter().find(|(la, lb, _)| a >= *la && b <= *lb))
            .map(|(_, _, u)| *u);
        let Some(who) = who else { continue };
        match final_entries.last_mut() {
            Some(last) if last.2 == who && last.1 == a => last.1 = b,
            _ => final_entries.push((a, b, who)),
        }
    }
    final_entries
}

/// `GET /schedules/{id}` and its `/overrides`, as JSON.
fn schedule_files(
    spec: &Spec,
    layer: &Turns,
    overrides: &Turns,
    final_entries: &Turns,
    t0: DateTime<Utc>,
    t1: DateTime<Utc>,
) -> (Value, Value) {
    let zone = spec.zone;
    let covered: i64 = final_entries
        .iter()
        .map(|(a, b, _)| (*b - *a).num_seconds())
        .sum();
    let pct = (10_000.0 * covered as f64 / (t1 - t0).num_seconds() as f64).round() / 100.0;
    let ep_ref = |id: &str, name: &str| json!({"id": id, "type": "escalation_policy_reference", "summary": name});
    let schedule = json!({"schedule": {
        "id": SCHEDULE.0, "type": "schedule", "summary": SCHEDULE.1, "name": SCHEDULE.1,
        "time_zone": zone.name(),
        "description": "Weekly rotation of the platform team; hand-off Mondays 10:00",
        "escalation_policies": [ep_ref("PEP0001", "Production - Tier 1"), ep_ref("PEP0002", "Production - Tier 2")],
        "users": (0..ENGINEERS.len()).map(user).collect::<Vec<_>>(),
        "schedule_layers": [{
            "id": "PLAYER1", "name": "Weekly rotation",
            "start": ts(t0, zone), "end": null,
            "rotation_virtual_start": ts(layer.first().map_or(t0, |l| l.1), zone),
            "rotation_turn_length_seconds": 604_800,
            "users": (0..ENGINEERS.len()).map(|i| json!({"user": user(i)})).collect::<Vec<_>>(),
            "restrictions": [],
            "rendered_schedule_entries": entries(layer, zone),
            "rendered_coverage_percentage": 100.0,
        }],
        "overrides_subschedule": {"name": "Overrides", "rendered_schedule_entries": entries(overrides, zone),
            "rendered_coverage_percentage": null},
        "final_schedule": {"name": "Final Schedule", "rendered_schedule_entries": entries(final_entries, zone),
            "rendered_coverage_percentage": pct},
    }});
    let override_list: Vec<Value> = overrides
        .iter()
        .enumerate()
        .map(|(k, (a, b, u))| json!({"id": format!("POVR{:03}", k + 1), "start": ts(*a, zone), "end": ts(*b, zone), "user": user(*u)}))
        .collect();
    let overrides_file = json!({"overrides": override_list});

    (schedule, overrides_file)
}

/// `GET /escalation_policies`: a conforming Tier 1 and a non-conforming Tier 2.
fn policies_file() -> Value {
    let sched_ref = json!({"id": SCHEDULE.0, "type": "schedule_reference", "summary": SCHEDULE.1});
    let lead =
        json!({"id": "PUSR010", "type": "user_reference", "summary": "Grace Kim (tech lead)"});
    let manager = json!({"id": "PUSR011", "type": "user_reference", "summary": "Hugo Brandt (engineering manager)"});
    let cto = json!({"id": "PUSR012", "type": "user_reference", "summary": "Iris Moreau (CTO)"});
    let services = |range: std::ops::Range<usize>| -> Vec<Value> {
        SERVICES[range]
            .iter()
            .map(|s| json!({"id": s.0, "type": "service_reference", "summary": s.1}))
            .collect()
    };
    let rule = |id: &str, delay: i64, targets: Vec<Value>| json!({"id": id, "escalation_delay_in_minutes": delay, "targets": targets});
    json!({"escalation_policies": [
        {"id": "PEP0001", "type": "escalation_policy", "summary": "Production - Tier 1", "name": "Production - Tier 1",
         "num_loops": 1, "on_call_handoff_notifications": "if_has_services",
         "escalation_rules": [rule("PRULE11", 5, vec![sched_ref.clone()]), rule("PRULE12", 5, vec![lead.clone()]),
                              rule("PRULE13", 10, vec![manager.clone()]), rule("PRULE14", 10, vec![cto.clone()])],
         "services": services(0..3), "teams": [{"id": "PTEAM01", "type": "team_reference", "summary": "Platform SRE"}]},
        {"id": "PEP0002", "type": "escalation_policy", "summary": "Production - Tier 2", "name": "Production - Tier 2",
         "num_loops": 0, "on_call_handoff_notifications": "if_has_services",
         "escalation_rules": [rule("PRULE21", 15, vec![sched_ref.clone()]), rule("PRULE22", 15, vec![lead.clone()]),
                              rule("PRULE23", 30, vec![])],
         "services": services(3..7), "teams": [{"id": "PTEAM01", "type": "team_reference", "summary": "Platform SRE"}]},
    ], "limit": 25, "offset": 0, "more": false, "total": null})
}

/// The audit records being written, numbered as they come.
struct AuditLog {
    records: Vec<(DateTime<Utc>, Value)>,
    n: u64,
}

impl AuditLog {
    /// One record at `t`; without `actor`, the record names none (an API token's change).
    fn record(
        &mut self,
        t: DateTime<Utc>,
        actor: Option<Value>,
        method: Value,
        root: Value,
        action: &str,
        details: Value,
    ) {
        self.n += 1;
        let n = self.n;
        let mut r = json!({
            "id": id_for(n ^ 0xA0D1_7000).replacen('Q', "R", 1),
            "execution_time": t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "execution_context": {"request_id": format!("req-{n:06}"), "remote_address": "203.0.113.10"},
            "method": method, "root_resource": root, "action": action, "details": details,
        });
        if let Some(a) = actor {
            r["actors"] = json!([a]);
        }
        self.records.push((t, r));
    }
}

fn browser() -> Value {
    json!({"type": "browser"})
}

fn terraform() -> Value {
    json!({"type": "api_token", "truncated_token": "tf7q", "description": "Terraform"})
}

/// Each override, added three days ahead by the engineer who takes it.
fn override_records(log: &mut AuditLog, overrides: &Turns, zone: Tz) {
    let browser = browser();
    let sched_root = json!({"id": SCHEDULE.0, "type": "schedule_reference", "summary": SCHEDULE.1});
    for (k, (a, b, u)) in overrides.iter().enumerate() {
        log.record(
            *a - Duration::days(3) + Duration::minutes(37),
            Some(user(*u)),
            browser.clone(),
            sched_root.clone(),
            "update",
            json!({"resource": sched_root, "references": [{"name": "overrides", "added": [
                {"id": format!("POVR{:03}", k + 1), "type": "override_reference",
                 "summary": format!("{} {} to {}", ENGINEERS[*u].1, ts(*a, zone), ts(*b, zone))}]}]}),
        );
    }
}

/// The changes an auditor looks for: a contractor added, a role change, an escalation delay
/// changed by an API token, the contractor removed and deleted, an integration added.
fn notable_records(log: &mut AuditLog, spec: &Spec) {
    let zone = spec.zone;
    let d = |m: u32, dd: u32| day_of(spec, m, dd);
    let (browser, terraform) = (browser(), terraform());
    let lead =
        json!({"id": "PUSR010", "type": "user_reference", "summary": "Grace Kim (tech lead)"});
    let manager = json!({"id": "PUSR011", "type": "user_reference", "summary": "Hugo Brandt (engineering manager)"});
    let contractor =
        json!({"id": "PUSR013", "type": "user_reference", "summary": "Jon Reyes (contractor)"});
    let when = |m: u32, dd: u32, h: u32| d(m, dd).map(|x| local(zone, x, h, 12));
    if let Some(t) = when(3, 3, 11) {
        log.record(
            t,
            Some(user(1)),
            browser.clone(),
            json!({"id": "PUSR013", "type": "user_reference", "summary": "Jon Reyes (contractor)"}),
            "create",
            json!({"resource": contractor, "fields": [{"name": "name", "value": "Jon Reyes"}, {"name": "role", "value": "limited_user"}]}),
        );
    }
    if let Some(t) = when(4, 14, 15) {
        log.record(
            t,
            Some(lead.clone()),
            browser.clone(),
            json!({"id": "PTEAM01", "type": "team_reference", "summary": "Platform SRE"}),
            "update",
            json!({"resource": user(2), "fields": [{"name": "team_role", "before_value": "observer", "value": "responder"}]}),
        );
    }
    if let Some(t) = when(6, 2, 9) {
        log.record(
            t,
            None,
            terraform.clone(),
            json!({"id": "PEP0002", "type": "escalation_policy_reference", "summary": "Production - Tier 2"}),
            "update",
            json!({"fields": [{"name": "escalation_delay_in_minutes", "before_value": "10", "value": "15"}]}),
        );
    }
    if let Some(t) = when(9, 30, 16) {
        log.record(
            t,
            Some(manager.clone()),
            browser.clone(),
            json!({"id": "PEP0002", "type": "escalation_policy_reference", "summary": "Production - Tier 2"}),
            "update",
            json!({"references": [{"name": "targets", "removed": [contractor.clone()]}]}),
        );
        log.record(
            t + Duration::minutes(4),
            Some(manager.clone()),
            browser.clone(),
            json!({"id": "PUSR013", "type": "user_reference", "summary": "Jon Reyes (contractor)"}),
            "delete",
            json!({"resource": contractor, "fields": [{"name": "name", "before_value": "Jon Reyes"}]}),
        );
    }
    if let Some(t) = when(10, 8, 14) {
        log.record(
            t,
            None,
            terraform.clone(),
            json!({"id": SERVICES[4].0, "type": "service_reference", "summary": SERVICES[4].1}),
            "update",
            json!({"references": [{"name": "integrations", "added": [{"id": "PINT005", "type": "integration_reference", "summary": "Datadog"}]}]}),
        );
    }
}

/// Daily-ish routine changes: notification rules and Terraform descriptions.
fn routine_records(log: &mut AuditLog, spec: &Spec) {
    let zone = spec.zone;
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed ^ 0x00C0_FF1C_0DE5);
    let end_date = spec
        .start
        .checked_add_months(chrono::Months::new(spec.months))
        .unwrap_or(spec.start);
    let (browser, terraform) = (browser(), terraform());
    let mut day = spec.start;
    while day < end_date {
        if rng.random_bool(0.6)
            || day.format("%d").to_string() == "01"
            || day
                .succ_opt()
                .is_some_and(|x| x.format("%d").to_string() == "01")
        {
            let who = rng.random_range(0..ENGINEERS.len());
            let t = local(zone, day, rng.random_range(8..19), rng.random_range(0..60));
            if rng.random_bool(0.5) {
                log.record(
                    t,
                    Some(user(who)),
                    browser.clone(),
                    user(who),
                    "update",
                    json!({"resource": user(who), "fields": [{"name": "notification_rule", "before_value": "sms after 0 min", "value": "push after 0 min"}]}),
                );
            } else {
                let s = rng.random_range(0..SERVICES.len());
                log.record(
                    t,
                    None,
                    terraform.clone(),
                    json!({"id": SERVICES[s].0, "type": "service_reference", "summary": SERVICES[s].1}),
                    "update",
                    json!({"fields": [{"name": "description", "before_value": "managed by terraform", "value": "managed by terraform (platform)"}]}),
                );
            }
        }
        day = day.succ_opt().expect("in range");
    }
}

/// The audit records of the year, newest first: daily-ish routine changes, plus the ones an
/// auditor looks for.
fn audit_records(spec: &Spec, overrides: &Turns) -> Vec<(DateTime<Utc>, Value)> {
    let mut log = AuditLog {
        records: Vec::new(),
        n: 0,
    };
    override_records(&mut log, overrides, spec.zone);
    notable_records(&mut log, spec);
    routine_records(&mut log, spec);
    let mut records = log.records;
    records.sort_by_key(|r| std::cmp::Reverse(r.0));
    records
}

/// The configuration exports of a year: the schedule and its overrides, the escalation
/// policies, and the audit records in monthly files.
pub(crate) fn generate(spec: &Spec) -> Vec<(String, Vec<u8>)> {
    let zone = spec.zone;
    let (t0, t1) = bounds(spec);
    let layer = rotation(spec, t0, t1);
    let overrides = overrides(spec, t0, t1);
    // A 4-hour gap: a layer edit that left a night uncovered.
    let gap = day_of(spec, 7, 14).map(|g| {
        let a = local(zone, g, 22, 0);
        (a, a + Duration::hours(4))
    });
    let final_entries = final_schedule(&layer, &overrides, gap, t0, t1);
    let (schedule, overrides_file) =
        schedule_files(spec, &layer, &overrides, &final_entries, t0, t1);
    let policies = policies_file();
    let records = audit_records(spec, &overrides);
    let mut files = vec![
        (
            "pagerduty/schedule-platform-primary.json".to_string(),
            pretty(&schedule),
        ),
        (
            "pagerduty/schedule-platform-primary-overrides.json".to_string(),
            pretty(&overrides_file),
        ),
        (
            "pagerduty/escalation-policies.json".to_string(),
            pretty(&policies),
        ),
    ];
    for m in 0..spec.months {
        let first = spec
            .start
            .checked_add_months(chrono::Months::new(m))
            .unwrap_or(spec.start);
        let next = first
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(first);
        // September's request started on the 11th: ten days without evidence.
        let from = if first.format("%m").to_string() == "09" {
            first + Duration::days(10)
        } else {
            first
        };
        let (a, b) = (local(zone, from, 0, 0), local(zone, next, 0, 0));
        let page: Vec<&Value> = records
            .iter()
            .filter(|(t, _)| *t >= a && *t < b)
            .map(|(_, r)| r)
            .collect();
        files.push((
            format!("pagerduty/audit-records-{}.json", first.format("%Y-%m")),
            pretty(&json!({"records": page, "limit": 1000, "next_cursor": null})),
        ));
    }
    files
}
