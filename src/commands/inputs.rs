//! The input folder → bytes → what ingest, the postmortem reader and the checks make of it:
//! listing the folder, reading (or, for `stats`, mapping) each file, reading the policy, and
//! running postmortem PDFs through the bounded child reader.

use std::fs;
use std::path::{Path, PathBuf};

use crate::checks::Evidence;
use crate::config::InputConfig;
use crate::error::{Error, Location};
use crate::ingest::postmortem_text::{self as postmortem, Document};
use crate::ingest::{self, Ingested};
use crate::metrics;
use crate::model::InputFile;
use crate::policy::Policy;

/// The policy in force and where it came from.
pub(crate) struct PolicySource {
    /// The validated policy.
    pub policy: Policy,
    /// The file, or `None` for the built-in default.
    pub path: Option<PathBuf>,
    /// The policy text exactly as read (the built-in text for the default).
    pub text: String,
}

/// Inputs read and the evidence computed: what `build` and `stats` share.
pub(crate) struct Loaded {
    pub policy: PolicySource,
    /// The figures and every check (`stats`: the figures only).
    pub evidence: Evidence,
    /// Every input file's bytes by its name in `inputs.csv` (symbolic links left out);
    /// empty for `Scope::Summary`, which keeps no input.
    pub raw: Vec<(String, Vec<u8>)>,
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    read_in_parts(path).map_err(|e| Error::io("read", path, e))
}

/// An input file's bytes: read into memory, or mapped.
enum Contents {
    Read(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl Contents {
    fn bytes(&self) -> &[u8] {
        match self {
            Contents::Read(bytes) => bytes,
            Contents::Mapped(map) => map,
        }
    }
}

/// A large file mapped into memory, for `stats`: its pages come from the page cache as
/// they are (no copy, no fresh memory to fault in: about a tenth of `stats` at 1M
/// incidents).
fn map(path: &Path) -> Result<Contents, Error> {
    let io = |e| Error::io("read", path, e);
    let file = fs::File::open(path).map_err(io)?;
    // SAFETY: a map is unsound only if the file changes while mapped: its bytes could
    // change under the parser, and reading past a truncated end stops the process (SIGBUS).
    // Only `stats` maps, and it writes nothing, so a file rewritten while it is summarised
    // costs at worst a meaningless summary or a killed run, never a wrong file. `build`,
    // whose bytes are hashed and copied into the bundle, always reads.
    let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) }.map_err(io)?;
    Ok(Contents::Mapped(map))
}

/// Reads a whole file; a large one in parts read side by side (copying from the page cache
/// and touching fresh memory are each a thread's work), as long as the size it had when
/// opened. A file that shrinks meanwhile is an error.
#[cfg(unix)]
fn read_in_parts(path: &Path) -> std::io::Result<Vec<u8>> {
    use rayon::prelude::*;
    use std::io::Read;
    use std::os::unix::fs::FileExt;
    let mut file = fs::File::open(path)?;
    let len = usize::try_from(file.metadata()?.len()).map_err(std::io::Error::other)?;
    if len < ingest::PARALLEL_MIN_BYTES {
        let mut bytes = Vec::with_capacity(len);
        file.read_to_end(&mut bytes)?;
        return Ok(bytes);
    }
    let mut bytes = vec![0u8; len];
    let part = len.div_ceil(rayon::current_num_threads());
    bytes
        .par_chunks_mut(part)
        .enumerate()
        .try_for_each(|(i, chunk)| file.read_exact_at(chunk, (i * part) as u64))?;
    Ok(bytes)
}

#[cfg(not(unix))]
fn read_in_parts(path: &Path) -> std::io::Result<Vec<u8>> {
    fs::read(path)
}

/// The policy named by `--policy`, else `<input>/policy.toml`, else the built-in default.
pub(crate) fn load_policy(args: &InputConfig) -> Result<PolicySource, Error> {
    let candidate = args.input.join("policy.toml");
    let path = match &args.policy {
        Some(p) => Some(p.clone()),
        None if args.input.is_dir() && candidate.is_file() => Some(candidate),
        None => None,
    };
    let (policy, text) = match &path {
        None => (
            Policy::default_policy(),
            crate::policy::DEFAULT_POLICY.to_string(),
        ),
        Some(p) => {
            let bytes = read(p)?;
            let text = String::from_utf8(bytes).map_err(|e| Error::PolicyInvalid {
                location: crate::error::Location::file(p),
                reason: format!(
                    "not UTF-8 text (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
            })?;
            (Policy::parse(p, &text)?, text)
        }
    };
    Ok(PolicySource { policy, path, text })
}

/// Every regular file under `dir`, as paths relative to it, sorted; symbolic links are
/// returned too (and reported as not used by the caller).
fn list_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let full = dir.join(&rel);
        let entries = fs::read_dir(&full).map_err(|e| Error::io("read folder", &full, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("read folder", &full, e))?;
            let kind = entry
                .file_type()
                .map_err(|e| Error::io("read", entry.path(), e))?;
            let rel = rel.join(entry.file_name());
            if kind.is_dir() {
                stack.push(rel);
            } else {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// An input's name in `inputs.csv` and the bundle (`/`-separated, relative to the input
/// folder), or why it cannot be one: not UTF-8, a control character or a backslash (names
/// that tools read differently, or that break `SHA256SUMS`).
fn input_name(rel: &Path, full: &Path) -> Result<String, Error> {
    // The path as the message shows it: a newline or another control character escaped.
    let shown: String = full
        .to_string_lossy()
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    let refuse = |why: String| Error::InputInvalid {
        location: Location::file(&shown),
        reason: format!("{why}; the bundle cannot hold this name: rename the file"),
    };
    let parts: Vec<&str> = rel
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect::<Option<_>>()
        .ok_or_else(|| refuse("the file name is not UTF-8".to_string()))?;
    let name = parts.join("/");
    if let Some(why) = crate::bundle::zip::unsafe_name(&name) {
        return Err(refuse(format!("the file name holds {why}")));
    }
    Ok(name)
}

/// The input files: the folder's files (except the policy in use), or the one file given.
/// Two names that are one once case and Unicode forms are folded are refused: unpacked on
/// macOS or Windows one would overwrite the other.
fn input_files(args: &InputConfig, policy: Option<&Path>) -> Result<Vec<(String, PathBuf)>, Error> {
    let input = &args.input;
    let meta = fs::metadata(input).map_err(|e| Error::io("read", input, e))?;
    if meta.is_file() {
        let rel = input.file_name().map_or_else(|| input.as_path(), Path::new);
        return Ok(vec![(input_name(rel, input)?, input.clone())]);
    }
    let policy = policy.and_then(|p| fs::canonicalize(p).ok());
    let mut files = Vec::new();
    let mut folded: std::collections::BTreeMap<String, String> = Default::default();
    for rel in list_files(input)? {
        let full = input.join(&rel);
        if policy.is_some() && fs::canonicalize(&full).ok() == policy {
            continue;
        }
        let name = input_name(&rel, &full)?;
        if let Some(other) = folded.insert(crate::bundle::zip::folded(&name), name.clone()) {
            return Err(Error::InputInvalid {
                location: Location::file(&full),
                reason: format!(
                    "`{name}` and `{other}` are one name once case and Unicode forms are folded; rename one of them"
                ),
            });
        }
        files.push((name, full));
    }
    Ok(files)
}

/// One input file for `ingest_all`.
pub(crate) struct InputBytes<'a> {
    /// Its name in `inputs.csv` (relative to the input folder).
    pub name: &'a str,
    /// The path that labels its messages.
    pub label: &'a Path,
    /// Its contents; `None` for a symbolic link (not followed) or a FIFO, socket or device
    /// (not opened).
    pub bytes: Option<&'a [u8]>,
    /// Why it was not read, when `bytes` is `None`.
    pub skipped: Option<&'static str>,
}

/// Why a file of the input folder is not read: a symbolic link is not followed, and a
/// FIFO, socket or device is not opened (reading a FIFO would wait forever).
fn skip_reason(meta: Option<&fs::Metadata>) -> Option<&'static str> {
    let kind = meta?.file_type();
    if kind.is_symlink() {
        Some(SYMLINK)
    } else if !kind.is_file() {
        Some("not a regular file (a FIFO, socket or device); not opened")
    } else {
        None
    }
}

const SYMLINK: &str = "symbolic link; not followed";

/// Reads input files (in the order given) into incidents, rejected rows and exceptions.
/// With `Detail::Summary` the files' `sha256` is left empty.
pub(crate) fn ingest_all(
    files: &[InputBytes<'_>],
    policy: &Policy,
    detail: ingest::Detail,
) -> Result<Ingested, Error> {
    let mut reads = Vec::with_capacity(files.len());
    for f in files {
        let bytes = f.bytes.unwrap_or_default();
        let document = postmortem::is_document(f.name);
        let read = match f.bytes {
            None => ingest::FileRead {
                not_used_reason: Some(f.skipped.unwrap_or(SYMLINK).to_string()),
                ..Default::default()
            },
            Some(_) if document => ingest::FileRead::default(),
            Some(b) => ingest::read_file(f.label, b, policy.input_timezone, detail)?,
        };
        let file = InputFile {
            name: f.name.to_string(),
            sha256: match detail {
                ingest::Detail::Full => ingest::sha256_hex(bytes),
                ingest::Detail::Summary => String::new(),
            },
            size: bytes.len() as u64,
            format: None,
            not_used_reason: None,
            rows_read: 0,
            timezone_assumed: None,
            document: (document && f.bytes.is_some()).then(|| postmortem::document_format(f.name)),
            pages: Vec::new(),
        };
        reads.push((file, read, bytes));
    }
    ingest::combine(reads, policy.input_timezone)
}

/// Reads the postmortem documents among the inputs, in name order. PDFs are read by a child
/// `auditpack pdf-text` that bounds its own memory and CPU time, so a hostile PDF costs one
/// unreadable document, never the run.
pub(crate) fn read_documents(files: &[InputBytes<'_>]) -> Result<Vec<Document>, Error> {
    let mut docs: Vec<Document> = files
        .iter()
        .filter(|f| postmortem::is_document(f.name))
        .filter_map(|f| {
            let bytes = f.bytes?;
            Some((f, bytes))
        })
        .map(|(f, bytes)| {
            let readout = match postmortem::Kind::of(f.name) {
                Some(postmortem::Kind::Pdf) => pdf_text_isolated(bytes)?,
                Some(_) => postmortem::read_text(bytes),
                None => postmortem::Readout::Unreadable(postmortem::Unreadable::Unsupported(
                    f.name
                        .rsplit_once('.')
                        .map_or_else(|| "(no extension)".to_string(), |(_, e)| format!(".{e}")),
                )),
            };
            Ok(Document {
                name: f.name.to_string(),
                sha256: ingest::sha256_hex(bytes),
                readout,
            })
        })
        .collect::<Result<_, Error>>()?;
    docs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(docs)
}

/// Runs `auditpack pdf-text` on `bytes` and reads its answer.
fn pdf_text_isolated(bytes: &[u8]) -> Result<postmortem::Readout, Error> {
    use postmortem::Readout;
    use std::io::Write;
    use std::process::{Command, Stdio};
    let exe =
        std::env::current_exe().map_err(|e| Error::io("find", "the auditpack executable", e))?;
    let mut child = Command::new(&exe)
        .arg("pdf-text")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::io("run", &exe, e))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let output = std::thread::scope(|s| {
        // The child may stop reading (it died): a broken pipe is then expected.
        s.spawn(move || {
            let _ = stdin.write_all(bytes);
        });
        child.wait_with_output()
    })
    .map_err(|e| Error::io("run", &exe, e))?;
    if output.status.success()
        && let Ok(readout) = serde_json::from_slice::<Readout>(&output.stdout)
    {
        return Ok(readout);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let why = child_failure(&output.status, last);
    Ok(Readout::Unreadable(why))
}

/// Names how the PDF reader died.
fn child_failure(status: &std::process::ExitStatus, stderr_last: &str) -> postmortem::Unreadable {
    use postmortem::Unreadable;
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        match status.signal() {
            // SIGXCPU (24), SIGKILL (9): the CPU-time limit.
            Some(24 | 9) => {
                return Unreadable::LimitExceeded(format!(
                    "reading it took more than {} s of CPU time",
                    postmortem::CPU_LIMIT_S
                ));
            }
            // SIGABRT (6): an allocation over the memory limit, or a stack overflow.
            Some(6 | 11) => {
                return Unreadable::LimitExceeded(format!(
                    "reading it needed more than {} MiB of memory or stack",
                    postmortem::MEMORY_LIMIT >> 20
                ));
            }
            _ => {}
        }
    }
    Unreadable::Corrupt(format!(
        "the PDF reader failed ({status}){}",
        if stderr_last.is_empty() {
            String::new()
        } else {
            format!(": {stderr_last}")
        }
    ))
}

/// Why no incident row is usable, file by file: a header only, or every row rejected (with
/// the first reason).
fn no_rows(ingested: &Ingested) -> String {
    let mut parts = Vec::new();
    for (index, f) in ingested.files.iter().enumerate() {
        if !f.format.is_some_and(|x| x.has_incidents()) {
            continue;
        }
        let rejected: Vec<&crate::model::RejectedRow> = ingested
            .rejected
            .iter()
            .filter(|r| r.source.file == index)
            .collect();
        parts.push(match rejected.first() {
            None => format!("`{}` has a header and no rows", f.name),
            Some(first) => format!(
                "`{}`: {} rows read, {} rejected (first, line {}: {})",
                f.name,
                f.rows_read,
                rejected.len(),
                first.source.line,
                first.reason
            ),
        });
    }
    format!(
        "no usable incident rows: {}; every rejected row is listed with `build` in derived/rejected_rows.csv (or pass `--from` and `--to` to report an empty period)",
        parts.join("; ")
    )
}

/// The error for a folder with no incident export: what was looked at (postmortems alone
/// are not enough: they are judged against incidents).
fn no_incident_export(ingested: &Ingested, input: &Path) -> Error {
    // Postmortems alone are not enough: they are judged against incidents.
    let looked: Vec<String> = ingested
        .files
        .iter()
        .take(5)
        .map(|f| {
            format!(
                "`{}` ({})",
                f.name,
                f.not_used_reason.as_deref().unwrap_or(match f.format {
                    Some(x) => x.name(),
                    None => "not an incidents export",
                })
            )
        })
        .collect();
    Error::NoInput {
        path: input.to_path_buf(),
        looked: if looked.is_empty() {
            "the folder has no files".to_string()
        } else {
            format!(
                "looked at {}{}",
                looked.join(", "),
                if ingested.files.len() > 5 {
                    ", …"
                } else {
                    ""
                }
            )
        },
    }
}

/// Reads the inputs and computes what `scope` asks for. `Scope::Summary` (`stats`) reads no
/// postmortem document (no PDF reader child processes) and computes the SLA tables only.
pub(crate) fn load(
    args: &InputConfig,
    progress: &crate::commands::progress::Progress,
    scope: metrics::Scope,
) -> Result<Loaded, Error> {
    let with_documents = scope == metrics::Scope::Evidence;
    let policy = load_policy(args)?;
    let files = input_files(args, policy.path.as_deref())?;
    // Each file's metadata once: whether it is a link (not followed) and its size.
    let meta: Vec<Option<fs::Metadata>> = files
        .iter()
        .map(|(_, f)| fs::symlink_metadata(f).ok())
        .collect();
    let total: u64 = meta.iter().flatten().map(fs::Metadata::len).sum();
    progress.step(&format!("reading {} input files", files.len()), Some(total));
    let mut contents = Vec::with_capacity(files.len());
    for ((name, full), meta) in files.iter().zip(&meta) {
        let skipped = skip_reason(meta.as_ref());
        let size = meta.as_ref().map_or(0, fs::Metadata::len);
        progress.advance(size);
        // A link is not followed (`None`); `build` reads every file: its bytes are hashed
        // and bundled.
        let bytes = match scope {
            _ if skipped.is_some() => None,
            metrics::Scope::Summary if size >= ingest::PARALLEL_MIN_BYTES as u64 => {
                Some(map(full)?)
            }
            _ => Some(Contents::Read(read(full)?)),
        };
        contents.push((name, full, bytes, skipped));
    }
    let entries: Vec<InputBytes<'_>> = contents
        .iter()
        .map(|(name, full, bytes, skipped)| InputBytes {
            name: name.as_str(),
            label: full.as_path(),
            bytes: bytes.as_ref().map(Contents::bytes),
            skipped: *skipped,
        })
        .collect();
    progress.step("parsing the exports", None);
    // Exclusions read descriptions and services and merges read REST objects, so a policy
    // with exclusions keeps everything: `stats` then gives the figures `build` gives.
    let detail = match scope {
        metrics::Scope::Summary if policy.policy.exclusions.is_empty() => ingest::Detail::Summary,
        _ => ingest::Detail::Full,
    };
    let ingested = ingest_all(&entries, &policy.policy, detail)?;
    let documents = if with_documents {
        progress.step("reading the postmortem documents", None);
        read_documents(&entries)?
    } else {
        Vec::new()
    };
    let raw = contents
        .into_iter()
        .filter_map(|(name, _, bytes, _)| match bytes {
            Some(Contents::Read(bytes)) if scope == metrics::Scope::Evidence => {
                Some((name.clone(), bytes))
            }
            _ => None,
        })
        .collect();
    if !ingested
        .files
        .iter()
        .any(|f| f.format.is_some_and(|x| x.has_incidents()))
    {
        return Err(no_incident_export(&ingested, &args.input));
    }
    if ingested.incidents.is_empty() && !args.period_given() {
        return Err(Error::Usage(no_rows(&ingested)));
    }
    let p = &policy.policy;
    let (period, as_of) = args.resolve(
        metrics::default_period(&ingested.incidents, p),
        // The extraction record's time, else the latest event of every input.
        ingested
            .extraction
            .as_ref()
            .and_then(|(_, e)| e.extracted_at)
            .or_else(|| ingested.latest_event()),
        p.timezone,
    )?;
    progress.step("computing the statistics", None);
    let evidence = match scope {
        metrics::Scope::Evidence => {
            crate::checks::evaluate(p, ingested, &documents, period, as_of)?
        }
        metrics::Scope::Summary => {
            let metrics = metrics::compute(&ingested, p, period, as_of, scope)?;
            Evidence::figures_only(p.clone(), ingested, metrics)
        }
    };
    Ok(Loaded {
        policy,
        evidence,
        raw,
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn a_pdf_reader_killed_by_its_limits_is_named() {
        // Wait statuses: the low 7 bits are the signal that ended the process.
        let cpu = child_failure(&std::process::ExitStatus::from_raw(24), "");
        assert!(
            matches!(cpu, postmortem::Unreadable::LimitExceeded(ref w) if w.contains("CPU time"))
        );
        let memory = child_failure(&std::process::ExitStatus::from_raw(6), "");
        assert!(
            matches!(memory, postmortem::Unreadable::LimitExceeded(ref w) if w.contains("memory"))
        );
        let panicked = child_failure(&std::process::ExitStatus::from_raw(101 << 8), "boom");
        assert!(
            matches!(panicked, postmortem::Unreadable::Corrupt(ref w) if w.ends_with(": boom"))
        );
    }
}
