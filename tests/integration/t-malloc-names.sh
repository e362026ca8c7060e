#!/usr/bin/env bash
# Checks that malloc call sites are named on a recording of heap-names: --leaks by function+offset and module (two_sites' two rows of 2x200 and 3x100 grouped before leak_calloc's 5x120 calloc, each offset its site minus the function's address), --allocations (map_blocks' 307200 bytes, its mmap and 75 faults, temp_here's 10 temporaries) in JSON, text and CSV, --symbols=off keeping the raw addresses, and the log's lines (malloc(307200) -> BIG in map_blocks+0x.., its faults and the munmap's free in unmap_blocks, text and JSON).
set -u
. "$(dirname "$0")/lib.sh"
TESTS="names-record names-leaks names-group names-allocs names-leaks-text names-allocs-text
names-csv names-symbols-off names-log-malloc names-log-faults names-log-free names-log-json
names-log-symbols-off"
need_root_tracefs $TESTS
mm_tmp
P=$(prog heap-names)

"$MEMMON" record --malloc -o "$T/n.dat" -- "$P" >"$T/n.out" 2>"$T/n.err"
rc=$?
pid=$("$MEMMON" report --leaks --json "$T/n.dat" 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["processes"][0]["pid"])' 2>/dev/null)
big=$(fact "$T/n.out" big)
check names-record "exit 0, pid known, big known" "exit $rc, pid ${pid:+known}, big ${big:+known}$( [ -n "$big" ] || show "$T/n.err")"

"$MEMMON" report --leaks --json "$T/n.dat" >"$T/l.json" 2>&1
"$MEMMON" report --allocations --json "$T/n.dat" >"$T/a.json" 2>&1
"$MEMMON" report --leaks "$T/n.dat" >"$T/l.txt" 2>&1
"$MEMMON" report --allocations "$T/n.dat" >"$T/a.txt" 2>&1
"$MEMMON" report --allocations --csv "$T/n.dat" >"$T/a.csv" 2>&1
"$MEMMON" report --leaks --json --symbols=off "$T/n.dat" >"$T/lr.json" 2>&1
"$MEMMON" report --leaks --symbols=off "$T/n.dat" >"$T/lr.txt" 2>&1
"$MEMMON" report --log "$T/n.dat" >"$T/n.log" 2>&1
"$MEMMON" report --log --symbols=off "$T/n.dat" >"$T/nr.log" 2>&1
"$MEMMON" report --log --json "$T/n.dat" >"$T/n.json" 2>&1

# the sites of heap-names' functions in a --leaks/--allocations JSON, in
# their order: "FUNC+0xOFF FIELD=V...", each checked against the program's
# own addresses (its site = the function's address + the offset, inside
# the function by nm -S) and module
rows() {	# JSON FIELDS...
	python3 - "$T/n.out" "$P" "$@" <<'PY'
import json, subprocess, sys
facts = dict(kv.split("=") for kv in open(sys.argv[1]).read().split())
size = {l.split()[3]: int(l.split()[1], 16) for l in subprocess.run(["nm", "-S", sys.argv[2]],
        capture_output=True, text=True).stdout.splitlines() if len(l.split()) == 4}
d = json.load(open(sys.argv[3])); out = []
for s in d["processes"][0]["sites"]:
    c = s.get("code") or {}
    if c.get("module") != "heap-names":
        continue
    f, off = c["function"], int(c["offset"], 16)
    if f not in facts or int(s["site"], 16) != int(facts[f], 16) + off or not 0 < off < size.get(f, 0):
        out.append("%s+0x%x at %s: not the program's" % (f, off, s["site"])); continue
    out.append(" ".join(["%s+0x%x" % (f, off)] + ["%s=%s" % (k, s[k]) for k in sys.argv[4:]]))
print(" | ".join(out) or "none")
PY
}
off_of() {	# JSON FUNC: the offset of FUNC's first site, hex without 0x
	rows "$1" | tr '|' '\n' | grep -oE "^ ?$2\+0x[0-9a-f]+" | head -1 | sed -E 's/.*\+0x//'
}

l=$(rows "$T/l.json" call blocks bytes)
check names-leaks "two_sites: call=malloc blocks=2 bytes=400, call=malloc blocks=3 bytes=300; leak_calloc: call=calloc blocks=5 bytes=600" \
	"$(echo "$l" | tr '|' '\n' | sed -E 's/^ *//; s/ *$//' | awk '{ f = $1; sub(/\+.*/, "", f); $1 = ""; sub(/^ /, ""); if (f == last) printf ", %s", $0; else { if (last != "") printf "; "; printf "%s: %s", f, $0 }; last = f } END { print "" }')"
# by function: two_sites' 700 bytes before leak_calloc's 600 (its rows,
# 400 and 300, each less than 600)
check names-group "two_sites two_sites leak_calloc" "$(echo "$l" | tr '|' '\n' | grep -oE '^ ?[a-z_]+' | tr -d ' ' | tr '\n' ' ' | sed 's/ $//')"
check names-allocs "map_blocks calls=1 bytes=307200 mmap=1 faults=75 | temp_here calls=10 bytes=320 temporary=10" \
	"$(rows "$T/a.json" calls bytes mmap faults | tr '|' '\n' | grep -E '^ ?map_blocks' | sed -E 's/^ *//; s/\+0x[0-9a-f]+//; s/ *$//') | $(rows "$T/a.json" calls bytes temporary | tr '|' '\n' | grep -E '^ ?temp_here' | sed -E 's/^ *//; s/\+0x[0-9a-f]+//; s/ *$//')"

# text: the rows name the same sites
lc=$(off_of "$T/l.json" leak_calloc); mb=$(off_of "$T/a.json" map_blocks)
check names-leaks-text "1 line" "$(grep -cE "^ +5 +600 calloc +leak_calloc\+0x${lc:-none} \[heap-names\]  first [0-9a-f]+ [0-9a-f]+ [0-9a-f]+$" "$T/l.txt") line"
check names-allocs-text "1 row, 1 sizes line" \
	"$(grep -cE "^ +1 +307200 +307200 +307200 +1 +0 +1 +[0-9]+ +1 +75 malloc +map_blocks\+0x${mb:-none} \[heap-names\]$" "$T/a.txt") row, $(grep -cE "^ +map_blocks\+0x${mb:-none} \[heap-names\] malloc \[262144, 524288\) 1$" "$T/a.txt") sizes line"
check names-csv "call=malloc function=map_blocks offset=0x$mb module=heap-names calls=1 faults=75" "$(python3 - "$T/a.csv" <<'PY'
import csv, sys
print(" | ".join("call=%s function=%s offset=%s module=%s calls=%s faults=%s" % (r["call"], r["function"], r["offset"], r["module"], r["calls"], r["faults"])
      for r in csv.DictReader(open(sys.argv[1])) if r["function"] == "map_blocks") or "none")
PY
)"

# --symbols=off: the same sites by address, no code named
check names-symbols-off "no code; text sites = JSON sites" "$(python3 - "$T/l.json" "$T/lr.json" "$T/lr.txt" <<'PY'
import json, re, sys
named = sorted(s["site"] for s in json.load(open(sys.argv[1]))["processes"][0]["sites"])
raw = json.load(open(sys.argv[2]))["processes"][0]["sites"]
text = sorted(m.group(1) for m in re.finditer(r"^ +\d+ +\d+ \S+ +([0-9a-f]+)  first", open(sys.argv[3]).read(), re.M))
print("%s; text sites %s JSON sites" % ("no code" if not any("code" in s for s in raw) else "code named",
      "=" if text == sorted(s["site"] for s in raw) == named and text else "!="))
PY
)"

# the log: the call's line, the faults in its block and the free that
# unmapped it, each site named
mm=$(d2h $(( $(h2d "${big:-0}") - 16 )))
check names-log-malloc "1 line" "$(grep -cE "^$pid: malloc\(307200\) -> $big in map_blocks\+0x${mb:-none} \[heap-names\] \[.*mmap $mm 311296\]$" "$T/n.log") line"
check names-log-faults "75" "$(grep -cE "^$pid: anon page @[0-9a-f]+ \(W\) in [^ ]+ \[libc.so.6\] \[in $big of malloc\(307200\) in map_blocks\+0x${mb:-none} \[heap-names\]\]$" "$T/n.log")"
check names-log-free "1 munmap line, 1 free line" "$(grep -cE "^$pid: munmap\($mm, 311296\) = 0 \[free\($big\) in unmap_blocks\+0x[0-9a-f]+ \[heap-names\]\]$" "$T/n.log") munmap line, $(grep -cE "^$pid: free\($big\) in unmap_blocks\+0x[0-9a-f]+ \[heap-names\]$" "$T/n.log") free line"
check names-log-json "malloc: map_blocks 0x$mb heap-names; by_free: unmap_blocks heap-names" "$(python3 - "$T/n.json" "$big" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))["events"]; big = sys.argv[2]
m = [e["code"] for e in ev if e.get("call") == "malloc" and e.get("result") == big]
u = [e["by_free"]["code"] for e in ev if e.get("name") == "munmap" and e.get("by_free", {}).get("ptr") == big]
print("malloc: %s; by_free: %s" % (" | ".join("%s 0x%s %s" % (c["function"], c["offset"], c["module"]) for c in m) or "none",
      " | ".join("%s %s" % (c["function"], c["module"]) for c in u) or "none"))
PY
)"
site=$(d2h $(( $(h2d "$(fact "$T/n.out" map_blocks)") + $(h2d "${mb:-0}") )))
check names-log-symbols-off "1 line" "$(grep -cE "^$pid: malloc\(307200\) -> $big at $site \[" "$T/nr.log") line"
exit $mm_failed
