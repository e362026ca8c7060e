#!/usr/bin/env bash
# Checks record's failures: non-root, command not found, a command that is a FIFO (refused, not waited on), bad option, unwritable or non-regular output, -p with no such pid: clear one-line message, right exit status, nothing left behind, and the FILE a refused recording was to replace kept as it was (a complete one replaces it); a buffer switched off by another tool mid-recording is warned about.
set -u
M=${MEMMON:-./memmon}
T=/sys/kernel/tracing
tmp=$(mktemp -d); chmod 755 "$tmp"; trap 'rm -rf "$tmp"' EXIT

if [ "$(id -u)" -ne 0 ]; then echo "skip record-errors: needs root"; exit 0; fi
if [ ! -d "$T/instances" ]; then
	mount -t tracefs nodev "$T" 2>/dev/null
	[ -d "$T/instances" ] || { echo "skip record-errors: no tracefs"; exit 0; }
fi

# expect NAME STATUS MESSAGE-REGEX -- ARGS...: run "memmon record ARGS" with
# a known pid and check status, first stderr line (after notices), and that nothing is left.
expect() {
	local name=$1 want=$2 re=$3; shift 4
	sh -c 'echo $$ >"$0.pid"; exec "$@"' "$tmp/r" "$M" record "$@" >/dev/null 2>"$tmp/err"
	local rc=$? pid; pid=$(cat "$tmp/r.pid")
	# the first line after the notices a kernel may add (events it lacks, probes)
	local first; first=$(grep -v -e ' not on this kernel, skipped$' -e '^memmon record: kprobe classifier, ' "$tmp/err" | head -1)
	if [ "$rc" -ne "$want" ]; then echo "FAIL $name: exit $rc, want $want ($first)"; return; fi
	if ! grep -Eq -- "$re" <<<"$first"; then echo "FAIL $name: message '$first' does not match '$re'"; return; fi
	if [ -d "$T/instances/memmon-$pid" ]; then echo "FAIL $name: instance memmon-$pid left"; return; fi
	echo "ok $name"
}

expect cmd-not-found 127 "^memmon record: cannot run 'no-such-command-x': No such file or directory$" -- \
	-o "$tmp/a.dat" -- no-such-command-x
[ -e "$tmp/a.dat" ] && echo "FAIL cmd-not-found-no-file: $tmp/a.dat left" || echo "ok cmd-not-found-no-file"
# a CMD that is a FIFO: refused at its exec, never waited on (record reads
# the program it is to run, for its frame pointers and, with --malloc,
# whether it is static: opening a FIFO would wait for a writer)
mkfifo "$tmp/fifo"
for m in "" --malloc; do
	if [ -n "$m" ] && ! "$M" record -q $m -o "$tmp/m.dat" -- true >/dev/null 2>"$tmp/err"; then
		echo "skip cmd-fifo-malloc: record $m does not run here ($(tail -1 "$tmp/err"))"
		continue
	fi
	timeout 60 "$M" record $m -o "$tmp/f.dat" -- "$tmp/fifo" >/dev/null 2>"$tmp/err"; rc=$?
	if [ "$rc" = 126 ] && grep -q "^memmon record: cannot run '$tmp/fifo': Permission denied$" "$tmp/err"
	then echo "ok cmd-fifo${m:+-malloc}"
	else echo "FAIL cmd-fifo${m:+-malloc}: exit $rc (124: it hung), $(tail -1 "$tmp/err")"; fi
done
# a refused recording never destroys the FILE it was to replace
G=${MEMMON_TOP:-.}/tests/data/golden/small.dat
kept() {	# NAME: prev.dat is still the golden file, and no part file is left
	local parts; parts=$(ls "$tmp" | grep -c '\.part$')
	if cmp -s "$G" "$tmp/prev.dat" && [ "$parts" -eq 0 ]; then echo "ok $1"
	else echo "FAIL $1: expected prev.dat unchanged and no part file, got $(cmp -s "$G" "$tmp/prev.dat" && echo unchanged || echo changed), $parts part files"; fi
}
cp "$G" "$tmp/prev.dat"
expect prev-cmd-not-found 127 "^memmon record: cannot run '/nonexistent/prog': No such file or directory$" -- \
	-o "$tmp/prev.dat" -- /nonexistent/prog
kept prev-kept-cmd-not-found
expect prev-no-such-pid 1 "^memmon record: no process with pid 999999999?$" -- -o "$tmp/prev.dat" -p 999999999
kept prev-kept-no-such-pid
"$M" record -q -o "$tmp/prev.dat" -- true 2>"$tmp/err"
if ! cmp -s "$G" "$tmp/prev.dat" && "$M" info "$tmp/prev.dat" 2>/dev/null | grep -q '^command: *true$'; then
	echo "ok prev-replaced-when-complete"
else
	echo "FAIL prev-replaced-when-complete: prev.dat is not the new recording ($(head -c 200 "$tmp/err"))"
fi
# a symbolic link FILE is followed: the link stays, the file it names is replaced
ln -s prev.dat "$tmp/link.dat"
"$M" record -q -o "$tmp/link.dat" -- sh -c 'exit 3' 2>"$tmp/err"; rc=$?
if [ "$rc" -eq 3 ] && [ -L "$tmp/link.dat" ] && "$M" info "$tmp/prev.dat" 2>/dev/null | grep -q "^command: *sh -c exit 3$"; then
	echo "ok output-symlink-followed"
else
	echo "FAIL output-symlink-followed: exit $rc, link $( [ -L "$tmp/link.dat" ] && echo kept || echo replaced), prev.dat $("$M" info "$tmp/prev.dat" 2>&1 | grep '^command')"
fi
expect output-not-regular 1 "^memmon record: '/dev/null' exists and is not a regular file$" -- -o /dev/null -- true
[ -c /dev/null ] && echo "ok output-not-regular-kept" || echo "FAIL output-not-regular-kept: /dev/null is no longer a device"
expect bad-option 129 "^memmon record: unknown option '--no-such-option'$" -- --no-such-option -- true
expect no-cmd-no-pid 129 "^memmon record: nothing to record: " -- -o "$tmp/b.dat"
expect unwritable-output 1 "^memmon record: .*$tmp/no/such/dir/c.dat" -- -o "$tmp/no/such/dir/c.dat" -- true
expect no-such-pid 1 "^memmon record: no process with pid 999999999?$" -- -o "$tmp/d.dat" -p 999999999
expect bad-pid-list 129 "^memmon record: -p 12,,x: not a pid" -- -o "$tmp/d.dat" -p 12,,x

# Not root: one "memmon record:" line (a hint may follow), exit 1.
if command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$M" record -o "$tmp/e.dat" -- true >/dev/null 2>"$tmp/err"
	rc=$?
	n=$(grep -c '^memmon record:' "$tmp/err")
	if [ "$rc" -eq 1 ] && [ "$n" -eq 1 ] && grep -Eq '^memmon record: .*needs root' "$tmp/err"; then
		echo "ok not-root"
	else
		echo "FAIL not-root: exit $rc, stderr: $(tr '\n' '|' <"$tmp/err")"
	fi
else
	echo "skip not-root: no setpriv"
fi

# Another tool switching the recording's buffer off (tracefs is the
# machine's): the recording still ends well, and says its tail is missing
sleep 60 &
sp=$!
"$M" record -q -o "$tmp/off.dat" -p "$sp" 2>"$tmp/off.err" &
rp=$!
for _ in $(seq 3000); do	# armed: a new instance's tracing_on is 1 until record's 0,
	# written before the pid filter: the filter first, then tracing_on
	grep -qw "$sp" "$T/instances/memmon-$rp/set_event_pid" 2>/dev/null &&
		[ "$(cat "$T/instances/memmon-$rp/tracing_on" 2>/dev/null)" = 1 ] && break
	sleep 0.01
done
echo 0 >"$T/instances/memmon-$rp/tracing_on" 2>/dev/null
kill "$sp"; wait "$sp" 2>/dev/null; wait "$rp"; rc=$?
if [ "$rc" = 0 ] && grep -q "warning: tracing in instance memmon-$rp was switched off by something else" "$tmp/off.err" &&
   "$M" report "$tmp/off.dat" >/dev/null 2>&1; then
	echo "ok switched-off-warned"
else
	echo "FAIL switched-off-warned: exit $rc, stderr: $(tr '\n' '|' <"$tmp/off.err")"
fi
