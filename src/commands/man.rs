//! `auditpack man`: the man pages, rendered by clap_mangen from the clap definitions, so
//! they never drift from `--help`.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::{Error, ExitStatus};

fn render(cmd: clap::Command) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut bytes)
        .map_err(|e| Error::io("write", "the man page", e))?;
    Ok(bytes)
}

/// Prints `auditpack.1`, or writes it and one page per visible command into `dir`.
pub(crate) fn run(dir: Option<&Path>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let cmd = Cli::command();
    let Some(dir) = dir else {
        out.write_all(&render(cmd)?)
            .map_err(|e| Error::io("write", "standard output", e))?;
        return Ok(ExitStatus::Success);
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create folder", dir, e))?;
    let mut pages = vec![("auditpack.1".to_string(), render(cmd.clone())?)];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("auditpack-{}", sub.get_name());
        pages.push((format!("{name}.1"), render(sub.clone().name(name))?));
    }
    for (name, bytes) in pages {
        let path = dir.join(&name);
        std::fs::write(&path, bytes).map_err(|e| Error::io("write", &path, e))?;
        writeln!(out, "wrote {}", path.display())
            .map_err(|e| Error::io("write", "standard output", e))?;
    }
    Ok(ExitStatus::Success)
}
