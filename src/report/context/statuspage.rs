//! Status-page incidents against internal detection.

use serde::Serialize;

use crate::checks::Evidence;
use crate::model::text::{format_duration, local_text, words};

/// Status-page incidents against internal detection (`derived/statuspage_matches.csv`).
#[derive(Debug, Serialize)]
pub(crate) struct StatusView {
    pub supplied: bool,
    pub total: usize,
    pub matched: usize,
    pub detected_first: usize,
    /// `85.7 %`, or empty with no incident.
    pub detected_first_pct: String,
    pub median_lead: String,
    pub window: String,
    /// Status-page incident, impact, notice, PagerDuty incident, lead time, first.
    pub rows: Vec<Vec<String>>,
}

/// The status-page section.
pub(super) fn view(ev: &Evidence) -> StatusView {
    let (e, ingested, policy) = (&ev.statuspage, &ev.ingested, &ev.policy);
    let zone = policy.timezone;
    let (matched, first, total) = e.counts();
    let pct = (total > 0).then(|| 100.0 * first as f64 / total as f64);
    let rows = e
        .rows
        .iter()
        .map(|r| {
            let s = &ingested.status_incidents[r.status];
            let pd = r.incident.map(|(i, _)| &ingested.incidents[i]);
            vec![
                format!("{} ({})", s.name, s.id),
                s.impact.clone().unwrap_or_default(),
                local_text(s.notice, zone),
                pd.map_or_else(
                    || "none".to_string(),
                    |i| {
                        let label = i.number.map_or_else(|| i.id.clone(), |n| format!("#{n}"));
                        // A match on time alone is marked for review.
                        match r.incident {
                            Some((_, crate::checks::statuspage::MatchedBy::Time)) => {
                                format!("{label} (time only: review)")
                            }
                            _ => label,
                        }
                    },
                ),
                r.lead_s.map(|s| words(s as f64)).unwrap_or_default(),
                match r.detected_first() {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "not paged",
                }
                .to_string(),
            ]
        })
        .collect();
    StatusView {
        supplied: e.supplied,
        total,
        matched,
        detected_first: first,
        detected_first_pct: pct.map(|p| format!("{p:.1} %")).unwrap_or_default(),
        median_lead: e.median_lead_s().map(words).unwrap_or_default(),
        window: format_duration(policy.statuspage.match_window_s),
        rows,
    }
}
