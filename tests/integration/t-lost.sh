#!/usr/bin/env bash
# Checks that lost events are never silent: a tiny per-CPU buffer under a fault burst makes record say "N lost" with a hint, and report and info show the same count.
set -u
. "$(dirname "$0")/lib.sh"
names=(lost-record-says lost-hint lost-report-agrees lost-info-agrees lost-default-none)
need_root_tracefs "${names[@]}"
mm_tmp
# The recorder must not keep up, whatever the machine: it runs SCHED_IDLE on
# the CPU where the (SCHED_OTHER) burst runs, so it gets that CPU only after
# the burst has overrun the 8 KB ring.  (A fast recorder on a free CPU can
# drain even 8 KB in time.)
taskset -c 0 chrt --idle 0 "$MEMMON" record -b 8 -o "$T/l.dat" -- \
    chrt --other 0 "$MEMMON_PROGS/anon-touch" 100000 >/dev/null 2>"$T/rec.err"
lost=$(sed -n 's/^memmon record: [0-9]* events (\([0-9]*\) lost).*/\1/p' "$T/rec.err")
check lost-record-says "a non-zero lost count" "$( [ "${lost:-0}" -gt 0 ] && echo "a non-zero lost count" || echo "lost '${lost}': $(head -c 200 "$T/rec.err")")"
check lost-hint "hint: use -b" "$(grep -o '^hint: use -b' "$T/rec.err")"
check lost-report-agrees "lost events: $lost" "$("$MEMMON" report "$T/l.dat" 2>/dev/null | grep '^lost events:')"
check lost-info-agrees "lost events:  $lost" "$("$MEMMON" info "$T/l.dat" 2>/dev/null | grep '^lost events:')"
# the default buffer loses nothing on the same burst
"$MEMMON" record -o "$T/d.dat" -- "$MEMMON_PROGS/anon-touch" 100000 >/dev/null 2>"$T/rec2.err"
check lost-default-none "0 lost" "$(sed -n 's/^memmon record: [0-9]* events (\([0-9]*\) lost).*/\1 lost/p' "$T/rec2.err")"
