//! Running a bench executable for one pass, with a timeout, its output kept in a log.
//!
//! The timeout is on *progress*: a bench process may run as long as it keeps finishing
//! benchmarks (each one appends a line to the record file), but not `timeout` without one. A
//! binary of fifty slow benchmarks is not killed for being long; a hung benchmark is.
//!
//! Every process started here goes through [`process::spawn`](crate::exec::process::spawn), so that an interrupted run
//! (Ctrl-C, SIGTERM) kills the bench processes it started; the output folder is locked
//! ([`process::lock_out_dir`](crate::exec::process::lock_out_dir)); the log is read by [`log`](crate::exec::log).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub use allocbench_formats::title::{matches_title, without_counter};
use allocbench_formats::{env, probe, title};

use crate::cargo::discover::BenchTarget;
use crate::events::Sink;
use crate::exec::log::scan_log;
use crate::exec::process::{lock_out_dir, spawn, Tracked};

pub use allocbench_formats::Mode;

/// Criterion arguments for `pass`, before the user's own. `times` replaces the counting
/// passes' [`CountingTimes::SHORTEST`].
fn criterion_args(pass: Mode, times: Option<CountingTimes>) -> Vec<String> {
    if !pass.counts_only() {
        return vec!["--noplot".to_owned()];
    }
    // Ten samples of linear sampling give nine slopes to agree on; the shortest measurement time
    // makes criterion run one, two, ... ten iterations.
    let times = times.unwrap_or(CountingTimes::SHORTEST);
    let warm_up = times.warm_up.as_secs_f64().to_string();
    let measurement = times.measurement.as_secs_f64().to_string();
    [
        "--warm-up-time",
        &warm_up,
        "--measurement-time",
        &measurement,
        "--sample-size",
        "10",
        "--nresamples",
        "1",
        "--noplot",
    ]
    .map(String::from)
    .to_vec()
}

/// Criterion's warm-up and measurement times in a counting pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountingTimes {
    pub warm_up: Duration,
    pub measurement: Duration,
}

impl CountingTimes {
    /// The counting passes' own: one warm-up call, and ten linear samples of a routine of up to
    /// 180 µs (criterion's auto mode needs 55 iterations within twice the measurement time).
    pub const SHORTEST: CountingTimes =
        CountingTimes { warm_up: Duration::from_millis(1), measurement: Duration::from_millis(10) };
}

/// What to pass to a bench executable.
#[derive(Debug, Clone)]
pub struct RunSpec {
    pub pass: Mode,
    /// Criterion's positional filter.
    pub filter: Option<String>,
    /// Arguments for criterion after the pass's own: the user's, after `--`, or the CPU pass's.
    pub criterion_args: Vec<String>,
    /// Environment for the bench process, beside what every pass sets.
    pub env: Vec<(String, String)>,
    /// Criterion's times in a counting pass, when the shortest do not give linear samples (see
    /// [`crate::passes::linear`]); ignored by the other passes.
    pub counting_times: Option<CountingTimes>,
    /// Longest time without a finished benchmark.
    pub timeout: Duration,
    /// Show criterion's output instead of keeping it in the log.
    pub verbose: bool,
    /// A program and its arguments that the bench executable runs under (valgrind, for the
    /// instruction pass); empty to run it directly.
    pub wrapper: Vec<std::ffi::OsString>,
    /// The program to run in place of the target's executable: the instruction pass runs a copy
    /// without debug information, which valgrind would read at every start. `None`: the target's.
    pub program: Option<PathBuf>,
}

impl RunSpec {
    /// This spec for `target`: with its share's filter under `--partition`, which selects a part
    /// of what the user's filter does. A pass that selects benchmarks by id itself (the
    /// allocation-site pass, a benchmark measured again) does not ask.
    pub fn for_target(&self, target: &BenchTarget) -> RunSpec {
        RunSpec { filter: target.selection.clone().or_else(|| self.filter.clone()), ..self.clone() }
    }
}

/// Where one run's files go.
#[derive(Debug, Clone)]
pub struct RunFiles {
    pub records: PathBuf,
    /// Where the harness names each benchmark it starts ([`env::STARTED`]).
    started: PathBuf,
    /// Everything criterion writes is below this folder; [`crate::passes::records::read_criterion`]
    /// reads it from here.
    pub criterion_home: PathBuf,
    pub log: PathBuf,
    /// The output folder's lock: see [`process::lock_out_dir`](crate::exec::process::lock_out_dir).
    lock: PathBuf,
}

/// How deep below [`RunFiles::criterion_home`] criterion's `CRITERION_HOME` lies. Criterion
/// makes each part of an id (group, function, parameter) a folder name, but keeps `.` and `..`
/// as they are: an id such as `../..` would write above its home. Three levels of nesting keep
/// even `../../..` inside `criterion_home`.
const CRITERION_NESTING: [&str; 3] = ["home", "of", "criterion"];

impl RunFiles {
    /// The files of `target`'s run for `pass`, under the output folder.
    pub fn new(out_dir: &Path, pass: Mode, target: &BenchTarget) -> RunFiles {
        RunFiles::nth(out_dir, pass, target, 1)
    }

    /// The files of `target`'s `run`-th run for `pass` (`--runs`), counted from 1.
    pub fn nth(out_dir: &Path, pass: Mode, target: &BenchTarget, run: u32) -> RunFiles {
        let folder = if run == 1 { pass.as_str().to_owned() } else { format!("{}-run{run}", pass.as_str()) };
        let base = out_dir.join("runs").join(folder).join(&target.package).join(&target.target);
        RunFiles {
            records: base.join("records.jsonl"),
            started: base.join("started.jsonl"),
            criterion_home: base.join("criterion"),
            log: base.join("output.log"),
            lock: out_dir.join("runs").join(".lock"),
        }
    }

    /// The files of the `n`-th benchmark measured again after this run (see [`crate::passes::linear`]),
    /// in a folder below this run's.
    pub fn again(&self, n: usize) -> RunFiles {
        let base = self.log.parent().unwrap_or(&self.criterion_home).join("again").join(n.to_string());
        RunFiles {
            records: base.join("records.jsonl"),
            started: base.join("started.jsonl"),
            criterion_home: base.join("criterion"),
            log: base.join("output.log"),
            lock: self.lock.clone(),
        }
    }

    /// The `CRITERION_HOME` of the bench process.
    fn criterion_env(&self) -> PathBuf {
        CRITERION_NESTING.iter().fold(self.criterion_home.clone(), |p, c| p.join(c))
    }

    /// Where `--list` writes, beside the log.
    fn list_output(&self) -> PathBuf {
        self.log.with_file_name("list.txt")
    }

    /// Where the harness lists the ids for `--list` ([`env::LISTED`]).
    fn listed_output(&self) -> PathBuf {
        self.log.with_file_name("listed.jsonl")
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
    #[error("interrupted: the bench processes it started were stopped")]
    Interrupted,
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
    fs::create_dir_all(files.criterion_env()).map_err(io(&files.criterion_home))?;
    for file in [&files.records, &files.started] {
        if file.exists() {
            fs::remove_file(file).map_err(io(file))?;
        }
    }
    Ok(())
}

/// A benchmark (or, when criterion had not said which, a whole bench process) that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The benchmark running when the process died, when the harness had said so: its full id
    /// (` #2` for the second benchmark of that id in the process), or, from an older harness,
    /// criterion's title of it (its id cut to 100 bytes with `...`), as criterion printed it.
    pub title: Option<String>,
    pub reason: String,
}

/// Criterion arguments after which a process measures nothing, so that no record is expected.
const NOT_MEASURING: [&str; 8] = ["--list", "--test", "--profile-time", "--ignored", "--help", "-h", "--version", "-V"];

/// Whether a process run for `spec` writes a record for every benchmark it finishes.
fn measures(spec: &RunSpec) -> bool {
    spec.pass.records_every_benchmark()
        && !spec.criterion_args.iter().any(|a| NOT_MEASURING.contains(&a.split('=').next().unwrap_or(a)))
}

/// Runs `exe` for `spec`, calling `progress` with the number of benchmarks finished so far;
/// a wait for another run's lock on the output folder is said to `events`.
///
/// When the process crashes, hangs, or exits in the middle of a benchmark, that benchmark is a
/// failure, and the process runs again for the benchmarks that neither finished nor failed: one
/// broken benchmark never costs the figures of those after it in the same binary. A process
/// that measured nothing at all, unfiltered, is a failure of the whole target.
pub fn run(
    exe: &Path,
    target: &BenchTarget,
    spec: &RunSpec,
    files: &RunFiles,
    events: &dyn Sink,
    mut progress: impl FnMut(usize),
) -> Result<Vec<Failure>, RunError> {
    lock_out_dir(&files.lock, events)?;
    prepare(files)?;
    let _ = fs::remove_file(&files.log);
    let mut failures: Vec<Failure> = Vec::new();
    let mut filter = spec.filter.clone();
    let mut listed: Option<Vec<String>> = None;
    loop {
        // Only this process's part of the files says what it did: they are appended to.
        let start = |path: &Path| fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let (log_start, records_start, started_start) =
            (start(&files.log), start(&files.records), start(&files.started));
        let exit = run_once(exe, target, spec, filter.as_deref(), files, &mut progress)?;
        let recorded = recorded_ids(&files.records, 0);
        let log = scan_log(&files.log, log_start, 3);
        let (title, started_any) = match read_ids(&files.started, started_start) {
            // The harness's own word, byte for byte.
            Some(started) => (unfinished(&started, &recorded_ids(&files.records, records_start)), !started.is_empty()),
            // An allocbench that predates it: criterion's text, which a newline in an id splits.
            None => (log.last_started.clone().filter(|t| !is_recorded(&recorded, t)), log.last_started.is_some()),
        };
        let reason = match &exit {
            Exit::Success => match &title {
                Some(_) if measures(spec) => {
                    "the bench process exited with success in the middle of this benchmark, before it finished; does the benchmark call `std::process::exit`?".to_owned()
                }
                _ => {
                    if measures(spec) && spec.filter.is_none() && recorded.is_empty() && !started_any {
                        failures.push(Failure {
                            title: None,
                            reason: "ran no benchmark: the bench process exited with success before criterion started one; does its `main` run `criterion_main!` over groups that have benchmarks? If it is not a criterion bench, leave it out with `--bench`".to_owned(),
                        });
                    }
                    return Ok(failures);
                }
            },
            Exit::Failed(how) => match &log.panic {
                Some(message) => format!("bench process {how}: {message}"),
                None => format!("bench process {how}"),
            },
            Exit::TimedOut(t) => format!("timed out: no benchmark finished in {} s (raise --timeout)", t.as_secs()),
        };
        let reason = if log.tail.is_empty() || log.panic.is_some() {
            reason
        } else {
            format!("{reason}; output ends: {}", log.tail.join(" | "))
        };
        let Some(title) = title else {
            failures.push(Failure { title: None, reason });
            return Ok(failures);
        };
        if failures.iter().any(|f| f.title.as_ref() == Some(&title)) {
            // The same benchmark failed again: running again would never end.
            return Ok(failures);
        }
        failures.push(Failure { title: Some(title), reason });
        let all = match &listed {
            Some(all) => all.clone(),
            None => {
                let all = list(exe, target, spec, files)?;
                listed = Some(all.clone());
                all
            }
        };
        let remaining: Vec<&String> = all
            .iter()
            .filter(|t| !is_recorded(&recorded, t))
            .filter(|t| !failures.iter().any(|f| f.title.as_deref().is_some_and(|id| id == *t || matches_title(id, t))))
            .collect();
        if remaining.is_empty() {
            return Ok(failures);
        }
        filter = Some(exact_filter(remaining.iter().map(|t| t.as_str())));
    }
}

/// Whether the benchmark criterion titled `title` is among the `recorded` ids: the title
/// `ID #2` needs `ID` recorded twice.
fn is_recorded(recorded: &[String], title: &str) -> bool {
    let base = without_counter(title);
    if base.len() == title.len() {
        return recorded.iter().any(|id| matches_title(id, title));
    }
    let n: usize = title[base.len() + 2..].parse().unwrap_or(usize::MAX);
    recorded.iter().filter(|id| matches_title(id, base)).count() >= n
}

/// A criterion filter that selects exactly these titles (criterion matches its filter against
/// ids, so a title's ` #2` counter is left out, and a cut title selects by its prefix).
pub fn exact_filter<'a>(titles: impl Iterator<Item = &'a str>) -> String {
    let alternatives: Vec<String> = titles
        .map(without_counter)
        .map(|t| match t.strip_suffix("...") {
            Some(prefix) if prefix.len() >= 100 => regex::escape(prefix),
            _ => format!("{}$", regex::escape(t)),
        })
        .collect();
    format!("^(?:{})", alternatives.join("|"))
}

/// Criterion's titles of the benchmarks `spec` selects (see [`title::titles`]), in the order
/// the process defines them, from `--list`, which runs under the same timeout as a benchmark.
/// The harness lists the ids itself ([`env::LISTED`]), and the filter is applied to them here
/// as criterion applies it (a regular expression that matches somewhere in the id): criterion's
/// printed listing puts an id with a newline on two lines. From an allocbench that predates
/// that, criterion's printed listing.
pub fn list(exe: &Path, target: &BenchTarget, spec: &RunSpec, files: &RunFiles) -> Result<Vec<String>, RunError> {
    let path = files.list_output();
    let listed = files.listed_output();
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| RunError::Io { path, source }
    };
    if listed.exists() {
        fs::remove_file(&listed).map_err(io(&listed))?;
    }
    let output = fs::File::create(&path).map_err(io(&path))?;
    let mut cmd = Command::new(exe);
    cmd.args(["--bench", "--list"])
        .current_dir(&target.package_dir)
        .env(env::LISTED, &listed)
        .env("CRITERION_HOME", files.criterion_env())
        .stdin(Stdio::null())
        .stdout(output)
        .stderr(Stdio::null());
    if let Some(f) = &spec.filter {
        cmd.arg(f);
    }
    let spawn_error = |source: io::Error| match source.kind() {
        io::ErrorKind::Interrupted => RunError::Interrupted,
        _ => RunError::Spawn { exe: exe.to_owned(), source },
    };
    let (child, _) = spawn(&mut cmd).map_err(spawn_error)?;
    let started = Instant::now();
    while child.try_wait().map_err(spawn_error)?.is_none() {
        if started.elapsed() >= spec.timeout {
            child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if let Some(ids) = read_ids(&listed, 0) {
        let selects = |id: &str| match &spec.filter {
            // Criterion panics on a filter that is not a regular expression: it lists nothing.
            Some(f) => regex::Regex::new(f).is_ok_and(|r| r.is_match(id)),
            None => true,
        };
        let titles = title::titles(ids.iter().map(String::as_str));
        return Ok(ids.iter().zip(titles).filter(|(id, _)| selects(id)).map(|(_, t)| t).collect());
    }
    let text = fs::read(&path).map_err(io(&path))?;
    Ok(String::from_utf8_lossy(&text)
        .lines()
        .filter_map(|l| l.strip_suffix(": benchmark"))
        .map(str::to_owned)
        .collect())
}

/// Ids of the benchmarks the record file holds, from byte `from`.
fn recorded_ids(records: &Path, from: u64) -> Vec<String> {
    let text = fs::read(records).unwrap_or_default();
    let text = text.get(from as usize..).unwrap_or_default();
    String::from_utf8_lossy(text)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["id"].as_str().map(str::to_owned))
        .collect()
}

/// The ids of a file of id lines ([`env::STARTED`], [`env::LISTED`]) from byte `from`; `None`
/// when the file does not exist (a harness that does not write it).
fn read_ids(path: &Path, from: u64) -> Option<Vec<String>> {
    let text = fs::read(path).ok()?;
    let text = String::from_utf8_lossy(text.get(from as usize..).unwrap_or_default()).into_owned();
    Some(probe::read_id_lines(&text, |l| serde_json::from_str(l).ok()))
}

/// The benchmark a process was in when it ended: the last one it started, unless its record is
/// there. Both lists are the process's own, in order; the n-th start of an id is finished when
/// the id has n records (criterion runs two benchmarks of one id, and titles the second ` #2`).
fn unfinished(started: &[String], recorded: &[String]) -> Option<String> {
    let last = started.last()?;
    let n = started.iter().filter(|id| *id == last).count();
    if recorded.iter().filter(|id| *id == last).count() >= n {
        return None;
    }
    Some(if n == 1 { last.clone() } else { format!("{last} #{n}") })
}

fn run_once(
    exe: &Path,
    target: &BenchTarget,
    spec: &RunSpec,
    filter: Option<&str>,
    files: &RunFiles,
    progress: &mut impl FnMut(usize),
) -> Result<Exit, RunError> {
    let mut cmd = match spec.wrapper.split_first() {
        Some((program, args)) => {
            let mut cmd = Command::new(program);
            cmd.args(args).arg(spec.program.as_deref().unwrap_or(exe));
            cmd
        }
        None => Command::new(spec.program.as_deref().unwrap_or(exe)),
    };
    cmd.arg("--bench").args(criterion_args(spec.pass, spec.counting_times)).args(&spec.criterion_args);
    if let Some(f) = filter {
        cmd.arg(f);
    }
    cmd.current_dir(&target.package_dir)
        .env(allocbench_formats::env::RECORDS, &files.records)
        .env(env::STARTED, &files.started)
        .env(allocbench_formats::env::MODE, spec.pass.as_str())
        .env("CRITERION_HOME", files.criterion_env())
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
    let spawn_error = |source: io::Error| match source.kind() {
        io::ErrorKind::Interrupted => RunError::Interrupted,
        _ => RunError::Spawn { exe: exe.to_owned(), source },
    };
    let (child, _) = spawn(&mut cmd).map_err(spawn_error)?;
    watch(&child, &files.records, spec.timeout, progress).map_err(spawn_error)
}

fn finished(records: &Path) -> usize {
    fs::read(records).map(|b| b.iter().filter(|&&c| c == b'\n').count()).unwrap_or(0)
}

fn watch(child: &Tracked, records: &Path, timeout: Duration, progress: &mut impl FnMut(usize)) -> io::Result<Exit> {
    let mut done = 0;
    let mut last_progress = Instant::now();
    loop {
        if let Some(status) = child.wait_for(Duration::from_millis(100))? {
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
            child.kill();
            return Ok(Exit::TimedOut(timeout));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_filters_and_recorded_titles() {
        let long = "x".repeat(150);
        let cut = format!("{}...", &long[..100]);
        assert_eq!(exact_filter(["a.b #2", "c"].into_iter()), "^(?:a\\.b$|c$)");
        let recorded = ["g/f".to_owned(), long.clone()];
        assert!(is_recorded(&recorded, "g/f") && !is_recorded(&recorded, "g/f #2"));
        assert!(is_recorded(&recorded, &cut) && !is_recorded(&recorded, "h"));
        assert!(is_recorded(&["g/f".to_owned(), "g/f".to_owned()], "g/f #2"));
        assert_eq!(exact_filter([cut.as_str()].into_iter()), format!("^(?:{})", &long[..100]));
    }

    #[test]
    fn the_benchmark_in_the_middle_is_the_last_started_without_its_record() {
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let multi = "multi\nline\t✓/f";
        // Finished, newline and all: nothing was in the middle, and no phantom named `multi`.
        assert_eq!(unfinished(&ids(&["a", multi]), &ids(&["a", multi])), None);
        assert_eq!(unfinished(&ids(&["a", multi]), &ids(&["a"])).as_deref(), Some(multi));
        assert_eq!(unfinished(&[], &[]), None);
        // The second benchmark of one id is criterion's `ID #2`.
        assert_eq!(unfinished(&ids(&["g/f", "g/f"]), &ids(&["g/f"])).as_deref(), Some("g/f #2"));
        assert_eq!(unfinished(&ids(&["g/f", "g/f"]), &ids(&["g/f", "g/f"])), None);
    }

    #[test]
    fn id_lines_keep_every_byte_and_skip_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("started.jsonl");
        assert_eq!(read_ids(&path, 0), None, "no file: a harness that does not name what it starts");
        let multi = "multi\nline\t✓/f";
        let text = format!("\"a\"\n{}\n\"torn", serde_json::to_string(multi).unwrap());
        fs::write(&path, &text).unwrap();
        assert_eq!(read_ids(&path, 0).unwrap(), ["a", multi]);
        assert_eq!(read_ids(&path, 4).unwrap(), [multi]);
    }
}
