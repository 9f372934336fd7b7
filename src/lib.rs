//! auditpack: PagerDuty incident exports → SOC 2 CC7.3 incident-response evidence.
//!
//! The stages run one way, each a plain function of the one before:
//! `config` (the command line checked) → `ingest` (bytes → records and rejected rows) →
//! `metrics` (the SLA figures and their verdicts, polars) → `checks` (postmortems, on-call,
//! escalation, audit trail, tickets, response timeline, status page: all of it one
//! `Evidence`) → `derived` (the CSV files) and `report` (the PDF) → `bundle` (the signed zip).
//! `model` and `policy` are the types every stage shares; `commands` chains the stages and is
//! the only code that touches the filesystem; `synth` writes synthetic exports.

/// `eprintln!` that does not panic when stderr is closed (`auditpack build 2>&1 | head`):
/// a message nobody can read is dropped, and the exit code still says what happened.
macro_rules! eprint_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub(crate) mod bundle;
pub(crate) mod checks;
pub mod cli;
pub mod commands;
pub(crate) mod config;
pub(crate) mod derived;
pub mod error;
pub(crate) mod ingest;
pub(crate) mod metrics;
pub(crate) mod model;
pub(crate) mod policy;
pub mod report;
pub(crate) mod synth;

pub use error::{Error, ExitStatus};

/// Runs one parsed command line, writing its report to `out`.
pub fn run(cli: cli::Cli, out: &mut dyn std::io::Write) -> Result<ExitStatus, Error> {
    use cli::Command;
    match cli.command {
        Command::Build(args) => commands::build::run(&args, out),
        Command::Stats(args) => commands::stats::run(&args, out),
        Command::Init(args) => commands::init::run(&args, out),
        Command::Verify(args) => commands::verify::run(&args, out),
        Command::Keygen(args) => commands::keygen::run(&args, out),
        Command::Generate(args) => commands::generate::run(&args, out),
        Command::Sample(args) => commands::sample::run(&args, out),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut cli::Cli::command(), "auditpack", out);
            Ok(ExitStatus::Success)
        }
        Command::Man { out: dir } => commands::man::run(dir.as_deref(), out),
        Command::PdfText => {
            ingest::postmortem_text::child_main(&mut std::io::stdin().lock(), out)
                .map_err(|e| Error::io("read", "a PDF on standard input", e))?;
            Ok(ExitStatus::Success)
        }
    }
}
