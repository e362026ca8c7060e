#!/usr/bin/env bash
# Checks trace-cmd's files: a program recorded by the real trace-cmd (its own instance, memmon's event set) gives memmon report --json the same faults per region by class and access and the same syscalls as memmon record of it (anon-touch run under each; fault-mix under both at once); the report says what such a file lacks; trace-cmd report with memmon's plugin shows memmon's lines; cut or corrupt files give a clear error; the top-level tracefs instance is left as it was.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="tc-record tc-top-level tc-anon-region tc-anon-syscalls tc-mix-regions tc-mix-syscalls
       tc-lacks-notice tc-lacks-summary tc-info tc-views tc-plugin-lines tc-plugin-faults
       tc-plugin-none tc-file-v6 tc-times tc-times-date tc-big-reads tc-page-later tc-page-later-v6 tc-truncated
       tc-corrupt tc-instances-gone"
if ! command -v trace-cmd >/dev/null; then
	skip_all "needs trace-cmd (apt-get install trace-cmd)" $TESTS
	exit 0
fi
if ! command -v gcc >/dev/null; then
	skip_all "needs gcc (for bench/workloads/noftrace_shim.c)" $TESTS
	exit 0
fi
need_root_tracefs $TESTS
mm_tmp
TR=/sys/kernel/tracing
PLUGIN=$(dirname "$MEMMON")/plugin_memmon.so

# trace-cmd 3.1.6 dies on this kernel's function-tracer files (they exist
# but refuse to open): the peerbench shim hides them (bench/README.md)
gcc -shared -fPIC -O2 -o "$T/shim.so" "$MEMMON_TOP/bench/workloads/noftrace_shim.c" -ldl

# The top-level instance's settings and event state, to prove trace-cmd
# was kept off it.  (Its buffer contents are not ours: others may trace
# there.)
top_state() {
	local f
	for f in buffer_percent buffer_size_kb current_tracer saved_cmdlines_size set_event \
		 set_event_pid set_event_notrace_pid trace_clock tracing_cpumask tracing_on \
		 tracing_thresh events/enable options/*; do
		[ -r "$TR/$f" ] && echo "$f: $(tr '\n' ' ' <"$TR/$f")"
	done
	grep -H . "$TR"/events/*/*/filter 2>/dev/null | grep -v ':none$'
}

# The events memmon records on this kernel, as memmon list says.
EVENTS=$("$MEMMON" list | awk '$1 == "present" {
	if ($2 ~ /^syscalls:/) { s = substr($2, 10); print "syscalls:sys_enter_" s; print "syscalls:sys_exit_" s }
	else print $2 }')

# tc_record BASE CMD...: trace-cmd record of CMD into BASE.dat, in an
# instance of its own (-B), with memmon's events filtered to CMD's pid.
# CMD starts stopped (a shell that stops itself, then execs it) so its pid
# is known before trace-cmd arms; with no -F, trace-cmd never touches the
# top-level instance.  CMD's stdout goes to BASE.out, trace-cmd's output
# to BASE.tc.  Extra trace-cmd options in TC_OPTS.  Sets tc_rc.
tc_record() {
	local base=$1 inst=memmontc-$$-$RANDOM p tc i args=() e
	shift
	bash -c 'kill -STOP $$; exec "$@"' _ "$@" >"$base.out" 2>&1 &
	p=$!
	for i in $(seq 100); do
		[ "$(awk '{print $3}' /proc/$p/stat 2>/dev/null)" = T ] && break
		sleep 0.05
	done
	for e in $EVENTS; do args+=(-e "$e" -f "common_pid==$p"); done
	local pre=(env)
	case "${TC_OPTS:-}" in *"--file-version 6"*)
		# trace-cmd 3.1.6 writes format 6's saved cmdlines as a length,
		# then the bytes of a second read: when the kernel's list changes
		# in between (a busy machine), the file is corrupt (its own
		# report cannot read it).  A copy bind-mounted over the list, in
		# a mount namespace of trace-cmd's own, holds still.
		cat "$TR/saved_cmdlines" >"$base.cmdlines"
		# (the shim drops LD_PRELOAD as it loads: set it for trace-cmd)
		pre=(unshare -m sh -c 'mount --bind "$0" "$1" && shift && exec env "$@"' \
		     "$base.cmdlines" "$TR/saved_cmdlines") ;;
	esac
	"${pre[@]}" LD_PRELOAD=$T/shim.so trace-cmd record -q -d ${TC_OPTS:-} -B "$inst" "${args[@]}" \
		-o "$base.dat" >"$base.tc" 2>&1 &
	tc=$!
	mm_on_exit "kill $tc $p 2>/dev/null; [ -d $TR/instances/$inst ] && { echo 0 > $TR/instances/$inst/events/enable; rmdir $TR/instances/$inst; } 2>/dev/null"
	# armed: trace-cmd forks its per-CPU readers once the instance is set
	# up and its buffers reset (before that, what CMD did would be wiped)
	for i in $(seq 600); do
		[ "$(cat "$TR/instances/$inst/events/exceptions/page_fault_user/enable" 2>/dev/null)" = 1 ] &&
			[ "$(pgrep -P $tc | wc -l)" -ge "$(nproc)" ] && break
		sleep 0.05
	done
	sleep 0.2
	local mm=
	if [ -n "${TC_ALSO_MEMMON:-}" ]; then     # memmon record -p on the same run
		"$MEMMON" record -q -o "$TC_ALSO_MEMMON" -p $p 2>"$base.mm.err" &
		mm=$!
		for i in $(seq 600); do
			grep -qw $p "$TR/instances/memmon-$mm/set_event_pid" 2>/dev/null &&
				[ "$(cat "$TR/instances/memmon-$mm/tracing_on" 2>/dev/null)" = 1 ] && break
			sleep 0.05
		done
	fi
	kill -CONT $p
	wait $p
	sleep 0.2
	kill -INT $tc $mm
	[ -n "$mm" ] && wait $mm
	wait $tc
	tc_rc=$?
}

# region_faults JSON ADDR: the faults (class -> r/w/x) of the region that
# starts at ADDR, as one line
region_faults() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
rs = [r for p in d["processes"] for r in p["regions"] if r["start"] == sys.argv[2]]
print(" ".join(f"{c}:{v['r']}/{v['w']}/{v['x']}" for c, v in rs[0]["faults"].items()
               if c != "total") + f" total:{rs[0]['faults']['total']}" if len(rs) == 1 else
      f"{len(rs)} regions at {sys.argv[2]}")
EOF
}
# syscalls JSON PID: the process's memory syscalls, as one line
syscalls() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ps = [p for p in d["processes"] if p["pid"] == int(sys.argv[2] or 0)]
print(" ".join(f"{k}:{v}" for k, v in sorted(ps[0]["syscalls"].items())) if ps else "no process")
EOF
}
both_reports() {	# BASE: BASE.json (--regions), BASE.ov.json (the default page), BASE.err
	"$MEMMON" report --regions --json "$1.dat" >"$1.json" 2>"$1.err"
	"$MEMMON" report --json "$1.dat" >"$1.ov.json" 2>/dev/null
}

before=$(top_state)

# ---- anon-touch under both recorders
tc_record "$T/tca" "$(prog anon-touch)" 64
"$MEMMON" record -q -o "$T/mma.dat" -- "$(prog anon-touch)" 64 >"$T/mma.out" 2>"$T/mma.err"
mm_rc=$?
ra=$(fact "$T/tca.out" region); pa=$(fact "$T/tca.out" pid)
rm_=$(fact "$T/mma.out" region); pm=$(fact "$T/mma.out" pid)
[ -n "${TC_KEEP_BAD:-}" ] && ! "$MEMMON" info "$T/tca.dat" >/dev/null 2>&1 && cp "$T/tca.dat" "$T/tca.tc" "$TC_KEEP_BAD/"
check tc-record "trace-cmd 0, memmon 0, both printed a region" \
	"trace-cmd $tc_rc, memmon $mm_rc, $([ -n "$ra" ] && [ -n "$rm_" ] && echo both printed a region || echo "no region: $(show "$T/tca.tc")")"
check tc-top-level "unchanged" "$([ "$(top_state)" = "$before" ] && echo unchanged || diff <(echo "$before") <(top_state) | head -5 | tr '\n' ' ')"
both_reports "$T/tca"
both_reports "$T/mma"
want="anon:0/64/0 file:0/0/0 swap:0/0/0 cow:0/0/0 other:0/0/0 unknown:0/0/0 total:64"
check tc-anon-region "trace-cmd: $want; memmon: $want" \
	"trace-cmd: $(region_faults "$T/tca.json" "$ra"); memmon: $(region_faults "$T/mma.json" "$rm_")"
check tc-anon-syscalls "$(syscalls "$T/mma.ov.json" "$pm")" "$(syscalls "$T/tca.ov.json" "$pa")"

# ---- fault-mix (anon, file and cow faults in regions of their own),
# seen by trace-cmd and by memmon record -p in the same run: how many
# pages fault-around maps differs from run to run, the two views of one
# run may not differ at all
TC_ALSO_MEMMON=$T/mmm.dat tc_record "$T/tcm" "$(prog fault-mix)" 32 "$T/mix.data" 16
both_reports "$T/tcm"
both_reports "$T/mmm"
pid=$(fact "$T/tcm.out" pid)
got_tc= got_mm=
for k in anon_region file_region; do
	got_tc="$got_tc $k $(region_faults "$T/tcm.json" "$(fact "$T/tcm.out" $k)");"
	got_mm="$got_mm $k $(region_faults "$T/mmm.json" "$(fact "$T/tcm.out" $k)");"
done
case "$got_mm" in
*"anon:0/32/0 "*"cow:0/1/0"*) check tc-mix-regions "$got_mm" "$got_tc" ;;
*) fail tc-mix-regions "expected memmon's recording to have 32 anon W faults and the cow fault, got $got_mm ($(show "$T/tcm.mm.err"))" ;;
esac
check tc-mix-syscalls "$(syscalls "$T/mmm.ov.json" "$pid")" "$(syscalls "$T/tcm.ov.json" "$pid")"

# ---- what the file lacks, said
if grep -q "notice: '$T/tca.dat' was recorded by trace-cmd (format 7, 2 buffers): no snapshots" "$T/tca.err"; then
	ok tc-lacks-notice
else
	fail tc-lacks-notice "expected the notice on stderr, got $(show "$T/tca.err")"
fi
"$MEMMON" report "$T/tca.dat" >"$T/tca.page" 2>/dev/null
check tc-lacks-summary "1 line" "$(grep -c '^recorded by: trace-cmd (format 7, 2 buffers): no snapshots, so each process.s map starts empty' "$T/tca.page") line"
"$MEMMON" info "$T/tca.dat" >"$T/tca.info" 2>&1
check tc-info "format trace-cmd 7, page size 4096, events as trace-cmd report counts" \
	"format $(sed -n 's/^format: *\(trace-cmd [0-9]*\) .*/\1/p' "$T/tca.info"), page size $(sed -n 's/^page size: *//p' "$T/tca.info"), events $([ "$(sed -n 's/^events: *//p' "$T/tca.info")" = "$(trace-cmd report -N -i "$T/tca.dat" 2>/dev/null | grep -c ': *[a-z_0-9]*: ')" ] && echo as trace-cmd report counts || echo "$(sed -n 's/^events: *//p' "$T/tca.info") vs trace-cmd's $(trace-cmd report -N -i "$T/tca.dat" 2>/dev/null | grep -c ': *[a-z_0-9]*: ')")"
bad=
for v in "" --log --regions "--maps-at end" --malloc-patterns --timeline --context --csv\ --regions; do
	"$MEMMON" report -q $v "$T/tca.dat" >/dev/null 2>"$T/v.err" || bad="$bad '$v' ($(head -c 100 "$T/v.err"))"
done
"$MEMMON" report -q --perfetto "$T/p.json" --html "$T/p.html" "$T/tca.dat" >/dev/null 2>"$T/v.err" &&
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/p.json" && [ -s "$T/p.html" ] ||
	bad="$bad --perfetto/--html"
"$MEMMON" diff "$T/tca.dat" "$T/tca.dat" >/dev/null 2>&1 || bad="$bad diff"
check tc-views "every view exits 0" "every view exits 0${bad:+ but$bad}"

# ---- trace-cmd report with memmon's plugin (libtraceevent finds plugins
# in TRACEEVENT_PLUGIN_DIR besides its system directory)
mkdir -p "$T/plugins" && cp "$PLUGIN" "$T/plugins/"
TRACEEVENT_PLUGIN_DIR=$T/plugins trace-cmd report -i "$T/tca.dat" >"$T/tca.txt" 2>/dev/null
len=$((64 * 4096))
n=0
for l in "sys_enter_mmap: *mmap(0, $len, rw-, PRIVATE|ANON, fd -1)$" "sys_exit_mmap: *-> $ra$" \
	 "sys_enter_madvise: *madvise($ra, $len, NOHUGEPAGE)$" "sys_exit_madvise: *= 0$" \
	 "sys_enter_munmap: *munmap($ra, $len)$" "sys_enter_exit_group: *exit_group(0)$"; do
	grep -q -- "$l" "$T/tca.txt" && n=$((n + 1))
done
check tc-plugin-lines "6 of 6 lines" "$n of 6 lines"
lo=$(h2d "$ra"); hi=$((lo + len))
got=$(sed -n 's/.*page_fault_user: *page fault @\([0-9a-f]*\) (W) ip [0-9a-f]* not-present$/\1/p' "$T/tca.txt" |
	while read -r a; do a=$(h2d "$a"); [ "$a" -ge "$lo" ] && [ "$a" -lt "$hi" ] && echo x; done | wc -l)
check tc-plugin-faults "64 write faults in the region" "$got write faults in the region"
trace-cmd report -N -i "$T/tca.dat" >"$T/tca-n.txt" 2>/dev/null
check tc-plugin-none "0 memmon lines without plugins" "$(grep -c 'mmap(0, \|page fault @' "$T/tca-n.txt") memmon lines without plugins"

# ---- trace-cmd's format 6 (no sections, no compression)
TC_OPTS="--file-version 6" tc_record "$T/tc6" "$(prog anon-touch)" 16
r6=$(fact "$T/tc6.out" region)
"$MEMMON" report --json --regions "$T/tc6.dat" >"$T/tc6.json" 2>"$T/tc6.err"
check tc-file-v6 "rc 0, format 6, anon:0/16/0" \
	"rc $?, format $(head -c 11 "$T/tc6.dat" | tail -c 1), $(region_faults "$T/tc6.json" "$r6" | cut -d' ' -f1)"

# ---- time stamps as libtracecmd converts them: memmon reads the ring
# pages itself (format/tracecmd-ring.c), its first and last event must be
# trace-cmd report's, to the microsecond memmon info prints; a DATE
# option shifts them (its microseconds; not recorded with trace-cmd
# record --date, which stops and clears every instance on the machine
# while it measures: tc-page.py writes one over the VERSION option)
span_vs_report() {	# FILE: "same" or what differs
	python3 - "$1" "$("$MEMMON" info "$1" 2>/dev/null | sed -n 's/^time span: .*(\(.*\) \.\. \(.*\))$/\1 \2/p')" \
		"$(trace-cmd report -t -i "$1" 2>/dev/null | sed -n 's/.*\] *\([0-9]*\.[0-9]*\): .*/\1/p' | sed -n '1p;$p' | tr '\n' ' ')" <<'EOF2'
import sys
mm, tc = sys.argv[2].split(), sys.argv[3].split()
ok = len(mm) == 2 and len(tc) == 2 and all(abs(float(a) - int(b.replace(".", "")) / 1e9) <= 1e-6
                                         for a, b in zip(mm, tc))
print("same" if ok else f"memmon {mm} trace-cmd {tc}")
EOF2
}
check tc-times "same" "$(span_vs_report "$T/tca.dat")"
python3 "$MEMMON_TOP/tests/integration/tc-page.py" set-date "$T/tca.dat" "$T/tcd.dat" 0xe8d4a51000
check tc-times-date "same, 1000000 s later" "$(span_vs_report "$T/tcd.dat"), $(python3 -c 'import sys
a, b = (float(x.split("(")[1].split()[0]) for x in sys.argv[1:])
print("1000000 s later" if abs(b - a - 1e6) < 1e-5 else f"{b - a} s later")' \
	"$("$MEMMON" info "$T/tca.dat" | grep '^time span')" "$("$MEMMON" info "$T/tcd.dat" | grep '^time span')")"

# ---- a page libtracecmd reads long after the open, broken: every page
# is walked before libtracecmd parses any (format/tracecmd-pages.c).  A
# program with many events fills more than one compressed chunk (format
# 7) and many pages (format 6); the file as recorded reads, the one with
# a page of a later chunk given a padding event that would loop kbuffer
# (or a page of format 6 a commit past its end) is refused, naming the
# CPU and the offset.
TC_OPTS="-b 4096" tc_record "$T/tcbig" "$(prog anon-touch)" 6000
TC_OPTS="-b 4096 --file-version 6" tc_record "$T/tcbig6" "$(prog anon-touch)" 6000
PAGE=$MEMMON_TOP/tests/integration/tc-page.py
"$MEMMON" report -q "$T/tcbig.dat" >/dev/null 2>"$T/tcbig.err"; rc=$?
"$MEMMON" report -q "$T/tcbig6.dat" >/dev/null 2>"$T/tcbig6.err"; rc6=$?
chunks=$(python3 "$PAGE" list "$T/tcbig.dat" 2>"$T/list.err" | sed -n 's/.* chunks=\([0-9]*\) .*/\1/p' | sort -n | tail -1)
[ -s "$T/list.err" ] && [ -n "${TC_KEEP_BAD:-}" ] && cp "$T/tcbig.dat" "$T/list.err" "$TC_KEEP_BAD/"
pages6=$(python3 "$PAGE" list "$T/tcbig6.dat" | sed -n 's/.* pages=\([0-9]*\)$/\1/p' | sort -n | tail -1)
check tc-big-reads "rc 0 and 0, 2 or more chunks, 20 or more pages" \
	"rc $rc and $rc6, $([ "${chunks:-0}" -ge 2 ] && echo 2 or more || echo "${chunks:-no} ($(show "$T/list.err"))") chunks, $([ "${pages6:-0}" -ge 20 ] && echo 20 or more || echo "${pages6:-no}") pages"
# the first page of the second chunk
facts=$(python3 "$PAGE" patch "$T/tcbig.dat" "$T/page.dat" "$(python3 "$PAGE" first-of "$T/tcbig.dat" 1)" loop 2>&1)
b=$(echo "$facts" | sed -n 's/.*buffer=\([^ ]*\).*/\1/p'); c=$(echo "$facts" | sed -n 's/.*cpu=\([0-9]*\).*/\1/p')
o=$(echo "$facts" | sed -n 's/.*offset=\([0-9]*\).*/\1/p'); k=$(echo "$facts" | sed -n 's/.*at=\([0-9]*\).*/\1/p')
timeout 60 "$MEMMON" report "$T/page.dat" >/dev/null 2>"$T/page.err"; rc=$?
want="memmon report: '$T/page.dat': corrupt trace-cmd file at offset $o (CPU $c's ring page in buffer '$b', at byte $k of the compressed chunk there, byte 16 of the page: padding past the commit)"
check tc-page-later "rc 1: $want" "rc $rc: $(grep -v notice: "$T/page.err" | head -1)"
facts=$(python3 "$PAGE" patch "$T/tcbig6.dat" "$T/page6.dat" 17 commit 2>&1)
b=$(echo "$facts" | sed -n 's/.*buffer=\([^ ]*\).*/\1/p'); c=$(echo "$facts" | sed -n 's/.*cpu=\([0-9]*\).*/\1/p')
o=$(echo "$facts" | sed -n 's/.*offset=\([0-9]*\).*/\1/p')
timeout 60 "$MEMMON" report "$T/page6.dat" >/dev/null 2>"$T/page6.err"; rc=$?
want="memmon report: '$T/page6.dat': corrupt trace-cmd file at offset $((o + 8)) (CPU $c's ring page in buffer '$b', byte 8 of the page: a commit length past the page)"
check tc-page-later-v6 "rc 1: $want" "rc $rc: $(grep -v notice: "$T/page6.err" | head -1)"

# ---- cut short and corrupt: a clear error, exit 1, never a crash
size=$(stat -c %s "$T/tca.dat")
bad=
for n in 12 40 $((size / 3)) $((size - 5000)); do
	head -c $n "$T/tca.dat" >"$T/cut.dat"
	"$MEMMON" report "$T/cut.dat" >/dev/null 2>"$T/cut.err"
	rc=$?
	grep -q "^memmon report: '$T/cut.dat': \(corrupt trace-cmd file at offset\|not a trace-cmd file memmon can read\)" "$T/cut.err" &&
		[ $rc = 1 ] || bad="$bad $n bytes: exit $rc $(head -c 120 "$T/cut.err");"
done
check tc-truncated "exit 1 and a message" "exit 1 and a message${bad:+ but$bad}"
bad=
for off in 13 14 25 $((size / 2)) $((size - 200)); do
	cp "$T/tca.dat" "$T/bad.dat"
	printf '\377\377\377\377\377\377\377\377' | dd of="$T/bad.dat" bs=1 seek=$off conv=notrunc 2>/dev/null
	"$MEMMON" report "$T/bad.dat" >/dev/null 2>"$T/bad.err"
	rc=$?
	[ $rc -le 1 ] || bad="$bad offset $off: exit $rc;"
	[ $rc = 0 ] || grep -q "^memmon report: '$T/bad.dat': " "$T/bad.err" || bad="$bad offset $off: no message;"
done
check tc-corrupt "no crash, a message when it fails" "no crash, a message when it fails${bad:+ but$bad}"
check tc-instances-gone "0 of this script's instances left" \
	"$(ls "$TR/instances" | grep -c "^memmontc-$$-") of this script's instances left"
exit $mm_failed
