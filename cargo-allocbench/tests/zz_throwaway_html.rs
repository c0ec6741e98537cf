// THROWAWAY: renders report.html from a report.json for the Chromium check. Not to be committed.
#[test]
#[ignore]
fn render_html() {
    let dir = std::env::var("HTML_DIR").unwrap();
    let text = std::fs::read_to_string(format!("{dir}/report.json")).unwrap();
    let report: cargo_allocbench::report::Report = serde_json::from_str(&text).unwrap();
    std::fs::write(format!("{dir}/report.html"), cargo_allocbench::html::render(&report)).unwrap();
}
