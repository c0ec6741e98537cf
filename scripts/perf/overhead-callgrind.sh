#!/usr/bin/env bash
# Instructions per call of each allocator's own code (the wrapper around malloc/free), counted by
# valgrind's callgrind, for the variants built by scripts/perf/overhead-variants.sh: noise-free
# figures beside the nanoseconds. Each binary runs 8 blocks of 100 000 pairs per allocator (5
# warm-up blocks, 3 measured), so a function's self cost / 800 000 is its cost per call.
#
#   scripts/perf/overhead-callgrind.sh [VARIANT...]     (default: every variant in /tmp/variants)
. "$(dirname "$0")/common.sh"
V=/tmp/variants
OUT=$DATA/callgrind
mkdir -p "$OUT"
vs=("$@")
[ ${#vs[@]} -eq 0 ] && vs=($(ls "$V" | grep -v target))
printf '| variant | Alloc::alloc | Alloc::dealloc | pair | System::alloc | stats_alloc alloc + dealloc |\n| --- | ---: | ---: | ---: | ---: | ---: |\n'
for v in "${vs[@]}"; do
    valgrind --tool=callgrind --callgrind-out-file="$OUT/$v.out" "$V/$v/overhead" 1 64 3 100000 >/dev/null 2>"$OUT/$v.log"
    callgrind_annotate "$OUT/$v.out" 2>/dev/null | awk -v v="$v" '
        { n = $1; gsub(",", "", n) }
        /allocbench::alloc::Alloc<A> as core::alloc::global::GlobalAlloc>::alloc / { a = n / 800000 }
        /allocbench::alloc::Alloc<A> as core::alloc::global::GlobalAlloc>::dealloc / { d = n / 800000 }
        /std::alloc::System as core::alloc::global::GlobalAlloc>::alloc / { s = n / 800000 }
        /stats_alloc::StatsAlloc<T> as core::alloc::global::GlobalAlloc>::(alloc|dealloc) / { st += n / 800000 }
        END { printf "| %s | %d | %d | %d | %d | %d |\n", v, a, d, a + d, s, st }'
done
