//! The subcommands, one file each, and what they share: reading the input folder (`inputs`),
//! progress on the terminal, Ctrl-C. The only code that touches the filesystem and chains the
//! stages.

pub mod build;
pub mod generate;
pub mod init;
pub mod inputs;
pub mod interrupt;
pub mod keygen;
pub mod man;
pub mod progress;
pub mod sample;
pub mod staging;
pub mod stats;
pub mod summary;
pub mod verify;
