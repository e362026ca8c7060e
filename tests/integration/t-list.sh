#!/usr/bin/env bash
# Checks memmon list against the kernel it runs on: each event's present/absent as tracefs has it; with kprobes, the probe set record then uses (its announcement, the trace's classifier), each probe on a function the kernel has (kallsyms) with what it tells, entry probes only (its ends: line, no return probe), and no probe group left; without kprobes, the tracepoint classifier.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="list-exit list-events list-classifier list-probes list-entry-only list-record-same list-leaves-nothing"
need_root_tracefs $TESTS
mm_tmp
TR=/sys/kernel/tracing

"$MEMMON" list >"$T/list" 2>"$T/list.err" & lpid=$!
wait $lpid; rc=$?
check list-exit "exit 0, tracefs: $TR" "exit $rc, $(grep '^tracefs:' "$T/list")"

# present/absent as the kernel's events/ directory has them (a syscall:
# both its enter and exit events)
bad=$(awk '$1 == "present" || $1 == "absent" { print $1, $2 }' "$T/list" | while read -r st ev; do
	sys=${ev%%:*} name=${ev#*:}
	if [ "$sys" = syscalls ]; then
		[ -d "$TR/events/syscalls/sys_enter_$name" ] && [ -d "$TR/events/syscalls/sys_exit_$name" ] && k=present || k=absent
	else
		[ -d "$TR/events/$sys/$name" ] && k=present || k=absent
	fi
	[ "$k" = "$st" ] || echo "$ev: list $st, tracefs $k"
done | head -3 | paste -sd';')
n=$(grep -cE '^(present|absent) ' "$T/list")
check list-events "over 40 events, each as tracefs has it" \
	"$( [ "$n" -gt 40 ] && echo "over 40" || echo "$n") events, ${bad:-each as tracefs has it}"

if [ ! -e "$TR/kprobe_events" ]; then
	check list-classifier "kprobes: no, classifier: tracepoint" \
		"$(grep '^kprobes:' "$T/list"), $(grep '^classifier:' "$T/list")"
	skip_all "the kernel has no kprobes" list-probes list-entry-only list-record-same
	check list-leaves-nothing "" ""
	exit 0
fi
set=$(sed -n 's/^classifier: kprobe (probe set \([a-z_]*\): .*)$/\1/p' "$T/list")
check list-classifier "kprobes: yes, a probe set" \
	"$(grep '^kprobes:' "$T/list"), $( [ -n "$set" ] && echo "a probe set" || grep '^classifier:' "$T/list")"
# every probe line: event, a function the kernel has, what it tells
probes=$(grep -c '^probe ' "$T/list")
badp=$(grep '^probe ' "$T/list" | while read -r _ ev fn why; do
	fn=${fn%:}
	grep -qE " [tT] $fn$" /proc/kallsyms || echo "$ev on $fn: not in kallsyms"
	[ -n "$why" ] || echo "$ev: no reason"
done | head -3 | paste -sd';')
good="on the kernel's functions, each saying what it tells"
check list-probes "probes $good" \
	"$( [ "$probes" -gt 0 ] && echo probes || echo "no probe lines") ${badp:-$good}"
# entry probes only, and list says why (no "return of" probe)
check list-entry-only "0 return probes, ends: entry probes only" \
	"$(grep -c '^probe .* return of ' "$T/list") return probes, $(grep -o '^ends: .*(entry probes only' "$T/list" | sed 's/ *each.*(/ /')"
# record uses that set: it says so (its notice names the set when the
# kernel refused something, e.g. an earlier set) and the trace says kprobe
"$MEMMON" record -o "$T/t.dat" -- true 2>"$T/rec.err"
said=$(sed -n 's/^memmon record: kprobe classifier, probe set \([a-z_]*\) .*/\1/p' "$T/rec.err")
check list-record-same "classifier kprobe, set ${said:-$set}" \
	"classifier $("$MEMMON" info "$T/t.dat" | sed -n 's/^classifier: *//p'), set ${said:-$set}"
[ -z "$said" ] || [ "$said" = "$set" ] || fail list-record-same-set "expected record's set $set (list), got $said"
check list-leaves-nothing "" "$(grep "memmon_$lpid/" "$TR/kprobe_events" | head -2 | paste -sd';')"
exit 0
