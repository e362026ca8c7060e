#!/usr/bin/env bash
# Checks --timeline=50ms on rg-steps (4 x 25 MiB of anon memory touched with 100 ms sleeps, then unmapped in two halves): VSZ and anon RSS step by exactly 25 MiB, peaks marked in the right intervals, faults per interval sum to the log's, the interval's highest VSZ includes the value before a munmap, --csv matches; at 10 us, no RSS before the program's exec (the counters there are record's held copy's).
set -u
. "$(dirname "$0")/lib.sh"
TESTS="tl-record-status tl-program tl-lost tl-interval tl-windows tl-vsz-steps tl-anon-steps tl-rss-steps
tl-peak-vsz tl-peak-rss tl-peak-faults tl-faults-sum tl-vsz-max-munmap tl-rss-max-munmap
tl-csv-header tl-csv-rows tl-text-peaks tl-before-exec"
need_root_tracefs $TESTS
mm_tmp

# 4 phases of 25 MiB (6400 pages), 100 ms sleeps: with 50 ms intervals each
# sleep holds one whole interval in which nothing happens
record "$T/s" "$(prog rg-steps)" 4 25 100
check tl-record-status "0 0" "$rec_rc $rep_rc"
pid=$(fact "$T/s.out" pid)
chunk=$(fact "$T/s.out" chunk)
if [ -z "$pid" ] || [ "$chunk" != $((25 << 20)) ] || [ -z "$(fact "$T/s.out" region3)" ]; then
	fail tl-program "expected pid=... chunk=$((25 << 20)) and region0..3, got '$(show "$T/s.out")' (record stderr: $(show "$T/s.err"))"
	exit 1
fi
ok tl-program
eval "$(summary "$T/s.rep")"
check tl-lost "0" "${S_lost:-?}"
step=$((chunk >> 10))     # KiB per phase: 25600

"$MEMMON" report --log -t "$T/s.dat" >"$T/s.trep" 2>/dev/null
"$MEMMON" report --timeline=50ms --json "$T/s.dat" >"$T/tl.json" 2>"$T/tl.err"
regions=$(for i in 0 1 2 3; do fact "$T/s.out" region$i; done | paste -sd,)

# One python pass over the -t log and the JSON; prints KEY=VALUE lines.
# Windows (the program's sleeps, from the log): w0 before the first big
# mmap, w1..w4 after the last fault of each phase, w5 between the two munmap
# pairs, w6 after the last munmap.  The row holding a window's midpoint
# ends inside the window and starts after its first event, so its vsz_kib
# (highest in the interval) and its kinds (at its end) are the window's.
python3 - "$T/s.trep" "$T/tl.json" "$pid" "$chunk" "$regions" >"$T/facts" <<'EOF'
import json, re, sys
log, js, pid, chunk, regions = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5].split(",")
regs = [int(r, 16) for r in regions]
faults, mmaps, munmaps, exit_t = [], {}, {}, None
for line in open(log):
    m = re.match(r"^([0-9.]+) (\d+): (.*)$", line.rstrip("\n"))
    if not m or m.group(2) != pid:
        continue
    t, what = float(m.group(1)), m.group(3)
    f = re.match(r"^[a-z]+ page @([0-9a-f]+) \([RWX](, [^)]*)?\)( in \S+( \[[^]]*\])?)?$", what)
    if f:
        faults.append((t, int(f.group(1), 16)))
        continue
    for i, r in enumerate(regions):
        if what == "mmap(0, %d, rw-, PRIVATE|ANON, fd -1) -> %s" % (chunk, r):
            mmaps[i] = t
        if what == "munmap(%s, %d) = 0" % (r, chunk):
            munmaps[i] = t
    if what.startswith("exit_group("):
        exit_t = t
print("log_faults=%d" % len(faults))
if len(mmaps) != 4 or len(munmaps) != 4 or exit_t is None:
    print("windows=missing(mmaps %d munmaps %d exit %s)" % (len(mmaps), len(munmaps), exit_t))
    sys.exit(0)
def last_fault_in(i):
    return max(t for t, a in faults if regs[i] <= a < regs[i] + chunk)
before = [t for t, a in faults if t < mmaps[0]]
wins = [(max(before) if before else 0.0, mmaps[0])]
for i in range(4):
    wins.append((last_fault_in(i), mmaps[i + 1] if i < 3 else munmaps[0]))
wins.append((munmaps[1], munmaps[2]))
wins.append((munmaps[3], exit_t))
print("windows=" + " ".join("%.3f" % (b - a) for a, b in wins))

d = json.load(open(js))
print("interval=%.6f" % d["interval"])
procs = [p for p in d["processes"] if p["pid"] == int(pid)]
if len(procs) != 1:
    print("rows=none"); sys.exit(0)
p, iv = procs[0], d["interval"]
rows = p["rows"]
def row_at(t):
    for r in rows:
        if r["time"] <= t + 1e-9 < r["time"] + iv:
            return r
    return None
mid = [row_at((a + b) / 2) for a, b in wins]
if None in mid:
    print("rows=missing"); sys.exit(0)
for key in ("vsz_kib", "anon_kib", "rss_kib"):
    print("%s=%s" % (key, " ".join(str(r[key] - mid[0][key]) for r in mid)))
print("base_vsz=%d plateau4_vsz=%d plateau4_rss=%d" % (mid[0]["vsz_kib"], mid[4]["vsz_kib"], mid[4]["rss_kib"]))
marked = lambda k: [r for r in rows if k in r["peak"]]
def where(k):
    return " ".join("%.6f" % r["time"] for r in marked(k)) or "none"
print("peak_vsz_kib=%d peak_rss_kib=%d" % (p["peak_vsz_kib"], p["peak_rss_kib"]))
print("vsz_marked=%s vsz_want=%.6f" % (where("vsz"), row_at(mmaps[3])["time"]))
lastf = max(t for t, a in faults if t < munmaps[0])
print("rss_marked=%s rss_want=%.6f" % (where("rss"), row_at(lastf)["time"]))
top = max(r["faults"] for r in rows)
print("faults_marked=%s faults_want=%.6f" % (where("faults"), [r for r in rows if r["faults"] == top][0]["time"]))
print("row_faults=%d" % sum(r["faults"] for r in rows))
print("max_vsz_marked=%s" % " ".join(str(r["vsz_kib"]) for r in marked("vsz")))
print("max_vsz=%d max_rss=%d" % (max(r["vsz_kib"] for r in rows), max(r["rss_kib"] for r in rows)))
# the interval of the first munmap: its highest VSZ and RSS are those before it
r = row_at(munmaps[0])
print("munmap_row=%.6f munmap_vsz=%d munmap_rss=%d" % (r["time"], r["vsz_kib"], r["rss_kib"]))
print("nrows=%d" % len(rows))
EOF
F=$T/facts
val() { sed -n "s/^$1=//p" "$F" | head -1; }
# value of KEY within a line of several KEY=VALUE
kv() { tr ' ' '\n' <"$F" | sed -n "s/^$1=//p" | head -1; }

check tl-interval "0.050000" "$(val interval)"
# every sleep lasted at least 100 ms (else the steps below cannot be seen)
check tl-windows "7 windows >= 0.100 s" "$(val windows | awk '{ n = 0; for (i = 1; i <= NF; i++) if ($i >= 0.1) n++; printf "%d windows >= 0.100 s", n }')$(val windows | grep -q missing && echo " ($(val windows))")"
want="0 $step $((2 * step)) $((3 * step)) $((4 * step)) $((2 * step)) 0"
# VSZ: only the program's own mmaps and munmaps change it: exact
check tl-vsz-steps "$want" "$(val vsz_kib)"
# anon RSS (kinds at the interval's end) and RSS: exact steps within 16 KiB
# (4 pages): the first call of mmap/madvise/nanosleep in a phase may still
# copy a page of the program's data (GOT) or fault a stack page; the
# program itself touches nothing else
tol() { awk -v want="$1" '{ n = split(want, w, " "); s = ""
	for (i = 1; i <= NF; i++) s = s (i > 1 ? " " : "") ((($i - w[i]) <= 16 && (w[i] - $i) <= 16) ? w[i] : $i " (want " w[i] ")")
	print s }'; }
check tl-anon-steps "$want" "$(val anon_kib | tol "$want")"
# Under a sanitizer build (make check-asan) the program starts as a copy of
# an ASan memmon: 20 TiB of shadow in its VSZ and ASan's pages in its RSS
# until its exec, and the recorder's pace shifts the phases; the two checks
# that take that first row into account are for the plain build.
san=false; case "$MEMMON_BUILD" in *asan*) san=true;; esac
if $san; then skip tl-rss-steps "sanitizer build (the pre-exec row is an ASan process)"; else
check tl-rss-steps "$want" "$(val rss_kib | tol "$want")"
fi

base=$(kv base_vsz); p4=$(kv plateau4_vsz); p4rss=$(kv plateau4_rss)
# the VSZ peak is marked in the interval of the 4th mmap, the RSS peak in
# the interval of the last fault of phase 4
if $san; then skip tl-peak-vsz "sanitizer build (the pre-exec row is an ASan process)"; else
check tl-peak-vsz "peak $((base + 4 * step)) marked at $(kv vsz_want), max row $((base + 4 * step))" \
	"peak $(kv peak_vsz_kib) marked at $(kv vsz_marked), max row $(kv max_vsz)"
fi
check tl-peak-rss "peak $p4rss marked at $(kv rss_want), max row $p4rss" \
	"peak $(kv peak_rss_kib) marked at $(kv rss_marked), max row $(kv max_rss)"
check tl-peak-faults "marked at $(kv faults_want)" "marked at $(kv faults_marked)"
check tl-faults-sum "$(val log_faults)" "$(val row_faults)"
# vsz_kib and rss_kib are the highest values within the interval: the first
# munmap's interval had the full 4 phases mapped and resident until it
check tl-vsz-max-munmap "row $(kv munmap_row) vsz_kib $p4" "row $(kv munmap_row) vsz_kib $(kv munmap_vsz)"
check tl-rss-max-munmap "row $(kv munmap_row) rss_kib $p4rss" "row $(kv munmap_row) rss_kib $(kv munmap_rss)"

# CSV: the same rows
"$MEMMON" report --timeline=50ms --csv --pid "$pid" "$T/s.dat" >"$T/tl.csv" 2>>"$T/csv.err"
check tl-csv-header "pid,time,vsz_kib,rss_kib,anon_kib,file_kib,shmem_kib,swap_kib,faults,peak,idle_until,lost_events" "$(head -1 "$T/tl.csv")"
check tl-csv-rows "$(val nrows) rows, faults $(val row_faults)" \
	"$(awk -F, 'NR > 1 { n++; f += $9 } END { printf "%d rows, faults %d", n, f }' "$T/tl.csv")"
# text: one '*' after the peak VSZ, the peak RSS and the most faults, on the marked rows
"$MEMMON" report --timeline=50ms --pid "$pid" "$T/s.dat" >"$T/tl.txt" 2>&1
check tl-text-peaks "$(kv vsz_marked) $(kv peak_vsz_kib)* / $(kv rss_marked) $(kv peak_rss_kib)* / $(kv faults_marked) *" \
	"$(awk '$2 ~ /\*$/ { v = $1 " " $2 } $3 ~ /\*$/ { r = $1 " " $3 } $NF ~ /\*$/ { f = $1 " *" } END { print v " / " r " / " f }' "$T/tl.txt")"
# before its exec, CMD is record's held copy: the rows up to the exec show
# no resident memory (that copy's counters, ~1 MiB, are not the program's)
"$MEMMON" report --timeline=10us --json --pid "$pid" "$T/s.dat" >"$T/tl10.json" 2>&1
check tl-before-exec "rss 0 in every row before the exec" "$(python3 - "$T/s.trep" "$T/tl10.json" "$pid" <<'EOF'
import json, sys
ex = [float(l.split()[0]) for l in open(sys.argv[1]) if l.split()[1:3] == [sys.argv[3] + ":", "exec"]]
rows = [r for p in json.load(open(sys.argv[2]))["processes"] if p["pid"] == int(sys.argv[3]) for r in p["rows"]]
before = [r for r in rows if ex and r["time"] + 0.00001 <= ex[0]]
if not ex or not before:
    print(f"no exec or no row before it (exec {ex[:1]}, {len(rows)} rows)")
else:
    bad = [r for r in before if r["rss_kib"]]
    print("rss 0 in every row before the exec" if not bad else
          f"{len(bad)} of {len(before)} rows before the exec at {ex[0]:.6f} have rss: {bad[0]}")
EOF
)"
exit $mm_failed
