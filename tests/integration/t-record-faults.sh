#!/usr/bin/env bash
# Checks record under real faults: a full disk (ENOSPC and the file named first, the previous file kept, the part readable, CMD runs on), 2 and 3 recordings at once (exact faults each, no shared pids, all cleaned up), 200 children and 64 threads at once (exact faults per task), tracefs unmounted or hidden in a private mount namespace, a set-user-ID root run, and -p recordings ended by SIGTERM and SIGKILL.
set -u
. "$(dirname "$0")/lib.sh"
names=(full-exit full-first-line full-part-named full-prev-kept full-part-reads full-cmd-runs-on
       full-clean two-at-once-faults two-at-once-pids two-at-once-clean three-at-once-faults
       three-at-once-pids three-at-once-clean swarm-status swarm-children swarm-threads swarm-clean
       unmounted-records hidden-record hidden-list hidden-reset setuid-record setuid-reset
       attach-sigterm attach-sigkill-part attach-sigkill-next-cleans)
need_root_tracefs "${names[@]}"
mm_tmp
G=$MEMMON_TOP/tests/data/golden/small.dat
TI=/sys/kernel/tracing/instances

# gone PID: no instance of record PID left (removal may take ~0.1 s)
gone() {
	for _ in $(seq 60); do [ -d "$TI/memmon-$1" ] || return 0; sleep 0.05; done
	return 1
}
# in_region LOG PID BASE PAGES: anon W faults of PID in [BASE, BASE+PAGES pages)
in_region() {
	local hi; hi=$(d2h $(( $(h2d "$3") + $4 * 4096 )))
	faults "$1" "$2" "$3" "$hi" | awk '$3 == "anon" && $5 == "W"' | wc -l
}

# ---- a full disk: 256 KiB of tmpfs, well under what 3 s of churn needs (~1.5 MB;
# ~75 KB of it fixed: event formats, snapshots, the ELF objects of sh and libc)
D=$T/small; mkdir "$D"
if mount -t tmpfs -o size=256k tmpfs "$D"; then
	mm_on_exit "umount '$D'"
	cp "$G" "$D/o.dat"
	sh -c 'echo $$ >"$0"; exec "$@"' "$T/full.pid" "$MEMMON" record -q -o "$D/o.dat" -- \
		sh -c "'$MEMMON_PROGS/churn' 3 >/dev/null; touch '$T/cmd-done'" 2>"$T/full.err"
	rc=$?; rp=$(cat "$T/full.pid"); part="$D/o.dat.$rp.part"
	check full-exit "exit 1" "exit $rc"
	check full-first-line "memmon record: cannot write '$part': No space left on device" "$(head -1 "$T/full.err")"
	check full-part-named "memmon record: what was recorded until then is in '$part' (cut short); '$D/o.dat' was left as it was" \
		"$(sed -n 2p "$T/full.err")"
	check full-prev-kept "o.dat unchanged" "$(cmp -s "$G" "$D/o.dat" && echo "o.dat unchanged" || echo "o.dat changed")"
	"$MEMMON" report --log "$part" >"$T/full.log" 2>"$T/full.rep.err"; rrc=$?
	n=$(grep -c ': anon page @' "$T/full.log")
	check full-part-reads "exit 0, truncated, anon faults" \
		"exit $rrc, $(grep -q 'trace truncated at offset' "$T/full.rep.err" && echo truncated || echo "not truncated"), $( [ "$n" -gt 0 ] && echo "anon faults" || echo "no faults")"
	# memmon-record(1): CMD goes on untraced, record does not wait for it
	for _ in $(seq 200); do [ -e "$T/cmd-done" ] && break; sleep 0.1; done
	check full-cmd-runs-on "CMD finished" "$( [ -e "$T/cmd-done" ] && echo "CMD finished" || echo "CMD did not finish")"
	check full-clean "no instance left" "$(gone "$rp" && echo "no instance left" || echo "memmon-$rp left")"
else
	skip_all "cannot mount a small tmpfs" full-exit full-first-line full-part-named full-prev-kept \
		full-part-reads full-cmd-runs-on full-clean
fi

# ---- recordings at once: each sees exactly its own process
at_once() {	# NAME N
	local name=$1 n=$2 i pids=() all="" dup
	for i in $(seq "$n"); do
		sh -c 'echo $$ >"$0"; exec "$@"' "$T/c$i.pid" "$MEMMON" record -q -o "$T/c$i.dat" -- \
			"$MEMMON_PROGS/anon-touch" $((100 * i + 50)) >"$T/c$i.out" 2>"$T/c$i.err" &
		pids+=($!)
	done
	wait "${pids[@]}"
	local bad="" badp="" badc=""
	for i in $(seq "$n"); do
		"$MEMMON" report --log "$T/c$i.dat" >"$T/c$i.log" 2>/dev/null
		local region pid got
		region=$(fact "$T/c$i.out" region); pid=$(fact "$T/c$i.out" pid)
		got=$(in_region "$T/c$i.log" "$pid" "$region" $((100 * i + 50)))
		[ "$got" = $((100 * i + 50)) ] || bad+=" #$i: $got of $((100 * i + 50))"
		# every task in this trace is the program's (its pid), nobody else's
		local tasks; tasks=$(sed -n 's/^\([0-9]*\): .*/\1/p' "$T/c$i.log" | sort -u | tr '\n' ' ')
		[ "$tasks" = "$pid " ] || badp+=" #$i: tasks $tasks, program $pid"
		all+="$tasks"
		gone "$(cat "$T/c$i.pid")" || badc+=" memmon-$(cat "$T/c$i.pid")"
	done
	dup=$(tr ' ' '\n' <<<"$all" | grep . | sort | uniq -d | tr '\n' ' ')
	[ -n "$dup" ] && badp+=" shared: $dup"
	check "$name-faults" "each its exact faults" "$( [ -z "$bad" ] && echo "each its exact faults" || echo "$bad")"
	check "$name-pids" "no shared pids" "$( [ -z "$badp" ] && echo "no shared pids" || echo "$badp")"
	check "$name-clean" "no instance left" "$( [ -z "$badc" ] && echo "no instance left" || echo "left:$badc")"
}
at_once two-at-once 2
at_once three-at-once 3

# ---- 200 children and 64 threads, all at the same time
"$MEMMON" record -q -o "$T/s.dat" -- "$MEMMON_PROGS/swarm" 200 64 8 >"$T/s.out" 2>"$T/s.err" &
rp=$!; wait $rp; rc=$?
"$MEMMON" report --log "$T/s.dat" >"$T/s.log" 2>/dev/null
check swarm-status "exit 0, children=200 exited3=200 threads=64" \
	"exit $rc, $(grep -o 'children=[0-9]* exited3=[0-9]* threads=[0-9]*' "$T/s.out")"
bad=0
while read -r line; do
	pid=$(sed 's/^child=\([0-9]*\) .*/\1/' <<<"$line"); region=$(sed 's/.*region=\([0-9a-f]*\) .*/\1/' <<<"$line")
	[ "$(in_region "$T/s.log" "$pid" "$region" 8)" = 8 ] || bad=$((bad + 1))
done < <(grep '^child=' "$T/s.out")
check swarm-children "200 children with exactly 8 faults each" "$(grep -c '^child=' "$T/s.out") children with exactly 8 faults each$( [ $bad -gt 0 ] && echo ", $bad not")"
bad=0
while read -r line; do
	tid=$(sed 's/.* tid=\([0-9]*\) .*/\1/' <<<"$line"); region=$(sed 's/.*region=\([0-9a-f]*\) .*/\1/' <<<"$line")
	[ "$(in_region "$T/s.log" "$tid" "$region" 8)" = 8 ] || bad=$((bad + 1))
done < <(grep '^thread=' "$T/s.out")
check swarm-threads "64 threads with exactly 8 faults each" "$(grep -c '^thread=' "$T/s.out") threads with exactly 8 faults each$( [ $bad -gt 0 ] && echo ", $bad not")"
check swarm-clean "no instance left" "$(gone "$rp" && echo "no instance left" || echo "memmon-$rp left")"

# ---- tracefs unmounted, or hidden, in a private mount namespace
if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
	unshare -m sh -c 'umount /sys/kernel/tracing 2>/dev/null; exec "$@"' sh \
		"$MEMMON" record -q -o "$T/u.dat" -- "$MEMMON_PROGS/anon-touch" 32 >"$T/u.out" 2>"$T/u.err"
	rc=$?
	"$MEMMON" report --log "$T/u.dat" >"$T/u.log" 2>/dev/null
	check unmounted-records "exit 0, 32 faults" "exit $rc, $(in_region "$T/u.log" "$(fact "$T/u.out" pid)" "$(fact "$T/u.out" region)" 32) faults"
	for c in record list reset; do
		args=(); [ $c = record ] && args=(-o "$T/h.dat" -- true)
		unshare -m sh -c 'mount -t tmpfs none /sys/kernel && exec "$@"' sh "$MEMMON" $c "${args[@]}" \
			>/dev/null 2>"$T/h.err"
		rc=$?
		check "hidden-$c" "exit 1: memmon $c: tracefs is not reachable at '/sys/kernel/tracing': No such file or directory|hint: mount it" \
			"exit $rc: $(head -1 "$T/h.err")|$(sed -n 2p "$T/h.err" | cut -c1-14)"
	done
else
	skip_all "no private mount namespaces (unshare -m)" unmounted-records hidden-record hidden-list hidden-reset
fi

# ---- set-user-ID root: real uid 65534, effective 0
if command -v setpriv >/dev/null; then
	cp "$G" "$T/p.dat"
	setpriv --ruid=65534 "$MEMMON" record -o "$T/p.dat" -- true >/dev/null 2>"$T/p.err"; rc=$?
	check setuid-record "exit 1: memmon record: record needs the real user to be root too (real uid 65534, effective uid 0), p.dat kept" \
		"exit $rc: $(head -1 "$T/p.err"), $(cmp -s "$G" "$T/p.dat" && echo "p.dat kept" || echo "p.dat changed")"
	setpriv --ruid=65534 "$MEMMON" reset >/dev/null 2>"$T/p.err"; rc=$?
	check setuid-reset "exit 1: memmon reset: reset needs the real user to be root too (real uid 65534, effective uid 0)" \
		"exit $rc: $(head -1 "$T/p.err")"
else
	skip_all "no setpriv" setuid-record setuid-reset
fi

# ---- -p recordings ended by SIGTERM (complete) and SIGKILL (part kept)
attach() {	# OUT: starts attach-target and record -p on it; sets tp, rp
	"$MEMMON_PROGS/attach-target" 16 >"$T/$1.out" 2>&1 &
	tp=$!
	for _ in $(seq 100); do grep -qs '^pid=' "$T/$1.out" && break; sleep 0.05; done
	"$MEMMON" record -q -o "$T/$1.dat" -p "$tp" 2>"$T/$1.err" &
	rp=$!
	armed="not armed in 30 s"	# (record's start can take seconds on a loaded machine)
	# armed: the pid filter holds the target, and after that tracing_on
	# reads 1 (in this order: a new instance reads 1 until record writes 0,
	# before it sets the filter; read the other way round, a check could
	# see that first 1 and a filter set since, and the target's faults
	# were then not traced: seen in CI, 1 line of 16 in the log)
	for _ in $(seq 3000); do
		grep -qw "$tp" "$TI/memmon-$rp/set_event_pid" 2>/dev/null &&
			[ "$(cat "$TI/memmon-$rp/tracing_on" 2>/dev/null)" = 1 ] && armed=armed && break
		sleep 0.01
	done
	kill -USR1 "$tp"
	for _ in $(seq 200); do grep -q ' done$' "$T/$1.out" && break; sleep 0.02; done
	sleep 3.5	# past the drain's once-a-second write-out (a sanitizer build's too)
}
attach at
kill -TERM "$rp"; wait "$rp"; rc=$?
kill -TERM "$tp"; wait "$tp" 2>/dev/null
"$MEMMON" report --log "$T/at.dat" >"$T/at.log" 2>"$T/at.rep.err"
n=$(in_region "$T/at.log" "$tp" "$(fact "$T/at.out" region)" 16)
why=	# what the log held, when it is not what was expected (seen under heavy load)
[ "$n" = 16 ] || why=" [log: $(grep -c "^$tp:" "$T/at.log") lines of $tp, region $(fact "$T/at.out" region), out: $(show "$T/at.out"), record: $(show "$T/at.err")]"
check attach-sigterm "armed, exit 0, 16 faults, complete, no instance" \
	"$armed, exit $rc, $n faults$why, $(grep -q truncated "$T/at.rep.err" && echo truncated || echo complete), $(gone "$rp" && echo "no instance" || echo "instance left")"
attach ak
kill -KILL "$rp"; wait "$rp" 2>/dev/null
kill -TERM "$tp"; wait "$tp" 2>/dev/null
"$MEMMON" report --log "$T/ak.dat.$rp.part" >"$T/ak.log" 2>"$T/ak.rep.err"
check attach-sigkill-part "armed, 16 faults, truncated, no ak.dat" \
	"$armed, $(in_region "$T/ak.log" "$tp" "$(fact "$T/ak.out" region)" 16) faults, $(grep -q 'trace truncated' "$T/ak.rep.err" && echo truncated || echo complete), $( [ -e "$T/ak.dat" ] && echo "ak.dat exists" || echo "no ak.dat")"
"$MEMMON" record -q -o "$T/n.dat" -- true
check attach-sigkill-next-cleans "no instance of $rp" "$(gone "$rp" && echo "no instance of $rp" || echo "memmon-$rp left")"
