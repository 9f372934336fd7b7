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

/// A percentage with 2 decimals; empty for null.
pub(crate) fn fmt_pct(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}")).unwrap_or_default()
}

/// Seconds with 1 decimal; empty for null.
pub(crate) fn fmt_secs(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_default()
}
