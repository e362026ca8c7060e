#!/usr/bin/env bash
# Checks the region views on real recordings: --check-maps agrees with every END /proc/PID/maps snapshot (regions-ops: munmap hole, mprotect middle, mremap grow and move, fork child munmap; ls, sh pipe, python3), exact --regions --json rows of regions-ops, --maps-at between operations, a fault outside every region, --sort orders and --csv.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="rg-record-status rg-program rg-check-maps-text rg-check-maps-procs
rg-A rg-A1 rg-A2 rg-A-rows rg-B rg-B1 rg-B2 rg-B3 rg-B-rows rg-reserve rg-C rg-D-old rg-D rg-R rg-R-left
rg-F rg-child-F rg-child-file-name rg-child-parent rg-faults-attributed rg-unknown rg-unknown-text
rg-maps-at-before-hole rg-maps-at-before-mprotect rg-maps-at-after-mprotect rg-maps-at-end
rg-sort-addr rg-sort-size rg-sort-faults rg-csv-header rg-csv-rows rg-csv-A1
rg-check-ls rg-check-sh rg-check-sh-procs rg-check-python"
need_root_tracefs $TESTS
mm_tmp
PG=4096

record "$T/r" "$(prog regions-ops)" "$T/file"
check rg-record-status "0 0" "$rec_rc $rep_rc"
pid=$(fact "$T/r.out" pid)
child=$(fact "$T/r.out" child "^pid=")
if [ -z "$pid" ] || [ -z "$child" ] || [ "$(fact "$T/r.out" status "^pid=") $(fact "$T/r.out" segv)" != "3 2" ]; then
	fail rg-program "expected pid=... child=... status=3 segv=2, got '$(show "$T/r.out" 8)' (record stderr: $(show "$T/r.err"))"
	exit 1
fi
ok rg-program
# rng NAME: "START END" of a range the program printed
rng() { fact "$T/r.out" "$1" | tr '-' ' '; }

# ---- --check-maps: the rebuilt map of every process at its exit is its END /proc/PID/maps
# check_maps NAME BASE PIDS...: text is the one line "maps check: N regions, 0
# differ" (N > 0); the JSON has exactly the processes PIDS (or any set when
# none given), each checked, each with regions and no diffs
check_maps() {
	local name=$1 base=$2; shift 2
	local txt js
	txt=$("$MEMMON" report --check-maps "$base.dat" 2>&1)
	js=$("$MEMMON" report --check-maps --json "$base.dat" 2>>"$T/json.err" | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    print("invalid-json"); sys.exit(0)
procs = d["processes"]
bad = ["%d:%s,%d regions,%d diffs%s" % (p["pid"], "checked" if p["checked"] else "unchecked",
       p["regions"], len(p["diffs"]), "".join(" [%s %s-%s want %r got %r]" % (x["kind"], x["start"],
       x["end"], x["want"], x["got"]) for x in p["diffs"][:3]))
       for p in procs if not p["checked"] or not p["regions"] or p["diffs"]]
print("procs=" + ",".join(sorted(str(p["pid"]) for p in procs)),
      "total=%d" % sum(p["regions"] for p in procs), "regions=%d differ=%d" % (d["regions"], d["differ"]),
      "bad=" + (";".join(bad) or "none"))')
	local want_procs
	want_procs=$(printf '%s\n' "$@" | sort | paste -sd,)
	local got_procs=${js%% *}
	[ $# -eq 0 ] && want_procs=${got_procs#procs=}
	local n=${js#*total=}; n=${n%% *}
	check "$name" "text 'maps check: $n regions, 0 differ' / procs=$want_procs total=$n regions=$n differ=0 bad=none" \
		"text '$(echo "$txt" | tr '\n' '|' | sed 's/|$//')' / $js"
}
check_maps rg-check-maps-text "$T/r" "$pid" "$child"
# each process checked region by region: the per-process line of the JSON
"$MEMMON" report --check-maps --json "$T/r.dat" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join("%d:%s:%d" % (p["pid"], p["checked"], len(p["diffs"])) for p in sorted(d["processes"], key=lambda p: p["pid"])))' >"$T/cm"
check rg-check-maps-procs "$(printf '%s\n' "$pid:True:0" "$child:True:0" | sort -t: -n | paste -sd' ')" "$(cat "$T/cm")"

# ---- --regions --json: the rows of the regions the program made
"$MEMMON" report --regions --json "$T/r.dat" >"$T/reg.json" 2>"$T/reg.err"
# row PID START END: every row with exactly this range (but one that ended
# before the range's last mmap), as
# "SIZE PERMS BACKING created=HOW/BYPID ended=HOW faults=N CLASS.ACC=N... touched=N resident=N"
# (rows joined by " | "; "none" when there is none)
row() {
	python3 - "$T/reg.json" "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
pid, start, end = int(sys.argv[2]), sys.argv[3], sys.argv[4]
out = []
for p in d["processes"]:
    if p["pid"] != pid:
        continue
    same = [r for r in p["regions"] if r["start"] == start and r["end"] == end]
    # a mapping of the same range that ended before the last one was
    # made is not the program's (ld.so mapped and unmapped a file there)
    made = [r["created"]["time"] for r in same if r["created"]["how"] == "mmap"]
    for r in same:
        if made and r["ended"]["how"] != "none" and r["ended"].get("time") is not None \
           and r["ended"]["time"] < max(made):
            continue
        f = r["faults"]
        cls = " ".join("%s.%s=%d" % (c, a, f[c][a]) for c in ("anon", "file", "swap", "cow", "other")
                       for a in "rwx" if f[c][a])
        out.append("%d %s %s created=%s/%s ended=%s faults=%d%s touched=%d resident=%d" % (
            r["size"], r["perms"], r["backing"], r["created"]["how"], r["created"]["pid"],
            r["ended"]["how"], f["total"], " " + cls if cls else "", r["pages_touched"],
            r["pages_resident"]))
print(" | ".join(out) or "none")
EOF
}
# origin PID START END: the id of the row the program's own mmap made
# with exactly this range (its pieces carry it as origin_id); the last one
# made, since ld.so may have mapped and unmapped a file of the same size
# at the same place first (ld.so.cache: 12 pages on some machines)
origin() {
	python3 - "$T/reg.json" "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
pid, start, end = int(sys.argv[2]), sys.argv[3], sys.argv[4]
rs = [r for p in d["processes"] if p["pid"] == pid for r in p["regions"]
      if r["start"] == start and r["end"] == end and r["created"]["how"] == "mmap"]
print(max(rs, key=lambda r: r["created"]["time"])["id"] if rs else "none")
EOF
}
# lineage PID ORIGIN-ID: the ranges of every row of that mapping's lineage
# (it and the pieces split from it), in address order: rows of other
# mappings that landed in its holes are not its rows
lineage() {
	python3 - "$T/reg.json" "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
pid, origin = int(sys.argv[2]), int(sys.argv[3])
rows = [r for p in d["processes"] if p["pid"] == pid for r in p["regions"] if r["origin_id"] == origin]
print(" ".join("%s-%s" % (r["start"], r["end"]) for r in
               sorted(rows, key=lambda r: (int(r["start"], 16), -int(r["end"], 16)))))
EOF
}
# expect NAME RANGE-NAME "ROW"
expect() {
	local r; r=($(rng "$2"))
	check "$1" "$2 $3" "$2 $(row "$pid" "${r[0]}" "${r[1]}")"
}
expect rg-A A "$((16 * PG)) rw-p anon created=mmap/$pid ended=munmap faults=10 anon.w=10 touched=10 resident=10"
expect rg-A1 A1 "$((6 * PG)) rw-p anon created=munmap/$pid ended=exit faults=1 anon.w=1 touched=1 resident=5"
expect rg-A2 A2 "$((6 * PG)) rw-p anon created=munmap/$pid ended=exit faults=6 anon.w=6 touched=6 resident=6"
A=($(rng A)); A1=($(rng A1)); A2=($(rng A2))
A_id=$(origin "$pid" "${A[0]}" "${A[1]}")
check rg-A-rows "${A[0]}-${A[1]} ${A1[0]}-${A1[1]} ${A2[0]}-${A2[1]}" "$(lineage "$pid" "$A_id")"
expect rg-B B "$((12 * PG)) rw-p anon created=mmap/$pid ended=mprotect faults=6 anon.w=6 touched=6 resident=6"
expect rg-B1 B1 "$((4 * PG)) rw-p anon created=mprotect/$pid ended=exit faults=0 touched=0 resident=4"
# B2: pages 4, 5 were written before the mprotect; 6, 7 are only read, and
# a read of never-written anonymous memory maps the shared zero page, which
# no RSS counts (the fault's rss_stat says so): 2 resident, not 4
expect rg-B2 B2 "$((4 * PG)) r--p anon created=mprotect/$pid ended=exit faults=2 anon.r=2 touched=2 resident=2"
expect rg-B3 B3 "$((4 * PG)) rw-p anon created=mprotect/$pid ended=exit faults=1 anon.w=1 touched=1 resident=1"
B=($(rng B)); B1=($(rng B1)); B2=($(rng B2)); B3=($(rng B3))
B_id=$(origin "$pid" "${B[0]}" "${B[1]}")
check rg-B-rows "${B[0]}-${B[1]} ${B1[0]}-${B1[1]} ${B2[0]}-${B2[1]} ${B3[0]}-${B3[1]}" "$(lineage "$pid" "$B_id")"
C=($(rng C)); CG=($(rng C_grown))
# the 32-page PROT_NONE reservation C was carved from (C's start, 32 pages)
check rg-reserve "reserve $((32 * PG)) ---p anon created=mmap/$pid ended=munmap faults=0 touched=0 resident=0" \
	"reserve $(row "$pid" "${C[0]}" "$(d2h $(( $(h2d "${C[0]}") + 32 * PG )))")"
# grown in place by mremap: one region, the mmap's, 16 pages
expect rg-C C_grown "$((16 * PG)) rw-p anon created=mmap/$pid ended=exit faults=16 anon.w=16 touched=16 resident=16"
expect rg-D-old D_old "$((4 * PG)) rw-p anon created=mmap/$pid ended=mremap faults=4 anon.w=4 touched=4 resident=4"
# moved onto R: its 4 resident pages moved with it, 2 new ones touched there
expect rg-D D "$((6 * PG)) rw-p anon created=mremap/$pid ended=exit faults=2 anon.w=2 touched=2 resident=6"
expect rg-R R "$((8 * PG)) ---p anon created=mmap/$pid ended=mremap faults=0 touched=0 resident=0"
expect rg-R-left R_left "$((2 * PG)) ---p anon created=mremap/$pid ended=exit faults=0 touched=0 resident=0"
expect rg-F F "$((8 * PG)) rw-s file created=mmap/$pid ended=exit faults=4 file.w=4 touched=4 resident=4"
F=($(rng F))
# fork copies no page of a shared mapping (the child would fault them in
# again): the child's F has none resident, as its munmap's unchanged
# counters say
check rg-child-F "F $((8 * PG)) rw-s file created=fork/$pid ended=munmap faults=0 touched=0 resident=0" \
	"F $(row "$child" "${F[0]}" "${F[1]}")"
# names: the file's path in the parent and in the child (its copy from the fork)
names=$(python3 - "$T/reg.json" "${F[0]}" "${F[1]}" "$pid" "$child" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
by = {p["pid"]: p for p in d["processes"]}
for pid in sys.argv[4:]:
    print(pid, ",".join(r["name"] for r in by[int(pid)]["regions"]
                        if r["start"] == sys.argv[2] and r["end"] == sys.argv[3]) or "none")
EOF
)
check rg-child-file-name "$pid $T/file;$child $T/file" "$(echo "$names" | paste -sd";")"
check rg-child-parent "$child parent=$pid" "$child parent=$(python3 -c '
import json, sys
for p in json.load(open(sys.argv[1]))["processes"]:
    if p["pid"] == int(sys.argv[2]): print(p["parent"])' "$T/reg.json" "$child")"

# every fault of each process is in one region or in its unknown_region
for p in "$pid" "$child"; do
	printf '%s %s\n' "$p" "$(faults "$T/r.rep" "$p" | wc -l)"
done >"$T/flog"
python3 -c '
import json, sys
for p in json.load(open(sys.argv[1]))["processes"]:
    print(p["pid"], sum(r["faults"]["total"] for r in p["regions"]) + p["unknown_region"]["faults"]["total"])' \
	"$T/reg.json" | sort -n >"$T/fjson"
check rg-faults-attributed "$(sort -n "$T/flog" | paste -sd' ')" "$(paste -sd' ' "$T/fjson")"

# faults outside every region: the two reads in the hole (SIGSEGV, caught),
# the second one lower, are the only ones (the held child's life before its
# exec is not the target's), and the log shows each as the access that
# raised SIGSEGV; the text row's range is the lowest to the highest address
out=$(fact "$T/r.out" outside)
low=$(fact "$T/r.out" outside_low)
n_out=$(grep -cE "^$pid: SIGSEGV @($out|$low) \(R\) at [0-9a-f]+ \(SEGV_MAPERR\)( in [^ ]+( \[[^]]*\])?)?$" "$T/r.rep")
got=$(python3 -c '
import json, sys
for p in json.load(open(sys.argv[1]))["processes"]:
    if p["pid"] == int(sys.argv[2]):
        u = p["unknown_region"]
        print("total=%d %s=%d first=%s last=%s lowest=%s highest=%s" % (u["faults"]["total"], sys.argv[3],
              u["faults"]["anon"]["r"] + u["faults"]["file"]["r"] + u["faults"]["swap"]["r"] +
              u["faults"]["cow"]["r"] + u["faults"]["other"]["r"], u["first_addr"], u["last_addr"],
              u["lowest_addr"], u["highest_addr"]))' \
	"$T/reg.json" "$pid" R)
check rg-unknown "log SIGSEGV R at $out and $low: 2, total=2 R=2 first=$out last=$low lowest=$low highest=$out" "log SIGSEGV R at $out and $low: $n_out, $got"
"$MEMMON" report --regions --pid "$pid" "$T/r.dat" >"$T/reg.txt" 2>&1
check rg-unknown-text "1 row $low-$out, 2 outside every region" \
	"$(grep -c -- "^ *$low-$out .*(unknown region: faults outside every known region)$" "$T/reg.txt") row $(awk '/\(unknown region: / { print $1 }' "$T/reg.txt"), $(sed -n 's/^# [0-9]* regions (.*), [0-9]* faults, \([0-9]*\) outside every region.*/\1/p' "$T/reg.txt") outside every region"

# ---- --maps-at: the map between two operations (times from the log's -t;
# the program sleeps 20 ms between phases, so +-10 ms is between them)
"$MEMMON" report --log -t "$T/r.dat" >"$T/r.trep" 2>/dev/null
t_of() { grep -F -m1 -- " $1" "$T/r.trep" | cut -d' ' -f1; }
t_hole=$(t_of "$pid: munmap($(rng hole | cut -d' ' -f1), $((4 * PG))) = 0")
t_mprot=$(t_of "$pid: mprotect(${B2[0]}, $((4 * PG)), r--) = 0")
# maps_at TIME ORIGIN-ID: the --maps-at --json rows of $pid of the lineage
# of the program's mapping ORIGIN-ID alive at TIME, in address order:
# "START-END KBYTES RSS DIRTY PERMS" joined by " | "; "none" when that
# mapping did not exist (yet, or any more)
maps_at() {
	"$MEMMON" report --maps-at "$1" --json --pid "$pid" "$T/r.dat" 2>>"$T/json.err" | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    print("invalid-json"); sys.exit(0)
rows = [r for p in d["processes"] for r in p["regions"] if r["origin_id"] == int(sys.argv[1])]
print(" | ".join("%s-%s %d %d %d %s" % (r["start"], r["end"], r["kbytes"], r["rss_kb"], r["dirty_kb"],
                                        r["perms"]) for r in rows) or "none")' "$2"
}
C_id=$(origin "$pid" "${CG[0]}" "${CG[1]}")
if [ -z "$t_hole" ] || [ -z "$t_mprot" ]; then
	skip_all "no munmap/mprotect line in the log (hole '$t_hole', mprotect '$t_mprot')" \
		rg-maps-at-before-hole rg-maps-at-before-mprotect rg-maps-at-after-mprotect
else
	t1=$(awk -v t="$t_hole" 'BEGIN { printf "%.6f", t - 0.010 }')
	check rg-maps-at-before-hole "at $t1: ${A[0]}-${A[1]} 64 40 40 rw-p / B: none" \
		"at $t1: $(maps_at "$t1" "$A_id") / B: $(maps_at "$t1" "$B_id")"
	t2=$(awk -v t="$t_mprot" 'BEGIN { printf "%.6f", t - 0.010 }')
	check rg-maps-at-before-mprotect "at $t2: ${A1[0]}-${A1[1]} 24 24 24 rw-p | ${A2[0]}-${A2[1]} 24 24 24 rw-p / ${B[0]}-${B[1]} 48 24 24 rw-p" \
		"at $t2: $(maps_at "$t2" "$A_id") / $(maps_at "$t2" "$B_id")"
	t3=$(awk -v t="$t_mprot" 'BEGIN { printf "%.6f", t + 0.010 }')
	check rg-maps-at-after-mprotect "at $t3: ${B1[0]}-${B1[1]} 16 16 16 rw-p | ${B2[0]}-${B2[1]} 16 8 8 r--p | ${B3[0]}-${B3[1]} 16 4 4 rw-p / C: none" \
		"at $t3: $(maps_at "$t3" "$B_id") / C: $(maps_at "$t3" "$C_id")"
fi
# at the end the rows are the kernel's (the END smaps; a row may hold a
# neighbour the kernel merged with A1 or A2), and on each the model's
# estimate is the kernel's count (A1 lost 2 pages to DONTNEED, got one back)
check rg-maps-at-end "end: smaps rows over A, model = kernel on each" "end: $(
	"$MEMMON" report --maps-at end --json --pid "$pid" "$T/r.dat" 2>>"$T/json.err" | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    print("invalid-json"); sys.exit(0)
lo, hi = int(sys.argv[1], 16), int(sys.argv[2], 16)
ps = [p for p in d["processes"] if p["pid"] == int(sys.argv[3])]
rows = [r for p in ps for r in p["regions"] if int(r["start"], 16) < hi and int(r["end"], 16) > lo]
bad = ["%s-%s kernel %d model %d" % (r["start"], r["end"], r["rss_kb"], r["model_rss_kb"])
       for r in rows if r["rss_kb"] != r["model_rss_kb"]]
src = ",".join(sorted(set(p["source"] for p in ps)))
print("%s rows over A, %s" % (src, "; ".join(bad) if bad else "model = kernel on each") if rows else "no rows")' \
	"${A[0]}" "${A[1]}" "$pid")"

# ---- --sort: addr (default), size, faults; ties as documented (then address,
# then creation time, then id)
# order SORT-ARGS...: "ok" when the rows of $pid are in the expected order, else what differs
order() {
	local key=$1; shift
	"$MEMMON" report --regions --json --pid "$pid" "$@" "$T/r.dat" 2>>"$T/json.err" | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    print("invalid-json"); sys.exit(0)
rows = d["processes"][0]["regions"]
addr = lambda r: (int(r["start"], 16), r["created"]["time"], r["id"])
key = {"addr": addr,
       "size": lambda r: (-r["size"],) + addr(r),
       "faults": lambda r: (-r["faults"]["total"], -r["size"]) + addr(r)}[sys.argv[1]]
want = sorted(rows, key=key)
if len(rows) < 10:
    print("only %d rows" % len(rows))
elif [r["id"] for r in rows] == [r["id"] for r in want]:
    print("ok %d rows" % len(rows))
else:
    print("ids " + " ".join(str(r["id"]) for r in rows[:8]) + " want " + " ".join(str(r["id"]) for r in want[:8]))' "$key"
}
nrows=$(python3 -c '
import json, sys
for p in json.load(open(sys.argv[1]))["processes"]:
    if p["pid"] == int(sys.argv[2]): print(len(p["regions"]))' "$T/reg.json" "$pid")
check rg-sort-addr "ok $nrows rows" "$(order addr)"
check rg-sort-size "ok $nrows rows" "$(order size --sort size)"
check rg-sort-faults "ok $nrows rows" "$(order faults --sort faults)"

# ---- --csv: a header and one row per region (all processes)
"$MEMMON" report --regions --csv "$T/r.dat" >"$T/reg.csv" 2>>"$T/csv.err"
hdr="pid,id,parent_id,origin_id,start,end,size,perms,backing,name,offset,fd,created_how,created_time,ended_how,ended_time,faults"
for c in anon file swap cow other unknown; do for a in r w x; do hdr+=",${c}_$a"; done; done
hdr+=",pages_mapped,pages_touched,pages_resident,pattern,kernel_faults,segment,created_by,lost_events"
check rg-csv-header "$hdr" "$(head -1 "$T/reg.csv")"
nall=$(python3 -c 'import json, sys; print(sum(len(p["regions"]) for p in json.load(open(sys.argv[1]))["processes"]))' "$T/reg.json")
check rg-csv-rows "$nall rows of 43 fields" "$(python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))[1:]
print("%d rows of %s fields" % (len(rows), ",".join(sorted(set(str(len(r)) for r in rows)))))' "$T/reg.csv")"
check rg-csv-A1 "$pid,${A1[0]},${A1[1]},$((6 * PG)),rw-p,anon,munmap,exit,1,1,1,5" \
	"$(python3 -c '
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["pid"] == sys.argv[2] and r["start"] == sys.argv[3] and r["end"] == sys.argv[4]:
        print(",".join(r[k] for k in ("pid", "start", "end", "size", "perms", "backing", "created_how",
                                       "ended_how", "faults", "anon_w", "pages_touched", "pages_resident")))' \
	"$T/reg.csv" "$pid" "${A1[0]}" "${A1[1]}")"

# ---- --check-maps on everyday programs
record "$T/ls" ls -la /usr/lib
check_maps rg-check-ls "$T/ls"
record "$T/sh" sh -c 'echo hi | cat'
check_maps rg-check-sh "$T/sh"
# sh, the subshell of echo, cat: three processes, each checked
check rg-check-sh-procs "3 checked" "$("$MEMMON" report --check-maps --json "$T/sh.dat" 2>>"$T/json.err" | python3 -c '
import json, sys
print("%d checked" % sum(p["checked"] for p in json.load(sys.stdin)["processes"]))' 2>&1 | tail -1)"
record "$T/py" python3 -c pass
check_maps rg-check-python "$T/py"
exit $mm_failed
