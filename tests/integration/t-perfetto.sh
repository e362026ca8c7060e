#!/usr/bin/env bash
# Checks report --perfetto FILE on real recordings: a valid Chrome/Perfetto JSON trace (jq parses it) whose fault instants (by class and access) and syscall slices are the log summary's counts, process/thread names, the anon counter and VSZ of anon-touch's mapping, the findings of --malloc-patterns, the --pid filter, and a clear error (no file left) for a path it cannot write.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="pf-record pf-json pf-faults pf-classes pf-access pf-syscalls pf-names pf-threads pf-rss pf-vsz pf-findings pf-pid pf-unwritable"
need_root_tracefs $TESTS
if ! command -v jq >/dev/null; then skip_all "needs jq" $TESTS; exit 0; fi
mm_tmp

N=300
record "$T/a" "$(prog anon-touch)" $N
"$MEMMON" report -q --perfetto "$T/a.json" "$T/a.dat" >"$T/a.stdout" 2>"$T/a.perr"
prc=$?
child=$(fact "$T/a.out" pid); region=$(fact "$T/a.out" region)
check pf-record "record 0, log 0, perfetto 0, nothing on stdout" \
	"record $rec_rc, log $rep_rc, perfetto $prc, $([ -s "$T/a.stdout" ] && echo something || echo nothing) on stdout"
if jq -e '.traceEvents | type == "array"' "$T/a.json" >/dev/null 2>&1; then ok pf-json
else fail pf-json "expected a JSON document with traceEvents, got $(show "$T/a.json")"; fi

# the log's summary counts, every event the trace has
eval "$(summary "$T/a.rep")"
q() { jq -r "$1" "$T/a.json" 2>/dev/null; }
check pf-faults "$S_faults fault instants" "$(q '[.traceEvents[] | select(.cat == "fault")] | length') fault instants"
got=; want=
for c in anon file swap cow other; do
	v=F_$c; want="$want $c ${!v}"
	got="$got $c $(q "[.traceEvents[] | select(.cat == \"fault\" and .args.class == \"$c\")] | length")"
done
check pf-classes "$want" "$got"
check pf-access "R $A_R W $A_W X $A_X" \
	"$(q '[.traceEvents[] | select(.cat == "fault") | .args.access] | "R \(map(select(. == "R")) | length) W \(map(select(. == "W")) | length) X \(map(select(. == "X")) | length)"')"
check pf-syscalls "$S_syscalls slices" "$(q '[.traceEvents[] | select(.ph == "X" and .cat == "syscall")] | length') slices"
check pf-names "anon-touch" "$(q ".traceEvents[] | select(.ph == \"M\" and .name == \"process_name\" and .pid == $child) | .args.name")"
# anon-touch's N write faults in its region, and the kernel's anon counter
# rising by N pages over them
lo=$(h2d "$region"); hi=$((lo + N * 4096))
in_region=$(q "[.traceEvents[] | select(.cat == \"fault\" and .pid == $child and .args.class == \"anon\" and .args.access == \"W\") | .args.addr] | map(\"0x\" + .) | .[]" |
	while read -r a; do [ $((a)) -ge "$lo" ] && [ $((a)) -lt "$hi" ] && echo; done | wc -l)
check pf-rss "$N anon W faults in the region, anon counter rising by at least $((N * 4096)) bytes" \
	"$in_region anon W faults in the region, anon counter rising by $(q "[.traceEvents[] | select(.ph == \"C\" and .name == \"rss\" and .pid == $child) | .args.anon] | (max - min) as \$d | if \$d >= $((N * 4096)) then \"at least $((N * 4096))\" else \$d end") bytes"
# VSZ grows by the mapping at its mmap and falls by it at the munmap
check pf-vsz "a rise and a fall of $((N * 4096)) bytes" \
	"$(q "[.traceEvents[] | select(.ph == \"C\" and .name == \"vsz\" and .pid == $child) | .args.bytes] | [range(1; length) as \$i | .[\$i] - .[\$i - 1]] | (if index($((N * 4096))) then \"a rise\" else \"no rise\" end) + \" and \" + (if index(-$((N * 4096))) then \"a fall\" else \"no fall\" end)") of $((N * 4096)) bytes"

# threads: one thread_name per thread the program made
record "$T/t" "$(prog threads)" 4
"$MEMMON" report -q --perfetto "$T/t.json" "$T/t.dat" 2>"$T/t.perr"
tids=$(grep -o 'tid=[0-9]*' "$T/t.out" | cut -d= -f2 | sort -n | tr '\n' ' ')
check pf-threads "$tids" "$(jq -r '.traceEvents[] | select(.ph == "M" and .name == "thread_name") | .tid' "$T/t.json" | sort -n | tr '\n' ' ')"

# findings: the same ones --malloc-patterns finds
record "$T/m" "$(prog mf-malloc)" churn
"$MEMMON" report -q --perfetto "$T/m.json" "$T/m.dat" 2>"$T/m.perr"
want=$("$MEMMON" report --malloc-patterns --json "$T/m.dat" 2>/dev/null | jq -r '[.findings[].id] | sort | join(" ")')
got=$(jq -r '[.traceEvents[] | select(.cat == "finding") | .name] | sort | join(" ")' "$T/m.json")
if [ -n "$want" ] && [ "$want" = "$got" ]; then ok pf-findings
else fail pf-findings "expected the findings '$want' (--malloc-patterns, not empty), got '$got'"; fi

# --pid: only the child's events (the threads trace: the process's tasks)
tpid=$(fact "$T/t.out" pid)
"$MEMMON" report -q --pid "$tpid" --perfetto "$T/tp.json" "$T/t.dat" 2>/dev/null
check pf-pid "only pid $tpid" "only pid $(jq -r '[.traceEvents[] | select(.ph != "i" or .cat != "lost") | .pid] | unique | map(tostring) | join(",")' "$T/tp.json")"

"$MEMMON" report --perfetto "$T/no/such/dir/x.json" "$T/a.dat" >/dev/null 2>"$T/u.err"
urc=$?
check pf-unwritable "exit 1, 'memmon report: --perfetto $T/no/such/dir/x.json: cannot write it: No such file or directory'" \
	"exit $urc, '$(head -1 "$T/u.err")'"
exit $mm_failed
