//! One run of `cargo allocbench`, start to verdict, in phases whose products do not change once
//! made: prepare (discover, check, build, probe: `prepare`) → measure (the timing pass and the
//! plug-in passes, and the baseline: `measure`) → judge (compare with the baseline, the
//! verdict: [`crate::gate::judge`]) → follow up on the verdict (the allocation-site pass of
//! regressed benchmarks, what a baseline adds, what grew: `follow_up`) → assemble the report,
//! once → publish, and save the baseline. Returns the verdict; the binary turns it into an exit
//! code.

mod measure;
mod prepare;

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context as _, Result};

use crate::artifacts;
use crate::follow_up::FollowUp;
use crate::gate::baseline::{self, Baseline};
use crate::gate::judge::{judge, Judgement};
use crate::gate::merge;
use crate::measurements::Measurements;
use crate::passes::plugin::{Judged, PLUGINS};
use crate::plan::{MergePlan, Plan};
use crate::publish::{self, publish, Outputs};
use crate::report::{Report, Verdict};
use crate::reporter::Reporter;
use crate::ui::{Style, Ui};

/// Runs the whole job `plan` describes.
pub fn run(plan: &Plan) -> Result<Verdict> {
    let ui = Ui::new(&plan.output);
    // What the engine says goes through it; its warnings end up in the report too.
    let reporter = Reporter::new(&ui);
    let started = std::time::SystemTime::now();
    let Some(mut setup) = prepare::prepare(plan, &reporter)? else { return Ok(Verdict::Pass) };
    // Benchmarks' own output must not issue workflow commands (annotations, masks, outputs).
    let commands_stopped = (plan.output.verbose && publish::in_github_actions()).then(stop_commands);
    let (run, mut base) = measure::measure(&mut setup)?;
    let judgement = judge(base.as_mut(), &run, &setup.policy)?;
    let followed = follow_up(&setup.context(), &run, base.as_ref(), &judgement, &setup.policy)?;
    if let Some(token) = &commands_stopped {
        println!("::{token}::");
    }
    let report = run.report(&followed, judgement.comparison, judgement.verdict, reporter.warnings());
    let outputs =
        Outputs { out_dir: &setup.out_dir, format: plan.output.format, exports: &plan.output.exports, style: ui.style };
    let report_path = publish(&report, &outputs)?;
    artifacts::remove_stale(&setup.out_dir, &report, started).with_context(|| {
        format!("cannot remove an earlier run's files from `{}`", setup.out_dir.join("benchmarks").display())
    })?;
    summarize(&ui, &report, &report_path);
    if let Some(name) = &plan.baselines.save {
        save_baseline(&ui, &setup.baseline_dir, name, &run.followed_up(&followed), report.verdict, base.is_some())?;
    }
    Ok(report.verdict)
}

/// After the verdict: what each pass adds against the baseline, the passes that follow up on
/// the verdict (the allocation-site pass of the benchmarks that regressed), then, with every
/// stack, site and function known, what grew. The run and the judgement stay as they were; what
/// this finds is its own product, which the report and the saved baseline take in.
fn follow_up(
    ctx: &crate::passes::Context,
    run: &Measurements,
    base: Option<&Baseline>,
    judgement: &Judgement,
    policy: &crate::gate::policy::Policy,
) -> Result<FollowUp> {
    let enabled = || PLUGINS.iter().filter(|p| p.enabled(ctx));
    let mut found = FollowUp::default();
    if let Some(base) = base {
        for plugin in enabled() {
            found.add(plugin.against_baseline(ctx, base, &run.benchmarks));
        }
    }
    for plugin in enabled() {
        found.add(plugin.follow_up(
            ctx,
            &run.benchmarks,
            Judged { base, comparison: judgement.comparison.as_ref() },
        )?);
    }
    if let (Some(base), Some(comparison)) = (base, &judgement.comparison) {
        // The passes name what grew in a copy of the judge's comparison, from the benchmarks
        // with what was just found.
        let benchmarks = found.apply(&run.benchmarks);
        let mut named = comparison.clone();
        for plugin in enabled() {
            plugin.grew(base, &benchmarks, &mut named, policy);
        }
        crate::gate::grown::threads_left(&benchmarks, &mut named);
        crate::gate::grown::syscalls_grew(base, &benchmarks, &mut named);
        found.take_growth(named);
    }
    Ok(found)
}

/// A token that stops GitHub's workflow commands until it is printed again.
fn stop_commands() -> String {
    let token = format!(
        "allocbench-{:016x}",
        allocbench_formats::fnv1a(format!("{:?}{}", std::time::SystemTime::now(), std::process::id()).as_bytes())
    );
    println!("::stop-commands::{token}");
    token
}

/// The comparison's warnings and summary line, and where the report is.
fn summarize(ui: &Ui, report: &Report, report_path: &Path) {
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
}

/// `cargo allocbench merge`: the shards' reports joined and published as one run's.
pub fn merge(plan: &MergePlan) -> Result<Verdict> {
    let style = Style { color: plan.color.enabled(std::io::stderr().is_terminal()) };
    let ui = Ui::quiet(style);
    let out_dir = &plan.out_dir;
    let mut shards = Vec::new();
    for path in &plan.reports {
        let mut report = merge::read_report(path)?;
        // The shard's files stay where its report is: the merged report links to them there.
        let shard_dir = std::path::absolute(path)?.parent().map(Path::to_owned).unwrap_or_default();
        for b in &mut report.benchmarks {
            artifacts::rebase(&mut b.artifacts, &shard_dir, out_dir);
        }
        shards.push((path.clone(), report));
    }
    let report = merge::merge(shards)?;
    std::fs::create_dir_all(out_dir).with_context(|| format!("cannot create `{}`", out_dir.display()))?;
    let report_path = publish(&report, &Outputs { out_dir, format: plan.format, exports: &plan.exports, style })?;
    summarize(&ui, &report, &report_path);
    Ok(report.verdict)
}

/// Saves the baseline when the run allows it, and says what happened.
fn save_baseline(ui: &Ui, dir: &Path, name: &str, run: &Measurements, verdict: Verdict, compared: bool) -> Result<()> {
    match verdict {
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
            let path = baseline::save(dir, name, run)?;
            let how = if compared { " after the comparison passed" } else { "" };
            ui.note(&format!("saved baseline `{name}`{how}: {}", path.display()));
            Ok(())
        }
    }
}
