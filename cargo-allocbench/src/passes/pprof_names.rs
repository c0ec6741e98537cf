//! Function names in the profiles we write (`heap.pb.gz`, `cpu.pb.gz`) that `go tool pprof`
//! shows as they are.
//!
//! pprof treats a `Function` whose `system_name` equals its `name` as not yet demangled. Its
//! default symbolisation (`internal/symbolizer/symbolizer.go`, `Demangle` →
//! `demangleSingleFunction`; the same in Go 1.19's vendored copy and in google/pprof today) skips
//! a function only when
//!
//! ```go
//! if fn.Name != "" && fn.SystemName != fn.Name {
//!     return // Already demangled.
//! }
//! ```
//!
//! and otherwise, when `system_name` does not demangle, applies `looksLikeDemangledCPlusPlus`
//! (true for any name with `::` or one of `<>[]`) and removes every `<…>` as if it were C++
//! template arguments. A Rust trait impl `<&mut serde_json::ser::Serializer<W,F> as
//! serde_core::ser::Serializer>::serialize_str` then shows as `::serialize_str`: the part that
//! says which library allocates is gone, and every serde, `Display`, `Iterator` and `Write` frame
//! is a trait impl.
//!
//! So `name` stays the full Rust name and `system_name` never repeats it. It is the symbol's
//! mangled name where we have one (pprof-rs writes it in CPU profiles): then
//! `-symbolize=demangle=full` recovers the full name from it. Where we have none (the
//! allocation-site pass records demangled names only), it is empty: `Demangle`'s forced mode copies
//! `system_name` into `name` only `if f.Name != "" && f.SystemName != ""`, so an empty one keeps
//! `name` under every `-symbolize` option. `-top` prints `name` unshortened
//! (`NodeInfo.PrintableName`); `ShortenFunctionName` applies only to the graph and flame graph
//! views.

use pprof::protos;

/// The `system_name` to write beside `name`: `symbol` (the mangled name the system knows the
/// function by) when there is one that differs from `name`, else none at all.
pub fn system_name<'a>(name: &str, symbol: Option<&'a str>) -> &'a str {
    match symbol {
        Some(symbol) if symbol != name => symbol,
        _ => "",
    }
}

/// Applies [`system_name`] to every function of `profile`, for profiles another writer made.
pub fn keep_names(profile: &mut protos::Profile) {
    // pprof's writers put "" first in the string table; a profile without it gets one appended.
    let empty = match profile.string_table.iter().position(String::is_empty) {
        Some(i) => i as i64,
        None => {
            profile.string_table.push(String::new());
            profile.string_table.len() as i64 - 1
        }
    };
    let text = |table: &[String], i: i64| usize::try_from(i).ok().and_then(|i| table.get(i)).cloned();
    for function in &mut profile.function {
        let name = text(&profile.string_table, function.name).unwrap_or_default();
        let symbol = text(&profile.string_table, function.system_name);
        if system_name(&name, symbol.as_deref()).is_empty() {
            function.system_name = empty;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRAIT_IMPL: &str = "<&mut serde_json::ser::Serializer<W,F> as serde_core::ser::Serializer>::serialize_str";

    #[test]
    fn system_name_never_repeats_the_name() {
        assert_eq!(system_name(TRAIT_IMPL, None), "");
        assert_eq!(system_name(TRAIT_IMPL, Some(TRAIT_IMPL)), "");
        let mangled = "_ZN87_$LT$$RF$mut$u20$serde_json..ser..Serializer$LT$W$C$F$GT$$u20$as$u20$serde_core..ser..\
                       Serializer$GT$13serialize_str17h0123456789abcdefE";
        assert_eq!(system_name(TRAIT_IMPL, Some(mangled)), mangled);
        assert_eq!(system_name("main", Some("main")), "");
    }

    #[test]
    fn keep_names_clears_system_names_that_repeat_the_name() {
        let strings = ["", TRAIT_IMPL, "_ZN3cpu4spin17h0123456789abcdefE", "cpu::spin"];
        let mut profile = protos::Profile {
            string_table: strings.map(String::from).to_vec(),
            function: vec![
                protos::Function { id: 1, name: 1, system_name: 1, ..Default::default() },
                protos::Function { id: 2, name: 3, system_name: 2, ..Default::default() },
            ],
            ..Default::default()
        };
        keep_names(&mut profile);
        let names: Vec<(&str, &str)> = profile
            .function
            .iter()
            .map(|f| {
                (profile.string_table[f.name as usize].as_str(), profile.string_table[f.system_name as usize].as_str())
            })
            .collect();
        assert_eq!(names, [(TRAIT_IMPL, ""), ("cpu::spin", "_ZN3cpu4spin17h0123456789abcdefE")]);
    }

    #[test]
    fn keep_names_adds_the_empty_string_when_missing() {
        let mut profile = protos::Profile {
            string_table: vec!["a::b".into()],
            function: vec![protos::Function { id: 1, name: 0, system_name: 0, ..Default::default() }],
            ..Default::default()
        };
        keep_names(&mut profile);
        assert_eq!(profile.string_table[profile.function[0].system_name as usize], "");
        assert_eq!(profile.string_table[profile.function[0].name as usize], "a::b");
    }
}
