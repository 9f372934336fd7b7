/*!
On-call coverage from the PagerDuty schedules, overrides and on-calls: who was on call when,
the gaps with nobody on call, each person's shifts and load, the overrides. Pure: exports,
incidents and the policy in, tables and exceptions out. Definitions: `docs/oncall.md`.
*/

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::ingest::Ingested;
use crate::metrics::Metrics;
use crate::metrics::results::{Area, ResultRow, Verdict};
use crate::model::config::{Entry, Export, OnCall as OnCallRecord, Override, Schedule};
use crate::model::text::{fmt_pct, format_duration};
use crate::model::time::local_instant;
use crate::model::{Exception, ExceptionKind, FileRows};
use crate::policy::{Policy, parse_timezone};

/// A half-open interval of UTC instants.
pub(crate) type Span = (DateTime<Utc>, DateTime<Utc>);

/// Merges overlapping or touching intervals; the result is sorted and disjoint.
pub(crate) fn union(mut spans: Vec<Span>) -> Vec<Span> {
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
pub(crate) fn gaps(window: Span, covered: &[Span]) -> Vec<Span> {
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

pub(crate) fn seconds(s: &Span) -> i64 {
    (s.1 - s.0).num_seconds()
}

pub(crate) fn clip(span: Span, window: Span) -> Option<Span> {
    let a = span.0.max(window.0);
    let b = span.1.min(window.1);
    (a < b).then_some((a, b))
}

/// The audit period as UTC instants: local midnight of `from` to local midnight after `to`.
pub(crate) fn period_window(metrics: &Metrics, zone: Tz) -> Span {
    let midnight = |d: NaiveDate| local_instant(zone, d.and_time(NaiveTime::MIN));
    let end = metrics.period.to.succ_opt().unwrap_or(metrics.period.to);
    (midnight(metrics.period.from), midnight(end))
}

/// Seconds of `span` outside business hours (policy days, hours and holidays, organisation
/// zone).
pub(crate) fn off_hours_seconds(span: Span, policy: &Policy) -> i64 {
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
pub(crate) struct Shift {
    pub person: String,
    pub span: Span,
}

/// Coverage of one schedule over the period.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Coverage {
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
    pub(crate) fn covered_pct(&self) -> f64 {
        if self.period_s == 0 {
            0.0
        } else {
            100.0 * self.covered_s as f64 / self.period_s as f64
        }
    }
}

/// An override: who was on call instead of whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OverrideView {
    pub span: Span,
    pub on_call: String,
    /// The layer users the override displaced, or empty when the layers were not exported.
    pub replaced: Vec<String>,
}

/// Per-person load on one schedule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Load {
    pub person: String,
    pub shifts: usize,
    pub hours: f64,
    pub off_hours_hours: f64,
}

/// Sums each person's shifts.
pub(crate) fn load(c: &Coverage, policy: &Policy) -> Vec<Load> {
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

pub(crate) fn entry_span(e: &Entry, window: Span) -> Option<Span> {
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

/// What the on-call check found.
#[derive(Debug, Clone, Default)]
pub(crate) struct OnCallEvidence {
    /// Whether any schedule or on-call export was supplied.
    pub has_schedules: bool,
    pub coverage: Vec<Coverage>,
    pub loads: Vec<(String, Load)>,
    pub exceptions: Vec<Exception>,
    /// Items used and outside the period per schedule, override and on-call file.
    pub file_counts: Vec<FileRows>,
}

impl OnCallEvidence {
    /// The result: on-call coverage of first-level schedules, 24/7 with no gap; none when no
    /// schedule was exported.
    pub(crate) fn results(&self) -> Vec<ResultRow> {
        if !self.has_schedules {
            return Vec::new();
        }
        let first: Vec<&Coverage> = self.coverage.iter().filter(|c| c.first_level).collect();
        let covered: i64 = first.iter().map(|c| c.covered_s).sum();
        let period: i64 = first.iter().map(|c| c.period_s).sum();
        let gaps: usize = first.iter().map(|c| c.gaps.len()).sum();
        let pct = if period == 0 {
            0.0
        } else {
            100.0 * covered as f64 / period as f64
        };
        vec![ResultRow {
            area: Area::Oncall,
            subject: crate::metrics::ALL.to_string(),
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
        }]
    }
}

/// A span's length in local calendar time of `zone`: from the local start to the local end,
/// as a wall clock on the schedule's wall would show it.
fn local_seconds(span: Span, zone: Tz) -> i64 {
    let local = |t: DateTime<Utc>| t.with_timezone(&zone).naive_local();
    (local(span.1) - local(span.0)).num_seconds()
}

fn rfc3339_in(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// An exception about the configuration, not about one incident.
pub(crate) fn exception(kind: ExceptionKind, detail: String) -> Exception {
    Exception {
        incident_number: None,
        incident_id: None,
        severity: None,
        kind,
        detail,
        facts: None,
        cause: None,
    }
}

/// The ids of the schedules that an escalation policy's first level targets; empty when no
/// policy was exported (every schedule then counts as first-level).
fn first_level_schedules(ingested: &Ingested) -> BTreeSet<&str> {
    ingested
        .config
        .iter()
        .filter_map(|e| match e {
            Export::EscalationPolicies(list) => Some(list),
            _ => None,
        })
        .flatten()
        .filter_map(|p| p.rules.first())
        .flat_map(|r| r.targets.iter())
        .filter(|t| t.kind.starts_with("schedule"))
        .map(|t| t.id.as_str())
        .collect()
}

/// The entries `pick` gives of every page of one schedule (one file per month, say), each
/// entry once.
fn gather(pages: &[&Schedule], pick: fn(&Schedule) -> &Vec<Entry>) -> Vec<Entry> {
    let mut seen = BTreeSet::new();
    let mut all: Vec<Entry> = Vec::new();
    for p in pages {
        for e in pick(p) {
            if seen.insert((e.start, e.end, e.user.id.clone())) {
                all.push(e.clone());
            }
        }
    }
    all
}

/// Coverage of each exported schedule (its pages taken together); overrides from
/// `/overrides` files, which do not name their schedule, count when there is one schedule.
fn schedule_coverage(
    schedules: &[&Schedule],
    overrides: &[&Override],
    first_level: &BTreeSet<&str>,
    zone: Tz,
    window: Span,
) -> Vec<Coverage> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for s in schedules {
        if !seen.insert(s.id.clone()) {
            continue;
        }
        let pages: Vec<&Schedule> = schedules.iter().copied().filter(|x| x.id == s.id).collect();
        let final_entries = gather(&pages, |s| &s.final_entries);
        let layer_entries = gather(&pages, |s| &s.layer_entries);
        let mut ov = gather(&pages, |s| &s.override_entries);
        let zone_s = s
            .time_zone
            .as_deref()
            .and_then(parse_timezone)
            .unwrap_or(zone);
        let single = schedules.iter().all(|x| x.id == s.id);
        for o in overrides {
            let e = &o.entry;
            let dup = ov
                .iter()
                .any(|x| x.start == e.start && x.end == e.end && x.user.id == e.user.id);
            if !dup && single {
                ov.push(e.clone());
            }
        }
        out.push(coverage_of(
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
    out
}

/// Coverage of the schedules known only from level-1 on-calls (not exported themselves).
fn oncall_coverage(
    oncalls: &[&OnCallRecord],
    exported: &[Coverage],
    first_level: &BTreeSet<&str>,
    zone: Tz,
    window: Span,
) -> Vec<Coverage> {
    let mut by_schedule: BTreeMap<(String, String), Vec<Entry>> = BTreeMap::new();
    for o in oncalls.iter().filter(|o| o.level == 1) {
        let Some(sref) = &o.schedule else { continue };
        if exported.iter().any(|c| c.schedule_id == sref.id) {
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
    by_schedule
        .into_iter()
        .map(|((id, name), entries)| {
            coverage_of(
                &name,
                &id,
                zone,
                first_level.is_empty() || first_level.contains(id.as_str()),
                &entries,
                &[],
                &[],
                window,
            )
        })
        .collect()
}

/// The gaps and too-long shifts of the first-level schedules.
fn coverage_exceptions(coverage: &[Coverage], policy: &Policy) -> Vec<Exception> {
    let mut out = Vec::new();
    for c in coverage.iter().filter(|c| c.first_level) {
        for g in &c.gaps {
            out.push(exception(
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
        // In local calendar time: a week across a clock change is 7 days (7 d 1 h by the
        // clock that went back), so it is not too long for a `7d` limit.
        for s in c
            .shifts
            .iter()
            .filter(|s| local_seconds(s.span, c.zone) > policy.max_shift_s)
        {
            out.push(exception(
                ExceptionKind::OncallLongShift,
                format!(
                    "schedule `{}`: {} on call from {} to {} ({}), longer than the policy's {}",
                    c.schedule,
                    s.person,
                    rfc3339_in(s.span.0, c.zone),
                    rfc3339_in(s.span.1, c.zone),
                    format_duration(local_seconds(s.span, c.zone)),
                    format_duration(policy.max_shift_s)
                ),
            ));
        }
    }
    out
}

/// Items of each schedule, override and on-call file used, and outside the period.
fn file_counts(ingested: &Ingested, window: Span) -> Vec<FileRows> {
    let outside_entry = |e: &Entry| entry_span(e, window).is_none();
    let mut out = Vec::new();
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
            Export::EscalationPolicies(_) | Export::AuditRecords(_) => continue,
        };
        if let Some(file) = file {
            out.push(FileRows {
                file,
                used: used as u64,
                outside: outside as u64,
            });
        }
    }
    out
}

/// On-call coverage of every schedule over the period: exported schedules, else level-1
/// on-calls.
pub(crate) fn assess(ingested: &Ingested, metrics: &Metrics, policy: &Policy) -> OnCallEvidence {
    let zone = policy.timezone;
    let window = period_window(metrics, zone);
    let mut schedules: Vec<&Schedule> = Vec::new();
    let mut overrides: Vec<&Override> = Vec::new();
    let mut oncalls: Vec<&OnCallRecord> = Vec::new();
    for export in &ingested.config {
        match export {
            Export::Schedules(s) => schedules.extend(s),
            Export::Overrides(o) => overrides.extend(o),
            Export::Oncalls(o) => oncalls.extend(o),
            Export::EscalationPolicies(_) | Export::AuditRecords(_) => {}
        }
    }
    let first_level = first_level_schedules(ingested);
    let mut coverage = schedule_coverage(&schedules, &overrides, &first_level, zone, window);
    let from_oncalls = oncall_coverage(&oncalls, &coverage, &first_level, zone, window);
    coverage.extend(from_oncalls);
    let loads = coverage
        .iter()
        .flat_map(|c| load(c, policy).into_iter().map(|l| (c.schedule.clone(), l)))
        .collect();
    OnCallEvidence {
        has_schedules: !schedules.is_empty() || !oncalls.is_empty(),
        exceptions: coverage_exceptions(&coverage, policy),
        coverage,
        loads,
        file_counts: file_counts(ingested, window),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn shift_length_is_local_calendar_time() {
        let ny = chrono_tz::America::New_York;
        // Monday 2025-10-27 10:00 EDT to Monday 2025-11-03 10:00 EST: 7 d 1 h = 169 h of
        // elapsed time (the clocks went back on the 2nd), 7 days on the wall: 604,800 s.
        let week = (t("2025-10-27T14:00:00Z"), t("2025-11-03T15:00:00Z"));
        assert_eq!(seconds(&week), 608_400);
        assert_eq!(local_seconds(week, ny), 604_800);
        // Across the spring change (8 March 2026): 6 d 23 h elapsed, 7 d on the wall.
        let spring = (t("2026-03-02T15:00:00Z"), t("2026-03-09T14:00:00Z"));
        assert_eq!(local_seconds(spring, ny), 604_800);
        // One more local hour is longer than 7 days.
        let longer = (t("2025-10-27T14:00:00Z"), t("2025-11-03T16:00:00Z"));
        assert_eq!(local_seconds(longer, ny), 608_400);
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
}
