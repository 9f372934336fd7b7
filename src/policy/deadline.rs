//! Deadlines under the policy: a target as seconds after an incident's creation, and the
//! next business day's end in the organisation's zone.

use chrono::{DateTime, Days, Utc};
use chrono_tz::Tz;

use super::{BusinessHours, Target};
use crate::model::time::{local_instant, to_local};

/// `business_hours.end` on the first business day strictly after the local creation date.
pub(crate) fn next_business_day_deadline(
    created: DateTime<Utc>,
    zone: Tz,
    hours: &BusinessHours,
) -> DateTime<Utc> {
    let local_date = to_local(created, zone).date();
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
pub(crate) fn target_seconds(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;
    use std::path::Path;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
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
}
