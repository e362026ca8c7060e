#!/usr/bin/env bash
# Checks record --malloc -p: uprobes on the libc a running heap-attach maps, armed in it alone (the int3 at its malloc, none at a bystander's, no probe enabled in tracefs), the exact calls it made after the attach (1000 at attach_here, 100 of a thread started before, 200 of one started after, realloc(NULL) one call, 10 leaks of 48 and the fork child's 5 of 24), no record lost, and every probe gone when record ends normally, on SIGINT and on SIGKILL (the kernel's part at once, the definitions at memmon reset).
set -u
. "$(dirname "$0")/lib.sh"
TESTS="attach-record attach-armed attach-bystander attach-tracefs attach-counts attach-threads
attach-realloc attach-leaks attach-child attach-hello attach-lost attach-clean attach-sigint
attach-sigkill"
need_root_tracefs $TESTS
mm_tmp
P=$(prog heap-attach)
TR=/sys/kernel/tracing

# the byte at ADDR (hex) in PID's memory, as two hex digits
byte_at() {	# PID ADDR
	python3 -c 'import sys
f = open("/proc/%s/mem" % sys.argv[1], "rb"); f.seek(int(sys.argv[2], 16)); print(f.read(1).hex())' "$1" "$2" 2>/dev/null
}
# wait until PID's byte at ADDR reads cc (its uprobe armed), up to 10 s
wait_armed() {	# PID ADDR
	for _ in $(seq 500); do [ "$(byte_at "$1" "$2")" = cc ] && return 0; sleep 0.02; done
	return 1
}
# record waiting for the end (-p: its main thread sleeps in ppoll), past the
# set-up a signal would end with "nothing recorded"
recording() {	# RPID
	for _ in $(seq 500); do grep -q poll "/proc/$1/wchan" 2>/dev/null && return 0; sleep 0.02; done
	return 1
}
started() {	# FILE
	for _ in $(seq 200); do grep -q '^pid=' "$1" && return 0; sleep 0.02; done
	return 1
}

"$P" >"$T/t.out" 2>&1 &
tpid=$!
"$P" wait >"$T/b.out" 2>&1 &	# the bystander: never signalled
bpid=$!
mm_on_exit "kill $tpid $bpid 2>/dev/null"
started "$T/t.out"; started "$T/b.out"
tm=$(fact "$T/t.out" malloc); bm=$(fact "$T/b.out" malloc)
t0=$(byte_at "$tpid" "$tm"); b0=$(byte_at "$bpid" "$bm")
"$MEMMON" record --malloc -o "$T/a.dat" -p "$tpid" 2>"$T/rec.err" &
rpid=$!
wait_armed "$tpid" "$tm"
armed=$(byte_at "$tpid" "$tm"); barmed=$(byte_at "$bpid" "$bm")
enabled=$(cat "$TR"/events/memmon_"$rpid"/*/enable 2>/dev/null | sort -u | paste -sd,)
defined=$(grep -c "^[pr]:memmon_$rpid/" "$TR/uprobe_events")
kill -USR1 "$tpid"
wait "$rpid"; rrc=$?
wait "$tpid" 2>/dev/null
check attach-record "exit 0" "exit $rrc$( [ $rrc = 0 ] || show "$T/rec.err")"
check attach-armed "not cc before, cc while recorded" "$( [ "$t0" != cc ] && echo "not cc before"), $armed while recorded" 
check attach-bystander "its byte unchanged ($b0)" "its byte $( [ "$barmed" = "$b0" ] && echo "unchanged ($b0)" || echo "$barmed, was $b0")"
check attach-tracefs "probes defined in memmon_$rpid, none enabled in tracefs" \
	"$( [ "$defined" -gt 0 ] && echo "probes defined in memmon_$rpid"), $( [ "$enabled" = 0 ] && echo "none enabled in tracefs" || echo "enable: $enabled")"

"$MEMMON" report --allocations --json "$T/a.dat" >"$T/a.json" 2>&1
"$MEMMON" report --leaks --json "$T/a.dat" >"$T/l.json" 2>&1
"$MEMMON" report --log "$T/a.dat" >"$T/a.log" 2>&1
child=$(fact "$T/t.out" child)
# the rows of PID's sites in KEY's function ([start, start + size))
rows() {	# JSON PID KEY SYMBOL FIELDS...
	python3 - "$1" "$2" "$(fact "$T/t.out" "$3")" "$(nm -S "$P" | awk -v s="$4" '$4 == s { print $2 }')" "${@:5}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); pid = int(sys.argv[2])
lo = int(sys.argv[3] or "0", 16); hi = lo + int(sys.argv[4] or "0", 16)
r = [s for p in d["processes"] if p["pid"] == pid for s in p["sites"] if lo <= int(s["site"], 16) < hi]
print(" | ".join(" ".join("%s=%s" % (f, s[f]) for f in sys.argv[5:]) for s in r) or "none")
PY
}
check attach-counts "call=malloc calls=1000 temporary=1000 bytes=64000" \
	"$(rows "$T/a.json" "$tpid" attach_fn attach_here call calls temporary bytes)"
check attach-threads "calls=100 bytes=3200; calls=200 bytes=3200" \
	"$(rows "$T/a.json" "$tpid" before_fn before_here calls bytes); $(rows "$T/a.json" "$tpid" after_fn after_here calls bytes)"
check attach-realloc "call=realloc calls=2 bytes=5100; call=calloc calls=1 bytes=100" \
	"$(rows "$T/a.json" "$tpid" realloc_fn realloc_here call calls bytes); $(rows "$T/a.json" "$tpid" calloc_fn calloc_here call calls bytes)"
check attach-leaks "blocks=10 bytes=480" "$(rows "$T/l.json" "$tpid" leak_fn leak_here blocks bytes)"
check attach-child "blocks=5 bytes=120" "$(rows "$T/l.json" "${child:-0}" leak_fn leak_here blocks bytes)"
check attach-hello "1 line, 1 line (fork child)" \
	"$(count "$T/a.log" "$tpid: malloc calls recorded from here (uprobes)") line, $(count "$T/a.log" "${child:-0}: malloc calls recorded from here (uprobes) (fork child)") line (fork child)"
check attach-lost "(0 lost); lost malloc records: 0" \
	"$(grep -oE '\([0-9]+ lost\) by uprobes' "$T/rec.err" | cut -d' ' -f1-2); $(grep -E '^lost malloc records: ' "$T/a.log")"
check attach-clean "no probe of memmon_$rpid left; bystander byte $b0" \
	"$( grep -q "memmon_$rpid/" "$TR/uprobe_events" && echo "probes left" || echo "no probe of memmon_$rpid left"); bystander byte $(byte_at "$bpid" "$bm")"

# SIGINT: record ends, the probes with it; the process lives on
"$P" wait >"$T/w.out" 2>&1 &
wpid=$!
mm_on_exit "kill $wpid 2>/dev/null"
started "$T/w.out"
wm=$(fact "$T/w.out" malloc)
"$MEMMON" record -q --malloc -o "$T/i.dat" -p "$wpid" 2>"$T/i.err" &
rpid=$!
wait_armed "$wpid" "$wm"
recording "$rpid"
kill -INT "$rpid"; wait "$rpid"; irc=$?
check attach-sigint "exit 0, byte back, no probe left" \
	"exit $irc, byte $( [ "$(byte_at "$wpid" "$wm")" != cc ] && echo back || echo "still cc"), $(grep -q "memmon_$rpid/" "$TR/uprobe_events" && echo "probes left" || echo "no probe left")"

# SIGKILL: the kernel closes the events (the byte is back at once); the
# definitions stay until the next record or memmon reset removes them
"$MEMMON" record -q --malloc -o "$T/k.dat" -p "$wpid" 2>"$T/k.err" &
rpid=$!
wait_armed "$wpid" "$wm"
kill -KILL "$rpid"; wait "$rpid" 2>/dev/null
sleep 0.1
kb=$(byte_at "$wpid" "$wm")
"$MEMMON" reset >/dev/null 2>&1
check attach-sigkill "byte back, no probe left after reset" \
	"byte $( [ "$kb" != cc ] && echo back || echo "still cc"), $(grep -q "memmon_$rpid/" "$TR/uprobe_events" && echo "probes left" || echo "no probe left") after reset"
rm -f "$T"/k.dat.*.part
exit $mm_failed
