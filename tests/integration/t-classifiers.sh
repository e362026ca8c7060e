#!/usr/bin/env bash
# Checks the tracepoint classifier against the kprobe classifier (the reference where the kernel has kprobes) on one recording of each workload, reported twice (report --classifier=tracepoint ignores the probe events): no fault the kprobes call file or cow is called anon; without fork no other disagreement (unknown is allowed); after a fork only cow/other on write faults (whether the partner still shared the page is a guess); the comparison is printed.
set -u
. "$(dirname "$0")/lib.sh"
works=(fault-mix forker)
names=()
for w in "${works[@]}"; do names+=("classifiers-$w-kprobe" "classifiers-$w-never-anon-for-file" "classifiers-$w-agree"); done
names[${#names[@]} - 1]=classifiers-forker-differ-only-on-sharing
need_root_tracefs "${names[@]}"
if [ ! -e /sys/kernel/tracing/kprobe_events ]; then
	skip_all "needs kprobes (this kernel has none: there is no kprobe classifier to compare with)" "${names[@]}"; exit 0
fi
mm_tmp

compare() {	# NAME CMD...
	local w=$1; shift
	"$MEMMON" record -q -o "$T/$w.dat" -- "$@" >/dev/null 2>"$T/$w.err"
	"$MEMMON" report --log "$T/$w.dat" >"$T/$w-kp.rep" 2>/dev/null
	"$MEMMON" report --log --classifier=tracepoint "$T/$w.dat" >"$T/$w-tp.rep" 2>/dev/null
	check "classifiers-$w-kprobe" "classifier: kprobe" "$(grep '^classifier:' "$T/$w-kp.rep")"
	# the same faults in the same order: KPROBE-CLASS TRACEPOINT-CLASS ADDR ACC
	paste -d' ' <(faults "$T/$w-kp.rep" | awk '{ print $3, $4, $5 }') \
		    <(faults "$T/$w-tp.rep" | awk '{ print $3, $4, $5 }') |
		awk '{ print $1, $4, $2, $3 }' >"$T/$w.j"
	local n agree unk wrong
	n=$(wc -l <"$T/$w.j")
	agree=$(awk '$1 == $2' "$T/$w.j" | wc -l)
	unk=$(awk '$1 != $2 && $2 == "unknown"' "$T/$w.j" | wc -l)
	awk '$1 != $2 && $2 != "unknown" { print $1 " -> " $2 }' "$T/$w.j" | sort | uniq -c >"$T/$w.wrong"
	wrong=$(awk '{ n += $1 } END { print n + 0 }' "$T/$w.wrong")
	echo "# $w: $n faults: $agree agree, $unk unknown to the tracepoint classifier, $wrong differ$(awk '{ printf " (%s %s %s %s)", $1, $2, $3, $4 }' "$T/$w.wrong")"
	awk '$1 != $2 { printf "#   %s %s: kprobe %s, tracepoint %s\n", $3, $4, $1, $2 }' "$T/$w.j" | head -8
	if [ -n "${MEMMON_OUT:-}" ]; then   # tests/kernels/run reports the trace again on the host
		cp "$T/$w.j" "$MEMMON_OUT/compare-$w.txt"
		cp "$T/$w.dat" "$MEMMON_OUT/compare-$w.dat" && cp "$T/$w-kp.rep" "$MEMMON_OUT/compare-$w.rep"
	fi
	check "classifiers-$w-never-anon-for-file" "0" "$(awk '($1 == "file" || $1 == "cow") && $2 == "anon"' "$T/$w.j" | wc -l)"
	if [ "$w" != forker ]; then
		check "classifiers-$w-agree" "0 differ" "$wrong differ$(awk '{ printf " (%s %s %s %s)", $1, $2, $3, $4 }' "$T/$w.wrong")"
		return
	fi
	# a write-protect fault after fork copies the page while the partner
	# still maps it, and reuses it once the partner copied it, exec'd or
	# exited; the tracepoint classifier sees that only from events whose
	# order across CPUs the trace clock may not keep exactly
	check "classifiers-$w-differ-only-on-sharing" "0 other differences" \
		"$(awk '$1 != $2 && $2 != "unknown" && !(($1 == "cow" || $1 == "other") && ($2 == "cow" || $2 == "other") && $4 == "W")' "$T/$w.j" | wc -l) other differences"
}

compare fault-mix "$(prog fault-mix)" 48 "$T/data" 16
compare forker "$(prog forker)" 16
