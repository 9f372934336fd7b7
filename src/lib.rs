//! auditpack: PagerDuty incident exports → SOC 2 CC7.3 incident-response evidence.
//!
//! Data flows one way: `ingest` (bytes → incidents and rejected rows) → `metrics` (polars
//! statistics against the `policy`) → `derived` (CSV files). `commands` chains the stages
//! and is the only module that touches the filesystem.

pub mod bundle;
pub mod cli;
pub mod commands;
pub mod config;
pub mod derived;
pub mod error;
pub mod ingest;
pub mod interrupt;
pub mod metrics;
pub mod model;
pub mod oncall;
pub mod policy;
pub mod postmortem;
pub mod progress;
pub mod report;
pub mod statuspage;
pub mod synth;
pub mod tickets;
pub mod timeline;
pub mod zone;

pub use error::{Error, ExitStatus};

/// Runs one parsed command line, writing its report to `out`. `argv` is the command line as
/// given (recorded in the evidence).
pub fn run(
    cli: cli::Cli,
    argv: &[String],
    out: &mut dyn std::io::Write,
) -> Result<ExitStatus, Error> {
    use cli::Command;
    match cli.command {
        Command::Build(args) => commands::build::run(&args, argv, out),
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
            postmortem::extract::child_main(&mut std::io::stdin().lock(), out)
                .map_err(|e| Error::io("read", "a PDF on standard input", e))?;
            Ok(ExitStatus::Success)
        }
    }
}
