//! `--baseline-rev REV`: measure another revision of the repository as the baseline, in a
//! temporary git worktree with a target directory of its own, so that one command does locally
//! what the CI gate does with a pull request's base and head.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cli::{Cli, HeapProfile};
use crate::events::{Event, Sink};

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
/// everything the options ask for; a later run (`--runs`, interleaved with the working tree's
/// runs by the caller) only the time. That it measures is said to `events`.
#[allow(clippy::too_many_arguments)]
pub fn measure(
    cli: &Cli,
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
    let mut cmd = Command::new(&exe);
    cmd.arg("allocbench")
        .arg("--manifest-path")
        .arg(worktree.path.join(relative))
        .arg("--target-dir")
        .arg(own_target_dir(target_dir))
        .arg("--out-dir")
        .arg(out_dir.join(if run == 1 { "baseline-rev".to_owned() } else { format!("baseline-rev-run{run}") }))
        .arg("--baseline-dir")
        .arg(baseline_dir)
        .args(["--save-baseline", name])
        .args(forwarded(cli, run > 1))
        // Its table would mix with ours: people read the comparison, and its notes on stderr.
        .stdout(Stdio::null())
        .stdin(Stdio::null())
        .env_remove("GITHUB_STEP_SUMMARY");
    let short = &commit[..commit.len().min(12)];
    events.emit(Event::Status(if cli.runs > 1 {
        format!("measuring `{rev}` ({short}) as the baseline, run {run} of {}", cli.runs)
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

/// The options that decide what is measured and how, for one run of the other revision; with
/// `timing_only`, no profiles.
fn forwarded(cli: &Cli, timing_only: bool) -> Vec<String> {
    let mut args = Vec::new();
    let flag = |args: &mut Vec<String>, on: bool, name: &str| {
        if on {
            args.push(name.to_owned());
        }
    };
    flag(&mut args, cli.allocs_only, "--allocs-only");
    // Instructions do not drift between runs: the later runs of `--runs` need not count them.
    flag(&mut args, cli.instructions && !timing_only, "--instructions");
    flag(&mut args, cli.no_cpu_profile || timing_only, "--no-cpu-profile");
    flag(&mut args, cli.cpu_complete, "--cpu-complete");
    flag(&mut args, cli.workspace, "--workspace");
    flag(&mut args, cli.all_features, "--all-features");
    flag(&mut args, cli.no_default_features, "--no-default-features");
    flag(&mut args, cli.locked, "--locked");
    flag(&mut args, cli.offline, "--offline");
    flag(&mut args, cli.frozen, "--frozen");
    flag(&mut args, cli.verbose, "--verbose");
    flag(&mut args, cli.quiet, "--quiet");
    for (flag, value) in [("--profile", &cli.profile), ("--target", &cli.target)] {
        if let Some(v) = value {
            args.extend([flag.to_owned(), v.clone()]);
        }
    }
    if let Some(partition) = cli.partition {
        // Its share of the benchmarks, dealt by the same rule: with `hash:`, the same ones.
        args.extend(["--partition".to_owned(), partition.to_string()]);
    }
    args.extend(["--timeout".to_owned(), cli.timeout.to_string()]);
    args.extend(["--profile-time".to_owned(), cli.profile_time.to_string()]);
    if let Some(frequency) = cli.frequency {
        args.extend(["--frequency".to_owned(), frequency.to_string()]);
    }
    // The baseline side needs every benchmark's sites, so that the sites of any benchmark that
    // regresses can be compared.
    if cli.heap_profile() != HeapProfile::None && !timing_only {
        args.extend(["--heap-profile".to_owned(), "all".to_owned()]);
    } else {
        args.extend(["--heap-profile".to_owned(), "none".to_owned()]);
    }
    for (flag, values) in [
        ("--package", &cli.packages),
        ("--exclude", &cli.exclude),
        ("--bench", &cli.benches),
        ("--features", &cli.features),
    ] {
        for v in values {
            args.extend([flag.to_owned(), v.clone()]);
        }
    }
    if let Some(f) = &cli.filter {
        args.push(f.clone());
    }
    if !cli.criterion_args.is_empty() {
        args.push("--".to_owned());
        args.extend(cli.criterion_args.iter().cloned());
    }
    args
}
