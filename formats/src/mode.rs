//! The passes `cargo allocbench` runs a bench process for.

/// What `cargo allocbench` asks of a bench process, through [`crate::env::MODE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// Allocation figures only: criterion's warm-up and sampling cut to the minimum, linear
    /// sampling forced, the bench code's timing settings ignored.
    AllocsOnly,
    /// Allocations and criterion's timing, with the bench code's settings.
    Full,
    /// CPU profiles: criterion's `--profile-time` mode with allocbench's profiler.
    Cpu,
    /// Allocation sites: a stack per allocation, with the sampling of [`Mode::AllocsOnly`].
    Heap,
    /// Instructions per iteration: the process runs under valgrind's callgrind, which collects
    /// inside the measured windows only, with the sampling of [`Mode::AllocsOnly`].
    Instructions,
}

impl Mode {
    /// Every mode.
    pub const ALL: [Mode; 5] = [Mode::AllocsOnly, Mode::Full, Mode::Cpu, Mode::Heap, Mode::Instructions];

    /// The value of [`crate::env::MODE`] for this mode.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::AllocsOnly => "allocs-only",
            Mode::Full => "full",
            Mode::Cpu => "cpu",
            Mode::Heap => "heap",
            Mode::Instructions => "instructions",
        }
    }

    /// The mode a value of [`crate::env::MODE`] names; `None` for anything else.
    pub fn from_env_value(value: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == value)
    }

    /// Whether this pass only counts: criterion's settings cut to the minimum and linear
    /// sampling forced, so that every benchmark's samples have several iteration counts.
    pub fn counts_only(self) -> bool {
        matches!(self, Mode::AllocsOnly | Mode::Heap | Mode::Instructions)
    }

    /// Whether the harness writes a record for every benchmark that finishes in this pass (the
    /// CPU pass writes one only when a profile was written).
    pub fn records_every_benchmark(self) -> bool {
        !matches!(self, Mode::Cpu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back() {
        for m in Mode::ALL {
            assert_eq!(Mode::from_env_value(m.as_str()), Some(m));
        }
        assert_eq!(Mode::from_env_value("plain"), None);
    }
}
