//! `auditpack sample`: a reproducible random sample of an evidence bundle's incidents (or
//! exceptions, or P1/P2 incidents) for an auditor's tests of operating effectiveness, with a
//! request list of what to provide for each item. The same bundle and seed give the same
//! sample on any machine: the population comes from the bundle's derived CSVs in a fixed
//! order and the generator is ChaCha8 (stable across platforms and versions).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::bundle::verify::{Files, read_zip};
use crate::cli::{OutputFormat, Population, SampleArgs};
use crate::error::{Error, ExitStatus, Location};
use crate::ingest::sha256_hex;

/// Sample size for `--auto`: attribute sampling with zero expected deviations and 5 % risk
/// of overreliance (29 items at a 10 % tolerable deviation rate, 59 at 5 %) for populations
/// over 250; below that, the usual table by how often the control operates (a population of
/// 1: 1 item; up to 4, quarterly: 2; up to 12, monthly: 2; up to 52, weekly: 5; up to 250,
/// daily: 20). Never more than the population.
pub(crate) fn auto_size(population: usize, tolerable_pct: u32) -> usize {
    let size = match population {
        0 => 0,
        1 => 1,
        2..=12 => 2,
        13..=52 => 5,
        53..=250 => 20,
        _ if tolerable_pct >= 10 => 29,
        _ => 59,
    };
    size.min(population)
}

type Row = BTreeMap<String, String>;

fn csv_rows(files: &Files, bundle: &Path, name: &str) -> Result<Vec<Row>, Error> {
    let bytes = files.get(name).ok_or_else(|| Error::BundleInvalid {
        location: Location::file(bundle),
        reason: format!(
            "`{name}` is missing; expected an evidence bundle written by `auditpack build`"
        ),
    })?;
    let mut rdr = csv::Reader::from_reader(bytes.as_slice());
    let headers = rdr
        .headers()
        .map_err(|e| Error::BundleInvalid {
            location: Location::file(bundle),
            reason: format!("`{name}`: {e}"),
        })?
        .clone();
    let mut out = Vec::new();
    for (i, record) in rdr.records().enumerate() {
        let record = record.map_err(|e| Error::BundleInvalid {
            location: Location::file(bundle),
            reason: format!("`{name}` row {}: {e}", i + 2),
        })?;
        out.push(
            headers
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect(),
        );
    }
    Ok(out)
}

/// What the auditor asks for, per item.
fn request(row: &Row, exception: Option<&Row>) -> String {
    let mut ask = vec![
        "the incident's PagerDuty timeline (log entries: trigger, notifications, acknowledgement, escalations, resolution)".to_string(),
        "the linked ticket or change record".to_string(),
    ];
    let severity = row.get("severity").map(String::as_str).unwrap_or_default();
    if matches!(severity, "P1" | "P2") {
        ask.push("the postmortem with its corrective actions and their status".to_string());
    }
    if let Some(e) = exception {
        ask.push(format!(
            "the explanation and follow-up of the `{}` exception",
            e["kind"]
        ));
    }
    ask.join("; ")
}

/// Picks `k` of `n` indexes, sorted.
fn pick(rng: &mut ChaCha8Rng, n: usize, k: usize) -> Vec<usize> {
    let mut v = rand::seq::index::sample(rng, n, k.min(n)).into_vec();
    v.sort_unstable();
    v
}

/// Splits `size` over strata in proportion to their sizes (largest remainder), at least one
/// item for every non-empty stratum when `size` allows.
fn allocate(strata: &[usize], size: usize) -> Vec<usize> {
    let total: usize = strata.iter().sum();
    if total == 0 {
        return vec![0; strata.len()];
    }
    let mut alloc: Vec<usize> = strata.iter().map(|&s| size * s / total).collect();
    let mut rest: Vec<(usize, usize)> = strata
        .iter()
        .enumerate()
        .map(|(i, &s)| (size * s % total, i))
        .collect();
    rest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut left = size - alloc.iter().sum::<usize>();
    for (_, i) in rest {
        if left == 0 {
            break;
        }
        alloc[i] += 1;
        left -= 1;
    }
    // Every non-empty stratum gets an item, taken from the largest allocation.
    for i in 0..strata.len() {
        if strata[i] > 0
            && alloc[i] == 0
            && size >= strata.iter().filter(|&&s| s > 0).count()
            && let Some(j) = (0..alloc.len()).max_by_key(|&j| (alloc[j], std::cmp::Reverse(j)))
        {
            alloc[j] -= 1;
            alloc[i] += 1;
        }
    }
    alloc
        .iter()
        .zip(strata)
        .map(|(a, s)| (*a).min(*s))
        .collect()
}

/// Runs the command.
pub(crate) fn run(args: &SampleArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let bytes = std::fs::read(&args.bundle).map_err(|e| Error::io("read", &args.bundle, e))?;
    let digest = sha256_hex(&bytes);
    let files = read_zip(&args.bundle, &bytes)?;
    let register = csv_rows(&files, &args.bundle, "derived/incident_register.csv")?;
    let exceptions = csv_rows(&files, &args.bundle, "derived/exceptions.csv")?;
    // The population, in a fixed order: register order (creation time).
    let mut population: Vec<(Row, Option<Row>)> = match args.population {
        Population::Incidents => register.into_iter().map(|r| (r, None)).collect(),
        Population::P1p2 => register
            .into_iter()
            .filter(|r| matches!(r["severity"].as_str(), "P1" | "P2"))
            .map(|r| (r, None))
            .collect(),
        Population::Exceptions => {
            let by_number: BTreeMap<&str, &Row> = register
                .iter()
                .map(|r| (r["incident_number"].as_str(), r))
                .collect();
            exceptions
                .iter()
                .filter(|e| !e["incident_number"].is_empty())
                .filter_map(|e| {
                    let r = by_number.get(e["incident_number"].as_str())?;
                    Some(((*r).clone(), Some(e.clone())))
                })
                .collect()
        }
    };
    let n = population.len();
    let size = match (args.size, args.auto) {
        (Some(s), _) => s.min(n),
        (None, true) => auto_size(n, args.tolerable_rate),
        (None, false) => {
            return Err(Error::Usage(
                "pass `--size N` or `--auto` (attribute-sampling table)".to_string(),
            ));
        }
    };
    // Without --seed, the seed comes from the bundle's hash: reproducible, never the clock.
    let seed = args.seed.unwrap_or_else(|| {
        u64::from_str_radix(&digest[..16], 16).expect("16 hex digits fit in u64")
    });
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut chosen: Vec<(usize, String)> = Vec::new();
    if args.stratify {
        let mut strata: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, (r, _)) in population.iter().enumerate() {
            strata.entry(r["severity"].clone()).or_default().push(i);
        }
        let sizes: Vec<usize> = strata.values().map(Vec::len).collect();
        for ((name, members), k) in strata.iter().zip(allocate(&sizes, size)) {
            for j in pick(&mut rng, members.len(), k) {
                chosen.push((members[j], name.clone()));
            }
        }
        chosen.sort();
    } else {
        chosen = pick(&mut rng, n, size)
            .into_iter()
            .map(|i| (i, "all".to_string()))
            .collect();
    }

    let population_name = match args.population {
        Population::Incidents => "incidents",
        Population::Exceptions => "exceptions",
        Population::P1p2 => "p1p2",
    };
    let mut sample_csv = Vec::new();
    let mut request_csv = Vec::new();
    {
        let mut w = crate::derived::writer(&mut sample_csv);
        let mut q = crate::derived::writer(&mut request_csv);
        let io = |e: csv::Error| Error::io("write", "the sample", crate::derived::io(e));
        w.write_record([
            "item",
            "stratum",
            "incident_number",
            "id",
            "severity",
            "created_at",
            "service",
            "description",
            "ack_sla_met",
            "resolve_sla_met",
            "exception_kind",
            "exception_detail",
        ])
        .map_err(io)?;
        q.write_record([
            "item",
            "incident_number",
            "id",
            "created_at",
            "severity",
            "provide",
        ])
        .map_err(io)?;
        for (k, (i, stratum)) in chosen.iter().enumerate() {
            let (r, e) = &mut population[*i];
            let item = (k + 1).to_string();
            let get = |c: &str| r.get(c).cloned().unwrap_or_default();
            let ex = |c: &str| e.as_ref().map(|e| e[c].clone()).unwrap_or_default();
            w.write_record([
                item.clone(),
                stratum.clone(),
                get("incident_number"),
                get("id"),
                get("severity"),
                get("created_at"),
                get("service"),
                get("description"),
                get("ack_sla_met"),
                get("resolve_sla_met"),
                ex("kind"),
                ex("detail"),
            ])
            .map_err(io)?;
            q.write_record([
                item,
                get("incident_number"),
                get("id"),
                get("created_at"),
                get("severity"),
                request(r, e.as_ref()),
            ])
            .map_err(io)?;
        }
        w.flush().map_err(|e| Error::io("write", "the sample", e))?;
        q.flush().map_err(|e| Error::io("write", "the sample", e))?;
    }
    let stratified = if args.stratify { "by severity" } else { "no" };
    let how = format!(
        "bundle sha256 {digest}\npopulation {population_name}: {n} items\nsample size {size} ({})\nseed {seed}{}\nstratified: {stratified}\n",
        if args.size.is_some() {
            "--size".to_string()
        } else {
            format!("--auto, tolerable deviation rate {} %", args.tolerable_rate)
        },
        if args.seed.is_none() {
            " (from the bundle's SHA-256)"
        } else {
            ""
        },
    );
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io("create folder", &args.out, e))?;
    for (name, data) in [
        ("sample.csv", sample_csv.as_slice()),
        ("request-list.csv", request_csv.as_slice()),
        ("sample-parameters.txt", how.as_bytes()),
    ] {
        let target = args.out.join(name);
        let mut tmp = tempfile::NamedTempFile::new_in(&args.out)
            .map_err(|e| Error::io("create a temporary file in", &args.out, e))?;
        tmp.write_all(data)
            .map_err(|e| Error::io("write", &target, e))?;
        tmp.persist(&target)
            .map_err(|e| Error::io("write", &target, e.error))?;
    }
    let io = |e| Error::io("write", "standard output", e);
    match args.format {
        OutputFormat::Json => {
            let json = serde_json::json!({
                "bundle_sha256": digest, "population": population_name, "population_size": n,
                "sample_size": size, "seed": seed, "stratified": args.stratify,
                "items": chosen.iter().map(|(i, _)| population[*i].0["incident_number"].clone()).collect::<Vec<_>>(),
            });
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&json).expect("JSON values serialise")
            )
            .map_err(io)?;
        }
        _ => {
            write!(out, "{how}").map_err(io)?;
            writeln!(
                out,
                "wrote {}/sample.csv, request-list.csv, sample-parameters.txt",
                args.out.display()
            )
            .map_err(io)?;
        }
    }
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_sizes_follow_the_table() {
        assert_eq!(auto_size(0, 10), 0);
        assert_eq!(auto_size(1, 10), 1);
        assert_eq!(auto_size(4, 10), 2);
        assert_eq!(auto_size(52, 10), 5);
        assert_eq!(auto_size(250, 10), 20);
        assert_eq!(auto_size(251, 10), 29);
        assert_eq!(auto_size(1500, 5), 59);
    }

    #[test]
    fn allocation_is_proportional_with_one_per_stratum() {
        assert_eq!(allocate(&[84, 205, 466, 693, 47], 29), vec![2, 4, 9, 13, 1]);
        assert_eq!(allocate(&[1, 1000], 10), vec![1, 9]);
        assert_eq!(allocate(&[0, 10], 3), vec![0, 3]);
        assert_eq!(allocate(&[2, 2], 10), vec![2, 2]);
    }
}
