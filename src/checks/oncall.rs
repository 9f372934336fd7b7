/*!
On-call coverage, escalation-policy conformance and the admin change trail, from the
PagerDuty configuration exports (`read`). Pure: exports, incidents and the policy in, tables
and exceptions out. Definitions: `docs/oncall.md`.
*/

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::ingest::Ingested;
use crate::metrics::Metrics;
use crate::metrics::results::{Area, ResultRow, Verdict};
use crate::model::config::{
    self as read, AuditRecord, Entry, EscalationPolicy, Export, Reference, Schedule,
};
use crate::model::text::{fmt_pct, format_duration};
use crate::model::time::local_instant;
use crate::model::{Exception, ExceptionKind, FileRows};
use crate::policy::{Policy, parse_timezone};

/// A half-open interval of UTC instants.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

/// Merges overlapping or touching intervals; the result is sorted and disjoint.
pub fn union(mut spans: Vec<Span>) -> Vec<Span> {
    spans.retain(|(a, b)| a < b);
    spans.sort();
    let mut out: Vec<Span> = Vec::new();
    for (a, b) in spans {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// The parts of `window` that `covered` (sorted, disjoint) leaves open.
pub fn gaps(window: Span, covered: &[Span]) -> Vec<Span> {
    let mut out = Vec::new();
    let mut at = window.0;
    for &(a, b) in covered {
        if b <= at || a >= window.1 {
            continue;
        }
        if a > at {
            out.push((at, a.min(window.1)));
        }
        at = at.max(b);
    }
    if at < window.1 {
        out.push((at, window.1));
    }
    out
}

fn seconds(s: &Span) -> i64 {
    (s.1 - s.0).num_seconds()
}

fn clip(span: Span, window: Span) -> Option<Span> {
    let a = span.0.max(window.0);
    let b = span.1.min(window.1);
    (a < b).then_some((a, b))
}

/// The audit period as UTC instants: local midnight of `from` to local midnight after `to`.
pub fn period_window(metrics: &Metrics, zone: Tz) -> Span {
    let midnight = |d: NaiveDate| local_instant(zone, d.and_time(NaiveTime::MIN));
    let end = metrics.period.to.succ_opt().unwrap_or(metrics.period.to);
    (midnight(metrics.period.from), midnight(end))
}

/// Seconds of `span` outside business hours (policy days, hours and holidays, organisation
/// zone).
pub fn off_hours_seconds(span: Span, policy: &Policy) -> i64 {
    let zone = policy.timezone;
    let bh = &policy.business_hours;
    let mut business = 0;
    let mut day = span.0.with_timezone(&zone).date_naive();
    let last = span.1.with_timezone(&zone).date_naive();
    while day <= last {
        if bh.is_business_day(day) {
            let at = |t| local_instant(zone, day.and_time(t));
            if let Some(c) = clip((at(bh.start), at(bh.end)), span) {
                business += seconds(&c);
            }
        }
        day = match day.succ_opt() {
            Some(d) => d,
            None => break,
        };
    }
    seconds(&span) - business
}

/// One person's continuous turn: consecutive entries of the same user merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    pub person: String,
    pub span: Span,
}

/// Coverage of one schedule over the period.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    pub schedule: String,
    pub schedule_id: String,
    /// The schedule's zone (gaps are shown in it); the organisation's when unknown.
    pub zone: Tz,
    /// Whether an escalation policy's first level targets it (or no policies were exported).
    pub first_level: bool,
    pub covered_s: i64,
    pub period_s: i64,
    pub gaps: Vec<Span>,
    pub shifts: Vec<Shift>,
    pub overrides: Vec<OverrideView>,
    /// Hand-offs (one person to another) per week of the period.
    pub handoffs_per_week: f64,
    /// Covered share per ISO week of the period (week start date, percent).
    pub weekly: Vec<(NaiveDate, f64)>,
}

impl Coverage {
    /// Covered share of the period in percent.
    pub fn covered_pct(&self) -> f64 {
        if self.period_s == 0 {
            0.0
        } else {
            100.0 * self.covered_s as f64 / self.period_s as f64
        }
    }
}

/// An override: who was on call instead of whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideView {
    pub span: Span,
    pub on_call: String,
    /// The layer users the override displaced, or empty when the layers were not exported.
    pub replaced: Vec<String>,
}

/// Per-person load on one schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Load {
    pub person: String,
    pub shifts: usize,
    pub hours: f64,
    pub off_hours_hours: f64,
}

/// Sums each person's shifts.
pub fn load(c: &Coverage, policy: &Policy) -> Vec<Load> {
    let mut by: BTreeMap<&str, (usize, i64, i64)> = BTreeMap::new();
    for s in &c.shifts {
        let e = by.entry(&s.person).or_default();
        e.0 += 1;
        e.1 += seconds(&s.span);
        e.2 += off_hours_seconds(s.span, policy);
    }
    by.into_iter()
        .map(|(p, (n, secs, off))| Load {
            person: p.to_string(),
            shifts: n,
            hours: secs as f64 / 3600.0,
            off_hours_hours: off as f64 / 3600.0,
        })
        .collect()
}

fn entry_span(e: &Entry, window: Span) -> Option<Span> {
    let end = e.end.map_or(window.1, |t| t.with_timezone(&Utc));
    clip((e.start.with_timezone(&Utc), end), window)
}

/// Coverage of a list of entries over `window`.
#[allow(clippy::too_many_arguments)]
fn coverage_of(
    name: &str,
    id: &str,
    zone: Tz,
    first_level: bool,
    entries: &[Entry],
    layers: &[Entry],
    overrides: &[Entry],
    window: Span,
) -> Coverage {
    let mut spans: Vec<(Span, String)> = entries
        .iter()
        .filter_map(|e| Some((entry_span(e, window)?, e.user.label().to_string())))
        .collect();
    spans.sort();
    let covered = union(spans.iter().map(|(s, _)| *s).collect());
    let open = gaps(window, &covered);
    let mut shifts: Vec<Shift> = Vec::new();
    let mut handoffs = 0usize;
    for (span, person) in &spans {
        match shifts.last_mut() {
            Some(last) if last.person == *person && span.0 <= last.span.1 => {
                last.span.1 = last.span.1.max(span.1);
            }
            Some(last) => {
                if span.0 <= last.span.1 {
                    handoffs += 1;
                }
                shifts.push(Shift {
                    person: person.clone(),
                    span: *span,
                });
            }
            None => shifts.push(Shift {
                person: person.clone(),
                span: *span,
            }),
        }
    }
    let overrides = overrides
        .iter()
        .filter_map(|o| {
            let span = entry_span(o, window)?;
            let mut replaced: Vec<String> = layers
                .iter()
                .filter(|l| l.user.id != o.user.id)
                .filter(|l| entry_span(l, span).is_some())
                .map(|l| l.user.label().to_string())
                .collect();
            replaced.sort();
            replaced.dedup();
            Some(OverrideView {
                span,
                on_call: o.user.label().to_string(),
                replaced,
            })
        })
        .collect();
    let period_s = seconds(&window);
    let covered_s: i64 = covered.iter().map(seconds).sum();
    let mut weekly = Vec::new();
    let mut week_start = window.0;
    while week_start < window.1 {
        let week = (week_start, (week_start + Duration::days(7)).min(window.1));
        let got: i64 = covered
            .iter()
            .filter_map(|c| clip(*c, week))
            .map(|c| seconds(&c))
            .sum();
        weekly.push((
            week.0.with_timezone(&zone).date_naive(),
            100.0 * got as f64 / seconds(&week).max(1) as f64,
        ));
        week_start = week.1;
    }
    Coverage {
        schedule: name.to_string(),
        schedule_id: id.to_string(),
        zone,
        first_level,
        covered_s,
        period_s,
        gaps: open,
        shifts,
        overrides,
        handoffs_per_week: handoffs as f64 / (period_s as f64 / (7.0 * 86_400.0)).max(1e-9),
        weekly,
    }
}

/// One conformance finding for an escalation policy (level `None`: the policy as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conformance {
    pub policy: String,
    pub level: Option<usize>,
    pub delay_min: Option<i64>,
    pub cumulative_min: Option<i64>,
    pub allowed_min: Option<i64>,
    pub targets: String,
    /// Empty when the level conforms.
    pub findings: Vec<String>,
}

/// Checks each policy's rules against the policy file's levels.
pub fn conformance(
    policies: &[&EscalationPolicy],
    levels_s: &[i64],
    coverage: &[Coverage],
) -> Vec<Conformance> {
    let mut out = Vec::new();
    for p in policies {
        let mut whole = Vec::new();
        if p.rules.len() < levels_s.len() {
            whole.push(format!(
                "too few levels: {} of the {} the policy requires",
                p.rules.len(),
                levels_s.len()
            ));
        }
        if p.services.is_empty() {
            whole.push("no service uses it".to_string());
        }
        out.push(Conformance {
            policy: p.name.clone(),
            level: None,
            delay_min: None,
            cumulative_min: None,
            allowed_min: None,
            targets: format!("{} levels, {} loops", p.rules.len(), p.num_loops),
            findings: whole,
        });
        let mut cumulative = 0;
        for (k, rule) in p.rules.iter().enumerate() {
            cumulative += rule.delay_min;
            let allowed = levels_s.get(k).map(|s| s / 60);
            let mut findings = Vec::new();
            if let Some(a) = allowed
                && cumulative > a
            {
                findings.push(format!(
                    "escalates {cumulative} min after the trigger; the policy allows {a} min (delay {} min)",
                    rule.delay_min
                ));
            }
            if rule.targets.is_empty() {
                findings.push("no target: nobody is notified at this level".to_string());
            }
            for t in &rule.targets {
                if t.kind.starts_with("schedule")
                    && let Some(c) = coverage.iter().find(|c| c.schedule_id == t.id)
                    && !c.gaps.is_empty()
                {
                    findings.push(format!(
                        "its schedule `{}` has {} gap(s) in the period ({} uncovered)",
                        t.label(),
                        c.gaps.len(),
                        format_duration(c.period_s - c.covered_s)
                    ));
                }
            }
            out.push(Conformance {
                policy: p.name.clone(),
                level: Some(k + 1),
                delay_min: Some(rule.delay_min),
                cumulative_min: Some(cumulative),
                allowed_min: allowed,
                targets: rule
                    .targets
                    .iter()
                    .map(|t| format!("{} ({})", t.label(), t.kind.trim_end_matches("_reference")))
                    .collect::<Vec<_>>()
                    .join("; "),
                findings,
            });
        }
    }
    out
}

/// One change of the admin trail.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminChange {
    pub record: AuditRecord,
    /// `user`, `schedule`, `escalation_policy`, `service`, `team`, `integration` …
    pub resource_type: String,
    /// What changed, in words (`team_role: observer → manager`, `members − John Doe`).
    pub changes: String,
    /// `api_token`, `on_call_target_deleted`, `role_change`.
    pub flags: Vec<&'static str>,
}

fn value_text(v: &Option<serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => "∅".to_string(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

impl AdminChange {
    /// The changed object's name: `details.resource`, else `root_resource`.
    pub fn resource(&self) -> &str {
        self.record
            .resource
            .as_ref()
            .unwrap_or(&self.record.root_resource)
            .label()
    }
}

/// Describes and flags one record.
pub fn admin_change(record: &AuditRecord) -> AdminChange {
    let resource = record.resource.as_ref().unwrap_or(&record.root_resource);
    let resource_type = resource.kind.trim_end_matches("_reference").to_string();
    let mut parts = Vec::new();
    for f in &record.fields {
        parts.push(match (&f.before_value, &f.value) {
            (None, v) => format!("{}: {}", f.name, value_text(v)),
            (b, v) => format!("{}: {} → {}", f.name, value_text(b), value_text(v)),
        });
    }
    for r in &record.references {
        for a in &r.added {
            parts.push(format!("{} + {}", r.name, a.label()));
        }
        for d in &r.removed {
            parts.push(format!("{} − {}", r.name, d.label()));
        }
    }
    let mut flags = Vec::new();
    let by_token = record.method.kind == "api_token"
        || record.actors.iter().any(|a| a.kind == "api_key_reference");
    if by_token {
        flags.push("api_token");
    }
    let on_call_kinds = ["schedule", "escalation_policy", "user"];
    let deletes_target = (record.action == "delete"
        && on_call_kinds.contains(&resource_type.as_str()))
        || record.references.iter().any(|r| {
            !r.removed.is_empty()
                && (r.name.contains("target") || r.name == "users" || r.name.contains("layer"))
                && ["schedule", "escalation_policy"].contains(&resource_type.as_str())
        });
    if deletes_target {
        flags.push("on_call_target_deleted");
    }
    if record.fields.iter().any(|f| f.name.contains("role")) {
        flags.push("role_change");
    }
    AdminChange {
        record: record.clone(),
        resource_type,
        changes: parts.join("; "),
        flags,
    }
}

/// Days of the period (organisation zone) that no audit-record file spans: a file spans
/// from its earliest to its latest record's local day.
pub fn uncovered_days(
    files: &[Vec<&AuditRecord>],
    from: NaiveDate,
    to: NaiveDate,
    zone: Tz,
) -> Vec<(NaiveDate, NaiveDate)> {
    let mut covered = BTreeSet::new();
    for records in files {
        let days: Vec<NaiveDate> = records
            .iter()
            .map(|r| r.execution_time.with_timezone(&zone).date_naive())
            .collect();
        if let (Some(a), Some(b)) = (days.iter().min(), days.iter().max()) {
            let mut d = *a;
            while d <= *b {
                covered.insert(d);
                d = match d.succ_opt() {
                    Some(x) => x,
                    None => break,
                };
            }
        }
    }
    let mut out: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    let mut d = from;
    while d <= to {
        if !covered.contains(&d) {
            match out.last_mut() {
                Some(last) if last.1.succ_opt() == Some(d) => last.1 = d,
                _ => out.push((d, d)),
            }
        }
        d = match d.succ_opt() {
            Some(x) => x,
            None => break,
        };
    }
    out
}

/// An incident whose escalation count disagrees with the policy's levels.
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationCheck {
    /// Incidents with escalation counts in the export, in the period.
    pub with_counts: usize,
    /// Of those: escalated at least once.
    pub escalated: usize,
    /// Of those: escalated by timeout at least once.
    pub by_timeout: usize,
    /// (incident index, expected timeout escalations, exported).
    pub too_few: Vec<(usize, i64, i64)>,
}

/// Everything this module found.
#[derive(Debug, Clone, Default)]
pub struct OnCallEvidence {
    /// Whether any configuration export was supplied, by kind.
    pub has_schedules: bool,
    pub has_policies: bool,
    pub has_audit: bool,
    pub coverage: Vec<Coverage>,
    pub loads: Vec<(String, Load)>,
    pub conformance: Vec<Conformance>,
    /// Services seen on incidents of the period without an escalation policy.
    pub services_without_policy: Vec<String>,
    pub escalation: Option<EscalationCheck>,
    pub changes: Vec<AdminChange>,
    pub audit_gaps: Vec<(NaiveDate, NaiveDate)>,
    pub exceptions: Vec<Exception>,
    /// (input file index, items used, items outside the period), for the reconciliation.
    pub file_counts: Vec<FileRows>,
}

impl OnCallEvidence {
    /// Non-conformities of the escalation policies: findings per policy and level, and
    /// services with incidents but no escalation policy.
    pub fn nonconformities(&self) -> usize {
        self.conformance
            .iter()
            .map(|c| c.findings.len())
            .sum::<usize>()
            + self.services_without_policy.len()
    }

    /// The results: on-call coverage of first-level schedules (24/7, no gap), escalation
    /// policies conforming to the levels, and audit records for every day of the period;
    /// each only when its export was supplied.
    pub fn results(&self) -> Vec<ResultRow> {
        let mut out = Vec::new();
        let all = crate::metrics::ALL.to_string();
        if self.has_schedules {
            let first: Vec<&Coverage> = self.coverage.iter().filter(|c| c.first_level).collect();
            let covered: i64 = first.iter().map(|c| c.covered_s).sum();
            let period: i64 = first.iter().map(|c| c.period_s).sum();
            let gaps: usize = first.iter().map(|c| c.gaps.len()).sum();
            let pct = if period == 0 {
                0.0
            } else {
                100.0 * covered as f64 / period as f64
            };
            out.push(ResultRow {
                area: Area::Oncall,
                subject: all.clone(),
                measure: "coverage_pct",
                value: if first.is_empty() {
                    String::new()
                } else {
                    fmt_pct(Some(pct))
                },
                target: "100.00".to_string(),
                verdict: if first.is_empty() {
                    Verdict::NotJudged
                } else {
                    Verdict::from_bool(gaps == 0)
                },
                text: format!(
                    "On-call coverage of first-level schedules: {pct:.2} % ({gaps} gap{})",
                    if gaps == 1 { "" } else { "s" }
                ),
                target_text: "24/7, no gap".to_string(),
            });
        }
        if self.has_policies {
            let nonconformities = self.nonconformities();
            let policies = self.conformance.iter().filter(|c| c.level.is_none());
            let conforming = policies
                .clone()
                .filter(|c| {
                    self.conformance
                        .iter()
                        .filter(|x| x.policy == c.policy)
                        .all(|x| x.findings.is_empty())
                })
                .count();
            out.push(ResultRow {
                area: Area::Escalation,
                subject: all.clone(),
                measure: "nonconformities",
                value: nonconformities.to_string(),
                target: "0".to_string(),
                verdict: Verdict::from_bool(nonconformities == 0),
                text: format!(
                    "Escalation policies conforming to the levels: {conforming} of {} ({nonconformities} non-conformit{})",
                    policies.count(),
                    if nonconformities == 1 { "y" } else { "ies" }
                ),
                target_text: "every policy".to_string(),
            });
        }
        if self.has_audit {
            let by_token = self
                .changes
                .iter()
                .filter(|c| c.flags.contains(&"api_token"))
                .count();
            let deletions = self
                .changes
                .iter()
                .filter(|c| c.flags.contains(&"on_call_target_deleted"))
                .count();
            let days: i64 = self
                .audit_gaps
                .iter()
                .map(|(a, b)| (*b - *a).num_days() + 1)
                .sum();
            out.push(ResultRow {
                area: Area::AuditTrail,
                subject: all,
                measure: "days_without_records",
                value: days.to_string(),
                target: "0".to_string(),
                verdict: Verdict::from_bool(self.audit_gaps.is_empty()),
                text: format!(
                    "Admin changes in the period: {} ({by_token} by API token, {deletions} deleting on-call targets); {days} day(s) without audit records",
                    self.changes.len()
                ),
                target_text: "every day evidenced".to_string(),
            });
        }
        out
    }
}

fn rfc3339_in(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn exception(kind: ExceptionKind, detail: String) -> Exception {
    Exception {
        incident_number: None,
        incident_id: None,
        severity: None,
        kind,
        detail,
        facts: None,
    }
}

/// Computes coverage, conformance and the change trail.
pub fn assess(ingested: &Ingested, metrics: &Metrics, policy: &Policy) -> OnCallEvidence {
    let zone = policy.timezone;
    let window = period_window(metrics, zone);
    let mut schedules: Vec<&Schedule> = Vec::new();
    let mut policies: Vec<&EscalationPolicy> = Vec::new();
    let mut overrides: Vec<&read::Override> = Vec::new();
    let mut oncalls: Vec<&read::OnCall> = Vec::new();
    let mut audit_files: Vec<Vec<&AuditRecord>> = Vec::new();
    for export in &ingested.config {
        match export {
            Export::Schedules(s) => schedules.extend(s),
            Export::EscalationPolicies(p) => policies.extend(p),
            Export::Overrides(o) => overrides.extend(o),
            Export::Oncalls(o) => oncalls.extend(o),
            Export::AuditRecords(r) => audit_files.push(r.iter().collect()),
        }
    }
    let mut ev = OnCallEvidence {
        has_schedules: !schedules.is_empty() || !oncalls.is_empty(),
        has_policies: !policies.is_empty(),
        has_audit: !audit_files.is_empty(),
        ..OnCallEvidence::default()
    };
    let first_level: BTreeSet<&str> = policies
        .iter()
        .filter_map(|p| p.rules.first())
        .flat_map(|r| r.targets.iter())
        .filter(|t| t.kind.starts_with("schedule"))
        .map(|t| t.id.as_str())
        .collect();

    // Coverage: exported schedules (the pages of one schedule, e.g. one file per month,
    // taken together; repeated entries count once); else on-calls at level 1.
    let mut seen = BTreeSet::new();
    for s in &schedules {
        if !seen.insert(s.id.clone()) {
            continue;
        }
        let pages: Vec<&&Schedule> = schedules.iter().filter(|x| x.id == s.id).collect();
        let gather = |pick: fn(&Schedule) -> &Vec<Entry>| {
            let mut seen_entries = BTreeSet::new();
            let mut all: Vec<Entry> = Vec::new();
            for p in &pages {
                for e in pick(p) {
                    if seen_entries.insert((e.start, e.end, e.user.id.clone())) {
                        all.push(e.clone());
                    }
                }
            }
            all
        };
        let final_entries = gather(|s| &s.final_entries);
        let layer_entries = gather(|s| &s.layer_entries);
        let mut ov = gather(|s| &s.override_entries);
        let zone_s = s
            .time_zone
            .as_deref()
            .and_then(parse_timezone)
            .unwrap_or(zone);
        // Overrides from `/overrides` files (which do not name their schedule) count when
        // there is one schedule.
        let single = schedules.iter().all(|x| x.id == s.id);
        for o in &overrides {
            let e = &o.entry;
            let dup = ov
                .iter()
                .any(|x| x.start == e.start && x.end == e.end && x.user.id == e.user.id);
            if !dup && single {
                ov.push(e.clone());
            }
        }
        ev.coverage.push(coverage_of(
            &s.name,
            &s.id,
            zone_s,
            first_level.is_empty() || first_level.contains(s.id.as_str()),
            &final_entries,
            &layer_entries,
            &ov,
            window,
        ));
    }
    let mut by_schedule: BTreeMap<(String, String), Vec<Entry>> = BTreeMap::new();
    for o in oncalls.iter().filter(|o| o.level == 1) {
        let Some(sref) = &o.schedule else { continue };
        if seen.contains(&sref.id) {
            continue;
        }
        by_schedule
            .entry((sref.id.clone(), sref.label().to_string()))
            .or_default()
            .push(Entry {
                start: o.start.unwrap_or_else(|| window.0.fixed_offset()),
                end: o.end,
                user: o.user.clone(),
                source: o.source,
            });
    }
    for ((id, name), entries) in by_schedule {
        ev.coverage.push(coverage_of(
            &name,
            &id,
            zone,
            first_level.is_empty() || first_level.contains(id.as_str()),
            &entries,
            &[],
            &[],
            window,
        ));
    }
    for c in &ev.coverage {
        for l in load(c, policy) {
            ev.loads.push((c.schedule.clone(), l));
        }
        if !c.first_level {
            continue;
        }
        for g in &c.gaps {
            ev.exceptions.push(exception(
                ExceptionKind::OncallGap,
                format!(
                    "schedule `{}`: nobody on call from {} to {} ({})",
                    c.schedule,
                    rfc3339_in(g.0, c.zone),
                    rfc3339_in(g.1, c.zone),
                    format_duration(seconds(g))
                ),
            ));
        }
        for s in c
            .shifts
            .iter()
            .filter(|s| seconds(&s.span) > policy.max_shift_s)
        {
            ev.exceptions.push(exception(
                ExceptionKind::OncallLongShift,
                format!(
                    "schedule `{}`: {} on call from {} to {} ({}), longer than the policy's {}",
                    c.schedule,
                    s.person,
                    rfc3339_in(s.span.0, c.zone),
                    rfc3339_in(s.span.1, c.zone),
                    format_duration(seconds(&s.span)),
                    format_duration(policy.max_shift_s)
                ),
            ));
        }
    }

    // Escalation policies.
    ev.conformance = conformance(&policies, &policy.escalation_levels, &ev.coverage);
    for c in &ev.conformance {
        for f in &c.findings {
            let at = c.level.map_or(String::new(), |l| format!(" level {l}"));
            ev.exceptions.push(exception(
                ExceptionKind::EscalationNonconformity,
                format!("escalation policy `{}`{at}: {f}", c.policy),
            ));
        }
    }
    let mut services_without = BTreeSet::new();
    let mut check = EscalationCheck {
        with_counts: 0,
        escalated: 0,
        by_timeout: 0,
        too_few: Vec::new(),
    };
    for r in &metrics.register {
        let i = &ingested.incidents[r.incident];
        if i.escalation_policy
            .as_deref()
            .is_none_or(|e| e.trim().is_empty())
            && let Some(s) = &i.service
        {
            services_without.insert(s.clone());
        }
        let (Some(total), Some(timeouts)) = (i.escalation_count, i.timeout_escalation_count) else {
            continue;
        };
        // Only high-urgency incidents page and escalate by the clock on every account.
        let pages = i.urgency.as_deref() == Some("high");
        check.with_counts += 1;
        check.escalated += usize::from(total > 0);
        check.by_timeout += usize::from(timeouts > 0);
        // Nobody acknowledged by a level's time: it must have escalated past that level.
        let waited = i.tta_s.or(i.ttr_s).unwrap_or(0.0);
        let expected = policy
            .escalation_levels
            .iter()
            .take(policy.escalation_levels.len().saturating_sub(1))
            .filter(|&&l| waited > l as f64)
            .count() as i64;
        if pages && timeouts < expected {
            check.too_few.push((r.incident, expected, timeouts));
        }
    }
    ev.services_without_policy = services_without.into_iter().collect();
    for s in &ev.services_without_policy {
        ev.exceptions.push(exception(
            ExceptionKind::EscalationNonconformity,
            format!("service `{s}` has incidents in the period without an escalation policy"),
        ));
    }
    let severity_of: std::collections::HashMap<usize, &str, foldhash::fast::RandomState> =
        if check.too_few.is_empty() {
            Default::default()
        } else {
            metrics
                .register
                .iter()
                .map(|r| (r.incident, r.severity.as_str()))
                .collect()
        };
    for &(idx, expected, got) in &check.too_few {
        let i = &ingested.incidents[idx];
        ev.exceptions.push(Exception {
            incident_number: i.number,
            incident_id: Some(i.id.clone()),
            severity: severity_of.get(&idx).map(|s| s.to_string()),
            kind: ExceptionKind::EscalationLate,
            detail: format!(
                "unacknowledged for {}: the policy's levels call for {expected} timeout escalation(s); the export shows {got} (escalation policy `{}`)",
                format_duration(i.tta_s.or(i.ttr_s).unwrap_or(0.0).round() as i64),
                i.escalation_policy.as_deref().unwrap_or("none")
            ),
            facts: None,
        });
    }
    if check.with_counts > 0 {
        ev.escalation = Some(check);
    }

    // The admin change trail.
    let (from, to) = (metrics.period.from, metrics.period.to);
    let mut changes: Vec<AdminChange> = audit_files
        .iter()
        .flatten()
        .filter(|r| {
            let d = r.execution_time.with_timezone(&zone).date_naive();
            d >= from && d <= to
        })
        .map(|r| admin_change(r))
        .collect();
    changes.sort_by(|a, b| {
        (a.record.execution_time, &a.record.id).cmp(&(b.record.execution_time, &b.record.id))
    });
    changes.dedup_by(|a, b| a.record.id == b.record.id && !a.record.id.is_empty());
    for c in changes
        .iter()
        .filter(|c| c.flags.contains(&"on_call_target_deleted"))
    {
        ev.exceptions.push(exception(
            ExceptionKind::OnCallTargetDeleted,
            format!(
                "{} {} `{}` by {} ({}) at {}: {}",
                c.record.action,
                c.resource_type,
                c.resource(),
                actor(&c.record),
                method(&c.record),
                c.record
                    .execution_time
                    .with_timezone(&Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                if c.changes.is_empty() {
                    "no details"
                } else {
                    &c.changes
                }
            ),
        ));
    }
    ev.changes = changes;
    if ev.has_audit {
        ev.audit_gaps = uncovered_days(&audit_files, from, to, zone);
        for (a, b) in &ev.audit_gaps {
            ev.exceptions.push(exception(
                ExceptionKind::AuditTrailGap,
                format!(
                    "no audit-record file spans {}{} ({} day{}): changes then are not evidenced",
                    a,
                    if a == b {
                        String::new()
                    } else {
                        format!(" to {b}")
                    },
                    (*b - *a).num_days() + 1,
                    if a == b { "" } else { "s" }
                ),
            ));
        }
    }

    // Reconciliation: rows of each configuration file used or outside the period.
    let outside_entry = |e: &Entry| entry_span(e, window).is_none();
    for export in &ingested.config {
        let (file, used, outside) = match export {
            Export::Schedules(list) => {
                let all: Vec<&Entry> = list.iter().flat_map(|s| &s.final_entries).collect();
                let out = all.iter().filter(|e| outside_entry(e)).count();
                (list.first().map(|s| s.file), all.len() - out, out)
            }
            Export::Overrides(list) => {
                let out = list.iter().filter(|o| outside_entry(&o.entry)).count();
                (
                    list.first().map(|o| o.entry.source.file),
                    list.len() - out,
                    out,
                )
            }
            Export::Oncalls(list) => {
                let out = list
                    .iter()
                    .filter(|o| {
                        o.start.is_some_and(|s| s.with_timezone(&Utc) >= window.1)
                            || o.end.is_some_and(|e| e.with_timezone(&Utc) <= window.0)
                    })
                    .count();
                (list.first().map(|o| o.source.file), list.len() - out, out)
            }
            Export::EscalationPolicies(list) => {
                (list.first().map(|p| p.source.file), list.len(), 0)
            }
            Export::AuditRecords(list) => {
                let out = list
                    .iter()
                    .filter(|r| {
                        let d = r.execution_time.with_timezone(&zone).date_naive();
                        d < from || d > to
                    })
                    .count();
                (list.first().map(|r| r.source.file), list.len() - out, out)
            }
        };
        if let Some(file) = file {
            ev.file_counts.push(FileRows {
                file,
                used: used as u64,
                outside: outside as u64,
            });
        }
    }
    ev
}

/// Who made a change: the actors' names and kinds, or `unknown actor`.
pub fn actor(r: &AuditRecord) -> String {
    if r.actors.is_empty() {
        return "unknown actor".to_string();
    }
    r.actors
        .iter()
        .map(|a: &Reference| format!("{} ({})", a.label(), a.kind.trim_end_matches("_reference")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How: `browser`, `api_token …3usr`, `identity_provider`.
pub fn method(r: &AuditRecord) -> String {
    match &r.method.truncated_token {
        Some(t) => format!("{} …{t}", r.method.kind),
        None => r.method.kind.clone(),
    }
}

/// Month (`YYYY-MM`, organisation zone) of a change.
pub fn month_of(c: &AdminChange, zone: Tz) -> String {
    let d = c.record.execution_time.with_timezone(&zone);
    format!("{:04}-{:02}", d.year(), d.month())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn union_and_gaps_to_the_second() {
        let covered = union(vec![
            (t("2026-01-01T10:00:00Z"), t("2026-01-01T12:00:00Z")),
            (t("2026-01-01T11:00:00Z"), t("2026-01-01T13:00:00Z")),
            (t("2026-01-01T13:00:00Z"), t("2026-01-01T14:00:00Z")),
            (t("2026-01-01T15:00:01Z"), t("2026-01-01T16:00:00Z")),
        ]);
        assert_eq!(
            covered,
            vec![
                (t("2026-01-01T10:00:00Z"), t("2026-01-01T14:00:00Z")),
                (t("2026-01-01T15:00:01Z"), t("2026-01-01T16:00:00Z")),
            ]
        );
        let window = (t("2026-01-01T09:00:00Z"), t("2026-01-01T17:00:00Z"));
        assert_eq!(
            gaps(window, &covered),
            vec![
                (t("2026-01-01T09:00:00Z"), t("2026-01-01T10:00:00Z")),
                (t("2026-01-01T14:00:00Z"), t("2026-01-01T15:00:01Z")),
                (t("2026-01-01T16:00:00Z"), t("2026-01-01T17:00:00Z")),
            ]
        );
    }

    #[test]
    fn conformance_against_cumulative_levels() {
        let rule = |d: i64, n: usize| read::Rule {
            delay_min: d,
            targets: (0..n)
                .map(|k| Reference {
                    id: format!("U{k}"),
                    kind: "user_reference".into(),
                    summary: format!("User {k}"),
                })
                .collect(),
        };
        let ep = |rules| EscalationPolicy {
            id: "P".into(),
            name: "EP".into(),
            num_loops: 0,
            rules,
            services: vec![Reference::default()],
            source: crate::model::SourceRef {
                file: 0,
                line: 1,
                start: 0,
                end: 0,
            },
        };
        let levels = [300, 600, 1200, 1800];
        // 5 + 5 + 10 + 10: exactly at every level.
        let ok = conformance(
            &[&ep(vec![rule(5, 1), rule(5, 1), rule(10, 1), rule(10, 1)])],
            &levels,
            &[],
        );
        assert!(ok.iter().all(|c| c.findings.is_empty()), "{ok:?}");
        // 30 min at level 1, two levels, the second with no target.
        let bad = conformance(&[&ep(vec![rule(30, 1), rule(5, 0)])], &levels, &[]);
        let findings: Vec<String> = bad.iter().flat_map(|c| c.findings.clone()).collect();
        assert_eq!(
            findings,
            vec![
                "too few levels: 2 of the 4 the policy requires".to_string(),
                "escalates 30 min after the trigger; the policy allows 5 min (delay 30 min)"
                    .to_string(),
                "escalates 35 min after the trigger; the policy allows 10 min (delay 5 min)"
                    .to_string(),
                "no target: nobody is notified at this level".to_string(),
            ]
        );
    }
}
