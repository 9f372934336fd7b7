//! The workbook (`--xlsx`): Results, Findings (with columns for management's response),
//! Register, Security events, SLA summary, Monthly trends, Exceptions, Postmortems and Admin
//! changes, each from its derived CSV, so the workbook and the CSVs cannot disagree. Headers
//! in words, a bold frozen header row with filters, times as Excel dates in the
//! organisation's zone (named in the header), durations as `[h]:mm:ss`, judgements as `met` /
//! `not met` / `pending`, widths that fit and long text wrapped. Deterministic: the
//! document's creation time is the as-of time and rust_xlsxwriter writes fixed zip
//! timestamps.

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use crate::error::Error;
use crate::metrics::results::ResultRow;

/// The sheets: derived CSV, sheet name.
const SHEETS: [(&str, &str); 9] = [
    ("derived/results.csv", "Results"),
    ("derived/findings.csv", "Findings"),
    ("derived/incident_register.csv", "Register"),
    ("derived/security_incidents.csv", "Security events"),
    ("derived/sla_summary.csv", "SLA summary"),
    ("derived/monthly_trends.csv", "Monthly trends"),
    ("derived/exceptions.csv", "Exceptions"),
    ("derived/postmortems.csv", "Postmortems"),
    ("derived/admin_changes.csv", "Admin changes"),
];

/// Columns kept as numbers.
fn numeric(column: &str) -> bool {
    column.ends_with("_pct")
        || matches!(
            column,
            "incident_number"
                | "incidents"
                | "acknowledged"
                | "ack_within_sla"
                | "resolved"
                | "resolve_within_sla"
                | "resolved_unacknowledged"
                | "source_line"
                | "first_incident"
                | "last_incident"
                | "actions"
                | "actions_missing_owner_or_due"
        )
}

/// Columns holding RFC 3339 instants.
fn instant(column: &str) -> bool {
    column.ends_with("_at") || matches!(column, "execution_time" | "due_by")
}

/// Columns left out: the local creation time is what the Created column shows.
fn skipped(column: &str) -> bool {
    column == "created_local"
}

/// Long text: wide and wrapped.
fn long_text(column: &str) -> bool {
    matches!(
        column,
        "description"
            | "detail"
            | "changes"
            | "title"
            | "cause"
            | "management_response"
            | "missing_sections"
    )
}

/// A column's header in words.
fn header_words(column: &str, zone: Tz) -> String {
    let known = match column {
        "incident_number" => "Incident",
        "id" => "Incident id",
        "tta_s" => "Time to acknowledge",
        "ttr_s" => "Time to resolve",
        "mtta_s" => "Mean time to acknowledge",
        "mttr_s" => "Mean time to resolve",
        "tta_p50_s" => "Time to acknowledge, median",
        "tta_p90_s" => "Time to acknowledge, 90th percentile",
        "tta_p95_s" => "Time to acknowledge, 95th percentile",
        "ttr_p50_s" => "Time to resolve, median",
        "ttr_p90_s" => "Time to resolve, 90th percentile",
        "ttr_p95_s" => "Time to resolve, 95th percentile",
        "ack_sla_met" => "Acknowledgement target met",
        "resolve_sla_met" => "Resolution target met",
        "ack_within_sla" => "Acknowledged within target",
        "ack_within_sla_pct" => "Acknowledged within target (%)",
        "resolve_within_sla" => "Resolved within target",
        "resolve_within_sla_pct" => "Resolved within target (%)",
        "resolved_unacknowledged" => "Resolved, nobody acknowledged",
        "finding_id" => "Finding",
        "management_response" => "Management response",
        "due" => "Response due",
        "postmortem_status" => "Postmortem",
        "actions_missing_owner_or_due" => "Actions without owner or due date",
        "url" => "Link",
        _ => "",
    };
    let mut words = if known.is_empty() {
        let w = column.replace('_', " ");
        let mut c = w.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    } else {
        known.to_string()
    };
    if instant(column) {
        words = format!("{} ({})", words.trim_end_matches(" at"), zone.name());
    }
    words
}

/// An area of the results or findings in words.
fn area_words(code: &str) -> Option<&'static str> {
    Some(match code {
        "population" => "Population",
        "sla" => "Response targets",
        "security" => "Security events",
        "responders" => "Responders",
        "statuspage" => "Status page",
        "postmortems" => "Postmortems",
        "tickets" => "Tickets",
        "oncall" => "On-call coverage",
        "escalation" => "Escalation",
        "audit_trail" => "Admin change trail",
        "data" => "Data completeness",
        _ => return None,
    })
}

/// A judgement or yes/no cell in words; kinds and areas by their titles.
fn value_words(column: &str, text: &str) -> String {
    if column == "kind"
        && let Some(k) = crate::model::ExceptionKind::from_name(text)
    {
        return k.title().to_string();
    }
    if column == "area"
        && let Some(a) = area_words(text)
    {
        return a.to_string();
    }
    if column == "status" || column == "postmortem_status" {
        return text.replace('_', " ");
    }
    match (column.ends_with("_met") || column == "on_time", text) {
        (true, "true") => "met".to_string(),
        (true, "false") => "not met".to_string(),
        (_, "not_met") => "not met".to_string(),
        (_, "not_judged") => "not judged".to_string(),
        (false, "true") => "yes".to_string(),
        (false, "false") => "no".to_string(),
        _ => text.to_string(),
    }
}

/// An RFC 3339 instant as a local date-time of `zone`, with that moment's UTC offset
/// (`-05:00`), which the cell's number format prints after it.
fn excel_local(text: &str, zone: Tz) -> Option<(ExcelDateTime, String)> {
    let t = DateTime::parse_from_rfc3339(text)
        .ok()?
        .with_timezone(&zone);
    let cell = ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)
        .ok()?
        .and_hms(t.hour() as u16, t.minute() as u8, f64::from(t.second()))
        .ok()?;
    Some((cell, t.format("%:z").to_string()))
}

fn excel_time(text: &str, zone: Tz) -> Option<ExcelDateTime> {
    excel_local(text, zone).map(|(t, _)| t)
}

fn xlsx_error(e: XlsxError) -> Error {
    Error::Report(format!("cannot write the workbook: {e}"))
}

/// Writes one sheet from a derived CSV.
fn sheet(workbook: &mut Workbook, name: &str, csv_bytes: &[u8], zone: Tz) -> Result<(), Error> {
    let header_format = Format::new()
        .set_bold()
        .set_background_color("#E8E8E8")
        .set_text_wrap();
    // One date format per UTC offset the sheet's times have (two in a zone with summer
    // time): the cell stays a date-time to sort and filter by, and prints its offset.
    let mut date_formats: Vec<(String, Format)> = Vec::new();
    let duration_format = Format::new().set_num_format("[h]:mm:ss");
    let wrap_format = Format::new().set_text_wrap();
    let ws = workbook.add_worksheet();
    ws.set_name(name).map_err(xlsx_error)?;
    let mut rdr = csv::Reader::from_reader(csv_bytes);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::Report(e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    let columns: Vec<(usize, &String)> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !skipped(h))
        .collect();
    let mut widths: Vec<usize> = columns
        .iter()
        .map(|(_, h)| header_words(h, zone).chars().count().min(28))
        .collect();
    for (c, (_, h)) in columns.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, header_words(h, zone), &header_format)
            .map_err(xlsx_error)?;
    }
    let mut rows = 0u32;
    for (r, record) in rdr.records().enumerate() {
        let record = record.map_err(|e| Error::Report(e.to_string()))?;
        let row = r as u32 + 1;
        rows = row;
        for (c, (i, h)) in columns.iter().enumerate() {
            let col = c as u16;
            let text = record.get(*i).unwrap_or_default();
            if text.is_empty() {
                continue;
            }
            if instant(h)
                && let Some((t, offset)) = excel_local(text, zone)
            {
                let at = match date_formats.iter().position(|(o, _)| *o == offset) {
                    Some(k) => k,
                    None => {
                        let format = Format::new()
                            .set_num_format(format!("yyyy-mm-dd hh:mm:ss \"{offset}\""));
                        date_formats.push((offset, format));
                        date_formats.len() - 1
                    }
                };
                ws.write_datetime_with_format(row, col, &t, &date_formats[at].1)
                    .map_err(xlsx_error)?;
                widths[c] = widths[c].max(26);
            } else if h.ends_with("_s")
                && let Ok(v) = text.parse::<f64>()
            {
                ws.write_number_with_format(row, col, v / 86_400.0, &duration_format)
                    .map_err(xlsx_error)?;
                widths[c] = widths[c].max(10);
            } else if numeric(h)
                && let Ok(v) = text.parse::<f64>()
            {
                ws.write_number(row, col, v).map_err(xlsx_error)?;
                widths[c] = widths[c].max(text.len());
            } else {
                let words = value_words(h, text);
                if long_text(h) {
                    ws.write_string_with_format(row, col, &words, &wrap_format)
                        .map_err(xlsx_error)?;
                } else {
                    ws.write_string(row, col, &words).map_err(xlsx_error)?;
                }
                widths[c] = widths[c].max(words.chars().count());
            }
        }
    }
    for (c, (_, h)) in columns.iter().enumerate() {
        let width = if long_text(h) {
            60.0
        } else {
            (widths[c] as f64 + 2.0).clamp(8.0, 40.0)
        };
        ws.set_column_width(c as u16, width).map_err(xlsx_error)?;
    }
    ws.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    ws.autofilter(0, 0, rows, columns.len().saturating_sub(1) as u16)
        .map_err(xlsx_error)?;
    Ok(())
}

/// The Results sheet: each result in the report's words, its target and verdict, and the
/// figures of `results.csv`.
fn results_sheet(workbook: &mut Workbook, results: &[ResultRow]) -> Result<(), Error> {
    let header_format = Format::new().set_bold().set_background_color("#E8E8E8");
    let ws = workbook.add_worksheet();
    ws.set_name("Results").map_err(xlsx_error)?;
    let headers = ["Area", "Result", "Target", "Verdict", "Value", "Pass line"];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &header_format)
            .map_err(xlsx_error)?;
    }
    for (r, row) in results.iter().enumerate() {
        let n = r as u32 + 1;
        let cells = [
            area_words(row.area.name())
                .unwrap_or(row.area.name())
                .to_string(),
            row.text.clone(),
            row.target_text.clone(),
            row.verdict.words().to_string(),
            row.value.clone(),
            row.target.clone(),
        ];
        for (c, v) in cells.iter().enumerate() {
            match (c >= 4).then(|| v.parse::<f64>().ok()).flatten() {
                Some(x) => ws.write_number(n, c as u16, x),
                None => ws.write_string(n, c as u16, v),
            }
            .map_err(xlsx_error)?;
        }
    }
    for (c, w) in [20.0, 70.0, 30.0, 12.0, 10.0, 10.0].iter().enumerate() {
        ws.set_column_width(c as u16, *w).map_err(xlsx_error)?;
    }
    ws.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    ws.autofilter(0, 0, results.len() as u32, 5)
        .map_err(xlsx_error)?;
    Ok(())
}

/// The workbook's bytes. `derived` are the derived CSVs by path (`derived/…`); times are
/// shown in `zone`.
pub(crate) fn workbook(
    derived: &[(String, Vec<u8>)],
    results: &[ResultRow],
    organization: &str,
    as_of: DateTime<Utc>,
    zone: Tz,
) -> Result<Vec<u8>, Error> {
    let mut wb = Workbook::new();
    let created = excel_time(&as_of.to_rfc3339(), Tz::UTC)
        .ok_or_else(|| Error::Report(format!("as-of {as_of} is outside Excel's dates")))?;
    wb.set_properties(
        &DocProperties::new()
            .set_title("Incident response evidence — SOC 2 CC7.3")
            .set_company(organization)
            .set_author("auditpack")
            .set_creation_datetime(&created),
    );
    results_sheet(&mut wb, results)?;
    for (file, name) in SHEETS.into_iter().skip(1) {
        if let Some((_, bytes)) = derived.iter().find(|(p, _)| p == file) {
            sheet(&mut wb, name, bytes, zone)?;
        }
    }
    wb.save_to_buffer().map_err(xlsx_error)
}
