//! JSON text as ingest reads it: objects whose values are left raw (borrowed from the file's
//! text, so every record keeps its byte range and line), the pages of a file (one document,
//! several one after another, or a list), and JSON syntax errors with their location.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::{Error, Location};
use crate::model::SourceRef;

/// A JSON object whose values are kept as raw text.
pub(crate) type Object<'a> = BTreeMap<String, &'a RawValue>;

/// Where a JSON value borrowed from `text` (the whole file) stands: its byte range and the
/// line it starts on. File index 0 until `combine` sets it.
pub(crate) fn source_of(_path: &Path, text: &str, item: &RawValue) -> SourceRef {
    let offset = item.get().as_ptr() as usize - text.as_ptr() as usize;
    SourceRef {
        file: 0,
        line: Location::line_at(text.as_bytes(), offset),
        start: offset,
        end: offset + item.get().len(),
    }
}

/// A `data` item as an object of values; `Err` holds the rejected row's reason.
pub(crate) fn item_object(item: &RawValue) -> Result<BTreeMap<String, Value>, String> {
    serde_json::from_str(item.get())
        .map_err(|_| "a `data` item that is not a JSON object".to_string())
}

/// A JSON syntax error, located.
pub(crate) fn json_error(path: &Path, e: &serde_json::Error) -> Error {
    let msg = e.to_string();
    // serde_json appends " at line L column C"; the location carries that already.
    let reason = msg
        .rfind(" at line ")
        .map_or(msg.as_str(), |i| &msg[..i])
        .to_string();
    Error::InputInvalid {
        location: Location::new(path, e.line() as u64, e.column() as u64),
        reason: format!("invalid JSON: {reason}"),
    }
}

/// The objects of a JSON file: one document, several one after another (NDJSON,
/// concatenated pages), or lists of objects; each with its raw text. `Ok(None)` when the file
/// holds JSON that is not objects.
pub(crate) fn pages<'a>(
    path: &Path,
    text: &'a str,
) -> Result<Option<Vec<(Object<'a>, &'a RawValue)>>, Error> {
    let mut pages: Vec<(Object<'a>, &'a RawValue)> = Vec::new();
    for top in serde_json::Deserializer::from_str(text).into_iter::<&'a RawValue>() {
        let top = top.map_err(|e| json_error(path, &e))?;
        if let Ok(obj) = serde_json::from_str::<Object<'a>>(top.get()) {
            pages.push((obj, top));
        } else if let Ok(list) = serde_json::from_str::<Vec<&'a RawValue>>(top.get())
            && let Ok(objects) = list
                .iter()
                .map(|v| serde_json::from_str::<Object<'a>>(v.get()))
                .collect::<Result<Vec<_>, _>>()
        {
            pages.extend(objects.into_iter().zip(list));
        } else {
            // serde_json stops at 128 levels; no export nests that deep.
            if let Err(e) = serde_json::from_str::<Value>(top.get())
                && e.to_string().contains("recursion limit")
            {
                let offset = top.get().as_ptr() as usize - text.as_ptr() as usize;
                let at = Location::at_offset(path, text.as_bytes(), offset);
                return Err(Error::InputInvalid {
                    location: Location::new(path, at.line + e.line() as u64 - 1, e.column() as u64),
                    reason: "JSON nested more than 128 levels deep; expected a PagerDuty export"
                        .to_string(),
                });
            }
            return Ok(None);
        }
    }
    Ok(Some(pages))
}
