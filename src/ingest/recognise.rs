//! The one recogniser: which export a file is, by its keys or its header, never by its name.
//! JSON pages are matched against each format's keys (PagerDuty configuration, REST
//! incidents and log entries, Statuspage, Analytics); a CSV header against the incident
//! exports' columns.

use std::path::Path;

use serde_json::value::RawValue;

use super::json::{self, Object};
use super::{analytics_json, pagerduty_config, rest, statuspage};
use crate::error::{Error, Location};
use crate::model::Format;

/// What a JSON file turned out to be.
pub(crate) enum JsonKind<'a> {
    /// Analytics pages: each page's `data` items and its `time_zone`.
    Analytics(Vec<(Vec<&'a RawValue>, Option<String>)>),
    /// PagerDuty configuration responses (schedules, policies, audit records) of one kind.
    Config(Format, Vec<(Object<'a>, &'a RawValue)>),
    /// REST incidents, log entries or Statuspage incidents, of one kind.
    Rest(Format, Vec<(Object<'a>, &'a RawValue)>),
    /// Some other JSON document; the text says what its top-level keys were.
    Other(String),
}

/// What a JSON file is: its pages, by the keys of their objects.
pub(crate) fn json<'a>(path: &Path, text: &'a str) -> Result<JsonKind<'a>, Error> {
    let Some(pages) = json::pages(path, text)? else {
        return Ok(JsonKind::Other(
            "JSON that is neither an object nor a list of objects".to_string(),
        ));
    };
    let kind_of = |p: &Object<'_>| {
        pagerduty_config::kind(p)
            .or_else(|| rest::kind(p))
            .or_else(|| statuspage::kind(p).then_some(Format::StatuspageIncidents))
    };
    if let Some(format) = pages.first().and_then(|(p, _)| kind_of(p)) {
        if let Some(other) = pages
            .iter()
            .map(|(p, _)| p)
            .find(|p| kind_of(p) != Some(format))
        {
            let keys: Vec<&str> = other.keys().map(String::as_str).take(6).collect();
            return Err(Error::InputInvalid {
                location: Location::file(path),
                reason: format!(
                    "mixes a {} response with a page of keys `{}`; expected one kind of response per file",
                    format.name(),
                    keys.join("`, `")
                ),
            });
        }
        if matches!(
            format,
            Format::RestIncidents | Format::RestLogEntries | Format::StatuspageIncidents
        ) {
            return Ok(JsonKind::Rest(format, pages));
        }
        return Ok(JsonKind::Config(format, pages));
    }
    let mut found = Vec::new();
    for (page, _) in &pages {
        match analytics_json::page_items(page) {
            Some(items) => {
                let zone = page
                    .get("time_zone")
                    .and_then(|v| serde_json::from_str::<Option<String>>(v.get()).ok())
                    .flatten();
                found.push((items, zone));
            }
            None if page.contains_key("notes") => {
                return Ok(JsonKind::Other(
                    "an incident notes response (`GET /incidents/{id}/notes`): its notes do not name their incident; export `GET /log_entries`, whose entries carry the notes".to_string(),
                ));
            }
            None => {
                let keys: Vec<&str> = page.keys().map(String::as_str).take(6).collect();
                return Ok(JsonKind::Other(format!(
                    "JSON with keys `{}`, not an Analytics raw incidents response",
                    keys.join("`, `")
                )));
            }
        }
    }
    if found.is_empty() {
        return Ok(JsonKind::Other("an empty JSON list".to_string()));
    }
    Ok(JsonKind::Analytics(found))
}
