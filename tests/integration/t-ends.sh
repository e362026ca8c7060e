#!/usr/bin/env bash
# Checks how processes end, in the log and on the default page, on real recordings of ends (SIGSEGV unmapped and read-only, SIGBUS past a file's end, exit N, SIGTERM to itself, a handled SIGUSR1) and of a sleep killed by SIGKILL from outside: the access that raised the signal is its own line with address, access and faulting instruction, never a page fault line, and each process line ends with its exit status or its signal.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="ends-segv-status ends-segv-line ends-segv-no-page ends-segv-signal ends-segv-page
ends-accerr-line ends-accerr-page ends-bus-status ends-bus-line ends-bus-page
ends-exit-status ends-exit-page ends-term-lines ends-term-page ends-handler-lines ends-handler-page
ends-kill-status ends-kill-lines ends-kill-page ends-json ends-json-log"
need_root_tracefs $TESTS
mm_tmp

# run NAME ARGS...: record ends ARGS into $T/NAME.*; sets pid addr fn handler
run() {
	local name=$1; shift
	"$MEMMON" record -q -o "$T/$name.dat" -- "$(prog ends)" "$@" >"$T/$name.out" 2>"$T/$name.err"
	rec_rc=$?
	"$MEMMON" report --log "$T/$name.dat" >"$T/$name.rep" 2>&1
	"$MEMMON" report "$T/$name.dat" >"$T/$name.page" 2>&1
	pid=$(fact "$T/$name.out" pid); addr=$(fact "$T/$name.out" addr)
	fn=$(fact "$T/$name.out" fn); handler=$(fact "$T/$name.out" handler)
}
# sigline NAME SIG ACC CODE: "ok" when the log has exactly one line
# "PID: SIG @ADDR (ACC) at IP (CODE) in touch+0xOFF [ends]" with IP in the
# first 256 bytes of the function that made the access, named by the
# program's own symbol table (carried in the trace)
sigline() {
	awk -v pid="$pid" -v sig="$2" -v addr="$addr" -v acc="$3" -v code="$4" -v fn="$fn" '
	function h(s,   i, n) { n = 0; for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return n }
	$1 == pid ":" && $2 == sig {
		n++
		ip = $6
		if ($3 == "@" addr && $4 == "(" acc ")" && $5 == "at" && $7 == "(" code ")" && NF == 10 &&
		    $8 == "in" && $9 ~ /^touch\+0x[0-9a-f]+$/ && $10 == "[ends]" &&
		    h(ip) >= h(fn) && h(ip) < h(fn) + 256) good++
		else bad = bad $0 "|"
	}
	END { if (n == 1 && good == 1) print "ok"; else printf "%d %s lines, %d right: %s\n", n, sig, good, bad }' "$T/$1.rep"
}
# page_end NAME: how the process line of $pid on the default page ends
page_end() { grep -E "^$pid " "$T/$1.page" | head -1 | sed 's/.* first touched, //'; }

run segv segv
check ends-segv-status "record exit 139" "record exit $rec_rc"
check ends-segv-line ok "$(sigline segv SIGSEGV W SEGV_MAPERR)"
check ends-segv-no-page "0 page fault lines at $addr" "$(faults "$T/segv.rep" "$pid" "$addr" "$(d2h $(( $(h2d "$addr") + 1 )))" | awk '$3 != "other"' | wc -l) page fault lines at $addr"
check ends-segv-signal "1 '$pid: signal SIGSEGV -> killed (core)'" "$(count "$T/segv.rep" "$pid: signal SIGSEGV -> killed (core)") '$pid: signal SIGSEGV -> killed (core)'"
check ends-segv-page "killed by SIGSEGV" "$(page_end segv)"

run accerr accerr
check ends-accerr-line ok "$(sigline accerr SIGSEGV W SEGV_ACCERR)"
check ends-accerr-page "killed by SIGSEGV" "$(page_end accerr)"

run bus bus "$T/busfile"
check ends-bus-status "record exit 135" "record exit $rec_rc"
check ends-bus-line ok "$(sigline bus SIGBUS R BUS_ADRERR)"
check ends-bus-page "killed by SIGBUS" "$(page_end bus)"

run exit exit 3
check ends-exit-status "record exit 3" "record exit $rec_rc"
check ends-exit-page "exit status 3" "$(page_end exit)"

run term term
check ends-term-lines "$pid: send SIGTERM to $pid|$pid: signal SIGTERM -> killed" \
	"$(grep -E "^$pid: (send|signal) " "$T/term.rep" | paste -sd'|')"
check ends-term-page "killed by SIGTERM" "$(page_end term)"

run handler handler
check ends-handler-lines "$pid: send SIGUSR1 to $pid|$pid: signal SIGUSR1 -> handler $handler in on_usr1+0x0 [ends]" \
	"$(grep -E "^$pid: (send|signal) " "$T/handler.rep" | paste -sd'|')"
check ends-handler-page "exit status 0" "$(page_end handler)"

# killed from outside: the sender is not traced, the delivery is
"$MEMMON" record -q -o "$T/kill.dat" -- sh -c 'echo $$ >"$1"; exec sleep 30' sh "$T/kill.pid" \
	>/dev/null 2>&1 &
rpid=$!
for _ in $(seq 100); do [ -s "$T/kill.pid" ] && break; sleep 0.05; done
pid=$(cat "$T/kill.pid")
# wait for the exec of sleep, then kill it
for _ in $(seq 100); do [ "$(cat /proc/$pid/comm 2>/dev/null)" = sleep ] && break; sleep 0.05; done
kill -KILL "$pid"
wait "$rpid"; rec_rc=$?
"$MEMMON" report --log "$T/kill.dat" >"$T/kill.rep" 2>&1
"$MEMMON" report "$T/kill.dat" >"$T/kill.page" 2>&1
check ends-kill-status "record exit 137" "record exit $rec_rc"
check ends-kill-lines "$pid: signal SIGKILL -> killed" "$(grep -E "^$pid: (send|signal) " "$T/kill.rep" | paste -sd'|')"
check ends-kill-page "killed by SIGKILL" "$(page_end kill)"

# the JSON page says the same
check ends-json "killed_by=SIGSEGV exit_status=3" "$(
	"$MEMMON" report --json "$T/segv.dat" | python3 -c 'import json,sys; print("killed_by=%s" % json.load(sys.stdin)["processes"][0].get("killed_by"))'
	) $("$MEMMON" report --json "$T/exit.dat" | python3 -c 'import json,sys; print("exit_status=%s" % json.load(sys.stdin)["processes"][0].get("exit_status"))')"
# and the JSON log: the fault with its signal, the fatal delivery
segv_pid=$(fact "$T/segv.out" pid); segv_addr=$(fact "$T/segv.out" addr)
check ends-json-log "fault 1000 W SIGSEGV SEGV_MAPERR; signal SIGSEGV deliver=True fatal=True" "$(
	"$MEMMON" report --log --json "$T/segv.dat" | python3 -c '
import json, sys
ev = [e for e in json.load(sys.stdin)["events"] if e["pid"] == int(sys.argv[1])]
f = [e for e in ev if e["kind"] == "fault" and "signal" in e]
g = [e for e in ev if e["kind"] == "signal"]
print("; ".join(["fault %s %s %s %s" % (x["addr"], x["access"], x["signal"], x["si_code"]) for x in f] +
                ["signal %s deliver=%s fatal=%s" % (x["signal"], x["deliver"], x.get("fatal")) for x in g]))' "$segv_pid")"
exit $mm_failed
