#!/usr/bin/env bash
# Checks that the default page stays short for a program of many processes (bash running 30 /bin/true): the command's process and the 7 with the most faults in full, one line per program for the rest with their summed faults and how they ended, exactly as --json's per-process numbers add up, regions only for those shown, and --pid shows a rolled-up process in full.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="page-record page-shown page-rollup-count page-rollup-line page-regions page-pid page-json-all"
need_root_tracefs $TESTS
mm_tmp
"$MEMMON" record -q -o "$T/b.dat" -- bash -c 'for i in $(seq 30); do /bin/true; done' >"$T/b.out" 2>&1
check page-record "exit 0" "exit $?"
"$MEMMON" report "$T/b.dat" >"$T/page" 2>&1
"$MEMMON" report --json "$T/b.dat" >"$T/page.json" 2>>"$T/json.err"
nall=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["processes"]))' "$T/page.json")
# the full lines: "PID COMM EXE: ..." followed by "    memory syscalls: ..."
shown=$(grep -cE '^[0-9]+ .*: (ran|still running|attached) ' "$T/page")
check page-shown "8 processes in full" "$shown processes in full"
check page-rollup-count "# and $((nall - 8)) more processes, by program (--pid PID shows one in full, --json lists them all):" \
	"$(grep -E '^# and [0-9]+ more processes' "$T/page")"
# the rolled-up true processes: their count, their faults summed, as --json has them
want=$(python3 - "$T/page.json" "$T/page" <<'PY'
import json, re, sys
procs = json.load(open(sys.argv[1]))["processes"]
shown = {int(m[1]) for m in re.finditer(r"^(\d+) .*: (?:ran|still running|attached) ", open(sys.argv[2]).read(), re.M)}
rest = [p for p in procs if p["pid"] not in shown and p["exe"] == "/bin/true"]
f = {k: sum(p["faults"][k] for p in rest) for k in ("total", "anon", "file", "swap", "cow", "other")}
print("%d x true /bin/true: %d faults (anon %d, file %d, swap %d, cow %d, other %d), %d KiB first touched; %d exit status 0" % (
    len(rest), f["total"], f["anon"], f["file"], f["swap"], f["cow"], f["other"],
    sum(p["pages_touched"] for p in rest) * 4, len(rest)))
PY
)
check page-rollup-line "$want" "$(grep -E '^[0-9]+ x true ' "$T/page")"
check page-regions "8 processes' regions" "$(grep -cE '^# pid [0-9]+ ' "$T/page") processes' regions"
# a rolled-up one, asked for by pid, is shown in full
rolled=$(python3 - "$T/page.json" "$T/page" <<'PY'
import json, re, sys
procs = json.load(open(sys.argv[1]))["processes"]
shown = {int(m[1]) for m in re.finditer(r"^(\d+) .*: (?:ran|still running|attached) ", open(sys.argv[2]).read(), re.M)}
print(next(p["pid"] for p in procs if p["pid"] not in shown))
PY
)
"$MEMMON" report --pid "$rolled" "$T/b.dat" >"$T/one" 2>&1
check page-pid "1 process in full, no roll-up" "$(grep -cE "^$rolled .*: ran " "$T/one") process in full, $(grep -q '^# and ' "$T/one" && echo "a roll-up" || echo "no roll-up")"
check page-json-all "at least 31 processes in the JSON" "$( [ "$nall" -ge 31 ] && echo "at least 31" || echo "$nall") processes in the JSON"
exit $mm_failed
