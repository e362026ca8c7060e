#!/usr/bin/env bash
# Checks report --allocations on a recording of heap-sizes: each site's calls, bytes, peak_live, at_peak, temporaries (1 of 25, 0 of 4, 1 of 2, 50 of 50, 0 of 20, 20 of 20) and size histogram ([0,2) 3, [16,32) 10, [64,128) 5, [4096,8192) 6, [131072,262144) 1...) in JSON, CSV and text, the process's peak of 1002000 bytes with the two sites live at it, its histogram the sum of its sites', and --leaks --csv.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="allocs-record allocs-sized allocs-peak-site allocs-small allocs-temps allocs-pq
allocs-peak allocs-proc-sizes allocs-csv-sites allocs-csv-proc allocs-text-sizes allocs-leaks-csv"
need_root_tracefs $TESTS
mm_tmp
P=$(prog heap-sizes)

"$MEMMON" record --malloc -o "$T/s.dat" -- "$P" >"$T/s.out" 2>"$T/s.err"
rc=$?
"$MEMMON" report --allocations --json "$T/s.dat" >"$T/a.json" 2>&1
"$MEMMON" report --allocations --csv "$T/s.dat" >"$T/a.csv" 2>&1
"$MEMMON" report --allocations "$T/s.dat" >"$T/a.txt" 2>&1
"$MEMMON" report --leaks --csv "$T/s.dat" >"$T/l.csv" 2>&1
check allocs-record "exit 0, 1 process" "exit $rc, $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["processes"]))' "$T/a.json" 2>&1) process"

# the site row whose address lies in function KEY's [start, start + size)
site() {	# KEY SYMBOL FIELDS...
	python3 - "$T/a.json" "$(fact "$T/s.out" "$1")" "$(nm -S "$P" | awk -v s="$2" '$4 == s { print $2 }')" "${@:3}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); lo = int(sys.argv[2] or "0", 16); hi = lo + int(sys.argv[3] or "0", 16)
rows = [s for p in d["processes"] for s in p["sites"] if lo <= int(s["site"], 16) < hi]
def v(s, f):
    x = s[f]
    return " ".join("%s:%s" % (k, x[k]) for k in sorted(x, key=int)) if isinstance(x, dict) else x
print(" | ".join(" ".join("%s=%s" % (f, v(s, f)) for f in sys.argv[4:]) for s in rows) or "none")
PY
}

F="calls bytes peak_live at_peak temporary sizes"
check allocs-sized "calls=25 bytes=228030 peak_live=228030 at_peak=0 temporary=1 sizes=0:3 16:10 64:5 4096:6 131072:1" \
	"$(site sized_fn sized_here $F)"
check allocs-peak-site "calls=4 bytes=1000000 peak_live=1000000 at_peak=1000000 temporary=0 sizes=131072:4 mmap=4 unmap=4" \
	"$(site peak_fn peak_here $F mmap unmap)"
check allocs-small "calls=2 bytes=2000 peak_live=2000 at_peak=2000 temporary=1 sizes=512:2" \
	"$(site small_fn small_here $F)"
check allocs-temps "calls=50 bytes=1600 peak_live=32 at_peak=0 temporary=50 sizes=32:50" \
	"$(site temp_fn temp_here $F)"
check allocs-pq "calls=20 temporary=0 sizes=32:20; calls=20 temporary=20 sizes=32:20" \
	"$(site p_fn p_here calls temporary sizes); $(site q_fn q_here calls temporary sizes)"

# the peak: the 4 big and 2 small blocks, nothing else live; the sites
# live at it are those two, and no other site had anything live then
check allocs-peak "peak=1002000, at_peak: 1000000 2000" "$(python3 - "$T/a.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["processes"][0]
print("peak=%d, at_peak: %s" % (p["peak"], " ".join(str(s["at_peak"]) for s in p["sites"] if s["at_peak"])))
PY
)"
check allocs-proc-sizes "the sum of its sites'" "$(python3 - "$T/a.json" <<'PY'
import json, sys, collections
p = json.load(open(sys.argv[1]))["processes"][0]
t = collections.Counter()
for s in p["sites"]:
    t.update({k: v for k, v in s["sizes"].items()})
print("the sum of its sites'" if dict(t) == p["sizes"] and sum(t.values()) == p["calls"] else "%s != %s" % (p["sizes"], dict(t)))
PY
)"

# CSV: a row per site with the JSON's numbers and histogram, and the
# process row with its totals and peak
check allocs-csv-sites "every site as in the JSON" "$(python3 - "$T/a.json" "$T/a.csv" <<'PY'
import csv, json, sys
p = json.load(open(sys.argv[1]))["processes"][0]
rows = list(csv.DictReader(open(sys.argv[2])))
bad = []
for s in p["sites"]:
    r = [r for r in rows if r["site"] == s["site"]]
    if len(r) != 1:
        bad.append(s["site"] + " rows %d" % len(r)); continue
    r = r[0]
    for f in ("calls", "failed", "bytes", "peak_live", "at_peak", "temporary", "leaked", "mmap", "brk", "unmap", "faults"):
        if int(r[f]) != s[f]: bad.append("%s %s" % (s["site"], f))
    for k in range(32):
        low = 0 if k == 0 else 1 << k
        if int(r["size_%d" % low]) != s["sizes"].get(str(low), 0): bad.append("%s size_%d" % (s["site"], low))
    if r["lost_events"] != "0": bad.append("lost")
print(", ".join(bad) or "every site as in the JSON")
PY
)"
check allocs-csv-proc "calls=122 temporary=72 peak_live=1002000 size_32=90" "$(python3 - "$T/a.csv" <<'PY'
import csv, sys
r = [r for r in csv.DictReader(open(sys.argv[1])) if r["site"] == ""]
print(" | ".join("calls=%s temporary=%s peak_live=%s size_32=%s" % (x["calls"], x["temporary"], x["peak_live"], x["size_32"]) for x in r))
PY
)"
sized=$(site sized_fn sized_here site | sed 's/^site=//')
sizedoff=$(printf '%x' $(( 16#${sized:-0} - 16#$(fact "$T/s.out" sized_fn) )))
check allocs-text-sizes "1 line" "$(grep -cE "^ +sized_here\+0x$sizedoff \[heap-sizes\] malloc \[0, 2\) 3 \[16, 32\) 10 \[64, 128\) 5 \[4096, 8192\) 6 \[131072, 262144\) 1$" "$T/a.txt") line"
check allocs-leaks-csv "header pid,exe,site,call,function,offset,module,stack,blocks,bytes,first,lost_events; no site of ours" \
	"header $(head -1 "$T/l.csv"); $(grep -cE ",($sized)," "$T/l.csv" | sed 's/^0$/no site of ours/')"
exit $mm_failed
