#!/usr/bin/env bash
# Checks that a recording killed with SIGKILL half-way leaves its part file (FILE.PID.part, FILE untouched) that report and info read up to its last complete chunk, saying it is truncated, and that the next record cleans up after it.
set -u
. "$(dirname "$0")/lib.sh"
names=(killed-part-kept killed-report-exit killed-warns killed-has-events killed-info-truncated killed-consistent killed-next-record-cleans)
need_root_tracefs "${names[@]}"
mm_tmp
# on one CPU: the cut ends each CPU's data at its own last chunk, so a round
# whose faults were split across CPUs could lose a few and look inconsistent
"$MEMMON" record -q -o "$T/k.dat" -- taskset -c 0 "$MEMMON_PROGS/churn" 10 >/dev/null 2>&1 &
rpid=$!
# half-way: once ring data is in the file (~0.4 MB a second on the host;
# a slow machine, e.g. a VM without KVM, takes longer to get there)
for i in $(seq 100); do
	[ "$(stat -c %s "$T/k.dat.$rpid.part" 2>/dev/null || echo 0)" -gt 100000 ] && break
	sleep 0.2
done
kill -KILL "$rpid"; wait "$rpid" 2>/dev/null
check killed-part-kept "k.dat.$rpid.part, no k.dat" "$(ls "$T" | grep '^k\.dat' | tr '\n' ' ' | sed 's/ $//'), $( [ -e "$T/k.dat" ] && echo "k.dat" || echo "no k.dat")"
mv "$T/k.dat.$rpid.part" "$T/k.dat"
"$MEMMON" report --log "$T/k.dat" >"$T/log" 2>"$T/err"; rc=$?
check killed-report-exit "exit 0" "exit $rc"
check killed-warns "a truncation warning" "$(grep -q 'trace truncated at offset' "$T/err" && echo "a truncation warning" || echo "none: $(head -c 200 "$T/err")")"
n=$(grep -c ': anon page @' "$T/log")
check killed-has-events "anon faults recorded before the kill" "$( [ "$n" -gt 1000 ] && echo "anon faults recorded before the kill" || echo "only $n fault lines")"
check killed-info-truncated "info says truncated" "$("$MEMMON" info "$T/k.dat" 2>&1 | grep -qi 'truncated' && echo "info says truncated" || echo "info says nothing")"
# every complete munmap of 1 MiB is preceded by its 256 faults: the cut is
# at a chunk boundary, never inside an event
bad=$(awk '/: mmap\(0, 1048576,/ {f = 0; open = 1} / anon page @/ && open {f++} /: munmap\([0-9a-f]+, 1048576\) = 0/ {if (f != 256) b++; open = 0} END {print b + 0}' "$T/log")
check killed-consistent "0 rounds with other than 256 faults" "$bad rounds with other than 256 faults"
"$MEMMON" record -q -o "$T/n.dat" -- true
sleep 0.3
check killed-next-record-cleans "no instance of $rpid" "$( [ -d /sys/kernel/tracing/instances/memmon-$rpid ] && echo "instance memmon-$rpid left" || echo "no instance of $rpid")"
