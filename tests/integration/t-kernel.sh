#!/usr/bin/env bash
# Checks faults the kernel takes for the program (exceptions:page_fault_kernel): read() of 40 MiB into a fresh malloc'd buffer (every page but malloc's header page faulted in kernel mode, in read, attributed to the buffer and named on the default page; with the kprobe and the tracepoint classifier where kprobes exist) and sort of a 50 MB file, each with memmon's fault total for the child within 1% of its wait4 rusage (minflt+majflt), and memmon's resident estimate within 3% of the kernel's (read-buf: VmRSS at exit; sort: at its peak and at exit); the kernel-mode faults counted alike in the log, its summary and the JSON; those with THP disabled (one fault a page); with kprobes and THP "always", read-buf with huge pages: faults against rusage, the estimate against VmRSS.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="kf-read-program kf-read-classifier kf-read-rusage kf-read-kernel-faults kf-read-region kf-read-page
kf-read-resident kf-read-views kf-tp-read-program kf-tp-read-classifier kf-tp-read-rusage kf-tp-read-kernel-faults
kf-tp-read-region kf-tp-read-page kf-tp-read-resident kf-tp-read-views kf-thp-program kf-thp-huge kf-thp-rusage
kf-thp-resident kf-sort-program kf-sort-rusage kf-sort-kernel kf-sort-resident kf-sort-end"
need_root_tracefs $TESTS
mm_tmp
if [ ! -d /sys/kernel/tracing/events/exceptions/page_fault_kernel ]; then
	skip_all "needs exceptions:page_fault_kernel" $TESTS; exit 0
fi

# check_within NAME PCT A B WHAT: ok when |A - B| <= PCT% of B (B > 0)
check_within() {
	if awk -v a="$3" -v b="$4" -v p="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 0 && d * 100 <= p * b) }'; then
		ok "$1"
	else
		fail "$1" "expected $5 within $2% of $4, got ${3:-nothing}"
	fi
}

# resident_end DAT PID: "MODEL VMRSS" from --maps-at end --json (the model's
# total estimate and the END status snapshot's VmRSS, KiB)
resident_end() {
	"$MEMMON" report --maps-at end --json --pid "$2" "$1" 2>/dev/null | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    print("invalid-json"); sys.exit(0)
for p in d["processes"]:
    if p["pid"] == int(sys.argv[1]):
        t = p["total"]
        print(t["model_rss_kb"], t.get("vmrss_kb"))' "$2"
}

# ---- read() of 40 MiB into a fresh buffer, run by rusage-run
# read_buf PREFIX CLASSIFIER: record it (with REC_OPTS) and check it,
# names PREFIX-*; CLASSIFIER is the one record must have used
read_buf() {
	local P=$1 child kf buf len rss rep mf lo hi span n_kernel n_read model vmrss
	# --no-thp: one fault per page, also where THP is "always" (Debian 12)
	record "$T/$P" "$(prog rusage-run)" --no-thp "$(prog read-buf)" "$T/data"
	child=$(fact "$T/$P.err" child); kf=$(fact "$T/$P.err" faults)
	buf=$(fact "$T/$P.out" buf); len=$(fact "$T/$P.out" len); rss=$(fact "$T/$P.out" vmrss_kb)
	if [ "$rec_rc $rep_rc" != "0 0" ] || [ -z "$child" ] || [ -z "$buf" ] || [ "$len" != $((40 << 20)) ]; then
		fail $P-program "expected exit 0, report 0, child=... faults=... and buf=... len=41943040, got $rec_rc $rep_rc '$(show "$T/$P.out")' (stderr: $(show "$T/$P.err"))"
		skip_all "no recording" $P-classifier $P-rusage $P-kernel-faults $P-region $P-page $P-resident $P-views
		return
	fi
	ok $P-program
	check $P-classifier "$2" "$("$MEMMON" info "$T/$P.dat" | sed -n 's/^classifier: *//p')"
	rep=$T/$P.rep
	faults "$rep" "$child" >"$T/$P.rf"
	mf=$(wc -l <"$T/$P.rf")
	# rusage counts user- and kernel-mode faults alike, and so must memmon
	check_within $P-rusage 1 "$mf" "$kf" "memmon's faults of $child (rusage: $kf)"
	# the buffer's pages: malloc wrote its chunk header on the first, read()
	# first touched every other one in kernel mode
	lo=$(( 16#$buf & ~4095 )); hi=$(( (16#$buf + len + 4095) & ~4095 ))
	span=$(( (hi - lo) / 4096 ))
	n_kernel=$(faults "$rep" "$child" "$(d2h $lo)" "$(d2h $hi)" | awk '$6 == "kernel"' | wc -l)
	n_read=$(grep -cE "^$child: anon page @[0-9a-f]+ \(W, kernel in read\)$" "$rep")
	check $P-kernel-faults "$((span - 1)) kernel-mode anon W faults in read on the buffer's $span pages, $((span - 1)) in read in all" \
		"$n_kernel kernel-mode anon W faults in read on the buffer's $span pages, $n_read in read in all"
	# the buffer's region (--regions): those faults, its pages resident
	check $P-region "kernel_faults=$((span - 1)) resident=$span" "$("$MEMMON" report --regions --json --pid "$child" "$T/$P.dat" 2>/dev/null | python3 -c '
import json, sys
a = int(sys.argv[1], 16)
for p in json.load(sys.stdin)["processes"]:
    for r in p["regions"]:
        if int(r["start"], 16) <= a < int(r["end"], 16) and r["live"] is False and r["ended"]["how"] == "exit":
            print("kernel_faults=%d resident=%d" % (r["kernel_faults"], r["pages_resident"]))' "$buf")"
	# the default page names the call and the region
	check $P-page "read() faulted in $((span - 1)) pages of [anon]" \
		"$("$MEMMON" report --pid "$child" "$T/$P.dat" 2>/dev/null | grep -oE 'read\(\) faulted in [0-9]+ pages of [^;]*' | head -1)"
	read -r model vmrss <<<"$(resident_end "$T/$P.dat" "$child")"
	check_within $P-resident 3 "$model" "$rss" "the resident estimate at exit (KiB; VmRSS read by read-buf: $rss kB, at the END snapshot $vmrss kB)"
	# the kernel-mode faults count in every view: the log's lines, the
	# log's summary, the default page's JSON (total and kernel)
	"$MEMMON" report --log --pid "$child" "$T/$P.dat" >"$T/$P.prep" 2>/dev/null
	eval "$(summary "$T/$P.prep")"
	check $P-views "log $mf, summary $mf, json $mf of which kernel $n_kernel or more" "log $mf, summary ${S_faults:-?}, $("$MEMMON" report --json --pid "$child" "$T/$P.dat" 2>/dev/null | python3 -c '
import json, sys
for p in json.load(sys.stdin)["processes"]:
    if p["pid"] == int(sys.argv[1]):
        f = p["faults"]
        print("json %d of which kernel %s" % (f["total"], sys.argv[2] + " or more" if f["kernel"] >= int(sys.argv[2]) else f["kernel"]))' "$child" "$n_kernel")"
}
head -c $((40 << 20)) /dev/urandom >"$T/data"
# where kprobes make the default the kprobe classifier (Debian's kernels
# under qemu), the same with the tracepoint classifier too
if [ -e /sys/kernel/tracing/kprobe_events ]; then
	read_buf kf-read kprobe
	REC_OPTS=--classifier=tracepoint read_buf kf-tp-read tracepoint
else
	read_buf kf-read tracepoint
	skip_all "no kprobes: the default is the tracepoint classifier (kf-read-*)" kf-tp-read-program \
		kf-tp-read-classifier kf-tp-read-rusage kf-tp-read-kernel-faults kf-tp-read-region \
		kf-tp-read-page kf-tp-read-resident kf-tp-read-views
fi

# ---- the same read() with transparent huge pages: where the kernel gives
# the buffer huge pages (THP "always": Debian 12's default), the kprobe
# classifier sees each THP fault (do_huge_pmd_anonymous_page, no small
# zeroed page) and the model counts its 2 MiB, also where rss_stat is
# batched (6.1): the estimate within 3% of VmRSS
thp=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)
if [ ! -e /sys/kernel/tracing/kprobe_events ] || [ "$thp" != always ]; then
	skip_all "needs kprobes and THP \"always\" (here: kprobe_events $( [ -e /sys/kernel/tracing/kprobe_events ] && echo yes || echo no), THP ${thp:-none})" \
		kf-thp-program kf-thp-huge kf-thp-rusage kf-thp-resident
else
	record "$T/h" "$(prog rusage-run)" "$(prog read-buf)" "$T/data"
	child=$(fact "$T/h.err" child); kf=$(fact "$T/h.err" faults); rss=$(fact "$T/h.out" vmrss_kb)
	pages=$(fact "$T/h.out" pages)
	if [ "$rec_rc $rep_rc" != "0 0" ] || [ -z "$child" ] || [ -z "$pages" ]; then
		fail kf-thp-program "expected exit 0, report 0, child=... pages=..., got $rec_rc $rep_rc '$(show "$T/h.out")' (stderr: $(show "$T/h.err"))"
	elif [ "$kf" -ge $((pages / 2)) ]; then
		ok kf-thp-program
		skip_all "the kernel gave no huge pages ($kf faults for $pages pages)" kf-thp-huge kf-thp-rusage kf-thp-resident
	else
		ok kf-thp-program
		ok kf-thp-huge          # the condition above: huge pages were given
		check_within kf-thp-rusage 1 "$(faults "$T/h.rep" "$child" | wc -l)" "$kf" "memmon's faults of $child (rusage: $kf)"
		read -r model vmrss <<<"$(resident_end "$T/h.dat" "$child")"
		check_within kf-thp-resident 3 "$model" "$rss" "the resident estimate at exit (KiB; VmRSS read by read-buf: $rss kB, at the END snapshot $vmrss kB)"
	fi
fi

# ---- sort of a 50 MB file: its buffers are filled by read() in the kernel
head -c 39000000 /dev/urandom | base64 -w 76 >"$T/lines"
record "$T/s" "$(prog rusage-run)" --no-thp sort -o /dev/null "$T/lines"
child=$(fact "$T/s.err" child); kf=$(fact "$T/s.err" faults)
if [ "$rec_rc $rep_rc" != "0 0" ] || [ -z "$child" ] || [ "$(fact "$T/s.err" status)" != 0 ]; then
	fail kf-sort-program "expected exit 0, report 0 and child=... status=0, got $rec_rc $rep_rc (stderr: $(show "$T/s.err"))"
	skip_all "no recording" kf-sort-rusage kf-sort-kernel kf-sort-resident kf-sort-end
else
	ok kf-sort-program
	# every thread of the child (--pid takes the process)
	"$MEMMON" report --log --pid "$child" "$T/s.dat" >"$T/sp.rep" 2>/dev/null
	eval "$(summary "$T/sp.rep")"
	check_within kf-sort-rusage 1 "${S_faults:-}" "$kf" "memmon's faults of $child and its threads (rusage: $kf)"
	# sort reads its input into buffers it never touched: a good part of
	# its faults are the kernel's (measured: ~12,800 of ~37,000)
	nk=$(faults "$T/sp.rep" | awk '$6 == "kernel"' | wc -l)
	check kf-sort-kernel "over 10% of the faults in kernel mode" \
		"$(awk -v k="$nk" -v t="${S_faults:-0}" 'BEGIN { print (t > 0 && k * 10 > t) ? "over 10%" : "only " k " of " t }') of the faults in kernel mode"
	# resident: at exit sort has freed its buffers (VmRSS ~1.5 MB), so the
	# estimate is checked where it matters, at the peak: the moment the
	# kernel's own counters (rss_stat, in the raw log) were highest, the
	# model frozen there (--maps-at T) against those counters
	"$MEMMON" report --log -t --raw-events --pid "$child" "$T/s.dat" 2>/dev/null >"$T/sraw"
	peak=$(python3 -c '
import re, sys
last, best, at = {}, 0, None
for line in open(sys.argv[1]):
    m = re.match(r"^([0-9.]+) \d+: rss (file|anon|shmem) (-?\d+)$", line)
    if m:
        last[m.group(2)] = int(m.group(3))
        if sum(last.values()) > best:
            best, at = sum(last.values()), m.group(1)
print(at or "", best // 1024)' "$T/sraw")
	read -r t_peak kernel_peak <<<"$peak"
	model=$("$MEMMON" report --maps-at "$t_peak" --json --pid "$child" "$T/s.dat" 2>/dev/null | python3 -c '
import json, sys
for p in json.load(sys.stdin)["processes"]:
    if p["pid"] == int(sys.argv[1]): print(p["total"]["model_rss_kb"], p["total"]["kernel_rss_kb"])' "$child")
	read -r model kernel_at <<<"$model"
	# (kernels before 6.2 batch each thread's counter changes, up to 64
	# events a thread: there the counters at the peak lag, 5%)
	pct=3
	[[ "$(uname -r)" =~ ^([0-9]+)\.([0-9]+) ]] &&
		(( BASH_REMATCH[1] < 6 || (BASH_REMATCH[1] == 6 && BASH_REMATCH[2] < 2) )) && pct=5
	check_within kf-sort-resident $pct "$model" "$kernel_peak" "the resident estimate at the peak, $t_peak s (KiB; the kernel's counters there: $kernel_peak KiB, --maps-at says $kernel_at)"
	# and at exit, against the VmRSS of the END snapshot (sort prints none).
	# At exit what is left is mostly file pages mapped by fault-around: a
	# trace of a kernel before 6.2 cannot count them (no
	# mm_filemap_map_pages there, rss_stat batched): not checked there
	read -r model vmrss <<<"$(resident_end "$T/s.dat" "$child")"
	if [ "$pct" = 5 ]; then
		skip kf-sort-end "kernel $(uname -r): fault-around's pages are not in its traces (model $model KiB, VmRSS $vmrss kB)"
	else
		check_within kf-sort-end 3 "$model" "$vmrss" "the resident estimate at exit (KiB; VmRSS at the END snapshot: $vmrss kB)"
	fi
fi
exit 0
