#!/usr/bin/env bash
# Checks anonymous first-touch faults: 64 written pages of an mmap'ed region give exactly 64 "anon page (W)" lines inside it, plus its exact mmap/madvise/munmap lines and a summary that agrees with the log; and that the file holds no stale bytes in the gaps between events' fields (every syscall and rss_stat event has such gaps).
set -u
. "$(dirname "$0")/lib.sh"
TESTS="anon-record-status anon-program anon-mmap anon-madvise anon-munmap anon-faults anon-one-per-page anon-order anon-summary-faults anon-summary-classes anon-lost anon-gaps-zero anon-gaps-checked"
need_root_tracefs $TESTS
mm_tmp

N=64
record "$T/a" "$(prog anon-touch)" $N
check anon-record-status "0 0" "$rec_rc $rep_rc"

pid=$(fact "$T/a.out" pid)
R=$(fact "$T/a.out" region)
len=$(fact "$T/a.out" len)
if [ -z "$pid" ] || [ -z "$R" ] || [ "$len" != $((N * 4096)) ]; then
	fail anon-program "expected region=... len=$((N * 4096)) pid=..., got '$(show "$T/a.out")' (record stderr: $(show "$T/a.err"))"
	exit 1
fi
ok anon-program
rep=$T/a.rep
end=$(d2h $(( $(h2d "$R") + len )))

l_mmap=$(lineno "$rep" "$pid: mmap(0, $len, rw-, PRIVATE|ANON, fd -1) -> $R")
check anon-mmap "1" "$(count "$rep" "$pid: mmap(0, $len, rw-, PRIVATE|ANON, fd -1) -> $R")"
l_madv=$(lineno "$rep" "$pid: madvise($R, $len, NOHUGEPAGE) = 0")
check anon-madvise "1" "$(count "$rep" "$pid: madvise($R, $len, NOHUGEPAGE) = 0")"
l_munmap=$(lineno "$rep" "$pid: munmap($R, $len) = 0")
check anon-munmap "1" "$(count "$rep" "$pid: munmap($R, $len) = 0")"

# every fault inside the region while it lived (report lines from its mmap
# to its munmap: nothing else can be mapped there then), whoever took it
faults "$rep" "" "$R" "$end" "$l_mmap" "$l_munmap" >"$T/in"
got=$(awk -v p="$pid" '$2 == p && $3 == "anon" && $5 == "W"' "$T/in" | wc -l)
check anon-faults "$N anon W faults by $pid in $R-$end, 0 other faults there" \
	"$got anon W faults by $pid in $R-$end, $(( $(wc -l <"$T/in") - got )) other faults there"
check anon-one-per-page "$N distinct pages" "$(pages_of <"$T/in" | wc -l) distinct pages"

# mmap < madvise < first fault, last fault < munmap; and the program took
# no fault in its region before the madvise or after the munmap
first=$(head -1 "$T/in" | cut -d' ' -f1); last=$(tail -1 "$T/in" | cut -d' ' -f1)
outside=$(faults "$rep" "$pid" "$R" "$end" | awk -v a="$l_madv" -v b="$l_munmap" '$1 < a || $1 > b' | wc -l)
if [ "$l_mmap" -gt 0 ] && [ "$l_mmap" -lt "$l_madv" ] && [ "$l_madv" -lt "${first:-0}" ] &&
   [ "${last:-0}" -lt "$l_munmap" ] && [ "$outside" = 0 ]; then
	ok anon-order
else
	fail anon-order "expected mmap < madvise < faults < munmap (report lines) and no fault of $pid there outside, got mmap $l_mmap madvise $l_madv faults ${first:-none}..${last:-none} munmap $l_munmap, $outside outside"
fi

# the summary agrees with the log
eval "$(summary "$rep")"
nf=$(faults "$rep" | wc -l)
check anon-summary-faults "events faults $nf, faults $nf" "events faults ${S_faults:-?}, faults ${F_total:-?}"
cls=""
for c in anon file swap cow other; do cls+=" $c $(faults "$rep" | awk -v c=$c '$3 == c' | wc -l)"; done
acc=""
for a in R W X; do acc+=" $a $(faults "$rep" | awk -v a=$a '$5 == a' | wc -l)"; done
check anon-summary-classes "$cls /$acc" \
	" anon ${F_anon:-?} file ${F_file:-?} swap ${F_swap:-?} cow ${F_cow:-?} other ${F_other:-?} / R ${A_R:-?} W ${A_W:-?} X ${A_X:-?}"
check anon-lost "0" "${S_lost:-?}"

# the gaps between fields hold no stale bytes of earlier events (format/holes.h):
# test-holes finds them from libtraceevent's parse of the file's own formats
"$MEMMON_TOP/${MEMMON_BUILD:-build}/tests/test-holes" "$T/a.dat" >"$T/holes" 2>&1
check anon-gaps-zero "0" "$(fact "$T/holes" holes-stale)"
# ... and it looked at every syscall and rss_stat event, at least
"$MEMMON" info "$T/a.dat" >"$T/info"
want=$(awk '$1 ~ /^(syscalls:|kmem:rss_stat$)/ { n += $2 } END { print n + 0 }' "$T/info")
got=$(fact "$T/holes" holes-checked)
if [ "$want" -gt 0 ] && [ "${got:-0}" -ge "$want" ]; then
	ok anon-gaps-checked
else
	fail anon-gaps-checked "expected at least $want events with gaps checked (memmon info's syscall and rss_stat events), got ${got:-none}: $(show "$T/holes")"
fi
exit 0
