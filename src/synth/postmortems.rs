/*!
Synthetic postmortems for the generated P1 and P2 incidents, as a team writes them: mostly
Markdown, some PDFs (typeset by `commands::generate` from the typst source made here), named
in the usual ways (`PM-1234.pdf`, `INC-1234 checkout-api outage.md`, `1234-postmortem.md`,
or a title with the incident named in the text). A few are wrong on purpose so that every
exception shows: one late, one missing a section, one action without owner, one missing
altogether, one scan without a text layer. Deterministic for a seed.
*/

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{ENGINEERS, SERVICES, SynthIncident};
use crate::report::templates::typst_string;

/// A generated document's contents.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    /// A Markdown file.
    Markdown(String),
    /// A PDF to typeset: typst source, the creation time, and the raw 8-bit grey pixels
    /// (`SCAN_WIDTH` × `SCAN_HEIGHT`) served as `/scan.raw` for a scan.
    Typst {
        source: String,
        created: DateTime<Utc>,
        scan: Option<Vec<u8>>,
    },
}

/// One document, named relative to the output folder (`postmortems/PM-1234.pdf`).
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    pub name: String,
    pub body: Body,
}

/// The scan's size in pixels (A4 at about 50 dpi).
pub(crate) const SCAN_WIDTH: usize = 413;
pub(crate) const SCAN_HEIGHT: usize = 585;

const ROOT_CAUSES: [&str; 6] = [
    "A configuration change shipped without review disabled the connection-pool limit, and the service exhausted database connections under normal load.",
    "A dependency upgrade changed the default request timeout from 30 s to 5 s; slow upstream calls then failed instead of completing.",
    "Log rotation was switched off during a migration, so the primary's disk filled over eleven days until writes failed.",
    "A retry loop without back-off multiplied traffic tenfold when the upstream slowed, saturating the workers.",
    "The certificate renewal job had been failing silently since its service account lost permissions.",
    "A schema migration took a table lock during peak hours; queries queued behind it and timed out.",
];

const ACTIONS: [&str; 8] = [
    "Add an alert on connection-pool saturation at 80 %",
    "Require review for production configuration changes",
    "Add back-off and a retry budget to the upstream client",
    "Alert when the certificate renewal job fails",
    "Run schema migrations through the online-migration tool only",
    "Add a disk-usage alert at 75 % on every primary",
    "Load-test the service at twice peak before each release",
    "Write a runbook entry for this failure mode",
];

const LESSONS: [&str; 5] = [
    "Alert on saturation before errors: the error-rate alert fired 20 minutes after customers noticed.",
    "Changes outside the deploy pipeline bypass every check we rely on.",
    "Silent failures in background jobs need their own alerts.",
    "Rollback was fast once decided; deciding took too long without a clear owner.",
    "Dashboards for the upstream dependency would have shortened diagnosis.",
];

/// The policy's deadline for a severity, in seconds (P1 48 h, P2 7 days).
fn deadline_s(priority: &str) -> i64 {
    if priority == "P1" {
        48 * 3600
    } else {
        7 * 86_400
    }
}

/// How one document deviates from a good postmortem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flaw {
    None,
    Late,
    NoImpactSection,
    OwnerTbd,
    Scan,
}

struct Written<'a> {
    incidents: Vec<&'a SynthIncident>,
    resolved: DateTime<Utc>,
    published: DateTime<Utc>,
    flaw: Flaw,
    date_label: bool,
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-')
        .chars()
        .take(40)
        .collect::<String>()
        .trim_matches('-')
        .to_string()
}

/// A time in the organisation's zone, as a postmortem writes it.
fn local_time(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// The title, incident, severity, date and author lines.
fn header_lines(w: &Written<'_>, zone: Tz, rng: &mut ChaCha8Rng, out: &mut Vec<(u8, String)>) {
    let first = w.incidents[0];
    let title = if w.incidents.len() > 1 {
        format!(
            "Postmortem: {} incidents on {}",
            w.incidents.len(),
            SERVICES[first.service].1
        )
    } else {
        format!(
            "Postmortem: {}",
            first.description.lines().next().unwrap_or_default()
        )
    };
    out.push((1, title));
    let refs: Vec<String> = w
        .incidents
        .iter()
        .map(|i| format!("#{}", i.number))
        .collect();
    let incident_line = if w.incidents.len() > 1 {
        format!("Incidents {}", refs.join(" and "))
    } else {
        format!(
            "Incident {} (https://example.pagerduty.com/incidents/{})",
            refs[0], first.id
        )
    };
    out.push((0, incident_line));
    out.push((
        0,
        format!(
            "Severity: {}",
            first.priority.as_deref().unwrap_or_default()
        ),
    ));
    if w.date_label {
        let d = w.published.with_timezone(&zone).date_naive();
        let (label, date) = match rng.random_range(0..3) {
            0 => ("Date", d.format("%Y-%m-%d").to_string()),
            1 => ("Published", d.format("%-d %B %Y").to_string()),
            _ => ("Review date", d.format("%B %-d, %Y").to_string()),
        };
        out.push((0, format!("{label}: {date}")));
    }
    let author = ENGINEERS[first.responder].1;
    out.push((0, format!("Author: {author}")));
}

/// The timeline section: each incident's alert, acknowledgement and resolution.
fn timeline_lines(w: &Written<'_>, zone: Tz, out: &mut Vec<(u8, String)>) {
    let local = |t: DateTime<Utc>| local_time(t, zone);
    out.push((2, "Timeline".to_string()));
    for inc in &w.incidents {
        out.push((
            9,
            format!(
                "{} — alert fired: {}",
                local(inc.created),
                inc.description.lines().next().unwrap_or_default()
            ),
        ));
        if let Some(a) = inc.tta_s {
            out.push((
                9,
                format!(
                    "{} — acknowledged by {}",
                    local(inc.created + Duration::seconds(a)),
                    ENGINEERS[inc.responder].1
                ),
            ));
        }
        if let Some(r) = inc.ttr_s {
            out.push((
                9,
                format!("{} — resolved", local(inc.created + Duration::seconds(r))),
            ));
        }
    }
}

/// The document's lines as (heading level, text) — 0 for a paragraph, 9 for a list item —
/// so Markdown and typst render the same words.
fn lines(w: &Written<'_>, zone: Tz, rng: &mut ChaCha8Rng) -> Vec<(u8, String)> {
    let first = w.incidents[0];
    let mut out = Vec::new();
    header_lines(w, zone, rng, &mut out);
    timeline_lines(w, zone, &mut out);
    out.push((2, "Root cause".to_string()));
    out.push((
        0,
        ROOT_CAUSES[rng.random_range(0..ROOT_CAUSES.len())].to_string(),
    ));
    if w.flaw != Flaw::NoImpactSection {
        out.push((2, "Customer impact".to_string()));
        let minutes = first.ttr_s.unwrap_or(0) / 60;
        out.push((
            0,
            format!(
                "About {} customers saw errors or slow responses on {} for {minutes} minutes. No data was lost or exposed.",
                rng.random_range(2..90) * 50,
                SERVICES[first.service].1
            ),
        ));
    }
    out.push((2, "Corrective actions".to_string()));
    let n_actions = rng.random_range(2..4);
    for k in 0..n_actions {
        let action = ACTIONS[rng.random_range(0..ACTIONS.len())];
        let due = (w.resolved + Duration::days(rng.random_range(14..45)))
            .with_timezone(&zone)
            .date_naive();
        let owner = if w.flaw == Flaw::OwnerTbd && k == n_actions - 1 {
            "TBD"
        } else {
            ENGINEERS[rng.random_range(0..ENGINEERS.len())].1
        };
        out.push((
            9,
            format!("{action}. Owner: {owner}. Due: {}", due.format("%Y-%m-%d")),
        ));
    }
    out.push((2, "Lessons learned".to_string()));
    for _ in 0..2 {
        out.push((9, LESSONS[rng.random_range(0..LESSONS.len())].to_string()));
    }
    out
}

fn markdown(lines: &[(u8, String)]) -> String {
    let mut out = String::new();
    for (level, text) in lines {
        match level {
            0 => {
                out.push_str(text);
                out.push_str("  \n");
            }
            9 => {
                out.push_str("- ");
                out.push_str(text);
                out.push('\n');
            }
            n => {
                out.push('\n');
                out.push_str(&"#".repeat(usize::from(*n)));
                out.push(' ');
                out.push_str(text);
                out.push_str("\n\n");
            }
        }
    }
    out
}

fn typst(lines: &[(u8, String)]) -> String {
    let mut out = String::from(
        "#set page(paper: \"a4\", margin: 2.2cm)\n#set text(font: \"Libertinus Serif\", size: 10.5pt)\n#set par(justify: true)\n",
    );
    for (level, text) in lines {
        let s = typst_string(text);
        match level {
            0 => out.push_str(&format!("#{s} \\\n")),
            9 => out.push_str(&format!("- #{s}\n")),
            n => out.push_str(&format!("\n{} #{s}\n", "=".repeat(usize::from(*n)))),
        }
    }
    out
}

/// A page of grey print-like lines on off-white, with speckle: a scan without text.
fn scan_pixels(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut px = vec![246u8; SCAN_WIDTH * SCAN_HEIGHT];
    let mut y = 40;
    while y + 8 < SCAN_HEIGHT - 40 {
        let mut x = 45;
        let end = if rng.random_bool(0.15) {
            200
        } else {
            SCAN_WIDTH - 45
        };
        while x < end {
            let word = rng.random_range(8..40).min(end - x);
            for yy in y..y + 6 {
                for xx in x..x + word {
                    px[yy * SCAN_WIDTH + xx] = 60 + rng.random_range(0..40);
                }
            }
            x += word + 5;
        }
        y += if rng.random_bool(0.1) { 26 } else { 13 };
    }
    for _ in 0..1500 {
        let i = rng.random_range(0..px.len());
        px[i] = rng.random_range(120..220);
    }
    px
}

/// Postmortems for the resolved P1 and P2 incidents (unbroken rows only).
pub(crate) fn generate(incidents: &[SynthIncident], zone: Tz, seed: u64) -> Vec<Doc> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x005E_ED0F_B057);
    // A record repeated across pages (a duplicate) gets one document.
    let mut seen = std::collections::HashSet::new();
    let due: Vec<&SynthIncident> = incidents
        .iter()
        .filter(|i| {
            seen.insert(i.number)
                && i.broken.is_none()
                && i.ttr_s.is_some()
                && matches!(i.priority.as_deref(), Some("P1" | "P2"))
        })
        .collect();
    let p1: Vec<usize> = (0..due.len())
        .filter(|&k| due[k].priority.as_deref() == Some("P1"))
        .collect();
    let p2: Vec<usize> = (0..due.len())
        .filter(|&k| due[k].priority.as_deref() == Some("P2"))
        .collect();
    let pick = |list: &[usize], n: usize| list.get(n).copied();
    let missing = pick(&p1, 2);
    let late = pick(&p1, 4);
    let no_impact = pick(&p1, 6);
    let scan = pick(&p1, 8);
    let owner_tbd = pick(&p2, 6);
    let creation_date_only = pick(&p2, 1);
    // Two P2 incidents reviewed in one document.
    let pair = pick(&p2, 3).zip(pick(&p2, 4));

    let mut docs = Vec::new();
    for (k, inc) in due.iter().enumerate() {
        if Some(k) == missing || pair.is_some_and(|(_, b)| b == k) {
            continue;
        }
        let priority = inc.priority.as_deref().unwrap_or_default();
        let resolved = inc.created + Duration::seconds(inc.ttr_s.unwrap_or(0));
        let limit = deadline_s(priority);
        let flaw = match Some(k) {
            x if x == late => Flaw::Late,
            x if x == no_impact => Flaw::NoImpactSection,
            x if x == scan => Flaw::Scan,
            x if x == owner_tbd => Flaw::OwnerTbd,
            _ => Flaw::None,
        };
        let after = if flaw == Flaw::Late {
            limit + rng.random_range(2..4) * 86_400
        } else {
            rng.random_range(limit / 8..limit * 3 / 4)
        };
        let published = resolved + Duration::seconds(after);
        let mut covered = vec![*inc];
        if let Some((a, b)) = pair
            && a == k
        {
            covered.push(due[b]);
        }
        let w = Written {
            resolved,
            published,
            flaw,
            date_label: Some(k) != creation_date_only,
            incidents: covered,
        };
        let text = lines(&w, zone, &mut rng);
        let n = inc.number;
        let svc = SERVICES[inc.service].1;
        let pdf = matches!(flaw, Flaw::Late | Flaw::Scan)
            || Some(k) == creation_date_only
            || rng.random_bool(0.05);
        let name = if w.incidents.len() > 1 {
            format!(
                "postmortems/{}-{svc}-incident-review.md",
                published.with_timezone(&zone).format("%Y-%m-%d")
            )
        } else if flaw == Flaw::Scan {
            format!("postmortems/PM-{n}-signed-scan.pdf")
        } else if pdf {
            format!("postmortems/PM-{n}.pdf")
        } else {
            match rng.random_range(0..4) {
                0 => format!("postmortems/PM-{n}.md"),
                1 => format!("postmortems/INC-{n} {svc} outage.md"),
                2 => format!("postmortems/{n}-postmortem.md"),
                // Named by its title: the incident is found in the text.
                _ => format!(
                    "postmortems/{}-{}.md",
                    published.with_timezone(&zone).format("%Y-%m-%d"),
                    slug(inc.description.lines().next().unwrap_or("incident"))
                ),
            }
        };
        let body = if pdf {
            let scan_px = (flaw == Flaw::Scan).then(|| scan_pixels(&mut rng));
            let source = if scan_px.is_some() {
                format!(
                    "#set page(paper: \"a4\", margin: 0pt)\n#image(read(\"/scan.raw\", encoding: none), format: (encoding: \"luma8\", width: {SCAN_WIDTH}, height: {SCAN_HEIGHT}), width: 100%)\n"
                )
            } else {
                typst(&text)
            };
            Body::Typst {
                source,
                created: published,
                scan: scan_px,
            }
        } else {
            Body::Markdown(markdown(&text))
        };
        docs.push(Doc { name, body });
    }
    docs.sort_by(|a, b| a.name.cmp(&b.name));
    docs
}
