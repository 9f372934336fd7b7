//! The one recogniser: which export a file is, by its keys or its header, never by its name.
//! JSON pages are matched against each format's keys (PagerDuty configuration, REST
//! incidents and log entries, Statuspage, Analytics); a CSV header against the incident
//! exports' columns.

use std::path::Path;

use serde_json::value::RawValue;

use super::json::{self, Object};
use super::opsgenie::{self, OpsgeniePage};
use super::{aggregate, analytics_json, pagerduty_config, paging, rest, statuspage};
use crate::error::{Error, Location};
use crate::model::Format;
use crate::model::population::Page;

/// What a JSON file turned out to be.
pub(crate) enum JsonKind<'a> {
    /// Analytics pages: each page's `data` items, its `time_zone` and its envelope.
    Analytics(Vec<AnalyticsPage<'a>>),
    /// PagerDuty configuration responses (schedules, policies, audit records) of one kind.
    Config(Format, Vec<(Object<'a>, &'a RawValue)>),
    /// REST incidents, log entries or Statuspage incidents, of one kind.
    Rest(Format, Vec<(Object<'a>, &'a RawValue)>),
    /// `POST /analytics/metrics/incidents/all` responses.
    Aggregate(Vec<(Object<'a>, &'a RawValue)>),
    /// Opsgenie Alert API pages: each page's alerts and its envelope.
    Opsgenie(Vec<OpsgeniePage<'a>>),
    /// Some other JSON document; the text says what its top-level keys were.
    Other(String),
}

/// One Analytics raw-incidents page.
pub(crate) struct AnalyticsPage<'a> {
    pub items: Vec<&'a RawValue>,
    pub time_zone: Option<String>,
    pub envelope: Page,
}

impl JsonKind<'_> {
    /// The envelopes of the pages (paging keys, stated filters), for the population checks.
    pub(crate) fn envelopes(&self, path: &Path, text: &str) -> Vec<Page> {
        match self {
            Self::Analytics(pages) => pages.iter().map(|p| p.envelope.clone()).collect(),
            Self::Opsgenie(pages) => pages.iter().map(|p| p.envelope.clone()).collect(),
            Self::Config(_, pages) | Self::Rest(_, pages) | Self::Aggregate(pages) => pages
                .iter()
                .map(|(obj, whole)| paging::page(path, text, obj, whole, None))
                .collect(),
            Self::Other(_) => Vec::new(),
        }
    }
}

/// The formats a JSON page fits, by its keys: none, one, or (for a page no export could
/// be) several; with its `data` items, parsed once here and kept for the reader.
fn candidates<'a>(page: &Object<'a>) -> (Vec<Format>, Option<Vec<&'a RawValue>>) {
    let mut out = Vec::new();
    out.extend(pagerduty_config::kind(page));
    out.extend(rest::kind(page));
    if statuspage::kind(page) {
        out.push(Format::StatuspageIncidents);
    }
    let items = analytics_json::data_items(page);
    if let Some(items) = &items {
        // An aggregate response also states a `time_zone`: its rows decide.
        if aggregate::fits(page, items) {
            out.push(Format::PdAggregateMetrics);
        } else if analytics_json::fits(page, items) {
            out.push(Format::AnalyticsJson);
        }
        if opsgenie::fits(page, items) {
            out.push(Format::OpsgenieAlerts);
        }
    } else if opsgenie::is_alert(page) {
        out.push(Format::OpsgenieAlerts);
    }
    (out, items)
}

fn keys_of(page: &Object<'_>) -> String {
    let keys: Vec<&str> = page.keys().map(String::as_str).take(6).collect();
    keys.join("`, `")
}

/// What a JSON file is: its pages, scored against every format by their keys. A page that
/// fits two formats is refused (exit 2 naming both) rather than guessed at; every page of a
/// file must be of one format.
pub(crate) fn json<'a>(path: &Path, text: &'a str) -> Result<JsonKind<'a>, Error> {
    let Some(pages) = json::pages(path, text)? else {
        return Ok(JsonKind::Other(
            "JSON that is neither an object nor a list of objects".to_string(),
        ));
    };
    let Some((first, first_raw)) = pages.first() else {
        return Ok(JsonKind::Other("an empty JSON list".to_string()));
    };
    let mut scored: Vec<(Vec<Format>, Option<Vec<&RawValue>>)> =
        pages.iter().map(|(p, _)| candidates(p)).collect();
    let fits = scored[0].0.clone();
    let format = match fits.as_slice() {
        [] if first.contains_key("notes") => {
            return Ok(JsonKind::Other(
                "an incident notes response (`GET /incidents/{id}/notes`): its notes do not name their incident; export `GET /log_entries`, whose entries carry the notes".to_string(),
            ));
        }
        [] => {
            return Ok(JsonKind::Other(format!(
                "JSON with keys `{}`, not an export auditpack reads",
                keys_of(first)
            )));
        }
        [one] => *one,
        [a, b, ..] => {
            return Err(Error::InputInvalid {
                location: Location::at_offset(
                    path,
                    text.as_bytes(),
                    first_raw.get().as_ptr() as usize - text.as_ptr() as usize,
                ),
                reason: format!(
                    "a page with keys `{}` fits both a {a} and a {b} response; auditpack does not guess: keep one kind of response per file, as the API returns it",
                    keys_of(first)
                ),
            });
        }
    };
    if let Some(((other, _), _)) = pages
        .iter()
        .zip(&scored)
        .find(|(_, (fits, _))| *fits != [format])
    {
        return Err(Error::InputInvalid {
            location: Location::file(path),
            reason: format!(
                "mixes a {} response with a page of keys `{}`; expected one kind of response per file",
                format.name(),
                keys_of(other)
            ),
        });
    }
    Ok(match format {
        Format::RestIncidents | Format::RestLogEntries | Format::StatuspageIncidents => {
            JsonKind::Rest(format, pages)
        }
        Format::PdAggregateMetrics => JsonKind::Aggregate(pages),
        Format::OpsgenieAlerts => JsonKind::Opsgenie(
            pages
                .iter()
                .zip(scored.iter_mut())
                .map(|((page, whole), (_, items))| {
                    let items = items.take().unwrap_or_else(|| vec![*whole]);
                    let envelope = opsgenie::envelope(path, text, page, whole, items.len());
                    OpsgeniePage { items, envelope }
                })
                .collect(),
        ),
        Format::AnalyticsJson => JsonKind::Analytics(
            pages
                .iter()
                .zip(scored.iter_mut())
                .map(|((page, whole), (_, items))| {
                    let items = items.take().unwrap_or_default();
                    let time_zone = page
                        .get("time_zone")
                        .and_then(|v| serde_json::from_str::<Option<String>>(v.get()).ok())
                        .flatten();
                    let envelope = paging::page(path, text, page, whole, Some(items.len()));
                    AnalyticsPage {
                        items,
                        time_zone,
                        envelope,
                    }
                })
                .collect(),
        ),
        _ => JsonKind::Config(format, pages),
    })
}
