//! The one error type of auditpack, the source locations it carries, and the exit codes.
//!
//! An `Error` stops the run (exit 2). A row that cannot be used is not an error: ingest keeps
//! it as a `RejectedRow` and the run goes on.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in an input a problem sits: `file:line:column`, as rustc prints it, so editors can jump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file as the user named it (or relative to the input folder).
    pub path: PathBuf,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: u64,
    /// 1-based column; 0 when unknown.
    pub column: u64,
}

impl Location {
    /// A location in `path` at `line:column` (1-based).
    pub fn new(path: impl AsRef<Path>, line: u64, column: u64) -> Self {
        Self {
            path: path.as_ref().to_path_buf(),
            line,
            column,
        }
    }

    /// The whole file, without a line.
    pub fn file(path: impl AsRef<Path>) -> Self {
        Self::new(path, 0, 0)
    }

    /// The 1-based line and column of byte `offset` in `text`.
    /// The 1-based line `offset` of `text` is on. A file's records are located in order, so
    /// the count goes on from the previous answer for the same text (kept per thread): a
    /// file is scanned once, not once per record (a 20,000-item one-line page was minutes).
    /// `forget_lines` drops that answer before another file is read.
    pub fn line_at(text: &[u8], offset: usize) -> u64 {
        let offset = offset.min(text.len());
        let key = (text.as_ptr() as usize, text.len());
        LINES.with(|last| {
            let (k, at, line) = last.get();
            let (from, base) = if k == key && at <= offset {
                (at, line)
            } else {
                (0, 1)
            };
            let line = base + text[from..offset].iter().filter(|&&b| b == b'\n').count() as u64;
            last.set((key, offset, line));
            line
        })
    }

    /// Forgets the last line answer (a new file may be read at the same address).
    pub fn forget_lines() {
        LINES.with(|last| last.set(((0, 0), 0, 1)));
    }

    pub fn at_offset(path: impl AsRef<Path>, text: &[u8], offset: usize) -> Self {
        let offset = offset.min(text.len());
        let before = &text[..offset];
        let line = Self::line_at(text, offset);
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let column = String::from_utf8_lossy(&text[line_start..offset])
            .chars()
            .count() as u64
            + 1;
        Self::new(path, line, column)
    }
}

thread_local! {
    /// The last `Location::line_at` answer: (text address and length, offset, line).
    static LINES: std::cell::Cell<((usize, usize), usize, u64)> =
        const { std::cell::Cell::new(((0, 0), 0, 1)) };
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        Ok(())
    }
}

/// Everything that stops a run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("cannot {action} `{}`", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The policy file is not valid.
    #[error("{location}: {reason}")]
    PolicyInvalid { location: Location, reason: String },
    /// An input file is malformed as a whole (header, quoting, JSON syntax, encoding).
    #[error("{location}: {reason}")]
    InputInvalid { location: Location, reason: String },
    /// An evidence bundle is damaged, hostile or not auditpack's.
    #[error("{location}: {reason}")]
    BundleInvalid { location: Location, reason: String },
    /// An evidence bundle of another auditpack version, or of an earlier bundle format.
    #[error("{location}: {reason}")]
    BundleVersion { location: Location, reason: String },
    /// A signing key, public key or certificate cannot be used.
    #[error("{location}: {reason}")]
    KeyInvalid { location: Location, reason: String },
    /// A secret key file others can read: refused, as ssh refuses such a key.
    #[error("`{}` is readable by others (mode {mode:o}); a secret key must be the owner's alone", path.display())]
    KeyPermissions { path: PathBuf, mode: u32 },
    /// Another build is writing the same output folder.
    #[error("another `auditpack build` is writing `{}` (lock file `{}`)", out.display(), lock.display())]
    Locked { out: PathBuf, lock: PathBuf },
    /// A command-line value is not usable (bad date, empty period, missing input).
    #[error("{0}")]
    Usage(String),
    /// Nothing usable was found in the inputs.
    #[error("no incident export found in `{}`: {looked}", path.display())]
    NoInput { path: PathBuf, looked: String },
    /// The statistics engine failed; this is a bug in auditpack, not in the input.
    #[error("statistics engine failed: {0}")]
    Polars(#[from] polars::prelude::PolarsError),
    /// A report template is not valid (minijinja syntax, undefined value, typst error).
    #[error("{location}: {reason}")]
    TemplateInvalid { location: Location, reason: String },
    /// The PDF could not be produced from valid templates.
    #[error("cannot render the PDF report: {0}")]
    Report(String),
    /// An output file already exists and would be overwritten.
    #[error("`{}` already exists", path.display())]
    Exists {
        path: PathBuf,
        /// What to do instead.
        hint: &'static str,
    },
}

impl Error {
    /// Wrap an I/O error with the action and path it concerns.
    pub fn io(action: &'static str, path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// The `hint:` line printed under the message: what to do about it. Every error has
    /// one, so each message says what happened, where, and what to do.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Io { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound => "check the path: it does not exist",
                std::io::ErrorKind::PermissionDenied => {
                    "check the permissions: auditpack must be able to read the inputs and write the output folder"
                }
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::FileTooLarge => {
                    "free disk space, or write elsewhere with `--out`"
                }
                _ => "check that the path exists and can be read and written",
            },
            Self::PolicyInvalid { .. } => {
                "fix that line of the policy; `auditpack init` writes a commented default with every key"
            }
            Self::InputInvalid { .. } => {
                "re-export the file from PagerDuty as UTF-8, or move it out of the input folder"
            }
            Self::BundleInvalid { .. } => {
                "the bundle is damaged or was not written by `auditpack build`: ask its author for a fresh copy"
            }
            Self::BundleVersion { .. } => {
                "verify it with the auditpack version its manifest names (`tool`): definitions and the bundle format change between versions"
            }
            Self::KeyInvalid { .. } => {
                "pass the files `auditpack keygen` wrote (`auditpack.key`, `auditpack.pub`, `auditpack.crt`), or a PEM key and certificate"
            }
            Self::KeyPermissions { .. } => {
                "make it private to you (`chmod 600` the key file), or use a key kept where only you can read it"
            }
            Self::Locked { .. } => {
                "wait for the other build to finish, or write to another `--out` folder"
            }
            Self::Usage(_) => "see `auditpack <command> --help` for the options and examples",
            Self::NoInput { .. } => {
                "put the PagerDuty incidents export (Analytics CSV or JSON, REST incidents, or the classic incidents.csv) in that folder"
            }
            Self::Polars(_) | Self::Report(_) => {
                "this is a bug in auditpack: please report it with the command line that caused it"
            }
            Self::TemplateInvalid { .. } => {
                "fix the template at that line, or build without `--templates` to use the built-in ones"
            }
            Self::Exists { hint, .. } => hint,
        }
    }
}

/// How a run ended, mapped to the process exit code in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: the command did what it was asked.
    Success,
    /// 1: the command ran but the result is negative (e.g. verification failed).
    Negative,
    /// 2: usage or input error.
    Failure,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Negative => 1,
            Self::Failure => 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_to_line_and_column() {
        let text = b"ab\ncd\nef";
        assert_eq!(Location::at_offset("f", text, 0).to_string(), "f:1:1");
        assert_eq!(Location::at_offset("f", text, 4).to_string(), "f:2:2");
        assert_eq!(Location::at_offset("f", text, 6).to_string(), "f:3:1");
        assert_eq!(Location::file("f").to_string(), "f");
    }
}
