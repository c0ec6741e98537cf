//! The line a bench crate's `[dev-dependencies]` needs to be measured, as the messages suggest it.
//!
//! allocbench is not on the registry yet, so `version = "0.1"` would send a user to a crate
//! that does not exist. A subcommand built from a clone of the repository (`cargo install
//! --path`, `cargo install --git`, `cargo run` in it) has the harness beside its own sources, and
//! the line names that folder; one built from the registry's package has no harness beside it,
//! and the line names the registry's version.

use std::path::Path;

/// `criterion = { package = "allocbench", ... }`, with the harness this binary was built beside
/// when it is still there, e.g.
///
/// ```text
/// criterion = { package = "allocbench", path = "/home/me/allocbench/harness" }
/// ```
pub fn line() -> String {
    let harness = Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(|p| p.join("harness"));
    match harness.filter(|h| h.join("Cargo.toml").is_file()).and_then(|h| h.to_str().map(toml_string)) {
        Some(path) => format!("criterion = {{ package = \"allocbench\", path = {path} }}"),
        None => format!("criterion = {{ package = \"allocbench\", version = \"{}\" }}", minor_version()),
    }
}

/// This build's version as a caret requirement cargo reads as compatible: `0.1` for 0.1.x.
fn minor_version() -> &'static str {
    let version = env!("CARGO_PKG_VERSION");
    match version.match_indices('.').nth(1) {
        Some((at, _)) => &version[..at],
        None => version,
    }
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_the_repository_the_line_names_its_harness() {
        let harness = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join("harness");
        assert_eq!(
            line(),
            format!("criterion = {{ package = \"allocbench\", path = {} }}", toml_string(harness.to_str().unwrap()))
        );
        assert_eq!(minor_version(), "0.1");
    }

    #[test]
    fn toml_strings_escape_quotes_and_backslashes() {
        assert_eq!(toml_string(r#"C:\a "b""#), r#""C:\\a \"b\"""#);
    }
}
