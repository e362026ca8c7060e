#!/usr/bin/env bash
# Checks that record leaves no instance (nor its stacks instance), probe or enabled event behind and the top-level set_event and trace_clock as they were (normal exit, SIGINT, crashing target, SIGKILL then record/reset), records with the instance's own local clock, and passes CMD's exit status through; a stale probe group still busy elsewhere does not stop a recording (every recording with --stacks: sleep keeps no frame pointers, and the stacks instance is cleaned up too).
set -u
M=${MEMMON:-./memmon}
T=/sys/kernel/tracing
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

if [ "$(id -u)" -ne 0 ]; then echo "skip record-cleanup: needs root"; exit 0; fi
if [ ! -d "$T/instances" ]; then
	mount -t tracefs nodev "$T" 2>/dev/null
	[ -d "$T/instances" ] || { echo "skip record-cleanup: no tracefs"; exit 0; }
fi

top_events=$(cat "$T/set_event")
top_clock=$(cat "$T/trace_clock")

# left PID: what a recording by PID left in the kernel ("" when nothing).
# A finished recording removes its instance, then its probes, in a child
# while it exits (the kernel needs ~0.1 s for it), so give that up to 3 s.
left() {
	local pid=$1 out="" i
	for i in $(seq 60); do
		[ -d "$T/instances/memmon-$pid" ] || [ -d "$T/instances/memmon-$pid-stacks" ] ||
			grep -qs "memmon_$pid/" "$T/dynamic_events" || break
		sleep 0.05
	done
	[ -d "$T/instances/memmon-$pid" ] && out="instance memmon-$pid "
	[ -d "$T/instances/memmon-$pid-stacks" ] && out+="instance memmon-$pid-stacks "
	grep -qs "memmon_$pid/" "$T/dynamic_events" "$T/uprobe_events" && out+="probes memmon_$pid "
	[ "$(cat "$T/set_event")" = "$top_events" ] || out+="top-level set_event changed "
	[ "$(cat "$T/trace_clock")" = "$top_clock" ] || out+="top-level trace_clock changed "
	echo "$out"
}

# running CMDLINE: wait (up to 10 s) until the target runs CMDLINE, i.e.
# record has set up and let it exec: a slow machine (a VM without KVM)
# takes more than the host's few ms to get there.
running() {
	local i
	for i in $(seq 100); do pgrep -f "^$1\$" >/dev/null && return; sleep 0.1; done
}

check() {	# NAME PID
	local l; l=$(left "$2")
	[ -z "$l" ] && echo "ok $1" || echo "FAIL $1: left behind: $l"
}

# A foreground record whose pid we know: the shell execs it.
run_fg() {	# OUTFILE ARGS... ; sets $rpid and $rc
	sh -c 'echo $$ >"$0.pid"; exec "$@"' "$tmp/fg" "$M" record -q --stacks "$@" 2>"$tmp/err"
	rc=$?; rpid=$(cat "$tmp/fg.pid")
}

run_fg -o "$tmp/t.dat" -- true
[ "$rc" -eq 0 ] && echo "ok normal-exit-status" || echo "FAIL normal-exit-status: $rc ($(cat "$tmp/err"))"
check cleanup-normal-exit "$rpid"
[ -s "$tmp/t.dat" ] && echo "ok file-written" || echo "FAIL file-written: $tmp/t.dat empty"
# the instance keeps the clock it was created with (memmon-record(1))
clk=$("$M" info "$tmp/t.dat" 2>&1 | sed -n 's/^clock: *//p')
[ "$clk" = local ] && echo "ok file-clock-local" || echo "FAIL file-clock-local: clock '$clk'"

run_fg -o "$tmp/t.dat" -- sh -c 'exit 7'
[ "$rc" -eq 7 ] && echo "ok exit-status-passes-through" || echo "FAIL exit-status-passes-through: got $rc, want 7"

run_fg -o "$tmp/t.dat" -- sh -c 'kill -SEGV $$'
[ "$rc" -eq 139 ] && echo "ok crash-status-139" || echo "FAIL crash-status-139: got $rc"
check cleanup-after-crash "$rpid"

"$M" record -q --stacks -o "$tmp/t.dat" -- sleep 5.123 & p=$!
running "sleep 5.123"; kill -INT $p; wait $p; rc=$?
[ "$rc" -eq 130 ] && echo "ok sigint-status-130" || echo "FAIL sigint-status-130: got $rc"
check cleanup-after-sigint "$p"
pgrep -f "^sleep 5.123$" >/dev/null && echo "FAIL sigint-reaches-target: sleep still runs" || echo "ok sigint-reaches-target"

"$M" record -q --stacks -o "$tmp/t.dat" -- sleep 5.2 & p=$!
running "sleep 5.2"; kill -TERM $p; wait $p; rc=$?
[ "$rc" -eq 143 ] && echo "ok sigterm-status-143" || echo "FAIL sigterm-status-143: got $rc"
check cleanup-after-sigterm "$p"

# SIGKILL leaves the instance; the next record removes it.
"$M" record -q --stacks -o "$tmp/k.dat" -- sleep 5.3 & p=$!
running "sleep 5.3"; kill -KILL $p; wait $p 2>/dev/null
[ -d "$T/instances/memmon-$p" ] && echo "ok sigkill-leaves-instance" || echo "skip sigkill-leaves-instance: nothing left to test with"
run_fg -o "$tmp/t.dat" -- true
check next-record-removes-stale "$p"
check cleanup-normal-exit-2 "$rpid"

# ... and so does memmon reset, naming it.
"$M" record -q --stacks -o "$tmp/k.dat" -- sleep 5.3 & p=$!
running "sleep 5.3"; kill -KILL $p; wait $p 2>/dev/null
out=$("$M" reset 2>&1); rc=$?
if [ "$rc" -eq 0 ] && grep -q "memmon-$p\$" <<<"$out" && grep -q "memmon-$p-stacks" <<<"$out"; then
	echo "ok reset-names-removed"; else echo "FAIL reset-names-removed: rc $rc, output: $out"; fi
check reset-removes-stale "$p"

# reset never removes a live recording's instances (once it made both:
# armed, its main instance tracing; setup takes seconds on a loaded machine)
"$M" record -q --stacks -o "$tmp/l.dat" -- sleep 2 & p=$!
# (the stacks instance is made after record's first write of tracing_on, 0:
# once it exists, a 1 there is record's own)
for _ in $(seq 300); do
	[ -d "$T/instances/memmon-$p-stacks" ] &&
		[ "$(cat "$T/instances/memmon-$p/tracing_on" 2>/dev/null)" = 1 ] && break
	sleep 0.05
done
"$M" reset >/dev/null 2>&1
[ -d "$T/instances/memmon-$p" ] && [ -d "$T/instances/memmon-$p-stacks" ] && echo "ok reset-keeps-live" ||
	echo "FAIL reset-keeps-live: memmon-$p or its stacks instance removed"
wait $p
check cleanup-after-live "$p"

# A stale probe group that cannot go (still enabled in an instance that is
# not ours to touch): record leaves it and records all the same (a stale
# removal that fails otherwise is a warning, never the recording's end)
if [ -w "$T/uprobe_events" ]; then
	dead=$( (sh -c 'echo $$' ) ); while kill -0 "$dead" 2>/dev/null; do dead=$((dead + 7919)); done
	grp="memmon_$dead"
	# (an instance shows the probes made after it: made first)
	mkdir "$T/instances/busy-$$"
	if echo "p:$grp/held /bin/true:0x1000" >>"$T/uprobe_events" 2>/dev/null &&
	   echo 1 >"$T/instances/busy-$$/events/$grp/held/enable" 2>/dev/null; then
		"$M" record -o "$tmp/b.dat" -- true >/dev/null 2>"$tmp/b.err"; rc=$?
		if [ "$rc" = 0 ] && grep -q "^p:$grp/held " "$T/uprobe_events" &&
		   "$M" report "$tmp/b.dat" >/dev/null 2>&1; then
			echo "ok busy-stale-group-kept"
		else
			echo "FAIL busy-stale-group-kept: exit $rc, stderr: $(tr '\n' '|' <"$tmp/b.err"), $(grep -c "$grp" "$T/uprobe_events") probes of $grp"
		fi
		echo 0 >"$T/instances/busy-$$/events/$grp/held/enable"
		echo "-:$grp/held" >>"$T/uprobe_events"
	else
		echo "skip busy-stale-group-kept: cannot place a uprobe on /bin/true"
		echo "-:$grp/held" >>"$T/uprobe_events" 2>/dev/null
	fi
	rmdir "$T/instances/busy-$$"
else
	echo "skip busy-stale-group-kept: no uprobe_events"
fi
