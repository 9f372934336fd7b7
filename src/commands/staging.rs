//! The staging folder: every output is written beside `<out>` first and moved into place only
//! when all of it was written, so a failed run leaves the previous outputs as they were.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The report's file name in `<out>`.
pub(crate) const REPORT: &str = "evidence-report.pdf";
/// The bundle's file name in `<out>`.
pub(crate) const BUNDLE: &str = "evidence-bundle.zip";

/// A folder that collects the outputs and then replaces them in `<out>` in one step each.
pub(crate) struct Staging {
    dir: tempfile::TempDir,
    out: PathBuf,
}

impl Drop for Staging {
    fn drop(&mut self) {
        crate::commands::interrupt::unregister(self.dir.path());
    }
}

impl Staging {
    /// A staging folder next to `out` (same filesystem, so the final renames are atomic).
    pub(crate) fn new(out: &Path) -> Result<Self, Error> {
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| Error::io("create folder", &parent, e))?;
        let dir = tempfile::Builder::new()
            .prefix(".auditpack-staging-")
            .tempdir_in(&parent)
            .map_err(|e| Error::io("create a staging folder in", &parent, e))?;
        crate::commands::interrupt::register(dir.path());
        Ok(Self {
            dir,
            out: out.to_path_buf(),
        })
    }

    /// Path of `rel` inside the staging folder, with its parent folders created.
    pub(crate) fn path(&self, rel: &str) -> Result<PathBuf, Error> {
        if crate::commands::interrupt::interrupted() {
            return Err(Error::Usage("interrupted".to_string()));
        }
        let p = self.dir.path().join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io("create folder", parent, e))?;
        }
        Ok(p)
    }

    /// Writes one staged file through `write`.
    pub(crate) fn write(
        &self,
        rel: &str,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        let path = self.path(rel)?;
        let file = fs::File::create(&path).map_err(|e| Error::io("create", &path, e))?;
        let mut buf = std::io::BufWriter::new(file);
        write(&mut buf)
            .and_then(|()| buf.flush())
            .map_err(|e| Error::io("write", &path, e))?;
        buf.into_inner()
            .map_err(|e| Error::io("write", &path, e.into_error()))?
            .sync_all()
            .map_err(|e| Error::io("write", &path, e))
    }

    /// Moves each top-level staged entry into `<out>`, replacing what was there.
    pub(crate) fn commit(self) -> Result<(), Error> {
        fs::create_dir_all(&self.out).map_err(|e| Error::io("create folder", &self.out, e))?;
        let mut entries: Vec<_> = fs::read_dir(self.dir.path())
            .map_err(|e| Error::io("read folder", self.dir.path(), e))?
            .collect::<Result<_, _>>()
            .map_err(|e| Error::io("read folder", self.dir.path(), e))?;
        entries.sort_by_key(|e| e.file_name());
        let old = self.dir.path().join(".replaced");
        fs::create_dir(&old).map_err(|e| Error::io("create folder", &old, e))?;
        for entry in entries {
            let target = self.out.join(entry.file_name());
            if fs::symlink_metadata(&target).is_ok() {
                let aside = old.join(entry.file_name());
                fs::rename(&target, &aside).map_err(|e| Error::io("replace", &target, e))?;
            }
            fs::rename(entry.path(), &target).map_err(|e| Error::io("write", &target, e))?;
        }
        // Dropping the TempDir removes the replaced outputs.
        Ok(())
    }
}
