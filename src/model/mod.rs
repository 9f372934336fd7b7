//! Typed records shared by every stage: incidents and input files as read (`record`), the
//! PagerDuty configuration records (`config`), exceptions (`exception`), local time and the
//! audit period (`time`), and the one spelling of instants, durations and percentages
//! (`text`). No parsing, no statistics and no I/O here.

pub(crate) mod config;
pub(crate) mod exception;
pub(crate) mod population;
pub(crate) mod record;
pub(crate) mod text;
pub(crate) mod time;

pub(crate) use exception::{BreachFacts, Cause, Exception, ExceptionKind};
pub(crate) use record::{
    FileRows, Format, Incident, InputFile, LogEntry, LogKind, Ref, RejectedRow, Responders,
    SourceRef, StatusIncident, System, add_seconds,
};
