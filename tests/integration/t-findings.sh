#!/usr/bin/env bash
# t-findings.sh: each malloc finding fires on the mf-malloc mode that provokes it (real glibc), with its numbers; none fire on ls, true, cc -c
. "$(dirname "$0")/lib.sh"
names=(f_churn f_dynamic f_overcommit f_enomem f_trim f_headers f_quiet_ls f_quiet_true f_quiet_cc)
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

mf churn
check f_churn "12 24 266240" "$(num "$T/churn" mmap-churn pairs) $(num "$T/churn" mmap-churn syscalls) $(num "$T/churn" mmap-churn size)"
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
record "$T/cc" cc -c "$T/x.c" -o "$T/x.o"
check f_quiet_cc "" "$(findings "$T/cc" | awk '{print $1}' | tr '\n' ' ')"
exit $mm_failed
