/*!
Postmortem evidence: which incidents needed a postmortem, which documents cover them, whether
each was on time and complete. `content` reads one document's words (ingest's
`postmortem_text` got them out of the file); this module joins documents to incidents under
the policy.
*/

pub(crate) mod content;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::ingest::Ingested;
use crate::ingest::postmortem_text::{Document, FOLDER, Readout, Unreadable};
use crate::metrics::results::{Area, ResultRow, Verdict, pct_text};
use crate::metrics::{Metrics, RegisterEntry};
use crate::model::text::{format_duration, rfc3339};
use crate::model::time::local_date;
use crate::model::{BreachFacts, Exception, ExceptionKind};
use crate::policy::deadline::next_business_day_deadline;
use crate::policy::{Policy, Target};
use content::{Contents, Ref, WrittenDate};

/// What one document says, once linked.
#[derive(Debug, Clone)]
pub(crate) struct DocumentView {
    pub name: String,
    pub sha256: String,
    /// Incidents it is linked to (indexes into `Ingested::incidents`), by number.
    pub linked: Vec<usize>,
    /// Why it is linked to nothing: `orphan` or `ambiguous`, with the words for people.
    pub unlinked: Option<(ExceptionKind, String)>,
    /// Why it could not be read.
    pub unreadable: Option<Unreadable>,
    /// Its date and where the date came from (`text:Published`, `pdf:CreationDate`).
    pub date: Option<(WrittenDate, String)>,
    /// A labelled date that could not be read (`Date: 04/03/2026 is ambiguous`).
    pub date_note: Option<String>,
    /// Headings and actions, for a readable document.
    pub contents: Option<Contents>,
}

impl DocumentView {
    /// `text:Published`, `pdf:CreationDate` or `none`.
    pub(crate) fn date_source(&self) -> &str {
        self.date.as_ref().map_or("none", |(_, s)| s.as_str())
    }

    /// Whether the document has every section and every action has an owner and a due date.
    pub(crate) fn complete(&self) -> Option<bool> {
        let c = self.contents.as_ref()?;
        Some(c.missing().is_empty() && !c.actions.is_empty() && c.incomplete_actions().count() == 0)
    }
}

/// The postmortem check for one incident (or one unlinked document): a `postmortems.csv` row.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// Index into `Ingested::incidents`; `None` for a document linked to no incident.
    pub incident: Option<usize>,
    /// The incident's severity (or `unclassified`).
    pub severity: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Resolution + the severity's `postmortem_within`; `None` when not required or unresolved.
    pub due_by: Option<DateTime<Utc>>,
    /// Index into `Postmortems::documents`.
    pub document: Option<usize>,
    /// On time against `due_by`; `None` when it cannot be judged.
    pub on_time: Option<bool>,
    /// ok, late, incomplete, late+incomplete, undated, unreadable, missing, not_due,
    /// open, not_required, orphan, ambiguous.
    pub status: String,
}

/// Postmortem coverage for one severity with a `postmortem_within` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Coverage {
    pub severity: String,
    pub within: Target,
    /// Incidents in the period past their postmortem deadline at the as-of time.
    pub required: usize,
    /// Of those: with at least one linked document.
    pub present: usize,
    /// Of those: with a readable document dated by the deadline.
    pub on_time: usize,
    /// Of those: with a readable document that has every section and complete actions.
    pub complete: usize,
    /// Of those: both on time and complete.
    pub on_time_and_complete: usize,
    /// Incidents of the severity not yet due (unresolved, or the deadline is after as-of).
    pub not_yet_due: usize,
}

/// Everything the postmortem check found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Postmortems {
    /// Documents in name order.
    pub documents: Vec<DocumentView>,
    /// `postmortems.csv` rows: incidents in register order, then unlinked documents.
    pub rows: Vec<Row>,
    /// One row per severity with a postmortem rule, in policy order.
    pub coverage: Vec<Coverage>,
    /// Missing, late, undated, incomplete, unreadable, orphan and ambiguous.
    pub exceptions: Vec<Exception>,
}

impl Postmortems {
    /// One result per severity with a postmortem rule: met when every incident that needed
    /// a postmortem by the as-of time has one on time and complete.
    pub(crate) fn results(&self) -> Vec<ResultRow> {
        let supplied = !self.documents.is_empty();
        self.coverage
            .iter()
            .map(|c| {
                let judged = supplied && c.required > 0;
                let text = if !supplied {
                    format!(
                        "{} postmortems: not checked (no postmortem documents in the inputs)",
                        c.severity
                    )
                } else if c.required == 0 {
                    format!("{} postmortems: none due in the period", c.severity)
                } else {
                    format!(
                        "{} postmortems: {} of {} present, {} on time, {} complete",
                        c.severity, c.present, c.required, c.on_time, c.complete
                    )
                };
                ResultRow {
                    area: Area::Postmortems,
                    subject: c.severity.clone(),
                    measure: "on_time_and_complete_pct",
                    value: if judged {
                        pct_text(c.on_time_and_complete, c.required)
                    } else {
                        String::new()
                    },
                    target: "100.00".to_string(),
                    verdict: if judged {
                        Verdict::from_bool(c.on_time_and_complete == c.required)
                    } else {
                        Verdict::NotJudged
                    },
                    text,
                    target_text: format!("every incident, within {} after resolution", c.within),
                }
            })
            .collect()
    }
}

/// The deadline for a postmortem: resolution plus the rule.
pub(crate) fn due_by(
    resolved: DateTime<Utc>,
    within: Target,
    zone: Tz,
    policy: &Policy,
) -> DateTime<Utc> {
    match within {
        Target::Within(s) => resolved + chrono::Duration::seconds(s),
        Target::NextBusinessDay => {
            next_business_day_deadline(resolved, zone, &policy.business_hours)
        }
        // The policy refuses business hours for postmortems; were one given, it would run
        // on the business clock like the other targets.
        Target::BusinessHours(h) => crate::policy::deadline::business_hours_deadline(
            resolved,
            h,
            zone,
            &policy.business_hours,
        ),
    }
}

/// Whether a document dated `date` meets `due`: a date alone counts when it is on or before
/// the due date (local, organisation zone); an instant when it is at or before `due`.
pub(crate) fn on_time(date: &WrittenDate, due: DateTime<Utc>, zone: Tz) -> bool {
    match date {
        WrittenDate::Day(d) => *d <= local_date(due, zone),
        WrittenDate::Instant(t) => t.with_timezone(&Utc) <= due,
    }
}

/// Incidents by number and by id, for resolving references.
struct Lookup<'a> {
    by_number: HashMap<i64, Vec<usize>, foldhash::fast::RandomState>,
    by_id: HashMap<&'a str, usize, foldhash::fast::RandomState>,
    ingested: &'a Ingested,
}

impl<'a> Lookup<'a> {
    fn new(ingested: &'a Ingested) -> Self {
        let mut by_number: HashMap<i64, Vec<usize>, _> = HashMap::default();
        let mut by_id: HashMap<&str, usize, _> = HashMap::default();
        for (i, incident) in ingested.incidents.iter().enumerate() {
            if let Some(n) = incident.number {
                by_number.entry(n).or_default().push(i);
            }
            by_id.insert(incident.id.as_str(), i);
        }
        Self {
            by_number,
            by_id,
            ingested,
        }
    }

    fn is_id(&self, token: &str) -> bool {
        self.by_id.contains_key(token)
    }

    /// The incidents refs resolve to, the refs that resolve to nothing, and an ambiguity.
    fn resolve(&self, refs: &[Ref]) -> (BTreeSet<usize>, Vec<String>, Option<String>) {
        let mut found = BTreeSet::new();
        let mut unknown = Vec::new();
        let mut ambiguity = None;
        for r in refs {
            match r {
                Ref::Number(n) => match self.by_number.get(n).map(Vec::as_slice) {
                    None | Some([]) => unknown.push(r.to_string()),
                    Some([one]) => {
                        found.insert(*one);
                    }
                    Some(many) => {
                        // Numbers repeat across systems (PagerDuty's incident numbers,
                        // Opsgenie's `tinyId`): each is named with its system.
                        let ids: Vec<String> = many
                            .iter()
                            .map(|&i| {
                                let inc = &self.ingested.incidents[i];
                                format!("{} {}", inc.system.title(), inc.id)
                            })
                            .collect();
                        ambiguity.get_or_insert(format!(
                            "{r} is the number of {} incidents ({})",
                            many.len(),
                            ids.join(", ")
                        ));
                    }
                },
                Ref::Id(id) => match self.by_id.get(id.as_str()) {
                    Some(&i) => {
                        found.insert(i);
                    }
                    None => unknown.push(r.to_string()),
                },
            }
        }
        (found, unknown, ambiguity)
    }

    fn names(&self, set: &BTreeSet<usize>) -> String {
        set.iter()
            .map(|&i| {
                let inc = &self.ingested.incidents[i];
                inc.number
                    .map_or_else(|| inc.id.clone(), |n| format!("#{n}"))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Links a document: the file name's references first; else the text's labelled references;
/// else its bare `#1234`s. A name and a text that name different incidents, a name that
/// names nothing known while the text does, and a number shared by two incidents are
/// ambiguities: reported, not linked.
fn link(
    stem: &str,
    text: Option<&str>,
    lookup: &Lookup<'_>,
) -> Result<BTreeSet<usize>, (ExceptionKind, String)> {
    let is_id = |t: &str| lookup.is_id(t);
    let name = content::name_refs(stem, &is_id);
    let (labelled, bare) = text.map_or_else(Default::default, |t| content::text_refs(t, &is_id));
    let ambiguous = |why: String| Err((ExceptionKind::PostmortemAmbiguous, why));
    let (from_name, unknown_name, amb_name) = lookup.resolve(&name);
    let (from_text, _, amb_text) = lookup.resolve(&labelled);
    if let Some(why) = amb_name {
        return ambiguous(format!("the file name's {why}"));
    }
    if !name.is_empty() {
        if from_name.is_empty() {
            if !from_text.is_empty() {
                return ambiguous(format!(
                    "the file name names {}, which no export holds, while the text names {}",
                    unknown_name.join(", "),
                    lookup.names(&from_text)
                ));
            }
            return Err((
                ExceptionKind::PostmortemOrphan,
                format!(
                    "the file name names {}, which no export holds",
                    unknown_name.join(", ")
                ),
            ));
        }
        if !from_text.is_empty() && from_text.is_disjoint(&from_name) {
            return ambiguous(format!(
                "the file name names {} but the text names {}",
                lookup.names(&from_name),
                lookup.names(&from_text)
            ));
        }
        return Ok(from_name);
    }
    if let Some(why) = amb_text {
        return ambiguous(format!("the text's {why}"));
    }
    if !from_text.is_empty() {
        return Ok(from_text);
    }
    let (from_bare, _, amb_bare) = lookup.resolve(&bare);
    if let Some(why) = amb_bare {
        return ambiguous(format!("the text's {why}"));
    }
    if !from_bare.is_empty() {
        return Ok(from_bare);
    }
    let named: Vec<String> = labelled.iter().chain(&bare).map(Ref::to_string).collect();
    Err((
        ExceptionKind::PostmortemOrphan,
        if named.is_empty() {
            "neither the file name nor the text names an incident (`PM-1234.pdf`, `Incident #1234`, an incident URL)".to_string()
        } else {
            format!("it names {}, which no export holds", named.join(", "))
        },
    ))
}

/// Reads one document's links, date and contents.
fn view(doc: &Document, lookup: &Lookup<'_>, zone: Tz) -> DocumentView {
    let base = doc.name.rsplit('/').next().unwrap_or(&doc.name);
    let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
    let (text, pdf_created, unreadable) = match &doc.readout {
        Readout::Text { text, pdf_created } => (Some(text.as_str()), pdf_created.as_deref(), None),
        Readout::Unreadable(u) => (None, None, Some(u.clone())),
    };
    let (linked, unlinked) = match link(stem, text, lookup) {
        Ok(set) => (set.into_iter().collect(), None),
        Err(e) => (Vec::new(), Some(e)),
    };
    let mut date = None;
    let mut date_note = None;
    if let Some(text) = text {
        match content::labelled_date(text, zone) {
            Ok(Some((d, label))) => date = Some((d, format!("text:{label}"))),
            Ok(None) => {}
            Err((label, problem)) => {
                date_note = Some(match problem {
                    content::DateProblem::Ambiguous(s) => {
                        format!("`{label}: {s}` is ambiguous (day and month both 12 or under)")
                    }
                    content::DateProblem::Unrecognised => {
                        format!("the `{label}:` line holds no date auditpack can read")
                    }
                })
            }
        }
    }
    if date.is_none()
        && let Some(t) = pdf_created.and_then(|s| DateTime::parse_from_rfc3339(s).ok())
    {
        date = Some((WrittenDate::Instant(t), "pdf:CreationDate".to_string()));
    }
    DocumentView {
        name: doc.name.clone(),
        sha256: doc.sha256.clone(),
        linked,
        unlinked,
        unreadable,
        date,
        date_note,
        contents: text.map(|t| content::contents(t, zone)),
    }
}

fn exception(
    ingested: &Ingested,
    incident: Option<usize>,
    severity: Option<&str>,
    kind: ExceptionKind,
    detail: String,
    facts: Option<BreachFacts>,
) -> Exception {
    let inc = incident.map(|i| &ingested.incidents[i]);
    Exception {
        incident_number: inc.and_then(|i| i.number),
        incident_id: inc.map(|i| i.id.clone()),
        severity: severity.map(str::to_string),
        kind,
        detail,
        facts,
        cause: None,
    }
}

/// What a readable document lacks, for an `incomplete` exception.
pub(crate) fn shortfalls(c: &Contents) -> Vec<String> {
    let mut out = Vec::new();
    let missing: Vec<&str> = c.missing().iter().map(|s| s.name()).collect();
    if !missing.is_empty() {
        out.push(format!("missing sections: {}", missing.join(", ")));
    }
    if c.actions.is_empty() && !c.missing().contains(&content::Section::CorrectiveActions) {
        out.push("the corrective-actions section lists no actions".to_string());
    }
    let lacking: Vec<String> = c
        .incomplete_actions()
        .map(|a| {
            let text: String = a.text.chars().take(60).collect();
            format!("“{text}” ({})", a.lacks().unwrap_or_default())
        })
        .collect();
    if !lacking.is_empty() {
        out.push(format!(
            "{} of {} corrective actions lack an owner or a due date: {}",
            lacking.len(),
            c.actions.len(),
            lacking.join("; ")
        ));
    }
    out
}

/// What judging one incident's postmortems needs.
struct Judging<'a> {
    ingested: &'a Ingested,
    views: &'a [DocumentView],
    policy: &'a Policy,
    as_of: DateTime<Utc>,
    /// Whether any document was supplied (without, the rule is not checked).
    supplied: bool,
}

/// The row of `postmortems.csv` for one linked document: `ok`, `unreadable`, or its problems
/// (`late`, `undated`, `incomplete`, joined with `+`).
fn document_status(v: &DocumentView, on_time: Option<bool>) -> String {
    if v.unreadable.is_some() {
        return "unreadable".to_string();
    }
    let mut problems = Vec::new();
    match on_time {
        Some(false) => problems.push("late"),
        None if v.date.is_none() => problems.push("undated"),
        _ => {}
    }
    if v.complete() == Some(false) {
        problems.push("incomplete");
    }
    if problems.is_empty() {
        "ok".to_string()
    } else {
        problems.join("+")
    }
}

/// The `postmortem_late` or `postmortem_undated` exception of an incident none of whose
/// readable documents is dated by `due`.
fn lateness_exception(
    j: &Judging<'_>,
    incident: usize,
    severity: &str,
    within: &str,
    due: DateTime<Utc>,
    readable: &[&DocumentView],
) -> Exception {
    let zone = j.policy.timezone;
    let dated = readable.iter().find(|v| v.date.is_some());
    let Some((v, (date, source))) = dated.and_then(|v| Some((v, v.date.as_ref()?))) else {
        let v = readable[0];
        let note = v.date_note.clone().unwrap_or_else(|| {
            "no labelled date (`Date:`, `Published:` …) and no PDF creation date".to_string()
        });
        return exception(
            j.ingested,
            Some(incident),
            Some(severity),
            ExceptionKind::PostmortemUndated,
            format!(
                "`{}`: {note}; whether it met the deadline ({within}, due {}) cannot be shown",
                v.name,
                rfc3339(due)
            ),
            None,
        );
    };
    let late_by = match date {
        WrittenDate::Instant(t) => (t.with_timezone(&Utc) - due).num_seconds(),
        WrittenDate::Day(day) => (*day - local_date(due, zone)).num_days() * 86_400,
    };
    exception(
        j.ingested,
        Some(incident),
        Some(severity),
        ExceptionKind::PostmortemLate,
        format!(
            "`{}` is dated {} ({source}); {within}, due {}",
            v.name,
            date.render(),
            rfc3339(due)
        ),
        Some(BreachFacts {
            measured: format!("{} in `{}` ({source})", date.render(), v.name),
            target: format!("{within}, due {}", rfc3339(due)),
            missed_by: format_duration(late_by.max(0)),
        }),
    )
}

/// One incident that needs a postmortem: its coverage counts, its rows and exceptions.
fn judge_incident(
    j: &Judging<'_>,
    entry: &RegisterEntry,
    linked: &[usize],
    rule: Target,
    cov: &mut Coverage,
    rows: &mut Vec<Row>,
    exceptions: &mut Vec<Exception>,
) {
    let (i, severity) = (entry.incident, entry.severity.as_str());
    let zone = j.policy.timezone;
    let resolved = j.ingested.incidents[i].resolved();
    let due = resolved.map(|t| due_by(t, rule, zone, j.policy));
    let is_due = due.is_some_and(|d| d <= j.as_of);
    let readable: Vec<&DocumentView> = linked
        .iter()
        .map(|&d| &j.views[d])
        .filter(|v| v.unreadable.is_none())
        .collect();
    let any_on_time = due.is_some_and(|due| {
        readable
            .iter()
            .any(|v| v.date.as_ref().is_some_and(|(d, _)| on_time(d, due, zone)))
    });
    let any_complete = readable.iter().any(|v| v.complete() == Some(true));
    if is_due {
        cov.required += 1;
        cov.present += usize::from(!linked.is_empty());
        cov.on_time += usize::from(any_on_time);
        cov.complete += usize::from(any_complete);
        cov.on_time_and_complete += usize::from(any_on_time && any_complete);
    } else {
        cov.not_yet_due += 1;
    }
    let within = format!("{rule} after resolution");
    let row = |document: Option<usize>, on_time: Option<bool>, status: String| Row {
        incident: Some(i),
        severity: Some(severity.to_string()),
        resolved_at: resolved,
        due_by: due,
        document,
        on_time,
        status,
    };
    if linked.is_empty() {
        let status = match (resolved, is_due) {
            (None, _) => "open",
            (Some(_), false) => "not_due",
            (Some(_), true) if !j.supplied => "not_checked",
            (Some(_), true) => "missing",
        };
        if let Some(due) = due.filter(|_| is_due && j.supplied) {
            exceptions.push(exception(
                j.ingested,
                Some(i),
                Some(severity),
                ExceptionKind::PostmortemMissing,
                format!(
                    "no postmortem document names this incident; {within}, due {}, overdue by {} at the as-of time",
                    rfc3339(due),
                    format_duration((j.as_of - due).num_seconds())
                ),
                None,
            ));
        }
        rows.push(row(None, None, status.to_string()));
        return;
    }
    for &d in linked {
        let v = &j.views[d];
        let judged = due
            .zip(v.date.as_ref())
            .map(|(due, (date, _))| on_time(date, due, zone));
        rows.push(row(Some(d), judged, document_status(v, judged)));
    }
    // Incident-level exceptions: judged on the best document.
    let created = j.ingested.incidents[i].created;
    for &d in linked {
        let v = &j.views[d];
        // Written before the incident happened: the date or the link is wrong.
        if let Some((date, source)) = &v.date {
            let before = match date {
                WrittenDate::Day(day) => *day < local_date(created, zone),
                WrittenDate::Instant(t) => t.with_timezone(&Utc) < created,
            };
            if before {
                exceptions.push(exception(
                    j.ingested,
                    Some(i),
                    Some(severity),
                    ExceptionKind::PostmortemBeforeIncident,
                    format!(
                        "`{}` is dated {} ({source}), before the incident was created ({}): the date or the link to this incident is wrong",
                        v.name,
                        date.render(),
                        rfc3339(created)
                    ),
                    None,
                ));
            }
        }
        if let Some(u) = &v.unreadable {
            exceptions.push(exception(
                j.ingested,
                Some(i),
                Some(severity),
                ExceptionKind::PostmortemUnreadable,
                format!("`{}` is unreadable: {}", v.name, u.describe()),
                None,
            ));
        }
    }
    if readable.is_empty() {
        return;
    }
    if let Some(due) = due.filter(|_| !any_on_time) {
        exceptions.push(lateness_exception(j, i, severity, &within, due, &readable));
    }
    if !any_complete {
        let v = readable[0];
        let lacks = v.contents.as_ref().map(shortfalls).unwrap_or_default();
        exceptions.push(exception(
            j.ingested,
            Some(i),
            Some(severity),
            ExceptionKind::PostmortemIncomplete,
            format!("`{}`: {}", v.name, lacks.join("; ")),
            None,
        ));
    }
}

/// Documents that cover no incident of the period: an orphan or ambiguous exception and a
/// row each.
fn unlinked_documents(
    views: &[DocumentView],
    in_period: &BTreeSet<usize>,
    lookup: Option<&Lookup<'_>>,
    ingested: &Ingested,
) -> (Vec<Row>, Vec<Exception>) {
    let mut rows = Vec::new();
    let mut exceptions = Vec::new();
    for (d, v) in views.iter().enumerate() {
        if v.linked.iter().any(|i| in_period.contains(i)) {
            continue;
        }
        let (kind, why) = match &v.unlinked {
            Some(k) => k.clone(),
            None => (
                ExceptionKind::PostmortemOrphan,
                format!(
                    "it names {}, outside the period",
                    lookup
                        .map(|l| l.names(&v.linked.iter().copied().collect()))
                        .unwrap_or_default()
                ),
            ),
        };
        let mut detail = format!("`{}`: {why}", v.name);
        if let Some(u) = &v.unreadable {
            detail.push_str(&format!("; unreadable: {}", u.describe()));
        }
        exceptions.push(exception(ingested, None, None, kind, detail, None));
        rows.push(Row {
            incident: None,
            severity: None,
            resolved_at: None,
            due_by: None,
            document: Some(d),
            on_time: None,
            status: kind_status(kind).to_string(),
        });
    }
    (rows, exceptions)
}

/// Checks the postmortem rule for every incident in the period. `documents` in name order.
/// With no document at all (no `postmortems/` folder), the rule is not checked: rows say
/// `not_checked` and one exception says so, instead of one `missing` per incident.
pub(crate) fn assess(
    documents: &[Document],
    ingested: &Ingested,
    metrics: &Metrics,
    policy: &Policy,
) -> Postmortems {
    let zone = policy.timezone;
    // Indexing every incident costs a second at a million; only documents need it.
    let lookup = (!documents.is_empty()).then(|| Lookup::new(ingested));
    let views: Vec<DocumentView> = match &lookup {
        Some(lookup) => documents.iter().map(|d| view(d, lookup, zone)).collect(),
        None => Vec::new(),
    };
    let mut docs_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (d, v) in views.iter().enumerate() {
        for &i in &v.linked {
            docs_of.entry(i).or_default().push(d);
        }
    }
    let rules: HashMap<&str, Target> = policy
        .severities
        .iter()
        .filter_map(|s| Some((s.name.as_str(), s.postmortem_within?)))
        .collect();
    let mut coverage: Vec<Coverage> = policy
        .severities
        .iter()
        .filter_map(|s| {
            Some(Coverage {
                severity: s.name.clone(),
                within: s.postmortem_within?,
                required: 0,
                present: 0,
                on_time: 0,
                complete: 0,
                on_time_and_complete: 0,
                not_yet_due: 0,
            })
        })
        .collect();
    let judging = Judging {
        ingested,
        views: &views,
        policy,
        as_of: metrics.as_of,
        supplied: !documents.is_empty(),
    };
    let mut rows = Vec::new();
    let mut exceptions = Vec::new();
    let mut in_period = BTreeSet::new();
    for entry in &metrics.register {
        let i = entry.incident;
        in_period.insert(i);
        let linked = docs_of.get(&i).map(Vec::as_slice).unwrap_or_default();
        let Some(&rule) = rules.get(entry.severity.as_str()) else {
            // Not required: listed only when a document covers it.
            for &d in linked {
                rows.push(Row {
                    incident: Some(i),
                    severity: Some(entry.severity.clone()),
                    resolved_at: ingested.incidents[i].resolved(),
                    due_by: None,
                    document: Some(d),
                    on_time: None,
                    status: "not_required".to_string(),
                });
            }
            continue;
        };
        let cov = coverage
            .iter_mut()
            .find(|c| c.severity == entry.severity)
            .expect("coverage has a row for every severity with a rule");
        judge_incident(
            &judging,
            entry,
            linked,
            rule,
            cov,
            &mut rows,
            &mut exceptions,
        );
    }
    let required: usize = coverage.iter().map(|c| c.required).sum();
    if documents.is_empty() && required > 0 {
        exceptions.push(exception(
            ingested,
            None,
            None,
            ExceptionKind::PostmortemMissing,
            format!(
                "no postmortem documents in the inputs (a `{FOLDER}/` folder of PDF, Markdown or text files): {required} incidents needed a postmortem by the as-of time and none was checked"
            ),
            None,
        ));
    }
    let (more_rows, more_exceptions) =
        unlinked_documents(&views, &in_period, lookup.as_ref(), ingested);
    rows.extend(more_rows);
    exceptions.extend(more_exceptions);
    Postmortems {
        documents: views,
        rows,
        coverage,
        exceptions,
    }
}

fn kind_status(kind: ExceptionKind) -> &'static str {
    match kind {
        ExceptionKind::PostmortemAmbiguous => "ambiguous",
        _ => "orphan",
    }
}
