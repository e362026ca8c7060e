#!/usr/bin/env bash
# Checks record's closing line: "recorder CPU S s" is memmon's own CPU time, not CMD's (a CPU-bound CMD's time is not in it), and the event count it prints is the one the file holds.
set -u
. "$(dirname "$0")/lib.sh"
names=(recorder-cpu-printed recorder-cpu-excludes-cmd recorder-cpu-events-agree)
need_root_tracefs "${names[@]}"
mm_tmp

# CMD: a shell loop that burns 0.3-0.8 s of user CPU (by the CPU) and almost no events, then
# prints its own CPU time ("times": the shell's user and system time).
burn='i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done; times'
# bash's `time` on memmon reports memmon's rusage plus that of the children
# it waited for (CMD): the whole job.
TIMEFORMAT='%3U %3S'
{ time "$MEMMON" record -o "$T/c.dat" -- bash -c "$burn" >"$T/c.out" 2>"$T/c.err"; } 2>"$T/time"
line=$(grep '^memmon record: ' "$T/c.err")
rec=$(sed -n 's/.*recorder CPU \([0-9]*\.[0-9]*\) s).*/\1/p' <<<"$line")
check recorder-cpu-printed "a recorder CPU figure" \
	"$([ -n "$rec" ] && echo "a recorder CPU figure" || echo "closing line '$line'")"

# "0m0.412s 0m0.004s": CMD's own user and system time, in seconds
cmd_cpu=$(head -1 "$T/c.out" | awk '{ s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] }; printf "%.3f", s }')
total=$(awk '{ printf "%.3f", $1 + $2 }' "$T/time")
# memmon's own time is the whole job less CMD's (10 ms of rounding allowed:
# each figure is rounded to the ms or the 10 ms); counting CMD's time in it
# would put it near CMD's own time.
verdict=$(awk -v r="${rec:-0}" -v c="$cmd_cpu" -v t="$total" 'BEGIN {
	if (c < 0.1) print "CMD burned only " c " s";
	else if (r <= 0) print "recorder CPU " r " s is not positive";
	else if (r > t - c + 0.010) print "recorder CPU " r " s > whole job " t " s - CMD " c " s";
	else print "memmon own time only" }')
check recorder-cpu-excludes-cmd "memmon own time only" "$verdict"

events=$(sed -n 's/^memmon record: \([0-9]*\) events .*/\1/p' <<<"$line")
check recorder-cpu-events-agree "events:       $events" \
	"$("$MEMMON" info "$T/c.dat" 2>/dev/null | grep '^events:' | sed 's/,//g')"
