//! The command line (clap derive). `///` comments here are the `--help` text.
//! Parsing only: values are checked and turned into work in `config` and `commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Turn PagerDuty incident exports into SOC 2 CC7.3 incident-response evidence.
///
/// auditpack reads the exports in a folder, checks response and resolution times against
/// your policy, and writes the statistics, the incident register, the exceptions and the
/// reconciliation of every input row. It never uses the network.
#[derive(Debug, Parser)]
#[command(name = "auditpack", version, about, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Every example runs as written from the repository root, on `sample-data/` (a test runs
/// them in this order).
const EXAMPLES: &str = "\
Examples (from the repository root, on sample-data/):
  auditpack build --key demo-keys/auditpack.key    # sample-data/ -> evidence/, signed
  auditpack verify evidence/evidence-bundle.zip --pubkey demo-keys/auditpack.pub --allow-demo-key
  auditpack stats --input sample-data --format csv
  auditpack build --input sample-data --from 2025-07-01 --to 2025-12-31 --out evidence-h2 --xlsx
  auditpack sample --bundle evidence-h2/evidence-bundle.zip --allow-unsigned --auto --seed 7
  auditpack generate --incidents 5000 --seed 1 --format rest-json --out generated
  auditpack keygen --out keys --name \"Jane Roe, Example Corp\"
  auditpack init my-policy";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute the evidence and write it to the output folder
    Build(BuildArgs),
    /// Print the SLA table for the inputs; writes nothing
    Stats(StatsArgs),
    /// Write a commented policy.toml with the default severity matrix
    Init(InitArgs),
    /// Check an evidence bundle: its zip, every file's hash, the pinned key's signature
    ///
    /// Checks an evidence bundle offline: that the zip is exactly what `auditpack build`
    /// writes, every file against SHA256SUMS and the manifest (nothing missing or extra), the
    /// signature under the key you pin (the SHA-256 the signer published, or their public key
    /// file) and the report's embedded signature; `--rebuild` also makes everything derived
    /// again from the bundle's inputs and compares it byte for byte.
    ///
    /// Exit codes: 0 valid; 1 invalid (tampered, forged, signed by another key or the demo
    /// key, or not exactly what build writes); 2 unusable (a usage error, not a zip,
    /// unreadable, hostile to unpack, or made by another auditpack version).
    Verify(VerifyArgs),
    /// Create a signing key pair: auditpack.key (secret), auditpack.pub (minisign format)
    Keygen(KeygenArgs),
    /// Write realistic synthetic PagerDuty exports (the generator behind sample-data/)
    Generate(GenerateArgs),
    /// Draw a reproducible random sample of a bundle's incidents for testing, with a request list
    Sample(SampleArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell) to standard output
    #[command(
        after_help = "Example:\n  auditpack completions bash > auditpack.bash    # then: source auditpack.bash"
    )]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to standard output, or write one per command into a folder
    #[command(after_help = "Example:\n  auditpack man | man -l -")]
    Man {
        /// Write auditpack.1 and auditpack-<command>.1 into this folder instead
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Internal: read one PDF on stdin, write its text as JSON (the bounded postmortem reader)
    #[command(hide = true)]
    PdfText,
}

/// `auditpack keygen`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  auditpack keygen --out keys --name \"Jane Roe, Example Corp\"")]
pub struct KeygenArgs {
    /// Folder to write the keys into
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// The signer, as the signature will name it (e.g. "Jane Roe, Example Corp")
    #[arg(long, value_name = "NAME")]
    pub name: String,

    /// How to report what was written (`json`: one object, for scripts)
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// Which key the auditor trusts: shared by `verify` and `sample`.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// The signer's public key (`auditpack.pub`, minisign format), obtained by you
    #[arg(long, value_name = "FILE")]
    pub pubkey: Option<PathBuf>,

    /// The published SHA-256 of the signer's public key (64 hex digits; the 16-digit key id
    /// is a label anyone can copy and is refused): the public key inside the bundle must have it
    #[arg(long, value_name = "SHA256")]
    pub fingerprint: Option<String>,

    /// Accept a bundle without a signature (hashes prove integrity, not origin); not with
    /// `--pubkey` or `--fingerprint`, which mean a signature is required
    #[arg(long)]
    pub allow_unsigned: bool,

    /// Check a bundle signed with the published demo key instead of refusing it (it still
    /// says "DEMO KEY — not evidence")
    #[arg(long)]
    pub allow_demo_key: bool,
}

/// `auditpack verify`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  auditpack verify evidence/evidence-bundle.zip --pubkey demo-keys/auditpack.pub --allow-demo-key"
)]
pub struct VerifyArgs {
    /// The evidence bundle (`evidence-bundle.zip`)
    #[arg(value_name = "BUNDLE")]
    pub bundle: PathBuf,

    #[command(flatten)]
    pub trust: TrustArgs,

    /// Also recompute everything the bundle derives (derived/*.csv, the manifest, the report)
    /// from inputs/, policy.toml and the recorded parameters with this binary, and compare
    /// them byte for byte
    #[arg(long)]
    pub rebuild: bool,

    /// How to print the verdict
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// What to read and how to judge it; shared by `build` and `stats`.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Folder with the exports (or a single export file)
    #[arg(long, value_name = "DIR", default_value = "sample-data")]
    pub input: PathBuf,

    /// Policy file [default: <input>/policy.toml if present, else the built-in policy]
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// First day of the audit period, local date in the policy's time zone [default: first
    /// day of the earliest month in the data]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: Option<String>,

    /// Last day of the audit period, inclusive [default: last day of the latest month in
    /// the data]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: Option<String>,

    /// Judge open incidents at this time: RFC 3339, or a date meaning the end of that day
    /// [default: the latest timestamp in the inputs]
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
}

/// `auditpack build`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  auditpack build --key demo-keys/auditpack.key\n  auditpack build --input sample-data --from 2025-07-01 --to 2025-12-31 --out evidence-h2 --xlsx\n  auditpack build --input sample-data --out evidence-json --format json"
)]
pub struct BuildArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output folder; `derived/` is replaced in it
    #[arg(long, value_name = "DIR", default_value = "evidence")]
    pub out: PathBuf,

    /// Name of the person preparing the evidence, printed on the report's cover
    #[arg(long, value_name = "NAME")]
    pub prepared_by: Option<String>,

    /// Print at most this many incidents in the PDF register (the CSV always has all)
    #[arg(long, value_name = "N", default_value_t = crate::commands::build::REGISTER_LIMIT)]
    pub register_limit: usize,

    /// Folder of report templates (`*.typ.j2`) overriding the built-in ones file by file;
    /// other files in it (a logo) can be used by the templates by name
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,

    /// Secret key (from `auditpack keygen`) that signs the bundle's SHA256SUMS; without it
    /// the bundle is marked UNSIGNED
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// Sign the PDF with your own ECDSA P-256 key (PEM, PKCS#8) instead of the one in
    /// `--key`; needs `--cert`
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub pdf_key: Option<PathBuf>,

    /// Certificate (PEM) of the PDF signature key, e.g. from the company's CA
    /// [default: `auditpack.crt` beside `--key`]
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,

    /// Print only errors
    #[arg(long, short)]
    pub quiet: bool,

    /// Format of the summary on standard output (`json`: one object, for scripts)
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// Also write the incident register workbook, derived/incident-register.xlsx (register,
    /// SLA summary, monthly trends and exceptions sheets), in the output and the bundle
    #[arg(long)]
    pub xlsx: bool,
}

/// Output formats of `stats` (`csv`: exactly `sla_summary.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatsFormat {
    Table,
    Csv,
    Json,
}

/// How `build`, `verify`, `sample`, `keygen`, `init` and `generate --report` report: a table
/// for people, or one JSON object for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}

/// What `sample` draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Population {
    /// Every incident of the period (derived/incident_register.csv)
    Incidents,
    /// Every incident-level exception (derived/exceptions.csv)
    Exceptions,
    /// The P1 and P2 incidents
    P1p2,
}

/// `auditpack sample`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  auditpack sample --bundle evidence-h2/evidence-bundle.zip --allow-unsigned --auto --seed 7"
)]
pub struct SampleArgs {
    /// The evidence bundle to sample; it is verified first, as `auditpack verify` does
    #[arg(long, value_name = "ZIP")]
    pub bundle: PathBuf,

    #[command(flatten)]
    pub trust: TrustArgs,

    /// Sample size
    #[arg(long, value_name = "N", conflicts_with = "auto")]
    pub size: Option<usize>,

    /// Size from the attribute-sampling table (zero expected deviations, 5 % risk)
    #[arg(long)]
    pub auto: bool,

    /// Tolerable deviation rate for `--auto`, in percent (10: 29 items, 5: 59)
    #[arg(long, value_name = "PCT", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub tolerable_rate: u32,

    /// Random seed, chosen by the auditor (recorded in sample-parameters.txt)
    #[arg(long, value_name = "S")]
    pub seed: u64,

    /// Allocate the sample across severities in proportion (at least one each)
    #[arg(long)]
    pub stratify: bool,

    /// What to draw from
    #[arg(long, value_enum, default_value_t = Population::Incidents)]
    pub population: Population,

    /// Folder for sample.csv, request-list.csv and sample-parameters.txt
    #[arg(long, value_name = "DIR", default_value = "sample")]
    pub out: PathBuf,

    /// Output format of the summary
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// `auditpack stats`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  auditpack stats --input sample-data\n  auditpack stats --input sample-data --from 2025-08-01 --to 2025-08-31 --format json"
)]
pub struct StatsArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// How to print the table
    #[arg(long, value_enum, default_value_t = StatsFormat::Table)]
    pub format: StatsFormat,
}

/// `auditpack init`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  auditpack init my-policy --force --format json\n  auditpack init --extraction exports"
)]
pub struct InitArgs {
    /// Folder to write policy.toml into
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// Write a commented extraction record (DIR/extraction.toml) instead of the policy:
    /// who took the exports, when, from where, and the count PagerDuty showed. DIR
    /// defaults to the folder argument
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "")]
    pub extraction: Option<PathBuf>,

    /// Overwrite an existing policy.toml
    #[arg(long)]
    pub force: bool,

    /// How to report what was written (`json`: one object, for scripts)
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// Formats `generate` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GenerateFormat {
    /// Analytics raw incidents CSV (one file)
    AnalyticsCsv,
    /// Analytics raw incidents JSON response pages of 1,000 incidents
    AnalyticsJson,
    /// The classic Reports incidents.csv (no priority column)
    ClassicCsv,
    /// The first half of the months as Analytics CSV, the rest as JSON pages
    Mixed,
    /// REST `GET /incidents` and `GET /log_entries` response pages (rest-incidents.json,
    /// log-entries.json)
    RestJson,
    /// Opsgenie Alert API `GET /v2/alerts` pages of 100 alerts (opsgenie/alerts-page-NNN.json)
    OpsgenieJson,
    /// A team moving from Opsgenie to PagerDuty mid-period: the first half of the months as
    /// Opsgenie alert pages, the rest as PagerDuty Analytics JSON pages
    OpsgenieMigration,
}

/// `auditpack generate`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  auditpack generate --format mixed --out sample-copy --statuspage --config-exports --population\n  auditpack generate --incidents 5000 --seed 1 --format rest-json --out generated --report json"
)]
pub struct GenerateArgs {
    /// Number of incidents
    #[arg(long, default_value_t = 1500)]
    pub incidents: u64,

    /// Also write postmortems for the P1 and P2 incidents under DIR/postmortems/ (Markdown
    /// and typeset PDFs; one late, one incomplete, one missing, one scan without text)
    #[arg(long)]
    pub postmortems: bool,

    /// Also write PagerDuty configuration exports under DIR/pagerduty/: the on-call schedule
    /// and its overrides, the escalation policies and a year of audit records
    #[arg(long)]
    pub config_exports: bool,

    /// Also write a Statuspage incidents export under DIR/statuspage/: the P1 incidents as
    /// customers saw them (one in eight reported before PagerDuty detected it), one incident
    /// nobody was paged for, one scheduled maintenance
    #[arg(long)]
    pub statuspage: bool,

    /// Also write an extraction record (DIR/extraction.toml) and PagerDuty's own totals for
    /// the period (DIR/pagerduty/aggregate-metrics.json), both agreeing with the exports
    #[arg(long)]
    pub population: bool,

    /// Random seed; the same seed gives the same bytes
    #[arg(long, default_value_t = 7)]
    pub seed: u64,

    /// Output folder (created; existing export files in it are overwritten)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Export format
    #[arg(long, value_enum, default_value_t = GenerateFormat::AnalyticsCsv)]
    pub format: GenerateFormat,

    /// First month of the data
    #[arg(long, value_name = "YYYY-MM", default_value = "2025-01")]
    pub start: String,

    /// Number of months
    #[arg(long, default_value_t = 12)]
    pub months: u32,

    /// The account's time zone (timestamps are written in it, without an offset)
    #[arg(long, value_name = "TZ", default_value = "America/New_York")]
    pub timezone: String,

    /// Leave out the deliberately broken rows (bad timestamps, duplicates, unknown
    /// priorities)
    #[arg(long)]
    pub clean: bool,

    /// How to report what was written (`json`: one object, for scripts)
    #[arg(long = "report", value_enum, default_value_t = OutputFormat::Table, value_name = "FORMAT")]
    pub report: OutputFormat,
}
