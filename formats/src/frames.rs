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

    #[test]
    fn harness_frames() {
        assert!(is_harness_frame("allocbench::record::around_routine"));
        assert!(is_harness_frame("<allocbench::measurement::Counting<M> as criterion::measurement::Measurement>::end"));
        assert!(!is_harness_frame("exact::loops::{{closure}}"));
        assert!(!is_harness_frame("criterion_like::f"));
    }
}
