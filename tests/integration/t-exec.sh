#!/usr/bin/env bash
# Checks the execve lines on real recordings of spawner (vfork + execvp, posix_spawnp, fork + execvp through a PATH of a missing and a non-executable candidate): each attempt with its path and errno (the path of a failed attempt of a fork child is its address), the same attempts as strace sees, the vfork child a process of its own whose write before its exec lands in its parent's region, and gcc -c's every execve as strace sees it.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="exec-vfork-lines exec-vfork-child exec-vfork-strace exec-vfork-parent-page exec-vfork-process
exec-spawn-lines exec-spawn-child exec-spawn-strace exec-fork-lines exec-fork-child exec-gcc-strace"
need_root_tracefs $TESTS
mm_tmp
mkdir -p "$T/a" "$T/b"
printf '#!/bin/sh\n' >"$T/b/true"; chmod 644 "$T/b/true"     # there, not executable

# the attempts strace sees, as memmon prints them: 'execve("PATH") = 0 | -ERRNO'
strace_execs() {	# STRACE-OUTPUT [PID]
	python3 - "$@" <<'PY'
import re, sys
want = sys.argv[2] if len(sys.argv) > 2 else None
for l in open(sys.argv[1]):
    m = re.match(r'^(\d+) +execve\("((?:[^"\\]|\\.)*)", .*\) = (-1 (E[A-Z0-9]+)|0)', l)
    if m and (want is None or m[1] == want):
        print('execve("%s") = %s' % (m[2], "-" + m[4] if m[4] else "0"))
PY
}
# memmon's lines of PID without the "PID: " (all processes when no PID)
memmon_execs() { grep -E "^${2:-[0-9]+}: execve\(" "$1" | sed 's/^[0-9]*: //'; }

for how in vfork spawn fork; do
	record "$T/$how" "$(prog spawner)" "$how" "$T" true
	pid=$(fact "$T/$how.out" pid); child=$(fact "$T/$how.out" child); page=$(fact "$T/$how.out" page)
	if [ -z "$child" ]; then
		fail "exec-$how-lines" "expected spawner's pid=... child=..., got '$(show "$T/$how.out")' ($(show "$T/$how.err"))"
		continue
	fi
	if [ "$how" = fork ]; then
		want="$child: execve(@ADDR) = -ENOENT|$child: execve(@ADDR) = -EACCES|$child: execve(\"/usr/bin/true\") = 0"
		check exec-fork-lines "$want" "$(grep -E "^$child: execve\(" "$T/$how.rep" | sed -E 's/@[0-9a-f]+/@ADDR/' | paste -sd'|')"
		check exec-fork-child "1 '$pid: fork child $child'" "$(count "$T/$how.rep" "$pid: fork child $child") '$pid: fork child $child'"
		continue
	fi
	check "exec-$how-lines" "$child: execve(\"$T/a/true\") = -ENOENT|$child: execve(\"$T/b/true\") = -EACCES|$child: execve(\"/usr/bin/true\") = 0" \
		"$(grep -E "^$child: execve\(" "$T/$how.rep" | paste -sd'|')"
	check "exec-$how-child" "1 '$pid: vfork child $child'" "$(count "$T/$how.rep" "$pid: vfork child $child") '$pid: vfork child $child'"
	# strace of the same program sees the same attempts
	strace -f -qq -e trace=execve -o "$T/$how.st" "$(prog spawner)" "$how" "$T" true >"$T/$how.st.out" 2>&1
	schild=$(fact "$T/$how.st.out" child)
	check "exec-$how-strace" "$(strace_execs "$T/$how.st" "$schild" | paste -sd'|')" "$(memmon_execs "$T/$how.rep" "$child" | paste -sd'|')"
	[ "$how" = vfork ] || continue
	# the vfork child's write before its exec is a fault in its parent's memory
	"$MEMMON" report --regions --json "$T/$how.dat" >"$T/reg.json" 2>"$T/reg.err"
	check exec-vfork-parent-page "1 fault line of $child at $page; parent $pid's region at $page: faults 1 anon.w 1" \
		"$(faults "$T/$how.rep" "$child" "$page" "$(d2h $(( $(h2d "$page") + 4096 )))" | wc -l) fault line of $child at $page; parent $pid's region at $page: $(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
rows = [r for p in d["processes"] if p["pid"] == int(sys.argv[2]) for r in p["regions"] if r["start"] == sys.argv[3]]
print(" | ".join("faults %d anon.w %d" % (r["faults"]["total"], r["faults"]["anon"]["w"]) for r in rows) or "none")' "$T/reg.json" "$pid" "$page")"
	# and it is a process of its own: its line on the default page
	"$MEMMON" report "$T/$how.dat" >"$T/$how.page" 2>&1
	check exec-vfork-process "$child true /usr/bin/true: ran, memory syscalls with execve 3" \
		"$(grep -E "^$child " "$T/$how.page" | sed -E 's/: ran [0-9.]+ s, .*/: ran/')$(grep -A1 -E "^$child " "$T/$how.page" | grep -q 'memory syscalls: .*execve 3' && echo ', memory syscalls with execve 3')"
done

# a real program's PATH search: gcc -c, its cc1 and its as
if command -v gcc >/dev/null; then
	echo 'int f(int x) { return x * 2; }' >"$T/x.c"
	(cd "$T" && "$MEMMON" record -q -o "$T/gcc.dat" -- gcc -c x.c) >/dev/null 2>"$T/gcc.err"
	grc=$?
	"$MEMMON" report --log "$T/gcc.dat" >"$T/gcc.rep" 2>&1
	(cd "$T" && strace -f -qq -e trace=execve -o "$T/gcc.st" gcc -c x.c) >/dev/null 2>&1
	check exec-gcc-strace "record exit 0: $(strace_execs "$T/gcc.st" | paste -sd'|')" \
		"record exit $grc: $(memmon_execs "$T/gcc.rep" | paste -sd'|')$( [ "$grc" = 0 ] || echo " ($(show "$T/gcc.err" 3))")"
else
	skip exec-gcc-strace "no gcc"
fi
exit $mm_failed
