//! Programs some tests need beside Rust: Go's `go tool pprof`, the independent reader of our
//! profiles, and valgrind, which the instruction pass runs under. On a machine with only Rust
//! (the README's test command on a fresh clone) such a test is reported as ignored, and the run
//! ends with one line per missing program saying which tests it left out and how to install it.
//! CI sets [`REQUIRE`]: there a missing program fails its tests instead, so CI never skips them.

use std::process::{Command, Stdio};
use std::sync::Mutex;

use libtest_mimic::Trial;

/// Set to `1` (as `.ci/run` does), a test whose program is missing runs, and fails.
pub const REQUIRE: &str = "ALLOCBENCH_TESTS_REQUIRE_TOOLS";

/// A program a test needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `go tool pprof`, from Debian's golang-go.
    Go,
    /// valgrind, for its callgrind tool.
    Valgrind,
}

impl Tool {
    fn program(self) -> &'static str {
        match self {
            Tool::Go => "go",
            Tool::Valgrind => "valgrind",
        }
    }

    fn install(self) -> &'static str {
        match self {
            Tool::Go => "apt-get install golang-go",
            Tool::Valgrind => "apt-get install valgrind",
        }
    }

    /// Whether the program answers `--version` (`go version` for Go).
    fn present(self) -> bool {
        let arg = if self == Tool::Go { "version" } else { "--version" };
        Command::new(self.program())
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

/// The tests left out, with the program each lacked.
static SKIPPED: Mutex<Vec<(String, Tool)>> = Mutex::new(Vec::new());

/// Marks a trial as needing a program: ignored when it is missing, unless [`REQUIRE`] is set.
pub trait Needs {
    fn needs(self, tool: Tool) -> Trial;
}

impl Needs for Trial {
    fn needs(self, tool: Tool) -> Trial {
        if std::env::var_os(REQUIRE).is_some_and(|v| v == "1") || tool.present() {
            return self;
        }
        SKIPPED.lock().unwrap_or_else(|e| e.into_inner()).push((self.name().to_owned(), tool));
        self.with_ignored_flag(true)
    }
}

/// One line per missing program: the tests it left out among those `args` selects, and the line
/// that installs it. Empty when nothing was left out.
pub fn skipped_summary(args: &libtest_mimic::Arguments) -> Vec<String> {
    let selected = |name: &str| {
        let matches = |f: &String| if args.exact { name == f } else { name.contains(f.as_str()) };
        args.filter.as_ref().is_none_or(matches) && !args.skip.iter().any(matches)
    };
    let skipped = SKIPPED.lock().unwrap_or_else(|e| e.into_inner());
    let skipped: Vec<&(String, Tool)> = skipped.iter().filter(|(name, _)| selected(name)).collect();
    [Tool::Go, Tool::Valgrind]
        .into_iter()
        .filter_map(|tool| {
            let tests: Vec<&str> = skipped.iter().filter(|(_, t)| *t == tool).map(|(n, _)| n.as_str()).collect();
            (!tests.is_empty()).then(|| {
                format!(
                    "note: {} test(s) ignored: `{}` is not installed ({}); `{}` runs them, and {REQUIRE}=1 makes them fail instead: {}",
                    tests.len(),
                    tool.program(),
                    match tool {
                        Tool::Go => "`go tool pprof` reads our profiles as an independent check",
                        Tool::Valgrind => "the instruction pass runs under callgrind",
                    },
                    tool.install(),
                    tests.join(", ")
                )
            })
        })
        .collect()
}
