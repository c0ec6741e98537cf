//! Rules for the frames of the stacks both passes see: which belong to the benchmarking machinery
//! (criterion's timing loops, allocbench's wrappers around the user's closure) and are cut away so
//! that the benchmark's own code is the root, and how a symbol's name is written.

/// Libraries pprof-rs is told not to unwind from in the CPU pass: unwinding from inside them in a
/// signal handler can deadlock or crash. The price: samples that land in `malloc`, `free` or
/// `memcpy` are dropped, so time spent there vanishes from the flame graph.
pub const CPU_UNWIND_BLOCKLIST: [&str; 4] = ["libc", "libgcc", "pthread", "vdso"];

/// Whether the demangled function `name` is criterion's or allocbench's, or a closure criterion
/// builds inside its own code.
///
/// ```
/// use allocbench_formats::frames::is_harness_frame;
///
/// assert!(is_harness_frame("criterion::bencher::Bencher<M>::iter"));
/// assert!(is_harness_frame("<criterion::routine::Function<M,F,T> as criterion::routine::Routine<M,T>>::profile"));
/// assert!(!is_harness_frame("json_fanout::Hub::notify_clients"));
/// ```
pub fn is_harness_frame(name: &str) -> bool {
    ["criterion::", "<criterion::", "allocbench::", "<allocbench::"].iter().any(|p| name.starts_with(p))
}

/// Whether the demangled function `name` is the global allocator's: Rust's allocation shims
/// (`__rust_alloc` and its kin, `__rustc::`-prefixed in recent releases), the default allocator
/// (`__rdl_alloc`), or allocbench's counting allocator. Everything such a frame calls is the
/// allocator's too. These frames are below the code that allocated, never criterion's machinery
/// above the routine, though allocbench's carry its name.
///
/// ```
/// use allocbench_formats::frames::is_allocator_frame;
///
/// assert!(is_allocator_frame("__rustc::__rust_realloc"));
/// assert!(is_allocator_frame("<allocbench::alloc::Alloc<A> as core::alloc::global::GlobalAlloc>::alloc"));
/// assert!(!is_allocator_frame("alloc::raw_vec::finish_grow"));
/// ```
pub fn is_allocator_frame(name: &str) -> bool {
    let name = name.trim_start_matches('<');
    let name = name.strip_prefix("__rustc::").unwrap_or(name);
    ["__rust_alloc", "__rust_dealloc", "__rust_realloc", "__rdl_", "__rg_", "allocbench::alloc::"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Whether the demangled function `name` is the allocation machinery below the API the code
/// called (`Vec::with_capacity`, `String::push_str`, `Box::new`): the allocator
/// ([`is_allocator_frame`]), `alloc::alloc`, `alloc::raw_vec`'s growth and `backtrace`'s capture.
/// Heap profiles trim these from the leaf, as Go's runtime trims its own `runtime.` frames from
/// its heap profiles, so that `go tool pprof -top` names in `flat` the function that allocated
/// (Go shows `makeslice`'s caller), not `finish_grow`.
///
/// ```
/// use allocbench_formats::frames::is_allocation_internal;
///
/// assert!(is_allocation_internal("alloc::raw_vec::RawVecInner<A>::finish_grow"));
/// assert!(!is_allocation_internal("alloc::vec::Vec<T,A>::reserve"));
/// ```
pub fn is_allocation_internal(name: &str) -> bool {
    let bare = name.trim_start_matches('<');
    is_allocator_frame(name)
        || [
            "alloc::alloc::",
            "alloc::raw_vec::",
            "core::alloc::",
            "std::alloc::",
            "backtrace::",
            "hashbrown::raw::alloc::",
        ]
        .iter()
        .any(|p| bare.starts_with(p))
}

/// Whether the demangled function `name` is of Rust's standard library (`core`, `alloc`, `std`),
/// by its path: for a trait impl, the type's (`<alloc::string::String as core::fmt::Write>` is,
/// `<my::Type as core::fmt::Display>` is not), or the trait's when the type is a primitive, whose
/// impls of the standard library's traits live in it (`<u64 as core::cmp::PartialOrd>::lt`, the
/// compare of criterion's own loop counter inlined into its loop, is).
///
/// ```
/// use allocbench_formats::frames::is_std_frame;
///
/// assert!(is_std_frame("<u64 as core::cmp::PartialOrd>::lt"));
/// assert!(!is_std_frame("<u64 as my::Trait>::f"));
/// assert!(!is_std_frame("<my::Type as core::fmt::Display>::fmt"));
/// ```
pub fn is_std_frame(name: &str) -> bool {
    let is_std_path = |path: &str| ["core::", "alloc::", "std::"].iter().any(|p| path.starts_with(p));
    let name = name.trim_start_matches('<');
    if is_std_path(name) {
        return true;
    }
    match name.split_once(" as ") {
        Some((ty, rest)) => !ty.contains("::") && is_std_path(rest),
        None => false,
    }
}

/// Where the frames of the benchmark's code start in a stack of function names, root first: after
/// the last of criterion's or allocbench's frames ([`is_harness_frame`]) above the allocator. The
/// allocator's frames ([`is_allocator_frame`]) are never the cut: a sample taken while the
/// routine allocates belongs under the code that allocated, and cutting at allocbench's
/// allocator left its callees (`AtomicU64::store`, `LocalKey::try_with`) as roots of their own.
/// `None` when no such frame is there (another thread, or a stack too deep to reach criterion).
///
/// ```
/// use allocbench_formats::frames::routine_start;
///
/// let stack = ["criterion::bencher::Bencher<M>::iter", "my::work", "__rustc::__rust_alloc",
///     "<allocbench::alloc::Alloc<A> as core::alloc::global::GlobalAlloc>::alloc", "allocbench::alloc::bump"];
/// assert_eq!(routine_start(&stack), Some(1));
/// ```
pub fn routine_start<S: AsRef<str>>(root_first: &[S]) -> Option<usize> {
    let allocator = root_first.iter().position(|n| is_allocator_frame(n.as_ref())).unwrap_or(root_first.len());
    root_first[..allocator].iter().rposition(|n| is_harness_frame(n.as_ref())).map(|i| i + 1)
}

/// The root that [`cpu_stack`] gives samples of criterion's own work: its loop, dropping the
/// routine's outputs, allocating its vector of inputs.
pub const CRITERION_ROOT: &str = "[criterion]";

/// A CPU sample's stack as `flamegraph.svg` shows it, root first, from its function names (root
/// first, demangled): the benchmark's code is the root, with criterion's and allocbench's frames
/// above it cut away ([`routine_start`]) and the standard library's frames criterion calls the
/// routine through (`FnMut::call_mut`) too. Samples in criterion's own work are rooted at
/// [`CRITERION_ROOT`]. Inside allocbench's counting allocator, the frames of its bookkeeping
/// fold into `<allocbench::alloc::Alloc<A> as GlobalAlloc>::alloc` (or `dealloc`, `realloc`),
/// whose own time is then the counting's, beside the allocator it wraps (`System`'s frames); the
/// sample stays under the code that allocated. `None` when the stack never entered criterion's
/// code: the caller roots it at its thread.
pub fn cpu_stack<S: AsRef<str>>(root_first: &[S]) -> Option<Vec<&str>> {
    let names: Vec<&str> = root_first.iter().map(AsRef::as_ref).collect();
    let start = routine_start(&names)?;
    let body = &names[start..];
    let mut kept: Vec<&str> = Vec::with_capacity(body.len() + 1);
    // The first frame of the benchmark's own code, unless the allocator comes first.
    let allocator = body.iter().position(|n| is_allocator_frame(n)).unwrap_or(body.len());
    match body[..allocator].iter().position(|n| !is_std_frame(n)) {
        Some(user) => kept.extend(&body[user..allocator]),
        None => {
            kept.push(CRITERION_ROOT);
            kept.extend(&body[..allocator]);
        }
    }
    let below = &body[allocator..];
    let wrapper = below.iter().position(|n| n.trim_start_matches('<').starts_with("allocbench::alloc::Alloc<"));
    match wrapper {
        Some(w) => {
            kept.extend(&below[..=w]);
            // Past allocbench's bookkeeping, the allocator it wraps (`System`, jemalloc, ...).
            let inner = below[w + 1..].iter().position(|n| {
                n.contains(" as core::alloc::global::GlobalAlloc>::")
                    && !n.trim_start_matches('<').starts_with("allocbench::")
            });
            if let Some(i) = inner {
                kept.extend(&below[w + 1 + i..]);
            }
        }
        None => kept.extend(below),
    }
    Some(kept)
}

/// A demangled name without the `::h0123456789abcdef` hash, and with `;` (the folded stack
/// format's separator) replaced.
///
/// ```
/// use allocbench_formats::frames::clean_name;
///
/// assert_eq!(clean_name("exact::hot::h0123456789abcdef"), "exact::hot");
/// ```
pub fn clean_name(name: &str) -> String {
    let name = match name.rfind("::h") {
        Some(i) if name.len() - i == 19 && name[i + 3..].bytes().all(|b| b.is_ascii_hexdigit()) => &name[..i],
        _ => name,
    };
    name.replace(';', ":")
}

/// One frame of a symbolised stack.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct FrameRecord {
    /// The demangled function name, without its hash.
    pub function: String,
    /// The source file, when debug info says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The source line, when debug info says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_hash_only() {
        assert_eq!(clean_name("exact::hot::h0123456789abcdef"), "exact::hot");
        assert_eq!(clean_name("exact::hot"), "exact::hot");
        assert_eq!(clean_name("a::hash_map"), "a::hash_map");
        assert_eq!(clean_name("f;g"), "f:g");
    }

    fn owned(stack: &[&str]) -> Vec<String> {
        stack.iter().map(|s| s.to_string()).collect()
    }

    /// The frames of a sample pprof-rs took while a routine allocated, as it resolved them
    /// (inlined frames included), root first.
    const ALLOCATING: [&str; 16] = [
        "main",
        "criterion::routine::Routine::profile",
        "allocbench::record::around_routine",
        "flame::bench::{{closure}}",
        "criterion::bencher::Bencher<M>::iter",
        "core::ops::function::impls::<impl core::ops::function::FnMut<A> for &mut F>::call_mut",
        "flame::bench::{{closure}}::{{closure}}",
        "my::render",
        "alloc::raw_vec::finish_grow",
        "__rustc::__rust_realloc",
        "<allocbench::alloc::Alloc<A> as core::alloc::global::GlobalAlloc>::realloc",
        "allocbench::alloc::on_realloc",
        "std::thread::local::LocalKey<T>::try_with",
        "allocbench::alloc::bump",
        "<core::sync::atomic::AtomicU64>::store",
        "core::sync::atomic::atomic_store",
    ];

    #[test]
    fn samples_in_the_allocator_stay_under_the_code_that_allocated() {
        let stack = owned(&ALLOCATING);
        assert_eq!(routine_start(&stack), Some(5));
        assert_eq!(
            cpu_stack(&stack).unwrap(),
            [
                "flame::bench::{{closure}}::{{closure}}",
                "my::render",
                "alloc::raw_vec::finish_grow",
                "__rustc::__rust_realloc",
                "<allocbench::alloc::Alloc<A> as core::alloc::global::GlobalAlloc>::realloc",
            ]
        );
        // In the allocator it wraps: its frames stay.
        let mut system = owned(&ALLOCATING[..11]);
        system.push("<std::alloc::System as core::alloc::global::GlobalAlloc>::realloc".into());
        system.push("std::sys::alloc::realloc_fallback".into());
        let kept = cpu_stack(&system).unwrap();
        assert_eq!(
            kept[4..],
            [
                "<allocbench::alloc::Alloc<A> as core::alloc::global::GlobalAlloc>::realloc",
                "<std::alloc::System as core::alloc::global::GlobalAlloc>::realloc",
                "std::sys::alloc::realloc_fallback",
            ]
        );
        // Without debug info, no inlined frame says `Alloc`: what is there stays.
        let bare =
            owned(&["criterion::bencher::Bencher<M>::iter", "my::render", "__rust_alloc", "allocbench::alloc::claim"]);
        assert_eq!(cpu_stack(&bare).unwrap(), ["my::render", "__rust_alloc", "allocbench::alloc::claim"]);
    }

    #[test]
    fn criterions_own_work_is_rooted_at_criterion() {
        let drop = owned(&[
            "criterion::bencher::Bencher<M>::iter",
            "core::ptr::drop_in_place<alloc::string::String>",
            "__rust_dealloc",
            "<allocbench::alloc::Alloc<A> as core::alloc::global::GlobalAlloc>::dealloc",
        ]);
        assert_eq!(
            cpu_stack(&drop).unwrap(),
            [
                CRITERION_ROOT,
                "core::ptr::drop_in_place<alloc::string::String>",
                "__rust_dealloc",
                "<allocbench::alloc::Alloc<A> as core::alloc::global::GlobalAlloc>::dealloc"
            ]
        );
        assert_eq!(cpu_stack(&owned(&["main", "criterion::bencher::Bencher<M>::iter"])).unwrap(), [CRITERION_ROOT]);
        assert_eq!(cpu_stack(&owned(&["start_thread", "rayon::work"])), None, "another thread");
        // A sample in criterion's loop at its counter's compare, inlined into the loop: the
        // standard library's impl for a primitive, not the benchmark's code (a CI run drew it
        // as a root of its own).
        let counter = owned(&["criterion::bencher::Bencher<M>::iter", "<u64 as core::cmp::PartialOrd>::lt"]);
        assert_eq!(cpu_stack(&counter).unwrap(), [CRITERION_ROOT, "<u64 as core::cmp::PartialOrd>::lt"]);
    }

    #[test]
    fn no_root_is_the_allocators_or_the_standard_librarys() {
        // Every cut of the allocating stack, as a truncated or shallower sample would give it.
        for end in 1..=ALLOCATING.len() {
            let Some(kept) = cpu_stack(&ALLOCATING[..end]) else { continue };
            let root = kept[0];
            assert!(root == CRITERION_ROOT || !(is_std_frame(root) || is_allocator_frame(root)), "{kept:?}");
        }
    }

    #[test]
    fn allocation_internals() {
        for name in [
            "alloc::raw_vec::finish_grow",
            "<alloc::raw_vec::RawVecInner>::grow_one",
            "alloc::alloc::exchange_malloc",
            "<alloc::alloc::Global as core::alloc::Allocator>::allocate",
            "__rustc::__rust_alloc",
            "<std::alloc::System as core::alloc::global::GlobalAlloc>::alloc",
            "hashbrown::raw::alloc::inner::do_alloc",
        ] {
            assert!(is_allocation_internal(name), "{name}");
        }
        for name in [
            "alloc::vec::Vec<T,A>::with_capacity_in",
            "<alloc::string::String>::push_str",
            "my::f",
            "hashbrown::map::HashMap<K,V,S,A>::insert",
        ] {
            assert!(!is_allocation_internal(name), "{name}");
        }
    }

    #[test]
    fn harness_frames() {
        assert!(is_harness_frame("allocbench::record::around_routine"));
        assert!(is_harness_frame("<allocbench::measurement::Counting<M> as criterion::measurement::Measurement>::end"));
        assert!(!is_harness_frame("exact::loops::{{closure}}"));
        assert!(!is_harness_frame("criterion_like::f"));
    }
}
