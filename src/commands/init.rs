//! `auditpack init [DIR]`: writes the commented default `policy.toml`.

use std::fs;
use std::io::Write;

use crate::cli::InitArgs;
use crate::error::{Error, ExitStatus};
use crate::policy::DEFAULT_POLICY;

/// Writes `<dir>/policy.toml`; refuses to overwrite one unless `--force`.
pub(crate) fn run(args: &InitArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let path = args.dir.join("policy.toml");
    if path.exists() && !args.force {
        return Err(Error::Exists {
            path,
            hint: "pass `--force` to overwrite it",
        });
    }
    fs::create_dir_all(&args.dir).map_err(|e| Error::io("create folder", &args.dir, e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(&args.dir)
        .map_err(|e| Error::io("write into", &args.dir, e))?;
    tmp.write_all(DEFAULT_POLICY.as_bytes())
        .map_err(|e| Error::io("write", &path, e))?;
    tmp.persist(&path)
        .map_err(|e| Error::io("write", &path, e.error))?;
    let io = |e| Error::io("write", "standard output", e);
    match args.format {
        crate::cli::OutputFormat::Json => writeln!(
            out,
            "{}",
            serde_json::json!({
                "policy": path.display().to_string(),
                "sha256": crate::ingest::sha256_hex(DEFAULT_POLICY.as_bytes()),
            })
        )
        .map_err(io)?,
        crate::cli::OutputFormat::Table => writeln!(
            out,
            "wrote {}: edit the severity matrix, time zone and business hours to match your incident response policy",
            path.display()
        )
        .map_err(io)?,
    }
    Ok(ExitStatus::Success)
}
