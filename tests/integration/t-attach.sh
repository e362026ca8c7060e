#!/usr/bin/env bash
# Checks record -p: attached to a running process it records exactly that process's and its new child's faults and syscalls, stops on SIGINT (and on --duration) with a complete file, and leaves nothing behind.
set -u
. "$(dirname "$0")/lib.sh"
names=(attach-faults attach-mmap attach-child attach-fork-line attach-maps attach-sigint attach-clean attach-duration)
need_root_tracefs "${names[@]}"
mm_tmp
PAGES=24
T_INST=/sys/kernel/tracing/instances

"$MEMMON_PROGS/attach-target" $PAGES >"$T/out" 2>&1 &
tpid=$!
for _ in $(seq 100); do grep -q '^pid=' "$T/out" && break; sleep 0.05; done

"$MEMMON" record -q -o "$T/a.dat" -p "$tpid" 2>"$T/rec.err" &
rpid=$!
# armed = the pid filter holds the target and tracing_on reads 1 (a new
# instance reads 1 for a moment after mkdir, before record turns it off)
armed() {
	grep -qw "$tpid" "$T_INST/memmon-$rpid/set_event_pid" 2>/dev/null &&
		[ "$(cat "$T_INST/memmon-$rpid/tracing_on" 2>/dev/null)" = 1 ]
}
for _ in $(seq 400); do armed && break; sleep 0.01; done
kill -USR1 "$tpid"
for _ in $(seq 200); do grep -q ' done$' "$T/out" && break; sleep 0.02; done
kill -INT "$rpid"; wait "$rpid"; rrc=$?
kill -TERM "$tpid"; wait "$tpid" 2>/dev/null

region=$(sed -n 's/^region=\([0-9a-f]*\) .*/\1/p' "$T/out")
child=$(sed -n 's/^child=\([0-9]*\) .*/\1/p' "$T/out")
cregion=$(sed -n 's/.*child_region=\([0-9a-f]*\)$/\1/p' "$T/out")
"$MEMMON" report --log "$T/a.dat" >"$T/log" 2>"$T/rep.err"

# faults of PID inside [BASE, BASE + PAGES pages)
count_in() {
	python3 - "$T/log" "$1" "$2" "$PAGES" <<'PY'
import re, sys
log, pid, lo, n = sys.argv[1], sys.argv[2], int(sys.argv[3], 16), int(sys.argv[4])
pat = re.compile(r"^%s: anon page @([0-9a-f]+) \(W\)( in \S+( \[[^]]*\])?)?$" % pid)
print(sum(1 for l in open(log) if (m := pat.match(l)) and lo <= int(m[1], 16) < lo + n * 4096))
PY
}
# -p ends normally on SIGINT: exit 0 (memmon-record(1))
check attach-sigint "record exit 0 after SIGINT" "record exit $rrc after SIGINT"
check attach-faults "$PAGES anon W faults of $tpid in its region" "$(count_in "$tpid" "$region") anon W faults of $tpid in its region"
check attach-mmap "1 mmap line of $tpid returning $region" \
	"$(grep -c "^$tpid: mmap(0, $((PAGES * 4096)), rw-, PRIVATE|ANON, fd -1) -> $region\$" "$T/log") mmap line of $tpid returning $region"
check attach-child "$PAGES anon W faults of child $child in its region" "$(count_in "$child" "$cregion") anon W faults of child $child in its region"
check attach-fork-line "1 fork line" "$(grep -c "^$tpid: fork child $child\$" "$T/log") fork line"
# the attached process was alive at the end: its START and END maps bracket
# the trace, and the rebuilt map must match the END one
check attach-maps "maps check: 0 differ" "$("$MEMMON" report --check-maps --pid "$tpid" "$T/a.dat" 2>&1 | grep -o 'maps check: .*' | sed 's/[0-9]* regions, //')"
sleep 0.3
left=$(ls "$T_INST" 2>/dev/null | grep "^memmon-$rpid\$")
check attach-clean "no instance left" "$( [ -z "$left" ] && echo "no instance left" || echo "left: $left")"

# --duration ends the recording by itself, exit 0
"$MEMMON_PROGS/attach-target" 4 >"$T/out2" 2>&1 &
tpid=$!
for _ in $(seq 100); do grep -q '^pid=' "$T/out2" && break; sleep 0.05; done
timeout 10 "$MEMMON" record -q -o "$T/d.dat" -p "$tpid" --duration 0.3; drc=$?
kill -TERM "$tpid"; wait "$tpid" 2>/dev/null
check attach-duration "exit 0 and a complete file" "exit $drc and $("$MEMMON" info "$T/d.dat" 2>&1 | grep -q truncated && echo "a truncated file" || echo "a complete file")"
