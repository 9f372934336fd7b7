//! What the exports say about themselves: each JSON page's paging keys and stated filters,
//! the extraction record the compliance lead wrote, and PagerDuty's own aggregate figures.
//! The checks of `checks::population` judge the population from these.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// One page of a JSON listing as its envelope describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Page {
    /// The line the page starts on.
    pub line: u64,
    /// The key holding the page's items (`data`, `incidents`, `log_entries`, `records`,
    /// `oncalls`, `escalation_policies`, `overrides`); empty for a single object.
    pub listing: String,
    /// Items on the page.
    pub items: u64,
    /// `more`, when the page says.
    pub more: Option<bool>,
    pub limit: Option<u64>,
    /// REST offset paging: where the page starts.
    pub offset: Option<u64>,
    /// Opsgenie: the offsets its `next` and `last` links name, and why its `paging` cannot
    /// be read (links that are not URLs).
    pub next_offset: Option<u64>,
    pub last_offset: Option<u64>,
    pub unreadable_paging: Option<String>,
    /// Analytics cursors.
    pub last: Option<String>,
    pub starting_after: Option<String>,
    /// Audit records: `Some(None)` when the key is there and null (the last page).
    pub next_cursor: Option<Option<String>>,
    /// The filters the page states (Analytics `filters`, REST query echoes), key → value
    /// text (lists joined by `,`), sorted by key.
    pub filters: BTreeMap<String, String>,
    /// `time_zone` of the envelope (Analytics), for naive filter times.
    pub time_zone: Option<String>,
    /// Log entries: the one incident every entry of the page names (a per-incident listing).
    pub incident: Option<String>,
    /// Audit records: the newest and oldest `execution_time` of the page.
    pub newest: Option<DateTime<Utc>>,
    pub oldest: Option<DateTime<Utc>>,
}

impl Page {
    /// The stated filters as `inputs.csv` writes them: `key=value` pairs sorted by key,
    /// `;`-separated.
    pub(crate) fn scope_text(filters: &BTreeMap<String, String>) -> String {
        filters
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(";")
    }
}

/// The `[extraction]` table of an extraction record: who took the exports, when, from
/// where, and the count PagerDuty showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Extraction {
    /// The file it was read from, relative to the input folder.
    pub file: String,
    pub account: Option<String>,
    pub extracted_by: Option<String>,
    pub extracted_at: Option<DateTime<Utc>>,
    /// `extracted_at` as written.
    pub extracted_at_text: Option<String>,
    pub source: Option<String>,
    pub filters: Option<String>,
    pub pagerduty_count: Option<u64>,
    pub notes: Option<String>,
}

impl Extraction {
    /// The fields that are set, as (key, value) in the table's order.
    pub(crate) fn fields(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut push = |k: &'static str, v: Option<String>| {
            if let Some(v) = v {
                out.push((k, v));
            }
        };
        push("account", self.account.clone());
        push("extracted_by", self.extracted_by.clone());
        push("extracted_at", self.extracted_at_text.clone());
        push("source", self.source.clone());
        push("filters", self.filters.clone());
        push(
            "pagerduty_count",
            self.pagerduty_count.map(|c| c.to_string()),
        );
        push("notes", self.notes.clone());
        out
    }
}

/// One row of a `POST /analytics/metrics/incidents/all` response, with the window and
/// filters its envelope states.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Aggregate {
    /// File index (set by `combine`) and line of the row.
    pub file: usize,
    pub line: u64,
    /// The window: `create_range_start` .. `create_range_end` (or `range_start` of an
    /// aggregated row to the next row's start), as instants.
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    /// The window as written.
    pub window_text: String,
    /// Filters other than the window, key → value text.
    pub filters: BTreeMap<String, String>,
    pub total_incident_count: Option<u64>,
    pub mean_seconds_to_first_ack: Option<f64>,
    pub mean_seconds_to_resolve: Option<f64>,
    /// p50, p75, p90, p95 of time to first acknowledgement and to resolve, as given.
    pub percentiles_ack: [Option<f64>; 4],
    pub percentiles_resolve: [Option<f64>; 4],
}
