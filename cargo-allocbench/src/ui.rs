//! What people see while a run goes on: notes, warnings and progress bars, all on stderr, so that
//! stdout carries only the chosen format; and the colors the renderers paint with ([`Style`]).
//! The passes never see it: they emit events, which the binary's reporter
//! ([`crate::reporter`]) draws through it.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::plan::Output;

/// Notes for people go to stderr, so that stdout carries only the chosen format.
pub struct Ui {
    pub style: Style,
    progress: bool,
    /// `--quiet`: no notes, no progress; warnings still.
    quiet: bool,
}

impl Ui {
    /// Colors as `output` asks; progress bars only on a terminal, where they can be redrawn.
    pub fn new(output: &Output) -> Ui {
        let terminal = std::io::stderr().is_terminal();
        Ui {
            style: Style { color: output.color.enabled(terminal) },
            progress: terminal && !output.quiet,
            quiet: output.quiet,
        }
    }

    /// Notes and warnings in `style`, without progress bars (`cargo allocbench merge`, which
    /// measures nothing).
    pub fn quiet(style: Style) -> Ui {
        Ui { style, progress: false, quiet: false }
    }

    pub fn note(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    pub fn warn(&self, text: &str) {
        eprintln!("{} {text}", self.style.yellow("warning:"));
    }

    /// A spinner titled `what`; hidden when stderr is not a terminal.
    pub fn bar(&self, len: u64, what: &str) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len);
        let style = ProgressStyle::with_template("{spinner} {prefix} [{elapsed}] {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_prefix(what.to_owned());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }
}

/// Paints text for a terminal, or leaves it plain.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    pub fn red(&self, text: &str) -> String {
        self.paint("31", text)
    }

    pub fn green(&self, text: &str) -> String {
        self.paint("32", text)
    }

    pub fn yellow(&self, text: &str) -> String {
        self.paint("33", text)
    }

    pub fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }
}
