//! One run of `cargo allocbench`, start to verdict: discover, check what the user can get wrong,
//! build, ask each bench executable whether it is an allocbench bench ([`probe`]), run the passes
//! ([`crate::passes`]) in order, compare, render, save. Returns the verdict; the binary turns it
//! into an exit code.
//!
//! The passes run in this order: timing (under `--baseline-rev` with `--runs`, each
//! run after one of the other revision's), instructions, CPU; then the comparison, and after it
//! the allocation-site pass, so that `--heap-profile regressed` knows what regressed; last, with
//! every stack, site and function known, what grew ([`grown`]).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::cargo::build;
use crate::cargo::discover::{self, BenchTarget};
use crate::cli::{Cli, MergeArgs};
use crate::criterion_args::CriterionArgs;
use crate::exec::probe;
use crate::exec::revision;
use crate::exec::run::{Mode, RunSpec};
use crate::exec::{listing, partition};
use crate::gate::merge;
use crate::gate::policy::{Policy, PolicyError};
use crate::gate::{baseline, compare, grown};
use crate::passes::timing::{self, Timing};
use crate::passes::{cpu, heap, instructions, Context};
use crate::publish::{self, publish, Outputs};
use crate::render::export;
use crate::report::{Report, Verdict, SCHEMA_VERSION};
use crate::ui::{Style, Ui};
use crate::{artifacts, environment};
use allocbench_formats::key::BenchmarkKey;
use allocbench_formats::partition::Partition;

/// Runs the whole job for `cli`.
pub fn run(cli: &Cli) -> Result<Verdict> {
    let ui = Ui::new(cli);
    let started = std::time::SystemTime::now();
    // Criterion's arguments after `--` are sorted before anything is built: a baseline flag of
    // criterion's is refused with ours, and a counting pass says which timing settings it leaves out.
    let criterion = CriterionArgs::resolve(&cli.criterion_args, cli.filter.as_deref())?;
    let listing = cli.list || criterion.list();
    let left_out = criterion.left_out_when_counting();
    if cli.allocs_only && !left_out.is_empty() && !listing {
        ui.note(&format!(
            "note: `{}` after `--` set criterion's timing, which --allocs-only does not measure: left out (its counting pass samples as it needs)",
            left_out.join("`, `")
        ));
    }
    let opts = cli.cargo_options();
    let project = discover::discover(&opts)?;
    for s in &project.skipped {
        ui.warn(&format!(
            "skipping bench target `{}/{}`: it does not use allocbench (in [dev-dependencies] write `{}`)",
            s.package,
            s.target,
            crate::cargo::dependency::line()
        ));
    }

    // Everything the user can get wrong is checked before the build, which may take minutes.
    let policy = policy_for(cli, &project)?;
    if cli.instructions {
        instructions::callgrind::check_valgrind()?;
    }
    let exports = cli.exports.iter().map(|e| export::parse_export_spec(e)).collect::<Result<Vec<_>, _>>()?;
    let out_dir = match &cli.out_dir {
        Some(d) => std::path::absolute(d).unwrap_or_else(|_| d.clone()),
        None => project.target_dir.join("allocbench"),
    };
    let baseline_dir = match &cli.baseline_dir {
        Some(d) => std::path::absolute(d).unwrap_or_else(|_| d.clone()),
        None => out_dir.join("baselines"),
    };
    if let Some(name) = &cli.save_baseline {
        baseline::validate_name(name)?;
        // Found now, not after minutes of measuring.
        std::fs::create_dir_all(&baseline_dir).map_err(|error| baseline::BaselineError::Unwritable {
            name: name.clone(),
            action: "cannot create folder",
            path: baseline_dir.clone(),
            error,
        })?;
    }
    let mut base = cli.baseline.as_deref().map(|name| baseline::load(&baseline_dir, name)).transpose()?;
    // `--baseline-rev`: the other revision's first run now; with `--runs`, its later runs
    // alternate with ours below, so that a machine whose speed drifts slows both sides alike.
    let other_rev = match &cli.baseline_rev {
        Some(rev) => {
            let dir = out_dir.join("baseline-rev").join("baselines");
            let manifest = locate_manifest(cli)?;
            revision::measure(cli, rev, &manifest, &project.target_dir, &out_dir, &dir, "baseline-rev", 1)?;
            let mut measured = baseline::load(&dir, "baseline-rev")?;
            measured.name = rev.clone();
            base = Some(measured);
            Some((rev, manifest, dir))
        }
        None => None,
    };
    std::fs::create_dir_all(&out_dir).with_context(|| format!("cannot create `{}`", out_dir.display()))?;

    let built = build::build_with(&opts, &project.targets, &project.target_dir, cli.quiet, &[])?;
    let without_debuginfo = built.without_debuginfo;
    let built = built.executables;
    // Autobenches' helper modules and other harnesses' targets are left out before anything runs.
    let timeout = std::time::Duration::from_secs(cli.timeout.max(1));
    let kinds = probe::probe(&project.targets, &built, &out_dir, timeout)?;
    let (benches, built) = probe::select(&project.targets, built, &kinds, |n| ui.note(n))?;
    let filter = cli.filter.as_deref().or(criterion.filter());
    if listing {
        listing::print(&benches, &listing::listed(&benches, &built, filter, timeout, &out_dir)?);
        return Ok(Verdict::Pass);
    }
    let (targets, executables, partition) = share(cli, filter, &benches, built.clone(), &out_dir)?;
    // Benchmarks' own output must not issue workflow commands (annotations, masks, outputs).
    let commands_stopped = (cli.verbose && publish::in_github_actions()).then(|| {
        let token = format!(
            "allocbench-{:016x}",
            allocbench_formats::fnv1a(format!("{:?}{}", std::time::SystemTime::now(), std::process::id()).as_bytes())
        );
        println!("::stop-commands::{token}");
        token
    });
    let ctx = Context {
        cli,
        criterion: &criterion,
        ui: &ui,
        out_dir: &out_dir,
        targets: &targets,
        executables: &executables,
    };
    let mut timing = Timing::new(cli);
    for run in 1..=cli.runs {
        if let (Some((rev, manifest, dir)), Some(base), true) = (&other_rev, base.as_mut(), run > 1) {
            let name = "baseline-rev-run";
            revision::measure(cli, rev, manifest, &project.target_dir, &out_dir, dir, name, run)?;
            timing::add_run(&ui, &mut base.benchmarks, &baseline::load(dir, name)?.benchmarks, run);
        }
        timing.measure(&ctx, run)?;
    }
    let (mut benchmarks, allocators) = timing.finish();
    // A run that measured nothing passes nothing, and leaves the last report as it was; a shard
    // of a partition whose selection is not empty may hold none.
    if benchmarks.is_empty() && partition.as_ref().is_none_or(|p| p.listed.is_empty()) {
        let all = listing::listed(&benches, &built, None, timeout, &out_dir)?;
        return Err(listing::nothing_measured(filter, all.iter().map(Vec::len).sum(), benches.len()).into());
    }

    if cli.instructions {
        instructions::run(&ctx, &mut benchmarks)?;
    }
    if !cli.allocs_only && !cli.no_cpu_profile {
        cpu::run(&ctx, &mut benchmarks)?;
    }

    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        environment: environment::capture(
            &project.workspace_root,
            &allocators,
            opts.profile_name(),
            opts.target.as_deref(),
        ),
        benchmarks,
        comparison: None,
        verdict: Verdict::Pass,
        partition,
    };
    let failed = report.benchmarks.iter().any(|b| b.error.is_some());
    if let Some(base) = base.as_mut() {
        // A baseline saved without keys is matched by id against the whole run: a shard's
        // listing names the benchmarks of every shard.
        let mut run: Vec<BenchmarkKey> = report.benchmarks.iter().map(|b| b.key()).collect();
        run.extend(report.partition.iter().flat_map(|p| p.listed.iter().map(|l| l.key())));
        baseline::place_unplaced(base, &run);
        merge::share_of_baseline(base, report.partition.as_ref())?;
    }
    if let Some(base) = &base {
        let comparison = compare::compare(base, &report, &policy);
        instructions::against_baseline(&ctx, base, &mut report);
        cpu::against_baseline(&ctx, base, &mut report);
        report.verdict = comparison.verdict();
        report.comparison = Some(comparison);
    }
    if failed {
        report.verdict = Verdict::Error;
    }
    let sites_build =
        heap::SitesBuild { opts: &opts, target_dir: &project.target_dir, without_debuginfo: &without_debuginfo };
    heap::run(&ctx, &mut report, base.as_ref(), &sites_build)?;
    if let Some(base) = &base {
        grown::what_grew(base, &mut report, &policy);
    }

    if let Some(token) = &commands_stopped {
        println!("::{token}::");
    }
    let outputs = Outputs { out_dir: &out_dir, format: cli.format, exports: &exports, style: ui.style };
    let report_path = publish(&report, &outputs)?;
    artifacts::remove_stale(&out_dir, &report, started).with_context(|| {
        format!("cannot remove an earlier run's files from `{}`", out_dir.join("benchmarks").display())
    })?;
    if let Some(c) = &report.comparison {
        for w in &c.warnings {
            ui.warn(w);
        }
        ui.note(&c.summary_line());
    }
    ui.note(
        &ui.style
            .dim(&format!("report: {} (report.json beside it)", report_path.with_file_name("report.html").display())),
    );

    if let Some(name) = &cli.save_baseline {
        save_baseline(&ui, &baseline_dir, name, &report, base.is_some())?;
    }
    Ok(report.verdict)
}

/// `cargo allocbench merge`: the shards' reports joined and published as one run's.
pub fn merge(args: &MergeArgs) -> Result<Verdict> {
    let style = Style { color: args.color.enabled(std::io::stderr().is_terminal()) };
    let ui = Ui::quiet(style);
    let exports = args.exports.iter().map(|e| export::parse_export_spec(e)).collect::<Result<Vec<_>, _>>()?;
    let out_dir = std::path::absolute(args.out_dir.clone().unwrap_or_else(|| PathBuf::from("target/allocbench")))?;
    let mut shards = Vec::new();
    for path in &args.reports {
        let mut report = merge::read_report(path)?;
        // The shard's files stay where its report is: the merged report links to them there.
        let shard_dir = std::path::absolute(path)?.parent().map(Path::to_owned).unwrap_or_default();
        for b in &mut report.benchmarks {
            artifacts::rebase(&mut b.artifacts, &shard_dir, &out_dir);
        }
        shards.push((path.clone(), report));
    }
    let report = merge::merge(shards)?;
    std::fs::create_dir_all(&out_dir).with_context(|| format!("cannot create `{}`", out_dir.display()))?;
    let report_path = publish(&report, &Outputs { out_dir: &out_dir, format: args.format, exports: &exports, style })?;
    if let Some(c) = &report.comparison {
        for w in &c.warnings {
            ui.warn(w);
        }
        ui.note(&c.summary_line());
    }
    ui.note(
        &ui.style
            .dim(&format!("report: {} (report.json beside it)", report_path.with_file_name("report.html").display())),
    );
    Ok(report.verdict)
}

/// `--partition`: every target lists its benchmarks, and those of other shards are left out;
/// a target with none in this shard is not run at all.
fn share(
    cli: &Cli,
    filter: Option<&str>,
    targets: &[BenchTarget],
    executables: Vec<PathBuf>,
    out_dir: &Path,
) -> Result<(Vec<BenchTarget>, Vec<PathBuf>, Option<Partition>)> {
    let Some(spec) = cli.partition else { return Ok((targets.to_vec(), executables, None)) };
    let list_spec = RunSpec {
        pass: Mode::AllocsOnly,
        filter: filter.map(str::to_owned),
        criterion_args: Vec::new(),
        env: Vec::new(),
        counting_times: None,
        timeout: std::time::Duration::from_secs(cli.timeout.max(1)),
        verbose: false,
        wrapper: Vec::new(),
        program: None,
    };
    let share = partition::share(spec, targets, &executables, &list_spec, out_dir)?;
    let mut kept_targets = Vec::new();
    let mut kept = Vec::new();
    for ((target, exe), selection) in targets.iter().zip(executables).zip(share.filters) {
        if let Some(selection) = selection {
            kept_targets.push(BenchTarget { selection: Some(selection), ..target.clone() });
            kept.push(exe);
        }
    }
    Ok((kept_targets, kept, Some(share.partition)))
}

/// The manifest cargo would use: `--manifest-path`, or the one `cargo locate-project` finds.
fn locate_manifest(cli: &Cli) -> Result<PathBuf> {
    if let Some(m) = &cli.manifest_path {
        return Ok(std::path::absolute(m)?);
    }
    let out = std::process::Command::new(build::cargo())
        .args(["locate-project", "--message-format", "plain"])
        .output()
        .context("cannot run `cargo locate-project`")?;
    anyhow::ensure!(out.status.success(), "`cargo locate-project` found no Cargo.toml here; pass --manifest-path");
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// The policy: workspace and package metadata, then the command line.
fn policy_for(cli: &Cli, project: &discover::Project) -> Result<Policy> {
    // One package's own settings apply when one package is measured; with several, the
    // workspace's apply to all.
    let package = match project.package_metadata.as_slice() {
        [(_, manifest, meta)] => Some((manifest, meta)),
        _ => None,
    };
    let mut policy =
        Policy::from_metadata(&project.workspace_metadata, package.map(|(_, meta)| meta)).map_err(|e| match &e {
            // Name the file to edit: the workspace's manifest, or the package's.
            PolicyError::Config { location, .. } => {
                let manifest = match package {
                    Some((manifest, _)) if location.contains("[package.") => manifest.clone(),
                    _ => project.workspace_root.join("Cargo.toml"),
                };
                anyhow::anyhow!("{}: {e}", manifest.display())
            }
            PolicyError::Cli { .. } => e.into(),
        })?;
    for spec in &cli.limits {
        policy.add_limit(spec)?;
    }
    if cli.fail_on_time {
        policy.set_fail_on_time(true);
    }
    Ok(policy)
}

/// Saves the baseline when the run allows it, and says what happened.
fn save_baseline(ui: &Ui, dir: &Path, name: &str, report: &Report, compared: bool) -> Result<()> {
    match report.verdict {
        Verdict::Regressed => {
            ui.warn(&format!(
                "not saving baseline `{name}`: the comparison found regressions; the old baseline is kept"
            ));
            Ok(())
        }
        Verdict::Error => {
            ui.warn(&format!("not saving baseline `{name}`: benchmarks failed; the old baseline is kept"));
            Ok(())
        }
        Verdict::Pass => {
            let path = baseline::save(dir, name, report)?;
            let how = if compared { " after the comparison passed" } else { "" };
            ui.note(&format!("saved baseline `{name}`{how}: {}", path.display()));
            Ok(())
        }
    }
}
