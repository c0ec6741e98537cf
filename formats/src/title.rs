//! Criterion's titles: how it names a benchmark in `--list`, in its output and in the records
//! the harness writes, against the full id (`group/function/parameter`) the report keeps.
//! Criterion cuts a title over 100 bytes to its first 100 and `...`, and appends ` #2` to a
//! title it has seen before in the process (the same id in two groups).
//!
//! ```
//! use allocbench_formats::title::{matches_title, without_counter};
//!
//! assert_eq!(without_counter("g/f #2"), "g/f");
//! assert!(matches_title("g/f", "g/f #2"));
//! assert!(!matches_title("g/f/1", "g/f"));
//! ```

/// Criterion's longest title, in bytes: a longer id is cut to a character boundary at or below
/// it, and `...` is appended.
pub const MAX_TITLE_LEN: usize = 100;

/// Criterion's titles of the benchmarks a process defines, in the order it defines them, from
/// their full ids: each id cut to [`MAX_TITLE_LEN`] bytes with `...`, and a title seen before in
/// the process given ` #2`, ` #3`, ... (criterion's `BenchmarkId::new` and `ensure_title_unique`).
/// Criterion titles every benchmark a process defines, those its filter leaves out included.
///
/// ```
/// use allocbench_formats::title::titles;
///
/// let long = "x".repeat(120);
/// let cut = format!("{}...", "x".repeat(100));
/// assert_eq!(titles(["a", "a", "a\nb", &long]), ["a", "a #2", "a\nb", &cut]);
/// ```
pub fn titles<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for id in ids {
        let mut end = MAX_TITLE_LEN.min(id.len());
        while !id.is_char_boundary(end) {
            end -= 1;
        }
        let plain = if end < id.len() { format!("{}...", &id[..end]) } else { id.to_owned() };
        let mut title = plain.clone();
        let mut counter = 2;
        while seen.contains(&title) {
            title = format!("{plain} #{counter}");
            counter += 1;
        }
        seen.insert(title.clone());
        out.push(title);
    }
    out
}

/// Criterion's title without the ` #2` it appends to a title seen before in the process (the
/// same id in two groups).
pub fn without_counter(title: &str) -> &str {
    match title.rsplit_once(" #") {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => title,
    }
}

/// Whether criterion's title (the id, or its first 100 bytes and `...`, either perhaps with a
/// ` #2` counter) names `id`.
pub fn matches_title(id: &str, title: &str) -> bool {
    let names = |title: &str| {
        id == title || title.strip_suffix("...").is_some_and(|prefix| prefix.len() >= 100 && id.starts_with(prefix))
    };
    names(title) || names(without_counter(title))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_match_ids_cut_and_counted() {
        let long = "x".repeat(150);
        let cut = format!("{}...", &long[..100]);
        assert!(matches_title("g/f", "g/f"));
        assert!(matches_title("g/f", "g/f #2"));
        assert!(matches_title(&long, &cut));
        assert!(matches_title(&long, &format!("{cut} #3")));
        assert!(!matches_title("g/f", "g/f #x"));
        assert!(!matches_title("g/f/1", "g/f"));
    }
}
