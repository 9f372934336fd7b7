//! Progress on the terminal for the long steps (reading and parsing the inputs, postmortem
//! documents, the statistics, typesetting, the bundle). Drawn on standard error only when it is
//! a terminal, never with `--quiet`; nothing of it reaches an output file.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A spinner with the current step, or nothing.
pub(crate) struct Progress(Option<ProgressBar>);

impl Progress {
    /// Shown when standard error is a terminal and `quiet` is off.
    pub(crate) fn new(quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(120));
        Self(Some(bar))
    }

    /// Starts a step; `bytes` is its size when it is counted in bytes.
    pub(crate) fn step(&self, message: &str, bytes: Option<u64>) {
        if let Some(bar) = &self.0 {
            let template = match bytes {
                Some(_) => "{spinner} {msg} {wide_bar} {bytes}/{total_bytes} {elapsed}",
                None => "{spinner} {msg} {elapsed}",
            };
            bar.set_style(
                ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_message(message.to_string());
            bar.set_position(0);
            bar.set_length(bytes.unwrap_or(0));
        }
    }

    /// Counts bytes done in the current step.
    pub(crate) fn advance(&self, bytes: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(bytes);
        }
    }

    /// Removes the line.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
