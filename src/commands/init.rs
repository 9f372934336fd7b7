//! `auditpack init [DIR]`: writes the commented default `policy.toml`.

use std::fs;
use std::io::Write;

use crate::cli::InitArgs;
use crate::error::{Error, ExitStatus};
use crate::policy::DEFAULT_POLICY;

/// Writes `<dir>/policy.toml` (or, with `--extraction`, only `extraction.toml`); refuses to
/// overwrite either unless `--force`.
pub(crate) fn run(args: &InitArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let (dir, name, text, what, next) = match &args.extraction {
        Some(d) => (
            if d.as_os_str().is_empty() {
                args.dir.clone()
            } else {
                d.clone()
            },
            "extraction.toml",
            crate::ingest::extraction::TEMPLATE,
            "extraction",
            "fill in who took the exports, when, from where and the count PagerDuty showed; keep it in the input folder",
        ),
        None => (
            args.dir.clone(),
            "policy.toml",
            DEFAULT_POLICY,
            "policy",
            "edit the severity matrix, time zone and business hours to match your incident response policy",
        ),
    };
    let path = dir.join(name);
    if path.exists() && !args.force {
        return Err(Error::Exists {
            path,
            hint: "pass `--force` to overwrite it",
        });
    }
    fs::create_dir_all(&dir).map_err(|e| Error::io("create folder", &dir, e))?;
    let mut tmp =
        tempfile::NamedTempFile::new_in(&dir).map_err(|e| Error::io("write into", &dir, e))?;
    tmp.write_all(text.as_bytes())
        .map_err(|e| Error::io("write", &path, e))?;
    tmp.persist(&path)
        .map_err(|e| Error::io("write", &path, e.error))?;
    let io = |e| Error::io("write", "standard output", e);
    match args.format {
        crate::cli::OutputFormat::Json => writeln!(
            out,
            "{}",
            serde_json::json!({
                what: path.display().to_string(),
                "sha256": crate::ingest::sha256_hex(text.as_bytes()),
            })
        )
        .map_err(io)?,
        crate::cli::OutputFormat::Table => {
            writeln!(out, "wrote {}: {next}", path.display()).map_err(io)?
        }
    }
    Ok(ExitStatus::Success)
}
