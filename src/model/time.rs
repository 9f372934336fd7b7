//! Local time in the organisation's zone: the audit period, local dates and instants, and
//! the time-zone conversions behind them, which remember the hours they have seen.
//!
//! A chrono-tz lookup is a binary search over the zone's transitions, made two or three
//! times for each of a million incidents, yet a year of incidents falls in fewer than 9,000
//! distinct hours. Each thread remembers, for the hours it has converted (the last 1,024
//! hours, slot by hour number), the offset that holds through the whole hour. An hour is
//! remembered only when its first and last second have one and the same offset (no gap, no
//! repeat); as no zone changes its offset twice within an hour, the offset then holds for
//! every instant of it. Any other hour is converted by chrono-tz each time.

use std::cell::Cell;
use std::thread::LocalKey;

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// One remembered hour: `offset` (local − UTC, seconds) holds for all of it.
#[derive(Clone, Copy)]
struct Hour {
    zone: Tz,
    hour: i64,
    offset: i32,
}

/// Slots per thread and direction: six weeks of hours, so an incident's resolution is
/// usually remembered from an earlier one's.
const SLOTS: usize = 1024;

type Hours = [Cell<Option<Hour>>; SLOTS];

thread_local! {
    /// Hours of UTC time (instant → local).
    static UTC_HOURS: Hours = const { [const { Cell::new(None) }; SLOTS] };
    /// Hours of local time (local → instant).
    static LOCAL_HOURS: Hours = const { [const { Cell::new(None) }; SLOTS] };
}

/// The remembered offset of `hour`, else `uniform()` (remembered when `Some`).
fn remembered(
    hours: &'static LocalKey<Hours>,
    zone: Tz,
    hour: i64,
    uniform: impl FnOnce() -> Option<i32>,
) -> Option<i32> {
    hours.with(|slots| {
        let slot = &slots[hour.rem_euclid(SLOTS as i64) as usize];
        if let Some(h) = slot.get()
            && h.zone == zone
            && h.hour == hour
        {
            return Some(h.offset);
        }
        let offset = uniform()?;
        slot.set(Some(Hour { zone, hour, offset }));
        Some(offset)
    })
}

/// Seconds since the epoch as a naive date and time (UTC or local, as the caller means).
fn naive_at(seconds: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp(seconds, 0).map(|t| t.naive_utc())
}

/// The local date and time of an instant in `zone`.
pub(crate) fn to_local(t: DateTime<Utc>, zone: Tz) -> NaiveDateTime {
    let hour = t.timestamp().div_euclid(3600);
    let uniform = || {
        let at =
            |s: i64| naive_at(s).map(|n| zone.offset_from_utc_datetime(&n).fix().local_minus_utc());
        let first = at(hour * 3600)?;
        (at(hour * 3600 + 3599)? == first).then_some(first)
    };
    match remembered(&UTC_HOURS, zone, hour, uniform) {
        Some(offset) => t.naive_utc() + TimeDelta::seconds(i64::from(offset)),
        None => t.with_timezone(&zone).naive_local(),
    }
}

/// A local date and time in `zone` as an instant: single, ambiguous (clocks went back) or
/// none (clocks went forward), as chrono-tz says.
pub(crate) fn from_local(local: NaiveDateTime, zone: Tz) -> LocalResult<DateTime<Utc>> {
    let hour = local.and_utc().timestamp().div_euclid(3600);
    let uniform = || {
        let at = |s: i64| match zone.from_local_datetime(&naive_at(s)?) {
            LocalResult::Single(t) => Some(t.offset().fix().local_minus_utc()),
            _ => None,
        };
        let first = at(hour * 3600)?;
        (at(hour * 3600 + 3599)? == first).then_some(first)
    };
    match remembered(&LOCAL_HOURS, zone, hour, uniform) {
        Some(offset) => {
            LocalResult::Single((local - TimeDelta::seconds(i64::from(offset))).and_utc())
        }
        None => zone
            .from_local_datetime(&local)
            .map(|t| t.with_timezone(&Utc)),
    }
}

/// The audit period: inclusive local dates in the organisation's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Period {
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
}

impl Period {
    /// Every month of the period as `YYYY-MM`, in order.
    pub(crate) fn months(&self) -> Vec<String> {
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

    /// The period as instants in `zone`: the first day's local midnight up to (not
    /// including) the midnight after the last day.
    pub(crate) fn instants(&self, zone: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let midnight = |d: NaiveDate| local_instant(zone, d.and_time(chrono::NaiveTime::MIN));
        (
            midnight(self.from),
            midnight(self.to + chrono::Days::new(1)),
        )
    }

    /// The whole months spanned by the dates `first..=last`.
    pub(crate) fn whole_months(first: NaiveDate, last: NaiveDate) -> Self {
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

/// A local wall-clock time as an instant; a time skipped by a clock change moves to the
/// first instant after the gap, a repeated one takes the earlier instant.
pub(crate) fn local_instant(zone: Tz, naive: chrono::NaiveDateTime) -> DateTime<Utc> {
    let mut t = naive;
    for _ in 0..4 {
        match from_local(t, zone) {
            LocalResult::Single(d) | LocalResult::Ambiguous(d, _) => return d.with_timezone(&Utc),
            LocalResult::None => t += chrono::Duration::minutes(30),
        }
    }
    naive.and_utc()
}

/// The local date of an instant in the organisation's zone.
pub(crate) fn local_date(t: DateTime<Utc>, zone: Tz) -> NaiveDate {
    to_local(t, zone).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every 7 minutes 13 seconds through two years, in zones with whole-hour, half-hour
    /// (Lord Howe) and odd (Kathmandu) offsets and without daylight saving: the same
    /// answers as chrono-tz itself, in time order (the remembered path) and shuffled.
    #[test]
    fn the_same_as_chrono_tz() {
        let zones = [
            chrono_tz::America::New_York,
            chrono_tz::Europe::London,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::Asia::Kathmandu,
            chrono_tz::America::Sao_Paulo,
            chrono_tz::UTC,
        ];
        let start = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
            .unwrap()
            .timestamp();
        let mut instants: Vec<i64> = (0..2 * 365 * 24 * 60 / 7)
            .map(|i| start + i * 433)
            .collect();
        for zone in zones {
            for pass in 0..2 {
                if pass == 1 {
                    // A fixed shuffle: every conversion far from the one before.
                    instants.sort_by_key(|s| (s * 7919) % 1_000_003);
                }
                for &s in &instants {
                    let t = DateTime::from_timestamp(s, 0).unwrap();
                    let local = t.with_timezone(&zone).naive_local();
                    assert_eq!(to_local(t, zone), local, "{zone} {t}");
                    let naive = t.naive_utc();
                    let expected = zone
                        .from_local_datetime(&naive)
                        .map(|x| x.with_timezone(&Utc));
                    assert_eq!(from_local(naive, zone), expected, "{zone} {naive}");
                }
            }
        }
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
