//! `cargo allocbench`: see `cargo allocbench --help`.

use std::process::ExitCode;

use cargo_allocbench::app;
use cargo_allocbench::cli::Cli;
use cargo_allocbench::report::Verdict;

/// Exit codes, one meaning each: 0 nothing regressed, 1 a regression, 2 the run failed.
const PASS: u8 = 0;
const REGRESSED: u8 = 1;
const FAILED: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    match app::run(&cli) {
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
