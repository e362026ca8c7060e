#!/usr/bin/env bash
# Checks that lost events are never silent: a tiny per-CPU buffer under a fault burst makes record say "N lost" with a hint, and report, info, --json, --log --json and --csv show the same count, and the text and JSON logs mark where events were dropped.
set -u
. "$(dirname "$0")/lib.sh"
names=(lost-record-says lost-hint lost-report-agrees lost-info-agrees lost-json-agrees lost-log-json-agrees
       lost-csv-agrees lost-log-marks lost-log-json-marks lost-default-none)
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
# every output form carries the same count
jq_or() { jq -r "$1" 2>/dev/null || echo "unreadable JSON"; }
check lost-json-agrees "lost_events $lost" "lost_events $("$MEMMON" report --json "$T/l.dat" 2>/dev/null | jq_or .lost_events)"
"$MEMMON" report --log --json "$T/l.dat" >"$T/log.json" 2>/dev/null
check lost-log-json-agrees "lost_events $lost" "lost_events $(jq_or .summary.lost_events <"$T/log.json")"
csv=$("$MEMMON" report --regions --csv "$T/l.dat" 2>/dev/null)
check lost-csv-agrees "lost_events column, all rows $lost" \
	"$(head -1 <<<"$csv" | awk -F, '{print $NF}') column, all rows $(tail -n +2 <<<"$csv" | awk -F, '{print $NF}' | sort -u | tr '\n' ' ' | sed 's/ $//')"
# the logs say where: one mark per sub-buffer the kernel flagged (info
# counts those), the counts adding up to what the sub-buffers stored
marks=$("$MEMMON" info "$T/l.dat" 2>/dev/null | sed -n 's/^  \([0-9]*\) sub-buffers follow lost events.*/\1/p')
"$MEMMON" report --log "$T/l.dat" >"$T/log.txt" 2>/dev/null
check lost-log-marks "${marks:-0} marks" "$(grep -c '^# lost .*events of cpu [0-9]* here' "$T/log.txt") marks"
check lost-log-json-marks "${marks:-0} marks" "$(jq_or '[.events[] | select(.kind == "lost")] | length' <"$T/log.json") marks"
# the default buffer loses nothing on the same burst (with memmon's own
# speed: a sanitizer build drains several times slower)
case "$MEMMON_BUILD" in
*asan*) skip lost-default-none "sanitizer build (a slower recorder)";;
*)
"$MEMMON" record -o "$T/d.dat" -- "$MEMMON_PROGS/anon-touch" 100000 >/dev/null 2>"$T/rec2.err"
check lost-default-none "0 lost" "$(sed -n 's/^memmon record: [0-9]* events (\([0-9]*\) lost).*/\1 lost/p' "$T/rec2.err")"
;;
esac
