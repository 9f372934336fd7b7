//! `auditpack generate`: writes synthetic exports and a matching `policy.toml`.

use std::fs;
use std::io::Write;

use chrono::NaiveDate;

use crate::cli::{GenerateArgs, GenerateFormat};
use crate::error::{Error, ExitStatus};
use crate::policy::parse_timezone;
use crate::synth::{self, Spec};

/// Incidents per Analytics JSON page (the API's largest page is 1,000).
const PAGE_SIZE: usize = 1000;

/// The generator's specification from the flags.
fn spec_of(args: &GenerateArgs) -> Result<Spec, Error> {
    let start = NaiveDate::parse_from_str(&format!("{}-01", args.start.trim()), "%Y-%m-%d")
        .map_err(|_| {
            Error::Usage(format!(
                "`--start`: `{}` is not a month (expected `YYYY-MM`)",
                args.start
            ))
        })?;
    let zone = parse_timezone(&args.timezone).ok_or_else(|| {
        Error::Usage(format!(
            "`--timezone`: `{}` is not an IANA time zone",
            args.timezone
        ))
    })?;
    if args.months == 0 {
        return Err(Error::Usage("`--months` must be at least 1".to_string()));
    }
    Ok(Spec {
        incidents: args.incidents,
        seed: args.seed,
        start,
        months: args.months,
        zone,
        clean: args.clean,
    })
}

/// The incidents export in the chosen format, with the matching policy.
fn export_files(
    args: &GenerateArgs,
    spec: &Spec,
    incidents: &[synth::SynthIncident],
) -> Vec<(String, Vec<u8>)> {
    let zone = spec.zone;
    let mut policy = synth::policy_for(spec);
    if matches!(
        args.format,
        GenerateFormat::OpsgenieJson | GenerateFormat::OpsgenieMigration
    ) {
        // Opsgenie's P5 (informational) has no default severity: this policy maps it.
        policy = policy.replace("match = [\"P4\"]", "match = [\"P4\", \"opsgenie:P5\"]");
    }
    let mut files: Vec<(String, Vec<u8>)> = vec![("policy.toml".into(), policy.into_bytes())];
    let json_pages = |list: &[synth::SynthIncident], files: &mut Vec<(String, Vec<u8>)>| {
        for (n, page) in synth::analytics_json_pages(list, zone, PAGE_SIZE)
            .into_iter()
            .enumerate()
        {
            files.push((format!("analytics-incidents-page-{:03}.json", n + 1), page));
        }
    };
    match args.format {
        GenerateFormat::AnalyticsCsv => {
            files.push((
                "analytics-incidents.csv".into(),
                synth::analytics_csv(incidents, zone),
            ));
        }
        GenerateFormat::AnalyticsJson => json_pages(incidents, &mut files),
        GenerateFormat::RestJson => {
            files.push((
                "rest-incidents.json".into(),
                synth::rest::incidents(incidents),
            ));
            files.push((
                "log-entries.json".into(),
                synth::rest::log_entries(incidents),
            ));
        }
        GenerateFormat::ClassicCsv => {
            files.push(("incidents.csv".into(), synth::classic_csv(incidents, zone)));
        }
        GenerateFormat::Mixed => {
            let (first, second) = halves(args, spec, incidents);
            files.push((
                "analytics-incidents-first-half.csv".into(),
                synth::analytics_csv(&first, zone),
            ));
            json_pages(&second, &mut files);
        }
        GenerateFormat::OpsgenieJson => {
            alert_pages(spec, incidents, spec.months, &mut files);
        }
        GenerateFormat::OpsgenieMigration => {
            let (first, second) = halves(args, spec, incidents);
            alert_pages(spec, &first, args.months.div_ceil(2), &mut files);
            json_pages(&second, &mut files);
        }
    }
    files
}

/// The incidents of the first half of the months (rounded up) and of the rest.
fn halves(
    args: &GenerateArgs,
    spec: &Spec,
    incidents: &[synth::SynthIncident],
) -> (Vec<synth::SynthIncident>, Vec<synth::SynthIncident>) {
    incidents
        .iter()
        .cloned()
        .partition(|i| in_first_half(args, spec, i))
}

/// Whether an incident was created in the first half of the months (rounded up).
fn in_first_half(args: &GenerateArgs, spec: &Spec, i: &synth::SynthIncident) -> bool {
    let half = spec
        .start
        .checked_add_months(chrono::Months::new(args.months.div_ceil(2)))
        .unwrap_or(spec.start);
    i.created.with_timezone(&spec.zone).date_naive() < half
}

/// Opsgenie `GET /v2/alerts` pages of `alerts`, asked for the first `months` of the period.
fn alert_pages(
    spec: &Spec,
    alerts: &[synth::SynthIncident],
    months: u32,
    files: &mut Vec<(String, Vec<u8>)>,
) {
    let midnight = |d: NaiveDate| {
        crate::model::time::local_instant(spec.zone, d.and_hms_opt(0, 0, 0).expect("midnight"))
    };
    let end = spec
        .start
        .checked_add_months(chrono::Months::new(months))
        .unwrap_or(spec.start);
    for (n, page) in synth::opsgenie::pages(alerts, midnight(spec.start), midnight(end))
        .into_iter()
        .enumerate()
    {
        files.push((format!("opsgenie/alerts-page-{:03}.json", n + 1), page));
    }
}

/// Whether an incident is an Opsgenie alert in `format`: every one, those of the first half
/// of the months, or none.
fn is_alert(args: &GenerateArgs, spec: &Spec, i: &synth::SynthIncident) -> bool {
    match args.format {
        GenerateFormat::OpsgenieJson => true,
        GenerateFormat::OpsgenieMigration => in_first_half(args, spec, i),
        _ => false,
    }
}

/// The optional exports: configuration, status page, postmortems.
fn extra_files(
    args: &GenerateArgs,
    spec: &Spec,
    incidents: &[synth::SynthIncident],
    exported: chrono::DateTime<chrono::Utc>,
    files: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), Error> {
    let zone = spec.zone;
    if args.population {
        let pagerduty: Vec<synth::SynthIncident> = incidents
            .iter()
            .filter(|i| !is_alert(args, spec, i))
            .cloned()
            .collect();
        let pagerduty = pagerduty.as_slice();
        let source = match args.format {
            GenerateFormat::OpsgenieJson => {
                "GET https://api.opsgenie.com/v2/alerts, every page (Opsgenie); no PagerDuty account in the period"
            }
            GenerateFormat::OpsgenieMigration => {
                "GET https://api.opsgenie.com/v2/alerts, every page (Opsgenie, first half); POST /analytics/raw/incidents, team Platform SRE (PagerDuty, second half)"
            }
            _ => {
                "Insights > Incident Activity > Download CSV (first half); POST /analytics/raw/incidents, team Platform SRE (second half)"
            }
        };
        files.push((
            "extraction.toml".into(),
            synth::population::extraction(spec, pagerduty, exported, source),
        ));
        if !pagerduty.is_empty() {
            files.push((
                "pagerduty/aggregate-metrics.json".into(),
                synth::population::aggregate(spec, pagerduty),
            ));
        }
    }
    if args.config_exports {
        files.extend(synth::config::generate(spec));
    }
    if args.statuspage
        && let Some(bytes) = synth::statuspage::generate(incidents)
    {
        files.push(("statuspage/incidents.json".into(), bytes));
    }
    if args.postmortems {
        for doc in synth::postmortems::generate(incidents, zone, args.seed) {
            let bytes = match doc.body {
                synth::postmortems::Body::Markdown(text) => text.into_bytes(),
                synth::postmortems::Body::Typst {
                    source,
                    created,
                    scan,
                } => {
                    let files = scan
                        .map(|px| vec![("/scan.raw".to_string(), px)])
                        .unwrap_or_default();
                    crate::report::typeset(source, files, created, &doc.name)?
                }
            };
            files.push((doc.name, bytes));
        }
    }
    Ok(())
}

/// Writes `files` under `--out` and reports each.
fn write_files(
    args: &GenerateArgs,
    files: &[(String, Vec<u8>)],
    out: &mut dyn Write,
) -> Result<(), Error> {
    fs::create_dir_all(&args.out).map_err(|e| Error::io("create folder", &args.out, e))?;
    let io = |e| Error::io("write", "standard output", e);
    let json = args.report == crate::cli::OutputFormat::Json;
    let mut listed = Vec::new();
    for (name, bytes) in files {
        let path = args.out.join(name);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io("create folder", dir, e))?;
        }
        fs::write(&path, bytes).map_err(|e| Error::io("write", &path, e))?;
        if json {
            listed.push(serde_json::json!({
                "path": name,
                "bytes": bytes.len(),
                "sha256": crate::ingest::sha256_hex(bytes),
            }));
        } else {
            writeln!(out, "wrote {} ({} bytes)", path.display(), bytes.len()).map_err(io)?;
        }
    }
    if json {
        writeln!(
            out,
            "{}",
            serde_json::json!({
                "out": args.out.display().to_string(),
                "incidents": args.incidents,
                "seed": args.seed,
                "format": clap::ValueEnum::to_possible_value(&args.format)
                    .map(|v| v.get_name().to_string()),
                "files": listed,
            })
        )
        .map_err(io)?;
    }
    Ok(())
}

/// Writes the synthetic exports.
pub(crate) fn run(args: &GenerateArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let spec = spec_of(args)?;
    let (mut incidents, exported) = synth::generate(&spec);
    // Opsgenie's alerts (all, or the first half) carry Opsgenie ids: postmortems and status
    // pages name them so.
    for i in &mut incidents {
        if is_alert(args, &spec, i) && !matches!(i.broken, Some(("id", _))) {
            i.id = synth::opsgenie::alert_id(i);
        }
    }
    let mut files = export_files(args, &spec, &incidents);
    // PagerDuty's totals and count are of PagerDuty's incidents.
    extra_files(args, &spec, &incidents, exported, &mut files)?;
    write_files(args, &files, out)?;
    Ok(ExitStatus::Success)
}
