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
}
