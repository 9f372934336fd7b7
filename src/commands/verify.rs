//! `auditpack verify BUNDLE`: checks a bundle in memory and prints each check and a verdict.
//! Exit 0 valid, 1 invalid or tampered (each failing file named), 2 unusable input.

use std::io::Write;

use crate::bundle::sign::PublicKey;
use crate::bundle::verify::{check, read_zip};
use crate::cli::{StatsFormat, VerifyArgs};
use crate::error::Location;
use crate::error::{Error, ExitStatus};

/// Runs the verification.
pub fn run(args: &VerifyArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let bytes = std::fs::read(&args.bundle).map_err(|e| Error::io("read", &args.bundle, e))?;
    let pubkey = match &args.pubkey {
        None => None,
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| Error::io("read", p, e))?;
            Some(
                PublicKey::from_text(&text).map_err(|reason| Error::InputInvalid {
                    location: Location::file(p),
                    reason,
                })?,
            )
        }
    };
    let files = read_zip(&args.bundle, &bytes)?;
    let verdict = check(&files, args.allow_unsigned, pubkey.as_ref());
    let io = |e| Error::io("write", "standard output", e);
    if args.format == StatsFormat::Json {
        let text = serde_json::to_string_pretty(&verdict)
            .map_err(|e| Error::Usage(format!("cannot encode JSON: {e}")))?;
        writeln!(out, "{text}").map_err(io)?;
    } else {
        for c in &verdict.checks {
            let mark = if c.ok { "ok    " } else { "FAILED" };
            writeln!(out, "{mark}  {}: {}", c.subject, c.detail).map_err(io)?;
        }
        let failed = verdict.checks.iter().filter(|c| !c.ok).count();
        if verdict.valid {
            writeln!(
                out,
                "\nverdict: VALID ({} checks passed)",
                verdict.checks.len()
            )
            .map_err(io)?;
        } else {
            writeln!(
                out,
                "\nverdict: INVALID ({failed} of {} checks failed)",
                verdict.checks.len()
            )
            .map_err(io)?;
        }
    }
    Ok(if verdict.valid {
        ExitStatus::Success
    } else {
        ExitStatus::Negative
    })
}
