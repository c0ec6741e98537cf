//! `--baseline-rev REV`: measure another revision of the repository as the baseline, in a
//! temporary git worktree with a target directory of its own, so that one command does locally
//! what the CI gate does with a pull request's base and head.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::events::{Event, Sink};
use crate::plan::{BaselineSource, HeapProfile, Plan};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RevisionError {
    #[error("`--baseline-rev` needs a git repository, and `{dir}` is not in one (`git rev-parse` said: {detail})")]
    NotARepository { dir: PathBuf, detail: String },
    #[error("`--baseline-rev {rev}`: git knows no such revision; fetch it (`git fetch origin {rev}`) or name a commit, branch or tag")]
    UnknownRevision { rev: String },
    #[error("cannot create a worktree for `{rev}` in `{dir}`: {detail}")]
    Worktree { rev: String, dir: PathBuf, detail: String },
    #[error("cannot run `{program}`: {source}")]
    Spawn { program: String, source: std::io::Error },
    #[error("measuring `{rev}` failed ({status}); its output is above")]
    Failed { rev: String, status: String },
    #[error("cannot hand the plan to the run of `{rev}`: {source}")]
    WritePlan { rev: String, source: crate::atomic::WriteError },
}

/// Where the other revision builds: not in the working tree's target directory. Cargo gives a
/// workspace package's binaries the same paths wherever its folder is, and judges them fresh by
/// file times; sharing the folder, the working tree's build found the worktree's newer binary
/// fresh and measured the other revision's code as its own (a regression in the source, with
/// the features unchanged, went unseen). Dependencies build once more, then stay cached there.
pub fn own_target_dir(target_dir: &Path) -> PathBuf {
    target_dir.join("allocbench-baseline-rev")
}

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, RevisionError> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| RevisionError::Spawn { program: "git".into(), source })
}

/// A worktree that is removed when dropped.
struct Worktree {
    repo: PathBuf,
    path: PathBuf,
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let _ = git(&self.repo, &["worktree", "remove", "--force", &self.path.to_string_lossy()]);
        let _ = std::fs::remove_dir_all(&self.path);
        let _ = git(&self.repo, &["worktree", "prune"]);
    }
}

/// Measures `rev` once and saves it as baseline `name` in `baseline_dir`. `manifest` is the
/// working tree's manifest (absolute), `target_dir` the working tree's target directory; the
/// other revision builds in a folder of its own below it ([`own_target_dir`]). Run 1 measures
/// everything the plan asks for; a later run (`--runs`, interleaved with the working tree's
/// runs by the caller) only the time. That it measures is said to `events`. The other side runs
/// this executable on [`plan_for_other_revision`], written as JSON beside its report.
#[allow(clippy::too_many_arguments)]
pub fn measure(
    plan: &Plan,
    rev: &str,
    manifest: &Path,
    target_dir: &Path,
    out_dir: &Path,
    baseline_dir: &Path,
    name: &str,
    run: u32,
    events: &dyn Sink,
) -> Result<(), RevisionError> {
    let manifest_dir = manifest.parent().unwrap_or(Path::new("."));
    let top = git(manifest_dir, &["rev-parse", "--show-toplevel"])?;
    if !top.status.success() {
        return Err(RevisionError::NotARepository {
            dir: manifest_dir.to_owned(),
            detail: String::from_utf8_lossy(&top.stderr).trim().to_owned(),
        });
    }
    let repo = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
    let commit = git(&repo, &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])?;
    if !commit.status.success() {
        return Err(RevisionError::UnknownRevision { rev: rev.to_owned() });
    }
    let commit = String::from_utf8_lossy(&commit.stdout).trim().to_owned();

    let path = out_dir.join("worktrees").join(&commit);
    let _ = std::fs::remove_dir_all(&path);
    if let Some(parent) = path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let _ = git(&repo, &["worktree", "prune"]);
    let added = git(&repo, &["worktree", "add", "--detach", "--force", &path.to_string_lossy(), &commit])?;
    if !added.status.success() {
        return Err(RevisionError::Worktree {
            rev: rev.to_owned(),
            dir: path.clone(),
            detail: String::from_utf8_lossy(&added.stderr).trim().to_owned(),
        });
    }
    let worktree = Worktree { repo: repo.clone(), path };

    let canonical_repo = repo.canonicalize().unwrap_or(repo);
    let canonical_manifest = manifest.canonicalize().unwrap_or_else(|_| manifest.to_owned());
    let relative = canonical_manifest.strip_prefix(&canonical_repo).unwrap_or(Path::new("Cargo.toml"));
    let exe = std::env::current_exe()
        .map_err(|source| RevisionError::Spawn { program: "cargo-allocbench".into(), source })?;
    let other = OtherSide {
        manifest: worktree.path.join(relative),
        target_dir: own_target_dir(target_dir),
        out_dir: out_dir.join(if run == 1 { "baseline-rev".to_owned() } else { format!("baseline-rev-run{run}") }),
        baseline_dir: baseline_dir.to_owned(),
        name: name.to_owned(),
        timing_only: run > 1,
    };
    let plan_path = other.out_dir.join("plan.json");
    let write_error = |error| crate::atomic::WriteError { action: "cannot write", path: plan_path.clone(), error };
    serde_json::to_vec_pretty(&plan_for_other_revision(plan, &other))
        .map_err(|e| write_error(std::io::Error::other(e)))
        .and_then(|json| crate::atomic::write_atomic(&plan_path, &json))
        .map_err(|source| RevisionError::WritePlan { rev: rev.to_owned(), source })?;
    let mut cmd = Command::new(&exe);
    cmd.arg("allocbench")
        .arg("--plan")
        .arg(&plan_path)
        // Its table would mix with ours: people read the comparison, and its notes on stderr.
        .stdout(Stdio::null())
        .stdin(Stdio::null())
        .env_remove("GITHUB_STEP_SUMMARY");
    let short = &commit[..commit.len().min(12)];
    events.emit(Event::Status(if plan.passes.timing.runs > 1 {
        format!("measuring `{rev}` ({short}) as the baseline, run {run} of {}", plan.passes.timing.runs)
    } else {
        format!("measuring `{rev}` ({short}) as the baseline")
    }));
    // Registered, so that Ctrl-C stops the nested run too.
    let spawn_error = |source| RevisionError::Spawn { program: exe.display().to_string(), source };
    let (child, _) = crate::exec::process::spawn(&mut cmd).map_err(spawn_error)?;
    let status = child.wait().map_err(spawn_error)?;
    if !status.success() {
        return Err(RevisionError::Failed { rev: rev.to_owned(), status: crate::exec::run::describe(status) });
    }
    Ok(())
}

/// What differs on the other revision's side of one run.
#[derive(Debug, Clone)]
pub struct OtherSide {
    /// The manifest in the other revision's worktree.
    pub manifest: PathBuf,
    /// Its own target directory ([`own_target_dir`]).
    pub target_dir: PathBuf,
    /// Its own output folder, below ours.
    pub out_dir: PathBuf,
    /// Where it saves its figures as baseline `name`.
    pub baseline_dir: PathBuf,
    /// The baseline it saves.
    pub name: String,
    /// A later run of `--runs`: time only, no profiles.
    pub timing_only: bool,
}

/// The plan of one run of the other revision: `plan` with only what must differ changed, so that
/// every setting of the selection, the passes and the output reaches the other side without being
/// named here. It measures in its own worktree, target directory and output folder, saves
/// baseline `other.name` and compares with nothing; it never lists, runs once per call (the caller
/// interleaves `--runs`) and writes no exports (they are the user's files, and ours).
pub fn plan_for_other_revision(plan: &Plan, other: &OtherSide) -> Plan {
    let mut theirs = plan.clone();
    theirs.selection.cargo.manifest_path = Some(other.manifest.clone());
    theirs.selection.cargo.target_dir = Some(other.target_dir.clone());
    theirs.selection.list = false;
    theirs.baselines.compare = BaselineSource::None;
    theirs.baselines.save = Some(other.name.clone());
    theirs.baselines.dir = Some(other.baseline_dir.clone());
    theirs.output.out_dir = Some(other.out_dir.clone());
    theirs.output.exports.clear();
    let passes = &mut theirs.passes;
    passes.timing.runs = 1;
    // Instructions do not drift between runs: the later runs of `--runs` need not count them.
    passes.instructions.on &= !other.timing_only;
    passes.cpu.on &= !other.timing_only;
    // The baseline side needs every benchmark's sites, so that the sites of any benchmark that
    // regresses can be compared.
    passes.heap =
        if plan.passes.heap != HeapProfile::None && !other.timing_only { HeapProfile::All } else { HeapProfile::None };
    theirs
}
