//! Running things: a probe that tells allocbench's bench executables from the others
//! ([`probe`]), bench processes for a pass, with a timeout on progress and a log ([`run`],
//! [`log`]), criterion's `--list` over them ([`listing`]), every process this run started
//! tracked so that a signal stops them all
//! ([`process`]), and another revision of the repository checked out and measured as the
//! baseline ([`revision`]).

pub mod listing;
pub mod log;
pub mod partition;
pub mod probe;
pub mod process;
pub mod revision;
pub mod run;
