#!/usr/bin/env bash
# Checks the malloc findings with record --malloc's calls on heap-threshold: mmap-threshold names the calls (2 requests, the smallest malloc(140000) at cross_here, by function in its sentence, by address with --symbols=off) and dynamic-threshold the free that raised the threshold from 143360 to 303104 (free_b_here's free of big_here's malloc(300000)) and the call the heap then grew for (mid_here's malloc(200000)), in text and JSON; each call in the evidence named by the function of its site (code, text " in FUNC+0xOFF [heap-threshold]"); a trace without the calls keeps the findings without them.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="mfind-record mfind-threshold mfind-threshold-ev mfind-dynamic mfind-dynamic-ev mfind-text mfind-text-raw
mfind-without-calls mfind-evidence-code"
need_root_tracefs $TESTS
mm_tmp
P=$(prog heap-threshold)

"$MEMMON" record --malloc -o "$T/t.dat" -- "$P" >"$T/t.out" 2>"$T/t.err"
rc=$?
"$MEMMON" report --malloc-patterns --json "$T/t.dat" >"$T/f.json" 2>&1
"$MEMMON" report --malloc-patterns "$T/t.dat" >"$T/f.txt" 2>&1
check mfind-record "exit 0" "exit $rc$( [ $rc = 0 ] || show "$T/t.err")"

# KEY's function: "lo hi" (its address printed by the program, its size
# from the symbol table)
fn() {	# KEY SYMBOL
	local a size
	a=$(fact "$T/t.out" "$1")
	size=$(nm -S "$P" | awk -v s="$2" '$4 == s { print $2 }')
	[ -n "$a" ] && [ -n "$size" ] && echo "$((16#$a)) $((16#$a + 16#$size))"
}
FNS="cross=$(fn cross_fn cross_here | tr ' ' :),big=$(fn big_fn big_here | tr ' ' :),mid=$(fn mid_fn mid_here | tr ' ' :),free_a=$(fn free_a_fn free_a_here | tr ' ' :),free_b=$(fn free_b_fn free_b_here | tr ' ' :)"

# a finding's numbers and its evidence, calls named by the function of
# their site
finding() {	# ID WHAT
	python3 - "$T/f.json" "$FNS" "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
fns = {k: tuple(int(x) for x in v.split(":")) for k, v in (kv.split("=") for kv in sys.argv[2].split(","))}
def where(site):
    a = int(site, 16)
    return next((k for k, (lo, hi) in fns.items() if lo <= a < hi), "?")
f = [f for f in d["findings"] if f["id"] == sys.argv[3]]
if not f:
    print("no finding"); sys.exit()
f = f[0]
if sys.argv[4] == "numbers":
    print(" ".join("%s=%d" % kv for kv in f["numbers"].items()))
else:
    out = []
    for e in f["evidence"]:
        if "site" in e:
            out.append("%s(%s)@%s" % (e["event"], e.get("size", "ptr"), where(e["site"])))
        else:
            out.append(e["event"])
    print(" ".join(out))
PY
}

check mfind-threshold "pairs=2 sizes=2 mapped_bytes=446464 syscalls=4 faults=2 requests=2 smallest_request=140000" \
	"$(finding mmap-threshold numbers)"
check mfind-threshold-ev "mmap malloc(140000)@cross free(ptr)@free_a munmap mmap malloc(300000)@big free(ptr)@free_b munmap" \
	"$(finding mmap-threshold evidence)"
check mfind-dynamic "threshold_before=143360 threshold=303104 trim_threshold=606208 raises=2 heap_step=HEAP freed_request=300000 heap_request=200000" \
	"$(finding dynamic-threshold numbers | sed -E 's/heap_step=[0-9]+/heap_step=HEAP/')"
check mfind-dynamic-ev "malloc(300000)@big free(ptr)@free_b munmap brk malloc(200000)@mid" \
	"$(finding dynamic-threshold evidence)"
b=$(fact "$T/t.out" b)
check mfind-text "1 line: free($b) at free_b_here+0x.. [heap-threshold] of a 296 KiB mmapped chunk (malloc(300000) at big_here+0x.. [heap-threshold]) raised the mmap threshold from 140 to 296 KiB ... (N KiB, for malloc(200000) at mid_here+0x.. [heap-threshold])" \
	"$(grep -cE "^  free\($b\) at free_b_here\+0x[0-9a-f]+ \[heap-threshold\] of a 296 KiB mmapped chunk \(malloc\(300000\) at big_here\+0x[0-9a-f]+ \[heap-threshold\]\) raised the mmap threshold from 140 to 296 KiB: .*\([0-9]+ KiB, for malloc\(200000\) at mid_here\+0x[0-9a-f]+ \[heap-threshold\]\)$" "$T/f.txt") line: $(grep -E "^  free\($b\)" "$T/f.txt" | sed -E 's/^  //; s/\+0x[0-9a-f]+ /+0x.. /g; s/: smaller.*\(([0-9]+) KiB,/ ... (N KiB,/')"
# --symbols=off: the same sentence with the sites' addresses
"$MEMMON" report --malloc-patterns --symbols=off "$T/t.dat" >"$T/f-raw.txt" 2>&1
check mfind-text-raw "1 line: free($b) at SITE of a 296 KiB mmapped chunk (malloc(300000) at SITE) raised the mmap threshold from 140 to 296 KiB ... (N KiB, for malloc(200000) at SITE)" \
	"$(grep -cE "^  free\($b\) at [0-9a-f]+ of a 296 KiB mmapped chunk \(malloc\(300000\) at [0-9a-f]+\) raised the mmap threshold from 140 to 296 KiB: .*\([0-9]+ KiB, for malloc\(200000\) at [0-9a-f]+\)$" "$T/f-raw.txt") line: $(grep -E "^  free\($b\)" "$T/f-raw.txt" | sed -E 's/^  //; s/ at [0-9a-f]+/ at SITE/g; s/: smaller.*\(([0-9]+) KiB,/ ... (N KiB,/')"

# every call in the evidence names the function its site is in (JSON
# code, the text's " in FUNC+0xOFF [MODULE]"), the one nm's ranges give
check mfind-evidence-code "all named" "$(python3 - "$T/f.json" "$FNS" "$T/f.txt" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
fns = {k: tuple(int(x) for x in v.split(":")) for k, v in (kv.split("=") for kv in sys.argv[2].split(","))}
text = open(sys.argv[3]).read()
bad, n = [], 0
for f in d["findings"]:
    for e in f["evidence"]:
        if "site" not in e:
            continue
        n += 1
        a = int(e["site"], 16)
        want = next((k + "_here" for k, (lo, hi) in fns.items() if lo <= a < hi), "?")
        got = (e.get("code") or [{}])[0].get("function")
        line = re.search(r"%s at %s in (\w+)\+0x[0-9a-f]+ \[heap-threshold\]$" % (re.escape(e["text"][e["text"].find(e["event"]):].split(" at ")[0]), e["site"]), text, re.M)
        if got != want or not line or line.group(1) != want:
            bad.append("%s at %s: %s, text %s, nm %s" % (e["event"], e["site"], got, line and line.group(1), want))
print("all named" if n and not bad else "%d calls: %s" % (n, "; ".join(bad)))
PY
)"

# without --malloc: the same findings from the syscalls alone, no calls
"$MEMMON" record -o "$T/n.dat" -- "$P" >/dev/null 2>"$T/n.err"
"$MEMMON" report --malloc-patterns --json "$T/n.dat" >"$T/n.json" 2>&1
check mfind-without-calls "pairs=2 sizes=2 mapped_bytes=446464 syscalls=4 faults=2; threshold_before=143360 threshold=303104 raises=2; no calls" \
	"$(python3 - "$T/n.json" <<'PY'
import json, sys
d = {f["id"]: f for f in json.load(open(sys.argv[1]))["findings"]}
t, y = d["mmap-threshold"]["numbers"], d["dynamic-threshold"]["numbers"]
calls = [e for f in d.values() for e in f["evidence"] if "site" in e] + [k for f in d.values() for k in f["numbers"] if "request" in k]
print("%s; %s; %s" % (" ".join("%s=%d" % (k, t[k]) for k in t),
      " ".join("%s=%d" % (k, y[k]) for k in ("threshold_before", "threshold", "raises")),
      "no calls" if not calls else "calls: %s" % calls))
PY
)"
exit $mm_failed
