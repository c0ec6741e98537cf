//! Running a bench executable for one pass, with a timeout, its output kept in a log.
//!
//! The timeout is on *progress*: a bench process may run as long as it keeps finishing
//! benchmarks (each one appends a line to the record file), but not `timeout` without one. A
//! binary of fifty slow benchmarks is not killed for being long; a hung benchmark is.

use std::fs;
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

/// A benchmark (or, when criterion had not said which, a whole bench process) that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Criterion's title of the benchmark running when the process died (its id, cut to 100
    /// bytes with `...`), when it had said so.
    pub title: Option<String>,
    pub reason: String,
}

/// Runs `exe` for `spec`, calling `progress` with the number of benchmarks finished so far.
///
/// When the process crashes or hangs, the benchmark it was running is a failure, and the process
/// runs again for the benchmarks that neither finished nor failed: one broken benchmark never
/// costs the figures of those after it in the same binary.
pub fn run(
    exe: &Path,
    target: &BenchTarget,
    spec: &RunSpec,
    files: &RunFiles,
    mut progress: impl FnMut(usize),
) -> Result<Vec<Failure>, RunError> {
    prepare(files)?;
    let _ = fs::remove_file(&files.log);
    let mut failures: Vec<Failure> = Vec::new();
    let mut filter = spec.filter.clone();
    let mut listed: Option<Vec<String>> = None;
    loop {
        let exit = run_once(exe, target, spec, filter.as_deref(), files, &mut progress)?;
        let reason = match &exit {
            Exit::Success => return Ok(failures),
            Exit::Failed(how) => format!("bench process {how}"),
            Exit::TimedOut(t) => format!("timed out: no benchmark finished in {} s (raise --timeout)", t.as_secs()),
        };
        let recorded = recorded_ids(&files.records);
        let title = last_started(&files.log).filter(|t| !recorded.iter().any(|id| matches_title(id, t)));
        let tail = log_tail(&files.log, 3);
        let reason =
            if tail.is_empty() { reason } else { format!("{reason}; output ends: {}", tail.replace('\n', " | ")) };
        let Some(title) = title else {
            failures.push(Failure { title: None, reason });
            return Ok(failures);
        };
        failures.push(Failure { title: Some(title), reason });
        let all = match &listed {
            Some(all) => all.clone(),
            None => {
                let all = list(exe, target, spec)?;
                listed = Some(all.clone());
                all
            }
        };
        let remaining: Vec<&String> = all
            .iter()
            .filter(|t| !recorded.iter().any(|id| matches_title(id, t)))
            .filter(|t| !failures.iter().any(|f| f.title.as_ref() == Some(*t)))
            .collect();
        if remaining.is_empty() {
            return Ok(failures);
        }
        filter = Some(exact_filter(remaining.iter().map(|t| t.as_str())));
    }
}

/// Whether criterion's title (the id, or its first 100 bytes and `...`) names `id`.
pub fn matches_title(id: &str, title: &str) -> bool {
    id == title || title.strip_suffix("...").is_some_and(|prefix| prefix.len() >= 100 && id.starts_with(prefix))
}

/// A criterion filter that selects exactly these titles.
fn exact_filter<'a>(titles: impl Iterator<Item = &'a str>) -> String {
    let alternatives: Vec<String> = titles
        .map(|t| match t.strip_suffix("...") {
            Some(prefix) if prefix.len() >= 100 => regex::escape(prefix),
            _ => format!("{}$", regex::escape(t)),
        })
        .collect();
    format!("^(?:{})", alternatives.join("|"))
}

/// The titles of the benchmarks `spec` selects, from criterion's `--list`.
fn list(exe: &Path, target: &BenchTarget, spec: &RunSpec) -> Result<Vec<String>, RunError> {
    let mut cmd = Command::new(exe);
    cmd.args(["--bench", "--list"]).current_dir(&target.package_dir).stdin(Stdio::null());
    if let Some(f) = &spec.filter {
        cmd.arg(f);
    }
    let out = cmd.output().map_err(|source| RunError::Spawn { exe: exe.to_owned(), source })?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": benchmark"))
        .map(str::to_owned)
        .collect())
}

/// Ids of the benchmarks the record file holds.
fn recorded_ids(records: &Path) -> Vec<String> {
    let text = fs::read_to_string(records).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["id"].as_str().map(str::to_owned))
        .collect()
}

/// The title of the last benchmark criterion said it started, from its output.
pub fn last_started(log: &Path) -> Option<String> {
    let text = fs::read_to_string(log).ok()?;
    text.lines()
        .rev()
        .find_map(|l| l.strip_prefix("Benchmarking ").map(|r| r.split_once(": ").map_or(r, |(id, _)| id).to_owned()))
}

fn run_once(
    exe: &Path,
    target: &BenchTarget,
    spec: &RunSpec,
    filter: Option<&str>,
    files: &RunFiles,
    progress: &mut impl FnMut(usize),
) -> Result<Exit, RunError> {
    let mut cmd = Command::new(exe);
    cmd.arg("--bench").args(spec.pass.criterion_args()).args(&spec.criterion_args);
    if let Some(f) = filter {
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
        let io = |source| RunError::Io { path: files.log.clone(), source };
        // Appended: a run again after a crash keeps the first run's output.
        let log = fs::OpenOptions::new().create(true).append(true).open(&files.log).map_err(io)?;
        let log2 = log.try_clone().map_err(io)?;
        cmd.stdout(log).stderr(log2);
    }
    let child = cmd.spawn().map_err(|source| RunError::Spawn { exe: exe.to_owned(), source })?;
    watch(child, &files.records, spec.timeout, progress)
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
