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

/// The instant `hours` business hours after `created`: the clock runs only between
/// `business_hours.start` and `end` on business days, in the organisation's zone.
///
/// Created Friday 16:30 with hours 09:00–17:00: 30 minutes run on Friday, the other 30 on
/// Monday from 09:00, so 1 business hour ends Monday 09:30.
pub(crate) fn business_hours_deadline(
    created: DateTime<Utc>,
    hours: i64,
    zone: Tz,
    calendar: &BusinessHours,
) -> DateTime<Utc> {
    let local = to_local(created, zone);
    let day_length = (calendar.end - calendar.start).num_seconds().max(1);
    let mut remaining = hours.saturating_mul(3600);
    let mut day = local.date();
    let mut at = local.time();
    // Each business day takes `day_length` off; a week has at least one business day
    // unless holidays fill it, so this many days always suffice.
    let business_days = remaining / day_length + 1;
    let limit = business_days * 7 + calendar.holidays.len() as i64 + 8;
    for _ in 0..limit {
        if calendar.is_business_day(day) {
            let start = at.max(calendar.start);
            if start < calendar.end {
                let available = (calendar.end - start).num_seconds();
                if remaining <= available {
                    let end = start + chrono::Duration::seconds(remaining);
                    return local_instant(zone, day.and_time(end));
                }
                remaining -= available;
            }
        }
        day = day + Days::new(1);
        at = chrono::NaiveTime::MIN;
    }
    // Only a calendar with no business day left reaches here: the deadline never comes
    // within the search, so it is put at its end.
    local_instant(zone, day.and_time(calendar.end))
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
        Target::BusinessHours(h) => {
            (business_hours_deadline(created, h, zone, hours) - created).num_milliseconds() as f64
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
    fn business_hours_across_a_weekend_and_a_holiday() {
        let p = Policy::parse(
            Path::new("p.toml"),
            "[business_hours]\nholidays = [\"2026-01-05\"]\n",
        )
        .unwrap();
        let due = |created: &str, h| {
            business_hours_deadline(utc(created), h, p.timezone, &p.business_hours)
        };
        // Friday 2025-11-14 16:30, 1 business hour: 30 min on Friday (16:30–17:00), 30 on
        // Monday (09:00–09:30): Monday 09:30.
        assert_eq!(due("2025-11-14T16:30:00Z", 1), utc("2025-11-17T09:30:00Z"));
        // The same incident acknowledged Monday 09:30 is exactly on the target: 2 d 17 h
        // = 234,000 s of wall-clock time.
        assert_eq!(
            target_seconds(
                Target::BusinessHours(1),
                utc("2025-11-14T16:30:00Z"),
                p.timezone,
                &p.business_hours
            ),
            234_000.0
        );
        // Friday 2026-01-02 16:30 with Monday 5 January a holiday: 30 min on Friday, the
        // rest on Tuesday 6th from 09:00 → 09:30.
        assert_eq!(due("2026-01-02T16:30:00Z", 1), utc("2026-01-06T09:30:00Z"));
        // 8 business hours from Wednesday 2025-11-12 10:00: 7 h on Wednesday, 1 h on
        // Thursday → Thursday 10:00.
        assert_eq!(due("2025-11-12T10:00:00Z", 8), utc("2025-11-13T10:00:00Z"));
        // Created Saturday night: the clock starts Monday 09:00 → 8 h later, 17:00.
        assert_eq!(due("2025-11-15T22:00:00Z", 8), utc("2025-11-17T17:00:00Z"));
        // Created before opening: from 09:00. After closing: from the next day's 09:00.
        assert_eq!(due("2025-11-12T07:00:00Z", 1), utc("2025-11-12T10:00:00Z"));
        assert_eq!(due("2025-11-12T18:00:00Z", 1), utc("2025-11-13T10:00:00Z"));
        // Exactly at closing, 8 h: all of Thursday → Thursday 17:00.
        assert_eq!(due("2025-11-12T17:00:00Z", 8), utc("2025-11-13T17:00:00Z"));
    }

    #[test]
    fn business_hours_in_a_zone_with_clock_changes() {
        // New York, 09:00–17:00; Friday 2026-10-30 16:00 EDT (20:00Z) + 2 business hours:
        // 1 h on Friday, 1 h on Monday 2 November (EST since Sunday) → 10:00 EST = 15:00Z.
        let p = Policy::parse(
            Path::new("p.toml"),
            "[organization]\ntimezone = \"America/New_York\"\n",
        )
        .unwrap();
        assert_eq!(
            business_hours_deadline(
                utc("2026-10-30T20:00:00Z"),
                2,
                p.timezone,
                &p.business_hours
            ),
            utc("2026-11-02T15:00:00Z")
        );
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
