//! The policy file (TOML): severity matrix, SLA targets, business hours, time zones.
//!
//! `Policy::parse` turns the text into a validated `Policy` or a `PolicyInvalid` error naming
//! the file, line, column and key. It reads no files; `commands` hands it the bytes.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use chrono::{NaiveDate, NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Location};

/// The commented policy that `auditpack init` writes, and the built-in default.
pub const DEFAULT_POLICY: &str = include_str!("default-policy.toml");

/// A response or resolution target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Met when the measured time is at most this many seconds (inclusive).
    Within(i64),
    /// Met when it lands by `business_hours.end` on the first business day after the
    /// local creation date.
    NextBusinessDay,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Whole days from four days up (`7d`), hours below (`24h`, `48h`, `72h`), as
            // policies usually write them.
            Self::Within(s) if *s % 86_400 == 0 && *s >= 4 * 86_400 => {
                write!(f, "{}d", s / 86_400)
            }
            Self::Within(s) if *s % 3600 == 0 => write!(f, "{}h", s / 3600),
            Self::Within(s) => f.write_str(&format_duration(*s)),
            Self::NextBusinessDay => f.write_str("next-business-day"),
        }
    }
}

/// One row of the severity matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Severity {
    /// The name used in every output (`P1`).
    pub name: String,
    /// Priority names that map here, compared case-insensitively after trimming.
    pub matches: Vec<String>,
    /// Incidents without a priority and of this urgency map here.
    pub urgency: Option<String>,
    /// Acknowledgement (response) target.
    pub ack_within: Option<Target>,
    /// Resolution target.
    pub resolve_within: Option<Target>,
    /// Postmortem deadline after resolution (used by the postmortem checks).
    pub postmortem_within: Option<Target>,
}

/// Business days and hours in the organisation's time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessHours {
    /// Business weekdays.
    pub days: Vec<Weekday>,
    /// Local start of the business day.
    pub start: NaiveTime,
    /// Local end of the business day.
    pub end: NaiveTime,
    /// Dates that are not business days.
    pub holidays: BTreeSet<NaiveDate>,
}

impl BusinessHours {
    /// Whether `date` is a business day (a weekday in `days`, not a holiday).
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        use chrono::Datelike;
        self.days.contains(&date.weekday()) && !self.holidays.contains(&date)
    }
}

/// The validated policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Organisation name, as printed on the evidence.
    pub organization: String,
    /// Zone for months, the period and business days.
    pub timezone: Tz,
    /// Zone for input timestamps without an offset.
    pub input_timezone: Tz,
    /// Business calendar.
    pub business_hours: BusinessHours,
    /// Severity matrix, most severe first.
    pub severities: Vec<Severity>,
    /// Cumulative escalation level times, in seconds.
    pub escalation_levels: Vec<i64>,
    /// The longest on-call shift allowed, in seconds (`[oncall] max_shift`).
    pub max_shift_s: i64,
    /// How status-page incidents are matched to PagerDuty incidents (`[statuspage]`).
    pub statuspage: StatuspageRules,
    /// Pass line for the acknowledgement SLA, in percent.
    pub ack_within_sla_pct: f64,
    /// Pass line for the resolution SLA, in percent.
    pub resolve_within_sla_pct: f64,
}

/// `[statuspage]`: matching customer-facing notices to PagerDuty incidents.
#[derive(Debug, Clone, PartialEq)]
pub struct StatuspageRules {
    /// Seconds before the impact start and after the public notice a PagerDuty incident may
    /// be created and still match (`match_window`, default 1h).
    pub match_window_s: i64,
    /// Status-page component name → PagerDuty service names (`components`); components not
    /// listed match services of the same name, ignoring case and punctuation.
    pub components: std::collections::BTreeMap<String, Vec<String>>,
    /// Pass line for the share of status-page incidents detected internally first, percent.
    pub detected_first_pct: f64,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStatuspage {
    match_window: Option<Spanned<String>>,
    #[serde(default)]
    components: std::collections::BTreeMap<String, Vec<String>>,
    detected_first_pct: Option<Spanned<f64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    organization: RawOrganization,
    #[serde(default)]
    inputs: RawInputs,
    #[serde(default)]
    business_hours: RawBusinessHours,
    severity: Option<Vec<RawSeverity>>,
    #[serde(default)]
    escalation: RawEscalation,
    #[serde(default)]
    oncall: RawOncall,
    #[serde(default)]
    statuspage: RawStatuspage,
    #[serde(default)]
    targets: RawTargets,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawOncall {
    max_shift: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawOrganization {
    name: Option<String>,
    timezone: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawInputs {
    timezone: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawBusinessHours {
    days: Option<Spanned<Vec<Spanned<String>>>>,
    start: Option<Spanned<String>>,
    end: Option<Spanned<String>>,
    holidays: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeverity {
    name: Spanned<String>,
    #[serde(rename = "match")]
    matches: Option<Vec<String>>,
    urgency: Option<Spanned<String>>,
    ack_within: Option<Spanned<String>>,
    resolve_within: Option<Spanned<String>>,
    postmortem_within: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawEscalation {
    levels: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTargets {
    ack_within_sla_pct: Option<Spanned<f64>>,
    resolve_within_sla_pct: Option<Spanned<f64>>,
}

/// Parses `7d`, `4h`, `5m`, `90s` or combinations such as `1h30m` into seconds.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
        let n: i64 = number.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        number.clear();
    }
    // A trailing number without a unit (`15`) is refused rather than guessed.
    if !number.is_empty() || total == 0 {
        return None;
    }
    Some(total)
}

/// Formats seconds the way the policy writes them: `4h`, `1h30m`, `90s`, `7d`.
pub fn format_duration(seconds: i64) -> String {
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

fn parse_weekday(text: &str) -> Option<Weekday> {
    match text.trim().to_ascii_lowercase().as_str() {
        "mon" | "monday" => Some(Weekday::Mon),
        "tue" | "tuesday" => Some(Weekday::Tue),
        "wed" | "wednesday" => Some(Weekday::Wed),
        "thu" | "thursday" => Some(Weekday::Thu),
        "fri" | "friday" => Some(Weekday::Fri),
        "sat" | "saturday" => Some(Weekday::Sat),
        "sun" | "sunday" => Some(Weekday::Sun),
        _ => None,
    }
}

/// Parses an IANA time zone name.
pub fn parse_timezone(text: &str) -> Option<Tz> {
    text.trim().parse::<Tz>().ok()
}

struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Checker<'_> {
    fn error<T>(&self, span: std::ops::Range<usize>, reason: String) -> Result<T, Error> {
        Err(Error::PolicyInvalid {
            location: Location::at_offset(self.path, self.text.as_bytes(), span.start),
            reason,
        })
    }

    fn timezone(&self, key: &str, value: &Spanned<String>) -> Result<Tz, Error> {
        match parse_timezone(value.get_ref()) {
            Some(tz) => Ok(tz),
            None => self.error(
                value.span(),
                format!(
                    "`{key}`: `{}` is not an IANA time zone (expected e.g. `UTC`, `Europe/Berlin`, `America/New_York`)",
                    value.get_ref()
                ),
            ),
        }
    }

    fn target(&self, key: &str, value: &Spanned<String>, allow_nbd: bool) -> Result<Target, Error> {
        let text = value.get_ref().trim();
        if allow_nbd && text == "next-business-day" {
            return Ok(Target::NextBusinessDay);
        }
        match parse_duration(text) {
            Some(seconds) => Ok(Target::Within(seconds)),
            None => self.error(
                value.span(),
                format!(
                    "`{key}`: `{text}` is not a duration (expected e.g. `90s`, `5m`, `4h`, `7d`{})",
                    if allow_nbd {
                        " or `next-business-day`"
                    } else {
                        ""
                    }
                ),
            ),
        }
    }

    fn time(&self, key: &str, value: &Spanned<String>) -> Result<NaiveTime, Error> {
        match NaiveTime::parse_from_str(value.get_ref().trim(), "%H:%M") {
            Ok(t) => Ok(t),
            Err(_) => self.error(
                value.span(),
                format!(
                    "`{key}`: `{}` is not a time of day (expected `HH:MM`, e.g. `09:00`)",
                    value.get_ref()
                ),
            ),
        }
    }
}

impl Policy {
    /// The built-in default policy (the text `auditpack init` writes).
    pub fn default_policy() -> Self {
        Self::parse(Path::new("<built-in default policy>"), DEFAULT_POLICY)
            .expect("the built-in default policy is valid (checked by a unit test)")
    }

    /// Parses and validates policy text; `path` only labels error messages.
    pub fn parse(path: &Path, text: &str) -> Result<Self, Error> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            Error::PolicyInvalid {
                location: Location::at_offset(path, text.as_bytes(), offset),
                reason: e.message().trim().to_string(),
            }
        })?;
        let check = Checker { path, text };

        let organization = raw
            .organization
            .name
            .unwrap_or_else(|| "Example Corp".to_string());
        let timezone = match &raw.organization.timezone {
            Some(v) => check.timezone("organization.timezone", v)?,
            None => Tz::UTC,
        };
        let input_timezone = match &raw.inputs.timezone {
            Some(v) => check.timezone("inputs.timezone", v)?,
            None => timezone,
        };

        let bh = &raw.business_hours;
        let days = match &bh.days {
            None => vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            Some(list) => {
                let mut days = Vec::new();
                for d in list.get_ref() {
                    match parse_weekday(d.get_ref()) {
                        Some(w) if !days.contains(&w) => days.push(w),
                        Some(_) => {
                            return check.error(
                                d.span(),
                                format!("`business_hours.days`: `{}` is listed twice", d.get_ref()),
                            );
                        }
                        None => {
                            return check.error(
                                d.span(),
                                format!(
                                    "`business_hours.days`: `{}` is not a weekday (expected `Mon` .. `Sun`)",
                                    d.get_ref()
                                ),
                            );
                        }
                    }
                }
                if days.is_empty() {
                    return check.error(
                        list.span(),
                        "`business_hours.days`: at least one business day is needed".to_string(),
                    );
                }
                days
            }
        };
        let start = match &bh.start {
            Some(v) => check.time("business_hours.start", v)?,
            None => NaiveTime::from_hms_opt(9, 0, 0).expect("valid time"),
        };
        let end = match &bh.end {
            Some(v) => {
                let end = check.time("business_hours.end", v)?;
                if end <= start {
                    return check.error(
                        v.span(),
                        "`business_hours.end` must be later than `business_hours.start`"
                            .to_string(),
                    );
                }
                end
            }
            None => NaiveTime::from_hms_opt(17, 0, 0).expect("valid time"),
        };
        let mut holidays = BTreeSet::new();
        for h in bh.holidays.iter().flatten() {
            match NaiveDate::parse_from_str(h.get_ref().trim(), "%Y-%m-%d") {
                Ok(d) => {
                    holidays.insert(d);
                }
                Err(_) => {
                    return check.error(
                        h.span(),
                        format!(
                            "`business_hours.holidays`: `{}` is not an ISO date (expected `YYYY-MM-DD`)",
                            h.get_ref()
                        ),
                    );
                }
            }
        }
        let business_hours = BusinessHours {
            days,
            start,
            end,
            holidays,
        };

        let severities = match raw.severity {
            None => Self::default_policy().severities,
            Some(list) => {
                let mut out: Vec<Severity> = Vec::new();
                for s in list {
                    let name = s.name.get_ref().trim().to_string();
                    let reserved = ["all", "unclassified"];
                    if name.is_empty() || reserved.contains(&name.to_ascii_lowercase().as_str()) {
                        return check.error(
                            s.name.span(),
                            format!(
                                "`severity.name`: `{name}` cannot be used (empty, or reserved for the `ALL` and `unclassified` rows)"
                            ),
                        );
                    }
                    if out.iter().any(|o| o.name.eq_ignore_ascii_case(&name)) {
                        return check.error(
                            s.name.span(),
                            format!("`severity.name`: `{name}` is defined twice"),
                        );
                    }
                    let urgency = match &s.urgency {
                        None => None,
                        Some(u) => {
                            let v = u.get_ref().trim().to_ascii_lowercase();
                            if v != "high" && v != "low" {
                                return check.error(
                                    u.span(),
                                    format!(
                                        "`severity.urgency`: `{}` is not a PagerDuty urgency (expected `high` or `low`)",
                                        u.get_ref()
                                    ),
                                );
                            }
                            Some(v)
                        }
                    };
                    let target = |key: &str, v: &Option<Spanned<String>>, nbd: bool| {
                        v.as_ref().map(|v| check.target(key, v, nbd)).transpose()
                    };
                    out.push(Severity {
                        matches: s
                            .matches
                            .unwrap_or_else(|| vec![name.clone()])
                            .into_iter()
                            .map(|m| m.trim().to_string())
                            .collect(),
                        ack_within: target("severity.ack_within", &s.ack_within, true)?,
                        resolve_within: target("severity.resolve_within", &s.resolve_within, true)?,
                        postmortem_within: target(
                            "severity.postmortem_within",
                            &s.postmortem_within,
                            false,
                        )?,
                        urgency,
                        name,
                    });
                }
                if out.is_empty() {
                    return check.error(0..0, "at least one `[[severity]]` is needed".to_string());
                }
                out
            }
        };

        let mut escalation_levels = Vec::new();
        match &raw.escalation.levels {
            None => escalation_levels.extend([300, 600, 1200, 1800]),
            Some(levels) => {
                for l in levels {
                    match check.target("escalation.levels", l, false)? {
                        Target::Within(s) => escalation_levels.push(s),
                        Target::NextBusinessDay => unreachable!("not allowed above"),
                    }
                }
            }
        }

        let max_shift_s = match &raw.oncall.max_shift {
            None => 7 * 86_400,
            Some(v) => match check.target("oncall.max_shift", v, false)? {
                Target::Within(s) => s,
                Target::NextBusinessDay => unreachable!("not allowed above"),
            },
        };

        let pct = |key: &str, v: &Option<Spanned<f64>>| -> Result<f64, Error> {
            match v {
                None => Ok(95.0),
                Some(v) if (0.0..=100.0).contains(v.get_ref()) => Ok(*v.get_ref()),
                Some(v) => check.error(
                    v.span(),
                    format!(
                        "`{key}`: {} is not a percentage (expected 0 to 100)",
                        v.get_ref()
                    ),
                ),
            }
        };

        let statuspage = StatuspageRules {
            match_window_s: match &raw.statuspage.match_window {
                None => 3600,
                Some(v) => match check.target("statuspage.match_window", v, false)? {
                    Target::Within(s) => s,
                    Target::NextBusinessDay => unreachable!("not allowed above"),
                },
            },
            components: raw.statuspage.components.clone(),
            detected_first_pct: pct(
                "statuspage.detected_first_pct",
                &raw.statuspage.detected_first_pct,
            )?,
        };

        Ok(Self {
            organization,
            timezone,
            input_timezone,
            business_hours,
            severities,
            escalation_levels,
            max_shift_s,
            statuspage,
            ack_within_sla_pct: pct(
                "targets.ack_within_sla_pct",
                &raw.targets.ack_within_sla_pct,
            )?,
            resolve_within_sla_pct: pct(
                "targets.resolve_within_sla_pct",
                &raw.targets.resolve_within_sla_pct,
            )?,
        })
    }

    /// Whether any severity has an acknowledgement target (the `ALL` row's ack columns).
    pub fn any_ack_target(&self) -> bool {
        self.severities.iter().any(|s| s.ack_within.is_some())
    }

    /// Whether any severity has a resolution target.
    pub fn any_resolve_target(&self) -> bool {
        self.severities.iter().any(|s| s.resolve_within.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Policy, String> {
        Policy::parse(Path::new("policy.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn default_policy_matches_the_issue() {
        let p = Policy::default_policy();
        assert_eq!(p.timezone, Tz::UTC);
        let names: Vec<_> = p.severities.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["P1", "P2", "P3", "P4"]);
        let t: Vec<_> = p
            .severities
            .iter()
            .map(|s| (s.ack_within, s.resolve_within, s.postmortem_within))
            .collect();
        assert_eq!(
            t,
            [
                (
                    Some(Target::Within(300)),
                    Some(Target::Within(14_400)),
                    Some(Target::Within(172_800))
                ),
                (
                    Some(Target::Within(900)),
                    Some(Target::Within(86_400)),
                    Some(Target::Within(604_800))
                ),
                (
                    Some(Target::Within(3600)),
                    Some(Target::Within(259_200)),
                    None
                ),
                (Some(Target::NextBusinessDay), None, None),
            ]
        );
        assert_eq!(p.escalation_levels, [300, 600, 1200, 1800]);
        assert_eq!(p.ack_within_sla_pct, 95.0);
        assert!(p.severities.iter().all(|s| s.urgency.is_none()));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("5m"), Some(300));
        assert_eq!(parse_duration("4h"), Some(14_400));
        assert_eq!(parse_duration("7d"), Some(604_800));
        assert_eq!(parse_duration("1h30m"), Some(5400));
        for bad in [
            "",
            "5",
            "5x",
            "m",
            "-5m",
            "0m",
            "5 m",
            "99999999999999999999d",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert_eq!(format_duration(5400), "1h30m");
        assert_eq!(format_duration(172_800), "2d");
        let t = |s| Target::Within(s).to_string();
        assert_eq!(
            [
                t(300),
                t(3600),
                t(86_400),
                t(172_800),
                t(259_200),
                t(604_800),
                t(5400)
            ],
            ["5m", "1h", "24h", "48h", "72h", "7d", "1h30m"]
        );
    }

    #[test]
    fn bad_duration_names_line_and_key() {
        let err = parse("[[severity]]\nname = \"P1\"\nack_within = \"5x\"\n").unwrap_err();
        assert_eq!(
            err,
            "policy.toml:3:14: `severity.ack_within`: `5x` is not a duration (expected e.g. `90s`, `5m`, `4h`, `7d` or `next-business-day`)"
        );
    }

    #[test]
    fn unknown_key_and_zone() {
        let err = parse("[organization]\nnmae = \"X\"\n").unwrap_err();
        assert!(
            err.starts_with("policy.toml:2:1: unknown field `nmae`"),
            "{err}"
        );
        let err = parse("[organization]\ntimezone = \"Mars/Olympus\"\n").unwrap_err();
        assert!(
            err.starts_with("policy.toml:2:12: `organization.timezone`: `Mars/Olympus`"),
            "{err}"
        );
    }

    #[test]
    fn input_zone_defaults_to_organisation_zone() {
        let p = parse("[organization]\ntimezone = \"Europe/Berlin\"\n").unwrap();
        assert_eq!(p.input_timezone, chrono_tz::Europe::Berlin);
        assert_eq!(p.severities.len(), 4);
    }

    #[test]
    fn match_defaults_to_name_and_urgency_is_checked() {
        let p = parse("[[severity]]\nname = \"SEV1\"\nurgency = \"High\"\n").unwrap();
        assert_eq!(p.severities[0].matches, ["SEV1"]);
        assert_eq!(p.severities[0].urgency.as_deref(), Some("high"));
        assert!(parse("[[severity]]\nname = \"S\"\nurgency = \"urgent\"\n").is_err());
        assert!(parse("[[severity]]\nname = \"ALL\"\n").is_err());
        assert!(parse("[[severity]]\nname = \"A\"\n[[severity]]\nname = \"a\"\n").is_err());
    }

    #[test]
    fn business_hours_are_checked() {
        assert!(parse("[business_hours]\ndays = [\"Mon\", \"Funday\"]\n").is_err());
        assert!(parse("[business_hours]\nstart = \"17:00\"\nend = \"09:00\"\n").is_err());
        assert!(parse("[business_hours]\nholidays = [\"2026-02-30\"]\n").is_err());
        let p = parse("[business_hours]\nholidays = [\"2026-12-25\"]\n").unwrap();
        let xmas = NaiveDate::from_ymd_opt(2026, 12, 25).unwrap();
        assert!(!p.business_hours.is_business_day(xmas));
        assert!(
            p.business_hours
                .is_business_day(NaiveDate::from_ymd_opt(2026, 12, 24).unwrap())
        );
    }
}
