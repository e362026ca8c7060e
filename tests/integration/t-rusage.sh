#!/usr/bin/env bash
# Checks memmon's fault count for a child against the kernel's own (wait4 rusage ru_minflt+ru_majflt) for a fault-heavy child: 20000 anon pages written plus a 64-page file read.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="rusage-program rusage-lost rusage-faults rusage-anon rusage-pid-filter"
need_root_tracefs $TESTS
mm_tmp

# Tolerance: rusage counts every fault handled for the task, memmon sees
# exceptions:page_fault_user, user-mode faults only.  The child makes no
# syscall that writes to untouched user memory, but the kernel itself
# writes to user memory in kernel mode a few times: schedule_tail()'s
# put_user of the child tid (CLONE_CHILD_SETTID, on a page shared
# copy-on-write with the parent), rseq updates, clear_child_tid at exit.
# Measured on 6.18 (x86_64, glibc 2.36): rusage - memmon = 2 in each of 6
# runs (rusage 20023..20025).  Allowed: 0..10 (0.05% of 20000), and memmon
# never more than rusage.
TOL=10
dd if=/dev/urandom of="$T/file" bs=4096 count=64 status=none
record "$T/r" "$(prog rusage)" 20000 "$T/file"
child=$(fact "$T/r.out" child); kf=$(fact "$T/r.out" faults)
if [ "$rec_rc $rep_rc" != "0 0" ] || [ -z "$child" ] || [ -z "$kf" ]; then
	fail rusage-program "expected exit 0, report 0 and child=... faults=..., got $rec_rc $rep_rc '$(show "$T/r.out")' (stderr: $(show "$T/r.err"))"
	# report --pid CHILD: exactly the child's lines of the full log, and a
# summary counting exactly its faults
"$MEMMON" report --log --pid "$child" "$T/r.dat" >"$T/p.rep" 2>"$T/p.err"
rc=$?
eval "$(summary "$T/p.rep")"
check rusage-pid-filter "exit 0, same $(grep -c "^$child: " "$rep") lines as the full log's $child lines, summary faults $mf" \
	"exit $rc, $(diff <(grep "^$child: " "$rep") <(sed '/^# summary$/,$d' "$T/p.rep") >/dev/null && echo same || echo different) $(sed '/^# summary$/,$d' "$T/p.rep" | grep -c .) lines as the full log's $child lines, summary faults ${S_faults:-?}"
exit 0
fi
ok rusage-program
rep=$T/r.rep
eval "$(summary "$rep")"
check rusage-lost "lost events: 0" "lost events: ${S_lost:-?}"
mf=$(faults "$rep" "$child" | wc -l)
d=$((kf - mf))
if [ "$d" -ge 0 ] && [ "$d" -le $TOL ]; then
	ok rusage-faults
else
	fail rusage-faults "expected memmon's faults for $child within $TOL below rusage's $kf, got $mf (difference $d)"
fi
# every one of the 20000 written pages is a first touch: anon W
check rusage-anon "at least 20000 anon W faults for $child" \
	"at least $(x=$(faults "$rep" "$child" | awk '$3 == "anon" && $5 == "W"' | wc -l); [ "$x" -ge 20000 ] && echo 20000 || echo "$x (only)") anon W faults for $child"
# report --pid CHILD: exactly the child's lines of the full log, and a
# summary counting exactly its faults
"$MEMMON" report --log --pid "$child" "$T/r.dat" >"$T/p.rep" 2>"$T/p.err"
rc=$?
eval "$(summary "$T/p.rep")"
check rusage-pid-filter "exit 0, same $(grep -c "^$child: " "$rep") lines as the full log's $child lines, summary faults $mf" \
	"exit $rc, $(diff <(grep "^$child: " "$rep") <(sed '/^# summary$/,$d' "$T/p.rep") >/dev/null && echo same || echo different) $(sed '/^# summary$/,$d' "$T/p.rep" | grep -c .) lines as the full log's $child lines, summary faults ${S_faults:-?}"
exit 0
