#!/usr/bin/env bash
# Checks record --malloc on real recordings of heap-calls: its 7 leaks of 48 bytes at leak_here with their first addresses and no false leaks, 100 temporaries at temp_here and 4000 in 4 threads, the 300 KiB malloc tied to its mmap, its free to the munmap and 74 faults to the block (text and JSON log), a realloc that moves, no lost records, --no-malloc, a fork+exec child recorded and its leaks, a child exec'd with LD_PRELOAD cleared reported as not recorded, a static program recorded by uprobes (its 2 leaks of 8 bytes), and --leaks refused on a trace without malloc records.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="malloc-record malloc-leaks malloc-no-false-leaks malloc-temporaries malloc-threads
malloc-big-mmap malloc-big-munmap malloc-big-faults malloc-json-ties malloc-realloc-moved malloc-lost
malloc-summary malloc-no-malloc malloc-fork-exec malloc-fork-exec-leaks malloc-clear-exec
malloc-static malloc-needs-records"
need_root_tracefs $TESTS
mm_tmp
P=$(prog heap-calls)

# a function's [start, end) in the running program: its address printed by
# the program (KEY=hex in FILE) and its size from the symbol table
fn_range() {	# FILE KEY SYMBOL
	local a size
	a=$(fact "$1" "$2")
	size=$(nm -S "$P" | awk -v s="$3" '$4 == s { print $2 }')
	[ -n "$a" ] && [ -n "$size" ] && echo "$a $(d2h $(( $(h2d "$a") + $(h2d "$size") )))"
}

# the site rows of PID in a --leaks/--allocations JSON whose site lies in [LO, HI)
sites_in() {	# JSON PID LO HI FIELDS...
	python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); pid = int(sys.argv[2])
lo, hi = int(sys.argv[3], 16), int(sys.argv[4], 16)
rows = [s for p in d["processes"] if p["pid"] == pid for s in p["sites"] if lo <= int(s["site"], 16) < hi]
print(" | ".join(" ".join("%s=%s" % (f, s[f] if not isinstance(s[f], list) else ",".join(s[f])) for f in sys.argv[5:]) for s in rows) or "none")
PY
}

"$MEMMON" record --malloc -o "$T/m.dat" -- "$P" main >"$T/m.out" 2>"$T/m.err"
rc=$?
"$MEMMON" report --log "$T/m.dat" >"$T/m.rep" 2>&1
"$MEMMON" report --leaks --json "$T/m.dat" >"$T/leaks.json" 2>&1
"$MEMMON" report --allocations --json "$T/m.dat" >"$T/allocs.json" 2>&1
pid=$(fact "$T/m.out" pid)
check malloc-record "exit 0, pid known" "exit $rc, pid ${pid:+known}$( [ -n "$pid" ] || show "$T/m.err")"

read -r llo lhi <<<"$(fn_range "$T/m.out" leak_fn leak_here)"
read -r tlo thi <<<"$(fn_range "$T/m.out" temp_fn temp_here)"
read -r hlo hhi <<<"$(fn_range "$T/m.out" thread_fn thread_here)"
first="$(fact "$T/m.out" leak0),$(fact "$T/m.out" leak1),$(fact "$T/m.out" leak2)"
check malloc-leaks "blocks=7 bytes=336 first=$first" "$(sites_in "$T/leaks.json" "$pid" "$llo" "$lhi" blocks bytes first)"
big=$(fact "$T/m.out" big)
bigsite=$(python3 -c 'import json,sys; print([s["site"] for p in json.load(open(sys.argv[1]))["processes"] for s in p["sites"] if s["bytes"] == 307200][0])' "$T/allocs.json" 2>/dev/null)
check malloc-no-false-leaks "none none none" \
	"$(sites_in "$T/leaks.json" "$pid" "$tlo" "$thi" blocks) $(sites_in "$T/leaks.json" "$pid" "$hlo" "$hhi" blocks) $(sites_in "$T/leaks.json" "$pid" "${bigsite:-0}" "$(d2h $(( 16#${bigsite:-0} + 1 )))" blocks)"
check malloc-temporaries "calls=100 temporary=100 bytes=20000" "$(sites_in "$T/allocs.json" "$pid" "$tlo" "$thi" calls temporary bytes)"
tids=$(grep -E '^[0-9]+: malloc\(64\) -> ' "$T/m.rep" | cut -d: -f1 | sort -u | grep -vcx "$pid")
check malloc-threads "calls=4000 temporary=4000 leaked=0; 4 threads" "$(sites_in "$T/allocs.json" "$pid" "$hlo" "$hhi" calls temporary leaked); $tids threads"

# the 300 KiB block: its own mmap (glibc: a 16-byte header before the block)
mm=$(d2h $(( $(h2d "$big") - 16 )))
check malloc-big-mmap "1 line: $pid: malloc(307200) -> $big in main+0xOFF [heap-calls] [mmap $mm 311296]" \
	"$(grep -cE "^$pid: malloc\(307200\) -> $big in main\+0x[0-9a-f]+ \[heap-calls\] \[mmap $mm 311296\]$" "$T/m.rep") line: $(grep -E "^$pid: malloc\(307200\)" "$T/m.rep" | head -1 | sed -E 's/\+0x[0-9a-f]+ /+0xOFF /')"
check malloc-big-munmap "1" "$(grep -cE "^$pid: munmap\($mm, 311296\) = 0 \[free\($big\) in main\+0x[0-9a-f]+ \[heap-calls\]\]$" "$T/m.rep")"
# every page written after malloc returned is a fault in the block; the
# first page was already written by malloc itself (the chunk header)
from=$(grep -nE "^$pid: malloc\(307200\) -> $big " "$T/m.rep" | head -1 | cut -d: -f1)
end=$(d2h $(( $(h2d "$big") + 307200 )))
inrange=$(awk -v f="${from:-0}" 'NR > f' "$T/m.rep" | grep -E "^$pid: [a-z]+ page @[0-9a-f]+ " | awk -v lo="$(h2d "$big")" -v hi="$(h2d "$end")" '
	{ a = $4; sub(/^@/, "", a); n = 0; for (i = 1; i <= length(a); i++) n = n * 16 + index("0123456789abcdef", substr(a, i, 1)) - 1; if (n >= lo && n < hi) c++ } END { print c + 0 }')
# (the code that wrote, main, named before the block it wrote in)
tied=$(grep -cE "^$pid: anon page @[0-9a-f]+ \(W\) in main\+0x[0-9a-f]+ \[heap-calls\] \[in $big of malloc\(307200\) in main\+0x[0-9a-f]+ \[heap-calls\]\]$" "$T/m.rep")
check malloc-big-faults "74 in range, 74 tied, site faults=74 mmap=1 unmap=1" \
	"$inrange in range, $tied tied, site $(sites_in "$T/allocs.json" "$pid" "${bigsite:-0}" "$(d2h $(( 16#${bigsite:-0} + 1 )))" faults mmap unmap)"

# the JSON log ties the same faults, the mmap and the munmap
"$MEMMON" report --log --json "$T/m.dat" >"$T/m.json" 2>&1
check malloc-json-ties "faults 74, mmap 1, munmap 1" "$(python3 - "$T/m.json" "$big" "$mm" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); big, mm = sys.argv[2], sys.argv[3]
ev = d["events"]
f = sum(1 for e in ev if e.get("kind") == "fault" and e.get("block", {}).get("ptr") == big)
m = sum(1 for e in ev if e.get("call") == "malloc" and e.get("result") == big and
        [c["addr"] for c in e.get("caused", []) if c["call"] == "mmap"] == [mm])
u = sum(1 for e in ev if e.get("name") == "munmap" and e.get("by_free", {}).get("ptr") == big)
print("faults %d, mmap %d, munmap %d" % (f, m, u))
PY
)"
mf=$(fact "$T/m.out" moved_from); mt=$(fact "$T/m.out" moved_to)
check malloc-realloc-moved "1 line, moved" "$(grep -cE "^$pid: realloc\($mf, 4096\) -> $mt in main\+0x[0-9a-f]+ \[heap-calls\]$" "$T/m.rep") line, $( [ "$mf" != "$mt" ] && echo moved || echo "not moved")"
check malloc-lost "(0 lost); lost malloc records: 0" \
	"$(grep -oE '\([0-9]+ lost\), [0-9]+ threads' "$T/m.err" | cut -d, -f1); $(grep -E '^lost malloc records: ' "$T/m.rep")"
calls='^[0-9]+: ((malloc|calloc|realloc|reallocarray|free|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|new|new\[\]|delete|delete\[\])\(|malloc calls recorded from here|malloc is the program|[0-9]+ malloc records? lost)'
check malloc-summary "malloc $(grep -cE "$calls" "$T/m.rep")" "$(grep -E '^events: ' "$T/m.rep" | grep -oE 'malloc [0-9]+')"
"$MEMMON" report --log --no-malloc "$T/m.dat" >"$T/nm.rep" 2>&1
check malloc-no-malloc "0 call lines, the rest the same" \
	"$(grep -cE "$calls" "$T/nm.rep") call lines, $(grep -vE "$calls" "$T/m.rep" | cmp -s - "$T/nm.rep" && echo "the rest the same" || echo "the rest differs")"

# fork + exec: the child's new image has the interposer too
"$MEMMON" record --malloc -o "$T/f.dat" -- "$P" fork-exec >"$T/f.out" 2>"$T/f.err"
"$MEMMON" report --log "$T/f.dat" >"$T/f.rep" 2>&1
"$MEMMON" report --leaks --json "$T/f.dat" >"$T/f.json" 2>&1
child=$(grep -E '^leak_fn=' "$T/f.out" | head -1 >/dev/null; fact "$T/f.out" child)
ex=$(grep -nE "^$child: exec " "$T/f.rep" | head -1 | cut -d: -f1)
check malloc-fork-exec "fork hello, then exec, then hello" \
	"$(grep -qxF "$child: malloc calls recorded from here (fork child)" "$T/f.rep" && echo "fork hello"), $( [ -n "$ex" ] && echo "then exec"), $(awk -v f="${ex:-999999}" 'NR > f' "$T/f.rep" | grep -qxF "$child: malloc calls recorded from here" && echo "then hello")"
read -r clo chi <<<"$(fn_range "$T/f.out" leak_fn leak_here)"
check malloc-fork-exec-leaks "blocks=3 bytes=72" "$(sites_in "$T/f.json" "${child:-0}" "$clo" "$chi" blocks bytes)"

# a child exec'd with LD_PRELOAD cleared runs without the interposer: said
"$MEMMON" record --malloc -o "$T/c.dat" -- "$P" clear-exec >"$T/c.out" 2>"$T/c.err"
"$MEMMON" report --log "$T/c.dat" >"$T/c.rep" 2>&1
"$MEMMON" report --leaks "$T/c.dat" >"$T/c.leaks" 2>&1
cc=$(fact "$T/c.out" child)
check malloc-clear-exec "1 log line, 1 leaks line" \
	"$(count "$T/c.rep" "$cc: malloc calls not recorded (a static program, or LD_PRELOAD cleared)") log line, $(grep -cE "^not recorded: pid $cc .*\(a static program, or LD_PRELOAD cleared before its exec\)$" "$T/c.leaks") leaks line"

# a static program: no interposer can load into it; its own malloc is
# recorded by uprobes instead (set at its exec, before it runs)
if cc -static -O1 -o "$T/heap-static" "$MEMMON_TOP/tests/progs/heap-calls.c" -lpthread 2>"$T/cc.err"; then
	"$MEMMON" record --malloc -o "$T/s.dat" -- "$T/heap-static" leaks 2 8 >"$T/s.out" 2>"$T/s.err"
	"$MEMMON" report --log "$T/s.dat" >"$T/s.rep" 2>&1
	"$MEMMON" report --leaks --json "$T/s.dat" >"$T/s.json" 2>&1
	sp=$(fact "$T/s.out" pid)
	slo=$(fact "$T/s.out" leak_fn)
	shi=$(d2h $(( $(h2d "$slo") + $(h2d "$(nm -S "$T/heap-static" | awk '$4 == "leak_here" { print $2 }')") )))
	check malloc-static "hello (uprobes), no not-recorded line, blocks=2 bytes=16 at leak_here" \
		"$(grep -qxF "$sp: malloc calls recorded from here (uprobes)" "$T/s.rep" && echo "hello (uprobes)" || echo "no hello"), $(grep -qF "$sp: malloc calls not recorded" "$T/s.rep" && echo "a not-recorded line" || echo "no not-recorded line"), $(sites_in "$T/s.json" "$sp" "$slo" "$shi" blocks bytes) at leak_here"
else
	skip malloc-static "cannot link a static program: $(show "$T/cc.err" 1)"
fi

"$MEMMON" report --leaks "$MEMMON_TOP/tests/data/golden/small.dat" >"$T/n.out" 2>&1
check malloc-needs-records "exit 1: --leaks needs a trace recorded with 'memmon record --malloc'" \
	"exit $?: $(grep -oE -- "--leaks needs .*" "$T/n.out")"
exit $mm_failed
