#!/usr/bin/env bash
# Checks report --sites --sort on a real recording of names-prog (both tables in the exact order of each key by their counts: faults, size, addr, the program's rows by addr in nm's order, the text rows in the JSON's order), a malloc finding whose evidence names the function that made the call (heap-trim: grow_break's brk, text and JSON), and shallow stacks said to be shallow because frame pointers are missing, in memmon list, --sites and the summary, with one count.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="sites-record sites-fault-faults sites-fault-size sites-fault-addr sites-map-faults
sites-map-size sites-map-addr sites-text-order sites-addr-nm sites-top-fill finding-names-code
finding-json-code shallow-list shallow-sites shallow-summary shallow-json"
need_root_tracefs $TESTS
mm_tmp

mkdir -p "$T/w"
cp "$(prog names-prog)" "$T/p"
"$MEMMON" record -q -o "$T/p.dat" -- "$T/p" "$T/w" "$(prog libnames.so)" >"$T/p.out" 2>"$T/p.err"
check sites-record "exit 0" "exit $?"

# order KEY JSON: "sorted" when the rows of both tables come in the order
# the key says (sort keys of report/analyses/sites.c, computed from the
# JSON's own counts), else the first pair out of order
order() {
	python3 - "$1" "$2" <<'PY'
import json, sys
key, doc = sys.argv[1], json.load(open(sys.argv[2]))
def h(x): return int(x, 16) if x else 0
def fault_key(f):
    c = f["code"]
    tie = (c["module"] or "", c["function"] or "", f["kernel_syscall"] or "", h(c["offset"]))
    if key == "faults": return (-f["faults"],) + tie
    if key == "size": return (-f["pages_touched"],) + tie
    return (c["module"] or "", h(c["object_address"])) + tie[1:]
def map_key(m):
    s = m["stack"]
    where = (0, s[0]["module"] or "", h(s[0]["address"])) if s else (1, "", 0)
    if key == "faults": return (-m["faults"], -m["calls"]) + where
    if key == "size": return (-(m["bytes_mapped"] + m["brk_grown"]), -m["calls"]) + where
    return where
for table, k in (("fault_sites", fault_key), ("map_sites", map_key)):
    rows = doc[table]
    for a, b in zip(rows, rows[1:]):
        if k(a) > k(b):
            print("%s: %s before %s" % (table, k(a), k(b)))
            sys.exit()
    print(table, len(rows) > 1 and "sorted" or "too few rows")
PY
}
for key in faults size addr; do
	sort=(--sort "$key"); [ "$key" = faults ] && sort=()    # the default
	"$MEMMON" report --sites "${sort[@]}" --json "$T/p.dat" >"$T/$key.json" 2>&1
	"$MEMMON" report --sites "${sort[@]}" "$T/p.dat" >"$T/$key.txt" 2>&1
	res=$(order "$key" "$T/$key.json")
	check "sites-fault-$key" "fault_sites sorted" "$(echo "$res" | grep fault_sites)"
	check "sites-map-$key" "map_sites sorted" "$(echo "$res" | grep map_sites)"
done

# the text's rows are the JSON's, in its order (every key)
text_codes() { awk '/^#/ { t++; next } t == 1 && $1 ~ /^[0-9]+$/' "$1" | sed -E 's/^( *[0-9]+)+  //'; }
json_codes() {
	jq -r '.fault_sites[] | if .code.module == "[kernel]" then "[kernel] in \(.kernel_syscall // "no syscall seen")"
		elif .code.function then "\(.code.function) [\(.code.module)]"
		else "\(.code.module)+0x\(.code.offset)" end' "$1"
}
same=0
for key in faults size addr; do
	cmp -s <(text_codes "$T/$key.txt") <(json_codes "$T/$key.json") && same=$((same + 1))
done
check sites-text-order "3 of 3 keys" "$same of 3 keys"

# by addr the program's own rows go in the order of their functions'
# addresses, as nm lists them, and each row says its function's address
nmorder=$(nm -n "$(prog names-prog)" | awk '$2 ~ /^[tT]$/ { print $3 }')
got=$(jq -r '.fault_sites[] | select(.code.module == "p") | .code.function' "$T/addr.json")
want=$(echo "$nmorder" | grep -Fxf <(echo "$got"))
addrs=$(jq -r '.fault_sites[] | select(.code.module == "p") | "\(.code.function) \(.code.object_address)"' "$T/addr.json" |
	while read -r fn a; do
		n=$(nm "$(prog names-prog)" | awk -v f="$fn" '$3 == f { sub(/^0+/, "", $1); print $1 }')
		[ "$a" = "$n" ] && echo same || echo "$fn at $a, nm: $n"
	done | sort -u | paste -sd,)
check sites-addr-nm "$(echo "$want" | paste -sd' '); same" "$(echo "$got" | paste -sd' '); $addrs"

# fill_anon's 32 faults lead by faults and by pages
check sites-top-fill "fill_anon 32 32, fill_anon 32 32" "$(jq -r '.fault_sites[0] | "\(.code.function) \(.faults) \(.pages_touched)"' "$T/faults.json"), $(
	jq -r '.fault_sites[0] | "\(.code.function) \(.faults) \(.pages_touched)"' "$T/size.json")"

# A finding's evidence names the code: the heap-trim finding's brk is
# grow_break's own syscall instruction, called from main
"$MEMMON" report --malloc-patterns "$T/p.dat" >"$T/f.txt" 2>&1
brk_from=$(fact "$T/p.out" brk_from)
check finding-names-code "1 brk($brk_from) by grow_break [p]" "$(awk '/^\[info\] heap-trim/ { on = 1 } on && /^    [0-9.]+ [0-9]+: brk\(/' "$T/f.txt" |
	grep -cE "^    [0-9.]+ [0-9]+: brk\($brk_from\) -> $brk_from  by grow_break\+0x[0-9a-f]+ \[p\]( <- .*)?$") brk($brk_from) by grow_break [p]"
"$MEMMON" report --malloc-patterns --json "$T/p.dat" >"$T/f.json" 2>&1
check finding-json-code "brk $brk_from grow_break p main p" "$(jq -r '.findings[] | select(.id == "heap-trim") | .evidence[0] |
	"\(.event) \(.arg0) \(.code[0].function) \(.code[0].module) \(.code[1].function) \(.code[1].module)"' "$T/f.json")"

# Shallow stacks: Debian's C library keeps no frame pointers, and memmon
# says that that is why, in list and in the report, with one count
libc_fp=$("$MEMMON" list 2>&1 | grep '^frame pointers:')
if echo "$libc_fp" | grep -q 'keeps them'; then
	skip_all "this machine's C library keeps frame pointers: no stack is shallow" shallow-list shallow-sites shallow-summary shallow-json
	exit 0
fi
check shallow-list "1" "$(echo "$libc_fp" | grep -cE "^frame pointers: /[^ ]*/libc\.so\.6 keeps none: stacks are shallow because frame pointers are missing \(a call made through it loses its caller, marked '\?'\)$")"
n=$(jq -r '.stacks.cut_short' "$T/faults.json")
gaps=$(jq -r '[.map_sites[] | select(.stack != null and any(.stack[]; .gap)) | .calls] | add' "$T/faults.json")
check shallow-sites "$gaps shallow because frame pointers are missing in libc.so.6" "$(sed -n 's/.* with a stack (\([0-9]*\) shallow because frame pointers are missing in [^:]*libc\.so\.6[^:]*:.*/\1 shallow because frame pointers are missing in libc.so.6/p' "$T/faults.txt")"
"$MEMMON" report "$T/p.dat" >"$T/page.txt" 2>&1
check shallow-summary "$n shallow, libc.so.6" "$(sed -n 's/^stacks: [0-9]* memory calls with a stack, \([0-9]*\) shallow because frame pointers are missing in .*\(libc\.so\.6\).*/\1 shallow, \2/p' "$T/page.txt")"
"$MEMMON" report --log --json "$T/p.dat" >"$T/log.json" 2>&1
check shallow-json "$n true" "$(jq -r '"\(.summary.stacks.shallow) \(.summary.stacks.without_frame_pointers | index("libc.so.6") != null)"' "$T/log.json")"
