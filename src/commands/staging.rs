//! The outputs of a build reach `<out>` all at once or not at all.
//!
//! A lock file beside `<out>` (`.<out>.auditpack-lock`) keeps a second build to the same
//! folder out. Every output is written into a staging folder beside `<out>`
//! (`.auditpack-staging-<out>-…`, on the same filesystem), then each of them (the report,
//! the bundle, `derived/`) is swapped with the one in `<out>` by `renameat2(RENAME_EXCHANGE)`,
//! which replaces even a non-empty folder in one step; the previous outputs end in the staging
//! folder, which is then removed. Files of the user's own in `<out>` are never touched.
//!
//! Interrupts wait while the swap runs. A process killed during the swap leaves a journal
//! (`.<out>.auditpack-swap`: each item with the inode of its new version, written before it
//! is swapped), and the next build to `<out>` undoes what was swapped before it starts, so
//! the folder holds the previous outputs again; it also removes staging folders left by a
//! killed build.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::commands::interrupt;
use crate::error::Error;

/// The report's file name in `<out>`.
pub(crate) const REPORT: &str = "evidence-report.pdf";
/// The bundle's file name in `<out>`.
pub(crate) const BUNDLE: &str = "evidence-bundle.zip";

/// The staging folder of one build, holding the lock on `<out>`.
pub(crate) struct Staging {
    dir: tempfile::TempDir,
    out: PathBuf,
    parent: PathBuf,
    journal: PathBuf,
    /// Held until the staging folder is gone (dropped after it).
    _lock: Lock,
}

impl Drop for Staging {
    fn drop(&mut self) {
        interrupt::unregister(self.dir.path());
    }
}

/// The lock on an output folder: a sibling file locked for as long as the build runs.
struct Lock {
    file: Option<File>,
    path: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        interrupt::unregister(&self.path);
        self.release();
    }
}

impl Lock {
    fn acquire(path: PathBuf, out: &Path) -> Result<Self, Error> {
        loop {
            let file = fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|e| Error::io("create a lock file for", out, e))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(Error::Locked {
                        out: out.to_path_buf(),
                        lock: path,
                    });
                }
                Err(fs::TryLockError::Error(e)) => {
                    return Err(Error::io("lock", out, e));
                }
            }
            // The file may have been removed by the build that held it before we locked
            // it: then the lock is on a file nobody else can see; take the new one.
            if same_file(&file, &path) {
                interrupt::register(&path);
                return Ok(Self {
                    file: Some(file),
                    path,
                });
            }
        }
    }

    /// Removes the lock file, then unlocks it (a build that opened it meanwhile sees it
    /// gone and starts again).
    fn release(&mut self) {
        if let Some(file) = self.file.take() {
            let _ = fs::remove_file(&self.path);
            let _ = file.unlock();
        }
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
}

/// The inode of a path (0 where there is none, or off Unix).
fn inode(path: &Path) -> u64 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        fs::symlink_metadata(path).map_or(0, |m| m.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        0
    }
}

/// Exchanges two paths in one step where the system can (Linux `renameat2`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        // Not supported by this filesystem or kernel: the caller renames in two steps.
        Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS | rustix::io::Errno::NOTSUP) => {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// The name the staging area gives the previous version of `item` when it cannot exchange.
fn previous(dir: &Path, item: &str) -> PathBuf {
    dir.join(format!(".previous-{item}"))
}

/// Puts the staged `new` at `target`, and what was at `target` (if anything) in the staging
/// folder.
fn swap_in(new: &Path, target: &Path, dir: &Path, item: &str) -> std::io::Result<()> {
    if fs::symlink_metadata(target).is_err() {
        return fs::rename(new, target);
    }
    if exchange(new, target)? {
        return Ok(());
    }
    fs::rename(target, previous(dir, item))?;
    fs::rename(new, target)
}

/// Undoes a swap a killed build left half done, by its journal: every item whose new
/// version is in `<out>` goes back to the staging folder, and the previous one returns.
fn recover(journal: &Path, parent: &Path, out: &Path) -> Result<(), Error> {
    let Ok(text) = fs::read_to_string(journal) else {
        return Ok(());
    };
    let mut lines = text.lines();
    let Some(dir) = lines.next().map(|d| parent.join(d)) else {
        let _ = fs::remove_file(journal);
        return Ok(());
    };
    let io = |what: &'static str, p: &Path| {
        let p = p.to_path_buf();
        move |e| Error::io(what, p, e)
    };
    let items: Vec<(&str, u64)> = lines
        .filter_map(|l| l.split_once('\t'))
        .filter_map(|(item, ino)| Some((item, ino.parse().ok()?)))
        .collect();
    for (item, new_ino) in items.into_iter().rev() {
        let (target, staged, old) = (out.join(item), dir.join(item), previous(&dir, item));
        let new_is_in = new_ino != 0 && inode(&target) == new_ino;
        if fs::symlink_metadata(&old).is_ok() {
            if new_is_in {
                fs::rename(&target, &staged).map_err(io("restore", &target))?;
            }
            fs::rename(&old, &target).map_err(io("restore", &target))?;
        } else if new_is_in {
            if fs::symlink_metadata(&staged).is_ok() {
                swap_in(&staged, &target, &dir, item).map_err(io("restore", &target))?;
            } else {
                fs::rename(&target, &staged).map_err(io("restore", &target))?;
            }
        }
    }
    let _ = fs::remove_dir_all(&dir);
    fs::remove_file(journal).map_err(io("remove", journal))
}

/// Writes `text` to `path` and makes it durable.
fn write_synced(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

impl Staging {
    /// Locks `<out>`, finishes what a killed build left, and makes a staging folder beside
    /// it (same filesystem, so the swap is a rename).
    pub(crate) fn new(out: &Path) -> Result<Self, Error> {
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".to_string());
        fs::create_dir_all(&parent).map_err(|e| Error::io("create folder", &parent, e))?;
        let lock = Lock::acquire(parent.join(format!(".{name}.auditpack-lock")), out)?;
        let journal = parent.join(format!(".{name}.auditpack-swap"));
        recover(&journal, &parent, out)?;
        let prefix = format!(".auditpack-staging-{name}-");
        // Staging folders of this output left by a killed build: ours to remove, as we hold
        // the lock.
        if let Ok(entries) = fs::read_dir(&parent) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = tempfile::Builder::new()
            .prefix(&prefix)
            .tempdir_in(&parent)
            .map_err(|e| Error::io("create a staging folder in", &parent, e))?;
        interrupt::register(dir.path());
        Ok(Self {
            dir,
            out: out.to_path_buf(),
            parent,
            journal,
            _lock: lock,
        })
    }

    /// Path of `rel` inside the staging folder, with its parent folders created.
    fn path(&self, rel: &str) -> Result<PathBuf, Error> {
        if interrupt::interrupted() {
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
        let file = File::create(&path).map_err(|e| Error::io("create", &path, e))?;
        let mut buf = std::io::BufWriter::new(file);
        write(&mut buf)
            .and_then(|()| buf.flush())
            .map_err(|e| Error::io("write", &path, e))?;
        buf.into_inner()
            .map_err(|e| Error::io("write", &path, e.into_error()))?
            .sync_all()
            .map_err(|e| Error::io("write", &path, e))
    }

    /// Swaps every staged output into `<out>`, with interrupts held off, then removes the
    /// previous outputs.
    pub(crate) fn commit(self) -> Result<(), Error> {
        fs::create_dir_all(&self.out).map_err(|e| Error::io("create folder", &self.out, e))?;
        let dir = self.dir.path();
        let mut items: Vec<String> = fs::read_dir(dir)
            .map_err(|e| Error::io("read folder", dir, e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::io("read folder", dir, e))?
            .into_iter()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        items.sort();
        let staging_name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        interrupt::without_interrupts(|| {
            let swapped = (|| {
                let mut journal = format!("{staging_name}\n");
                for item in &items {
                    let new = dir.join(item);
                    journal.push_str(&format!("{item}\t{}\n", inode(&new)));
                    write_synced(&self.journal, &journal)
                        .map_err(|e| Error::io("write", &self.journal, e))?;
                    let target = self.out.join(item);
                    swap_in(&new, &target, dir, item)
                        .map_err(|e| Error::io("replace", &target, e))?;
                }
                fs::remove_file(&self.journal).map_err(|e| Error::io("remove", &self.journal, e))
            })();
            // A swap that failed half way is undone at once (or by the next build, if even
            // that fails), so `<out>` holds the previous outputs.
            if swapped.is_err() {
                let _ = recover(&self.journal, &self.parent, &self.out);
            }
            swapped
        })?;
        // Dropping the staging folder removes the previous outputs.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file under `dir` with its text, by relative path.
    fn tree(dir: &Path) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                    out.push((rel, fs::read_to_string(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    fn put(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    /// A build killed in the middle of its swap: `derived/` already exchanged, the bundle
    /// moved aside by the two-rename fallback but its new version not yet in, the report
    /// journaled but not swapped. The next build puts every previous output back, removes
    /// the journal and the staging folder, and leaves the user's own file alone.
    #[test]
    fn a_swap_killed_half_way_is_undone_by_the_next_build() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        put(&out.join("derived/a.csv"), "old a");
        put(&out.join(BUNDLE), "old bundle");
        put(&out.join(REPORT), "old report");
        put(&out.join("notes.txt"), "the user's own");
        let before = tree(&out);

        let staging = tmp.path().join(".auditpack-staging-out-killed");
        put(&staging.join("derived/a.csv"), "new a");
        put(&staging.join("derived/b.csv"), "new b");
        put(&staging.join(BUNDLE), "new bundle");
        put(&staging.join(REPORT), "new report");
        let journal = tmp.path().join(".out.auditpack-swap");
        let mut text = ".auditpack-staging-out-killed\n".to_string();
        for item in ["derived", BUNDLE, REPORT] {
            text.push_str(&format!("{item}\t{}\n", inode(&staging.join(item))));
        }
        write_synced(&journal, &text).unwrap();
        swap_in(
            &staging.join("derived"),
            &out.join("derived"),
            &staging,
            "derived",
        )
        .unwrap();
        fs::rename(out.join(BUNDLE), previous(&staging, BUNDLE)).unwrap();
        assert_eq!(
            fs::read_to_string(out.join("derived/b.csv")).unwrap(),
            "new b"
        );
        assert!(!out.join(BUNDLE).exists());

        let next = Staging::new(&out).unwrap();
        assert_eq!(tree(&out), before);
        assert!(!journal.exists());
        assert!(!staging.exists());
        drop(next);
        // Nothing of the build is left beside `out` once it is done.
        let left: Vec<String> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["out"]);
    }

    /// A commit swaps in every output, leaves the user's file, and removes the previous ones.
    #[test]
    fn a_commit_replaces_the_outputs_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        put(&out.join("derived/old.csv"), "old");
        put(&out.join(REPORT), "old report");
        put(&out.join("notes.txt"), "the user's own");
        let s = Staging::new(&out).unwrap();
        s.write("derived/new.csv", |w| w.write_all(b"new")).unwrap();
        s.write(REPORT, |w| w.write_all(b"new report")).unwrap();
        s.write(BUNDLE, |w| w.write_all(b"new bundle")).unwrap();
        s.commit().unwrap();
        assert_eq!(
            tree(&out),
            [
                ("derived/new.csv".to_string(), "new".to_string()),
                (BUNDLE.to_string(), "new bundle".to_string()),
                (REPORT.to_string(), "new report".to_string()),
                ("notes.txt".to_string(), "the user's own".to_string()),
            ]
        );
        let left: Vec<String> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["out"]);
    }

    /// A second build of the same folder is refused while the first holds the lock.
    #[test]
    fn a_second_build_of_the_same_folder_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let first = Staging::new(&out).unwrap();
        assert!(matches!(Staging::new(&out), Err(Error::Locked { .. })));
        drop(first);
        assert!(Staging::new(&out).is_ok());
    }
}
