//! The incident register as printed (the CSV and the XLSX hold every incident).

use crate::checks::Evidence;
use crate::metrics::SlaStatus;
use crate::model::text::{local_text, words};

/// The register rows printed, and how many there are in all.
pub(super) struct RegisterView {
    pub rows: Vec<Vec<String>>,
    pub total: usize,
    pub shown: usize,
}

pub(super) fn status_word(s: SlaStatus) -> &'static str {
    match s {
        SlaStatus::Met => "met",
        SlaStatus::Breach => "breach",
        SlaStatus::Pending => "pending",
        SlaStatus::Excluded => "excluded",
        SlaStatus::NoTarget => "—",
    }
}

/// Who responded, as the register prints it: who acknowledged, else who was assigned
/// (`assigned: …`), else `nobody named` where the export names responders, else empty.
fn responder(r: &crate::model::Responders) -> String {
    match (&r.acknowledged_by, &r.assigned_to) {
        (Some(a), _) => a.clone(),
        (None, Some(a)) => format!("assigned: {a}"),
        (None, None) if r.named => "nobody named".to_string(),
        (None, None) => String::new(),
    }
}

/// The first `limit` incidents of the register, as the PDF prints them.
pub(super) fn view(e: &Evidence, limit: usize) -> RegisterView {
    let (m, ingested) = (&e.metrics, &e.ingested);
    let register_shown = m.register.len().min(limit);
    let rows = m
        .register
        .iter()
        .take(register_shown)
        .map(|r| {
            let i = &ingested.incidents[r.incident];
            let secs = |v: Option<f64>| v.map(words).unwrap_or_default();
            vec![
                // An Opsgenie alert's number (`tinyId`) is marked: numbers repeat across
                // systems.
                match (i.number, i.system) {
                    (Some(n), crate::model::System::Opsgenie) => format!("OG-{n}"),
                    (Some(n), _) => n.to_string(),
                    (None, _) => String::new(),
                },
                local_text(i.created, e.policy.timezone),
                r.severity.clone(),
                i.service.clone().unwrap_or_default(),
                i.description.clone().unwrap_or_default(),
                secs(i.tta_s),
                secs(i.ttr_s),
                status_word(r.ack).to_string(),
                status_word(r.resolve).to_string(),
                responder(&i.responders),
            ]
        })
        .collect();

    RegisterView {
        rows,
        total: m.register.len(),
        shown: register_shown,
    }
}
