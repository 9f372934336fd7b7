//! Command-line values → checked values: the audit period and the as-of instant.
//! No file access; the clock is never read (the as-of time comes from the inputs or a flag).

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::error::Error;
use crate::ingest::timestamp::parse_timestamp;
use crate::model::time::Period;

fn parse_date(flag: &str, text: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        Error::Usage(format!(
            "`{flag}`: `{text}` is not a date (expected `YYYY-MM-DD`, e.g. `2026-01-31`)"
        ))
    })
}

/// The period from `--from`/`--to`, each defaulting to the whole months of the data.
pub fn period(from: Option<&str>, to: Option<&str>, data: Option<Period>) -> Result<Period, Error> {
    let from = from.map(|f| parse_date("--from", f)).transpose()?;
    let to = to.map(|t| parse_date("--to", t)).transpose()?;
    let missing = || {
        Error::Usage(
            "no usable incident rows to take the period from; pass `--from` and `--to`".to_string(),
        )
    };
    let from = match from {
        Some(f) => f,
        None => data.ok_or_else(missing)?.from,
    };
    let to = match to {
        Some(t) => t,
        None => data.ok_or_else(missing)?.to,
    };
    if to < from {
        return Err(Error::Usage(format!(
            "the period is empty: `--to` {to} is before `--from` {from}"
        )));
    }
    Ok(Period { from, to })
}

/// The as-of instant: `--as-of` (RFC 3339, a local time, or a date meaning the end of that
/// day), else the latest timestamp in the inputs, else the end of the period.
pub fn as_of(
    flag: Option<&str>,
    latest: Option<DateTime<Utc>>,
    period: Period,
    zone: Tz,
) -> Result<DateTime<Utc>, Error> {
    let end_of = |date: NaiveDate| {
        let next = date + Days::new(1);
        parse_timestamp(&format!("{next}T00:00:00"), zone)
    };
    match flag {
        Some(text) => {
            let result = if text.trim().len() == 10 {
                parse_date("--as-of", text).and_then(|d| end_of(d).map_err(Error::Usage))
            } else {
                parse_timestamp(text, zone).map_err(Error::Usage)
            };
            result.map_err(|e| {
                Error::Usage(format!(
                    "`--as-of`: {e}; expected an RFC 3339 time such as `2026-07-01T00:00:00Z`, or a date"
                ))
            })
        }
        None => match latest {
            Some(t) => Ok(t),
            None => end_of(period.to).map_err(Error::Usage),
        },
    }
}

/// The secret key's passphrase from `AUDITPACK_KEY_PASSWORD` (unset or empty: none).
pub fn key_password() -> Option<String> {
    std::env::var("AUDITPACK_KEY_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
}

/// The bundle's entry timestamps: `SOURCE_DATE_EPOCH` (reproducible-builds convention) when
/// set to whole seconds, else the as-of time.
pub fn zip_time(as_of: DateTime<Utc>) -> DateTime<Utc> {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .unwrap_or(as_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn period_defaults_and_checks() {
        let data = Some(Period {
            from: d("2026-01-01"),
            to: d("2026-03-31"),
        });
        assert_eq!(
            period(Some("2026-02-01"), None, data).unwrap(),
            Period {
                from: d("2026-02-01"),
                to: d("2026-03-31")
            }
        );
        assert!(period(Some("2026-03-01"), Some("2026-02-01"), data).is_err());
        assert!(period(Some("2026-02-30"), None, data).is_err());
        assert!(period(None, None, None).is_err());
    }

    #[test]
    fn as_of_forms() {
        let p = Period {
            from: d("2026-01-01"),
            to: d("2026-01-31"),
        };
        let ny = chrono_tz::America::New_York;
        assert_eq!(
            as_of(Some("2026-02-01"), None, p, ny).unwrap().to_rfc3339(),
            "2026-02-02T05:00:00+00:00"
        );
        assert_eq!(
            as_of(None, None, p, ny).unwrap().to_rfc3339(),
            "2026-02-01T05:00:00+00:00"
        );
        assert!(as_of(Some("soon"), None, p, ny).is_err());
    }
}
