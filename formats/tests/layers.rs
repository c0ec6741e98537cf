//! The crate's modules import only from the layers below their own (the crate doc's "Layers"),
//! so that their imports have no cycle: read from the sources, as a reviewer would grep them.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// Each module's layer, as the crate doc lists them: a module may import from a lower layer only.
const LAYERS: [(&str, u32); 20] = [
    ("env", 1),
    ("exit", 1),
    ("frames", 0),
    ("key", 1),
    ("mode", 1),
    ("probe", 1),
    ("counts", 1),
    ("signals", 1),
    ("record", 3),
    ("title", 1),
    ("limit", 1),
    ("figures", 1),
    ("verdict", 1),
    ("partition", 2),
    ("metric", 2),
    ("comparison", 3),
    ("report", 4),
    ("measured", 5),
    ("baseline", 6),
    ("lib", 7),
];

/// The modules a source names as `crate::module` (or inside `crate::{...}`) outside comments.
fn imports(source: &str) -> Vec<String> {
    let code: String = source
        .lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |s: &str| -> String { s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect() };
    let mut found = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a::B, c}`: the first segment of each entry at the group's top level.
            let (mut depth, mut start) = (0, true);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && (c.is_alphanumeric() || c == '_') => {
                        found.push(ident(&group[i..]));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.push(ident(rest));
        }
    }
    found
}

#[test]
fn modules_import_only_from_lower_layers() {
    let layers: BTreeMap<&str, u32> = LAYERS.into_iter().collect();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut seen = 0;
    let mut wrong = Vec::new();
    for entry in fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let module = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let Some(&layer) = layers.get(module.as_str()) else {
            panic!("module `{module}` has no layer: add it to LAYERS and to the crate doc's list");
        };
        seen += 1;
        for imported in imports(&fs::read_to_string(&path).unwrap()) {
            match layers.get(imported.as_str()) {
                Some(&below) if below < layer => {}
                _ if imported == module => {}
                _ => wrong.push(format!("{module} (layer {layer}) imports {imported}")),
            }
        }
    }
    assert_eq!(seen, LAYERS.len(), "a module of LAYERS has no source file");
    assert!(wrong.is_empty(), "imports that run up or across a layer: {wrong:#?}");
}

#[test]
fn the_reader_sees_grouped_imports_and_skips_comments() {
    let source = "use crate::{a::B, c, d::{E, F}};\n// crate::z\nlet x = crate::g::h(); /// crate::y\n";
    assert_eq!(imports(source), ["a", "c", "d", "g"]);
}
