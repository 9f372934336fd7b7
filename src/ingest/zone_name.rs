//! Time-zone names as PagerDuty writes them: an IANA name (`America/New_York`), or a
//! Rails/ActiveSupport name (`Eastern Time (US & Canada)`), which PagerDuty's web app and
//! older API clients use for schedules and users. The Rails names map to IANA through the
//! table of `rails_time_zones.tsv` (ActiveSupport 7.1's `TimeZone::MAPPING`, embedded).

use chrono_tz::Tz;

const RAILS: &str = include_str!("rails_time_zones.tsv");

/// The IANA zone a Rails zone name stands for.
fn rails(name: &str) -> Option<&'static str> {
    RAILS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .find(|(rails, _)| *rails == name)
        .map(|(_, iana)| iana)
}

/// The zone a name stands for: an IANA name as it is, else a Rails name through the
/// ActiveSupport table; `None` for anything else.
pub(crate) fn zone(name: &str) -> Option<Tz> {
    let name = name.trim();
    name.parse::<Tz>()
        .ok()
        .or_else(|| rails(name).and_then(|iana| iana.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rails_name_maps_to_a_known_zone() {
        let rows: Vec<_> = RAILS.lines().filter(|l| !l.starts_with('#')).collect();
        // ActiveSupport 7.1 lists 151 names.
        assert_eq!(rows.len(), 151);
        for row in rows {
            let (rails, iana) = row.split_once('\t').expect("name, tab, zone");
            assert!(iana.parse::<Tz>().is_ok(), "{rails} → {iana}");
            // A Rails name that is itself an IANA name (`UTC`) is read as that zone.
            let expected = rails
                .parse::<Tz>()
                .map_or(iana.to_string(), |z| z.name().to_string());
            assert_eq!(zone(rails).map(|z| z.name().to_string()), Some(expected));
        }
    }

    #[test]
    fn names_are_read_as_iana_then_rails() {
        assert_eq!(
            zone("Eastern Time (US & Canada)"),
            Some(chrono_tz::America::New_York)
        );
        assert_eq!(zone("America/New_York"), Some(chrono_tz::America::New_York));
        assert_eq!(zone("Berlin"), Some(chrono_tz::Europe::Berlin));
        assert_eq!(zone("UTC"), Some(Tz::UTC));
        assert_eq!(zone("Eastern Time"), None);
        assert_eq!(zone("eastern time (us & canada)"), None);
    }
}
