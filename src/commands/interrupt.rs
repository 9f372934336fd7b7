//! Ctrl-C (SIGINT, and SIGTERM on Unix): remove the staging folder of a running build, say
//! so, and exit with 130, so an interrupted build leaves the previous outputs and no temp
//! files. The handler runs on its own thread (the `ctrlc` crate).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

static STAGING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// The exit code after an interrupt (128 + SIGINT), as shells report it.
pub(crate) const EXIT_CODE: i32 = 130;

/// Installs the handler; call once, first thing in `main`.
pub fn install() {
    // A second install (tests calling `main` twice) is harmless to skip.
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        let dirs = STAGING.lock().map(|d| d.clone()).unwrap_or_default();
        for dir in dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
        eprintln!("interrupted: nothing was written, the previous outputs are unchanged");
        std::process::exit(EXIT_CODE);
    });
}

/// Whether an interrupt is being handled (staging must not recreate folders then).
pub(crate) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// When an interrupt is being handled, waits for the handler, which cleans up and ends the
/// process with 130: whatever the run was doing when its files were pulled away (an error
/// from a removed staging folder, or a finish) is not its outcome.
pub fn await_handler() {
    if interrupted() {
        loop {
            std::thread::park();
        }
    }
}

/// Marks a staging folder for removal on interrupt.
pub(crate) fn register(dir: &Path) {
    if let Ok(mut d) = STAGING.lock() {
        d.push(dir.to_path_buf());
    }
}

/// Unmarks it (it is gone, or has been renamed into place).
pub(crate) fn unregister(dir: &Path) {
    if let Ok(mut d) = STAGING.lock() {
        d.retain(|x| x != dir);
    }
}
