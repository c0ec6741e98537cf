//! The binary's reporter: the engine's [`Event`]s drawn on stderr through [`Ui`] (notes,
//! `warning:` lines, a progress spinner per pass and bench target), and the warnings kept, so
//! that the report carries them too. Only the pipeline's top ([`crate::app`]) makes one; the
//! engine sees a [`Sink`].

use std::sync::{Mutex, MutexGuard, PoisonError};

use indicatif::ProgressBar;

use crate::events::{Event, Sink};
use crate::ui::Ui;

/// Draws events for people and keeps the warnings.
pub struct Reporter<'a> {
    ui: &'a Ui,
    /// The spinner of the pass and target running now, if any.
    bar: Mutex<Option<ProgressBar>>,
    warnings: Mutex<Vec<String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<'a> Reporter<'a> {
    /// A reporter that draws as `ui` says (colors, `--quiet`, spinners on a terminal).
    pub fn new(ui: &'a Ui) -> Reporter<'a> {
        Reporter { ui, bar: Mutex::new(None), warnings: Mutex::new(Vec::new()) }
    }

    /// The warnings emitted so far, in order: the report's `warnings`.
    pub fn warnings(&self) -> Vec<String> {
        lock(&self.warnings).clone()
    }

    /// Prints a line with `print`, the spinner (if one shows) lifted for it so that the two do
    /// not mix on the terminal.
    fn print(&self, print: impl FnOnce()) {
        match &*lock(&self.bar) {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }
}

impl Sink for Reporter<'_> {
    fn emit(&self, event: Event) {
        match event {
            Event::PassStarted { title } => {
                let old = lock(&self.bar).replace(self.ui.bar(0, &title));
                if let Some(old) = old {
                    old.finish_and_clear();
                }
            }
            Event::Progress(message) => {
                if let Some(bar) = &*lock(&self.bar) {
                    bar.set_message(message);
                }
            }
            Event::PassFinished => {
                if let Some(bar) = lock(&self.bar).take() {
                    bar.finish_and_clear();
                }
            }
            Event::Note(text) => self.print(|| self.ui.note(&text)),
            Event::Status(text) => self.print(|| eprintln!("{text}")),
            Event::Warning(text) => {
                self.print(|| self.ui.warn(&text));
                lock(&self.warnings).push(text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures::plain_report;
    use crate::render::{html, markdown};
    use crate::ui::Style;

    #[test]
    fn warnings_are_kept_in_order_and_notes_are_not() {
        let ui = Ui::quiet(Style { color: false });
        let reporter = Reporter::new(&ui);
        reporter.emit(Event::PassStarted { title: "p/t (1/1)".into() });
        reporter.progress("1 benchmark measured");
        reporter.warn("first");
        reporter.emit(Event::PassFinished);
        reporter.note("a note");
        reporter.emit(Event::Status("measuring".into()));
        reporter.warn("second");
        assert_eq!(reporter.warnings(), ["first", "second"]);
        assert!(lock(&reporter.bar).is_none());
    }

    #[test]
    fn a_pass_warning_reaches_the_report_the_summary_and_the_page() {
        let ui = Ui::quiet(Style { color: false });
        let reporter = Reporter::new(&ui);
        let run = crate::render::fixtures::measured(&plain_report());
        let mut first = run.benchmarks.clone();
        let mut later = run.benchmarks.clone();
        later[0].error = Some("timed out after 60 s".into());
        crate::passes::timing::add_run(&reporter, &mut first, &later, 2);
        let report = crate::measurements::Measurements { benchmarks: first, ..run }.report(
            &crate::follow_up::FollowUp::default(),
            None,
            crate::report::Verdict::Error,
            reporter.warnings(),
        );
        let warning =
            format!("`{}`: run 2 failed (timed out after 60 s); its time is left out", report.benchmarks[0].id);
        assert_eq!(report.warnings, std::slice::from_ref(&warning));

        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["warnings"], serde_json::json!([warning]));
        let markdown = markdown::render(&report);
        let listed = format!("### Warnings\n\n- {}\n\n<sub>", markdown::escape_keeping_code(&warning));
        assert!(markdown.contains(&listed), "{markdown}");
        assert!(html::render(&report).contains("<h2>Warnings</h2>"));
    }

    #[test]
    fn a_run_without_warnings_shows_none() {
        let report = plain_report();
        assert!(serde_json::to_value(&report).unwrap().get("warnings").is_none());
        assert!(!markdown::render(&report).contains("Warnings"));
        assert!(!html::render(&report).contains("<h2>Warnings</h2>"));
    }
}
