#!/usr/bin/env bash
# Checks the resident set from what the kernel reports: resident-mix (read() into malloc'd memory, fault-around of a file mapping, MAP_POPULATE of a file and of anon memory, mlock, MADV_POPULATE_WRITE, a THP region, MAP_SHARED anon, MADV_DONTNEED, MADV_FREE, munmap), lock-all (mlockall CURRENT|FUTURE) and a forked child (fork-copy: what fork copies) region by region and in total against the END smaps and the VmRSS they read, and smaps' own columns (AnonHugePages, Locked, Pss, Shared/Private) in --maps-at end; the calls pkey_mprotect, mseal, remap_file_pages, process_madvise (0 --check-maps differences); cc1's file pages; pages the kernel reclaims in a small memory cgroup.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="rm-program rm-regions rm-lines rm-thp rm-rows rm-cols rm-total rm-page
la-program la-lines la-rows la-total
fk-program fk-child-rows fk-parent-rows fk-child-cols fk-child-total
mc-program mc-check-maps mc-lines mc-pageout
cc-program cc-file-pages cc-total
rc-program rc-reclaimed rc-lines rc-total"
need_root_tracefs $TESTS
mm_tmp
PG=4096

# check_within NAME PCT A B WHAT: ok when |A - B| <= PCT% of B (B > 0)
check_within() {
	if awk -v a="$3" -v b="$4" -v p="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 0 && d * 100 <= p * b) }'; then
		ok "$1"
	else
		fail "$1" "expected $5 within $2% of $4, got ${3:-nothing}"
	fi
}

# maps_end DAT PID: the --maps-at end --json document of PID
maps_end() { "$MEMMON" report --maps-at end --json --pid "$2" "$1" 2>/dev/null; }

# cols DAT PID NAME=HEX:COL[,COL]... : "NAME COL=V COL=V, ..." from the END
# smaps row of PID holding each address
cols() {
	maps_end "$1" "$2" | python3 -c '
import json, sys
d = json.load(sys.stdin)
out = []
for spec in sys.argv[1:]:
    name, rest = spec.split("=", 1)
    addr, keys = rest.split(":")
    a = int(addr, 16)
    rs = [r for p in d["processes"] for r in p["regions"] if int(r["start"], 16) <= a < int(r["end"], 16)]
    out.append(name + " " + (" ".join("%s=%s" % (k, rs[0].get(k)) for k in keys.split(",")) if rs else "none"))
print(", ".join(out))' "${@:3}"
}

# ---- resident-mix
dd if=/dev/urandom of="$T/data" bs=1M count=4 conv=fsync status=none   # clean: fault-around skips pages under writeback
record "$T/m" "$(prog resident-mix)" "$T/data"
pid=$(fact "$T/m.out" pid); vmrss=$(fact "$T/m.out" vmrss_kb); thp_kb=$(fact "$T/m.out" thp_kb)
if [ "$rec_rc $rep_rc" != "0 0" ] || [ -z "$pid" ] || [ -z "$vmrss" ]; then
	fail rm-program "expected exit 0, report 0 and pid=... vmrss_kb=..., got $rec_rc $rep_rc '$(show "$T/m.out")' (stderr: $(show "$T/m.err"))"
	skip_all "no recording" rm-regions rm-lines rm-thp rm-rows rm-cols rm-total rm-page
else
	ok rm-program
	rep=$T/m.rep
	a() { fact "$T/m.out" "$1"; }
	# pages resident at exit in the model's region holding NAME's address:
	# NAME=PAGES for each
	"$MEMMON" report --regions --json --pid "$pid" "$T/m.dat" >"$T/m.json" 2>/dev/null
	got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
out = []
for kv in sys.argv[2:]:
    name, addr = kv.split("=")
    a = int(addr, 16)
    rs = [r for p in d["processes"] for r in p["regions"]
          if r["ended"]["how"] == "exit" and int(r["start"], 16) <= a < int(r["end"], 16)]
    out.append("%s=%s" % (name, rs[0]["pages_resident"] if rs else "none"))
print(" ".join(out))' "$T/m.json" read="$(a read)" mlock="$(a mlock)" \
		populate="$(a populate)" popwrite="$(a popwrite)" thp="$(a thp)" shared="$(a shared)" \
		dropped="$(a dropped)" freed="$(a freed)")
	# read: malloc's 4 MiB + a page, every page touched (its header by
	# malloc, the rest by read()); mlock, MAP_POPULATE, MADV_POPULATE_WRITE:
	# every page, no fault; thp: 1024 pages written (2 huge pages or 1024
	# small ones); shared: 16 shmem pages; dropped: the half not DONTNEED'd;
	# freed: all 64 (MADV_FREE leaves them mapped while memory is plenty).
	# (What fault-around and MAP_POPULATE map of a file is the kernel's
	# choice - it skips locked pages - so filemap and filepop are checked
	# against the kernel's own rows below.)
	check rm-regions "read=1025 mlock=32 populate=64 popwrite=64 thp=1024 shared=16 dropped=32 freed=64" "$got"
	# the syscalls that mapped or dropped pages say so on the next line;
	# MADV_FREE dropped none (there is no such line)
	nextline() { grep -A1 -Fx -- "$1" "$rep" | sed -n 2p; }
	DN=$(d2h $(( 16#$(a dropped) + 128 * 1024 )))
	check rm-lines "+64|+32|+64|-32|-64|1 call, none" "$(
		nextline "$pid: mmap(0, 262144, rw-, PRIVATE|ANON|POPULATE, fd -1) -> $(a populate)" | sed 's/.* resident //; s/ pages*//'
		)|$(nextline "$pid: mlock($(a mlock), 131072) = 0" | sed 's/.* resident //; s/ pages*//'
		)|$(nextline "$pid: madvise($(a popwrite), 262144, POPULATE_WRITE) = 0" | sed 's/.* resident //; s/ pages*//'
		)|$(nextline "$pid: madvise($DN, 131072, DONTNEED) = 0" | sed 's/.* resident //; s/ pages*//'
		)|$(nextline "$pid: munmap($(a unmapped), 262144) = 0" | sed 's/.* resident //; s/ pages*//'
		)|$(count "$rep" "$pid: madvise($(a freed), 262144, FREE) = 0") call, $(nextline "$pid: madvise($(a freed), 262144, FREE) = 0" | grep -q '^[0-9]*:   resident' && echo some || echo none)"
	# a THP fault is one fault of 512 pages
	TH=$(a thp)
	if [ "$thp_kb" = 4096 ]; then
		check rm-thp "2 faults: anon W 512, anon W 512" "$(faults "$rep" "$pid" "$TH" "$(d2h $(( 16#$TH + (4 << 20) )))" |
			awk '{ n++; s = s (s ? ", " : "") $3 " " $5 " " $7 } END { printf "%d faults: %s", n, s }')"
	else
		skip rm-thp "the kernel gave no huge page (thp_kb=$thp_kb)"
	fi
	# every kernel row (END smaps) over these mappings: model = kernel
	check rm-rows "model = kernel on every row" "$(maps_end "$T/m.dat" "$pid" | python3 -c '
import json, sys
d = json.load(sys.stdin)
addrs = [int(x, 16) for x in sys.argv[1:]]
bad = []
for p in d["processes"]:
    if p["source"] != "smaps":
        bad.append("source " + p["source"])
    for r in p["regions"]:
        lo, hi = int(r["start"], 16), int(r["end"], 16)
        if any(lo <= a < hi for a in addrs) and r["rss_kb"] != r["model_rss_kb"]:
            bad.append("%s-%s kernel %d model %d" % (r["start"], r["end"], r["rss_kb"], r["model_rss_kb"]))
print("; ".join(bad) or "model = kernel on every row")' "$(a read)" "$(a filemap)" "$(a filepop)" "$(a mlock)" \
		"$(a populate)" "$(a popwrite)" "$TH" "$(a shared)" "$(a dropped)" "$(a freed)")"
	# pmap -x's other columns, straight from the END smaps: the huge pages
	# the program itself saw (its own smaps), the mlock'ed 128 KiB, the
	# shmem pages private to it
	check rm-cols "thp anon_huge_kb=$thp_kb, mlock locked_kb=128, shared private_dirty_kb=64 pss_kb=64" "$(cols "$T/m.dat" "$pid" \
		"thp=$TH:anon_huge_kb" "mlock=$(a mlock):locked_kb" "shared=$(a shared):private_dirty_kb,pss_kb")"
	model=$(maps_end "$T/m.dat" "$pid" | python3 -c 'import json, sys; print(json.load(sys.stdin)["processes"][0]["total"]["model_rss_kb"])')
	check_within rm-total 3 "$model" "$vmrss" "the resident estimate at exit (KiB; VmRSS resident-mix read: $vmrss kB)"
	# the default page counts the pages syscalls mapped without a fault:
	# filepop (what MAP_POPULATE got of the file) + 128 + 256 + 256 KiB
	fp=$(maps_end "$T/m.dat" "$pid" | python3 -c '
import json, sys
a = int(sys.argv[1], 16)
for p in json.load(sys.stdin)["processes"]:
    for r in p["regions"]:
        if int(r["start"], 16) <= a < int(r["end"], 16): print(r["rss_kb"])' "$(a filepop)")
	check rm-page "$(( ${fp:-0} + 640 )) KiB mapped by syscalls without a fault of their own" \
		"$("$MEMMON" report --pid "$pid" "$T/m.dat" 2>/dev/null | grep -oE '[0-9]+ KiB mapped by syscalls without a fault of their own')"
fi

# ---- mlockall(MCL_CURRENT | MCL_FUTURE): everything at once, then every
# new mapping at its mmap
dd if=/dev/urandom of="$T/lock" bs=64K count=1 conv=fsync status=none
record "$T/l" "$(prog lock-all)" "$T/lock"
pid=$(fact "$T/l.out" pid); vmrss=$(fact "$T/l.out" vmrss_kb)
if [ "$rec_rc $rep_rc" != "0 0" ] || [ -z "$pid" ] || [ "$(fact "$T/l.out" lock_ret)" != 0 ]; then
	fail la-program "expected exit 0, report 0 and lock_ret=0, got $rec_rc $rep_rc '$(show "$T/l.out" 7)' (stderr: $(show "$T/l.err"))"
	skip_all "no recording" la-lines la-rows la-total
else
	ok la-program
	l() { fact "$T/l.out" "$1"; }
	BIG=$(d2h $(( 16#$(l bigbuf) & ~4095 )))
	check la-lines "+32|+76" "$(grep -A1 -Fx "$pid: mmap(0, 131072, rw-, PRIVATE|ANON, fd -1) -> $(l future)" "$T/l.rep" |
		sed -n 2p | sed 's/.* resident //; s/ pages*//')|$(grep -A1 -E "^$pid: mmap\(0, [0-9]+, rw-, PRIVATE\|ANON, fd -1\) -> $BIG\$" "$T/l.rep" |
		sed -n 2p | sed 's/.* resident //; s/ pages*//')"
	# the kernel's rows over each mapping (the guard has none resident):
	# model = kernel
	check la-rows "model = kernel on every row" "$(maps_end "$T/l.dat" "$pid" | python3 -c '
import json, sys
d = json.load(sys.stdin)
addrs = [int(x, 16) for x in sys.argv[1:]]
bad = []
for p in d["processes"]:
    for r in p["regions"]:
        lo, hi = int(r["start"], 16), int(r["end"], 16)
        if any(lo <= a < hi for a in addrs) and r["rss_kb"] != r["model_rss_kb"]:
            bad.append("%s-%s kernel %d model %d" % (r["start"], r["end"], r["rss_kb"], r["model_rss_kb"]))
print("; ".join(bad) or "model = kernel on every row")' "$(l untouched)" "$(l filemap)" "$(l guard)" \
		"$(l future)" "$(l bigbuf)")"
	model=$(maps_end "$T/l.dat" "$pid" | python3 -c 'import json, sys; print(json.load(sys.stdin)["processes"][0]["total"]["model_rss_kb"])')
	check_within la-total 3 "$model" "$vmrss" "the resident estimate at exit (KiB; VmRSS lock-all read: $vmrss kB)"
fi

# ---- fork: the child has what fork copied (the private mappings with
# anonymous pages), not the pages of a shared mapping or of a file mapping
# only read; its counters from the fork settle the rest
dd if=/dev/urandom of="$T/fk" bs=64K count=5 conv=fsync status=none
record "$T/k" "$(prog fork-copy)" "$T/fk" 1000
pid=$(fact "$T/k.out" pid); child=$(fact "$T/k.out" child); vmrss=$(fact "$T/k.out" vmrss_kb)
if [ "$rec_rc $rep_rc" != "0 0" ] || [ -z "$child" ] || [ -z "$vmrss" ] || [ "$(fact "$T/k.out" status)" != 0 ]; then
	fail fk-program "expected exit 0, report 0, child=... vmrss_kb=... status=0, got $rec_rc $rep_rc '$(show "$T/k.out")' (stderr: $(show "$T/k.err"))"
	skip_all "no recording" fk-child-rows fk-parent-rows fk-child-cols fk-child-total
else
	ok fk-program
	k() { fact "$T/k.out" "$1"; }
	# NAME=KERNEL/MODEL (KiB) for the END smaps row holding each mapping
	rows() { maps_end "$T/k.dat" "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
out = []
for kv in sys.argv[1:]:
    name, addr = kv.split("=")
    a = int(addr, 16)
    rs = [r for p in d["processes"] for r in p["regions"] if int(r["start"], 16) <= a < int(r["end"], 16)]
    out.append("%s=%s" % (name, "%d/%d" % (rs[0]["rss_kb"], rs[0]["model_rss_kb"]) if rs else "none"))
print(" ".join(out))' anon="$(k anon)" fileread="$(k fileread)" filecow="$(k filecow)" shared="$(k shared)"; }
	# the child: its 1000 copied anon pages (half written again: copy on
	# write, no change), fileread's one fault-around window, filecow's 16
	# pages copied with the mapping, nothing of shared; the model must hold
	# what the kernel holds, page for page.  The window is at most 16
	# pages: the kernel maps around a fault only the cached pages it can
	# take at that moment, and skips one another task has locked or is
	# migrating (CI saw 15)
	got=$(rows "$child")
	fr=$(printf '%s\n' "$got" | sed -n 's/.*fileread=\([0-9]*\)\/.*/\1/p')
	if [ -n "$fr" ] && [ "$fr" -ge 4 ] && [ "$fr" -le 64 ]; then fexp="$fr/$fr"; else fexp="4..64/same"; fi
	check fk-child-rows "anon=4000/4000 fileread=$fexp filecow=64/64 shared=0/0" "$got"
	check fk-parent-rows "anon=4000/4000 fileread=256/256 filecow=64/64 shared=64/64" "$(rows "$pid")"
	# the child's anon pages: the half it wrote are its own, the other half
	# still shared with the parent (waiting, alive): Pss 2000 + 2000 / 2;
	# fileread's pages (as many as the kernel mapped around the fault)
	# shared with the parent's mapping of them: Pss half of them
	check fk-child-cols "anon private_dirty_kb=2000 shared_dirty_kb=2000 pss_kb=3000, fileread shared_clean_kb=${fr:-64} pss_kb=$(( ${fr:-64} / 2 ))" \
		"$(cols "$T/k.dat" "$child" "anon=$(k anon):private_dirty_kb,shared_dirty_kb,pss_kb" "fileread=$(k fileread):shared_clean_kb,pss_kb")"
	model=$(maps_end "$T/k.dat" "$child" | python3 -c 'import json, sys; print(json.load(sys.stdin)["processes"][0]["total"]["model_rss_kb"])')
	check_within fk-child-total 3 "$model" "$vmrss" "the child's resident estimate at exit (KiB; VmRSS the child read: $vmrss kB)"
fi

# ---- the other calls that change a map
dd if=/dev/urandom of="$T/calls" bs=$PG count=16 conv=fsync status=none
record "$T/c" "$(prog map-calls)" "$T/calls"
pid=$(fact "$T/c.out" pid)
if [ "$rec_rc $rep_rc" != "0 0" ] || [ -z "$pid" ] || [ "$(fact "$T/c.out" seal_ret)" != 0 ] ||
   [ "$(fact "$T/c.out" remap_ret)" != 0 ]; then
	fail mc-program "expected exit 0, report 0, seal_ret=0 remap_ret=0, got $rec_rc $rep_rc '$(show "$T/c.out" 8)' (stderr: $(show "$T/c.err"))"
	skip_all "no recording" mc-check-maps mc-lines mc-pageout
else
	ok mc-program
	rep=$T/c.rep
	c() { fact "$T/c.out" "$1"; }
	check mc-check-maps "0 differ" "$("$MEMMON" report --check-maps --pid "$pid" "$T/c.dat" 2>&1 | sed -n 's/^maps check: [0-9]* regions, \([0-9]*\) differ$/\1 differ/p')"
	K=$(d2h $(( 16#$(c keyed) + 4 * PG ))); S=$(d2h $(( 16#$(c sealed) + 2 * PG )))
	l1="$pid: pkey_mprotect($K, 16384, r--, $(c pkey)) = 0"
	l2="$pid: mseal($S, 8192, 0) = 0"
	l3="$pid: remap_file_pages($(c remapped), 4096, ---, 5, 0) = 0"
	l4=$(grep -cE "^$pid: process_madvise\([0-9]+, @[0-9a-f]+, 2, PAGEOUT, 0\) = 32768$" "$rep")
	check mc-lines "1 1 1 1" "$(count "$rep" "$l1") $(count "$rep" "$l2") $(count "$rep" "$l3") $l4"
	# clean file pages mapped by us alone: PAGEOUT drops all 8
	check mc-pageout "  resident -8 pages" "$(grep -A1 -E "^$pid: process_madvise\(" "$rep" | sed -n 2p | sed "s/^$pid: //")"
fi

# ---- cc1: a big program's file pages, mapped mostly by fault-around
cp "$MEMMON_TOP/tests/progs/resident-mix.c" "$T/cc.c"
if ! command -v gcc >/dev/null; then
	skip_all "needs gcc" cc-program cc-file-pages cc-total
else
	record "$T/g" gcc -O2 -c -o "$T/cc.o" "$T/cc.c"
	cc1=$(sed -n 's|^\([0-9]*\): exec .*/cc1$|\1|p' "$T/g.rep" | head -1)
	if [ "$rec_rc $rep_rc" != "0 0" ] || [ -z "$cc1" ]; then
		fail cc-program "expected exit 0, report 0 and an exec of cc1, got $rec_rc $rep_rc (stderr: $(show "$T/g.err"))"
		skip_all "no recording" cc-file-pages cc-total
	else
		ok cc-program
		read -r kfile mfile model vm <<<"$(maps_end "$T/g.dat" "$cc1" | python3 -c '
import json, sys
for p in json.load(sys.stdin)["processes"]:
    rows = [r for r in p["regions"] if r["name"].startswith("/")]
    print(sum(r["rss_kb"] for r in rows), sum(r["model_rss_kb"] for r in rows),
          p["total"]["model_rss_kb"], p["total"].get("vmrss_kb"))')"
		check_within cc-file-pages 3 "$mfile" "$kfile" "cc1's file pages resident at exit, memmon's estimate (KiB; the kernel's: $kfile)"
		check_within cc-total 3 "$model" "$vm" "cc1's resident estimate at exit (KiB; VmRSS $vm kB)"
	fi
fi

# ---- reclaim: a 64 MiB file read twice in a 16 MiB memory cgroup
CGTESTS="rc-program rc-reclaimed rc-lines rc-total"
CG=
for base in /sys/fs/cgroup/memory /sys/fs/cgroup; do
	if [ -e "$base/memory.limit_in_bytes" ] || [ -e "$base/cgroup.subtree_control" ] && grep -qw memory "$base/cgroup.subtree_control" 2>/dev/null; then
		CG=$base/memmon-test.$$; break
	fi
	[ -e "$base/memory.limit_in_bytes" ] && { CG=$base/memmon-test.$$; break; }
done
if [ -z "$CG" ] || ! mkdir "$CG" 2>/dev/null; then
	skip_all "needs a memory cgroup (v1 or v2)" $CGTESTS; exit 0
fi
mm_on_exit "rmdir '$CG' 2>/dev/null"
if [ -e "$CG/memory.limit_in_bytes" ]; then
	echo $((16 << 20)) >"$CG/memory.limit_in_bytes"
else
	echo $((16 << 20)) >"$CG/memory.max"
fi
head -c $((64 << 20)) /dev/urandom >"$T/big"
record "$T/rc" sh -c "echo \$\$ > '$CG/cgroup.procs' && exec '$(prog reclaim-read)' '$T/big'"
pid=$(fact "$T/rc.out" pid); vmrss=$(fact "$T/rc.out" vmrss_kb)
if [ "$rec_rc $rep_rc" != "0 0" ] || [ -z "$pid" ] || [ -z "$vmrss" ] || [ "$vmrss" -gt $((32 << 10)) ]; then
	fail rc-program "expected exit 0, report 0 and pid=... vmrss_kb under 32768 (the cgroup's limit: 16 MiB), got $rec_rc $rep_rc '$(show "$T/rc.out")' (stderr: $(show "$T/rc.err"))"
	skip_all "no recording" rc-reclaimed rc-lines rc-total
	exit 0
fi
ok rc-program
# 64 MiB read twice through 16 MiB: at least ~100 MiB taken back by the
# kernel, in the faults that needed room (no syscall explains it)
rk=$("$MEMMON" report --json --pid "$pid" "$T/rc.dat" 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)["processes"][-1]["reclaimed_kb"])')
check rc-reclaimed "over 96 MiB reclaimed" "$(awk -v k="${rk:-0}" 'BEGIN { print (k > 96 * 1024) ? "over 96 MiB" : k " KiB" }') reclaimed"
check rc-lines "faults that reclaimed: yes" "faults that reclaimed: $(grep -qE "^$pid: file page @[0-9a-f]+ \(R, [0-9]+ reclaimed\)( in [^ ]+( \[[^]]*\])?)?$" "$T/rc.rep" && echo yes || echo none)"
model=$(maps_end "$T/rc.dat" "$pid" | python3 -c 'import json, sys; print(json.load(sys.stdin)["processes"][-1]["total"]["model_rss_kb"])')
check_within rc-total 3 "$model" "$vmrss" "the resident estimate at exit (KiB; VmRSS reclaim-read read: $vmrss kB)"
exit 0
