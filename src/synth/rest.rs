//! The generated incidents as the REST API gives them: `GET /incidents` pages (no
//! durations; resolved incidents without `acknowledgements`) and `GET /log_entries` pages,
//! newest first, with one acknowledgement in ten spelt `acknowledgement_log_entry` as the
//! spec's schema has it. Figures derived from these equal those of the Analytics export
//! of the same seed.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{ENGINEERS, SERVICES, SynthIncident};

/// Objects per page (the REST API's largest `limit`).
pub(crate) const PAGE_SIZE: usize = 100;

fn z(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn user(i: usize) -> Value {
    json!({"id": ENGINEERS[i].0, "type": "user_reference", "summary": ENGINEERS[i].1})
}

fn service(i: &SynthIncident) -> Value {
    let (id, name, _) = SERVICES[i.service];
    json!({"id": id, "type": "service_reference", "summary": name})
}

fn policy(i: &SynthIncident) -> Value {
    let ep = SERVICES[i.service].2;
    let id = if ep.ends_with('1') {
        "PEP0001"
    } else {
        "PEP0002"
    };
    json!({"id": id, "type": "escalation_policy_reference", "summary": ep})
}

fn incident_ref(i: &SynthIncident) -> Value {
    json!({
        "id": i.id,
        "type": "incident_reference",
        "summary": format!("[#{}] {}", i.number, i.description),
    })
}

fn at(i: &SynthIncident, s: i64) -> DateTime<Utc> {
    i.created + chrono::Duration::seconds(s)
}

/// The person the n-th timeout escalation hands over to.
fn escalated_to(i: &SynthIncident, n: i64) -> usize {
    (i.responder + n as usize) % ENGINEERS.len()
}

/// One incident object of `GET /incidents`.
fn incident(i: &SynthIncident) -> Value {
    let mut created = json!(z(i.created));
    let mut id = json!(i.id);
    match &i.broken {
        Some(("created_at", text)) => created = json!(text),
        Some(("id", _)) => id = Value::Null,
        _ => {}
    }
    let resolved = i.ttr_s.map(|s| at(i, s));
    let acked = i.tta_s.map(|s| at(i, s));
    let last_change = resolved.or(acked).unwrap_or(i.created);
    let open = resolved.is_none();
    let holder = escalated_to(i, i.escalations);
    json!({
        "id": id,
        "type": "incident",
        "summary": format!("[#{}] {}", i.number, i.description),
        "self": format!("https://api.pagerduty.com/incidents/{}", i.id),
        "html_url": format!("https://example.pagerduty.com/incidents/{}", i.id),
        "incident_number": i.number,
        "title": i.description,
        "created_at": created,
        "updated_at": z(last_change),
        "status": i.status,
        "incident_key": format!("{:032x}", i.number as u128 * 0x9E37_79B9_7F4A_7C15),
        "service": service(i),
        // PagerDuty empties both lists once an incident is resolved.
        "assignments": if open { json!([{"at": z(i.created), "assignee": user(holder)}]) } else { json!([]) },
        "assigned_via": "escalation_policy",
        "last_status_change_at": z(last_change),
        "resolved_at": resolved.map(z),
        "first_trigger_log_entry": {
            "id": format!("R{}T", i.number),
            "type": "trigger_log_entry_reference",
        },
        "alert_counts": {"all": 1, "triggered": u8::from(open), "resolved": u8::from(!open)},
        "escalation_policy": policy(i),
        "teams": [{"id": "PTEAM01", "type": "team_reference", "summary": "Platform SRE"}],
        "pending_actions": [],
        "acknowledgements": match (open, acked) {
            (true, Some(a)) => json!([{"at": z(a), "acknowledger": user(holder)}]),
            _ => json!([]),
        },
        "priority": i.priority.as_ref().map(|p| json!({
            "id": format!("PPRI00{}", &p[p.len() - 1..]),
            "type": "priority_reference",
            "summary": p,
        })),
        "urgency": i.urgency,
    })
}

/// Writes the log entries of one incident.
struct LogWriter<'a> {
    i: &'a SynthIncident,
    /// The incident's service reference.
    svc: Value,
}

impl LogWriter<'_> {
    /// An entry of `kind` at `t` with the fields every entry has.
    fn base(&self, n: &str, kind: &str, t: DateTime<Utc>, agent: Value, channel: Value) -> Value {
        let i = self.i;
        json!({
            "id": format!("R{}{n}", i.number),
            "type": kind,
            "summary": "",
            "created_at": z(t),
            "agent": agent,
            "channel": channel,
            "service": self.svc,
            "incident": incident_ref(i),
            "teams": [{"id": "PTEAM01", "type": "team_reference", "summary": "Platform SRE"}],
        })
    }

    /// A notification of `who` by `how` at `t`.
    fn notify(&self, n: &str, t: DateTime<Utc>, who: usize, how: &str) -> Value {
        let mut e = self.base(
            n,
            "notify_log_entry",
            t,
            self.svc.clone(),
            json!({
                "type": "auto",
                "notification": {"type": how, "status": "success", "address": "redacted"},
            }),
        );
        e["summary"] = json!(format!("Notified {} by {how}.", ENGINEERS[who].1));
        e["user"] = user(who);
        e
    }

    /// The trigger, the first assignment and its notification.
    fn opening(&self, out: &mut Vec<(DateTime<Utc>, Value)>) {
        let i = self.i;
        let mut trigger = self.base(
            "T",
            "trigger_log_entry",
            i.created,
            self.svc.clone(),
            json!({"type": "api"}),
        );
        trigger["summary"] = json!("Triggered through the API");
        trigger["event_details"] = json!({"description": i.description});
        out.push((i.created, trigger));
        let first = escalated_to(i, 0);
        let mut assign = self.base(
            "A",
            "assign_log_entry",
            i.created,
            self.svc.clone(),
            json!({"type": "auto"}),
        );
        assign["summary"] = json!(format!("Assigned to {}.", ENGINEERS[first].1));
        assign["assignees"] = json!([user(first)]);
        out.push((i.created, assign));
        let n0 = at(i, 5);
        out.push((n0, self.notify("N0", n0, first, "push")));
    }

    /// The escalations by timeout, each with its notification.
    fn escalations(&self, out: &mut Vec<(DateTime<Utc>, Value)>) {
        let i = self.i;
        let handovers: &[i64] = if SERVICES[i.service].2.ends_with("Tier 1") {
            &[300, 600, 1200]
        } else {
            &[900, 1800]
        };
        for k in 1..=i.escalations {
            let t = at(i, handovers[(k - 1) as usize]);
            let to = escalated_to(i, k);
            let mut e = self.base(
                &format!("E{k}"),
                "escalate_log_entry",
                t,
                self.svc.clone(),
                json!({"type": "auto"}),
            );
            e["summary"] = json!(format!("Escalated to {} by timeout.", ENGINEERS[to].1));
            e["assignees"] = json!([user(to)]);
            out.push((t, e));
            let tn = t + chrono::Duration::seconds(5);
            out.push((tn, self.notify(&format!("N{k}"), tn, to, "phone")));
        }
    }

    /// The acknowledgement (both spellings of its type occur), or a broken one; its time.
    fn acknowledgement(
        &self,
        holder: usize,
        out: &mut Vec<(DateTime<Utc>, Value)>,
    ) -> Option<DateTime<Utc>> {
        let i = self.i;
        let acked = match &i.broken {
            // An unreadable acknowledgement time is a broken log entry, not a broken incident.
            Some(("seconds_to_first_ack", text)) => {
                let mut e = self.base(
                    "K",
                    "acknowledge_log_entry",
                    i.created,
                    user(holder),
                    json!({"type": "website"}),
                );
                e["created_at"] = json!(text);
                out.push((i.created, e));
                None
            }
            _ => i.tta_s.map(|s| at(i, s)),
        };
        if let Some(t) = acked {
            let kind = if i.number % 10 == 3 {
                "acknowledgement_log_entry"
            } else {
                "acknowledge_log_entry"
            };
            let mut e = self.base("K", kind, t, user(holder), json!({"type": "website"}));
            e["summary"] = json!(format!("Acknowledged by {}.", ENGINEERS[holder].1));
            out.push((t, e));
        }
        acked
    }
}

/// The log entries of one incident, oldest first.
fn entries(i: &SynthIncident) -> Vec<(DateTime<Utc>, Value)> {
    let w = LogWriter { i, svc: service(i) };
    let (_, svc_name, _) = SERVICES[i.service];
    let mut out = Vec::new();
    w.opening(&mut out);
    w.escalations(&mut out);
    let holder = escalated_to(i, i.escalations);
    let acked = w.acknowledgement(holder, &mut out);
    // Half of the significant incidents whose title names no ticket name it in a note.
    let significant = matches!(i.priority.as_deref(), Some("P1" | "P2"));
    if significant && i.number % 22 == 0 {
        let t = acked.unwrap_or(i.created) + chrono::Duration::seconds(60);
        let mut e = w.base(
            "M",
            "annotate_log_entry",
            t,
            user(holder),
            json!({
                "type": "note",
                "summary": format!("Follow-up tracked in OPS-{}", i.number + 2000),
            }),
        );
        e["summary"] = json!("Note added");
        out.push((t, e));
    }
    if let Some(s) = i.ttr_s {
        let t = at(i, s);
        let (agent, channel, who) = match acked {
            Some(_) => (user(holder), "website", ENGINEERS[holder].1),
            None => (w.svc.clone(), "auto", svc_name),
        };
        let mut e = w.base("Z", "resolve_log_entry", t, agent, json!({"type": channel}));
        e["summary"] = json!(format!("Resolved by {who}."));
        out.push((t, e));
    }
    out
}

fn pages(objects: Vec<Value>, key: &str) -> Vec<u8> {
    let total = objects.len();
    let chunks: Vec<Value> = objects
        .chunks(PAGE_SIZE)
        .enumerate()
        .map(|(n, chunk)| {
            json!({
                key: chunk,
                "limit": PAGE_SIZE,
                "offset": n * PAGE_SIZE,
                "more": (n + 1) * PAGE_SIZE < total,
                "total": null,
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&chunks).unwrap_or_default();
    text.push('\n');
    text.into_bytes()
}

/// `GET /incidents` pages (oldest first, as `sort_by=created_at:asc` gives them), as one
/// JSON list of response pages.
pub(crate) fn incidents(list: &[SynthIncident]) -> Vec<u8> {
    pages(list.iter().map(incident).collect(), "incidents")
}

/// `GET /log_entries` pages over the same incidents, newest first (the API's order), as
/// one JSON list of response pages. Repeated incidents repeat their entries, as
/// overlapping exports do.
pub(crate) fn log_entries(list: &[SynthIncident]) -> Vec<u8> {
    let mut all: Vec<(DateTime<Utc>, String, Value)> = list
        .iter()
        .flat_map(entries)
        .map(|(t, v)| (t, v["id"].as_str().unwrap_or_default().to_string(), v))
        .collect();
    all.sort_by(|a, b| (b.0, &b.1).cmp(&(a.0, &a.1)));
    pages(all.into_iter().map(|(_, _, v)| v).collect(), "log_entries")
}
