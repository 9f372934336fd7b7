//! The `auditpack` binary: parse arguments, run, map the result to an exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    auditpack::commands::interrupt::install();
    let cli = auditpack::cli::Cli::parse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = auditpack::run(cli, &mut out);
    auditpack::commands::interrupt::await_handler();
    let status = match result {
        Ok(status) => status,
        Err(err) => {
            // A closed pipe (`auditpack stats | head`) is not a failure (as in ripgrep).
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            let _ = out.flush();
            report(&err);
            auditpack::ExitStatus::Failure
        }
    };
    let _ = out.flush();
    ExitCode::from(status.code())
}

fn is_broken_pipe(err: &auditpack::Error) -> bool {
    matches!(err, auditpack::Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
}

fn report(err: &auditpack::Error) {
    let mut msg = format!("error: {err}");
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        msg.push_str(&format!("\n  cause: {cause}"));
        source = cause.source();
    }
    // A usage hint names the command it is about.
    let command = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let hint = err
        .hint()
        .replace("<command>", command.as_deref().unwrap_or("<command>"));
    msg.push_str(&format!("\nhint: {hint}"));
    // A closed stderr is no reason to panic: the exit code still tells.
    let _ = writeln!(std::io::stderr(), "{msg}");
}
