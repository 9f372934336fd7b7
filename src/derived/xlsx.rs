//! The incident register workbook (`--xlsx`): the register, SLA summary, monthly trends and
//! exceptions as sheets, each with a bold frozen header row and filters; times as Excel dates,
//! durations in seconds and as `[h]:mm:ss`. Built from the derived CSVs, so the workbook and
//! the CSVs cannot disagree. Deterministic: the document's creation time is the as-of time
//! and rust_xlsxwriter writes fixed zip timestamps.

use chrono::{DateTime, Datelike, Timelike, Utc};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use crate::error::Error;

/// Columns kept as numbers.
fn numeric(column: &str) -> bool {
    column.ends_with("_s")
        || column.ends_with("_pct")
        || matches!(
            column,
            "incident_number"
                | "incidents"
                | "acknowledged"
                | "ack_within_sla"
                | "resolved"
                | "resolve_within_sla"
                | "source_line"
        )
}

/// Columns holding RFC 3339 instants.
fn instant(column: &str) -> bool {
    column.ends_with("_at")
}

fn excel_time(text: &str) -> Option<ExcelDateTime> {
    let t = DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc);
    ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)
        .ok()?
        .and_hms(t.hour() as u16, t.minute() as u8, f64::from(t.second()))
        .ok()
}

fn xlsx_error(e: XlsxError) -> Error {
    Error::Report(format!("cannot write the workbook: {e}"))
}

/// Writes one sheet from a derived CSV.
fn sheet(workbook: &mut Workbook, name: &str, csv_bytes: &[u8]) -> Result<(), Error> {
    let header_format = Format::new().set_bold().set_background_color("#E8E8E8");
    let date_format = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let duration_format = Format::new().set_num_format("[h]:mm:ss");
    let ws = workbook.add_worksheet();
    ws.set_name(name).map_err(xlsx_error)?;
    let mut rdr = csv::Reader::from_reader(csv_bytes);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::Report(e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    // Seconds columns get a duration column beside them.
    let mut columns: Vec<(String, Option<usize>)> = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        columns.push((h.clone(), Some(i)));
        if h.ends_with("_s") {
            columns.push((format!("{} (h:mm:ss)", h.trim_end_matches("_s")), None));
        }
    }
    for (c, (h, _)) in columns.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &header_format)
            .map_err(xlsx_error)?;
        ws.set_column_width(c as u16, (h.len() as f64 + 2.0).clamp(10.0, 40.0))
            .map_err(xlsx_error)?;
    }
    let mut rows = 0u32;
    for (r, record) in rdr.records().enumerate() {
        let record = record.map_err(|e| Error::Report(e.to_string()))?;
        let row = r as u32 + 1;
        rows = row;
        let mut last_seconds: Option<f64> = None;
        for (c, (h, source)) in columns.iter().enumerate() {
            let col = c as u16;
            let Some(i) = source else {
                if let Some(s) = last_seconds {
                    ws.write_number_with_format(row, col, s / 86_400.0, &duration_format)
                        .map_err(xlsx_error)?;
                }
                continue;
            };
            let text = record.get(*i).unwrap_or_default();
            last_seconds = None;
            if text.is_empty() {
                continue;
            }
            if instant(h)
                && let Some(t) = excel_time(text)
            {
                ws.write_datetime_with_format(row, col, &t, &date_format)
                    .map_err(xlsx_error)?;
            } else if numeric(h)
                && let Ok(v) = text.parse::<f64>()
            {
                ws.write_number(row, col, v).map_err(xlsx_error)?;
                if h.ends_with("_s") {
                    last_seconds = Some(v);
                }
            } else {
                ws.write_string(row, col, text).map_err(xlsx_error)?;
            }
        }
    }
    ws.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    ws.autofilter(0, 0, rows, columns.len().saturating_sub(1) as u16)
        .map_err(xlsx_error)?;
    Ok(())
}

/// The workbook's bytes. `derived` are the derived CSVs by path (`derived/…`).
pub(crate) fn workbook(
    derived: &[(String, Vec<u8>)],
    organization: &str,
    as_of: DateTime<Utc>,
) -> Result<Vec<u8>, Error> {
    let mut wb = Workbook::new();
    let created = excel_time(&as_of.to_rfc3339())
        .ok_or_else(|| Error::Report(format!("as-of {as_of} is outside Excel's dates")))?;
    wb.set_properties(
        &DocProperties::new()
            .set_title("Incident register — SOC 2 CC7.3")
            .set_company(organization)
            .set_author("auditpack")
            .set_creation_datetime(&created),
    );
    for (file, name) in [
        ("derived/incident_register.csv", "Register"),
        ("derived/sla_summary.csv", "SLA summary"),
        ("derived/monthly_trends.csv", "Monthly trends"),
        ("derived/exceptions.csv", "Exceptions"),
    ] {
        if let Some((_, bytes)) = derived.iter().find(|(p, _)| p == file) {
            sheet(&mut wb, name, bytes)?;
        }
    }
    wb.save_to_buffer().map_err(xlsx_error)
}
