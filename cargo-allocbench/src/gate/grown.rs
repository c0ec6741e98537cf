//! What grew: the code behind a regression, named from the two runs' stacks, sites and functions.
//!
//! The comparison ([`compare`](crate::gate::compare)) says which benchmarks regressed; this names
//! where, in each benchmark's comparison: the functions whose own instructions grew
//! (`instructions_grew`). It runs once every pass has attached what it found, the
//! allocation-site pass included, which runs after the comparison.

use allocbench_formats::comparison::InstructionChange;
use allocbench_formats::report::InstructionFigures;

use crate::gate::baseline::Baseline;
use crate::gate::compare::Status;
use crate::gate::policy::{Limit, Policy};
use crate::report::{Metric, Report};

/// Fills in what grew in the comparison of `report` with `base`; nothing without a comparison.
pub fn what_grew(base: &Baseline, report: &mut Report, policy: &Policy) {
    let Some(comparison) = report.comparison.as_mut() else { return };
    // Where `instructions` regressed: the functions whose own instructions grew beyond the limit.
    for c in &mut comparison.benchmarks {
        let regressed = c.metric(Metric::Instructions).is_some_and(|m| m.status == Status::Regressed);
        let (Some(old), Some(new), true) = (
            base.benchmarks.iter().find(|b| b.id == c.id).and_then(|b| b.instructions.as_ref()),
            report.benchmarks.iter().find(|b| b.id == c.id).and_then(|b| b.instructions.as_ref()),
            regressed,
        ) else {
            continue;
        };
        let noise = match policy.limit(&c.id, Metric::Instructions) {
            Limit::Relative(f) => f,
            _ => 0.0,
        };
        c.instructions_grew = instructions(old, new, noise);
    }
}

/// The functions of `new` whose own instructions per iteration grew against `base` by more than
/// `noise` (relative) and by at least one instruction, most grown first.
fn instructions(base: &InstructionFigures, new: &InstructionFigures, noise: f64) -> Vec<InstructionChange> {
    let mut out: Vec<InstructionChange> = new
        .functions
        .iter()
        .filter_map(|f| {
            let old = base.functions.iter().find(|o| o.function == f.function).map_or(0.0, |o| o.self_instructions);
            let grew = f.self_instructions - old;
            (grew >= 1.0 && f.self_instructions > old * (1.0 + noise)).then(|| InstructionChange {
                function: f.function.clone(),
                base: old,
                new: f.self_instructions,
            })
        })
        .collect();
    out.sort_by(|a, b| (b.new - b.base).total_cmp(&(a.new - a.base)).then_with(|| a.function.cmp(&b.function)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use allocbench_formats::report::InstructionFunction;

    #[test]
    fn grown_functions_beyond_the_noise() {
        let f = |name: &str, n: f64| InstructionFunction { function: name.into(), self_instructions: n };
        let base =
            InstructionFigures { instructions: 0.0, exact: true, functions: vec![f("hot", 1000.0), f("warm", 100.0)] };
        let new = InstructionFigures {
            instructions: 0.0,
            exact: true,
            functions: vec![f("hot", 1050.0), f("warm", 100.5), f("cold", 40.0)],
        };
        let changes = instructions(&base, &new, 0.01);
        let grew: Vec<(&str, f64, f64)> = changes.iter().map(|c| (c.function.as_str(), c.base, c.new)).collect();
        assert_eq!(grew, [("hot", 1000.0, 1050.0), ("cold", 0.0, 40.0)]);
    }
}
