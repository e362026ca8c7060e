#!/usr/bin/env bash
# Checks each fault class in a region of its own, with the default classifier (kprobe where the kernel has kprobes) and with --classifier=tracepoint (where it may say unknown, never a wrong class): fault-mix's N written anon pages are exactly N anon W faults, its private file mapping has only file R faults but one cow W on the written page, and no executable file mapping has an anon fault.
set -u
. "$(dirname "$0")/lib.sh"
N=48
names=(classes-record classes-anon classes-file classes-cow classes-exec-not-anon
       classes-tp-record classes-tp-anon classes-tp-file classes-tp-cow classes-tp-exec-not-anon)
need_root_tracefs "${names[@]}"
mm_tmp

# classes PREFIX UNKNOWN [RECORD-OPTIONS]: record fault-mix and check its
# regions; UNKNOWN is the class besides the right one a fault may have
# ("unknown" for the tracepoint classifier, "" for the default)
classes() {
	local P=$1 U=$2; shift 2
	"$MEMMON" record "$@" -o "$T/$P.dat" -- "$(prog fault-mix)" $N "$T/data-$P" 16 >"$T/$P.out" 2>"$T/$P.err"
	rec_rc=$?
	"$MEMMON" report --log "$T/$P.dat" >"$T/$P.rep" 2>"$T/$P.rep.err"; rep_rc=$?
	local pid A F cow bad=0 lo hi n
	pid=$(fact "$T/$P.out" pid)
	A=$(fact "$T/$P.out" anon_region); F=$(fact "$T/$P.out" file_region); cow=$(fact "$T/$P.out" cow_page)
	if [ "$rec_rc $rep_rc" != "0 0" ] || [ -z "$pid" ] || [ -z "$F" ]; then
		fail $P-record "expected exit 0, report 0 and fault-mix's regions, got $rec_rc $rep_rc '$(show "$T/$P.out")' (stderr: $(show "$T/$P.err"))"
		return
	fi
	ok $P-record
	# the trace and its report, for tests/kernels/run to report again on the host
	if [ -n "${MEMMON_OUT:-}" ]; then
		cp "$T/$P.dat" "$MEMMON_OUT/$P.dat" && cp "$T/$P.rep" "$MEMMON_OUT/$P.rep"
	fi
	faults "$T/$P.rep" "$pid" "$A" "$(d2h $(($(h2d "$A") + N * 4096)))" >"$T/$P.anon"
	check $P-anon "$N faults: $N anon W, $N pages" \
		"$(wc -l <"$T/$P.anon") faults: $(awk -v u="$U" '($3 == "anon" || $3 == u) && $5 == "W"' "$T/$P.anon" | wc -l) anon W, $(pages_of <"$T/$P.anon" | wc -l) pages"
	faults "$T/$P.rep" "$pid" "$F" "$(d2h $(($(h2d "$F") + 16 * 4096)))" >"$T/$P.file"
	check $P-file "file R faults only, at least 1, beside the cow page" \
		"$(awk -v c="$cow" -v u="$U" '$4 != c { n++; if (($3 != "file" && $3 != u) || $5 != "R") bad = bad " " $3 " " $5 " @" $4 }
			END { print (bad != "" ? "others:" bad : n > 0 ? "file R faults only, at least 1, beside the cow page" : "no fault") }' "$T/$P.file")"
	# the written page: read first (file R, or mapped around another fault), then copied
	check $P-cow "1 W fault: cow" \
		"$(awk -v c="$cow" -v u="$U" '$4 == c && $5 == "W" { n++; cl = cl " " ($3 == u ? "cow" : $3) } END { printf "%d W fault:%s", n, cl }' "$T/$P.file")"
	while read -r lo hi; do
		n=$(faults "$T/$P.rep" "$pid" "$lo" "$hi" | awk '$3 == "anon"' | wc -l)
		bad=$((bad + n))
	done < <(sed -n 's/^exec_region=\([0-9a-f]*\)-\([0-9a-f]*\)$/\1 \2/p' "$T/$P.out")
	check $P-exec-not-anon "0 anon faults in executable file mappings" "$bad anon faults in executable file mappings"
}

classes classes ""
classes classes-tp unknown --classifier=tracepoint
