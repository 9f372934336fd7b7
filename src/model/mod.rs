//! Typed records shared by every stage: incidents and input files as read (`record`), the
//! PagerDuty configuration records (`config`), exceptions (`exception`), local time and the
//! audit period (`time`), and the one spelling of instants, durations and percentages
//! (`text`). No parsing, no statistics and no I/O here.

pub mod config;
pub mod exception;
pub mod record;
pub mod text;
pub mod time;

pub use exception::{BreachFacts, Exception, ExceptionKind};
pub use record::{
    FileRows, Format, Incident, InputFile, LogEntry, LogKind, RAW_LIMIT, Ref, RejectedRow,
    SourceRef, StatusIncident, add_seconds,
};
