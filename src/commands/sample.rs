//! `auditpack sample`: a reproducible random sample of an evidence bundle's incidents (or
//! exceptions, or P1/P2 incidents) for an auditor's tests of operating effectiveness, with a
//! request list of what to provide for each item. The bundle is verified first, as
//! `auditpack verify` does, and the auditor chooses the seed. The same bundle and seed give
//! the same sample on any machine: the population comes from the bundle's derived CSVs in a
//! fixed order, read as a stream (a million incidents take a few bytes each), and the
//! generator is ChaCha8 (stable across platforms and versions).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::verify::{derived_names, print_verdict, trust_of};
use crate::bundle::verify::{Opened, verify};
use crate::cli::{OutputFormat, Population, SampleArgs};
use crate::error::{Error, ExitStatus, Location};

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

/// Reads the rows of `derived/<name>` one by one, calling `each(index, row)`; `keep` says
/// which columns to keep in the row.
fn each_row(
    opened: &Opened,
    bundle: &Path,
    name: &str,
    mut each: impl FnMut(usize, &csv::StringRecord, &csv::StringRecord),
) -> Result<(), Error> {
    let bad = |reason: String| Error::BundleInvalid {
        location: Location::file(bundle),
        reason,
    };
    let path = format!("derived/{name}");
    let entry = opened
        .zip
        .entry(&path)
        .ok_or_else(|| bad(format!("`{path}` is missing")))?;
    let reader = opened
        .zip
        .reader(entry)
        .map_err(|r| bad(r.reason().to_string()))?;
    let mut rdr = csv::Reader::from_reader(reader);
    let headers = rdr
        .headers()
        .map_err(|e| bad(format!("`{path}`: {e}")))?
        .clone();
    let mut record = csv::StringRecord::new();
    let mut i = 0;
    while rdr
        .read_record(&mut record)
        .map_err(|e| bad(format!("`{path}` row {}: {e}", i + 2)))?
    {
        each(i, &headers, &record);
        i += 1;
    }
    Ok(())
}

fn row_of(headers: &csv::StringRecord, record: &csv::StringRecord) -> Row {
    headers
        .iter()
        .zip(record.iter())
        .map(|(h, v)| (h.to_string(), v.to_string()))
        .collect()
}

fn field<'a>(headers: &csv::StringRecord, record: &'a csv::StringRecord, name: &str) -> &'a str {
    headers
        .iter()
        .position(|h| h == name)
        .and_then(|i| record.get(i))
        .unwrap_or_default()
}

/// One member of the population: its stratum (severity, an index into `Members::severities`),
/// and the row it comes from (of the register, or of the exceptions for the exceptions
/// population). Small, so a population of millions stays a few tens of MiB.
struct Member {
    stratum: u16,
    row: usize,
}

/// The population's members, and the names of their strata.
#[derive(Default)]
struct Members {
    list: Vec<Member>,
    severities: Vec<String>,
    index: std::collections::HashMap<String, u16>,
}

/// More distinct severities than this in a register is not a policy's matrix.
const MAX_STRATA: usize = 1024;

impl Members {
    /// The index of a severity's name, added when new; `None` past `MAX_STRATA`.
    fn stratum(&mut self, severity: &str) -> Option<u16> {
        if let Some(&i) = self.index.get(severity) {
            return Some(i);
        }
        if self.severities.len() >= MAX_STRATA {
            return None;
        }
        let i = self.severities.len() as u16;
        self.severities.push(severity.to_string());
        self.index.insert(severity.to_string(), i);
        Some(i)
    }
}

/// Incident number → stratum, kept as a number where the number is one (PagerDuty's are), so
/// a million incidents take a few tens of MiB.
#[derive(Default)]
struct StratumOf {
    numeric: std::collections::HashMap<u64, u16>,
    other: std::collections::HashMap<String, u16>,
}

impl StratumOf {
    /// The number as a `u64` when it is one, spelled canonically.
    fn numeric(number: &str) -> Option<u64> {
        number
            .parse::<u64>()
            .ok()
            .filter(|n| n.to_string() == number)
    }

    fn insert(&mut self, number: &str, stratum: u16) {
        match Self::numeric(number) {
            Some(n) => {
                self.numeric.insert(n, stratum);
            }
            None => {
                self.other.insert(number.to_string(), stratum);
            }
        }
    }

    fn get(&self, number: &str) -> Option<u16> {
        match Self::numeric(number) {
            Some(n) => self.numeric.get(&n).copied(),
            None => self.other.get(number).copied(),
        }
    }
}

/// The population in a fixed order (register order: creation time; or the exceptions'),
/// without keeping its rows.
fn population(opened: &Opened, bundle: &Path, which: Population) -> Result<Members, Error> {
    let mut members = Members::default();
    let mut stratum_of = StratumOf::default();
    let mut too_many = false;
    each_row(opened, bundle, "incident_register.csv", |i, h, r| {
        let severity = field(h, r, "severity");
        if which == Population::P1p2 && !matches!(severity, "P1" | "P2") {
            return;
        }
        let Some(stratum) = members.stratum(severity) else {
            too_many = true;
            return;
        };
        if which == Population::Exceptions {
            stratum_of.insert(field(h, r, "incident_number"), stratum);
        } else {
            members.list.push(Member { stratum, row: i });
        }
    })?;
    if too_many {
        return Err(Error::BundleInvalid {
            location: Location::file(bundle),
            reason: format!(
                "`derived/incident_register.csv` has more than {MAX_STRATA} distinct severities"
            ),
        });
    }
    if which == Population::Exceptions {
        each_row(opened, bundle, "exceptions.csv", |j, h, r| {
            let number = field(h, r, "incident_number");
            if number.is_empty() {
                return;
            }
            if let Some(stratum) = stratum_of.get(number) {
                members.list.push(Member { stratum, row: j });
            }
        })?;
    }
    Ok(members)
}

/// The chosen members' rows: (register row, exception row).
fn chosen_rows(
    opened: &Opened,
    bundle: &Path,
    which: Population,
    rows: &[usize],
) -> Result<BTreeMap<usize, (Row, Option<Row>)>, Error> {
    let wanted: std::collections::BTreeSet<usize> = rows.iter().copied().collect();
    let mut out = BTreeMap::new();
    if which != Population::Exceptions {
        each_row(opened, bundle, "incident_register.csv", |i, h, r| {
            if wanted.contains(&i) {
                out.insert(i, (row_of(h, r), None));
            }
        })?;
        return Ok(out);
    }
    let mut exceptions: BTreeMap<usize, Row> = BTreeMap::new();
    each_row(opened, bundle, "exceptions.csv", |j, h, r| {
        if wanted.contains(&j) {
            exceptions.insert(j, row_of(h, r));
        }
    })?;
    let numbers: std::collections::BTreeSet<String> = exceptions
        .values()
        .map(|e| e["incident_number"].clone())
        .collect();
    let mut register: BTreeMap<String, Row> = BTreeMap::new();
    each_row(opened, bundle, "incident_register.csv", |_, h, r| {
        let n = field(h, r, "incident_number");
        if numbers.contains(n) {
            register.insert(n.to_string(), row_of(h, r));
        }
    })?;
    for (j, e) in exceptions {
        if let Some(r) = register.get(&e["incident_number"]) {
            out.insert(j, (r.clone(), Some(e)));
        }
    }
    Ok(out)
}

/// SHA-256 of the bundle file, read in pieces.
fn file_sha256(path: &Path) -> Result<String, Error> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io("read", path, e))?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
    }
    Ok(sha.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// What the auditor asks for, per item: the timeline always; the ticket and the postmortem
/// only for a severity whose policy (the bundle's `policy.toml`) has a postmortem rule, the
/// rule the ticket check follows too.
fn request(row: &Row, exception: Option<&Row>, needs_postmortem: &dyn Fn(&str) -> bool) -> String {
    let mut ask = vec![
        "the incident's PagerDuty timeline (log entries: trigger, notifications, acknowledgement, escalations, resolution)".to_string(),
    ];
    let severity = row.get("severity").map(String::as_str).unwrap_or_default();
    if needs_postmortem(severity) {
        ask.push("the linked ticket or change record".to_string());
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

/// The sample's items, as (population index, stratum), in population order.
fn draw(members: &Members, size: usize, seed: u64, stratify: bool) -> Vec<(usize, String)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    if !stratify {
        return pick(&mut rng, members.list.len(), size)
            .into_iter()
            .map(|i| (i, "all".to_string()))
            .collect();
    }
    // Strata in the order of their names, as before.
    let mut strata: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, m) in members.list.iter().enumerate() {
        strata
            .entry(members.severities[m.stratum as usize].as_str())
            .or_default()
            .push(i);
    }
    let sizes: Vec<usize> = strata.values().map(Vec::len).collect();
    let mut chosen = Vec::new();
    for ((name, list), k) in strata.iter().zip(allocate(&sizes, size)) {
        for j in pick(&mut rng, list.len(), k) {
            chosen.push((list[j], name.to_string()));
        }
    }
    chosen.sort();
    chosen
}

/// `sample.csv` and `request-list.csv` of the chosen items.
fn sample_files(
    chosen: &[(usize, String)],
    members: &[Member],
    rows: &BTreeMap<usize, (Row, Option<Row>)>,
    needs_postmortem: &dyn Fn(&str) -> bool,
) -> Result<(Vec<u8>, Vec<u8>), Error> {
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
            let Some((r, e)) = rows.get(&members[*i].row) else {
                continue;
            };
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
                request(r, e.as_ref(), needs_postmortem),
            ])
            .map_err(io)?;
        }
        w.flush().map_err(|e| Error::io("write", "the sample", e))?;
        q.flush().map_err(|e| Error::io("write", "the sample", e))?;
    }
    Ok((sample_csv, request_csv))
}

/// Runs the command.
pub(crate) fn run(args: &SampleArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    if args.size.is_none() && !args.auto {
        return Err(Error::Usage(
            "pass `--size N` or `--auto` (attribute-sampling table)".to_string(),
        ));
    }
    let trust = trust_of(&args.trust)?;
    let (verdict, opened) = verify(&args.bundle, &trust, &derived_names())?;
    let Some(opened) = opened.filter(|_| verdict.valid) else {
        // The auditor sees why, as verify shows it; nothing is sampled from such a bundle.
        let mut err = std::io::stderr();
        print_verdict(&verdict, OutputFormat::Table, &mut err)?;
        eprint_line!(
            "error: `{}` does not verify: nothing was sampled",
            args.bundle.display()
        );
        return Ok(ExitStatus::Negative);
    };
    let digest = file_sha256(&args.bundle)?;
    let members = population(&opened, &args.bundle, args.population)?;
    let n = members.list.len();
    let size = match args.size {
        Some(s) => s.min(n),
        None => auto_size(n, args.tolerable_rate),
    };
    let seed = args.seed;
    let chosen = draw(&members, size, seed, args.stratify);
    let wanted: Vec<usize> = chosen.iter().map(|(i, _)| members.list[*i].row).collect();
    let rows = chosen_rows(&opened, &args.bundle, args.population, &wanted)?;
    // The policy the bundle was built with (verified above) says which severities need a
    // postmortem and a ticket.
    let policy_text = super::verify::whole(&opened, crate::bundle::POLICY_PATH)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    let policy = crate::policy::Policy::parse(Path::new(crate::bundle::POLICY_PATH), &policy_text)?;
    let needs_postmortem = |severity: &str| {
        policy
            .severities
            .iter()
            .any(|s| s.name == severity && s.postmortem_within.is_some())
    };
    let (sample_csv, request_csv) = sample_files(&chosen, &members.list, &rows, &needs_postmortem)?;
    let population_name = match args.population {
        Population::Incidents => "incidents",
        Population::Exceptions => "exceptions",
        Population::P1p2 => "p1p2",
    };
    let stratified = if args.stratify { "by severity" } else { "no" };
    let key = verdict
        .key_sha256
        .clone()
        .unwrap_or_else(|| "none".to_string());
    let how = format!(
        "bundle sha256 {digest}\nkey sha256 {key}{}\npopulation {population_name}: {n} items\nsample size {size} ({})\nseed {seed}\nstratified: {stratified}\n",
        if verdict.demo_key {
            " (DEMO KEY — not evidence)"
        } else {
            ""
        },
        if args.size.is_some() {
            "--size".to_string()
        } else {
            format!("--auto, tolerable deviation rate {} %", args.tolerable_rate)
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
                "bundle_sha256": digest, "key_sha256": verdict.key_sha256,
                "demo_key": verdict.demo_key, "population": population_name,
                "population_size": n, "sample_size": size, "seed": seed,
                "stratified": args.stratify,
                "items": chosen.iter().map(|(i, _)| rows.get(&members.list[*i].row).map(|(r, _)| r["incident_number"].clone())).collect::<Vec<_>>(),
            });
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&json).expect("JSON values serialise")
            )
            .map_err(io)?;
        }
        OutputFormat::Table => {
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
