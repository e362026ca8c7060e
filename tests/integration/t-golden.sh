#!/usr/bin/env bash
# Checks that the report of a stored recording (tests/data/golden/small.dat, anon-touch 4) is byte-for-byte tests/data/golden/small.out, read as an unprivileged user, and that memmon info counts the same events as its summary.
set -u
. "$(dirname "$0")/lib.sh"
G=$MEMMON_TOP/tests/data/golden
mm_tmp
if [ ! -f "$G/small.dat" ] || [ ! -f "$G/small.out" ]; then
	fail golden-report "expected $G/small.dat and small.out, got none"; exit 0
fi
cp "$G/small.dat" "$T/small.dat"; chmod 644 "$T/small.dat"
cd "$T" || exit 1
# The report needs no privilege: run it as nobody when we are root.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	who=nobody
else
	as_user() { "$@"; }
	who=$(id -un)
fi
as_user "$MEMMON" report --log small.dat >"$T/out" 2>"$T/err"
rc=$?
if [ $rc = 0 ] && cmp -s "$G/small.out" "$T/out"; then
	ok golden-report
else
	fail golden-report "expected exit 0 and tests/data/golden/small.out as $who, got exit $rc, $(diff "$G/small.out" "$T/out" | grep -c '^[<>]') differing lines: $(diff "$G/small.out" "$T/out" | grep '^[<>]' | head -4 | paste -sd'|') $(show "$T/err" 2)"
fi
check golden-stderr "no stderr" "$( [ -s "$T/err" ] && echo "stderr: $(show "$T/err" 2)" || echo "no stderr")"

# the default page (overview, top regions, findings, summary) of the same file
as_user "$MEMMON" report small.dat >"$T/page" 2>"$T/perr"
rc=$?
if [ $rc = 0 ] && cmp -s "$G/small.page" "$T/page"; then
	ok golden-page
else
	fail golden-page "expected exit 0 and tests/data/golden/small.page, got exit $rc: $(diff "$G/small.page" "$T/page" | grep '^[<>]' | head -4 | paste -sd'|') $(show "$T/perr" 2)"
fi
# and every JSON view of it parses as one document
for v in "" --log --regions --maps-at=end --malloc-patterns --timeline --context "--regions --timeline"; do
	if as_user "$MEMMON" report $v --json small.dat 2>"$T/jerr" | python3 -m json.tool >/dev/null 2>&1; then
		ok "golden-json${v// /}"
	else
		fail "golden-json${v// /}" "expected one JSON document from 'report $v --json', got: $(show "$T/jerr" 2)"
	fi
done

# the recording is anon-touch 4: its four faults are in the stored log
n=$(grep -cE '^[0-9]+: anon page @[0-9a-f]+ \(W\)( in [^ ]+( \[[^]]*\])?)?$' "$G/small.out")
check golden-content "at least 4 anon W fault lines and 'munmap(R, 16384) = 0'" \
	"$( [ "$n" -ge 4 ] && echo "at least 4" || echo "$n") anon W fault lines and '$(grep -oE 'munmap\([0-9a-f]+, 16384\) = 0' "$G/small.out" | sed -E 's/\([0-9a-f]+,/(R,/' | head -1)'"

# memmon info: what it counts per tracepoint agrees with the summary's
# categories (a syscall is one summary event, its sys_enter record; the
# events of record's child before its exec are the "left out" ones; the
# rename an exec does is part of its exec line), and its total is the
# summary's count of trace records
eval "$(summary "$G/small.out")"
n_exec=$(grep -cE '^[0-9]+: exec ' "$G/small.out")
as_user "$MEMMON" info small.dat >"$T/info" 2>&1
rc=$?
itotal=$(sed -n 's/^events: *\([0-9]*\)$/\1/p' "$T/info")
per() { awk -v re="$1" '$1 ~ re && $2 ~ /^[0-9]+$/ { n += $2 } END { print n + 0 }' "$T/info"; }
# the I/O calls' entries and exits only name a kernel-mode fault's call:
# not syscall events of the summary
io='read|pread64|readv|preadv|preadv2|recvfrom|recvmsg|recvmmsg|getdents64|getrandom|process_vm_readv'
check golden-info-types \
	"exit 0, page_fault_user+kernel $((S_faults + H_faults)), rss_stat $((S_rss + H_rss)), filemap $((S_filemap + H_filemap)), sched+task+signal $((S_process + H_process + n_exec)), sys_enter $((S_syscalls + H_syscalls)), sum of types $itotal" \
	"exit $rc, page_fault_user+kernel $(per '^exceptions:page_fault_(user|kernel)$'), rss_stat $(per '^kmem:rss_stat$'), filemap $(per '^filemap:'), sched+task+signal $(per '^(sched|task|signal):'), sys_enter $(( $(per '^syscalls:sys_enter_') - $(per "^syscalls:sys_enter_($io)\$") )), sum of types $(per '^[a-z_0-9]+:[a-z_0-9]+$')"
records=$(sed -n 's/^trace records: \([0-9]*\)$/\1/p' "$G/small.out")
check golden-info-total "events ${records:-?}" "events ${itotal:-none}"

# the JSON log has one event per line of the text log, with the same text
n_text=$(grep -cE '^[0-9]+: ' "$G/small.out")
n_json=$(as_user "$MEMMON" report --log --json small.dat 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["events"]))')
same=$(as_user "$MEMMON" report --log --json small.dat 2>/dev/null | python3 -c 'import json,sys; print("\n".join(e["text"] for e in json.load(sys.stdin)["events"]))' | cmp -s - <(grep -E '^[0-9]+: ' "$G/small.out") && echo same || echo different)
check golden-json-log "$n_text events, same text" "$n_json events, $same text"

# the JSON log's summary is the text log's, number for number (rss and
# filemap events count whether printed or not), with and without --pid
for pf in "" "--pid $(grep -m1 -oE '^[0-9]+' "$G/small.out")"; do
	as_user "$MEMMON" report --log $pf small.dat 2>/dev/null | sed -n '/^# summary$/,$p' >"$T/sum.txt"
	as_user "$MEMMON" report --log --json $pf small.dat 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)["summary"]
c, a = s["faults_by_class"], s["faults_by_access"]
print("# summary")
print("events: %d (faults %d, syscalls %d, process %d, rss %d, filemap %d)" % (
    s["events"], s["faults"], s["syscalls"], s["process"], s["rss"], s["filemap"]))
print("faults: %d anon %d file %d swap %d cow %d other %d" % (
    s["faults"], c["anon"], c["file"], c["swap"], c["cow"], c["other"]))
print("faults by access: R %d W %d X %d" % (a["r"], a["w"], a["x"]))
print("lost events: %d" % s["lost_events"])
print("trace records: %d" % s["trace_records"])
print("missing events: %s" % (s["missing_events"] or "none"))
print("classifier: %s" % s["classifier"])' >"$T/sum.json" 2>&1
	check "golden-json-summary${pf:+-pid}" "the text summary's 7 lines" \
		"$(head -8 "$T/sum.txt" | cmp -s - "$T/sum.json" && echo "the text summary's 7 lines" || diff <(head -8 "$T/sum.txt") "$T/sum.json" | grep '^[<>]' | paste -sd'|')"
done

# asked for what the trace does not have: exit 1, a message that names
# what it has, and nothing on standard output (never an empty page)
gpid=$(grep -m1 -oE '^[0-9]+' "$G/small.out")
span=$(as_user "$MEMMON" report --log -t small.dat 2>/dev/null | grep -E '^[0-9]+\.[0-9]+ ' | tail -1 | cut -d' ' -f1)
for args in "--pid 999999" "--log --pid 999999" "--regions --pid 999999"; do
	as_user "$MEMMON" report $args small.dat >"$T/no.out" 2>"$T/no.err"; rc=$?
	check "golden-absent-pid${args// /}" "exit 1, no output: memmon report: --pid 999999: no process or task 999999 in 'small.dat' (its processes: $gpid (anon-touch))" \
		"exit $rc, $( [ -s "$T/no.out" ] && echo "output" || echo "no output"): $(head -1 "$T/no.err")"
done
as_user "$MEMMON" report --maps-at 99 small.dat >"$T/no.out" 2>"$T/no.err"; rc=$?
check golden-maps-at-after "exit 1, no output, the span named" \
	"exit $rc, $( [ -s "$T/no.out" ] && echo "output" || echo "no output"), $(grep -qE "^memmon report: --maps-at 99\.000000: after the end of 'small\.dat' \(it spans 0 to [0-9]+\.[0-9]+ s from its first event; 'end' is its last moment\)$" "$T/no.err" && echo "the span named" || echo "message: $(head -1 "$T/no.err")")"
as_user "$MEMMON" report --maps-at "$span" small.dat >"$T/yes.out" 2>&1; rc=$?
check golden-maps-at-last-event "exit 0 at the last event ($span)" "exit $rc at the last event ($span)"
exit 0
