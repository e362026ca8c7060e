#!/usr/bin/env bash
# Checks that report and info treat a trace file as hostile: truncated, bit-flipped and foreign files end with exit 0 or 1 and a one-line message, never a crash or a hang (no root needed).
set -u
. "$(dirname "$0")/lib.sh"
G=$MEMMON_TOP/tests/data/golden/small.dat
mm_tmp
size=$(stat -c %s "$G")

# one verdict per command over many damaged copies
run_damaged() {	# NAME MAKER: MAKER N OUT writes the N-th damaged copy
	local name=$1 maker=$2 bad=""
	for n in $(seq 1 60); do
		"$maker" "$n" "$T/d.dat"
		for cmd in "report --log" "report --regions --timeline --malloc-patterns --context" "info"; do
			timeout 20 "$MEMMON" $cmd "$T/d.dat" >/dev/null 2>"$T/err"
			rc=$?
			if [ $rc -gt 1 ]; then
				bad="$bad copy $n '$cmd' exit $rc ($(head -c 200 "$T/err"));"
			elif [ $rc -eq 1 ] && ! grep -q "^memmon [a-z]*: " "$T/err"; then
				bad="$bad copy $n '$cmd' exit 1 without a message;"
			fi
		done
		[ -n "$bad" ] && break
	done
	[ -z "$bad" ] && ok "$name" || fail "$name" "expected exit 0/1 with a message on every copy, got:$bad"
}

truncate_at() { head -c $(( ($1 * 7919) % size )) "$G" >"$2"; }
flip_bytes() {	# 8 random bytes replaced, seeded by N
	cp "$G" "$2"
	python3 - "$2" "$1" <<'PY'
import random, sys
p, seed = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, 'rb').read()); r = random.Random(seed)
for _ in range(8):
    b[r.randrange(len(b))] = r.randrange(256)
open(p, 'wb').write(b)
PY
}
run_damaged hostile-truncated truncate_at
run_damaged hostile-flipped flip_bytes

# a truncated file still reports what it has, and says so
head -c $((size - 100)) "$G" >"$T/cut.dat"
"$MEMMON" report --log "$T/cut.dat" >"$T/cut.out" 2>"$T/cut.err"; rc=$?
check hostile-cut-warns "exit 0 and a truncation warning" \
	"exit $rc and $(grep -q 'truncated at offset' "$T/cut.err" && echo "a truncation warning" || echo "no warning")"

# foreign and empty files: exit 1, one clear line
printf 'not a trace\n' >"$T/foreign.dat"; : >"$T/empty.dat"
for f in foreign empty; do
	"$MEMMON" report "$T/$f.dat" >/dev/null 2>"$T/err"; rc=$?
	check "hostile-$f" "exit 1, 1 line" "exit $rc, $(wc -l <"$T/err") line"
done
"$MEMMON" report /nonexistent/x.dat >/dev/null 2>"$T/err"; rc=$?
check hostile-missing "exit 1: memmon report: cannot open" "exit $rc: $(grep -o '^memmon report: cannot open' "$T/err")"
