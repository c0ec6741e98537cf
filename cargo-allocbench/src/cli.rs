//! The command line: cargo's flags and conventions, criterion's words. The only module that
//! knows clap: [`Cli::plan`] resolves what was given into a [`Plan`], which is all the rest of
//! the crate sees.
//!
//! The doc comments of [`Cli`]'s fields are clap's `--help` text, written for a terminal:
//! `<out-dir>` there is a placeholder, not HTML.
#![allow(rustdoc::invalid_html_tags)]

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::PossibleValue;
use clap::{Parser, ValueEnum};

use allocbench_formats::partition::PartitionSpec;

use crate::cargo::discover::CargoOptions;
use crate::criterion_args::CriterionArgs;
use crate::plan::{
    BaselineSource, Baselines, ColorChoice, CpuPass, Format, HeapProfile, InstructionsPass, MergePlan, Output, Passes,
    Plan, PlanError, PolicyInputs, Selection, TimingPass,
};
use crate::render::export;

const AFTER_HELP: &str = "\
Examples:
  cargo allocbench                          measure every bench target, print the table
  cargo allocbench --allocs-only            allocation figures only, in seconds: the fast gate
  cargo allocbench --save-baseline main     store the figures under the name `main`
  cargo allocbench --baseline main          compare with `main`; exit 1 on a regression
  cargo allocbench fanout -- --quick        only ids matching `fanout`; criterion's `--quick`
  cargo allocbench --list                   the benchmark ids each bench target holds

Columns (per iteration of the benchmark's routine, report.json's names in brackets):
  time/iter      criterion's typical time (its slope estimate, or the mean) [time.typical_ns]
  allocs/iter    blocks allocated [alloc_objects]; a realloc counts as one freed and one allocated
  bytes/iter     bytes allocated [alloc_space]
  retained/iter  bytes allocated and not freed [inuse_space]: what a cache or history keeps
  peak           most bytes live at once above the level at the start of the iteration [peak_space]
  instr/iter     instructions executed, callgrind's Ir [instructions]; with --instructions only
  Linux, shown when not zero (runtime signals; 0 gates threads and system calls):
  threads/iter   threads started [threads_started]
  alive/iter     threads started and still running at the window's end [threads_alive]
  blocked/iter   voluntary context switches: a thread blocked [voluntary_switches]
  reads/iter     read-family system calls [read_syscalls]
  writes/iter    write-family system calls [write_syscalls]
  read B/iter    bytes read by them [read_bytes]
  written B/iter bytes written by them [write_bytes]
  faults/iter    minor page faults: pages first touched [minor_faults]

Exit status: 0 nothing regressed, 1 a regression, 2 the run failed (bad input, build error,
a benchmark that crashed or hung); 130, 143, 129 interrupted by SIGINT, SIGTERM, SIGHUP (the bench
processes it started are stopped, no baseline is written).
";

/// [`AFTER_HELP`], then the `[dev-dependencies]` line for this build of the subcommand.
fn after_help() -> String {
    format!(
        "{AFTER_HELP}\nBench targets must use allocbench: in [dev-dependencies] write\n  {}",
        crate::cargo::dependency::line()
    )
}

/// Allocation and hot-path regression gate for criterion benchmarks.
///
/// Builds the bench targets, runs them under a counting allocator, and reports per benchmark
/// what one iteration allocates, retains (`inuse_space`) and peaks at, with criterion's time.
#[derive(Debug, Parser)]
#[command(
    name = "cargo-allocbench",
    bin_name = "cargo allocbench",
    version,
    after_help = after_help(),
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// `cargo allocbench merge`, or `None` for a run.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Only benchmarks whose id matches this regular expression, as criterion's filter
    #[arg(value_name = "BENCHNAME")]
    pub filter: Option<String>,

    /// Arguments for criterion, after `--` (e.g. `-- --quick`)
    ///
    /// Criterion's timing settings (`--quick`, `--sample-size`, `--warm-up-time`,
    /// `--measurement-time`, `--nresamples`) apply to a full run's timing; --allocs-only leaves
    /// them out, with a note. Criterion's baselines (`--save-baseline`, `--baseline`) and
    /// `--profile-time` are refused: use allocbench's options of the same names, before `--`.
    #[arg(last = true, value_name = "CRITERION_ARGS")]
    pub criterion_args: Vec<String>,

    /// Allocation figures only: skip criterion's timing analysis (the fast CI gate)
    #[arg(long, help_heading = "Measurement")]
    pub allocs_only: bool,

    /// Count instructions per iteration under valgrind's callgrind, and gate on them
    ///
    /// Instructions do not drift with the machine's load as time does: a hot-path regression that
    /// allocates nothing can fail the build on a shared runner. Each bench target runs once more,
    /// under `valgrind --tool=callgrind`, counting only inside criterion's timed windows (about 50
    /// times slower than natively, with the sampling of --allocs-only). Needs valgrind
    /// (`apt-get install valgrind`). Works with --allocs-only: the fast gate then gates
    /// allocations and instructions in one run.
    #[arg(long, help_heading = "Measurement")]
    pub instructions: bool,

    /// Run the timing pass N times and compare time across runs
    ///
    /// Each run starts fresh processes. Time is then compared with an exact permutation test on
    /// each run's typical time, which holds where the machine's speed drifts from run to run (the
    /// test on one run's samples does not). Use 5 or more on both sides: with 3 a side no change
    /// can reach p < 0.05. Allocation figures are the first run's.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        value_parser = clap::value_parser!(u32).range(1..=10),
        conflicts_with = "allocs_only",
        help_heading = "Measurement"
    )]
    pub runs: u32,

    /// Kill a bench process that finishes no benchmark for this many seconds
    #[arg(long, value_name = "SECS", default_value_t = 300, help_heading = "Measurement")]
    pub timeout: u64,

    /// Seconds of CPU profiling per benchmark (criterion's --profile-time)
    #[arg(long, value_name = "SECS", default_value_t = 2, help_heading = "CPU profile")]
    pub profile_time: u64,

    /// Skip the CPU pass: no flamegraph.svg, no cpu.pb.gz
    #[arg(long, help_heading = "CPU profile")]
    pub no_cpu_profile: bool,

    /// CPU sampling frequency [default: 997, as often as the kernel's timer tick allows]; the
    /// tick caps what you get (about 225 samples/s where it ticks at 250 Hz), and the run warns
    /// when a frequency you asked for falls well short
    #[arg(long, value_name = "HZ", help_heading = "CPU profile")]
    pub frequency: Option<u32>,

    /// Keep CPU samples whose leaf is in libc, libgcc, pthread or the vDSO (malloc, free, memcpy);
    /// complete, but pprof-rs may then crash or hang, which the pass survives
    #[arg(long, help_heading = "CPU profile")]
    pub cpu_complete: bool,

    /// Allocation sites (a stack per allocation, in a pass of its own): for all benchmarks, only
    /// the regressed ones, or none [default: all in a full run or when saving a baseline,
    /// else regressed under --allocs-only]
    #[arg(long, value_enum, value_name = "WHICH", help_heading = "Allocation sites")]
    pub heap_profile: Option<HeapProfile>,

    /// Save the figures as baseline NAME (only when every benchmark ran and, with --baseline, nothing regressed)
    #[arg(long, value_name = "NAME", help_heading = "Baselines")]
    pub save_baseline: Option<String>,

    /// Compare with baseline NAME; exit 1 on a regression
    #[arg(long, value_name = "NAME", help_heading = "Baselines")]
    pub baseline: Option<String>,

    /// Measure git revision REV (in a temporary worktree, built in <target-dir>/allocbench-baseline-rev)
    /// as the baseline, then the working tree, and compare: what the GitHub gate does, locally
    #[arg(long, value_name = "REV", conflicts_with = "baseline", help_heading = "Baselines")]
    pub baseline_rev: Option<String>,

    /// Where baselines are kept [default: <out-dir>/baselines, i.e. <target-dir>/allocbench/baselines]
    #[arg(long, value_name = "DIR", help_heading = "Baselines")]
    pub baseline_dir: Option<PathBuf>,

    /// A limit, `METRIC=LIMIT` or `PATTERN:METRIC=LIMIT`, e.g. `alloc_space=5%` or `json/*:alloc_objects=+1`
    #[arg(long = "limit", value_name = "SPEC", help_heading = "Baselines")]
    pub limits: Vec<String>,

    /// Fail on a statistically significant slowdown too (time is reported, not gated, by default)
    #[arg(long, help_heading = "Baselines")]
    pub fail_on_time: bool,

    /// Output format on stdout
    #[arg(long, value_enum, default_value_t = Format::Table, help_heading = "Output")]
    pub format: Format,

    /// Also write FORMAT=FILE: `bmf=FILE` (Bencher) or `github-action-benchmark=FILE`
    #[arg(long = "export", value_name = "FORMAT=FILE", help_heading = "Output")]
    pub exports: Vec<String>,

    /// Where the report, profiles and runs go [default: <target-dir>/allocbench]
    #[arg(long, value_name = "DIR", help_heading = "Output")]
    pub out_dir: Option<PathBuf>,

    /// Show the bench processes' output as they run
    #[arg(short, long, conflicts_with = "quiet", help_heading = "Output")]
    pub verbose: bool,

    /// Print no notes, no progress and no cargo status lines: warnings, errors and the chosen
    /// format only
    #[arg(short, long, help_heading = "Output")]
    pub quiet: bool,

    /// Coloring: auto, always, never (NO_COLOR is honoured under auto)
    #[arg(
        long,
        value_enum,
        default_value_t = ColorChoice::Auto,
        value_name = "WHEN",
        env = "CARGO_TERM_COLOR",
        hide_env_values = true,
        help_heading = "Output"
    )]
    pub color: ColorChoice,

    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH", help_heading = "Manifest Options")]
    pub manifest_path: Option<PathBuf>,

    /// Package(s) to benchmark
    #[arg(short, long = "package", value_name = "SPEC", help_heading = "Package Selection")]
    pub packages: Vec<String>,

    /// Benchmark all packages in the workspace
    #[arg(long, help_heading = "Package Selection")]
    pub workspace: bool,

    /// Exclude packages from the benchmark (with --workspace)
    #[arg(long, value_name = "SPEC", help_heading = "Package Selection")]
    pub exclude: Vec<String>,

    /// Benchmark only the specified bench target(s)
    #[arg(long = "bench", value_name = "NAME", help_heading = "Target Selection")]
    pub benches: Vec<String>,

    /// List the benchmarks of the selected bench targets that the filter selects, as criterion's
    /// `--list` prints them, and measure nothing (`-- --list` does the same)
    #[arg(long, help_heading = "Target Selection")]
    pub list: bool,

    /// Measure one shard of the benchmarks: `hash:K/N` (by id), `count:K/N` (round-robin within
    /// each bench target) or `slice:K/N` (round-robin across them)
    ///
    /// As nextest's `--partition`: the benchmarks every target lists (with the filter) are dealt
    /// to N shards, and this run measures shard K, compares it with the same benchmarks of the
    /// baseline, and saves them. `hash:` keeps a benchmark in its shard when others are added or
    /// removed, so a base revision's shard holds the same benchmarks as the head's: use it with
    /// baselines. `cargo allocbench merge` joins the shards' reports into one verdict.
    #[arg(long, value_name = "KIND:K/N", value_parser = parse_partition, help_heading = "Target Selection")]
    pub partition: Option<PartitionSpec>,

    /// Space or comma separated list of features to activate
    #[arg(short = 'F', long, value_name = "FEATURES", help_heading = "Feature Selection")]
    pub features: Vec<String>,

    /// Activate all available features
    #[arg(long, help_heading = "Feature Selection")]
    pub all_features: bool,

    /// Do not activate the `default` feature
    #[arg(long, help_heading = "Feature Selection")]
    pub no_default_features: bool,

    /// Directory for all generated artifacts
    #[arg(long, value_name = "DIRECTORY", help_heading = "Compilation Options")]
    pub target_dir: Option<PathBuf>,

    /// Build the benchmarks with the specified profile [default: bench]
    #[arg(long, value_name = "PROFILE-NAME", help_heading = "Compilation Options")]
    pub profile: Option<String>,

    /// Build and run the benchmarks for the target triple (it must run on this machine)
    #[arg(long, value_name = "TRIPLE", help_heading = "Compilation Options")]
    pub target: Option<String>,

    /// Assert that `Cargo.lock` will remain unchanged
    #[arg(long, help_heading = "Manifest Options")]
    pub locked: bool,

    /// Run without accessing the network
    #[arg(long, help_heading = "Manifest Options")]
    pub offline: bool,

    /// Equivalent to specifying both --locked and --offline
    #[arg(long, help_heading = "Manifest Options")]
    pub frozen: bool,

    /// Run the plan in FILE instead of the command line's: how `--baseline-rev` hands its plan
    /// to the other revision's run of this same executable.
    ///
    /// An option and not an environment variable: it reaches that one process, never the cargo
    /// builds and bench processes it starts, and shows in the process list and its errors. The
    /// file is this build's plan as JSON, written under the output folder.
    #[arg(long = "plan", value_name = "FILE", hide = true)]
    pub plan_file: Option<PathBuf>,
}

/// Subcommands. Without one, `cargo allocbench` measures.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Join the reports of shards (`--partition`) into one report, comparison and verdict
    ///
    /// Reads each shard's report.json, checks that they are the N shards of one partition of one
    /// revision (each once), and writes report.json and report.html as one unsplit run does; then
    /// prints the table (or --format), appends the Markdown summary to $GITHUB_STEP_SUMMARY, and
    /// annotates regressions under GitHub Actions. Exit status as for a run: 0, 1 a regression,
    /// 2 a failed shard or reports that do not belong together.
    #[command(
        after_help = "Example, after shard jobs that each ran `cargo allocbench --partition hash:K/3 --out-dir shard-K`:\n  cargo allocbench merge shard-1/report.json shard-2/report.json shard-3/report.json"
    )]
    Merge(MergeArgs),
}

/// `cargo allocbench merge`'s arguments.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The shards' report.json files, one per shard
    #[arg(value_name = "REPORT", required = true)]
    pub reports: Vec<PathBuf>,

    /// Output format on stdout
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Also write FORMAT=FILE: `bmf=FILE` (Bencher) or `github-action-benchmark=FILE`
    #[arg(long = "export", value_name = "FORMAT=FILE")]
    pub exports: Vec<String>,

    /// Where the merged report.json and report.html go [default: target/allocbench]
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// Coloring: auto, always, never (NO_COLOR is honoured)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

// The plan's enums as clap's values, with the help `--help` lists for each.

impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &[Format::Table, Format::Json, Format::Markdown]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            Format::Table => PossibleValue::new("table").help("A table for people (progress and notes on stderr)"),
            Format::Json => PossibleValue::new("json").help("`report.json`'s document"),
            Format::Markdown => PossibleValue::new("markdown").help("The Markdown summary for pull requests"),
        })
    }
}

impl ValueEnum for HeapProfile {
    fn value_variants<'a>() -> &'a [Self] {
        &[HeapProfile::All, HeapProfile::Regressed, HeapProfile::None]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            HeapProfile::All => PossibleValue::new("all").help("Every benchmark measured"),
            HeapProfile::Regressed => {
                PossibleValue::new("regressed").help("Only benchmarks that regressed against --baseline")
            }
            HeapProfile::None => PossibleValue::new("none").help("No allocation-site pass"),
        })
    }
}

impl ValueEnum for ColorChoice {
    fn value_variants<'a>() -> &'a [Self] {
        &[ColorChoice::Auto, ColorChoice::Always, ColorChoice::Never]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(match self {
            ColorChoice::Auto => "auto",
            ColorChoice::Always => "always",
            ColorChoice::Never => "never",
        }))
    }
}

impl Cli {
    /// Parses the process's arguments, accepting both `cargo-allocbench allocbench ARGS` (as cargo
    /// runs subcommands) and `cargo-allocbench ARGS`.
    pub fn parse_args() -> Cli {
        let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        if args.get(1).is_some_and(|a| a == "allocbench") {
            args.remove(1);
        }
        Cli::parse_from(args)
    }

    /// The run the command line asks for (without a subcommand), or the plan `--plan` names.
    pub fn plan(&self) -> Result<Plan, PlanError> {
        if let Some(path) = &self.plan_file {
            return Plan::read(path);
        }
        // Criterion's arguments after `--` are sorted before anything is built: a baseline flag of
        // criterion's is refused with ours, and a counting pass says which timing settings it
        // leaves out.
        let criterion = CriterionArgs::resolve(&self.criterion_args, self.filter.as_deref())?;
        let exports = self.exports.iter().map(|e| export::parse_export_spec(e)).collect::<Result<Vec<_>, _>>()?;
        let compare = match (&self.baseline, &self.baseline_rev) {
            (Some(name), _) => BaselineSource::Stored(name.clone()),
            (None, Some(rev)) => BaselineSource::Revision(rev.clone()),
            (None, None) => BaselineSource::None,
        };
        // A baseline being saved keeps every benchmark's sites, so that a later regression can
        // say which sites grew.
        let all_sites = !self.allocs_only || self.save_baseline.is_some();
        let heap = self.heap_profile.unwrap_or(if all_sites { HeapProfile::All } else { HeapProfile::Regressed });
        Ok(Plan {
            selection: Selection {
                cargo: self.cargo_options(),
                filter: self.filter.as_deref().or(criterion.filter()).map(str::to_owned),
                list: self.list || criterion.list(),
                criterion,
                partition: self.partition,
            },
            passes: Passes {
                timing: TimingPass { allocs_only: self.allocs_only, runs: self.runs },
                instructions: InstructionsPass { on: self.instructions, call_chains: !self.allocs_only },
                cpu: CpuPass {
                    on: !self.allocs_only && !self.no_cpu_profile,
                    complete: self.cpu_complete,
                    frequency: self.frequency,
                    profile_time: self.profile_time.max(1),
                },
                heap,
            },
            baselines: Baselines {
                compare,
                save: self.save_baseline.clone(),
                dir: self.baseline_dir.as_deref().map(absolute),
            },
            policy: PolicyInputs { limits: self.limits.clone(), fail_on_time: self.fail_on_time },
            output: Output {
                out_dir: self.out_dir.as_deref().map(absolute),
                format: self.format,
                exports,
                color: self.color,
                quiet: self.quiet,
                verbose: self.verbose,
            },
            timeout: Duration::from_secs(self.timeout.max(1)),
        })
    }

    /// Cargo's options, for discovery and build.
    fn cargo_options(&self) -> CargoOptions {
        let features = self
            .features
            .iter()
            .flat_map(|f| f.split([',', ' ']))
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect();
        CargoOptions {
            manifest_path: self.manifest_path.clone(),
            packages: self.packages.clone(),
            workspace: self.workspace,
            exclude: self.exclude.clone(),
            benches: self.benches.clone(),
            features,
            all_features: self.all_features,
            no_default_features: self.no_default_features,
            target_dir: self.target_dir.as_deref().map(absolute),
            profile: self.profile.clone(),
            target: self.target.clone(),
            frozen: self.frozen,
            locked: self.locked,
            offline: self.offline,
        }
    }
}

impl MergeArgs {
    /// The merge the command line asks for.
    pub fn plan(&self) -> Result<MergePlan, PlanError> {
        let exports = self.exports.iter().map(|e| export::parse_export_spec(e)).collect::<Result<Vec<_>, _>>()?;
        let out_dir = self.out_dir.clone().unwrap_or_else(|| PathBuf::from("target/allocbench"));
        Ok(MergePlan {
            reports: self.reports.clone(),
            format: self.format,
            exports,
            out_dir: std::path::absolute(out_dir).map_err(PlanError::OutDir)?,
            color: self.color,
        })
    }
}

/// `path` made absolute against the current directory (as given when that fails).
fn absolute(path: &std::path::Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

fn parse_partition(value: &str) -> Result<PartitionSpec, String> {
    value.parse().map_err(|e: allocbench_formats::partition::PartitionSpecError| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// The README's column table, the reference for the names, has a row for every column of the
    /// metric table, with its key.
    #[test]
    fn readme_names_every_column() {
        use allocbench_formats::metric::METRICS;
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
        let readme = std::fs::read_to_string(path).expect("the workspace's README.md");
        for info in METRICS.iter().filter(|m| m.column.is_some()) {
            let title = info.column.map(|c| c.title).unwrap_or_default();
            let row = readme.lines().find(|l| l.starts_with(&format!("| {title} |")));
            let row = row.unwrap_or_else(|| panic!("no row for `{title}` in the README's column table"));
            let key = info.key;
            assert!(row.contains(&format!("`{key}.")) || row.contains(&format!(".{key}`")), "{row}");
        }
    }

    /// `--help` explains every column of the metric table, under its title and its key.
    #[test]
    fn help_names_every_column() {
        use allocbench_formats::metric::METRICS;
        for info in METRICS.iter().filter(|m| m.column.is_some()) {
            let title = info.column.map(|c| c.title).unwrap_or_default();
            let line = AFTER_HELP.lines().find(|l| l.trim_start().starts_with(&format!("{title} ")));
            let line = line.unwrap_or_else(|| panic!("no line for `{title}` in --help"));
            assert!(line.contains(&format!("[{}", info.key)), "{line}");
        }
    }

    #[test]
    fn features_split_like_cargo() {
        let cli = Cli::parse_from(["cargo-allocbench", "-F", "a,b", "--features", "c d"]);
        assert_eq!(cli.cargo_options().features, ["a", "b", "c", "d"]);
    }

    #[test]
    fn criterion_args_after_dashes() {
        let cli = Cli::parse_from(["cargo-allocbench", "fan", "--", "--quick"]);
        assert_eq!(cli.filter.as_deref(), Some("fan"));
        assert_eq!(cli.criterion_args, ["--quick"]);
    }

    #[test]
    fn merge_is_a_subcommand_and_partition_an_option() {
        let cli = Cli::parse_from(["cargo-allocbench", "merge", "a/report.json", "b/report.json"]);
        let Some(Command::Merge(args)) = cli.command else { panic!("{cli:?}") };
        assert_eq!(args.reports, [PathBuf::from("a/report.json"), PathBuf::from("b/report.json")]);
        let cli = Cli::parse_from(["cargo-allocbench", "--partition", "hash:2/3", "fan"]);
        assert_eq!(cli.partition.map(|p| p.to_string()).as_deref(), Some("hash:2/3"));
        assert_eq!(cli.filter.as_deref(), Some("fan"));
        assert!(Cli::try_parse_from(["cargo-allocbench", "--partition", "hash:4/3"]).is_err());
    }

    /// Arguments that deliberately reach no plan, each with the reason.
    const NOT_IN_PLAN: [(&str, &str); 3] = [
        ("help", "prints the help and exits"),
        ("version", "prints the version and exits"),
        ("plan_file", "replaces the plan: it is how the plan reaches the other revision's run"),
    ];

    /// Settings of our plan that the other revision's run deliberately does not take, each with
    /// the reason ([`crate::exec::revision::plan_for_other_revision`]).
    const NOT_FOR_THE_OTHER_REVISION: [(&str, &str); 10] = [
        ("manifest_path", "it measures the manifest at the same place in its own worktree"),
        ("target_dir", "it builds in a target directory of its own, below ours"),
        ("out_dir", "it writes in an output folder of its own, below ours"),
        ("baseline_dir", "it saves in a baseline folder of its own, below ours"),
        ("save_baseline", "it saves the baseline we compare with, under a name of its own"),
        ("baseline", "it is the baseline: it compares with nothing (and conflicts with --baseline-rev)"),
        ("baseline_rev", "it is that revision: it compares with nothing"),
        ("exports", "they are the user's files, written once, by our run"),
        ("list", "it measures; our run lists (and lists our benchmarks)"),
        ("runs", "our run starts it once per run of `--runs`, alternating with its own"),
    ];

    /// A value for an argument that takes one and has no possible values of its own: one that
    /// is not its default, and valid.
    fn sample(id: &str) -> Option<&'static str> {
        Some(match id {
            "filter" => "fanout",
            "criterion_args" => "--quick",
            "runs" => "2",
            "timeout" => "7",
            "profile_time" => "3",
            "frequency" => "499",
            "save_baseline" | "baseline" => "main",
            "baseline_rev" => "HEAD~1",
            "baseline_dir" => "some/baselines",
            "limits" => "alloc_space=5%",
            "exports" => "bmf=target/bmf.json",
            "out_dir" => "some/out",
            "manifest_path" => "some/Cargo.toml",
            "packages" | "exclude" | "benches" => "some",
            "partition" => "hash:1/2",
            "features" => "some,other",
            "target_dir" => "some/target",
            "profile" => "release",
            "target" => "x86_64-unknown-linux-gnu",
            "reports" => "shard-2/report.json",
            _ => return None,
        })
    }

    /// For every argument of `command` but those of `skip`: the ways to give it (one per
    /// possible value, or its sample), each as the arguments to add to a command line.
    fn every_argument(command: &mut clap::Command, skip: &[&str]) -> Vec<(String, Vec<Vec<String>>)> {
        command.build();
        let mut all = Vec::new();
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str().to_owned();
            if skip.contains(&id.as_str()) {
                continue;
            }
            let values: Vec<String> = if !arg.get_action().takes_values() {
                vec![String::new()]
            } else if !arg.get_possible_values().is_empty() {
                arg.get_possible_values().iter().map(|v| v.get_name().to_owned()).collect()
            } else {
                let value = sample(&id).unwrap_or_else(|| {
                    panic!("`{id}` is a new argument: give it a sample value in `sample()`, or say in NOT_IN_PLAN why no plan holds it")
                });
                vec![value.to_owned()]
            };
            let ways = values
                .into_iter()
                .map(|value| match (arg.is_positional(), arg.is_last_set(), arg.get_long()) {
                    (true, true, _) => vec!["--".to_owned(), value],
                    (true, false, _) => vec![value],
                    (false, _, Some(long)) if value.is_empty() => vec![format!("--{long}")],
                    (false, _, Some(long)) => vec![format!("--{long}"), value],
                    (false, _, None) => panic!("`{id}` has no long name"),
                })
                .collect();
            all.push((id, ways));
        }
        all
    }

    fn plan_of(args: &[String]) -> Plan {
        let line = std::iter::once("cargo-allocbench".to_owned()).chain(args.iter().cloned());
        let cli = Cli::try_parse_from(line).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        cli.plan().unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    fn through_json<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) -> T {
        serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
    }

    /// Every argument of the command line reaches the plan: given alone, some value of it makes
    /// a plan other than the default one; that plan survives the JSON that `--baseline-rev` hands
    /// the other revision, and, but for the settings that side deliberately does without, makes
    /// its plan differ too. So a new flag is forwarded by construction, or this test names it.
    #[test]
    fn every_argument_reaches_the_plan_and_the_other_revision() {
        use crate::exec::revision::{plan_for_other_revision, OtherSide};
        let skip: Vec<&str> = NOT_IN_PLAN.iter().map(|(id, _)| *id).collect();
        let other = |timing_only| OtherSide {
            manifest: PathBuf::from("/worktree/Cargo.toml"),
            target_dir: PathBuf::from("/target/allocbench-baseline-rev"),
            out_dir: PathBuf::from("/target/allocbench/baseline-rev"),
            baseline_dir: PathBuf::from("/target/allocbench/baseline-rev/baselines"),
            name: "baseline-rev".to_owned(),
            timing_only,
        };
        let default = plan_of(&[]);
        let default_theirs = plan_for_other_revision(&default, &other(false));
        let arguments = every_argument(&mut Cli::command(), &skip);
        // A walk that found few arguments would prove little.
        assert!(arguments.len() > 30, "{}", arguments.len());
        for (id, ways) in arguments {
            let mut reached = false;
            let mut forwarded = false;
            for args in &ways {
                let plan = plan_of(args);
                assert_eq!(through_json(&plan), plan, "{args:?}");
                let theirs = plan_for_other_revision(&plan, &other(false));
                assert_eq!(through_json(&theirs), theirs, "{args:?}");
                reached |= plan != default;
                forwarded |= theirs != default_theirs;
            }
            assert!(reached, "`{id}` ({ways:?}) leaves the plan as it is");
            let deliberately = NOT_FOR_THE_OTHER_REVISION.iter().any(|(name, _)| *name == id);
            assert!(forwarded || deliberately, "`{id}` ({ways:?}) does not reach the other revision's plan");
            assert!(!(forwarded && deliberately), "`{id}` reaches the other revision's plan after all");
        }
    }

    /// The same for `cargo allocbench merge`'s arguments and its plan.
    #[test]
    fn every_merge_argument_reaches_its_plan() {
        let merge_plan = |args: &[String]| {
            let line = ["cargo-allocbench", "merge", "shard-1/report.json"].map(String::from);
            let cli = Cli::try_parse_from(line.into_iter().chain(args.iter().cloned())).unwrap();
            let Some(Command::Merge(merge)) = cli.command else { panic!("{args:?}") };
            merge.plan().unwrap()
        };
        let default = merge_plan(&[]);
        let mut merge = Cli::command().find_subcommand("merge").cloned().unwrap();
        for (id, ways) in every_argument(&mut merge, &["help"]) {
            let plans: Vec<MergePlan> = ways.iter().map(|args| merge_plan(args)).collect();
            assert!(plans.iter().any(|p| *p != default), "`{id}` ({ways:?}) leaves the merge's plan as it is");
            assert!(plans.iter().all(|p| through_json(p) == *p), "{id}");
        }
    }

    /// The plan the other revision's run reads is the plan written: through `--plan FILE`.
    #[test]
    fn the_plan_reaches_the_nested_run_through_its_file() {
        let plan = plan_of(
            &["--allocs-only", "--instructions", "--partition", "hash:2/3", "fan", "--", "--exact"].map(String::from),
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        std::fs::write(&path, serde_json::to_vec_pretty(&plan).unwrap()).unwrap();
        let nested = Cli::try_parse_from(["cargo-allocbench".as_ref(), "--plan".as_ref(), path.as_os_str()]).unwrap();
        assert_eq!(nested.plan().unwrap(), plan);
        std::fs::write(&path, "{}").unwrap();
        assert!(matches!(nested.plan(), Err(PlanError::Decode { .. })));
    }

    /// What `forwarded()` spelled out before the plan: the allocation-site pass covers every
    /// benchmark on the other side unless ours is off, and later runs of `--runs` time only.
    #[test]
    fn the_other_revision_keeps_what_it_was_given() {
        use crate::exec::revision::{plan_for_other_revision, OtherSide};
        let other = |timing_only| OtherSide {
            manifest: PathBuf::from("/w/Cargo.toml"),
            target_dir: PathBuf::from("/t"),
            out_dir: PathBuf::from("/o"),
            baseline_dir: PathBuf::from("/o/b"),
            name: "baseline-rev".to_owned(),
            timing_only,
        };
        let plan = plan_of(&["--instructions", "--baseline-rev", "main", "--runs", "3"].map(String::from));
        let plan = Plan { passes: Passes { heap: HeapProfile::Regressed, ..plan.passes }, ..plan };
        let first = plan_for_other_revision(&plan, &other(false));
        assert_eq!(first.passes.heap, HeapProfile::All);
        assert_eq!((first.passes.cpu.on, first.passes.timing.runs), (true, 1));
        assert_eq!(first.baselines.compare, BaselineSource::None);
        assert_eq!(first.baselines.save.as_deref(), Some("baseline-rev"));
        let later = plan_for_other_revision(&plan, &other(true));
        assert_eq!(
            (later.passes.heap, later.passes.cpu.on, later.passes.instructions.on),
            (HeapProfile::None, false, false)
        );
        let none = Plan { passes: Passes { heap: HeapProfile::None, ..plan.passes.clone() }, ..plan.clone() };
        assert_eq!(plan_for_other_revision(&none, &other(false)).passes.heap, HeapProfile::None);
    }
}
