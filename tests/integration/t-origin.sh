#!/usr/bin/env bash
# Checks whom a trace is of: for record -- CMD, the child record forks is a copy of memmon until it execs CMD, and none of that copy (its map, its faults, its rename, its snapshot) is the target's; for record -p, the attached process's comm, program and age come from /proc at attach and its line says how long it was recorded.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="origin-first-line origin-no-rename origin-no-start-regions origin-no-memmon-image origin-left-out origin-vsz
origin-no-start-snapshot origin-attach-line origin-attach-age origin-attach-recorded origin-attach-json"
need_root_tracefs $TESTS
mm_tmp

# ---- record -- CMD: anon-touch, a program that links only libc
record "$T/a" "$(prog anon-touch)" 4
pid=$(fact "$T/a.out" pid)
exe=$(readlink -f "$(prog anon-touch)")
# its first line is the execve that started it (strace's first line too)
check origin-first-line "$pid: execve(\"$(prog anon-touch)\") = 0" "$(grep -m1 -E "^$pid: " "$T/a.rep")"
check origin-no-rename "0 comm lines" "$(grep -cE "^$pid: comm " "$T/a.rep") comm lines"
"$MEMMON" report --regions --json "$T/a.dat" >"$T/a.json" 2>>"$T/json.err"
# every region of the target was made by its exec or by the program: none
# comes from a snapshot taken before (the held child's, memmon's map)
check origin-no-start-regions "0 regions made before the exec" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(sum(1 for p in d["processes"] if p["pid"] == int(sys.argv[2]) for r in p["regions"] if r["created"]["how"] == "start"))' "$T/a.json" "$pid") regions made before the exec"
# memmon's own image (its binary, its libraries) is not among them
memmon_exe=$(readlink -f "$MEMMON")
check origin-no-memmon-image "no region of $memmon_exe, libtracefs, libtraceevent or libzstd" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
bad = sorted(set(r["name"] for p in d["processes"] for r in p["regions"]
                 if r["name"] == sys.argv[2] or any(l in r["name"] for l in ("libtracefs", "libtraceevent", "libzstd"))))
print(", ".join(bad) or "no region of %s, libtracefs, libtraceevent or libzstd" % sys.argv[2])' "$T/a.json" "$memmon_exe")"
# the events the copy had before its exec are counted apart, and the
# summary's other counts are the target's: info's records = shown + left out
eval "$(summary "$T/a.rep")"
# (faults are user- and kernel-mode ones: page_fault_user and _kernel)
info_faults=$("$MEMMON" info "$T/a.dat" | awk '$1 ~ /^exceptions:page_fault_(user|kernel)$/ { n += $2 } END { print n + 0 }')
check origin-left-out "page_fault_user+kernel records: $((S_faults + H_faults)) ($S_faults shown, $H_faults left out)" \
	"page_fault_user+kernel records: $info_faults ($S_faults shown, $H_faults left out)"
# record took no START snapshot of its child: the context's START column
# of the target is empty
"$MEMMON" report --context --json "$T/a.dat" >"$T/ctx.json" 2>>"$T/json.err"
check origin-no-start-snapshot "no START status of $pid" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
procs = [p for p in d.get("processes", []) if p["pid"] == int(sys.argv[2])]
print("no START status of %s" % sys.argv[2] if procs and not procs[0].get("start") else "START status: %r" % (procs[0].get("start") if procs else "no process"))' "$T/ctx.json" "$pid" 2>&1)"

# no timeline row of the target shows more than the kernel's VmPeak for
# its mm (at exit; + 4 KiB: the [vsyscall] page of the maps, which the
# kernel's VM counts leave out): memmon's bigger map before the exec is not
# the program's
check origin-vsz "every row within VmPeak" "$(python3 - "$pid" <<PY
import json, subprocess, sys
pid = int(sys.argv[1])
tl = json.loads(subprocess.run(["$MEMMON", "report", "--timeline", "--json", "$T/a.dat"], capture_output=True, text=True).stdout)
ctx = json.load(open("$T/ctx.json"))
peak = [p for p in ctx["processes"] if p["pid"] == pid][0]["end"]["VmPeak"]
rows = [r for p in tl["processes"] if p["pid"] == pid for r in p["rows"]]
over = [r["vsz_kib"] for r in rows if r["vsz_kib"] > peak + 4]
print("every row within VmPeak" if rows and not over else "rows %d, VmPeak %d, over: %s" % (len(rows), peak, over[:3]))
PY
)"

# ---- record -p: a process that has run 0.5 s when record attaches.
# Times on the clock record measures the age with (the boot clock:
# /proc/uptime, 10 ms steps); under qemu's emulation the wall clock drifts
# from it (0.12 s in one VM run).
now() { cut -d' ' -f1 /proc/uptime; }
t_start=$(now)
"$(prog attach-target)" 4 >"$T/t.out" 2>&1 &
tpid=$!
for _ in $(seq 100); do grep -q '^pid=' "$T/t.out" && break; sleep 0.05; done
sleep 0.5
t_attach=$(now)
"$MEMMON" record -q -o "$T/p.dat" -p "$tpid" --duration 0.4 >/dev/null 2>"$T/p.err"
t_end=$(now)
kill -TERM "$tpid"; wait "$tpid" 2>/dev/null
"$MEMMON" report "$T/p.dat" >"$T/p.page" 2>&1
line=$(grep -E "^$tpid " "$T/p.page" | head -1)
texe=$(readlink -f "$(prog attach-target)")
check origin-attach-line "$tpid attach-target $texe: attached ... still running" \
	"$(echo "$line" | sed -E 's/: attached .* first touched, /: attached ... /')"
# its age at attach: at least the time since it started to the attach,
# at most the time since it started to the end of the recording
age=$(echo "$line" | sed -nE 's/.*: attached ([0-9.]+) s after its start, .*/\1/p')
check origin-attach-age "age within [$(awk -v a="$t_attach" -v s="$t_start" 'BEGIN { printf "%.2f", a - s - 0.02 }'), $(awk -v e="$t_end" -v s="$t_start" 'BEGIN { printf "%.2f", e - s + 0.01 }')]" \
	"age $(awk -v g="${age:-x}" -v a="$t_attach" -v s="$t_start" -v e="$t_end" 'BEGIN {
		lo = a - s - 0.02; hi = e - s + 0.01
		if (g != "x" && g + 0 >= lo - 0.005 && g + 0 <= hi + 0.005) printf "within [%.2f, %.2f]", lo, hi; else printf "%s", g }')"
# recorded for the --duration: at least 0.4 s, at most what record took
rec=$(echo "$line" | sed -nE 's/.*, recorded ([0-9.]+) s, .*/\1/p')
check origin-attach-recorded "recorded within [0.4, $(awk -v e="$t_end" -v a="$t_attach" 'BEGIN { printf "%.2f", e - a }')] s" \
	"recorded $(awk -v g="${rec:-x}" -v a="$t_attach" -v e="$t_end" 'BEGIN {
		if (g != "x" && g + 0 >= 0.4 && g + 0 <= e - a + 0.015) printf "within [0.4, %.2f] s", e - a; else printf "%s s", g }')"
check origin-attach-json "attached=True comm=attach-target exe=$texe" "$("$MEMMON" report --json "$T/p.dat" | python3 -c '
import json, sys
p = [p for p in json.load(sys.stdin)["processes"] if p["pid"] == int(sys.argv[1])][0]
print("attached=%s comm=%s exe=%s" % (p["attached"], p["comm"], p["exe"]))' "$tpid")"
exit $mm_failed
