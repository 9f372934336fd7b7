//! The on-call CSVs: coverage, gaps, load and overrides per schedule, escalation-policy
//! conformance, and the admin change trail. Times keep the schedule's offset (gaps,
//! overrides) or are UTC with milliseconds (audit records, as exported).

use std::io::Write;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{io, writer};
use crate::checks::{Evidence, audit_trail};

fn at(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `oncall_coverage.csv`: one row per schedule.
pub(crate) fn coverage(e: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let o = &e.oncall;
    let mut w = writer(out);
    w.write_record([
        "schedule",
        "covered_s",
        "period_s",
        "covered_pct",
        "gaps",
        "overrides",
        "schedule_id",
        "first_level",
        "handoffs_per_week",
    ])
    .map_err(io)?;
    for c in &o.coverage {
        w.write_record([
            c.schedule.clone(),
            c.covered_s.to_string(),
            c.period_s.to_string(),
            format!("{:.2}", c.covered_pct()),
            c.gaps.len().to_string(),
            c.overrides.len().to_string(),
            c.schedule_id.clone(),
            c.first_level.to_string(),
            format!("{:.2}", c.handoffs_per_week),
        ])
        .map_err(io)?;
    }
    w.flush()
}

/// `oncall_gaps.csv`: every interval with nobody on call, in the schedule's zone.
pub(crate) fn gaps(e: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let o = &e.oncall;
    let mut w = writer(out);
    w.write_record(["schedule", "start", "end", "duration_s"])
        .map_err(io)?;
    for c in &o.coverage {
        for g in &c.gaps {
            w.write_record([
                c.schedule.clone(),
                at(g.0, c.zone),
                at(g.1, c.zone),
                (g.1 - g.0).num_seconds().to_string(),
            ])
            .map_err(io)?;
        }
    }
    w.flush()
}

/// `oncall_load.csv`: shifts and hours per person and schedule.
pub(crate) fn load(e: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let o = &e.oncall;
    let mut w = writer(out);
    w.write_record(["schedule", "person", "shifts", "hours", "off_hours_hours"])
        .map_err(io)?;
    for (schedule, l) in &o.loads {
        w.write_record([
            schedule.clone(),
            l.person.clone(),
            l.shifts.to_string(),
            format!("{:.2}", l.hours),
            format!("{:.2}", l.off_hours_hours),
        ])
        .map_err(io)?;
    }
    w.flush()
}

/// `oncall_overrides.csv`: who was on call instead of whom.
pub(crate) fn overrides(e: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let o = &e.oncall;
    let mut w = writer(out);
    w.write_record([
        "schedule",
        "start",
        "end",
        "duration_s",
        "on_call",
        "replaced",
    ])
    .map_err(io)?;
    for c in &o.coverage {
        for v in &c.overrides {
            w.write_record([
                c.schedule.clone(),
                at(v.span.0, c.zone),
                at(v.span.1, c.zone),
                (v.span.1 - v.span.0).num_seconds().to_string(),
                v.on_call.clone(),
                v.replaced.join("; "),
            ])
            .map_err(io)?;
        }
    }
    w.flush()
}

/// `escalation_conformance.csv`: each policy (level empty), then each of its levels.
pub(crate) fn conformance(e: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let o = &e.escalation;
    let mut w = writer(out);
    w.write_record([
        "escalation_policy",
        "level",
        "delay_min",
        "cumulative_min",
        "allowed_min",
        "targets",
        "conforms",
        "findings",
        "from",
        "to",
        "change",
        "oncall_gaps",
    ])
    .map_err(io)?;
    let n = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    for c in &o.conformance {
        w.write_record([
            c.policy.clone(),
            c.level.map(|l| l.to_string()).unwrap_or_default(),
            n(c.delay_min),
            n(c.cumulative_min),
            n(c.allowed_min),
            c.targets.clone(),
            c.findings.is_empty().to_string(),
            c.findings.join("; "),
            c.from.clone(),
            c.to.clone(),
            c.change.clone(),
            c.gaps.join("; "),
        ])
        .map_err(io)?;
    }
    w.flush()
}

/// `admin_changes.csv`: every audit record of the period, oldest first.
pub(crate) fn admin_changes(e: &Evidence, out: &mut dyn Write) -> std::io::Result<()> {
    let (o, ingested, zone) = (&e.audit_trail, &e.ingested, e.policy.timezone);
    let mut w = writer(out);
    w.write_record([
        "execution_time",
        "month",
        "resource_type",
        "resource",
        "action",
        "actor",
        "method",
        "changes",
        "flags",
        "record_id",
        "source_file",
        "source_line",
    ])
    .map_err(io)?;
    for c in &o.changes {
        let r = &c.record;
        w.write_record([
            r.execution_time
                .with_timezone(&Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            audit_trail::month_of(c, zone),
            c.resource_type.clone(),
            c.resource().to_string(),
            r.action.clone(),
            audit_trail::actor(r),
            audit_trail::method(r),
            c.changes.clone(),
            c.flags.join(" "),
            r.id.clone(),
            ingested.files[r.source.file].name.clone(),
            r.source.line.to_string(),
        ])
        .map_err(io)?;
    }
    w.flush()
}
