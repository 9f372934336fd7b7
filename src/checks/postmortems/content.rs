/*!
What a postmortem's words say: the incidents it names, its own date, its sections and its
corrective actions. Pure functions over the file name and the extracted text; the rules are
written out in `docs/postmortems.md`, and each has a test here.
*/

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use regex::Regex;

/// A reference to an incident, as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Ref {
    /// The account-wide incident number (`#1234`, `INC-1234`).
    Number(i64),
    /// The PagerDuty incident id (`Q1ABC23`), from a URL or a token that matches a known id.
    Id(String),
}

impl std::fmt::Display for Ref {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Number(n) => write!(f, "#{n}"),
            Self::Id(id) => f.write_str(id),
        }
    }
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("the pattern is a constant and compiles")
}

/// `PM-1234`, `INC_1234`, `incident-1234`, `#1234` in a file name; the digits may continue
/// as a list (`PM-1234-1240`).
static NAME_PREFIXED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:^|[^a-z0-9])(?:pm|inc|incident|postmortem|post-mortem|pd)[-_ ]?#?(\d+(?:[-_+&,]#?\d+)*)",
    )
});
/// `1234-postmortem`, `1234 checkout outage`: digits that open the name.
static NAME_LEADING: LazyLock<Regex> = LazyLock::new(|| re(r"^#?(\d+)(?:[-_ .]|$)"));
static NAME_DATE: LazyLock<Regex> = LazyLock::new(|| re(r"^\d{4}[-_.]?\d{2}[-_.]?\d{2}\b"));
static NAME_HASH: LazyLock<Regex> = LazyLock::new(|| re(r"#(\d+)"));
/// A year and a sequence number (`2023-001`, `2023_7`): a document numbering, not incidents.
/// The sequence is shorter than four digits or starts with 0, so `1234-1240` (two
/// incidents) and `2023-2030` stay lists.
/// A calendar date with separators (`2025-05-17`), for the part after a prefix.
static SEPARATED_DATE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^(?:19|20)\d{2}[-_.](?:0[1-9]|1[0-2])[-_.](?:0[1-9]|[12]\d|3[01])(?:$|[^0-9])")
});
static YEAR_SEQUENCE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:19|20)\d{2}[-_.](?:0\d*|\d{1,3})(?:$|[^0-9])"));
static DIGITS: LazyLock<Regex> = LazyLock::new(|| re(r"\d+"));

/// `Incident #1234`, `Incidents #1234, #1240 and #1251`, `Incident No. 12`, `INC-1234`.
static TEXT_LABELLED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:(?:incidents?|alerts?)(?:\s+(?:no\.?|number))?\s*:?\s*|inc-)(#?\d+(?:(?:\s*,\s*|\s+and\s+|\s*&\s*|\s*/\s*)#?\d+)*)\b",
    )
});
/// `/incidents/Q1ABC23` in a PagerDuty URL.
static TEXT_URL: LazyLock<Regex> = LazyLock::new(|| re(r"/incidents/([A-Za-z0-9]+)"));
/// A bare `#1234`.
static TEXT_HASH: LazyLock<Regex> = LazyLock::new(|| re(r"(?:^|[^&\w])#(\d+)\b"));
/// Tokens that could be PagerDuty ids; only those matching a known id count.
static TOKEN: LazyLock<Regex> = LazyLock::new(|| re(r"\b[A-Z0-9]{5,20}\b"));
/// Opsgenie alert ids: a UUID, sometimes with `-` and the creation in milliseconds (as in
/// `/alert/detail/<id>/details` links); only those matching a known id count.
static ALERT_ID: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:-\d{10,16})?\b")
});

fn numbers(list: &str, out: &mut Vec<Ref>) {
    for d in DIGITS.find_iter(list) {
        if let Ok(n) = d.as_str().parse::<i64>() {
            out.push(Ref::Number(n));
        }
    }
}

fn known_ids(text: &str, is_id: &dyn Fn(&str) -> bool, out: &mut Vec<Ref>) {
    for t in TOKEN.find_iter(text) {
        let t = t.as_str();
        // A number alone is never read as an id.
        if t.bytes().any(|b| b.is_ascii_alphabetic()) && is_id(t) {
            out.push(Ref::Id(t.to_string()));
        }
    }
    for t in ALERT_ID.find_iter(text) {
        if is_id(t.as_str()) {
            out.push(Ref::Id(t.as_str().to_string()));
        }
    }
}

fn dedup(mut refs: Vec<Ref>) -> Vec<Ref> {
    refs.sort();
    refs.dedup();
    refs
}

/// The incidents a file name names. `stem` is the name without folder or extension;
/// `is_id` says whether a token is a known PagerDuty incident id.
pub(crate) fn name_refs(stem: &str, is_id: &dyn Fn(&str) -> bool) -> Vec<Ref> {
    let mut out = Vec::new();
    for c in NAME_PREFIXED.captures_iter(stem) {
        // `PM2023-001`: the year and sequence of the postmortem itself.
        if !YEAR_SEQUENCE.is_match(&c[1]) && !SEPARATED_DATE.is_match(&c[1]) {
            numbers(&c[1], &mut out);
        }
    }
    // A name that opens with a date (`2025-03-04-search-outage`) or a year and a sequence
    // (`2023-001 …`) does not open with an incident number.
    if !NAME_DATE.is_match(stem)
        && !YEAR_SEQUENCE.is_match(stem)
        && let Some(c) = NAME_LEADING.captures(stem)
    {
        numbers(&c[1], &mut out);
    }
    for c in NAME_HASH.captures_iter(stem) {
        numbers(&c[1], &mut out);
    }
    known_ids(stem, is_id, &mut out);
    dedup(out)
}

/// The incidents a document's text names, in two tiers: labelled references (`Incident
/// #1234`, `INC-1234`, incident URLs, known ids) and bare `#1234`.
pub(crate) fn text_refs(text: &str, is_id: &dyn Fn(&str) -> bool) -> (Vec<Ref>, Vec<Ref>) {
    let mut labelled = Vec::new();
    for c in TEXT_LABELLED.captures_iter(text) {
        numbers(&c[1], &mut labelled);
    }
    for c in TEXT_URL.captures_iter(text) {
        labelled.push(Ref::Id(c[1].to_string()));
    }
    known_ids(text, is_id, &mut labelled);
    let mut bare = Vec::new();
    for c in TEXT_HASH.captures_iter(text) {
        numbers(&c[1], &mut bare);
    }
    (dedup(labelled), dedup(bare))
}

/// A date (and maybe a time) written in a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WrittenDate {
    /// A calendar date only: on time when it is on or before the due date.
    Day(NaiveDate),
    /// An instant (a time with an offset, or local time in the input zone).
    Instant(DateTime<FixedOffset>),
}

impl WrittenDate {
    /// `2026-03-14` or RFC 3339.
    pub(crate) fn render(&self) -> String {
        match self {
            Self::Day(d) => d.format("%Y-%m-%d").to_string(),
            Self::Instant(t) => t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        }
    }
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_number(name: &str) -> Option<u32> {
    let n = name.to_ascii_lowercase();
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    MONTHS
        .iter()
        .zip(full)
        .position(|(short, long)| n == *short || n == long || (n == "sept" && *short == "sep"))
        .map(|i| i as u32 + 1)
}

const MONTH_NAME: &str = r"(January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?";

static ISO: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?)?",
    )
});
static DAY_MONTH_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)^(\d{{1,2}})(?:st|nd|rd|th)?\s+{MONTH_NAME},?\s+(\d{{4}})"
    ))
});
static MONTH_DAY_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)^{MONTH_NAME}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})"
    ))
});
static SLASHED: LazyLock<Regex> = LazyLock::new(|| re(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b"));
static WEEKDAY: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+"));

/// Why a written date could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DateProblem {
    /// `04/03/2026`: day and month cannot be told apart.
    Ambiguous(String),
    /// Not a date in a known format, or not a real day.
    Unrecognised,
}

/// Reads a date at the start of `s`: ISO (`2026-03-14`, `2026-03-14T10:30Z`,
/// `2026-03-14 10:30 UTC`), `14 March 2026`, `March 14, 2026`, `Mar 14 2026`, an optional
/// weekday before any of them, and `dd/mm/yyyy` or `mm/dd/yyyy` only when the day is above 12.
/// A time without an offset is local time in `zone`.
pub(crate) fn parse_date(s: &str, zone: Tz) -> Result<WrittenDate, DateProblem> {
    let s = s.trim_start();
    let s = WEEKDAY.find(s).map_or(s, |m| &s[m.end()..]);
    let num =
        |c: &regex::Captures<'_>, i: usize| -> Option<u32> { c.get(i)?.as_str().parse().ok() };
    if let Some(c) = ISO.captures(s) {
        let year: i32 = c[1].parse().map_err(|_| DateProblem::Unrecognised)?;
        let date = NaiveDate::from_ymd_opt(year, num(&c, 2).unwrap_or(0), num(&c, 3).unwrap_or(0))
            .ok_or(DateProblem::Unrecognised)?;
        let Some(hour) = num(&c, 4) else {
            return Ok(WrittenDate::Day(date));
        };
        let time = NaiveTime::from_hms_opt(hour, num(&c, 5).unwrap_or(0), num(&c, 6).unwrap_or(0))
            .ok_or(DateProblem::Unrecognised)?;
        let local = NaiveDateTime::new(date, time);
        let instant = match c.get(7).map(|m| m.as_str()) {
            Some("Z" | "UTC" | "GMT") => {
                FixedOffset::east_opt(0).map(|o| local.and_local_timezone(o))
            }
            Some(off) => {
                let digits: String = off.chars().filter(char::is_ascii_digit).collect();
                let h: i32 = digits[..2].parse().map_err(|_| DateProblem::Unrecognised)?;
                let m: i32 = digits[2..].parse().map_err(|_| DateProblem::Unrecognised)?;
                let secs = (h * 3600 + m * 60) * if off.starts_with('-') { -1 } else { 1 };
                FixedOffset::east_opt(secs).map(|o| local.and_local_timezone(o))
            }
            None => {
                let t = zone
                    .from_local_datetime(&local)
                    .earliest()
                    .ok_or(DateProblem::Unrecognised)?;
                return Ok(WrittenDate::Instant(t.fixed_offset()));
            }
        };
        return instant
            .and_then(|r| r.single())
            .map(WrittenDate::Instant)
            .ok_or(DateProblem::Unrecognised);
    }
    let ymd = |y: &str, m: Option<u32>, d: Option<u32>| {
        NaiveDate::from_ymd_opt(y.parse().ok()?, m?, d?).map(WrittenDate::Day)
    };
    if let Some(c) = DAY_MONTH_YEAR.captures(s) {
        return ymd(&c[3], month_number(&c[2]), num(&c, 1)).ok_or(DateProblem::Unrecognised);
    }
    if let Some(c) = MONTH_DAY_YEAR.captures(s) {
        return ymd(&c[3], month_number(&c[1]), num(&c, 2)).ok_or(DateProblem::Unrecognised);
    }
    if let Some(c) = SLASHED.captures(s) {
        let (a, b) = (num(&c, 1).unwrap_or(0), num(&c, 2).unwrap_or(0));
        return match (a > 12, b > 12) {
            (true, false) => ymd(&c[3], Some(b), Some(a)),
            (false, true) => ymd(&c[3], Some(a), Some(b)),
            _ if a == b => ymd(&c[3], Some(a), Some(b)),
            _ => return Err(DateProblem::Ambiguous(c[0].to_string())),
        }
        .ok_or(DateProblem::Unrecognised);
    }
    Err(DateProblem::Unrecognised)
}

/// A line that labels the document's own date: `Date:`, `Published:`, `Review date:` …
/// at the start of a line. `Incident date:` does not qualify (it opens with `Incident`).
static DATE_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?im)^[\s*_|>-]*((?:postmortem |post-mortem |document |publication |publish |review |report )?date(?: published| of review| written)?|published(?: on| at)?|reviewed(?: on)?|review held|written(?: on)?|authored(?: on)?|created(?: on)?)[*_]*\s*[:\-–—]\s*[*_]*(.+)$",
    )
});

/// The document's labelled date, with its label as written (`Published`), or the problem
/// with the first labelled date found when none could be read.
pub(crate) fn labelled_date(
    text: &str,
    zone: Tz,
) -> Result<Option<(WrittenDate, String)>, (String, DateProblem)> {
    let mut first_problem = None;
    for c in DATE_LABEL.captures_iter(text) {
        let label = c[1].trim().to_string();
        match parse_date(&c[2], zone) {
            Ok(d) => return Ok(Some((d, label))),
            Err(p) => {
                first_problem.get_or_insert((label, p));
            }
        }
    }
    match first_problem {
        Some(p) => Err(p),
        None => Ok(None),
    }
}

/// The sections a SOC 2 postmortem needs, in the order reports list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Section {
    Timeline,
    RootCause,
    Impact,
    CorrectiveActions,
    PreventiveMeasures,
}

impl Section {
    /// Every section, in order.
    pub(crate) const ALL: [Section; 5] = [
        Self::Timeline,
        Self::RootCause,
        Self::Impact,
        Self::CorrectiveActions,
        Self::PreventiveMeasures,
    ];

    /// The name in `postmortems.csv` and the report.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Timeline => "timeline",
            Self::RootCause => "root cause",
            Self::Impact => "impact",
            Self::CorrectiveActions => "corrective actions",
            Self::PreventiveMeasures => "preventive measures",
        }
    }

    /// Headings that open the section, lower-case, after numbering and punctuation are
    /// removed.
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Self::Timeline => &[
                "timeline",
                "incident timeline",
                "timeline of events",
                "sequence of events",
                "chronology",
                "detailed timeline",
            ],
            Self::RootCause => &[
                "root cause",
                "root causes",
                "root cause analysis",
                "rca",
                "cause",
                "causes",
                "contributing factors",
                "5 whys",
                "five whys",
                "why it happened",
            ],
            Self::Impact => &[
                "impact",
                "customer impact",
                "user impact",
                "business impact",
                "impact assessment",
                "impact and scope",
                "scope and impact",
            ],
            Self::CorrectiveActions => &[
                "corrective actions",
                "corrective action items",
                "corrective action",
                "action items",
                "actions",
                "follow-up actions",
                "follow up actions",
                "follow-ups",
                "remediation",
                "remediation items",
                "remediation actions",
                "next steps",
            ],
            Self::PreventiveMeasures => &[
                "preventive measures",
                "preventative measures",
                "prevention",
                "preventive actions",
                "lessons learned",
                "lessons learnt",
                "learnings",
                "what we learned",
                "what we learnt",
            ],
        }
    }
}

static HEADING_DECORATION: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^(?:#+\s*|\*\*|__|(?:section\s+)?(?:\d+(?:\.\d+)*|[ivx]+|[a-z])[.)]\s+|\d+(?:\.\d+)+\s+)+")
});
static PARENTHETICAL: LazyLock<Regex> = LazyLock::new(|| re(r"\s*\([^)]*\)"));

/// The sections a line opens, if it is a heading: short, no sentence punctuation, and each
/// part (split on `and`, `&`, `/`) a known heading after numbering, `#`, `**` and a trailing
/// colon are removed.
pub(crate) fn heading(line: &str) -> Vec<Section> {
    let l = line.trim();
    if l.is_empty() || l.len() > 80 {
        return Vec::new();
    }
    let l = HEADING_DECORATION
        .replace(&l.to_lowercase(), "")
        .to_string();
    let l = PARENTHETICAL.replace_all(&l, "").to_string();
    let l = l
        .trim()
        .trim_end_matches(['*', '_'])
        .trim_end()
        .trim_end_matches(':')
        .trim_end_matches(['*', '_'])
        .trim()
        .to_string();
    if l.is_empty() || l.ends_with('.') || l.split_whitespace().count() > 8 {
        return Vec::new();
    }
    let synonyms = |part: &str| {
        Section::ALL
            .into_iter()
            .find(|s| s.synonyms().contains(&part.trim()))
    };
    if let Some(s) = synonyms(&l) {
        return vec![s];
    }
    let parts: Vec<&str> = l
        .split([',', '&', '/'])
        .flat_map(|p| p.split(" and "))
        .collect();
    let found: Vec<Section> = parts.iter().filter_map(|p| synonyms(p)).collect();
    if parts.len() > 1 && found.len() == parts.len() {
        found
    } else {
        Vec::new()
    }
}

/// One corrective action as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Action {
    /// The item's text, lines joined.
    pub text: String,
    /// Whether an owner is named (`Owner: …`, `Assignee: …`, `assigned to …`, `@handle`).
    pub has_owner: bool,
    /// Whether a due date is given (`Due: 2026-04-01`, or any readable date in the item).
    pub has_due: bool,
}

impl Action {
    /// What it lacks, for the report: `no owner`, `no due date`, or both.
    pub(crate) fn lacks(&self) -> Option<&'static str> {
        match (self.has_owner, self.has_due) {
            (true, true) => None,
            (false, true) => Some("no owner"),
            (true, false) => Some("no due date"),
            (false, false) => Some("no owner, no due date"),
        }
    }
}

/// What a document's headings and action items show.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Contents {
    /// Sections found, in `Section` order.
    pub found: Vec<Section>,
    /// Corrective actions, in document order.
    pub actions: Vec<Action>,
}

impl Contents {
    /// Required sections not found, in order.
    pub(crate) fn missing(&self) -> Vec<Section> {
        Section::ALL
            .into_iter()
            .filter(|s| !self.found.contains(s))
            .collect()
    }

    /// Actions that lack an owner or a due date.
    pub(crate) fn incomplete_actions(&self) -> impl Iterator<Item = &Action> {
        self.actions.iter().filter(|a| a.lacks().is_some())
    }
}

/// A list item's marker, with or without the item's text on the same line (PDF text puts a
/// typeset bullet on a line of its own).
static BULLET: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*(?:[-*•◦▪–+]|\[[ xX]?\]|\d+[.)]|[a-z][.)])(?:\s+(.*))?$"));
static TABLE_ROW: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*\|(.*)\|\s*$"));
static TABLE_RULE: LazyLock<Regex> = LazyLock::new(|| re(r"^[\s|:-]+$"));
static OWNER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:owners?|owned by|assignee|assigned to|responsible|dri)\b\s*[:\-–]?\s*([@\p{L}][\p{L}'.@_-]*)",
    )
});
static MENTION: LazyLock<Regex> = LazyLock::new(|| re(r"(?:^|\s|\()@[\w.-]+"));

/// `TBD`, `none`, `n/a` …: a value that names nobody.
fn names_nobody(v: &str) -> bool {
    matches!(
        v.trim()
            .trim_end_matches(['.', ','])
            .to_lowercase()
            .as_str(),
        "" | "tbd"
            | "tbc"
            | "tba"
            | "none"
            | "unassigned"
            | "unknown"
            | "n/a"
            | "na"
            | "nobody"
            | "-"
            | "?"
    )
}

/// Whether an item names its owner: a label with a name (not `TBD`, `none` …) or an
/// `@handle`.
fn names_owner(text: &str) -> bool {
    OWNER.captures_iter(text).any(|c| !names_nobody(&c[1])) || MENTION.is_match(text)
}
static DUE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(?:due(?: date| by| on)?|deadline|target date|by)\b\s*[:\-–]?\s*"));

fn has_date(text: &str, zone: Tz) -> bool {
    // Try every position that could start a date.
    text.char_indices()
        .filter(|(i, c)| {
            c.is_ascii_alphanumeric()
                && (*i == 0 || !text[..*i].ends_with(|p: char| p.is_ascii_alphanumeric()))
        })
        .any(|(i, _)| parse_date(&text[i..], zone).is_ok())
}

fn action(text: String, zone: Tz) -> Action {
    let has_owner = names_owner(&text);
    let due_labelled = DUE
        .find_iter(&text)
        .any(|m| parse_date(&text[m.end()..], zone).is_ok());
    let has_due = due_labelled || has_date(&text, zone);
    Action {
        text,
        has_owner,
        has_due,
    }
}

/// Finds the headings and reads the corrective actions: bullet or numbered items (and
/// Markdown table rows) under a corrective-actions heading, up to the next heading.
/// A line that continues an item (not a bullet, not a heading) joins it. In a table, the
/// columns headed `Owner`/`Assignee` and `Due`/`Deadline` decide owner and due date.
pub(crate) fn contents(text: &str, zone: Tz) -> Contents {
    let mut found = Vec::new();
    let mut actions: Vec<Action> = Vec::new();
    // The item being read (bullets may continue on the next lines).
    let mut item: Option<String> = None;
    let mut in_actions = false;
    // Owner and due column indexes once a table header is read.
    let mut table: Option<(Option<usize>, Option<usize>)> = None;
    let finish = |item: &mut Option<String>, actions: &mut Vec<Action>| {
        if let Some(t) = item.take() {
            actions.push(action(t, zone));
        }
    };
    for line in text.lines() {
        let sections = heading(line);
        if !sections.is_empty() {
            finish(&mut item, &mut actions);
            in_actions = sections.contains(&Section::CorrectiveActions);
            table = None;
            found.extend(sections);
            continue;
        }
        if !in_actions || line.trim().is_empty() {
            continue;
        }
        if let Some(c) = TABLE_ROW.captures(line) {
            finish(&mut item, &mut actions);
            if TABLE_RULE.is_match(line) {
                continue;
            }
            let cells: Vec<&str> = c[1].split('|').map(str::trim).collect();
            let Some((owner, due)) = table else {
                let column = |names: &[&str]| {
                    cells
                        .iter()
                        .position(|c| names.iter().any(|n| c.to_lowercase().contains(n)))
                };
                table = Some((
                    column(&["owner", "assignee", "responsible"]),
                    column(&["due", "deadline", "target date"]),
                ));
                continue;
            };
            let cell = |i: Option<usize>| i.and_then(|i| cells.get(i)).copied().unwrap_or("");
            let mut a = action(cells.join(" | "), zone);
            if owner.is_some() {
                a.has_owner = !names_nobody(cell(owner));
            }
            if due.is_some() {
                a.has_due = parse_date(cell(due), zone).is_ok();
            }
            actions.push(a);
        } else if let Some(c) = BULLET.captures(line) {
            finish(&mut item, &mut actions);
            item = Some(c.get(1).map_or("", |m| m.as_str()).trim().to_string());
        } else if let Some(t) = item.as_mut() {
            if !t.is_empty() {
                t.push(' ');
            }
            t.push_str(line.trim());
        } else if !line.trim_end().ends_with(':') {
            item = Some(line.trim().to_string());
        }
    }
    finish(&mut item, &mut actions);
    found.sort();
    found.dedup();
    Contents { found, actions }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(t: &str) -> bool {
        ["Q1ABC23", "PT4KHLK"].contains(&t)
    }

    #[test]
    fn file_names_name_incidents() {
        assert_eq!(name_refs("PM-1234", &ids), vec![Ref::Number(1234)]);
        assert_eq!(
            name_refs("INC-1234 checkout outage", &ids),
            vec![Ref::Number(1234)]
        );
        assert_eq!(name_refs("1234-postmortem", &ids), vec![Ref::Number(1234)]);
        assert_eq!(
            name_refs("PM-1234-1240", &ids),
            vec![Ref::Number(1234), Ref::Number(1240)]
        );
        assert_eq!(
            name_refs("postmortem Q1ABC23", &ids),
            vec![Ref::Id("Q1ABC23".into())]
        );
        // A year, a date or a version in the name is not an incident.
        assert_eq!(name_refs("checkout outage 2026 v2", &ids), vec![]);
        assert_eq!(name_refs("2025-03-04-search-outage", &ids), vec![]);
        assert_eq!(name_refs("20250304 search outage", &ids), vec![]);
        // A year and a sequence number is the postmortem's own numbering.
        assert_eq!(name_refs("PM2023-001 - Total node failure", &ids), vec![]);
        assert_eq!(name_refs("2023-001 node failure", &ids), vec![]);
        assert_eq!(name_refs("PM-2023_07", &ids), vec![]);
        assert_eq!(name_refs("PM-2025-05-17 outage", &ids), vec![]);
        // Lists and plain numbers still link.
        assert_eq!(
            name_refs("PM-2023-2030", &ids),
            vec![Ref::Number(2023), Ref::Number(2030)]
        );
        assert_eq!(name_refs("INC_1234", &ids), vec![Ref::Number(1234)]);
        assert_eq!(name_refs("incident-1234", &ids), vec![Ref::Number(1234)]);
        assert_eq!(name_refs("#1234 outage", &ids), vec![Ref::Number(1234)]);
    }

    #[test]
    fn text_names_incidents_in_two_tiers() {
        let (labelled, bare) = text_refs(
            "Postmortem for Incident #1234\nAlso Incidents #1240, #1251 and 1252.\nSee https://acme.pagerduty.com/incidents/Q1ABC23 and PT4KHLK.\nStep #3 failed; INC-77.",
            &ids,
        );
        assert_eq!(
            labelled,
            vec![
                Ref::Number(77),
                Ref::Number(1234),
                Ref::Number(1240),
                Ref::Number(1251),
                Ref::Number(1252),
                Ref::Id("PT4KHLK".into()),
                Ref::Id("Q1ABC23".into()),
            ]
        );
        assert_eq!(
            bare,
            vec![
                Ref::Number(3),
                Ref::Number(1234),
                Ref::Number(1240),
                Ref::Number(1251)
            ]
        );
    }

    fn utc() -> Tz {
        chrono_tz::UTC
    }

    fn day(y: i32, m: u32, d: u32) -> WrittenDate {
        WrittenDate::Day(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    #[test]
    fn dates_in_common_formats() {
        assert_eq!(parse_date("2026-03-14", utc()), Ok(day(2026, 3, 14)));
        assert_eq!(parse_date("14 March 2026", utc()), Ok(day(2026, 3, 14)));
        assert_eq!(parse_date("March 14, 2026", utc()), Ok(day(2026, 3, 14)));
        assert_eq!(
            parse_date("Sat, Mar 14th 2026", utc()),
            Ok(day(2026, 3, 14))
        );
        assert_eq!(parse_date("14/03/2026", utc()), Ok(day(2026, 3, 14)));
        assert_eq!(parse_date("03/14/2026", utc()), Ok(day(2026, 3, 14)));
        assert_eq!(
            parse_date("04/03/2026", utc()),
            Err(DateProblem::Ambiguous("04/03/2026".into()))
        );
        assert_eq!(
            parse_date("2026-02-30", utc()),
            Err(DateProblem::Unrecognised)
        );
        assert_eq!(parse_date("TBD", utc()), Err(DateProblem::Unrecognised));
        let t = parse_date("2026-03-14 10:30 +02:00", utc()).unwrap();
        assert_eq!(t.render(), "2026-03-14T10:30:00+02:00");
        let t = parse_date("2026-03-14T10:30Z", utc()).unwrap();
        assert_eq!(t.render(), "2026-03-14T10:30:00Z");
        // No offset: the input zone's local time (EST in March before the DST change).
        let t = parse_date("2026-03-07 10:30", chrono_tz::America::New_York).unwrap();
        assert_eq!(t.render(), "2026-03-07T10:30:00-05:00");
    }

    #[test]
    fn the_labelled_date_is_the_documents_own() {
        let text = "Incident date: 2026-03-10\nAuthor: Ana\nPublished: 12 March 2026\n";
        assert_eq!(
            labelled_date(text, utc()),
            Ok(Some((day(2026, 3, 12), "Published".to_string())))
        );
        assert_eq!(
            labelled_date("**Review date:** March 13, 2026", utc()),
            Ok(Some((day(2026, 3, 13), "Review date".to_string())))
        );
        assert_eq!(labelled_date("no dates here", utc()), Ok(None));
        assert_eq!(
            labelled_date("Date: 04/03/2026", utc()),
            Err((
                "Date".to_string(),
                DateProblem::Ambiguous("04/03/2026".into())
            ))
        );
    }

    #[test]
    fn headings_and_synonyms() {
        assert_eq!(heading("Timeline"), vec![Section::Timeline]);
        assert_eq!(
            heading("## 2. Root Cause Analysis"),
            vec![Section::RootCause]
        );
        assert_eq!(heading("ROOT CAUSE (5 whys):"), vec![Section::RootCause]);
        assert_eq!(heading("**Customer impact**"), vec![Section::Impact]);
        assert_eq!(heading("4) Action items"), vec![Section::CorrectiveActions]);
        assert_eq!(
            heading("Lessons learned"),
            vec![Section::PreventiveMeasures]
        );
        assert_eq!(
            heading("Impact and root cause"),
            vec![Section::Impact, Section::RootCause]
        );
        // Sentences are not headings.
        assert_eq!(heading("Impact was limited to EU users."), vec![]);
        assert_eq!(heading("The timeline below shows what happened"), vec![]);
    }

    #[test]
    fn corrective_actions_need_an_owner_and_a_due_date() {
        let text = "Timeline\n09:12 alert\nCorrective actions\n\
            - Add queue-depth alert. Owner: Ana Silva. Due: 2026-04-01\n\
            - Raise pool size (@bo.chen), due 15 April 2026\n\
            - Review runbook\n  owner: Chidi\n\
            - Load test checkout. Due: TBD\n\
            - Fix retries. Owner: TBD. Due: 2026-04-02\n\
            Lessons learned\n- Alerts on saturation, not errors\n";
        let c = contents(text, utc());
        assert_eq!(
            c.found,
            vec![
                Section::Timeline,
                Section::CorrectiveActions,
                Section::PreventiveMeasures
            ]
        );
        assert_eq!(c.missing(), vec![Section::RootCause, Section::Impact]);
        let lacks: Vec<_> = c.actions.iter().map(Action::lacks).collect();
        assert_eq!(
            lacks,
            vec![
                None,
                None,
                Some("no due date"),
                Some("no owner, no due date"),
                Some("no owner")
            ]
        );
        assert_eq!(c.actions[2].text, "Review runbook owner: Chidi");
    }

    #[test]
    fn markdown_table_actions() {
        let text = "## Action items\n| Action | Owner | Due |\n|---|---|---|\n| Add alert | Ana | 2026-04-01 |\n| Fix retry | | |\n";
        let c = contents(text, utc());
        assert_eq!(c.actions.len(), 2);
        assert_eq!(c.actions[0].text, "Add alert | Ana | 2026-04-01");
        assert_eq!(c.actions[0].lacks(), None);
        assert_eq!(c.actions[1].lacks(), Some("no owner, no due date"));
    }
}
