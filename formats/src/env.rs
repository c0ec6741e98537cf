//! The environment variables `cargo allocbench` sets for a bench process. Under plain
//! `cargo bench` none is set, and the harness behaves as criterion.

/// The file the harness appends its record lines to ([`crate::record::RecordLine`]).
pub const RECORDS: &str = "ALLOCBENCH_RECORDS";

/// The pass the process runs for: a [`crate::Mode`]'s [`as_str`](crate::Mode::as_str).
pub const MODE: &str = "ALLOCBENCH_MODE";

/// The CPU pass's sampling frequency, in Hz.
pub const CPU_FREQUENCY: &str = "ALLOCBENCH_CPU_FREQUENCY";

/// `1` when the CPU pass keeps the samples whose leaf is in libc, libgcc, pthread or the vDSO
/// (see [`crate::frames::CPU_UNWIND_BLOCKLIST`]).
pub const CPU_COMPLETE: &str = "ALLOCBENCH_CPU_COMPLETE";
