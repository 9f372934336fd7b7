//! The command line → a checked configuration, in two phases (as ripgrep's low and high
//! arguments, and typst-cli's `CompileConfig::new`):
//!
//! 1. `InputConfig::new` and `BuildConfig::new` check every flag before any file is read:
//!    dates, the as-of time's spelling, the combinations of options; the environment
//!    (`SOURCE_DATE_EPOCH`, `AUDITPACK_KEY_PASSWORD`) is read here and nowhere else.
//! 2. `InputConfig::resolve`, once the inputs are read, fixes the audit period and the as-of
//!    instant, in the policy's zone, from the flags or the data. Everything after uses those
//!    two values.
//!
//! No file access; the clock is never read.

use std::path::PathBuf;

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::cli::{BuildArgs, InputArgs, OutputFormat};
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

/// `--as-of` as given: a date (meaning the end of that day) or a time, read in the policy's
/// zone once the policy is known.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AsOf {
    Date(NaiveDate),
    Time(String),
}

fn as_of_error(e: impl std::fmt::Display) -> Error {
    Error::Usage(format!(
        "`--as-of`: {e}; expected an RFC 3339 time such as `2026-07-01T00:00:00Z`, or a date"
    ))
}

impl AsOf {
    fn parse(text: &str) -> Result<Self, Error> {
        if text.trim().len() == 10 {
            return parse_date("--as-of", text).map(Self::Date);
        }
        // Checked now in UTC; a local time is read in the policy's zone later.
        parse_timestamp(text, Tz::UTC).map_err(as_of_error)?;
        Ok(Self::Time(text.to_string()))
    }

    fn instant(&self, zone: Tz) -> Result<DateTime<Utc>, Error> {
        match self {
            Self::Date(d) => end_of(*d, zone),
            Self::Time(text) => parse_timestamp(text, zone).map_err(as_of_error),
        }
    }
}

/// Local midnight after `date`.
fn end_of(date: NaiveDate, zone: Tz) -> Result<DateTime<Utc>, Error> {
    let next = date + Days::new(1);
    parse_timestamp(&format!("{next}T00:00:00"), zone).map_err(Error::Usage)
}

/// What to read and the period to judge: `build` and `stats` alike.
#[derive(Debug, Clone)]
pub(crate) struct InputConfig {
    /// The export folder (or one file).
    pub input: PathBuf,
    /// `--policy`, when given.
    pub policy: Option<PathBuf>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    as_of: Option<AsOf>,
}

impl InputConfig {
    /// Phase 1: the flags checked, nothing read.
    pub(crate) fn new(args: &InputArgs) -> Result<Self, Error> {
        let from = args
            .from
            .as_deref()
            .map(|f| parse_date("--from", f))
            .transpose()?;
        let to = args
            .to
            .as_deref()
            .map(|t| parse_date("--to", t))
            .transpose()?;
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            return Err(empty_period(from, to));
        }
        Ok(Self {
            input: args.input.clone(),
            policy: args.policy.clone(),
            from,
            to,
            as_of: args.as_of.as_deref().map(AsOf::parse).transpose()?,
        })
    }

    /// The period and as-of time a bundle's manifest records, for `verify --rebuild`.
    pub(crate) fn recorded(from: &str, to: &str, as_of: &str) -> Result<Self, Error> {
        Self::new(&InputArgs {
            input: PathBuf::from("inputs"),
            policy: None,
            from: Some(from.to_string()),
            to: Some(to.to_string()),
            as_of: Some(as_of.to_string()),
        })
    }

    /// Whether the period comes from the flags alone (else from the data's months).
    pub(crate) fn period_given(&self) -> bool {
        self.from.is_some() && self.to.is_some()
    }

    /// Phase 2: the period (`--from`/`--to`, each defaulting to the whole months of the
    /// data) and the as-of instant (`--as-of`, else the latest timestamp of the inputs, else
    /// the end of the period), in the policy's zone.
    pub(crate) fn resolve(
        &self,
        data: Option<Period>,
        latest: Option<DateTime<Utc>>,
        zone: Tz,
    ) -> Result<(Period, DateTime<Utc>), Error> {
        let missing = || {
            Error::Usage(
                "no usable incident rows to take the period from; pass `--from` and `--to`"
                    .to_string(),
            )
        };
        let from = match self.from {
            Some(f) => f,
            None => data.ok_or_else(missing)?.from,
        };
        let to = match self.to {
            Some(t) => t,
            None => data.ok_or_else(missing)?.to,
        };
        if to < from {
            return Err(empty_period(from, to));
        }
        let period = Period { from, to };
        let as_of = match (&self.as_of, latest) {
            (Some(flag), _) => flag.instant(zone)?,
            (None, Some(t)) => t,
            (None, None) => end_of(period.to, zone)?,
        };
        Ok((period, as_of))
    }
}

fn empty_period(from: NaiveDate, to: NaiveDate) -> Error {
    Error::Usage(format!(
        "the period is empty: `--to` {to} is before `--from` {from}"
    ))
}

/// What the environment says, read once at the start of a command.
#[derive(Debug, Clone, Default)]
pub(crate) struct Environment {
    /// `AUDITPACK_KEY_PASSWORD`: the secret key's passphrase (unset: none).
    pub key_password: Option<String>,
    /// `SOURCE_DATE_EPOCH` (reproducible-builds convention), when set to whole seconds.
    pub source_date_epoch: Option<DateTime<Utc>>,
}

impl Environment {
    /// Reads the two variables auditpack uses. An empty `AUDITPACK_KEY_PASSWORD` is refused:
    /// it would write (or expect) an unencrypted key while the user meant one with a
    /// passphrase.
    pub(crate) fn read() -> Result<Self, Error> {
        let key_password = match std::env::var("AUDITPACK_KEY_PASSWORD") {
            Ok(p) if p.is_empty() => {
                return Err(Error::Usage(
                    "`AUDITPACK_KEY_PASSWORD` is set but empty; set it to the key's passphrase, or unset it for a key without one".to_string(),
                ));
            }
            Ok(p) => Some(p),
            Err(_) => None,
        };
        Ok(Self {
            key_password,
            source_date_epoch: std::env::var("SOURCE_DATE_EPOCH")
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .and_then(|s| DateTime::from_timestamp(s, 0)),
        })
    }

    /// The bundle's entry timestamps: `SOURCE_DATE_EPOCH`, else the as-of time.
    pub(crate) fn zip_time(&self, as_of: DateTime<Utc>) -> DateTime<Utc> {
        self.source_date_epoch.unwrap_or(as_of)
    }
}

/// `auditpack build`, checked.
#[derive(Debug, Clone)]
pub(crate) struct BuildConfig {
    pub input: InputConfig,
    pub out: PathBuf,
    pub prepared_by: Option<String>,
    pub register_limit: usize,
    pub templates: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub pdf_key: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub quiet: bool,
    pub format: OutputFormat,
    pub xlsx: bool,
    pub environment: Environment,
}

impl BuildConfig {
    /// Phase 1 for `build`: every flag checked, the environment read, nothing else.
    pub(crate) fn new(args: &BuildArgs, environment: Environment) -> Result<Self, Error> {
        Ok(Self {
            input: InputConfig::new(&args.input)?,
            out: args.out.clone(),
            prepared_by: args.prepared_by.clone(),
            register_limit: args.register_limit,
            templates: args.templates.clone(),
            key: args.key.clone(),
            pdf_key: args.pdf_key.clone(),
            cert: args.cert.clone(),
            quiet: args.quiet,
            format: args.format,
            xlsx: args.xlsx,
            environment,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn args(from: Option<&str>, to: Option<&str>, as_of: Option<&str>) -> InputArgs {
        InputArgs {
            input: PathBuf::from("x"),
            policy: None,
            from: from.map(str::to_string),
            to: to.map(str::to_string),
            as_of: as_of.map(str::to_string),
        }
    }

    #[test]
    fn flags_are_checked_before_anything_is_read() {
        assert!(InputConfig::new(&args(Some("2026-02-30"), None, None)).is_err());
        assert!(InputConfig::new(&args(Some("2026-03-01"), Some("2026-02-01"), None)).is_err());
        assert!(InputConfig::new(&args(None, None, Some("soon"))).is_err());
        assert!(InputConfig::new(&args(None, None, Some("2026-02-01T10:00:00"))).is_ok());
    }

    #[test]
    fn period_defaults_and_checks() {
        let data = Some(Period {
            from: d("2026-01-01"),
            to: d("2026-03-31"),
        });
        let c = InputConfig::new(&args(Some("2026-02-01"), None, None)).unwrap();
        let (period, _) = c.resolve(data, None, Tz::UTC).unwrap();
        assert_eq!(
            period,
            Period {
                from: d("2026-02-01"),
                to: d("2026-03-31")
            }
        );
        let c = InputConfig::new(&args(None, None, None)).unwrap();
        assert!(c.resolve(None, None, Tz::UTC).is_err());
        // `--from` after the data's last month: the period is empty.
        let c = InputConfig::new(&args(Some("2026-05-01"), None, None)).unwrap();
        assert!(c.resolve(data, None, Tz::UTC).is_err());
    }

    #[test]
    fn as_of_forms() {
        let ny = chrono_tz::America::New_York;
        let c = InputConfig::new(&args(
            Some("2026-01-01"),
            Some("2026-01-31"),
            Some("2026-02-01"),
        ))
        .unwrap();
        assert_eq!(
            c.resolve(None, None, ny).unwrap().1.to_rfc3339(),
            "2026-02-02T05:00:00+00:00"
        );
        // No flag and no data: the end of the period.
        let c = InputConfig::new(&args(Some("2026-01-01"), Some("2026-01-31"), None)).unwrap();
        assert_eq!(
            c.resolve(None, None, ny).unwrap().1.to_rfc3339(),
            "2026-02-01T05:00:00+00:00"
        );
        // A local time is read in the policy's zone.
        let c = InputConfig::new(&args(
            Some("2026-01-01"),
            Some("2026-01-31"),
            Some("2026-02-01T10:00:00"),
        ))
        .unwrap();
        assert_eq!(
            c.resolve(None, None, ny).unwrap().1.to_rfc3339(),
            "2026-02-01T15:00:00+00:00"
        );
    }
}
