#!/usr/bin/env bash
# Checks that report names C++ functions as their source spells them, on a real recording of cxx-names (23 pages written by pool::Arena::fill, 3 by the template make_table<double>, 5 by a function whose name _ZN3bad looks mangled but is not): exact fault counts per demangled function in --sites (JSON and text), the log's fault lines, c++filt's spelling for each, the undemanglable name shown as stored, and --no-demangle showing every name as the trace stores it.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="dm-record dm-sites-fill dm-sites-template dm-sites-bad dm-text dm-log dm-cxxfilt dm-no-demangle dm-no-demangle-text"
need_root_tracefs $TESTS
mm_tmp

"$MEMMON" record -q -o "$T/c.dat" -- "$(prog cxx-names)" 23 >/dev/null 2>"$T/rec.err"
check dm-record "exit 0" "exit $?"
# site FUNCTION [--no-demangle]: "faults anon writes" of that function in
# cxx-names, from --sites' JSON (found by name, whatever else faulted)
site() {
	"$MEMMON" report --sites --json ${2:-} "$T/c.dat" | jq -r --arg f "$1" \
		'[.fault_sites[] | select(.code.module == "cxx-names" and .code.function == $f)] |
		 if length == 1 then .[0] | "\(.faults) \(.by_class.anon) \(.by_access.w)" else "\(length) sites" end'
}
check dm-sites-fill "23 23 23" "$(site 'pool::Arena::fill(unsigned long)')"
check dm-sites-template "3 3 3" "$(site 'double* make_table<double>(int)')"
check dm-sites-bad "5 5 5" "$(site _ZN3bad)"
check dm-text "23 pool::Arena::fill(unsigned long) [cxx-names]" \
	"$("$MEMMON" report --sites "$T/c.dat" | awk '/ pool::Arena::fill\(unsigned long\) \[cxx-names\]$/ { $2 = $3 = $4 = $5 = $6 = $7 = $8 = $9 = $10 = $11 = $12 = ""; print }' | tr -s ' ' | sed 's/^ //')"
check dm-log "23 writes in pool::Arena::fill(unsigned long)" \
	"$("$MEMMON" report --log "$T/c.dat" | grep -c ': anon page @[0-9a-f]* (W) in pool::Arena::fill(unsigned long)+0x[0-9a-f]* \[cxx-names\]$') writes in pool::Arena::fill(unsigned long)"
# the same spelling as binutils' c++filt, for each of the program's names
if command -v c++filt >/dev/null; then
	got=$(for m in _ZN4pool5Arena4fillEm _Z10make_tableIdEPT_i; do
		f=$(c++filt "$m"); [ "$(site "$f")" != "0 sites" ] && echo -n "$m ok, " || echo -n "$m: '$f' not a site, "
	done)
	check dm-cxxfilt "_ZN4pool5Arena4fillEm ok, _Z10make_tableIdEPT_i ok, " "$got"
else
	skip dm-cxxfilt "no c++filt (binutils)"
fi
check dm-no-demangle "23 23 23, 3 3 3, 5 5 5" \
	"$(site _ZN4pool5Arena4fillEm --no-demangle), $(site _Z10make_tableIdEPT_i --no-demangle), $(site _ZN3bad --no-demangle)"
check dm-no-demangle-text "no pool:: in the text" \
	"$("$MEMMON" report --sites --no-demangle "$T/c.dat" | grep -q 'pool::' && echo "pool:: shown" || echo "no pool:: in the text")"
