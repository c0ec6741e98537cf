//! A comparison saved before what grew became one type ([`Growth`], flattened into
//! [`BenchmarkComparison`]) still loads, and writes back byte for byte:
//! `data/comparison-grew-main-d0b50a8.json` was written by main's `allocbench-formats` at commit
//! d0b50a8 (five fields of its own on `BenchmarkComparison`, `cpu_grew` to `syscalls_grew`),
//! with a benchmark where every kind grew, one where nothing did and one with two kinds.

use allocbench_formats::comparison::{Comparison, Growth};

const SAVED: &str = include_str!("data/comparison-grew-main-d0b50a8.json");

#[test]
fn a_comparison_saved_by_main_with_every_kind_of_growth_loads_and_writes_back_the_same() {
    let comparison: Comparison = serde_json::from_str(SAVED.trim_end()).expect("main's comparison loads");
    let [full, nothing, some] = comparison.benchmarks.as_slice() else { panic!("three benchmarks: {comparison:#?}") };

    let g = &full.grew;
    assert_eq!((g.cpu.len(), g.sites.len(), g.instructions.len(), g.syscalls.len()), (1, 1, 1, 1), "{g:#?}");
    assert_eq!(g.left_running.as_ref().map(|l| l.count), Some(3));
    assert_eq!(g.cpu[0].function, "f");
    assert_eq!(g.sites[0].new_alloc_objects, 16.0);
    assert_eq!(g.instructions[0].new, 20.0);
    assert_eq!(g.syscalls[0].site.function, "log::line");
    assert!(!g.is_empty());

    assert!(nothing.grew.is_empty(), "{nothing:#?}");
    assert_eq!(nothing.grew, Growth::default());

    assert_eq!(some.grew.instructions, full.grew.instructions);
    assert_eq!(some.grew.syscalls, full.grew.syscalls);
    assert!(some.grew.cpu.is_empty() && some.grew.sites.is_empty() && some.grew.left_running.is_none());

    let written = serde_json::to_string_pretty(&comparison).expect("serializes");
    assert_eq!(written, SAVED.trim_end(), "written back byte for byte, keys in main's order");
}
