//! A baseline saved before the probes' figures were keyed by metric still loads, and writes
//! back byte for byte: `data/baseline-with-signals-main-e6a2108.json` was written by main's
//! `allocbench-formats` at commit e6a2108 (its `Signals<f64>` struct under `"signals"`), with
//! every signal set to a distinct value, a `varied` figure with its range and a thread left
//! running, and a benchmark whose signals are all zero.

use allocbench_formats::baseline::BaselineDocument;
use allocbench_formats::metric::{Metric, METRICS};

const SAVED: &str = include_str!("data/baseline-with-signals-main-e6a2108.json");

#[test]
fn a_baseline_saved_by_main_with_signals_loads_and_writes_back_the_same() {
    let document: BaselineDocument = serde_json::from_str(SAVED.trim_end()).expect("main's baseline loads");
    let leak = &document.benchmarks[0];
    let expected = [
        (Metric::ThreadsStarted, 1.0),
        (Metric::ThreadsAlive, 1.0),
        (Metric::VoluntarySwitches, 2.5),
        (Metric::ReadSyscalls, 0.025),
        (Metric::WriteSyscalls, 4.0),
        (Metric::ReadBytes, 0.1),
        (Metric::WriteBytes, 256.0),
        (Metric::MinorFaults, 7.0),
    ];
    for (metric, value) in expected {
        assert_eq!(leak.figure(metric), Some(value), "{metric:?}");
    }
    let probe_rows: Vec<Metric> = METRICS.iter().filter(|m| m.probe).map(|m| m.metric).collect();
    assert!(expected.iter().all(|(m, _)| probe_rows.contains(m)), "each of main's signals is a probe row");
    assert_eq!(leak.spread(Metric::ReadSyscalls), Some([0.0, 0.05]));
    assert_eq!(leak.mark(Metric::ReadSyscalls), "≈");
    assert_eq!(leak.spread(Metric::WriteSyscalls), None);
    let left = leak.probes.as_ref().and_then(|p| p.left_running.as_ref()).expect("the thread left running");
    assert_eq!((left.count, left.threads[0].name.as_str()), (1, "leaker"));
    let nothing = &document.benchmarks[1];
    assert!(expected.iter().all(|(m, _)| nothing.figure(*m) == Some(0.0)), "zeros are figures, not absent");
    assert_eq!(nothing.figure(Metric::AllocSpace), None);
    assert_eq!(serde_json::to_string(&document).unwrap(), SAVED.trim_end(), "the same layout, byte for byte");
}
