//! The subcommands, one file each, and what they share: reading the input folder (`inputs`),
//! progress on the terminal, Ctrl-C. The only code that touches the filesystem and chains the
//! stages.

pub(crate) mod build;
pub(crate) mod generate;
pub(crate) mod init;
pub(crate) mod inputs;
pub mod interrupt;
pub(crate) mod keygen;
pub(crate) mod man;
pub(crate) mod progress;
#[cfg(test)]
mod properties;
pub(crate) mod sample;
pub(crate) mod staging;
pub(crate) mod stats;
pub(crate) mod summary;
pub(crate) mod verify;
