//! One run of `cargo allocbench`, start to verdict: discover, build, run the passes, collect,
//! report, compare, save. Returns the verdict; the binary turns it into an exit code.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};

use crate::cargo::build;
use crate::cargo::discover::{self, BenchTarget};
use crate::cli::{Cli, Format, HeapProfile};
use crate::exec::revision;
use crate::exec::run::{self, Failure, Mode, RunFiles, RunSpec};
use crate::gate::baseline::Baseline;
use crate::gate::policy::{Policy, PolicyError};
use crate::gate::{baseline, compare};
use crate::passes::linear::{self, Measured};
use crate::passes::records;
use crate::passes::timing::{self, Timing};
use crate::passes::{cpu, heap, instructions, Context};
use crate::render::table;
use crate::render::units::printable;
use crate::render::{export, github, html, markdown};
use crate::report::{Report, Verdict, SCHEMA_VERSION};
use crate::ui::Ui;
use crate::{artifacts, environment};

/// Runs the whole job for `cli`.
pub fn run(cli: &Cli) -> Result<Verdict> {
    let ui = Ui::new(cli);
    let opts = cli.cargo_options();
    let project = discover::discover(&opts)?;
    for s in &project.skipped {
        ui.warn(&format!(
            "skipping bench target `{}/{}`: it does not use allocbench (in [dev-dependencies] write `criterion = {{ package = \"allocbench\", version = \"0.1\" }}`)",
            s.package, s.target
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

    let executables = build::build(&opts, &project.targets, &project.target_dir, false)?;
    // Benchmarks' own output must not issue workflow commands (annotations, masks, outputs).
    let commands_stopped = (cli.verbose && in_github_actions()).then(|| {
        let token = format!(
            "allocbench-{:016x}",
            artifacts::fnv1a(format!("{:?}{}", std::time::SystemTime::now(), std::process::id()).as_bytes())
        );
        println!("::stop-commands::{token}");
        token
    });
    let ctx = Context { cli, ui: &ui, out_dir: &out_dir, targets: &project.targets, executables: &executables };
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

    if cli.instructions {
        instructions::run(&ctx, &mut benchmarks)?;
    }
    if !cli.allocs_only && !cli.no_cpu_profile {
        cpu::run(&ctx, &mut benchmarks)?;
    }

    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        environment: environment::capture(&project.workspace_root, &allocators),
        benchmarks,
        comparison: None,
        verdict: Verdict::Pass,
    };
    let failed = report.benchmarks.iter().any(|b| b.error.is_some());
    if let Some(base) = &base {
        let mut comparison = compare::compare(base, &report, &policy);
        instructions::against_baseline(&ctx, base, &mut report, &mut comparison, &policy);
        cpu::against_baseline(&ctx, base, &mut report, &mut comparison);
        report.verdict = comparison.verdict();
        report.comparison = Some(comparison);
    }
    if failed {
        report.verdict = Verdict::Error;
    }
    heap_pass(cli, &ui, &project.targets, &executables, &out_dir, &mut report, base.as_ref())?;

    if let Some(token) = &commands_stopped {
        println!("::{token}::");
    }
    let report_path = out_dir.join("report.json");
    baseline::write_atomic(&report_path, &serde_json::to_vec_pretty(&report)?)?;
    baseline::write_atomic(&out_dir.join("report.html"), html::render(&report).as_bytes())?;
    for (format, path) in &exports {
        export::write(&report, *format, path)?;
    }
    let markdown = markdown::render(&report);
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty()) {
        append(Path::new(&summary), &markdown)?;
    }
    if in_github_actions() {
        // On stderr: the runner reads workflow commands there too, and stdout keeps its format.
        for line in github::annotations(&report) {
            eprintln!("{line}");
        }
    }

    match cli.format {
        Format::Table => {
            print!("{}", table::render(&report, ui.style));
            print!("{}", table::render_sites(&report, 3, ui.style));
            if let Some(c) = &report.comparison {
                print!("{}", table::render_comparison(c, ui.style));
            }
        }
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Markdown => print!("{markdown}"),
    }
    if report.benchmarks.is_empty() {
        ui.warn("no benchmark was measured: does the filter match any id? `-- --list` lists them");
    }
    if let Some(c) = &report.comparison {
        for w in &c.warnings {
            ui.warn(w);
        }
        ui.note(&c.summary_line());
    }
    ui.note(&ui.style.dim(&format!("report: {}", report_path.display())));

    if let Some(name) = &cli.save_baseline {
        save_baseline(&ui, &baseline_dir, name, &report, base.is_some())?;
    }
    Ok(report.verdict)
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

/// The allocation-site pass over the benchmarks `--heap-profile` selects: stacks, sites,
/// `heap.pb.gz` and `alloc-flamegraph.svg` per benchmark, and the sites that grew against the
/// baseline. Like the CPU pass, a failure here costs the sites, never the figures.
fn heap_pass(
    cli: &Cli,
    ui: &Ui,
    targets: &[BenchTarget],
    executables: &[PathBuf],
    out_dir: &Path,
    report: &mut Report,
    base: Option<&Baseline>,
) -> Result<()> {
    let regressed = |id: &str| {
        report.comparison.as_ref().and_then(|c| c.get(id)).is_some_and(|c| c.status == compare::Status::Regressed)
    };
    let selected: Vec<(String, String, String)> = report
        .benchmarks
        .iter()
        .filter(|b| b.alloc.is_some() && !b.alloc.is_some_and(|a| a.approximate))
        .filter(|b| match cli.heap_profile() {
            HeapProfile::All => true,
            HeapProfile::Regressed => regressed(&b.id),
            HeapProfile::None => false,
        })
        .map(|b| (b.package.clone(), b.target.clone(), b.id.clone()))
        .collect();
    for (k, (target, exe)) in targets.iter().zip(executables).enumerate() {
        let ids: Vec<&str> = selected
            .iter()
            .filter(|(p, t, _)| p == &target.package && t == &target.target)
            .map(|(_, _, id)| id.as_str())
            .collect();
        if ids.is_empty() {
            continue;
        }
        // Criterion filters on the full id: a duplicate's title (`ID #2`) is matched by its id.
        let full_id = |id: &str| run::without_counter(id).to_owned();
        let filter =
            format!("^(?:{})$", ids.iter().map(|id| regex::escape(&full_id(id))).collect::<Vec<_>>().join("|"));
        let spec = RunSpec {
            pass: Mode::Heap,
            filter: Some(filter),
            criterion_args: Vec::new(),
            env: Vec::new(),
            counting_times: None,
            timeout: Duration::from_secs(cli.timeout.max(1)),
            verbose: cli.verbose,
            wrapper: Vec::new(),
        };
        let label = format!("allocation sites {}/{} ({}/{})", target.package, target.target, k + 1, targets.len());
        let bar = ui.bar(0, &label);
        let files = RunFiles::new(out_dir, Mode::Heap, target);
        let failures = run::run(exe, target, &spec, &files, |done| {
            bar.set_message(format!("{done} of {} benchmarks", ids.len()))
        })?;
        // Sites follow the benchmark's figures: from samples of two iteration counts or more.
        let mut recorded = Measured::read(&files)?;
        let flat = recorded.flat();
        let again = linear::resample(exe, target, Mode::Heap, &spec, &files, &flat, |id| {
            bar.set_message(format!("`{}` again, with linear sampling", printable(id)))
        })?;
        bar.finish_and_clear();
        for (id, failure) in &again.failures {
            ui.warn(&format!(
                "allocation sites of `{}`: sampled flat, and measuring it again failed ({}); no sites",
                printable(id),
                printable(&failure.reason)
            ));
        }
        let lost: Vec<&String> = again.failures.iter().map(|(id, _)| id).collect();
        recorded.records.retain(|r| !lost.contains(&&r.id));
        recorded.replace_with(again.measured);
        for rec in recorded.records {
            let Some(joined) = recorded.criterion.get(&rec.id).and_then(|c| records::join(&rec, c)) else { continue };
            let Some(b) = report
                .benchmarks
                .iter_mut()
                .find(|b| b.id == rec.id && b.package == target.package && b.target == target.target)
            else {
                continue;
            };
            let stacks = heap::stacks(&rec.sites, &joined);
            let old = base.and_then(|base| base.benchmarks.iter().find(|o| o.id == b.id));
            let base_stacks = old.map(|o| o.heap_stacks.as_slice()).filter(|s| !s.is_empty());
            match heap::write(&b.id, &stacks, base_stacks, out_dir) {
                Ok(a) => {
                    b.artifacts.heap_profile = Some(a.heap_profile);
                    b.artifacts.alloc_flamegraph = a.alloc_flamegraph;
                }
                Err(e) => ui.warn(&e.to_string()),
            }
            b.sites = heap::sites(&stacks, &target.package);
            b.heap_stacks = stacks;
            if let (Some(old), Some(c)) =
                (old, report.comparison.as_mut().and_then(|c| c.benchmarks.iter_mut().find(|c| c.id == b.id)))
            {
                if c.status == compare::Status::Regressed {
                    if old.sites.is_empty() {
                        ui.note(&format!(
                            "`{}`: the baseline has no allocation sites to compare with; save it with `--heap-profile all` to see which sites grew",
                            printable(&b.id)
                        ));
                    } else {
                        c.sites_grew = heap::grown(&old.sites, &b.sites);
                    }
                }
            }
        }
        warn_side_pass_failures(ui, "allocation-site pass", "no sites", target, &failures, &files);
    }
    Ok(())
}

/// A profiling pass's failures cost what it adds, never the figures: say so, per benchmark.
fn warn_side_pass_failures(
    ui: &Ui,
    pass: &str,
    lost: &str,
    target: &BenchTarget,
    failures: &[Failure],
    files: &RunFiles,
) {
    for f in failures {
        ui.warn(&format!(
            "{pass} of `{}/{}` failed at `{}`: {}; the figures stand, that benchmark has {lost} (log: {})",
            target.package,
            target.target,
            printable(f.title.as_deref().unwrap_or("(before any benchmark)")),
            printable(&f.reason),
            files.log.display()
        ));
    }
}

/// Running as a GitHub Actions step.
fn in_github_actions() -> bool {
    std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true")
}

/// Appends `text` to a file (`$GITHUB_STEP_SUMMARY`).
fn append(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open `{}` (GITHUB_STEP_SUMMARY)", path.display()))?;
    f.write_all(text.as_bytes()).with_context(|| format!("cannot write `{}`", path.display()))
}
