//! `auditpack build`: compute the evidence and write `<out>/derived/*.csv`, then print a
//! summary. Everything is written into a staging folder beside `<out>` and moved into
//! place only when all of it was written, so a failed run leaves no partial output.

use std::fs;
use std::io::Write;
use std::path::Path;

use super::inputs::{Loaded, load};
use super::staging::Staging;
use super::summary;
use crate::bundle::{self, sign::SecretKey};
use crate::cli::BuildArgs;
use crate::derived;
use crate::error::{Error, ExitStatus};
use crate::model::text::rfc3339;
use crate::report::{self, context, context::ReportParams, templates::Templates};

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
    let progress = crate::commands::progress::Progress::new(args.quiet);
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
    let data = context::build(&loaded.evidence, &params);
    progress.step("typesetting the report", None);
    let mut pdf = report::render(&data, &templates, assets, loaded.evidence.metrics.as_of)?;
    if let (Some(pdf_key), Some(cert)) = (&pdf_key, &certificate) {
        let name = signer.as_ref().map_or("", |k| k.name.as_str());
        pdf = bundle::pdfsign::sign_pdf(&pdf, pdf_key, cert, name, loaded.evidence.metrics.as_of)
            .map_err(|e| Error::Report(format!("cannot sign the PDF: {e}")))?;
    }
    let mut derived = crate::derived::files(&loaded.evidence)?;
    if args.xlsx {
        let book = derived::xlsx::workbook(
            &derived,
            &loaded.policy.policy.organization,
            loaded.evidence.metrics.as_of,
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
        crate::config::zip_time(loaded.evidence.metrics.as_of),
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
            let doc = summary::json(&loaded, &args.out, signer.is_some(), &derived, &zip, &pdf);
            let text = serde_json::to_string_pretty(&doc)
                .map_err(|e| Error::Usage(format!("cannot encode JSON: {e}")))?;
            writeln!(out, "{text}").map_err(io)?;
        }
        crate::cli::SummaryFormat::Table if !args.quiet => {
            out.write_all(summary::table(&loaded, &args.out, signer.is_some()).as_bytes())
                .map_err(io)?;
        }
        crate::cli::SummaryFormat::Table => {}
    }
    Ok(ExitStatus::Success)
}

/// The bundle's manifest.
fn manifest(loaded: &Loaded, entries: &[bundle::Entry], params: &ReportParams) -> bundle::Manifest {
    let (m, p) = (&loaded.evidence.metrics, &loaded.policy.policy);
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
            .evidence
            .ingested
            .files
            .iter()
            .zip(&loaded.evidence.reconciliation)
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
