#!/usr/bin/env bash
# Checks that record never loses a SIGINT/SIGTERM sent while it sets up: held at two steps by strace's injected delays (after creating its instance; after forking CMD, held, the signal to both as a Ctrl-C) the signal ends the setup, CMD never runs, exit 130/143, FILE as it was, nothing left; after its last look too (CMD, stopped by ptrace with the signal, dies of it before its exec: no hang); sent at 9 moments of a normal setup and to the whole process group at 3, always 130, CMD gone, and a run CMD always recorded.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="sig-instance-status sig-instance-nothing-ran sig-instance-left sig-held-status
sig-held-nothing-ran sig-held-left sig-release-status sig-release-nothing-ran sig-release-left sig-sweep
sig-sweep-group"
need_root_tracefs $TESTS
# Under ASan (make check-asan) LeakSanitizer's check at exit stops the
# world with ptrace, which fails in a record that still holds its traced
# child ("LeakSanitizer has encountered a fatal error") and turns the exit
# status these checks are about into 1: no leak check here.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
mm_tmp
TR=/sys/kernel/tracing
CMD="echo ran >>$T/marker; exec sleep 7.25"

# left PID: what record PID left ("" when nothing; its teardown may take a
# moment after it exited)
left() {
	local i out=
	for i in $(seq 60); do
		[ -d "$TR/instances/memmon-$1" ] || grep -qs "memmon_$1/" "$TR/dynamic_events" || break
		sleep 0.05
	done
	[ -d "$TR/instances/memmon-$1" ] && out="instance memmon-$1 "
	grep -qs "memmon_$1/" "$TR/dynamic_events" && out+="probes memmon_$1 "
	ls "$T" | grep -q '^out\.dat' && out+="$(ls "$T" | grep '^out\.dat' | paste -sd' ') "
	pgrep -f "^sleep 7.25$" >/dev/null && out+="CMD still running "
	echo "$out"
}

# catches PID: record has its SIGINT handler (SigCgt bit 2), up to 20 s
catches() {
	local i m
	for i in $(seq 400); do
		m=$(sed -n 's/^SigCgt:\t*//p' "/proc/$1/status" 2>/dev/null)
		[ -n "$m" ] && (( 16#$m & 2 )) && return 0
		sleep 0.05
	done
	return 1
}

# ---- held by strace at a step, the signal sent there
# held NAME SIGNAL WHO STRACE-ARGS...: record runs under strace, which holds
# it in an injected delay; the signal goes to record once its instance
# exists (WHO record) or to record and its held child (WHO both, as a Ctrl-C
# reaches the whole process group) once the child exists.  Sets h_rc (exit
# status) and h_pid (record's pid).
held() {
	local name=$1 sig=$2 who=$3 cpid= i spid; shift 3
	rm -f "$T/marker" "$T/out.dat"
	strace -o /dev/null "$@" "$MEMMON" record -o "$T/out.dat" -- sh -c "$CMD" >/dev/null 2>"$T/$name.err" &
	spid=$!
	for i in $(seq 400); do
		h_pid=$(pgrep -P "$spid" -x memmon)
		if [ -n "$h_pid" ] && [ -d "$TR/instances/memmon-$h_pid" ]; then
			[ "$who" = record ] && break
			cpid=$(pgrep -P "$h_pid")
			[ -n "$cpid" ] && break
		fi
		sleep 0.05
	done
	kill -"$sig" "$h_pid" 2>/dev/null
	[ "$who" = record ] || kill -"$sig" "$cpid" 2>/dev/null
	wait "$spid"; h_rc=$?
}
# the setup ended by the signal: CMD never ran, nothing recorded or left
check_held() {	# NAME SIGNAL STATUS
	check $1-status "exit $3, the setup stopped by SIG$2" \
		"exit $h_rc, $(grep -q "^memmon record: SIG$2 before sh started: nothing recorded" "$T/$1.err" && echo "the setup stopped by SIG$2" || show "$T/$1.err")"
	check $1-nothing-ran "no marker" "$( [ -e "$T/marker" ] && echo "CMD ran: marker" || echo "no marker")"
	check $1-left "" "$(left "$h_pid")"
}
if ! command -v strace >/dev/null; then
	skip_all "needs strace" sig-instance-status sig-instance-nothing-ran sig-instance-left \
		sig-held-status sig-held-nothing-ran sig-held-left sig-release-status sig-release-nothing-ran \
		sig-release-left
else
	# record has made its instance
	held sig-instance INT record -e trace=mkdir -e inject=mkdir:delay_exit=1500000
	check_held sig-instance INT 130
	# record has forked CMD, held
	held sig-held TERM both -e trace=clone -e inject=clone:delay_exit=1500000:when=1
	check_held sig-held TERM 143
	# after record's last look (its last rt_sigtimedwait, counted in a
	# normal run), as CMD is let go: CMD, stopped by ptrace with its signal,
	# is given it and dies of it before its exec: the same ending
	strace -o "$T/calls" -e trace=rt_sigtimedwait "$MEMMON" record -q -o "$T/c.dat" -- true
	nc=$(grep -c '^rt_sigtimedwait' "$T/calls")
	held sig-release INT both -e trace=rt_sigtimedwait -e inject=rt_sigtimedwait:delay_exit=1500000:when=$nc
	check_held sig-release INT 130
fi

# ---- a normal setup: how long from the handler to CMD running
rm -f "$T/marker"
"$MEMMON" record -q -o "$T/n.dat" -- sh -c "$CMD" & p=$!
catches "$p"; t0=$EPOCHREALTIME
for i in $(seq 800); do [ -e "$T/marker" ] && break; sleep 0.025; done
setup=$(awk "BEGIN { printf \"%.3f\", $EPOCHREALTIME - $t0 }")
kill -INT $p; wait $p
rm -f "$T/n.dat"

# sweep NAME KILL-TARGET-PREFIX K...: record (its own process group with
# "-"), the signal k/8 of the setup after its handler exists, for each K
sweep() {
	local name=$1 grp=$2 k p rc bad= l; shift 2
	for k; do
		rm -f "$T/marker" "$T/out.dat"
		if [ -n "$grp" ]; then
			# a process group of its own whose id is record's pid (job
			# control; setsid would fork where it leads a group already)
			set -m
			"$MEMMON" record -q -o "$T/out.dat" -- sh -c "$CMD" & p=$!
			set +m
		else
			"$MEMMON" record -q -o "$T/out.dat" -- sh -c "$CMD" & p=$!
		fi
		catches "$p"
		sleep "$(awk "BEGIN { printf \"%.3f\", $setup * $k / 8 }")"
		kill -INT -- "$grp$p"; wait $p; rc=$?
		# CMD that ran was recorded; nothing else may be left
		rm -f "$T/out.dat.$p.part"
		l=$( [ -e "$T/marker" ] && [ ! -s "$T/out.dat" ] && echo "CMD ran, not recorded ")
		rm -f "$T/out.dat"; l+=$(left "$p")
		[ "$rc" = 130 ] && [ -z "$l" ] || bad+="at $k/8: exit $rc $l; "
	done
	check $name "exit 130 each time (setup $setup s)" "${bad:-exit 130 each time} (setup $setup s)"
}
sweep sig-sweep "" 0 1 2 3 4 5 6 7 8
sweep sig-sweep-group "-" 0 3 6
exit 0
