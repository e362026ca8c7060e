#!/usr/bin/env bash
# Checks --context on a recording of rg-steps (2 x 4 MiB touched and unmapped): zones and buddy orders as in the live /proc/zoneinfo and /proc/buddyinfo, zone free pages agreeing with the buddy lists, meminfo, the process's Vm* lines at exec and end, the text columns side by side and the CSV.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="ctx-record-status ctx-program ctx-json ctx-zone-names ctx-zone-sizes ctx-zone-free ctx-zone-free-buddy
ctx-buddy-orders ctx-meminfo ctx-vm-names ctx-vm-exec ctx-vm-end ctx-vm-peak ctx-vmsize-maps
ctx-text-zones ctx-text-buddy ctx-text-vm ctx-csv"
need_root_tracefs $TESTS
mm_tmp

record "$T/c" "$(prog rg-steps)" 2 4 0
check ctx-record-status "0 0" "$rec_rc $rep_rc"
pid=$(fact "$T/c.out" pid)
if [ -z "$pid" ] || [ "$(fact "$T/c.out" chunk)" != $((4 << 20)) ]; then
	fail ctx-program "expected pid=... chunk=$((4 << 20)), got '$(show "$T/c.out")' (record stderr: $(show "$T/c.err"))"
	exit 1
fi
ok ctx-program

"$MEMMON" report --context --json "$T/c.dat" >"$T/ctx.json" 2>"$T/ctx.err"
if ! python3 -m json.tool "$T/ctx.json" >/dev/null 2>&1; then
	fail ctx-json "expected one JSON document, got '$(show "$T/ctx.json")' (stderr: $(show "$T/ctx.err"))"
	exit 1
fi
ok ctx-json
# py EXPR...: run python with D = the "context" object, LIVE_Z = the live
# /proc/zoneinfo zones {(node, zone): {spanned, present, managed, free}},
# LIVE_B = live /proc/buddyinfo {(node, zone): [counts]}
py() {
	python3 - "$T/ctx.json" "$pid" <<EOF
import json, re, sys
D = json.load(open(sys.argv[1]))
PID = int(sys.argv[2])
LIVE_Z, cur = {}, None
for line in open("/proc/zoneinfo"):
    m = re.match(r"^Node (\d+), zone +(\S+)", line)
    if m:
        cur = (int(m.group(1)), m.group(2)); LIVE_Z[cur] = {}; continue
    m = re.match(r"^\s+(pages free|spanned|present|managed)\s+(\d+)$", line)
    if m and cur:
        LIVE_Z[cur][m.group(1).replace("pages ", "")] = int(m.group(2))
LIVE_B = {}
for line in open("/proc/buddyinfo"):
    m = re.match(r"^Node (\d+), zone +(\S+)\s+(.*)$", line.strip())
    if m:
        LIVE_B[(int(m.group(1)), m.group(2))] = [int(x) for x in m.group(3).split()]
$1
EOF
}

# zones: the same (node, zone) as the live /proc/zoneinfo, in its order
check ctx-zone-names "$(awk '/^Node/ { sub(",", "", $2); printf "%s%s/%s", n++ ? " " : "", $2, $4 }' /proc/zoneinfo)" \
	"$(py 'print(" ".join("%d/%s" % (z["node"], z["zone"]) for z in D["zones"]))')"
# spanned, present and managed do not change while the machine runs: equal to the live file
check ctx-zone-sizes "$(py 'print(" ".join("%d:%d:%d" % (v["spanned"], v["present"], v["managed"]) for v in LIVE_Z.values()))')" \
	"$(py 'print(" ".join("%s:%s:%s" % (z["spanned"], z["present"], z["managed"]) for z in D["zones"]))')"
# free pages: whole numbers, never above managed
check ctx-zone-free "all within 0..managed" "$(py '
bad = ["%s %s/%s of %s" % (z["zone"], z["free_start"], z["free_end"], z["managed"]) for z in D["zones"]
       if not (isinstance(z["free_start"], int) and isinstance(z["free_end"], int)
               and 0 <= z["free_start"] <= z["managed"] and 0 <= z["free_end"] <= z["managed"])]
print("; ".join(bad) or "all within 0..managed")')"
# a zone's free pages are its buddy free blocks (sum of count << order):
# exact for a zone that is wholly free (free == managed: nothing allocates
# there); a zone in use differs a little (zoneinfo and buddyinfo are read a
# few ms apart, the free counter has per-CPU deltas not yet folded in, pages
# on per-CPU lists are in neither): those within 1% of managed (a small VM
# may have no wholly free zone: then all are of that kind)
check ctx-zone-free-buddy "ok" "$(py '
B = {(b["node"], b["zone"]): b for b in D["buddy"]}
bad, exact = [], 0
for z in D["zones"]:
    b = B.get((z["node"], z["zone"]))
    if b is None:          # an empty zone has no buddyinfo line
        if z["managed"] or z["free_start"] or z["free_end"]:
            bad.append("%s: no buddy" % z["zone"])
        continue
    for side in ("start", "end"):
        s = sum(c << k for k, c in enumerate(b[side]))
        f = z["free_" + side]
        if f == z["managed"]:
            exact += 1
            if s != f: bad.append("%s %s: free %d, buddy %d" % (z["zone"], side, f, s))
        elif abs(s - f) > z["managed"] // 100:
            bad.append("%s %s: free %d, buddy %d (more than 1%% apart)" % (z["zone"], side, f, s))
print("; ".join(bad) or "ok")')"
# buddy: orders 0..10 at start and end for every live zone of /proc/buddyinfo
check ctx-buddy-orders "$(py 'print(" ".join("%d/%s:%d" % (k[0], k[1], len(v)) for k, v in LIVE_B.items()))') / 11 11" \
	"$(py 'print(" ".join("%d/%s:%d" % (b["node"], b["zone"], len(b["start"])) for b in D["buddy"]),
 "/", ",".join(sorted(set(str(len(b["start"])) for b in D["buddy"]))), ",".join(sorted(set(str(len(b["end"] or [])) for b in D["buddy"]))))')"
# meminfo: MemTotal is the live one, every line has a start and an end
check ctx-meminfo "MemTotal $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) $(grep -c : /proc/meminfo) lines, 0 null" \
	"$(py '
m = {x["name"]: x for x in D["meminfo"]}
print("MemTotal %s %d lines, %d null" % (m.get("MemTotal", {}).get("start"), len(D["meminfo"]),
      sum(x["start"] is None or x["end"] is None for x in D["meminfo"])))')"

# the process's status: every Vm* line at exec and at end
vm="VmPeak VmSize VmLck VmHWM VmRSS VmData VmStk VmExe VmLib VmPTE VmSwap"
check ctx-vm-names "exec: $vm / end: $vm" "$(py '
p = [p for p in D["processes"] if p["pid"] == PID]
if not p: print("no process %d" % PID); sys.exit(0)
p = p[0]
print(" / ".join("%s: %s" % (ph, " ".join(k for k, v in (p[ph] or {}).items() if isinstance(v, int)))
                 for ph in ("exec", "end")))')"
# vmfacts PHASE: "VmPeak>=VmSize VmHWM>=VmRSS VmExe>0" checked on the numbers
vmfacts() {
	py "
p = [p for p in D['processes'] if p['pid'] == PID][0]['$1'] or {}
g = lambda k: p.get(k) if isinstance(p.get(k), int) else -1
print('VmPeak%sVmSize VmHWM%sVmRSS VmExe%s0 (%d %d %d %d %d)' % ('>=' if g('VmPeak') >= g('VmSize') >= 0 else '<',
      '>=' if g('VmHWM') >= g('VmRSS') >= 0 else '<', '>' if g('VmExe') > 0 else '<=',
      g('VmPeak'), g('VmSize'), g('VmHWM'), g('VmRSS'), g('VmExe')))"
}
got=$(vmfacts exec); check ctx-vm-exec "VmPeak>=VmSize VmHWM>=VmRSS VmExe>0" "${got%% (*}"
got=$(vmfacts end); check ctx-vm-end "VmPeak>=VmSize VmHWM>=VmRSS VmExe>0" "${got%% (*}"
# at the end the 8 MiB are unmapped: VmPeak is at least 8192 kB above
# VmSize; VmHWM at least 8192 kB above VmRSS less what RSS grew by after the
# first munmap (printf's code faulted in with fault-around: the rise of the
# rss_stat anon/file/shmem counters between that munmap and exit_group), less
# the error of the kernel's hiwater_rss: it is sampled from per-CPU counters
# read without their per-CPU parts (32 pages of anon and of file per CPU:
# 256 kB per CPU); the program did not change between exec and end
"$MEMMON" report --log --raw-events "$T/c.dat" >"$T/c.raw" 2>/dev/null
grow=$(awk -v p="$pid:" -v u="$pid: munmap($(fact "$T/c.out" region0), $((4 << 20))) = 0" '
	$0 == u { on = 1 } $1 == p && $2 == "exit_group(0)" { on = 0 }
	$1 == p && $2 == "rss" && $3 != "swap" { if (on && $4 > v[$3]) g += $4 - v[$3]; v[$3] = $4 }
	END { print int(g / 1024) }' "$T/c.raw")
hwm_min=$((8192 - grow - 256 * $(nproc)))
check ctx-vm-peak "peak-size>=8192 hwm-rss>=$hwm_min exe same" "$(py '
p = [p for p in D["processes"] if p["pid"] == PID][0]
e, x = p["end"], p["exec"]
print("peak-size%s8192 hwm-rss%s'$hwm_min' exe %s" % (">=" if e["VmPeak"] - e["VmSize"] >= 8192 else "<",
      ">=" if e["VmHWM"] - e["VmRSS"] >= '$hwm_min' else "<", "same" if e["VmExe"] == x["VmExe"] else "differs"))')"
# VmSize at the end is the size of the rebuilt final map (without
# [vsyscall], which /proc/PID/maps shows but is no mapping of the process)
vmsize=$(py 'print([p for p in D["processes"] if p["pid"] == PID][0]["end"]["VmSize"])')
check ctx-vmsize-maps "$vmsize" "$("$MEMMON" report --maps-at end --json --pid "$pid" "$T/c.dat" 2>>"$T/json.err" | python3 -c '
import json, sys
p = json.load(sys.stdin)["processes"][0]
print(sum(r["kbytes"] for r in p["regions"] if r["name"] != "[vsyscall]"))')"

# text: start and end side by side
"$MEMMON" report --context "$T/c.dat" >"$T/ctx.txt" 2>&1
check ctx-text-zones "$(printf 'zones (pages)    %9s %9s %9s %11s %11s %9s' spanned present managed free@start free@end delta)|$(py '
for z in D["zones"]:
    print("node %d %s %d %d %d %d %d %+d" % (z["node"], z["zone"], z["spanned"], z["present"], z["managed"],
          z["free_start"], z["free_end"], z["free_end"] - z["free_start"]))' | paste -sd'|')" \
	"$(grep -m1 '^zones (pages)' "$T/ctx.txt")|$(sed -n '/^zones (pages)/,/^$/p' "$T/ctx.txt" | grep '^node [0-9]* *[A-Za-z0-9]* *[0-9]' | awk '{ $1 = $1; print }' | paste -sd'|')"
# buddy: a "start" and an "end" row under each zone's order header
check ctx-text-buddy "$(py '
for b in D["buddy"]:
    print("node %d %s %s|start %s|end %s" % (b["node"], b["zone"], " ".join(str(k) for k in range(len(b["start"]))),
          " ".join(map(str, b["start"])), " ".join(map(str, b["end"]))))' | paste -sd'|')" \
	"$(sed -n '/^buddy free blocks per order$/,/^$/p' "$T/ctx.txt" | sed '1d;/^$/d' | awk '{ $1 = $1; print }' | paste -sd'|')"
check ctx-text-vm "$(printf 'pid %d status (kB) %10s %10s %10s' "$pid" start exec end)|$(py '
p = [p for p in D["processes"] if p["pid"] == PID][0]
f = lambda ph, k: "-" if p[ph] is None or p[ph][k] is None else str(p[ph][k])
for k in ("VmPeak", "VmSize", "VmLck", "VmHWM", "VmRSS", "VmData", "VmStk", "VmExe", "VmLib", "VmPTE", "VmSwap"):
    print(k, f("start", k), f("exec", k), f("end", k))' | paste -sd'|')" \
	"$(sed -n "/^pid $pid status/,/^\$/p" "$T/ctx.txt" | sed '/^$/d' | awk 'NR == 1 { print; next } { $1 = $1; print }' | paste -sd'|')"
# CSV: section,pid,name,start,exec,end,lost_events; one row per zone, zone LRU count, meminfo line and Vm* line
"$MEMMON" report --context --csv --pid "$pid" "$T/c.dat" >"$T/ctx.csv" 2>>"$T/json.err"
check ctx-csv "$(py '
print("section,pid,name,start,exec,end,lost_events zone=%d lru=%d meminfo=%d status=11" % (len(D["zones"]),
      6 * sum(1 for z in D["zones"] if z["lru_start"] or z["lru_end"]), len(D["meminfo"])))')" \
	"$(head -1 "$T/ctx.csv") $(python3 -c '
import csv, sys, collections
c = collections.Counter(r[0] for r in list(csv.reader(open(sys.argv[1])))[1:])
print("zone=%d lru=%d meminfo=%d status=%d" % (c["zone"], c["lru"], c["meminfo"], c["status"]))' "$T/ctx.csv")"
exit $mm_failed
