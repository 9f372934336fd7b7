//! The one spelling of instants, durations, seconds and percentages, shared by every output:
//! RFC 3339 UTC instants, policy-style durations (`1h30m`), seconds with one decimal and
//! percentages with two.

use chrono::{DateTime, Utc};

/// RFC 3339 UTC, fraction only when there is one.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Seconds for messages: whole numbers without a fraction, else one decimal.
pub(crate) fn fmt_seconds(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s:.1}")
    }
}

/// Formats seconds the way the policy writes them: `4h`, `1h30m`, `90s`, `7d`.
pub(crate) fn format_duration(seconds: i64) -> String {
    if seconds == 0 {
        return "0s".to_string();
    }
    let mut rest = seconds.abs();
    let mut out = String::new();
    if seconds < 0 {
        out.push('-');
    }
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// A duration in words for people, to two units: `45 s`, `12 min`, `2 h 14 min`,
/// `3 d 2 h` (rounded to the second; the CSVs keep the seconds).
pub(crate) fn words(seconds: f64) -> String {
    let total = seconds.round() as i64;
    let (sign, mut rest) = if total < 0 {
        ("−", -total)
    } else {
        ("", total)
    };
    if rest < 60 {
        return format!("{sign}{rest} s");
    }
    let mut parts = Vec::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("min", 60), ("s", 1)] {
        if rest >= size && parts.len() < 2 {
            parts.push(format!("{} {unit}", rest / size));
            rest %= size;
        } else if !parts.is_empty() {
            // Two units at most, and no gap between them (`3 d 0 h` is `3 d`).
            break;
        }
    }
    format!("{sign}{}", parts.join(" "))
}

/// `words` of an optional duration; empty for null.
pub(crate) fn words_of(v: Option<f64>) -> String {
    v.map(words).unwrap_or_default()
}

/// An instant in the organisation's zone, RFC 3339 with its offset:
/// `2025-03-09T01:30:00-05:00`.
pub(crate) fn local_rfc3339(t: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    t.with_timezone(&zone)
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// An instant in the organisation's zone for reading: `2025-03-09 01:30 −05:00`.
pub(crate) fn local_text(t: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    t.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M %:z")
        .to_string()
}

/// A percentage with 2 decimals; empty for null.
pub(crate) fn fmt_pct(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}")).unwrap_or_default()
}

/// Seconds with 1 decimal; empty for null.
pub(crate) fn fmt_secs(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_default()
}

/// Seconds of one record as exactly as they were exported, to the millisecond: `60.0`,
/// `15.702` (Opsgenie's milliseconds), `0.5`; empty for `None`.
pub(crate) fn fmt_secs_exact(v: Option<f64>) -> String {
    v.map(|v| {
        let ms = format!("{v:.3}");
        let trimmed = ms.trim_end_matches('0');
        if trimmed.ends_with('.') {
            format!("{trimmed}0")
        } else {
            trimmed.to_string()
        }
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_seconds_keep_milliseconds() {
        // 15702 ms = 15.702 s; 60 s stays 60.0; 0.5 s; 1e-4 s rounds to 0.0 (below a ms).
        assert_eq!(fmt_secs_exact(Some(15.702)), "15.702");
        assert_eq!(fmt_secs_exact(Some(60.0)), "60.0");
        assert_eq!(fmt_secs_exact(Some(0.5)), "0.5");
        assert_eq!(fmt_secs_exact(Some(0.0001)), "0.0");
        assert_eq!(fmt_secs_exact(None), "");
    }

    #[test]
    fn durations_in_words() {
        // 45 s; 720 s = 12 min; 8040 s = 2 h 14 min; 266400 s = 3 d 2 h; 259200 s = 3 d;
        // 3 d 0 h 5 min shows as 3 d (two units, no gap); 235840.9 s = 2 d 17 h.
        assert_eq!(words(45.0), "45 s");
        assert_eq!(words(720.0), "12 min");
        assert_eq!(words(725.0), "12 min 5 s");
        assert_eq!(words(8040.0), "2 h 14 min");
        assert_eq!(words(266_400.0), "3 d 2 h");
        assert_eq!(words(259_200.0), "3 d");
        assert_eq!(words(259_500.0), "3 d");
        assert_eq!(words(235_840.9), "2 d 17 h");
        assert_eq!(words(59.6), "1 min");
    }

    #[test]
    fn local_times_carry_their_offset() {
        let t = DateTime::parse_from_rfc3339("2025-03-09T06:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            local_rfc3339(t, chrono_tz::America::New_York),
            "2025-03-09T01:30:00-05:00"
        );
        assert_eq!(
            local_text(t, chrono_tz::America::New_York),
            "2025-03-09 01:30 -05:00"
        );
    }
}
