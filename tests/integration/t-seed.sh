#!/usr/bin/env bash
# Checks the seed's malloc experiments 1-3 with glibc's real malloc: the exact brk/mmap/munmap calls (same as strace sees) and which heap/mmap pages fault.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="seed-touch-program seed-touch-brk seed-touch-strace seed-touch-faults
seed-blocks-program seed-blocks-brk seed-blocks-strace seed-blocks-faults
seed-grow-program seed-grow-mmap seed-grow-munmap seed-grow-strace seed-grow-faults seed-grow-threshold"
need_root_tracefs $TESTS
mm_tmp
P=$(prog seed-malloc)
have_strace=0; command -v strace >/dev/null && have_strace=1

# brk_shape FILE PID: the brk calls of PID in the report as "ARG RESULT"
# relative to the first brk result (arg 0 stays 0), joined by ','
brk_shape() {
	grep -E "^$2: brk\([0-9a-f]+\) -> [0-9a-f]+$" "$1" |
		sed -E 's/^[0-9]+: brk\(([0-9a-f]+)\) -> ([0-9a-f]+)$/\1 \2/' | {
		base=""; out=""
		while read -r a r; do
			[ -z "$base" ] && base=$((16#$r))
			[ "$a" = 0 ] && a=0 || a=$(d2h $((16#$a - base)))
			out+="$a $(d2h $((16#$r - base))),"
		done
		echo "${out%,}"
	}
}
# strace_brk_shape CMD...: the same shape from strace -e brk of CMD
strace_brk_shape() {
	strace -f -qq -e trace=brk -o "$T/st" "$@" >/dev/null 2>&1
	sed -nE 's/^([0-9]+ +)?brk\((NULL|0x[0-9a-f]+)\) += 0x([0-9a-f]+)$/\2 \3/p' "$T/st" | {
		base=""; out=""
		while read -r a r; do
			[ -z "$base" ] && base=$((16#$r))
			[ "$a" = NULL ] && a=0 || a=$(d2h $((a - base)))
			out+="$a $(d2h $((16#$r - base))),"
		done
		echo "${out%,}"
	}
}
page() { echo $(( $(h2d "$1") / 4096 )); }
# rel_pages BASE < faults: the distinct faulted pages, as page numbers from BASE
rel_pages() { pages_of | while read -r x; do echo $(( 16#$x - $(page "$1") )); done | paste -sd' '; }

# ---- experiment 1: malloc 12 KiB and write it
record "$T/t" "$P" touch
pid=$(fact "$T/t.out" pid); hs=$(fact "$T/t.out" heap_start); he=$(fact "$T/t.out" heap_end)
ptr=$(fact "$T/t.out" ptr)
if [ "$rec_rc $rep_rc" != "0 0" ] || [ -z "$pid" ] || [ -z "$he" ]; then
	fail seed-touch-program "expected exit 0, report 0 and heap_start=... heap_end=... ptr=..., got $rec_rc $rep_rc '$(show "$T/t.out")' (stderr: $(show "$T/t.err"))"
else
	ok seed-touch-program
	# one sbrk(0) by the program, one brk by malloc: the heap grows once
	# by 132 KiB (tcache + 12 KiB chunk + 128 KiB top pad, page-rounded)
	check seed-touch-brk \
		"brk(0) -> $hs then brk($he) -> $he, growth 135168" \
		"$(grep -E "^$pid: brk" "$T/t.rep" | tail -2 | tr '\n' ' ' | sed -E "s/$pid: //g; s/ $//; s/ brk/ then brk/"), growth $(( $(h2d "$he") - $(h2d "$hs") ))"
	if [ $have_strace = 1 ]; then
		check seed-touch-strace "$(strace_brk_shape "$P" touch)" "$(brk_shape "$T/t.rep" "$pid")"
	else
		skip seed-touch-strace "needs strace"
	fi
	# anon W faults in the heap: pages heap_start .. the page holding the
	# top chunk's size field (ptr + 12288 + 8), one fault each, all W
	faults "$T/t.rep" "$pid" "$hs" "$he" >"$T/tf"
	last=$(( ($(h2d "$ptr") + 12288 + 8) / 4096 - $(page "$hs") ))
	check seed-touch-faults \
		"$((last + 1)) faults, $((last + 1)) anon W, on heap pages $(seq -s' ' 0 $last) of $(( ($(h2d "$he") - $(h2d "$hs")) / 4096 ))" \
		"$(wc -l <"$T/tf") faults, $(awk '$3 == "anon" && $5 == "W"' "$T/tf" | wc -l) anon W, on heap pages $(rel_pages "$hs" <"$T/tf") of $(( ($(h2d "$he") - $(h2d "$hs")) / 4096 ))"
fi

# ---- experiment 2: 24 mallocs of 4 pages served from the pad
record "$T/b" "$P" blocks
pid=$(fact "$T/b.out" pid); hs=$(fact "$T/b.out" heap_start)
if [ "$rec_rc $rep_rc" != "0 0" ] || [ -z "$pid" ] || [ "$(grep -c '^block=' "$T/b.out")" != 24 ]; then
	fail seed-blocks-program "expected exit 0, report 0 and 24 block= lines, got $rec_rc $rep_rc '$(show "$T/b.out")' (stderr: $(show "$T/b.err"))"
else
	ok seed-blocks-program
	# the brk values the program saw, in order, distinct: exactly the
	# growing brk calls in the trace (none while the pad lasts)
	want=$(sed -n 's/.* brk=\([0-9a-f]*\)$/\1/p' "$T/b.out" | uniq | awk '{ printf "%sbrk(%s) -> %s", (NR > 1 ? "," : ""), $1, $1 }')
	got=$(grep -E "^$pid: brk\([1-9a-f][0-9a-f]*\) -> " "$T/b.rep" | sed "s/^$pid: //" | paste -sd,)
	check seed-blocks-brk "$want" "$got"
	if [ $have_strace = 1 ]; then
		check seed-blocks-strace "$(strace_brk_shape "$P" blocks)" "$(brk_shape "$T/b.rep" "$pid")"
	else
		skip seed-blocks-strace "needs strace"
	fi
	last=$(sed -n 's/^block=23 ptr=\([0-9a-f]*\) .*/\1/p' "$T/b.out")
	top=$(sed -n 's/.* brk=\([0-9a-f]*\)$/\1/p' "$T/b.out" | tail -1)
	faults "$T/b.rep" "$pid" "$hs" "$top" >"$T/bf"
	np=$(( ($(h2d "$last") + 16384 + 8) / 4096 - $(page "$hs") + 1 ))
	check seed-blocks-faults "$np anon W faults on $np distinct pages" \
		"$(awk '$3 == "anon" && $5 == "W"' "$T/bf" | wc -l) anon W faults on $(pages_of <"$T/bf" | wc -l) distinct pages$( n=$(awk '!($3 == "anon" && $5 == "W")' "$T/bf" | wc -l); [ "$n" -gt 0 ] && echo " (+$n other faults)")"
fi

# ---- experiment 3: growing requests past the mmap threshold, each freed
record "$T/g" "$P" grow
pid=$(fact "$T/g.out" pid); hs=$(fact "$T/g.out" heap_start)
if [ "$rec_rc $rep_rc" != "0 0" ] || [ -z "$pid" ] || [ "$(grep -c '^req=' "$T/g.out")" != 9 ]; then
	fail seed-grow-program "expected exit 0, report 0 and 9 req= lines, got $rec_rc $rep_rc '$(show "$T/g.out")' (stderr: $(show "$T/g.err"))"
else
	ok seed-grow-program
	rep=$T/g.rep
	# the program's own sbrk(0) is the last brk(0): everything after it is malloc's
	anchor=$(grep -nE "^$pid: brk\(0\) -> $hs$" "$rep" | tail -1 | cut -d: -f1)
	tail -n +"${anchor:-1}" "$rep" >"$T/gtail"
	wmmap=""; wmunmap=""; wlens=""; fl_ok=1; fl_msg=""
	while read -r line; do
		req=$(echo "$line" | sed -n 's/^req=\([0-9]*\) .*/\1/p')
		ptr=$(echo "$line" | sed -n 's/.* ptr=\([0-9a-f]*\) .*/\1/p')
		via=$(echo "$line" | sed -n 's/.* via=\([a-z]*\) .*/\1/p')
		[ "$via" = mmap ] || continue
		# glibc: chunk = request + 8 rounded up to 16, mmap'ed with its
		# 8-byte prev_size, rounded up to pages; user pointer = A + 16
		len=$(( ((((req + 8 + 15) / 16) * 16 + 8 + 4095) / 4096) * 4096 ))
		A=$(d2h $(( $(h2d "$ptr") - 16 )))
		wmmap+="mmap(0, $len, rw-, PRIVATE|ANON, fd -1) -> $A,"
		wmunmap+="munmap($A, $len) = 0,"
		wlens+="$len,"
		lm=$(grep -nFx "$pid: mmap(0, $len, rw-, PRIVATE|ANON, fd -1) -> $A" "$rep" | tail -1 | cut -d: -f1)
		lu=$(grep -nFx "$pid: munmap($A, $len) = 0" "$rep" | tail -1 | cut -d: -f1)
		[ -n "$lm" ] && [ -n "$lu" ] || continue
		# faults in [A, A+len) while mapped: malloc's header write and
		# p[0] share page A; p[req-1] is on the last page: 2 anon W
		got=$(faults "$rep" "$pid" "$A" "$(d2h $(( $(h2d "$A") + len )))" "$lm" "$lu" |
			awk '{ print $3, $4, $5 }' | paste -sd' ')
		want="anon $A W anon $(d2h $(( ($(h2d "$ptr") + req - 1) / 4096 * 4096 ))) W"
		# the fault address is the byte written: compare pages
		gotp=$(echo "$got" | awk '{ for (i = 1; i <= NF; i += 3) { a = $(i+1); sub(/...$/, "000", a); printf "%s%s %s %s", (i > 1 ? " " : ""), $i, a, $(i+2) } }')
		if [ "$gotp" != "$want" ]; then fl_ok=0; fl_msg+="req $req: expected '$want', got '$gotp' ($got); "; fi
	done <"$T/g.out"
	check seed-grow-mmap "${wmmap%,}" "$(grep -E "^$pid: mmap\(0, [0-9]+, rw-, PRIVATE\|ANON, fd -1\)" "$T/gtail" | sed "s/^$pid: //" | paste -sd,)"
	check seed-grow-munmap "${wmunmap%,}" "$(grep -E "^$pid: munmap\(" "$T/gtail" | sed "s/^$pid: //" | paste -sd,)"
	if [ $have_strace = 1 ]; then
		# strace's munmap lengths after the program's sbrk(0) (the last brk(NULL))
		strace -qq -e trace=brk,mmap,munmap -o "$T/gst" "$P" grow >/dev/null 2>&1
		slens=$(awk '/^brk\(NULL\)/ { n = NR } { l[NR] = $0 } END { for (i = n + 1; i <= NR; i++) print l[i] }' "$T/gst" |
			sed -nE 's/^munmap\(0x[0-9a-f]+, ([0-9]+)\) += 0$/\1/p' | paste -sd,)
		check seed-grow-strace "munmap lengths ${wlens%,}" "munmap lengths $slens"
	else
		skip seed-grow-strace "needs strace"
	fi
	if [ $fl_ok = 1 ]; then ok seed-grow-faults; else fail seed-grow-faults "${fl_msg%; }"; fi
	# glibc's dynamic threshold: after free() of the 1 MiB mmap'ed chunk the
	# second 160 KiB request comes from the heap, with one brk
	lu=$(grep -nE "^$pid: munmap\(" "$T/gtail" | tail -1 | cut -d: -f1)
	check seed-grow-threshold "req=163840 via=heap, 1 brk growth after the last munmap" \
		"$(grep '^req=163840' "$T/g.out" | tail -1 | cut -d' ' -f1,3), $(tail -n +"${lu:-1}" "$T/gtail" | grep -cE "^$pid: brk\([1-9a-f][0-9a-f]*\) -> ") brk growth after the last munmap"
fi
exit 0
