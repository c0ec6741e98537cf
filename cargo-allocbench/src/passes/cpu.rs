//! The CPU pass: each target again under criterion's `--profile-time`, in a process of its own;
//! per benchmark, `flamegraph.svg` (inferno) from the folded stacks the harness wrote,
//! `cpu.pb.gz` for `go tool pprof`, and the functions with the most self time. A crash or hang
//! here costs flame graphs, never the figures already measured. Against a baseline: a
//! differential flame graph (which functions' shares grew is the gate's: [`crate::gate::grown`]).

use std::fs;
use std::path::Path;
use std::time::Duration;

use allocbench_formats::key::BenchmarkKey;
pub use allocbench_formats::report::CpuSummary;

use crate::artifacts;
use crate::cargo::discover::BenchTarget;
use crate::exec::run::{Mode, RunFiles, RunSpec};
use crate::folded;
use crate::gate::baseline::Baseline;
use crate::passes::records::{self, CpuProfileRecord};
use crate::passes::{pprof_names, warn_side_pass_failures, Context, Pass, TargetRun};
use crate::render::units::printable;
use allocbench_formats::comparison::Comparison;
use allocbench_formats::measured::MeasuredBenchmark;
use allocbench_formats::report::ArtifactKind;

use crate::follow_up::Additions;
use crate::gate::grown;
use crate::gate::policy::Policy;
use crate::passes::plugin::Plugin;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CpuError {
    #[error("cannot read the CPU profile in `{path}`: {source}")]
    Read { path: std::path::PathBuf, source: std::io::Error },
    #[error("cannot read the CPU profile `{path}` as pprof's gzipped profile.proto: {source}")]
    Decode { path: std::path::PathBuf, source: std::io::Error },
    #[error("cannot write `{path}`: {source}")]
    Write { path: std::path::PathBuf, source: std::io::Error },
}

/// The files of one benchmark's CPU profile, placed in the output folder.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuArtifacts {
    /// Relative to the output folder.
    pub flamegraph: String,
    pub cpu_profile: String,
    pub folded: String,
    pub summary: CpuSummary,
}

/// The CPU pass as a plug-in ([`crate::passes::plugin`]).
pub struct CpuPass;

/// Its entry in [`crate::passes::plugin::PLUGINS`].
pub static PLUGIN: CpuPass = CpuPass;

impl Plugin for CpuPass {
    fn name(&self) -> &'static str {
        "CPU pass"
    }

    fn flag(&self) -> &'static str {
        "--no-cpu-profile"
    }

    fn mode(&self) -> Mode {
        Mode::Cpu
    }

    fn artifacts(&self) -> &'static [ArtifactKind] {
        &[ArtifactKind::Flamegraph, ArtifactKind::CpuDiffFlamegraph, ArtifactKind::CpuProfile]
    }

    fn enabled(&self, ctx: &Context) -> bool {
        ctx.plan.passes.cpu.on
    }

    fn measure(&self, ctx: &Context, benchmarks: &mut [MeasuredBenchmark]) -> anyhow::Result<()> {
        run(ctx, benchmarks)
    }

    fn against_baseline(&self, ctx: &Context, base: &Baseline, benchmarks: &[MeasuredBenchmark]) -> Additions {
        against_baseline(ctx, base, benchmarks)
    }

    fn grew(&self, base: &Baseline, benchmarks: &[MeasuredBenchmark], comparison: &mut Comparison, policy: &Policy) {
        grown::cpu_grew(base, benchmarks, comparison, policy);
    }
}

/// Runs the CPU pass, attaching profiles to `benchmarks`; warns when the profiles got far fewer
/// samples than a `--frequency` the user gave asks for (the default asks for more than most
/// kernels give, and says nothing).
pub fn run(ctx: &Context, benchmarks: &mut [MeasuredBenchmark]) -> anyhow::Result<()> {
    crate::passes::run(ctx, &mut Cpu { benchmarks })?;
    let samples = benchmarks.iter().filter_map(|b| b.cpu.as_ref().map(|c| c.samples));
    let settings = &ctx.plan.passes.cpu;
    let asked = settings.frequency.and_then(|f| sampling_shortfall(samples, settings.profile_time, f));
    if let Some(warning) = asked {
        ctx.events.warn(&warning);
    }
    Ok(())
}

/// The CPU pass, attaching to the timing pass's benchmarks.
struct Cpu<'a> {
    benchmarks: &'a mut [MeasuredBenchmark],
}

impl Pass for Cpu<'_> {
    /// Nothing is measured again: the records are read once the target's progress is over.
    type Collected = ();

    fn mode(&self) -> Mode {
        Mode::Cpu
    }

    fn label(&self, place: &str) -> String {
        format!("CPU profile {place}")
    }

    fn progress(&self, done: usize) -> String {
        format!("{done} benchmarks profiled")
    }

    fn spec(&mut self, ctx: &Context, target: &BenchTarget, _: &RunFiles) -> anyhow::Result<Option<RunSpec>> {
        let settings = &ctx.plan.passes.cpu;
        let profile_time = settings.profile_time;
        Ok(Some(RunSpec {
            // Criterion 0.8.2's profile mode warms up for 1 s whatever this says (Routine::profile);
            // kept so that a criterion that honours it warms up briefly.
            criterion_args: ["--profile-time", &profile_time.to_string(), "--warm-up-time", "0.5"]
                .map(String::from)
                .to_vec(),
            env: vec![
                (allocbench_formats::env::CPU_FREQUENCY.to_owned(), settings.sampling_frequency().to_string()),
                (
                    allocbench_formats::env::CPU_COMPLETE.to_owned(),
                    if settings.complete { "1" } else { "0" }.to_owned(),
                ),
            ],
            // A profile takes criterion's warm-up and then `profile_time` before it is written.
            timeout: ctx.timeout() + Duration::from_secs(2 * profile_time),
            ..ctx.share_spec(Mode::Cpu, target)
        }))
    }

    fn collect(&mut self, _: &Context, _: &TargetRun) -> anyhow::Result<()> {
        Ok(())
    }

    fn attach(&mut self, ctx: &Context, run: &TargetRun, (): ()) -> anyhow::Result<()> {
        let target = run.target;
        let folders = artifacts::Folders::new(self.benchmarks);
        for rec in &records::read_records(&run.files.records)? {
            let Some(profile) = &rec.cpu_profile else { continue };
            let key = BenchmarkKey::new(&target.package, &target.target, &rec.id);
            let Some(b) = self
                .benchmarks
                .iter_mut()
                .find(|b| b.id == rec.id && b.package == target.package && b.target == target.target)
            else {
                continue;
            };
            match place(&folders.name(&key), &folders.of(&key), profile, ctx.out_dir) {
                Ok(placed) => {
                    b.kept.cpu_folded = std::fs::read_to_string(ctx.out_dir.join(&placed.folded)).unwrap_or_default();
                    b.artifacts.flamegraph = Some(placed.flamegraph);
                    b.artifacts.cpu_profile = Some(placed.cpu_profile);
                    b.cpu = Some(placed.summary);
                }
                Err(e) => ctx.events.warn(&format!("CPU profile of `{}`: {e}", printable(&rec.id))),
            }
        }
        warn_side_pass_failures(ctx.events, "CPU pass", "no flame graph", run);
        Ok(())
    }
}

/// Where both runs have CPU stacks: a differential flame graph beside the benchmark's own. The
/// functions whose share grew are the gate's to name ([`crate::gate::grown`]).
pub fn against_baseline(ctx: &Context, base: &Baseline, benchmarks: &[MeasuredBenchmark]) -> Additions {
    let folders = artifacts::Folders::new(benchmarks);
    let mut added = Additions::new();
    for b in benchmarks {
        let key = b.key();
        let Some(old) = base.benchmarks.iter().find(|o| o.is(&key) && !o.kept.cpu_folded.is_empty()) else { continue };
        if b.kept.cpu_folded.is_empty() {
            continue;
        }
        let path = ctx.out_dir.join(folders.of(&key)).join("flamegraph-diff.svg");
        let title = format!("{}: CPU time against baseline `{}`", folders.name(&key), base.name);
        match folded::draw_diff(&old.kept.cpu_folded, &b.kept.cpu_folded, &title, &path) {
            Ok(()) => {
                added.entry(key).or_default().artifacts.cpu_diff_flamegraph =
                    Some(artifacts::relative(&path, ctx.out_dir));
            }
            Err(e) => ctx.events.warn(&e.to_string()),
        }
    }
    added
}

/// Places the CPU profile of benchmark `name` in its `folder` ([`artifacts::Folders`]) of the
/// output folder and summarises it.
pub fn place(name: &str, folder: &Path, profile: &CpuProfileRecord, out_dir: &Path) -> Result<CpuArtifacts, CpuError> {
    let read = |name: &str| {
        let path = profile.dir.join(name);
        fs::read(&path).map_err(|source| CpuError::Read { path, source })
    };
    let folded_text = String::from_utf8_lossy(&read("cpu.folded")?).into_owned();
    let pb = read("cpu.pb.gz")?;
    let pb = keep_names(&pb).map_err(|source| CpuError::Decode { path: profile.dir.join("cpu.pb.gz"), source })?;
    let folder = out_dir.join(folder);
    fs::create_dir_all(&folder).map_err(|source| CpuError::Write { path: folder.clone(), source })?;
    let write = |name: &str, bytes: &[u8]| {
        let path = folder.join(name);
        fs::write(&path, bytes).map_err(|source| CpuError::Write { path: path.clone(), source }).map(|_| path)
    };
    let pb_path = write("cpu.pb.gz", &pb)?;
    let folded_path = write("cpu.folded", folded_text.as_bytes())?;
    let stacks = folded::parse(&folded_text);
    let (samples, top) = folded::top_functions(&stacks, folded::TOP);
    let svg_path = folder.join("flamegraph.svg");
    // The samples taken, not the frequency asked: the kernel's timer tick caps the rate.
    let subtitle = format!(
        "{samples} CPU samples while criterion ran the routine; criterion's frames cut away, allocbench's counting under the code that allocated"
    );
    folded::draw(&stacks, &format!("{name}: CPU time"), &subtitle, "samples", &svg_path)
        .map_err(|e| CpuError::Write { path: e.path, source: e.source })?;
    Ok(CpuArtifacts {
        flamegraph: artifacts::relative(&svg_path, out_dir),
        cpu_profile: artifacts::relative(&pb_path, out_dir),
        folded: artifacts::relative(&folded_path, out_dir),
        summary: CpuSummary { samples, frequency_hz: profile.frequency, top },
    })
}

/// `cpu.pb.gz` as pprof-rs wrote it, with the function table rewritten by the rule heap profiles
/// follow ([`pprof_names`]), so that `go tool pprof` shows trait impls with their types.
fn keep_names(gzipped: &[u8]) -> std::io::Result<Vec<u8>> {
    use pprof::protos::{Message, Profile};
    use std::io::{Read, Write};

    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(gzipped).read_to_end(&mut raw)?;
    let mut profile = Profile::decode(raw.as_slice()).map_err(std::io::Error::other)?;
    pprof_names::keep_names(&mut profile);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&profile.encode_to_vec())?;
    gz.finish()
}

/// A warning when even the best-sampled profile got under half the samples `--frequency` asks
/// for. The profiler's signal is driven by the kernel's timer tick, so a 250 Hz kernel gives about
/// 225 samples a second whatever is asked; samples whose leaf is in libc are dropped as well, so
/// only the best profile says what the machine can do.
pub fn sampling_shortfall(samples: impl Iterator<Item = u64>, profile_secs: u64, frequency: u32) -> Option<String> {
    let best = samples.max()?;
    let rate = best as f64 / profile_secs.max(1) as f64;
    (rate < f64::from(frequency) / 2.0).then(|| {
        format!(
            "CPU profiles got at most {rate:.0} samples/s, not the {frequency} Hz asked: the kernel's timer tick \
             limits the sampling rate; for finer flame graphs, profile longer (--profile-time)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_shortfall_looks_at_the_best_profile() {
        // 2 s at 997 Hz asked; 450 samples is a 250 Hz kernel's rate.
        let warning = sampling_shortfall([120, 450, 300].into_iter(), 2, 997).expect("a warning");
        assert!(warning.contains("at most 225 samples/s") && warning.contains("997 Hz"), "{warning}");
        assert_eq!(sampling_shortfall([1900, 40].into_iter(), 2, 997), None, "one profile got the rate");
        assert_eq!(sampling_shortfall(std::iter::empty(), 2, 997), None, "no profile, nothing to say");
    }

    #[test]
    fn placed_profiles_keep_their_names() {
        use pprof::protos::{self, Message};
        use std::io::{Read, Write};

        let name = "<cpu_fixture::Spinner as core::iter::traits::iterator::Iterator>::next";
        let mangled = "_ZN3cpu4spin17h0123456789abcdefE";
        let profile = protos::Profile {
            string_table: ["", name, mangled, "cpu::spin"].map(String::from).to_vec(),
            function: vec![
                protos::Function { id: 1, name: 1, system_name: 1, ..Default::default() },
                protos::Function { id: 2, name: 3, system_name: 2, ..Default::default() },
            ],
            ..Default::default()
        };
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&profile.encode_to_vec()).unwrap();
        let rewritten = keep_names(&gz.finish().unwrap()).unwrap();
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(rewritten.as_slice()).read_to_end(&mut raw).unwrap();
        let back = protos::Profile::decode(raw.as_slice()).unwrap();
        let system: Vec<&str> =
            back.function.iter().map(|f| back.string_table[f.system_name as usize].as_str()).collect();
        assert_eq!(system, ["", mangled]);
        assert!(keep_names(b"not gzip").is_err());
    }
}
