//! Response times: the time-to-acknowledge histograms per severity.

use serde::Serialize;

use super::target_words;
use crate::checks::Evidence;
use crate::model::text::format_duration;

#[derive(Debug, Serialize)]
pub(crate) struct Histogram {
    pub severity: String,
    pub labels: Vec<String>,
    pub counts: Vec<u64>,
    pub target: String,
    /// Index of the bucket edge where the target sits (`null` for next-business-day).
    pub target_edge: Option<usize>,
}

/// The time-to-acknowledge histogram of each severity with an acknowledgement target.
pub(super) fn histograms(e: &Evidence) -> Vec<Histogram> {
    let (m, policy) = (&e.metrics, &e.policy);
    m.tta_histograms
        .iter()
        .map(|h| {
            let edge = |i: usize| {
                let s = (h.width_s * i as f64).round() as i64;
                if s == 0 {
                    "0".to_string()
                } else {
                    format_duration(s)
                }
            };
            let n = h.counts.len().saturating_sub(1);
            let mut labels: Vec<String> = (0..n).map(|i| format!("≤{}", edge(i + 1))).collect();
            labels.push(format!(">{}", edge(n)));
            let target_edge = h.target_s.map(|t| (t / h.width_s).round() as usize);
            let target = policy
                .severities
                .iter()
                .find(|s| s.name == h.severity)
                .map_or_else(String::new, |s| target_words(s.ack_within));
            Histogram {
                severity: h.severity.clone(),
                labels,
                counts: h.counts.clone(),
                target,
                target_edge,
            }
        })
        .collect()
}
