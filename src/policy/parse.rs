//! Policy text (TOML) → a validated `Policy`, or a `PolicyInvalid` error naming the file,
//! line, column and key. serde reads the raw tables; every value is then checked here.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{NaiveDate, NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;

use super::{
    BusinessHours, Exclusion, Policy, ResolvedWithoutAck, SecurityRules, Severity, StatuspageRules,
    Target,
};
use crate::error::{Error, Location};

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
    acknowledgement: RawAcknowledgement,
    security: Option<RawSecurity>,
    #[serde(default)]
    exclusion: Vec<Spanned<RawExclusion>>,
    #[serde(default)]
    targets: RawTargets,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAcknowledgement {
    resolved_without_ack: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSecurity {
    #[serde(rename = "match", default)]
    matches: Vec<Spanned<String>>,
    #[serde(default)]
    services: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExclusion {
    reason: Option<Spanned<String>>,
    #[serde(default)]
    services: Vec<String>,
    #[serde(rename = "match", default)]
    matches: Vec<String>,
    from: Option<Spanned<toml::Value>>,
    to: Option<Spanned<toml::Value>>,
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
    policy_title: Option<String>,
    policy_version: Option<String>,
    policy_approved_by: Option<String>,
    policy_approved_on: Option<Spanned<toml::Value>>,
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
pub(crate) fn parse_duration(text: &str) -> Option<i64> {
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

/// `8 business hours`, `1 business hour`, `8bh`: `None` when the text is not of that shape,
/// `Some(None)` when it is but the number is not a whole number from 1 to 10,000.
fn parse_business_hours(text: &str) -> Option<Option<i64>> {
    let lower = text.to_ascii_lowercase();
    let number = if let Some(n) = lower.strip_suffix("bh") {
        n.trim_end()
    } else {
        let mut words = lower.split_whitespace();
        let n = words.next()?;
        if words.next() != Some("business") || !matches!(words.next(), Some("hours" | "hour")) {
            return None;
        }
        if words.next().is_some() {
            return None;
        }
        n
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Some(None);
    }
    Some(
        number
            .parse::<i64>()
            .ok()
            .filter(|h| (1..=10_000).contains(h)),
    )
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
pub(crate) fn parse_timezone(text: &str) -> Option<Tz> {
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
        if allow_nbd && let Some(hours) = parse_business_hours(text) {
            return match hours {
                Some(h) => Ok(Target::BusinessHours(h)),
                None => self.error(
                    value.span(),
                    format!(
                        "`{key}`: `{text}` is not a whole number of business hours from 1 to 10000 (expected e.g. `8 business hours`, `1 business hour` or `8bh`)"
                    ),
                ),
            };
        }
        match parse_duration(text) {
            Some(seconds) => Ok(Target::Within(seconds)),
            None => self.error(
                value.span(),
                format!(
                    "`{key}`: `{text}` is not a duration (expected e.g. `90s`, `5m`, `4h`, `7d`{})",
                    if allow_nbd {
                        ", `next-business-day` or `8 business hours`"
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

    /// `[business_hours]`: days (default Monday to Friday), start and end (default 09:00 to
    /// 17:00, end after start), holidays.
    fn business_hours(&self, bh: &RawBusinessHours) -> Result<BusinessHours, Error> {
        let check = self;
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
        Ok(BusinessHours {
            days,
            start,
            end,
            holidays,
        })
    }

    /// `[[severity]]`: the matrix, most severe first (default: the built-in matrix).
    fn severities(&self, list: Option<Vec<RawSeverity>>) -> Result<Vec<Severity>, Error> {
        let check = self;
        Ok(match list {
            None => Policy::default_policy().severities,
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
        })
    }

    /// A duration key that takes no `next-business-day`, in seconds; `default` when absent.
    fn seconds(
        &self,
        key: &str,
        value: &Option<Spanned<String>>,
        default: i64,
    ) -> Result<i64, Error> {
        match value {
            None => Ok(default),
            Some(v) => match self.target(key, v, false)? {
                Target::Within(s) => Ok(s),
                Target::NextBusinessDay | Target::BusinessHours(_) => {
                    unreachable!("not allowed above")
                }
            },
        }
    }

    /// A percentage from 0 to 100; 95 when absent.
    fn pct(&self, key: &str, v: &Option<Spanned<f64>>) -> Result<f64, Error> {
        self.pct_or(key, v, 95.0)
    }

    /// A percentage from 0 to 100; `default` when absent.
    fn pct_or(&self, key: &str, v: &Option<Spanned<f64>>, default: f64) -> Result<f64, Error> {
        match v {
            None => Ok(default),
            Some(v) if (0.0..=100.0).contains(v.get_ref()) => Ok(*v.get_ref()),
            Some(v) => self.error(
                v.span(),
                format!(
                    "`{key}`: {} is not a percentage (expected 0 to 100)",
                    v.get_ref()
                ),
            ),
        }
    }

    /// A list of non-empty terms (an empty one would match everything).
    fn terms(&self, key: &str, list: &[Spanned<String>]) -> Result<Vec<String>, Error> {
        list.iter()
            .map(|t| {
                let text = t.get_ref().trim();
                if text.is_empty() {
                    self.error(
                        t.span(),
                        format!("`{key}`: an empty term would match every incident"),
                    )
                } else {
                    Ok(text.to_string())
                }
            })
            .collect()
    }

    /// `[acknowledgement] resolved_without_ack`: `breach` (default) or `exclude`.
    fn resolved_without_ack(&self, raw: &RawAcknowledgement) -> Result<ResolvedWithoutAck, Error> {
        match &raw.resolved_without_ack {
            None => Ok(ResolvedWithoutAck::Breach),
            Some(v) => match v.get_ref().trim() {
                "breach" => Ok(ResolvedWithoutAck::Breach),
                "exclude" => Ok(ResolvedWithoutAck::Exclude),
                other => self.error(
                    v.span(),
                    format!(
                        "`acknowledgement.resolved_without_ack`: `{other}` is not a choice (expected `breach` or `exclude`)"
                    ),
                ),
            },
        }
    }

    /// A local date-time of `[[exclusion]]` (`2025-03-01T02:00`, seconds optional, a space
    /// instead of `T`, or a date alone for its midnight), as an instant in `zone`.
    fn local_datetime(
        &self,
        key: &str,
        value: &Spanned<toml::Value>,
        zone: Tz,
    ) -> Result<chrono::DateTime<chrono::Utc>, Error> {
        let text = match value.get_ref() {
            toml::Value::String(s) => s.trim().to_string(),
            toml::Value::Datetime(d) => d.to_string(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Array(_) => "a list".to_string(),
            toml::Value::Table(_) => "a table".to_string(),
        };
        let naive = [
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M",
        ]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(&text, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .ok()
                .map(|d| d.and_time(NaiveTime::MIN))
        });
        match naive {
            Some(n) => Ok(crate::model::time::local_instant(zone, n)),
            None => self.error(
                value.span(),
                format!(
                    "`{key}`: `{text}` is not a local date-time (expected e.g. `2025-03-01T02:00` in the organisation's time zone, without an offset)"
                ),
            ),
        }
    }

    /// `[[exclusion]]` rules: a reason and at least one condition; `from` before `to`.
    fn exclusions(&self, raw: &[Spanned<RawExclusion>], zone: Tz) -> Result<Vec<Exclusion>, Error> {
        let mut out = Vec::new();
        for (n, table) in raw.iter().enumerate() {
            let r = table.get_ref();
            let at = table.span().start;
            let n = n + 1;
            let reason = match &r.reason {
                Some(v) if !v.get_ref().trim().is_empty() => v.get_ref().trim().to_string(),
                Some(v) => {
                    return self.error(
                        v.span(),
                        format!("`exclusion.reason` of exclusion {n} is empty"),
                    );
                }
                None => {
                    return self.error(
                        at..at,
                        format!("exclusion {n} has no `reason` (every exclusion needs one)"),
                    );
                }
            };
            let from = r
                .from
                .as_ref()
                .map(|v| self.local_datetime("exclusion.from", v, zone))
                .transpose()?;
            let to =
                r.to.as_ref()
                    .map(|v| self.local_datetime("exclusion.to", v, zone))
                    .transpose()?;
            if let (Some(f), Some(t), Some(v)) = (from, to, &r.to)
                && t <= f
            {
                return self.error(
                    v.span(),
                    format!("`exclusion.to` of exclusion {n} is not after its `from`"),
                );
            }
            // Compared ignoring case: lower-cased once, here.
            let clean = |list: &[String]| -> Vec<String> {
                list.iter()
                    .map(|m| m.trim().to_lowercase())
                    .filter(|m| !m.is_empty())
                    .collect()
            };
            let (services, matches) = (clean(&r.services), clean(&r.matches));
            if services.is_empty() && matches.is_empty() && from.is_none() && to.is_none() {
                return self.error(
                    at..at,
                    format!(
                        "exclusion {n} has no condition (give `services`, `match`, `from` or `to`; it would exclude every incident)"
                    ),
                );
            }
            out.push(Exclusion {
                reason,
                services,
                matches,
                from,
                to,
            });
        }
        Ok(out)
    }

    /// `[escalation] levels` (default 5m, 10m, 20m, 30m), in seconds.
    /// The approved policy document the file transcribes; `policy_approved_on` a date.
    fn document(&self, o: &RawOrganization) -> Result<super::PolicyDocument, Error> {
        let given = |v: &Option<String>| {
            v.as_ref()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let approved_on = match &o.policy_approved_on {
            None => None,
            Some(v) => {
                let text = match v.get_ref() {
                    toml::Value::String(s) => s.trim().to_string(),
                    toml::Value::Datetime(d) => d.to_string(),
                    _ => String::new(),
                };
                match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
                    Ok(d) => Some(d),
                    Err(_) if text.is_empty() => None,
                    Err(_) => {
                        return self.error(
                            v.span(),
                            format!("`organization.policy_approved_on`: `{text}` is not a date (expected YYYY-MM-DD)"),
                        );
                    }
                }
            }
        };
        Ok(super::PolicyDocument {
            title: given(&o.policy_title),
            version: given(&o.policy_version),
            approved_by: given(&o.policy_approved_by),
            approved_on,
        })
    }

    fn escalation_levels(&self, levels: &Option<Vec<Spanned<String>>>) -> Result<Vec<i64>, Error> {
        match levels {
            None => Ok(vec![300, 600, 1200, 1800]),
            Some(levels) => levels
                .iter()
                .map(|l| self.seconds("escalation.levels", &Some(l.clone()), 0))
                .collect(),
        }
    }
}

impl Policy {
    /// Parses and validates policy text; `path` only labels error messages.
    pub(crate) fn parse(path: &Path, text: &str) -> Result<Self, Error> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            Error::PolicyInvalid {
                location: Location::at_offset(path, text.as_bytes(), offset),
                reason: e.message().trim().to_string(),
            }
        })?;
        let check = Checker { path, text };
        let timezone = match &raw.organization.timezone {
            Some(v) => check.timezone("organization.timezone", v)?,
            None => Tz::UTC,
        };
        let input_timezone = match &raw.inputs.timezone {
            Some(v) => check.timezone("inputs.timezone", v)?,
            None => timezone,
        };
        // Checked in the order of the file's sections, so the first error is reported first.
        let business_hours = check.business_hours(&raw.business_hours)?;
        let severities = check.severities(raw.severity)?;
        let escalation_levels = check.escalation_levels(&raw.escalation.levels)?;
        let max_shift_s = check.seconds("oncall.max_shift", &raw.oncall.max_shift, 7 * 86_400)?;
        let statuspage = StatuspageRules {
            match_window_s: check.seconds(
                "statuspage.match_window",
                &raw.statuspage.match_window,
                3600,
            )?,
            components: raw.statuspage.components.clone(),
            // 90 %, the value `init` writes and docs/statuspage.md states.
            detected_first_pct: check.pct_or(
                "statuspage.detected_first_pct",
                &raw.statuspage.detected_first_pct,
                90.0,
            )?,
        };
        let resolved_without_ack = check.resolved_without_ack(&raw.acknowledgement)?;
        let security = match &raw.security {
            None => Policy::default_policy().security,
            Some(s) => SecurityRules {
                matches: check.terms("security.match", &s.matches)?,
                services: check.terms("security.services", &s.services)?,
            },
        };
        let exclusions = check.exclusions(&raw.exclusion, timezone)?;
        let document = check.document(&raw.organization)?;
        Ok(Self {
            document,
            organization: raw
                .organization
                .name
                .clone()
                .unwrap_or_else(|| "Example Corp".to_string()),
            timezone,
            input_timezone,
            business_hours,
            severities,
            escalation_levels,
            max_shift_s,
            statuspage,
            resolved_without_ack,
            security,
            exclusions,
            ack_within_sla_pct: check.pct(
                "targets.ack_within_sla_pct",
                &raw.targets.ack_within_sla_pct,
            )?,
            resolve_within_sla_pct: check.pct(
                "targets.resolve_within_sla_pct",
                &raw.targets.resolve_within_sla_pct,
            )?,
        })
    }
}
