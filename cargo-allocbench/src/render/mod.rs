//! What people and other tools read: the terminal table ([`table`]), the Markdown summary
//! ([`markdown`]), `report.html` ([`html`]), GitHub Actions annotations ([`github`]) and exports
//! for history services ([`export`]).
//!
//! One [`view`] is worked out from the report, from the metric table and the comparison, and each
//! renderer lays it out for its medium; numbers are formatted for people in one place
//! ([`units`]), and what grew against the baseline is worded in one place ([`grew`]).

pub mod export;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod github;
pub mod grew;
pub mod html;
pub mod markdown;
pub mod table;
pub mod units;
pub mod view;

#[cfg(test)]
mod tests {
    use allocbench_formats::report::ArtifactKind;

    use super::grew::{Grew, GrewKind};
    use super::view::View;
    use crate::ui::Style;

    /// Every renderer shows what the view lists, by iterating it: an entry of every kind of
    /// "grew" and a file of every artifact kind, added to a regressed benchmark's view here as a
    /// new pass would add them, reaches the table, the Markdown summary, the page and the
    /// annotations without a line of any renderer naming it.
    #[test]
    fn every_kind_of_grew_and_every_file_reaches_every_renderer() {
        let mut report = super::fixtures::marked_report();
        let paths: Vec<String> =
            ArtifactKind::ALL.iter().map(|k| format!("benchmarks/varies/dummy-{k:?}.file")).collect();
        let varies = report.benchmarks.iter_mut().find(|b| b.id == "varies").unwrap();
        for (&kind, path) in ArtifactKind::ALL.iter().zip(&paths) {
            *varies.artifacts.slot_mut(kind) = Some(path.clone());
        }
        let mut view = View::new(&report);
        let compared =
            view.comparison.as_mut().unwrap().benchmarks.iter_mut().find(|b| b.comparison.id == "varies").unwrap();
        assert_eq!(compared.status, allocbench_formats::comparison::Status::Regressed);
        let dummy = |kind: GrewKind| format!("dummy {kind:?} entry, as a pass added later words it");
        compared.grew =
            GrewKind::ALL.iter().map(|&kind| Grew { kind, text: dummy(kind), file: None, line: None }).collect();
        let outputs = [
            ("table", super::table::lay_out_comparison(view.comparison.as_ref().unwrap(), Style { color: false })),
            ("markdown", super::markdown::lay_out(&view)),
            ("page", super::html::lay_out(&view)),
            ("annotations", super::github::lay_out(&view, None).join("\n")),
        ];
        for (name, out) in &outputs {
            for kind in GrewKind::ALL {
                assert!(out.contains(&dummy(kind)), "{name} leaves out {kind:?}:\n{out}");
            }
            for (kind, path) in ArtifactKind::ALL.iter().zip(&paths) {
                assert!(out.contains(path.as_str()), "{name} leaves out the {kind:?} file:\n{out}");
            }
        }
    }
}
