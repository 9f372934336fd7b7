//! Applies the policy to one incident: its severity, local month, whether it falls in the
//! period, and its deadlines as seconds after creation. Pure functions, no polars.

use chrono::{DateTime, Days, LocalResult, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::model::Incident;
use crate::policy::{BusinessHours, Policy, Target};

/// The audit period: inclusive local dates in the organisation's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
}

impl Period {
    /// Every month of the period as `YYYY-MM`, in order.
    pub fn months(&self) -> Vec<String> {
        use chrono::Datelike;
        let mut months = Vec::new();
        let mut d = self.from.with_day(1).expect("day 1 exists");
        while d <= self.to {
            months.push(d.format("%Y-%m").to_string());
            d = d
                .checked_add_months(chrono::Months::new(1))
                .expect("inside chrono's range");
        }
        months
    }

    /// The whole months spanned by the dates `first..=last`.
    pub fn whole_months(first: NaiveDate, last: NaiveDate) -> Self {
        use chrono::Datelike;
        let from = first.with_day(1).expect("day 1 exists");
        let to = last
            .with_day(1)
            .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
            .and_then(|d| d.pred_opt())
            .unwrap_or(last);
        Self { from, to }
    }
}

/// How an incident got (or did not get) its severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Classification {
    /// Index into `policy.severities`.
    Severity(usize),
    /// No severity matches; the text says why.
    Unclassified(String),
}

/// The severity of an incident: by priority name, else by urgency when it has no priority.
pub fn classify(incident: &Incident, policy: &Policy) -> Classification {
    match &incident.priority {
        Some(priority) => {
            let p = priority.trim();
            policy
                .severities
                .iter()
                .position(|s| s.matches.iter().any(|m| m.eq_ignore_ascii_case(p)))
                .map_or_else(
                    || {
                        Classification::Unclassified(format!(
                            "priority `{p}` matches no severity of the policy"
                        ))
                    },
                    Classification::Severity,
                )
        }
        None => {
            let urgency = incident.urgency.as_deref();
            policy
                .severities
                .iter()
                .position(|s| s.urgency.is_some() && s.urgency.as_deref() == urgency)
                .map_or_else(
                    || {
                        Classification::Unclassified(match urgency {
                            Some(u) => format!(
                                "no priority, and no severity of the policy takes urgency `{u}`"
                            ),
                            None => "no priority and no urgency".to_string(),
                        })
                    },
                    Classification::Severity,
                )
        }
    }
}

/// A local wall-clock time as an instant; a time skipped by a clock change moves to the
/// first instant after the gap, a repeated one takes the earlier instant.
pub fn local_instant(zone: Tz, naive: chrono::NaiveDateTime) -> DateTime<Utc> {
    let mut t = naive;
    for _ in 0..4 {
        match crate::zone::from_local(t, zone) {
            LocalResult::Single(d) | LocalResult::Ambiguous(d, _) => return d.with_timezone(&Utc),
            LocalResult::None => t += chrono::Duration::minutes(30),
        }
    }
    naive.and_utc()
}

/// `business_hours.end` on the first business day strictly after the local creation date.
pub fn next_business_day_deadline(
    created: DateTime<Utc>,
    zone: Tz,
    hours: &BusinessHours,
) -> DateTime<Utc> {
    let local_date = crate::zone::to_local(created, zone).date();
    let mut day = local_date;
    // At most one week plus every holiday can pass before a business day comes.
    for _ in 0..(8 + hours.holidays.len()) {
        day = day + Days::new(1);
        if hours.is_business_day(day) {
            break;
        }
    }
    local_instant(zone, day.and_time(hours.end))
}

/// A target as seconds after creation for this incident.
pub fn target_seconds(
    target: Target,
    created: DateTime<Utc>,
    zone: Tz,
    hours: &BusinessHours,
) -> f64 {
    match target {
        Target::Within(s) => s as f64,
        Target::NextBusinessDay => {
            (next_business_day_deadline(created, zone, hours) - created).num_milliseconds() as f64
                / 1000.0
        }
    }
}

/// The local date of an instant in the organisation's zone.
pub fn local_date(t: DateTime<Utc>, zone: Tz) -> NaiveDate {
    crate::zone::to_local(t, zone).date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn incident(priority: Option<&str>, urgency: Option<&str>) -> Incident {
        Incident {
            number: Some(1),
            urgency: urgency.map(Into::into),
            priority: priority.map(Into::into),
            ..Incident::bare("P", utc("2026-01-05T10:00:00Z"))
        }
    }

    #[test]
    fn severity_by_priority_then_urgency() {
        let p = Policy::parse(
            Path::new("p.toml"),
            "[[severity]]\nname = \"Critical\"\nmatch = [\"P1\", \"SEV-1\"]\n\
             [[severity]]\nname = \"Low\"\nmatch = [\"P4\"]\nurgency = \"low\"\n",
        )
        .unwrap();
        assert_eq!(
            classify(&incident(Some("sev-1"), None), &p),
            Classification::Severity(0)
        );
        assert_eq!(
            classify(&incident(None, Some("low")), &p),
            Classification::Severity(1)
        );
        // A priority that the policy does not know is never classified by urgency.
        assert!(matches!(
            classify(&incident(Some("P9"), Some("low")), &p),
            Classification::Unclassified(r) if r.contains("`P9`")
        ));
        assert!(matches!(
            classify(&incident(None, Some("high")), &p),
            Classification::Unclassified(r) if r.contains("urgency `high`")
        ));
        // The default policy classifies nothing by urgency.
        assert!(matches!(
            classify(&incident(None, Some("high")), &Policy::default_policy()),
            Classification::Unclassified(_)
        ));
    }

    #[test]
    fn next_business_day_over_a_holiday_weekend() {
        // Created Thursday 2026-12-24 20:00 in New York; Friday 25th is a holiday, then the
        // weekend: the deadline is Monday 28th 17:00 EST = 22:00Z.
        let p = Policy::parse(
            Path::new("p.toml"),
            "[organization]\ntimezone = \"America/New_York\"\n\
             [business_hours]\nholidays = [\"2026-12-25\"]\n",
        )
        .unwrap();
        let created = utc("2026-12-25T01:00:00Z");
        assert_eq!(
            next_business_day_deadline(created, p.timezone, &p.business_hours),
            utc("2026-12-28T22:00:00Z")
        );
        // Created on a Monday: Tuesday 17:00.
        assert_eq!(
            next_business_day_deadline(utc("2026-01-05T14:00:00Z"), p.timezone, &p.business_hours),
            utc("2026-01-06T22:00:00Z")
        );
        assert_eq!(
            target_seconds(
                Target::NextBusinessDay,
                utc("2026-01-05T14:00:00Z"),
                p.timezone,
                &p.business_hours
            ),
            32.0 * 3600.0
        );
    }

    #[test]
    fn next_business_day_across_clock_changes_weekends_and_holidays() {
        let p = Policy::parse(
            Path::new("p.toml"),
            "[organization]\ntimezone = \"America/New_York\"\n\
             [business_hours]\nholidays = [\"2026-11-26\", \"2026-05-25\"]\n",
        )
        .unwrap();
        let due =
            |created: &str| next_business_day_deadline(utc(created), p.timezone, &p.business_hours);
        // Friday 2026-10-30 12:00 EDT (16:00Z); clocks go back on Sunday 1 November, so
        // Monday 17:00 is EST: 22:00Z, 3 d 6 h after creation (3 d 5 h without the change).
        assert_eq!(due("2026-10-30T16:00:00Z"), utc("2026-11-02T22:00:00Z"));
        assert_eq!(
            target_seconds(
                Target::NextBusinessDay,
                utc("2026-10-30T16:00:00Z"),
                p.timezone,
                &p.business_hours
            ),
            // 3 × 86,400 + 6 × 3,600 = 280,800.
            280_800.0
        );
        // Friday 2026-03-06 12:00 EST (17:00Z); clocks go forward on Sunday 8 March: Monday
        // 17:00 EDT is 21:00Z, 3 d 4 h after creation = 273,600 s.
        assert_eq!(due("2026-03-06T17:00:00Z"), utc("2026-03-09T21:00:00Z"));
        // Created on a Saturday (10:00 EDT): Monday, the first business day after it.
        assert_eq!(due("2026-10-31T14:00:00Z"), utc("2026-11-02T22:00:00Z"));
        // Created on a Sunday in the repeated hour (01:30 EST, 06:30Z): Monday too.
        assert_eq!(due("2026-11-01T06:30:00Z"), utc("2026-11-02T22:00:00Z"));
        // Created on a holiday (Thanksgiving, Thursday 26 November): Friday 27th.
        assert_eq!(due("2026-11-26T15:00:00Z"), utc("2026-11-27T22:00:00Z"));
        // Created the Friday before a Monday holiday (Memorial Day, 25 May): Tuesday 26th,
        // 17:00 EDT = 21:00Z.
        assert_eq!(due("2026-05-22T15:00:00Z"), utc("2026-05-26T21:00:00Z"));
        // Created at 23:30 local on Wednesday (03:30Z Thursday): the local date counts, so
        // the deadline is Thursday 17:00, not Friday.
        assert_eq!(due("2026-01-08T04:30:00Z"), utc("2026-01-08T22:00:00Z"));
    }

    #[test]
    fn months_of_a_period() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let p = Period::whole_months(d("2025-11-15"), d("2026-02-03"));
        assert_eq!(p.from, d("2025-11-01"));
        assert_eq!(p.to, d("2026-02-28"));
        assert_eq!(p.months(), ["2025-11", "2025-12", "2026-01", "2026-02"]);
    }
}
