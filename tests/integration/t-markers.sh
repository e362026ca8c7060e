#!/usr/bin/env bash
# Checks phase markers on phases (fsync/fdatasync calls, trace_marker writes of the main task, a thread and a fork child, one from an unwatched process): every marker line in time order, exact fault counts of each task between markers with --between (log, JSON log, --regions, --timeline), copy_trace_marker set in the instance, --markers=none, and --between's errors.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="mk-record-status mk-program mk-copy mk-order mk-outside mk-summary mk-json-markers
mk-between-one mk-between-two mk-between-three mk-between-text mk-between-pid mk-between-json
mk-regions mk-regions-json mk-timeline mk-none mk-none-env mk-err-order mk-err-missing mk-err-view
mk-err-syntax"
need_root_tracefs $TESTS
mm_tmp

# The program waits for $T/outside to go: a process outside the trace
# writes to the instance's trace_marker meanwhile (the kernel does not
# pid-filter those writes; report must leave it out).
(
	for _ in $(seq 5000); do
		if [ -s "$T/outside" ]; then
			echo "outside write" >"$(cat "$T/outside")"
			rm -f "$T/outside"
			exit 0
		fi
		sleep 0.001
	done
) &
writer=$!
record "$T/p" "$(prog phases)" "$T/outside"
wait $writer
check mk-record-status "0 0" "$rec_rc $rep_rc"
pid=$(fact "$T/p.out" pid); tid=$(fact "$T/p.out" tid); child=$(fact "$T/p.out" child)
A=$(fact "$T/p.out" a); alen=$(fact "$T/p.out" alen)
B=$(fact "$T/p.out" b); blen=$(fact "$T/p.out" blen)
if [ -z "$pid" ] || [ -z "$tid" ] || [ -z "$child" ] || [ -z "$A" ] ||
   [ "$(fact "$T/p.out" marker)" = none ]; then
	fail mk-program "expected pid= tid= child= a= marker=PATH, got '$(show "$T/p.out")' (record stderr: $(show "$T/p.err"))"
	exit 1
fi
ok mk-program
Aend=$(d2h $(( $(h2d "$A") + alen ))); Bend=$(d2h $(( $(h2d "$B") + blen )))
# the program read its instance's option while it ran (this kernel has it)
if [ "$(fact "$T/p.out" copy)" = - ]; then
	skip mk-copy "this kernel has no copy_trace_marker option"
else
	check mk-copy "1" "$(fact "$T/p.out" copy)"
fi

# every marker, in time order, each task's own
expect="$pid: fsync(101) = -EBADF
$pid: marker \"phase one\"
$pid: fdatasync(102) = -EBADF
$pid: marker \"phase two\"
$tid: marker \"thread phase\"
$child: marker \"child phase\"
$pid: fsync(103) = -EBADF
$pid: marker \"phase three\"
$pid: marker \"quote \\\" back\\\\ slash\\n\\x09\"
$pid: fsync(104) = -EBADF"
check mk-order "$(echo "$expect" | paste -sd'|')" \
	"$(grep -E '^[0-9]+: (marker |fsync\(|fdatasync\()' "$T/p.rep" | paste -sd'|')"
check mk-outside "0 in the log, markers of other processes: 1 (left out)" \
	"$(grep -c 'outside write' "$T/p.rep") in the log, $(grep '^markers of other' "$T/p.rep")"
eval "$(summary "$T/p.rep")"
check mk-summary "markers 6" "$(grep -o 'markers [0-9]*' "$T/p.rep" | head -1)"
"$MEMMON" report --log --json "$T/p.dat" >"$T/p.json" 2>"$T/p.json.err"
check mk-json-markers "ok" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
got = [e["marker"] for e in d["events"] if e["kind"] == "marker"]
want = ["phase one", "phase two", "thread phase", "child phase", "phase three", "quote \" back\\ slash\n\t"]
print("ok" if got == want and d["summary"]["markers"] == 6 else "%r, summary %s" % (got, d["summary"].get("markers")))' "$T/p.json")"

# between "phase one" (marker 2) and fdatasync(102) (3): the 3 pages of A,
# from the first line to the last
"$MEMMON" report --log --between 2,3 "$T/p.dat" >"$T/b1" 2>"$T/b1.err"
got="$(head -1 "$T/b1") .. $(sed '/^# summary$/,$d' "$T/b1" | tail -1)"
got+=" / $(faults "$T/b1" "$pid" "$A" "$Aend" | awk '$3 == "anon" && $5 == "W"' | wc -l) anon W in A, $(faults "$T/b1" | wc -l) faults"
check mk-between-one "$pid: marker \"phase one\" .. $pid: fdatasync(102) = -EBADF / 3 anon W in A, 3 faults" "$got"
# between "phase two" (4) and fsync(103) (7): the thread's 5 pages of A, the child's 7 of B
"$MEMMON" report --log --between 4,7 "$T/p.dat" >"$T/b2" 2>"$T/b2.err"
check mk-between-two "thread 5 in A, child 7 in B, main 0 in A" \
	"thread $(faults "$T/b2" "$tid" "$A" "$Aend" | awk '$3 == "anon" && $5 == "W"' | wc -l) in A, child $(faults "$T/b2" "$child" "$B" "$Bend" | awk '$3 == "anon" && $5 == "W"' | wc -l) in B, main $(faults "$T/b2" "$pid" "$A" "$Aend" | wc -l) in A"
# from "phase three" to the end: its 11 pages, the last marker lines
"$MEMMON" report --log --between 8,end "$T/p.dat" >"$T/b3" 2>"$T/b3.err"
check mk-between-three "11 anon W in A by $pid, 0 by others; first $pid: marker \"phase three\"" \
	"$(faults "$T/b3" "$pid" "$A" "$Aend" | awk '$3 == "anon" && $5 == "W"' | wc -l) anon W in A by $pid, $(faults "$T/b3" "" "$A" "$Aend" | awk -v p="$pid" '$2 != p' | wc -l) by others; first $(head -1 "$T/b3")"
# markers by text: the same window as 4,7
"$MEMMON" report --log --between 'phase two,fsync(103)' "$T/p.dat" >"$T/b4" 2>"$T/b4.err"
check mk-between-text "same as 4,7" "$(cmp -s "$T/b2" "$T/b4" && echo "same as 4,7" || echo "differs: $(show "$T/b4.err")")"
# --pid does not renumber: the child's own faults between 4 and 7
"$MEMMON" report --log --pid "$child" --between 4,7 "$T/p.dat" >"$T/b5" 2>"$T/b5.err"
check mk-between-pid "7 in B, $(faults "$T/b2" "$child" | wc -l) in all, other tasks 0" \
	"$(faults "$T/b5" "$child" "$B" "$Bend" | wc -l) in B, $(faults "$T/b5" "$child" | wc -l) in all, other tasks $(faults "$T/b5" | awk -v c="$child" '$2 != c' | wc -l)"
"$MEMMON" report --log --json --between 4,7 "$T/p.dat" >"$T/b2.json" 2>>"$T/b2.err"
check mk-between-json "$(sed '/^# summary$/,$d' "$T/b2" | grep -c -E '^[0-9]+: ') events, first phase two, last fsync(103)" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
ev = [e for e in d["events"] if e["kind"] != "lost"]
print("%d events, first %s, last %s" % (len(ev), ev[0].get("marker"), ev[-1]["text"].split(": ", 1)[1].split(" =")[0]))' "$T/b2.json")"

# --regions between 2 and 3: A took its 3 first touches there, B none
"$MEMMON" report --regions --between 2,3 --pid "$pid" "$T/p.dat" >"$T/r1" 2>"$T/r1.err"
check mk-regions "# between marker 2 \"phase one\"|A 3 3/0/0/0/0 0/3/0 3/64|B 0 0/0/0/0/0 0/0/0 0/16" \
	"$(head -1 "$T/r1" | sed 's/ (.*//')|A $(awk -v r="$A-$Aend" '$1 == r { print $7, $8, $9, $10 }' "$T/r1")|B $(awk -v r="$B-$Bend" '$1 == r { print $7, $8, $9, $10 }' "$T/r1")"
"$MEMMON" report --regions --json --between 4,7 "$T/p.dat" >"$T/r2.json" 2>"$T/r2.err"
check mk-regions-json "4 phase two 7 fsync(103); $pid A 5 w5 touched 5; $child B 7 touched 7" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); w = d["between"]
out = ["%d %s %d %s;" % (w["from"]["marker"], w["from"]["text"], w["to"]["marker"], w["to"]["text"])]
for p in d["processes"]:
    for r in p["regions"]:
        if (p["pid"], r["start"]) == (int(sys.argv[2]), sys.argv[3]):
            out.append("%d A %d w%d touched %d;" % (p["pid"], r["faults"]["total"], r["faults"]["anon"]["w"], r["pages_touched"]))
        if (p["pid"], r["start"]) == (int(sys.argv[4]), sys.argv[5]):
            out.append("%d B %d touched %d" % (p["pid"], r["faults"]["total"], r["pages_touched"]))
print(" ".join(out))' "$T/r2.json" "$pid" "$A" "$child" "$B")"

# --timeline at 10us: only intervals that overlap the window, the first
# holding marker 2, the last marker 3
"$MEMMON" report --log -t "$T/p.dat" >"$T/all.log" 2>/dev/null
t_from=$(grep -F "$pid: marker \"phase one\"" "$T/all.log" | cut -d' ' -f1)
t_to=$(grep -F "$pid: fdatasync(102)" "$T/all.log" | cut -d' ' -f1)
"$MEMMON" report --timeline=10us --json --between 2,3 --pid "$pid" "$T/p.dat" >"$T/tl.json" 2>"$T/tl.err"
check mk-timeline "rows within" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); f, t = float(sys.argv[2]), float(sys.argv[3])
iv = d["interval"]
rows = d["processes"][0]["rows"]
bad = [r["time"] for r in rows if r["time"] + iv <= f - 1e-6 or r["time"] > t + 1e-6]
ok = rows and rows[0]["time"] <= f + 1e-6 and rows[-1]["time"] + iv > t - 1e-6
print("rows within" if ok and not bad else "rows %s for %s..%s" % ([r["time"] for r in rows], f, t))' "$T/tl.json" "$t_from" "$t_to")"

# --markers=none: neither calls nor writes, and no marker path for CMD
REC_OPTS=--markers=none record "$T/n" "$(prog phases)"
check mk-none "0 0, 0 marker lines, 3 faults in A phase one" \
	"$rec_rc $rep_rc, $(grep -c -E '^[0-9]+: (marker |fsync\(|fdatasync\()' "$T/n.rep") marker lines, $(faults "$T/n.rep" "$(fact "$T/n.out" pid)" "$(fact "$T/n.out" a)" "$(d2h $(( $(h2d "$(fact "$T/n.out" a)") + alen )))" | head -3 | wc -l) faults in A phase one"
check mk-none-env "none" "$(fact "$T/n.out" marker)"

# errors: marker order, a marker the trace lacks, a view --between does not cut
"$MEMMON" report --log --between 7,4 "$T/p.dat" >/dev/null 2>"$T/e1"
check mk-err-order "129: --between 7,4: marker 4 comes before marker 7" "$?: $(head -1 "$T/e1" | sed 's/^memmon report: //')"
"$MEMMON" report --log --between 9,12 "$T/p.dat" >/dev/null 2>"$T/e2"
check mk-err-missing "1: --between: no marker 12 after marker 9 in the trace (it has 10 markers)" \
	"$?: $(head -1 "$T/e2" | sed 's/^memmon report: //')"
"$MEMMON" report --malloc-patterns --between 2,3 "$T/p.dat" >/dev/null 2>"$T/e3"
check mk-err-view "129: --between cuts --log, --regions and --timeline, not --malloc-patterns" \
	"$?: $(head -1 "$T/e3" | sed 's/^memmon report: //')"
"$MEMMON" report --log --between 2 "$T/p.dat" >/dev/null 2>"$T/e4"
check mk-err-syntax "129: --between 2: two markers, M,N (numbers like 1,2, texts, 'start' or 'end')" \
	"$?: $(head -1 "$T/e4" | sed 's/^memmon report: //')"
exit $mm_failed
