#!/usr/bin/env bash
# t-findings.sh: each malloc finding fires on the mf-malloc mode that provokes it (real glibc), with its numbers; none fire on ls, true, cc -c; mmap-churn does not fire on buffers held and freed once, nor on Python's obmalloc arenas (mmap calls of Python's own), and its advice fits the size
. "$(dirname "$0")/lib.sh"
names=(f_churn f_churn_advice f_dynamic f_overcommit f_enomem f_trim f_headers f_quiet_ls f_quiet_true f_quiet_cc
	f_held_pairs f_held_no_churn f_bigchurn f_bigchurn_advice f_python_arenas f_python_no_churn f_python_no_arena)
need_root_tracefs "${names[@]}"
mm_tmp
record "$T/true" true
"$MEMMON" report --malloc-patterns --json "$T/true.dat" >/dev/null 2>&1
if [ $? -eq 129 ]; then
	skip_all "memmon report has no --malloc-patterns yet" "${names[@]}"; exit 0
fi

# findings BASE: "ID NAME=VALUE..." per finding of BASE.dat (JSON parsed by python3)
findings() {
	"$MEMMON" report --malloc-patterns --json "$1.dat" 2>"$1.ferr" | python3 -c '
import json, sys
try:
    doc = json.load(sys.stdin)
except ValueError:
    print("invalid-json"); sys.exit(0)
for f in doc["findings"]:
    print(f["id"], " ".join("%s=%s" % kv for kv in f["numbers"].items()))'
}
# num BASE ID NAME: one number of the first finding ID
num() { findings "$1" | awk -v id="$2" '$1 == id' | head -1 | tr ' ' '\n' | sed -n "s/^$3=//p"; }
has() { findings "$1" | awk '{print $1}' | grep -cx -- "$2"; }

mf() { record "$T/$1" "$(prog mf-malloc)" "$1"; }

# tune TEXT of the first finding ID of BASE
tune() {
	"$MEMMON" report --malloc-patterns --json "$1.dat" 2>/dev/null | python3 -c '
import json, sys
print(next((f.get("tune") or "" for f in json.load(sys.stdin)["findings"] if f["id"] == sys.argv[1]), "none"))' "$2"
}
mf churn
check f_churn "11 12 24 266240" "$(num "$T/churn" mmap-churn rounds) $(num "$T/churn" mmap-churn pairs) $(num "$T/churn" mmap-churn syscalls) $(num "$T/churn" mmap-churn size)"
# M_MMAP_THRESHOLD was set (the dynamic threshold would have stopped it)
case "$(tune "$T/churn" mmap-churn)" in
	"set M_MMAP_THRESHOLD above this size"*) ok f_churn_advice ;;
	*) fail f_churn_advice "expected 'set M_MMAP_THRESHOLD above this size...', got '$(tune "$T/churn" mmap-churn)'" ;;
esac
# 12 buffers malloc'd, all held, then all freed: 12 pairs, no round of churn
mf held
hpid=$(fact "$T/held.out" pid)
check f_held_pairs "12 mmap(0, 266240) and 12 munmaps of them; mmap-threshold pairs 12" \
	"$(grep -cE "^$hpid: mmap\(0, 266240, rw-, PRIVATE\|ANON, fd -1\) -> [0-9a-f]+$" "$T/held.rep") mmap(0, 266240) and $(grep -cE "^$hpid: munmap\([0-9a-f]+, 266240\) = 0$" "$T/held.rep") munmaps of them; mmap-threshold pairs $(num "$T/held" mmap-threshold pairs)"
check f_held_no_churn 0 "$(has "$T/held" mmap-churn)"
# 40 MiB over and over: over what any threshold reaches, so the advice is not the threshold
mf bigchurn
check f_bigchurn "8 9 41947136" "$(num "$T/bigchurn" mmap-churn rounds) $(num "$T/bigchurn" mmap-churn pairs) $(num "$T/bigchurn" mmap-churn size)"
case "$(tune "$T/bigchurn" mmap-churn)" in
	*"M_MMAP_MAX=0"*) ok f_bigchurn_advice ;;
	*) fail f_bigchurn_advice "expected advice with M_MMAP_MAX=0, got '$(tune "$T/bigchurn" mmap-churn)'" ;;
esac
# Python: its obmalloc maps and unmaps 1 MiB arenas itself (mmap calls of
# Python's, not malloc's threshold): real churn of mappings, no malloc finding
py=/usr/bin/python3; [ -x "$py" ] || py=$(command -v python3)
record "$T/py" "$py" -c '
for r in range(12):
    x = [str(i) * 3 for i in range(100000)]
    del x
'
ppid=$(grep -m1 -oE '^[0-9]+: exec ' "$T/py.rep" | cut -d: -f1)
# the arenas: 1 MiB mapped again after one was unmapped, round after round
check f_python_arenas "at least 8 arenas mapped after one was unmapped" "$(awk -v p="$ppid:" '
	$1 == p && $2 == "mmap(0," && $3 == "1048576," { if (freed) again++ }
	$1 == p && $2 ~ /^munmap\(/ && $3 == "1048576)" { freed++ }
	END { print (again >= 8 ? "at least 8" : again + 0) }' "$T/py.rep") arenas mapped after one was unmapped"
check f_python_no_churn 0 "$(has "$T/py" mmap-churn)"
# no malloc finding's evidence is an arena
check f_python_no_arena "no finding with a 1 MiB mapping in its evidence" "$("$MEMMON" report --malloc-patterns --json "$T/py.dat" 2>/dev/null | python3 -c '
import json, sys
bad = sorted(set(f["id"] for f in json.load(sys.stdin)["findings"] for e in f.get("evidence", [])
                 if "1048576" in e.get("text", "")))
print(("findings with an arena: " + " ".join(bad)) if bad else "no finding with a 1 MiB mapping in its evidence")')"
mf dynamic
check f_dynamic "131072 208896" "$(num "$T/dynamic" dynamic-threshold threshold_before) $(num "$T/dynamic" dynamic-threshold threshold)"
mf overcommit
check f_overcommit "268435456 4" "$(num "$T/overcommit" overcommit mapped_bytes) $(num "$T/overcommit" overcommit pages_touched)"
mf enomem
check f_enomem "3 536875008 0" "$(num "$T/enomem" enomem failures) $(num "$T/enomem" enomem first_request) $(num "$T/enomem" enomem fallback_succeeded)"
mf trim
check f_trim "5 4" "$(num "$T/trim" heap-trim trims) $(num "$T/trim" trim-oscillation cycles)"
mf headers
check f_headers "4 4" "$(num "$T/headers" chunk-header header_first) $(num "$T/headers" chunk-header header_only)"

record "$T/ls" ls -la /usr/lib
check f_quiet_ls "" "$(findings "$T/ls" | awk '{print $1}' | tr '\n' ' ')"
check f_quiet_true "" "$(findings "$T/true" | awk '{print $1}' | tr '\n' ' ')"
echo 'int main(void) { return 0; }' >"$T/x.c"
if ! command -v cc >/dev/null; then
	skip f_quiet_cc "no cc (the test VM carries no compiler)"
else
	record "$T/cc" cc -c "$T/x.c" -o "$T/x.o"
	if [ "$rec_rc" != 0 ] || [ ! -s "$T/x.o" ]; then
		fail f_quiet_cc "expected cc -c to work under record, got exit $rec_rc (stderr: $(show "$T/cc.err"))"
	else
		check f_quiet_cc "" "$(findings "$T/cc" | awk '{print $1}' | tr '\n' ' ')"
	fi
fi
exit $mm_failed
