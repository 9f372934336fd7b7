//! Timestamps and durations as exports write them.
//!
//! RFC 3339 with `Z` or an offset (fractional seconds optional), or a naive local time read
//! in a given zone. Durations are seconds (`300`, `300.5`) or `HH:MM:SS`.

use chrono::{DateTime, Datelike, LocalResult, NaiveDateTime, Utc};
use chrono_tz::Tz;

/// The earliest and latest years accepted; anything outside is an impossible timestamp.
const YEARS: std::ops::RangeInclusive<i32> = 1970..=2100;

/// Ten years: a longer acknowledgement or resolution time is not a real measurement.
pub(crate) const MAX_DURATION_S: f64 = 10.0 * 365.0 * 86_400.0;

const NAIVE_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
];

const OFFSET_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f%:z",
    "%Y-%m-%d %H:%M:%S%.f%:z",
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
];

/// Parses a timestamp; one without an offset is local time in `zone`.
///
/// An ambiguous local time (the repeated hour when clocks go back) is read as the earlier
/// instant; a local time that does not exist (skipped when clocks go forward) is refused.
pub(crate) fn parse_timestamp(text: &str, zone: Tz) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    let parsed = if let Some((naive, utc)) = parse_plain(text.as_bytes()) {
        if utc {
            naive.and_utc()
        } else {
            in_zone(text, naive, zone)?
        }
    } else if has_zone(text) {
        parse_with_zone(text).ok_or_else(|| format!("`{text}` is not an RFC 3339 timestamp"))?
    } else {
        // `FromStr` (`2026-01-31T14:05:00[.fff]`) is the common case and much faster than
        // interpreting a format string per call.
        let naive = text
            .parse::<NaiveDateTime>()
            .ok()
            .or_else(|| {
                NAIVE_FORMATS
                    .iter()
                    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
            })
            .ok_or_else(|| {
                format!("`{text}` is not a timestamp (expected e.g. `2026-01-31T14:05:00Z` or `2026-01-31T14:05:00`)")
            })?;
        in_zone(text, naive, zone)?
    };
    if !YEARS.contains(&parsed.year()) {
        return Err(format!(
            "`{text}` is outside the years {}..={}",
            YEARS.start(),
            YEARS.end()
        ));
    }
    Ok(parsed)
}

/// A local time in `zone`; `text` is what it was read from, for the message.
fn in_zone(text: &str, naive: NaiveDateTime, zone: Tz) -> Result<DateTime<Utc>, String> {
    match crate::model::time::from_local(naive, zone) {
        LocalResult::Single(t) => Ok(t),
        LocalResult::Ambiguous(earlier, _) => Ok(earlier),
        LocalResult::None => Err(format!(
            "`{text}` does not exist in {} (skipped by a daylight-saving change)",
            zone.name()
        )),
    }
}

/// `YYYY-MM-DDTHH:MM:SS` (or a space for the `T`), optionally followed by `Z` (then
/// `true`): the form nearly every export writes, read without interpreting a format. Any
/// other text, or an impossible date or time, is `None` and left to the general path,
/// which reads the same instant or says what is wrong.
fn parse_plain(text: &[u8]) -> Option<(NaiveDateTime, bool)> {
    let (body, utc) = match text {
        [body @ .., b'Z' | b'z'] if body.len() == 19 => (body, true),
        body if body.len() == 19 => (body, false),
        _ => return None,
    };
    let layout_ok = body[4] == b'-'
        && body[7] == b'-'
        && matches!(body[10], b'T' | b' ')
        && body[13] == b':'
        && body[16] == b':';
    if !layout_ok {
        return None;
    }
    let digit = |i: usize| {
        let d = body[i].wrapping_sub(b'0');
        (d < 10).then_some(u32::from(d))
    };
    let two = |i: usize| Some(digit(i)? * 10 + digit(i + 1)?);
    let year = two(0)? * 100 + two(2)?;
    let date = chrono::NaiveDate::from_ymd_opt(year as i32, two(5)?, two(8)?)?;
    Some((date.and_hms_opt(two(11)?, two(14)?, two(17)?)?, utc))
}

fn has_zone(text: &str) -> bool {
    let Some(time) = text.get(10..) else {
        return false;
    };
    time.ends_with(['Z', 'z']) || time.contains('+') || time.rfind('-').is_some()
}

fn parse_with_zone(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Some(naive) = text.strip_suffix(['Z', 'z']) {
        return NAIVE_FORMATS
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(naive, f).ok())
            .map(|n| n.and_utc());
    }
    OFFSET_FORMATS
        .iter()
        .find_map(|f| DateTime::parse_from_str(text, f).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// Parses a duration in seconds (`300`, `300.5`) or `HH:MM:SS`; refuses negative,
/// non-finite and implausibly long values.
pub(crate) fn parse_seconds(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let value = if let Some((h, rest)) = text.split_once(':') {
        let (m, s) = rest
            .split_once(':')
            .ok_or_else(|| format!("`{text}` is not a duration in seconds or HH:MM:SS"))?;
        let part = |p: &str| p.parse::<u32>().ok();
        match (part(h), part(m), part(s)) {
            (Some(h), Some(m), Some(s)) if m < 60 && s < 60 => {
                f64::from(h) * 3600.0 + f64::from(m) * 60.0 + f64::from(s)
            }
            _ => return Err(format!("`{text}` is not a duration in seconds or HH:MM:SS")),
        }
    } else {
        text.parse::<f64>()
            .map_err(|_| format!("`{text}` is not a number of seconds"))?
    };
    if !value.is_finite() {
        return Err(format!("`{text}` is not a finite number of seconds"));
    }
    if value < 0.0 {
        return Err(format!("`{text}` is a negative duration"));
    }
    if value > MAX_DURATION_S {
        return Err(format!("`{text}` seconds is longer than ten years"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn rfc3339_forms() {
        let z = Tz::UTC;
        let ny = chrono_tz::America::New_York;
        assert_eq!(
            parse_timestamp("2026-01-05T10:00:00Z", ny).unwrap(),
            utc("2026-01-05T10:00:00Z")
        );
        assert_eq!(
            parse_timestamp("2026-01-05T10:00:00.250+02:00", z).unwrap(),
            utc("2026-01-05T08:00:00.250Z")
        );
        assert_eq!(
            parse_timestamp("2026-01-05 10:00:00-0500", z).unwrap(),
            utc("2026-01-05T15:00:00Z")
        );
        assert_eq!(
            parse_timestamp("2026-01-05 10:00:00Z", z).unwrap(),
            utc("2026-01-05T10:00:00Z")
        );
    }

    #[test]
    fn naive_time_is_local_in_the_zone() {
        let ny = chrono_tz::America::New_York;
        assert_eq!(
            parse_timestamp("2026-01-05T10:00:00", ny).unwrap(),
            utc("2026-01-05T15:00:00Z")
        );
        assert_eq!(
            parse_timestamp("2026-07-05 10:00", ny).unwrap(),
            utc("2026-07-05T14:00:00Z")
        );
        // 2026-11-01 01:30 happens twice in New York: the earlier (EDT) instant is used.
        assert_eq!(
            parse_timestamp("2026-11-01T01:30:00", ny).unwrap(),
            utc("2026-11-01T05:30:00Z")
        );
        // 2026-03-08 02:30 does not exist in New York.
        let err = parse_timestamp("2026-03-08T02:30:00", ny).unwrap_err();
        assert!(err.contains("does not exist in America/New_York"), "{err}");
    }

    #[test]
    fn the_plain_form_reads_as_the_general_path_does() {
        let ny = chrono_tz::America::New_York;
        for text in [
            "2026-01-05T10:00:00",
            "2026-01-05 10:00:00",
            "2026-01-05T10:00:00Z",
            "2026-01-05 10:00:00z",
            "2024-02-29T23:59:59",
            "2026-11-01T01:30:00",
        ] {
            assert!(parse_plain(text.as_bytes()).is_some(), "{text}");
            let general = if text.ends_with(['Z', 'z']) {
                parse_with_zone(text).unwrap()
            } else {
                let naive = NAIVE_FORMATS
                    .iter()
                    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
                    .unwrap();
                in_zone(text, naive, ny).unwrap()
            };
            assert_eq!(parse_timestamp(text, ny).unwrap(), general, "{text}");
        }
        // Not the plain form: left to the general path.
        for text in [
            "2026-01-05T10:00:00.5",
            "2026-01-05T10:00:00+02:00",
            "2026-01-05T10:00",
            "2026-02-30T10:00:00",
            "2026-01-05T24:00:00",
            "2026-01-05T10:00:60",
            "2026-01-0510:00:00Z",
            "2026-01-05T1a:00:00",
            "+026-01-05T10:00:00",
        ] {
            assert!(parse_plain(text.as_bytes()).is_none(), "{text}");
        }
    }

    #[test]
    fn impossible_timestamps() {
        for bad in [
            "2026-13-01T00:00:00",
            "2026-02-30T00:00:00Z",
            "yesterday",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "",
        ] {
            assert!(parse_timestamp(bad, Tz::UTC).is_err(), "{bad}");
        }
    }

    #[test]
    fn seconds() {
        assert_eq!(parse_seconds("300").unwrap(), 300.0);
        assert_eq!(parse_seconds(" 12.5 ").unwrap(), 12.5);
        assert_eq!(parse_seconds("01:02:03").unwrap(), 3723.0);
        for bad in ["-1", "NaN", "inf", "1e308", "abc", "1:70:00", "5m"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }
}
