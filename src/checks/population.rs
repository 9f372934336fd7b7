//! Whether the exports are the whole population: what each export says it covers (its
//! stated filters), whether every listing's pages are all there (`more`, cursors,
//! offsets), whether the stated date ranges cover the period, the extraction record, and
//! PagerDuty's own totals against the incidents the exports hold. Reads what ingest kept of
//! each page's envelope; opens nothing.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::ingest::Ingested;
use crate::ingest::timestamp::parse_timestamp;
use crate::metrics::Metrics;
use crate::metrics::results::{Area, ResultRow, Verdict};
use crate::model::population::{Aggregate, Extraction, Page};
use crate::model::text::{fmt_secs, rfc3339};
use crate::model::time::local_instant;
use crate::model::{Exception, ExceptionKind, FileRows, Format, Incident, System};
use crate::policy::Policy;

/// PagerDuty's REST API serves no item past this offset (`offset + limit` ≤ 10,000).
pub(crate) const REST_OFFSET_CEILING: u64 = 10_000;

/// How far our mean may be from PagerDuty's (both in seconds) and still agree: PagerDuty
/// gives whole seconds.
pub(crate) const MEAN_TOLERANCE_S: f64 = 1.0;

/// A stated creation range: its start and end, either open.
pub(crate) type StatedRange = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// What one export says it covers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FileScope {
    /// Index into `Ingested::files`.
    pub file: usize,
    /// `key=value;…` of the filters its pages state (empty: none stated).
    pub scope: String,
    /// The creation range each page states, when every page states one.
    pub ranges: Option<Vec<StatedRange>>,
}

/// One line of the population table: a total PagerDuty gave beside ours.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Comparison {
    /// Where PagerDuty's figure comes from (`file:line`).
    pub source: String,
    /// The window and filters, in words.
    pub window: String,
    /// `total_incident_count`, `mean_seconds_to_first_ack`, … or `pagerduty_count`.
    pub measure: &'static str,
    pub pagerduty: String,
    pub ours: String,
    /// `agrees`, `differs`, `not compared` or `informative`.
    pub status: &'static str,
    /// Why it was not compared, or how it differs.
    pub note: String,
}

/// One system's part of the population: its records created in the period and the dates
/// they span.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SystemSpan {
    pub system: System,
    /// Records of the period (used, excluded or unclassified; not rejected rows).
    pub incidents: usize,
    /// The first and last creation time among them.
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    /// The longest stretch between two consecutive records of this system (seconds).
    pub longest_quiet_s: i64,
}

impl SystemSpan {
    /// `Opsgenie: 120 alerts created 2026-01-02 to 2026-06-14`, dates in `zone`.
    pub(crate) fn sentence(&self, zone: Tz) -> String {
        let date = |t| crate::model::time::local_date(t, zone);
        format!(
            "{}: {} {}{} created {} to {}",
            self.system.title(),
            self.incidents,
            self.system.record_word(),
            if self.incidents == 1 { "" } else { "s" },
            date(self.first),
            date(self.last)
        )
    }
}

/// The population checks' findings.
#[derive(Debug, Default)]
pub(crate) struct PopulationEvidence {
    /// Each system's records of the period and the dates they span, PagerDuty first; only
    /// systems with records.
    pub systems: Vec<SystemSpan>,
    /// Whether a stretch of the period is held by no system's records (`period_not_covered`
    /// of `systems`).
    pub held_by_neither: bool,
    /// What each export (incident exports and configuration exports) states it covers, in
    /// file order.
    pub scopes: Vec<FileScope>,
    /// Whether the exports' stated creation ranges cover the period: `None` when some
    /// incident export states none.
    pub period_covered: Option<bool>,
    /// The extraction record, when the folder has one.
    pub extraction: Option<Extraction>,
    /// PagerDuty's totals beside ours.
    pub comparisons: Vec<Comparison>,
    /// Incidents of the period that were rejected, per severity (`unclassified` when none
    /// matches, `unknown` when the row states neither priority nor urgency).
    pub rejected_by_severity: BTreeMap<String, usize>,
    /// Every paging problem and cut, period gap, late extraction and disagreement.
    pub exceptions: Vec<Exception>,
    /// Rows of the aggregate-metrics files and the extraction record, all used.
    pub file_counts: Vec<FileRows>,
}

impl PopulationEvidence {
    /// The filters file `n` states (`key=value;…`), empty when none.
    pub(crate) fn scope_of(&self, n: usize) -> &str {
        self.scopes
            .iter()
            .find(|s| s.file == n)
            .map_or("", |s| s.scope.as_str())
    }

    /// Each system's part in words (`Opsgenie: 731 alerts created …`) when any record is
    /// not PagerDuty's (a move off Opsgenie); `None` for PagerDuty alone.
    pub(crate) fn systems_held(&self, zone: Tz) -> Option<Vec<String>> {
        self.systems
            .iter()
            .any(|s| s.system != System::Pagerduty)
            .then(|| self.systems.iter().map(|s| s.sentence(zone)).collect())
    }

    /// Incidents of the period that were rejected.
    pub(crate) fn rejected_incidents(&self) -> usize {
        self.rejected_by_severity.values().sum()
    }

    /// Listings with pages missing or cut, the ingest's cut files included.
    fn problems(&self, metrics: &Metrics) -> usize {
        self.exceptions
            .iter()
            .chain(&metrics.exceptions)
            .filter(|e| {
                matches!(
                    e.kind,
                    ExceptionKind::IncompleteExport | ExceptionKind::TruncatedExport
                )
            })
            .count()
    }

    /// Whether nothing is missing from a listing and nothing was cut.
    pub(crate) fn exports_complete(&self, metrics: &Metrics) -> bool {
        self.problems(metrics) == 0
    }

    /// `population` rows of `results.csv`: the exports complete (always), PagerDuty's totals
    /// agreeing (when there are any to compare).
    pub(crate) fn results(&self, metrics: &Metrics) -> Vec<ResultRow> {
        let problems = self.problems(metrics);
        let mut out = vec![ResultRow {
            area: Area::Population,
            subject: crate::metrics::ALL.to_string(),
            measure: "exports_complete",
            value: problems.to_string(),
            target: "0".to_string(),
            verdict: Verdict::from_bool(problems == 0),
            text: match problems {
                0 => "Every export listing complete (no page missing, nothing cut)".to_string(),
                n => format!("Exports complete: {n} problems (pages missing, or a listing cut)"),
            },
            target_text: "no page missing, nothing cut".to_string(),
        }];
        let compared: Vec<&Comparison> = self
            .comparisons
            .iter()
            .filter(|c| matches!(c.status, "agrees" | "differs"))
            .collect();
        if !compared.is_empty() {
            let differ = compared.iter().filter(|c| c.status == "differs").count();
            out.push(ResultRow {
                area: Area::Population,
                subject: crate::metrics::ALL.to_string(),
                measure: "pagerduty_totals_agree",
                value: differ.to_string(),
                target: "0".to_string(),
                verdict: Verdict::from_bool(differ == 0),
                text: format!(
                    "PagerDuty's own totals against the exports: {} of {} agree",
                    compared.len() - differ,
                    compared.len()
                ),
                target_text: "counts equal, means within 1 s".to_string(),
            });
        }
        out
    }
}

fn exception(kind: ExceptionKind, detail: String) -> Exception {
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

/// Runs the population checks.
pub(crate) fn assess(
    ingested: &Ingested,
    metrics: &Metrics,
    policy: &Policy,
) -> PopulationEvidence {
    let mut out = PopulationEvidence {
        scopes: scopes(ingested, policy.input_timezone),
        extraction: ingested.extraction.as_ref().map(|(_, e)| e.clone()),
        ..PopulationEvidence::default()
    };
    out.exceptions.extend(paging(ingested));
    let (covered, gap) = coverage(&out.scopes, ingested, metrics, policy.timezone);
    out.period_covered = covered;
    out.exceptions.extend(gap);
    let (systems, uncovered) = systems(ingested, metrics, policy.timezone);
    out.systems = systems;
    out.held_by_neither = uncovered.is_some();
    out.exceptions.extend(uncovered);
    out.exceptions.extend(extraction_late(ingested));
    // The incidents the exports hold, once for the totals and the per-severity counts.
    let held = held(ingested);
    let (comparisons, mismatches) = totals(ingested, &held.of(System::Pagerduty));
    out.comparisons = comparisons;
    out.exceptions.extend(mismatches);
    out.rejected_by_severity = rejected_by_severity(&held, metrics, policy);
    for (n, f) in ingested.files.iter().enumerate() {
        if matches!(
            f.format,
            Some(Format::PdAggregateMetrics | Format::ExtractionRecord)
        ) {
            let rejected = ingested
                .rejected
                .iter()
                .filter(|r| r.source.file == n)
                .count() as u64;
            out.file_counts.push(FileRows {
                file: n,
                used: f.rows_read - rejected,
                outside: 0,
            });
        }
    }
    out
}

/// A stated bound as an instant: RFC 3339, a naive time in the page's zone, or a date
/// (its local midnight); `Err` when the text is none of these.
fn bound(text: &str, zone: Tz) -> Result<DateTime<Utc>, ()> {
    if let Ok(t) = parse_timestamp(text, zone) {
        return Ok(t);
    }
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map(|d| local_instant(zone, d.and_hms_opt(0, 0, 0).expect("midnight")))
        .map_err(|_| ())
}

/// The created-at range a page states: Analytics `created_at_start` / `created_at_end`
/// (naive in the page's `time_zone`), REST `since` / `until`. `None` when it states none,
/// or a bound auditpack cannot read (an unread bound is not taken as open).
fn stated_range(page: &Page, zone: Tz) -> Option<StatedRange> {
    let tz = page
        .time_zone
        .as_deref()
        .and_then(crate::ingest::zone_name::zone)
        .unwrap_or(zone);
    let at = |keys: [&str; 2]| -> Result<Option<DateTime<Utc>>, ()> {
        match keys.iter().find_map(|k| page.filters.get(*k)) {
            None => Ok(None),
            Some(v) => bound(v, tz).map(Some),
        }
    };
    let start = at(["created_at_start", "since"]).ok()?;
    let end = at(["created_at_end", "until"]).ok()?;
    (start.is_some() || end.is_some()).then_some((start, end))
}

fn scopes(ingested: &Ingested, zone: Tz) -> Vec<FileScope> {
    ingested
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            f.format.is_some_and(|x| {
                !matches!(x, Format::ExtractionRecord | Format::PdAggregateMetrics)
            })
        })
        .map(|(n, f)| {
            let mut filters = BTreeMap::new();
            for p in &f.pages {
                for (k, v) in &p.filters {
                    let slot: &mut Vec<String> = filters.entry(k.clone()).or_default();
                    if !slot.contains(v) {
                        slot.push(v.clone());
                    }
                }
            }
            let joined: BTreeMap<String, String> =
                filters.into_iter().map(|(k, v)| (k, v.join("|"))).collect();
            let ranges: Option<Vec<StatedRange>> =
                f.pages.iter().map(|p| stated_range(p, zone)).collect();
            FileScope {
                file: n,
                scope: Page::scope_text(&joined),
                ranges: ranges.filter(|r| !r.is_empty()),
            }
        })
        .collect()
}

/// Whether the stated creation ranges of the incident exports, together (their union, page
/// by page), cover the period. A hole of at most a second is none: an end written as
/// `23:59:59` means the end of that day.
fn coverage(
    scopes: &[FileScope],
    ingested: &Ingested,
    metrics: &Metrics,
    zone: Tz,
) -> (Option<bool>, Option<Exception>) {
    let incident_files: Vec<&FileScope> = scopes
        .iter()
        .filter(|s| {
            ingested.files[s.file]
                .format
                .is_some_and(Format::has_incidents)
        })
        .collect();
    if incident_files.is_empty() || incident_files.iter().any(|s| s.ranges.is_none()) {
        return (None, None);
    }
    let p = metrics.period;
    let (from, to) = p.instants(zone);
    let mut ranges: Vec<(DateTime<Utc>, DateTime<Utc>)> = incident_files
        .iter()
        .filter_map(|s| s.ranges.as_ref())
        .flatten()
        .map(|(a, b)| {
            (
                a.unwrap_or(DateTime::<Utc>::MIN_UTC),
                b.unwrap_or(DateTime::<Utc>::MAX_UTC),
            )
        })
        .collect();
    ranges.sort();
    let second = chrono::TimeDelta::seconds(1);
    let mut holes = Vec::new();
    let mut cover = from;
    for (a, b) in ranges {
        if a > cover + second && cover < to {
            holes.push((cover, a.min(to)));
        }
        cover = cover.max(b);
    }
    if cover + second < to {
        holes.push((cover, to));
    }
    if holes.is_empty() {
        return (Some(true), None);
    }
    let spans: Vec<String> = holes
        .iter()
        .map(|(a, b)| format!("{} to {}", rfc3339(*a), rfc3339(*b)))
        .collect();
    (
        Some(false),
        Some(exception(
            ExceptionKind::PeriodNotCovered,
            format!(
                "the incident exports' stated creation ranges leave part of the period {} to {} uncovered: {}; export those dates too",
                p.from,
                p.to,
                spans.join(", ")
            ),
        )),
    )
}

/// The shortest stretch with no record that counts as uncovered when records come from two
/// systems: a day.
const QUIET_FLOOR_S: i64 = 86_400;

/// Which system holds which dates of the period. With records from more than one system (a
/// move off Opsgenie), a stretch of the period where no system has a record, longer than a
/// day and than the longest quiet stretch within any one system, is `period_not_covered`:
/// the exports of the move most likely miss it.
fn systems(
    ingested: &Ingested,
    metrics: &Metrics,
    zone: Tz,
) -> (Vec<SystemSpan>, Option<Exception>) {
    let (from, to) = metrics.period.instants(zone);
    let mut spans = Vec::new();
    for system in System::ALL {
        let mut times: Vec<DateTime<Utc>> = ingested
            .incidents
            .iter()
            .filter(|i| i.system == system && i.created >= from && i.created < to)
            .map(|i| i.created)
            .collect();
        if times.is_empty() {
            continue;
        }
        times.sort_unstable();
        let longest_quiet_s = times
            .windows(2)
            .map(|w| (w[1] - w[0]).num_seconds())
            .max()
            .unwrap_or(0);
        spans.push(SystemSpan {
            system,
            incidents: times.len(),
            first: times[0],
            last: times[times.len() - 1],
            longest_quiet_s,
        });
    }
    if spans.len() < 2 {
        return (spans, None);
    }
    let quiet = spans
        .iter()
        .map(|s| s.longest_quiet_s)
        .max()
        .unwrap_or(0)
        .max(QUIET_FLOOR_S);
    let mut ordered: Vec<(DateTime<Utc>, DateTime<Utc>)> =
        spans.iter().map(|s| (s.first, s.last)).collect();
    ordered.sort();
    let mut holes = Vec::new();
    let mut cover = from;
    for (a, b) in ordered {
        if (a - cover).num_seconds() > quiet {
            holes.push((cover, a));
        }
        cover = cover.max(b);
    }
    if (to - cover).num_seconds() > quiet {
        holes.push((cover, to));
    }
    if holes.is_empty() {
        return (spans, None);
    }
    let text: Vec<String> = holes
        .iter()
        .map(|(a, b)| {
            format!(
                "{} to {} ({})",
                rfc3339(*a),
                rfc3339(*b),
                crate::model::text::words((*b - *a).num_seconds() as f64)
            )
        })
        .collect();
    let held: Vec<String> = spans.iter().map(|s| s.sentence(zone)).collect();
    let detail = format!(
        "no system's export holds a record from {}, longer than any quiet stretch within one system ({} at most): {}; export those dates from the system that was in use",
        text.join(" and from "),
        crate::model::text::words(quiet as f64),
        held.join("; ")
    );
    (
        spans,
        Some(exception(ExceptionKind::PeriodNotCovered, detail)),
    )
}

/// Listings: the pages of one query, by format, stated filters and page size, in any
/// files and in input order.
fn paging(ingested: &Ingested) -> Vec<Exception> {
    type Key = (Format, String, Option<u64>);
    let mut listings: BTreeMap<Key, Vec<(usize, &Page)>> = BTreeMap::new();
    for (n, f) in ingested.files.iter().enumerate() {
        let Some(format) = f.format else { continue };
        if matches!(
            format,
            Format::PdAggregateMetrics | Format::StatuspageIncidents | Format::PdSchedule
        ) {
            continue;
        }
        for p in f.pages.iter().filter(|p| !p.listing.is_empty()) {
            let key = (format, Page::scope_text(&p.filters), p.limit);
            listings.entry(key).or_default().push((n, p));
        }
    }
    let name = |n: usize| ingested.files[n].name.as_str();
    let mut out = Vec::new();
    for ((format, _, _), pages) in &listings {
        match format {
            Format::AnalyticsJson => out.extend(cursors(pages, &name)),
            Format::PdAuditRecords => out.extend(audit_cursors(pages, &name)),
            _ => out.extend(offsets(*format, pages, &name)),
        }
    }
    out
}

/// Analytics cursors: a page that says `more: true` is continued by a page starting after
/// its `last`; a page starting after a cursor follows a page ending there.
fn cursors<'a>(pages: &[(usize, &Page)], name: &dyn Fn(usize) -> &'a str) -> Vec<Exception> {
    let lasts: BTreeSet<&str> = pages
        .iter()
        .filter_map(|(_, p)| p.last.as_deref())
        .collect();
    let afters: BTreeSet<&str> = pages
        .iter()
        .filter_map(|(_, p)| p.starting_after.as_deref())
        .collect();
    let mut out = Vec::new();
    for (n, p) in pages {
        if p.more == Some(true) && !p.last.as_deref().is_some_and(|l| afters.contains(l)) {
            out.push(exception(
                ExceptionKind::IncompleteExport,
                format!(
                    "`{}` line {}: the Analytics page says `more: true`{}, but no page in the inputs starts after it: the pages after it are missing",
                    name(*n),
                    p.line,
                    p.last
                        .as_ref()
                        .map(|l| format!(" (cursor `last` = `{l}`)"))
                        .unwrap_or_default()
                ),
            ));
        }
        if let Some(after) = &p.starting_after
            && !lasts.contains(after.as_str())
        {
            out.push(exception(
                ExceptionKind::IncompleteExport,
                format!(
                    "`{}` line {}: the Analytics page starts after cursor `{after}`, but no page in the inputs ends there: the pages before it are missing",
                    name(*n),
                    p.line
                ),
            ));
        }
    }
    out
}

/// Audit records: pages do not echo the cursor they answered, so a page naming a
/// `next_cursor` must be followed by another page of its file, or be continued in another
/// file whose first page holds no record newer than this page's oldest. A missing middle page
/// of a listing split by month is not visible here; `audit_trail_gap` (days no file spans)
/// catches the span it leaves.
fn audit_cursors<'a>(pages: &[(usize, &Page)], name: &dyn Fn(usize) -> &'a str) -> Vec<Exception> {
    let mut out = Vec::new();
    for (k, (n, p)) in pages.iter().enumerate() {
        if !matches!(p.next_cursor, Some(Some(_))) {
            continue;
        }
        let followed_in_file = pages.get(k + 1).is_some_and(|(m, _)| m == n);
        let continued_elsewhere = pages.iter().enumerate().any(|(j, (m, q))| {
            m != n
                && (j == 0 || pages[j - 1].0 != *m)
                && match (q.newest, p.oldest) {
                    (Some(newest), Some(oldest)) => newest <= oldest,
                    _ => false,
                }
        });
        if !followed_in_file && !continued_elsewhere {
            out.push(exception(
                ExceptionKind::IncompleteExport,
                format!(
                    "`{}` line {}: the page of audit records names a `next_cursor`, and no page in the inputs continues it: the pages after it are missing",
                    name(*n),
                    p.line
                ),
            ));
        }
    }
    out
}

/// Offset paging: a page after the first follows one that ends where it starts (by its items
/// or its `limit`), a page that says `more: true` is followed by one starting where it ends,
/// and a listing that reaches the API's ceiling was cut. Log-entry pages of one incident
/// continue only pages of the same incident (or of several).
fn offsets<'a>(
    format: Format,
    pages: &[(usize, &Page)],
    name: &dyn Fn(usize) -> &'a str,
) -> Vec<Exception> {
    let same_incident = |a: &Page, b: &Page| {
        a.incident.is_none() || b.incident.is_none() || a.incident == b.incident
    };
    let ends = |p: &Page| {
        let start = p.offset.unwrap_or(0);
        [
            start.saturating_add(p.items),
            start.saturating_add(p.limit.unwrap_or(p.items).max(p.items)),
        ]
    };
    let what = format.name();
    let mut out = Vec::new();
    let mut reported = BTreeSet::new();
    for (n, p) in pages {
        let opsgenie = format == Format::OpsgenieAlerts;
        let Some(start) = p.offset else {
            if p.more == Some(true) {
                let detail = match (&p.unreadable_paging, opsgenie) {
                    (Some(why), _) => format!(
                        "`{}` line {}: the Opsgenie page's {why}: where it stands in its listing, and the pages after it, cannot be found",
                        name(*n),
                        p.line
                    ),
                    (None, true) => format!(
                        "`{}` line {}: the Opsgenie page has a `paging.next` link without `offset` and `limit`: the pages after it cannot be found",
                        name(*n),
                        p.line
                    ),
                    (None, false) => format!(
                        "`{}` line {}: the {what} page says `more: true` but states no `offset`: the pages after it cannot be found",
                        name(*n),
                        p.line
                    ),
                };
                out.push(exception(ExceptionKind::IncompleteExport, detail));
            }
            continue;
        };
        // Opsgenie's `last` link names where the listing ends: a page must start there.
        if let Some(last) = p.last_offset
            && !pages.iter().any(|(_, q)| q.offset == Some(last))
            && reported.insert(("last", last))
        {
            out.push(exception(
                ExceptionKind::IncompleteExport,
                format!(
                    "`{}` line {}: the Opsgenie page's `paging.last` link names offset {last}, but no page in the inputs starts there: the last pages are missing",
                    name(*n),
                    p.line
                ),
            ));
        }
        let end = start.saturating_add(p.items);
        if end >= REST_OFFSET_CEILING && format.system() == System::Pagerduty {
            if reported.insert(("cut", end)) {
                out.push(exception(
                    ExceptionKind::TruncatedExport,
                    format!(
                        "`{}` line {}: the {what} listing reaches offset {end}, PagerDuty's REST ceiling of {REST_OFFSET_CEILING}: items after it cannot be listed this way, so the export is possibly truncated; export shorter date ranges",
                        name(*n),
                        p.line
                    ),
                ));
            }
            continue;
        }
        let preceded = start == 0
            || pages.iter().any(|(_, q)| {
                q.offset.is_some_and(|o| o < start)
                    && ends(q).contains(&start)
                    && same_incident(p, q)
            });
        if !preceded && reported.insert(("before", start)) {
            out.push(exception(
                ExceptionKind::IncompleteExport,
                format!(
                    "`{}` line {}: the {what} page starts at offset {start}, but no page in the inputs ends there: the items before it are missing",
                    name(*n),
                    p.line
                ),
            ));
        }
        let continued = pages.iter().any(|(_, q)| {
            q.offset.is_some_and(|o| o > start && ends(p).contains(&o)) && same_incident(p, q)
        });
        if p.more == Some(true) && !continued && reported.insert(("after", end)) {
            let detail = match (opsgenie, p.next_offset) {
                (true, Some(next)) => format!(
                    "`{}` line {}: the Opsgenie page (offset {start}, {} alerts) has a `paging.next` link to offset {next}, but no page in the inputs starts there: the pages after it are missing",
                    name(*n),
                    p.line,
                    p.items
                ),
                _ => format!(
                    "`{}` line {}: the {what} page (offset {start}, {} items) says `more: true`, but no page in the inputs starts at offset {end}: the pages after it are missing",
                    name(*n),
                    p.line,
                    p.items
                ),
            };
            out.push(exception(ExceptionKind::IncompleteExport, detail));
        }
    }
    out
}

/// `extraction_before_data`: the record says the data were taken before a time the data
/// hold.
fn extraction_late(ingested: &Ingested) -> Option<Exception> {
    let (_, record) = ingested.extraction.as_ref()?;
    let at = record.extracted_at?;
    let latest = ingested.latest_event()?;
    (latest > at).then(|| {
        exception(
            ExceptionKind::ExtractionBeforeData,
            format!(
                "the extraction record `{}` says the exports were taken at {}, but the data hold an event at {}: the record is wrong, or the exports were taken later than it says",
                record.file,
                rfc3339(at),
                rfc3339(latest)
            ),
        )
    })
}

/// The incidents the exports hold, for PagerDuty's counts: every incident read (used,
/// excluded, outside the period) once, and every rejected incident row that is no repeat and
/// names no incident read, once per id or number (rows naming neither once per raw text).
struct Held<'a> {
    incidents: Vec<&'a Incident>,
    /// Rejected incident rows not otherwise held.
    rejected: Vec<&'a crate::model::RejectedRow>,
}

impl<'a> Held<'a> {
    /// What one system's exports hold (PagerDuty's totals count PagerDuty's incidents only).
    fn of(&self, system: System) -> Held<'a> {
        Held {
            incidents: self
                .incidents
                .iter()
                .filter(|i| i.system == system)
                .copied()
                .collect(),
            rejected: self
                .rejected
                .iter()
                .filter(|r| r.system == system)
                .copied()
                .collect(),
        }
    }
}

/// The incidents the exports hold: those read, and rejected incident rows that name no
/// incident read (numbers are per system).
fn held(ingested: &Ingested) -> Held<'_> {
    let numbers: BTreeSet<(System, i64)> = ingested
        .incidents
        .iter()
        .filter_map(|i| Some((i.system, i.number?)))
        .collect();
    let ids: BTreeSet<&str> = ingested.incidents.iter().map(|i| i.id.as_str()).collect();
    let mut seen_numbers = BTreeSet::new();
    let mut seen_ids = BTreeSet::new();
    let mut seen_raw = BTreeSet::new();
    let rejected = ingested
        .rejected
        .iter()
        .filter(|r| {
            !r.repeat
                && ingested.files[r.source.file]
                    .format
                    .is_some_and(Format::has_incidents)
        })
        .filter(|r| {
            let id_new = match r.incident_id.as_deref() {
                Some(id) => !ids.contains(id) && seen_ids.insert(id),
                None => true,
            };
            let number_new = match r.incident_number {
                Some(n) => !numbers.contains(&(r.system, n)) && seen_numbers.insert((r.system, n)),
                None => true,
            };
            let named = r.incident_id.is_some() || r.incident_number.is_some();
            id_new && number_new && (named || seen_raw.insert(r.raw.as_str()))
        })
        .collect();
    Held {
        incidents: ingested.incidents.iter().collect(),
        rejected,
    }
}

/// Whether an aggregate's filters other than its window can be applied to incident
/// records: `urgency` and `priority_names` can; any other (team, service ids) only when
/// every incident export states the same filter, so the exports are already so narrowed.
/// The filters of an aggregate that can be applied to incident records.
struct Filter {
    urgency: Option<String>,
    priorities: Option<Vec<String>>,
}

impl Filter {
    fn takes(&self, urgency: Option<&str>, priority: Option<&str>) -> bool {
        self.urgency
            .as_ref()
            .is_none_or(|u| urgency == Some(u.as_str()))
            && self.priorities.as_ref().is_none_or(|ps| {
                priority.is_some_and(|p| ps.contains(&p.trim().to_ascii_lowercase()))
            })
    }

    fn incident(&self, i: &Incident) -> bool {
        self.takes(i.urgency.as_deref(), i.priority.as_deref())
    }

    /// A rejected row: judged by what it states; `None` when a filter asks for what the row
    /// does not state.
    fn row(&self, r: &crate::model::RejectedRow) -> Option<bool> {
        let unknown = (self.urgency.is_some() && r.urgency.is_none())
            || (self.priorities.is_some() && r.priority.is_none());
        (!unknown).then(|| self.takes(r.urgency.as_deref(), r.priority.as_deref()))
    }
}

fn filter_fit(aggregate: &Aggregate, ingested: &Ingested) -> Result<Filter, String> {
    let applied = ["urgency", "priority_names"];
    for (k, v) in aggregate
        .filters
        .iter()
        .filter(|(k, _)| !applied.contains(&k.as_str()))
    {
        let stated_by_all = ingested
            .files
            .iter()
            .filter(|f| {
                f.format
                    .is_some_and(|x| x.has_incidents() && x.system() == System::Pagerduty)
            })
            .all(|f| !f.pages.is_empty() && f.pages.iter().all(|p| p.filters.get(k) == Some(v)));
        if !stated_by_all {
            return Err(format!(
                "PagerDuty's figure is for `{k}={v}`, which the incident records cannot be filtered by and not every export states"
            ));
        }
    }
    Ok(Filter {
        urgency: aggregate
            .filters
            .get("urgency")
            .map(|u| u.to_ascii_lowercase()),
        priorities: aggregate.filters.get("priority_names").map(|v| {
            v.split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .collect()
        }),
    })
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// PagerDuty's totals (aggregate rows, the extraction record's count) against the
/// incidents the exports hold.
fn totals(ingested: &Ingested, held: &Held<'_>) -> (Vec<Comparison>, Vec<Exception>) {
    let mut rows = Vec::new();
    let mut exceptions = Vec::new();
    for a in &ingested.aggregates {
        let source = format!("{}:{}", ingested.files[a.file].name, a.line);
        let filters = Page::scope_text(&a.filters);
        let window = if filters.is_empty() {
            format!("created {}", a.window_text)
        } else {
            format!("created {}; {filters}", a.window_text)
        };
        let row = |measure, pagerduty: String, ours: String, status, note: String| Comparison {
            source: source.clone(),
            window: window.clone(),
            measure,
            pagerduty,
            ours,
            status,
            note,
        };
        let fit = match (a.start, a.end, filter_fit(a, ingested)) {
            (Some(_), Some(_), Ok(fit)) => fit,
            (_, _, Err(why)) => {
                rows.push(row(
                    "total_incident_count",
                    count_text(a.total_incident_count),
                    String::new(),
                    "not compared",
                    why,
                ));
                continue;
            }
            _ => {
                rows.push(row(
                    "total_incident_count",
                    count_text(a.total_incident_count),
                    String::new(),
                    "not compared",
                    "the response states no creation window (`create_range_start` and `create_range_end`)".to_string(),
                ));
                continue;
            }
        };
        let (start, end) = (a.start.expect("matched"), a.end.expect("matched"));
        let inside = |t: DateTime<Utc>| t >= start && t < end;
        let ours: Vec<&Incident> = held
            .incidents
            .iter()
            .copied()
            .filter(|i| inside(i.created) && fit.incident(i))
            .collect();
        // A rejected row without a readable time is in the window when its number lies
        // strictly between numbers of incidents created in it (numbers follow creation).
        let numbers: Vec<i64> = ours.iter().filter_map(|i| i.number).collect();
        let (lo, hi) = (numbers.iter().min().copied(), numbers.iter().max().copied());
        let mut rejected_in = 0usize;
        let mut unplaced = 0usize;
        let mut unfiltered = 0usize;
        for r in &held.rejected {
            let placed = match (r.created, r.incident_number, lo, hi) {
                (Some(t), _, _, _) => Some(inside(t)),
                (None, Some(n), Some(lo), Some(hi)) if n > lo && n < hi => Some(true),
                _ => None,
            };
            match (placed, fit.row(r)) {
                (Some(false), _) | (_, Some(false)) => {}
                (None, _) => unplaced += 1,
                (Some(true), taken) => {
                    rejected_in += 1;
                    if taken.is_none() {
                        unfiltered += 1;
                    }
                }
            }
        }
        let count = ours.len() + rejected_in;
        let mut notes = Vec::new();
        if unfiltered > 0 {
            notes.push(format!(
                "{unfiltered} rejected rows of the window state no urgency or priority and are counted"
            ));
        }
        if unplaced > 0 {
            notes.push(format!(
                "{unplaced} rejected incident rows state no readable creation time or number and could not be placed in the window"
            ));
        }
        let note = notes.join("; ");
        let agrees = a.total_incident_count == Some(count as u64);
        let status = match a.total_incident_count {
            None => "not compared",
            Some(_) if agrees => "agrees",
            Some(_) => "differs",
        };
        if status == "differs" {
            exceptions.push(exception(
                ExceptionKind::AggregateMismatch,
                format!(
                    "`{source}`: PagerDuty counts {} incidents {window}; the exports hold {count} ({} read, {rejected_in} rejected){}",
                    count_text(a.total_incident_count),
                    ours.len(),
                    if note.is_empty() { String::new() } else { format!("; {}", note.trim_end_matches("; ")) }
                ),
            ));
        }
        rows.push(row(
            "total_incident_count",
            count_text(a.total_incident_count),
            count.to_string(),
            status,
            note.clone(),
        ));
        let rejected_any = rejected_in + unplaced;
        let means = [
            (
                "mean_seconds_to_first_ack",
                a.mean_seconds_to_first_ack,
                mean(ours.iter().filter_map(|i| i.tta_s)),
            ),
            (
                "mean_seconds_to_resolve",
                a.mean_seconds_to_resolve,
                mean(ours.iter().filter_map(|i| i.ttr_s)),
            ),
        ];
        for (measure, theirs, mine) in means {
            let Some(theirs) = theirs else { continue };
            let (status, note) = match mine {
                _ if rejected_any > 0 => (
                    "not compared",
                    format!(
                        "{rejected_any} rejected rows of the window have no usable times; PagerDuty's mean includes them"
                    ),
                ),
                None => (
                    "differs",
                    "the exports hold no such time in the window".to_string(),
                ),
                Some(m) if (m - theirs).abs() <= MEAN_TOLERANCE_S => ("agrees", String::new()),
                Some(m) => ("differs", format!("{:.2} s apart", (m - theirs).abs())),
            };
            if status == "differs" {
                exceptions.push(exception(
                    ExceptionKind::AggregateMismatch,
                    format!(
                        "`{source}`: PagerDuty's {measure} for {window} is {} s; the exports give {} s ({note}; tolerance {MEAN_TOLERANCE_S} s)",
                        fmt_secs(Some(theirs)),
                        fmt_secs(mine)
                    ),
                ));
            }
            rows.push(row(
                measure,
                fmt_secs(Some(theirs)),
                fmt_secs(mine),
                status,
                note,
            ));
        }
        for (what, list) in [
            ("first_ack", &a.percentiles_ack),
            ("resolve", &a.percentiles_resolve),
        ] {
            let given: Vec<String> = ["p50", "p75", "p90", "p95"]
                .iter()
                .zip(list.iter())
                .filter_map(|(q, v)| v.map(|v| format!("{q} {}", fmt_secs(Some(v)))))
                .collect();
            if !given.is_empty() {
                rows.push(row(
                    if what == "first_ack" {
                        "percentiles_seconds_to_first_ack"
                    } else {
                        "percentiles_seconds_to_resolve"
                    },
                    given.join(", "),
                    String::new(),
                    "informative",
                    "PagerDuty does not document its percentile method; shown, not compared"
                        .to_string(),
                ));
            }
        }
    }
    if let Some((_, record)) = &ingested.extraction
        && let Some(theirs) = record.pagerduty_count
    {
        let count = held.incidents.len() + held.rejected.len();
        let status = if theirs == count as u64 {
            "agrees"
        } else {
            "differs"
        };
        let source = format!("{} (extraction record)", record.file);
        if status == "differs" {
            exceptions.push(exception(
                ExceptionKind::AggregateMismatch,
                format!(
                    "`{}`: the extraction record says PagerDuty showed {theirs} incidents; the exports hold {count} ({} read, {} rejected)",
                    record.file,
                    held.incidents.len(),
                    held.rejected.len()
                ),
            ));
        }
        rows.push(Comparison {
            source,
            window: match &record.filters {
                Some(f) => format!("the count PagerDuty showed for: {f}"),
                None => "the count PagerDuty showed".to_string(),
            },
            measure: "pagerduty_count",
            pagerduty: theirs.to_string(),
            ours: count.to_string(),
            status,
            note: "every incident the exports hold, in and outside the period".to_string(),
        });
    }
    (rows, exceptions)
}

fn count_text(c: Option<u64>) -> String {
    c.map(|c| c.to_string()).unwrap_or_default()
}

/// Incidents of the period that were rejected, per severity where the row states a
/// priority or urgency the policy matches.
fn rejected_by_severity(
    held: &Held<'_>,
    metrics: &Metrics,
    policy: &Policy,
) -> BTreeMap<String, usize> {
    let p = metrics.period;
    let mut out = BTreeMap::new();
    // A row whose creation time cannot be read counts: it may be of the period.
    let in_period = |t: Option<DateTime<Utc>>| {
        t.is_none_or(|t| {
            let d = crate::model::time::local_date(t, policy.timezone);
            d >= p.from && d <= p.to
        })
    };
    for r in held.rejected.iter().filter(|r| in_period(r.created)) {
        let severity = if r.priority.is_none() && r.urgency.is_none() {
            "unknown".to_string()
        } else {
            match crate::metrics::classify::classify_by(
                r.priority.as_deref(),
                r.urgency.as_deref(),
                r.system,
                policy,
            ) {
                crate::metrics::classify::Classification::Severity(k) => {
                    policy.severities[k].name.clone()
                }
                crate::metrics::classify::Classification::Unclassified(_) => {
                    "unclassified".to_string()
                }
            }
        };
        *out.entry(severity).or_insert(0) += 1;
    }
    out
}
