//! The allocation-site pass's results: per benchmark, the allocating stacks with per-iteration
//! figures, `heap.pb.gz` in pprof's heap format, `alloc-flamegraph.svg`, and the sites that
//! allocate most.
//!
//! A stack's figures per iteration come from its counts per sample exactly as the benchmark's do
//! (the slope across samples, or for figures that cannot be exact the same amortization,
//! [`figures::Estimate`]), so the stacks add up to the `alloc_objects` and `alloc_space` of the
//! pass's samples: for deterministic code, the report's. `inuse_*` per stack is what the stack's own
//! allocations keep; the report's `inuse_*` also subtracts frees of blocks allocated before the
//! window (an `iter_batched` input consumed by the routine), which belong to no stack.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use allocbench_formats::frames::{is_allocation_internal, is_harness_frame};

pub use allocbench_formats::report::{AllocSite, Frame, HeapStack};
use allocbench_formats::signals::{SyscallFamily, SyscallSite};

use crate::report::AllocFigures;

use crate::artifacts;
use crate::passes::figures::{self, Sample};
use crate::passes::pprof_names;
use crate::passes::records::{Joined, SiteRecord};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HeapError {
    #[error("cannot write `{path}`: {source}")]
    Write { path: std::path::PathBuf, source: std::io::Error },
}

/// Frames of Rust's standard library: never the answer to "which code allocates". Known by
/// their source file (`/rustc/<commit>/library/...`, or the `rust-src` component), or, without
/// debug info, by their path.
fn is_std(frame: &Frame) -> bool {
    if let Some(file) = &frame.file {
        return file.starts_with("/rustc/") || file.contains("/rustlib/src/rust/library/");
    }
    let name = frame.function.trim_start_matches('<');
    ["alloc::", "core::", "std::", "hashbrown::"].iter().any(|p| name.starts_with(p))
}

/// Per-iteration stacks of one benchmark, from the allocation-site pass's record joined with
/// criterion.
///
/// Stacks are told apart by their frames once the harness's are cut away, with the standard
/// library's frames that criterion called the routine through (`FnMut::call_mut`, the iterator
/// that fills a batch). The same code comes through different such frames: `iter_batched` calls
/// the routine directly for a batch of one and through `Vec::extend` for larger batches, and the
/// batch size changes from sample to sample. Such stacks' counts are added sample by sample
/// before the slope is taken; apart, each would allocate in only some samples, look like one-off
/// work, and the benchmark would lose its sites (seen under load: 3 runs in 80).
///
/// Each stack's figures are taken as the benchmark's `figures` were ([`figures::Estimate`]):
/// when its samples disagreed, the stacks are amortized alike and add up to the pass's totals;
/// exact figures (or none) leave each stack to its own slope, as always.
pub fn stacks(sites: &[SiteRecord], joined: &Joined, figures: Option<&AllocFigures>) -> Vec<HeapStack> {
    let estimate = figures.filter(|f| !f.exact).map(figures::Estimate::of);
    let mut merged: BTreeMap<Vec<Frame>, Vec<[u64; 4]>> = BTreeMap::new();
    for site in sites {
        let mut frames: Vec<Frame> = site.frames.iter().map(Frame::from).collect();
        if let Some(i) = frames.iter().position(|f| is_harness_frame(&f.function)) {
            // Nothing of the benchmark's own left (its code was inlined into criterion's loop, and
            // without debug info has no frame of its own): the loop's frame stands for it, so that
            // its bytes still add up, and the pass says why ([`inlined_into_harness`]).
            frames.truncate(i.max(1));
            // Frames are leaf first: the standard library's frames at the end are the plumbing
            // between criterion and the routine. A stack of nothing else keeps them.
            let plumbing = frames.iter().rev().take_while(|f| is_std(f)).count();
            if plumbing < frames.len() {
                frames.truncate(frames.len() - plumbing);
            }
        }
        let internal = frames.len() - leaf_trimmed(&frames).len();
        frames.drain(..internal);
        let counts = merged.entry(frames).or_default();
        if counts.len() < site.samples.len() {
            counts.resize(site.samples.len(), [0; 4]);
        }
        for (sum, c) in counts.iter_mut().zip(&site.samples) {
            for (s, v) in sum.iter_mut().zip(c) {
                *s += v;
            }
        }
    }
    // The harness captures a benchmark's first two measured samples only, and says which: the
    // other samples' counts are zero because nothing was captured, not because nothing was
    // allocated. (A harness that does not say captured every sample.)
    let any_captured = joined.records.iter().any(|r| r.sites);
    let mut out = Vec::new();
    for (frames, counts) in merged {
        let captured = |n: usize| joined.records.get(n).is_some_and(|r| r.sites);
        let samples: Vec<Sample> = joined
            .samples
            .iter()
            .zip(&joined.record_index)
            .enumerate()
            .filter(|(n, _)| captured(*n) || !any_captured)
            .map(|(_, (s, &k))| {
                let c = counts.get(k).copied().unwrap_or_default();
                Sample {
                    iters: s.iters,
                    windows: 1,
                    custom: false,
                    counts: allocbench_formats::counts::Counts {
                        alloc_objects: c[0],
                        alloc_space: c[1],
                        free_objects: c[2],
                        free_space: c[3],
                        reallocs: 0,
                    },
                    peak_space: 0,
                }
            })
            .collect();
        let taken = match &estimate {
            Some(estimate) => estimate.apply(&samples),
            None => figures::per_iteration_figures(&samples),
        };
        let Some(f) = taken else { continue };
        if f.alloc_objects == 0.0 && f.alloc_space == 0.0 {
            continue; // a stack that allocated only during one-off work
        }
        out.push(HeapStack {
            frames,
            alloc_objects: f.alloc_objects,
            alloc_space: f.alloc_space,
            inuse_objects: f.inuse_objects,
            inuse_space: f.inuse_space,
        });
    }
    out.sort_by(|a, b| b.alloc_space.total_cmp(&a.alloc_space).then_with(|| a.frames.cmp(&b.frames)));
    out
}

/// The code that makes system calls, per family and per iteration, from the allocation-site
/// pass's system-call stacks (`[read calls, read bytes, write calls, write bytes]` per sample):
/// each family's counts taken as an allocating stack's, calls for objects and bytes for bytes,
/// by the same slope over the captured samples ([`stacks`], exact: system calls are counted
/// exactly, and one-off work such as a first read drops out), and grouped into sites by the same
/// rule ([`sites`]). Each family most calls first.
pub fn syscall_sites(records: &[SiteRecord], joined: &Joined, package: &str) -> Vec<SyscallSite> {
    let mut out = Vec::new();
    for family in SyscallFamily::ALL {
        let at = match family {
            SyscallFamily::Read => 0,
            SyscallFamily::Write => 2,
        };
        let as_allocations: Vec<SiteRecord> = records
            .iter()
            .map(|r| SiteRecord {
                frames: r.frames.clone(),
                samples: r.samples.iter().map(|c| [c[at], c[at + 1], 0, 0]).collect(),
            })
            .collect();
        let mut found: Vec<SyscallSite> = sites(&stacks(&as_allocations, joined, None), package)
            .into_iter()
            .map(|s| SyscallSite {
                family,
                function: s.function,
                file: s.file,
                line: s.line,
                caller: s.caller,
                calls: s.alloc_objects,
                bytes: s.alloc_space,
            })
            .filter(|s| s.calls > 0.0)
            .collect();
        found.sort_by(|a, b| b.calls.total_cmp(&a.calls).then_with(|| a.function.cmp(&b.function)));
        out.extend(found);
    }
    out
}

/// Whether `stack` is only criterion's or allocbench's frame: its allocations were made by code
/// inlined into the harness's loop, which the binary's debug info does not name.
pub fn inlined_into_harness(stack: &HeapStack) -> bool {
    matches!(stack.frames.as_slice(), [f] if is_harness_frame(&f.function))
}

/// A stack (leaf first) without the allocation machinery at its leaf (`RawVec`'s growth, the
/// allocator): the leaf is then the API the code called, `flat` in `go tool pprof -top`. A stack
/// of nothing else keeps it.
fn leaf_trimmed(frames: &[Frame]) -> &[Frame] {
    let internal = frames.iter().take_while(|f| is_allocation_internal(&f.function)).count();
    if internal < frames.len() {
        &frames[internal..]
    } else {
        frames
    }
}

/// Stacks grouped into sites, most bytes first.
pub fn sites(stacks: &[HeapStack], package: &str) -> Vec<AllocSite> {
    let krate = format!("{}::", package.replace('-', "_"));
    // Code the package wrote: not what a derive generated for it (`crate::_::<impl Serialize ..>`).
    let in_package = |f: &str| f.trim_start_matches('<').starts_with(&krate) && !f.contains("::_::");
    let mut grouped: BTreeMap<(String, Option<String>), AllocSite> = BTreeMap::new();
    for s in stacks {
        let Some(site) = s.frames.iter().find(|f| !is_std(f)).or(s.frames.first()) else { continue };
        let caller = if in_package(&site.function) {
            None
        } else {
            s.frames.iter().find(|f| in_package(&f.function)).map(|f| f.function.clone())
        };
        let entry = grouped.entry((site.function.clone(), caller.clone())).or_insert_with(|| AllocSite {
            function: site.function.clone(),
            file: site.file.clone(),
            line: site.line,
            caller,
            alloc_objects: 0.0,
            alloc_space: 0.0,
            inuse_objects: 0.0,
            inuse_space: 0.0,
        });
        entry.alloc_objects += s.alloc_objects;
        entry.alloc_space += s.alloc_space;
        entry.inuse_objects += s.inuse_objects;
        entry.inuse_space += s.inuse_space;
    }
    let mut out: Vec<AllocSite> = grouped.into_values().collect();
    out.sort_by(|a, b| b.alloc_space.total_cmp(&a.alloc_space).then_with(|| a.function.cmp(&b.function)));
    out
}

/// Profile values are integers: per iteration when every figure is a whole number, else per
/// 1000 iterations. Returns the multiplier and how the profile's comment says it.
fn scale(stacks: &[HeapStack]) -> (f64, &'static str) {
    let whole = |v: f64| (v - v.round()).abs() < 1e-9;
    if stacks
        .iter()
        .all(|s| whole(s.alloc_objects) && whole(s.alloc_space) && whole(s.inuse_objects) && whole(s.inuse_space))
    {
        (1.0, "values per iteration of the benchmark")
    } else {
        (1000.0, "values per 1000 iterations of the benchmark")
    }
}

/// `heap.pb.gz`: pprof's profile.proto with Go's heap sample types, gzipped.
pub fn pprof_bytes(stacks: &[HeapStack], id: &str) -> Vec<u8> {
    use pprof::protos::{self, Message};

    let mut strings: Vec<String> = vec![String::new()];
    let mut string_ids: BTreeMap<String, i64> = BTreeMap::new();
    let mut s = |text: &str| -> i64 {
        if let Some(&i) = string_ids.get(text) {
            return i;
        }
        strings.push(text.to_owned());
        let i = strings.len() as i64 - 1;
        string_ids.insert(text.to_owned(), i);
        i
    };
    let value_type =
        |s: &mut dyn FnMut(&str) -> i64, ty: &str, unit: &str| protos::ValueType { ty: s(ty), unit: s(unit) };
    let sample_type = vec![
        value_type(&mut s, "alloc_objects", "count"),
        value_type(&mut s, "alloc_space", "bytes"),
        value_type(&mut s, "inuse_objects", "count"),
        value_type(&mut s, "inuse_space", "bytes"),
    ];
    let period_type = Some(value_type(&mut s, "space", "bytes"));
    let (mult, comment) = scale(stacks);
    let comments = vec![s(&format!(
        "allocbench: {id}: {comment}; every allocation of its first two measured samples recorded, no sampling"
    ))];
    let default_sample_type = s("alloc_space");

    let mut functions: Vec<protos::Function> = Vec::new();
    let mut function_ids: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut locations: Vec<protos::Location> = Vec::new();
    let mut location_ids: BTreeMap<Frame, u64> = BTreeMap::new();
    let mut samples = Vec::new();
    for stack in stacks {
        let mut location_id = Vec::with_capacity(stack.frames.len());
        // Trimmed here too for a baseline's stacks, which an older allocbench may have kept whole.
        for frame in leaf_trimmed(&stack.frames) {
            let id = match location_ids.get(frame) {
                Some(&id) => id,
                None => {
                    let file = frame.file.clone().unwrap_or_default();
                    let fkey = (frame.function.clone(), file.clone());
                    let function_id = match function_ids.get(&fkey) {
                        Some(&f) => f,
                        None => {
                            let f = functions.len() as u64 + 1;
                            let name = s(&frame.function);
                            // The allocation-site pass records demangled names only: no symbol to
                            // give.
                            let system_name = s(pprof_names::system_name(&frame.function, None));
                            functions.push(protos::Function {
                                id: f,
                                name,
                                system_name,
                                filename: s(&file),
                                start_line: 0,
                            });
                            function_ids.insert(fkey, f);
                            f
                        }
                    };
                    let id = locations.len() as u64 + 1;
                    locations.push(protos::Location {
                        id,
                        mapping_id: 1,
                        address: 0,
                        line: vec![protos::Line { function_id, line: i64::from(frame.line.unwrap_or(0)) }],
                        is_folded: false,
                    });
                    location_ids.insert(frame.clone(), id);
                    id
                }
            };
            location_id.push(id);
        }
        let v = |x: f64| (x * mult).round() as i64;
        samples.push(protos::Sample {
            location_id,
            value: vec![v(stack.alloc_objects), v(stack.alloc_space), v(stack.inuse_objects), v(stack.inuse_space)],
            label: Vec::new(),
        });
    }
    let mapping = vec![protos::Mapping {
        id: 1,
        memory_start: 0,
        memory_limit: 0,
        file_offset: 0,
        filename: s("benchmark"),
        build_id: 0,
        has_functions: true,
        has_filenames: true,
        has_line_numbers: true,
        has_inline_frames: true,
    }];
    let profile = protos::Profile {
        sample_type,
        sample: samples,
        mapping,
        location: locations,
        function: functions,
        string_table: strings,
        drop_frames: 0,
        keep_frames: 0,
        time_nanos: 0,
        duration_nanos: 0,
        period_type,
        period: 1,
        comment: comments,
        default_sample_type,
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = gz.write_all(&profile.encode_to_vec());
    gz.finish().unwrap_or_default()
}

/// Files of one benchmark's allocation-site pass, relative to the output folder.
#[derive(Debug, Clone, PartialEq)]
pub struct HeapArtifacts {
    pub heap_profile: String,
    /// The baseline's stacks, when there was a baseline with sites: `heap-base.pb.gz`.
    pub heap_base_profile: Option<String>,
    /// None when the benchmark allocates nothing: there is no graph to draw.
    pub alloc_flamegraph: Option<String>,
}

/// Writes `heap.pb.gz` and `alloc-flamegraph.svg` for benchmark `id` (as
/// [`artifacts::Folders::name`] names it) in its `folder` ([`artifacts::Folders::of`]) of `out_dir`; with `base`, also `heap-base.pb.gz` for
/// `go tool pprof -diff_base`.
pub fn write(
    id: &str,
    folder: &Path,
    stacks: &[HeapStack],
    base: Option<&[HeapStack]>,
    out_dir: &Path,
) -> Result<HeapArtifacts, HeapError> {
    let folder = out_dir.join(folder);
    let write = |name: &str, bytes: &[u8]| {
        std::fs::create_dir_all(&folder)
            .and_then(|_| std::fs::write(folder.join(name), bytes))
            .map_err(|source| HeapError::Write { path: folder.join(name), source })
            .map(|_| folder.join(name))
    };
    let pb = write("heap.pb.gz", &pprof_bytes(stacks, id))?;
    let heap_base_profile = match base {
        Some(base) => Some(artifacts::relative(&write("heap-base.pb.gz", &pprof_bytes(base, id))?, out_dir)),
        None => None,
    };
    let (mult, per) = scale(stacks);
    let folded: BTreeMap<String, u64> = stacks
        .iter()
        .filter(|s| s.alloc_space > 0.0)
        .map(|s| {
            let names: Vec<&str> = s.frames.iter().rev().map(|f| f.function.as_str()).collect();
            (names.join(";"), (s.alloc_space * mult).round() as u64)
        })
        .fold(BTreeMap::new(), |mut m, (k, v)| {
            *m.entry(k).or_insert(0) += v;
            m
        });
    if folded.is_empty() {
        return Ok(HeapArtifacts {
            heap_profile: artifacts::relative(&pb, out_dir),
            heap_base_profile,
            alloc_flamegraph: None,
        });
    }
    let svg = folder.join("alloc-flamegraph.svg");
    let subtitle =
        format!("bytes allocated, {}; allocator and criterion frames cut away", per.trim_start_matches("values "));
    crate::folded::draw(&folded, &format!("{id}: bytes allocated"), &subtitle, "bytes", &svg)
        .map_err(|e| HeapError::Write { path: e.path, source: e.source })?;
    Ok(HeapArtifacts {
        heap_profile: artifacts::relative(&pb, out_dir),
        heap_base_profile,
        alloc_flamegraph: Some(artifacts::relative(&svg, out_dir)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use allocbench_formats::record::FrameRecord;

    fn frame(f: &str) -> FrameRecord {
        let std = ["alloc::", "core::", "std::"].iter().any(|p| f.starts_with(p));
        let file = if std { "/rustc/0123/library/alloc/src/vec/mod.rs" } else { "src/lib.rs" };
        FrameRecord { function: f.to_owned(), file: Some(file.into()), line: Some(7) }
    }

    fn stack(frames: &[&str], objects: f64, space: f64) -> HeapStack {
        HeapStack {
            frames: frames.iter().map(|f| Frame::from(&frame(f))).collect(),
            alloc_objects: objects,
            alloc_space: space,
            inuse_objects: 0.0,
            inuse_space: 0.0,
        }
    }

    #[test]
    fn sites_name_the_library_call_and_the_packages_caller() {
        let stacks = vec![
            stack(
                &[
                    "alloc::raw_vec::finish_grow",
                    "serde_json::ser::to_vec",
                    "serde_json::ser::to_string",
                    "json_fanout::Hub::notify_clients",
                ],
                3.0,
                384.0,
            ),
            stack(&["alloc::vec::Vec<T>::with_capacity", "json_fanout::Hub::flush"], 1.0, 64.0),
        ];
        let s = sites(&stacks, "json-fanout");
        assert_eq!(s[0].function, "serde_json::ser::to_vec");
        assert_eq!(s[0].caller.as_deref(), Some("json_fanout::Hub::notify_clients"));
        assert_eq!((s[0].alloc_objects, s[0].alloc_space), (3.0, 384.0));
        assert_eq!(s[1].function, "json_fanout::Hub::flush");
        assert_eq!(s[1].caller, None);
        // Which of these sites grew against a baseline of the second alone is `gate::grown`'s test.
    }

    /// The shape seen under load in `batched/small_input`: one allocation of 256 bytes per
    /// iteration, reached through `iter_batched`'s direct call in the first five samples (batch
    /// size one) and through `Vec::extend` in the last five (batch size two).
    #[test]
    fn a_stack_split_by_criterions_frames_is_one_stack() {
        let iters: Vec<u64> = (1..=10).map(|k| 2 * k).collect();
        let joined = Joined {
            samples: iters
                .iter()
                .map(|&n| Sample {
                    iters: n,
                    windows: 1,
                    custom: false,
                    counts: allocbench_formats::counts::Counts {
                        alloc_objects: 0,
                        alloc_space: 0,
                        free_objects: 0,
                        free_space: 0,
                        reallocs: 0,
                    },
                    peak_space: 0,
                })
                .collect(),
            record_index: (0..10).collect(),
            time_samples_ns: vec![1.0; 10],
            records: Vec::new(),
        };
        let site = |plumbing: &[&str], first_half: bool| SiteRecord {
            frames: ["alloc::vec::Vec<u8>::with_capacity", "exact_fixture::consume"]
                .iter()
                .chain(plumbing)
                .chain(&["criterion::bencher::Bencher<M>::iter_batched", "exact::loops::{{closure}}", "main"])
                .map(|f| frame(f))
                .collect(),
            samples: iters
                .iter()
                .enumerate()
                .map(|(k, &n)| if (k < 5) == first_half { [n, 256 * n, n, 256 * n] } else { [0; 4] })
                .collect(),
        };
        let split = [
            site(&["core::ops::function::FnMut::call_mut"], true),
            site(
                &[
                    "core::ops::function::FnMut::call_mut",
                    "core::iter::adapters::map::map_fold::{{closure}}",
                    "alloc::vec::Vec<T,A>::extend_trusted",
                ],
                false,
            ),
        ];
        let found = stacks(&split, &joined, None);
        assert_eq!(found.len(), 1, "{found:#?}");
        let names: Vec<&str> = found[0].frames.iter().map(|f| f.function.as_str()).collect();
        assert_eq!(names, ["alloc::vec::Vec<u8>::with_capacity", "exact_fixture::consume"], "plumbing cut");
        assert_eq!((found[0].alloc_objects, found[0].alloc_space), (1.0, 256.0));
        assert_eq!((found[0].inuse_objects, found[0].inuse_space), (0.0, 0.0));
    }

    fn record(sites: bool) -> allocbench_formats::record::RecordSample {
        allocbench_formats::record::RecordSample {
            time: 1.0,
            windows: 1,
            custom: false,
            counts: allocbench_formats::counts::Counts {
                alloc_objects: 0,
                alloc_space: 0,
                free_objects: 0,
                free_space: 0,
                reallocs: 0,
            },
            peak_space: 0,
            callgrind_part: None,
            sites,
            probes: allocbench_formats::record::ProbeCounts::NONE,
        }
    }

    fn joined(iters: &[u64], captured: &[bool]) -> Joined {
        let sample = |n: u64| Sample {
            iters: n,
            windows: 1,
            custom: false,
            counts: allocbench_formats::counts::Counts {
                alloc_objects: 0,
                alloc_space: 0,
                free_objects: 0,
                free_space: 0,
                reallocs: 0,
            },
            peak_space: 0,
        };
        Joined {
            samples: iters.iter().map(|&n| sample(n)).collect(),
            record_index: (0..iters.len()).collect(),
            time_samples_ns: vec![1.0; iters.len()],
            records: captured.iter().map(|&c| record(c)).collect(),
        }
    }

    /// The harness captures the first two measured samples: the others' zero counts are not
    /// measurements, and would pull the slope down.
    #[test]
    fn only_captured_samples_count() {
        let iters: Vec<u64> = (1..=10).collect();
        let captured: Vec<bool> = (0..10).map(|k| k < 2).collect();
        let site = SiteRecord {
            frames: vec![frame("exact_fixture::vec_sum"), frame("criterion::bencher::Bencher<M>::iter")],
            // One-off work in each sample (b = 1 block of 64 bytes) cancels in the slope.
            samples: iters
                .iter()
                .map(|&n| if n <= 2 { [3 * n + 1, 24 * n + 64, 3 * n + 1, 24 * n + 64] } else { [0; 4] })
                .collect(),
        };
        let found = stacks(std::slice::from_ref(&site), &joined(&iters, &captured), None);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].alloc_objects, found[0].alloc_space), (3.0, 24.0));
        // A harness that does not say which samples it captured captured them all.
        let all: Vec<[u64; 4]> = iters.iter().map(|&n| [3 * n, 24 * n, 0, 0]).collect();
        let old = SiteRecord { samples: all, ..site };
        let found = stacks(&[old], &joined(&iters, &[false; 10]), None);
        assert_eq!((found[0].alloc_objects, found[0].inuse_space), (3.0, 24.0));
    }

    /// Without debug info, a routine inlined into criterion's loop leaves no frame of its own: its
    /// bytes stay in the figures, under the loop's frame, and the pass can tell.
    #[test]
    fn a_stack_of_criterions_frames_only_keeps_one() {
        let iters = [1u64, 2];
        let site = SiteRecord {
            frames: ["criterion::bencher::Bencher<M>::iter", "allocbench::record::around_routine", "main"]
                .iter()
                .map(|f| frame(f))
                .collect(),
            samples: iters.iter().map(|&n| [n, 8 * n, n, 8 * n]).collect(),
        };
        let found = stacks(&[site], &joined(&iters, &[true, true]), None);
        assert_eq!(found.len(), 1);
        assert!(inlined_into_harness(&found[0]), "{found:#?}");
        assert_eq!(sites(&found, "fx")[0].alloc_space, 8.0);
        assert!(!inlined_into_harness(&stack(&["fx::f"], 1.0, 8.0)));
    }

    /// `go tool pprof -top` shows in `flat` what the leaf is: the function the code called, not
    /// `RawVec`'s growth below it (as Go's heap profiles hide `runtime.` frames).
    #[test]
    fn leaves_are_the_api_the_code_called() {
        let one = |frames: &[&str]| {
            let site = SiteRecord {
                frames: frames.iter().map(|f| frame(f)).collect(),
                samples: (1..=4).map(|n| [n, 64 * n, 0, 0]).collect(),
            };
            let joined = Joined {
                samples: (1..=4u64)
                    .map(|n| Sample {
                        iters: n,
                        windows: 1,
                        custom: false,
                        counts: allocbench_formats::counts::Counts {
                            alloc_objects: 0,
                            alloc_space: 0,
                            free_objects: 0,
                            free_space: 0,
                            reallocs: 0,
                        },
                        peak_space: 0,
                    })
                    .collect(),
                record_index: (0..4).collect(),
                time_samples_ns: vec![1.0; 4],
                records: Vec::new(),
            };
            let found = stacks(&[site], &joined, None);
            found[0].frames.iter().map(|f| f.function.clone()).collect::<Vec<_>>()
        };
        let grown = one(&[
            "alloc::raw_vec::RawVecInner<A>::finish_grow",
            "<alloc::raw_vec::RawVecInner>::grow_one",
            "alloc::vec::Vec<T,A>::push",
            "my::render",
            "criterion::bencher::Bencher<M>::iter",
        ]);
        assert_eq!(grown, ["alloc::vec::Vec<T,A>::push", "my::render"]);
        // Only machinery: kept, rather than an empty stack.
        let bare = one(&["alloc::alloc::exchange_malloc", "criterion::bencher::Bencher<M>::iter"]);
        assert_eq!(bare, ["alloc::alloc::exchange_malloc"]);
    }

    #[test]
    fn profile_functions_keep_their_full_names() {
        use pprof::protos::{Message, Profile};
        use std::io::Read;

        let name = "<&mut serde_json::ser::Serializer<W,F> as serde_core::ser::Serializer>::serialize_str";
        let mut raw = Vec::new();
        let gz = pprof_bytes(&[stack(&[name, "json_fanout::Hub::notify_clients"], 1.0, 8.0)], "b");
        flate2::read::GzDecoder::new(gz.as_slice()).read_to_end(&mut raw).unwrap();
        let p = Profile::decode(raw.as_slice()).unwrap();
        let f = &p.function[0];
        assert_eq!(p.string_table[f.name as usize], name);
        assert_eq!(p.string_table[f.system_name as usize], "", "see pprof_names");
    }

    #[test]
    fn profile_scale() {
        assert_eq!(scale(&[stack(&["a"], 1.0, 8.0)]).0, 1.0);
        assert_eq!(scale(&[stack(&["a"], 1.0 / 3.0, 8.0)]).0, 1000.0);
    }
}
