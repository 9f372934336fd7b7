//! Ctrl-C, SIGTERM and SIGHUP during a build: before the outputs are swapped into place, the
//! staging folder is removed and the previous outputs are unchanged; while they are being
//! swapped, the handler waits for the swap to finish (a few renames) so the folder never
//! holds a mix; after, the new outputs are complete. Each case says which, and the process
//! exits with 130. The handler runs on its own thread (the `ctrlc` crate).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

static STAGING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Where the build is: `WORKING`, `SWAPPING` or `SWAPPED`.
static PHASE: AtomicU8 = AtomicU8::new(WORKING);
const WORKING: u8 = 0;
const SWAPPING: u8 = 1;
const SWAPPED: u8 = 2;

/// The exit code after an interrupt (128 + SIGINT), as shells report it.
pub(crate) const EXIT_CODE: i32 = 130;

/// Installs the handler; call once, first thing in `main`.
pub fn install() {
    // A second install (tests calling `main` twice) is harmless to skip.
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        while PHASE.load(Ordering::SeqCst) == SWAPPING {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        // The staging folder (after the swap it holds only the previous outputs) and the
        // lock file go.
        let paths = STAGING.lock().map(|d| d.clone()).unwrap_or_default();
        for path in paths {
            let _ = std::fs::remove_dir_all(&path).or_else(|_| std::fs::remove_file(&path));
        }
        if PHASE.load(Ordering::SeqCst) == SWAPPED {
            eprint_line!("interrupted: the new outputs were already in place and are complete");
        } else {
            eprint_line!("interrupted: nothing was written, the previous outputs are unchanged");
        }
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

/// Marks a staging folder or the lock file for removal on interrupt.
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

/// Runs `swap` with interrupts held off until it returns: an interrupt meanwhile is handled
/// after it, and says that the new outputs are in place when `swap` succeeded.
pub(crate) fn without_interrupts<T>(
    swap: impl FnOnce() -> Result<T, crate::Error>,
) -> Result<T, crate::Error> {
    // The phase first, then the flag (the handler sets the flag, then reads the phase): one
    // of the two sees the other, so either the swap does not start or the handler waits.
    PHASE.store(SWAPPING, Ordering::SeqCst);
    if interrupted() {
        PHASE.store(WORKING, Ordering::SeqCst);
        return Err(crate::Error::Usage("interrupted".to_string()));
    }
    let result = swap();
    PHASE.store(
        if result.is_ok() { SWAPPED } else { WORKING },
        Ordering::SeqCst,
    );
    result
}
