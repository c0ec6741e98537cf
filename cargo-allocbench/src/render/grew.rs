//! What grew against the baseline, for one benchmark, in the words every renderer prints: the
//! allocation sites that allocate more, the functions that execute more instructions of their
//! own, the functions whose CPU share grew. The gate names them ([`crate::gate::grown`]); this
//! module words them once, so that the table, the Markdown summary, `report.html` and the
//! annotations iterate one list and none forgets a kind.

use allocbench_formats::comparison::BenchmarkComparison;

use crate::render::units::{format_bytes, format_count, format_share, printable};

/// The kinds of "grew", in the order they are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrewKind {
    /// An allocation site allocates more per iteration (the allocation-site pass).
    Allocations,
    /// A function executes more instructions of its own per iteration (the instruction pass).
    Instructions,
    /// The benchmark leaves threads running (`threads_alive` regressed): each named, with the
    /// stack that started it when the allocation-site pass ran.
    ThreadsLeft,
    /// A function makes system calls of a family whose count regressed (`write_syscalls`,
    /// `read_syscalls`), as the allocation-site pass's interposers of libc counted them.
    Syscalls,
    /// A function's share of the CPU samples grew (the CPU pass).
    CpuShare,
}

impl GrewKind {
    #[cfg(test)]
    /// Every kind, in the order they are listed.
    pub const ALL: [GrewKind; 5] =
        [GrewKind::Allocations, GrewKind::Instructions, GrewKind::ThreadsLeft, GrewKind::Syscalls, GrewKind::CpuShare];

    /// Whether an entry of this kind explains a failed gate (allocations and instructions are
    /// gated; a CPU share says where time went, which is reported, not gated).
    pub fn explains_a_failure(self) -> bool {
        !matches!(self, GrewKind::CpuShare)
    }
}

/// One thing that grew.
#[derive(Debug, Clone, PartialEq)]
pub struct Grew {
    pub kind: GrewKind,
    /// What grew and by how much, printable, as the terminal shows it:
    /// `allocates more: f (src/lib.rs:12, called from g): 1 → 16 allocs, 16 B → 256 B`.
    pub text: String,
    /// The source file of the entry, as debug info recorded it (often an absolute path).
    pub file: Option<String>,
    /// Its line, when debug info says.
    pub line: Option<u32>,
}

/// What grew in `comparison`, each kind in [`GrewKind`]'s order.
pub fn grew(comparison: &BenchmarkComparison) -> Vec<Grew> {
    let mut out = Vec::new();
    for g in &comparison.grew.sites {
        let caller = g.caller.as_deref().map(|c| format!(", called from {}", printable(c))).unwrap_or_default();
        out.push(Grew {
            kind: GrewKind::Allocations,
            text: format!(
                "allocates more: {} ({}{caller}): {} → {} allocs, {} → {}",
                printable(&g.function),
                location(g.file.as_deref(), g.line),
                format_count(g.base_alloc_objects),
                format_count(g.new_alloc_objects),
                format_bytes(g.base_alloc_space),
                format_bytes(g.new_alloc_space),
            ),
            file: g.file.clone(),
            line: g.line,
        });
    }
    for g in &comparison.grew.instructions {
        out.push(Grew {
            kind: GrewKind::Instructions,
            text: format!(
                "executes more: {}: {} → {} instructions of its own",
                printable(&g.function),
                format_count(g.base),
                format_count(g.new)
            ),
            file: None,
            line: None,
        });
    }
    for (text, file, line) in threads_left(comparison) {
        out.push(Grew { kind: GrewKind::ThreadsLeft, text, file, line });
    }
    for g in &comparison.grew.syscalls {
        let s = &g.site;
        let caller = s.caller.as_deref().map(|c| format!(", called from {}", printable(c))).unwrap_or_default();
        let calls = match g.base_calls {
            Some(base) => format!("{} → {}", format_count(base), format_count(s.calls)),
            None => format_count(s.calls),
        };
        out.push(Grew {
            kind: GrewKind::Syscalls,
            text: format!(
                "makes more {} calls: {} ({}{caller}): {calls} calls, {}",
                s.family.name(),
                printable(&s.function),
                location(s.file.as_deref(), s.line),
                format_bytes(s.bytes),
            ),
            file: s.file.clone(),
            line: s.line,
        });
    }
    for g in &comparison.grew.cpu {
        out.push(Grew {
            kind: GrewKind::CpuShare,
            text: format!(
                "CPU share grew: {}: {} → {}",
                printable(&g.function),
                format_share(g.base_share),
                format_share(g.new_share)
            ),
            file: None,
            line: None,
        });
    }
    out
}

/// One entry per distinct thread left running: `leaves threads running: f spawned at
/// src/lib.rs:30, called from g (name, S, futex_wait_queue)`, `×n` when several threads are
/// alike; without the allocation-site pass, the thread alone. With the file and line of its
/// first frame of the program's own.
fn threads_left(comparison: &BenchmarkComparison) -> Vec<(String, Option<String>, Option<u32>)> {
    let Some(left) = &comparison.grew.left_running else { return Vec::new() };
    let mut alike: Vec<(&allocbench_formats::signals::ThreadLeft, usize)> = Vec::new();
    for t in &left.threads {
        match alike.iter_mut().find(|(a, _)| *a == t) {
            Some((_, n)) => *n += 1,
            None => alike.push((t, 1)),
        }
    }
    let listed = left.threads.len() as u64;
    let mut out: Vec<(String, Option<String>, Option<u32>)> = alike
        .into_iter()
        .map(|(t, n)| {
            let how = [printable(&t.name), printable(&t.state), printable(&t.wchan)]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            let times = if n > 1 { format!(" ×{n}") } else { String::new() };
            match t.spawned_at.first() {
                Some(f) => {
                    let caller = t
                        .spawned_at
                        .get(1)
                        .map(|c| format!(", called from {}", printable(&c.function)))
                        .unwrap_or_default();
                    (
                        format!(
                            "leaves threads running: {} spawned at {}{caller} ({how}){times}",
                            printable(&f.function),
                            location(f.file.as_deref(), f.line)
                        ),
                        f.file.clone(),
                        f.line,
                    )
                }
                None => (format!("leaves threads running: a thread ({how}){times}"), None, None),
            }
        })
        .collect();
    if left.count > listed {
        if let Some((text, _, _)) = out.last_mut() {
            text.push_str(&format!(", and {} more", format_count((left.count - listed) as f64)));
        }
    }
    out
}

/// `file:line`, the file cut to its last two components.
pub fn location(file: Option<&str>, line: Option<u32>) -> String {
    let file = file.map(|f| {
        let parts: Vec<&str> = f.rsplit('/').take(2).collect();
        parts.into_iter().rev().collect::<Vec<_>>().join("/")
    });
    match (file, line) {
        (Some(f), Some(l)) => format!("{}:{l}", printable(&f)),
        (Some(f), None) => printable(&f),
        _ => "unknown location".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use allocbench_formats::comparison::{Growth, InstructionChange, ShareChange, SiteChange, Status, SyscallChange};
    use allocbench_formats::record::FrameRecord;
    use allocbench_formats::signals::{SyscallFamily, SyscallSite, ThreadLeft, ThreadsLeft};

    #[test]
    fn every_kind_in_its_words_sites_first() {
        let c = BenchmarkComparison {
            id: "b".into(),
            package: "p".into(),
            target: "t".into(),
            status: Status::Regressed,
            metrics: vec![],
            grew: Growth {
                cpu: vec![ShareChange { function: "f".into(), base_share: 0.25, new_share: 0.5 }],
                sites: vec![SiteChange {
                    function: "json::encode".into(),
                    file: Some("/repo/crate/src/lib.rs".into()),
                    line: Some(12),
                    caller: Some("crate::push".into()),
                    base_alloc_objects: 1.0,
                    new_alloc_objects: 16.0,
                    base_alloc_space: 16.0,
                    new_alloc_space: 256.0,
                }],
                instructions: vec![InstructionChange { function: "g".into(), base: 10.0, new: 20.0 }],
                left_running: Some(ThreadsLeft {
                    count: 3,
                    threads: vec![
                        ThreadLeft {
                            name: "conn".into(),
                            state: "S".into(),
                            wchan: "futex_wait_queue".into(),
                            spawned_at: vec![
                                FrameRecord {
                                    function: "srv::Connection::open".into(),
                                    file: Some("/r/srv/src/lib.rs".into()),
                                    line: Some(30),
                                },
                                FrameRecord { function: "srv::Server::handle".into(), file: None, line: None },
                            ],
                        };
                        2
                    ],
                }),
                syscalls: vec![
                    SyscallChange {
                        site: SyscallSite {
                            family: SyscallFamily::Write,
                            function: "log::Logger::line".into(),
                            file: Some("/r/log/src/lib.rs".into()),
                            line: Some(104),
                            caller: None,
                            calls: 100.0,
                            bytes: 7890.0,
                        },
                        base_calls: Some(0.0),
                    },
                    SyscallChange {
                        site: SyscallSite {
                            family: SyscallFamily::Read,
                            function: "std::io::stdin".into(),
                            file: None,
                            line: None,
                            caller: Some("app::prompt".into()),
                            calls: 2.0,
                            bytes: 10.0,
                        },
                        base_calls: None,
                    },
                ],
            },
        };
        let texts: Vec<(GrewKind, String)> = grew(&c).into_iter().map(|g| (g.kind, g.text)).collect();
        assert_eq!(
            texts,
            [
                (
                    GrewKind::Allocations,
                    "allocates more: json::encode (src/lib.rs:12, called from crate::push): 1 → 16 allocs, 16 B → 256 B"
                        .to_owned()
                ),
                (GrewKind::Instructions, "executes more: g: 10 → 20 instructions of its own".to_owned()),
                (
                    GrewKind::ThreadsLeft,
                    "leaves threads running: srv::Connection::open spawned at src/lib.rs:30, called from srv::Server::handle (conn, S, futex_wait_queue) ×2, and 1 more"
                        .to_owned()
                ),
                (
                    GrewKind::Syscalls,
                    "makes more write calls: log::Logger::line (src/lib.rs:104): 0 → 100 calls, 7.71 KiB".to_owned()
                ),
                (
                    GrewKind::Syscalls,
                    "makes more read calls: std::io::stdin (unknown location, called from app::prompt): 2 calls, 10 B"
                        .to_owned()
                ),
                (GrewKind::CpuShare, "CPU share grew: f: 25.0% → 50.0%".to_owned()),
            ]
        );
        assert_eq!(grew(&c)[0].file.as_deref(), Some("/repo/crate/src/lib.rs"));
    }
}
