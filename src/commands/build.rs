//! `auditpack build`: compute the evidence and write `<out>/derived/*.csv`, then print a
//! summary. Everything is written into a staging folder beside `<out>` and moved into
//! place only when all of it was written, so a failed run leaves no partial output.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Loaded, load, stats::sla_table};
use crate::bundle::{self, sign::SecretKey};
use crate::cli::BuildArgs;
use crate::derived;
use crate::error::{Error, ExitStatus};
use crate::metrics::rfc3339;
use crate::report::{self, context, context::ReportParams, templates::Templates};

/// A folder that collects the outputs and then replaces them in `<out>` in one step each.
pub struct Staging {
    dir: tempfile::TempDir,
    out: PathBuf,
}

impl Drop for Staging {
    fn drop(&mut self) {
        crate::interrupt::unregister(self.dir.path());
    }
}

impl Staging {
    /// A staging folder next to `out` (same filesystem, so the final renames are atomic).
    pub fn new(out: &Path) -> Result<Self, Error> {
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| Error::io("create folder", &parent, e))?;
        let dir = tempfile::Builder::new()
            .prefix(".auditpack-staging-")
            .tempdir_in(&parent)
            .map_err(|e| Error::io("create a staging folder in", &parent, e))?;
        crate::interrupt::register(dir.path());
        Ok(Self {
            dir,
            out: out.to_path_buf(),
        })
    }

    /// Path of `rel` inside the staging folder, with its parent folders created.
    pub fn path(&self, rel: &str) -> Result<PathBuf, Error> {
        if crate::interrupt::interrupted() {
            return Err(Error::Usage("interrupted".to_string()));
        }
        let p = self.dir.path().join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io("create folder", parent, e))?;
        }
        Ok(p)
    }

    /// Writes one staged file through `write`.
    pub fn write(
        &self,
        rel: &str,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        let path = self.path(rel)?;
        let file = fs::File::create(&path).map_err(|e| Error::io("create", &path, e))?;
        let mut buf = std::io::BufWriter::new(file);
        write(&mut buf)
            .and_then(|()| buf.flush())
            .map_err(|e| Error::io("write", &path, e))?;
        buf.into_inner()
            .map_err(|e| Error::io("write", &path, e.into_error()))?
            .sync_all()
            .map_err(|e| Error::io("write", &path, e))
    }

    /// Moves each top-level staged entry into `<out>`, replacing what was there.
    pub fn commit(self) -> Result<(), Error> {
        fs::create_dir_all(&self.out).map_err(|e| Error::io("create folder", &self.out, e))?;
        let mut entries: Vec<_> = fs::read_dir(self.dir.path())
            .map_err(|e| Error::io("read folder", self.dir.path(), e))?
            .collect::<Result<_, _>>()
            .map_err(|e| Error::io("read folder", self.dir.path(), e))?;
        entries.sort_by_key(|e| e.file_name());
        let old = self.dir.path().join(".replaced");
        fs::create_dir(&old).map_err(|e| Error::io("create folder", &old, e))?;
        for entry in entries {
            let target = self.out.join(entry.file_name());
            if fs::symlink_metadata(&target).is_ok() {
                let aside = old.join(entry.file_name());
                fs::rename(&target, &aside).map_err(|e| Error::io("replace", &target, e))?;
            }
            fs::rename(entry.path(), &target).map_err(|e| Error::io("write", &target, e))?;
        }
        // Dropping the TempDir removes the replaced outputs.
        Ok(())
    }
}

/// The report's file name in `<out>`.
pub const REPORT: &str = "evidence-report.pdf";
/// The bundle's file name in `<out>`.
pub const BUNDLE: &str = "evidence-bundle.zip";

/// The command line as recorded in the evidence: `auditpack` and the arguments, quoted
/// where a shell would need it.
pub fn command_line(argv: &[String]) -> String {
    let quote = |a: &String| {
        if !a.is_empty()
            && a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+".contains(c))
        {
            a.clone()
        } else {
            format!("'{}'", a.replace('\'', "'\\''"))
        }
    };
    std::iter::once("auditpack".to_string())
        .chain(argv.iter().skip(1).map(quote))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs the build.
pub fn run(args: &BuildArgs, argv: &[String], out: &mut dyn Write) -> Result<ExitStatus, Error> {
    // Templates first: a broken `--templates` folder fails before any work.
    let (templates, assets) = match &args.templates {
        None => (Templates::builtin(), Vec::new()),
        Some(dir) => {
            Templates::with_overrides(dir, |p| fs::read(p).map_err(|e| Error::io("read", p, e)))?
        }
    };
    let signer = match &args.key {
        None => None,
        Some(p) => {
            let text = fs::read_to_string(p).map_err(|e| Error::io("read", p, e))?;
            Some(
                SecretKey::from_text(&text, crate::config::key_password().as_deref()).map_err(
                    |reason| Error::KeyInvalid {
                        location: crate::error::Location::file(p),
                        reason,
                    },
                )?,
            )
        }
    };
    // The PDF's signing key: `--pdf-key` (the company's own), else the P-256 key in `--key`;
    // its certificate: `--cert`, else `auditpack.crt` beside `--key`.
    let read_text = |p: &Path| fs::read_to_string(p).map_err(|e| Error::io("read", p, e));
    let invalid = |p: &Path, reason: String| Error::KeyInvalid {
        location: crate::error::Location::file(p),
        reason,
    };
    let own_pdf_key = match &args.pdf_key {
        None => None,
        Some(p) => Some(bundle::pdfsign::key_from_pem(&read_text(p)?).map_err(|r| invalid(p, r))?),
    };
    let pdf_key = own_pdf_key.or_else(|| signer.as_ref().and_then(|k| k.pdf_key.clone()));
    let certificate = match (&args.cert, &args.key, &pdf_key) {
        (_, _, None) => None,
        (Some(p), _, Some(_)) => Some((p.clone(), read_text(p)?)),
        (None, Some(k), Some(_)) => {
            let p = k.with_extension("crt");
            Some((p.clone(), read_text(&p)?))
        }
        (None, None, Some(_)) => None,
    };
    let certificate = match (certificate, &pdf_key) {
        (Some((path, text)), Some(key)) => {
            let der = bundle::pdfsign::from_pem(&text)
                .ok_or_else(|| invalid(&path, "not a PEM certificate".to_string()))?;
            if !bundle::pdfsign::certifies(&der, key) {
                return Err(invalid(
                    &path,
                    "this certificate is not for the PDF signing key".to_string(),
                ));
            }
            Some(der)
        }
        _ => None,
    };
    let progress = crate::progress::Progress::new(args.quiet);
    let mut loaded = load(&args.input, &progress, crate::metrics::Scope::Evidence)?;
    let params = ReportParams {
        signed: signer.is_some(),
        prepared_by: args.prepared_by.clone(),
        register_limit: args.register_limit,
        command_line: command_line(argv),
        policy_source: loaded.policy.path.as_ref().map_or_else(
            || "built-in default policy".to_string(),
            |p| p.display().to_string(),
        ),
    };
    let data = context::build(
        &loaded.metrics,
        &loaded.ingested,
        &loaded.postmortems,
        &loaded.oncall,
        &loaded.policy.policy,
        &params,
    );
    progress.step("typesetting the report", None);
    let mut pdf = report::render(&data, &templates, assets, loaded.metrics.as_of)?;
    if let (Some(pdf_key), Some(cert)) = (&pdf_key, &certificate) {
        let name = signer.as_ref().map_or("", |k| k.name.as_str());
        pdf = bundle::pdfsign::sign_pdf(&pdf, pdf_key, cert, name, loaded.metrics.as_of)
            .map_err(|e| Error::Report(format!("cannot sign the PDF: {e}")))?;
    }
    let mut derived = super::derived_files(
        &loaded.metrics,
        &loaded.ingested,
        &loaded.postmortems,
        &loaded.oncall,
        loaded.policy.policy.timezone,
    )?;
    if args.xlsx {
        let book = derived::xlsx::workbook(
            &derived,
            &loaded.policy.policy.organization,
            loaded.metrics.as_of,
        )?;
        derived.push(("derived/incident-register.xlsx".to_string(), book));
    }

    // The raw inputs move into the bundle: no second copy of large exports in memory.
    let mut entries: Vec<bundle::Entry> = std::mem::take(&mut loaded.raw)
        .into_iter()
        .map(|(name, bytes)| bundle::Entry {
            path: format!("inputs/{name}"),
            role: bundle::Role::Input,
            bytes,
        })
        .collect();
    entries.push(bundle::Entry {
        path: bundle::POLICY_PATH.to_string(),
        role: bundle::Role::Policy,
        bytes: loaded.policy.text.clone().into_bytes(),
    });
    entries.extend(derived.iter().map(|(path, bytes)| bundle::Entry {
        path: path.clone(),
        role: bundle::Role::Derived,
        bytes: bytes.clone(),
    }));
    entries.push(bundle::Entry {
        path: bundle::REPORT_PATH.to_string(),
        role: bundle::Role::Report,
        bytes: pdf.clone(),
    });
    let mut manifest = manifest(&loaded, &entries, &params);
    if let Some(key) = &signer {
        manifest.signed = true;
        manifest.key_id = Some(key.public().id());
        manifest.signer = Some(key.name.clone());
    }
    progress.step("writing the bundle", None);
    let zip = bundle::write(
        entries,
        &manifest,
        crate::config::zip_time(loaded.metrics.as_of),
        signer.as_ref(),
    )?;

    let staging = Staging::new(&args.out)?;
    for (path, bytes) in &derived {
        staging.write(path, |w| w.write_all(bytes))?;
    }
    staging.write(REPORT, |w| w.write_all(&pdf))?;
    staging.write(BUNDLE, |w| w.write_all(&zip))?;
    staging.commit()?;
    progress.finish();
    if !args.quiet && signer.is_none() {
        eprintln!(
            "warning: `{}` is UNSIGNED (no `--key`): its SHA256SUMS proves integrity, not origin",
            args.out.join(BUNDLE).display()
        );
    }
    let io = |e| Error::io("write", "standard output", e);
    match args.format {
        crate::cli::SummaryFormat::Json => {
            let doc = json_summary(&loaded, &args.out, signer.is_some(), &derived, &zip, &pdf);
            let text = serde_json::to_string_pretty(&doc)
                .map_err(|e| Error::Usage(format!("cannot encode JSON: {e}")))?;
            writeln!(out, "{text}").map_err(io)?;
        }
        crate::cli::SummaryFormat::Table if !args.quiet => {
            out.write_all(summary(&loaded, &args.out, signer.is_some()).as_bytes())
                .map_err(io)?;
        }
        crate::cli::SummaryFormat::Table => {}
    }
    Ok(ExitStatus::Success)
}

/// The summary as one JSON object: the same facts as the table, plus the outputs' hashes.
fn json_summary(
    loaded: &Loaded,
    out_dir: &Path,
    signed: bool,
    derived: &[(String, Vec<u8>)],
    zip: &[u8],
    pdf: &[u8],
) -> serde_json::Value {
    use crate::ingest::sha256_hex;
    let m = &loaded.metrics;
    let files: Vec<serde_json::Value> = loaded
        .ingested
        .files
        .iter()
        .zip(&m.files)
        .map(|(f, c)| {
            serde_json::json!({
                "file": f.name,
                "format": f.document.or(f.format.map(|x| x.name())).unwrap_or("not_used"),
                "sha256": f.sha256,
                "rows_read": f.rows_read,
                "rows_used": c.rows_used,
                "rows_rejected": c.rows_rejected,
                "rows_outside_period": c.rows_outside_period,
                "not_used_reason": f.not_used_reason,
            })
        })
        .collect();
    let counts: serde_json::Map<String, serde_json::Value> = m
        .exception_counts()
        .into_iter()
        .map(|(k, n)| (k.name().to_string(), n.into()))
        .collect();
    let postmortems: Vec<serde_json::Value> = loaded
        .postmortems
        .coverage
        .iter()
        .map(|c| {
            serde_json::json!({
                "severity": c.severity, "required": c.required, "present": c.present,
                "on_time": c.on_time, "complete": c.complete, "not_yet_due": c.not_yet_due,
            })
        })
        .collect();
    let coverage: Vec<serde_json::Value> = loaded
        .oncall
        .coverage
        .iter()
        .map(|c| {
            serde_json::json!({
                "schedule": c.schedule, "first_level": c.first_level, "covered_s": c.covered_s,
                "period_s": c.period_s, "gaps": c.gaps.len(), "overrides": c.overrides.len(),
            })
        })
        .collect();
    let mut outputs = vec![
        serde_json::json!({"path": out_dir.join(REPORT), "sha256": sha256_hex(pdf)}),
        serde_json::json!({"path": out_dir.join(BUNDLE), "sha256": sha256_hex(zip), "signed": signed}),
    ];
    outputs.extend(
        derived
            .iter()
            .map(|(p, b)| serde_json::json!({"path": out_dir.join(p), "sha256": sha256_hex(b)})),
    );
    serde_json::json!({
        "organization": loaded.policy.policy.organization,
        "period_from": m.period.from.to_string(),
        "period_to": m.period.to.to_string(),
        "timezone": loaded.policy.policy.timezone.name(),
        "as_of": rfc3339(m.as_of),
        "severities": m.summary.iter().map(super::stats::JsonRow::from).collect::<Vec<_>>(),
        "inputs": files,
        "rejected_rows": loaded.ingested.rejected.len(),
        "exceptions": m.exceptions.len(),
        "exceptions_by_kind": counts,
        "postmortems": postmortems,
        "oncall_coverage": coverage,
        "admin_changes": loaded.oncall.changes.len(),
        "outputs": outputs,
    })
}

/// The bundle's manifest.
fn manifest(loaded: &Loaded, entries: &[bundle::Entry], params: &ReportParams) -> bundle::Manifest {
    let (m, p) = (&loaded.metrics, &loaded.policy.policy);
    bundle::Manifest {
        command_line: params.command_line.clone(),
        files: bundle::manifest_files(entries),
        format: bundle::FORMAT.to_string(),
        key_id: None,
        organization: p.organization.clone(),
        parameters: bundle::ManifestParameters {
            as_of: rfc3339(m.as_of),
            period_from: m.period.from.to_string(),
            period_to: m.period.to.to_string(),
            prepared_by: params.prepared_by.clone(),
            register_limit: params.register_limit,
            timezone: p.timezone.name().to_string(),
        },
        policy_sha256: crate::ingest::sha256_hex(loaded.policy.text.as_bytes()),
        reconciliation: loaded
            .ingested
            .files
            .iter()
            .zip(&m.files)
            .filter(|(f, _)| f.format.is_some())
            .map(|(f, c)| bundle::ManifestRows {
                file: f.name.clone(),
                rows_outside_period: c.rows_outside_period,
                rows_read: f.rows_read,
                rows_rejected: c.rows_rejected,
                rows_used: c.rows_used,
            })
            .collect(),
        report: bundle::REPORT_PATH.to_string(),
        signed: false,
        signer: None,
        tool: format!("auditpack {}", env!("CARGO_PKG_VERSION")),
    }
}

/// The terminal summary: period, SLA table, reconciliation, exceptions, outputs.
fn summary(loaded: &Loaded, out_dir: &Path, signed: bool) -> String {
    let (m, ingested, p) = (&loaded.metrics, &loaded.ingested, &loaded.policy);
    let mut s = String::new();
    s.push_str(&format!(
        "{}: incident response evidence (SOC 2 CC7.3)\nperiod {} to {} ({}), as of {}\npolicy: {}\n\n",
        p.policy.organization,
        m.period.from,
        m.period.to,
        p.policy.timezone.name(),
        rfc3339(m.as_of),
        p.path
            .as_ref()
            .map_or_else(|| "built-in default".to_string(), |p| p.display().to_string()),
    ));
    s.push_str(&sla_table(m));
    s.push_str("\ninputs (rows read = used + rejected + outside the period):\n");
    let width = ingested
        .files
        .iter()
        .filter(|f| f.document.is_none())
        .map(|f| f.name.len())
        .max()
        .unwrap_or(0);
    let mut not_used = Vec::new();
    for (f, c) in ingested.files.iter().zip(&m.files) {
        if f.document.is_some() {
            continue;
        }
        match f.format {
            Some(format) => s.push_str(&format!(
                "  {:<width$}  {:<14}  {} = {} + {} + {}\n",
                f.name,
                format.name(),
                f.rows_read,
                c.rows_used,
                c.rows_rejected,
                c.rows_outside_period
            )),
            None => not_used.push(f),
        }
    }
    for f in not_used {
        s.push_str(&format!(
            "  {:<width$}  not used: {}\n",
            f.name,
            f.not_used_reason
                .as_deref()
                .unwrap_or("not an incidents export")
        ));
    }
    let pm = &loaded.postmortems;
    if pm.documents.is_empty() {
        s.push_str(
            "
postmortems: no documents in the inputs (postmortems/); the rule was not checked
",
        );
    } else {
        let unreadable = pm
            .documents
            .iter()
            .filter(|d| d.unreadable.is_some())
            .count();
        s.push_str(&format!(
            "
postmortems: {} documents ({unreadable} unreadable)
",
            pm.documents.len()
        ));
        for c in &pm.coverage {
            s.push_str(&format!(
                "  {:<6} required {}, present {}, on time {}, complete {}, not yet due {}
",
                c.severity, c.required, c.present, c.on_time, c.complete, c.not_yet_due
            ));
        }
    }
    let counts = m.exception_counts();
    let listed: Vec<String> = counts
        .iter()
        .map(|(k, n)| format!("{} {n}", k.name()))
        .collect();
    s.push_str(&format!(
        "\nexceptions: {}{}\n",
        m.exceptions.len(),
        if listed.is_empty() {
            String::new()
        } else {
            format!(" ({})", listed.join(", "))
        }
    ));
    s.push_str(&format!(
        "rejected rows: {}\nwrote {}/{REPORT}\nwrote {}/{BUNDLE} ({})\nwrote {}/derived/: {}\n",
        ingested.rejected.len(),
        out_dir.display(),
        out_dir.display(),
        if signed { "signed" } else { "UNSIGNED" },
        out_dir.display(),
        derived::FILES.join(", ")
    ));
    s
}
