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

/// Set only for the probe (`--bench --list`): a file where allocbench's harness writes its
/// [`crate::probe::ProbeAnswer`] before exiting with success, ahead of any benchmark. A bench
/// executable that writes nothing there is not allocbench's (libtest's harness, another `main`).
pub const PROBE: &str = "ALLOCBENCH_PROBE";

/// A file where the harness appends one line per benchmark as criterion starts running its
/// routine: the id as a JSON string. A started benchmark without its record is the one the
/// process was in when it ended.
pub const STARTED: &str = "ALLOCBENCH_STARTED";

/// A file where the harness appends one line per benchmark the bench functions define, whether
/// criterion's filter selects it or not: the id as a JSON string. Set for `--list`.
pub const LISTED: &str = "ALLOCBENCH_LISTED";

/// `0` turns the harness's runtime-signal probe off ([`crate::signals`]): the record then holds
/// no signals and the report no signal figures. Read by the harness, under `cargo allocbench`
/// and `cargo bench` alike; any other value, or none, leaves it on (Linux only).
pub const SIGNALS: &str = "ALLOCBENCH_SIGNALS";
