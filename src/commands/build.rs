//! `auditpack build`: compute the evidence and write the PDF report, the bundle and
//! `<out>/derived/*.csv`, then print a summary. `assemble` makes every output from the
//! evidence and the recipe (every parameter that shapes an output), and `verify --rebuild`
//! calls it again on a bundle's own inputs; `run` adds the keys, the signatures and the
//! writing, through a staging folder swapped into `<out>` at the end.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::inputs::load;
use super::progress::Progress;
use super::staging::{BUNDLE, REPORT, Staging};
use super::summary;
use crate::bundle::sign::{PublicKey, SecretKey};
use crate::bundle::{self, Entry, Role};
use crate::checks::Evidence;
use crate::cli::{BuildArgs, OutputFormat};
use crate::config::{BuildConfig, Environment};
use crate::derived;
use crate::error::{Error, ExitStatus, Location};
use crate::metrics::Scope;
use crate::model::text::rfc3339;
use crate::report::templates::Templates;
use crate::report::{self, context, context::ReportParams};

/// `--register-limit`'s default (the command line records the flag only when it differs).
pub(crate) const REGISTER_LIMIT: usize = 500;

/// A word of a command line, quoted where a shell would need it.
fn shell_word(a: &str) -> String {
    if !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+".contains(c))
    {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}

/// Who signs the bundle: the name in the secret key and its public half.
#[derive(Debug, Clone)]
pub(crate) struct Signer {
    pub name: String,
    pub key: PublicKey,
}

/// Every parameter of a build that shapes an output: what the manifest records and
/// `verify --rebuild` uses again.
#[derive(Debug, Clone)]
pub(crate) struct Recipe {
    pub prepared_by: Option<String>,
    pub register_limit: usize,
    pub xlsx: bool,
    pub source_date_epoch: Option<DateTime<Utc>>,
    /// The `--templates` folder's files (name, bytes), sorted; bundled under `templates/`.
    pub templates: Vec<(String, Vec<u8>)>,
    /// Where they were read from, to name them in messages (`templates` in a rebuild).
    pub templates_dir: PathBuf,
    pub signer: Option<Signer>,
}

impl Recipe {
    /// The command line that makes this bundle again from its own files, as the manifest
    /// and the report record it: bundle paths only, never the producer's folders or keys.
    pub(crate) fn command_line(&self, evidence: &Evidence) -> String {
        let m = &evidence.metrics;
        let mut words = vec![
            "auditpack build --input inputs --policy policy.toml".to_string(),
            format!("--from {} --to {}", m.period.from, m.period.to),
            format!("--as-of {}", rfc3339(m.as_of)),
        ];
        if let Some(p) = &self.prepared_by {
            words.push(format!("--prepared-by {}", shell_word(p)));
        }
        if self.register_limit != REGISTER_LIMIT {
            words.push(format!("--register-limit {}", self.register_limit));
        }
        if !self.templates.is_empty() {
            words.push("--templates templates".to_string());
        }
        if self.xlsx {
            words.push("--xlsx".to_string());
        }
        words.join(" ")
    }

    /// The templates in force: the built-ins, with the recipe's `*.typ.j2` replacing them.
    fn templates(&self) -> Result<(Templates, crate::report::templates::Assets), Error> {
        let files = self
            .templates
            .iter()
            .map(|(n, b)| (self.templates_dir.join(n), b.clone()))
            .collect();
        Templates::with_overrides(files)
    }

    fn report_params(&self, evidence: &Evidence, policy_text: &str) -> ReportParams {
        ReportParams {
            signed: self.signer.is_some(),
            signer: self.signer.as_ref().map(|s| s.name.clone()),
            key_sha256: self.signer.as_ref().map(|s| s.key.fingerprint()),
            demo_key: self.signer.as_ref().is_some_and(|s| s.key.is_demo()),
            prepared_by: self.prepared_by.clone(),
            register_limit: self.register_limit,
            command_line: self.command_line(evidence),
            policy_source: if policy_text == crate::policy::DEFAULT_POLICY {
                "policy.toml (the built-in default policy)".to_string()
            } else {
                "policy.toml".to_string()
            },
        }
    }
}

/// What a build makes before anything is signed or written.
pub(crate) struct Assembled {
    /// `derived/*` (and the workbook with `--xlsx`), path and bytes.
    pub derived: Vec<(String, Vec<u8>)>,
    /// The report as typst made it, before its embedded signature.
    pub report: Vec<u8>,
    /// The bundle's entries (inputs, policy, templates, derived, report) and its manifest,
    /// whose file list and instructions `bundle::complete` adds.
    pub entries: Vec<Entry>,
    pub manifest: bundle::Manifest,
}

/// Makes every output of a build from the evidence, the policy text, the raw inputs (name
/// relative to the input folder, bytes) and the recipe. Nothing is read or written.
pub(crate) fn assemble(
    evidence: &Evidence,
    policy_text: &str,
    inputs: Vec<(String, Vec<u8>)>,
    recipe: &Recipe,
    progress: &Progress,
) -> Result<Assembled, Error> {
    let (templates, assets) = recipe.templates()?;
    let params = recipe.report_params(evidence, policy_text);
    let data = context::build(evidence, &params);
    progress.step("typesetting the report", None);
    // The derived files do not depend on the report: written on a second core while typst
    // lays it out (each is made from the evidence alone, so the bytes are the same).
    let (report, derived) = std::thread::scope(|scope| {
        let derived = scope.spawn(|| derived::files(evidence));
        let report = report::render(&data, &templates, assets, evidence.metrics.as_of);
        let derived = derived
            .join()
            .unwrap_or_else(|_| Err(Error::Report("writing the derived files failed".into())));
        (report, derived)
    });
    let report = report?;
    let mut derived = derived?;
    if recipe.xlsx {
        let book = derived::xlsx::workbook(
            &derived,
            &evidence.results,
            &evidence.policy.organization,
            evidence.metrics.as_of,
            evidence.policy.timezone,
        )?;
        derived.push(("derived/incident-register.xlsx".to_string(), book));
    }
    let mut entries: Vec<Entry> = inputs
        .into_iter()
        .map(|(name, bytes)| Entry {
            path: format!("inputs/{name}"),
            role: Role::Input,
            bytes,
        })
        .collect();
    entries.push(Entry {
        path: bundle::POLICY_PATH.to_string(),
        role: Role::Policy,
        bytes: policy_text.as_bytes().to_vec(),
    });
    entries.extend(recipe.templates.iter().map(|(name, bytes)| Entry {
        path: format!("templates/{name}"),
        role: Role::Template,
        bytes: bytes.clone(),
    }));
    entries.extend(derived.iter().map(|(path, bytes)| Entry {
        path: path.clone(),
        role: Role::Derived,
        bytes: bytes.clone(),
    }));
    entries.push(Entry {
        path: bundle::REPORT_PATH.to_string(),
        role: Role::Report,
        bytes: report.clone(),
    });
    let manifest = manifest(evidence, policy_text, recipe, &params);
    if let Some(why) = manifest.overlong() {
        return Err(Error::Usage(format!("cannot write the bundle: {why}")));
    }
    Ok(Assembled {
        derived,
        report,
        entries,
        manifest,
    })
}

/// The bundle's manifest, but for its file list.
fn manifest(
    evidence: &Evidence,
    policy_text: &str,
    recipe: &Recipe,
    params: &ReportParams,
) -> bundle::Manifest {
    let (m, p) = (&evidence.metrics, &evidence.policy);
    bundle::Manifest {
        command_line: params.command_line.clone(),
        demo_key: params.demo_key,
        extraction: evidence
            .population
            .extraction
            .as_ref()
            .map(|x| bundle::ManifestExtraction {
                account: x.account.clone(),
                extracted_at: x.extracted_at_text.clone(),
                extracted_by: x.extracted_by.clone(),
                file: x.file.clone(),
                filters: x.filters.clone(),
                notes: x.notes.clone(),
                pagerduty_count: x.pagerduty_count,
                source: x.source.clone(),
            }),
        files: Vec::new(),
        format: bundle::FORMAT.to_string(),
        key_id: recipe.signer.as_ref().map(|s| s.key.id()),
        key_sha256: params.key_sha256.clone(),
        organization: p.organization.clone(),
        parameters: bundle::ManifestParameters {
            as_of: rfc3339(m.as_of),
            period_from: m.period.from.to_string(),
            period_to: m.period.to.to_string(),
            prepared_by: recipe.prepared_by.clone(),
            register_limit: recipe.register_limit,
            source_date_epoch: recipe.source_date_epoch.map(|t| t.timestamp()),
            templates: !recipe.templates.is_empty(),
            timezone: p.timezone.name().to_string(),
            xlsx: recipe.xlsx,
        },
        policy_sha256: crate::ingest::sha256_hex(policy_text.as_bytes()),
        reconciliation: evidence
            .ingested
            .files
            .iter()
            .zip(&evidence.reconciliation)
            .enumerate()
            .filter(|(_, (f, _))| f.format.is_some())
            .map(|(n, (f, c))| bundle::ManifestRows {
                file: f.name.clone(),
                rows_excluded: c.rows_excluded,
                rows_outside_period: c.rows_outside_period,
                rows_read: f.rows_read,
                rows_rejected: c.rows_rejected,
                rows_used: c.rows_used,
                scope: evidence.population.scope_of(n).to_string(),
            })
            .collect(),
        report: bundle::REPORT_PATH.to_string(),
        signed: recipe.signer.is_some(),
        signer: recipe.signer.as_ref().map(|s| s.name.clone()),
        tool: format!("auditpack {}", env!("CARGO_PKG_VERSION")),
    }
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

/// A secret key file must be the owner's alone (as ssh requires of its keys); the demo key,
/// which git checks out 0644 and which is public anyway, only gets a warning.
#[cfg(unix)]
fn check_key_permissions(p: &Path, quiet: bool) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(p)
        .map_err(|e| Error::io("read", p, e))?
        .permissions()
        .mode();
    if mode & 0o077 == 0 {
        return Ok(());
    }
    let is_demo = read_text(p)
        .is_ok_and(|t| SecretKey::from_text(&t, None).is_ok_and(|k| k.public().is_demo()));
    if is_demo {
        if !quiet {
            eprint_line!(
                "warning: `{}` is readable by others (mode {:o}); it is the published demo key, so that is allowed",
                p.display(),
                mode & 0o777
            );
        }
        return Ok(());
    }
    Err(Error::KeyPermissions {
        path: p.to_path_buf(),
        mode: mode & 0o777,
    })
}

#[cfg(not(unix))]
fn check_key_permissions(_: &Path, _: bool) -> Result<(), Error> {
    Ok(())
}

/// The signing keys the flags name: the PDF's is `--pdf-key` (the company's own), else the
/// P-256 key in `--key`; its certificate `--cert`, else `auditpack.crt` beside `--key`.
fn read_signing(config: &BuildConfig) -> Result<Signing, Error> {
    let bundle_key = match &config.key {
        None => None,
        Some(p) => {
            check_key_permissions(p, config.quiet)?;
            let key =
                SecretKey::from_text(&read_text(p)?, config.environment.key_password.as_deref())
                    .map_err(|reason| key_invalid(p, reason))?;
            if key.public().is_demo() && !config.quiet {
                eprint_line!(
                    "warning: `{}` is the published DEMO KEY: the bundle and report say \"DEMO KEY — not evidence\"; run `auditpack keygen` for a key of your own",
                    p.display()
                );
            }
            Some(key)
        }
    };
    if let Some(p) = &config.pdf_key {
        check_key_permissions(p, config.quiet)?;
    }
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

/// The files of `--templates DIR` (name, bytes), sorted by name.
fn read_templates(dir: Option<&Path>) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let Some(dir) = dir else {
        return Ok(Vec::new());
    };
    let entries = fs::read_dir(dir).map_err(|e| Error::io("read folder", dir, e))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for p in paths {
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| bundle::zip::unsafe_name(n).is_none())
            .ok_or_else(|| {
                Error::Usage(format!(
                    "`--templates`: `{}` is not a name the bundle can hold (UTF-8, no control character or backslash)",
                    p.display()
                ))
            })?
            .to_string();
        let bytes = fs::read(&p).map_err(|e| Error::io("read", &p, e))?;
        files.push((name, bytes));
    }
    Ok(files)
}

/// Runs the build.
pub(crate) fn run(args: &BuildArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let config = BuildConfig::new(args, Environment::read()?)?;
    // Templates and keys first: a broken `--templates` folder or key fails before any work;
    // the lock before anything is read, so a second build to the same folder stops at once.
    let templates = read_templates(config.templates.as_deref())?;
    let templates_dir = config
        .templates
        .clone()
        .unwrap_or_else(|| PathBuf::from("templates"));
    Templates::with_overrides(
        templates
            .iter()
            .map(|(n, b)| (templates_dir.join(n), b.clone()))
            .collect(),
    )?;
    let signing = read_signing(&config)?;
    let staging = Staging::new(&config.out)?;
    let progress = Progress::new(config.quiet);
    let mut loaded = load(&config.input, &progress, Scope::Evidence)?;
    let recipe = Recipe {
        prepared_by: config.prepared_by.clone(),
        register_limit: config.register_limit,
        xlsx: config.xlsx,
        source_date_epoch: config.environment.source_date_epoch,
        templates,
        templates_dir,
        signer: signing.bundle.as_ref().map(|k| Signer {
            name: k.name.clone(),
            key: k.public(),
        }),
    };
    let inputs = std::mem::take(&mut loaded.raw);
    let mut assembled = assemble(
        &loaded.evidence,
        &loaded.policy.text,
        inputs,
        &recipe,
        &progress,
    )?;
    let as_of = loaded.evidence.metrics.as_of;
    let mut pdf = std::mem::take(&mut assembled.report);
    if let Some((pdf_key, cert)) = &signing.pdf {
        let name = signing.bundle.as_ref().map_or("", |k| k.name.as_str());
        pdf = bundle::pdfsign::sign_pdf(&pdf, pdf_key, cert, name, as_of)
            .map_err(|e| Error::Report(format!("cannot sign the PDF: {e}")))?;
        if let Some(e) = assembled
            .entries
            .iter_mut()
            .find(|e| e.path == bundle::REPORT_PATH)
        {
            e.bytes = pdf.clone();
        }
    }
    progress.step("writing the bundle", None);
    let entries = bundle::complete(
        assembled.entries,
        assembled.manifest,
        signing.bundle.as_ref(),
    );
    let zip = bundle::write(entries, config.environment.zip_time(as_of))?;
    for (path, bytes) in &assembled.derived {
        staging.write(path, |w| w.write_all(bytes))?;
    }
    staging.write(REPORT, |w| w.write_all(&pdf))?;
    staging.write(BUNDLE, |w| w.write_all(&zip))?;
    staging.commit()?;
    progress.finish();
    let signed = signing.bundle.is_some();
    if !config.quiet && !signed {
        eprint_line!(
            "warning: `{}` is UNSIGNED (no `--key`): its SHA256SUMS proves integrity, not origin",
            config.out.join(BUNDLE).display()
        );
    }
    if !config.quiet && config.prepared_by.is_none() {
        eprint_line!(
            "warning: no `--prepared-by`: the report's cover says who prepared it is \"not stated\""
        );
    }
    if !config.quiet && !loaded.evidence.policy.document.stated() {
        eprint_line!(
            "warning: the policy file names no approved policy document (`[organization] policy_title`, `policy_version`, `policy_approved_by`, `policy_approved_on`): the cover says \"not stated\""
        );
    }
    let io = |e| Error::io("write", "standard output", e);
    match config.format {
        OutputFormat::Json => {
            let doc = summary::json(&loaded, &config.out, signed, &assembled.derived, &zip, &pdf);
            let text = serde_json::to_string_pretty(&doc)
                .map_err(|e| Error::Usage(format!("cannot encode JSON: {e}")))?;
            writeln!(out, "{text}").map_err(io)?;
        }
        OutputFormat::Table if !config.quiet => {
            out.write_all(summary::table(&loaded, &config.out, signed, config.xlsx).as_bytes())
                .map_err(io)?;
        }
        OutputFormat::Table => {}
    }
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("Jane"), "Jane");
        assert_eq!(shell_word("Jane Roe"), "'Jane Roe'");
        assert_eq!(shell_word("O'Brien"), "'O'\\''Brien'");
        assert_eq!(shell_word(""), "''");
    }
}
