//! PagerDuty's own totals: the `POST /analytics/metrics/incidents/all` response
//! (`data[]` rows of `total_incident_count`, `mean_seconds_to_first_ack`, … with the
//! `filters` echo naming the window `create_range_start` / `create_range_end`, and
//! `time_zone`). Read only to cross-check the exports (`checks::population`), never as
//! evidence of an incident.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Months, Utc};
use chrono_tz::Tz;
use serde_json::Value;
use serde_json::value::RawValue;

use super::file_read::FileRead;
use super::json::{Object, source_of};
use super::timestamp::parse_timestamp;
use crate::error::{Error, Location};
use crate::model::population::Aggregate;
use crate::model::{Format, RejectedRow};

/// The keys only an aggregate-metrics row has.
const ROW_KEYS: [&str; 3] = [
    "total_incident_count",
    "mean_seconds_to_first_ack",
    "mean_seconds_to_resolve",
];

/// Whether a page with these `data` items (`analytics_json::data_items`) is an
/// aggregate-metrics response: its first row has PagerDuty's totals, or it has no rows and
/// a `filters` echo naming the window as only this endpoint does.
pub(crate) fn fits(page: &Object<'_>, items: &[&RawValue]) -> bool {
    match items.first() {
        Some(first) => serde_json::from_str::<Object<'_>>(first.get())
            .is_ok_and(|row| ROW_KEYS.iter().any(|k| row.contains_key(*k))),
        None => page
            .get("filters")
            .and_then(|f| serde_json::from_str::<Object<'_>>(f.get()).ok())
            .is_some_and(|f| f.contains_key("create_range_start")),
    }
}

fn number(row: &BTreeMap<String, Value>, key: &str) -> Result<Option<f64>, String> {
    match row.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(Some)
            .ok_or_else(|| format!("`{key}` is not a number of seconds or a count")),
        Some(_) => Err(format!("`{key}` is not a number")),
    }
}

fn whole(v: Option<f64>, key: &str) -> Result<Option<u64>, String> {
    match v {
        Some(x) if x.fract() != 0.0 => Err(format!("`{key}` is not a whole number")),
        Some(x) => Ok(Some(x as u64)),
        None => Ok(None),
    }
}

/// Reads the rows of aggregate-metrics responses. `zone` reads naive window times when the
/// response names no `time_zone`.
pub(crate) fn read(
    path: &Path,
    text: &str,
    pages: &[(Object<'_>, &RawValue)],
    zone: Tz,
) -> Result<FileRead, Error> {
    let mut out = FileRead::new(Format::PdAggregateMetrics, None);
    let mut zones = Vec::new();
    for (page, whole_page) in pages {
        let filters: BTreeMap<String, Value> = page
            .get("filters")
            .and_then(|f| serde_json::from_str(f.get()).ok())
            .unwrap_or_default();
        let tz = match page
            .get("time_zone")
            .and_then(|v| serde_json::from_str::<Option<String>>(v.get()).ok())
            .flatten()
        {
            Some(name) => super::zone_name::zone(&name).ok_or_else(|| Error::InputInvalid {
                location: Location::at_offset(
                    path,
                    text.as_bytes(),
                    page["time_zone"].get().as_ptr() as usize - text.as_ptr() as usize,
                ),
                reason: format!("`time_zone`: `{name}` is not an IANA time zone"),
            })?,
            None => zone,
        };
        if !zones.contains(&tz.name().to_string()) {
            zones.push(tz.name().to_string());
        }
        let at = |key: &str| -> Result<(Option<DateTime<Utc>>, String), Error> {
            match filters.get(key) {
                Some(Value::String(s)) => parse_timestamp(s, tz)
                    .map(|t| (Some(t), s.clone()))
                    .map_err(|why| Error::InputInvalid {
                        location: Location::at_offset(
                            path,
                            text.as_bytes(),
                            whole_page.get().as_ptr() as usize - text.as_ptr() as usize,
                        ),
                        reason: format!("`filters.{key}`: {why}"),
                    }),
                _ => Ok((None, String::new())),
            }
        };
        let (start, start_text) = at("create_range_start")?;
        let (end, end_text) = at("create_range_end")?;
        let others: BTreeMap<String, String> = filters
            .iter()
            .filter(|(k, _)| !k.starts_with("create_range_") && !k.starts_with("created_at_"))
            .filter_map(|(k, v)| Some((k.clone(), super::paging::value_text(v)?)))
            .collect();
        let unit = page
            .get("aggregate_unit")
            .and_then(|v| serde_json::from_str::<Option<String>>(v.get()).ok())
            .flatten();
        let rows: Vec<&RawValue> = serde_json::from_str(page["data"].get()).unwrap_or_default();
        for item in rows {
            out.rows_read += 1;
            let source = source_of(path, text, item);
            let row: BTreeMap<String, Value> = match serde_json::from_str(item.get()) {
                Ok(r) => r,
                Err(_) => {
                    out.rejected.push(RejectedRow::new(
                        source,
                        "a `data` row that is not a JSON object".to_string(),
                        item.get().chars().take(500).collect(),
                    ));
                    continue;
                }
            };
            // The per-service, per-team and per-policy endpoints group the same figures:
            // a group is not the whole window, so it is not compared.
            if let Some(key) = ["service_id", "team_id", "escalation_policy_id"]
                .into_iter()
                .find(|k| row.contains_key(*k))
            {
                out.rejected.push(RejectedRow::new(source, format!(
                        "a row of a grouped aggregate response (`{key}`): only `POST /analytics/metrics/incidents/all` rows are compared with the exports"
                    ), item.get().chars().take(500).collect()));
                continue;
            }
            let parsed = (|| -> Result<Aggregate, String> {
                // An aggregated row (`aggregate_unit`) covers its `range_start` to the
                // start of the next unit, within the stated window.
                let (row_start, row_end, window_text) = match (&unit, row.get("range_start")) {
                    (Some(unit), Some(Value::String(rs))) => {
                        let s =
                            parse_timestamp(rs, tz).map_err(|w| format!("`range_start`: {w}"))?;
                        let local = s.with_timezone(&tz).naive_local();
                        let next = match unit.as_str() {
                            "day" => local.checked_add_days(chrono::Days::new(1)),
                            "week" => local.checked_add_days(chrono::Days::new(7)),
                            "month" => local.checked_add_months(Months::new(1)),
                            other => {
                                return Err(format!(
                                    "`aggregate_unit` `{other}` is not day, week or month"
                                ));
                            }
                        }
                        .and_then(|n| n.and_local_timezone(tz).earliest())
                        .map(|n| n.with_timezone(&Utc));
                        let e = match (next, end) {
                            (Some(n), Some(e)) => Some(n.min(e)),
                            (n, e) => n.or(e),
                        };
                        (
                            Some(s.max(start.unwrap_or(s))),
                            e,
                            format!("{rs} + 1 {unit}"),
                        )
                    }
                    _ => (
                        start,
                        end,
                        format!("{start_text} to {end_text} ({})", tz.name()),
                    ),
                };
                let percentiles = |what: &str| -> Result<[Option<f64>; 4], String> {
                    let mut p = [None; 4];
                    for (slot, q) in p.iter_mut().zip(["p50", "p75", "p90", "p95"]) {
                        *slot = number(&row, &format!("{q}_seconds_to_{what}"))?;
                    }
                    Ok(p)
                };
                Ok(Aggregate {
                    file: 0,
                    line: source.line,
                    start: row_start,
                    end: row_end,
                    window_text,
                    filters: others.clone(),
                    total_incident_count: whole(
                        number(&row, "total_incident_count")?,
                        "total_incident_count",
                    )?,
                    mean_seconds_to_first_ack: number(&row, "mean_seconds_to_first_ack")?,
                    mean_seconds_to_resolve: number(&row, "mean_seconds_to_resolve")?,
                    percentiles_ack: percentiles("first_ack")?,
                    percentiles_resolve: percentiles("resolve")?,
                })
            })();
            match parsed {
                Ok(a) => out.aggregates.push(a),
                Err(reason) => out.rejected.push(RejectedRow::new(
                    source,
                    reason,
                    item.get().chars().take(500).collect(),
                )),
            }
        }
    }
    out.timezone_assumed = Some(zones.join(" "));
    Ok(out)
}
