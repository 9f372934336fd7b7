//! The PDF evidence report: report data → minijinja templates → typst sources → an
//! in-memory typst world → PDF/A-2b bytes. Deterministic: the document id, creation date and
//! "today" come from the data, never from the clock. No file access here.

pub(crate) mod context;
pub mod templates;
pub(crate) mod world;

use chrono::{DateTime, Datelike, Timelike, Utc};
use typst::WorldExt;
use typst::diag::SourceDiagnostic;
use typst::foundations::{Datetime, Smart};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::error::{Error, Location};
use context::ReportData;
use templates::Templates;
use world::ReportWorld;

/// Every string of `v` with the characters no embedded font has written as `[U+6570]`.
fn displayable_text(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) if !s.chars().all(world::displayable) => {
            let mut out = String::with_capacity(s.len() + 8);
            for c in s.chars() {
                if world::displayable(c) {
                    out.push(c);
                } else {
                    out.push_str(&format!("[U+{:04X}]", c as u32));
                }
            }
            *s = out;
        }
        Value::Array(items) => items.iter_mut().for_each(displayable_text),
        Value::Object(map) => map.values_mut().for_each(displayable_text),
        _ => {}
    }
}

/// Renders the report to PDF bytes. `assets` are extra files (a logo) served by path.
pub(crate) fn render(
    data: &ReportData,
    templates: &Templates,
    assets: Vec<(String, Vec<u8>)>,
    as_of: DateTime<Utc>,
) -> Result<Vec<u8>, Error> {
    // Text the embedded fonts cannot show (CJK, emoji in a description) is written as its
    // code points, so a PDF/A is always possible and nothing is silently dropped.
    let mut value = serde_json::to_value(data).map_err(|e| Error::Report(e.to_string()))?;
    displayable_text(&mut value);
    let json = serde_json::to_vec(&value).map_err(|e| Error::Report(e.to_string()))?;
    let sources = templates.render(&minijinja::Value::from_serialize(&value))?;
    let mut files = assets;
    files.push(("/data.json".to_string(), json));
    let today = Datetime::from_ymd(as_of.year(), as_of.month() as u8, as_of.day() as u8)
        .ok_or_else(|| Error::Report(format!("as-of {as_of} is not a typst date")))?;
    let world = ReportWorld::new(sources, files, today);

    let compiled = typst::compile::<PagedDocument>(&world);
    let document = compiled
        .output
        .map_err(|errors| diagnostic_error(&world, templates, &errors))?;
    // typst's memoised layouts are kept until evicted (as typst-cli does after each
    // compile): freed here, the PDF export and the bundle reuse that memory (a 100k build's
    // peak 1.9 → 1.7 GiB).
    typst::comemo::evict(0);
    let timestamp = typst_datetime(as_of)?;
    let options = PdfOptions {
        // A stable identity: the same evidence gets the same document id.
        ident: Smart::Custom(format!(
            "auditpack:{}:{}:{}",
            data.meta.organization, data.meta.period, data.meta.as_of
        )),
        creator: Smart::Custom(Some(format!("auditpack {}", env!("CARGO_PKG_VERSION")))),
        timestamp: Some(Timestamp::new_utc(timestamp)),
        standards: PdfStandards::new(&[PdfStandard::A_2b])
            .map_err(|e| Error::Report(e.message().to_string()))?,
        tagged: true,
        ..PdfOptions::default()
    };
    typst_pdf::pdf(&document, &options)
        .map_err(|errors| diagnostic_error(&world, templates, &errors))
}

/// An instant as a typst date and time (UTC, to the second).
fn typst_datetime(t: DateTime<Utc>) -> Result<Datetime, Error> {
    Datetime::from_ymd_hms(
        t.year(),
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        t.second() as u8,
    )
    .ok_or_else(|| Error::Report(format!("{t} is not a typst date")))
}

/// Typesets one typst document (no templates, no data) to a plain PDF dated `created`:
/// the postmortem PDFs of `auditpack generate`. `files` are served by virtual path.
pub fn typeset(
    source: String,
    files: Vec<(String, Vec<u8>)>,
    created: DateTime<Utc>,
    ident: &str,
) -> Result<Vec<u8>, Error> {
    let today = typst_datetime(created)?;
    let world = ReportWorld::new(vec![("/main.typ".to_string(), source)], files, today);
    let fail = |errors: &[SourceDiagnostic]| {
        Error::Report(errors.first().map_or_else(
            || "typst failed without a message".to_string(),
            |e| e.message.to_string(),
        ))
    };
    let document = typst::compile::<PagedDocument>(&world)
        .output
        .map_err(|e| fail(&e))?;
    let options = PdfOptions {
        ident: Smart::Custom(ident.to_string()),
        timestamp: Some(Timestamp::new_utc(today)),
        ..PdfOptions::default()
    };
    typst_pdf::pdf(&document, &options).map_err(|e| fail(&e))
}

/// The first typst error, located in the template it came from.
fn diagnostic_error(
    world: &ReportWorld,
    templates: &Templates,
    errors: &[SourceDiagnostic],
) -> Error {
    let Some(first) = errors.first() else {
        return Error::Report("typst failed without a message".to_string());
    };
    let mut reason = first.message.to_string();
    for hint in &first.hints {
        reason.push_str(&format!("; hint: {}", hint.v));
    }
    let located = first.span.id().and_then(|id| {
        let source = world.source(id).ok()?;
        let range = world.range(first.span)?;
        let (line, column) = source.lines().byte_to_line_column(range.start)?;
        let origin = templates.origin_of_rendered(id.vpath().get_with_slash());
        Some(Location::new(origin, line as u64 + 1, column as u64 + 1))
    });
    match located {
        Some(location) => Error::TemplateInvalid {
            location,
            reason: format!("typst: {reason} (line and column of the rendered template)"),
        },
        None => Error::Report(reason),
    }
}

use typst::World as _;
