#!/usr/bin/env bash
# Checks memmon watch on a record -p of two processes faulting at a steady rate: add, remove, clear, list and a second join, each process's faults only inside its recorded watched intervals (and some in each), no other process's events, the log/JSON/default page lines; refused requests leave the list as it was; the control socket is root's and gone after SIGINT, SIGTERM, and SIGKILL then memmon reset; record -- CMD with a process added; a process added that then maps a file and deletes it has the file's path (no "fd N") and the stack of its own mmap, as one watched from the start, and its mapping records and stacks end at its leave (exact counts), also for the process record -p began with, which joins again.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="wt-socket-perms wt-list-start wt-add wt-list-two wt-remove wt-err-not-watched wt-err-already
wt-err-no-pid wt-err-kthread wt-err-self wt-err-unchanged wt-clear wt-list-empty wt-rejoin wt-find
wt-not-root wt-usage wt-record-status wt-socket-gone-int wt-log-lines wt-only-watched wt-inside
wt-each-interval wt-json-spans wt-page-watched wt-sigterm wt-sigkill-reset wt-cmd-add
wt-names-joined wt-names-path wt-names-no-fd wt-names-stack wt-names-leave wt-names-owner"
need_root_tracefs $TESTS
mm_tmp

steady=$(prog steady)
"$steady" 1 30 >"$T/a.out" & A=$!
"$steady" 1 30 >"$T/b.out" & B=$!
mm_on_exit "kill $A $B 2>/dev/null; wait $A $B 2>/dev/null"

# wait_socket PID: until record PID listens (at most 10 s)
wait_socket() {
	for _ in $(seq 1000); do
		[ -S "/run/memmon/record-$1.sock" ] && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}
# w ARGS...: memmon watch --record $R ARGS; stdout in $T/w.out, stderr $T/w.err, $w_rc
w() { "$MEMMON" watch --record "$R" "$@" >"$T/w.out" 2>"$T/w.err"; w_rc=$?; }

sleep 0.1
"$MEMMON" record -o "$T/w.dat" -p "$A" 2>"$T/rec.err" & R=$!
mm_on_exit "kill -9 $R 2>/dev/null"
if ! wait_socket "$R"; then
	fail wt-socket-perms "expected /run/memmon/record-$R.sock, got none (record: $(show "$T/rec.err"))"
	exit 1
fi
check wt-socket-perms "700 root / 600 root socket" \
	"$(stat -c '%a %U' /run/memmon) / $(stat -c '%a %U %F' "/run/memmon/record-$R.sock")"
w list
check wt-list-start "0: $A steady 1 task" "$w_rc: $(cat "$T/w.out")"
sleep 0.3
w +"$B"
check wt-add "0: watching $B (steady), 1 task" "$w_rc: $(cat "$T/w.out")"
w list
check wt-list-two "$A steady 1 task|$B steady 1 task" "$(paste -sd'|' "$T/w.out")"
sleep 0.3
w -"$A"
check wt-remove "0: $A (steady) no longer watched" "$w_rc: $(cat "$T/w.out")"

# refused: a clear message, exit 1, the list as it was
w -"$A"
check wt-err-not-watched "1: memmon watch: $A (steady) is not watched" "$w_rc: $(cat "$T/w.err")"
w "$B"
check wt-err-already "1: memmon watch: $B (steady) is already watched" "$w_rc: $(cat "$T/w.err")"
nopid=$(( $(cat /proc/sys/kernel/pid_max) - 1 ))
while [ -e "/proc/$nopid" ]; do nopid=$((nopid - 1)); done
w +"$nopid"
check wt-err-no-pid "1: memmon watch: no process with pid $nopid" "$w_rc: $(cat "$T/w.err")"
w +2
check wt-err-kthread "1: memmon watch: 2 (kthreadd) is a kernel thread: it has no user memory" \
	"$w_rc: $(cat "$T/w.err")"
w +"$R"
check wt-err-self "1: memmon watch: $R is this recording (memmon record itself)" "$w_rc: $(cat "$T/w.err")"
w list
check wt-err-unchanged "$B steady 1 task" "$(paste -sd'|' "$T/w.out")"
sleep 0.3
w 0
check wt-clear "0: watch list cleared (1 process left it; the recording goes on)" "$w_rc: $(cat "$T/w.out")"
w list
check wt-list-empty "0: no process is watched" "$w_rc: $(cat "$T/w.out")"
sleep 0.3
w +"$A"
check wt-rejoin "0: watching $A (steady), 1 task" "$w_rc: $(cat "$T/w.out")"
sleep 0.3

# without --record: this one when it is the only recording, else a list
# (the recordings on the machine counted before and after the call: another
# one starting or ending in between, a concurrent suite's, makes it again)
for i in 1 2 3 4 5; do
	n=$(ls /run/memmon/record-*.sock 2>/dev/null | wc -l)
	"$MEMMON" watch list >"$T/f.out" 2>"$T/f.err"; rc=$?
	[ "$(ls /run/memmon/record-*.sock 2>/dev/null | wc -l)" = "$n" ] && break
	sleep 0.5
done
if [ "$n" = 1 ]; then
	check wt-find "0: $A steady 1 task" "$rc: $(cat "$T/f.out")"
else
	check wt-find "1: recordings are running ... $R ... choose one with --record PID" \
		"$rc: $(sed -E 's/^memmon watch: [0-9]+ (recordings are running).*/\1 .../; s/\(memmon record pids .*\): choose/choose/' "$T/f.err" | head -1) $(grep -o "\b$R\b" "$T/f.err" | head -1) ... $(grep -o 'choose one with --record PID' "$T/f.err")"
fi
if command -v setpriv >/dev/null; then
	setpriv --reuid 65534 --regid 65534 --clear-groups "$MEMMON" watch --record "$R" list \
		>/dev/null 2>"$T/nr.err"; rc=$?
	check wt-not-root "1: memmon watch: watch needs root (a recording's control socket is root's)" \
		"$rc: $(head -1 "$T/nr.err")"
else
	skip wt-not-root "no setpriv"
fi
"$MEMMON" watch +x >/dev/null 2>"$T/u.err"; rc=$?
check wt-usage "129: memmon watch: PID 'x': not a pid" "$rc: $(head -1 "$T/u.err")"

kill -INT "$R"; wait "$R"; rc=$?
check wt-record-status "0" "$rc"
check wt-socket-gone-int "no socket" "$([ -e "/run/memmon/record-$R.sock" ] && echo left || echo no socket)"

# what the trace says: the changes in the log, in time order
"$MEMMON" report --log "$T/w.dat" >"$T/w.rep" 2>"$T/w.rep.err"
check wt-log-lines "$A: joins the watch list (start)|$B: joins the watch list (watch)|$A: leaves the watch list (watch)|$B: leaves the watch list (watch)|$A: joins the watch list (watch; tracing was off N ms for it: every event then is missing)" \
	"$(grep -E 'watch list' "$T/w.rep" | sed -E 's/off [0-9]+ ms/off N ms/' | paste -sd'|')"
"$MEMMON" report --log --json "$T/w.dat" >"$T/w.json" 2>>"$T/w.rep.err"
"$MEMMON" report --json "$T/w.dat" >"$T/page.json" 2>>"$T/w.rep.err"
# py EXPR: python with L = the JSON log's events, P = the default page's processes
py() {
	python3 - "$T/w.json" "$T/page.json" "$A" "$B" <<EOF
import json, sys
L = json.load(open(sys.argv[1]))["events"]
P = {p["pid"]: p for p in json.load(open(sys.argv[2]))["processes"]}
A, B = int(sys.argv[3]), int(sys.argv[4])
# each process's watched intervals from the log's own changes
span = {A: [[0.0, None]], B: []}
for e in L:
    if e["kind"] != "watch" or e["reason"] != "watch":
        continue
    if e["op"] == "join":
        span[e["pid"]].append([e["time"], None])
    else:
        span[e["pid"]][-1][1] = e["time"]
end = max(e["time"] for e in L if "time" in e)
inside = lambda p, t: any(a <= t and (b is None or t <= b) for a, b in span[p])
faults = [e for e in L if e["kind"] == "fault"]
$1
EOF
}
check wt-only-watched "$A $B" "$(py 'print(" ".join(str(p) for p in sorted({e["tgid"] or e["pid"] for e in L if "pid" in e and e["kind"] != "lost"})))')"
check wt-inside "0 outside" "$(py 'print("%d outside" % sum(not inside(e["pid"], e["time"]) for e in faults), *["%d@%.6f" % (e["pid"], e["time"]) for e in faults if not inside(e["pid"], e["time"])][:3])')"
# a steady fault every ms: every interval has many (the shortest lasts ~300 ms)
check wt-each-interval "A 2 intervals, each >= 50 faults; B 1 interval, each >= 50 faults" "$(py '
out = []
for name, p in (("A", A), ("B", B)):
    n = [sum(1 for e in faults if e["pid"] == p and a <= e["time"] and (b is None or e["time"] <= b)) for a, b in span[p]]
    out.append("%s %d interval%s, %s" % (name, len(n), "" if len(n) == 1 else "s",
               "each >= 50 faults" if min(n) >= 50 else "counts %s" % n))
print("; ".join(out))')"
# the default page's JSON says the same intervals, joined and left why
check wt-json-spans "A start-watch watch-end; B watch-watch; times agree" "$(py '
ok = True
for p in (A, B):
    w = P[p]["watched"]
    for (a, b), s in zip(span[p], w):
        ok &= abs(s["from"] - a) < 2e-6 and (b is None) == (s["to"] is None) and (b is None or abs(s["to"] - b) < 2e-6)
    ok &= len(w) == len(span[p])
fmt = lambda p: " ".join("%s-%s" % (s["joined"], s["left"]) for s in P[p]["watched"])
print("A %s; B %s; times %s" % (fmt(A), fmt(B), "agree" if ok else "differ"))')"
"$MEMMON" report "$T/w.dat" >"$T/page.txt" 2>>"$T/w.rep.err"
check wt-page-watched "watched: 0.000000-T s (start to watch), from T s (watch to end, tracing off a moment as it joined)" \
	"$(sed -n "/^$A steady/,/^[0-9]/p" "$T/page.txt" | grep -m1 'watched:' | sed -E 's/^ *//; s/[1-9][0-9]*\.[0-9]{6}|0\.[0-9]*[1-9][0-9]*/T/g')"

# SIGTERM ends it and the socket goes; a SIGKILL leaves it, reset removes it
"$MEMMON" record -q -o "$T/t.dat" -p "$B" 2>"$T/t.err" & R2=$!
wait_socket "$R2"
kill -TERM "$R2"; wait "$R2"
check wt-sigterm "no socket" "$([ -e "/run/memmon/record-$R2.sock" ] && echo left || echo no socket)"
"$MEMMON" record -q -o "$T/k.dat" -p "$B" 2>"$T/k.err" & R3=$!
wait_socket "$R3"
kill -KILL "$R3"; wait "$R3" 2>/dev/null
left=$([ -S "/run/memmon/record-$R3.sock" ] && echo left || echo gone)
"$MEMMON" reset >"$T/reset.out" 2>&1
check wt-sigkill-reset "left; reset: removed control socket /run/memmon/record-$R3.sock; gone" \
	"$left; reset: $(grep -F "record-$R3.sock" "$T/reset.out"); $([ -e "/run/memmon/record-$R3.sock" ] && echo left || echo gone)"

# record -- CMD: another process joins; CMD's end is the recording's
"$MEMMON" record -o "$T/c.dat" -- "$steady" 1 2 >"$T/c.out" 2>"$T/c.err" & R4=$!
wait_socket "$R4"
w4() { "$MEMMON" watch --record "$R4" "$@" >"$T/w4.out" 2>"$T/w4.err"; }
w4 +"$B"
sleep 0.3
wait "$R4"; rc=$?
"$MEMMON" report --log "$T/c.dat" >"$T/c.rep" 2>/dev/null
check wt-cmd-add "0, $B joins (watch), faults of $B: yes, socket gone" \
	"$rc, $(grep -c "^$B: joins the watch list (watch)$" "$T/c.rep" | sed "s/^1$/$B joins (watch)/"), faults of $B: $(faults "$T/c.rep" "$B" | head -1 | grep -q . && echo yes || echo no), $([ -e "/run/memmon/record-$R4.sock" ] && echo socket left || echo socket gone)"
# A process that joins gets the names and stacks of one watched from the
# start: names-prog, let go once it is watched, maps a data file it
# deletes (read_data) and makes an mmap by a syscall of its own (map_direct).
# --stacks: the process record -p begins with keeps no frame pointers, so
# by default the recording would take no stacks at all.
mkdir -p "$T/n.work"
NAMES_GO="$T/n.go" "$(prog names-prog)" "$T/n.work" "$(prog libnames.so)" >"$T/n.out" 2>"$T/n.err" & N=$!
mm_on_exit "kill $N 2>/dev/null"
"$MEMMON" record --stacks -o "$T/n.dat" -p "$B" 2>"$T/n.rec" & R5=$!
wait_socket "$R5"
"$MEMMON" watch --record "$R5" +"$N" >"$T/w5.out" 2>&1
touch "$T/n.go"
wait "$N"
kill -INT "$R5"; wait "$R5"
check wt-names-joined "watching $N (names-prog), 1 task" "$(cat "$T/w5.out")"
"$MEMMON" report --regions --pid "$N" "$T/n.dat" >"$T/n.regions" 2>&1
# the region at data's address that took its 12 file faults (field 7), by its path
check wt-names-path "$T/n.work/data" "$(awk -v a="$(fact "$T/n.out" data)" -v n="$(fact "$T/n.out" data_pages)" \
	'$1 ~ "^" a "-" && $7 == n { print $12; exit }' "$T/n.regions")"
"$MEMMON" report --regions --json --pid "$N" "$T/n.dat" >"$T/n.rjson" 2>&1
check wt-names-no-fd "0 in text, 0 in JSON" "$(grep -cE '(^| |,)fd [0-9]+' "$T/n.regions") in text, $(
	jq -r '.processes[].regions[].name' "$T/n.rjson" | grep -cE '^fd [0-9]+$') in JSON"
# map sites: MMAP MUNMAP MPROTECT BRK OTHER MAPPED UNMAPPED BRK+ BRK- FAULTS PAGES STACK
"$MEMMON" report --sites --pid "$N" "$T/n.dat" >"$T/n.sites" 2>&1
check wt-names-stack "1 32K 8 8 map_direct main" "$(awk '$12 ~ /^map_direct\+0x/ && $15 ~ /^main\+0x/ {
	f = $12; m = $15; sub(/\+.*/, "", f); sub(/\+.*/, "", m); print $1, $6, $10, $11, f, m }' "$T/n.sites")"

# wait_fact FILE KEY: until a program's output has KEY= (at most 30 s)
wait_fact() {
	for _ in $(seq 3000); do
		[ -n "$(fact "$1" "$2")" ] && return 0
		sleep 0.01
	done
	return 1
}
# names_counts DAT: "M mmap calls, F file mappings, S stacks" of a trace
names_counts() {
	local info; info=$("$MEMMON" info "$1" 2>&1)
	echo "$(echo "$info" | awk '$1 == "syscalls:sys_exit_mmap" { n = $2 } END { print n + 0 }') mmap calls, $(
		echo "$info" | awk '$1 == "mappings:" { n = $2 } END { print n + 0 }') file mappings, $(
		echo "$info" | awk '$1 == "stacks:" { n = $2 } END { print n + 0 }') stacks"
}
# watch-maps maps a file 20 times a stretch: watched in the first, gone
# in the second; B (steady) makes no memory call meanwhile
echo data >"$T/m.file"
"$(prog watch-maps)" "$T/m.file" 20 "$T/m.go1" "$T/m.go2" >"$T/m.out" 2>&1 & W=$!
mm_on_exit "kill $W 2>/dev/null"
wait_fact "$T/m.out" pid
"$MEMMON" record -q --stacks -o "$T/m.dat" -p "$B" 2>"$T/m.rec" & R6=$!
wait_socket "$R6"
"$MEMMON" watch --record "$R6" +"$W" >/dev/null 2>&1
touch "$T/m.go1"; wait_fact "$T/m.out" done1
"$MEMMON" watch --record "$R6" -"$W" >/dev/null 2>&1
touch "$T/m.go2"; wait "$W"
kill -INT "$R6"; wait "$R6"
check wt-names-leave "20 mmap calls, 20 file mappings, 40 stacks" "$(names_counts "$T/m.dat")"
# the process record -p began with (its events own the mapping records'
# rings): out for the second stretch, in again for the third
"$(prog watch-maps)" "$T/m.file" 20 "$T/o.go1" "$T/o.go2" "$T/o.go3" >"$T/o.out" 2>&1 & W=$!
mm_on_exit "kill $W 2>/dev/null"
wait_fact "$T/o.out" pid
"$MEMMON" record -q --stacks -o "$T/o.dat" -p "$W" 2>"$T/o.rec" & R7=$!
wait_socket "$R7"
touch "$T/o.go1"; wait_fact "$T/o.out" done1
"$MEMMON" watch --record "$R7" -"$W" >/dev/null 2>&1
touch "$T/o.go2"; wait_fact "$T/o.out" done2
"$MEMMON" watch --record "$R7" +"$W" >/dev/null 2>&1
touch "$T/o.go3"; wait "$W"
wait "$R7"
check wt-names-owner "40 mmap calls, 40 file mappings, 80 stacks" "$(names_counts "$T/o.dat")"

exit $mm_failed
