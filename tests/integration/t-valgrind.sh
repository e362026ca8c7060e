#!/usr/bin/env bash
# Checks that the report path is valgrind-clean (no errors, no leaks) on every view of the stored trace and on a truncated copy, and on every view and output form of the real traces and kept inputs of tests/fuzz (no root needed).
set -u
. "$(dirname "$0")/lib.sh"
G=$MEMMON_TOP/tests/data/golden/small.dat
if ! command -v valgrind >/dev/null; then
	echo "skip valgrind-report: valgrind not installed"; exit 0
fi
case "$MEMMON_BUILD" in *asan*) echo "skip valgrind-report: sanitizer build"; exit 0;; esac
mm_tmp
head -c $(( $(stat -c %s "$G") - 100 )) "$G" >"$T/cut.dat"
for v in "" --log "--log -t --raw-events" --regions "--maps-at 0.0005" --malloc-patterns --timeline --context "--regions --json" "--regions --csv"; do
	for f in "$G" "$T/cut.dat"; do
		valgrind -q --suppressions="$MEMMON_TOP/tests/valgrind.supp" --log-file="$T/vg" --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
			"$MEMMON" report $v "$f" >/dev/null 2>/dev/null
		rc=$?
		name="valgrind-report${v// /}-$(basename "$f" .dat)"
		check "$name" "exit 0, no valgrind errors" "exit $rc, $( [ -s "$T/vg" ] && head -c 300 "$T/vg" | tr '\n' '|' || echo "no valgrind errors")"
	done
done
valgrind -q --suppressions="$MEMMON_TOP/tests/valgrind.supp" --log-file="$T/vg" --error-exitcode=99 --leak-check=full "$MEMMON" info "$G" >/dev/null 2>/dev/null; rc=$?
check valgrind-info "exit 0, no valgrind errors" "exit $rc, $( [ -s "$T/vg" ] && head -c 300 "$T/vg" || echo "no valgrind errors")"
# the fuzz target's entry point (info and every report view and form) over
# tests/fuzz/seeds (real recordings) and tests/fuzz/crashes
valgrind -q --suppressions="$MEMMON_TOP/tests/valgrind.supp" --log-file="$T/vg" --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	"$MEMMON_TOP/$MEMMON_BUILD/tests/test-fuzz-replay" >"$T/replay.out" 2>/dev/null; rc=$?
check valgrind-fuzz-inputs "exit 0, $(ls "$MEMMON_TOP/tests/fuzz/seeds" "$MEMMON_TOP/tests/fuzz/crashes" | grep -vc ':$\|^$') inputs, no valgrind errors" \
	"exit $rc, $(grep -c '^ok ' "$T/replay.out") inputs, $( [ -s "$T/vg" ] && head -c 300 "$T/vg" | tr '\n' '|' || echo "no valgrind errors")"
