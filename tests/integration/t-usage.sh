#!/usr/bin/env bash
# Checks every usage error of every command: exit 129, a first line "memmon CMD: " naming the bad option and why, then the command's usage line; and that record's and reset's usage errors come before their root check (no root needed).
set -u
. "$(dirname "$0")/lib.sh"
mm_tmp

# usage CMD: the usage line CMD's errors end with (from an unknown option)
usage() { "$MEMMON" "$1" --no-such-option 2>&1 | sed -n 2p; }

# expect NAME "FIRST LINE" CMD ARGS...: exit 129, exactly two lines on
# stderr (FIRST LINE, then CMD's usage line), nothing on stdout
expect() {
	local name=$1 want=$2 cmd=$3; shift 3
	"$MEMMON" "$cmd" "$@" >"$T/out" 2>"$T/err" </dev/null
	local rc=$?
	local got; got=$(head -1 "$T/err")
	local u; u=$(usage "$cmd")
	if [ "$rc" = 129 ] && [ "$got" = "$want" ] && [ "$(sed -n 2p "$T/err")" = "$u" ] &&
	   [ "$(wc -l <"$T/err")" = 2 ] && [ ! -s "$T/out" ]; then
		ok "$name"
	else
		fail "$name" "expected exit 129, '$want' and '$u', got exit $rc: $(show "$T/err" 3) / stdout $(show "$T/out" 1)"
	fi
}
case "$(usage record)" in "usage: memmon record "*) ok usage-line-record ;; *) fail usage-line-record "expected 'usage: memmon record ...', got '$(usage record)'" ;; esac

R="memmon record"
expect usage-record-b0 "$R: -b 0: the buffer size must be at least 4 KB per CPU" record -b 0 -- true
expect usage-record-b-word "$R: -b big: not a number of KB" record -b big -- true
expect usage-record-b-huge "$R: -b 9999999999: the buffer size can be at most 1073741824 KB per CPU" record -b 9999999999 -- true
expect usage-record-b-negative "$R: -b -4: not a number of KB" record -b -4 -- true
expect usage-record-buffer-size "$R: -b 2: the buffer size must be at least 4 KB per CPU" record --buffer-size=2 -- true
expect usage-record-chunk "$R: --chunk-kb 1: a chunk must be at least 4 KB" record --chunk-kb 1 -- true
expect usage-record-z0 "$R: -z 0: the compression level is 1 to 22" record -z 0 -- true
expect usage-record-z23 "$R: -z 23: the compression level is 1 to 22" record -z 23 -- true
expect usage-record-p-abc "$R: -p abc: not a pid (a process id, or a list: 123,456)" record -p abc
expect usage-record-p-0 "$R: -p 0: not a pid (a process id, or a list: 123,456)" record -p 0
expect usage-record-p-list "$R: -p 12,,x: not a pid (a process id, or a list: 123,456)" record -p 12,,x
expect usage-record-classifier "$R: --classifier=magic: the classifier is auto, kprobe or tracepoint" record --classifier=magic -- true
expect usage-record-duration "$R: --duration soon: not a number of seconds above 0" record --duration soon -p 1
expect usage-record-duration0 "$R: --duration 0: not a number of seconds above 0" record --duration 0 -p 1
expect usage-record-duration-cmd "$R: --duration applies to -p (a command is recorded until it exits)" record --duration 1 -- true
expect usage-record-nothing "$R: nothing to record: give a command (memmon record -- CMD ARGS) or running processes (-p PID)" record -o "$T/x.dat"
expect usage-record-both "$R: -p and a command ('true'): record either a command or running processes" record -p 1 -- true
expect usage-record-o-missing "$R: option '-o' needs a value" record -o
expect usage-record-o-empty "$R: -o '': the output file needs a name" record -o '' -- true
expect usage-record-unknown "$R: unknown option '--no-such'" record --no-such -- true
expect usage-record-unknown-short "$R: unknown option '-x'" record -x -- true
expect usage-record-novalue "$R: option '--quiet' takes no value" record --quiet=yes -- true
expect usage-record-markers "$R: --markers=fsync,sync: 'sync' is no marker kind (fsync, trace_marker, all or none)" record --markers=fsync,sync -- true
expect usage-record-markers-empty "$R: --markers=: '' is no marker kind (fsync, trace_marker, all or none)" record --markers= -- true

W="memmon watch"
expect usage-watch-nothing "$W: say what to change: +PID, -PID, 0 (clear) or list" watch
expect usage-watch-pid "$W: PID 'x': not a pid" watch +x
expect usage-watch-remove "$W: -PID '0': not a pid" watch -0
expect usage-watch-two "$W: '+1' and '-2': one change at a time" watch +1 -2
expect usage-watch-record "$W: --record 'me': not a pid" watch --record me list
expect usage-watch-record-missing "$W: option '--record' needs a value" watch --record
expect usage-watch-unknown "$W: unknown option '--all'" watch --all

P="memmon report"
expect usage-report-maps-at "$P: --maps-at soon: not a time (seconds from the first event, or 'end')" report --maps-at soon
expect usage-report-maps-at-missing "$P: option '--maps-at' needs a value" report --maps-at
expect usage-report-timeline "$P: --timeline=1ns: not an interval (10ms, 2s, 500us: at least 1us)" report --timeline=1ns
expect usage-report-between "$P: --between 1: two markers, M,N (numbers like 1,2, texts, 'start' or 'end')" report --log --between 1
expect usage-report-between-page "$P: --between cuts --log, --regions and --timeline: ask for one of them" report --between 1,2
expect usage-report-between-view "$P: --between cuts --log, --regions and --timeline, not --context" report --context --between 1,2
expect usage-report-sort "$P: --sort name: the sort key is size, faults or addr" report --sort name
expect usage-report-pid "$P: --pid abc: not a pid (a process or task id, or a list: 123,456)" report --pid abc
expect usage-report-pid-list "$P: --pid 1,,2: not a pid (a process or task id, or a list: 123,456)" report --pid 1,,2
expect usage-report-csv-page "$P: --csv: the default page has no table; add a view that has one (--regions, --maps-at, --malloc-patterns, --timeline, --context, --sites) or use --json" report --csv
expect usage-report-log-csv "$P: --log --csv: the event log has no table form (--log --json has one object per event)" report --log --csv
expect usage-report-log-json-view "$P: --log --json with --regions: the JSON log streams its events, so it stands alone; ask for the other views in another run" report --log --json --regions
expect usage-report-two-files "$P: unexpected argument 'b.dat' (one trace file at a time)" report a.dat b.dat
expect usage-report-unknown "$P: unknown option '--no-such'" report --no-such
expect usage-report-i-and-file "$P: -i a.dat and 'b.dat': one trace file at a time" report -i a.dat b.dat
expect usage-report-novalue "$P: option '--log' takes no value" report --log=1

expect usage-info-two-files "memmon info: unexpected argument 'b.dat' (one trace file at a time)" info a.dat b.dat
expect usage-info-unknown "memmon info: unknown option '-x'" info -x
expect usage-info-i-and-file "memmon info: -i a.dat and 'b.dat': one trace file at a time" info -i a.dat b.dat
expect usage-info-i-missing "memmon info: option '-i' needs a value" info -i
expect usage-list-argument "memmon list: unexpected argument 'now' (list takes none)" list now
expect usage-list-unknown "memmon list: unknown option '--all'" list --all
expect usage-reset-argument "memmon reset: unexpected argument 'now' (reset takes none)" reset now
expect usage-reset-novalue "memmon reset: option '--all' takes no value" reset --all=yes

# the top level: an unknown command names itself, then the usage line
"$MEMMON" frobnicate >"$T/out" 2>"$T/err"; rc=$?
check usage-unknown-command "129 memmon: 'frobnicate' is not a memmon command; see 'memmon --help'|usage: memmon [--version] [--help] <command> [<args>]" \
	"$rc $(paste -sd'|' "$T/err")"

# as a user without privilege, a usage error is still told as one
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$MEMMON" record -b 0 -- true >/dev/null 2>"$T/err"
	rc=$?
	check usage-before-root "129 $R: -b 0: the buffer size must be at least 4 KB per CPU" "$rc $(head -1 "$T/err")"
else
	skip usage-before-root "needs root and setpriv (to run as nobody)"
fi
exit $mm_failed
