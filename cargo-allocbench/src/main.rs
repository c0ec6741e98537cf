//! `cargo allocbench`: see `cargo allocbench --help`.

use std::process::ExitCode;

use allocbench_formats::exit::{FAILED, PASS, REGRESSED};
use allocbench_formats::verdict::Verdict;
use cargo_allocbench::{Cli, Command};

fn main() -> ExitCode {
    stop_children_on_signals();
    let cli = Cli::parse_args();
    // The command line becomes a plan here; past this point nothing sees clap's types.
    let result = match &cli.command {
        Some(Command::Merge(args)) => {
            args.plan().map_err(anyhow::Error::from).and_then(|plan| cargo_allocbench::merge(&plan))
        }
        None => cli.plan().map_err(anyhow::Error::from).and_then(|plan| cargo_allocbench::run(&plan)),
    };
    if cargo_allocbench::interrupted() {
        // Whatever failed, failed because the signal handler stopped the run; its thread says so
        // and exits with the signal's status.
        std::thread::sleep(std::time::Duration::from_secs(10));
        return ExitCode::from(130);
    }
    cargo_allocbench::release_locks();
    match result {
        Ok(Verdict::Pass) => ExitCode::from(PASS),
        Ok(Verdict::Regressed) => ExitCode::from(REGRESSED),
        Ok(Verdict::Error) => ExitCode::from(FAILED),
        Err(e) => {
            let mut message = format!("error: {e}");
            for cause in e.chain().skip(1) {
                message.push_str(&format!("\n  caused by: {cause}"));
            }
            eprintln!("{message}");
            ExitCode::from(FAILED)
        }
    }
}

/// On SIGINT (Ctrl-C), SIGTERM or SIGHUP: kill the bench processes and builds this run started,
/// say so, and exit with 128 + the signal's number, as a shell reports a process killed by it.
/// A baseline is written atomically, so an interrupted save leaves the old one or the new one.
#[cfg(unix)]
fn stop_children_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return; // the default: the signal ends this process, and a bench process may outlive it
    };
    std::thread::spawn(move || {
        use std::io::Write;
        if let Some(signal) = signals.forever().next() {
            let stopped = cargo_allocbench::interrupt();
            let name = match signal {
                SIGINT => "SIGINT",
                SIGTERM => "SIGTERM",
                _ => "SIGHUP",
            };
            // Not `eprintln!`, which panics when stderr is a closed pipe: the exit must happen.
            let _ = writeln!(
                std::io::stderr(),
                "error: interrupted by {name}: stopped {stopped} process(es) it had started; nothing more is written (a baseline is either the old one or the new one)"
            );
            std::process::exit(128 + signal);
        }
    });
}

#[cfg(not(unix))]
fn stop_children_on_signals() {}
