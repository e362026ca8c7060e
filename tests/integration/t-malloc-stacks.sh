#!/usr/bin/env bash
# Checks the callers record --malloc takes for each allocation where the program keeps frame pointers, on heap-stacks (one malloc site in leaf(), reached from from_a x3, from_b x2, a thread, a signal handler on a sigaltstack and ten deep in deep()): one --leaks row per path, each with its exact callers (function, and address = the function's + offset) in JSON, text and CSV; the sigaltstack call keeps its site only; deep's stack stops at 8 frames; info and record's summary count the stacks; --no-stacks, and a program without frame pointers (heap-names), take none and say why; --stacks on that program walks safely (same calls, exit 0); fp-sched, whose functions put an instruction between push %rbp and mov %rsp,%rbp, is judged as keeping frame pointers and its leaks' stacks (grow <- schedN <- main) have no caller marked lost.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="mstk-record mstk-paths mstk-addresses mstk-altstack mstk-deep mstk-text mstk-csv mstk-info
mstk-no-stacks mstk-nofp mstk-forced mstk-sched-judged mstk-sched-paths"
need_root_tracefs $TESTS
mm_tmp
P=$(prog heap-stacks)
N=$(prog heap-names)

"$MEMMON" record --malloc -o "$T/s.dat" -- "$P" >"$T/s.out" 2>"$T/s.err"
rc=$?
nst=$(sed -nE 's/^memmon record: malloc: ([0-9]+) call stacks \(a site and its callers\)$/\1/p' "$T/s.err")
leaf=$(fact "$T/s.out" leaf)
check mstk-record "exit 0, leaf known, stacks counted" "exit $rc, leaf ${leaf:+known}, stacks ${nst:+counted}$( [ -n "$nst" ] || show "$T/s.err")"

"$MEMMON" report --leaks --json "$T/s.dat" >"$T/l.json" 2>&1
"$MEMMON" report --leaks "$T/s.dat" >"$T/l.txt" 2>&1
"$MEMMON" report --allocations --csv "$T/s.dat" >"$T/a.csv" 2>&1
"$MEMMON" info "$T/s.dat" >"$T/info" 2>&1

# leaf's rows: "BLOCKS BYTES FUNC FUNC ..." (the stack's functions, the
# program's own and then the first one outside it), sorted; with ADDR,
# each frame checked against the program's function addresses instead
paths() {	# JSON [addr]
	python3 - "$T/s.out" "$1" "${2:-}" <<'PY'
import json, sys
facts = dict(kv.split("=") for kv in open(sys.argv[1]).read().split())
d = json.load(open(sys.argv[2])); out = []
for s in d["processes"][0]["sites"]:
    c = s.get("code") or {}
    if c.get("function") != "leaf" or c.get("module") != "heap-stacks":
        continue
    st = s.get("stack") or []
    if sys.argv[3]:
        bad = [f["function"] + "+" + f["offset"] for f in st if f.get("module") == "heap-stacks" and
               int(f["address"], 16) != int(facts[f["function"]], 16) + int(f["offset"], 16)]
        out.append("bad " + " ".join(bad) if bad else "at their functions")
        continue
    names, k = [], 0
    for f in st:
        names.append(f["function"] or "?")
        if f.get("module") != "heap-stacks":
            break
    out.append("%d %d %s" % (s["blocks"], s["bytes"], " ".join(names)))
print(" | ".join(sorted(out)) or "none")
PY
}
check mstk-paths "1 300 leaf thread_main start_thread | 1 400 leaf | 1 500 leaf deep deep deep deep deep deep deep | 2 400 leaf from_b main __libc_start_call_main | 3 300 leaf from_a main __libc_start_call_main" "$(paths "$T/l.json")"
# every frame in the program: its address is its function's plus its offset
check mstk-addresses "5 rows, at their functions" \
	"$(paths "$T/l.json" addr | tr '|' '\n' | sed -E 's/^ *//; s/ *$//' | sort | uniq -c | sed -E 's/^ *([0-9]+) /\1 rows, /' | tr '\n' ';' | sed 's/;$//')"
# the handler ran on the sigaltstack: its call has its site only
check mstk-altstack "1 400 leaf" "$(paths "$T/l.json" | tr '|' '\n' | sed -E 's/^ *//; s/ *$//' | grep -E '^1 400 ')"
check mstk-deep "8 frames, 7 of deep" "$(python3 - "$T/l.json" <<'PY'
import json, sys
for s in json.load(open(sys.argv[1]))["processes"][0]["sites"]:
    if s.get("bytes") == 500 and (s.get("code") or {}).get("function") == "leaf":
        st = s["stack"]; print("%d frames, %d of deep" % (len(st), sum(f["function"] == "deep" for f in st)))
PY
)"

# text: the callers under the row, CSV: the whole stack in its column
check mstk-text "1 row from from_a" "$(grep -A1 -E '^ +3 +300 malloc +leaf\+0x[0-9a-f]+ \[heap-stacks\]' "$T/l.txt" | grep -cE '^ +from from_a\+0x[0-9a-f]+ \[heap-stacks\] <- main\+0x[0-9a-f]+ \[heap-stacks\]') row from from_a"
check mstk-csv "calls=2 stack=leaf <- from_b <- main" "$(python3 - "$T/a.csv" <<'PY'
import csv, re, sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["function"] == "leaf" and "from_b" in (r["stack"] or ""):
        print("calls=%s stack=%s" % (r["calls"], " <- ".join(re.findall(r"(\w+)\+0x[0-9a-f]+ \[heap-stacks\]", r["stack"]))))
PY
)"
check mstk-info "malloc stacks: $nst stacks of allocations, each the call site and up to 7 callers" "$(grep '^malloc stacks:' "$T/info")"

# --no-stacks: the site only, and why
"$MEMMON" record --malloc --no-stacks -o "$T/n.dat" -- "$P" >/dev/null 2>"$T/n.err"
"$MEMMON" report --leaks --json "$T/n.dat" >"$T/n.json" 2>&1
check mstk-no-stacks "info: 0 (off: record --no-stacks); leaf rows: 1 with 8 blocks" "info: $(sed -n 's/^malloc stacks: //p' <("$MEMMON" info "$T/n.dat")); leaf rows: $(python3 - "$T/n.json" <<'PY'
import json, sys
rows = [s for s in json.load(open(sys.argv[1]))["processes"][0]["sites"] if (s.get("code") or {}).get("function") == "leaf"]
print("%d with %d blocks" % (len(rows), sum(s["blocks"] for s in rows)) if all(len(s["stack"]) == 1 for s in rows) else "a stack of more than its site")
PY
)"

# a program that keeps no frame pointers: none by default (and why) ...
"$MEMMON" record --malloc -o "$T/h.dat" -- "$N" >"$T/h.out" 2>"$T/h.err"
hrc=$?
check mstk-nofp "exit 0; off: $N keeps no frame pointers" "exit $hrc; $(sed -n 's/^malloc stacks: 0 (\(off: [^,]*\),.*/\1/p' <("$MEMMON" info "$T/h.dat"))"
# ... and forced, a walk through whatever %rbp holds: the same calls, no crash
"$MEMMON" record --malloc --stacks -o "$T/f.dat" -- "$N" >"$T/f.out" 2>"$T/f.err"
frc=$?
calls() { "$MEMMON" report --allocations --json "$1" | python3 -c 'import json,sys; print(sum(s["calls"] for s in json.load(sys.stdin)["processes"][0]["sites"]))'; }
check mstk-forced "exit 0, $(calls "$T/h.dat") calls" "exit $frc, $(calls "$T/f.dat") calls$( [ $frc = 0 ] || show "$T/f.err")"

# functions whose frame is set up with an instruction between push %rbp
# and mov %rsp,%rbp (gcc's scheduler does it): the program is judged as
# keeping frame pointers, and no caller of theirs is marked lost
S=$(prog fp-sched)
"$MEMMON" record -q --malloc -o "$T/sc.dat" -- "$S" >"$T/sc.out" 2>"$T/sc.err"
check mstk-sched-judged "stacks of allocations" \
	"$(sed -nE 's/^malloc stacks: [0-9]+ (stacks of allocations).*/\1/p; s/^malloc stacks: (.*off.*)/\1/p' <("$MEMMON" info "$T/sc.dat"))"
# (recorded with --stacks, so that the stacks are checked apart from the judgement)
"$MEMMON" record -q --malloc --stacks -o "$T/scf.dat" -- "$S" >/dev/null 2>&1
"$MEMMON" report --leaks --json "$T/scf.dat" >"$T/sc.json" 2>&1
check mstk-sched-paths "grow sched1 main | grow sched2 main | grow sched3 main | grow sched4 main | grow sched5 main | grow sched6 main; lost callers: none" \
	"$(python3 - "$T/sc.json" <<'PY'
import json, sys
rows, lost = [], []
for s in json.load(open(sys.argv[1]))["processes"][0]["sites"]:
    if (s.get("code") or {}).get("function") != "grow":
        continue
    st = [f for f in s.get("stack") or [] if f.get("module") == "fp-sched"]
    rows.append(" ".join(f["function"] or "?" for f in st))
    lost += [f["function"] for f in st if f.get("gap")]
print(" | ".join(sorted(rows)) + "; lost callers: " + (" ".join(lost) or "none"))
PY
)"
exit $mm_failed
