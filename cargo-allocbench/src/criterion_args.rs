//! Criterion's own arguments, given after `--`: which each pass passes on, which a counting pass
//! leaves out, and which are refused before the build because allocbench has a flag of its own
//! for what they do.
//!
//! Criterion users bring their habits (`cargo bench -- --quick`, `-- --save-baseline main`).
//! Passed on blindly, some clash inside the bench process with what a pass sets itself (criterion
//! refuses `--noplot` twice, and `--quick` beside `--sample-size`), and some do something the user
//! did not mean (`--save-baseline` saves criterion's baseline, which the gate never reads). So
//! every option criterion 0.8 knows is sorted here once:
//!
//! - its timing settings (`--quick`, `--sample-size`, `--warm-up-time`, `--measurement-time`,
//!   `--nresamples`) apply to the timing pass of a full run; a counting pass (`--allocs-only`)
//!   sets its own sampling, so they are left out there, with one note;
//! - `--noplot` and `--bench` are what every pass passes already;
//! - criterion's baselines, `--profile-time` and `--test` are refused with the allocbench flag to
//!   use instead, and an option criterion does not know is refused before minutes of building;
//! - `--list` lists the benchmarks instead of measuring them;
//! - the rest (`--noise-threshold`, `--color`, `--exact`, ...) is passed on as given.

/// What criterion does with an option, for allocbench.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Passed on as given.
    Pass,
    /// A timing setting: passed on in a full run, left out of a counting pass.
    Timing,
    /// What every pass passes already.
    Ours,
    /// Lists the benchmarks.
    List,
    /// Refused: allocbench has this instead.
    Refused(&'static str),
}

/// One option of criterion 0.8's command line (`configure_from_args`).
struct CriterionOption {
    long: &'static str,
    short: Option<char>,
    takes_value: bool,
    kind: Kind,
}

const fn opt(long: &'static str, short: Option<char>, takes_value: bool, kind: Kind) -> CriterionOption {
    CriterionOption { long, short, takes_value, kind }
}

/// Criterion 0.8.2's options, from its `configure_from_args`.
const OPTIONS: [CriterionOption; 30] = [
    opt("color", Some('c'), true, Kind::Pass),
    opt("verbose", Some('v'), false, Kind::Pass),
    opt("quiet", None, false, Kind::Pass),
    opt("noplot", Some('n'), false, Kind::Ours),
    opt(
        "save-baseline",
        Some('s'),
        true,
        Kind::Refused("allocbench keeps baselines of its own: `cargo allocbench --save-baseline NAME`"),
    ),
    opt("discard-baseline", None, false, Kind::Pass),
    opt(
        "baseline",
        Some('b'),
        true,
        Kind::Refused("allocbench compares with baselines of its own: `cargo allocbench --baseline NAME`"),
    ),
    opt(
        "baseline-lenient",
        None,
        true,
        Kind::Refused("allocbench compares with baselines of its own: `cargo allocbench --baseline NAME`"),
    ),
    opt("list", None, false, Kind::List),
    opt("format", None, true, Kind::Pass),
    opt("ignored", None, false, Kind::Pass),
    opt("exact", None, false, Kind::Pass),
    opt(
        "profile-time",
        None,
        true,
        Kind::Refused("the CPU pass profiles each benchmark: `cargo allocbench --profile-time SECS`"),
    ),
    opt(
        "load-baseline",
        None,
        true,
        Kind::Refused("allocbench compares with baselines of its own: `cargo allocbench --baseline NAME`"),
    ),
    opt("sample-size", None, true, Kind::Timing),
    opt("warm-up-time", None, true, Kind::Timing),
    opt("measurement-time", None, true, Kind::Timing),
    opt("nresamples", None, true, Kind::Timing),
    opt("noise-threshold", None, true, Kind::Pass),
    opt("confidence-level", None, true, Kind::Pass),
    opt("significance-level", None, true, Kind::Pass),
    opt("quick", None, false, Kind::Timing),
    opt(
        "test",
        None,
        false,
        Kind::Refused("it runs each benchmark once and measures nothing: `cargo test --benches` does that"),
    ),
    opt("bench", None, false, Kind::Ours),
    opt("plotting-backend", None, true, Kind::Pass),
    opt("output-format", None, true, Kind::Pass),
    opt("nocapture", None, false, Kind::Pass),
    opt("show-output", None, false, Kind::Pass),
    opt("include-ignored", None, false, Kind::Pass),
    opt("version", Some('V'), false, Kind::Refused("`cargo allocbench --version` says allocbench's")),
];

/// A criterion argument after `--` that cannot be passed on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CriterionArgError {
    #[error("`{arg}` after `--` is criterion's, and not passed on: {instead}")]
    Refused { arg: String, instead: &'static str },
    #[error("`{arg}` after `--` is not an option of criterion 0.8 (`cargo allocbench --help` lists allocbench's own options, before `--`)")]
    Unknown { arg: String },
    #[error("`{arg}` after `--` needs a value, as in `{arg}=VALUE`")]
    MissingValue { arg: String },
    #[error("two filters: `{first}` before `--` and `{second}` after it; give one, before `--`")]
    TwoFilters { first: String, second: String },
}

/// The user's criterion arguments, sorted for the passes. Part of the plan
/// ([`crate::plan::Selection::criterion`]), it is serialized as the arguments it holds and sorted
/// again when read.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "Vec<String>", try_from = "Vec<String>")]
pub struct CriterionArgs {
    /// Each argument group (an option with its value, if any) and what it is.
    groups: Vec<(Vec<String>, Kind)>,
    /// A positional filter given after `--` (as `cargo bench -- NAME` takes it).
    filter: Option<String>,
}

impl CriterionArgs {
    /// Sorts `args` (what came after `--`); `filter` is the one given before `--`, if any.
    pub fn resolve(args: &[String], filter: Option<&str>) -> Result<CriterionArgs, CriterionArgError> {
        let mut out = CriterionArgs::default();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            let Some(option) = find(arg) else {
                if arg.starts_with('-') && arg != "-" {
                    return Err(CriterionArgError::Unknown { arg: arg.clone() });
                }
                if let Some(first) = filter.or(out.filter.as_deref()) {
                    return Err(CriterionArgError::TwoFilters { first: first.to_owned(), second: arg.clone() });
                }
                out.filter = Some(arg.clone());
                continue;
            };
            let mut group = vec![arg.clone()];
            if option.takes_value && !arg.contains('=') {
                match rest.next() {
                    Some(value) => group.push(value.clone()),
                    None => return Err(CriterionArgError::MissingValue { arg: arg.clone() }),
                }
            }
            if let Kind::Refused(instead) = option.kind {
                return Err(CriterionArgError::Refused {
                    arg: arg.split('=').next().unwrap_or(arg).to_owned(),
                    instead,
                });
            }
            out.groups.push((group, option.kind));
        }
        Ok(out)
    }

    /// Whether `--list` was given: list the benchmarks instead of measuring them.
    pub fn list(&self) -> bool {
        self.groups.iter().any(|(_, k)| *k == Kind::List)
    }

    /// A filter given after `--`, which criterion would have taken as its own.
    pub fn filter(&self) -> Option<&str> {
        self.filter.as_deref()
    }

    /// The arguments for the timing pass: a counting one (`counting`) leaves the timing
    /// settings out; neither repeats what every pass passes.
    pub fn for_timing_pass(&self, counting: bool) -> Vec<String> {
        self.groups
            .iter()
            .filter(|(_, k)| matches!(k, Kind::Pass) || *k == Kind::Timing && !counting)
            .flat_map(|(g, _)| g.iter().cloned())
            .collect()
    }

    /// The timing settings a counting pass leaves out, as the user spelled each option.
    pub fn left_out_when_counting(&self) -> Vec<String> {
        self.groups.iter().filter(|(_, k)| *k == Kind::Timing).map(|(g, _)| g[0].clone()).collect()
    }
}

impl From<CriterionArgs> for Vec<String> {
    fn from(args: CriterionArgs) -> Vec<String> {
        args.groups.into_iter().flat_map(|(g, _)| g).chain(args.filter).collect()
    }
}

impl TryFrom<Vec<String>> for CriterionArgs {
    type Error = CriterionArgError;

    fn try_from(args: Vec<String>) -> Result<CriterionArgs, CriterionArgError> {
        CriterionArgs::resolve(&args, None)
    }
}

/// The option `arg` names: `--long`, `--long=value` or `-s`.
fn find(arg: &str) -> Option<&'static CriterionOption> {
    if let Some(long) = arg.strip_prefix("--") {
        let name = long.split('=').next().unwrap_or(long);
        return OPTIONS.iter().find(|o| o.long == name);
    }
    let mut chars = arg.strip_prefix('-')?.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else { return None };
    OPTIONS.iter().find(|o| o.short == Some(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A timing setting goes to a full run and is left out of a counting pass, with a note; the
    /// rest is passed on as given.
    #[test]
    fn timing_settings_are_left_out_of_a_counting_pass() {
        let args = CriterionArgs::resolve(&["--quick".into(), "--noise-threshold=0.05".into()], None).unwrap();
        assert_eq!(args.for_timing_pass(false), ["--quick", "--noise-threshold=0.05"]);
        assert_eq!(args.for_timing_pass(true), ["--noise-threshold=0.05"]);
        assert_eq!(args.left_out_when_counting(), ["--quick"]);
    }

    fn resolve(args: &[&str]) -> Result<CriterionArgs, CriterionArgError> {
        CriterionArgs::resolve(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>(), None)
    }

    #[test]
    fn timing_settings_go_to_a_full_run_only() {
        let a = resolve(&["--quick", "--noplot", "--sample-size", "20", "--exact", "--bench"]).unwrap();
        assert_eq!(a.for_timing_pass(false), ["--quick", "--sample-size", "20", "--exact"]);
        assert_eq!(a.for_timing_pass(true), ["--exact"]);
        assert_eq!(a.left_out_when_counting(), ["--quick", "--sample-size"]);
        assert!(!a.list());
    }

    #[test]
    fn criterions_baselines_are_refused_with_ours() {
        for args in [&["--save-baseline", "main"][..], &["-s", "main"], &["--baseline=x"], &["--load-baseline", "x"]] {
            let e = resolve(args).unwrap_err();
            assert!(matches!(e, CriterionArgError::Refused { .. }), "{args:?}: {e}");
            assert!(e.to_string().contains("cargo allocbench --"), "{e}");
        }
        let e = resolve(&["--profile-time", "1"]).unwrap_err();
        assert!(e.to_string().contains("cargo allocbench --profile-time SECS"), "{e}");
    }

    #[test]
    fn unknown_options_and_missing_values_are_refused() {
        assert_eq!(resolve(&["--quik"]).unwrap_err(), CriterionArgError::Unknown { arg: "--quik".into() });
        assert_eq!(
            resolve(&["--sample-size"]).unwrap_err(),
            CriterionArgError::MissingValue { arg: "--sample-size".into() }
        );
    }

    #[test]
    fn list_and_a_filter_after_the_dashes() {
        let a = resolve(&["--list", "fanout"]).unwrap();
        assert!(a.list());
        assert_eq!(a.filter(), Some("fanout"));
        let two = CriterionArgs::resolve(&["fanout".to_owned()], Some("vec"));
        assert!(matches!(two, Err(CriterionArgError::TwoFilters { .. })));
    }
}
