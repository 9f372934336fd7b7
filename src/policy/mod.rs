//! The policy in force: severity matrix, SLA targets and pass lines, business hours, time
//! zones, escalation levels, on-call and status-page rules (`Policy` and its parts), the
//! deadlines they set (`deadline`), and the reading of the policy file (`parse`). No file
//! access: `commands` hands `Policy::parse` the text.

pub(crate) mod deadline;
mod parse;

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use chrono::{NaiveDate, NaiveTime, Weekday};
use chrono_tz::Tz;

pub(crate) use parse::parse_timezone;

use crate::model::text::format_duration;

/// The commented policy that `auditpack init` writes, and the built-in default.
pub(crate) const DEFAULT_POLICY: &str = include_str!("default-policy.toml");

/// A response or resolution target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Met when the measured time is at most this many seconds (inclusive).
    Within(i64),
    /// Met when it lands by `business_hours.end` on the first business day after the
    /// local creation date.
    NextBusinessDay,
    /// Met within this many business hours: the clock runs only inside `[business_hours]`
    /// on business days (`"8 business hours"`, `"8bh"`).
    BusinessHours(i64),
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
            Self::BusinessHours(1) => f.write_str("1 business hour"),
            Self::BusinessHours(h) => write!(f, "{h} business hours"),
        }
    }
}

/// One row of the severity matrix.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Severity {
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
pub(crate) struct BusinessHours {
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
    pub(crate) fn is_business_day(&self, date: NaiveDate) -> bool {
        use chrono::Datelike;
        self.days.contains(&date.weekday()) && !self.holidays.contains(&date)
    }
}

/// The approved incident-response policy document that the policy file transcribes
/// (`[organization] policy_title`, `policy_version`, `policy_approved_by`,
/// `policy_approved_on`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PolicyDocument {
    pub title: Option<String>,
    pub version: Option<String>,
    pub approved_by: Option<String>,
    pub approved_on: Option<NaiveDate>,
}

impl PolicyDocument {
    /// Whether the file names the document (a title at least).
    pub(crate) fn stated(&self) -> bool {
        self.title.is_some()
    }

    /// In words: `Incident Response Policy, version 3.2, approved by J. Doe (CISO) on
    /// 2025-01-15`, with "not stated" for each part missing.
    pub(crate) fn words(&self) -> String {
        let not = "not stated";
        format!(
            "{}, version {}, approved by {} on {}",
            self.title.as_deref().unwrap_or("title not stated"),
            self.version.as_deref().unwrap_or(not),
            self.approved_by.as_deref().unwrap_or(not),
            self.approved_on.map_or(not.to_string(), |d| d.to_string())
        )
    }
}

/// The validated policy.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Policy {
    /// Organisation name, as printed on the evidence.
    pub organization: String,
    /// The approved policy document this file transcribes.
    pub document: PolicyDocument,
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
    /// What an incident resolved without any acknowledgement counts as against the
    /// acknowledgement target (`[acknowledgement] resolved_without_ack`).
    pub resolved_without_ack: ResolvedWithoutAck,
    /// Which incidents are security events (`[security]`).
    pub security: SecurityRules,
    /// Documented exclusions (`[[exclusion]]`), in policy order.
    pub exclusions: Vec<Exclusion>,
    /// Pass line for the acknowledgement SLA, in percent.
    pub ack_within_sla_pct: f64,
    /// Pass line for the resolution SLA, in percent.
    pub resolve_within_sla_pct: f64,
}

/// `[acknowledgement] resolved_without_ack`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResolvedWithoutAck {
    /// It misses the acknowledgement target (the default).
    Breach,
    /// It leaves the acknowledgement denominator and is listed as `excluded_unacknowledged`.
    Exclude,
}

/// `[security]`: which incidents are security events.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SecurityRules {
    /// Case-insensitive substrings of the description or the service name (`match`).
    pub matches: Vec<String>,
    /// Service names, compared ignoring case (`services`).
    pub services: Vec<String>,
}

/// An incident's description and service name, lower-cased once for the rules that
/// compare them ignoring case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Folded {
    pub description: String,
    pub service: String,
}

impl Folded {
    pub(crate) fn of(description: Option<&str>, service: Option<&str>) -> Self {
        let lower = |t: Option<&str>| t.map(str::to_lowercase).unwrap_or_default();
        Self {
            description: lower(description),
            service: lower(service),
        }
    }
}

/// `[security]` with its terms lower-cased, made once per build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecurityMatcher {
    matches: Vec<String>,
    services: Vec<String>,
}

impl SecurityMatcher {
    /// Whether an incident is a security event.
    pub(crate) fn matches(&self, text: &Folded) -> bool {
        (!text.service.is_empty() && self.services.contains(&text.service))
            || self
                .matches
                .iter()
                .any(|m| text.description.contains(m.as_str()) || text.service.contains(m.as_str()))
    }
}

impl SecurityRules {
    /// The rules with their terms lower-cased, to test many incidents.
    pub(crate) fn matcher(&self) -> SecurityMatcher {
        let lower = |v: &[String]| v.iter().map(|t| t.to_lowercase()).collect();
        SecurityMatcher {
            matches: lower(&self.matches),
            services: lower(&self.services),
        }
    }

    /// Whether an incident with this description and service is a security event.
    #[cfg(test)]
    pub(crate) fn is_security(&self, description: Option<&str>, service: Option<&str>) -> bool {
        self.matcher().matches(&Folded::of(description, service))
    }
}

/// One `[[exclusion]]`: incidents it covers are not judged but listed with the reason.
/// Every condition given must hold.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Exclusion {
    /// Why (required), as printed.
    pub reason: String,
    /// Service names, lower-cased (compared ignoring case); empty: any service.
    pub services: Vec<String>,
    /// Substrings of the description, lower-cased (compared ignoring case); empty: any
    /// description.
    pub matches: Vec<String>,
    /// Created at or after this instant (a local date-time in the organisation's zone).
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Created before this instant.
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

impl Exclusion {
    /// Whether the rule covers an incident of this (lower-cased) text and creation time.
    pub(crate) fn covers_folded(
        &self,
        text: &Folded,
        created: chrono::DateTime<chrono::Utc>,
    ) -> bool {
        (self.services.is_empty() || self.services.contains(&text.service))
            && (self.matches.is_empty()
                || self
                    .matches
                    .iter()
                    .any(|m| text.description.contains(m.as_str())))
            && self.from.is_none_or(|f| created >= f)
            && self.to.is_none_or(|t| created < t)
    }

    /// Whether the rule covers an incident.
    #[cfg(test)]
    pub(crate) fn covers(
        &self,
        description: Option<&str>,
        service: Option<&str>,
        created: chrono::DateTime<chrono::Utc>,
    ) -> bool {
        self.covers_folded(&Folded::of(description, service), created)
    }
}

/// `[statuspage]`: matching customer-facing notices to PagerDuty incidents.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StatuspageRules {
    /// Seconds before the impact start and after the public notice a PagerDuty incident may
    /// be created and still match (`match_window`, default 1h).
    pub match_window_s: i64,
    /// Status-page component name → PagerDuty service names (`components`); components not
    /// listed match services of the same name, ignoring case and punctuation.
    pub components: std::collections::BTreeMap<String, Vec<String>>,
    /// Pass line for the share of status-page incidents detected internally first, percent.
    pub detected_first_pct: f64,
}

impl Policy {
    /// The built-in default policy (the text `auditpack init` writes).
    pub(crate) fn default_policy() -> Self {
        Self::parse(Path::new("<built-in default policy>"), DEFAULT_POLICY)
            .expect("the built-in default policy is valid (checked by a unit test)")
    }

    /// Whether any severity has an acknowledgement target (the `ALL` row's ack columns).
    pub(crate) fn any_ack_target(&self) -> bool {
        self.severities.iter().any(|s| s.ack_within.is_some())
    }

    /// Whether any severity has a resolution target.
    pub(crate) fn any_resolve_target(&self) -> bool {
        self.severities.iter().any(|s| s.resolve_within.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::parse::parse_duration;
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
            "policy.toml:3:14: `severity.ack_within`: `5x` is not a duration (expected e.g. `90s`, `5m`, `4h`, `7d`, `next-business-day` or `8 business hours`)"
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
    fn business_hour_targets() {
        let p = parse(
            "[[severity]]\nname = \"P3\"\nack_within = \"8 business hours\"\n\
             resolve_within = \"1 business hour\"\n[[severity]]\nname = \"P4\"\nack_within = \"8bh\"\n",
        )
        .unwrap();
        assert_eq!(p.severities[0].ack_within, Some(Target::BusinessHours(8)));
        assert_eq!(
            p.severities[0].resolve_within,
            Some(Target::BusinessHours(1))
        );
        assert_eq!(p.severities[1].ack_within, Some(Target::BusinessHours(8)));
        assert_eq!(Target::BusinessHours(1).to_string(), "1 business hour");
        assert_eq!(Target::BusinessHours(8).to_string(), "8 business hours");
        for bad in ["0 business hours", "1.5 business hours", "x bh", "bh"] {
            let text = format!("[[severity]]\nname = \"P3\"\nack_within = \"{bad}\"\n");
            let err = parse(&text).unwrap_err();
            assert!(err.contains("business hours"), "{bad}: {err}");
        }
        // Not for postmortems: a postmortem deadline is a duration after resolution.
        assert!(
            parse("[[severity]]\nname = \"P1\"\npostmortem_within = \"8 business hours\"\n")
                .is_err()
        );
    }

    #[test]
    fn acknowledgement_security_and_exclusions() {
        let p = Policy::default_policy();
        assert_eq!(p.resolved_without_ack, ResolvedWithoutAck::Breach);
        assert!(p.security.matches.iter().any(|m| m == "GuardDuty"));
        assert!(p.exclusions.is_empty());
        assert!(
            p.security
                .is_security(Some("GuardDuty finding: UnauthorizedAccess"), None)
        );
        assert!(p.security.is_security(Some("x"), Some("aws-guardduty")));
        assert!(!p.security.is_security(Some("Disk full"), Some("db")));
        let p = parse(
            "[organization]\ntimezone = \"Europe/Berlin\"\n\
             [acknowledgement]\nresolved_without_ack = \"exclude\"\n\
             [security]\nservices = [\"SIEM\"]\n\
             [[exclusion]]\nreason = \"Load test\"\nservices = [\"checkout\"]\n\
             from = \"2025-03-01T02:00\"\nto = 2025-03-01T04:00:00\n\
             [[exclusion]]\nreason = \"Tests\"\nmatch = [\"[TEST]\"]\n",
        )
        .unwrap();
        assert_eq!(p.resolved_without_ack, ResolvedWithoutAck::Exclude);
        // A `[security]` section replaces the defaults.
        assert!(p.security.matches.is_empty());
        assert!(p.security.is_security(None, Some("siem")));
        let utc = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        // 02:00 in Berlin (CET, +01:00) is 01:00Z.
        assert_eq!(p.exclusions[0].from, Some(utc("2025-03-01T01:00:00Z")));
        assert_eq!(p.exclusions[0].to, Some(utc("2025-03-01T03:00:00Z")));
        let covers = |e: &Exclusion, d: &str, s: &str, t: &str| e.covers(Some(d), Some(s), utc(t));
        // Start inclusive, end exclusive, every condition must hold.
        assert!(covers(
            &p.exclusions[0],
            "x",
            "Checkout",
            "2025-03-01T01:00:00Z"
        ));
        assert!(!covers(
            &p.exclusions[0],
            "x",
            "checkout",
            "2025-03-01T03:00:00Z"
        ));
        assert!(!covers(
            &p.exclusions[0],
            "x",
            "payments",
            "2025-03-01T02:00:00Z"
        ));
        assert!(covers(
            &p.exclusions[1],
            "[test] ping",
            "any",
            "2020-01-01T00:00:00Z"
        ));
        assert!(!covers(
            &p.exclusions[1],
            "ping",
            "any",
            "2020-01-01T00:00:00Z"
        ));
        for (bad, want) in [
            (
                "[acknowledgement]\nresolved_without_ack = \"ignore\"\n",
                "expected `breach` or `exclude`",
            ),
            ("[[exclusion]]\nservices = [\"a\"]\n", "has no `reason`"),
            ("[[exclusion]]\nreason = \"r\"\n", "has no condition"),
            (
                "[[exclusion]]\nreason = \"r\"\nfrom = \"yesterday\"\n",
                "not a local date-time",
            ),
            (
                "[[exclusion]]\nreason = \"r\"\nfrom = \"2025-03-02\"\nto = \"2025-03-01\"\n",
                "not after its `from`",
            ),
            (
                "[[exclusion]]\nreason = \"r\"\nservice = [\"a\"]\n",
                "unknown field",
            ),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains(want), "{bad}: {err}");
        }
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
