//! Running a bench executable for one pass, with a timeout, its output kept in a log.
//!
//! The timeout is on *progress*: a bench process may run as long as it keeps finishing
//! benchmarks (each one appends a line to the record file), but not `timeout` without one. A
//! binary of fifty slow benchmarks is not killed for being long; a hung benchmark is.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::discover::BenchTarget;

/// The passes a bench binary is run for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassKind {
    /// Allocation figures only: criterion's warm-up and sampling cut to the minimum.
    AllocsOnly,
    /// Allocations and time, with criterion's settings.
    Full,
    /// CPU profiles: criterion's `--profile-time` mode with allocbench's profiler.
    Cpu,
    /// Allocation sites: a stack per allocation, with the sampling of `AllocsOnly`.
    Heap,
}

impl PassKind {
    /// The value of `ALLOCBENCH_MODE` the harness reads.
    pub fn mode(self) -> &'static str {
        match self {
            PassKind::AllocsOnly => "allocs-only",
            PassKind::Full => "full",
            PassKind::Cpu => "cpu",
            PassKind::Heap => "heap",
        }
    }

    /// Criterion arguments for this pass, before the user's own.
    fn criterion_args(self) -> &'static [&'static str] {
        match self {
            // Ten samples of linear sampling give nine slopes to agree on; the shortest
            // measurement time makes criterion run one, two, ... ten iterations.
            PassKind::AllocsOnly | PassKind::Heap => &[
                "--warm-up-time",
                "0.001",
                "--measurement-time",
                "0.01",
                "--sample-size",
                "10",
                "--nresamples",
                "1",
                "--noplot",
            ],
            PassKind::Full | PassKind::Cpu => &["--noplot"],
        }
    }
}

/// What to pass to a bench executable.
#[derive(Debug, Clone)]
pub struct RunSpec {
    pub pass: PassKind,
    /// Criterion's positional filter.
    pub filter: Option<String>,
    /// Arguments for criterion after the pass's own: the user's, after `--`, or the CPU pass's.
    pub criterion_args: Vec<String>,
    /// Environment for the bench process, beside what every pass sets.
    pub env: Vec<(String, String)>,
    /// Longest time without a finished benchmark.
    pub timeout: Duration,
    /// Show criterion's output instead of keeping it in the log.
    pub verbose: bool,
}

/// Where one run's files go.
#[derive(Debug, Clone)]
pub struct RunFiles {
    pub records: PathBuf,
    pub criterion_home: PathBuf,
    pub log: PathBuf,
}

impl RunFiles {
    /// The files of `target`'s run for `pass`, under the output folder.
    pub fn new(out_dir: &Path, pass: PassKind, target: &BenchTarget) -> RunFiles {
        let base = out_dir.join("runs").join(pass.mode()).join(&target.package).join(&target.target);
        RunFiles {
            records: base.join("records.jsonl"),
            criterion_home: base.join("criterion"),
            log: base.join("output.log"),
        }
    }
}

/// How a bench process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    Success,
    /// Exited with a failure status, or was killed by a signal.
    Failed(String),
    /// Killed after `timeout` without finishing a benchmark.
    TimedOut(Duration),
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    #[error("cannot prepare `{path}`: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot start `{exe}`: {source}")]
    Spawn { exe: PathBuf, source: std::io::Error },
}

/// Describes an exit status the way a person reads it: the code, or the signal by name.
pub fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let name = match sig {
                4 => "SIGILL",
                6 => "SIGABRT",
                7 => "SIGBUS",
                8 => "SIGFPE",
                9 => "SIGKILL",
                11 => "SIGSEGV",
                15 => "SIGTERM",
                _ => "signal",
            };
            return format!("killed by {name} ({sig})");
        }
    }
    match status.code() {
        Some(101) => "panicked (exit code 101)".to_owned(),
        Some(c) => format!("exit code {c}"),
        None => "no exit code".to_owned(),
    }
}

fn prepare(files: &RunFiles) -> Result<(), RunError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| RunError::Io { path, source }
    };
    if files.criterion_home.exists() {
        fs::remove_dir_all(&files.criterion_home).map_err(io(&files.criterion_home))?;
    }
    fs::create_dir_all(&files.criterion_home).map_err(io(&files.criterion_home))?;
    if files.records.exists() {
        fs::remove_file(&files.records).map_err(io(&files.records))?;
    }
    Ok(())
}

/// Runs `exe` for `spec`, calling `progress` with the number of benchmarks finished so far.
pub fn run(
    exe: &Path,
    target: &BenchTarget,
    spec: &RunSpec,
    files: &RunFiles,
    mut progress: impl FnMut(usize),
) -> Result<Exit, RunError> {
    prepare(files)?;
    let mut cmd = Command::new(exe);
    cmd.arg("--bench").args(spec.pass.criterion_args()).args(&spec.criterion_args);
    if let Some(f) = &spec.filter {
        cmd.arg(f);
    }
    cmd.current_dir(&target.package_dir)
        .env("ALLOCBENCH_RECORDS", &files.records)
        .env("ALLOCBENCH_MODE", spec.pass.mode())
        .env("CRITERION_HOME", &files.criterion_home)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null());
    if spec.verbose {
        cmd.stdout(Stdio::inherit()).stderr(Stdio::inherit());
    } else {
        let log = File::create(&files.log).map_err(|source| RunError::Io { path: files.log.clone(), source })?;
        let log2 = log.try_clone().map_err(|source| RunError::Io { path: files.log.clone(), source })?;
        cmd.stdout(log).stderr(log2);
    }
    let child = cmd.spawn().map_err(|source| RunError::Spawn { exe: exe.to_owned(), source })?;
    watch(child, &files.records, spec.timeout, &mut progress)
        .map_err(|source| RunError::Spawn { exe: exe.to_owned(), source })
}

fn finished(records: &Path) -> usize {
    fs::read(records).map(|b| b.iter().filter(|&&c| c == b'\n').count()).unwrap_or(0)
}

fn watch(
    mut child: Child,
    records: &Path,
    timeout: Duration,
    progress: &mut impl FnMut(usize),
) -> std::io::Result<Exit> {
    let mut done = 0;
    let mut last_progress = Instant::now();
    loop {
        if let Some(status) = wait_timeout::ChildExt::wait_timeout(&mut child, Duration::from_millis(100))? {
            progress(finished(records));
            return Ok(if status.success() { Exit::Success } else { Exit::Failed(describe(status)) });
        }
        let now = finished(records);
        if now != done {
            done = now;
            last_progress = Instant::now();
            progress(done);
        }
        if last_progress.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(Exit::TimedOut(timeout));
        }
    }
}

/// The last `lines` lines of a log, for an error message.
pub fn log_tail(log: &Path, lines: usize) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
