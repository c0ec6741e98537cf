//! What the figures were measured with: toolchain, target, machine, commit, lock file.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::report::Environment;
use allocbench_formats::fnv1a;

/// The environment of a run in `workspace_root`, whose bench processes counted with `allocators`
/// (the types `allocbench::Alloc` wrapped, as the harness recorded them). Anything that cannot
/// be learned stays empty: the environment describes, it never stops a run.
/// `profile` and `target` are cargo's `--profile` and `--target`, when given.
pub fn capture(
    workspace_root: &Path,
    allocators: &BTreeSet<String>,
    profile: &str,
    target: Option<&str>,
) -> Environment {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = Command::new(rustc)
        .arg("-vV")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let field = |name: &str| {
        version.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_owned()).unwrap_or_default()
    };
    let release = field("release:");
    Environment {
        rustc: if release.is_empty() { String::new() } else { format!("rustc {release}") },
        target: target.map_or_else(|| field("host:"), str::to_owned),
        profile: profile.to_owned(),
        allocator: allocator(allocators),
        git_commit: git_commit(workspace_root),
        cpu: cpu_model(),
        created: now_rfc3339(),
        cargo_lock_hash: std::fs::read(workspace_root.join("Cargo.lock")).ok().map(|b| format!("{:016x}", fnv1a(&b))),
    }
}

/// `allocbench::Alloc<INNER>`, for each inner allocator the bench targets used; a baseline saved
/// with another one warns when compared.
fn allocator(inner: &BTreeSet<String>) -> String {
    if inner.is_empty() {
        // No record said which (no benchmark measured, or a harness older than the field).
        return "allocbench::Alloc".to_owned();
    }
    inner.iter().map(|a| format!("allocbench::Alloc<{a}>")).collect::<Vec<_>>().join(", ")
}

fn git_commit(dir: &Path) -> Option<String> {
    let out = Command::new("git").args(["rev-parse", "HEAD"]).current_dir(dir).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_owned())
            })
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned())
}

/// Now, as RFC 3339 in UTC.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocator_names_the_inner_one() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<String>>();
        assert_eq!(allocator(&names(&[])), "allocbench::Alloc");
        assert_eq!(allocator(&names(&["std::alloc::System"])), "allocbench::Alloc<std::alloc::System>");
        assert_eq!(
            allocator(&names(&["std::alloc::System", "tikv_jemallocator::Jemalloc"])),
            "allocbench::Alloc<std::alloc::System>, allocbench::Alloc<tikv_jemallocator::Jemalloc>"
        );
    }
}
