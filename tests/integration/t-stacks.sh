#!/usr/bin/env bash
# Checks record's choice of the memory calls' user stacks by the program's frame pointers: a program built without them (and a stripped copy, judged by its unwind table; a script whose interpreter is that copy, directly or through env; a process attached with -p) gets no stacks by default, and the trace says why in memmon info, the report's summary (text and JSON) and --sites, naming the file judged; --stacks takes one for every memory call (and wins over an earlier --no-stacks); a program that keeps them (names-prog, and its stripped copy; a program of one function, map-calls-fp, whose C runtime functions keep none, and its stripped copy; fp-leaves, whose many leaf functions gcc builds without a frame) gets one for every memory call by default.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="nofp-default nofp-info nofp-summary nofp-json nofp-sites nofp-forced nofp-last-wins
fp-default fp-stripped fp-small fp-small-stripped fp-leaves nofp-stripped nofp-script nofp-env-script nofp-attach"
need_root_tracefs $TESTS
mm_tmp

# calls_stacks DAT: the memory calls of the trace (--sites' JSON: every
# call counted once, in its site), "some" or "no", and how many had a
# stack: "every one", or "S of C"
calls_stacks() {
	"$MEMMON" report --sites --json "$1" | jq -r '([.map_sites[].calls] | add // 0) as $c |
		.stacks.with_stack as $s | "\(if $c > 0 then "some" else "no" end) calls, " +
		(if $s == $c then "every one with a stack" else "\($s) of \($c) with a stack" end)'
}
# why DAT: the reason memmon info gives for a trace without stacks
why() { "$MEMMON" info "$1" | sed -n 's/^stacks: .*(off: \(.*\))$/\1/p'; }
reason() { echo "$1 keeps no frame pointers, so a stack would stop at the call; record --stacks takes them anyway"; }

head -c 65536 /dev/zero >"$T/file"
cp "$(prog map-calls)" "$T/nofp"
"$MEMMON" record -q -o "$T/n.dat" -- "$T/nofp" "$T/file" >/dev/null 2>"$T/n.err"
check nofp-default "some calls, 0 of them with a stack" "$(calls_stacks "$T/n.dat" | sed 's/ 0 of [0-9]* / 0 of them /')"
check nofp-info "$(reason "$T/nofp")" "$(why "$T/n.dat")"
check nofp-summary "stacks: none: $(reason "$T/nofp")" "$("$MEMMON" report "$T/n.dat" | grep '^stacks: ')"
check nofp-json "0 $(reason "$T/nofp")" "$("$MEMMON" report --log --json "$T/n.dat" | jq -r '"\(.summary.stacks.with_stack) \(.summary.stacks.off)"')"
check nofp-sites "0 with a stack (recorded without stacks: $(reason "$T/nofp"))" \
	"$("$MEMMON" report --sites "$T/n.dat" | sed -n 's/^# code that mapped memory.* calls, //p')"

# --stacks: one for every memory call, whatever the program keeps
"$MEMMON" record -q --stacks -o "$T/f.dat" -- "$T/nofp" "$T/file" >/dev/null 2>&1
check nofp-forced "some calls, every one with a stack, none off" \
	"$(calls_stacks "$T/f.dat"), $(why "$T/f.dat" | grep -q . && echo off || echo none off)"
"$MEMMON" record -q --no-stacks --stacks -o "$T/l.dat" -- "$T/nofp" "$T/file" >/dev/null 2>&1
check nofp-last-wins "some calls, every one with a stack" "$(calls_stacks "$T/l.dat")"

# a program that keeps frame pointers: every memory call has its stack
mkdir -p "$T/w"
cp "$(prog names-prog)" "$T/fp"
"$MEMMON" record -q -o "$T/p.dat" -- "$T/fp" "$T/w" "$(prog libnames.so)" >/dev/null 2>&1
check fp-default "some calls, every one with a stack, none off" \
	"$(calls_stacks "$T/p.dat"), $(why "$T/p.dat" | grep -q . && echo off || echo none off)"

# a program of one function of its own that keeps frame pointers: the C
# runtime's functions beside it (_start, frame_dummy, ...), the PLT's and
# the entry point's keep none and are not counted, stripped or not
cp "$(prog map-calls-fp)" "$T/fp-small"
strip -o "$T/fp-small-stripped" "$T/fp-small"
"$MEMMON" record -q -o "$T/sm.dat" -- "$T/fp-small" "$T/file" >/dev/null 2>&1
check fp-small "some calls, every one with a stack, none off" \
	"$(calls_stacks "$T/sm.dat"), $(why "$T/sm.dat" | grep -q . && echo off || echo none off)"
"$MEMMON" record -q -o "$T/sms.dat" -- "$T/fp-small-stripped" "$T/file" >/dev/null 2>&1
check fp-small-stripped "some calls, every one with a stack, none off" \
	"$(calls_stacks "$T/sms.dat"), $(why "$T/sms.dat" | grep -q . && echo off || echo none off)"

# a program that keeps them whose functions are mostly leaves, which gcc
# builds without a frame all the same: a leaf is never a caller, and says
# nothing of the program's frame pointers
"$MEMMON" record -q -o "$T/lv.dat" -- "$(prog fp-leaves)" >/dev/null 2>&1
check fp-leaves "some calls, every one with a stack, none off" \
	"$(calls_stacks "$T/lv.dat"), $(why "$T/lv.dat" | grep -q . && echo off || echo none off)"

# stripped copies: no symbols to judge by, so the unwind table's functions
strip -o "$T/fp-stripped" "$T/fp"
strip -o "$T/nofp-stripped" "$T/nofp"
rm -rf "$T/w"; mkdir -p "$T/w"
"$MEMMON" record -q -o "$T/ps.dat" -- "$T/fp-stripped" "$T/w" "$(prog libnames.so)" >/dev/null 2>&1
check fp-stripped "some calls, every one with a stack" "$(calls_stacks "$T/ps.dat")"
"$MEMMON" record -q -o "$T/ns.dat" -- "$T/nofp-stripped" "$T/file" >/dev/null 2>&1
check nofp-stripped "some calls, 0 of them with a stack: $(reason "$T/nofp-stripped")" \
	"$(calls_stacks "$T/ns.dat" | sed 's/ 0 of [0-9]* / 0 of them /'): $(why "$T/ns.dat")"

# a script: the code that runs is its interpreter's (here the stripped
# copy, which maps the script as its FILE)
printf '#!%s\n%65536s\n' "$T/nofp-stripped" "" >"$T/script"
chmod +x "$T/script"
"$MEMMON" record -q -o "$T/s.dat" -- "$T/script" >/dev/null 2>&1
check nofp-script "$(reason "$T/nofp-stripped")" "$(why "$T/s.dat")"
# ... and through env, the program env finds in $PATH
printf '#!/usr/bin/env nofp-stripped\n%65536s\n' "" >"$T/env-script"
chmod +x "$T/env-script"
PATH="$T:$PATH" "$MEMMON" record -q -o "$T/e.dat" -- "$T/env-script" >/dev/null 2>&1
check nofp-env-script "$(reason "$T/nofp-stripped")" "$(why "$T/e.dat")"

# -p: the attached process's program, by its path
cp "$(prog attach-target)" "$T/target"
"$T/target" 4 >"$T/t.out" 2>&1 &
tpid=$!
mm_on_exit "kill $tpid 2>/dev/null"
for _ in $(seq 100); do grep -q '^pid=' "$T/t.out" && break; sleep 0.05; done
"$MEMMON" record -q -o "$T/a.dat" -p "$tpid" --duration 0.3 2>"$T/a.err"
rc=$?
check nofp-attach "exit 0, $(reason "$T/target")" "exit $rc, $(why "$T/a.dat")"
kill "$tpid" 2>/dev/null; wait "$tpid" 2>/dev/null
exit 0
