//! What the engine says while a run goes on, as values: a pass starting on a bench target, its
//! progress, its end, notes and warnings. The passes, the bench processes' runner and the
//! other revision's run emit [`Event`]s to a [`Sink`] and never write to the terminal; the
//! binary's reporter ([`crate::reporter`]) draws them on stderr and keeps the warnings, which
//! then reach `report.json` and the Markdown summary as well (nextest's runner and reporter
//! are split the same way).

/// One thing the engine has to say.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A pass starts on one bench target; `title` names both, with the target's place in the
    /// run (`allocation sites fixture/benches (2/3)`).
    PassStarted { title: String },
    /// How far the target's run has come, in the pass's words (`3 benchmarks measured`).
    Progress(String),
    /// The pass is done with the target's process; what it found is being attached.
    PassFinished,
    /// A note for people; `--quiet` drops it.
    Note(String),
    /// What the run is doing that may take a while (measuring another revision, waiting for
    /// another run's lock): shown even under `--quiet`, so that a silent wait is explained.
    Status(String),
    /// What the run lost, or what the user should fix: shown always, and kept for the report.
    Warning(String),
}

/// Where the engine sends its [`Event`]s. Taken by shared reference, so that a pass can emit
/// from inside the callbacks it hands to the bench processes' runner.
pub trait Sink {
    /// Takes one event.
    fn emit(&self, event: Event);

    /// Emits [`Event::Note`].
    fn note(&self, text: &str) {
        self.emit(Event::Note(text.to_owned()));
    }

    /// Emits [`Event::Warning`].
    fn warn(&self, text: &str) {
        self.emit(Event::Warning(text.to_owned()));
    }

    /// Emits [`Event::Progress`].
    fn progress(&self, text: &str) {
        self.emit(Event::Progress(text.to_owned()));
    }
}
