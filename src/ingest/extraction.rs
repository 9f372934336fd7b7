//! The extraction record: a TOML file with an `[extraction]` table, written by whoever took
//! the exports (`auditpack init --extraction`), saying from which account, by whom, when,
//! from which endpoint or screen and with which filters, and the count PagerDuty showed.
//! Recognised by its content, wherever it is in the input folder.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::timestamp::parse_timestamp;
use crate::error::{Error, Location};
use crate::model::population::Extraction;

#[derive(Deserialize)]
struct RawFile {
    extraction: Option<Spanned<RawExtraction>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExtraction {
    account: Option<String>,
    extracted_by: Option<String>,
    extracted_at: Option<Spanned<toml::Value>>,
    source: Option<String>,
    filters: Option<String>,
    pagerduty_count: Option<Spanned<i64>>,
    notes: Option<String>,
}

/// The commented template `auditpack init --extraction` writes.
pub(crate) const TEMPLATE: &str = r#"# Extraction record: how the exports in this folder were taken. auditpack reads it from
# anywhere in the input folder, prints it in the report's "Population and extraction"
# section and records it in the bundle's manifest. Fill in every line you can; delete
# none (an empty value is shown as not stated).

[extraction]
# The PagerDuty account (subdomain): acme for acme.pagerduty.com.
account = ""
# Who ran the exports (name and role).
extracted_by = ""
# When, as RFC 3339 with an offset (e.g. 2026-01-05T09:00:00Z). It becomes the default
# as-of time of the build.
extracted_at = ""
# Which endpoint or screen: e.g. "POST /analytics/raw/incidents" or "Insights > Incident
# Activity > Download CSV".
source = ""
# The filters used, in words: teams, services, urgency, date range.
filters = ""
# The number of incidents PagerDuty showed for the same range and filters (the count on
# screen, or total_incident_count). auditpack compares it with the incidents the exports
# hold. Remove the `#` and write the number when PagerDuty showed one.
# pagerduty_count = 1234
# Anything else the auditor should know (re-runs, known gaps).
notes = ""
"#;

fn located(path: &Path, text: &str, offset: usize, reason: String) -> Error {
    Error::InputInvalid {
        location: Location::at_offset(path, text.as_bytes(), offset),
        reason,
    }
}

fn given(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// The extraction record in a TOML file, `None` when the file has no `[extraction]` table
/// (another policy, say). A file that is not TOML but has an `[extraction]` line, an
/// unknown key, a time without an offset or a negative count is an error.
pub(crate) fn read(path: &Path, text: &str) -> Result<Option<Extraction>, Error> {
    let raw: RawFile = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            if text.lines().any(|l| l.trim() == "[extraction]") {
                let offset = e.span().map_or(0, |s| s.start);
                return Err(located(path, text, offset, e.message().trim().to_string()));
            }
            return Ok(None);
        }
    };
    let Some(table) = raw.extraction else {
        return Ok(None);
    };
    let r = table.into_inner();
    let (extracted_at, extracted_at_text) = match &r.extracted_at {
        None => (None, None),
        Some(v) => {
            let text_value = match v.get_ref() {
                toml::Value::String(s) => s.trim().to_string(),
                toml::Value::Datetime(d) => d.to_string(),
                _ => String::new(),
            };
            // An offset is required: `Z`, or a sign after the time of day.
            let after_time: String = text_value.chars().skip(19).collect();
            let ok = text_value.is_ascii()
                && text_value.len() > 19
                && (text_value.ends_with(['Z', 'z']) || after_time.contains(['+', '-']));
            let at = ok
                .then(|| parse_timestamp(&text_value, chrono_tz::Tz::UTC).ok())
                .flatten();
            match at {
                Some(t) => (Some(t), Some(text_value)),
                None if text_value.is_empty() && matches!(v.get_ref(), toml::Value::String(_)) => {
                    (None, None)
                }
                None => {
                    return Err(located(
                        path,
                        text,
                        v.span().start,
                        format!(
                            "`extraction.extracted_at`: `{text_value}` is not an RFC 3339 time with an offset (e.g. 2026-01-05T09:00:00Z)"
                        ),
                    ));
                }
            }
        }
    };
    let pagerduty_count = match r.pagerduty_count {
        None => None,
        Some(c) => match u64::try_from(*c.get_ref()) {
            Ok(n) => Some(n),
            Err(_) => {
                return Err(located(
                    path,
                    text,
                    c.span().start,
                    "`extraction.pagerduty_count`: expected a count, 0 or more".to_string(),
                ));
            }
        },
    };
    Ok(Some(Extraction {
        file: String::new(),
        account: given(r.account),
        extracted_by: given(r.extracted_by),
        extracted_at,
        extracted_at_text,
        source: given(r.source),
        filters: given(r.filters),
        pagerduty_count,
        notes: given(r.notes),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_parses() {
        // Unedited, it states nothing: no time, no count, no account.
        let e = read(Path::new("x.toml"), TEMPLATE).unwrap().unwrap();
        assert_eq!(e.extracted_at, None);
        assert_eq!(e.pagerduty_count, None);
        assert_eq!(e.account, None);
        let odd = read(
            Path::new("e.toml"),
            "[extraction]\nextracted_at = \"2026-01-05T09:00:0é+01:00\"\n",
        );
        assert!(odd.is_err());
    }

    #[test]
    fn other_toml_is_not_a_record_and_bad_records_are_errors() {
        assert_eq!(
            read(Path::new("p.toml"), "[organization]\nname = \"x\"\n").unwrap(),
            None
        );
        assert_eq!(
            read(Path::new("p.toml"), "not = toml = at all").unwrap(),
            None
        );
        let unknown = read(
            Path::new("e.toml"),
            "[extraction]\naccount = \"a\"\ncount = 3\n",
        );
        assert!(unknown.unwrap_err().to_string().contains("count"));
        let naive = read(
            Path::new("e.toml"),
            "[extraction]\nextracted_at = \"2026-01-05T09:00:00\"\n",
        );
        let msg = naive.unwrap_err().to_string();
        assert!(msg.contains("e.toml:2") && msg.contains("offset"), "{msg}");
        let negative = read(Path::new("e.toml"), "[extraction]\npagerduty_count = -1\n");
        assert!(negative.is_err());
        let native = read(
            Path::new("e.toml"),
            "[extraction]\nextracted_at = 2026-01-05T09:00:00+01:00\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            native.extracted_at.unwrap().to_rfc3339(),
            "2026-01-05T08:00:00+00:00"
        );
    }
}
