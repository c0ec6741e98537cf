//! The processes a run starts, and the output folder it holds.
//!
//! Every bench process and build is started with [`spawn`] and registered until it is reaped, so
//! that an interrupted run (Ctrl-C, SIGTERM, SIGHUP) kills them all: see [`interrupt`]. Two runs
//! on one output folder take turns through [`lock_out_dir`].

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::events::{Event, Sink};
use crate::exec::run::RunError;

/// The lock files this process holds, to remove when it ends.
static LOCKS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Takes the output folder's lock, `runs/.lock`, waiting while another live `cargo allocbench`
/// holds it; held until [`release_locks`]. Two runs on one output folder would otherwise delete
/// and mix each other's records and criterion files: with the lock the second run waits, as
/// cargo waits for its build folder. The file holds the holder's process id; a lock left by a
/// process that is gone (killed with SIGKILL) is taken over. That it waits is said to `events`.
pub fn lock_out_dir(lock: &Path, events: &dyn Sink) -> Result<(), RunError> {
    let mut held = LOCKS.lock().unwrap_or_else(PoisonError::into_inner);
    if held.iter().any(|l| l == lock) {
        return Ok(());
    }
    let io = |source| RunError::Io { path: lock.to_owned(), source };
    if let Some(dir) = lock.parent() {
        fs::create_dir_all(dir).map_err(io)?;
    }
    let me = std::process::id();
    let mut said = false;
    loop {
        match fs::OpenOptions::new().write(true).create_new(true).open(lock) {
            Ok(mut file) => {
                io::Write::write_all(&mut file, format!("{me}\n").as_bytes()).map_err(io)?;
                held.push(lock.to_owned());
                return Ok(());
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(e)),
        }
        let holder = fs::read_to_string(lock).ok().and_then(|t| t.trim().parse::<u32>().ok());
        let stale = match holder {
            Some(pid) => !alive(pid),
            // Created but not written yet, or written by something else: stale when old.
            None => fs::metadata(lock)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > Duration::from_secs(10))),
        };
        if stale {
            let _ = fs::remove_file(lock);
            continue;
        }
        if !said {
            let out_dir = lock.parent().and_then(Path::parent).unwrap_or(lock);
            events.emit(Event::Status(format!(
                "waiting for another cargo allocbench (process {}) that uses `{}`; give this run its own `--out-dir` to run both at once",
                holder.map_or_else(|| "?".to_owned(), |p| p.to_string()),
                out_dir.display()
            )));
            said = true;
        }
        if registry().interrupted {
            return Err(RunError::Interrupted);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether process `pid` is a running `cargo allocbench` (a reused process id is not).
fn alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if proc.is_dir() {
        let cmdline = fs::read(proc.join(pid.to_string()).join("cmdline")).unwrap_or_default();
        return String::from_utf8_lossy(&cmdline).contains("allocbench");
    }
    Command::new("kill").args(["-0", &pid.to_string()]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Removes the lock files this process holds. Called as the process ends, normally or
/// interrupted.
pub fn release_locks() {
    let mut held = LOCKS.lock().unwrap_or_else(PoisonError::into_inner);
    for lock in held.drain(..) {
        let _ = fs::remove_file(lock);
    }
}

/// The processes this run started and has not reaped yet.
struct Registry {
    /// Set by [`interrupt`]: no process starts after it.
    interrupted: bool,
    next: u64,
    running: Vec<(u64, Child)>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry { interrupted: false, next: 0, running: Vec::new() });

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A child process started with [`spawn`]. It stays registered until it is reaped, so that
/// [`interrupt`] can kill it; dropped unreaped (an error path), it is killed.
#[derive(Debug)]
pub struct Tracked {
    token: u64,
    /// The process id, which a test looks for under /proc.
    #[cfg(test)]
    pid: u32,
}

/// Starts `cmd` and registers the child; returns it with its stdout, when piped. Fails with
/// [`io::ErrorKind::Interrupted`] once the run is interrupted.
pub fn spawn(cmd: &mut Command) -> io::Result<(Tracked, Option<ChildStdout>)> {
    let mut registry = registry();
    if registry.interrupted {
        return Err(io::Error::new(io::ErrorKind::Interrupted, "the run was interrupted"));
    }
    let mut child = cmd.spawn()?;
    let stdout = child.stdout.take();
    let token = registry.next;
    registry.next += 1;
    #[cfg(test)]
    let pid = child.id();
    registry.running.push((token, child));
    Ok((
        Tracked {
            token,
            #[cfg(test)]
            pid,
        },
        stdout,
    ))
}

impl Tracked {
    /// The process id.
    #[cfg(test)]
    fn id(&self) -> u32 {
        self.pid
    }

    /// The exit status, when the process has exited (it is then reaped and unregistered).
    pub fn try_wait(&self) -> io::Result<Option<ExitStatus>> {
        let mut registry = registry();
        let Some(k) = registry.running.iter().position(|(t, _)| *t == self.token) else {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "the run was interrupted"));
        };
        let status = registry.running[k].1.try_wait()?;
        if status.is_some() {
            registry.running.remove(k);
        }
        Ok(status)
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_for(&self, timeout: Duration) -> io::Result<Option<ExitStatus>> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(Some(status));
            }
            if started.elapsed() >= timeout {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(10).min(timeout));
        }
    }

    /// Waits for the process to exit.
    pub fn wait(&self) -> io::Result<ExitStatus> {
        loop {
            if let Some(status) = self.wait_for(Duration::from_secs(1))? {
                return Ok(status);
            }
        }
    }

    /// Kills the process (SIGKILL) and reaps it; nothing when it is reaped already.
    pub fn kill(&self) {
        let child = {
            let mut registry = registry();
            let k = registry.running.iter().position(|(t, _)| *t == self.token);
            k.map(|k| registry.running.remove(k).1)
        };
        if let Some(mut child) = child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether [`interrupt`] was called: what failed afterwards failed because of it.
pub fn interrupted() -> bool {
    registry().interrupted
}

/// Stops the run: kills (SIGKILL) and reaps every process it started that is still running,
/// and lets none start after. Returns how many were running. For a signal handler's thread;
/// the caller then exits.
pub fn interrupt() -> usize {
    let mut registry = registry();
    registry.interrupted = true;
    let running = std::mem::take(&mut registry.running);
    let count = running.len();
    for (_, mut child) in running {
        let _ = child.kill();
        let _ = child.wait();
    }
    drop(registry);
    release_locks();
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_tracked_child_is_killed_when_dropped() {
        let (child, _) = spawn(Command::new("sleep").arg("30")).unwrap();
        let pid = child.id();
        assert!(child.wait_for(Duration::from_millis(50)).unwrap().is_none());
        drop(child);
        // Reaped: no such process (a zombie would still have a /proc entry).
        assert!(!Path::new(&format!("/proc/{pid}")).exists() || !cfg!(target_os = "linux"));
    }
}
