//! `auditpack build`: compute the evidence and write the PDF report, the bundle and
//! `<out>/derived/*.csv`, then print a summary. Everything is written into a staging folder
//! beside `<out>` and moved into place only when all of it was written, so a failed run
//! leaves no partial output.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::inputs::{Loaded, load};
use super::progress::Progress;
use super::staging::{BUNDLE, REPORT, Staging};
use super::summary;
use crate::bundle::{self, sign::SecretKey};
use crate::cli::{BuildArgs, OutputFormat};
use crate::config::{BuildConfig, Environment};
use crate::derived;
use crate::error::{Error, ExitStatus, Location};
use crate::metrics::Scope;
use crate::model::text::rfc3339;
use crate::report::templates::{Assets, Templates};
use crate::report::{self, context, context::ReportParams};

/// The command line as recorded in the evidence: `auditpack` and the arguments, quoted
/// where a shell would need it.
pub(crate) fn command_line(argv: &[String]) -> String {
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

/// The keys that sign: the bundle's (`--key`), and the PDF's with its certificate.
struct Signing {
    bundle: Option<SecretKey>,
    pdf: Option<(p256::ecdsa::SigningKey, Vec<u8>)>,
}

fn read_text(p: &Path) -> Result<String, Error> {
    fs::read_to_string(p).map_err(|e| Error::io("read", p, e))
}

fn key_invalid(p: &Path, reason: String) -> Error {
    Error::KeyInvalid {
        location: Location::file(p),
        reason,
    }
}

/// The signing keys the flags name: the PDF's is `--pdf-key` (the company's own), else the
/// P-256 key in `--key`; its certificate `--cert`, else `auditpack.crt` beside `--key`.
fn read_signing(config: &BuildConfig) -> Result<Signing, Error> {
    let bundle_key = match &config.key {
        None => None,
        Some(p) => Some(
            SecretKey::from_text(&read_text(p)?, config.environment.key_password.as_deref())
                .map_err(|reason| key_invalid(p, reason))?,
        ),
    };
    let own_pdf_key = match &config.pdf_key {
        None => None,
        Some(p) => {
            Some(bundle::pdfsign::key_from_pem(&read_text(p)?).map_err(|r| key_invalid(p, r))?)
        }
    };
    let pdf_key = own_pdf_key.or_else(|| bundle_key.as_ref().and_then(|k| k.pdf_key.clone()));
    let certificate_path = match (&config.cert, &config.key) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(k)) => Some(k.with_extension("crt")),
        (None, None) => None,
    };
    let pdf = match (pdf_key, certificate_path) {
        (Some(key), Some(path)) => {
            let der = bundle::pdfsign::from_pem(&read_text(&path)?)
                .ok_or_else(|| key_invalid(&path, "not a PEM certificate".to_string()))?;
            if !bundle::pdfsign::certifies(&der, &key) {
                return Err(key_invalid(
                    &path,
                    "this certificate is not for the PDF signing key".to_string(),
                ));
            }
            Some((key, der))
        }
        _ => None,
    };
    Ok(Signing {
        bundle: bundle_key,
        pdf,
    })
}

/// The built-in templates, overridden by the files of `--templates DIR`.
fn read_templates(dir: Option<&Path>) -> Result<(Templates, Assets), Error> {
    let Some(dir) = dir else {
        return Ok((Templates::builtin(), Vec::new()));
    };
    let entries = fs::read_dir(dir).map_err(|e| Error::io("read folder", dir, e))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let files = paths
        .into_iter()
        .map(|p| {
            let bytes = fs::read(&p).map_err(|e| Error::io("read", &p, e))?;
            Ok((p, bytes))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Templates::with_overrides(files)
}

/// The derived CSVs, and the workbook with `--xlsx`.
fn derived_outputs(loaded: &Loaded, xlsx: bool) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let mut derived = derived::files(&loaded.evidence)?;
    if xlsx {
        let book = derived::xlsx::workbook(
            &derived,
            &loaded.policy.policy.organization,
            loaded.evidence.metrics.as_of,
        )?;
        derived.push(("derived/incident-register.xlsx".to_string(), book));
    }
    Ok(derived)
}

/// The bundle's entries: the raw inputs (moved in: no second copy of large exports), the
/// policy, the derived files and the report.
fn bundle_entries(
    loaded: &mut Loaded,
    derived: &[(String, Vec<u8>)],
    pdf: &[u8],
) -> Vec<bundle::Entry> {
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
        bytes: pdf.to_vec(),
    });
    entries
}

/// Runs the build.
pub(crate) fn run(
    args: &BuildArgs,
    argv: &[String],
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let config = BuildConfig::new(args, Environment::read())?;
    // Templates and keys first: a broken `--templates` folder or key fails before any work.
    let (templates, assets) = read_templates(config.templates.as_deref())?;
    let signing = read_signing(&config)?;
    let progress = Progress::new(config.quiet);
    let mut loaded = load(&config.input, &progress, Scope::Evidence)?;
    let as_of = loaded.evidence.metrics.as_of;
    let params = ReportParams {
        signed: signing.bundle.is_some(),
        prepared_by: config.prepared_by.clone(),
        register_limit: config.register_limit,
        command_line: command_line(argv),
        policy_source: loaded.policy.path.as_ref().map_or_else(
            || "built-in default policy".to_string(),
            |p| p.display().to_string(),
        ),
    };
    let data = context::build(&loaded.evidence, &params);
    progress.step("typesetting the report", None);
    let mut pdf = report::render(&data, &templates, assets, as_of)?;
    if let Some((pdf_key, cert)) = &signing.pdf {
        let name = signing.bundle.as_ref().map_or("", |k| k.name.as_str());
        pdf = bundle::pdfsign::sign_pdf(&pdf, pdf_key, cert, name, as_of)
            .map_err(|e| Error::Report(format!("cannot sign the PDF: {e}")))?;
    }
    let derived = derived_outputs(&loaded, config.xlsx)?;
    let entries = bundle_entries(&mut loaded, &derived, &pdf);
    let mut manifest = manifest(&loaded, &entries, &params);
    if let Some(key) = &signing.bundle {
        manifest.signed = true;
        manifest.key_id = Some(key.public().id());
        manifest.signer = Some(key.name.clone());
    }
    progress.step("writing the bundle", None);
    let zip = bundle::write(
        entries,
        &manifest,
        config.environment.zip_time(as_of),
        signing.bundle.as_ref(),
    )?;

    let staging = Staging::new(&config.out)?;
    for (path, bytes) in &derived {
        staging.write(path, |w| w.write_all(bytes))?;
    }
    staging.write(REPORT, |w| w.write_all(&pdf))?;
    staging.write(BUNDLE, |w| w.write_all(&zip))?;
    staging.commit()?;
    progress.finish();
    let signed = signing.bundle.is_some();
    if !config.quiet && !signed {
        eprintln!(
            "warning: `{}` is UNSIGNED (no `--key`): its SHA256SUMS proves integrity, not origin",
            config.out.join(BUNDLE).display()
        );
    }
    let io = |e| Error::io("write", "standard output", e);
    match config.format {
        OutputFormat::Json => {
            let doc = summary::json(&loaded, &config.out, signed, &derived, &zip, &pdf);
            let text = serde_json::to_string_pretty(&doc)
                .map_err(|e| Error::Usage(format!("cannot encode JSON: {e}")))?;
            writeln!(out, "{text}").map_err(io)?;
        }
        OutputFormat::Table if !config.quiet => {
            out.write_all(summary::table(&loaded, &config.out, signed).as_bytes())
                .map_err(io)?;
        }
        OutputFormat::Table => {}
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
